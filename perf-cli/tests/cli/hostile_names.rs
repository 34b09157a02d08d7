//! Names from files cannot steer the output they appear in: a function
//! name with a newline, an escape sequence, a GitHub Actions workflow
//! command, HTML or Markdown is shown escaped in every format.

use crate::util::{Func, Project, git, record, with};

/// The hostile names, each in a function of the program.
const NAMES: [&str; 8] = [
    "app::new\nline",
    "app::\x1b[31mred",
    "::error file=x::injected",
    "<!-- x",
    "<script>alert(1)</script>",
    "a|b",
    "tick`s`",
    "bidi\u{202e}txt",
];

/// A program with a function of each hostile name under a caller.
fn hostile() -> Vec<Func> {
    let mut funcs = vec![Func::new("app::main", None, 10.0, 5_000.0)];
    funcs.extend(
        NAMES
            .iter()
            .map(|name| Func::new(name, Some("app::main"), 100.0, 20_000.0)),
    );
    funcs
}

/// A baseline `main` and a record in which every hostile function
/// allocates twice per call (a regression of its own: where to look, the
/// outcome, the callers' verdicts name it), and budgets two of them exceed.
fn project() -> Project {
    let project = Project::new();
    project.write_baseline("main", &record("base", &hostile(), 10, 1));
    let mut slower = hostile();
    for name in NAMES {
        slower = with(&slower, name, |f| f.allocs = 2.0);
    }
    project.write_record(&record("cur", &slower, 10, 2));
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"::error file=x::injected\"\nmean = \"1us\"\n\n\
         [[budget]]\nfunction = \"app::\\u001b[31mred\"\nmean = \"1us\"\n",
    )
    .unwrap();
    project
}

/// The output of `perf args`, stdout and stderr, whatever its exit code.
fn run(project: &Project, args: &[&str]) -> String {
    let output = project.perf().args(args).output().unwrap();
    assert!(
        matches!(output.status.code(), Some(0..=2)),
        "{args:?}: {output:?}"
    );
    let mut text = String::from_utf8(output.stdout).unwrap();
    text.push_str(&String::from_utf8(output.stderr).unwrap());
    text
}

/// No raw control or bidi character, and no line a CI log reads as a
/// workflow command.
fn assert_inert(args: &[&str], text: &str) {
    for c in ['\x1b', '\u{202e}', '\r', '\x07'] {
        assert!(!text.contains(c), "{args:?} prints {c:?}:\n{text}");
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{args:?} prints a line starting with `::`: {line:?}\n{text}"
        );
    }
}

#[test]
fn terminal_outputs_escape_hostile_names() {
    let project = project();
    for args in [
        &["baseline", "show", "main"][..],
        &["compare"],
        &["compare", "--all"],
        &["check"],
    ] {
        let text = run(&project, args);
        assert_inert(args, &text);
        assert!(text.contains("\\x1b[31mred"), "{args:?}:\n{text}");
    }
    // Lists name no functions, but must stay inert all the same.
    for args in [&["baseline", "list"][..], &["records"]] {
        assert_inert(args, &run(&project, args));
    }
    let shown = run(&project, &["baseline", "show", "main"]);
    assert!(shown.contains("app::new\\nline"), "{shown}");
    assert!(shown.contains("bidi\\u{202e}txt"), "{shown}");
    assert!(shown.contains("\\::error file=x::injected"), "{shown}");
    // Ordinary names stay as they are.
    assert!(shown.contains("  app::main "), "{shown}");
}

#[test]
fn markdown_escapes_hostile_names() {
    let project = project();
    for args in [
        &["compare", "--format", "markdown"][..],
        &["compare", "--all", "--format", "markdown"],
        &["check", "--format", "markdown"],
    ] {
        let text = run(&project, args);
        assert_inert(args, &text);
        for markup in ["<!--", "<script>", "</script>", "a|b", "`s`"] {
            assert!(!text.contains(markup), "{args:?} prints {markup}:\n{text}");
        }
        // Every table row keeps its seven cells.
        for line in text.lines().filter(|l| l.starts_with("| ")) {
            let cells = line.replace("\\|", "").matches('|').count();
            assert_eq!(cells, 8, "{args:?}: {line}");
        }
    }
    let text = run(&project, &["compare", "--format", "markdown"]);
    assert!(text.contains("\\<\\!-- x"), "{text}");
    assert!(text.contains("`app::main`"), "{text}");
}

#[test]
fn json_keeps_hostile_names_as_data() {
    let project = project();
    for args in [
        &["compare", "--format", "json"][..],
        &["check", "--format", "json"],
    ] {
        let output = project.perf().args(args).output().unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        // JSON is data: serde escapes controls; other characters stay.
        assert!(!text.contains('\x1b') && !text.contains("\n::"), "{text}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        // The names are kept as they are.
        let all = value.to_string();
        for name in NAMES {
            let quoted = serde_json::to_string(name).unwrap();
            assert!(
                args[0] == "check" || all.contains(&quoted),
                "{args:?}: {name:?}"
            );
        }
    }
}

#[test]
#[ignore = "prints the outputs, for a person to read"]
fn print_outputs() {
    let project = project();
    for args in [
        &["baseline", "show", "main"][..],
        &["compare"],
        &["compare", "--format", "markdown"],
        &["check", "--format", "markdown"],
    ] {
        println!("$ {args:?}\n{}", run(&project, args));
    }
}

#[test]
fn errors_escape_the_names_they_suggest() {
    let project = project();
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"app::\\u001b[31mrex\"\nmean = \"1us\"\n",
    )
    .unwrap();
    let text = run(&project, &["check"]);
    assert!(text.contains("did you mean `app::\\x1b[31mred`?"), "{text}");
    assert_inert(&["check"], &text);
}

/// A CSV field: quoted, its quotes doubled.
fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[test]
fn history_escapes_hostile_series_names() {
    let project = Project::new();
    git(
        project.path(),
        &["init", "--quiet", "--initial-branch=main"],
    );
    // A series per hostile name, each stepping up 50% at the 16th commit.
    let header: Vec<String> = NAMES.iter().map(|name| csv_field(name)).collect();
    let rows: String = (0..30)
        .map(|i| {
            let value = if i < 15 { 100 } else { 150 };
            let values = vec![value.to_string(); NAMES.len()].join(",");
            format!("2026-01-{:02} 00:00:00 +0000,c{i},{values}\n", i + 1)
        })
        .collect();
    std::fs::write(
        project.path().join("h.csv"),
        format!("time,commit,{}\n{rows}", header.join(",")),
    )
    .unwrap();
    let imported = run(&project, &["history", "import", "--csv", "h.csv"]);
    assert_inert(&["history", "import"], &imported);
    for args in [
        &["history", "list"][..],
        &["history", "detect"],
        &["history", "show", "::error file=x::injected"],
        &["history", "show", "app::\x1b[31mred"],
    ] {
        let text = run(&project, args);
        assert_inert(args, &text);
    }
    let detected = run(&project, &["history", "detect"]);
    assert!(detected.contains("\\x1b[31mred"), "{detected}");
    assert!(
        detected.contains("\\::error file=x::injected"),
        "{detected}"
    );
    let markdown = run(&project, &["history", "detect", "--format", "markdown"]);
    assert_inert(&["history", "detect", "--format", "markdown"], &markdown);
    for markup in ["<!--", "<script>", "</script>", "a|b", "`s`"] {
        assert!(!markdown.contains(markup), "prints {markup}:\n{markdown}");
    }
}

#[test]
fn soak_escapes_hostile_function_names() {
    let project = Project::new();
    let run_json =
        crate::soak::prepared_run(&project, 30, |t| (1 << 20) + (t * 100_000.0) as u64, true);
    // The function that keeps its bytes is given a hostile name.
    let text = std::fs::read_to_string(&run_json).unwrap();
    let hostile = serde_json::to_string("::error file=x::\x1b[31mkept\n<!-- x").unwrap();
    std::fs::write(&run_json, text.replace("\"db::query\"", &hostile)).unwrap();
    let output = project
        .perf()
        .args(["soak", "--duration", "2s", "--warmup", "0s", "--"])
        .args(crate::soak::program(&run_json, "soaked"))
        .output()
        .unwrap();
    let mut text = String::from_utf8(output.stdout).unwrap();
    text.push_str(&String::from_utf8(output.stderr).unwrap());
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("\\x1b[31mkept\\n"), "{text}");
    assert_inert(&["soak"], &text);
}
