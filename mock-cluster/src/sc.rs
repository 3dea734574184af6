//! The SC: ApiVersions and the admin API (Create, Delete, List, Watch, Update,
//! Mirroring), answered the way the real 0.50.2 SC answers (see the traces).

use crate::store::{Store, Stores};
use flv_core::api_versions::{ApiVersionKey, ApiVersionsResponse};
use flv_core::error_code::ErrorCode;
use flv_core::header::RequestHeader;
use flv_core::message::{AnyRequest, AnyResponse};
use flv_core::sc::MetadataUpdate;
use flv_core::sc::spu::CustomSpuKey;
use flv_core::sc::topic::{ReplicaSpec, TopicSpec, UpdateTopicAction};
use flv_core::sc::{
    DeleteRequest, Metadata, MirroringRequest, MirroringResponse, ObjectCreateRequest,
    ObjectDeleteRequest, ObjectSpec, ObjectUpdateRequest, ObjectWatchResponse, Status,
};

use crate::cluster::{MockCluster, WatchSub};
use crate::config::{ConnId, PLATFORM_VERSION};
use crate::faults::{delete_name, update_name};
use crate::model::{PartitionState, SpuNode, assign_replicas};

/// The API keys and versions the real 0.50.2 SC advertises.
pub(crate) const SC_API_KEYS: [(i16, i16, i16); 6] = [
    (1001, 9, 19),
    (1002, 1, 19),
    (1003, 15, 19),
    (1004, 15, 19),
    (1005, 14, 19),
    (1006, 1, 19),
];

/// Most partitions a topic may have in the mock (a bound on what a request can make it
/// allocate; real clusters are limited by their SPUs' resources).
pub(crate) const MAX_PARTITIONS: u32 = 10_000;

fn keys(table: &[(i16, i16, i16)]) -> Vec<ApiVersionKey> {
    table
        .iter()
        .map(|(api_key, min_version, max_version)| ApiVersionKey {
            api_key: *api_key,
            min_version: *min_version,
            max_version: *max_version,
        })
        .collect()
}

fn ok(name: impl Into<String>) -> Status {
    Status {
        name: name.into(),
        error_code: ErrorCode::None,
        error_message: None,
    }
}

fn err(name: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Status {
    Status {
        name: name.into(),
        error_code: code,
        error_message: Some(message.into()),
    }
}

impl MockCluster {
    pub(crate) fn handle_sc(&mut self, conn: ConnId, header: RequestHeader, body: AnyRequest) {
        let (cid, version) = (header.correlation_id, header.api_version);
        let resp = match body {
            AnyRequest::ApiVersions(_) => AnyResponse::ApiVersions(ApiVersionsResponse {
                error_code: ErrorCode::None,
                api_keys: keys(&SC_API_KEYS),
                platform_version: PLATFORM_VERSION.into(),
            }),
            AnyRequest::Create(req) => AnyResponse::Create(self.sc_create(req)),
            AnyRequest::Delete(req) => AnyResponse::Delete(self.sc_delete(req)),
            AnyRequest::Update(req) => AnyResponse::Update(self.sc_update(req)),
            AnyRequest::List(req) => {
                let filters: Vec<String> = req.name_filters.into_iter().map(|f| f.name).collect();
                AnyResponse::List(self.stores.list(req.kind, &filters, req.system))
            }
            AnyRequest::Watch(req) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.watches.push(WatchSub {
                        correlation_id: cid,
                        version,
                        kind: req.kind,
                    });
                }
                AnyResponse::Watch(self.stores.full(req.kind))
            }
            AnyRequest::Mirroring(MirroringRequest::Connect(c)) => {
                AnyResponse::Mirroring(MirroringResponse {
                    name: c.remote_id,
                    error_code: ErrorCode::MirrorNotFound,
                    error_message: Some("mirroring is not supported by the mock cluster".into()),
                    topics: Vec::new(),
                })
            }
            other => {
                self.note(format!(
                    "{conn}: {} is not an SC request; closing",
                    other.api_name()
                ));
                self.close(conn);
                return;
            }
        };
        // Store changes go out on the watch streams before the answer, as on the real SC.
        self.settle();
        self.respond(conn, cid, version, resp);
    }

    /// Stores a new object with a default status and tells the watchers.
    fn store_new<S: flv_core::sc::Spec>(
        &mut self,
        name: String,
        spec: S,
        store: impl FnOnce(&mut Stores) -> &mut Store<S>,
        wrap: impl FnOnce(MetadataUpdate<S>) -> ObjectWatchResponse,
    ) {
        let m = Metadata {
            name,
            spec,
            status: Default::default(),
        };
        if let Some(u) = store(&mut self.stores).upsert(m) {
            self.broadcast(wrap(u));
        }
    }

    fn sc_create(&mut self, req: ObjectCreateRequest) -> Status {
        let name = req.common.name;
        let dry_run = req.common.dry_run;
        match req.spec {
            ObjectSpec::Topic(spec) => self.create_topic_checked(&name, spec, dry_run),
            ObjectSpec::CustomSpu(spec) => {
                if self
                    .spus
                    .values()
                    .any(|s| s.spec.id == spec.id || s.name == name)
                {
                    return err(
                        name,
                        ErrorCode::SpuAlreadyExists,
                        format!("SPU {} already exists", spec.id),
                    );
                }
                if !dry_run {
                    let mut node = SpuNode::served(spec.id, "0.0.0.0:0");
                    node.name = name.clone();
                    node.served = false;
                    node.running = false;
                    node.spec.public_endpoint = spec.public_endpoint;
                    node.spec.private_endpoint = spec.private_endpoint;
                    node.spec.rack = spec.rack;
                    node.spec.public_endpoint_local = spec.public_endpoint_local;
                    self.spus.insert(spec.id, node);
                }
                ok(name)
            }
            ObjectSpec::SpuGroup(spec) => {
                if self.stores.spg.items.contains_key(&name) {
                    return err(
                        name.clone(),
                        ErrorCode::Other(format!("SPU group '{name}' already exists")),
                        "already exists",
                    );
                }
                if !dry_run {
                    self.store_new(
                        name.clone(),
                        spec,
                        |s| &mut s.spg,
                        ObjectWatchResponse::SpuGroup,
                    );
                }
                ok(name)
            }
            ObjectSpec::SmartModule(spec) => {
                if !dry_run {
                    let wrap = ObjectWatchResponse::SmartModule;
                    self.store_new(name.clone(), spec, |s| &mut s.smartmodule, wrap);
                }
                ok(name)
            }
            ObjectSpec::TableFormat(spec) => {
                if !dry_run {
                    let wrap = ObjectWatchResponse::TableFormat;
                    self.store_new(name.clone(), spec, |s| &mut s.tableformat, wrap);
                }
                ok(name)
            }
            ObjectSpec::Mirror(_) => err(
                name,
                ErrorCode::Other("mirrors are not supported by the mock cluster".into()),
                "mirrors are not supported by the mock cluster",
            ),
        }
    }

    /// Validates and creates a topic the way the SC does.
    pub(crate) fn create_topic_checked(
        &mut self,
        name: &str,
        spec: TopicSpec,
        dry_run: bool,
    ) -> Status {
        if self.topics.contains_key(name) {
            return err(
                name,
                ErrorCode::TopicAlreadyExists,
                format!("Topic '{name}' already exists"),
            );
        }
        if !flv_core::sc::is_valid_resource_name(name) {
            return err(
                name,
                ErrorCode::TopicInvalidName,
                format!(
                    "Invalid topic name: '{name}'. Topic name can contain only lowercase alphanumeric characters or '-'."
                ),
            );
        }
        let maps = match &spec.replicas {
            ReplicaSpec::Computed(param) => {
                if param.partitions == 0 || param.partitions > MAX_PARTITIONS {
                    return err(
                        name,
                        ErrorCode::TopicInvalidConfiguration,
                        format!("partitions must be between 1 and {MAX_PARTITIONS}"),
                    );
                }
                if param.replication_factor == 0 {
                    return err(
                        name,
                        ErrorCode::TopicInvalidConfiguration,
                        "replication factor must be greater than 0",
                    );
                }
                let online: Vec<i32> = self
                    .spus
                    .keys()
                    .copied()
                    .filter(|id| self.spu_running(*id))
                    .collect();
                let existing: Vec<&PartitionState> = self.partitions.values().collect();
                match assign_replicas(
                    &online,
                    &existing,
                    param.partitions,
                    param.replication_factor,
                ) {
                    Some(maps) => maps,
                    None => {
                        return err(
                            name,
                            ErrorCode::TopicInvalidConfiguration,
                            format!(
                                "replication factor of {} is greater than the number of online SPUs ({})",
                                param.replication_factor,
                                online.len()
                            ),
                        );
                    }
                }
            }
            ReplicaSpec::Assigned(maps) => {
                let mut sorted: Vec<_> = maps.iter().collect();
                sorted.sort_by_key(|m| m.id);
                let mut out = Vec::new();
                for (i, m) in sorted.into_iter().enumerate() {
                    let unknown = m.replicas.iter().find(|id| !self.spus.contains_key(id));
                    let mut dedup = m.replicas.clone();
                    dedup.sort_unstable();
                    dedup.dedup();
                    if usize::try_from(m.id).ok() != Some(i)
                        || m.replicas.is_empty()
                        || dedup.len() != m.replicas.len()
                        || unknown.is_some()
                    {
                        return err(
                            name,
                            ErrorCode::TopicInvalidConfiguration,
                            format!("invalid replica assignment for partition {}", m.id),
                        );
                    }
                    out.push(m.replicas.clone());
                }
                if out.is_empty() {
                    return err(
                        name,
                        ErrorCode::TopicInvalidConfiguration,
                        "no partitions assigned",
                    );
                }
                out
            }
            ReplicaSpec::Mirror(_) => {
                return err(
                    name,
                    ErrorCode::TopicInvalidReplicaType,
                    "mirror topics are not supported by the mock cluster",
                );
            }
        };
        if !dry_run {
            self.insert_topic(name, spec, maps);
        }
        ok(name)
    }

    fn sc_delete(&mut self, req: ObjectDeleteRequest) -> Status {
        let name = delete_name(&req);
        match req {
            ObjectDeleteRequest::Topic(DeleteRequest { key, force }) => {
                let Some(topic) = self.topics.get(&key) else {
                    return err(key, ErrorCode::TopicNotFound, "not found");
                };
                if topic.spec.system && !force {
                    return err(
                        key.clone(),
                        ErrorCode::SystemSpecDeletionAttempt {
                            kind: "topic".into(),
                            name: key,
                        },
                        "system topics can only be deleted forcibly",
                    );
                }
                self.topics.remove(&key);
                self.partitions.retain(|k, _| k.topic != key);
                ok(key)
            }
            ObjectDeleteRequest::CustomSpu(d) => {
                let id = match &d.key {
                    CustomSpuKey::Id(id) => Some(*id),
                    CustomSpuKey::Name(n) => {
                        self.spus.values().find(|s| &s.name == n).map(|s| s.spec.id)
                    }
                };
                match id.and_then(|id| self.spus.remove(&id)) {
                    Some(node) => {
                        if node.served {
                            self.drop_connections(crate::ServerId::Spu(node.spec.id), self.now);
                        }
                        ok(name)
                    }
                    None => err(name, ErrorCode::SpuNotFound, "not found"),
                }
            }
            ObjectDeleteRequest::SpuGroup(d) => match self.stores.spg.remove(&d.key) {
                Some(u) => {
                    self.broadcast(ObjectWatchResponse::SpuGroup(u));
                    ok(name)
                }
                None => err(name, ErrorCode::Other("not found".into()), "not found"),
            },
            ObjectDeleteRequest::SmartModule(d) => match self.stores.smartmodule.remove(&d.key) {
                Some(u) => {
                    self.broadcast(ObjectWatchResponse::SmartModule(u));
                    ok(name)
                }
                None => err(
                    name,
                    ErrorCode::SmartModuleNotFound {
                        name: d.key.clone(),
                    },
                    "not found",
                ),
            },
            ObjectDeleteRequest::TableFormat(d) => match self.stores.tableformat.remove(&d.key) {
                Some(u) => {
                    self.broadcast(ObjectWatchResponse::TableFormat(u));
                    ok(name)
                }
                None => err(name, ErrorCode::TableFormatNotFound, "not found"),
            },
            ObjectDeleteRequest::Mirror(_) => err(name, ErrorCode::MirrorNotFound, "not found"),
        }
    }

    fn sc_update(&mut self, req: ObjectUpdateRequest) -> Status {
        let name = update_name(&req);
        let ObjectUpdateRequest::Topic(u) = req else {
            return err(
                name,
                ErrorCode::Other("update is only supported for topics".into()),
                "update is only supported for topics",
            );
        };
        let key = u.key;
        let Some(topic) = self.topics.get(&key) else {
            return err(key, ErrorCode::TopicNotFound, "not found");
        };
        let UpdateTopicAction::AddPartition(add) = u.action else {
            return err(
                key,
                ErrorCode::Other("mirrors are not supported by the mock cluster".into()),
                "mirrors are not supported",
            );
        };
        let ReplicaSpec::Computed(param) = topic.spec.replicas.clone() else {
            return err(
                key,
                ErrorCode::TopicInvalidReplicaType,
                "only computed topics can grow",
            );
        };
        let current = u32::try_from(topic.replica_map.len()).unwrap_or(u32::MAX);
        if current.saturating_add(add.count) > MAX_PARTITIONS {
            return err(
                key,
                ErrorCode::TopicInvalidConfiguration,
                format!("a topic may have at most {MAX_PARTITIONS} partitions in the mock"),
            );
        }
        let online: Vec<i32> = self
            .spus
            .keys()
            .copied()
            .filter(|id| self.spu_running(*id))
            .collect();
        let existing: Vec<&PartitionState> = self.partitions.values().collect();
        let Some(maps) = assign_replicas(&online, &existing, add.count, param.replication_factor)
        else {
            return err(
                key,
                ErrorCode::TopicInvalidConfiguration,
                "not enough online SPUs",
            );
        };
        let Some(topic) = self.topics.get_mut(&key) else {
            return err(key, ErrorCode::TopicNotFound, "not found");
        };
        let mut new_param = param;
        new_param.partitions = current.saturating_add(add.count);
        topic.spec.replicas = ReplicaSpec::Computed(new_param);
        let spec = topic.spec.clone();
        for (i, replicas) in maps.into_iter().enumerate() {
            let index = current.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
            topic.replica_map.insert(index, replicas.clone());
            self.partitions.insert(
                flv_core::spu::ReplicaKey::new(key.clone(), index),
                PartitionState::new(replicas, &spec),
            );
        }
        ok(key)
    }

    /// Creates a topic directly (as an admin would), for test set-up.
    pub fn create_topic(&mut self, name: &str, spec: TopicSpec) -> Result<(), crate::MockError> {
        let status = self.create_topic_checked(name, spec, false);
        self.settle();
        if status.error_code == ErrorCode::None {
            Ok(())
        } else {
            Err(crate::MockError::Rejected(
                status.error_code,
                status.error_message.unwrap_or_default(),
            ))
        }
    }
}
