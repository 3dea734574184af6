//! FetchOffsets (api key 1002): start and last stable offsets of partitions.
//!
//! Upstream: `fluvio-spu-schema` `server/fetch_offset.rs`.

use crate::protocol::codec::Version;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::header::Request;

/// The only version at which the request carries the deprecated consumer id.
pub const CONSUMER_ID_VERSION: Version = 23;

crate::wire_struct! {
    /// Ask for the offsets of some partitions.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchOffsetsRequest {
        /// Partitions per topic.
        pub topics: Vec<FetchOffsetTopic>,
        /// Deprecated consumer id, on the wire at version 23 only.
        @since(CONSUMER_ID_VERSION)
        @until(CONSUMER_ID_VERSION)
        pub consumer_id: Option<String>,
    }
}

impl FetchOffsetsRequest {
    /// A request for one partition.
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        Self {
            topics: vec![FetchOffsetTopic {
                name: topic.into(),
                partitions: vec![FetchOffsetPartition {
                    partition_index: partition,
                }],
            }],
            consumer_id: None,
        }
    }
}

impl Request for FetchOffsetsRequest {
    const API_KEY: u16 = super::api_key::FETCH_OFFSETS;
    const MIN_VERSION: Version = 0;
    const MAX_VERSION: Version = 25;
    type Response = FetchOffsetsResponse;
}

crate::wire_struct! {
    /// Partitions of one topic.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchOffsetTopic {
        /// Topic name.
        pub name: String,
        /// Partitions.
        pub partitions: Vec<FetchOffsetPartition>,
    }
}

crate::wire_struct! {
    /// One partition.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchOffsetPartition {
        /// Partition index.
        pub partition_index: u32,
    }
}

crate::wire_struct! {
    /// Answer to a [`FetchOffsetsRequest`].
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchOffsetsResponse {
        /// Results per topic.
        pub topics: Vec<FetchOffsetTopicResponse>,
    }
}

impl FetchOffsetsResponse {
    /// The result for `topic` / `partition`, if present.
    pub fn find_partition(
        &self,
        topic: &str,
        partition: u32,
    ) -> Option<&FetchOffsetPartitionResponse> {
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
    pub struct FetchOffsetTopicResponse {
        /// Topic name.
        pub name: String,
        /// Results per partition.
        pub partitions: Vec<FetchOffsetPartitionResponse>,
    }
}

crate::wire_struct! {
    /// Offsets of one partition.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct FetchOffsetPartitionResponse {
        /// `None` on success (note: first, unlike most responses).
        pub error_code: ErrorCode,
        /// Partition index.
        pub partition_index: u32,
        /// First readable offset.
        pub start_offset: i64,
        /// Last stable offset (high watermark).
        pub last_stable_offset: i64,
    }
}
