//! gpujobs for Python: the `gpujobs._gpujobs` extension module, which the
//! `gpujobs` package (`python/gpujobs`) re-exports. Built with maturin
//! (`pip install ./crates/gpujobs-py`); tested from Python (`tests/`).
//!
//! Read bottom-up: `runtime` (the one tokio runtime; blocking and awaitable
//! calls), `models` (`Job`), `errors` (exceptions), `request` (settings, submit
//! requests and wait polling from Python values), `streams` (iterators),
//! `sweeps` (`Sweep`, `AsyncSweep`), `client` (`Client`, `AsyncClient`),
//! `sandbox`.

mod client;
mod credential;
mod errors;
mod models;
mod request;
mod runtime;
mod sandbox;
mod streams;
mod sweeps;

use pyo3::prelude::*;

/// The extension module.
#[pymodule(gil_used = false)]
fn _gpujobs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::Client>()?;
    m.add_class::<client::AsyncClient>()?;
    m.add_class::<client::RayClient>()?;
    m.add_class::<client::AsyncRayClient>()?;
    m.add_class::<models::Job>()?;
    m.add_class::<models::SensitiveUrl>()?;
    m.add_class::<models::CancelResult>()?;
    m.add_class::<streams::Stream>()?;
    m.add_class::<sweeps::Sweep>()?;
    m.add_class::<sweeps::AsyncSweep>()?;
    m.add_class::<sandbox::Sandbox>()?;
    m.add_function(wrap_pyfunction!(client::providers, m)?)?;
    m.add_function(wrap_pyfunction!(client::_constructors, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
