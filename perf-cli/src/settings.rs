//! Where each command's settings come from, in one place: the layout from
//! `--perf-dir` and the environment, the gate from its flags over `[compare]` in
//! `perf.toml` over the defaults. Commands read what is resolved here and
//! never merge flags and files themselves.

use std::path::Path;

use perf_format::files;
use perf_format::layout::Layout;
use perf_format::schema::compare::Settings;

use perf_stats::gate::Gate;

use crate::Error;
use crate::cli::GateFlags;
use crate::store::config::Config;

/// The workspace seen from here, with the output root `out` if given. What
/// killed writers left half-made under it is swept first, so the command
/// after an interrupted one cleans up ([`files::sweep`]).
pub(crate) fn layout(out: Option<&Path>) -> Result<Layout, Error> {
    let layout = match out {
        // `--perf-dir` wins over PERF_DIR, which is then not read at all.
        Some(dir) => {
            let cwd = perf_format::layout::current_dir()?;
            Layout::new(perf_format::layout::workspace_root(&cwd), dir)
        }
        None => Layout::discover()?,
    };
    files::sweep(&layout.records_dir());
    files::sweep(&layout.runs_dir());
    Ok(layout)
}

/// The gate: each flag given, else `[compare]` of `config`.
pub(crate) fn gate(config: &Config, flags: &GateFlags) -> Gate {
    let file = config.compare;
    Gate {
        settings: Settings::new(
            flags.threshold.unwrap_or(file.threshold),
            flags.alloc_threshold.unwrap_or(file.alloc_threshold),
            flags.significance.unwrap_or(file.significance),
            flags
                .instructions_threshold
                .unwrap_or(file.instructions_threshold),
        ),
        fail_on: flags.fail_on.into(),
        interleaved: false,
    }
}

#[cfg(test)]
mod tests {
    use perf_stats::gate::FailOn;

    use super::*;
    use crate::cli::FailOnArg;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_the_defaults() {
        let config = Config {
            compare: Settings::new(0.03, 0.1, 0.05, 0.02),
            budgets: Vec::new(),
        };
        let flags = GateFlags {
            threshold: Some(0.2),
            instructions_threshold: Some(0.005),
            fail_on: FailOnArg::Never,
            ..GateFlags::default()
        };
        let gate = gate(&config, &flags);
        assert_eq!(gate.settings, Settings::new(0.2, 0.1, 0.05, 0.005));
        assert_eq!(gate.fail_on, FailOn::Never);
        let defaults = super::gate(&Config::default(), &GateFlags::default());
        assert_eq!(defaults.settings, Settings::default());
    }
}
