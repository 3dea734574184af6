//! Partition objects (label `"Partition"`, key `topic-partition`): list and watch only.
//!
//! Upstream: `fluvio-controlplane-metadata` `partition/{spec,status}.rs`.

use super::Spec;
pub use super::partition_mirror::{
    HomePartitionConfig, PartitionMirrorConfig, RemotePartitionConfig,
};
use super::topic::{CleanupPolicy, CompressionAlgorithm, Deduplication, TopicStorageConfig};

crate::wire_struct! {
    /// A partition's replica assignment and the topic settings it inherits.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct PartitionSpec {
        /// SPU id of the leader.
        pub leader: i32,
        /// SPU ids of all replicas.
        #[serde(default)]
        pub replicas: Vec<i32>,
        /// Retention policy (v≥4).
        @since(4)
        pub cleanup_policy: Option<CleanupPolicy>,
        /// Storage limits (v≥4).
        @since(4)
        pub storage: Option<TopicStorageConfig>,
        /// Compression setting (v≥6).
        #[serde(default)]
        @since(6)
        pub compression_type: CompressionAlgorithm,
        /// Deduplication (v≥12).
        @since(12)
        pub deduplication: Option<Deduplication>,
        /// Partition of a system topic (v≥13).
        #[serde(default)]
        @since(13)
        pub system: bool,
        /// Mirror configuration (v≥14).
        #[serde(default)]
        @since(14)
        pub mirror: Option<PartitionMirrorConfig>,
    }
}

impl Spec for PartitionSpec {
    const LABEL: &'static str = "Partition";
    type Status = PartitionStatus;
}

crate::wire_struct! {
    /// A partition's replication state.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct PartitionStatus {
        /// Online, offline, …
        pub resolution: PartitionResolution,
        /// The leader's offsets.
        pub leader: ReplicaStatus,
        /// Live replica count (`lsr` on the wire; upstream also calls it `lrs`).
        #[serde(alias = "lrs")]
        pub lsr: u32,
        /// Followers' offsets.
        pub replicas: Vec<ReplicaStatus>,
        /// Partition size in bytes; -1 error, -2 not supported (v≥5).
        @since(5)
        pub size: i64,
        /// Marked for deletion.
        pub is_being_deleted: bool,
        /// First offset still stored (v≥16).
        #[serde(default)]
        @since(16)
        pub base_offset: i64,
    }
}

impl PartitionStatus {
    /// `size` when the SPU could not compute it.
    pub const SIZE_ERROR: i64 = -1;
    /// `size` when the SPU does not report it.
    pub const SIZE_NOT_SUPPORTED: i64 = -2;

    /// True when the partition has a leader serving it.
    pub fn is_online(&self) -> bool {
        self.resolution == PartitionResolution::Online
    }
}

impl Default for PartitionStatus {
    fn default() -> Self {
        Self {
            resolution: PartitionResolution::default(),
            leader: ReplicaStatus::default(),
            lsr: 0,
            replicas: Vec::new(),
            size: Self::SIZE_NOT_SUPPORTED,
            is_being_deleted: false,
            base_offset: 0,
        }
    }
}

crate::wire_enum! {
    /// Partition availability.
    ///
    /// Upstream tags `OutOfStorage` "min_version 19" but its derive ignores variant gates.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum PartitionResolution: u8 {
        /// No leader available.
        #[default]
        Offline = 0,
        /// Serving normally.
        Online = 1,
        /// Election failed: no suitable leader.
        LeaderOffline = 2,
        /// A new leader was elected.
        ElectionLeaderFound = 3,
        /// The leader ran out of storage.
        OutOfStorage = 4,
    }
}

crate::wire_struct! {
    /// Offsets of one replica.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct ReplicaStatus {
        /// SPU id.
        pub spu: i32,
        /// High watermark.
        pub hw: i64,
        /// Log end offset.
        pub leo: i64,
    }
}

impl Default for ReplicaStatus {
    fn default() -> Self {
        Self {
            spu: -1,
            hw: -1,
            leo: -1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    #[test]
    fn partition_status_fields_follow_the_version_gates() {
        let st = PartitionStatus {
            resolution: PartitionResolution::Online,
            leader: ReplicaStatus {
                spu: 5001,
                hw: 10,
                leo: 10,
            },
            lsr: 1,
            size: 100,
            base_offset: 3,
            ..Default::default()
        };
        let v19 = encode_to_bytes(&st, 19).unwrap();
        // 1 + 20 + 4 + 4 + 8 + 1 + 8
        assert_eq!(v19.len(), 46);
        let v15 = encode_to_bytes(&st, 15).unwrap();
        assert_eq!(v15.len(), 38);
        assert_eq!(decode_exact::<PartitionStatus>(v19, 19, "ps").unwrap(), st);
        let back: PartitionStatus = decode_exact(v15, 15, "ps").unwrap();
        assert_eq!(back.base_offset, 0);
    }
}
