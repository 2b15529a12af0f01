//! IGN amounts as people write them ("12.5") and as the chain stores them (base units).

use anyhow::{bail, Context, Result};

/// Parses a decimal IGN amount into base units for a mint with `decimals`.
pub fn parse(text: &str, decimals: u8) -> Result<u64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !(whole.chars().chain(fraction.chars())).all(|c| c.is_ascii_digit())
    {
        bail!("`{text}` is not an amount of IGN: write it like 100 or 12.5");
    }
    if fraction.len() > usize::from(decimals) {
        bail!("`{text}` has more than {decimals} decimal places, the most IGN can divide into");
    }
    let scale = 10u64.pow(u32::from(decimals));
    let whole: u64 =
        if whole.is_empty() { 0 } else { whole.parse().context("amount too large")? };
    let fraction: u64 =
        format!("{fraction:0<width$}", width = usize::from(decimals)).parse().unwrap_or(0);
    whole
        .checked_mul(scale)
        .and_then(|units| units.checked_add(fraction))
        .with_context(|| format!("`{text}` IGN is more than can exist"))
}

/// Formats base units as IGN without trailing zeros ("12.5", "100").
pub fn format(units: u64, decimals: u8) -> String {
    let scale = 10u64.pow(u32::from(decimals));
    let (whole, fraction) = (units / scale, units % scale);
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0>width$}", width = usize::from(decimals));
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_round_trip() {
        for (text, units) in [
            ("1", 1_000_000_000),
            ("12.5", 12_500_000_000),
            (".000000001", 1),
            ("0", 0),
            ("100.25", 100_250_000_000),
        ] {
            assert_eq!(parse(text, 9).unwrap(), units, "{text}");
        }
        for (units, text) in
            [(1_000_000_000, "1"), (12_500_000_000, "12.5"), (1, "0.000000001"), (0, "0")]
        {
            assert_eq!(format(units, 9), text);
        }
        assert_eq!(parse("5", 0).unwrap(), 5);
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        for bad in ["", ".", "-1", "1e9", "abc", "1.0000000001", "99999999999999999999"] {
            assert!(parse(bad, 9).is_err(), "{bad}");
        }
    }
}
