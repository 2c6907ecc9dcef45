//! The sandbox, for tests of Python programs: every provider's wire format
//! on a free loopback port, the same emulation the Rust tests use, with its
//! faults switchable. `gpujobs.testing` wraps it as a context manager.

use std::sync::Mutex;

use gpujobs_sandbox::{Fault, FaultRule, JobSpec, Outcome, SandboxConfig, SlurmRelease, Timing};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::IntoPyResult;
use crate::request::{provider as provider_kind, seconds};
use crate::runtime::block_on;

/// A running sandbox (see `gpujobs.testing.sandbox()`); `close()` stops it.
#[pyclass(frozen, subclass, module = "gpujobs", name = "Sandbox")]
pub struct Sandbox {
    inner: Mutex<Option<gpujobs_sandbox::Sandbox>>,
}

impl Sandbox {
    fn with<T>(&self, f: impl FnOnce(&gpujobs_sandbox::Sandbox) -> T) -> PyResult<T> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let sandbox = guard
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the sandbox is closed"))?;
        Ok(f(sandbox))
    }
}

#[pymethods]
impl Sandbox {
    /// Starts a sandbox on a free loopback port. `pace`: `"fast"` (jobs end in
    /// about 0.3 s) or `"demo"` (about 25 s); `empty`: no sample jobs;
    /// `slurm_release`: `"22.05"`, `"24.11"` or `"26.05"`; `slurm_min_job_age`:
    /// seconds after its end that Slurm forgets a job (then only accounting
    /// knows it); `slurm_accounting`: whether Slurm has accounting.
    #[new]
    #[pyo3(signature = (*, pace="fast", empty=false, seed=None, slurm_release=None,
        slurm_min_job_age=None, slurm_accounting=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        pace: &str,
        empty: bool,
        seed: Option<u64>,
        slurm_release: Option<&str>,
        slurm_min_job_age: Option<f64>,
        slurm_accounting: bool,
    ) -> PyResult<Self> {
        let timing = match pace {
            "fast" => Timing::fast(),
            "demo" => Timing::demo(),
            other => {
                return Err(PyValueError::new_err(format!(
                    "pace is \"fast\" or \"demo\", not {other:?}"
                )));
            }
        };
        let mut config = SandboxConfig::default().timing(timing);
        if empty {
            config = config.empty();
        }
        if let Some(seed) = seed {
            config = config.seed(seed);
        }
        if let Some(age) = slurm_min_job_age {
            config = config.slurm_min_job_age(seconds("slurm_min_job_age", age)?);
        }
        config = config.slurm_accounting(slurm_accounting);
        if let Some(release) = slurm_release {
            let release: SlurmRelease = release
                .parse()
                .map_err(|e: String| PyValueError::new_err(e))?;
            config = config.slurm_release(release);
        }
        let sandbox = block_on(py, gpujobs_sandbox::Sandbox::start(config))?
            .map_err(|e| PyRuntimeError::new_err(format!("the sandbox could not start: {e}")))?;
        Ok(Self {
            inner: Mutex::new(Some(sandbox)),
        })
    }

    /// The base URL of `provider`'s emulation.
    fn url(&self, provider: &str) -> PyResult<String> {
        let kind = provider_kind(provider)?;
        self.with(|s| s.base_url(kind))
    }

    /// The token `provider`'s emulation accepts (`None` where it takes none).
    fn token(&self, provider: &str) -> PyResult<Option<String>> {
        let kind = provider_kind(provider)?;
        self.with(|s| s.token(kind).map(str::to_owned))
    }

    /// A token `provider`'s emulation accepts for `lifespan` seconds, a JWT
    /// with an `exp` (as `scontrol token lifespan=…` makes), refused after.
    fn issue_token(&self, provider: &str, lifespan: f64) -> PyResult<String> {
        let kind = provider_kind(provider)?;
        let lifespan = crate::request::seconds("lifespan", lifespan)?;
        self.with(|s| s.issue_token(kind, lifespan))
    }

    /// The environment variables that point the CLI and `from_env` clients at it.
    fn env<'py>(&self, py: Python<'py>, provider: &str) -> PyResult<Bound<'py, PyDict>> {
        let kind = provider_kind(provider)?;
        let dict = PyDict::new(py);
        for (name, value) in self.with(|s| s.env(kind))? {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    /// Adds a job as if it had been submitted `age` seconds ago; its id.
    #[pyo3(signature = (provider, command, *, name=None, fail=false, age=0.0))]
    fn add_job(
        &self,
        provider: &str,
        command: &str,
        name: Option<String>,
        fail: bool,
        age: f64,
    ) -> PyResult<String> {
        let kind = provider_kind(provider)?;
        let mut spec = JobSpec::new(command).age(seconds("age", age)?);
        if let Some(name) = name {
            spec = spec.name(name);
        }
        if fail {
            spec = spec.outcome(Outcome::Fail { exit_code: 1 });
        }
        self.with(|s| s.add_job(kind, spec))?.or_raise()
    }

    /// Switches a fault on (see `fault`'s names), for one provider, job or
    /// HTTP method if given, `times` times if given (else until cleared).
    #[pyo3(signature = (fault_name, *, provider=None, job=None, method=None, times=None))]
    fn inject(
        &self,
        fault_name: &str,
        provider: Option<&str>,
        job: Option<String>,
        method: Option<&str>,
        times: Option<u32>,
    ) -> PyResult<()> {
        let fault: Fault = fault_name.parse().map_err(PyValueError::new_err)?;
        let mut rule = FaultRule::new(fault);
        if let Some(name) = provider {
            rule = rule.provider(provider_kind(name)?);
        }
        if let Some(job) = job {
            rule = rule.job(job);
        }
        if let Some(method) = method {
            rule = rule.method(method);
        }
        if let Some(times) = times {
            rule = rule.times(times);
        }
        self.with(|s| s.inject(rule))
    }

    /// Switches every fault off.
    fn clear_faults(&self) -> PyResult<()> {
        self.with(|s| s.clear_faults())
    }

    /// The requests it answered so far: `(method, path)` of each, oldest first.
    fn requests(&self) -> PyResult<Vec<(String, String)>> {
        self.with(|s| {
            s.requests()
                .into_iter()
                .map(|r| (r.method, r.path))
                .collect()
        })
    }

    /// The package Ray's emulation holds under `uri` (`gcs://_ray_pkg_….zip`):
    /// a working directory as a client uploaded it, or `None`.
    fn ray_package<'py>(
        &self,
        py: Python<'py>,
        uri: &str,
    ) -> PyResult<Option<Bound<'py, pyo3::types::PyBytes>>> {
        let bytes = self.with(|s| s.ray_package(uri))?;
        Ok(bytes.map(|b| pyo3::types::PyBytes::new(py, &b)))
    }

    /// Stops it (also when it is dropped).
    fn close(&self) {
        let sandbox = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(sandbox);
    }

    fn __repr__(&self) -> String {
        match self.with(|s| s.addr()) {
            Ok(addr) => format!("Sandbox(http://{addr})"),
            Err(_) => "Sandbox(closed)".to_owned(),
        }
    }
}
