//! Data cases: produce and consume in every mode, codecs, partitions, offsets, cuts,
//! back-pressure, several clusters, shutdown.

use std::collections::BTreeMap;
use std::time::Duration;

use flv_driver::{
    Compression, ConsumerConfig, DeliverySemantic, Isolation, Offset, OffsetManagement,
    ProducerConfig, RecordKey, RetryPolicy, Runtime,
};
use flv_mock_cluster::ServerId;
use futures_util::{FutureExt, SinkExt, StreamExt, stream};

use super::{
    STEP, cluster, connect, consume, consumer, create_topic, index_of, produce, producer, value,
    with_timeout,
};

/// Records per produce/consume mode.
pub const RECORDS_PER_MODE: usize = 10_000;
/// Records per compression codec (smaller: five codecs run in one case).
pub const RECORDS_PER_CODEC: usize = 2_000;

/// Produces `n` records with `config` and consumes them back with `isolation`: every
/// acknowledgement is the next offset, every record comes back once, in order, with its key.
async fn round_trip<R: Runtime>(
    rt: R,
    topic: &str,
    n: usize,
    keys: bool,
    config: ProducerConfig,
    isolation: Isolation,
) {
    let server = cluster(2);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, topic, 1, 2).await;
    let p = producer(&rt, &fluvio, topic, config).await;
    let acks = produce(&rt, &p, n, keys).await;
    for (i, ack) in acks.iter().enumerate() {
        assert_eq!(
            (ack.partition, ack.offset),
            (0, i as i64),
            "ack of record {i}"
        );
    }
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig {
            isolation,
            ..ConsumerConfig::new(topic, Offset::beginning())
        },
    )
    .await;
    let records = consume(&rt, &mut stream, n).await;
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.offset, i as i64);
        assert_eq!(&r.value[..], value(i).as_bytes());
        let key = keys.then(|| format!("key-{}", i % 7));
        assert_eq!(r.key.as_deref(), key.as_deref().map(str::as_bytes));
        assert!(r.timestamp > 0, "records carry the producer's wall clock");
    }
    let m = fluvio.metrics();
    assert!(m.client.records_produced >= n as u64, "{m:?}");
    assert!(m.client.records_consumed >= n as u64, "{m:?}");
    assert!(m.client.requests > 0 && m.client.bytes_out > 0 && m.client.bytes_in > 0);
    // As upstream, producers and consumers report their client's metrics.
    let (pm, cm) = (p.metrics(), stream.metrics());
    assert!(
        pm.client.records_produced >= m.client.records_produced,
        "{pm:?}"
    );
    assert!(
        cm.client.records_consumed >= m.client.records_consumed,
        "{cm:?}"
    );
    drop(stream);
    drop(p);
    with_timeout(&rt, STEP, "close", fluvio.close())
        .await
        .expect("close");
}

fn semantic(at_least_once: bool) -> DeliverySemantic {
    if at_least_once {
        DeliverySemantic::AtLeastOnce(RetryPolicy::default())
    } else {
        DeliverySemantic::AtMostOnce
    }
}

/// At-least-once, keys, read uncommitted: 10,000 records.
pub async fn produce_consume_at_least_once_keys_uncommitted<R: Runtime>(rt: R) {
    let config = ProducerConfig {
        delivery_semantic: semantic(true),
        isolation: Isolation::ReadUncommitted,
        ..ProducerConfig::default()
    };
    round_trip(
        rt,
        "alo-keys",
        RECORDS_PER_MODE,
        true,
        config,
        Isolation::ReadUncommitted,
    )
    .await;
}

/// At-most-once, no keys, read committed: 10,000 records.
pub async fn produce_consume_at_most_once_no_keys_committed<R: Runtime>(rt: R) {
    let config = ProducerConfig {
        delivery_semantic: semantic(false),
        isolation: Isolation::ReadCommitted,
        ..ProducerConfig::default()
    };
    round_trip(
        rt,
        "amo-nokeys",
        RECORDS_PER_MODE,
        false,
        config,
        Isolation::ReadCommitted,
    )
    .await;
}

/// At-least-once, no keys, read committed (with linger): 10,000 records.
pub async fn produce_consume_at_least_once_no_keys_committed<R: Runtime>(rt: R) {
    let config = ProducerConfig {
        delivery_semantic: semantic(true),
        isolation: Isolation::ReadCommitted,
        linger: Duration::from_millis(2),
        ..ProducerConfig::default()
    };
    round_trip(
        rt,
        "alo-nokeys",
        RECORDS_PER_MODE,
        false,
        config,
        Isolation::ReadCommitted,
    )
    .await;
}

/// At-most-once, keys, read uncommitted: 10,000 records.
pub async fn produce_consume_at_most_once_keys_uncommitted<R: Runtime>(rt: R) {
    let config = ProducerConfig {
        delivery_semantic: semantic(false),
        isolation: Isolation::ReadUncommitted,
        ..ProducerConfig::default()
    };
    round_trip(
        rt,
        "amo-keys",
        RECORDS_PER_MODE,
        true,
        config,
        Isolation::ReadUncommitted,
    )
    .await;
}

/// Every codec, 2,000 records each (documented smaller count), keys on.
pub async fn compression_codecs<R: Runtime>(rt: R) {
    let server = cluster(1);
    let fluvio = connect(&rt, &server).await;
    for codec in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let topic = format!("codec-{}", codec.name());
        create_topic(&rt, &fluvio, &topic, 1, 1).await;
        let config = ProducerConfig {
            compression: Some(codec),
            linger: Duration::from_millis(1),
            ..ProducerConfig::default()
        };
        let p = producer(&rt, &fluvio, &topic, config).await;
        produce(&rt, &p, RECORDS_PER_CODEC, true).await;
        let mut stream = consumer(
            &rt,
            &fluvio,
            ConsumerConfig::new(&topic, Offset::beginning()),
        )
        .await
        .batches();
        let mut seen = 0usize;
        while seen < RECORDS_PER_CODEC {
            let b = with_timeout(&rt, STEP, "batch", stream.next())
                .await
                .expect("a batch")
                .expect("no error");
            assert_eq!(
                b.batch.compression(),
                Ok(codec),
                "codec of the stored batch"
            );
            for r in &b.records {
                assert_eq!(r.offset, seen as i64);
                assert_eq!(&r.value[..], value(seen).as_bytes());
                seen += 1;
            }
        }
    }
}

/// Three partitions: keyed records stay on one partition in order; the consumer of all
/// partitions gets every record once; a consumer of one partition only that one.
pub async fn multi_partition<R: Runtime>(rt: R) {
    let server = cluster(3);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "multi", 3, 2).await;
    let p = producer(&rt, &fluvio, "multi", ProducerConfig::default()).await;
    let n = 3_000;
    let acks = produce(&rt, &p, n, true).await;
    let mut key_partition = BTreeMap::new();
    for (i, ack) in acks.iter().enumerate() {
        let old = key_partition.insert(i % 7, ack.partition);
        assert!(
            old.is_none() || old == Some(ack.partition),
            "one partition per key"
        );
    }
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig::new("multi", Offset::beginning()),
    )
    .await;
    let records = consume(&rt, &mut stream, n).await;
    let mut next: BTreeMap<u32, i64> = BTreeMap::new();
    let mut last_index: BTreeMap<u32, usize> = BTreeMap::new();
    for r in &records {
        let expected = next.entry(r.partition).or_insert(0);
        assert_eq!(r.offset, *expected, "partition {} in order", r.partition);
        *expected += 1;
        let i = index_of(&r.value);
        if let Some(prev) = last_index.insert(r.partition, i) {
            assert!(prev < i, "send order kept within partition {}", r.partition);
        }
        assert_eq!(acks[i].partition, r.partition);
        assert_eq!(acks[i].offset, r.offset);
    }
    assert!(next.len() >= 2, "keys spread over partitions: {next:?}");
    let only = *next.keys().next().expect("a partition");
    let mut one = consumer(
        &rt,
        &fluvio,
        ConsumerConfig {
            partitions: vec![only],
            disable_continuous: true,
            ..ConsumerConfig::new("multi", Offset::beginning())
        },
    )
    .await;
    let mut count = 0;
    while let Some(r) = with_timeout(&rt, STEP, "one partition", one.next()).await {
        assert_eq!(r.expect("record").partition, only);
        count += 1;
    }
    assert_eq!(
        count as i64, next[&only],
        "disable_continuous ends at the end offset"
    );
}

/// The producer as a `Sink` and `send_all`; the consumer's `batches()`.
pub async fn sink_send_all_and_batches<R: Runtime>(rt: R) {
    let server = cluster(1);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "sink", 1, 1).await;
    let mut p = producer(&rt, &fluvio, "sink", ProducerConfig::default()).await;
    let mut items = stream::iter((0..500).map(|i| Ok((RecordKey::NULL, value(i)))));
    with_timeout(
        &rt,
        STEP,
        "sink send_all",
        SinkExt::send_all(&mut p, &mut items),
    )
    .await
    .expect("sink");
    with_timeout(
        &rt,
        STEP,
        "sink send",
        SinkExt::send(&mut p, (RecordKey::from("k"), value(500))),
    )
    .await
    .expect("sink send");
    let outs = with_timeout(
        &rt,
        STEP,
        "send_all",
        flv_driver::TopicProducer::send_all(&p, (501..1000).map(|i| (RecordKey::NULL, value(i)))),
    )
    .await
    .expect("send_all");
    SinkExt::<(RecordKey, String)>::flush(&mut p)
        .await
        .expect("flush");
    let last = with_timeout(
        &rt,
        STEP,
        "wait",
        outs.into_iter().last().expect("one").wait(),
    )
    .await
    .expect("stored");
    assert_eq!(last.offset, 999);
    let mut batches = consumer(
        &rt,
        &fluvio,
        ConsumerConfig::new("sink", Offset::beginning()),
    )
    .await
    .batches();
    let mut seen = 0;
    while seen < 1000 {
        let b = with_timeout(&rt, STEP, "batch", batches.next())
            .await
            .expect("batch")
            .expect("no error");
        for r in b.records {
            assert_eq!(r.offset, seen);
            seen += 1;
        }
    }
}

async fn offsets_case<R: Runtime>(rt: R, mode: OffsetManagement, topic: &str) {
    let server = cluster(2);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, topic, 1, 2).await;
    let p = producer(&rt, &fluvio, topic, ProducerConfig::default()).await;
    produce(&rt, &p, 1000, false).await;
    let config = || ConsumerConfig {
        consumer_id: Some(format!("{topic}-reader")),
        offset_management: mode,
        ..ConsumerConfig::new(topic, Offset::beginning())
    };
    let mut first = consumer(&rt, &fluvio, config()).await;
    let got = consume(&rt, &mut first, 400).await;
    assert_eq!(got.last().map(|r| r.offset), Some(399));
    if mode == OffsetManagement::Manual {
        first.offset_commit().await.expect("commit");
        with_timeout(&rt, STEP, "offset flush", first.offset_flush())
            .await
            .expect("flush");
        let stored = with_timeout(
            &rt,
            STEP,
            "list offsets",
            fluvio.admin().list_consumer_offsets(),
        )
        .await
        .expect("offsets");
        let mine = stored
            .iter()
            .find(|o| o.consumer_id == format!("{topic}-reader"))
            .expect("stored offset");
        assert_eq!(mine.offset, 399, "the last consumed record is stored");
    }
    with_timeout(&rt, STEP, "close", first.close())
        .await
        .expect("close stores offsets");
    assert_eq!(
        server.with_cluster(|c, _| c.consumer_offset(&format!("{topic}-reader"), topic, 0)),
        Some(399)
    );
    // A new client resumes at last + 1.
    let other = connect(&rt, &server).await;
    let mut second = consumer(&rt, &other, config()).await;
    let rest = consume(&rt, &mut second, 600).await;
    assert_eq!(rest.first().map(|r| r.offset), Some(400));
    assert_eq!(rest.last().map(|r| r.offset), Some(999));
    with_timeout(
        &rt,
        STEP,
        "delete offset",
        fluvio
            .admin()
            .delete_consumer_offset(format!("{topic}-reader"), (topic, 0)),
    )
    .await
    .expect("delete offset");
}

/// Manual offsets: commit and flush after 400 of 1000 records; a new client resumes at 400.
pub async fn consumer_offsets_manual_resume<R: Runtime>(rt: R) {
    offsets_case(rt, OffsetManagement::Manual, "offsets-manual").await;
}

/// Auto offsets: the 400 records yielded are stored on close; resume at 400.
pub async fn consumer_offsets_auto_resume<R: Runtime>(rt: R) {
    offsets_case(rt, OffsetManagement::Auto, "offsets-auto").await;
}

/// Many small batches read with a `max_bytes` that cuts batches: every record arrives,
/// once, in order (the official client loses the records of cut batches).
pub async fn catch_up_across_max_bytes_cuts<R: Runtime>(rt: R) {
    let server = cluster(1);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "cuts", 1, 1).await;
    let config = ProducerConfig {
        batch_size: 1_000,
        linger: Duration::from_millis(1),
        ..ProducerConfig::default()
    };
    let p = producer(&rt, &fluvio, "cuts", config).await;
    let n = 3_000;
    produce(&rt, &p, n, true).await;
    let layout = server
        .with_cluster(|c, _| c.batch_layout("cuts", 0))
        .expect("batches");
    assert!(layout.len() > 50, "many batches: {}", layout.len());
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig {
            max_bytes: 2_500,
            disable_continuous: true,
            ..ConsumerConfig::new("cuts", Offset::beginning())
        },
    )
    .await;
    let mut offsets = Vec::new();
    while let Some(r) = with_timeout(&rt, STEP, "catch up", stream.next()).await {
        let r = r.expect("record");
        assert_eq!(&r.value[..], value(offsets.len()).as_bytes());
        offsets.push(r.offset);
    }
    assert_eq!(offsets, (0..n as i64).collect::<Vec<_>>());
    let m = fluvio.metrics();
    assert!(m.client.partial_batches > 0, "the SPU cut batches: {m:?}");
}

/// One-shot fetches: complete batches only, records from the requested offset.
pub async fn one_shot_fetch<R: Runtime>(rt: R) {
    let server = cluster(1);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "fetch", 1, 1).await;
    let config = ProducerConfig {
        batch_size: 1_000,
        linger: Duration::from_millis(1),
        ..ProducerConfig::default()
    };
    let p = producer(&rt, &fluvio, "fetch", config).await;
    produce(&rt, &p, 500, false).await;
    let out = with_timeout(&rt, STEP, "fetch", fluvio.fetch("fetch", 0, 0, 1 << 20))
        .await
        .expect("fetch");
    assert_eq!(out.high_watermark, 500);
    assert_eq!(out.records.len(), 500);
    let out = with_timeout(&rt, STEP, "fetch cut", fluvio.fetch("fetch", 0, 123, 2_000))
        .await
        .expect("fetch");
    assert!(!out.records.is_empty() && out.records.len() < 377);
    assert_eq!(out.records[0].offset, 123);
    let err = with_timeout(&rt, STEP, "fetch missing", fluvio.fetch("nope", 0, 0, 1000))
        .await
        .expect_err("unknown topic");
    assert!(
        matches!(err, flv_driver::Error::TopicNotFound(_)),
        "{err:?}"
    );
}

/// A queue of one batch, a slow SPU: `send` waits (it is pending, not failing), every
/// record resolves, and the driver does not spin while waiting.
pub async fn back_pressure<R: Runtime>(rt: R) {
    let server = cluster(1);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "pressure", 1, 1).await;
    let leader = server.partition_leader("pressure", 0).expect("leader");
    let config = ProducerConfig {
        batch_queue_size: 1,
        batch_size: 64,
        max_in_flight: 1,
        ..ProducerConfig::default()
    };
    let p = producer(&rt, &fluvio, "pressure", config).await;
    server.delay_responses(ServerId::Spu(leader), Duration::from_millis(100));
    let first = p
        .send(RecordKey::NULL, value(0))
        .await
        .expect("room for one");
    // The queue is full until the slow answer: the next send waits.
    let mut waiting = Box::pin(p.send(RecordKey::NULL, value(1)));
    assert!(
        (&mut waiting).now_or_never().is_none(),
        "send waits for room"
    );
    let before = fluvio.metrics().driver_wakeups;
    let second = with_timeout(&rt, STEP, "send after room", waiting)
        .await
        .expect("sent");
    let during = fluvio.metrics().driver_wakeups - before;
    assert!(during < 50, "the driver spun {during} times while waiting");
    server.delay_responses(ServerId::Spu(leader), Duration::ZERO);
    let mut outs = vec![first, second];
    for i in 2..300 {
        outs.push(
            with_timeout(&rt, STEP, "send", p.send(RecordKey::NULL, value(i)))
                .await
                .expect("send"),
        );
    }
    for (i, out) in outs.into_iter().enumerate() {
        let md = with_timeout(&rt, STEP, "ack", out.wait())
            .await
            .expect("stored");
        assert_eq!(md.offset, i as i64);
    }
}

/// Two clusters from one process: same topic name, separate data.
pub async fn two_clusters<R: Runtime>(rt: R) {
    let (a, b) = (cluster(1), cluster(1));
    let fa = connect(&rt, &a).await;
    let fb = connect(&rt, &b).await;
    for f in [&fa, &fb] {
        create_topic(&rt, f, "shared", 1, 1).await;
    }
    let pa = producer(&rt, &fa, "shared", ProducerConfig::default()).await;
    let pb = producer(&rt, &fb, "shared", ProducerConfig::default()).await;
    let (ra, rb) = futures_util::join!(produce(&rt, &pa, 1000, false), async {
        for i in 0..300 {
            let _unwaited = pb
                .send(RecordKey::from("b"), value(i))
                .await
                .expect("send b");
        }
        pb.flush().await.expect("flush b");
    });
    assert_eq!(ra.len(), 1000);
    assert_eq!(rb, ());
    assert_eq!(a.high_watermark("shared", 0), Some(1000));
    assert_eq!(b.high_watermark("shared", 0), Some(300));
    let mut sb = consumer(&rt, &fb, ConsumerConfig::new("shared", Offset::beginning())).await;
    let got = consume(&rt, &mut sb, 300).await;
    assert!(got.iter().all(|r| r.key.as_deref() == Some(&b"b"[..])));
}

/// Dropping a producer and then the client without flushing still delivers every record
/// (shutdown flushes); later calls on a closed client fail with `Closed`.
pub async fn drop_flushes_and_closes<R: Runtime>(rt: R) {
    let server = cluster(1);
    {
        let fluvio = connect(&rt, &server).await;
        create_topic(&rt, &fluvio, "dropped", 1, 1).await;
        let config = ProducerConfig {
            linger: Duration::from_millis(50),
            ..ProducerConfig::default()
        };
        let p = producer(&rt, &fluvio, "dropped", config).await;
        for i in 0..200 {
            let out = p.send(RecordKey::NULL, value(i)).await.expect("send");
            drop(out);
        }
    }
    let fluvio = connect(&rt, &server).await;
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig::new("dropped", Offset::beginning()),
    )
    .await;
    let got = consume(&rt, &mut stream, 200).await;
    assert_eq!(got.last().map(|r| r.offset), Some(199));
    let admin = fluvio.admin();
    let p = producer(&rt, &fluvio, "dropped", ProducerConfig::default()).await;
    with_timeout(&rt, STEP, "close", fluvio.clone().close())
        .await
        .expect("close");
    let err = p.send(RecordKey::NULL, "late").await.expect_err("closed");
    assert!(matches!(err, flv_driver::Error::Closed), "{err:?}");
    let err = admin
        .all::<flv_driver::TopicSpec>()
        .await
        .expect_err("closed");
    assert!(matches!(err, flv_driver::Error::Closed), "{err:?}");
    assert!(
        with_timeout(&rt, STEP, "ended", stream.next())
            .await
            .is_none()
    );
}
