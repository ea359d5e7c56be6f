//! Running closedesk (or another tool) as a child process and measuring it, and the
//! settings every bench reads: shared by the benches.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `command` to its end; wall time and the child's own peak RSS (KiB).
pub fn run_command(mut command: Command, stdout: Stdio) -> (Duration, u64) {
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
    (elapsed, usage.ru_maxrss as u64)
}

/// The sizes to run (`CLOSEDESK_BENCH_SIZES=10000,100000`, else `default`).
pub fn sizes(default: &str) -> Vec<u64> {
    // `cargo bench` passes `--bench`; arguments are ignored.
    std::env::var("CLOSEDESK_BENCH_SIZES")
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect()
}

/// Where the files go (`CLOSEDESK_BENCH_DIR`, else `target/NAME`), created.
pub fn dir(name: &str) -> PathBuf {
    let dir = std::env::var_os("CLOSEDESK_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join(name));
    std::fs::create_dir_all(&dir).expect("bench directory");
    dir
}
