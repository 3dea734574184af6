//! Record batches, records, record sets and compression.
//!
//! PLACEHOLDER: `RecordSet` keeps its raw bytes until the real codec lands.

use bytes::{Bytes, BytesMut};

use crate::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

/// A record set: an `i32` total length followed by concatenated batches.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordSet {
    /// The raw batch bytes.
    pub raw: Bytes,
}

impl Encode for RecordSet {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.raw.encode(dst, version)
    }
}

impl Decode for RecordSet {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(Self {
            raw: Bytes::decode(src, version)?,
        })
    }
}
