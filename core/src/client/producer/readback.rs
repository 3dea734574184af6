//! Exactly once across unknown outcomes: the read-back.
//!
//! An exactly-once producer stamps every batch with its 63-bit producer id and a
//! per-partition sequence (the SPU keeps both in the stored batch header). When a
//! request's outcome is unknown (the connection was lost with it in flight, or the SPU
//! answered that it timed out after appending), its batches go back to the queue marked
//! `unknown` and the partition sends nothing until a read-back has settled them: Fetch
//! requests to the partition's current leader, read-uncommitted, from the lowest offset
//! at which a copy could be (the partition's settled offset when the batch was sent) up
//! to the log end, looking only at batch headers. A batch found is acknowledged with the
//! offset found (read-committed: once the high watermark covers it, re-reading until it
//! does or the delivery deadline passes); a batch not found is sent again (or, when the
//! retry policy allows no more attempts, fails as never delivered). Either way one send
//! leaves at most one copy in the log, and no stored batch is reported as failed.

use std::time::Duration;

use super::super::Tag;
use super::super::config::DeliverySemantic;
use super::super::error::{ClientError, ProduceError};
use super::super::event::{ConnId, ProducerId};
use super::super::ids::{PartRequest, ProducerReq};
use super::super::net::Net;
use super::Producers;
use super::{PendingBatch, ReadBack};
use crate::error_code::ErrorCode;
use crate::message::{AnyRequest, AnyResponse};
use crate::spu::Isolation;
use crate::spu::fetch::{FetchPartition, FetchRequest, FetchableTopic};
use crate::time::Instant;

/// Bytes a read-back fetch asks for at first (at least the producer's request size).
const READ_BACK_BYTES: i32 = 1 << 20;
/// The most a read-back fetch asks for (a stored batch larger than this stops it).
const READ_BACK_MAX_BYTES: i32 = 64 << 20;
/// The wait between two read-backs when the first failed or a found batch waits for
/// the high watermark (at-most-once producers have no retry policy).
const READ_BACK_DELAY: Duration = Duration::from_millis(100);

impl Producers {
    /// Sends the next fetch of a partition's read-back to its leader on `conn`.
    pub(super) fn send_read_back(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        conn: ConnId,
        now: Instant,
    ) {
        let Some(p) = self.map.get_mut(&producer) else {
            return;
        };
        let request = p.next_request;
        p.next_request += 1;
        let topic = p.topic.clone();
        let first = i32::try_from(p.config.max_request_size)
            .unwrap_or(READ_BACK_MAX_BYTES)
            .clamp(READ_BACK_BYTES, READ_BACK_MAX_BYTES);
        let Some(q) = p.parts.get_mut(&partition) else {
            return;
        };
        if q.read_back.is_none() {
            // A new read-back: from the lowest offset where a copy of a batch to verify
            // could be; what an earlier one found is forgotten (the leader may differ).
            let mut from = i64::MAX;
            for b in q.queue.iter_mut().filter(|b| b.unknown) {
                b.found = None;
                from = from.min(b.scan_from.unwrap_or(0));
            }
            q.read_back = Some(ReadBack {
                from: if from == i64::MAX { 0 } else { from },
                max_bytes: first,
                request: None,
            });
        }
        let Some(rb) = q.read_back.as_mut() else {
            return;
        };
        rb.request = Some(request);
        let body = FetchRequest {
            max_wait: 0,
            min_bytes: 0,
            max_bytes: rb.max_bytes,
            isolation_level: Isolation::ReadUncommitted,
            topics: vec![FetchableTopic {
                name: topic,
                fetch_partitions: vec![FetchPartition {
                    partition_index: partition,
                    current_leader_epoch: -1,
                    fetch_offset: rb.from,
                    log_start_offset: -1,
                    max_bytes: rb.max_bytes,
                }],
            }],
            forgotten: Vec::new(),
        };
        tracing::debug!(%partition, from = rb.from, "produce read-back");
        net.metrics.produce_read_backs += 1;
        let tag = Tag::Producer(ProducerReq::ReadBack(PartRequest {
            producer,
            partition,
            request,
        }));
        net.submit(conn, tag, AnyRequest::Fetch(body), false, now);
    }

    /// A read-back fetch failed (connection lost, no answer): try again after a delay.
    pub(crate) fn on_read_back_failed(
        &mut self,
        producer: ProducerId,
        partition: u32,
        request: u64,
        error: &ClientError,
        now: Instant,
    ) {
        if self.take_read_back(producer, partition, request) {
            tracing::info!(%partition, %error, "produce read-back failed");
            self.read_back_later(producer, partition, now);
        }
    }

    /// Whether `request` is the read-back fetch in flight (which is then no longer).
    fn take_read_back(&mut self, producer: ProducerId, partition: u32, request: u64) -> bool {
        let Some(rb) = self
            .map
            .get_mut(&producer)
            .and_then(|p| p.parts.get_mut(&partition))
            .and_then(|q| q.read_back.as_mut())
        else {
            return false;
        };
        if rb.request != Some(request) {
            return false;
        }
        rb.request = None;
        true
    }

    /// Waits before the next fetch of the read-back.
    fn read_back_later(&mut self, producer: ProducerId, partition: u32, now: Instant) {
        let Some(p) = self.map.get_mut(&producer) else {
            return;
        };
        let delay = match p.config.delivery_semantic {
            DeliverySemantic::AtLeastOnce(pol) => pol.delay(1).max(READ_BACK_DELAY),
            DeliverySemantic::AtMostOnce => READ_BACK_DELAY,
        };
        if let Some(q) = p.parts.get_mut(&partition) {
            let at = now + delay;
            q.retry_at = Some(q.retry_at.map_or(at, |t| t.max(at)));
        }
    }

    /// A read-back fetch answered: note the batches found, read on, or settle.
    pub(crate) fn on_read_back_response(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        request: u64,
        body: AnyResponse,
        now: Instant,
    ) {
        if !self.take_read_back(producer, partition, request) {
            return;
        }
        let Some(p) = self.map.get_mut(&producer) else {
            return;
        };
        let (Some(stamp), Some(q)) = (p.stamp, p.parts.get_mut(&partition)) else {
            return;
        };
        let Some(rb) = q.read_back.as_mut() else {
            return;
        };
        let AnyResponse::Fetch(r) = body else {
            return;
        };
        let part = r.find_partition(&p.topic, partition);
        let code = match part {
            _ if r.error_code.is_error() => r.error_code.clone(),
            None => ErrorCode::UnknownServerError,
            Some(part) => part.error_code.clone(),
        };
        let Some(part) = part.filter(|_| code.is_ok()) else {
            match (code, part) {
                (ErrorCode::OffsetOutOfRange, Some(part)) if rb.from < part.log_start_offset => {
                    // Retention removed the start: read from the log start.
                    rb.from = part.log_start_offset;
                    self.pump_partition(net, producer, partition, now);
                }
                (ErrorCode::OffsetOutOfRange, Some(part)) => {
                    // Past the log end (the leader lost records): nothing is there.
                    let hw = part.high_watermark;
                    let end = rb.from.min(hw.max(0));
                    self.settle_read_back(net, producer, partition, end, hw, now);
                }
                (code, _) => {
                    tracing::info!(%partition, %code, "produce read-back refused");
                    self.read_back_later(producer, partition, now);
                }
            }
            return;
        };
        let hw = part.high_watermark;
        let mut progressed = false;
        for batch in &part.records.batches {
            let h = batch.header();
            if batch.next_offset() <= rb.from {
                continue;
            }
            progressed = true;
            rb.from = batch.next_offset();
            if h.producer_id != stamp {
                continue;
            }
            for b in q.queue.iter_mut().filter(|b| b.unknown) {
                if b.sequence == h.first_sequence {
                    b.found = Some(batch.base_offset());
                }
            }
        }
        let partial = part.records.partial.is_some();
        if progressed {
            self.pump_partition(net, producer, partition, now);
        } else if partial && rb.max_bytes < READ_BACK_MAX_BYTES {
            // A batch larger than the fetch: ask for more.
            rb.max_bytes = rb.max_bytes.saturating_mul(2).min(READ_BACK_MAX_BYTES);
            self.pump_partition(net, producer, partition, now);
        } else if partial || rb.from < hw {
            tracing::warn!(%partition, from = rb.from, "produce read-back: nothing readable before the high watermark");
            self.read_back_later(producer, partition, now);
        } else {
            let end = rb.from;
            self.settle_read_back(net, producer, partition, end, hw, now);
        }
    }

    /// The read-back reached the log end `end`: acknowledges the batches found (and
    /// committed, for read-committed), re-sends or fails those not found.
    fn settle_read_back(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        partition: u32,
        end: i64,
        hw: i64,
        now: Instant,
    ) {
        let Some(p) = self.map.get_mut(&producer) else {
            return;
        };
        let committed_only = p.config.isolation == Isolation::ReadCommitted;
        let max_retries = match p.config.delivery_semantic {
            DeliverySemantic::AtLeastOnce(pol) => Some(pol.max_retries),
            DeliverySemantic::AtMostOnce => None,
        };
        let Some(q) = p.parts.get_mut(&partition) else {
            return;
        };
        q.read_back = None;
        let mut delivered: Vec<(PendingBatch, i64)> = Vec::new();
        let mut failed: Vec<PendingBatch> = Vec::new();
        let mut waiting = false;
        let mut kept = std::collections::VecDeque::with_capacity(q.queue.len());
        for mut b in q.queue.drain(..) {
            if !b.unknown {
                kept.push_back(b);
                continue;
            }
            match b.found {
                Some(at) => {
                    b.stored_at = Some(at);
                    let count = b.built.as_ref().map_or(0, |x| x.records_count());
                    let next = at.saturating_add(i64::try_from(count).unwrap_or(0));
                    if !committed_only || next <= hw {
                        b.unknown = false;
                        delivered.push((b, at));
                    } else {
                        // Stored, not yet committed: look again later from there.
                        b.scan_from = Some(at);
                        waiting = true;
                        kept.push_back(b);
                    }
                }
                None if max_retries.is_some_and(|m| (b.attempts as usize) <= m) => {
                    // Not in the log: sending it again cannot make a second copy.
                    b.unknown = false;
                    b.stored_at = None;
                    kept.push_back(b);
                }
                None => {
                    b.unknown = false;
                    b.stored_at = None;
                    failed.push(b);
                }
            }
        }
        q.queue = kept;
        q.verify = waiting;
        q.settled = Some(q.settled.map_or(end, |s| s.max(end)));
        tracing::info!(
            %partition,
            end,
            found = delivered.len(),
            waiting,
            "produce read-back done"
        );
        for (b, at) in delivered {
            self.resolve_delivered(net, producer, partition, b, at);
        }
        for b in failed {
            let error = ClientError::RetriesExhausted {
                attempts: b.attempts,
                last: Box::new(ClientError::Protocol {
                    peer: crate::message::Peer::Spu(-1),
                    message: "not in the log after an unknown outcome".into(),
                    source: None,
                }),
            };
            self.resolve_failed(
                net,
                producer,
                partition,
                b,
                ProduceError::NotDelivered(error),
            );
        }
        if waiting {
            self.read_back_later(producer, partition, now);
        }
        self.after_resolution(net, producer, partition, now);
    }
}
