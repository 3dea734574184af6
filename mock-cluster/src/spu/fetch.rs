//! Classic Fetch and FetchOffsets.

use flv_core::error_code::ErrorCode;
use flv_core::spu::fetch::{FetchRequest, FetchResponse, FetchableTopicResponse};
use flv_core::spu::fetch_offsets::{
    FetchOffsetPartitionResponse, FetchOffsetTopicResponse, FetchOffsetsRequest,
    FetchOffsetsResponse,
};
use flv_core::spu::{FetchablePartitionResponse, Isolation, ReplicaKey};

use crate::cluster::MockCluster;

impl MockCluster {
    /// The offset a reader with `isolation` may read up to (exclusive).
    pub(crate) fn read_limit(&self, key: &ReplicaKey, isolation: Isolation) -> Option<i64> {
        let p = self.partitions.get(key)?;
        Some(match isolation {
            Isolation::ReadCommitted => p.hw(),
            Isolation::ReadUncommitted => p.log().end(),
        })
    }

    pub(crate) fn handle_fetch(&self, spu: i32, req: FetchRequest) -> FetchResponse {
        let topics = req
            .topics
            .iter()
            .map(|t| FetchableTopicResponse {
                name: t.name.clone(),
                partitions: t
                    .fetch_partitions
                    .iter()
                    .map(|fp| {
                        let key = ReplicaKey::new(t.name.clone(), fp.partition_index);
                        let mut resp = FetchablePartitionResponse {
                            partition_index: fp.partition_index,
                            high_watermark: -1,
                            ..Default::default()
                        };
                        if !self.leads(spu, &key) {
                            resp.error_code = ErrorCode::NotLeaderForPartition;
                            return resp;
                        }
                        let (Some(p), Some(limit)) = (
                            self.partitions.get(&key),
                            self.read_limit(&key, req.isolation_level),
                        ) else {
                            resp.error_code = ErrorCode::NotLeaderForPartition;
                            return resp;
                        };
                        resp.high_watermark = p.hw();
                        if fp.fetch_offset < p.log().start() || fp.fetch_offset > p.log().end() {
                            resp.error_code = ErrorCode::OffsetOutOfRange;
                            return resp;
                        }
                        let max = if req.max_bytes > 0 {
                            fp.max_bytes.min(req.max_bytes)
                        } else {
                            fp.max_bytes
                        };
                        resp.records = p.log().read(fp.fetch_offset, limit, max);
                        resp
                    })
                    .collect(),
            })
            .collect();
        FetchResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None,
            session_id: 0,
            topics,
        }
    }

    pub(crate) fn handle_fetch_offsets(
        &self,
        spu: i32,
        req: FetchOffsetsRequest,
    ) -> FetchOffsetsResponse {
        FetchOffsetsResponse {
            topics: req
                .topics
                .iter()
                .map(|t| FetchOffsetTopicResponse {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|fp| {
                            let key = ReplicaKey::new(t.name.clone(), fp.partition_index);
                            let mut resp = FetchOffsetPartitionResponse {
                                partition_index: fp.partition_index,
                                ..Default::default()
                            };
                            match self.partitions.get(&key) {
                                Some(p) if self.leads(spu, &key) => {
                                    resp.start_offset = p.log().start();
                                    resp.last_stable_offset = p.hw();
                                }
                                _ => resp.error_code = ErrorCode::NotLeaderForPartition,
                            }
                            resp
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
