//! SPU, SC, timing, error-code and limit faults, injected in the mock cluster.

use std::time::Duration;

use flv_core::client::{
    ClientError, ConsumerConfig, ConsumerEvent, DeliverySemantic, Event, Offset, ProduceError,
    ProducerConfig,
};
use flv_core::error_code::ErrorCode;
use flv_core::spu::{Isolation, api_key};
use flv_mock_cluster::ServerId;

use super::{Report, Run, all_error_codes, at_least_once, basic, leader, read_committed};

/// Sends `n` records with seeded gaps of up to `max_gap_ms`; `fault(run, i)` runs before
/// each record.
fn produce(
    run: &mut Run,
    p: flv_core::client::ProducerId,
    n: usize,
    max_gap_ms: u64,
    mut fault: impl FnMut(&mut Run, usize),
) {
    for i in 0..n {
        fault(run, i);
        run.send(p);
        let gap = run.pick_ms(0, max_gap_ms);
        run.step_for(gap);
    }
}

/// The leader of partition 0 or 1 is killed while an at-least-once producer and a stream
/// consumer run; half of the runs restart it later.
pub(super) fn leader_killed(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 2, 3, at_least_once());
    let at = run.pick(3, 40) as usize;
    let part = run.pick(0, 1) as u32;
    let restart_at = run.rng.chance(0.5).then(|| at + run.pick(1, 15) as usize);
    let mut victim = None;
    produce(&mut run, p, 60, 5, |run, i| {
        if i == at {
            let spu = leader(run, "t", part);
            run.sim.cluster.stop_spu(spu, run.sim.now);
            victim = Some(spu);
        }
        if Some(i) == restart_at
            && let Some(spu) = victim
        {
            run.sim.cluster.restart_spu(spu, run.sim.now);
        }
    });
    run.settle();
    let s = run.cluster_stats();
    run.fired("leaders stopped", s.spu_stops);
    run.fired("elections", s.elections);
    run.check()
}

/// A follower of a read-committed producer's partition is killed for a seeded 1 to 6 s,
/// then restarted: the high watermark waits for it (as on a real SPU), so produce
/// requests stall and time out meanwhile, and everything heals once it is back.
pub(super) fn follower_killed(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 1, 3, read_committed());
    let at = run.pick(3, 30) as usize;
    let down = run.pick_ms(1000, 6000);
    let replicas = run
        .sim
        .cluster
        .partition_replicas("t", 0)
        .unwrap_or_default();
    let lead = leader(&run, "t", 0);
    let follower = replicas.into_iter().find(|r| *r != lead).unwrap_or(lead);
    let mut back_at = None;
    produce(&mut run, p, 50, 40, |run, i| {
        if i == at {
            run.sim.cluster.stop_spu(follower, run.sim.now);
            back_at = Some(run.sim.now + down);
        }
        if back_at.is_some_and(|t| run.sim.now >= t) {
            run.sim.cluster.restart_spu(follower, run.sim.now);
            back_at = None;
        }
    });
    if let Some(t) = back_at {
        let left = t.saturating_since(run.sim.now);
        run.step_for(left);
        run.sim.cluster.restart_spu(follower, run.sim.now);
    }
    run.settle();
    let s = run.cluster_stats();
    run.fired("follower stopped", s.spu_stops);
    run.fired(
        "produce requests timed out waiting for it",
        s.produce_timeouts,
    );
    run.check()
}

/// The only replica of a partition stops for a seeded time and comes back on the same
/// address.
pub(super) fn restart_same_address(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 1, 1, at_least_once());
    let spu = leader(&run, "t", 0);
    let at = run.pick(3, 30) as usize;
    let down = run.pick_ms(100, 8000);
    let mut back_at = None;
    produce(&mut run, p, 50, 20, |run, i| {
        if i == at {
            run.sim.cluster.stop_spu(spu, run.sim.now);
            back_at = Some(run.sim.now + down);
        }
        if back_at.is_some_and(|t| run.sim.now >= t) {
            run.sim.cluster.restart_spu(spu, run.sim.now);
            back_at = None;
        }
    });
    if let Some(t) = back_at {
        let left = t.saturating_since(run.sim.now);
        run.step_for(left);
        run.sim.cluster.restart_spu(spu, run.sim.now);
    }
    run.settle();
    let s = run.cluster_stats();
    run.fired("SPU stopped", s.spu_stops);
    run.fired("SPU restarted", s.spu_restarts);
    run.check()
}

/// The leader is killed while produce requests are in flight on it (its answers are
/// delayed): those requests were stored but never answered.
pub(super) fn leader_change_in_flight(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 1, 2, at_least_once());
    let spu = leader(&run, "t", 0);
    let at = run.pick(3, 30) as usize;
    let kill = at + run.pick(1, 6) as usize;
    let delay = run.pick_ms(5, 200);
    let restart = run.rng.chance(0.5);
    let mut killed = None;
    produce(&mut run, p, 50, 2, |run, i| {
        if i == at {
            run.sim.cluster.delay_responses(ServerId::Spu(spu), delay);
        }
        // Killed once a delayed answer is on its way (or later).
        if i >= kill && killed.is_none() && run.cluster_stats().responses_delayed > 0 {
            run.sim.cluster.stop_spu(spu, run.sim.now);
            run.sim
                .cluster
                .delay_responses(ServerId::Spu(spu), Duration::ZERO);
            killed = Some(i);
        }
        if killed.is_some_and(|k| i == k + 10) && restart {
            run.sim.cluster.restart_spu(spu, run.sim.now);
        }
    });
    run.sim
        .cluster
        .delay_responses(ServerId::Spu(spu), Duration::ZERO);
    run.settle();
    let s = run.cluster_stats();
    run.fired("responses delayed", s.responses_delayed);
    run.fired("leader stopped", s.spu_stops);
    run.check()
}

/// The SC stops for a seeded time while the SPUs keep serving (and, in half of the runs,
/// drop their connections meanwhile: the data plane reconnects from cached metadata).
pub(super) fn sc_down(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 2, 2, at_least_once());
    let at = run.pick(3, 30) as usize;
    let down = run.pick_ms(500, 10_000);
    let drop_spu = run.rng.chance(0.5).then(|| at + run.pick(1, 10) as usize);
    let mut back_at = None;
    produce(&mut run, p, 60, 30, |run, i| {
        if i == at {
            run.sim.cluster.stop_sc(run.sim.now);
            back_at = Some(run.sim.now + down);
        }
        if Some(i) == drop_spu {
            let spu = leader(run, "t", 0);
            run.sim
                .cluster
                .drop_connections(ServerId::Spu(spu), run.sim.now);
        }
        if back_at.is_some_and(|t| run.sim.now >= t) {
            run.sim.cluster.start_sc(run.sim.now);
            back_at = None;
        }
    });
    if back_at.is_some() {
        let t = back_at.unwrap_or(run.sim.now);
        let left = t.saturating_since(run.sim.now);
        run.step_for(left);
    }
    run.sim.cluster.start_sc(run.sim.now);
    run.settle();
    let s = run.cluster_stats();
    run.fired("SC stopped", s.sc_stops);
    run.check()
}

/// The SC stops, then the leader: the client's metadata names a dead leader until the SC
/// is back and elects a new one.
pub(super) fn stale_metadata(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 1, 2, at_least_once());
    let spu = leader(&run, "t", 0);
    let at = run.pick(3, 30) as usize;
    let kill = at + run.pick(0, 5) as usize;
    let sc_back = kill + run.pick(1, 20) as usize;
    produce(&mut run, p, 60, 100, |run, i| {
        if i == at {
            run.sim.cluster.stop_sc(run.sim.now);
        }
        if i == kill {
            run.sim.cluster.stop_spu(spu, run.sim.now);
        }
        if i == sc_back {
            run.sim.cluster.start_sc(run.sim.now);
        }
    });
    run.settle();
    let s = run.cluster_stats();
    run.fired("SC stopped", s.sc_stops);
    run.fired("leader stopped", s.spu_stops);
    run.fired("elections once the SC was back", s.elections);
    run.check()
}

/// The leader answers late (sometimes beyond the request timeout) for a while.
pub(super) fn slow_spu(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 1, 2, at_least_once());
    let spu = ServerId::Spu(leader(&run, "t", 0));
    let at = run.pick(3, 30) as usize;
    let until = at + run.pick(1, 20) as usize;
    let delay = run.pick_ms(100, 12_000);
    produce(&mut run, p, 50, 50, |run, i| {
        if i == at {
            run.sim.cluster.delay_responses(spu, delay);
        }
        if i == until {
            run.sim.cluster.delay_responses(spu, Duration::ZERO);
        }
    });
    run.sim.cluster.delay_responses(spu, Duration::ZERO);
    run.settle();
    let s = run.cluster_stats();
    run.fired("responses delayed", s.responses_delayed);
    run.check()
}

/// Acknowledgements arrive after the client gave up (request timeout): an at-most-once
/// producer reports the outcome unknown, an at-least-once producer retries.
pub(super) fn late_ack(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 1, 2, at_least_once());
    let amo = run.producer(
        "t",
        ProducerConfig {
            delivery_semantic: DeliverySemantic::AtMostOnce,
            delivery_timeout: Duration::from_secs(30),
            ..ProducerConfig::default()
        },
    );
    let spu = ServerId::Spu(leader(&run, "t", 0));
    let at = run.pick(3, 20) as usize;
    let delay = run.pick_ms(5_500, 9_000);
    let until = at + run.pick(1, 10) as usize;
    for i in 0..40 {
        if i == at {
            run.sim.cluster.delay_responses(spu, delay);
        }
        if i == until {
            run.sim.cluster.delay_responses(spu, Duration::ZERO);
        }
        let who = if run.rng.chance(0.5) { p } else { amo };
        run.send(who);
        let gap = run.pick_ms(0, 300);
        run.step_for(gap);
    }
    run.sim.cluster.delay_responses(spu, Duration::ZERO);
    run.settle();
    let s = run.cluster_stats();
    run.fired("responses delayed", s.responses_delayed);
    run.check()
}

/// Read-committed producer and consumer while a follower stalls (the high watermark stops)
/// or is stopped, for a seeded 0.3 to 5 s.
pub(super) fn read_committed_follower_down(seed: u64) -> Report {
    let mut run = Run::new(seed);
    run.topic("t", 1, 2);
    let p = run.producer("t", read_committed());
    let c = run.consumer(ConsumerConfig {
        isolation: Isolation::ReadCommitted,
        ..ConsumerConfig::new("t", Offset::beginning())
    });
    run.consumers[c].start.insert(0, 0);
    let lead = leader(&run, "t", 0);
    let replicas = run
        .sim
        .cluster
        .partition_replicas("t", 0)
        .unwrap_or_default();
    let follower = replicas.into_iter().find(|r| *r != lead).unwrap_or(lead);
    let at = run.pick(3, 20) as usize;
    let down = run.pick_ms(300, 5000);
    let stop = run.rng.chance(0.3);
    let mut until = None;
    produce(&mut run, p, 40, 200, |run, i| {
        if i == at {
            if stop {
                run.sim.cluster.stop_spu(follower, run.sim.now);
            } else {
                run.sim.cluster.stall_replication(follower, true);
            }
            until = Some(run.sim.now + down);
        }
        if until.is_some_and(|t| run.sim.now >= t) {
            run.sim.cluster.stall_replication(follower, false);
            run.sim.cluster.restart_spu(follower, run.sim.now);
            until = None;
        }
    });
    if let Some(t) = until {
        let left = t.saturating_since(run.sim.now);
        run.step_for(left);
    }
    run.sim.cluster.stall_replication(follower, false);
    run.sim.cluster.restart_spu(follower, run.sim.now);
    run.settle();
    let s = run.cluster_stats();
    if stop {
        // The client may hold its requests while the SC reports the replica offline.
        run.fired("follower stopped", s.spu_stops);
    } else {
        run.fired(
            "read-committed produce requests held by the high watermark",
            s.produce_waits + s.produce_timeouts,
        );
    }
    run.check()
}

/// [`errors_produce_with`] with the seed's error code.
pub(super) fn errors_produce(seed: u64) -> Report {
    let codes = all_error_codes();
    let code = codes[(seed as usize) % codes.len()].clone();
    errors_produce_with(seed, code)
}

/// The next 1 to 3 produce requests to the leader are answered with `code`: retriable
/// codes heal (every record delivered), the others fail their records with `Rejected`.
/// One request in flight: per-request rejections under pipelining reorder records
/// without idempotent producers (documented in the producer).
pub fn errors_produce_with(seed: u64, code: ErrorCode) -> Report {
    let config = ProducerConfig {
        max_in_flight: 1,
        ..at_least_once()
    };
    let (mut run, p, _) = basic(seed, 1, 2, config);
    let spu = ServerId::Spu(leader(&run, "t", 0));
    let at = run.pick(0, 15) as usize;
    let count = run.pick(1, 3) as usize;
    let injected = code.clone();
    produce(&mut run, p, 30, 3, |run, i| {
        if i == at {
            run.sim
                .cluster
                .inject_error(spu, api_key::PRODUCE, injected.clone(), count);
        }
    });
    run.settle();
    let n = run.cluster_stats().errors_injected;
    run.fired("produce errors injected", n);
    let mut report = run.check();
    let rejected = run.sim.events.iter().any(|(_, e)| {
        matches!(e, Event::SendFailed { error: ProduceError::Rejected(c), .. } if *c == code)
    });
    let failed = run
        .sim
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::SendFailed { .. }));
    if code.is_retriable() && failed {
        report.violations.push(format!(
            "retriable {code:?}: a send failed instead of healing"
        ));
    }
    if !code.is_retriable() && !rejected {
        report
            .violations
            .push(format!("fatal {code:?}: no send was rejected with it"));
    }
    report
}

/// [`errors_stream_fetch_with`] with the seed's error code.
pub(super) fn errors_stream_fetch(seed: u64) -> Report {
    let codes = all_error_codes();
    let code = codes[(seed as usize / 7) % codes.len()].clone();
    errors_stream_fetch_with(seed, code)
}

/// The next 1 to 3 stream fetches are answered with `code`: retriable codes (and
/// `OffsetEvicted`) restart the stream and every record arrives; the others end the
/// partition with a typed error and the consumer with `End`.
pub fn errors_stream_fetch_with(seed: u64, code: ErrorCode) -> Report {
    let mut run = Run::new(seed);
    run.topic("t", 1, 1);
    let p = run.producer("t", at_least_once());
    let spu = ServerId::Spu(leader(&run, "t", 0));
    let before = run.pick(0, 20) as usize;
    produce(&mut run, p, before, 2, |_, _| {});
    let count = run.pick(1, 3) as usize;
    run.sim
        .cluster
        .inject_error(spu, api_key::STREAM_FETCH, code.clone(), count);
    let c = run.consumer(ConsumerConfig::new("t", Offset::beginning()));
    run.consumers[c].start.insert(0, 0);
    let fatal = !code.is_retriable() && !matches!(code, ErrorCode::OffsetEvicted { .. });
    run.consumers[c].errors_allowed = fatal;
    run.consumers[c].expect_end = fatal;
    produce(&mut run, p, 20, 3, |_, _| {});
    run.settle();
    let n = run.cluster_stats().errors_injected;
    run.fired("stream fetch errors injected", n);
    let mut report = run.check();
    let typed = run.consumers[c].others.iter().any(
        |e| matches!(e, ConsumerEvent::Error { error: ClientError::Server(c), .. } if *c == code),
    );
    if fatal && !typed {
        report.violations.push(format!(
            "fatal {code:?}: the partition did not fail with it"
        ));
    }
    report
}

/// A tiny producer queue (1 to 3 batches of one record) in front of a slow leader whose
/// connections drop once: `send` waits for `ProducerReady`, memory stays bounded.
pub(super) fn queue_full(seed: u64) -> Report {
    let mut run = Run::new(seed);
    run.topic("t", 1, 2);
    let queue = run.pick(1, 3) as usize;
    let in_flight = run.pick(1, 2) as usize;
    let p = run.producer(
        "t",
        ProducerConfig {
            batch_queue_size: queue,
            batch_size: 64,
            max_in_flight: in_flight,
            ..at_least_once()
        },
    );
    let spu = ServerId::Spu(leader(&run, "t", 0));
    let delay = run.pick_ms(1, 50);
    run.sim.cluster.delay_responses(spu, delay);
    let drop_at = run.pick(5, 35) as usize;
    produce(&mut run, p, 40, 1, |run, i| {
        if i == drop_at {
            run.sim.cluster.drop_connections(spu, run.sim.now);
        }
    });
    run.sim.cluster.delay_responses(spu, Duration::ZERO);
    run.settle();
    let (q, s) = (run.queue_full, run.cluster_stats());
    run.fired("sends that found the queue full", q);
    run.fired("connections dropped", s.connections_dropped);
    run.check()
}
