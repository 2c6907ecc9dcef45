//! Lazy listing over a provider's pages, with the client-side filter and limit.

use std::future::Future;

use futures_util::stream::{self, BoxStream, StreamExt};

use crate::error::Result;
use crate::job::Job;
use crate::provider::ListOptions;

/// One page of jobs and the cursor of the next (`None`: this was the last).
pub(crate) type Page<C> = (Vec<Job>, Option<C>);

/// Streams jobs page by page: `fetch(cursor)` is called for the first page with
/// `first` and then with each returned cursor, lazily, as the stream is read.
/// It stops at the last page, at a cursor seen before (a provider bug that
/// would otherwise loop forever), and after yielding an error.
pub(crate) fn pages<'a, C, F, Fut>(
    first: C,
    options: ListOptions,
    fetch: F,
) -> BoxStream<'a, Result<Job>>
where
    C: Clone + PartialEq + Send + 'a,
    F: Fn(C) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<C>>> + Send + 'a,
{
    struct State<C, F> {
        next: Option<C>,
        seen: Vec<C>,
        fetch: F,
    }
    let state = State {
        next: Some(first),
        seen: Vec::new(),
        fetch,
    };
    let jobs = stream::unfold(state, |mut state| async move {
        let cursor = state.next.take()?;
        if state.seen.contains(&cursor) {
            return None;
        }
        state.seen.push(cursor.clone());
        match (state.fetch)(cursor).await {
            Ok((jobs, next)) => {
                state.next = next;
                Some((stream::iter(jobs.into_iter().map(Ok)).boxed(), state))
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

/// A provider that answers every job at once: one page.
pub(crate) fn single<'a, Fut>(options: ListOptions, fetch: Fut) -> BoxStream<'a, Result<Job>>
where
    Fut: Future<Output = Result<Vec<Job>>> + Send + 'a,
{
    let fetch = std::sync::Mutex::new(Some(fetch));
    pages((), options, move |()| {
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

    #[tokio::test]
    async fn a_repeated_cursor_ends_the_listing() {
        let stream = pages(String::from("a"), ListOptions::default(), |_| async {
            Ok((vec![job(1, JobStatus::Running)], Some(String::from("a"))))
        });
        let jobs: Vec<Job> = stream.try_collect().await.unwrap();
        assert_eq!(jobs.len(), 1);
    }
}
