//! Cross-check of flv's SPU messages, `ErrorCode` and ApiVersions against upstream
//! `fluvio-protocol` / `fluvio-spu-schema` 0.50.
//!
//! For random values of each of our types (proptest bytes → `arbitrary`) and for EVERY
//! version of its range:
//! 1. forward: our bytes decode with the upstream type, which must consume them all and
//!    re-encode to exactly our bytes (byte equality after the upstream round trip
//!    means the values are equal as far as the wire can tell);
//! 2. direct (most types): an upstream value built field by field from ours encodes to
//!    exactly our bytes — this catches two same-typed fields swapped, which (1) cannot;
//! 3. reverse: the upstream bytes decode with ours and re-encode identically.
//!
//! Generator constraints (where upstream rejects what our codec accepts):
//! - `ApiVersionsResponse::platform_version` must be semver (upstream's decoder parses
//!   it; ours keeps the string), so it is rewritten to a valid `x.y.z`.
//! - Record sets are always empty (the record helper cross-checks batches).
//! - Produce timeouts are whole milliseconds ≤ `i32::MAX` (done by our generator):
//!   upstream drops sub-millisecond precision and rejects larger values.
//! - Varint lengths stay far below 2³¹ (upstream's varint encoder is wrong above).
//!
//! Upstream behaviour the checks rely on, confirmed by reading its source:
//! - the hand-written Produce encoder/decoder ignore the `min_version = 3` attribute of
//!   `transactional_id`: every field is on the wire at every version;
//! - variant-level `min_version`/`max_version` on enums (SmartModuleKind Join 16–18,
//!   ...) are ignored by the derive: every tag is accepted at every version.

use std::fmt::Debug;
use std::io::Cursor;
use std::ops::RangeInclusive;

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use fluvio_protocol::{Decoder as UpDecoder, Encoder as UpEncoder};
use proptest::prelude::*;

use flv_core::api_versions as our_av;
use flv_core::codec::{Decode, Encode, Version, decode_exact, encode_to_bytes};
use flv_core::error_code::ErrorCode;
use flv_core::spu as ours;

use fluvio_protocol::link::ErrorCode as UErrorCode;
use fluvio_protocol::link::versions as up_av;
use fluvio_protocol::record::{RawRecords, RecordSet as URecordSet, ReplicaKey as UReplicaKey};
use fluvio_spu_schema::server::consumer_offset as up_co;
use fluvio_spu_schema::server::fetch_offset as up_fo;
use fluvio_spu_schema::server::smartmodule as up_sm;
use fluvio_spu_schema::server::stream_fetch as up_sf;
use fluvio_spu_schema::server::update_offset as up_uo;
use fluvio_spu_schema::{fetch as up_fetch, produce as up_produce};

type URecords = URecordSet<RawRecords>;

const CASES: u32 = 64;

fn up_encode<T: UpEncoder>(value: &T, version: Version) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out, version).expect("upstream encode");
    out
}

fn up_decode<T: UpDecoder + Default>(bytes: &[u8], version: Version, what: &str) -> T {
    let mut cursor = Cursor::new(bytes);
    let value = T::decode_from(&mut cursor, version)
        .unwrap_or_else(|e| panic!("{what} v{version}: upstream decode failed: {e}"));
    assert_eq!(
        cursor.position() as usize,
        bytes.len(),
        "{what} v{version}: upstream left bytes unread"
    );
    value
}

/// An upstream value of any type, obtained by decoding our encoding of `value`.
/// Used inside field-by-field conversions for leaves whose upstream type cannot be
/// named or built (private fields, types of crates we do not depend on).
fn via<T: UpDecoder + Default>(value: &impl Encode, version: Version) -> T {
    let bytes = encode_to_bytes(value, version).expect("our encode");
    up_decode(&bytes, version, "leaf")
}

/// Runs the checks of the module docs for one generated value.
fn xcheck<O, U>(
    data: &[u8],
    versions: RangeInclusive<Version>,
    fixup: fn(&mut O),
    to_up: Option<fn(&O, Version) -> Option<U>>,
) where
    O: for<'a> Arbitrary<'a> + Encode + Decode + Debug,
    U: UpEncoder + UpDecoder + Default,
{
    let what = std::any::type_name::<O>();
    let Ok(mut value) = O::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    fixup(&mut value);
    for version in versions {
        let ours = encode_to_bytes(&value, version)
            .unwrap_or_else(|e| panic!("{what} v{version}: our encode failed: {e}"));
        // 1. forward.
        let theirs: U = up_decode(&ours, version, what);
        let theirs_bytes = up_encode(&theirs, version);
        assert_eq!(
            theirs_bytes, ours,
            "{what} v{version}: upstream re-encodes differently; value {value:?}"
        );
        // 2. direct.
        let mut reverse_input = Bytes::from(theirs_bytes);
        if let Some(built) = to_up.and_then(|f| f(&value, version)) {
            let built_bytes = up_encode(&built, version);
            assert_eq!(
                built_bytes, ours,
                "{what} v{version}: upstream value built from ours encodes differently; \
                 value {value:?}"
            );
            reverse_input = Bytes::from(built_bytes);
        }
        // 3. reverse.
        let back: O = decode_exact(reverse_input.clone(), version, what)
            .unwrap_or_else(|e| panic!("{what} v{version}: our decode of upstream bytes: {e}"));
        assert_eq!(
            encode_to_bytes(&back, version).unwrap(),
            reverse_input,
            "{what} v{version}: our re-encode of upstream bytes differs"
        );
    }
}

fn no_fixup<T>(_: &mut T) {}

// ---------------------------------------------------------------------------------
// Field-by-field conversions (ours → upstream).
// ---------------------------------------------------------------------------------

fn up_replica(k: &ours::ReplicaKey) -> UReplicaKey {
    UReplicaKey::new(k.topic.clone(), k.partition)
}

fn up_error(e: &ErrorCode, v: Version) -> UErrorCode {
    // Multi-field variants are built explicitly (field order matters); the rest go
    // through bytes, which the ErrorCode property checks on their own.
    match e {
        ErrorCode::RequestTimedOut { timeout_ms, kind } => UErrorCode::RequestTimedOut {
            timeout_ms: *timeout_ms,
            kind: via(kind, v),
        },
        ErrorCode::OffsetEvicted {
            offset,
            next_available,
        } => UErrorCode::OffsetEvicted {
            offset: *offset,
            next_available: *next_available,
        },
        ErrorCode::PartitionFull { replica_key } => UErrorCode::PartitionFull {
            replica_key: up_replica(replica_key),
        },
        ErrorCode::SmartModuleInvalid { error, name } => UErrorCode::SmartModuleInvalid {
            error: error.clone(),
            name: name.clone(),
        },
        ErrorCode::SmartModuleInvalidExports { error, kind } => {
            UErrorCode::SmartModuleInvalidExports {
                error: error.clone(),
                kind: kind.clone(),
            }
        }
        ErrorCode::SmartModuleRuntimeError(r) => UErrorCode::SmartModuleRuntimeError(Box::new(
            fluvio_protocol::link::smartmodule::SmartModuleTransformRuntimeError {
                hint: r.hint.clone(),
                offset: r.offset,
                kind: via(&r.kind, v),
                record_key: r.record_key.as_ref().map(|k| k.0.to_vec().into()),
                record_value: r.record_value.0.to_vec().into(),
            },
        )),
        ErrorCode::SmartModuleMemoryLimitExceeded { requested, max } => {
            UErrorCode::SmartModuleMemoryLimitExceeded {
                requested: *requested,
                max: *max,
            }
        }
        ErrorCode::SystemSpecDeletionAttempt { kind, name } => {
            UErrorCode::SystemSpecDeletionAttempt {
                kind: kind.clone(),
                name: name.clone(),
            }
        }
        ErrorCode::SystemSpecUpdatingAttempt { kind, name } => {
            UErrorCode::SystemSpecUpdatingAttempt {
                kind: kind.clone(),
                name: name.clone(),
            }
        }
        other => via(other, v),
    }
}

fn up_invocation(s: &ours::SmartModuleInvocation, v: Version) -> up_sm::SmartModuleInvocation {
    up_sm::SmartModuleInvocation {
        wasm: match &s.wasm {
            ours::SmartModuleInvocationWasm::Predefined(n) => {
                up_sm::SmartModuleInvocationWasm::Predefined(n.clone())
            }
            ours::SmartModuleInvocationWasm::AdHoc(b) => {
                up_sm::SmartModuleInvocationWasm::AdHoc(b.to_vec())
            }
        },
        kind: match &s.kind {
            ours::SmartModuleKind::Filter => up_sm::SmartModuleKind::Filter,
            ours::SmartModuleKind::Map => up_sm::SmartModuleKind::Map,
            ours::SmartModuleKind::ArrayMap => up_sm::SmartModuleKind::ArrayMap,
            ours::SmartModuleKind::Aggregate { accumulator } => up_sm::SmartModuleKind::Aggregate {
                accumulator: accumulator.to_vec(),
            },
            ours::SmartModuleKind::FilterMap => up_sm::SmartModuleKind::FilterMap,
            ours::SmartModuleKind::Join(t) => up_sm::SmartModuleKind::Join(t.clone()),
            ours::SmartModuleKind::JoinStream {
                topic,
                derivedstream,
            } => up_sm::SmartModuleKind::JoinStream {
                topic: topic.clone(),
                derivedstream: derivedstream.clone(),
            },
            ours::SmartModuleKind::Generic(c) => up_sm::SmartModuleKind::Generic(match c {
                ours::SmartModuleContextData::None => up_sm::SmartModuleContextData::None,
                ours::SmartModuleContextData::Aggregate { accumulator } => {
                    up_sm::SmartModuleContextData::Aggregate {
                        accumulator: accumulator.to_vec(),
                    }
                }
                ours::SmartModuleContextData::Join(t) => {
                    up_sm::SmartModuleContextData::Join(t.clone())
                }
                ours::SmartModuleContextData::JoinStream {
                    topic,
                    derivedstream,
                } => up_sm::SmartModuleContextData::JoinStream {
                    topic: topic.clone(),
                    derivedstream: derivedstream.clone(),
                },
            }),
        },
        // `SmartModuleExtraParams` lives in fluvio-smartmodule (not a dependency):
        // built from bytes; its layout is checked by the invocation bytes as a whole.
        params: via(&s.params, v),
        name: s.name.clone(),
    }
}

fn up_isolation(i: ours::Isolation) -> fluvio_spu_schema::Isolation {
    match i {
        ours::Isolation::ReadUncommitted => fluvio_spu_schema::Isolation::ReadUncommitted,
        ours::Isolation::ReadCommitted => fluvio_spu_schema::Isolation::ReadCommitted,
    }
}

fn up_produce_request(
    r: &ours::ProduceRequest,
    v: Version,
) -> Option<up_produce::ProduceRequest<URecords>> {
    Some(up_produce::ProduceRequest {
        transactional_id: r.transactional_id.clone(),
        isolation: up_isolation(r.isolation),
        timeout: r.timeout,
        topics: r
            .topics
            .iter()
            .map(|t| up_produce::TopicProduceData {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| up_produce::PartitionProduceData {
                        partition_index: p.partition_index,
                        records: via(&p.records, v),
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        smartmodules: r.smartmodules.iter().map(|s| up_invocation(s, v)).collect(),
        ..Default::default()
    })
}

fn up_produce_response(
    r: &ours::ProduceResponse,
    v: Version,
) -> Option<up_produce::ProduceResponse> {
    Some(up_produce::ProduceResponse {
        responses: r
            .responses
            .iter()
            .map(|t| up_produce::TopicProduceResponse {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| up_produce::PartitionProduceResponse {
                        partition_index: p.partition_index,
                        error_code: up_error(&p.error_code, v),
                        base_offset: p.base_offset,
                        log_append_time_ms: p.log_append_time_ms,
                        log_start_offset: p.log_start_offset,
                    })
                    .collect(),
            })
            .collect(),
        throttle_time_ms: r.throttle_time_ms,
    })
}

fn up_fetch_request(
    r: &ours::FetchRequest,
    _: Version,
) -> Option<up_fetch::FetchRequest<URecords>> {
    Some(up_fetch::FetchRequest {
        max_wait: r.max_wait,
        min_bytes: r.min_bytes,
        max_bytes: r.max_bytes,
        isolation_level: up_isolation(r.isolation_level),
        topics: r
            .topics
            .iter()
            .map(|t| up_fetch::FetchableTopic {
                name: t.name.clone(),
                fetch_partitions: t
                    .fetch_partitions
                    .iter()
                    .map(|p| up_fetch::FetchPartition {
                        partition_index: p.partition_index,
                        current_leader_epoch: p.current_leader_epoch,
                        fetch_offset: p.fetch_offset,
                        log_start_offset: p.log_start_offset,
                        max_bytes: p.max_bytes,
                    })
                    .collect(),
            })
            .collect(),
        forgotten: r
            .forgotten
            .iter()
            .map(|f| up_fetch::ForgottenTopic {
                name: f.name.clone(),
                forgotten_partition_indexes: f.forgotten_partition_indexes.clone(),
            })
            .collect(),
        ..Default::default()
    })
}

fn up_partition_response(
    p: &ours::FetchablePartitionResponse,
    v: Version,
) -> up_fetch::FetchablePartitionResponse<URecords> {
    up_fetch::FetchablePartitionResponse {
        partition_index: p.partition_index,
        error_code: up_error(&p.error_code, v),
        high_watermark: p.high_watermark,
        next_filter_offset: p.next_filter_offset,
        log_start_offset: p.log_start_offset,
        aborted: p.aborted.as_ref().map(|a| {
            a.iter()
                .map(|t| up_fetch::AbortedTransaction {
                    producer_id: t.producer_id,
                    first_offset: t.first_offset,
                })
                .collect()
        }),
        records: via(&p.records, v),
    }
}

fn up_fetch_response(
    r: &ours::FetchResponse,
    v: Version,
) -> Option<up_fetch::FetchResponse<URecords>> {
    Some(up_fetch::FetchResponse {
        throttle_time_ms: r.throttle_time_ms,
        error_code: up_error(&r.error_code, v),
        session_id: r.session_id,
        topics: r
            .topics
            .iter()
            .map(|t| up_fetch::FetchableTopicResponse {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| up_partition_response(p, v))
                    .collect(),
                ..Default::default()
            })
            .collect(),
    })
}

#[allow(deprecated)]
fn up_fetch_offsets_request(
    r: &ours::FetchOffsetsRequest,
    _: Version,
) -> Option<up_fo::FetchOffsetsRequest> {
    Some(up_fo::FetchOffsetsRequest {
        topics: r
            .topics
            .iter()
            .map(|t| up_fo::FetchOffsetTopic {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| up_fo::FetchOffsetPartition {
                        partition_index: p.partition_index,
                    })
                    .collect(),
            })
            .collect(),
        consumer_id: r.consumer_id.clone(),
    })
}

fn up_fetch_offsets_response(
    r: &ours::FetchOffsetsResponse,
    v: Version,
) -> Option<up_fo::FetchOffsetsResponse> {
    Some(up_fo::FetchOffsetsResponse {
        topics: r
            .topics
            .iter()
            .map(|t| up_fo::FetchOffsetTopicResponse {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| up_fo::FetchOffsetPartitionResponse {
                        error_code: up_error(&p.error_code, v),
                        partition_index: p.partition_index,
                        start_offset: p.start_offset,
                        last_stable_offset: p.last_stable_offset,
                    })
                    .collect(),
            })
            .collect(),
    })
}

fn up_stream_fetch_request(
    r: &ours::StreamFetchRequest,
    v: Version,
) -> Option<up_sf::StreamFetchRequest<URecords>> {
    // Upstream's legacy fields (wasm_module, smartmodule, derivedstream) are private:
    // values that use them at this version are only checked through bytes.
    let legacy_on_wire = (11..=18).contains(&v)
        && (!r.wasm_module.is_empty()
            || (v >= 16 && (r.smartmodule.is_some() || r.derivedstream.is_some())));
    if legacy_on_wire {
        return None;
    }
    // Private fields forbid a struct literal: assign the public ones.
    let mut up = up_sf::StreamFetchRequest::<URecords>::default();
    up.topic = r.topic.clone();
    up.partition = r.partition;
    up.fetch_offset = r.fetch_offset;
    up.max_bytes = r.max_bytes;
    up.isolation = up_isolation(r.isolation);
    up.smartmodules = r.smartmodules.iter().map(|s| up_invocation(s, v)).collect();
    up.consumer_id = r.consumer_id.clone();
    Some(up)
}

fn up_stream_fetch_response(
    r: &ours::StreamFetchResponse,
    v: Version,
) -> Option<up_sf::StreamFetchResponse<URecords>> {
    Some(up_sf::StreamFetchResponse {
        topic: r.topic.clone(),
        stream_id: r.stream_id,
        partition: up_partition_response(&r.partition, v),
    })
}

fn up_update_offsets_request(
    r: &ours::UpdateOffsetsRequest,
    _: Version,
) -> Option<up_uo::UpdateOffsetsRequest> {
    Some(up_uo::UpdateOffsetsRequest {
        offsets: r
            .offsets
            .iter()
            .map(|o| up_uo::OffsetUpdate {
                offset: o.offset,
                session_id: o.session_id,
            })
            .collect(),
    })
}

fn up_update_offsets_response(
    r: &ours::UpdateOffsetsResponse,
    v: Version,
) -> Option<up_uo::UpdateOffsetsResponse> {
    Some(up_uo::UpdateOffsetsResponse {
        status: r
            .status
            .iter()
            .map(|s| up_uo::OffsetUpdateStatus {
                session_id: s.session_id,
                error: up_error(&s.error, v),
            })
            .collect(),
    })
}

fn up_update_consumer_offset_request(
    r: &ours::UpdateConsumerOffsetRequest,
    _: Version,
) -> Option<up_co::UpdateConsumerOffsetRequest> {
    Some(up_co::UpdateConsumerOffsetRequest::new(
        r.offset,
        r.session_id,
    ))
}

fn up_update_consumer_offset_response(
    r: &ours::UpdateConsumerOffsetResponse,
    v: Version,
) -> Option<up_co::UpdateConsumerOffsetResponse> {
    Some(up_co::UpdateConsumerOffsetResponse {
        offset: r.offset,
        error_code: up_error(&r.error_code, v),
    })
}

fn up_delete_consumer_offset_request(
    r: &ours::DeleteConsumerOffsetRequest,
    _: Version,
) -> Option<up_co::DeleteConsumerOffsetRequest> {
    Some(up_co::DeleteConsumerOffsetRequest {
        replica_id: up_replica(&r.replica_id),
        consumer_id: r.consumer_id.clone(),
    })
}

fn up_delete_consumer_offset_response(
    r: &ours::DeleteConsumerOffsetResponse,
    v: Version,
) -> Option<up_co::DeleteConsumerOffsetResponse> {
    Some(up_co::DeleteConsumerOffsetResponse {
        error_code: up_error(&r.error_code, v),
    })
}

fn up_fetch_consumer_offsets_request(
    r: &ours::FetchConsumerOffsetsRequest,
    _: Version,
) -> Option<up_co::FetchConsumerOffsetsRequest> {
    Some(up_co::FetchConsumerOffsetsRequest {
        filter_opts: r.filter_opts.as_ref().map(|f| up_co::FilterOpts {
            replica_id: f.replica_id.as_ref().map(up_replica),
            consumer_id: f.consumer_id.clone(),
        }),
    })
}

fn up_fetch_consumer_offsets_response(
    r: &ours::FetchConsumerOffsetsResponse,
    v: Version,
) -> Option<up_co::FetchConsumerOffsetsResponse> {
    Some(up_co::FetchConsumerOffsetsResponse {
        error_code: up_error(&r.error_code, v),
        consumers: r
            .consumers
            .iter()
            .map(|c| up_co::ConsumerOffset {
                consumer_id: c.consumer_id.clone(),
                replica_id: up_replica(&c.replica_id),
                offset: c.offset,
                modified_time: c.modified_time,
            })
            .collect(),
    })
}

fn up_api_versions_request(
    r: &our_av::ApiVersionsRequest,
    _: Version,
) -> Option<up_av::ApiVersionsRequest> {
    Some(up_av::ApiVersionsRequest {
        client_version: r.client_version.clone(),
        client_os: r.client_os.clone(),
        client_arch: r.client_arch.clone(),
    })
}

fn up_api_versions_response(
    r: &our_av::ApiVersionsResponse,
    v: Version,
) -> Option<up_av::ApiVersionsResponse> {
    Some(up_av::ApiVersionsResponse {
        error_code: up_error(&r.error_code, v),
        api_keys: r
            .api_keys
            .iter()
            .map(|k| up_av::ApiVersionKey {
                api_key: k.api_key,
                min_version: k.min_version,
                max_version: k.max_version,
            })
            .collect(),
        // `PlatformVersion` can only be built from a semver crate value: via bytes.
        platform_version: via(&r.platform_version, v),
    })
}

fn up_error_code(e: &ErrorCode, v: Version) -> Option<UErrorCode> {
    Some(up_error(e, v))
}

/// Upstream requires a semver platform version.
fn semver_platform(r: &mut our_av::ApiVersionsResponse) {
    let n = r.platform_version.len();
    r.platform_version = format!("{}.{}.{}", n % 3, n, r.api_keys.len());
}

// ---------------------------------------------------------------------------------
// Properties: one per message type, every version of its range in every case.
// ---------------------------------------------------------------------------------

fn input() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..768)
}

macro_rules! xcheck_props {
    ($(
        $name:ident: $ours:ty => $up:ty, $versions:expr, $fixup:expr, $to_up:expr;
    )*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]
            $(
                #[test]
                fn $name(data in input()) {
                    xcheck::<$ours, $up>(&data, $versions, $fixup, Some($to_up));
                }
            )*
        }
    };
}

const SPU_VERSIONS: RangeInclusive<Version> = 0..=25;
const CONSUMER_OFFSET_VERSIONS: RangeInclusive<Version> = 23..=25;

xcheck_props! {
    error_code: ErrorCode => UErrorCode, 0..=25, no_fixup, up_error_code;
    api_versions_request: our_av::ApiVersionsRequest => up_av::ApiVersionsRequest,
        0..=2, no_fixup, up_api_versions_request;
    api_versions_response: our_av::ApiVersionsResponse => up_av::ApiVersionsResponse,
        0..=2, semver_platform, up_api_versions_response;
    produce_request: ours::ProduceRequest => up_produce::ProduceRequest<URecords>,
        SPU_VERSIONS, no_fixup, up_produce_request;
    produce_response: ours::ProduceResponse => up_produce::ProduceResponse,
        SPU_VERSIONS, no_fixup, up_produce_response;
    fetch_request: ours::FetchRequest => up_fetch::FetchRequest<URecords>,
        SPU_VERSIONS, no_fixup, up_fetch_request;
    fetch_response: ours::FetchResponse => up_fetch::FetchResponse<URecords>,
        SPU_VERSIONS, no_fixup, up_fetch_response;
    fetch_offsets_request: ours::FetchOffsetsRequest => up_fo::FetchOffsetsRequest,
        SPU_VERSIONS, no_fixup, up_fetch_offsets_request;
    fetch_offsets_response: ours::FetchOffsetsResponse => up_fo::FetchOffsetsResponse,
        SPU_VERSIONS, no_fixup, up_fetch_offsets_response;
    stream_fetch_request: ours::StreamFetchRequest => up_sf::StreamFetchRequest<URecords>,
        SPU_VERSIONS, no_fixup, up_stream_fetch_request;
    stream_fetch_response: ours::StreamFetchResponse => up_sf::StreamFetchResponse<URecords>,
        SPU_VERSIONS, no_fixup, up_stream_fetch_response;
    update_offsets_request: ours::UpdateOffsetsRequest => up_uo::UpdateOffsetsRequest,
        0..=0, no_fixup, up_update_offsets_request;
    update_offsets_response: ours::UpdateOffsetsResponse => up_uo::UpdateOffsetsResponse,
        0..=0, no_fixup, up_update_offsets_response;
    update_consumer_offset_request:
        ours::UpdateConsumerOffsetRequest => up_co::UpdateConsumerOffsetRequest,
        CONSUMER_OFFSET_VERSIONS, no_fixup, up_update_consumer_offset_request;
    update_consumer_offset_response:
        ours::UpdateConsumerOffsetResponse => up_co::UpdateConsumerOffsetResponse,
        CONSUMER_OFFSET_VERSIONS, no_fixup, up_update_consumer_offset_response;
    delete_consumer_offset_request:
        ours::DeleteConsumerOffsetRequest => up_co::DeleteConsumerOffsetRequest,
        CONSUMER_OFFSET_VERSIONS, no_fixup, up_delete_consumer_offset_request;
    delete_consumer_offset_response:
        ours::DeleteConsumerOffsetResponse => up_co::DeleteConsumerOffsetResponse,
        CONSUMER_OFFSET_VERSIONS, no_fixup, up_delete_consumer_offset_response;
    fetch_consumer_offsets_request:
        ours::FetchConsumerOffsetsRequest => up_co::FetchConsumerOffsetsRequest,
        CONSUMER_OFFSET_VERSIONS, no_fixup, up_fetch_consumer_offsets_request;
    fetch_consumer_offsets_response:
        ours::FetchConsumerOffsetsResponse => up_co::FetchConsumerOffsetsResponse,
        CONSUMER_OFFSET_VERSIONS, no_fixup, up_fetch_consumer_offsets_response;
}

/// Error codes built by upstream itself (payload variants especially) decode with ours,
/// re-encode identically and convert back to an equal upstream value.
#[test]
fn error_code_payload_variants_against_upstream() {
    use fluvio_protocol::api::RequestKind;
    use fluvio_protocol::link::smartmodule::{
        SmartModuleInitRuntimeError, SmartModuleKind, SmartModuleTransformRuntimeError,
    };
    let samples = vec![
        UErrorCode::UnknownServerError,
        UErrorCode::Other("x".into()),
        UErrorCode::RequestTimedOut {
            timeout_ms: 7,
            kind: RequestKind::Produce,
        },
        UErrorCode::OffsetEvicted {
            offset: 1,
            next_available: 2,
        },
        UErrorCode::PartitionFull {
            replica_key: UReplicaKey::new("t", 3u32),
        },
        UErrorCode::SmartModuleInvalid {
            error: "e".into(),
            name: None,
        },
        UErrorCode::SmartModuleRuntimeError(Box::new(SmartModuleTransformRuntimeError {
            hint: "h".into(),
            offset: 9,
            kind: SmartModuleKind::Generic,
            record_key: Some(b"k".to_vec().into()),
            record_value: b"v".to_vec().into(),
        })),
        UErrorCode::SmartModuleInitError(SmartModuleInitRuntimeError { hint: "i".into() }),
        UErrorCode::SmartModuleMemoryLimitExceeded {
            requested: 5,
            max: 4,
        },
        UErrorCode::SystemSpecUpdatingAttempt {
            kind: "k".into(),
            name: "n".into(),
        },
        UErrorCode::MirrorProduceFromRemoteNotAllowed,
    ];
    for sample in samples {
        let bytes = Bytes::from(up_encode(&sample, 25));
        let ours: ErrorCode = decode_exact(bytes.clone(), 25, "error code").unwrap();
        assert_eq!(encode_to_bytes(&ours, 25).unwrap(), bytes, "{sample:?}");
        assert_eq!(up_error(&ours, 25), sample);
    }
}
