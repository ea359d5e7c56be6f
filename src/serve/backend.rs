//! Drawing to a remote terminal: crossterm's escape sequences written into an [`Outbox`]
//! instead of stdout, with the size the client reported instead of this process's
//! terminal's.
//!
//! The outbox is the bounded per-session output buffer: each flushed frame is queued for
//! the session's writer task, which sends it as fast as the client's SSH window allows. A
//! client that stops reading lets the queue grow; past [`OUTPUT_LIMIT`] the next flush fails
//! with [`STALLED`] and the session ends, so a stalled client costs a bounded amount of
//! memory and never holds up anyone else.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::sync::mpsc::UnboundedSender;

use crate::tui::FrameSync;

/// Bytes a session may have queued for a client that is not reading before it is
/// disconnected: many full 80x24 frames, a few of the largest terminals.
pub const OUTPUT_LIMIT: usize = 1 << 20;

/// The error message of a flush refused because the client stopped reading.
pub const STALLED: &str = "the client stopped reading";

/// The byte sink of one session: collects a frame, queues it on flush.
pub struct Outbox {
    frame: Vec<u8>,
    queue: UnboundedSender<Vec<u8>>,
    /// Bytes queued and not yet written to the channel; the writer task subtracts.
    queued: Arc<AtomicUsize>,
    limit: usize,
    /// Set once a flush was refused: everything after is dropped (the session is ending).
    stalled: bool,
}

impl Outbox {
    pub fn new(queue: UnboundedSender<Vec<u8>>, queued: Arc<AtomicUsize>, limit: usize) -> Outbox {
        Outbox {
            frame: Vec::new(),
            queue,
            queued,
            limit,
            stalled: false,
        }
    }
}

impl Write for Outbox {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.frame.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.frame.is_empty() {
            return Ok(());
        }
        if self.stalled {
            self.frame.clear();
            return Ok(());
        }
        // The 16 ANSI colours' own codes, as on the local terminal (theme::ansi16).
        self.frame = crate::tui::theme::ansi16(&self.frame);
        let len = self.frame.len();
        if self.queued.load(Ordering::Acquire) + len > self.limit {
            self.stalled = true;
            self.frame.clear();
            return Err(io::Error::new(io::ErrorKind::WouldBlock, STALLED));
        }
        self.queued.fetch_add(len, Ordering::AcqRel);
        self.queue
            .send(std::mem::take(&mut self.frame))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the connection closed"))
    }
}

/// The client's terminal size as last reported (pty request, window change).
pub type SharedSize = Arc<Mutex<Size>>;

/// A crossterm backend whose size is the remote client's and which never asks the
/// terminal anything (there is no reply channel for a query).
pub struct RemoteBackend {
    inner: CrosstermBackend<Outbox>,
    size: SharedSize,
    cursor: Position,
}

impl RemoteBackend {
    pub fn new(outbox: Outbox, size: SharedSize) -> RemoteBackend {
        RemoteBackend {
            inner: CrosstermBackend::new(outbox),
            size,
            cursor: Position::ORIGIN,
        }
    }

    /// Raw bytes to the client (screen modes, a goodbye line), queued like a frame.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        Write::flush(&mut self.inner)
    }
}

impl Backend for RemoteBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        self.cursor = position;
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        Ok(*self.size.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size()?,
            pixels: Size::new(0, 0),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

impl FrameSync for RemoteBackend {
    fn begin_frame(&mut self) -> io::Result<()> {
        self.inner.begin_frame()
    }

    fn end_frame(&mut self) -> io::Result<()> {
        self.inner.end_frame()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flush_past_the_limit_is_refused_as_stalled() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let mut out = Outbox::new(tx, queued.clone(), 10);
        out.write_all(b"12345678").unwrap();
        out.flush().unwrap();
        assert_eq!(rx.try_recv().unwrap(), b"12345678");
        assert_eq!(queued.load(Ordering::Acquire), 8);
        out.write_all(b"abc").unwrap();
        let err = out.flush().unwrap_err();
        assert_eq!(err.to_string(), STALLED);
        // Reported once; the session is ending and later output is dropped.
        queued.store(0, Ordering::Release);
        out.write_all(b"xyz").unwrap();
        out.flush().unwrap();
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn the_size_is_the_clients() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let size = Arc::new(Mutex::new(Size::new(100, 30)));
        let backend = RemoteBackend::new(Outbox::new(tx, Arc::default(), OUTPUT_LIMIT), size.clone());
        assert_eq!(backend.size().unwrap(), Size::new(100, 30));
        *size.lock().unwrap() = Size::new(80, 24);
        assert_eq!(backend.size().unwrap(), Size::new(80, 24));
    }
}
