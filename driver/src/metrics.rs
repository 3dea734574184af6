//! The official `fluvio::metrics` module: [`ClientMetrics`] with its record counters.
//!
//! `fluvio.metrics().consumer().records.load(Ordering::Relaxed)` and
//! `producer_client()` read as with the official client; flv's own counters stay
//! beside them (`metrics.client`, `reconnects`, `driver_wakeups`).

use std::sync::atomic::{AtomicU64, Ordering};

use flv_core::client::Metrics;

use crate::shared::Inner;

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

/// Activity counters of a client (see [`Fluvio::metrics`](crate::Fluvio::metrics)), shaped
/// as the official `ClientMetrics` ([`consumer`](Self::consumer), [`producer_client`](Self::producer_client),
/// [`producer_connector`](Self::producer_connector)) with flv's counters beside them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientMetrics {
    /// The state machine's counters: records produced and consumed, bytes in and out,
    /// requests, responses, produce retries, connects and connection failures.
    pub client: Metrics,
    /// Connections opened again to a server that had one before.
    pub reconnects: u64,
    /// Turns of the driver loop (each handles every input queued at that time).
    pub driver_wakeups: u64,
    consumer: RecordCounter,
    producer_client: RecordCounter,
    producer_connector: RecordCounter,
}

impl ClientMetrics {
    /// The counters of the client behind `inner`.
    pub(crate) fn of(inner: &Inner) -> Self {
        let st = inner.lock();
        let client = st.client.metrics().clone();
        ClientMetrics {
            consumer: RecordCounter::new(client.records_consumed, client.bytes_in),
            producer_client: RecordCounter::new(client.records_produced, client.bytes_out),
            producer_connector: RecordCounter::default(),
            client,
            reconnects: st.counters.reconnects,
            driver_wakeups: st.counters.wakeups,
        }
    }

    /// Records handed to consumers; bytes received by the client (all responses, a
    /// superset of the official client's fetched batch bytes).
    pub fn consumer(&self) -> &RecordCounter {
        &self.consumer
    }

    /// Records delivered by producers; bytes sent by the client (all requests, a
    /// superset of the official client's produced batch bytes).
    pub fn producer_client(&self) -> &RecordCounter {
        &self.producer_client
    }

    /// The official client's counter of connector producers: always zero in flv.
    pub fn producer_connector(&self) -> &RecordCounter {
        &self.producer_connector
    }
}
