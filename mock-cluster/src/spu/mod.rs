//! The SPUs: ApiVersions, Produce, Fetch, FetchOffsets, StreamFetch with UpdateOffsets
//! flow control, and consumer offsets — answered as a real 0.50.2 SPU answers.

pub(crate) mod fetch;
pub(crate) mod log;
pub(crate) mod offsets;
pub(crate) mod produce;
pub(crate) mod smartmodule;
pub(crate) mod stream;

use flv_core::api_versions::{ApiVersionKey, ApiVersionsResponse};
use flv_core::error_code::ErrorCode;
use flv_core::header::RequestHeader;
use flv_core::message::{AnyRequest, AnyResponse};
use flv_core::spu::ReplicaKey;

use crate::cluster::MockCluster;
use crate::config::ConnId;

/// The API keys and versions a real 0.50.2 SPU advertises (StreamFetch tops out at 15
/// for a client that sends no version string, as upstream does).
pub(crate) const SPU_API_KEYS: [(i16, i16, i16); 5] = [
    (0, 0, 25),
    (1, 0, 25),
    (1002, 25, 25),
    (1003, 0, 25),
    (1005, 0, 0),
];

impl MockCluster {
    pub(crate) fn handle_spu(
        &mut self,
        conn: ConnId,
        spu: i32,
        header: RequestHeader,
        body: AnyRequest,
    ) {
        let (cid, version) = (header.correlation_id, header.api_version);
        let resp = match body {
            AnyRequest::ApiVersions(req) => {
                let api_keys = SPU_API_KEYS
                    .iter()
                    .map(|(k, min, max)| ApiVersionKey {
                        api_key: *k,
                        min_version: *min,
                        max_version: if *k == 1003 && req.client_version.is_empty() {
                            15
                        } else {
                            *max
                        },
                    })
                    .collect();
                AnyResponse::ApiVersions(ApiVersionsResponse {
                    error_code: ErrorCode::None,
                    api_keys,
                    platform_version: "0.0.0".into(),
                })
            }
            AnyRequest::Produce(req) => {
                self.handle_produce(conn, spu, cid, version, req);
                return;
            }
            AnyRequest::Fetch(req) => AnyResponse::Fetch(self.handle_fetch(spu, req)),
            AnyRequest::FetchOffsets(req) => {
                AnyResponse::FetchOffsets(self.handle_fetch_offsets(spu, req))
            }
            AnyRequest::StreamFetch(req) => {
                self.handle_stream_fetch(conn, spu, cid, version, req);
                return;
            }
            AnyRequest::UpdateOffsets(req) => {
                AnyResponse::UpdateOffsets(self.handle_update_offsets(conn, req))
            }
            AnyRequest::UpdateConsumerOffset(req) => {
                AnyResponse::UpdateConsumerOffset(self.handle_update_consumer_offset(conn, req))
            }
            AnyRequest::DeleteConsumerOffset(req) => {
                AnyResponse::DeleteConsumerOffset(self.handle_delete_consumer_offset(spu, req))
            }
            AnyRequest::FetchConsumerOffsets(req) => {
                AnyResponse::FetchConsumerOffsets(self.handle_fetch_consumer_offsets(spu, req))
            }
            other => {
                self.note(format!(
                    "{conn}: {} is not an SPU request; closing",
                    other.api_name()
                ));
                self.close(conn);
                return;
            }
        };
        self.respond(conn, cid, version, resp);
    }

    /// True when `spu` is up and leads the partition.
    pub(crate) fn leads(&self, spu: i32, key: &ReplicaKey) -> bool {
        self.spu_running(spu) && self.partitions.get(key).is_some_and(|p| p.leader == spu)
    }
}
