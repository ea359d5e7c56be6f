//! Running closedesk (or another tool) as a child process and measuring it, and the
//! settings every bench reads: shared by the benches.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What running a child cost: wall time, its own CPU time (user + sys) and its peak RSS
/// (KiB), as `wait4` reports them.
#[allow(dead_code)] // Each bench is its own crate and uses what it needs.
pub struct Measured {
    pub wall: Duration,
    pub cpu: Duration,
    pub rss_kib: u64,
}

#[allow(dead_code)]
impl Measured {
    /// `12.34 s / 10.01 s / 123 MiB`: wall, CPU, peak RSS.
    pub fn shown(&self) -> String {
        format!(
            "{:.2} s / {:.2} s / {:.0} MiB",
            self.wall.as_secs_f64(),
            self.cpu.as_secs_f64(),
            self.rss_kib as f64 / 1024.0
        )
    }
}

/// Runs `command` to its end; wall time and the child's own peak RSS (KiB).
#[allow(dead_code)]
pub fn run_command(command: Command, stdout: Stdio) -> (Duration, u64) {
    let m = run_measured(command, stdout);
    (m.wall, m.rss_kib)
}

/// Runs `command` to its end; wall time, the child's own CPU time and peak RSS.
pub fn run_measured(mut command: Command, stdout: Stdio) -> Measured {
    let args: Vec<_> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let started = Instant::now();
    // Reaped by wait4 below, which also reports the child's own peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = command
        .stdout(stdout)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run closedesk");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for exactly this child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(waited, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) <= 1,
        "closedesk {args:?} failed: {status}"
    );
    let time =
        |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Measured {
        wall: elapsed,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        rss_kib: usage.ru_maxrss as u64,
    }
}

/// The sizes to run (`CLOSEDESK_BENCH_SIZES=10000,100000`, else `default`).
#[allow(dead_code)]
pub fn sizes(default: &str) -> Vec<u64> {
    // `cargo bench` passes `--bench`; arguments are ignored.
    std::env::var("CLOSEDESK_BENCH_SIZES")
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect()
}

/// Where the files go (`CLOSEDESK_BENCH_DIR`, else `target/NAME`), created.
#[allow(dead_code)]
pub fn dir(name: &str) -> PathBuf {
    let dir = std::env::var_os("CLOSEDESK_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join(name));
    std::fs::create_dir_all(&dir).expect("bench directory");
    dir
}
