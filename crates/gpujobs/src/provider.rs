//! The provider trait and its option and outcome types.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;

use gpujobs_runtime::SensitiveUrl;

use crate::error::{Error, Operation, Result};
use crate::job::Job;
use crate::paging::ListOptions;
use crate::registry::ProviderKind;
use crate::submit::SubmitRequest;
use crate::sweep::{Sweep, SweepTask, listed_tasks};

/// What a provider supports, to consult before calling (unsupported calls
/// return [`Error::Unsupported`], never a panic or a silent no-op).
///
/// Fields are named for what a program asks: an operation's name (`get`,
/// `submit`) says it is supported; anything else says how it behaves. New
/// capabilities are added as fields that default to `false`, so outside
/// gpujobs a value starts from [`Default`]:
///
/// ```
/// use gpujobs::Capabilities;
/// let mut caps = Capabilities::default();
/// caps.get = true;
/// assert!(caps.get && !caps.submit);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Capabilities {
    /// `get` a job by id.
    pub get: bool,
    /// `list` jobs.
    pub list: bool,
    /// The provider pages its list (otherwise one answer holds every job).
    pub server_paging: bool,
    /// `cancel` a job.
    pub cancel: bool,
    /// A cancel is finished by the provider later (the job passes through `canceling`).
    pub async_cancel: bool,
    /// A job that failed is reported as failed (Matpool reports every ended job as completed).
    pub reports_failure: bool,
    /// `submit` a job.
    pub submit: bool,
    /// `submit` accepts a client-chosen id, which makes a repeated submit safe.
    pub client_chosen_id: bool,
    /// A submit whose answer was lost is recognised when it is repeated, so a
    /// repeated submit never makes two jobs (through a client-chosen id, or a
    /// token the client leaves on the job).
    pub idempotent_submit: bool,
    /// `logs` of a job.
    pub logs: bool,
    /// `follow_logs`: what a job prints, as it prints it, until it ends.
    pub follow_logs: bool,
    /// `statuses`: the statuses of many jobs, asked for by id, in a few
    /// requests (Slurm's `jobs/state`, from slurmrestd 24.11).
    pub statuses: bool,
    /// `records`: the whole records of many jobs, asked for by id, in a few
    /// requests, ended ones included however long ago they ended (Slurm's
    /// accounting, where the server has it: asked, not assumed).
    pub records: bool,
    /// `sweeps`: submits a sweep exactly once (a task's id is derived from
    /// its index, and the provider makes no second job for an id it has).
    pub sweeps: bool,
    /// `arrays`: a sweep is one native array, submitted and canceled in one
    /// request, its `%N` limit kept by the scheduler (Slurm).
    pub arrays: bool,
}

impl Capabilities {
    /// Nothing supported (what [`Default`] gives; a `const` for descriptors).
    pub const NONE: Capabilities = Capabilities {
        get: false,
        list: false,
        server_paging: false,
        cancel: false,
        async_cancel: false,
        reports_failure: false,
        submit: false,
        client_chosen_id: false,
        idempotent_submit: false,
        logs: false,
        follow_logs: false,
        statuses: false,
        records: false,
        sweeps: false,
        arrays: false,
    };

    /// Get, list and cancel: what every provider built in does; a descriptor
    /// adds the rest (`Capabilities { submit: true, ..Capabilities::GET_LIST_CANCEL }`).
    pub const GET_LIST_CANCEL: Capabilities = Capabilities {
        get: true,
        list: true,
        cancel: true,
        ..Capabilities::NONE
    };
}

/// What a cancel did. Canceling a job that already ended is not an error.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum CancelOutcome {
    /// The job was stopped; it is read back in its final state.
    Stopped(Job),
    /// The provider accepted the cancel and finishes it later (TensorPool,
    /// Matpool): the job is read back, typically `canceling`. `wait` for the end.
    Accepted(Job),
    /// The job had already ended; nothing was changed. Its final state.
    AlreadyEnded(Job),
}

impl CancelOutcome {
    /// The job as read back.
    pub fn job(&self) -> &Job {
        match self {
            Self::Stopped(job) | Self::Accepted(job) | Self::AlreadyEnded(job) => job,
        }
    }
}

/// A job's logs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Logs {
    /// The log text so far.
    Text(String),
    /// Where the log can be fetched (credentials in it are redacted when shown).
    Url(SensitiveUrl),
}

impl Logs {
    /// The log's text, where the provider gave it as text (a URL is read with
    /// [`JobProvider::read_logs`]).
    ///
    /// ```
    /// let logs = gpujobs::Logs::Text("epoch 1\n".into());
    /// assert_eq!(logs.text(), Some("epoch 1\n"));
    /// ```
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Url(_) => None,
        }
    }
}

/// How a log URL is fetched: through which client, within which limits.
#[derive(Clone, Debug)]
pub(crate) struct LogFetch {
    pub provider: ProviderKind,
    /// A client with the provider's settings but not its credential (the URL
    /// carries its own signature; the request goes to another host).
    pub client: reqwest::Client,
    /// The whole download's limit.
    pub within: std::time::Duration,
    /// The most bytes read.
    pub limit: u64,
}

impl LogFetch {
    /// The log's bytes as they come: the text as it is, or the URL fetched,
    /// streamed, at most `limit` bytes (more ends the stream with
    /// [`Error::ResponseTooLarge`]) and within `within` in all.
    pub(crate) fn read(self, logs: Logs) -> BoxStream<'static, Result<bytes::Bytes>> {
        match logs {
            Logs::Text(text) => {
                futures_util::stream::once(std::future::ready(Ok(text.into()))).boxed()
            }
            Logs::Url(url) => self.fetch(url),
        }
    }

    fn fetch(self, url: SensitiveUrl) -> BoxStream<'static, Result<bytes::Bytes>> {
        let LogFetch {
            provider,
            client,
            within,
            limit,
        } = self;
        let deadline = tokio::time::Instant::now() + within;
        let transport = move |message: String| Error::Transport {
            provider,
            message,
            source: None,
        };
        let timed_out = move || Error::Timeout {
            provider,
            scope: crate::error::TimeoutScope::Operation,
            after: within,
            last_job: None,
        };
        let request = async move {
            let sent = tokio::time::timeout_at(deadline, client.get(url.expose()).send()).await;
            let response = sent
                .map_err(|_| timed_out())?
                .map_err(|_| transport("cannot fetch the log from its URL".into()))?;
            let status = response.status().as_u16();
            if status >= 400 {
                let message = format!("the log URL answered HTTP {status}");
                return Err(Error::from_status(provider, status, message, None, None));
            }
            let mut read = 0u64;
            let chunks = response.bytes_stream().map(move |chunk| {
                let chunk = chunk.map_err(|_| transport("the log download broke off".into()))?;
                read += chunk.len() as u64;
                match read > limit {
                    true => Err(Error::ResponseTooLarge { provider, limit }),
                    false => Ok(chunk),
                }
            });
            // The whole download ends by the deadline, however slowly the body comes.
            let bounded =
                futures_util::stream::unfold(chunks.boxed(), move |mut chunks| async move {
                    match tokio::time::timeout_at(deadline, chunks.next()).await {
                        Ok(next) => next.map(|item| (item, chunks)),
                        Err(_) => Some((Err(timed_out()), chunks)),
                    }
                });
            Ok(bounded)
        };
        futures_util::stream::once(request)
            .flat_map(|started| match started {
                Ok(chunks) => chunks.boxed(),
                Err(e) => futures_util::stream::once(std::future::ready(Err(e))).boxed(),
            })
            .scan(false, |failed, item| {
                // Nothing after the first error.
                let ended = *failed;
                *failed |= item.is_err();
                std::future::ready((!ended).then_some(item))
            })
            .boxed()
    }
}

/// One provider of GPU jobs. Object safe: `Arc<dyn JobProvider>` works everywhere.
///
/// Job ids are sent percent-encoded as one path segment; an id that could not
/// be (empty, `.`, `..`, or holding `\` or control characters) is refused
/// with [`Error::InvalidRequest`] before anything is sent.
#[async_trait]
pub trait JobProvider: Send + Sync + fmt::Debug {
    /// Which provider this is.
    fn kind(&self) -> ProviderKind;

    /// What it supports.
    fn capabilities(&self) -> Capabilities;

    /// One job.
    async fn get(&self, id: &str) -> Result<Job>;

    /// The provider's jobs page by page, lazily, as it answers them (no
    /// filter, no limit: [`list`](JobProvider::list) applies those). Each
    /// job appears once; a provider that pages in circles ends the stream
    /// with [`Error::Paging`].
    fn pages(&self, options: &ListOptions) -> BoxStream<'static, Result<Vec<Job>>>;

    /// Jobs, lazily, through the provider's paging, filtered and limited by
    /// `options`. The stream owns what it needs, so it can be moved into a
    /// spawned task.
    fn list(&self, options: ListOptions) -> BoxStream<'static, Result<Job>> {
        crate::paging::filter_and_limit(self.pages(&options), options)
    }

    /// A handle on this provider that can outlive `self` (providers share their
    /// state, so this is cheap): what `watch` and `list` streams hold.
    fn shared(&self) -> Arc<dyn JobProvider>;

    /// Brief records of those of `ids` the provider knows — each job's id,
    /// status and the provider's own status, nothing else — in a few requests
    /// for all of them; a job the provider does not know is left out.
    /// [`wait_all`](crate::JobProviderExt::wait_all) polls through this where
    /// [`Capabilities::statuses`] says it is there, and gets each job's whole
    /// record once it has ended.
    async fn statuses(&self, ids: &[String]) -> Result<Vec<Job>> {
        let _ = ids;
        Err(Error::unsupported(self.kind(), Operation::Statuses))
    }

    /// Whole records of those of `ids` the provider knows, in a few requests
    /// for all of them, a job the provider does not know left out: what
    /// [`wait_all`](crate::JobProviderExt::wait_all) reads ended jobs through
    /// where [`Capabilities::records`] says it may (Slurm's accounting, for
    /// jobs slurmctld has forgotten too).
    async fn records(&self, ids: &[String]) -> Result<Vec<Job>> {
        let _ = ids;
        Err(Error::unsupported(self.kind(), Operation::Records))
    }

    /// The tasks of sweep `name` the provider has, every attempt (see
    /// [`crate::sweep`]): by default, the jobs listed whose ids are the
    /// sweep's task ids (`<sweep>-<index>[-r<attempt>]`).
    fn sweep_tasks(&self, name: &str) -> BoxStream<'static, Result<SweepTask>> {
        listed_tasks(self.list(ListOptions::default()), name)
    }

    /// Submits tasks `indices` of `sweep` (attempt `attempt`) as one native
    /// array where the provider has them (Slurm): the tasks made; `None`
    /// where it has none (a submit each is made instead).
    async fn submit_array(
        &self,
        sweep: &Sweep,
        indices: &[u64],
        attempt: u32,
    ) -> Result<Option<Vec<SweepTask>>> {
        let _ = (sweep, indices, attempt);
        Ok(None)
    }

    /// Cancels `tasks` of a sweep, each native array they are in with one
    /// request, where the provider has arrays: each task's outcome; `None`
    /// where it has none (a cancel each is made instead).
    async fn cancel_array(
        &self,
        tasks: &[SweepTask],
    ) -> Result<Option<Vec<(u64, Result<CancelOutcome>)>>> {
        let _ = tasks;
        Ok(None)
    }

    /// Cancels a job (see [`CancelOutcome`]).
    async fn cancel(&self, id: &str) -> Result<CancelOutcome>;

    /// Submits a job and returns it as first read back.
    async fn submit(&self, request: &SubmitRequest) -> Result<Job> {
        let _ = request;
        Err(Error::unsupported(self.kind(), Operation::Submit))
    }

    /// A job's logs.
    async fn logs(&self, id: &str) -> Result<Logs> {
        let _ = id;
        Err(Error::unsupported(self.kind(), Operation::Logs))
    }

    /// The bytes of `logs` as they come: the text as it is, or its URL fetched
    /// without the provider's credential (the URL carries its own signature),
    /// at most `limit` bytes (more ends the stream with
    /// [`Error::ResponseTooLarge`]). A built-in provider fetches through its
    /// configured HTTP client (proxy, TLS, time limits), within its operation
    /// time limit; this default, for providers written elsewhere, through a
    /// client of its own, within two minutes.
    ///
    /// ```no_run
    /// # async fn demo(provider: std::sync::Arc<dyn gpujobs::JobProvider>) -> gpujobs::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let logs = provider.logs("job-1").await?;
    /// let bytes: Vec<bytes::Bytes> = provider.read_logs(logs, 64 << 20).try_collect().await?;
    /// # Ok(()) }
    /// ```
    fn read_logs(&self, logs: Logs, limit: u64) -> BoxStream<'static, Result<bytes::Bytes>> {
        let fetch = LogFetch {
            provider: self.kind(),
            client: reqwest::Client::new(),
            within: std::time::Duration::from_secs(120),
            limit,
        };
        fetch.read(logs)
    }

    /// A job's log as it is now, in the pieces it comes in:
    /// [`logs`](Self::logs), then [`read_logs`](Self::read_logs) within `limit`
    /// bytes (what every front end shows; [`DEFAULT_LOG_LIMIT`] is theirs).
    fn log_bytes(&self, id: &str, limit: u64) -> BoxStream<'static, Result<bytes::Bytes>> {
        let (provider, id) = (self.shared(), id.to_owned());
        futures_util::stream::once(async move {
            let logs = provider.logs(&id).await?;
            Ok(provider.read_logs(logs, limit))
        })
        .try_flatten()
        .boxed()
    }

    /// A job's log as it is now, as text (what is not UTF-8 replaced), at
    /// most `limit` bytes.
    ///
    /// ```no_run
    /// # async fn demo(provider: std::sync::Arc<dyn gpujobs::JobProvider>) -> gpujobs::Result<()> {
    /// let text = provider.log_text("job-1", gpujobs::DEFAULT_LOG_LIMIT).await?;
    /// # Ok(()) }
    /// ```
    async fn log_text(&self, id: &str, limit: u64) -> Result<String> {
        let chunks: Vec<bytes::Bytes> = self.log_bytes(id, limit).try_collect().await?;
        Ok(String::from_utf8_lossy(&chunks.concat()).into_owned())
    }

    /// What a job prints, as it prints it, until it ends: text in the pieces
    /// the provider sends. The stream ends once the job has ended; if the
    /// provider's stream breaks off before, it ends with an error.
    fn follow_logs(&self, id: &str) -> BoxStream<'static, Result<String>> {
        let _ = id;
        let error = Error::unsupported(self.kind(), Operation::FollowLogs);
        futures_util::stream::once(std::future::ready(Err(error))).boxed()
    }
}

/// The most of a job's log the CLI and Python read when not told otherwise.
pub const DEFAULT_LOG_LIMIT: u64 = 64 << 20;

/// Refuses ids that cannot be sent as one path segment.
pub(crate) fn check_id(provider: ProviderKind, id: &str) -> Result<()> {
    let bad =
        id.is_empty() || id == "." || id == ".." || id.chars().any(|c| c == '\\' || c.is_control());
    match bad {
        true => Err(Error::invalid(
            provider,
            format!("`{}` is not a valid job id", id.escape_debug()),
        )),
        false => Ok(()),
    }
}
