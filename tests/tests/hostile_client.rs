//! Hostile input at the client level: each case is a typed error for the waiters of the
//! connection that carried it, and every other connection keeps working (a corrupt SPU
//! stream fails that SPU's waiters; the SC connection and the other SPUs carry on).
//! Crashes found by the `client_input` fuzz target become named cases here.

use std::time::Duration;

use flv_core::client::{
    ClientError, ConnId, ConsumerConfig, ConsumerEvent, DeliverySemantic, Event, IoCommand, Offset,
    Peer, ProduceError, ProducerConfig, ProducerId,
};
use flv_mock_cluster::ServerId;
use flv_tests::sim::{Mangle, Sim};

/// Topic `h` with two partitions led by different SPUs, an at-most-once producer without
/// exactly-once (so failures surface instead of being retried or read back) that
/// delivered one record per partition.
fn setup(seed: u64) -> (Sim, ProducerId, i32, i32) {
    let mut sim = Sim::new(seed);
    sim.create_topic("h", 2, 1);
    let a = sim.cluster.partition_leader("h", 0).unwrap();
    let b = sim.cluster.partition_leader("h", 1).unwrap();
    assert_ne!(a, b, "the partitions must be led by different SPUs");
    let p = sim.producer(
        "h",
        ProducerConfig {
            delivery_semantic: DeliverySemantic::AtMostOnce,
            exactly_once: false,
            ..ProducerConfig::default()
        },
    );
    sim.send(p, None, b"warm-0");
    sim.send(p, None, b"warm-1");
    sim.flush(p).unwrap();
    (sim, p, a, b)
}

/// The client's current connection to `peer`.
fn conn_of(sim: &Sim, peer: Peer) -> ConnId {
    sim.connects
        .iter()
        .rev()
        .find_map(|c| match c {
            IoCommand::Connect { conn, peer: p, .. } if *p == peer => Some(*conn),
            _ => None,
        })
        .unwrap()
}

fn sc_connects(sim: &Sim) -> usize {
    sim.connects
        .iter()
        .filter(|c| matches!(c, IoCommand::Connect { peer: Peer::Sc, .. }))
        .count()
}

/// Sends one record to each partition and returns the failures (partition, error) and
/// the delivered partitions.
fn round(sim: &mut Sim, p: ProducerId) -> (Vec<(u32, ProduceError)>, Vec<u32>) {
    let from = sim.events.len();
    sim.send(p, None, b"x0");
    sim.send(p, None, b"x1");
    let _ = sim.flush(p);
    let mut failed = Vec::new();
    let mut delivered = Vec::new();
    for (_, e) in &sim.events[from..] {
        match e {
            Event::SendFailed {
                partition, error, ..
            } => failed.push((*partition, error.clone())),
            Event::Delivered { partition, .. } => delivered.push(*partition),
            _ => {}
        }
    }
    (failed, delivered)
}

fn is_protocol_error_of(e: &ProduceError, spu: i32) -> bool {
    matches!(
        e,
        ProduceError::OutcomeUnknown(ClientError::Protocol { peer: Peer::Spu(s), .. })
            | ProduceError::NotDelivered(ClientError::Protocol { peer: Peer::Spu(s), .. })
            if *s == spu
    )
}

/// The other SPU and the SC were not disturbed, and the spoiled SPU recovers.
fn others_unharmed(sim: &mut Sim, p: ProducerId, delivered: &[u32]) {
    assert!(delivered.contains(&1), "the other SPU stopped working");
    assert_eq!(sc_connects(sim), 1, "the SC connection was dropped");
    assert!(sim.client.metadata().is_synced());
    sim.run_for(Duration::from_secs(3));
    let (failed, delivered) = round(sim, p);
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(delivered.len(), 2);
}

#[test]
fn truncated_spu_frame_fails_that_spus_waiters_only() {
    let (mut sim, p, a, _) = setup(7);
    sim.mangle_response(ServerId::Spu(a), 0, Mangle::Truncate);
    let (failed, delivered) = round(&mut sim, p);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, 0);
    assert!(is_protocol_error_of(&failed[0].1, a), "{failed:?}");
    others_unharmed(&mut sim, p, &delivered);
}

#[test]
fn oversized_spu_frame_length_fails_that_spus_waiters_only() {
    let (mut sim, p, a, _) = setup(7);
    sim.mangle_response(ServerId::Spu(a), 0, Mangle::OversizedLength);
    let (failed, delivered) = round(&mut sim, p);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(is_protocol_error_of(&failed[0].1, a), "{failed:?}");
    others_unharmed(&mut sim, p, &delivered);
}

#[test]
fn garbage_bytes_on_an_spu_connection() {
    let (mut sim, p, a, _) = setup(7);
    let conn = conn_of(&sim, Peer::Spu(a));
    // A frame of 12 bytes that is no response to anything asked: correlation id 1 is
    // pending on no request now, so it is dropped; then a frame too short to carry a
    // correlation id poisons the connection.
    let now = sim.now;
    sim.client
        .handle_bytes(conn, &[0, 0, 0, 8, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef], now);
    sim.client
        .handle_bytes(conn, &[0, 0, 0, 2, 0xff, 0xff], now);
    sim.drain();
    let errors: Vec<&ClientError> = sim
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Error(e) => Some(e),
            _ => None,
        })
        .collect();
    assert!(
        errors.is_empty(),
        "an SPU failure is not a client error: {errors:?}"
    );
    assert!(sim.client.metrics().connection_failures >= 1);
    let (failed, delivered) = round(&mut sim, p);
    // Partition 0 waits for the reconnect backoff or goes through a new connection.
    assert!(failed.iter().all(|f| f.0 == 0), "{failed:?}");
    others_unharmed(&mut sim, p, &delivered);
}

#[test]
fn unknown_and_duplicate_correlation_ids_are_dropped_and_counted() {
    let (mut sim, p, a, b) = setup(7);
    sim.mangle_response(ServerId::Spu(a), 0, Mangle::UnknownCorrelation);
    let (failed, _) = round(&mut sim, p);
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(sim.client.metrics().unknown_responses, 1);
    sim.mangle_response(ServerId::Spu(b), 0, Mangle::Duplicate);
    let (failed, delivered) = round(&mut sim, p);
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(delivered.len(), 2, "each record resolved exactly once");
    assert_eq!(sim.client.metrics().unknown_responses, 2);
    assert_eq!(sim.client.metrics().connection_failures, 0);
}

#[test]
fn corrupt_sc_frame_reconnects_the_sc_while_spus_keep_producing() {
    let (mut sim, p, _, _) = setup(7);
    sim.mangle_response(ServerId::Sc, 0, Mangle::OversizedLength);
    // A watch update is the next SC frame: a new topic triggers one.
    let op = sim.client.admin(
        flv_core::client::AdminCommand::Create {
            name: "other".into(),
            dry_run: false,
            timeout_ms: None,
            spec: flv_core::sc::objects::ObjectSpec::Topic(
                flv_core::sc::topic::TopicSpec::computed(1, 1),
            ),
        },
        sim.now,
    );
    sim.drain();
    sim.run_for(Duration::from_millis(50));
    let sc_error = sim.events.iter().any(|(_, e)| {
        matches!(e, Event::Error(ClientError::Protocol { peer: Peer::Sc, .. }))
            || matches!(e, Event::OpDone { op: o, result: Err(ClientError::Protocol { peer: Peer::Sc, .. }) } if *o == op)
    });
    assert!(sc_error, "the SC connection's failure is reported, typed");
    // The data plane does not need the SC.
    let (failed, delivered) = round(&mut sim, p);
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(delivered.len(), 2);
    // The SC comes back (after the reconnect backoff) with synchronised metadata.
    sim.ready();
    assert_eq!(sc_connects(&sim), 2);
}

#[test]
fn handshake_answered_with_a_wrong_correlation_id() {
    let (mut sim, p, a, _) = setup(7);
    // The connection to SPU a breaks; its replacement's handshake answer is mangled.
    sim.cluster.drop_connections(ServerId::Spu(a), sim.now);
    sim.mangle_response(ServerId::Spu(a), 0, Mangle::UnknownCorrelation);
    sim.run_for(Duration::from_millis(20));
    let (failed, delivered) = round(&mut sim, p);
    assert!(failed.iter().all(|(part, e)| *part == 0
        && matches!(
            e,
            ProduceError::NotDelivered(_) | ProduceError::OutcomeUnknown(_)
        )));
    others_unharmed(&mut sim, p, &delivered);
}

#[test]
fn truncated_stream_fetch_restarts_the_stream_without_loss() {
    let mut sim = Sim::new(8);
    sim.create_topic("s", 1, 1);
    let spu = sim.cluster.partition_leader("s", 0).unwrap();
    let p = sim.producer("s", ProducerConfig::default());
    for i in 0..50 {
        sim.send(p, None, format!("{i}").as_bytes());
        sim.run_for(Duration::from_millis(1));
    }
    sim.flush(p).unwrap();
    let c = sim.consumer(ConsumerConfig {
        max_bytes: 400,
        ..ConsumerConfig::new("s", Offset::beginning())
    });
    sim.mangle_response(ServerId::Spu(spu), 2, Mangle::Truncate);
    let (records, others) = sim.consume(c, 50, Duration::from_secs(30));
    assert!(
        others
            .iter()
            .all(|e| !matches!(e, ConsumerEvent::Error { .. } | ConsumerEvent::End)),
        "{others:?}"
    );
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, (0..50).collect::<Vec<_>>());
    assert!(
        sim.client.metrics().connection_failures >= 1,
        "{:?}",
        sim.client.metrics()
    );
}
