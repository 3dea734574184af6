//! Simulation: failures — leader changes, SC loss, dropped connections, timeouts — and
//! determinism.

use std::collections::BTreeMap;
use std::time::Duration;

use flv_core::backoff::RetryPolicy;
use flv_core::client::{
    ClientConfig, ConsumerConfig, DeliverySemantic, Event, Offset, ProduceError, ProducerConfig,
    SendId,
};
use flv_core::spu::Isolation;
use flv_mock_cluster::{MockConfig, ServerId};
use flv_tests::sim::Sim;

fn value(i: usize) -> Vec<u8> {
    format!("{i:0>8}").into_bytes()
}

/// Every acknowledged record is in the log at its reported offset, and the first
/// occurrences of the values keep the send order.
fn check_log(
    sim: &mut Sim,
    topic: &str,
    sent: &[(SendId, usize)],
    producer: flv_core::client::ProducerId,
) {
    let delivered = sim.delivered(producer);
    let total = sim.cluster.high_watermark(topic, 0).unwrap() as usize;
    let c = sim.consumer(ConsumerConfig {
        disable_continuous: true,
        ..ConsumerConfig::new(topic, Offset::beginning())
    });
    let (records, _) = sim.consume(c, total, Duration::from_secs(30));
    assert_eq!(records.len(), total);
    let by_offset: BTreeMap<i64, usize> = records
        .iter()
        .map(|r| {
            (
                r.offset,
                std::str::from_utf8(&r.value).unwrap().parse().unwrap(),
            )
        })
        .collect();
    for (id, i) in sent {
        if let Some((_, off)) = delivered.get(id) {
            assert_eq!(by_offset.get(off), Some(i), "acked record {i} at {off}");
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let first: Vec<usize> = by_offset
        .values()
        .copied()
        .filter(|v| seen.insert(*v))
        .collect();
    let mut sorted = first.clone();
    sorted.sort_unstable();
    assert_eq!(first, sorted, "per-partition order");
}

#[test]
fn leader_killed_mid_produce_no_acked_record_lost() {
    let mut sim = Sim::new(40);
    sim.create_topic("tf", 1, 3);
    let leader = sim.cluster.partition_leader("tf", 0).unwrap();
    let p = sim.producer(
        "tf",
        ProducerConfig {
            isolation: Isolation::ReadCommitted,
            ..ProducerConfig::default()
        },
    );
    let mut sent = Vec::new();
    for i in 0..200 {
        if i == 100 {
            sim.cluster.stop_spu(leader, sim.now);
        }
        sent.push((sim.send(p, None, &value(i)), i));
        sim.run_for(Duration::from_micros(300));
    }
    // The new leader's high watermark waits for every replica (as on a real cluster):
    // read-committed records commit once the old leader is back as a follower.
    sim.run_for(Duration::from_secs(2));
    sim.cluster.restart_spu(leader, sim.now);
    sim.flush(p)
        .expect("every record delivered despite the leader change");
    assert!(sim.failed(p).is_empty());
    let new_leader = sim.cluster.partition_leader("tf", 0).unwrap();
    assert_ne!(new_leader, leader);
    assert!(sim.client.metrics().connection_failures >= 1);
    assert_eq!(sim.delivered(p).len(), 200);
    check_log(&mut sim, "tf", &sent, p);
}

#[test]
fn leader_killed_mid_stream_consumer_resumes_without_gap_or_duplicate() {
    let mut sim = Sim::new(41);
    sim.create_topic("ts", 1, 3);
    let leader = sim.cluster.partition_leader("ts", 0).unwrap();
    let p = sim.producer("ts", ProducerConfig::default());
    for i in 0..100 {
        sim.send(p, None, &value(i));
    }
    sim.flush(p).unwrap();
    let c = sim.consumer(ConsumerConfig::new("ts", Offset::beginning()));
    let (mut records, _) = sim.consume(c, 100, Duration::from_secs(5));
    assert_eq!(records.len(), 100);
    sim.cluster.stop_spu(leader, sim.now);
    sim.run_for(Duration::from_secs(1));
    for i in 100..200 {
        sim.send(p, None, &value(i));
    }
    sim.flush(p).unwrap();
    let (more, others) = sim.consume(c, 100, Duration::from_secs(30));
    assert!(others.is_empty(), "{others:?}");
    records.extend(more);
    let got: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(got, (0..200).collect::<Vec<_>>());
    assert!(sim.client.metrics().stream_starts >= 2);
}

#[test]
fn dropped_spu_connections_mid_stream_and_mid_produce() {
    let mut sim = Sim::new(42);
    sim.create_topic("d", 1, 1);
    let leader = sim.cluster.partition_leader("d", 0).unwrap();
    let p = sim.producer("d", ProducerConfig::default());
    let c = sim.consumer(ConsumerConfig {
        max_bytes: 1500,
        ..ConsumerConfig::new("d", Offset::beginning())
    });
    let mut sent = Vec::new();
    let mut records = Vec::new();
    for i in 0..300 {
        sent.push((sim.send(p, None, &value(i)), i));
        if i % 50 == 25 {
            sim.cluster.drop_connections(ServerId::Spu(leader), sim.now);
        }
        let (r, _) = sim.consume(c, 0, Duration::from_micros(200));
        records.extend(r);
    }
    sim.flush(p).unwrap();
    let (r, _) = sim.consume(
        c,
        300usize.saturating_sub(records.len()),
        Duration::from_secs(30),
    );
    records.extend(r);
    // The consumer saw every offset of the log exactly once, in order.
    let hw = sim.cluster.high_watermark("d", 0).unwrap();
    let got: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(got, (0..hw).collect::<Vec<_>>());
    check_log(&mut sim, "d", &sent, p);
}

#[test]
fn sc_loss_reconnects_and_rewatches() {
    let mut sim = Sim::new(43);
    sim.create_topic("a", 1, 1);
    sim.cluster.stop_sc(sim.now);
    sim.run_for(Duration::from_secs(3));
    assert!(!sim.client.metadata().is_synced());
    // Data plane keeps working while the SC is away.
    let p = sim.producer_on_stale_metadata("a");
    sim.cluster.start_sc(sim.now);
    sim.ready();
    sim.create_topic("b", 2, 1);
    assert_eq!(sim.client.metadata().partition_count("b"), 2);
    let q = sim.producer("b", ProducerConfig::default());
    sim.send(q, None, b"x");
    sim.flush(q).unwrap();
    let _ = p;
    let errors = sim
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Error(_)))
        .count();
    assert!(errors >= 1);
    assert_eq!(sim.cluster.connection_count(ServerId::Sc), 1);
}

trait StaleProducer {
    fn producer_on_stale_metadata(&mut self, topic: &str) -> flv_core::client::ProducerId;
}

impl StaleProducer for Sim {
    /// A producer created while the SC is down waits for the metadata, then works.
    fn producer_on_stale_metadata(&mut self, topic: &str) -> flv_core::client::ProducerId {
        let id = self
            .client
            .create_producer(topic, ProducerConfig::default(), self.now)
            .unwrap();
        self.drain();
        self.run_for(Duration::from_millis(100));
        assert!(
            !self.events.iter().any(
                |(_, e)| matches!(e, Event::ProducerCreated { producer, .. } if *producer == id)
            ),
            "created without metadata"
        );
        id
    }
}

#[test]
fn unanswered_requests_time_out_and_report_unknown_outcomes() {
    let cluster = MockConfig {
        seed: 44,
        ..MockConfig::default()
    };
    let client = ClientConfig {
        seed: 44,
        request_timeout: Duration::from_secs(2),
        ..ClientConfig::new(cluster.sc_addr.clone())
    };
    let mut sim = Sim::with(cluster, client);
    sim.create_topic("slow", 1, 1);
    let leader = sim.cluster.partition_leader("slow", 0).unwrap();
    let p = sim.producer(
        "slow",
        ProducerConfig {
            delivery_semantic: DeliverySemantic::AtLeastOnce(RetryPolicy {
                max_retries: 1,
                initial_delay: Duration::from_millis(10),
                ..RetryPolicy::default()
            }),
            ..ProducerConfig::default()
        },
    );
    // The connection to the leader is up; then the leader stops answering.
    sim.send(p, None, b"first");
    sim.flush(p).unwrap();
    sim.cluster
        .delay_responses(ServerId::Spu(leader), Duration::from_secs(60));
    let id = sim.send(p, None, b"x");
    let r = sim.flush(p);
    assert!(matches!(r, Err(ProduceError::OutcomeUnknown(_))), "{r:?}");
    assert_eq!(sim.failed(p), vec![id]);
    // The SPU recovers: the next record goes through.
    sim.cluster
        .delay_responses(ServerId::Spu(leader), Duration::ZERO);
    sim.run_for(Duration::from_secs(61));
    sim.send(p, None, b"y");
    sim.flush(p).unwrap();
}

/// A scenario mixing produce, consume and faults.
fn chaos(seed: u64) -> (u64, usize) {
    let mut sim = Sim::new(seed);
    sim.create_topic("c", 2, 2);
    let p = sim.producer("c", ProducerConfig::default());
    let c = sim.consumer(ConsumerConfig::new("c", Offset::beginning()));
    let mut n = 0;
    for round in 0..4 {
        for i in 0..50 {
            sim.send(p, None, &value(round * 50 + i));
        }
        let victim = sim
            .cluster
            .partition_leader("c", (round % 2) as u32)
            .unwrap();
        sim.cluster.drop_connections(ServerId::Spu(victim), sim.now);
        let (r, _) = sim.consume(c, 0, Duration::from_millis(50));
        n += r.len();
    }
    sim.flush(p).unwrap();
    let (r, _) = sim.consume(c, 200 - n, Duration::from_secs(30));
    n += r.len();
    (sim.digest(), n)
}

#[test]
fn same_seed_same_run() {
    let a = chaos(7);
    let b = chaos(7);
    assert_eq!(a, b);
    assert_eq!(a.1, 200);
    let c = chaos(8);
    assert_eq!(c.1, 200);
}

#[test]
fn read_committed_waits_out_stalled_replication() {
    let mut sim = Sim::new(45);
    sim.create_topic("rc", 1, 2);
    let replicas = sim.cluster.partition_replicas("rc", 0).unwrap();
    let leader = sim.cluster.partition_leader("rc", 0).unwrap();
    let follower = *replicas.iter().find(|r| **r != leader).unwrap();
    let p = sim.producer(
        "rc",
        ProducerConfig {
            isolation: Isolation::ReadCommitted,
            timeout: Duration::from_millis(300),
            delivery_semantic: DeliverySemantic::AtLeastOnce(RetryPolicy {
                max_retries: 10,
                initial_delay: Duration::from_millis(100),
                strategy: flv_core::backoff::RetryStrategy::FixedDelay,
                ..RetryPolicy::default()
            }),
            ..ProducerConfig::default()
        },
    );
    sim.cluster.stall_replication(follower, true);
    let sent: Vec<_> = (0..10).map(|i| (sim.send(p, None, &value(i)), i)).collect();
    sim.run_for(Duration::from_secs(1));
    assert!(
        sim.delivered(p).is_empty(),
        "not committed while replication stalls"
    );
    sim.cluster.stall_replication(follower, false);
    sim.flush(p).unwrap();
    assert_eq!(sim.delivered(p).len(), 10);
    // The timed-out requests were stored: read back (exactly once), not re-sent.
    assert!(sim.client.metrics().produce_read_backs > 0);
    assert_eq!(
        sim.cluster.log_end_offset("rc", 0),
        Some(10),
        "one copy each"
    );
    check_log(&mut sim, "rc", &sent, p);
}
