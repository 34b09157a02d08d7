//! PromQL's literals, as Prometheus reads them: strings, numbers and
//! durations.

use std::fmt::Write as _;

/// `text` as a PromQL (and series selector) string literal: in double
/// quotes, with `\` and `"` escaped and every control or invisible
/// character written as a Go escape, so a label value holds any text.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
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

/// Whether `c` cannot stand as itself in a YAML scalar or a line of the
/// rules: control characters, line and paragraph separators, the byte
/// order mark (all in the Basic Multilingual Plane).
pub(crate) fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A number as PromQL reads it: no exponent, as short as round-trips.
pub(crate) fn number(value: f64) -> String {
    format!("{value}")
}

/// A duration in Prometheus's syntax (`5m`, `1h30m`, `90s`, `0`): units
/// `y w d h m s ms`, largest first, each once, integers only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Duration {
    /// As written.
    pub(crate) text: String,
    /// Its length in milliseconds.
    pub(crate) ms: u64,
}

impl Duration {
    /// Reads `text`, or says what a duration looks like.
    pub(crate) fn parse(text: &str) -> Result<Duration, String> {
        const UNITS: [(&str, u64); 7] = [
            ("y", 365 * 24 * 3_600_000),
            ("w", 7 * 24 * 3_600_000),
            ("d", 24 * 3_600_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
            ("ms", 1),
        ];
        let refuse = || {
            format!(
                "{text:?} is not a Prometheus duration: write whole numbers with units, largest first, such as 5m, 1h30m or 90s (units: y, w, d, h, m, s, ms)"
            )
        };
        if text == "0" {
            return Ok(Duration {
                text: text.to_owned(),
                ms: 0,
            });
        }
        let mut rest = text;
        let mut ms: u64 = 0;
        let mut next_unit = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(refuse());
            }
            let number: u64 = rest[..digits].parse().map_err(|_| refuse())?;
            rest = &rest[digits..];
            // `ms` before `m`: the longer unit that fits.
            let (at, (unit, scale)) = UNITS
                .iter()
                .enumerate()
                .skip(next_unit)
                .filter(|(_, (unit, _))| rest.starts_with(unit))
                .max_by_key(|(_, (unit, _))| unit.len())
                .ok_or_else(refuse)?;
            rest = &rest[unit.len()..];
            next_unit = at + 1;
            ms = number
                .checked_mul(*scale)
                .and_then(|part| ms.checked_add(part))
                .filter(|&total| total <= i64::MAX as u64 / 1_000_000)
                .ok_or_else(|| format!("{text:?} is too long a duration"))?;
        }
        if text.is_empty() {
            return Err(refuse());
        }
        Ok(Duration {
            text: text.to_owned(),
            ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_promql_would_misread() {
        assert_eq!(string("app::handler"), r#""app::handler""#);
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string("a\nb\u{7f}\u{2028}"), r#""a\nb\u007f\u2028""#);
        assert_eq!(string("<impl Foo for Bär>::ö"), "\"<impl Foo for Bär>::ö\"");
    }

    #[test]
    fn numbers_have_no_exponent() {
        assert_eq!(number(0.0002), "0.0002");
        assert_eq!(number(2e-10), "0.0000000002");
        assert_eq!(number(67108864.0), "67108864");
        assert_eq!(number(0.01), "0.01");
    }

    #[test]
    fn durations_are_prometheus_durations() {
        let ms = |text: &str| Duration::parse(text).map(|d| d.ms);
        assert_eq!(ms("5m"), Ok(300_000));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms("90s"), Ok(90_000));
        assert_eq!(ms("1m500ms"), Ok(60_500));
        assert_eq!(ms("2w1d"), Ok(15 * 24 * 3_600_000));
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("0s"), Ok(0));
        for bad in [
            "", "5", "5min", "1.5m", "30m1h", "5m5m", "-5m", " 5m", "5 m", "m",
        ] {
            let err = Duration::parse(bad).unwrap_err();
            assert!(
                err.ends_with("(units: y, w, d, h, m, s, ms)"),
                "{bad:?}: {err}"
            );
        }
        assert!(
            Duration::parse("99999999999y")
                .unwrap_err()
                .contains("too long")
        );
    }
}
