//! Sans-IO tests of the cluster: a tiny client built from `flv-core` messages.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use flv_core::api_versions::ApiVersionsRequest;
use flv_core::error_code::ErrorCode;
use flv_core::header::RequestHeader;
use flv_core::message::{AnyRequest, AnyResponse, RequestFrame, ResponseFrame, ServerKind};
use flv_core::record::{Batch, Compression, Record, RecordSet};
use flv_core::sc::topic::TopicSpec;
use flv_core::spu::produce::{PartitionProduceData, ProduceRequest, TopicProduceData};
use flv_core::spu::stream_fetch::StreamFetchRequest;
use flv_core::spu::update_offsets::{OffsetUpdate, UpdateOffsetsRequest};
use flv_core::spu::{FetchOffsetsRequest, Isolation};
use flv_core::time::Instant;

use crate::{ConnId, MockCluster, MockConfig, ServerId};

fn at(ms: u64) -> Instant {
    Instant::from_origin(Duration::from_millis(ms))
}

struct Client {
    conn: ConnId,
    kind: ServerKind,
    next: i32,
    /// api key and version of each correlation id.
    sent: Vec<(i32, u16, i16)>,
}

impl Client {
    fn connect(m: &mut MockCluster, server: ServerId) -> Self {
        let conn = m.handle_accept(server, at(0)).expect("accepted");
        let kind = match server {
            ServerId::Sc => ServerKind::Sc,
            ServerId::Spu(_) => ServerKind::Spu,
        };
        Self {
            conn,
            kind,
            next: 1,
            sent: Vec::new(),
        }
    }

    fn send(&mut self, m: &mut MockCluster, body: AnyRequest, version: i16, now: Instant) -> i32 {
        let cid = self.next;
        self.next += 1;
        let frame = RequestFrame {
            header: RequestHeader {
                api_key: body.api_key(),
                api_version: version,
                correlation_id: cid,
                client_id: "test".into(),
            },
            body,
        };
        self.sent.push((cid, frame.header.api_key, version));
        let mut buf = BytesMut::new();
        frame.encode(&mut buf).expect("encode");
        m.handle_bytes(self.conn, &buf, now);
        cid
    }

    /// Every response queued for this client (others' are dropped).
    fn recv(&self, m: &mut MockCluster) -> Vec<(i32, AnyResponse)> {
        let mut out = Vec::new();
        while let Some((conn, bytes)) = m.poll_transmit() {
            if conn != self.conn {
                continue;
            }
            let payload: Bytes = bytes.slice(4..);
            let cid = ResponseFrame::peek_correlation_id(&payload).expect("cid");
            let (_, key, version) = *self.sent.iter().find(|s| s.0 == cid).expect("known cid");
            let resp = ResponseFrame::decode(self.kind, key, version, payload).expect("decodes");
            out.push((cid, resp.body));
        }
        out
    }
}

fn batch(n: usize, size: usize) -> Batch {
    Batch::from_records(
        (0..n).map(|i| Record::new(format!("{i:04}{}", "v".repeat(size)))),
        Compression::None,
        1,
    )
    .expect("batch")
}

fn produce(topic: &str, batches: Vec<Batch>, isolation: Isolation) -> AnyRequest {
    AnyRequest::Produce(ProduceRequest {
        isolation,
        timeout: Duration::from_millis(1500),
        topics: vec![TopicProduceData {
            name: topic.into(),
            partitions: batches
                .into_iter()
                .map(|b| PartitionProduceData {
                    partition_index: 0,
                    records: RecordSet::from_batches(vec![b]),
                })
                .collect(),
        }],
        ..Default::default()
    })
}

fn cluster_with(topic: &str, replication: u32) -> MockCluster {
    let mut m = MockCluster::new(MockConfig::default(), at(0));
    m.create_topic(topic, TopicSpec::computed(1, replication))
        .expect("topic");
    m
}

fn stream_fetch(topic: &str, offset: i64, max_bytes: i32) -> AnyRequest {
    AnyRequest::StreamFetch(StreamFetchRequest {
        topic: topic.into(),
        partition: 0,
        fetch_offset: offset,
        max_bytes,
        ..Default::default()
    })
}

fn ack(offset: i64) -> AnyRequest {
    AnyRequest::UpdateOffsets(UpdateOffsetsRequest {
        offsets: vec![OffsetUpdate {
            offset,
            session_id: 1,
        }],
    })
}

fn records_of(resp: &AnyResponse) -> &RecordSet {
    match resp {
        AnyResponse::StreamFetch(r) => &r.partition.records,
        other => panic!("not a stream fetch response: {other:?}"),
    }
}

#[test]
fn stream_continues_from_the_acknowledged_offset_even_inside_a_cut_batch() {
    let mut m = cluster_with("t", 1);
    let leader = m.partition_leader("t", 0).expect("leader");
    let mut c = Client::connect(&mut m, ServerId::Spu(leader));
    c.send(
        &mut m,
        produce(
            "t",
            vec![batch(3, 100), batch(3, 100), batch(3, 100)],
            Isolation::ReadUncommitted,
        ),
        25,
        at(1),
    );
    c.recv(&mut m);
    let size = batch(3, 100).encoded_size();
    let max = i32::try_from(size + size / 2).expect("fits");
    c.send(&mut m, stream_fetch("t", 0, max), 25, at(2));
    let first = c.recv(&mut m);
    assert_eq!(first.len(), 1);
    let set = records_of(&first[0].1);
    assert_eq!(set.batches.len(), 1);
    assert_eq!(set.partial.as_ref().map(|p| p.bytes.len()), Some(size / 2));
    assert_eq!(
        set.encoded_size(),
        4 + usize::try_from(max).expect("positive")
    );
    // Nothing more until the acknowledgement.
    assert!(c.recv(&mut m).is_empty());
    // A careful client acknowledges the cut batch's base offset: it comes again, whole
    // at the start of the next response (and the next one is cut again).
    c.send(&mut m, ack(3), 0, at(3));
    let next = c.recv(&mut m);
    assert_eq!(next.len(), 2, "ack answer and next stream response");
    let set = records_of(&next[1].1);
    assert_eq!(set.base_offset(), Some(3));
    assert_eq!(set.partial.as_ref().and_then(|p| p.base_offset), Some(6));
    // The official client acknowledges past the cut batch: the stream skips it.
    c.send(&mut m, ack(9), 0, at(4));
    assert_eq!(c.recv(&mut m).len(), 1, "only the ack answer: no data at 9");
    // New records are pushed.
    c.send(
        &mut m,
        produce("t", vec![batch(2, 10)], Isolation::ReadUncommitted),
        25,
        at(5),
    );
    let pushed = c.recv(&mut m);
    let sets: Vec<_> = pushed
        .iter()
        .filter(|r| matches!(r.1, AnyResponse::StreamFetch(_)))
        .collect();
    assert_eq!(sets.len(), 1);
    assert_eq!(records_of(&sets[0].1).base_offset(), Some(9));
}

#[test]
fn read_committed_produce_waits_for_replication_and_times_out_when_stalled() {
    let mut m = cluster_with("r", 2);
    let leader = m.partition_leader("r", 0).expect("leader");
    let follower = *m
        .partition_replicas("r", 0)
        .expect("replicas")
        .last()
        .expect("follower");
    m.stall_replication(follower, true);
    let mut c = Client::connect(&mut m, ServerId::Spu(leader));
    let cid = c.send(
        &mut m,
        produce("r", vec![batch(5, 10)], Isolation::ReadCommitted),
        25,
        at(10),
    );
    assert!(c.recv(&mut m).is_empty(), "waits for the follower");
    assert_eq!(m.high_watermark("r", 0), Some(0));
    assert_eq!(m.poll_timeout(), Some(at(1510)));
    m.handle_timeout(at(1510));
    let resp = c.recv(&mut m);
    let AnyResponse::Produce(p) = &resp[0].1 else {
        panic!("produce")
    };
    assert_eq!(resp[0].0, cid);
    assert!(matches!(
        p.responses[0].partitions[0].error_code,
        ErrorCode::RequestTimedOut {
            timeout_ms: 1500,
            ..
        }
    ));
    // Resuming replication moves the high watermark; the next one is acknowledged at once.
    m.stall_replication(follower, false);
    assert_eq!(m.high_watermark("r", 0), Some(5));
    c.send(
        &mut m,
        produce("r", vec![batch(1, 10)], Isolation::ReadCommitted),
        25,
        at(1600),
    );
    let resp = c.recv(&mut m);
    let AnyResponse::Produce(p) = &resp[0].1 else {
        panic!("produce")
    };
    assert_eq!(p.responses[0].partitions[0].error_code, ErrorCode::None);
    assert_eq!(p.responses[0].partitions[0].base_offset, 5);
}

#[test]
fn injected_errors_delays_and_dropped_connections() {
    let mut m = cluster_with("f", 1);
    let leader = m.partition_leader("f", 0).expect("leader");
    let mut c = Client::connect(&mut m, ServerId::Spu(leader));
    m.inject_error(
        ServerId::Spu(leader),
        1002,
        ErrorCode::NotLeaderForPartition,
        1,
    );
    let offsets = AnyRequest::FetchOffsets(FetchOffsetsRequest::new("f", 0));
    c.send(&mut m, offsets.clone(), 25, at(1));
    let AnyResponse::FetchOffsets(r) = &c.recv(&mut m)[0].1 else {
        panic!("offsets")
    };
    assert_eq!(
        r.topics[0].partitions[0].error_code,
        ErrorCode::NotLeaderForPartition
    );
    c.send(&mut m, offsets.clone(), 25, at(2));
    let AnyResponse::FetchOffsets(r) = &c.recv(&mut m)[0].1 else {
        panic!("offsets")
    };
    assert_eq!(
        r.topics[0].partitions[0].error_code,
        ErrorCode::None,
        "only once"
    );
    // Delayed answers wait for their time.
    m.delay_responses(ServerId::Spu(leader), Duration::from_millis(50));
    c.send(&mut m, offsets, 25, at(10));
    assert!(c.recv(&mut m).is_empty());
    // (Status updates held back after the produce go out first: no answer with them.)
    while let Some(t) = m.poll_timeout().filter(|t| *t < at(60)) {
        m.handle_timeout(t);
        assert!(c.recv(&mut m).is_empty());
    }
    assert_eq!(m.poll_timeout(), Some(at(60)));
    m.handle_timeout(at(60));
    assert_eq!(c.recv(&mut m).len(), 1);
    m.delay_responses(ServerId::Spu(leader), Duration::ZERO);
    // Dropped connections are reported; the server still accepts.
    m.drop_connections(ServerId::Spu(leader), at(70));
    assert_eq!(m.poll_close(), Some(c.conn));
    assert!(m.handle_accept(ServerId::Spu(leader), at(71)).is_some());
    // A stopped SPU refuses; its partition has no other replica: LeaderOffline.
    m.stop_spu(leader, at(80));
    assert!(m.handle_accept(ServerId::Spu(leader), at(81)).is_none());
    assert_eq!(m.partition_leader("f", 0), None);
    m.restart_spu(leader, at(90));
    assert_eq!(m.partition_leader("f", 0), Some(leader));
}

#[test]
fn malformed_input_closes_only_that_connection() {
    let mut m = cluster_with("x", 1);
    let mut good = Client::connect(&mut m, ServerId::Sc);
    let bad = m.handle_accept(ServerId::Sc, at(0)).expect("accepted");
    // A frame with an unknown api key, then garbage lengths.
    m.handle_bytes(bad, &[0, 0, 0, 6, 0x7f, 0x7f, 0, 0, 0, 1], at(1));
    assert_eq!(m.poll_close(), Some(bad));
    m.handle_bytes(bad, &[0xff; 64], at(2));
    let hostile = m
        .handle_accept(ServerId::Spu(5001), at(3))
        .expect("accepted");
    m.handle_bytes(hostile, &[0x7f, 0xff, 0xff, 0xff], at(3));
    assert_eq!(m.poll_close(), Some(hostile));
    // The cluster still answers.
    good.send(
        &mut m,
        AnyRequest::ApiVersions(ApiVersionsRequest::default()),
        2,
        at(4),
    );
    assert_eq!(good.recv(&mut m).len(), 1);
    assert!(!m.drain_log().is_empty());
}

#[test]
fn stopping_the_leader_elects_an_in_sync_follower_and_publishes_it() {
    let mut m = cluster_with("e", 3);
    let mut sc = Client::connect(&mut m, ServerId::Sc);
    let watch = AnyRequest::Watch(flv_core::sc::ObjectWatchRequest::new(
        flv_core::sc::ObjectKind::Partition,
    ));
    sc.send(&mut m, watch, 19, at(1));
    assert_eq!(sc.recv(&mut m).len(), 1, "full sync");
    let leader = m.partition_leader("e", 0).expect("leader");
    let replicas = m.partition_replicas("e", 0).expect("replicas");
    m.stop_spu(leader, at(2));
    let new = m.partition_leader("e", 0).expect("elected");
    assert_eq!(
        new, replicas[1],
        "the first in-sync follower in replica order"
    );
    let updates = sc.recv(&mut m);
    let published = updates.iter().any(|(_, r)| match r {
        AnyResponse::Watch(flv_core::sc::ObjectWatchResponse::Partition(u)) => u
            .changes
            .iter()
            .any(|c| c.content.name == "e-0" && c.content.spec.leader == new),
        _ => false,
    });
    assert!(published);
    // The SC down: no election until it is back.
    m.stop_sc(at(3));
    assert!(m.handle_accept(ServerId::Sc, at(3)).is_none());
    m.stop_spu(new, at(4));
    assert_eq!(m.partition_leader("e", 0), None);
    m.start_sc(at(5));
    assert_eq!(m.partition_leader("e", 0), Some(replicas[2]));
}

#[test]
fn hostile_topic_sizes_are_refused() {
    let mut m = MockCluster::new(MockConfig::default(), at(0));
    assert!(
        m.create_topic("huge", TopicSpec::computed(u32::MAX, 1))
            .is_err()
    );
    assert!(m.create_topic("wide", TopicSpec::computed(1, 4)).is_err());
    assert!(
        m.create_topic("Bad_Name", TopicSpec::computed(1, 1))
            .is_err()
    );
    m.create_topic("ok", TopicSpec::computed(2, 3)).expect("ok");
    assert!(m.create_topic("ok", TopicSpec::computed(2, 3)).is_err());
    assert_eq!(m.partition_replicas("ok", 1).map(|r| r.len()), Some(3));
}

#[test]
fn retention_moves_the_log_start_and_reads_below_it_are_out_of_range() {
    let one = u64::try_from(batch(1, 100).encoded_size()).expect("size");
    let mut spec = TopicSpec::computed(1, 1);
    spec.storage = Some(flv_core::sc::topic::TopicStorageConfig {
        segment_size: Some(u32::try_from(2 * one).expect("fits")),
        max_partition_size: Some(4 * one),
    });
    let mut m = MockCluster::new(MockConfig::default(), at(0));
    m.create_topic("ret", spec).expect("topic");
    let leader = m.partition_leader("ret", 0).expect("leader");
    let mut c = Client::connect(&mut m, ServerId::Spu(leader));
    c.send(
        &mut m,
        produce("ret", vec![batch(1, 100); 10], Isolation::ReadUncommitted),
        25,
        at(1),
    );
    c.recv(&mut m);
    // Segments of two batches, at most four batches kept: offsets 6 to 9 remain.
    c.send(
        &mut m,
        AnyRequest::FetchOffsets(FetchOffsetsRequest::new("ret", 0)),
        0,
        at(2),
    );
    let AnyResponse::FetchOffsets(r) = &c.recv(&mut m)[0].1 else {
        panic!("offsets")
    };
    assert_eq!(r.topics[0].partitions[0].start_offset, 6);
    assert_eq!(r.topics[0].partitions[0].last_stable_offset, 10);
    // Below the log start: out of range; from it: the kept records.
    c.send(&mut m, stream_fetch("ret", 0, 1 << 20), 25, at(3));
    let resp = c.recv(&mut m);
    let AnyResponse::StreamFetch(r) = &resp[0].1 else {
        panic!("stream fetch")
    };
    assert_eq!(r.partition.error_code, ErrorCode::OffsetOutOfRange);
    c.send(&mut m, stream_fetch("ret", 6, 1 << 20), 25, at(4));
    let resp = c.recv(&mut m);
    let set = records_of(&resp[0].1);
    assert_eq!(set.base_offset(), Some(6));
    assert_eq!(set.batches.len(), 4);
    let AnyResponse::StreamFetch(r) = &resp[0].1 else {
        panic!("stream fetch")
    };
    assert_eq!(r.partition.log_start_offset, 6);
}

/// The error code of the only partition of a produce response.
fn produce_error(resp: &AnyResponse) -> ErrorCode {
    let AnyResponse::Produce(p) = resp else {
        panic!("produce")
    };
    p.responses[0].partitions[0].error_code.clone()
}

/// The followers of partition 0 of `topic`, in replica order.
fn followers_of(m: &MockCluster, topic: &str) -> Vec<i32> {
    let leader = m.partition_leader(topic, 0).expect("leader");
    m.partition_replicas(topic, 0)
        .expect("replicas")
        .into_iter()
        .filter(|r| *r != leader)
        .collect()
}

#[test]
fn a_stopped_follower_holds_the_high_watermark_and_catches_up_when_back() {
    let mut m = cluster_with("d", 3);
    let leader = m.partition_leader("d", 0).expect("leader");
    let dead = followers_of(&m, "d")[0];
    m.stop_spu(dead, at(1));
    let mut c = Client::connect(&mut m, ServerId::Spu(leader));
    c.send(
        &mut m,
        produce("d", vec![batch(3, 10)], Isolation::ReadCommitted),
        25,
        at(10),
    );
    assert!(c.recv(&mut m).is_empty(), "waits for the stopped follower");
    m.handle_timeout(at(1510));
    let resp = c.recv(&mut m);
    assert!(matches!(
        produce_error(&resp[0].1),
        ErrorCode::RequestTimedOut { .. }
    ));
    // The leader kept the records; the high watermark did not move.
    assert_eq!(m.log_end_offset("d", 0), Some(3));
    assert_eq!(m.high_watermark("d", 0), Some(0));
    assert_eq!(m.stats().produce_timeouts, 1);
    // Back: it fetches from its own log end, and the high watermark moves.
    m.restart_spu(dead, at(2000));
    assert_eq!(m.high_watermark("d", 0), Some(3));
    let logs = m.replica_logs("d", 0).expect("logs");
    assert!(logs.values().all(|l| l.len() == 3), "{logs:?}");
}

#[test]
fn lagging_followers_fetch_after_their_lag_in_virtual_time() {
    let mut m = cluster_with("l", 3);
    let leader = m.partition_leader("l", 0).expect("leader");
    let f = followers_of(&m, "l");
    m.set_replication_lag(f[0], Duration::from_millis(300));
    m.set_replication_lag(f[1], Duration::from_millis(100));
    let mut c = Client::connect(&mut m, ServerId::Spu(leader));
    c.send(
        &mut m,
        produce("l", vec![batch(2, 10)], Isolation::ReadCommitted),
        25,
        at(10),
    );
    assert!(c.recv(&mut m).is_empty());
    assert_eq!(m.poll_timeout(), Some(at(110)));
    m.handle_timeout(at(110));
    assert!(c.recv(&mut m).is_empty(), "one follower still lags");
    assert_eq!(m.poll_timeout(), Some(at(310)));
    m.handle_timeout(at(310));
    let resp = c.recv(&mut m);
    assert_eq!(produce_error(&resp[0].1), ErrorCode::None);
    assert_eq!(m.high_watermark("l", 0), Some(2));
    assert_eq!(m.stats().produce_waits, 1);
}

#[test]
fn elections_pick_the_least_lagging_follower_under_four_records_and_never_truncate() {
    // One follower stalled: the other, in sync, is elected.
    let mut m = cluster_with("e", 3);
    let old = m.partition_leader("e", 0).expect("leader");
    let f = followers_of(&m, "e");
    m.stall_replication(f[0], true);
    let mut c = Client::connect(&mut m, ServerId::Spu(old));
    c.send(
        &mut m,
        produce("e", vec![batch(5, 10)], Isolation::ReadUncommitted),
        25,
        at(10),
    );
    m.stop_spu(old, at(20));
    assert_eq!(m.partition_leader("e", 0), Some(f[1]));
    assert_eq!(m.stats().records_left_behind, 0);

    // Both followers 2 records behind: the first in replica order is elected, the old
    // leader's 2 records are left behind, and it keeps them when it returns.
    let mut m = cluster_with("e", 3);
    let old = m.partition_leader("e", 0).expect("leader");
    let f = followers_of(&m, "e");
    let mut c = Client::connect(&mut m, ServerId::Spu(old));
    c.send(
        &mut m,
        produce("e", vec![batch(3, 10)], Isolation::ReadUncommitted),
        25,
        at(10),
    );
    for x in &f {
        m.stall_replication(*x, true);
    }
    c.send(
        &mut m,
        produce("e", vec![batch(2, 10)], Isolation::ReadUncommitted),
        25,
        at(20),
    );
    m.stop_spu(old, at(30));
    for x in &f {
        m.stall_replication(*x, false);
    }
    assert_eq!(m.partition_leader("e", 0), Some(f[0]));
    assert_eq!(m.stats().records_left_behind, 2);
    assert_eq!(m.log_end_offset("e", 0), Some(3));
    m.restart_spu(old, at(40));
    assert_eq!(m.stats().divergent_returns, 1);
    let logs = m.replica_logs("e", 0).expect("logs");
    assert_eq!(logs[&old].len(), 5, "the old leader keeps its own tail");
    assert_eq!(logs[&f[0]].len(), 3);

    // Both followers 4 records behind: nobody is elected until the old leader is back.
    let mut m = cluster_with("o", 3);
    let old = m.partition_leader("o", 0).expect("leader");
    for x in followers_of(&m, "o") {
        m.stall_replication(x, true);
    }
    let mut c = Client::connect(&mut m, ServerId::Spu(old));
    c.send(
        &mut m,
        produce("o", vec![batch(4, 10)], Isolation::ReadUncommitted),
        25,
        at(10),
    );
    m.stop_spu(old, at(20));
    assert_eq!(m.partition_leader("o", 0), None);
    assert_eq!(m.stats().elections, 0);
    m.restart_spu(old, at(30));
    assert_eq!(m.partition_leader("o", 0), Some(old));
    assert_eq!(m.log_end_offset("o", 0), Some(4));
}

/// As measured on a real cluster (`real-election`, README): a deposed leader that comes
/// back with a record the new leader never had keeps it, takes the new leader's records
/// from its own log end on, counts for the high watermark by its log end alone, and
/// serves its own records again when it is elected back.
#[test]
fn a_divergent_replica_counts_by_log_end_and_serves_its_own_records_when_elected_back() {
    let mut m = cluster_with("dv", 2);
    let old = m.partition_leader("dv", 0).expect("leader");
    let f = followers_of(&m, "dv")[0];
    let mut c = Client::connect(&mut m, ServerId::Spu(old));
    c.send(
        &mut m,
        produce("dv", vec![batch(5, 10)], Isolation::ReadUncommitted),
        1,
        at(10),
    );
    m.stall_replication(f, true);
    c.send(
        &mut m,
        produce("dv", vec![batch(1, 11)], Isolation::ReadUncommitted),
        2,
        at(20),
    );
    m.stop_spu(old, at(30));
    m.stall_replication(f, false);
    assert_eq!(m.partition_leader("dv", 0), Some(f));
    let mut c = Client::connect(&mut m, ServerId::Spu(f));
    for (cid, t) in [(3, 40), (4, 41), (5, 42)] {
        c.send(
            &mut m,
            produce("dv", vec![batch(1, 12)], Isolation::ReadUncommitted),
            cid,
            at(t),
        );
    }
    m.restart_spu(old, at(50));
    let logs = m.replica_logs("dv", 0).expect("logs");
    assert_eq!(
        logs[&old].len(),
        8,
        "its own record at 5, the leader's at 6 and 7"
    );
    assert_ne!(logs[&old][5], logs[&f][5], "offset 5 diverges");
    assert_eq!(logs[&old][6], logs[&f][6]);
    assert_eq!(m.high_watermark("dv", 0), Some(8), "counted by log end");
    m.stop_spu(f, at(60));
    assert_eq!(m.partition_leader("dv", 0), Some(old));
    let logs = m.replica_logs("dv", 0).expect("logs");
    assert_eq!(
        logs[&old][5].1.len(),
        4 + 11,
        "the deposed leader's record is served"
    );
}
