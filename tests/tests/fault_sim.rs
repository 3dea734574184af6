//! Fault scenarios in deterministic simulation, each judged by the checker (no
//! acknowledged record lost or reordered, duplicates only for ambiguous sends, every send
//! resolved in time, memory bounded). A few seeds per scenario here; the fault matrix
//! (`cargo run --release -p flv-tests --bin fault-matrix -- --seeds N`) runs many more.
//! Each test also checks that its fault actually happened.

use bytes::Bytes;
use flv_core::client::{ConsumerConfig, Event, Offset, ProducerConfig};
use flv_core::error_code::ErrorCode;
use flv_core::time::Instant;
use flv_tests::faults::{
    Report, Run, all_error_codes, errors_produce_with, errors_stream_fetch_with, run_one, scenario,
};

const SEEDS: u64 = 4;

/// Runs `name` with the test seeds; every run must pass. Returns the reports.
fn passes(name: &str) -> Vec<Report> {
    let s = scenario(name).unwrap_or_else(|| panic!("no scenario {name}"));
    (0..SEEDS)
        .map(|seed| {
            let r = run_one(&s, seed);
            assert!(r.passed(), "{name} seed {seed}: {r}");
            assert!(r.acked > 0, "{name} seed {seed}: nothing acknowledged");
            r
        })
        .collect()
}

fn sum(reports: &[Report], f: impl Fn(&Report) -> u64) -> u64 {
    reports.iter().map(f).sum()
}

fn broke_connections(name: &str) {
    let r = passes(name);
    assert!(
        sum(&r, |r| r.metrics.connection_failures) >= SEEDS,
        "{name}: the fault broke no connection"
    );
}

#[test]
fn conn_reset_mid_request() {
    broke_connections("conn_reset_mid_request");
}

#[test]
fn conn_reset_mid_response() {
    broke_connections("conn_reset_mid_response");
}

#[test]
fn conn_half_open() {
    let r = passes("conn_half_open");
    assert!(sum(&r, |r| r.metrics.connection_failures) >= SEEDS);
    // Exactly-once producers read caught requests back; ambiguous only past the deadline.
    assert!(
        sum(&r, |r| r.ambiguous as u64 + r.metrics.produce_read_backs) > 0,
        "no request was caught in the hole"
    );
}

#[test]
fn conn_half_open_sc() {
    broke_connections("conn_half_open_sc");
}

#[test]
fn conn_short_writes() {
    let r = passes("conn_short_writes");
    assert_eq!(sum(&r, |r| r.metrics.connection_failures), 0);
}

#[test]
fn spu_leader_killed() {
    broke_connections("spu_leader_killed");
}

#[test]
fn spu_follower_killed() {
    passes("spu_follower_killed");
}

#[test]
fn spu_restart_same_address() {
    broke_connections("spu_restart_same_address");
}

#[test]
fn spu_leader_change_in_flight() {
    let r = passes("spu_leader_change_in_flight");
    // Exactly once: requests in flight are read back, never duplicated.
    assert!(
        sum(&r, |r| r.metrics.produce_read_backs) > 0,
        "no request was in flight"
    );
    assert_eq!(sum(&r, |r| r.duplicated as u64), 0);
}

#[test]
fn sc_down_spus_up() {
    broke_connections("sc_down_spus_up");
}

#[test]
fn sc_stale_metadata() {
    broke_connections("sc_stale_metadata");
}

#[test]
fn timing_slow_spu() {
    passes("timing_slow_spu");
}

#[test]
fn timing_late_ack() {
    let r = passes("timing_late_ack");
    assert!(
        sum(&r, |r| r.ambiguous as u64 + r.metrics.produce_read_backs) > 0,
        "no ack came late"
    );
}

#[test]
fn timing_read_committed_follower_down() {
    let r = passes("timing_read_committed_follower_down");
    assert!(
        sum(&r, |r| r.metrics.produce_retries
            + r.metrics.produce_read_backs)
            > 0
    );
}

#[test]
fn hostile_duplicate_correlation() {
    passes("hostile_duplicate_correlation");
}

#[test]
fn hostile_unknown_correlation() {
    let r = passes("hostile_unknown_correlation");
    assert!(sum(&r, |r| r.metrics.unknown_responses) >= SEEDS);
}

#[test]
fn hostile_truncated_frame() {
    broke_connections("hostile_truncated_frame");
}

#[test]
fn hostile_oversized_length() {
    broke_connections("hostile_oversized_length");
}

#[test]
fn errors_produce() {
    passes("errors_produce");
}

#[test]
fn errors_stream_fetch() {
    passes("errors_stream_fetch");
}

#[test]
fn limits_producer_queue_full() {
    passes("limits_producer_queue_full");
}

#[test]
fn consumer_catch_up_max_bytes() {
    let r = passes("consumer_catch_up_max_bytes");
    assert!(
        sum(&r, |r| r.metrics.partial_batches) > 0,
        "no batch was cut"
    );
}

#[test]
fn consumer_stream_killed_mid_batch() {
    let r = passes("consumer_stream_killed_mid_batch");
    assert!(sum(&r, |r| r.metrics.stream_starts) > SEEDS);
}

#[test]
fn consumer_offset_commit_restart() {
    passes("consumer_offset_commit_restart");
}

#[test]
fn consumer_topic_deleted() {
    passes("consumer_topic_deleted");
}

#[test]
fn replication_follower_killed_read_committed() {
    let r = passes("replication_follower_killed_read_committed");
    // The stalled writes time out on the server; the producer then reads the partition
    // back (exactly once) or, with that off, sends again.
    assert!(
        sum(&r, |r| r.metrics.produce_retries
            + r.metrics.produce_read_backs)
            > 0
    );
}

#[test]
fn replication_leader_killed_lagging_follower() {
    passes("replication_leader_killed_lagging_follower");
}

#[test]
fn replication_spu_restart_divergent_log() {
    let r = passes("replication_spu_restart_divergent_log");
    // Read-uncommitted acknowledgements of the old leader's tail are lost by the
    // election, and counted apart.
    assert!(sum(&r, |r| r.lost_uncommitted as u64) > 0, "{r:?}");
}

#[test]
fn replication_election_during_catch_up() {
    passes("replication_election_during_catch_up");
}

#[test]
fn replication_lagging_followers_read_committed() {
    passes("replication_lagging_followers_read_committed");
}

/// Every error code variant of the codec is injected, in Produce and in StreamFetch
/// responses: retriable ones heal, fatal ones resolve with that error, none hangs.
#[test]
fn every_error_code_in_produce_and_stream_fetch() {
    let codes = all_error_codes();
    // 63 variants besides `None` in Fluvio 0.50.
    assert_eq!(codes.len(), 63, "{codes:?}");
    assert!(codes.contains(&ErrorCode::NotLeaderForPartition));
    assert!(
        codes
            .iter()
            .any(|c| matches!(c, ErrorCode::OffsetEvicted { .. }))
    );
    for (i, code) in codes.iter().enumerate() {
        let r = errors_produce_with(i as u64, code.clone());
        assert!(r.passed(), "produce {code:?}: {r}");
        let r = errors_stream_fetch_with(i as u64, code.clone());
        assert!(r.passed(), "stream fetch {code:?}: {r}");
    }
}

#[test]
fn same_seed_same_report() {
    for name in [
        "spu_leader_killed",
        "conn_half_open",
        "consumer_stream_killed_mid_batch",
    ] {
        let s = scenario(name).unwrap();
        assert_eq!(run_one(&s, 11), run_one(&s, 11), "{name}");
    }
}

// ---------------------------------------------------------------- the checker itself

/// A small healthy run: topic `t`, one producer, 10 records delivered.
fn healthy() -> (Run, flv_core::client::ProducerId) {
    let mut run = Run::new(1);
    run.topic("t", 1, 1);
    let p = run.producer("t", ProducerConfig::default());
    for _ in 0..10 {
        run.send(p);
    }
    run.settle();
    run.fired("nothing (a healthy run)", 1);
    assert!(run.check().passed(), "{}", run.check());
    (run, p)
}

#[test]
fn checker_fails_unfired_faults_and_runs_that_acknowledge_nothing() {
    let (mut run, _) = healthy();
    run.fired("a fault that did not happen", 0);
    let r = run.check();
    assert_eq!(r.unfired, 1, "{r}");
    assert!(!r.passed());
    // No evidence at all is unfired too.
    let (mut run, _) = healthy();
    run.evidence.clear();
    assert_eq!(run.check().unfired, 1);
    // A run whose client gives up on everything fails.
    let mut run = Run::new(1);
    run.topic("t", 1, 1);
    run.producer("t", ProducerConfig::default());
    run.probe = false;
    run.settle();
    run.fired("nothing", 1);
    let r = run.check();
    assert_eq!(r.acked, 0);
    assert!(!r.passed(), "{r}");
}

#[test]
fn checker_counts_a_lost_acknowledgement() {
    let (mut run, p) = healthy();
    // An acknowledgement for a record the log does not hold at that offset.
    let id = run
        .sim
        .client
        .send(p, None, Bytes::from_static(b"ghost"), run.sim.now);
    let id = id.unwrap();
    run.sends.push(flv_tests::faults::Sent {
        id,
        producer: p,
        value: Bytes::from_static(b"ghost"),
        at: run.sim.now,
    });
    run.sim.events.push((
        run.sim.now,
        Event::Delivered {
            producer: p,
            partition: 0,
            base_offset: 3,
            sends: vec![id],
            possible_duplicate: false,
        },
    ));
    let r = run.check();
    assert_eq!(r.lost, 1, "{r}");
    assert!(!r.passed());
}

#[test]
fn checker_flags_unexplained_duplicates_and_reorders() {
    let (mut run, p) = healthy();
    // The same value sent twice is stored twice, with no ambiguity reported.
    let v = run.sends[0].value.clone();
    run.send_value(p, v);
    run.settle();
    let r = run.check();
    assert_eq!(r.duplicated, 1, "{r}");
    assert!(
        r.violations
            .iter()
            .any(|v| v.contains("not reported ambiguous"))
    );
    // Two sends whose records sit in the log in the opposite order.
    let (mut run, _) = healthy();
    run.sends.swap(2, 5);
    let (a, b) = (run.sends[2].id, run.sends[5].id);
    run.sends[2].id = b;
    run.sends[5].id = a;
    for (_, e) in run.sim.events.iter_mut() {
        if let Event::Delivered { sends, .. } = e {
            for s in sends.iter_mut() {
                if *s == a {
                    *s = b;
                } else if *s == b {
                    *s = a;
                }
            }
        }
    }
    let r = run.check();
    assert!(r.reordered > 0, "{r}");
}

#[test]
fn checker_counts_unresolved_sends_and_consumer_gaps() {
    let (mut run, p) = healthy();
    run.sends.push(flv_tests::faults::Sent {
        id: flv_core::client::SendId(9999),
        producer: p,
        value: Bytes::from_static(b"never"),
        at: Instant::ZERO,
    });
    assert_eq!(run.check().unresolved, 1);
    let (mut run, _) = healthy();
    let c = run.consumer(ConsumerConfig::new("t", Offset::beginning()));
    run.settle();
    assert!(run.check().passed());
    run.consumers[c].records.remove(4);
    let r = run.check();
    assert_eq!(r.lost, 1, "{r}");
}

// ---------------------------------------------------- regressions found by the matrix

/// A read-committed SPU that times out waiting for replication has stored the records:
/// `RequestTimedOut` is an unknown outcome: an exactly-once producer reads the batch back
/// instead of re-sending it (at-least-once flagged the retry's duplicate as ambiguous).
#[test]
fn timing_read_committed_follower_down_seed_2() {
    let s = scenario("timing_read_committed_follower_down").unwrap();
    let r = run_one(&s, 2);
    assert!(r.passed(), "{r}");
    assert!(r.metrics.produce_read_backs > 0, "{r}");
    assert_eq!((r.duplicated, r.ambiguous), (0, 0), "{r}");
}

/// A stream consumer of a deleted topic ends with `TopicNotFound` instead of waiting for
/// a leader forever.
#[test]
fn consumer_topic_deleted_seed_0() {
    let s = scenario("consumer_topic_deleted").unwrap();
    let r = run_one(&s, 0);
    assert!(r.passed(), "{r}");
}

/// A stream restarted (after a reset) while the application does not poll must not start
/// with a full buffer: every restart used to add up to `max_bytes` unpolled bytes.
#[test]
fn consumer_stream_killed_mid_batch_seed_71() {
    let s = scenario("consumer_stream_killed_mid_batch").unwrap();
    for seed in [71, 93, 366, 367] {
        let r = run_one(&s, seed);
        assert!(r.passed(), "seed {seed}: {r}");
    }
}

/// A half-open SC (no FIN, nothing answers) used to go unnoticed forever: the metadata
/// watches answer only on changes, so the client never learned the leader elected after
/// it healed. Connections carrying streams are now probed every `metadata_timeout`.
#[test]
fn conn_half_open_sc_seed_0() {
    let s = scenario("conn_half_open_sc").unwrap();
    let r = run_one(&s, 0);
    assert!(r.passed(), "{r}");
    assert!(r.metrics.connection_failures > 0, "{r}");
}
