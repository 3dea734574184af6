//! Consumer offsets: commit (mark the last polled record), flush (store the marks on the
//! partition leaders with UpdateConsumerOffset over each stream's session), automatic
//! flushing, and close.
//!
//! The stored value is the offset of the last consumed record; a consumer with the same
//! id resumes after it (see [`Offset::resolve`](super::Offset::resolve)).

use std::collections::{BTreeMap, BTreeSet};

use super::super::config::OffsetManagement;
use super::super::error::{ClientError, Misuse};
use super::super::event::{ConsumerId, Event, OpId, Peer};
use super::super::ids::ConsumerTag;
use super::super::net::Net;
use super::super::{ConsumerReq, Tag};
use super::Consumers;
use super::stream::Phase;
use crate::protocol::message::{AnyRequest, AnyResponse};
use crate::protocol::spu::consumer_offset::UpdateConsumerOffsetRequest;
use crate::time::Instant;

/// A flush of a consumer's offsets in progress.
#[derive(Debug)]
pub(crate) struct FlushOp {
    pub deadline: Instant,
    offsets: BTreeMap<u32, i64>,
    waiting: BTreeSet<u32>,
    in_flight: BTreeSet<u32>,
    error: Option<ClientError>,
    report: bool,
    close: bool,
}

impl Consumers {
    /// Marks every record polled so far as consumed (manual offset management).
    pub(crate) fn offset_commit(&mut self, consumer: ConsumerId) -> Result<(), ClientError> {
        let c = self
            .map
            .get_mut(&consumer)
            .ok_or(ClientError::Misuse(Misuse::UnknownId("consumer")))?;
        if c.config.offset_management == OffsetManagement::None {
            return Err(ClientError::Misuse(Misuse::InvalidConfig(
                "offset management is disabled".into(),
            )));
        }
        for p in c.parts.values_mut() {
            if p.last_delivered.is_some() {
                p.committed = p.last_delivered;
            }
        }
        Ok(())
    }

    /// Marks the record at `offset` of `partition` (and everything before it) as consumed,
    /// for applications that handle a polled batch record by record.
    pub(crate) fn offset_commit_record(
        &mut self,
        consumer: ConsumerId,
        partition: u32,
        offset: i64,
    ) -> Result<(), ClientError> {
        let c = self
            .map
            .get_mut(&consumer)
            .ok_or(ClientError::Misuse(Misuse::UnknownId("consumer")))?;
        if c.config.offset_management == OffsetManagement::None {
            return Err(ClientError::Misuse(Misuse::InvalidConfig(
                "offset management is disabled".into(),
            )));
        }
        let p = c
            .parts
            .get_mut(&partition)
            .ok_or(ClientError::Misuse(Misuse::UnknownId("partition")))?;
        p.committed = Some(offset);
        Ok(())
    }

    /// Stores the committed offsets; [`Event::OffsetsFlushed`] reports the outcome.
    pub(crate) fn offset_flush(
        &mut self,
        net: &mut Net,
        consumer: ConsumerId,
        now: Instant,
    ) -> Result<OpId, ClientError> {
        let c = self
            .map
            .get(&consumer)
            .ok_or(ClientError::Misuse(Misuse::UnknownId("consumer")))?;
        if c.config.offset_management == OffsetManagement::None {
            return Err(ClientError::Misuse(Misuse::InvalidConfig(
                "offset management is disabled".into(),
            )));
        }
        Ok(self.start_offset_flush(net, consumer, true, false, now))
    }

    /// Closes a consumer. With offset management its offsets are flushed first
    /// (auto: everything polled), reported by [`Event::OffsetsFlushed`] with the
    /// returned id; the consumer is removed then.
    pub(crate) fn close_consumer(
        &mut self,
        net: &mut Net,
        consumer: ConsumerId,
        now: Instant,
    ) -> Result<Option<OpId>, ClientError> {
        let c = self
            .map
            .get_mut(&consumer)
            .ok_or(ClientError::Misuse(Misuse::UnknownId("consumer")))?;
        match c.config.offset_management {
            OffsetManagement::None => {
                self.remove_consumer(net, consumer);
                Ok(None)
            }
            mode => {
                if mode == OffsetManagement::Auto {
                    for p in c.parts.values_mut() {
                        if p.last_delivered.is_some() {
                            p.committed = p.last_delivered;
                        }
                    }
                }
                c.flush_at = None;
                Ok(Some(
                    self.start_offset_flush(net, consumer, true, true, now),
                ))
            }
        }
    }

    fn remove_consumer(&mut self, net: &mut Net, consumer: ConsumerId) {
        let Some(c) = self.map.remove(&consumer) else {
            return;
        };
        let conns: BTreeSet<_> = c
            .parts
            .values()
            .filter_map(|p| p.conn.map(|x| x.1))
            .collect();
        for conn in conns {
            net.forget(
                conn,
                |t| matches!(t, Tag::Consumer(ConsumerTag { consumer: x, .. }) if *x == consumer),
            );
        }
    }

    fn start_offset_flush(
        &mut self,
        net: &mut Net,
        consumer: ConsumerId,
        report: bool,
        close: bool,
        now: Instant,
    ) -> OpId {
        let op = OpId(net.next_id());
        let deadline = now + net.config.request_timeout;
        let Some(c) = self.map.get_mut(&consumer) else {
            return op;
        };
        let offsets: BTreeMap<u32, i64> = c
            .parts
            .iter()
            .filter_map(|(k, p)| match (p.committed, p.flushed) {
                (Some(c), Some(f)) if c <= f => None,
                (Some(c), _) => Some((*k, c)),
                (None, _) => None,
            })
            .collect();
        let waiting = offsets.keys().copied().collect();
        c.flush_ops.insert(
            op,
            FlushOp {
                deadline,
                offsets,
                waiting,
                in_flight: BTreeSet::new(),
                error: None,
                report,
                close,
            },
        );
        let parts: Vec<u32> = c.parts.keys().copied().collect();
        for p in parts {
            self.offsets_session_ready(net, consumer, p, now);
        }
        self.check_flush_done(net, consumer, op);
        op
    }

    /// Sends the flushes waiting for `partition`'s stream session.
    pub(crate) fn offsets_session_ready(
        &mut self,
        net: &mut Net,
        consumer: ConsumerId,
        partition: u32,
        now: Instant,
    ) {
        let Some(c) = self.map.get_mut(&consumer) else {
            return;
        };
        let Some(p) = c.parts.get(&partition) else {
            return;
        };
        // A partition that ended (bounded read) still has its session: flush on it.
        let (Some(session), Some((_, conn)), Phase::Streaming | Phase::Done) =
            (p.session, p.conn, p.phase)
        else {
            return;
        };
        let mut sends = Vec::new();
        for (op, f) in c.flush_ops.iter_mut() {
            if f.waiting.remove(&partition)
                && let Some(offset) = f.offsets.get(&partition)
            {
                f.in_flight.insert(partition);
                sends.push((*op, *offset));
            }
        }
        for (op, offset) in sends {
            let body = AnyRequest::UpdateConsumerOffset(UpdateConsumerOffsetRequest {
                offset,
                session_id: session,
            });
            let tag = Tag::Consumer(ConsumerTag {
                consumer,
                partition,
                generation: 0,
                kind: ConsumerReq::OffsetFlush(op),
            });
            net.submit(conn, tag, body, false, now);
        }
    }

    pub(crate) fn on_offset_flush_response(
        &mut self,
        net: &mut Net,
        consumer: ConsumerId,
        partition: u32,
        op: OpId,
        body: AnyResponse,
        _now: Instant,
    ) {
        let Some(c) = self.map.get_mut(&consumer) else {
            return;
        };
        let Some(f) = c.flush_ops.get_mut(&op) else {
            return;
        };
        f.in_flight.remove(&partition);
        match body {
            AnyResponse::UpdateConsumerOffset(r) if r.error_code.is_ok() => {
                let offset = f.offsets.get(&partition).copied();
                if let Some(p) = c.parts.get_mut(&partition) {
                    p.flushed = p.flushed.max(offset);
                }
            }
            AnyResponse::UpdateConsumerOffset(r) => {
                f.error.get_or_insert(ClientError::Server(r.error_code));
            }
            _ => {
                f.error.get_or_insert(ClientError::Protocol {
                    peer: Peer::Sc,
                    message: "unexpected response to UpdateConsumerOffset".into(),
                    source: None,
                });
            }
        }
        self.check_flush_done(net, consumer, op);
    }

    pub(crate) fn on_offset_flush_failed(
        &mut self,
        net: &mut Net,
        consumer: ConsumerId,
        partition: u32,
        op: OpId,
        error: ClientError,
    ) {
        let Some(f) = self
            .map
            .get_mut(&consumer)
            .and_then(|c| c.flush_ops.get_mut(&op))
        else {
            return;
        };
        f.in_flight.remove(&partition);
        f.error.get_or_insert(error);
        self.check_flush_done(net, consumer, op);
    }

    fn check_flush_done(&mut self, net: &mut Net, consumer: ConsumerId, op: OpId) {
        let Some(c) = self.map.get_mut(&consumer) else {
            return;
        };
        let done = c
            .flush_ops
            .get(&op)
            .is_some_and(|f| f.waiting.is_empty() && f.in_flight.is_empty());
        if !done {
            return;
        }
        let Some(f) = c.flush_ops.remove(&op) else {
            return;
        };
        let result = f.error.map_or(Ok(()), Err);
        if f.report {
            net.events.push_back(Event::OffsetsFlushed {
                consumer,
                op,
                result,
            });
        } else if let Err(e) = result {
            net.events.push_back(Event::Error(e));
        }
        if f.close {
            self.remove_consumer(net, consumer);
        }
    }

    /// Auto flush timer and flush deadlines.
    pub(crate) fn consumer_offsets_timeout(
        &mut self,
        net: &mut Net,
        consumer: ConsumerId,
        now: Instant,
    ) {
        let Some(c) = self.map.get_mut(&consumer) else {
            return;
        };
        let mut expired = Vec::new();
        for (op, f) in c.flush_ops.iter_mut() {
            if f.deadline <= now {
                f.waiting.clear();
                f.in_flight.clear();
                f.error.get_or_insert(ClientError::Timeout {
                    peer: Peer::Sc,
                    timeout: net.config.request_timeout,
                });
                expired.push(*op);
            }
        }
        let auto = c.flush_at.is_some_and(|t| t <= now);
        if auto {
            c.flush_at = Some(now + c.config.offset_flush);
        }
        for op in expired {
            self.check_flush_done(net, consumer, op);
        }
        if auto {
            self.start_offset_flush(net, consumer, false, false, now);
        }
    }
}
