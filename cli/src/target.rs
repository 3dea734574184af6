//! Global connection flags (`-c`, `-P`, TLS) and their resolution into the cluster to use.
//!
//! Same flags and rules as the official CLI: `--profile` cannot be combined with `--cluster`
//! or TLS flags, TLS flags need `--cluster`, and without flags the current profile is used.
//! Unlike upstream, stray or incomplete TLS flags are errors rather than silently ignored,
//! and TLS files are checked to exist.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use flv_driver::config::{ClusterConfig, Config, ConfigError, TlsConfig, TlsPaths, TlsPolicy};

/// Environment variable setting the client id sent to the cluster (as the official CLI).
pub(crate) const CLIENT_ID_ENV: &str = "FLUVIO_CLIENT_ID";

/// Client id when [`CLIENT_ID_ENV`] is unset.
pub(crate) const DEFAULT_CLIENT_ID: &str = "flv";

/// TLS flags, for `-c HOST:PORT` and `flv profile add`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub(crate) struct TlsOpts {
    /// Enable TLS
    #[arg(long)]
    pub tls: bool,

    /// TLS: use client cert (mutual TLS, verifies the server)
    #[arg(long)]
    pub enable_client_cert: bool,

    /// Domain the server certificate must match; required with --enable-client-cert
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,

    /// Path to TLS ca cert, required when client cert is enabled
    #[arg(long, value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,

    /// Path to TLS client certificate
    #[arg(long, value_name = "PATH")]
    pub client_cert: Option<PathBuf>,

    /// Path to TLS client private key
    #[arg(long, value_name = "PATH")]
    pub client_key: Option<PathBuf>,
}

impl TlsOpts {
    /// Whether any TLS flag is given.
    pub(crate) fn any(&self) -> bool {
        self.tls || self.enable_client_cert || self.verification_flags().next().is_some()
    }

    /// Names of the given flags that only make sense with `--enable-client-cert`.
    fn verification_flags(&self) -> impl Iterator<Item = &'static str> {
        [
            ("--domain", self.domain.is_some()),
            ("--ca-cert", self.ca_cert.is_some()),
            ("--client-cert", self.client_cert.is_some()),
            ("--client-key", self.client_key.is_some()),
        ]
        .into_iter()
        .filter(|(_, given)| *given)
        .map(|(flag, _)| flag)
    }

    /// The TLS policy asked for: `Disabled` without `--tls`, `Anonymous` with `--tls` alone,
    /// `Verified` (files, made absolute and checked to exist) with `--enable-client-cert`.
    pub(crate) fn policy(&self) -> anyhow::Result<TlsPolicy> {
        if !self.tls {
            if self.any() {
                let flags: Vec<&str> = self
                    .enable_client_cert
                    .then_some("--enable-client-cert")
                    .into_iter()
                    .chain(self.verification_flags())
                    .collect();
                bail!("{} only apply with --tls", flags.join(", "));
            }
            return Ok(TlsPolicy::Disabled);
        }
        if !self.enable_client_cert {
            let flags: Vec<&str> = self.verification_flags().collect();
            if !flags.is_empty() {
                bail!(
                    "{} only apply with --enable-client-cert (plain --tls does not verify the server)",
                    flags.join(", ")
                );
            }
            return Ok(TlsPolicy::Anonymous);
        }
        let missing: Vec<&str> = [
            ("--domain", self.domain.is_none()),
            ("--ca-cert", self.ca_cert.is_none()),
            ("--client-cert", self.client_cert.is_none()),
            ("--client-key", self.client_key.is_none()),
        ]
        .into_iter()
        .filter(|(_, missing)| *missing)
        .map(|(flag, _)| flag)
        .collect();
        match (
            &self.domain,
            &self.ca_cert,
            &self.client_cert,
            &self.client_key,
        ) {
            (Some(domain), Some(ca_cert), Some(cert), Some(key)) if !domain.is_empty() => {
                Ok(TlsPolicy::from(TlsPaths {
                    domain: domain.clone(),
                    key: existing_file("--client-key", key)?,
                    cert: existing_file("--client-cert", cert)?,
                    ca_cert: existing_file("--ca-cert", ca_cert)?,
                }))
            }
            (Some(_), Some(_), Some(_), Some(_)) => bail!("--domain must not be empty"),
            _ => bail!(
                "--enable-client-cert needs --domain, --ca-cert, --client-cert and --client-key (missing {})",
                missing.join(", ")
            ),
        }
    }
}

/// `path` made absolute, or an error naming `flag` when it is not an existing file.
fn existing_file(flag: &str, path: &Path) -> anyhow::Result<PathBuf> {
    if !path.is_file() {
        bail!("TLS file given with {flag} not found: {}", path.display());
    }
    std::path::absolute(path)
        .with_context(|| format!("cannot resolve TLS file path {}", path.display()))
}

/// Connection flags accepted before the subcommand, as in the official CLI
/// (`flv -P prod topic list`, `flv -c 127.0.0.1:9003 ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
#[command(next_help_heading = "Connection options")]
pub(crate) struct GlobalOpts {
    /// Address of cluster, instead of the current profile's
    #[arg(short = 'c', long, value_name = "host:port")]
    pub cluster: Option<String>,

    #[command(flatten)]
    pub tls: TlsOpts,

    /// Profile to use instead of the current one
    #[arg(
        short = 'P',
        long,
        value_name = "profile",
        conflicts_with_all = ["cluster", "tls", "enable_client_cert", "domain", "ca_cert", "client_cert", "client_key"]
    )]
    pub profile: Option<String>,

    /// Client id sent to the cluster; from `FLUVIO_CLIENT_ID` (see `main`).
    #[arg(skip)]
    pub client_id: Option<String>,
}

/// Checks that `endpoint` has the shape `HOST:PORT` (`[v6]:PORT` included).
pub(crate) fn check_endpoint(endpoint: &str) -> anyhow::Result<()> {
    let valid = endpoint.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !host.contains(char::is_whitespace) && port.parse::<u16>().is_ok()
    });
    if !valid {
        bail!("invalid cluster address `{endpoint}`: expected HOST:PORT, e.g. 127.0.0.1:9003");
    }
    Ok(())
}

/// The cluster to connect to, from the connection flags and the profile file; the client id
/// is `opts.client_id` or [`DEFAULT_CLIENT_ID`].
pub(crate) fn resolve_target(opts: &GlobalOpts, config: &Config) -> anyhow::Result<ClusterConfig> {
    let mut cluster = match (&opts.profile, &opts.cluster) {
        (Some(_), Some(_)) => bail!("--cluster cannot be used together with --profile"),
        (Some(profile), None) => {
            if opts.tls.any() {
                bail!("TLS flags cannot be used together with --profile (the profile has its own)");
            }
            let cluster = config
                .cluster_for_profile(profile)
                .map_err(lookup_error)?
                .clone();
            check_profile_tls_files(profile, &cluster.tls)?;
            cluster
        }
        (None, Some(endpoint)) => {
            check_endpoint(endpoint)?;
            ClusterConfig::new(endpoint.as_str()).with_tls(opts.tls.policy()?)
        }
        (None, None) => {
            if opts.tls.any() {
                bail!("TLS flags need --cluster HOST:PORT");
            }
            let cluster = config.current_cluster().map_err(lookup_error)?.clone();
            let name = config.current_profile_name().unwrap_or_default();
            check_profile_tls_files(name, &cluster.tls)?;
            cluster
        }
    };
    let client_id = opts
        .client_id
        .clone()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned());
    cluster.client_id = Some(client_id);
    Ok(cluster)
}

/// One-sentence errors, with what to do, for failed profile lookups.
fn lookup_error(err: ConfigError) -> anyhow::Error {
    match err {
        ConfigError::NoActiveProfile => anyhow::anyhow!(
            "no active profile: add one with `flv profile add NAME HOST:PORT`, \
             select one with `flv profile switch NAME`, or pass --cluster HOST:PORT"
        ),
        ConfigError::ProfileNotFound { profile } => {
            anyhow::anyhow!("profile `{profile}` not found (see `flv profile list`)")
        }
        ConfigError::ClusterNotFound {
            cluster,
            profile: Some(profile),
        } => anyhow::anyhow!(
            "profile `{profile}` refers to cluster `{cluster}`, which is missing from the profile file"
        ),
        other => other.into(),
    }
}

/// Checks the files of a file-based verified TLS policy of profile `profile` exist.
fn check_profile_tls_files(profile: &str, tls: &TlsPolicy) -> anyhow::Result<()> {
    if let TlsPolicy::Verified(TlsConfig::Files(paths)) = tls {
        for (what, path) in [
            ("CA certificate", &paths.ca_cert),
            ("client certificate", &paths.cert),
            ("client key", &paths.key),
        ] {
            if !path.is_file() {
                bail!(
                    "TLS {what} of profile `{profile}` not found: {}",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
