//! One emulator per provider, each answering in that provider's wire format
//! from the shared job model, with its own auth and error shapes.

use std::time::Duration;

use gpujobs::ProviderKind;
use gpujobs_runtime::Endpoint;
use serde_json::Value;

use crate::faults::Fault;
use crate::model::{JobSpec, Outcome, Phase, SimJob};
use crate::state::{JobList, State};
use crate::wire::{Req, Resp};

mod matpool;
mod ppio;
mod ray;
pub(crate) mod slurm;
mod tensorpool;
mod yuanrong;

/// One provider's wire format: what the server, the faults and the tests ask
/// of it. Each provider module holds one; [`EMULATORS`] lists them.
pub(crate) trait Emulator: Sync + std::fmt::Debug {
    /// Which provider it emulates.
    fn kind(&self) -> ProviderKind;

    /// A new job id, in the provider's style.
    fn new_id(&self, state: &State) -> String;

    /// Where a get answer holds the job's status (a JSON pointer), and a value
    /// the provider does not document (for [`Fault::UnknownStatus`]).
    fn unknown_status(&self, state: &State) -> (&'static str, Value);

    /// Where a list answer holds its jobs (a JSON pointer; the root by default).
    fn list_pointer(&self) -> &'static str {
        ""
    }

    /// Whether cancels finish later, through canceling (as the provider's
    /// descriptor says: the fact is stated once).
    fn async_cancel(&self) -> bool {
        self.kind().descriptor().capabilities.async_cancel
    }

    /// The provider's endpoints (its generated client's table): which
    /// methods a path takes, for 405 answers.
    fn endpoints(&self) -> Vec<Endpoint>;

    /// The text of a 405 answer (aiohttp's, which Ray sends, by default).
    fn method_not_allowed(&self) -> &'static str {
        "405: Method Not Allowed"
    }

    /// The job whose log `req` asks to follow over a WebSocket, if it does.
    fn log_tail(&self, req: &Req) -> Option<String> {
        let _ = req;
        None
    }

    /// Answers a request below the provider's prefix (`fault`: the fault
    /// switched on for it, which a paging emulator applies to its list answers).
    fn handle(&self, req: &Req, state: &State, fault: Option<&Fault>) -> Resp;
}

/// Every emulated provider, in [`ProviderKind::ALL`] order.
pub(crate) static EMULATORS: &[&dyn Emulator] = &[
    &ppio::Ppio,
    &yuanrong::Yuanrong,
    &ray::Ray,
    &matpool::Matpool,
    &tensorpool::Tensorpool,
    &slurm::Slurm,
];

/// The emulator of `provider`, if the sandbox emulates it.
pub(crate) fn emulator(provider: ProviderKind) -> Option<&'static dyn Emulator> {
    EMULATORS.iter().copied().find(|e| e.kind() == provider)
}

/// The methods `emulator` takes on `segments` (below its prefix), if it takes
/// any but `method`: a wrong method there is a 405, not a 404.
pub(crate) fn allowed_methods(
    emulator: &dyn Emulator,
    method: &str,
    segments: &[String],
) -> Option<String> {
    let matches = |template: &str| {
        let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
        parts.len() == segments.len()
            && parts
                .iter()
                .zip(segments)
                .all(|(part, segment)| match part.starts_with('{') {
                    true => !segment.is_empty(),
                    false => part == segment,
                })
    };
    let mut allowed: Vec<&str> = emulator
        .endpoints()
        .iter()
        .filter(|e| matches(e.path))
        .map(|e| e.method)
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    match allowed.is_empty() || allowed.contains(&method) {
        true => None,
        false => Some(allowed.join(", ")),
    }
}

/// Sets the status of the job in a get answer to a value the provider does not document.
pub(crate) fn set_unknown_status(emulator: &dyn Emulator, state: &State, answer: &mut Value) {
    let (pointer, unknown) = emulator.unknown_status(state);
    if let Some(status) = answer.pointer_mut(pointer) {
        *status = unknown;
    }
}

/// Adds a job to `emulator`'s provider, with an id in that provider's style.
pub(crate) fn add_job(state: &State, emulator: &dyn Emulator, mut spec: JobSpec) -> SimJob {
    // An outcome read from the command is read again with the job's environment.
    if spec.outcome == Outcome::of_command(&spec.command) {
        spec.outcome = Outcome::of_run(&spec.command, &spec.env);
    }
    let id = spec.id.clone().unwrap_or_else(|| emulator.new_id(state));
    state.add(emulator.kind(), id, spec, emulator.async_cancel())
}

/// A few jobs per provider in every state: ended long ago, failed, running, just queued.
pub(crate) fn seed_demo_jobs(state: &State) {
    let minutes = |m: u64| Duration::from_secs(60 * m);
    for emulator in EMULATORS {
        let demo = [
            JobSpec::new("python train.py --epochs 3")
                .name("train-resnet")
                .age(minutes(42)),
            JobSpec::new("python eval.py; exit 3")
                .name("eval-nightly")
                .age(minutes(30)),
            JobSpec::new("python serve.py; sleep infinity")
                .name("serve-llm")
                .age(minutes(5)),
            JobSpec::new("python prepare.py").name("prepare-data"),
        ];
        for spec in demo {
            add_job(state, *emulator, spec);
        }
    }
}

/// Runs `f` on job `id` of `provider`, if it exists.
pub(crate) fn with_job<R>(
    state: &State,
    provider: ProviderKind,
    id: &str,
    f: impl FnOnce(&mut SimJob) -> R,
) -> Option<R> {
    state.jobs().get_mut(&provider)?.get_mut(id).map(f)
}

/// `f` of every job of `provider`, oldest first, looked at under the lock
/// rather than copied (a list of 100,000 jobs costs its rendering only).
/// `f` must not ask the state for jobs again.
pub(crate) fn with_all<R>(
    state: &State,
    provider: ProviderKind,
    f: impl FnOnce(&[SimJob]) -> R,
) -> R {
    let jobs = state.jobs();
    f(jobs.get(&provider).map_or(&[][..], JobList::all))
}

/// `f` of every job of `provider`, to change, under the lock (`f` must not
/// ask the state for jobs again).
pub(crate) fn with_all_mut<R>(
    state: &State,
    provider: ProviderKind,
    f: impl FnOnce(&mut [SimJob]) -> R,
) -> R {
    let mut jobs = state.jobs();
    f(jobs
        .get_mut(&provider)
        .map_or(&mut [][..], JobList::all_mut))
}

/// The largest id of `provider` that is a number (for providers whose ids count up).
pub(crate) fn largest_number(state: &State, provider: ProviderKind) -> Option<u64> {
    state
        .jobs()
        .get(&provider)
        .and_then(JobList::largest_number)
}

/// Removes job `id`; answers whether it existed.
pub(crate) fn remove(state: &State, provider: ProviderKind, id: &str) -> bool {
    state
        .jobs()
        .get_mut(&provider)
        .is_some_and(|list| list.remove(id))
}

/// Whether a job with this id already exists.
pub(crate) fn exists(state: &State, provider: ProviderKind, id: &str) -> bool {
    with_job(state, provider, id, |_| ()).is_some()
}

/// Ray's status value for a phase (openYuanrong uses the same).
pub(crate) fn ray_status(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued | Phase::Starting => "PENDING",
        Phase::Running | Phase::Canceling => "RUNNING",
        Phase::Succeeded => "SUCCEEDED",
        Phase::Failed(_) => "FAILED",
        Phase::Canceled => "STOPPED",
    }
}

/// The exit code a phase implies.
pub(crate) fn exit_code(phase: Phase) -> Option<i32> {
    match phase {
        Phase::Succeeded => Some(0),
        Phase::Failed(code) => Some(code),
        _ => None,
    }
}

/// Decodes a submit body into the generated request type, which requires the
/// idempotency key `field` (our clients always send one); a real server makes
/// one up when it is absent (`fallback`), and so does the emulator.
pub(crate) fn decode_keyed<T: serde::de::DeserializeOwned>(
    body: &[u8],
    field: &str,
    fallback: impl FnOnce(&serde_json::Map<String, Value>) -> String,
) -> serde_json::Result<T> {
    let mut value: Value = serde_json::from_slice(body)?;
    if let Value::Object(map) = &mut value
        && map.get(field).is_none_or(Value::is_null)
    {
        let made = fallback(map);
        map.insert(field.to_owned(), Value::from(made));
    }
    serde_json::from_value(value)
}

/// A spec for a submitted job.
pub(crate) fn submitted(command: &str, name: Option<String>, id: Option<String>) -> JobSpec {
    let mut spec = JobSpec::new(command);
    spec.name = name;
    spec.id = id;
    if spec.outcome == Outcome::Succeed && command.trim().is_empty() {
        spec.outcome = Outcome::Fail { exit_code: 127 };
    }
    spec
}

/// A job's metadata with its name, as Ray and openYuanrong keep it.
pub(crate) fn metadata(job: &SimJob) -> std::collections::BTreeMap<String, String> {
    let mut metadata = job.spec.metadata.clone();
    if let Some(name) = &job.spec.name {
        metadata
            .entry("name".into())
            .or_insert_with(|| name.clone());
    }
    metadata
}
