//! What the server, the emulators and the faults share: the jobs, the faults
//! switched on, the requests seen, the seeded generator.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use gpujobs::ProviderKind;

use crate::config::SandboxConfig;
use crate::faults::FaultRule;
use crate::model::{JobSpec, SimJob};

/// What the sandbox remembers of a request (for tests and benchmarks that count them).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The provider it was for.
    pub provider: ProviderKind,
    /// The HTTP method.
    pub method: String,
    /// The path below the provider's prefix, with its query, as sent.
    pub path: String,
    /// The answer's body, in bytes (0 for an answer a fault replaced or broke off).
    pub answer_bytes: usize,
}

/// One provider's jobs, oldest first, found by id at once (a sandbox holding
/// 100,000 jobs answers a get as fast as one holding ten).
#[derive(Clone, Debug, Default)]
pub(crate) struct JobList {
    jobs: Vec<SimJob>,
    by_id: HashMap<String, usize>,
    /// The largest id that is a number (providers whose ids count up).
    largest_number: Option<u64>,
}

impl JobList {
    /// Every job, oldest first.
    pub(crate) fn all(&self) -> &[SimJob] {
        &self.jobs
    }

    /// Every job, oldest first, to change.
    pub(crate) fn all_mut(&mut self) -> &mut [SimJob] {
        &mut self.jobs
    }

    /// The largest id that is a number, if any.
    pub(crate) fn largest_number(&self) -> Option<u64> {
        self.largest_number
    }

    pub(crate) fn push(&mut self, job: SimJob) {
        if let Ok(number) = job.id.parse::<u64>() {
            self.largest_number = self.largest_number.max(Some(number));
        }
        self.by_id.insert(job.id.clone(), self.jobs.len());
        self.jobs.push(job);
    }

    pub(crate) fn get(&self, id: &str) -> Option<&SimJob> {
        self.jobs.get(*self.by_id.get(id)?)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut SimJob> {
        let at = *self.by_id.get(id)?;
        self.jobs.get_mut(at)
    }

    /// Removes job `id`; whether it was there.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        let Some(at) = self.by_id.remove(id) else {
            return false;
        };
        self.jobs.remove(at);
        for index in self.by_id.values_mut().filter(|index| **index > at) {
            *index -= 1;
        }
        true
    }
}

/// Everything the server shares between connections.
#[derive(Debug)]
pub(crate) struct State {
    pub config: SandboxConfig,
    pub jobs: Mutex<BTreeMap<ProviderKind, JobList>>,
    pub faults: Mutex<Vec<FaultRule>>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub next_seq: Mutex<u64>,
    pub rng: Mutex<fastrand::Rng>,
    /// Ray's uploaded packages, by URI (`gcs://_ray_pkg_….zip`).
    pub packages: Mutex<BTreeMap<String, bytes::Bytes>>,
    /// Where the server listens, once it does.
    pub addr: std::sync::OnceLock<SocketAddr>,
    /// The expiring tokens issued.
    pub issued: crate::tokens::Issued,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        Self {
            jobs: Mutex::default(),
            faults: Mutex::default(),
            requests: Mutex::default(),
            next_seq: Mutex::new(1),
            rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
            packages: Mutex::default(),
            addr: std::sync::OnceLock::new(),
            issued: crate::tokens::Issued::default(),
            config,
        }
    }

    pub(crate) fn jobs(&self) -> MutexGuard<'_, BTreeMap<ProviderKind, JobList>> {
        lock(&self.jobs)
    }

    /// `len` lowercase letters and digits from the sandbox's seeded generator.
    pub(crate) fn random_id(&self, len: usize) -> String {
        let mut rng = lock(&self.rng);
        (0..len)
            .map(|_| rng.alphanumeric().to_ascii_lowercase())
            .collect()
    }

    /// The URL of the server's root, e.g. `http://127.0.0.1:8080`.
    pub(crate) fn root_url(&self) -> String {
        let addr = self.addr.get().copied().unwrap_or(self.config.addr);
        format!("http://{addr}")
    }

    /// Whether `token` is what `provider` accepts: its fixed token, or one
    /// issued for it that has not expired (anything, if it checks none).
    pub(crate) fn accepts(&self, provider: ProviderKind, token: Option<&str>) -> bool {
        let Some(fixed) = self.config.tokens.get(&provider) else {
            return true;
        };
        token.is_some_and(|t| t == fixed || self.issued.accepts(provider, t, self.now()))
    }

    /// A token for `provider` that expires after `lifespan`.
    pub(crate) fn issue(&self, provider: ProviderKind, lifespan: std::time::Duration) -> String {
        let nonce = self.random_id(16);
        self.issued
            .issue(provider, self.now(), lifespan, crate::config::USER, &nonce)
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.config.clock.wall()
    }

    /// Adds a job for `provider` with `id` and returns a copy of it.
    pub(crate) fn add(
        &self,
        provider: ProviderKind,
        id: String,
        spec: JobSpec,
        async_cancel: bool,
    ) -> SimJob {
        let seq = {
            let mut next = lock(&self.next_seq);
            *next += 1;
            *next - 1
        };
        let created = self.now() - spec.age;
        let job = SimJob {
            id,
            seq,
            spec,
            created,
            canceled_at: None,
            async_cancel,
        };
        self.jobs().entry(provider).or_default().push(job.clone());
        job
    }
}
