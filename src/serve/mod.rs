//! `closedesk serve`: the cockpit over SSH, for reviewers with no shell on the host.
//!
//! One process listens with an embedded SSH server (russh). A client authenticates with a
//! public key listed in the authorized-keys file, which names the roster login the key acts
//! as; passwords and keyboard-interactive are off. Each connection gets its own cockpit —
//! the same [`crate::tui::run_app`] as the local one — drawn into the SSH channel and
//! driven by the bytes the client types. There is no shell, no command, no file transfer.
//!
//! - [`keys`]: the authorized-keys file and the host key;
//! - [`input`]: keys decoded from the channel's bytes;
//! - [`backend`]: drawing into the channel, the bounded output buffer;
//! - [`session`]: one connection — authentication, requests, its cockpit.
//!
//! Every login, refusal and disconnect is a row of the snapshot's audit log
//! ([`crate::workflow::sessions`]), written by one background thread.

pub mod backend;
mod gate;
pub mod input;
pub mod keys;
mod session;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use russh::keys::PrivateKey;
use russh::{MethodKind, MethodSet};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::snapshot::Snapshot;
use crate::text::{inert, inert_path};
use crate::workflow::sessions::{self, Event};
use gate::{Failures, Gate};
use keys::AuthorizedKeys;

/// A line on standard error for whoever runs the server. Unlike `eprintln!`, a closed
/// stderr (`closedesk serve … 2>&1 | head`) is ignored instead of panicking a long-running
/// server's thread.
macro_rules! log {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// How `serve` runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub path: PathBuf,
    pub listen: SocketAddr,
    pub authorized_keys: PathBuf,
    /// `None`: `closedesk_host_ed25519_key` beside the snapshot.
    pub host_key: Option<PathBuf>,
    /// Cockpit sessions open at once, in all.
    pub max_sessions: usize,
    /// Cockpit sessions open at once with one key.
    pub max_per_key: usize,
    /// A session with no key pressed for this long is closed.
    pub idle: Duration,
    pub today: NaiveDate,
    /// How often each cockpit looks for changes made by others.
    pub poll: Duration,
    /// Connections not yet authenticated, in all.
    pub max_unauthenticated: usize,
    /// Connections not yet authenticated from one source address.
    pub max_unauthenticated_per_address: usize,
    /// A connection that has not authenticated this long after it was accepted is dropped.
    pub login_grace: Duration,
    /// Close packets one login may keep from served sessions (`--max-packets`).
    pub max_packets: usize,
}

/// Why `serve` could not start; the message names the file or address.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ServeError(pub String);

/// Failed logins from one source address within this window share one summary row.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// How long connected users get to see the shutdown message before the process ends.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What every connection shares.
pub(crate) struct Shared {
    pub opts: Options,
    pub keys: AuthorizedKeys,
    pub config: Arc<russh::server::Config>,
    pub registry: Mutex<Registry>,
    /// Events for the audit writer; `None` tells it to finish.
    pub audit: mpsc::UnboundedSender<Option<Event>>,
    pub shutdown: watch::Receiver<bool>,
    pub port: u16,
    /// Connection slots, waiting and authenticated.
    pub gate: Mutex<Gate>,
    /// Failed logins, summarized per source address.
    pub failures: Mutex<Failures>,
}

impl Shared {
    pub fn audit(&self, event: Event) {
        let _ = self.audit.send(Some(event));
    }

    /// A connection that never authenticated: audited as the first failure from its address
    /// in a window, or counted into that window's summary.
    pub fn failed_login(&self, peer: SocketAddr, user: &str, reasons: &[String]) {
        let rows = match self.failures.lock() {
            Ok(mut f) => f.fail(peer, user, reasons, std::time::Instant::now()),
            Err(_) => return,
        };
        for row in rows {
            self.audit(row);
        }
    }

    fn failure_summaries(&self, all: bool) {
        let rows = match self.failures.lock() {
            Ok(mut f) if all => f.flush(),
            Ok(mut f) => f.due(std::time::Instant::now()),
            Err(_) => return,
        };
        for row in rows {
            self.audit(row);
        }
    }
}

/// The open cockpit sessions, for the limits.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    /// Connection id → key fingerprint.
    open: HashMap<u64, String>,
}

impl Registry {
    /// Counts a new session in, or says which limit stops it.
    pub fn try_open(&mut self, id: u64, key: &str, max: usize, per_key: usize) -> Result<(), String> {
        if self.open.len() >= max {
            return Err(format!(
                "the server has {} open session(s), its limit (--max-sessions); try again later",
                self.open.len()
            ));
        }
        let with_key = self.open.values().filter(|k| *k == key).count();
        if with_key >= per_key {
            return Err(format!(
                "this key is already in {with_key} open session(s), the most one key may have \
                 (--max-per-key); close one first"
            ));
        }
        self.open.insert(id, key.to_string());
        Ok(())
    }

    pub fn close(&mut self, id: u64) {
        self.open.remove(&id);
    }
}

/// Runs the server until SIGINT or SIGTERM. Problems with the snapshot, the key files or
/// the address are returned before anything listens.
pub fn run(opts: Options) -> Result<(), ServeError> {
    let snapshot = Snapshot::open(&opts.path).map_err(|e| ServeError(e.to_string()))?;
    drop(snapshot);
    let keys = AuthorizedKeys::load(&opts.authorized_keys).map_err(|e| ServeError(e.0))?;
    let host_key_path = opts
        .host_key
        .clone()
        .unwrap_or_else(|| keys::default_host_key(&opts.path));
    let (host_key, generated) = keys::host_key(&host_key_path).map_err(|e| ServeError(e.0))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError(format!("cannot start: {e}")))?;
    let result = rt.block_on(serve(opts, keys, host_key, generated, host_key_path));
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

fn config(host_key: PrivateKey) -> russh::server::Config {
    russh::server::Config {
        methods: MethodSet::from(&[MethodKind::PublicKey][..]),
        auth_rejection_time: Duration::from_millis(500),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![host_key],
        // Idle sessions are closed by the cockpit (keys pressed), not by traffic; dead
        // peers are found by keepalives.
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 4,
        max_auth_attempts: 6,
        nodelay: true,
        ..Default::default()
    }
}

async fn serve(
    opts: Options,
    keys: AuthorizedKeys,
    host_key: PrivateKey,
    generated: bool,
    host_key_path: PathBuf,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| ServeError(format!("cannot listen on {}: {e}", opts.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError(format!("cannot listen on {}: {e}", opts.listen)))?;
    let mut signals = Signals::new().map_err(|e| ServeError(format!("cannot handle signals: {e}")))?;
    let fingerprint = keys::fingerprint(host_key.public_key());
    let (audit_tx, audit_rx) = mpsc::unbounded_channel();
    let audit = spawn_audit_writer(opts.path.clone(), audit_rx);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    log!(
        "closedesk serve: {} on {local}; host key {fingerprint} ({} {}); {} authorized key(s). \
         Connect with `ssh -t -p {} LOGIN@HOST`; Ctrl-C stops.",
        inert_path(&opts.path),
        if generated { "generated at" } else { "from" },
        inert_path(&host_key_path),
        keys.len(),
        local.port(),
    );
    // Authenticated connections beyond the sessions: exec, sftp and no-pty attempts on their
    // way to being refused.
    let gate = Gate::new(
        opts.max_unauthenticated,
        opts.max_unauthenticated_per_address,
        opts.max_sessions * 2 + 8,
    );
    let shared = Arc::new(Shared {
        opts,
        keys,
        config: Arc::new(config(host_key)),
        registry: Mutex::new(Registry::default()),
        audit: audit_tx,
        shutdown: shutdown_rx,
        port: local.port(),
        gate: Mutex::new(gate),
        failures: Mutex::new(Failures::new(FAILURE_WINDOW)),
    });
    let mut connections = JoinSet::new();
    let mut next_id = 0u64;
    let mut displaced_from: HashMap<std::net::IpAddr, usize> = HashMap::new();
    let mut summaries = tokio::time::interval(Duration::from_secs(5));
    summaries.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let signal = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        log!("closedesk serve: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                while connections.try_join_next().is_some() {}
                let (socket, killer, gate_handle) = match session::handles(socket) {
                    Ok(handles) => handles,
                    Err(e) => {
                        log!("closedesk serve: {peer}: {e}");
                        continue;
                    }
                };
                next_id += 1;
                let displaced = match shared.gate.lock() {
                    Ok(mut gate) => gate.admit(next_id, peer.ip(), Some(gate_handle)),
                    Err(_) => Vec::new(),
                };
                for (_, ip) in displaced {
                    *displaced_from.entry(ip).or_default() += 1;
                }
                connections.spawn(session::connection(shared.clone(), socket, killer, peer, next_id));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = summaries.tick() => {
                shared.failure_summaries(false);
                // One line every few seconds, however many were displaced.
                if !displaced_from.is_empty() {
                    let total: usize = displaced_from.values().sum();
                    let mut busiest: Vec<_> = displaced_from.drain().collect();
                    busiest.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
                    let listed: Vec<String> =
                        busiest.iter().take(4).map(|(ip, n)| format!("{ip} ({n})")).collect();
                    log!(
                        "closedesk serve: {total} unauthenticated connection(s) closed to make room \
                         (--max-unauthenticated, --max-unauthenticated-per-address); from {}{}",
                        listed.join(", "),
                        if busiest.len() > 4 { ", …" } else { "" }
                    );
                }
            }
            name = signals.next() => break name,
        }
    };
    log!(
        "closedesk serve: {signal}: telling {} connection(s) and stopping",
        connections.len()
    );
    drop(listener);
    let _ = shutdown_tx.send(true);
    let all_done = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, all_done).await.is_err() {
        connections.abort_all();
    }
    shared.failure_summaries(true);
    // Whatever was logged before this is written; a session task russh still holds cannot
    // keep the writer (and so the process) alive.
    let _ = shared.audit.send(None);
    drop(shared);
    let _ = tokio::task::spawn_blocking(move || audit.join()).await;
    log!("closedesk serve: stopped");
    Ok(())
}

/// SIGINT and SIGTERM as one stream of names.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => "SIGINT",
                _ = self.term.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Writes session events to the audit log, in order, on one thread with its own
/// connection; each is also printed on stderr for whoever runs the server. Ends at `None`
/// (after everything queued before it) or when every sender is gone. The log is the one of
/// the file at the served path: when that file was replaced (a new import, `demo --force`)
/// the connection is opened again, as new sessions open the new file; the rows were lost.
fn spawn_audit_writer(
    path: PathBuf,
    mut events: mpsc::UnboundedReceiver<Option<Event>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut snapshot = Snapshot::open(&path);
        while let Some(Some(event)) = events.blocking_recv() {
            if snapshot
                .as_ref()
                .map_or(true, |s| s.replaced_since_open().is_some())
            {
                snapshot = Snapshot::open(&path);
            }
            log!(
                "closedesk serve: {} {} {}: {}",
                event.action,
                inert(&event.actor),
                inert(&event.target),
                inert(&event.text)
            );
            let written = match &snapshot {
                Ok(s) => sessions::record(s, &event).map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = written {
                log!("closedesk serve: could not write the audit row: {}", inert(&e));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_all_sessions_and_each_key() {
        let mut r = Registry::default();
        r.try_open(1, "A", 3, 2).unwrap();
        r.try_open(2, "A", 3, 2).unwrap();
        assert!(r
            .try_open(3, "A", 3, 2)
            .unwrap_err()
            .contains("this key is already in 2 open session(s)"));
        r.try_open(3, "B", 3, 2).unwrap();
        assert!(r
            .try_open(4, "C", 3, 2)
            .unwrap_err()
            .contains("the server has 3 open session(s)"));
        r.close(1);
        r.try_open(4, "C", 3, 2).unwrap();
    }
}
