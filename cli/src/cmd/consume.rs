//! `flv consume TOPIC`: prints the records of a topic, as the official CLI.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use flv_driver::{ConsumerConfig, ConsumerRecord, Offset, OffsetManagement};
use futures_util::{FutureExt, StreamExt};

use super::produce::IsolationOpt;
use super::{block_on, connect, failed};
use crate::target::GlobalOpts;

/// How records are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConsumeOutput {
    /// Text when the value is UTF-8, a hex dump otherwise
    #[default]
    Dynamic,
    /// The value as text (invalid UTF-8 replaced)
    Text,
    /// A hex dump of the value
    Binary,
    /// The value parsed as JSON, pretty-printed
    Json,
    /// The value's bytes as they are, without separator
    Raw,
    /// JSON objects as table rows, one column per key
    Table,
}

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
    /// Disable the progress bar (accepted for compatibility: flv draws none)
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
}

/// A parsed `-F` template: text and `{{field}}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Offset,
    Key,
    Value,
    Partition,
    Time,
    Topic,
}

/// Splits a `-F` template into pieces; unknown `{{names}}` are kept as text.
fn parse_template(template: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut text = String::new();
    while let Some(open) = rest.find("{{") {
        text.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            text.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let piece = match after[..close].trim() {
            "offset" => Some(Piece::Offset),
            "key" => Some(Piece::Key),
            "value" => Some(Piece::Value),
            "partition" => Some(Piece::Partition),
            "time" => Some(Piece::Time),
            "topic" => Some(Piece::Topic),
            _ => None,
        };
        match piece {
            Some(p) => {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(p);
            }
            None => text.push_str(&rest[open..open + 2 + close + 2]),
        }
        rest = &after[close + 2..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    pieces
}

/// A record timestamp (ms since the epoch) as RFC 3339, or empty when unknown.
fn format_time(ms: i64) -> String {
    match u64::try_from(ms) {
        Ok(ms) => {
            humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
        }
        Err(_) => String::new(),
    }
}

/// A hex dump: offset, 16 bytes in hex, and their printable characters.
fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{:08x}  {:<47}  |{ascii}|", i * 16, hex.join(" ")));
    }
    out
}

/// Prints records in one output format.
struct Printer {
    output: ConsumeOutput,
    key_value: bool,
    template: Option<Vec<Piece>>,
    topic: String,
    table_header: Option<Vec<String>>,
    header_printed: bool,
}

impl Printer {
    fn value_text(&self, value: &[u8]) -> String {
        match self.output {
            ConsumeOutput::Binary => hex_dump(value),
            ConsumeOutput::Dynamic => match std::str::from_utf8(value) {
                Ok(text) => text.to_owned(),
                Err(_) => hex_dump(value),
            },
            _ => String::from_utf8_lossy(value).into_owned(),
        }
    }

    fn print(&mut self, out: &mut impl Write, r: &ConsumerRecord) -> io::Result<()> {
        if let Some(pieces) = &self.template {
            let mut line = String::new();
            for piece in pieces {
                match piece {
                    Piece::Text(t) => line.push_str(t),
                    Piece::Offset => line.push_str(&r.offset.to_string()),
                    Piece::Key => line.push_str(
                        &r.key
                            .as_ref()
                            .map_or_else(|| "null".into(), |k| String::from_utf8_lossy(k)),
                    ),
                    Piece::Value => line.push_str(&String::from_utf8_lossy(&r.value)),
                    Piece::Partition => line.push_str(&r.partition.to_string()),
                    Piece::Time => line.push_str(&format_time(r.timestamp)),
                    Piece::Topic => line.push_str(&self.topic),
                }
            }
            return writeln!(out, "{line}");
        }
        match self.output {
            ConsumeOutput::Raw => return out.write_all(&r.value),
            ConsumeOutput::Json => {
                let text = match serde_json::from_slice::<serde_json::Value>(&r.value) {
                    Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
                    Err(_) => {
                        eprintln!("[warning] record {} is not valid JSON", r.offset);
                        return Ok(());
                    }
                };
                return writeln!(out, "{text}");
            }
            ConsumeOutput::Table => return self.print_row(out, r),
            _ => {}
        }
        let value = self.value_text(&r.value);
        if self.key_value {
            let key = r
                .key
                .as_ref()
                .map_or_else(|| "null".into(), |k| self.value_text(k));
            writeln!(out, "[{key}] {value}")
        } else {
            writeln!(out, "{value}")
        }
    }

    /// A JSON object as a table row; the first record's keys make the header.
    fn print_row(&mut self, out: &mut impl Write, r: &ConsumerRecord) -> io::Result<()> {
        let object = match serde_json::from_slice::<serde_json::Value>(&r.value) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => {
                let mut map = serde_json::Map::new();
                map.insert(
                    "value".into(),
                    String::from_utf8_lossy(&r.value).into_owned().into(),
                );
                map
            }
        };
        let header = self
            .table_header
            .get_or_insert_with(|| object.keys().cloned().collect());
        let cell = |key: &str| match object.get(key) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let mut table = crate::output::Table::new(header.iter().cloned());
        table.push(header.iter().map(|k| cell(k)));
        let text = table.render();
        let mut lines = text.lines();
        let head = lines.next().unwrap_or_default();
        if !std::mem::replace(&mut self.header_printed, true) {
            writeln!(out, "{head}")?;
        }
        for line in lines {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

impl ConsumeOpt {
    fn config(&self) -> ConsumerConfig {
        let offset = if self.beginning {
            Offset::beginning()
        } else if let Some(n) = self.head {
            Offset::FromBeginning(n)
        } else if let Some(n) = self.tail {
            Offset::FromEnd(n)
        } else if let Some(n) = self.start {
            Offset::Absolute(i64::from(n))
        } else {
            Offset::end()
        };
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
        if let Some(id) = &self.consumer {
            config.consumer_id = Some(id.clone());
            config.offset_management = OffsetManagement::Auto;
            config.offset_flush = Duration::from_secs(2);
        }
        config
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
        let offset = self.config().offset;
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
        let config = self.config();
        block_on(async move {
            let fluvio = connect(global).await?;
            let what = || failed(format!("cannot consume topic \"{}\"", self.topic));
            let mut stream = fluvio.consumer_with_config(config).await.map_err(what())?;
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
            let mut printer = Printer {
                output: self.output,
                key_value: self.key_value && self.output != ConsumeOutput::Table,
                template: self.format.as_deref().map(parse_template),
                topic: self.topic.clone(),
                table_header: None,
                header_printed: false,
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
                        out.flush()?;
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
                        out.flush()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_fields() {
        assert_eq!(
            parse_template("{{offset}}: {{ key }}={{value}} {{nope}}"),
            vec![
                Piece::Offset,
                Piece::Text(": ".into()),
                Piece::Key,
                Piece::Text("=".into()),
                Piece::Value,
                Piece::Text(" {{nope}}".into()),
            ]
        );
        assert_eq!(parse_template("a {{b"), vec![Piece::Text("a {{b".into())]);
    }

    #[test]
    fn hex_dump_lines() {
        assert_eq!(
            hex_dump(b"hi\x00"),
            format!("00000000  {:<47}  |hi.|", "68 69 00")
        );
        assert_eq!(hex_dump(&[0u8; 17]).lines().count(), 2);
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_time(-1), "");
    }
}
