//! Every shared suite on async-std (`flv-async-std`, tier 2: async-std is discontinued
//! upstream), one test binary: the transport suite (`transport::`) and the user API suite
//! against the mock cluster (`api::`), then async-std's own cases.

use std::future::Future;

use flv_async_std::AsyncStd;

/// Runs one suite case on async-std's global executor.
fn run<F, Fut>(test: F)
where
    F: FnOnce(AsyncStd) -> Fut,
    Fut: Future<Output = ()>,
{
    async_std::task::block_on(test(AsyncStd));
}

/// The transport suite of `flv-test-support`: loopback TCP, timers, tasks, TLS.
mod transport {
    flv_test_support::transport_suite!(super::run, |tcp: &async_std::net::TcpStream| tcp.nodelay());
}

/// The user API suite of `flv-tests`, against the mock cluster over loopback.
mod api {
    flv_tests::api_suite!(super::run);
}

/// The adaptor's `quickack` (called by the driver after every read) takes its socket out of
/// delayed-ACK mode.
#[cfg(target_os = "linux")]
#[test]
fn quickack_leaves_delayed_ack_mode() {
    use std::os::fd::AsFd;
    run(|rt| flv_tests::assert_runtime_quickack(rt, |t: &async_std::net::TcpStream| t.as_fd()));
}
