//! What Slurm says went wrong: the `errors` list every answer carries (its
//! numbers read into [`Error`] kinds), and slurmrestd's own plain-text refusals.

use serde::Deserialize;

use super::KIND;
use crate::error::Error;
use crate::field::Field;

/// One entry of an answer's `errors` list, in every version's spelling.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Reported {
    pub error_number: Option<i64>,
    /// What a held submit (v0.0.38) numbers its error as.
    pub error_code: Option<i64>,
    pub error: Option<String>,
    pub description: Option<String>,
}

/// An answer's `errors`, whatever else it holds.
#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    errors: Vec<Reported>,
}

/// Slurm's numbers for a request it will never accept as sent (seen live):
/// an invalid partition, no script, a node configuration (e.g. GPUs) the
/// cluster does not have, no working directory (23.02 on), an array it
/// cannot make (an index at or above `MaxArraySize`), a body it could not
/// parse.
const REFUSED_REQUEST: [i64; 6] = [2000, 2009, 2014, 2063, 2081, 9001];

/// The error an `errors` list reports, if any. 2017 is an unknown job; 1007
/// ("Protocol authentication error", from 23.02) and -1 ("Unspecified
/// error", 22.05) are how slurmctld refuses a token.
pub(super) fn reported(errors: &[Reported]) -> Option<Error> {
    let first = errors.first()?;
    let number = first.error_number.or(first.error_code);
    let text = [first.error.as_deref(), first.description.as_deref()]
        .into_iter()
        .flatten()
        .map(|t| t.trim().trim_end_matches('.'))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    let message = crate::text::shorten(&text);
    Some(match number {
        Some(2017) => Error::not_found(KIND, message),
        Some(number) if REFUSED_REQUEST.contains(&number) => {
            let hint = match number {
                2063 => " (set `working_dir`)",
                2081 => " (every index must be below the cluster's MaxArraySize, 1001 unless the site raised it)",
                _ => "",
            };
            Error::invalid(KIND, format!("Slurm refused the job: {message}{hint}"))
        }
        Some(-1 | 1007) => Error::Unauthenticated {
            provider: KIND,
            message: format!("{message} (slurmctld refused the token: expired, or made for another cluster? check SLURM_JWT)"),
            source: None,
        },
        _ => Error::Api {
            provider: KIND,
            status: None,
            code: number.map(|n| n.to_string().into()),
            message,
            body: None,
            request_id: None,
            source: None,
        },
    })
}

/// What a failed answer says: its `errors`, or, for a text answer, what
/// slurmrestd itself refused.
pub(super) fn answer_error(status: u16, body: &str) -> Option<Error> {
    let text = body.trim_start();
    if status == 404 && (text.starts_with("Unable to find requested URL") || text.starts_with("Unable find requested URL")) {
        // slurmrestd's own 404, for a path it does not serve (JSON 404s are unknown jobs).
        return Some(Error::config_of(
            KIND,
            Field::Setting("api_version"),
            format!(
                "this slurmrestd does not serve the API version asked for (it answered 404: {}): pin a version it serves with `api_version`, or leave the choice to gpujobs",
                crate::text::shorten(body.lines().next().unwrap_or_default())
            ),
        ));
    }
    let answer: Answer = serde_json::from_str(body).ok()?;
    match reported(&answer.errors)? {
        Error::Api { code, message, .. } => Some(Error::Api {
            provider: KIND,
            status: Some(status),
            code,
            message,
            body: Some(crate::text::excerpt(body).into()),
            request_id: None,
            source: None,
        }),
        error => Some(error),
    }
}

/// `Err` with the error an answer's `errors` report, if any.
pub(super) fn check(errors: impl IntoIterator<Item = Reported>) -> crate::Result<()> {
    let errors: Vec<Reported> = errors.into_iter().collect();
    match reported(&errors) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}
