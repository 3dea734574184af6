//! Batch sends: [`TopicProducer::send_batch`](flv_driver::TopicProducer::send_batch) keeps
//! every record's order and acknowledgement, across back-pressure, partitions and refused
//! records.

use std::collections::BTreeMap;
use std::sync::Arc;

use flv_driver::{
    ConsumerConfig, Error, Offset, Partitioner, PartitionerConfig, ProducerConfig, ProducerError,
    RecordKey, Runtime, TopicProducerConfigBuilder,
};

use super::{
    STEP, cluster, connect, consume, consumer, create_topic, index_of, producer, value,
    with_timeout,
};

/// 3,000 keyed records over 3 partitions in one `send_batch`, with small batches and a
/// queue of two per partition (so the batch waits for room many times midway) and one
/// record too large for a request in the middle: that one fails in its outcome, every
/// other one is acknowledged where the log holds it, per partition in send order.
pub async fn send_batch_order_and_acks<R: Runtime>(rt: R) {
    let server = cluster(3);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "batched", 3, 1).await;
    let config = ProducerConfig {
        batch_size: 512,
        batch_queue_size: 2,
        max_request_size: 4096,
        ..ProducerConfig::default()
    };
    let p = producer(&rt, &fluvio, "batched", config).await;
    let n = 3_000;
    let too_large = 1_234;
    let records = (0..n).map(|i| {
        let v = if i == too_large {
            "x".repeat(8192)
        } else {
            value(i)
        };
        (RecordKey::from(format!("key-{}", i % 7)), v)
    });
    let out = with_timeout(&rt, STEP, "send_batch", p.send_batch(records))
        .await
        .expect("queued");
    assert_eq!(out.len(), n);
    let outcomes = with_timeout(&rt, STEP, "outcomes", out.wait()).await;
    assert_eq!(outcomes.len(), n, "one outcome per record");
    assert!(
        matches!(
            outcomes[too_large],
            Err(Error::Producer(ProducerError::RecordTooLarge(..)))
        ),
        "the large record fails alone: {:?}",
        outcomes[too_large]
    );
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig::new("batched", Offset::beginning()),
    )
    .await;
    let records = consume(&rt, &mut stream, n - 1).await;
    let mut seen = vec![false; n];
    let mut last: BTreeMap<u32, usize> = BTreeMap::new();
    for r in &records {
        let i = index_of(&r.value);
        assert!(!std::mem::replace(&mut seen[i], true), "record {i} once");
        let ack = outcomes[i]
            .as_ref()
            .unwrap_or_else(|e| panic!("record {i} stored but failed: {e}"));
        assert_eq!(
            (ack.partition, ack.offset),
            (r.partition, r.offset),
            "record {i}"
        );
        if let Some(prev) = last.insert(r.partition, i) {
            assert!(prev < i, "send order kept within partition {}", r.partition);
        }
    }
    assert!(last.len() >= 2, "keys spread over partitions: {last:?}");
    assert_eq!(
        seen.iter().filter(|s| !**s).count(),
        1,
        "all but the large one"
    );

    // An empty batch, then a batch after close: nothing queued, the close reported.
    let empty = p
        .send_batch(Vec::<(RecordKey, String)>::new())
        .await
        .expect("empty");
    assert!(empty.is_empty());
    assert!(
        with_timeout(&rt, STEP, "empty", empty.wait())
            .await
            .is_empty()
    );
    with_timeout(&rt, STEP, "close", fluvio.close())
        .await
        .expect("closed");
    let after = p.send_batch([(RecordKey::NULL, value(0))]).await;
    assert!(matches!(after, Err(Error::Closed)), "{after:?}");
}

/// Key length modulo 4 on a 3-partition topic: keys of 3 letters name partition 3, which
/// does not exist.
struct ByKeyLength;

impl Partitioner for ByKeyLength {
    fn partition(&self, _config: &PartitionerConfig, key: Option<&[u8]>, _value: &[u8]) -> u32 {
        key.map_or(0, |k| (k.len() % 4) as u32)
    }
}

/// With a custom partitioner each record is routed alone: 300 records over 3 partitions in
/// one `send_batch`, the ones routed to a missing partition fail in their outcome, the
/// others are acknowledged in send order per partition.
pub async fn send_batch_custom_partitioner<R: Runtime>(rt: R) {
    let server = cluster(2);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "routed", 3, 1).await;
    let config = TopicProducerConfigBuilder::default()
        .partitioner(Arc::new(ByKeyLength))
        .build()
        .expect("config");
    let p = with_timeout(
        &rt,
        STEP,
        "producer",
        fluvio.topic_producer_with_config("routed", config),
    )
    .await
    .expect("producer");
    let n = 300;
    let key = |i: usize| "k".repeat(i % 4);
    let out = with_timeout(
        &rt,
        STEP,
        "send_batch",
        p.send_batch((0..n).map(|i| (RecordKey::from(key(i)), value(i)))),
    )
    .await
    .expect("queued");
    let outcomes = with_timeout(&rt, STEP, "outcomes", out.wait()).await;
    let mut next = [0i64; 3];
    for (i, outcome) in outcomes.iter().enumerate() {
        let expected = key(i).len() as u32;
        if expected == 3 {
            assert!(
                matches!(
                    outcome,
                    Err(Error::Producer(ProducerError::PartitionNotFound(3)))
                ),
                "record {i}: {outcome:?}"
            );
            continue;
        }
        let ack = outcome
            .as_ref()
            .unwrap_or_else(|e| panic!("record {i} failed: {e}"));
        assert_eq!(ack.partition, expected, "record {i}");
        let p = expected as usize;
        assert_eq!(
            ack.offset, next[p],
            "record {i}: next offset of its partition"
        );
        next[p] += 1;
    }
    assert_eq!(next, [75, 75, 75]);
}
