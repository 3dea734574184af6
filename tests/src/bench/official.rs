//! The official client's side of `flv-bench`: `fluvio` 0.50 on its own executor
//! (`fluvio-future`, async-global-executor threads).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use fluvio::consumer::ConsumerConfigExt;
use fluvio::{Fluvio, FluvioClusterConfig, Offset, RecordKey, TopicProducerConfigBuilder};
use fluvio_future::task::run_block_on;
use futures_util::StreamExt;

use super::stats::{self, Cpu, Progress};
use super::{ConsumeOut, LatencyOut, ProduceSpec, RunOut, Side};

/// The official `fluvio` 0.50 client.
pub struct OfficialSide;

async fn connect(addr: &str) -> Result<Fluvio> {
    Fluvio::connect_with_config(&FluvioClusterConfig::new(addr))
        .await
        .map_err(|e| anyhow!("official client connects to {addr}: {e}"))
}

/// The official client looks topics up in its own watch-fed store, which may lag the
/// creation by a few frames: retries while the topic is "not found" (up to 10 s).
async fn retry_metadata<T, E: std::fmt::Display, F: Future<Output = Result<T, E>>>(
    mut f: impl FnMut() -> F,
) -> Result<T> {
    let start = Instant::now();
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e)
                if e.to_string().contains("not found")
                    && start.elapsed() < Duration::from_secs(10) =>
            {
                fluvio_future::timer::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => return Err(anyhow!("{e}")),
        }
    }
}

async fn producer(
    fluvio: &Fluvio,
    topic: &str,
    spec: &ProduceSpec,
) -> Result<fluvio::TopicProducerPool> {
    let config = TopicProducerConfigBuilder::default()
        .batch_size(spec.batch_size)
        .max_request_size(spec.max_request_size)
        .build()
        .map_err(|e| anyhow!("producer config: {e}"))?;
    retry_metadata(|| fluvio.topic_producer_with_config(topic, config.clone())).await
}

impl Side for OfficialSide {
    fn name(&self) -> &'static str {
        "official"
    }

    fn produce(&self, addr: &str, topic: &str, spec: &ProduceSpec) -> Result<RunOut> {
        run_block_on(async {
            let fluvio = connect(addr).await?;
            let producer = producer(&fluvio, topic, spec).await?;
            let progress = Arc::new(Progress::default());
            let cpu = Cpu::now();
            let start = Instant::now();
            let run = async {
                let mut outputs = Vec::with_capacity(spec.records as usize);
                for i in 0..spec.records {
                    let out = producer
                        .send(RecordKey::NULL, spec.value(i))
                        .await
                        .map_err(|e| anyhow!("send: {e}"))?;
                    outputs.push(out);
                    progress.add(1, start);
                }
                producer.flush().await.map_err(|e| anyhow!("flush: {e}"))?;
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
            drop(fluvio);
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
        let (fluvio, producer) = run_block_on(async {
            let fluvio = connect(addr).await?;
            let producer = producer(&fluvio, topic, spec).await?;
            anyhow::Ok((fluvio, Arc::new(producer)))
        })?;
        let (rx, sender) = {
            let (producer, spec) = (Arc::clone(&producer), spec.clone());
            stats::open_loop_sender(rate, spec.records, move |i| {
                run_block_on(producer.send(RecordKey::NULL, spec.value(i))).ok()
            })
        };
        let (hist, delivered) = run_block_on(stats::collect_latencies(rx, |out| async move {
            out.wait().await.is_ok()
        }));
        let elapsed = sender.join().map_err(|_| anyhow!("sender panicked"))?;
        drop(producer);
        drop(fluvio);
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
        run_block_on(async {
            let fluvio = connect(addr).await?;
            let config = ConsumerConfigExt::builder()
                .topic(topic)
                .offset_start(Offset::beginning())
                .build()
                .map_err(|e| anyhow!("consumer config: {e}"))?;
            let mut stream = retry_metadata(|| fluvio.consumer_with_config(config.clone())).await?;
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
                            let p = r.partition();
                            if open.get(&p).is_some_and(|end| r.offset() + 1 >= *end) {
                                open.remove(&p);
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
            drop(fluvio);
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
