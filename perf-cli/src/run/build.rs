//! The program a record runs: a command line as given, or an example or
//! binary of the workspace built by cargo first (in the instruction build
//! when counting instructions).

use std::path::PathBuf;

use super::cargo::{Build, Metadata};
use super::program::{Program, Target};
use super::signals::Watch;
use super::valgrind;
use crate::Error;

/// The program of `target`, built if need be (under `watch`), and the
/// record's default name.
pub(crate) fn resolve(
    target: &Target,
    watch: &Watch,
    instructions: bool,
) -> Result<(Program, String), Error> {
    match target {
        Target::Command(words) => {
            let Some((program, args)) = words.split_first() else {
                return Err(perf_format::Error::setting(
                    "command",
                    "",
                    "give the program after `--`, or use --example NAME / --bin NAME",
                )
                .into());
            };
            Ok((Program::new(program, args.to_vec()), target.default_name()))
        }
        Target::Cargo {
            kind,
            name,
            build,
            args,
        } => {
            let (rustflags, target_dir) = match instructions {
                true => (
                    Some(instruction_rustflags()),
                    Some(cargo_target_dir()?.join(valgrind::TARGET_SUBDIR)),
                ),
                false => (None, None),
            };
            let build = Build {
                kind: *kind,
                name,
                flags: build,
                dir: None,
                target_dir: target_dir.as_deref(),
                rustflags: rustflags.as_deref(),
            };
            let executable = build.run(watch)?;
            Ok((Program::new(executable, args.clone()), name.clone()))
        }
    }
}

/// Cargo's target directory seen from here, as `cargo metadata` says:
/// `$CARGO_TARGET_DIR`, `build.target-dir` of cargo's configuration, else
/// the workspace's `target`, wherever in the workspace perf runs. The
/// instruction build goes into a directory of its own under it
/// ([`valgrind::TARGET_SUBDIR`]), so that it does not replace the normal
/// build's artifacts.
pub(crate) fn cargo_target_dir() -> Result<PathBuf, Error> {
    let cwd = perf_format::layout::current_dir()?;
    Ok(Metadata::load(&cwd)?.target_directory)
}

/// `RUSTFLAGS` of the instruction build: the user's, and `--cfg perf_instructions`.
pub(crate) fn instruction_rustflags() -> String {
    valgrind::rustflags(std::env::var("RUSTFLAGS").ok().as_deref())
}
