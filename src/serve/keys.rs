//! The keys of `closedesk serve`: the authorized-keys file that maps each client key to a
//! roster login, and the server's own host key (generated on first start, kept 0600).

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, HashAlg, PrivateKey, PublicKey};

use crate::text::{inert, inert_path};

/// Why a key file cannot be used; the message names the file (and line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// The SHA-256 fingerprint as OpenSSH prints it: `SHA256:…`.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Client keys and the roster login each one acts as.
#[derive(Debug, Clone, Default)]
pub struct AuthorizedKeys {
    /// Fingerprint → login.
    logins: HashMap<String, String>,
}

impl AuthorizedKeys {
    /// Reads `ssh-ed25519 AAAA… LOGIN` lines; blank lines and `#` comments are skipped.
    /// Every problem names `file:line`.
    pub fn load(path: &Path) -> Result<AuthorizedKeys, KeyError> {
        let text = fs::read_to_string(path).map_err(|e| {
            KeyError(format!(
                "{}: cannot read the authorized keys: {e}",
                inert_path(path)
            ))
        })?;
        let keys = AuthorizedKeys::parse(&text)
            .map_err(|(line, why)| KeyError(format!("{}:{line}: {why}", inert_path(path))))?;
        if keys.logins.is_empty() {
            return Err(KeyError(format!(
                "{}: no keys: add one line `ssh-ed25519 AAAA… LOGIN` per reviewer",
                inert_path(path)
            )));
        }
        Ok(keys)
    }

    /// The keys of a file's text; an error is (line number, reason).
    pub fn parse(text: &str) -> Result<AuthorizedKeys, (usize, String)> {
        let mut logins: HashMap<String, String> = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [algorithm, data, login] = fields[..] else {
                return Err((
                    number,
                    format!(
                        "expected `KEY-TYPE BASE64 LOGIN` (three fields; options are not supported), found {} field(s)",
                        fields.len()
                    ),
                ));
            };
            let key = PublicKey::from_openssh(&format!("{algorithm} {data}"))
                .map_err(|e| (number, format!("not a public key ({}): {e}", inert(algorithm))))?;
            if !login
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
            {
                return Err((
                    number,
                    format!("login {} may use only letters, digits, . _ - @", inert(login)),
                ));
            }
            let print = fingerprint(&key);
            if let Some(other) = logins.insert(print.clone(), login.to_string()) {
                if other != login {
                    return Err((
                        number,
                        format!(
                            "key {print} is already given to {}; one key, one login",
                            inert(&other)
                        ),
                    ));
                }
            }
        }
        Ok(AuthorizedKeys { logins })
    }

    /// The login of a key, if it is authorized.
    pub fn login(&self, key: &PublicKey) -> Option<&str> {
        self.logins.get(&fingerprint(key)).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.logins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.logins.is_empty()
    }
}

/// Where the host key is kept when `--host-key` is not given: beside the snapshot.
pub fn default_host_key(snapshot: &Path) -> PathBuf {
    let dir = snapshot.parent().filter(|d| !d.as_os_str().is_empty());
    dir.unwrap_or(Path::new(".")).join("closedesk_host_ed25519_key")
}

/// Loads the host key, or generates an Ed25519 key and saves it (mode 0600) when the file
/// does not exist. Returns the key and whether it was generated now.
pub fn host_key(path: &Path) -> Result<(PrivateKey, bool), KeyError> {
    match fs::read(path) {
        Ok(bytes) => {
            check_private(path)?;
            let key = PrivateKey::from_openssh(&bytes)
                .map_err(|e| KeyError(format!("{}: not an OpenSSH private key: {e}", inert_path(path))))?;
            if key.is_encrypted() {
                return Err(KeyError(format!(
                    "{}: the host key is encrypted; give an unencrypted key (or remove it to generate one)",
                    inert_path(path)
                )));
            }
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
                .map_err(|e| KeyError(format!("cannot generate a host key: {e}")))?;
            let text = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| KeyError(format!("cannot encode the host key: {e}")))?;
            write_private(path, text.as_bytes())?;
            Ok((key, true))
        }
        Err(e) => Err(KeyError(format!(
            "{}: cannot read the host key: {e}",
            inert_path(path)
        ))),
    }
}

/// A private key readable by others is refused, as OpenSSH refuses it.
fn check_private(path: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(|e| KeyError(format!("{}: {e}", inert_path(path))))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(KeyError(format!(
                "{}: permissions {:04o} are too open for a host key; run `chmod 600 {}`",
                inert_path(path),
                mode & 0o777,
                inert_path(path)
            )));
        }
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let fail = |e: std::io::Error| KeyError(format!("{}: cannot save the host key: {e}", inert_path(path)));
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    #[test]
    fn lines_map_keys_to_logins() {
        let keys = AuthorizedKeys::parse(&format!("# reviewers\n\n{KEY} jokafor\n")).unwrap();
        assert_eq!(keys.len(), 1);
        let key = PublicKey::from_openssh(KEY).unwrap();
        assert_eq!(keys.login(&key), Some("jokafor"));
    }

    #[test]
    fn problems_name_the_line() {
        assert_eq!(AuthorizedKeys::parse(&format!("\n{KEY}\n")).unwrap_err().0, 2);
        let options = format!("from=\"10.0.0.1\" {KEY} x");
        assert!(AuthorizedKeys::parse(&options)
            .unwrap_err()
            .1
            .contains("options are not supported"));
        let bad = AuthorizedKeys::parse("ssh-ed25519 AAAAnotbase64 mhale").unwrap_err();
        assert_eq!(bad.0, 1);
        assert!(bad.1.contains("not a public key"), "{}", bad.1);
        let twice = AuthorizedKeys::parse(&format!("{KEY} a\n{KEY} b\n")).unwrap_err();
        assert_eq!(twice.0, 2);
        assert!(twice.1.contains("one key, one login"));
        let control = AuthorizedKeys::parse(&format!("{KEY} m\u{1b}[2Jx")).unwrap_err();
        assert!(!control.1.contains('\u{1b}'));
    }

    #[test]
    fn the_host_key_is_generated_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host_key");
        let (first, generated) = host_key(&path).unwrap();
        assert!(generated);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (again, generated) = host_key(&path).unwrap();
        assert!(!generated);
        assert_eq!(fingerprint(first.public_key()), fingerprint(again.public_key()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            assert!(host_key(&path).unwrap_err().0.contains("too open"));
        }
    }
}
