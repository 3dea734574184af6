//! Output formats of listing commands: `-O table|yaml|json|toml`, as in the official CLI.
//!
//! Tables are plain aligned columns without borders (the official CLI's look): a header row,
//! one space of margin, two spaces between columns, no trailing blanks. The other formats are
//! the serde serialization of the value listed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

/// How to print a listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned columns.
    #[default]
    Table,
    /// YAML document.
    Yaml,
    /// Pretty-printed JSON.
    Json,
    /// TOML document.
    Toml,
}

/// The `-O/--output` flag of listing commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Args)]
pub(crate) struct OutputOpt {
    /// Output
    #[arg(
        short = 'O',
        long = "output",
        value_name = "type",
        value_enum,
        default_value_t,
        ignore_case = true
    )]
    pub format: OutputFormat,
}

/// Writes `text` to stdout and flushes; errors (a closed pipe) are returned, not panics.
pub(crate) fn emit(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Whether `err` comes from writing to a pipe whose reader is gone (`flv ... | head`).
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// A table of text cells under a header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// A value shown as one row of a [`Table`].
pub(crate) trait TableRow {
    /// Column titles.
    fn header() -> Vec<&'static str>;
    /// Cells of this row, one per column.
    fn cells(&self) -> Vec<String>;
}

impl Table {
    /// An empty table with these column titles.
    pub(crate) fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// A table of `rows`.
    pub(crate) fn from_rows<R: TableRow>(rows: &[R]) -> Self {
        let mut table = Table::new(R::header());
        for row in rows {
            table.push(row.cells());
        }
        table
    }

    /// Appends a row (missing cells are blank, extra cells are dropped).
    pub(crate) fn push<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }

    /// The table as text, one line per row after the header, each ending in a newline.
    pub(crate) fn render(&self) -> String {
        let header: Vec<String> = self.header.iter().map(|cell| printable(cell)).collect();
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| row.iter().map(|cell| printable(cell)).collect())
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&rows) {
            let mut line = String::new();
            for (cell, width) in row.iter().zip(&widths) {
                line.push(' ');
                line.push_str(cell);
                let pad = width - cell.chars().count();
                line.extend(std::iter::repeat_n(' ', pad + 1));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// `cell` with control characters escaped, so that a cell is always one line.
fn printable(cell: &str) -> String {
    if !cell.chars().any(char::is_control) {
        return cell.to_owned();
    }
    cell.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `value` in `format`; `table` builds the table for [`OutputFormat::Table`].
///
/// TOML needs a table at the top: use [`render_list`] for lists.
pub(crate) fn render_value<T: Serialize + ?Sized>(
    value: &T,
    format: OutputFormat,
    table: impl FnOnce() -> Table,
) -> anyhow::Result<String> {
    match format {
        OutputFormat::Table => Ok(table().render()),
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(value).context("cannot encode as JSON")?;
            text.push('\n');
            Ok(text)
        }
        OutputFormat::Yaml => serde_yaml::to_string(value).context("cannot encode as YAML"),
        OutputFormat::Toml => toml::to_string(value).or_else(|_| {
            // Through JSON (keys sorted): TOML needs string keys (replica maps have numbers)
            // and has no null.
            let mut json = serde_json::to_value(value).context("cannot encode as TOML")?;
            strip_nulls(&mut json);
            toml::to_string(&json).context("cannot encode as TOML")
        }),
    }
}

/// Removes null members and elements, which TOML cannot represent.
fn strip_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(items) => {
            items.retain(|v| !v.is_null());
            items.iter_mut().for_each(strip_nulls);
        }
        _ => {}
    }
}

/// A list of rows in `format`: a table, a JSON/YAML array, or a TOML array of tables named
/// `toml_key` (`[[toml_key]]`).
pub(crate) fn render_list<R: TableRow + Serialize>(
    rows: &[R],
    format: OutputFormat,
    toml_key: &str,
) -> anyhow::Result<String> {
    match format {
        OutputFormat::Toml => {
            let wrapped = BTreeMap::from([(toml_key, rows)]);
            render_value(&wrapped, format, Table::default)
        }
        _ => render_value(rows, format, || Table::from_rows(rows)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Topic {
        name: String,
        partitions: u32,
    }

    impl TableRow for Topic {
        fn header() -> Vec<&'static str> {
            vec!["NAME", "PARTITIONS"]
        }
        fn cells(&self) -> Vec<String> {
            vec![self.name.clone(), self.partitions.to_string()]
        }
    }

    fn topics() -> Vec<Topic> {
        vec![
            Topic {
                name: "greetings".into(),
                partitions: 1,
            },
            Topic {
                name: "t".into(),
                partitions: 12,
            },
        ]
    }

    #[test]
    fn table_columns_are_aligned_without_trailing_blanks() {
        let text = render_list(&topics(), OutputFormat::Table, "topic").unwrap();
        assert_eq!(
            text,
            " NAME       PARTITIONS\n greetings  1\n t          12\n"
        );
    }

    #[test]
    fn table_counts_characters_not_bytes_and_escapes_control_characters() {
        let mut table = Table::new(["A", "B"]);
        table.push(["é", "x"]);
        table.push(["a\nb", "y"]);
        table.push(["only one"]);
        assert_eq!(
            table.render(),
            " A         B\n é         x\n a\\nb      y\n only one\n"
        );
    }

    #[test]
    fn json_yaml_toml_of_a_list() {
        let json = render_list(&topics(), OutputFormat::Json, "topic").unwrap();
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back[1]["partitions"], 12);
        let yaml = render_list(&topics(), OutputFormat::Yaml, "topic").unwrap();
        assert_eq!(
            yaml,
            "- name: greetings\n  partitions: 1\n- name: t\n  partitions: 12\n"
        );
        let toml_text = render_list(&topics(), OutputFormat::Toml, "topic").unwrap();
        let back: toml::Table = toml_text.parse().unwrap();
        assert_eq!(back["topic"][0]["name"].as_str(), Some("greetings"));
    }

    #[test]
    fn empty_list_is_an_empty_header_only_table() {
        let rows: Vec<Topic> = Vec::new();
        assert_eq!(
            render_list(&rows, OutputFormat::Table, "topic").unwrap(),
            " NAME  PARTITIONS\n"
        );
    }

    #[test]
    fn output_flag_parses_any_case() {
        #[derive(clap::Parser)]
        struct Harness {
            #[command(flatten)]
            output: OutputOpt,
        }
        use clap::Parser;
        let h = Harness::try_parse_from(["x", "-O", "JSON"]).unwrap();
        assert_eq!(h.output.format, OutputFormat::Json);
        let h = Harness::try_parse_from(["x"]).unwrap();
        assert_eq!(h.output.format, OutputFormat::Table);
        assert!(Harness::try_parse_from(["x", "--output", "xml"]).is_err());
    }
}
