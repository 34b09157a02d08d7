//! The golden files' one check, shared by the `cli` tests and perf-cli's
//! own unit tests (which include this file): an output is held byte for
//! byte to its file in `perf-cli/tests/golden/`, and `PERF_BLESS=1` writes
//! it there instead — and into every docs block marked with its name —
//! so that a changed output is a reviewed diff, as with inferno's
//! `INFERNO_BLESS_TESTS`.
//!
//! A docs block is marked by an HTML comment on the line before its fence,
//! `<!-- golden: NAME -->` for the whole output, or `<!-- golden: NAME
//! lines 1-12, 20-23 -->` for those lines of it (from 1, a line `…` between
//! ranges). A first line `$ …` in the block is the command a reader types,
//! not output: it is kept as written.

use std::path::{Path, PathBuf};

/// What a person runs to bless every golden file.
pub(crate) const BLESS: &str = "PERF_BLESS=1 cargo test -p perf-cli golden";

/// `perf-cli/tests/golden/`.
pub(crate) fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Whether this run blesses: `PERF_BLESS=1`, the variable perf-stats'
/// evaluations and perf-core's fixtures use too.
pub(crate) fn blessing() -> bool {
    std::env::var_os("PERF_BLESS").is_some_and(|v| v == "1")
}

/// Holds `actual` to golden file `name`; with `PERF_BLESS=1` writes it
/// there (when it differs) and into the docs blocks marked with `name`.
pub(crate) fn check(name: &str, actual: &str) {
    let path = dir().join(name);
    let expected = std::fs::read_to_string(&path).ok();
    if blessing() {
        if expected.as_deref() != Some(actual) {
            std::fs::create_dir_all(dir()).expect("tests/golden/ can be made");
            std::fs::write(&path, actual)
                .unwrap_or_else(|e| panic!("cannot bless {}: {e}", path.display()));
        }
        docs::bless(name, actual);
        return;
    }
    match expected {
        Some(expected) if expected == actual => {}
        Some(expected) => panic!(
            "{name} is not what the golden file holds:\n{}\nIf the change is meant, `{BLESS}` writes it; review the diff.",
            diff(&expected, actual, "output")
        ),
        None => panic!(
            "no golden file {} yet: `{BLESS}` writes it; review it.",
            path.display()
        ),
    }
}

/// The first difference of `expected` and `actual` as a unified diff of one
/// hunk: the lines around it that both share, `-` lines of the golden file
/// and `+` lines of the `actual` text (the output, or a docs block), a few
/// of each.
pub(crate) fn diff(expected: &str, actual: &str, what: &str) -> String {
    const CONTEXT: usize = 2;
    const SHOWN: usize = 12;
    let old: Vec<&str> = expected.split_inclusive('\n').collect();
    let new: Vec<&str> = actual.split_inclusive('\n').collect();
    let same_start = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let same_end = old[same_start..]
        .iter()
        .rev()
        .zip(new[same_start..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let from = same_start.saturating_sub(CONTEXT);
    let mut out = format!(
        "@@ -{},{} +{},{} @@ (golden −, {what} +)\n",
        from + 1,
        old.len() - same_end - from,
        from + 1,
        new.len() - same_end - from
    );
    let mut show = |mark: char, lines: &[&str]| {
        for line in lines.iter().take(SHOWN) {
            let line = line
                .strip_suffix('\n')
                .map_or_else(|| format!("{line}⏎ (no newline at the end)"), str::to_owned);
            let line: String = if line.chars().count() > 160 {
                line.chars().take(160).chain("…".chars()).collect()
            } else {
                line
            };
            // Control characters (a colour's escape) shown, the rest as is.
            let line: String = line
                .chars()
                .map(|c| match c.is_control() && c != '\t' {
                    true => c.escape_debug().to_string(),
                    false => c.to_string(),
                })
                .collect();
            out.push_str(&format!("{mark}{line}\n"));
        }
        if lines.len() > SHOWN {
            out.push_str(&format!("{mark}… {} more lines\n", lines.len() - SHOWN));
        }
    };
    show(' ', &old[from..same_start]);
    show('-', &old[same_start..old.len() - same_end]);
    show('+', &new[same_start..new.len() - same_end]);
    show(' ', &old[old.len() - same_end..][..same_end.min(CONTEXT)]);
    out
}

/// The docs' sample outputs marked as golden.
pub(crate) mod docs {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// The README and every page of docs/.
    pub(crate) fn pages() -> Vec<PathBuf> {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace")
            .to_owned();
        let mut pages: Vec<PathBuf> = std::fs::read_dir(workspace.join("docs"))
            .expect("docs/")
            .map(|entry| entry.expect("docs/ entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "md"))
            .collect();
        pages.sort();
        pages.insert(0, workspace.join("README.md"));
        pages
    }

    /// Lines of a golden file, from 1: first and last of each range.
    pub(crate) type Ranges = Vec<(usize, usize)>;

    /// A marked block of a docs page.
    #[derive(Debug)]
    pub(crate) struct Block {
        /// The golden file it shows.
        pub(crate) name: String,
        /// The lines it shows (from 1, inclusive), or every line.
        pub(crate) ranges: Option<Ranges>,
        /// The line of the marker (from 1).
        pub(crate) line: usize,
        /// The block's text between its fences, as bytes of the page.
        pub(crate) body: std::ops::Range<usize>,
    }

    impl Block {
        /// What the block must hold, from golden output `golden`.
        pub(crate) fn expected(&self, golden: &str) -> Result<String, String> {
            let Some(ranges) = &self.ranges else {
                // A block's last line ends before its closing fence.
                let mut whole = golden.to_owned();
                if !whole.ends_with('\n') {
                    whole.push('\n');
                }
                return Ok(whole);
            };
            let lines: Vec<&str> = golden.lines().collect();
            let mut out = String::new();
            for (i, &(from, to)) in ranges.iter().enumerate() {
                if from == 0 || from > to || to > lines.len() {
                    return Err(format!(
                        "lines {from}-{to} of {} are not there: it has {} lines",
                        self.name,
                        lines.len()
                    ));
                }
                if i > 0 {
                    out.push_str("…\n");
                }
                for line in &lines[from - 1..to] {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Ok(out)
        }

        /// The block's first line when it is a command a reader types
        /// (`$ …`), else nothing.
        pub(crate) fn command<'a>(&self, page: &'a str) -> &'a str {
            let body = &page[self.body.clone()];
            if body.starts_with("$ ") {
                body.split_inclusive('\n').next().unwrap_or_default()
            } else {
                ""
            }
        }

        /// The block's text but its command: the output shown.
        pub(crate) fn shown<'a>(&self, page: &'a str) -> &'a str {
            &page[self.body.clone()][self.command(page).len()..]
        }
    }

    /// Every marked block of `page`'s text; a marker not followed by a
    /// fenced block, or one that does not parse, is an error.
    pub(crate) fn blocks(page: &str) -> Result<Vec<Block>, String> {
        let mut blocks = Vec::new();
        let mut offset = 0;
        let mut lines = page.split_inclusive('\n').enumerate().peekable();
        while let Some((number, line)) = lines.next() {
            offset += line.len();
            let Some(marker) = line
                .trim()
                .strip_prefix("<!-- golden:")
                .and_then(|m| m.strip_suffix("-->"))
            else {
                continue;
            };
            let line_number = number + 1;
            let (name, ranges) = parse(marker.trim())
                .map_err(|e| format!("line {line_number}: {e}: {}", line.trim()))?;
            let fence = lines
                .next()
                .filter(|(_, l)| l.starts_with("```"))
                .ok_or_else(|| {
                    format!("line {line_number}: the marker is not followed by a ``` block")
                })?
                .1;
            offset += fence.len();
            let start = offset;
            let mut end = None;
            for (_, line) in lines.by_ref() {
                if line.trim_end() == "```" {
                    end = Some(offset);
                    offset += line.len();
                    break;
                }
                offset += line.len();
            }
            let end =
                end.ok_or_else(|| format!("line {line_number}: the block is never closed"))?;
            blocks.push(Block {
                name,
                ranges,
                line: line_number,
                body: start..end,
            });
        }
        Ok(blocks)
    }

    /// `NAME` or `NAME lines A-B, C-D`.
    fn parse(marker: &str) -> Result<(String, Option<Ranges>), String> {
        let (name, ranges) = match marker.split_once(" lines ") {
            Some((name, ranges)) => (name.trim(), Some(ranges)),
            None => (marker, None),
        };
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains('/') {
            return Err(format!("{name:?} is not the name of a golden file"));
        }
        let ranges = ranges
            .map(|ranges| {
                ranges
                    .split(',')
                    .map(|range| {
                        let (from, to) = range.trim().split_once('-').unwrap_or((range, range));
                        let number = |n: &str| {
                            n.trim()
                                .parse::<usize>()
                                .map_err(|_| format!("{range:?} is not a range of lines (1-12)"))
                        };
                        Ok((number(from)?, number(to)?))
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
            .transpose()?;
        Ok((name.to_owned(), ranges))
    }

    /// One writer of the docs at a time: tests run in threads.
    static WRITING: Mutex<()> = Mutex::new(());

    /// Writes `golden`, the output of golden file `name`, into every docs
    /// block marked with it.
    pub(crate) fn bless(name: &str, golden: &str) {
        let _writing = WRITING.lock().unwrap_or_else(|e| e.into_inner());
        for path in pages() {
            let mut page = std::fs::read_to_string(&path).expect("a docs page");
            let marked = blocks(&page).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut changed = false;
            // From the last, so that the earlier blocks' places hold.
            for block in marked.iter().rev().filter(|b| b.name == name) {
                let expected = block
                    .expected(golden)
                    .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), block.line));
                if block.shown(&page) == expected {
                    continue;
                }
                let command = block.command(&page).to_owned();
                page.replace_range(block.body.clone(), &(command + &expected));
                changed = true;
            }
            if changed {
                std::fs::write(&path, page)
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            }
        }
    }
}
