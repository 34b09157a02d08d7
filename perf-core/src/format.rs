//! Figures as people read them: durations, byte sizes and counts with three
//! significant digits and a fitting unit. Used by [`crate::Summary`] and by
//! `cargo perf`.

/// A duration given in ns: "999 ns", "12.3 ns", "1.23 µs", "45.6 ms", "3.00 s".
pub fn duration(ns: f64) -> String {
    if !ns.is_finite() {
        return "-".to_owned();
    }
    if ns < 1_000.0 {
        return if ns.fract() == 0.0 || ns >= 100.0 {
            format!("{ns:.0} ns")
        } else {
            format!("{} ns", significant(ns))
        };
    }
    let (value, unit) = if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", significant(value))
}

/// A byte count with a binary unit: "512 B", "1.50 KiB", "5.00 MiB".
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n.fract() == 0.0 && n.abs() < 1024.0 {
        return format!("{n:.0} B");
    }
    let mut value = n;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", significant(value), UNITS[unit])
}

/// A count: whole numbers with thousands separators ("1,234,567"), others
/// (allocations per call) with three significant digits ("3.50").
pub fn count(n: f64) -> String {
    if n.fract() != 0.0 || n.abs() >= 1e15 {
        return significant(n);
    }
    let digits = format!("{}", n.abs() as u64);
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Shortens a name from the left to `width` characters, keeping its most
/// specific part: "…:function".
pub fn fit(name: &str, width: usize) -> String {
    let len = name.chars().count();
    if len <= width || width == 0 {
        return name.to_owned();
    }
    let tail: String = name.chars().skip(len - (width - 1)).collect();
    format!("…{tail}")
}

/// Three significant digits, without exponent notation.
pub fn significant(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 || magnitude == 0.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_keep_three_significant_digits() {
        assert_eq!(duration(0.0), "0 ns");
        assert_eq!(duration(999.0), "999 ns");
        assert_eq!(duration(12.345), "12.3 ns");
        assert_eq!(duration(999.4), "999 ns");
        assert_eq!(duration(1_234.0), "1.23 µs");
        assert_eq!(duration(45_600_000.0), "45.6 ms");
        assert_eq!(duration(3_000_000_000.0), "3.00 s");
    }

    #[test]
    fn counts_and_bytes_are_readable() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(100.0), "100");
        assert_eq!(count(3.5), "3.50");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(11.5), "11.5 B");
        assert_eq!(bytes(1536.0), "1.50 KiB");
        assert_eq!(bytes(f64::from(5u32 << 20)), "5.00 MiB");
    }

    #[test]
    fn long_names_keep_their_end() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("crate::module::function", 10), "…:function");
    }
}
