//! Runtime-agnostic async driver of flv (not built yet: see the async API issue).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use flv_core as core;

pub mod config;
