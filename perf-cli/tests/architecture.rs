//! The architecture holds: no module of `perf-cli` or `perf-stats` depends
//! on a sibling that depends back on it, at any level (`run::record` and
//! `run::runner`; `commands` and `store`), and `perf-cli`'s top-level
//! modules keep to their layers.
//!
//! Dependencies are read from the source: every `use` tree and every
//! `crate::…` or `super::…` path in code (comments, strings and test
//! modules left out). An edge between two modules counts between the
//! children of their nearest common ancestor that hold them: `run::record`
//! → `store::records` is `run` → `store`. A module and its own ancestors are
//! one hierarchy, not a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `perf-cli`'s top-level modules, each allowed to use only those before
/// it: the base (errors, names, command lines), then running programs,
/// keeping files, drawing, the gate's glue, the command line, settings,
/// and the commands that wire them.
const LAYERS: [&[&str]; 8] = [
    &["error", "suggest", "shell"],
    &["run"],
    &["store"],
    &["render"],
    &["gate"],
    &["cli"],
    &["settings"],
    &["commands"],
];

#[test]
fn no_module_of_perf_cli_or_perf_stats_is_in_a_cycle() {
    for crate_dir in ["src", "../perf-stats/src"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate_dir);
        let graph = Graph::read(&root);
        assert!(
            graph.modules.len() > 10,
            "{}: only {:?}",
            root.display(),
            graph.modules
        );
        let cycles = graph.sibling_cycles();
        assert!(
            cycles.is_empty(),
            "{}: modules that depend on each other: {cycles:?}",
            root.display()
        );
    }
}

#[test]
fn perf_clis_top_level_modules_keep_to_their_layers() {
    let graph = Graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let layer_of = |module: &str| LAYERS.iter().position(|layer| layer.contains(&module));
    let mut wrong = Vec::new();
    for (from, to) in graph.sibling_edges() {
        if from.contains("::") || to.contains("::") {
            continue;
        }
        let (Some(a), Some(b)) = (layer_of(&from), layer_of(&to)) else {
            wrong.push(format!("{from} → {to}: a module of no layer"));
            continue;
        };
        // The base's modules may use each other (no cycle, as above).
        if b >= a && !(a == 0 && b == 0) {
            wrong.push(format!("{from} → {to}"));
        }
    }
    assert!(wrong.is_empty(), "edges against the layers: {wrong:?}");
}

#[test]
fn the_reader_sees_use_trees_and_paths_but_not_comments_strings_or_tests() {
    let source = r#"
        //! Uses `crate::commented::out`.
        use super::{alpha, beta::{gamma, delta as d}};
        use crate::store::records::{self, Listed};
        fn f() { let _ = "crate::in_a_string"; crate::render::draw(); }
        #[cfg(test)]
        mod tests { use crate::tested::only; }
    "#;
    let paths = references(source);
    assert_eq!(
        paths,
        [
            "super::alpha",
            "super::beta::gamma",
            "super::beta::delta",
            "crate::store::records",
            "crate::store::records::Listed",
            "crate::render::draw",
        ]
    );
}

#[test]
fn a_cycle_between_siblings_is_found_and_a_parent_using_its_child_is_not() {
    let modules = [
        "crate",
        "run",
        "run::record",
        "run::runner",
        "store",
        "store::notes",
    ];
    let graph = |edges: &[(&str, &str)]| {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            map.entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
        }
        Graph {
            modules: modules.iter().map(|m| (*m).to_owned()).collect(),
            edges: map,
        }
    };
    let fine = graph(&[
        ("run", "run::record"),
        ("run::record", "run"),
        ("crate", "store"),
        ("store::notes", "run::runner"),
    ]);
    assert!(fine.sibling_cycles().is_empty());
    let cycle = graph(&[
        ("run::record", "run::runner"),
        ("run::runner", "run::record"),
        ("store::notes", "run::runner"),
        ("run::record", "store"),
    ]);
    assert_eq!(
        cycle.sibling_cycles(),
        [vec!["run", "store"], vec!["run::record", "run::runner"]]
    );
}

/// Modules (`run::record`, `crate` for the root) and the modules each
/// refers to.
struct Graph {
    modules: BTreeSet<String>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// The modules of the crate whose `lib.rs` is in `root`.
    fn read(root: &Path) -> Graph {
        let mut files = Vec::new();
        collect(root, &mut files);
        let module_of = |file: &Path| -> Option<String> {
            let relative = file.strip_prefix(root).ok()?.with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            match parts.last().map(String::as_str) {
                // The binary, and test modules kept in files of their own.
                Some("main" | "tests") => return None,
                Some("lib") => return Some("crate".to_owned()),
                Some("mod") => {
                    parts.pop();
                }
                _ => {}
            }
            Some(parts.join("::"))
        };
        let sources: Vec<(String, String)> = files
            .iter()
            .filter_map(|file| {
                let module = module_of(file)?;
                Some((module, std::fs::read_to_string(file).expect("readable")))
            })
            .collect();
        let modules: BTreeSet<String> = sources.iter().map(|(m, _)| m.clone()).collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, text) in &sources {
            for path in references(text) {
                if let Some(target) = resolve(module, &path, &modules) {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
        Graph { modules, edges }
    }

    /// Every edge as one between the children of the two modules' nearest
    /// common ancestor; none between a module and its ancestors.
    fn sibling_edges(&self) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        for (from, targets) in &self.edges {
            for to in targets {
                let (a, b) = (segments(from), segments(to));
                let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
                if common == a.len() || common == b.len() {
                    continue;
                }
                found.insert((a[..=common].join("::"), b[..=common].join("::")));
            }
        }
        found
    }

    /// The cycles among siblings, each as the modules on it.
    fn sibling_cycles(&self) -> Vec<Vec<String>> {
        let mut next: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in self.sibling_edges() {
            next.entry(from).or_default().insert(to);
        }
        let mut cycles = Vec::new();
        for start in next.keys() {
            // A path back to `start` through modules after it (each cycle once).
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            let mut seen = BTreeSet::new();
            while let Some((at, path)) = stack.pop() {
                for to in next.get(&at).into_iter().flatten() {
                    if to == start {
                        cycles.push(path.clone());
                    } else if to > start && seen.insert(to.clone()) {
                        let mut longer = path.clone();
                        longer.push(to.clone());
                        stack.push((to.clone(), longer));
                    }
                }
            }
        }
        cycles
    }
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// `crate` → `[]`, `run::record` → `["run", "record"]`.
fn segments(module: &str) -> Vec<&str> {
    if module == "crate" {
        Vec::new()
    } else {
        module.split("::").collect()
    }
}

/// The module `path` (written in `module`) names or names an item of: the
/// longest module its resolved segments begin with.
fn resolve(module: &str, path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut words = path.split("::").peekable();
    let mut at: Vec<&str> = match *words.peek()? {
        "crate" => {
            words.next();
            Vec::new()
        }
        "super" | "self" => segments(module),
        _ => return None,
    };
    // `mod.rs` and `foo.rs` both hold module `foo`: `super` leaves it.
    while words.peek() == Some(&"super") {
        words.next();
        at.pop()?;
    }
    if words.peek() == Some(&"self") {
        words.next();
    }
    at.extend(words);
    (0..=at.len())
        .rev()
        .map(|n| match n {
            0 => "crate".to_owned(),
            n => at[..n].join("::"),
        })
        .find(|candidate| modules.contains(candidate))
}

/// Every path a source refers to by `crate`, `super` or `self`, from `use`
/// trees and from code, in order; comments, strings and `#[cfg(test)]`
/// modules left out.
fn references(source: &str) -> Vec<String> {
    let code = without_tests(&without_comments_and_strings(source));
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(start) = rest.find(|c: char| c.is_alphabetic()) {
        let word_end = rest[start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(rest.len(), |e| start + e);
        let word = &rest[start..word_end];
        let before = rest[..start].chars().last();
        if word == "use" && before.is_none_or(|c| !c.is_alphanumeric()) {
            let end = rest[word_end..]
                .find(';')
                .map_or(rest.len(), |e| word_end + e);
            expand("", rest[word_end..end].trim(), &mut paths);
            rest = &rest[end..];
            continue;
        }
        if matches!(word, "crate" | "super") && rest[word_end..].starts_with("::") {
            let end = rest[word_end..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(rest.len(), |e| word_end + e);
            paths.push(rest[start..end].trim_end_matches(':').to_owned());
            rest = &rest[end..];
            continue;
        }
        rest = &rest[word_end..];
    }
    paths.retain(|p| {
        p.starts_with("crate::") || p.starts_with("super::") || p.starts_with("self::")
    });
    paths
}

/// The paths of the `use` tree `tree` under `prefix`.
fn expand(prefix: &str, tree: &str, paths: &mut Vec<String>) {
    let tree = tree.trim().trim_start_matches("pub(crate)").trim();
    let join = |a: &str, b: &str| match (a.is_empty(), b) {
        (true, b) => b.to_owned(),
        (false, "self") => a.to_owned(),
        (false, b) => format!("{a}::{b}"),
    };
    match tree.find('{') {
        Some(open) => {
            let head = tree[..open].trim().trim_end_matches("::");
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let prefix = join(prefix, head);
            let mut depth = 0;
            let mut from = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&prefix, &inner[from..i], paths);
                        from = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&prefix, &inner[from..], paths);
        }
        None if tree.is_empty() => {}
        None => {
            let path = tree.split(" as ").next().unwrap_or(tree).trim();
            if path != "*" {
                paths.push(join(prefix, path).trim_end_matches("::*").to_owned());
            }
        }
    }
}

/// `source` with comments blanked and string and character literals
/// emptied.
fn without_comments_and_strings(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            'r' if matches!(chars.peek(), Some('#' | '"'))
                && !out.ends_with(char::is_alphanumeric) =>
            {
                let mut hashes = 0;
                while chars.peek() == Some(&'#') {
                    chars.next();
                    hashes += 1;
                }
                if chars.next() != Some('"') {
                    continue;
                }
                let closing: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let mut tail = String::new();
                for c in chars.by_ref() {
                    tail.push(c);
                    if tail.ends_with(&closing) {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// `code` without the modules marked `#[cfg(test)]`.
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        if !trimmed.starts_with("mod ") {
            rest = after;
            continue;
        }
        let Some(open) = trimmed.find(['{', ';']) else {
            break;
        };
        if trimmed.as_bytes()[open] == b';' {
            rest = &trimmed[open + 1..];
            continue;
        }
        let mut depth = 0;
        let mut end = trimmed.len();
        for (i, c) in trimmed[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &trimmed[end..];
    }
    out.push_str(rest);
    out
}
