//! Progress over a number of runs: a bar on a terminal, plain lines in a
//! CI log, nothing when quiet.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar on a terminal; plain lines elsewhere (CI logs); nothing
/// when quiet.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// Progress over `total` runs, shown under `headline`.
    pub(crate) fn new(total: usize, headline: &str, quiet: bool) -> Self {
        let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if quiet || !interactive {
            if !quiet {
                eprintln!("{headline}");
            }
            return Progress { bar: None, quiet };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                .expect("a valid progress template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.println(headline);
        Progress {
            bar: Some(bar),
            quiet,
        }
    }

    /// A line above the bar (or on its own); nothing when quiet.
    pub(crate) fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }

    /// The run now running.
    pub(crate) fn start(&self, what: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(what);
        }
    }

    /// A run done, described by `line`.
    pub(crate) fn done(&self, line: &str) {
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.println(format!("  {line}"));
            }
            None if !self.quiet => eprintln!("  {line}"),
            None => {}
        }
    }
}

/// The bar is cleared when recording ends, however it ends.
impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
