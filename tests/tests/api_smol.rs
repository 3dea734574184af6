//! The user API suite on smol (`flv-smol`), against the mock cluster over loopback.

use std::future::Future;

use flv_smol::Smol;

/// Runs one suite case on smol's global executor.
fn run<F, Fut>(test: F)
where
    F: FnOnce(Smol) -> Fut,
    Fut: Future<Output = ()>,
{
    smol::block_on(test(Smol::new()));
}

flv_tests::api_suite!(run);
