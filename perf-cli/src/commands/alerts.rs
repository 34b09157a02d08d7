//! `cargo perf alerts`: the budgets of perf.toml as Prometheus alerting
//! rules, and with `--tests` the `promtool test rules` file that proves
//! them.

use std::path::{Path, PathBuf};

use super::{Context, Outcome, print, shown_path, to_stdout, write_file};
use crate::Error;
use crate::cli::AlertsArgs;
use crate::render::alerts;
use crate::store::config::Config;

/// Writes the rules (and their tests) `args` ask for.
pub(super) fn run(context: &Context, args: AlertsArgs) -> Result<Outcome, Error> {
    let (config_path, shown) = match args.config {
        Some(path) => (path.clone(), path),
        None => (context.layout()?.config_file(), PathBuf::from("perf.toml")),
    };
    let shown = shown.display().to_string();
    if !config_path.is_file() {
        return Err(Error::Config {
            path: config_path,
            problem: "does not exist: `cargo perf alerts` turns its [[budget]] entries into alerting rules (`cargo perf check --help` describes them)".to_owned(),
        });
    }
    let config = Config::load(&config_path)?;
    if config.budgets.is_empty() {
        return Err(Error::Config {
            path: config_path,
            problem: "has no [[budget]] entry to turn into an alerting rule (`cargo perf check --help` describes them)".to_owned(),
        });
    }
    let places: Vec<String> = config
        .budgets
        .iter()
        .map(|entry| match entry.line {
            Some(line) => format!("{shown}:{line}"),
            None => shown.clone(),
        })
        .collect();
    let budgets: Vec<_> = config
        .budgets
        .iter()
        .zip(places)
        .map(|(entry, place)| (&entry.budget, place))
        .collect();
    let rules = alerts::rules(&budgets);
    let rule_file = alerts::rule_file(&rules, &shown, &args.hold);
    let output = args.output.filter(|path| path.as_os_str() != "-");
    let tests = match (&output, args.tests) {
        (Some(path), true) => Some(tests_beside(path)?),
        (None, true) => {
            return Err(perf_format::Error::setting(
                "--tests",
                "-o -",
                "the tests name the rules file beside them: give -o FILE".to_owned(),
            )
            .into());
        }
        (_, false) => None,
    };
    let Some(path) = output else {
        to_stdout(rule_file.as_bytes())?;
        return Ok(Outcome::Passed);
    };
    write_file(&path, rule_file.as_bytes())?;
    print(&format!(
        "alerting rules: {} ({} rules)\n",
        shown_path(&path),
        rules.len()
    ))?;
    if let Some(tests_path) = tests {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = alerts::tests(&rules, &name, &args.hold);
        write_file(&tests_path, text.as_bytes())?;
        print(&format!(
            "promtool tests: {} (`promtool test rules {}`)\n",
            shown_path(&tests_path),
            shown_path(&tests_path)
        ))?;
    }
    Ok(Outcome::Passed)
}

/// Where the tests of the rules at `rules` go: beside them, `.test`
/// before the extension (`rules.yml` → `rules.test.yml`).
fn tests_beside(rules: &Path) -> Result<PathBuf, Error> {
    let Some(stem) = rules.file_stem().filter(|s| !s.is_empty()) else {
        return Err(perf_format::Error::setting(
            "-o",
            rules.display().to_string(),
            "names no file to put the tests beside".to_owned(),
        )
        .into());
    };
    let mut name = stem.to_owned();
    name.push(".test.");
    name.push(rules.extension().unwrap_or("yml".as_ref()));
    Ok(rules.with_file_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tests_go_beside_the_rules() {
        let beside = |path: &str| tests_beside(Path::new(path)).unwrap();
        assert_eq!(beside("rules.yml"), Path::new("rules.test.yml"));
        assert_eq!(beside("out/perf.yaml"), Path::new("out/perf.test.yaml"));
        assert_eq!(beside("rules"), Path::new("rules.test.yml"));
    }
}
