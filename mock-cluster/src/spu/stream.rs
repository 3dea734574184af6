//! StreamFetch sessions and their UpdateOffsets flow control.
//!
//! As on a real SPU: the first response goes out as soon as there are records at the
//! fetch offset; after each response the session waits for the client's UpdateOffsets
//! acknowledgement, then continues **from the offset acknowledged** (the next response
//! starts at the batch containing it, so a client that acknowledges the base offset of a
//! batch the previous response cut at `max_bytes` gets that batch again, whole or cut
//! again). Nothing is sent while there are no records; new records are pushed when they
//! become readable.

use flv_core::codec::Version;
use flv_core::error_code::ErrorCode;
use flv_core::message::AnyResponse;
use flv_core::spu::stream_fetch::{StreamFetchRequest, StreamFetchResponse};
use flv_core::spu::update_offsets::{
    OffsetUpdateStatus, UpdateOffsetsRequest, UpdateOffsetsResponse,
};
use flv_core::spu::{FetchablePartitionResponse, ReplicaKey};

use crate::cluster::MockCluster;
use crate::config::{ConnId, ServerId};
use crate::pending::Session;

impl MockCluster {
    pub(crate) fn handle_stream_fetch(
        &mut self,
        conn: ConnId,
        spu: i32,
        correlation_id: i32,
        version: Version,
        req: StreamFetchRequest,
    ) {
        let key = ReplicaKey::new(req.topic.clone(), req.partition);
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let stream_id = c.next_stream_id;
        c.next_stream_id = c.next_stream_id.wrapping_add(1).max(1);
        let invocations: Vec<_> = req
            .smartmodule
            .iter()
            .chain(&req.smartmodules)
            .cloned()
            .collect();
        let error = if !self.leads(spu, &key) {
            Some(ErrorCode::NotLeaderForPartition)
        } else if let Some(error) = self.smartmodule_error(&invocations) {
            Some(error)
        } else if req.fetch_offset < 0
            || self
                .partitions
                .get(&key)
                .is_some_and(|p| req.fetch_offset < p.log().start())
        {
            Some(ErrorCode::OffsetOutOfRange)
        } else {
            None
        };
        if let Some(error) = error {
            let resp = StreamFetchResponse {
                topic: req.topic,
                stream_id,
                partition: FetchablePartitionResponse {
                    partition_index: req.partition,
                    error_code: error,
                    high_watermark: -1,
                    ..Default::default()
                },
            };
            self.respond(
                conn,
                correlation_id,
                version,
                AnyResponse::StreamFetch(resp),
            );
            return;
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.sessions.insert(
                stream_id,
                Session {
                    correlation_id,
                    version,
                    key,
                    offset: req.fetch_offset,
                    max_bytes: req.max_bytes,
                    isolation: req.isolation,
                    consumer_id: req.consumer_id,
                    waiting_ack: false,
                },
            );
        }
    }

    pub(crate) fn handle_update_offsets(
        &mut self,
        conn: ConnId,
        req: UpdateOffsetsRequest,
    ) -> UpdateOffsetsResponse {
        let mut status = Vec::with_capacity(req.offsets.len());
        for update in req.offsets {
            let session = self
                .conns
                .get_mut(&conn)
                .and_then(|c| c.sessions.get_mut(&update.session_id));
            let error = match session {
                Some(s) => {
                    s.offset = update.offset;
                    s.waiting_ack = false;
                    ErrorCode::None
                }
                None => ErrorCode::FetchSessionNotFoud,
            };
            status.push(OffsetUpdateStatus {
                session_id: update.session_id,
                error,
            });
        }
        UpdateOffsetsResponse { status }
    }

    /// Sends the next response of every session that is not waiting for an
    /// acknowledgement and has records to read.
    pub(crate) fn push_streams(&mut self) {
        let mut out = Vec::new();
        let mut cut = 0;
        for (conn_id, c) in &self.conns {
            let ServerId::Spu(spu) = c.server else {
                continue;
            };
            for (stream_id, s) in &c.sessions {
                if s.waiting_ack || !self.leads(spu, &s.key) {
                    continue;
                }
                let (Some(p), Some(limit)) = (
                    self.partitions.get(&s.key),
                    self.read_limit(&s.key, s.isolation),
                ) else {
                    continue;
                };
                if s.offset >= limit {
                    continue;
                }
                let records = p.log().read(s.offset, limit, s.max_bytes);
                if records.batches.is_empty() && records.partial.is_none() {
                    continue;
                }
                cut += u64::from(records.partial.is_some());
                let resp = StreamFetchResponse {
                    topic: s.key.topic.clone(),
                    stream_id: *stream_id,
                    partition: FetchablePartitionResponse {
                        partition_index: s.key.partition,
                        error_code: ErrorCode::None,
                        high_watermark: p.hw(),
                        next_filter_offset: 0,
                        log_start_offset: p.log().start(),
                        aborted: None,
                        records,
                    },
                };
                out.push((*conn_id, *stream_id, s.correlation_id, s.version, resp));
            }
        }
        self.stats.cut_reads += cut;
        for (conn, stream_id, cid, version, resp) in out {
            if let Some(s) = self
                .conns
                .get_mut(&conn)
                .and_then(|c| c.sessions.get_mut(&stream_id))
            {
                s.waiting_ack = true;
            }
            self.respond(conn, cid, version, AnyResponse::StreamFetch(resp));
        }
    }
}
