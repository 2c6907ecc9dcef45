//! The Python models: an immutable `Job` over gpujobs' `Job`, its times as
//! timezone-aware `datetime`s and its status as `gpujobs.JobStatus` (a `str`
//! enum defined in Python), and a URL that prints without its secrets.

use chrono::{DateTime, Utc};
use gpujobs::CancelOutcome;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// `gpujobs.models.JobStatus`, looked up once.
static JOB_STATUS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `gpujobs.models.Cause`, likewise.
static CAUSE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `value` as plain Python (dicts, lists, str, numbers), as its JSON reads.
pub fn plain<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// `status` as a `gpujobs.JobStatus`.
pub fn status<'py>(py: Python<'py>, status: &gpujobs::JobStatus) -> PyResult<Bound<'py, PyAny>> {
    JOB_STATUS
        .import(py, "gpujobs.models", "JobStatus")?
        .call1((status.as_str(),))
}

/// A job, as a provider last reported it. Immutable; `raw` is the provider's own record.
#[pyclass(frozen, module = "gpujobs", name = "Job")]
pub struct Job(pub gpujobs::Job);

impl From<gpujobs::Job> for Job {
    fn from(job: gpujobs::Job) -> Self {
        Self(job)
    }
}

#[pymethods]
impl Job {
    /// The provider's name (`"ray"`).
    #[getter]
    fn provider(&self) -> &'static str {
        self.0.provider.as_str()
    }

    /// The id to pass back to `get`, `cancel`, `wait` and `logs`.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// A human name, where the provider has one.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// The unified status, a `gpujobs.JobStatus`.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        status(py, &self.0.status)
    }

    /// The provider's own status value.
    #[getter]
    fn provider_status(&self) -> &str {
        &self.0.provider_status
    }

    /// Why the job failed, where known.
    #[getter]
    fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }

    /// The job's exit code, where known.
    #[getter]
    fn exit_code(&self) -> Option<i64> {
        self.0.exit_code
    }

    /// When the job was created (UTC).
    #[getter]
    fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// When the job started running (UTC).
    #[getter]
    fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }

    /// When the job ended (UTC).
    #[getter]
    fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }

    /// The provider's message about the job, if any.
    #[getter]
    fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// Why it did not succeed, once it ended without succeeding: a `Cause`.
    #[getter]
    fn cause<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(cause) = self.0.cause else {
            return Ok(None);
        };
        Ok(Some(
            CAUSE
                .import(py, "gpujobs.models", "Cause")?
                .call1((cause.as_str(),))?,
        ))
    }

    /// What it was given and how long it ran, where the provider says: a dict
    /// (`elapsed_seconds`, `cpus`, `memory_bytes`, `gpus`, `nodes`), or `None`.
    #[getter]
    fn usage<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(usage) = &self.0.usage else {
            return Ok(None);
        };
        plain(py, usage).map(Some)
    }

    /// Where the job's log can be fetched, if the provider gives a URL.
    #[getter]
    fn log_url(&self) -> Option<SensitiveUrl> {
        self.0.log_url.clone().map(SensitiveUrl)
    }

    /// The provider's own record, as a `dict` (`None` when not kept).
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.0.raw.is_absent() {
            return Ok(None);
        }
        plain(py, &self.0.raw).map(Some)
    }

    /// Whether the job has ended (succeeded, failed or canceled).
    fn is_terminal(&self) -> bool {
        self.0.status.is_terminal()
    }

    /// The job as gpujobs' JSON (`gpujobs get -o json`), without `raw`
    /// unless asked; the log URL's secrets redacted.
    #[pyo3(signature = (*, raw = false))]
    fn to_dict<'py>(&self, py: Python<'py>, raw: bool) -> PyResult<Bound<'py, PyAny>> {
        let mut job = self.0.clone();
        if !raw {
            job.raw = gpujobs::ProviderJob::Absent;
        }
        plain(py, &job)
    }

    /// One line a person can read, the provider's text made safe for a terminal.
    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        let job = &self.0;
        format!(
            "Job(provider={}, id={}, status={}, provider_status={}, exit_code={})",
            quoted(job.provider.as_str()),
            quoted(&job.id),
            quoted(job.status.as_str()),
            quoted(&job.provider_status),
            job.exit_code.map_or("None".to_owned(), |c| c.to_string()),
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Job>().is_ok_and(|other| {
            let (a, b) = (&self.0, &other.get().0);
            (
                a.provider,
                &a.id,
                &a.status,
                &a.provider_status,
                a.exit_code,
                a.finished_at,
            ) == (
                b.provider,
                &b.id,
                &b.status,
                &b.provider_status,
                b.exit_code,
                b.finished_at,
            )
        })
    }
}

/// `text` as a Python string literal, made safe for a terminal.
fn quoted(text: &str) -> String {
    let safe = gpujobs::terminal_safe(text);
    format!("'{}'", safe.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A URL that may carry a credential (a signed log URL): shown with its
/// secrets as `[REDACTED]`; `expose()` gives it whole.
#[pyclass(frozen, module = "gpujobs", name = "SensitiveUrl")]
pub struct SensitiveUrl(pub gpujobs::SensitiveUrl);

#[pymethods]
impl SensitiveUrl {
    /// The whole URL, secrets included: for sending, not for showing.
    fn expose(&self) -> &str {
        self.0.expose()
    }

    fn __str__(&self) -> String {
        self.0.redacted()
    }

    fn __repr__(&self) -> String {
        format!("SensitiveUrl({})", quoted(&self.0.redacted()))
    }
}

/// What a cancel did: `outcome` is `"stopped"` (the job is stopped),
/// `"accepted"` (the provider will stop it) or `"already_ended"`.
#[pyclass(frozen, module = "gpujobs", name = "CancelResult")]
pub struct CancelResult {
    /// `"stopped"`, `"accepted"` or `"already_ended"`.
    #[pyo3(get)]
    outcome: &'static str,
    /// The job as the cancel left it.
    #[pyo3(get)]
    job: Py<Job>,
}

impl CancelResult {
    pub fn new(py: Python<'_>, outcome: CancelOutcome) -> PyResult<Self> {
        let (outcome, job) = match outcome {
            CancelOutcome::Stopped(job) => ("stopped", job),
            CancelOutcome::Accepted(job) => ("accepted", job),
            CancelOutcome::AlreadyEnded(job) => ("already_ended", job),
            other => ("accepted", other.job().clone()),
        };
        Ok(Self {
            outcome,
            job: Py::new(py, Job(job))?,
        })
    }
}

#[pymethods]
impl CancelResult {
    fn __repr__(&self) -> String {
        format!(
            "CancelResult(outcome={}, job={})",
            quoted(self.outcome),
            self.job.get().__repr__()
        )
    }
}
