//! The native admin API: topics, partitions and SPUs as plain JavaScript objects.

use flv_tokio::FluvioAdmin;
use flv_tokio::core::sc::partition::PartitionSpec;
use flv_tokio::core::sc::spu::SpuSpec;
use flv_tokio::core::sc::topic::{ReplicaSpec, TopicSpec};
use napi_derive::napi;

use crate::error::to_js;

/// Settings of a new topic.
#[napi(object)]
pub struct TopicOptions {
    /// Partition count (default 1).
    pub partitions: Option<u32>,
    /// Replicas per partition (default 1).
    pub replication: Option<u32>,
    /// Only validate, create nothing.
    pub dry_run: Option<bool>,
}

/// A topic as listed.
#[napi(object)]
pub struct TopicInfo {
    /// The name.
    pub name: String,
    /// Partition count.
    pub partitions: u32,
    /// Replicas per partition (0 when the layout is not computed by the cluster).
    pub replication: u32,
    /// Provisioning state: `Init`, `Pending`, `Provisioned`, ...
    pub status: String,
    /// Why the topic is in this state (often empty).
    pub reason: String,
}

/// A partition as listed.
#[napi(object)]
pub struct PartitionInfo {
    /// The topic.
    pub topic: String,
    /// The partition number.
    pub partition: u32,
    /// SPU id of the leader.
    pub leader: i32,
    /// SPU ids of all replicas.
    pub replicas: Vec<i32>,
    /// `Online`, `Offline`, ...
    pub status: String,
    /// The leader's high watermark (offset after the last committed record).
    pub high_watermark: i64,
    /// The leader's log end offset.
    pub log_end_offset: i64,
    /// Size in bytes (negative when unknown).
    pub size: i64,
}

/// An SPU as listed.
#[napi(object)]
pub struct SpuInfo {
    /// The SPU id.
    pub id: i32,
    /// The SPU's name.
    pub name: String,
    /// The public address clients connect to, `host:port`.
    pub address: Option<String>,
    /// `Online`, `Offline` or `Init`.
    pub status: String,
    /// The rack, if any.
    pub rack: Option<String>,
}

/// The admin API of a cluster (wrapped by `FluvioAdmin` in `index.js`).
#[napi]
pub struct Admin {
    admin: FluvioAdmin,
}

impl Admin {
    /// A native admin over `admin`.
    pub fn new(admin: FluvioAdmin) -> Self {
        Self { admin }
    }
}

#[napi]
impl Admin {
    /// Creates a topic; resolves once this client sees its partitions online.
    #[napi]
    pub async fn create_topic(
        &self,
        name: String,
        options: Option<TopicOptions>,
    ) -> napi::Result<()> {
        let (partitions, replication, dry_run) = match options {
            Some(o) => (o.partitions, o.replication, o.dry_run),
            None => (None, None, None),
        };
        let spec = TopicSpec::computed(partitions.unwrap_or(1), replication.unwrap_or(1));
        self.admin
            .create(name, dry_run.unwrap_or(false), spec)
            .await
            .map_err(to_js)
    }

    /// Deletes a topic.
    #[napi]
    pub async fn delete_topic(&self, name: String) -> napi::Result<()> {
        self.admin.delete::<TopicSpec>(name).await.map_err(to_js)
    }

    /// The topics whose name contains one of `filters` (every topic if none).
    #[napi]
    pub async fn list_topics(&self, filters: Option<Vec<String>>) -> napi::Result<Vec<TopicInfo>> {
        let topics = self
            .admin
            .list::<TopicSpec, String>(filters.unwrap_or_default())
            .await
            .map_err(to_js)?;
        Ok(topics
            .into_iter()
            .map(|t| {
                let (partitions, replication) = match &t.spec.replicas {
                    ReplicaSpec::Computed(p) => (p.partitions, p.replication_factor),
                    ReplicaSpec::Assigned(maps) => (
                        u32::try_from(maps.len()).unwrap_or(u32::MAX),
                        maps.first()
                            .map_or(0, |m| u32::try_from(m.replicas.len()).unwrap_or(0)),
                    ),
                    ReplicaSpec::Mirror(_) => {
                        (u32::try_from(t.status.replica_map.len()).unwrap_or(0), 0)
                    }
                };
                TopicInfo {
                    name: t.name,
                    partitions,
                    replication,
                    status: format!("{:?}", t.status.resolution),
                    reason: t.status.reason,
                }
            })
            .collect())
    }

    /// The partitions, of one topic or of all.
    #[napi]
    pub async fn list_partitions(&self, topic: Option<String>) -> napi::Result<Vec<PartitionInfo>> {
        let partitions = self.admin.all::<PartitionSpec>().await.map_err(to_js)?;
        let mut out: Vec<PartitionInfo> = partitions
            .into_iter()
            .filter_map(|p| {
                // Partitions are named `<topic>-<partition>`.
                let (name, number) = p.name.rsplit_once('-')?;
                let partition = number.parse().ok()?;
                if topic.as_deref().is_some_and(|t| t != name) {
                    return None;
                }
                Some(PartitionInfo {
                    topic: name.to_owned(),
                    partition,
                    leader: p.spec.leader,
                    replicas: p.spec.replicas,
                    status: format!("{:?}", p.status.resolution),
                    high_watermark: p.status.leader.hw,
                    log_end_offset: p.status.leader.leo,
                    size: p.status.size,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(out)
    }

    /// The SPUs of the cluster.
    #[napi]
    pub async fn list_spus(&self) -> napi::Result<Vec<SpuInfo>> {
        let spus = self.admin.all::<SpuSpec>().await.map_err(to_js)?;
        let mut out: Vec<SpuInfo> = spus
            .into_iter()
            .map(|s| SpuInfo {
                id: s.spec.id,
                address: s.spec.public_address(),
                status: format!("{:?}", s.status.resolution),
                rack: s.spec.rack,
                name: s.name,
            })
            .collect();
        out.sort_by_key(|s| s.id);
        Ok(out)
    }
}
