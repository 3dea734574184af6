//! The cluster's ground truth: SPUs, topics and partitions (with their logs). The SC's
//! stores are derived from it (see `MockCluster::settle`).

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use flv_core::sc::Metadata;
use flv_core::sc::partition::{PartitionResolution, PartitionSpec, PartitionStatus, ReplicaStatus};
use flv_core::sc::spu::{
    Encryption, Endpoint, IngressAddr, IngressPort, SpuSpec, SpuStatus, SpuStatusResolution,
    SpuType,
};
use flv_core::sc::topic::{TopicResolution, TopicSpec, TopicStatus};

use flv_core::time::Instant;

use crate::config::split_addr;
use crate::spu::log::{Log, Retention};

/// An SPU known to the SC.
#[derive(Debug, Clone)]
pub(crate) struct SpuNode {
    /// Its spec as published.
    pub(crate) spec: SpuSpec,
    /// The object name (`custom-spu-<id>`).
    pub(crate) name: String,
    /// Backed by a mock SPU server (false for custom SPUs registered by a client).
    pub(crate) served: bool,
    /// Up (accepting connections, replicating).
    pub(crate) running: bool,
    /// Replication to this SPU (as a follower) is stalled.
    pub(crate) stalled: bool,
    /// How long after the leader appends this SPU fetches the new records as a follower
    /// (zero: at once).
    pub(crate) lag: Duration,
}

impl SpuNode {
    /// A served custom SPU at `addr`, as the real cluster of the traces registers them.
    pub(crate) fn served(id: i32, addr: &str) -> Self {
        let (host, port) = split_addr(addr);
        let spec = SpuSpec {
            id,
            spu_type: SpuType::Custom,
            public_endpoint: IngressPort {
                port,
                ingress: vec![IngressAddr {
                    hostname: Some(host.clone()),
                    ip: None,
                }],
                encryption: Encryption::Plaintext,
            },
            private_endpoint: Endpoint {
                port: port.wrapping_add(10001),
                host,
                encryption: Encryption::Plaintext,
            },
            rack: None,
            public_endpoint_local: None,
        };
        Self {
            spec,
            name: format!("custom-spu-{id}"),
            served: true,
            running: true,
            stalled: false,
            lag: Duration::ZERO,
        }
    }

    /// Its `SPU` object.
    pub(crate) fn metadata(&self) -> Metadata<SpuSpec> {
        let resolution = match (self.served, self.running) {
            (true, true) => SpuStatusResolution::Online,
            (true, false) => SpuStatusResolution::Offline,
            (false, _) => SpuStatusResolution::Init,
        };
        Metadata {
            name: self.name.clone(),
            spec: self.spec.clone(),
            status: SpuStatus { resolution },
        }
    }
}

/// A topic.
#[derive(Debug, Clone)]
pub(crate) struct TopicState {
    pub(crate) spec: TopicSpec,
    pub(crate) replica_map: BTreeMap<u32, Vec<i32>>,
}

impl TopicState {
    /// Its `Topic` object.
    pub(crate) fn metadata(&self, name: &str) -> Metadata<TopicSpec> {
        Metadata {
            name: name.to_string(),
            spec: self.spec.clone(),
            status: TopicStatus {
                resolution: TopicResolution::Provisioned,
                replica_map: self.replica_map.clone(),
                mirror_map: BTreeMap::new(),
                reason: String::new(),
            },
        }
    }
}

/// An empty log, for a partition whose leader has no log (never the case once built).
static NO_LOG: LazyLock<Log> = LazyLock::new(Log::default);

/// What one replica of a partition holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Replica {
    /// Its own copy of the log.
    pub(crate) log: Log,
    /// The high watermark it knows (the leader's own, or the last one a follower
    /// fetched).
    pub(crate) hw: i64,
    /// When it fetches from the leader next, as a follower (`None`: nothing to fetch).
    pub(crate) fetch_at: Option<Instant>,
    /// It could not append what the leader sent (its log end falls inside one of the
    /// leader's batches after a divergence): a real follower skips such writes for good.
    pub(crate) stuck: bool,
}

/// A partition: its replicas, current leader, and each replica's own log.
#[derive(Debug, Clone)]
pub(crate) struct PartitionState {
    /// Replicas in assignment order (the first is the preferred leader).
    pub(crate) replicas: Vec<i32>,
    /// Current leader.
    pub(crate) leader: i32,
    /// Each replica's log and offsets (the leader's log is where produce appends).
    pub(crate) copies: BTreeMap<i32, Replica>,
    /// Spec fields inherited from the topic.
    pub(crate) spec_template: PartitionSpec,
}

impl PartitionState {
    /// A new, empty partition on `replicas` (the first leads).
    pub(crate) fn new(replicas: Vec<i32>, topic: &TopicSpec) -> Self {
        let leader = replicas.first().copied().unwrap_or(-1);
        let retention = Retention {
            max_partition_size: topic.storage.as_ref().and_then(|s| s.max_partition_size),
            segment_size: topic
                .storage
                .as_ref()
                .and_then(|s| s.segment_size)
                .map(u64::from),
        };
        let mut copies: BTreeMap<i32, Replica> = replicas
            .iter()
            .map(|id| {
                let replica = Replica {
                    log: Log::new(retention),
                    ..Replica::default()
                };
                (*id, replica)
            })
            .collect();
        copies.entry(leader).or_default();
        Self {
            spec_template: PartitionSpec {
                leader,
                replicas: replicas.clone(),
                cleanup_policy: topic.cleanup_policy.clone(),
                storage: topic.storage.clone(),
                compression_type: topic.compression_type,
                deduplication: topic.deduplication.clone(),
                system: topic.system,
                mirror: None,
            },
            replicas,
            leader,
            copies,
        }
    }

    /// The leader's log (what clients read and produce append to).
    pub(crate) fn log(&self) -> &Log {
        self.copies.get(&self.leader).map_or(&NO_LOG, |r| &r.log)
    }

    /// The leader's log, to append to.
    pub(crate) fn log_mut(&mut self) -> &mut Log {
        &mut self.copies.entry(self.leader).or_default().log
    }

    /// The log end offset of replica `id` (0 when it holds nothing).
    pub(crate) fn leo(&self, id: i32) -> i64 {
        self.copies.get(&id).map_or(0, |r| r.log.end())
    }

    /// Followers in replica order.
    pub(crate) fn followers(&self) -> impl Iterator<Item = i32> + '_ {
        self.replicas
            .iter()
            .copied()
            .filter(|id| *id != self.leader)
    }

    /// High watermark: the leader's. As on a real SPU it waits for **every** replica,
    /// stopped ones included (see [`advance_hw`](Self::advance_hw)).
    pub(crate) fn hw(&self) -> i64 {
        self.copies.get(&self.leader).map_or(0, |r| r.hw)
    }

    /// Its `Partition` object.
    pub(crate) fn metadata(
        &self,
        name: String,
        running: impl Fn(i32) -> bool,
    ) -> Metadata<PartitionSpec> {
        let end = self.log().end();
        let hw = self.hw();
        let online = running(self.leader);
        let replicas: Vec<ReplicaStatus> = self
            .followers()
            .map(|id| ReplicaStatus {
                spu: id,
                hw: self.copies.get(&id).map_or(0, |r| r.hw),
                leo: self.leo(id),
            })
            .collect();
        let lsr = replicas.iter().filter(|r| r.leo == end).count();
        let mut spec = self.spec_template.clone();
        spec.leader = self.leader;
        spec.replicas = self.replicas.clone();
        Metadata {
            name,
            spec,
            status: PartitionStatus {
                resolution: if online {
                    PartitionResolution::Online
                } else {
                    PartitionResolution::LeaderOffline
                },
                leader: ReplicaStatus {
                    spu: self.leader,
                    hw,
                    leo: end,
                },
                lsr: u32::try_from(lsr).unwrap_or(u32::MAX),
                replicas,
                size: i64::try_from(self.log().size()).unwrap_or(i64::MAX),
                is_being_deleted: false,
                base_offset: 0,
            },
        }
    }
}

/// Computes replicas for `count` new partitions the way the real SC does (checked on
/// every topic of the captured traces): for each partition in turn, the leader is the
/// online SPU leading the fewest partitions, then each follower is the remaining SPU
/// following the fewest; ties go to the lowest id. Counts include the partitions
/// assigned so far. `None` when fewer than `replication` SPUs are online.
pub(crate) fn assign_replicas(
    online: &[i32],
    existing: &[&PartitionState],
    count: u32,
    replication: u32,
) -> Option<Vec<Vec<i32>>> {
    let replication = usize::try_from(replication).ok()?;
    if replication == 0 || replication > online.len() {
        return None;
    }
    let mut leaders: BTreeMap<i32, usize> = online.iter().map(|id| (*id, 0)).collect();
    let mut followers = leaders.clone();
    for p in existing {
        if let Some(n) = leaders.get_mut(&p.leader) {
            *n += 1;
        }
        for f in p.followers() {
            if let Some(n) = followers.get_mut(&f) {
                *n += 1;
            }
        }
    }
    let least = |counts: &BTreeMap<i32, usize>, taken: &[i32]| {
        counts
            .iter()
            .filter(|(id, _)| !taken.contains(id))
            .min_by_key(|(id, n)| (**n, **id))
            .map(|(id, _)| *id)
    };
    let mut out = Vec::new();
    for _ in 0..count {
        let mut replicas = Vec::with_capacity(replication);
        let leader = least(&leaders, &replicas)?;
        *leaders.entry(leader).or_default() += 1;
        replicas.push(leader);
        while replicas.len() < replication {
            let f = least(&followers, &replicas)?;
            *followers.entry(f).or_default() += 1;
            replicas.push(f);
        }
        out.push(replicas);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(replicas: &[i32]) -> PartitionState {
        PartitionState::new(replicas.to_vec(), &TopicSpec::default())
    }

    #[test]
    fn assignment_matches_the_real_sc() {
        let spus = [5001, 5002, 5003];
        // consumer-offset on 5003, then t1 (1, 1): 5001 (admin-create-topic.trace).
        let co = part(&[5003]);
        let t1 = assign_replicas(&spus, &[&co], 1, 1).unwrap();
        assert_eq!(t1, vec![vec![5001]]);
        // t3 (3, 2) (admin-create-topic-replicated.trace).
        let t1p = part(&t1[0]);
        let t3 = assign_replicas(&spus, &[&co, &t1p], 3, 2).unwrap();
        assert_eq!(
            t3,
            vec![vec![5002, 5001], vec![5001, 5002], vec![5002, 5003]]
        );
        // tdel (2, 1) (admin-delete-topic.trace).
        let mut all: Vec<PartitionState> = vec![co, t1p];
        all.extend(t3.iter().map(|r| part(r)));
        let refs: Vec<&PartitionState> = all.iter().collect();
        assert_eq!(
            assign_replicas(&spus, &refs, 2, 1).unwrap(),
            vec![vec![5003], vec![5001]]
        );
        // tf (1, 3) (failover-leader-kill.trace).
        assert_eq!(
            assign_replicas(&spus, &refs, 1, 3).unwrap(),
            vec![vec![5003, 5001, 5002]]
        );
        assert!(assign_replicas(&spus, &refs, 1, 4).is_none());
    }
}
