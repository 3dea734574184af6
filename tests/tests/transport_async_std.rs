//! The driver's transport suite on async-std (`flv-async-std`, tier 2: async-std is
//! discontinued upstream): loopback TCP, timers, tasks, TLS.

use std::future::Future;

use flv_async_std::AsyncStd;

/// Runs one suite test with `async_std::task::block_on`.
fn run<F, Fut>(test: F)
where
    F: FnOnce(AsyncStd) -> Fut,
    Fut: Future<Output = ()>,
{
    async_std::task::block_on(test(AsyncStd));
}

flv_driver::transport_suite!(run, |tcp: &async_std::net::TcpStream| tcp.nodelay());

/// The adaptor's `quickack` (called by the driver after every read) takes its socket out of
/// delayed-ACK mode.
#[cfg(target_os = "linux")]
#[test]
fn quickack_leaves_delayed_ack_mode() {
    use std::os::fd::AsFd;
    run(|rt| flv_tests::assert_runtime_quickack(rt, |t: &async_std::net::TcpStream| t.as_fd()));
}
