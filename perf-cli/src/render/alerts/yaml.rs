//! YAML scalars, quoted so that any text reads back as itself: what the
//! rules and their tests are written with (the workspace has no YAML
//! crate, and these files need only quoted strings in block mappings).

use super::promql::{self, needs_escape};

/// `text` as a YAML string: single-quoted (a `'` doubled) when every
/// character can stand as itself, else double-quoted with escapes — those
/// of a PromQL string literal, which YAML's double-quoted scalars read the
/// same way (`\\`, `\"`, `\n`, `\r`, `\t`, `\uXXXX`).
pub(crate) fn string(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return format!("'{}'", text.replace('\'', "''"));
    }
    promql::string(text)
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
