//! The fault scenarios real processes can do, against real Fluvio clusters started on
//! loopback from a `fluvio-run` binary ([`RealCluster`]; never in CI): leader `kill -9`
//! and restart, follower kill, SC kill and restart, SC connections cut through the fault
//! proxy, and client↔SPU connections cut mid-produce and mid-consume through a fault proxy
//! registered as each SPU's public endpoint ([`RealCluster::start_with_spu_proxies`]). Each run starts its own cluster (3 SPUs), produces to a 1 × 3 topic with a
//! read-committed at-least-once producer while the fault happens, reads the partition back
//! from the beginning with a fresh client, and is judged like the simulated runs: the
//! ground truth is what the surviving replicas serve.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use flv_driver::core::backoff::{RetryPolicy, RetryStrategy};
use flv_driver::core::rng::Rng;
use flv_driver::core::sc::partition::PartitionSpec;
use flv_driver::core::sc::topic::TopicSpec;
use flv_driver::core::spu::Isolation;
use flv_driver::{
    ConsumerConfig, DeliverySemantic, Offset, ProduceOutput, ProducerConfig, RecordKey,
};
use flv_tokio::Fluvio;
use futures_util::StreamExt;

use super::Report;
use crate::proxy::FaultProxy;
use crate::real_cluster::RealCluster;

/// A real-process scenario: a name and a run with a seed on a fresh cluster.
#[derive(Debug, Clone, Copy)]
pub struct RealScenario {
    /// Its name.
    pub name: &'static str,
    fault: Fault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    LeaderKill,
    FollowerKill,
    ScKill,
    ScCuts,
    /// The leader SPU's client connections cut while the producer sends.
    SpuCutsProduce,
    /// The leader SPU's client connections cut while a consumer follows the partition.
    SpuCutsConsume,
}

impl Fault {
    fn spu_proxies(self) -> bool {
        matches!(self, Fault::SpuCutsProduce | Fault::SpuCutsConsume)
    }
}

/// Every real-process scenario.
pub fn real_scenarios() -> Vec<RealScenario> {
    [
        ("real_leader_kill9_restart", Fault::LeaderKill),
        ("real_follower_kill9_restart", Fault::FollowerKill),
        ("real_sc_kill9_restart", Fault::ScKill),
        ("real_sc_connections_cut", Fault::ScCuts),
        ("real_spu_connections_cut_produce", Fault::SpuCutsProduce),
        ("real_spu_connections_cut_consume", Fault::SpuCutsConsume),
    ]
    .into_iter()
    .map(|(name, fault)| RealScenario { name, fault })
    .collect()
}

/// Records each run sends.
const RECORDS: usize = 300;
/// The producer's delivery timeout.
const DELIVERY: Duration = Duration::from_secs(60);
/// The topic of every run.
const TOPIC: &str = "faults";

/// What brings a killed process back.
type Restart = Box<dyn FnMut(&mut RealCluster) -> Result<()>>;

/// One send and its outcome.
struct Sent {
    value: Vec<u8>,
    at: Instant,
    outcome: Option<(Instant, Result<i64, String>)>,
}

/// Runs `s` once with `seed` on a fresh cluster from `bin`; a failure to set the run up
/// is a failed report.
pub fn run_real(bin: &Path, s: &RealScenario, seed: u64) -> Report {
    match run_inner(bin, s, seed) {
        Ok(r) => r,
        Err(e) => Report {
            unresolved: 1,
            violations: vec![format!("run failed: {e:#}")],
            ..Report::default()
        },
    }
}

fn run_inner(bin: &Path, s: &RealScenario, seed: u64) -> Result<Report> {
    let mut rng = Rng::new(seed ^ 0x7ea1_c105_0000_0000);
    let mut cluster = if s.fault.spu_proxies() {
        RealCluster::start_with_spu_proxies(bin, 3)?
    } else {
        RealCluster::start(bin, 3)?
    };
    let admin = cluster.connect()?;
    cluster.block_on(
        admin
            .admin()
            .create(TOPIC, false, TopicSpec::computed(1, 3)),
    )?;
    cluster.wait_topic_online(TOPIC, Duration::from_secs(60))?;
    let proxy = FaultProxy::start(&cluster.sc_addr())?;
    let endpoint = if s.fault == Fault::ScCuts {
        proxy.addr().to_string()
    } else {
        cluster.sc_addr()
    };
    let client = cluster.block_on(Fluvio::connect_with_config(
        &flv_driver::config::ClusterConfig::new(endpoint),
    ))?;
    let producer = cluster.block_on(client.topic_producer_with_config(
        TOPIC,
        ProducerConfig {
            isolation: Isolation::ReadCommitted,
            linger: Duration::from_millis(2),
            delivery_timeout: DELIVERY,
            delivery_semantic: DeliverySemantic::AtLeastOnce(RetryPolicy {
                max_retries: 1000,
                initial_delay: Duration::from_millis(50),
                max_delay: Duration::from_secs(1),
                timeout: DELIVERY,
                strategy: RetryStrategy::FibonacciBackoff,
            }),
            ..ProducerConfig::default()
        },
    ))?;
    // A fresh topic's followers take seconds to start replicating (measured): wait for
    // the first read-committed acknowledgement before the workload.
    let warm = cluster.block_on(async {
        let out = producer.send(RecordKey::NULL, b"warm-up".to_vec()).await?;
        out.wait().await
    });
    warm.context("the warm-up record was not acknowledged")?;
    let leader_id = leader(&cluster, &admin)?;
    let leader_idx = usize::try_from(leader_id - 9000).unwrap_or(1);
    let consumer = if s.fault == Fault::SpuCutsConsume {
        Some(Follower::start(&cluster)?)
    } else {
        None
    };
    // Connections the leader's proxy had accepted before the first cut, and what the
    // consumer had read at the first and the last cut.
    let mut accepted_before = None;
    let mut read_at_cut = (0usize, 0usize);
    let mut open_cut = 0u64;
    let at = usize::try_from(50 + rng.below(100)).unwrap_or(50);
    let down = Duration::from_millis(1000 + rng.below(3000));
    let mut sends: Vec<Sent> = Vec::new();
    let mut outs: Vec<(usize, ProduceOutput)> = Vec::new();
    let mut restart: Option<(Instant, Restart)> = None;
    let mut evidence: Vec<(String, u64)> = Vec::new();
    let mut cuts = 0u64;
    // What the SC reported as the leader's log end minus its high watermark just before a
    // killed follower came back: the high watermark waits for every replica.
    let mut held = 0u64;
    for i in 0..RECORDS {
        if i == at {
            match s.fault {
                Fault::LeaderKill => {
                    let idx = usize::try_from(leader_id - 9000).unwrap_or(1);
                    cluster.kill_spu(idx)?;
                    evidence.push(("leader killed".into(), 1));
                    restart = Some((
                        Instant::now() + down,
                        Box::new(move |c: &mut RealCluster| c.restart_spu(idx)),
                    ));
                }
                Fault::FollowerKill => {
                    let follower = (1..=3usize)
                        .find(|k| cluster.spu_id(*k) != leader_id)
                        .unwrap_or(1);
                    cluster.kill_spu(follower)?;
                    evidence.push(("follower killed".into(), 1));
                    restart = Some((
                        Instant::now() + down,
                        Box::new(move |c: &mut RealCluster| c.restart_spu(follower)),
                    ));
                }
                Fault::ScKill => {
                    cluster.kill_sc()?;
                    evidence.push(("SC killed".into(), 1));
                    restart = Some((
                        Instant::now() + down,
                        Box::new(|c: &mut RealCluster| {
                            c.restart_sc()?;
                            wait_sc(c)
                        }),
                    ));
                }
                Fault::ScCuts | Fault::SpuCutsProduce | Fault::SpuCutsConsume => {}
            }
        }
        if s.fault == Fault::ScCuts && i >= at && (i - at) % 50 == 0 && cuts < 3 {
            proxy.reset();
            cuts += 1;
        }
        if s.fault.spu_proxies()
            && i >= at
            && (i - at) % 50 == 0
            && cuts < 3
            && let Some(p) = cluster.spu_proxy(leader_idx)
        {
            accepted_before.get_or_insert(p.accepted());
            let read = consumer.as_ref().map_or(0, Follower::read);
            if cuts == 0 {
                read_at_cut.0 = read;
            }
            read_at_cut.1 = read;
            open_cut += p.reset() as u64;
            cuts += 1;
        }
        if let Some((when, _)) = &restart
            && Instant::now() >= *when
            && let Some((_, mut f)) = restart.take()
        {
            if s.fault == Fault::FollowerKill {
                held = hw_gap(&cluster, &admin);
            }
            f(&mut cluster)?;
        }
        let value = format!("{seed}:{i:06}").into_bytes();
        let out = cluster.block_on(producer.send(RecordKey::NULL, value.clone()))?;
        outs.push((sends.len(), out));
        sends.push(Sent {
            value,
            at: Instant::now(),
            outcome: None,
        });
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Some((when, mut f)) = restart.take() {
        std::thread::sleep(when.saturating_duration_since(Instant::now()));
        if s.fault == Fault::FollowerKill {
            held = hw_gap(&cluster, &admin);
        }
        f(&mut cluster)?;
    }
    cluster.block_on(async {
        for (i, out) in outs {
            let r = out
                .wait()
                .await
                .map(|m| m.offset)
                .map_err(|e| e.to_string());
            sends[i].outcome = Some((Instant::now(), r));
        }
    });
    let m = client.metrics();
    match s.fault {
        Fault::LeaderKill => {
            let new = leader(&cluster, &admin).unwrap_or(-1);
            evidence.push((
                "client connections to the killed leader broken".into(),
                m.client.connection_failures,
            ));
            evidence.push(("leader is back or replaced".into(), u64::from(new > 0)));
        }
        Fault::FollowerKill => evidence.push((
            "records above the leader's high watermark just before the follower's restart".into(),
            held,
        )),
        Fault::ScKill => evidence.push((
            "client reconnects after the SC came back".into(),
            m.client.connection_failures,
        )),
        Fault::ScCuts => {
            evidence.push(("SC connections cut".into(), cuts));
            evidence.push((
                "SC connections opened again".into(),
                proxy.accepted().saturating_sub(1),
            ));
        }
        Fault::SpuCutsProduce | Fault::SpuCutsConsume => {
            let again = cluster.spu_proxy(leader_idx).map_or(0, |p| {
                p.accepted()
                    .saturating_sub(accepted_before.unwrap_or(u64::MAX))
            });
            evidence.push(("open client↔leader SPU connections cut".into(), open_cut));
            evidence.push(("leader SPU connections opened again".into(), again));
            if s.fault == Fault::SpuCutsProduce {
                evidence.push((
                    "producer's SPU connection broken".into(),
                    m.client.connection_failures,
                ));
            }
        }
    }
    cluster.wait_topic_online(TOPIC, Duration::from_secs(60))?;
    let log = read_back(&cluster)?;
    let mut report = judge(&sends, &log, evidence, m.client.clone());
    if let Some(c) = consumer {
        c.judge(&log, read_at_cut, &mut report);
    }
    Ok(report)
}

/// Records read, as (offset, value).
type Records = Vec<(i64, Vec<u8>)>;

/// A consumer that follows partition 0 from the beginning on its own client while the
/// run produces, through the SPUs' fault proxies.
struct Follower {
    client: Fluvio,
    seen: Arc<Mutex<Records>>,
    errors: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Follower {
    fn start(cluster: &RealCluster) -> Result<Self> {
        let client = cluster.connect()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (s, e) = (Arc::clone(&seen), Arc::clone(&errors));
        let task = cluster.block_on(async {
            let mut stream = client
                .consumer_with_config(ConsumerConfig::new(TOPIC, Offset::beginning()))
                .await?;
            anyhow::Ok(tokio::spawn(async move {
                while let Some(r) = stream.next().await {
                    match r {
                        Ok(r) => lock(&s).push((r.offset, r.value.to_vec())),
                        Err(err) => lock(&e).push(err.to_string()),
                    }
                }
            }))
        })?;
        Ok(Self {
            client,
            seen,
            errors,
            task,
        })
    }

    /// Records read so far.
    fn read(&self) -> usize {
        lock(&self.seen).len()
    }

    /// Waits (at most 30 s) until the consumer has read up to the end of `log`, then
    /// checks it read exactly `log`, in order, and that the cuts fell mid-read.
    fn judge(self, log: &[(i64, Vec<u8>)], read_at_cut: (usize, usize), r: &mut Report) {
        let last = log.last().map(|(o, _)| *o);
        let deadline = Instant::now() + Duration::from_secs(30);
        while lock(&self.seen).last().map(|(o, _)| *o) < last
            && Instant::now() < deadline
            && !self.task.is_finished()
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.task.abort();
        let seen = lock(&self.seen).clone();
        let errors = lock(&self.errors).clone();
        let failures = self.client.metrics().client.connection_failures;
        let got: BTreeMap<i64, &Vec<u8>> = seen.iter().map(|(o, v)| (*o, v)).collect();
        for (o, v) in log {
            if got.get(o) != Some(&v) {
                r.lost += 1;
                r.violations.push(format!(
                    "the consumer missed offset {o} ({:?})",
                    String::from_utf8_lossy(v)
                ));
            }
        }
        if seen.windows(2).any(|w| w[1].0 <= w[0].0) {
            r.reordered += 1;
            r.violations
                .push("the consumer read offsets twice or out of order".into());
        }
        if !errors.is_empty() && seen.len() < log.len() {
            r.violations
                .push(format!("the consumer stream failed: {}", errors.join("; ")));
        }
        r.evidence.push((
            "records the consumer read before the first cut".into(),
            read_at_cut.0 as u64,
        ));
        r.evidence.push((
            "records the consumer read after the last cut".into(),
            seen.len().saturating_sub(read_at_cut.1) as u64,
        ));
        r.evidence
            .push(("consumer's SPU connection broken".into(), failures));
        for (what, n) in &r.evidence[r.evidence.len() - 3..] {
            if *n == 0 {
                r.unfired = 1;
                r.violations.push(format!("fault did not fire: {what}"));
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits (at most 30 s) until a restarted SC accepts clients and sees every SPU again.
fn wait_sc(cluster: &RealCluster) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while cluster.connect().is_err() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the SC did not come back in 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    cluster.wait_spus_online(3, Duration::from_secs(30))
}

/// The leader's log end minus its high watermark, as the SC reports them (0 when unknown).
fn hw_gap(cluster: &RealCluster, admin: &Fluvio) -> u64 {
    let Ok(parts) = cluster.block_on(admin.admin().all::<PartitionSpec>()) else {
        return 0;
    };
    parts
        .iter()
        .find(|p| p.name == format!("{TOPIC}-0"))
        .map_or(0, |p| {
            u64::try_from(p.status.leader.leo - p.status.leader.hw).unwrap_or(0)
        })
}

/// The current leader of partition 0.
fn leader(cluster: &RealCluster, admin: &Fluvio) -> Result<i32> {
    let parts = cluster.block_on(admin.admin().all::<PartitionSpec>())?;
    parts
        .iter()
        .find(|p| p.name == format!("{TOPIC}-0"))
        .map(|p| p.spec.leader)
        .context("no partition")
}

/// Every record of partition 0 as (offset, value), read by a fresh client until 5 s pass
/// without one.
fn read_back(cluster: &RealCluster) -> Result<Vec<(i64, Vec<u8>)>> {
    let reader = cluster.connect()?;
    cluster.block_on(async {
        let mut stream = reader
            .consumer_with_config(ConsumerConfig::new(TOPIC, Offset::beginning()))
            .await?;
        let mut out = Vec::new();
        while let Ok(Some(r)) = tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
            let r = r?;
            out.push((r.offset, r.value.to_vec()));
        }
        Ok(out)
    })
}

/// The checker of real runs: lost, reordered and unresolved as in simulation.
fn judge(
    sends: &[Sent],
    log: &[(i64, Vec<u8>)],
    evidence: Vec<(String, u64)>,
    metrics: flv_driver::core::client::Metrics,
) -> Report {
    let mut r = Report {
        metrics,
        ..Report::default()
    };
    let by_offset: BTreeMap<i64, &Vec<u8>> = log.iter().map(|(o, v)| (*o, v)).collect();
    let mut first: BTreeMap<&Vec<u8>, usize> = BTreeMap::new();
    for (pos, (_, v)) in log.iter().enumerate() {
        first.entry(v).or_insert(pos);
        if first.get(v).is_some_and(|p| *p != pos) {
            r.duplicated += 1;
        }
    }
    let bound = DELIVERY + Duration::from_secs(20);
    let mut max_pos = None;
    for s in sends {
        let Some((when, outcome)) = &s.outcome else {
            r.unresolved += 1;
            continue;
        };
        if when.saturating_duration_since(s.at) > bound {
            r.unresolved += 1;
            r.violations.push(format!(
                "{:?} resolved after {:?}",
                String::from_utf8_lossy(&s.value),
                when.saturating_duration_since(s.at)
            ));
        }
        match outcome {
            Ok(offset) => {
                r.acked += 1;
                if by_offset.get(offset) != Some(&&s.value) {
                    r.lost += 1;
                    r.violations.push(format!(
                        "{:?} acknowledged at {offset}, not in the log there",
                        String::from_utf8_lossy(&s.value)
                    ));
                    continue;
                }
                let pos = first.get(&s.value).copied();
                if pos < max_pos {
                    r.reordered += 1;
                }
                max_pos = max_pos.max(pos);
            }
            Err(e) => {
                if e.contains("outcome is unknown") {
                    r.ambiguous += 1;
                }
            }
        }
    }
    if r.acked == 0 {
        r.violations.push("no record was acknowledged".into());
    }
    for (what, n) in &evidence {
        if *n == 0 {
            r.unfired = 1;
            r.violations.push(format!("fault did not fire: {what}"));
        }
    }
    r.evidence = evidence;
    r
}
