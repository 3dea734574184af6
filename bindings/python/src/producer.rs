//! Producing: `TopicProducer`, its configuration builder, `ProduceOutput` and
//! `RecordMetadata`, and the `Compression`, `DeliverySemantic` and `Isolation` enums.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use flv_tokio::{PartitionerKind, ProducerConfig, RetryPolicy};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString};

use crate::error::{invalid_argument, to_py};
use crate::{awaitable, block_on, block_on_retry};

/// Compression of produced batches.
#[pyclass(module = "flv", eq, eq_int, frozen, from_py_object)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// No compression.
    #[pyo3(name = "None_")]
    Uncompressed,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4.
    Lz4,
    /// Zstandard.
    Zstd,
}

/// Delivery guarantee of a producer.
#[pyclass(module = "flv", eq, eq_int, frozen, from_py_object)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeliverySemantic {
    /// Each batch is sent once.
    AtMostOnce,
    /// Batches are retried (the default).
    AtLeastOnce,
}

/// Which acknowledgement a produce waits for (and what a consumer may read).
#[pyclass(module = "flv", eq, eq_int, frozen, from_py_object)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// The leader's (the default).
    ReadUncommitted,
    /// Replication's.
    ReadCommitted,
}

impl From<Isolation> for flv_tokio::Isolation {
    fn from(i: Isolation) -> Self {
        match i {
            Isolation::ReadUncommitted => Self::ReadUncommitted,
            Isolation::ReadCommitted => Self::ReadCommitted,
        }
    }
}

/// A producer configuration, from [`TopicProducerConfigBuilder::build`].
#[pyclass(module = "flv", frozen)]
#[derive(Clone)]
pub(crate) struct TopicProducerConfig {
    pub(crate) config: ProducerConfig,
}

/// Builds a [`TopicProducerConfig`]; every setter returns a new builder (as the
/// official one), so calls chain: `TopicProducerConfigBuilder().batch_size(…).linger(…)`.
#[pyclass(module = "flv", frozen)]
#[derive(Clone, Default)]
pub struct TopicProducerConfigBuilder {
    config: ProducerConfig,
}

impl TopicProducerConfigBuilder {
    fn with(&self, f: impl FnOnce(&mut ProducerConfig)) -> Self {
        let mut next = self.clone();
        f(&mut next.config);
        next
    }
}

#[pymethods]
impl TopicProducerConfigBuilder {
    #[new]
    fn py_new() -> Self {
        Self::default()
    }

    /// Largest batch, in bytes.
    fn batch_size(&self, batch_size: usize) -> Self {
        self.with(|c| c.batch_size = batch_size)
    }

    /// Most batches queued per partition before `send` waits.
    fn batch_queue_size(&self, batch_queue_size: usize) -> Self {
        self.with(|c| c.batch_queue_size = batch_queue_size.max(1))
    }

    /// Largest produce request, in bytes.
    fn max_request_size(&self, max_request_size: usize) -> Self {
        self.with(|c| c.max_request_size = max_request_size)
    }

    /// Time a batch waits for more records, in milliseconds.
    fn linger(&self, linger: u64) -> Self {
        self.with(|c| c.linger = Duration::from_millis(linger))
    }

    /// Server-side timeout of a produce request, in milliseconds.
    fn timeout(&self, timeout: u64) -> Self {
        self.with(|c| c.timeout = Duration::from_millis(timeout))
    }

    /// Compression of the batches.
    fn compression(&self, compression: Compression) -> Self {
        let c = match compression {
            Compression::Uncompressed => flv_tokio::Compression::None,
            Compression::Gzip => flv_tokio::Compression::Gzip,
            Compression::Snappy => flv_tokio::Compression::Snappy,
            Compression::Lz4 => flv_tokio::Compression::Lz4,
            Compression::Zstd => flv_tokio::Compression::Zstd,
        };
        self.with(|cfg| cfg.compression = Some(c))
    }

    /// Which acknowledgement a produce waits for.
    fn isolation(&self, isolation: Isolation) -> Self {
        self.with(|c| c.isolation = isolation.into())
    }

    /// At-most-once or at-least-once (with the default retry policy).
    fn delivery_semantic(&self, semantics: DeliverySemantic) -> Self {
        self.with(|c| {
            c.delivery_semantic = match semantics {
                DeliverySemantic::AtMostOnce => flv_tokio::DeliverySemantic::AtMostOnce,
                DeliverySemantic::AtLeastOnce => {
                    flv_tokio::DeliverySemantic::AtLeastOnce(RetryPolicy::default())
                }
            }
        })
    }

    /// Sends every record to this partition.
    fn set_specific_partitioner(&self, partitioner: u32) -> Self {
        self.with(|c| c.partitioner = PartitionerKind::Specific(partitioner))
    }

    /// Time a record may stay unresolved before it fails, in milliseconds (flv only).
    fn delivery_timeout(&self, timeout: u64) -> Self {
        self.with(|c| c.delivery_timeout = Duration::from_millis(timeout))
    }

    /// The configuration.
    fn build(&self) -> TopicProducerConfig {
        TopicProducerConfig {
            config: self.config.clone(),
        }
    }
}

/// Where a record was stored.
#[pyclass(module = "flv", frozen)]
pub struct RecordMetadata {
    partition: u32,
    offset: i64,
}

#[pymethods]
impl RecordMetadata {
    /// The record's offset in its partition.
    fn offset(&self) -> i64 {
        self.offset
    }

    /// The partition the record went to.
    fn partition_id(&self) -> u32 {
        self.partition
    }

    fn __repr__(&self) -> String {
        format!(
            "RecordMetadata(partition_id={}, offset={})",
            self.partition, self.offset
        )
    }
}

impl From<flv_tokio::RecordMetadata> for RecordMetadata {
    fn from(m: flv_tokio::RecordMetadata) -> Self {
        Self {
            partition: m.partition,
            offset: m.offset,
        }
    }
}

/// The outcome of one `send`: `wait()` returns its `RecordMetadata` once stored (and
/// `None` when called again).
#[pyclass(module = "flv", frozen)]
pub struct ProduceOutput {
    out: Mutex<Option<flv_tokio::ProduceOutput>>,
}

impl ProduceOutput {
    fn new(out: flv_tokio::ProduceOutput) -> Self {
        Self {
            out: Mutex::new(Some(out)),
        }
    }

    fn take(&self) -> Option<flv_tokio::ProduceOutput> {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

#[pymethods]
impl ProduceOutput {
    /// Waits until the record is stored (GIL released); raises if it failed.
    fn wait(&self, py: Python<'_>) -> PyResult<Option<RecordMetadata>> {
        match self.take() {
            Some(out) => Ok(Some(block_on(py, out.wait()).map_err(to_py)?.into())),
            None => Ok(None),
        }
    }

    /// `wait()` as an awaitable.
    fn async_wait<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let out = self.take();
        awaitable(py, async move {
            match out {
                Some(out) => Ok(Some(RecordMetadata::from(out.wait().await.map_err(to_py)?))),
                None => Ok(None),
            }
        })
    }
}

/// Bytes of a key or value: `bytes`, `bytearray`, `str` (UTF-8) or a list of ints.
pub(crate) fn to_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Bytes::copy_from_slice(s.to_cow()?.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    obj.extract::<Vec<u8>>().map(Bytes::from).map_err(|_| {
        invalid_argument(format!(
            "expected bytes, bytearray, str or a list of ints, got {}",
            obj.get_type()
                .name()
                .map_or_else(|_| "?".into(), |n| n.to_string())
        ))
    })
}

/// A key: as [`to_bytes`], or `None` for no key.
fn to_key(obj: &Bound<'_, PyAny>) -> PyResult<Option<Bytes>> {
    if obj.is_none() {
        Ok(None)
    } else {
        to_bytes(obj).map(Some)
    }
}

/// A producer of one topic (the official `TopicProducer`).
///
/// `send` returns as soon as the record is queued (batched per partition); `flush`
/// waits until everything sent so far is stored.
#[pyclass(module = "flv", frozen)]
pub struct TopicProducer {
    producer: Arc<flv_tokio::TopicProducer>,
}

impl TopicProducer {
    /// A Python producer over `producer`.
    pub fn new(producer: flv_tokio::TopicProducer) -> Self {
        Self {
            producer: Arc::new(producer),
        }
    }
}

async fn send_many(
    producer: Arc<flv_tokio::TopicProducer>,
    records: Vec<(Option<Bytes>, Bytes)>,
) -> flv_tokio::Result<Vec<flv_tokio::ProduceOutput>> {
    let mut outs = Vec::with_capacity(records.len());
    for (k, v) in records {
        outs.push(producer.send(k, v).await?);
    }
    Ok(outs)
}

fn extract_records(records: &Bound<'_, PyAny>) -> PyResult<Vec<(Option<Bytes>, Bytes)>> {
    let mut out = Vec::with_capacity(records.len().unwrap_or(0));
    for item in records.try_iter()? {
        let item = item?;
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = match item.extract() {
            Ok(pair) => pair,
            // The official package's `ProducerBatchRecord(key, value)`.
            Err(_) => (item.getattr("key")?, item.getattr("value")?),
        };
        out.push((to_key(&k)?, to_bytes(&v)?));
    }
    Ok(out)
}

fn outputs(py: Python<'_>, outs: Vec<flv_tokio::ProduceOutput>) -> PyResult<Bound<'_, PyList>> {
    let items: Vec<ProduceOutput> = outs.into_iter().map(ProduceOutput::new).collect();
    PyList::new(py, items)
}

#[pymethods]
impl TopicProducer {
    /// Queues a record with `key` (bytes, str, list of ints, or `None` for no key) and
    /// `value`; waits only while the partition's queue is full (GIL released).
    fn send(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<ProduceOutput> {
        let (key, value) = (to_key(key)?, to_bytes(value)?);
        // A send that would wait has queued nothing: sending again is safe.
        let out =
            block_on_retry(py, || self.producer.send(key.clone(), value.clone())).map_err(to_py)?;
        Ok(ProduceOutput::new(out))
    }

    /// Queues a UTF-8 string with an empty key (as the official package does).
    fn send_string(&self, py: Python<'_>, buf: &str) -> PyResult<ProduceOutput> {
        let value = Bytes::copy_from_slice(buf.as_bytes());
        let out = block_on_retry(py, || self.producer.send(Bytes::new(), value.clone()))
            .map_err(to_py)?;
        Ok(ProduceOutput::new(out))
    }

    /// Queues every `(key, value)` of `records` in order, in one call; returns one
    /// `ProduceOutput` per record.
    fn send_all<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let records = extract_records(records)?;
        let outs = block_on(py, send_many(Arc::clone(&self.producer), records)).map_err(to_py)?;
        outputs(py, outs)
    }

    /// Sends what is queued and waits until every record sent so far is stored.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        block_on(py, self.producer.flush()).map_err(to_py)
    }

    /// `send()` as an awaitable of a `ProduceOutput`.
    fn async_send<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (key, value) = (to_key(key)?, to_bytes(value)?);
        let producer = Arc::clone(&self.producer);
        awaitable(py, async move {
            let out = producer.send(key, value).await.map_err(to_py)?;
            Ok(ProduceOutput::new(out))
        })
    }

    /// `send_string()` as an awaitable.
    fn async_send_string<'py>(&self, py: Python<'py>, buf: &str) -> PyResult<Bound<'py, PyAny>> {
        let value = Bytes::copy_from_slice(buf.as_bytes());
        let producer = Arc::clone(&self.producer);
        awaitable(py, async move {
            let out = producer.send(Bytes::new(), value).await.map_err(to_py)?;
            Ok(ProduceOutput::new(out))
        })
    }

    /// `send_all()` as an awaitable of a list of `ProduceOutput`s.
    fn async_send_all<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let records = extract_records(records)?;
        let producer = Arc::clone(&self.producer);
        awaitable(py, async move {
            let outs = send_many(producer, records).await.map_err(to_py)?;
            Ok(outs.into_iter().map(ProduceOutput::new).collect::<Vec<_>>())
        })
    }

    /// `flush()` as an awaitable.
    fn async_flush<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let producer = Arc::clone(&self.producer);
        awaitable(py, async move { producer.flush().await.map_err(to_py) })
    }

    /// The topic.
    #[getter]
    fn topic(&self) -> String {
        self.producer.topic().to_owned()
    }
}

/// Registers the classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Compression>()?;
    m.add_class::<DeliverySemantic>()?;
    m.add_class::<Isolation>()?;
    m.add_class::<TopicProducerConfig>()?;
    m.add_class::<TopicProducerConfigBuilder>()?;
    m.add_class::<RecordMetadata>()?;
    m.add_class::<ProduceOutput>()?;
    m.add_class::<TopicProducer>()?;
    Ok(())
}
