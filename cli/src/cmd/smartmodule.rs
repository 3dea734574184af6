//! `flv smartmodule create|list|watch|delete` (alias `sm`) and `flv table-format
//! create|list|delete` (alias `tf`), as the official CLI.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use flv_driver::core::sc::Metadata;
use flv_driver::core::sc::smartmodule::{SmartModuleSpec, SmartModuleWasm};
use flv_driver::core::sc::tableformat::{
    DataFormat, TableFormatColumnConfig, TableFormatSpec, TableFormatStatusResolution,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::topic::format_bytes;
use super::{block_on, connect, failed};
use crate::output::{self, OutputOpt, TableRow};
use crate::target::GlobalOpts;

/// `flv smartmodule` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SmartModuleCmd {
    /// Create a new SmartModule with a given name
    Create {
        /// The name of the SmartModule to create
        #[arg(value_name = "NAME")]
        name: String,
        /// The path to a WASM binary to create the SmartModule from
        #[arg(long, value_name = "WASM_FILE")]
        wasm_file: PathBuf,
        /// The path to the SmartModule package (experimental; accepted and ignored, as
        /// upstream)
        #[arg(long, value_name = "PACKAGE")]
        package: Option<PathBuf>,
    },
    /// List all existing SmartModules
    List {
        #[command(flatten)]
        output: OutputOpt,
        /// Only the SmartModules whose name contains this text
        #[arg(long, value_name = "FILTER")]
        filter: Option<String>,
    },
    /// Watch for changes to SmartModules (the list is printed again on every change)
    Watch {
        #[command(flatten)]
        output: OutputOpt,
    },
    /// Delete one or more SmartModules with the given name(s)
    Delete {
        /// The name(s) of the SmartModule(s) to delete
        #[arg(value_name = "name", required = true)]
        names: Vec<String>,
    },
}

/// One SmartModule of `flv smartmodule list`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct SmartModuleRow(Metadata<SmartModuleSpec>);

impl TableRow for SmartModuleRow {
    fn header() -> Vec<&'static str> {
        vec!["SMARTMODULE", "SIZE"]
    }
    fn cells(&self) -> Vec<String> {
        let spec = &self.0.spec;
        let size = spec
            .summary
            .as_ref()
            .map_or(spec.wasm.payload.len() as u64, |s| u64::from(s.wasm_length));
        let name = spec.meta.as_ref().map_or_else(
            || self.0.name.clone(),
            |m| {
                format!(
                    "{}/{}@{}",
                    m.package.group, m.package.name, m.package.version
                )
            },
        );
        vec![name, format_bytes(size)]
    }
}

/// A resource name as the SC accepts it: lowercase alphanumerics and `-`, at most 63
/// characters, starting and ending alphanumeric (upstream's `validate_resource_name`).
fn check_resource_name(what: &str, name: &str) -> anyhow::Result<()> {
    if !flv_core::sc::is_valid_resource_name(name) {
        bail!(
            "invalid name for {what} \"{name}\": use lowercase letters, digits and '-' (at most 63, not at either end)"
        );
    }
    Ok(())
}

/// Prints the SmartModules (whose name contains `filter`).
async fn print_smartmodules(
    admin: &flv_tokio::FluvioAdmin,
    filter: Option<String>,
    output: OutputOpt,
) -> anyhow::Result<()> {
    let mut items = admin
        .list_with_params::<SmartModuleSpec, String>(filter.into_iter().collect(), true)
        .await
        .map_err(failed("cannot list SmartModules"))?;
    items.sort_by(|a, b| a.name.cmp(&b.name));
    let rows: Vec<SmartModuleRow> = items.into_iter().map(SmartModuleRow).collect();
    if rows.is_empty() && output.format == output::OutputFormat::Table {
        outln!("No SmartModules found")?;
    } else {
        output::emit(&output::render_list(&rows, output.format, "smartmodule")?)?;
    }
    Ok(())
}

impl SmartModuleCmd {
    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        // Check the file before connecting.
        let create = match &self {
            SmartModuleCmd::Create {
                name, wasm_file, ..
            } => {
                check_resource_name("SmartModule", name)?;
                let raw = std::fs::read(wasm_file)
                    .with_context(|| format!("cannot read {}", wasm_file.display()))?;
                if !raw.starts_with(b"\0asm") {
                    bail!(
                        "{} is not a WebAssembly binary (no \\0asm header)",
                        wasm_file.display()
                    );
                }
                Some(SmartModuleSpec {
                    wasm: SmartModuleWasm::from_raw_wasm(&raw)
                        .with_context(|| format!("cannot compress {}", wasm_file.display()))?,
                    ..SmartModuleSpec::default()
                })
            }
            _ => None,
        };
        block_on(async move {
            let fluvio = connect(global).await?;
            let admin = fluvio.admin();
            match self {
                SmartModuleCmd::Create { name, .. } => {
                    let spec = create.context("SmartModule spec")?;
                    admin
                        .create(name.clone(), false, spec)
                        .await
                        .map_err(failed(format!("cannot create SmartModule \"{name}\"")))?;
                    outln!("smartmodule \"{name}\" has been created.")?;
                }
                SmartModuleCmd::List { output, filter } => {
                    print_smartmodules(&admin, filter, output).await?;
                }
                SmartModuleCmd::Watch { output } => {
                    let mut watch = admin
                        .watch::<SmartModuleSpec>()
                        .await
                        .map_err(failed("cannot watch SmartModules"))?;
                    let ctrl_c = tokio::signal::ctrl_c();
                    tokio::pin!(ctrl_c);
                    loop {
                        tokio::select! {
                            next = watch.next() => match next {
                                Some(Ok(_)) => {
                                    outln!("")?;
                                    print_smartmodules(&admin, None, output).await?;
                                }
                                Some(Err(e)) => {
                                    return Err(failed("cannot watch SmartModules")(e));
                                }
                                None => break,
                            },
                            _ = &mut ctrl_c => break,
                        }
                    }
                }
                SmartModuleCmd::Delete { names } => {
                    for name in names {
                        admin
                            .delete::<SmartModuleSpec>(name.clone())
                            .await
                            .map_err(failed(format!("cannot delete SmartModule \"{name}\"")))?;
                        outln!("smartmodule \"{name}\" deleted")?;
                    }
                }
            }
            drop(admin);
            fluvio.close().await.ok();
            Ok(ExitCode::SUCCESS)
        })
    }
}

/// `flv table-format` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TableFormatCmd {
    /// Create a new TableFormat display
    Create {
        /// The path to the TableFormat config (YAML: name, input_format, columns,
        /// smartmodule)
        #[arg(short, long, value_name = "CONFIG")]
        config: PathBuf,
    },
    /// Delete a TableFormat display
    Delete {
        /// The name of the table format to delete
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// List all TableFormat display
    List {
        #[command(flatten)]
        output: OutputOpt,
    },
}

/// A table format file, as the official `TableFormatConfig`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFormatConfig {
    name: String,
    input_format: Option<DataFormat>,
    columns: Option<Vec<TableFormatColumnConfig>>,
    smartmodule: Option<String>,
}

/// One table format of `flv table-format list`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct TableFormatRow(Metadata<TableFormatSpec>);

impl TableRow for TableFormatRow {
    fn header() -> Vec<&'static str> {
        vec!["NAME", "STATUS"]
    }
    fn cells(&self) -> Vec<String> {
        let status = match self.0.status.resolution {
            TableFormatStatusResolution::Init => "Init",
            TableFormatStatusResolution::Invalid => "Invalid",
            TableFormatStatusResolution::Pending => "Pending",
            TableFormatStatusResolution::Running => "Running",
            TableFormatStatusResolution::Failed => "Failed",
        };
        vec![self.0.name.clone(), status.to_owned()]
    }
}

impl TableFormatCmd {
    /// Runs the command against the cluster of `global`.
    pub(crate) fn run(self, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
        let spec = match &self {
            TableFormatCmd::Create { config } => {
                let text = std::fs::read_to_string(config)
                    .with_context(|| format!("cannot read {}", config.display()))?;
                let c: TableFormatConfig = serde_yaml::from_str(&text).with_context(|| {
                    format!("{} is not a table format config", config.display())
                })?;
                check_resource_name("table format", &c.name)?;
                Some(TableFormatSpec {
                    name: c.name,
                    input_format: c.input_format,
                    columns: c.columns,
                    smartmodule: c.smartmodule,
                })
            }
            _ => None,
        };
        block_on(async move {
            let fluvio = connect(global).await?;
            let admin = fluvio.admin();
            match self {
                TableFormatCmd::Create { .. } => {
                    let spec = spec.context("table format spec")?;
                    let name = spec.name.clone();
                    admin
                        .create(name.clone(), false, spec)
                        .await
                        .map_err(failed(format!("cannot create table format \"{name}\"")))?;
                    outln!("tableformat \"{name}\" created")?;
                }
                TableFormatCmd::Delete { name } => {
                    admin
                        .delete::<TableFormatSpec>(name.clone())
                        .await
                        .map_err(failed(format!("cannot delete table format \"{name}\"")))?;
                    outln!("tableformat \"{name}\" deleted")?;
                }
                TableFormatCmd::List { output } => {
                    let mut items = admin
                        .all::<TableFormatSpec>()
                        .await
                        .map_err(failed("cannot list table formats"))?;
                    items.sort_by(|a, b| a.name.cmp(&b.name));
                    let rows: Vec<TableFormatRow> = items.into_iter().map(TableFormatRow).collect();
                    if rows.is_empty() && output.format == output::OutputFormat::Table {
                        outln!("no tableformats")?;
                    } else {
                        output::emit(&output::render_list(&rows, output.format, "tableformat")?)?;
                    }
                }
            }
            drop(admin);
            fluvio.close().await.ok();
            Ok(ExitCode::SUCCESS)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names() {
        assert!(check_resource_name("x", "my-filter2").is_ok());
        for bad in ["", "My", "a_b", "-a", "a-", &"a".repeat(64)] {
            assert!(check_resource_name("x", bad).is_err(), "{bad}");
        }
    }
}
