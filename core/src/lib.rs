//! Sans-IO core of flv, a client for the Fluvio streaming platform.
//!
//! This crate performs no I/O, spawns no threads and never reads a clock. It holds:
//! - [`protocol`]: the wire — codec, framing, headers, error codes, ApiVersions, record
//!   batches, the SPU and SC messages, and dispatch by api key and version (re-exported at
//!   the crate root under their former paths: [`codec`], [`frame`], [`header`],
//!   [`error_code`], [`api_versions`], [`record`], [`spu`], [`sc`], [`message`]);
//! - [`official`]: the official client's value types (`RecordKey`, `RecordData`) and accessors;
//! - [`client`]: the whole client (connections, metadata, producers, consumers, admin)
//!   as one deterministic state machine, built of components;
//! - [`trace`]: the `flv-trace v1` text format of captured traffic;
//! - [`time`], [`rng`], [`backoff`]: virtual time, the seeded generator, retry delays.
//!
//! Arrows run one way: `client` uses `protocol`, `protocol` never names `client`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backoff;
pub mod client;
pub mod official;
pub mod protocol;
pub mod rng;
pub mod time;
pub mod trace;

#[cfg(test)]
mod testkit;

// The paths of the protocol modules before they moved into `protocol/`, kept for callers.
pub use protocol::{api_versions, codec, error_code, frame, header, message, record, sc, spu};

/// Producer logic: partitioning (the partitioner lives with the producer in `client/`).
pub mod producer {
    pub use crate::client::partitioner;
}
