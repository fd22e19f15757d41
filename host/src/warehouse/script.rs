//! Running a generated script through a client that takes one statement at a time.

/// A warehouse session that executes one statement.
pub trait StatementRunner {
    type Error: std::error::Error + Send + Sync + 'static;

    fn execute(&self, statement: &str) -> Result<(), Self::Error>;
}

/// The error of one statement of a script, naming it by its first line.
#[derive(Debug, thiserror::Error)]
#[error("running `{first_line}`")]
pub struct StatementError {
    pub first_line: String,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Runs `script` statement by statement, calling `done` with each statement's first line;
/// stops at the first failure.
pub fn run_script<R: StatementRunner>(
    runner: &R,
    script: &str,
    done: &mut dyn FnMut(&str),
) -> Result<(), StatementError> {
    for statement in statements(script) {
        let first_line = statement.lines().next().unwrap_or_default().to_string();
        runner.execute(&statement).map_err(|e| StatementError {
            first_line: first_line.clone(),
            source: Box::new(e),
        })?;
        done(&first_line);
    }
    Ok(())
}

/// Where the splitter is inside a script.
#[derive(Clone, Copy, PartialEq)]
enum Lex {
    Code,
    /// Inside a quoted literal or identifier: `'...'`, `"..."` or `` `...` ``.
    Quoted(char),
    /// Inside a `$$` body.
    Body,
    LineComment,
    BlockComment,
}

/// Splits a script into statements at every `;` outside quotes, quoted identifiers, `$$`
/// bodies and comments (for a client that takes one statement at a time, and to check that a
/// text is exactly one statement). Statements made only of comments are dropped.
pub fn statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut has_code = false;
    let mut state = Lex::Code;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        state = match (state, c) {
            (Lex::Code, ';') => {
                if has_code {
                    out.push(without_leading_comments(&current));
                }
                current.clear();
                has_code = false;
                continue;
            }
            (Lex::Code, '\'' | '"' | '`') => Lex::Quoted(c),
            (Lex::Code, '$') if next == Some('$') => {
                current.push(c);
                current.push(chars.next().expect("peeked"));
                has_code = true;
                state = Lex::Body;
                continue;
            }
            (Lex::Code, '-') if next == Some('-') => Lex::LineComment,
            (Lex::Code, '/') if next == Some('*') => Lex::BlockComment,
            (Lex::Quoted(q), c) if c == q => Lex::Code,
            (Lex::Body, '$') if next == Some('$') => {
                current.push(c);
                current.push(chars.next().expect("peeked"));
                state = Lex::Code;
                continue;
            }
            (Lex::LineComment, '\n') => Lex::Code,
            (Lex::BlockComment, '*') if next == Some('/') => {
                current.push(c);
                current.push(chars.next().expect("peeked"));
                state = Lex::Code;
                continue;
            }
            (state, _) => state,
        };
        let in_comment = matches!(state, Lex::LineComment | Lex::BlockComment);
        has_code |= !in_comment && !c.is_whitespace();
        current.push(c);
    }
    if has_code {
        out.push(without_leading_comments(&current));
    }
    out
}

/// A statement without the comment lines and blank lines before it.
fn without_leading_comments(statement: &str) -> String {
    let mut rest = statement.trim_start();
    while rest.starts_with("--") {
        rest = rest
            .split_once('\n')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    rest.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_semicolon_outside_quotes_bodies_and_comments_ends_a_statement() {
        assert_eq!(
            statements("SELECT 1; DROP TABLE victims"),
            vec!["SELECT 1", "DROP TABLE victims"]
        );
        assert_eq!(
            statements("-- rechost x\nSELECT a -- not; here\nFROM \"t;1\" /* ; */ WHERE b = ';'"),
            vec!["SELECT a -- not; here\nFROM \"t;1\" /* ; */ WHERE b = ';'"]
        );
        assert_eq!(statements("-- only a comment;\n"), Vec::<String>::new());
        assert_eq!(
            statements("SELECT `a;b` FROM t;\n"),
            vec!["SELECT `a;b` FROM t"]
        );
    }

    #[test]
    fn statements_split_outside_bodies_and_quotes() {
        let script = "-- header\nCREATE STAGE s;\nCREATE FUNCTION f()\nAS $$\nx = 1;\ny = ';'\n$$;\nCOPY INTO 'a;\nb' FROM t;\n";
        assert_eq!(
            statements(script),
            vec![
                "CREATE STAGE s",
                "CREATE FUNCTION f()\nAS $$\nx = 1;\ny = ';'\n$$",
                "COPY INTO 'a;\nb' FROM t",
            ]
        );
    }
}
