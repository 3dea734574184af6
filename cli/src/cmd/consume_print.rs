//! How `flv consume` prints records: `-O` formats, `-F` templates, `-k`, `--truncate`,
//! `--suppress-unknown`, and `-O full_table` with a table format.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{Duration, UNIX_EPOCH};

use clap::ValueEnum;
use flv_driver::ConsumerRecord;
use flv_driver::core::sc::tableformat::{TableFormatColumnConfig, TableFormatSpec};

/// How records are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConsumeOutput {
    /// Text when the value is UTF-8, a hex dump otherwise
    #[default]
    Dynamic,
    /// The value as text; binary values as `binary: (N bytes)` unless --suppress-unknown
    Text,
    /// A hex dump of the value
    Binary,
    /// The value parsed as JSON, pretty-printed; others as an `{"error": ...}` object
    /// unless --suppress-unknown
    Json,
    /// The value's bytes as they are, without separator
    Raw,
    /// JSON objects as table rows, one column per key
    Table,
    /// JSON objects as one table, rows updated in place by the table format's primary
    /// keys: redrawn on a terminal, printed at the end otherwise
    #[value(name = "full_table", alias = "full-table")]
    FullTable,
}

/// A parsed `-F` template: text and `{{field}}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Offset,
    Key,
    Value,
    Partition,
    Time,
    Topic,
}

/// Splits a `-F` template into pieces; unknown `{{names}}` are kept as text.
pub(crate) fn parse_template(template: &str) -> Vec<Piece> {
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
pub(crate) fn format_time(ms: i64) -> String {
    match u64::try_from(ms) {
        Ok(ms) => {
            humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
        }
        Err(_) => String::new(),
    }
}

/// A hex dump: offset, 16 bytes in hex, and their printable characters.
pub(crate) fn hex_dump(bytes: &[u8]) -> String {
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

/// Binary for `-O text`: not UTF-8, or a NUL in the first KiB (upstream's test).
fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(1024).any(|&b| b == 0) || std::str::from_utf8(bytes).is_err()
}

/// The rows of `-O full_table`.
#[derive(Debug, Default)]
pub(crate) struct FullTable {
    columns: Vec<TableFormatColumnConfig>,
    rows: Vec<BTreeMap<String, String>>,
}

impl FullTable {
    /// A table laid out by `format` (columns from the first record without one).
    pub(crate) fn new(format: Option<TableFormatSpec>) -> Self {
        FullTable {
            columns: format.and_then(|f| f.columns).unwrap_or_default(),
            rows: Vec::new(),
        }
    }

    /// Adds a JSON object (or an array of them) as rows; a row whose primary-key values
    /// match an earlier row replaces it. `false` when the value is not such JSON.
    fn update(&mut self, value: &[u8]) -> bool {
        let objects = match serde_json::from_slice::<serde_json::Value>(value) {
            Ok(serde_json::Value::Object(o)) => vec![o],
            Ok(serde_json::Value::Array(items)) => {
                let mut objects = Vec::new();
                for item in items {
                    match item {
                        serde_json::Value::Object(o) => objects.push(o),
                        _ => return false,
                    }
                }
                objects
            }
            _ => return false,
        };
        for object in objects {
            let row: BTreeMap<String, String> = object
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect();
            if self.columns.is_empty() {
                self.columns = row
                    .keys()
                    .map(|k| TableFormatColumnConfig {
                        key_path: k.clone(),
                        ..Default::default()
                    })
                    .collect();
            }
            let keys: Vec<&str> = self
                .columns
                .iter()
                .filter(|c| c.primary_key == Some(true))
                .map(|c| c.key_path.as_str())
                .collect();
            let same = |old: &BTreeMap<String, String>| {
                !keys.is_empty()
                    && keys
                        .iter()
                        .all(|k| old.get(*k).is_some() && old.get(*k) == row.get(*k))
            };
            match self.rows.iter_mut().find(|old| same(old)) {
                Some(old) => *old = row,
                None => self.rows.push(row),
            }
        }
        true
    }

    /// The table as text (columns with `display: false` hidden).
    pub(crate) fn render(&self) -> String {
        let shown: Vec<&TableFormatColumnConfig> = self
            .columns
            .iter()
            .filter(|c| c.display != Some(false))
            .collect();
        let mut table = crate::output::Table::new(
            shown
                .iter()
                .map(|c| c.header_label.clone().unwrap_or_else(|| c.key_path.clone())),
        );
        for row in &self.rows {
            table.push(
                shown
                    .iter()
                    .map(|c| row.get(&c.key_path).cloned().unwrap_or_default()),
            );
        }
        table.render()
    }
}

/// Prints records in one output format.
pub(crate) struct Printer {
    pub output: ConsumeOutput,
    pub key_value: bool,
    pub template: Option<Vec<Piece>>,
    pub topic: String,
    pub suppress_unknown: bool,
    /// With `--truncate`: the width to cut each printed value to.
    pub truncate: Option<usize>,
    pub table_header: Option<Vec<String>>,
    pub header_printed: bool,
    pub full_table: FullTable,
}

impl Printer {
    fn value_text(&self, value: &[u8]) -> String {
        match self.output {
            ConsumeOutput::Binary => hex_dump(value),
            ConsumeOutput::Dynamic => match std::str::from_utf8(value) {
                Ok(text) => text.to_owned(),
                Err(_) => hex_dump(value),
            },
            ConsumeOutput::Text if is_binary(value) && !self.suppress_unknown => {
                format!("binary: ({} bytes)", value.len())
            }
            _ => String::from_utf8_lossy(value).into_owned(),
        }
    }

    /// Prints one record.
    pub(crate) fn print(&mut self, out: &mut impl Write, r: &ConsumerRecord) -> io::Result<()> {
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
        let value = match self.output {
            ConsumeOutput::Raw => return out.write_all(&r.value),
            ConsumeOutput::Json => match serde_json::from_slice::<serde_json::Value>(&r.value) {
                Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
                // As upstream: an error object, or nothing with --suppress-unknown.
                Err(_) if self.suppress_unknown => return Ok(()),
                Err(e) => {
                    serde_json::to_string_pretty(&serde_json::json!({ "error": e.to_string() }))
                        .unwrap_or_default()
                }
            },
            ConsumeOutput::Table => return self.print_row(out, r),
            ConsumeOutput::FullTable => {
                if !self.full_table.update(&r.value) && !self.suppress_unknown {
                    eprintln!(
                        "[warning] record {} is not a JSON object or array of objects",
                        r.offset
                    );
                }
                return Ok(());
            }
            _ => self.value_text(&r.value),
        };
        if self.key_value {
            let key = r
                .key
                .as_ref()
                .map_or_else(|| "null".into(), |k| self.value_text(k));
            writeln!(out, "[{key}] {value}")
        } else if let Some(width) = self.truncate {
            let line: String = value
                .chars()
                .take_while(|&c| c != '\n')
                .take(width)
                .collect();
            writeln!(out, "{line}")
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

    #[test]
    fn full_tables_update_rows_by_primary_key() {
        let mut t = FullTable::new(Some(TableFormatSpec {
            name: "f".into(),
            columns: Some(vec![
                TableFormatColumnConfig {
                    key_path: "id".into(),
                    primary_key: Some(true),
                    header_label: Some("ID".into()),
                    ..Default::default()
                },
                TableFormatColumnConfig {
                    key_path: "v".into(),
                    ..Default::default()
                },
                TableFormatColumnConfig {
                    key_path: "hidden".into(),
                    display: Some(false),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }));
        assert!(t.update(br#"{"id":1,"v":"a","hidden":1}"#));
        assert!(t.update(br#"[{"id":2,"v":"b"},{"id":1,"v":"c"}]"#));
        assert!(!t.update(b"nope"));
        assert_eq!(t.render(), " ID  v\n 1   c\n 2   b\n");
    }
}
