//! Produce: append batches with leader-assigned offsets; read-committed requests are
//! answered once the high watermark covers them, or time out.

use flv_core::codec::Version;
use flv_core::error_code::{ErrorCode, RequestKind};
use flv_core::message::AnyResponse;
use flv_core::spu::produce::{
    PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceResponse,
};
use flv_core::spu::{Isolation, ReplicaKey};

use crate::cluster::MockCluster;
use crate::config::ConnId;
use crate::pending::PendingProduce;

impl MockCluster {
    pub(crate) fn handle_produce(
        &mut self,
        conn: ConnId,
        spu: i32,
        correlation_id: i32,
        version: Version,
        req: ProduceRequest,
    ) {
        let mut response = ProduceResponse {
            responses: Vec::with_capacity(req.topics.len()),
            throttle_time_ms: 0,
        };
        let mut waits = Vec::new();
        let sm_error = self.smartmodule_error(&req.smartmodules);
        for (ti, topic) in req.topics.into_iter().enumerate() {
            let mut partitions = Vec::with_capacity(topic.partitions.len());
            for (pi, data) in topic.partitions.into_iter().enumerate() {
                let key = ReplicaKey::new(topic.name.clone(), data.partition_index);
                let mut resp = PartitionProduceResponse {
                    partition_index: data.partition_index,
                    ..Default::default()
                };
                if !self.leads(spu, &key) {
                    resp.error_code = ErrorCode::NotLeaderForPartition;
                    resp.base_offset = -1;
                } else if let Some(error) = &sm_error {
                    resp.error_code = error.clone();
                    resp.base_offset = -1;
                } else if data.records.partial.is_some() {
                    resp.error_code = ErrorCode::Other("truncated record batch".into());
                    resp.base_offset = -1;
                } else if let Some(p) = self.partitions.get_mut(&key) {
                    resp.base_offset = p.log().end();
                    for batch in data.records.batches {
                        p.log_mut().append(batch);
                    }
                    if req.isolation == Isolation::ReadCommitted {
                        waits.push((ti, pi, key, p.log().end()));
                    }
                }
                partitions.push(resp);
            }
            response.responses.push(TopicProduceResponse {
                name: topic.name,
                partitions,
            });
        }
        let timeout_ms = u64::try_from(req.timeout.as_millis()).unwrap_or(u64::MAX);
        // It waits for replication when the high watermark does not cover it yet.
        if !self.replicated(&waits) {
            self.stats.produce_waits += 1;
        }
        self.pending.push(PendingProduce {
            conn,
            correlation_id,
            version,
            deadline: self.now + req.timeout,
            timeout_ms,
            response,
            waits,
        });
    }

    /// True when the high watermark of every partition a request waits for covers it.
    fn replicated(&self, waits: &[(usize, usize, ReplicaKey, i64)]) -> bool {
        waits
            .iter()
            .all(|(_, _, key, target)| self.partitions.get(key).is_none_or(|p| p.hw() >= *target))
    }

    /// Answers the produce requests whose partitions are replicated far enough.
    pub(crate) fn complete_pending(&mut self) {
        let mut i = 0;
        while i < self.pending.len() {
            if self.replicated(&self.pending[i].waits) {
                let p = self.pending.remove(i);
                self.respond(
                    p.conn,
                    p.correlation_id,
                    p.version,
                    AnyResponse::Produce(p.response),
                );
            } else {
                i += 1;
            }
        }
    }

    /// Answers the produce requests past their timeout with `RequestTimedOut` on the
    /// partitions not yet replicated (as the real SPU does; the records stay written).
    pub(crate) fn expire_pending(&mut self) {
        self.complete_pending();
        let now = self.now;
        let (expired, kept): (Vec<_>, Vec<_>) =
            self.pending.drain(..).partition(|p| p.deadline <= now);
        self.pending = kept;
        for mut p in expired {
            for (ti, pi, key, target) in &p.waits {
                let hw = self.partitions.get(key).map_or(i64::MAX, |part| part.hw());
                if hw < *target {
                    self.stats.produce_timeouts += 1;
                }
                if hw < *target
                    && let Some(r) = p
                        .response
                        .responses
                        .get_mut(*ti)
                        .and_then(|t| t.partitions.get_mut(*pi))
                {
                    r.error_code = ErrorCode::RequestTimedOut {
                        timeout_ms: p.timeout_ms,
                        kind: RequestKind::Produce,
                    };
                }
            }
            self.respond(
                p.conn,
                p.correlation_id,
                p.version,
                AnyResponse::Produce(p.response),
            );
        }
    }
}
