//! The wire protocol: everything a byte touches, nothing that decides.
//!
//! - [`codec`]: the wire codec (primitives, traits, derive macros);
//! - [`frame`]: length-prefixed framing with a bounded frame decoder;
//! - [`header`]: request and response headers;
//! - [`error_code`]: Fluvio's `ErrorCode` with every variant;
//! - [`api_versions`]: the ApiVersions handshake messages;
//! - [`record`]: record batches, records, record sets and compression;
//! - [`types`]: the protocol types shared by the SPU and SC messages ([`ReplicaKey`]);
//! - [`spu`]: the SPU (data plane) messages;
//! - [`sc`]: the SC (control plane) admin messages and object specs;
//! - [`message`]: dispatch of any frame to its typed message by api key and version.
//!
//! Arrows run one way: the client (`crate::client`) uses this module, never the reverse.

pub mod api_versions;
pub mod codec;
pub mod error_code;
pub mod frame;
pub mod header;
pub mod message;
pub mod record;
pub mod sc;
pub mod spu;
pub mod types;

pub use types::ReplicaKey;
