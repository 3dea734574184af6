//! One scenario run: a [`Sim`], the sends and consumers it tracks (the
//! [history](super::history) the checker judges), and the fault schedule's random
//! generator.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use flv_core::backoff::RetryPolicy;
use flv_core::client::{
    ClientConfig, ConsumerConfig, ConsumerEvent, DeliverySemantic, Event, ProducerConfig,
    ProducerId, SendError, SendId,
};
use flv_core::rng::Rng;
use flv_core::spu::Isolation;
use flv_mock_cluster::MockConfig;

use super::history::{self, Outcome, ProducerInfo, Sent, Track};
use crate::sim::Sim;

/// One run of a scenario.
pub struct Run {
    /// The simulated world.
    pub sim: Sim,
    /// Fault placement and timing (seeded, independent of the cluster's generator).
    pub rng: Rng,
    /// Every accepted send.
    pub sends: Vec<Sent>,
    /// Producers by id.
    pub producers: BTreeMap<ProducerId, ProducerInfo>,
    /// Consumers.
    pub consumers: Vec<Track>,
    /// Topics deleted on purpose (their records are gone, not lost).
    pub deleted_topics: Vec<String>,
    /// Consumers are polled only by [`poll_now`](Self::poll_now) (a slow application).
    pub lazy: bool,
    /// Problems seen while running (refused sends, hangs of the workload).
    pub notes: Vec<String>,
    /// [`settle`](Self::settle) checks that the producers healed (off once the client
    /// that owns them was replaced).
    pub probe: bool,
    /// Evidence that the run's faults fired: (what, how many times). A zero fails the run.
    pub evidence: Vec<(String, u64)>,
    /// `send` found the producer's queue full.
    pub queue_full: u64,
    next_value: u64,
}

/// The client configuration of the scenarios: short timeouts, so that faults resolve
/// in seconds of virtual time.
pub fn client_config(seed: u64, sc_addr: &str) -> ClientConfig {
    ClientConfig {
        seed,
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(3),
        metadata_timeout: Duration::from_secs(10),
        ..ClientConfig::new(sc_addr)
    }
}

/// An at-least-once producer with short retry delays.
pub fn at_least_once() -> ProducerConfig {
    ProducerConfig {
        delivery_semantic: DeliverySemantic::AtLeastOnce(RetryPolicy {
            max_retries: 20,
            initial_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
            timeout: Duration::from_secs(30),
            strategy: flv_core::backoff::RetryStrategy::FibonacciBackoff,
        }),
        delivery_timeout: Duration::from_secs(30),
        ..ProducerConfig::default()
    }
}

/// A read-committed, at-least-once producer.
pub fn read_committed() -> ProducerConfig {
    ProducerConfig {
        isolation: Isolation::ReadCommitted,
        timeout: Duration::from_millis(500),
        ..at_least_once()
    }
}

impl Run {
    /// A three-SPU cluster and a client with [`client_config`].
    pub fn new(seed: u64) -> Self {
        let cluster = MockConfig {
            seed,
            ..MockConfig::default()
        };
        let client = client_config(seed, &cluster.sc_addr);
        Self::with(seed, cluster, client)
    }

    /// A run with explicit configurations.
    pub fn with(seed: u64, cluster: MockConfig, client: ClientConfig) -> Self {
        Self {
            sim: Sim::with(cluster, client),
            rng: Rng::new(seed ^ 0x5eed_fa17_0000_0000),
            sends: Vec::new(),
            producers: BTreeMap::new(),
            consumers: Vec::new(),
            deleted_topics: Vec::new(),
            lazy: false,
            notes: Vec::new(),
            probe: true,
            evidence: Vec::new(),
            queue_full: 0,
            next_value: 0,
        }
    }

    /// A seeded integer in `lo..=hi`.
    pub fn pick(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.rng.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// A seeded duration in `lo..=hi` milliseconds.
    pub fn pick_ms(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.pick(lo, hi))
    }

    /// Creates a topic and waits for its leaders.
    pub fn topic(&mut self, name: &str, partitions: u32, replication: u32) {
        self.sim.create_topic(name, partitions, replication);
    }

    /// Creates a producer and waits until it is ready.
    pub fn producer(&mut self, topic: &str, config: ProducerConfig) -> ProducerId {
        let id = self.sim.producer(topic, config.clone());
        self.producers.insert(
            id,
            ProducerInfo {
                topic: topic.into(),
                config,
            },
        );
        id
    }

    /// Creates a consumer and tracks it.
    pub fn consumer(&mut self, config: ConsumerConfig) -> usize {
        let id = self.sim.consumer(config.clone());
        self.consumers.push(Track {
            id,
            config,
            records: Vec::new(),
            others: Vec::new(),
            start: BTreeMap::new(),
            expect_end: false,
            errors_allowed: false,
            retired: false,
        });
        self.consumers.len() - 1
    }

    /// Sends one record with a fresh unique value; waits (stepping the world) while the
    /// queue is full. `None` (with a note) when the record cannot be queued.
    pub fn send(&mut self, producer: ProducerId) -> Option<SendId> {
        self.next_value += 1;
        let value = Bytes::from(format!("{}:{:06}", producer.0, self.next_value));
        self.send_value(producer, value)
    }

    /// Sends `value` (must be unique in the run).
    pub fn send_value(&mut self, producer: ProducerId, value: Bytes) -> Option<SendId> {
        let budget = self
            .producers
            .get(&producer)
            .map_or(Duration::from_secs(60), |p| p.max_delivery())
            + Duration::from_secs(10);
        loop {
            let now = self.sim.now;
            match self.sim.client.send(producer, None, value.clone(), now) {
                Ok(id) => {
                    self.sim.drain();
                    self.sends.push(Sent {
                        id,
                        producer,
                        value,
                        at: now,
                    });
                    return Some(id);
                }
                Err(SendError::QueueFull { .. }) => {
                    self.queue_full += 1;
                    let from = self.sim.events.len();
                    let ready = self.run_until(budget, |s| {
                        s.events[from..].iter().any(|(_, e)| {
                            matches!(e, Event::ProducerReady { producer: p } if *p == producer)
                        })
                    });
                    if !ready {
                        self.notes
                            .push(format!("{producer}: queue full, never ready again"));
                        return None;
                    }
                }
                Err(e) => {
                    self.notes.push(format!("{producer}: send refused: {e}"));
                    return None;
                }
            }
        }
    }

    /// Sends `n` records, stepping `gap` of virtual time after each.
    pub fn send_many(&mut self, producer: ProducerId, n: usize, gap: Duration) {
        for _ in 0..n {
            self.send(producer);
            self.step_for(gap);
        }
    }

    /// Polls every live consumer now.
    pub fn poll_now(&mut self) {
        poll(&mut self.sim, &mut self.consumers);
    }

    /// Steps until `cond` holds or `budget` passed, polling consumers (unless lazy).
    pub fn run_until(&mut self, budget: Duration, mut cond: impl FnMut(&Sim) -> bool) -> bool {
        let lazy = self.lazy;
        let tracks = &mut self.consumers;
        self.sim.run_until(budget, |s| {
            if !lazy {
                poll(s, tracks);
            }
            cond(s)
        })
    }

    /// Steps for `d` of virtual time.
    pub fn step_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }

    /// True when every send is resolved.
    pub fn all_resolved(&self) -> bool {
        let resolved = history::resolutions(&self.sim.events);
        self.sends.iter().all(|s| resolved.contains_key(&s.id))
    }

    /// True when every live consumer read up to the end of its partitions' logs, or ended.
    pub fn consumers_caught_up(&self) -> bool {
        self.consumers.iter().filter(|t| !t.retired).all(|t| {
            t.ended() || !t.expect_end && history::behind(&self.sim, t, &self.deleted_topics) == 0
        })
    }

    /// After the faults: runs until every send resolved and every consumer caught up (or
    /// the longest delivery bound passed); lazy consumers are polled from now on. Then
    /// checks that the client healed: one more record per producer (of a live topic) must
    /// be delivered, and reach the consumers.
    pub fn settle(&mut self) {
        self.settle_once();
        let live: Vec<ProducerId> = self
            .producers
            .iter()
            .filter(|(_, p)| self.probe && !self.deleted_topics.contains(&p.topic))
            .map(|(id, _)| *id)
            .collect();
        let mut probes = Vec::new();
        for p in live {
            self.next_value += 1;
            let value = Bytes::from(format!("probe-{}:{}", p.0, self.next_value));
            if let Some(id) = self.send_value(p, value) {
                probes.push(id);
            }
        }
        self.settle_once();
        let outcomes = history::resolutions(&self.sim.events);
        for id in probes {
            match outcomes.get(&id) {
                Some((_, Outcome::Acked { .. })) => {}
                other => self.notes.push(format!(
                    "not healed: the probe {id} after the faults got {other:?}"
                )),
            }
        }
    }

    fn settle_once(&mut self) {
        self.lazy = false;
        let budget = self
            .producers
            .values()
            .map(|p| history::resolution_bound(p, self.sim.client.config()))
            .max()
            .unwrap_or(Duration::ZERO)
            + Duration::from_secs(30);
        let end = self.sim.now + budget;
        loop {
            self.step_for(Duration::from_millis(500));
            if (self.all_resolved() && self.consumers_caught_up()) || self.sim.now >= end {
                return;
            }
        }
    }

    /// Records evidence that a fault fired `count` times (zero: it did not, and the run
    /// fails as `unfired`).
    pub fn fired(&mut self, what: &str, count: u64) {
        self.evidence.push((what.to_string(), count));
    }

    /// What the mock cluster did so far.
    pub fn cluster_stats(&self) -> flv_mock_cluster::ClusterStats {
        self.sim.cluster.stats()
    }

    /// What the simulated network did so far.
    pub fn net_stats(&self) -> crate::sim::NetStats {
        self.sim.net_stats
    }
}

/// Drains the events of every live consumer.
fn poll(sim: &mut Sim, tracks: &mut [Track]) {
    for t in tracks.iter_mut().filter(|t| !t.retired) {
        while let Some(e) = sim.client.poll_consumer(t.id, sim.now) {
            match e {
                ConsumerEvent::Records { records, .. } => {
                    t.records.extend(
                        records
                            .into_iter()
                            .map(|r| (r.partition, r.offset, r.value)),
                    );
                }
                other => t.others.push(other),
            }
        }
    }
    sim.drain();
}
