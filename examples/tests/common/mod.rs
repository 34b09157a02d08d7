//! What the tests that run the example programs share.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The built example program `name`, next to the running test:
/// `target/<profile>/deps/<test>` → `target/<profile>/examples/<name>`.
/// Fails the test if it is missing, or older than its source (its own file
/// or the examples library).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps");
    let program = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let library = std::fs::read_dir(manifest.join("src"))
        .expect("the examples library, src/")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()));
    let edited = std::iter::once(manifest.join(format!("{name}.rs")))
        .chain(library)
        .filter_map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let built = std::fs::metadata(&program).and_then(|m| m.modified());
    assert!(
        matches!(built, Ok(built) if built >= edited),
        "{} is not built, or older than its source: run `cargo test -p perf-examples` \
         (which builds the examples; `cargo test --test NAME` alone does not)",
        program.display()
    );
    program
}
