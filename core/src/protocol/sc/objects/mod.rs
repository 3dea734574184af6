//! Object requests and responses of the SC API: Create, Delete, List, Watch, Update.
//!
//! Typed buffer (upstream `TypeBuffer`, `objects/metadata.rs`): the object label as a string, then
//! — from version [`DYN_OBJ`] on — a `u32` byte length, then the inner message at the same version.
//! Below [`DYN_OBJ`] upstream's "classic" encodings apply:
//! - Delete: label then the inner request, no length;
//! - Create: no label at all: `CommonCreateRequest`, a `u8` create type, the spec;
//! - Update: upstream's *client* writes label + inner without length, but the SC decodes a length
//!   at every version; this codec always writes and expects the length (what the SC accepts);
//! - List/Watch/Mirroring start at versions ≥ 14, always typed.
//!
//! A typed buffer's inner message must fill its length exactly (upstream ignores trailing
//! bytes; rejecting them keeps decode → encode byte-identical).

mod create;
mod delete;
mod list;
mod update;
mod watch;

use bytes::BytesMut;

use crate::protocol::codec::{
    Decode, DecodeError, EncodeError, Reader, Version, encode_u32_len_prefixed,
};

pub use create::{CommonCreateRequest, ObjectCreateRequest, ObjectSpec};
pub use delete::{DeleteRequest, ObjectDeleteRequest};
pub use list::{ListFilter, ObjectListRequest, ObjectListResponse};
pub use update::{ObjectUpdateRequest, UpdateRequest};
pub use watch::{ObjectWatchRequest, ObjectWatchResponse};

/// First version with typed buffers carrying a length ("dynamic objects").
pub const DYN_OBJ: Version = 11;

/// The kinds of SC objects, named on the wire by their label.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ObjectKind {
    /// `"Topic"`.
    #[default]
    Topic,
    /// `"Partition"`.
    Partition,
    /// `"SPU"`.
    Spu,
    /// `"CustomSpu"`.
    CustomSpu,
    /// `"SpuGroup"`.
    SpuGroup,
    /// `"SmartModule"`.
    SmartModule,
    /// `"TableFormat"`.
    TableFormat,
    /// `"Mirror"`.
    Mirror,
}

impl ObjectKind {
    /// Every kind.
    pub const ALL: [ObjectKind; 8] = [
        Self::Topic,
        Self::Partition,
        Self::Spu,
        Self::CustomSpu,
        Self::SpuGroup,
        Self::SmartModule,
        Self::TableFormat,
        Self::Mirror,
    ];

    /// The label written in typed buffers.
    pub fn label(self) -> &'static str {
        match self {
            Self::Topic => "Topic",
            Self::Partition => "Partition",
            Self::Spu => "SPU",
            Self::CustomSpu => "CustomSpu",
            Self::SpuGroup => "SpuGroup",
            Self::SmartModule => "SmartModule",
            Self::TableFormat => "TableFormat",
            Self::Mirror => "Mirror",
        }
    }

    /// The kind a label names.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.label() == label)
    }

    /// The kind named by `label`, or the typed error for an unknown label.
    pub fn parse_label(label: &str) -> Result<Self, DecodeError> {
        Self::from_label(label).ok_or_else(|| DecodeError::InvalidValue {
            what: "object label",
            message: format!("unknown object type {label:?}"),
        })
    }
}

/// The error for a known kind that an operation does not support.
pub(crate) fn unsupported(kind: ObjectKind, op: &str) -> DecodeError {
    DecodeError::InvalidValue {
        what: "object label",
        message: format!("{op} does not support {:?} objects", kind.label()),
    }
}

/// Writes a typed buffer: label, then a `u32` length if `always_len` or `version >= DYN_OBJ`,
/// then what `body` writes.
pub(crate) fn encode_typed(
    dst: &mut BytesMut,
    version: Version,
    label: &str,
    always_len: bool,
    body: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    crate::protocol::codec::Encode::encode(label, dst, version)?;
    if always_len || version >= DYN_OBJ {
        encode_u32_len_prefixed(dst, "typed object", body)
    } else {
        body(dst)
    }
}

/// Reads a typed buffer written by [`encode_typed`] and hands the label and the inner bytes to
/// `body`, which must consume them all when a length is present.
pub(crate) fn decode_typed<T>(
    src: &mut Reader,
    version: Version,
    always_len: bool,
    body: impl FnOnce(&str, &mut Reader) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let label = String::decode(src, version)?;
    if always_len || version >= DYN_OBJ {
        let len = src.u32()?;
        let len = usize::try_from(len).map_err(|_| DecodeError::InvalidLength {
            what: "typed object",
            len: i64::from(len),
        })?;
        let mut inner = Reader::new(src.bytes("typed object", len)?);
        let value = body(&label, &mut inner)?;
        inner.expect_end("typed object")?;
        Ok(value)
    } else {
        body(&label, src)
    }
}

/// Defines an enum with one variant per supported object kind, each holding that kind's inner
/// message, with helpers to encode the inner message and decode it for a kind.
macro_rules! object_enum {
    (
        op = $op:literal;
        $(#[$emeta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident ( $inner:ty )
            ),* $(,)?
        }
    ) => {
        $(#[$emeta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant($inner), )*
        }

        impl $name {
            /// The object kind of this message.
            pub fn kind(&self) -> $crate::protocol::sc::objects::ObjectKind {
                match self {
                    $( Self::$variant(_) => $crate::protocol::sc::objects::ObjectKind::$variant, )*
                }
            }

            fn encode_inner(
                &self,
                dst: &mut ::bytes::BytesMut,
                version: $crate::protocol::codec::Version,
            ) -> ::core::result::Result<(), $crate::protocol::codec::EncodeError> {
                match self {
                    $( Self::$variant(inner) => $crate::protocol::codec::Encode::encode(inner, dst, version), )*
                }
            }

            fn decode_inner(
                kind: $crate::protocol::sc::objects::ObjectKind,
                src: &mut $crate::protocol::codec::Reader,
                version: $crate::protocol::codec::Version,
            ) -> ::core::result::Result<Self, $crate::protocol::codec::DecodeError> {
                match kind {
                    $(
                        $crate::protocol::sc::objects::ObjectKind::$variant => Ok(Self::$variant(
                            <$inner as $crate::protocol::codec::Decode>::decode(src, version)?,
                        )),
                    )*
                    #[allow(unreachable_patterns)]
                    other => Err($crate::protocol::sc::objects::unsupported(other, $op)),
                }
            }
        }
    };
}
pub(crate) use object_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_survive_a_round_trip() {
        for k in ObjectKind::ALL {
            assert_eq!(ObjectKind::from_label(k.label()), Some(k));
        }
        assert!(ObjectKind::parse_label("Nope").is_err());
    }

    #[test]
    fn typed_buffer_rejects_short_and_trailing_inner() {
        // label "Topic", len 2, but only one byte
        let short = bytes::Bytes::from_static(&[0, 5, b'T', b'o', b'p', b'i', b'c', 0, 0, 0, 2, 1]);
        let r = decode_typed(&mut Reader::new(short), 19, false, |_, r| r.u8());
        assert!(matches!(r, Err(DecodeError::UnexpectedEof { .. })));
        let trailing =
            bytes::Bytes::from_static(&[0, 5, b'T', b'o', b'p', b'i', b'c', 0, 0, 0, 2, 1, 2]);
        let r = decode_typed(&mut Reader::new(trailing), 19, false, |_, r| r.u8());
        assert!(matches!(r, Err(DecodeError::TrailingBytes { .. })));
    }
}
