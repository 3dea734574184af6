//! Every shared suite on tokio (`flv-tokio`), one test binary: the transport suite
//! (`transport::`) and the user API suite against the mock cluster (`api::`), then tokio's
//! own cases.

use std::future::Future;

use flv_tokio::{Tokio, TokioTcp};

/// Runs one suite case on a fresh two-worker tokio runtime.
fn run<F, Fut>(test: F)
where
    F: FnOnce(Tokio) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let rt = Tokio::new(runtime.handle().clone());
    runtime.block_on(test(rt));
}

/// The transport suite of `flv-test-support`: loopback TCP, timers, tasks, TLS.
mod transport {
    flv_test_support::transport_suite!(super::run, |tcp: &super::TokioTcp| tcp.get_ref().nodelay());
}

/// The user API suite of `flv-tests`, against the mock cluster over loopback.
mod api {
    flv_tests::api_suite!(super::run);
}

/// `Tokio::current` finds the runtime only inside it.
#[test]
fn current_only_inside_a_runtime() {
    assert!(Tokio::current().is_none());
    run(|_| async { assert!(Tokio::current().is_some()) });
}

/// The handle works from another executor: connect, resolve, sleep and I/O awaited in
/// `smol::block_on`, outside any tokio context.
#[test]
fn usable_from_another_executor() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let rt = Tokio::new(runtime.handle().clone());
    smol::block_on(async {
        assert!(Tokio::current().is_none(), "not inside tokio here");
        flv_test_support::run_guarded(rt.clone(), flv_test_support::tcp_echo_round_trip).await;
        flv_test_support::run_guarded(rt.clone(), flv_test_support::dns_failure).await;
        flv_test_support::run_guarded(rt, flv_test_support::sleep_until_wakes_at_deadline).await;
    });
}

/// The adaptor's `quickack` (called by the driver after every read) takes its socket out of
/// delayed-ACK mode.
#[cfg(target_os = "linux")]
#[test]
fn quickack_leaves_delayed_ack_mode() {
    use std::os::fd::AsFd;
    run(|rt| flv_tests::assert_runtime_quickack(rt, |t: &TokioTcp| t.get_ref().as_fd()));
}
