//! `flv consume TOPIC`: prints the records of a topic, as the official CLI.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use flv_driver::core::sc::tableformat::TableFormatSpec;
use flv_driver::{ConsumerConfig, Offset, OffsetManagement};
use futures_util::{FutureExt, StreamExt};

use super::consume_print::{ConsumeOutput, FullTable, Printer, parse_template};
use super::produce::IsolationOpt;
use super::sm_args::SmartModuleOpts;
use super::{block_on, connect, failed};
use crate::target::GlobalOpts;

/// `flv consume`.
#[derive(Debug, Args)]
pub(crate) struct ConsumeOpt {
    /// Topic name
    #[arg(value_name = "topic")]
    topic: String,
    /// Partition id (repeatable; default: all partitions)
    #[arg(short = 'p', long = "partition", value_name = "integer")]
    partitions: Vec<u32>,
    /// Consume records from all partitions
    #[arg(short = 'A', long = "all-partitions", conflicts_with = "partitions")]
    all_partitions: bool,
    /// Disable continuous processing of messages: stop at the end known at start
    #[arg(short = 'd', long)]
    disable_continuous: bool,
    /// Disable the progress bar and wait spinner (drawn on stderr when both stdout and
    /// stderr are terminals)
    #[arg(long)]
    disable_progressbar: bool,
    /// Print records as key and value (the official `-k`).
    #[arg(
        short = 'k',
        long = "key-value",
        help = "Print records in \"[key] value\" format, with \"[null]\" for no key"
    )]
    key_value: bool,
    /// Format string: {{offset}} {{key}} {{value}} {{partition}} {{time}} {{topic}}
    #[arg(short = 'F', long, value_name = "FORMAT", conflicts_with = "key_value")]
    format: Option<String>,
    /// Consume records from the beginning of the log
    #[arg(short = 'B', long, conflicts_with_all = ["head", "tail", "start"])]
    beginning: bool,
    /// Consume records starting X from the beginning of the log
    #[arg(short = 'H', long, value_name = "integer", conflicts_with_all = ["tail", "start"])]
    head: Option<u32>,
    /// Consume records starting X from the end of the log
    #[arg(short = 'T', long, value_name = "integer", conflicts_with = "start")]
    tail: Option<u32>,
    /// The absolute offset of the first record to begin consuming from
    #[arg(long, value_name = "integer")]
    start: Option<u32>,
    /// Consume records until this offset (inclusive)
    #[arg(long, value_name = "integer")]
    end: Option<u32>,
    /// Maximum number of bytes to be retrieved per fetch
    #[arg(short = 'b', long = "maxbytes", value_name = "integer")]
    max_bytes: Option<i32>,
    /// Isolation level that the consumer must respect
    #[arg(long, value_enum, ignore_case = true)]
    isolation: Option<IsolationOpt>,
    /// Output
    #[arg(
        short = 'O',
        long = "output",
        value_enum,
        default_value_t,
        ignore_case = true
    )]
    output: ConsumeOutput,
    /// Consumer id: offsets are stored under it and consumption resumes after them
    #[arg(short = 'c', long = "consumer", value_name = "id")]
    consumer: Option<String>,
    /// Consume records using the formatting rules defined by TableFormat name
    /// (with -O full_table)
    #[arg(long, value_name = "TABLE_FORMAT")]
    table_format: Option<String>,
    /// Suppress items that have an unknown output type (non-JSON records with -O json,
    /// binary records with -O text)
    #[arg(long = "suppress-unknown")]
    suppress_unknown: bool,
    /// Truncate the output to one line (the terminal's width, or $COLUMNS)
    #[arg(long, conflicts_with_all = ["output", "format"])]
    truncate: bool,
    #[command(flatten)]
    sm: SmartModuleOpts,
}

/// The width `--truncate` cuts lines to: `$COLUMNS`, else the terminal's, else no limit.
fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &usize| w > 0)
        .or_else(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, w)| usize::from(w))
        })
}

impl ConsumeOpt {
    /// Where the flags say to start.
    fn offset(&self) -> Offset {
        if self.beginning {
            Offset::beginning()
        } else if let Some(n) = self.head {
            Offset::FromBeginning(n)
        } else if let Some(n) = self.tail {
            Offset::FromEnd(n)
        } else if let Some(n) = self.start {
            Offset::Absolute(i64::from(n))
        } else {
            Offset::end()
        }
    }

    fn config(&self) -> anyhow::Result<ConsumerConfig> {
        let offset = self.offset();
        let mut config = ConsumerConfig::new(self.topic.clone(), offset);
        config.partitions = if self.all_partitions {
            Vec::new()
        } else {
            self.partitions.clone()
        };
        // With a consumer id, -d is done by `run` (see `stops`).
        config.disable_continuous = self.disable_continuous && self.consumer.is_none();
        if let Some(b) = self.max_bytes {
            config.max_bytes = b;
        }
        if let Some(i) = self.isolation {
            config.isolation = i.into();
        }
        config.smartmodules = self.sm.invocations()?;
        if let Some(id) = &self.consumer {
            config.consumer_id = Some(id.clone());
            config.offset_management = OffsetManagement::Auto;
            config.offset_flush = Duration::from_secs(2);
        }
        Ok(config)
    }

    /// Per partition, the last offset to print, or `None` when there is nothing to print.
    ///
    /// With `-d` and a consumer id the end is found here rather than by the stream's
    /// `disable_continuous`: a consumer whose stream ended cannot store its offsets any
    /// more, and the offsets must be stored when it closes.
    async fn stops(
        &self,
        fluvio: &flv_tokio::Fluvio,
        partitions: &[u32],
    ) -> anyhow::Result<Vec<Option<(u32, i64)>>> {
        let end = self.end.map(i64::from);
        if !(self.disable_continuous && self.consumer.is_some()) {
            return Ok(partitions.iter().map(|&p| end.map(|e| (p, e))).collect());
        }
        let what = || failed(format!("cannot consume topic \"{}\"", self.topic));
        let stored = fluvio
            .admin()
            .list_consumer_offsets()
            .await
            .map_err(what())?;
        let offset = self.offset();
        let mut stops = Vec::new();
        for &p in partitions {
            let out = fluvio.fetch(&self.topic, p, 0, 1).await.map_err(what())?;
            let consumer = stored
                .iter()
                .find(|o| {
                    Some(&o.consumer_id) == self.consumer.as_ref()
                        && o.replica_id.topic == self.topic
                        && o.replica_id.partition == p
                })
                .map(|o| o.offset + 1);
            let start = offset.resolve(out.log_start_offset, out.high_watermark, consumer);
            let last = end.map_or(out.high_watermark - 1, |e| e.min(out.high_watermark - 1));
            stops.push((start <= last).then_some((p, last)));
        }
        Ok(stops)
    }

    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end < start
        {
            bail!("--end {end} is before --start {start}");
        }
        let config = self.config()?;
        block_on(async move {
            let fluvio = connect(global).await?;
            let what = || failed(format!("cannot consume topic \"{}\"", self.topic));
            let table_format = match &self.table_format {
                Some(name) => Some(find_table_format(&fluvio, name).await?),
                None => None,
            };
            let mut stream =
                fluvio
                    .consumer_with_config(config)
                    .await
                    .map_err(super::failed_topic(
                        &fluvio,
                        format!("cannot consume topic \"{}\"", self.topic),
                    ))?;
            let partitions: Vec<u32> = if self.partitions.is_empty() {
                let count = fluvio.with_metadata(|m| m.partition_count(&self.topic));
                (0..count).collect()
            } else {
                self.partitions.clone()
            };
            // The last offset to print per partition still open (with --end, or -d with a
            // consumer id); empty when the stream decides alone.
            let mut open: BTreeMap<u32, i64> = BTreeMap::new();
            let bounded =
                self.end.is_some() || (self.disable_continuous && self.consumer.is_some());
            if bounded {
                let stops = self.stops(&fluvio, &partitions).await?;
                open = stops.into_iter().flatten().collect();
            }
            let full_table = self.output == ConsumeOutput::FullTable;
            let mut printer = Printer {
                output: self.output,
                key_value: self.key_value
                    && !matches!(self.output, ConsumeOutput::Table | ConsumeOutput::FullTable),
                template: self.format.as_deref().map(parse_template),
                topic: self.topic.clone(),
                suppress_unknown: self.suppress_unknown,
                truncate: if self.truncate {
                    terminal_width()
                } else {
                    None
                },
                table_header: None,
                header_printed: false,
                full_table: FullTable::new(table_format),
            };
            let tty = io::stdout().is_terminal();
            // The official CLI's wait spinner: only when a person watches both streams.
            let spinner = if !self.disable_progressbar && !full_table && tty {
                super::produce::spinner()
            } else {
                indicatif::ProgressBar::hidden()
            };
            let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            let mut code = ExitCode::SUCCESS;
            let ctrl_c = tokio::signal::ctrl_c();
            tokio::pin!(ctrl_c);
            loop {
                if bounded && open.is_empty() {
                    break;
                }
                let next = match stream.next().now_or_never() {
                    Some(next) => next,
                    None => {
                        // Nothing buffered: show what is printed so far, then wait.
                        if full_table && tty {
                            // Redraw the whole table in place.
                            let text = printer.full_table.render();
                            write!(out, "\x1b[2J\x1b[H{text}")?;
                        }
                        spinner.suspend(|| out.flush())?;
                        tokio::select! {
                            next = stream.next() => next,
                            _ = &mut ctrl_c => break,
                        }
                    }
                };
                let record = match next {
                    None => break,
                    Some(Ok(record)) => record,
                    Some(Err(e)) => {
                        spinner.suspend(|| out.flush())?;
                        eprintln!("error: {:#}", what()(e));
                        code = ExitCode::FAILURE;
                        continue;
                    }
                };
                if bounded {
                    let Some(&last) = open.get(&record.partition) else {
                        continue;
                    };
                    if record.offset > last {
                        open.remove(&record.partition);
                        continue;
                    }
                    if record.offset == last {
                        open.remove(&record.partition);
                    }
                }
                printer.print(&mut out, &record)?;
            }
            spinner.finish_and_clear();
            if full_table {
                let text = printer.full_table.render();
                if tty {
                    write!(out, "\x1b[2J\x1b[H")?;
                }
                out.write_all(text.as_bytes())?;
            }
            out.flush()?;
            drop(out);
            stream
                .close()
                .await
                .context("cannot store the consumer offsets")?;
            fluvio.close().await.ok();
            Ok(code)
        })
    }
}

/// The table format `name`, or the official CLI's error when there is none.
async fn find_table_format(
    fluvio: &flv_tokio::Fluvio,
    name: &str,
) -> anyhow::Result<TableFormatSpec> {
    let formats = fluvio
        .admin()
        .all::<TableFormatSpec>()
        .await
        .map_err(failed("cannot list table formats"))?;
    formats
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| t.spec)
        .with_context(|| format!("TableFormat not found: {name} (see `flv table-format list`)"))
}
