//! Who acts is who they say (docs/workflow.md, "Signed actions"): on a roster with keys every
//! workflow action is signed through the ssh-agent with the actor's roster key, refused
//! (exit 2, nothing written) without it; `verify` checks every signature; over `serve` the
//! session's key is recorded; a roster without keys works as before.
//!
//! The tests run a real `ssh-agent` on a private socket and make keys with `ssh-keygen`.
//! Without OpenSSH installed they say so on stderr and stop (never a silent pass).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use closedesk::reconcile;
use closedesk::snapshot::Snapshot;
use closedesk::workflow::{audit, mismatches, signing, Actor, Refusal};

/// A running `ssh-agent -D` on its own socket; killed (by its pid) when dropped.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent starts");
        let started = Instant::now();
        // The socket file appears at bind(), before the agent listens: wait for a connection.
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "ssh-agent does not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Agent { child, socket }
    }

    fn add(&self, key: &Path) {
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether OpenSSH's agent and key tools are here; if not, says so visibly.
fn openssh(test: &str) -> bool {
    let found = ["ssh-agent", "ssh-add", "ssh-keygen"].iter().all(|tool| {
        Command::new(tool)
            .arg("-?")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if !found {
        eprintln!("SKIPPED {test}: ssh-agent, ssh-add or ssh-keygen is not installed");
    }
    found
}

/// A new Ed25519 key pair at `dir/name`; returns its public line.
fn keygen(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C"])
        .arg(name)
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(dir.join(format!("{name}.pub")))
        .unwrap()
        .trim()
        .to_string()
}

/// The demo period imported with `roster` as its roster.csv.
fn import(dir: &Path, roster: &str) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    for entry in std::fs::read_dir(demo).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), data.join(entry.file_name())).unwrap();
    }
    std::fs::write(data.join("roster.csv"), roster).unwrap();
    let path = dir.join("period.db");
    let out = closedesk(None)
        .arg("import")
        .arg(&data)
        .arg("--out")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The demo roster with keys for mhale and tlin (rdiaz and the others have none).
fn keyed(dir: &Path) -> (PathBuf, String, String) {
    let (mhale, tlin) = (keygen(dir, "mhale"), keygen(dir, "tlin"));
    let roster = format!(
        "login,display_name,role,public_key\n\
         jokafor,Jordan Okafor,reviewer,\n\
         mhale,Morgan Hale,lead,{mhale}\n\
         rdiaz,Rosa Díaz,operator,\n\
         sgupta,Sanjay Gupta,lead,\n\
         tlin,Tina Lin,operator,{tlin}\n"
    );
    (import(dir, &roster), mhale, tlin)
}

/// The closedesk binary; `agent` is `$SSH_AUTH_SOCK` (none: unset).
fn closedesk(agent: Option<&Path>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    cmd.env("NO_COLOR", "1")
        .env_remove("USER")
        .env_remove("SSH_AUTH_SOCK");
    if let Some(socket) = agent {
        cmd.env("SSH_AUTH_SOCK", socket);
    }
    cmd
}

fn first_key(path: &Path) -> String {
    let snap = Snapshot::open(path).unwrap();
    reconcile::run(&snap).unwrap().mismatches[0].key.clone()
}

fn note(path: &Path, agent: Option<&Path>, user: &str, text: &str) -> Output {
    closedesk(agent)
        .arg("mismatch")
        .arg(path)
        .args([&first_key(path), "note", text, "--user", user])
        .output()
        .unwrap()
}

fn verify(path: &Path) -> Output {
    closedesk(None).arg("verify").arg(path).output().unwrap()
}

/// (audit rows, annotations).
fn counts(path: &Path) -> (i64, i64) {
    let conn = Connection::open(path).unwrap();
    let count = |table: &str| {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    (count("audit_log"), count("annotations"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// (seq, actor, hash, signature) of the last audit row.
fn last_row(path: &Path) -> (i64, String, String, Option<String>) {
    let conn = Connection::open(path).unwrap();
    conn.query_row(
        "SELECT seq, actor, hash, signature FROM audit_log ORDER BY seq DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .unwrap()
}

/// Runs `sql` with the audit log's update trigger dropped, then recreates it exactly, so
/// only the signature check can tell.
fn behind_the_trigger(path: &Path, sql: &str, params: impl rusqlite::Params) {
    let conn = Connection::open(path).unwrap();
    let create: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'audit_log_no_update'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update").unwrap();
    conn.execute(sql, params).unwrap();
    conn.execute_batch(&create).unwrap();
}

/// Replaces one row's signature behind the append-only trigger's back.
fn set_signature(path: &Path, seq: i64, signature: &str) {
    behind_the_trigger(
        path,
        "UPDATE audit_log SET signature = ?2 WHERE seq = ?1",
        rusqlite::params![seq, signature],
    );
}

#[test]
fn a_note_without_the_actors_key_in_the_agent_is_refused_and_nothing_is_written() {
    if !openssh("a_note_without_the_actors_key_in_the_agent_is_refused_and_nothing_is_written") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _) = keyed(dir.path());
    let before = counts(&path);

    // No agent at all.
    let out = note(&path, None, "mhale", "asked the GL team");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("SSH_AUTH_SOCK is not set"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("ssh-add"), "{}", stderr(&out));

    // An agent holding only tlin's key.
    let agent = Agent::start(dir.path());
    agent.add(&dir.path().join("tlin"));
    let out = note(&path, Some(&agent.socket), "mhale", "asked the GL team");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("acting as mhale needs mhale's key SHA256:"),
        "{message}"
    );
    assert!(message.contains("is not in the ssh-agent"), "{message}");
    assert!(message.contains("ssh-add ~/.ssh/id_ed25519"), "{message}");
    assert!(message.contains("nothing was saved"), "{message}");

    // A login without a key on the keyed roster.
    let out = note(&path, Some(&agent.socket), "rdiaz", "asked the GL team");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rdiaz has none"), "{}", stderr(&out));

    // --json names the refusal.
    let out = closedesk(Some(&agent.socket))
        .arg("mismatch")
        .arg(&path)
        .args([&first_key(&path), "note", "x", "--user", "mhale", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains(r#""refused": "identity""#));

    assert_eq!(counts(&path), before, "nothing was written");
}

#[test]
fn with_the_key_loaded_the_note_is_signed_and_verifies() {
    if !openssh("with_the_key_loaded_the_note_is_signed_and_verifies") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, mhale, _) = keyed(dir.path());
    let agent = Agent::start(dir.path());
    agent.add(&dir.path().join("mhale"));
    let out = note(&path, Some(&agent.socket), "mhale", "asked the GL team");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Every row the note wrote (the first-seen rows and the note) is signed by mhale.
    let conn = Connection::open(&path).unwrap();
    let mut st = conn
        .prepare("SELECT actor, hash, signature FROM audit_log")
        .unwrap();
    let rows: Vec<(String, String, Option<String>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(rows.len() >= 2, "first-seen rows and the note");
    let key = signing::parse_key(&mhale).unwrap();
    for (actor, hash, signature) in &rows {
        assert_eq!(actor, "mhale");
        let sig = russh::keys::ssh_key::SshSig::from_pem(signature.as_deref().expect("signed")).unwrap();
        key.verify(signing::NAMESPACE, hash.as_bytes(), &sig).unwrap();
    }

    // OpenSSH agrees: the stored text is an `ssh-keygen -Y sign` signature of the hash.
    let (_, _, hash, signature) = last_row(&path);
    std::fs::write(dir.path().join("row.sig"), signature.unwrap()).unwrap();
    let mut check = Command::new("ssh-keygen")
        .args(["-Y", "check-novalidate", "-n", signing::NAMESPACE, "-s"])
        .arg(dir.path().join("row.sig"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    check.stdin.take().unwrap().write_all(hash.as_bytes()).unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );

    let out = verify(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("signatures"), "{text}");
}

#[test]
fn verify_fails_when_a_signature_byte_changes() {
    if !openssh("verify_fails_when_a_signature_byte_changes") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _) = keyed(dir.path());
    let agent = Agent::start(dir.path());
    agent.add(&dir.path().join("mhale"));
    let out = note(&path, Some(&agent.socket), "mhale", "asked the GL team");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(verify(&path).status.code(), Some(0));

    let (seq, _, _, signature) = last_row(&path);
    let signature = signature.unwrap();
    // One base64 character inside the signature bytes (the end of the blob).
    let at = signature.rfind("\n-----END").unwrap() - 6;
    let mut bytes = signature.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    set_signature(&path, seq, &String::from_utf8(bytes).unwrap());

    let out = verify(&path);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains(&format!("verify failed at audit seq {seq}")),
        "{message}"
    );
    assert!(message.contains("mhale"), "{message}");
}

#[test]
fn verify_fails_when_a_row_is_signed_by_another_logins_key() {
    if !openssh("verify_fails_when_a_row_is_signed_by_another_logins_key") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _) = keyed(dir.path());
    let agent = Agent::start(dir.path());
    agent.add(&dir.path().join("mhale"));
    let out = note(&path, Some(&agent.socket), "mhale", "asked the GL team");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // tlin signs mhale's row with tlin's own key — a valid signature, by the wrong login.
    let (seq, actor, hash, _) = last_row(&path);
    assert_eq!(actor, "mhale");
    let message = dir.path().join("hash");
    std::fs::write(&message, &hash).unwrap();
    let signed = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", signing::NAMESPACE, "-f"])
        .arg(dir.path().join("tlin"))
        .arg(&message)
        .output()
        .unwrap();
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let forged = std::fs::read_to_string(dir.path().join("hash.sig")).unwrap();
    set_signature(&path, seq, &forged);

    let out = verify(&path);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains(&format!("verify failed at audit seq {seq}")),
        "{text}"
    );
    assert!(text.contains("not mhale's"), "{text}");
}

#[test]
fn verify_fails_when_a_row_is_unsigned_or_the_roster_keys_are_removed() {
    if !openssh("verify_fails_when_a_row_is_unsigned_or_the_roster_keys_are_removed") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _) = keyed(dir.path());
    let agent = Agent::start(dir.path());
    agent.add(&dir.path().join("mhale"));
    let out = note(&path, Some(&agent.socket), "mhale", "asked the GL team");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    behind_the_trigger(&copy, "UPDATE audit_log SET signature = NULL WHERE seq = 1", []);
    let out = verify(&copy);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("verify failed at audit seq 1: not signed"),
        "{}",
        stderr(&out)
    );

    // Dropping every key from the roster does not make the signed rows pass as unsigned.
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE roster SET public_key = NULL", []).unwrap();
    let out = verify(&path);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the roster has no keys"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn over_serve_the_sessions_key_is_recorded_and_checked_against_the_roster() {
    if !openssh("over_serve_the_sessions_key_is_recorded_and_checked_against_the_roster") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, mhale, tlin) = keyed(dir.path());
    let snap = Snapshot::open(&path).unwrap();
    let recon = reconcile::run(&snap).unwrap();
    let key = recon.mismatches[0].key.clone();
    let print = |line: &str| signing::fingerprint(&signing::parse_key(line).unwrap());
    let actor = |fp: &str| Actor::resolve(&snap, Some("mhale")).unwrap().served(fp);

    // A session authenticated with tlin's key cannot act as mhale.
    let refused = mismatches::on(&snap, &actor(&print(&tlin)), &recon, &key)
        .note("x")
        .unwrap_err();
    assert!(matches!(refused, Refusal::Identity(_)), "{refused}");
    assert!(
        refused.to_string().contains("not mhale's roster key"),
        "{refused}"
    );

    // mhale's own key: recorded, no agent needed, and verify accepts it.
    let receipt = mismatches::on(&snap, &actor(&print(&mhale)), &recon, &key)
        .note("served note")
        .unwrap();
    let (seq, _, _, signature) = last_row(&path);
    assert_eq!(seq, receipt.seq);
    assert_eq!(
        signature.as_deref(),
        Some(format!("serve-key {}", print(&mhale)).as_str())
    );
    let report = audit::verify(&snap).unwrap();
    assert!(report.ok, "{:?}", report.first_problem);

    // Recording another login's key fails verify.
    drop(snap);
    set_signature(&path, seq, &format!("serve-key {}", print(&tlin)));
    let out = verify(&path);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("verify failed at audit seq {seq}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_roster_without_keys_works_as_before_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/roster.csv");
    let path = import(dir.path(), &std::fs::read_to_string(demo).unwrap());
    // No agent, any login on the roster: as before.
    let out = note(&path, None, "mhale", "asked the GL team");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(last_row(&path).3, None, "not signed");
    let out = verify(&path);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not checked: the roster has no keys"));
    let out = closedesk(None).arg("status").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Identities            not checked: the roster has no keys (--user acts as anyone)"),
        "{text}"
    );
}

#[test]
fn roster_keys_are_checked_at_import_with_file_line_and_column() {
    if !openssh("roster_keys_are_checked_at_import_with_file_line_and_column") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let good = keygen(dir.path(), "k");
    let rsa = {
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f"])
            .arg(dir.path().join("rsa"))
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::read_to_string(dir.path().join("rsa.pub"))
            .unwrap()
            .trim()
            .to_string()
    };
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    for entry in std::fs::read_dir(demo).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), data.join(entry.file_name())).unwrap();
    }
    // The key column first: its position is column 1.
    std::fs::write(
        data.join("roster.csv"),
        format!(
            "public_key,login,display_name,role\n\
             ssh-ed25519 AAAAnotbase64,jokafor,Jordan Okafor,reviewer\n\
             {rsa},mhale,Morgan Hale,lead\n\
             {good},rdiaz,Rosa Díaz,operator\n\
             {good},tlin,Tina Lin,operator\n"
        ),
    )
    .unwrap();
    let out = closedesk(None)
        .arg("import")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("p.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("roster.csv:2:1: public_key"), "{text}");
    assert!(
        text.contains("roster.csv:3:1: public_key") && text.contains("only ssh-ed25519"),
        "{text}"
    );
    assert!(text.contains("roster.csv:5:1: duplicate public key"), "{text}");
    assert!(!dir.path().join("p.db").exists());
}

#[test]
fn checklist_moves_and_exports_are_signed_too() {
    if !openssh("checklist_moves_and_exports_are_signed_too") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _) = keyed(dir.path());
    let agent = Agent::start(dir.path());
    agent.add(&dir.path().join("tlin"));
    let run = |args: &[&str]| {
        closedesk(Some(&agent.socket))
            .arg(args[0])
            .arg(&path)
            .args(&args[1..])
            .output()
            .unwrap()
    };
    let out = run(&[
        "checklist",
        "set",
        "1",
        "in_progress",
        "--note",
        "started",
        "--user",
        "tlin",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let gl = dir.path().join("gl.csv");
    let out = closedesk(Some(&agent.socket))
        .args(["export", "--kind", "gl", "--user", "tlin", "--out"])
        .arg(&gl)
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // tlin's key does not sign for mhale: the move is refused.
    let out = run(&["checklist", "set", "2", "in_progress", "--user", "mhale"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("needs mhale's key"), "{}", stderr(&out));

    let conn = Connection::open(&path).unwrap();
    let rows: Vec<(String, String, Option<String>)> = conn
        .prepare("SELECT action, actor, signature FROM audit_log ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, ["checklist.set", "export"]);
    assert!(rows.iter().all(|r| r.1 == "tlin"
        && r.2
            .as_deref()
            .is_some_and(|s| s.starts_with("-----BEGIN SSH SIGNATURE-----"))));
    let out = verify(&path);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
