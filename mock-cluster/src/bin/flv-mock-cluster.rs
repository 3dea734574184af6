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
    loop {
        std::thread::park();
        for line in server.with_cluster(|c, _| c.drain_log()) {
            eprintln!("{line}");
        }
    }
}
