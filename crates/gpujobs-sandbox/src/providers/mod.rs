//! One emulator per provider, each answering in that provider's wire format
//! from the shared job model, with its own auth and error shapes.

use std::time::Duration;

use gpujobs::ProviderKind;
use serde_json::Value;

use crate::State;
use crate::faults::Fault;
use crate::model::{JobSpec, Outcome, Phase, SimJob};
use crate::server::{Req, Resp};

mod matpool;
mod ppio;
mod ray;
mod tensorpool;
mod yuanrong;

/// Routes a request below `/<provider>` to its emulator (`fault`: the fault
/// switched on for it, which a paging emulator applies to its list answers).
pub(crate) fn handle(
    provider: ProviderKind,
    req: &Req,
    state: &State,
    fault: Option<&Fault>,
) -> Resp {
    match provider {
        ProviderKind::Ppio => ppio::handle(req, state, fault),
        ProviderKind::Yuanrong => yuanrong::handle(req, state),
        ProviderKind::Ray => ray::handle(req, state),
        ProviderKind::Matpool => matpool::handle(req, state, fault),
        ProviderKind::Tensorpool => tensorpool::handle(req, state),
        _ => Resp::text(404, "no such provider"),
    }
}

/// Where a provider's list answer holds its jobs (a JSON pointer).
pub(crate) fn list_pointer(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Ppio => "/data",
        ProviderKind::Matpool => "/job",
        ProviderKind::Tensorpool => "/jobs",
        _ => "",
    }
}

/// Sets the status of the job in a get answer to a value the provider does not document.
pub(crate) fn set_unknown_status(provider: ProviderKind, answer: &mut Value) {
    let (pointer, unknown) = match provider {
        ProviderKind::Ppio => ("/status/status", Value::from("Migrating")),
        ProviderKind::Matpool => ("/job/status", Value::from(99)),
        ProviderKind::Tensorpool => ("/job_info/status", Value::from("preempted")),
        _ => ("/status", Value::from("PREEMPTED")),
    };
    if let Some(status) = answer.pointer_mut(pointer) {
        *status = unknown;
    }
}

/// Adds a job to `provider`, with an id in that provider's style.
pub(crate) fn add_job(state: &State, provider: ProviderKind, spec: JobSpec) -> SimJob {
    let (id, async_cancel) = match provider {
        ProviderKind::Ppio => (ppio::new_id(state), false),
        ProviderKind::Yuanrong => (yuanrong::new_id(state), false),
        ProviderKind::Ray => (ray::new_id(state), false),
        ProviderKind::Matpool => (matpool::new_id(state), true),
        _ => (tensorpool::new_id(state), true),
    };
    let id = spec.id.clone().unwrap_or(id);
    state.add(provider, id, spec, async_cancel)
}

/// A few jobs per provider in every state: ended long ago, failed, running, just queued.
pub(crate) fn seed_demo_jobs(state: &State) {
    let minutes = |m: u64| Duration::from_secs(60 * m);
    for provider in ProviderKind::ALL {
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
            add_job(state, provider, spec);
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
    state
        .jobs()
        .get_mut(&provider)?
        .iter_mut()
        .find(|j| j.id == id)
        .map(f)
}

/// A copy of every job of `provider`, oldest first.
pub(crate) fn all(state: &State, provider: ProviderKind) -> Vec<SimJob> {
    state.jobs().get(&provider).cloned().unwrap_or_default()
}

/// Removes job `id`; answers whether it existed.
pub(crate) fn remove(state: &State, provider: ProviderKind, id: &str) -> bool {
    let mut jobs = state.jobs();
    let Some(list) = jobs.get_mut(&provider) else {
        return false;
    };
    let before = list.len();
    list.retain(|j| j.id != id);
    list.len() != before
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
