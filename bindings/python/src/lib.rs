//! `flv` for Python: a PyO3 native module over flv's client (`flv-tokio`), with the
//! classes, methods and argument shapes of the official `fluvio` Python package 0.21, so
//! that `import flv as fluvio` runs programs written for it.
//!
//! How it runs:
//! - One tokio runtime per process (its workers run flv's driver tasks: all the network
//!   I/O). Blocking calls release the GIL while they wait (`Python::detach`); calls that
//!   can finish at once (a `send` with room in the queue, a record already buffered) do
//!   not touch the runtime at all.
//! - `async_*` methods and `async for` return asyncio futures (see the `bridge` module): the work
//!   runs as a tokio task and completes the asyncio future through the event loop, no
//!   thread per call.
//! - Batch calls cross the boundary once per batch: `send_all` queues a whole list in one
//!   call, and a stream's `next_batch()` / `batches()` yield lists of records.
//! - Errors are [`error::FluvioError`] (or a subclass) with a `code` attribute.

mod admin;
mod bridge;
mod config;
mod consumer;
pub mod error;
mod producer;

use std::future::Future;

use futures_util::FutureExt;
use pyo3::prelude::*;

use crate::config::FluvioConfig;
use crate::consumer::{
    ConsumerConfigExt, MultiplePartitionConsumer, PartitionConsumer, PartitionConsumerStream,
    PartitionSelectionStrategy,
};
use crate::error::to_py;
use crate::producer::{TopicProducer, TopicProducerConfig};

pub(crate) use bridge::{awaitable, runtime};

/// Runs `fut` to completion: at once when it is ready on its first poll, else on the
/// runtime with the GIL released.
pub(crate) fn block_on<F>(py: Python<'_>, fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    let mut fut = Box::pin(fut);
    if let Some(out) = (&mut fut).now_or_never() {
        return out;
    }
    py.detach(|| runtime().block_on(fut))
}

/// Runs the future `make` returns: polls a first one in place (no allocation) and, if it
/// would wait, drops it and runs a second one on the runtime with the GIL released. Only
/// for futures that do nothing until they complete (a send that finds no room, a read with
/// no record at hand).
pub(crate) fn block_on_retry<F>(py: Python<'_>, mut make: impl FnMut() -> F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if let Some(out) = make().now_or_never() {
        return out;
    }
    let fut = make();
    py.detach(|| runtime().block_on(fut))
}

/// A client connected to one Fluvio cluster (the official `Fluvio`).
#[pyclass(module = "flv", frozen)]
pub struct Fluvio {
    pub(crate) inner: flv_tokio::Fluvio,
}

async fn connect_cluster(config: Option<flv_tokio::config::ClusterConfig>) -> PyResult<Fluvio> {
    let inner = match config {
        Some(c) => flv_tokio::Fluvio::connect_with_config(&c).await,
        None => flv_tokio::Fluvio::connect().await,
    }
    .map_err(to_py)?;
    Ok(Fluvio { inner })
}

#[pymethods]
impl Fluvio {
    /// Connects to the cluster of the current profile (`~/.fluvio/config`).
    #[staticmethod]
    fn connect(py: Python<'_>) -> PyResult<Self> {
        block_on(py, runtime().spawn(connect_cluster(None))).map_err(join_error)?
    }

    /// Connects to the cluster `config` describes (endpoint, TLS, client id).
    #[staticmethod]
    fn connect_with_config(py: Python<'_>, config: &FluvioConfig) -> PyResult<Self> {
        let cluster = config.cluster();
        block_on(py, runtime().spawn(connect_cluster(Some(cluster)))).map_err(join_error)?
    }

    /// `connect()` as an awaitable.
    #[staticmethod]
    fn async_connect(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        awaitable(py, connect_cluster(None))
    }

    /// `connect_with_config()` as an awaitable.
    #[staticmethod]
    fn async_connect_with_config<'py>(
        py: Python<'py>,
        config: &FluvioConfig,
    ) -> PyResult<Bound<'py, PyAny>> {
        awaitable(py, connect_cluster(Some(config.cluster())))
    }

    /// A producer for `topic` with the default configuration; raises
    /// `TopicNotFoundError` if there is no such topic.
    fn topic_producer(&self, py: Python<'_>, topic: String) -> PyResult<TopicProducer> {
        self.topic_producer_with_config(py, topic, None)
    }

    /// A producer for `topic` configured by `config` (from
    /// `TopicProducerConfigBuilder().…build()`).
    #[pyo3(signature = (topic, config=None))]
    fn topic_producer_with_config(
        &self,
        py: Python<'_>,
        topic: String,
        config: Option<&TopicProducerConfig>,
    ) -> PyResult<TopicProducer> {
        let config = config.map(|c| c.config.clone()).unwrap_or_default();
        let fluvio = self.inner.clone();
        let producer = block_on(py, async move {
            fluvio.topic_producer_with_config(topic, config).await
        })
        .map_err(to_py)?;
        Ok(TopicProducer::new(producer))
    }

    /// `topic_producer()` as an awaitable.
    fn async_topic_producer<'py>(
        &self,
        py: Python<'py>,
        topic: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.async_topic_producer_with_config(py, topic, None)
    }

    /// `topic_producer_with_config()` as an awaitable.
    #[pyo3(signature = (topic, config=None))]
    fn async_topic_producer_with_config<'py>(
        &self,
        py: Python<'py>,
        topic: String,
        config: Option<&TopicProducerConfig>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = config.map(|c| c.config.clone()).unwrap_or_default();
        let fluvio = self.inner.clone();
        awaitable(py, async move {
            let producer = fluvio
                .topic_producer_with_config(topic, config)
                .await
                .map_err(to_py)?;
            Ok(TopicProducer::new(producer))
        })
    }

    /// A consumer of one partition of `topic`; `.stream(Offset…)` reads it.
    fn partition_consumer(&self, topic: String, partition: u32) -> PartitionConsumer {
        PartitionConsumer::new(self.inner.clone(), topic, vec![partition])
    }

    /// A consumer of every partition of a topic (the official signature takes a
    /// `PartitionSelectionStrategy`; a topic name is accepted too).
    fn multi_partition_consumer(
        &self,
        strategy: &Bound<'_, PyAny>,
    ) -> PyResult<MultiplePartitionConsumer> {
        let selection = if let Ok(topic) = strategy.extract::<String>() {
            vec![(topic, None)]
        } else {
            strategy
                .extract::<PyRef<'_, PartitionSelectionStrategy>>()?
                .selection
                .clone()
        };
        MultiplePartitionConsumer::from_selection(self.inner.clone(), selection)
    }

    /// A consumer of the given `(topic, partition)` pairs.
    fn multi_topic_partition_consumer(
        &self,
        selections: Vec<(String, u32)>,
    ) -> PyResult<MultiplePartitionConsumer> {
        let selection = selections.into_iter().map(|(t, p)| (t, Some(p))).collect();
        MultiplePartitionConsumer::from_selection(self.inner.clone(), selection)
    }

    /// A consumer configured by `config` (from `ConsumerConfigExtBuilder(topic)….build()`):
    /// an iterator of `Record`s with `offset_commit()` / `offset_flush()`.
    fn consumer_with_config(
        &self,
        py: Python<'_>,
        config: &ConsumerConfigExt,
    ) -> PyResult<PartitionConsumerStream> {
        PartitionConsumerStream::open(py, &self.inner, config.config.clone())
    }

    /// `consumer_with_config()` as an awaitable.
    fn async_consumer_with_config<'py>(
        &self,
        py: Python<'py>,
        config: &ConsumerConfigExt,
    ) -> PyResult<Bound<'py, PyAny>> {
        PartitionConsumerStream::open_async(py, &self.inner, config.config.clone())
    }

    /// The consumer offsets stored in the cluster.
    fn consumer_offsets(&self, py: Python<'_>) -> PyResult<Vec<consumer::ConsumerOffset>> {
        let admin = self.inner.admin();
        let offsets =
            block_on(py, async move { admin.list_consumer_offsets().await }).map_err(to_py)?;
        Ok(offsets
            .into_iter()
            .map(consumer::ConsumerOffset::from)
            .collect())
    }

    /// Deletes the stored offset of `consumer_id` on a topic's partition.
    fn delete_consumer_offset(
        &self,
        py: Python<'_>,
        consumer_id: String,
        topic: String,
        partition: u32,
    ) -> PyResult<()> {
        let admin = self.inner.admin();
        block_on(py, async move {
            admin
                .delete_consumer_offset(consumer_id, (topic, partition))
                .await
        })
        .map_err(to_py)
    }

    /// The admin API over this client's connection.
    fn admin(&self) -> admin::FluvioAdmin {
        admin::FluvioAdmin::new(self.inner.admin())
    }

    /// Flushes every producer, stores consumer offsets and closes the connections.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let fluvio = self.inner.clone();
        block_on(py, async move { fluvio.close().await }).map_err(to_py)
    }

    fn __repr__(&self) -> String {
        format!(
            "Fluvio(endpoint={:?})",
            self.inner.cluster_config().endpoint
        )
    }
}

/// A failed runtime task (a panic in flv) as a Python exception.
pub(crate) fn join_error(e: tokio::task::JoinError) -> PyErr {
    error::py_error("INTERNAL", format!("flv task failed: {e}"))
}

/// The native module `flv._flv`.
#[pymodule]
fn _flv(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    bridge::register(m)?;
    m.add_class::<Fluvio>()?;
    config::register(m)?;
    producer::register(m)?;
    consumer::register(m)?;
    admin::register(m)?;
    Ok(())
}
