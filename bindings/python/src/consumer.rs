//! Consuming: `Offset`, consumer configuration, partition consumers and their streams,
//! `Record` and `ConsumerOffset`.

use flv_tokio::{ConsumerConfig, ConsumerRecord, OffsetManagement};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::{invalid_argument, py_error};

/// Where a consumer starts reading.
#[pyclass(module = "flv", frozen, from_py_object)]
#[derive(Clone, Copy)]
pub struct Offset {
    offset: flv_tokio::Offset,
}

fn count(n: i64) -> PyResult<u32> {
    u32::try_from(n).map_err(|_| invalid_argument(format!("bad record count {n}")))
}

#[pymethods]
impl Offset {
    /// This absolute offset.
    #[staticmethod]
    fn absolute(index: i64) -> PyResult<Self> {
        if index < 0 {
            return Err(invalid_argument(format!("negative offset {index}")));
        }
        Ok(Self {
            offset: flv_tokio::Offset::Absolute(index),
        })
    }

    /// The first stored record.
    #[staticmethod]
    fn beginning() -> Self {
        Self {
            offset: flv_tokio::Offset::beginning(),
        }
    }

    /// The next record to be produced.
    #[staticmethod]
    fn end() -> Self {
        Self {
            offset: flv_tokio::Offset::end(),
        }
    }

    /// `offset` records after the first stored one.
    #[staticmethod]
    fn from_beginning(offset: i64) -> PyResult<Self> {
        Ok(Self {
            offset: flv_tokio::Offset::FromBeginning(count(offset)?),
        })
    }

    /// `offset` records before the end.
    #[staticmethod]
    fn from_end(offset: i64) -> PyResult<Self> {
        Ok(Self {
            offset: flv_tokio::Offset::FromEnd(count(offset)?),
        })
    }

    fn __repr__(&self) -> String {
        format!("Offset({:?})", self.offset)
    }
}

/// How a consumer's offsets are stored in the cluster.
#[pyclass(module = "flv", eq, eq_int, frozen, from_py_object)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub(crate) enum OffsetManagementStrategy {
    /// Not stored.
    NONE,
    /// Stored by `offset_commit()` + `offset_flush()`.
    MANUAL,
    /// Committed as records are read and flushed periodically and on close.
    AUTO,
}

/// A consumer configuration, from [`ConsumerConfigExtBuilder::build`].
#[pyclass(module = "flv", frozen)]
pub(crate) struct ConsumerConfigExt {
    pub(crate) config: ConsumerConfig,
}

/// Builds a [`ConsumerConfigExt`] for a topic (setters change the builder and return it).
#[pyclass(module = "flv")]
pub struct ConsumerConfigExtBuilder {
    config: ConsumerConfig,
    strategy: OffsetManagementStrategy,
}

#[pymethods]
impl ConsumerConfigExtBuilder {
    #[new]
    fn py_new(topic: String) -> Self {
        Self {
            config: ConsumerConfig::new(topic, flv_tokio::Offset::beginning()),
            strategy: OffsetManagementStrategy::NONE,
        }
    }

    /// Reads this partition (call again to add more; default: every partition).
    fn partition(mut slf: PyRefMut<'_, Self>, partition: u32) -> PyRefMut<'_, Self> {
        if !slf.config.partitions.contains(&partition) {
            slf.config.partitions.push(partition);
        }
        slf
    }

    /// The topic.
    fn topic(mut slf: PyRefMut<'_, Self>, topic: String) -> PyRefMut<'_, Self> {
        slf.config.topic = topic;
        slf
    }

    /// Where to start (default: the beginning, or after the stored consumer offset).
    fn offset_start(mut slf: PyRefMut<'_, Self>, offset: Offset) -> PyRefMut<'_, Self> {
        slf.config.offset = offset.offset;
        slf
    }

    /// The consumer id under which offsets are stored.
    fn offset_consumer(mut slf: PyRefMut<'_, Self>, id: String) -> PyRefMut<'_, Self> {
        slf.config.consumer_id = Some(id);
        slf
    }

    /// How offsets are stored (`OffsetManagementStrategy`).
    #[pyo3(signature = (strategy=OffsetManagementStrategy::NONE))]
    fn offset_strategy(
        mut slf: PyRefMut<'_, Self>,
        strategy: OffsetManagementStrategy,
    ) -> PyRefMut<'_, Self> {
        slf.strategy = strategy;
        slf
    }

    /// Stop at the end known when the stream starts instead of waiting for more.
    #[pyo3(signature = (val=true))]
    fn disable_continuous(mut slf: PyRefMut<'_, Self>, val: bool) -> PyRefMut<'_, Self> {
        slf.config.disable_continuous = val;
        slf
    }

    /// Largest record set per fetch response, in bytes.
    fn max_bytes(mut slf: PyRefMut<'_, Self>, max_bytes: i32) -> PyRefMut<'_, Self> {
        slf.config.max_bytes = max_bytes;
        slf
    }

    /// Read committed records only, or everything the leader has (flv only).
    fn isolation(
        mut slf: PyRefMut<'_, Self>,
        isolation: crate::producer::Isolation,
    ) -> PyRefMut<'_, Self> {
        slf.config.isolation = isolation.into();
        slf
    }

    /// The configuration; raises if a strategy other than `NONE` has no consumer id.
    fn build(&self) -> PyResult<ConsumerConfigExt> {
        let mut config = self.config.clone();
        config.offset_management = match self.strategy {
            OffsetManagementStrategy::NONE => OffsetManagement::None,
            OffsetManagementStrategy::MANUAL => OffsetManagement::Manual,
            OffsetManagementStrategy::AUTO => OffsetManagement::Auto,
        };
        if config.offset_management != OffsetManagement::None && config.consumer_id.is_none() {
            return Err(py_error(
                "INVALID_CONFIG",
                "Consumer config error: Consumer id is required when using offset strategy",
            ));
        }
        Ok(ConsumerConfigExt { config })
    }
}

/// Extra settings of `stream_with_config` (the official `ConsumerConfig`).
#[pyclass(module = "flv")]
#[derive(Default)]
pub struct StreamConfig {
    disable_continuous: bool,
    max_bytes: Option<i32>,
}

#[pymethods]
impl StreamConfig {
    #[new]
    fn py_new() -> Self {
        Self::default()
    }

    /// Stop at the end known when the stream starts.
    #[pyo3(signature = (val=true))]
    fn disable_continuous(&mut self, val: bool) {
        self.disable_continuous = val;
    }

    /// Largest record set per fetch response, in bytes.
    fn max_bytes(&mut self, max_bytes: i32) {
        self.max_bytes = Some(max_bytes);
    }

    /// SmartModules are not supported by flv's Python binding yet.
    #[pyo3(signature = (*_args, **_kwargs))]
    fn smartmodule(
        &self,
        _args: &Bound<'_, pyo3::types::PyTuple>,
        _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<()> {
        Err(py_error(
            "UNSUPPORTED",
            "SmartModule transforms on consumers are not supported by flv yet",
        ))
    }
}

/// One consumed record.
#[pyclass(module = "flv", frozen)]
pub struct Record {
    record: ConsumerRecord,
}

fn utf8(bytes: &[u8]) -> PyResult<&str> {
    std::str::from_utf8(bytes).map_err(|e| py_error("INVALID_UTF8", e))
}

#[pymethods]
impl Record {
    /// The record's offset in its partition.
    fn offset(&self) -> i64 {
        self.record.offset
    }

    /// The partition the record was read from (flv only).
    fn partition(&self) -> u32 {
        self.record.partition
    }

    /// The value.
    fn value<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.record.value)
    }

    /// The value decoded as UTF-8.
    fn value_string(&self) -> PyResult<&str> {
        utf8(&self.record.value)
    }

    /// The key (empty when the record has none).
    fn key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.record.key.as_deref().unwrap_or_default())
    }

    /// The key decoded as UTF-8 (empty when the record has none).
    fn key_string(&self) -> PyResult<&str> {
        utf8(self.record.key.as_deref().unwrap_or_default())
    }

    /// Milliseconds since the Unix epoch (-1 when the batch has none).
    fn timestamp(&self) -> i64 {
        self.record.timestamp
    }

    fn __repr__(&self) -> String {
        format!(
            "Record(partition={}, offset={}, value_len={})",
            self.record.partition,
            self.record.offset,
            self.record.value.len()
        )
    }
}

/// A stored consumer offset.
#[pyclass(module = "flv", frozen, get_all)]
pub struct ConsumerOffset {
    /// The consumer.
    consumer_id: String,
    /// The topic.
    topic: String,
    /// The partition.
    partition: u32,
    /// Offset of the last consumed record.
    offset: i64,
    /// Last update time, as the cluster reports it.
    modified_time: u64,
}

impl From<flv_tokio::core::spu::consumer_offset::ConsumerOffset> for ConsumerOffset {
    fn from(o: flv_tokio::core::spu::consumer_offset::ConsumerOffset) -> Self {
        Self {
            consumer_id: o.consumer_id,
            topic: o.replica_id.topic,
            partition: o.replica_id.partition,
            offset: o.offset,
            modified_time: o.modified_time,
        }
    }
}

#[pymethods]
impl ConsumerOffset {
    fn __repr__(&self) -> String {
        format!(
            "ConsumerOffset(consumer_id={:?}, topic={:?}, partition={}, offset={})",
            self.consumer_id, self.topic, self.partition, self.offset
        )
    }
}

/// The partitions a `MultiplePartitionConsumer` reads.
#[pyclass(module = "flv", frozen)]
pub struct PartitionSelectionStrategy {
    pub(crate) selection: Vec<(String, Option<u32>)>,
}

#[pymethods]
impl PartitionSelectionStrategy {
    /// Every partition of `topic`.
    #[staticmethod]
    fn with_all(topic: String) -> Self {
        Self {
            selection: vec![(topic, None)],
        }
    }

    /// These `(topic, partition)` pairs.
    #[staticmethod]
    fn with_multiple(selections: Vec<(String, u32)>) -> Self {
        Self {
            selection: selections.into_iter().map(|(t, p)| (t, Some(p))).collect(),
        }
    }
}

mod stream;
pub(crate) use stream::{PartitionConsumerStream, RecordBatches};

/// A consumer of some partitions of a topic: `stream(offset)` reads them.
#[pyclass(module = "flv", frozen)]
pub struct PartitionConsumer {
    fluvio: flv_tokio::Fluvio,
    topic: String,
    partitions: Vec<u32>,
}

impl PartitionConsumer {
    /// A consumer of `partitions` of `topic`.
    pub fn new(fluvio: flv_tokio::Fluvio, topic: String, partitions: Vec<u32>) -> Self {
        Self {
            fluvio,
            topic,
            partitions,
        }
    }

    fn config(&self, offset: &Offset, extra: Option<&StreamConfig>) -> ConsumerConfig {
        let mut config = ConsumerConfig::new(self.topic.clone(), offset.offset);
        config.partitions.clone_from(&self.partitions);
        if let Some(extra) = extra {
            config.disable_continuous = extra.disable_continuous;
            if let Some(max) = extra.max_bytes {
                config.max_bytes = max;
            }
        }
        config
    }
}

#[pymethods]
impl PartitionConsumer {
    /// A stream of records from `offset` on: iterate it (`for`, `next()`) or
    /// `async for` it; `next_batch()` / `batches()` give lists of records.
    fn stream(&self, py: Python<'_>, offset: Offset) -> PyResult<PartitionConsumerStream> {
        PartitionConsumerStream::open(py, &self.fluvio, self.config(&offset, None))
    }

    /// `stream()` as an awaitable (use as `async for r in await c.async_stream(o)`).
    fn async_stream<'py>(&self, py: Python<'py>, offset: Offset) -> PyResult<Bound<'py, PyAny>> {
        PartitionConsumerStream::open_async(py, &self.fluvio, self.config(&offset, None))
    }

    /// `stream()` with the settings of a `ConsumerConfig`.
    fn stream_with_config(
        &self,
        py: Python<'_>,
        offset: Offset,
        config: PyRef<'_, StreamConfig>,
    ) -> PyResult<PartitionConsumerStream> {
        PartitionConsumerStream::open(py, &self.fluvio, self.config(&offset, Some(&config)))
    }

    /// `stream_with_config()` as an awaitable.
    fn async_stream_with_config<'py>(
        &self,
        py: Python<'py>,
        offset: Offset,
        config: PyRef<'py, StreamConfig>,
    ) -> PyResult<Bound<'py, PyAny>> {
        PartitionConsumerStream::open_async(py, &self.fluvio, self.config(&offset, Some(&config)))
    }
}

/// A consumer of several partitions (of one topic: flv streams one topic at a time).
pub(crate) type MultiplePartitionConsumer = PartitionConsumer;

impl PartitionConsumer {
    /// The consumer of a partition selection, which must name one topic.
    pub fn from_selection(
        fluvio: flv_tokio::Fluvio,
        selection: Vec<(String, Option<u32>)>,
    ) -> PyResult<Self> {
        let Some(topic) = selection.first().map(|(t, _)| t.clone()) else {
            return Err(invalid_argument("no partition selected"));
        };
        if selection.iter().any(|(t, _)| *t != topic) {
            return Err(py_error(
                "UNSUPPORTED",
                "flv streams one topic per consumer: open one consumer per topic",
            ));
        }
        let partitions = if selection.iter().any(|(_, p)| p.is_none()) {
            Vec::new()
        } else {
            selection.iter().filter_map(|(_, p)| *p).collect()
        };
        Ok(Self::new(fluvio, topic, partitions))
    }
}

/// Registers the classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Offset>()?;
    m.add_class::<OffsetManagementStrategy>()?;
    m.add_class::<ConsumerConfigExt>()?;
    m.add_class::<ConsumerConfigExtBuilder>()?;
    m.add("ConsumerConfig", m.py().get_type::<StreamConfig>())?;
    m.add_class::<Record>()?;
    m.add_class::<ConsumerOffset>()?;
    m.add_class::<PartitionSelectionStrategy>()?;
    m.add_class::<PartitionConsumer>()?;
    m.add(
        "MultiplePartitionConsumer",
        m.py().get_type::<PartitionConsumer>(),
    )?;
    m.add_class::<PartitionConsumerStream>()?;
    m.add_class::<RecordBatches>()?;
    m.add_class::<stream::Ready>()?;
    Ok(())
}
