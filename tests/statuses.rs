//! Each provider's status table against what its servers really sent: every
//! documented or recorded answer for one job, decoded as the client decodes it,
//! gives the status the job was in when it was recorded (which the file's name
//! or the provider's docs say) — not a restatement of the table.

use gpujobs::{JobStatus, ProviderKind};
use gpujobs_workspace_tests::payload_path;

/// (provider, payload under `tests/payloads/<provider>/`, the job's state then).
const RECORDED: &[(ProviderKind, &str, JobStatus)] = &[
    (ProviderKind::Ppio, "get_job", JobStatus::Succeeded),
    (ProviderKind::Yuanrong, "get_job", JobStatus::Succeeded),
    (ProviderKind::Ray, "live/get_job_pending", JobStatus::Queued),
    (
        ProviderKind::Ray,
        "live/get_job_succeeded",
        JobStatus::Succeeded,
    ),
    (ProviderKind::Ray, "live/get_job_failed", JobStatus::Failed),
    (
        ProviderKind::Ray,
        "live/get_job_stopped",
        JobStatus::Canceled,
    ),
    (ProviderKind::Matpool, "get_job", JobStatus::Running),
    (ProviderKind::Tensorpool, "get_job_info", JobStatus::Running),
    (
        ProviderKind::Slurm,
        "live/22.05/v0.0.38/get_job_running",
        JobStatus::Running,
    ),
    (
        ProviderKind::Slurm,
        "live/22.05/v0.0.38/get_job_completed",
        JobStatus::Succeeded,
    ),
    (
        ProviderKind::Slurm,
        "live/22.05/v0.0.38/get_job_failed",
        JobStatus::Failed,
    ),
    (
        ProviderKind::Slurm,
        "live/22.05/v0.0.38/get_job_cancelled",
        JobStatus::Canceled,
    ),
    (
        ProviderKind::Slurm,
        "live/22.05/v0.0.38/get_job_signaled",
        JobStatus::Failed,
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.40/get_job_completed",
        JobStatus::Succeeded,
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.41/get_job_completed",
        JobStatus::Succeeded,
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.42/get_job_running",
        JobStatus::Running,
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.42/get_job_completed",
        JobStatus::Succeeded,
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.42/get_job_failed",
        JobStatus::Failed,
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.42/get_job_cancelled",
        JobStatus::Canceled,
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.42/get_job_signaled",
        JobStatus::Failed,
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/v0.0.43/get_job_completed",
        JobStatus::Succeeded,
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/v0.0.44/get_job_completed",
        JobStatus::Succeeded,
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/v0.0.45/get_job_running",
        JobStatus::Running,
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/v0.0.45/get_job_completed",
        JobStatus::Succeeded,
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/v0.0.45/get_job_failed",
        JobStatus::Failed,
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/v0.0.45/get_job_cancelled",
        JobStatus::Canceled,
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/v0.0.45/get_job_signaled",
        JobStatus::Failed,
    ),
];

#[test]
fn recorded_answers_decode_to_the_state_the_job_was_in() {
    let mut wrong = Vec::new();
    for (kind, name, want) in RECORDED {
        let bytes = std::fs::read(payload_path(kind.as_str(), name)).unwrap();
        let job = kind
            .descriptor()
            .decode_job(&bytes)
            .unwrap_or_else(|e| panic!("{kind}/{name}: {e}"));
        if job.status != *want {
            wrong.push(format!(
                "{kind}/{name}: {} (sent {:?}), not {want}",
                job.status, job.provider_status
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every provider has recordings here: a new one without fails.
#[test]
fn every_provider_has_recorded_statuses() {
    for kind in ProviderKind::ALL {
        assert!(
            RECORDED.iter().any(|(k, _, _)| k == kind),
            "no recorded status for {kind}"
        );
    }
}

/// Ray and Slurm run live here: each way a job ends is recorded from them.
#[test]
fn the_live_providers_have_a_recording_of_each_end() {
    for end in [JobStatus::Succeeded, JobStatus::Failed, JobStatus::Canceled] {
        for kind in [ProviderKind::Ray, ProviderKind::Slurm] {
            assert!(
                RECORDED.iter().any(|(k, _, s)| k == &kind && s == &end),
                "{kind}: no recording of a job that ended {end}"
            );
        }
    }
}
