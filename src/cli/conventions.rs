//! `closedesk completions SHELL` and `closedesk man`: generated from the command line's own
//! definition (clap_complete, clap_mangen), printed to standard output.
//!
//! Owns the completions and man page commands; must not describe a command by hand (clap is
//! the source).

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use super::{Cli, Failure, Outcome};

pub const COMPLETIONS_HELP: &str = "Examples:\n  closedesk completions bash > ~/.local/share/bash-completion/completions/closedesk\n  closedesk completions zsh > ~/.zfunc/_closedesk      # with fpath+=(~/.zfunc) before compinit\n  closedesk completions fish > ~/.config/fish/completions/closedesk.fish";

pub const MAN_HELP: &str = "Example:\n  closedesk man > ~/.local/share/man/man1/closedesk.1 && man closedesk";

fn emit(bytes: &[u8]) -> Outcome {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A closed pipe is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(Failure::usage(format!("cannot write to standard output: {e}"))),
    }
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "closedesk", &mut script);
    emit(&script)
}

/// The man page (roff), section 1.
pub fn man() -> Outcome {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Failure::usage(format!("cannot render the man page: {e}")))?;
    emit(&page)
}
