//! The `closedesk` binary: parses the command line and hands it to [`closedesk::cli::run`];
//! prints a failure's message and exits with its code. Owns only what must happen before
//! any command runs (clap's own errors made inert, SIGPIPE, whether standard output was
//! closed at start); no command logic lives here.

use std::process::ExitCode;

use clap::Parser;

use closedesk::cli::{run, Cli};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(e),
    };
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

/// A command line clap cannot take: its message — which echoes what was typed — made inert
/// line by line, so an escape sequence in an argument prints as text; exit 2. `--help` and
/// `--version` print as they are (nothing typed in them) and exit 0.
fn argument_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let text = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            if e.exit_code() == 0 =>
        {
            print!("{text}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{}", closedesk::text::inert_multiline(&text));
            if !text.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(2)
        }
    }
}

/// `export --out -` into a closed standard output (`>&-`) must be refused before anything
/// is recorded, but the Rust runtime opens `/dev/null` in place of a closed standard stream
/// before `main`, where writes succeed unseen. This runs before the runtime (an ELF
/// constructor) and notes whether descriptor 1 was closed.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

#[cfg(target_os = "linux")]
extern "C" fn note_closed_stdout() {
    // SAFETY: fcntl(F_GETFD) only asks whether descriptor 1 is open; nothing else is touched.
    if unsafe { libc::fcntl(1, libc::F_GETFD) } == -1 {
        closedesk::cli::note_stdout_closed();
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
