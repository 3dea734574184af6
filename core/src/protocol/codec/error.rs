//! Typed errors of the wire codec.

use thiserror::Error;

/// Why a message could not be decoded.
///
/// Every malformed input maps to one of these variants; the decoder never panics.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the field was complete.
    #[error("unexpected end of input reading {what}: needed {needed} bytes, {remaining} left")]
    UnexpectedEof {
        /// The field being read.
        what: &'static str,
        /// Bytes the field needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A length or count prefix is negative or larger than the input can hold.
    #[error("invalid length {len} for {what}")]
    InvalidLength {
        /// The field being read.
        what: &'static str,
        /// The length found on the wire.
        len: i64,
    },
    /// A varint ran over the maximum number of bytes its type allows.
    #[error("varint longer than {max_bytes} bytes")]
    VarintTooLong {
        /// The maximum encoded size.
        max_bytes: usize,
    },
    /// A varint decoded to a value outside the range of its field.
    #[error("varint value {value} out of range for {what}")]
    VarintOutOfRange {
        /// The field being read.
        what: &'static str,
        /// The decoded value.
        value: i64,
    },
    /// A boolean byte other than 0 or 1.
    #[error("invalid boolean byte {0:#04x}")]
    InvalidBool(u8),
    /// A string field is not valid UTF-8.
    #[error("string field {what} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        what: &'static str,
    },
    /// An enum tag that this version of the protocol does not define.
    #[error("unknown tag {tag} for {what}")]
    UnknownTag {
        /// The enum being read.
        what: &'static str,
        /// The tag found on the wire.
        tag: i64,
    },
    /// An API key that is not part of the protocol.
    #[error("unknown api key {0}")]
    UnknownApiKey(u16),
    /// A version outside the range this codec supports for the API.
    #[error("unsupported version {version} for api key {api_key}")]
    UnsupportedVersion {
        /// The API key.
        api_key: u16,
        /// The requested version.
        version: i16,
    },
    /// Bytes were left over after a message that must fill its frame.
    #[error("{remaining} trailing bytes after {what}")]
    TrailingBytes {
        /// The message that was decoded.
        what: &'static str,
        /// Bytes left over.
        remaining: usize,
    },
    /// A record batch whose CRC-32C does not match its contents.
    #[error("record batch crc mismatch: header says {expected:#010x}, computed {actual:#010x}")]
    CrcMismatch {
        /// CRC in the batch header.
        expected: u32,
        /// CRC computed over the batch.
        actual: u32,
    },
    /// A compressed payload could not be decompressed.
    #[error("decompression failed ({codec}): {message}")]
    Decompression {
        /// The codec name.
        codec: &'static str,
        /// What the decompressor reported.
        message: String,
    },
    /// A compressed payload expands beyond the configured limit.
    #[error("decompressed size exceeds the limit of {limit} bytes")]
    DecompressedTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A value that is structurally valid but semantically impossible.
    #[error("invalid value for {what}: {message}")]
    InvalidValue {
        /// The field being read.
        what: &'static str,
        /// Why it is invalid.
        message: String,
    },
}

/// Why a message could not be encoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A string or byte field is longer than its length prefix can express.
    #[error("{what} is {len} bytes, longer than the wire allows ({max})")]
    TooLong {
        /// The field being written.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The maximum the wire allows.
        max: usize,
    },
    /// A compressor failed.
    #[error("compression failed ({codec}): {message}")]
    Compression {
        /// The codec name.
        codec: &'static str,
        /// What the compressor reported.
        message: String,
    },
    /// A value that cannot be represented at the requested version.
    #[error("invalid value for {what}: {message}")]
    InvalidValue {
        /// The field being written.
        what: &'static str,
        /// Why it cannot be written.
        message: String,
    },
}
