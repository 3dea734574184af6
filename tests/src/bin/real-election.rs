//! `real-election`: measures, on a real Fluvio cluster, whom the SC elects when the leader
//! dies while its only follower lags by 1, 2, 3, 4, 5 … records, and what happens to the
//! divergent log when the old leader comes back (issue 14). Outside CI: it needs a
//! `fluvio-run` binary.
//!
//! ```text
//! cargo run --release -p flv-tests --bin real-election -- --fluvio-run PATH [--lags 1,2,3,4,5] [--repeats 2]
//! ```
//!
//! Each run starts a fresh cluster (SC + 3 SPUs on loopback) whose SPUs publish fault
//! proxies as their endpoints ([`RealCluster::start_with_spu_proxies`]), creates a topic of
//! one partition with replication 2 and sends 5 read-committed records (`base-1..5`). Then
//! it black-holes the leader's private proxy — the follower's replication connection:
//! unlike `SIGSTOP`, nothing reaches the follower's socket, and the follower stays Online
//! for the SC — sends LAG read-uncommitted records (`lost-i`), waits until the SC knows the
//! leader's new log end, `kill -9`s the leader and cuts the replication connection. It
//! prints whether and when the SC elects the follower. When it does, it sends 3 records to
//! the new leader (`new-i`), restarts the old leader, prints what each replica stores on
//! disk, what a consumer reads and what the SC reports (hw/leo per replica); then 4 more
//! records (`later-i`); then kills the new leader so that the old one leads again, and
//! prints what a consumer reads from it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use flv_driver::core::sc::partition::PartitionSpec;
use flv_driver::{ConsumerConfig, Isolation, Offset, ProducerConfig, RecordKey, TopicSpec};
use flv_tests::real_cluster::RealCluster;
use flv_tokio::Fluvio;
use futures_util::StreamExt;

#[derive(Debug, Parser)]
#[command(
    name = "real-election",
    about = "election threshold and divergent logs on a real cluster"
)]
struct Args {
    /// The `fluvio-run` binary of the real cluster to start.
    #[arg(long, value_name = "PATH", env = "FLUVIO_RUN")]
    fluvio_run: std::path::PathBuf,
    /// Records the follower lags when the leader dies, one run per value.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
    lags: Vec<usize>,
    /// Runs per lag.
    #[arg(long, default_value_t = 2)]
    repeats: usize,
}

const TOPIC: &str = "el";
const PART: &str = "el-0";

fn main() -> Result<()> {
    let args = Args::parse();
    let mut summary = Vec::new();
    for &lag in &args.lags {
        for rep in 1..=args.repeats {
            let line = run(&args.fluvio_run, lag, rep)
                .unwrap_or_else(|e| format!("lag {lag} run {rep}: FAILED: {e:#}"));
            summary.push(line);
        }
    }
    println!("== summary");
    for l in summary {
        println!("{l}");
    }
    Ok(())
}

fn run(bin: &Path, lag: usize, rep: usize) -> Result<String> {
    let mut c = RealCluster::start_with_spu_proxies(bin, 3)?;
    let admin = c.connect()?;
    c.block_on(
        admin
            .admin()
            .create(TOPIC, false, TopicSpec::computed(1, 2)),
    )?;
    c.wait_topic_online(TOPIC, Duration::from_secs(60))?;
    send(&c, "base", 1..=5, Isolation::ReadCommitted)?;
    let p = part(&c, &admin)?;
    let l = p.spec.leader;
    let f = *p
        .spec
        .replicas
        .iter()
        .find(|r| **r != l)
        .context("no follower")?;
    let (li, fi) = (idx(l), idx(f));
    poll(&c, &admin, 10, |p| p.status.leader.leo >= 5)?;
    c.spu_private_proxy(li).context("proxy")?.black_hole(true);
    send(&c, "lost", 1..=lag, Isolation::ReadUncommitted)?;
    let known = poll(&c, &admin, 15, |p| p.status.leader.leo >= 5 + lag as i64)?;
    let before = show(&part(&c, &admin)?);
    println!(
        "lag {lag} run {rep}: leader {l} follower {f}; SC knew the leader's leo after {known}: {before}"
    );
    c.kill_spu(li)?;
    let proxy = c.spu_private_proxy(li).context("proxy")?;
    proxy.reset();
    proxy.black_hole(false);
    let killed = Instant::now();
    let elected = poll(&c, &admin, 20, |p| {
        p.spec.leader == f && p.status.is_online()
    });
    let now = show(&part(&c, &admin)?);
    println!(
        "   leader {l} killed: follower {f} elected+Online: {}: {now}",
        shown(&elected)
    );
    println!("   follower {f} stores: {}", on_disk(&c, fi));
    let Ok(elected) = elected else {
        c.restart_spu(li)?;
        let back = poll(&c, &admin, 30, |p| {
            p.spec.leader == l && p.status.is_online()
        });
        println!(
            "   old leader {l} restarted: leads again: {}: {}",
            shown(&back),
            show(&part(&c, &admin)?)
        );
        println!("   a consumer reads: {}", read(&c)?);
        return Ok(format!(
            "lag {lag} run {rep}: NOT elected ({:.1} s after the kill: {now}); old leader back: {}; reads {}",
            shown(&back),
            killed.elapsed().as_secs_f64(),
            read(&c)?
        ));
    };
    send(&c, "new", 1..=3, Isolation::ReadUncommitted)?;
    c.restart_spu(li)?;
    let caught = poll(&c, &admin, 20, |p| {
        p.status
            .replicas
            .iter()
            .any(|r| r.spu == l && r.leo >= p.status.leader.leo)
    });
    let after = show(&part(&c, &admin)?);
    println!(
        "   old leader {l} restarted after 3 records to {f}: replica leo caught up {}: {after}",
        shown(&caught)
    );
    println!("   stores: {l}: {}", on_disk(&c, li));
    println!("           {f}: {}", on_disk(&c, fi));
    let reads_f = read(&c)?;
    println!("   a consumer reads (leader {f}): {reads_f}");
    send(&c, "later", 1..=4, Isolation::ReadUncommitted)?;
    let caught2 = poll(&c, &admin, 20, |p| {
        p.status
            .replicas
            .iter()
            .any(|r| r.spu == l && r.leo >= p.status.leader.leo)
    });
    println!(
        "   4 more records: caught up {}: {}",
        shown(&caught2),
        show(&part(&c, &admin)?)
    );
    println!("   stores: {l}: {}", on_disk(&c, li));
    println!("           {f}: {}", on_disk(&c, fi));
    c.kill_spu(fi)?;
    let back = poll(&c, &admin, 30, |p| {
        p.spec.leader == l && p.status.is_online()
    });
    let reads_l = read(&c)?;
    println!(
        "   new leader {f} killed: old leader {l} leads: {}: {}",
        shown(&back),
        show(&part(&c, &admin)?)
    );
    println!("   a consumer reads (leader {l}): {reads_l}");
    Ok(format!(
        "lag {lag} run {rep}: elected in {elected}; after the old leader's return {l} stores [{}], reads via {f} [{reads_f}], via {l} [{reads_l}]",
        on_disk(&c, li)
    ))
}

/// A poll's outcome for the report: the time it took, or why not.
fn shown(r: &Result<String>) -> String {
    match r {
        Ok(t) => t.clone(),
        Err(e) => e.to_string(),
    }
}

fn idx(spu: i32) -> usize {
    usize::try_from(spu - 9000).unwrap_or(1)
}

/// Sends `prefix-i` for each `i` with `isolation` on a fresh client, waiting for each.
fn send(
    c: &RealCluster,
    prefix: &str,
    range: impl Iterator<Item = usize>,
    isolation: Isolation,
) -> Result<()> {
    let client = c.connect()?;
    c.block_on(async {
        let producer = client
            .topic_producer_with_config(
                TOPIC,
                ProducerConfig {
                    isolation,
                    linger: Duration::ZERO,
                    ..ProducerConfig::default()
                },
            )
            .await?;
        for i in range {
            let out = producer
                .send(RecordKey::NULL, format!("{prefix}-{i}").into_bytes())
                .await?;
            tokio::time::timeout(Duration::from_secs(30), out.wait())
                .await
                .context("30 s without an acknowledgement")??;
        }
        anyhow::Ok(())
    })
}

fn part(c: &RealCluster, admin: &Fluvio) -> Result<flv_driver::core::sc::Metadata<PartitionSpec>> {
    let parts = c.block_on(admin.admin().all::<PartitionSpec>())?;
    parts
        .into_iter()
        .find(|p| p.name == PART)
        .context("no partition")
}

/// Polls the partition every 50 ms until `ok` (at most `secs`): the time it took.
fn poll(
    c: &RealCluster,
    admin: &Fluvio,
    secs: u64,
    ok: impl Fn(&flv_driver::core::sc::Metadata<PartitionSpec>) -> bool,
) -> Result<String> {
    let start = Instant::now();
    loop {
        if let Ok(p) = part(c, admin)
            && ok(&p)
        {
            return Ok(format!("{} ms", start.elapsed().as_millis()));
        }
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(secs),
            "not within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn show(p: &flv_driver::core::sc::Metadata<PartitionSpec>) -> String {
    let reps: Vec<String> = p
        .status
        .replicas
        .iter()
        .map(|r| format!("{}:{}/{}", r.spu, r.hw, r.leo))
        .collect();
    format!(
        "leader {} {:?} hw/leo {}/{} followers(spu:hw/leo) {}",
        p.spec.leader,
        p.status.resolution,
        p.status.leader.hw,
        p.status.leader.leo,
        reps.join(" ")
    )
}

/// What a fresh consumer reads from the beginning (until 3 s pass without a record).
fn read(c: &RealCluster) -> Result<String> {
    let client = c.connect()?;
    c.block_on(async {
        let mut stream = client
            .consumer_with_config(ConsumerConfig::new(TOPIC, Offset::beginning()))
            .await?;
        let mut out = Vec::new();
        while let Ok(Some(r)) = tokio::time::timeout(Duration::from_secs(3), stream.next()).await {
            let r = r?;
            out.push(format!(
                "{}={}",
                r.offset,
                String::from_utf8_lossy(&r.value)
            ));
        }
        Ok(out.join(" "))
    })
}

/// The record values SPU `i` stores for the partition, in file order (its segment files
/// read raw).
fn on_disk(c: &RealCluster, i: usize) -> String {
    let mut files = Vec::new();
    collect(&c.dir().join(format!("spu{i}")), &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for (pos, _) in text.match_indices('-') {
            let head = &text[..pos];
            let word: String = head
                .chars()
                .rev()
                .take_while(char::is_ascii_lowercase)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let digits: String = text[pos + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if ["base", "lost", "new", "later"].contains(&word.as_str()) && !digits.is_empty() {
                out.push(format!("{word}-{digits}"));
            }
        }
    }
    out.join(" ")
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.to_string_lossy().contains(PART)
            && path.extension().is_some_and(|x| x == "log")
        {
            out.push(path);
        }
    }
}
