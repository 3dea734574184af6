//! Fault injection state: response delays and injected error codes.

use std::collections::BTreeMap;
use std::time::Duration;

use flv_core::api_versions::ApiVersionsResponse;
use flv_core::error_code::ErrorCode;
use flv_core::message::{AnyRequest, AnyResponse};
use flv_core::sc::{MirroringRequest, MirroringResponse, ObjectCreateRequest, Status};
use flv_core::sc::{ObjectDeleteRequest, ObjectUpdateRequest};
use flv_core::spu::consumer_offset::{
    DeleteConsumerOffsetResponse, FetchConsumerOffsetsResponse, UpdateConsumerOffsetResponse,
};
use flv_core::spu::fetch::{FetchResponse, FetchableTopicResponse};
use flv_core::spu::fetch_offsets::{FetchOffsetTopicResponse, FetchOffsetsResponse};
use flv_core::spu::produce::{ProduceResponse, TopicProduceResponse};
use flv_core::spu::update_offsets::{OffsetUpdateStatus, UpdateOffsetsResponse};
use flv_core::spu::{
    FetchOffsetPartitionResponse, FetchablePartitionResponse, PartitionProduceResponse,
    StreamFetchResponse,
};

use crate::config::ServerId;

/// Faults currently injected.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    delays: BTreeMap<ServerId, Duration>,
    errors: BTreeMap<(ServerId, u16), (ErrorCode, usize)>,
}

impl Faults {
    /// Extra delay of every frame `server` sends.
    pub(crate) fn delay(&self, server: ServerId) -> Duration {
        self.delays.get(&server).copied().unwrap_or_default()
    }

    /// Sets the delay of `server` (zero removes it).
    pub(crate) fn set_delay(&mut self, server: ServerId, delay: Duration) {
        if delay.is_zero() {
            self.delays.remove(&server);
        } else {
            self.delays.insert(server, delay);
        }
    }

    /// Answers the next `count` requests of `api_key` on `server` with `error`.
    pub(crate) fn inject(
        &mut self,
        server: ServerId,
        api_key: u16,
        error: ErrorCode,
        count: usize,
    ) {
        if count == 0 {
            self.errors.remove(&(server, api_key));
        } else {
            self.errors.insert((server, api_key), (error, count));
        }
    }

    /// Takes one injected error for a request of `api_key` on `server`, if any.
    pub(crate) fn take(&mut self, server: ServerId, api_key: u16) -> Option<ErrorCode> {
        let entry = self.errors.get_mut(&(server, api_key))?;
        let error = entry.0.clone();
        entry.1 = entry.1.saturating_sub(1);
        if entry.1 == 0 {
            self.errors.remove(&(server, api_key));
        }
        Some(error)
    }
}

fn status(name: String, error: ErrorCode) -> Status {
    Status {
        name,
        error_code: error,
        error_message: None,
    }
}

/// The answer to `request` carrying `error` wherever its response has an error code.
/// `None` for List and Watch, whose responses carry none (the connection is closed
/// instead).
pub(crate) fn error_response(request: &AnyRequest, error: ErrorCode) -> Option<AnyResponse> {
    Some(match request {
        AnyRequest::ApiVersions(_) => AnyResponse::ApiVersions(ApiVersionsResponse {
            error_code: error,
            api_keys: Vec::new(),
            platform_version: String::new(),
        }),
        AnyRequest::Create(ObjectCreateRequest { common, .. }) => {
            AnyResponse::Create(status(common.name.clone(), error))
        }
        AnyRequest::Delete(r) => AnyResponse::Delete(status(delete_name(r), error)),
        AnyRequest::Update(r) => AnyResponse::Update(status(update_name(r), error)),
        AnyRequest::List(_) | AnyRequest::Watch(_) => return None,
        AnyRequest::Mirroring(MirroringRequest::Connect(c)) => {
            AnyResponse::Mirroring(MirroringResponse {
                name: c.remote_id.clone(),
                error_code: error,
                error_message: None,
                topics: Vec::new(),
            })
        }
        AnyRequest::Produce(r) => AnyResponse::Produce(ProduceResponse {
            responses: r
                .topics
                .iter()
                .map(|t| TopicProduceResponse {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| PartitionProduceResponse {
                            partition_index: p.partition_index,
                            error_code: error.clone(),
                            base_offset: -1,
                            ..Default::default()
                        })
                        .collect(),
                })
                .collect(),
            throttle_time_ms: 0,
        }),
        AnyRequest::Fetch(r) => AnyResponse::Fetch(FetchResponse {
            throttle_time_ms: 0,
            error_code: error.clone(),
            session_id: 0,
            topics: r
                .topics
                .iter()
                .map(|t| FetchableTopicResponse {
                    name: t.name.clone(),
                    partitions: t
                        .fetch_partitions
                        .iter()
                        .map(|p| FetchablePartitionResponse {
                            partition_index: p.partition_index,
                            error_code: error.clone(),
                            high_watermark: -1,
                            ..Default::default()
                        })
                        .collect(),
                })
                .collect(),
        }),
        AnyRequest::FetchOffsets(r) => AnyResponse::FetchOffsets(FetchOffsetsResponse {
            topics: r
                .topics
                .iter()
                .map(|t| FetchOffsetTopicResponse {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| FetchOffsetPartitionResponse {
                            error_code: error.clone(),
                            partition_index: p.partition_index,
                            ..Default::default()
                        })
                        .collect(),
                })
                .collect(),
        }),
        AnyRequest::StreamFetch(r) => AnyResponse::StreamFetch(StreamFetchResponse {
            topic: r.topic.clone(),
            stream_id: 0,
            partition: FetchablePartitionResponse {
                partition_index: r.partition,
                error_code: error,
                high_watermark: -1,
                ..Default::default()
            },
        }),
        AnyRequest::UpdateOffsets(r) => AnyResponse::UpdateOffsets(UpdateOffsetsResponse {
            status: r
                .offsets
                .iter()
                .map(|o| OffsetUpdateStatus {
                    session_id: o.session_id,
                    error: error.clone(),
                })
                .collect(),
        }),
        AnyRequest::UpdateConsumerOffset(r) => {
            AnyResponse::UpdateConsumerOffset(UpdateConsumerOffsetResponse {
                offset: r.offset,
                error_code: error,
            })
        }
        AnyRequest::DeleteConsumerOffset(_) => {
            AnyResponse::DeleteConsumerOffset(DeleteConsumerOffsetResponse { error_code: error })
        }
        AnyRequest::FetchConsumerOffsets(_) => {
            AnyResponse::FetchConsumerOffsets(FetchConsumerOffsetsResponse {
                error_code: error,
                consumers: Vec::new(),
            })
        }
    })
}

/// The object name a delete request names (as echoed in its [`Status`]).
pub(crate) fn delete_name(r: &ObjectDeleteRequest) -> String {
    match r {
        ObjectDeleteRequest::Topic(d)
        | ObjectDeleteRequest::SpuGroup(d)
        | ObjectDeleteRequest::SmartModule(d)
        | ObjectDeleteRequest::TableFormat(d)
        | ObjectDeleteRequest::Mirror(d) => d.key.clone(),
        ObjectDeleteRequest::CustomSpu(d) => match &d.key {
            flv_core::sc::spu::CustomSpuKey::Name(n) => n.clone(),
            flv_core::sc::spu::CustomSpuKey::Id(id) => id.to_string(),
        },
    }
}

/// The object name an update request names.
pub(crate) fn update_name(r: &ObjectUpdateRequest) -> String {
    match r {
        ObjectUpdateRequest::Topic(u) => u.key.clone(),
        ObjectUpdateRequest::CustomSpu(u) => match &u.key {
            flv_core::sc::spu::CustomSpuKey::Name(n) => n.clone(),
            flv_core::sc::spu::CustomSpuKey::Id(id) => id.to_string(),
        },
        ObjectUpdateRequest::SpuGroup(u)
        | ObjectUpdateRequest::SmartModule(u)
        | ObjectUpdateRequest::TableFormat(u) => u.key.clone(),
    }
}
