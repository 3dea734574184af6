//! An in-process Fluvio-protocol **test double** (SC + SPUs), not a real cluster.
//! Not built yet: see the mock-cluster issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use flv_core as core;
