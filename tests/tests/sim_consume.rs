//! Simulation: consumer options against the mock cluster.

use std::time::Duration;

use flv_core::client::{
    AdminCommand, ConsumerConfig, ConsumerEvent, Event, Offset, OffsetManagement, OpOutput,
    ProducerConfig,
};
use flv_tests::sim::Sim;

/// Creates `topic` and produces `n` records `"{i}"` padded to `size` bytes in batches of
/// about `batch_size` bytes.
fn fill(sim: &mut Sim, topic: &str, partitions: u32, n: usize, size: usize, batch_size: usize) {
    sim.create_topic(topic, partitions, 1);
    let p = sim.producer(
        topic,
        ProducerConfig {
            batch_size,
            linger: Duration::from_millis(1),
            ..ProducerConfig::default()
        },
    );
    for i in 0..n {
        sim.send(p, None, format!("{i:0>size$}").as_bytes());
    }
    sim.flush(p).unwrap();
}

fn values(records: &[flv_core::client::ConsumerRecord]) -> Vec<usize> {
    records
        .iter()
        .map(|r| std::str::from_utf8(&r.value).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn batches_cut_at_max_bytes_are_fetched_again_whole() {
    let mut sim = Sim::new(20);
    fill(&mut sim, "cut", 1, 300, 100, 1000);
    let c = sim.consumer(ConsumerConfig {
        max_bytes: 2500,
        ..ConsumerConfig::new("cut", Offset::beginning())
    });
    let (records, others) = sim.consume(c, 300, Duration::from_secs(30));
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(
        values(&records),
        (0..300).collect::<Vec<_>>(),
        "no gap, no duplicate"
    );
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, (0..300).collect::<Vec<i64>>());
    assert!(
        sim.client.metrics().partial_batches > 0,
        "the SPU never cut a batch"
    );
}

#[test]
fn a_batch_larger_than_max_bytes_raises_max_bytes() {
    let mut sim = Sim::new(21);
    fill(&mut sim, "big", 1, 20, 1000, 16_384);
    let c = sim.consumer(ConsumerConfig {
        max_bytes: 3000,
        ..ConsumerConfig::new("big", Offset::beginning())
    });
    let (records, others) = sim.consume(c, 20, Duration::from_secs(10));
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(values(&records), (0..20).collect::<Vec<_>>());

    // Unless the limit forbids it.
    let c = sim.consumer(ConsumerConfig {
        max_bytes: 3000,
        max_bytes_limit: 4000,
        ..ConsumerConfig::new("big", Offset::beginning())
    });
    let (records, others) = sim.consume(c, 20, Duration::from_secs(10));
    assert!(records.is_empty());
    assert!(
        matches!(
            others.first(),
            Some(ConsumerEvent::Error { partition: 0, .. })
        ),
        "{others:?}"
    );
    assert!(matches!(others.last(), Some(ConsumerEvent::End)));
}

#[test]
fn start_offsets_and_filtering_inside_the_first_batch() {
    let mut sim = Sim::new(22);
    fill(&mut sim, "o", 1, 50, 10, 16_384);
    let cases = [
        (Offset::beginning(), 0),
        (Offset::Absolute(45), 45),
        (Offset::FromEnd(5), 45),
        (Offset::FromBeginning(7), 7),
        (Offset::FromEnd(500), 0),
        (Offset::FromBeginning(500), 50),
    ];
    for (offset, first) in cases {
        let c = sim.consumer(ConsumerConfig {
            disable_continuous: true,
            ..ConsumerConfig::new("o", offset)
        });
        let (records, others) = sim.consume(c, 100, Duration::from_secs(10));
        assert_eq!(
            values(&records),
            (first..50).collect::<Vec<_>>(),
            "{offset:?}"
        );
        assert!(
            matches!(
                others.as_slice(),
                [
                    ConsumerEvent::PartitionEnd { partition: 0 },
                    ConsumerEvent::End
                ]
            ),
            "{others:?}"
        );
    }
}

#[test]
fn continuous_consumer_sees_new_records_and_end_sees_only_new() {
    let mut sim = Sim::new(23);
    fill(&mut sim, "live", 1, 5, 10, 16_384);
    let from_end = sim.consumer(ConsumerConfig::new("live", Offset::end()));
    let all = sim.consumer(ConsumerConfig::new("live", Offset::beginning()));
    let (r, _) = sim.consume(all, 5, Duration::from_secs(5));
    assert_eq!(r.len(), 5);
    let (r, _) = sim.consume(from_end, 1, Duration::from_millis(200));
    assert!(r.is_empty());
    let p = sim.producer("live", ProducerConfig::default());
    for i in 5..8 {
        sim.send(p, None, format!("{i:0>10}").as_bytes());
    }
    sim.flush(p).unwrap();
    let (r, _) = sim.consume(from_end, 3, Duration::from_secs(5));
    assert_eq!(values(&r), vec![5, 6, 7]);
    let (r, _) = sim.consume(all, 3, Duration::from_secs(5));
    assert_eq!(values(&r), vec![5, 6, 7]);
}

#[test]
fn several_partitions_and_unknown_topic() {
    let mut sim = Sim::new(24);
    fill(&mut sim, "multi", 3, 90, 10, 16_384);
    let c = sim.consumer(ConsumerConfig {
        disable_continuous: true,
        ..ConsumerConfig::new("multi", Offset::beginning())
    });
    let (records, others) = sim.consume(c, 1000, Duration::from_secs(10));
    let mut v = values(&records);
    v.sort_unstable();
    assert_eq!(v, (0..90).collect::<Vec<_>>());
    assert_eq!(
        others.len(),
        4,
        "three partition ends and the end: {others:?}"
    );
    let c = sim.consumer(ConsumerConfig {
        partitions: vec![1],
        disable_continuous: true,
        ..ConsumerConfig::new("multi", Offset::beginning())
    });
    let (records, _) = sim.consume(c, 1000, Duration::from_secs(10));
    assert!(records.iter().all(|r| r.partition == 1));
    assert_eq!(records.len(), 30);

    let c = sim.consumer(ConsumerConfig::new("nope", Offset::beginning()));
    let (_, others) = sim.consume(c, 1, Duration::from_secs(5));
    assert!(
        matches!(
            others.as_slice(),
            [ConsumerEvent::Failed(_), ConsumerEvent::End]
        ),
        "{others:?}"
    );
}

#[test]
fn memory_stays_bounded_when_the_application_does_not_poll() {
    let mut sim = Sim::new(25);
    fill(&mut sim, "slow", 1, 400, 100, 1000);
    let c = sim.consumer(ConsumerConfig {
        max_bytes: 2000,
        buffer_bytes: 3000,
        ..ConsumerConfig::new("slow", Offset::beginning())
    });
    // Not polled: after the first responses, the SPU waits for acknowledgements.
    sim.run_for(Duration::from_secs(2));
    let acks_before = sim.client.metrics().requests;
    sim.run_for(Duration::from_secs(2));
    assert_eq!(
        sim.client.metrics().requests,
        acks_before,
        "no acks while the buffer is full"
    );
    let (records, _) = sim.consume(c, 400, Duration::from_secs(30));
    assert_eq!(values(&records), (0..400).collect::<Vec<_>>());
}

#[test]
fn consumer_offsets_commit_flush_resume_list_delete() {
    let mut sim = Sim::new(26);
    fill(&mut sim, "co", 1, 30, 10, 200);
    let cfg = ConsumerConfig {
        consumer_id: Some("c1".into()),
        offset_management: OffsetManagement::Manual,
        ..ConsumerConfig::new("co", Offset::beginning())
    };
    let c = sim.consumer(cfg.clone());
    let (records, _) = sim.consume(c, 10, Duration::from_secs(5));
    assert!(records.len() >= 10);
    sim.client.offset_commit_record(c, 0, 9).unwrap();
    let from = sim.events.len();
    let op = sim.client.offset_flush(c, sim.now).unwrap();
    sim.drain();
    let e = sim.wait_event(
        from,
        |e| matches!(e, Event::OffsetsFlushed { op: o, .. } if *o == op),
    );
    assert!(
        matches!(e, Some(Event::OffsetsFlushed { result: Ok(()), .. })),
        "{e:?}"
    );
    assert_eq!(sim.cluster.consumer_offset("c1", "co", 0), Some(9));
    assert!(sim.client.close_consumer(c, sim.now).unwrap().is_some());
    sim.run_for(Duration::from_millis(100));

    // Same id: resumes after the stored offset.
    let c = sim.consumer(cfg);
    let (records, _) = sim.consume(c, 5, Duration::from_secs(5));
    assert_eq!(records.first().map(|r| r.offset), Some(10));

    let list = sim.admin(AdminCommand::ListConsumerOffsets).unwrap();
    let OpOutput::ConsumerOffsets(list) = list else {
        panic!("{list:?}")
    };
    assert!(list.iter().any(|o| o.consumer_id == "c1" && o.offset == 9));
    let del = sim.admin(AdminCommand::DeleteConsumerOffset {
        consumer_id: "c1".into(),
        topic: "co".into(),
        partition: 0,
    });
    assert_eq!(del, Ok(OpOutput::ConsumerOffsetDeleted));
    assert_eq!(sim.cluster.consumer_offset("c1", "co", 0), None);
}

#[test]
fn auto_offsets_are_flushed_periodically_and_on_close() {
    let mut sim = Sim::new(27);
    fill(&mut sim, "auto", 1, 20, 10, 16_384);
    let c = sim.consumer(ConsumerConfig {
        consumer_id: Some("a".into()),
        offset_management: OffsetManagement::Auto,
        offset_flush: Duration::from_secs(2),
        ..ConsumerConfig::new("auto", Offset::beginning())
    });
    let (records, _) = sim.consume(c, 20, Duration::from_secs(5));
    assert_eq!(records.len(), 20);
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.cluster.consumer_offset("a", "auto", 0), Some(19));
    let p = sim.producer("auto", ProducerConfig::default());
    sim.send(p, None, b"0000000020");
    sim.flush(p).unwrap();
    let (records, _) = sim.consume(c, 1, Duration::from_secs(1));
    assert_eq!(records.len(), 1);
    let from = sim.events.len();
    let op = sim.client.close_consumer(c, sim.now).unwrap().unwrap();
    sim.drain();
    let e = sim.wait_event(
        from,
        |e| matches!(e, Event::OffsetsFlushed { op: o, .. } if *o == op),
    );
    assert!(matches!(
        e,
        Some(Event::OffsetsFlushed { result: Ok(()), .. })
    ));
    assert_eq!(sim.cluster.consumer_offset("a", "auto", 0), Some(20));
}

#[test]
fn offsets_flush_on_close_after_the_end_of_a_bounded_read() {
    // disable_continuous: the partition ends, and closing the consumer must still store the
    // committed offset at once on the stream's session (it used to wait for the request
    // timeout, as the partition had already dropped its session).
    let mut sim = Sim::new(28);
    fill(&mut sim, "bounded", 1, 30, 10, 16_384);
    let c = sim.consumer(ConsumerConfig {
        consumer_id: Some("b".into()),
        offset_management: OffsetManagement::Manual,
        disable_continuous: true,
        ..ConsumerConfig::new("bounded", Offset::beginning())
    });
    let (records, _) = sim.consume(c, 30, Duration::from_secs(5));
    assert_eq!(records.len(), 30);
    sim.run_for(Duration::from_millis(100));
    sim.client.offset_commit_record(c, 0, 29).unwrap();
    let from = sim.events.len();
    let op = sim.client.close_consumer(c, sim.now).unwrap().unwrap();
    sim.drain();
    let e = sim.wait_event_for(
        from,
        Duration::from_secs(1),
        |e| matches!(e, Event::OffsetsFlushed { op: o, .. } if *o == op),
    );
    assert!(
        matches!(e, Some(Event::OffsetsFlushed { result: Ok(()), .. })),
        "{e:?}"
    );
    assert_eq!(sim.cluster.consumer_offset("b", "bounded", 0), Some(29));
}

/// A bounded read (`disable_continuous`) of a partition whose only replica is down fails
/// with `NoLeader` after `leader_wait` instead of waiting forever (on a real cluster
/// `flv consume -B -d` of a `LeaderOffline` partition never returned); a continuous
/// consumer keeps waiting and resumes when the SPU is back.
#[test]
fn a_bounded_read_without_a_leader_fails_after_leader_wait_and_a_continuous_one_waits() {
    let mut sim = Sim::new(25);
    fill(&mut sim, "orphan", 1, 5, 10, 16_384);
    let leader = sim.cluster.partition_leader("orphan", 0).unwrap();
    sim.cluster.stop_spu(leader, sim.now);
    let bounded = sim.consumer(ConsumerConfig {
        disable_continuous: true,
        leader_wait: Some(Duration::from_secs(10)),
        ..ConsumerConfig::new("orphan", Offset::beginning())
    });
    let follow = sim.consumer(ConsumerConfig::new("orphan", Offset::beginning()));
    let start = sim.now;
    let (records, others) = sim.consume(bounded, 1, Duration::from_secs(60));
    assert!(records.is_empty());
    let waited = sim.now.saturating_since(start);
    assert!(
        others.iter().any(|e| matches!(
            e,
            ConsumerEvent::Error {
                partition: 0,
                error: flv_core::client::ClientError::NoLeader { partition: 0, .. },
            }
        )),
        "{others:?}"
    );
    assert!(
        others.iter().any(|e| matches!(e, ConsumerEvent::End)),
        "{others:?}"
    );
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(15),
        "failed after {waited:?}"
    );
    // The continuous consumer is still waiting, and reads everything once the SPU is back.
    let (records, others) = sim.consume(follow, 1, Duration::from_secs(30));
    assert!(records.is_empty() && others.is_empty(), "{others:?}");
    sim.cluster.restart_spu(leader, sim.now);
    let (records, others) = sim.consume(follow, 5, Duration::from_secs(60));
    assert_eq!(values(&records), vec![0, 1, 2, 3, 4], "{others:?}");
}
