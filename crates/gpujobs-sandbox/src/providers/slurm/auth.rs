//! Who may ask: each release's authentication (22.05 wants a user name and a
//! token; later releases the token alone, or a bearer token, not both).

use serde_json::json;

use super::jobs::error;
use super::{KIND, v0_0_38, v0_0_42};
use crate::SlurmRelease;
use crate::state::State;
use crate::wire::{Req, Resp};

/// A request slurmrestd (or slurmctld) refuses for its credentials, if it does.
pub(super) fn refused(req: &Req, state: &State, release: SlurmRelease) -> Option<Resp> {
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let (user, token, bearer) = (
        header("x-slurm-user-name"),
        header("x-slurm-user-token"),
        req.bearer(),
    );
    let token = match (release, user, token, bearer) {
        // 22.05 wants both headers and knows no Bearer.
        (SlurmRelease::V22_05, Some(_), Some(token), _) => token,
        (SlurmRelease::V22_05, ..) => return Some(Resp::text(401, "Authentication failure")),
        // Later: the token alone, as a header or Bearer — both at once is ambiguous.
        (_, _, Some(_), Some(_)) | (_, _, None, None) => {
            return Some(Resp::text(401, "Authentication failure"));
        }
        (_, _, Some(token), None) | (_, _, None, Some(token)) => token,
    };
    if state.accepts(KIND, Some(token)) {
        return None;
    }
    // slurmrestd passes the token on; slurmctld refuses it.
    Some(match release {
        SlurmRelease::V22_05 => v0_0_38::answer(
            500,
            error(
                -1,
                "Unspecified error",
                "Failed while looking for jobs",
                "slurm_load_jobs",
            ),
            json!({ "jobs": [] }),
        ),
        _ => v0_0_42::answer(
            release,
            "v0.0.42",
            511,
            error(
                1007,
                "Protocol authentication error",
                "Unable to query jobs",
                "slurm_load_jobs()",
            ),
            json!({ "jobs": [] }),
        ),
    })
}
