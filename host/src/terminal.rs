//! Text that came from a plugin (error messages, drop reasons, captured output), made safe to
//! print: control characters (terminal escapes, carriage returns, line breaks that would fake
//! lines of rechost's own output) are shown escaped, never interpreted.

use std::borrow::Cow;

/// `text` on one line: every control character escaped (`\n`, `\u{1b}`, ...).
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line plugin output, each line escaped and marked with `| ` so no line can pass for
/// one of rechost's.
pub fn quoted_lines(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|l| format!("  | {}", one_line(l)))
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_interpreted() {
        assert_eq!(one_line("plain"), "plain");
        assert_eq!(
            one_line("a\u{1b}]0;title\u{7}b\nc\r"),
            "a\\u{1b}]0;title\\u{7}b\\nc\\r"
        );
        assert_eq!(
            quoted_lines("one\ntwo\u{1b}[31m"),
            "  | one\n  | two\\u{1b}[31m"
        );
    }
}
