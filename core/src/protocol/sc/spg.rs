//! SPU groups (label `"SpuGroup"`): managed SPU sets (Kubernetes installations).
//!
//! Upstream: `fluvio-controlplane-metadata` `spg/{spec,status}.rs`.

use super::Spec;

crate::wire_struct! {
    /// An SPU group: `replicas` SPUs with ids from `min_id`.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct SpuGroupSpec {
        /// Number of SPUs.
        pub replicas: u16,
        /// Id of the first SPU.
        pub min_id: i32,
        /// Configuration of every SPU of the group.
        pub spu_config: SpuConfig,
    }
}

impl Spec for SpuGroupSpec {
    const LABEL: &'static str = "SpuGroup";
    type Status = SpuGroupStatus;
}

crate::wire_struct! {
    /// SPU configuration of a group.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct SpuConfig {
        /// Rack.
        pub rack: Option<String>,
        /// Replication settings.
        pub replication: Option<ReplicationConfig>,
        /// Storage settings.
        pub storage: Option<StorageConfig>,
        /// Environment variables.
        pub env: Vec<EnvVar>,
    }
}

crate::wire_struct! {
    /// Replication settings of a group.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct ReplicationConfig {
        /// Minimum in-sync replicas.
        pub in_sync_replica_min: Option<u16>,
    }
}

crate::wire_struct! {
    /// Storage settings of a group.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct StorageConfig {
        /// Log directory.
        pub log_dir: Option<String>,
        /// Volume size (e.g. `10Gi`).
        pub size: Option<String>,
    }
}

crate::wire_struct! {
    /// An environment variable.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct EnvVar {
        /// Name.
        pub name: String,
        /// Value.
        pub value: String,
    }
}

crate::wire_struct! {
    /// An SPU group's status.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SpuGroupStatus {
        /// State.
        pub resolution: SpuGroupStatusResolution,
        /// Why, when invalid.
        pub reason: Option<String>,
    }
}

crate::wire_enum! {
    /// SPU group state.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum SpuGroupStatusResolution: u8 {
        /// Just created.
        #[default]
        Init = 0,
        /// Invalid configuration.
        Invalid = 1,
        /// SPU ids reserved.
        Reserved = 2,
    }
}
