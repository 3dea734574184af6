//! `flv demo`: the whole client in one process against the embedded mock cluster — a
//! replicated topic, a producer and a live consumer, and the leader of a partition stopped
//! halfway — ending with counts of what was lost or duplicated.
//!
//! Every number is counted: `produced` is the records the cluster acknowledged, `consumed`
//! every record the consumer received, `lost` the acknowledged records never received at
//! their acknowledged offset and `duplicated` the extra receptions of an acknowledged record
//! at that offset. Records carry their sequence number, which is how they are told apart;
//! copies stored at other offsets by retries after an unknown outcome are reported apart.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use flv_driver::config::ClusterConfig;
use flv_driver::core::backoff::{RetryPolicy, RetryStrategy};
use flv_driver::core::client::{BackoffConfig, ClientConfig};
use flv_driver::core::sc::topic::TopicSpec;
use flv_driver::core::spu::Isolation;
use flv_driver::{ConsumerConfig, DeliverySemantic, Offset, ProducerConfig, RecordKey};
use flv_mock_cluster::{MockClusterServer, ServerOptions};
use flv_tokio::{Fluvio, Tokio};
use futures_util::StreamExt;

use super::block_on;
use super::produce::{progress_bar, summary};

/// Name of the demo topic.
const TOPIC: &str = "flv-demo";
/// Partitions of the demo topic.
const PARTITIONS: u32 = 3;
/// Replicas of each partition.
const REPLICATION: u32 = 2;
/// SPUs of the embedded cluster.
const SPUS: usize = 3;
/// Size of each record's value.
const VALUE_SIZE: usize = 100;
/// How long the consumer may go without a record before the rest counts as lost.
const CONSUMER_IDLE_LIMIT: Duration = Duration::from_secs(20);

/// `flv demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoOpt {
    /// Records to produce
    #[arg(long, default_value_t = 100_000)]
    records: u32,
}

/// Record `seq`'s value: its sequence number, then filler up to [`VALUE_SIZE`] bytes.
fn value(seq: u32) -> Vec<u8> {
    let mut v = format!("{seq:010} ").into_bytes();
    v.resize(VALUE_SIZE, b'.');
    v
}

/// The sequence number in a record value.
fn seq_of(value: &[u8]) -> Option<u32> {
    std::str::from_utf8(value.get(..10)?).ok()?.parse().ok()
}

/// What the consumer saw.
#[derive(Debug, Default)]
struct Seen {
    /// Where each sequence number was received (partition, offset), every time.
    at: Vec<Vec<(u32, i64)>>,
    /// Records received.
    consumed: u64,
    /// Bytes of values received.
    bytes: u64,
    /// Records whose value is not a demo record.
    foreign: u64,
    /// Highest offset received per partition.
    last: BTreeMap<u32, i64>,
}

/// Client settings of the demo: quick reconnects and metadata, for a quick failover.
fn client_config() -> ClientConfig {
    ClientConfig {
        client_id: "flv-demo".into(),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
        metadata_timeout: Duration::from_secs(10),
        reconnect_backoff: BackoffConfig {
            min: Duration::from_millis(20),
            max: Duration::from_millis(500),
            factor: 2.0,
            jitter: 0.2,
        },
        ..ClientConfig::default()
    }
}

impl DemoOpt {
    /// Runs the demo; fails (non-zero exit) when a record was lost or duplicated, or when
    /// retries stored more copies than the records they sent again.
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        if self.records == 0 {
            bail!("--records must be at least 1");
        }
        let server = MockClusterServer::start(ServerOptions {
            spus: SPUS,
            ..ServerOptions::default()
        })
        .context("cannot start the embedded mock cluster")?;
        eprintln!(
            "demo: embedded mock cluster at {} with {SPUS} SPUs",
            server.sc_addr()
        );
        block_on(self.run_on(&server))
    }

    async fn run_on(self, server: &MockClusterServer) -> anyhow::Result<ExitCode> {
        let n = self.records;
        let rt = Tokio::current().context("not inside the tokio runtime")?;
        let cluster = ClusterConfig::new(server.sc_addr());
        let fluvio = Fluvio::connect_with_client_config(rt.clone(), &cluster, client_config())
            .await
            .context("cannot connect to the embedded cluster")?;
        fluvio
            .admin()
            .create(TOPIC, false, TopicSpec::computed(PARTITIONS, REPLICATION))
            .await
            .context("cannot create the demo topic")?;
        eprintln!(
            "demo: topic {TOPIC}: {PARTITIONS} partitions, replication {REPLICATION}; \
             producing {n} records of {VALUE_SIZE} bytes with a live consumer"
        );

        // The consumer runs from the start, on its own connection.
        let consumer_client =
            Fluvio::connect_with_client_config(rt.clone(), &cluster, client_config())
                .await
                .context("cannot connect the consumer")?;
        let mut config = ConsumerConfig::new(TOPIC, Offset::beginning());
        config.isolation = Isolation::ReadCommitted;
        let mut stream = consumer_client
            .consumer_with_config(config)
            .await
            .context("cannot start the consumer")?;
        let (done_tx, mut done_rx) = tokio::sync::watch::channel(None::<BTreeMap<u32, i64>>);
        let consumer = tokio::spawn(async move {
            let mut seen = Seen {
                at: vec![Vec::new(); n as usize],
                ..Seen::default()
            };
            let started = Instant::now();
            let mut errors = Vec::new();
            loop {
                // Done when every partition reached the last acknowledged offset.
                let target = done_rx.borrow().clone();
                if let Some(target) = &target {
                    let reached = target
                        .iter()
                        .all(|(p, &last)| seen.last.get(p).is_some_and(|&o| o >= last));
                    if reached {
                        break;
                    }
                }
                let next = tokio::select! {
                    next = stream.next() => next,
                    _ = done_rx.changed(), if target.is_none() => continue,
                    _ = tokio::time::sleep(CONSUMER_IDLE_LIMIT), if target.is_some() => break,
                };
                match next {
                    Some(Ok(r)) => {
                        seen.consumed += 1;
                        seen.bytes += r.value.len() as u64;
                        let last = seen.last.entry(r.partition).or_insert(-1);
                        *last = (*last).max(r.offset);
                        match seq_of(&r.value).and_then(|s| seen.at.get_mut(s as usize)) {
                            Some(at) => at.push((r.partition, r.offset)),
                            None => seen.foreign += 1,
                        }
                    }
                    Some(Err(e)) => errors.push(e.to_string()),
                    None => break,
                }
            }
            drop(stream);
            let elapsed = started.elapsed();
            let restarts = consumer_client.metrics().client.stream_starts;
            consumer_client.close().await.ok();
            (seen, elapsed, errors, restarts)
        });

        let producer = fluvio
            .topic_producer_with_config(
                TOPIC,
                ProducerConfig {
                    isolation: Isolation::ReadCommitted,
                    linger: Duration::from_millis(2),
                    delivery_semantic: DeliverySemantic::AtLeastOnce(RetryPolicy {
                        max_retries: 100,
                        initial_delay: Duration::from_millis(20),
                        max_delay: Duration::from_millis(500),
                        timeout: Duration::from_secs(60),
                        strategy: RetryStrategy::FibonacciBackoff,
                    }),
                    ..ProducerConfig::default()
                },
            )
            .await
            .context("cannot create the producer")?;
        let bar = progress_bar(true);
        bar.set_length(u64::from(n));
        let started = Instant::now();
        let mut outputs = Vec::with_capacity(n as usize);
        let mut stopped = None;
        for seq in 0..n {
            if seq == n / 2 {
                let leader = server
                    .partition_leader(TOPIC, 0)
                    .context("partition 0 has no leader")?;
                server.stop_spu(leader);
                stopped = Some(leader);
                bar.suspend(|| {
                    eprintln!(
                        "demo: stopped SPU {leader}, the leader of {TOPIC}-0, after {seq} records"
                    );
                });
            }
            // As on a real cluster, the high watermark of the new leader waits for the
            // stopped replica: read-committed records of that partition wait until it is
            // back.
            if seq == n / 2 + n / 4
                && let Some(spu) = stopped.take()
            {
                server.restart_spu(spu);
                bar.suspend(|| eprintln!("demo: restarted SPU {spu} after {seq} records"));
            }
            let out = producer
                .send(RecordKey::NULL, value(seq))
                .await
                .context("cannot send a record")?;
            outputs.push(out);
            bar.inc(1);
        }
        let flushed = producer.flush().await;
        // Every record's own outcome: acknowledged (where) or failed.
        let mut acked: Vec<Option<(u32, i64)>> = vec![None; n as usize];
        let mut last_offsets: BTreeMap<u32, i64> = BTreeMap::new();
        let mut failures: BTreeMap<String, u64> = BTreeMap::new();
        for (seq, out) in outputs.into_iter().enumerate() {
            match out.wait().await {
                Ok(md) => {
                    acked[seq] = Some((md.partition, md.offset));
                    let last = last_offsets.entry(md.partition).or_insert(-1);
                    *last = (*last).max(md.offset);
                }
                Err(e) => *failures.entry(e.to_string()).or_default() += 1,
            }
        }
        let produce_time = started.elapsed();
        bar.finish_and_clear();
        let produced = acked.iter().filter(|a| a.is_some()).count() as u64;
        eprintln!(
            "demo: {}",
            summary(
                "produced",
                produced,
                produced * VALUE_SIZE as u64,
                produce_time
            )
        );
        if let Err(e) = flushed {
            eprintln!("demo: flush reported: {e}");
        }
        for (error, count) in &failures {
            eprintln!("demo: {count} records failed: {error}");
        }
        producer.close().await.ok();
        let m = fluvio.metrics();
        let retried = m.client.records_retried;
        eprintln!(
            "demo: producer failover: {} batch retries ({retried} records sent again), {} \
             connection failures, {} reconnects",
            m.client.produce_retries, m.client.connection_failures, m.reconnects
        );

        done_tx.send_replace(Some(last_offsets));
        let (seen, consume_time, errors, restarts) =
            consumer.await.context("the consumer task failed")?;
        for e in &errors {
            eprintln!("demo: consumer error: {e}");
        }
        eprintln!(
            "demo: {}",
            summary("consumed", seen.consumed, seen.bytes, consume_time)
        );
        eprintln!("demo: consumer failover: {restarts} partition streams started");
        // An acknowledged record is the one at its acknowledged offset: lost if that offset
        // never arrived, duplicated if it arrived more than once. A record's value may also
        // sit at another offset: the copy written by an attempt whose answer was lost when
        // the leader stopped, then retried (Fluvio 0.50 has no idempotent producer, so no
        // client can tell); such copies are counted apart, never as acknowledged records.
        let mut lost = 0u64;
        let mut duplicated = 0u64;
        let mut copies = 0u64;
        let mut unacked_seen = 0u64;
        for (ack, at) in acked.iter().zip(&seen.at) {
            match ack {
                Some(pos) => {
                    let hits = at.iter().filter(|a| *a == pos).count() as u64;
                    if hits == 0 {
                        lost += 1;
                    }
                    duplicated += hits.saturating_sub(1);
                    copies += at.len() as u64 - hits;
                }
                None if !at.is_empty() => unacked_seen += 1,
                None => {}
            }
        }
        if copies > 0 {
            eprintln!(
                "demo: {copies} extra copies of acknowledged records at other offsets, written by \
                 attempts whose outcome was lost in the failover and then retried"
            );
        }
        // Each copy comes from a record sent again: never more copies than that.
        let too_many_copies = copies > retried;
        if too_many_copies {
            eprintln!(
                "demo: {copies} copies, more than the {retried} records the producer sent again"
            );
        }
        if unacked_seen > 0 {
            eprintln!(
                "demo: {unacked_seen} records whose produce failed were stored anyway (consumed)"
            );
        }
        if seen.foreign > 0 {
            eprintln!("demo: {} records were not demo records", seen.foreign);
        }
        fluvio.close().await.ok();
        outln!(
            "demo: produced {produced} consumed {} lost {lost} duplicated {duplicated}",
            seen.consumed
        )?;
        let clean = lost == 0
            && duplicated == 0
            && !too_many_copies
            && failures.is_empty()
            && seen.foreign == 0;
        Ok(if clean {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_sequence_number() {
        let v = value(1234);
        assert_eq!(v.len(), VALUE_SIZE);
        assert_eq!(seq_of(&v), Some(1234));
        assert_eq!(seq_of(b"hello"), None);
        assert_eq!(seq_of(b"abcdefghijk"), None);
    }
}
