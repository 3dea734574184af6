//! Decoding a batch's records one at a time, without collecting them.

use std::iter::FusedIterator;

use bytes::Bytes;

use super::data::{MIN_RECORD_SIZE, Record, decode_at};
use crate::protocol::codec::{DecodeError, Reader};

/// The records of a batch, decoded on demand (see
/// [`Batch::iter_records`](super::Batch::iter_records)).
///
/// Holds the (decompressed) records section; each record's key and value are zero-copy
/// slices of it, so a record costs a varint parse and one reference-count increment
/// per key or value, and no allocation. Yields an error at most once, then ends: for a
/// record that does not decode, or for bytes left after the announced count.
#[derive(Debug, Clone)]
pub struct RecordIter {
    /// The records section after its `i32` count.
    section: Bytes,
    /// Where the next record starts in `section`.
    at: usize,
    /// Records still to decode.
    left: usize,
    /// Set once an error was yielded or the end was checked.
    done: bool,
}

impl RecordIter {
    /// Iterates a decompressed records section (`i32` count, then the records) of a
    /// batch whose header announces `expected` offsets.
    ///
    /// A batch may hold fewer records than its offsets span: a real SPU that runs a
    /// SmartModule filter on a stream sends each batch with its original
    /// `last_offset_delta` and only the records that passed, each with its own offset
    /// delta (checked against a real SPU in `tests/tests/real_smartmodule.rs`). More records
    /// than offsets is refused.
    pub(super) fn new(section: Bytes, expected: i64) -> Result<Self, DecodeError> {
        let mut src = Reader::new(section);
        let count = src.i32()?;
        if count < 0 || i64::from(count) > expected {
            return Err(DecodeError::InvalidValue {
                what: "record batch",
                message: format!(
                    "{count} records but last_offset_delta {} announces {expected} offsets",
                    expected - 1
                ),
            });
        }
        // `0 <= count <= last_offset_delta + 1` here; a count the bytes present cannot
        // hold is refused before anyone sizes a buffer by it.
        let left = usize::try_from(count).unwrap_or(0);
        if left.saturating_mul(MIN_RECORD_SIZE) > src.remaining() {
            return Err(DecodeError::InvalidLength {
                what: "record count",
                len: i64::from(count),
            });
        }
        Ok(Self {
            section: src.rest(),
            at: 0,
            left,
            done: false,
        })
    }

    /// Records not yet yielded (the count the batch announced, minus those decoded).
    pub fn remaining(&self) -> usize {
        if self.done { 0 } else { self.left }
    }
}

impl Iterator for RecordIter {
    type Item = Result<Record, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.left == 0 {
            self.done = true;
            let remaining = self.section.len().saturating_sub(self.at);
            return (remaining != 0).then_some(Err(DecodeError::TrailingBytes {
                what: "record batch records",
                remaining,
            }));
        }
        self.left -= 1;
        let record = decode_at(&self.section, &mut self.at);
        if record.is_err() {
            self.done = true;
        }
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        // An error can end the records early, and trailing bytes add one error.
        (usize::from(self.left > 0), Some(self.left + 1))
    }
}

impl FusedIterator for RecordIter {}
