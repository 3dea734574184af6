//! Shared helpers of flv's integration tests.
#![forbid(unsafe_code)]

pub mod bench;
pub mod faults;
pub mod proxy;
pub mod sim;
pub mod suite;

use std::path::PathBuf;

/// The directory of the traces captured from a real Fluvio 0.50 cluster.
pub fn traces_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("traces")
}
