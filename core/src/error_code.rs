//! Fluvio's `ErrorCode`: an `i16` tag followed by the variant's payload.
//!
//! PLACEHOLDER: the full enumeration is being written; only the shape is fixed here.

use bytes::BytesMut;

use crate::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

/// An error code as carried in responses.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// No error.
    #[default]
    None,
    /// Any other error, with a message.
    Other(String),
}

impl Encode for ErrorCode {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        match self {
            Self::None => 0i16.encode(dst, version),
            Self::Other(s) => {
                2i16.encode(dst, version)?;
                s.encode(dst, version)
            }
        }
    }
}

impl Decode for ErrorCode {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        match i16::decode(src, version)? {
            0 => Ok(Self::None),
            2 => Ok(Self::Other(String::decode(src, version)?)),
            tag => Err(DecodeError::UnknownTag {
                what: "ErrorCode",
                tag: i64::from(tag),
            }),
        }
    }
}
