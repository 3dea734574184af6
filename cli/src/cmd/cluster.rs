//! Cluster objects besides topics: `flv spu list|register|unregister`, `flv spg
//! create|list|delete` (also under `flv cluster`) and `flv consumer list|delete`.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Subcommand;
use flv_driver::core::sc::Metadata;
use flv_driver::core::sc::spg::{SpuConfig, SpuGroupSpec, StorageConfig};
use flv_driver::core::sc::spu::{
    CustomSpuKey, CustomSpuSpec, Encryption, Endpoint, IngressAddr, IngressPort, SpuSpec, SpuType,
};
use serde::Serialize;

use super::{block_on, connect, failed};
use crate::output::{self, OutputOpt, TableRow};
use crate::target::GlobalOpts;

/// `flv spu` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SpuCmd {
    /// List all SPUs known by this cluster (managed AND custom)
    List {
        /// Whether to list only custom SPUs
        #[arg(long)]
        custom: bool,
        #[command(flatten)]
        output: OutputOpt,
    },
    /// Register a new custom SPU with the cluster
    Register {
        /// The ID to assign to the new SPU
        #[arg(short = 'i', long)]
        id: i32,
        /// The name for the new SPU (default `custom-spu-<id>`)
        #[arg(short = 'n', long = "name")]
        name: Option<String>,
        /// The rack name for the new SPU
        #[arg(short = 'r', long = "rack")]
        rack: Option<String>,
        /// The public address for the SPU
        #[arg(short = 'p', long = "public-server", value_name = "host:port")]
        public_server: String,
        /// The public address for the SPU as seen from the cluster's own hosts
        #[arg(short = 'l', long = "public-server-local", value_name = "host:port")]
        public_server_local: Option<String>,
        /// The private address for the SPU
        #[arg(short = 'v', long = "private-server", value_name = "host:port")]
        private_server: String,
    },
    /// Unregister a custom SPU from the cluster
    Unregister {
        /// ID of the SPU to unregister
        #[arg(long, required_unless_present = "name", conflicts_with = "name")]
        id: Option<i32>,
        /// Name of the SPU to unregister
        #[arg(short = 'n', long)]
        name: Option<String>,
    },
}

/// `host:port` split, with an error naming `flag`.
fn host_port(flag: &str, text: &str) -> anyhow::Result<(String, u16)> {
    let (host, port) = text
        .rsplit_once(':')
        .filter(|(h, _)| !h.is_empty())
        .with_context(|| format!("{flag} `{text}` is not HOST:PORT"))?;
    let port = port
        .parse()
        .with_context(|| format!("{flag} `{text}` has an invalid port"))?;
    Ok((host.to_owned(), port))
}

/// One SPU of `flv spu list`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct SpuRow(Metadata<SpuSpec>);

impl TableRow for SpuRow {
    fn header() -> Vec<&'static str> {
        vec!["ID", "NAME", "STATUS", "TYPE", "RACK", "PUBLIC", "PRIVATE"]
    }
    fn cells(&self) -> Vec<String> {
        let spec = &self.0.spec;
        vec![
            spec.id.to_string(),
            self.0.name.clone(),
            format!("{:?}", self.0.status.resolution),
            match spec.spu_type {
                SpuType::Managed => "managed".into(),
                SpuType::Custom => "custom".into(),
            },
            spec.rack.clone().unwrap_or_else(|| "-".into()),
            spec.public_address().unwrap_or_default(),
            format!(
                "{}:{}",
                spec.private_endpoint.host, spec.private_endpoint.port
            ),
        ]
    }
}

/// `flv spg` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SpgCmd {
    /// Create a new managed SPU Group
    Create {
        /// The name for the new SPU Group
        #[arg(value_name = "name")]
        name: String,
        /// The number of SPUs to create in this SPG
        #[arg(short, long, default_value_t = 1)]
        replicas: u16,
        /// Minimum SPU ID
        #[arg(long, default_value_t = 1)]
        min_id: i32,
        /// Rack name
        #[arg(long)]
        rack: Option<String>,
        /// The amount of storage to assign to this SPG
        #[arg(long)]
        storage_size: Option<String>,
    },
    /// List all SPU Groups
    List {
        #[command(flatten)]
        output: OutputOpt,
    },
    /// Delete a managed SPU Group
    Delete {
        /// The name of the SPU Group to delete
        #[arg(value_name = "name")]
        name: String,
    },
}

/// One group of `flv spg list`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct SpgRow(Metadata<SpuGroupSpec>);

impl TableRow for SpgRow {
    fn header() -> Vec<&'static str> {
        vec!["NAME", "REPLICAS", "MIN ID", "RACK", "SIZE", "STATUS"]
    }
    fn cells(&self) -> Vec<String> {
        let spec = &self.0.spec;
        vec![
            self.0.name.clone(),
            spec.replicas.to_string(),
            spec.min_id.to_string(),
            spec.spu_config.rack.clone().unwrap_or_default(),
            spec.spu_config
                .storage
                .as_ref()
                .and_then(|s| s.size.clone())
                .unwrap_or_default(),
            format!("{:?}", self.0.status.resolution),
        ]
    }
}

/// `flv consumer` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ConsumerCmd {
    /// List all consumers and their stored offsets
    List {
        #[command(flatten)]
        output: OutputOpt,
    },
    /// Delete the stored offsets of a consumer
    Delete {
        /// The consumer
        #[arg(value_name = "consumer")]
        consumer: String,
        /// Only on this topic
        #[arg(short, long)]
        topic: Option<String>,
        /// Only on this partition
        #[arg(short, long, requires = "topic")]
        partition: Option<u32>,
    },
}

/// One stored offset of `flv consumer list`.
#[derive(Debug, Serialize)]
struct ConsumerRow {
    consumer_id: String,
    topic: String,
    partition: u32,
    offset: i64,
    modified_time: u64,
    #[serde(skip)]
    now_ms: u64,
}

impl TableRow for ConsumerRow {
    fn header() -> Vec<&'static str> {
        vec!["CONSUMER", "TOPIC", "PARTITION", "OFFSET", "LAST SEEN"]
    }
    fn cells(&self) -> Vec<String> {
        let ago = Duration::from_secs(self.now_ms.saturating_sub(self.modified_time) / 1000);
        vec![
            self.consumer_id.clone(),
            self.topic.clone(),
            self.partition.to_string(),
            self.offset.to_string(),
            humantime::format_duration(ago).to_string(),
        ]
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Lists objects, sorted by name, and prints them.
macro_rules! list {
    ($admin:expr, $spec:ty, $row:ident, $output:expr, $what:literal, $key:literal) => {{
        let mut items = $admin
            .all::<$spec>()
            .await
            .map_err(failed(concat!("cannot list ", $what)))?;
        items.sort_by(|a, b| a.name.cmp(&b.name));
        let rows: Vec<$row> = items.into_iter().map($row).collect();
        output::emit(&output::render_list(&rows, $output.format, $key)?)?;
    }};
}

impl SpuCmd {
    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        block_on(async move {
            let fluvio = connect(global).await?;
            let admin = fluvio.admin();
            match self {
                SpuCmd::List { custom, output } => {
                    let mut items = admin
                        .all::<SpuSpec>()
                        .await
                        .map_err(failed("cannot list SPUs"))?;
                    if custom {
                        items.retain(|s| s.spec.spu_type == SpuType::Custom);
                    }
                    items.sort_by_key(|s| s.spec.id);
                    let rows: Vec<SpuRow> = items.into_iter().map(SpuRow).collect();
                    output::emit(&output::render_list(&rows, output.format, "spu")?)?;
                }
                SpuCmd::Register {
                    id,
                    name,
                    rack,
                    public_server,
                    public_server_local,
                    private_server,
                } => {
                    let (pub_host, pub_port) = host_port("--public-server", &public_server)?;
                    let public_endpoint_local = public_server_local
                        .map(|local| -> anyhow::Result<Endpoint> {
                            let (host, port) = host_port("--public-server-local", &local)?;
                            Ok(Endpoint {
                                port,
                                host,
                                encryption: Encryption::Plaintext,
                            })
                        })
                        .transpose()?;
                    let (priv_host, priv_port) = host_port("--private-server", &private_server)?;
                    let name = name.unwrap_or_else(|| format!("custom-spu-{id}"));
                    let spec = CustomSpuSpec {
                        id,
                        public_endpoint: IngressPort {
                            port: pub_port,
                            ingress: vec![IngressAddr {
                                hostname: Some(pub_host),
                                ip: None,
                            }],
                            encryption: Encryption::Plaintext,
                        },
                        private_endpoint: Endpoint {
                            port: priv_port,
                            host: priv_host,
                            encryption: Encryption::Plaintext,
                        },
                        rack,
                        public_endpoint_local,
                    };
                    admin
                        .create(name.clone(), false, spec)
                        .await
                        .map_err(failed(format!("cannot register SPU {id}")))?;
                    outln!("custom SPU \"{name}\" ({id}) registered")?;
                }
                SpuCmd::Unregister { id, name } => {
                    let key = match (id, name) {
                        (Some(id), _) => CustomSpuKey::Id(id),
                        (None, Some(name)) => CustomSpuKey::Name(name),
                        (None, None) => bail!("give --id or --name"),
                    };
                    let what = match &key {
                        CustomSpuKey::Id(id) => id.to_string(),
                        CustomSpuKey::Name(n) => format!("\"{n}\""),
                    };
                    admin
                        .delete::<CustomSpuSpec>(key)
                        .await
                        .map_err(failed(format!("cannot unregister SPU {what}")))?;
                    outln!("custom SPU {what} unregistered")?;
                }
            }
            drop(admin);
            fluvio.close().await.ok();
            Ok(ExitCode::SUCCESS)
        })
    }
}

impl SpgCmd {
    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        block_on(async move {
            let fluvio = connect(global).await?;
            let admin = fluvio.admin();
            match self {
                SpgCmd::Create {
                    name,
                    replicas,
                    min_id,
                    rack,
                    storage_size,
                } => {
                    let spec = SpuGroupSpec {
                        replicas,
                        min_id,
                        spu_config: SpuConfig {
                            rack,
                            storage: storage_size.map(|size| StorageConfig {
                                log_dir: None,
                                size: Some(size),
                            }),
                            ..SpuConfig::default()
                        },
                    };
                    admin
                        .create(name.clone(), false, spec)
                        .await
                        .map_err(failed(format!("cannot create SPU group \"{name}\"")))?;
                    outln!("SPU group \"{name}\" created")?;
                }
                SpgCmd::List { output } => {
                    list!(admin, SpuGroupSpec, SpgRow, output, "SPU groups", "spg")
                }
                SpgCmd::Delete { name } => {
                    admin
                        .delete::<SpuGroupSpec>(name.clone())
                        .await
                        .map_err(failed(format!("cannot delete SPU group \"{name}\"")))?;
                    outln!("SPU group \"{name}\" deleted")?;
                }
            }
            drop(admin);
            fluvio.close().await.ok();
            Ok(ExitCode::SUCCESS)
        })
    }
}

impl ConsumerCmd {
    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        block_on(async move {
            let fluvio = connect(global).await?;
            let admin = fluvio.admin();
            let mut offsets = admin
                .list_consumer_offsets()
                .await
                .map_err(failed("cannot list consumers"))?;
            offsets.sort_by(|a, b| {
                (&a.consumer_id, &a.replica_id).cmp(&(&b.consumer_id, &b.replica_id))
            });
            match self {
                ConsumerCmd::List { output } => {
                    let now = now_ms();
                    let rows: Vec<ConsumerRow> = offsets
                        .into_iter()
                        .map(|o| ConsumerRow {
                            consumer_id: o.consumer_id,
                            topic: o.replica_id.topic,
                            partition: o.replica_id.partition,
                            offset: o.offset,
                            modified_time: o.modified_time,
                            now_ms: now,
                        })
                        .collect();
                    if rows.is_empty() && output.format == output::OutputFormat::Table {
                        outln!("No consumers found")?;
                    } else {
                        output::emit(&output::render_list(&rows, output.format, "consumer")?)?;
                    }
                }
                ConsumerCmd::Delete {
                    consumer,
                    topic,
                    partition,
                } => {
                    let matching: Vec<_> = offsets
                        .into_iter()
                        .filter(|o| o.consumer_id == consumer)
                        .filter(|o| topic.as_ref().is_none_or(|t| &o.replica_id.topic == t))
                        .filter(|o| partition.is_none_or(|p| o.replica_id.partition == p))
                        .collect();
                    if matching.is_empty() {
                        bail!("no stored offsets of consumer \"{consumer}\" match");
                    }
                    for o in matching {
                        let r = o.replica_id;
                        admin
                            .delete_consumer_offset(
                                consumer.clone(),
                                (r.topic.clone(), r.partition),
                            )
                            .await
                            .map_err(failed(format!(
                                "cannot delete consumer \"{consumer}\" on {}-{}",
                                r.topic, r.partition
                            )))?;
                        outln!(
                            "consumer \"{consumer}\" on {}-{} deleted",
                            r.topic,
                            r.partition
                        )?;
                    }
                }
            }
            drop(admin);
            fluvio.close().await.ok();
            Ok(ExitCode::SUCCESS)
        })
    }
}
