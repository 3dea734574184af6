//! The client requests of each real-cluster trace, replayed into the sans-IO mock
//! cluster (set up like the real cluster at capture time: SPUs 5001-5003 on ports
//! 9010/9020/9030, the topics and data the scenario needs), answer with frames of the
//! same message types, versions and shapes as the real cluster's: the same number of
//! responses, error codes, counts and object specs; byte-identical record sets where the
//! data is the same (the StreamFetch cut at `max_bytes` in particular). Timestamps, ids
//! and epochs, which legitimately differ, are not compared.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::sync::{Mutex, OnceLock};

use flv_core::codec::encode_to_bytes;
use flv_core::message::{AnyResponse, RequestFrame, ResponseFrame, ServerKind};
use flv_core::time::Instant;
use flv_core::trace::{Direction, Peer, Trace};
use flv_mock_cluster::{ConnId, MockCluster, MockConfig, ServerId};
use serde_json::Value;

/// A trace, parsed once per test run (the large ones are slow to parse in debug builds).
fn load(name: &str) -> &'static Trace {
    static CACHE: OnceLock<Mutex<BTreeMap<String, &'static Trace>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().expect("cache");
    cache.entry(name.to_string()).or_insert_with(|| {
        let path = flv_tests::traces_dir().join(format!("{name}.trace"));
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Box::leak(Box::new(
            Trace::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}")),
        ))
    })
}

/// Responses to one request: (api key, version, decoded responses).
type Exchanges = BTreeMap<(u32, i32, u16), (u16, i16, Vec<AnyResponse>)>;

/// Replays the requests of `trace` into `mock` (a new mock connection per trace
/// connection); `before` runs before each request with its time in seconds. Returns the
/// mock's responses keyed by (trace connection, correlation id).
fn replay(
    mock: &mut MockCluster,
    trace: &Trace,
    mut before: impl FnMut(&mut MockCluster, f64),
) -> Exchanges {
    let mut conns: BTreeMap<u32, Option<ConnId>> = BTreeMap::new();
    let mut requests: BTreeMap<(ConnId, i32), (u32, u16, i16)> = BTreeMap::new();
    let mut out: Exchanges = BTreeMap::new();
    // The capture has no close events: a client connection is taken to close after its
    // last frame (clients exit at the end of their step).
    let mut last_seen: BTreeMap<u32, f64> = BTreeMap::new();
    for f in &trace.frames {
        last_seen.insert(f.conn, f.time);
    }
    for frame in trace.frames.iter().filter(|f| f.dir == Direction::ToServer) {
        let now = Instant::from_origin(std::time::Duration::from_secs_f64(frame.time));
        before(mock, frame.time);
        drain(mock, trace, &requests, &mut out);
        for (tconn, conn) in &mut conns {
            if last_seen[tconn] < frame.time
                && let Some(c) = conn.take()
            {
                mock.handle_closed(c, now);
            }
        }
        let peer = trace.connections[&frame.conn];
        let (server, kind) = match peer {
            Peer::Sc => (ServerId::Sc, ServerKind::Sc),
            Peer::Spu(id) => (ServerId::Spu(id), ServerKind::Spu),
        };
        let conn = *conns
            .entry(frame.conn)
            .or_insert_with(|| mock.handle_accept(server, now));
        let Some(conn) = conn else { continue };
        let req = RequestFrame::decode(kind, frame.payload()).expect("trace request decodes");
        requests.insert(
            (conn, req.header.correlation_id),
            (frame.conn, req.header.api_key, req.header.api_version),
        );
        mock.handle_bytes(conn, &frame.bytes, now);
        mock.handle_timeout(now);
        drain(mock, trace, &requests, &mut out);
    }
    // The client goes away at the end of the capture.
    let end = Instant::from_origin(std::time::Duration::from_secs(3600));
    for conn in conns.into_values().flatten() {
        mock.handle_closed(conn, end);
    }
    while mock.poll_transmit().is_some() {}
    out
}

/// Collects the mock's output frames into `out`.
fn drain(
    mock: &mut MockCluster,
    trace: &Trace,
    requests: &BTreeMap<(ConnId, i32), (u32, u16, i16)>,
    out: &mut Exchanges,
) {
    while let Some((c, bytes)) = mock.poll_transmit() {
        let payload = bytes.slice(4..);
        let cid = ResponseFrame::peek_correlation_id(&payload).expect("correlation id");
        let Some(&(tconn, key, version)) = requests.get(&(c, cid)) else {
            panic!(
                "{}: the mock answered an unknown request {c} {cid}",
                trace.scenario
            );
        };
        let peer_kind = match trace.connections[&tconn] {
            Peer::Sc => ServerKind::Sc,
            Peer::Spu(_) => ServerKind::Spu,
        };
        let resp =
            ResponseFrame::decode(peer_kind, key, version, payload).expect("mock response decodes");
        out.entry((tconn, cid, key))
            .or_insert((key, version, Vec::new()))
            .2
            .push(resp.body);
    }
    while mock.poll_close().is_some() {}
}

/// The real cluster's responses in the trace, keyed like [`replay`]'s.
fn real_exchanges(trace: &Trace) -> Exchanges {
    let mut requests: BTreeMap<(u32, i32), (u16, i16)> = BTreeMap::new();
    let mut out: Exchanges = BTreeMap::new();
    for frame in &trace.frames {
        let kind = match trace.connections[&frame.conn] {
            Peer::Sc => ServerKind::Sc,
            Peer::Spu(_) => ServerKind::Spu,
        };
        if frame.dir == Direction::ToServer {
            let req = RequestFrame::decode(kind, frame.payload()).expect("request");
            requests.insert(
                (frame.conn, req.header.correlation_id),
                (req.header.api_key, req.header.api_version),
            );
        } else {
            let cid = ResponseFrame::peek_correlation_id(&frame.payload()).expect("cid");
            let (key, version) = requests[&(frame.conn, cid)];
            let resp =
                ResponseFrame::decode(kind, key, version, frame.payload()).expect("response");
            out.entry((frame.conn, cid, key))
                .or_insert((key, version, Vec::new()))
                .2
                .push(resp.body);
        }
    }
    out
}

fn mock_cluster() -> MockCluster {
    MockCluster::new(MockConfig::default(), Instant::ZERO)
}

fn t1_t3(m: &mut MockCluster) {
    use flv_core::sc::topic::TopicSpec;
    m.create_topic("t1", TopicSpec::computed(1, 1)).expect("t1");
    m.create_topic("t3", TopicSpec::computed(3, 2)).expect("t3");
}

/// t1 and t3 with the data the real cluster had: the produce traces replayed in order.
fn with_data() -> MockCluster {
    let mut m = mock_cluster();
    t1_t3(&mut m);
    for name in [
        "produce-basic",
        "produce-gzip",
        "produce-snappy",
        "produce-lz4",
        "produce-zstd",
        "produce-at-most-once",
        "produce-large",
        "produce-keys",
    ] {
        replay(&mut m, load(name), |_, _| {});
    }
    assert_eq!(
        m.high_watermark("t1", 0),
        Some(2230),
        "t1 holds what the real one held"
    );
    m
}

/// The mock set up as the real cluster was when `scenario` was captured.
fn setup(scenario: &str) -> MockCluster {
    use flv_core::sc::topic::TopicSpec;
    match scenario {
        "admin-register-spus" => MockCluster::new(
            MockConfig {
                spus: 0,
                ..MockConfig::default()
            },
            Instant::ZERO,
        ),
        "admin-create-topic" => mock_cluster(),
        "admin-create-topic-replicated" | "admin-create-topic-duplicate" => {
            let mut m = mock_cluster();
            m.create_topic("t1", TopicSpec::computed(1, 1)).expect("t1");
            m
        }
        "admin-delete-topic" => {
            let mut m = mock_cluster();
            t1_t3(&mut m);
            m.create_topic("tdel", TopicSpec::computed(2, 1))
                .expect("tdel");
            m
        }
        "failover-leader-kill" => {
            let mut m = mock_cluster();
            t1_t3(&mut m);
            m.create_topic("tf", TopicSpec::computed(1, 3)).expect("tf");
            m
        }
        "consumer-offsets-resume" => {
            let mut m = with_data();
            replay(&mut m, load("consumer-offsets-commit"), |_, _| {});
            m
        }
        "consumer-offsets-list" | "consumer-offsets-delete" => {
            let mut m = with_data();
            replay(&mut m, load("consumer-offsets-commit"), |_, _| {});
            replay(&mut m, load("consumer-offsets-resume"), |_, _| {});
            m
        }
        _ => with_data(),
    }
}

/// Scenarios whose data in the mock is identical to the real cluster's.
fn exact_data(scenario: &str) -> bool {
    scenario.starts_with("consume")
}

/// The objects of a watch/list answer as JSON: name → (spec, status).
fn objects(v: &Value) -> BTreeMap<String, (Value, Value)> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().to_string(),
                (m["spec"].clone(), m["status"].clone()),
            )
        })
        .collect()
}

/// Compares objects present in both answers (the real cluster may hold objects the
/// scenario's set-up did not need); the mock must hold nothing the real one did not.
fn compare_objects(
    kind: &str,
    real: &Value,
    mock: &Value,
    exact: bool,
    errs: &mut Vec<String>,
    what: &str,
) {
    let (real, mock) = (objects(real), objects(mock));
    for (name, (spec, status)) in &mock {
        let Some((rspec, rstatus)) = real.get(name) else {
            errs.push(format!("{what}: {kind} {name} only in the mock"));
            continue;
        };
        if spec != rspec {
            errs.push(format!("{what}: {kind} {name} spec {spec} != real {rspec}"));
        }
        let status_ok = match kind {
            "Partition" if !exact => {
                status["resolution"] == rstatus["resolution"]
                    && status["leader"]["spu"] == rstatus["leader"]["spu"]
            }
            "Partition" if spec["system"] == Value::Bool(true) => {
                status["resolution"] == rstatus["resolution"]
                    && status["leader"]["spu"] == rstatus["leader"]["spu"]
            }
            "Partition" => {
                status["resolution"] == rstatus["resolution"]
                    && status["leader"] == rstatus["leader"]
            }
            _ => status == rstatus,
        };
        if !status_ok {
            errs.push(format!(
                "{what}: {kind} {name} status {status} != real {rstatus}"
            ));
        }
    }
}

fn kind_and_body(v: &Value) -> (String, Value) {
    v.as_object()
        .and_then(|o| o.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap_or_default()
}

/// Changed objects (kind, name, header) of the watch updates after the full sync.
/// Partition updates that only move offsets or sizes are left out: the real SC publishes
/// them whenever its SPUs report, which the captures catch or not depending on timing.
fn changes(resps: &[AnyResponse]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let mut known: BTreeMap<String, (Value, Value)> = BTreeMap::new();
    for (i, r) in resps.iter().enumerate() {
        let AnyResponse::Watch(w) = r else { continue };
        let (kind, body) = kind_and_body(&serde_json::to_value(w).expect("json"));
        if i == 0 {
            known = objects(&body["all"]);
            continue;
        }
        for c in body["changes"].as_array().into_iter().flatten() {
            let name = c["content"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let header = c["header"].as_str().unwrap_or_default().to_string();
            let (spec, status) = (c["content"]["spec"].clone(), c["content"]["status"].clone());
            let offsets_only = kind == "Partition"
                && header == "UPDATE"
                && known.get(&name).is_some_and(|(s, st)| {
                    *s == spec
                        && st["resolution"] == status["resolution"]
                        && st["leader"]["spu"] == status["leader"]["spu"]
                });
            known.insert(name.clone(), (spec, status));
            if !offsets_only {
                out.insert((kind.clone(), name, header));
            }
        }
    }
    out
}

/// Compares one exchange; pushes differences to `errs`.
fn compare(
    scenario: &str,
    what: &str,
    real: &[AnyResponse],
    mock: &[AnyResponse],
    errs: &mut Vec<String>,
) {
    let exact = exact_data(scenario);
    let (Some(r0), Some(m0)) = (real.first(), mock.first()) else {
        if real.len() != mock.len() {
            errs.push(format!(
                "{what}: {} real responses, {} from the mock",
                real.len(),
                mock.len()
            ));
        }
        return;
    };
    if r0.api_name() != m0.api_name() {
        errs.push(format!("{what}: {} vs {}", r0.api_name(), m0.api_name()));
        return;
    }
    // The captures end after the client's last step: a stream may have more answers
    // from the mock (which answers at once) than the capture caught.
    let streaming = matches!(r0, AnyResponse::Watch(_) | AnyResponse::StreamFetch(_));
    if !streaming && real.len() != mock.len() {
        errs.push(format!(
            "{what}: {} real responses, {} from the mock",
            real.len(),
            mock.len()
        ));
    }
    match (r0, m0) {
        (AnyResponse::Watch(rw), AnyResponse::Watch(mw)) => {
            let (rk, rb) = kind_and_body(&serde_json::to_value(rw).expect("json"));
            let (mk, mb) = kind_and_body(&serde_json::to_value(mw).expect("json"));
            if rk != mk {
                errs.push(format!("{what}: watch of {rk} answered with {mk}"));
            }
            let full = |b: &Value| b["changes"].as_array().is_some_and(Vec::is_empty);
            if !full(&rb) || !full(&mb) {
                errs.push(format!("{what}: first watch answer is not a full sync"));
            }
            compare_objects(&rk, &rb["all"], &mb["all"], exact, errs, what);
            let (rc, mc) = (changes(real), changes(mock));
            let known: BTreeSet<String> = objects(&mb["all"])
                .into_keys()
                .chain(mc.iter().map(|c| c.1.clone()))
                .collect();
            let rc: BTreeSet<_> = rc.into_iter().filter(|c| known.contains(&c.1)).collect();
            if rc != mc {
                errs.push(format!("{what}: changed objects {mc:?} != real {rc:?}"));
            }
        }
        (AnyResponse::List(rl), AnyResponse::List(ml)) => {
            let (rk, rb) = kind_and_body(&serde_json::to_value(rl).expect("json"));
            let (mk, mb) = kind_and_body(&serde_json::to_value(ml).expect("json"));
            if rk != mk {
                errs.push(format!("{what}: list of {rk} answered with {mk}"));
            }
            compare_objects(&rk, &rb, &mb, exact, errs, what);
        }
        (AnyResponse::StreamFetch(_), AnyResponse::StreamFetch(_)) => {
            if real.len() > mock.len() {
                errs.push(format!(
                    "{what}: {} stream responses, {} from the mock",
                    real.len(),
                    mock.len()
                ));
            }
            for (i, (r, m)) in real.iter().zip(mock).enumerate() {
                let (AnyResponse::StreamFetch(r), AnyResponse::StreamFetch(m)) = (r, m) else {
                    continue;
                };
                let (rp, mp) = (&r.partition, &m.partition);
                if (
                    r.topic.as_str(),
                    r.stream_id,
                    rp.partition_index,
                    &rp.error_code,
                ) != (
                    m.topic.as_str(),
                    m.stream_id,
                    mp.partition_index,
                    &mp.error_code,
                ) {
                    errs.push(format!("{what} #{i}: header {r:?} != mock"));
                }
                let rs = encode_to_bytes(&rp.records, 25).expect("encode");
                let ms = encode_to_bytes(&mp.records, 25).expect("encode");
                if exact && (rs != ms || rp.high_watermark != mp.high_watermark) {
                    errs.push(format!(
                        "{what} #{i}: record sets differ ({} vs {} bytes, {} vs {} batches, cut {:?} vs {:?})",
                        rs.len(),
                        ms.len(),
                        rp.records.batches.len(),
                        mp.records.batches.len(),
                        rp.records.partial.as_ref().map(|p| p.bytes.len()),
                        mp.records.partial.as_ref().map(|p| p.bytes.len()),
                    ));
                }
            }
        }
        (AnyResponse::Produce(r), AnyResponse::Produce(m)) => {
            let shape = |p: &flv_core::spu::ProduceResponse| {
                p.responses
                    .iter()
                    .map(|t| {
                        (
                            t.name.clone(),
                            t.partitions
                                .iter()
                                .map(|p| (p.partition_index, p.error_code.clone()))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            if shape(r) != shape(m) {
                errs.push(format!(
                    "{what}: produce {:?} != mock {:?}",
                    shape(r),
                    shape(m)
                ));
            }
        }
        (AnyResponse::FetchOffsets(r), AnyResponse::FetchOffsets(m)) => {
            let shape = |p: &flv_core::spu::FetchOffsetsResponse| {
                p.topics
                    .iter()
                    .flat_map(|t| {
                        t.partitions.iter().map(|p| {
                            (
                                t.name.clone(),
                                p.partition_index,
                                p.error_code.clone(),
                                if exact { p.last_stable_offset } else { 0 },
                            )
                        })
                    })
                    .collect::<Vec<_>>()
            };
            if shape(r) != shape(m) {
                errs.push(format!(
                    "{what}: offsets {:?} != mock {:?}",
                    shape(r),
                    shape(m)
                ));
            }
        }
        (AnyResponse::FetchConsumerOffsets(r), AnyResponse::FetchConsumerOffsets(m)) => {
            let shape = |p: &flv_core::spu::FetchConsumerOffsetsResponse| {
                (
                    p.error_code.clone(),
                    p.consumers
                        .iter()
                        .map(|c| (c.consumer_id.clone(), c.replica_id.clone(), c.offset))
                        .collect::<Vec<_>>(),
                )
            };
            if shape(r) != shape(m) {
                errs.push(format!(
                    "{what}: consumer offsets {:?} != mock {:?}",
                    shape(r),
                    shape(m)
                ));
            }
        }
        (r, m) => {
            // Everything else (ApiVersions, Status, UpdateOffsets, consumer offset
            // updates and deletes) must be equal.
            if r != m {
                errs.push(format!("{what}: {r:?} != mock {m:?}"));
            }
        }
    }
}

/// Deliberate departures, documented in the mock: after the leader of `tf` is killed,
/// the real SPU keeps waiting for the dead follower, so the read-committed produce times
/// out; the mock drops a stopped follower from the in-sync set and acknowledges.
fn known_departure(scenario: &str, what: &str) -> bool {
    scenario == "failover-leader-kill" && what.contains("conn 8 ") && what.contains("Produce")
}

#[test]
fn mock_answers_every_trace_like_the_real_cluster() {
    let mut report = Vec::new();
    let mut scenarios = 0;
    for entry in fs::read_dir(flv_tests::traces_dir()).expect("traces") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "trace") {
            continue;
        }
        let scenario = path.file_stem().unwrap().to_string_lossy().into_owned();
        let trace = load(&scenario);
        let mut mock = setup(&scenario);
        let failover = scenario == "failover-leader-kill";
        let mut killed = false;
        let got = replay(&mut mock, trace, |m, t| {
            // spu-5003 was killed about 1 s into the capture.
            if failover && !killed && t > 1.0 {
                m.stop_spu(
                    5003,
                    Instant::from_origin(std::time::Duration::from_secs_f64(t)),
                );
                killed = true;
            }
        });
        let real = real_exchanges(trace);
        let mut errs = Vec::new();
        for (key, (api, version, responses)) in &real {
            let what = format!(
                "{scenario} conn {} cid {} {}",
                key.0,
                key.1,
                flv_core::message::api_name(
                    match trace.connections[&key.0] {
                        Peer::Sc => ServerKind::Sc,
                        Peer::Spu(_) => ServerKind::Spu,
                    },
                    *api,
                )
                .unwrap_or("?")
            );
            let mock_resps = got.get(key).map(|e| e.2.as_slice()).unwrap_or_default();
            let _ = api;
            if let Some(e) = got.get(key) {
                assert_eq!((e.0, e.1), (*api, *version), "{what}");
            }
            let mut e = Vec::new();
            compare(&scenario, &what, responses, mock_resps, &mut e);
            if !known_departure(&scenario, &what) {
                errs.extend(e);
            }
        }
        // Requests the capture caught no answer of because it ended first (streams,
        // the last request of a connection whose client left without waiting).
        let mut last_request: BTreeMap<u32, (i32, u16)> = BTreeMap::new();
        for f in trace.frames.iter().filter(|f| f.dir == Direction::ToServer) {
            let kind = match trace.connections[&f.conn] {
                Peer::Sc => ServerKind::Sc,
                Peer::Spu(_) => ServerKind::Spu,
            };
            let h = RequestFrame::decode(kind, f.payload())
                .expect("request")
                .header;
            last_request.insert(f.conn, (h.correlation_id, h.api_key));
        }
        for (key, (api, _, _)) in &got {
            let stream = matches!(*api, 1003 | 1004);
            let last = last_request.get(&key.0) == Some(&(key.1, key.2));
            if !real.contains_key(key) && !stream && !last {
                errs.push(format!(
                    "{scenario}: the mock answered conn {} cid {} that the real cluster did not",
                    key.0, key.1
                ));
            }
        }
        scenarios += 1;
        report.extend(errs);
    }
    assert_eq!(scenarios, 30);
    assert!(
        report.is_empty(),
        "{} differences:\n{}",
        report.len(),
        report.join("\n")
    );
}
