//! The checker run after every scenario run, in Jepsen's vocabulary.
//!
//! The history is what the application saw: every accepted send, its resolution
//! (`Delivered` with its offset, or `SendFailed` with its error) and every record a
//! consumer handed over. The ground truth is the cluster's log, read directly from the
//! mock (not through the client under test). Judged:
//!
//! The ground truth is what the surviving replicas hold: the log of the partition's
//! leader once the run settled (each replica of the mock has its own log).
//!
//! - **lost**: an acknowledged record that is not in the log at its acknowledged offset;
//!   a consumer that skipped an offset, handed over a wrong value, started later than
//!   expected or stopped short of the log end.
//! - **lost-uncommitted**: the same for a read-uncommitted acknowledgement after an
//!   election left records of the old leader behind, and a read-uncommitted consumer's
//!   record at an offset the new leader holds another record at: the server's contract
//!   allows it (counted apart, not a failure). A lost read-committed acknowledgement is
//!   always a failure.
//! - **unfired**: the run's fault left no evidence ([`Run::fired`]); a run that
//!   acknowledged no record fails too.
//! - **not-committed**: a read-committed send failed at its deadline with
//!   `OutcomeUnknown(NotCommitted { partition, offset })`: a definite outcome, not an
//!   ambiguous one, since the client says where the record is. The record must be in the
//!   log at that offset, once; only when an election left records behind may it be gone
//!   from the log entirely (counted lost-uncommitted). Anything else is a violation.
//! - **duplicated**: extra copies of a record in the log (counted); each must belong to a
//!   send reported *ambiguous* — `OutcomeUnknown` (other than `NotCommitted`), or
//!   `Delivered` with `possible_duplicate` — otherwise it is a violation. A consumer
//!   handing over an offset twice is a violation too. With exactly-once on
//!   ([`Report::exactly_once`]) the fault matrix fails on any duplicate or ambiguous
//!   outcome.
//! - **reordered**: per producer and partition, acknowledged records whose first copy in
//!   the log comes before the first copy of a record sent earlier.
//! - **unresolved**: a send without an outcome at the end, or resolved later than its
//!   bound ([`resolution_bound`]); a consumer expected to end that did not.
//! - **memory**: the client's peak buffers ([`Sim::peak`]) within the configured bounds.
//! - other violations: a send resolved twice, a send reported failed for sure (not
//!   ambiguous) whose record is stored anyway, a consumer error where none is allowed,
//!   and anything the workload noted (refused sends).

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;
use flv_core::client::{ConsumerEvent, Event, Metrics, SendId};
use flv_core::spu::Isolation;
use flv_core::time::Instant;

pub use super::history::{Outcome, behind, log, resolution_bound, resolutions};
use super::history::{Track, partitions, resolutions_and_doubles};
use super::run::Run;
use crate::sim::Sim;

impl Run {
    /// Judges the run ([`check`]).
    pub fn check(&self) -> Report {
        check(self)
    }
}

/// The verdict on one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Sends acknowledged as delivered.
    pub acked: usize,
    /// Sends resolved as ambiguous (outcome unknown, or delivered after an unanswered
    /// attempt).
    pub ambiguous: usize,
    /// Read-committed sends failed with `NotCommitted` (stored at a known offset, never
    /// committed), each found at that offset in the log (or lost by an election).
    pub not_committed: usize,
    /// Every producer of the run had exactly-once on: duplicates and ambiguous outcomes
    /// are then broken promises (the fault matrix fails on them).
    pub exactly_once: bool,
    /// Lost acknowledged records (and consumer gaps).
    pub lost: usize,
    /// Read-uncommitted acknowledgements (and reads) lost by an election (allowed).
    pub lost_uncommitted: usize,
    /// Evidence that the run's faults fired: (what, count).
    pub evidence: Vec<(String, u64)>,
    /// 1 when some fault of the run left no evidence.
    pub unfired: usize,
    /// Extra copies in the log.
    pub duplicated: usize,
    /// Reordered acknowledged records.
    pub reordered: usize,
    /// Sends (or consumers expected to end) without an outcome in time.
    pub unresolved: usize,
    /// Every other broken promise, described.
    pub violations: Vec<String>,
    /// The ambiguous outcomes, described (send and error): why the client could not say.
    pub doubts: Vec<String>,
    /// The client's counters at the end (evidence that the fault happened).
    pub metrics: Metrics,
}

impl Report {
    /// True when the run kept every promise.
    pub fn passed(&self) -> bool {
        self.lost == 0
            && self.reordered == 0
            && self.unresolved == 0
            && self.unfired == 0
            && self.acked > 0
            && self.violations.is_empty()
    }

    /// A failed report for a run that panicked.
    pub fn panicked(message: String) -> Self {
        Self {
            unresolved: 1,
            violations: vec![format!("panic: {message}")],
            ..Self::default()
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "acked {} ambiguous {} not-committed {} lost {} lost-uncommitted {} duplicated {} reordered {} unresolved {} unfired {}",
            self.acked,
            self.ambiguous,
            self.not_committed,
            self.lost,
            self.lost_uncommitted,
            self.duplicated,
            self.reordered,
            self.unresolved,
            self.unfired
        )?;
        for (what, n) in &self.evidence {
            write!(f, "\n  evidence: {what} {n}")?;
        }
        for v in self.violations.iter().take(10) {
            write!(f, "\n  violation: {v}")?;
        }
        for d in self.doubts.iter().take(5) {
            write!(f, "\n  ambiguous: {d}")?;
        }
        Ok(())
    }
}

/// Judges a run.
pub fn check(run: &Run) -> Report {
    let sim = &run.sim;
    let mut r = Report {
        metrics: sim.client.metrics().clone(),
        exactly_once: !run.producers.is_empty()
            && run.producers.values().all(|p| p.config.exactly_once),
        ..Report::default()
    };
    r.violations.extend(run.notes.iter().cloned());
    r.evidence = run.evidence.clone();
    if run.evidence.is_empty() {
        r.unfired = 1;
        r.violations
            .push("the scenario reported no evidence".into());
    }
    for (what, n) in &run.evidence {
        if *n == 0 {
            r.unfired = 1;
            r.violations.push(format!("fault did not fire: {what}"));
        }
    }
    // Elections that left records behind may lose read-uncommitted acknowledgements.
    let unclean = sim.cluster.stats().records_left_behind > 0;
    let (outcomes, doubles) = resolutions_and_doubles(&sim.events);
    for d in doubles {
        r.violations.push(format!("{d} resolved twice"));
    }

    // The logs of every produced-to topic, and where each value sits.
    let mut logs: BTreeMap<(String, u32), Vec<(i64, Bytes)>> = BTreeMap::new();
    for info in run.producers.values() {
        if run.deleted_topics.contains(&info.topic) {
            continue;
        }
        for p in partitions(sim, &info.topic) {
            if let Some(l) = log(sim, &info.topic, p) {
                logs.entry((info.topic.clone(), p)).or_insert(l);
            }
        }
    }
    let mut where_is: BTreeMap<&Bytes, Vec<(&str, u32, usize)>> = BTreeMap::new();
    for ((topic, p), l) in &logs {
        for (pos, (_, v)) in l.iter().enumerate() {
            where_is.entry(v).or_default().push((topic, *p, pos));
        }
    }

    // Producers.
    let config = sim.client.config();
    let mut order: BTreeMap<(u64, u32), Vec<(SendId, usize)>> = BTreeMap::new();
    let mut counted = std::collections::BTreeSet::new();
    for s in &run.sends {
        let Some(info) = run.producers.get(&s.producer) else {
            continue;
        };
        let deleted = run.deleted_topics.contains(&info.topic);
        let Some((at, outcome)) = outcomes.get(&s.id) else {
            r.unresolved += 1;
            r.violations
                .push(format!("{} ({:?}) never resolved", s.id, s.value));
            continue;
        };
        let bound = resolution_bound(info, config);
        if at.saturating_since(s.at) > bound {
            r.unresolved += 1;
            r.violations.push(format!(
                "{} resolved after {:?} (bound {bound:?})",
                s.id,
                at.saturating_since(s.at)
            ));
        }
        let copies = where_is.get(&s.value).map_or(0, Vec::len);
        let ambiguous = match outcome {
            Outcome::Acked { ambiguous, .. } | Outcome::Failed { ambiguous } => *ambiguous,
            Outcome::NotCommitted { .. } => false,
        };
        if ambiguous {
            r.ambiguous += 1;
            r.doubts.push(doubt(&sim.events, s.id));
        }
        if copies > 1 {
            if counted.insert(&s.value) {
                r.duplicated += copies - 1;
            }
            if !ambiguous {
                r.violations.push(format!(
                    "{} stored {copies} times but not reported ambiguous",
                    s.id
                ));
            }
        }
        match outcome {
            Outcome::Acked {
                partition, offset, ..
            } => {
                r.acked += 1;
                if deleted {
                    continue;
                }
                let stored = logs
                    .get(&(info.topic.clone(), *partition))
                    .and_then(|l| l.iter().find(|(o, _)| o == offset))
                    .map(|(_, v)| v);
                if stored != Some(&s.value)
                    && unclean
                    && info.config.isolation == Isolation::ReadUncommitted
                {
                    r.lost_uncommitted += 1;
                    continue;
                }
                if stored != Some(&s.value) {
                    r.lost += 1;
                    r.violations.push(format!(
                        "{} acked at {}-{partition}@{offset} but the log has {stored:?}",
                        s.id, info.topic
                    ));
                    continue;
                }
                let first = where_is.get(&s.value).and_then(|w| {
                    w.iter()
                        .filter(|(_, p, _)| p == partition)
                        .map(|(_, _, pos)| *pos)
                        .min()
                });
                if let Some(pos) = first {
                    order
                        .entry((s.producer.0, *partition))
                        .or_default()
                        .push((s.id, pos));
                }
            }
            Outcome::Failed { ambiguous: false } if copies > 0 && !deleted => {
                r.violations.push(format!(
                    "{} reported not stored, but it is in the log",
                    s.id
                ));
            }
            Outcome::Failed { .. } => {}
            Outcome::NotCommitted { partition, offset } => {
                r.not_committed += 1;
                if deleted {
                    continue;
                }
                let stored = logs
                    .get(&(info.topic.clone(), *partition))
                    .and_then(|l| l.iter().find(|(o, _)| o == offset))
                    .map(|(_, v)| v);
                if stored == Some(&s.value) {
                    continue;
                }
                if copies == 0 && unclean {
                    // Never committed, so an election may drop it with the records of
                    // the old leader: the server's contract allows it.
                    r.lost_uncommitted += 1;
                    continue;
                }
                r.violations.push(format!(
                    "{} reported not committed at {}-{partition}@{offset} but the log has {stored:?} there ({copies} copies elsewhere)",
                    s.id, info.topic
                ));
            }
        }
    }
    for ((producer, partition), mut seq) in order {
        seq.sort();
        let mut max = None;
        for (id, pos) in seq {
            if max.is_some_and(|m| pos < m) {
                r.reordered += 1;
                r.violations.push(format!(
                    "producer#{producer} partition {partition}: {id} stored before an earlier send"
                ));
            }
            max = max.max(Some(pos));
        }
    }

    // Consumers.
    for t in &run.consumers {
        check_consumer(sim, t, &run.deleted_topics, unclean, &mut r);
    }
    if r.acked == 0 {
        r.violations.push("no record was acknowledged".into());
    }

    check_memory(run, &mut r);
    r
}

/// How the client resolved an ambiguous send (the event's error).
fn doubt(events: &[(Instant, Event)], id: SendId) -> String {
    let why = events.iter().rev().find_map(|(t, e)| match e {
        Event::SendFailed { sends, error, .. } if sends.contains(&id) => {
            Some(format!("failed at {t:?}: {error}"))
        }
        Event::Delivered { sends, .. } if sends.contains(&id) => {
            Some(format!("delivered at {t:?} as a possible duplicate"))
        }
        _ => None,
    });
    format!("{id} {}", why.unwrap_or_default())
}

fn check_consumer(sim: &Sim, t: &Track, deleted: &[String], unclean: bool, r: &mut Report) {
    let allowed = unclean && t.config.isolation == Isolation::ReadUncommitted;
    let topic = &t.config.topic;
    let gone = deleted.contains(topic);
    let mut by_part: BTreeMap<u32, Vec<(i64, &Bytes)>> = BTreeMap::new();
    for (p, o, v) in &t.records {
        by_part.entry(*p).or_default().push((*o, v));
    }
    for (p, recs) in &by_part {
        let log = if gone { None } else { log(sim, topic, *p) };
        let mut prev: Option<i64> = None;
        if let (Some(start), Some((first, _))) = (t.start.get(p), recs.first())
            && first != start
        {
            r.lost += usize::try_from(first - start).unwrap_or(0);
            r.violations.push(format!(
                "{}: partition {p} started at {first}, expected {start}",
                t.id
            ));
        }
        for (o, v) in recs {
            if let Some(prev) = prev {
                if *o <= prev {
                    r.violations.push(format!(
                        "{}: offset {o} of partition {p} handed over again",
                        t.id
                    ));
                } else if *o > prev + 1 {
                    r.lost += usize::try_from(o - prev - 1).unwrap_or(0);
                    r.violations
                        .push(format!("{}: partition {p} skipped {}..{o}", t.id, prev + 1));
                }
            }
            if let Some(l) = &log {
                let stored = l.iter().find(|(x, _)| x == o).map(|(_, v)| v);
                if stored != Some(*v) && allowed {
                    r.lost_uncommitted += 1;
                } else if stored != Some(*v) {
                    r.lost += 1;
                    r.violations
                        .push(format!("{}: {p}@{o} differs from the log", t.id));
                }
            }
            prev = Some(prev.map_or(*o, |x| x.max(*o)));
        }
    }
    let errors: Vec<&ConsumerEvent> = t
        .others
        .iter()
        .filter(|e| matches!(e, ConsumerEvent::Error { .. } | ConsumerEvent::Failed(_)))
        .collect();
    if !errors.is_empty() && !t.errors_allowed {
        r.violations
            .push(format!("{}: unexpected errors {errors:?}", t.id));
    }
    if t.retired {
        return;
    }
    if t.expect_end && !t.ended() {
        r.unresolved += 1;
        r.violations.push(format!("{}: never ended", t.id));
    }
    let missing = behind(sim, t, deleted);
    if missing > 0 && !t.ended() {
        r.lost += missing;
        r.violations.push(format!(
            "{}: {missing} readable records never handed over",
            t.id
        ));
    }
}

fn check_memory(run: &Run, r: &mut Report) {
    let peak = run.sim.peak;
    let config = run.sim.client.config();
    let queue = run
        .producers
        .values()
        .map(|p| p.config.batch_queue_size)
        .max()
        .unwrap_or(0);
    if peak.producer_batches > queue {
        r.violations.push(format!(
            "memory: {} batches in a producer partition (batch_queue_size {queue})",
            peak.producer_batches
        ));
    }
    // Unpolled bytes stay below `buffer_bytes` before an acknowledgement, and one
    // response adds at most `max_bytes` (raised to the largest batch when one does not
    // fit).
    let consumer = run
        .consumers
        .iter()
        .map(|t| {
            let largest = partitions(&run.sim, &t.config.topic)
                .into_iter()
                .filter_map(|p| run.sim.cluster.batch_layout(&t.config.topic, p))
                .flatten()
                .map(|b| b.2)
                .max()
                .unwrap_or(0);
            let max_bytes = usize::try_from(t.config.max_bytes).unwrap_or(0);
            t.config.buffer_bytes + max_bytes.max(largest)
        })
        .max()
        .unwrap_or(0);
    if peak.consumer_bytes > consumer {
        r.violations.push(format!(
            "memory: {} bytes buffered in a consumer partition (bound {consumer})",
            peak.consumer_bytes
        ));
    }
    if peak.conn_in_bytes > config.max_frame_size + 4 {
        r.violations.push(format!(
            "memory: {} undecoded bytes on a connection",
            peak.conn_in_bytes
        ));
    }
    // Requests: per producer partition `max_in_flight` (plus one failing), per consumer
    // partition a stream, an ack and an offset flush, the SC's watches and a few admin
    // requests.
    let partitions = |topic: &str| partitions(&run.sim, topic).len().max(1);
    let producers: usize = run
        .producers
        .values()
        .map(|p| partitions(&p.topic) * (p.config.max_in_flight + 1))
        .sum();
    let consumers: usize = run
        .consumers
        .iter()
        .map(|t| partitions(&t.config.topic) * 4)
        .sum();
    let bound = producers + consumers + 16;
    if peak.pending_requests > bound {
        r.violations.push(format!(
            "memory: {} requests pending (bound {bound})",
            peak.pending_requests
        ));
    }
}
