//! `PartitionConsumerStream`: records as a Python iterator and async iterator, and whole
//! batches as lists (`next_batch`, `batches()`).

use std::sync::Arc;

use flv_tokio::{ConsumerConfig, ConsumerRecord, ConsumerStream};
use futures_util::{FutureExt, StreamExt};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::PyList;

use super::Record;
use crate::error::to_py;
use crate::{awaitable, block_on};

/// Most records one `next_batch` returns unless told otherwise.
const DEFAULT_BATCH: usize = 65_536;

/// A stream and what it left to report.
pub(super) struct State {
    stream: ConsumerStream,
    /// A failure met while a batch was being gathered, raised by the next call.
    pending_error: Option<flv_tokio::Error>,
}

type Shared = Arc<tokio::sync::Mutex<State>>;

impl State {
    /// The next record, waiting for it.
    async fn next(&mut self) -> PyResult<Option<ConsumerRecord>> {
        if let Some(e) = self.pending_error.take() {
            return Err(to_py(e));
        }
        match self.stream.next().await {
            Some(Ok(r)) => Ok(Some(r)),
            Some(Err(e)) => Err(to_py(e)),
            None => Ok(None),
        }
    }

    /// The next record if one is at hand, without waiting (`None`: would wait).
    fn next_now(&mut self) -> Option<PyResult<Option<ConsumerRecord>>> {
        self.next().now_or_never()
    }

    /// The next record (waiting for it), then every record at hand, up to `max`.
    async fn next_batch(&mut self, max: usize) -> PyResult<Option<Vec<ConsumerRecord>>> {
        let Some(first) = self.next().await? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(max.clamp(1, 1024));
        out.push(first);
        while out.len() < max {
            match self.stream.next().now_or_never() {
                Some(Some(Ok(r))) => out.push(r),
                Some(Some(Err(e))) => {
                    self.pending_error = Some(e);
                    break;
                }
                Some(None) | None => break,
            }
        }
        Ok(Some(out))
    }
}

/// Locks the stream for a blocking call: at once if free, else with the GIL released.
fn lock<'a>(py: Python<'_>, state: &'a Shared) -> tokio::sync::MutexGuard<'a, State> {
    match state.try_lock() {
        Ok(g) => g,
        Err(_) => py.detach(|| state.blocking_lock()),
    }
}

/// An awaitable that is already complete: awaiting it returns the value (or raises)
/// without a trip through the event loop's scheduler.
#[pyclass(module = "flv")]
pub struct Ready {
    result: Option<PyResult<Py<PyAny>>>,
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self) -> PyResult<()> {
        match self.result.take() {
            Some(Ok(v)) => Err(PyStopIteration::new_err((v,))),
            Some(Err(e)) => Err(e),
            None => Err(PyStopIteration::new_err(())),
        }
    }
}

fn ready<'py>(py: Python<'py>, result: PyResult<Py<PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    Ok(Bound::new(
        py,
        Ready {
            result: Some(result),
        },
    )?
    .into_any())
}

/// A stream of records (the official `PartitionConsumerStream` / `ConsumerIterator`).
///
/// `for record in stream`, `next(stream)` or `stream.next()` (returns `None` at the end)
/// read it blocking (GIL released while waiting); `async for record in stream` reads it
/// from asyncio. `next_batch()` and `batches()` give every record at hand as a list, one
/// boundary crossing per list.
#[pyclass(module = "flv", frozen)]
pub struct PartitionConsumerStream {
    state: Shared,
}

impl PartitionConsumerStream {
    fn new(stream: ConsumerStream) -> Self {
        Self {
            state: Arc::new(tokio::sync::Mutex::new(State {
                stream,
                pending_error: None,
            })),
        }
    }

    /// Opens a stream (fails at once if the topic does not exist).
    pub fn open(
        py: Python<'_>,
        fluvio: &flv_tokio::Fluvio,
        config: ConsumerConfig,
    ) -> PyResult<Self> {
        let fluvio = fluvio.clone();
        let stream = block_on(py, async move { fluvio.consumer_with_config(config).await })
            .map_err(to_py)?;
        Ok(Self::new(stream))
    }

    /// [`Self::open`] as an awaitable.
    pub fn open_async<'py>(
        py: Python<'py>,
        fluvio: &flv_tokio::Fluvio,
        config: ConsumerConfig,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fluvio = fluvio.clone();
        awaitable(py, async move {
            let stream = fluvio.consumer_with_config(config).await.map_err(to_py)?;
            Ok(Self::new(stream))
        })
    }
}

/// Records as a list.
fn list(py: Python<'_>, records: Vec<ConsumerRecord>) -> PyResult<Bound<'_, PyList>> {
    PyList::new(py, records.into_iter().map(|record| Record { record }))
}

fn next_batch_blocking(
    py: Python<'_>,
    state: &Shared,
    max: usize,
) -> PyResult<Option<Vec<ConsumerRecord>>> {
    let mut g = lock(py, state);
    block_on(py, g.next_batch(max))
}

fn next_batch_async<'py>(
    py: Python<'py>,
    state: &Shared,
    max: usize,
    stop: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let state = Arc::clone(state);
    awaitable(py, async move {
        let mut g = state.lock().await;
        match g.next_batch(max).await? {
            Some(records) => Ok(Some(
                records
                    .into_iter()
                    .map(|record| Record { record })
                    .collect::<Vec<_>>(),
            )),
            None if stop => Err(PyStopAsyncIteration::new_err(())),
            None => Ok(None),
        }
    })
}

#[pymethods]
impl PartitionConsumerStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Record>> {
        self.next(py)
    }

    /// The next record, or `None` at the end of the stream (GIL released while waiting).
    fn next(&self, py: Python<'_>) -> PyResult<Option<Record>> {
        let mut g = lock(py, &self.state);
        let next = match g.next_now() {
            Some(next) => next,
            // Nothing at hand: `next_now` took nothing, wait with the GIL released.
            None => block_on(py, g.next()),
        };
        Ok(next?.map(|record| Record { record }))
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(mut g) = self.state.try_lock()
            && let Some(result) = g.next_now()
        {
            let result = match result {
                Ok(Some(record)) => Ok(Py::new(py, Record { record })?.into_any()),
                Ok(None) => Err(PyStopAsyncIteration::new_err(())),
                Err(e) => Err(e),
            };
            return ready(py, result);
        }
        let state = Arc::clone(&self.state);
        awaitable(py, async move {
            let mut g = state.lock().await;
            match g.next().await? {
                Some(record) => Ok(Record { record }),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }

    /// An awaitable of the next record, or of `None` at the end.
    fn async_next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = Arc::clone(&self.state);
        awaitable(py, async move {
            let mut g = state.lock().await;
            Ok(g.next().await?.map(|record| Record { record }))
        })
    }

    /// The next record (waiting for it) and every record already at hand, up to
    /// `max_records`, as a list; `None` at the end of the stream.
    #[pyo3(signature = (max_records=DEFAULT_BATCH))]
    fn next_batch<'py>(
        &self,
        py: Python<'py>,
        max_records: usize,
    ) -> PyResult<Option<Bound<'py, PyList>>> {
        next_batch_blocking(py, &self.state, max_records.max(1))?
            .map(|records| list(py, records))
            .transpose()
    }

    /// `next_batch()` as an awaitable.
    #[pyo3(signature = (max_records=DEFAULT_BATCH))]
    fn async_next_batch<'py>(
        &self,
        py: Python<'py>,
        max_records: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        next_batch_async(py, &self.state, max_records.max(1), false)
    }

    /// An iterator (and async iterator) of lists of records (see `next_batch`).
    #[pyo3(signature = (max_records=DEFAULT_BATCH))]
    fn batches(&self, max_records: usize) -> RecordBatches {
        RecordBatches {
            state: Arc::clone(&self.state),
            max: max_records.max(1),
        }
    }

    /// Marks the records read so far as consumed (manual offset management).
    fn offset_commit(&self, py: Python<'_>) -> PyResult<()> {
        lock(py, &self.state)
            .stream
            .offset_commit_now()
            .map_err(to_py)
    }

    /// Stores the committed offsets in the cluster and waits for the answer.
    fn offset_flush(&self, py: Python<'_>) -> PyResult<()> {
        let mut g = lock(py, &self.state);
        block_on(py, g.stream.offset_flush()).map_err(to_py)
    }

    /// `offset_flush()` as an awaitable.
    fn async_offset_flush<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = Arc::clone(&self.state);
        awaitable(py, async move {
            let mut g = state.lock().await;
            g.stream.offset_flush().await.map_err(to_py)
        })
    }
}

/// Lists of records from a stream (see `PartitionConsumerStream.batches`).
#[pyclass(module = "flv", frozen)]
pub struct RecordBatches {
    state: Shared,
    max: usize,
}

#[pymethods]
impl RecordBatches {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        next_batch_blocking(py, &self.state, self.max)?
            .map(|records| list(py, records))
            .transpose()
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        next_batch_async(py, &self.state, self.max, true)
    }
}
