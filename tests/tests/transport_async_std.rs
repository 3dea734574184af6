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
