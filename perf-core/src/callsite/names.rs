//! The names `#[profile]` derives, completed and made unique at run time.
//!
//! A lone method's name is completed from its own path as
//! `core::any::type_name` spells it (the marker function nested in it):
//! `<semver::Version as core::str::traits::FromStr>::from_str` gives
//! `<module::Version as FromStr>::from_str`, `app::Gen<_>::get` gives
//! `module::Gen::get` — the type and the trait by their last path segment,
//! without generic arguments, in the module the method is written in: the
//! same name `#[profile]` on the impl block gives it.
//!
//! A derived name that another place took first gets ` (file:line)`: the two
//! are two rows, never one. Both happen once per place, when it first runs,
//! never on the hot path.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::Callsite;
use crate::sync::lock;

/// Every derived name handed out, with the place (by address) that has it.
static TAKEN: Mutex<BTreeMap<&'static str, usize>> = Mutex::new(BTreeMap::new());

/// The names, held across a `fork()` (see `crate::fork`): taken before
/// every other lock perf holds then, as a place first running takes it
/// holding none of them.
#[cfg(unix)]
pub(crate) fn hold_for_fork() -> std::sync::MutexGuard<'static, BTreeMap<&'static str, usize>> {
    lock(&TAKEN)
}

/// The name `callsite` is recorded under: `base`, or if another place has
/// it, `base (file:line)` (`base (file:line #2)`, … should even that be
/// taken, as by places a macro writes on one line).
pub(super) fn claim(callsite: &Callsite, base: String) -> &'static str {
    let me = std::ptr::from_ref(callsite) as usize;
    let mut taken = lock(&TAKEN);
    let mut name = base.clone();
    for n in 1usize.. {
        match taken.get(name.as_str()) {
            None => break,
            Some(&holder) if holder == me => break,
            Some(_) => {
                name = match n {
                    1 => format!("{base} ({}:{})", callsite.file, callsite.line),
                    n => format!("{base} ({}:{} #{n})", callsite.file, callsite.line),
                };
            }
        }
    }
    if let Some((&key, _)) = taken.get_key_value(name.as_str()) {
        return key;
    }
    let name: &'static str = Box::leak(name.into_boxed_str());
    taken.insert(name, me);
    name
}

/// `module::Type::method` or `<module::Type as Trait>::method` for a method
/// made as `module::method` whose marker function's type name is `marker`;
/// `None` when the path does not read as a method's.
pub(super) fn method_name(name: &str, marker: &str) -> Option<String> {
    let (module, method) = name.rsplit_once("::")?;
    let mut path = marker.rsplit_once("::")?.0;
    // An `async fn`'s body is a closure of its own.
    while let Some(outer) = path.strip_suffix("::{{closure}}") {
        path = outer;
    }
    let parent = path.strip_suffix(method)?.strip_suffix("::")?;
    let (ty, trait_) = impl_of(parent)?;
    let ty = short(ty);
    if ty.is_empty() {
        return None;
    }
    let trait_ = trait_.map(short);
    Some(match (is_ident(&ty), trait_) {
        (true, Some(trait_)) => format!("<{module}::{ty} as {trait_}>::{method}"),
        (true, None) => format!("{module}::{ty}::{method}"),
        // `&T`, `[T]`, `(A, B)`, `dyn Trait`: no path to put the module on.
        (false, Some(trait_)) => format!("{module}::<{ty} as {trait_}>::{method}"),
        (false, None) => format!("{module}::<{ty}>::{method}"),
    })
}

/// Whether a shortened type is a plain name (a path type's last segment).
fn is_ident(ty: &str) -> bool {
    ty.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// The self type and the trait of the impl (or trait) a function's parent
/// path names: `<A as B>`, `m::<impl B for A>`, `m::<impl A>`, `m::A<_>`.
fn impl_of(parent: &str) -> Option<(&str, Option<&str>)> {
    if !parent.ends_with('>') {
        return Some((parent, None));
    }
    let open = matching_open(parent)?;
    let inner = &parent[open + 1..parent.len() - 1];
    if open == 0 {
        let (ty, trait_) = split_top(inner, " as ")?;
        return Some((ty, Some(trait_)));
    }
    match inner.strip_prefix("impl ") {
        Some(inner) if parent[..open].ends_with("::") => Some(match split_top(inner, " for ") {
            Some((trait_, ty)) => (ty, Some(trait_)),
            None => (inner, None),
        }),
        _ => Some((parent, None)),
    }
}

/// Where the `<` is that the last `>` of `s` closes (`->` is no bracket).
fn matching_open(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b'>' if i == 0 || bytes[i - 1] != b'-' => depth += 1,
            b'<' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `s` split at the first `sep` outside angle brackets.
fn split_top<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if !s[..i].ends_with('-') => depth = depth.saturating_sub(1),
            _ if depth == 0 && s[i..].starts_with(sep) => {
                return Some((&s[..i], &s[i + sep.len()..]));
            }
            _ => {}
        }
    }
    None
}

/// A type or trait without generic arguments and with every path cut to its
/// last segment: `alloc::vec::Vec<u8>` → `Vec`, `&mut app::Gen<_>` →
/// `&mut Gen`. perf-macros shortens the tokens of an impl block the same way.
pub(crate) fn short(ty: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut depth = 0usize;
    let mut chars = ty.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                if depth == 0 {
                    out.push_str("->");
                }
            }
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ':' if depth == 0 && chars.peek() == Some(&':') => {
                chars.next();
                let keep = out
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                out.truncate(keep);
            }
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_named_by_their_type_and_trait() {
        let cases = [
            (
                "t::forms::area",
                "<t::forms::Square as t::forms::Shape>::area::__perf_code",
                "<t::forms::Square as Shape>::area",
            ),
            (
                "t::forms::area",
                "<t::forms::Gen<_> as t::forms::Shape<u8>>::area::__perf_code",
                "<t::forms::Gen as Shape>::area",
            ),
            (
                "t::forms::get",
                "t::forms::Gen<_>::get::__perf_code",
                "t::forms::Gen::get",
            ),
            (
                "t::forms::dflt",
                "t::forms::Shape::dflt::__perf_code",
                "t::forms::Shape::dflt",
            ),
            (
                "t::forms::inner::x",
                "t::forms::inner::<impl t::forms::Square>::x::__perf_code",
                "t::forms::inner::Square::x",
            ),
            (
                "t::forms::inner::fmt",
                "t::forms::inner::<impl core::fmt::Display for t::forms::Square>::fmt::__perf_code",
                "<t::forms::inner::Square as Display>::fmt",
            ),
            (
                "s::parse::from_str",
                "<s::Version as core::str::traits::FromStr>::from_str::__perf_code",
                "<s::parse::Version as FromStr>::from_str",
            ),
            (
                "t::forms::later",
                "t::forms::Gen<_>::later::{{closure}}::__perf_code",
                "t::forms::Gen::later",
            ),
            (
                "m::len",
                "<&mut alloc::vec::Vec<_> as m::Len>::len::__perf_code",
                "m::<&mut Vec as Len>::len",
            ),
        ];
        for (name, marker, want) in cases {
            assert_eq!(method_name(name, marker).as_deref(), Some(want), "{marker}");
        }
        assert_eq!(method_name("m::f", "m::g::__perf_code"), None);
    }

    #[test]
    fn short_drops_paths_and_generic_arguments() {
        assert_eq!(short("alloc::vec::Vec<alloc::string::String>"), "Vec");
        assert_eq!(short("&mut app::Gen<_>"), "&mut Gen");
        assert_eq!(short("(a::A, b::B<u8>)"), "(A, B)");
        assert_eq!(short("dyn core::ops::Fn(u8) -> a::B"), "dyn Fn(u8) -> B");
    }

    #[test]
    fn a_second_place_with_a_taken_name_is_told_apart_by_where_it_is() {
        fn marker() -> &'static str {
            "names_test::m::__perf_code"
        }
        static FIRST: Callsite = Callsite::function_named(
            "names_test::build",
            super::super::Naming::Derived,
            "src/a.rs",
            10,
            12,
            false,
            marker,
        );
        static SECOND: Callsite = Callsite::function_named(
            "names_test::build",
            super::super::Naming::Derived,
            "src/b.rs",
            20,
            22,
            false,
            marker,
        );
        static THIRD: Callsite = Callsite::function_named(
            "names_test::build",
            super::super::Naming::Derived,
            "src/b.rs",
            20,
            22,
            false,
            marker,
        );
        FIRST.register();
        SECOND.register();
        THIRD.register();
        assert_eq!(FIRST.name(), "names_test::build");
        assert_eq!(SECOND.name(), "names_test::build (src/b.rs:20)");
        assert_eq!(THIRD.name(), "names_test::build (src/b.rs:20 #2)");
        // Fixed once: asking again gives the same name.
        assert_eq!(SECOND.name(), "names_test::build (src/b.rs:20)");
    }

    proptest::proptest! {
        /// A generic impl's method has one name whatever its type arguments.
        #[test]
        fn generic_impls_get_one_name(args in proptest::collection::vec(
            proptest::sample::select(vec!["_", "u8", "alloc::vec::Vec<_>", "&str", "[u8; 4]", "(a::A, b::B)", "fn(u8) -> u16"]),
            1..4,
        )) {
            let args = args.join(", ");
            let inherent = format!("a::Gen<{args}>::get::__perf_code");
            let trait_impl = format!("<a::Gen<{args}> as a::Tr<{args}>>::get::__perf_code");
            let (inherent, trait_impl) = (method_name("a::get", &inherent), method_name("a::get", &trait_impl));
            proptest::prop_assert_eq!(inherent.as_deref(), Some("a::Gen::get"));
            proptest::prop_assert_eq!(trait_impl.as_deref(), Some("<a::Gen as Tr>::get"));
        }
    }
}
