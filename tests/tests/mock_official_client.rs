//! The official `fluvio` 0.50 client against the mock cluster over loopback TCP.
//!
//! Every test starts its own `MockClusterServer` (ephemeral ports) and drives the official
//! client on its own executor. Waits are bounded by timeouts; nothing sleeps to
//! synchronise.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use fluvio::consumer::{ConsumerConfigExt, ConsumerStream, OffsetManagementStrategy, RetryMode};
use fluvio::metadata::topic::TopicSpec;
use fluvio::{
    Compression, DeliverySemantic, Fluvio, FluvioClusterConfig, Isolation, Offset, RecordKey,
    TopicProducerConfigBuilder,
};
use flv_mock_cluster::{MockClusterServer, ServerOptions};
use futures_util::StreamExt;

/// Runs `f` on the official client's executor, failing after `secs` seconds.
fn run<T>(secs: u64, f: impl Future<Output = T>) -> T {
    fluvio_future::task::run_block_on(timeout(secs, f))
}

async fn timeout<T>(secs: u64, f: impl Future<Output = T>) -> T {
    use futures_util::future::{Either, select};
    let sleep = fluvio_future::timer::sleep(Duration::from_secs(secs));
    match select(Box::pin(f), Box::pin(sleep)).await {
        Either::Left((v, _)) => v,
        Either::Right(_) => panic!("timed out after {secs} s"),
    }
}

fn start() -> MockClusterServer {
    MockClusterServer::start(ServerOptions::default()).expect("mock cluster starts")
}

async fn connect(server: &MockClusterServer) -> Fluvio {
    Fluvio::connect_with_config(&FluvioClusterConfig::new(server.sc_addr()))
        .await
        .expect("official client connects")
}

/// The official client answers a create only from the SC, while producers and consumers
/// look the topic up in the client's own watch-fed store, which may lag by a few frames:
/// retry while the topic is not there yet (bounded by the test's timeout).
async fn retry_metadata<T, E: std::fmt::Display, F: Future<Output = Result<T, E>>>(
    mut f: impl FnMut() -> F,
) -> T {
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if e.to_string().contains("not found") => {
                fluvio_future::timer::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

async fn create_topic(fluvio: &Fluvio, name: &str, partitions: u32, replication: u32) {
    fluvio
        .admin()
        .await
        .create(
            name.to_string(),
            false,
            TopicSpec::new_computed(partitions, replication, None),
        )
        .await
        .expect("topic created");
}

/// A produced record: partition, offset, key, value.
type Produced = (u32, i64, Option<String>, String);

async fn produce(
    fluvio: &Fluvio,
    topic: &str,
    config: TopicProducerConfigBuilder,
    records: &[(Option<String>, String)],
) -> Vec<Produced> {
    let config = config.build().expect("producer config");
    let producer =
        retry_metadata(|| fluvio.topic_producer_with_config(topic, config.clone())).await;
    let mut outputs = Vec::with_capacity(records.len());
    for (key, value) in records {
        let out = match key {
            Some(k) => producer.send(k.as_str(), value.as_str()).await,
            None => producer.send(RecordKey::NULL, value.as_str()).await,
        }
        .expect("send");
        outputs.push(out);
    }
    producer.flush().await.expect("flush");
    let mut produced = Vec::with_capacity(records.len());
    for (out, (key, value)) in outputs.into_iter().zip(records) {
        let meta = out.wait().await.expect("record metadata");
        produced.push((
            meta.partition_id(),
            meta.offset(),
            key.clone(),
            value.clone(),
        ));
    }
    produced
}

/// A consumed record: offset, key, value.
type Consumed = (i64, Option<String>, String);

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Reads a partition with `disable_continuous` (the stream ends at the end of the data).
async fn consume_all(fluvio: &Fluvio, topic: &str, partition: u32, start: Offset) -> Vec<Consumed> {
    let config = ConsumerConfigExt::builder()
        .topic(topic)
        .partition(partition)
        .offset_start(start)
        .disable_continuous(true)
        .build()
        .expect("consumer config");
    let mut stream = retry_metadata(|| fluvio.consumer_with_config(config.clone())).await;
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        let r = item.expect("record");
        out.push((r.offset(), r.key().map(text), text(r.value())));
    }
    out
}

/// An item of the official client's consumer stream.
type Item = Result<fluvio::consumer::Record, fluvio::dataplane::link::ErrorCode>;

/// Opens a continuous stream of a partition. When this returns, the official client has
/// resolved `start` to an absolute offset and sent its stream request.
async fn open_stream(
    fluvio: &Fluvio,
    topic: &str,
    partition: u32,
    start: Offset,
) -> impl ConsumerStream<Item = Item> {
    let config = ConsumerConfigExt::builder()
        .topic(topic)
        .partition(partition)
        .offset_start(start)
        .build()
        .expect("consumer config");
    retry_metadata(|| fluvio.consumer_with_config(config.clone())).await
}

/// Reads the next `n` records of a continuous stream.
async fn read_n(
    mut stream: impl futures_util::Stream<Item = Item> + Unpin,
    n: usize,
) -> Vec<Consumed> {
    let mut out = Vec::new();
    while out.len() < n {
        let r = stream.next().await.expect("stream open").expect("record");
        out.push((r.offset(), r.key().map(text), text(r.value())));
    }
    out
}

/// The produced records of each partition, by offset.
fn by_partition(produced: &[Produced]) -> BTreeMap<u32, BTreeMap<i64, (Option<String>, String)>> {
    let mut map: BTreeMap<u32, BTreeMap<i64, _>> = BTreeMap::new();
    for (p, off, k, v) in produced {
        let prev = map
            .entry(*p)
            .or_default()
            .insert(*off, (k.clone(), v.clone()));
        assert!(prev.is_none(), "offset {off} of partition {p} given twice");
    }
    map
}

/// Checks that `consumed` is exactly `expected` (all of it, in offset order).
fn assert_same(consumed: &[Consumed], expected: &BTreeMap<i64, (Option<String>, String)>) {
    let want: Vec<Consumed> = expected
        .iter()
        .map(|(o, (k, v))| (*o, k.clone(), v.clone()))
        .collect();
    let got_offsets: Vec<i64> = consumed.iter().map(|c| c.0).collect();
    let want_offsets: Vec<i64> = want.iter().map(|c| c.0).collect();
    if got_offsets != want_offsets {
        let missing: Vec<i64> = want_offsets
            .iter()
            .filter(|o| !got_offsets.contains(o))
            .copied()
            .collect();
        let extra: Vec<i64> = got_offsets
            .iter()
            .filter(|o| !want_offsets.contains(o))
            .copied()
            .collect();
        panic!(
            "offsets differ: got {} records, want {}; missing {missing:?}; unexpected {extra:?}",
            got_offsets.len(),
            want_offsets.len()
        );
    }
    assert!(
        consumed == want.as_slice(),
        "same offsets, different keys or values"
    );
}

fn records(n: usize, prefix: &str, keyed: impl Fn(usize) -> bool) -> Vec<(Option<String>, String)> {
    (0..n)
        .map(|i| {
            let key = keyed(i).then(|| format!("key-{}", i % 97));
            (key, format!("{prefix}-{i:05}-{}", "v".repeat(i % 13)))
        })
        .collect()
}

#[test]
fn ten_thousand_records_keyed_and_unkeyed_round_trip() {
    let server = start();
    run(60, async {
        let fluvio = connect(&server).await;
        create_topic(&fluvio, "big", 3, 2).await;
        let recs = records(10_000, "big", |i| i % 2 == 0);
        let produced = produce(&fluvio, "big", TopicProducerConfigBuilder::default(), &recs).await;
        let parts = by_partition(&produced);
        assert_eq!(parts.len(), 3, "records spread over the 3 partitions");
        // Keyed records land where the official partitioner puts them: same key, same partition.
        let mut key_part: BTreeMap<String, u32> = BTreeMap::new();
        for (p, _, k, _) in &produced {
            if let Some(k) = k {
                assert_eq!(*key_part.entry(k.clone()).or_insert(*p), *p);
                // ... and exactly where flv's partitioner puts it: the official crate's
                // partitioner (crate-private upstream) is the oracle here.
                assert_eq!(
                    flv_core::producer::partitioner::partition_for_key(k.as_bytes(), 3),
                    *p,
                    "key {k}"
                );
            }
        }
        for (p, expected) in &parts {
            // Offsets are dense from 0.
            assert_eq!(
                expected.keys().copied().collect::<Vec<_>>(),
                (0..expected.len() as i64).collect::<Vec<_>>()
            );
            let got = consume_all(&fluvio, "big", *p, Offset::beginning()).await;
            assert_same(&got, expected);
            assert_eq!(
                server.high_watermark("big", *p),
                Some(expected.len() as i64)
            );
        }
        // Delete the topic: it disappears from the SC.
        fluvio
            .admin()
            .await
            .delete::<TopicSpec>("big")
            .await
            .expect("delete");
        let topics = fluvio.admin().await.all::<TopicSpec>().await.expect("list");
        assert!(topics.iter().all(|t| t.name != "big"));
    });
}

#[test]
fn codec_semantics_isolation_matrix() {
    // 5 codecs x 2 delivery semantics x 2 isolations, 10,000 records each (a third keyed);
    // one partition, so every read stays below max_bytes.
    let server = start();
    run(60, async {
        let fluvio = connect(&server).await;
        let codecs = [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ];
        for (ci, codec) in codecs.into_iter().enumerate() {
            for at_most_once in [false, true] {
                for committed in [false, true] {
                    let topic = format!("m{ci}-{}-{}", u8::from(at_most_once), u8::from(committed));
                    create_topic(&fluvio, &topic, 1, 2).await;
                    let mut cfg = TopicProducerConfigBuilder::default();
                    cfg.compression(codec)
                        .linger(Duration::from_millis(5))
                        .isolation(if committed {
                            Isolation::ReadCommitted
                        } else {
                            Isolation::ReadUncommitted
                        })
                        .delivery_semantic(if at_most_once {
                            DeliverySemantic::AtMostOnce
                        } else {
                            DeliverySemantic::default()
                        });
                    let recs = records(10_000, &topic, |i| i % 3 == 0);
                    let produced = produce(&fluvio, &topic, cfg, &recs).await;
                    let parts = by_partition(&produced);
                    let got = consume_all(&fluvio, &topic, 0, Offset::beginning()).await;
                    assert_same(&got, &parts[&0]);
                }
            }
        }
    });
}

#[test]
fn consume_from_absolute_end_and_continuous() {
    let server = start();
    run(60, async {
        let fluvio = connect(&server).await;
        create_topic(&fluvio, "offs", 1, 1).await;
        let recs = records(300, "offs", |_| false);
        let produced = produce(
            &fluvio,
            "offs",
            TopicProducerConfigBuilder::default(),
            &recs,
        )
        .await;
        let all = by_partition(&produced).remove(&0).expect("partition 0");
        let tail = |from: i64| {
            all.range(from..)
                .map(|(k, v)| (*k, v.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_same(
            &consume_all(&fluvio, "offs", 0, Offset::absolute(123).unwrap()).await,
            &tail(123),
        );
        assert_same(
            &consume_all(&fluvio, "offs", 0, Offset::from_end(7)).await,
            &tail(293),
        );
        assert_same(
            &consume_all(&fluvio, "offs", 0, Offset::from_beginning(10)).await,
            &tail(10),
        );
        // Continuous from the end: nothing is there; records produced later are pushed.
        let later = records(25, "later", |i| i % 2 == 1);
        // The stream is open (the end resolved to 300) before anything more is produced:
        // opening it concurrently with the producer would race the end offset.
        let stream = open_stream(&fluvio, "offs", 0, Offset::end()).await;
        let consumer = read_n(Box::pin(stream), 25);
        let producer = async {
            produce(
                &fluvio,
                "offs",
                TopicProducerConfigBuilder::default(),
                &later,
            )
            .await
        };
        let (got, produced_later) = futures_util::future::join(consumer, producer).await;
        let expected = by_partition(&produced_later)
            .remove(&0)
            .expect("partition 0");
        assert_same(&got, &expected);
        // Continuous from the beginning reads the whole log.
        let stream = open_stream(&fluvio, "offs", 0, Offset::beginning()).await;
        let got = read_n(Box::pin(stream), 325).await;
        let mut everything = all.clone();
        everything.extend(expected);
        assert_same(&got, &everything);
    });
}

#[test]
fn consumer_offsets_commit_flush_list_delete() {
    let server = start();
    run(60, async {
        let fluvio = connect(&server).await;
        create_topic(&fluvio, "co", 1, 1).await;
        let recs = records(40, "co", |_| false);
        produce(&fluvio, "co", TopicProducerConfigBuilder::default(), &recs).await;
        let config = |start| {
            ConsumerConfigExt::builder()
                .topic("co")
                .partition(0)
                .offset_start(start)
                .offset_consumer("c1")
                .offset_strategy(OffsetManagementStrategy::Manual)
                .build()
                .expect("consumer config")
        };
        {
            let mut stream =
                retry_metadata(|| fluvio.consumer_with_config(config(Offset::beginning()))).await;
            for want in 0..10 {
                let r = stream.next().await.expect("open").expect("record");
                assert_eq!(r.offset(), want);
            }
            stream.offset_commit().await.expect("commit");
            stream.offset_flush().await.expect("flush");
        }
        assert_eq!(
            server.with_cluster(|c, _| c.consumer_offset("c1", "co", 0)),
            Some(9)
        );
        let listed = fluvio.consumer_offsets().await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].consumer_id.as_str(), listed[0].offset),
            ("c1", 9)
        );
        // A new consumer with the same id resumes after the committed offset.
        {
            let mut stream =
                retry_metadata(|| fluvio.consumer_with_config(config(Offset::beginning()))).await;
            let r = stream.next().await.expect("open").expect("record");
            assert_eq!(r.offset(), 10);
        }
        fluvio
            .delete_consumer_offset("c1", ("co".to_string(), 0))
            .await
            .expect("delete");
        assert!(fluvio.consumer_offsets().await.expect("list").is_empty());
    });
}

#[test]
fn watch_topics_sees_creation_and_deletion() {
    let server = start();
    run(30, async {
        let fluvio = connect(&server).await;
        let admin = fluvio.admin().await;
        let mut watch = admin.watch::<TopicSpec>().await.expect("watch");
        let first = watch
            .next()
            .await
            .expect("open")
            .expect("full sync")
            .inner();
        assert!(first.all.iter().any(|t| t.name == "consumer-offset"));
        create_topic(&fluvio, "w1", 2, 1).await;
        let created = watch.next().await.expect("open").expect("update").inner();
        assert!(created.changes.iter().any(|c| c.content.name == "w1"));
        assert!(created.epoch > first.epoch);
        admin.delete::<TopicSpec>("w1").await.expect("delete");
        let deleted = watch.next().await.expect("open").expect("update").inner();
        assert!(deleted.changes.iter().any(|c| c.content.name == "w1"));
    });
}

/// What the official client makes of the StreamFetch responses of a partition read from
/// offset 0 with `max_bytes`, each response cut at `max_bytes` by the mock as by a real
/// SPU. Rule of the official client (fluvio-protocol 0.50 `RecordSet`/`Batch` decoding):
/// a cut batch whose 57-byte header arrived is kept with its truncated records; for an
/// uncompressed batch the records complete before the cut are yielded, for a compressed
/// one decompression fails and the stream yields one error; either way the client then
/// acknowledges the offset after the cut batch, so its remaining records are skipped. A
/// batch cut inside its header is dropped and comes again in the next response.
/// Returns the offsets the client reads and the number of errors it yields.
fn official_reads(server: &MockClusterServer, topic: &str, max_bytes: i32) -> (Vec<i64>, usize) {
    use flv_core::codec::{Decode, Reader};
    use flv_core::record::Record;
    let end = server
        .with_cluster(|c, _| c.log_end_offset(topic, 0))
        .expect("partition");
    let (mut offsets, mut errors, mut at) = (Vec::new(), 0, 0);
    while at < end {
        let set = server
            .with_cluster(|c, _| c.stream_read(topic, 0, at, max_bytes))
            .expect("partition");
        let mut next = at;
        for batch in &set.batches {
            offsets.extend((batch.base_offset()..batch.next_offset()).filter(|o| *o >= at));
            next = batch.next_offset();
        }
        if let Some(cut) = set.partial.as_ref().filter(|p| p.bytes.len() >= 57) {
            let base = cut.base_offset.expect("base offset");
            let attributes = i16::from_be_bytes([cut.bytes[21], cut.bytes[22]]);
            if attributes & 0x07 == 0 {
                let mut r = Reader::new(cut.bytes.slice(61.min(cut.bytes.len())..));
                while let Ok(record) = Record::decode(&mut r, 0) {
                    offsets.push(base + record.offset_delta);
                }
            } else {
                errors += 1;
            }
            next = cut.next_offset().expect("header");
        }
        assert!(next > at, "the official client would be stuck at {at}");
        at = next;
    }
    (offsets, errors)
}

/// Pseudo-random, poorly compressible text.
fn noise(i: usize, len: usize) -> String {
    let mut x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

#[test]
fn official_consumer_loses_exactly_what_it_loses_on_a_real_cluster_at_max_bytes() {
    let server = start();
    run(60, async {
        let fluvio = connect(&server).await;
        for (topic, codec) in [("cut", Compression::None), ("cutz", Compression::Gzip)] {
            create_topic(&fluvio, topic, 1, 1).await;
            let recs: Vec<_> = (0..600)
                .map(|i| (None, format!("{i:05}-{}", noise(i, 200))))
                .collect();
            let mut cfg = TopicProducerConfigBuilder::default();
            cfg.batch_size(4_000).compression(codec);
            let produced = produce(&fluvio, topic, cfg, &recs).await;
            let all = by_partition(&produced).remove(&0).expect("partition 0");
            let max_bytes = 10_000;
            let (offsets, want_errors) = official_reads(&server, topic, max_bytes);
            assert!(offsets.len() < all.len(), "{topic}: some responses are cut");
            let expected: BTreeMap<i64, _> = offsets.iter().map(|o| (*o, all[o].clone())).collect();
            assert_eq!(expected.len(), offsets.len(), "no offset twice");
            let config = ConsumerConfigExt::builder()
                .topic(topic)
                .partition(0)
                .offset_start(Offset::beginning())
                .max_bytes(max_bytes)
                .retry_mode(RetryMode::Disabled)
                .build()
                .expect("consumer config");
            let mut stream = retry_metadata(|| fluvio.consumer_with_config(config.clone())).await;
            let mut got = Vec::new();
            let mut errors = 0;
            while got.len() < expected.len() || errors < want_errors {
                match stream.next().await.expect("stream open") {
                    Ok(r) => got.push((r.offset(), r.key().map(text), text(r.value()))),
                    Err(_) => errors += 1,
                }
            }
            assert_same(&got, &expected);
            assert_eq!(
                errors, want_errors,
                "{topic}: one error per cut compressed batch"
            );
        }
    });
}

#[test]
fn consumer_resumes_after_leader_stops_mid_stream() {
    let server = start();
    run(60, async {
        let fluvio = connect(&server).await;
        create_topic(&fluvio, "fo", 1, 3).await;
        let first = records(200, "fo-a", |_| false);
        let mut cfg = TopicProducerConfigBuilder::default();
        cfg.isolation(Isolation::ReadCommitted);
        let produced_a = produce(&fluvio, "fo", cfg, &first).await;
        let leader = server.partition_leader("fo", 0).expect("leader");
        let config = ConsumerConfigExt::builder()
            .topic("fo")
            .partition(0)
            .offset_start(Offset::beginning())
            .build()
            .expect("consumer config");
        let mut stream = retry_metadata(|| fluvio.consumer_with_config(config.clone())).await;
        let mut got = Vec::new();
        for _ in 0..200 {
            let r = stream.next().await.expect("open").expect("record");
            got.push((r.offset(), r.key().map(text), text(r.value())));
        }
        server.stop_spu(leader);
        let new_leader = server
            .partition_leader("fo", 0)
            .expect("a follower was elected");
        assert_ne!(new_leader, leader);
        // The new leader's high watermark waits for every replica, as on a real cluster:
        // the old leader comes back (as a follower) for read-committed writes to commit.
        server.restart_spu(leader);
        // A new producer writes to the new leader; the consumer reconnects and reads on.
        let second = records(100, "fo-b", |_| false);
        let mut cfg = TopicProducerConfigBuilder::default();
        cfg.isolation(Isolation::ReadCommitted);
        let fluvio2 = connect(&server).await;
        let produced_b = produce(&fluvio2, "fo", cfg, &second).await;
        while got.len() < 300 {
            let r = stream.next().await.expect("open").expect("record");
            got.push((r.offset(), r.key().map(text), text(r.value())));
        }
        let mut all = by_partition(&produced_a).remove(&0).expect("p0");
        all.extend(by_partition(&produced_b).remove(&0).expect("p0"));
        assert_same(&got, &all);
        server.restart_spu(leader);
        assert_eq!(server.partition_leader("fo", 0), Some(new_leader));
        assert_eq!(server.high_watermark("fo", 0), Some(300));
    });
}

#[test]
fn official_partitioner_agrees_with_ours_on_10000_keys() {
    // The official client's partitioner is crate-private, so its choices are observed on
    // the wire: 10,000 distinct keys sent to a 7-partition topic land exactly where flv's
    // partitioner puts them.
    let server = start();
    run(60, async {
        let fluvio = connect(&server).await;
        create_topic(&fluvio, "keys7", 7, 1).await;
        let recs: Vec<(Option<String>, String)> = (0..10_000)
            .map(|i| {
                (
                    Some(format!("user-{i}-{}", i * 7919 % 10_007)),
                    format!("v{i}"),
                )
            })
            .collect();
        let produced = produce(
            &fluvio,
            "keys7",
            TopicProducerConfigBuilder::default(),
            &recs,
        )
        .await;
        assert_eq!(produced.len(), 10_000);
        let mut used = std::collections::BTreeSet::new();
        for (p, _, k, _) in &produced {
            let k = k.as_ref().expect("keyed");
            assert_eq!(
                flv_core::producer::partitioner::partition_for_key(k.as_bytes(), 7),
                *p,
                "key {k}"
            );
            used.insert(*p);
        }
        assert_eq!(used.len(), 7, "keys spread over every partition");
    });
}
