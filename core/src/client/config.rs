//! Configuration of the client, its producers and its consumers (serde, with upstream's defaults).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::producer::partitioner::PartitionerKind;
use crate::backoff::RetryPolicy;
use crate::protocol::frame::DEFAULT_MAX_FRAME_SIZE;
use crate::protocol::record::Compression;
use crate::protocol::spu::Isolation;
use crate::protocol::spu::smartmodule::SmartModuleInvocation;

/// The official client's default `max_bytes` of a stream fetch: 1 MiB of records plus
/// the response headers and a maximal topic name (`MAX_FETCH_BYTES` upstream).
pub const DEFAULT_MAX_FETCH_BYTES: i32 = 1_048_890;

/// Reconnect backoff settings: from `min` to `max`, multiplied by `factor`, spread by `jitter`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackoffConfig {
    /// First delay.
    pub min: Duration,
    /// Cap.
    pub max: Duration,
    /// Growth factor per failure (≥ 1).
    pub factor: f64,
    /// Random spread, 0..1 (0.2 = ±20 %), from the seeded generator.
    pub jitter: f64,
}

impl Default for BackoffConfig {
    /// Upstream's reconnect backoff (1 s to 30 s, ×1.1), with ±20 % jitter.
    fn default() -> Self {
        Self {
            min: Duration::from_secs(1),
            max: Duration::from_secs(30),
            factor: 1.1,
            jitter: 0.2,
        }
    }
}

impl BackoffConfig {
    /// A [`Backoff`](crate::backoff::Backoff) with these settings.
    pub fn build(&self) -> crate::backoff::Backoff {
        crate::backoff::Backoff::new(self.min, self.max, self.factor, self.jitter)
    }
}

/// Configuration of a [`Client`](super::Client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientConfig {
    /// SC address, `host:port`.
    pub endpoint: String,
    /// Client id in request headers (`fluvio` for the official client).
    pub client_id: String,
    /// Client id of the metadata watch requests (the official client sends `dummy`).
    pub metadata_client_id: String,
    /// Version announced in ApiVersions; the SC requires semver, and SPUs limit
    /// StreamFetch to version 15 when it is empty.
    pub client_version: String,
    /// Connect to SPUs at their `public_endpoint_local` instead of their public endpoint.
    pub use_spu_local_address: bool,
    /// TLS domain: when set, connections are TLS; the SC's server name is the domain and an
    /// SPU's is `<spu-name>.<domain>` (as upstream). `None` = plain TCP.
    pub tls_domain: Option<String>,
    /// Seed of the random generator (jitter): the same seed and inputs give the same run.
    pub seed: u64,
    /// Time allowed from `Connect` to the end of the ApiVersions handshake.
    pub connect_timeout: Duration,
    /// Time allowed for a single-response request (after which the connection is treated
    /// as broken and closed, like upstream's stale sockets).
    pub request_timeout: Duration,
    /// Time allowed for the first response of a streaming request (watch, stream fetch
    /// answers only when records exist, so later responses have no deadline); also the
    /// period of the liveness probe (an ApiVersions request) of connections carrying
    /// streams, which detects half-open peers.
    pub metadata_timeout: Duration,
    /// Largest frame accepted from a server.
    pub max_frame_size: usize,
    /// Reconnect backoff for the SC and SPUs.
    pub reconnect_backoff: BackoffConfig,
    /// Most updates buffered per user watch (see [`Client::watch`](super::Client::watch));
    /// beyond it the oldest are dropped and the watch reports
    /// [`WatchEvent::Lagged`](super::WatchEvent::Lagged).
    pub max_watch_queue: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            endpoint: "127.0.0.1:9003".into(),
            client_id: "fluvio".into(),
            metadata_client_id: "dummy".into(),
            client_version: "0.50.1".into(),
            use_spu_local_address: false,
            tls_domain: None,
            seed: 0,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            metadata_timeout: Duration::from_secs(60),
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            reconnect_backoff: BackoffConfig::default(),
            max_watch_queue: 1024,
        }
    }
}

impl ClientConfig {
    /// The default configuration for the SC at `endpoint`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            ..Self::default()
        }
    }
}

/// Delivery guarantee of a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliverySemantic {
    /// Each batch is sent once; any failure is final.
    AtMostOnce,
    /// Batches are retried under the policy (duplicates are possible when an outcome was
    /// unknown).
    AtLeastOnce(RetryPolicy),
}

impl Default for DeliverySemantic {
    fn default() -> Self {
        Self::AtLeastOnce(RetryPolicy::default())
    }
}

/// Configuration of a producer (upstream `TopicProducerConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProducerConfig {
    /// Largest uncompressed batch, in bytes (a larger record goes alone in its batch).
    pub batch_size: usize,
    /// Largest record (as a batch of one) and largest produce request, in bytes.
    pub max_request_size: usize,
    /// Most unresolved batches (open, queued or in flight) per partition; beyond it
    /// `send` returns `QueueFull` until [`Event::ProducerReady`](super::Event::ProducerReady).
    pub batch_queue_size: usize,
    /// Time from a batch's first record until it is sent. Zero (the default, as
    /// upstream's): a batch goes out at once when its partition has no request in
    /// flight, else it takes the records sent until the partition is idle or the batch
    /// is full (full batches are pipelined up to `max_in_flight`).
    pub linger: Duration,
    /// How records are spread over partitions.
    pub partitioner: PartitionerKind,
    /// Compression; `None` follows the topic's setting.
    pub compression: Option<Compression>,
    /// Server-side processing timeout, sent in the produce request.
    pub timeout: Duration,
    /// Read-uncommitted waits for the leader, read-committed for replication.
    pub isolation: Isolation,
    /// At-most-once or at-least-once with a retry policy.
    pub delivery_semantic: DeliverySemantic,
    /// Produce requests in flight per partition (pipelining on the one SPU connection);
    /// see `linger` for batches that are not full.
    pub max_in_flight: usize,
    /// Time a record may stay unresolved (queued, waiting for a leader, retried) before
    /// it fails; at-least-once also stops at its policy's `timeout`.
    pub delivery_timeout: Duration,
    /// Exactly once across unknown outcomes (on by default): batches carry a random
    /// 63-bit producer id and a per-partition sequence, and after an unknown outcome
    /// (connection lost with the request in flight, server timeout) the producer reads
    /// the partition's batch headers back from its leader before resending: a batch
    /// found there is acknowledged, one not found is sent again. Off: such a batch is
    /// re-sent at once (at-least-once, possible duplicates).
    pub exactly_once: bool,
    /// SmartModules applied by the SPU to produced records (not serialised).
    #[serde(skip)]
    pub smartmodules: Vec<SmartModuleInvocation>,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            batch_size: 16_384,
            max_request_size: 1_048_576,
            batch_queue_size: 100,
            linger: Duration::ZERO,
            partitioner: PartitionerKind::default(),
            compression: None,
            timeout: Duration::from_millis(1500),
            isolation: Isolation::ReadUncommitted,
            delivery_semantic: DeliverySemantic::default(),
            max_in_flight: 5,
            delivery_timeout: Duration::from_secs(300),
            exactly_once: true,
            smartmodules: Vec::new(),
        }
    }
}

/// Where a consumer starts (upstream `Offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Offset {
    /// This absolute offset (a stored consumer offset does not apply).
    Absolute(i64),
    /// `n` records after the start of the partition (or after the stored consumer offset).
    FromBeginning(u32),
    /// `n` records before the end of the partition (or before the stored consumer offset).
    FromEnd(u32),
}

impl Offset {
    /// The first stored record.
    pub fn beginning() -> Self {
        Self::FromBeginning(0)
    }

    /// The next record to be produced.
    pub fn end() -> Self {
        Self::FromEnd(0)
    }

    /// Resolves the offset as upstream does: relative offsets start from the stored
    /// consumer offset's successor (`consumer`) when there is one, and are clamped to
    /// `[start, last_stable]`; the result is never negative.
    pub fn resolve(self, start: i64, last_stable: i64, consumer: Option<i64>) -> i64 {
        let (lo, hi) = (start, last_stable.max(start));
        let resolved = match self {
            Self::Absolute(o) => o,
            Self::FromBeginning(n) => consumer
                .unwrap_or(start)
                .saturating_add(i64::from(n))
                .clamp(lo, hi),
            Self::FromEnd(n) => consumer
                .unwrap_or(last_stable)
                .saturating_sub(i64::from(n))
                .clamp(lo, hi),
        };
        resolved.max(0)
    }
}

/// How consumer offsets are stored (upstream `OffsetManagementStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OffsetManagement {
    /// Not stored.
    #[default]
    None,
    /// Stored by `offset_commit` + `offset_flush`.
    Manual,
    /// Committed as records are polled, flushed every `offset_flush` and on close.
    Auto,
}

/// Configuration of a consumer (upstream `ConsumerConfigExt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerConfig {
    /// Topic.
    pub topic: String,
    /// Partitions; empty = all partitions of the topic.
    pub partitions: Vec<u32>,
    /// Where to start.
    pub offset: Offset,
    /// Consumer id (required for offset management).
    pub consumer_id: Option<String>,
    /// Consumer offset storage.
    pub offset_management: OffsetManagement,
    /// Auto flush period.
    pub offset_flush: Duration,
    /// Stop at the end offset known at start.
    pub disable_continuous: bool,
    /// Largest record set per stream fetch response.
    pub max_bytes: i32,
    /// Largest `max_bytes` the consumer may raise to when one batch does not fit
    /// (the SPU would otherwise cut that batch forever).
    pub max_bytes_limit: i32,
    /// Which records are visible.
    pub isolation: Isolation,
    /// Bytes of received, undrained batches per partition below which the SPU is asked
    /// for more; memory per partition stays below this plus `max_bytes`.
    pub buffer_bytes: usize,
    /// Backoff between stream restarts of a partition (leader change, errors).
    pub retry_backoff: BackoffConfig,
    /// Restarts of a partition stream without progress before it fails (`None` = forever).
    pub max_retries: Option<u32>,
    /// How long a partition stream that ends (`disable_continuous`) waits for a reachable
    /// leader (none elected, or its SPU down) before it fails with
    /// [`ClientError::NoLeader`](crate::client::ClientError::NoLeader); `None` = forever.
    /// A continuous stream always waits: it resumes when a leader comes back.
    pub leader_wait: Option<Duration>,
    /// SmartModules applied by the SPU (not serialised).
    #[serde(skip)]
    pub smartmodules: Vec<SmartModuleInvocation>,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            topic: String::new(),
            partitions: Vec::new(),
            offset: Offset::end(),
            consumer_id: None,
            offset_management: OffsetManagement::None,
            offset_flush: Duration::from_secs(10),
            disable_continuous: false,
            max_bytes: DEFAULT_MAX_FETCH_BYTES,
            max_bytes_limit: 64 << 20,
            isolation: Isolation::ReadUncommitted,
            buffer_bytes: DEFAULT_MAX_FETCH_BYTES as usize,
            retry_backoff: BackoffConfig {
                min: Duration::from_millis(100),
                max: Duration::from_secs(30),
                factor: 2.0,
                jitter: 0.2,
            },
            max_retries: Some(100),
            leader_wait: Some(Duration::from_secs(30)),
            smartmodules: Vec::new(),
        }
    }
}

impl ConsumerConfig {
    /// A consumer of every partition of `topic` starting at `offset`.
    pub fn new(topic: impl Into<String>, offset: Offset) -> Self {
        Self {
            topic: topic.into(),
            offset,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_resolve_like_upstream() {
        // start 10, last stable 50
        assert_eq!(Offset::beginning().resolve(10, 50, None), 10);
        assert_eq!(Offset::end().resolve(10, 50, None), 50);
        assert_eq!(Offset::FromEnd(5).resolve(10, 50, None), 45);
        assert_eq!(Offset::FromEnd(100).resolve(10, 50, None), 10);
        assert_eq!(Offset::FromBeginning(100).resolve(10, 50, None), 50);
        assert_eq!(Offset::Absolute(3).resolve(10, 50, None), 3);
        assert_eq!(Offset::Absolute(3).resolve(10, 50, Some(20)), 3);
        // stored consumer offset 9 → resume at 10
        assert_eq!(Offset::beginning().resolve(0, 50, Some(10)), 10);
        assert_eq!(Offset::FromEnd(2).resolve(0, 50, Some(10)), 8);
        assert_eq!(Offset::Absolute(-5).resolve(0, 0, None), 0);
    }
}
