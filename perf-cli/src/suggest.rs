//! The closest recorded names to one that matched none, for error
//! messages: `parse_line` → `myapp::parse::parse_line`.

/// How many names a suggestion lists at most.
const MOST: usize = 5;

/// The names among `names` closest to `wanted`, best first, at most five:
/// those that end with `wanted` on a `::` boundary (a path given without
/// its modules), then those that hold it in any case; else those within a small edit
/// distance (Levenshtein) of it, whole or by their last segments. None
/// when nothing is close.
pub(crate) fn closest<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    let wanted = wanted.trim();
    let lower = wanted.to_lowercase();
    let ends_with = |name: &str| {
        name.strip_suffix(wanted)
            .is_some_and(|head| head.is_empty() || head.ends_with("::"))
    };
    let mut by_path: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| ends_with(name) || name.to_lowercase().contains(&lower))
        .collect();
    if !by_path.is_empty() {
        by_path.sort_by_key(|name| (!ends_with(name), name.len(), *name));
        by_path.truncate(MOST);
        return by_path;
    }
    let segments = wanted.split("::").count();
    let mut scored: Vec<(usize, &str)> = names
        .iter()
        .copied()
        .filter_map(|name| {
            let distance = strsim::levenshtein(wanted, name)
                .min(strsim::levenshtein(wanted, last_segments(name, segments)));
            // A third of the name may differ, and always a typo or two.
            (distance <= (wanted.chars().count() / 3).max(2)).then_some((distance, name))
        })
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .map(|(_, name)| name)
        .take(MOST)
        .collect()
}

/// The last `count` `::` segments of `name` (`a::b::c`, 2 → `b::c`).
fn last_segments(name: &str, count: usize) -> &str {
    let mut start = name.len();
    for _ in 0..count {
        match name[..start].rfind("::") {
            Some(at) => start = at,
            None => return name,
        }
    }
    &name[start + 2..]
}

/// `a`, `b` and `c` as a list for a message: `` `a`, `b`, `c` ``.
pub(crate) fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 5] = [
        "myapp::parse::parse_line",
        "myapp::parse::parse_header",
        "other::parse_line",
        "myapp::db::query",
        "myapp::parse_lines",
    ];

    #[test]
    fn a_path_without_its_modules_finds_the_full_names() {
        assert_eq!(
            closest("parse_line", NAMES),
            [
                "other::parse_line",
                "myapp::parse::parse_line",
                "myapp::parse_lines"
            ]
        );
        assert_eq!(
            closest("parse::parse_line", NAMES),
            ["myapp::parse::parse_line"]
        );
        assert_eq!(closest("DB::Query", NAMES), ["myapp::db::query"]);
    }

    #[test]
    fn a_typo_finds_names_a_few_edits_away_and_nonsense_none() {
        assert_eq!(closest("myapp::db::qeury", NAMES), ["myapp::db::query"]);
        assert_eq!(
            closest("parse_heder", NAMES),
            ["myapp::parse::parse_header"]
        );
        assert!(closest("checkout::price", NAMES).is_empty());
        assert_eq!(last_segments("a::b::c", 2), "b::c");
        assert_eq!(last_segments("c", 2), "c");
    }
}
