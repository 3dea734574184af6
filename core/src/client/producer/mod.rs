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

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

mod delivery;
pub mod partitioner;
mod queue;
mod readback;
mod send;

use super::config::{DeliverySemantic, ProducerConfig};
use super::error::{ClientError, Misuse, ProduceError};
use super::event::{Event, FlushId, ProducerId};
use super::net::Net;
use super::net::SpuWait;
use crate::protocol::record::Compression;
use crate::protocol::sc::topic::CompressionAlgorithm;
use crate::time::Instant;
use partitioner::Partitioner;
pub(crate) use queue::{InFlight, PartQueue, PendingBatch, ReadBack};

#[derive(Debug)]
enum State {
    Creating { deadline: Instant },
    Ready,
    Failed,
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
    /// The 63-bit producer id stamped on every batch (exactly-once), or `None`.
    pub(crate) stamp: Option<i64>,
}

#[derive(Debug)]
struct PartitionCache {
    generation: u64,
    count: u32,
    online: Vec<u32>,
}

impl Producer {
    /// When [`handle_timeout`](Self::handle_timeout) has something to do.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let creating = match self.state {
            State::Creating { deadline } => Some(deadline),
            _ => None,
        };
        let linger = self.config.linger;
        self.parts
            .values()
            .filter_map(|q| q.poll_timeout(linger))
            .chain(creating)
            .min()
    }

    /// Fires the producer's timers: creation timeout (an error to report), then each
    /// partition's; returns the batches past their delivery deadline with their error.
    fn handle_timeout(&mut self, now: Instant) -> Expired {
        if let State::Creating { deadline } = self.state
            && deadline <= now
        {
            self.state = State::Failed;
            return Expired::Creation;
        }
        let linger = self.config.linger;
        let cause = ClientError::DeliveryTimeout(self.max_delivery());
        let mut expired = Vec::new();
        for (part, q) in self.parts.iter_mut() {
            for b in q.handle_timeout(now, linger) {
                let error = if b.unknown {
                    ProduceError::OutcomeUnknown(cause.clone())
                } else {
                    ProduceError::NotDelivered(cause.clone())
                };
                expired.push((*part, b, error));
            }
        }
        Expired::Batches(expired)
    }

    /// The most batches unresolved in one partition.
    pub(crate) fn max_unresolved(&self) -> usize {
        self.parts
            .values()
            .map(PartQueue::unresolved)
            .max()
            .unwrap_or(0)
    }

    fn max_delivery(&self) -> Duration {
        match self.config.delivery_semantic {
            DeliverySemantic::AtLeastOnce(p) => self.config.delivery_timeout.min(p.timeout),
            DeliverySemantic::AtMostOnce => self.config.delivery_timeout,
        }
    }
}

/// What a producer's timeout expired.
enum Expired {
    /// The topic did not show up in the metadata in time.
    Creation,
    /// Unsent batches past their delivery deadline, with their partition and error.
    Batches(Vec<(u32, PendingBatch, ProduceError)>),
}

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
        Some(c) => Err(ClientError::Misuse(Misuse::InvalidConfig(format!(
            "compression {} conflicts with the topic's {}",
            c.name(),
            required.name()
        )))),
    }
}

/// The producer component: every producer with its partition queues, and the partitions
/// whose sends wait for the next drain of the outputs.
#[derive(Debug)]
pub(crate) struct Producers {
    map: BTreeMap<ProducerId, Producer>,
    /// Partitions whose sends wait for the next drain to go out (see
    /// [`Producers::send`]), and the time of the last such send.
    deferred: Vec<(ProducerId, u32)>,
    deferred_at: Instant,
}

impl Producers {
    /// No producer yet.
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            map: BTreeMap::new(),
            deferred: Vec::new(),
            deferred_at: now,
        }
    }

    /// When the producers' next timer fires.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.map.values().filter_map(Producer::poll_timeout).min()
    }

    /// The most batches unresolved in one partition of any producer.
    pub(crate) fn max_unresolved(&self) -> usize {
        self.map
            .values()
            .map(Producer::max_unresolved)
            .max()
            .unwrap_or(0)
    }

    /// Whether sends wait for the next drain.
    pub(crate) fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }
}

impl Producers {
    /// Creates a producer for `topic`. It becomes usable after
    /// [`Event::ProducerCreated`] with `Ok` (once the topic is in the metadata).
    pub(crate) fn create_producer(
        &mut self,
        net: &mut Net,
        topic: impl Into<String>,
        config: ProducerConfig,
        now: Instant,
    ) -> Result<ProducerId, ClientError> {
        if config.batch_queue_size == 0 || config.max_in_flight == 0 || config.max_request_size == 0
        {
            return Err(ClientError::Misuse(Misuse::InvalidConfig(
                "batch_queue_size, max_in_flight and max_request_size must be positive".into(),
            )));
        }
        let id = ProducerId(net.next_id());
        let partitioner = Partitioner::new(config.partitioner.clone());
        let stamp = config
            .exactly_once
            .then(|| i64::try_from(net.rng.next_u64() >> 1).unwrap_or(i64::MAX));
        self.map.insert(
            id,
            Producer {
                topic: topic.into(),
                config,
                state: State::Creating {
                    deadline: now + net.config.metadata_timeout,
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
                stamp,
            },
        );
        self.finish_create(net, id);
        Ok(id)
    }

    fn finish_create(&mut self, net: &mut Net, id: ProducerId) {
        if !net.metadata.is_synced() {
            return;
        }
        let Some(p) = self.map.get(&id) else {
            return;
        };
        if !matches!(p.state, State::Creating { .. }) {
            return;
        }
        let result = match net.metadata.topic(&p.topic) {
            None => Err(ClientError::TopicNotFound(p.topic.clone())),
            Some(_) if net.metadata.partition_count(&p.topic) == 0 => {
                Err(ClientError::PartitionNotFound {
                    topic: p.topic.clone(),
                    partition: 0,
                })
            }
            Some(t) => resolve_compression(t.spec.compression_type, p.config.compression),
        };
        let Some(p) = self.map.get_mut(&id) else {
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
        net.events.push_back(Event::ProducerCreated {
            producer: id,
            result,
        });
    }

    pub(crate) fn metadata_changed(&mut self, net: &mut Net) {
        let ids: Vec<ProducerId> = self.map.keys().copied().collect();
        for id in ids {
            self.finish_create(net, id);
        }
    }

    /// Sends every queued record now; [`Event::Flushed`] reports when all records sent
    /// before this call are resolved.
    pub(crate) fn flush(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        now: Instant,
    ) -> Result<FlushId, ClientError> {
        self.start_flush(net, producer, false, now)
    }

    /// Flushes, then removes the producer (reported by [`Event::Flushed`]).
    pub(crate) fn close_producer(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        now: Instant,
    ) -> Result<FlushId, ClientError> {
        self.start_flush(net, producer, true, now)
    }

    fn start_flush(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        close: bool,
        now: Instant,
    ) -> Result<FlushId, ClientError> {
        let id = FlushId(net.next_id());
        let p = self
            .map
            .get_mut(&producer)
            .ok_or(ClientError::Misuse(Misuse::UnknownId("producer")))?;
        p.closing |= close;
        for q in p.parts.values_mut() {
            q.flush();
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
            self.pump_partition(net, producer, part, now);
        }
        self.check_flushes(net, producer);
        Ok(id)
    }

    pub(crate) fn check_flushes(&mut self, net: &mut Net, producer: ProducerId) {
        let Some(p) = self.map.get_mut(&producer) else {
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
            net.events.push_back(Event::Flushed {
                producer,
                flush,
                result: err.map_or(Ok(()), Err),
            });
        }
        if close {
            self.map.remove(&producer);
        }
    }

    pub(crate) fn pump(&mut self, net: &mut Net, now: Instant) {
        let work: Vec<(ProducerId, u32)> = self
            .map
            .iter()
            .flat_map(|(id, p)| p.parts.keys().map(move |k| (*id, *k)))
            .collect();
        for (id, part) in work {
            self.pump_partition(net, id, part, now);
        }
    }

    pub(crate) fn handle_timeout(&mut self, net: &mut Net, now: Instant) {
        let ids: Vec<ProducerId> = self.map.keys().copied().collect();
        for id in ids {
            let Some(p) = self.map.get_mut(&id) else {
                continue;
            };
            let expired = match p.handle_timeout(now) {
                Expired::Creation => {
                    let e = ClientError::MetadataTimeout(net.config.metadata_timeout);
                    net.events.push_back(Event::ProducerCreated {
                        producer: id,
                        result: Err(e),
                    });
                    continue;
                }
                Expired::Batches(expired) => expired,
            };
            for (part, b, mut error) in expired {
                if let Some(offset) = b.found.or(b.stored_at) {
                    // Stored by the leader, never covered by the high watermark: name
                    // the replicas that hold it back.
                    let replicas = self
                        .lagging_replicas(net, id, part)
                        .unwrap_or_else(|| "no replica is known to lag".to_string());
                    error = ProduceError::OutcomeUnknown(ClientError::NotCommitted {
                        partition: part,
                        offset,
                        replicas,
                    });
                } else {
                    // A read-committed batch that timed out otherwise: name the replicas
                    // its partition waits for, if the SC reports some behind.
                    error = match error {
                        ProduceError::NotDelivered(c) => {
                            ProduceError::NotDelivered(self.replicas_behind(net, id, part, c))
                        }
                        ProduceError::OutcomeUnknown(c) => {
                            ProduceError::OutcomeUnknown(self.replicas_behind(net, id, part, c))
                        }
                        other => other,
                    };
                }
                self.resolve_failed(net, id, part, b, error);
            }
            let parts: Vec<u32> = self
                .map
                .get(&id)
                .map(|p| p.parts.keys().copied().collect())
                .unwrap_or_default();
            for part in parts {
                self.pump_partition(net, id, part, now);
            }
            self.check_flushes(net, id);
        }
    }

    /// Sends what a partition may send now.
    pub(crate) fn pump_partition(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        now: Instant,
    ) {
        loop {
            let Some(p) = self.map.get(&producer) else {
                return;
            };
            if !matches!(p.state, State::Ready) {
                return;
            }
            let Some(q) = p.parts.get(&partition) else {
                return;
            };
            let read_back = q.may_read_back();
            if !read_back && !q.may_send(p.config.max_in_flight) {
                return;
            }
            let topic = p.topic.clone();
            let Some(leader) = net.metadata.leader(&topic, partition) else {
                return;
            };
            let conn = match net.spu_conn(leader, now) {
                Ok(c) => c,
                Err(SpuWait::Until(t)) => {
                    if let Some(q) = self
                        .map
                        .get_mut(&producer)
                        .and_then(|p| p.parts.get_mut(&partition))
                    {
                        q.wait_spu = Some(t);
                    }
                    return;
                }
                Err(SpuWait::NoAddress) => return,
            };
            if !net.spu_ready(leader) {
                return;
            }
            if read_back {
                self.send_read_back(net, producer, partition, conn, now);
                return;
            }
            if !self.send_request(net, producer, partition, conn, now) {
                return;
            }
        }
    }
}
