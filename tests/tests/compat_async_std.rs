//! The compat programs (`compat/programs.rs`), written for the official `fluvio` 0.50
//! crate, built unchanged against flv on async-std (`fluvio = { package = "flv-async-std",
//! ... }`) and run on its executor: the official client's transcript (`compat/expected.txt`).

extern crate flv_async_std as fluvio;

#[path = "compat/harness.rs"]
mod harness;
#[path = "compat/programs.rs"]
mod programs;

use std::time::Duration;

fn sleep(d: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async_std::task::sleep(d))
}

#[test]
fn flv_async_std_runs_the_compat_programs_as_the_official_client() {
    harness::parent("child");
}

/// The same programs against a real cluster (`FLV_COMPAT_REAL_SC`); skipped without one.
#[test]
fn flv_async_std_runs_the_compat_programs_on_a_real_cluster() {
    harness::parent_real("child");
}

#[test]
#[ignore = "run in a child process by flv_async_std_runs_the_compat_programs_as_the_official_client"]
fn child() {
    harness::child(|addr| {
        async_std::task::block_on(async {
            let limit = Duration::from_secs(harness::RUN_SECS);
            async_std::future::timeout(limit, programs::run_all(addr, sleep))
                .await
                .map_err(|_| anyhow::anyhow!("timed out"))?
        })
    });
}
