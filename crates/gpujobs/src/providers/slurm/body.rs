//! What every version's submit body says the same way: the batch script,
//! the environment, whole counts; and what a submit asked of the cluster, for
//! a refusal's message.

use super::{KIND, SlurmOptions};
use crate::error::{Error, Result};
use crate::field::{Field, SubmitField};
use crate::submit::SubmitRequest;

/// The batch script a command runs as.
pub(super) fn script(request: &SubmitRequest) -> Result<String> {
    if request.command.trim().is_empty() {
        return Err(Error::invalid(KIND, "Slurm needs a command, the batch script's body"));
    }
    Ok(match request.command.starts_with("#!") {
        true => request.command.clone(),
        false => format!("#!/bin/bash\n{}\n", request.command),
    })
}

/// The job's environment: what was asked, and always a `PATH` (slurmctld
/// refuses an empty environment, and a job without PATH finds no programs).
pub(super) fn environment(request: &SubmitRequest) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = request.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if !request.env.contains_key("PATH") {
        env.push(("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()));
    }
    env
}

/// A whole number of CPUs or GPUs, as Slurm allocates them.
pub(super) fn whole(what: &str, field: SubmitField, count: Option<f64>) -> Result<Option<i64>> {
    match count {
        Some(n) if n.fract() != 0.0 || n < 1.0 => Err(Error::refused(KIND, Field::Submit(field), format!("Slurm allocates whole {what} (`{field}`), not {n}"))),
        Some(n) => Ok(Some(n as i64)),
        None => Ok(None),
    }
}

/// What a submit asked of the cluster, for a refusal's message (none: only the defaults).
pub(super) fn asked(request: &SubmitRequest) -> Option<String> {
    let count = |n: f64, what: &str| format!("{n} {what}{}", if n == 1.0 { "" } else { "s" });
    let mut parts = Vec::new();
    if let Some(gpus) = request.gpus {
        parts.push(count(gpus, "GPU"));
    }
    if let Some(cpus) = request.cpus {
        parts.push(count(cpus, "CPU"));
    }
    if let Some(bytes) = request.memory_bytes {
        parts.push(format!("{} MiB of memory", bytes.div_ceil(1 << 20)));
    }
    let options = SlurmOptions::of(request);
    if let Some(partition) = &options.partition {
        parts.push(format!("partition {partition}"));
    }
    if let Some(minutes) = options.minutes() {
        parts.push(format!("{minutes} minutes"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}
