use std::process::ExitCode;

use clap::Parser;

use closedesk::cli::{run, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("closedesk: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
