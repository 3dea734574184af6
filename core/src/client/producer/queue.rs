//! One partition's queue of a producer: batching, the linger rule, requests in flight.
//!
//! The queue owns the batches of one partition in creation order (`seq`) and every
//! rule that reads them: when a batch may go out (full, lingered, flushed, or eager
//! with nothing in flight), when the next timer fires ([`PartQueue::poll_timeout`]),
//! what a timeout changes ([`PartQueue::handle_timeout`]) and which batches the next
//! request takes ([`PartQueue::take_request`]). It knows nothing of connections or
//! events: the producer turns what it returns into requests and events.

use std::collections::VecDeque;
use std::time::Duration;

use crate::protocol::codec::EncodeError;
use crate::protocol::record::{Batch, BatchBuilder};
use crate::time::Instant;

use super::super::event::SendId;

/// A batch of records waiting for delivery.
#[derive(Debug)]
pub(crate) struct PendingBatch {
    pub(crate) seq: u64,
    pub(crate) builder: Option<BatchBuilder>,
    pub(crate) built: Option<Batch>,
    /// `first_timestamp` of the batch (ms since the Unix epoch, or -1).
    pub(crate) first_ts: i64,
    pub(crate) sends: Vec<SendId>,
    pub(crate) created: Instant,
    pub(crate) deadline: Instant,
    /// May be sent (linger expired, or flushed); records may still be appended until it
    /// is taken into a request.
    pub(crate) ready: bool,
    /// No linger: may be sent as soon as its partition has no request in flight (see
    /// the module documentation of the producer).
    pub(crate) eager: bool,
    /// Attempts that reached the SPU (or may have).
    pub(crate) attempts: u32,
    /// Some attempt was written and never answered.
    pub(crate) unknown: bool,
    /// The batch's first sequence when stamped (exactly-once), else -1.
    pub(crate) sequence: i32,
    /// The partition's settled offset when the batch was last sent: a copy of it can
    /// only be at or after it (`None`: from the log start).
    pub(crate) scan_from: Option<i64>,
    /// Where a read-back found the batch (read-committed: waiting for the high
    /// watermark to cover it).
    pub(crate) found: Option<i64>,
    /// Where the batch is known stored but not committed (exactly-once): the base
    /// offset of a read-committed SPU's `RequestTimedOut` answer (it appended, then
    /// gave up waiting for the replicas), or the last read-back that found it. Kept
    /// while a new read-back runs, so a deadline that passes meanwhile still says where
    /// the batch is (`NotCommitted`); cleared by a read-back that does not find it.
    pub(crate) stored_at: Option<i64>,
}

impl PendingBatch {
    /// The encoded size of the batch as it stands.
    pub(crate) fn size(&self) -> usize {
        match (&self.builder, &self.built) {
            (Some(b), _) => b.encoded_size(),
            (None, Some(b)) => b.encoded_size(),
            (None, None) => 0,
        }
    }

    /// The linger rule: a batch that is neither ready nor eager becomes ready `linger`
    /// after its creation.
    fn linger_expiry(&self, linger: Duration) -> Option<Instant> {
        (!self.ready && !self.eager).then(|| self.created + linger)
    }
}

/// One produce request in flight and the batches it carries.
#[derive(Debug)]
pub(crate) struct InFlight {
    pub(crate) request: u64,
    pub(crate) batches: Vec<PendingBatch>,
}

/// A partition's queue (see the [module documentation](self)).
#[derive(Debug, Default)]
pub(crate) struct PartQueue {
    pub(crate) queue: VecDeque<PendingBatch>,
    pub(crate) in_flight: VecDeque<InFlight>,
    pub(crate) retry_at: Option<Instant>,
    /// After a retriable failure: send one request at a time until a re-sent batch
    /// succeeds.
    pub(crate) recovering: bool,
    /// The leader's connection backs off until then.
    pub(crate) wait_spu: Option<Instant>,
    /// The sequence the next stamped batch gets.
    pub(crate) next_sequence: i32,
    /// The offset after the producer's last batch known to be in the log (acknowledged,
    /// or the log end of a read-back that found nothing): a batch sent later is stored
    /// at or after it.
    pub(crate) settled: Option<i64>,
    /// Some queued batch has an unknown outcome: read the partition back before sending.
    pub(crate) verify: bool,
    /// The read-back in progress.
    pub(crate) read_back: Option<ReadBack>,
}

/// A read-back of a partition's batch headers, from `from` to the log end.
#[derive(Debug)]
pub(crate) struct ReadBack {
    /// The next offset to read.
    pub(crate) from: i64,
    /// Bytes asked per fetch (doubled when a batch does not fit).
    pub(crate) max_bytes: i32,
    /// The fetch in flight.
    pub(crate) request: Option<u64>,
}

impl PartQueue {
    /// Whether `front`, the first queued batch, may go out now: it is ready (linger
    /// expired or flushed), built, followed by another (so full), or eager with nothing
    /// in flight.
    fn sendable(&self, front: &PendingBatch) -> bool {
        front.ready
            || front.builder.is_none()
            || self.queue.len() > 1
            || (front.eager && self.in_flight.is_empty())
    }

    /// Whether the partition may send its first queued batch now: no retry pending, room
    /// for one more request in flight (one at a time while recovering), and that batch
    /// sendable.
    pub(crate) fn may_send(&self, max_in_flight: usize) -> bool {
        let limit = if self.recovering { 1 } else { max_in_flight };
        self.retry_at.is_none()
            && !self.verify
            && self.in_flight.len() < limit
            && self.queue.front().is_some_and(|f| self.sendable(f))
    }

    /// Batches not yet resolved (queued or in flight).
    pub(crate) fn unresolved(&self) -> usize {
        self.queue.len()
            + self
                .in_flight
                .iter()
                .map(|f| f.batches.len())
                .sum::<usize>()
    }

    /// Whether the partition may send the next fetch of its read-back now: it has
    /// batches to verify, nothing in flight, no retry pending.
    pub(crate) fn may_read_back(&self) -> bool {
        self.verify
            && self.retry_at.is_none()
            && self.in_flight.is_empty()
            && self.read_back.as_ref().is_none_or(|r| r.request.is_none())
    }

    /// Marks every queued batch ready (a flush).
    pub(crate) fn flush(&mut self) {
        for b in self.queue.iter_mut() {
            b.ready = true;
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) has something to do.
    pub(crate) fn poll_timeout(&self, linger: Duration) -> Option<Instant> {
        // Only the newest batch can be the one still lingering: every older one is full.
        [
            self.retry_at,
            self.wait_spu,
            self.queue.front().map(|b| b.deadline),
            self.queue.back().and_then(|b| b.linger_expiry(linger)),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Ends the waits that are over, makes lingered batches ready, and returns the unsent
    /// batches past their delivery deadline, oldest first (the rest keeps its order).
    pub(crate) fn handle_timeout(&mut self, now: Instant, linger: Duration) -> Vec<PendingBatch> {
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
        }
        if self.wait_spu.is_some_and(|t| t <= now) {
            self.wait_spu = None;
        }
        for b in self.queue.iter_mut() {
            if b.linger_expiry(linger).is_some_and(|t| t <= now) {
                b.ready = true;
            }
        }
        let mut expired = Vec::new();
        while self.queue.front().is_some_and(|b| b.deadline <= now) {
            if let Some(b) = self.queue.pop_front() {
                expired.push(b);
            }
        }
        if self.verify && !expired.is_empty() && !self.queue.iter().any(|b| b.unknown) {
            // Every batch to verify expired: the read-back has nothing left to settle
            // (an answer still in flight is ignored), and the partition may send again.
            self.verify = false;
            self.read_back = None;
        }
        expired
    }

    /// Takes the sendable batches from the front of the queue into one request of at
    /// most `max` bytes (one batch while recovering), building them. A batch that fails
    /// to build is returned alone as the error, to be resolved as failed.
    pub(crate) fn take_request(
        &mut self,
        max: usize,
        stamp: Option<i64>,
    ) -> Result<Vec<PendingBatch>, Box<(PendingBatch, EncodeError)>> {
        let mut batches: Vec<PendingBatch> = Vec::new();
        let mut total = 0usize;
        // (The request joins `in_flight` later: `sendable` sees it as before.)
        while let Some(front) = self.queue.front() {
            if !self.sendable(front) || (!batches.is_empty() && total + front.size() > max) {
                break;
            }
            let Some(mut b) = self.queue.pop_front() else {
                break;
            };
            if let Some(mut builder) = b.builder.take() {
                if let Some(id) = stamp {
                    b.sequence = self.next_sequence;
                    self.next_sequence = self.next_sequence.checked_add(1).unwrap_or(0);
                    builder.set_producer(id, 0, b.sequence);
                }
                match builder.build() {
                    Ok(batch) => b.built = Some(batch),
                    Err(e) => {
                        // The batches taken so far go back in front, in order.
                        for mut taken in batches.into_iter().rev() {
                            taken.attempts -= 1;
                            self.queue.push_front(taken);
                        }
                        return Err(Box::new((b, e)));
                    }
                }
            }
            total += b.size();
            b.attempts += 1;
            b.scan_from = self.settled;
            batches.push(b);
            if self.recovering {
                // One batch at a time until the partition works again.
                break;
            }
        }
        Ok(batches)
    }

    /// Puts a batch to retry back in `seq` order; sends wait until `at` (the latest of
    /// the retries asked for).
    pub(crate) fn requeue(&mut self, b: PendingBatch, at: Instant) {
        self.recovering = true;
        self.retry_at = Some(self.retry_at.map_or(at, |t| t.max(at)));
        let pos = self
            .queue
            .iter()
            .position(|x| x.seq > b.seq)
            .unwrap_or(self.queue.len());
        self.queue.insert(pos, b);
    }

    /// Removes request `request` from the requests in flight.
    pub(crate) fn take_in_flight(&mut self, request: u64) -> Option<InFlight> {
        let i = self.in_flight.iter().position(|f| f.request == request)?;
        self.in_flight.remove(i)
    }
}
