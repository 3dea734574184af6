//! Length-prefixed framing: an `i32` big-endian length, then that many bytes.

use bytes::{Buf, Bytes, BytesMut};
use thiserror::Error;

use crate::protocol::codec::EncodeError;

/// Default maximum frame size: 64 MiB (upstream's `MAX_BYTES` is 50 MiB; SPU responses
/// are bounded by `max_bytes`, produce requests by `max_request_size`).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 64 * 1024 * 1024;

/// A framing error. Once returned, the stream is unusable: the decoder stays poisoned.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The length prefix is negative.
    #[error("negative frame length {0}")]
    NegativeLength(i32),
    /// The length prefix exceeds the configured maximum.
    #[error("frame length {len} exceeds the maximum of {max} bytes")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// Configured maximum.
        max: usize,
    },
}

/// Least bytes a [`FrameDecoder`] adds to its buffer when it grows.
pub const BLOCK: usize = 1024 * 1024;

/// Most bytes a [`FrameDecoder`] reserves ahead of what it received.
pub const RESERVE_AHEAD: usize = 8 * 1024 * 1024;

/// Splits a byte stream, fed in arbitrary chunks, into whole frames.
///
/// The length is checked against the maximum *before* any buffer is reserved for the
/// frame, and at most [`RESERVE_AHEAD`] bytes are reserved ahead of the bytes received,
/// so a hostile length cannot cause a large allocation: a long frame costs the memory of
/// the bytes actually sent.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: BytesMut,
    max_frame_size: usize,
    poisoned: Option<FrameError>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_SIZE)
    }
}

impl FrameDecoder {
    /// A decoder that refuses frames longer than `max_frame_size` bytes.
    pub fn new(max_frame_size: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            max_frame_size,
            poisoned: None,
        }
    }

    /// Appends bytes received from the peer.
    ///
    /// The buffer grows by blocks of at least [`BLOCK`] bytes: frames are handed out as
    /// slices of these blocks, so a block is freed once its frames are, and freed blocks
    /// all fit the next ones (buffers sized to each frame left the allocator with holes
    /// that fitted nothing, and a long-running server kept growing).
    pub fn handle_bytes(&mut self, chunk: &[u8]) {
        if self.poisoned.is_none() {
            if self.buf.capacity() - self.buf.len() < chunk.len() {
                self.buf.reserve(chunk.len().max(BLOCK));
            }
            self.buf.extend_from_slice(chunk);
        }
    }

    /// Bytes buffered and not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Returns the next whole frame (without its length prefix), if one is buffered.
    pub fn poll_frame(&mut self) -> Result<Option<Bytes>, FrameError> {
        if let Some(err) = &self.poisoned {
            return Err(err.clone());
        }
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = i32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        if len < 0 {
            return Err(self.poison(FrameError::NegativeLength(len)));
        }
        let len = len as usize;
        if len > self.max_frame_size {
            return Err(self.poison(FrameError::TooLarge {
                len,
                max: self.max_frame_size,
            }));
        }
        if self.buf.len() < 4 + len {
            // Reserve what the frame still needs (bounded by the maximum), up to
            // RESERVE_AHEAD at a time: beyond that the buffer grows as bytes arrive.
            self.buf
                .reserve((4 + len - self.buf.len()).min(RESERVE_AHEAD));
            return Ok(None);
        }
        self.buf.advance(4);
        Ok(Some(self.buf.split_to(len).freeze()))
    }

    fn poison(&mut self, err: FrameError) -> FrameError {
        self.buf = BytesMut::new();
        self.poisoned = Some(err.clone());
        err
    }
}

/// Appends one frame: a length placeholder, the body written by `body`, then the
/// length patched in place.
pub fn encode_frame(
    dst: &mut BytesMut,
    body: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    crate::protocol::codec::encode_u32_len_prefixed(dst, "frame", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(data.len() as i32).to_be_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn one_byte_at_a_time_and_many_per_chunk() {
        let mut stream = frames(b"hello");
        stream.extend(frames(b""));
        stream.extend(frames(b"world!"));
        let mut d = FrameDecoder::default();
        let mut got = Vec::new();
        for b in &stream {
            d.handle_bytes(std::slice::from_ref(b));
            while let Some(f) = d.poll_frame().unwrap() {
                got.push(f);
            }
        }
        assert_eq!(got, vec![&b"hello"[..], b"", b"world!"]);

        let mut d = FrameDecoder::default();
        d.handle_bytes(&stream);
        let mut got = Vec::new();
        while let Some(f) = d.poll_frame().unwrap() {
            got.push(f);
        }
        assert_eq!(got.len(), 3);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn hostile_frame_lengths_are_refused() {
        let mut d = FrameDecoder::new(1024);
        d.handle_bytes(&[0x7f, 0xff, 0xff, 0xff]);
        assert_eq!(
            d.poll_frame(),
            Err(FrameError::TooLarge {
                len: i32::MAX as usize,
                max: 1024
            })
        );
        // Poisoned from now on, and holds no buffer.
        d.handle_bytes(&frames(b"ok"));
        assert!(d.poll_frame().is_err());
        assert_eq!(d.buffered(), 0);

        let mut d = FrameDecoder::new(1024);
        d.handle_bytes(&[0xff, 0xff, 0xff, 0xfe]);
        assert_eq!(d.poll_frame(), Err(FrameError::NegativeLength(-2)));
    }

    #[test]
    fn a_long_declared_frame_reserves_only_a_bounded_amount() {
        let mut d = FrameDecoder::new(1 << 30);
        d.handle_bytes(&(1i32 << 29).to_be_bytes());
        d.handle_bytes(&[7; 100]);
        assert_eq!(d.poll_frame().unwrap(), None);
        assert!(
            d.buf.capacity() <= RESERVE_AHEAD + 4096,
            "{}",
            d.buf.capacity()
        );
        // A frame longer than the reservation still arrives whole.
        let mut d = FrameDecoder::new(1 << 30);
        let body = vec![3u8; RESERVE_AHEAD * 2 + 5];
        let wire = frames(&body);
        for chunk in wire.chunks(1 << 20) {
            d.handle_bytes(chunk);
        }
        assert_eq!(d.poll_frame().unwrap().as_deref(), Some(&body[..]));
    }

    #[test]
    fn truncated_frame_waits() {
        let mut d = FrameDecoder::default();
        d.handle_bytes(&[0, 0, 0, 10, 1, 2, 3]);
        assert_eq!(d.poll_frame(), Ok(None));
    }

    #[test]
    fn encode_patches_length() {
        let mut buf = BytesMut::new();
        encode_frame(&mut buf, |b| {
            b.extend_from_slice(b"abc");
            Ok(())
        })
        .unwrap();
        assert_eq!(&buf[..], &[0, 0, 0, 3, b'a', b'b', b'c']);
    }
}
