//! # gpujobs
//!
//! One typed, dependable way to drive GPU jobs on several clouds and clusters:
//! **PPIO**, **openYuanrong**, **Ray**, **Matpool**, **TensorPool** and
//! **Slurm** (slurmrestd).
//!
//! Every provider is a [`JobProvider`]: `get`, `list` (a lazy stream over the
//! provider's paging), `cancel`, `submit` and `logs`, with
//! [`capabilities`](JobProvider::capabilities) saying up front what it
//! supports. [`JobProviderExt`] adds `wait`, `submit_and_wait` and `watch`.
//! Every answer is a [`Job`] with one [`JobStatus`]; every failure is one
//! [`Error`] whose kind a program can act on.
//!
//! Underneath, each provider is a client generated from its OpenAPI spec
//! (`gpujobs-ray`, …), and every request runs through `gpujobs-runtime`:
//! retries with backoff that honour `Retry-After` (a job-creating POST is
//! never blindly repeated), per-attempt and per-operation time limits, and
//! `tracing` spans that never hold bodies or credentials.
//!
//! ```no_run
//! use gpujobs::prelude::*;
//! use futures_util::TryStreamExt;
//!
//! # async fn demo() -> Result<(), gpujobs::Error> {
//! // RAY_API_SERVER_ADDRESS, or http://127.0.0.1:8265
//! let ray = gpujobs::ray::RayProvider::from_env()?;
//! let job = ray.submit(&SubmitRequest::new("python -c 'print(42)'")).await?;
//! let done = ray.wait(&job.id, &WaitOptions::default()).await?;
//! println!("{} ended {}", done.id, done.status);
//!
//! let running: Vec<Job> = ray
//!     .list(ListOptions::default().status(JobStatus::Running).limit(10))
//!     .try_collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Each provider is a cargo feature (all on by default), as is `rustls` for HTTPS.

// Built with no provider at all, `ProviderKind` has no values and code after it is unreachable.
#![cfg_attr(
    not(feature = "any-provider"),
    allow(
        unreachable_code,
        unused_variables,
        unused_mut,
        unused_assignments,
        dead_code
    )
)]

#[macro_use]
mod registry_macro;

mod config;
#[cfg(feature = "contexts")]
pub mod contexts;
mod credential;
mod descriptor;
mod error;
mod field;
mod job;
mod options;
mod outcome;
mod paging;
mod provider;
mod providers;
mod registry;
mod submit;
pub mod sweep;
mod text;
mod time;
pub mod units;
mod wait;

pub use config::{BuildProvider, Overrides, ProviderBuilder, ProviderConfig};
pub use credential::{Credential, CredentialError, CredentialProvider, TokenCommand};
pub use descriptor::{Descriptor, EnvVars, StatusTable};
pub use error::{Error, ErrorKind, Operation, PagingGuard, Result, TimeoutScope};
pub use field::{Field, SubmitField};
pub use gpujobs_runtime::{RetryPolicy, Secret, SensitiveUrl, reveal};
pub use job::{ArrayTask, Job, JobStatus, UnknownStatus};
pub use options::{
    OptionFlag, OptionKey, OptionKind, OptionValue, OptionValues, SettingFlag, SettingValues,
};
pub use outcome::{Cause, Usage};
pub use paging::{DEFAULT_MAX_PAGES, ListOptions, Page, pages as guarded_pages};
pub use provider::{CancelOutcome, Capabilities, DEFAULT_LOG_LIMIT, JobProvider, Logs};
pub use submit::{SubmitFields, SubmitOptions, SubmitRequest, shell_quote};
// `Api`, `Provider`, `connect`, `from_env` and every provider module the registry declares.
pub use providers::{Api, Provider, connect, from_env};
// The provider modules, each behind its feature, from the one list (`registry_macro.rs`).
each_provider!(provider_reexports);
pub use registry::{ProviderJob, ProviderKind, UnknownProvider};
pub use text::{is_terminal_control, terminal_safe, terminal_safe_lines};
pub use wait::{Ended, JobProviderExt, WaitOptions};

/// What most programs need: `use gpujobs::prelude::*;`.
pub mod prelude {
    pub use crate::{
        BuildProvider, CancelOutcome, Error, Job, JobProvider, JobProviderExt, JobStatus,
        ListOptions, Logs, ProviderKind, SubmitRequest, WaitOptions,
    };
}
