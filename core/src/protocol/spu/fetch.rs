//! Classic fetch (api key 1) and the partition response shared with stream fetch.
//!
//! Upstream: `fluvio-spu-schema` `fetch/`. The official client does not send this
//! request (it uses [`StreamFetchRequest`](super::StreamFetchRequest)), but the SPU
//! serves it at versions 0–25.

use super::Isolation;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::header::Request;
use crate::protocol::record::RecordSet;

crate::wire_struct! {
    /// Fetch records once from several partitions.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchRequest {
        /// Maximum time to wait, in milliseconds.
        pub max_wait: i32,
        /// Minimum bytes to accumulate.
        pub min_bytes: i32,
        /// Maximum bytes to return (version ≥ 3).
        @since(3)
        pub max_bytes: i32,
        /// Isolation as a `u8` (version ≥ 4).
        @since(4)
        pub isolation_level: Isolation,
        /// Partitions to fetch, per topic.
        pub topics: Vec<FetchableTopic>,
        /// Partitions to drop from an incremental session (version ≥ 7).
        @since(7)
        pub forgotten: Vec<ForgottenTopic>,
    }
}

impl Request for FetchRequest {
    const API_KEY: u16 = super::api_key::FETCH;
    const MIN_VERSION: crate::protocol::codec::Version = 0;
    const MAX_VERSION: crate::protocol::codec::Version = 25;
    type Response = FetchResponse;
}

crate::wire_struct! {
    /// Partitions of one topic to fetch.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchableTopic {
        /// Topic name.
        pub name: String,
        /// Partitions to fetch.
        pub fetch_partitions: Vec<FetchPartition>,
    }
}

crate::wire_struct! {
    /// Partitions of one topic to forget (only sent at version ≥ 7).
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ForgottenTopic {
        /// Topic name (version ≥ 7).
        @since(7)
        pub name: String,
        /// Partition indexes to forget (version ≥ 7).
        @since(7)
        pub forgotten_partition_indexes: Vec<i32>,
    }
}

crate::wire_struct! {
    /// One partition to fetch.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchPartition {
        /// Partition index.
        pub partition_index: u32,
        /// Leader epoch known to the client (version ≥ 9).
        @since(9)
        pub current_leader_epoch: i32,
        /// First offset to return.
        pub fetch_offset: i64,
        /// Follower log start offset (version ≥ 5).
        @since(5)
        pub log_start_offset: i64,
        /// Maximum bytes for this partition.
        pub max_bytes: i32,
    }
}

crate::wire_struct! {
    /// Answer to a [`FetchRequest`].
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchResponse {
        /// Throttle time in milliseconds.
        pub throttle_time_ms: i32,
        /// Request-level error.
        pub error_code: ErrorCode,
        /// Fetch session id.
        pub session_id: i32,
        /// Results per topic.
        pub topics: Vec<FetchableTopicResponse>,
    }
}

impl FetchResponse {
    /// The result for `topic` / `partition`, if present.
    pub fn find_partition(
        &self,
        topic: &str,
        partition: u32,
    ) -> Option<&FetchablePartitionResponse> {
        self.topics
            .iter()
            .filter(|t| t.name == topic)
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == partition)
    }
}

crate::wire_struct! {
    /// Results for one topic.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchableTopicResponse {
        /// Topic name.
        pub name: String,
        /// Results per partition.
        pub partitions: Vec<FetchablePartitionResponse>,
    }
}

crate::wire_struct! {
    /// Records and offsets of one partition (also the body of stream fetch responses).
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchablePartitionResponse {
        /// Partition index.
        pub partition_index: u32,
        /// `None` on success.
        pub error_code: ErrorCode,
        /// High watermark (last committed offset + 1).
        pub high_watermark: i64,
        /// With SmartModules that drop records: the offset to continue from, else 0
        /// (version ≥ 11).
        @since(11)
        pub next_filter_offset: i64,
        /// First offset still stored.
        pub log_start_offset: i64,
        /// Aborted transactions (always `None` from Fluvio).
        pub aborted: Option<Vec<AbortedTransaction>>,
        /// The batches.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = super::arb_record_set))]
        pub records: RecordSet,
    }
}

crate::wire_struct! {
    /// A transaction aborted in the fetched range.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct AbortedTransaction {
        /// Producer id.
        pub producer_id: i64,
        /// First offset of the transaction.
        pub first_offset: i64,
    }
}
