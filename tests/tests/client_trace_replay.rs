//! The client replayed against real-cluster traces: the server frames of a trace answer
//! the client's requests, and the client's requests are compared with what the official
//! client sent (api, version, client id, fields, and the bytes, correlation id aside).
//!
//! Matching: a client connection is paired with the next trace connection to the same
//! peer; a client request with the first unmatched trace request of the same api (and
//! object kind for watches) on that connection. A server frame is fed to the client once
//! its request is matched (the k-th response of a stream fetch once the client sent k-1
//! acknowledgements that agree with the trace), with the client's correlation id. Frames
//! answering requests the client does not send (the official client's second set of
//! metadata watches) are dropped when nothing else can happen.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use flv_core::client::{
    AdminCommand, Client, ClientConfig, ConnId, ConsumerConfig, ConsumerEvent, ConsumerRecord,
    Event, IoCommand, Offset, OffsetManagement, OpOutput, Peer, ProducerConfig,
};
use flv_core::message::{AnyRequest, RequestFrame, ServerKind};
use flv_core::record::Compression;
use flv_core::sc::objects::{ObjectDeleteRequest, ObjectKind, ObjectSpec};
use flv_core::sc::topic::TopicSpec;
use flv_core::spu::Isolation;
use flv_core::time::Instant;
use flv_core::trace::{Direction, Trace};

fn load(name: &str) -> Trace {
    let path = flv_tests::traces_dir().join(name);
    Trace::parse(&fs::read_to_string(&path).expect("trace")).expect("parse")
}

fn at(secs: f64) -> Instant {
    Instant::from_origin(Duration::from_secs_f64(secs))
}

fn kind_of(peer: Peer) -> ServerKind {
    match peer {
        Peer::Sc => ServerKind::Sc,
        Peer::Spu(_) => ServerKind::Spu,
    }
}

fn same_peer(a: &Peer, b: Peer) -> bool {
    matches!((a, b), (Peer::Sc, Peer::Sc))
        || matches!((a, b), (Peer::Spu(x), Peer::Spu(y)) if *x == y)
}

fn with_corr(frame: &Bytes, corr: i32, offset: usize) -> Bytes {
    let mut b = BytesMut::from(&frame[..]);
    b[offset..offset + 4].copy_from_slice(&corr.to_be_bytes());
    b.freeze()
}

/// What the application does when the client reports something.
type App<'a> = Box<dyn FnMut(&mut Client, Instant, &Event) + 'a>;

struct Replay<'a> {
    trace: Trace,
    /// The client under replay.
    client: Client,
    now: Instant,
    conns: BTreeMap<ConnId, u32>,
    used: BTreeSet<u32>,
    matched: BTreeSet<usize>,
    corr: BTreeMap<(u32, i32), (i32, u16)>,
    handshaken: BTreeSet<u32>,
    done: BTreeSet<usize>,
    acks: BTreeMap<u32, usize>,
    diverged: BTreeSet<u32>,
    responses: BTreeMap<(u32, i32), usize>,
    /// Client requests, rendered `conn api vN`.
    sent: Vec<String>,
    /// Differences with the official client's requests.
    diffs: Vec<String>,
    /// Server frames dropped.
    dropped: Vec<usize>,
    events: Vec<Event>,
    app: App<'a>,
}

impl<'a> Replay<'a> {
    fn new(name: &str, config: ClientConfig, app: App<'a>) -> Self {
        let trace = load(name);
        let client = Client::new(config, Instant::ZERO);
        Self {
            trace,
            client,
            now: Instant::ZERO,
            conns: BTreeMap::new(),
            used: BTreeSet::new(),
            matched: BTreeSet::new(),
            corr: BTreeMap::new(),
            handshaken: BTreeSet::new(),
            done: BTreeSet::new(),
            acks: BTreeMap::new(),
            diverged: BTreeSet::new(),
            responses: BTreeMap::new(),
            sent: Vec::new(),
            diffs: Vec::new(),
            dropped: Vec::new(),
            events: Vec::new(),
            app,
        }
    }

    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(cmd) = self.client.poll_io() {
                moved = true;
                if let IoCommand::Connect { conn, peer, .. } = cmd {
                    let n = self
                        .trace
                        .connections
                        .iter()
                        .find(|(n, p)| !self.used.contains(n) && same_peer(&peer, **p))
                        .map(|(n, _)| *n);
                    match n {
                        Some(n) => {
                            self.used.insert(n);
                            self.conns.insert(conn, n);
                            self.client.handle_connected(conn, self.now);
                        }
                        None => self.diffs.push(format!("unexpected connection to {peer}")),
                    }
                }
            }
            while let Some((conn, bytes)) = self.client.poll_transmit() {
                moved = true;
                let mut rest = bytes;
                while rest.len() >= 4 {
                    let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
                    let frame = rest.split_to(4 + len);
                    self.on_request(conn, frame);
                }
            }
            while let Some(event) = self.client.poll_event() {
                moved = true;
                (self.app)(&mut self.client, self.now, &event);
                self.events.push(event);
            }
            if !moved {
                break;
            }
        }
    }

    fn on_request(&mut self, conn: ConnId, frame: Bytes) {
        let n = self.conns[&conn];
        let peer = self.trace.connections[&n];
        let ours =
            RequestFrame::decode(kind_of(peer), frame.slice(4..)).expect("client request decodes");
        let api = ours.body.api_name();
        self.sent
            .push(format!("{peer} {api} v{}", ours.header.api_version));
        let found = self.trace.frames.iter().enumerate().find_map(|(i, f)| {
            if f.conn != n || f.dir != Direction::ToServer || self.matched.contains(&i) {
                return None;
            }
            let theirs = RequestFrame::decode(kind_of(peer), f.payload()).ok()?;
            let same_api = theirs.header.api_key == ours.header.api_key;
            let same_kind = match (&theirs.body, &ours.body) {
                (AnyRequest::Watch(a), AnyRequest::Watch(b)) => a.kind == b.kind,
                _ => true,
            };
            (same_api && same_kind).then_some((i, theirs))
        });
        let Some((i, theirs)) = found else {
            self.diffs.push(format!("{peer}: {api} not in the trace"));
            return;
        };
        self.matched.insert(i);
        let handshake = ours.header.api_key == 18;
        if !handshake {
            self.corr.insert(
                (n, theirs.header.correlation_id),
                (ours.header.correlation_id, ours.header.api_key),
            );
        }
        if theirs.header.api_version != ours.header.api_version {
            self.diffs.push(format!(
                "{peer} {api}: version {} vs {}",
                ours.header.api_version, theirs.header.api_version
            ));
        }
        if theirs.header.client_id != ours.header.client_id {
            self.diffs.push(format!(
                "{peer} {api}: client id {:?} vs {:?}",
                ours.header.client_id, theirs.header.client_id
            ));
        }
        if theirs.body != ours.body {
            self.diffs.push(format!(
                "{peer} {api}: {:?} vs {:?}",
                ours.body, theirs.body
            ));
            if matches!(ours.body, AnyRequest::UpdateOffsets(_)) {
                // The SPU's next responses answered the official client's ack.
                self.diverged.insert(n);
            }
        } else if with_corr(&self.trace.frames[i].bytes, ours.header.correlation_id, 8) != frame {
            self.diffs
                .push(format!("{peer} {api}: same fields, different bytes"));
        }
        if matches!(ours.body, AnyRequest::UpdateOffsets(_)) {
            *self.acks.entry(n).or_default() += 1;
        }
    }

    /// Feeds the first deliverable server frame; false if none.
    fn deliver(&mut self) -> bool {
        // Frames of one connection keep their order per correlation id (multiplexed
        // answers to different requests may overtake each other); the handshake first.
        let mut blocked: BTreeSet<(u32, Option<i32>)> = BTreeSet::new();
        for i in 0..self.trace.frames.len() {
            let f = &self.trace.frames[i];
            if f.dir != Direction::ToClient || self.done.contains(&i) {
                continue;
            }
            let n = f.conn;
            let corr = self
                .handshaken
                .contains(&n)
                .then(|| i32::from_be_bytes(f.bytes[4..8].try_into().unwrap()));
            if blocked.contains(&(n, None)) || blocked.contains(&(n, corr)) {
                continue;
            }
            let Some(conn) = self.conns.iter().find(|(_, m)| **m == n).map(|(c, _)| *c) else {
                blocked.insert((n, None));
                continue;
            };
            let bytes = if !self.handshaken.contains(&n) {
                let hello = self.trace.frames.iter().enumerate().position(|(j, g)| {
                    g.conn == n && g.dir == Direction::ToServer && self.matched.contains(&j)
                });
                if hello.is_none() {
                    blocked.insert((n, None));
                    continue;
                }
                self.handshaken.insert(n);
                f.bytes.clone()
            } else {
                let c = corr.unwrap_or_default();
                let Some((ours, api_key)) = self.corr.get(&(n, c)).copied() else {
                    blocked.insert((n, corr));
                    continue;
                };
                let k = self.responses.entry((n, c)).or_default();
                if api_key == 1003 && *k >= 1 {
                    if self.diverged.contains(&n) {
                        self.done.insert(i);
                        self.dropped.push(i);
                        return true;
                    }
                    if self.acks.get(&n).copied().unwrap_or(0) < *k {
                        blocked.insert((n, corr));
                        continue;
                    }
                }
                *k += 1;
                with_corr(&f.bytes, ours, 4)
            };
            self.now = self.now.max(at(f.time));
            self.done.insert(i);
            self.client.handle_bytes(conn, &bytes, self.now);
            return true;
        }
        false
    }

    fn run(&mut self) {
        let end = at(self.trace.frames.last().map_or(0.0, |f| f.time) + 5.0);
        for _ in 0..100_000 {
            self.pump();
            let next_frame = self
                .trace
                .frames
                .iter()
                .enumerate()
                .find(|(i, f)| f.dir == Direction::ToClient && !self.done.contains(i))
                .map(|(_, f)| at(f.time));
            if let Some(t) = self.client.poll_timeout()
                && (t <= self.now
                    || (t <= end && next_frame.is_none_or(|f| t < f) && !self.can_deliver()))
            {
                self.now = self.now.max(t);
                self.client.handle_timeout(self.now);
                continue;
            }
            if self.deliver() {
                continue;
            }
            // Nothing can happen: drop the earliest frame nobody asked for.
            let stuck = (0..self.trace.frames.len()).find(|i| {
                self.trace.frames[*i].dir == Direction::ToClient && !self.done.contains(i)
            });
            match stuck {
                Some(i) => {
                    self.done.insert(i);
                    self.dropped.push(i);
                }
                None => break,
            }
        }
        self.pump();
    }

    fn can_deliver(&self) -> bool {
        // Cheap probe: a frame whose request is matched on a mapped connection.
        self.trace.frames.iter().enumerate().any(|(i, f)| {
            f.dir == Direction::ToClient
                && !self.done.contains(&i)
                && self.conns.values().any(|n| *n == f.conn)
                && (!self.handshaken.contains(&f.conn)
                    || self.corr.contains_key(&(
                        f.conn,
                        i32::from_be_bytes(f.bytes[4..8].try_into().unwrap()),
                    )))
        })
    }

    /// Requests of the trace the client did not send, rendered.
    fn unmatched(&self) -> Vec<String> {
        self.trace
            .frames
            .iter()
            .enumerate()
            .filter(|(i, f)| f.dir == Direction::ToServer && !self.matched.contains(i))
            .map(|(_, f)| {
                let peer = self.trace.connections[&f.conn];
                let r = RequestFrame::decode(kind_of(peer), f.payload()).unwrap();
                format!(
                    "{peer} {} corr {}",
                    r.body.api_name(),
                    r.header.correlation_id
                )
            })
            .collect()
    }
}

fn config() -> ClientConfig {
    ClientConfig::new("127.0.0.1:9003")
}

/// The official client's second set of metadata watches (its SPU pool's store), which
/// flv does not duplicate.
const SECOND_WATCHES: [&str; 3] = ["sc Watch corr 4", "sc Watch corr 5", "sc Watch corr 6"];

/// The records of the official client's produce requests, and the first timestamp.
fn produced(trace: &Trace) -> (i64, Vec<(Option<Bytes>, Bytes)>) {
    let mut ts = None;
    let mut records = Vec::new();
    for f in &trace.frames {
        if f.dir != Direction::ToServer {
            continue;
        }
        if let Ok(RequestFrame {
            body: AnyRequest::Produce(p),
            ..
        }) = RequestFrame::decode(ServerKind::Spu, f.payload())
        {
            for batch in p
                .topics
                .iter()
                .flat_map(|t| &t.partitions)
                .flat_map(|p| &p.records.batches)
            {
                ts.get_or_insert(batch.header().first_timestamp);
                for r in batch.records().unwrap() {
                    records.push((r.key, r.value));
                }
            }
        }
    }
    (ts.expect("a produce request"), records)
}

/// Replays a recorded official-client produce. The requests are compared byte for byte, so
/// the producer runs without the exactly-once stamp (producer id, epoch and sequence in the
/// batch header: the one intended difference from the official client's batches, checked
/// in `sim_exactly_once` and `xcheck_exactly_once`).
fn produce_scenario(name: &str, mut config: ProducerConfig) -> (Vec<String>, Vec<Event>) {
    config.exactly_once = false;
    let (ts, records) = produced(&load(name));
    let app: App = Box::new(move |client, now, event| {
        if let Event::ProducerCreated {
            producer: p,
            result,
        } = event
        {
            assert!(result.is_ok());
            client.handle_wall_clock(ts, now);
            for (k, v) in &records {
                client.send(*p, k.clone(), v.clone(), now).unwrap();
            }
            client.flush(*p, now).unwrap();
        }
    });
    let mut r = Replay::new(name, config_for(name), app);
    r.client
        .create_producer("t1", config, Instant::ZERO)
        .unwrap();
    r.run();
    assert_eq!(r.unmatched(), SECOND_WATCHES, "{name}: {:?}", r.sent);
    (r.diffs, r.events)
}

fn config_for(_name: &str) -> ClientConfig {
    config()
}

#[test]
fn produce_basic_is_byte_identical() {
    let cfg = ProducerConfig {
        linger: Duration::from_millis(10),
        ..ProducerConfig::default()
    };
    let (diffs, events) = produce_scenario("produce-basic.trace", cfg);
    assert!(diffs.is_empty(), "{diffs:#?}");
    let delivered: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Delivered {
                base_offset, sends, ..
            } => Some((*base_offset, sends.len())),
            _ => None,
        })
        .collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].1, 50);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Flushed { result: Ok(()), .. }))
    );
}

#[test]
fn produce_at_most_once_and_compressed_are_byte_identical() {
    use flv_core::client::DeliverySemantic;
    let (diffs, _) = produce_scenario(
        "produce-at-most-once.trace",
        ProducerConfig {
            delivery_semantic: DeliverySemantic::AtMostOnce,
            ..ProducerConfig::default()
        },
    );
    assert!(diffs.is_empty(), "{diffs:#?}");
    for (name, codec) in [
        ("produce-gzip.trace", Compression::Gzip),
        ("produce-snappy.trace", Compression::Snappy),
        ("produce-lz4.trace", Compression::Lz4),
        ("produce-zstd.trace", Compression::Zstd),
    ] {
        let (diffs, events) = produce_scenario(
            name,
            ProducerConfig {
                compression: Some(codec),
                isolation: Isolation::ReadCommitted,
                ..ProducerConfig::default()
            },
        );
        assert!(diffs.is_empty(), "{name}: {diffs:#?}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Flushed { result: Ok(()), .. })),
            "{name}"
        );
    }
}

fn consume_scenario(
    name: &str,
    consumer_config: ConsumerConfig,
    commit: Option<i64>,
) -> (Replay<'static>, Vec<ConsumerRecord>) {
    let records = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = std::rc::Rc::clone(&records);
    let mut committed = false;
    let app: App<'static> = Box::new(move |client, now, event| {
        let Event::ConsumerReady { consumer: c } = event else {
            return;
        };
        while let Some(e) = client.poll_consumer(*c, now) {
            if let ConsumerEvent::Records { records, .. } = e {
                sink.borrow_mut().extend(records);
            }
        }
        if let Some(offset) = commit
            && !committed
            && sink.borrow().len() as i64 > offset
        {
            committed = true;
            client.offset_commit_record(*c, 0, offset).unwrap();
            client.offset_flush(*c, now).unwrap();
        }
    });
    let mut r = Replay::new(name, config(), app);
    r.client
        .create_consumer(consumer_config, Instant::ZERO)
        .unwrap();
    r.run();
    let got = records.borrow().clone();
    (r, got)
}

#[test]
fn consume_from_end_and_absolute_are_byte_identical() {
    let (r, records) = consume_scenario(
        "consume-from-end.trace",
        ConsumerConfig::new("t1", Offset::FromEnd(5)),
        None,
    );
    assert!(r.diffs.is_empty(), "{:#?}", r.diffs);
    assert_eq!(r.unmatched(), SECOND_WATCHES);
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, (2225..2230).collect::<Vec<_>>());

    // From 45 the SPU cut the batch 431..=433 too: only the acknowledgement differs.
    let (r, records) = consume_scenario(
        "consume-absolute.trace",
        ConsumerConfig::new("t1", Offset::Absolute(45)),
        None,
    );
    assert_eq!(r.diffs.len(), 1, "{:#?}", r.diffs);
    assert!(
        r.diffs[0].contains("offset: 431, session_id: 1 }] }) vs"),
        "{:#?}",
        r.diffs
    );
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(
        offsets,
        (45..431).collect::<Vec<_>>(),
        "records below 45 in the first batch are filtered"
    );
}

#[test]
fn consume_beginning_acknowledges_the_cut_batch_instead_of_skipping_it() {
    let (r, records) = consume_scenario(
        "consume-beginning.trace",
        ConsumerConfig::new("t1", Offset::beginning()),
        None,
    );
    // Everything but the acknowledgement is what the official client sent; the official
    // client acknowledged 434, past the batch 431..=433 that the SPU cut at max_bytes,
    // and lost those three records; flv asks the SPU to send that batch again.
    assert_eq!(
        r.diffs,
        vec![
            "spu-5001 UpdateOffsets: UpdateOffsets(UpdateOffsetsRequest { offsets: [OffsetUpdate { offset: 431, session_id: 1 }] }) vs UpdateOffsets(UpdateOffsetsRequest { offsets: [OffsetUpdate { offset: 434, session_id: 1 }] })"
        ]
    );
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(
        offsets,
        (0..431).collect::<Vec<_>>(),
        "every record of the complete batches"
    );
    assert_eq!(r.client.metrics().partial_batches, 1);
}

#[test]
fn consumer_offsets_commit_and_resume_are_byte_identical() {
    let cfg = ConsumerConfig {
        consumer_id: Some("c1".into()),
        offset_management: OffsetManagement::Manual,
        ..ConsumerConfig::new("t1", Offset::beginning())
    };
    let (r, records) = consume_scenario("consumer-offsets-commit.trace", cfg.clone(), Some(9));
    assert_eq!(r.diffs.len(), 1, "{:#?}", r.diffs);
    assert!(
        r.diffs[0].contains("offset: 431"),
        "only the ack differs: {:#?}",
        r.diffs
    );
    assert!(
        r.sent
            .iter()
            .any(|s| s == "spu-5001 UpdateConsumerOffset v25")
    );
    assert!(
        r.events
            .iter()
            .any(|e| matches!(e, Event::OffsetsFlushed { result: Ok(()), .. }))
    );
    assert_eq!(records.first().map(|r| r.offset), Some(0));

    let (r, records) = consume_scenario("consumer-offsets-resume.trace", cfg, Some(14));
    assert_eq!(r.diffs.len(), 1, "{:#?}", r.diffs);
    assert_eq!(
        records.first().map(|r| r.offset),
        Some(10),
        "resumes after the stored offset 9"
    );
}

fn admin_scenario(
    name: &str,
    commands: Vec<AdminCommand>,
) -> (
    Replay<'static>,
    Vec<Result<OpOutput, flv_core::client::ClientError>>,
) {
    let results = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = std::rc::Rc::clone(&results);
    let app: App<'static> = Box::new(move |_, _, event| {
        if let Event::OpDone { result, .. } = event {
            sink.borrow_mut().push(result.clone());
        }
    });
    let mut r = Replay::new(name, config(), app);
    for c in commands {
        r.client.admin(c, Instant::ZERO);
    }
    r.run();
    let got = results.borrow().clone();
    (r, got)
}

#[test]
fn admin_requests_are_byte_identical() {
    let (r, results) = admin_scenario(
        "admin-create-topic.trace",
        vec![AdminCommand::Create {
            name: "t1".into(),
            dry_run: false,
            timeout_ms: None,
            spec: ObjectSpec::Topic(TopicSpec::computed(1, 1)),
        }],
    );
    assert!(r.diffs.is_empty(), "{:#?}", r.diffs);
    assert!(
        matches!(results.as_slice(), [Ok(OpOutput::Status(_))]),
        "{results:?}"
    );

    let (r, results) = admin_scenario(
        "admin-create-topic-duplicate.trace",
        vec![AdminCommand::Create {
            name: "t1".into(),
            dry_run: false,
            timeout_ms: None,
            spec: ObjectSpec::Topic(TopicSpec::computed(1, 1)),
        }],
    );
    assert!(r.diffs.is_empty(), "{:#?}", r.diffs);
    assert!(
        matches!(
            results.as_slice(),
            [Err(flv_core::client::ClientError::Admin { .. })]
        ),
        "{results:?}"
    );

    let list = |kind| AdminCommand::List {
        kind,
        name_filters: vec![],
        summary: false,
        system: false,
    };
    let (r, results) = admin_scenario(
        "admin-list.trace",
        vec![
            list(ObjectKind::Spu),
            list(ObjectKind::Topic),
            list(ObjectKind::Partition),
        ],
    );
    assert!(r.diffs.is_empty(), "{:#?}", r.diffs);
    let lens: Vec<usize> = results
        .iter()
        .map(|r| match r {
            Ok(OpOutput::List(l)) => l.len(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(lens.len(), 3);
    assert_eq!(lens[0], 3, "three SPUs");

    let (r, results) = admin_scenario(
        "admin-delete-topic.trace",
        vec![AdminCommand::Delete(ObjectDeleteRequest::Topic(
            flv_core::sc::objects::DeleteRequest::new("tdel".into()),
        ))],
    );
    assert!(r.diffs.is_empty(), "{:#?}", r.diffs);
    assert!(
        matches!(results.as_slice(), [Ok(OpOutput::Status(_))]),
        "{results:?}"
    );
}
