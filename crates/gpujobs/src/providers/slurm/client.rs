//! The client: the generated clients of both families, the API version
//! chosen for this server (asked once, kept for the client's life), and every
//! call gpujobs makes, each in the version spoken. The only place that
//! matches on a version's [`Family`].

use std::sync::Arc;

use gpujobs_runtime::{ClientState, Endpoint, GeneratedClient};

use super::answers::Jobs;
use super::auth::Credentials;
use super::errors::{Reported, check, reported};
use super::version::{ApiVersion, Family, Served};
use super::{KIND, SlurmProvider, v0_0_38, v0_0_42};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::submit::SubmitRequest;

/// Job ids asked for in one `jobs/state` request: a URL of about 7 KB
/// (`job_id=N&` each), which slurmrestd 24.11 and 26.05 take.
const STATES_PER_REQUEST: usize = 500;

/// The generated clients of every version, and the version chosen for this
/// server (asked once, kept for the client's life).
#[derive(Clone, Debug)]
pub struct SlurmClient {
    v0_0_38: gpujobs_slurm::v0_0_38::Client,
    v0_0_42: gpujobs_slurm::v0_0_42::Client,
    chosen: Arc<tokio::sync::OnceCell<ApiVersion>>,
    /// The version the user pinned.
    pinned: Option<ApiVersion>,
    credentials: Arc<Credentials>,
}

impl SlurmClient {
    /// The client of API v0.0.38 (Slurm 22.05 to 23.11).
    pub fn v0_0_38(&self) -> &gpujobs_slurm::v0_0_38::Client {
        &self.v0_0_38
    }

    /// The client of the data_parser versions v0.0.40 to v0.0.45 (Slurm 23.11 on).
    pub fn v0_0_42(&self) -> &gpujobs_slurm::v0_0_42::Client {
        &self.v0_0_42
    }

    /// The version this client speaks, once it has asked the server (or was pinned).
    pub fn api_version(&self) -> Option<ApiVersion> {
        self.pinned.or_else(|| self.chosen.get().copied())
    }

    /// The same client, speaking `pinned` where given, explaining refusals with `credentials`.
    pub(super) fn with(mut self, pinned: Option<ApiVersion>, credentials: Credentials) -> Self {
        self.pinned = pinned;
        self.credentials = Arc::new(credentials);
        self
    }
}

impl GeneratedClient for SlurmClient {
    const PROVIDER: &'static str = gpujobs_slurm::v0_0_42::PROVIDER;

    /// The state both clients share; each adds its own endpoints (the two name
    /// their operations alike, and traces name each request's own path).
    fn client_state() -> ClientState {
        ClientState::new(Self::PROVIDER)
    }

    fn with_state(base_url: &str, http: reqwest::Client, state: ClientState) -> Self {
        let v0_0_38 = state.clone().with_endpoints(gpujobs_slurm::v0_0_38::ENDPOINTS);
        let v0_0_42 = state.with_endpoints(gpujobs_slurm::v0_0_42::ENDPOINTS);
        Self {
            v0_0_38: gpujobs_slurm::v0_0_38::Client::with_state(base_url, http.clone(), v0_0_38),
            v0_0_42: gpujobs_slurm::v0_0_42::Client::with_state(base_url, http, v0_0_42),
            chosen: Arc::default(),
            pinned: None,
            credentials: Arc::default(),
        }
    }

    fn endpoints() -> Vec<Endpoint> {
        let mut all = gpujobs_slurm::v0_0_38::Client::endpoints();
        all.extend(gpujobs_slurm::v0_0_42::Client::endpoints());
        all
    }
}

/// A submit's body, in the version it is sent in: built once, so building
/// it is the check that the request can be sent at all.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "one body is built once, where it is sent")]
pub(super) enum SubmitBody {
    V0038(gpujobs_slurm::v0_0_38::types::V0038JobSubmission),
    V0042(gpujobs_slurm::v0_0_42::types::V0042JobSubmitReq),
}

impl SubmitBody {
    /// The body of `request` in `version`, its job marked with `comment`.
    pub(super) fn new(version: ApiVersion, request: &SubmitRequest, comment: &str) -> Result<Self> {
        Ok(match version.family() {
            Family::V0038 => Self::V0038(v0_0_38::submission(request, comment)?),
            Family::DataParser => Self::V0042(v0_0_42::submission(request, comment)?),
        })
    }
}

impl SlurmProvider {
    /// The API version to speak: the one pinned, or the newest this server
    /// serves that gpujobs speaks, asked once in the client's life.
    pub async fn api_version(&self) -> Result<ApiVersion> {
        if let Some(pinned) = self.client().pinned {
            return Ok(pinned);
        }
        let version = self.client().chosen.get_or_try_init(|| self.choose_version()).await?;
        Ok(*version)
    }

    async fn choose_version(&self) -> Result<ApiVersion> {
        let stream = self.send(|| self.client().v0_0_38.get_openapi_v3()).await?;
        let bytes: Vec<bytes::Bytes> = futures_util::TryStreamExt::try_collect(stream.into_inner())
            .await
            .map_err(|e| Error::Transport {
                provider: KIND,
                message: "the OpenAPI document was cut short".into(),
                source: Some(Box::new(e.without_url())),
            })?;
        let served = Served::read(&bytes.concat())
            .map_err(|e| Error::bad_answer(KIND, format!("its /openapi/v3 could not be read: {e}")))?;
        let release = served.release.clone().unwrap_or_else(|| "a slurmrestd".into());
        let chosen = served.choose().ok_or_else(|| {
            let serves = match served.versions.is_empty() {
                true => "no job API".to_owned(),
                false => served.versions.join(", "),
            };
            Error::config(
                KIND,
                format!(
                    "{} ({release}) serves {serves}; gpujobs speaks {}",
                    gpujobs_runtime::SensitiveUrl::new(&self.ctx().base_url),
                    ApiVersion::spoken()
                ),
            )
        })?;
        tracing::info!(target: "gpujobs", release = %release, served = %served.versions.join(","), "slurm: speaking API {chosen}");
        Ok(chosen)
    }

    /// One generated call, its refusals explained: which of the user name and
    /// the token slurmrestd took for wrong, where that can be told.
    async fn send<T, E, F>(&self, call: impl FnOnce() -> F) -> Result<T>
    where
        E: super::super::ErrorBody,
        F: std::future::Future<Output = std::result::Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>>,
    {
        self.call(call).await.map_err(|error| self.client().credentials.explain(error))
    }

    /// One job's answer.
    pub(super) async fn fetch_job(&self, id: &str) -> Result<Jobs> {
        let (client, version) = (self.client(), self.api_version().await?);
        Ok(match version.family() {
            Family::V0038 => Jobs::V0038(self.send(|| client.v0_0_38.get_job(id)).await?),
            Family::DataParser => Jobs::V0042(self.send(|| client.v0_0_42.get_job(version.as_str(), id, None, None)).await?),
        })
    }

    /// Every job slurmctld knows.
    pub(super) async fn fetch_all(&self) -> Result<Jobs> {
        let (client, version) = (self.client(), self.api_version().await?);
        Ok(match version.family() {
            Family::V0038 => Jobs::V0038(self.send(|| client.v0_0_38.list_jobs(None)).await?),
            Family::DataParser => Jobs::V0042(self.send(|| client.v0_0_42.list_jobs(version.as_str(), None, None)).await?),
        })
    }

    /// Signals a job to stop.
    pub(super) async fn stop_job(&self, id: &str) -> Result<()> {
        let (client, version) = (self.client(), self.api_version().await?);
        let errors: Vec<Reported> = match version.family() {
            Family::V0038 => self.send(|| client.v0_0_38.cancel_job(id, None)).await?.errors.iter().map(v0_0_38::reported).collect(),
            Family::DataParser => {
                let answer = self.send(|| client.v0_0_42.cancel_job(version.as_str(), id, None, None)).await?;
                answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported).collect()
            }
        };
        check(errors)
    }

    /// Sends a submit once: the job's id, or the error.
    pub(super) async fn submit_body(&self, body: &SubmitBody) -> Result<String> {
        let client = self.client();
        let (id, errors): (Option<i64>, Vec<Reported>) = match body {
            SubmitBody::V0038(body) => {
                let answer = self.send(|| client.v0_0_38.submit_job(body)).await?;
                (answer.job_id, answer.errors.iter().map(v0_0_38::reported).collect())
            }
            SubmitBody::V0042(body) => {
                let version = self.api_version().await?;
                let answer = self.send(|| client.v0_0_42.submit_job(version.as_str(), body)).await?;
                (answer.job_id, answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported).collect())
            }
        };
        // A held submit answers with an error entry (2042) and still a job id.
        id.map(|id| id.to_string())
            .ok_or_else(|| reported(&errors).unwrap_or_else(|| Error::bad_answer(KIND, "the submit's answer holds no job id")))
    }

    /// Brief records (id and state) of those of `ids` slurmctld knows, through
    /// `jobs/state` (v0.0.42 on: slurmrestd 24.11 and later), 500 ids a request.
    pub(super) async fn states(&self, ids: &[String]) -> Result<Vec<Job>> {
        let version = self.api_version().await?;
        if !version.states_by_id() {
            return Err(Error::unsupported(KIND, crate::error::Operation::Statuses));
        }
        let mut brief = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(STATES_PER_REQUEST) {
            let chunk = chunk.to_vec();
            let answer = self.send(|| self.client().v0_0_42.list_job_states(version.as_str(), Some(&chunk))).await?;
            check(answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported))?;
            brief.extend(answer.jobs.into_iter().filter_map(v0_0_42::to_brief));
        }
        Ok(brief)
    }
}
