//! What only Slurm takes when submitting: [`SlurmOptions`].

use std::sync::Arc;
use std::time::Duration;

use super::KIND;
use crate::error::Result;
use crate::registry::ProviderKind;
use crate::options::{OptionFlag, OptionKind, OptionValue, OptionValues, text};
use crate::submit::{SharedOptions, SubmitOptions, SubmitRequest};

/// Slurm's own submit options: where and how long a batch job runs, and where
/// its output goes.
///
/// ```
/// use gpujobs::slurm::SlurmOptions;
/// let options = SlurmOptions::default()
///     .partition("gpu")
///     .time_limit(std::time::Duration::from_secs(2 * 3600))
///     .output("/scratch/%j.out");
/// let request = gpujobs::SubmitRequest::new("python train.py").options(options);
/// assert!(request.options_for::<SlurmOptions>().is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlurmOptions {
    /// The partition (queue) to run in.
    pub partition: Option<String>,
    /// How long the job may run (rounded up to whole minutes).
    pub time_limit: Option<Duration>,
    /// Where the job's output goes, a path on the cluster (`%j` is the job id).
    pub output: Option<String>,
}

impl SlurmOptions {
    /// Sets the partition.
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// Sets how long the job may run.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// Sets where the job's output goes.
    pub fn output(mut self, path: impl Into<String>) -> Self {
        self.output = Some(path.into());
        self
    }

    /// The options of `request` (none set: the defaults).
    pub(super) fn of(request: &SubmitRequest) -> Self {
        request.options_for::<Self>().cloned().unwrap_or_default()
    }

    /// The time limit in whole minutes, rounded up, at least one.
    pub(super) fn minutes(&self) -> Option<u64> {
        self.time_limit.map(|t| t.as_secs().div_ceil(60).max(1))
    }
}

impl SubmitOptions for SlurmOptions {
    fn providers(&self) -> &'static [ProviderKind] {
        &[KIND]
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// [`SlurmOptions`] as a command line offers them.
pub(super) static OPTIONS: [OptionFlag; 3] = [
    OptionFlag::new("partition", "partition", OptionKind::Text, "The partition (queue) to run in"),
    OptionFlag::new("time_limit", "time-limit", OptionKind::Duration, "How long the job may run, e.g. 2h (rounded up to whole minutes)"),
    OptionFlag::new("output", "output-file", OptionKind::Text, "Where the job's output goes, a path on the cluster (`%j` is the job id)"),
];

/// [`SlurmOptions`] from a command line's values.
pub(super) fn options_from(values: &OptionValues) -> Result<Option<SharedOptions>> {
    let time_limit = values.get("time_limit").into_iter().flatten().find_map(|v| match v {
        OptionValue::Duration(d) => Some(*d),
        _ => None,
    });
    let options = SlurmOptions {
        partition: text(values, "partition"),
        time_limit,
        output: text(values, "output"),
    };
    Ok((options != SlurmOptions::default()).then(|| Arc::new(options) as Arc<dyn SubmitOptions>))
}
