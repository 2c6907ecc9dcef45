//! A sweep's tasks: an index range, or one parameter map each; a task as a
//! provider knows it ([`SweepTask`]); and Slurm's array notation
//! (`0-999%32`), which the CLI takes too.

use std::collections::BTreeMap;
use std::ops::Range;

use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};

use crate::error::Result;
use crate::job::Job;

/// What a sweep runs over.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tasks {
    /// One task for each index (`0..1000`).
    Range(Range<u64>),
    /// One task for each map, indexed from 0; each task has its map's
    /// entries in its environment.
    Params(Vec<BTreeMap<String, String>>),
}

impl Tasks {
    /// How many tasks.
    pub fn len(&self) -> u64 {
        match self {
            Tasks::Range(range) => range.end.saturating_sub(range.start),
            Tasks::Params(params) => params.len() as u64,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every task's index, in order.
    pub fn indices(&self) -> Range<u64> {
        match self {
            Tasks::Range(range) => range.clone(),
            Tasks::Params(params) => 0..params.len() as u64,
        }
    }

    /// Whether `index` is one of its tasks.
    pub fn contains(&self, index: u64) -> bool {
        self.indices().contains(&index)
    }

    /// Task `index`'s parameters, if it has any.
    pub fn params(&self, index: u64) -> Option<&BTreeMap<String, String>> {
        match self {
            Tasks::Params(params) => params.get(usize::try_from(index).ok()?),
            Tasks::Range(_) => None,
        }
    }
}

/// One task of a sweep, as the provider knows it: its index, which attempt
/// (0, then 1 for the first retry, …), and its job.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SweepTask {
    /// The task's index.
    pub index: u64,
    /// Its attempt: 0, then one more for each retry.
    pub attempt: u32,
    /// Its job.
    pub job: Job,
}

impl SweepTask {
    /// A task (for providers that read their own).
    pub fn new(index: u64, attempt: u32, job: Job) -> Self {
        Self {
            index,
            attempt,
            job,
        }
    }
}

/// `<sweep>-<index>`, or `<sweep>-<index>-r<attempt>` for a retry.
pub fn task_id(sweep: &str, index: u64, attempt: u32) -> String {
    match attempt {
        0 => format!("{sweep}-{index}"),
        n => format!("{sweep}-{index}-r{n}"),
    }
}

/// The task an id names in `sweep`: `(index, attempt)` (a provider's prefix,
/// as openYuanrong's `app-`, allowed before it).
pub fn parse_task_id(sweep: &str, id: &str) -> Option<(u64, u32)> {
    let at = id.find(&format!("{sweep}-"))?;
    let rest = &id[at + sweep.len() + 1..];
    if at > 0 && !id[..at].ends_with('-') {
        return None;
    }
    let (index, attempt) = match rest.split_once("-r") {
        Some((index, attempt)) => (index, attempt.parse().ok()?),
        None => (rest, 0),
    };
    Some((index.parse().ok()?, attempt))
}

/// The tasks of sweep `name` among `jobs`: those whose ids are its task
/// ids (how a provider without arrays finds a sweep's tasks).
pub fn listed_tasks(
    jobs: BoxStream<'static, Result<Job>>,
    name: &str,
) -> BoxStream<'static, Result<SweepTask>> {
    let name = name.to_owned();
    jobs.try_filter_map(move |job| {
        let task = parse_task_id(&name, &job.id)
            .map(|(index, attempt)| SweepTask::new(index, attempt, job));
        std::future::ready(Ok(task))
    })
    .boxed()
}

/// Slurm's array notation, `START-END[%N]` (or one index, `7`): the index
/// range, END included, and the limit on tasks running at once.
///
/// ```
/// use gpujobs::sweep::parse_array;
/// assert_eq!(parse_array("0-999%32"), Ok((0..1000, Some(32))));
/// assert_eq!(parse_array("5"), Ok((5..6, None)));
/// assert!(parse_array("9-3").is_err() && parse_array("0-9%0").is_err());
/// ```
pub fn parse_array(text: &str) -> Result<(Range<u64>, Option<u32>), String> {
    let (span, limit) = match text.trim().split_once('%') {
        Some((span, limit)) => (span, Some(limit)),
        None => (text.trim(), None),
    };
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{text}` is not START-END[%N], e.g. 0-999%32"))
    };
    let (start, end) = match span.split_once('-') {
        Some((start, end)) => (number(start)?, number(end)?),
        None => (number(span)?, number(span)?),
    };
    if end < start {
        return Err(format!("`{text}`: the end comes before the start"));
    }
    let limit = match limit {
        None => None,
        Some(limit) => match limit.trim().parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("`{text}`: %N takes a number of tasks, at least 1")),
        },
    };
    Ok((start..end + 1, limit))
}
