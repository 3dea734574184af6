//! Failover: the leader SPU stops while a producer and a consumer run.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use flv_driver::{ConsumerConfig, Offset, ProducerConfig, RecordKey, Runtime};

use super::{
    STEP, check_acks, cluster, connect, consume, consumer, create_topic, index_of, producer,
    read_to_high_watermark, value, with_timeout,
};

/// Records sent after the failover before the producer stops.
const AFTER: usize = 2_000;

/// The leader of a replicated partition stops mid-stream: every acknowledged record is
/// in the log at its acknowledged offset, nothing is lost, no offset holds an
/// acknowledged record twice; the consumer follows the new leader and delivers every
/// offset once, in order.
pub async fn leader_stopped_mid_stream<R: Runtime>(rt: R) {
    let server = cluster(3);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "failover", 1, 2).await;
    let leader = server.partition_leader("failover", 0).expect("leader");
    let p = producer(&rt, &fluvio, "failover", ProducerConfig::default()).await;
    let failed_over = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    // Records acknowledged so far, in send order (one partition: acknowledgements come in
    // order), counted by a task that waits for each send's outcome as it is made.
    let acked_so_far = Arc::new(AtomicUsize::new(0));
    let (out_tx, out_rx) = async_channel::unbounded();
    let (done_tx, done_rx) = async_channel::bounded(1);
    {
        let (failed_over, sent, rt2) = (Arc::clone(&failed_over), Arc::clone(&sent), rt.clone());
        rt.spawn(async move {
            let mut n = 0;
            let mut after = 0;
            while after < AFTER && n < 100_000 {
                if failed_over.load(Ordering::Acquire) {
                    after += 1;
                }
                let out = with_timeout(&rt2, STEP, "send", p.send(RecordKey::NULL, value(n)))
                    .await
                    .expect("send");
                n += 1;
                sent.store(n, Ordering::Release);
                if out_tx.send(out).await.is_err() {
                    return;
                }
            }
        });
    }
    {
        let acked_so_far = Arc::clone(&acked_so_far);
        rt.spawn(async move {
            let mut acks = Vec::new();
            while let Ok(out) = out_rx.recv().await {
                acks.push(out.wait().await.map_err(|e| e.to_string()));
                acked_so_far.store(acks.len(), Ordering::Release);
            }
            let _ = done_tx.send(acks).await;
        });
    }
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig::new("failover", Offset::beginning()),
    )
    .await;
    let mut records = consume(&rt, &mut stream, 1_000).await;
    assert!(sent.load(Ordering::Acquire) >= 1_000);
    // The records in flight when the leader stops were sent before `sent_after` is read
    // and not acknowledged before `acked_before` was read.
    let acked_before = acked_so_far.load(Ordering::Acquire);
    server.stop_spu(leader);
    let sent_after = sent.load(Ordering::Acquire);
    failed_over.store(true, Ordering::Release);
    let acks = with_timeout(&rt, STEP * 2, "producer", done_rx.recv())
        .await
        .expect("acks");
    let new_leader = server
        .partition_leader("failover", 0)
        .expect("a new leader");
    assert_ne!(new_leader, leader);
    // As on a real cluster, the new leader's high watermark waits for every replica: the
    // stopped one comes back and catches up before the log is read to its end.
    server.restart_spu(leader);
    let end = server.with_cluster(|c, _| c.log_end_offset("failover", 0));
    let deadline = rt.now() + STEP;
    while server.high_watermark("failover", 0) != end {
        assert!(
            rt.now() < deadline,
            "the high watermark did not reach {end:?}"
        );
        rt.sleep_until(rt.now() + std::time::Duration::from_millis(5))
            .await;
    }
    read_to_high_watermark(&rt, &server, "failover", &mut stream, &mut records).await;
    let acked = check_acks(&acks, &records);
    // Nothing lost: every value sent is in the log.
    let distinct: BTreeSet<usize> = records.iter().map(|r| index_of(&r.value)).collect();
    assert_eq!(distinct, (0..acks.len()).collect(), "no record lost");
    // No acknowledged record twice: a value may appear a second time only as the copy of
    // an attempt whose answer was lost when the leader stopped (written, never answered:
    // without idempotent producers, which Fluvio 0.50 lacks, no client can tell), never at
    // an acknowledged offset, and only for the few requests in flight at that moment.
    let copies: Vec<usize> = records
        .iter()
        .filter(|r| !acked.contains(&r.offset))
        .map(|r| index_of(&r.value))
        .collect();
    // Each copy is of a record in flight when the leader stopped, and there are at most
    // as many as such records.
    let in_flight = acked_before..sent_after;
    assert!(
        copies.iter().all(|i| in_flight.contains(i)),
        "unacknowledged copies {copies:?} outside the records in flight {in_flight:?}"
    );
    assert!(
        copies.len() <= in_flight.len(),
        "{} unacknowledged copies, {} records in flight",
        copies.len(),
        in_flight.len()
    );
    let m = fluvio.metrics();
    assert!(
        m.client.stream_starts >= 2,
        "the consumer restarted its stream: {m:?}"
    );
    assert!(
        m.client.connection_failures >= 1,
        "the leader's connection broke: {m:?}"
    );
}
