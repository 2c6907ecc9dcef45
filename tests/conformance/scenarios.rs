//! The scenarios every provider must pass, each gated by what the provider
//! can do (see `Capabilities`).

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use gpujobs::prelude::*;
use gpujobs::{Logs, PagingGuard, TimeoutScope};
use gpujobs_sandbox::{Fault, FaultRule, JobSpec};

use crate::{CANARY_TOKEN, Harness, skip};

/// A submit request `h`'s provider can run: the common fields it takes, and
/// what it needs of its own (Matpool: a GPU model and an image).
fn submit_request(h: &Harness, command: &str) -> SubmitRequest {
    let takes = h.kind.descriptor().submit;
    let custom = matches!(h.kind, ProviderKind::Custom(_));
    let mut request = SubmitRequest::new(command)
        .name("conformance")
        .env("STAGE", "test");
    if takes.takes(gpujobs::SubmitField::WorkingDir) || custom {
        request = request.working_dir("file:///sandbox/job.zip");
    }
    if h.kind == ProviderKind::Matpool {
        request = request.options(
            gpujobs::matpool::MatpoolOptions::default()
                .gpu_model("NVIDIA A16")
                .image(633839),
        );
    }
    request
}

pub async fn submit_get_cancel(h: &Harness) {
    if !h.caps().submit {
        let err = h
            .provider
            .submit(&submit_request(h, "x"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        return skip(h, "submit is unsupported (and says so)");
    }
    let job = h
        .provider
        .submit(&submit_request(h, "python serve.py; sleep infinity"))
        .await
        .unwrap();
    assert!(!job.id.is_empty());
    let again = h.provider.get(&job.id).await.unwrap();
    assert_eq!(
        (again.id.as_str(), again.provider),
        (job.id.as_str(), h.kind)
    );
    let outcome = h.provider.cancel(&job.id).await.unwrap();
    assert!(
        matches!(
            outcome,
            CancelOutcome::Stopped(_) | CancelOutcome::Accepted(_)
        ),
        "{outcome:?}"
    );
    let end = h.provider.wait(&job.id, &h.wait_options()).await.unwrap();
    assert_eq!(end.status, JobStatus::Canceled);
}

pub async fn wait_reaches_succeeded(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    let job = h.provider.wait(&id, &h.wait_options()).await.unwrap();
    assert_eq!(job.status, JobStatus::Succeeded);
    assert!(job.exit_code.is_none_or(|c| c == 0));
    assert!(job.created_at.is_some(), "every provider dates its jobs");
}

pub async fn wait_reports_failure(h: &Harness) {
    let id = h.add(JobSpec::new("python broken.py; exit 3"));
    let job = h.provider.wait(&id, &h.wait_options()).await.unwrap();
    if !h.caps().reports_failure {
        assert!(job.status.is_terminal());
        return skip(h, "the provider reports every ended job as completed");
    }
    assert_eq!(job.status, JobStatus::Failed);
    assert!(
        job.failure_reason.is_some(),
        "a failure has a reason: {job:?}"
    );
    assert!(
        job.exit_code.is_none_or(|c| c == 3),
        "exit code {:?}",
        job.exit_code
    );
}

pub async fn wait_reaches_canceled(h: &Harness) {
    let id = h.add(JobSpec::new("sleep infinity"));
    h.provider.cancel(&id).await.unwrap();
    let job = h.provider.wait(&id, &h.wait_options()).await.unwrap();
    assert_eq!(job.status, JobStatus::Canceled);
}

pub async fn wait_times_out_with_the_last_job(h: &Harness) {
    let id = h.add(JobSpec::new("sleep infinity"));
    let options = h.wait_options().timeout(Duration::from_millis(150));
    let err = h.provider.wait(&id, &options).await.unwrap_err();
    let Error::Timeout {
        scope: TimeoutScope::Wait,
        last_job: Some(last),
        ..
    } = &err
    else {
        panic!("expected a wait timeout with the last job, got {err}");
    };
    assert_eq!(last.id, id);
    assert!(!last.status.is_terminal());
}

pub async fn cancel_is_idempotent(h: &Harness) {
    let done = h.add(JobSpec::new("python ok.py"));
    h.provider.wait(&done, &h.wait_options()).await.unwrap();
    for _ in 0..2 {
        let outcome = h.provider.cancel(&done).await.unwrap();
        assert!(
            matches!(&outcome, CancelOutcome::AlreadyEnded(job) if job.status.is_terminal()),
            "{outcome:?}"
        );
    }
    let running = h.add(JobSpec::new("sleep infinity"));
    h.provider.cancel(&running).await.unwrap();
    let second = h.provider.cancel(&running).await.unwrap();
    let job = second.job();
    assert!(
        matches!(job.status, JobStatus::Canceling | JobStatus::Canceled),
        "{second:?}"
    );
}

pub async fn list_pages_without_duplicates_or_gaps(h: &Harness) {
    let added: BTreeSet<String> = (0..7)
        .map(|i| h.add(JobSpec::new(format!("python step{i}.py"))))
        .collect();
    let listed: Vec<Job> = h
        .provider
        .list(ListOptions::default().page_size(2))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = listed.iter().map(|j| j.id.clone()).collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates in {ids:?}");
    assert_eq!(unique, added, "listed and added differ");
    let limited: Vec<Job> = h
        .provider
        .list(ListOptions::default().page_size(2).limit(3))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(limited.len(), 3);
    if h.caps().server_paging {
        let pages = h
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && !r.path.contains(&added.first().unwrap()[..]))
            .count();
        assert!(
            pages >= 4,
            "7 jobs at 2 a page take 4 requests, saw {pages}"
        );
    }
}

pub async fn not_found(h: &Harness) {
    let err = h.provider.get("999999999").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().starts_with(h.kind.as_str()), "{err}");
}

pub async fn unauthenticated(h: &Harness) {
    let Some(wrong) = h.with_wrong_credential() else {
        return skip(h, "no credential to get wrong");
    };
    let id = h.add(JobSpec::new("python ok.py"));
    let err = wrong.get(&id).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err}");
}

pub async fn rate_limited_honours_retry_after(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    if !h.inject(
        FaultRule::new(Fault::RateLimited {
            retry_after_secs: 2,
        })
        .job(&id)
        .times(1),
    ) {
        return skip(h, "no HTTP layer");
    }
    h.provider.get(&id).await.unwrap();
    assert_eq!(h.clock.sleeps(), [Duration::from_secs(2)]);
}

pub async fn unavailable_is_retried_up_to_the_limit(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    if !h.inject(FaultRule::new(Fault::Status(503)).job(&id)) {
        return skip(h, "no HTTP layer");
    }
    let err = h.provider.get(&id).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                status: Some(503),
                ..
            }
        ),
        "{err}"
    );
    let attempts = h.requests().iter().filter(|r| r.path.contains(&id)).count();
    assert_eq!(attempts, 4, "the default policy makes 4 attempts");
    assert_eq!(h.clock.sleeps().len(), 3);
}

pub async fn job_creating_post_is_not_retried_on_500(h: &Harness) {
    if !h.caps().submit {
        return skip(h, "submit is unsupported");
    }
    if !h.inject(FaultRule::new(Fault::Status(500)).method("POST").times(1)) {
        return skip(h, "no HTTP layer");
    }
    let result = h.provider.submit(&submit_request(h, "python ok.py")).await;
    let posts = h.requests().iter().filter(|r| r.method == "POST").count();
    let jobs = h
        .provider
        .list(ListOptions::default())
        .try_collect::<Vec<Job>>()
        .await
        .unwrap();
    if h.caps().idempotent_submit {
        // The submit can be recognised when repeated: repeating it is safe, and made exactly one job.
        result.unwrap();
        assert_eq!((posts, jobs.len()), (2, 1));
    } else {
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Api {
                    status: Some(500),
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!((posts, jobs.len()), (1, 0), "sent once, nothing created");
    }
}

pub async fn dropped_connection_is_retried_for_reads(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    if !h.inject(FaultRule::new(Fault::Drop).job(&id).times(1)) {
        return skip(h, "no HTTP layer");
    }
    let job = h.provider.get(&id).await.unwrap();
    assert_eq!(job.id, id);
}

pub async fn unknown_status_is_unknown_and_not_terminal(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    if !h.inject(FaultRule::new(Fault::UnknownStatus).job(&id)) {
        return skip(h, "no wire format to extend");
    }
    let job = h.provider.get(&id).await.unwrap();
    assert!(
        matches!(job.status, JobStatus::Unknown(_)),
        "{:?}",
        job.status
    );
    assert!(!job.status.is_terminal());
    assert!(!job.provider_status.is_empty());
}

pub async fn extra_field_is_ignored(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    if !h.inject(FaultRule::new(Fault::ExtraField).job(&id)) {
        return skip(h, "no wire format to extend");
    }
    assert_eq!(h.provider.get(&id).await.unwrap().id, id);
}

pub async fn cut_short_body_is_a_clear_error(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    if !h.inject(FaultRule::new(Fault::CutShort).job(&id)) {
        return skip(h, "no HTTP layer");
    }
    let err = h.provider.get(&id).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("cut short"), "{err}");
}

pub async fn logs_where_supported(h: &Harness) {
    let id = h.add(JobSpec::new("echo hello-from-the-job"));
    h.provider.wait(&id, &h.wait_options()).await.unwrap();
    match (h.caps().logs, h.provider.logs(&id).await) {
        (true, Ok(Logs::Text(text))) => assert!(text.contains("hello-from-the-job"), "{text}"),
        (true, Ok(Logs::Url(url))) => assert!(url.expose().contains(&id), "{url}"),
        (false, Err(Error::Unsupported { .. })) => skip(h, "no logs (and says so)"),
        (supported, other) => panic!("logs supported={supported} but got {other:?}"),
    }
}

pub async fn secret_canaries_never_leak(h: &Harness) {
    let password = "canary-password-41b2";
    let id = h.add(JobSpec::new("python ok.py").secret(password));
    let job = h.provider.get(&id).await.unwrap();
    let mut shown = format!(
        "{:?} {job:?} {job:#?} {}",
        h.provider,
        serde_json::to_string(&job).unwrap()
    );
    if let Some(wrong) = h.with_wrong_credential() {
        let err = wrong.get(&id).await.unwrap_err();
        shown.push_str(&format!("{err} {err:?} {wrong:?}"));
    }
    for canary in [CANARY_TOKEN, password] {
        assert!(!shown.contains(canary), "{canary} leaked: {shown}");
    }
}

/// Lists with `options`, after adding `n` jobs: the ids added, the ids listed and the error that ended the listing.
async fn list_after_adding(
    h: &Harness,
    n: usize,
    options: ListOptions,
) -> (BTreeSet<String>, Vec<String>, Option<Error>) {
    let added = (0..n)
        .map(|i| h.add(JobSpec::new(format!("python step{i}.py"))))
        .collect();
    let all: Vec<Result<Job, Error>> = h.provider.list(options).collect().await;
    let listed = all
        .iter()
        .filter_map(|j| j.as_ref().ok())
        .map(|j| j.id.clone())
        .collect();
    (added, listed, all.into_iter().find_map(Result::err))
}

fn assert_unique(ids: &[String]) {
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates in {ids:?}");
}

pub async fn paging_in_circles_ends_with_an_error(h: &Harness) {
    if !h.inject(FaultRule::new(Fault::PagingLoop)) {
        return skip(h, "no HTTP layer");
    }
    let (added, listed, error) = list_after_adding(h, 5, ListOptions::default().page_size(2)).await;
    assert_unique(&listed);
    let lists = h.requests().iter().filter(|r| r.method == "GET").count();
    if !h.caps().server_paging {
        assert!(error.is_none(), "{error:?}");
        return skip(h, "one answer holds every job: nothing to loop");
    }
    assert!(
        matches!(
            error,
            Some(Error::Paging {
                guard: PagingGuard::RepeatedPage,
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(
        (listed.len(), lists),
        (2, 2),
        "page 1 once, then the repeat is caught"
    );
    assert!(listed.iter().all(|id| added.contains(id)));
}

pub async fn a_repeated_cursor_ends_with_an_error(h: &Harness) {
    if !h.inject(FaultRule::new(Fault::RepeatedCursor)) {
        return skip(h, "no HTTP layer");
    }
    let (added, listed, error) = list_after_adding(h, 7, ListOptions::default().page_size(2)).await;
    assert_unique(&listed);
    match error {
        None => assert_eq!(
            listed.into_iter().collect::<BTreeSet<_>>(),
            added,
            "no cursors to repeat"
        ),
        Some(Error::Paging {
            guard: PagingGuard::RepeatedCursor,
            pages,
            ..
        }) => {
            assert_eq!((pages, listed.len()), (2, 4))
        }
        Some(other) => panic!("{other}"),
    }
}

pub async fn duplicate_jobs_are_listed_once(h: &Harness) {
    if !h.inject(FaultRule::new(Fault::DuplicateItems)) {
        return skip(h, "no HTTP layer");
    }
    let (added, listed, error) = list_after_adding(h, 5, ListOptions::default().page_size(2)).await;
    assert!(error.is_none(), "{error:?}");
    assert_unique(&listed);
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), added);
}

pub async fn listing_stops_at_the_page_limit(h: &Harness) {
    let options = ListOptions::default().page_size(2).max_pages(2);
    let (added, listed, error) = list_after_adding(h, 7, options).await;
    assert_unique(&listed);
    if !h.caps().server_paging {
        assert!(error.is_none(), "{error:?}");
        return assert_eq!(listed.len(), added.len());
    }
    assert!(
        matches!(
            error,
            Some(Error::Paging {
                guard: PagingGuard::PageLimit(2),
                pages: 2,
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(listed.len(), 4);
}

pub async fn an_oversized_answer_is_refused(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    for declared in [true, false] {
        let huge = Fault::Huge {
            bytes: 64 << 20,
            declared,
        };
        if !h.inject(FaultRule::new(huge).job(&id).times(1)) {
            return skip(h, "no HTTP layer");
        }
        let err = h.provider.get(&id).await.unwrap_err();
        assert!(
            matches!(err, Error::ResponseTooLarge { limit, .. } if limit == 8 << 20),
            "{err}"
        );
    }
    let asked = h.requests().iter().filter(|r| r.path.contains(&id)).count();
    assert_eq!(asked, 2, "an oversized answer is not asked for again");
    assert_eq!(h.provider.get(&id).await.unwrap().id, id);
}

pub async fn a_read_cut_short_once_is_retried(h: &Harness) {
    let id = h.add(JobSpec::new("python ok.py"));
    if !h.inject(FaultRule::new(Fault::CutShort).job(&id).times(1)) {
        return skip(h, "no HTTP layer");
    }
    assert_eq!(h.provider.get(&id).await.unwrap().id, id);
    let asked = h.requests().iter().filter(|r| r.path.contains(&id)).count();
    assert_eq!(asked, 2, "the broken answer, then the whole one");
}

pub async fn a_submit_whose_answer_is_lost_makes_one_job(h: &Harness) {
    if !h.caps().submit {
        return skip(h, "submit is unsupported");
    }
    // The provider acts on the submit, then the answer never arrives.
    if !h.inject(FaultRule::new(Fault::DropAnswer).method("POST").times(1)) {
        return skip(h, "no HTTP layer");
    }
    let result = h.provider.submit(&submit_request(h, "python ok.py")).await;
    let jobs = h
        .provider
        .list(ListOptions::default())
        .try_collect::<Vec<Job>>()
        .await
        .unwrap();
    match h.caps().idempotent_submit {
        true => {
            let job = result.unwrap();
            assert_eq!(jobs.len(), 1, "one job, adopted: {jobs:?}");
            assert_eq!(jobs[0].id, job.id);
        }
        false => {
            assert!(
                result.is_err(),
                "a lost answer is an error, not a second submit"
            );
            assert_eq!(jobs.len(), 1, "the provider made it; it was not sent again");
        }
    }
}
