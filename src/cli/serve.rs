//! `closedesk serve`: the cockpit over SSH. Parses and checks the arguments; the server is
//! `crate::serve`.
//!
//! Owns `serve`'s arguments; must not run sessions (that is `crate::serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::{today, Failure, Outcome};
use crate::text::inert;

pub const SERVE_HELP: &str = "The authorized-keys file has one line per reviewer: the public key and the roster login it \
acts as, e.g.\n  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... jokafor\nA key whose login is not on the period's roster \
gets the read-only view: in a served session the key decides who acts (--user is refused \
here). Only public keys are accepted: no passwords, no commands, no sftp.\n\n\
Examples:\n  closedesk serve period.db --authorized-keys reviewers.keys            # 127.0.0.1:2222\n  \
closedesk serve period.db --authorized-keys reviewers.keys --listen 0.0.0.0:2222\n  ssh -t -p 2222 jokafor@host   \
# from a reviewer's machine\n\nEvery login, refusal and disconnect is written to the period's audit log. \
SIGINT or SIGTERM stops the server after telling everyone connected.";

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The snapshot to serve.
    file: PathBuf,
    /// Where to listen; anything but loopback must be given here.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2222")]
    listen: String,
    /// Client public keys, one per line with the roster login: `ssh-ed25519 AAAA… LOGIN`.
    #[arg(long, value_name = "PATH")]
    authorized_keys: PathBuf,
    /// The server's private key (default: closedesk_host_ed25519_key beside FILE; generated
    /// with mode 0600 on first start).
    #[arg(long, value_name = "PATH")]
    host_key: Option<PathBuf>,
    /// Cockpit sessions open at once, in all.
    #[arg(long, value_name = "N", default_value_t = 32)]
    max_sessions: usize,
    /// Cockpit sessions open at once with one key.
    #[arg(long, value_name = "M", default_value_t = 4)]
    max_per_key: usize,
    /// Close a session after this long with no key pressed: 30m, 90s, 1h.
    #[arg(long, value_name = "TIME", default_value = "30m")]
    idle_timeout: String,
    /// Connections not yet authenticated, in all; over it, a new connection displaces the
    /// oldest waiting one.
    #[arg(long, value_name = "N", default_value_t = 16)]
    max_unauthenticated: usize,
    /// Connections not yet authenticated from one source address; over it, a new one
    /// displaces that address's oldest.
    #[arg(long, value_name = "N", default_value_t = 4)]
    max_unauthenticated_per_address: usize,
    /// Drop a connection not authenticated this long after it was accepted: 20s, 1m.
    #[arg(long, value_name = "TIME", default_value = "20s")]
    login_grace: String,
    /// Close packets each login may keep from served sessions (beside the snapshot, named
    /// close-packet-PERIOD-STATE-HEAD-LOGIN-N.md); more are refused until some are moved away.
    #[arg(long, value_name = "N", default_value_t = 5)]
    max_packets: usize,
}

/// `30m`, `90s`, `1h`: a whole number and a unit.
fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

pub fn serve(args: ServeArgs) -> Outcome {
    let listen: SocketAddr = args.listen.parse().map_err(|_| {
        Failure::usage(format!(
            "--listen {}: expected ADDR:PORT, e.g. 127.0.0.1:2222 or 0.0.0.0:2222",
            inert(&args.listen)
        ))
    })?;
    let idle = parse_duration(&args.idle_timeout).ok_or_else(|| {
        Failure::usage(format!(
            "--idle-timeout {}: expected a number and s, m or h, e.g. 30m",
            inert(&args.idle_timeout)
        ))
    })?;
    let login_grace = parse_duration(&args.login_grace).ok_or_else(|| {
        Failure::usage(format!(
            "--login-grace {}: expected a number and s, m or h, e.g. 20s",
            inert(&args.login_grace)
        ))
    })?;
    if args.max_sessions == 0
        || args.max_per_key == 0
        || args.max_unauthenticated == 0
        || args.max_unauthenticated_per_address == 0
    {
        return Err(Failure::usage(
            "--max-sessions, --max-per-key, --max-unauthenticated and \
             --max-unauthenticated-per-address must be at least 1",
        ));
    }
    let opts = crate::serve::Options {
        path: args.file,
        listen,
        authorized_keys: args.authorized_keys,
        host_key: args.host_key,
        max_sessions: args.max_sessions,
        max_per_key: args.max_per_key,
        idle,
        today: today(),
        poll: Duration::from_millis(500),
        max_unauthenticated: args.max_unauthenticated,
        max_unauthenticated_per_address: args.max_unauthenticated_per_address,
        login_grace,
        max_packets: args.max_packets,
    };
    crate::serve::run(opts).map_err(|e| Failure::usage(e.0))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("1.5h"), None);
    }
}
