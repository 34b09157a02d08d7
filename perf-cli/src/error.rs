//! The one error type of `cargo perf`. Every variant is "trouble" (exit 2)
//! and names the file, setting or command at fault in one line.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

use perf_format::describe;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read, written or used, or a setting has a bad
    /// value: perf-format's error, whole.
    #[error(transparent)]
    Files(#[from] perf_format::Error),
    /// A baseline that does not exist.
    #[error(
        "no baseline {name:?}: {tried} (`cargo perf baseline list` shows the saved ones, `cargo perf records` the records, `cargo perf baseline save {name}` saves the latest record as {name})"
    )]
    NoBaseline {
        /// The baseline asked for.
        name: String,
        /// What was tried, where: `{path} does not exist` for a saved
        /// baseline alone.
        tried: String,
    },
    /// A record that does not exist.
    #[error("no record {reference:?}: {path} does not exist{hint}")]
    NoRecord {
        /// The record asked for.
        reference: String,
        /// Where it was looked for.
        path: PathBuf,
        /// What to do about it.
        hint: &'static str,
    },
    /// `perf.toml` cannot be used.
    #[error("{path}: {problem}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong, with its line where known.
        problem: String,
    },
    /// `cargo perf check` with no budget to check.
    #[error(
        "no budgets to check: {} {}; add a [[budget]] entry there, such as:\n\n{example}\n(`cargo perf check --help` describes every field and unit)",
        path.display(),
        if *exists { "has no [[budget]] entry" } else { "does not exist" }
    )]
    NoBudgets {
        /// The perf.toml looked for.
        path: PathBuf,
        /// Whether it exists.
        exists: bool,
        /// A budget entry to paste.
        example: String,
    },
    /// A program could not be started.
    #[error("cannot run `{command}`: {}", describe(source))]
    Spawn {
        /// The command line.
        command: String,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A recorded run of the command failed.
    #[error("{what} of `{command}` failed: {status}{}", stderr_tail(stderr))]
    CommandFailed {
        /// Which run, such as "run 2 of 5" or "the build".
        what: String,
        /// The command line.
        command: String,
        /// How it ended.
        status: ExitStatus,
        /// The end of what it wrote to stderr.
        stderr: String,
    },
    /// Valgrind met an instruction it cannot run (`--instructions`).
    #[error(
        "{what} of `{command}`: Valgrind stopped the program on an instruction it cannot run: {detail} (one Valgrind does not know, often AVX-512 from `-C target-cpu=native`: build without it for `--instructions`; or a deliberate trap such as `ud2`)"
    )]
    ValgrindUnsupported {
        /// Which run, such as "run 2 of 5".
        what: String,
        /// The command line.
        command: String,
        /// Valgrind's words on it: the unhandled bytes, or where.
        detail: String,
    },
    /// A run of the command finished without writing a perf run.
    #[error(
        "run {run} of `{command}` wrote no perf run under {dir}: does the program start a perf_core::Session (and not override its directory)?"
    )]
    NoRun {
        /// Which run (1-based).
        run: usize,
        /// The command line.
        command: String,
        /// The `PERF_DIR` it was given.
        dir: PathBuf,
    },
    /// A soaked program ended without writing a perf run.
    #[error(
        "`{command}` {ended} without writing a perf run (run.json where PERF_DIR said): does it start a perf_core::Session{finish}? Nothing was kept"
    )]
    SoakNoRun {
        /// The command line.
        command: String,
        /// How it ended, such as "exited after 0.2 s".
        ended: String,
        /// What else it must do, given how it ended.
        finish: &'static str,
    },
    /// A soaked program that went on after SIGINT and SIGTERM.
    #[error(
        "`{command}` ignored SIGINT and SIGTERM: killed (SIGKILL) {grace} after SIGTERM, its run unfinished, nothing kept; make it finish its perf session on SIGINT or SIGTERM (or give it longer with --grace)"
    )]
    SoakIgnoredStop {
        /// The command line.
        command: String,
        /// The grace period, as shown.
        grace: String,
    },
    /// A soaked run without a heap timeline.
    #[error(
        "run {run} of `{command}` has no heap timeline, so its growth cannot be measured: make perf_core::PerfAlloc the global allocator (`#[global_allocator] static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();`)"
    )]
    SoakNoHeap {
        /// The run's id.
        run: String,
        /// The command line.
        command: String,
    },
    /// A soaked run whose timeline is too short to fit after the warm-up.
    #[error("run {run} of `{command}`: {problem}")]
    SoakTooShort {
        /// The run's id.
        run: String,
        /// The command line.
        command: String,
        /// What is missing, and what to change.
        problem: String,
    },
    /// The load command of a soak failed before the soak ended.
    #[error(
        "the load `{command}` failed {after} into the soak ({status}; its output is above): the program was stopped and nothing was kept"
    )]
    LoadFailed {
        /// The load command.
        command: String,
        /// When it failed, as shown.
        after: String,
        /// How it ended.
        status: ExitStatus,
    },
    /// The runs succeeded but cannot make a record.
    #[error("the runs of `{command}` cannot make a record: {problem}")]
    Unusable {
        /// The command line.
        command: String,
        /// What is wrong with the runs.
        problem: String,
    },
    /// A cargo command (build, bench) failed; its output is above.
    #[error("`{command}` failed ({status}): see its output above")]
    Cargo {
        /// The cargo command line.
        command: String,
        /// How it ended.
        status: ExitStatus,
    },
    /// `cargo metadata` failed or said something unreadable.
    #[error("`cargo metadata` in {dir} failed: {problem}")]
    CargoMetadata {
        /// Where it ran.
        dir: PathBuf,
        /// What cargo said.
        problem: String,
    },
    /// `--package` names no package of the workspace.
    #[error(
        "--package {spec:?}: no such package in the workspace at {root} (its packages: {packages})"
    )]
    NoPackage {
        /// The package asked for.
        spec: String,
        /// The workspace's root.
        root: PathBuf,
        /// Its packages, comma separated.
        packages: String,
    },
    /// No --example, --bin or command, and no cargo package to take a
    /// binary from.
    #[error(
        "nothing to run: give the program after `--` (cargo perf record -- ./my-program), or --example NAME or --bin NAME in a cargo package; `cargo metadata` in {dir} found no package to take its only binary from: {problem}"
    )]
    NothingToRun {
        /// Where cargo looked.
        dir: PathBuf,
        /// What cargo said.
        problem: String,
    },
    /// Nothing to run: no --example, --bin or command, and no binary.
    #[error(
        "{what} has no binary to run: give --example NAME, --bin NAME with --package, or the program after `--`"
    )]
    NoBinary {
        /// The package or workspace looked in.
        what: String,
    },
    /// Several binaries and no choice among them.
    #[error(
        "{what} has several binaries, {binaries}: choose one with --bin NAME (and --package), or set `default-run` in the package's Cargo.toml"
    )]
    ManyBinaries {
        /// The package or workspace looked in.
        what: String,
        /// The binaries, comma separated.
        binaries: String,
    },
    /// `cargo build` produced no executable for `--example`/`--bin`.
    #[error("`{command}` built no executable named {target:?}")]
    NoExecutable {
        /// The build command.
        command: String,
        /// The example or binary asked for.
        target: String,
    },
    /// A callgrind profile that cannot be read.
    #[error("{path}: {problem}")]
    Callgrind {
        /// The `callgrind.out`.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// `--instructions` needs Valgrind, which is not on `PATH`.
    #[error(
        "valgrind not found on PATH: `--instructions` runs the program under Valgrind's callgrind; install it (Debian/Ubuntu: `apt-get install valgrind`, Fedora: `dnf install valgrind`, macOS: not supported)"
    )]
    NoValgrind,
    /// A program recorded with `--instructions` that was not built to be
    /// counted: its record would gate nothing.
    #[error(
        "`{command}` has no instruction counts: it was not built with RUSTFLAGS=\"--cfg perf_instructions\"; `cargo perf record --instructions --bin NAME` (or `--example NAME`) builds it so, or build it yourself with that flag and record it again"
    )]
    NotCounted {
        /// The program, as shown.
        command: String,
    },
    /// A `--filter` that matches no function.
    #[error("--filter {filter:?} matches no function of {records}{hint}")]
    NoMatch {
        /// The text given.
        filter: String,
        /// The records looked in, by id.
        records: String,
        /// The closest names, or how to list them.
        hint: String,
    },
    /// A signal (Ctrl-C, SIGTERM) stopped the work; what it staged is gone.
    #[error("interrupted by {signal}: the program was stopped and nothing of its run was kept")]
    Interrupted {
        /// The signal's name, such as `SIGINT`.
        signal: String,
    },
    /// Two records that are not comparable: another program, another
    /// build (see `compare::guard`).
    #[error(
        "{baseline} and {current} are not the same program: {differences} (--allow-mismatch compares them anyway)"
    )]
    Mismatch {
        /// The baseline side, named: `baseline main`, `record <id>`.
        baseline: String,
        /// The current side, named.
        current: String,
        /// What differs, separated by `; `.
        differences: String,
    },
    /// `cargo perf ab` or the history outside a git repository.
    #[error("{dir} is not in a git repository: {purpose}")]
    NotGitRepository {
        /// The directory it ran in.
        dir: PathBuf,
        /// Why a repository is needed, such as `` `cargo perf ab` builds
        /// git revisions ``.
        purpose: &'static str,
    },
    /// No `git` to run.
    #[error(
        "git not found on PATH: `cargo perf ab` and `cargo perf history` run the `git` command; install git (Debian/Ubuntu: `apt-get install git`, Fedora: `dnf install git`, macOS: `xcode-select --install`)"
    )]
    NoGit,
    /// A line of a history note (`refs/notes/perf`) that is not a
    /// `perf-history/1` entry.
    #[error(
        "the perf history note of {object} is corrupt at line {line}: {problem} (`git notes --ref perf edit {id}` repairs it, `git notes --ref perf remove {id}` drops it)"
    )]
    CorruptNote {
        /// What the note belongs to, as shown: `commit <id>` or `import "<name>"`.
        object: String,
        /// The full id of the object the note is attached to.
        id: String,
        /// The line within the note, from 1.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// A note of a remote's history (`refs/notes/perf`) that is not a
    /// `perf-history/1` entry: nothing of that history is merged.
    #[error(
        "the perf history of {remote} has a corrupt note of {object} at line {line}: {problem}; nothing of it was merged (repair the note in the clone that wrote it, with `git notes --ref perf edit`, and push it again)"
    )]
    CorruptRemoteNote {
        /// The remote it came from.
        remote: String,
        /// What the note belongs to, as shown.
        object: String,
        /// The line within the note, from 1.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// An entry that could not be read back once written (an empty commit,
    /// a negative figure), refused before it is written.
    #[error("cannot add to the history of {object}: {problem}")]
    BadEntry {
        /// What the entry was for, as shown: `commit <id>` or `import "<name>"`.
        object: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The remote kept refusing the history's notes; the local notes hold
    /// every entry still.
    #[error(
        "`git push {remote} refs/notes/perf` was rejected {attempts} times, the last: {problem}; the local history is intact (run `cargo perf history push` again)"
    )]
    PushRejected {
        /// The remote pushed to.
        remote: String,
        /// How many pushes were tried.
        attempts: usize,
        /// What the remote said the last time.
        problem: String,
    },
    /// A history command that cannot do what it was asked, and why.
    #[error("cargo perf history: {0}")]
    History(String),
    /// An Otava CSV file that cannot be imported into the history.
    #[error("{}{}: {problem}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    HistoryImport {
        /// The file.
        path: PathBuf,
        /// The line at fault (1 is the header), where there is one.
        line: Option<u64>,
        /// What is wrong there.
        problem: String,
    },
    /// A git revision that names no commit.
    #[error("unknown git revision {revision:?} in {repository}: {problem}")]
    UnknownRevision {
        /// The revision asked for.
        revision: String,
        /// The repository's top directory.
        repository: PathBuf,
        /// What git said, or why it was not asked.
        problem: String,
    },
    /// A git command failed.
    #[error("`{command}` failed: {problem}")]
    Git {
        /// The git command line.
        command: String,
        /// What git said.
        problem: String,
    },
    /// Trouble with one side of `cargo perf ab`, named with its revision.
    #[error("{side}: {source}")]
    Side {
        /// Which side and revision, such as `BASE origin/main (5a37189f0c1d)`.
        side: String,
        /// What went wrong there.
        source: Box<Error>,
    },
    /// No criterion results where they were looked for.
    #[error("{path}: {problem}")]
    Criterion {
        /// The directory or file at fault.
        path: PathBuf,
        /// What is missing or wrong.
        problem: String,
    },
}

/// The last lines of a failed command's stderr, indented under the error.
fn stderr_tail(stderr: &str) -> String {
    const LINES: usize = 30;
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.is_empty() {
        return " (it wrote nothing to stderr)".to_owned();
    }
    let skipped = lines.len().saturating_sub(LINES);
    let mut out = String::from("; its stderr");
    if skipped > 0 {
        out.push_str(&format!(" (last {LINES} lines)"));
    }
    out.push(':');
    for line in &lines[skipped..] {
        out.push_str("\n  | ");
        out.push_str(line);
    }
    out
}

impl Error {
    /// The error for a command line `command` that could not be started.
    pub(crate) fn spawn(command: &str) -> impl FnOnce(io::Error) -> Self + '_ {
        move |source| Error::Spawn {
            command: command.to_owned(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_command_shows_the_end_of_its_stderr() {
        let stderr: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let text = stderr_tail(&stderr);
        assert!(text.starts_with("; its stderr (last 30 lines):"));
        assert!(text.contains("| line 11\n") && text.ends_with("| line 40"));
        assert!(!text.contains("| line 10\n"));
        assert_eq!(stderr_tail("\n"), " (it wrote nothing to stderr)");
    }
}
