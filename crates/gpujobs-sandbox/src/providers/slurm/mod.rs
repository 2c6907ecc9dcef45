//! Slurm's REST API as slurmrestd serves it, for one chosen release
//! ([`SlurmRelease`]): the API versions that release serves, listed in its
//! `/openapi/v3`, each in its own shapes — v0.0.38 (22.05) with a string
//! `job_state`, raw wait statuses and plain-second times; v0.0.40 to v0.0.45
//! (24.11, 26.05) with state lists, `{set, infinite, number}` numbers and
//! exit records. Authentication as each release takes it: 22.05 wants a user
//! name and a token; later releases the token alone (or `Authorization:
//! Bearer`, but not both). Failures as each sends them: 500 with an `errors`
//! list (22.05), 404, 511 or 500 with one (later), plain text for what
//! slurmrestd itself refuses.
//!
//! Read bottom-up: `auth` (who may ask), `jobs` (what both families share: a
//! job as Slurm shows it, a submit's fields, error entries), `v0_0_38` and
//! `v0_0_42` (each family's answers, named as the facade and the generated
//! clients name them), and here each release's words and the routing.

mod auth;
mod jobs;
mod v0_0_38;
mod v0_0_42;

use gpujobs::ProviderKind;
use serde_json::{Value, json};

use super::{Emulator, largest_number};
use crate::SlurmRelease;
use crate::faults::Fault;
use crate::state::State;
use crate::wire::{Req, Resp};

const KIND: ProviderKind = ProviderKind::Slurm;

/// How each release's slurmrestd words things (the emulator's side of [`SlurmRelease`]).
impl SlurmRelease {
    /// Whether it sends the data parser's shapes (v0.0.40 on).
    pub(super) fn data_parser(self) -> bool {
        self != Self::V22_05
    }

    /// `info.version` of its `/openapi/v3`, as each release writes it.
    pub(super) fn info_version(self) -> &'static str {
        match self {
            Self::V22_05 => "0.0.38",
            Self::V24_11 => "Slurm-24.11.5&openapi/slurmctld",
            Self::V26_05 => "Slurm-26.05.5",
        }
    }

    /// Its 404 for a path it does not serve (plain text).
    pub(super) fn not_found(self) -> &'static str {
        match self {
            Self::V26_05 => {
                "Unable to find requested URL endpoint. Please query the '/openapi/v3' endpoint or visit 'https://slurm.schedmd.com/rest_api.html' for the OpenAPI specification which includes a list of all possible slurmrestd endpoints."
            }
            _ => "Unable find requested URL. Please view /openapi/v3 for API reference.",
        }
    }
}

/// Slurm's wire format.
#[derive(Debug)]
pub(crate) struct Slurm;

impl Emulator for Slurm {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    /// Job ids count up, as slurmctld's do.
    fn new_id(&self, state: &State) -> String {
        largest_number(state, KIND)
            .map_or(1000, |n| n + 1)
            .to_string()
    }

    fn unknown_status(&self, state: &State) -> (&'static str, Value) {
        match state.config.slurm_release.data_parser() {
            true => ("/jobs/0/job_state", json!(["PENDING", "SPECIAL_EXIT"])),
            false => ("/jobs/0/job_state", Value::from("SPECIAL_EXIT")),
        }
    }

    fn list_pointer(&self) -> &'static str {
        "/jobs"
    }

    fn endpoints(&self) -> Vec<gpujobs_runtime::Endpoint> {
        let mut all = gpujobs_slurm::v0_0_38::ENDPOINTS.to_vec();
        all.extend_from_slice(gpujobs_slurm::v0_0_42::ENDPOINTS);
        all
    }

    fn method_not_allowed(&self) -> &'static str {
        "Requested REST method is not defined at URL. Please view /openapi/v3 for API reference."
    }

    fn handle(&self, req: &Req, state: &State, _fault: Option<&Fault>) -> Resp {
        let release = state.config.slurm_release;
        if let Some(refused) = auth::refused(req, state, release) {
            return refused;
        }
        let (method, path) = req.route();
        if method == "GET" && path == ["openapi", "v3"] {
            return Resp::json(200, &openapi(release, state.config.slurm_accounting));
        }
        let served = |version: &str| release.versions().contains(&version);
        let accounting = state.config.slurm_accounting;
        match path.as_slice() {
            ["slurm", "v0.0.38", rest @ ..] if served("v0.0.38") => {
                v0_0_38::handle(req, state, method, rest)
            }
            ["slurm", version, rest @ ..] if served(version) && release.data_parser() => {
                v0_0_42::handle(req, state, version, method, rest)
            }
            ["slurmdb", "v0.0.38", rest @ ..] if accounting && served("v0.0.38") => {
                v0_0_38::accounting(req, state, method, rest)
            }
            ["slurmdb", version, rest @ ..]
                if accounting && served(version) && release.data_parser() =>
            {
                v0_0_42::accounting(req, state, version, method, rest)
            }
            _ => Resp::text(404, release.not_found()),
        }
    }
}

/// The release's `/openapi/v3`: its version, and its job paths (the rest of the
/// real document, 0.9 MB of it, is left out).
fn openapi(release: SlurmRelease, accounting: bool) -> Value {
    let mut paths = serde_json::Map::new();
    for version in release.versions() {
        let (jobs, accounted) = match release.data_parser() {
            true => (
                ["jobs/", "job/{job_id}", "job/submit", "jobs/state/"].as_slice(),
                ["jobs/", "job/{job_id}"].as_slice(),
            ),
            false => (
                ["jobs", "job/{job_id}", "job/submit"].as_slice(),
                ["jobs", "job/{job_id}"].as_slice(),
            ),
        };
        for path in jobs {
            paths.insert(format!("/slurm/{version}/{path}"), json!({}));
        }
        for path in accounted.iter().filter(|_| accounting) {
            paths.insert(format!("/slurmdb/{version}/{path}"), json!({}));
        }
    }
    json!({ "openapi": "3.0.3", "info": { "title": "Slurm REST API", "version": release.info_version() }, "paths": paths })
}
