//! Writing text into HTML safely, and files into a page as `data:` URLs.

/// `text` with the characters that mean something in HTML (`&`, `<`, `>`,
/// `"`, `'`) escaped: safe in element content and in quoted attributes.
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

/// `bytes` as a `data:` URL of type `mime`, base64-encoded.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = format!("data:{mime};base64,");
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
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

    #[test]
    fn data_urls_are_base64() {
        assert_eq!(data_url("text/plain", b""), "data:text/plain;base64,");
        assert_eq!(data_url("t", b"f"), "data:t;base64,Zg==");
        assert_eq!(data_url("t", b"fo"), "data:t;base64,Zm8=");
        assert_eq!(data_url("t", b"foo"), "data:t;base64,Zm9v");
        assert_eq!(data_url("t", b"foobar\xff"), "data:t;base64,Zm9vYmFy/w==");
    }
}
