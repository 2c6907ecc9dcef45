//! Lazy listing over a provider's pages: the guard against paging loops, and
//! the client-side filter and limit (applied once, here, for every provider).

use std::collections::HashSet;
use std::future::Future;
use std::hash::{Hash, Hasher};

use futures_util::stream::{self, BoxStream, StreamExt};

use crate::error::{Error, PagingGuard, Result};
use crate::job::{Job, JobStatus};
use crate::registry::ProviderKind;

/// One page of jobs and the cursor of the next (`None`: this was the last).
pub type Page<C> = (Vec<Job>, Option<C>);

/// The one page of a provider whose list answer holds every job (its
/// `Cursor` is `()`): its records as jobs, and no next page.
///
/// The records are converted from the last, their vector shrunk as it
/// empties, so an answer of 10,000 records is not held twice over while it
/// becomes jobs (for `wait_all`, it is most of its peak memory).
pub(crate) fn only_page<T>(
    mut records: Vec<T>,
    mut to_job: impl FnMut(T) -> Job,
) -> Result<Page<()>> {
    let mut jobs = Vec::with_capacity(records.len());
    while let Some(record) = records.pop() {
        jobs.push(to_job(record));
        if records.len() < records.capacity() / 2 {
            records.shrink_to_fit();
        }
    }
    jobs.reverse();
    Ok((jobs, None))
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
    /// Jobs that have not ended, and jobs that ended at or after this time:
    /// a window over ended jobs. Slurm reads it from accounting too, where
    /// the server has it (slurmctld forgets ended jobs after `MinJobAge`);
    /// other providers' listings hold their ended jobs, filtered here.
    pub ended_since: Option<chrono::DateTime<chrono::Utc>>,
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

    /// Lists ended jobs only if they ended at or after `since` (see [`ListOptions::ended_since`]).
    pub fn ended_since(mut self, since: chrono::DateTime<chrono::Utc>) -> Self {
        self.ended_since = Some(since);
        self
    }

    /// Fetches at most `pages` pages.
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = Some(pages);
        self
    }

    /// Whether `job` passes the status filter and the window over ended
    /// jobs (an ended job whose end is not known is kept).
    pub fn keeps(&self, job: &Job) -> bool {
        let status = self.statuses.is_empty()
            || self
                .statuses
                .iter()
                .any(|s| s.as_str() == job.status.as_str());
        let recent = match (self.ended_since, job.finished_at) {
            (Some(since), Some(ended)) if job.status.is_terminal() => ended >= since,
            _ => true,
        };
        status && recent
    }
}

/// Pages fetched per listing when [`ListOptions::max_pages`] is not set.
pub const DEFAULT_MAX_PAGES: u32 = 10_000;

/// Streams pages of jobs: `fetch(cursor)` is called for the first page with
/// `first` and then with each returned cursor, lazily, as the stream is read.
///
/// A provider's paging is not trusted: a job already listed is not listed
/// again, and the listing ends with [`Error::Paging`] (after the jobs it did
/// list) on a cursor sent twice, a page sent twice, a page that promises more
/// but adds no new job, or after `options.max_pages` pages — so a lying or
/// looping provider can neither page forever nor repeat jobs.
///
/// What every built-in provider lists through; a provider written outside
/// gpujobs gets the same guards by listing through it too (re-exported as
/// `gpujobs::guarded_pages`).
pub fn pages<C, F, Fut>(
    kind: ProviderKind,
    first: C,
    max_pages: Option<u32>,
    fetch: F,
) -> BoxStream<'static, Result<Vec<Job>>>
where
    C: Hash + Send + 'static,
    F: Fn(C) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<C>>> + Send + 'static,
{
    struct State<C, F> {
        next: Option<C>,
        fetch: F,
        guard: Guard,
    }
    let state = State {
        next: Some(first),
        fetch,
        guard: Guard::new(kind, max_pages.unwrap_or(DEFAULT_MAX_PAGES)),
    };
    stream::unfold(state, |mut state| async move {
        let cursor = state.next.take()?;
        if let Err(stop) = state.guard.before(&cursor) {
            return Some((vec![Err(stop)], state));
        }
        match (state.fetch)(cursor).await {
            Ok((jobs, next)) => {
                let (new, stop) = state.guard.after(jobs, next.is_some());
                state.next = next.filter(|_| stop.is_none());
                Some((
                    std::iter::once(Ok(new)).chain(stop.map(Err)).collect(),
                    state,
                ))
            }
            Err(e) => Some((vec![Err(e)], state)),
        }
    })
    .flat_map(stream::iter)
    .boxed()
}

/// Jobs from `pages`, those `options` keep, at most `options.limit`; no page
/// is fetched once the limit is reached.
pub(crate) fn filter_and_limit(
    pages: BoxStream<'static, Result<Vec<Job>>>,
    options: ListOptions,
) -> BoxStream<'static, Result<Job>> {
    let limit = options.limit.unwrap_or(usize::MAX);
    pages
        .flat_map(|page| {
            let jobs: Vec<Result<Job>> = match page {
                Ok(jobs) => jobs.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            stream::iter(jobs)
        })
        .filter(move |job| std::future::ready(job.as_ref().map_or(true, |j| options.keeps(j))))
        .take(limit)
        .boxed()
}

/// What a listing has seen, to stop a provider that pages in circles.
///
/// Ids, cursors and pages are remembered as 64-bit hashes (100,000 jobs take
/// about 2 MB), so listing a large account stays small.
struct Guard {
    kind: ProviderKind,
    max_pages: u32,
    fetched: u32,
    cursors: HashSet<u64>,
    pages: HashSet<u64>,
    ids: HashSet<u64>,
}

impl Guard {
    fn new(kind: ProviderKind, max_pages: u32) -> Self {
        Self {
            kind,
            max_pages,
            fetched: 0,
            cursors: HashSet::new(),
            pages: HashSet::new(),
            ids: HashSet::new(),
        }
    }

    fn stop(&self, guard: PagingGuard) -> Error {
        Error::Paging {
            provider: self.kind,
            guard,
            pages: self.fetched,
        }
    }

    /// Before fetching the page at `cursor`.
    fn before(&mut self, cursor: &impl Hash) -> Result<()> {
        if self.fetched >= self.max_pages {
            return Err(self.stop(PagingGuard::PageLimit(self.max_pages)));
        }
        if !self.cursors.insert(hash(cursor)) {
            return Err(self.stop(PagingGuard::RepeatedCursor));
        }
        Ok(())
    }

    /// After a page: the jobs not listed before, and why to stop, if paging went wrong.
    fn after(&mut self, jobs: Vec<Job>, more: bool) -> (Vec<Job>, Option<Error>) {
        self.fetched += 1;
        let page = hash(&jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>());
        let repeated = !jobs.is_empty() && !self.pages.insert(page);
        let new: Vec<Job> = jobs
            .into_iter()
            .filter(|j| self.ids.insert(hash(&j.id)))
            .collect();
        let stop = match (repeated, new.is_empty() && more) {
            (true, _) => Some(self.stop(PagingGuard::RepeatedPage)),
            (false, true) => Some(self.stop(PagingGuard::NoNewJobs)),
            (false, false) => None,
        };
        (new, stop)
    }
}

fn hash(value: &impl Hash) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use futures_util::TryStreamExt;

    use super::*;
    use crate::job::JobStatus;
    use crate::registry::ProviderKind;

    fn job(n: u32, status: JobStatus) -> Job {
        Job::new(ProviderKind::Ray, n.to_string(), status, "x")
    }

    #[tokio::test]
    async fn pages_are_fetched_lazily_filtered_and_limited() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = calls.clone();
        let options = ListOptions::default().status(JobStatus::Running).limit(3);
        let paged = pages(ProviderKind::Ray, 0u32, None, move |page| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                let jobs = vec![
                    job(page * 2, JobStatus::Running),
                    job(page * 2 + 1, JobStatus::Failed),
                ];
                Ok((jobs, (page < 9).then_some(page + 1)))
            }
        });
        let stream = filter_and_limit(paged, options);
        let ids: Vec<String> = stream.map_ok(|j| j.id).try_collect().await.unwrap();
        assert_eq!(ids, ["0", "2", "4"]);
        assert_eq!(
            calls.load(std::sync::atomic::Ordering::SeqCst),
            3,
            "no page fetched beyond the limit"
        );
    }

    /// Lists through a provider whose page `n` is `page(n)`, with a next page always promised.
    async fn listed(
        options: ListOptions,
        page: fn(u32) -> Vec<u32>,
    ) -> (Vec<String>, Option<Error>) {
        let paged = pages(
            ProviderKind::Matpool,
            1u32,
            options.max_pages,
            move |n| async move {
                let jobs = page(n)
                    .into_iter()
                    .map(|i| job(i, JobStatus::Running))
                    .collect();
                Ok((jobs, Some(n + 1)))
            },
        );
        let all: Vec<Result<Job>> = filter_and_limit(paged, options).collect().await;
        let ids = all
            .iter()
            .filter_map(|j| j.as_ref().ok())
            .map(|j| j.id.clone())
            .collect();
        (ids, all.into_iter().find_map(Result::err))
    }

    fn guard(error: Option<Error>) -> Option<PagingGuard> {
        match error {
            Some(Error::Paging { guard, .. }) => Some(guard),
            other => panic!("expected a paging error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_repeated_cursor_ends_the_listing_with_an_error() {
        let paged = pages(
            ProviderKind::Ppio,
            String::from("a"),
            None,
            |c| async move {
                Ok((
                    vec![job(c.len() as u32, JobStatus::Running)],
                    Some(String::from("ab")),
                ))
            },
        );
        let all: Vec<Result<Job>> = filter_and_limit(paged, ListOptions::default())
            .collect()
            .await;
        assert_eq!(all.len(), 3, "two pages, then the error: {all:?}");
        assert!(matches!(
            all[2],
            Err(Error::Paging {
                guard: PagingGuard::RepeatedCursor,
                pages: 2,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn a_repeated_page_ends_the_listing() {
        let (ids, error) = listed(ListOptions::default(), |_| vec![1, 2]).await;
        assert_eq!(ids, ["1", "2"]);
        assert_eq!(guard(error), Some(PagingGuard::RepeatedPage));
    }

    #[tokio::test]
    async fn a_page_with_nothing_new_ends_the_listing() {
        // Each page repeats the one before in another order: nothing new after page 2.
        let (ids, error) = listed(ListOptions::default(), |n| match n {
            1 => vec![1, 2],
            2 => vec![3, 1],
            _ => vec![1, 3],
        })
        .await;
        assert_eq!(ids, ["1", "2", "3"]);
        assert_eq!(guard(error), Some(PagingGuard::NoNewJobs));
    }

    #[tokio::test]
    async fn duplicates_across_pages_are_listed_once() {
        let (ids, error) = listed(ListOptions::default().max_pages(4), |n| vec![n, n + 1]).await;
        assert_eq!(ids, ["1", "2", "3", "4", "5"]);
        assert_eq!(guard(error), Some(PagingGuard::PageLimit(4)));
    }
}
