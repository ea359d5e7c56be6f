# Time to first frame of the cockpit, headless (BENCHMARKS.md):
#   python3 benches/first_frame.py target/release/closedesk FILE
# Spawns the cockpit in a 120x40 pseudo-terminal as a read-only login and timestamps the
# first bytes drawn, the first frame with the period's data (the status bar shows
# "ttff (read-only)" once data is loaded), "recomputing…" and "live" (fresh figures).
import os, pty, sys, time, select, signal
binary, path = sys.argv[1], sys.argv[2]
want = sys.argv[3] if len(sys.argv) > 3 else "ttff (" 
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(TERM="xterm-256color", USER="ttff", NO_COLOR="1", CLOSEDESK_TODAY="2026-04-06", COLUMNS="120", LINES="40")
    os.execv(binary, [binary, path])
import fcntl, termios, struct
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
t0 = time.monotonic()
buf = b""; first = None; data = None; recomputing = None; live = None
deadline = t0 + 120
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try: chunk = os.read(fd, 65536)
        except OSError: break
        if not chunk: break
        now = time.monotonic() - t0
        buf += chunk
        if first is None: first = now
        if data is None and want.encode() in buf: data = now
        if recomputing is None and "recomputing…".encode() in buf: recomputing = now
        if data is not None and live is None and b"live" in buf: live = now
        if live is not None: break
os.write(fd, b"q")
time.sleep(0.3)
try: os.kill(pid, signal.SIGTERM)
except ProcessLookupError: pass
os.waitpid(pid, 0)
ms = lambda x: "-" if x is None else "%.0f ms" % (x * 1000)
print(f"first bytes {ms(first)} · first frame with data {ms(data)} · 'recomputing…' {ms(recomputing)} · 'live' {ms(live)}")
