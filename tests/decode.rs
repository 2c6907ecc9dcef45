//! Every documented example payload (from the provider docs and providers.md,
//! including what a real Ray server returned) decodes into the generated
//! types, and so do answers with an unknown status value and an extra field.

use gpujobs_workspace_tests::{decode, payload_text};

mod ppio {
    use super::*;
    use gpujobs_ppio::types::{Job, ListJobsResponse, StopJobResponse};

    #[test]
    fn documented_payloads_decode() {
        let job: Job = decode("ppio", "get_job");
        assert_eq!(job.id.as_deref(), Some("job-id"));
        assert_eq!(job.status.unwrap().status.as_deref(), Some("Succeeded"));
        assert_eq!(job.created_at, Some(1714982400));
        let page: ListJobsResponse = decode("ppio", "list_jobs");
        assert_eq!(page.data.len(), 2);
        assert_eq!(page.has_more, Some(true));
        let _: StopJobResponse = decode("ppio", "stop_job");
    }

    #[test]
    fn unknown_status_and_extra_field_decode() {
        let job: Job = decode("ppio", "get_job_unknown_status_extra_field");
        assert_eq!(job.status.unwrap().status.as_deref(), Some("Migrating"));
    }
}

mod yuanrong {
    use super::*;
    use gpujobs_yuanrong::types::{AppInfo, ErrorMessage, SubmitJobResponse};

    #[test]
    fn documented_payloads_decode() {
        let job: AppInfo = decode("yuanrong", "get_job");
        assert_eq!(
            job.submission_id,
            "app-fe4ee1e5-d24f-4236-be15-7654e3c2229b"
        );
        assert_eq!(job.status.0, "SUCCEEDED");
        assert_eq!(job.start_time.as_deref(), Some("1755484077"));
        assert_eq!(job.driver_info.unwrap().pid.as_deref(), Some("748250"));
        assert_eq!(
            job.runtime_env["working_dir"],
            "file:///home/disk/tk/file.zip"
        );
        let jobs: Vec<AppInfo> = decode("yuanrong", "list_jobs");
        assert_eq!(jobs.len(), 2);
        let submitted: SubmitJobResponse = decode("yuanrong", "submit_job");
        assert!(submitted.submission_id.starts_with("app-"));
        assert!(decode::<bool>("yuanrong", "stop_job"));
        assert!(!decode::<bool>("yuanrong", "delete_job_forbidden"));
    }

    #[test]
    fn error_bodies_are_json_strings_or_the_jwt_middlewares_objects() {
        let error: ErrorMessage = decode("yuanrong", "error_not_found");
        let ErrorMessage::String(message) = &error else {
            panic!("{error:?}");
        };
        assert!(
            message.starts_with("not found app, submissionId: app-xxxxx"),
            "{message}"
        );
        let refused: ErrorMessage = serde_json::from_str(
            r#"{"error": "Authentication failed: no token provided. Please enter a valid JWT token."}"#,
        )
        .unwrap();
        assert!(
            matches!(&refused, ErrorMessage::AuthError(e) if e.error.starts_with("Authentication failed")),
            "{refused:?}"
        );
    }

    #[test]
    fn unknown_status_and_extra_field_decode() {
        let job: AppInfo = decode("yuanrong", "get_job_unknown_status_extra_field");
        assert_eq!(job.status.0, "SUSPENDED");
    }
}

mod ray {
    use super::*;
    use gpujobs_ray::types::{
        JobDeleteResponse, JobDetails, JobLogsResponse, JobStopResponse, JobSubmitResponse,
        VersionResponse,
    };

    #[test]
    fn real_server_payloads_decode() {
        let version: VersionResponse = decode("ray", "version");
        assert_eq!(version.ray_version, "2.60.0");
        let submitted: JobSubmitResponse = decode("ray", "submit_job");
        assert_eq!(submitted.submission_id, "raysubmit_AbC123");
        let pending: JobDetails = decode("ray", "get_job_pending");
        assert_eq!(pending.status.0, "PENDING");
        assert!(pending.driver_info.is_none() && pending.end_time.is_none());
        let done: JobDetails = decode("ray", "get_job_succeeded");
        assert_eq!(
            (done.status.0.as_str(), done.driver_exit_code),
            ("SUCCEEDED", Some(0))
        );
        assert_eq!(done.end_time, Some(1761991203456));
        let jobs: Vec<JobDetails> = decode("ray", "list_jobs");
        assert_eq!(jobs.len(), 2);
        let logs: JobLogsResponse = decode("ray", "get_job_logs");
        assert_eq!(logs.logs, "hi\n");
        let stopped: JobStopResponse = decode("ray", "stop_job_finished");
        assert!(!stopped.stopped);
        let deleted: JobDeleteResponse = decode("ray", "delete_job");
        assert!(deleted.deleted);
    }

    #[test]
    fn unknown_status_and_extra_field_decode() {
        let job: JobDetails = decode("ray", "get_job_unknown_status_extra_field");
        assert_eq!(job.status.0, "PREEMPTED");
    }
}

mod matpool {
    use super::*;
    use gpujobs_matpool::types::{Envelope, JobListResponse, JobResponse};

    #[test]
    fn documented_payloads_decode() {
        let page: JobListResponse = decode("matpool", "list_jobs");
        assert_eq!(page.code, 0);
        assert_eq!(page.pagination.as_ref().unwrap().num_pages, 2);
        assert_eq!(page.job.len(), 2);
        let job = &page.job[0];
        assert_eq!((job.id, job.status.0), (421236, 3));
        let history: Vec<i64> = job
            .state
            .as_ref()
            .unwrap()
            .log
            .iter()
            .map(|e| e.status.as_ref().unwrap().0)
            .collect();
        assert_eq!(history, [6, 1, 2, 3]);
        assert_eq!(job.create_time.as_ref().unwrap().seconds, 1744082021);
        let one: JobResponse = decode("matpool", "get_job");
        assert_eq!(one.job.unwrap().id, 421236);
        let canceled: Envelope = decode("matpool", "cancel_job");
        assert_eq!(canceled.code, 0);
    }

    #[test]
    fn error_envelopes_decode_with_their_code() {
        let bad_token: JobResponse = decode("matpool", "error_bad_token");
        assert_eq!(
            (bad_token.code, bad_token.msg.as_str()),
            (176, "check jwt token failed")
        );
        assert!(bad_token.job.is_none());
        let bad_param: JobListResponse = decode("matpool", "error_param_illegal");
        assert_eq!(bad_param.code, 6);
        assert!(bad_param.job.is_empty());
    }

    #[test]
    fn unknown_status_and_extra_field_decode() {
        let one: JobResponse = decode("matpool", "get_job_unknown_status_extra_field");
        assert_eq!(one.job.unwrap().status.0, 7);
    }

    #[test]
    fn ssh_passwords_are_secrets_that_never_print() {
        let raw = payload_text("matpool", "list_jobs");
        let page: JobListResponse = decode("matpool", "list_jobs");
        let cred = page.job[0].app.as_ref().unwrap().ssh_auths[0]
            .base_on
            .as_ref()
            .unwrap()
            .cred
            .as_ref()
            .unwrap();
        let password = cred.password.as_ref().unwrap();
        assert_eq!(password.expose(), "D]3F[wZ%pWS%oM0g");
        assert!(raw.contains(password.expose()));
        let shown = format!("{page:?} {page:#?}");
        for canary in ["D]3F[wZ%pWS%oM0g", "Eddlx9t#C7ICJ@@9"] {
            assert!(
                !shown.contains(canary),
                "password {canary} leaked into Debug output"
            );
        }
        assert!(shown.contains("[REDACTED]"));
    }
}

mod tensorpool {
    use super::*;
    use gpujobs_tensorpool::types::{
        HttpValidationError, JobCancelResponse, JobInfoResponse, JobListResponse, JobPullResponse,
        MessageResponse, RequestInfoResponse,
    };

    #[test]
    fn documented_payloads_decode() {
        let info: JobInfoResponse = decode("tensorpool", "get_job_info");
        assert_eq!(info.job_info["status"], "running");
        let invalid: HttpValidationError = decode("tensorpool", "error_validation");
        assert_eq!(invalid.detail[0].msg, "field required");
        let cancel: JobCancelResponse = decode("tensorpool", "cancel_job_accepted");
        assert_eq!(cancel.request_id.as_deref(), Some("req-1"));
        let list: JobListResponse = decode("tensorpool", "list_jobs");
        assert_eq!(list.jobs.as_ref().unwrap().len(), 1);
        let request: RequestInfoResponse = decode("tensorpool", "get_request_info");
        assert_eq!(request.status.0, "PROCESSING");
        let deleted: MessageResponse = decode("tensorpool", "delete_job");
        assert!(deleted.message.contains("deleted"));
        let pull: JobPullResponse = decode("tensorpool", "pull_job_finished");
        assert_eq!(pull.download_map.unwrap().len(), 1);
    }

    #[test]
    fn unknown_status_and_extra_field_decode() {
        let request: RequestInfoResponse =
            decode("tensorpool", "get_request_info_unknown_status_extra_field");
        assert_eq!(request.status.0, "QUEUED");
    }
}

/// Answers recorded from a real Ray 2.60.0 head node by `scripts/ray-live.sh`
/// (with `GPUJOBS_RECORD=1`), so offline tests use real shapes.
mod ray_live_recordings {
    use super::*;
    use gpujobs_ray::types::{JobDetails, JobLogsResponse, VersionResponse};

    #[test]
    fn every_recorded_answer_decodes() {
        let version: VersionResponse = decode("ray", "live/version");
        assert_eq!(version.ray_version, "2.60.0");
        let statuses: Vec<(String, Option<i32>)> = [
            "get_job_pending",
            "get_job_succeeded",
            "get_job_failed",
            "get_job_stopped",
        ]
        .iter()
        .map(|name| {
            let job: JobDetails = decode("ray", &format!("live/{name}"));
            (job.status.0, job.driver_exit_code)
        })
        .collect();
        assert_eq!(statuses[0].0, "PENDING");
        assert_eq!(statuses[1], ("SUCCEEDED".to_owned(), Some(0)));
        assert_eq!(statuses[2], ("FAILED".to_owned(), Some(3)));
        assert_eq!(statuses[3].0, "STOPPED");
        let jobs: Vec<JobDetails> = decode("ray", "live/list_jobs");
        assert!(!jobs.is_empty());
        let logs: JobLogsResponse = decode("ray", "live/get_job_logs");
        assert!(logs.logs.contains("hello from-gpujobs"), "{}", logs.logs);
    }

    #[test]
    fn errors_are_plain_text() {
        let not_found = std::fs::read_to_string(
            gpujobs_workspace_tests::payload_path("ray", "live/get_job_not_found")
                .with_extension("txt"),
        )
        .unwrap();
        assert_eq!(not_found.trim(), "Job no-such-job-gpujobs does not exist");
    }
}

mod slurm {
    use super::*;
    use gpujobs_slurm::v0_0_38::types::{
        V0038Answer, V0038JobSubmission, V0038JobSubmissionResponse, V0038JobsResponse,
    };

    #[test]
    fn recorded_answers_of_a_real_slurmrestd_decode() {
        for name in [
            "get_job_running",
            "get_job_completed",
            "get_job_failed",
            "get_job_cancelled",
            "list_jobs",
            // Re-recorded by `GPUJOBS_RECORD=1 scripts/slurm-live.sh 22.05`; the later
            // releases' answers are read in tests/slurm_versions.rs.
            "live/22.05/v0.0.38/get_job_running",
            "live/22.05/v0.0.38/get_job_completed",
            "live/22.05/v0.0.38/get_job_failed",
            "live/22.05/v0.0.38/list_jobs",
        ] {
            let answer: V0038JobsResponse = decode("slurm", name);
            assert!(!answer.jobs.is_empty(), "{name}");
        }
        let running: V0038JobsResponse = decode("slurm", "get_job_running");
        let job = &running.jobs[0];
        assert_eq!(
            (job.job_id, job.job_state.as_deref()),
            (Some(4), Some("RUNNING"))
        );
        let failed: V0038JobsResponse = decode("slurm", "get_job_failed");
        assert_eq!(
            failed.jobs[0].exit_code,
            Some(768),
            "exit 3 as a raw wait status"
        );
        let failed: V0038JobsResponse = decode("slurm", "live/22.05/v0.0.38/get_job_failed");
        assert_eq!(failed.jobs[0].exit_code, Some(768));
        let submitted: V0038JobSubmissionResponse = decode("slurm", "submit");
        assert_eq!(submitted.job_id, Some(4));
        let held: V0038JobSubmissionResponse = decode("slurm", "submit_held");
        assert_eq!(held.errors[0].error_code, Some(2042));
        for name in [
            "cancel_job",
            "cancel_notfound",
            "get_job_notfound",
            "bad_token",
        ] {
            let _: V0038Answer = decode("slurm", name);
        }
        let not_found: V0038Answer = decode("slurm", "get_job_notfound");
        assert_eq!(not_found.errors[0].error_number, Some(2017));
        for name in [
            "submit_request",
            "submit_fail_request",
            "submit_held_request",
            "submit_long_request",
        ] {
            let _: V0038JobSubmission = decode("slurm", name);
        }
    }
}
