//! gpujobs' errors as the Python exceptions of `gpujobs.errors` (defined in
//! Python, so each can also be the builtin a Python user catches), carrying
//! what the Rust error knows: provider, HTTP status, request id, `Retry-After`
//! and, for a wait that ran out of time, the last job seen.

use gpujobs::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::models::Job;

/// The class in `gpujobs.errors` for an error of `kind`.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Unauthenticated => "AuthenticationError",
        ErrorKind::PermissionDenied => "PermissionDeniedError",
        ErrorKind::RateLimited => "RateLimitedError",
        ErrorKind::InvalidRequest => "InvalidRequestError",
        ErrorKind::Conflict => "ConflictError",
        ErrorKind::Unsupported => "UnsupportedError",
        ErrorKind::Timeout => "TimeoutError",
        ErrorKind::Transport => "TransportError",
        ErrorKind::Api => "ApiError",
        ErrorKind::Decode => "DecodeError",
        ErrorKind::ResponseTooLarge => "ResponseTooLargeError",
        ErrorKind::Paging => "PagingError",
        ErrorKind::Config => "ConfigError",
        _ => "GpujobsError",
    }
}

/// The Python exception for `error`; its message is the error's `Display`,
/// which never holds a secret.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    match build(py, error) {
        Ok(exception) => exception,
        Err(failed) => failed,
    }
}

fn build(py: Python<'_>, error: Error) -> PyResult<PyErr> {
    let class = py
        .import("gpujobs.errors")?
        .getattr(class_name(error.kind()))?;
    let details = PyDict::new(py);
    details.set_item("provider", error.provider().as_str())?;
    details.set_item("kind", error.kind().to_string())?;
    details.set_item("retryable", error.is_retryable())?;
    details.set_item("request_id", error.request_id())?;
    details.set_item("provider_message", error.message())?;
    match &error {
        Error::Api { status, code, .. } => {
            details.set_item("status", *status)?;
            details.set_item("code", code.as_deref())?;
        }
        Error::RateLimited { retry_after, .. } => {
            details.set_item("status", 429)?;
            details.set_item("retry_after", retry_after.map(|d| d.as_secs_f64()))?;
        }
        Error::Unsupported { operation, .. } => {
            details.set_item("operation", operation.to_string())?
        }
        Error::Timeout { last_job, .. } => {
            let last = last_job.as_deref().map(|job| Job::from(job.clone()));
            details.set_item("last_job", last)?;
        }
        _ => {}
    }
    let exception = class.call((error.to_string(),), Some(&details))?;
    Ok(PyErr::from_value(exception))
}

/// A `Result` of gpujobs as a `PyResult`.
pub trait IntoPyResult<T> {
    /// The error as its Python exception.
    fn or_raise(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for gpujobs::Result<T> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(|error| Python::attach(|py| to_py(py, error)))
    }
}
