//! The official `fluvio::metrics` module: [`ClientMetrics`] with its record counters.
//!
//! `fluvio.metrics().consumer().records.load(Ordering::Relaxed)` and
//! `producer_client()` read as with the official client; flv's own counters stay
//! beside them (`metrics.client`, `reconnects`, `driver_wakeups`).

use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::fluvio::ClientMetrics;

/// Records and bytes counted for one kind of activity (the official `RecordCounter`).
///
/// A snapshot taken by [`Fluvio::metrics`](crate::Fluvio::metrics); the fields are
/// atomics, as the official client's, so its `records.load(..)` calls compile unchanged.
#[derive(Debug, Default)]
pub struct RecordCounter {
    /// Records.
    pub records: AtomicU64,
    /// Bytes.
    pub bytes: AtomicU64,
}

impl RecordCounter {
    /// A counter holding these values.
    pub fn new(records: u64, bytes: u64) -> Self {
        Self {
            records: AtomicU64::new(records),
            bytes: AtomicU64::new(bytes),
        }
    }

    /// The records counted.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    /// The bytes counted.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl Clone for RecordCounter {
    fn clone(&self) -> Self {
        Self::new(self.records(), self.bytes())
    }
}

impl PartialEq for RecordCounter {
    fn eq(&self, other: &Self) -> bool {
        self.records() == other.records() && self.bytes() == other.bytes()
    }
}

impl Eq for RecordCounter {}
