//! What a provider written outside gpujobs gets from the library.

use futures_util::TryStreamExt;
use gpujobs::prelude::*;
use gpujobs::{ErrorKind, PagingGuard};
use gpujobs_example_custom_provider::{Acme, KIND};

#[tokio::test]
async fn wait_display_errors_and_paging_guards_come_from_the_library() {
    let acme = Acme::default();
    let job = acme.submit(&SubmitRequest::new("train")).await.unwrap();
    let done = acme.wait(&job.id, &WaitOptions::default()).await.unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.to_string(), "acme/acme-1: succeeded (exit 0)");
    let missing = acme.get("nope").await.unwrap_err();
    assert_eq!(missing.to_string(), "acme: not found: no job nope");
    assert_eq!(missing.provider(), KIND);

    for _ in 0..6 {
        acme.submit(&SubmitRequest::new("train")).await.unwrap();
    }
    let listed: Vec<Job> = acme
        .list(ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 7, "three pages of three, each job once");

    // A provider that pages in circles is stopped by the library, every job listed once.
    let mut looping = acme.clone();
    looping.loops = true;
    let mut listing = looping.list(ListOptions::default());
    let mut seen = Vec::new();
    let stopped = loop {
        match listing.try_next().await {
            Ok(Some(job)) => seen.push(job.id),
            Ok(None) => panic!("a listing in circles must not end as if complete"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen.len(), 3);
    assert_eq!(stopped.kind(), ErrorKind::Paging);
    assert!(
        matches!(
            stopped,
            Error::Paging {
                guard: PagingGuard::RepeatedCursor | PagingGuard::RepeatedPage,
                ..
            }
        ),
        "{stopped}"
    );
}
