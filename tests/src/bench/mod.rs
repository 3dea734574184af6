//! `flv-bench`: flv against the official `fluvio` 0.50 client, same workloads, same
//! cluster, alternating runs (flv, official, flv, official, ...).
//!
//! Each run connects a fresh client, produces to (or consumes from) its own topic and
//! reports: records delivered out of expected (never hidden: the official consumer skips
//! the records of batches cut at `max_bytes`), records/s, MB/s (payload bytes), CPU seconds
//! per GB of payload (process CPU from `getrusage`, and the CPU of the threads that are not
//! the embedded mock cluster's), and for the open-loop latency runs p50/p99/p99.9 measured
//! from each record's scheduled send time (no coordinated omission).
//!
//! Workloads (counts scale with `--records N`, the catch-up consume count):
//! - produce 5 KiB records with upstream's default producer config (batch 16 KiB, linger 0),
//!   on 1 and 3 partitions: N / 50 records;
//! - produce 100 B records (default config), 1 and 3 partitions: N / 5 records;
//! - produce 5 KiB records in 1 MiB batches (upstream benchmark matrix), 1 partition: N / 50;
//! - open-loop latency, 5 KiB records, 1 partition, at half of the median max rate of each
//!   client (both clients run at both rates);
//! - catch-up consume of N × 1 KiB records from the beginning, 1 and 3 partitions.
//!
//! Topics are never churned: a real SPU can leave a partition created right after a delete
//! Offline for good, so the bench creates each topic it needs once (`flv-bench-produce-p1`,
//! `flv-bench-consume-1000000-p3`, ...), reuses it across runs (and across invocations: a
//! consume topic that already holds its records is not loaded again), waits until every
//! partition of it is Online before timing anything, and stops with the names of the
//! partitions that are not when the cluster is unhealthy.
//!
//! The produce and latency topics keep at most [`RETAINED`] bytes per partition
//! (segments of [`SEGMENT`] bytes), as a topic of a real cluster keeps a bounded size:
//! the embedded mock cluster holds its logs in memory, and without retention a few runs
//! at a million records per second kept gigabytes, faulting in fresh pages on every
//! request until the machine reclaimed memory. The consume topics keep everything.

mod flv_side;
mod official;
mod report;
pub mod stats;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use flv_driver::core::sc::topic::{ReplicaSpec, TopicSpec, TopicStorageConfig};
use hdrhistogram::Histogram;

pub use flv_side::FlvSide;
pub use official::OfficialSide;
use report::Table;

/// Bytes a partition of a produce or latency topic keeps (see the module documentation).
pub const RETAINED: u64 = 256 * 1024 * 1024;
/// Segment size of those topics.
pub const SEGMENT: u32 = 64 * 1024 * 1024;
use stats::Cpu;

/// A run that makes no progress for this long is stopped and reported as stalled.
pub const IDLE: Duration = Duration::from_secs(5);

/// How long a topic's partitions may take to come Online before the bench calls the
/// cluster unhealthy.
pub const ONLINE_TIMEOUT: Duration = Duration::from_secs(30);

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// SC address of the cluster.
    pub cluster: String,
    /// Runs per client and workload.
    pub runs: usize,
    /// Records of the catch-up consume (the other counts derive from it).
    pub records: u64,
    /// Latency rates (records/s); empty = half of each client's median max rate.
    pub rates: Vec<f64>,
    /// Length of each latency run.
    pub latency_secs: f64,
    /// Workload names to run (empty = all): `produce-5k`, `produce-100b`, `produce-1mib`,
    /// `latency`, `consume`.
    pub only: Vec<String>,
    /// Clients to run: `flv`, `official` (empty = both).
    pub clients: Vec<String>,
    /// Partition counts to run (empty = 1 and 3).
    pub partitions: Vec<u32>,
}

impl Options {
    fn wants(&self, workload: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|w| w == workload)
    }

    fn partition_counts(&self) -> Vec<u32> {
        if self.partitions.is_empty() {
            vec![1, 3]
        } else {
            self.partitions.clone()
        }
    }
}

/// One produce workload.
#[derive(Debug, Clone)]
pub struct ProduceSpec {
    /// Records to send.
    pub records: u64,
    /// Bytes per record value (no key).
    pub size: usize,
    /// The producer's `batch_size`.
    pub batch_size: usize,
    /// The producer's `max_request_size`: upstream's default 1 MiB, or 32 MiB (upstream
    /// benchmark's default) for 1 MiB batches, which the default would refuse.
    pub max_request_size: usize,
    /// Poorly compressible bytes, shared by the values.
    template: Arc<Vec<u8>>,
}

impl ProduceSpec {
    /// `records` values of `size` bytes in batches of `batch_size`.
    pub fn new(records: u64, size: usize, batch_size: usize) -> Self {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let template = (0..size.max(8))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        Self {
            records,
            size: size.max(8),
            batch_size,
            max_request_size: if batch_size >= 1 << 20 {
                32 << 20
            } else {
                1 << 20
            },
            template: Arc::new(template),
        }
    }

    /// The value of record `i`: a fresh `Vec` (as an application would hand over), the
    /// template with `i` in its first 8 bytes.
    pub fn value(&self, i: u64) -> Vec<u8> {
        let mut v = self.template.to_vec();
        v[..8].copy_from_slice(&i.to_le_bytes());
        v
    }
}

/// The outcome of a throughput run.
#[derive(Debug, Clone, Default)]
pub struct RunOut {
    /// Records the run should deliver.
    pub expected: u64,
    /// Records delivered (acknowledged by the cluster, or received by the consumer).
    pub delivered: u64,
    /// Payload bytes delivered.
    pub bytes: u64,
    /// From the first send (or the consumer's start) to the last acknowledgement (record).
    pub elapsed: Duration,
    /// CPU used meanwhile.
    pub cpu: Cpu,
}

impl RunOut {
    /// Delivered records per second.
    pub fn records_per_sec(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Delivered payload MB (10^6 bytes) per second.
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// CPU seconds per GB (10^9 bytes) of payload: (client threads, process).
    pub fn cpu_per_gb(&self) -> (f64, f64) {
        let gb = (self.bytes as f64 / 1e9).max(1e-12);
        (self.cpu.client / gb, self.cpu.process / gb)
    }
}

/// The outcome of a consume run.
#[derive(Debug, Clone, Default)]
pub struct ConsumeOut {
    /// Throughput.
    pub run: RunOut,
    /// Errors the stream yielded.
    pub errors: u64,
    /// The stream stood still for [`IDLE`] before every partition's last record came.
    pub stalled: bool,
}

/// The outcome of an open-loop latency run.
#[derive(Debug, Clone)]
pub struct LatencyOut {
    /// Records scheduled.
    pub expected: u64,
    /// Records acknowledged.
    pub delivered: u64,
    /// Time the sender took to hand over every record.
    pub elapsed: Duration,
    /// Scheduled send → acknowledgement, microseconds.
    pub hist: Histogram<u64>,
}

/// A client under test; every call connects a fresh client and closes it at the end.
pub trait Side {
    /// `flv` or `official`.
    fn name(&self) -> &'static str;
    /// Sends `spec.records` records to `topic` as fast as the client takes them.
    fn produce(&self, addr: &str, topic: &str, spec: &ProduceSpec) -> Result<RunOut>;
    /// Sends `spec.records` records at `rate` records/s, open loop.
    fn latency(&self, addr: &str, topic: &str, spec: &ProduceSpec, rate: f64)
    -> Result<LatencyOut>;
    /// Reads `topic` from the beginning until the record before `ends[p]` of each
    /// partition `p` arrived (or the stream stalls).
    fn consume(
        &self,
        addr: &str,
        topic: &str,
        ends: &BTreeMap<u32, i64>,
        size: usize,
    ) -> Result<ConsumeOut>;
}

/// The bench: clients, the admin connection, and the results so far.
pub struct Bench {
    opts: Options,
    flv: FlvSide,
    sides: Vec<Box<dyn Side>>,
    admin: flv_tokio::Fluvio,
    /// Topics created (or found) so far.
    topics: BTreeSet<String>,
    /// Median records/s per (workload label, client).
    pub medians: BTreeMap<(String, String), f64>,
}

impl Bench {
    /// Connects the admin client.
    pub fn new(opts: Options) -> Result<Self> {
        // The admin client and the loader run on their own runtime (`bench-admin` threads).
        let flv = FlvSide::new("bench-admin")?;
        let admin = flv.block_on(flv.connect(&opts.cluster))?;
        let mut sides: Vec<Box<dyn Side>> = Vec::new();
        for name in ["flv", "official"] {
            if opts.clients.is_empty() || opts.clients.iter().any(|c| c == name) {
                sides.push(match name {
                    "flv" => Box::new(FlvSide::new("flv-tokio")?),
                    _ => Box::new(OfficialSide),
                });
            }
        }
        Ok(Self {
            opts,
            flv,
            sides,
            admin,
            topics: BTreeSet::new(),
            medians: BTreeMap::new(),
        })
    }

    /// The topic `name` with `partitions` partitions, created if the cluster does not have
    /// it (with `retain`, its partitions keep at most [`RETAINED`] bytes), once every
    /// partition is Online.
    fn topic(&mut self, name: &str, partitions: u32, retain: bool) -> Result<String> {
        if self.topics.contains(name) {
            return Ok(name.to_string());
        }
        let admin = self.admin.admin();
        let existing = self
            .flv
            .block_on(admin.list::<TopicSpec, _>(vec![name.to_string()]))
            .with_context(|| format!("list topic {name}"))?;
        match existing.iter().find(|t| t.name == name) {
            Some(t) => {
                let have = match &t.spec.replicas {
                    ReplicaSpec::Computed(p) => Some(p.partitions),
                    ReplicaSpec::Assigned(maps) => u32::try_from(maps.len()).ok(),
                    ReplicaSpec::Mirror(_) => None,
                };
                anyhow::ensure!(
                    have == Some(partitions),
                    "topic {name} exists with {have:?} partitions, not {partitions}: delete it (flv topic delete {name}) or use another cluster"
                );
                println!("  (reusing topic {name})");
            }
            None => {
                let mut spec = TopicSpec::computed(partitions, 1);
                if retain {
                    spec.storage = Some(TopicStorageConfig {
                        segment_size: Some(SEGMENT),
                        max_partition_size: Some(RETAINED),
                    });
                }
                self.flv
                    .block_on(admin.create(name, false, spec))
                    .with_context(|| format!("create topic {name}"))?;
            }
        }
        self.flv
            .block_on(crate::real_cluster::wait_partitions_online(
                &self.admin,
                name,
                ONLINE_TIMEOUT,
            ))
            .with_context(|| format!("topic {name}"))?;
        self.topics.insert(name.to_string());
        Ok(name.to_string())
    }

    /// The produce (and latency) topic of `partitions` partitions.
    fn produce_topic(&mut self, partitions: u32) -> Result<String> {
        self.topic(
            &format!("flv-bench-produce-p{partitions}"),
            partitions,
            true,
        )
    }

    /// Waits for the process to go quiet before the next run (see [`stats::settle`]);
    /// says so when that took more than a second.
    fn settle(&self) {
        let waited = stats::settle(Duration::from_secs(10));
        if waited > Duration::from_secs(1) {
            println!(
                "  (waited {:.1} s for the process to go quiet after that run)",
                waited.as_secs_f64()
            );
        }
    }

    /// Runs every workload the options select; prints as it goes.
    pub fn run(&mut self) -> Result<()> {
        let n = self.opts.records;
        for p in self.opts.partition_counts() {
            if self.opts.wants("produce-5k") {
                let spec = ProduceSpec::new((n / 50).max(1), 5 * 1024, 16_384);
                let label = format!("produce 5 KiB p{p}");
                self.produce(
                    &label,
                    "5 KiB records, default producer config (batch 16 KiB, linger 0)",
                    p,
                    &spec,
                )?;
                if p == 1 && self.opts.wants("latency") {
                    self.latency(&spec)?;
                }
            } else if p == 1 && self.opts.wants("latency") {
                let spec = ProduceSpec::new((n / 50).max(1), 5 * 1024, 16_384);
                self.latency(&spec)?;
            }
            if self.opts.wants("produce-100b") {
                let spec = ProduceSpec::new((n / 5).max(1), 100, 16_384);
                let label = format!("produce 100 B p{p}");
                self.produce(&label, "100 B records, default producer config", p, &spec)?;
            }
            if p == 1 && self.opts.wants("produce-1mib") {
                let spec = ProduceSpec::new((n / 50).max(1), 5 * 1024, 1 << 20);
                self.produce(
                    "produce 5 KiB 1 MiB batches p1",
                    "5 KiB records in 1 MiB batches (max request 32 MiB, as upstream's benchmark)",
                    p,
                    &spec,
                )?;
            }
            if self.opts.wants("consume") {
                self.consume(p, n)?;
            }
        }
        Ok(())
    }

    fn produce(
        &mut self,
        label: &str,
        what: &str,
        partitions: u32,
        spec: &ProduceSpec,
    ) -> Result<()> {
        println!(
            "\n== {label}: {what}, {partitions} partition(s), {} records",
            spec.records
        );
        let mut table = Table::throughput();
        for run in 1..=self.opts.runs {
            for i in 0..self.sides.len() {
                let topic = self.produce_topic(partitions)?;
                let out = self.sides[i].produce(&self.opts.cluster, &topic, spec);
                self.settle();
                let name = self.sides[i].name();
                table.row(run, name, out.as_ref().ok(), None);
                if let Err(e) = out {
                    println!("  run {run} {name}: failed: {e:#}");
                }
            }
        }
        table.summary(label, &mut self.medians);
        Ok(())
    }

    fn latency(&mut self, spec: &ProduceSpec) -> Result<()> {
        let rates = if self.opts.rates.is_empty() {
            let label = "produce 5 KiB p1";
            let mut rates: Vec<f64> = self
                .sides
                .iter()
                .filter_map(|s| self.medians.get(&(label.to_string(), s.name().to_string())))
                .map(|r| (r / 2.0).round())
                .filter(|r| *r >= 1.0)
                .collect();
            rates.sort_by(f64::total_cmp);
            rates.dedup();
            if rates.is_empty() {
                rates.push(1000.0);
            }
            rates
        } else {
            self.opts.rates.clone()
        };
        for rate in rates {
            let count = ((rate * self.opts.latency_secs) as u64).max(10);
            let spec = ProduceSpec {
                records: count,
                ..spec.clone()
            };
            println!(
                "\n== latency 5 KiB p1: open loop at {rate:.0} records/s for {:.1} s ({count} records), from scheduled send to acknowledgement",
                self.opts.latency_secs
            );
            let mut table = Table::latency();
            for run in 1..=self.opts.runs {
                for i in 0..self.sides.len() {
                    let topic = self.produce_topic(1)?;
                    let out = self.sides[i].latency(&self.opts.cluster, &topic, &spec, rate);
                    self.settle();
                    let name = self.sides[i].name();
                    match out {
                        Ok(out) => table.latency_row(run, name, &out),
                        Err(e) => println!("  run {run} {name}: failed: {e:#}"),
                    }
                }
            }
            table.latency_summary();
        }
        Ok(())
    }

    fn consume(&mut self, partitions: u32, n: u64) -> Result<()> {
        let size = 1024;
        let topic = self.topic(
            &format!("flv-bench-consume{n}-p{partitions}"),
            partitions,
            false,
        )?;
        let ends = self.flv.ends(&self.opts.cluster, &topic, partitions)?;
        let held: i64 = ends.values().sum();
        let ends = if held == 0 {
            println!(
                "\n== consume 1 KiB p{partitions}: catch-up read of {n} records from the beginning, {partitions} partition(s) (loading with flv...)"
            );
            let spec = ProduceSpec::new(n, size, 16_384);
            self.flv.load(&self.opts.cluster, &topic, &spec)?
        } else {
            println!(
                "\n== consume 1 KiB p{partitions}: catch-up read of {n} records from the beginning, {partitions} partition(s) (loaded before)"
            );
            ends
        };
        let loaded: i64 = ends.values().sum();
        anyhow::ensure!(
            loaded == n as i64,
            "topic {topic} holds {loaded} records, not {n}: delete it (flv topic delete {topic}) to load it again"
        );
        let mut table = Table::throughput();
        for run in 1..=self.opts.runs {
            for side in &self.sides {
                let out = side.consume(&self.opts.cluster, &topic, &ends, size);
                match &out {
                    Ok(c) => {
                        let note = (c.errors > 0 || c.stalled).then(|| {
                            format!(
                                "{} stream error(s){}",
                                c.errors,
                                if c.stalled {
                                    ", stalled before the end"
                                } else {
                                    ""
                                }
                            )
                        });
                        table.row(run, side.name(), Some(&c.run), note.as_deref());
                    }
                    Err(e) => {
                        table.row(run, side.name(), None, None);
                        println!("  run {run} {}: failed: {e:#}", side.name());
                    }
                }
            }
        }
        table.summary(&format!("consume 1 KiB p{partitions}"), &mut self.medians);
        Ok(())
    }

    /// `flv ÷ official` of the median records/s of `label`, if both ran.
    pub fn ratio(&self, label: &str) -> Option<f64> {
        let get = |c: &str| {
            self.medians
                .get(&(label.to_string(), c.to_string()))
                .copied()
        };
        match (get("flv"), get("official")) {
            (Some(f), Some(o)) if o > 0.0 => Some(f / o),
            _ => None,
        }
    }
}
