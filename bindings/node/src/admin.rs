//! The native admin API: topics, partitions and SPUs as plain JavaScript objects.

use flv_tokio::FluvioAdmin;
use flv_tokio::core::sc::partition::PartitionSpec;
use flv_tokio::core::sc::spg::SpuGroupSpec;
use flv_tokio::core::sc::spu::{CustomSpuKey, CustomSpuSpec, SpuSpec};
use flv_tokio::core::sc::topic::{PartitionMap, ReplicaSpec, TopicReplicaParam, TopicSpec};
use napi_derive::napi;

use crate::error::{invalid_argument, js_error, to_js};

/// Settings of a new topic.
#[napi(object)]
pub struct TopicOptions {
    /// Partition count (default 1).
    pub partitions: Option<u32>,
    /// Replicas per partition (default 1).
    pub replication: Option<u32>,
    /// Replicas per partition (the official client's name of `replication`).
    pub replication_factor: Option<u32>,
    /// Ignore SPU racks when placing replicas.
    pub ignore_rack_assignment: Option<bool>,
    /// Explicit partition → SPU assignment (instead of a computed layout).
    pub maps: Option<Vec<PartitionMapOptions>>,
    /// Only validate, create nothing.
    pub dry_run: Option<bool>,
}

/// One partition of an assigned topic layout.
#[napi(object)]
pub struct PartitionMapOptions {
    /// The partition id.
    pub id: u32,
    /// SPU ids holding its replicas; the first is the preferred leader.
    pub replicas: Vec<i32>,
}

impl TopicOptions {
    /// The topic spec these options describe.
    fn into_spec(self) -> napi::Result<TopicSpec> {
        if let Some(maps) = self.maps {
            if maps.is_empty() {
                return Err(invalid_argument("maps must list at least one partition"));
            }
            let maps = maps
                .into_iter()
                .map(|m| PartitionMap {
                    id: m.id,
                    replicas: m.replicas,
                    ..Default::default()
                })
                .collect();
            return Ok(TopicSpec {
                replicas: ReplicaSpec::Assigned(maps),
                ..Default::default()
            });
        }
        let replication = self.replication.or(self.replication_factor).unwrap_or(1);
        Ok(TopicSpec {
            replicas: ReplicaSpec::Computed(TopicReplicaParam {
                partitions: self.partitions.unwrap_or(1),
                replication_factor: replication,
                ignore_rack_assignment: self.ignore_rack_assignment.unwrap_or(false),
            }),
            ..Default::default()
        })
    }
}

/// The JSON text of `value`.
fn to_json(value: &impl serde::Serialize) -> napi::Result<String> {
    serde_json::to_string(value).map_err(|e| js_error("JSON_ERROR", e))
}

/// `value` parsed from the JSON text `json`, or an `INVALID_ARGUMENT` error naming `what`.
fn from_json<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> napi::Result<T> {
    serde_json::from_str(json).map_err(|e| invalid_argument(format!("bad {what}: {e}")))
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
        let (spec, dry_run) = match options {
            Some(o) => {
                let dry_run = o.dry_run.unwrap_or(false);
                (o.into_spec()?, dry_run)
            }
            None => (TopicSpec::computed(1, 1), false),
        };
        self.admin.create(name, dry_run, spec).await.map_err(to_js)
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

    /// Every object of `kind` (`topic`, `partition`, `spu`, `customspu` or `spugroup`) as
    /// JSON text: a list of `{ name, spec, status }` in the official client's serde shape.
    #[napi]
    pub async fn list_json(&self, kind: String) -> napi::Result<String> {
        match kind.as_str() {
            "topic" => to_json(&self.admin.all::<TopicSpec>().await.map_err(to_js)?),
            "partition" => to_json(&self.admin.all::<PartitionSpec>().await.map_err(to_js)?),
            "spu" => to_json(&self.admin.all::<SpuSpec>().await.map_err(to_js)?),
            "customspu" => to_json(&self.admin.all::<CustomSpuSpec>().await.map_err(to_js)?),
            "spugroup" => to_json(&self.admin.all::<SpuGroupSpec>().await.map_err(to_js)?),
            other => Err(invalid_argument(format!("unknown object kind {other:?}"))),
        }
    }

    /// Registers a custom SPU; `spec` is the JSON text of a `CustomSpuSpec`
    /// (`{ id, publicEndpoint: { port, ingress, encryption }, privateEndpoint, rack? }`).
    #[napi]
    pub async fn create_custom_spu(&self, name: String, spec: String) -> napi::Result<()> {
        let spec: CustomSpuSpec = from_json(&spec, "custom SPU spec")?;
        self.admin.create(name, false, spec).await.map_err(to_js)
    }

    /// Unregisters a custom SPU, by `name` or by `id`.
    #[napi]
    pub async fn delete_custom_spu(
        &self,
        name: Option<String>,
        id: Option<i32>,
    ) -> napi::Result<()> {
        let key = match (name, id) {
            (Some(name), None) => CustomSpuKey::Name(name),
            (None, Some(id)) => CustomSpuKey::Id(id),
            _ => return Err(invalid_argument("a custom SPU is deleted by name or by id")),
        };
        self.admin.delete::<CustomSpuSpec>(key).await.map_err(to_js)
    }

    /// Creates an SPU group (managed SPUs); `spec` is the JSON text of an `SpuGroupSpec`
    /// (`{ replicas, minId, spuConfig: { env, rack?, replication?, storage? } }`).
    #[napi]
    pub async fn create_managed_spu(&self, name: String, spec: String) -> napi::Result<()> {
        let spec: SpuGroupSpec = from_json(&spec, "SPU group spec")?;
        self.admin.create(name, false, spec).await.map_err(to_js)
    }

    /// Deletes an SPU group.
    #[napi]
    pub async fn delete_managed_spu(&self, name: String) -> napi::Result<()> {
        self.admin.delete::<SpuGroupSpec>(name).await.map_err(to_js)
    }
}
