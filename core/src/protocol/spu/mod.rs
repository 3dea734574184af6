//! SPU (data plane) messages.
//!
//! Layouts and version gates read from upstream `fluvio-spu-schema` 0.50 and checked
//! against traces of a real 0.50.2 cluster. Each request implements
//! [`Request`](crate::protocol::header::Request) with the version range the real SPU advertises
//! (or upstream's range for APIs the SPU does not advertise).

pub mod consumer_offset;
pub mod fetch;
pub mod fetch_offsets;
pub mod produce;
pub mod smartmodule;
pub mod stream_fetch;
pub mod update_offsets;

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod trace_tests;

pub use consumer_offset::{
    ConsumerOffset, DeleteConsumerOffsetRequest, DeleteConsumerOffsetResponse,
    FetchConsumerOffsetsRequest, FetchConsumerOffsetsResponse, FilterOpts, ReplicaKey,
    UpdateConsumerOffsetRequest, UpdateConsumerOffsetResponse,
};
pub use fetch::{
    AbortedTransaction, FetchPartition, FetchRequest, FetchResponse, FetchablePartitionResponse,
    FetchableTopic, FetchableTopicResponse, ForgottenTopic,
};
pub use fetch_offsets::{
    FetchOffsetPartition, FetchOffsetPartitionResponse, FetchOffsetTopic, FetchOffsetTopicResponse,
    FetchOffsetsRequest, FetchOffsetsResponse,
};
pub use produce::{
    PartitionProduceData, PartitionProduceResponse, ProduceRequest, ProduceResponse,
    TopicProduceData, TopicProduceResponse,
};
pub use smartmodule::{
    Lookback, SmartModuleContextData, SmartModuleExtraParams, SmartModuleInvocation,
    SmartModuleInvocationWasm, SmartModuleKind,
};
pub use stream_fetch::{DerivedStreamInvocation, StreamFetchRequest, StreamFetchResponse};
pub use update_offsets::{
    OffsetUpdate, OffsetUpdateStatus, UpdateOffsetsRequest, UpdateOffsetsResponse,
};

/// API keys of the SPU public server (upstream `SpuServerApiKey`).
pub mod api_key {
    /// Produce records.
    pub const PRODUCE: u16 = 0;
    /// Classic (Kafka-style) fetch.
    pub const FETCH: u16 = 1;
    /// ApiVersions handshake.
    pub const API_VERSIONS: u16 = 18;
    /// Start and last stable offsets of partitions.
    pub const FETCH_OFFSETS: u16 = 1002;
    /// Continuous fetch (many responses per request).
    pub const STREAM_FETCH: u16 = 1003;
    /// Stream fetch acknowledgements.
    pub const UPDATE_OFFSETS: u16 = 1005;
    /// Store a consumer offset.
    pub const UPDATE_CONSUMER_OFFSET: u16 = 1006;
    /// Delete a consumer offset.
    pub const DELETE_CONSUMER_OFFSET: u16 = 1007;
    /// List consumer offsets.
    pub const FETCH_CONSUMER_OFFSETS: u16 = 1008;
    /// Start mirroring (mirror clusters; not implemented by flv).
    pub const START_MIRROR: u16 = 2000;
}

crate::wire_enum! {
    /// Which records a consumer may read, or how long a producer waits.
    ///
    /// On the wire of fetch and stream fetch this is a `u8` (0 / 1, as encoded here);
    /// produce carries it as a Kafka-style `acks` `i16` instead (see
    /// [`Isolation::to_acks`]).
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
    )]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum Isolation: u8 {
        /// Read everything the leader wrote; produce waits for the leader only.
        #[default]
        ReadUncommitted = 0,
        /// Read up to the high watermark; produce waits for replication.
        ReadCommitted = 1,
    }
}

impl Isolation {
    /// The produce request `acks` value: 1 (leader) or -1 (all replicas).
    pub fn to_acks(self) -> i16 {
        match self {
            Self::ReadUncommitted => 1,
            Self::ReadCommitted => -1,
        }
    }

    /// The isolation for a produce `acks` value.
    ///
    /// Only 1 and -1 are accepted: upstream's decoder maps any negative value to
    /// read-committed and anything else to read-uncommitted, but its encoder only
    /// writes 1 and -1, so other values would not round-trip.
    pub fn from_acks(acks: i16) -> Option<Self> {
        match acks {
            1 => Some(Self::ReadUncommitted),
            -1 => Some(Self::ReadCommitted),
            _ => None,
        }
    }
}

/// An empty record set, for `arbitrary` derives.
///
/// Built through `Decode` from the 4-byte empty form so that it relies only on the
/// record set's wire contract; record batches are cross-checked by their own tests.
#[cfg(feature = "arbitrary")]
pub(crate) fn arb_record_set(
    _: &mut arbitrary::Unstructured<'_>,
) -> arbitrary::Result<crate::protocol::record::RecordSet> {
    let mut empty = crate::protocol::codec::Reader::new(bytes::Bytes::from_static(&[0, 0, 0, 0]));
    crate::protocol::codec::Decode::decode(&mut empty, 0)
        .map_err(|_| arbitrary::Error::IncorrectFormat)
}
