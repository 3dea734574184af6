//! The official client's module paths that user code names: `fluvio::metadata::…` (the
//! cluster objects) and `fluvio::dataplane::…` (records, error codes, basic types), here
//! over flv's own types (`flv_core`), with upstream's names.

/// Cluster objects by kind (the official `fluvio::metadata`).
pub mod metadata {
    pub use crate::admin::AdminSpec;

    /// Topics.
    pub mod topic {
        pub use flv_core::sc::topic::*;
    }
    /// Partitions.
    pub mod partition {
        pub use flv_core::sc::partition::*;
    }
    /// SPUs.
    pub mod spu {
        pub use flv_core::sc::spu::*;
    }
    /// Custom SPUs.
    pub mod customspu {
        pub use flv_core::sc::spu::{CustomSpuKey, CustomSpuSpec};
    }
    /// SPU groups.
    pub mod spg {
        pub use flv_core::sc::spg::*;
    }
    /// SmartModules.
    pub mod smartmodule {
        pub use flv_core::sc::smartmodule::*;
    }
    /// Table formats.
    pub mod tableformat {
        pub use flv_core::sc::tableformat::*;
    }
    /// Mirrors (remote clusters).
    pub mod mirror {
        pub use flv_core::sc::mirror::*;
    }
    /// Admin requests and responses, and object metadata.
    pub mod objects {
        pub use super::super::list::{ListFilters, ListRequest};
        pub use flv_core::sc::objects::*;
        pub use flv_core::sc::{Message, Metadata, MetadataUpdate, MsgType};
    }
    /// The spec trait and object metadata.
    pub mod core {
        pub use flv_core::sc::{Metadata, MetadataUpdate, Spec, Status};
    }
    /// Object metadata as the client stores it.
    pub mod store {
        pub use flv_core::sc::{Message, Metadata, MetadataUpdate, MsgType};
    }
}

/// Records, error codes and basic types (the official `fluvio::dataplane`, which is
/// `fluvio_protocol`).
pub mod dataplane {
    pub use flv_core::spu::Isolation;

    /// Basic types.
    pub mod types {
        /// A partition's index.
        pub type PartitionId = u32;
        /// A number of partitions.
        pub type PartitionCount = u32;
        /// A replication factor.
        pub type ReplicationFactor = u32;
        /// An SPU's id.
        pub type SpuId = i32;
    }

    /// Records and batches.
    pub mod record {
        pub use flv_core::client::ConsumerRecord;
        pub use flv_core::official::{RecordData, RecordKey};
        pub use flv_core::record::{Batch, Record, RecordSet};
        pub use flv_core::spu::consumer_offset::ReplicaKey;
        /// An offset in a partition.
        pub type Offset = i64;
    }

    /// The wire protocol's error codes.
    pub mod link {
        pub use flv_core::error_code::ErrorCode;
    }

    /// Wire encoding.
    pub mod core {
        pub use flv_core::codec::*;
    }
}

/// The official typed list request, for `FluvioAdmin::list_with_config`.
mod list {
    use std::marker::PhantomData;

    use flv_core::sc::objects::ListFilter;

    /// Name filters of a list request (upstream's `ListFilters`): objects whose name
    /// contains one of them (all objects when empty).
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct ListFilters {
        filters: Vec<ListFilter>,
    }

    impl From<Vec<ListFilter>> for ListFilters {
        fn from(filters: Vec<ListFilter>) -> Self {
            Self { filters }
        }
    }

    impl From<&str> for ListFilters {
        fn from(name: &str) -> Self {
            Self {
                filters: vec![ListFilter {
                    name: name.to_owned(),
                }],
            }
        }
    }

    impl From<ListFilters> for Vec<ListFilter> {
        fn from(filters: ListFilters) -> Self {
            filters.filters
        }
    }

    /// A list request for objects of kind `S` (the official `ListRequest`).
    #[derive(Debug)]
    pub struct ListRequest<S> {
        /// Name filters.
        pub name_filters: ListFilters,
        /// Summaries only (SmartModules without their WASM).
        pub summary: bool,
        /// The system objects (the SC's own topics and their partitions).
        pub system: bool,
        data: PhantomData<fn() -> S>,
    }

    impl<S> Default for ListRequest<S> {
        fn default() -> Self {
            Self::new(ListFilters::default(), false)
        }
    }

    impl<S> ListRequest<S> {
        /// A request with these filters.
        pub fn new(name_filters: impl Into<ListFilters>, summary: bool) -> Self {
            Self {
                name_filters: name_filters.into(),
                summary,
                system: false,
                data: PhantomData,
            }
        }

        /// Lists system objects.
        pub fn system(mut self, system: bool) -> Self {
            self.system = system;
            self
        }
    }
}
