//! The driver's transport suite on smol (`flv-smol`): loopback TCP, timers, tasks, TLS.

use std::future::Future;
use std::sync::Arc;

use flv_smol::Smol;

/// Runs one suite test with `smol::block_on`, spawning on smol's global executor.
fn run<F, Fut>(test: F)
where
    F: FnOnce(Smol) -> Fut,
    Fut: Future<Output = ()>,
{
    smol::block_on(test(Smol::new()));
}

flv_driver::transport_suite!(run, |tcp: &smol::net::TcpStream| tcp.nodelay());

/// Tasks go to an application-owned executor when one is given.
#[test]
fn spawns_on_own_executor() {
    let executor = Arc::new(smol::Executor::new());
    let rt = Smol::with_executor(Arc::clone(&executor));
    smol::block_on(executor.run(flv_driver::testing::run_guarded(
        rt,
        flv_driver::testing::spawn_runs_tasks,
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
