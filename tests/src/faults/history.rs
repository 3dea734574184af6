//! The history of a run as the application saw it (sends, their outcomes, consumers)
//! and the ground truth read from the mock: shared by the [run](super::run) that records
//! it and the [checker](super::checker) that judges it, so neither imports the other's
//! internals.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use flv_core::client::{
    ClientConfig, ClientError, ConsumerConfig, ConsumerEvent, ConsumerId, DeliverySemantic, Event,
    ProduceError, ProducerConfig, ProducerId, SendId,
};
use flv_core::record::DEFAULT_MAX_DECOMPRESSED;
use flv_core::spu::Isolation;
use flv_core::time::Instant;

use crate::sim::Sim;

/// A record handed to `send`.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its id.
    pub id: SendId,
    /// Its producer.
    pub producer: ProducerId,
    /// Its (unique) value.
    pub value: Bytes,
    /// When `send` accepted it.
    pub at: Instant,
}

/// What the run knows of a producer.
#[derive(Debug, Clone)]
pub struct ProducerInfo {
    /// Topic.
    pub topic: String,
    /// Configuration.
    pub config: ProducerConfig,
}

impl ProducerInfo {
    /// The time a record may stay unresolved (delivery timeout, or the retry policy's
    /// overall timeout when shorter).
    pub fn max_delivery(&self) -> Duration {
        match self.config.delivery_semantic {
            DeliverySemantic::AtLeastOnce(p) => self.config.delivery_timeout.min(p.timeout),
            DeliverySemantic::AtMostOnce => self.config.delivery_timeout,
        }
    }
}

/// A consumer and everything it handed to the application.
#[derive(Debug, Clone)]
pub struct Track {
    /// The consumer (of the client current when it was created).
    pub id: ConsumerId,
    /// Its configuration.
    pub config: ConsumerConfig,
    /// (partition, offset, value) in delivery order.
    pub records: Vec<(u32, i64, Bytes)>,
    /// Every non-record event.
    pub others: Vec<ConsumerEvent>,
    /// Expected first offset per partition, when the scenario knows it.
    pub start: BTreeMap<u32, i64>,
    /// The scenario expects it to end (with an error or an end): it must not hang.
    pub expect_end: bool,
    /// Partition errors are legitimate outcomes (fatal error codes, deleted topics).
    pub errors_allowed: bool,
    /// No longer polled (its client was restarted).
    pub retired: bool,
}

impl Track {
    /// True once the consumer reported [`ConsumerEvent::End`].
    pub fn ended(&self) -> bool {
        self.others.iter().any(|e| matches!(e, ConsumerEvent::End))
    }
}

/// The outcome of one send as the application saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored at this partition and offset; `ambiguous` when an earlier attempt may
    /// have stored it too.
    Acked {
        /// Partition.
        partition: u32,
        /// Offset.
        offset: i64,
        /// `possible_duplicate` of the event.
        ambiguous: bool,
    },
    /// Failed; `ambiguous` for `OutcomeUnknown` (it may be stored).
    Failed {
        /// The outcome is unknown.
        ambiguous: bool,
    },
    /// Failed at the delivery timeout with `NotCommitted`: the leader stored the record
    /// at this partition and offset, and the high watermark never covered it. A definite
    /// outcome (the client says where the record is), not an ambiguous one.
    NotCommitted {
        /// Partition.
        partition: u32,
        /// Where the leader stored the record.
        offset: i64,
    },
}

/// Every resolved send with its outcome and time; a second resolution of a send is
/// kept as a separate entry in the returned list of doubles.
pub fn resolutions(events: &[(Instant, Event)]) -> BTreeMap<SendId, (Instant, Outcome)> {
    resolutions_and_doubles(events).0
}

pub(super) fn resolutions_and_doubles(
    events: &[(Instant, Event)],
) -> (BTreeMap<SendId, (Instant, Outcome)>, Vec<SendId>) {
    let mut out = BTreeMap::new();
    let mut doubles = Vec::new();
    for (t, e) in events {
        match e {
            Event::Delivered {
                partition,
                base_offset,
                sends,
                possible_duplicate,
                ..
            } => {
                for (i, s) in sends.iter().enumerate() {
                    let o = Outcome::Acked {
                        partition: *partition,
                        offset: base_offset + i as i64,
                        ambiguous: *possible_duplicate,
                    };
                    if out.insert(*s, (*t, o)).is_some() {
                        doubles.push(*s);
                    }
                }
            }
            Event::SendFailed { sends, error, .. } => {
                for (i, s) in sends.iter().enumerate() {
                    let o = match error {
                        ProduceError::OutcomeUnknown(ClientError::NotCommitted {
                            partition,
                            offset,
                            ..
                        }) => Outcome::NotCommitted {
                            partition: *partition,
                            offset: offset + i as i64,
                        },
                        ProduceError::OutcomeUnknown(_) => Outcome::Failed { ambiguous: true },
                        _ => Outcome::Failed { ambiguous: false },
                    };
                    if out.insert(*s, (*t, o)).is_some() {
                        doubles.push(*s);
                    }
                }
            }
            _ => {}
        }
    }
    (out, doubles)
}

/// The latest a send may resolve after `send` accepted it: its delivery timeout, plus a
/// request that was queued behind a connect (connect timeout) and then written just
/// before the deadline (request timeout), plus a second of slack.
pub fn resolution_bound(p: &ProducerInfo, client: &ClientConfig) -> Duration {
    p.max_delivery() + client.connect_timeout + client.request_timeout + Duration::from_secs(1)
}

/// The log of a partition as (offset, value), read from the mock; `None` when the
/// partition does not exist.
pub fn log(sim: &Sim, topic: &str, partition: u32) -> Option<Vec<(i64, Bytes)>> {
    let set = sim.cluster.stream_read(topic, partition, 0, i32::MAX)?;
    let mut out = Vec::new();
    for batch in &set.batches {
        let Ok(records) = batch.records_with_limit(DEFAULT_MAX_DECOMPRESSED) else {
            continue;
        };
        for r in records {
            out.push((batch.record_offset(&r), r.value));
        }
    }
    Some(out)
}

/// Partitions of a topic in the mock.
pub(super) fn partitions(sim: &Sim, topic: &str) -> Vec<u32> {
    (0u32..)
        .take_while(|p| sim.cluster.log_end_offset(topic, *p).is_some())
        .collect()
}

/// The offset a consumer should have read up to on a partition.
fn readable_end(sim: &Sim, t: &Track, partition: u32) -> Option<i64> {
    match t.config.isolation {
        Isolation::ReadCommitted => sim.cluster.high_watermark(&t.config.topic, partition),
        Isolation::ReadUncommitted => sim.cluster.log_end_offset(&t.config.topic, partition),
    }
}

/// The partitions a consumer reads.
fn consumed_partitions(sim: &Sim, t: &Track) -> Vec<u32> {
    if t.config.partitions.is_empty() {
        partitions(sim, &t.config.topic)
    } else {
        t.config.partitions.clone()
    }
}

/// How many readable records a consumer has not handed over yet (0 for ended partitions
/// and deleted topics).
pub fn behind(sim: &Sim, t: &Track, deleted: &[String]) -> usize {
    if deleted.contains(&t.config.topic) {
        return 0;
    }
    let mut n = 0;
    for p in consumed_partitions(sim, t) {
        let ended = t.others.iter().any(|e| {
            matches!(e, ConsumerEvent::Error { partition, .. } | ConsumerEvent::PartitionEnd { partition } if *partition == p)
        });
        if ended {
            continue;
        }
        let Some(end) = readable_end(sim, t, p) else {
            continue;
        };
        let next = t
            .records
            .iter()
            .filter(|r| r.0 == p)
            .map(|r| r.1 + 1)
            .max()
            .or_else(|| t.start.get(&p).copied())
            .unwrap_or(0);
        n += usize::try_from(end - next).unwrap_or(0);
    }
    n
}
