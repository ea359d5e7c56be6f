use std::process::ExitCode;

use clap::Parser;

use closedesk::cli::{run, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !cli.is_server() {
        quiet_on_closed_pipe();
    }
    match run(cli) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("closedesk: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// `closedesk status | head -3` must end quietly when `head` closes the pipe, as any Unix
/// tool does, instead of panicking in `println!`: restore the default SIGPIPE action that
/// the Rust runtime sets to "ignore".
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called in main before any other thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
