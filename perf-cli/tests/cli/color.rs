//! `--color auto|always|never`: regressed rows red on a terminal, and no
//! escape code in a pipe, in CI, under NO_COLOR or in JSON and Markdown.

use crate::util::{Project, program, record, with};

const RED: &str = "\x1b[31m";
const ESCAPE: char = '\x1b';

/// A project whose latest record allocates once more per call in
/// `app::format` than its baseline `main`: a regression.
fn regressed() -> Project {
    let project = Project::new();
    project.write_baseline("main", &record("base", &program(), 10, 1));
    let allocating = with(&program(), "app::format", |f| f.allocs += 1.0);
    project.write_record(&record("cur", &allocating, 10, 2));
    project
}

fn stdout(project: &Project, args: &[&str], env: &[(&str, &str)], ci: bool) -> String {
    let mut command = project.perf();
    command.args(args);
    if !ci {
        command.env_remove("CI");
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn always_paints_the_regressed_rows_red_and_only_them() {
    let project = regressed();
    let out = stdout(&project, &["compare", "--color", "always"], &[], true);
    let format_row = out
        .lines()
        .find(|l| l.contains("app::format") && l.contains("total allocs/call"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(format_row.starts_with(RED), "{format_row:?}");
    assert!(format_row.ends_with("\x1b[0m"), "{format_row:?}");
    // Unchanged rows and the heading stay plain.
    let heading = out.lines().find(|l| l.starts_with("function")).unwrap();
    assert!(!heading.contains(ESCAPE), "{heading:?}");
    assert!(
        out.lines()
            .filter(|l| l.contains("unchanged"))
            .all(|l| !l.contains(ESCAPE)),
        "{out}"
    );
    assert!(out.contains(&format!("{RED}FAILED: ")), "{out}");
    // The flag is global: before the command too.
    let before = stdout(&project, &["--color=always", "compare"], &[], true);
    assert_eq!(before, out);
}

#[test]
fn never_a_pipe_ci_and_no_color_give_plain_text() {
    let project = regressed();
    let plain = [
        stdout(
            &project,
            &["compare", "--color", "never"],
            &[("CLICOLOR_FORCE", "1")],
            false,
        ),
        // The default, auto, in a pipe (as here) and outside CI.
        stdout(&project, &["compare"], &[], false),
        // (CI on a terminal is a unit test of `color`: a pipe alone is plain.)
        // NO_COLOR wins over CLICOLOR_FORCE in auto.
        stdout(
            &project,
            &["compare"],
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
            false,
        ),
        // JSON and Markdown are never painted.
        stdout(
            &project,
            &["compare", "--color", "always", "--format", "json"],
            &[],
            true,
        ),
        stdout(
            &project,
            &["compare", "--color", "always", "--format", "markdown"],
            &[],
            true,
        ),
    ];
    for out in &plain {
        assert!(!out.contains(ESCAPE), "{out}");
        assert!(out.contains("app::format"), "{out}");
    }
    // CLICOLOR_FORCE alone colours a pipe in auto.
    let forced = stdout(&project, &["compare"], &[("CLICOLOR_FORCE", "1")], false);
    assert!(forced.contains(RED), "{forced}");
}

#[test]
fn check_paints_an_exceeded_budget_red() {
    let project = regressed();
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"db::query\"\np95 = \"10us\"\nallocs_per_call = 4\n",
    )
    .unwrap();
    let out = stdout(&project, &["check", "--color", "always"], &[], true);
    let exceeded = out.lines().find(|l| l.contains("EXCEEDED")).unwrap();
    assert!(exceeded.starts_with(RED), "{exceeded:?}");
    let ok = out.lines().find(|l| l.ends_with("ok")).unwrap();
    assert!(!ok.contains(ESCAPE), "{ok:?}");
    let plain = stdout(&project, &["check"], &[], true);
    assert!(!plain.contains(ESCAPE), "{plain}");
}

#[test]
fn clap_s_help_follows_the_same_choice() {
    let project = Project::new();
    let help = |args: &[&str]| {
        let output = project.perf().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(help(&["--color", "always", "--help"]).contains(ESCAPE));
    assert!(!help(&["--color", "never", "--help"]).contains(ESCAPE));
    // In a pipe, as here, by default: plain.
    assert!(!help(&["compare", "--help"]).contains(ESCAPE));
}
