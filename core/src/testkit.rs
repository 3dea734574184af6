//! Fixtures shared by the unit tests of several modules (compiled for tests only).

use std::time::Duration;

use bytes::Bytes;

use crate::protocol::record::Record;
use crate::time::Instant;

/// The instant `ms` milliseconds after the origin.
pub(crate) fn at(ms: u64) -> Instant {
    Instant::from_origin(Duration::from_millis(ms))
}

/// `n` records of varied shape: every other one keyed, values of varied length,
/// increasing timestamp deltas.
pub(crate) fn sample_records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            timestamp_delta: i as i64 * 3,
            key: (i % 2 == 0).then(|| Bytes::from(format!("key-{i}"))),
            value: Bytes::from(format!("value number {i} ").repeat(i % 7 + 1)),
            ..Record::default()
        })
        .collect()
}
