//! The harness of the compat programs (`programs.rs`), shared by `compat_official.rs` and
//! `compat_flv.rs`: a mock cluster, a profile file naming it, and a child process (the
//! same test binary, running its ignored `child` test) with `FLV_PROFILE_PATH` set, since
//! `Fluvio::connect()` and `fluvio::producer()` read the current profile.

use std::process::Command;

use flv_driver::config::{ClusterConfig, Config};
use flv_mock_cluster::{MockClusterServer, ServerOptions};

use super::programs::Transcript;

/// The environment variable that tells the child test where the cluster is.
const SC_ADDR_ENV: &str = "FLV_COMPAT_SC_ADDR";

/// Set (to `1`) in the child when it runs against a real cluster.
const REAL_MODE_ENV: &str = "FLV_COMPAT_REAL_MODE";

/// Bound of one whole run of the programs.
pub(crate) const RUN_SECS: u64 = 120;

/// The environment variable naming the SC (`host:port`) of a real cluster to run the
/// programs against (outside CI; a fresh cluster per run, since they create topics).
pub(crate) const REAL_SC_ENV: &str = "FLV_COMPAT_REAL_SC";

/// The environment variable naming the transcript a real-cluster run must reproduce (the
/// official client's, written by its run with `FLV_COMPAT_WRITE`); unset: only written.
const REAL_EXPECTED_ENV: &str = "FLV_COMPAT_EXPECTED";

/// Starts a mock cluster, writes a profile `compat` for it and runs the test `child_test`
/// of this binary in a child process; fails with the child's output if it fails.
pub(crate) fn parent(child_test: &str) {
    let server = MockClusterServer::start(ServerOptions::default()).expect("mock cluster starts");
    run_child(child_test, server.sc_addr(), false);
}

/// As [`parent`], against the real cluster named by `FLV_COMPAT_REAL_SC`; without it,
/// prints why it is skipped and passes (CI has no real cluster).
pub(crate) fn parent_real(child_test: &str) {
    let Ok(addr) = std::env::var(REAL_SC_ENV) else {
        eprintln!(
            "skipped: no real cluster ({REAL_SC_ENV}=host:port of a fresh cluster's SC runs it; \
             see scripts/compat-real.sh)"
        );
        return;
    };
    run_child(child_test, &addr, true);
}

fn run_child(child_test: &str, sc_addr: &str, real: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config");
    let mut config = Config::new();
    config.add_or_replace_profile("compat", ClusterConfig::new(sc_addr));
    let text = config.to_toml_string().expect("profile encodes");
    std::fs::write(&path, text).expect("profile written");
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args([child_test, "--exact", "--ignored", "--nocapture"])
        .env("FLV_PROFILE_PATH", &path)
        .env(SC_ADDR_ENV, sc_addr)
        .env(REAL_MODE_ENV, if real { "1" } else { "" })
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the compat programs failed:\n{stdout}\n{stderr}"
    );
}

/// The child's side: runs the programs with `run` (on the build's executor) and compares
/// their transcript with `expected.txt`. Without the parent's environment it does nothing
/// (it is an ignored test, run only by [`parent`]).
pub(crate) fn child(run: impl FnOnce(&str) -> anyhow::Result<Transcript>) {
    let Ok(addr) = std::env::var(SC_ADDR_ENV) else {
        eprintln!("not started by the parent test: nothing to do");
        return;
    };
    let transcript = run(&addr).expect("the programs run");
    let got = transcript.join("\n") + "\n";
    if let Ok(path) = std::env::var("FLV_COMPAT_WRITE") {
        std::fs::write(path, &got).expect("transcript written");
    }
    if std::env::var(REAL_MODE_ENV).is_ok_and(|v| v == "1") {
        if let Some(path) = std::env::var(REAL_EXPECTED_ENV)
            .ok()
            .filter(|p| !p.is_empty())
        {
            let want = std::fs::read_to_string(&path).expect("expected transcript readable");
            assert_eq!(got, want, "transcript differs from {path}");
        }
        return;
    }
    assert_eq!(got, include_str!("expected.txt"), "transcript differs");
}
