//! A bounds-checked cursor over a received frame.

use bytes::Bytes;
use nom::IResult;
use nom::number::complete as num;

use super::DecodeError;

/// Maximum bytes of a zig-zag varint holding an `i64` (10 × 7 bits ≥ 64).
pub const MAX_VARINT_BYTES: usize = 10;

/// A cursor over a [`Bytes`] buffer.
///
/// Fixed-size fields are parsed with `nom`; variable-size byte fields are returned as
/// zero-copy [`Bytes`] slices of the underlying frame. Every read checks the remaining
/// length first, so no input can make it panic or allocate more than the input size.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
}

type NomErr<'a> = nom::error::Error<&'a [u8]>;

/// Parses a fixed-size big-endian number with `nom`, consuming it on success.
macro_rules! fixed {
    ($self:ident, $what:literal, $size:literal, $parser:ident) => {{
        let parsed: IResult<&[u8], _, NomErr<'_>> = num::$parser(&$self.buf[..]);
        match parsed {
            Ok((_, value)) => {
                let _ = $self.buf.split_to($size);
                Ok(value)
            }
            Err(_) => Err($self.eof($what, $size)),
        }
    }};
}

impl Reader {
    /// Reads from `buf`.
    pub fn new(buf: Bytes) -> Self {
        Self { buf }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The unread bytes, without consuming them.
    pub fn peek(&self) -> &[u8] {
        &self.buf
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless everything has been read.
    pub fn expect_end(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                what,
                remaining: self.buf.len(),
            })
        }
    }

    fn eof(&self, what: &'static str, needed: usize) -> DecodeError {
        DecodeError::UnexpectedEof {
            what,
            needed,
            remaining: self.buf.len(),
        }
    }

    /// Reads an `i8`.
    pub fn i8(&mut self) -> Result<i8, DecodeError> {
        fixed!(self, "i8", 1, be_i8)
    }
    /// Reads a `u8`.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        fixed!(self, "u8", 1, be_u8)
    }
    /// Reads a big-endian `i16`.
    pub fn i16(&mut self) -> Result<i16, DecodeError> {
        fixed!(self, "i16", 2, be_i16)
    }
    /// Reads a big-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        fixed!(self, "u16", 2, be_u16)
    }
    /// Reads a big-endian `i32`.
    pub fn i32(&mut self) -> Result<i32, DecodeError> {
        fixed!(self, "i32", 4, be_i32)
    }
    /// Reads a big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        fixed!(self, "u32", 4, be_u32)
    }
    /// Reads a big-endian `i64`.
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        fixed!(self, "i64", 8, be_i64)
    }
    /// Reads a big-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        fixed!(self, "u64", 8, be_u64)
    }
    /// Reads a big-endian `f32`.
    pub fn f32(&mut self) -> Result<f32, DecodeError> {
        fixed!(self, "f32", 4, be_f32)
    }
    /// Reads a big-endian `f64`.
    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        fixed!(self, "f64", 8, be_f64)
    }

    /// Reads a boolean byte; anything but 0 or 1 is an error.
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(DecodeError::InvalidBool(b)),
        }
    }

    /// Takes the next `n` bytes as a zero-copy slice.
    pub fn bytes(&mut self, what: &'static str, n: usize) -> Result<Bytes, DecodeError> {
        if n > self.buf.len() {
            return Err(self.eof(what, n));
        }
        Ok(self.buf.split_to(n))
    }

    /// Takes everything that is left.
    pub fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    /// Reads a zig-zag LEB128 varint of at most [`MAX_VARINT_BYTES`] bytes.
    pub fn varint(&mut self) -> Result<i64, DecodeError> {
        let (value, used) = super::varint::decode(&self.buf)?;
        let _ = self.buf.split_to(used);
        Ok(value)
    }

    /// Reads a varint that must fit an `i32` (record lengths and deltas).
    pub fn varint_i32(&mut self, what: &'static str) -> Result<i32, DecodeError> {
        let value = self.varint()?;
        i32::try_from(value).map_err(|_| DecodeError::VarintOutOfRange { what, value })
    }

    /// Reads a `u32` element count and checks it against the bytes left.
    ///
    /// Every element of every Fluvio type takes at least one byte, so a count larger
    /// than the remaining input is malformed; rejecting it bounds allocation.
    pub fn count(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let n = self.i32()?;
        self.check_count(what, i64::from(n))
    }

    /// Reads a `u16` element count (maps) and checks it against the bytes left.
    pub fn count_u16(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let n = self.u16()?;
        self.check_count(what, i64::from(n))
    }

    fn check_count(&self, what: &'static str, n: i64) -> Result<usize, DecodeError> {
        if n < 0 || n as u64 > self.buf.len() as u64 {
            return Err(DecodeError::InvalidLength { what, len: n });
        }
        Ok(n as usize)
    }

    /// Reads a string with an `i16` length prefix.
    pub fn string(&mut self, what: &'static str) -> Result<String, DecodeError> {
        let len = self.i16()?;
        if len < 0 {
            return Err(DecodeError::InvalidLength {
                what,
                len: i64::from(len),
            });
        }
        let raw = self.bytes(what, len as usize)?;
        String::from_utf8(raw.to_vec()).map_err(|_| DecodeError::InvalidUtf8 { what })
    }

    /// Reads a byte field with a `u32` length prefix as a zero-copy slice.
    pub fn bytes_u32(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.count(what)?;
        self.bytes(what, len)
    }
}
