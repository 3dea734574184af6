//! Consumer offsets: UpdateConsumerOffset (1006), DeleteConsumerOffset (1007) and
//! FetchConsumerOffsets (1008).
//!
//! The SPU does not advertise these keys; the official client sends them at version 25
//! and upstream accepts 23..=25. Upstream: `fluvio-spu-schema`
//! `server/consumer_offset.rs`.

use std::fmt;

use crate::protocol::codec::Version;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::header::Request;

/// Lowest version of the consumer offset APIs (upstream default 25 minus 2).
pub const CONSUMER_OFFSET_MIN_VERSION: Version = 23;
/// Highest version of the consumer offset APIs.
pub const CONSUMER_OFFSET_MAX_VERSION: Version = 25;
/// First version whose [`FetchConsumerOffsetsRequest`] carries filters.
pub const FILTER_OPTS_VERSION: Version = 24;

pub use crate::protocol::types::ReplicaKey;

/// `topic-partition`, Fluvio's partition naming.
impl fmt::Display for ReplicaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

crate::wire_struct! {
    /// Store the offset of a stream session's consumer.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct UpdateConsumerOffsetRequest {
        /// Offset of the last consumed record.
        pub offset: i64,
        /// Stream id of the session (which names consumer and partition).
        pub session_id: u32,
    }
}

impl Request for UpdateConsumerOffsetRequest {
    const API_KEY: u16 = super::api_key::UPDATE_CONSUMER_OFFSET;
    const MIN_VERSION: Version = CONSUMER_OFFSET_MIN_VERSION;
    const MAX_VERSION: Version = CONSUMER_OFFSET_MAX_VERSION;
    type Response = UpdateConsumerOffsetResponse;
}

crate::wire_struct! {
    /// Answer to an [`UpdateConsumerOffsetRequest`].
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct UpdateConsumerOffsetResponse {
        /// The stored offset.
        pub offset: i64,
        /// `None` on success.
        pub error_code: ErrorCode,
    }
}

crate::wire_struct! {
    /// Delete the stored offset of a consumer on a partition.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct DeleteConsumerOffsetRequest {
        /// The partition.
        pub replica_id: ReplicaKey,
        /// The consumer.
        pub consumer_id: String,
    }
}

impl Request for DeleteConsumerOffsetRequest {
    const API_KEY: u16 = super::api_key::DELETE_CONSUMER_OFFSET;
    const MIN_VERSION: Version = CONSUMER_OFFSET_MIN_VERSION;
    const MAX_VERSION: Version = CONSUMER_OFFSET_MAX_VERSION;
    type Response = DeleteConsumerOffsetResponse;
}

crate::wire_struct! {
    /// Answer to a [`DeleteConsumerOffsetRequest`].
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct DeleteConsumerOffsetResponse {
        /// `None` on success.
        pub error_code: ErrorCode,
    }
}

crate::wire_struct! {
    /// Restricts which consumer offsets are listed.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FilterOpts {
        /// Only this partition.
        pub replica_id: Option<ReplicaKey>,
        /// Only this consumer.
        pub consumer_id: Option<String>,
    }
}

crate::wire_struct! {
    /// List stored consumer offsets.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchConsumerOffsetsRequest {
        /// Filters (version ≥ 24; `None` lists everything).
        @since(FILTER_OPTS_VERSION)
        pub filter_opts: Option<FilterOpts>,
    }
}

impl Request for FetchConsumerOffsetsRequest {
    const API_KEY: u16 = super::api_key::FETCH_CONSUMER_OFFSETS;
    const MIN_VERSION: Version = CONSUMER_OFFSET_MIN_VERSION;
    const MAX_VERSION: Version = CONSUMER_OFFSET_MAX_VERSION;
    type Response = FetchConsumerOffsetsResponse;
}

crate::wire_struct! {
    /// Answer to a [`FetchConsumerOffsetsRequest`].
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchConsumerOffsetsResponse {
        /// `None` on success.
        pub error_code: ErrorCode,
        /// The stored offsets.
        pub consumers: Vec<ConsumerOffset>,
    }
}

crate::wire_struct! {
    /// One stored consumer offset.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ConsumerOffset {
        /// The consumer.
        pub consumer_id: String,
        /// The partition.
        pub replica_id: ReplicaKey,
        /// Offset of the last consumed record.
        pub offset: i64,
        /// Last update, milliseconds since the Unix epoch.
        pub modified_time: u64,
    }
}
