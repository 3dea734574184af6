//! Every shared suite on smol (`flv-smol`), one test binary: the transport suite
//! (`transport::`) and the user API suite against the mock cluster (`api::`), then smol's
//! own cases.

use std::future::Future;
use std::sync::Arc;

use flv_smol::Smol;

/// Runs one suite case on smol's global executor.
fn run<F, Fut>(test: F)
where
    F: FnOnce(Smol) -> Fut,
    Fut: Future<Output = ()>,
{
    smol::block_on(test(Smol::new()));
}

/// The transport suite of `flv-test-support`: loopback TCP, timers, tasks, TLS.
mod transport {
    flv_test_support::transport_suite!(super::run, |tcp: &smol::net::TcpStream| tcp.nodelay());
}

/// The user API suite of `flv-tests`, against the mock cluster over loopback.
mod api {
    flv_tests::api_suite!(super::run);
}

/// Tasks go to an application-owned executor when one is given.
#[test]
fn spawns_on_own_executor() {
    let executor = Arc::new(smol::Executor::new());
    let rt = Smol::with_executor(Arc::clone(&executor));
    smol::block_on(executor.run(flv_test_support::run_guarded(
        rt,
        flv_test_support::spawn_runs_tasks,
    )));
}

/// The adaptor's `quickack` (called by the driver after every read) takes its socket out of
/// delayed-ACK mode.
#[cfg(target_os = "linux")]
#[test]
fn quickack_leaves_delayed_ack_mode() {
    use std::os::fd::AsFd;
    run(|rt| flv_tests::assert_runtime_quickack(rt, |t: &smol::net::TcpStream| t.as_fd()));
}
