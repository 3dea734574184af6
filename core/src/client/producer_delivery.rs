//! Producer delivery outcomes: responses and failures of produce requests, ordered
//! retries, and the resolution of batches (events, flushes, back-pressure release).

use std::time::Duration;

use super::Client;
use super::config::DeliverySemantic;
use super::error::{ClientError, ProduceError};
use super::event::{Event, ProducerId};
use super::producer::{InFlight, PendingBatch};
use crate::error_code::ErrorCode;
use crate::message::AnyResponse;
use crate::time::Instant;

impl Client {
    pub(crate) fn take_in_flight(
        &mut self,
        producer: ProducerId,
        partition: u32,
        request: u64,
    ) -> Option<InFlight> {
        let q = self
            .producers
            .get_mut(&producer)?
            .parts
            .get_mut(&partition)?;
        let i = q.in_flight.iter().position(|f| f.request == request)?;
        q.in_flight.remove(i)
    }

    pub(crate) fn on_produce_response(
        &mut self,
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
                    self.resolve_delivered(producer, partition, b, r.base_offset)
                }
                Some(r) => {
                    let error = ClientError::Server(r.error_code);
                    self.retry_or_fail(producer, partition, b, error, true, now);
                }
                None => {
                    let leader = self
                        .producers
                        .get(&producer)
                        .and_then(|p| self.metadata.leader(&p.topic, partition));
                    let error = ClientError::Protocol {
                        peer: super::event::Peer::Spu(leader.unwrap_or(-1)),
                        message: "produce response has fewer entries than batches".into(),
                    };
                    self.retry_or_fail(producer, partition, b, error, true, now);
                }
            }
        }
        self.after_resolution(producer, partition, now);
    }

    pub(crate) fn on_produce_failed(
        &mut self,
        producer: ProducerId,
        partition: u32,
        request: u64,
        error: ClientError,
        written: bool,
        now: Instant,
    ) {
        let Some(flight) = self.take_in_flight(producer, partition, request) else {
            return;
        };
        for mut b in flight.batches {
            if !written {
                // Never reached the server: not an attempt.
                b.attempts = b.attempts.saturating_sub(1);
            }
            self.retry_or_fail(producer, partition, b, error.clone(), written, now);
        }
        self.after_resolution(producer, partition, now);
    }

    /// Puts a failed batch back in order, or resolves it as failed.
    pub(crate) fn retry_or_fail(
        &mut self,
        producer: ProducerId,
        partition: u32,
        mut b: PendingBatch,
        error: ClientError,
        reached: bool,
        now: Instant,
    ) {
        let Some(p) = self.producers.get_mut(&producer) else {
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
        let policy = match p.config.delivery_semantic {
            DeliverySemantic::AtLeastOnce(policy) => Some(policy),
            DeliverySemantic::AtMostOnce => None,
        };
        // At most once: a batch that may have reached the server is never re-sent.
        let may_retry = match policy {
            Some(policy) => retriable && (b.attempts as usize) <= policy.max_retries,
            None => !reached && retriable,
        };
        if may_retry && b.deadline > now {
            let q = p.parts.entry(partition).or_default();
            q.recovering = true;
            let delay = policy.map_or(Duration::ZERO, |pol| pol.delay(b.attempts.max(1) as usize));
            let jitter = 1.0 + 0.2 * (2.0 * self.rng.unit() - 1.0);
            let at = now + delay.mul_f64(jitter);
            tracing::info!(%partition, attempt = b.attempts, ?delay, %error, "produce retry");
            q.retry_at = Some(q.retry_at.map_or(at, |t| t.max(at)));
            let pos = q
                .queue
                .iter()
                .position(|x| x.seq > b.seq)
                .unwrap_or(q.queue.len());
            q.queue.insert(pos, b);
            return;
        }
        let error = if timed_out {
            self.replicas_behind(producer, partition, error)
        } else {
            error
        };
        let error = match (server_code, b.unknown) {
            (Some(code), false) => ProduceError::Rejected(code),
            (_, true) => ProduceError::OutcomeUnknown(final_error(error, b.attempts)),
            (None, false) => ProduceError::NotDelivered(final_error(error, b.attempts)),
        };
        self.resolve_failed(producer, partition, b, error);
    }

    pub(crate) fn resolve_delivered(
        &mut self,
        producer: ProducerId,
        partition: u32,
        b: PendingBatch,
        base: i64,
    ) {
        let Some(p) = self.producers.get_mut(&producer) else {
            return;
        };
        p.unresolved.remove(&b.seq);
        if let Some(q) = p.parts.get_mut(&partition)
            && q.in_flight.is_empty()
        {
            // The partition works again: resume pipelining.
            q.recovering = false;
        }
        self.metrics.records_produced += b.sends.len() as u64;
        self.events.push_back(Event::Delivered {
            producer,
            partition,
            base_offset: base,
            sends: b.sends,
            possible_duplicate: b.unknown,
        });
    }

    pub(crate) fn resolve_failed(
        &mut self,
        producer: ProducerId,
        partition: u32,
        b: PendingBatch,
        error: ProduceError,
    ) {
        let Some(p) = self.producers.get_mut(&producer) else {
            return;
        };
        p.unresolved.remove(&b.seq);
        for f in p.flushes.iter_mut() {
            if b.seq < f.upto && f.first_error.is_none() {
                f.first_error = Some(error.clone());
            }
        }
        self.events.push_back(Event::SendFailed {
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
        producer: ProducerId,
        partition: u32,
        cause: ClientError,
    ) -> ClientError {
        let Some(p) = self.producers.get(&producer) else {
            return cause;
        };
        if p.config.isolation != crate::spu::Isolation::ReadCommitted {
            return cause;
        }
        let lagging = self.metadata.lagging_replicas(&p.topic, Some(&[partition]));
        if lagging.is_empty() {
            return cause;
        }
        let replicas = lagging
            .iter()
            .map(|r| format!("SPU {} {}", r.spu, r.why))
            .collect::<Vec<_>>()
            .join(", ");
        ClientError::ReplicasBehind {
            cause: Box::new(cause),
            replicas,
        }
    }

    pub(crate) fn after_resolution(&mut self, producer: ProducerId, partition: u32, now: Instant) {
        if let Some(p) = self.producers.get_mut(&producer) {
            let queue_size = p.config.batch_queue_size;
            if p.blocked && p.parts.values().any(|q| q.unresolved() < queue_size) {
                p.blocked = false;
                self.events.push_back(Event::ProducerReady { producer });
            }
        }
        self.pump_partition(producer, partition, now);
        self.check_flushes(producer);
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
