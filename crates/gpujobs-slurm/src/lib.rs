//! Generated clients for **Slurm's REST API** (slurmrestd), one module per
//! generated spec in `specs/slurm/`:
//!
//! - [`v0_0_38`]: API v0.0.38 as Slurm 22.05 serves it (the old hand-written
//!   plugins, served by 22.05 to 23.11): jobs, nodes, partitions,
//!   reservations, ping, diag.
//! - [`v0_0_42`]: the job endpoints of API v0.0.42 as Slurm 26.05 serves them,
//!   with the version a parameter of every call: the same client speaks every
//!   data_parser version from v0.0.40 to v0.0.45 (Slurm 23.11 to 26.05), whose
//!   job endpoints differ only in fields gpujobs does not use (see
//!   `ARCHITECTURE.md`). Its types are v0.0.42's.
//!
//! The code in each `generated.rs` is produced by `cargo xtask regen` from
//! `specs/slurm/<version>/` (the spec as slurmrestd serves it, plus our
//! overlay; `SOURCE.md` there says how it was obtained and what the overlay
//! changes). Which version a server serves is in its `/openapi/v3`; the
//! `gpujobs` facade asks once and chooses for you.
//!
//! Requests carry `X-SLURM-USER-TOKEN` (what `scontrol token` prints) and,
//! for Slurm 22.05, `X-SLURM-USER-NAME`; set them as the HTTP client's
//! default headers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut headers = reqwest::header::HeaderMap::new();
//! let mut token: reqwest::header::HeaderValue = std::env::var("SLURM_JWT")?.parse()?;
//! token.set_sensitive(true);
//! headers.insert("x-slurm-user-token", token);
//! let http = reqwest::Client::builder().default_headers(headers).build()?;
//! let slurm = gpujobs_slurm::v0_0_42::new_client("http://127.0.0.1:6820", http);
//! let jobs = slurm.list_jobs("v0.0.44", None, None).await?.into_inner();
//! println!("{} jobs", jobs.jobs.map_or(0, |jobs| jobs.0.len()));
//! # Ok(()) }
//! ```

/// API v0.0.38, as Slurm 22.05 serves it.
pub mod v0_0_38 {
    gpujobs_runtime::generated_client!("slurm");
}

/// The job endpoints of API v0.0.42, with the version a parameter: v0.0.40 to v0.0.45.
pub mod v0_0_42 {
    gpujobs_runtime::generated_client!("slurm");
}

/// A job's record, in the shape of the API version it came in, from slurmctld
/// (a job it still knows) or from accounting (slurmdbd: every job, ended ones
/// long after slurmctld forgot them).
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "a record lives boxed where it is kept"
)]
pub enum JobRecord {
    /// As API v0.0.38 sends it (Slurm 22.05 to 23.11).
    V0038(v0_0_38::types::V0038JobResponseProperties),
    /// As the data_parser versions v0.0.40 to v0.0.45 send it (Slurm 23.11 on).
    V0042(v0_0_42::types::V0042JobInfo),
    /// Accounting's record, as API v0.0.38 sends it (dbv0.0.38, Slurm 22.05 to 23.11).
    AccountingV0038(v0_0_38::types::Dbv0038Job),
    /// Accounting's record, as the data_parser versions send it.
    AccountingV0042(v0_0_42::types::V0042Job),
}
