//! The compat programs (`compat/programs.rs`) built against the official `fluvio` 0.50
//! crate and run against the mock cluster: the reference transcript (`compat/expected.txt`)
//! that `compat_flv.rs` must reproduce with flv.

#[path = "compat/harness.rs"]
mod harness;
#[path = "compat/programs.rs"]
mod programs;

use std::time::Duration;

fn sleep(d: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(fluvio_future::timer::sleep(d))
}

#[test]
fn official_client_runs_the_compat_programs() {
    harness::parent("child");
}

/// The same programs against a real cluster (`FLV_COMPAT_REAL_SC`); skipped without one.
#[test]
fn official_client_runs_the_compat_programs_on_a_real_cluster() {
    harness::parent_real("child");
}

#[test]
#[ignore = "run in a child process by official_client_runs_the_compat_programs"]
fn child() {
    harness::child(|addr| {
        fluvio_future::task::run_block_on(async {
            use futures_util::future::{Either, select};
            let limit = fluvio_future::timer::sleep(Duration::from_secs(harness::RUN_SECS));
            match select(Box::pin(programs::run_all(addr, sleep)), Box::pin(limit)).await {
                Either::Left((out, _)) => out,
                Either::Right(_) => Err(anyhow::anyhow!("timed out")),
            }
        })
    });
}
