//! What a long command draws on a terminal's stderr while it works: a
//! progress line for many jobs, a spinner for one. Lines printed meanwhile go
//! above it ([`print_above`]).

use std::time::Duration;

use crate::emit::emit;

/// The progress line of a many-job wait, on stderr.
pub fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} ended, {msg} ({elapsed})")
    {
        bar.set_style(style);
    }
    bar.set_message(format!("0 failed, {total} running"));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The progress line of a sweep's submit, on stderr.
pub fn task_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} tasks in ({elapsed})")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A spinner on stderr with the time since it started.
pub fn spinner(id: &str) -> indicatif::ProgressBar {
    let spinner = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(format!("{}: …", crate::output::one_line(id)));
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}

/// Prints `line` to stdout, above the progress line if one is drawn.
pub fn print_above(progress: Option<&indicatif::ProgressBar>, line: &str) {
    match progress {
        Some(bar) => bar.suspend(|| emit(line)),
        None => emit(line),
    }
}
