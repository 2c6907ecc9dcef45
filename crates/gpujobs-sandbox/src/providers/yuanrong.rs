//! openYuanrong's job API: no auth, JSON-string errors, string times in
//! seconds, bare-boolean stop and delete answers, `app-` ids.

use gpujobs::ProviderKind;
use gpujobs_yuanrong::types::{AppInfo, SubmitJobRequest, SubmitJobResponse};

use super::{
    Emulator, decode_keyed, exists, exit_code, ray_status, remove, submitted, with_all, with_job,
};
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::model::{Phase, SimJob, unix_seconds};
use crate::state::State;
use crate::wire::{Absent, Req, Resp, typed};

const KIND: ProviderKind = ProviderKind::Yuanrong;

/// Yuanrong's wire format.
#[derive(Debug)]
pub(crate) struct Yuanrong;

impl Emulator for Yuanrong {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn new_id(&self, state: &State) -> String {
        let hex = state.random_id(32);
        format!(
            "app-{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    fn unknown_status(&self, _state: &State) -> (&'static str, Value) {
        ("/status", Value::from("PREEMPTED"))
    }

    fn endpoints(&self) -> Vec<gpujobs_runtime::Endpoint> {
        <gpujobs_yuanrong::Client as gpujobs_runtime::GeneratedClient>::endpoints()
    }

    fn handle(&self, req: &Req, state: &State, _fault: Option<&Fault>) -> Resp {
        let (now, timing) = (state.now(), &state.config.timing);
        let not_found = |id: &str| {
            Resp::json(
                404,
                &format!(
                    "not found app, submissionId: {id}, err: failed to get appjobInfo, submissionID: {id}"
                ),
            )
        };
        if let Some(refused) = refused(req, state) {
            return refused;
        }
        let (method, path) = req.route();
        match (method, path.as_slice()) {
            ("GET", ["api", "jobs"]) => {
                let jobs: Vec<AppInfo> = with_all(state, KIND, |all| {
                    all.iter().map(|j| app_info(j, state)).collect()
                });
                Resp::json_every_field(200, &jobs, Absent::Zero)
            }
            ("POST", ["api", "jobs"]) => submit(req, state),
            ("GET", ["api", "jobs", id]) => with_job(state, KIND, id, |j| {
                Resp::json_every_field(200, &app_info(j, state), Absent::Zero)
            })
            .unwrap_or_else(|| not_found(id)),
            ("DELETE", ["api", "jobs", id]) => {
                match with_job(state, KIND, id, |j| j.phase(now, timing).is_terminal()) {
                    None => not_found(id),
                    Some(false) => Resp::json(200, &false),
                    Some(true) => Resp::json(200, &remove(state, KIND, id)),
                }
            }
            ("POST", ["api", "jobs", id, "stop"]) => {
                with_job(state, KIND, id, |j| Resp::json(200, &j.cancel(now, timing)))
                    .unwrap_or_else(|| not_found(id))
            }
            _ => Resp::json(404, &"404 page not found"),
        }
    }
}

fn submit(req: &Req, state: &State) -> Resp {
    // Without a submission_id openYuanrong makes one up (`app-<uuid>`).
    let body: SubmitJobRequest =
        match decode_keyed(&req.body, "submission_id", |_| Yuanrong.new_id(state)) {
            Ok(body) => body,
            Err(e) => return Resp::json(400, &format!("invalid request body: {e}")),
        };
    if body.entrypoint.trim().is_empty() || body.runtime_env.working_dir.trim().is_empty() {
        return Resp::json(400, &"entrypoint and runtime_env.working_dir are required");
    }
    let id = Some(format!(
        "app-{}",
        body.submission_id.trim_start_matches("app-")
    ));
    if let Some(id) = id.as_deref().filter(|id| exists(state, KIND, id)) {
        return Resp::json(404, &format!("job already exists, submissionId: {id}"));
    }
    let mut spec = submitted(&body.entrypoint, body.metadata.get("name").cloned(), id);
    spec.metadata = body.metadata;
    spec.env = body.runtime_env.env_vars;
    spec.working_dir = Some(body.runtime_env.working_dir);
    let job = super::add_job(state, &Yuanrong, spec);
    Resp::json(
        200,
        &typed::<SubmitJobResponse>(json!({"submission_id": job.id})),
    )
}

fn app_info(job: &SimJob, state: &State) -> AppInfo {
    let (now, timing) = (state.now(), &state.config.timing);
    let phase = job.phase(now, timing);
    let seconds = |at: Option<std::time::SystemTime>| {
        at.map_or_else(String::new, |t| unix_seconds(t).to_string())
    };
    let started = job.entered(|p| matches!(p, Phase::Running), now, timing);
    let ended = job.ended_at(now, timing);
    let env_vars = serde_json::to_string(&job.spec.env).unwrap_or_default();
    typed(json!({
        "key": job.id,
        "type": "SUBMISSION",
        "entrypoint": job.spec.command,
        "submission_id": job.id,
        "driver_info": {
            "id": job.id,
            "node_ip_address": "127.0.0.1",
            "pid": (5000 + job.seq).to_string(),
        },
        "status": ray_status(phase),
        "start_time": seconds(started.or(Some(job.created))),
        "end_time": seconds(ended),
        "metadata": super::metadata(job),
        // Read back with other keys than submitted: envVars is JSON text, pip a command.
        "runtime_env": {
            "envVars": env_vars,
            "pip": "",
            "working_dir": job.spec.working_dir.clone().unwrap_or_default(),
        },
        "driver_agent_http_address": "",
        "driver_node_id": "sandbox-node",
        "driver_exit_code": exit_code(phase).unwrap_or(0),
        "error_type": if matches!(phase, Phase::Failed(_)) { "JOB_ENTRYPOINT_COMMAND_ERROR" } else { "" },
    }))
}

/// What the frontend's JWT middleware answers a request it refuses, where
/// authentication is on (a token configured): the token from `X-Auth`, else
/// `?token=`, else the `iam_token` cookie (jwtauth.go), raw.
fn refused(req: &Req, state: &State) -> Option<Resp> {
    state.config.tokens.get(&KIND)?;
    let cookie = req
        .headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("iam_token="));
    let token = req
        .headers
        .get("x-auth")
        .and_then(|v| v.to_str().ok())
        .or(req.query.get("token").map(String::as_str))
        .or(cookie)
        .filter(|t| !t.is_empty());
    let message = match token {
        None => {
            "Authentication failed: no token provided. Please enter a valid JWT token.".to_owned()
        }
        Some(token) if state.accepts(KIND, Some(token)) => return None,
        Some(_) => {
            "Authentication failed: invalid or malformed token (token is expired or unknown)"
                .to_owned()
        }
    };
    Some(Resp::json(401, &serde_json::json!({ "error": message })))
}
