//! SC (control plane) admin messages and object specs.
//!
//! The SC public API has six keys (see [`api_key`]). Object requests (Create, Delete, List, Watch,
//! Update) and the List/Watch responses carry a *typed buffer*: from version 11 on it is the object
//! label (`"Topic"`, `"SPU"`, …, see [`ObjectKind`]) as a string, a `u32` byte length, then the inner
//! message encoded at the same version. Older versions use the "classic" layouts that upstream still
//! accepts (see [`objects`]).
//!
//! Typed objects are Rust enums over the object kinds ([`ObjectSpec`], [`ObjectListResponse`], …);
//! the label on the wire decides the variant. An unknown label, or a kind that the operation does
//! not support, is a [`DecodeError::InvalidValue`](crate::protocol::codec::DecodeError::InvalidValue) with
//! `what = "object label"`: nothing is kept raw.
//!
//! Specs and statuses live in one module per object: [`topic`], [`partition`], [`spu`], [`spg`],
//! [`smartmodule`], [`tableformat`], [`mirror`]; [`mirroring`] holds the Mirroring API (1005).

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::protocol::codec::{Decode, Encode};

/// Defines an enum whose variants each carry one payload, written as an integer tag then the
/// payload (upstream's derived enums with `#[fluvio(tag = N)]`).
macro_rules! payload_enum {
    (
        $(#[$emeta:meta])*
        $vis:vis enum $name:ident : $tag:ty {
            $(
                $(#[$vmeta:meta])*
                $variant:ident ( $inner:ty ) = $value:literal
            ),* $(,)?
        }
    ) => {
        $(#[$emeta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant($inner), )*
        }

        impl $crate::protocol::codec::Encode for $name {
            fn encode(
                &self,
                dst: &mut ::bytes::BytesMut,
                version: $crate::protocol::codec::Version,
            ) -> ::core::result::Result<(), $crate::protocol::codec::EncodeError> {
                match self {
                    $(
                        Self::$variant(inner) => {
                            let tag: $tag = $value;
                            $crate::protocol::codec::Encode::encode(&tag, dst, version)?;
                            $crate::protocol::codec::Encode::encode(inner, dst, version)
                        }
                    )*
                }
            }
        }

        impl $crate::protocol::codec::Decode for $name {
            fn decode(
                src: &mut $crate::protocol::codec::Reader,
                version: $crate::protocol::codec::Version,
            ) -> ::core::result::Result<Self, $crate::protocol::codec::DecodeError> {
                let tag = <$tag as $crate::protocol::codec::Decode>::decode(src, version)?;
                $(
                    if tag == $value {
                        return Ok(Self::$variant(
                            <$inner as $crate::protocol::codec::Decode>::decode(src, version)?,
                        ));
                    }
                )*
                Err($crate::protocol::codec::DecodeError::UnknownTag {
                    what: stringify!($name),
                    tag: i64::from(tag),
                })
            }
        }
    };
}

pub mod metadata;
pub mod mirror;
pub mod mirroring;
pub mod objects;
pub mod partition;
mod partition_mirror;
pub mod smartmodule;
pub mod spg;
pub mod spu;
pub mod status;
pub mod tableformat;
pub mod topic;

#[cfg(test)]
mod trace_tests;

#[cfg(test)]
mod tests {
    use super::is_valid_resource_name;

    #[test]
    fn resource_names_follow_the_dns_label_rules() {
        assert!(is_valid_resource_name("t1"));
        assert!(is_valid_resource_name("consumer-offset"));
        assert!(is_valid_resource_name(&"a".repeat(63)));
        assert!(!is_valid_resource_name("T1"));
        assert!(!is_valid_resource_name("-a"));
        assert!(!is_valid_resource_name("a-"));
        assert!(!is_valid_resource_name("a_b"));
        assert!(!is_valid_resource_name(""));
        assert!(!is_valid_resource_name(&"a".repeat(64)));
    }
}

pub use metadata::{Message, Metadata, MetadataUpdate, MsgType};
pub use mirroring::{MirrorConnect, MirroringRequest, MirroringResponse, MirroringSpecWrapper};
pub use objects::{
    CommonCreateRequest, DeleteRequest, ListFilter, ObjectCreateRequest, ObjectDeleteRequest,
    ObjectKind, ObjectListRequest, ObjectListResponse, ObjectSpec, ObjectUpdateRequest,
    ObjectWatchRequest, ObjectWatchResponse, UpdateRequest,
};
pub use status::Status;

/// Upstream's resource name rule (`validate_resource_name`), which the SC applies to topic,
/// SmartModule and other object names: lowercase alphanumerics and `-`, at most 63
/// characters, starting and ending with an alphanumeric.
pub fn is_valid_resource_name(name: &str) -> bool {
    let ok_byte = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(|&b| ok_byte(b) || b == b'-')
        && bytes.first().copied().is_some_and(ok_byte)
        && bytes.last().copied().is_some_and(ok_byte)
}

/// The API keys of the SC public API (`AdminPublicApiKey` upstream).
pub mod api_key {
    /// ApiVersions handshake (shared with the SPU).
    pub const API_VERSIONS: u16 = 18;
    /// Create an object.
    pub const CREATE: u16 = 1001;
    /// Delete an object.
    pub const DELETE: u16 = 1002;
    /// List objects of one kind.
    pub const LIST: u16 = 1003;
    /// Watch objects of one kind (streaming).
    pub const WATCH: u16 = 1004;
    /// Mirroring (remote cluster connect).
    pub const MIRRORING: u16 = 1005;
    /// Update an object.
    pub const UPDATE: u16 = 1006;
}

/// An object spec of the SC store: its label on the wire and its status type.
pub trait Spec:
    Encode + Decode + Debug + Clone + PartialEq + Default + Serialize + DeserializeOwned
{
    /// The object label written in typed buffers (`S::LABEL` upstream).
    const LABEL: &'static str;
    /// The status that goes with the spec in [`Metadata`].
    type Status: Encode
        + Decode
        + Debug
        + Clone
        + PartialEq
        + Default
        + Serialize
        + DeserializeOwned;
}

#[cfg(feature = "arbitrary")]
pub(crate) mod arb {
    //! Generators for fields whose values upstream constrains.

    use arbitrary::{Arbitrary, Unstructured};

    use crate::protocol::error_code::ErrorCode;

    /// Any error code, every variant with its payload.
    pub(crate) fn error_code(u: &mut Unstructured<'_>) -> arbitrary::Result<ErrorCode> {
        ErrorCode::arbitrary(u)
    }

    /// A non-empty string. Upstream decodes strings *into* its default value and leaves that
    /// value when the wire string is empty; where the default is not empty (an endpoint host
    /// defaults to `127.0.0.1`) an empty string cannot round-trip through upstream.
    pub(crate) fn non_empty_string(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
        let s = String::arbitrary(u)?;
        Ok(if s.is_empty() { "h".to_string() } else { s })
    }

    /// A version string that upstream's `semver::Version` parses and prints back unchanged
    /// (upstream rejects anything else when decoding a SmartModule package).
    pub(crate) fn semver(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
        let (a, b, c) = <(u16, u16, u16)>::arbitrary(u)?;
        Ok(format!("{a}.{b}.{c}"))
    }
}
