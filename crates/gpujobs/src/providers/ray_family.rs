//! What Ray and openYuanrong (which mirrors Ray's Jobs API) share: status
//! values, their own submit options, how a taken submission id is refused,
//! and Python tracebacks in error bodies.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::field::Field;
use crate::job::JobStatus;
use crate::options::{OptionFlag, OptionKind, OptionValue, OptionValues};
use crate::outcome::Cause;
use crate::provider::Capabilities;
use crate::registry::ProviderKind;
use crate::submit::{SharedOptions, SubmitOptions};

/// What only Ray and openYuanrong take when submitting: custom resources for
/// the job's driver (`entrypoint_resources`); and, for Ray alone, what a local
/// working directory leaves out and the rest of Ray's `runtime_env`.
///
/// ```
/// use gpujobs::ray::RayOptions;
/// let options = RayOptions::default()
///     .resource("TPU", 1.0)
///     .exclude("data/")
///     .runtime_env("pip", serde_json::json!(["torch"]));
/// let request = gpujobs::SubmitRequest::new("python train.py").working_dir(".").options(options);
/// assert!(request.options_for::<RayOptions>().is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RayOptions {
    /// Custom resources, by name.
    pub resources: BTreeMap<String, f64>,
    /// Paths a local working directory leaves out, as gitignore patterns
    /// relative to it (Ray's `excludes`), besides its `.gitignore`, its
    /// `.rayignore` and Ray's defaults (`.git`, `.venv`, `venv`, `__pycache__`). Ray only.
    pub excludes: Vec<String>,
    /// More of Ray's `runtime_env` (`pip`, `conda`, `py_modules`, …), sent as
    /// given; `env_vars`, `working_dir` and `excludes` are the request's own
    /// fields and refused here. Ray only.
    pub runtime_env: serde_json::Map<String, serde_json::Value>,
    /// Labels the node that runs the driver must have (Ray's
    /// `entrypoint_label_selector`, Ray 2.54 and later). Ray only.
    pub label_selector: BTreeMap<String, String>,
}

impl RayOptions {
    /// Adds a custom resource.
    pub fn resource(mut self, name: impl Into<String>, amount: f64) -> Self {
        self.resources.insert(name.into(), amount);
        self
    }

    /// Leaves paths matching `pattern` (gitignore syntax) out of a local working directory.
    pub fn exclude(mut self, pattern: impl Into<String>) -> Self {
        self.excludes.push(pattern.into());
        self
    }

    /// Asks for a node whose label `key` is `value` (e.g. `ray.io/accelerator-type`).
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.label_selector.insert(key.into(), value.into());
        self
    }

    /// Sets a field of Ray's `runtime_env`, e.g. `pip`.
    pub fn runtime_env(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.runtime_env.insert(key.into(), value);
        self
    }
}

impl SubmitOptions for RayOptions {
    fn providers(&self) -> &'static [ProviderKind] {
        &[
            #[cfg(feature = "ray")]
            ProviderKind::Ray,
            #[cfg(feature = "yuanrong")]
            ProviderKind::Yuanrong,
        ]
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// [`RayOptions`] as a command line offers them, for openYuanrong.
pub(crate) static OPTIONS: [OptionFlag; 1] = [RESOURCES];

/// [`RayOptions`] as a command line offers them, for Ray.
pub(crate) static RAY_OPTIONS: [OptionFlag; 4] = [
    RESOURCES,
    OptionFlag::new(
        "excludes",
        "exclude",
        OptionKind::TextList,
        "A path the working directory leaves out, a gitignore pattern (repeatable)",
    ),
    OptionFlag::new(
        "runtime_env",
        "runtime-env-json",
        OptionKind::Json,
        "More of Ray's runtime_env, a JSON object, e.g. '{\"pip\": [\"torch\"]}'",
    ),
    OptionFlag::new(
        "label_selector",
        "label-selector",
        OptionKind::TextList,
        "A label the driver's node must have, KEY=VALUE (repeatable; Ray 2.54 and later)",
    ),
];

const RESOURCES: OptionFlag = OptionFlag::new(
    "resources",
    "resource",
    OptionKind::NamedAmount,
    "A custom resource for the driver, NAME=N (repeatable)",
);

/// [`RayOptions`] from a command line's values.
pub(crate) fn options_from(values: &OptionValues) -> Result<Option<SharedOptions>> {
    let all = |name: &str| values.get(name).into_iter().flatten();
    let mut options = RayOptions::default();
    for value in all("resources") {
        if let OptionValue::NamedAmount(name, amount) = value {
            options.resources.insert(name.clone(), *amount);
        }
    }
    options.excludes = all("excludes")
        .filter_map(|v| match v {
            OptionValue::Text(pattern) => Some(pattern.clone()),
            _ => None,
        })
        .collect();
    for value in all("label_selector") {
        if let OptionValue::Text(pair) = value {
            let Some((key, label)) = pair.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                return Err(Error::refused(
                    ProviderKind::Ray,
                    Field::SubmitOption("label_selector"),
                    format!(
                        "a label selector is KEY=VALUE, not `{}`",
                        crate::text::terminal_safe(pair)
                    ),
                ));
            };
            options
                .label_selector
                .insert(key.to_owned(), label.to_owned());
        }
    }
    for value in all("runtime_env") {
        if let OptionValue::Json(json) = value {
            let Some(fields) = json.as_object() else {
                return Err(Error::invalid(
                    ProviderKind::Ray,
                    format!("runtime_env is a JSON object, not {json}"),
                ));
            };
            options.runtime_env.extend(fields.clone());
        }
    }
    Ok((options != RayOptions::default()).then(|| Arc::new(options) as Arc<dyn SubmitOptions>))
}

/// The resources a request's [`RayOptions`] ask for, if any.
pub(crate) fn resources(request: &crate::SubmitRequest) -> Option<BTreeMap<String, f64>> {
    let options = request.options_for::<RayOptions>()?;
    (!options.resources.is_empty()).then(|| options.resources.clone())
}

/// Refuses what of [`RayOptions`] only Ray takes (openYuanrong uploads no
/// working directory, and its `runtime_env` has fixed fields).
pub(crate) fn refuse_ray_only(
    provider: ProviderKind,
    request: &crate::SubmitRequest,
) -> Result<()> {
    let Some(options) = request.options_for::<RayOptions>() else {
        return Ok(());
    };
    let (field, why) = match (
        options.excludes.is_empty(),
        options.runtime_env.is_empty(),
        options.label_selector.is_empty(),
    ) {
        (false, ..) => (
            "excludes",
            " (its working_dir is a path on the cluster: nothing is uploaded)",
        ),
        (_, false, _) => ("runtime_env", ""),
        (.., false) => ("label_selector", ""),
        (true, true, true) => return Ok(()),
    };
    Err(Error::refused(
        provider,
        Field::SubmitOption(field),
        format!("{provider} cannot honour `{field}`{why}"),
    ))
}

/// Why a failed Ray or openYuanrong job failed, by its `error_type`
/// (Ray's `JobErrorType`, DOCUMENTED: ray `dashboard/modules/job/common.py`;
/// openYuanrong sends the same field, INFERRED to carry the same values): the
/// entrypoint's own failure, to start or to run, is the job's; the job
/// supervisor's (Ray's infrastructure that runs it) is the cluster's. A
/// STOPPED job was stopped by its user.
pub(crate) static CAUSES: [(&str, Cause); 7] = [
    ("JOB_ENTRYPOINT_COMMAND_ERROR", Cause::ExitCode),
    ("JOB_ENTRYPOINT_COMMAND_START_ERROR", Cause::ExitCode),
    ("JOB_SUPERVISOR_ACTOR_START_TIMEOUT", Cause::NodeFailure),
    ("JOB_SUPERVISOR_ACTOR_START_FAILURE", Cause::NodeFailure),
    ("JOB_SUPERVISOR_ACTOR_UNSCHEDULABLE", Cause::NodeFailure),
    ("JOB_SUPERVISOR_ACTOR_UNKNOWN_FAILURE", Cause::NodeFailure),
    ("JOB_SUPERVISOR_ACTOR_DIED", Cause::NodeFailure),
];

/// What Ray's Jobs API does, and so openYuanrong's (Ray adds its logs).
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    reports_failure: true,
    submit: true,
    client_chosen_id: true,
    idempotent_submit: true,
    sweeps: true,
    ..Capabilities::GET_LIST_CANCEL
};

/// Ray's status values, which openYuanrong shares (exact case).
pub(crate) static STATUSES: [(&str, JobStatus); 5] = [
    ("PENDING", JobStatus::Queued),
    ("RUNNING", JobStatus::Running),
    ("STOPPED", JobStatus::Canceled),
    ("SUCCEEDED", JobStatus::Succeeded),
    ("FAILED", JobStatus::Failed),
];

/// A refused submit whose id is taken, as a [`Error::Conflict`]: whatever the
/// status it came with (a real Ray answers 500 with a traceback, Ray's docs
/// say 400, openYuanrong 404), the message says `already exists`.
pub(crate) fn taken_id(error: Error) -> Result<Error, Error> {
    match error {
        Error::Api {
            provider, message, ..
        }
        | Error::InvalidRequest {
            provider, message, ..
        }
        | Error::NotFound {
            provider, message, ..
        } if message.contains("already exists") => Ok(Error::Conflict {
            provider,
            message,
            source: None,
        }),
        Error::Conflict { .. } => Ok(error),
        other => Err(other),
    }
}

/// The message in an error body; for a Python traceback (a real Ray sends
/// them, nested), its last `SomeError: …` line, which says what happened.
pub(crate) fn error_message(body: &str) -> String {
    match body
        .trim_start()
        .starts_with("Traceback (most recent call last)")
    {
        true => body
            .lines()
            .rev()
            .find(|l| is_exception_line(l))
            .unwrap_or(body)
            .trim()
            .to_owned(),
        false => super::plain_message(body),
    }
}

/// `ValueError: …`, `ray.exceptions.RaySystemError: …`: a Python exception's line.
fn is_exception_line(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            && (name.ends_with("Error") || name.ends_with("Exception"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::StatusTable;
    use crate::registry::ProviderKind;

    /// The values themselves are checked against answers in `tests/statuses.rs`.
    #[test]
    fn ray_family_statuses_are_exact_and_unknown_values_stay_unknown() {
        let table = StatusTable::new(&STATUSES, false);
        let cases = [
            ("PREEMPTED", JobStatus::Unknown("PREEMPTED".into())),
            ("running", JobStatus::Unknown("running".into())),
        ];
        for (raw, want) in cases {
            assert_eq!(table.map(raw), want, "{raw}");
        }
    }

    #[test]
    fn a_taken_id_is_a_conflict_whatever_the_status() {
        let kind = ProviderKind::Ray;
        let message = "Job with submission_id x already exists".to_owned();
        for status in [400, 404, 500] {
            let error = Error::from_status(kind, status, message.clone(), None, None);
            assert!(
                matches!(taken_id(error), Ok(Error::Conflict { .. })),
                "{status}"
            );
        }
        let other = Error::from_status(kind, 500, "boom".into(), None, None);
        assert!(taken_id(other).is_err());
    }

    #[test]
    fn a_traceback_is_read_for_its_last_exception() {
        let body = "Traceback (most recent call last):\n  File \"x.py\"\nray.exceptions.RaySystemError: System error: boom\n\nDuring handling…\nTraceback (most recent call last):\nValueError: Job with submission_id x already exists.\n";
        assert_eq!(
            error_message(body),
            "ValueError: Job with submission_id x already exists."
        );
        assert_eq!(
            error_message("Job x does not exist"),
            "Job x does not exist"
        );
    }
}
