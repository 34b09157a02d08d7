//! Text from files — function names, record and baseline names, hosts,
//! commands — as each output may show it, so that no name can steer the
//! output it appears in: [`terminal`] for the terminal and plain text (a
//! CI log), [`markdown`] and [`code`] for a pull-request comment. HTML and
//! SVG escape with `perf_format::html::escape`; JSON with serde.
//!
//! Both make every line of the output start where perf starts it: a
//! newline in a name is shown as `\n`, and a name never begins with `:`
//! (GitHub Actions reads a log line starting with `::` as a command).

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` for a terminal or a log: control characters (C0, DEL, C1 — so
/// also ESC and newlines) and the characters that reorder text (bidi
/// controls) as visible escapes (`\n`, `\t`, `\x1b`, `\u{202e}`), and a
/// leading `:` as `\:`. Ordinary text is returned as it is.
pub(crate) fn terminal(text: &str) -> Cow<'_, str> {
    if !text.starts_with(':') && !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        match c {
            ':' if i == 0 => out.push_str("\\:"),
            c if is_unsafe(c) => visible(c, &mut out),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text of several lines (an error and its causes) for a terminal: each
/// line as [`terminal`] shows it.
pub(crate) fn lines(text: &str) -> String {
    text.split('\n')
        .map(terminal)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` as Markdown text that renders as `text`: what Markdown or HTML
/// would read (`\`, `` ` ``, `*`, `_`, `[`, `]`, `<`, `>`, `|`, `&`, `~`,
/// `#`, `!`) behind a backslash, so no `<!--`, `<script>` or table cell
/// survives, and what [`terminal`] escapes as its visible escape.
pub(crate) fn markdown(text: &str) -> Cow<'_, str> {
    escape_markdown(text, true)
}

/// A cell of `perf_format::table::Table::markdown`, which escapes `|`
/// itself: as [`markdown`] but for `|`.
pub(crate) fn markdown_cell(text: &str) -> String {
    escape_markdown(text, false).into_owned()
}

fn escape_markdown(text: &str, pipe: bool) -> Cow<'_, str> {
    let markup = |c: char| is_markup(c) && (pipe || c != '|');
    if !text.starts_with(':') && !text.chars().any(|c| is_unsafe(c) || markup(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        match c {
            ':' if i == 0 => out.push_str("\\:"),
            c if markup(c) => {
                out.push('\\');
                out.push(c);
            }
            c if is_unsafe(c) => visible(c, &mut out),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// perf's own Markdown sentence with names from files in it (a note):
/// as [`markdown`], but its backticks left to open and close code spans.
/// A name's backtick may then move a span — shown oddly, never as markup,
/// for a code span is read as text.
pub(crate) fn prose(text: &str) -> Cow<'_, str> {
    let mut parts = text.split('`');
    let mut out = markdown(parts.next().unwrap_or_default());
    for part in parts {
        let out = out.to_mut();
        out.push('`');
        out.push_str(&markdown(part));
    }
    out
}

/// A name in code font in Markdown: a code span when the name can be one
/// as it is, else `<code>` around the name escaped by [`markdown`] (a code
/// span cannot escape a backtick, `|` or `<`).
pub(crate) fn code(name: &str) -> String {
    let plain = !name.is_empty()
        && !name
            .chars()
            .any(|c| is_unsafe(c) || matches!(c, '`' | '|' | '<' | '>' | '\\' | '&'));
    match plain {
        true => format!("`{name}`"),
        false => format!("<code>{}</code>", markdown(name)),
    }
}

/// Characters a terminal or a log does not show as themselves: controls,
/// and the bidi controls that reorder what follows them.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Characters Markdown (or HTML within it) reads as markup.
fn is_markup(c: char) -> bool {
    matches!(
        c,
        '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '#' | '!'
    )
}

/// `c` as a visible escape.
fn visible(c: char, out: &mut String) {
    let _ = match c {
        '\n' => write!(out, "\\n"),
        '\r' => write!(out, "\\r"),
        '\t' => write!(out, "\\t"),
        c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
        c => write!(out, "\\u{{{:x}}}", c as u32),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_are_left_as_they_are() {
        for name in ["app::parse_line", "<impl Foo as Bar>::baz", "übung", ""] {
            assert!(matches!(terminal(name), Cow::Borrowed(_)), "{name}");
        }
        assert!(matches!(markdown("app::parse"), Cow::Borrowed(_)));
        assert_eq!(code("app::parse_line"), "`app::parse_line`");
    }

    #[test]
    fn terminal_shows_controls_as_escapes() {
        assert_eq!(terminal("a\nb\x1b[31mc"), "a\\nb\\x1b[31mc");
        assert_eq!(terminal("x\u{202e}y\u{85}"), "x\\u{202e}y\\u{85}");
        assert_eq!(terminal("::error file=x::i"), "\\::error file=x::i");
        assert_eq!(terminal("a\r\t\x7f"), "a\\r\\t\\x7f");
    }

    #[test]
    fn markdown_leaves_no_markup() {
        let escaped = markdown("<!-- x | <script> `a` *b* _c_ [d](e) \\ \n::f");
        assert_eq!(
            escaped,
            "\\<\\!-- x \\| \\<script\\> \\`a\\` \\*b\\* \\_c\\_ \\[d\\](e) \\\\ \\n::f"
        );
        assert_eq!(markdown("::error"), "\\::error");
        assert_eq!(prose("a <b> `--all` c_d"), "a \\<b\\> `--all` c\\_d");
        assert_eq!(code("a|b"), "<code>a\\|b</code>");
        assert_eq!(code("<!--"), "<code>\\<\\!--</code>");
    }
}
