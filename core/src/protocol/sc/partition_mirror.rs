//! The mirror side of a partition (home or remote), shared by partition and topic specs.
//!
//! Upstream: `fluvio-controlplane-metadata` `partition/spec.rs`.

payload_enum! {
    /// Mirror side of one partition.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub enum PartitionMirrorConfig: u8 {
        /// Partition on a remote cluster, mirroring a home SPU.
        Remote(RemotePartitionConfig) = 0,
        /// Partition on the home cluster, fed by a remote.
        Home(HomePartitionConfig) = 1,
    }
}

impl Default for PartitionMirrorConfig {
    fn default() -> Self {
        Self::Remote(RemotePartitionConfig::default())
    }
}

crate::wire_struct! {
    /// Home side of a mirrored partition.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct HomePartitionConfig {
        /// The remote cluster.
        pub remote_cluster: String,
        /// The replica key on the remote.
        pub remote_replica: String,
        /// Home is the source (v≥18).
        #[serde(default)]
        @since(18)
        pub source: bool,
    }
}

crate::wire_struct! {
    /// Remote side of a mirrored partition.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct RemotePartitionConfig {
        /// The home cluster.
        pub home_cluster: String,
        /// Key of the home SPU.
        pub home_spu_key: String,
        /// Id of the home SPU.
        #[serde(default)]
        pub home_spu_id: i32,
        /// Endpoint of the home SPU.
        pub home_spu_endpoint: String,
        /// Remote is the target (v≥18).
        #[serde(default)]
        @since(18)
        pub target: bool,
    }
}
