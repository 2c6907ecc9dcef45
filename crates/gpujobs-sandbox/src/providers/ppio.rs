//! PPIO's GPU API v2 jobs: bearer auth, JSON errors, cursor paging, unix-second
//! times, PascalCase statuses. Jobs come from `save-image` or the sandbox API.

use gpujobs::ProviderKind;
use gpujobs_ppio::types::{
    Job, ListJobsResponse, SaveImageRequest, SaveImageResponse, StopJobResponse,
};
use serde_json::{Value, json};

use super::{Emulator, with_all, with_job};
use crate::faults::Fault;
use crate::model::{JobSpec, Phase, SimJob, unix_seconds};
use crate::state::State;
use crate::wire::{Absent, Req, Resp, typed};

const KIND: ProviderKind = ProviderKind::Ppio;
/// The signature in every job's log URL.
const LOG_TOKEN: &str = "sandbox-log-token";
const JOB_TYPES: [&str; 3] = ["saveImage", "instanceMigrate", "autoInstanceMigrate"];

fn error(status: u16, reason: &str, message: impl Into<String>) -> Resp {
    Resp::json(
        status,
        &json!({ "code": status, "reason": reason, "message": message.into() }),
    )
}

/// Ppio's wire format.
#[derive(Debug)]
pub(crate) struct Ppio;

impl Emulator for Ppio {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn new_id(&self, state: &State) -> String {
        format!("job-{}", state.random_id(12))
    }

    fn unknown_status(&self, _state: &State) -> (&'static str, Value) {
        ("/status/status", Value::from("Migrating"))
    }

    fn list_pointer(&self) -> &'static str {
        "/data"
    }

    fn endpoints(&self) -> Vec<gpujobs_runtime::Endpoint> {
        <gpujobs_ppio::Client as gpujobs_runtime::GeneratedClient>::endpoints()
    }

    fn handle(&self, req: &Req, state: &State, fault: Option<&Fault>) -> Resp {
        // The job's log URL, signed by its token like PPIO's: no API key is sent to it.
        if let ("GET", ["_logs", id]) = (req.route().0, req.route().1.as_slice()) {
            let (now, timing) = (state.now(), &state.config.timing);
            return match req.query.get("token").map(String::as_str) {
                Some(LOG_TOKEN) => {
                    with_job(state, KIND, id, |j| Resp::text(200, j.logs(now, timing)))
                        .unwrap_or_else(|| Resp::text(404, "no such log"))
                }
                _ => Resp::text(403, "AccessDenied: the signature does not match"),
            };
        }
        if !state.accepts(KIND, req.bearer()) {
            return error(401, "UNAUTHENTICATED", "invalid or missing API key");
        }
        let (now, timing) = (state.now(), &state.config.timing);
        let not_found = |id: &str| error(404, "JOB_NOT_FOUND", format!("job {id} not found"));
        let (method, path) = req.route();
        match (method, path.as_slice()) {
            ("GET", ["gpus", "v2", "jobs"]) => list(req, state, fault),
            ("POST", ["gpus", "v2", "jobs", "save-image"]) => save_image(req, state),
            ("GET", ["gpus", "v2", "jobs", id]) => with_job(state, KIND, id, |j| {
                Resp::json_every_field(200, &render(j, state), Absent::DocumentedNull)
            })
            .unwrap_or_else(|| not_found(id)),
            ("POST", ["gpus", "v2", "jobs", id, "stop"]) => with_job(state, KIND, id, |j| {
                j.cancel(now, timing);
                Resp::json(200, &typed::<StopJobResponse>(json!({})))
            })
            .unwrap_or_else(|| not_found(id)),
            _ => error(404, "NOT_FOUND", "no such route"),
        }
    }
}

fn list(req: &Req, state: &State, fault: Option<&Fault>) -> Resp {
    let limit = match req.query.get("limit").map(|l| l.parse::<usize>()) {
        None | Some(Ok(0)) => 10,
        Some(Ok(n)) => n.min(100),
        Some(Err(_)) => {
            return error(
                400,
                "INVALID_ARGUMENT",
                "limit must be a non-negative integer",
            );
        }
    };
    let start = match req.query.get("cursor").map(String::as_str).unwrap_or("") {
        "" => 0,
        cursor => match cursor
            .strip_prefix("cur-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => return error(400, "INVALID_ARGUMENT", "invalid cursor"),
        },
    };
    let looping = fault == Some(&Fault::PagingLoop);
    let (matching, page): (usize, Vec<Job>) = with_all(state, KIND, |jobs| {
        let wanted = |j: &&SimJob| {
            req.query.get("job_id").is_none_or(|id| *id == j.id)
                && req.query.get("type").is_none_or(|t| t == job_type(j))
        };
        let skip = if looping { 0 } else { start };
        let page = jobs.iter().filter(wanted).skip(skip).take(limit);
        let page = page.map(|j| render(j, state)).collect();
        (jobs.iter().filter(wanted).count(), page)
    });
    let more = looping || start + limit < matching;
    let next = match (more, fault, req.query.get("cursor")) {
        (true, Some(Fault::RepeatedCursor), Some(sent)) => sent.clone(),
        (true, _, _) => format!("cur-{}", start + limit),
        (false, _, _) => String::new(),
    };
    Resp::json_every_field(
        200,
        &typed::<ListJobsResponse>(json!({
            "data": page,
            "next_cursor": next,
            "has_more": more,
        })),
        Absent::DocumentedNull,
    )
}

fn save_image(req: &Req, state: &State) -> Resp {
    let body: SaveImageRequest = match serde_json::from_slice(&req.body) {
        Ok(body) => body,
        Err(e) => return error(400, "INVALID_ARGUMENT", format!("invalid body: {e}")),
    };
    let spec = JobSpec::new(format!(
        "save instance {} as {}",
        body.instance_id, body.image
    ))
    .name("saveImage");
    let job = super::add_job(state, &Ppio, spec);
    Resp::json(200, &typed::<SaveImageResponse>(json!({"job_id": job.id})))
}

fn job_type(job: &SimJob) -> &str {
    match job.spec.name.as_deref() {
        Some(name) if JOB_TYPES.contains(&name) => name,
        _ => JOB_TYPES[(job.seq % 3) as usize],
    }
}

fn render(job: &SimJob, state: &State) -> Job {
    let (now, timing) = (state.now(), &state.config.timing);
    let phase = job.phase(now, timing);
    let status = match phase {
        Phase::Queued | Phase::Starting => "Pending",
        Phase::Running => "Running",
        Phase::Canceling => "Stopping",
        Phase::Succeeded => "Succeeded",
        Phase::Failed(_) => "Failed",
        Phase::Canceled => "Stopped",
    };
    let (error, message) = match phase {
        Phase::Failed(code) => (
            "JobFailed".to_owned(),
            format!("the job exited with code {code}"),
        ),
        _ => (String::new(), String::new()),
    };
    let updated = job
        .history(now, timing)
        .last()
        .map_or(job.created, |(_, at)| *at);
    let envs: Vec<String> = job
        .spec
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    typed(json!({
        "id": job.id,
        "type": job_type(job),
        "envs": envs,
        "status": {"status": status, "error": error, "message": message},
        "log": format!("{}/ppio/_logs/{}?token={LOG_TOKEN}", state.root_url(), job.id),
        "created_at": unix_seconds(job.created),
        "member_id": "sandbox-member",
        "owner_id": "sandbox-owner",
        "deleted_time": 0,
        "update_at": unix_seconds(updated),
        "instance_id": format!("inst-{}", job.seq),
    }))
}
