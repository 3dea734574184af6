//! An in-process Fluvio cluster — one SC and N SPUs — that speaks the real Fluvio 0.50
//! wire protocol through `flv-core`'s codec.
//!
//! **This is a test double, not a Fluvio implementation.** It keeps everything in
//! memory, and exists so that tests,
//! benchmarks and the CLI have a cluster to talk to — like librdkafka's mock cluster.
//! It is faithful where clients can tell: the official `fluvio` 0.50 client works
//! against it unchanged, and its frames have the types, versions and shapes of a real
//! 0.50.2 cluster's (checked against traces captured from one): ApiVersions ranges,
//! watch streams with epochs, full syncs and changes, statuses, replica assignment,
//! error codes, StreamFetch flow control and its cut of the record set at `max_bytes`.
//!
//! Two ways to run it:
//! - [`MockCluster`]: the sans-IO state machine (bytes in, frames out, virtual time
//!   from [`flv_core::time::Instant`], seeded randomness) for deterministic simulations;
//! - [`MockClusterServer`]: a small driver that serves it over loopback TCP (std threads,
//!   no async runtime), with real ports published in the SPU specs.
//!
//! Replication follows a real cluster's rules (per-replica logs, asynchronous follower
//! fetches with a configurable lag, a high watermark that waits for every replica, the
//! real SC's election, no truncation): see the `replication` module's docs.
//!
//! Faults: stop/restart SPUs (with leader election), stop/start the SC, drop
//! connections, delay responses, inject error codes, stall or slow replication.
//!
//! Known departures from a real 0.50.2 cluster (deliberate, see each item's docs):
//! follower fetches are immediate unless a lag is set; elections read each replica's
//! current log end (the real SC its last report); retention by size only (a topic's `max_partition_size`, whole segments, no time-based
//! cleanup); partition statuses that only move offsets are published at most every
//! 20 ms; SmartModules are stored but not run (a request naming a missing one gets the real
//! SPU's `SmartModuleNotFound`, others a chain-init error); no mirroring or periodic watch
//! resyncs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cluster;
mod config;
mod faults;
mod model;
mod pending;
mod replication;
mod sc;
mod server;
mod spu;
mod stats;
mod store;
mod tls;

pub use cluster::MockCluster;
pub use config::{
    CONSUMER_OFFSET_TOPIC, ConnId, MOCK_MAX_FRAME_SIZE, MockConfig, PLATFORM_VERSION, ServerId,
};
pub use flv_core as core;
pub use server::{MockClusterServer, ServerOptions};
pub use stats::ClusterStats;
pub use tls::TlsOptions;

/// Errors of the mock cluster.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The SC rejected an administrative request.
    #[error("rejected with {0:?}: {1}")]
    Rejected(flv_core::error_code::ErrorCode, String),
    /// Binding or configuring a socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// TLS configuration failed.
    #[error("tls: {0}")]
    Tls(String),
}

#[cfg(test)]
mod tests;
