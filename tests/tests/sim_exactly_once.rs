//! Simulation: exactly-once produce across unknown outcomes (issue 15).
//!
//! Each scenario makes the outcome of produce requests unknown to the client — the
//! leader's responses cut after it stored the batches, the leader stopped with 1 to
//! `max_in_flight` requests in flight, server-side timeouts of read-committed requests,
//! elections and refusals during the read-back — over several seeds, and requires: every
//! send acknowledged (0 failed, 0 "possible duplicate"), every acknowledged record at its
//! reported offset, and every record exactly once in the log. The same scenarios with
//! `exactly_once: false` leave duplicates (so the checks can fail), and stamped batches
//! carry the producer's id and consecutive sequences in the log (the mock keeps the
//! header fields as the real SPU does).

use std::collections::BTreeMap;
use std::time::Duration;

use flv_core::backoff::RetryPolicy;
use flv_core::client::{
    ClientError, ConsumerConfig, DeliverySemantic, Event, FetchSpec, Offset, OpOutput,
    ProduceError, ProducerConfig, ProducerId, SendId,
};
use flv_core::error_code::ErrorCode;
use flv_core::spu::Isolation;
use flv_mock_cluster::ServerId;
use flv_tests::sim::Sim;

/// The seeds every scenario runs with.
const SEEDS: std::ops::Range<u64> = 0..6;
/// The Fetch API key (the read-back's request).
const FETCH_API: u16 = 1;

fn value(i: usize) -> Vec<u8> {
    format!("{i:0>8}").into_bytes()
}

/// A producer whose every record fills a batch (so `n` sends make `n` requests up to
/// `max_in_flight`), with a short retry delay.
fn config(isolation: Isolation, exactly_once: bool) -> ProducerConfig {
    ProducerConfig {
        isolation,
        batch_size: 80,
        max_in_flight: 5,
        exactly_once,
        delivery_semantic: DeliverySemantic::AtLeastOnce(RetryPolicy {
            max_retries: 50,
            initial_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            timeout: Duration::from_secs(120),
            ..RetryPolicy::default()
        }),
        delivery_timeout: Duration::from_secs(120),
        ..ProducerConfig::default()
    }
}

/// What the log of partition 0 holds: each value's offsets, read from the leader.
fn log_values(sim: &mut Sim, topic: &str) -> BTreeMap<usize, Vec<i64>> {
    let total = sim.cluster.high_watermark(topic, 0).unwrap() as usize;
    let c = sim.consumer(ConsumerConfig {
        disable_continuous: true,
        ..ConsumerConfig::new(topic, Offset::beginning())
    });
    let (records, _) = sim.consume(c, total, Duration::from_secs(60));
    assert_eq!(records.len(), total, "the whole log is readable");
    let mut out: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for r in records {
        let v = std::str::from_utf8(&r.value).unwrap().parse().unwrap();
        out.entry(v).or_default().push(r.offset);
    }
    out
}

/// The checks: every send acknowledged without doubt, at an offset holding its
/// value, and every value exactly once in the log. Returns the duplicates found.
fn check(sim: &mut Sim, topic: &str, p: ProducerId, sent: &[(SendId, usize)]) -> usize {
    assert!(
        sim.failed(p).is_empty(),
        "failed sends: {:?}",
        sim.failed(p)
    );
    let doubtful = sim
        .events
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                Event::Delivered {
                    possible_duplicate: true,
                    ..
                }
            )
        })
        .count();
    assert_eq!(doubtful, 0, "ambiguous outcomes");
    let delivered = sim.delivered(p);
    assert_eq!(delivered.len(), sent.len(), "every send acknowledged");
    let log = log_values(sim, topic);
    for (id, i) in sent {
        let (_, off) = delivered[id];
        let at = log
            .get(i)
            .unwrap_or_else(|| panic!("record {i} not in the log"));
        assert!(
            at.contains(&off),
            "record {i} acknowledged at {off}, stored at {at:?}"
        );
    }
    assert_eq!(log.len(), sent.len(), "values in the log");
    log.values().map(|v| v.len() - 1).sum()
}

/// Sends `n` records from `start`, one batch each.
/// A follower (not the leader) of partition 0 of `topic`.
fn a_follower(sim: &Sim, topic: &str) -> i32 {
    let leader = sim.cluster.partition_leader(topic, 0).unwrap();
    sim.cluster
        .partition_replicas(topic, 0)
        .unwrap()
        .into_iter()
        .find(|r| *r != leader)
        .unwrap()
}

fn send_n(sim: &mut Sim, p: ProducerId, start: usize, n: usize, sent: &mut Vec<(SendId, usize)>) {
    for i in start..start + n {
        sent.push((sim.send(p, None, &value(i)), i));
    }
}

/// The leader's responses are cut after it stored `k` batches (the connection resets),
/// and then, if `kill`, the leader stops (an election) and comes back later.
fn cut_after_store(seed: u64, k: usize, kill: bool, isolation: Isolation, eo: bool) -> usize {
    let mut sim = Sim::new(seed);
    sim.create_topic("eo", 1, 3);
    let leader = sim.cluster.partition_leader("eo", 0).unwrap();
    let p = sim.producer("eo", config(isolation, eo));
    let mut sent = Vec::new();
    send_n(&mut sim, p, 0, 10, &mut sent);
    sim.flush(p).unwrap();
    sim.reset_after_to_client(ServerId::Spu(leader), 0);
    send_n(&mut sim, p, 10, k, &mut sent);
    // The requests reach the SPU and are stored; the responses are lost.
    sim.run_for(sim.latency + sim.latency / 2);
    if kill {
        sim.cluster.stop_spu(leader, sim.now);
    }
    send_n(&mut sim, p, 10 + k, 20, &mut sent);
    if kill {
        sim.run_for(Duration::from_millis(500));
        sim.cluster.restart_spu(leader, sim.now);
    }
    send_n(&mut sim, p, 30 + k, 10, &mut sent);
    sim.flush(p).expect("every record delivered");
    if !eo {
        let log = log_values(&mut sim, "eo");
        return log.values().map(|o| o.len() - 1).sum();
    }
    assert!(
        sim.client.metrics().produce_read_backs >= 1,
        "a read-back ran"
    );
    check(&mut sim, "eo", p, &sent)
}

#[test]
fn responses_cut_after_the_spu_stored_the_batches() {
    for seed in SEEDS {
        for k in 1..=5 {
            for isolation in [Isolation::ReadUncommitted, Isolation::ReadCommitted] {
                let dups = cut_after_store(seed, k, false, isolation, true);
                assert_eq!(dups, 0, "seed {seed}, {k} in flight, {isolation:?}");
            }
        }
    }
}

#[test]
fn leader_killed_with_requests_in_flight_and_restarted() {
    for seed in SEEDS {
        for k in 1..=5 {
            let dups = cut_after_store(seed, k, true, Isolation::ReadCommitted, true);
            assert_eq!(dups, 0, "seed {seed}, {k} in flight");
        }
    }
}

#[test]
fn without_exactly_once_the_same_cuts_duplicate() {
    let dups: usize = SEEDS
        .map(|seed| cut_after_store(seed, 3, false, Isolation::ReadUncommitted, false))
        .sum();
    assert!(dups > 0, "the scenario makes outcomes unknown");
}

/// Read-committed requests time out on the SPU (a stalled follower holds the high
/// watermark back) after the leader appended them; replication resumes after `stall`.
fn server_timeouts(
    seed: u64,
    stall: Duration,
    eo: bool,
) -> (Sim, ProducerId, Vec<(SendId, usize)>) {
    let mut sim = Sim::new(seed);
    sim.create_topic("to", 1, 3);
    let follower = a_follower(&sim, "to");
    let p = sim.producer(
        "to",
        ProducerConfig {
            timeout: Duration::from_millis(300),
            ..config(Isolation::ReadCommitted, eo)
        },
    );
    let mut sent = Vec::new();
    send_n(&mut sim, p, 0, 5, &mut sent);
    sim.flush(p).unwrap();
    sim.cluster.stall_replication(follower, true);
    send_n(&mut sim, p, 5, 5, &mut sent);
    sim.run_for(stall);
    sim.cluster.stall_replication(follower, false);
    (sim, p, sent)
}

#[test]
fn server_timeouts_are_read_back_not_resent() {
    for seed in SEEDS {
        let (mut sim, p, sent) = server_timeouts(seed, Duration::from_secs(2), true);
        sim.flush(p).expect("every record delivered");
        assert!(sim.client.metrics().produce_read_backs >= 1);
        assert_eq!(check(&mut sim, "to", p, &sent), 0, "seed {seed}");
    }
    let (mut sim, p, _) = server_timeouts(0, Duration::from_secs(2), false);
    sim.flush(p).expect("every record delivered");
    let log = log_values(&mut sim, "to");
    assert!(
        log.values().any(|o| o.len() > 1),
        "without exactly-once, re-sent timeouts duplicate"
    );
}

#[test]
fn elections_and_refusals_during_the_read_back() {
    for seed in SEEDS {
        let mut sim = Sim::new(seed);
        sim.create_topic("el", 1, 3);
        let first = sim.cluster.partition_leader("el", 0).unwrap();
        let p = sim.producer("el", config(Isolation::ReadCommitted, true));
        let mut sent = Vec::new();
        send_n(&mut sim, p, 0, 10, &mut sent);
        sim.flush(p).unwrap();
        sim.reset_after_to_client(ServerId::Spu(first), 0);
        send_n(&mut sim, p, 10, 3, &mut sent);
        sim.run_for(sim.latency + sim.latency / 2);
        sim.cluster.stop_spu(first, sim.now);
        // The new leader refuses the first read-backs, then is stopped while one is in
        // flight: the read-back moves to a third leader.
        let ok = sim.run_until(Duration::from_secs(10), |s| {
            s.cluster.partition_leader("el", 0).is_some()
        });
        assert!(ok);
        let second = sim.cluster.partition_leader("el", 0).unwrap();
        sim.cluster.inject_error(
            ServerId::Spu(second),
            FETCH_API,
            ErrorCode::NotLeaderForPartition,
            2,
        );
        let ok = sim.run_until(Duration::from_secs(30), |s| {
            s.client.metrics().produce_read_backs >= 3
        });
        assert!(ok, "seed {seed}: read-backs retried after refusals");
        sim.cluster.restart_spu(first, sim.now);
        sim.cluster.stop_spu(second, sim.now);
        send_n(&mut sim, p, 13, 10, &mut sent);
        sim.run_for(Duration::from_millis(300));
        sim.cluster.restart_spu(second, sim.now);
        sim.flush(p).expect("every record delivered");
        assert_eq!(check(&mut sim, "el", p, &sent), 0, "seed {seed}");
    }
}

#[test]
fn a_replica_that_never_catches_up_fails_one_copy_naming_it() {
    let mut sim = Sim::new(7);
    sim.create_topic("off", 1, 3);
    let follower = a_follower(&sim, "off");
    let p = sim.producer(
        "off",
        ProducerConfig {
            timeout: Duration::from_millis(300),
            delivery_timeout: Duration::from_secs(5),
            ..config(Isolation::ReadCommitted, true)
        },
    );
    sim.cluster.stall_replication(follower, true);
    let id = sim.send(p, None, &value(0));
    let err = sim.flush(p).expect_err("never committed");
    assert!(sim.failed(p).contains(&id));
    match &err {
        ProduceError::OutcomeUnknown(ClientError::NotCommitted {
            offset, replicas, ..
        }) => {
            assert_eq!(*offset, 0);
            assert!(
                replicas.contains(&follower.to_string()),
                "names the replica: {replicas}"
            );
        }
        other => panic!("{other:?}"),
    }
    let end = sim.cluster.log_end_offset("off", 0).unwrap();
    assert_eq!(end, 1, "one copy in the leader's log");
    // The partition is not left waiting for the expired batch: the next send goes out.
    sim.cluster.stall_replication(follower, false);
    let next = sim.send(p, None, &value(1));
    sim.flush(p).expect("delivered once the replica caught up");
    assert_eq!(sim.delivered(p).get(&next).map(|d| d.1), Some(1));
}

/// A read-committed SPU answers `RequestTimedOut` only after the producer's delivery
/// deadline (its timeout is longer): the answer carries the offset it appended the
/// batch at, so the send fails as `NotCommitted` there, a definite outcome, not an
/// ambiguous `OutcomeUnknown` (fault-matrix: most failures of
/// `replication_follower_killed_read_committed`, and
/// `replication_leader_killed_lagging_follower` seed 55).
#[test]
fn a_server_timeout_answered_after_the_deadline_fails_not_committed_where_stored() {
    for seed in SEEDS {
        let mut sim = Sim::new(seed);
        sim.create_topic("late", 1, 3);
        let follower = a_follower(&sim, "late");
        let p = sim.producer(
            "late",
            ProducerConfig {
                timeout: Duration::from_secs(2),
                delivery_timeout: Duration::from_secs(1),
                ..config(Isolation::ReadCommitted, true)
            },
        );
        let mut sent = Vec::new();
        send_n(&mut sim, p, 0, 3, &mut sent);
        sim.flush(p).expect("committed while the follower keeps up");
        sim.cluster.stall_replication(follower, true);
        let id = sim.send(p, None, &value(3));
        let err = sim.flush(p).expect_err("never committed");
        assert!(sim.failed(p).contains(&id));
        match &err {
            ProduceError::OutcomeUnknown(ClientError::NotCommitted {
                offset, replicas, ..
            }) => {
                assert_eq!(*offset, 3, "seed {seed}: where the leader appended it");
                assert!(
                    replicas.contains(&follower.to_string()),
                    "seed {seed}: names the replica: {replicas}"
                );
            }
            other => panic!("seed {seed}: {other:?}"),
        }
        assert_eq!(sim.cluster.log_end_offset("late", 0), Some(4), "one copy");
    }
}

#[test]
fn stamped_batches_are_stored_with_their_id_and_sequences() {
    let mut sim = Sim::new(3);
    sim.create_topic("st", 1, 1);
    let p = sim.producer("st", config(Isolation::ReadUncommitted, true));
    let mut sent = Vec::new();
    send_n(&mut sim, p, 0, 20, &mut sent);
    sim.flush(p).unwrap();
    let op = sim.client.fetch(
        FetchSpec {
            topic: "st".into(),
            partition: 0,
            offset: 0,
            max_bytes: 1 << 20,
            isolation: Isolation::ReadUncommitted,
        },
        sim.now,
    );
    sim.drain();
    let ok = sim.run_until(Duration::from_secs(5), |s| s.op_result(op).is_some());
    assert!(ok);
    let Some(Ok(OpOutput::Fetch(out))) = sim.op_result(op) else {
        panic!("{:?}", sim.op_result(op));
    };
    let headers: Vec<_> = out.batches.iter().map(|b| b.header().clone()).collect();
    assert!(headers.len() >= 2, "several batches");
    let id = headers[0].producer_id;
    assert!(id >= 0, "a 63-bit producer id");
    for (i, h) in headers.iter().enumerate() {
        assert_eq!(
            (h.producer_id, h.producer_epoch, h.first_sequence),
            (id, 0, i as i32)
        );
    }
    assert_eq!(out.records.len(), 20, "the records read normally");
    // Off: unstamped, as before.
    let q = sim.producer("st", config(Isolation::ReadUncommitted, false));
    sim.send(q, None, b"x");
    sim.flush(q).unwrap();
    let layout = sim.cluster.batch_layout("st", 0).unwrap();
    assert_eq!(layout.len(), headers.len() + 1);
}
