//! Errors of the client: one enum per boundary, each variant classified as retriable or not.

use std::time::Duration;

use thiserror::Error;

use super::ids::Peer;
use super::transport::TransportFailure;
use crate::protocol::codec::{DecodeError, EncodeError};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::frame::FrameError;

/// Why an operation of the client failed.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The driver could not connect (refused, DNS, TLS handshake, timed out).
    #[error("cannot connect to {peer}: {failure}")]
    ConnectFailed {
        /// The server.
        peer: Peer,
        /// What failed, as the driver saw it.
        failure: TransportFailure,
    },
    /// An open connection failed (I/O or TLS error, transport timeout) before the answer
    /// came.
    #[error("the connection to {peer} failed: {failure}")]
    ConnectionLost {
        /// The server.
        peer: Peer,
        /// What failed, as the driver saw it.
        failure: TransportFailure,
    },
    /// The connection was closed cleanly by the server, or closed by the client as
    /// broken, before the answer came.
    #[error("the connection to {peer} closed")]
    ConnectionClosed {
        /// The server.
        peer: Peer,
    },
    /// No answer in time; the connection is then closed as broken.
    #[error("{peer} did not answer within {timeout:?}")]
    Timeout {
        /// The server.
        peer: Peer,
        /// The limit that expired.
        timeout: Duration,
    },
    /// The server sent bytes that are not a valid answer: the connection is poisoned.
    #[error("protocol error on the connection to {peer}: {message}")]
    Protocol {
        /// The server.
        peer: Peer,
        /// What was wrong.
        message: String,
        /// The decode error behind it, when bytes did not decode.
        #[source]
        source: Option<WireError>,
    },
    /// The server supports no version of an API this codec speaks.
    #[error("{peer} supports {api_key} only at versions {min}..={max}")]
    UnsupportedVersion {
        /// The server.
        peer: Peer,
        /// The API.
        api_key: u16,
        /// Lowest advertised version.
        min: i16,
        /// Highest advertised version.
        max: i16,
    },
    /// The cluster is older than the oldest the official client accepts (0.9.0), or its
    /// SC lacks the Watch API.
    #[error("incompatible platform: {0}")]
    IncompatiblePlatform(String),
    /// The server answered with an error code.
    #[error("server error: {0}")]
    Server(ErrorCode),
    /// An admin request failed on the SC.
    #[error("admin request failed: {code}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Admin {
        /// The error code.
        code: ErrorCode,
        /// The SC's message.
        message: Option<String>,
    },
    /// The topic is not in the cluster's metadata.
    #[error("topic {0:?} not found")]
    TopicNotFound(String),
    /// The partition is not in the cluster's metadata.
    #[error("partition {topic}-{partition} not found")]
    PartitionNotFound {
        /// Topic.
        topic: String,
        /// Partition.
        partition: u32,
    },
    /// Metadata did not arrive in time.
    #[error("no metadata from the SC within {0:?}")]
    MetadataTimeout(Duration),
    /// A partition had no reachable leader (none elected, or its SPU down) for as long as
    /// a stream that ends waits for one ([`ConsumerConfig::leader_wait`](crate::client::ConsumerConfig::leader_wait)).
    #[error("partition {topic}-{partition} has had no reachable leader for {waited:.1?}{}", leader.map(|l| format!(" (leader SPU {l} is unreachable)")).unwrap_or_default())]
    NoLeader {
        /// Topic.
        topic: String,
        /// Partition.
        partition: u32,
        /// The leader the SC names, if any.
        leader: Option<i32>,
        /// How long the stream waited.
        waited: Duration,
    },
    /// A received batch's records cannot be read (bad compression or record framing).
    #[error("cannot read the records of the batch at offset {base_offset}: {source}")]
    CorruptBatch {
        /// The batch's base offset.
        base_offset: i64,
        /// What is wrong.
        #[source]
        source: DecodeError,
    },
    /// One stored batch is larger than the consumer's `max_bytes_limit`.
    #[error("a batch of {size} bytes exceeds the fetch limit of {limit} bytes")]
    BatchTooLarge {
        /// The batch size.
        size: usize,
        /// The limit.
        limit: i32,
    },
    /// A record did not resolve within the producer's delivery timeout.
    #[error("delivery timed out after {0:?}")]
    DeliveryTimeout(Duration),
    /// A read-committed write failed while replicas of its partition were offline or
    /// behind the leader (the high watermark waits for every replica).
    #[error("{cause}; read-committed records wait for every replica: {replicas}")]
    ReplicasBehind {
        /// The failure.
        cause: Box<ClientError>,
        /// The replicas the write waited for, as the SC last described them
        /// (`SPU 5002 offline`, ...).
        replicas: String,
    },
    /// Retries were exhausted.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: Box<ClientError>,
    },
    /// A request could not be encoded (a string or batch too long for the wire).
    #[error("cannot encode the request: {0}")]
    Encode(#[source] EncodeError),
    /// A caller mistake (see [`Misuse`]), not a failure of the cluster or the network.
    #[error(transparent)]
    Misuse(#[from] Misuse),
    /// A read-committed batch is stored on the leader but the replicas named have not
    /// acknowledged it (it is not committed), and the delivery timeout expired.
    #[error("stored at offset {offset} of partition {partition} but not committed: {replicas}")]
    NotCommitted {
        /// The partition.
        partition: u32,
        /// Where the leader stored the batch.
        offset: i64,
        /// The replicas holding it back, as the metadata describes them.
        replicas: String,
    },
}

/// A caller mistake: the application used the client against its contract. Kept apart
/// from transport, protocol and server errors, which retrying or the cluster can fix;
/// these only a change in the caller fixes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Misuse {
    /// The configuration is inconsistent.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The id names no live producer, consumer or operation.
    #[error("unknown {0} id")]
    UnknownId(&'static str),
    /// The producer, consumer or client was closed.
    #[error("closed")]
    Closed,
    /// A read-committed batch is stored on the leader but the replicas named have not
    /// acknowledged it (it is not committed), and the delivery timeout expired.
    #[error("stored at offset {offset} of partition {partition} but not committed: {replicas}")]
    NotCommitted {
        /// The partition.
        partition: u32,
        /// Where the leader stored the batch.
        offset: i64,
        /// The replicas holding it back, as the metadata describes them.
        replicas: String,
    },
}

impl ClientError {
    /// True when the same operation may succeed later (after reconnecting, once
    /// metadata names a new leader, or when the cluster recovers).
    pub fn is_retriable(&self) -> bool {
        match self {
            Self::ConnectFailed { .. }
            | Self::ConnectionLost { .. }
            | Self::ConnectionClosed { .. }
            | Self::Timeout { .. }
            | Self::Protocol { .. }
            | Self::MetadataTimeout(_) => true,
            Self::Server(code) | Self::Admin { code, .. } => code.is_retriable(),
            Self::UnsupportedVersion { .. }
            | Self::IncompatiblePlatform(_)
            | Self::TopicNotFound(_)
            | Self::NoLeader { .. }
            | Self::PartitionNotFound { .. }
            | Self::DeliveryTimeout(_)
            | Self::ReplicasBehind { .. }
            | Self::BatchTooLarge { .. }
            | Self::CorruptBatch { .. }
            | Self::RetriesExhausted { .. }
            | Self::Encode(_)
            | Self::NotCommitted { .. }
            | Self::Misuse(_) => false,
        }
    }
}

/// A decode failure of the bytes a server sent: of the framing or of a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WireError {
    /// The frame itself (length prefix, size limit).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A header or message inside a frame.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Why [`Client::send`](super::Client::send) refused a record (nothing was queued).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SendError {
    /// The partition's batch queue is full: wait for
    /// [`Event::ProducerReady`](super::Event::ProducerReady), then send again.
    #[error("the batch queue of partition {partition} is full")]
    QueueFull {
        /// The partition the record went to.
        partition: u32,
    },
    /// The record alone exceeds `max_request_size`.
    #[error("record of {size} bytes exceeds the maximum request size of {max} bytes")]
    RecordTooLarge {
        /// Size of the record as a batch of one.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The partitioner chose a partition the topic does not have.
    #[error("partition {0} does not exist")]
    PartitionNotFound(u32),
    /// The producer is not ready yet (wait for
    /// [`Event::ProducerCreated`](super::Event::ProducerCreated)).
    #[error("the producer is not ready")]
    NotReady,
    /// No such producer, or it is closing.
    #[error("unknown or closed producer")]
    Closed,
}

/// The final failure of a batch of records.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ProduceError {
    /// The SPU rejected the records with an error that retrying does not fix (or
    /// at-most-once delivery does not retry).
    #[error("the SPU rejected the records: {0}")]
    Rejected(ErrorCode),
    /// The records were never accepted by an SPU.
    #[error("the records were not delivered: {0}")]
    NotDelivered(ClientError),
    /// A request carrying the records was sent but never answered: they may or may not
    /// be stored.
    #[error("the outcome is unknown (sent, never answered): {0}")]
    OutcomeUnknown(ClientError),
    /// The producer closed or the topic disappeared.
    #[error("producer failed: {0}")]
    Producer(ClientError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_classify_as_retriable_or_final() {
        let peer = Peer::Spu(5001);
        assert!(ClientError::ConnectionClosed { peer }.is_retriable());
        assert!(ClientError::Server(ErrorCode::NotLeaderForPartition).is_retriable());
        assert!(!ClientError::Server(ErrorCode::TopicNotFound).is_retriable());
        assert!(!ClientError::TopicNotFound("t".into()).is_retriable());
        assert!(
            ClientError::Timeout {
                peer,
                timeout: Duration::from_secs(1)
            }
            .is_retriable()
        );
        let e = ClientError::Admin {
            code: ErrorCode::TopicAlreadyExists,
            message: Some("t1".into()),
        };
        assert_eq!(
            e.to_string(),
            "admin request failed: the topic already exists: t1"
        );
    }
}
