//! The Fluvio wire codec: traits, primitives and helpers.
//!
//! Every wire type implements [`Encode`] and [`Decode`] for a protocol [`Version`]:
//! fields that a version does not carry are skipped on encode and left at their
//! default on decode. Encoding appends to a [`BytesMut`]; decoding reads from a
//! [`Reader`] over a received frame, so byte fields are zero-copy slices of it.
//!
//! Layout rules (all read from upstream and checked on real traces): integers are
//! big-endian, strings carry an `i16` length, vectors a `u32` count, options a
//! boolean byte, maps a `u16` count, and enums a tag followed by the variant's fields.

mod error;
mod macros;
mod primitives;
mod reader;
pub mod varint;

use bytes::BytesMut;

pub use error::{DecodeError, EncodeError};
pub use reader::{MAX_VARINT_BYTES, Reader};

/// A protocol version, as carried in the request header.
pub type Version = i16;

/// A type that can be written to the wire at a given version.
pub trait Encode {
    /// Appends the wire form of `self` at `version` to `dst`.
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError>;
}

/// A type that can be read from the wire at a given version.
pub trait Decode: Sized {
    /// Reads a value at `version`, consuming exactly its bytes from `src`.
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError>;
}

/// Encodes `value` into a fresh buffer.
pub fn encode_to_bytes<T: Encode + ?Sized>(
    value: &T,
    version: Version,
) -> Result<bytes::Bytes, EncodeError> {
    let mut buf = BytesMut::new();
    value.encode(&mut buf, version)?;
    Ok(buf.freeze())
}

/// Decodes `T` from `bytes`, which it must fill exactly.
pub fn decode_exact<T: Decode>(
    bytes: bytes::Bytes,
    version: Version,
    what: &'static str,
) -> Result<T, DecodeError> {
    let mut reader = Reader::new(bytes);
    let value = T::decode(&mut reader, version)?;
    reader.expect_end(what)?;
    Ok(value)
}

/// Writes a `u32` length placeholder, runs `body`, then patches the length in place.
///
/// Used for nested length-prefixed payloads (typed object buffers, record sets) so
/// that they are encoded in a single pass.
pub fn encode_u32_len_prefixed(
    dst: &mut BytesMut,
    what: &'static str,
    body: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let at = dst.len();
    dst.extend_from_slice(&[0; 4]);
    body(dst)?;
    let len = dst.len() - at - 4;
    let len32 = i32::try_from(len).map_err(|_| EncodeError::TooLong {
        what,
        len,
        max: i32::MAX as usize,
    })?;
    dst[at..at + 4].copy_from_slice(&len32.to_be_bytes());
    Ok(())
}

/// Helpers for `arbitrary::Arbitrary` derives on wire types (feature `arbitrary`).
#[cfg(feature = "arbitrary")]
pub mod arb {
    use arbitrary::{Arbitrary, Unstructured};
    use bytes::Bytes;

    /// An arbitrary [`Bytes`] (for `#[arbitrary(with = crate::protocol::codec::arb::bytes)]`).
    pub fn bytes(u: &mut Unstructured<'_>) -> arbitrary::Result<Bytes> {
        Ok(Bytes::from(Vec::<u8>::arbitrary(u)?))
    }

    /// An arbitrary optional [`Bytes`].
    pub fn opt_bytes(u: &mut Unstructured<'_>) -> arbitrary::Result<Option<Bytes>> {
        Ok(Option::<Vec<u8>>::arbitrary(u)?.map(Bytes::from))
    }
}
