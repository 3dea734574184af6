//! `FluvioAdmin`: topics, partitions, SmartModules and watches (the official classes).

use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use flv_tokio::core::sc::partition::PartitionSpec;
use flv_tokio::core::sc::smartmodule::{SmartModuleSpec as SmSpec, SmartModuleWasm};
use flv_tokio::core::sc::topic::{
    CleanupPolicy, CompressionAlgorithm, PartitionMap as PMap, ReplicaSpec, SegmentBasedPolicy,
    TopicReplicaParam, TopicSpec as TSpec, TopicStorageConfig,
};
use flv_tokio::core::sc::{Metadata, MetadataUpdate, MsgType};
use flv_tokio::{AdminSpec, WatchStream};
use futures_util::StreamExt;
use pyo3::prelude::*;

use crate::config::FluvioConfig;
use crate::error::{invalid_argument, py_error, to_py};
use crate::{Fluvio, awaitable, block_on, join_error, runtime};

/// A partition's replica assignment (for `TopicSpec.new_assigned`).
#[pyclass(module = "flv", frozen)]
#[derive(Clone)]
pub struct PartitionMap {
    map: PMap,
}

#[pymethods]
impl PartitionMap {
    /// Partition `partition` on the SPUs `replicas` (the first is the preferred leader).
    #[staticmethod]
    fn new(partition: u32, replicas: Vec<i32>) -> Self {
        Self {
            map: PMap {
                id: partition,
                replicas,
                mirror: None,
            },
        }
    }
}

/// A topic's configuration as sent to the cluster (`TopicSpec(...).build()` in Python).
#[pyclass(module = "flv", name = "TopicSpec")]
#[derive(Clone)]
pub struct NativeTopicSpec {
    spec: TSpec,
}

#[pymethods]
impl NativeTopicSpec {
    /// `partitions` partitions of `replications` replicas, laid out by the cluster.
    #[staticmethod]
    #[pyo3(signature = (partitions, replications, ignore=None))]
    fn new_computed(partitions: u32, replications: u32, ignore: Option<bool>) -> Self {
        let mut spec = TSpec::computed(partitions, replications);
        if let ReplicaSpec::Computed(p) = &mut spec.replicas {
            p.ignore_rack_assignment = ignore.unwrap_or(false);
        }
        Self { spec }
    }

    /// Explicit partition → SPU assignment.
    #[staticmethod]
    fn new_assigned(maps: Vec<PyRef<'_, PartitionMap>>) -> Self {
        Self {
            spec: TSpec {
                replicas: ReplicaSpec::Assigned(maps.iter().map(|m| m.map.clone()).collect()),
                ..TSpec::default()
            },
        }
    }

    /// Mirror topics are not supported by flv's mock cluster or this binding.
    #[staticmethod]
    fn new_mirror() -> PyResult<Self> {
        Err(py_error(
            "UNSUPPORTED",
            "mirror topics are not supported by flv",
        ))
    }

    /// Marks the topic as a system topic.
    fn set_system(&mut self, system: bool) {
        self.spec.system = system;
    }

    /// Retention time in seconds.
    fn set_retention_time(&mut self, time_in_seconds: i64) -> PyResult<()> {
        let secs = u32::try_from(time_in_seconds)
            .map_err(|_| invalid_argument(format!("bad retention time {time_in_seconds}")))?;
        self.spec.cleanup_policy = Some(CleanupPolicy::Segment(SegmentBasedPolicy {
            time_in_seconds: secs,
        }));
        Ok(())
    }

    /// Partition and segment size limits, in bytes.
    #[pyo3(signature = (max_partition_size=None, segment_size=None))]
    fn set_storage(&mut self, max_partition_size: Option<u64>, segment_size: Option<u32>) {
        self.spec.storage = Some(TopicStorageConfig {
            segment_size,
            max_partition_size,
        });
    }

    /// Compression producers must use: `none`, `gzip`, `snappy`, `lz4`, `zstd` or `any`.
    fn set_compression_type(&mut self, compression: &str) -> PyResult<()> {
        self.spec.compression_type = match compression.to_ascii_lowercase().as_str() {
            "none" => CompressionAlgorithm::None,
            "gzip" => CompressionAlgorithm::Gzip,
            "snappy" => CompressionAlgorithm::Snappy,
            "lz4" => CompressionAlgorithm::Lz4,
            "zstd" => CompressionAlgorithm::Zstd,
            "any" => CompressionAlgorithm::Any,
            other => return Err(invalid_argument(format!("unknown compression {other:?}"))),
        };
        Ok(())
    }
}

/// The spec of `create_topic`: `None` (1 partition, 1 replica), a native `TopicSpec`, or
/// anything with a `build()` that returns one (the Python `TopicSpec` builder).
fn topic_spec(spec: Option<&Bound<'_, PyAny>>) -> PyResult<TSpec> {
    let Some(spec) = spec.filter(|s| !s.is_none()) else {
        let mut spec = TSpec::computed(1, 1);
        if let ReplicaSpec::Computed(TopicReplicaParam {
            ignore_rack_assignment,
            ..
        }) = &mut spec.replicas
        {
            *ignore_rack_assignment = true;
        }
        return Ok(spec);
    };
    if let Ok(native) = spec.extract::<PyRef<'_, NativeTopicSpec>>() {
        return Ok(native.spec.clone());
    }
    let built = spec.call_method0("build")?;
    Ok(built.extract::<PyRef<'_, NativeTopicSpec>>()?.spec.clone())
}

/// Options of `create_topic_with_config`.
#[pyclass(module = "flv", frozen)]
pub struct CommonCreateRequest {
    name: String,
    dry_run: bool,
    timeout: Option<u32>,
}

#[pymethods]
impl CommonCreateRequest {
    /// `name`, validate only (`dry_run`), and a timeout in milliseconds.
    #[staticmethod]
    #[pyo3(signature = (name, dry_run, timeout=None))]
    fn new(name: String, dry_run: bool, timeout: Option<u32>) -> Self {
        Self {
            name,
            dry_run,
            timeout,
        }
    }
}

/// A SmartModule to create (its WASM).
#[pyclass(module = "flv", frozen)]
pub struct SmartModuleSpec {
    spec: SmSpec,
}

#[pymethods]
impl SmartModuleSpec {
    /// The spec of a WASM binary (gzip-compressed for the wire, as the official client).
    #[staticmethod]
    fn with_binary(bytes: Vec<u8>) -> PyResult<Self> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&bytes)
            .and_then(|()| gz.try_finish())
            .map_err(|e| py_error("IO_ERROR", e))?;
        let payload = gz.finish().map_err(|e| py_error("IO_ERROR", e))?;
        Ok(Self {
            spec: SmSpec {
                meta: None,
                summary: None,
                wasm: SmartModuleWasm {
                    payload: Bytes::from(payload),
                    ..SmartModuleWasm::default()
                },
            },
        })
    }

    /// The spec of the WASM file at `path`.
    #[staticmethod]
    fn new(path: &str) -> PyResult<Self> {
        let bytes =
            std::fs::read(path).map_err(|e| py_error("IO_ERROR", format!("{path}: {e}")))?;
        Self::with_binary(bytes)
    }
}

/// Listed objects: each has `name()`; the flv-only accessors give more.
macro_rules! metadata_class {
    ($class:ident, $pyname:literal, $spec:ty, { $($extra:tt)* }) => {
        #[doc = concat!("A listed object (the official `", $pyname, "`).")]
        #[pyclass(module = "flv", frozen, name = $pyname)]
        pub struct $class {
            meta: Metadata<$spec>,
        }
        #[pymethods]
        impl $class {
            /// The object's name.
            fn name(&self) -> &str {
                &self.meta.name
            }
            fn __repr__(&self) -> String {
                format!("{}({:?})", $pyname, self.meta.name)
            }
            $($extra)*
        }
    };
}

metadata_class!(MetadataTopicSpec, "MetadataTopicSpec", TSpec, {
    /// Partition count (flv only).
    fn partitions(&self) -> u32 {
        match &self.meta.spec.replicas {
            ReplicaSpec::Computed(p) => p.partitions,
            ReplicaSpec::Assigned(m) => u32::try_from(m.len()).unwrap_or(u32::MAX),
            ReplicaSpec::Mirror(_) => {
                u32::try_from(self.meta.status.replica_map.len()).unwrap_or(u32::MAX)
            }
        }
    }
});
metadata_class!(
    MetadataPartitionSpec,
    "MetadataPartitionSpec",
    PartitionSpec,
    {
        /// SPU id of the leader (flv only).
        fn leader(&self) -> i32 {
            self.meta.spec.leader
        }

        /// SPU ids of the replicas (flv only).
        fn replicas(&self) -> Vec<i32> {
            self.meta.spec.replicas.clone()
        }

        /// The leader's high watermark (flv only).
        fn high_watermark(&self) -> i64 {
            self.meta.status.leader.hw
        }
    }
);
metadata_class!(
    MetadataSmartModuleSpec,
    "MetadataSmartModuleSpec",
    SmSpec,
    {}
);

/// One change of a watch: an update or a deletion of an object.
macro_rules! watch_classes {
    ($msg:ident, $msgname:literal, $update:ident, $updname:literal, $stream:ident, $streamname:literal, $meta:ident, $spec:ty, $getter:ident) => {
        #[doc = concat!("A change in a watch (the official `", $msgname, "`).")]
        #[pyclass(module = "flv", frozen, name = $msgname)]
        pub struct $msg {
            delete: bool,
            meta: Metadata<$spec>,
        }
        #[pymethods]
        impl $msg {
            /// Added or modified.
            fn is_update(&self) -> bool {
                !self.delete
            }
            /// Removed.
            fn is_delete(&self) -> bool {
                self.delete
            }
            /// The object.
            fn $getter(&self) -> $meta {
                $meta {
                    meta: self.meta.clone(),
                }
            }
        }

        #[doc = concat!("One item of a watch (the official `", $updname, "`).")]
        #[pyclass(module = "flv", frozen, name = $updname)]
        pub struct $update {
            update: MetadataUpdate<$spec>,
        }
        #[pymethods]
        impl $update {
            /// Every object (a full sync; empty for incremental updates).
            fn all(&self) -> Vec<$meta> {
                self.update
                    .all
                    .iter()
                    .map(|m| $meta { meta: m.clone() })
                    .collect()
            }
            /// Changes since the previous item.
            fn changes(&self) -> Vec<$msg> {
                self.update
                    .changes
                    .iter()
                    .map(|c| $msg {
                        delete: c.header == MsgType::Delete,
                        meta: c.content.clone(),
                    })
                    .collect()
            }
            /// The store epoch of this update.
            fn epoch(&self) -> i64 {
                self.update.epoch
            }
        }

        #[doc = concat!("A watch: iterate it, or call `next()` (the official `", $streamname, "`).")]
        #[pyclass(module = "flv", frozen, name = $streamname)]
        pub struct $stream {
            stream: Arc<tokio::sync::Mutex<WatchStream<$spec>>>,
        }
        #[pymethods]
        impl $stream {
            /// The next update (waits for it); `None` when the watch ended.
            fn next(&self, py: Python<'_>) -> PyResult<Option<$update>> {
                let stream = Arc::clone(&self.stream);
                let next = block_on(py, async move { stream.lock().await.next().await });
                match next {
                    Some(Ok(update)) => Ok(Some($update { update })),
                    Some(Err(e)) => Err(to_py(e)),
                    None => Ok(None),
                }
            }
            fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
                slf
            }
            fn __next__(&self, py: Python<'_>) -> PyResult<Option<$update>> {
                self.next(py)
            }
        }
    };
}

watch_classes!(
    MessageMetadataTopicSpec,
    "MessageMetadataTopicSpec",
    MetaUpdateTopicSpec,
    "MetaUpdateTopicSpec",
    WatchTopicStream,
    "WatchTopicStream",
    MetadataTopicSpec,
    TSpec,
    metadata_topic_spec
);
watch_classes!(
    MessageMetadataSmartModuleSpec,
    "MessageMetadataSmartModuleSpec",
    MetaUpdateSmartModuleSpec,
    "MetaUpdateSmartModuleSpec",
    WatchSmartModuleStream,
    "WatchSmartModuleStream",
    MetadataSmartModuleSpec,
    SmSpec,
    metadata_smart_module_spec
);

/// The admin API of a cluster (the official `FluvioAdmin`).
#[pyclass(module = "flv", frozen)]
pub struct FluvioAdmin {
    admin: flv_tokio::FluvioAdmin,
}

impl FluvioAdmin {
    /// The Python admin over `admin`.
    pub fn new(admin: flv_tokio::FluvioAdmin) -> Self {
        Self { admin }
    }

    fn list<S: AdminSpec<Status: Send>, T>(
        &self,
        py: Python<'_>,
        filters: Vec<String>,
        summary: bool,
        wrap: impl Fn(Metadata<S>) -> T,
    ) -> PyResult<Vec<T>> {
        let admin = self.admin.clone();
        let list = block_on(py, async move {
            admin.list_with_params::<S, String>(filters, summary).await
        })
        .map_err(to_py)?;
        Ok(list.into_iter().map(wrap).collect())
    }
}

fn connect(py: Python<'_>, config: Option<&FluvioConfig>) -> PyResult<FluvioAdmin> {
    let cluster = config.map(FluvioConfig::cluster);
    let fluvio: Fluvio = block_on(
        py,
        runtime().spawn(async move {
            match cluster {
                Some(c) => flv_tokio::Fluvio::connect_with_config(&c).await,
                None => flv_tokio::Fluvio::connect().await,
            }
            .map(|inner| Fluvio { inner })
            .map_err(to_py)
        }),
    )
    .map_err(join_error)??;
    Ok(FluvioAdmin::new(fluvio.inner.admin()))
}

#[pymethods]
impl FluvioAdmin {
    /// Connects to the cluster of the current profile.
    #[staticmethod]
    fn connect(py: Python<'_>) -> PyResult<Self> {
        connect(py, None)
    }

    /// Connects to the cluster `config` describes.
    #[staticmethod]
    fn connect_with_config(py: Python<'_>, config: &FluvioConfig) -> PyResult<Self> {
        connect(py, Some(config))
    }

    /// Creates a topic (default: 1 partition, 1 replica); returns once this client sees
    /// its partitions online.
    #[pyo3(signature = (topic, spec=None, dry_run=false))]
    fn create_topic(
        &self,
        py: Python<'_>,
        topic: String,
        spec: Option<&Bound<'_, PyAny>>,
        dry_run: bool,
    ) -> PyResult<()> {
        let spec = topic_spec(spec)?;
        let admin = self.admin.clone();
        block_on(py, async move { admin.create(topic, dry_run, spec).await }).map_err(to_py)
    }

    /// `create_topic()` as an awaitable.
    #[pyo3(signature = (topic, spec=None, dry_run=false))]
    fn async_create_topic<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        spec: Option<&Bound<'py, PyAny>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec = topic_spec(spec)?;
        let admin = self.admin.clone();
        awaitable(py, async move {
            admin.create(topic, dry_run, spec).await.map_err(to_py)
        })
    }

    /// Creates a topic with the name, dry-run flag and timeout of `req`.
    fn create_topic_with_config(
        &self,
        py: Python<'_>,
        topic: &Bound<'_, PyAny>,
        req: &Bound<'_, PyAny>,
        spec: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        // The official wrapper takes (topic, req, spec); its native class (req, spec).
        let (req, spec) = match topic.extract::<PyRef<'_, CommonCreateRequest>>() {
            Ok(r) => (r, Some(req)),
            Err(_) => (req.extract::<PyRef<'_, CommonCreateRequest>>()?, spec),
        };
        let spec = topic_spec(spec)?;
        let (name, dry_run, timeout) = (req.name.clone(), req.dry_run, req.timeout);
        let admin = self.admin.clone();
        block_on(py, async move {
            admin
                .create_with_timeout(name, dry_run, timeout, spec)
                .await
        })
        .map_err(to_py)
    }

    /// Deletes a topic.
    fn delete_topic(&self, py: Python<'_>, topic: String) -> PyResult<()> {
        let admin = self.admin.clone();
        block_on(py, async move { admin.delete::<TSpec>(topic).await }).map_err(to_py)
    }

    /// `delete_topic()` as an awaitable.
    fn async_delete_topic<'py>(
        &self,
        py: Python<'py>,
        topic: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin.clone();
        awaitable(py, async move {
            admin.delete::<TSpec>(topic).await.map_err(to_py)
        })
    }

    /// Every topic.
    fn all_topics(&self, py: Python<'_>) -> PyResult<Vec<MetadataTopicSpec>> {
        self.list(py, Vec::new(), false, |meta| MetadataTopicSpec { meta })
    }

    /// The topics whose name contains one of `filters` (all if empty).
    fn list_topics(
        &self,
        py: Python<'_>,
        filters: Vec<String>,
    ) -> PyResult<Vec<MetadataTopicSpec>> {
        self.list(py, filters, false, |meta| MetadataTopicSpec { meta })
    }

    /// `list_topics()` with summaries.
    fn list_topics_with_params(
        &self,
        py: Python<'_>,
        filters: Vec<String>,
        summary: bool,
    ) -> PyResult<Vec<MetadataTopicSpec>> {
        self.list(py, filters, summary, |meta| MetadataTopicSpec { meta })
    }

    /// `list_topics()` as an awaitable.
    fn async_list_topics<'py>(
        &self,
        py: Python<'py>,
        filters: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let admin = self.admin.clone();
        awaitable(py, async move {
            let list = admin.list::<TSpec, String>(filters).await.map_err(to_py)?;
            Ok(list
                .into_iter()
                .map(|meta| MetadataTopicSpec { meta })
                .collect::<Vec<_>>())
        })
    }

    /// The partitions whose name (`topic-N`) contains one of `filters`.
    fn list_partitions(
        &self,
        py: Python<'_>,
        filters: Vec<String>,
    ) -> PyResult<Vec<MetadataPartitionSpec>> {
        self.list(py, filters, false, |meta| MetadataPartitionSpec { meta })
    }

    /// Creates a SmartModule from the WASM file at `path`.
    #[pyo3(signature = (name, path, dry_run=false))]
    fn create_smartmodule(
        &self,
        py: Python<'_>,
        name: String,
        path: &str,
        dry_run: bool,
    ) -> PyResult<()> {
        let spec = SmartModuleSpec::new(path)?.spec;
        let admin = self.admin.clone();
        block_on(py, async move { admin.create(name, dry_run, spec).await }).map_err(to_py)
    }

    /// Creates a SmartModule from a `SmartModuleSpec` (the official native signature).
    fn create_smart_module(
        &self,
        py: Python<'_>,
        name: String,
        dry_run: bool,
        spec: PyRef<'_, SmartModuleSpec>,
    ) -> PyResult<()> {
        let spec = spec.spec.clone();
        let admin = self.admin.clone();
        block_on(py, async move { admin.create(name, dry_run, spec).await }).map_err(to_py)
    }

    /// Deletes a SmartModule.
    fn delete_smartmodule(&self, py: Python<'_>, name: String) -> PyResult<()> {
        let admin = self.admin.clone();
        block_on(py, async move { admin.delete::<SmSpec>(name).await }).map_err(to_py)
    }

    /// The SmartModules whose name contains one of `filters`.
    fn list_smartmodules(
        &self,
        py: Python<'_>,
        filters: Vec<String>,
    ) -> PyResult<Vec<MetadataSmartModuleSpec>> {
        self.list(py, filters, true, |meta| MetadataSmartModuleSpec { meta })
    }

    /// A watch of the topics: the first item is a full sync, then changes.
    fn watch_topic(&self) -> PyResult<WatchTopicStream> {
        let stream = self.admin.watch_stream::<TSpec>().map_err(to_py)?;
        Ok(WatchTopicStream {
            stream: Arc::new(tokio::sync::Mutex::new(stream)),
        })
    }

    /// A watch of the SmartModules.
    fn watch_smartmodule(&self) -> PyResult<WatchSmartModuleStream> {
        let stream = self.admin.watch_stream::<SmSpec>().map_err(to_py)?;
        Ok(WatchSmartModuleStream {
            stream: Arc::new(tokio::sync::Mutex::new(stream)),
        })
    }
}

/// Registers the classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FluvioAdmin>()?;
    m.add_class::<NativeTopicSpec>()?;
    m.add_class::<PartitionMap>()?;
    m.add_class::<CommonCreateRequest>()?;
    m.add_class::<SmartModuleSpec>()?;
    m.add_class::<MetadataTopicSpec>()?;
    m.add_class::<MetadataPartitionSpec>()?;
    m.add_class::<MetadataSmartModuleSpec>()?;
    m.add_class::<MessageMetadataTopicSpec>()?;
    m.add_class::<MetaUpdateTopicSpec>()?;
    m.add_class::<WatchTopicStream>()?;
    m.add_class::<MessageMetadataSmartModuleSpec>()?;
    m.add_class::<MetaUpdateSmartModuleSpec>()?;
    m.add_class::<WatchSmartModuleStream>()?;
    Ok(())
}
