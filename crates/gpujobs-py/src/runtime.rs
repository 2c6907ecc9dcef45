//! The one tokio runtime every client runs on, and the two ways Python waits
//! on it: blocking (the GIL released, Ctrl-C heard within a fifth of a second)
//! and as an asyncio awaitable.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// How often a blocking call comes back to Python to hear Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(200);

/// The process the runtime was started in.
static STARTED_IN: OnceLock<u32> = OnceLock::new();

/// The runtime, refused in a process made by `fork()` after it started: its
/// threads were not copied into the child, so anything sent to it would hang.
pub fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    let pid = std::process::id();
    let started_in = *STARTED_IN.get_or_init(|| pid);
    if started_in != pid {
        return Err(PyRuntimeError::new_err(
            "gpujobs cannot be used in a process made by fork() after gpujobs ran in its parent \
             (the parent's runtime threads are not in the child): make clients in the child only, \
             or start children with multiprocessing's 'spawn' or 'forkserver' method",
        ));
    }
    Ok(pyo3_async_runtimes::tokio::get_runtime())
}

/// Runs `future` to its end with the GIL released, coming back every
/// [`SIGNAL_CHECK`] to let Python raise `KeyboardInterrupt` (which drops the
/// future, stopping what it was doing).
pub fn block_on<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let runtime = runtime()?;
    let mut future = std::pin::pin!(future);
    loop {
        let done = py.detach(|| {
            runtime.block_on(async {
                tokio::time::timeout(SIGNAL_CHECK, future.as_mut())
                    .await
                    .ok()
            })
        });
        if let Some(output) = done {
            return Ok(output);
        }
        py.check_signals()?;
    }
}

/// `future`'s value, waited for with the GIL released (hearing Ctrl-C), as a
/// Python object: how the blocking classes wait.
pub fn blocking<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send,
    T: for<'a> IntoPyObject<'a> + Send,
{
    use pyo3::IntoPyObjectExt;
    block_on(py, future)??.into_bound_py_any(py)
}

/// `future` as an asyncio awaitable (cancelling it drops the future).
pub fn awaitable<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    runtime()?;
    pyo3_async_runtimes::tokio::future_into_py(py, future)
}
