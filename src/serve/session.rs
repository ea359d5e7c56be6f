//! One SSH connection: authentication by key, the requests a client may make (a pty and a
//! shell: the cockpit) and may not (commands, subsystems, a shell without a terminal), and
//! the cockpit session itself.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratatui::layout::Size;
use ratatui::Terminal;
use russh::server::{Auth, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, ChannelMsg, MethodKind, MethodSet};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};

use super::backend::{Outbox, RemoteBackend, OUTPUT_LIMIT};
use super::gate::claimed_name;
use super::input::Decoder;
use super::keys::fingerprint;
use super::Shared;
use crate::text::{inert_exact, inert_multiline};
use crate::tui::theme::Theme;
use crate::tui::{self, Draft, Input};
use crate::workflow::sessions::{Event, DISCONNECTED, LOGIN, REFUSED};

/// The alternate screen on, cursor hidden, bracketed paste on.
const ENTER: &[u8] = b"\x1b[?1049h\x1b[?25l\x1b[?2004h";
/// Bracketed paste off, the main screen back, cursor shown, attributes reset.
const LEAVE: &[u8] = b"\x1b[?2004l\x1b[0m\x1b[?25h\x1b[?1049l";
/// Longest user name or command kept for the audit log.
const MAX_CLAIM: usize = 64;
/// Distinct reasons kept for a connection's failed authentication.
const MAX_REFUSALS: usize = 4;
/// Refused requests (forwards, X11, agent, commands) audited one row each per connection;
/// the rest are counted into one row when the connection ends.
const MAX_REQUEST_ROWS: usize = 8;
/// How long closing a session may wait for a client before dropping it.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// The most bytes of a lost draft a goodbye echoes (inert): a quarter of the output queue.
const ECHO_LIMIT: usize = OUTPUT_LIMIT / 4;

/// What the connection task needs to know after the SSH session ends.
#[derive(Debug, Default)]
struct ConnState {
    /// The user name the client asked for (untrusted).
    user: String,
    /// Why authentication attempts failed, in order: the first [`MAX_REFUSALS`] distinct.
    refusals: Vec<String>,
    /// Distinct refusals beyond those kept.
    more_refusals: usize,
    /// The login and key fingerprint once a key was accepted.
    identity: Option<(String, String)>,
    /// A cockpit started (it records its own disconnect).
    cockpit: bool,
    /// When the key was accepted.
    since: Option<Instant>,
    /// An authorized key was turned away for want of a slot (already audited).
    out_of_slots: bool,
    /// Refused requests audited on this connection.
    audited: usize,
    /// Refused requests beyond [`MAX_REQUEST_ROWS`], counted into one row at the end.
    unaudited: usize,
}

/// Client-supplied text cut to [`MAX_CLAIM`] characters, for the audit text (stored as
/// given, shown inert).
fn claim(text: &str) -> String {
    text.chars().take(MAX_CLAIM).collect()
}

fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// The socket for russh, a handle on it for the connection (shutting it down ends a session
/// stuck on a client that stopped reading: russh's own task cannot be cancelled from
/// outside), and one for the gate (which shuts down a waiting connection it displaces).
pub(super) fn handles(
    socket: TcpStream,
) -> std::io::Result<(TcpStream, std::net::TcpStream, std::net::TcpStream)> {
    let socket = socket.into_std()?;
    let killer = socket.try_clone()?;
    let gate = socket.try_clone()?;
    Ok((TcpStream::from_std(socket)?, killer, gate))
}

/// Counts the connection out of the gate however its task ends.
struct Slot {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut gate) = self.shared.gate.lock() {
            gate.end(self.id);
        }
    }
}

/// Runs one connection to its end and audits what the session did not: a refused
/// authentication, or the end of a connection that never opened a cockpit.
pub(super) async fn connection(
    shared: Arc<Shared>,
    socket: TcpStream,
    killer: std::net::TcpStream,
    peer: SocketAddr,
    id: u64,
) {
    let _slot = Slot {
        shared: shared.clone(),
        id,
    };
    // One deadline from the accept: the SSH hello, key exchange and authentication.
    let deadline = tokio::time::Instant::now() + shared.opts.login_grace;
    let state = Arc::new(Mutex::new(ConnState::default()));
    let ending = Arc::new(Notify::new());
    let target = format!("ssh:{peer}");
    let handler = Connection {
        shared: shared.clone(),
        id,
        target: target.clone(),
        state: state.clone(),
        ending: ending.clone(),
        channel: None,
        pty: None,
        env: HashMap::new(),
    };
    let start = russh::server::run_stream(shared.config.clone(), socket, handler);
    let mut running = match tokio::time::timeout_at(deadline, start).await {
        Ok(Ok(running)) => running,
        // Not an SSH client, or too slow to say hello.
        _ => return,
    };
    let mut shutdown = shared.shutdown.clone();
    let authenticated = || state.lock().map(|s| s.identity.is_some()).unwrap_or(false);
    let mut past_grace = false;
    loop {
        tokio::select! {
            _ = &mut running => break,
            _ = ending.notified() => {
                if tokio::time::timeout(CLOSE_GRACE, &mut running).await.is_err() {
                    let _ = killer.shutdown(std::net::Shutdown::Both);
                }
                break;
            }
            _ = tokio::time::sleep_until(deadline), if !past_grace => {
                past_grace = true;
                if authenticated() {
                    continue;
                }
                let _ = killer.shutdown(std::net::Shutdown::Both);
                break;
            }
            _ = shutdown.changed() => {
                // A cockpit says goodbye itself, then notifies `ending`.
                let cockpit = state.lock().map(|s| s.cockpit).unwrap_or(false);
                if cockpit {
                    let _ = tokio::time::timeout(CLOSE_GRACE * 2, ending.notified()).await;
                }
                let _ = tokio::time::timeout(CLOSE_GRACE, &mut running).await;
                let _ = killer.shutdown(std::net::Shutdown::Both);
                break;
            }
        }
    }
    let state = match state.lock() {
        Ok(mut s) => std::mem::take(&mut *s),
        Err(_) => return,
    };
    audit_connection_end(&shared, peer, &target, state);
}

fn audit_connection_end(shared: &Shared, peer: SocketAddr, target: &str, state: ConnState) {
    if state.identity.is_some() && state.unaudited > 0 {
        let (login, _) = state.identity.clone().unwrap_or_default();
        shared.audit(Event {
            action: REFUSED,
            actor: login,
            target: target.to_string(),
            text: format!(
                "{} more refused request(s) on this connection (the first {MAX_REQUEST_ROWS} have rows \
                 of their own)",
                state.unaudited
            ),
        });
    }
    match state.identity {
        None if state.out_of_slots => {}
        None if !state.refusals.is_empty() || !state.user.is_empty() => {
            let mut reasons = state.refusals;
            if state.more_refusals > 0 {
                reasons.push(format!("{} more refused attempt(s)", state.more_refusals));
            }
            shared.failed_login(peer, &state.user, &reasons);
        }
        None => {}
        Some((login, _)) if !state.cockpit => {
            let lasted = state.since.map(|t| duration(t.elapsed())).unwrap_or_default();
            shared.audit(Event {
                action: DISCONNECTED,
                actor: login,
                target: target.to_string(),
                text: format!("connection closed after {lasted}; no cockpit was opened"),
            });
        }
        Some(_) => {}
    }
}

/// The pty a client asked for.
#[derive(Clone, Debug)]
struct Pty {
    term: String,
    size: Size,
}

/// The russh handler of one connection.
struct Connection {
    shared: Arc<Shared>,
    id: u64,
    target: String,
    state: Arc<Mutex<ConnState>>,
    ending: Arc<Notify>,
    /// The session channel until its shell request starts the cockpit.
    channel: Option<Channel<Msg>>,
    pty: Option<Pty>,
    env: HashMap<String, String>,
}

impl Connection {
    fn with_state<T>(&self, f: impl FnOnce(&mut ConnState) -> T) -> Option<T> {
        self.state.lock().ok().map(|mut s| f(&mut s))
    }

    /// Tells the gate this waiting connection got as far as authentication.
    fn asking(&self) {
        if let Ok(mut gate) = self.shared.gate.lock() {
            gate.asking(self.id);
        }
    }

    fn login(&self) -> Option<(String, String)> {
        self.with_state(|s| s.identity.clone()).flatten()
    }

    fn refuse_auth(&self, user: &str, why: String) -> Auth {
        self.with_state(|s| {
            s.user = claim(user);
            // Key probes are not counted by russh's max_auth_attempts: a client may offer
            // key after key until the login grace ends. The first few reasons are kept.
            if !s.refusals.contains(&why) {
                if s.refusals.len() < MAX_REFUSALS {
                    s.refusals.push(why);
                } else {
                    s.more_refusals += 1;
                }
            }
        });
        Auth::Reject {
            proceed_with_methods: Some(MethodSet::from(&[MethodKind::PublicKey][..])),
            partial_success: false,
        }
    }

    /// A refused request's audit row, as the login: the first [`MAX_REQUEST_ROWS`] of a
    /// connection each get one, the rest are counted.
    fn audit_refusal(&self, why: String) {
        let (actor, _) = self.login().unwrap_or_default();
        let own_row = self
            .with_state(|s| {
                if s.audited < MAX_REQUEST_ROWS {
                    s.audited += 1;
                    true
                } else {
                    s.unaudited += 1;
                    false
                }
            })
            .unwrap_or(false);
        if own_row {
            self.shared.audit(Event {
                action: REFUSED,
                actor: if actor.is_empty() {
                    super::gate::SERVER_ACTOR.to_string()
                } else {
                    actor
                },
                target: self.target.clone(),
                text: why,
            });
        }
    }

    /// Tells the client why on stderr, ends the channel with exit status 2 and audits.
    fn refuse_request(
        &self,
        channel: ChannelId,
        session: &mut Session,
        why: &str,
    ) -> Result<(), russh::Error> {
        self.audit_refusal(why.to_string());
        let prefix = if why.starts_with("closedesk") {
            ""
        } else {
            "closedesk: "
        };
        session.extended_data(channel, 1, format!("{prefix}{why}\r\n").into_bytes())?;
        session.exit_status_request(channel, 2)?;
        session.eof(channel)?;
        session.close(channel)?;
        Ok(())
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        // Every client asks with "none" first; only remember who it claimed to be.
        self.with_state(|s| s.user = claim(user));
        self.asking();
        Ok(Auth::Reject {
            proceed_with_methods: Some(MethodSet::from(&[MethodKind::PublicKey][..])),
            partial_success: false,
        })
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        self.asking();
        if self.shared.keys.login(offer.public_key).is_some() {
            return Ok(Auth::Accept);
        }
        let why = format!(
            "key {} is not in the authorized keys",
            fingerprint(offer.public_key)
        );
        Ok(self.refuse_auth(user, why))
    }

    async fn auth_publickey(&mut self, user: &str, key: VerifiedPublicKey<'_>) -> Result<Auth, Self::Error> {
        let Some(login) = self.shared.keys.login(key.public_key).map(str::to_string) else {
            let why = format!(
                "key {} is not in the authorized keys",
                fingerprint(key.public_key)
            );
            return Ok(self.refuse_auth(user, why));
        };
        let print = fingerprint(key.public_key);
        let slot = match self.shared.gate.lock() {
            Ok(mut gate) => gate.authenticate(self.id),
            Err(_) => Err("the server is failing".to_string()),
        };
        if let Err(why) = slot {
            // Audited here, as the key's login: not a failed login.
            self.with_state(|s| s.out_of_slots = true);
            self.shared.audit(Event {
                action: REFUSED,
                actor: login,
                target: self.target.clone(),
                text: format!("key {print}: {why}"),
            });
            return Ok(Auth::Reject {
                proceed_with_methods: None,
                partial_success: false,
            });
        }
        self.with_state(|s| {
            s.user = claim(user);
            s.identity = Some((login.clone(), print.clone()));
            s.since = Some(Instant::now());
        });
        let asked = if user == login {
            String::new()
        } else {
            format!(", asked for as {}", claimed_name(user))
        };
        self.shared.audit(Event {
            action: LOGIN,
            actor: login,
            target: self.target.clone(),
            text: format!("key {print}{asked}"),
        });
        Ok(Auth::Accept)
    }

    async fn auth_password(&mut self, user: &str, _password: &str) -> Result<Auth, Self::Error> {
        Ok(self.refuse_auth(user, "password authentication is off".to_string()))
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        _response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        Ok(self.refuse_auth(user, "keyboard-interactive authentication is off".to_string()))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel.is_some() || self.with_state(|s| s.cockpit).unwrap_or(false) {
            // One cockpit per connection; dropping the reply rejects the channel.
            drop(reply);
            return Ok(());
        }
        self.channel = Some(channel);
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.pty = Some(Pty {
            term: claim(term),
            size: pty_size(col_width, row_height, UNKNOWN_SIZE),
        });
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Answered when the client wants a reply (russh leaves that to the handler).
        if matches!(name, "NO_COLOR" | "COLORTERM" | "TERM") {
            self.env.insert(name.to_string(), claim(value));
            session.channel_success(channel)?;
        } else {
            session.channel_failure(channel)?;
        }
        Ok(())
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let Some(pty) = self.pty.clone() else {
            return self.refuse_request(channel, session, "closedesk needs a terminal: use ssh -t");
        };
        let Some((login, key)) = self.login() else {
            return self.refuse_request(channel, session, "not authenticated");
        };
        let Some(chan) = self.channel.take() else {
            return self.refuse_request(channel, session, "no session channel");
        };
        let opts = &self.shared.opts;
        let limit = self
            .shared
            .registry
            .lock()
            .map_err(|_| russh::Error::Inconsistent)?
            .try_open(self.id, &key, opts.max_sessions, opts.max_per_key);
        if let Err(why) = limit {
            return self.refuse_request(channel, session, &why);
        }
        self.with_state(|s| s.cockpit = true);
        let term = self.env.get("TERM").cloned().unwrap_or(pty.term);
        let no_color = self.env.get("NO_COLOR").cloned();
        let cockpit = Cockpit {
            shared: self.shared.clone(),
            login: login.clone(),
            key: key.clone(),
            theme: Theme::for_terminal(Some(&term), no_color.as_deref()),
            size: pty.size,
        };
        let (shared, id, target, ending) = (
            self.shared.clone(),
            self.id,
            self.target.clone(),
            self.ending.clone(),
        );
        tokio::spawn(async move {
            // However the cockpit ends — a panic included — the session is counted out,
            // audited, and its connection told to close.
            let text = match tokio::spawn(cockpit.run(chan)).await {
                Ok(text) => text,
                Err(e) => format!("the cockpit failed: {e}"),
            };
            if let Ok(mut registry) = shared.registry.lock() {
                registry.close(id);
            }
            shared.audit(Event {
                action: DISCONNECTED,
                actor: login,
                target,
                text,
            });
            ending.notify_one();
        });
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let command = inert_exact(&claim(&String::from_utf8_lossy(data)));
        let why = format!(
            "closedesk serve opens the cockpit only; commands are refused (asked: {command}). \
             Connect with `ssh -t -p {} LOGIN@HOST`",
            self.shared.port
        );
        self.refuse_request(channel, session, &why)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        let why = format!(
            "closedesk serve opens the cockpit only; subsystems such as sftp are refused (asked: {})",
            inert_exact(&claim(name))
        );
        self.refuse_request(channel, session, &why)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        protocol: &str,
        _cookie: &str,
        screen: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        self.audit_refusal(format!(
            "X11 forwarding is refused (asked: x11-req {} screen {screen})",
            inert_exact(&claim(protocol))
        ));
        Ok(())
    }

    async fn agent_request(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        // russh answers the failure.
        self.audit_refusal("agent forwarding is refused (asked: auth-agent-req)".to_string());
        Ok(false)
    }

    async fn tcpip_forward(
        &mut self,
        address: &str,
        port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        // russh answers the failure.
        self.audit_refusal(format!(
            "port forwarding is refused (asked: tcpip-forward {}:{port})",
            inert_exact(&claim(address))
        ));
        Ok(false)
    }

    async fn streamlocal_forward(
        &mut self,
        socket_path: &str,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        self.audit_refusal(format!(
            "socket forwarding is refused (asked: streamlocal-forward {})",
            inert_exact(&claim(socket_path))
        ));
        Ok(false)
    }

    #[allow(clippy::too_many_arguments)]
    async fn channel_open_direct_tcpip(
        &mut self,
        _channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        originator_address: &str,
        originator_port: u32,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Dropping the reply rejects the channel.
        drop(reply);
        self.audit_refusal(format!(
            "port forwarding is refused (asked: direct-tcpip to {}:{port_to_connect} from {}:{originator_port})",
            inert_exact(&claim(host_to_connect)),
            inert_exact(&claim(originator_address))
        ));
        Ok(())
    }

    async fn channel_open_direct_streamlocal(
        &mut self,
        _channel: Channel<Msg>,
        socket_path: &str,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        drop(reply);
        self.audit_refusal(format!(
            "socket forwarding is refused (asked: direct-streamlocal to {})",
            inert_exact(&claim(socket_path))
        ));
        Ok(())
    }
}

/// The size of a new session whose client did not say (a zero width or height).
const UNKNOWN_SIZE: Size = Size::new(80, 24);
/// The largest terminal a session draws for: more than a 4K screen shows at an 8-pixel-wide
/// font (480x135). A session's screen buffers take about 100 bytes a cell: a session at
/// 512x256 costs about 14 MB (at 1000x1000 it was 95 MB). A larger request is drawn in its
/// top-left 512x256.
const MAX_SIZE: Size = Size::new(512, 256);

/// A pty size as the client gave it, within [`MAX_SIZE`]. A zero dimension is unknown (RFC
/// 4254 6.2: it is to be ignored) and keeps `known`'s.
fn pty_size(cols: u32, rows: u32, known: Size) -> Size {
    let fit = |n: u32, known: u16, max: u16| match n {
        0 => known,
        n => n.min(u32::from(max)) as u16,
    };
    Size::new(
        fit(cols, known.width, MAX_SIZE.width),
        fit(rows, known.height, MAX_SIZE.height),
    )
}

/// Why a cockpit session ended.
#[derive(Debug)]
enum End {
    Quit,
    ClientLeft,
    Idle(Duration),
    Stalled,
    Shutdown,
    Failed(String),
}

impl End {
    /// What the user is told as the session closes, if they can still be told; a draft lost
    /// with it is echoed for them to copy.
    fn goodbye(&self, draft: Option<&Draft>) -> Option<String> {
        let echo = draft.map(echo).unwrap_or_default();
        match self {
            End::Quit => Some(String::new()),
            End::Idle(idle) => Some(format!(
                "closedesk: no key pressed for {}: disconnected. Everything you saved is kept; a draft \
                 not saved was not.{echo}",
                duration(*idle)
            )),
            End::Shutdown if draft.is_some() => Some(format!(
                "closedesk: the server is shutting down. Everything you saved is kept; a draft not saved \
                 was not. Connect again when it is back.{echo}"
            )),
            End::Shutdown => Some(
                "closedesk: the server is shutting down. Everything you saved is kept; connect again \
                 when it is back."
                    .to_string(),
            ),
            End::Failed(why) => Some(format!("closedesk: the cockpit stopped: {why}{echo}")),
            End::ClientLeft | End::Stalled => None,
        }
    }

    fn words(&self) -> String {
        match self {
            End::Quit => "quit".to_string(),
            End::ClientLeft => "the client closed the connection".to_string(),
            End::Idle(idle) => format!("idle for {}", duration(*idle)),
            End::Stalled => format!(
                "the client stopped reading ({} KiB of output waiting)",
                OUTPUT_LIMIT / 1024
            ),
            End::Shutdown => "the server shut down".to_string(),
            End::Failed(why) => format!("the cockpit stopped: {why}"),
        }
    }
}

/// A lost draft as a goodbye shows it: what it was for, then its text made inert (line by
/// line, with the terminal's line ends), as a refused save echoes its input.
fn echo(draft: &Draft) -> String {
    let mut text = inert_multiline(&draft.text);
    if text.len() > ECHO_LIMIT {
        let cut = (0..=ECHO_LIMIT)
            .rev()
            .find(|&at| text.is_char_boundary(at))
            .unwrap_or(0);
        text.truncate(cut);
        text.push_str("\n… (cut here: the draft is longer than can be shown)");
    }
    let saving = if draft.saving {
        "; its save was under way as the session closed: look whether it was kept"
    } else {
        ""
    };
    format!(
        "\r\nYour draft ({}{saving}) was:\r\n{}",
        draft.what,
        text.replace('\n', "\r\n")
    )
}

/// What a disconnect's audit text adds for a draft lost with the session: what it was for
/// and its length, never its text.
fn dropped(draft: &Draft) -> String {
    format!(
        "; an unsaved draft was dropped: {}, {} characters{}",
        draft.what,
        draft.text.chars().count(),
        if draft.saving {
            " (its save was under way and may have been written)"
        } else {
            ""
        }
    )
}

/// One cockpit over one SSH channel.
struct Cockpit {
    shared: Arc<Shared>,
    login: String,
    /// The fingerprint of the key that authenticated the session: the login's proof on a
    /// keyed roster.
    key: String,
    theme: Theme,
    size: Size,
}

impl Cockpit {
    /// Runs the session to its end and closes the channel; returns why and after how long
    /// it ended, for the audit log.
    async fn run(self, channel: Channel<Msg>) -> String {
        let started = Instant::now();
        let (mut reader, writer) = channel.split();
        // The writer task sends queued frames as fast as the client's window allows.
        let queued = Arc::new(AtomicUsize::new(0));
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let mut sink = writer.make_writer();
        let sent = queued.clone();
        let mut writer_task = tokio::spawn(async move {
            while let Some(frame) = out_rx.recv().await {
                if sink.write_all(&frame).await.is_err() || sink.flush().await.is_err() {
                    break;
                }
                sent.fetch_sub(frame.len(), std::sync::atomic::Ordering::AcqRel);
            }
        });
        let size = Arc::new(Mutex::new(self.size));
        let mut backend = RemoteBackend::new(Outbox::new(out_tx, queued, OUTPUT_LIMIT), size.clone());
        let (end, draft) = match backend.send(ENTER) {
            Ok(()) => match Terminal::new(backend) {
                Ok(mut terminal) => {
                    let (end, draft) = self.drive(&mut terminal, &mut reader, &size).await;
                    if let Some(message) = end.goodbye(draft.as_ref()) {
                        let mut bytes = LEAVE.to_vec();
                        if !message.is_empty() {
                            bytes.extend_from_slice(format!("{message}\r\n").as_bytes());
                        }
                        let _ = terminal.backend_mut().send(&bytes);
                    }
                    (end, draft)
                }
                Err(e) => (End::Failed(e.to_string()), None),
            },
            Err(e) => (End::Failed(e.to_string()), None),
        };
        // The terminal (and with it the queue's sender) is gone: the writer drains and
        // ends, unless the client stopped reading.
        let drained =
            !matches!(end, End::Stalled) && tokio::time::timeout(CLOSE_GRACE, &mut writer_task).await.is_ok();
        if !drained {
            writer_task.abort();
        }
        if drained {
            let _ = tokio::time::timeout(CLOSE_GRACE, async {
                let _ = writer.exit_status(0).await;
                let _ = writer.eof().await;
                let _ = writer.close().await;
            })
            .await;
        }
        format!(
            "{} after {}{}",
            end.words(),
            duration(started.elapsed()),
            draft.as_ref().map(dropped).unwrap_or_default()
        )
    }

    /// Runs the cockpit until it quits, the client leaves, the session idles out, output
    /// stalls or the server shuts down; returns why, and the draft it left unsaved.
    async fn drive(
        &self,
        terminal: &mut Terminal<RemoteBackend>,
        reader: &mut russh::ChannelReadHalf,
        size: &Arc<Mutex<Size>>,
    ) -> (End, Option<Draft>) {
        let opts = tui::Options {
            path: self.shared.opts.path.clone(),
            user: Some(self.login.clone()),
            today: self.shared.opts.today,
            poll: self.shared.opts.poll,
            serve_key: Some(self.key.clone()),
            packets: tui::data::Packets::PerLogin {
                max: self.shared.opts.max_packets,
            },
        };
        let (input_tx, input_rx) = mpsc::unbounded_channel();
        let app = tui::run_app(terminal, input_rx, &opts, self.theme);
        tokio::pin!(app);
        let mut decoder = Decoder::new();
        let mut shutdown = self.shared.shutdown.clone();
        let idle = self.shared.opts.idle;
        // The user is warned this long before an idle session closes (a draft is not saved).
        let warn_before = (idle / 3).min(Duration::from_secs(60));
        let mut warned = false;
        let mut last_key = tokio::time::Instant::now();
        let end = loop {
            tokio::select! {
                result = &mut app => {
                    return match result {
                        Ok(draft) => (End::Quit, draft),
                        Err(e) if is_stalled(&e) => (End::Stalled, None),
                        Err(e) => (End::Failed(crate::text::inert(&format!("{e:#}"))), None),
                    };
                }
                message = reader.wait() => match message {
                    Some(ChannelMsg::Data { data }) => {
                        last_key = tokio::time::Instant::now();
                        warned = false;
                        for input in decoder.feed(&data) {
                            let _ = input_tx.send(input);
                        }
                    }
                    Some(ChannelMsg::WindowChange { col_width, row_height, .. }) => {
                        if let Ok(mut s) = size.lock() {
                            *s = pty_size(col_width, row_height, *s);
                            let _ = input_tx.send(Input::Resize(s.width, s.height));
                        }
                    }
                    Some(ChannelMsg::Eof | ChannelMsg::Close) | None => break End::ClientLeft,
                    Some(_) => {}
                },
                _ = tokio::time::sleep_until(last_key + idle - warn_before), if !warned => {
                    warned = true;
                    let _ = input_tx.send(Input::Notice(format!(
                        "idle {}: closing in {} — press a key to stay; an unsaved draft is lost",
                        duration(idle - warn_before),
                        duration(warn_before)
                    )));
                }
                _ = tokio::time::sleep_until(last_key + idle) => break End::Idle(idle),
                _ = shutdown.changed() => break End::Shutdown,
            }
        };
        // Stop the cockpit: with its input closed it ends its loop and its workers.
        drop(input_tx);
        match tokio::time::timeout(CLOSE_GRACE * 2, &mut app).await {
            Ok(Ok(draft)) => (end, draft),
            Ok(Err(e)) if is_stalled(&e) => (End::Stalled, None),
            _ => (end, None),
        }
    }
}

fn is_stalled(e: &color_eyre::Report) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::WouldBlock)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4254 6.2: a zero dimension is to be ignored, not drawn as 1 (one letter on a
    /// blank screen); a new session takes 80x24 for it, a window change keeps the size.
    #[test]
    fn a_zero_pty_dimension_is_unknown() {
        assert_eq!(pty_size(0, 0, UNKNOWN_SIZE), Size::new(80, 24));
        assert_eq!(pty_size(0, 40, UNKNOWN_SIZE), Size::new(80, 40));
        assert_eq!(pty_size(0, 0, Size::new(100, 30)), Size::new(100, 30));
        assert_eq!(pty_size(120, 0, Size::new(100, 30)), Size::new(120, 30));
    }

    /// A size beyond any real terminal is clamped, bounding a session's screen buffers.
    #[test]
    fn an_oversized_pty_is_clamped() {
        assert_eq!(pty_size(1000, 1000, UNKNOWN_SIZE), Size::new(512, 256));
        assert_eq!(pty_size(u32::MAX, 300, UNKNOWN_SIZE), Size::new(512, 256));
        assert_eq!(pty_size(512, 256, UNKNOWN_SIZE), Size::new(512, 256));
        assert_eq!(pty_size(1, 1, UNKNOWN_SIZE), Size::new(1, 1));
    }
}
