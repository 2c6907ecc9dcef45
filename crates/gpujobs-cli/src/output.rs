//! Printing jobs: tables for people, JSON for programs.

use chrono::{DateTime, Utc};
use gpujobs::{Job, JobStatus, ProviderJob};
use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::Output;

/// A job as the CLI prints it in JSON: the facade's [`Job`] itself, without
/// the provider's own record (`raw`), which programs that want it get from
/// the library. Not a copy of `Job`'s fields, so the two cannot drift apart;
/// `gpujobs schema` describes it.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct JobView(Job);

impl From<&Job> for JobView {
    fn from(job: &Job) -> Self {
        let mut job = job.clone();
        job.raw = ProviderJob::Absent; // left out when serialized
        Self(job)
    }
}

/// The field of [`Job`] a view leaves out.
const RAW: &str = "raw";

impl JsonSchema for JobView {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JobView".into()
    }

    /// `Job`'s schema, inlined and without `raw` (so none of the provider
    /// records' definitions come along).
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
            s.inline_subschemas = true;
        });
        let mut schema = settings.into_generator().root_schema_for::<Job>();
        if let Some(fields) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) {
            fields.remove(RAW);
        }
        if let Some(required) = schema.get_mut("required").and_then(|r| r.as_array_mut()) {
            required.retain(|name| name != RAW);
        }
        schema.remove("$schema");
        schema.insert("title".into(), Self::schema_name().into());
        let about = "A job on any provider, as gpujobs prints it (the library's `Job` without the provider's own record).";
        schema.insert("description".into(), about.into());
        schema
    }
}

/// Everything that decides how output looks.
#[derive(Clone, Debug)]
pub struct Printer {
    pub output: Output,
    pub show_secrets: bool,
    /// ANSI colour (only on a terminal, and not with NO_COLOR).
    pub color: bool,
    /// The terminal's width; `None` when not printing to a terminal.
    pub width: Option<usize>,
    /// The time relative times are counted from; `None`: the moment of printing.
    pub now: Option<DateTime<Utc>>,
}

impl Printer {
    /// JSON text of `value`, secrets revealed only if asked.
    pub fn json<T: Serialize>(&self, value: &T, pretty: bool) -> String {
        let write = || match pretty {
            true => to_json(value, SafeJson(serde_json::ser::PrettyFormatter::new())),
            false => to_json(value, SafeJson(serde_json::ser::CompactFormatter)),
        };
        let text = match self.show_secrets {
            true => gpujobs::reveal(write),
            false => write(),
        };
        text.unwrap_or_else(|e| format!("{{\"error\": \"cannot encode: {e}\"}}"))
    }

    /// One job: a vertical table, an object, or one line.
    pub fn job(&self, job: &Job) -> String {
        match self.output {
            Output::Json => self.json(&JobView::from(job), true),
            Output::Ndjson => self.json(&JobView::from(job), false),
            Output::Name => one_line(&job.id),
            Output::Table => self.job_table(job),
        }
    }

    /// Several jobs: a table, an array, or one line each.
    pub fn jobs(&self, jobs: &[Job]) -> String {
        match self.output {
            Output::Json => {
                let views: Vec<JobView> = jobs.iter().map(JobView::from).collect();
                self.json(&views, true)
            }
            Output::Ndjson | Output::Name => lines(jobs.iter().map(|job| self.job(job))),
            Output::Table => self.list_table(jobs, None),
        }
    }

    /// Jobs of several contexts, each with its context's name: a CONTEXT
    /// column, a `"context"` member, or `CONTEXT/ID` (which `get` takes).
    pub fn jobs_of_contexts(&self, jobs: &[(String, Job)]) -> String {
        let view = |(context, job): &(String, Job)| {
            let mut value = serde_json::to_value(JobView::from(job)).unwrap_or_default();
            if let Some(object) = value.as_object_mut() {
                object.insert("context".into(), context.clone().into());
            }
            value
        };
        match self.output {
            Output::Json => self.json(&jobs.iter().map(view).collect::<Vec<_>>(), true),
            Output::Ndjson => lines(jobs.iter().map(|j| self.json(&view(j), false))),
            Output::Name => lines(
                jobs.iter()
                    .map(|(c, job)| format!("{}/{}", one_line(c), one_line(&job.id))),
            ),
            Output::Table => {
                let (contexts, jobs): (Vec<&str>, Vec<Job>) =
                    jobs.iter().map(|(c, j)| (c.as_str(), j.clone())).unzip();
                self.list_table(&jobs, Some(&contexts))
            }
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    fn job_table(&self, job: &Job) -> String {
        let now = self.now();
        let time = |t: Option<DateTime<Utc>>| {
            t.map(|t| format!("{} ({})", t.format("%Y-%m-%d %H:%M:%S UTC"), ago(now, t)))
        };
        let log_url = job.log_url.as_ref().map(|u| match self.show_secrets {
            true => u.expose().to_owned(),
            false => u.to_string(),
        });
        let text = |value: &Option<String>| value.as_deref().map(one_line);
        let status = format!("{} ({})", job.status, one_line(&job.provider_status));
        let rows = [
            ("provider", Some(job.provider.to_string())),
            ("id", Some(one_line(&job.id))),
            ("name", text(&job.name)),
            ("status", Some(self.paint(&job.status, &status))),
            ("cause", job.cause.map(|c| c.to_string())),
            ("failure reason", text(&job.failure_reason)),
            ("exit code", job.exit_code.map(|c| c.to_string())),
            ("created", time(job.created_at)),
            ("started", time(job.started_at)),
            ("finished", time(job.finished_at)),
            ("message", text(&job.message)),
            ("usage", job.usage.as_ref().and_then(usage_text)),
            ("log", text(&log_url)),
        ];
        rows.iter()
            .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key:<15} {v}")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The list table, with a CONTEXT column first where `contexts` are given (one a job).
    fn list_table(&self, jobs: &[Job], contexts: Option<&[&str]>) -> String {
        if jobs.is_empty() {
            return "no jobs".into();
        }
        let now = self.now();
        let columns = [
            "CONTEXT", "PROVIDER", "ID", "NAME", "STATUS", "EXIT", "CREATED", "REASON",
        ];
        let skip = usize::from(contexts.is_none());
        let header = &columns[skip..];
        let rows: Vec<Vec<String>> = jobs
            .iter()
            .enumerate()
            .map(|(i, job)| {
                let context = contexts.map(|c| one_line(c[i]));
                context
                    .into_iter()
                    .chain([
                        job.provider.to_string(),
                        one_line(&job.id),
                        job.name.as_deref().map_or_else(|| "-".into(), one_line),
                        status_text(&job.status),
                        job.exit_code.map_or_else(|| "-".into(), |c| c.to_string()),
                        job.created_at.map_or_else(|| "-".into(), |t| ago(now, t)),
                        reason_text(job),
                    ])
                    .collect()
            })
            .collect();
        // Only the name and the reason give way to fit the terminal; ids never do.
        let (reason, name) = (header.len() - 1, header.len() - 5);
        table(
            header,
            rows,
            self.width,
            &[(reason, header[reason].len()), (name, 8)],
        )
    }

    /// Colours a status's text (green ended well, red failed, yellow in progress).
    pub fn paint(&self, status: &JobStatus, text: &str) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match status {
            JobStatus::Succeeded => "32",
            JobStatus::Failed => "31",
            JobStatus::Canceled | JobStatus::Canceling => "35",
            JobStatus::Running | JobStatus::Starting => "33",
            _ => "36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

fn to_json<T: Serialize, F: serde_json::ser::Formatter>(
    value: &T,
    formatter: F,
) -> serde_json::Result<String> {
    let mut out = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, formatter,
    ))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A JSON formatter that also writes the characters JSON does not require to
/// be escaped but a terminal would act on (DEL, the C1 controls such as
/// U+009B, bidirectional overrides) as `\uXXXX`: the same data, safe to print.
struct SafeJson<F>(F);

macro_rules! delegate {
    ($($method:ident $(($arg:ident: $ty:ty))?),* $(,)?) => {$(
        fn $method<W: ?Sized + std::io::Write>(&mut self, writer: &mut W $(, $arg: $ty)?) -> std::io::Result<()> {
            self.0.$method(writer $(, $arg)?)
        }
    )*};
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeJson<F> {
    delegate!(
        begin_array, end_array, begin_array_value(first: bool), end_array_value,
        begin_object, end_object, begin_object_key(first: bool), begin_object_value,
        end_object_value,
    );

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest
            .char_indices()
            .find(|(_, c)| gpujobs::is_terminal_control(*c))
        {
            writer.write_all(&rest.as_bytes()[..at])?;
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

/// The REASON column: why a job did not succeed, in gpujobs' words (its
/// cause), then the provider's own where it says more.
fn reason_text(job: &Job) -> String {
    match (job.cause, &job.failure_reason) {
        (Some(cause), Some(reason)) => format!("{cause}: {}", one_line(reason)),
        (Some(cause), None) => cause.to_string(),
        (None, Some(reason)) => one_line(reason),
        (None, None) => "-".into(),
    }
}

/// What a job was given and ran for, on one line (`ran 1m 15s, 2 CPUs, 4 GiB, on gpu01`).
fn usage_text(usage: &gpujobs::Usage) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(elapsed) = usage.elapsed {
        parts.push(format!(
            "ran {}",
            humantime::format_duration(std::time::Duration::from_secs(elapsed.as_secs()))
        ));
    }
    if let Some(cpus) = usage.cpus {
        parts.push(format!("{cpus} CPU{}", if cpus == 1.0 { "" } else { "s" }));
    }
    if let Some(gpus) = usage.gpus {
        parts.push(format!("{gpus} GPU{}", if gpus == 1.0 { "" } else { "s" }));
    }
    if let Some(bytes) = usage.memory_bytes {
        parts.push(format!(
            "{} of memory",
            gpujobs_runtime::body::ByteSize(bytes)
        ));
    }
    if let Some(nodes) = &usage.nodes {
        parts.push(format!("on {}", one_line(nodes)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Lines joined.
fn lines(lines: impl Iterator<Item = String>) -> String {
    lines.collect::<Vec<_>>().join("\n")
}

/// `running`, or `unknown (PREEMPTED)` with the raw value (made safe to print).
pub fn status_text(status: &JobStatus) -> String {
    match status {
        JobStatus::Unknown(raw) if !raw.is_empty() => format!("unknown ({})", one_line(raw)),
        other => other.to_string(),
    }
}

/// How long ago `t` was, roughly: `12s ago`, `3m ago`, `5h ago`, `2d ago`.
pub fn ago(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let seconds = (now - t).num_seconds();
    let (value, unit) = match seconds.unsigned_abs() {
        s if s < 60 => (s, "s"),
        s if s < 3600 => (s / 60, "m"),
        s if s < 86_400 => (s / 3600, "h"),
        s => (s / 86_400, "d"),
    };
    match seconds >= 0 {
        true => format!("{value}{unit} ago"),
        false => format!("in {value}{unit}"),
    }
}

/// A table with two spaces between columns, laid out by display width (CJK
/// and emoji take two cells); to fit `width`, the `(column, minimum)` columns,
/// in that order, are shortened with `…` down to their minimum.
pub fn table(
    header: &[&str],
    mut rows: Vec<Vec<String>>,
    width: Option<usize>,
    shrink: &[(usize, usize)],
) -> String {
    let column_width = |rows: &[Vec<String>], c: usize| {
        rows.iter()
            .map(|r| display_width(&r[c]))
            .chain([header[c].len()])
            .max()
            .unwrap_or(0)
    };
    if let Some(width) = width {
        for &(column, minimum) in shrink {
            let total: usize = (0..header.len())
                .map(|c| column_width(&rows, c))
                .sum::<usize>()
                + 2 * (header.len() - 1);
            let over = total.saturating_sub(width);
            if over == 0 {
                break;
            }
            let fit = column_width(&rows, column)
                .saturating_sub(over)
                .max(minimum);
            for row in &mut rows {
                row[column] = truncate(&row[column], fit);
            }
        }
    }
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for row in rows {
        table.add_row(row);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many terminal cells `text` takes.
fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` cut to `width` cells, ending in `…` when cut.
fn truncate(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Provider text as one table cell: line breaks and tabs become single
/// spaces, and every other control character is escaped visibly
/// ([`gpujobs::terminal_safe`]), so no provider can write to the terminal.
pub fn one_line(text: &str) -> String {
    let words: Vec<&str> = text
        .split(['\n', '\t', ' '])
        .map(|w| w.strip_suffix('\r').unwrap_or(w))
        .filter(|w| !w.is_empty())
        .collect();
    gpujobs::terminal_safe(&words.join(" ")).into_owned()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use gpujobs::ProviderKind;

    use super::*;

    fn printer(width: Option<usize>) -> Printer {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        Printer {
            output: Output::Table,
            show_secrets: false,
            color: false,
            width,
            now: Some(now),
        }
    }

    fn job(id: &str, name: &str, status: JobStatus) -> Job {
        let mut job = Job::new(ProviderKind::Ray, id, status, "RAW");
        job.name = Some(name.into());
        job.created_at = Some(Utc.with_ymd_and_hms(2026, 11, 24, 11, 17, 0).unwrap());
        job
    }

    #[test]
    fn times_read_as_ago() {
        let now = printer(None).now();
        assert_eq!(ago(now, now - chrono::Duration::seconds(12)), "12s ago");
        assert_eq!(ago(now, now - chrono::Duration::minutes(43)), "43m ago");
        assert_eq!(ago(now, now - chrono::Duration::hours(5)), "5h ago");
        assert_eq!(ago(now, now - chrono::Duration::days(2)), "2d ago");
        assert_eq!(ago(now, now + chrono::Duration::minutes(3)), "in 3m");
    }

    #[test]
    fn a_table_fits_the_terminal_by_shortening_reason_and_name() {
        let mut long = job(
            "raysubmit_1",
            "a-very-long-job-name-that-goes-on-and-on",
            JobStatus::Failed,
        );
        long.failure_reason = Some(
            "JOB_ENTRYPOINT_COMMAND_ERROR: Job entrypoint command failed with exit code 3".into(),
        );
        let table = printer(Some(80)).jobs(&[long]);
        assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
        assert!(table.contains('…'), "{table}");
        let wide = printer(None).jobs(&[job("raysubmit_1", "train", JobStatus::Running)]);
        assert_eq!(
            wide,
            "PROVIDER  ID           NAME   STATUS   EXIT  CREATED  REASON\nray       raysubmit_1  train  running  -     43m ago  -"
        );
    }

    #[test]
    fn long_ids_are_never_cut_and_wide_text_keeps_columns_aligned() {
        let long_id = format!("train-{}", "a".repeat(54));
        let mut wide = job(&long_id, "训练任务-🚀-resnet", JobStatus::Failed);
        wide.failure_reason =
            Some("JOB_ENTRYPOINT_COMMAND_ERROR: the entrypoint failed with exit code 3".into());
        let narrow = job("raysubmit_1", "eval", JobStatus::Running);
        let width = |l: &str| unicode_width::UnicodeWidthStr::width(l);
        // With a 40-character id (openYuanrong's), name and reason give way to fit the terminal.
        let mut forty = wide.clone();
        forty.id = long_id[..40].to_owned();
        let fitted = printer(Some(92)).jobs(&[forty, narrow.clone()]);
        assert!(fitted.contains(&long_id[..40]), "{fitted}");
        assert!(fitted.lines().all(|l| width(l) <= 92), "{fitted}");
        // A 60-character one (Ray's) is shown whole even where the table cannot fit.
        let table = printer(Some(80)).jobs(&[wide, narrow]);
        assert!(table.contains(&long_id), "{table}");
        // STATUS starts at the same screen column on every line, CJK and emoji included.
        let status_column: Vec<usize> = table
            .lines()
            .map(|l| {
                let at = ["STATUS", "failed", "running"]
                    .iter()
                    .find_map(|s| l.find(s))
                    .unwrap();
                width(&l[..at])
            })
            .collect();
        assert!(status_column.windows(2).all(|w| w[0] == w[1]), "{table}");
    }

    #[test]
    fn times_are_relative_to_when_they_are_printed() {
        let mut p = printer(None);
        p.now = None;
        let mut done = job("j", "x", JobStatus::Succeeded);
        done.finished_at = Some(Utc::now() - chrono::Duration::seconds(90));
        assert!(p.job(&done).contains("(1m ago)"), "{}", p.job(&done));
    }

    #[test]
    fn provider_text_cannot_write_to_the_terminal() {
        let mut hostile = job(
            "id\x1b[2J",
            "name\x1b]0;owned\x07",
            JobStatus::Unknown("\x1b[31mOK".into()),
        );
        hostile.failure_reason = Some("line one\r\nline two\rFAKE".into());
        hostile.message = Some("\u{9b}2J".into());
        for out in [
            printer(None).jobs(&[hostile.clone()]),
            printer(None).job(&hostile),
        ] {
            assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
            assert!(out.contains(r"name\x1b]0;owned\x07"), "{out}");
        }
        assert_eq!(one_line("a\r\nb\rc\td"), r"a b\rc d");
    }

    #[test]
    fn colour_only_when_asked() {
        let mut p = printer(None);
        assert_eq!(p.paint(&JobStatus::Failed, "failed"), "failed");
        p.color = true;
        assert_eq!(
            p.paint(&JobStatus::Failed, "failed"),
            "\x1b[31mfailed\x1b[0m"
        );
    }
}
