//! `${VAR}` in string values: non-secret settings that differ per machine or CI job (a bucket,
//! a date). `$$` is a literal `$`.

/// What went wrong expanding a value.
#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
    Unset(String),
    Malformed,
}

/// `text` with every `${VAR}` replaced, and the first variable used (for provenance).
pub fn expand(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Option<String>), Problem> {
    let mut out = String::with_capacity(text.len());
    let mut first = None;
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let Some(body) = rest.strip_prefix('{') else {
            out.push('$');
            continue;
        };
        let end = body.find('}').ok_or(Problem::Malformed)?;
        let name = &body[..end];
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Problem::Malformed);
        }
        out.push_str(&env(name).ok_or_else(|| Problem::Unset(name.to_string()))?);
        first.get_or_insert_with(|| name.to_string());
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    Ok((out, first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(key: &str) -> Option<String> {
        (key == "BUCKET").then(|| "recs".to_string())
    }

    #[test]
    fn expands_and_reports() {
        assert_eq!(
            expand("s3://${BUCKET}/x", &env),
            Ok(("s3://recs/x".into(), Some("BUCKET".into())))
        );
        assert_eq!(expand("a$b $$ c", &env), Ok(("a$b $ c".into(), None)));
        assert_eq!(expand("${NOPE}", &env), Err(Problem::Unset("NOPE".into())));
        assert_eq!(expand("${BUCKET", &env), Err(Problem::Malformed));
        assert_eq!(expand("${1X}", &env), Err(Problem::Malformed));
    }
}
