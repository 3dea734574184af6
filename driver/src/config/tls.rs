//! TLS settings of a cluster entry (`[cluster.<name>.tls]`).
//!
//! The on-disk shape is the one of the official client:
//!
//! ```toml
//! [cluster.local.tls]
//! tls_policy = "verified"   # "disabled" (alias "disable") | "anonymous" | "verified" (alias "verify")
//! tls_source = "files"      # only for "verified": "files" (alias "file") | "inline"
//! [cluster.local.tls.certs]
//! domain = "fluvio.local"
//! key = "/path/client.key"  # PEM text when tls_source = "inline"
//! cert = "/path/client.crt"
//! ca_cert = "/path/ca.crt"
//! ```

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Whether and how to use TLS towards a cluster.
///
/// Serialized as a table tagged by `tls_policy`; a missing `tls` table means
/// [`TlsPolicy::Disabled`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "tls_policy")]
pub enum TlsPolicy {
    /// Plain TCP, no TLS (`"disabled"`, also read as `"disable"`).
    #[default]
    #[serde(rename = "disabled", alias = "disable")]
    Disabled,
    /// TLS without verifying the server certificate or name (`"anonymous"`).
    #[serde(rename = "anonymous")]
    Anonymous,
    /// TLS with a CA, a domain and a client certificate (`"verified"`, also read as `"verify"`).
    #[serde(rename = "verified", alias = "verify")]
    Verified(TlsConfig),
}

impl TlsPolicy {
    /// The verification domain, if the policy is [`TlsPolicy::Verified`].
    pub fn domain(&self) -> Option<&str> {
        match self {
            TlsPolicy::Verified(config) => Some(config.domain()),
            TlsPolicy::Disabled | TlsPolicy::Anonymous => None,
        }
    }

    /// Whether this policy uses TLS at all.
    pub fn is_tls(&self) -> bool {
        !matches!(self, TlsPolicy::Disabled)
    }
}

impl From<TlsConfig> for TlsPolicy {
    fn from(config: TlsConfig) -> Self {
        TlsPolicy::Verified(config)
    }
}

impl From<TlsPaths> for TlsPolicy {
    fn from(paths: TlsPaths) -> Self {
        TlsPolicy::Verified(TlsConfig::Files(paths))
    }
}

impl From<TlsCerts> for TlsPolicy {
    fn from(certs: TlsCerts) -> Self {
        TlsPolicy::Verified(TlsConfig::Inline(certs))
    }
}

/// Where the key and certificates of a verified TLS policy come from.
///
/// Serialized with the tag `tls_source` and the content in a `certs` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "tls_source", content = "certs")]
pub enum TlsConfig {
    /// PEM text stored in the profile file itself (`"inline"`).
    #[serde(rename = "inline")]
    Inline(TlsCerts),
    /// Paths to PEM files (`"files"`, also read as `"file"`).
    #[serde(rename = "files", alias = "file")]
    Files(TlsPaths),
}

impl TlsConfig {
    /// The domain the server certificate is verified against (also the SNI name).
    pub fn domain(&self) -> &str {
        match self {
            TlsConfig::Inline(certs) => &certs.domain,
            TlsConfig::Files(paths) => &paths.domain,
        }
    }
}

impl From<TlsPaths> for TlsConfig {
    fn from(paths: TlsPaths) -> Self {
        TlsConfig::Files(paths)
    }
}

impl From<TlsCerts> for TlsConfig {
    fn from(certs: TlsCerts) -> Self {
        TlsConfig::Inline(certs)
    }
}

/// Paths to the PEM files of a verified TLS policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsPaths {
    /// Domain the server certificate must match.
    pub domain: String,
    /// Path to the client private key.
    pub key: PathBuf,
    /// Path to the client certificate.
    pub cert: PathBuf,
    /// Path to the certificate authority certificate.
    pub ca_cert: PathBuf,
}

/// PEM text of a verified TLS policy, stored inline in the profile file.
///
/// `Debug` never prints the private key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsCerts {
    /// Domain the server certificate must match.
    pub domain: String,
    /// Client private key (PEM).
    pub key: String,
    /// Client certificate (PEM).
    pub cert: String,
    /// Certificate authority certificate (PEM).
    pub ca_cert: String,
}

impl fmt::Debug for TlsCerts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsCerts")
            .field("domain", &self.domain)
            .field("key", &format_args!("<{} bytes redacted>", self.key.len()))
            .field("cert", &format_args!("<{} bytes>", self.cert.len()))
            .field("ca_cert", &format_args!("<{} bytes>", self.ca_cert.len()))
            .finish()
    }
}
