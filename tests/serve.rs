//! `closedesk serve` end to end: the real binary serving a demo period on a loopback port,
//! reached by real SSH clients — OpenSSH's `ssh` in a pseudo-terminal when it is installed,
//! and always a russh client, which can also misbehave on purpose (passwords, commands, no
//! pty, a client that stops reading). Screens are read through a terminal emulator (vt100).

mod common;

use common::analyst_reads;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, PrivateKey, PrivateKeyWithHashAlg};
use russh::{client, ChannelMsg};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_closedesk");
const EXPORT_KEY: &str = "exports:GL-2026-03:ar-total";

// The server ------------------------------------------------------------------------------

/// `closedesk serve` on a demo period, with keys for four roster logins (lead mhale, reviewer
/// jokafor, operators rdiaz and tlin) and one outsider.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    db: PathBuf,
    keys: HashMap<&'static str, PrivateKey>,
    dir: tempfile::TempDir,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        Server::start_with(extra, &[])
    }

    fn start_with(extra: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("period.db");
        let out = Command::new(BIN)
            .arg("demo")
            .arg("--out")
            .arg(&db)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut keys = HashMap::new();
        let mut lines = String::from("# reviewers of the March close\n");
        for login in ["mhale", "jokafor", "rdiaz", "tlin", "visitor"] {
            let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
            let public = key.public_key().to_openssh().unwrap();
            lines.push_str(&format!("{} {login}\n", public.trim()));
            key.write_openssh_file(dir.path().join(format!("id_{login}")), LineEnding::LF)
                .unwrap();
            keys.insert(login, key);
        }
        let authorized = dir.path().join("reviewers.keys");
        std::fs::write(&authorized, lines).unwrap();
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg(&db)
            .args(["--listen", "127.0.0.1:0", "--authorized-keys"])
            .arg(&authorized)
            .args(extra)
            .env("CLOSEDESK_TODAY", "2026-04-06")
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let port = first
            .split("127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        let log = Arc::new(Mutex::new(vec![first]));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in stderr.lines() {
                match line {
                    Ok(line) => sink.lock().unwrap().push(line),
                    Err(_) => break,
                }
            }
        });
        Server {
            child,
            port,
            log,
            db,
            keys,
            dir,
        }
    }

    fn key(&self, login: &str) -> PrivateKey {
        self.keys[login].clone()
    }

    /// A russh client with `login`'s key, an 80x24 pty and NO_COLOR.
    async fn cockpit(&self, login: &str) -> Remote {
        Remote::open(self.port, login, self.key(login), Some((80, 24)), WINDOW).await
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The audit rows of session events, oldest first, once `done` holds (the audit is
    /// written by a background thread).
    fn session_rows(&self, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = Command::new(BIN)
                .arg("log")
                .arg(&self.db)
                .arg("--json")
                .output()
                .unwrap();
            let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
            let mut sessions: Vec<Value> = rows
                .into_iter()
                .filter(|r| r["action"].as_str().is_some_and(|a| a.starts_with("session.")))
                .collect();
            sessions.reverse();
            if done(&sessions) {
                return sessions;
            }
            if Instant::now() > deadline {
                panic!(
                    "audit rows not as expected: {sessions:#?}\nserver log:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, and the exit status.
    fn stop(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) on our own child process id; no memory is involved.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("serve did not stop on SIGTERM\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn has(rows: &[Value], action: &str, actor: &str, text: &str) -> bool {
    rows.iter().any(|r| {
        r["action"] == action && r["actor"] == actor && r["text"].as_str().is_some_and(|t| t.contains(text))
    })
}

// A russh client ---------------------------------------------------------------------------

struct Trust;

impl client::Handler for Trust {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// A TCP stream whose reading can be stopped, as by a client that no longer reads.
struct Pausable {
    inner: TcpStream,
    paused: Arc<AtomicBool>,
}

impl AsyncRead for Pausable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.paused.load(Ordering::SeqCst) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Pausable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A client connection, the switch that stops its reading, and its socket (shutting it down
/// drops the connection, as when the client is killed).
async fn connect_with(
    port: u16,
    window: u32,
) -> (client::Handle<Trust>, Arc<AtomicBool>, std::net::TcpStream) {
    let config = Arc::new(client::Config {
        window_size: window,
        ..Default::default()
    });
    let paused = Arc::new(AtomicBool::new(false));
    let socket = TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap()
        .into_std()
        .unwrap();
    let killer = socket.try_clone().unwrap();
    let stream = Pausable {
        inner: TcpStream::from_std(socket).unwrap(),
        paused: paused.clone(),
    };
    let handle = client::connect_stream(config, stream, Trust).await.unwrap();
    (handle, paused, killer)
}

async fn login(port: u16, user: &str, key: PrivateKey) -> client::Handle<Trust> {
    let (mut handle, _, _) = connect_with(port, 2 << 20).await;
    let auth = handle
        .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), None))
        .await
        .unwrap();
    assert!(auth.success(), "{user}: key refused");
    handle
}

/// What a session channel received.
#[derive(Default)]
struct Received {
    screen: Option<vt100::Parser>,
    /// Every byte of standard output.
    raw: Vec<u8>,
    stderr: String,
    exit: Option<u32>,
    closed: bool,
}

/// One cockpit as a russh client sees it.
struct Remote {
    _handle: client::Handle<Trust>,
    writer: russh::ChannelWriteHalf<client::Msg>,
    got: Arc<Mutex<Received>>,
    paused: Arc<AtomicBool>,
    killer: std::net::TcpStream,
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap()
}

impl Remote {
    /// Connects as `user` with `key`, asks for a pty of the size (or none) and a shell.
    async fn open(port: u16, user: &str, key: PrivateKey, pty: Option<(u16, u16)>, window: u32) -> Remote {
        Remote::open_with(port, user, key, pty, window, &[("NO_COLOR", "1")]).await
    }

    async fn open_with(
        port: u16,
        user: &str,
        key: PrivateKey,
        pty: Option<(u16, u16)>,
        window: u32,
        env: &[(&str, &str)],
    ) -> Remote {
        let (mut handle, paused, killer) = connect_with(port, window).await;
        let auth = handle
            .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), None))
            .await
            .unwrap();
        assert!(auth.success());
        let channel = handle.channel_open_session().await.unwrap();
        for (name, value) in env {
            channel.set_env(false, *name, *value).await.unwrap();
        }
        if let Some((cols, rows)) = pty {
            channel
                .request_pty(true, "xterm-256color", cols as u32, rows as u32, 0, 0, &[])
                .await
                .unwrap();
        }
        channel.request_shell(true).await.unwrap();
        let (mut reader, writer) = channel.split();
        // The size the server assumes: 80x24 for an unknown (zero) dimension.
        let (cols, rows) = pty.unwrap_or((80, 24));
        let (cols, rows) = (
            if cols == 0 { 80 } else { cols },
            if rows == 0 { 24 } else { rows },
        );
        let got = Arc::new(Mutex::new(Received {
            screen: Some(vt100::Parser::new(nz(rows), nz(cols), 0)),
            ..Default::default()
        }));
        let sink = got.clone();
        tokio::spawn(async move {
            while let Some(msg) = reader.wait().await {
                let mut got = sink.lock().unwrap();
                match msg {
                    ChannelMsg::Data { data } => {
                        got.raw.extend_from_slice(&data);
                        got.screen.as_mut().unwrap().process(&data);
                    }
                    ChannelMsg::ExtendedData { data, .. } => {
                        got.stderr.push_str(&String::from_utf8_lossy(&data))
                    }
                    ChannelMsg::ExitStatus { exit_status } => got.exit = Some(exit_status),
                    ChannelMsg::Close => break,
                    _ => {}
                }
            }
            sink.lock().unwrap().closed = true;
        });
        Remote {
            _handle: handle,
            writer,
            got,
            paused,
            killer,
        }
    }

    /// Drops the connection without a word, as when the client is killed.
    fn kill(&self) {
        let _ = self.killer.shutdown(std::net::Shutdown::Both);
    }

    fn raw(&self) -> Vec<u8> {
        self.got.lock().unwrap().raw.clone()
    }

    fn contents(&self) -> String {
        self.got
            .lock()
            .unwrap()
            .screen
            .as_ref()
            .unwrap()
            .screen()
            .contents()
    }

    /// The screen's rows from column `start`, `width` columns of each.
    fn rows(&self, start: u16, width: u16) -> Vec<String> {
        let got = self.got.lock().unwrap();
        got.screen.as_ref().unwrap().screen().rows(start, width).collect()
    }

    async fn keys(&self, bytes: &[u8]) {
        self.writer.data_bytes(bytes.to_vec()).await.unwrap();
    }

    /// How long until the screen shows `text`; panics with the screen after `limit`.
    async fn wait_for(&self, text: &str, limit: Duration) -> Duration {
        let start = Instant::now();
        loop {
            if self.contents().contains(text) {
                return start.elapsed();
            }
            if start.elapsed() > limit {
                panic!("{text:?} not on screen after {limit:?}:\n{}", self.contents());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_closed(&self, limit: Duration) -> (Option<u32>, String) {
        let start = Instant::now();
        loop {
            {
                let got = self.got.lock().unwrap();
                if got.closed {
                    return (got.exit, got.stderr.clone());
                }
            }
            if start.elapsed() > limit {
                let stderr = self.got.lock().unwrap().stderr.clone();
                panic!(
                    "channel not closed after {limit:?}: {stderr:?}\n{}",
                    self.contents()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

const WINDOW: u32 = 2 << 20;

/// Drills into the export mismatch and opens the note editor on it.
async fn open_note_on_export(r: &Remote) {
    r.keys(b"2").await;
    r.wait_for("of 2 shown", Duration::from_secs(10)).await;
    r.keys(b"/GL-2026\r\r").await;
    r.wait_for("Source rows", Duration::from_secs(10)).await;
    r.keys(b"n").await;
    r.wait_for("Ctrl-S save", Duration::from_secs(10)).await;
}

/// Drills into the export mismatch and saves a note; returns when it is on screen.
async fn note_on_export(r: &Remote, text: &str) {
    open_note_on_export(r).await;
    r.keys(text.as_bytes()).await;
    r.keys(b"\x13").await;
    // Saved, not only typed: the text is on screen while it is typed; "note added" is the
    // cockpit's word that the write committed.
    r.wait_for("note added", Duration::from_secs(10)).await;
    r.wait_for(text, Duration::from_secs(10)).await;
}

fn mismatch_json(db: &Path) -> String {
    let out = Command::new(BIN)
        .arg("mismatch")
        .arg(db)
        .args([EXPORT_KEY, "--json"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// The tests ---------------------------------------------------------------------------------

fn ssh_binary() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("ssh"))
        .find(|p| p.is_file())
}

/// OpenSSH's client in a pseudo-terminal: the first pane, a note saved as the key's login,
/// a resize, quit; the command line then shows the note.
#[test]
fn openssh_client_reads_the_first_pane_and_adds_a_note() {
    let Some(ssh) = ssh_binary() else {
        eprintln!("no ssh binary: the russh-client tests cover this path");
        return;
    };
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    let server = Server::start(&[]);
    let size = |cols, rows| PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    };
    let pair = native_pty_system().openpty(size(80, 24)).unwrap();
    let mut cmd = CommandBuilder::new(ssh);
    let key = server.dir.path().join("id_mhale");
    for arg in [
        "-t",
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "LogLevel=ERROR",
        "-i",
        key.to_str().unwrap(),
        "-p",
        &server.port.to_string(),
        "mhale@127.0.0.1",
    ] {
        cmd.arg(arg);
    }
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(24), nz(80), 0)));
    let sink = screen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().process(&buf[..n]);
        }
    });
    let wait_until = |what: &str, done: &dyn Fn(&str) -> bool| {
        let start = Instant::now();
        loop {
            let contents = screen.lock().unwrap().screen().contents();
            if done(&contents) {
                return contents;
            }
            if start.elapsed() > Duration::from_secs(15) {
                panic!(
                    "{what} not on screen:\n{contents}\nserver log:\n{}",
                    server.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let wait_for = |text: &str| wait_until(text, &|contents: &str| contents.contains(text));
    let first = wait_for("2 mismatches");
    assert!(first.contains("Northstar Health Benefits"), "{first}");
    assert!(first.contains("14.27"), "{first}");
    assert!(first.contains("mhale (lead)"), "{first}");
    writer.write_all(b"2").unwrap();
    wait_for("of 2 shown");
    writer.write_all(b"/GL-2026\r\r").unwrap();
    wait_for("Source rows");
    writer.write_all(b"n").unwrap();
    wait_for("Ctrl-S save");
    writer.write_all(b"Reviewed over ssh by mhale").unwrap();
    writer.write_all(b"\x13").unwrap();
    wait_for("Reviewed over ssh by mhale");
    // A window change reaches the cockpit.
    pair.master.resize(size(100, 30)).unwrap();
    screen.lock().unwrap().screen_mut().set_size(nz(30), nz(100));
    // "1" (the overview) is idempotent: sent again each second, in case the first came
    // while the cockpit was still busy with the resize on a loaded machine.
    let at_100 = |contents: &str| {
        contents.contains("Headline") && contents.lines().any(|l| l.trim_end().chars().count() > 80)
    };
    let start = Instant::now();
    while !at_100(&screen.lock().unwrap().screen().contents()) && start.elapsed() < Duration::from_secs(10) {
        writer.write_all(b"1").unwrap();
        std::thread::sleep(Duration::from_secs(1));
    }
    wait_until("the overview at 100 columns", &at_100);
    writer.write_all(b"q").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "ssh exited with {status:?}");
    let json = mismatch_json(&server.db);
    assert!(json.contains("Reviewed over ssh by mhale"), "{json}");
    let rows = server.session_rows(|rows| has(rows, "session.disconnected", "mhale", "quit"));
    assert!(has(&rows, "session.login", "mhale", "key SHA256:"), "{rows:#?}");
}

/// The same as a russh client: the first pane, a note by the key's login, checked with the
/// command line; a key whose login is not on the roster gets the read-only view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_acts_as_its_login_and_an_outsider_reads_only() {
    let mut server = Server::start(&[]);
    let r = server.cockpit("jokafor").await;
    r.wait_for("2 mismatches", Duration::from_secs(15)).await;
    assert!(r.contents().contains("jokafor (reviewer)"), "{}", r.contents());
    note_on_export(&r, "Looked at it from the SSH cockpit").await;
    let json = mismatch_json(&server.db);
    assert!(json.contains("Looked at it from the SSH cockpit"), "{json}");
    assert!(json.contains("\"jokafor\""), "the note is not jokafor's: {json}");

    // The user name asked for does not matter: the key decides who you are.
    let outsider = Remote::open(
        server.port,
        "mhale",
        server.key("visitor"),
        Some((80, 24)),
        WINDOW,
    )
    .await;
    outsider.wait_for("read-only", Duration::from_secs(15)).await;
    outsider.keys(b"2").await;
    outsider.wait_for("of 2 shown", Duration::from_secs(10)).await;
    outsider.keys(b"\rn").await;
    outsider.wait_for("read-only", Duration::from_secs(10)).await;
    assert!(
        !outsider.contents().contains("Ctrl-S save"),
        "{}",
        outsider.contents()
    );

    // Escape, then q: two key presses (one write would read as Alt-q).
    r.keys(b"\x1b").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    r.keys(b"q").await;
    r.wait_closed(Duration::from_secs(10)).await;
    // Shutdown tells the connected user and audits the end of the session.
    let status = server.stop();
    assert!(status.success(), "{status:?}\n{}", server.log_text());
    outsider.wait_closed(Duration::from_secs(10)).await;
    assert!(
        outsider.contents().contains("the server is shutting down"),
        "{}",
        outsider.contents()
    );
    let rows = server.session_rows(|rows| has(rows, "session.disconnected", "visitor", "server shut down"));
    assert!(
        has(&rows, "session.login", "visitor", "asked for as \"mhale\""),
        "{rows:#?}"
    );
    assert!(has(&rows, "session.disconnected", "jokafor", "quit"), "{rows:#?}");
    let verify = Command::new(BIN).arg("verify").arg(&server.db).output().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

/// Unknown key, password, keyboard-interactive, a command, a subsystem, a shell without a
/// pty: each refused with a reason, and audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_explained_and_audited() {
    let mut server = Server::start(&[]);
    let port = server.port;

    let stranger = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
    let (mut h, _, _) = connect_with(port, WINDOW).await;
    let auth = h
        .authenticate_publickey("mallory", PrivateKeyWithHashAlg::new(Arc::new(stranger), None))
        .await
        .unwrap();
    assert!(!auth.success());
    let auth = h.authenticate_password("mallory", "hunter2").await.unwrap();
    assert!(!auth.success(), "a password was accepted");
    drop(h);

    let (mut h, _, _) = connect_with(port, WINDOW).await;
    let auth = h.authenticate_password("mhale", "letmein").await.unwrap();
    assert!(!auth.success(), "a password was accepted");
    let auth = h
        .authenticate_keyboard_interactive_start("mhale", None)
        .await
        .unwrap();
    assert!(
        matches!(auth, client::KeyboardInteractiveAuthResponse::Failure { .. }),
        "keyboard-interactive was offered: {auth:?}"
    );
    drop(h);

    // A command.
    let h = login(port, "mhale", server.key("mhale")).await;
    let ch = h.channel_open_session().await.unwrap();
    ch.exec(true, "cat /etc/passwd \u{202e}dwssap").await.unwrap();
    let (exit, stderr) = drain(ch).await;
    assert_eq!(exit, Some(2));
    assert!(stderr.contains("commands are refused"), "{stderr}");
    assert!(!stderr.contains("root:"), "{stderr}");

    // A subsystem.
    let h2 = login(port, "jokafor", server.key("jokafor")).await;
    let ch = h2.channel_open_session().await.unwrap();
    ch.request_subsystem(true, "sftp").await.unwrap();
    let (_, stderr) = drain(ch).await;
    assert!(stderr.contains("sftp are refused"), "{stderr}");

    // A shell without a pty.
    let r = Remote::open(port, "mhale", server.key("mhale"), None, WINDOW).await;
    let (exit, stderr) = r.wait_closed(Duration::from_secs(10)).await;
    assert_eq!(exit, Some(2));
    assert!(
        stderr.contains("closedesk needs a terminal: use ssh -t"),
        "{stderr}"
    );
    drop((h, h2));

    // The second failed login from this address in the minute is in the summary, written
    // when the minute ends or, here, when the server stops.
    assert!(server.stop().success());
    let rows = server.session_rows(|rows| {
        has(
            rows,
            "session.refused",
            "serve",
            "authentication refused for user name \"mallory\": key SHA256:",
        ) && has(rows, "session.refused", "serve", "1 more time(s) from 127.0.0.1")
            && has(
                rows,
                "session.refused",
                "mhale",
                "commands are refused (asked: cat /etc/passwd \\u{202e}dwssap)",
            )
            && has(rows, "session.refused", "jokafor", "sftp")
            && has(rows, "session.refused", "mhale", "needs a terminal")
    });
    let failed: Vec<_> = rows.iter().filter(|r| r["actor"] == "serve").collect();
    assert_eq!(failed.len(), 2, "one row, then one summary: {failed:#?}");
    let first = failed[0]["text"].as_str().unwrap();
    assert!(
        first.contains("is not in the authorized keys; password authentication is off"),
        "{first}"
    );
    let summary = failed[1]["text"].as_str().unwrap();
    assert!(summary.contains("user names asked for: \"mhale\""), "{summary}");
    assert!(summary.contains("password authentication is off"), "{summary}");
    assert!(
        summary.contains("keyboard-interactive authentication is off"),
        "{summary}"
    );
    assert!(!rows.iter().any(|r| r["actor"] == "mallory"), "{rows:#?}");
}

async fn drain(mut ch: russh::Channel<client::Msg>) -> (Option<u32>, String) {
    let mut exit = None;
    let mut stderr = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline.into(), ch.wait()).await {
        match msg {
            ChannelMsg::ExtendedData { data, .. } => stderr.push_str(&String::from_utf8_lossy(&data)),
            ChannelMsg::ExitStatus { exit_status } => exit = Some(exit_status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    (exit, stderr)
}

/// Issue 12.1 with `serve` holding the file: an analyst's plain SQLite client opens and
/// closes it beside a served cockpit, a reviewer saves a note over SSH and an operator one
/// with the command line; both are there after the server stops, and the file verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_sqlite_client_beside_serve_loses_no_saved_note() {
    let mut server = Server::start(&[]);
    let reviewer = server.cockpit("mhale").await;
    reviewer.wait_for("2 mismatches", Duration::from_secs(15)).await;
    // Every connection of the server and the session is open by now.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    analyst_reads(&server.db);
    note_on_export(&reviewer, "saved over ssh").await;
    let out = Command::new(BIN)
        .args(["--user", "jokafor", "mismatch"])
        .arg(&server.db)
        .args([EXPORT_KEY, "note", "saved from the command line"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    reviewer
        .wait_for("saved from the command line", Duration::from_secs(3))
        .await;
    assert!(server.stop().success());
    let json = mismatch_json(&server.db);
    for text in ["saved over ssh", "saved from the command line"] {
        assert!(json.contains(text), "lost: {text}\n{json}");
    }
    let out = Command::new(BIN).arg("verify").arg(&server.db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// Two reviewers at once: a note saved by one is on the other's screen within 2 seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_by_one_user_reaches_the_other_within_two_seconds() {
    let server = Server::start(&[]);
    let watcher = server.cockpit("jokafor").await;
    let writer = server.cockpit("mhale").await;
    watcher.wait_for("2 mismatches", Duration::from_secs(15)).await;
    watcher.keys(b"2").await;
    watcher.wait_for("of 2 shown", Duration::from_secs(10)).await;
    watcher.keys(b"/GL-2026\r\r").await;
    watcher
        .wait_for("No notes, corrections or waivers yet", Duration::from_secs(10))
        .await;
    writer.wait_for("2 mismatches", Duration::from_secs(15)).await;
    note_on_export(&writer, "mhale: GL ops re-running the export").await;
    let took = watcher
        .wait_for("GL ops re-running the export", Duration::from_secs(2))
        .await;
    eprintln!("the other user's note appeared after {took:?}");
}

/// A client that stops reading does not hold up another client's frames, and is
/// disconnected once its output buffer is full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_delays_no_one_and_is_disconnected() {
    let server = Server::start(&[]);
    let other = server.cockpit("jokafor").await;
    other.wait_for("2 mismatches", Duration::from_secs(15)).await;
    // A big terminal and a small SSH window: the stalled client's output backs up fast.
    let stalled = Remote::open(
        server.port,
        "mhale",
        server.key("mhale"),
        Some((250, 80)),
        32 * 1024,
    )
    .await;
    stalled.wait_for("2 mismatches", Duration::from_secs(15)).await;
    stalled.paused.store(true, Ordering::SeqCst);

    let mut worst = Duration::ZERO;
    let mut round = 0;
    let disconnected = |s: &Server| s.log_text().contains("stopped reading");
    while !disconnected(&server) {
        assert!(
            round < 400,
            "the stalled client was never disconnected\n{}",
            server.log_text()
        );
        // The stalled client keeps asking for full redraws...
        for _ in 0..4 {
            stalled.keys(if round % 2 == 0 { b"2" } else { b"1" }).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
            round += 1;
        }
        // ...while the other client's frames keep coming.
        let (key, expect): (&[u8], &str) = if other.contents().contains("Headline") {
            (b"2", "of 2 shown")
        } else {
            (b"1", "Headline")
        };
        other.keys(key).await;
        worst = worst.max(other.wait_for(expect, Duration::from_secs(5)).await);
    }
    eprintln!("worst frame latency of the other client while one stalled: {worst:?} ({round} keys to the stalled one)\n{}", server.log_text());
    assert!(worst < Duration::from_secs(1), "{worst:?}");
    // Still served after the stalled one is gone.
    other.keys(b"3").await;
    other
        .wait_for("Close checklist — 0 of 8 done", Duration::from_secs(5))
        .await;
    let rows = server.session_rows(|rows| has(rows, "session.disconnected", "mhale", "stopped reading"));
    assert!(!has(&rows, "session.disconnected", "jokafor", ""), "{rows:#?}");
}

/// `serve`'s own mistakes: bad files and arguments exit 2 naming what and where.
#[test]
fn bad_arguments_exit_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    assert!(Command::new(BIN)
        .arg("demo")
        .arg("--out")
        .arg(&db)
        .output()
        .unwrap()
        .status
        .success());
    let keys = dir.path().join("keys");
    std::fs::write(&keys, "ssh-ed25519 AAAAnot-a-key mhale\n").unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN).arg("serve").args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let db_s = db.to_str().unwrap();
    let keys_s = keys.to_str().unwrap();
    let (code, err) = run(&[db_s, "--authorized-keys", keys_s]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&format!("{keys_s}:1: not a public key")), "{err}");
    let (code, err) = run(&[db_s, "--authorized-keys", "/nonexistent/keys"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("/nonexistent/keys: cannot read the authorized keys"),
        "{err}"
    );
    let (code, err) = run(&[db_s, "--authorized-keys", keys_s, "--listen", "localhost"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--listen localhost: expected ADDR:PORT"), "{err}");
    let (code, err) = run(&[db_s, "--authorized-keys", keys_s, "--login-grace", "soon"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--login-grace soon: expected a number"), "{err}");
    let (code, err) = run(&[
        db_s,
        "--authorized-keys",
        keys_s,
        "--max-unauthenticated-per-address",
        "0",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("must be at least 1"), "{err}");
    let (code, err) = run(&[db_s, "--authorized-keys", keys_s, "--user", "mhale"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--user does not apply"), "{err}");
    let (code, err) = run(&["/nonexistent/p.db", "--authorized-keys", keys_s]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/nonexistent/p.db"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Colours follow the client: none with NO_COLOR (severity still shown by symbols), the
/// 16-colour palette without it; frames are wrapped in synchronized updates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colours_follow_the_clients_no_color() {
    let server = Server::start(&[]);
    let mono = server.cockpit("mhale").await;
    let colour = Remote::open_with(
        server.port,
        "jokafor",
        server.key("jokafor"),
        Some((80, 24)),
        WINDOW,
        &[],
    )
    .await;
    mono.wait_for("2 mismatches", Duration::from_secs(15)).await;
    colour.wait_for("2 mismatches", Duration::from_secs(15)).await;
    // Foreground colours are SGR 30-37 / 90-97 anywhere among a sequence's parameters
    // (`\x1b[31;49m`, `\x1b[1;97;44m`), or a 256-colour `38;5;N`.
    let coloured = |raw: &[u8]| {
        let text = String::from_utf8_lossy(raw);
        text.split("\x1b[").skip(1).any(|seq| {
            let Some(params) = seq.split_once('m').map(|(p, _)| p) else {
                return false;
            };
            if !params.bytes().all(|b| b.is_ascii_digit() || b == b';') {
                return false;
            }
            params.starts_with("38;5;")
                || params.contains(";38;5;")
                || params.split(';').any(|c| {
                    c.parse::<u8>()
                        .is_ok_and(|c| (30..=37).contains(&c) || (90..=97).contains(&c))
                })
        })
    };
    assert!(!coloured(&mono.raw()), "colour codes with NO_COLOR");
    assert!(coloured(&colour.raw()), "no colour without NO_COLOR");
    // The 16 colours in their own codes: crossterm's 256-colour form is rewritten.
    assert!(!contains(&colour.raw(), b"38;5;") && !contains(&colour.raw(), b"48;5;"));
    assert!(contains(&mono.raw(), b"\x1b[?2026h") && contains(&mono.raw(), b"\x1b[?2026l"));
}

/// Limits: one key may hold only --max-per-key sessions; an idle session is closed with a
/// message. Both audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_limits_and_the_idle_timeout() {
    let server = Server::start(&["--max-per-key", "1", "--idle-timeout", "3s"]);
    let first = server.cockpit("mhale").await;
    first.wait_for("2 mismatches", Duration::from_secs(15)).await;
    let second = server.cockpit("mhale").await;
    let (exit, stderr) = second.wait_closed(Duration::from_secs(10)).await;
    assert_eq!(exit, Some(2));
    assert!(
        stderr.contains("this key is already in 1 open session(s)"),
        "{stderr}"
    );
    // Another key is not limited by mhale's sessions.
    let other = server.cockpit("jokafor").await;
    other.wait_for("2 mismatches", Duration::from_secs(15)).await;
    // Keys keep a session alive; silence ends it, after a warning (a draft is not saved).
    first
        .wait_for(
            "idle 2s: closing in 1s — press a key to stay",
            Duration::from_secs(10),
        )
        .await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        other.keys(b"j").await;
    }
    let (_, _) = first.wait_closed(Duration::from_secs(10)).await;
    assert!(
        first
            .contents()
            .contains("no key pressed for 3s: disconnected. Everything you saved is kept; a draft"),
        "{}",
        first.contents()
    );
    assert!(
        !other.got.lock().unwrap().closed,
        "a session with keys pressed was closed as idle"
    );
    let rows = server.session_rows(|rows| {
        has(
            rows,
            "session.refused",
            "mhale",
            "this key is already in 1 open session(s)",
        ) && has(rows, "session.disconnected", "mhale", "idle for 3s")
    });
    assert!(!has(&rows, "session.disconnected", "jokafor", ""), "{rows:#?}");
}

/// SIGTERM while a draft is open: the goodbye says the draft was not saved and echoes it
/// for the user to copy, inert (a C1 control and a bidi override typed into it do not act),
/// and the disconnect row says a draft was dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_a_draft_open_echoes_the_draft() {
    let mut server = Server::start(&[]);
    let r = server.cockpit("jokafor").await;
    r.wait_for("2 mismatches", Duration::from_secs(15)).await;
    open_note_on_export(&r).await;
    r.keys("Half-written: ask GL ops \u{9b}2J about ACC-1004\u{202e} today".as_bytes())
        .await;
    r.wait_for("Half-written: ask GL ops", Duration::from_secs(10))
        .await;
    assert!(server.stop().success(), "{}", server.log_text());
    r.wait_closed(Duration::from_secs(10)).await;
    let raw = r.raw();
    let leave = raw
        .windows(8)
        .rposition(|w| w == b"\x1b[?1049l")
        .expect("the main screen back");
    let goodbye = String::from_utf8_lossy(&raw[leave + 8..]).into_owned();
    assert!(
        goodbye
            .contains("the server is shutting down. Everything you saved is kept; a draft not saved was not"),
        "{goodbye:?}"
    );
    assert!(
        goodbye.contains("a note on exports:GL-2026-03:ar-total"),
        "{goodbye:?}"
    );
    assert!(
        goodbye.contains("Half-written: ask GL ops \\x9b2J about ACC-1004 today"),
        "{goodbye:?}"
    );
    assert!(
        !goodbye.contains('\u{9b}') && !goodbye.contains('\u{202e}'),
        "{goodbye:?}"
    );
    let rows = server.session_rows(|rows| has(rows, "session.disconnected", "jokafor", "server shut down"));
    assert!(
        has(
            &rows,
            "session.disconnected",
            "jokafor",
            "; an unsaved draft was dropped: a note on exports:GL-2026-03:ar-total"
        ),
        "{rows:#?}"
    );
}

/// A client killed with a draft open: its disconnect row says an unsaved draft was dropped,
/// what it was for and how long it was — not what it said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_audits_the_unsaved_draft() {
    let server = Server::start(&[]);
    let r = server.cockpit("mhale").await;
    r.wait_for("2 mismatches", Duration::from_secs(15)).await;
    open_note_on_export(&r).await;
    r.keys("Private draft, 25 chars é".as_bytes()).await;
    r.wait_for("Private draft", Duration::from_secs(10)).await;
    r.kill();
    let rows = server.session_rows(|rows| {
        has(
            rows,
            "session.disconnected",
            "mhale",
            "the client closed the connection",
        )
    });
    let row = rows
        .iter()
        .find(|row| row["action"] == "session.disconnected")
        .unwrap();
    let text = row["text"].as_str().unwrap();
    assert!(
        text.ends_with(
            "; an unsaved draft was dropped: a note on exports:GL-2026-03:ar-total, 25 characters"
        ),
        "{text}"
    );
    assert!(!text.contains("Private"), "{text}");
}

/// RFC 4254 6.2: zero pty dimensions are to be ignored. A pty of 0x0 gets an 80x24
/// cockpit, not a 1x1 one; a window change with zeros keeps the size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_pty_dimensions_are_unknown() {
    let server = Server::start(&[]);
    let r = Remote::open(server.port, "mhale", server.key("mhale"), Some((0, 0)), WINDOW).await;
    r.wait_for("2 mismatches", Duration::from_secs(15)).await;
    r.writer.window_change(0, 0, 0, 0).await.unwrap();
    r.keys(b"3").await;
    r.wait_for("Close checklist — 0 of 8 done", Duration::from_secs(10))
        .await;
    assert!(!r.contents().contains("terminal too small"), "{}", r.contents());
}

/// A pty larger than any real terminal is clamped (512x256), bounding a session's screen
/// buffers: nothing is drawn beyond it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_pty_is_clamped() {
    let server = Server::start(&[]);
    let r = Remote::open(
        server.port,
        "mhale",
        server.key("mhale"),
        Some((600, 300)),
        WINDOW,
    )
    .await;
    r.wait_for("2 mismatches", Duration::from_secs(15)).await;
    let rows = r.rows(0, 600);
    assert!(!rows[255].trim().is_empty(), "nothing on the 256th row");
    assert!(
        rows[256..].iter().all(|row| row.trim().is_empty()),
        "drawn below row 256"
    );
    assert!(
        r.rows(512, 88).iter().all(|row| row.trim().is_empty()),
        "drawn beyond column 512"
    );
}

/// A cockpit that fails (a debug-build test key makes it panic) ends that session only:
/// it is counted out and audited, and everyone else goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_cockpit_ends_only_its_own_session() {
    if !cfg!(debug_assertions) {
        return; // the panic key exists in debug builds only
    }
    let server = Server::start_with(&["--max-per-key", "1"], &[("CLOSEDESK_TEST_PANIC", "1")]);
    let other = server.cockpit("jokafor").await;
    let failing = server.cockpit("mhale").await;
    failing.wait_for("2 mismatches", Duration::from_secs(15)).await;
    other.wait_for("2 mismatches", Duration::from_secs(15)).await;
    failing.keys(b"\x1b[24~").await; // F12
    failing.wait_closed(Duration::from_secs(10)).await;
    let rows = server.session_rows(|rows| has(rows, "session.disconnected", "mhale", "the cockpit failed"));
    assert!(!has(&rows, "session.disconnected", "jokafor", ""), "{rows:#?}");
    other.keys(b"2").await;
    other.wait_for("of 2 shown", Duration::from_secs(5)).await;
    // The failed session no longer counts against the key's limit.
    let again = server.cockpit("mhale").await;
    again.wait_for("2 mismatches", Duration::from_secs(15)).await;
}

/// Sockets that never authenticate — far more than the server has slots for — neither keep
/// an authorized key from its cockpit nor stay open past the login grace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_sockets_never_keep_a_key_out() {
    let server = Server::start(&["--max-sessions", "2", "--login-grace", "5s"]);
    let mut idle = Vec::new();
    for i in 0..40 {
        let mut socket = TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
        if i % 2 == 0 {
            // Half of them say hello and then nothing more.
            use tokio::io::AsyncWriteExt;
            socket.write_all(b"SSH-2.0-idle\r\n").await.unwrap();
        }
        idle.push(socket);
    }
    let started = Instant::now();
    let r = server.cockpit("mhale").await;
    r.wait_for("2 mismatches", Duration::from_secs(15)).await;
    eprintln!("cockpit up {:?} after 40 idle sockets", started.elapsed());
    // Every idle socket is closed: displaced at once, or at the login grace.
    let deadline = Instant::now() + Duration::from_secs(15);
    for mut socket in idle {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 4096];
        loop {
            match tokio::time::timeout_at(deadline.into(), socket.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(_)) => continue,
                Err(_) => panic!("an unauthenticated socket still open after the login grace"),
            }
        }
    }
    eprintln!(
        "all idle sockets closed {:?} after they were opened",
        started.elapsed()
    );
    // The server says so on standard error, in a line every few seconds, not one per socket.
    let displaced = || -> Vec<String> {
        let log = server.log.lock().unwrap();
        log.iter()
            .filter(|l| l.contains("closed to make room"))
            .cloned()
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while displaced().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let displaced = displaced();
    assert!(!displaced.is_empty() && displaced.len() <= 3, "{displaced:#?}");
    assert!(displaced[0].contains("from 127.0.0.1 ("), "{displaced:#?}");
    // The cockpit was never disturbed.
    r.keys(b"2").await;
    r.wait_for("of 2 shown", Duration::from_secs(10)).await;
    assert!(!r.got.lock().unwrap().closed);
}

/// 50 failed logins from one address under names the client chose: a bounded number of
/// rows, with the count; the actor is never a claimed name, and names are inert and short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_summarized_per_source_with_counts() {
    let mut server = Server::start(&[
        "--max-unauthenticated",
        "64",
        "--max-unauthenticated-per-address",
        "64",
    ]);
    let port = server.port;
    let long = "z".repeat(300);
    let names: Vec<String> = (0..50)
        .map(|i| match i % 5 {
            0 => "root".to_string(),
            1 => format!("evil\u{1b}[2J{i}"),
            2 => long.clone(),
            _ => format!("user{i}"),
        })
        .collect();
    for batch in names.chunks(10) {
        let attempts = batch.iter().cloned().map(|name| {
            tokio::spawn(async move {
                let (mut h, _, _) = connect_with(port, WINDOW).await;
                let auth = h.authenticate_password(name, "hunter2").await.unwrap();
                assert!(!auth.success());
            })
        });
        for a in attempts.collect::<Vec<_>>() {
            a.await.unwrap();
        }
    }
    // Every connection is counted; the summary of the window is written at the latest when
    // the server stops.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(server.stop().success());
    let rows = server.session_rows(|rows| {
        rows.iter()
            .any(|r| r["text"].as_str().is_some_and(|t| t.contains("more time(s)")))
    });
    let refused: Vec<&Value> = rows.iter().filter(|r| r["action"] == "session.refused").collect();
    eprintln!("{} audit row(s) for 50 failed logins", refused.len());
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(refused.iter().all(|r| r["actor"] == "serve"), "{refused:#?}");
    let first = refused[0]["text"].as_str().unwrap();
    assert!(
        first.contains("authentication refused for user name \""),
        "{first}"
    );
    assert!(first.contains("password authentication is off"), "{first}");
    let summary = refused[1]["text"].as_str().unwrap();
    assert!(summary.contains("49 more time(s) from 127.0.0.1"), "{summary}");
    assert!(summary.contains("and "), "{summary}");
    for r in &refused {
        let text = r["text"].as_str().unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(!text.contains(&long), "{text}");
        assert!(text.len() < 600, "{text}");
    }
}

/// X11, agent and port forwarding: each answered with a failure at once, and audited with
/// what was asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_requests_are_answered_refused_and_audited() {
    let server = Server::start(&[]);
    let h = login(server.port, "mhale", server.key("mhale")).await;
    let mut ch = h.channel_open_session().await.unwrap();
    ch.request_x11(true, false, "MIT-MAGIC-COOKIE-1", "00112233", 0)
        .await
        .unwrap();
    let asked = Instant::now();
    let reply = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ch.wait().await {
                Some(ChannelMsg::Failure) => return true,
                Some(ChannelMsg::Success) => return false,
                Some(_) => continue,
                None => return false,
            }
        }
    })
    .await
    .expect("no reply to x11-req");
    assert!(reply, "x11-req was accepted");
    eprintln!("x11-req refused after {:?}", asked.elapsed());
    assert!(
        h.tcpip_forward("0.0.0.0", 8080).await.is_err(),
        "tcpip-forward accepted"
    );
    assert!(
        h.channel_open_direct_tcpip("10.0.0.1", 22, "127.0.0.1", 5000)
            .await
            .is_err(),
        "direct-tcpip accepted"
    );
    let rows = server.session_rows(|rows| {
        has(
            rows,
            "session.refused",
            "mhale",
            "X11 forwarding is refused (asked: x11-req MIT-MAGIC-COOKIE-1 screen 0)",
        ) && has(
            rows,
            "session.refused",
            "mhale",
            "port forwarding is refused (asked: tcpip-forward 0.0.0.0:8080)",
        ) && has(
            rows,
            "session.refused",
            "mhale",
            "port forwarding is refused (asked: direct-tcpip to 10.0.0.1:22 from 127.0.0.1:5000)",
        )
    });
    assert!(
        !rows
            .iter()
            .any(|r| r["text"].as_str().unwrap_or("").contains("00112233")),
        "the cookie is kept: {rows:#?}"
    );
    // A client asking again and again gets a bounded number of rows, with the count.
    for port in 0..20 {
        assert!(h.tcpip_forward("0.0.0.0", 9000 + port).await.is_err());
    }
    drop((ch, h));
    let rows =
        server.session_rows(|rows| has(rows, "session.refused", "mhale", "15 more refused request(s)"));
    let refused = rows
        .iter()
        .filter(|r| r["actor"] == "mhale" && r["action"] == "session.refused")
        .count();
    assert_eq!(refused, 9, "{rows:#?}");
}

/// A served session writes close packets under its login's names, at most --max-packets
/// of them; more are refused on screen, and nothing else is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_close_packets_are_capped_per_login() {
    let server = Server::start(&["--max-packets", "2"]);
    let r = server.cockpit("mhale").await;
    r.wait_for("2 mismatches", Duration::from_secs(15)).await;
    r.keys(b"6").await;
    r.wait_for("export close packet", Duration::from_secs(10)).await;
    let packets = || {
        let mut names: Vec<String> = std::fs::read_dir(server.dir.path())
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("close-packet-"))
            .collect();
        names.sort();
        names
    };
    // Named `close-packet-PERIOD-draft-HEAD-LOGIN-N.md` (docs/outputs.md, "File names").
    let slot = |n: usize| {
        move |name: &String| {
            name.starts_with("close-packet-2026-03-draft-") && name.ends_with(&format!("-mhale-{n}.md"))
        }
    };
    for n in 1..=2 {
        r.keys(b"e").await;
        let name = format!("…-mhale-{n}.md");
        let deadline = Instant::now() + Duration::from_secs(15);
        while !packets().iter().any(slot(n)) {
            assert!(
                Instant::now() < deadline,
                "{name} not written: {:?}\n{}",
                packets(),
                r.contents()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for _ in 0..3 {
        r.keys(b"e").await;
        r.wait_for("you already keep 2", Duration::from_secs(15)).await;
        // Any key dismisses the refusal.
        r.keys(b" ").await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while r.contents().contains("you already keep") {
            assert!(Instant::now() < deadline, "{}", r.contents());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kept = packets();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept.iter().any(slot(1)) && kept.iter().any(slot(2)), "{kept:?}");
}

/// One connection offering key after key: one row, with at most four reasons and a count
/// of the rest, however many the server lets it try (russh hangs up after
/// max_auth_attempts rejections; the row does not rely on it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_offering_many_unknown_keys_makes_one_bounded_row() {
    let server = Server::start(&[]);
    let (mut h, _, _) = connect_with(server.port, WINDOW).await;
    let mut tried = 0;
    for _ in 0..30 {
        let stranger = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
        let key = PrivateKeyWithHashAlg::new(Arc::new(stranger), None);
        match h.authenticate_publickey("mallory", key).await {
            Ok(auth) => assert!(!auth.success()),
            Err(_) => break, // the server hung up
        }
        tried += 1;
    }
    eprintln!("the server took {tried} unknown keys on one connection before hanging up");
    assert!(tried > 4, "{tried}");
    drop(h);
    let rows = server.session_rows(|rows| has(rows, "session.refused", "serve", "more refused attempt(s)"));
    let text = rows[0]["text"].as_str().unwrap();
    assert_eq!(text.matches("is not in the authorized keys").count(), 4, "{text}");
    assert!(text.len() < 600, "{text}");
}

/// A served cockpit driven from a plain thread: each key is sent through the runtime.
struct Served<'a> {
    rt: &'a tokio::runtime::Runtime,
    remote: Remote,
}

impl common::close::Screen for Served<'_> {
    fn send(&self, keys: &[u8]) {
        self.rt.block_on(self.remote.keys(keys));
        std::thread::sleep(Duration::from_millis(100));
    }

    fn screen(&self) -> String {
        self.remote.contents()
    }
}

/// Issue 16's close over `closedesk serve`, with no command-line step and no shell: every
/// person, the reviewer included, reaches the cockpit through SSH as their own key's login.
#[test]
fn a_whole_close_over_serve() {
    use common::close::*;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = Server::start(&[]);
    let as_user = |login: &str, steps: &dyn Fn(&Served)| {
        let remote = rt.block_on(server.cockpit(login));
        let served = Served { rt: &rt, remote };
        served.wait_for("mismatch");
        steps(&served);
        served.send(b"q");
        let (exit, stderr) = rt.block_on(served.remote.wait_closed(Duration::from_secs(10)));
        assert_eq!(exit, Some(0), "{login}'s session ends cleanly: {stderr}");
    };
    as_user("rdiaz", &|s| trace_and_propose(s));
    as_user("jokafor", &|s| choose_accept_and_waive(s));
    as_user("rdiaz", &|s| work_items(s, 1, 4));
    as_user("tlin", &|s| work_items(s, 5, 8));
    as_user("mhale", &|s| sign_export_verify(s));
    assert_signed_and_packed(&server.db);
}

/// The snapshot replaced under a running server (`demo --force` on its path): new sessions
/// open the new file, and their logins and disconnects are audited in it. They were lost:
/// the audit writer kept the connection to the replaced file, and every write was refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_after_the_file_is_replaced_are_audited_in_the_new_file() {
    let server = Server::start(&[]);
    let first = server.cockpit("jokafor").await;
    first.wait_for("2 mismatches", Duration::from_secs(15)).await;
    server.session_rows(|rows| has(rows, "session.login", "jokafor", ""));
    let out = Command::new(BIN)
        .arg("demo")
        .arg("--force")
        .arg("--out")
        .arg(&server.db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = server.cockpit("rdiaz").await;
    r.wait_for("2 mismatches", Duration::from_secs(15)).await;
    r.keys(b"q").await;
    r.wait_closed(Duration::from_secs(10)).await;
    let rows = server.session_rows(|rows| has(rows, "session.disconnected", "rdiaz", "quit"));
    assert!(has(&rows, "session.login", "rdiaz", ""), "{rows:#?}");
    assert!(
        !server.log_text().contains("could not write the audit row"),
        "{}",
        server.log_text()
    );
}
