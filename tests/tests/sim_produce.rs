//! Simulation: producer options against the mock cluster.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use flv_core::backoff::RetryPolicy;
use flv_core::client::{
    ClientError, ConsumerConfig, DeliverySemantic, Event, Misuse, Offset, ProduceError,
    ProducerConfig, ProducerId, SendError, SendId,
};
use flv_core::error_code::ErrorCode;
use flv_core::producer::partitioner::partition_for_key;
use flv_core::record::{ALL_COMPRESSIONS, Compression};
use flv_core::sc::topic::CompressionAlgorithm;
use flv_mock_cluster::ServerId;
use flv_tests::sim::Sim;

fn leader(sim: &Sim, topic: &str, p: u32) -> i32 {
    sim.cluster.partition_leader(topic, p).expect("leader")
}

#[test]
fn keyed_records_follow_the_official_partitioner() {
    let mut sim = Sim::new(2);
    sim.create_topic("t3", 3, 1);
    let p = sim.producer("t3", ProducerConfig::default());
    let mut sent = Vec::new();
    for i in 0..30 {
        let key = format!("k{i}");
        let id = sim.send(p, Some(key.as_bytes()), format!("v{i}").as_bytes());
        sent.push((id, key));
    }
    sim.flush(p).unwrap();
    let delivered = sim.delivered(p);
    let mut next = BTreeMap::new();
    for (id, key) in &sent {
        let (part, offset) = delivered[id];
        assert_eq!(part, partition_for_key(key.as_bytes(), 3), "{key}");
        let n = next.entry(part).or_insert(0i64);
        assert_eq!(offset, *n, "offsets per partition follow send order");
        *n += 1;
    }
    // Everything reads back, partition by partition in order.
    let c = sim.consumer(ConsumerConfig::new("t3", Offset::beginning()));
    let (records, _) = sim.consume(c, 30, Duration::from_secs(10));
    assert_eq!(records.len(), 30);
    for r in &records {
        let key = r.key.clone().unwrap();
        assert_eq!(r.partition, partition_for_key(&key, 3));
    }
}

#[test]
fn round_robin_without_keys_and_one_connection_per_spu() {
    let mut sim = Sim::new(3);
    sim.create_topic("rr", 3, 1);
    let p = sim.producer("rr", ProducerConfig::default());
    let ids: Vec<_> = (0..9).map(|i| sim.send(p, None, &[i])).collect();
    sim.flush(p).unwrap();
    let d = sim.delivered(p);
    let parts: Vec<u32> = ids.iter().map(|i| d[i].0).collect();
    assert_eq!(parts, vec![0, 1, 2, 0, 1, 2, 0, 1, 2]);
    for spu in sim.cluster.spu_ids() {
        assert!(sim.cluster.connection_count(ServerId::Spu(spu)) <= 1);
    }
    assert_eq!(sim.cluster.connection_count(ServerId::Sc), 1);
}

#[test]
fn every_compression_round_trips() {
    let mut sim = Sim::new(4);
    sim.create_topic("z", 1, 1);
    let mut expected = Vec::new();
    for codec in ALL_COMPRESSIONS {
        let cfg = ProducerConfig {
            compression: Some(codec),
            linger: Duration::from_millis(5),
            ..ProducerConfig::default()
        };
        let p = sim.producer("z", cfg);
        for i in 0..40 {
            let v = format!("{}-{i}-{}", codec.name(), "x".repeat(300));
            sim.send(p, None, v.as_bytes());
            expected.push(v);
        }
        sim.flush(p).unwrap();
    }
    let c = sim.consumer(ConsumerConfig::new("z", Offset::beginning()));
    let (records, _) = sim.consume(c, expected.len(), Duration::from_secs(10));
    let got: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.value.to_vec()).unwrap())
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn topic_compression_rules() {
    let mut sim = Sim::new(5);
    sim.ready();
    let spec = flv_core::sc::topic::TopicSpec {
        compression_type: CompressionAlgorithm::Gzip,
        ..flv_core::sc::topic::TopicSpec::computed(1, 1)
    };
    sim.admin(flv_core::client::AdminCommand::Create {
        name: "gz".into(),
        dry_run: false,
        timeout_ms: None,
        spec: flv_core::sc::objects::ObjectSpec::Topic(spec),
    })
    .unwrap();
    sim.run_until(Duration::from_secs(5), |s| {
        s.client.metadata().leader("gz", 0).is_some()
    });
    // A conflicting codec is refused; none follows the topic.
    let from = sim.events.len();
    let bad = sim
        .client
        .create_producer(
            "gz",
            ProducerConfig {
                compression: Some(Compression::Lz4),
                ..ProducerConfig::default()
            },
            sim.now,
        )
        .unwrap();
    sim.drain();
    let e = sim.wait_event(
        from,
        |e| matches!(e, Event::ProducerCreated { producer, .. } if *producer == bad),
    );
    assert!(matches!(
        e,
        Some(Event::ProducerCreated {
            result: Err(ClientError::Misuse(Misuse::InvalidConfig(_))),
            ..
        })
    ));
    let p = sim.producer("gz", ProducerConfig::default());
    sim.send(p, None, b"hello");
    sim.flush(p).unwrap();
    let c = sim.consumer(ConsumerConfig::new("gz", Offset::beginning()));
    let (records, _) = sim.consume(c, 1, Duration::from_secs(5));
    assert_eq!(&records[0].value[..], b"hello");
}

#[test]
fn missing_topic_and_oversized_record() {
    let mut sim = Sim::new(6);
    sim.ready();
    let from = sim.events.len();
    let p = sim
        .client
        .create_producer("nope", ProducerConfig::default(), sim.now)
        .unwrap();
    sim.drain();
    let e = sim.wait_event(
        from,
        |e| matches!(e, Event::ProducerCreated { producer, .. } if *producer == p),
    );
    assert!(matches!(
        e,
        Some(Event::ProducerCreated {
            result: Err(ClientError::TopicNotFound(_)),
            ..
        })
    ));
    assert_eq!(
        sim.client.send(p, None, Bytes::from_static(b"x"), sim.now),
        Err(SendError::NotReady)
    );
    sim.create_topic("small", 1, 1);
    let p = sim.producer(
        "small",
        ProducerConfig {
            max_request_size: 1000,
            ..ProducerConfig::default()
        },
    );
    let r = sim
        .client
        .send(p, None, Bytes::from(vec![0u8; 2000]), sim.now);
    assert!(matches!(r, Err(SendError::RecordTooLarge { .. })), "{r:?}");
}

#[test]
fn linger_batches_records_together() {
    let mut sim = Sim::new(7);
    sim.create_topic("l", 1, 1);
    let p = sim.producer(
        "l",
        ProducerConfig {
            linger: Duration::from_millis(50),
            ..ProducerConfig::default()
        },
    );
    let start = sim.now;
    for i in 0..10u8 {
        sim.send(p, None, &[i]);
    }
    let from = sim.events.len();
    let e = sim
        .wait_event(from, |e| matches!(e, Event::Delivered { .. }))
        .unwrap();
    let Event::Delivered { sends, .. } = e else {
        unreachable!()
    };
    assert_eq!(sends.len(), 10, "one batch");
    assert!(sim.now - start >= Duration::from_millis(50));
}

#[test]
fn back_pressure_bounds_the_queue_and_resumes() {
    let mut sim = Sim::new(8);
    sim.create_topic("bp", 1, 1);
    let spu = leader(&sim, "bp", 0);
    let p = sim.producer(
        "bp",
        ProducerConfig {
            batch_size: 200,
            batch_queue_size: 3,
            max_in_flight: 1,
            ..ProducerConfig::default()
        },
    );
    sim.cluster
        .delay_responses(ServerId::Spu(spu), Duration::from_millis(20));
    let mut full = 0;
    let mut ids = Vec::new();
    for i in 0..60u32 {
        let v = Bytes::from(format!("{i:0>100}"));
        loop {
            match sim.client.send(p, None, v.clone(), sim.now) {
                Ok(id) => {
                    ids.push(id);
                    break;
                }
                Err(SendError::QueueFull { .. }) => {
                    full += 1;
                    let from = sim.events.len();
                    sim.drain();
                    assert!(
                        sim.wait_event(from, |e| matches!(e, Event::ProducerReady { .. }))
                            .is_some()
                    );
                }
                Err(e) => panic!("{e}"),
            }
        }
        sim.drain();
    }
    assert!(full > 0, "the queue never filled");
    sim.flush(p).unwrap();
    let d = sim.delivered(p);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(d[id].1, i as i64);
    }
}

/// Sends 50 records through `p`, a millisecond of virtual time apart, and flushes;
/// returns their send ids, the produce requests the client sent meanwhile, and the
/// offsets the records got.
fn send_50_a_millisecond_apart(sim: &mut Sim, p: ProducerId) -> (Vec<SendId>, u64, Vec<i64>) {
    let before = sim.client.metrics().requests;
    let mut ids = Vec::new();
    for i in 0..50u32 {
        ids.push(sim.send(p, None, &i.to_be_bytes()));
        sim.run_for(Duration::from_millis(1));
    }
    let requests = sim.client.metrics().requests - before;
    sim.flush(p).unwrap();
    let d = sim.delivered(p);
    let offsets = ids.iter().map(|i| d[i].1).collect();
    (ids, requests, offsets)
}

#[test]
fn pipelining_keeps_order() {
    let mut sim = Sim::new(9);
    sim.create_topic("pipe", 1, 1);
    let spu = leader(&sim, "pipe", 0);
    sim.cluster
        .delay_responses(ServerId::Spu(spu), Duration::from_millis(5));
    // One record per batch: every batch is full when the next record arrives.
    let p = sim.producer(
        "pipe",
        ProducerConfig {
            max_in_flight: 5,
            batch_size: 1,
            ..ProducerConfig::default()
        },
    );
    let (_, requests, offsets) = send_50_a_millisecond_apart(&mut sim, p);
    assert_eq!(offsets, (0..50).collect::<Vec<_>>());
    // Several requests shared the 5 ms round trips: one at a time, 50 ms would have
    // carried about 10.
    assert!(requests > 20, "{requests}");
}

#[test]
fn without_linger_records_sent_during_a_round_trip_travel_together() {
    let mut sim = Sim::new(9);
    sim.create_topic("nagle", 1, 1);
    let spu = leader(&sim, "nagle", 0);
    sim.cluster
        .delay_responses(ServerId::Spu(spu), Duration::from_millis(5));
    let p = sim.producer("nagle", ProducerConfig::default());
    // Connected to the leader (the handshake also takes a delayed round trip).
    let warm = sim.send(p, None, b"warm");
    sim.flush(p).unwrap();
    assert_eq!(sim.delivered(p)[&warm].1, 0);
    let first_sent = sim.now;
    let (ids, requests, offsets) = send_50_a_millisecond_apart(&mut sim, p);
    assert_eq!(offsets, (1..51).collect::<Vec<_>>());
    // About one request per 5 ms round trip, not one per record...
    assert!((8..=14).contains(&requests), "{requests}");
    // ...and the first record, sent to an idle partition, went out at once.
    let first = sim
        .events
        .iter()
        .find(|(_, e)| matches!(e, Event::Delivered { sends, .. } if sends.contains(&ids[0])))
        .map(|(at, _)| *at)
        .unwrap();
    let took = first.saturating_since(first_sent);
    assert!(took < Duration::from_millis(6), "{took:?}");
}

#[test]
fn retriable_errors_are_retried_in_order_and_final_ones_fail() {
    let mut sim = Sim::new(10);
    sim.create_topic("r", 1, 1);
    let spu = leader(&sim, "r", 0);
    let p = sim.producer("r", ProducerConfig::default());
    sim.cluster
        .inject_error(ServerId::Spu(spu), 0, ErrorCode::NotLeaderForPartition, 2);
    let ids: Vec<_> = (0..5u8).map(|i| sim.send(p, None, &[i])).collect();
    sim.flush(p).unwrap();
    let d = sim.delivered(p);
    let offsets: Vec<i64> = ids.iter().map(|i| d[i].1).collect();
    assert_eq!(offsets, vec![0, 1, 2, 3, 4]);
    assert!(sim.client.metrics().produce_retries >= 2);

    // At most once: the first error is final.
    let q = sim.producer(
        "r",
        ProducerConfig {
            delivery_semantic: DeliverySemantic::AtMostOnce,
            ..ProducerConfig::default()
        },
    );
    sim.cluster
        .inject_error(ServerId::Spu(spu), 0, ErrorCode::NotLeaderForPartition, 1);
    let id = sim.send(q, None, b"x");
    let r = sim.flush(q);
    assert_eq!(
        r,
        Err(ProduceError::Rejected(ErrorCode::NotLeaderForPartition))
    );
    assert_eq!(sim.failed(q), vec![id]);

    // A non-retriable error fails at once, even at least once.
    sim.cluster
        .inject_error(ServerId::Spu(spu), 0, ErrorCode::MessageTooLarge, 1);
    sim.send(p, None, b"y");
    assert_eq!(
        sim.flush(p),
        Err(ProduceError::Rejected(ErrorCode::MessageTooLarge))
    );

    // Retries exhausted.
    let r2 = sim.producer(
        "r",
        ProducerConfig {
            delivery_semantic: DeliverySemantic::AtLeastOnce(RetryPolicy {
                max_retries: 1,
                initial_delay: Duration::from_millis(2),
                ..RetryPolicy::default()
            }),
            ..ProducerConfig::default()
        },
    );
    sim.cluster
        .inject_error(ServerId::Spu(spu), 0, ErrorCode::NotLeaderForPartition, 5);
    sim.send(r2, None, b"z");
    assert_eq!(
        sim.flush(r2),
        Err(ProduceError::Rejected(ErrorCode::NotLeaderForPartition))
    );
}
