//! In-memory partition logs: batches stored as received, with the base offsets the
//! leader assigned, and reads cut at `max_bytes` the way a real SPU cuts them.

use std::collections::VecDeque;

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

/// Most batches per segment of a log.
const CHUNK: usize = 4096;

/// How much of a partition a log keeps (the topic's storage settings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Retention {
    /// Oldest segments are dropped while the partition is larger than this.
    pub(crate) max_partition_size: Option<u64>,
    /// A segment is closed once it holds this many bytes.
    pub(crate) segment_size: Option<u64>,
}

/// Consecutive stored batches, dropped together by retention.
#[derive(Debug, Clone, Default)]
struct Segment {
    batches: Vec<Stored>,
    bytes: u64,
}

/// The log of one partition (shared by its replicas: a follower's copy is the prefix
/// up to its log end offset).
///
/// Stored in segments of at most [`CHUNK`] batches (and at most the topic's segment
/// size), so that an append never moves the batches already stored (a growing `Vec` of
/// millions of batches would stall every request for milliseconds each time it doubles),
/// and so that retention drops the oldest segments whole once the partition is larger
/// than the topic's `max_partition_size`, as a real SPU does: the log start offset
/// moves up, and reads from below it are out of range.
#[derive(Debug, Clone, Default)]
pub(crate) struct Log {
    segments: VecDeque<Segment>,
    start: i64,
    end: i64,
    size: u64,
    retention: Retention,
}

impl Log {
    /// An empty log kept within `retention`.
    pub(crate) fn new(retention: Retention) -> Self {
        Self {
            retention,
            ..Self::default()
        }
    }

    /// The offset of the first record kept (log start offset).
    pub(crate) fn start(&self) -> i64 {
        self.start
    }

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
        let bytes = u64::try_from(size).unwrap_or(u64::MAX);
        let full = |s: &Segment| {
            s.batches.len() == CHUNK || self.retention.segment_size.is_some_and(|m| s.bytes >= m)
        };
        if self.segments.back().is_none_or(full) {
            self.segments.push_back(Segment {
                batches: Vec::with_capacity(CHUNK),
                bytes: 0,
            });
        }
        let Some(segment) = self.segments.back_mut() else {
            return base;
        };
        segment.batches.push(Stored {
            batch,
            base,
            next,
            size,
        });
        segment.bytes = segment.bytes.saturating_add(bytes);
        self.end = next;
        self.size = self.size.saturating_add(bytes);
        self.retain();
        base
    }

    /// Drops the oldest segments (never the one being written) while the partition is
    /// larger than its maximum size.
    fn retain(&mut self) {
        let Some(max) = self.retention.max_partition_size else {
            return;
        };
        while self.size > max && self.segments.len() > 1 {
            if let Some(old) = self.segments.pop_front() {
                self.size = self.size.saturating_sub(old.bytes);
            }
            if let Some(first) = self.segments.front().and_then(|s| s.batches.first()) {
                self.start = first.base;
            }
        }
    }

    /// Every stored batch as (base offset, next offset, bytes).
    pub(crate) fn layout(&self) -> Vec<(i64, i64, usize)> {
        self.segments
            .iter()
            .flat_map(|s| &s.batches)
            .map(|b| (b.base, b.next, b.size))
            .collect()
    }

    /// The stored batches from the one that contains `offset` (from the first batch for
    /// offsets before it) to the end.
    fn batches_from(&self, offset: i64) -> impl Iterator<Item = &Stored> {
        let c = self
            .segments
            .partition_point(|s| s.batches.last().is_some_and(|b| b.next <= offset));
        let first = match self.segments.get(c) {
            Some(s) => &s.batches[s.batches.partition_point(|b| b.next <= offset)..],
            None => &[][..],
        };
        first.iter().chain(
            self.segments
                .range((c + 1).min(self.segments.len())..)
                .flat_map(|s| &s.batches),
        )
    }

    /// Every record kept, as (offset, value), in log order (batches that do not decode
    /// are skipped).
    pub(crate) fn records(&self) -> Vec<(i64, Bytes)> {
        let mut out = Vec::new();
        for stored in self.segments.iter().flat_map(|s| &s.batches) {
            let Ok(records) = stored
                .batch
                .records_with_limit(flv_core::record::DEFAULT_MAX_DECOMPRESSED)
            else {
                continue;
            };
            for r in records {
                out.push((stored.batch.record_offset(&r), r.value));
            }
        }
        out
    }

    /// Copies of the stored batches from the one that starts at `offset` to the end
    /// (what a follower whose log ends at `offset` fetches); empty at the end; `None`
    /// when no batch starts there (the offset falls inside a batch, before the log start
    /// or past its end).
    pub(crate) fn batches_at(&self, offset: i64) -> Option<Vec<Batch>> {
        if offset == self.end {
            return Some(Vec::new());
        }
        let mut it = self.batches_from(offset).peekable();
        if it.peek().is_none_or(|b| b.base != offset) {
            return None;
        }
        Some(it.map(|s| s.batch.clone()).collect())
    }

    /// Reads from the batch containing `offset` up to `limit` (exclusive, a batch
    /// boundary: the high watermark or the log end), at most `max_bytes` bytes of
    /// batches. Like a real SPU, which sends a slice of its log file, the set is cut at
    /// `max_bytes` even inside a batch: the last batch then arrives truncated.
    pub(crate) fn read(&self, offset: i64, limit: i64, max_bytes: i32) -> RecordSet {
        let mut set = RecordSet::default();
        let mut budget = usize::try_from(max_bytes).unwrap_or(0);
        for stored in self.batches_from(offset) {
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
        assert_eq!(log.segments.len(), 3);
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

    #[test]
    fn retention_drops_the_oldest_segments_whole() {
        let one = u64::try_from(batch(2).encoded_size()).unwrap();
        let mut log = Log::new(Retention {
            max_partition_size: Some(10 * one),
            segment_size: Some(4 * one),
        });
        for _ in 0..9 {
            log.append(batch(2));
        }
        // Segments of 4 batches: [0..8) [8..16) [16..18); 9 batches fit in 10.
        assert_eq!((log.start(), log.end(), log.size()), (0, 18, 9 * one));
        log.append(batch(2));
        log.append(batch(2));
        // 11 batches: the first segment goes; the log starts at offset 8.
        assert_eq!((log.start(), log.end(), log.size()), (8, 22, 7 * one));
        assert_eq!(log.read(0, 22, i32::MAX).base_offset(), Some(8));
        assert_eq!(log.read(12, 22, i32::MAX).base_offset(), Some(12));
        // Without a limit nothing is dropped.
        let mut log = Log::default();
        for _ in 0..100 {
            log.append(batch(1));
        }
        assert_eq!((log.start(), log.end()), (0, 100));
    }
}
