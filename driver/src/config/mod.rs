//! Fluvio profiles: the `~/.fluvio/config` file shared with the official `fluvio` CLI.
//!
//! Files written by the official client load here unchanged and files written here load in
//! the official client. The format:
//!
//! ```toml
//! version = "2.0"                 # "1.0", "2" and "2.0" are all found in the wild
//! current_profile = "local"
//!
//! [profile.local]
//! cluster = "local"               # key into [cluster.*]
//!
//! [cluster.local]
//! endpoint = "127.0.0.1:9003"
//! ```
//!
//! See [`ClusterConfig`] and [`TlsPolicy`] for the cluster entries, [`Config`] for the
//! operations and [`ConfigFile`] for loading and saving.
//!
//! ```
//! use flv_driver::config::{ClusterConfig, Config};
//!
//! let mut config = Config::new();
//! config.add_or_replace_profile("local", ClusterConfig::new("127.0.0.1:9003"));
//! let text = config.to_toml_string().unwrap();
//! let back = Config::from_toml_str(&text).unwrap();
//! assert_eq!(back.current_cluster().unwrap().endpoint, "127.0.0.1:9003");
//! ```

mod cluster;
mod file;
mod profile;
mod tls;

#[cfg(test)]
mod file_tests;
#[cfg(test)]
mod format_tests;
#[cfg(test)]
mod ops_tests;

use std::io;
use std::path::PathBuf;

pub use cluster::{ClusterConfig, FluvioClusterConfig, FluvioConfig, Metadata};
pub use file::{
    CONFIG_DIR, CONFIG_FILE, ConfigFile, PROFILE_PATH_ENV, default_config_path, load_config,
    resolve_config_path, save_config,
};
pub use profile::{CONFIG_VERSION, Config, LOCAL_PROFILE, Profile};
pub use tls::{TlsCerts, TlsConfig, TlsPaths, TlsPolicy};

/// Errors of profile lookups, edits, parsing and file I/O.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No `current_profile` is set.
    #[error("config has no active profile")]
    NoActiveProfile,
    /// The named profile does not exist.
    #[error("profile `{profile}` not found")]
    ProfileNotFound {
        /// Name looked up.
        profile: String,
    },
    /// The named cluster does not exist.
    #[error("cluster `{cluster}` not found{}", profile_context(.profile))]
    ClusterNotFound {
        /// Name looked up.
        cluster: String,
        /// The profile that refers to the cluster, when the lookup went through one.
        profile: Option<String>,
    },
    /// A profile already has the target name (rename).
    #[error("profile `{profile}` already exists")]
    ProfileExists {
        /// The existing name.
        profile: String,
    },
    /// Profiles still use the cluster to delete (and deletion was not forced).
    #[error("cluster `{cluster}` is used by profile(s) {}", .profiles.join(", "))]
    ClusterInUse {
        /// The cluster name.
        cluster: String,
        /// Names of the profiles that refer to it, sorted.
        profiles: Vec<String>,
    },
    /// The profile file is not valid TOML or not in the profile format.
    #[error("invalid profile file{}: {source}", path_context(.path))]
    Parse {
        /// The file, when parsing a file.
        path: Option<PathBuf>,
        /// Parser error.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// The configuration cannot be written as TOML.
    #[error("cannot encode profile file: {0}")]
    Encode(#[from] toml::ser::Error),
    /// A metadata entry does not decode as the requested type.
    #[error("metadata `{name}` has an unexpected shape: {source}")]
    Metadata {
        /// Metadata key.
        name: String,
        /// Decoder error.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A value cannot be stored as metadata.
    #[error("metadata `{name}` cannot be encoded: {source}")]
    MetadataEncode {
        /// Metadata key.
        name: String,
        /// Encoder error.
        #[source]
        source: toml::ser::Error,
    },
    /// Neither `FLV_PROFILE_PATH` nor a home directory is available.
    #[error("cannot locate the profile file: set FLV_PROFILE_PATH or HOME")]
    NoHomeDir,
    /// Reading or writing the profile file failed.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// What was being done (`read`, `write`, ...).
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// Operating system error.
        #[source]
        source: io::Error,
    },
}

fn profile_context(profile: &Option<String>) -> String {
    match profile {
        Some(profile) => format!(" (referenced by profile `{profile}`)"),
        None => String::new(),
    }
}

fn path_context(path: &Option<PathBuf>) -> String {
    match path {
        Some(path) => format!(" {}", path.display()),
        None => String::new(),
    }
}
