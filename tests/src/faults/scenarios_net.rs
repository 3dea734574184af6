//! Connection faults and hostile peers, injected in the simulated network.

use flv_mock_cluster::ServerId;

use super::{Report, Run, at_least_once, basic, leader};
use crate::sim::Mangle;

/// Sends `n` records with seeded gaps of up to `max_gap_ms`, calling `fault` before the
/// records whose index is in `at`.
fn produce(
    run: &mut Run,
    p: flv_core::client::ProducerId,
    n: usize,
    max_gap_ms: u64,
    at: &[usize],
    mut fault: impl FnMut(&mut Run),
) {
    for i in 0..n {
        if at.contains(&i) {
            fault(run);
        }
        run.send(p);
        let gap = run.pick_ms(0, max_gap_ms);
        run.step_for(gap);
    }
}

/// A request cut after a seeded number of bytes (twice): both sides see a reset.
pub(super) fn reset_mid_request(seed: u64) -> Report {
    reset_mid_stream(seed, 160, |run, spu, k| {
        run.sim.reset_after_to_cluster(spu, k)
    })
}

/// A response cut after a seeded number of bytes (twice).
pub(super) fn reset_mid_response(seed: u64) -> Report {
    reset_mid_stream(seed, 200, |run, spu, k| {
        run.sim.reset_after_to_client(spu, k)
    })
}

/// Produces 60 records, cutting twice (at seeded times) the stream of a seeded
/// partition's leader with `cut` after up to `max_bytes` bytes.
fn reset_mid_stream(seed: u64, max_bytes: u64, cut: fn(&mut Run, ServerId, usize)) -> Report {
    let (mut run, p, _) = basic(seed, 2, 2, at_least_once());
    let first = run.pick(3, 30) as usize;
    let second = first + run.pick(5, 20) as usize;
    produce(&mut run, p, 60, 3, &[first, second], |run| {
        let part = u32::from(run.rng.chance(0.5));
        let spu = leader(run, "t", part);
        let k = run.pick(1, max_bytes) as usize;
        cut(run, ServerId::Spu(spu), k);
    });
    super::send_until(&mut run, p, 500, |r| r.net_stats().resets > 0);
    run.settle();
    let n = run.net_stats().resets;
    run.fired("connections reset mid-stream", n);
    run.check()
}

/// The leader becomes a half-open peer (no FIN, nothing answers, connects hang) for a
/// seeded time: request deadlines must detect it, and the client reconnects once it heals.
pub(super) fn half_open(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 1, 2, at_least_once());
    let spu = ServerId::Spu(leader(&run, "t", 0));
    let at = run.pick(3, 30) as usize;
    let outage = run.pick_ms(500, 9000);
    let mut healed_at = None;
    for i in 0..60 {
        if i == at {
            run.sim.black_hole(spu);
            healed_at = Some(run.sim.now + outage);
        }
        if healed_at.is_some_and(|t| run.sim.now >= t) {
            run.sim.heal(spu);
        }
        run.send(p);
        let gap = run.pick_ms(0, 40);
        run.step_for(gap);
    }
    if let Some(t) = healed_at {
        let left = t.saturating_since(run.sim.now);
        run.step_for(left);
    }
    run.sim.heal(spu);
    run.settle();
    let n = run.net_stats();
    run.fired(
        "bytes or connects lost to a half-open peer",
        n.chunks_lost + n.syns_lost,
    );
    run.check()
}

/// The SC becomes a half-open peer for a seeded time; once it heals, the leader dies:
/// the client must have noticed the dead SC connection to learn the new leader.
pub(super) fn half_open_sc(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 1, 2, at_least_once());
    let at = run.pick(3, 20) as usize;
    let outage = run.pick_ms(500, 20_000);
    produce(&mut run, p, 30, 40, &[at], |run| {
        run.sim.black_hole(ServerId::Sc)
    });
    run.step_for(outage);
    run.sim.heal(ServerId::Sc);
    let spu = leader(&run, "t", 0);
    run.sim.cluster.stop_spu(spu, run.sim.now);
    produce(&mut run, p, 20, 40, &[], |_| {});
    run.settle();
    let n = run.net_stats();
    run.fired(
        "bytes or connects lost to a half-open SC",
        n.chunks_lost + n.syns_lost,
    );
    let e = run.cluster_stats().elections;
    run.fired("elections after the SC healed", e);
    run.check()
}

/// Every byte chunk, both ways, arrives in pieces of a seeded 1 to 3 bytes.
pub(super) fn short_writes(seed: u64) -> Report {
    let (mut run, p, _) = basic(seed, 2, 1, at_least_once());
    let n = run.pick(1, 3) as usize;
    run.sim.chunking(Some(n));
    produce(&mut run, p, 20, 2, &[], |_| {});
    run.settle();
    let n = run.net_stats().chunks_split;
    run.fired("chunks split into short reads and writes", n);
    run.check()
}

/// A response frame of the SC or of a partition leader is spoiled after a seeded number
/// of frames.
fn hostile(seed: u64, how: Mangle) -> Report {
    let (mut run, p, _) = basic(seed, 2, 2, at_least_once());
    let at = run.pick(0, 20) as usize;
    produce(&mut run, p, 50, 3, &[at], |run| {
        let server = match run.pick(0, 2) {
            0 => ServerId::Sc,
            n => ServerId::Spu(leader(run, "t", (n - 1) as u32)),
        };
        let skip = run.pick(0, 6) as usize;
        run.sim.mangle_response(server, skip, how);
    });
    super::send_until(&mut run, p, 500, |r| r.net_stats().frames_mangled > 0);
    run.settle();
    let n = run.net_stats().frames_mangled;
    run.fired("response frames mangled", n);
    run.check()
}

/// A response arrives twice (the second copy names a correlation id already answered).
pub(super) fn duplicate_correlation(seed: u64) -> Report {
    hostile(seed, Mangle::Duplicate)
}

/// A frame with a correlation id nobody asked for arrives before a real response.
pub(super) fn unknown_correlation(seed: u64) -> Report {
    hostile(seed, Mangle::UnknownCorrelation)
}

/// A response frame whose body is cut (with a matching length prefix).
pub(super) fn truncated_frame(seed: u64) -> Report {
    hostile(seed, Mangle::Truncate)
}

/// A response frame whose length prefix claims 2 GiB.
pub(super) fn oversized_length(seed: u64) -> Report {
    hostile(seed, Mangle::OversizedLength)
}
