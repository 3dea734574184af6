//! Admin requests (SC objects and SPU consumer offsets), user watches and one-shot
//! fetches.
//!
//! SC requests wait for the SC connection (bounded by the request timeout) and fail if it
//! breaks: create, delete and update are not idempotent, so they are never re-sent.
//! User watches survive SC reconnects: they are re-issued and the next update is a full
//! sync. SPU requests go to the leader of the `consumer-offset` system topic (consumer
//! offsets) or of the fetched partition.

use std::collections::{BTreeMap, VecDeque};

use super::Tag;
use super::error::ClientError;
use super::event::{
    AdminCommand, ConnId, Event, FetchOutput, FetchSpec, OpId, OpOutput, WatchEvent,
};
use super::ids::AdminReq;
use super::metadata::CONSUMER_OFFSET_TOPIC;
use super::net::Net;
use super::net::SpuWait;
use super::records::batch_records;
use crate::protocol::message::{AnyRequest, AnyResponse};
use crate::protocol::sc::objects::{CommonCreateRequest, ListFilter, ObjectKind};
use crate::protocol::sc::{ObjectCreateRequest, ObjectListRequest, ObjectWatchRequest};
use crate::protocol::spu::consumer_offset::{
    DeleteConsumerOffsetRequest, FetchConsumerOffsetsRequest, ReplicaKey,
};
use crate::protocol::spu::fetch::{FetchPartition, FetchRequest, FetchableTopic};
use crate::time::Instant;

/// Where an SPU request goes.
#[derive(Debug, Clone)]
enum SpuTarget {
    ConsumerOffsets,
    Partition(String, u32),
}

#[derive(Debug)]
struct SpuOp {
    target: SpuTarget,
    body: AnyRequest,
    deadline: Instant,
    fetch: Option<FetchSpec>,
}

#[derive(Debug)]
struct UserWatch {
    kind: ObjectKind,
    conn: Option<ConnId>,
    queue: VecDeque<WatchEvent>,
    dropped: u64,
    notified: bool,
}

/// The admin component: admin requests, one-shot fetches and user watches in progress.
#[derive(Debug, Default)]
pub(crate) struct Admin {
    /// SPU requests not sent yet.
    unsent: BTreeMap<OpId, SpuOp>,
    /// Fetches sent, with their request.
    fetches: BTreeMap<OpId, FetchSpec>,
    watches: BTreeMap<OpId, UserWatch>,
}

impl Admin {
    /// The answer to an admin request.
    pub(crate) fn handle_response(&mut self, net: &mut Net, req: AdminReq, body: AnyResponse) {
        match req {
            AdminReq::Watch(op) => self.on_user_watch(net, op, body),
            AdminReq::Sc(op) | AdminReq::Spu(op) | AdminReq::Fetch(op) => {
                self.on_admin_response(net, op, body);
            }
        }
    }

    /// An admin request failed.
    pub(crate) fn handle_failed(&mut self, net: &mut Net, req: AdminReq, error: ClientError) {
        match req {
            AdminReq::Watch(op) => self.on_user_watch_failed(net, op, error),
            AdminReq::Sc(op) | AdminReq::Spu(op) | AdminReq::Fetch(op) => {
                self.on_admin_failed(net, op, error);
            }
        }
    }

    /// When the next admin timer fires.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.unsent.values().map(|o| o.deadline).min()
    }
}

impl Admin {
    /// Starts an admin command; [`Event::OpDone`] carries the result.
    pub(crate) fn admin(&mut self, net: &mut Net, command: AdminCommand, now: Instant) -> OpId {
        let op = OpId(net.next_id());
        let sc_body = match command {
            AdminCommand::Create {
                name,
                dry_run,
                timeout_ms,
                spec,
            } => AnyRequest::Create(ObjectCreateRequest {
                common: CommonCreateRequest {
                    name,
                    dry_run,
                    timeout: timeout_ms,
                },
                spec,
            }),
            AdminCommand::Delete(req) => AnyRequest::Delete(req),
            AdminCommand::Update(req) => AnyRequest::Update(req),
            AdminCommand::List {
                kind,
                name_filters,
                summary,
                system,
            } => AnyRequest::List(ObjectListRequest {
                kind,
                name_filters: name_filters
                    .into_iter()
                    .map(|name| ListFilter { name })
                    .collect(),
                summary,
                system,
            }),
            AdminCommand::ListConsumerOffsets => {
                let body = AnyRequest::FetchConsumerOffsets(FetchConsumerOffsetsRequest {
                    filter_opts: None,
                });
                self.queue_spu_op(net, op, SpuTarget::ConsumerOffsets, body, None, now);
                return op;
            }
            AdminCommand::DeleteConsumerOffset {
                consumer_id,
                topic,
                partition,
            } => {
                let body = AnyRequest::DeleteConsumerOffset(DeleteConsumerOffsetRequest {
                    replica_id: ReplicaKey::new(topic, partition),
                    consumer_id,
                });
                self.queue_spu_op(net, op, SpuTarget::ConsumerOffsets, body, None, now);
                return op;
            }
        };
        net.send_sc(Tag::Admin(AdminReq::Sc(op)), sc_body, now);
        op
    }

    /// Reads once from a partition (classic Fetch); [`Event::OpDone`] carries
    /// [`OpOutput::Fetch`].
    pub(crate) fn fetch(&mut self, net: &mut Net, spec: FetchSpec, now: Instant) -> OpId {
        let op = OpId(net.next_id());
        let body = AnyRequest::Fetch(FetchRequest {
            max_wait: 0,
            min_bytes: 0,
            max_bytes: spec.max_bytes,
            isolation_level: spec.isolation,
            topics: vec![FetchableTopic {
                name: spec.topic.clone(),
                fetch_partitions: vec![FetchPartition {
                    partition_index: spec.partition,
                    current_leader_epoch: -1,
                    fetch_offset: spec.offset,
                    log_start_offset: -1,
                    max_bytes: spec.max_bytes,
                }],
            }],
            forgotten: Vec::new(),
        });
        let target = SpuTarget::Partition(spec.topic.clone(), spec.partition);
        self.queue_spu_op(net, op, target, body, Some(spec), now);
        op
    }

    fn queue_spu_op(
        &mut self,
        net: &mut Net,
        op: OpId,
        target: SpuTarget,
        body: AnyRequest,
        fetch: Option<FetchSpec>,
        now: Instant,
    ) {
        let deadline = now + net.config.request_timeout;
        self.unsent.insert(
            op,
            SpuOp {
                target,
                body,
                deadline,
                fetch,
            },
        );
        self.pump(net, now);
    }

    /// Sends the SPU operations whose SPU connection is ready.
    pub(crate) fn pump(&mut self, net: &mut Net, now: Instant) {
        let ops: Vec<(OpId, SpuTarget)> = self
            .unsent
            .iter()
            .map(|(k, o)| (*k, o.target.clone()))
            .collect();
        for (op, target) in ops {
            let (topic, partition) = match &target {
                SpuTarget::ConsumerOffsets => (CONSUMER_OFFSET_TOPIC, 0),
                SpuTarget::Partition(t, p) => (t.as_str(), *p),
            };
            if !net.metadata.is_synced() {
                continue;
            }
            let Some(leader) = net.metadata.leader(topic, partition) else {
                let error = if net.metadata.topic(topic).is_none() && topic != CONSUMER_OFFSET_TOPIC
                {
                    ClientError::TopicNotFound(topic.to_string())
                } else {
                    ClientError::PartitionNotFound {
                        topic: topic.to_string(),
                        partition,
                    }
                };
                self.unsent.remove(&op);
                net.events.push_back(Event::OpDone {
                    op,
                    result: Err(error),
                });
                continue;
            };
            let conn = match net.spu_conn(leader, now) {
                Ok(c) if net.spu_ready(leader) => c,
                Ok(_) | Err(SpuWait::NoAddress) | Err(SpuWait::Until(_)) => continue,
            };
            let Some(o) = self.unsent.remove(&op) else {
                continue;
            };
            let tag = match o.fetch {
                Some(spec) => {
                    self.fetches.insert(op, spec);
                    Tag::Admin(AdminReq::Fetch(op))
                }
                None => Tag::Admin(AdminReq::Spu(op)),
            };
            net.submit(conn, tag, o.body, false, now);
        }
    }

    pub(crate) fn handle_timeout(&mut self, net: &mut Net, now: Instant) {
        let expired: Vec<OpId> = self
            .unsent
            .iter()
            .filter(|(_, o)| o.deadline <= now)
            .map(|(k, _)| *k)
            .collect();
        for op in expired {
            self.unsent.remove(&op);
            let error = ClientError::Timeout {
                peer: super::event::Peer::Sc,
                timeout: net.config.request_timeout,
            };
            net.events.push_back(Event::OpDone {
                op,
                result: Err(error),
            });
        }
    }

    pub(crate) fn on_admin_response(&mut self, net: &mut Net, op: OpId, body: AnyResponse) {
        let result = match body {
            AnyResponse::Create(s) | AnyResponse::Delete(s) | AnyResponse::Update(s) => {
                if s.is_ok() {
                    Ok(OpOutput::Status(s))
                } else {
                    Err(ClientError::Admin {
                        code: s.error_code,
                        message: s.error_message,
                    })
                }
            }
            AnyResponse::List(l) => Ok(OpOutput::List(l)),
            AnyResponse::FetchConsumerOffsets(r) if r.error_code.is_ok() => {
                Ok(OpOutput::ConsumerOffsets(r.consumers))
            }
            AnyResponse::FetchConsumerOffsets(r) => Err(ClientError::Server(r.error_code)),
            AnyResponse::DeleteConsumerOffset(r) if r.error_code.is_ok() => {
                Ok(OpOutput::ConsumerOffsetDeleted)
            }
            AnyResponse::DeleteConsumerOffset(r) => Err(ClientError::Server(r.error_code)),
            AnyResponse::Fetch(r) => match self.fetches.remove(&op) {
                Some(spec) => fetch_output(&spec, &r),
                None => return,
            },
            other => Err(ClientError::Protocol {
                peer: super::event::Peer::Sc,
                message: format!("unexpected {} response", other.api_name()),
                source: None,
            }),
        };
        net.events.push_back(Event::OpDone { op, result });
    }

    pub(crate) fn on_admin_failed(&mut self, net: &mut Net, op: OpId, error: ClientError) {
        self.fetches.remove(&op);
        net.events.push_back(Event::OpDone {
            op,
            result: Err(error),
        });
    }

    /// Watches objects of `kind`; updates come from [`poll_watch`](Self::poll_watch),
    /// announced by [`Event::WatchReady`].
    pub(crate) fn watch(&mut self, net: &mut Net, kind: ObjectKind, now: Instant) -> OpId {
        let op = OpId(net.next_id());
        self.watches.insert(
            op,
            UserWatch {
                kind,
                conn: None,
                queue: VecDeque::new(),
                dropped: 0,
                notified: false,
            },
        );
        if let Some(conn) = net.sc.conn {
            self.issue_watch(net, op, conn, now);
        }
        op
    }

    fn issue_watch(&mut self, net: &mut Net, op: OpId, conn: ConnId, now: Instant) {
        let Some(w) = self.watches.get_mut(&op) else {
            return;
        };
        if w.conn == Some(conn) {
            return;
        }
        w.conn = Some(conn);
        let body = AnyRequest::Watch(ObjectWatchRequest::new(w.kind));
        let tag = Tag::Admin(AdminReq::Watch(op));
        net.submit(conn, tag, body, true, now);
    }

    /// Stops a watch.
    pub(crate) fn close_watch(&mut self, net: &mut Net, op: OpId) {
        if let Some(w) = self.watches.remove(&op)
            && let Some(conn) = w.conn
        {
            net.forget(conn, |t| *t == Tag::Admin(AdminReq::Watch(op)));
        }
    }

    /// The next update of a watch.
    #[must_use]
    pub(crate) fn poll_watch(&mut self, op: OpId) -> Option<WatchEvent> {
        let w = self.watches.get_mut(&op)?;
        if w.dropped > 0 {
            let dropped = std::mem::take(&mut w.dropped);
            return Some(WatchEvent::Lagged { dropped });
        }
        let e = w.queue.pop_front();
        if e.is_none() {
            w.notified = false;
        }
        e
    }

    pub(crate) fn sc_ready(&mut self, net: &mut Net, conn: ConnId, now: Instant) {
        let ops: Vec<OpId> = self.watches.keys().copied().collect();
        for op in ops {
            self.issue_watch(net, op, conn, now);
        }
    }

    pub(crate) fn on_user_watch(&mut self, net: &mut Net, op: OpId, body: AnyResponse) {
        let max = net.config.max_watch_queue.max(1);
        let Some(w) = self.watches.get_mut(&op) else {
            return;
        };
        let AnyResponse::Watch(update) = body else {
            return;
        };
        if w.queue.len() >= max {
            w.queue.pop_front();
            w.dropped += 1;
        }
        w.queue.push_back(WatchEvent::Update(update));
        if !w.notified {
            w.notified = true;
            net.events.push_back(Event::WatchReady { op });
        }
    }

    pub(crate) fn on_user_watch_failed(&mut self, net: &mut Net, op: OpId, error: ClientError) {
        let Some(w) = self.watches.get_mut(&op) else {
            return;
        };
        w.conn = None;
        if !error.is_retriable() {
            w.queue.push_back(WatchEvent::Error(error));
            if !w.notified {
                w.notified = true;
                net.events.push_back(Event::WatchReady { op });
            }
        }
    }
}

fn fetch_output(
    spec: &FetchSpec,
    r: &crate::protocol::spu::fetch::FetchResponse,
) -> Result<OpOutput, ClientError> {
    if r.error_code.is_error() {
        return Err(ClientError::Server(r.error_code.clone()));
    }
    let Some(p) = r.find_partition(&spec.topic, spec.partition) else {
        return Err(ClientError::PartitionNotFound {
            topic: spec.topic.clone(),
            partition: spec.partition,
        });
    };
    if p.error_code.is_error() {
        return Err(ClientError::Server(p.error_code.clone()));
    }
    let mut records = Vec::new();
    for batch in &p.records.batches {
        records.extend(batch_records(batch, spec.partition, spec.offset, None)?);
    }
    Ok(OpOutput::Fetch(FetchOutput {
        high_watermark: p.high_watermark,
        log_start_offset: p.log_start_offset,
        batches: p.records.batches.clone(),
        records,
    }))
}
