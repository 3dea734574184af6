//! In-memory partition logs: batches stored as received, with the base offsets the
//! leader assigned, and reads cut at `max_bytes` the way a real SPU cuts them.

use bytes::{Bytes, BytesMut};
use flv_core::codec::Encode;
use flv_core::record::{Batch, PartialBatch, RecordSet};

/// One stored batch.
#[derive(Debug, Clone)]
struct Stored {
    batch: Batch,
    base: i64,
    next: i64,
    size: usize,
}

/// Batches per chunk of a log.
const CHUNK: usize = 4096;

/// The log of one partition (shared by its replicas: a follower's copy is the prefix
/// up to its log end offset). Stored in fixed-size chunks, so that an append never moves
/// the batches already stored (a growing `Vec` of millions of batches would stall every
/// request for milliseconds each time it doubles).
#[derive(Debug, Clone, Default)]
pub(crate) struct Log {
    chunks: Vec<Vec<Stored>>,
    end: i64,
    size: u64,
}

impl Log {
    /// The offset the next record gets (log end offset).
    pub(crate) fn end(&self) -> i64 {
        self.end
    }

    /// Bytes stored.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Appends `batch` at the log end, giving it its base offset; returns that offset.
    pub(crate) fn append(&mut self, mut batch: Batch) -> i64 {
        let base = self.end;
        batch.set_base_offset(base);
        let count = i64::try_from(batch.records_count()).unwrap_or(i64::MAX);
        let next = base.saturating_add(count.max(1));
        let size = batch.encoded_size();
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let Some(chunk) = self.chunks.last_mut() else {
            return base;
        };
        chunk.push(Stored {
            batch,
            base,
            next,
            size,
        });
        self.end = next;
        self.size = self
            .size
            .saturating_add(u64::try_from(size).unwrap_or(u64::MAX));
        base
    }

    /// Every stored batch as (base offset, next offset, bytes).
    pub(crate) fn layout(&self) -> Vec<(i64, i64, usize)> {
        self.chunks
            .iter()
            .flatten()
            .map(|b| (b.base, b.next, b.size))
            .collect()
    }

    /// The stored batches from the one that contains `offset` (from the first batch for
    /// offsets before it) to the end.
    fn from_offset(&self, offset: i64) -> impl Iterator<Item = &Stored> {
        let c = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|b| b.next <= offset));
        let (first, rest) = match self.chunks.get(c) {
            Some(chunk) => (
                &chunk[chunk.partition_point(|b| b.next <= offset)..],
                &self.chunks[c + 1..],
            ),
            None => (&[][..], &[][..]),
        };
        first.iter().chain(rest.iter().flatten())
    }

    /// Reads from the batch containing `offset` up to `limit` (exclusive, a batch
    /// boundary: the high watermark or the log end), at most `max_bytes` bytes of
    /// batches. Like a real SPU, which sends a slice of its log file, the set is cut at
    /// `max_bytes` even inside a batch: the last batch then arrives truncated.
    pub(crate) fn read(&self, offset: i64, limit: i64, max_bytes: i32) -> RecordSet {
        let mut set = RecordSet::default();
        let mut budget = usize::try_from(max_bytes).unwrap_or(0);
        for stored in self.from_offset(offset) {
            if stored.next > limit {
                break;
            }
            if stored.size <= budget {
                budget -= stored.size;
                set.batches.push(stored.batch.clone());
                continue;
            }
            if budget > 0 {
                let mut buf = BytesMut::with_capacity(stored.size);
                // Encoding a stored batch cannot fail: it was decoded from the wire.
                if stored.batch.encode(&mut buf, 0).is_ok() {
                    let bytes: Bytes = buf.freeze().slice(..budget);
                    set.partial = Some(PartialBatch {
                        base_offset: (budget >= 8).then_some(stored.base),
                        bytes,
                    });
                }
            }
            break;
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flv_core::record::{Compression, Record};

    fn batch(n: usize) -> Batch {
        Batch::from_records(
            (0..n).map(|i| Record::new(format!("value-{i:04}"))),
            Compression::None,
            1,
        )
        .unwrap()
    }

    #[test]
    fn offsets_and_cut_reads() {
        let mut log = Log::default();
        assert_eq!(log.append(batch(3)), 0);
        assert_eq!(log.append(batch(2)), 3);
        assert_eq!(log.append(batch(4)), 5);
        assert_eq!(log.end(), 9);
        let one = batch(3).encoded_size();
        // From an offset inside the second batch: starts at that batch.
        let set = log.read(4, 9, i32::MAX);
        assert_eq!(set.batches.len(), 2);
        assert_eq!(set.base_offset(), Some(3));
        // Cut inside the second batch.
        let set = log.read(0, 9, i32::try_from(one + 20).unwrap());
        assert_eq!(set.batches.len(), 1);
        let partial = set.partial.as_ref().unwrap();
        assert_eq!(partial.base_offset, Some(3));
        assert_eq!(partial.bytes.len(), 20);
        assert_eq!(set.encoded_size(), 4 + one + 20);
        // Limit at the high watermark.
        assert_eq!(log.read(0, 5, i32::MAX).batches.len(), 2);
        assert!(log.read(9, 9, i32::MAX).batches.is_empty());
    }

    #[test]
    fn reads_cross_chunks() {
        let mut log = Log::default();
        for i in 0..(2 * CHUNK + 3) {
            assert_eq!(log.append(batch(2)), i64::try_from(2 * i).unwrap());
        }
        assert_eq!(log.chunks.len(), 3);
        let end = log.end();
        assert_eq!(end, i64::try_from(2 * (2 * CHUNK + 3)).unwrap());
        // From the last batch of the first chunk on: every later batch, across chunks.
        let from = i64::try_from(2 * CHUNK - 1).unwrap();
        let set = log.read(from, end, i32::MAX);
        assert_eq!(set.batches.len(), CHUNK + 4);
        assert_eq!(set.base_offset(), Some(from - 1));
        // At a chunk boundary, and past the end.
        let at = i64::try_from(4 * CHUNK).unwrap();
        assert_eq!(log.read(at, end, i32::MAX).base_offset(), Some(at));
        assert!(log.read(end, end, i32::MAX).batches.is_empty());
        assert_eq!(log.layout().len(), 2 * CHUNK + 3);
    }
}
