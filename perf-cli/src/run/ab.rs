//! `cargo perf ab`: two revisions built and run on one machine, their runs
//! interleaved, each side merged into a record, for the gate to judge.
//!
//! - **Where they are built.** A git revision gets a detached worktree of
//!   its own, `<output root>/ab/worktrees/<commit>`, and a target
//!   directory of its own, `<output root>/ab/target/<commit>`; both stay
//!   for the next call, which then builds nothing (the base of a pull
//!   request is built once). The working tree (HEAD's default) is built in
//!   place into the user's own target directory, as `record` builds it.
//!   Two checkouts never share a target directory: cargo keys a workspace
//!   member's artifacts and freshness by its path *within* the workspace,
//!   so another checkout whose files are older would take the first one's
//!   binary as fresh (rust-lang/cargo#17312).
//! - **What runs.** Each executable is copied to
//!   `<output root>/ab/bin/<commit or working-tree>/` right after its build,
//!   so that nothing built later replaces it; each side runs in its own
//!   checkout (the directory matching the current one), with
//!   `PERF_GIT_COMMIT` set to its commit (`-dirty` for a changed working
//!   tree), which perf-core writes into every run.
//! - **On what dependencies.** A revision that does not commit its
//!   `Cargo.lock` is built with the working tree's, copied in, so that both
//!   sides use the same versions ([`super::lockfile`]); `ab` says so.
//! - **In what order.** Warm-ups of each side, alternating, then the runs
//!   in pairs in a balanced random order ([`order`]); the seed is printed
//!   and `--seed` repeats it.
//! - **Instructions** (`--instructions`): each side is built with `--cfg
//!   perf_instructions` into `perf-instructions/` under its target
//!   directory (the working tree's: under cargo's, as `record
//!   --instructions` builds it) and copied to `bin/<…>/perf-instructions/`;
//!   every run goes through callgrind, and both records are instruction
//!   records.
//! - **What is kept.** Each side becomes a record under `records/`, named
//!   `ab-base-<commit>` and `ab-head-<commit>`, made as `record` makes one
//!   (staged, published whole, nothing kept when a run fails or Ctrl-C
//!   stops it); `records/latest` then names HEAD's.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use perf_format::files;
use perf_format::layout::{self, Layout};
use perf_format::schema::env::short_commit;
use perf_format::units;

use perf_stats::order::{self, Side};

use super::build;
use super::cargo::{Build, CargoBuild, CargoTarget};
use super::git::{Found, Repo};
use super::lockfile::{SharedLock, Used};
use super::program::{self, Program, seconds};
use super::progress::Progress;
use super::runner::{Recorded, Runner};
use super::signals::Watch;
use super::valgrind;
use crate::Error;
use crate::shell::shell_words;

/// What `cargo perf ab` builds and runs.
#[derive(Clone, Debug)]
pub(crate) struct AbOptions {
    /// The revision judged against.
    pub(crate) base: String,
    /// The revision judged; `None` for the working tree.
    pub(crate) head: Option<String>,
    /// Measured runs a side (at least one).
    pub(crate) runs: usize,
    /// Warm-up runs a side.
    pub(crate) warmup: usize,
    /// The order's seed; `None` for a fresh one.
    pub(crate) seed: Option<u64>,
    /// `--example` or `--bin`.
    pub(crate) kind: CargoTarget,
    /// Its name.
    pub(crate) name: String,
    /// The package, features and profile, the same for both sides.
    pub(crate) build: CargoBuild,
    /// Arguments for the program.
    pub(crate) args: Vec<String>,
    /// No progress on stderr.
    pub(crate) quiet: bool,
    /// Count instructions: each side built with `--cfg perf_instructions`
    /// (into a target directory of its own) and run under callgrind.
    pub(crate) instructions: bool,
}

/// The two records made by [`interleave`] (or `cargo perf ab`), and what
/// to know when reading their comparison.
#[derive(Debug)]
#[non_exhaustive]
pub struct Ab {
    /// BASE's record.
    pub base: Recorded,
    /// HEAD's record.
    pub head: Recorded,
    /// Notes for the comparison: which sides, the order and its seed, the
    /// drift that interleaving cancelled.
    pub notes: Vec<String>,
}

/// One side: where its code comes from.
#[derive(Clone, Debug)]
struct Checkout {
    side: Side,
    /// The revision as given; `None` for the working tree.
    revision: Option<String>,
    /// Its commit, with `-dirty` for a changed working tree; `None` in a
    /// repository without commits.
    commit: Option<String>,
}

impl Checkout {
    /// The commit shortened, or `working-tree` without one.
    fn short(&self) -> String {
        match &self.commit {
            Some(commit) => {
                let dirty = commit.ends_with("-dirty");
                let short = short_commit(commit.trim_end_matches("-dirty"));
                format!("{short}{}", if dirty { "-dirty" } else { "" })
            }
            None => "working-tree".to_owned(),
        }
    }

    /// `BASE origin/main (5a37189f0c1d)`, `HEAD the working tree (…-dirty)`.
    fn label(&self) -> String {
        let what = match &self.revision {
            Some(revision) => revision.clone(),
            None => "the working tree".to_owned(),
        };
        format!("{} {what} ({})", self.side.name(), self.short())
    }

    /// The code in plain words, for the sentence "ab: HEAD against BASE":
    /// `HEAD~1 (def5678abcd)`, `the working tree (abc1234abcd-dirty)`, a
    /// commit given by its id once (`5a37189f0c1d`).
    fn plain(&self) -> String {
        let short = self.short();
        match &self.revision {
            Some(revision) if is_commit_id(revision, self.commit.as_deref()) => short,
            Some(revision) => format!("{revision} ({short})"),
            None if self.commit.is_none() => "the working tree".to_owned(),
            None => format!("the working tree ({short})"),
        }
    }

    /// Errors of this side name it; an interrupt is nobody's side.
    fn blame(&self) -> impl Fn(Error) -> Error + '_ {
        let label = self.label();
        move |e| blame(&label)(e)
    }
}

/// Whether `revision` is `commit`'s id (or a prefix of it), which says
/// nothing more than the commit.
fn is_commit_id(revision: &str, commit: Option<&str>) -> bool {
    let commit = commit.map_or("", |c| c.trim_end_matches("-dirty"));
    revision.len() >= 4
        && revision.chars().all(|c| c.is_ascii_hexdigit())
        && commit.starts_with(&revision.to_ascii_lowercase())
}

/// Builds both sides, runs them interleaved and writes a record of each
/// under `layout`'s records directory.
pub(crate) fn ab(layout: &Layout, options: &AbOptions) -> Result<Ab, Error> {
    program::check_runs(options.runs)?;
    // Valgrind missing is said before anything is built.
    let valgrind = match options.instructions {
        true => Some(valgrind::find(std::env::var_os("PATH").as_ref())?),
        false => None,
    };
    let cwd = perf_format::layout::current_dir()?;
    let repo = Repo::discover(&cwd, "`cargo perf ab` builds git revisions")?;
    let base = Checkout {
        side: Side::Base,
        revision: Some(options.base.clone()),
        commit: Some(repo.commit(&options.base)?),
    };
    let head = match &options.head {
        Some(revision) => Checkout {
            side: Side::Head,
            revision: Some(revision.clone()),
            commit: Some(repo.commit(revision)?),
        },
        None => {
            let commit = repo.commit("HEAD").ok();
            let dirty = commit.is_some() && repo.is_dirty()?;
            Checkout {
                side: Side::Head,
                revision: None,
                commit: commit.map(|c| if dirty { format!("{c}-dirty") } else { c }),
            }
        }
    };
    let seed = options.seed.unwrap_or_else(fresh_seed);

    let watch = Watch::begin();
    let ab_dir = layout.output().join("ab");
    let mut lock = SharedLock::of_working_tree(&repo, &cwd);
    let mut lock_notes = Vec::new();
    let mut sides = Vec::with_capacity(2);
    for checkout in [&base, &head] {
        let phase = Phase::start(options.quiet, format!("ab: building {}", checkout.label()));
        let (program, used) = build(&repo, &ab_dir, checkout, options, &watch, &mut lock)
            .map_err(checkout.blame())?;
        phase.done(&format!("ab: built {}", checkout.side.name()));
        if let Some(note) = lock_note(checkout, &used) {
            if !options.quiet {
                eprintln!("{note}");
            }
            lock_notes.push(note);
        }
        sides.push(program);
    }
    let [base_program, head_program] = <[Program; 2]>::try_from(sides).expect("two sides built");
    let plan = Plan {
        runs: options.runs,
        warmup: options.warmup,
        seed,
        quiet: options.quiet,
        valgrind,
    };
    let phase = Phase::start(options.quiet, String::new());
    let mut ab = run_sides(
        layout,
        &watch,
        Contender {
            program: base_program,
            label: base.label(),
            plain: base.plain(),
            record: format!("ab-base-{}", base.short()),
        },
        Contender {
            program: head_program,
            label: head.label(),
            plain: head.plain(),
            record: format!("ab-head-{}", head.short()),
        },
        &plan,
    )?;
    phase.done("ab: ran both sides");
    ab.notes.extend(lock_notes);
    Ok(ab)
}

/// What `ab` says of the lockfile a side was built with, if anything.
fn lock_note(checkout: &Checkout, used: &Used) -> Option<String> {
    let side = checkout.label();
    match used {
        Used::Committed | Used::Own => None,
        Used::Copied(source) => Some(format!(
            "ab: {side} was built with a copy of {} (its commit has no Cargo.lock of its own), so both sides use the same dependency versions.",
            source.display()
        )),
        Used::Fresh => Some(format!(
            "ab: {side} had no Cargo.lock to build with: cargo resolved its dependencies, and the other side was built with the lockfile that made."
        )),
    }
}

/// A phase of `ab` (a side's build, the runs), said as it starts and
/// ends with how long it took; nothing when quiet.
struct Phase {
    started: std::time::Instant,
    quiet: bool,
}

impl Phase {
    /// Says `line` (unless empty) and starts the clock.
    fn start(quiet: bool, line: String) -> Phase {
        if !quiet && !line.is_empty() {
            eprintln!("{line} …");
        }
        Phase {
            started: std::time::Instant::now(),
            quiet,
        }
    }

    /// Says `line` and how long the phase took.
    fn done(self, line: &str) {
        if !self.quiet {
            eprintln!("{line} in {}", seconds(self.started.elapsed()));
        }
    }
}

/// Runs two programs that are already built, `base` and `head` (command
/// lines: the executable, then its arguments), exactly as `cargo perf ab`
/// runs its two sides: `warmup` warm-up runs of each, alternating, then
/// `runs` pairs of runs, one of each side, half of the pairs starting with
/// BASE, which ones drawn from `seed`; each side's runs are merged into a
/// record under `layout`'s records directory (`ab-base`, `ab-head`;
/// `records/latest` then names HEAD's), ready for `perf_stats::gate::compare`
/// with `Gate::interleaved` set. The programs
/// run in the current directory; nothing is printed: the notes say what
/// `ab` would add to the comparison (the seed, what the interleaving
/// cancelled).
pub fn interleave(
    layout: &Layout,
    base: &[String],
    head: &[String],
    runs: usize,
    warmup: usize,
    seed: u64,
) -> Result<Ab, Error> {
    program::check_runs(runs)?;
    let contender = |side: Side, words: &[String]| -> Result<Contender, Error> {
        let Some((path, args)) = words.split_first() else {
            return Err(perf_format::Error::setting(
                "command",
                "",
                "give each side's program and its arguments",
            )
            .into());
        };
        let program = Program::new(path, args.to_vec());
        let command = format!("`{}`", shell_words(&program.command_line()));
        Ok(Contender {
            label: format!("{} {command}", side.name()),
            plain: command,
            record: format!("ab-{}", side.name().to_lowercase()),
            program,
        })
    };
    let plan = Plan {
        runs,
        warmup,
        seed,
        quiet: true,
        valgrind: None,
    };
    let watch = Watch::begin();
    run_sides(
        layout,
        &watch,
        contender(Side::Base, base)?,
        contender(Side::Head, head)?,
        &plan,
    )
}

/// One side ready to run: its program, how messages name it, and the
/// name of its record.
struct Contender {
    program: Program,
    /// The side and its code, as errors name it: `BASE main (5a37…)`.
    label: String,
    /// The code in plain words, as the note says it: `main (5a37…)`.
    plain: String,
    record: String,
}

impl Contender {
    /// Errors of this side name it; an interrupt is nobody's side.
    fn blame(&self) -> impl Fn(Error) -> Error + '_ {
        blame(&self.label)
    }
}

/// How many runs, in what order, whether to show progress, and Valgrind
/// when each run goes through callgrind (`--instructions`).
struct Plan {
    runs: usize,
    warmup: usize,
    seed: u64,
    quiet: bool,
    valgrind: Option<PathBuf>,
}

/// Runs the two sides interleaved and writes a record of each under
/// `layout`'s records directory.
fn run_sides(
    layout: &Layout,
    watch: &Watch,
    base: Contender,
    head: Contender,
    plan: &Plan,
) -> Result<Ab, Error> {
    let records = layout.records_dir();
    files::create_dir_all(&records)?;
    let mut base_runner = Runner::new(watch, base.program.clone(), &records)?;
    let mut head_runner = Runner::new(watch, head.program.clone(), &records)?;
    base_runner.valgrind.clone_from(&plan.valgrind);
    head_runner.valgrind.clone_from(&plan.valgrind);
    let seed = plan.seed;
    let warmups = if plan.warmup == 1 {
        "1 warm-up".to_owned()
    } else {
        format!("{} warm-ups", plan.warmup)
    };
    let progress = Progress::new(
        2 * (plan.warmup + plan.runs),
        &format!(
            "ab: {} against {}: {warmups} and {} runs a side, interleaved (seed {seed})",
            head.plain, base.plain, plan.runs,
        ),
        plan.quiet,
    );

    let runner = |side| match side {
        Side::Base => (&base, 0),
        Side::Head => (&head, 1),
    };
    let runners = [&mut base_runner, &mut head_runner];
    for i in 1..=plan.warmup {
        for side in [Side::Base, Side::Head] {
            let (contender, index) = runner(side);
            let what = format!("{} warm-up {i} of {}", side.name(), plan.warmup);
            progress.start(what.clone());
            let elapsed = runners[index].warm_up(&what).map_err(contender.blame())?;
            progress.done(&format!("{what}: {}", seconds(elapsed)));
        }
    }
    let mut done = [0usize; 2];
    let mut times: Vec<(Side, f64)> = Vec::with_capacity(2 * plan.runs);
    for side in order::balanced(plan.runs, seed).into_iter().flatten() {
        let (contender, index) = runner(side);
        done[index] += 1;
        let what = format!("{} run {} of {}", side.name(), done[index], plan.runs);
        progress.start(what.clone());
        let (elapsed, run) = runners[index]
            .run(done[index], &what)
            .map_err(contender.blame())?;
        progress.done(&format!(
            "{what}: {} wall, {}",
            seconds(elapsed),
            units::plural(run.data.functions.len() as u64, "function")
        ));
        times.push((side, elapsed.as_secs_f64()));
    }
    watch.check()?;
    let created = SystemTime::now();
    let base_record = base_runner
        .finish(&base.record, created)
        .map_err(base.blame())?;
    let head_record = head_runner
        .finish(&head.record, created)
        .map_err(head.blame())?;
    layout::set_latest(&records, &head_record.record.id)?;
    progress.say(&format!(
        "BASE record: {}\nHEAD record: {}",
        base_record.path.display(),
        head_record.path.display()
    ));
    drop(progress);

    let mut notes = vec![format!(
        "ab: {} against {}; {} runs a side after {warmups}, interleaved in a balanced random order (seed {seed}: `--seed {seed}` repeats it).",
        head.plain, base.plain, plan.runs,
    )];
    notes.extend(order::drift_note(&times));
    Ok(Ab {
        base: base_record,
        head: head_record,
        notes,
    })
}

/// Wraps an error of the side labelled `label` to name it; an interrupt
/// is nobody's side.
fn blame(label: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Interrupted { .. } => e,
        e => Error::Side {
            side: label.to_owned(),
            source: Box::new(e),
        },
    }
}

/// Builds `checkout`'s program: a revision in its worktree and target
/// directory, the working tree in place; the copy it will run.
fn build(
    repo: &Repo,
    ab_dir: &Path,
    checkout: &Checkout,
    options: &AbOptions,
    watch: &Watch,
    lock: &mut SharedLock,
) -> Result<(Program, Used), Error> {
    let (source_dir, target_dir, bin_dir, checkout_top, used) =
        match (&checkout.revision, &checkout.commit) {
            (Some(_), Some(commit)) => {
                let short = checkout.short();
                let worktree = ab_dir.join("worktrees").join(&short);
                match repo.worktree(&worktree, commit, watch)? {
                    Found::Made => tracing::info!("made the worktree {}", worktree.display()),
                    Found::Reused => tracing::info!("reusing the worktree {}", worktree.display()),
                    Found::Remade => tracing::warn!(
                        "the worktree {} was broken or changed: made it again",
                        worktree.display()
                    ),
                }
                let dir = repo.same_place_in(&worktree);
                if !dir.is_dir() {
                    return Err(perf_format::Error::read(
                        &dir,
                        std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "this directory does not exist at that commit",
                        ),
                    )
                    .into());
                }
                let used = lock.prepare_revision(repo, commit, &worktree)?;
                (
                    Some(dir),
                    Some(ab_dir.join("target").join(&short)),
                    ab_dir.join("bin").join(&short),
                    worktree,
                    used,
                )
            }
            _ => (
                None,
                None,
                ab_dir.join("bin").join("working-tree"),
                repo.top().to_owned(),
                lock.prepare_working_tree(repo.top())?,
            ),
        };
    // The instruction build goes into a directory of its own beside the
    // normal one (the working tree's: under cargo's target directory, as
    // `record --instructions` builds it), and its copy beside the other.
    let (target_dir, bin_dir, rustflags) = match options.instructions {
        true => {
            let target = match target_dir {
                Some(dir) => dir,
                None => build::cargo_target_dir()?,
            };
            (
                Some(target.join(valgrind::TARGET_SUBDIR)),
                bin_dir.join(valgrind::TARGET_SUBDIR),
                Some(build::instruction_rustflags()),
            )
        }
        false => (target_dir, bin_dir, None),
    };
    let build = Build {
        kind: options.kind,
        name: &options.name,
        flags: &options.build,
        dir: source_dir.as_deref(),
        target_dir: target_dir.as_deref(),
        rustflags: rustflags.as_deref(),
    };
    let built = build.run(watch)?;
    lock.built_in(&checkout_top);
    let executable = keep_copy(&built, &bin_dir)?;
    let mut program = Program::new(executable, options.args.clone());
    program.dir = source_dir;
    if let Some(commit) = &checkout.commit {
        program
            .env
            .push(("PERF_GIT_COMMIT".to_owned(), commit.clone()));
    }
    tracing::debug!("{} runs {}", checkout.label(), program.path.display());
    Ok((program, used))
}

/// Copies `executable` into `dir`, replacing an earlier copy whole; the copy.
fn keep_copy(executable: &Path, dir: &Path) -> Result<PathBuf, Error> {
    files::create_dir_all(dir)?;
    let name = executable.file_name().unwrap_or_else(|| "program".as_ref());
    let copy = dir.join(name);
    // Closed before it is filled and run: nothing holds it open for writing.
    let temp = tempfile::Builder::new()
        .prefix(files::TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| perf_format::Error::write(dir, e))?
        .into_temp_path();
    std::fs::copy(executable, &temp).map_err(|e| perf_format::Error::write(&temp, e))?;
    temp.persist(&copy)
        .map_err(|e| perf_format::Error::write(&copy, e.error))?;
    Ok(copy)
}

/// A seed that differs from call to call: the clock and the process id.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    order::seed_from(nanos ^ (u64::from(std::process::id()) << 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout(side: Side, revision: Option<&str>, commit: Option<&str>) -> Checkout {
        Checkout {
            side,
            revision: revision.map(str::to_owned),
            commit: commit.map(str::to_owned),
        }
    }

    #[test]
    fn the_note_names_each_side_once_in_plain_words() {
        let def = "def5678def5678def5678def5678def5678def56";
        let abc = "abc1234abc1234abc1234abc1234abc1234abc12";
        let base = checkout(Side::Base, Some("HEAD~1"), Some(def));
        let head = checkout(Side::Head, Some("HEAD"), Some(abc));
        assert_eq!(
            format!("{} against {}", head.plain(), base.plain()),
            "HEAD (abc1234abc12) against HEAD~1 (def5678def56)"
        );
        let tree = checkout(Side::Head, None, Some(&format!("{abc}-dirty")));
        assert_eq!(tree.plain(), "the working tree (abc1234abc12-dirty)");
        assert_eq!(checkout(Side::Head, None, None).plain(), "the working tree");
        // A commit given by its id is said once.
        let by_id = checkout(Side::Base, Some("DEF5678"), Some(def));
        assert_eq!(by_id.plain(), "def5678def56");
        // The side is still named where an error needs it.
        assert_eq!(base.label(), "BASE HEAD~1 (def5678def56)");
    }
}
