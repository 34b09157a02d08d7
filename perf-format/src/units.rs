//! Figures as people write and read them: durations, byte sizes, counts,
//! percentages, changes and probabilities, formatted with three significant
//! digits and a fitting unit, and thresholds and durations parsed from
//! `perf.toml` and the command line ("5%", "200us").

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

/// A figure short enough for a chart's axis: three significant digits and
/// an SI suffix from 10 000 on: "512", "12.3k", "1.23M", "4.56G".
pub fn compact(value: f64) -> String {
    let size = value.abs();
    let (scaled, suffix) = if size >= 1e9 {
        (value / 1e9, "G")
    } else if size >= 1e6 {
        (value / 1e6, "M")
    } else if size >= 1e4 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    format!("{}{suffix}", significant(scaled))
}

/// A count with its noun, plural when it is not one: "1 thread", "1,204 calls".
pub fn plural(n: u64, noun: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} {noun}{s}", count(n as f64))
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

/// Three significant digits, without exponent notation below 10^15
/// ("1.00e308" above: a file may hold any finite number).
pub fn significant(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e15 {
        // Past the whole numbers a double holds exactly: 1.00e308, not 309
        // digits.
        format!("{value:.2e}")
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 || magnitude == 0.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// A relative change as a signed percentage: "+10.3%", "-2.1%", "+0.0%";
/// "×25.0" from +1000% on.
pub fn change(fraction: f64) -> String {
    if !fraction.is_finite() {
        return if fraction > 0.0 { "+∞" } else { "-∞" }.to_owned();
    }
    let percent = fraction * 100.0;
    if percent.abs() >= 1000.0 {
        format!("×{}", significant(1.0 + fraction))
    } else {
        format!("{percent:+.1}%")
    }
}

/// A fraction as a percentage, as a threshold is given: 0.05 → "5%",
/// 0.005 → "0.5%", 0.0125 → "1.25%" (three significant digits at most,
/// no trailing zeros).
pub fn percent(fraction: f64) -> String {
    let percent = fraction * 100.0;
    if percent.fract() == 0.0 {
        format!("{percent:.0}%")
    } else {
        let digits = significant(percent);
        if digits.contains('.') {
            format!("{}%", digits.trim_end_matches('0').trim_end_matches('.'))
        } else {
            format!("{digits}%")
        }
    }
}

/// A confidence level as a person reads it: one decimal at most, rounded
/// down so the level said is never more than the level held (0.99444 →
/// "99.4%", 0.95 → "95%", 0.99997 → "99.9%", never "100%" below 1).
pub fn level(fraction: f64) -> String {
    if !fraction.is_finite() {
        return format!("{fraction}");
    }
    // The nudge keeps 0.99 (989.999… tenths) at 99%, not 98.9%.
    let tenths = (fraction * 1000.0 + 1e-6).floor();
    let tenths = if fraction < 1.0 {
        tenths.min(999.0)
    } else {
        tenths
    };
    if tenths % 10.0 == 0.0 {
        format!("{:.0}%", tenths / 10.0)
    } else {
        format!("{:.1}%", tenths / 10.0)
    }
}

/// A share with one decimal: 0.123 → "12.3%".
pub fn share(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

/// A probability with two significant digits: 0.0079, 0.12, 1.1e-5.
pub fn probability(p: f64) -> String {
    if p <= 0.0 {
        "0".to_owned()
    } else if p >= 0.001 {
        let digits = (-p.log10().floor()) as usize + 1;
        format!("{p:.digits$}")
    } else {
        format!("{p:.1e}")
    }
}

/// The largest relative threshold: 10 000%, a 101× change.
pub const MAX_PERCENT: f64 = 10_000.0;

/// The longest duration, in nanoseconds: a year.
pub const MAX_DURATION_NS: f64 = 365.0 * 24.0 * 3600.0 * 1e9;

/// The largest size, in bytes: 10¹⁸ (an exabyte), below `u64::MAX`.
pub const MAX_BYTES: f64 = 1e18;

/// A relative threshold, "5%" or "5" (percent) or "0.5%", as a fraction (0.05).
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim();
    let value: f64 = number
        .parse()
        .map_err(|_| "expected a percentage such as 5% or 0.5%".to_owned())?;
    if !value.is_finite() || value < 0.0 {
        return Err("a threshold must be a percentage of 0% or more".to_owned());
    }
    if value > MAX_PERCENT {
        return Err(format!(
            "a threshold must be at most {MAX_PERCENT}% (a {}× change)",
            MAX_PERCENT / 100.0 + 1.0
        ));
    }
    Ok(value / 100.0)
}

/// A significance level such as 0.01: strictly between 0 and 0.5.
pub fn parse_significance(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| "expected a probability such as 0.01".to_owned())?;
    check_significance(value)
}

/// Checks a significance level (α): strictly between 0 and 0.5.
pub fn check_significance(value: f64) -> Result<f64, String> {
    if value.is_finite() && value > 0.0 && value < 0.5 {
        Ok(value)
    } else {
        Err("a significance level must be above 0 and below 0.5 (0.01 is usual)".to_owned())
    }
}

/// `"1.5 ms"` → (`"1.5"`, `" ms"`): the leading number and what follows it.
fn number_and_unit(text: &str) -> (&str, &str) {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    trimmed.split_at(split)
}

/// A duration such as "200us", "1.5ms", "200µs", "2s" or "500ns", in nanoseconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let (number, unit) = number_and_unit(text);
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "" => return Err("a duration needs a unit: ns, us, ms or s (as in 200us)".to_owned()),
        other => {
            return Err(format!(
                "unknown unit {other:?}: use ns, us (or µs), ms or s"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| "expected a duration such as 200us or 1.5ms".to_owned())?;
    if !value.is_finite() || value <= 0.0 {
        return Err("a duration must be above zero".to_owned());
    }
    if value * scale > MAX_DURATION_NS {
        return Err("a duration must be at most a year (31536000s)".to_owned());
    }
    Ok(value * scale)
}

/// A byte size such as "64MiB", "1.5 GiB", "512KiB", "100kB" or "4096"
/// (bytes), in bytes: binary units (KiB, MiB, GiB, TiB) count in 1024s,
/// decimal ones (kB, MB, GB, TB) in 1000s.
pub fn parse_bytes(text: &str) -> Result<f64, String> {
    let (number, unit) = number_and_unit(text);
    let scale = match unit.trim() {
        "" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use B, KiB, MiB, GiB (or kB, MB, GB)"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| "expected a size such as 64MiB or 512KiB".to_owned())?;
    if !value.is_finite() || value < 0.0 {
        return Err("a size must be 0 or more".to_owned());
    }
    if value * scale > MAX_BYTES {
        return Err("a size must be at most 1000000TB".to_owned());
    }
    Ok(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_keep_three_significant_digits() {
        let cases = [
            (0.0, "0 ns"),
            (999.0, "999 ns"),
            (12.345, "12.3 ns"),
            (999.4, "999 ns"),
            (1_234.0, "1.23 µs"),
            (45_600_000.0, "45.6 ms"),
            (3_000_000_000.0, "3.00 s"),
            (f64::NAN, "-"),
        ];
        for (ns, shown) in cases {
            assert_eq!(duration(ns), shown);
        }
    }

    #[test]
    fn huge_figures_are_short() {
        assert_eq!(count(1e308), "1.00e308");
        assert_eq!(duration(1e308), "1.00e299 s");
        assert_eq!(significant(-2.5e20), "-2.50e20");
        assert_eq!(count(999_999_999_999_999.0), "999,999,999,999,999");
    }

    #[test]
    fn counts_and_bytes_are_readable() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(3.5), "3.50");
        assert_eq!(plural(1, "thread"), "1 thread");
        assert_eq!(plural(1_204, "call"), "1,204 calls");
        assert_eq!(count(1_000.0), "1,000");
        assert_eq!(count(-12_975.0), "-12,975");
        assert_eq!(count(999.0), "999");
        assert_eq!(compact(1_234_567.0), "1.23M");
        assert_eq!(compact(12_345.0), "12.3k");
        assert_eq!(compact(512.0), "512");
        assert_eq!(compact(0.5), "0.500");
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

    #[test]
    fn changes_and_probabilities_are_readable() {
        assert_eq!(change(0.1034), "+10.3%");
        assert_eq!(change(-0.021), "-2.1%");
        assert_eq!(change(24.0), "×25.0");
        assert_eq!(change(f64::INFINITY), "+∞");
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.005), "0.5%");
        assert_eq!(percent(0.0125), "1.25%");
    }

    #[test]
    fn levels_keep_one_decimal_and_never_round_up() {
        assert_eq!(level(0.99444444), "99.4%");
        assert_eq!(level(0.95), "95%");
        assert_eq!(level(0.99), "99%");
        assert_eq!(level(0.9956), "99.5%");
        assert_eq!(level(0.99997), "99.9%");
        assert_eq!(level(0.999999999), "99.9%");
        assert_eq!(level(1.0), "100%");
        assert_eq!(level(0.5), "50%");
        assert_eq!(share(0.1234), "12.3%");
        assert_eq!(probability(2.0 / 252.0), "0.0079");
        assert_eq!(probability(0.123), "0.12");
        assert_eq!(probability(1.08e-5), "1.1e-5");
    }

    #[test]
    fn percentages_are_read_with_or_without_the_sign() {
        assert_eq!(parse_percent("5%"), Ok(0.05));
        assert_eq!(parse_percent("5"), Ok(0.05));
        assert_eq!(parse_percent(" 0.5% "), Ok(0.005));
        assert_eq!(parse_percent("0%"), Ok(0.0));
        for bad in ["-1%", "five", "NaN%"] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("200us"), Ok(200_000.0));
        assert_eq!(parse_duration("200µs"), Ok(200_000.0));
        assert_eq!(parse_duration("1.5ms"), Ok(1_500_000.0));
        assert_eq!(parse_duration("2s"), Ok(2e9));
        assert_eq!(parse_duration("500 ns"), Ok(500.0));
        assert!(parse_duration("200").unwrap_err().contains("needs a unit"));
        assert!(parse_duration("3h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("0ms").is_err());
    }

    #[test]
    fn sizes_take_binary_or_decimal_units() {
        assert_eq!(parse_bytes("64MiB"), Ok(64.0 * 1024.0 * 1024.0));
        assert_eq!(parse_bytes("1.5 KiB"), Ok(1536.0));
        assert_eq!(parse_bytes("100kB"), Ok(100_000.0));
        assert_eq!(parse_bytes("0"), Ok(0.0));
        assert_eq!(parse_bytes("512 B"), Ok(512.0));
        assert!(parse_bytes("64Mb").unwrap_err().contains("unknown unit"));
        assert!(parse_bytes("MiB").is_err());
        assert!(parse_bytes("-1KiB").is_err());
        assert!(parse_bytes("1000000TB").is_ok());
        assert!(parse_bytes("1000001TB").unwrap_err().contains("at most"));
        assert!(parse_bytes("99999999999999999999999999TB").is_err());
        assert!(parse_duration("31536000s").is_ok());
        assert!(parse_duration("31536001s").unwrap_err().contains("at most"));
        assert!(parse_duration("9223372036854775807s").is_err());
        assert_eq!(parse_percent("10000%"), Ok(100.0));
        assert!(parse_percent("10001%").unwrap_err().contains("at most"));
        assert!(parse_percent("1e300").is_err());
    }

    #[test]
    fn significance_must_be_a_small_probability() {
        assert_eq!(parse_significance("0.01"), Ok(0.01));
        for bad in ["0", "0.7", "x"] {
            assert!(parse_significance(bad).is_err(), "{bad}");
        }
    }
}
