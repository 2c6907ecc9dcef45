//! Matpool's PaaS API: `{code, msg, …}` envelopes with failures inside HTTP
//! 200 (176 bad token, 6 invalid parameter), multipart create, page-number
//! paging, integer statuses with a state history, SSH passwords.

use std::collections::BTreeMap;

use gpujobs::ProviderKind;
use gpujobs_matpool::types::{CreateJobForm, Envelope, Job, JobListResponse, JobResponse};
use serde_json::{Value, json};

use super::{Emulator, largest_number, with_all, with_job};
use crate::faults::Fault;
use crate::model::{JobSpec, Outcome, Phase, SimJob, unix_seconds};
use crate::state::State;
use crate::wire::{Absent, Req, Resp, typed};

const KIND: ProviderKind = ProviderKind::Matpool;

/// Matpool ids are integers; the next one after the largest so far.
fn envelope(code: i64, msg: &str) -> Resp {
    Resp::json(200, &typed::<Envelope>(json!({"code": code, "msg": msg})))
}

fn illegal() -> Resp {
    envelope(6, "param illegal")
}

/// Matpool's wire format.
#[derive(Debug)]
pub(crate) struct Matpool;

impl Emulator for Matpool {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn new_id(&self, state: &State) -> String {
        largest_number(state, KIND)
            .map_or(421_230, |n| n + 1)
            .to_string()
    }

    fn unknown_status(&self, _state: &State) -> (&'static str, Value) {
        ("/job/status", Value::from(99))
    }

    fn list_pointer(&self) -> &'static str {
        "/job"
    }

    fn endpoints(&self) -> Vec<gpujobs_runtime::Endpoint> {
        <gpujobs_matpool::Client as gpujobs_runtime::GeneratedClient>::endpoints()
    }

    fn handle(&self, req: &Req, state: &State, fault: Option<&Fault>) -> Resp {
        if !state.accepts(KIND, req.bearer()) {
            return envelope(176, "check jwt token failed");
        }
        let (now, timing) = (state.now(), &state.config.timing);
        let id = req.query.get("id").map(String::as_str);
        let (method, path) = req.route();
        match (method, path.as_slice(), id) {
            ("POST", ["v1", "job"], _) => create(req, state),
            ("GET", ["v1", "job"], Some(id)) => with_job(state, KIND, id, |j| {
                Resp::json_every_field(
                    200,
                    &typed::<JobResponse>(json!({"code": 0, "msg": "", "job": render(j, state)})),
                    Absent::DocumentedNull,
                )
            })
            .unwrap_or_else(|| envelope(7, "job not found")),
            ("DELETE", ["v1", "job"], Some(id)) => with_job(state, KIND, id, |j| {
                j.cancel(now, timing);
                envelope(0, "")
            })
            .unwrap_or_else(|| envelope(7, "job not found")),
            ("GET" | "DELETE", ["v1", "job"], None) => illegal(),
            ("GET", ["v1", "job", "jobs"], _) => list(req, state, fault),
            ("GET", ["v1", "job", "stats"], _) => stats(state),
            _ => Resp::text(404, "404 page not found"),
        }
    }
}

fn list(req: &Req, state: &State, fault: Option<&Fault>) -> Resp {
    let number = |key: &str, default: usize| {
        req.query.get(key).map_or(Some(default), |v| {
            v.parse::<usize>().ok().filter(|n| *n > 0)
        })
    };
    let (Some(page), Some(per_page)) = (number("page", 1), number("per_page", 10)) else {
        return illegal();
    };
    let oldest_first = req.query.get("order").map(String::as_str) == Some("true");
    let looping = fault == Some(&Fault::PagingLoop);
    let skip = if looping { 0 } else { (page - 1) * per_page };
    let (total, page_jobs): (usize, Vec<Job>) = with_all(state, KIND, |jobs| {
        // Newest first unless asked otherwise.
        let ordered: Box<dyn Iterator<Item = &SimJob>> = match oldest_first {
            true => Box::new(jobs.iter()),
            false => Box::new(jobs.iter().rev()),
        };
        let page = ordered.skip(skip).take(per_page).map(|j| render(j, state));
        (jobs.len(), page.collect())
    });
    let num_pages = match looping {
        true => page + 1, // always one more page, like a server whose count keeps growing
        false => total.div_ceil(per_page),
    };
    Resp::json_every_field(
        200,
        &typed::<JobListResponse>(json!({
            "code": 0,
            "msg": "",
            "pagination": {"total": total, "numPages": num_pages, "page": page, "perPage": per_page},
            "job": page_jobs,
        })),
        Absent::DocumentedNull,
    )
}

fn stats(state: &State) -> Resp {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    with_all(state, KIND, |jobs| {
        for job in jobs {
            let code = status_code(job.phase(state.now(), &state.config.timing));
            *counts.entry(code.to_string()).or_default() += 1;
        }
    });
    Resp::json(200, &json!({ "code": 0, "msg": "", "stats": counts }))
}

/// Reads the multipart form into the generated form type; `None` if it is not one.
fn form(req: &Req) -> Option<CreateJobForm> {
    let content_type = req.headers.get("content-type")?.to_str().ok()?;
    let boundary = content_type.split("boundary=").nth(1)?.trim_matches('"');
    let body = std::str::from_utf8(&req.body).ok()?;
    let mut fields = serde_json::Map::new();
    for part in body.split(&format!("--{boundary}")).skip(1) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let name = head.split("name=\"").nth(1)?.split('"').next()?;
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let value = match name {
            "agent_domain" | "from_image_id" | "from_snapshot_id" => {
                Value::from(value.trim().parse::<i64>().ok()?)
            }
            _ => Value::from(value),
        };
        fields.insert(name.to_owned(), value);
    }
    serde_json::from_value(Value::Object(fields)).ok()
}

fn create(req: &Req, state: &State) -> Resp {
    let Some(form) = form(req) else {
        return illegal();
    };
    let gpu = serde_json::from_str::<Value>(&form.spec)
        .ok()
        .and_then(|s| s["gpuName"].as_str().map(str::to_owned));
    let (Some(gpu), true) = (
        gpu,
        form.from_image_id.is_some() != form.from_snapshot_id.is_some(),
    ) else {
        return illegal();
    };
    if form.cmd.as_ref().is_some_and(|c| c.len() > 4096) {
        return illegal();
    }
    let command = form.cmd.clone().unwrap_or_default();
    let mut spec = JobSpec::new(command.clone());
    if command.is_empty() {
        spec.outcome = Outcome::RunForever; // the image's own entrypoint (e.g. a notebook) runs until released
    }
    spec.name = form.remark.clone();
    spec.env = form
        .envs
        .iter()
        .flat_map(|e| e.split(';'))
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    spec.metadata = [
        ("gpuName".to_owned(), gpu),
        ("agentDomain".to_owned(), form.agent_domain.to_string()),
        (
            "fromImageId".to_owned(),
            form.from_image_id.unwrap_or(0).to_string(),
        ),
        (
            "fromSnapshotId".to_owned(),
            form.from_snapshot_id.unwrap_or(0).to_string(),
        ),
    ]
    .into();
    let job = super::add_job(state, &Matpool, spec);
    Resp::json_every_field(
        200,
        &typed::<JobResponse>(json!({"code": 0, "msg": "", "job": render(&job, state)})),
        Absent::DocumentedNull,
    )
}

fn status_code(phase: Phase) -> i64 {
    match phase {
        Phase::Queued => 1,
        Phase::Starting => 2,
        Phase::Running => 3,
        Phase::Canceling => 5,
        Phase::Succeeded | Phase::Failed(_) | Phase::Canceled => 4,
    }
}

fn render(job: &SimJob, state: &State) -> Job {
    let (now, timing) = (state.now(), &state.config.timing);
    let id: i64 = job.id.parse().unwrap_or_default();
    let ts = |at| json!({"seconds": unix_seconds(at)});
    // A new job is first 6 (initializing), then 1 (queued) at the same second, as in Matpool's example.
    let mut codes = Vec::new();
    for (phase, at) in job.history(now, timing) {
        if phase == Phase::Queued {
            codes.push((6, at));
        }
        codes.push((status_code(phase), at));
    }
    let log: Vec<Value> = codes
        .iter()
        .enumerate()
        .map(|(n, (status, at))| {
            json!({"id": 2_499_000 + n as i64, "status": status, "ts": ts(*at), "sourceId": id})
        })
        .collect();
    let current = codes.last().map_or(6, |(s, _)| *s);
    let meta = |key: &str| job.spec.metadata.get(key).cloned();
    let number = |key: &str| meta(key).and_then(|v| v.parse::<i64>().ok());
    let token = random_token(&job.id);
    let password = match &job.spec.secret {
        Some(secret) => secret.expose().to_owned(),
        None => format!("pw-{}", &token[..8]),
    };
    let envs: Vec<String> = job
        .spec
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    typed(json!({
        "id": id,
        "ctx": {
            "ownerId": 724,
            "nodeId": 1_699_000 + job.seq as i64,
            "clientID": 10001,
            "nodeDisplayID": &random_token(&format!("node{}", job.seq))[..6],
            "class": "",
            "aotuRelease": false,
            "nodeDomain": 0,
        },
        "state": {"status": current, "log": log},
        "status": current,
        "app": {
            "name": "",
            "ver": "",
            "envs": envs.join(";"),
            "format": 2,
            "cmd": job.spec.command,
            "hostname": "",
            "creds": "",
            "ports": [
                {"port": 22, "protocol": 1},
                {"port": 8888, "protocol": 2},
            ],
            "urls": {
                "port_22": {"urls": [format!("ssh://sandbox.matpool.invalid:{}", 26000 + job.seq)]},
                "port_8888": {"urls": [format!(
                    "https://sandbox.matpool.invalid:{}?token={token}",
                    27000 + job.seq
                )]},
            },
            "fromSnapshotId": number("fromSnapshotId").unwrap_or(0), // 0: none, as Matpool sends it
            "SSHAuths": [{"BaseOn": {"Cred": {
                "id": 1_887_000 + job.seq as i64,
                "user": "root",
                "password": password,
            }}}],
            "remark": job.spec.name.clone().unwrap_or_default(),
            "fromImageId": number("fromImageId").unwrap_or(633_839),
        },
        "res": {
            "cpus": 0,
            "gpus": 0,
            "diskGB": 0,
            "gpuName": meta("gpuName").unwrap_or_else(|| "NVIDIA A16".into()),
            "domain": "all",
            "agentDomain": number("agentDomain").unwrap_or(0),
        },
        "createTime": ts(job.created),
        "queueLen": 0,
        "displayID": &random_token(&format!("display{}", job.id))[..6],
        "autoRelease": false,
        "desc": "",
    }))
}

/// A stable pseudo-random token derived from `seed` (so a job shows the same one every time).
fn random_token(seed: &str) -> String {
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut rng = fastrand::Rng::with_seed(hash);
    (0..10).map(|_| rng.alphanumeric()).collect()
}
