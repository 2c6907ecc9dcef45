//! The client: the generated clients of both families, the API version
//! chosen for this server (asked once, kept for the client's life), and every
//! call gpujobs makes, each in the version spoken. The only place that
//! matches on a version's [`Family`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use gpujobs_runtime::{ClientState, Endpoint, GeneratedClient};

use super::answers::Jobs;
use super::auth::Credentials;
use super::errors::{Reported, check, reported};
use super::version::{ApiVersion, Family, Served};
use super::{KIND, SlurmProvider, v0_0_38, v0_0_42};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::submit::SubmitRequest;

/// Job ids asked for in one `jobs/state` or accounting request: a URL of
/// about 7 KB (`job_id=N&` each), which slurmrestd 24.11 and 26.05 take.
const IDS_PER_REQUEST: usize = 500;

/// Whether the server has accounting: not known yet (0), yes, no.
const SERVED: u8 = 1;
const NOT_SERVED: u8 = 2;

/// How far back an accounting window reaches beyond the one asked: slurmrestd
/// reads its `start_time` as the server's local time, whose offset from UTC
/// the client does not know (never more than 14 h); the answer is filtered to
/// the exact window after.
const WINDOW_MARGIN: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The start of a window over all time (accounting asked without one reads
/// only recent jobs).
const SINCE_EVER: &str = "2000-01-01T00:00:00";

/// The generated clients of every version, and the version chosen for this
/// server (asked once, kept for the client's life).
#[derive(Clone, Debug)]
pub struct SlurmClient {
    v0_0_38: gpujobs_slurm::v0_0_38::Client,
    v0_0_42: gpujobs_slurm::v0_0_42::Client,
    chosen: Arc<tokio::sync::OnceCell<ApiVersion>>,
    /// The version the user pinned.
    pinned: Option<ApiVersion>,
    /// Whether the server serves accounting (`UNKNOWN`, `SERVED`, `NOT_SERVED`).
    accounting: Arc<AtomicU8>,
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
            accounting: Arc::default(),
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
    /// The body of `request` in `version`, its job marked with `comment`;
    /// an array of the tasks `array` names (`0-49%8`), where one is given.
    pub(super) fn new(version: ApiVersion, request: &SubmitRequest, comment: &str, array: Option<&str>) -> Result<Self> {
        Ok(match version.family() {
            Family::V0038 => Self::V0038(v0_0_38::submission(request, comment, array)?),
            Family::DataParser => Self::V0042(v0_0_42::submission(request, comment, array)?),
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
        let accounting = served.accounting.iter().any(|v| v == chosen.as_str());
        self.learned_accounting(accounting);
        Ok(chosen)
    }

    /// One generated call, its refusals explained: which of the user name and
    /// the token slurmrestd took for wrong, where that can be told.
    async fn send<T, E, F>(&self, call: impl Fn() -> F) -> Result<T>
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

    /// Records what the server said of its accounting, once; saying so with
    /// `-v` when it has none.
    fn learned_accounting(&self, served: bool) {
        let state = if served { SERVED } else { NOT_SERVED };
        let was = self.client().accounting.swap(state, Ordering::Relaxed);
        if !served && was != NOT_SERVED {
            tracing::info!(target: "gpujobs", "slurm: no accounting at /slurmdb: ended jobs are known for MinJobAge only");
        }
    }

    /// An accounting answer, or `None` where the server has no accounting
    /// (learned from its `/openapi/v3`, or from the plain-text 404 of a path it
    /// does not serve, then not asked again).
    async fn accounted(&self, ask: impl std::future::Future<Output = Result<Jobs>>) -> Result<Option<Jobs>> {
        if self.client().accounting.load(Ordering::Relaxed) == NOT_SERVED {
            return Ok(None);
        }
        match ask.await {
            Ok(answer) => {
                self.learned_accounting(true);
                Ok(Some(answer))
            }
            // The path is not served: slurmrestd runs without openapi/slurmdbd.
            Err(Error::Config { .. }) => {
                self.learned_accounting(false);
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// One job's record in accounting (an array's id: its tasks), or `None`
    /// without accounting.
    pub(super) async fn fetch_accounted_job(&self, id: &str) -> Result<Option<Jobs>> {
        let (client, version) = (self.client(), self.api_version().await?);
        let ask = async {
            let answer = match version.family() {
                Family::V0038 => Jobs::AccountingV0038(self.send(|| client.v0_0_38.get_accounting_job(id)).await?),
                Family::DataParser => Jobs::AccountingV0042(self.send(|| client.v0_0_42.get_accounting_job(version.as_str(), id)).await?),
            };
            tracing::info!(target: "gpujobs", "slurm: job {} read from accounting (/slurmdb/{version}/job)", crate::text::shorten(id));
            Ok(answer)
        };
        self.accounted(ask).await
    }

    /// The accounting records of `ids` (one request per 500), or `None`
    /// without accounting. v0.0.38 reads the ids as one comma-separated list,
    /// later versions repeated (MEASURED; `specs/slurm/*/overlay.yaml`).
    pub(super) async fn fetch_accounted_jobs(&self, ids: &[String]) -> Result<Option<Vec<Job>>> {
        let (client, version) = (self.client(), self.api_version().await?);
        let mut found = Vec::new();
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            let ask = async {
                Ok(match version.family() {
                    Family::V0038 => {
                        let steps = chunk.join(",");
                        let call = || client.v0_0_38.list_accounting_jobs(None, None, Some(true), None, None, Some(&steps));
                        Jobs::AccountingV0038(self.send(call).await?)
                    }
                    Family::DataParser => {
                        let steps = chunk.to_vec();
                        let call = || client.v0_0_42.list_accounting_jobs(version.as_str(), None, None, Some("true"), None, None, Some(&steps), None);
                        Jobs::AccountingV0042(self.send(call).await?)
                    }
                })
            };
            match self.accounted(ask).await? {
                Some(answer) => found.extend(answer.read()?),
                None => return Ok(None),
            }
        }
        Ok(Some(found))
    }

    /// Every job accounting holds that was running at or after `since` (those
    /// that ended then included), or `None` without accounting.
    pub(super) async fn fetch_accounted_since(&self, since: chrono::DateTime<chrono::Utc>) -> Result<Option<Jobs>> {
        let (client, version) = (self.client(), self.api_version().await?);
        let start = (since - WINDOW_MARGIN).format("%Y-%m-%dT%H:%M:%S").to_string();
        let ask = async {
            Ok(match version.family() {
                Family::V0038 => {
                    let call = || client.v0_0_38.list_accounting_jobs(None, None, Some(true), Some(&start), None, None);
                    Jobs::AccountingV0038(self.send(call).await?)
                }
                Family::DataParser => {
                    let call = || client.v0_0_42.list_accounting_jobs(version.as_str(), None, None, Some("true"), Some(&start), None, None, None);
                    Jobs::AccountingV0042(self.send(call).await?)
                }
            })
        };
        self.accounted(ask).await
    }

    /// Every job named `name` accounting holds (over all time), or `None`
    /// without accounting.
    pub(super) async fn fetch_accounted_named(&self, name: &str) -> Result<Option<Jobs>> {
        let (client, version) = (self.client(), self.api_version().await?);
        let ask = async {
            Ok(match version.family() {
                Family::V0038 => {
                    let call = || client.v0_0_38.list_accounting_jobs(None, Some(name), Some(true), Some(SINCE_EVER), None, None);
                    Jobs::AccountingV0038(self.send(call).await?)
                }
                Family::DataParser => {
                    let call = || client.v0_0_42.list_accounting_jobs(version.as_str(), None, Some(name), Some("true"), Some(SINCE_EVER), None, None, None);
                    Jobs::AccountingV0042(self.send(call).await?)
                }
            })
        };
        self.accounted(ask).await
    }

    /// Brief records (id and state) of those of `ids` slurmctld knows, through
    /// `jobs/state` (v0.0.42 on: slurmrestd 24.11 and later), 500 ids a request.
    ///
    /// Array tasks (`A_I`) are asked by their array's id, one request an
    /// array: slurmctld writes a started task as `<its own job id>_I`, and
    /// asked by a pending task's `A_I` answers every pending task (MEASURED,
    /// tests/payloads/slurm/live/24.11/arrays/), so each entry is named back
    /// by its index within the array asked.
    pub(super) async fn states(&self, ids: &[String]) -> Result<Vec<Job>> {
        let version = self.api_version().await?;
        if !version.states_by_id() {
            return Err(Error::unsupported(KIND, crate::error::Operation::Statuses));
        }
        let (tasks, plain): (Vec<&String>, Vec<&String>) = ids.iter().partition(|id| id.contains('_'));
        let mut arrays: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> = Default::default();
        for task in tasks {
            let (array, index) = task.split_once('_').unwrap_or((task, ""));
            arrays.entry(array).or_default().insert(index);
        }
        let mut brief = Vec::with_capacity(ids.len());
        let plain: Vec<String> = plain.into_iter().cloned().collect();
        for chunk in plain.chunks(IDS_PER_REQUEST) {
            brief.extend(self.state_entries(version, chunk).await?);
        }
        for (array, indices) in arrays {
            for mut job in self.state_entries(version, &[array.to_owned()]).await? {
                let Some((_, index)) = job.id.split_once('_') else { continue };
                if indices.contains(index) {
                    job.id = format!("{array}_{index}");
                    brief.push(job);
                }
            }
        }
        Ok(brief)
    }

    /// One `jobs/state` request for `ids`, its entries as brief records.
    async fn state_entries(&self, version: ApiVersion, ids: &[String]) -> Result<Vec<Job>> {
        let ids = ids.to_vec();
        let answer = self.send(|| self.client().v0_0_42.list_job_states(version.as_str(), Some(&ids))).await?;
        check(answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported))?;
        Ok(answer.jobs.into_iter().filter_map(v0_0_42::to_brief).collect())
    }
}
