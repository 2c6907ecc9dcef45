//! The provider trait and its option and outcome types.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde::Serialize;

use gpujobs_runtime::{REDACTED, SensitiveUrl};

use crate::error::{Error, Operation, Result};
use crate::job::{Job, JobStatus};
use crate::registry::ProviderKind;

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
    };
}

/// What to list.
///
/// ```
/// use gpujobs::{JobStatus, ListOptions};
/// let options = ListOptions::default().status(JobStatus::Running).status(JobStatus::Queued).limit(20);
/// assert_eq!(options.limit, Some(20));
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ListOptions {
    /// Only jobs in one of these statuses (all when empty). Filtered client-side.
    pub statuses: Vec<JobStatus>,
    /// At most this many jobs.
    pub limit: Option<usize>,
    /// Jobs per request, where the provider pages.
    pub page_size: Option<u32>,
    /// At most this many pages (default 10,000); reaching it ends the listing
    /// with [`Error::Paging`].
    pub max_pages: Option<u32>,
}

impl ListOptions {
    /// Adds a status to keep.
    pub fn status(mut self, status: JobStatus) -> Self {
        self.statuses.push(status);
        self
    }

    /// Stops after `limit` jobs.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Asks for `size` jobs per page.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Fetches at most `pages` pages.
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = Some(pages);
        self
    }

    /// Whether `job` passes the status filter.
    pub fn keeps(&self, job: &Job) -> bool {
        self.statuses.is_empty()
            || self
                .statuses
                .iter()
                .any(|s| s.as_str() == job.status.as_str())
    }
}

/// A job to submit. Each provider uses the fields it understands and refuses,
/// with [`Error::InvalidRequest`], a request missing what it needs.
///
/// | field | Ray | openYuanrong | Matpool |
/// |---|---|---|---|
/// | `command` | entrypoint | entrypoint | `cmd` |
/// | `id` | submission_id | submission_id (`app-` is prefixed) | — |
/// | `env` | runtime_env.env_vars | runtime_env.env_vars | `envs` |
/// | `working_dir` | runtime_env.working_dir | runtime_env.working_dir (required) | — |
/// | `image` / `environment` | — | — | `from_image_id` / `from_snapshot_id` (one required) |
/// | `gpu` | — | — | `spec.gpuName` (required) |
/// | `region` | — | — | `agent_domain` (default 0) |
/// | `cpus`, `gpus`, `memory_bytes`, `resources` | entrypoint_* | entrypoint_* | — |
/// | `name` | metadata `name` | metadata `name` | `remark` |
///
/// Slurm: `command` is the batch script's body, `name`, `working_dir`
/// (`current_working_directory`), `env` (`environment`), `partition`,
/// `time_limit` (rounded up to minutes), `output` (`standard_output`), `cpus`
/// (`cpus_per_task`), `gpus` (`gpus`), `memory_bytes` (`memory_per_node`);
/// `id` is kept in the job's `comment` so a repeated submit finds the first.
///
/// `Debug` shows environment variable names but not their values.
///
/// ```
/// use gpujobs::SubmitRequest;
/// let request = SubmitRequest::new("python train.py")
///     .id("train-42")
///     .env("HF_TOKEN", "hf_canary")
///     .metadata("team", "vision");
/// assert!(!format!("{request:?}").contains("hf_canary"));
/// ```
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SubmitRequest {
    /// The command to run.
    pub command: String,
    /// A client-chosen id (where supported): submitting again with the same id does not create a second job.
    pub id: Option<String>,
    /// A display name.
    pub name: Option<String>,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// Metadata labels.
    pub metadata: BTreeMap<String, String>,
    /// A working directory or package URI.
    pub working_dir: Option<String>,
    /// An image id.
    pub image: Option<String>,
    /// A saved environment id.
    pub environment: Option<String>,
    /// A GPU model name.
    pub gpu: Option<String>,
    /// A region id.
    pub region: Option<i64>,
    /// CPUs for the job (Ray: its driver; Slurm: per task).
    pub cpus: Option<f64>,
    /// GPUs for the job (Ray: its driver).
    pub gpus: Option<f64>,
    /// Memory for the job (Ray: its driver; Slurm: per node), in bytes.
    pub memory_bytes: Option<u64>,
    /// Custom resources.
    pub resources: BTreeMap<String, f64>,
    /// A partition (queue) of the cluster (Slurm).
    pub partition: Option<String>,
    /// How long the job may run (Slurm).
    pub time_limit: Option<std::time::Duration>,
    /// Where the job's output goes (Slurm: a path on the cluster; `%j` is the job id).
    pub output: Option<String>,
}

impl SubmitRequest {
    /// A request to run `command`.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            ..Self::default()
        }
    }

    /// Sets the client-chosen id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Adds a metadata label.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Sets the working directory.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Sets the image id.
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }

    /// Sets the saved environment id.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// Sets the GPU model.
    pub fn gpu(mut self, gpu: impl Into<String>) -> Self {
        self.gpu = Some(gpu.into());
        self
    }

    /// Sets the region id.
    pub fn region(mut self, region: i64) -> Self {
        self.region = Some(region);
        self
    }

    /// Sets the CPUs the job asks for (Slurm: whole CPUs per task).
    pub fn cpus(mut self, cpus: f64) -> Self {
        self.cpus = Some(cpus);
        self
    }

    /// Sets the GPUs the job asks for (Slurm: whole GPUs).
    pub fn gpus(mut self, gpus: f64) -> Self {
        self.gpus = Some(gpus);
        self
    }

    /// Sets the memory the job asks for, in bytes.
    pub fn memory_bytes(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(bytes);
        self
    }

    /// Adds a custom resource (Ray).
    pub fn resource(mut self, name: impl Into<String>, amount: f64) -> Self {
        self.resources.insert(name.into(), amount);
        self
    }

    /// Sets the partition.
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// Sets how long the job may run.
    pub fn time_limit(mut self, limit: std::time::Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// Sets where the job's output goes.
    pub fn output(mut self, path: impl Into<String>) -> Self {
        self.output = Some(path.into());
        self
    }
}

impl fmt::Debug for SubmitRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: BTreeMap<&str, &str> = self.env.keys().map(|k| (k.as_str(), REDACTED)).collect();
        f.debug_struct("SubmitRequest")
            .field("command", &self.command)
            .field("id", &self.id)
            .field("name", &self.name)
            .field("env", &env)
            .field("metadata", &self.metadata)
            .field("working_dir", &self.working_dir)
            .field("image", &self.image)
            .field("environment", &self.environment)
            .field("gpu", &self.gpu)
            .field("region", &self.region)
            .field("cpus", &self.cpus)
            .field("gpus", &self.gpus)
            .field("memory_bytes", &self.memory_bytes)
            .field("resources", &self.resources)
            .field("partition", &self.partition)
            .field("time_limit", &self.time_limit)
            .field("output", &self.output)
            .finish()
    }
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
    /// The log's bytes as they come: the text as it is, or the URL fetched —
    /// streamed, at most `limit` bytes (more ends the stream with
    /// [`Error::ResponseTooLarge`]), and never with the provider's credential
    /// (the URL carries its own signature; the request goes to another host).
    ///
    /// ```no_run
    /// # async fn demo(provider: std::sync::Arc<dyn gpujobs::JobProvider>) -> gpujobs::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let logs = provider.logs("job-1").await?;
    /// let bytes: Vec<bytes::Bytes> = logs.read(provider.kind(), 64 << 20).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn read(
        self,
        provider: ProviderKind,
        limit: u64,
    ) -> BoxStream<'static, Result<bytes::Bytes>> {
        match self {
            Self::Text(text) => {
                futures_util::stream::once(std::future::ready(Ok(text.into()))).boxed()
            }
            Self::Url(url) => fetch(provider, url, limit),
        }
    }
}

/// Streams a signed log URL with a client that holds no credential.
fn fetch(
    provider: ProviderKind,
    url: SensitiveUrl,
    limit: u64,
) -> BoxStream<'static, Result<bytes::Bytes>> {
    let transport = move |message: String| Error::Transport {
        provider,
        message,
        source: None,
    };
    let request = async move {
        let client = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .read_timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|_| transport("cannot build an HTTP client for the log".into()))?;
        let response = client
            .get(url.expose())
            .send()
            .await
            .map_err(|_| transport("cannot fetch the log from its URL".into()))?;
        let status = response.status().as_u16();
        if status >= 400 {
            let message = format!("the log URL answered HTTP {status}");
            return Err(Error::from_status(provider, status, message, None, None));
        }
        let mut read = 0u64;
        Ok(response.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(|_| transport("the log download broke off".into()))?;
            read += chunk.len() as u64;
            match read > limit {
                true => Err(Error::ResponseTooLarge { provider, limit }),
                false => Ok(chunk),
            }
        }))
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

    /// What a job prints, as it prints it, until it ends: text in the pieces
    /// the provider sends. The stream ends once the job has ended; if the
    /// provider's stream breaks off before, it ends with an error.
    fn follow_logs(&self, id: &str) -> BoxStream<'static, Result<String>> {
        let _ = id;
        let error = Error::unsupported(self.kind(), Operation::FollowLogs);
        futures_util::stream::once(std::future::ready(Err(error))).boxed()
    }
}

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
