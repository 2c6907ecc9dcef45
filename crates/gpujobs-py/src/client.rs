//! `Client` (blocking, the GIL released) and `AsyncClient` (awaitables): the
//! same methods over one provider, each an operation of gpujobs' facade.
//! Both are thin: what an operation does is written once, as a future
//! ([`Ops`]), and each class only says how Python waits for it.

use std::sync::Arc;

use futures_util::StreamExt;
use gpujobs::{
    DEFAULT_LOG_LIMIT, JobProvider, JobProviderExt, JobStatus, ListOptions, ProviderKind,
    SubmitRequest, WaitOptions,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::IntoPyResult;
use crate::models::{CancelResult, Job};
use crate::request;
use crate::runtime::{awaitable, blocking};
use crate::streams::{Item, Stream};
use crate::sweeps::{AsyncSweep, Sweep, SweepArgs};

/// One provider, and the futures of its operations.
#[derive(Clone)]
struct Ops {
    provider: Arc<dyn JobProvider>,
}

impl Ops {
    fn connect(
        kind: ProviderKind,
        settings: Option<&Bound<'_, PyDict>>,
        from_env: bool,
    ) -> PyResult<Self> {
        Self::of(request::config(kind, settings, from_env)?)
    }

    fn of(config: gpujobs::ProviderConfig) -> PyResult<Self> {
        // Building a client starts nothing but may touch the runtime's reactor.
        let _ = crate::runtime::runtime()?.enter();
        Ok(Self {
            provider: gpujobs::connect(config).or_raise()?,
        })
    }

    async fn get(self, id: String) -> PyResult<Job> {
        Ok(Job(self.provider.get(&id).await.or_raise()?))
    }

    async fn cancel(self, id: String) -> PyResult<CancelResult> {
        let outcome = self.provider.cancel(&id).await.or_raise()?;
        Python::attach(|py| CancelResult::new(py, outcome))
    }

    async fn submit(self, request: SubmitRequest) -> PyResult<Job> {
        Ok(Job(self.provider.submit(&request).await.or_raise()?))
    }

    async fn wait(self, id: String, options: WaitOptions) -> PyResult<Job> {
        Ok(Job(self.provider.wait(&id, &options).await.or_raise()?))
    }

    /// The log's text; a log URL is fetched (at most [`DEFAULT_LOG_LIMIT`] bytes).
    async fn logs(self, id: String) -> PyResult<String> {
        self.provider
            .log_text(&id, DEFAULT_LOG_LIMIT)
            .await
            .or_raise()
    }

    fn list(&self, options: ListOptions) -> Stream {
        Stream::new(self.provider.list(options).map(Item::Job).boxed())
    }

    fn follow_logs(&self, id: &str) -> Stream {
        Stream::new(self.provider.follow_logs(id).map(Item::Text).boxed())
    }

    fn wait_all(&self, ids: Vec<String>, options: &WaitOptions) -> Stream {
        let ends = self.provider.wait_all(ids, options);
        Stream::new(ends.map(|(id, end)| Item::Ended(id, end)).boxed())
    }

    fn repr(&self, class: &str) -> String {
        format!("{class}(provider={:?})", self.provider.kind().as_str())
    }
}

/// `list`'s `status`: one (`"running"`, `JobStatus.RUNNING`) or a list of them.
fn statuses(status: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    let Some(status) = status else {
        return Ok(None);
    };
    if let Ok(one) = status.extract::<String>() {
        return Ok(Some(vec![one]));
    }
    status.extract().map(Some).map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(
            "`status` takes a status or a list of them, e.g. \"running\"",
        )
    })
}

/// What `list` keeps: statuses (`"running"` or `JobStatus.RUNNING`), a limit, a page size.
fn list_options(
    status: Option<Vec<String>>,
    limit: Option<usize>,
    page_size: Option<u32>,
    since: Option<&Bound<'_, PyAny>>,
) -> PyResult<ListOptions> {
    let mut options = ListOptions::default();
    for name in status.unwrap_or_default() {
        let status: JobStatus = name.parse().map_err(|e: gpujobs::UnknownStatus| {
            pyo3::exceptions::PyValueError::new_err(e.to_string())
        })?;
        options = options.status(status);
    }
    options.limit = limit;
    options.page_size = page_size;
    options.ended_since = since.map(ended_since).transpose()?;
    Ok(options)
}

/// `list`'s `since`: an aware `datetime`, or how long ago (a `timedelta` or seconds).
fn ended_since(since: &Bound<'_, PyAny>) -> PyResult<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = since.extract::<chrono::DateTime<chrono::Utc>>() {
        return Ok(at);
    }
    let ago = match since.extract::<std::time::Duration>() {
        Ok(ago) => ago,
        Err(_) => request::seconds(
            "since",
            since.extract().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(
                    "`since` takes an aware datetime, a timedelta or seconds",
                )
            })?,
        )?,
    };
    let ago = chrono::TimeDelta::from_std(ago).unwrap_or(chrono::TimeDelta::MAX);
    Ok(chrono::Utc::now()
        .checked_sub_signed(ago)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC))
}

/// Declares a client class: its constructor, `from_env`, and each method,
/// blocking or awaitable by how the class waits (`$wait`).
macro_rules! client_class {
    ($class:ident, $name:literal, $wait:ident, $sweep:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, subclass, module = "gpujobs", name = $name)]
        pub struct $class {
            ops: Ops,
        }

        #[pymethods]
        impl $class {
            /// A client of `provider` (`"ray"`, `"slurm"`, …) with these settings
            /// (`base_url`, `token`, time limits, …, and the provider's own, e.g.
            /// Slurm's `user`); `from_env=True` reads the variables the CLI reads first.
            #[new]
            #[pyo3(signature = (provider, *, from_env=false, **settings))]
            fn new(
                provider: &str,
                from_env: bool,
                settings: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                let kind = request::provider(provider)?;
                Ok(Self {
                    ops: Ops::connect(kind, settings, from_env)?,
                })
            }

            /// A client of the config file's context `name` (default: its
            /// `current-context`, or `GPUJOBS_CONTEXT`), from the file `config`
            /// (default: `$GPUJOBS_CONFIG`, else `~/.config/gpujobs/config.toml`),
            /// as the CLI's `--context`: the environment, then `settings`, over it.
            #[staticmethod]
            #[pyo3(signature = (name=None, *, config=None, **settings))]
            fn from_context(
                name: Option<&str>,
                config: Option<std::path::PathBuf>,
                settings: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                Ok(Self {
                    ops: Ops::of(request::context_config(name, config, settings)?)?,
                })
            }

            /// The provider's name.
            #[getter]
            fn provider(&self) -> &'static str {
                self.ops.provider.kind().as_str()
            }

            /// One job.
            fn get<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
                $wait(py, self.ops.clone().get(id))
            }

            /// Cancels a job: a `CancelResult` (canceling a job that ended is not an error).
            fn cancel<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
                $wait(py, self.ops.clone().cancel(id))
            }

            /// Submits a job: `command` a string (run by the provider's shell) or a
            /// list of arguments; `fields` the request's common fields (`id`, `env`, …);
            /// `options` the provider's own (see `providers()`).
            #[pyo3(signature = (command, *, options=None, **fields))]
            fn submit<'py>(
                &self,
                py: Python<'py>,
                command: &Bound<'py, PyAny>,
                options: Option<&Bound<'py, PyDict>>,
                fields: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let request = request::submit(self.ops.provider.kind(), command, fields, options)?;
                $wait(py, self.ops.clone().submit(request))
            }

            /// Submits a sweep: `command` once for each of `tasks` (a number of
            /// tasks, a `range`, or a list of dicts, one per task, given to it as
            /// environment variables), each with `GPUJOBS_TASK_INDEX`; each task's id
            /// is `<name>-<index>`, so submitting the same sweep again submits only
            /// the tasks missing. `max_running`: at most that many at once (Slurm:
            /// the array's `%N`; elsewhere this call stays to submit each next task,
            /// within `timeout`). Returns a `Sweep` (`report`, `status()`, `wait()`,
            /// `cancel()`, `retry_failed()`).
            #[pyo3(signature = (name, command, *, tasks, max_running=None, submit_concurrency=None, timeout=None, options=None, **fields))]
            #[allow(clippy::too_many_arguments)]
            fn submit_sweep<'py>(
                &self,
                py: Python<'py>,
                name: String,
                command: &Bound<'py, PyAny>,
                tasks: &Bound<'py, PyAny>,
                max_running: Option<u32>,
                submit_concurrency: Option<usize>,
                timeout: Option<f64>,
                options: Option<&Bound<'py, PyDict>>,
                fields: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let provider = self.ops.provider.clone();
                let args = SweepArgs::new(
                    provider.as_ref(),
                    name,
                    command,
                    tasks,
                    max_running,
                    submit_concurrency,
                    timeout,
                    options,
                    fields,
                )?;
                $wait(py, $sweep::submit(provider, args))
            }

            /// Waits for a job to end and returns it, however it ended; raises
            /// `gpujobs.TimeoutError` (with `last_job`) only when `timeout` passes.
            #[pyo3(signature = (id, *, timeout=None, interval=None, max_interval=None))]
            fn wait<'py>(
                &self,
                py: Python<'py>,
                id: String,
                timeout: Option<f64>,
                interval: Option<f64>,
                max_interval: Option<f64>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let options = request::wait_options(timeout, interval, max_interval)?;
                $wait(py, self.ops.clone().wait(id, options))
            }

            /// A job's logs, as text.
            fn logs<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
                $wait(py, self.ops.clone().logs(id))
            }

            /// Jobs, lazily, page by page: a `Stream` of `Job`s (iterate it, sync or async,
            /// or `collect()` it). `status`: one status or a list of them; `since`: ended
            /// jobs only if they ended since (an aware datetime, or a timedelta or seconds
            /// ago; Slurm reads them from accounting too).
            #[pyo3(signature = (*, status=None, limit=None, page_size=None, since=None))]
            fn list(
                &self,
                status: Option<&Bound<'_, PyAny>>,
                limit: Option<usize>,
                page_size: Option<u32>,
                since: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Stream> {
                Ok(self
                    .ops
                    .list(list_options(statuses(status)?, limit, page_size, since)?))
            }

            /// What a job prints, as it prints it, until it ends: a `Stream` of `str`.
            fn follow_logs(&self, id: &str) -> Stream {
                self.ops.follow_logs(id)
            }

            /// Waits for many jobs at once: a `Stream` of `(id, Job | exception)`,
            /// each as soon as a poll sees it end (a few requests a poll, not one a job).
            #[pyo3(signature = (ids, *, timeout=None, interval=None, max_interval=None))]
            fn wait_all(
                &self,
                ids: Vec<String>,
                timeout: Option<f64>,
                interval: Option<f64>,
                max_interval: Option<f64>,
            ) -> PyResult<Stream> {
                let options = request::wait_options(timeout, interval, max_interval)?;
                Ok(self.ops.wait_all(ids, &options))
            }

            fn __repr__(&self) -> String {
                self.ops.repr($name)
            }
        }
    };
}

client_class!(
    Client,
    "Client",
    blocking,
    Sweep,
    "A blocking client of one provider. Calls release the GIL, and Ctrl-C stops them."
);
client_class!(
    AsyncClient,
    "AsyncClient",
    awaitable,
    AsyncSweep,
    "An asyncio client of one provider: the methods of `Client`, awaitable."
);

/// Declares a Ray-only client class over a client class (`$base`): the
/// base's methods, and what only Ray has (what `gpujobs.ray_compat` uses).
macro_rules! ray_class {
    ($class:ident, $base:ident, $name:literal, $wait:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, extends = $base, subclass, module = "gpujobs", name = $name)]
        pub struct $class {
            ray: Arc<gpujobs::ray::RayProvider>,
        }

        #[pymethods]
        impl $class {
            /// A client of a Ray cluster's dashboard, with the base class's settings.
            #[new]
            #[pyo3(signature = (base_url=None, *, from_env=false, **settings))]
            fn new<'py>(
                py: Python<'py>,
                base_url: Option<&Bound<'py, PyAny>>,
                from_env: bool,
                settings: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<PyClassInitializer<Self>> {
                let settings = request::with_base_url(py, base_url, settings)?;
                let config = request::config(ProviderKind::Ray, Some(&settings), from_env)?;
                let _ = crate::runtime::runtime()?.enter();
                let ray = Arc::new(gpujobs::ray::RayProvider::from_config(config).or_raise()?);
                let ops = Ops {
                    provider: ray.clone(),
                };
                Ok(PyClassInitializer::from($base { ops }).add_subclass(Self { ray }))
            }

            /// Deletes an ended job; whether Ray deleted it.
            fn delete<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
                let ray = self.ray.clone();
                $wait(py, async move { ray.delete(&id).await.or_raise() })
            }

            /// Ray's versions: `(jobs_api_version, ray_version)`.
            fn version<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let ray = self.ray.clone();
                $wait(py, async move {
                    let answer = ray.version().await.or_raise()?;
                    Ok((answer.version, answer.ray_version))
                })
            }
        }
    };
}

ray_class!(
    RayClient,
    Client,
    "RayClient",
    blocking,
    "A blocking client of a Ray cluster: `Client`'s methods, and Ray's own."
);
ray_class!(
    AsyncRayClient,
    AsyncClient,
    "AsyncRayClient",
    awaitable,
    "An asyncio client of a Ray cluster: `AsyncClient`'s methods, and Ray's own, awaitable."
);

/// Each provider's name and title, and what its constructor is given: whether
/// it has a default base URL, and whether it takes a credential.
#[pyfunction]
pub fn _constructors() -> Vec<(&'static str, &'static str, bool, bool)> {
    ProviderKind::ALL
        .iter()
        .map(|k| k.descriptor())
        .map(|d| {
            (
                d.name,
                d.title,
                d.env.default_base_url.is_some(),
                d.env.credential.is_some(),
            )
        })
        .collect()
}

/// Every provider gpujobs knows, with what each supports and the variables it reads.
#[pyfunction]
pub fn providers(py: Python<'_>) -> PyResult<Py<PyList>> {
    let descriptors: Vec<&gpujobs::Descriptor> =
        ProviderKind::ALL.iter().map(|k| k.descriptor()).collect();
    let text = serde_json::to_string(&descriptors)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(py
        .import("json")?
        .call_method1("loads", (text,))?
        .cast_into::<PyList>()?
        .unbind())
}
