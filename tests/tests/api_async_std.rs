//! The user API suite on async-std (`flv-async-std`, tier 2), against the mock cluster over
//! loopback.

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

flv_tests::api_suite!(run);
