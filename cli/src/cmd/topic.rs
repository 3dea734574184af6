//! `flv topic create|delete|list|describe|add-partition` and `flv partition list`, with the
//! official CLI's flags and table columns.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use flv_driver::core::sc::Metadata;
use flv_driver::core::sc::partition::PartitionSpec;
use flv_driver::core::sc::topic::{
    AddPartition, Bounds, CleanupPolicy, CompressionAlgorithm, Deduplication, Filter, PartitionMap,
    ReplicaSpec, SegmentBasedPolicy, TopicReplicaParam, TopicSpec, TopicStorageConfig, Transform,
    UpdateTopicAction,
};
use serde::{Deserialize, Serialize};

use super::{block_on, connect, diagnose, failed};
use crate::output::{self, OutputOpt, TableRow};
use crate::target::GlobalOpts;

/// Topic subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TopicCmd {
    /// Create a Topic with the given name
    Create(CreateOpt),
    /// Delete one or more Topics with the given name(s)
    Delete {
        /// One or more name(s) of the topic(s) to be deleted
        #[arg(value_name = "name", required = true)]
        names: Vec<String>,
        /// Continue deleting in case of an error
        #[arg(short, long)]
        continue_on_error: bool,
        /// Delete system topics (after a confirmation on stdin, unless --force)
        #[arg(short, long)]
        system: bool,
        /// With --system: delete without asking
        #[arg(short, long)]
        force: bool,
    },
    /// Print detailed information about a Topic
    Describe {
        /// The name of the Topic to describe
        #[arg(value_name = "name")]
        name: String,
        #[command(flatten)]
        output: OutputOpt,
    },
    /// List all of the Topics in the cluster
    List {
        #[command(flatten)]
        output: OutputOpt,
        /// List the system topics too
        #[arg(short, long)]
        system: bool,
    },
    /// Add new partitions to an existing Topic
    AddPartition {
        /// The name of the Topic
        #[arg(value_name = "name")]
        name: String,
        /// Number of partitions to add
        #[arg(short, long, default_value_t = 1)]
        count: u32,
    },
}

/// Compression a topic requires of its producers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TopicCompression {
    /// Producers choose.
    Any,
    /// No compression.
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl From<TopicCompression> for CompressionAlgorithm {
    fn from(c: TopicCompression) -> Self {
        match c {
            TopicCompression::Any => Self::Any,
            TopicCompression::None => Self::None,
            TopicCompression::Gzip => Self::Gzip,
            TopicCompression::Snappy => Self::Snappy,
            TopicCompression::Lz4 => Self::Lz4,
            TopicCompression::Zstd => Self::Zstd,
        }
    }
}

/// The official CLI's deduplication filter (`topic create --dedup`).
pub(crate) const DEFAULT_DEDUP_FILTER: &str = "fluvio/dedup-bloom-filter@0.1.0";

/// `flv topic create`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("config_arg").multiple(true)))]
pub(crate) struct CreateOpt {
    /// The name of the Topic to create (from the file with --config)
    #[arg(
        value_name = "name",
        group = "config_arg",
        required_unless_present = "config"
    )]
    name: Option<String>,
    /// The number of Partitions to give the Topic
    #[arg(
        short,
        long,
        default_value_t = 1,
        conflicts_with = "replica_assignment",
        group = "config_arg"
    )]
    partitions: u32,
    /// The number of full replicas of the Topic to keep
    #[arg(
        short,
        long,
        default_value_t = 1,
        conflicts_with = "replica_assignment",
        group = "config_arg"
    )]
    replication: u32,
    /// Ignore racks while computing replica assignment
    #[arg(
        short = 'i',
        long,
        conflicts_with = "replica_assignment",
        group = "config_arg"
    )]
    ignore_rack_assignment: bool,
    /// Replica assignment file: a JSON array of `{"id": 0, "replicas": [5001, 5002]}`
    #[arg(short = 'f', long, value_name = "file.json", group = "config_arg")]
    replica_assignment: Option<PathBuf>,
    /// Validates configuration, does not provision
    #[arg(short = 'd', long)]
    dry_run: bool,
    /// Retention time (e.g. '1h', '2d 10s', '7 days')
    #[arg(long, value_name = "time", value_parser = humantime::parse_duration, group = "config_arg")]
    retention_time: Option<Duration>,
    /// Segment size (by default measured in bytes), e.g. '2 KB', '4 MiB'
    #[arg(long, value_name = "bytes", value_parser = parse_bytes, group = "config_arg")]
    segment_size: Option<u64>,
    /// Compression configuration for topic
    #[arg(
        long,
        value_name = "compression",
        value_enum,
        ignore_case = true,
        group = "config_arg"
    )]
    compression_type: Option<TopicCompression>,
    /// Max partition size (by default measured in bytes), e.g. '10 GB', '1 TiB'
    #[arg(long, value_name = "bytes", value_parser = parse_bytes, group = "config_arg")]
    max_partition_size: Option<u64>,
    /// Deduplicate records in the topic, with the SmartModule
    /// `fluvio/dedup-bloom-filter@0.1.0` (or another with --dedup=NAME)
    #[arg(
        long,
        value_name = "smartmodule",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = DEFAULT_DEDUP_FILTER,
        group = "config_arg"
    )]
    dedup: Option<String>,
    /// Number of records to keep in deduplication filter
    #[arg(long, value_name = "integer", default_value_t = 5, requires = "dedup")]
    dedup_count: u64,
    /// Age of records to keep in deduplication filter (e.g. '1h', '5s')
    #[arg(
        long,
        value_name = "time",
        value_parser = humantime::parse_duration,
        default_value = "5s",
        requires = "dedup"
    )]
    dedup_age: Duration,
    /// Create a system topic (system topics are for internal operations)
    #[arg(short = 's', long, hide = true)]
    system: bool,
    /// Path to a topic configuration file (YAML, the official format: meta.name,
    /// partition.count/replication/max-size/maps, retention.time/segment-size,
    /// compression.type, deduplication)
    #[arg(short = 'c', long, value_name = "PATH", conflicts_with = "config_arg")]
    config: Option<PathBuf>,
}

/// A byte size: a number with an optional unit (`KB`, `KiB`, `MB`, `MiB`, `GB`, `GiB`, ...).
pub(crate) fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("invalid size `{text}`: expected e.g. 4096, '2 KB', '4 MiB'"))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024.0f64.powi(4),
        other => return Err(format!("unknown size unit `{other}` in `{text}`")),
    };
    Ok((number * factor).round() as u64)
}

/// The partition maps of a replica assignment file: a JSON array of partition maps, or an
/// object with them under `partitions` or `maps`.
fn read_assignment(path: &PathBuf) -> anyhow::Result<Vec<PartitionMap>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum File {
        List(Vec<PartitionMap>),
        Partitions { partitions: Vec<PartitionMap> },
        Maps { maps: Vec<PartitionMap> },
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read replica assignment file {}", path.display()))?;
    let maps = match serde_json::from_str::<File>(&text).with_context(|| {
        format!(
            "{} is not a replica assignment (a JSON array of {{\"id\": 0, \"replicas\": [5001]}})",
            path.display()
        )
    })? {
        File::List(maps) | File::Partitions { partitions: maps } | File::Maps { maps } => maps,
    };
    if maps.is_empty() {
        bail!(
            "replica assignment file {} has no partitions",
            path.display()
        );
    }
    Ok(maps)
}

impl CreateOpt {
    /// The topic spec the flags describe.
    fn spec(&self) -> anyhow::Result<TopicSpec> {
        let replicas = match &self.replica_assignment {
            Some(path) => ReplicaSpec::Assigned(read_assignment(path)?),
            None => ReplicaSpec::Computed(TopicReplicaParam {
                partitions: self.partitions,
                replication_factor: self.replication,
                ignore_rack_assignment: self.ignore_rack_assignment,
            }),
        };
        let cleanup_policy = self
            .retention_time
            .map(|t| -> anyhow::Result<CleanupPolicy> {
                let secs = u32::try_from(t.as_secs()).context("retention time is too long")?;
                Ok(CleanupPolicy::Segment(SegmentBasedPolicy {
                    time_in_seconds: secs,
                }))
            })
            .transpose()?;
        let storage = if self.segment_size.is_some() || self.max_partition_size.is_some() {
            let segment_size = self
                .segment_size
                .map(u32::try_from)
                .transpose()
                .context("segment size must be below 4 GiB")?;
            Some(TopicStorageConfig {
                segment_size,
                max_partition_size: self.max_partition_size,
            })
        } else {
            None
        };
        let deduplication = self.dedup.as_ref().map(|uses| Deduplication {
            bounds: Bounds {
                count: self.dedup_count,
                age: Some(self.dedup_age),
            },
            filter: Filter {
                transform: Transform {
                    uses: uses.clone(),
                    with: Default::default(),
                },
            },
        });
        Ok(TopicSpec {
            replicas,
            cleanup_policy,
            storage,
            compression_type: self.compression_type.map(Into::into).unwrap_or_default(),
            deduplication,
            system: self.system,
        })
    }

    /// The topic's name and spec, from the flags or the `--config` file.
    fn name_and_spec(&self) -> anyhow::Result<(String, TopicSpec)> {
        if let Some(path) = &self.config {
            return super::topic_config::read(path);
        }
        let name = self.name.clone().context("the topic name is required")?;
        Ok((name, self.spec()?))
    }
}

impl TopicCmd {
    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        block_on(async move {
            // Check the flags before connecting.
            let create_spec = match &self {
                TopicCmd::Create(opt) => Some(opt.name_and_spec()?),
                _ => None,
            };
            let fluvio = connect(global).await?;
            let admin = fluvio.admin();
            let mut code = ExitCode::SUCCESS;
            match self {
                TopicCmd::Create(opt) => {
                    let (name, spec) = create_spec.context("topic spec")?;
                    if let Some(dedup) = &spec.deduplication {
                        warn_missing_smartmodule(&admin, &dedup.filter.transform.uses).await;
                    }
                    admin
                        .create(name.clone(), opt.dry_run, spec)
                        .await
                        .map_err(failed(format!("cannot create topic \"{name}\"")))?;
                    if opt.dry_run {
                        outln!("topic \"{name}\" is valid (dry run, not created)")?;
                    } else {
                        outln!("topic \"{name}\" created")?;
                    }
                }
                TopicCmd::Delete {
                    names,
                    continue_on_error,
                    system,
                    force,
                } => {
                    for name in names {
                        let deleted = match admin.delete::<TopicSpec>(name.clone()).await {
                            Err(e) if system && is_system_topic_error(&e) => {
                                if !force && !confirm_system_delete(&name)? {
                                    outln!("Aborted")?;
                                    break;
                                }
                                admin
                                    .force_delete::<TopicSpec>(name.clone())
                                    .await
                                    .map(|()| "system topic")
                            }
                            other => other.map(|()| "topic"),
                        };
                        match deleted {
                            Ok(what) => outln!("{what} \"{name}\" deleted")?,
                            Err(e) => {
                                let hint = if !system && is_system_topic_error(&e) {
                                    " (use --system to delete a system topic)".to_owned()
                                } else if is_topic_not_found(&e) {
                                    fluvio.with_metadata(|m| diagnose::topic_hint(m, &name))
                                } else {
                                    String::new()
                                };
                                let e = failed(format!("cannot delete topic \"{name}\"{hint}"))(e);
                                if !continue_on_error {
                                    return Err(e);
                                }
                                eprintln!("error: {e:#}");
                                code = ExitCode::FAILURE;
                            }
                        }
                    }
                }
                TopicCmd::List { output, system } => {
                    let mut topics = admin
                        .list_with_options::<TopicSpec, String>(Vec::new(), false, system)
                        .await
                        .map_err(failed("cannot list topics"))?;
                    topics.sort_by(|a, b| a.name.cmp(&b.name));
                    let rows: Vec<TopicRow> = topics.into_iter().map(TopicRow).collect();
                    if rows.is_empty() && output.format == output::OutputFormat::Table {
                        outln!("No topics found")?;
                    } else {
                        output::emit(&output::render_list(&rows, output.format, "topic")?)?;
                    }
                }
                TopicCmd::Describe { name, output } => {
                    let topic = admin
                        .list::<TopicSpec, String>(vec![name.clone()])
                        .await
                        .map_err(failed(format!("cannot describe topic \"{name}\"")))?
                        .into_iter()
                        .find(|t| t.name == name)
                        .with_context(|| {
                            let hint = fluvio.with_metadata(|m| diagnose::topic_hint(m, &name));
                            format!("topic \"{name}\" not found{hint}")
                        })?;
                    let text = match output.format {
                        output::OutputFormat::Table => describe(&topic),
                        format => output::render_value(&topic, format, output::Table::default)?,
                    };
                    output::emit(&text)?;
                }
                TopicCmd::AddPartition { name, count } => {
                    admin
                        .update::<TopicSpec>(
                            name.clone(),
                            UpdateTopicAction::AddPartition(AddPartition { count }),
                        )
                        .await
                        .map_err(failed(format!("cannot add partitions to topic \"{name}\"")))?;
                    outln!("added new partitions to topic: \"{name}\"")?;
                }
            }
            drop(admin);
            fluvio.close().await.ok();
            Ok(code)
        })
    }
}

/// `flv topic describe` as `key : value` lines.
fn describe(topic: &Metadata<TopicSpec>) -> String {
    let row = TopicRow(topic.clone());
    let mut lines: Vec<(&str, String)> = Vec::new();
    let (kind, partitions, replication, ignore_rack) = match &topic.spec.replicas {
        ReplicaSpec::Computed(p) => (
            "computed",
            p.partitions.to_string(),
            p.replication_factor.to_string(),
            p.ignore_rack_assignment.to_string(),
        ),
        ReplicaSpec::Assigned(maps) => (
            "assigned",
            maps.len().to_string(),
            maps.first()
                .map_or_else(String::new, |m| m.replicas.len().to_string()),
            String::new(),
        ),
        ReplicaSpec::Mirror(_) => ("mirror", String::new(), String::new(), String::new()),
    };
    let mut push = |k: &'static str, v: String| lines.push((k, v));
    push("Name", topic.name.clone());
    push("Type", kind.into());
    push("Partition Count", partitions);
    push("Replication Factor", replication);
    push("Ignore Rack Assignment", ignore_rack);
    push("Status", row.status());
    push("Reason", topic.status.reason.clone());
    push("Retention Time", row.retention());
    push("Compression", row.compression());
    push("Deduplication", row.dedup());
    if let Some(storage) = &topic.spec.storage {
        push(
            "Segment Size",
            storage
                .segment_size
                .map_or_else(String::new, |s| s.to_string()),
        );
        push(
            "Max Partition Size",
            storage
                .max_partition_size
                .map_or_else(String::new, |s| s.to_string()),
        );
    }
    lines
        .into_iter()
        .map(|(k, v)| format!(" {k:<24}:  {v}").trim_end().to_owned() + "\n")
        .collect()
}

/// One topic of `flv topic list`; JSON, YAML and TOML show the whole object.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct TopicRow(Metadata<TopicSpec>);

impl TopicRow {
    fn status(&self) -> String {
        format!("{:?}", self.0.status.resolution)
    }
    fn retention(&self) -> String {
        match &self.0.spec.cleanup_policy {
            Some(CleanupPolicy::Segment(p)) => {
                humantime::format_duration(Duration::from_secs(u64::from(p.time_in_seconds)))
                    .to_string()
            }
            None => "7days".into(),
        }
    }
    fn compression(&self) -> String {
        format!("{:?}", self.0.spec.compression_type)
    }
    fn dedup(&self) -> String {
        self.0
            .spec
            .deduplication
            .as_ref()
            .map_or_else(String::new, |d| d.filter.transform.uses.clone())
    }
}

impl TableRow for TopicRow {
    fn header() -> Vec<&'static str> {
        vec![
            "NAME",
            "TYPE",
            "PARTITIONS",
            "REPLICAS",
            "RETENTION TIME",
            "COMPRESSION",
            "DEDUPLICATION",
            "STATUS",
            "REASON",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let (kind, partitions, replicas) = match &self.0.spec.replicas {
            ReplicaSpec::Computed(p) => (
                "computed",
                p.partitions.to_string(),
                p.replication_factor.to_string(),
            ),
            ReplicaSpec::Assigned(maps) => (
                "assigned",
                maps.len().to_string(),
                maps.first()
                    .map_or_else(String::new, |m| m.replicas.len().to_string()),
            ),
            ReplicaSpec::Mirror(_) => ("mirror", String::new(), String::new()),
        };
        vec![
            self.0.name.clone(),
            kind.into(),
            partitions,
            replicas,
            self.retention(),
            self.compression(),
            self.dedup(),
            self.status(),
            self.0.status.reason.clone(),
        ]
    }
}

/// Whether `err` is the SC refusing to delete a system topic without force.
fn is_system_topic_error(err: &flv_tokio::Error) -> bool {
    matches!(
        err.client_error(),
        Some(flv_driver::core::client::ClientError::Admin {
            code: flv_driver::core::error_code::ErrorCode::SystemSpecDeletionAttempt { .. },
            ..
        })
    )
}

/// Whether `err` says the topic does not exist.
fn is_topic_not_found(err: &flv_tokio::Error) -> bool {
    matches!(err, flv_tokio::Error::TopicNotFound(_))
        || matches!(
            err.client_error(),
            Some(flv_driver::core::client::ClientError::Admin {
                code: flv_driver::core::error_code::ErrorCode::TopicNotFound,
                ..
            })
        )
}

/// Asks on stdin before deleting a system topic, as upstream (`y` or `yes`).
fn confirm_system_delete(name: &str) -> anyhow::Result<bool> {
    outln!(
        "You are trying to delete a system topic '{name}'. It can affect the functioning of the cluster.\nAre you sure you want to proceed? (y/n)"
    )?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(
        answer.trim_end().to_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Warns when the deduplication SmartModule `uses` is not in the cluster. Upstream
/// downloads `fluvio/dedup-bloom-filter` from the Hub then; flv has no Hub access and
/// says how to add it instead.
async fn warn_missing_smartmodule(admin: &flv_tokio::FluvioAdmin, uses: &str) {
    use flv_driver::core::sc::smartmodule::SmartModuleSpec;
    let found = admin
        .list_with_params::<SmartModuleSpec, &str>(vec![uses], true)
        .await
        .map(|list| !list.is_empty());
    if let Ok(false) = found {
        eprintln!(
            "warning: deduplication SmartModule \"{uses}\" is not in the cluster; the official CLI downloads it from the Hub, flv does not: add it to the cluster first"
        );
    }
}

/// `flv partition` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum PartitionCmd {
    /// List all of the Partitions in this cluster
    List {
        /// Only the partitions of this topic
        #[arg(long, short = 't', value_name = "topic")]
        topic: Option<String>,
        #[command(flatten)]
        output: OutputOpt,
        /// List the partitions of system topics too
        #[arg(short, long)]
        system: bool,
    },
}

/// One partition of `flv partition list`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct PartitionRow(Metadata<PartitionSpec>);

impl TableRow for PartitionRow {
    fn header() -> Vec<&'static str> {
        vec![
            "TOPIC",
            "PARTITION",
            "LEADER",
            "MIRROR",
            "REPLICAS",
            "RESOLUTION",
            "SIZE",
            "BASE",
            "HW",
            "LEO",
            "LSR",
            "FOLLOWER OFFSETS",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let (topic, partition) = flv_driver::core::client::split_partition_key(&self.0.name)
            .unwrap_or((&self.0.name, 0));
        let st = &self.0.status;
        let size = match st.size {
            s if s < 0 => "-".to_owned(),
            s => format_bytes(s.unsigned_abs()),
        };
        let followers: Vec<String> = st
            .replicas
            .iter()
            .map(|r| format!("{}:{}/{}", r.spu, r.hw, r.leo))
            .collect();
        vec![
            topic.to_owned(),
            partition.to_string(),
            self.0.spec.leader.to_string(),
            String::new(),
            format!("{:?}", self.0.spec.replicas),
            format!("{:?}", st.resolution),
            size,
            st.base_offset.to_string(),
            st.leader.hw.to_string(),
            st.leader.leo.to_string(),
            st.lsr.to_string(),
            format!("[{}]", followers.join(", ")),
        ]
    }
}

/// `n` bytes in the official CLI's short form (`0 B`, `1.2 kB`, `3.4 MB`).
pub(crate) fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl PartitionCmd {
    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        let PartitionCmd::List {
            topic,
            output,
            system,
        } = self;
        block_on(async move {
            let fluvio = connect(global).await?;
            let mut partitions = fluvio
                .admin()
                .list_with_options::<PartitionSpec, String>(Vec::new(), false, system)
                .await
                .map_err(failed("cannot list partitions"))?;
            if let Some(topic) = &topic {
                partitions.retain(|p| {
                    flv_driver::core::client::split_partition_key(&p.name)
                        .is_some_and(|(t, _)| t == topic)
                });
            }
            partitions.sort_by(|a, b| {
                let key = |m: &Metadata<PartitionSpec>| {
                    flv_driver::core::client::split_partition_key(&m.name)
                        .map(|(t, p)| (t.to_owned(), p))
                        .unwrap_or_else(|| (m.name.clone(), 0))
                };
                key(a).cmp(&key(b))
            });
            let rows: Vec<PartitionRow> = partitions.into_iter().map(PartitionRow).collect();
            output::emit(&output::render_list(&rows, output.format, "partition")?)?;
            fluvio.close().await.ok();
            Ok(ExitCode::SUCCESS)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("2 KB"), Ok(2000));
        assert_eq!(parse_bytes("4 MiB"), Ok(4 << 20));
        assert_eq!(parse_bytes("1.5kb"), Ok(1500));
        assert!(parse_bytes("12 parsecs").is_err());
        assert!(parse_bytes("MB").is_err());
    }

    #[test]
    fn bytes_format_short() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1234), "1.2 kB");
        assert_eq!(format_bytes(5_600_000), "5.6 MB");
    }
}
