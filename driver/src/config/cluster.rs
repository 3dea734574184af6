//! One cluster entry of the profile file (`[cluster.<name>]`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ConfigError, TlsPolicy};

/// Free-form metadata table of a cluster entry (`[cluster.<name>.metadata]`).
pub type Metadata = toml::Table;

/// How to reach one cluster: the SC endpoint and the TLS policy.
///
/// ```toml
/// [cluster.local]
/// endpoint = "127.0.0.1:9003"    # also read as `addr`
/// use_spu_local_address = false  # optional, default false
/// [cluster.local.tls]            # optional, default disabled
/// tls_policy = "disabled"
/// [cluster.local.metadata]       # optional free-form table, omitted when empty
/// installation = "local"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterConfig {
    /// Address of the cluster's SC, `host:port`.
    #[serde(alias = "addr")]
    pub endpoint: String,
    /// Connect to SPUs through their private (cluster-local) address instead of the public one.
    #[serde(default)]
    pub use_spu_local_address: bool,
    /// TLS policy; [`TlsPolicy::Disabled`] when absent from the file.
    #[serde(default)]
    pub tls: TlsPolicy,
    /// Free-form metadata (for example the `installation` kind written by the CLI).
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// Client id override; set in code only, never read from or written to the file.
    #[serde(skip)]
    pub client_id: Option<String>,
}

/// Name kept for readers of the official client's API, where the cluster entry is `FluvioConfig`.
pub type FluvioConfig = ClusterConfig;

/// Name kept for readers of the official client's API (`FluvioClusterConfig`).
pub type FluvioClusterConfig = ClusterConfig;

impl ClusterConfig {
    /// A cluster entry for `endpoint` without TLS, SPU local addresses or metadata.
    pub fn new(endpoint: impl Into<String>) -> Self {
        ClusterConfig {
            endpoint: endpoint.into(),
            use_spu_local_address: false,
            tls: TlsPolicy::Disabled,
            metadata: Metadata::new(),
            client_id: None,
        }
    }

    /// The cluster of the current profile of the profile file (the official
    /// `FluvioClusterConfig::load`).
    pub fn load() -> Result<Self, ConfigError> {
        let file = super::ConfigFile::load_default()?;
        file.config().current_cluster().cloned()
    }

    /// The cluster of the named profile, `None` if there is no such profile (the official
    /// `FluvioClusterConfig::load_with_profile`).
    pub fn load_with_profile(profile: &str) -> Result<Option<Self>, ConfigError> {
        let file = super::ConfigFile::load_default()?;
        match file.config().cluster_for_profile(profile) {
            Ok(cluster) => Ok(Some(cluster.clone())),
            Err(ConfigError::ProfileNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// This entry with the given TLS policy.
    pub fn with_tls(mut self, tls: impl Into<TlsPolicy>) -> Self {
        self.tls = tls.into();
        self
    }

    /// This entry with the given client id override (not persisted).
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Whether metadata has an entry `name`.
    pub fn has_metadata(&self, name: &str) -> bool {
        self.metadata.contains_key(name)
    }

    /// Metadata entry `name` decoded as `T`; `None` when absent.
    pub fn query_metadata_by_name<T: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, ConfigError> {
        match self.metadata.get(name) {
            None => Ok(None),
            Some(value) => {
                value
                    .clone()
                    .try_into()
                    .map(Some)
                    .map_err(|source| ConfigError::Metadata {
                        name: name.to_owned(),
                        source: Box::new(source),
                    })
            }
        }
    }

    /// Sets metadata entry `name` to `value`, replacing an existing entry.
    pub fn update_metadata_by_name<S: Serialize>(
        &mut self,
        name: &str,
        value: S,
    ) -> Result<(), ConfigError> {
        let value = toml::Value::try_from(value).map_err(|source| ConfigError::MetadataEncode {
            name: name.to_owned(),
            source,
        })?;
        self.metadata.insert(name.to_owned(), value);
        Ok(())
    }
}
