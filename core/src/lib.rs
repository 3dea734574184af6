//! Sans-IO core of flv, a client for the Fluvio streaming platform.
//!
//! This crate performs no I/O, spawns no threads and never reads a clock. It holds:
//! - [`codec`]: the wire codec (primitives, traits, derive macros);
//! - [`frame`]: length-prefixed framing with a bounded frame decoder;
//! - [`header`]: request and response headers;
//! - [`error_code`]: Fluvio's `ErrorCode` with every variant;
//! - [`api_versions`]: the ApiVersions handshake messages;
//! - [`record`]: record batches, records, record sets and compression;
//! - [`spu`]: the SPU (data plane) messages;
//! - [`sc`]: the SC (control plane) admin messages and object specs;
//! - [`message`]: dispatch of any frame to its typed message by api key and version;
//! - [`official`]: the official client's value types (`RecordKey`, `RecordData`) and accessors;
//! - [`trace`]: the `flv-trace v1` text format of captured traffic;
//! - [`client`]: the whole client (connections, metadata, producers, consumers, admin)
//!   as one deterministic state machine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api_versions;
pub mod backoff;
pub mod client;
pub mod codec;
pub mod error_code;
pub mod frame;
pub mod header;
pub mod message;
pub mod official;
pub mod producer;
pub mod record;
pub mod rng;
pub mod sc;
pub mod spu;
pub mod time;
pub mod trace;
