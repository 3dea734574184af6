//! The client's copy of the SC's SPU, partition and topic stores, kept by watch streams.
//!
//! A watch response carries either a full sync (`all`, replacing the store) or
//! incremental `changes` (update or delete one object), as upstream's
//! `MetadataSyncController` applies them. The first response of a watch marks its store
//! synchronised, even when empty.

use std::collections::BTreeMap;

use crate::protocol::sc::partition::PartitionSpec;
use crate::protocol::sc::spu::SpuSpec;
use crate::protocol::sc::topic::TopicSpec;
use crate::protocol::sc::{Metadata, MetadataUpdate, MsgType, ObjectWatchResponse, Spec};

/// The system topic holding consumer offsets (partition 0).
pub(crate) const CONSUMER_OFFSET_TOPIC: &str = "consumer-offset";

/// One synchronised store of objects of a kind, keyed by name.
#[derive(Debug, Clone)]
pub struct Store<S: Spec> {
    objects: BTreeMap<String, Metadata<S>>,
    epoch: i64,
    synced: bool,
}

impl<S: Spec> Default for Store<S> {
    fn default() -> Self {
        Self {
            objects: BTreeMap::new(),
            epoch: 0,
            synced: false,
        }
    }
}

impl<S: Spec> Store<S> {
    /// True once a watch response has arrived.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// The epoch of the last update.
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// The object named `name`.
    pub fn get(&self, name: &str) -> Option<&Metadata<S>> {
        self.objects.get(name)
    }

    /// Every object, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Metadata<S>> {
        self.objects.values()
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    fn apply(&mut self, update: MetadataUpdate<S>) {
        self.epoch = update.epoch;
        self.synced = true;
        if !update.all.is_empty() {
            self.objects = update
                .all
                .into_iter()
                .map(|m| (m.name.clone(), m))
                .collect();
            return;
        }
        for change in update.changes {
            match change.header {
                MsgType::Update => {
                    self.objects
                        .insert(change.content.name.clone(), change.content);
                }
                MsgType::Delete => {
                    self.objects.remove(&change.content.name);
                }
            }
        }
    }

    /// Forgets the synchronised flag (the watch restarts after a reconnect); objects
    /// stay usable until the next sync replaces them.
    fn unsync(&mut self) {
        self.synced = false;
    }
}

/// A replica that holds back read-committed writes (see
/// [`MetadataStore::lagging_replicas`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaggingReplica {
    /// The partition.
    pub partition: u32,
    /// The SPU of the replica.
    pub spu: i32,
    /// Why it holds writes back.
    pub why: ReplicaLag,
}

/// Why a replica holds back read-committed writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicaLag {
    /// Its SPU is not online.
    Offline,
    /// Its SPU is not registered.
    Unregistered,
    /// It has not copied the leader's log up to its end.
    Behind {
        /// The replica's log end.
        leo: i64,
        /// The leader's log end.
        leader_leo: i64,
    },
}

impl std::fmt::Display for ReplicaLag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Offline => f.write_str("offline"),
            Self::Unregistered => f.write_str("not registered"),
            Self::Behind { leo, leader_leo } => {
                write!(f, "behind the leader (at offset {leo} of {leader_leo})")
            }
        }
    }
}

/// Partitions, SPUs and topics as the SC last described them.
#[derive(Debug, Clone, Default)]
pub struct MetadataStore {
    spus: Store<SpuSpec>,
    partitions: Store<PartitionSpec>,
    topics: Store<TopicSpec>,
    /// Bumped by every change, so that users can cache what they derive from the stores.
    generation: u64,
}

/// The key of partition `partition` of `topic`: `topic-partition`.
pub fn partition_key(topic: &str, partition: u32) -> String {
    format!("{topic}-{partition}")
}

/// Splits a partition key `topic-N` (topic names may contain `-`).
pub fn split_partition_key(key: &str) -> Option<(&str, u32)> {
    let (topic, p) = key.rsplit_once('-')?;
    Some((topic, p.parse().ok()?))
}

impl MetadataStore {
    /// The SPU store.
    pub fn spus(&self) -> &Store<SpuSpec> {
        &self.spus
    }

    /// The partition store.
    pub fn partitions(&self) -> &Store<PartitionSpec> {
        &self.partitions
    }

    /// The topic store.
    pub fn topics(&self) -> &Store<TopicSpec> {
        &self.topics
    }

    /// True when the three stores are synchronised.
    pub fn is_synced(&self) -> bool {
        self.spus.synced && self.partitions.synced && self.topics.synced
    }

    /// A number that changes whenever the stores change (for caches of derived values).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Applies a watch response; returns false for a kind the client does not keep.
    pub(crate) fn apply(&mut self, update: ObjectWatchResponse) -> bool {
        self.generation = self.generation.wrapping_add(1);
        match update {
            ObjectWatchResponse::Spu(u) => self.spus.apply(u),
            ObjectWatchResponse::Partition(u) => {
                self.log_leader_changes(&u);
                self.partitions.apply(u)
            }
            ObjectWatchResponse::Topic(u) => self.topics.apply(u),
            _ => return false,
        }
        true
    }

    /// Logs the partitions whose leader `update` changes (and offline replicas).
    fn log_leader_changes(&self, update: &MetadataUpdate<PartitionSpec>) {
        if !tracing::enabled!(tracing::Level::INFO) {
            return;
        }
        let items = update
            .all
            .iter()
            .chain(update.changes.iter().map(|c| &c.content));
        for m in items {
            let before = self.partitions.get(&m.name).map(|o| o.spec.leader);
            if before.is_some_and(|b| b != m.spec.leader) {
                tracing::info!(partition = %m.name, from = before, to = m.spec.leader, "leader changed");
            }
        }
    }

    pub(crate) fn unsync(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.spus.unsync();
        self.partitions.unsync();
        self.topics.unsync();
    }

    /// A topic.
    pub fn topic(&self, name: &str) -> Option<&Metadata<TopicSpec>> {
        self.topics.get(name)
    }

    /// A partition.
    pub fn partition(&self, topic: &str, partition: u32) -> Option<&Metadata<PartitionSpec>> {
        self.partitions.get(&partition_key(topic, partition))
    }

    /// The partitions of `topic`, ascending.
    pub fn topic_partitions(&self, topic: &str) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .partitions
            .iter()
            .filter_map(|m| split_partition_key(&m.name))
            .filter(|(t, _)| *t == topic)
            .map(|(_, p)| p)
            .collect();
        v.sort_unstable();
        v
    }

    /// Number of partitions of `topic` (highest index + 1, as partitions are 0..n).
    pub fn partition_count(&self, topic: &str) -> u32 {
        self.topic_partitions(topic)
            .last()
            .map_or(0, |p| p.saturating_add(1))
    }

    /// The partitions of `topic` that are online, ascending.
    pub fn online_partitions(&self, topic: &str) -> Vec<u32> {
        self.topic_partitions(topic)
            .into_iter()
            .filter(|p| {
                self.partition(topic, *p)
                    .is_some_and(|m| m.status.is_online())
            })
            .collect()
    }

    /// The leader SPU of a partition (`None` when unknown or negative).
    pub fn leader(&self, topic: &str, partition: u32) -> Option<i32> {
        let m = self.partition(topic, partition)?;
        (m.spec.leader >= 0).then_some(m.spec.leader)
    }

    /// The replicas of `topic`'s partitions (those in `only`, or all) that a
    /// read-committed write waits for but that are not live or not caught up, as the SC
    /// last described them.
    pub fn lagging_replicas(&self, topic: &str, only: Option<&[u32]>) -> Vec<LaggingReplica> {
        let mut out = Vec::new();
        for partition in self.topic_partitions(topic) {
            if only.is_some_and(|o| !o.contains(&partition)) {
                continue;
            }
            let Some(m) = self.partition(topic, partition) else {
                continue;
            };
            for &spu in &m.spec.replicas {
                let why = match self.spu(spu).map(|s| s.status.resolution) {
                    None => ReplicaLag::Unregistered,
                    Some(crate::protocol::sc::spu::SpuStatusResolution::Online) => {
                        let end = m.status.leader.leo;
                        match m.status.replicas.iter().find(|r| r.spu == spu) {
                            Some(f) if spu != m.spec.leader && f.leo < end => ReplicaLag::Behind {
                                leo: f.leo,
                                leader_leo: end,
                            },
                            _ => continue,
                        }
                    }
                    Some(_) => ReplicaLag::Offline,
                };
                out.push(LaggingReplica {
                    partition,
                    spu,
                    why,
                });
            }
        }
        out
    }

    /// The SPU with id `id`.
    pub fn spu(&self, id: i32) -> Option<&Metadata<SpuSpec>> {
        self.spus.iter().find(|m| m.spec.id == id)
    }

    /// The address of SPU `id`: its public endpoint, or its local one when
    /// `use_local` (falling back to the public one when it has none).
    pub fn spu_address(&self, id: i32, use_local: bool) -> Option<String> {
        let spu = self.spu(id)?;
        if use_local && let Some(local) = &spu.spec.public_endpoint_local {
            return Some(format!("{}:{}", local.host, local.port));
        }
        spu.spec.public_address()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::sc::Message;
    use crate::protocol::sc::partition::{PartitionResolution, PartitionStatus};
    use crate::protocol::sc::spu::{Endpoint, IngressAddr, IngressPort, SpuStatus};

    fn part(topic: &str, p: u32, leader: i32, online: bool) -> Metadata<PartitionSpec> {
        Metadata {
            name: partition_key(topic, p),
            spec: PartitionSpec {
                leader,
                replicas: vec![leader],
                ..Default::default()
            },
            status: PartitionStatus {
                resolution: if online {
                    PartitionResolution::Online
                } else {
                    PartitionResolution::Offline
                },
                ..Default::default()
            },
        }
    }

    #[test]
    fn full_sync_then_changes() {
        let mut m = MetadataStore::default();
        assert!(!m.is_synced());
        m.apply(ObjectWatchResponse::Partition(MetadataUpdate {
            epoch: 3,
            changes: vec![],
            all: vec![
                part("a-b", 0, 1, true),
                part("a-b", 1, 2, false),
                part("c", 0, 1, true),
            ],
        }));
        assert_eq!(m.topic_partitions("a-b"), vec![0, 1]);
        assert_eq!(m.online_partitions("a-b"), vec![0]);
        assert_eq!(m.partition_count("a-b"), 2);
        assert_eq!(m.leader("a-b", 1), Some(2));
        m.apply(ObjectWatchResponse::Partition(MetadataUpdate {
            epoch: 4,
            changes: vec![
                Message {
                    header: MsgType::Update,
                    content: part("a-b", 1, 3, true),
                },
                Message {
                    header: MsgType::Delete,
                    content: part("c", 0, 1, true),
                },
            ],
            all: vec![],
        }));
        assert_eq!(m.leader("a-b", 1), Some(3));
        assert_eq!(m.partitions().epoch(), 4);
        assert!(m.partition("c", 0).is_none());
        assert!(!m.is_synced());
        m.apply(ObjectWatchResponse::Spu(MetadataUpdate::default()));
        m.apply(ObjectWatchResponse::Topic(MetadataUpdate::default()));
        assert!(m.is_synced());
        m.unsync();
        assert!(!m.is_synced());
        assert_eq!(m.leader("a-b", 1), Some(3));
    }

    #[test]
    fn spu_addresses_prefer_public_or_local_as_configured() {
        let mut m = MetadataStore::default();
        let spu = Metadata {
            name: "spu-1".into(),
            spec: SpuSpec {
                id: 1,
                public_endpoint: IngressPort {
                    port: 9010,
                    ingress: vec![IngressAddr {
                        hostname: Some("h".into()),
                        ip: None,
                    }],
                    ..Default::default()
                },
                public_endpoint_local: Some(Endpoint {
                    port: 9011,
                    host: "l".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            status: SpuStatus::default(),
        };
        m.apply(ObjectWatchResponse::Spu(MetadataUpdate {
            epoch: 1,
            changes: vec![],
            all: vec![spu],
        }));
        assert_eq!(m.spu_address(1, false).as_deref(), Some("h:9010"));
        assert_eq!(m.spu_address(1, true).as_deref(), Some("l:9011"));
        assert_eq!(m.spu_address(2, false), None);
        assert_eq!(split_partition_key("x-y-12"), Some(("x-y", 12)));
        assert_eq!(split_partition_key("nodash"), None);
    }

    #[test]
    fn lagging_replicas_are_offline_or_behind() {
        use crate::protocol::sc::partition::ReplicaStatus;
        use crate::protocol::sc::spu::SpuStatusResolution;
        let spu = |id: i32, resolution| Metadata {
            name: format!("spu-{id}"),
            spec: SpuSpec {
                id,
                ..Default::default()
            },
            status: SpuStatus { resolution },
        };
        let mut m = MetadataStore::default();
        m.apply(ObjectWatchResponse::Spu(MetadataUpdate {
            epoch: 1,
            changes: vec![],
            all: vec![
                spu(1, SpuStatusResolution::Online),
                spu(2, SpuStatusResolution::Online),
                spu(3, SpuStatusResolution::Offline),
            ],
        }));
        let replicated = |p: u32, replicas: Vec<i32>, follower_leo: i64| {
            let mut m = part("t", p, 1, true);
            m.status.leader = ReplicaStatus {
                spu: 1,
                hw: 0,
                leo: 10,
            };
            m.status.replicas = replicas[1..]
                .iter()
                .map(|&spu| ReplicaStatus {
                    spu,
                    hw: 0,
                    leo: follower_leo,
                })
                .collect();
            m.spec.replicas = replicas;
            m
        };
        m.apply(ObjectWatchResponse::Partition(MetadataUpdate {
            epoch: 1,
            changes: vec![],
            all: vec![
                replicated(0, vec![1, 2], 10),
                replicated(1, vec![1, 2], 4),
                replicated(2, vec![1, 3], 10),
                replicated(3, vec![1, 9], 10),
            ],
        }));
        let lagging = m.lagging_replicas("t", None);
        let found: Vec<(u32, i32, String)> = lagging
            .iter()
            .map(|r| (r.partition, r.spu, r.why.to_string()))
            .collect();
        assert_eq!(
            found,
            vec![
                (1, 2, "behind the leader (at offset 4 of 10)".to_owned()),
                (2, 3, "offline".to_owned()),
                (3, 9, "not registered".to_owned()),
            ]
        );
        assert_eq!(m.lagging_replicas("t", Some(&[0, 2])).len(), 1);
        assert!(m.lagging_replicas("other", None).is_empty());
    }
}
