//! YAML scalars, quoted so that any text reads back as itself: what the
//! rules and their tests are written with (the workspace has no YAML
//! crate, and these files need only quoted strings in block mappings).

use std::fmt::Write as _;

use super::promql::needs_escape;

/// `text` as a YAML string: single-quoted (a `'` doubled) when every
/// character can stand as itself, else double-quoted with escapes.
pub(crate) fn string(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return format!("'{}'", text.replace('\'', "''"));
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_read_back_as_themselves() {
        assert_eq!(string("perf.toml:12"), "'perf.toml:12'");
        assert_eq!(string("it's {{ $value }}"), "'it''s {{ $value }}'");
        assert_eq!(string(r#"a"b\c"#), r#"'a"b\c'"#);
        assert_eq!(string("a\nb\u{85}"), r#""a\nb\u0085""#);
        assert_eq!(string("# not a comment: - [x]"), "'# not a comment: - [x]'");
        assert_eq!(string(""), "''");
    }
}
