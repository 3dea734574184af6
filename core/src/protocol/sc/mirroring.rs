//! The Mirroring API (key 1005): a remote cluster connects to its home.
//!
//! Upstream: `fluvio-sc-schema` `mirroring/mod.rs`, `fluvio-controlplane-metadata` `mirroring/mod.rs`.
//! The request is a typed buffer whose label names the mirroring message (`"MirroringConnect"`).

use bytes::BytesMut;

use super::api_key;
use super::objects::{decode_typed, encode_typed};
use super::topic::TopicSpec;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::header::Request;

crate::wire_struct! {
    /// A remote asks its home to start mirroring.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct MirrorConnect {
        /// The remote's id at the home.
        pub remote_id: String,
    }
}

/// A Mirroring request (1005).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MirroringRequest {
    /// Connect a remote (label `"MirroringConnect"`).
    Connect(MirrorConnect),
}

impl MirroringRequest {
    /// Label of [`MirroringRequest::Connect`].
    pub const CONNECT_LABEL: &'static str = "MirroringConnect";
}

impl Default for MirroringRequest {
    fn default() -> Self {
        Self::Connect(MirrorConnect::default())
    }
}

impl Encode for MirroringRequest {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        match self {
            Self::Connect(c) => encode_typed(dst, version, Self::CONNECT_LABEL, true, |d| {
                c.encode(d, version)
            }),
        }
    }
}

impl Decode for MirroringRequest {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        decode_typed(src, version, true, |label, inner| {
            if label == Self::CONNECT_LABEL {
                Ok(Self::Connect(MirrorConnect::decode(inner, version)?))
            } else {
                Err(DecodeError::InvalidValue {
                    what: "object label",
                    message: format!("unknown mirroring request {label:?}"),
                })
            }
        })
    }
}

impl Request for MirroringRequest {
    const API_KEY: u16 = api_key::MIRRORING;
    const MIN_VERSION: Version = 14;
    const MAX_VERSION: Version = 19;
    type Response = MirroringResponse;
}

crate::wire_struct! {
    /// The answer to a Mirroring request (`MirroringStatusResponse` upstream).
    #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct MirroringResponse {
        /// The remote's name.
        pub name: String,
        /// `ErrorCode::None` on success.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::sc::arb::error_code))]
        pub error_code: ErrorCode,
        /// Error explanation.
        pub error_message: Option<String>,
        /// The mirrored topics with the SPU serving each.
        pub topics: Vec<MirroringSpecWrapper>,
    }
}

crate::wire_struct! {
    /// A mirrored topic and where it lives.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct MirroringSpecWrapper {
        /// Topic name.
        pub key: String,
        /// Topic spec.
        pub spec: TopicSpec,
        /// SPU id.
        pub spu_id: i32,
        /// SPU key.
        pub spu_key: String,
        /// SPU endpoint.
        pub spu_endpoint: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    #[test]
    fn connect_is_a_typed_buffer() {
        let r = MirroringRequest::Connect(MirrorConnect {
            remote_id: "r1".into(),
        });
        let b = encode_to_bytes(&r, 19).unwrap();
        let mut want = vec![0, 16];
        want.extend_from_slice(b"MirroringConnect");
        want.extend_from_slice(&[0, 0, 0, 4, 0, 2, b'r', b'1']);
        assert_eq!(&b[..], &want[..]);
        assert_eq!(decode_exact::<MirroringRequest>(b, 19, "m").unwrap(), r);
    }
}
