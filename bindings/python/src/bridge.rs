//! The asyncio bridge: a Rust future as an asyncio future, completed from a tokio task.
//!
//! `awaitable` creates a future on the running event loop and spawns the Rust future on the
//! runtime; when it finishes, the task hands the result to the loop with
//! `call_soon_threadsafe` (the only moment a runtime thread touches Python). Cancelling the
//! asyncio future aborts the task, so a cancelled `__anext__` takes no record.
//!
//! At interpreter exit (an `atexit` hook registered by the package) [`shutdown`] stops new
//! hand-overs and waits for those under way: a runtime thread never attaches to an
//! interpreter that is finalizing.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::PyCFunction;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
static FINALIZING: AtomicBool = AtomicBool::new(false);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// The process's tokio runtime; `FLV_PYTHON_WORKER_THREADS` sets its workers (default 1:
/// flv's driver task does all the I/O).
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        let workers = std::env::var("FLV_PYTHON_WORKER_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("flv-tokio")
            .enable_all()
            .build()
            // Without threads and an I/O driver nothing in this module can work.
            .unwrap_or_else(|e| panic!("flv: cannot start the tokio runtime: {e}"))
    })
}

/// Hands a result to the event loop: sets it on the future unless it was cancelled.
#[pyclass(module = "flv")]
struct Complete {
    result: Option<PyResult<Py<PyAny>>>,
}

#[pymethods]
impl Complete {
    fn __call__(&mut self, fut: &Bound<'_, PyAny>) -> PyResult<()> {
        let Some(result) = self.result.take() else {
            return Ok(());
        };
        if fut.call_method0("done")?.is_truthy()? {
            return Ok(());
        }
        match result {
            Ok(v) => fut.call_method1("set_result", (v,))?,
            Err(e) => fut.call_method1("set_exception", (e.into_value(fut.py()),))?,
        };
        Ok(())
    }
}

/// An asyncio future of `fut`'s result, on the running event loop.
pub(crate) fn awaitable<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let py_fut = event_loop.call_method0("create_future")?;
    let (target, loop_ref) = (py_fut.clone().unbind(), event_loop.unbind());
    let task = runtime().spawn(async move {
        let result = fut.await;
        // Waiting for the GIL must not hold up a runtime worker (flv's driver runs there).
        let handover = tokio::task::spawn_blocking(move || hand_over(target, loop_ref, result));
        drop(handover);
    });
    let abort = task.abort_handle();
    let on_done = PyCFunction::new_closure(py, None, None, move |args, _kwargs| -> PyResult<()> {
        let fut = args.get_item(0)?;
        if fut.call_method0("cancelled")?.is_truthy()? {
            abort.abort();
        }
        Ok(())
    })?;
    py_fut.call_method1("add_done_callback", (on_done,))?;
    Ok(py_fut)
}

/// Gives `result` to the event loop, unless the interpreter is finalizing.
fn hand_over<T>(target: Py<PyAny>, loop_ref: Py<PyAny>, result: PyResult<T>)
where
    T: for<'a> IntoPyObject<'a>,
{
    IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    if FINALIZING.load(Ordering::SeqCst) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        // Dropping these would need the interpreter, which is going away.
        std::mem::forget((target, loop_ref, result));
        return;
    }
    Python::attach(|py| {
        let result = result.and_then(|v| v.into_py_any(py));
        let complete = Complete {
            result: Some(result),
        };
        // The loop may be closed already (the program stopped waiting): nothing to do.
        let _ = loop_ref.call_method1(py, "call_soon_threadsafe", (complete, target));
    });
    IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
}

/// Stops handing results to Python and waits (GIL released) for hand-overs under way.
#[pyfunction]
pub(crate) fn shutdown(py: Python<'_>) {
    FINALIZING.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while IN_FLIGHT.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    });
}

/// Registers the bridge's Python parts.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Complete>()?;
    m.add_function(wrap_pyfunction!(shutdown, m)?)?;
    Ok(())
}
