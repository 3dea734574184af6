//! Fluvio's `ErrorCode`: an `i16` tag followed by the variant's payload.
//!
//! Every variant of upstream `fluvio-protocol` `link::ErrorCode` (0.50) is here with
//! its tag and payload layout. Variant names follow upstream, spelling included
//! (`SpuRegisterationFailed`, `FetchSessionNotFoud`), so that logs and documentation
//! of the official client map one to one.

mod payload;
mod wire;

pub use payload::{
    RequestKind, SmartModuleErrorKind, SmartModuleInitRuntimeError,
    SmartModuleTransformRuntimeError, VarintBytes,
};

use crate::protocol::types::ReplicaKey;

/// An error code as carried in responses (`None` means success).
///
/// Wire form: `i16` tag, then the variant's fields in order (see [`ErrorCode::tag`]).
/// Decoding an unknown tag fails with
/// [`DecodeError::UnknownTag`](crate::protocol::codec::DecodeError::UnknownTag): the payload
/// length of an unknown variant cannot be known, so the rest of the frame is unreadable.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum ErrorCode {
    /// An unknown server error (tag -1).
    #[error("an unknown server error occurred")]
    UnknownServerError,
    /// Success (tag 0).
    #[default]
    #[error("no error")]
    None,
    /// The requested offset is out of range (tag 1).
    #[error("offset out of range")]
    OffsetOutOfRange,
    /// Any other error, with a message (tag 2).
    #[error("other error: {0}")]
    Other(String),
    /// The SPU is not the leader of the partition (tag 6).
    #[error("the SPU is not the leader for the partition")]
    NotLeaderForPartition,
    /// The request exceeded its timeout (tag 7).
    #[error("the {kind} request exceeded its timeout of {timeout_ms} ms")]
    RequestTimedOut {
        /// The timeout that expired, in milliseconds.
        timeout_ms: u64,
        /// The kind of request.
        kind: RequestKind,
    },
    /// The message is too large (tag 10).
    #[error("the message is too large")]
    MessageTooLarge,
    /// Permission denied (tag 13).
    #[error("permission denied")]
    PermissionDenied,
    /// The SPU storage failed (tag 56).
    #[error("a storage error occurred")]
    StorageError,
    /// Invalid create request (tag 60).
    #[error("invalid create request")]
    InvalidCreateRequest,
    /// Invalid delete request (tag 61).
    #[error("invalid delete request")]
    InvalidDeleteRequest,
    /// The offset was evicted by retention (tag 71).
    #[error("offset {offset} was evicted; the next available offset is {next_available}")]
    OffsetEvicted {
        /// The offset requested.
        offset: i64,
        /// The first offset still stored.
        next_available: i64,
    },
    /// The partition storage is full (tag 72).
    #[error("the storage of partition {replica_key} is full")]
    PartitionFull {
        /// The full partition.
        replica_key: ReplicaKey,
    },
    /// The partition is short-circuited (tag 73).
    #[error("the partition is short-circuited")]
    PartitionShortCircuited,

    /// An SPU error (tag 1000).
    #[error("an error occurred on the SPU")]
    SpuError,
    /// SPU registration failed (tag 1001; upstream spelling).
    #[error("failed to register the SPU")]
    SpuRegisterationFailed,
    /// The SPU is offline (tag 1002).
    #[error("the SPU is offline")]
    SpuOffline,
    /// The SPU was not found (tag 1003).
    #[error("the SPU was not found")]
    SpuNotFound,
    /// The SPU already exists (tag 1004).
    #[error("the SPU already exists")]
    SpuAlreadyExists,

    /// A topic error (tag 2000).
    #[error("a topic error occurred")]
    TopicError,
    /// The topic was not found (tag 2001).
    #[error("the topic was not found")]
    TopicNotFound,
    /// The topic already exists (tag 2002).
    #[error("the topic already exists")]
    TopicAlreadyExists,
    /// The topic is not initialised yet (tag 2003).
    #[error("the topic is not initialized yet")]
    TopicPendingInitialization,
    /// The topic configuration is invalid (tag 2004).
    #[error("the topic configuration is invalid")]
    TopicInvalidConfiguration,
    /// The topic is not provisioned yet (tag 2005).
    #[error("the topic is not provisioned")]
    TopicNotProvisioned,
    /// The topic name is invalid (tag 2006).
    #[error("the topic name is invalid")]
    TopicInvalidName,
    /// The topic was deleted (tag 2007).
    #[error("the topic was deleted")]
    TopicDeleted,
    /// The topic has an invalid replica type (tag 2008).
    #[error("the topic has an invalid replica type")]
    TopicInvalidReplicaType,

    /// The partition is not initialised yet (tag 3000).
    #[error("the partition is not initialized yet")]
    PartitionPendingInitialization,
    /// The SPU is not the partition leader (tag 3001).
    #[error("the partition is not a leader on this SPU")]
    PartitionNotLeader,
    /// The stream fetch session was not found (tag 3002; upstream spelling).
    #[error("the fetch session was not found")]
    FetchSessionNotFoud,
    /// Flushing the consumer offset failed (tag 3003).
    #[error("consumer offset flush failed: {0}")]
    OffsetFlushRequestError(String),
    /// Offset management is disabled for the stream (tag 3004).
    #[error("offset management is disabled for this stream")]
    OffsetManagementDisabled,
    /// The client gave up retrying (tag 3005).
    #[error("maximum retry attempts reached")]
    MaxRetryReached,

    /// A managed connector error (tag 5000).
    #[error("a managed connector error occurred")]
    ManagedConnectorError,
    /// The managed connector was not found (tag 5001).
    #[error("the managed connector was not found")]
    ManagedConnectorNotFound,
    /// The managed connector already exists (tag 5002).
    #[error("the managed connector already exists")]
    ManagedConnectorAlreadyExists,

    /// A SmartModule error (tag 6000).
    #[error("a SmartModule error occurred")]
    SmartModuleError,
    /// The SmartModule was not found (tag 6001).
    #[error("SmartModule {name} was not found")]
    SmartModuleNotFound {
        /// The SmartModule name.
        name: String,
    },
    /// The SmartModule is invalid (tag 6002).
    #[error("SmartModule is invalid: {error}")]
    SmartModuleInvalid {
        /// What is wrong.
        error: String,
        /// The SmartModule name, if known.
        name: Option<String>,
    },
    /// The SmartModule does not export the expected function (tag 6003).
    #[error("SmartModule is not a valid '{kind}' SmartModule: {error}")]
    SmartModuleInvalidExports {
        /// What is wrong.
        error: String,
        /// The expected kind.
        kind: String,
    },
    /// The SmartModule failed at run time (tag 6004).
    #[error("SmartModule runtime error: {0}")]
    SmartModuleRuntimeError(Box<SmartModuleTransformRuntimeError>),
    /// The SmartModule chain failed to initialise (tag 6005).
    #[error("failed to initialize the {0} SmartModule chain")]
    SmartModuleChainInitError(String),
    /// The SmartModule failed to initialise (tag 6006).
    #[error("SmartModule init error: {0}")]
    SmartModuleInitError(SmartModuleInitRuntimeError),
    /// The SmartModule look-back failed (tag 6007).
    #[error("SmartModule look-back error: {0}")]
    SmartModuleLookBackError(String),
    /// The SmartModule exceeded its memory limit (tag 6008).
    #[error("SmartModule memory limit exceeded: requested {requested} bytes, maximum {max} bytes")]
    SmartModuleMemoryLimitExceeded {
        /// Bytes requested.
        requested: u64,
        /// Bytes allowed.
        max: u64,
    },

    /// A table format error (tag 7000).
    #[error("a table format error occurred")]
    TableFormatError,
    /// The table format was not found (tag 7001).
    #[error("the table format was not found")]
    TableFormatNotFound,
    /// The table format already exists (tag 7002).
    #[error("the table format already exists")]
    TableFormatAlreadyExists,

    /// A derived stream error (tag 8000).
    #[error("a derived stream error occurred")]
    DerivedStreamObjectError,
    /// The derived stream was not found (tag 8001).
    #[error("derived stream {0} was not found")]
    DerivedStreamNotFound(String),
    /// The derived stream join data could not be fetched (tag 8002).
    #[error("the derived stream join data could not be fetched")]
    DerivedStreamJoinFetchError,
    /// The derived stream is invalid (tag 8003).
    #[error("derived stream {0} is invalid")]
    DerivedStreamInvalid(String),

    /// The SPU failed to compress or decompress (tag 9000).
    #[error("a compression error occurred on the SPU")]
    CompressionError,

    /// The deduplication SmartModule is not loaded (tag 10000).
    #[error("the deduplication SmartModule is not loaded in the cluster")]
    DeduplicationSmartModuleNotLoaded,
    /// The deduplication SmartModule name is invalid (tag 10001).
    #[error("the deduplication SmartModule name is invalid: {0}")]
    DeduplicationSmartModuleNameInvalid(String),

    /// The mirror was not found (tag 11001).
    #[error("the mirror was not found")]
    MirrorNotFound,
    /// The mirror already exists (tag 11002).
    #[error("the mirror already exists")]
    MirrorAlreadyExists,
    /// Producing from home is not allowed (tag 11003).
    #[error("producing from home is not allowed")]
    MirrorProduceFromHome,
    /// Deleting from remote is not allowed (tag 11004).
    #[error("deleting from remote is not allowed")]
    MirrorDeleteFromRemote,
    /// The mirror type is invalid (tag 11005).
    #[error("the mirror type is invalid")]
    MirrorInvalidType,
    /// Producing to a remote target is not allowed (tag 11006).
    #[error("producing from a remote target is not allowed")]
    MirrorProduceFromRemoteNotAllowed,

    /// A system object can only be deleted forcibly (tag 12001).
    #[error("system {kind} '{name}' can only be deleted forcibly")]
    SystemSpecDeletionAttempt {
        /// The object kind.
        kind: String,
        /// The object name.
        name: String,
    },
    /// A system object can only be updated forcibly (tag 12002).
    #[error("system {kind} '{name}' can only be updated forcibly")]
    SystemSpecUpdatingAttempt {
        /// The object kind.
        kind: String,
        /// The object name.
        name: String,
    },
}

impl ErrorCode {
    /// True for [`ErrorCode::None`].
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::None)
    }

    /// True for anything but [`ErrorCode::None`].
    pub fn is_error(&self) -> bool {
        !self.is_ok()
    }

    /// True when the same request may succeed if retried later, possibly after
    /// refreshing metadata and reconnecting to the (new) leader.
    ///
    /// Retriable, because they describe a transient cluster state:
    /// - `NotLeaderForPartition`, `PartitionNotLeader`: leadership moved or is being
    ///   elected; re-resolve the leader and retry.
    /// - `RequestTimedOut`: the SPU did not finish in time (e.g. replication for
    ///   read-committed produce); the request may succeed on a later attempt.
    /// - `StorageError`: an I/O failure on the SPU, usually transient.
    /// - `SpuOffline`: the SPU is down; another replica may take over.
    /// - `TopicPendingInitialization`, `TopicNotProvisioned`,
    ///   `PartitionPendingInitialization`: a just-created topic or partition is being
    ///   set up.
    ///
    /// Not retriable: success, client mistakes (bad request, unknown topic, too large,
    /// permission), states that need a different request (`OffsetOutOfRange`,
    /// `OffsetEvicted`: move the offset; `FetchSessionNotFoud`: open a new stream),
    /// full or short-circuited partitions (waiting does not free space by itself),
    /// SmartModule, mirror, connector and other administrative errors, the opaque
    /// `UnknownServerError`/`Other`/`SpuError`, and `MaxRetryReached` (retries are
    /// already exhausted).
    pub fn is_retriable(&self) -> bool {
        matches!(
            self,
            Self::NotLeaderForPartition
                | Self::PartitionNotLeader
                | Self::RequestTimedOut { .. }
                | Self::StorageError
                | Self::SpuOffline
                | Self::TopicPendingInitialization
                | Self::TopicNotProvisioned
                | Self::PartitionPendingInitialization
        )
    }
}
