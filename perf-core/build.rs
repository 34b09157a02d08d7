//! Tells perf-core how it is being built, for the environment of every run:
//! the cargo profile (`PERF_BUILD_PROFILE`) and the compiler
//! (`PERF_RUSTC_VERSION`). No dependencies, nothing written but two
//! `rustc-env` lines.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Without the runtime (a library's build, default features off) no run
    // is described: nothing to ask.
    if std::env::var_os("CARGO_FEATURE_RUNTIME").is_none() {
        return;
    }
    // OUT_DIR is `<target>/[<triple>/]<profile dir>/build/<pkg>-<hash>/out`:
    // the profile dir names custom profiles too (`debug` for dev and test).
    let out_dir = std::env::var("OUT_DIR").unwrap_or_default();
    let from_dir = Path::new(&out_dir)
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .map(str::to_owned);
    let profile = from_dir
        .or_else(|| std::env::var("PROFILE").ok())
        .unwrap_or_default();
    println!("cargo:rustc-env=PERF_BUILD_PROFILE={profile}");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    println!("cargo:rustc-env=PERF_RUSTC_VERSION={version}");
}
