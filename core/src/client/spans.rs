//! The `tracing` spans of the client: each request lives in a `request{peer api
//! correlation_id}` span (held by its connection until it is answered or fails), and a
//! partition's producer and consumer events (retries, read-backs, stream restarts) are
//! logged in a `partition{role topic partition}` span. With no subscriber they cost a
//! level check.

/// The span of `role`'s (`"produce"` or `"consume"`) work on one partition of `topic`.
pub(crate) fn partition(role: &'static str, topic: &str, partition: u32) -> tracing::Span {
    tracing::info_span!("partition", role, topic, partition)
}
