//! The `rechost` command line. Exit codes: 0 success, 1 failure (input, plugin, output),
//! 2 usage error, 3 `run --require-ready` and Personalize would not train on the result,
//! 130 interrupted (Ctrl-C / SIGTERM; the run cleaned up and changed nothing).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = <cli::Cli as clap::Parser>::parse();
    match cli::dispatch(args) {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// `rechost inspect ... | head` is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
