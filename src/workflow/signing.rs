//! Who acts is who they say (docs/workflow.md, "Signed actions"). A period whose roster
//! gives a login an OpenSSH Ed25519 public key is *keyed*: every workflow audit row must
//! then prove its actor. Outside `serve` the row's chain `hash` is signed, inside the write
//! transaction and before the row is inserted, by the actor's key through the ssh-agent at
//! `$SSH_AUTH_SOCK`; the signature is stored as the OpenSSH SSHSIG armored text
//! (`ssh-keygen -Y sign` format, namespace [`NAMESPACE`]). Over `serve` the session's
//! authenticated key is the identity: the row records `serve-key SHA256:…`, the fingerprint
//! of that key. `verify` checks both against the roster ([`check_signatures`]).
//!
//! A period without any key keeps the unsigned behaviour: `--user` acts as anyone.
//!
//! Owns proving and checking the actor's key; must not decide what an actor may do (that is
//! `identity`).

use std::collections::BTreeMap;
use std::time::Duration;

use russh::keys::agent::client::AgentClient;
use russh::keys::ssh_key::{Algorithm, HashAlg, LineEnding, PublicKey, SshSig};

use super::audit::Problem;
use super::{Actor, Refusal};
use crate::snapshot::workflow::{AuditRow, Reader};
use crate::text::inert;

/// The SSHSIG namespace of audit-row signatures (`ssh-keygen -Y … -n closedesk-audit`).
pub const NAMESPACE: &str = "closedesk-audit";

/// The prefix of the signature field of a row written over `serve`.
pub const SERVE_KEY: &str = "serve-key ";

/// How long to wait for the ssh-agent (it may ask its user to confirm a signature).
const AGENT_TIMEOUT: Duration = Duration::from_secs(60);

/// How the acting login proves who it is on a keyed roster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Proof {
    /// Locally: sign with the login's roster key through the ssh-agent at `$SSH_AUTH_SOCK`.
    #[default]
    Agent,
    /// Over `serve`: the key that authenticated the SSH session, by its SHA-256
    /// fingerprint (`SHA256:…`).
    Served { fingerprint: String },
}

/// Parses a roster key: `ssh-ed25519 BASE64 [comment]`, Ed25519 only.
pub fn parse_key(text: &str) -> Result<PublicKey, String> {
    let key = PublicKey::from_openssh(text.trim()).map_err(|e| format!("not an OpenSSH public key: {e}"))?;
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(format!(
            "a {} key; only ssh-ed25519 keys are accepted",
            key.algorithm()
        ));
    }
    Ok(key)
}

/// The SHA-256 fingerprint as OpenSSH prints it: `SHA256:…`.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Whether any login of the period's roster has a key.
pub fn is_keyed(read: &Reader<'_>) -> Result<bool, Refusal> {
    Ok(read.roster_keys()?.values().any(Option::is_some))
}

/// What the first pane and `status` say about identities.
pub fn describe(keyed: bool) -> &'static str {
    if keyed {
        "checked: each action needs the actor's roster key"
    } else {
        "not checked: the roster has no keys (--user acts as anyone)"
    }
}

/// [`describe`] for a `serve` session, where no one gives `--user`: each SSH key acts as
/// the login the authorized-keys file gives it.
pub fn describe_served(keyed: bool) -> &'static str {
    if keyed {
        describe(true)
    } else {
        "not checked: the roster has no keys (each SSH key acts as its login)"
    }
}

/// The signature field of a new audit row with chain hash `hash`, written by `actor`:
/// `None` on a roster without keys. Refused (nothing is written: the caller's transaction
/// rolls back) when the roster is keyed and the actor cannot prove to be its login.
pub(crate) fn sign(read: &Reader<'_>, actor: &Actor, hash: &str) -> Result<Option<String>, Refusal> {
    let keys = read.roster_keys()?;
    if !keys.values().any(Option::is_some) {
        return Ok(None);
    }
    let login = inert(&actor.login);
    let Some(Some(text)) = keys.get(&actor.login) else {
        return Err(Refusal::Identity(format!(
            "this period's roster has keys and {login} has none: every action must be signed with \
             the actor's roster key, so {login} cannot act here; nothing was saved — a roster.csv \
             with a public_key for {login} makes it possible"
        )));
    };
    let key = parse_key(text)
        .map_err(|e| Refusal::Identity(format!("{login}'s roster key cannot be used: {}", inert(&e))))?;
    let print = fingerprint(&key);
    match &actor.proof {
        Proof::Served { fingerprint: used } if *used == print => Ok(Some(format!("{SERVE_KEY}{print}"))),
        Proof::Served { fingerprint: used } => Err(Refusal::Identity(format!(
            "this session authenticated with key {}, which is not {login}'s roster key {print}; \
             nothing was saved",
            inert(used)
        ))),
        Proof::Agent => agent_sign(&key, hash).map(Some).map_err(|why| {
            Refusal::Identity(format!(
                "acting as {login} needs {login}'s key {print}: {why}; nothing was saved"
            ))
        }),
    }
}

/// Signs `hash` with `key` through the ssh-agent at `$SSH_AUTH_SOCK`; the error says what
/// to do.
fn agent_sign(key: &PublicKey, hash: &str) -> Result<String, String> {
    const ADD: &str = "load it with `ssh-add ~/.ssh/id_ed25519` (the private half of the roster key)";
    let socket = std::env::var_os("SSH_AUTH_SOCK")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            format!("no ssh-agent ($SSH_AUTH_SOCK is not set): start one with `eval $(ssh-agent)` and {ADD}")
        })?;
    let shown = inert(&socket.to_string_lossy());
    let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, hash.as_bytes()).map_err(|e| e.to_string())?;
    // The agent client is async: a small runtime on its own thread, so this works from any
    // caller (a plain thread, a blocking task of the cockpit's runtime).
    let signature = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the ssh-agent client: {e}"))?;
                runtime.block_on(async {
                    let talk = async {
                        let mut agent = AgentClient::connect_uds(&socket)
                            .await
                            .map_err(|e| format!("cannot reach the ssh-agent at {shown} ({e}): start one with `eval $(ssh-agent)` and {ADD}"))?;
                        let identities = agent
                            .request_identities()
                            .await
                            .map_err(|e| format!("the ssh-agent at {shown} did not list its keys: {e}"))?;
                        if !identities
                            .iter()
                            .any(|i| i.public_key().key_data() == key.key_data())
                        {
                            return Err(format!("it is not in the ssh-agent at {shown}: {ADD}"));
                        }
                        agent
                            .sign_request_signature(key, None, &data)
                            .await
                            .map_err(|e| format!("the ssh-agent at {shown} did not sign: {e}"))
                    };
                    tokio::time::timeout(AGENT_TIMEOUT, talk)
                        .await
                        .map_err(|_| format!("the ssh-agent at {shown} did not answer within {} seconds", AGENT_TIMEOUT.as_secs()))?
                })
            })
            .join()
            .map_err(|_| "the ssh-agent client failed".to_string())?
    })?;
    let sig = SshSig::new(key.key_data().clone(), NAMESPACE, HashAlg::Sha512, signature)
        .map_err(|e| format!("the ssh-agent's signature cannot be used: {e}"))?;
    key.verify(NAMESPACE, hash.as_bytes(), &sig)
        .map_err(|e| format!("the ssh-agent's signature does not verify: {e}"))?;
    sig.to_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the signature: {e}"))
}

/// Rows that record a `serve` session event (login, refusal, disconnect) rather than a
/// workflow action: their actor may be unknown (a refused key), they change nothing.
fn is_session_event(row: &AuditRow) -> bool {
    row.action.starts_with("session.")
        && row.before.as_deref() == Some("{}")
        && row.after.as_deref() == Some("{}")
}

/// `verify`'s "signatures" check: on a keyed roster every row but the session events carries
/// a valid signature of its hash by its actor's roster key, or (over `serve`) the
/// fingerprint of that key. On a roster without keys no row may carry one (keys removed
/// from the roster after rows were signed).
pub fn check_signatures(read: &Reader<'_>, rows: &[AuditRow]) -> Result<Result<String, Problem>, Refusal> {
    let fail = |row: &AuditRow, what: String| {
        Ok(Err(Problem {
            seq: Some(row.seq),
            what,
        }))
    };
    let texts = read.roster_keys()?;
    if !texts.values().any(Option::is_some) {
        if let Some(row) = rows.iter().find(|r| r.signature.is_some()) {
            return fail(
                row,
                "carries a signature, but the roster has no keys (were they removed?)".into(),
            );
        }
        return Ok(Ok(describe(false).to_string()));
    }
    let mut keys: BTreeMap<&str, Result<PublicKey, String>> = BTreeMap::new();
    for (login, text) in &texts {
        if let Some(text) = text {
            keys.insert(login, parse_key(text));
        }
    }
    let (mut signed, mut served, mut exempt) = (0, 0, 0);
    for row in rows {
        if is_session_event(row) {
            exempt += 1;
            continue;
        }
        let actor = inert(&row.actor);
        let key = match keys.get(row.actor.as_str()) {
            None => return fail(row, format!("{actor} has no key on the keyed roster")),
            Some(Err(why)) => {
                return fail(
                    row,
                    format!("{actor}'s roster key cannot be used: {}", inert(why)),
                )
            }
            Some(Ok(key)) => key,
        };
        let print = fingerprint(key);
        match row.signature.as_deref() {
            None => {
                return fail(
                    row,
                    format!("not signed (the roster has keys; {actor}'s is {print})"),
                )
            }
            Some(sig) if sig.starts_with(SERVE_KEY) => {
                let used = &sig[SERVE_KEY.len()..];
                if used != print {
                    return fail(
                        row,
                        format!(
                            "recorded over serve with key {}, which is not {actor}'s roster key {print}",
                            inert(used)
                        ),
                    );
                }
                served += 1;
            }
            Some(sig) => {
                let checked = SshSig::from_pem(sig)
                    .map_err(|e| format!("the signature is not an SSH signature: {e}"))
                    .and_then(|s| {
                        key.verify(NAMESPACE, row.hash.as_bytes(), &s).map_err(|e| {
                            format!("the signature is not {actor}'s ({print}) over this row: {e}")
                        })
                    });
                if let Err(why) = checked {
                    return fail(row, why);
                }
                signed += 1;
            }
        }
    }
    Ok(Ok(format!(
        "{signed} row(s) signed with the actor's roster key, {served} recorded over serve, {exempt} session event(s) exempt"
    )))
}
