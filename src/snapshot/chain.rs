//! The audit log's hash chain: the canonical, length-prefixed encoding of one row's fields
//! and its SHA-256 (byte-exact description in docs/workflow.md, "The audit log").
//!
//! Owns only the bytes and the hash; it depends on sha2 and [`crate::digest`] alone and knows
//! no workflow rule (what is logged, and when, is the workflow layer's; storing the rows is
//! [`super::workflow`]'s). Changing anything here breaks every existing log.

use sha2::{Digest, Sha256};

use crate::digest::hex;

/// The previous hash of the first row: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The first field of every encoding, naming the format and its version.
pub const ENCODING_TAG: &str = "closedesk.audit.v1";

/// The hashed fields of one audit row, in canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub text: Option<&'a str>,
    pub prev_hash: &'a str,
}

/// The canonical encoding: for each of tag, seq (decimal), at, actor, action, target,
/// before, after, text, prev_hash — a present value is byte `0x01`, its UTF-8 length as
/// 8 bytes big-endian, then its UTF-8 bytes; an absent (NULL) value is byte `0x00`.
pub fn encode(f: &Fields<'_>) -> Vec<u8> {
    fn put(out: &mut Vec<u8>, value: Option<&str>) {
        match value {
            None => out.push(0x00),
            Some(v) => {
                out.push(0x01);
                out.extend_from_slice(&(v.len() as u64).to_be_bytes());
                out.extend_from_slice(v.as_bytes());
            }
        }
    }
    let seq = f.seq.to_string();
    let mut out = Vec::new();
    for value in [
        Some(ENCODING_TAG),
        Some(seq.as_str()),
        Some(f.at),
        Some(f.actor),
        Some(f.action),
        Some(f.target),
        f.before,
        f.after,
        f.text,
        Some(f.prev_hash),
    ] {
        put(&mut out, value);
    }
    out
}

/// Lowercase hex SHA-256 of [`encode`].
pub fn hash(f: &Fields<'_>) -> String {
    let digest = Sha256::digest(encode(f));
    hex(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the encoding: changing it breaks every existing log.
    #[test]
    fn golden_encoding_and_hash() {
        let f = Fields {
            seq: 1,
            at: "2026-04-02T09:15:00Z",
            actor: "olive",
            action: "checklist.set",
            target: "checklist:1",
            before: Some(r#"{"checklist:1":{"status":"pending"}}"#),
            after: Some(r#"{"checklist:1":{"status":"done"}}"#),
            text: None,
            prev_hash: GENESIS,
        };
        let bytes = encode(&f);
        let mut expected = Vec::new();
        expected.extend_from_slice(b"\x01\x00\x00\x00\x00\x00\x00\x00\x12closedesk.audit.v1");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x00\x00\x00\x00\x011");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x00\x00\x00\x00\x142026-04-02T09:15:00Z");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x00\x00\x00\x00\x05olive");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x00\x00\x00\x00\x0dchecklist.set");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x00\x00\x00\x00\x0bchecklist:1");
        expected.extend_from_slice(
            b"\x01\x00\x00\x00\x00\x00\x00\x00\x24{\"checklist:1\":{\"status\":\"pending\"}}",
        );
        expected.extend_from_slice(
            b"\x01\x00\x00\x00\x00\x00\x00\x00\x21{\"checklist:1\":{\"status\":\"done\"}}",
        );
        expected.push(0x00);
        expected.extend_from_slice(b"\x01\x00\x00\x00\x00\x00\x00\x00\x40");
        expected.extend_from_slice(GENESIS.as_bytes());
        assert_eq!(bytes, expected);
        assert_eq!(
            hash(&f),
            "73f38911debdc6ad02fdc630777a693ebdcccbec0935e8cb2a8d7a1761456cdc"
        );
    }

    #[test]
    fn null_and_empty_text_hash_differently() {
        let base = Fields {
            seq: 7,
            at: "t",
            actor: "a",
            action: "x",
            target: "y",
            before: None,
            after: None,
            text: None,
            prev_hash: GENESIS,
        };
        let empty = Fields {
            text: Some(""),
            ..base
        };
        assert_ne!(hash(&base), hash(&empty));
        // Moving bytes between fields changes the hash (the length prefix sees it).
        let a = Fields {
            actor: "ab",
            action: "c",
            ..base
        };
        let b = Fields {
            actor: "a",
            action: "bc",
            ..base
        };
        assert_ne!(hash(&a), hash(&b));
    }
}
