//! `flv profile ...`: the profiles of the `~/.fluvio/config` file shared with the official CLI.
//!
//! Same subcommands, arguments and messages as `fluvio profile`, with two deliberate
//! differences: failures are errors (stderr, non-zero exit) where upstream prints a line and
//! exits 0, and `export` prints a stand-alone profile file (TOML by default).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use flv_driver::config::{Config, ConfigError, ConfigFile, TlsPolicy};

use crate::output::{self, OutputFormat, OutputOpt, Table};
use crate::target::{TlsOpts, check_endpoint};

/// `flv profile` without a subcommand prints the current profile.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ProfileOpt {
    #[command(subcommand)]
    cmd: Option<ProfileCmd>,
}

/// Profile subcommands.
#[derive(Debug, Subcommand)]
enum ProfileCmd {
    /// Print the name of the current context
    Current,

    /// Delete the named profile
    Delete {
        /// The profile to delete
        #[arg(value_name = "profile name")]
        profile_name: String,
    },

    /// Delete the named cluster
    DeleteCluster {
        /// The name of a cluster connection to delete
        #[arg(value_name = "cluster name")]
        cluster_name: String,
        /// Delete the cluster even if profiles still use it
        #[arg(short, long)]
        force: bool,
    },

    /// Display the entire Fluvio configuration
    List {
        #[command(flatten)]
        output: OutputOpt,
    },

    /// Rename a profile
    Rename {
        /// The name of the profile to rename
        from: String,
        /// The new name to give the profile
        to: String,
    },

    /// Switch to the named profile
    Switch {
        /// The profile to make current
        #[arg(value_name = "profile name")]
        profile_name: String,
    },

    /// Export a profile for use in other applications
    Export {
        /// The profile to export (default: the current one)
        profile_name: Option<String>,
        /// Output
        #[arg(
            short = 'O',
            long = "output",
            value_name = "type",
            value_enum,
            default_value_t,
            ignore_case = true
        )]
        output: ExportFormat,
    },

    /// Manually add a profile (advanced) and switch to it
    Add {
        /// Name of profile to add
        profile_name: String,
        /// address of cluster, e.g. 127.0.0.1:9003
        cluster_address: String,
        /// Installation type of cluster, e.g. local, local-k8, k8
        #[arg(ignore_case = true)]
        installation_type: Option<Installation>,
        #[command(flatten)]
        tls: TlsOpts,
    },

    /// Sync a profile from a cluster
    #[command(subcommand)]
    Sync(SyncCmd),
}

/// `flv profile sync` subcommands.
#[derive(Debug, Subcommand)]
enum SyncCmd {
    /// Sync a profile from a local cluster: the profile and cluster `local` point at
    /// HOST:PORT and become current
    Local {
        /// Address of the local cluster
        #[arg(value_name = "host:port", default_value = "localhost:9003")]
        local: String,
        #[command(flatten)]
        tls: TlsOpts,
    },
    /// Sync a profile from a Kubernetes cluster (not supported: flv has no Kubernetes
    /// client; use `flv profile add NAME HOST:PORT` with the SC service's address)
    K8 {
        /// Kubernetes namespace of the Fluvio SC
        #[arg(long, short, value_name = "namespace")]
        namespace: Option<String>,
        /// The profile name to create
        #[arg(value_name = "name")]
        name: Option<String>,
        #[command(flatten)]
        tls: TlsOpts,
    },
}

/// Formats of `flv profile export`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// A profile file, loadable with FLV_PROFILE_PATH.
    #[default]
    Toml,
    /// The same content as JSON.
    Json,
    /// The same content as YAML.
    Yaml,
}

/// Installation kinds the official CLI records in a cluster's `installation` metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Installation {
    /// Kubernetes.
    K8,
    /// Local processes.
    Local,
    /// Local processes with a Kubernetes control plane.
    #[value(alias = "local_k8", alias = "localk8")]
    LocalK8,
    /// Read-only.
    #[value(alias = "read_only", alias = "readonly")]
    ReadOnly,
    /// Docker.
    Docker,
    /// InfinyOn Cloud.
    Cloud,
}

impl Installation {
    /// The value written to the file (upstream's serde `snake_case`).
    fn as_metadata(self) -> &'static str {
        match self {
            Installation::K8 => "k8",
            Installation::Local => "local",
            Installation::LocalK8 => "local_k8",
            Installation::ReadOnly => "read_only",
            Installation::Docker => "docker",
            Installation::Cloud => "cloud",
        }
    }
}

/// The profile and cluster name of `profile sync local` (the official `LOCAL_PROFILE`).
const LOCAL: &str = "local";

/// Metadata key of the installation kind.
const INSTALLATION_KEY: &str = "installation";

impl ProfileOpt {
    /// Runs the command against the profile file at `path`.
    pub(crate) fn run(self, path: &Path) -> anyhow::Result<ExitCode> {
        let mut file = ConfigFile::load(path)?;
        match self.cmd.unwrap_or(ProfileCmd::Current) {
            ProfileCmd::Current => {
                let name = file.config().current_profile_name().with_context(|| {
                    format!("no current profile set in {}", file.path().display())
                })?;
                outln!("{name}")?;
            }
            ProfileCmd::Delete { profile_name } => {
                let was_current = file.config().current_profile_name() == Some(&profile_name);
                file.config_mut()
                    .delete_profile(&profile_name)
                    .map_err(not_found)?;
                file.save()?;
                outln!("profile {profile_name} deleted")?;
                if was_current {
                    eprintln!(
                        "warning: this removed your current profile, use 'flv profile switch' to select a different one"
                    );
                }
            }
            ProfileCmd::DeleteCluster {
                cluster_name,
                force,
            } => {
                file.config_mut()
                    .delete_cluster(&cluster_name, force)
                    .map_err(|err| match err {
                        ConfigError::ClusterInUse { cluster, profiles } => anyhow::anyhow!(
                            "cluster `{cluster}` is used by profile(s) {}; to delete it anyway, use --force",
                            profiles.join(", ")
                        ),
                        other => not_found(other),
                    })?;
                file.save()?;
                outln!("Cluster {cluster_name} deleted")?;
            }
            ProfileCmd::List { output } => list(file.config(), output.format, file.path())?,
            ProfileCmd::Rename { from, to } => {
                file.config_mut()
                    .rename_profile(&from, &to)
                    .map_err(not_found)?;
                file.save()?;
            }
            ProfileCmd::Switch { profile_name } => {
                file.config_mut()
                    .switch_profile(&profile_name)
                    .map_err(not_found)?;
                file.save()?;
            }
            ProfileCmd::Export {
                profile_name,
                output,
            } => {
                let config = file.config();
                let name = match profile_name.as_deref() {
                    Some(name) => name,
                    None => config.current_profile_name().with_context(|| {
                        format!(
                            "no current profile set in {}: name the profile to export",
                            file.path().display()
                        )
                    })?,
                };
                let exported = config.export_profile(name).map_err(not_found)?;
                let format = match output {
                    ExportFormat::Toml => OutputFormat::Toml,
                    ExportFormat::Json => OutputFormat::Json,
                    ExportFormat::Yaml => OutputFormat::Yaml,
                };
                output::emit(&output::render_value(&exported, format, Table::default)?)?;
            }
            ProfileCmd::Add {
                profile_name,
                cluster_address,
                installation_type,
                tls,
            } => {
                if profile_name.is_empty() {
                    bail!("the profile name must not be empty");
                }
                check_endpoint(&cluster_address)?;
                let policy = tls.policy()?;
                let config = file.config_mut();
                config.add_or_update_endpoint(&profile_name, &cluster_address, policy);
                if let Some(installation) = installation_type {
                    config
                        .cluster_mut(&profile_name)?
                        .update_metadata_by_name(INSTALLATION_KEY, installation.as_metadata())?;
                }
                file.save()?;
                outln!("Switched to profile {profile_name}")?;
            }
            ProfileCmd::Sync(SyncCmd::Local { local, tls }) => {
                check_endpoint(&local)?;
                let policy = tls.policy()?;
                let config = file.config_mut();
                config.add_or_update_endpoint(LOCAL, &local, policy);
                config.switch_profile(LOCAL)?;
                file.save()?;
                outln!("local context is set to: {local}")?;
            }
            ProfileCmd::Sync(SyncCmd::K8 { .. }) => {
                bail!(
                    "`profile sync k8` reads the SC service address from Kubernetes, which flv cannot reach (no Kubernetes client); run `flv profile add NAME HOST:PORT` with the address of the fluvio-sc-public service instead"
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Lookup failures with a pointer to `flv profile list`.
fn not_found(err: ConfigError) -> anyhow::Error {
    match err {
        ConfigError::ProfileNotFound { profile } => {
            anyhow::anyhow!("profile `{profile}` not found (see `flv profile list`)")
        }
        ConfigError::ClusterNotFound {
            cluster,
            profile: None,
        } => anyhow::anyhow!("cluster `{cluster}` not found (see `flv profile list`)"),
        other => other.into(),
    }
}

/// One line of `flv profile list`.
#[derive(Debug)]
struct ProfileRow<'a> {
    active: bool,
    profile: &'a str,
    cluster: &'a str,
    address: &'a str,
    tls: &'static str,
}

fn tls_name(tls: &TlsPolicy) -> &'static str {
    match tls {
        TlsPolicy::Verified(_) => "Verified",
        TlsPolicy::Anonymous => "Anonymous",
        TlsPolicy::Disabled => "Disabled",
    }
}

fn profile_rows(config: &Config) -> Vec<ProfileRow<'_>> {
    let current = config.current_profile_name();
    config
        .profiles
        .iter()
        .map(|(name, profile)| {
            let cluster = config.cluster(&profile.cluster).ok();
            ProfileRow {
                active: current == Some(name.as_str()),
                profile: name,
                // A profile whose cluster is gone shows blank cluster columns (as upstream).
                cluster: cluster.map_or("", |_| profile.cluster.as_str()),
                address: cluster.map_or("", |c| c.endpoint.as_str()),
                tls: cluster.map_or("", |c| tls_name(&c.tls)),
            }
        })
        .collect()
}

/// The table of `flv profile list`; JSON, YAML and TOML show the whole configuration, as
/// upstream does.
fn list(config: &Config, format: OutputFormat, path: &Path) -> anyhow::Result<()> {
    if format == OutputFormat::Table && config.profiles.is_empty() {
        eprintln!(
            "no profiles in {}; add one with `flv profile add NAME HOST:PORT`",
            path.display()
        );
        return Ok(());
    }
    let text = output::render_value(config, format, || {
        let mut table = Table::new(["", "PROFILE", "CLUSTER", "ADDRESS", "TLS"]);
        for row in profile_rows(config) {
            let active = if row.active { "*" } else { "" };
            table.push([active, row.profile, row.cluster, row.address, row.tls]);
        }
        table
    })?;
    output::emit(&text)?;
    Ok(())
}
