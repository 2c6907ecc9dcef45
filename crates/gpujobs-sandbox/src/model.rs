//! The provider-neutral job model every emulated provider renders in its own
//! wire format: a job's life is a function of the time since it was created
//! (and since it was canceled), so no background task drives it.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use gpujobs_runtime::Secret;

/// How long each phase of a job lasts.
///
/// ```
/// use gpujobs_sandbox::Timing;
/// let fast = Timing::fast();
/// assert!(fast.running < Timing::demo().running);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Waiting for resources.
    pub queued: Duration,
    /// Being set up.
    pub starting: Duration,
    /// Running (for jobs that end by themselves).
    pub running: Duration,
    /// From a cancel request to canceled, on providers that cancel asynchronously.
    pub cancel: Duration,
}

impl Timing {
    /// Human pace, for the CLI and the standalone server: 2 s, 3 s, 20 s; cancels take 2 s.
    pub fn demo() -> Self {
        Self {
            queued: Duration::from_secs(2),
            starting: Duration::from_secs(3),
            running: Duration::from_secs(20),
            cancel: Duration::from_secs(2),
        }
    }

    /// Test pace: 40 ms, 40 ms, 200 ms; cancels take 80 ms.
    pub fn fast() -> Self {
        Self {
            queued: Duration::from_millis(40),
            starting: Duration::from_millis(40),
            running: Duration::from_millis(200),
            cancel: Duration::from_millis(80),
        }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Self::demo()
    }
}

/// How a job ends if nobody cancels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exits 0.
    Succeed,
    /// Exits with this code.
    Fail {
        /// The exit code.
        exit_code: i32,
    },
    /// Never ends by itself.
    RunForever,
}

impl Outcome {
    /// The outcome a shell command suggests: `exit N` (N ≠ 0) fails with N;
    /// `sleep infinity`, `sleep forever` or `tail -f` runs until canceled;
    /// anything else succeeds.
    ///
    /// ```
    /// use gpujobs_sandbox::Outcome;
    /// assert_eq!(Outcome::of_command("python x.py; exit 3"), Outcome::Fail { exit_code: 3 });
    /// assert_eq!(Outcome::of_command("sleep infinity"), Outcome::RunForever);
    /// assert_eq!(Outcome::of_command("echo hi"), Outcome::Succeed);
    /// ```
    pub fn of_command(command: &str) -> Self {
        let words: Vec<&str> = command
            .split(|c: char| c.is_whitespace() || c == ';')
            .collect();
        let exit = words.windows(2).find(|w| w[0] == "exit").and_then(|w| {
            w[1].trim_matches(|c: char| !c.is_ascii_digit())
                .parse::<i32>()
                .ok()
        });
        match exit {
            Some(code) if code != 0 => return Self::Fail { exit_code: code },
            _ => {}
        }
        let forever = ["sleep infinity", "sleep forever", "tail -f"];
        match forever.iter().any(|f| command.contains(f)) {
            true => Self::RunForever,
            false => Self::Succeed,
        }
    }

    /// The outcome of `command` run with `env`: its `$NAME` and `${NAME}`
    /// read from `env` first, as a shell would (`exit $CODE` fails with the
    /// task's own code).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use gpujobs_sandbox::Outcome;
    /// let env = BTreeMap::from([("CODE".to_owned(), "4".to_owned())]);
    /// assert_eq!(Outcome::of_run("exit ${CODE}", &env), Outcome::Fail { exit_code: 4 });
    /// assert_eq!(Outcome::of_run("exit $CODE", &BTreeMap::new()), Outcome::Succeed);
    /// ```
    pub fn of_run(command: &str, env: &BTreeMap<String, String>) -> Self {
        Self::of_command(&expanded(command, env))
    }
}

/// `text` with each `$NAME` and `${NAME}` replaced by its value in `env`
/// (empty where it has none).
fn expanded(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, used) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        match name.is_empty() {
            true => out.push('$'),
            false => out.push_str(env.get(name).map_or("", String::as_str)),
        }
        rest = &after[used..];
    }
    out.push_str(rest);
    out
}

/// A job to put in the sandbox.
///
/// ```
/// use std::time::Duration;
/// use gpujobs_sandbox::{JobSpec, Outcome};
/// let spec = JobSpec::new("python train.py").name("train").age(Duration::from_secs(60));
/// assert_eq!(spec.outcome, Outcome::Succeed);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobSpec {
    /// The command (its text also decides the outcome, see [`Outcome::of_command`]).
    pub command: String,
    /// A display name.
    pub name: Option<String>,
    /// How it ends.
    pub outcome: Outcome,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// Metadata labels.
    pub metadata: BTreeMap<String, String>,
    /// How long ago it was created (demo jobs are created in the past).
    pub age: Duration,
    /// The job's secret (Matpool's SSH password); generated when absent.
    pub secret: Option<Secret>,
    /// A client-chosen id, where the provider takes one.
    pub id: Option<String>,
    /// The working directory or package it was submitted with.
    pub working_dir: Option<String>,
    /// Ray's `runtime_env` as submitted (Ray answers with it).
    pub runtime_env: Option<serde_json::Value>,
    /// How much longer than others it waits in the queue (a task of a Slurm
    /// array held back by the array's `%N` limit).
    pub delay: Duration,
}

impl JobSpec {
    /// A job running `command`, its outcome taken from the command.
    pub fn new(command: impl Into<String>) -> Self {
        let command = command.into();
        Self {
            outcome: Outcome::of_command(&command),
            command,
            name: None,
            env: BTreeMap::new(),
            metadata: BTreeMap::new(),
            age: Duration::ZERO,
            secret: None,
            id: None,
            working_dir: None,
            runtime_env: None,
            delay: Duration::ZERO,
        }
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the outcome.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Makes the job this old.
    pub fn age(mut self, age: Duration) -> Self {
        self.age = age;
        self
    }

    /// Sets the job's secret.
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(Secret::new(secret));
        self
    }
}

/// Where a job is, provider-neutrally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for resources.
    Queued,
    /// Being set up.
    Starting,
    /// Running.
    Running,
    /// Ended with exit code 0.
    Succeeded,
    /// Ended with this exit code.
    Failed(i32),
    /// A cancel is in progress.
    Canceling,
    /// Ended by a cancel.
    Canceled,
}

impl Phase {
    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed(_) | Self::Canceled)
    }
}

/// A job in the sandbox.
#[derive(Clone, Debug)]
pub struct SimJob {
    /// Its id on the wire.
    pub id: String,
    /// A number unique within its provider, in creation order.
    pub seq: u64,
    /// What was asked for.
    pub spec: JobSpec,
    /// When it was created.
    pub created: SystemTime,
    /// When a cancel was accepted, if one was.
    pub canceled_at: Option<SystemTime>,
    /// Whether the provider finishes cancels later (through `Canceling`).
    pub async_cancel: bool,
}

impl SimJob {
    /// Every phase the job has entered by `now`, with when, oldest first.
    pub fn history(&self, now: SystemTime, timing: &Timing) -> Vec<(Phase, SystemTime)> {
        let mut at = self.created;
        let mut history = vec![(Phase::Queued, at)];
        let natural = [
            (
                Phase::Starting,
                timing.queued.saturating_add(self.spec.delay),
            ),
            (Phase::Running, timing.starting),
        ];
        let cancel = self.canceled_at;
        let before_cancel = |t: SystemTime| cancel.is_none_or(|c| t <= c);
        for (phase, after) in natural {
            // A delay past the end of time: it never starts.
            match at.checked_add(after) {
                Some(next) => at = next,
                None => return self.with_cancel(history, now, timing),
            }
            if at > now || !before_cancel(at) {
                return self.with_cancel(history, now, timing);
            }
            history.push((phase, at));
        }
        let end = at + timing.running;
        let ended = match self.spec.outcome {
            Outcome::Succeed => Some(Phase::Succeeded),
            Outcome::Fail { exit_code } => Some(Phase::Failed(exit_code)),
            Outcome::RunForever => None,
        };
        if let Some(ended) = ended
            && end <= now
            && before_cancel(end)
        {
            history.push((ended, end));
            return history;
        }
        self.with_cancel(history, now, timing)
    }

    fn with_cancel(
        &self,
        mut history: Vec<(Phase, SystemTime)>,
        now: SystemTime,
        timing: &Timing,
    ) -> Vec<(Phase, SystemTime)> {
        let Some(canceled) = self.canceled_at.filter(|c| *c <= now) else {
            return history;
        };
        let done = match self.async_cancel {
            true => {
                history.push((Phase::Canceling, canceled));
                canceled + timing.cancel
            }
            false => canceled,
        };
        if done <= now {
            history.push((Phase::Canceled, done));
        }
        history
    }

    /// Where the job is at `now`.
    pub fn phase(&self, now: SystemTime, timing: &Timing) -> Phase {
        self.history(now, timing)
            .last()
            .map_or(Phase::Queued, |(p, _)| *p)
    }

    /// When the job entered `phase`, if it has.
    pub fn entered(
        &self,
        phase: fn(Phase) -> bool,
        now: SystemTime,
        timing: &Timing,
    ) -> Option<SystemTime> {
        self.history(now, timing)
            .into_iter()
            .find(|(p, _)| phase(*p))
            .map(|(_, at)| at)
    }

    /// When the job ended, if it has by `now`.
    pub fn ended_at(&self, now: SystemTime, timing: &Timing) -> Option<SystemTime> {
        match self.phase(now, timing).is_terminal() {
            true => self.history(now, timing).last().map(|(_, at)| *at),
            false => None,
        }
    }

    /// Cancels the job at `now` unless it has ended; says whether it did.
    pub fn cancel(&mut self, now: SystemTime, timing: &Timing) -> bool {
        if self.canceled_at.is_some() || self.phase(now, timing).is_terminal() {
            return false;
        }
        self.canceled_at = Some(now);
        true
    }

    /// What the job has printed by `now`.
    pub fn logs(&self, now: SystemTime, timing: &Timing) -> String {
        let mut out = format!("[sandbox] $ {}\n", self.spec.command);
        let phase = self.phase(now, timing);
        if matches!(
            phase,
            Phase::Running
                | Phase::Succeeded
                | Phase::Failed(_)
                | Phase::Canceling
                | Phase::Canceled
        ) {
            for echo in self
                .spec
                .command
                .split(';')
                .filter_map(|part| part.trim().strip_prefix("echo "))
            {
                out.push_str(echo.trim_matches(['"', '\'']));
                out.push('\n');
            }
        }
        if let Phase::Failed(code) = phase {
            out.push_str(&format!("[sandbox] exited with code {code}\n"));
        }
        out
    }
}

/// Seconds since the epoch.
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Milliseconds since the epoch.
pub(crate) fn unix_millis(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(outcome: Outcome, async_cancel: bool) -> (SimJob, SystemTime, Timing) {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let spec = JobSpec::new("x").outcome(outcome);
        let job = SimJob {
            id: "j".into(),
            seq: 1,
            spec,
            created: t0,
            canceled_at: None,
            async_cancel,
        };
        (job, t0, Timing::demo())
    }

    fn phases(job: &SimJob, now: SystemTime, timing: &Timing) -> Vec<Phase> {
        job.history(now, timing)
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }

    #[test]
    fn a_job_walks_its_phases_with_time() {
        let (job, t0, timing) = job(Outcome::Fail { exit_code: 3 }, false);
        let at = |secs| t0 + Duration::from_secs(secs);
        assert_eq!(job.phase(at(1), &timing), Phase::Queued);
        assert_eq!(job.phase(at(3), &timing), Phase::Starting);
        assert_eq!(job.phase(at(6), &timing), Phase::Running);
        assert_eq!(
            phases(&job, at(30), &timing),
            [
                Phase::Queued,
                Phase::Starting,
                Phase::Running,
                Phase::Failed(3)
            ]
        );
    }

    #[test]
    fn an_asynchronous_cancel_passes_through_canceling() {
        let (mut job, t0, timing) = job(Outcome::RunForever, true);
        assert!(job.cancel(t0 + Duration::from_secs(10), &timing));
        assert!(
            !job.cancel(t0 + Duration::from_secs(11), &timing),
            "a second cancel changes nothing"
        );
        assert_eq!(
            job.phase(t0 + Duration::from_secs(11), &timing),
            Phase::Canceling
        );
        let end = phases(&job, t0 + Duration::from_secs(100), &timing);
        assert_eq!(
            end,
            [
                Phase::Queued,
                Phase::Starting,
                Phase::Running,
                Phase::Canceling,
                Phase::Canceled
            ]
        );
    }

    #[test]
    fn a_cancel_while_queued_skips_the_rest() {
        let (mut job, t0, timing) = job(Outcome::Succeed, false);
        assert!(job.cancel(t0 + Duration::from_secs(1), &timing));
        assert_eq!(
            phases(&job, t0 + Duration::from_secs(100), &timing),
            [Phase::Queued, Phase::Canceled]
        );
    }

    #[test]
    fn an_ended_job_cannot_be_canceled() {
        let (mut job, t0, timing) = job(Outcome::Succeed, false);
        assert!(!job.cancel(t0 + Duration::from_secs(100), &timing));
        assert_eq!(
            job.phase(t0 + Duration::from_secs(200), &timing),
            Phase::Succeeded
        );
    }
}
