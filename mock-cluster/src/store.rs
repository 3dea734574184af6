//! The SC's metadata stores: one per object kind, each with its epoch, as watched by
//! clients.

use std::collections::BTreeMap;

use flv_core::sc::ObjectListResponse;
use flv_core::sc::mirror::MirrorSpec;
use flv_core::sc::partition::PartitionSpec;
use flv_core::sc::smartmodule::SmartModuleSpec;
use flv_core::sc::spg::SpuGroupSpec;
use flv_core::sc::spu::{CustomSpuSpec, SpuSpec};
use flv_core::sc::tableformat::TableFormatSpec;
use flv_core::sc::topic::TopicSpec;
use flv_core::sc::{Message, Metadata, MetadataUpdate, MsgType, ObjectKind, ObjectWatchResponse};

impl Store<PartitionSpec> {
    /// Whether `desired` has the same partitions as the store, differing at most in the
    /// offsets of their status (end offsets, high watermarks, size).
    pub(crate) fn offsets_only(&self, desired: &BTreeMap<String, Metadata<PartitionSpec>>) -> bool {
        self.items.len() == desired.len()
            && desired.iter().all(|(name, new)| {
                self.items.get(name).is_some_and(|old| {
                    let (a, b) = (&old.status, &new.status);
                    old.spec == new.spec
                        && a.resolution == b.resolution
                        && a.leader.spu == b.leader.spu
                        && a.lsr == b.lsr
                        && a.is_being_deleted == b.is_being_deleted
                        && a.base_offset == b.base_offset
                        && a.replicas.len() == b.replicas.len()
                        && a.replicas
                            .iter()
                            .zip(&b.replicas)
                            .all(|(x, y)| x.spu == y.spu)
                })
            })
    }
}

/// Objects of one kind, by name, and the epoch of their last change.
#[derive(Debug, Clone)]
pub(crate) struct Store<S: flv_core::sc::Spec> {
    pub(crate) epoch: i64,
    pub(crate) items: BTreeMap<String, Metadata<S>>,
}

impl<S: flv_core::sc::Spec> Default for Store<S> {
    fn default() -> Self {
        Self {
            epoch: 1,
            items: BTreeMap::new(),
        }
    }
}

impl<S: flv_core::sc::Spec> Store<S> {
    /// The whole store, as sent to a new watcher (a full sync).
    pub(crate) fn full(&self) -> MetadataUpdate<S> {
        MetadataUpdate {
            epoch: self.epoch,
            changes: Vec::new(),
            all: self.items.values().cloned().collect(),
        }
    }

    /// The objects whose name contains one of `filters` (all when empty), as upstream's
    /// substring filter does.
    pub(crate) fn list(
        &self,
        filters: &[String],
        keep: impl Fn(&Metadata<S>) -> bool,
    ) -> Vec<Metadata<S>> {
        self.items
            .values()
            .filter(|m| filters.is_empty() || filters.iter().any(|f| m.name.contains(f.as_str())))
            .filter(|m| keep(m))
            .cloned()
            .collect()
    }

    /// Replaces the content with `desired`; returns the change set (one epoch) if anything
    /// changed.
    pub(crate) fn sync(
        &mut self,
        desired: BTreeMap<String, Metadata<S>>,
    ) -> Option<MetadataUpdate<S>> {
        let mut changes = Vec::new();
        for (name, old) in &self.items {
            if !desired.contains_key(name) {
                changes.push(Message {
                    header: MsgType::Delete,
                    content: old.clone(),
                });
            }
        }
        for (name, new) in &desired {
            if self.items.get(name) != Some(new) {
                changes.push(Message {
                    header: MsgType::Update,
                    content: new.clone(),
                });
            }
        }
        self.items = desired;
        self.bump(changes)
    }

    /// Inserts or replaces one object.
    pub(crate) fn upsert(&mut self, item: Metadata<S>) -> Option<MetadataUpdate<S>> {
        if self.items.get(&item.name) == Some(&item) {
            return None;
        }
        self.items.insert(item.name.clone(), item.clone());
        self.bump(vec![Message {
            header: MsgType::Update,
            content: item,
        }])
    }

    /// Removes one object.
    pub(crate) fn remove(&mut self, name: &str) -> Option<MetadataUpdate<S>> {
        let old = self.items.remove(name)?;
        self.bump(vec![Message {
            header: MsgType::Delete,
            content: old,
        }])
    }

    fn bump(&mut self, changes: Vec<Message<Metadata<S>>>) -> Option<MetadataUpdate<S>> {
        if changes.is_empty() {
            return None;
        }
        self.epoch = self.epoch.saturating_add(1);
        Some(MetadataUpdate {
            epoch: self.epoch,
            changes,
            all: Vec::new(),
        })
    }
}

/// Every store of the SC.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stores {
    pub(crate) spu: Store<SpuSpec>,
    pub(crate) custom_spu: Store<CustomSpuSpec>,
    pub(crate) topic: Store<TopicSpec>,
    pub(crate) partition: Store<PartitionSpec>,
    pub(crate) spg: Store<SpuGroupSpec>,
    pub(crate) smartmodule: Store<SmartModuleSpec>,
    pub(crate) tableformat: Store<TableFormatSpec>,
    pub(crate) mirror: Store<MirrorSpec>,
}

impl Stores {
    /// The full sync of one kind, as the first answer to a watch.
    pub(crate) fn full(&self, kind: ObjectKind) -> ObjectWatchResponse {
        match kind {
            ObjectKind::Topic => ObjectWatchResponse::Topic(self.topic.full()),
            ObjectKind::Partition => ObjectWatchResponse::Partition(self.partition.full()),
            ObjectKind::Spu => ObjectWatchResponse::Spu(self.spu.full()),
            ObjectKind::CustomSpu => ObjectWatchResponse::CustomSpu(self.custom_spu.full()),
            ObjectKind::SpuGroup => ObjectWatchResponse::SpuGroup(self.spg.full()),
            ObjectKind::SmartModule => ObjectWatchResponse::SmartModule(self.smartmodule.full()),
            ObjectKind::TableFormat => ObjectWatchResponse::TableFormat(self.tableformat.full()),
            ObjectKind::Mirror => ObjectWatchResponse::Mirror(self.mirror.full()),
        }
    }

    /// A list answer. System topics and partitions are listed only when `system` is set
    /// (the real SC leaves `consumer-offset` out of plain listings).
    pub(crate) fn list(
        &self,
        kind: ObjectKind,
        filters: &[String],
        system: bool,
    ) -> ObjectListResponse {
        match kind {
            ObjectKind::Topic => {
                ObjectListResponse::Topic(self.topic.list(filters, |m| m.spec.system == system))
            }
            ObjectKind::Partition => ObjectListResponse::Partition(
                self.partition.list(filters, |m| m.spec.system == system),
            ),
            ObjectKind::Spu => ObjectListResponse::Spu(self.spu.list(filters, |_| true)),
            ObjectKind::CustomSpu => {
                ObjectListResponse::CustomSpu(self.custom_spu.list(filters, |_| true))
            }
            ObjectKind::SpuGroup => ObjectListResponse::SpuGroup(self.spg.list(filters, |_| true)),
            ObjectKind::SmartModule => {
                ObjectListResponse::SmartModule(self.smartmodule.list(filters, |_| true))
            }
            ObjectKind::TableFormat => {
                ObjectListResponse::TableFormat(self.tableformat.list(filters, |_| true))
            }
            ObjectKind::Mirror => ObjectListResponse::Mirror(self.mirror.list(filters, |_| true)),
        }
    }
}

/// A custom SPU's metadata as listed under `CustomSpu`, from its `SPU` object.
pub(crate) fn custom_of(m: &Metadata<SpuSpec>) -> Metadata<CustomSpuSpec> {
    Metadata {
        name: m.name.clone(),
        spec: CustomSpuSpec {
            id: m.spec.id,
            public_endpoint: m.spec.public_endpoint.clone(),
            private_endpoint: m.spec.private_endpoint.clone(),
            rack: m.spec.rack.clone(),
            public_endpoint_local: m.spec.public_endpoint_local.clone(),
        },
        status: m.status.clone(),
    }
}
