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

use flv_core::client::{
    AdminCommand, Event, FetchSpec, OpOutput, ProducerConfig as Pc, WatchEvent,
};
use flv_core::sc::ObjectWatchResponse;
use flv_core::sc::objects::{ObjectKind, ObjectUpdateRequest, UpdateRequest};
use flv_core::sc::topic::{AddPartition, UpdateTopicAction};
use flv_core::spu::Isolation;

#[test]
fn watch_fetch_and_add_partitions() {
    let mut sim = Sim::new(11);
    sim.ready();
    let w = sim.client.watch(ObjectKind::Topic, sim.now);
    sim.create_topic("w", 1, 1);
    let mut topics = Vec::new();
    sim.run_until(Duration::from_secs(5), |s| {
        while let Some(e) = s.client.poll_watch(w) {
            if let WatchEvent::Update(ObjectWatchResponse::Topic(u)) = e {
                topics.extend(u.all.iter().map(|m| m.name.clone()));
                topics.extend(u.changes.iter().map(|m| m.content.name.clone()));
            }
        }
        topics.iter().any(|t| t == "w")
    });
    assert!(topics.iter().any(|t| t == "w"), "{topics:?}");
    assert!(
        sim.events
            .iter()
            .any(|(_, e)| matches!(e, Event::WatchReady { .. }))
    );

    let p = sim.producer("w", Pc::default());
    for i in 0..10u8 {
        sim.send(p, None, &[i]);
    }
    sim.flush(p).unwrap();
    let op = sim.client.fetch(
        FetchSpec {
            topic: "w".into(),
            partition: 0,
            offset: 3,
            max_bytes: 1 << 20,
            isolation: Isolation::ReadUncommitted,
        },
        sim.now,
    );
    sim.run_until(Duration::from_secs(5), |s| s.op_result(op).is_some());
    match sim.op_result(op) {
        Some(Ok(OpOutput::Fetch(f))) => {
            assert_eq!(f.high_watermark, 10);
            let offsets: Vec<i64> = f.records.iter().map(|r| r.offset).collect();
            assert_eq!(offsets, (3..10).collect::<Vec<_>>());
        }
        other => panic!("{other:?}"),
    }

    // More partitions: the producer spreads over them once the metadata says so.
    let r = sim.admin(AdminCommand::Update(ObjectUpdateRequest::Topic(
        UpdateRequest {
            key: "w".into(),
            action: UpdateTopicAction::AddPartition(AddPartition { count: 2 }),
        },
    )));
    assert!(r.is_ok(), "{r:?}");
    assert!(sim.run_until(
        Duration::from_secs(5),
        |s| s.client.metadata().partition_count("w") == 3
            && (0..3).all(|p| s.client.metadata().leader("w", p).is_some())
    ));
    let ids: Vec<_> = (0..6u8).map(|i| sim.send(p, None, &[i])).collect();
    sim.flush(p).unwrap();
    let d = sim.delivered(p);
    let parts: std::collections::BTreeSet<u32> = ids.iter().map(|i| d[i].0).collect();
    assert_eq!(parts.len(), 3);
}

#[test]
fn tls_server_names_and_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<flv_core::client::Client>();
    let cluster = flv_mock_cluster::MockConfig::default();
    let client = flv_core::client::ClientConfig {
        tls_domain: Some("fluvio.local".into()),
        ..flv_core::client::ClientConfig::new(cluster.sc_addr.clone())
    };
    let mut sim = Sim::with(cluster, client);
    sim.create_topic("tls", 1, 1);
    let p = sim.producer("tls", Pc::default());
    sim.send(p, None, b"x");
    sim.flush(p).unwrap();
    let leader = sim.cluster.partition_leader("tls", 0).unwrap();
    let spu_name = sim.client.metadata().spu(leader).unwrap().name.clone();
    let names: Vec<(flv_core::client::Peer, Option<String>)> = sim
        .connects
        .iter()
        .filter_map(|c| match c {
            flv_core::client::IoCommand::Connect {
                peer, server_name, ..
            } => Some((*peer, server_name.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        names[0],
        (flv_core::client::Peer::Sc, Some("fluvio.local".into()))
    );
    assert!(names.contains(&(
        flv_core::client::Peer::Spu(leader),
        Some(format!("{spu_name}.fluvio.local"))
    )));
}
