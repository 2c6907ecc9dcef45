//! Slurm's REST API (slurmrestd), every release from 22.05 to 26.05.
//!
//! slurmrestd serves its API in versions, each release a few (22.05:
//! v0.0.36–38; 24.11: v0.0.40–42; 26.05: v0.0.42–45). A client asks the
//! server once, in its `/openapi/v3`, which it serves, and speaks the newest
//! one gpujobs knows ([`version`]) for the rest of its life, unless the user
//! pinned one ([`SlurmSettings::api_version`], `SLURMRESTD_API_VERSION`). Two
//! generated clients speak them: v0.0.38 (`gpujobs_slurm::v0_0_38`) and the
//! data_parser versions v0.0.40 to v0.0.45 (`gpujobs_slurm::v0_0_42`, the
//! version a parameter of each call).
//!
//! The module reads bottom-up: [`version`] and `states` (leaves), `settings`
//! and `auth` (how it is reached), `errors` (what Slurm says went wrong),
//! `record` (a record of either version as a [`Job`]), `body` (what every
//! version's submit says alike), `v0_0_38` and `v0_0_42` (each family's
//! record and submit body), `answers` (an answer of either), `client` (the
//! version chosen and every call), `submit` (a submit that never makes two
//! jobs), `array` (a sweep as one native array), and here the descriptor
//! and `impl Api`.
//!
//! Slurm has no client-chosen job id: a submit carries a token in the job's
//! `comment` and is found by it again. The REST API has no endpoint for a
//! job's output (it is in the file `standard_output` names, on the cluster):
//! `logs` is unsupported.

mod answers;
mod array;
mod auth;
mod body;
mod client;
mod errors;
mod options;
mod record;
mod settings;
mod states;
mod submit;
mod v0_0_38;
mod v0_0_42;
pub mod version;

pub use self::answers::{Jobs, Listing};
pub use self::client::SlurmClient;
pub use self::options::SlurmOptions;
pub use self::record::Record;
pub use self::settings::SlurmSettings;

use async_trait::async_trait;
use gpujobs_runtime::{ClientState, GeneratedClient};

use super::{Api, Provider};
use crate::config::ProviderConfig;
use crate::descriptor::{ApiFns, Descriptor, EnvVars, StatusTable};
use crate::error::{Error, Result};
use crate::field::SubmitField::{Cpus, Env, Gpus, Id, MemoryBytes, Name, WorkingDir};
use crate::job::Job;
use crate::options::OptionValues;
use crate::paging::{Page, only_page};
use crate::provider::{CancelOutcome, Capabilities};
use crate::sweep::{Sweep, SweepTask};
use crate::registry::ProviderKind;
use crate::submit::{SharedOptions, SubmitFields, SubmitRequest};

const KIND: ProviderKind = ProviderKind::Slurm;

/// Slurm through slurmrestd (`SLURMRESTD_URL`, `SLURM_JWT`, `SLURM_USER_NAME`,
/// `SLURMRESTD_API_VERSION`).
pub type SlurmProvider = Provider<SlurmApi>;

/// Slurm's API, as [`Provider`] uses it.
#[derive(Debug)]
pub enum SlurmApi {}

impl super::sealed::Sealed for SlurmApi {}

/// What gpujobs knows about Slurm.
pub static DESCRIPTOR: Descriptor = Descriptor {
    kind: KIND,
    name: "slurm",
    title: "Slurm REST API (slurmrestd)",
    env: EnvVars::new(Some("SLURM_JWT"), "SLURMRESTD_URL", None),
    capabilities: Capabilities {
        reports_failure: true,
        submit: true,
        idempotent_submit: true,
        statuses: true,
        records: true,
        sweeps: true,
        arrays: true,
        ..Capabilities::GET_LIST_CANCEL
    },
    submit: SubmitFields::of(&[Id, Name, Env, WorkingDir, Cpus, Gpus, MemoryBytes]),
    options: &options::OPTIONS,
    settings: &settings::SETTINGS,
    statuses: StatusTable::new(&states::STATUSES, false),
    notes: &[
        "Slurm 22.05 to 26.05: the API version is the newest the server serves and gpujobs speaks (v0.0.38, v0.0.40 to v0.0.45), asked once; pin one with SLURMRESTD_API_VERSION",
        "a submit is the batch script's body; a token in the job's comment keeps a repeated submit from making two jobs",
        "no logs endpoint: the output is in the job's standard_output file on the cluster",
        "SPECIAL_EXIT (requeued and held after a failure) is unknown, not an end",
    ],
    api: ApiFns::of::<SlurmApi>(),
};

#[async_trait]
impl Api for SlurmApi {
    type JobAnswer = Jobs;
    type PageAnswer = Listing;
    /// The window over ended jobs asked for: one page holds every job.
    type Cursor = Option<chrono::DateTime<chrono::Utc>>;
    type Client = SlurmClient;
    const DESCRIPTOR: &'static Descriptor = &DESCRIPTOR;

    fn client(config: &ProviderConfig, base_url: &str, http: reqwest::Client, state: ClientState) -> Result<SlurmClient> {
        let settings = SlurmSettings::from_values(&config.settings)?;
        let credentials = auth::Credentials::of(config, &settings);
        Ok(SlurmClient::with_state(base_url, http, state).with(settings.api_version, credentials))
    }

    fn options_from(values: &OptionValues) -> Result<Option<SharedOptions>> {
        options::options_from(values)
    }

    fn auth_headers(config: &ProviderConfig) -> Result<reqwest::header::HeaderMap> {
        auth::headers(config)
    }

    fn answer_error(status: u16, body: &str) -> Option<Error> {
        errors::answer_error(status, body)
    }

    /// slurmctld's record; once slurmctld has forgotten the job (`MinJobAge`
    /// after it ended), accounting's, where the server has it. An array's
    /// task (`1234_7`) is asked by its array's id: both answer with every task
    /// of an array asked by its id (MEASURED, 22.05 to 26.05).
    async fn fetch_job(p: &SlurmProvider, id: &str) -> Result<Jobs> {
        let asked = id.split_once('_').map_or(id, |(array, _)| array);
        let forgotten = match p.fetch_job(asked).await {
            // slurmctld may hold an array whose task `id` it has forgotten.
            Ok(answer) if !id.contains('_') || answer.holds(id) => return Ok(answer),
            Ok(_) => Error::not_found(KIND, format!("no job {}", crate::text::shorten(id))),
            Err(forgotten @ Error::NotFound { .. }) => forgotten,
            Err(error) => return Err(error),
        };
        // Accounting's answer where it knows the job; else slurmctld's own words.
        match p.fetch_accounted_job(asked).await? {
            Some(accounted) if accounted.holds(id) => Ok(accounted),
            _ => Err(forgotten),
        }
    }

    async fn fetch_page(p: &SlurmProvider, since: &Self::Cursor, _: Option<u32>) -> Result<Listing> {
        let jobs = p.fetch_all().await?;
        let accounted = match since {
            Some(since) => p.fetch_accounted_since(*since).await?,
            None => None,
        };
        Ok(Listing::new(jobs, accounted))
    }

    fn first_cursor(options: &crate::paging::ListOptions) -> Self::Cursor {
        options.ended_since
    }

    fn read_job(answer: Jobs, id: &str) -> Result<Job> {
        let found = answer.read_one(id)?;
        found.ok_or_else(|| Error::not_found(KIND, format!("no job {id}")))
    }

    fn read_page(answer: Listing, _: Self::Cursor) -> Result<Page<Self::Cursor>> {
        let (jobs, _) = only_page(answer.read()?, |job| job)?;
        Ok((jobs, None))
    }

    /// From accounting, where the server has it: one request per 500 ids.
    async fn records(p: &SlurmProvider, ids: &[String]) -> Result<Vec<Job>> {
        let found = p.fetch_accounted_jobs(ids).await?;
        found.ok_or_else(|| Error::unsupported(KIND, crate::error::Operation::Records))
    }

    async fn statuses(p: &SlurmProvider, ids: &[String]) -> Result<Vec<Job>> {
        p.states(ids).await
    }

    async fn stop(p: &SlurmProvider, id: &str) -> Result<bool> {
        p.stop_job(id).await.map(|()| true)
    }

    async fn submit(p: &SlurmProvider, request: &SubmitRequest) -> Result<Job> {
        submit::submit(p, request).await
    }

    async fn array_tasks(p: &SlurmProvider, name: &str) -> Result<Vec<SweepTask>> {
        array::array_tasks(p, name).await
    }

    async fn submit_array(p: &SlurmProvider, sweep: &Sweep, indices: &[u64], attempt: u32) -> Result<Vec<SweepTask>> {
        array::submit_array(p, sweep, indices, attempt).await
    }

    async fn cancel_arrays(p: &SlurmProvider, tasks: &[SweepTask]) -> Result<Vec<(u64, Result<CancelOutcome>)>> {
        array::cancel_arrays(p, tasks).await
    }
}

/// A submit with every field people set, for the versions' body tests.
#[cfg(test)]
fn sample_request() -> SubmitRequest {
    let options = SlurmOptions::default()
        .partition("gpu")
        .output("/scratch/%j.out")
        .time_limit(std::time::Duration::from_secs(90));
    let mut request = SubmitRequest::new("python train.py")
        .name("train")
        .working_dir("/scratch")
        .env("EPOCHS", "3")
        .options(options);
    request.gpus = Some(2.0);
    request.cpus = Some(4.0);
    request
}
