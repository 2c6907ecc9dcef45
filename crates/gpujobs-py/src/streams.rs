//! Rust streams as Python iterators, sync and async at once (as obstore's
//! list streams are): jobs of a listing, the pieces of a followed log, and
//! the ends of a `wait_all`. Each is read lazily, one item a step.

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::errors::{IntoPyResult, to_py};
use crate::models::Job;
use crate::runtime::{awaitable, block_on};

/// One item of a stream, before it becomes Python.
pub enum Item {
    /// A job of a listing (an error ends the listing).
    Job(gpujobs::Result<gpujobs::Job>),
    /// A piece of a followed log.
    Text(gpujobs::Result<String>),
    /// A job's end in a `wait_all`: its id, and its final record or why there is none.
    Ended(String, gpujobs::Result<gpujobs::Job>),
}

impl Item {
    /// The Python value: a `Job`, a `str`, or `(id, Job | exception)`; an
    /// error of a listing or a log is raised.
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            Item::Job(job) => Ok(Py::new(py, Job(job.or_raise()?))?.into_any()),
            Item::Text(text) => Ok(text.or_raise()?.into_pyobject(py)?.into_any().unbind()),
            Item::Ended(id, end) => {
                let end = match end {
                    Ok(job) => Py::new(py, Job(job))?.into_any(),
                    Err(error) => to_py(py, error).into_value(py).into_any(),
                };
                Ok((id, end).into_pyobject(py)?.into_any().unbind())
            }
        }
    }
}

type Shared = Arc<tokio::sync::Mutex<Option<BoxStream<'static, Item>>>>;

/// A lazy stream of results: `for x in stream` and `async for x in stream`,
/// or all at once with `collect()` / `await collect_async()`. Once it has
/// raised an error it is over.
#[pyclass(frozen, module = "gpujobs", name = "Stream")]
pub struct Stream {
    inner: Shared,
}

impl Stream {
    pub fn new(items: BoxStream<'static, Item>) -> Self {
        Self {
            inner: Arc::new(tokio::sync::Mutex::new(Some(items))),
        }
    }
}

/// The next item, or `None` at the end (an error ends the stream too).
async fn next(inner: &Shared) -> Option<Item> {
    let mut guard = inner.lock().await;
    let item = guard.as_mut()?.next().await;
    let failed = matches!(&item, None | Some(Item::Job(Err(_)) | Item::Text(Err(_))));
    if failed {
        *guard = None;
    }
    item
}

/// Every item left.
async fn rest(inner: &Shared) -> Vec<Item> {
    let mut all = Vec::new();
    while let Some(item) = next(inner).await {
        let failed = matches!(&item, Item::Job(Err(_)) | Item::Text(Err(_)));
        all.push(item);
        if failed {
            break;
        }
    }
    all
}

fn into_list(py: Python<'_>, items: Vec<Item>) -> PyResult<Py<PyList>> {
    let values = items
        .into_iter()
        .map(|item| item.into_py(py))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, values)?.unbind())
}

#[pymethods]
impl Stream {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let inner = self.inner.clone();
        match block_on(py, async move { next(&inner).await })? {
            Some(item) => item.into_py(py).map(Some),
            None => Ok(None),
        }
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        awaitable(py, async move {
            match next(&inner).await {
                Some(item) => Python::attach(|py| item.into_py(py)),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }

    /// Every item left, as a list (an error is raised after reading stops).
    fn collect(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let inner = self.inner.clone();
        let items = block_on(py, async move { rest(&inner).await })?;
        into_list(py, items)
    }

    /// Every item left, as a list, awaited.
    fn collect_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        awaitable(py, async move {
            let items = rest(&inner).await;
            Python::attach(|py| into_list(py, items))
        })
    }
}
