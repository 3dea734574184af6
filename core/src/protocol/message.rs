//! Dispatch of frames to typed messages by server kind, api key and version.
//!
//! SC and SPU api keys overlap (1002 is Delete on the SC and FetchOffsets on an SPU),
//! so decoding needs to know which kind of server a connection talks to.

use bytes::{Bytes, BytesMut};

use crate::protocol::api_versions::{ApiVersionsRequest, ApiVersionsResponse};
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};
use crate::protocol::frame::encode_frame;
use crate::protocol::header::{Request, RequestHeader, ResponseHeader};
use crate::protocol::sc::{
    MirroringRequest, MirroringResponse, ObjectCreateRequest, ObjectDeleteRequest,
    ObjectListRequest, ObjectListResponse, ObjectUpdateRequest, ObjectWatchRequest,
    ObjectWatchResponse, Status,
};
use crate::protocol::spu::consumer_offset::{
    DeleteConsumerOffsetRequest, DeleteConsumerOffsetResponse, FetchConsumerOffsetsRequest,
    FetchConsumerOffsetsResponse, UpdateConsumerOffsetRequest, UpdateConsumerOffsetResponse,
};
use crate::protocol::spu::fetch::{FetchRequest, FetchResponse};
use crate::protocol::spu::fetch_offsets::{FetchOffsetsRequest, FetchOffsetsResponse};
use crate::protocol::spu::produce::{ProduceRequest, ProduceResponse};
use crate::protocol::spu::stream_fetch::{StreamFetchRequest, StreamFetchResponse};
use crate::protocol::spu::update_offsets::{UpdateOffsetsRequest, UpdateOffsetsResponse};

/// The kind of server at the other end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// The SC: control plane, admin API.
    Sc,
    /// An SPU: data plane.
    Spu,
}

/// The server at the other end of a connection: the SC, or an SPU by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// The SC.
    Sc,
    /// The SPU with this id.
    Spu(i32),
}

impl Peer {
    /// The kind of server, which decides how api keys are read.
    pub fn kind(self) -> ServerKind {
        match self {
            Self::Sc => ServerKind::Sc,
            Self::Spu(_) => ServerKind::Spu,
        }
    }
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sc => f.write_str("sc"),
            Self::Spu(id) => write!(f, "spu-{id}"),
        }
    }
}

/// Checks that `version` is within the range the codec supports for `R`.
fn check_version<R: Request>(version: Version) -> Result<(), DecodeError> {
    if (R::MIN_VERSION..=R::MAX_VERSION).contains(&version) {
        Ok(())
    } else {
        Err(DecodeError::UnsupportedVersion {
            api_key: R::API_KEY,
            version,
        })
    }
}

macro_rules! messages {
    ($( $variant:ident ($req:ty => $resp:ty) on [$($server:ident)|+]; )*) => {
        /// Any request body, typed.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyRequest {
            $(
                #[doc = concat!("`", stringify!($req), "`.")]
                $variant($req),
            )*
        }

        /// Any response body, typed.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyResponse {
            $(
                #[doc = concat!("`", stringify!($resp), "`.")]
                $variant($resp),
            )*
        }

        impl AnyRequest {
            /// Decodes the body of a request whose header is `header`; the body must fill `src`.
            pub fn decode_body(
                server: ServerKind,
                header: &RequestHeader,
                src: &mut Reader,
            ) -> Result<Self, DecodeError> {
                let version = header.api_version;
                $(
                    if header.api_key == <$req as Request>::API_KEY
                        && matches!(server, $(ServerKind::$server)|+)
                    {
                        check_version::<$req>(version)?;
                        let body = <$req as Decode>::decode(src, version)?;
                        src.expect_end(stringify!($req))?;
                        return Ok(Self::$variant(body));
                    }
                )*
                Err(DecodeError::UnknownApiKey(header.api_key))
            }

            /// Encodes the body at `version`.
            pub fn encode_body(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
                match self {
                    $( Self::$variant(m) => m.encode(dst, version), )*
                }
            }

            /// The api key of this request.
            pub fn api_key(&self) -> u16 {
                match self {
                    $( Self::$variant(_) => <$req as Request>::API_KEY, )*
                }
            }

            /// The name of the API.
            pub fn api_name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => stringify!($variant), )*
                }
            }
        }

        impl AnyResponse {
            /// Decodes the body of a response to the request `api_key` at `version`.
            pub fn decode_body(
                server: ServerKind,
                api_key: u16,
                version: Version,
                src: &mut Reader,
            ) -> Result<Self, DecodeError> {
                $(
                    if api_key == <$req as Request>::API_KEY
                        && matches!(server, $(ServerKind::$server)|+)
                    {
                        check_version::<$req>(version)?;
                        let body = <$resp as Decode>::decode(src, version)?;
                        src.expect_end(stringify!($resp))?;
                        return Ok(Self::$variant(body));
                    }
                )*
                Err(DecodeError::UnknownApiKey(api_key))
            }

            /// Encodes the body at `version`.
            pub fn encode_body(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
                match self {
                    $( Self::$variant(m) => m.encode(dst, version), )*
                }
            }

            /// The name of the API.
            pub fn api_name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => stringify!($variant), )*
                }
            }
        }

        /// The name of the API `api_key` on a `server`, if the protocol defines it.
        pub fn api_name(server: ServerKind, api_key: u16) -> Option<&'static str> {
            $(
                if api_key == <$req as Request>::API_KEY && matches!(server, $(ServerKind::$server)|+) {
                    return Some(stringify!($variant));
                }
            )*
            None
        }
    };
}

messages! {
    ApiVersions(ApiVersionsRequest => ApiVersionsResponse) on [Sc | Spu];
    Create(ObjectCreateRequest => Status) on [Sc];
    Delete(ObjectDeleteRequest => Status) on [Sc];
    List(ObjectListRequest => ObjectListResponse) on [Sc];
    Watch(ObjectWatchRequest => ObjectWatchResponse) on [Sc];
    Mirroring(MirroringRequest => MirroringResponse) on [Sc];
    Update(ObjectUpdateRequest => Status) on [Sc];
    Produce(ProduceRequest => ProduceResponse) on [Spu];
    Fetch(FetchRequest => FetchResponse) on [Spu];
    FetchOffsets(FetchOffsetsRequest => FetchOffsetsResponse) on [Spu];
    StreamFetch(StreamFetchRequest => StreamFetchResponse) on [Spu];
    UpdateOffsets(UpdateOffsetsRequest => UpdateOffsetsResponse) on [Spu];
    UpdateConsumerOffset(UpdateConsumerOffsetRequest => UpdateConsumerOffsetResponse) on [Spu];
    DeleteConsumerOffset(DeleteConsumerOffsetRequest => DeleteConsumerOffsetResponse) on [Spu];
    FetchConsumerOffsets(FetchConsumerOffsetsRequest => FetchConsumerOffsetsResponse) on [Spu];
}

/// A decoded request frame.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFrame {
    /// Its header.
    pub header: RequestHeader,
    /// Its body.
    pub body: AnyRequest,
}

impl RequestFrame {
    /// Decodes a request frame payload (without the length prefix).
    pub fn decode(server: ServerKind, payload: Bytes) -> Result<Self, DecodeError> {
        let mut src = Reader::new(payload);
        let header = RequestHeader::decode(&mut src, 0)?;
        let body = AnyRequest::decode_body(server, &header, &mut src)?;
        Ok(Self { header, body })
    }

    /// Appends the whole frame, length prefix included.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        encode_frame(dst, |b| {
            self.header.encode(b, 0)?;
            self.body.encode_body(b, self.header.api_version)
        })
    }
}

/// A decoded response frame.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseFrame {
    /// Its header.
    pub header: ResponseHeader,
    /// Its body.
    pub body: AnyResponse,
}

impl ResponseFrame {
    /// Reads only the correlation id of a response payload.
    pub fn peek_correlation_id(payload: &[u8]) -> Result<i32, DecodeError> {
        match payload {
            [a, b, c, d, ..] => Ok(i32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(DecodeError::UnexpectedEof {
                what: "correlation id",
                needed: 4,
                remaining: payload.len(),
            }),
        }
    }

    /// Decodes a response payload (without the length prefix) to a request `api_key` at `version`.
    pub fn decode(
        server: ServerKind,
        api_key: u16,
        version: Version,
        payload: Bytes,
    ) -> Result<Self, DecodeError> {
        let mut src = Reader::new(payload);
        let header = ResponseHeader::decode(&mut src, version)?;
        let body = AnyResponse::decode_body(server, api_key, version, &mut src)?;
        Ok(Self { header, body })
    }

    /// Appends the whole frame at `version`, length prefix included.
    pub fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        encode_frame(dst, |b| {
            self.header.encode(b, version)?;
            self.body.encode_body(b, version)
        })
    }
}
