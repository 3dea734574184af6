//! One partition's stream of a consumer: its state, and the handling of the answers to
//! its requests (start offsets, stream fetch responses, acknowledgements).

use std::collections::VecDeque;

use super::super::ConsumerReq;
use super::super::error::ClientError;
use super::super::event::{ConnId, ConsumerEvent, ConsumerId, Peer};
use super::super::ids::ConsumerTag;
use super::super::net::Net;
use super::Consumers;
use crate::backoff::Backoff;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::message::AnyResponse;
use crate::protocol::record::{BATCH_PREAMBLE_SIZE, Batch};
use crate::protocol::spu::stream_fetch::StreamFetchResponse;
use crate::time::Instant;

/// Where a partition's stream stands.
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
/// One partition's stream of a consumer.
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
    /// Since when the stream, idle, has found no reachable leader to start on.
    pub leaderless_since: Option<Instant>,
}

impl PartStream {
    /// Buffers the whole batches of a response from `next_offset` on (up to the end
    /// offset, if any), then skips what a filter passed over; true if it progressed.
    fn take_batches(&mut self, batches: Vec<Batch>, next_filter_offset: i64) -> bool {
        let mut progressed = false;
        for batch in batches {
            if batch.last_offset() < self.next_offset {
                continue;
            }
            if self
                .end_offset
                .is_some_and(|end| batch.base_offset() >= end)
            {
                break;
            }
            let from = self.next_offset;
            self.next_offset = batch.next_offset();
            self.buffered += batch.encoded_size();
            self.items.push_back(Item::Batch { batch, from });
            progressed = true;
        }
        if next_filter_offset > self.next_offset {
            self.next_offset = next_filter_offset;
            progressed = true;
        }
        progressed
    }
}

impl Consumers {
    /// The answer to a request of a consumer's partition.
    pub(crate) fn handle_response(
        &mut self,
        net: &mut Net,
        tag: ConsumerTag,
        body: AnyResponse,
        now: Instant,
    ) {
        let ConsumerTag {
            consumer: id,
            partition,
            generation,
            kind,
        } = tag;
        if let ConsumerReq::OffsetFlush(op) = kind {
            self.on_offset_flush_response(net, id, partition, op, body, now);
            return;
        }
        let current = self
            .map
            .get(&id)
            .and_then(|c| c.parts.get(&partition))
            .is_some_and(|p| p.generation == generation && p.phase != Phase::Done);
        if !current {
            return;
        }
        match (kind, body) {
            (ConsumerReq::ConsumerOffset, AnyResponse::FetchConsumerOffsets(r)) => {
                if r.error_code.is_error() {
                    self.part_restart(
                        net,
                        id,
                        partition,
                        Some(ClientError::Server(r.error_code)),
                        now,
                    );
                    return;
                }
                let Some(c) = self.map.get_mut(&id) else {
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
                self.part_pump(net, id, partition, now);
            }
            (ConsumerReq::FetchOffsets, AnyResponse::FetchOffsets(r)) => {
                let topic = match self.map.get(&id) {
                    Some(c) => c.config.topic.clone(),
                    None => return,
                };
                let Some(o) = r.find_partition(&topic, partition).cloned() else {
                    let e = ClientError::PartitionNotFound { topic, partition };
                    self.part_restart(net, id, partition, Some(e), now);
                    return;
                };
                if o.error_code.is_error() {
                    self.part_restart(
                        net,
                        id,
                        partition,
                        Some(ClientError::Server(o.error_code)),
                        now,
                    );
                    return;
                }
                let Some(c) = self.map.get_mut(&id) else {
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
                    self.part_finish(
                        net,
                        id,
                        partition,
                        ConsumerEvent::PartitionEnd { partition },
                    );
                    self.check_consumer_end(net, id);
                    return;
                }
                self.part_pump(net, id, partition, now);
            }
            (ConsumerReq::Stream, AnyResponse::StreamFetch(r)) => {
                self.on_stream_response(net, id, partition, r, now)
            }
            (ConsumerReq::Ack, AnyResponse::UpdateOffsets(r)) => {
                if let Some(s) = r.status.into_iter().find(|s| s.error.is_error()) {
                    self.part_restart(net, id, partition, Some(ClientError::Server(s.error)), now);
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
                    source: None,
                };
                self.part_restart(net, id, partition, Some(e), now);
            }
        }
    }

    fn on_stream_response(
        &mut self,
        net: &mut Net,
        id: ConsumerId,
        partition: u32,
        r: StreamFetchResponse,
        now: Instant,
    ) {
        let limit = match self.map.get(&id) {
            Some(c) => c.config.max_bytes_limit,
            None => return,
        };
        let Some(p) = self.part_mut(id, partition) else {
            return;
        };
        p.session = Some(r.stream_id);
        let resp = r.partition;
        let progressed = p.take_batches(resp.records.batches, resp.next_filter_offset);
        let partial = resp.records.partial;
        if partial.is_some() {
            net.metrics.partial_batches += 1;
        }
        let Some(p) = self.part_mut(id, partition) else {
            return;
        };
        if progressed {
            p.retries = 0;
            p.backoff.reset();
        }
        let session_opened = p.session.is_some();
        self.notify_consumer(net, id);
        if session_opened {
            self.offsets_session_ready(net, id, partition, now);
        }
        // Batch-level error after the records.
        match resp.error_code {
            ErrorCode::None => {}
            ErrorCode::OffsetEvicted { next_available, .. } => {
                if let Some(p) = self.part_mut(id, partition) {
                    p.next_offset = p.next_offset.max(next_available);
                }
                self.part_restart(net, id, partition, None, now);
                return;
            }
            code => {
                let retriable = code.is_retriable();
                let e = ClientError::Server(code);
                if retriable {
                    self.part_restart(net, id, partition, Some(e), now);
                } else {
                    self.part_finish(
                        net,
                        id,
                        partition,
                        ConsumerEvent::Error {
                            partition,
                            error: e,
                        },
                    );
                    self.check_consumer_end(net, id);
                }
                return;
            }
        }
        let Some(p) = self.part_mut(id, partition) else {
            return;
        };
        if p.end_offset.is_some_and(|end| p.next_offset >= end) {
            self.part_finish(
                net,
                id,
                partition,
                ConsumerEvent::PartitionEnd { partition },
            );
            self.check_consumer_end(net, id);
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
                    self.part_restart(net, id, partition, None, now);
                }
                _ => {
                    let error = ClientError::BatchTooLarge {
                        size: needed.unwrap_or(0),
                        limit,
                    };
                    self.part_finish(
                        net,
                        id,
                        partition,
                        ConsumerEvent::Error { partition, error },
                    );
                    self.check_consumer_end(net, id);
                }
            }
            return;
        }
        p.ack_pending = Some(p.next_offset);
        self.maybe_ack(net, id, partition, now);
    }

    /// A request of a consumer's partition failed.
    pub(crate) fn handle_failed(
        &mut self,
        net: &mut Net,
        tag: ConsumerTag,
        error: ClientError,
        now: Instant,
    ) {
        let ConsumerTag {
            consumer: id,
            partition,
            generation,
            kind,
        } = tag;
        if let ConsumerReq::OffsetFlush(op) = kind {
            self.on_offset_flush_failed(net, id, partition, op, error);
            return;
        }
        let current = self
            .map
            .get(&id)
            .and_then(|c| c.parts.get(&partition))
            .is_some_and(|p| p.generation == generation);
        if current {
            if error.is_retriable() {
                self.part_restart(net, id, partition, Some(error), now);
            } else {
                self.part_finish(
                    net,
                    id,
                    partition,
                    ConsumerEvent::Error { partition, error },
                );
                self.check_consumer_end(net, id);
            }
        }
    }
}
