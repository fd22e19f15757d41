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

/// Splits a script into statements at `;` line ends, outside quotes and `$$` bodies (for
/// running it through a client that takes one statement at a time).
pub fn statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut in_quote, mut in_body) = (false, false);
    for line in script.lines() {
        if current.is_empty() && line.trim_start().starts_with("--") {
            continue;
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' if !in_body => in_quote = !in_quote,
                '$' if !in_quote && chars.peek() == Some(&'$') => {
                    chars.next();
                    in_body = !in_body;
                    current.push('$');
                }
                _ => {}
            }
            current.push(c);
        }
        if !in_quote && !in_body && line.trim_end().ends_with(';') {
            let statement = current.trim().trim_end_matches(';').trim().to_string();
            if !statement.is_empty() {
                out.push(statement);
            }
            current.clear();
        } else {
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
