//! Every SPU frame of the real-cluster traces decodes and re-encodes to the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;

use super::*;
use crate::protocol::api_versions::ApiVersionsRequest;
use crate::protocol::codec::{Decode, Encode, Reader, Version, decode_exact, encode_to_bytes};
use crate::protocol::error_code::{ErrorCode, RequestKind};
use crate::protocol::header::{Request, RequestHeader, ResponseHeader};
use crate::trace::{Direction, Peer, Trace};

fn load(name: &str) -> Trace {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/traces")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    Trace::parse(&text).unwrap()
}

/// Decodes `body` as `T` at `version`, re-encodes it and checks the bytes.
fn identity<T: Decode + Encode + std::fmt::Debug>(body: &Bytes, version: Version) -> T {
    let value: T = decode_exact(body.clone(), version, std::any::type_name::<T>())
        .unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<T>()));
    let again = encode_to_bytes(&value, version).unwrap();
    assert_eq!(
        again,
        *body,
        "{} re-encodes differently",
        std::any::type_name::<T>()
    );
    value
}

fn request<R: Request>(body: &Bytes, version: Version) {
    assert!((R::MIN_VERSION..=R::MAX_VERSION).contains(&version));
    identity::<R>(body, version);
}

fn response<R: Request>(body: &Bytes, version: Version) {
    identity::<R::Response>(body, version);
}

/// Checks every SPU frame of `name`; returns how many frames were checked per
/// (key, is request).
fn check_trace(name: &str) -> BTreeMap<(u16, bool), usize> {
    let trace = load(name);
    let mut pending: HashMap<(u32, i32), (u16, Version)> = HashMap::new();
    let mut seen = BTreeMap::new();
    for frame in &trace.frames {
        let peer = trace.connections[&frame.conn];
        let mut r = Reader::new(frame.payload());
        let (key, version, body) = match frame.dir {
            Direction::ToServer => {
                let h = RequestHeader::decode(&mut r, 0).unwrap();
                pending.insert((frame.conn, h.correlation_id), (h.api_key, h.api_version));
                (h.api_key, h.api_version, r.rest())
            }
            Direction::ToClient => {
                let h = ResponseHeader::decode(&mut r, 0).unwrap();
                let (key, version) = pending[&(frame.conn, h.correlation_id)];
                (key, version, r.rest())
            }
        };
        // SC keys overlap SPU keys (1002..=1006): only SPU connections are SPU messages.
        if key != api_key::API_VERSIONS && peer == Peer::Sc {
            continue;
        }
        let req = frame.dir == Direction::ToServer;
        macro_rules! check {
            ($ty:ty) => {
                if req {
                    request::<$ty>(&body, version)
                } else {
                    response::<$ty>(&body, version)
                }
            };
        }
        match key {
            api_key::API_VERSIONS => check!(ApiVersionsRequest),
            api_key::PRODUCE => check!(ProduceRequest),
            api_key::FETCH => check!(FetchRequest),
            api_key::FETCH_OFFSETS => check!(FetchOffsetsRequest),
            api_key::STREAM_FETCH => check!(StreamFetchRequest),
            api_key::UPDATE_OFFSETS => check!(UpdateOffsetsRequest),
            api_key::UPDATE_CONSUMER_OFFSET => check!(UpdateConsumerOffsetRequest),
            api_key::DELETE_CONSUMER_OFFSET => check!(DeleteConsumerOffsetRequest),
            api_key::FETCH_CONSUMER_OFFSETS => check!(FetchConsumerOffsetsRequest),
            other => panic!("{name}: unexpected SPU api key {other}"),
        }
        *seen.entry((key, req)).or_insert(0) += 1;
    }
    seen
}

#[test]
fn every_spu_frame_of_every_trace_round_trips() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/traces");
    let mut total: BTreeMap<(u16, bool), usize> = BTreeMap::new();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".trace"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "traces missing: {names:?}");
    for name in &names {
        for (k, n) in check_trace(name) {
            *total.entry(k).or_insert(0) += n;
        }
    }
    // Every SPU message the official client uses appears in both directions.
    for key in [
        api_key::API_VERSIONS,
        api_key::PRODUCE,
        api_key::FETCH_OFFSETS,
        api_key::STREAM_FETCH,
        api_key::UPDATE_OFFSETS,
        api_key::UPDATE_CONSUMER_OFFSET,
        api_key::DELETE_CONSUMER_OFFSET,
        api_key::FETCH_CONSUMER_OFFSETS,
    ] {
        for is_request in [true, false] {
            assert!(
                total.get(&(key, is_request)).copied().unwrap_or(0) > 0,
                "no frame for key {key} (request: {is_request})"
            );
        }
    }
}

/// The body of the first frame of `trace` on an SPU connection with this key and direction.
fn first_body(trace: &Trace, key: u16, dir: Direction) -> (Bytes, Version) {
    let mut pending = HashMap::new();
    for frame in &trace.frames {
        if trace.connections[&frame.conn] == Peer::Sc {
            continue;
        }
        let mut r = Reader::new(frame.payload());
        if frame.dir == Direction::ToServer {
            let h = RequestHeader::decode(&mut r, 0).unwrap();
            pending.insert((frame.conn, h.correlation_id), (h.api_key, h.api_version));
            if h.api_key == key && dir == Direction::ToServer {
                return (r.rest(), h.api_version);
            }
        } else {
            let h = ResponseHeader::decode(&mut r, 0).unwrap();
            let (k, v) = pending[&(frame.conn, h.correlation_id)];
            if k == key && dir == Direction::ToClient {
                return (r.rest(), v);
            }
        }
    }
    panic!("no frame for key {key}");
}

#[test]
fn captured_produce_values_decode() {
    let t = load("produce-gzip.trace");
    let (body, v) = first_body(&t, api_key::PRODUCE, Direction::ToServer);
    let req: ProduceRequest = identity(&body, v);
    assert_eq!(req.transactional_id, None);
    assert_eq!(req.isolation, Isolation::ReadCommitted);
    assert_eq!(req.timeout, Duration::from_millis(1500));
    assert_eq!(req.topics.len(), 1);
    assert_eq!(req.topics[0].name, "t1");
    assert!(req.smartmodules.is_empty());

    let t = load("produce-at-most-once.trace");
    let (body, v) = first_body(&t, api_key::PRODUCE, Direction::ToServer);
    let req: ProduceRequest = identity(&body, v);
    assert_eq!(req.isolation, Isolation::ReadUncommitted);

    // The failover trace holds partition errors with a payload.
    let t = load("failover-leader-kill.trace");
    let mut timeouts = 0;
    let mut pending = HashMap::new();
    for f in &t.frames {
        let mut r = Reader::new(f.payload());
        if f.dir == Direction::ToServer {
            let h = RequestHeader::decode(&mut r, 0).unwrap();
            pending.insert((f.conn, h.correlation_id), h.api_key);
        } else {
            let h = ResponseHeader::decode(&mut r, 0).unwrap();
            if t.connections[&f.conn] != Peer::Sc
                && pending[&(f.conn, h.correlation_id)] == api_key::PRODUCE
            {
                let resp: ProduceResponse = identity(&r.rest(), 25);
                for p in resp.responses.iter().flat_map(|t| &t.partitions) {
                    if p.error_code
                        == (ErrorCode::RequestTimedOut {
                            timeout_ms: 1500,
                            kind: RequestKind::Produce,
                        })
                    {
                        timeouts += 1;
                    }
                }
            }
        }
    }
    assert!(timeouts > 0, "expected RequestTimedOut partition errors");
}

#[test]
fn captured_consume_values_decode() {
    let t = load("consumer-offsets-commit.trace");
    let (body, v) = first_body(&t, api_key::STREAM_FETCH, Direction::ToServer);
    let req: StreamFetchRequest = identity(&body, v);
    assert_eq!(v, 25);
    assert_eq!(req.topic, "t1");
    assert_eq!(req.partition, 0);
    assert_eq!(req.max_bytes, 0x0010_013a);
    assert_eq!(req.isolation, Isolation::ReadUncommitted);
    assert_eq!(req.consumer_id.as_deref(), Some("c1"));

    let (body, v) = first_body(&t, api_key::STREAM_FETCH, Direction::ToClient);
    let resp: StreamFetchResponse = identity(&body, v);
    assert_eq!(resp.topic, "t1");
    assert_eq!(resp.stream_id, 1);
    assert!(resp.partition.error_code.is_ok());
    assert_eq!(resp.partition.high_watermark, 0x8b6);
    assert_eq!(resp.partition.aborted, None);

    let (body, v) = first_body(&t, api_key::FETCH_CONSUMER_OFFSETS, Direction::ToServer);
    let req: FetchConsumerOffsetsRequest = identity(&body, v);
    assert_eq!(
        req.filter_opts,
        Some(FilterOpts {
            replica_id: Some(ReplicaKey::new("t1", 0)),
            consumer_id: Some("c1".into()),
        })
    );

    let (body, v) = first_body(&t, api_key::UPDATE_CONSUMER_OFFSET, Direction::ToServer);
    let req: UpdateConsumerOffsetRequest = identity(&body, v);
    assert_eq!(
        req,
        UpdateConsumerOffsetRequest {
            offset: 9,
            session_id: 1
        }
    );

    let t = load("consumer-offsets-list.trace");
    let (body, v) = first_body(&t, api_key::FETCH_CONSUMER_OFFSETS, Direction::ToClient);
    let resp: FetchConsumerOffsetsResponse = identity(&body, v);
    assert_eq!(resp.consumers.len(), 1);
    assert_eq!(resp.consumers[0].consumer_id, "c1");
    assert_eq!(resp.consumers[0].replica_id, ReplicaKey::new("t1", 0));
    assert_eq!(resp.consumers[0].offset, 14);

    let t = load("consumer-offsets-delete.trace");
    let (body, v) = first_body(&t, api_key::DELETE_CONSUMER_OFFSET, Direction::ToServer);
    let req: DeleteConsumerOffsetRequest = identity(&body, v);
    assert_eq!(req.replica_id, ReplicaKey::new("t1", 0));
    assert_eq!(req.consumer_id, "c1");

    let t = load("consume-beginning.trace");
    let (body, v) = first_body(&t, api_key::FETCH_OFFSETS, Direction::ToClient);
    let resp: FetchOffsetsResponse = identity(&body, v);
    let p = resp.find_partition("t1", 0).unwrap();
    assert_eq!((p.start_offset, p.last_stable_offset), (0, 0x8b6));
    let (body, v) = first_body(&t, api_key::UPDATE_OFFSETS, Direction::ToServer);
    let req: UpdateOffsetsRequest = identity(&body, v);
    assert_eq!(
        req.offsets,
        vec![OffsetUpdate {
            offset: 0x1b2,
            session_id: 1
        }]
    );
}

#[test]
fn fields_are_written_only_from_their_version() {
    let sm = SmartModuleInvocation {
        wasm: SmartModuleInvocationWasm::Predefined("m".into()),
        kind: SmartModuleKind::Filter,
        params: SmartModuleExtraParams {
            inner: BTreeMap::new(),
            lookback: Some(Lookback {
                last: 1,
                age: Some(Duration::from_secs(2)),
            }),
        },
        name: Some("n".into()),
    };
    // wasm tag+name (4) + kind (1) + map count (2) = 7 bytes at every version, then
    // lookback option (1) + last (8) from 20, age option (1) + duration (12) from 21,
    // name option (1) + string (3) from 25.
    let len = |v| encode_to_bytes(&sm, v).unwrap().len();
    assert_eq!(len(19), 7);
    assert_eq!(len(20), 16);
    assert_eq!(len(21), 29);
    assert_eq!(len(24), 29);
    assert_eq!(len(25), 33);
    for v in [0, 19, 20, 21, 25] {
        let back: SmartModuleInvocation =
            decode_exact(encode_to_bytes(&sm, v).unwrap(), v, "sm").unwrap();
        assert_eq!(back.name.is_some(), v >= 25);
        assert_eq!(back.params.lookback.is_some(), v >= 20);
    }

    let req = StreamFetchRequest {
        topic: "t".into(),
        wasm_module: Bytes::from_static(b"w"),
        smartmodule: Some(sm.clone()),
        smartmodules: vec![sm],
        consumer_id: Some("c".into()),
        ..Default::default()
    };
    // topic 3 + partition 4 + offset 8 + max_bytes 4 + isolation 1 = 20.
    let len = |v| encode_to_bytes(&req, v).unwrap().len();
    assert_eq!(len(10), 20);
    assert_eq!(len(11), 20 + 5);
    assert_eq!(len(16), 20 + 5 + 8 + 1);
    assert_eq!(len(18), 20 + 5 + 8 + 1 + 4 + 7);
    assert_eq!(len(19), 20 + 4 + 7);
    assert_eq!(len(23), 20 + 4 + 29 + 4);

    let resp = FetchOffsetsRequest {
        consumer_id: Some("c".into()),
        ..FetchOffsetsRequest::new("t", 0)
    };
    let len = |v| encode_to_bytes(&resp, v).unwrap().len();
    assert_eq!(len(22) + 4, len(23));
    assert_eq!(len(22), len(24));
}

#[test]
fn hostile_produce_bytes_are_typed_errors() {
    // acks 0 is not something the official client writes.
    let mut body = vec![0u8, 0, 0];
    body.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(decode_exact::<ProduceRequest>(Bytes::from(body), 25, "p").is_err());
    // Negative timeout.
    let body = vec![0u8, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
    assert!(decode_exact::<ProduceRequest>(Bytes::from(body), 25, "p").is_err());
    // Timeout that does not fit an i32 of milliseconds.
    let req = ProduceRequest {
        timeout: Duration::from_secs(u64::from(u32::MAX)),
        ..Default::default()
    };
    assert!(encode_to_bytes(&req, 25).is_err());
}
