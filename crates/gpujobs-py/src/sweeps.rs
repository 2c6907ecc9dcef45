//! Sweeps from Python: `client.submit_sweep(...)` returns a `Sweep` (an
//! `AsyncSweep` from an `AsyncClient`) with its report and its operations —
//! `status()`, `wait()`, `cancel()`, `retry_failed()` — each one of the
//! facade's `gpujobs::sweep` functions. Submitting the same sweep again
//! (after a crash, say) submits only the tasks missing.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::StreamExt;
use gpujobs::sweep::{self, SweepReport, Tasks};
use gpujobs::{JobProvider, WaitOptions};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyRange, PyString};

use crate::errors::{IntoPyResult, to_py};
use crate::models::{CancelResult, plain};
use crate::request;
use crate::runtime::{awaitable, blocking};
use crate::streams::{Item, Stream};

/// What `submit_sweep` is given, read from Python before anything is sent.
pub struct SweepArgs {
    pub sweep: gpujobs::sweep::Sweep,
    pub options: WaitOptions,
}

impl SweepArgs {
    /// A sweep from `submit_sweep`'s arguments: `tasks` an `int` (that many
    /// indices from 0), a `range` (step 1), or a list of dicts (one task
    /// each, its entries in the task's environment; values str, int, float
    /// or bool, as `--params` reads JSON).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        provider: &dyn JobProvider,
        name: String,
        command: &Bound<'_, PyAny>,
        tasks: &Bound<'_, PyAny>,
        max_running: Option<u32>,
        submit_concurrency: Option<usize>,
        timeout: Option<f64>,
        options: Option<&Bound<'_, PyDict>>,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let template = request::submit(provider.kind(), command, fields, options)?;
        let mut sweep = gpujobs::sweep::Sweep::new(name, template, self::tasks(tasks)?);
        if let Some(n) = max_running {
            sweep = sweep.max_running(n);
        }
        if let Some(n) = submit_concurrency {
            sweep = sweep.submit_concurrency(n);
        }
        sweep.check(provider.kind()).or_raise()?;
        Ok(Self {
            sweep,
            options: request::wait_options(timeout, None, None)?,
        })
    }
}

/// `tasks`: an `int`, a `range` or a list of dicts.
fn tasks(value: &Bound<'_, PyAny>) -> PyResult<Tasks> {
    let wrong = || {
        PyTypeError::new_err(
            "`tasks` takes a number of tasks, a range (step 1) or a list of dicts (one per task)",
        )
    };
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        let n: u64 = value
            .extract()
            .map_err(|_| PyValueError::new_err("`tasks` must be ≥ 0"))?;
        return Ok(Tasks::Range(0..n));
    }
    if let Ok(range) = value.cast::<PyRange>() {
        let (start, stop, step): (i64, i64, i64) = (
            range.getattr("start")?.extract()?,
            range.getattr("stop")?.extract()?,
            range.getattr("step")?.extract()?,
        );
        if step != 1 || start < 0 {
            return Err(PyValueError::new_err(
                "`tasks` takes a range of indices ≥ 0 with step 1",
            ));
        }
        return Ok(Tasks::Range(start as u64..stop.max(start) as u64));
    }
    let list = value.cast::<PyList>().map_err(|_| wrong())?;
    let mut all = Vec::with_capacity(list.len());
    for (at, item) in list.iter().enumerate() {
        let map = item.cast::<PyDict>().map_err(|_| wrong())?;
        let mut params = BTreeMap::new();
        for (key, value) in map.iter() {
            let key: String = key.extract().map_err(|_| wrong())?;
            params.insert(key.clone(), param(&value, at, &key)?);
        }
        all.push(params);
    }
    Ok(Tasks::Params(all))
}

/// A parameter's text, as the task's environment holds it.
fn param(value: &Bound<'_, PyAny>, at: usize, key: &str) -> PyResult<String> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_str()?.to_owned());
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(flag.is_true().to_string());
    }
    if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        return Ok(value.str()?.to_str()?.to_owned());
    }
    Err(PyTypeError::new_err(format!(
        "`tasks[{at}][{key:?}]` must be a str, int, float or bool"
    )))
}

/// The sweep and the provider it went to, shared by both classes.
#[derive(Clone)]
struct Ops {
    provider: Arc<dyn JobProvider>,
    sweep: Arc<gpujobs::sweep::Sweep>,
}

impl Ops {
    async fn status(self) -> PyResult<Py<PyAny>> {
        let status = sweep::sweep_status(self.provider.as_ref(), &self.sweep.name)
            .await
            .or_raise()?;
        Python::attach(|py| Ok(plain(py, &status)?.unbind()))
    }

    async fn wait(self, options: WaitOptions) -> PyResult<Stream> {
        let (_, ends) = sweep::wait_sweep(self.provider.clone(), &self.sweep.name, &options)
            .await
            .or_raise()?;
        Ok(Stream::new(
            ends.map(|(id, end)| Item::Ended(id, end)).boxed(),
        ))
    }

    async fn cancel(self) -> PyResult<Vec<(u64, Py<PyAny>)>> {
        let canceled = sweep::cancel_sweep(self.provider.clone(), &self.sweep.name)
            .await
            .or_raise()?;
        Python::attach(|py| {
            canceled
                .into_iter()
                .map(|(index, outcome)| {
                    let value = match outcome {
                        Ok(outcome) => Py::new(py, CancelResult::new(py, outcome)?)?.into_any(),
                        Err(error) => to_py(py, error).into_value(py).into_any(),
                    };
                    Ok((index, value))
                })
                .collect()
        })
    }

    async fn retry_failed(self) -> PyResult<Py<PyAny>> {
        let report = sweep::retry_failed(self.provider.clone(), &self.sweep, |_| {})
            .await
            .or_raise()?;
        report_dict(report)
    }
}

/// A report as a dict: `present`, `submitted`, `failed`.
fn report_dict(report: SweepReport) -> PyResult<Py<PyAny>> {
    Python::attach(|py| Ok(plain(py, &report)?.unbind()))
}

/// Submits `args` through `provider`: the class of sweep `$class` made from it.
macro_rules! sweep_class {
    ($class:ident, $name:literal, $wait:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "gpujobs", name = $name)]
        pub struct $class {
            ops: Ops,
            report: Py<PyAny>,
        }

        impl $class {
            /// Submits the sweep (only its missing tasks) and keeps what it did.
            pub async fn submit(provider: Arc<dyn JobProvider>, args: SweepArgs) -> PyResult<Self> {
                let report =
                    sweep::submit_sweep(provider.clone(), &args.sweep, &args.options, |_| {})
                        .await
                        .or_raise()?;
                let ops = Ops {
                    provider,
                    sweep: Arc::new(args.sweep),
                };
                Ok(Self {
                    ops,
                    report: report_dict(report)?,
                })
            }
        }

        #[pymethods]
        impl $class {
            /// The sweep's name.
            #[getter]
            fn name(&self) -> &str {
                &self.ops.sweep.name
            }

            /// What the submit did: `{"present": …, "submitted": …, "failed": …}`
            /// (tasks already there, submitted now, whose submit failed — submit again).
            #[getter]
            fn report(&self, py: Python<'_>) -> Py<PyAny> {
                self.report.clone_ref(py)
            }

            /// The tasks counted by status, from the provider's records: `tasks`,
            /// `queued`, `running`, `succeeded`, `failed` (by cause), `canceled`, `unknown`.
            fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                $wait(py, self.ops.clone().status())
            }

            /// Waits for every task (its latest attempt): a `Stream` of
            /// `(id, Job | exception)`, each as a poll sees it end (as `wait_all`).
            #[pyo3(signature = (*, timeout=None, interval=None, max_interval=None))]
            fn wait<'py>(
                &self,
                py: Python<'py>,
                timeout: Option<f64>,
                interval: Option<f64>,
                max_interval: Option<f64>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let options = request::wait_options(timeout, interval, max_interval)?;
                $wait(py, self.ops.clone().wait(options))
            }

            /// Cancels every task not ended (Slurm: one request for the array): a
            /// list of `(index, CancelResult | exception)`.
            fn cancel<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                $wait(py, self.ops.clone().cancel())
            }

            /// Submits again, as a new attempt, each task whose latest attempt
            /// failed (itself exactly once): a report as `report` is.
            fn retry_failed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                $wait(py, self.ops.clone().retry_failed())
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                format!(
                    "{}(name={:?}, provider={:?}, report={})",
                    $name,
                    self.ops.sweep.name,
                    self.ops.provider.kind().as_str(),
                    self.report
                        .bind(py)
                        .repr()
                        .map(|r| r.to_string())
                        .unwrap_or_default(),
                )
            }
        }
    };
}

sweep_class!(
    Sweep,
    "Sweep",
    blocking,
    "A submitted sweep, from `Client.submit_sweep`: its report, and its status, wait, cancel and retry."
);
sweep_class!(
    AsyncSweep,
    "AsyncSweep",
    awaitable,
    "A submitted sweep, from `AsyncClient.submit_sweep`: `Sweep`'s methods, awaitable."
);
