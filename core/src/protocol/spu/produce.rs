//! Produce (api key 0).
//!
//! Upstream (`fluvio-spu-schema` `produce/`) encodes the request by hand and writes
//! every field at every version: its `#[fluvio(min_version = 3)]` on
//! `transactional_id` is dead because the hand-written encoder and decoder ignore it.
//! The response uses plain version gates.

use std::time::Duration;

use bytes::BytesMut;

use super::Isolation;
use super::smartmodule::SmartModuleInvocation;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::header::Request;
use crate::protocol::record::RecordSet;

/// Records to append to partitions.
///
/// Wire: `transactional_id: Option<String>`, `acks: i16` (from `isolation`),
/// `timeout_ms: i32`, `topics`, `smartmodules`; all at every version.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ProduceRequest {
    /// Transactional id (unused by Fluvio; `None`).
    pub transactional_id: Option<String>,
    /// Read-uncommitted waits for the leader (acks 1), read-committed for
    /// replication (acks -1).
    pub isolation: Isolation,
    /// Server-side processing timeout, sent as whole milliseconds in an `i32`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_timeout))]
    pub timeout: Duration,
    /// Data per topic.
    pub topics: Vec<TopicProduceData>,
    /// SmartModules the SPU applies before storing.
    pub smartmodules: Vec<SmartModuleInvocation>,
}

/// An arbitrary timeout that encodes losslessly (whole milliseconds ≤ `i32::MAX`).
#[cfg(feature = "arbitrary")]
fn arb_timeout(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Duration> {
    let ms: u32 = u.arbitrary()?;
    Ok(Duration::from_millis(u64::from(ms & 0x7fff_ffff)))
}

impl Request for ProduceRequest {
    const API_KEY: u16 = super::api_key::PRODUCE;
    const MIN_VERSION: Version = 0;
    const MAX_VERSION: Version = 25;
    type Response = ProduceResponse;
}

impl Encode for ProduceRequest {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.transactional_id.encode(dst, version)?;
        self.isolation.to_acks().encode(dst, version)?;
        // Sub-millisecond precision is dropped, as upstream does.
        let ms =
            i32::try_from(self.timeout.as_millis()).map_err(|_| EncodeError::InvalidValue {
                what: "produce timeout",
                message: format!("{:?} does not fit in i32 milliseconds", self.timeout),
            })?;
        ms.encode(dst, version)?;
        self.topics.encode(dst, version)?;
        self.smartmodules.encode(dst, version)
    }
}

impl Decode for ProduceRequest {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        let transactional_id = Decode::decode(src, version)?;
        let acks = i16::decode(src, version)?;
        let isolation = Isolation::from_acks(acks).ok_or(DecodeError::UnknownTag {
            what: "produce acks",
            tag: i64::from(acks),
        })?;
        let ms = i32::decode(src, version)?;
        let ms = u64::try_from(ms).map_err(|_| DecodeError::InvalidValue {
            what: "produce timeout",
            message: format!("negative timeout {ms} ms"),
        })?;
        Ok(Self {
            transactional_id,
            isolation,
            timeout: Duration::from_millis(ms),
            topics: Decode::decode(src, version)?,
            smartmodules: Decode::decode(src, version)?,
        })
    }
}

crate::wire_struct! {
    /// Data for one topic.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct TopicProduceData {
        /// Topic name.
        pub name: String,
        /// Data per partition (the official client repeats a partition once per batch).
        pub partitions: Vec<PartitionProduceData>,
    }
}

crate::wire_struct! {
    /// Data for one partition.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct PartitionProduceData {
        /// Partition index.
        pub partition_index: u32,
        /// The batches (an `i32` length then the batch bytes).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = super::arb_record_set))]
        pub records: RecordSet,
    }
}

crate::wire_struct! {
    /// Answer to a [`ProduceRequest`].
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ProduceResponse {
        /// Results per topic.
        pub responses: Vec<TopicProduceResponse>,
        /// Throttle time (version ≥ 1; always 0 from Fluvio).
        @since(1)
        pub throttle_time_ms: i32,
    }
}

impl ProduceResponse {
    /// The result for `topic` / `partition`, if present.
    pub fn find_partition(&self, topic: &str, partition: u32) -> Option<&PartitionProduceResponse> {
        self.responses
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
    pub struct TopicProduceResponse {
        /// Topic name.
        pub name: String,
        /// One entry per [`PartitionProduceData`] of the request, in order.
        pub partitions: Vec<PartitionProduceResponse>,
    }
}

crate::wire_struct! {
    /// Result for one partition entry of the request.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct PartitionProduceResponse {
        /// Partition index.
        pub partition_index: u32,
        /// `None` on success.
        pub error_code: ErrorCode,
        /// Offset given to the first record of the batch.
        pub base_offset: i64,
        /// Append time (version ≥ 2; -1 or 0 from Fluvio).
        @since(2)
        pub log_append_time_ms: i64,
        /// Log start offset (version ≥ 5).
        @since(5)
        pub log_start_offset: i64,
    }
}
