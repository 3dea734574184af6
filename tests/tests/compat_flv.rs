//! The compat programs (`compat/programs.rs`), written for the official `fluvio` 0.50
//! crate, built unchanged against flv: `fluvio` is `flv_tokio` here, as it is for a user
//! whose manifest says `fluvio = { package = "flv-tokio", ... }`. They must write the
//! official client's transcript (`compat/expected.txt`) against the mock cluster.

extern crate flv_tokio as fluvio;

#[path = "compat/harness.rs"]
mod harness;
#[path = "compat/programs.rs"]
mod programs;

use std::time::Duration;

fn sleep(d: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(tokio::time::sleep(d))
}

#[test]
fn flv_runs_the_compat_programs_as_the_official_client() {
    harness::parent("child");
}

/// The same programs against a real cluster (`FLV_COMPAT_REAL_SC`); skipped without one.
#[test]
fn flv_runs_the_compat_programs_on_a_real_cluster() {
    harness::parent_real("child");
}

#[test]
#[ignore = "run in a child process by flv_runs_the_compat_programs_as_the_official_client"]
fn child() {
    harness::child(|addr| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        rt.block_on(async {
            let limit = Duration::from_secs(harness::RUN_SECS);
            tokio::time::timeout(limit, programs::run_all(addr, sleep))
                .await
                .map_err(|_| anyhow::anyhow!("timed out"))?
        })
    });
}
