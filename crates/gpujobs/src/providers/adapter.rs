//! The adapter shell: what a provider module says about its API ([`Api`]),
//! and [`Provider<A>`], which wraps that in everything the providers have in
//! common — configuration, time limits, error mapping, paging guards, the
//! submit checks and the cancel protocol — so no provider repeats it.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use gpujobs_runtime::{ClientState, GeneratedClient};
use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;

use super::http::{Answers, Ctx, ErrorBody, answer_error, malformed, plain_message};
use super::protocols::cancel_via;
use crate::config::{BuildProvider, ProviderBuilder, ProviderConfig};
use crate::credential::Refresher;
use crate::descriptor::{ApiFns, Descriptor};
use crate::error::{Error, Operation, Result};
use crate::job::Job;
use crate::options::{OptionValues, check_settings};
use crate::paging::ListOptions;
use crate::paging::{self, Page};
use crate::provider::{CancelOutcome, Capabilities, JobProvider, Logs, check_id};
use crate::registry::ProviderKind;
use crate::submit::{SharedOptions, SubmitRequest};
use crate::sweep::{Sweep, SweepTask, listed_tasks};

/// Keeps [`Api`] to gpujobs' own provider modules.
pub(crate) mod sealed {
    pub trait Sealed {}
}

/// What a provider module says about its API; [`Provider`] does the rest.
///
/// Implemented by each provider module's marker type (`RayApi`, …) and sealed:
/// a provider written outside gpujobs implements [`JobProvider`] instead (see
/// the `examples/custom-provider` crate).
#[async_trait]
pub trait Api: sealed::Sealed + Send + Sync + Sized + 'static {
    /// What the provider answers for one job (a generated type).
    type JobAnswer: DeserializeOwned + Send;
    /// What the provider answers for one page of jobs (a generated type).
    type PageAnswer: DeserializeOwned + Send;
    /// What addresses one page of the job list, its default the first page
    /// (`()` where one answer holds every job).
    type Cursor: Hash + Default + Send + 'static;
    /// The generated client.
    type Client: GeneratedClient;
    /// The provider's descriptor.
    const DESCRIPTOR: &'static Descriptor;

    /// Asks for one job (the id is already checked).
    async fn fetch_job(p: &Provider<Self>, id: &str) -> Result<Self::JobAnswer>;

    /// Asks for the page at `cursor`, of `size` jobs where the provider pages.
    async fn fetch_page(
        p: &Provider<Self>,
        cursor: &Self::Cursor,
        size: Option<u32>,
    ) -> Result<Self::PageAnswer>;

    /// Reads a job answer (`id`: the id asked for). Pure, so it is fuzzed.
    fn read_job(answer: Self::JobAnswer, id: &str) -> Result<Job>;

    /// Reads a page answer: its jobs and the cursor of the next page. Pure, so it is fuzzed.
    fn read_page(answer: Self::PageAnswer, cursor: Self::Cursor) -> Result<Page<Self::Cursor>>;

    /// Asks the provider to stop a job; `false` if it said it did not.
    async fn stop(p: &Provider<Self>, id: &str) -> Result<bool>;

    /// Brief records of those of `ids` the provider knows (see
    /// [`JobProvider::statuses`]; the ids are not checked: they go in a query).
    async fn statuses(p: &Provider<Self>, ids: &[String]) -> Result<Vec<Job>> {
        let _ = ids;
        Err(Error::unsupported(p.kind(), Operation::Statuses))
    }

    /// Whole records of those of `ids` the provider knows (see
    /// [`JobProvider::records`]; the ids are not checked: they go in a query).
    async fn records(p: &Provider<Self>, ids: &[String]) -> Result<Vec<Job>> {
        let _ = ids;
        Err(Error::unsupported(p.kind(), Operation::Records))
    }

    /// Where a listing starts (default: the first page; a provider that lists
    /// ended jobs apart, as Slurm's accounting, reads the options' window).
    fn first_cursor(options: &ListOptions) -> Self::Cursor {
        let _ = options;
        Self::Cursor::default()
    }

    /// Submits a job.
    async fn submit(p: &Provider<Self>, request: &SubmitRequest) -> Result<Job> {
        let _ = request;
        Err(Error::unsupported(p.kind(), Operation::Submit))
    }

    /// Every task of sweep `name` its native arrays hold, every attempt
    /// (asked where the descriptor says `arrays`).
    async fn array_tasks(p: &Provider<Self>, name: &str) -> Result<Vec<SweepTask>> {
        let _ = name;
        Err(Error::unsupported(p.kind(), Operation::Sweep))
    }

    /// Submits tasks `indices` of `sweep` (attempt `attempt`) as one native
    /// array (asked where the descriptor says `arrays`).
    async fn submit_array(
        p: &Provider<Self>,
        sweep: &Sweep,
        indices: &[u64],
        attempt: u32,
    ) -> Result<Vec<SweepTask>> {
        let _ = (sweep, indices, attempt);
        Err(Error::unsupported(p.kind(), Operation::Sweep))
    }

    /// Cancels `tasks`, each array they are in once (asked where the
    /// descriptor says `arrays`).
    async fn cancel_arrays(
        p: &Provider<Self>,
        tasks: &[SweepTask],
    ) -> Result<Vec<(u64, Result<CancelOutcome>)>> {
        let _ = tasks;
        Err(Error::unsupported(p.kind(), Operation::Sweep))
    }

    /// The provider's own submit options from values given for its
    /// `Descriptor::options` (default: it has none, and none may be given).
    fn options_from(values: &OptionValues) -> Result<Option<SharedOptions>> {
        match values.keys().next() {
            None => Ok(None),
            Some(name) => Err(Error::invalid(
                Self::DESCRIPTOR.kind,
                format!("{} has no option `{name}`", Self::DESCRIPTOR.kind),
            )),
        }
    }

    /// A job's logs (the id is already checked).
    async fn logs(p: &Provider<Self>, id: &str) -> Result<Logs> {
        let _ = id;
        Err(Error::unsupported(p.kind(), Operation::Logs))
    }

    /// What a job prints until it ends (the id is already checked).
    fn follow_logs(p: &Provider<Self>, id: &str) -> BoxStream<'static, Result<String>> {
        let _ = id;
        let error = Error::unsupported(p.kind(), Operation::FollowLogs);
        futures_util::stream::once(std::future::ready(Err(error))).boxed()
    }

    /// The generated client for `base_url`, sending through `http` under
    /// `state` (default: the generated client as it is; a provider that keeps
    /// more, as Slurm its API version, builds its own from `config`).
    fn client(
        config: &ProviderConfig,
        base_url: &str,
        http: reqwest::Client,
        state: ClientState,
    ) -> Result<Self::Client> {
        let _ = config;
        Ok(Self::Client::with_state(base_url, http, state))
    }

    /// The headers that carry the credential (default: `Authorization: Bearer`).
    fn auth_headers(config: &ProviderConfig) -> Result<reqwest::header::HeaderMap> {
        match &config.credential {
            None => Ok(reqwest::header::HeaderMap::new()),
            Some(credential) => gpujobs_runtime::bearer_headers(credential)
                .map_err(|e| Error::config(config.kind, e.to_string())),
        }
    }

    /// The error for an error answer, where the provider's body says more than
    /// its status (default: none, the status decides).
    fn answer_error(status: u16, body: &str) -> Option<Error> {
        let _ = (status, body);
        None
    }

    /// The human message in an error answer's body.
    fn error_message(body: &str) -> String {
        plain_message(body)
    }
}

/// A provider: the generated client of an [`Api`], with the shared behaviour.
/// `gpujobs::ray::RayProvider` is `Provider<RayApi>`, and so on. Cloning is
/// cheap (the state is shared).
pub struct Provider<A: Api> {
    inner: Arc<Inner<A>>,
}

struct Inner<A: Api> {
    client: A::Client,
    ctx: Ctx,
}

impl<A: Api> Clone for Provider<A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<A: Api> fmt::Debug for Provider<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("kind", &A::DESCRIPTOR.kind)
            .field("client", &self.inner.client)
            .field("ctx", &self.inner.ctx)
            .finish()
    }
}

impl<A: Api> Provider<A> {
    /// A builder with the defaults (no trait to import).
    pub fn builder() -> ProviderBuilder<Self> {
        <Self as BuildProvider>::builder()
    }

    /// Built from the process environment (see [`Descriptor::env`]).
    pub fn from_env() -> Result<Self> {
        <Self as BuildProvider>::from_env()
    }

    /// Built from `config`.
    pub fn from_config(config: ProviderConfig) -> Result<Self> {
        if config.kind != A::DESCRIPTOR.kind {
            return Err(Error::config(
                A::DESCRIPTOR.kind,
                format!(
                    "this is {}'s configuration (`ProviderConfig::new({:?})`), not {}'s",
                    config.kind,
                    config.kind,
                    A::DESCRIPTOR.kind
                ),
            ));
        }
        check_settings(A::DESCRIPTOR.kind, A::DESCRIPTOR.settings, &config.settings)?;
        let state = A::Client::client_state();
        let answers = Answers::of::<A>();
        let (headers, refresher) = auth::<A>(&config)?;
        let (ctx, base_url, http, state) = Ctx::build(&config, state, answers, headers, refresher)?;
        let client = A::client(&config, &base_url, http, state)?;
        Ok(Self {
            inner: Arc::new(Inner { client, ctx }),
        })
    }

    /// The generated client, for everything the facade does not cover.
    pub fn client(&self) -> &A::Client {
        &self.inner.client
    }

    /// What the adapter keeps besides its generated client.
    pub(crate) fn ctx(&self) -> &Ctx {
        &self.inner.ctx
    }

    /// Runs one generated call under the operation time limit and maps its error.
    pub(crate) async fn call<T, E: ErrorBody, F>(&self, call: impl Fn() -> F) -> Result<T>
    where
        F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    {
        self.inner.ctx.call(call).await
    }
}

/// The headers every request sends, and where a credential from a source
/// ([`ProviderConfig::credential_source`]) is kept fresh and sent from.
fn auth<A: Api>(
    config: &ProviderConfig,
) -> Result<(reqwest::header::HeaderMap, Option<Refresher>)> {
    let Some(source) = config.credential_source.clone() else {
        return Ok((A::auth_headers(config)?, None));
    };
    let mut without = config.clone();
    without.credential = None;
    let headers = A::auth_headers(&without)?;
    let headers_of = Box::new(move |secret: &gpujobs_runtime::Secret| {
        let mut with = without.clone();
        with.credential = Some(secret.clone());
        A::auth_headers(&with)
    });
    Ok((
        headers,
        Some(Refresher::new(
            config.kind,
            source,
            headers_of,
            config.clock.clone(),
        )),
    ))
}

impl<A: Api> BuildProvider for Provider<A> {
    const KIND: ProviderKind = A::DESCRIPTOR.kind;

    fn from_config(config: ProviderConfig) -> Result<Self> {
        Provider::from_config(config)
    }
}

impl ApiFns {
    /// The functions of `A`.
    pub(crate) const fn of<A: Api>() -> Self {
        Self {
            connect: |config| Ok(Arc::new(Provider::<A>::from_config(config)?)),
            decode_job: |bytes| A::read_job(decode::<A, _>(bytes)?, "").map(finish),
            decode_page: |bytes| {
                Ok(A::read_page(decode::<A, _>(bytes)?, A::Cursor::default())?
                    .0
                    .into_iter()
                    .map(finish)
                    .collect())
            },
            decode_error: |status, bytes| {
                let body = String::from_utf8_lossy(bytes);
                answer_error(A::DESCRIPTOR.kind, status, &body, Answers::of::<A>(), None)
            },
            options_from: A::options_from,
        }
    }
}

/// An answer's bytes as a generated type, or the error the client reports for them.
fn decode<A: Api, T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| malformed(A::DESCRIPTOR.kind, bytes, e))
}

#[async_trait]
impl<A: Api> JobProvider for Provider<A> {
    fn kind(&self) -> ProviderKind {
        A::DESCRIPTOR.kind
    }

    fn capabilities(&self) -> Capabilities {
        A::DESCRIPTOR.capabilities
    }

    async fn get(&self, id: &str) -> Result<Job> {
        check_id(self.kind(), id)?;
        A::read_job(A::fetch_job(self, id).await?, id).map(finish)
    }

    fn pages(&self, options: &ListOptions) -> BoxStream<'static, Result<Vec<Job>>> {
        let this = self.clone();
        let size = options.page_size;
        paging::pages(
            self.kind(),
            A::first_cursor(options),
            options.max_pages,
            move |cursor| {
                let this = this.clone();
                async move {
                    let (jobs, next) =
                        A::read_page(A::fetch_page(&this, &cursor, size).await?, cursor)?;
                    Ok((jobs.into_iter().map(finish).collect(), next))
                }
            },
        )
    }

    async fn statuses(&self, ids: &[String]) -> Result<Vec<Job>> {
        A::statuses(self, ids).await
    }

    async fn records(&self, ids: &[String]) -> Result<Vec<Job>> {
        Ok(A::records(self, ids)
            .await?
            .into_iter()
            .map(finish)
            .collect())
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome> {
        check_id(self.kind(), id)?;
        cancel_via(self, id, A::stop(self, id)).await
    }

    async fn submit(&self, request: &SubmitRequest) -> Result<Job> {
        if !A::DESCRIPTOR.capabilities.submit {
            return Err(Error::unsupported(self.kind(), Operation::Submit));
        }
        request.check_for(self.kind(), A::DESCRIPTOR.submit)?;
        A::submit(self, request).await
    }

    async fn logs(&self, id: &str) -> Result<Logs> {
        check_id(self.kind(), id)?;
        A::logs(self, id).await
    }

    fn sweep_tasks(&self, name: &str) -> BoxStream<'static, Result<SweepTask>> {
        if !A::DESCRIPTOR.capabilities.arrays {
            return listed_tasks(self.list(ListOptions::default()), name);
        }
        let (this, name) = (self.clone(), name.to_owned());
        futures_util::stream::once(async move { A::array_tasks(&this, &name).await })
            .map(|found| match found {
                Ok(tasks) => futures_util::stream::iter(tasks.into_iter().map(Ok)).boxed(),
                Err(e) => futures_util::stream::once(std::future::ready(Err(e))).boxed(),
            })
            .flatten()
            .boxed()
    }

    async fn submit_array(
        &self,
        sweep: &Sweep,
        indices: &[u64],
        attempt: u32,
    ) -> Result<Option<Vec<SweepTask>>> {
        match A::DESCRIPTOR.capabilities.arrays {
            true => A::submit_array(self, sweep, indices, attempt)
                .await
                .map(Some),
            false => Ok(None),
        }
    }

    async fn cancel_array(
        &self,
        tasks: &[SweepTask],
    ) -> Result<Option<Vec<(u64, Result<CancelOutcome>)>>> {
        match A::DESCRIPTOR.capabilities.arrays {
            true => A::cancel_arrays(self, tasks).await.map(Some),
            false => Ok(None),
        }
    }

    fn read_logs(&self, logs: Logs, limit: u64) -> BoxStream<'static, Result<bytes::Bytes>> {
        let ctx = self.ctx();
        let client = match ctx.unauthenticated() {
            Ok(client) => client,
            Err(e) => return futures_util::stream::once(std::future::ready(Err(e))).boxed(),
        };
        let fetch = crate::provider::LogFetch {
            provider: ctx.kind,
            client,
            within: ctx.operation_timeout,
            limit,
        };
        fetch.read(logs)
    }

    fn follow_logs(&self, id: &str) -> BoxStream<'static, Result<String>> {
        match check_id(self.kind(), id) {
            Ok(()) => A::follow_logs(self, id),
            Err(e) => futures_util::stream::once(std::future::ready(Err(e))).boxed(),
        }
    }

    fn shared(&self) -> Arc<dyn JobProvider> {
        Arc::new(self.clone())
    }
}

/// What every provider's job has once read: a cause when it ended without
/// succeeding (`Unknown` where the provider's table says none), and how long
/// it ran where its start and end are known and the provider did not say.
pub(super) fn finish(mut job: Job) -> Job {
    if job.cause.is_none() {
        job = job.with_cause(None, &[]);
    }
    if let (Some(started), Some(finished), true) =
        (job.started_at, job.finished_at, job.status.is_terminal())
    {
        let ran = (finished - started).to_std().ok();
        let usage = job.usage.get_or_insert_with(Default::default);
        usage.elapsed = usage.elapsed.or(ran);
    }
    job
}

impl Answers {
    fn of<A: Api>() -> Self {
        Self {
            message: A::error_message,
            error: A::answer_error,
            is_final: is_final::<A>,
        }
    }
}

/// A 5xx whose body the provider's own error format reads as a failure that
/// will not pass (an unknown job, refused credentials) is not retried.
fn is_final<A: Api>(status: u16, body: &[u8]) -> bool {
    let error = std::str::from_utf8(body)
        .ok()
        .and_then(|body| A::answer_error(status, body));
    error.is_some_and(|error| !error.is_retryable())
}
