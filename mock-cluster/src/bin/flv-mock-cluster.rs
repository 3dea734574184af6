//! `flv-mock-cluster`: serves an in-process Fluvio test-double cluster on loopback TCP
//! and prints the SC endpoint; runs until interrupted.

use clap::Parser;
use flv_mock_cluster::{MockClusterServer, ServerOptions, TlsOptions};

/// Serve a mock Fluvio cluster (a test double: in memory, one SC and N SPUs).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Number of SPUs.
    #[arg(long, default_value_t = 3)]
    spus: usize,
    /// SC port (0: ephemeral); SPUs use ephemeral ports.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server certificate (PEM) to serve TLS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// Server private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Read fault-injection commands from stdin, one a line, answering each on stdout:
    /// `stop-spu ID`, `restart-spu ID`, `leader TOPIC PARTITION` (answers `ok`,
    /// `leader ID`, or `error: ...`). For tests in other languages.
    #[arg(long)]
    control: bool,
}

/// Runs one control command (see `--control`) and returns the answer line.
fn control(server: &MockClusterServer, line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let spu = |w: Option<&&str>| w.and_then(|w| w.parse::<i32>().ok());
    match words.as_slice() {
        ["stop-spu", rest @ ..] => match spu(rest.first()) {
            Some(id) => {
                server.stop_spu(id);
                "ok".into()
            }
            None => "error: stop-spu takes an SPU id".into(),
        },
        ["restart-spu", rest @ ..] => match spu(rest.first()) {
            Some(id) => {
                server.restart_spu(id);
                "ok".into()
            }
            None => "error: restart-spu takes an SPU id".into(),
        },
        ["leader", topic, partition] => match partition.parse::<u32>() {
            Ok(p) => match server.partition_leader(topic, p) {
                Some(id) => format!("leader {id}"),
                None => "error: no such partition".into(),
            },
            Err(_) => "error: bad partition".into(),
        },
        _ => format!("error: unknown command {line:?}"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsOptions {
            cert_pem: std::fs::read_to_string(cert)?,
            key_pem: std::fs::read_to_string(key)?,
        }),
        _ => None,
    };
    let server = MockClusterServer::start(ServerOptions {
        spus: args.spus,
        sc_port: args.port,
        host: args.host,
        tls,
        ..ServerOptions::default()
    })?;
    println!("{}", server.sc_addr());
    for id in server.with_cluster(|c, _| c.spu_ids()) {
        eprintln!("spu {id}: {}", server.spu_addr(id).unwrap_or("?"));
    }
    if args.control {
        use std::io::{BufRead, Write};
        for line in std::io::stdin().lock().lines() {
            let answer = control(&server, line?.trim());
            let mut out = std::io::stdout().lock();
            writeln!(out, "{answer}")?;
            out.flush()?;
        }
        // stdin closed: the controlling process is gone.
        return Ok(());
    }
    loop {
        std::thread::park();
        for line in server.with_cluster(|c, _| c.drain_log()) {
            eprintln!("{line}");
        }
    }
}
