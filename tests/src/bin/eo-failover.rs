//! `eo-failover`: exactly-once produce across leader failovers on a real Fluvio cluster
//! (issue 15). Outside CI: it needs a `fluvio-run` binary.
//!
//! ```text
//! cargo run --release -p flv-tests --bin eo-failover -- --fluvio-run PATH \
//!     [--kills 10] [--rate 2000] [--down-secs 3] [--exactly-once false]
//! ```
//!
//! Starts a real cluster (SC + 3 SPUs on loopback), creates a topic of one partition with
//! replication 3, and produces paced, read-committed records `00000000`, `00000001`, …
//! with flv while it kills the partition's leader (`kill -9`) and restarts it
//! `--down-secs` later, `--kills` times. Then it reads the whole partition back and
//! checks that every send was acknowledged and every record is in the log exactly once
//! at the offset it was acknowledged with. Exit status 0 only then. The last line is
//! `eo-failover: sent N acknowledged A failed F in-log L duplicates D missing M misplaced P
//! kills K`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use flv_driver::config::ClusterConfig;
use flv_driver::{ConsumerConfig, Isolation, Offset, ProducerConfig, RecordKey, TopicSpec};
use flv_tests::real_cluster::{RealCluster, wait_partitions_online};
use flv_tokio::{Fluvio, Tokio};
use futures_util::StreamExt;

#[derive(Debug, Parser)]
#[command(
    name = "eo-failover",
    about = "exactly-once produce across leader kills"
)]
struct Args {
    /// The `fluvio-run` binary of the real cluster to start.
    #[arg(long, value_name = "PATH", env = "FLUVIO_RUN")]
    fluvio_run: std::path::PathBuf,
    /// Leader kills (each followed by a restart).
    #[arg(long, default_value_t = 10)]
    kills: usize,
    /// Records per second.
    #[arg(long, default_value_t = 2000)]
    rate: u64,
    /// Seconds a killed leader stays down.
    #[arg(long, default_value_t = 3)]
    down_secs: u64,
    /// Seconds between a restart and the next kill.
    #[arg(long, default_value_t = 2)]
    up_secs: u64,
    /// The producer's exactly-once switch (false shows what happens without it).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    exactly_once: bool,
}

const TOPIC: &str = "eo-failover";

fn main() -> Result<()> {
    let args = Args::parse();
    let mut cluster = RealCluster::start(&args.fluvio_run, 3)?;
    println!(
        "eo-failover: real cluster at {} (data in {})",
        cluster.sc_addr(),
        cluster.dir().display()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let addr = cluster.sc_addr();
    let connect = {
        let handle = rt.handle().clone();
        move |addr: String| {
            let handle = handle.clone();
            async move {
                Fluvio::connect_with_runtime(Tokio::new(handle), &ClusterConfig::new(addr))
                    .await
                    .context("flv connects")
            }
        }
    };
    let flv = rt.block_on(connect(addr.clone()))?;
    rt.block_on(async {
        flv.admin()
            .create(TOPIC.to_string(), false, TopicSpec::computed(1, 3))
            .await
            .context("create topic")?;
        wait_partitions_online(&flv, TOPIC, Duration::from_secs(60)).await
    })?;

    // The producer: paced sends until told to stop, then a flush and every outcome.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let config = ProducerConfig {
        isolation: Isolation::ReadCommitted,
        exactly_once: args.exactly_once,
        delivery_timeout: Duration::from_secs(120),
        ..ProducerConfig::default()
    };
    let producer = {
        let (stop, sent, flv) = (Arc::clone(&stop), Arc::clone(&sent), flv.clone());
        let period = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
        rt.spawn(async move {
            let producer = flv.topic_producer_with_config(TOPIC, config).await?;
            let mut outs = Vec::new();
            let mut tick = tokio::time::interval(period);
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let out = producer
                    .send(RecordKey::NULL, format!("{i:08}"))
                    .await
                    .with_context(|| format!("send {i}"))?;
                outs.push((i, out));
                i += 1;
                sent.store(i, Ordering::Relaxed);
            }
            let flushed = producer.flush().await;
            let mut acked: BTreeMap<u64, i64> = BTreeMap::new();
            let mut failed = Vec::new();
            for (i, out) in outs {
                match out.wait().await {
                    Ok(meta) => {
                        acked.insert(i, meta.offset);
                    }
                    Err(e) => failed.push((i, e.to_string())),
                }
            }
            anyhow::Ok((i, acked, failed, flushed.err().map(|e| e.to_string())))
        })
    };

    for k in 1..=args.kills {
        std::thread::sleep(Duration::from_secs(args.up_secs));
        let leader = flv
            .with_metadata(|m| m.leader(TOPIC, 0))
            .context("the partition has no leader")?;
        let i = usize::try_from(leader - 9000).context("SPU id")?;
        let at = sent.load(Ordering::Relaxed);
        cluster.kill_spu(i)?;
        let down = Instant::now();
        // The SC elects another leader (seen by the producer's client) while it is down.
        let mut elected = None;
        while down.elapsed() < Duration::from_secs(args.down_secs) {
            let now = flv.with_metadata(|m| m.leader(TOPIC, 0));
            if elected.is_none() && now.is_some_and(|l| l != leader) {
                elected = now;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        println!(
            "kill {k}: leader SPU {leader} killed after {at} sends; elected while down: {elected:?}"
        );
        cluster.restart_spu(i)?;
        cluster.wait_spus_online(3, Duration::from_secs(60))?;
        let now = flv.with_metadata(|m| m.leader(TOPIC, 0));
        println!("kill {k}: SPU {leader} restarted and online; partition leader now {now:?}");
    }
    std::thread::sleep(Duration::from_secs(args.up_secs));
    stop.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let (total, acked, failed, flush_error) = rt.block_on(producer)??;
    println!(
        "producer done {:.1} s after the last send; flush: {}",
        started.elapsed().as_secs_f64(),
        flush_error.as_deref().unwrap_or("ok")
    );
    for (i, e) in failed.iter().take(5) {
        println!("  failed send {i}: {e}");
    }

    // Read the partition back: every value and its offsets.
    let log = rt.block_on(async {
        let reader = connect(addr.clone()).await?;
        let end = reader.fetch(TOPIC, 0, 0, 1).await?.high_watermark;
        let mut stream = reader
            .consumer_with_config(ConsumerConfig {
                disable_continuous: true,
                ..ConsumerConfig::new(TOPIC, Offset::beginning())
            })
            .await?;
        let mut log: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
        let mut read = 0i64;
        while read < end {
            match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
                Ok(Some(Ok(r))) => {
                    read += 1;
                    let v: u64 = std::str::from_utf8(&r.value)?.parse()?;
                    log.entry(v).or_default().push(r.offset);
                }
                Ok(Some(Err(e))) => bail!("read back: {e}"),
                Ok(None) => break,
                Err(_) => bail!("read back stalled at {read} of {end}"),
            }
        }
        anyhow::Ok(log)
    })?;
    let m = flv.metrics().client.clone();
    println!(
        "client: produce retries {}, read-backs {}, connection failures {}",
        m.produce_retries, m.produce_read_backs, m.connection_failures
    );
    let in_log: usize = log.values().map(Vec::len).sum();
    let duplicates: usize = log.values().map(|o| o.len() - 1).sum();
    let missing = (0..total).filter(|i| !log.contains_key(i)).count();
    let misplaced = acked
        .iter()
        .filter(|(i, off)| !log.get(i).is_some_and(|o| o.contains(off)))
        .count();
    println!(
        "eo-failover: sent {total} acknowledged {} failed {} in-log {in_log} duplicates {duplicates} missing {missing} misplaced {misplaced} kills {}",
        acked.len(),
        failed.len(),
        args.kills
    );
    if acked.len() as u64 != total || duplicates > 0 || missing > 0 || misplaced > 0 {
        bail!("not exactly once");
    }
    Ok(())
}
