//! Slurm's job states: what each means, and the one Slurm shows for a base
//! state and its flags.

use crate::job::JobStatus;
use crate::outcome::Cause;

/// Every job state Slurm shows: its base states, and the flags that take
/// their place when set (Slurm's own `job_state_string()` order, which v0.0.38
/// sends and the later versions list beside the base state).
pub(super) static STATUSES: [(&str, JobStatus); 23] = [
    ("PENDING", JobStatus::Queued),
    ("REQUEUED", JobStatus::Queued),
    ("REQUEUE_FED", JobStatus::Queued),
    ("REQUEUE_HOLD", JobStatus::Queued),
    ("RESV_DEL_HOLD", JobStatus::Queued),
    ("CONFIGURING", JobStatus::Starting),
    ("RUNNING", JobStatus::Running),
    ("SUSPENDED", JobStatus::Running),
    ("STOPPED", JobStatus::Running),
    ("RESIZING", JobStatus::Running),
    ("SIGNALING", JobStatus::Running),
    ("COMPLETING", JobStatus::Running),
    ("STAGE_OUT", JobStatus::Running),
    ("COMPLETED", JobStatus::Succeeded),
    ("CANCELLED", JobStatus::Canceled),
    ("REVOKED", JobStatus::Canceled),
    ("FAILED", JobStatus::Failed),
    ("TIMEOUT", JobStatus::Failed),
    ("NODE_FAIL", JobStatus::Failed),
    ("PREEMPTED", JobStatus::Failed),
    ("BOOT_FAIL", JobStatus::Failed),
    ("DEADLINE", JobStatus::Failed),
    ("OUT_OF_MEMORY", JobStatus::Failed),
];

/// Why a job in each of Slurm's ending states did not succeed (`job_state`
/// in slurmctld's record, `state.current` in accounting's; DOCUMENTED:
/// slurm.schedmd.com/job_state_codes.html, and `specs/causes.md`). A
/// COMPLETED job that a signal ended is failed by its own command.
pub(super) static CAUSES: [(&str, Cause); 10] = [
    ("FAILED", Cause::ExitCode),
    ("COMPLETED", Cause::ExitCode),
    ("TIMEOUT", Cause::TimeLimit),
    ("OUT_OF_MEMORY", Cause::OutOfMemory),
    ("NODE_FAIL", Cause::NodeFailure),
    ("BOOT_FAIL", Cause::NodeFailure),
    ("PREEMPTED", Cause::Preempted),
    ("DEADLINE", Cause::Deadline),
    ("CANCELLED", Cause::Canceled),
    ("REVOKED", Cause::Canceled),
];

/// The flags that Slurm shows instead of the base state, in its order of
/// precedence; SPECIAL_EXIT (requeued and held after a failure) is left
/// unknown on purpose: it is neither running nor an end.
const SHOWN_FLAGS: [&str; 12] = [
    "COMPLETING",
    "STAGE_OUT",
    "CONFIGURING",
    "RESIZING",
    "REQUEUED",
    "REQUEUE_FED",
    "REQUEUE_HOLD",
    "SPECIAL_EXIT",
    "STOPPED",
    "REVOKED",
    "RESV_DEL_HOLD",
    "SIGNALING",
];

/// The state Slurm shows for a base state and its flags (what squeue prints,
/// and what v0.0.38 sends as `job_state`).
pub(super) fn shown_state(states: &[String]) -> String {
    SHOWN_FLAGS
        .iter()
        .find(|flag| states.iter().any(|s| s == *flag))
        .map(|flag| (*flag).to_owned())
        .or_else(|| {
            // The base state is the one that is not a flag.
            let base = |s: &&String| STATUSES.iter().any(|(name, _)| name == s) && !SHOWN_FLAGS.contains(&s.as_str());
            states.iter().find(base).cloned()
        })
        .or_else(|| states.first().cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shown_state_follows_slurms_precedence() {
        let states = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(shown_state(&states(&["COMPLETED"])), "COMPLETED");
        assert_eq!(shown_state(&states(&["PENDING", "REQUEUED"])), "REQUEUED");
        assert_eq!(shown_state(&states(&["COMPLETED", "COMPLETING"])), "COMPLETING");
        assert_eq!(shown_state(&states(&["RUNNING", "LAUNCH_FAILED"])), "RUNNING");
        assert_eq!(shown_state(&states(&["EXPEDITING", "PENDING"])), "PENDING");
        assert_eq!(shown_state(&states(&["NEW_STATE"])), "NEW_STATE");
    }
}
