//! Fault scenarios in deterministic simulation, and the checker run after each run.
//!
//! Each [`Scenario`] is a named function of a seed: it builds a [`Run`] (the sans-IO
//! client wired to the sans-IO mock cluster in virtual time), drives a workload (an
//! at-least-once producer and a stream consumer, mostly), injects its fault at a seeded
//! time and place, lets the world settle once the fault stopped, and returns the
//! [checker]'s [`Report`]. The same seed gives the same run.
//!
//! Network faults (resets, half-open peers, short writes, mangled frames) live in the
//! simulated network ([`Sim`](crate::sim::Sim)); server faults (stopped SPUs or SC,
//! delays, injected error codes, stalled replication) in the mock cluster.

pub mod checker;
mod history;
pub mod real;
mod run;
mod scenarios_cluster;
mod scenarios_consumer;
mod scenarios_net;
mod scenarios_replication;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use bytes::Bytes;
use flv_core::client::{ConsumerConfig, Offset, ProducerConfig, ProducerId};
use flv_core::codec::{Decode, Reader};
use flv_core::error_code::ErrorCode;

pub use checker::{Outcome, Report};
pub use history::{ProducerInfo, Sent, Track};
pub use run::{Run, at_least_once, client_config, read_committed};
pub use scenarios_cluster::{errors_produce_with, errors_stream_fetch_with};

/// A named fault scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Its name (`group_what`).
    pub name: &'static str,
    /// One run with a seed.
    pub run: RunFn,
}

/// A scenario's run function.
pub type RunFn = fn(u64) -> Report;

/// Every scenario, in table order.
pub fn scenarios() -> Vec<Scenario> {
    use scenarios_cluster as c;
    use scenarios_consumer as k;
    use scenarios_net as n;
    use scenarios_replication as r;
    let list: [(&'static str, RunFn); 30] = [
        ("conn_reset_mid_request", n::reset_mid_request),
        ("conn_reset_mid_response", n::reset_mid_response),
        ("conn_half_open", n::half_open),
        ("conn_half_open_sc", n::half_open_sc),
        ("conn_short_writes", n::short_writes),
        ("spu_leader_killed", c::leader_killed),
        ("spu_follower_killed", c::follower_killed),
        ("spu_restart_same_address", c::restart_same_address),
        ("spu_leader_change_in_flight", c::leader_change_in_flight),
        ("sc_down_spus_up", c::sc_down),
        ("sc_stale_metadata", c::stale_metadata),
        ("timing_slow_spu", c::slow_spu),
        ("timing_late_ack", c::late_ack),
        (
            "timing_read_committed_follower_down",
            c::read_committed_follower_down,
        ),
        ("hostile_duplicate_correlation", n::duplicate_correlation),
        ("hostile_unknown_correlation", n::unknown_correlation),
        ("hostile_truncated_frame", n::truncated_frame),
        ("hostile_oversized_length", n::oversized_length),
        ("errors_produce", c::errors_produce),
        ("errors_stream_fetch", c::errors_stream_fetch),
        ("limits_producer_queue_full", c::queue_full),
        ("consumer_catch_up_max_bytes", k::catch_up_max_bytes),
        (
            "consumer_stream_killed_mid_batch",
            k::stream_killed_mid_batch,
        ),
        ("consumer_offset_commit_restart", k::offset_commit_restart),
        ("consumer_topic_deleted", k::topic_deleted),
        (
            "replication_follower_killed_read_committed",
            r::follower_killed_read_committed,
        ),
        (
            "replication_leader_killed_lagging_follower",
            r::leader_killed_lagging_follower,
        ),
        (
            "replication_spu_restart_divergent_log",
            r::restart_divergent_log,
        ),
        (
            "replication_election_during_catch_up",
            r::election_during_catch_up,
        ),
        (
            "replication_lagging_followers_read_committed",
            r::lagging_followers_read_committed,
        ),
    ];
    list.into_iter()
        .map(|(name, run)| Scenario { name, run })
        .collect()
}

/// The scenario called `name`.
pub fn scenario(name: &str) -> Option<Scenario> {
    scenarios().into_iter().find(|s| s.name == name)
}

/// Runs a scenario with a seed; a panic is a failed report.
pub fn run_one(s: &Scenario, seed: u64) -> Report {
    match catch_unwind(AssertUnwindSafe(|| (s.run)(seed))) {
        Ok(r) => r,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Report::panicked(msg)
        }
    }
}

/// Every error code variant (`None` excepted), found by decoding every `i16` tag with
/// an all-zero payload: a variant added to the codec is picked up without a list to
/// keep in sync.
pub fn all_error_codes() -> &'static [ErrorCode] {
    static CODES: OnceLock<Vec<ErrorCode>> = OnceLock::new();
    CODES.get_or_init(|| {
        let mut out = Vec::new();
        for tag in i16::MIN..=i16::MAX {
            let mut bytes = tag.to_be_bytes().to_vec();
            bytes.extend([0u8; 64]);
            let mut r = Reader::new(Bytes::from(bytes));
            if let Ok(code) = ErrorCode::decode(&mut r, 25)
                && code != ErrorCode::None
            {
                out.push(code);
            }
        }
        out
    })
}

/// Topic `t` with `partitions` × `replication`, a producer with `config` and a stream
/// consumer of every partition from the beginning.
pub(crate) fn basic(
    seed: u64,
    partitions: u32,
    replication: u32,
    config: ProducerConfig,
) -> (Run, ProducerId, usize) {
    let mut run = Run::new(seed);
    run.topic("t", partitions, replication);
    let p = run.producer("t", config);
    let c = run.consumer(ConsumerConfig::new("t", Offset::beginning()));
    for part in 0..partitions {
        run.consumers[c].start.insert(part, 0);
    }
    (run, p, c)
}

/// Keeps sending (at most `n` records, 5 ms apart) until `fired` holds: a fault armed to
/// hit the next frames of a server waits for traffic to that server.
pub(crate) fn send_until(run: &mut Run, p: ProducerId, n: usize, fired: impl Fn(&Run) -> bool) {
    for _ in 0..n {
        if fired(run) {
            return;
        }
        run.send(p);
        run.step_for(std::time::Duration::from_millis(5));
    }
}

/// The leader of a partition in the mock.
pub(crate) fn leader(run: &Run, topic: &str, partition: u32) -> i32 {
    run.sim
        .cluster
        .partition_leader(topic, partition)
        .unwrap_or(-1)
}
