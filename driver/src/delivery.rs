//! Where the outcomes of one producer's records wait for their [`ProduceOutput`]s.
//!
//! A record's outcome slot lives in its producer's [`Deliveries`], a queue ordered by
//! [`SendId`] (the core hands them out in increasing order) behind the producer's own
//! lock, not the client's: queuing a record appends a slot, the driver fills the slots of
//! a whole batch at once, and waiting for an outcome never touches the client's lock. No
//! hash map per record, nothing rehashed with a million records waiting.
//!
//! [`ProduceOutput`]: crate::ProduceOutput

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use flv_core::client::{ProduceError, RecordMetadata, SendId};

use crate::error::Error;
use crate::producer_config::{ProduceCompletionBatchEvent, SentRecord};

/// The outcome of one record, as stored.
#[derive(Debug)]
enum Slot {
    /// Not resolved yet (with the waker of the task waiting for it).
    Waiting(Option<Waker>),
    /// Resolved, not taken yet.
    Done(Result<RecordMetadata, Failure>),
    /// Taken, or nobody waits for it any more.
    Gone,
}

/// Why a record failed; boxed, so that a slot stays small.
#[derive(Debug)]
enum Failure {
    Produce(Box<ProduceError>),
    Closed,
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Produce(e) => Error::from(*e),
            Failure::Closed => Error::Closed,
        }
    }
}

/// One record of a [`ProduceBatchOutput`](crate::ProduceBatchOutput): queued under its id,
/// or its outcome (taken from its slot, or a failure to queue it).
#[derive(Debug)]
pub(crate) enum BatchEntry {
    /// Queued; its outcome is in its slot.
    Waiting(SendId),
    /// Its outcome.
    Done(Result<RecordMetadata, Error>),
}

/// The outcome slots of one producer's records, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Deliveries {
    slots: Mutex<VecDeque<(SendId, Slot)>>,
    callback: Option<BatchCallback>,
}

/// A producer callback's side: the size and send time of each record until its batch is
/// stored, and where to tell of stored batches.
#[derive(Debug)]
pub(crate) struct BatchCallback {
    sent: Mutex<HashMap<SendId, SentRecord>>,
    tx: async_channel::Sender<ProduceCompletionBatchEvent>,
}

impl Deliveries {
    fn lock(&self) -> MutexGuard<'_, VecDeque<(SendId, Slot)>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Outcomes told of stored batches through `tx` (a producer callback).
    pub(crate) fn with_callback(tx: async_channel::Sender<ProduceCompletionBatchEvent>) -> Self {
        Self {
            slots: Mutex::default(),
            callback: Some(BatchCallback {
                sent: Mutex::default(),
                tx,
            }),
        }
    }

    /// A record `id` of `bytes` bytes was queued; `track`: someone will wait for it.
    pub(crate) fn sent(&self, id: SendId, track: bool, bytes: usize) {
        if track {
            self.register(id);
        }
        if let Some(cb) = &self.callback {
            let record = SentRecord {
                bytes: bytes as u64,
                at: Instant::now(),
            };
            cb.sent
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, record);
        }
    }

    /// Tells the callback (if any) of a batch of `ids` stored, or forgets them on failure.
    fn batch_done(&self, ids: &[SendId], partition: u32, stored: bool) {
        let Some(cb) = &self.callback else {
            return;
        };
        let (mut bytes, mut first) = (0u64, None::<Instant>);
        {
            let mut sent = cb.sent.lock().unwrap_or_else(PoisonError::into_inner);
            for id in ids {
                if let Some(r) = sent.remove(id) {
                    bytes += r.bytes;
                    first = Some(first.map_or(r.at, |f| f.min(r.at)));
                }
            }
        }
        if stored {
            let created_at = first.unwrap_or_else(Instant::now);
            // Unbounded: never fails while the callback task runs.
            let _ = cb.tx.try_send(ProduceCompletionBatchEvent {
                bytes_size: bytes,
                records_len: ids.len() as u64,
                partition,
                created_at,
                elapsed: created_at.elapsed(),
            });
        }
    }

    /// Starts waiting for `id` (greater than every id registered before).
    pub(crate) fn register(&self, id: SendId) {
        self.lock().push_back((id, Slot::Waiting(None)));
    }

    /// Starts waiting for each id of `ids` (increasing, greater than every id registered
    /// before) under one lock, and tells the callback (if any) of them as [`sent`](Self::sent).
    pub(crate) fn sent_many(&self, ids: &[(SendId, usize)]) {
        {
            let mut slots = self.lock();
            slots.extend(ids.iter().map(|(id, _)| (*id, Slot::Waiting(None))));
        }
        if let Some(cb) = &self.callback {
            let at = Instant::now();
            let mut sent = cb.sent.lock().unwrap_or_else(PoisonError::into_inner);
            for (id, bytes) in ids {
                let bytes = *bytes as u64;
                sent.insert(*id, SentRecord { bytes, at });
            }
        }
    }

    /// Takes the outcomes of `entries` in order from `*next` on, under one lock, until one
    /// is not resolved yet: then registers `cx`'s waker on that one alone and is pending
    /// (the later ones are looked at once it is resolved). Ready once every entry holds
    /// its outcome. Entries whose slot is missing or taken get [`Error::Closed`], as
    /// [`poll`](Self::poll) answers.
    pub(crate) fn poll_batch(
        &self,
        entries: &mut [BatchEntry],
        next: &mut usize,
        cx: &Context<'_>,
    ) -> Poll<()> {
        let mut slots = self.lock();
        // Ids increase along `entries` as along `slots`: walk both once.
        let mut at = 0;
        let mut first = true;
        let mut took = false;
        while let Some(entry) = entries.get_mut(*next) {
            let BatchEntry::Waiting(id) = *entry else {
                *next += 1;
                continue;
            };
            if first {
                at = slots.partition_point(|(s, _)| *s < id);
                first = false;
            }
            while slots.get(at).is_some_and(|(s, _)| *s < id) {
                at += 1;
            }
            let slot = match slots.get_mut(at) {
                Some((s, slot)) if *s == id => slot,
                // Never registered or already taken: as `poll`.
                _ => {
                    *entry = BatchEntry::Done(Err(Error::Closed));
                    *next += 1;
                    continue;
                }
            };
            match slot {
                Slot::Waiting(waker) => {
                    match waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => *waker = Some(cx.waker().clone()),
                    }
                    if took {
                        Self::trim(&mut slots);
                    }
                    return Poll::Pending;
                }
                Slot::Done(_) => {
                    let Slot::Done(result) = std::mem::replace(slot, Slot::Gone) else {
                        continue;
                    };
                    *entry = BatchEntry::Done(result.map_err(Error::from));
                }
                Slot::Gone => *entry = BatchEntry::Done(Err(Error::Closed)),
            }
            took = true;
            *next += 1;
        }
        if took {
            Self::trim(&mut slots);
        }
        Poll::Ready(())
    }

    /// Nobody waits for the ids of `entries` still waiting any more.
    pub(crate) fn forget_batch(&self, entries: &[BatchEntry]) {
        let mut slots = self.lock();
        let mut at = None;
        for entry in entries {
            let BatchEntry::Waiting(id) = *entry else {
                continue;
            };
            let mut i = at.unwrap_or_else(|| slots.partition_point(|(s, _)| *s < id));
            while slots.get(i).is_some_and(|(s, _)| *s < id) {
                i += 1;
            }
            if let Some((s, slot)) = slots.get_mut(i)
                && *s == id
            {
                *slot = Slot::Gone;
            }
            at = Some(i);
        }
        Self::trim(&mut slots);
    }

    /// Resolves `ids` (increasing): a record stored at `first_offset + i` for the `i`-th,
    /// or the failure. Ids nobody waits for are skipped.
    pub(crate) fn resolve(
        &self,
        ids: &[SendId],
        partition: u32,
        first_offset: i64,
        error: Option<&ProduceError>,
    ) {
        self.batch_done(ids, partition, error.is_none());
        let Some(first) = ids.first() else {
            return;
        };
        let mut slots = self.lock();
        let mut at = slots.partition_point(|(id, _)| id < first);
        for (i, id) in ids.iter().enumerate() {
            while slots.get(at).is_some_and(|(s, _)| s < id) {
                at += 1;
            }
            let Some((s, slot)) = slots.get_mut(at) else {
                break;
            };
            if s != id {
                continue;
            }
            if let Slot::Waiting(waker) = slot {
                let waker = waker.take();
                let offset = first_offset.saturating_add(i64::try_from(i).unwrap_or(i64::MAX));
                *slot = Slot::Done(match error {
                    None => Ok(RecordMetadata { partition, offset }),
                    Some(e) => Err(Failure::Produce(Box::new(e.clone()))),
                });
                if let Some(w) = waker {
                    w.wake();
                }
            }
        }
    }

    /// Fails every record still waiting with [`Error::Closed`] (the client closed).
    pub(crate) fn fail_all(&self) {
        for (_, slot) in self.lock().iter_mut() {
            if let Slot::Waiting(waker) = slot {
                let waker = waker.take();
                *slot = Slot::Done(Err(Failure::Closed));
                if let Some(w) = waker {
                    w.wake();
                }
            }
        }
    }

    /// Takes the outcome of `id`, or registers `cx`'s waker.
    pub(crate) fn poll(&self, id: SendId, cx: &Context<'_>) -> Poll<Result<RecordMetadata, Error>> {
        let mut slots = self.lock();
        let Ok(at) = slots.binary_search_by_key(&id, |(s, _)| *s) else {
            return Poll::Ready(Err(Error::Closed));
        };
        let slot = &mut slots[at].1;
        match slot {
            Slot::Waiting(waker) => {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Slot::Done(_) => {
                let Slot::Done(result) = std::mem::replace(slot, Slot::Gone) else {
                    return Poll::Ready(Err(Error::Closed));
                };
                Self::trim(&mut slots);
                Poll::Ready(result.map_err(Error::from))
            }
            Slot::Gone => Poll::Ready(Err(Error::Closed)),
        }
    }

    /// Nobody waits for `id` any more.
    pub(crate) fn forget(&self, id: SendId) {
        let mut slots = self.lock();
        if let Ok(at) = slots.binary_search_by_key(&id, |(s, _)| *s) {
            slots[at].1 = Slot::Gone;
            Self::trim(&mut slots);
        }
    }

    /// Drops the gone slots at the front.
    fn trim(slots: &mut VecDeque<(SendId, Slot)>) {
        while matches!(slots.front(), Some((_, Slot::Gone))) {
            slots.pop_front();
        }
    }

    /// Slots held (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    #[test]
    fn outcomes_by_id_across_interleaved_batches() {
        let d = Deliveries::default();
        for id in 1..=6 {
            d.register(SendId(id));
        }
        // Two partitions, records alternating: batch of partition 0 is 1, 3, 5.
        d.resolve(&[SendId(1), SendId(3), SendId(5)], 0, 100, None);
        assert!(d.poll(SendId(2), &cx()).is_pending());
        let r = d.poll(SendId(3), &cx());
        assert!(matches!(
            r,
            Poll::Ready(Ok(RecordMetadata {
                partition: 0,
                offset: 101
            }))
        ));
        let error = ProduceError::Rejected(flv_core::error_code::ErrorCode::NotLeaderForPartition);
        d.resolve(&[SendId(2), SendId(4), SendId(6)], 1, 7, Some(&error));
        assert!(matches!(
            d.poll(SendId(4), &cx()),
            Poll::Ready(Err(Error::Producer(_)))
        ));
        // Taken twice: gone.
        assert!(matches!(
            d.poll(SendId(3), &cx()),
            Poll::Ready(Err(Error::Closed))
        ));
        for id in [1, 2, 5, 6] {
            d.forget(SendId(id));
        }
        assert_eq!(d.len(), 0, "every slot taken or forgotten is dropped");
    }

    /// A batch's outcomes are taken in order under one lock; it waits on its first
    /// unresolved record only, and dropping it midway frees every slot it held.
    #[test]
    fn batch_outcomes_in_order_across_partitions() {
        let d = Deliveries::default();
        // 5 is someone else's record, queued between the batch's.
        let ids = [(SendId(1), 10), (SendId(2), 10), (SendId(3), 10)];
        d.sent_many(&ids);
        d.register(SendId(5));
        d.sent_many(&[(SendId(6), 10), (SendId(7), 10)]);
        let mut entries = vec![
            BatchEntry::Waiting(SendId(1)),
            BatchEntry::Waiting(SendId(2)),
            BatchEntry::Done(Err(Error::Closed)),
            BatchEntry::Waiting(SendId(3)),
            BatchEntry::Waiting(SendId(6)),
            BatchEntry::Waiting(SendId(7)),
        ];
        let mut next = 0;
        assert!(d.poll_batch(&mut entries, &mut next, &cx()).is_pending());
        assert_eq!(next, 0);
        // Partition 1 (records 2, 6) is stored before partition 0 (1, 3, 7).
        d.resolve(&[SendId(2), SendId(6)], 1, 50, None);
        assert!(d.poll_batch(&mut entries, &mut next, &cx()).is_pending());
        assert_eq!(next, 0, "still waiting for the first");
        d.resolve(&[SendId(1), SendId(3), SendId(7)], 0, 8, None);
        assert!(d.poll_batch(&mut entries, &mut next, &cx()).is_ready());
        assert_eq!(next, entries.len());
        let got: Vec<Option<(u32, i64)>> = entries
            .iter()
            .map(|e| match e {
                BatchEntry::Done(Ok(m)) => Some((m.partition, m.offset)),
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            [
                Some((0, 8)),
                Some((1, 50)),
                None,
                Some((0, 9)),
                Some((1, 51)),
                Some((0, 10))
            ]
        );
        // The taken slots before the other record's are dropped, those after it wait.
        assert_eq!(d.len(), 3);

        // A batch dropped while waiting: its slots go, the other one stays.
        d.sent_many(&[(SendId(8), 1), (SendId(9), 1)]);
        let waiting = [
            BatchEntry::Waiting(SendId(8)),
            BatchEntry::Waiting(SendId(9)),
        ];
        d.forget_batch(&waiting);
        assert!(d.poll(SendId(5), &cx()).is_pending());
        d.forget(SendId(5));
        assert_eq!(d.len(), 0, "every slot freed");
    }

    /// A record the batch never registered, or took already, answers `Closed` as `poll`.
    #[test]
    fn batch_entries_without_a_slot_are_closed() {
        let d = Deliveries::default();
        d.sent_many(&[(SendId(4), 1)]);
        d.resolve(&[SendId(4)], 0, 0, None);
        let mut entries = vec![
            BatchEntry::Waiting(SendId(3)),
            BatchEntry::Waiting(SendId(4)),
        ];
        let mut next = 0;
        assert!(d.poll_batch(&mut entries, &mut next, &cx()).is_ready());
        assert!(matches!(entries[0], BatchEntry::Done(Err(Error::Closed))));
        assert!(matches!(entries[1], BatchEntry::Done(Ok(_))));
        let mut again = vec![BatchEntry::Waiting(SendId(4))];
        let mut next = 0;
        assert!(d.poll_batch(&mut again, &mut next, &cx()).is_ready());
        assert!(matches!(again[0], BatchEntry::Done(Err(Error::Closed))));
    }

    #[test]
    fn unknown_ids_are_skipped_and_close_fails_the_rest() {
        let d = Deliveries::default();
        d.register(SendId(10));
        d.register(SendId(12));
        // 11 was sent untracked (a sink send).
        d.resolve(&[SendId(11), SendId(12)], 2, 40, None);
        let r = d.poll(SendId(12), &cx());
        assert!(matches!(
            r,
            Poll::Ready(Ok(RecordMetadata { offset: 41, .. }))
        ));
        d.fail_all();
        assert!(matches!(
            d.poll(SendId(10), &cx()),
            Poll::Ready(Err(Error::Closed))
        ));
        assert_eq!(d.len(), 0);
    }
}
