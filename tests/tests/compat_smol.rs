//! The compat programs (`compat/programs.rs`), written for the official `fluvio` 0.50
//! crate, built unchanged against flv on smol (`fluvio = { package = "flv-smol", ... }`)
//! and run on smol's executor: the official client's transcript (`compat/expected.txt`).

extern crate flv_smol as fluvio;

#[path = "compat/harness.rs"]
mod harness;
#[path = "compat/programs.rs"]
mod programs;

use std::time::Duration;

fn sleep(d: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        smol::Timer::after(d).await;
    })
}

#[test]
fn flv_smol_runs_the_compat_programs_as_the_official_client() {
    harness::parent("child");
}

/// The same programs against a real cluster (`FLV_COMPAT_REAL_SC`); skipped without one.
#[test]
fn flv_smol_runs_the_compat_programs_on_a_real_cluster() {
    harness::parent_real("child");
}

#[test]
#[ignore = "run in a child process by flv_smol_runs_the_compat_programs_as_the_official_client"]
fn child() {
    harness::child(|addr| {
        smol::block_on(async {
            let limit = async {
                smol::Timer::after(Duration::from_secs(harness::RUN_SECS)).await;
                Err(anyhow::anyhow!("timed out"))
            };
            smol::future::or(programs::run_all(addr, sleep), limit).await
        })
    });
}
