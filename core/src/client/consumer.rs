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

use super::config::{ConsumerConfig, OffsetManagement};
use super::error::ClientError;
use super::event::{ConnId, ConsumerEvent, ConsumerId, Event, OpId, Peer};
use super::{Client, ConsumerReq, SpuWait, Tag};
use crate::backoff::Backoff;
use crate::error_code::ErrorCode;
use crate::message::{AnyRequest, AnyResponse};
use crate::record::{BATCH_PREAMBLE_SIZE, Batch};
use crate::spu::consumer_offset::{FetchConsumerOffsetsRequest, FilterOpts, ReplicaKey};
use crate::spu::fetch_offsets::FetchOffsetsRequest;
use crate::spu::stream_fetch::{StreamFetchRequest, StreamFetchResponse};
use crate::time::Instant;

/// The system topic holding consumer offsets (partition 0).
pub(crate) const CONSUMER_OFFSET_TOPIC: &str = "consumer-offset";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting to (re)start: backoff, leader, connection.
    Idle,
    ConsumerOffset,
    FetchOffsets,
    Streaming,
    /// Ended or failed (events queued).
    Done,
}

#[derive(Debug)]
pub(crate) enum Item {
    /// A batch and the first offset to deliver from it.
    Batch {
        batch: Batch,
        from: i64,
    },
    Event(ConsumerEvent),
}

#[derive(Debug)]
pub(crate) struct PartStream {
    pub generation: u64,
    pub phase: Phase,
    /// SPU and connection of the current stream.
    pub conn: Option<(i32, ConnId)>,
    /// Everything before it is buffered or delivered.
    pub next_offset: i64,
    pub resolved: bool,
    pub consumer_offset_done: bool,
    pub consumer_offset: Option<i64>,
    pub end_offset: Option<i64>,
    pub session: Option<u32>,
    pub items: VecDeque<Item>,
    pub buffered: usize,
    pub ack_pending: Option<i64>,
    pub last_delivered: Option<i64>,
    pub committed: Option<i64>,
    pub flushed: Option<i64>,
    pub retries: u32,
    pub restart_at: Option<Instant>,
    pub backoff: Backoff,
    pub max_bytes: i32,
    pub last_error: Option<ClientError>,
}

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
    pub flush_ops: BTreeMap<OpId, super::consumer_offsets::FlushOp>,
}

impl Consumer {
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut add = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        if let CState::Waiting { deadline } = self.state {
            add(Some(deadline));
        }
        for p in self.parts.values() {
            add(p.restart_at);
        }
        add(self.flush_at);
        for op in self.flush_ops.values() {
            add(Some(op.deadline));
        }
        t
    }

    pub(crate) fn is_failed(&self) -> bool {
        matches!(self.state, CState::Failed)
    }

    fn has_items(&self) -> bool {
        self.parts.values().any(|p| !p.items.is_empty()) || self.failure.is_some()
    }
}

impl Client {
    /// Creates a consumer; its records and errors come from
    /// [`poll_consumer`](Self::poll_consumer), announced by [`Event::ConsumerReady`].
    pub fn create_consumer(
        &mut self,
        config: ConsumerConfig,
        now: Instant,
    ) -> Result<ConsumerId, ClientError> {
        if config.offset_management != OffsetManagement::None && config.consumer_id.is_none() {
            return Err(ClientError::InvalidConfig(
                "offset management needs a consumer id".into(),
            ));
        }
        if config.max_bytes <= 0 || config.buffer_bytes == 0 {
            return Err(ClientError::InvalidConfig(
                "max_bytes and buffer_bytes must be positive".into(),
            ));
        }
        let id = ConsumerId(self.next_id());
        let flush_at =
            (config.offset_management == OffsetManagement::Auto).then(|| now + config.offset_flush);
        self.consumers.insert(
            id,
            Consumer {
                config,
                state: CState::Waiting {
                    deadline: now + self.config.metadata_timeout,
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
        self.consumer_start(id, now);
        Ok(id)
    }

    /// Sets up the partitions once metadata is synchronised.
    fn consumer_start(&mut self, id: ConsumerId, now: Instant) {
        if !self.metadata.is_synced() {
            return;
        }
        let Some(c) = self.consumers.get(&id) else {
            return;
        };
        if !matches!(c.state, CState::Waiting { .. }) {
            return;
        }
        let topic = c.config.topic.clone();
        let all = self.metadata.topic_partitions(&topic);
        let wanted = if c.config.partitions.is_empty() {
            all.clone()
        } else {
            c.config.partitions.clone()
        };
        let error = if self.metadata.topic(&topic).is_none() {
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
        let Some(c) = self.consumers.get_mut(&id) else {
            return;
        };
        if let Some(e) = error {
            c.state = CState::Failed;
            c.failure = Some(e);
            self.notify_consumer(id);
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
                },
            );
        }
        self.consumer_pump(id, now);
    }

    pub(crate) fn consumers_pump(&mut self, now: Instant) {
        let ids: Vec<ConsumerId> = self.consumers.keys().copied().collect();
        for id in ids {
            self.consumer_start(id, now);
            self.consumer_pump(id, now);
        }
    }

    pub(crate) fn consumers_timeout(&mut self, now: Instant) {
        let ids: Vec<ConsumerId> = self.consumers.keys().copied().collect();
        for id in ids {
            let Some(c) = self.consumers.get_mut(&id) else {
                continue;
            };
            if let CState::Waiting { deadline } = c.state
                && deadline <= now
            {
                c.state = CState::Failed;
                c.failure = Some(ClientError::MetadataTimeout(self.config.metadata_timeout));
                self.notify_consumer(id);
                continue;
            }
            for p in c.parts.values_mut() {
                if p.restart_at.is_some_and(|t| t <= now) {
                    p.restart_at = None;
                }
            }
            self.consumer_offsets_timeout(id, now);
            self.consumer_pump(id, now);
        }
    }

    /// Starts what each partition of a consumer can start now.
    fn consumer_pump(&mut self, id: ConsumerId, now: Instant) {
        let parts: Vec<u32> = match self.consumers.get(&id) {
            Some(c) => c.parts.keys().copied().collect(),
            None => return,
        };
        for p in parts {
            self.part_pump(id, p, now);
        }
    }

    pub(crate) fn part_pump(&mut self, id: ConsumerId, partition: u32, now: Instant) {
        let Some(c) = self.consumers.get(&id) else {
            return;
        };
        let config = &c.config;
        let topic = config.topic.clone();
        let Some(p) = c.parts.get(&partition) else {
            return;
        };
        // The topic was deleted: end the partition instead of waiting for a leader.
        if p.phase != Phase::Done
            && self.metadata.is_synced()
            && self.metadata.topic(&topic).is_none()
        {
            let error = ClientError::TopicNotFound(topic);
            self.part_finish(id, partition, ConsumerEvent::Error { partition, error });
            self.check_consumer_end(id);
            return;
        }
        let leader = self.metadata.leader(&topic, partition);
        // A stream on an SPU that is no longer the leader will not make progress.
        if matches!(p.phase, Phase::FetchOffsets | Phase::Streaming)
            && p.conn.is_some_and(|(spu, _)| Some(spu) != leader)
        {
            self.part_restart(id, partition, None, now);
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
            let Some(off_leader) = self.metadata.leader(CONSUMER_OFFSET_TOPIC, 0) else {
                return;
            };
            let Some(conn) = self.ready_spu_conn(id, partition, off_leader, now) else {
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
            self.submit(conn, tag, body, false, now);
            return;
        }
        let Some(leader) = leader else {
            return;
        };
        let Some(conn) = self.ready_spu_conn(id, partition, leader, now) else {
            return;
        };
        if !resolved {
            self.set_phase(id, partition, Phase::FetchOffsets, Some((leader, conn)));
            let tag = consumer_tag(id, partition, generation, ConsumerReq::FetchOffsets);
            let body = AnyRequest::FetchOffsets(FetchOffsetsRequest::new(topic, partition));
            self.submit(conn, tag, body, false, now);
            return;
        }
        if full {
            return;
        }
        self.set_phase(id, partition, Phase::Streaming, Some((leader, conn)));
        self.metrics.stream_starts += 1;
        let tag = consumer_tag(id, partition, generation, ConsumerReq::Stream);
        self.submit(conn, tag, AnyRequest::StreamFetch(stream), true, now);
    }

    /// The ready connection to `spu`, or `None` (with a restart timer when it backs off).
    fn ready_spu_conn(
        &mut self,
        id: ConsumerId,
        partition: u32,
        spu: i32,
        now: Instant,
    ) -> Option<ConnId> {
        match self.spu_conn(spu, now) {
            Ok(conn) if self.spu_ready(spu) => Some(conn),
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
        self.consumers.get_mut(&id)?.parts.get_mut(&partition)
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
        }
    }

    /// Abandons the current stream and starts again at `next_offset` after a backoff
    /// (`error` = the cause; `None` for a leader change, which restarts at once).
    pub(crate) fn part_restart(
        &mut self,
        id: ConsumerId,
        partition: u32,
        error: Option<ClientError>,
        now: Instant,
    ) {
        let Some(c) = self.consumers.get_mut(&id) else {
            return;
        };
        let max_retries = c.config.max_retries;
        let Some(p) = c.parts.get_mut(&partition) else {
            return;
        };
        if p.phase == Phase::Done {
            return;
        }
        tracing::info!(consumer = %id, partition, error = ?error.as_ref().map(ToString::to_string), "stream restart");
        let old = p.conn.take();
        let old_gen = p.generation;
        p.generation += 1;
        p.phase = Phase::Idle;
        p.session = None;
        p.ack_pending = None;
        if let Some(e) = error {
            p.retries += 1;
            let delay = p.backoff.next_delay(&mut self.rng);
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
                self.notify_consumer(id);
            } else {
                p.last_error = Some(e);
            }
        }
        if let Some((_, conn)) = old {
            self.forget(conn, stream_tags(id, partition, old_gen));
        }
        self.part_pump(id, partition, now);
    }

    pub(crate) fn notify_consumer(&mut self, id: ConsumerId) {
        let Some(c) = self.consumers.get_mut(&id) else {
            return;
        };
        if !c.notified && c.has_items() {
            c.notified = true;
            self.events.push_back(Event::ConsumerReady { consumer: id });
        }
    }

    /// Marks a partition finished with a final event.
    fn part_finish(&mut self, id: ConsumerId, partition: u32, event: ConsumerEvent) {
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
            self.forget(conn, stream_tags(id, partition, generation));
        }
        self.notify_consumer(id);
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_consumer_response(
        &mut self,
        id: ConsumerId,
        partition: u32,
        generation: u64,
        kind: ConsumerReq,
        body: AnyResponse,
        _done: bool,
        now: Instant,
    ) {
        if let ConsumerReq::OffsetFlush(op) = kind {
            self.on_offset_flush_response(id, partition, op, body, now);
            return;
        }
        let current = self
            .consumers
            .get(&id)
            .and_then(|c| c.parts.get(&partition))
            .is_some_and(|p| p.generation == generation && p.phase != Phase::Done);
        if !current {
            return;
        }
        match (kind, body) {
            (ConsumerReq::ConsumerOffset, AnyResponse::FetchConsumerOffsets(r)) => {
                if r.error_code.is_error() {
                    self.part_restart(id, partition, Some(ClientError::Server(r.error_code)), now);
                    return;
                }
                let Some(c) = self.consumers.get_mut(&id) else {
                    return;
                };
                let topic = c.config.topic.clone();
                let cid = c.config.consumer_id.clone().unwrap_or_default();
                let Some(p) = c.parts.get_mut(&partition) else {
                    return;
                };
                p.consumer_offset = r
                    .consumers
                    .iter()
                    .find(|o| {
                        o.consumer_id == cid
                            && o.replica_id.topic == topic
                            && o.replica_id.partition == partition
                    })
                    .map(|o| o.offset.saturating_add(1));
                p.consumer_offset_done = true;
                p.phase = Phase::Idle;
                p.conn = None;
                self.part_pump(id, partition, now);
            }
            (ConsumerReq::FetchOffsets, AnyResponse::FetchOffsets(r)) => {
                let topic = match self.consumers.get(&id) {
                    Some(c) => c.config.topic.clone(),
                    None => return,
                };
                let Some(o) = r.find_partition(&topic, partition).cloned() else {
                    let e = ClientError::PartitionNotFound { topic, partition };
                    self.part_restart(id, partition, Some(e), now);
                    return;
                };
                if o.error_code.is_error() {
                    self.part_restart(id, partition, Some(ClientError::Server(o.error_code)), now);
                    return;
                }
                let Some(c) = self.consumers.get_mut(&id) else {
                    return;
                };
                let (offset, disable) = (c.config.offset, c.config.disable_continuous);
                let Some(p) = c.parts.get_mut(&partition) else {
                    return;
                };
                p.next_offset =
                    offset.resolve(o.start_offset, o.last_stable_offset, p.consumer_offset);
                p.end_offset = disable.then_some(o.last_stable_offset);
                p.resolved = true;
                p.phase = Phase::Idle;
                if p.end_offset.is_some_and(|end| p.next_offset >= end) {
                    self.part_finish(id, partition, ConsumerEvent::PartitionEnd { partition });
                    self.check_consumer_end(id);
                    return;
                }
                self.part_pump(id, partition, now);
            }
            (ConsumerReq::Stream, AnyResponse::StreamFetch(r)) => {
                self.on_stream_response(id, partition, r, now)
            }
            (ConsumerReq::Ack, AnyResponse::UpdateOffsets(r)) => {
                if let Some(s) = r.status.into_iter().find(|s| s.error.is_error()) {
                    self.part_restart(id, partition, Some(ClientError::Server(s.error)), now);
                }
            }
            _ => {
                let peer = self
                    .part_mut(id, partition)
                    .and_then(|p| p.conn)
                    .map_or(Peer::Sc, |(spu, _)| Peer::Spu(spu));
                let e = ClientError::Protocol {
                    peer,
                    message: "unexpected response type".into(),
                };
                self.part_restart(id, partition, Some(e), now);
            }
        }
    }

    fn on_stream_response(
        &mut self,
        id: ConsumerId,
        partition: u32,
        r: StreamFetchResponse,
        now: Instant,
    ) {
        let limit = match self.consumers.get(&id) {
            Some(c) => c.config.max_bytes_limit,
            None => return,
        };
        let Some(p) = self.part_mut(id, partition) else {
            return;
        };
        p.session = Some(r.stream_id);
        let resp = r.partition;
        let mut progressed = false;
        for batch in resp.records.batches {
            if batch.last_offset() < p.next_offset {
                continue;
            }
            if p.end_offset.is_some_and(|end| batch.base_offset() >= end) {
                break;
            }
            let from = p.next_offset;
            p.next_offset = batch.next_offset();
            p.buffered += batch.encoded_size();
            p.items.push_back(Item::Batch { batch, from });
            progressed = true;
        }
        if resp.next_filter_offset > p.next_offset {
            p.next_offset = resp.next_filter_offset;
            progressed = true;
        }
        let partial = resp.records.partial;
        if partial.is_some() {
            self.metrics.partial_batches += 1;
        }
        let Some(p) = self.part_mut(id, partition) else {
            return;
        };
        if progressed {
            p.retries = 0;
            p.backoff.reset();
        }
        let session_opened = p.session.is_some();
        self.notify_consumer(id);
        if session_opened {
            self.offsets_session_ready(id, partition, now);
        }
        // Batch-level error after the records.
        match resp.error_code {
            ErrorCode::None => {}
            ErrorCode::OffsetEvicted { next_available, .. } => {
                if let Some(p) = self.part_mut(id, partition) {
                    p.next_offset = p.next_offset.max(next_available);
                }
                self.part_restart(id, partition, None, now);
                return;
            }
            code => {
                let retriable = code.is_retriable();
                let e = ClientError::Server(code);
                if retriable {
                    self.part_restart(id, partition, Some(e), now);
                } else {
                    self.part_finish(
                        id,
                        partition,
                        ConsumerEvent::Error {
                            partition,
                            error: e,
                        },
                    );
                    self.check_consumer_end(id);
                }
                return;
            }
        }
        let Some(p) = self.part_mut(id, partition) else {
            return;
        };
        if p.end_offset.is_some_and(|end| p.next_offset >= end) {
            self.part_finish(id, partition, ConsumerEvent::PartitionEnd { partition });
            self.check_consumer_end(id);
            return;
        }
        if !progressed && let Some(partial) = partial {
            // Not even one batch fits in max_bytes: ask again with room for it.
            let needed = partial
                .bytes
                .get(8..BATCH_PREAMBLE_SIZE)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(i32::from_be_bytes)
                .and_then(|len| usize::try_from(len).ok())
                .map(|len| len + BATCH_PREAMBLE_SIZE);
            match needed.and_then(|n| i32::try_from(n).ok()) {
                Some(n) if n <= limit && n > p.max_bytes => {
                    p.max_bytes = n;
                    self.part_restart(id, partition, None, now);
                }
                _ => {
                    let error = ClientError::BatchTooLarge {
                        size: needed.unwrap_or(0),
                        limit,
                    };
                    self.part_finish(id, partition, ConsumerEvent::Error { partition, error });
                    self.check_consumer_end(id);
                }
            }
            return;
        }
        p.ack_pending = Some(p.next_offset);
        self.maybe_ack(id, partition, now);
    }

    pub(crate) fn on_consumer_failed(
        &mut self,
        id: ConsumerId,
        partition: u32,
        generation: u64,
        kind: ConsumerReq,
        error: ClientError,
        now: Instant,
    ) {
        if let ConsumerReq::OffsetFlush(op) = kind {
            self.on_offset_flush_failed(id, partition, op, error);
            return;
        }
        let current = self
            .consumers
            .get(&id)
            .and_then(|c| c.parts.get(&partition))
            .is_some_and(|p| p.generation == generation);
        if current {
            if error.is_retriable() {
                self.part_restart(id, partition, Some(error), now);
            } else {
                self.part_finish(id, partition, ConsumerEvent::Error { partition, error });
                self.check_consumer_end(id);
            }
        }
    }

    fn check_consumer_end(&mut self, id: ConsumerId) {
        self.notify_consumer(id);
    }
}

/// Matches the stream requests (not offset flushes) of one stream generation.
pub(crate) fn stream_tags(
    id: ConsumerId,
    partition: u32,
    generation: u64,
) -> impl Fn(&Tag) -> bool {
    move |t| {
        matches!(t, Tag::Consumer { consumer, partition: q, generation: g, kind }
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
    Tag::Consumer {
        consumer,
        partition,
        generation,
        kind,
    }
}
