//! Consumers: start offset resolution, stream fetch with flow-controlled acks, whole
//! batches only, resumption in place.
//!
//! Per partition: (first start only) FetchConsumerOffsets to the leader of the
//! `consumer-offset` system topic when a consumer id is set, then FetchOffsets to the
//! partition leader to resolve the start offset, then StreamFetch. The SPU sends one
//! response and waits for an UpdateOffsets naming where to continue. The consumer
//! buffers complete batches only and acknowledges `next_offset`, the offset after the
//! last complete batch: when the SPU cut the last batch at `max_bytes`, that is the cut
//! batch's base offset, so the SPU sends that batch again, whole, in its next response
//! (the official client acknowledges the offset *after* the cut batch and loses its
//! records). The acknowledgement waits while more than `buffer_bytes` are buffered and
//! not polled, which bounds memory. Any failure restarts the stream at `next_offset`
//! (no gap, no duplicate); a batch bigger than `max_bytes` restarts it with a larger
//! `max_bytes` (up to `max_bytes_limit`).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

mod offsets;
mod poll;
mod stream;

use super::config::{ConsumerConfig, OffsetManagement};
use super::error::{ClientError, Misuse};
use super::event::{ConnId, ConsumerEvent, ConsumerId, Event, OpId};
use super::ids::ConsumerTag;
use super::metadata::CONSUMER_OFFSET_TOPIC;
use super::net::Net;
use super::net::SpuWait;
use super::{ConsumerReq, Tag};
use crate::protocol::message::AnyRequest;
use crate::protocol::spu::consumer_offset::{FetchConsumerOffsetsRequest, FilterOpts, ReplicaKey};
use crate::protocol::spu::fetch_offsets::FetchOffsetsRequest;
use crate::protocol::spu::stream_fetch::StreamFetchRequest;
use crate::time::Instant;
pub(crate) use stream::{Item, PartStream, Phase};

#[derive(Debug)]
enum CState {
    Waiting { deadline: Instant },
    Running,
    Failed,
}

#[derive(Debug)]
pub(crate) struct Consumer {
    pub config: ConsumerConfig,
    state: CState,
    pub parts: BTreeMap<u32, PartStream>,
    pub rr: usize,
    pub notified: bool,
    pub end_reported: bool,
    pub failure: Option<ClientError>,
    pub flush_at: Option<Instant>,
    pub flush_ops: BTreeMap<OpId, offsets::FlushOp>,
}

impl Consumer {
    /// When the consumer's next timer fires.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut add = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        if let CState::Waiting { deadline } = self.state {
            add(Some(deadline));
        }
        let wait = self.leader_wait();
        for p in self.parts.values() {
            add(p.restart_at);
            if let (Phase::Idle, Some(since), Some(wait)) = (p.phase, p.leaderless_since, wait) {
                add(Some(since + wait));
            }
        }
        add(self.flush_at);
        for op in self.flush_ops.values() {
            add(Some(op.deadline));
        }
        t
    }

    /// The most bytes buffered in one partition.
    pub(crate) fn max_buffered(&self) -> usize {
        self.parts.values().map(|p| p.buffered).max().unwrap_or(0)
    }

    /// How long a partition stream waits for a reachable leader: only streams that end.
    fn leader_wait(&self) -> Option<Duration> {
        self.config
            .disable_continuous
            .then_some(self.config.leader_wait)
            .flatten()
    }

    pub(crate) fn is_failed(&self) -> bool {
        matches!(self.state, CState::Failed)
    }

    fn has_items(&self) -> bool {
        self.parts.values().any(|p| !p.items.is_empty()) || self.failure.is_some()
    }
}

/// The consumer component: every consumer with its partition streams and offset flushes.
#[derive(Debug, Default)]
pub(crate) struct Consumers {
    map: BTreeMap<ConsumerId, Consumer>,
}

impl Consumers {
    /// When the consumers' next timer fires.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.map.values().filter_map(Consumer::poll_timeout).min()
    }

    /// The most bytes buffered in one partition of any consumer.
    pub(crate) fn max_buffered(&self) -> usize {
        self.map
            .values()
            .map(Consumer::max_buffered)
            .max()
            .unwrap_or(0)
    }
}

impl Consumers {
    /// Creates a consumer; its records and errors come from
    /// [`poll_consumer`](Self::poll_consumer), announced by [`Event::ConsumerReady`].
    pub(crate) fn create_consumer(
        &mut self,
        net: &mut Net,
        config: ConsumerConfig,
        now: Instant,
    ) -> Result<ConsumerId, ClientError> {
        if config.offset_management != OffsetManagement::None && config.consumer_id.is_none() {
            return Err(ClientError::Misuse(Misuse::InvalidConfig(
                "offset management needs a consumer id".into(),
            )));
        }
        if config.max_bytes <= 0 || config.buffer_bytes == 0 {
            return Err(ClientError::Misuse(Misuse::InvalidConfig(
                "max_bytes and buffer_bytes must be positive".into(),
            )));
        }
        let id = ConsumerId(net.next_id());
        let flush_at =
            (config.offset_management == OffsetManagement::Auto).then(|| now + config.offset_flush);
        self.map.insert(
            id,
            Consumer {
                config,
                state: CState::Waiting {
                    deadline: now + net.config.metadata_timeout,
                },
                parts: BTreeMap::new(),
                rr: 0,
                notified: false,
                end_reported: false,
                failure: None,
                flush_at,
                flush_ops: BTreeMap::new(),
            },
        );
        self.consumer_start(net, id, now);
        Ok(id)
    }

    /// Sets up the partitions once metadata is synchronised.
    fn consumer_start(&mut self, net: &mut Net, id: ConsumerId, now: Instant) {
        if !net.metadata.is_synced() {
            return;
        }
        let Some(c) = self.map.get(&id) else {
            return;
        };
        if !matches!(c.state, CState::Waiting { .. }) {
            return;
        }
        let topic = c.config.topic.clone();
        let all = net.metadata.topic_partitions(&topic);
        let wanted = if c.config.partitions.is_empty() {
            all.clone()
        } else {
            c.config.partitions.clone()
        };
        let error = if net.metadata.topic(&topic).is_none() {
            Some(ClientError::TopicNotFound(topic))
        } else if wanted.is_empty() {
            Some(ClientError::PartitionNotFound {
                topic,
                partition: 0,
            })
        } else {
            wanted
                .iter()
                .find(|p| !all.contains(p))
                .map(|p| ClientError::PartitionNotFound {
                    topic: topic.clone(),
                    partition: *p,
                })
        };
        let Some(c) = self.map.get_mut(&id) else {
            return;
        };
        if let Some(e) = error {
            c.state = CState::Failed;
            c.failure = Some(e);
            self.notify_consumer(net, id);
            return;
        }
        c.state = CState::Running;
        for p in wanted {
            c.parts.insert(
                p,
                PartStream {
                    generation: 0,
                    phase: Phase::Idle,
                    conn: None,
                    next_offset: 0,
                    resolved: false,
                    consumer_offset_done: c.config.consumer_id.is_none(),
                    consumer_offset: None,
                    end_offset: None,
                    session: None,
                    items: VecDeque::new(),
                    buffered: 0,
                    ack_pending: None,
                    last_delivered: None,
                    committed: None,
                    flushed: None,
                    retries: 0,
                    restart_at: None,
                    backoff: c.config.retry_backoff.build(),
                    max_bytes: c.config.max_bytes,
                    last_error: None,
                    leaderless_since: None,
                },
            );
        }
        self.consumer_pump(net, id, now);
    }

    pub(crate) fn pump(&mut self, net: &mut Net, now: Instant) {
        let ids: Vec<ConsumerId> = self.map.keys().copied().collect();
        for id in ids {
            self.consumer_start(net, id, now);
            self.consumer_pump(net, id, now);
        }
    }

    pub(crate) fn handle_timeout(&mut self, net: &mut Net, now: Instant) {
        let ids: Vec<ConsumerId> = self.map.keys().copied().collect();
        for id in ids {
            let Some(c) = self.map.get_mut(&id) else {
                continue;
            };
            if let CState::Waiting { deadline } = c.state
                && deadline <= now
            {
                c.state = CState::Failed;
                c.failure = Some(ClientError::MetadataTimeout(net.config.metadata_timeout));
                self.notify_consumer(net, id);
                continue;
            }
            for p in c.parts.values_mut() {
                if p.restart_at.is_some_and(|t| t <= now) {
                    p.restart_at = None;
                }
            }
            self.consumer_offsets_timeout(net, id, now);
            self.consumer_pump(net, id, now);
        }
    }

    /// Starts what each partition of a consumer can start now.
    fn consumer_pump(&mut self, net: &mut Net, id: ConsumerId, now: Instant) {
        let parts: Vec<u32> = match self.map.get(&id) {
            Some(c) => c.parts.keys().copied().collect(),
            None => return,
        };
        for p in parts {
            self.part_pump(net, id, p, now);
        }
    }

    pub(crate) fn part_pump(
        &mut self,
        net: &mut Net,
        id: ConsumerId,
        partition: u32,
        now: Instant,
    ) {
        let Some(c) = self.map.get(&id) else {
            return;
        };
        let config = &c.config;
        let topic = config.topic.clone();
        let Some(p) = c.parts.get(&partition) else {
            return;
        };
        // The topic was deleted: end the partition instead of waiting for a leader.
        if p.phase != Phase::Done
            && net.metadata.is_synced()
            && net.metadata.topic(&topic).is_none()
        {
            let error = ClientError::TopicNotFound(topic);
            self.part_finish(
                net,
                id,
                partition,
                ConsumerEvent::Error { partition, error },
            );
            self.check_consumer_end(net, id);
            return;
        }
        let leader = net.metadata.leader(&topic, partition);
        // A stream on an SPU that is no longer the leader will not make progress.
        if matches!(p.phase, Phase::FetchOffsets | Phase::Streaming)
            && p.conn.is_some_and(|(spu, _)| Some(spu) != leader)
        {
            self.part_restart(net, id, partition, None, now);
            return;
        }
        if p.phase == Phase::Idle
            && let (Some(since), Some(wait)) = (p.leaderless_since, c.leader_wait())
            && now >= since + wait
        {
            let error = ClientError::NoLeader {
                topic,
                partition,
                leader,
                waited: now.saturating_since(since),
            };
            if let Some(p) = self.part_mut(id, partition) {
                p.leaderless_since = None;
            }
            self.part_finish(
                net,
                id,
                partition,
                ConsumerEvent::Error { partition, error },
            );
            self.check_consumer_end(net, id);
            return;
        }
        if p.phase != Phase::Idle || p.restart_at.is_some() {
            return;
        }
        let generation = p.generation;
        // A full buffer starts no stream (its first response is not flow controlled):
        // polling resumes it.
        let full = p.buffered >= config.buffer_bytes;
        let (consumer_offset_done, resolved, next_offset, max_bytes) = (
            p.consumer_offset_done,
            p.resolved,
            p.next_offset,
            p.max_bytes,
        );
        let stream = StreamFetchRequest {
            topic: topic.clone(),
            partition,
            fetch_offset: next_offset,
            max_bytes,
            isolation: config.isolation,
            smartmodules: config.smartmodules.clone(),
            consumer_id: config.consumer_id.clone(),
            ..Default::default()
        };
        let consumer_id = config.consumer_id.clone();
        // First start with a consumer id: the stored offset, from the leader of the
        // consumer offset system topic.
        if !consumer_offset_done {
            let Some(off_leader) = net.metadata.leader(CONSUMER_OFFSET_TOPIC, 0) else {
                self.leaderless(id, partition, now);
                return;
            };
            let Some(conn) = self.ready_spu_conn(net, id, partition, off_leader, now) else {
                self.leaderless(id, partition, now);
                return;
            };
            let body = AnyRequest::FetchConsumerOffsets(FetchConsumerOffsetsRequest {
                filter_opts: Some(FilterOpts {
                    replica_id: Some(ReplicaKey::new(topic, partition)),
                    consumer_id,
                }),
            });
            self.set_phase(
                id,
                partition,
                Phase::ConsumerOffset,
                Some((off_leader, conn)),
            );
            let tag = consumer_tag(id, partition, generation, ConsumerReq::ConsumerOffset);
            net.submit(conn, tag, body, false, now);
            return;
        }
        let Some(leader) = leader else {
            self.leaderless(id, partition, now);
            return;
        };
        let Some(conn) = self.ready_spu_conn(net, id, partition, leader, now) else {
            self.leaderless(id, partition, now);
            return;
        };
        if !resolved {
            self.set_phase(id, partition, Phase::FetchOffsets, Some((leader, conn)));
            let tag = consumer_tag(id, partition, generation, ConsumerReq::FetchOffsets);
            let body = AnyRequest::FetchOffsets(FetchOffsetsRequest::new(topic, partition));
            net.submit(conn, tag, body, false, now);
            return;
        }
        if full {
            return;
        }
        self.set_phase(id, partition, Phase::Streaming, Some((leader, conn)));
        net.metrics.stream_starts += 1;
        let tag = consumer_tag(id, partition, generation, ConsumerReq::Stream);
        net.submit(conn, tag, AnyRequest::StreamFetch(stream), true, now);
    }

    /// The ready connection to `spu`, or `None` (with a restart timer when it backs off).
    fn ready_spu_conn(
        &mut self,
        net: &mut Net,
        id: ConsumerId,
        partition: u32,
        spu: i32,
        now: Instant,
    ) -> Option<ConnId> {
        match net.spu_conn(spu, now) {
            Ok(conn) if net.spu_ready(spu) => Some(conn),
            Ok(_) | Err(SpuWait::NoAddress) => None,
            Err(SpuWait::Until(t)) => {
                if let Some(p) = self.part_mut(id, partition) {
                    p.restart_at = Some(t);
                }
                None
            }
        }
    }

    pub(crate) fn part_mut(&mut self, id: ConsumerId, partition: u32) -> Option<&mut PartStream> {
        self.map.get_mut(&id)?.parts.get_mut(&partition)
    }

    fn set_phase(
        &mut self,
        id: ConsumerId,
        partition: u32,
        phase: Phase,
        conn: Option<(i32, ConnId)>,
    ) {
        if let Some(p) = self.part_mut(id, partition) {
            p.phase = phase;
            p.conn = conn;
            if phase != Phase::Idle {
                p.leaderless_since = None;
            }
        }
    }

    /// Notes that an idle stream found no reachable leader to start on (from the first time).
    fn leaderless(&mut self, id: ConsumerId, partition: u32, now: Instant) {
        if let Some(p) = self.part_mut(id, partition) {
            p.leaderless_since.get_or_insert(now);
        }
    }

    /// Abandons the current stream and starts again at `next_offset` after a backoff
    /// (`error` = the cause; `None` for a leader change, which restarts at once).
    pub(crate) fn part_restart(
        &mut self,
        net: &mut Net,
        id: ConsumerId,
        partition: u32,
        error: Option<ClientError>,
        now: Instant,
    ) {
        let Some(c) = self.map.get_mut(&id) else {
            return;
        };
        let max_retries = c.config.max_retries;
        let Some(p) = c.parts.get_mut(&partition) else {
            return;
        };
        if p.phase == Phase::Done {
            return;
        }
        let span = crate::client::spans::partition("consume", &c.config.topic, partition);
        tracing::info!(parent: &span, consumer = %id, error = ?error.as_ref().map(ToString::to_string), "stream restart");
        let old = p.conn.take();
        let old_gen = p.generation;
        p.generation += 1;
        p.phase = Phase::Idle;
        p.session = None;
        p.ack_pending = None;
        if let Some(e) = error {
            p.retries += 1;
            let delay = p.backoff.next_delay(&mut net.rng);
            p.restart_at = Some(now + delay);
            if max_retries.is_some_and(|m| p.retries > m) {
                let error = ClientError::RetriesExhausted {
                    attempts: p.retries,
                    last: Box::new(e),
                };
                p.phase = Phase::Done;
                p.restart_at = None;
                p.items
                    .push_back(Item::Event(ConsumerEvent::Error { partition, error }));
                self.notify_consumer(net, id);
            } else {
                p.last_error = Some(e);
            }
        }
        if let Some((_, conn)) = old {
            net.forget(conn, stream_tags(id, partition, old_gen));
        }
        self.part_pump(net, id, partition, now);
    }

    pub(crate) fn notify_consumer(&mut self, net: &mut Net, id: ConsumerId) {
        let Some(c) = self.map.get_mut(&id) else {
            return;
        };
        if !c.notified && c.has_items() {
            c.notified = true;
            net.events.push_back(Event::ConsumerReady { consumer: id });
        }
    }

    /// Marks a partition finished with a final event.
    fn part_finish(&mut self, net: &mut Net, id: ConsumerId, partition: u32, event: ConsumerEvent) {
        // A partition that reached its end keeps its stream's connection and session, so
        // that committed offsets can still be flushed (UpdateConsumerOffset names the session).
        let ended = matches!(event, ConsumerEvent::PartitionEnd { .. });
        let old = match self.part_mut(id, partition) {
            Some(p) if p.phase != Phase::Done => {
                p.phase = Phase::Done;
                p.restart_at = None;
                p.items.push_back(Item::Event(event));
                let conn = if ended { p.conn } else { p.conn.take() };
                conn.map(|c| (c.1, p.generation))
            }
            _ => return,
        };
        if let Some((conn, generation)) = old {
            net.forget(conn, stream_tags(id, partition, generation));
        }
        self.notify_consumer(net, id);
    }

    fn check_consumer_end(&mut self, net: &mut Net, id: ConsumerId) {
        self.notify_consumer(net, id);
    }
}

/// Matches the stream requests (not offset flushes) of one stream generation.
pub(crate) fn stream_tags(
    id: ConsumerId,
    partition: u32,
    generation: u64,
) -> impl Fn(&Tag) -> bool {
    move |t| {
        matches!(t, Tag::Consumer(ConsumerTag { consumer, partition: q, generation: g, kind })
            if *consumer == id && *q == partition && *g == generation
                && !matches!(kind, ConsumerReq::OffsetFlush(_)))
    }
}

pub(crate) fn consumer_tag(
    consumer: ConsumerId,
    partition: u32,
    generation: u64,
    kind: ConsumerReq,
) -> Tag {
    Tag::Consumer(ConsumerTag {
        consumer,
        partition,
        generation,
        kind,
    })
}
