//! Handing consumed batches to the application: round-robin over partitions, filtering
//! records outside `[position, end)`, committing in auto mode, and acknowledging the SPU
//! once the buffer has room again.

use super::super::ConsumerReq;
use super::super::config::OffsetManagement;
use super::super::event::{ConsumerEvent, ConsumerId};
use super::super::net::Net;
use super::super::records::batch_records;
use super::Consumers;
use super::stream::{Item, Phase};
use super::{consumer_tag, stream_tags};
use crate::protocol::message::AnyRequest;

use crate::protocol::spu::update_offsets::{OffsetUpdate, UpdateOffsetsRequest};
use crate::time::Instant;

impl Consumers {
    /// The next event of a consumer: batches round-robin over partitions, partition
    /// errors and ends, then [`ConsumerEvent::End`] once everything finished.
    #[must_use]
    pub(crate) fn poll_consumer(
        &mut self,
        net: &mut Net,
        consumer: ConsumerId,
        now: Instant,
    ) -> Option<ConsumerEvent> {
        let c = self.map.get_mut(&consumer)?;
        if let Some(e) = c.failure.take() {
            return Some(ConsumerEvent::Failed(e));
        }
        let keys: Vec<u32> = c.parts.keys().copied().collect();
        let n = keys.len();
        for i in 0..n {
            let idx = (c.rr + i) % n;
            let partition = keys[idx];
            let Some(p) = c.parts.get_mut(&partition) else {
                continue;
            };
            let Some(item) = p.items.pop_front() else {
                continue;
            };
            c.rr = (idx + 1) % n;
            let event = match item {
                Item::Event(e) => e,
                Item::Batch { batch, from } => {
                    p.buffered = p.buffered.saturating_sub(batch.encoded_size());
                    match batch_records(&batch, partition, from, p.end_offset) {
                        Ok(records) => {
                            if let Some(last) = records.last() {
                                p.last_delivered = Some(last.offset);
                                if c.config.offset_management == OffsetManagement::Auto {
                                    p.committed = Some(last.offset);
                                }
                            }
                            net.metrics.records_consumed += records.len() as u64;
                            ConsumerEvent::Records {
                                partition,
                                records,
                                batch,
                            }
                        }
                        Err(error) => {
                            // A corrupt batch: stop the partition rather than skip it.
                            let old = p.conn.take();
                            p.phase = Phase::Done;
                            p.items.clear();
                            p.buffered = 0;
                            let generation = p.generation;
                            if let Some((_, conn)) = old {
                                net.forget(conn, stream_tags(consumer, partition, generation));
                            }
                            ConsumerEvent::Error { partition, error }
                        }
                    }
                }
            };
            self.maybe_ack(net, consumer, partition, now);
            // A stream that waited for room starts again.
            self.part_pump(net, consumer, partition, now);
            return Some(event);
        }
        let c = self.map.get_mut(&consumer)?;
        c.notified = false;
        let all_done = if c.parts.is_empty() {
            c.is_failed()
        } else {
            c.parts.values().all(|p| p.phase == Phase::Done)
        };
        if all_done && !c.end_reported {
            c.end_reported = true;
            return Some(ConsumerEvent::End);
        }
        None
    }
}

impl Consumers {
    /// Sends the pending acknowledgement if the buffer has room.
    pub(crate) fn maybe_ack(
        &mut self,
        net: &mut Net,
        id: ConsumerId,
        partition: u32,
        now: Instant,
    ) {
        let Some(c) = self.map.get_mut(&id) else {
            return;
        };
        let room = c.config.buffer_bytes;
        let Some(p) = c.parts.get_mut(&partition) else {
            return;
        };
        if p.phase != Phase::Streaming || p.buffered >= room {
            return;
        }
        let (Some(offset), Some(session), Some((_, conn))) = (p.ack_pending, p.session, p.conn)
        else {
            return;
        };
        p.ack_pending = None;
        let generation = p.generation;
        let body = AnyRequest::UpdateOffsets(UpdateOffsetsRequest {
            offsets: vec![OffsetUpdate {
                offset,
                session_id: session,
            }],
        });
        let tag = consumer_tag(id, partition, generation, ConsumerReq::Ack);
        net.submit(conn, tag, body, false, now);
    }
}
