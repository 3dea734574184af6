//! Replication faults: followers that lag, die or come back with other records, as the
//! mock replicates like a real cluster (see `flv_mock_cluster`'s replication rules).

use std::time::Duration;

use flv_core::client::{ConsumerConfig, Event, Offset, ProducerConfig, ProducerId};
use flv_core::spu::Isolation;
use flv_mock_cluster::ServerId;

use super::{Report, Run, at_least_once, basic, leader, read_committed};

/// The followers of partition 0 of `t`, in replica order.
fn followers(run: &Run) -> Vec<i32> {
    let lead = leader(run, "t", 0);
    run.sim
        .cluster
        .partition_replicas("t", 0)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| *r != lead)
        .collect()
}

/// How many records the most lagging follower of partition 0 of `t` misses.
fn max_lag(run: &Run) -> i64 {
    let lead = leader(run, "t", 0);
    let Some(logs) = run.sim.cluster.replica_logs("t", 0) else {
        return 0;
    };
    let end = |id: i32| logs.get(&id).and_then(|l| l.last()).map_or(0, |r| r.0 + 1);
    let lead_end = end(lead);
    followers(run)
        .into_iter()
        .map(|f| lead_end - end(f))
        .max()
        .unwrap_or(0)
}

/// Sends one record, stepping `gap` after it.
fn send_step(run: &mut Run, p: ProducerId, gap: Duration) {
    run.send(p);
    run.step_for(gap);
}

/// A follower is killed for longer than the read-committed producer's delivery timeout:
/// every produce request stalls on the high watermark and times out on the server, the
/// records sent meanwhile fail within the delivery timeout (the checker holds each send
/// to its bound) with an error naming the offline replica, and the producer delivers
/// again once the follower is back.
pub(super) fn follower_killed_read_committed(seed: u64) -> Report {
    let config = ProducerConfig {
        delivery_timeout: Duration::from_secs(3),
        ..read_committed()
    };
    let (mut run, p, _) = basic(seed, 1, 3, config);
    let f = followers(&run);
    let victim = f[usize::try_from(run.pick(0, 1)).unwrap_or(0) % f.len().max(1)];
    for _ in 0..run.pick(3, 15) {
        send_step(&mut run, p, Duration::from_millis(20));
    }
    run.sim.cluster.stop_spu(victim, run.sim.now);
    let from = run.sim.events.len();
    let down = run.pick_ms(4_000, 9_000);
    let until = run.sim.now + down;
    while run.sim.now < until {
        let gap = run.pick_ms(50, 400);
        send_step(&mut run, p, gap);
    }
    let failed = run.sim.events[from..]
        .iter()
        .filter(|(_, e)| matches!(e, Event::SendFailed { .. }))
        .count();
    let named = format!("SPU {victim} ");
    let naming = run.sim.events[from..]
        .iter()
        .filter(|(_, e)| {
            matches!(e, Event::SendFailed { error, .. } if error.to_string().contains(&named))
        })
        .count();
    run.sim.cluster.restart_spu(victim, run.sim.now);
    run.settle();
    let s = run.cluster_stats();
    run.fired("follower stopped", s.spu_stops);
    run.fired(
        "produce requests timed out on the server",
        s.produce_timeouts,
    );
    run.fired("sends failed while the follower was down", failed as u64);
    run.fired("failures naming the offline replica", naming as u64);
    if naming != failed {
        run.notes.push(format!(
            "{} of {failed} failures did not name the offline replica ({named})",
            failed - naming
        ));
    }
    run.check()
}

/// Followers fetch with seeded lags (up to the 0.7 s measured on a real cluster) and the
/// leader is killed while they lag: the SC elects a follower missing fewer than 4
/// records (or none: the partition waits for the old leader, restarted later).
/// Read-uncommitted acknowledgements left behind count as `lost-uncommitted`;
/// read-committed ones must all survive. When the old leader comes back with its log end
/// inside a batch of the new leader, it never catches up (as upstream's follower) and
/// read-committed writes cannot heal: the probe after the faults is then not required.
pub(super) fn leader_killed_lagging_follower(seed: u64) -> Report {
    let (mut run, ru, _) = basic(seed, 1, 3, at_least_once());
    let rc = run.producer("t", read_committed());
    for f in followers(&run) {
        let lag = run.pick_ms(20, 700);
        run.sim.cluster.set_replication_lag(f, lag);
    }
    for i in 0..run.pick(5, 20) {
        let who = if i % 3 == 0 { rc } else { ru };
        send_step(&mut run, who, Duration::from_millis(5));
    }
    // Kill the leader at a moment a follower lags.
    let mut lagged = 0;
    for _ in 0..200 {
        send_step(&mut run, ru, Duration::from_millis(2));
        lagged = max_lag(&run);
        if lagged > 0 {
            break;
        }
    }
    let old = leader(&run, "t", 0);
    run.sim.cluster.stop_spu(old, run.sim.now);
    for i in 0..30 {
        let who = if i % 2 == 0 { rc } else { ru };
        let gap = run.pick_ms(10, 100);
        send_step(&mut run, who, gap);
    }
    run.sim.cluster.restart_spu(old, run.sim.now);
    run.settle();
    if run.cluster_stats().stuck_followers > 0 {
        // The old leader came back with a log end inside one of the new leader's batches:
        // like upstream's follower it skips every write from then on, and the high
        // watermark waits for it for good. Read-committed writes cannot heal; that is the
        // server's doing, not the client's.
        run.notes.retain(|n| !n.starts_with("not healed"));
    }
    run.fired(
        "records a follower lagged when the leader died",
        lagged as u64,
    );
    let s = run.cluster_stats();
    run.fired("leader stopped", s.spu_stops);
    run.check()
}

/// The followers stall, the leader takes 1 to 3 more records and dies: a follower missing
/// them is elected, takes other records at those offsets, and the old leader comes back
/// with a divergent log. It never truncates (as a real follower): the checker's truth is
/// what the leader holds.
pub(super) fn restart_divergent_log(seed: u64) -> Report {
    let producer = ProducerConfig {
        linger: Duration::ZERO,
        ..at_least_once()
    };
    let (mut run, p, _) = basic(seed, 1, 3, producer);
    for _ in 0..run.pick(3, 15) {
        send_step(&mut run, p, Duration::from_millis(10));
    }
    let f = followers(&run);
    for x in &f {
        run.sim.cluster.stall_replication(*x, true);
    }
    let extra = run.pick(1, 3);
    for _ in 0..200 {
        if max_lag(&run) >= i64::try_from(extra).unwrap_or(1) {
            break;
        }
        send_step(&mut run, p, Duration::from_millis(5));
    }
    let old = leader(&run, "t", 0);
    run.sim.cluster.stop_spu(old, run.sim.now);
    for x in &f {
        run.sim.cluster.stall_replication(*x, false);
    }
    for _ in 0..run.pick(1, 20) {
        let gap = run.pick_ms(5, 60);
        send_step(&mut run, p, gap);
    }
    run.sim.cluster.restart_spu(old, run.sim.now);
    for _ in 0..10 {
        send_step(&mut run, p, Duration::from_millis(20));
    }
    run.settle();
    let s = run.cluster_stats();
    run.fired("elections", s.elections);
    run.fired("replicas back with a divergent log", s.divergent_returns);
    run.check()
}

/// A consumer reads a long log from the beginning in small responses while the leader is
/// killed (and half of the time restarted): every record arrives once, in order, from
/// the new leader.
pub(super) fn election_during_catch_up(seed: u64) -> Report {
    let mut run = Run::new(seed);
    run.topic("t", 1, 3);
    // Small batches: the catch-up read takes many responses.
    let batch_size = run.pick(64, 400) as usize;
    let p = run.producer(
        "t",
        ProducerConfig {
            linger: Duration::from_millis(1),
            batch_size,
            ..at_least_once()
        },
    );
    for _ in 0..500 {
        run.send(p);
    }
    run.step_for(Duration::from_millis(500));
    let isolation = if run.rng.chance(0.5) {
        Isolation::ReadCommitted
    } else {
        Isolation::ReadUncommitted
    };
    let max_bytes = run.pick(200, 1500) as i32;
    let c = run.consumer(ConsumerConfig {
        max_bytes,
        isolation,
        ..ConsumerConfig::new("t", Offset::beginning())
    });
    run.consumers[c].start.insert(0, 0);
    let total = run.sends.len();
    let want = run.pick(1, (total as u64) / 2) as usize;
    let mut waited = Duration::ZERO;
    let step = Duration::from_micros(100);
    while run.consumers[c].records.len() < want && waited < Duration::from_secs(20) {
        run.step_for(step);
        waited += step;
    }
    let read_at_kill = run.consumers[c].records.len();
    let old = leader(&run, "t", 0);
    run.sim.cluster.stop_spu(old, run.sim.now);
    let restart = run.rng.chance(0.5);
    for _ in 0..10 {
        let gap = run.pick_ms(5, 50);
        send_step(&mut run, p, gap);
    }
    if restart {
        run.sim.cluster.restart_spu(old, run.sim.now);
    }
    run.settle();
    let s = run.cluster_stats();
    run.fired("elections", s.elections);
    let mid_read = u64::from(read_at_kill < total);
    run.fired(
        "the leader died in the middle of the catch-up read",
        mid_read,
    );
    run.check()
}

/// Followers fetch with seeded lags and slow down (or stall for a while): read-committed
/// produce requests wait for the high watermark, a read-committed consumer sees records
/// only once every replica holds them, and a dropped leader connection is retried.
pub(super) fn lagging_followers_read_committed(seed: u64) -> Report {
    let mut run = Run::new(seed);
    run.topic("t", 1, 3);
    let p = run.producer("t", read_committed());
    let c = run.consumer(ConsumerConfig {
        isolation: Isolation::ReadCommitted,
        ..ConsumerConfig::new("t", Offset::beginning())
    });
    run.consumers[c].start.insert(0, 0);
    for f in followers(&run) {
        let lag = run.pick_ms(1, 700);
        run.sim.cluster.set_replication_lag(f, lag);
    }
    let drop_at = run.pick(5, 30);
    for i in 0..40 {
        if i == drop_at {
            let spu = ServerId::Spu(leader(&run, "t", 0));
            run.sim.cluster.drop_connections(spu, run.sim.now);
        }
        let gap = run.pick_ms(0, 100);
        send_step(&mut run, p, gap);
    }
    run.settle();
    let s = run.cluster_stats();
    run.fired(
        "read-committed requests that waited for lagging followers",
        s.produce_waits,
    );
    run.fired("connections dropped", s.connections_dropped);
    run.check()
}
