//! flv on the async-std runtime (adaptor not built yet: see the async API issue).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use flv_driver::*;
