//! The user API suite on tokio (`flv-tokio`), against the mock cluster over loopback.

use std::future::Future;

use flv_tokio::Tokio;

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

flv_tests::api_suite!(run);
