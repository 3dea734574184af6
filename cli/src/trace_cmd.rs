//! `flv trace check|show`: decode captured Fluvio traffic.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use flv_core::trace::{self, CheckReport, Trace};

use crate::output;

/// Trace subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TraceCmd {
    /// Decode and re-encode every frame of each trace; exit non-zero if any frame fails.
    Check {
        /// Trace files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a readable dissection of every frame of a trace.
    Show {
        /// Trace file.
        file: PathBuf,
    },
}

fn load(path: &PathBuf) -> anyhow::Result<Trace> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read trace {}", path.display()))?;
    Trace::parse(&text).with_context(|| format!("{} is not a flv-trace v1 file", path.display()))
}

impl TraceCmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Check { files } => {
                let mut total = CheckReport::default();
                for path in &files {
                    let t = load(path)?;
                    let (report, frames) = trace::check(&t);
                    outln!(
                        "{}: frames {} decoded {} identical {} failed {}",
                        path.display(),
                        report.frames,
                        report.decoded,
                        report.identical,
                        report.failed()
                    )?;
                    for f in frames.iter().filter(|f| !f.identical) {
                        let why = match &f.decoded {
                            Err(e) => e.clone(),
                            Ok(_) => "re-encoded bytes differ from the captured frame".into(),
                        };
                        outln!(
                            "  FAILED {} conn {} ({}) frame {} line {} api {} ({}) version {}: {why}",
                            path.display(),
                            f.conn,
                            f.peer,
                            f.index,
                            f.line,
                            f.api_key.map_or_else(|| "?".into(), |k| k.to_string()),
                            f.api(),
                            f.version.map_or_else(|| "?".into(), |v| v.to_string()),
                        )?;
                    }
                    total.add(&report);
                }
                outln!(
                    "frames: {} decoded: {} identical: {} failed: {}",
                    total.frames,
                    total.decoded,
                    total.identical,
                    total.failed()
                )?;
                Ok(if total.failed() == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                })
            }
            Self::Show { file } => {
                let t = load(&file)?;
                output::emit(&trace::dissect(&t))?;
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
