//! What a sweep is: its name, template and tasks ([`Sweep`]), the ids and
//! environment each task gets, and what a provider must take of it.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::field::Field;
use crate::registry::ProviderKind;
use crate::submit::SubmitRequest;

use super::tasks::{Tasks, task_id};

/// The label (metadata key, where the provider has labels) naming a task's sweep.
pub const SWEEP_LABEL: &str = "gpujobs-sweep";
/// The label naming a task's index.
pub const TASK_LABEL: &str = "gpujobs-task";
/// The environment variable naming the sweep, in every task.
pub const SWEEP_ENV: &str = "GPUJOBS_SWEEP";
/// The environment variable holding the task's index, in every task.
pub const TASK_INDEX_ENV: &str = "GPUJOBS_TASK_INDEX";

/// Submits running at once, by default.
pub const DEFAULT_SUBMIT_CONCURRENCY: usize = 16;

/// Many tasks of one command, submitted and followed as one.
///
/// ```
/// use gpujobs::SubmitRequest;
/// use gpujobs::sweep::{Sweep, Tasks};
/// let sweep = Sweep::new("lr-scan", SubmitRequest::new("python train.py"), Tasks::Range(0..100))
///     .max_running(8);
/// assert_eq!(sweep.task_id(7, 0), "lr-scan-7");
/// assert_eq!(sweep.task_id(7, 2), "lr-scan-7-r2");
/// let task = sweep.task_request(7, 0);
/// assert_eq!(task.env["GPUJOBS_TASK_INDEX"], "7");
/// assert_eq!(task.id.as_deref(), Some("lr-scan-7"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Sweep {
    /// Its name: 1 to 40 of `a-z`, `0-9` and `-`, starting with a letter (so
    /// every provider takes the ids made from it).
    pub name: String,
    /// What every task runs; each gets its own id, label and environment.
    pub template: SubmitRequest,
    /// Its tasks.
    pub tasks: Tasks,
    /// At most this many tasks running at once (`%N`): native on Slurm, kept
    /// by the submitter elsewhere (it submits the next as one ends).
    pub max_running: Option<u32>,
    /// Submits in flight at once.
    pub submit_concurrency: usize,
}

impl Sweep {
    /// A sweep of `tasks`, each running `template` (its name and template
    /// are checked when it is submitted: [`Sweep::check`]).
    pub fn new(name: impl Into<String>, template: SubmitRequest, tasks: Tasks) -> Self {
        Self {
            name: name.into(),
            template,
            tasks,
            max_running: None,
            submit_concurrency: DEFAULT_SUBMIT_CONCURRENCY,
        }
    }

    /// Refuses, for `provider`, a sweep it cannot take as it is: a name every
    /// provider takes in ids and job names (1 to 40 of `a-z`, `0-9` and `-`,
    /// starting with a letter, without `driver`, and no `-r` and a digit, which
    /// mark a retry), and a template without an id of its own.
    pub fn check(&self, provider: ProviderKind) -> Result<()> {
        let name = &self.name;
        let plain = (1..=40).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let marks_a_retry = name
            .split("-r")
            .skip(1)
            .any(|after| after.starts_with(|c: char| c.is_ascii_digit()));
        if !plain || marks_a_retry || name.contains("driver") {
            return Err(Error::refused(
                provider,
                Field::SweepName,
                format!(
                    "a sweep's name (`{}`) is 1 to 40 of a-z, 0-9 and -, starting with a letter, without `driver` or `-r` and a digit: {}",
                    Field::SweepName.name(),
                    crate::text::shorten(name)
                ),
            ));
        }
        if self.template.id.is_some() {
            return Err(Error::refused(
                provider,
                Field::Submit(crate::field::SubmitField::Id),
                "a sweep's template has no `id`: each task's is derived from the sweep's name",
            ));
        }
        if self.tasks.is_empty() {
            return Err(Error::invalid(provider, "a sweep has at least one task"));
        }
        for index in self.tasks.indices() {
            for (key, value) in self.tasks.params(index).into_iter().flatten() {
                let variable = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !variable
                    || key.starts_with("GPUJOBS_")
                    || key.starts_with("SLURM_")
                    || value.contains('\0')
                {
                    return Err(Error::refused(
                        provider,
                        Field::SweepTasks,
                        format!(
                            "task {index}'s parameter `{}` is not an environment variable a task can be given (a letter or _, then letters, digits and _; not GPUJOBS_* or SLURM_*; a value without NUL)",
                            crate::text::shorten(key)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Lets at most `n` tasks run at once.
    pub fn max_running(mut self, n: u32) -> Self {
        self.max_running = Some(n.max(1));
        self
    }

    /// Keeps at most `n` submits in flight.
    pub fn submit_concurrency(mut self, n: usize) -> Self {
        self.submit_concurrency = n.max(1);
        self
    }

    /// The client-chosen id of task `index`, attempt `attempt` (0: the first).
    pub fn task_id(&self, index: u64, attempt: u32) -> String {
        task_id(&self.name, index, attempt)
    }

    /// The request of task `index`, attempt `attempt`: the template with its
    /// id, its labels, and `GPUJOBS_SWEEP`, `GPUJOBS_TASK_INDEX` and its
    /// parameters in its environment.
    pub fn task_request(&self, index: u64, attempt: u32) -> SubmitRequest {
        let mut request = self.template.clone();
        request.id = Some(self.task_id(index, attempt));
        request.env.extend(self.task_env(index));
        request
            .metadata
            .insert(SWEEP_LABEL.into(), self.name.clone());
        request
            .metadata
            .insert(TASK_LABEL.into(), index.to_string());
        request
    }

    /// What task `index` has in its environment beside the template's.
    pub fn task_env(&self, index: u64) -> BTreeMap<String, String> {
        let mut env = self.tasks.params(index).cloned().unwrap_or_default();
        env.insert(SWEEP_ENV.into(), self.name.clone());
        env.insert(TASK_INDEX_ENV.into(), index.to_string());
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::tasks::parse_task_id;

    #[test]
    fn task_ids_round_trip_and_names_are_checked() {
        for (index, attempt) in [(0, 0), (7, 0), (12, 3)] {
            let id = task_id("lr-scan", index, attempt);
            assert_eq!(
                parse_task_id("lr-scan", &id),
                Some((index, attempt)),
                "{id}"
            );
            assert_eq!(
                parse_task_id("lr-scan", &format!("app-{id}")),
                Some((index, attempt))
            );
        }
        assert_eq!(parse_task_id("lr-scan", "other-7"), None);
        assert_eq!(
            parse_task_id("lr", "lr-scan-7"),
            None,
            "another sweep's prefix"
        );
        assert_eq!(parse_task_id("lr-scan", "xlr-scan-7"), None);
        let sweep = |name: &str| Sweep::new(name, SubmitRequest::new("x"), Tasks::Range(0..1));
        let ray = ProviderKind::Ray;
        for bad in [
            "",
            "Lr",
            "9lives",
            "a b",
            "a_b",
            "has-driver",
            "lr-r2",
            &"x".repeat(41),
        ] {
            assert!(sweep(bad).check(ray).is_err(), "{bad:?}");
        }
        for good in ["lr-scan", "a", "seed-sweep-2026", "run-rate"] {
            assert!(sweep(good).check(ray).is_ok(), "{good}");
        }
        assert!(
            Sweep::new("a", SubmitRequest::new("x").id("mine"), Tasks::Range(0..1))
                .check(ray)
                .is_err()
        );
        assert!(
            Sweep::new("a", SubmitRequest::new("x"), Tasks::Range(0..0))
                .check(ray)
                .is_err()
        );
        for bad in ["1X", "A-B", "GPUJOBS_TASK_INDEX", "SLURM_ARRAY_TASK_ID", ""] {
            let params = Tasks::Params(vec![BTreeMap::from([(bad.to_owned(), "v".to_owned())])]);
            let refused = Sweep::new("a", SubmitRequest::new("x"), params)
                .check(ray)
                .unwrap_err();
            assert_eq!(refused.fields(), [Field::SweepTasks], "{bad}");
        }
    }
}
