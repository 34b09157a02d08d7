//! Where and when a run or record was made: commit, host, OS, CPU, start
//! time. Every file perf writes carries one.

use std::process::{Command, Stdio};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Characters of a commit id shown where a short one will do.
pub const SHORT_COMMIT: usize = 12;

/// Where and when a run was made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Environment {
    /// `git rev-parse HEAD` of the working directory, when known.
    pub git_commit: Option<String>,
    /// Host name.
    pub host: String,
    /// Operating system, with its release where known.
    pub os: String,
    /// CPU architecture.
    pub arch: String,
    /// CPU model name, when known.
    pub cpu: Option<String>,
    /// Logical cores available to the process.
    pub cores: usize,
    /// Session start, RFC 3339 in UTC.
    pub started_at: String,
    /// Process id.
    pub pid: u32,
    /// Whether the program was built with debug assertions (a debug build).
    pub debug_build: bool,
    /// Version of perf that wrote the file.
    pub perf_version: String,
    /// Whether the working tree had uncommitted changes to tracked files
    /// when the run started (`git status --porcelain
    /// --untracked-files=no`): the commit is then shown as
    /// `<commit>-dirty`. False when unknown.
    #[serde(default)]
    pub git_dirty: bool,
    /// The cargo profile perf-core was built in (`release`, `debug`, or a
    /// custom profile's name), when known.
    #[serde(default)]
    pub build_profile: Option<String>,
    /// `rustc --version` of the compiler that built perf-core, when known.
    #[serde(default)]
    pub rustc: Option<String>,
    /// perf-core's features turned on (`enabled`, `cpu`, `heap`,
    /// `tracing`, `criterion`), sorted; `None` when unknown (imports, files
    /// written before perf recorded them).
    #[serde(default)]
    pub perf_features: Option<Vec<String>>,
    /// The smallest step between two readings of the clock spans are timed
    /// with, in ns, measured when the session ended: no duration is known
    /// finer than this. A record keeps the largest of its runs'. `None` in
    /// files written before perf recorded it, and in imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_step_ns: Option<f64>,
}

/// Under this many clock steps a per-call percentile is mostly the
/// clock's graininess: tables mark it `~` ([`Environment::near_clock_step`]).
pub const FEW_CLOCK_STEPS: f64 = 5.0;

impl Environment {
    /// The environment of this process, started at `started`; facts that
    /// cannot be read are left empty, never an error. `debug_build` is
    /// false and the build facts (`build_profile`, `rustc`,
    /// `perf_features`) unknown: the caller knows how it was built.
    pub fn capture(started: SystemTime) -> Environment {
        let (git_commit, git_dirty) = git_state();
        Environment {
            git_commit,
            git_dirty,
            host: host_name(),
            os: os_name(),
            arch: std::env::consts::ARCH.to_owned(),
            cpu: cpu_model(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            started_at: humantime::format_rfc3339_millis(started).to_string(),
            pid: std::process::id(),
            debug_build: false,
            perf_version: env!("CARGO_PKG_VERSION").to_owned(),
            build_profile: None,
            rustc: None,
            perf_features: None,
            clock_step_ns: None,
        }
    }

    /// Whether a per-call duration of `ns` is under [`FEW_CLOCK_STEPS`]
    /// steps of the clock it was timed with: a bound more than a figure
    /// (10 ns at a 10 ns step may be anything from 0 to 20). False when
    /// the step is not known.
    pub fn near_clock_step(&self, ns: f64) -> bool {
        near_clock_step(self.clock_step_ns, ns)
    }

    /// The legend of a `~` mark: `~ = under 5 clock steps of 10 ns: read
    /// as a bound, not a figure`; `None` when the step is not known.
    pub fn clock_step_legend(&self) -> Option<String> {
        clock_step_legend(self.clock_step_ns)
    }

    /// The git commit shortened (see [`short_commit`]), when known.
    pub fn short_commit(&self) -> Option<&str> {
        self.git_commit.as_deref().map(short_commit)
    }

    /// The commit as shown: shortened, with `-dirty` when the working tree
    /// had uncommitted changes (see [`commit_label`]), when known.
    pub fn commit_label(&self) -> Option<String> {
        self.git_commit
            .as_deref()
            .map(|commit| commit_label(commit, self.git_dirty))
    }
}

/// Whether a per-call duration of `ns` is under [`FEW_CLOCK_STEPS`] of
/// a clock stepping by `step` ns (false when the step is not known).
pub fn near_clock_step(step: Option<f64>, ns: f64) -> bool {
    step.is_some_and(|step| step > 0.0 && ns < FEW_CLOCK_STEPS * step)
}

/// The legend of a `~` mark for a clock stepping by `step` ns.
pub fn clock_step_legend(step: Option<f64>) -> Option<String> {
    let step = step.filter(|s| *s > 0.0)?;
    Some(format!(
        "~ = under {FEW_CLOCK_STEPS} clock steps of {}: read as a bound, not a figure",
        crate::units::duration(step)
    ))
}

/// A commit as shown: its first [`SHORT_COMMIT`] characters, then `-dirty`
/// if the working tree had uncommitted changes to tracked files.
pub fn commit_label(commit: &str, dirty: bool) -> String {
    let short = short_commit(commit);
    if dirty && !short.ends_with("-dirty") {
        format!("{short}-dirty")
    } else {
        short.to_owned()
    }
}

/// The first [`SHORT_COMMIT`] characters of a commit id.
pub fn short_commit(commit: &str) -> &str {
    let end = commit
        .char_indices()
        .nth(SHORT_COMMIT)
        .map_or(commit.len(), |(i, _)| i);
    &commit[..end]
}

/// A list of perf-core features as shown: `enabled, heap`, or `none`.
pub fn features_label(features: &[String]) -> String {
    if features.is_empty() {
        "none".to_owned()
    } else {
        features.join(", ")
    }
}

/// A commit given by the environment, `-dirty` for a changed working tree:
/// the commit, and whether it was dirty.
fn given_commit(sha: String) -> (Option<String>, bool) {
    match sha.strip_suffix("-dirty") {
        Some(commit) => (Some(commit.to_owned()), true),
        None => (Some(sha), false),
    }
}

/// The commit and whether the working tree is dirty: `$PERF_GIT_COMMIT`
/// (dirty when it ends in `-dirty`, as `cargo perf ab` sets it for a
/// changed working tree; the commit then without it), else `$GITHUB_SHA`
/// (clean: a checkout CI made), else `git rev-parse HEAD` and `git status`.
fn git_state() -> (Option<String>, bool) {
    if let Some(sha) = ["PERF_GIT_COMMIT", "GITHUB_SHA"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
    {
        return given_commit(sha);
    }
    match git(&["rev-parse", "HEAD"]) {
        Some(sha) if !sha.is_empty() => {
            // Without taking the index lock, so that a user's git command
            // running meanwhile never fails because of perf.
            let dirty = git(&[
                "--no-optional-locks",
                "status",
                "--porcelain",
                "--untracked-files=no",
            ])
            .is_some_and(|changes| !changes.is_empty());
            (Some(sha), dirty)
        }
        _ => (None, false),
    }
}

/// What `git ARGS` printed, trimmed, if it ran and succeeded.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    out.status.success().then_some(text)
}

fn read_trimmed(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn host_name() -> String {
    read_trimmed("/proc/sys/kernel/hostname")
        .or_else(|| read_trimmed("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn os_name() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        });
    let kernel = read_trimmed("/proc/sys/kernel/osrelease");
    match (pretty, kernel) {
        (Some(p), Some(k)) => format!("{p} (kernel {k})"),
        (Some(p), None) => p,
        (None, Some(k)) => format!("{} {k}", std::env::consts::OS),
        (None, None) => std::env::consts::OS.to_owned(),
    }
}

fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| matches!(key.trim(), "model name" | "Model" | "cpu model"))
        .map(|(_, value)| value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_given_as_dirty_is_a_dirty_tree_at_that_commit() {
        let sha = "5a37189f0c1d5a37189f0c1d5a37189f0c1d5a37";
        let (commit, dirty) = given_commit(format!("{sha}-dirty"));
        assert_eq!((commit.as_deref(), dirty), (Some(sha), true));
        assert_eq!(given_commit(sha.to_owned()), (Some(sha.to_owned()), false));
    }

    #[test]
    fn commits_are_shortened_to_twelve_characters() {
        let mut env = Environment::default();
        assert_eq!(env.short_commit(), None);
        env.git_commit = Some("5a37189f0c1d2e3f4a5b".to_owned());
        assert_eq!(env.short_commit(), Some("5a37189f0c1d"));
        env.git_commit = Some("abc-dirty".to_owned());
        assert_eq!(env.short_commit(), Some("abc-dirty"));
        assert_eq!(env.commit_label().as_deref(), Some("abc-dirty"));
        env.git_commit = Some("5a37189f0c1d2e3f4a5b".to_owned());
        env.git_dirty = true;
        assert_eq!(env.commit_label().as_deref(), Some("5a37189f0c1d-dirty"));
    }

    #[test]
    fn files_written_before_the_build_facts_still_load() {
        let old = r#"{"git_commit": null, "host": "h", "os": "Linux", "arch": "x86_64",
            "cpu": null, "cores": 2, "started_at": "t", "pid": 1, "debug_build": false,
            "perf_version": "0.1.0"}"#;
        let env: Environment = serde_json::from_str(old).unwrap();
        assert!(!env.git_dirty);
        assert_eq!(
            (&env.build_profile, &env.rustc, &env.perf_features),
            (&None, &None, &None)
        );
        // Nor the clock's step: nothing is marked.
        assert_eq!(env.clock_step_ns, None);
        assert!(!env.near_clock_step(1.0));
        assert_eq!(env.clock_step_legend(), None);
        assert!(
            !serde_json::to_string(&env)
                .unwrap()
                .contains("clock_step_ns")
        );
    }

    #[test]
    fn figures_under_five_clock_steps_are_marked() {
        let env = Environment {
            clock_step_ns: Some(10.0),
            ..Environment::default()
        };
        assert!(env.near_clock_step(40.0));
        assert!(!env.near_clock_step(50.0));
        assert_eq!(
            env.clock_step_legend().as_deref(),
            Some("~ = under 5 clock steps of 10 ns: read as a bound, not a figure")
        );
        let json = serde_json::to_string(&env).unwrap();
        assert!(json.contains(r#""clock_step_ns":10.0"#), "{json}");
        assert_eq!(serde_json::from_str::<Environment>(&json).unwrap(), env);
    }

    #[test]
    fn the_environment_names_this_machine() {
        let env = Environment::capture(SystemTime::UNIX_EPOCH);
        assert_eq!(env.started_at, "1970-01-01T00:00:00.000Z");
        assert!(env.cores >= 1 && !env.host.is_empty() && !env.os.is_empty());
        assert_eq!(env.pid, std::process::id());
    }
}
