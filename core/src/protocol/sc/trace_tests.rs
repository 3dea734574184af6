//! Every SC frame of every captured trace decodes and re-encodes to identical bytes.
//!
//! The helper pairs each response with its request by (connection, correlation id); the request
//! header gives the api key and version the response is encoded at.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::path::PathBuf;

use bytes::Bytes;

use super::*;
use crate::protocol::codec::{
    Decode, DecodeError, Encode, Reader, Version, decode_exact, encode_to_bytes,
};
use crate::protocol::header::RequestHeader;
use crate::trace::{Direction, Peer, Trace};

/// One SC frame body with what is needed to decode it.
#[derive(Debug, Clone)]
pub(crate) struct ScFrame {
    /// Trace file and line, for messages.
    pub at: String,
    /// Api key of the request (or of the request answered).
    pub api_key: u16,
    /// Version of the request (or of the request answered).
    pub version: Version,
    /// True for a request, false for a response.
    pub request: bool,
    /// The body after the request header / correlation id.
    pub body: Bytes,
}

fn traces_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/traces")
}

/// Parses one trace file of `tests/traces`.
pub(crate) fn load_trace(name: &str) -> Trace {
    let text = std::fs::read_to_string(traces_dir().join(name)).expect("read trace");
    Trace::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every trace file of `tests/traces`, parsed, by file name.
pub(crate) fn all_traces() -> BTreeMap<String, Trace> {
    let dir = traces_dir();
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("traces dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("trace") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read trace");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let trace = Trace::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.insert(name, trace);
    }
    assert!(out.len() >= 30, "expected the captured traces in {dir:?}");
    out
}

/// The frames of the SC connections of `trace`, responses paired with their requests.
pub(crate) fn sc_frames(name: &str, trace: &Trace) -> Vec<ScFrame> {
    let mut requests: HashMap<(u32, i32), (u16, Version)> = HashMap::new();
    let mut out = Vec::new();
    for frame in &trace.frames {
        if trace.connections.get(&frame.conn) != Some(&Peer::Sc) {
            continue;
        }
        let at = format!("{name}:{}", frame.line);
        let mut reader = Reader::new(frame.payload());
        match frame.dir {
            Direction::ToServer => {
                let header = RequestHeader::decode(&mut reader, 0)
                    .unwrap_or_else(|e| panic!("{at}: request header: {e}"));
                requests.insert(
                    (frame.conn, header.correlation_id),
                    (header.api_key, header.api_version),
                );
                out.push(ScFrame {
                    at,
                    api_key: header.api_key,
                    version: header.api_version,
                    request: true,
                    body: reader.rest(),
                });
            }
            Direction::ToClient => {
                let corr = reader
                    .i32()
                    .unwrap_or_else(|e| panic!("{at}: correlation id: {e}"));
                let (api_key, version) = *requests
                    .get(&(frame.conn, corr))
                    .unwrap_or_else(|| panic!("{at}: response to unknown request {corr}"));
                out.push(ScFrame {
                    at,
                    api_key,
                    version,
                    request: false,
                    body: reader.rest(),
                });
            }
        }
    }
    out
}

/// Decodes `body` as `T` (which must fill it) and checks it re-encodes to the same bytes.
fn roundtrip<T: Encode + Decode + Debug>(f: &ScFrame) -> Result<T, DecodeError> {
    let value: T = decode_exact(f.body.clone(), f.version, "sc frame")?;
    let again = encode_to_bytes(&value, f.version)
        .unwrap_or_else(|e| panic!("{}: re-encode failed: {e}", f.at));
    assert_eq!(
        hex::encode(&again),
        hex::encode(&f.body),
        "{}: re-encoded bytes differ for {value:?}",
        f.at
    );
    Ok(value)
}

/// A decoded SC message, for the content checks below.
#[derive(Debug)]
enum Decoded {
    Create(Box<ObjectCreateRequest>),
    Delete(ObjectDeleteRequest),
    Update(ObjectUpdateRequest),
    List(ObjectListRequest),
    ListResponse(ObjectListResponse),
    Watch(ObjectWatchRequest),
    WatchResponse(ObjectWatchResponse),
    Status(Status),
    ApiVersions,
}

fn decode_frame(f: &ScFrame) -> Decoded {
    let ok = |r: Result<Decoded, DecodeError>| r.unwrap_or_else(|e| panic!("{}: {e}", f.at));
    match (f.api_key, f.request) {
        (api_key::API_VERSIONS, _) => Decoded::ApiVersions,
        (api_key::CREATE, true) => ok(roundtrip(f).map(|c| Decoded::Create(Box::new(c)))),
        (api_key::DELETE, true) => ok(roundtrip(f).map(Decoded::Delete)),
        (api_key::UPDATE, true) => ok(roundtrip(f).map(Decoded::Update)),
        (api_key::LIST, true) => ok(roundtrip(f).map(Decoded::List)),
        (api_key::LIST, false) => ok(roundtrip(f).map(Decoded::ListResponse)),
        (api_key::WATCH, true) => ok(roundtrip(f).map(Decoded::Watch)),
        (api_key::WATCH, false) => ok(roundtrip(f).map(Decoded::WatchResponse)),
        (api_key::CREATE | api_key::DELETE | api_key::UPDATE, false) => {
            ok(roundtrip(f).map(Decoded::Status))
        }
        (key, _) => panic!("{}: unexpected SC api key {key}", f.at),
    }
}

#[test]
fn every_sc_frame_of_every_trace_roundtrips() {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for (name, trace) in all_traces() {
        for f in sc_frames(&name, &trace) {
            let d = decode_frame(&f);
            let what = match &d {
                Decoded::Create(r) => format!("create {:?}", r.spec.kind()),
                Decoded::Delete(r) => format!("delete {:?}", r.kind()),
                Decoded::Update(r) => format!("update {:?}", r.kind()),
                Decoded::List(r) => format!("list {:?}", r.kind),
                Decoded::ListResponse(r) => format!("list response {:?}", r.kind()),
                Decoded::Watch(r) => format!("watch {:?}", r.kind),
                Decoded::WatchResponse(r) => format!("watch response {:?}", r.kind()),
                Decoded::Status(_) => "status".into(),
                Decoded::ApiVersions => "api versions".into(),
            };
            *seen.entry(what).or_default() += 1;
            total += 1;
        }
    }
    let need = [
        "create Topic",
        "create CustomSpu",
        "delete Topic",
        "update Topic",
        "list Spu",
        "list Topic",
        "list Partition",
        "list SmartModule",
        "list SpuGroup",
        "list TableFormat",
        "list CustomSpu",
        "list response Spu",
        "list response Topic",
        "list response Partition",
        "list response SmartModule",
        "list response SpuGroup",
        "list response TableFormat",
        "list response CustomSpu",
        "watch Spu",
        "watch Partition",
        "watch Topic",
        "watch response Spu",
        "watch response Partition",
        "watch response Topic",
        "status",
    ];
    for n in need {
        assert!(
            seen.contains_key(n),
            "no {n:?} frame in the traces: {seen:?}"
        );
    }
    assert!(total > 300, "only {total} SC frames");
}

fn frames_of(name: &str) -> Vec<Decoded> {
    let trace = load_trace(name);
    sc_frames(name, &trace).iter().map(decode_frame).collect()
}

#[test]
fn create_topic_content() {
    let frames = frames_of("admin-create-topic-replicated.trace");
    let create = frames
        .iter()
        .find_map(|d| match d {
            Decoded::Create(c) => Some(c),
            _ => None,
        })
        .expect("create");
    assert_eq!(create.common.name, "t3");
    let ObjectSpec::Topic(spec) = &create.spec else {
        panic!("not a topic: {create:?}")
    };
    assert_eq!(spec, &topic::TopicSpec::computed(3, 2));
    assert!(
        frames
            .iter()
            .any(|d| matches!(d, Decoded::Status(s) if s.name == "t3" && s.is_ok()))
    );
}

#[test]
fn register_spus_content() {
    let frames = frames_of("admin-register-spus.trace");
    let spus: Vec<_> = frames
        .iter()
        .filter_map(|d| match d {
            Decoded::Create(c) => match &c.spec {
                ObjectSpec::CustomSpu(s) => Some(s),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(!spus.is_empty());
    assert!(spus.iter().all(|s| (5001..=5003).contains(&s.id)));
}

#[test]
fn update_and_errors_content() {
    let frames = frames_of("admin-update-add-partition.trace");
    assert!(frames.iter().any(|d| matches!(
        d,
        Decoded::Update(ObjectUpdateRequest::Topic(UpdateRequest {
            key,
            action: topic::UpdateTopicAction::AddPartition(topic::AddPartition { count: 2 }),
        })) if key == "t3"
    )));
    // TopicAlreadyExists (2002) and TopicNotFound (2001)
    for (name, code) in [
        ("admin-create-topic-duplicate.trace", 2002),
        ("admin-delete-missing-topic.trace", 2001),
    ] {
        let frames = frames_of(name);
        assert!(
            frames.iter().any(|d| match d {
                Decoded::Status(s) => s.error_code.tag() == code,
                _ => false,
            }),
            "{name}: no error status"
        );
    }
}

#[test]
fn watch_spu_content() {
    let frames = frames_of("admin-list.trace");
    let spus = frames
        .iter()
        .find_map(|d| match d {
            Decoded::WatchResponse(ObjectWatchResponse::Spu(u)) if !u.all.is_empty() => {
                Some(u.all.clone())
            }
            _ => None,
        })
        .expect("spu watch");
    let mut ports: Vec<u16> = spus.iter().map(|m| m.spec.public_endpoint.port).collect();
    ports.sort_unstable();
    assert_eq!(ports, vec![9010, 9020, 9030]);
    assert!(
        spus.iter()
            .all(|m| m.spec.spu_type == spu::SpuType::Custom && m.name.starts_with("custom-spu-"))
    );
}

/// Decodes `body` as the message of `api_key` (request or response); only the result matters.
fn decode_any(api_key: u16, request: bool, body: Bytes, version: Version) -> bool {
    fn ok<T: Decode>(b: Bytes, v: Version) -> bool {
        decode_exact::<T>(b, v, "fuzz").is_ok()
    }
    match (api_key, request) {
        (api_key::CREATE, true) => ok::<ObjectCreateRequest>(body, version),
        (api_key::DELETE, true) => ok::<ObjectDeleteRequest>(body, version),
        (api_key::UPDATE, true) => ok::<ObjectUpdateRequest>(body, version),
        (api_key::LIST, true) => ok::<ObjectListRequest>(body, version),
        (api_key::LIST, false) => ok::<ObjectListResponse>(body, version),
        (api_key::WATCH, true) => ok::<ObjectWatchRequest>(body, version),
        (api_key::WATCH, false) => ok::<ObjectWatchResponse>(body, version),
        (api_key::MIRRORING, true) => ok::<MirroringRequest>(body, version),
        (api_key::MIRRORING, false) => ok::<MirroringResponse>(body, version),
        (_, _) => ok::<Status>(body, version),
    }
}

#[test]
fn every_truncated_sc_frame_is_an_error_not_a_panic() {
    let mut checked = 0;
    for (name, trace) in all_traces()
        .into_iter()
        .filter(|(n, _)| n.starts_with("admin-"))
    {
        for f in sc_frames(&name, &trace) {
            if f.api_key == api_key::API_VERSIONS {
                continue;
            }
            for cut in 0..f.body.len() {
                let short = f.body.slice(..cut);
                assert!(
                    !decode_any(f.api_key, f.request, short, f.version),
                    "{}: a {cut}-byte prefix decoded",
                    f.at
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}

mod fuzz {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Arbitrary bytes, at every version, for every SC message: errors, never panics.
        #[test]
        fn random_bodies_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..256),
            version in 0i16..=20,
        ) {
            let body = Bytes::from(body);
            for key in 1001..=1006 {
                for request in [true, false] {
                    let _ = decode_any(key, request, body.clone(), version);
                }
            }
        }

        /// Single-byte corruptions of a real Watch response decode or fail cleanly, and whatever
        /// decodes re-encodes to the same bytes.
        #[test]
        fn corrupted_watch_response_is_handled(at in 0usize..4096, byte in any::<u8>()) {
            let trace = load_trace("admin-list.trace");
            let frames = sc_frames("admin-list.trace", &trace);
            let f = frames
                .iter()
                .filter(|f| f.api_key == api_key::WATCH && !f.request)
                .max_by_key(|f| f.body.len())
                .expect("watch response");
            let mut raw = f.body.to_vec();
            let i = at % raw.len();
            raw[i] = byte;
            let raw = Bytes::from(raw);
            if let Ok(v) = decode_exact::<ObjectWatchResponse>(raw.clone(), f.version, "fuzz") {
                prop_assert_eq!(encode_to_bytes(&v, f.version).unwrap(), raw);
            }
        }
    }
}
