//! Consumer scenarios: catch-up reads cut at `max_bytes`, streams killed mid-batch,
//! consumer offsets across a client restart, topics deleted mid-stream.

use std::time::Duration;

use bytes::Bytes;
use flv_core::client::{
    AdminCommand, ConsumerConfig, Event, Offset, OffsetManagement, ProducerConfig,
};
use flv_core::sc::objects::{DeleteRequest, ObjectDeleteRequest};
use flv_mock_cluster::ServerId;

use super::{Report, Run, at_least_once, client_config, leader};

/// Sends `n` records padded to seeded sizes, then waits until all are resolved.
fn fill(run: &mut Run, p: flv_core::client::ProducerId, n: usize, max_pad: u64) {
    for i in 0..n {
        let pad = run.pick(0, max_pad) as usize;
        let value = format!("{}:{i:06}:{}", p.0, "x".repeat(pad));
        run.send_value(p, Bytes::from(value));
    }
    run.settle();
}

/// A producer batching records of seeded sizes into batches of a seeded size.
fn batching_producer(run: &mut Run) -> ProducerConfig {
    ProducerConfig {
        batch_size: run.pick(150, 3000) as usize,
        linger: Duration::from_millis(1),
        ..at_least_once()
    }
}

/// A consumer starting from the beginning with seeded `max_bytes` and buffer.
fn small_consumer(run: &mut Run, partitions: u32) -> usize {
    let config = ConsumerConfig {
        max_bytes: run.pick(200, 4000) as i32,
        buffer_bytes: run.pick(100, 5000) as usize,
        ..ConsumerConfig::new("t", Offset::beginning())
    };
    let c = run.consumer(config);
    for p in 0..partitions {
        run.consumers[c].start.insert(p, 0);
    }
    c
}

/// A consumer reads a long log from the beginning with a small `max_bytes`: most
/// responses end with a cut batch, and every record arrives once, in order.
pub(super) fn catch_up_max_bytes(seed: u64) -> Report {
    let mut run = Run::new(seed);
    let partitions = run.pick(1, 2) as u32;
    run.topic("t", partitions, 1);
    let config = batching_producer(&mut run);
    let p = run.producer("t", config);
    fill(&mut run, p, 200, 300);
    small_consumer(&mut run, partitions);
    run.lazy = run.rng.chance(0.5);
    for _ in 0..20 {
        let gap = run.pick_ms(1, 50);
        run.step_for(gap);
        run.poll_now();
    }
    run.settle();
    let n = run.cluster_stats().cut_reads;
    run.fired("stream responses cut at max_bytes", n);
    run.check()
}

/// The stream's connection is reset after a seeded number of response bytes (mid-batch),
/// two or three times, while records keep coming and the application polls slowly:
/// every stream resumes at the offset after the last complete batch.
pub(super) fn stream_killed_mid_batch(seed: u64) -> Report {
    let mut run = Run::new(seed);
    run.topic("t", 1, 2);
    let config = batching_producer(&mut run);
    let p = run.producer("t", config);
    fill(&mut run, p, 100, 200);
    small_consumer(&mut run, 1);
    run.lazy = run.rng.chance(0.5);
    let kills = run.pick(2, 6);
    let mut at: Vec<u64> = (0..kills).map(|_| run.pick(0, 25)).collect();
    at.sort_unstable();
    for i in 0..30 {
        if at.contains(&i) {
            let spu = ServerId::Spu(leader(&run, "t", 0));
            let k = run.pick(1, 4000) as usize;
            run.sim.reset_after_to_client(spu, k);
        }
        for _ in 0..run.pick(0, 4) {
            let pad = run.pick(0, 200) as usize;
            let value = format!("{}:x{i:04}{}:{}", p.0, run.sends.len(), "y".repeat(pad));
            run.send_value(p, Bytes::from(value));
        }
        let gap = run.pick_ms(1, 30);
        run.step_for(gap);
        if run.rng.chance(0.1) {
            run.poll_now();
        }
    }
    super::send_until(&mut run, p, 500, |r| r.net_stats().resets > 0);
    run.settle();
    let n = run.net_stats().resets;
    run.fired("stream connections reset", n);
    run.check()
}

/// A consumer with a consumer id commits and flushes its offset after a seeded number of
/// records; the client restarts; a consumer with the same id resumes at the next offset.
pub(super) fn offset_commit_restart(seed: u64) -> Report {
    let mut run = Run::new(seed);
    run.topic("t", 1, 1);
    let config = batching_producer(&mut run);
    let p = run.producer("t", config);
    fill(&mut run, p, 100, 50);
    let group = ConsumerConfig {
        consumer_id: Some("group-1".into()),
        offset_management: OffsetManagement::Manual,
        max_bytes: run.pick(300, 3000) as i32,
        ..ConsumerConfig::new("t", Offset::beginning())
    };
    let c = run.consumer(group.clone());
    run.consumers[c].start.insert(0, 0);
    let want = run.pick(1, 99) as usize;
    let mut waited = Duration::ZERO;
    // Small steps: the first consumer stops near `want`, leaving records to resume with.
    let step = Duration::from_micros(50);
    while run.consumers[c].records.len() < want && waited < Duration::from_secs(30) {
        run.step_for(step);
        waited += step;
    }
    let id = run.consumers[c].id;
    let last = run.consumers[c].records.last().map_or(-1, |r| r.1);
    let committed = run.sim.client.offset_commit(id);
    let flush = run.sim.client.offset_flush(id, run.sim.now);
    let (Ok(()), Ok(op)) = (committed, flush) else {
        run.notes.push("offset commit or flush refused".into());
        return run.check();
    };
    run.sim.drain();
    let from = 0;
    let flushed = run.sim.wait_event_for(
        from,
        Duration::from_secs(30),
        |e| matches!(e, Event::OffsetsFlushed { op: o, .. } if *o == op),
    );
    match flushed {
        Some(Event::OffsetsFlushed { result: Ok(()), .. }) => {}
        other => run.notes.push(format!("offset flush: {other:?}")),
    }
    // More records, acknowledged before the restart: the new consumer has something to
    // resume with even when the first one had read everything.
    for _ in 0..run.pick(1, 10) {
        run.send(p);
    }
    for _ in 0..300 {
        if run.all_resolved() {
            break;
        }
        run.step_for(Duration::from_millis(100));
    }
    // The client restarts (a new process): the consumer resumes after `last`.
    run.consumers[c].retired = true;
    run.probe = false;
    let sc = run.sim.client.config().endpoint.clone();
    run.sim.restart_client(client_config(seed ^ 1, &sc));
    run.sim.ready();
    let c2 = run.consumer(group);
    run.consumers[c2].start.insert(0, last + 1);
    run.settle();
    run.fired("client restarts", 1);
    let resumed = run.consumers[c2].records.first().map_or(0, |_| 1);
    run.fired("records read after the restart", resumed);
    let mut report = run.check();
    let stored = run.sim.cluster.consumer_offset("group-1", "t", 0);
    if stored != Some(last) {
        report
            .violations
            .push(format!("stored offset {stored:?}, expected {last}"));
    }
    report
}

/// The topic is deleted while a producer and a stream consumer use it: the consumer ends
/// with an error, the records in flight resolve, nothing hangs.
pub(super) fn topic_deleted(seed: u64) -> Report {
    let mut run = Run::new(seed);
    let partitions = run.pick(1, 2) as u32;
    run.topic("t", partitions, 1);
    let p = run.producer("t", at_least_once());
    let c = run.consumer(ConsumerConfig::new("t", Offset::beginning()));
    run.consumers[c].expect_end = true;
    run.consumers[c].errors_allowed = true;
    let at = run.pick(3, 20) as usize;
    for i in 0..30 {
        if i == at {
            run.sim.client.admin(
                AdminCommand::Delete(ObjectDeleteRequest::Topic(DeleteRequest::new("t".into()))),
                run.sim.now,
            );
            run.deleted_topics.push("t".into());
        }
        if i >= at {
            // Sends after the deletion may be refused; accepted ones must resolve.
            let now = run.sim.now;
            let value = Bytes::from(format!("late-{i}"));
            if let Ok(id) = run.sim.client.send(p, None, value.clone(), now) {
                run.sends.push(super::Sent {
                    id,
                    producer: p,
                    value,
                    at: now,
                });
            }
        } else {
            run.send(p);
        }
        let gap = run.pick_ms(0, 20);
        run.step_for(gap);
    }
    run.settle();
    let d = run.deleted_topics.len() as u64;
    run.fired("topics deleted", d);
    run.check()
}
