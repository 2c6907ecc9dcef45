//! Lazy listing over a provider's pages, with the client-side filter and limit.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{Hash, Hasher};

use futures_util::stream::{self, BoxStream, StreamExt};

use crate::error::{Error, PagingGuard, Result};
use crate::job::{Job, ProviderKind};
use crate::provider::ListOptions;

/// One page of jobs and the cursor of the next (`None`: this was the last).
pub(crate) type Page<C> = (Vec<Job>, Option<C>);

/// Pages fetched per listing when [`ListOptions::max_pages`] is not set.
pub const DEFAULT_MAX_PAGES: u32 = 10_000;

/// Streams jobs page by page: `fetch(cursor)` is called for the first page with
/// `first` and then with each returned cursor, lazily, as the stream is read.
///
/// A provider's paging is not trusted: a job already listed is not listed
/// again, and the listing ends with [`Error::Paging`] (after the jobs it did
/// list) on a cursor sent twice, a page sent twice, a page that promises more
/// but adds no new job, or after `options.max_pages` pages — so a lying or
/// looping provider can neither page forever nor repeat jobs.
pub(crate) fn pages<'a, C, F, Fut>(
    kind: ProviderKind,
    first: C,
    options: ListOptions,
    fetch: F,
) -> BoxStream<'a, Result<Job>>
where
    C: Hash + Send + 'a,
    F: Fn(C) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<C>>> + Send + 'a,
{
    struct State<C, F> {
        next: Option<C>,
        fetch: F,
        guard: Guard,
    }
    let state = State {
        next: Some(first),
        fetch,
        guard: Guard::new(kind, options.max_pages.unwrap_or(DEFAULT_MAX_PAGES)),
    };
    let jobs = stream::unfold(state, |mut state| async move {
        let cursor = state.next.take()?;
        if let Err(stop) = state.guard.before(&cursor) {
            return Some((stream::iter([Err(stop)]).boxed(), state));
        }
        match (state.fetch)(cursor).await {
            Ok((jobs, next)) => {
                let (new, stop) = state.guard.after(jobs, next.is_some());
                state.next = next.filter(|_| stop.is_none());
                let items = new.into_iter().map(Ok).chain(stop.map(Err));
                Some((stream::iter(items.collect::<Vec<_>>()).boxed(), state))
            }
            Err(e) => Some((stream::iter([Err(e)]).boxed(), state)),
        }
    })
    .flatten();
    let limit = options.limit.unwrap_or(usize::MAX);
    jobs.filter(move |job| std::future::ready(job.as_ref().map_or(true, |j| options.keeps(j))))
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

/// A provider that answers every job at once: one page.
pub(crate) fn single<'a, Fut>(
    kind: ProviderKind,
    options: ListOptions,
    fetch: Fut,
) -> BoxStream<'a, Result<Job>>
where
    Fut: Future<Output = Result<Vec<Job>>> + Send + 'a,
{
    let fetch = std::sync::Mutex::new(Some(fetch));
    pages(kind, (), options, move |()| {
        let fetch = fetch.lock().ok().and_then(|mut f| f.take());
        async move {
            match fetch {
                Some(fetch) => fetch.await.map(|jobs| (jobs, None)),
                None => Ok((Vec::new(), None)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use futures_util::TryStreamExt;

    use super::*;
    use crate::job::{JobStatus, ProviderKind};

    fn job(n: u32, status: JobStatus) -> Job {
        Job::new(ProviderKind::Ray, n.to_string(), status, "x")
    }

    #[tokio::test]
    async fn pages_are_fetched_lazily_filtered_and_limited() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = calls.clone();
        let stream = pages(
            ProviderKind::Ray,
            0u32,
            ListOptions::default().status(JobStatus::Running).limit(3),
            move |page| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    let jobs = vec![
                        job(page * 2, JobStatus::Running),
                        job(page * 2 + 1, JobStatus::Failed),
                    ];
                    Ok((jobs, (page < 9).then_some(page + 1)))
                }
            },
        );
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
        let stream = pages(ProviderKind::Matpool, 1u32, options, move |n| async move {
            let jobs = page(n)
                .into_iter()
                .map(|i| job(i, JobStatus::Running))
                .collect();
            Ok((jobs, Some(n + 1)))
        });
        let all: Vec<Result<Job>> = stream.collect().await;
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
        let stream = pages(
            ProviderKind::Ppio,
            String::from("a"),
            ListOptions::default(),
            |c| async move {
                Ok((
                    vec![job(c.len() as u32, JobStatus::Running)],
                    Some(String::from("ab")),
                ))
            },
        );
        let all: Vec<Result<Job>> = stream.collect().await;
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
