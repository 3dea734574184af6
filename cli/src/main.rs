//! `flv`: the command-line client for Fluvio clusters.

mod trace_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// flv: a fast, reliable client for Fluvio clusters.
#[derive(Debug, Parser)]
#[command(name = "flv", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check or show traces of Fluvio traffic (`flv-trace v1` files).
    #[command(subcommand)]
    Trace(trace_cmd::TraceCmd),
    /// Print the version of flv.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Trace(cmd) => cmd.run(),
        Command::Version => {
            println!("flv {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
