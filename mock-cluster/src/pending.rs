//! Requests a connection keeps open: read-committed produce requests waiting for the
//! high watermark, and StreamFetch sessions. Plain data, used by the cluster
//! ([`crate::cluster`]) and the SPU handlers ([`crate::spu`]) without either importing
//! the other's types.

use flv_core::codec::Version;
use flv_core::spu::produce::ProduceResponse;
use flv_core::spu::{Isolation, ReplicaKey};
use flv_core::time::Instant;

use crate::config::ConnId;

/// A read-committed produce request waiting for replication.
#[derive(Debug, Clone)]
pub(crate) struct PendingProduce {
    pub(crate) conn: ConnId,
    pub(crate) correlation_id: i32,
    pub(crate) version: Version,
    pub(crate) deadline: Instant,
    pub(crate) timeout_ms: u64,
    pub(crate) response: ProduceResponse,
    /// (topic index, partition index in the response, partition, offset the high
    /// watermark must reach).
    pub(crate) waits: Vec<(usize, usize, ReplicaKey, i64)>,
}

/// An open stream fetch.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) correlation_id: i32,
    pub(crate) version: Version,
    pub(crate) key: ReplicaKey,
    /// Where the next response starts.
    pub(crate) offset: i64,
    pub(crate) max_bytes: i32,
    pub(crate) isolation: Isolation,
    /// Consumer id for offset management.
    pub(crate) consumer_id: Option<String>,
    /// A response was sent and not acknowledged yet.
    pub(crate) waiting_ack: bool,
}
