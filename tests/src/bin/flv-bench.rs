//! `flv-bench`: flv against the official `fluvio` 0.50 client, same workloads, same
//! cluster, alternating runs. See `flv_tests::bench` for the workloads and measurements.
//!
//! ```text
//! cargo run --release -p flv-tests --bin flv-bench -- [--quick] [--runs N] [--records N]
//!     [--cluster HOST:PORT | --fluvio-run PATH] [--rate R]... [--only WORKLOAD]...
//!     [--client flv|official]... [--mock-log]
//! ```
//!
//! Without `--cluster` it starts an embedded mock cluster (3 SPUs, loopback); with
//! `--fluvio-run PATH` (or `FLUVIO_RUN=PATH`) a real Fluvio cluster of 3 SPUs from that
//! `fluvio-run` binary, on loopback, stopped at the end. The last
//! line is `bench: produce-ratio <x> consume-ratio <y>`: flv ÷ official median records/s of
//! the 5 KiB produce and of the 1 KiB catch-up consume, one partition each.

use clap::Parser;
use flv_mock_cluster::{MockClusterServer, ServerOptions};
use flv_tests::bench::{Bench, Options};
use flv_tests::real_cluster::RealCluster;

#[derive(Debug, Parser)]
#[command(
    name = "flv-bench",
    about = "flv vs the official fluvio client, alternating runs"
)]
struct Args {
    /// SC address of a cluster (a real Fluvio cluster too); default: an embedded mock cluster.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "fluvio_run")]
    cluster: Option<String>,
    /// Start a real Fluvio cluster (SC + 3 SPUs on loopback) from this `fluvio-run` binary
    /// for the run, and stop it at the end.
    #[arg(long, value_name = "PATH", env = "FLUVIO_RUN")]
    fluvio_run: Option<std::path::PathBuf>,
    /// Runs per client and workload.
    #[arg(long)]
    runs: Option<usize>,
    /// Records of the catch-up consume (1 KiB each); the produce counts derive from it
    /// (5 KiB: N/50, 100 B: N/5).
    #[arg(long)]
    records: Option<u64>,
    /// A short run for CI (well under a minute): 2 runs, 200,000 records, 1 s latency runs.
    #[arg(long)]
    quick: bool,
    /// Latency rate in records/s (repeatable); default: half of each client's max rate.
    #[arg(long)]
    rate: Vec<f64>,
    /// Seconds per latency run.
    #[arg(long)]
    latency_secs: Option<f64>,
    /// Only these workloads: produce-5k, produce-100b, produce-1mib, latency, consume.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Only these clients: flv, official.
    #[arg(long = "client", value_delimiter = ',')]
    clients: Vec<String>,
    /// Only these partition counts (default 1 and 3).
    #[arg(long, value_delimiter = ',')]
    partitions: Vec<u32>,
    /// The embedded mock's SPUs write with `TCP_NODELAY` and large writes (the mock's default
    /// for tests) instead of like a real SPU (no `TCP_NODELAY`, 64 KiB writes).
    #[arg(long)]
    mock_nodelay: bool,
    /// Print the embedded mock cluster's log (malformed input, faults) at the end.
    #[arg(long)]
    mock_log: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let real = match (&args.cluster, &args.fluvio_run) {
        (None, Some(bin)) => {
            println!(
                "flv-bench: starting a real Fluvio cluster (3 SPUs) from {}",
                bin.display()
            );
            Some(RealCluster::start(bin, 3)?)
        }
        _ => None,
    };
    let mock = match (&args.cluster, &real) {
        // The SPUs write as a real SPU does (see `ServerOptions::real_spu_writes`), so that
        // a client that stalls on a real cluster stalls here too.
        (None, None) => Some(MockClusterServer::start(ServerOptions {
            real_spu_writes: !args.mock_nodelay,
            ..ServerOptions::default()
        })?),
        _ => None,
    };
    let cluster = match (&args.cluster, &real, &mock) {
        (Some(c), _, _) => c.clone(),
        (None, Some(r), _) => r.sc_addr(),
        (None, None, Some(m)) => m.sc_addr().to_string(),
        (None, None, None) => unreachable!("a mock cluster is started without a cluster"),
    };
    let opts = Options {
        cluster: cluster.clone(),
        runs: args.runs.unwrap_or(if args.quick { 2 } else { 3 }),
        records: args
            .records
            .unwrap_or(if args.quick { 200_000 } else { 1_000_000 }),
        rates: args.rate,
        latency_secs: args
            .latency_secs
            .unwrap_or(if args.quick { 1.0 } else { 5.0 }),
        only: args.only,
        clients: args.clients,
        partitions: args.partitions,
    };
    println!(
        "flv-bench: cluster {cluster}{}, {} run(s) per client, {} records (catch-up consume); {} cpu(s)",
        if mock.is_some() {
            " (embedded mock cluster: its threads share the process; `cpu-s/GB thr` counts only the other threads)"
        } else if real.is_some() {
            " (real Fluvio cluster started for this run)"
        } else {
            ""
        },
        opts.runs,
        opts.records,
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    let mut bench = Bench::new(opts)?;
    bench.run()?;
    let fmt = |r: Option<f64>| r.map_or_else(|| "n/a".to_string(), |r| format!("{r:.2}"));
    println!(
        "bench: produce-ratio {} consume-ratio {}",
        fmt(bench.ratio("produce 5 KiB p1")),
        fmt(bench.ratio("consume 1 KiB p1"))
    );
    drop(bench);
    if let (Some(m), true) = (&mock, args.mock_log) {
        for line in m.with_cluster(|c, _| c.drain_log()) {
            eprintln!("mock: {line}");
        }
    }
    drop(mock);
    drop(real);
    Ok(())
}
