//! Producers: per-partition accumulation, pipelined delivery, ordered retries.
//!
//! Each partition keeps a queue of batches in creation order (`seq`). The last batch
//! is open for records until it is taken into a request; it is *ready* once full, once
//! its linger expired, or when a flush asks for it. With no linger a batch that is not
//! full goes out at once when its partition has no request in flight, and otherwise
//! keeps taking records until it is full or the partition is idle again: under load
//! the records sent during a round trip travel together (as Nagle's algorithm does
//! for bytes), at no cost to latency when idle; full batches are pipelined as usual. Up to `max_in_flight` produce
//! requests per partition travel on the one connection to the leader SPU, which
//! processes them in order. After a retriable failure the partition stops sending
//! until every request in flight is resolved, puts the failed batches back at the front
//! of the queue in `seq` order, waits for the retry delay (and for the metadata to name
//! a reachable leader), and re-sends from the first unacknowledged batch, one request at
//! a time until one succeeds. No later batch is sent while an earlier one waits for a
//! retry. (A request that succeeds although an earlier one in flight failed cannot be
//! undone; without idempotent producers no client can prevent that.)

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use bytes::Bytes;

use super::config::{DeliverySemantic, ProducerConfig};
use super::error::{ClientError, ProduceError, SendError};
use super::event::{ConnId, Event, FlushId, ProducerId, SendId};
use super::{Client, SpuWait, Tag};
use crate::message::AnyRequest;
use crate::producer::partitioner::Partitioner;
use crate::record::{BATCH_FIXED_SIZE, Batch, BatchBuilder, Compression, NO_TIMESTAMP, Record};
use crate::sc::topic::CompressionAlgorithm;
use crate::spu::produce::{PartitionProduceData, ProduceRequest, TopicProduceData};
use crate::time::Instant;

#[derive(Debug)]
enum State {
    Creating { deadline: Instant },
    Ready,
    Failed,
}

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
    /// the module documentation).
    pub(crate) eager: bool,
    /// Attempts that reached the SPU (or may have).
    pub(crate) attempts: u32,
    /// Some attempt was written and never answered.
    pub(crate) unknown: bool,
}

impl PendingBatch {
    fn size(&self) -> usize {
        match (&self.builder, &self.built) {
            (Some(b), _) => b.encoded_size(),
            (None, Some(b)) => b.encoded_size(),
            (None, None) => 0,
        }
    }
}

#[derive(Debug)]
pub(crate) struct InFlight {
    pub(crate) request: u64,
    pub(crate) batches: Vec<PendingBatch>,
}

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
    fn may_send(&self, max_in_flight: usize) -> bool {
        let limit = if self.recovering { 1 } else { max_in_flight };
        self.retry_at.is_none()
            && self.in_flight.len() < limit
            && self.queue.front().is_some_and(|f| self.sendable(f))
    }

    pub(crate) fn unresolved(&self) -> usize {
        self.queue.len()
            + self
                .in_flight
                .iter()
                .map(|f| f.batches.len())
                .sum::<usize>()
    }
}

#[derive(Debug)]
pub(crate) struct Flush {
    pub(crate) id: FlushId,
    pub(crate) upto: u64,
    pub(crate) first_error: Option<ProduceError>,
    pub(crate) close: bool,
}

/// A producer's state.
#[derive(Debug)]
pub(crate) struct Producer {
    pub(crate) topic: String,
    pub(crate) config: ProducerConfig,
    state: State,
    pub(crate) compression: Compression,
    pub(crate) partitioner: Partitioner,
    pub(crate) parts: BTreeMap<u32, PartQueue>,
    pub(crate) next_seq: u64,
    pub(crate) next_request: u64,
    pub(crate) unresolved: BTreeSet<u64>,
    pub(crate) flushes: Vec<Flush>,
    pub(crate) blocked: bool,
    pub(crate) closing: bool,
    /// The topic's partition count and online partitions, as of a metadata generation
    /// (looked up once per metadata change instead of once per record).
    partitions: Option<PartitionCache>,
}

#[derive(Debug)]
struct PartitionCache {
    generation: u64,
    count: u32,
    online: Vec<u32>,
}

impl Producer {
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut add = |x: Instant| t = Some(t.map_or(x, |t| t.min(x)));
        if let State::Creating { deadline } = self.state {
            add(deadline);
        }
        for q in self.parts.values() {
            if let Some(r) = q.retry_at {
                add(r);
            }
            if let Some(w) = q.wait_spu {
                add(w);
            }
            if let Some(b) = q.queue.front() {
                add(b.deadline);
            }
            if let Some(b) = q.queue.back()
                && !b.ready
                && !b.eager
            {
                add(b.created + self.config.linger);
            }
        }
        t
    }

    fn max_delivery(&self) -> Duration {
        match self.config.delivery_semantic {
            DeliverySemantic::AtLeastOnce(p) => self.config.delivery_timeout.min(p.timeout),
            DeliverySemantic::AtMostOnce => self.config.delivery_timeout,
        }
    }
}

/// The uncompressed size of a batch without records (header and record count).
const EMPTY_BATCH_SIZE: usize = BATCH_FIXED_SIZE + 4;

/// The codec a producer uses, given the topic's rule (upstream
/// `determine_producer_compression_algo`).
pub(crate) fn resolve_compression(
    topic: CompressionAlgorithm,
    configured: Option<Compression>,
) -> Result<Compression, ClientError> {
    let required = match topic {
        CompressionAlgorithm::Any => return Ok(configured.unwrap_or(Compression::None)),
        CompressionAlgorithm::None => Compression::None,
        CompressionAlgorithm::Gzip => Compression::Gzip,
        CompressionAlgorithm::Snappy => Compression::Snappy,
        CompressionAlgorithm::Lz4 => Compression::Lz4,
        CompressionAlgorithm::Zstd => Compression::Zstd,
    };
    match configured {
        None => Ok(required),
        Some(c) if c == required => Ok(c),
        Some(c) => Err(ClientError::InvalidConfig(format!(
            "compression {} conflicts with the topic's {}",
            c.name(),
            required.name()
        ))),
    }
}

impl Client {
    /// Creates a producer for `topic`. It becomes usable after
    /// [`Event::ProducerCreated`] with `Ok` (once the topic is in the metadata).
    pub fn create_producer(
        &mut self,
        topic: impl Into<String>,
        config: ProducerConfig,
        now: Instant,
    ) -> Result<ProducerId, ClientError> {
        if config.batch_queue_size == 0 || config.max_in_flight == 0 || config.max_request_size == 0
        {
            return Err(ClientError::InvalidConfig(
                "batch_queue_size, max_in_flight and max_request_size must be positive".into(),
            ));
        }
        let id = ProducerId(self.next_id());
        let partitioner = Partitioner::new(config.partitioner.clone());
        self.producers.insert(
            id,
            Producer {
                topic: topic.into(),
                config,
                state: State::Creating {
                    deadline: now + self.config.metadata_timeout,
                },
                compression: Compression::None,
                partitioner,
                parts: BTreeMap::new(),
                next_seq: 0,
                next_request: 0,
                unresolved: BTreeSet::new(),
                flushes: Vec::new(),
                blocked: false,
                closing: false,
                partitions: None,
            },
        );
        self.finish_create(id);
        Ok(id)
    }

    fn finish_create(&mut self, id: ProducerId) {
        if !self.metadata.is_synced() {
            return;
        }
        let Some(p) = self.producers.get(&id) else {
            return;
        };
        if !matches!(p.state, State::Creating { .. }) {
            return;
        }
        let result = match self.metadata.topic(&p.topic) {
            None => Err(ClientError::TopicNotFound(p.topic.clone())),
            Some(_) if self.metadata.partition_count(&p.topic) == 0 => {
                Err(ClientError::PartitionNotFound {
                    topic: p.topic.clone(),
                    partition: 0,
                })
            }
            Some(t) => resolve_compression(t.spec.compression_type, p.config.compression),
        };
        let Some(p) = self.producers.get_mut(&id) else {
            return;
        };
        let result = match result {
            Ok(c) => {
                p.compression = c;
                p.state = State::Ready;
                Ok(())
            }
            Err(e) => {
                p.state = State::Failed;
                Err(e)
            }
        };
        self.events.push_back(Event::ProducerCreated {
            producer: id,
            result,
        });
    }

    pub(crate) fn producers_metadata_changed(&mut self, _now: Instant) {
        let ids: Vec<ProducerId> = self.producers.keys().copied().collect();
        for id in ids {
            self.finish_create(id);
        }
    }

    /// Queues a record; `Ok` carries its id, resolved later by [`Event::Delivered`] or
    /// [`Event::SendFailed`]. What may be sent goes out at the next drain of the outputs
    /// ([`poll_io`](Self::poll_io), [`poll_transmit`](Self::poll_transmit),
    /// [`poll_event`](Self::poll_event)), with every record queued by then.
    pub fn send(
        &mut self,
        producer: ProducerId,
        key: Option<Bytes>,
        value: Bytes,
        now: Instant,
    ) -> Result<SendId, SendError> {
        let wall = self.wall_ms(now);
        match self.producers.get(&producer) {
            None => return Err(SendError::Closed),
            Some(p) if p.closing => return Err(SendError::Closed),
            Some(p) if !matches!(p.state, State::Ready) => return Err(SendError::NotReady),
            Some(_) => {}
        }
        let send_id = SendId(self.next_id());
        let Some(p) = self.producers.get_mut(&producer) else {
            return Err(SendError::Closed);
        };
        let generation = self.metadata.generation();
        if p.partitions
            .as_ref()
            .is_none_or(|c| c.generation != generation)
        {
            p.partitions = Some(PartitionCache {
                generation,
                count: self.metadata.partition_count(&p.topic),
                online: self.metadata.online_partitions(&p.topic),
            });
        }
        let (count, online) = match &p.partitions {
            Some(c) => (c.count, c.online.as_slice()),
            None => (0, &[][..]),
        };
        let partition = p.partitioner.partition(key.as_deref(), count, online);
        if partition >= count {
            return Err(SendError::PartitionNotFound(partition));
        }
        let mut record = Record {
            key,
            value,
            ..Record::default()
        };
        // A record alone (deltas 0) must fit in a request. Sizes are computed on the
        // record itself, its deltas set as they would be: no builder, no clone per send.
        let alone = EMPTY_BATCH_SIZE + record.encoded_size();
        if alone > p.config.max_request_size {
            return Err(SendError::RecordTooLarge {
                size: alone,
                max: p.config.max_request_size,
            });
        }
        let max_delivery = p.max_delivery();
        let linger_zero = p.config.linger.is_zero();
        let (batch_size, queue_size) = (p.config.batch_size, p.config.batch_queue_size);
        let max_in_flight = p.config.max_in_flight;
        let compression = p.compression;
        let q = p.parts.entry(partition).or_default();
        let delta = |first_ts: i64| match wall {
            Some(w) if first_ts != NO_TIMESTAMP => w.saturating_sub(first_ts).max(0),
            _ => 0,
        };
        let fits = match q.queue.back() {
            Some(PendingBatch {
                builder: Some(builder),
                first_ts,
                ..
            }) => {
                record.offset_delta = i64::try_from(builder.len()).unwrap_or(i64::MAX);
                record.timestamp_delta = delta(*first_ts);
                builder.encoded_size() + record.encoded_size() <= batch_size
            }
            _ => false,
        };
        if !fits {
            if q.unresolved() >= queue_size {
                p.blocked = true;
                return Err(SendError::QueueFull { partition });
            }
            let seq = p.next_seq;
            p.next_seq += 1;
            p.unresolved.insert(seq);
            let first_ts = wall.unwrap_or(NO_TIMESTAMP);
            q.queue.push_back(PendingBatch {
                seq,
                builder: Some(BatchBuilder::new(compression, first_ts)),
                built: None,
                first_ts,
                sends: Vec::new(),
                created: now,
                deadline: now + max_delivery,
                ready: false,
                eager: linger_zero,
                attempts: 0,
                unknown: false,
            });
        }
        let Some(batch) = q.queue.back_mut() else {
            return Err(SendError::Closed);
        };
        record.timestamp_delta = delta(batch.first_ts);
        let Some(builder) = batch.builder.as_mut() else {
            return Err(SendError::Closed);
        };
        if builder.push(record).is_err() {
            return Err(SendError::RecordTooLarge {
                size: alone,
                max: p.config.max_request_size,
            });
        }
        batch.sends.push(send_id);
        // The request is built when the driver next drains the client, so that records
        // sent until then join the batch: batching grows with the load, with no linger.
        // Nothing is to be drained while the partition may not send (a request in
        // flight and the batch not full, a retry pending): the response, the timer or
        // the record that fills the batch will pump it, and the driver is not woken
        // for every record.
        if q.may_send(max_in_flight) && !self.deferred.contains(&(producer, partition)) {
            self.deferred.push((producer, partition));
        }
        self.deferred_at = self.deferred_at.max(now);
        Ok(send_id)
    }

    /// Sends what the partitions written to since the last drain may send.
    pub(crate) fn run_deferred(&mut self) {
        if self.deferred.is_empty() {
            return;
        }
        let now = self.deferred_at;
        for (producer, partition) in std::mem::take(&mut self.deferred) {
            self.pump_partition(producer, partition, now);
        }
    }

    /// Sends every queued record now; [`Event::Flushed`] reports when all records sent
    /// before this call are resolved.
    pub fn flush(&mut self, producer: ProducerId, now: Instant) -> Result<FlushId, ClientError> {
        self.start_flush(producer, false, now)
    }

    /// Flushes, then removes the producer (reported by [`Event::Flushed`]).
    pub fn close_producer(
        &mut self,
        producer: ProducerId,
        now: Instant,
    ) -> Result<FlushId, ClientError> {
        self.start_flush(producer, true, now)
    }

    fn start_flush(
        &mut self,
        producer: ProducerId,
        close: bool,
        now: Instant,
    ) -> Result<FlushId, ClientError> {
        let id = FlushId(self.next_id());
        let p = self
            .producers
            .get_mut(&producer)
            .ok_or(ClientError::UnknownId("producer"))?;
        p.closing |= close;
        for q in p.parts.values_mut() {
            for b in q.queue.iter_mut() {
                b.ready = true;
            }
        }
        let upto = p.next_seq;
        p.flushes.push(Flush {
            id,
            upto,
            first_error: None,
            close,
        });
        let parts: Vec<u32> = p.parts.keys().copied().collect();
        for part in parts {
            self.pump_partition(producer, part, now);
        }
        self.check_flushes(producer);
        Ok(id)
    }

    pub(crate) fn check_flushes(&mut self, producer: ProducerId) {
        let Some(p) = self.producers.get_mut(&producer) else {
            return;
        };
        let lowest = p.unresolved.first().copied().unwrap_or(u64::MAX);
        let mut close = false;
        let mut done = Vec::new();
        p.flushes.retain(|f| {
            if lowest >= f.upto {
                close |= f.close;
                done.push((f.id, f.first_error.clone()));
                false
            } else {
                true
            }
        });
        for (flush, err) in done {
            self.events.push_back(Event::Flushed {
                producer,
                flush,
                result: err.map_or(Ok(()), Err),
            });
        }
        if close {
            self.producers.remove(&producer);
        }
    }

    pub(crate) fn producers_pump(&mut self, now: Instant) {
        let work: Vec<(ProducerId, u32)> = self
            .producers
            .iter()
            .flat_map(|(id, p)| p.parts.keys().map(move |k| (*id, *k)))
            .collect();
        for (id, part) in work {
            self.pump_partition(id, part, now);
        }
    }

    pub(crate) fn producers_timeout(&mut self, now: Instant) {
        let ids: Vec<ProducerId> = self.producers.keys().copied().collect();
        for id in ids {
            let Some(p) = self.producers.get_mut(&id) else {
                continue;
            };
            if let State::Creating { deadline } = p.state
                && deadline <= now
            {
                p.state = State::Failed;
                let e = ClientError::MetadataTimeout(self.config.metadata_timeout);
                self.events.push_back(Event::ProducerCreated {
                    producer: id,
                    result: Err(e),
                });
                continue;
            }
            let mut expired = Vec::new();
            let linger = p.config.linger;
            for (part, q) in p.parts.iter_mut() {
                if q.retry_at.is_some_and(|t| t <= now) {
                    q.retry_at = None;
                }
                if q.wait_spu.is_some_and(|t| t <= now) {
                    q.wait_spu = None;
                }
                for b in q.queue.iter_mut() {
                    if !b.ready && !b.eager && b.created + linger <= now {
                        b.ready = true;
                    }
                }
                // Unsent batches past their delivery deadline fail, oldest first; the
                // rest of the queue after a failed batch keeps its order.
                while q.queue.front().is_some_and(|b| b.deadline <= now) {
                    if let Some(b) = q.queue.pop_front() {
                        expired.push((*part, b));
                    }
                }
            }
            let timeout = p.max_delivery();
            for (part, b) in expired {
                let cause = self.replicas_behind(id, part, ClientError::DeliveryTimeout(timeout));
                let error = if b.unknown {
                    ProduceError::OutcomeUnknown(cause)
                } else {
                    ProduceError::NotDelivered(cause)
                };
                self.resolve_failed(id, part, b, error);
            }
            let parts: Vec<u32> = self
                .producers
                .get(&id)
                .map(|p| p.parts.keys().copied().collect())
                .unwrap_or_default();
            for part in parts {
                self.pump_partition(id, part, now);
            }
            self.check_flushes(id);
        }
    }

    /// Sends what a partition may send now.
    pub(crate) fn pump_partition(&mut self, producer: ProducerId, partition: u32, now: Instant) {
        loop {
            let Some(p) = self.producers.get(&producer) else {
                return;
            };
            if !matches!(p.state, State::Ready) {
                return;
            }
            if !p
                .parts
                .get(&partition)
                .is_some_and(|q| q.may_send(p.config.max_in_flight))
            {
                return;
            }
            let topic = p.topic.clone();
            let Some(leader) = self.metadata.leader(&topic, partition) else {
                return;
            };
            let conn = match self.spu_conn(leader, now) {
                Ok(c) => c,
                Err(SpuWait::Until(t)) => {
                    if let Some(q) = self
                        .producers
                        .get_mut(&producer)
                        .and_then(|p| p.parts.get_mut(&partition))
                    {
                        q.wait_spu = Some(t);
                    }
                    return;
                }
                Err(SpuWait::NoAddress) => return,
            };
            if !self.spu_ready(leader) {
                return;
            }
            if !self.send_request(producer, partition, conn, now) {
                return;
            }
        }
    }

    /// Takes ready batches from the front of the queue into one request.
    fn send_request(
        &mut self,
        producer: ProducerId,
        partition: u32,
        conn: ConnId,
        now: Instant,
    ) -> bool {
        let Some(p) = self.producers.get_mut(&producer) else {
            return false;
        };
        let request = p.next_request;
        p.next_request += 1;
        let max = p.config.max_request_size;
        let Some(q) = p.parts.get_mut(&partition) else {
            return false;
        };
        let mut batches = Vec::new();
        let mut total = 0usize;
        // (The request joins `in_flight` after the loop: `sendable` sees it as before.)
        while let Some(front) = q.queue.front() {
            if !q.sendable(front) || (!batches.is_empty() && total + front.size() > max) {
                break;
            }
            let Some(mut b) = q.queue.pop_front() else {
                break;
            };
            if let Some(builder) = b.builder.take() {
                match builder.build() {
                    Ok(batch) => b.built = Some(batch),
                    Err(e) => {
                        let error = ProduceError::Producer(ClientError::Encode(e.to_string()));
                        self.resolve_failed(producer, partition, b, error);
                        return true;
                    }
                }
            }
            total += b.size();
            b.attempts += 1;
            batches.push(b);
            if q.recovering {
                // One batch at a time until the partition works again.
                break;
            }
        }
        if batches.is_empty() {
            return false;
        }
        let retries = batches.iter().filter(|b| b.attempts > 1).count() as u64;
        self.metrics.produce_retries += retries;
        self.metrics.records_retried += batches
            .iter()
            .filter(|b| b.attempts > 1)
            .map(|b| b.sends.len() as u64)
            .sum::<u64>();
        let body = ProduceRequest {
            transactional_id: None,
            isolation: p.config.isolation,
            timeout: p.config.timeout,
            topics: vec![TopicProduceData {
                name: p.topic.clone(),
                partitions: batches
                    .iter()
                    .filter_map(|b| b.built.clone())
                    .map(|batch| PartitionProduceData {
                        partition_index: partition,
                        records: crate::record::RecordSet::from_batches(vec![batch]),
                    })
                    .collect(),
            }],
            smartmodules: p.config.smartmodules.clone(),
        };
        q.in_flight.push_back(InFlight { request, batches });
        let tag = Tag::Produce {
            producer,
            partition,
            request,
        };
        self.submit(conn, tag, AnyRequest::Produce(body), false, now);
        true
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn empty_batch_size_matches_the_builder() {
        assert_eq!(
            EMPTY_BATCH_SIZE,
            BatchBuilder::new(Compression::None, 0).encoded_size()
        );
        let record = Record {
            value: Bytes::from_static(b"value"),
            ..Record::default()
        };
        assert_eq!(
            EMPTY_BATCH_SIZE + record.encoded_size(),
            BatchBuilder::new(Compression::None, 0).encoded_size_with(&record)
        );
    }
}
