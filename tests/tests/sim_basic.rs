//! Simulation: produce / consume round trips against the mock cluster.

use std::time::Duration;

use flv_core::client::{ConsumerConfig, ConsumerEvent, Offset, ProducerConfig};
use flv_tests::sim::Sim;

#[test]
fn produce_then_consume_round_trip() {
    let mut sim = Sim::new(1);
    sim.create_topic("t1", 1, 1);
    let p = sim.producer("t1", ProducerConfig::default());
    let ids: Vec<_> = (0..100)
        .map(|i| sim.send(p, None, format!("value-{i}").as_bytes()))
        .collect();
    sim.flush(p).expect("flush");
    let delivered = sim.delivered(p);
    assert_eq!(delivered.len(), 100);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(delivered[id], (0, i as i64), "record {i}");
    }
    let c = sim.consumer(ConsumerConfig::new("t1", Offset::beginning()));
    let (records, others) = sim.consume(c, 100, Duration::from_secs(10));
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(records.len(), 100);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.offset, i as i64);
        assert_eq!(&r.value[..], format!("value-{i}").as_bytes());
    }
    let _ = ConsumerEvent::End;
}
