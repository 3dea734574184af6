//! Producer delivery outcomes: responses and failures of produce requests, ordered
//! retries, and the resolution of batches (events, flushes, back-pressure release).

use std::time::Duration;

use super::super::config::DeliverySemantic;
use super::super::error::{ClientError, ProduceError};
use super::super::event::{Event, Peer, ProducerId};
use super::super::net::Net;
use super::Producers;
use super::{InFlight, PendingBatch};
use crate::protocol::error_code::ErrorCode;
use crate::protocol::message::AnyRequest;
use crate::protocol::message::AnyResponse;
use crate::protocol::spu::produce::{PartitionProduceData, ProduceRequest, TopicProduceData};
use crate::time::Instant;

use super::super::Tag;
use super::super::event::ConnId;
use super::super::ids::{PartRequest, ProducerReq};
use super::Producer;

impl Producers {
    /// The answer to a request of a producer's partition.
    pub(crate) fn handle_response(
        &mut self,
        net: &mut Net,
        req: ProducerReq,
        body: AnyResponse,
        now: Instant,
    ) {
        match req {
            ProducerReq::Produce(r) => {
                self.on_produce_response(net, r.producer, r.partition, r.request, body, now);
            }
            ProducerReq::ReadBack(r) => {
                self.on_read_back_response(net, r.producer, r.partition, r.request, body, now);
            }
        }
    }

    /// A request of a producer's partition failed (`written`: it may have reached the
    /// server).
    pub(crate) fn handle_failed(
        &mut self,
        net: &mut Net,
        req: ProducerReq,
        error: ClientError,
        written: bool,
        now: Instant,
    ) {
        match req {
            ProducerReq::Produce(r) => self.on_produce_failed(net, r, error, written, now),
            ProducerReq::ReadBack(r) => {
                self.on_read_back_failed(r.producer, r.partition, r.request, &error, now);
            }
        }
    }

    pub(crate) fn take_in_flight(
        &mut self,
        producer: ProducerId,
        partition: u32,
        request: u64,
    ) -> Option<InFlight> {
        self.map
            .get_mut(&producer)?
            .parts
            .get_mut(&partition)?
            .take_in_flight(request)
    }

    pub(crate) fn on_produce_response(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        request: u64,
        body: AnyResponse,
        now: Instant,
    ) {
        let Some(flight) = self.take_in_flight(producer, partition, request) else {
            return;
        };
        let AnyResponse::Produce(resp) = body else {
            return;
        };
        let mut results = resp
            .responses
            .into_iter()
            .flat_map(|t| t.partitions.into_iter());
        for b in flight.batches {
            match results.next() {
                Some(r) if r.error_code.is_ok() => {
                    self.resolve_delivered(net, producer, partition, b, r.base_offset)
                }
                Some(r) => {
                    let mut b = b;
                    let stamped = self.map.get(&producer).is_some_and(|p| p.stamp.is_some());
                    if stamped
                        && r.base_offset >= 0
                        && matches!(r.error_code, ErrorCode::RequestTimedOut { .. })
                    {
                        // A read-committed SPU appended the batch at `base_offset`, then
                        // gave up waiting for the replicas: its answer says where.
                        b.stored_at = Some(r.base_offset);
                    }
                    let error = ClientError::Server(r.error_code);
                    self.retry_or_fail(net, (producer, partition), b, error, true, now);
                }
                None => {
                    let leader = self
                        .map
                        .get(&producer)
                        .and_then(|p| net.metadata.leader(&p.topic, partition));
                    let error = ClientError::Protocol {
                        peer: Peer::Spu(leader.unwrap_or(-1)),
                        message: "produce response has fewer entries than batches".into(),
                        source: None,
                    };
                    self.retry_or_fail(net, (producer, partition), b, error, true, now);
                }
            }
        }
        self.after_resolution(net, producer, partition, now);
    }

    pub(crate) fn on_produce_failed(
        &mut self,
        net: &mut Net,
        req: PartRequest,
        error: ClientError,
        written: bool,
        now: Instant,
    ) {
        let PartRequest {
            producer,
            partition,
            request,
        } = req;
        let Some(flight) = self.take_in_flight(producer, partition, request) else {
            return;
        };
        for mut b in flight.batches {
            if !written {
                // Never reached the server: not an attempt.
                b.attempts = b.attempts.saturating_sub(1);
            }
            self.retry_or_fail(net, (producer, partition), b, error.clone(), written, now);
        }
        self.after_resolution(net, producer, partition, now);
    }

    /// Puts a failed batch back in order, or resolves it as failed.
    pub(crate) fn retry_or_fail(
        &mut self,
        net: &mut Net,
        (producer, partition): (ProducerId, u32),
        mut b: PendingBatch,
        error: ClientError,
        reached: bool,
        now: Instant,
    ) {
        let Some(p) = self.map.get_mut(&producer) else {
            return;
        };
        let server_code = match &error {
            ClientError::Server(c) => Some(c.clone()),
            _ => None,
        };
        // Unanswered, or answered "timed out" (a read-committed SPU stores the records
        // and then gives up waiting for replication): the records may be stored.
        let timed_out = matches!(server_code, Some(ErrorCode::RequestTimedOut { .. }));
        if reached && (server_code.is_none() || timed_out) {
            b.unknown = true;
        }
        let retriable = error.is_retriable();
        // Exactly once: a batch that may be stored is looked for in the log before it is
        // sent again or given up (a read-back, bounded by the delivery deadline).
        let verify = p.stamp.is_some() && b.unknown && (retriable || timed_out);
        let policy = match p.config.delivery_semantic {
            DeliverySemantic::AtLeastOnce(policy) => Some(policy),
            DeliverySemantic::AtMostOnce => None,
        };
        // At most once: a batch that may have reached the server is never re-sent.
        let may_retry = match policy {
            Some(policy) => retriable && (b.attempts as usize) <= policy.max_retries,
            None => !reached && retriable,
        };
        if (may_retry || verify) && b.deadline > now {
            let delay = policy.map_or(Duration::ZERO, |pol| pol.delay(b.attempts.max(1) as usize));
            let jitter = 1.0 + 0.2 * (2.0 * net.rng.unit() - 1.0);
            let at = now + delay.mul_f64(jitter);
            let span = crate::client::spans::partition("produce", &p.topic, partition);
            tracing::info!(parent: &span, attempt = b.attempts, ?delay, %error, verify, "produce retry");
            let q = p.parts.entry(partition).or_default();
            q.verify |= verify;
            q.requeue(b, at);
            return;
        }
        if let Some(offset) = b.stored_at {
            // Stored at a known offset, never committed (exactly-once never sends it
            // again): a definite outcome, naming the replicas that hold it back.
            let replicas = self
                .lagging_replicas(net, producer, partition)
                .unwrap_or_else(|| "no replica is known to lag".to_string());
            let error = ProduceError::OutcomeUnknown(ClientError::NotCommitted {
                partition,
                offset,
                replicas,
            });
            self.resolve_failed(net, producer, partition, b, error);
            return;
        }
        let error = if timed_out {
            self.replicas_behind(net, producer, partition, error)
        } else {
            error
        };
        let error = match (server_code, b.unknown) {
            (Some(code), false) => ProduceError::Rejected(code),
            (_, true) => ProduceError::OutcomeUnknown(final_error(error, b.attempts)),
            (None, false) => ProduceError::NotDelivered(final_error(error, b.attempts)),
        };
        self.resolve_failed(net, producer, partition, b, error);
    }

    pub(crate) fn resolve_delivered(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        b: PendingBatch,
        base: i64,
    ) {
        let Some(p) = self.map.get_mut(&producer) else {
            return;
        };
        p.unresolved.remove(&b.seq);
        if let Some(q) = p.parts.get_mut(&partition) {
            if q.in_flight.is_empty() && !q.verify {
                // The partition works again: resume pipelining.
                q.recovering = false;
            }
            let count = b.built.as_ref().map_or(0, |x| x.records_count());
            let next = base.saturating_add(i64::try_from(count).unwrap_or(0));
            q.settled = Some(q.settled.map_or(next, |s| s.max(next)));
        }
        net.metrics.records_produced += b.sends.len() as u64;
        net.events.push_back(Event::Delivered {
            producer,
            partition,
            base_offset: base,
            sends: b.sends,
            possible_duplicate: b.unknown,
        });
    }

    pub(crate) fn resolve_failed(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        b: PendingBatch,
        error: ProduceError,
    ) {
        let Some(p) = self.map.get_mut(&producer) else {
            return;
        };
        p.unresolved.remove(&b.seq);
        for f in p.flushes.iter_mut() {
            if b.seq < f.upto && f.first_error.is_none() {
                f.first_error = Some(error.clone());
            }
        }
        net.events.push_back(Event::SendFailed {
            producer,
            partition,
            sends: b.sends,
            error,
        });
    }

    /// `cause`, naming the replicas a read-committed producer's partition waits for when
    /// the SC reports some offline or behind (unchanged otherwise).
    pub(crate) fn replicas_behind(
        &self,
        net: &Net,
        producer: ProducerId,
        partition: u32,
        cause: ClientError,
    ) -> ClientError {
        let read_committed = self
            .map
            .get(&producer)
            .is_some_and(|p| p.config.isolation == crate::spu::Isolation::ReadCommitted);
        match read_committed.then(|| self.lagging_replicas(net, producer, partition)) {
            Some(Some(replicas)) => ClientError::ReplicasBehind {
                cause: Box::new(cause),
                replicas,
            },
            _ => cause,
        }
    }

    /// The replicas of a producer's partition the SC reports offline or behind, as in
    /// `replica on SPU 5002 is offline, …` (`None` when there are none).
    pub(crate) fn lagging_replicas(
        &self,
        net: &Net,
        producer: ProducerId,
        partition: u32,
    ) -> Option<String> {
        let p = self.map.get(&producer)?;
        let lagging = net.metadata.lagging_replicas(&p.topic, Some(&[partition]));
        (!lagging.is_empty()).then(|| {
            lagging
                .iter()
                .map(|r| format!("replica on SPU {} is {}", r.spu, r.why))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }

    pub(crate) fn after_resolution(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        now: Instant,
    ) {
        if let Some(p) = self.map.get_mut(&producer) {
            let queue_size = p.config.batch_queue_size;
            if p.blocked && p.parts.values().any(|q| q.unresolved() < queue_size) {
                p.blocked = false;
                net.events.push_back(Event::ProducerReady { producer });
            }
        }
        self.pump_partition(net, producer, partition, now);
        self.check_flushes(net, producer);
    }
}

fn final_error(error: ClientError, attempts: u32) -> ClientError {
    if attempts > 1 {
        ClientError::RetriesExhausted {
            attempts,
            last: Box::new(error),
        }
    } else {
        error
    }
}

impl Producers {
    /// Takes ready batches from the front of the queue into one request.
    pub(super) fn send_request(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        conn: ConnId,
        now: Instant,
    ) -> bool {
        let Some(p) = self.map.get_mut(&producer) else {
            return false;
        };
        match p.poll_request(partition) {
            Taken::Nothing => false,
            Taken::Failed(b, error) => {
                self.resolve_failed(net, producer, partition, *b, error);
                true
            }
            Taken::Request {
                request,
                body,
                retries,
                records_retried,
            } => {
                net.metrics.produce_retries += retries;
                net.metrics.records_retried += records_retried;
                let tag = Tag::Producer(ProducerReq::Produce(PartRequest {
                    producer,
                    partition,
                    request,
                }));
                net.submit(conn, tag, AnyRequest::Produce(body), false, now);
                true
            }
        }
    }
}

/// What [`Producer::poll_request`] took from a partition's queue.
enum Taken {
    /// Nothing may go out.
    Nothing,
    /// A batch that could not be built, to resolve as failed.
    Failed(Box<PendingBatch>, ProduceError),
    /// A request now in flight, with how many of its batches (and their records) are
    /// retries.
    Request {
        request: u64,
        body: ProduceRequest,
        retries: u64,
        records_retried: u64,
    },
}

impl Producer {
    /// The next produce request of `partition`, its batches now in flight.
    fn poll_request(&mut self, partition: u32) -> Taken {
        let max = self.config.max_request_size;
        let Some(q) = self.parts.get_mut(&partition) else {
            return Taken::Nothing;
        };
        let batches = match q.take_request(max, self.stamp) {
            Ok(batches) if batches.is_empty() => return Taken::Nothing,
            Ok(batches) => batches,
            Err(failed) => {
                let (b, e) = *failed;
                let b = Box::new(b);
                let error = ProduceError::Producer(ClientError::Encode(e));
                return Taken::Failed(b, error);
            }
        };
        let request = self.next_request;
        self.next_request += 1;
        let retried = || batches.iter().filter(|b| b.attempts > 1);
        let retries = retried().count() as u64;
        let records_retried = retried().map(|b| b.sends.len() as u64).sum::<u64>();
        let body = ProduceRequest {
            transactional_id: None,
            isolation: self.config.isolation,
            timeout: self.config.timeout,
            topics: vec![TopicProduceData {
                name: self.topic.clone(),
                partitions: batches
                    .iter()
                    .filter_map(|b| b.built.clone())
                    .map(|batch| PartitionProduceData {
                        partition_index: partition,
                        records: crate::protocol::record::RecordSet::from_batches(vec![batch]),
                    })
                    .collect(),
            }],
            smartmodules: self.config.smartmodules.clone(),
        };
        q.in_flight.push_back(InFlight { request, batches });
        Taken::Request {
            request,
            body,
            retries,
            records_retried,
        }
    }
}
