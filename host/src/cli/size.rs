//! Sizes on the command line: `1GB`, `500MB`, `64KiB`, `1000` (bytes).

/// Decimal units (KB, MB, GB, TB) as AWS states its limits; binary ones (KiB...) too.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}`: expected a size such as 1GB, 500MB or 1000000"))?;
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "KIB" => 1 << 10,
        "MIB" => 1 << 20,
        "GIB" => 1 << 30,
        "TIB" => 1 << 40,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (B, KB, MB, GB, TB, KiB...)"
            ));
        }
    };
    let bytes = (number * scale as f64).round() as u64;
    if bytes < 1024 {
        return Err(format!(
            "`{text}`: at least 1KiB, so a part holds the header and a row"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("1.5 MB"), Ok(1_500_000));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("10").is_err());
    }
}
