//! Topic objects (label `"Topic"`): spec, status and update actions.
//!
//! Upstream: `fluvio-controlplane-metadata` `topic/{spec,status,deduplication,update}.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Spec;
use super::partition_mirror::{HomePartitionConfig, PartitionMirrorConfig};

crate::wire_struct! {
    /// A topic's configuration.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct TopicSpec {
        /// How partitions and replicas are laid out.
        pub replicas: ReplicaSpec,
        /// Retention policy (v≥3).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        @since(3)
        pub cleanup_policy: Option<CleanupPolicy>,
        /// Segment and partition size limits (v≥4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        @since(4)
        pub storage: Option<TopicStorageConfig>,
        /// Compression the topic requires of producers (v≥6).
        #[serde(default)]
        @since(6)
        pub compression_type: CompressionAlgorithm,
        /// Record deduplication (v≥12).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        @since(12)
        pub deduplication: Option<Deduplication>,
        /// A system topic, hidden from ordinary listings (v≥13).
        #[serde(default)]
        @since(13)
        pub system: bool,
    }
}

impl Spec for TopicSpec {
    const LABEL: &'static str = "Topic";
    type Status = TopicStatus;
}

impl TopicSpec {
    /// A computed topic with `partitions` partitions of `replication` replicas each.
    pub fn computed(partitions: u32, replication: u32) -> Self {
        Self {
            replicas: ReplicaSpec::Computed(TopicReplicaParam {
                partitions,
                replication_factor: replication,
                ignore_rack_assignment: false,
            }),
            ..Default::default()
        }
    }
}

payload_enum! {
    /// Replica layout: explicit maps, computed by the SC, or mirrored.
    ///
    /// Upstream marks `Mirror` as "min_version 14" but its derive ignores variant gates: the
    /// variant is encoded and decoded at every version, and so it is here.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub enum ReplicaSpec: u8 {
        /// Explicit partition → SPU assignment.
        Assigned(Vec<PartitionMap>) = 0,
        /// Partition count and replication factor; the SC assigns SPUs.
        Computed(TopicReplicaParam) = 1,
        /// Mirror topic (home or remote side).
        Mirror(MirrorConfig) = 2,
    }
}

impl Default for ReplicaSpec {
    fn default() -> Self {
        Self::Computed(TopicReplicaParam::default())
    }
}

crate::wire_struct! {
    /// Parameters of a computed replica layout.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct TopicReplicaParam {
        /// Number of partitions.
        pub partitions: u32,
        /// Replicas per partition.
        pub replication_factor: u32,
        /// Ignore SPU racks when placing replicas.
        #[serde(default)]
        pub ignore_rack_assignment: bool,
    }
}

crate::wire_struct! {
    /// One partition of an assigned replica layout.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct PartitionMap {
        /// Partition id.
        pub id: u32,
        /// SPU ids holding replicas; the first is the preferred leader.
        pub replicas: Vec<i32>,
        /// Mirror configuration of this partition (v≥14).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        @since(14)
        pub mirror: Option<PartitionMirrorConfig>,
    }
}

payload_enum! {
    /// Which side of a mirror this topic is.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub enum MirrorConfig: u8 {
        /// The remote side, mirroring a home cluster.
        Remote(RemoteMirrorConfig) = 0,
        /// The home side, fed by remote clusters.
        Home(HomeMirrorConfig) = 1,
    }
}

impl Default for MirrorConfig {
    fn default() -> Self {
        Self::Remote(RemoteMirrorConfig::default())
    }
}

crate::wire_struct! {
    /// Home side of a mirror topic: one partition per remote cluster
    /// (upstream `HomeMirrorConfig(HomeMirrorInner)`, same wire form).
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct HomeMirrorConfig {
        /// The partitions, one per remote.
        #[serde(default)]
        pub partitions: Vec<HomePartitionConfig>,
        /// Home is the source (home → remote) (v≥18).
        #[serde(default)]
        @since(18)
        pub source: bool,
    }
}

crate::wire_struct! {
    /// Remote side of a mirror topic.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct RemoteMirrorConfig {
        /// Name of the home cluster.
        pub home_cluster: String,
        /// Home SPUs, one per partition.
        pub home_spus: Vec<SpuMirrorConfig>,
        /// Remote is the target (home → remote) (v≥18).
        #[serde(default)]
        @since(18)
        pub target: bool,
    }
}

crate::wire_struct! {
    /// A home SPU as seen by a remote mirror.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SpuMirrorConfig {
        /// SPU id.
        pub id: i32,
        /// SPU key (name).
        pub key: String,
        /// SPU endpoint `host:port`.
        pub endpoint: String,
    }
}

payload_enum! {
    /// Retention policy.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub enum CleanupPolicy: u8 {
        /// Delete whole segments older than the retention time.
        Segment(SegmentBasedPolicy) = 0,
    }
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        Self::Segment(SegmentBasedPolicy::default())
    }
}

crate::wire_struct! {
    /// Segment-based retention.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct SegmentBasedPolicy {
        /// Retention time in seconds.
        pub time_in_seconds: u32,
    }
}

crate::wire_struct! {
    /// Storage limits of a topic's partitions.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct TopicStorageConfig {
        /// Segment size in bytes.
        pub segment_size: Option<u32>,
        /// Maximum partition size in bytes.
        pub max_partition_size: Option<u64>,
    }
}

crate::wire_enum! {
    /// Topic compression setting. The tags differ from the record batch codec bits.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum CompressionAlgorithm: u8 {
        /// Producers must not compress.
        None = 0,
        /// Producers must use gzip.
        Gzip = 1,
        /// Producers must use snappy.
        Snappy = 2,
        /// Producers must use lz4.
        Lz4 = 3,
        /// Producers choose (default).
        #[default]
        Any = 4,
        /// Producers must use zstd.
        Zstd = 5,
    }
}

crate::wire_struct! {
    /// Record deduplication on a topic.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "kebab-case")]
    pub struct Deduplication {
        /// How many / how old records are remembered.
        pub bounds: Bounds,
        /// The SmartModule filter that detects duplicates.
        pub filter: Filter,
    }
}

crate::wire_struct! {
    /// Deduplication window.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "kebab-case")]
    pub struct Bounds {
        /// Number of records remembered.
        pub count: u64,
        /// Maximum age of remembered records.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub age: Option<Duration>,
    }
}

crate::wire_struct! {
    /// Deduplication filter.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "kebab-case")]
    pub struct Filter {
        /// The transform applied.
        pub transform: Transform,
    }
}

crate::wire_struct! {
    /// A SmartModule transform reference.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "kebab-case")]
    pub struct Transform {
        /// SmartModule name.
        pub uses: String,
        /// Its parameters.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub with: BTreeMap<String, String>,
    }
}

crate::wire_struct! {
    /// A topic's status as maintained by the SC.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct TopicStatus {
        /// Provisioning state.
        pub resolution: TopicResolution,
        /// Partition id → replica SPU ids.
        pub replica_map: BTreeMap<u32, Vec<i32>>,
        /// Partition id → mirror configuration (v≥14).
        #[serde(default)]
        @since(14)
        pub mirror_map: BTreeMap<u32, PartitionMirrorConfig>,
        /// Why the topic is in this state.
        pub reason: String,
    }
}

crate::wire_enum! {
    /// Topic provisioning state.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum TopicResolution: u8 {
        /// Just created.
        #[default]
        Init = 0,
        /// Valid, waiting for replica assignment.
        Pending = 1,
        /// Not enough SPUs for the replica map.
        InsufficientResources = 2,
        /// The configuration is invalid.
        InvalidConfig = 3,
        /// All partitions provisioned.
        Provisioned = 4,
        /// Being deleted.
        Deleting = 5,
    }
}

payload_enum! {
    /// What an Update request does to a topic.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum UpdateTopicAction: u8 {
        /// Add partitions.
        AddPartition(AddPartition) = 0,
        /// Add a mirror remote.
        AddMirror(AddMirror) = 1,
    }
}

impl Default for UpdateTopicAction {
    fn default() -> Self {
        Self::AddPartition(AddPartition::default())
    }
}

crate::wire_struct! {
    /// Add `count` partitions to a topic.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct AddPartition {
        /// Partitions to add.
        pub count: u32,
    }
}

crate::wire_struct! {
    /// Add a remote cluster to a mirror topic.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct AddMirror {
        /// The remote cluster name.
        pub remote_cluster: String,
        /// Home to remote direction.
        pub home_to_mirror: bool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    #[test]
    fn computed_topic_gates() {
        let spec = TopicSpec::computed(1, 1);
        // tag 1, partitions, replication, ignore_rack
        let base = [1u8, 0, 0, 0, 1, 0, 0, 0, 1, 0];
        let v2 = encode_to_bytes(&spec, 2).unwrap();
        assert_eq!(&v2[..], &base);
        let v19 = encode_to_bytes(&spec, 19).unwrap();
        // + cleanup None, storage None, compression Any(4), dedup None, system false
        let mut want = base.to_vec();
        want.extend_from_slice(&[0, 0, 4, 0, 0]);
        assert_eq!(&v19[..], &want[..]);
        let v12 = encode_to_bytes(&spec, 12).unwrap();
        assert_eq!(v12.len(), want.len() - 1);
        assert_eq!(decode_exact::<TopicSpec>(v19, 19, "topic").unwrap(), spec);
    }

    #[test]
    fn unknown_replica_tag_is_an_error() {
        let bad = bytes::Bytes::from_static(&[3, 0]);
        assert!(matches!(
            decode_exact::<ReplicaSpec>(bad, 19, "replica"),
            Err(crate::protocol::codec::DecodeError::UnknownTag { tag: 3, .. })
        ));
    }

    #[test]
    fn update_action_layout() {
        let a = UpdateTopicAction::AddPartition(AddPartition { count: 2 });
        assert_eq!(&encode_to_bytes(&a, 19).unwrap()[..], &[0, 0, 0, 0, 2]);
        let m = UpdateTopicAction::AddMirror(AddMirror {
            remote_cluster: "r".into(),
            home_to_mirror: true,
        });
        assert_eq!(&encode_to_bytes(&m, 19).unwrap()[..], &[1, 0, 1, b'r', 1]);
    }
}
