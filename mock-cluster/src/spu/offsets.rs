//! Consumer offsets, stored (as on a real cluster) in the system topic
//! `consumer-offset`: updates go to the leader of the consumed partition, which writes
//! them to `consumer-offset`; listing and deleting are answered by the leader of
//! `consumer-offset-0`.

use flv_core::error_code::ErrorCode;
use flv_core::record::{Batch, Compression, Record};
use flv_core::spu::ReplicaKey;
use flv_core::spu::consumer_offset::{
    ConsumerOffset, DeleteConsumerOffsetRequest, DeleteConsumerOffsetResponse,
    FetchConsumerOffsetsRequest, FetchConsumerOffsetsResponse, UpdateConsumerOffsetRequest,
    UpdateConsumerOffsetResponse,
};

use crate::cluster::{MockCluster, StoredOffset};
use crate::config::{CONSUMER_OFFSET_TOPIC, ConnId};

impl MockCluster {
    fn offsets_key() -> ReplicaKey {
        ReplicaKey::new(CONSUMER_OFFSET_TOPIC, 0)
    }

    pub(crate) fn handle_update_consumer_offset(
        &mut self,
        conn: ConnId,
        req: UpdateConsumerOffsetRequest,
    ) -> UpdateConsumerOffsetResponse {
        let session = self
            .conns
            .get(&conn)
            .and_then(|c| c.sessions.get(&req.session_id))
            .map(|s| (s.key.clone(), s.consumer_id.clone()));
        let error = match session {
            None => ErrorCode::FetchSessionNotFoud,
            Some((_, None)) => ErrorCode::OffsetManagementDisabled,
            Some((key, Some(consumer))) => {
                let offsets = Self::offsets_key();
                let leader = self.partitions.get(&offsets).map(|p| p.leader);
                match leader {
                    Some(l) if self.spu_running(l) => {
                        let modified_secs = self.wall_secs();
                        self.append_offset_record(&consumer, &key, req.offset);
                        self.consumer_offsets.insert(
                            (consumer, key),
                            StoredOffset {
                                offset: req.offset,
                                modified_secs,
                            },
                        );
                        ErrorCode::None
                    }
                    _ => ErrorCode::OffsetFlushRequestError(
                        "the consumer-offset partition has no leader".into(),
                    ),
                }
            }
        };
        UpdateConsumerOffsetResponse {
            offset: req.offset,
            error_code: error,
        }
    }

    /// Writes the offset as a record of `consumer-offset-0`, so that its offsets and
    /// size move as on a real cluster.
    fn append_offset_record(&mut self, consumer: &str, key: &ReplicaKey, offset: i64) {
        let ts = i64::try_from(self.wall_secs().saturating_mul(1000)).unwrap_or(i64::MAX);
        let record = Record::with_key(format!("{consumer}/{key}"), offset.to_string());
        if let Ok(batch) = Batch::from_records([record], Compression::None, ts)
            && let Some(p) = self.partitions.get_mut(&Self::offsets_key())
        {
            p.log_mut().append(batch);
        }
    }

    pub(crate) fn handle_delete_consumer_offset(
        &mut self,
        spu: i32,
        req: DeleteConsumerOffsetRequest,
    ) -> DeleteConsumerOffsetResponse {
        if !self.leads(spu, &Self::offsets_key()) {
            return DeleteConsumerOffsetResponse {
                error_code: ErrorCode::NotLeaderForPartition,
            };
        }
        self.consumer_offsets
            .remove(&(req.consumer_id, req.replica_id));
        DeleteConsumerOffsetResponse {
            error_code: ErrorCode::None,
        }
    }

    pub(crate) fn handle_fetch_consumer_offsets(
        &self,
        spu: i32,
        req: FetchConsumerOffsetsRequest,
    ) -> FetchConsumerOffsetsResponse {
        if !self.leads(spu, &Self::offsets_key()) {
            return FetchConsumerOffsetsResponse {
                error_code: ErrorCode::NotLeaderForPartition,
                consumers: Vec::new(),
            };
        }
        let filter = req.filter_opts.unwrap_or_default();
        let consumers = self
            .consumer_offsets
            .iter()
            .filter(|((consumer, key), _)| {
                filter.consumer_id.as_ref().is_none_or(|c| c == consumer)
                    && filter.replica_id.as_ref().is_none_or(|r| r == key)
            })
            .map(|((consumer, key), stored)| ConsumerOffset {
                consumer_id: consumer.clone(),
                replica_id: key.clone(),
                offset: stored.offset,
                modified_time: stored.modified_secs,
            })
            .collect();
        FetchConsumerOffsetsResponse {
            error_code: ErrorCode::None,
            consumers,
        }
    }
}
