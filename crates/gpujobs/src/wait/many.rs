//! Waiting for many jobs at once ([`wait_all`]): each poll asks about the jobs
//! still running in the way that costs least — their statuses by id where the
//! provider answers those in a few requests (Slurm's `jobs/state`), else one
//! listing of the provider's jobs or a get each (a few at a time), judged from
//! what the last listing cost, so three jobs among 100,000 ended ones never
//! read 100,000. A job seen ended by its status alone is then read whole.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use futures_util::stream::{self, BoxStream, StreamExt};

use super::options::WaitOptions;
use crate::error::{Error, Result, TimeoutScope};
use crate::job::Job;
use crate::paging::ListOptions;
use crate::provider::JobProvider;
use crate::registry::ProviderJob;

/// Gets in flight at once when polling job by job.
pub(crate) const CONCURRENT_GETS: usize = 16;

/// What one request costs beside the records it reads, counted in records:
/// headers, a round trip and, above all, a share of the provider's rate
/// limit. A listing of `n` jobs in one request is cheaper than `k` gets when
/// `REQUEST_COST + n <= k * (REQUEST_COST + 1)`.
const REQUEST_COST: usize = 64;

/// Jobs asked for per page when listing (where the provider pages): few
/// requests, and a size the paging providers here take.
const LIST_PAGE: u32 = 100;

/// Below this many jobs a listing is not tried before its size is known: it
/// might read far more than a get each would.
const TRY_LISTING_FROM: usize = 32;

/// What the last listing cost, which decides the next poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listing {
    /// Not tried yet.
    Untried,
    /// It took `requests` requests (pages) and read `records` jobs.
    Cost {
        /// Requests made (one per page).
        requests: usize,
        /// Jobs read.
        records: usize,
    },
    /// The provider cannot list, or its listing failed (too large, paging
    /// in circles): a get each from now on.
    Unusable,
}

impl Listing {
    /// Whether one listing costs less than a get for each of `pending` jobs.
    pub(crate) fn cheaper_for(self, pending: usize) -> bool {
        match self {
            Listing::Untried => pending >= TRY_LISTING_FROM,
            Listing::Cost { requests, records } => {
                requests * REQUEST_COST + records <= pending * (REQUEST_COST + 1)
            }
            Listing::Unusable => false,
        }
    }
}

/// One job's end as [`wait_all`](crate::JobProviderExt::wait_all) reports it: its id, and its final record —
/// or why there is none (the provider no longer knows the job: `NotFound`;
/// the wait's time ran out: `Timeout` with the last record seen, whose `raw`
/// is left out; a get that failed).
pub type Ended = (String, Result<Job>);

struct Poller {
    provider: Arc<dyn JobProvider>,
    options: WaitOptions,
    started: Instant,
    polls: u32,
    /// The jobs not ended yet, with the last record seen of each.
    pending: BTreeMap<String, Option<Job>>,
    /// Ends found by the last poll, not yet handed out.
    ready: VecDeque<Ended>,
    listing: Listing,
    /// Whether to ask for statuses by id ([`JobProvider::statuses`]): the
    /// provider has it, and it has not been refused.
    by_status: bool,
    /// Whether to read ended jobs' whole records many at once
    /// ([`JobProvider::records`]: Slurm's accounting): likewise.
    by_records: bool,
}

impl Poller {
    /// Records `job` for its id: an end goes to `ready`; anything else is kept
    /// as the last record seen, without the provider's own record (`raw`),
    /// so that 10,000 running jobs take a few megabytes, not tens.
    fn seen(&mut self, id: &str, mut job: Job) {
        if job.status.is_terminal() {
            self.pending.remove(id);
            self.ready.push_back((id.to_owned(), Ok(job)));
        } else if let Some(last) = self.pending.get_mut(id) {
            job.raw = ProviderJob::Absent;
            *last = Some(job);
        }
    }

    /// Ends `id` with `error`.
    fn failed(&mut self, id: &str, error: Error) {
        self.pending.remove(id);
        self.ready.push_back((id.to_owned(), Err(error)));
    }

    /// Ends every job still pending with the wait's timeout.
    fn time_out(&mut self) {
        let provider = self.provider.kind();
        let after = self.options.timeout;
        for (id, last) in std::mem::take(&mut self.pending) {
            let error = Error::Timeout {
                provider,
                scope: TimeoutScope::Wait,
                after,
                last_job: last.map(Box::new),
            };
            self.ready.push_back((id, Err(error)));
        }
    }

    /// One poll: the statuses by id, or a listing if it is the cheaper way;
    /// then a get for each job they did not show running (or for every job).
    async fn poll(&mut self) {
        let mut unseen: BTreeSet<String> = self.pending.keys().cloned().collect();
        // Jobs whose status says they ended, read whole below; their brief
        // record is what is reported if that read fails (Slurm may forget
        // a job between the two).
        let mut ended = BTreeMap::new();
        // Whether the provider said which jobs run (statuses or a listing):
        // then every job still unseen ended, or was forgotten.
        let mut answered = false;
        if self.by_status {
            let ids: Vec<String> = unseen.iter().cloned().collect();
            match self.provider.statuses(&ids).await {
                Ok(brief) => {
                    answered = true;
                    for job in brief {
                        if !unseen.contains(&job.id) {
                            continue;
                        }
                        if job.status.is_terminal() {
                            ended.insert(job.id.clone(), job);
                        } else {
                            let id = job.id.clone();
                            unseen.remove(&id);
                            self.seen(&id, job);
                        }
                    }
                }
                // Not served (an older server) or not understood: not asked again.
                Err(error) if !error.is_retryable() => self.by_status = false,
                Err(_) => {}
            }
        } else if self.listing.cheaper_for(unseen.len()) {
            match self.list(&mut unseen).await {
                Ok(cost) => {
                    answered = true;
                    self.listing = cost;
                }
                Err(_) => self.listing = Listing::Unusable,
            }
        }
        // Jobs seen ended, or not seen at all (Slurm forgets ended jobs): their
        // whole records many at once, where the provider keeps them (Slurm's
        // accounting). A record still running there (accounting a moment
        // behind) is left to the get below.
        if self.by_records && answered && !unseen.is_empty() {
            let ids: Vec<String> = unseen.iter().cloned().collect();
            match self.provider.records(&ids).await {
                Ok(records) => {
                    for job in records.into_iter().filter(|j| j.status.is_terminal()) {
                        if unseen.remove(&job.id) {
                            ended.remove(&job.id);
                            let id = job.id.clone();
                            self.seen(&id, job);
                        }
                    }
                }
                Err(error) if !error.is_retryable() => self.by_records = false,
                Err(_) => {}
            }
        }
        // Jobs the listing did not show (newer than it, or no longer kept by the
        // provider, as Slurm forgets ended jobs) are asked for one by one.
        // Each answer is read as it comes: 10,000 records are never held at once.
        let provider = self.provider.clone();
        let mut answers = stream::iter(unseen)
            .map(|id| {
                let provider = &provider;
                async move {
                    let answer = provider.get(&id).await;
                    (id, answer)
                }
            })
            .buffer_unordered(CONCURRENT_GETS);
        while let Some((id, answer)) = answers.next().await {
            match (answer, ended.remove(&id)) {
                (Ok(job), _) => self.seen(&id, job),
                (Err(_), Some(brief)) => self.seen(&id, brief),
                (Err(error), None) => self.failed(&id, error),
            }
        }
    }

    /// Lists the provider's jobs, page by page, recording each of `unseen` it
    /// shows (and taking it out of `unseen`) as it is read, so only the pending
    /// jobs are kept; what the listing cost.
    async fn list(&mut self, unseen: &mut BTreeSet<String>) -> Result<Listing> {
        if !self.provider.capabilities().list {
            return Err(Error::unsupported(
                self.provider.kind(),
                crate::error::Operation::List,
            ));
        }
        let mut pages = self
            .provider
            .pages(&ListOptions::default().page_size(LIST_PAGE));
        let (mut requests, mut records) = (0, 0);
        while let Some(page) = pages.next().await {
            let page = page?;
            requests += 1;
            records += page.len();
            for job in page {
                if unseen.remove(&job.id) {
                    let id = job.id.clone();
                    self.seen(&id, job);
                }
            }
        }
        Ok(Listing::Cost { requests, records })
    }
}

/// Waits for every job in `ids` (see [`super::JobProviderExt::wait_all`]).
pub(crate) fn wait_all(
    provider: Arc<dyn JobProvider>,
    ids: Vec<String>,
    options: &WaitOptions,
) -> BoxStream<'static, Ended> {
    let poller = Poller {
        by_status: provider.capabilities().statuses,
        by_records: provider.capabilities().records,
        provider,
        started: options.clock.now(),
        options: options.clone(),
        polls: 0,
        pending: ids.into_iter().map(|id| (id, None)).collect(),
        ready: VecDeque::new(),
        listing: Listing::Untried,
    };
    stream::unfold(poller, |mut poller| async move {
        loop {
            if let Some(ended) = poller.ready.pop_front() {
                return Some((ended, poller));
            }
            if poller.pending.is_empty() {
                return None;
            }
            if !poller
                .options
                .pause_before(poller.started, poller.polls)
                .await
            {
                poller.time_out();
                continue;
            }
            poller.polls += 1;
            let limit = poller.options.poll_limit(poller.started);
            if tokio::time::timeout(limit, poller.poll()).await.is_err() {
                poller.time_out();
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::Listing;

    #[test]
    fn a_listing_is_tried_only_for_enough_jobs_and_kept_while_it_is_cheaper() {
        assert!(!Listing::Untried.cheaper_for(3), "3 jobs: a get each");
        assert!(Listing::Untried.cheaper_for(10_000));
        // One request that read 100,000 jobs: dearer than 3 gets, cheaper than 10,000.
        let huge = Listing::Cost {
            requests: 1,
            records: 100_000,
        };
        assert!(!huge.cheaper_for(3) && huge.cheaper_for(10_000));
        // 100 pages of 100: cheaper than a get each for 1,000 jobs, not for 100.
        let paged = Listing::Cost {
            requests: 100,
            records: 10_000,
        };
        assert!(paged.cheaper_for(1_000) && !paged.cheaper_for(100));
        assert!(
            !huge.cheaper_for(1_000),
            "100,000 records for 1,000 jobs: gets"
        );
        assert!(!Listing::Unusable.cheaper_for(1_000_000));
    }
}
