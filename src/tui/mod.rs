//! The cockpit: a terminal UI over one period snapshot.
//!
//! - [`action`]: the [`action::View`]s, [`action::Action`]s and key bindings, shared by all;
//! - [`app`]: the shared state (period, actor, view, popups) and the router (no terminal,
//!   no database);
//! - [`views`]: one file per view with its state, update, keys and draw;
//!   [`theme`]: 16 colours or `NO_COLOR`;
//! - [`keymap`]: collects each view's keys into one table, feeding dispatch, footer and `?`;
//! - [`search`]: `/` search in a table, `n`/`N` through the hits, one state for every view;
//! - [`data`]: the only caller of the library, run on background threads.
//!
//! [`run_app`] takes input events from a channel and draws to any ratatui backend, so the
//! same loop can be driven by another byte stream (an SSH channel) than this process's
//! terminal; [`run`] wires it to the local terminal.

pub mod action;
pub mod app;
pub mod data;
#[doc(hidden)]
pub mod fixture;
pub mod keymap;
pub mod search;
pub mod theme;
pub mod views;

#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyEvent};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use app::App;
use theme::Theme;

/// What the cockpit opens, and as whom.
#[derive(Clone, Debug)]
pub struct Options {
    pub path: PathBuf,
    /// `--user`; `None` takes `$USER`.
    pub user: Option<String>,
    pub today: NaiveDate,
    /// How often to look for changes by other connections.
    pub poll: Duration,
    /// Over `serve`: the fingerprint (`SHA256:…`) of the key that authenticated the session.
    /// On a keyed roster the cockpit's writes record it instead of signing through the
    /// ssh-agent (docs/workflow.md, "Signed actions").
    pub serve_key: Option<String>,
    /// Where close packets go and how many may pile up.
    pub packets: data::Packets,
}

/// An input event, independent of where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Text the terminal marked as pasted (bracketed paste): typed into the open text field
    /// as text, never read as keys.
    Paste(String),
    /// A word from whoever runs the cockpit (`serve`: the session is about to close for
    /// idleness), shown in the status bar.
    Notice(String),
}

/// A draft left in the editor when the cockpit ended: lost with it (`serve` tells the user
/// and the audit log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// What it was for, in words: `a note on checklist item 3`.
    pub what: String,
    /// The text as typed: untrusted, made inert before it is shown.
    pub text: String,
    /// Its save had been sent and not confirmed when the cockpit ended: it may have been
    /// written.
    pub saving: bool,
}

/// A backend that can bracket a frame in synchronized-update sequences.
pub trait FrameSync {
    fn begin_frame(&mut self) -> io::Result<()>;
    fn end_frame(&mut self) -> io::Result<()>;
}

impl<W: Write> FrameSync for CrosstermBackend<W> {
    fn begin_frame(&mut self) -> io::Result<()> {
        queue!(self, BeginSynchronizedUpdate)
    }
    fn end_frame(&mut self) -> io::Result<()> {
        execute!(self, EndSynchronizedUpdate)
    }
}

impl FrameSync for TestBackend {
    fn begin_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn end_frame(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Puts the local terminal back: raw mode off, main screen, cursor shown.
pub fn restore_terminal() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Restores the terminal when dropped: on return, on error and on unwind.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// color-eyre's hooks, with the terminal restored before a panic report is printed.
fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        eprintln!("{}", panic_hook.panic_report(info));
    }));
    Ok(())
}

/// Runs the cockpit in this process's terminal until the user quits, in `theme` (`auto`:
/// colour unless `NO_COLOR` or a `dumb` terminal).
pub fn run(opts: Options, theme: crate::config::ThemeChoice) -> color_eyre::Result<()> {
    let theme = match theme {
        crate::config::ThemeChoice::Auto => Theme::from_env(),
        crate::config::ThemeChoice::Mono => Theme::mono(),
    };
    install_hooks()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        let guard = TerminalGuard::enter()?;
        // To the log file only (crate::logging): never to this terminal.
        tracing::info!(path = %opts.path.display(), "cockpit started");
        // The 16 ANSI colours' own codes, not crossterm's 256-colour ones (theme::ansi16).
        let mut terminal = Terminal::new(CrosstermBackend::new(theme::Ansi16::new(io::stdout())))?;
        let (tx, rx) = unbounded_channel();
        spawn_input_reader(tx);
        let result = run_app(&mut terminal, rx, &opts, theme).await.map(|_| ());
        drop(terminal);
        drop(guard);
        result
    });
    rt.shutdown_timeout(Duration::from_secs(1));
    tracing::info!(ok = result.is_ok(), "cockpit stopped");
    result
}

/// Reads the local terminal's events on a blocking thread into `tx`; only key presses,
/// resizes and pastes are passed on. Stops when the receiver is gone.
fn spawn_input_reader(tx: UnboundedSender<Input>) {
    tokio::task::spawn_blocking(move || {
        while !tx.is_closed() {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => break,
            }
            let input = match event::read() {
                Ok(Event::Key(k)) if k.kind == event::KeyEventKind::Press => Input::Key(k),
                Ok(Event::Resize(w, h)) => Input::Resize(w, h),
                Ok(Event::Paste(text)) => Input::Paste(text),
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(input).is_err() {
                break;
            }
        }
    });
}

/// The event loop: input, background results, the worker's end; one frame per batch of changes,
/// wrapped in synchronized updates. Works on any backend and any input source. Ends when the
/// user quits or the input closes, returning the draft then left unsaved in the editor.
pub async fn run_app<B>(
    terminal: &mut Terminal<B>,
    mut input: UnboundedReceiver<Input>,
    opts: &Options,
    theme: Theme,
) -> color_eyre::Result<Option<Draft>>
where
    B: Backend + FrameSync,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let login = crate::workflow::identity::login(opts.user.as_deref());
    let (req_tx, req_rx) = unbounded_channel();
    let (resp_tx, mut resp_rx) = unbounded_channel();
    let worker = data::spawn_worker(
        opts.path.clone(),
        login,
        opts.serve_key.clone(),
        opts.today,
        opts.packets,
        req_rx,
        resp_tx.clone(),
    );
    let watcher = data::spawn_watcher(opts.path.clone(), opts.poll, resp_tx);
    let mut app = App::new();
    app.served = opts.serve_key.is_some();
    let send = |reqs: Vec<data::Request>| {
        for r in reqs {
            let _ = req_tx.send(r);
        }
    };
    send(app.start());
    let mut worker = worker;
    let mut worker_done = false;
    loop {
        if app.dirty {
            app.dirty = false;
            terminal.backend_mut().begin_frame()?;
            terminal.draw(|f| views::draw(f, &mut app, &theme))?;
            terminal.backend_mut().end_frame()?;
        }
        if app.quit {
            break;
        }
        tokio::select! {
            ev = input.recv() => match ev {
                Some(ev) => send(on_input(&mut app, terminal, ev)?),
                None => break,
            },
            Some(resp) = resp_rx.recv() => send(app.on_response(resp)),
            // The worker ends only when its requests close (after this loop): an end now is
            // a failure, and nothing more will be read or saved.
            ended = &mut worker, if !worker_done => {
                worker_done = true;
                let why = match ended {
                    Err(e) if e.is_panic() => "it panicked",
                    Err(_) => "it was cancelled",
                    Ok(()) => "it ended",
                };
                app.worker_stopped(why);
            }
        }
        // Coalesce: take everything already waiting before drawing again.
        loop {
            if let Ok(ev) = input.try_recv() {
                send(on_input(&mut app, terminal, ev)?);
            } else if let Ok(resp) = resp_rx.try_recv() {
                send(app.on_response(resp));
            } else {
                break;
            }
            if app.quit {
                break;
            }
        }
    }
    let draft = app.draft();
    drop(req_tx);
    drop(resp_rx);
    if !worker_done {
        let _ = worker.await;
    }
    watcher.abort();
    Ok(draft)
}

fn on_input<B>(app: &mut App, terminal: &mut Terminal<B>, ev: Input) -> color_eyre::Result<Vec<data::Request>>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    match ev {
        // Debug builds only: a key that panics, so tests can prove the terminal is restored.
        Input::Key(k)
            if cfg!(debug_assertions)
                && k.code == ratatui::crossterm::event::KeyCode::F(12)
                && std::env::var_os("CLOSEDESK_TEST_PANIC").is_some() =>
        {
            panic!("test panic requested with F12")
        }
        Input::Key(k) => Ok(app.on_key(k)),
        Input::Paste(text) => Ok(app.on_paste(&text)),
        Input::Notice(text) => {
            app.notice(text);
            Ok(Vec::new())
        }
        Input::Resize(w, h) => {
            // The backend may not know the new size (e.g. a remote client): tell it.
            if terminal.size()? != ratatui::layout::Size::new(w, h) {
                terminal.resize(ratatui::layout::Rect::new(0, 0, w, h))?;
            }
            // Known at once: a key that follows before the next frame is read at this size.
            app.sized(w, h);
            app.dirty = true;
            Ok(Vec::new())
        }
    }
}
