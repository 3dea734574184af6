//! The `roundtrip` example of each runtime crate, run as a program against a mock
//! cluster: its last line must be `roundtrip: produced 1000 consumed 1000`.
//!
//! Each example is built by this test with the cargo that runs it (`cargo build -p <crate>
//! --example roundtrip`), then run at once (the three examples share the name `roundtrip`,
//! so each build replaces the previous binary). To test prebuilt binaries instead, set
//! `FLV_ROUNDTRIP_TOKIO`, `FLV_ROUNDTRIP_SMOL` and `FLV_ROUNDTRIP_ASYNC_STD` to their paths.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use flv_mock_cluster::{MockClusterServer, ServerOptions};

/// Builds the `roundtrip` example of `package` and returns the binary's path.
fn build_example(package: &str) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args([
            "build",
            "-p",
            package,
            "--example",
            "roundtrip",
            "--message-format=json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "building the {package} example failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "roundtrip")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("the example's executable")
}

/// Runs `binary` against `addr` (killed after a minute) and returns its last stdout line.
fn run_example(binary: &PathBuf, addr: &str) -> String {
    let mut child = Command::new(binary)
        .arg(addr)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("example starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("status").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{} did not finish within a minute", binary.display());
        }
        std::thread::sleep(Duration::from_millis(20)); // polling a child process, not synchronising
    }
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "{} failed: {}",
        binary.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

fn check(package: &str, env: &str) {
    let server = MockClusterServer::start(ServerOptions {
        spus: 1,
        ..ServerOptions::default()
    })
    .expect("mock cluster");
    let binary = std::env::var_os(env).map_or_else(|| build_example(package), PathBuf::from);
    let last = run_example(&binary, server.sc_addr());
    assert_eq!(last, "roundtrip: produced 1000 consumed 1000", "{package}");
}

/// One test: the builds share `target/debug/examples/roundtrip`, so they run in turn.
#[test]
fn roundtrip_examples_on_every_runtime() {
    check("flv-tokio", "FLV_ROUNDTRIP_TOKIO");
    check("flv-smol", "FLV_ROUNDTRIP_SMOL");
    check("flv-async-std", "FLV_ROUNDTRIP_ASYNC_STD");
}
