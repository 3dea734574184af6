//! Batch compression codecs and bounded decompression.
//!
//! The codec of a batch lives in bits `0x07` of its attributes. The compressed blob
//! holds the whole records section (`i32` count + records), unlike Kafka where the
//! count stays outside. Stream formats match upstream Fluvio: gzip (flate2, default
//! level), Snappy **framed** format, LZ4 **frame** format and zstd (level 1, streaming
//! encoder, so no content size in the frame header).
//!
//! Decompression reads through a reader bounded to `max_decompressed + 1` bytes: a
//! payload that expands beyond the limit fails with
//! [`DecodeError::DecompressedTooLarge`] after at most that many bytes were produced.

use std::fmt;
use std::io::{Read, Write};
use std::str::FromStr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::codec::{DecodeError, EncodeError};

/// Bits of the batch attributes that hold the compression codec.
pub const COMPRESSION_MASK: i16 = 0x07;

/// Smallest zstd window (log2) we ever allow the decoder to use (1 MiB).
const ZSTD_MIN_WINDOW_LOG: u32 = 20;
/// Largest zstd window (log2) the format allows on 64-bit targets.
const ZSTD_MAX_WINDOW_LOG: u32 = 31;

/// The compression codec of a record batch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Compression {
    /// No compression (attribute bits 0).
    #[default]
    None,
    /// gzip (1).
    Gzip,
    /// Snappy, framed format (2).
    Snappy,
    /// LZ4, frame format (3).
    Lz4,
    /// Zstandard (4).
    Zstd,
}

/// Every codec, in attribute order.
pub const ALL_COMPRESSIONS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

impl Compression {
    /// The codec id written in the batch attributes.
    pub fn id(self) -> i16 {
        match self {
            Self::None => 0,
            Self::Gzip => 1,
            Self::Snappy => 2,
            Self::Lz4 => 3,
            Self::Zstd => 4,
        }
    }

    /// The codec named by the low bits of batch `attributes`.
    pub fn from_attributes(attributes: i16) -> Result<Self, DecodeError> {
        let id = attributes & COMPRESSION_MASK;
        ALL_COMPRESSIONS
            .into_iter()
            .find(|c| c.id() == id)
            .ok_or(DecodeError::UnknownTag {
                what: "compression",
                tag: i64::from(id),
            })
    }

    /// `attributes` with its codec bits replaced by this codec.
    pub fn apply_to(self, attributes: i16) -> i16 {
        (attributes & !COMPRESSION_MASK) | self.id()
    }

    /// Lower-case name (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        }
    }

    /// Compresses `src` (the producer side).
    pub fn compress(self, src: &[u8]) -> Result<Bytes, EncodeError> {
        let codec = self.name();
        let fail = |e: std::io::Error| EncodeError::Compression {
            codec,
            message: e.to_string(),
        };
        let out = BytesMut::with_capacity(src.len() / 2 + 64).writer();
        let out = match self {
            Self::None => return Ok(Bytes::copy_from_slice(src)),
            Self::Gzip => {
                let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::default());
                enc.write_all(src).map_err(fail)?;
                enc.finish().map_err(fail)?
            }
            Self::Snappy => {
                let mut enc = snap::write::FrameEncoder::new(out);
                enc.write_all(src).map_err(fail)?;
                enc.into_inner().map_err(|e| fail(e.into_error()))?
            }
            Self::Lz4 => {
                let mut enc = lz4_flex::frame::FrameEncoder::new(out);
                enc.write_all(src).map_err(fail)?;
                enc.finish().map_err(|e| fail(e.into()))?
            }
            Self::Zstd => {
                let mut enc = zstd::Encoder::new(out, 1).map_err(fail)?;
                enc.write_all(src).map_err(fail)?;
                enc.finish().map_err(fail)?
            }
        };
        Ok(out.into_inner().freeze())
    }

    /// Decompresses `src`, failing once the output would exceed `max_decompressed`.
    ///
    /// [`Compression::None`] returns `src` itself (zero-copy, no limit applies).
    pub fn decompress(self, src: &Bytes, max_decompressed: usize) -> Result<Bytes, DecodeError> {
        let input: &[u8] = src;
        match self {
            Self::None => Ok(src.clone()),
            Self::Gzip => read_bounded(flate2::read::GzDecoder::new(input), self, max_decompressed),
            Self::Snappy => {
                read_bounded(snap::read::FrameDecoder::new(input), self, max_decompressed)
            }
            Self::Lz4 => read_bounded(
                lz4_flex::frame::FrameDecoder::new(input),
                self,
                max_decompressed,
            ),
            Self::Zstd => {
                let mut dec = zstd::Decoder::with_buffer(input).map_err(|e| io_err(self, &e))?;
                // Refuse frames whose window would exceed what the limit can need,
                // so a hostile header cannot make the decoder reserve a huge window.
                let want = usize::BITS - max_decompressed.saturating_sub(1).leading_zeros();
                let log = want.clamp(ZSTD_MIN_WINDOW_LOG, ZSTD_MAX_WINDOW_LOG);
                dec.window_log_max(log).map_err(|e| io_err(self, &e))?;
                read_bounded(dec, self, max_decompressed)
            }
        }
    }
}

fn io_err(codec: Compression, e: &std::io::Error) -> DecodeError {
    DecodeError::Decompression {
        codec: codec.name(),
        message: e.to_string(),
    }
}

/// Reads at most `max + 1` bytes from `reader`; more than `max` is an error.
fn read_bounded(reader: impl Read, codec: Compression, max: usize) -> Result<Bytes, DecodeError> {
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| io_err(codec, &e))?;
    if out.len() > max {
        return Err(DecodeError::DecompressedTooLarge { limit: max });
    }
    Ok(Bytes::from(out))
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown codec name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compression {0:?} (expected none, gzip, snappy, lz4 or zstd)")]
pub struct UnknownCompression(pub String);

impl FromStr for Compression {
    type Err = UnknownCompression;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_COMPRESSIONS
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownCompression(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 16 << 20;

    #[test]
    fn ids_names_and_attributes() {
        for (i, c) in ALL_COMPRESSIONS.into_iter().enumerate() {
            assert_eq!(c.id(), i as i16);
            assert_eq!(Compression::from_attributes(c.id() | 0x10).unwrap(), c);
            assert_eq!(c.name().parse::<Compression>().unwrap(), c);
            assert_eq!(
                c.to_string().to_uppercase().parse::<Compression>().unwrap(),
                c
            );
            assert_eq!(c.apply_to(0x7f), 0x78 | c.id());
        }
        for bad in 5..8 {
            assert!(matches!(
                Compression::from_attributes(bad),
                Err(DecodeError::UnknownTag { tag, .. }) if tag == i64::from(bad)
            ));
        }
        assert!("brotli".parse::<Compression>().is_err());
    }

    #[test]
    fn roundtrip_each_codec() {
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| (i % 251).to_be_bytes())
            .collect();
        for c in ALL_COMPRESSIONS {
            let z = c.compress(&text).unwrap();
            if c != Compression::None {
                assert!(z.len() < text.len(), "{c} did not compress");
            }
            assert_eq!(&c.decompress(&z, LIMIT).unwrap()[..], &text[..], "{c}");
            // Exactly at the limit is fine, one byte less is not.
            assert!(c.decompress(&z, text.len()).is_ok());
            if c != Compression::None {
                assert_eq!(
                    c.decompress(&z, text.len() - 1),
                    Err(DecodeError::DecompressedTooLarge {
                        limit: text.len() - 1
                    })
                );
            }
        }
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let junk = Bytes::from_static(b"\x00\x01\x02definitely not compressed\xff\xfe");
        for c in ALL_COMPRESSIONS.into_iter().skip(1) {
            let err = c.decompress(&junk, LIMIT).unwrap_err();
            assert!(
                matches!(err, DecodeError::Decompression { .. }),
                "{c}: {err:?}"
            );
            // A truncated valid stream fails too.
            let z = c.compress(&[7u8; 5000]).unwrap();
            let cut = z.slice(..z.len() / 2);
            assert!(c.decompress(&cut, LIMIT).is_err(), "{c} truncated");
        }
    }
}
