//! The docs' sample outputs are the golden files: every block of the
//! README and docs/ marked `<!-- golden: NAME … -->` holds what golden file
//! NAME holds (or the lines of it the marker names), so a sample cannot
//! drift from what the tool prints. `PERF_BLESS=1` rewrites the blocks as
//! it writes the golden files (see [`bless`](super::bless)).

use super::bless::docs::{Block, blocks, pages};
use super::bless::{BLESS, blessing, diff, dir};

#[test]
fn golden_docs_samples_are_the_golden_outputs() {
    let mut found = 0;
    let mut wrong = Vec::new();
    for path in pages() {
        let page = std::fs::read_to_string(&path).expect("a docs page");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let marked = blocks(&page).unwrap_or_else(|e| panic!("{name}: {e}"));
        for block in marked {
            found += 1;
            // Blessing writes the blocks as it writes their golden files.
            if blessing() {
                continue;
            }
            if let Err(e) = holds(&page, &block) {
                wrong.push(format!("{name}:{}: {e}", block.line));
            }
        }
    }
    assert!(found >= 6, "only {found} marked blocks found in the docs");
    assert!(
        wrong.is_empty(),
        "docs samples that are not what the tool prints:\n{}\n(`{BLESS}` writes the golden outputs into them; review the diff)",
        wrong.join("\n")
    );
}

/// Whether `block` of `page` shows its golden file.
fn holds(page: &str, block: &Block) -> Result<(), String> {
    let golden = std::fs::read_to_string(dir().join(&block.name))
        .map_err(|e| format!("golden file {}: {e}", block.name))?;
    let expected = block.expected(&golden)?;
    let shown = block.shown(page);
    if shown == expected {
        Ok(())
    } else {
        Err(format!(
            "not what {} holds:\n{}",
            block.name,
            diff(&expected, shown, "docs")
        ))
    }
}

#[test]
fn a_marker_names_a_golden_file_and_lines_of_it() {
    let page = "text\n<!-- golden: a.txt lines 1-2, 4 -->\n```text\n$ cargo perf x\none\ntwo\n…\nfour\n```\n\n<!-- golden: b.json -->\n```json\n{}\n```\n";
    let found = blocks(page).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].name, "a.txt");
    assert_eq!(found[0].ranges, Some(vec![(1, 2), (4, 4)]));
    assert_eq!(found[0].line, 2);
    assert_eq!(
        found[0].expected("one\ntwo\nthree\nfour\nfive\n").unwrap(),
        "one\ntwo\n…\nfour\n"
    );
    assert_eq!(found[0].shown(page), "one\ntwo\n…\nfour\n");
    assert_eq!(found[1].shown(page), "{}\n");
    assert_eq!(found[1].expected("{}").unwrap(), "{}\n");
    assert!(found[0].expected("one\n").is_err(), "lines beyond the end");
    for bad in [
        "<!-- golden: a.txt -->\ntext\n",
        "<!-- golden: a.txt lines x -->\n```\n```\n",
        "<!-- golden: -->\n```\n```\n",
        "<!-- golden: a.txt -->\n```\nnever closed\n",
    ] {
        assert!(blocks(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_difference_shows_as_a_hunk_of_golden_and_output_lines() {
    let shown = diff("a\nb\nc\nd\ne\n", "a\nb\nC\nd\ne\n", "output");
    assert_eq!(
        shown,
        "@@ -1,3 +1,3 @@ (golden −, output +)\n a\n b\n-c\n+C\n d\n e\n"
    );
    let shown = diff("a\n", "a\nb\u{1b}[0m", "docs");
    assert!(
        shown.contains("+b\\u{1b}[0m⏎ (no newline at the end)"),
        "{shown}"
    );
}

/// pictures.md quotes a frame's tooltip of the docs' differential
/// flamegraph (`checkout::price (…)`, in backquotes, across lines): it is
/// the title of that frame in the golden picture.
#[test]
fn golden_the_tooltip_quoted_in_pictures_md_is_the_pictures() {
    let page = std::fs::read_to_string(
        pages()
            .into_iter()
            .find(|p| p.ends_with("pictures.md"))
            .expect("docs/pictures.md"),
    )
    .unwrap();
    let start = page.find("`checkout::price (").expect("a quoted tooltip") + 1;
    let end = start + page[start..].find('`').expect("the quote's end");
    let quoted = page[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let picture = std::fs::read_to_string(dir().join("checkout-flamegraph-time-diff.svg"))
        .expect("the golden picture");
    assert!(
        picture.contains(&format!("<title>{quoted}</title>")),
        "docs/pictures.md quotes a tooltip that checkout-flamegraph-time-diff.svg does not have: {quoted:?}; copy its <title> of checkout::price"
    );
}

/// No golden file outlives the check that wrote it: each is named, as a
/// string, by a test here or in perf-cli's source (its unit tests).
#[test]
fn golden_every_golden_file_is_checked() {
    fn sources(dir: &std::path::Path, text: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, text);
            } else if path.extension().is_some_and(|e| e == "rs") {
                text.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    sources(&crate_dir.join("src"), &mut text);
    sources(&crate_dir.join("tests/cli/golden"), &mut text);
    let unchecked: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/golden/")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !text.contains(&format!("\"{name}\"")))
        .collect();
    assert!(
        unchecked.is_empty(),
        "golden files no test checks (delete them): {unchecked:?}"
    );
}
