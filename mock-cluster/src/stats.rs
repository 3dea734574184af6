//! What the mock cluster did: counts of faults and replication events, the evidence fault
//! runs report ([`MockCluster::stats`](crate::MockCluster::stats)).

/// What the cluster did so far: the evidence fault runs report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterStats {
    /// SPUs stopped.
    pub spu_stops: u64,
    /// SPUs restarted.
    pub spu_restarts: u64,
    /// Times the SC stopped.
    pub sc_stops: u64,
    /// Connections the cluster dropped on purpose (stopped servers, `drop_connections`).
    pub connections_dropped: u64,
    /// Requests answered with an injected error (or closed for one).
    pub errors_injected: u64,
    /// Response frames held back by a delay.
    pub responses_delayed: u64,
    /// Leaders elected after a leader stopped.
    pub elections: u64,
    /// Records left behind by elections (the new leader's log was shorter than the old
    /// leader's).
    pub records_left_behind: u64,
    /// Fetches of followers from their leader.
    pub follower_fetches: u64,
    /// Fetches that caught a lagging follower up by at least one record after it had
    /// been behind for some time (a lag or a stop).
    pub catch_ups: u64,
    /// Read-committed produce requests that had to wait for the high watermark (whether
    /// answered, timed out or dropped with their connection).
    pub produce_waits: u64,
    /// StreamFetch responses cut at `max_bytes` inside a batch.
    pub cut_reads: u64,
    /// Read-committed produce requests answered `RequestTimedOut`.
    pub produce_timeouts: u64,
    /// Followers that could not append the leader's batches (divergent logs).
    pub stuck_followers: u64,
    /// Replicas that came back with records their leader does not have.
    pub divergent_returns: u64,
}
