//! A submit that never makes two jobs. Slurm has no client-chosen job id:
//! the job's `comment` carries a mark — the submit's token (the chosen
//! [`SubmitRequest::id`], or a fresh one) and a fingerprint of the request —
//! by which a repeated submit finds the job it made, and a submit whose
//! answer was lost looks for its job before it is sent again.

use super::client::SubmitBody;
use super::{KIND, SlurmOptions, SlurmProvider, body};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::provider::JobProvider;
use crate::providers::protocols::{Sent, send_or_find};
use crate::providers::fresh_id;
use crate::submit::SubmitRequest;

/// Submits `request`: the same request under an id already used returns
/// that job, as Ray does, and another request under it is a
/// [`Error::Conflict`]; a submit whose answer is lost is found by its mark.
pub(super) async fn submit(p: &SlurmProvider, request: &SubmitRequest) -> Result<Job> {
    match send(p, request, None).await? {
        Sent::Id(id) => p.get(&id).await,
        Sent::Found(job) => Ok(*job),
    }
}

/// Sends `request` once (as an array of the tasks `array` names, where one
/// is given): its job's id, or the job an earlier submit under its id made.
pub(super) async fn send(p: &SlurmProvider, request: &SubmitRequest, array: Option<&str>) -> Result<Sent> {
    let token = request.id.clone().unwrap_or_else(fresh_id);
    let body = SubmitBody::new(p.api_version().await?, request, &mark(&token, request), array)?;
    let earlier = match request.id {
        Some(_) => find(p, &token, request).await?,
        None => None,
    };
    if let Some((job, same)) = earlier {
        return match same {
            true => Ok(Sent::Found(Box::new(job))),
            false => Err(Error::conflict(KIND, format!("id {token} was already submitted, as Slurm job {}, with another request", job.id))),
        };
    }
    let sent = send_or_find(p.ctx(), || p.submit_body(&body), || async { Ok(find(p, &token, request).await?.map(|(job, _)| job)) }, answer_may_be_lost);
    sent.await.map_err(|e| with_what_was_asked(e, request))
}

/// The job carrying a submit's token, and whether the same request made it.
async fn find(p: &SlurmProvider, token: &str, request: &SubmitRequest) -> Result<Option<(Job, bool)>> {
    let (token_mark, same_mark) = (format!("gpujobs-token={token} "), mark(token, request));
    Ok(p.fetch_all()
        .await?
        .with_comments()
        .into_iter()
        .find(|(_, comment)| comment.starts_with(&token_mark))
        .map(|(job, comment)| (job, comment == same_mark)))
}

/// A refusal of the job, saying what it asked of the cluster.
fn with_what_was_asked(error: Error, request: &SubmitRequest) -> Error {
    match (error, body::asked(request)) {
        (Error::InvalidRequest { message, fields, source, .. }, Some(asked)) => Error::InvalidRequest {
            provider: KIND,
            message: format!("{message} (asked for {asked})"),
            fields,
            source,
        },
        (error, _) => error,
    }
}

/// The mark a submit leaves in the job's `comment`: its token, and a
/// fingerprint of what was asked, so that the same request under the same id
/// finds its job and a different one is a conflict.
fn mark(token: &str, request: &SubmitRequest) -> String {
    format!("gpujobs-token={token} gpujobs-request={:016x}", fingerprint(request))
}

/// A stable hash (FNV-1a) of what a submit asks Slurm for. Environment values
/// are left out: they may be secrets, and a comment is visible to the cluster.
fn fingerprint(request: &SubmitRequest) -> u64 {
    let env: Vec<&String> = request.env.keys().collect();
    let options = SlurmOptions::of(request);
    let asked = format!(
        "{:?}",
        (
            &request.command,
            env,
            &request.name,
            &request.working_dir,
            &options.partition,
            &options.output,
            options.time_limit.map(|t| t.as_secs()),
            request.cpus.map(f64::to_bits),
            request.gpus.map(f64::to_bits),
            request.memory_bytes,
        )
    );
    asked
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Whether a submit that failed with `error` may have made the job all the
/// same: the request may have reached slurmrestd and its answer was lost.
fn answer_may_be_lost(error: &Error) -> bool {
    match error {
        Error::Transport { .. } | Error::Timeout { .. } => true,
        // slurmrestd's own refusals carry an error code; a bare 5xx came from in between.
        Error::Api { status, code, .. } => code.is_none() && status.is_none_or(|s| s >= 500),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_request_under_one_id_leaves_the_same_mark() {
        let request = SubmitRequest::new("python train.py").env("KEY", "secret-1");
        let again = SubmitRequest::new("python train.py").env("KEY", "secret-2");
        assert_eq!(mark("a", &request), mark("a", &again), "env values are not part of it");
        assert_ne!(mark("a", &request), mark("a", &SubmitRequest::new("python eval.py")));
        assert!(mark("a", &request).starts_with("gpujobs-token=a gpujobs-request="));
    }
}
