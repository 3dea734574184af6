//! Values exchanged with the driver and the application: I/O commands, events.

use bytes::Bytes;

use super::error::{ClientError, ProduceError};
use crate::protocol::record::Batch;
use crate::protocol::sc::objects::{
    ObjectDeleteRequest, ObjectKind, ObjectSpec, ObjectUpdateRequest,
};
use crate::protocol::sc::{ObjectListResponse, ObjectWatchResponse, Status};
use crate::protocol::spu::Isolation;
use crate::protocol::spu::consumer_offset::ConsumerOffset;

pub use super::ids::{ConnId, ConsumerId, FlushId, OpId, Peer, ProducerId, SendId};

/// What the driver must do with sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoCommand {
    /// Open a connection and report `handle_connected` or `handle_connect_failed`.
    Connect {
        /// The id to report back.
        conn: ConnId,
        /// `host:port`.
        addr: String,
        /// TLS server name (SNI and verification), `None` for plain TCP.
        server_name: Option<String>,
        /// Which server this is.
        peer: Peer,
    },
    /// Close the connection (no `handle_closed` is needed afterwards).
    Close {
        /// The connection.
        conn: ConnId,
    },
}

/// Where a produced record was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordMetadata {
    /// Partition.
    pub partition: u32,
    /// Offset.
    pub offset: i64,
}

/// Application-facing events, drained with [`Client::poll_event`](super::Client::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The SC connection is up and all three metadata stores are synchronised.
    MetadataReady,
    /// A producer finished creating (topic found, compression resolved) or failed.
    ProducerCreated {
        /// The producer.
        producer: ProducerId,
        /// Success, or why it cannot produce.
        result: Result<(), ClientError>,
    },
    /// A producer whose queue was full can take records again.
    ProducerReady {
        /// The producer.
        producer: ProducerId,
    },
    /// A batch of records was stored: record `sends[i]` is at `base_offset + i`.
    Delivered {
        /// The producer.
        producer: ProducerId,
        /// Partition.
        partition: u32,
        /// Offset of the first record.
        base_offset: i64,
        /// The records, in offset order.
        sends: Vec<SendId>,
        /// An earlier attempt of these records was written and never answered (or timed
        /// out on the SPU): they may also be stored at another offset (an at-least-once
        /// duplicate).
        possible_duplicate: bool,
    },
    /// A batch of records failed for good.
    SendFailed {
        /// The producer.
        producer: ProducerId,
        /// Partition.
        partition: u32,
        /// The records.
        sends: Vec<SendId>,
        /// Why.
        error: ProduceError,
    },
    /// Every record sent before the flush is resolved.
    Flushed {
        /// The producer.
        producer: ProducerId,
        /// The flush.
        flush: FlushId,
        /// `Ok` when all of them were delivered, else the first failure.
        result: Result<(), ProduceError>,
    },
    /// A consumer has events to poll with [`Client::poll_consumer`](super::Client::poll_consumer).
    ConsumerReady {
        /// The consumer.
        consumer: ConsumerId,
    },
    /// An offset flush (or consumer offset list/delete) finished.
    OffsetsFlushed {
        /// The consumer.
        consumer: ConsumerId,
        /// The operation.
        op: OpId,
        /// Outcome.
        result: Result<(), ClientError>,
    },
    /// An admin request, one-shot fetch or consumer-offset request finished.
    OpDone {
        /// The operation.
        op: OpId,
        /// Outcome.
        result: Result<OpOutput, ClientError>,
    },
    /// A user watch has updates to poll with [`Client::poll_watch`](super::Client::poll_watch).
    WatchReady {
        /// The watch.
        op: OpId,
    },
    /// A failure not tied to one request (e.g. an incompatible platform, an SC
    /// connection lost); retriable ones are retried by the client.
    Error(ClientError),
}

/// An admin command, sent to the SC (object commands) or to an SPU (consumer offsets).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // built once per command; boxing would only burden callers
pub enum AdminCommand {
    /// Create an object.
    Create {
        /// Object name.
        name: String,
        /// Validate only.
        dry_run: bool,
        /// SC-side timeout in milliseconds.
        timeout_ms: Option<u32>,
        /// The object.
        spec: ObjectSpec,
    },
    /// Delete an object.
    Delete(ObjectDeleteRequest),
    /// List objects of a kind whose name contains one of the filters (all if empty).
    List {
        /// Kind.
        kind: ObjectKind,
        /// Substring filters.
        name_filters: Vec<String>,
        /// Summaries only (SmartModules without WASM).
        summary: bool,
        /// Include system objects.
        system: bool,
    },
    /// Update an object.
    Update(ObjectUpdateRequest),
    /// List stored consumer offsets.
    ListConsumerOffsets,
    /// Delete the stored offset of a consumer on a partition.
    DeleteConsumerOffset {
        /// Consumer id.
        consumer_id: String,
        /// Topic.
        topic: String,
        /// Partition.
        partition: u32,
    },
}

/// The result of a finished [`Event::OpDone`] operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OpOutput {
    /// Create, delete or update succeeded.
    Status(Status),
    /// Listed objects.
    List(ObjectListResponse),
    /// Stored consumer offsets.
    ConsumerOffsets(Vec<ConsumerOffset>),
    /// A consumer offset was deleted.
    ConsumerOffsetDeleted,
    /// A one-shot fetch.
    Fetch(FetchOutput),
}

/// A one-shot fetch request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSpec {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u32,
    /// First offset.
    pub offset: i64,
    /// Most record bytes.
    pub max_bytes: i32,
    /// Isolation.
    pub isolation: Isolation,
}

/// What a one-shot fetch returned: complete batches only.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchOutput {
    /// High watermark.
    pub high_watermark: i64,
    /// First stored offset.
    pub log_start_offset: i64,
    /// Complete batches (a batch cut at `max_bytes` is left out).
    pub batches: Vec<Batch>,
    /// Their records at or after the requested offset.
    pub records: Vec<ConsumerRecord>,
}

/// A record read by a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    /// Partition.
    pub partition: u32,
    /// Offset.
    pub offset: i64,
    /// Milliseconds since the Unix epoch, -1 when the batch has none.
    pub timestamp: i64,
    /// Key.
    pub key: Option<Bytes>,
    /// Value.
    pub value: Bytes,
}

/// What [`Client::poll_consumer`](super::Client::poll_consumer) returns.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConsumerEvent {
    /// One batch: its records at or after the consumer's position (and before the end
    /// offset when continuous consumption is disabled), and the raw batch.
    Records {
        /// Partition.
        partition: u32,
        /// The records.
        records: Vec<ConsumerRecord>,
        /// The batch as received (zero-copy).
        batch: Batch,
    },
    /// A partition failed for good (it is not read any more).
    Error {
        /// Partition.
        partition: u32,
        /// Why.
        error: ClientError,
    },
    /// A partition reached the end offset known at start (`disable_continuous`).
    PartitionEnd {
        /// Partition.
        partition: u32,
    },
    /// The consumer cannot start (topic or partition unknown, no metadata in time);
    /// [`ConsumerEvent::End`] follows.
    Failed(ClientError),
    /// Every partition ended or failed: nothing more will come.
    End,
}

/// What [`Client::poll_watch`](super::Client::poll_watch) returns.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WatchEvent {
    /// An update (the first one of a (re)started watch is a full sync).
    Update(ObjectWatchResponse),
    /// Updates were dropped because the watch was not drained; the next full sync
    /// (after an SC reconnect) restores the state.
    Lagged {
        /// How many were dropped.
        dropped: u64,
    },
    /// The watch failed for good.
    Error(ClientError),
}

/// What the client holds in memory right now (see
/// [`Client::buffer_stats`](super::Client::buffer_stats)): every figure is bounded by the
/// configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BufferStats {
    /// Most unresolved batches (open, queued, in flight) of one producer partition
    /// (bounded by `batch_queue_size`).
    pub producer_batches: usize,
    /// Most received, unpolled batch bytes of one consumer partition (bounded by
    /// `buffer_bytes` + the partition's `max_bytes`).
    pub consumer_bytes: usize,
    /// Most received bytes of one connection not yet decoded into a frame (bounded by
    /// `max_frame_size` + 4).
    pub conn_in_bytes: usize,
    /// Bytes waiting for the driver to write them, over every connection.
    pub conn_out_bytes: usize,
    /// Requests waiting for an answer or queued for a handshake, over every connection.
    pub pending_requests: usize,
    /// Application events not yet polled.
    pub events: usize,
}

/// Counters of the client's activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Connections requested.
    pub connects: u64,
    /// Connections that failed or broke.
    pub connection_failures: u64,
    /// Requests sent.
    pub requests: u64,
    /// Responses received.
    pub responses: u64,
    /// Responses for no known request (dropped).
    pub unknown_responses: u64,
    /// Bytes handed to the driver.
    pub bytes_out: u64,
    /// Bytes received.
    pub bytes_in: u64,
    /// Records delivered by producers.
    pub records_produced: u64,
    /// Produce retries.
    pub produce_retries: u64,
    /// Records sent again by produce retries (an upper bound on the copies retries can
    /// store).
    pub records_retried: u64,
    /// Records handed to the application by consumers.
    pub records_consumed: u64,
    /// Stream (re)starts by consumers.
    pub stream_starts: u64,
    /// Batches cut by an SPU at `max_bytes` and fetched again whole.
    pub partial_batches: u64,
    /// Read-backs of a partition's batch headers after an unknown produce outcome
    /// (exactly-once producers), one per fetch request.
    pub produce_read_backs: u64,
}
