//! Reading thresholds and durations as people write them ("5%", "200us"), and
//! writing changes and probabilities back (durations, bytes and counts are
//! perf-core's `format`).

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

/// Checks a significance level (α).
pub fn check_significance(value: f64) -> Result<f64, String> {
    if value.is_finite() && value > 0.0 && value < 0.5 {
        Ok(value)
    } else {
        Err("a significance level must be above 0 and below 0.5 (0.01 is usual)".to_owned())
    }
}

/// A duration such as "200us", "1.5ms", "200µs", "2s" or "500ns", in nanoseconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "" => return Err("a duration needs a unit: ns, us, ms or s (as in 200us)".to_owned()),
        other => return Err(format!("unknown unit {other:?}: use ns, us, ms or s")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| "expected a duration such as 200us or 1.5ms".to_owned())?;
    if !value.is_finite() || value <= 0.0 {
        return Err("a duration must be above zero".to_owned());
    }
    Ok(value * scale)
}

use perf_core::format::significant;
pub use perf_core::format::{bytes, count, duration};

/// A relative change as a signed percentage: "+10.3%", "-2.1%", "+0.0%".
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

/// A percentage of a threshold, as given: 0.05 → "5%".
pub fn percent(fraction: f64) -> String {
    let percent = fraction * 100.0;
    if percent.fract() == 0.0 {
        format!("{percent:.0}%")
    } else {
        format!("{}%", significant(percent))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_read_with_or_without_the_sign() {
        assert_eq!(parse_percent("5%"), Ok(0.05));
        assert_eq!(parse_percent("5"), Ok(0.05));
        assert_eq!(parse_percent(" 0.5% "), Ok(0.005));
        assert_eq!(parse_percent("0%"), Ok(0.0));
        assert!(parse_percent("-1%").is_err());
        assert!(parse_percent("five").is_err());
        assert!(parse_percent("NaN%").is_err());
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
    fn significance_must_be_a_small_probability() {
        assert_eq!(parse_significance("0.01"), Ok(0.01));
        assert!(parse_significance("0").is_err());
        assert!(parse_significance("0.7").is_err());
        assert!(parse_significance("x").is_err());
    }

    #[test]
    fn changes_and_probabilities_are_readable() {
        assert_eq!(change(0.1034), "+10.3%");
        assert_eq!(change(-0.021), "-2.1%");
        assert_eq!(change(24.0), "×25.0");
        assert_eq!(change(f64::INFINITY), "+∞");
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.005), "0.500%");
        assert_eq!(probability(2.0 / 252.0), "0.0079");
        assert_eq!(probability(0.123), "0.12");
        assert_eq!(probability(1.08e-5), "1.1e-5");
    }
}
