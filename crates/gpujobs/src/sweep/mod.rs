//! Sweeps: many tasks of one command, as one object, exactly once.
//!
//! A [`Sweep`] is a name, a [`SubmitRequest`](crate::SubmitRequest) template and its tasks (an
//! index range, or one parameter map each). Each task's client-chosen id is
//! derived from the sweep's name and the task's index — `<sweep>-<index>`,
//! and `<sweep>-<index>-r<attempt>` for a retry — and every provider that
//! submits sweeps makes no second job for an id it has, so submitting a sweep
//! again, after any crash, submits exactly the tasks that are missing. Which
//! jobs belong to a sweep is read from the provider alone (no local state):
//! Ray and openYuanrong by the task ids (and the `gpujobs-sweep` label),
//! Slurm by its native array's job name (one array for the whole sweep).
//!
//! Each task sees `GPUJOBS_SWEEP`, `GPUJOBS_TASK_INDEX` (and its parameters)
//! in its environment; the command is never rewritten.

mod ops;
pub(crate) mod spec;
pub(crate) mod tasks;

pub use self::ops::{
    SweepEvent, SweepReport, SweepStatus, cancel_sweep, retry_failed, submit_sweep, sweep_status,
    sweep_tasks, wait_sweep,
};
pub use self::spec::{
    DEFAULT_SUBMIT_CONCURRENCY, SWEEP_ENV, SWEEP_LABEL, Sweep, TASK_INDEX_ENV, TASK_LABEL,
};
pub use self::tasks::{SweepTask, Tasks, listed_tasks, parse_array, parse_task_id, task_id};
