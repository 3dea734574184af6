//! Replication and leader election, as a real Fluvio 0.50 SPU and SC do them.
//!
//! Each rule was checked against a real 3-SPU cluster (`scripts/real-replication-check.sh`,
//! results in README "The mock cluster") and against upstream's sources:
//! - Every replica has its own log. A follower fetches from the leader asynchronously:
//!   [`SpuNode::lag`](crate::model::SpuNode) after the leader appended (zero by default:
//!   in the same step, the fast path of benchmarks), it copies the leader's batches from
//!   its own log end on, and learns the leader's high watermark.
//! - The leader's high watermark waits for **every** replica (a real SPU's in-sync
//!   minimum is the replica count): a stopped or stalled follower holds it back, so
//!   read-committed produce requests time out (`RequestTimedOut` after the request's
//!   timeout) while the leader keeps appending each attempt. It never goes down.
//! - When a leader stops, the SC elects the running follower that lags the dead leader's
//!   log end by the fewest records, if fewer than 4 (the real SC's `SimplePolicy`; measured
//!   with `real-election`: lags 1-3 elected, 4 and 5 not); ties go to the first in replica
//!   order. The real SC judges by the offsets the leader last reported (a few hundred ms
//!   old), the mock by the current ones. Records the new leader lacks are left behind on
//!   the old leader (read-uncommitted acknowledgements may be lost this way; read-committed
//!   ones cannot, as the high watermark waited for every replica). Without a suitable
//!   follower the partition stays `LeaderOffline` until one comes back.
//! - A replica that comes back resumes fetching from its **own** log end: a real follower
//!   never truncates (measured: a deposed leader kept its records and took the new
//!   leader's from its own log end on; the high watermark counted it by its log end, and
//!   once elected back it served its own records). A replica whose log is longer than the new leader's keeps its own
//!   tail (divergent records) and gets the leader's records from its own log end on once
//!   the leader passes it; if its log end falls inside one of the leader's batches it
//!   skips every write from then on (the real follower checks the base offset).

use std::time::Duration;

use flv_core::time::Instant;

use crate::cluster::MockCluster;
use crate::model::{PartitionState, SpuNode};
use crate::stats::ClusterStats;

/// The real SC's election bound: a follower lagging the dead leader by this many records
/// or more is not elected.
pub(crate) const MAX_ELECTION_LAG: i64 = 4;

impl PartitionState {
    /// The leader's high watermark moves up to the lowest log end among the leader and
    /// every follower (stopped or not); it never moves down.
    pub(crate) fn advance_hw(&mut self) {
        let end = self.log().end();
        let floor = self.followers().map(|f| self.leo(f)).fold(end, i64::min);
        if let Some(leader) = self.copies.get_mut(&self.leader)
            && floor > leader.hw
        {
            leader.hw = floor;
        }
    }

    /// Whether replica `id` holds records the leader does not have (a longer log, or
    /// other records at the same offsets).
    pub(crate) fn diverges(&self, id: i32) -> bool {
        let Some(copy) = self.copies.get(&id) else {
            return false;
        };
        if copy.log.end() > self.log().end() {
            return true;
        }
        let mine = copy.log.records();
        let theirs = self.log().records();
        mine.iter().zip(&theirs).any(|(a, b)| a != b)
    }

    /// The election the real SC makes for this partition, whose leader is down: the
    /// `up` follower with the smallest lag below [`MAX_ELECTION_LAG`].
    pub(crate) fn candidate(&self, up: impl Fn(i32) -> bool) -> Option<i32> {
        let leader_leo = self.leo(self.leader);
        let mut best: Option<(u16, i32)> = None;
        for f in self.followers().filter(|f| up(*f)) {
            let lag = leader_leo - self.leo(f);
            if lag >= MAX_ELECTION_LAG {
                continue;
            }
            // Upstream scores `lag as u16`: a follower ahead of the old leader scores worst.
            let score = u16::try_from(lag).unwrap_or(u16::MAX);
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, f));
            }
        }
        best.map(|(_, f)| f)
    }
}

/// Whether follower `id` replicates now (up and not stalled).
fn replicating(spus: &std::collections::BTreeMap<i32, SpuNode>, id: i32) -> bool {
    spus.get(&id)
        .is_some_and(|s| s.served && s.running && !s.stalled)
}

impl MockCluster {
    /// Followers fetch what is due; leaders' high watermarks move.
    pub(crate) fn replicate(&mut self) {
        let now = self.now;
        let spus = &self.spus;
        let stats = &mut self.stats;
        for p in self.partitions.values_mut() {
            if !spus.get(&p.leader).is_some_and(|s| s.running) {
                for c in p.copies.values_mut() {
                    c.fetch_at = None;
                }
                continue;
            }
            fetch_pass(p, spus, now, stats);
            p.advance_hw();
            // A second pass lets followers without lag learn the new high watermark now.
            fetch_pass(p, spus, now, stats);
        }
    }

    /// When the next follower fetch is due.
    pub(crate) fn next_fetch(&self) -> Option<Instant> {
        self.partitions
            .values()
            .flat_map(|p| p.copies.values().filter_map(|c| c.fetch_at))
            .min()
    }

    /// For each partition whose leader is down: the real SC's candidate takes over;
    /// without one the partition stays `LeaderOffline`.
    pub(crate) fn elect(&mut self) {
        let mut elected = Vec::new();
        for (key, p) in &self.partitions {
            if self.spu_running(p.leader) {
                continue;
            }
            if let Some(new) = p.candidate(|f| self.spu_running(f)) {
                let behind = p.leo(p.leader) - p.leo(new);
                elected.push((key.clone(), new, behind));
            }
        }
        for (key, new, behind) in elected {
            if let Some(p) = self.partitions.get_mut(&key) {
                let old = p.leader;
                p.leader = new;
                for c in p.copies.values_mut() {
                    c.fetch_at = None;
                }
                self.stats.elections += 1;
                let left = u64::try_from(behind).unwrap_or(0);
                self.stats.records_left_behind += left;
                self.note(format!(
                    "election: {key} leader {old} -> {new} ({left} records left behind)"
                ));
            }
        }
    }

    /// Sets how long `spu` waits, as a follower, before fetching what its leaders
    /// appended (zero: at once).
    pub fn set_replication_lag(&mut self, spu: i32, lag: Duration) {
        if let Some(node) = self.spus.get_mut(&spu) {
            node.lag = lag;
        }
    }

    /// What the cluster did so far (faults served, elections, fetches, timeouts).
    pub fn stats(&self) -> ClusterStats {
        self.stats
    }

    /// Every record each replica of a partition holds, as (offset, value), by SPU id.
    pub fn replica_logs(
        &self,
        topic: &str,
        partition: u32,
    ) -> Option<std::collections::BTreeMap<i32, Vec<(i64, bytes::Bytes)>>> {
        let p = self
            .partitions
            .get(&flv_core::spu::ReplicaKey::new(topic, partition))?;
        Some(
            p.copies
                .iter()
                .map(|(id, c)| (*id, c.log.records()))
                .collect(),
        )
    }
}

/// One round of follower fetches of a partition whose leader is up.
fn fetch_pass(
    p: &mut PartitionState,
    spus: &std::collections::BTreeMap<i32, SpuNode>,
    now: Instant,
    stats: &mut ClusterStats,
) {
    let leader = p.leader;
    let followers: Vec<i32> = p.followers().collect();
    for f in followers {
        let (leader_end, leader_hw) = (p.log().end(), p.hw());
        let Some(copy) = p.copies.get(&f) else {
            continue;
        };
        if !replicating(spus, f) {
            if let Some(c) = p.copies.get_mut(&f) {
                c.fetch_at = None;
            }
            continue;
        }
        let leo = copy.log.end();
        let want = (leo < leader_end && !copy.stuck) || (copy.hw < leader_hw.min(leo));
        let due = match copy.fetch_at {
            Some(at) => at,
            None if want => now + spus.get(&f).map_or(Duration::ZERO, |s| s.lag),
            None => continue,
        };
        if due > now {
            if let Some(c) = p.copies.get_mut(&f) {
                c.fetch_at = Some(due);
            }
            continue;
        }
        let batches = if leo < leader_end {
            p.copies.get(&leader).map(|l| l.log.batches_at(leo))
        } else {
            Some(Some(Vec::new()))
        };
        let Some(c) = p.copies.get_mut(&f) else {
            continue;
        };
        c.fetch_at = None;
        stats.follower_fetches += 1;
        match batches {
            Some(Some(batches)) => {
                if !batches.is_empty() && copy_was_behind(leo, leader_end) {
                    stats.catch_ups += 1;
                }
                for b in batches {
                    c.log.append(b);
                }
            }
            Some(None) if !c.stuck => {
                c.stuck = true;
                stats.stuck_followers += 1;
            }
            _ => {}
        }
        // As a real follower: take the leader's high watermark when it is ahead of ours
        // and within our log.
        if leader_hw > c.hw && leader_hw <= c.log.end() {
            c.hw = leader_hw;
        }
    }
}

/// A fetch of more than one record's worth is a catch-up.
fn copy_was_behind(leo: i64, leader_end: i64) -> bool {
    leader_end - leo > 1
}
