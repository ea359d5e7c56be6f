//! Remote sessions (`closedesk serve`) in the audit log: every login, refusal and
//! disconnect is one audit row. These rows change no workflow table (`before` and `after`
//! are empty objects, as for exports), so replaying the log is unaffected; they are written
//! in their own transaction, which stays possible after sign-off (the audit log is never
//! locked).
//!
//! Owns the audit rows of `serve` sessions; must not touch a workflow table (its rows change
//! none) nor the network (that is `crate::serve`).

use serde_json::json;

use super::{Receipt, Refusal};
use crate::snapshot::workflow::AuditEntry;
use crate::snapshot::Snapshot;

/// `session.login`: a key was accepted and the cockpit opened.
pub const LOGIN: &str = "session.login";
/// `session.refused`: authentication failed, or a request was refused (exec, subsystem, no
/// terminal, a session limit).
pub const REFUSED: &str = "session.refused";
/// `session.disconnected`: a cockpit session ended, with why.
pub const DISCONNECTED: &str = "session.disconnected";

/// One session event as the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// [`LOGIN`], [`REFUSED`] or [`DISCONNECTED`].
    pub action: &'static str,
    /// The roster login the key maps to; `serve` for a connection that did not
    /// authenticate (the user name a client asked for is never an actor: it appears, inert
    /// and cut short, only in the text).
    pub actor: String,
    /// `ssh:ADDR:PORT` of the client.
    pub target: String,
    /// What happened, in words: the key's fingerprint, the reason for a refusal, how long
    /// a session lasted.
    pub text: String,
}

/// Appends the event's audit row in one transaction.
pub fn record(snapshot: &Snapshot, event: &Event) -> Result<Receipt, Refusal> {
    let entry = AuditEntry {
        actor: event.actor.clone(),
        action: event.action.to_string(),
        target: event.target.clone(),
        before: json!({}),
        after: json!({}),
        text: Some(event.text.clone()),
    };
    snapshot.write(|tx| {
        tx.append_audit(
            &entry,
            // A session event proves nothing about a workflow action and is not signed
            // (docs/workflow.md, "Signed actions"); its text names the key's fingerprint.
            |_, _| Ok::<_, Refusal>(None),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::testing::demo_snapshot;

    #[test]
    fn session_rows_chain_and_leave_replay_intact() {
        let (_dir, snapshot) = demo_snapshot();
        let before = snapshot.workflow().audit_log().unwrap().len();
        let event = Event {
            action: REFUSED,
            actor: "mallory\u{1b}[2J".to_string(),
            target: "ssh:127.0.0.1:50000".to_string(),
            text: "unknown key SHA256:abc".to_string(),
        };
        let receipt = record(&snapshot, &event).unwrap();
        assert_eq!(receipt.seq as usize, before + 1);
        let rows = snapshot.workflow().audit_log().unwrap();
        let last = rows.last().unwrap();
        assert_eq!(last.action, REFUSED);
        assert_eq!(last.actor, "mallory\u{1b}[2J");
        assert_eq!(last.text.as_deref(), Some("unknown key SHA256:abc"));
        let report = super::super::audit::verify(&snapshot).unwrap();
        assert!(report.ok, "{:?}", report.first_problem);
    }
}
