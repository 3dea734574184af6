//! `flv`: the command-line client for Fluvio clusters.

/// `println!` returning an `io::Error` instead of panicking when stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::emit(&format!("{}\n", format_args!($($arg)*)))
    };
}

mod cmd;
mod output;
mod profile_cmd;
mod target;
mod trace_cmd;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use flv_driver::config::{ConfigFile, default_config_path};

use crate::target::{CLIENT_ID_ENV, GlobalOpts, resolve_target};

/// flv: a fast, reliable client for Fluvio clusters.
#[derive(Debug, Parser)]
#[command(name = "flv", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalOpts,

    /// Log what the client does on stderr: -v info, -vv debug, -vvv trace (default: the
    /// RUST_LOG filter when set, else nothing)
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read messages from a topic/partition
    ///
    /// By default, this activates in "follow" mode, where the command waits for new records
    /// (stop with Ctrl-C); use -d to stop at the end of the log.
    Consume(cmd::consume::ConsumeOpt),
    /// Write messages to a topic/partition
    ///
    /// By default, each line of stdin (or of --file) is one record.
    Produce(cmd::produce::ProduceOpt),
    /// Manage and view Topics
    #[command(subcommand)]
    Topic(cmd::topic::TopicCmd),
    /// Manage and view Partitions
    #[command(subcommand)]
    Partition(cmd::topic::PartitionCmd),
    /// Manage and view the cluster's SPUs and SPU groups (`cluster spu|spg ...`)
    #[command(subcommand)]
    Cluster(ClusterCmd),
    /// Manage and view Streaming Processing Units (SPUs) (same as `cluster spu`)
    #[command(subcommand)]
    Spu(cmd::cluster::SpuCmd),
    /// Manage and view SPU Groups (SPGs) (same as `cluster spg`)
    #[command(subcommand)]
    Spg(cmd::cluster::SpgCmd),
    /// Create and manage SmartModules
    #[command(subcommand, visible_alias = "sm", alias = "smart-module")]
    Smartmodule(cmd::smartmodule::SmartModuleCmd),
    /// Create a TableFormat display specification
    ///
    /// Used with `flv consume --table-format NAME -O full_table`.
    #[command(subcommand, name = "table-format", visible_alias = "tf")]
    TableFormat(cmd::smartmodule::TableFormatCmd),
    /// List and delete stored consumer offsets
    #[command(subcommand)]
    Consumer(cmd::cluster::ConsumerCmd),
    /// Run a local development cluster (the embedded mock cluster, in memory)
    #[command(subcommand)]
    Local(cmd::local::LocalCmd),
    /// Produce and consume through a leader failure on an embedded cluster, and count
    ///
    /// Starts the mock cluster (3 SPUs) in this process, creates a replicated topic,
    /// produces records while a consumer reads them, stops the leader SPU of a partition
    /// halfway (and restarts it at three quarters), and ends with the line `demo: produced
    /// P consumed C lost L duplicated D` (exit code 1 if anything was lost or duplicated,
    /// or if retries stored more copies than the records they sent again).
    Demo(cmd::demo::DemoOpt),
    /// Serve the cluster over HTTP, Server-Sent Events and WebSocket, with a web console
    ///
    /// Routes under /v1 (topics, produce, NDJSON/SSE reads, WebSocket), /healthz, /metrics,
    /// /openapi.json and the console at /. Prints `flv gateway for SC listening on URL`,
    /// then serves until Ctrl-C.
    Gateway(flv_gateway::GatewayArgs),
    /// Manage Profiles, which describe linked clusters
    ///
    /// Each Profile describes a particular Fluvio cluster you may be connected to.
    /// There is one "active" profile, which determines which cluster all of the
    /// flv commands interact with. Profiles live in the official CLI's file
    /// (`~/.fluvio/config`, or `$FLV_PROFILE_PATH`).
    Profile(profile_cmd::ProfileOpt),
    /// Check or show traces of Fluvio traffic (`flv-trace v1` files).
    #[command(subcommand)]
    Trace(trace_cmd::TraceCmd),
    /// Print version information
    Version,
    /// Generate command-line completions for flv
    ///
    /// For example, for bash:
    ///
    /// $ flv completions bash > ~/flv_completions.sh
    /// {n}$ echo "source ~/flv_completions.sh" >> ~/.bashrc
    Completions {
        /// The shell to generate completions for
        shell: clap_complete::Shell,
    },
}

/// `flv cluster` subcommands (of the official `fluvio cluster`, those that talk to a
/// running cluster).
#[derive(Debug, Subcommand)]
enum ClusterCmd {
    /// Manage and view Streaming Processing Units (SPUs)
    #[command(subcommand)]
    Spu(cmd::cluster::SpuCmd),
    /// Manage and view SPU Groups (SPGs)
    #[command(subcommand)]
    Spg(cmd::cluster::SpgCmd),
}

/// Installs the stderr log: `-v` info, `-vv` debug, `-vvv` trace, else `RUST_LOG`, else none.
fn init_tracing(verbose: u8) {
    let filter = match verbose {
        0 => match std::env::var("RUST_LOG") {
            Ok(spec) if !spec.trim().is_empty() => {
                tracing_subscriber::EnvFilter::builder().parse_lossy(spec)
            }
            _ => return,
        },
        1 => tracing_subscriber::EnvFilter::new("info"),
        2 => tracing_subscriber::EnvFilter::new("debug"),
        _ => tracing_subscriber::EnvFilter::new("trace"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    init_tracing(cli.verbose);
    cli.global.client_id = std::env::var(CLIENT_ID_ENV).ok();
    match run(cli) {
        Ok(code) => code,
        // `flv ... | head`: the reader is gone, stop quietly.
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Trace(cmd) => cmd.run(),
        Command::Consume(cmd) => cmd.run(&cli.global),
        Command::Produce(cmd) => cmd.run(&cli.global),
        Command::Topic(cmd) => cmd.run(&cli.global),
        Command::Partition(cmd) => cmd.run(&cli.global),
        Command::Cluster(ClusterCmd::Spu(cmd)) | Command::Spu(cmd) => cmd.run(&cli.global),
        Command::Cluster(ClusterCmd::Spg(cmd)) | Command::Spg(cmd) => cmd.run(&cli.global),
        Command::Smartmodule(cmd) => cmd.run(&cli.global),
        Command::TableFormat(cmd) => cmd.run(&cli.global),
        Command::Consumer(cmd) => cmd.run(&cli.global),
        Command::Local(cmd) => cmd.run(),
        Command::Demo(cmd) => cmd.run(),
        Command::Gateway(args) => cmd::gateway::run(args, &cli.global),
        Command::Profile(cmd) => cmd.run(&default_config_path()?),
        Command::Version => {
            print_version(&cli.global)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "flv", &mut script);
            output::emit(&String::from_utf8_lossy(&script))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `flv version`: one `name : value` line per fact, as the official CLI prints them.
fn print_version(global: &GlobalOpts) -> std::io::Result<()> {
    let line = |name: &str, value: &str| outln!("{name:20} : {value}");
    line("flv CLI", env!("CARGO_PKG_VERSION"))?;
    line("flv CLI Arch", env!("FLV_BUILD_TARGET"))?;
    line("Git Commit", env!("FLV_GIT_HASH"))?;
    line("Rust Compiler", env!("FLV_RUSTC_VERSION"))?;
    line(
        "OS",
        &format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    )?;
    // The platform version needs a connection, which comes with the client API; show which
    // cluster it would be asked, or why none is configured.
    let cluster = default_config_path()
        .and_then(ConfigFile::load)
        .map_err(anyhow::Error::from)
        .and_then(|file| {
            let cluster = resolve_target(global, file.config())?;
            let via = match (&global.cluster, &global.profile) {
                (Some(_), _) => "--cluster".to_owned(),
                (None, Some(profile)) => format!("profile {profile}"),
                (None, None) => format!(
                    "profile {}",
                    file.config().current_profile_name().unwrap_or_default()
                ),
            };
            Ok(format!("{} ({via})", cluster.endpoint))
        });
    match cluster {
        Ok(cluster) => line("Cluster", &cluster),
        Err(e) => line("Cluster", &format!("not configured: {e:#}")),
    }
}
