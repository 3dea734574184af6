//! `flv produce TOPIC`: records from stdin (one per line) or a file, as the official CLI.

use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use clap::{Args, ValueEnum};
use flv_driver::core::backoff::RetryPolicy;
use flv_driver::core::producer::partitioner::PartitionerKind;
use flv_driver::core::record::Compression;
use flv_driver::core::spu::Isolation;
use flv_driver::{DeliverySemantic, ProducerConfig, RecordKey};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::sm_args::SmartModuleOpts;
use super::topic::parse_bytes;
use super::{block_on, connect, failed};
use crate::target::GlobalOpts;

/// Record compression of a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CompressionOpt {
    /// No compression.
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// Zstandard.
    Zstd,
    /// LZ4.
    Lz4,
}

impl From<CompressionOpt> for Compression {
    fn from(c: CompressionOpt) -> Self {
        match c {
            CompressionOpt::None => Self::None,
            CompressionOpt::Gzip => Self::Gzip,
            CompressionOpt::Snappy => Self::Snappy,
            CompressionOpt::Zstd => Self::Zstd,
            CompressionOpt::Lz4 => Self::Lz4,
        }
    }
}

/// Isolation of produce and consume requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum IsolationOpt {
    /// Wait for (read) replicated records only.
    #[value(
        name = "read_committed",
        alias = "read-committed",
        alias = "ReadCommitted",
        alias = "readCommitted",
        alias = "readcommitted"
    )]
    ReadCommitted,
    /// Wait for the leader only (read everything the leader has).
    #[value(
        name = "read_uncommitted",
        alias = "read-uncommitted",
        alias = "ReadUncommitted",
        alias = "readUncommitted",
        alias = "readuncommitted"
    )]
    ReadUncommitted,
}

impl From<IsolationOpt> for Isolation {
    fn from(i: IsolationOpt) -> Self {
        match i {
            IsolationOpt::ReadCommitted => Self::ReadCommitted,
            IsolationOpt::ReadUncommitted => Self::ReadUncommitted,
        }
    }
}

/// Delivery guarantee of a producer, with the official spellings
/// (`at_most_once`, `at-most-once`, `AtMostOnce`, `atMostOnce`, `atmostonce`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DeliveryOpt {
    /// Send records without waiting for a response
    #[value(
        name = "at_most_once",
        alias = "at-most-once",
        alias = "AtMostOnce",
        alias = "atMostOnce",
        alias = "atmostonce"
    )]
    AtMostOnce,
    /// Send records and retry if an error occurred (duplicates possible)
    #[value(
        name = "at_least_once",
        alias = "at-least-once",
        alias = "AtLeastOnce",
        alias = "atLeastOnce",
        alias = "atleastonce"
    )]
    AtLeastOnce,
}

/// `flv produce`.
#[derive(Debug, Args)]
pub(crate) struct ProduceOpt {
    /// The name of the Topic to produce to
    #[arg(value_name = "topic")]
    topic: String,
    /// Print progress output when sending records
    #[arg(short, long)]
    verbose: bool,
    /// Sends key/value records with this value as key (with --raw: the one record's key)
    #[arg(long, conflicts_with = "key_separator")]
    key: Option<String>,
    /// Sends key/value records split on the first instance of the separator
    #[arg(long, conflicts_with = "raw")]
    key_separator: Option<String>,
    /// Send all input as one record. Use this when producing binary files
    #[arg(long)]
    raw: bool,
    /// Path to a file to produce to the topic (default: stdin)
    #[arg(short = 'f', long, value_name = "file")]
    file: Option<PathBuf>,
    /// Compression algorithm to use when sending records
    #[arg(long, value_enum, ignore_case = true)]
    compression: Option<CompressionOpt>,
    /// Time to wait before sending (e.g. '150ms', '2s')
    #[arg(long, value_name = "time", value_parser = humantime::parse_duration)]
    linger: Option<Duration>,
    /// Max amount of bytes accumulated before sending (e.g. '16 KB')
    #[arg(long, value_name = "bytes", value_parser = parse_bytes)]
    batch_size: Option<u64>,
    /// Max amount of bytes that a produce request can send (e.g. '1 MB')
    #[arg(long, value_name = "bytes", value_parser = parse_bytes)]
    max_request_size: Option<u64>,
    /// Isolation level that the producer must respect
    #[arg(long, value_enum, ignore_case = true)]
    isolation: Option<IsolationOpt>,
    /// Delivery guarantees that the producer must respect
    #[arg(long, value_enum, default_value = "at-least-once")]
    delivery_semantic: DeliveryOpt,
    /// Partition id (default: keys hashed, records without key round-robin)
    #[arg(short = 'p', long, value_name = "integer")]
    partition: Option<u32>,
    /// How long a record may take to be stored before it fails (flv extension; default
    /// 5m)
    #[arg(long, value_name = "time", value_parser = humantime::parse_duration)]
    delivery_timeout: Option<Duration>,
    /// Turn exactly-once delivery off: a batch whose outcome is unknown is re-sent
    /// without first looking for it in the log (may duplicate; flv extension)
    #[arg(long)]
    no_exactly_once: bool,
    #[command(flatten)]
    sm: SmartModuleOpts,
}

impl ProduceOpt {
    fn config(&self) -> anyhow::Result<ProducerConfig> {
        let mut config = ProducerConfig::default();
        if let Some(c) = self.compression {
            config.compression = Some(c.into());
        }
        if let Some(l) = self.linger {
            config.linger = l;
        }
        if let Some(b) = self.batch_size {
            config.batch_size = usize::try_from(b).context("--batch-size is too large")?;
        }
        if let Some(m) = self.max_request_size {
            config.max_request_size =
                usize::try_from(m).context("--max-request-size is too large")?;
        }
        if let Some(i) = self.isolation {
            config.isolation = i.into();
        }
        config.delivery_semantic = match self.delivery_semantic {
            DeliveryOpt::AtMostOnce => DeliverySemantic::AtMostOnce,
            DeliveryOpt::AtLeastOnce => DeliverySemantic::AtLeastOnce(RetryPolicy::default()),
        };
        if let Some(p) = self.partition {
            config.partitioner = PartitionerKind::Specific(p);
        }
        if let Some(t) = self.delivery_timeout {
            config.delivery_timeout = t;
        }
        if self.delivery_semantic == DeliveryOpt::AtMostOnce && self.isolation.is_some() {
            eprintln!("warning: isolation is ignored for the at_most_once delivery semantic");
        }
        config.exactly_once = !self.no_exactly_once;
        config.smartmodules = self.sm.invocations()?;
        Ok(config)
    }

    /// The input: the file, or stdin; and whether a person types it.
    fn input(&self) -> anyhow::Result<(Box<dyn BufRead + Send>, bool)> {
        Ok(match &self.file {
            Some(path) => {
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                (Box::new(BufReader::with_capacity(1 << 16, file)), false)
            }
            None => {
                let interactive = io::stdin().is_terminal();
                (
                    Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
                    interactive,
                )
            }
        })
    }

    /// The key and value of one line.
    fn record(&self, line: &[u8]) -> (RecordKey, Bytes) {
        if let Some(key) = &self.key {
            return (RecordKey::from(key.as_str()), Bytes::copy_from_slice(line));
        }
        if let Some(sep) = &self.key_separator {
            let sep = sep.as_bytes();
            let at = (!sep.is_empty())
                .then(|| line.windows(sep.len()).position(|w| w == sep))
                .flatten();
            if let Some(at) = at {
                return (
                    RecordKey::from(&line[..at]),
                    Bytes::copy_from_slice(&line[at + sep.len()..]),
                );
            }
        }
        (RecordKey::NULL, Bytes::copy_from_slice(line))
    }

    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        let config = self.config()?;
        let delivery_timeout = config.delivery_timeout;
        let (mut input, interactive) = self.input()?;
        block_on(async move {
            let fluvio = connect(global).await?;
            let producer = fluvio
                .topic_producer_with_config(self.topic.clone(), config)
                .await
                .map_err(super::failed_topic(
                    &fluvio,
                    format!("cannot produce to topic \"{}\"", self.topic),
                ))?;
            if self.isolation == Some(IsolationOpt::ReadCommitted) {
                let only = self.partition.map(|p| vec![p]);
                let lagging =
                    fluvio.with_metadata(|m| m.lagging_replicas(&self.topic, only.as_deref()));
                for r in lagging {
                    eprintln!(
                        "warning: partition {}-{}: replica on SPU {} is {}; read-committed records wait for it and fail after the delivery timeout ({})",
                        self.topic,
                        r.partition,
                        r.spu,
                        r.why,
                        humantime::format_duration(delivery_timeout)
                    );
                }
            }
            let what = || failed(format!("cannot produce to topic \"{}\"", self.topic));
            let bar = progress_bar(!interactive);
            let started = Instant::now();
            let (mut records, mut bytes) = (0u64, 0u64);
            if self.raw {
                let mut all = Vec::new();
                input
                    .read_to_end(&mut all)
                    .context("cannot read the input")?;
                bytes += all.len() as u64;
                records += 1;
                let key = self.key.as_deref().map_or(RecordKey::NULL, RecordKey::from);
                let _ = producer.send(key, all).await.map_err(what())?;
            } else {
                let mut line = Vec::new();
                loop {
                    line.clear();
                    if input
                        .read_until(b'\n', &mut line)
                        .context("cannot read the input")?
                        == 0
                    {
                        break;
                    }
                    if line.last() == Some(&b'\n') {
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                    }
                    let (key, value) = self.record(&line);
                    if self.verbose {
                        let k = key.0.as_ref().map_or_else(
                            || "null".to_owned(),
                            |k| String::from_utf8_lossy(k).into_owned(),
                        );
                        outln!("[{k}] {}", String::from_utf8_lossy(&value))?;
                    }
                    bytes += value.len() as u64 + key.0.as_ref().map_or(0, |k| k.len() as u64);
                    records += 1;
                    let _ = producer.send(key, value).await.map_err(what())?;
                    if interactive {
                        // A person waits for each line to be stored.
                        producer.flush().await.map_err(what())?;
                    }
                    bar.inc(1);
                }
            }
            producer.flush().await.map_err(what())?;
            bar.finish_and_clear();
            let elapsed = started.elapsed();
            if !interactive {
                eprintln!("{}", summary("produced", records, bytes, elapsed));
            }
            producer.close().await.ok();
            fluvio.close().await.ok();
            Ok(ExitCode::SUCCESS)
        })
    }
}

/// A records-per-second spinner on stderr, drawn only when `wanted` and stderr is a terminal.
pub(crate) fn progress_bar(wanted: bool) -> ProgressBar {
    if !wanted || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} records ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// The consumer's wait spinner on stderr (hidden unless stderr is a terminal).
pub(crate) fn spinner() -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// `produced 3 records (15 B) in 0.01s, 300 records/s, 0.0 MB/s`.
pub(crate) fn summary(verb: &str, records: u64, bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-6);
    format!(
        "{verb} {records} records ({}) in {:.2}s: {:.0} records/s, {:.2} MB/s",
        super::topic::format_bytes(bytes),
        elapsed.as_secs_f64(),
        records as f64 / secs,
        bytes as f64 / secs / 1e6,
    )
}
