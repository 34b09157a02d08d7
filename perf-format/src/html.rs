//! Text written into HTML and SVG safely.

/// `text` with the characters that mean something in HTML and XML (`&`,
/// `<`, `>`, `"`, `'`) escaped: safe in element content and in quoted
/// attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(
            escape(r#"<Vec<T> as Clone>::clone & "x" 'y'"#),
            "&lt;Vec&lt;T&gt; as Clone&gt;::clone &amp; &quot;x&quot; &#39;y&#39;"
        );
    }
}
