//! The fault scenarios real processes can do, against real Fluvio clusters started on
//! loopback from a `fluvio-run` binary ([`RealCluster`]; never in CI): leader `kill -9`
//! and restart, follower kill, SC kill and restart, SC connections cut through the fault
//! proxy. Each run starts its own cluster (3 SPUs), produces to a 1 × 3 topic with a
//! read-committed at-least-once producer while the fault happens, reads the partition back
//! from the beginning with a fresh client, and is judged like the simulated runs: the
//! ground truth is what the surviving replicas serve.

use std::collections::BTreeMap;
use std::path::Path;
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
}

/// Every real-process scenario.
pub fn real_scenarios() -> Vec<RealScenario> {
    [
        ("real_leader_kill9_restart", Fault::LeaderKill),
        ("real_follower_kill9_restart", Fault::FollowerKill),
        ("real_sc_kill9_restart", Fault::ScKill),
        ("real_sc_connections_cut", Fault::ScCuts),
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
    let mut cluster = RealCluster::start(bin, 3)?;
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
    let at = usize::try_from(50 + rng.below(100)).unwrap_or(50);
    let down = Duration::from_millis(1000 + rng.below(3000));
    let mut sends: Vec<Sent> = Vec::new();
    let mut outs: Vec<(usize, ProduceOutput)> = Vec::new();
    let mut restart: Option<(Instant, Restart)> = None;
    let mut evidence: Vec<(String, u64)> = Vec::new();
    let mut cuts = 0u64;
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
                Fault::ScCuts => {}
            }
        }
        if s.fault == Fault::ScCuts && i >= at && (i - at) % 50 == 0 && cuts < 3 {
            proxy.reset();
            cuts += 1;
        }
        if let Some((when, _)) = &restart
            && Instant::now() >= *when
            && let Some((_, mut f)) = restart.take()
        {
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
            "produce requests retried while the follower was down".into(),
            m.client.produce_retries,
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
    }
    cluster.wait_topic_online(TOPIC, Duration::from_secs(60))?;
    let log = read_back(&cluster)?;
    Ok(judge(&sends, &log, evidence, m.client.clone()))
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
