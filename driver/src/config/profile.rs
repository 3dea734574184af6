//! The whole profile file ([`Config`]) and its profiles ([`Profile`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ClusterConfig, ConfigError, TlsPolicy};

/// Version written in new files (the official client writes the same).
pub const CONFIG_VERSION: &str = "2.0";

/// Name of the profile (and cluster) the official CLI creates for a local cluster.
pub const LOCAL_PROFILE: &str = "local";

/// Contents of a profile file.
///
/// Loading is lenient (unknown keys are ignored, `profile`/`cluster` tables may be missing);
/// writing always emits `version`, `profile` and `cluster`, which the official client requires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Format version as found in the file ("1.0", "2", "2.0"); kept as is on save.
    #[serde(default = "default_version")]
    pub version: String,
    /// Name of the active profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_profile: Option<String>,
    /// Profiles by name (`[profile.<name>]`).
    #[serde(rename = "profile", default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Clusters by name (`[cluster.<name>]`).
    #[serde(rename = "cluster", default)]
    pub clusters: BTreeMap<String, ClusterConfig>,
    /// Top-level client id; present in the format, unused by the official client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

fn default_version() -> String {
    CONFIG_VERSION.to_owned()
}

/// A named profile: which cluster to use (`[profile.<name>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Key of the cluster entry in `[cluster.*]`.
    pub cluster: String,
    /// Default topic; in the format but unused by the official client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Default partition; in the format but unused by the official client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<i32>,
}

impl Profile {
    /// A profile using cluster `cluster`.
    pub fn new(cluster: impl Into<String>) -> Self {
        Profile {
            cluster: cluster.into(),
            topic: None,
            partition: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// An empty configuration of version [`CONFIG_VERSION`].
    pub fn new() -> Self {
        Config {
            version: default_version(),
            current_profile: None,
            profiles: BTreeMap::new(),
            clusters: BTreeMap::new(),
            client_id: None,
        }
    }

    /// A configuration with one active profile [`LOCAL_PROFILE`] using cluster `local` at `endpoint`.
    pub fn with_local_cluster(endpoint: impl Into<String>) -> Self {
        let mut config = Config::new();
        config.add_or_replace_profile(LOCAL_PROFILE, ClusterConfig::new(endpoint));
        config
    }

    /// Parses the text of a profile file.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: None,
            source: Box::new(source),
        })
    }

    /// The text of a profile file for this configuration.
    pub fn to_toml_string(&self) -> Result<String, ConfigError> {
        Ok(toml::to_string(self)?)
    }

    /// Format version as found in the file.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Name of the active profile, if one is set.
    pub fn current_profile_name(&self) -> Option<&str> {
        self.current_profile.as_deref()
    }

    /// The active profile.
    ///
    /// Errors: [`ConfigError::NoActiveProfile`], or [`ConfigError::ProfileNotFound`] when
    /// `current_profile` names a missing profile.
    pub fn current_profile(&self) -> Result<&Profile, ConfigError> {
        let name = self
            .current_profile
            .as_deref()
            .ok_or(ConfigError::NoActiveProfile)?;
        self.profile(name)
    }

    /// The cluster of the active profile (what a client connects to).
    pub fn current_cluster(&self) -> Result<&ClusterConfig, ConfigError> {
        let name = self
            .current_profile
            .as_deref()
            .ok_or(ConfigError::NoActiveProfile)?;
        self.cluster_for_profile(name)
    }

    /// Mutable access to the cluster of the active profile.
    pub fn current_cluster_mut(&mut self) -> Result<&mut ClusterConfig, ConfigError> {
        let name = self
            .current_profile
            .clone()
            .ok_or(ConfigError::NoActiveProfile)?;
        let cluster = self.profile(&name)?.cluster.clone();
        self.clusters
            .get_mut(&cluster)
            .ok_or(ConfigError::ClusterNotFound {
                cluster,
                profile: Some(name),
            })
    }

    /// The named profile, or [`ConfigError::ProfileNotFound`].
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.profiles
            .get(name)
            .ok_or_else(|| ConfigError::ProfileNotFound {
                profile: name.to_owned(),
            })
    }

    /// The named cluster, or [`ConfigError::ClusterNotFound`].
    pub fn cluster(&self, name: &str) -> Result<&ClusterConfig, ConfigError> {
        self.clusters
            .get(name)
            .ok_or_else(|| ConfigError::ClusterNotFound {
                cluster: name.to_owned(),
                profile: None,
            })
    }

    /// Mutable access to the named cluster, or [`ConfigError::ClusterNotFound`].
    pub fn cluster_mut(&mut self, name: &str) -> Result<&mut ClusterConfig, ConfigError> {
        self.clusters
            .get_mut(name)
            .ok_or_else(|| ConfigError::ClusterNotFound {
                cluster: name.to_owned(),
                profile: None,
            })
    }

    /// The cluster used by the named profile.
    pub fn cluster_for_profile(&self, profile: &str) -> Result<&ClusterConfig, ConfigError> {
        let cluster = &self.profile(profile)?.cluster;
        self.clusters
            .get(cluster)
            .ok_or_else(|| ConfigError::ClusterNotFound {
                cluster: cluster.clone(),
                profile: Some(profile.to_owned()),
            })
    }

    /// Inserts or replaces a profile; returns the replaced one. Does not switch to it.
    pub fn insert_profile(&mut self, name: impl Into<String>, profile: Profile) -> Option<Profile> {
        self.profiles.insert(name.into(), profile)
    }

    /// Inserts or replaces a cluster entry; returns the replaced one.
    pub fn insert_cluster(
        &mut self,
        name: impl Into<String>,
        cluster: ClusterConfig,
    ) -> Option<ClusterConfig> {
        self.clusters.insert(name.into(), cluster)
    }

    /// Adds or replaces profile `name` together with a cluster entry of the same name, and makes
    /// it the active profile (the layout the official CLI creates).
    ///
    /// The cluster entry is replaced entirely; an existing profile keeps its `topic` and
    /// `partition`. Returns the replaced cluster entry.
    pub fn add_or_replace_profile(
        &mut self,
        name: &str,
        cluster: ClusterConfig,
    ) -> Option<ClusterConfig> {
        let replaced = self.clusters.insert(name.to_owned(), cluster);
        self.profiles.entry(name.to_owned()).or_default().cluster = name.to_owned();
        self.current_profile = Some(name.to_owned());
        replaced
    }

    /// Like [`Config::add_or_replace_profile`] but, as the official CLI does, only sets the
    /// endpoint and TLS policy of an existing same-named cluster, keeping its metadata and
    /// `use_spu_local_address`.
    pub fn add_or_update_endpoint(&mut self, name: &str, endpoint: &str, tls: TlsPolicy) {
        let cluster = match self.clusters.remove(name) {
            Some(mut cluster) => {
                cluster.endpoint = endpoint.to_owned();
                cluster.tls = tls;
                cluster
            }
            None => ClusterConfig::new(endpoint).with_tls(tls),
        };
        self.add_or_replace_profile(name, cluster);
    }

    /// Makes `name` the active profile, or fails with [`ConfigError::ProfileNotFound`].
    pub fn switch_profile(&mut self, name: &str) -> Result<(), ConfigError> {
        self.profile(name)?;
        self.current_profile = Some(name.to_owned());
        Ok(())
    }

    /// Deletes a profile (not its cluster); clears `current_profile` if it was active.
    pub fn delete_profile(&mut self, name: &str) -> Result<Profile, ConfigError> {
        let profile = self
            .profiles
            .remove(name)
            .ok_or_else(|| ConfigError::ProfileNotFound {
                profile: name.to_owned(),
            })?;
        if self.current_profile.as_deref() == Some(name) {
            self.current_profile = None;
        }
        Ok(profile)
    }

    /// Names of the profiles that use cluster `cluster`, sorted.
    pub fn profiles_using_cluster(&self, cluster: &str) -> Vec<&str> {
        self.profiles
            .iter()
            .filter(|(_, profile)| profile.cluster == cluster)
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// Deletes a cluster entry.
    ///
    /// Unless `force`, fails with [`ConfigError::ClusterInUse`] while profiles refer to it;
    /// when forced those profiles are left dangling (as the official CLI does).
    pub fn delete_cluster(
        &mut self,
        name: &str,
        force: bool,
    ) -> Result<ClusterConfig, ConfigError> {
        if !self.clusters.contains_key(name) {
            return Err(ConfigError::ClusterNotFound {
                cluster: name.to_owned(),
                profile: None,
            });
        }
        let users = self.profiles_using_cluster(name);
        if !force && !users.is_empty() {
            return Err(ConfigError::ClusterInUse {
                cluster: name.to_owned(),
                profiles: users.into_iter().map(str::to_owned).collect(),
            });
        }
        Ok(self.clusters.remove(name).expect("presence checked above"))
    }

    /// Renames a profile (its cluster entry keeps its name); follows it if it was active.
    ///
    /// Unlike the official client, refuses to overwrite an existing profile `to`
    /// ([`ConfigError::ProfileExists`]). Renaming a profile to itself is a no-op.
    pub fn rename_profile(&mut self, from: &str, to: &str) -> Result<(), ConfigError> {
        self.profile(from)?;
        if from == to {
            return Ok(());
        }
        if self.profiles.contains_key(to) {
            return Err(ConfigError::ProfileExists {
                profile: to.to_owned(),
            });
        }
        let profile = self.profiles.remove(from).expect("presence checked above");
        self.profiles.insert(to.to_owned(), profile);
        if self.current_profile.as_deref() == Some(from) {
            self.current_profile = Some(to.to_owned());
        }
        Ok(())
    }

    /// A stand-alone configuration holding only profile `name` (active) and its cluster entry,
    /// e.g. to hand a profile to another machine.
    pub fn export_profile(&self, name: &str) -> Result<Config, ConfigError> {
        let profile = self.profile(name)?.clone();
        let cluster = self.cluster_for_profile(name)?.clone();
        let mut exported = Config::new();
        exported.clusters.insert(profile.cluster.clone(), cluster);
        exported.profiles.insert(name.to_owned(), profile);
        exported.current_profile = Some(name.to_owned());
        Ok(exported)
    }
}
