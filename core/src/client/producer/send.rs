//! Sending a record: the partition it goes to, the batch it joins, and when the batch
//! may go out (at the next drain of the client's outputs).

use bytes::Bytes;

use super::super::error::SendError;
use super::super::event::SendId;
use super::super::net::Net;
use super::{PartitionCache, PendingBatch, ProducerId, Producers, State};
use crate::protocol::record::{BATCH_FIXED_SIZE, BatchBuilder, NO_TIMESTAMP, Record};
use crate::time::Instant;

/// The uncompressed size of a batch without records (header and record count).
pub(super) const EMPTY_BATCH_SIZE: usize = BATCH_FIXED_SIZE + 4;

impl Producers {
    /// Queues a record; `Ok` carries its id, resolved later by [`Event::Delivered`] or
    /// [`Event::SendFailed`]. What may be sent goes out at the next drain of the outputs
    /// ([`poll_io`](Self::poll_io), [`poll_transmit`](Self::poll_transmit),
    /// [`poll_event`](Self::poll_event)), with every record queued by then.
    pub(crate) fn send(
        &mut self,
        net: &mut Net,
        producer: ProducerId,
        key: Option<Bytes>,
        value: Bytes,
        now: Instant,
    ) -> Result<SendId, SendError> {
        let wall = net.wall_ms(now);
        match self.map.get(&producer) {
            None => return Err(SendError::Closed),
            Some(p) if p.closing => return Err(SendError::Closed),
            Some(p) if !matches!(p.state, State::Ready) => return Err(SendError::NotReady),
            Some(_) => {}
        }
        let send_id = SendId(net.next_id());
        let Some(p) = self.map.get_mut(&producer) else {
            return Err(SendError::Closed);
        };
        let generation = net.metadata.generation();
        if p.partitions
            .as_ref()
            .is_none_or(|c| c.generation != generation)
        {
            p.partitions = Some(PartitionCache {
                generation,
                count: net.metadata.partition_count(&p.topic),
                online: net.metadata.online_partitions(&p.topic),
            });
        }
        let (count, online) = match &p.partitions {
            Some(c) => (c.count, c.online.as_slice()),
            None => (0, &[][..]),
        };
        let partition = p.partitioner.partition(key.as_deref(), count, online);
        if partition >= count {
            return Err(SendError::PartitionNotFound(partition));
        }
        let mut record = Record {
            key,
            value,
            ..Record::default()
        };
        // A record alone (deltas 0) must fit in a request. Sizes are computed on the
        // record itself, its deltas set as they would be: no builder, no clone per send.
        let alone = EMPTY_BATCH_SIZE + record.encoded_size();
        if alone > p.config.max_request_size {
            return Err(SendError::RecordTooLarge {
                size: alone,
                max: p.config.max_request_size,
            });
        }
        let max_delivery = p.max_delivery();
        let linger_zero = p.config.linger.is_zero();
        let (batch_size, queue_size) = (p.config.batch_size, p.config.batch_queue_size);
        let max_in_flight = p.config.max_in_flight;
        let compression = p.compression;
        let q = p.parts.entry(partition).or_default();
        let delta = |first_ts: i64| match wall {
            Some(w) if first_ts != NO_TIMESTAMP => w.saturating_sub(first_ts).max(0),
            _ => 0,
        };
        let fits = match q.queue.back() {
            Some(PendingBatch {
                builder: Some(builder),
                first_ts,
                ..
            }) => {
                record.offset_delta = i64::try_from(builder.len()).unwrap_or(i64::MAX);
                record.timestamp_delta = delta(*first_ts);
                builder.encoded_size() + record.encoded_size() <= batch_size
            }
            _ => false,
        };
        if !fits {
            if q.unresolved() >= queue_size {
                p.blocked = true;
                return Err(SendError::QueueFull { partition });
            }
            let seq = p.next_seq;
            p.next_seq += 1;
            p.unresolved.insert(seq);
            let first_ts = wall.unwrap_or(NO_TIMESTAMP);
            q.queue.push_back(PendingBatch {
                seq,
                builder: Some(BatchBuilder::new(compression, first_ts)),
                built: None,
                first_ts,
                sends: Vec::new(),
                created: now,
                deadline: now + max_delivery,
                ready: false,
                eager: linger_zero,
                attempts: 0,
                unknown: false,
                sequence: -1,
                scan_from: None,
                found: None,
                stored_at: None,
            });
        }
        let Some(batch) = q.queue.back_mut() else {
            return Err(SendError::Closed);
        };
        record.timestamp_delta = delta(batch.first_ts);
        let Some(builder) = batch.builder.as_mut() else {
            return Err(SendError::Closed);
        };
        if builder.push(record).is_err() {
            return Err(SendError::RecordTooLarge {
                size: alone,
                max: p.config.max_request_size,
            });
        }
        batch.sends.push(send_id);
        // The request is built when the driver next drains the client, so that records
        // sent until then join the batch: batching grows with the load, with no linger.
        // Nothing is to be drained while the partition may not send (a request in
        // flight and the batch not full, a retry pending): the response, the timer or
        // the record that fills the batch will pump it, and the driver is not woken
        // for every record.
        if q.may_send(max_in_flight) && !self.deferred.contains(&(producer, partition)) {
            self.deferred.push((producer, partition));
        }
        self.deferred_at = self.deferred_at.max(now);
        Ok(send_id)
    }

    /// Sends what the partitions written to since the last drain may send.
    /// Returns the time of the last such send, when the requests were built.
    pub(crate) fn run_deferred(&mut self, net: &mut Net) -> Instant {
        let now = self.deferred_at;
        for (producer, partition) in std::mem::take(&mut self.deferred) {
            self.pump_partition(net, producer, partition, now);
        }
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::record::Compression;

    #[test]
    fn empty_batch_size_matches_the_builder() {
        assert_eq!(
            EMPTY_BATCH_SIZE,
            BatchBuilder::new(Compression::None, 0).encoded_size()
        );
        let record = Record {
            value: Bytes::from_static(b"value"),
            ..Record::default()
        };
        assert_eq!(
            EMPTY_BATCH_SIZE + record.encoded_size(),
            BatchBuilder::new(Compression::None, 0).encoded_size_with(&record)
        );
    }
}
