//! A command line as a person would type it into a shell.

/// `words` joined by spaces, each quoted only where a shell needs it.
pub(crate) fn shell_words(words: &[impl AsRef<str>]) -> String {
    words
        .iter()
        .map(|w| {
            let w = w.as_ref();
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                w.to_owned()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_quoted_only_where_needed() {
        let words = ["prog", "--n=5", "two words", "it's"].map(String::from);
        assert_eq!(shell_words(&words), r"prog --n=5 'two words' 'it'\''s'");
    }
}
