//! Producer logic: partitioning, batching and delivery.

pub mod partitioner;
