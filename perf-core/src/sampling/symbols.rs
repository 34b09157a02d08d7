//! Frame names: pprof's resolved stacks in flamegraph order, and the key
//! that matches a sampled frame to the function a callsite instruments.

use super::Frame;

/// The stack of `frames` from the thread's name to the innermost frame,
/// inlined frames included, without the sampler's own frames.
pub(super) fn root_first(frames: &pprof::Frames) -> Vec<Frame> {
    let thread = Frame {
        name: frames.thread_name_or_id(),
        file: None,
        line: 0,
    };
    let mut stack = vec![thread];
    // pprof keeps the innermost address first, and per address the innermost
    // inlined function first.
    stack.extend(
        frames
            .frames
            .iter()
            .rev()
            .flat_map(|symbols| symbols.iter().rev())
            .map(|symbol| Frame {
                name: strip_hash(&symbol.name()).to_owned(),
                file: symbol.filename.clone(),
                line: symbol.lineno.unwrap_or(0),
            }),
    );
    // The trace starts in the signal handler: drop it and what it called.
    if let Some(handler) = stack.iter().position(|f| is_sampler_frame(&f.name)) {
        stack.truncate(handler.max(1));
    }
    stack
}

/// A frame of pprof's signal handler or the kernel's signal trampoline.
fn is_sampler_frame(name: &str) -> bool {
    name.starts_with("pprof::profiler::perf_signal_handler")
        || name == "__restore_rt"
        || name.starts_with("pprof::")
}

/// `path::name::h0123456789abcdef` (legacy mangling's hash) → `path::name`.
fn strip_hash(name: &str) -> &str {
    match name.rsplit_once("::h") {
        Some((path, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            path
        }
        _ => name,
    }
}

/// The key under which a function is matched, for both sides: a demangled
/// symbol (`<app::Parser<u8> as app::Parse>::parse::{{closure}}`) and a
/// `type_name` path (`<app::Parser<_> as app::Parse>::parse`) become
/// `app::Parser::parse`. Generic arguments, closures, async bodies, crate
/// disambiguators and the trait of a trait impl are left out: the key names
/// the function in the source, not one instance of it.
pub(crate) fn code_key(name: &str) -> String {
    let name = strip_hash(name);
    let mut segments: Vec<String> = Vec::new();
    for (i, segment) in split_path(name).into_iter().enumerate() {
        let segment = segment.trim();
        if segment.is_empty() || segment.starts_with('{') {
            continue; // `{{closure}}`, `{closure#0}`, `{shim:vtable#0}`
        }
        if i > 0 && segment.starts_with('<') {
            continue; // a turbofish: `handler::<u32>`
        }
        if let Some(inner) = segment.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            // A qualified path `<Type as Trait>`: the type names the impl.
            let ty = split_top_level_as(inner);
            let key = code_key(ty);
            segments.extend(key.split("::").filter(|s| !s.is_empty()).map(str::to_owned));
            continue;
        }
        segments.push(strip_generics(segment));
    }
    segments.join("::")
}

/// Splits at `::` outside `<…>`, `[…]` and `(…)`.
fn split_path(name: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' | b'[' | b'(' => depth += 1,
            b'>' | b']' | b')' => depth -= 1,
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => {
                parts.push(&name[start..i]);
                i += 2;
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&name[start..]);
    parts
}

/// `Type as Trait` → `Type` (at the top level of a qualified path).
fn split_top_level_as(inner: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in inner.char_indices() {
        match c {
            '<' | '[' | '(' => depth += 1,
            '>' | ']' | ')' => depth -= 1,
            ' ' if depth == 0 && inner[i..].starts_with(" as ") => return &inner[..i],
            _ => {}
        }
    }
    inner
}

/// `Parser<u8>` → `Parser`, `foo[1a2b]` → `foo`.
fn strip_generics(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut depth = 0i32;
    for c in segment.chars() {
        match c {
            '<' | '[' => depth += 1,
            '>' | ']' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_type_names_meet_on_one_key() {
        for (name, key) in [
            ("quickstart::parse::h0123456789abcdef", "quickstart::parse"),
            ("quickstart::parse", "quickstart::parse"),
            ("main::m::A<_>::new", "main::m::A::new"),
            ("<main::m::A<u8> as main::m::Tr>::go", "main::m::A::go"),
            (
                "<main::m::A<u8> as main::m::Tr<Vec<u8>>>::go::{{closure}}",
                "main::m::A::go",
            ),
            ("main::m::asy::{{closure}}", "main::m::asy"),
            ("main::m::asy::{closure#0}", "main::m::asy"),
            ("app[1a2b3c]::handler::<u32>", "app::handler"),
            ("<app::S>::method", "app::S::method"),
        ] {
            assert_eq!(code_key(name), key, "{name}");
        }
    }

    #[test]
    fn only_a_real_hash_is_stripped() {
        assert_eq!(strip_hash("a::hello"), "a::hello");
        assert_eq!(strip_hash("a::h0123456789abcdef"), "a");
    }
}
