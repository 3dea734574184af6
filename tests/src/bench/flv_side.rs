//! flv's side of `flv-bench`: `flv_tokio::Fluvio` on a two-worker tokio runtime.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use flv_driver::config::ClusterConfig;
use flv_driver::{ConsumerConfig, Offset, ProducerConfig, RecordKey};
use flv_tokio::{Fluvio, Tokio};
use futures_util::StreamExt;

use super::stats::{self, Cpu, Progress};
use super::{ConsumeOut, LatencyOut, ProduceSpec, RunOut, Side};

/// flv on its own tokio runtime.
pub struct FlvSide {
    rt: tokio::runtime::Runtime,
}

impl FlvSide {
    /// A two-worker runtime (the machine the numbers are quoted for has two cores) with
    /// threads named `thread_name`.
    pub fn new(thread_name: &str) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(thread_name)
            .enable_all()
            .build()?;
        Ok(Self { rt })
    }

    /// Runs `f` on the runtime, from this thread.
    pub fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.rt.block_on(f)
    }

    /// A connected client.
    pub async fn connect(&self, addr: &str) -> Result<Fluvio> {
        let rt = Tokio::new(self.rt.handle().clone());
        Fluvio::connect_with_runtime(rt, &ClusterConfig::new(addr))
            .await
            .with_context(|| format!("flv connects to {addr}"))
    }

    /// Each partition's high watermark (end offset) of `topic`, for partitions `0..partitions`.
    pub fn ends(&self, addr: &str, topic: &str, partitions: u32) -> Result<BTreeMap<u32, i64>> {
        self.rt.block_on(async {
            let fluvio = self.connect(addr).await?;
            let mut ends = BTreeMap::new();
            for p in 0..partitions {
                let out = fluvio
                    .fetch(topic, p, 0, 1)
                    .await
                    .with_context(|| format!("end offset of {topic}-{p}"))?;
                ends.insert(p, out.high_watermark);
            }
            let _ = fluvio.close().await;
            Ok(ends)
        })
    }

    /// Loads `spec.records` records into `topic` (untimed); returns each partition's end
    /// offset.
    pub fn load(&self, addr: &str, topic: &str, spec: &ProduceSpec) -> Result<BTreeMap<u32, i64>> {
        self.rt.block_on(async {
            let fluvio = self.connect(addr).await?;
            let producer = fluvio
                .topic_producer_with_config(topic, Self::producer_config(spec))
                .await?;
            let mut ends = BTreeMap::new();
            let mut outputs = Vec::new();
            for i in 0..spec.records {
                outputs.push(producer.send(RecordKey::NULL, spec.value(i)).await?);
                if outputs.len() >= 100_000 {
                    note_ends(&mut ends, std::mem::take(&mut outputs)).await?;
                }
            }
            producer.flush().await?;
            note_ends(&mut ends, outputs).await?;
            drop(producer);
            let _ = fluvio.close().await;
            Ok(ends)
        })
    }

    /// The producer's configuration; `FLV_BENCH_EXACTLY_ONCE=0` turns exactly-once off
    /// (to measure what it costs).
    fn producer_config(spec: &ProduceSpec) -> ProducerConfig {
        ProducerConfig {
            batch_size: spec.batch_size,
            max_request_size: spec.max_request_size,
            exactly_once: std::env::var("FLV_BENCH_EXACTLY_ONCE").map_or(true, |v| v != "0"),
            ..ProducerConfig::default()
        }
    }
}

impl Side for FlvSide {
    fn name(&self) -> &'static str {
        "flv"
    }

    fn produce(&self, addr: &str, topic: &str, spec: &ProduceSpec) -> Result<RunOut> {
        self.rt.block_on(async {
            let fluvio = self.connect(addr).await?;
            let producer = fluvio
                .topic_producer_with_config(topic, Self::producer_config(spec))
                .await?;
            let progress = Arc::new(Progress::default());
            let cpu = Cpu::now();
            let start = Instant::now();
            let run = async {
                let mut outputs = Vec::with_capacity(spec.records as usize);
                for i in 0..spec.records {
                    outputs.push(producer.send(RecordKey::NULL, spec.value(i)).await?);
                    progress.add(1, start);
                }
                producer.flush().await?;
                let mut delivered = 0;
                for out in outputs {
                    delivered += u64::from(out.wait().await.is_ok());
                }
                anyhow::Ok((delivered, start.elapsed()))
            };
            let result = stats::watchdog(&progress, super::IDLE, run).await;
            let (delivered, elapsed) = match result.transpose()? {
                Some((d, e)) => (d, e),
                None => (0, start.elapsed()),
            };
            let cpu = Cpu::since(cpu);
            drop(producer);
            let _ = fluvio.close().await;
            Ok(RunOut {
                expected: spec.records,
                delivered,
                bytes: spec.records * spec.size as u64,
                elapsed,
                cpu,
            })
        })
    }

    fn latency(
        &self,
        addr: &str,
        topic: &str,
        spec: &ProduceSpec,
        rate: f64,
    ) -> Result<LatencyOut> {
        let (fluvio, producer) = self.rt.block_on(async {
            let fluvio = self.connect(addr).await?;
            let producer = fluvio
                .topic_producer_with_config(topic, Self::producer_config(spec))
                .await?;
            anyhow::Ok((fluvio, Arc::new(producer)))
        })?;
        let (rx, sender) = {
            let (handle, producer, spec) = (
                self.rt.handle().clone(),
                Arc::clone(&producer),
                spec.clone(),
            );
            stats::open_loop_sender(rate, spec.records, move |i| {
                handle
                    .block_on(producer.send(RecordKey::NULL, spec.value(i)))
                    .ok()
            })
        };
        let (hist, delivered) = self
            .rt
            .block_on(stats::collect_latencies(rx, |out| async move {
                out.wait().await.is_ok()
            }));
        let elapsed = sender
            .join()
            .map_err(|_| anyhow::anyhow!("sender panicked"))?;
        self.rt.block_on(async {
            drop(producer);
            let _ = fluvio.close().await;
        });
        Ok(LatencyOut {
            expected: spec.records,
            delivered,
            elapsed,
            hist,
        })
    }

    fn consume(
        &self,
        addr: &str,
        topic: &str,
        ends: &BTreeMap<u32, i64>,
        size: usize,
    ) -> Result<ConsumeOut> {
        self.rt.block_on(async {
            let fluvio = self.connect(addr).await?;
            let mut stream = fluvio
                .consumer_with_config(ConsumerConfig::new(topic, Offset::beginning()))
                .await?;
            let expected: i64 = ends.values().sum();
            let progress = Arc::new(Progress::default());
            let cpu = Cpu::now();
            let start = Instant::now();
            let run = async {
                let mut open: BTreeMap<u32, i64> = ends
                    .iter()
                    .filter(|(_, e)| **e > 0)
                    .map(|(p, e)| (*p, *e))
                    .collect();
                let mut errors = 0u64;
                while !open.is_empty() {
                    match stream.next().await {
                        Some(Ok(r)) => {
                            progress.add(1, start);
                            if open
                                .get(&r.partition)
                                .is_some_and(|end| r.offset + 1 >= *end)
                            {
                                open.remove(&r.partition);
                            }
                        }
                        Some(Err(_)) => errors += 1,
                        None => break,
                    }
                }
                errors
            };
            let errors = stats::watchdog(&progress, super::IDLE, run).await;
            let elapsed = if errors.is_some() {
                start.elapsed()
            } else {
                progress.last()
            };
            let cpu = Cpu::since(cpu);
            drop(stream);
            let _ = fluvio.close().await;
            let delivered = progress.done();
            Ok(ConsumeOut {
                run: RunOut {
                    expected: u64::try_from(expected).unwrap_or(0),
                    delivered,
                    bytes: delivered * size as u64,
                    elapsed,
                    cpu,
                },
                errors: errors.unwrap_or(0),
                stalled: errors.is_none(),
            })
        })
    }
}

async fn note_ends(
    ends: &mut BTreeMap<u32, i64>,
    outputs: Vec<flv_driver::ProduceOutput>,
) -> Result<()> {
    for out in outputs {
        let meta = out.wait().await?;
        let end = ends.entry(meta.partition).or_insert(0);
        *end = (*end).max(meta.offset + 1);
    }
    Ok(())
}
