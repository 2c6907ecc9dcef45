//! Each provider's cause table against answers its servers sent or its docs
//! show: every recorded or documented answer of a job that ended without
//! succeeding, decoded as the client decodes it, gives the cause the file's
//! name or the provider's docs say (`specs/causes.md` has the sources).
//! Documented answers written for a state the docs name, where none was
//! recorded: `tensorpool/get_job_info_error.json` and `…_failed.json` (the
//! docs' `error` and `failed`), `yuanrong/get_job_failed.json` (openYuanrong
//! mirrors Ray's `error_type`, INFERRED), `ppio/get_job_failed.json` (PPIO
//! documents no failure kinds, INFERRED: unknown).

use gpujobs::{Cause, ProviderKind};
use gpujobs_workspace_tests::payload_path;

/// (provider, payload under `tests/payloads/<provider>/`, the cause).
const RECORDED: &[(ProviderKind, &str, Option<Cause>)] = &[
    (
        ProviderKind::Ray,
        "live/get_job_failed",
        Some(Cause::ExitCode),
    ),
    (
        ProviderKind::Ray,
        "live/get_job_stopped",
        Some(Cause::Canceled),
    ),
    (ProviderKind::Ray, "live/get_job_succeeded", None),
    (
        ProviderKind::Yuanrong,
        "get_job_failed",
        Some(Cause::ExitCode),
    ),
    (ProviderKind::Yuanrong, "get_job", None),
    (
        ProviderKind::Tensorpool,
        "get_job_info_error",
        Some(Cause::ExitCode),
    ),
    (
        ProviderKind::Tensorpool,
        "get_job_info_failed",
        Some(Cause::NodeFailure),
    ),
    (ProviderKind::Tensorpool, "get_job_info", None),
    (ProviderKind::Ppio, "get_job_failed", Some(Cause::Unknown)),
    (ProviderKind::Ppio, "get_job", None),
    (ProviderKind::Matpool, "get_job", None),
    (
        ProviderKind::Slurm,
        "live/22.05/v0.0.38/get_job_failed",
        Some(Cause::ExitCode),
    ),
    (
        ProviderKind::Slurm,
        "live/22.05/v0.0.38/get_job_cancelled",
        Some(Cause::Canceled),
    ),
    (
        ProviderKind::Slurm,
        "live/22.05/v0.0.38/get_job_signaled",
        Some(Cause::ExitCode),
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.42/get_job_failed",
        Some(Cause::ExitCode),
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.42/get_job_cancelled",
        Some(Cause::Canceled),
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/v0.0.42/get_job_completed",
        None,
    ),
    // Accounting's records (slurmdbd), after slurmctld forgot the jobs.
    (
        ProviderKind::Slurm,
        "live/22.05/accounting/slurmdb-job-timeout",
        Some(Cause::TimeLimit),
    ),
    (
        ProviderKind::Slurm,
        "live/22.05/accounting/slurmdb-job-cancel",
        Some(Cause::Canceled),
    ),
    (
        ProviderKind::Slurm,
        "live/22.05/accounting/slurmdb-job-exit3",
        Some(Cause::ExitCode),
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/accounting/slurmdb-job-timeout",
        Some(Cause::TimeLimit),
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/accounting/slurmdb-job-exit3",
        Some(Cause::ExitCode),
    ),
    (
        ProviderKind::Slurm,
        "live/24.11/accounting/slurmdb-job-ok",
        None,
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/accounting/slurmdb-job-timeout",
        Some(Cause::TimeLimit),
    ),
    (
        ProviderKind::Slurm,
        "live/26.05/accounting/slurmdb-job-cancel",
        Some(Cause::Canceled),
    ),
];

#[test]
fn recorded_and_documented_answers_decode_to_their_cause() {
    let mut wrong = Vec::new();
    for (kind, name, cause) in RECORDED {
        let bytes = std::fs::read(payload_path(kind.as_str(), name)).unwrap();
        match kind.descriptor().decode_job(&bytes) {
            Ok(job) if job.cause == *cause => {}
            Ok(job) => wrong.push(format!(
                "{kind} {name}: {:?}, not {cause:?} ({job})",
                job.cause
            )),
            Err(e) => wrong.push(format!("{kind} {name}: {e}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every provider's table is tested on a failure or an end: a new one without fails.
#[test]
fn every_provider_has_recorded_causes() {
    for kind in ProviderKind::ALL {
        assert!(
            RECORDED.iter().any(|(k, _, _)| k == kind),
            "no recorded cause for {kind}"
        );
    }
}

/// Accounting's records carry what a job was given and how long it ran.
#[test]
fn accounting_records_carry_usage() {
    for release in ["22.05", "24.11", "26.05"] {
        let path = payload_path(
            "slurm",
            &format!("live/{release}/accounting/slurmdb-job-timeout"),
        );
        let job = ProviderKind::Slurm
            .descriptor()
            .decode_job(&std::fs::read(path).unwrap())
            .unwrap();
        let usage = job.usage.unwrap_or_else(|| panic!("{release}: no usage"));
        assert!(
            usage.elapsed.is_some_and(|e| e.as_secs() >= 60),
            "{release}: ran past its 1-minute limit: {usage:?}"
        );
        assert_eq!(
            (usage.cpus, usage.nodes.is_some()),
            (Some(1.0), true),
            "{release}: {usage:?}"
        );
    }
}
