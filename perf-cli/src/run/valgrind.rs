//! Running a program under callgrind, for instruction records (`record
//! --instructions`, `ab --instructions`).
//!
//! The options fix everything that would make the counts depend on the
//! machine: the cache sizes are given (not read from the host), the threads
//! are counted together and scheduled fairly. The program runs in the
//! user's environment, as it would without perf — what it reads there
//! (`GATE_SLOW_PCT=1`, `RUST_LOG`) is what it does — with one variable
//! added: the environment's size moves the stack, and with it some counts
//! (a copy of a stack buffer takes another path when its alignment
//! changes), so `PERF_ENV_PAD` pads the environment to a multiple of
//! [`ENV_ALIGN`] bytes: the stack then starts at the same place in its page
//! whatever the user's variables are.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::program::Program;
use crate::Error;

/// How many slots an instruction build has (perf-core's `recorder::slot`).
pub(crate) const SLOTS: usize = 1_024;

/// `RUSTFLAGS` item that makes an instruction build (perf-core's
/// `recorder::slot`, perf-macros' `INSTRUCTIONS`).
pub(crate) const INSTRUCTIONS_CFG: &str = "--cfg perf_instructions";

/// The target directory of instruction builds, inside cargo's: they must not
/// replace the normal build's artifacts.
pub(crate) const TARGET_SUBDIR: &str = "perf-instructions";

/// The file callgrind writes, in the run's `PERF_DIR`.
pub(crate) const OUT_FILE: &str = "callgrind.out";

/// Callgrind's options, before `--callgrind-out-file`. The cache sizes are a
/// common desktop's (32 KiB 8-way L1s, 8 MiB 16-way LL, 64-byte lines), so
/// that estimated cycles are the same on every machine. Threads are kept
/// apart so that a dump marking a span's edge (a `scope!` guard, a tracing
/// span) ends the part of the thread that made it, and only that one.
pub(crate) const CALLGRIND_ARGS: [&str; 12] = [
    "--tool=callgrind",
    "-q",
    "--cache-sim=yes",
    "--I1=32768,8,64",
    "--D1=32768,8,64",
    "--LL=8388608,16,64",
    "--compress-strings=no",
    "--compress-pos=no",
    "--dump-instr=no",
    "--separate-threads=yes",
    "--combine-dumps=yes",
    "--fair-sched=yes",
];

/// `RUSTFLAGS` for the instruction build: the user's, plus the cfg.
pub(crate) fn rustflags(user: Option<&str>) -> String {
    match user.map(str::trim).filter(|flags| !flags.is_empty()) {
        Some(flags) => format!("{flags} {INSTRUCTIONS_CFG}"),
        None => INSTRUCTIONS_CFG.to_owned(),
    }
}

/// `valgrind` on `path` (the value of `PATH`), or [`Error::NoValgrind`].
pub(crate) fn find(path: Option<&OsString>) -> Result<PathBuf, Error> {
    let path = path.ok_or(Error::NoValgrind)?;
    std::env::split_paths(path)
        .map(|dir| dir.join("valgrind"))
        .find(|candidate| candidate.is_file())
        .ok_or(Error::NoValgrind)
}

/// The variable that pads the program's environment ([`ENV_ALIGN`]).
pub(crate) const ENV_PAD: &str = "PERF_ENV_PAD";

/// What the environment is padded to a multiple of, in bytes: a page, so
/// that every alignment a program's code can care about is the same.
pub(crate) const ENV_ALIGN: usize = 4096;

/// The command that runs `program` once under callgrind, writing
/// [`OUT_FILE`] into `perf_dir`, in `environment` (this process's) with
/// the program's own variables and `PERF_DIR` set, padded by
/// [`ENV_PAD`].
pub(crate) fn command(
    valgrind: &Path,
    program: &Program,
    perf_dir: &Path,
    environment: impl IntoIterator<Item = (OsString, OsString)>,
) -> Command {
    let mut out_file = OsString::from("--callgrind-out-file=");
    out_file.push(perf_dir.join(OUT_FILE));
    let mut variables: Vec<(OsString, OsString)> = environment
        .into_iter()
        .filter(|(k, _)| k != ENV_PAD && k != "PERF_DIR")
        .filter(|(k, _)| !program.env.iter().any(|(own, _)| k == own.as_str()))
        .collect();
    variables.extend(
        program
            .env
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v))),
    );
    variables.push(("PERF_DIR".into(), perf_dir.into()));
    variables.push((ENV_PAD.into(), padding(&variables).into()));
    let mut command = Command::new(valgrind);
    command
        .env_clear()
        .envs(variables)
        .args(CALLGRIND_ARGS)
        .arg(out_file)
        .arg(&program.path)
        .args(&program.args);
    if let Some(dir) = &program.dir {
        command.current_dir(dir);
    }
    command
}

/// The value of [`ENV_PAD`] that makes `variables` and the pad itself take
/// a multiple of [`ENV_ALIGN`] bytes on the stack: each `KEY=VALUE` and its
/// NUL, and its pointer.
fn padding(variables: &[(OsString, OsString)]) -> String {
    let size = |k: usize, v: usize| k + 1 + v + 1 + std::mem::size_of::<usize>();
    let taken: usize = variables.iter().map(|(k, v)| size(k.len(), v.len())).sum();
    let with_empty_pad = taken + size(ENV_PAD.len(), 0);
    "x".repeat((ENV_ALIGN - with_empty_pad % ENV_ALIGN) % ENV_ALIGN)
}

/// What Valgrind said when it met an instruction it cannot run, from a
/// failed run's stderr. With `-q` (as perf runs it) Valgrind says only
/// `Illegal opcode at address 0x…` and, on the next line, the function
/// (`at 0x…: app::main (in /path/app)`); without it, also the unhandled
/// bytes (`vex amd64->IR: unhandled instruction bytes: 0x62 …`) and
/// `Unrecognised instruction at address 0x…`. The bytes when given, else
/// the address and function; `None` when it said none of these.
pub(crate) fn unsupported_instruction(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let said = |marker: &str| {
        lines.iter().enumerate().find_map(|(i, line)| {
            let at = line.find(marker)?;
            Some((i, line[at..].trim().trim_end_matches('.').to_owned()))
        })
    };
    if let Some((_, bytes)) = said("unhandled instruction bytes") {
        return Some(bytes);
    }
    let (i, found) =
        said("Illegal opcode at address").or_else(|| said("Unrecognised instruction"))?;
    // `==7==    at 0x11BE41: u::main (in /tmp/u)` → `in u::main`.
    let function = lines
        .get(i + 1)
        .and_then(|next| next.split_once(": "))
        .map(|(_, function)| function.split(" (").next().unwrap_or(function).trim());
    Some(match function {
        Some(function) if !function.is_empty() => format!("{found} in {function}"),
        _ => found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cfg_is_added_to_the_users_rustflags() {
        assert_eq!(rustflags(None), "--cfg perf_instructions");
        assert_eq!(rustflags(Some("  ")), "--cfg perf_instructions");
        assert_eq!(
            rustflags(Some("-C target-cpu=native")),
            "-C target-cpu=native --cfg perf_instructions"
        );
    }

    #[test]
    fn the_program_runs_under_callgrind_in_the_users_environment() {
        let mut program = Program::new("/bin/app", vec!["--fast".into()]);
        program.env.push(("SEED".into(), "1".into()));
        let user = [
            ("PATH", "/usr/bin:/bin"),
            ("SEED", "0"),
            ("PERF_DIR", "/elsewhere"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let command = command(
            Path::new("/usr/bin/valgrind"),
            &program,
            Path::new("/tmp/run"),
            user,
        );
        let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(args[0], "--tool=callgrind");
        assert!(args.contains(&"--callgrind-out-file=/tmp/run/callgrind.out".into()));
        assert_eq!(args[args.len() - 2..], ["/bin/app", "--fast"]);
        let mut env: Vec<_> = command
            .get_envs()
            .filter(|(k, _)| *k != ENV_PAD)
            .map(|(k, v)| (k.to_string_lossy(), v.map(|v| v.to_string_lossy())))
            .collect();
        env.sort();
        let set = |k: &'static str, v: &'static str| (k.into(), Some(v.into()));
        assert_eq!(
            env,
            [
                set("PATH", "/usr/bin:/bin"),
                set("PERF_DIR", "/tmp/run"),
                set("SEED", "1"),
            ]
        );
    }

    #[test]
    fn valgrind_missing_is_named() {
        let empty = tempfile::tempdir().unwrap();
        let path = OsString::from(empty.path());
        let err = find(Some(&path)).unwrap_err();
        assert!(
            err.to_string().contains("apt-get install valgrind"),
            "{err}"
        );
        assert!(matches!(find(None), Err(Error::NoValgrind)));
    }

    #[test]
    fn an_unsupported_instruction_is_found_in_valgrinds_words() {
        let stderr = "vex amd64->IR: unhandled instruction bytes: 0x62 0xF1 0x7D 0x48\n\
            vex amd64->IR:   REX=0 REX.W=0\n\
            ==7== valgrind: Unrecognised instruction at address 0x10a8c0.\n\
            ==7== Process terminating with default action of signal 4 (SIGILL)\n";
        assert_eq!(
            unsupported_instruction(stderr).as_deref(),
            Some("unhandled instruction bytes: 0x62 0xF1 0x7D 0x48")
        );
        // What `valgrind -q` says (valgrind 3.19, an AVX-512 `vmovdqa32`).
        let quiet = "==24097== \n\
            ==24097== Process terminating with default action of signal 4 (SIGILL)\n\
            ==24097==  Illegal opcode at address 0x11BE41\n\
            ==24097==    at 0x11BE41: u::main (in /tmp/ui/u)\n\
            ==24097==    by 0x11BE72: std::sys::backtrace::__rust_begin_short_backtrace (in /tmp/ui/u)\n";
        assert_eq!(
            unsupported_instruction(quiet).as_deref(),
            Some("Illegal opcode at address 0x11BE41 in u::main")
        );
        assert_eq!(unsupported_instruction("thread 'main' panicked\n"), None);
    }

    #[test]
    fn the_environment_is_the_users_padded_to_a_page() {
        let program = Program::new("/bin/app", vec![]);
        let size = |command: &Command| -> usize {
            command
                .get_envs()
                .map(|(k, v)| k.len() + 1 + v.map_or(0, |v| v.len()) + 1 + 8)
                .sum()
        };
        let mut sizes = Vec::new();
        for extra in ["", "x", "a longer value of a variable"] {
            let user = vec![
                (OsString::from("HOME"), OsString::from("/root")),
                (OsString::from("GATE_SLOW_PCT"), OsString::from(extra)),
            ];
            let command = command(Path::new("valgrind"), &program, Path::new("/p"), user);
            let envs: Vec<_> = command.get_envs().collect();
            // The user's variables reach the program.
            assert!(
                envs.iter()
                    .any(|(k, v)| *k == "GATE_SLOW_PCT" && *v == Some(std::ffi::OsStr::new(extra)))
            );
            sizes.push(size(&command));
        }
        assert!(sizes.iter().all(|s| s % ENV_ALIGN == 0), "{sizes:?}");
    }
}
