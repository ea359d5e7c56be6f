//! Who is acting: the login ([`login`]: `--user`, `$CLOSEDESK_USER`, the config's `login`,
//! then `$USER`) looked up in the period's roster, and what each role may do. Roles are
//! cumulative: a reviewer may do what an operator may, a lead what a reviewer may.
//! Owns the one identity rule the command line and the cockpit share; no SQL, no terminal.

use serde::Serialize;

use super::{Proof, Refusal};
use crate::snapshot::model::{PeriodStatus, Role};
use crate::snapshot::Snapshot;

/// The acting person. `role` is `None` when the login is not on the roster: read-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub login: String,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// How the login proves itself when the roster has keys (docs/workflow.md, "Signed
    /// actions"): the ssh-agent locally, the session's key over `serve`.
    #[serde(skip)]
    pub proof: Proof,
}

/// Something the workflow lets some roles do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    MoveItem,
    AddNote,
    ProposeCorrection,
    AssignOwner,
    AcceptCorrection,
    RejectCorrection,
    ReverseCorrection,
    Waive,
    SignOff,
    Reopen,
    Export,
}

impl Permission {
    /// The least role allowed to do it.
    pub fn needs(self) -> Role {
        match self {
            Permission::MoveItem
            | Permission::AddNote
            | Permission::ProposeCorrection
            | Permission::AssignOwner
            | Permission::Export => Role::Operator,
            Permission::AcceptCorrection
            | Permission::RejectCorrection
            | Permission::ReverseCorrection
            | Permission::Waive => Role::Reviewer,
            Permission::SignOff | Permission::Reopen => Role::Lead,
        }
    }

    /// The action in words, as the subject of a sentence: "waiving a mismatch".
    pub fn words(self) -> &'static str {
        match self {
            Permission::MoveItem => "moving a checklist item",
            Permission::AddNote => "adding a note",
            Permission::ProposeCorrection => "proposing a correction",
            Permission::AssignOwner => "assigning an owner",
            Permission::AcceptCorrection => "accepting a correction",
            Permission::RejectCorrection => "rejecting a correction",
            Permission::ReverseCorrection => "reversing a correction",
            Permission::Waive => "waiving a mismatch",
            Permission::SignOff => "signing off the period",
            Permission::Reopen => "reopening the period",
            Permission::Export => "recording an export",
        }
    }

    /// Whether a period in `status` takes it at all, whoever asks: a signed-off period is
    /// locked to everything but a reopening and an export (which only appends to the audit
    /// log, as the lock allows); only a signed-off period can be reopened. The refusal in a
    /// few words, for a cockpit's footer.
    pub fn admitted_in(self, status: PeriodStatus) -> Result<(), &'static str> {
        let signed = status == PeriodStatus::SignedOff;
        match self {
            Permission::Reopen if !signed => {
                Err("the period is open; only a signed-off period can be reopened")
            }
            Permission::Reopen | Permission::Export => Ok(()),
            _ if signed => Err("the period is signed off: locked (a lead may reopen it)"),
            _ => Ok(()),
        }
    }

    /// [`admitted_in`](Self::admitted_in), and a period whose lock was lifted outside
    /// closedesk (`signoff::lock_lifted_outside`) takes a reopen, which records it, and an
    /// export, nothing else.
    pub fn admitted(self, status: PeriodStatus, lifted: bool) -> Result<(), &'static str> {
        if !lifted {
            return self.admitted_in(status);
        }
        match self {
            Permission::Reopen | Permission::Export => Ok(()),
            _ => Err("the lock was lifted outside closedesk: a lead's reopen records it first"),
        }
    }

    /// A role below [`needs`](Self::needs) refused, in a few words for a cockpit's footer:
    /// "a waiver needs a reviewer or lead", "only a lead may sign off".
    pub fn brief_refusal(self) -> String {
        let what = match self {
            Permission::Waive => "a waiver",
            Permission::AcceptCorrection | Permission::RejectCorrection => "deciding a correction",
            Permission::SignOff => "sign off",
            Permission::Reopen => "reopen a period",
            other => other.words(),
        };
        match self.needs() {
            Role::Lead => format!("only a lead may {what}"),
            Role::Reviewer => format!("{what} needs a reviewer or lead"),
            Role::Operator => format!("{what} needs an operator, reviewer or lead"),
        }
    }
}

/// The login to act as, for the command line and the cockpit alike: `chosen` (`--user`,
/// else `$CLOSEDESK_USER`, else the config's `login`: `Config::login`), else `$USER`, else
/// none (empty: read-only). `$LOGNAME` is not consulted: one documented order
/// (docs/workflow.md, "Who is acting").
pub fn login(chosen: Option<&str>) -> String {
    match chosen {
        Some(login) => login.to_string(),
        None => std::env::var("USER").unwrap_or_default(),
    }
}

impl Actor {
    /// The actor for [`login`]`(login)`, looked up in the snapshot's roster. A login not on
    /// the roster (or no login at all) is a read-only actor, not an error.
    pub fn resolve(snapshot: &Snapshot, login: Option<&str>) -> Result<Actor, Refusal> {
        let login = self::login(login);
        let entry = if login.is_empty() {
            None
        } else {
            snapshot.workflow().roster_entry(&login)?
        };
        Ok(Actor {
            login,
            display_name: entry.as_ref().map(|e| e.display_name.clone()),
            role: entry.map(|e| e.role),
            proof: Proof::Agent,
        })
    }

    /// The same actor, proving itself by the key that authenticated its `serve` session.
    pub fn served(self, fingerprint: &str) -> Actor {
        Actor {
            proof: Proof::Served {
                fingerprint: fingerprint.to_string(),
            },
            ..self
        }
    }

    pub fn is_read_only(&self) -> bool {
        self.role.is_none()
    }

    /// Whether the actor's role allows `permission`; the refusal names the role it needs.
    pub fn may(&self, permission: Permission) -> Result<(), Refusal> {
        match self.role {
            None => Err(Refusal::ReadOnly {
                login: self.login.clone(),
                permission,
            }),
            Some(role) if role < permission.needs() => Err(Refusal::Role {
                login: self.login.clone(),
                role,
                permission,
            }),
            Some(_) => Ok(()),
        }
    }

    /// "olive (operator)", or "mallory (not on the roster: read-only)".
    pub fn describe(&self) -> String {
        match self.role {
            Some(role) => format!("{} ({role})", self.login),
            None if self.login.is_empty() => "no login (read-only)".to_string(),
            None => format!("{} (not on the roster: read-only)", self.login),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Option<Role>) -> Actor {
        Actor {
            login: "pat".into(),
            display_name: None,
            role,
            proof: Proof::Agent,
        }
    }

    #[test]
    fn roles_are_ordered_and_cumulative() {
        assert!(Role::Operator < Role::Reviewer && Role::Reviewer < Role::Lead);
        assert!(actor(Some(Role::Lead)).may(Permission::AddNote).is_ok());
        assert!(actor(Some(Role::Reviewer)).may(Permission::Waive).is_ok());
        assert!(actor(Some(Role::Operator)).may(Permission::Waive).is_err());
    }

    /// The cockpit's short words come from the same table: the role each permission needs,
    /// and what a signed-off period still takes.
    #[test]
    fn brief_refusals_follow_the_permission_table() {
        assert_eq!(
            Permission::Waive.brief_refusal(),
            "a waiver needs a reviewer or lead"
        );
        assert_eq!(
            Permission::RejectCorrection.brief_refusal(),
            "deciding a correction needs a reviewer or lead"
        );
        assert_eq!(Permission::SignOff.brief_refusal(), "only a lead may sign off");
        assert_eq!(
            Permission::Reopen.brief_refusal(),
            "only a lead may reopen a period"
        );
        assert!(Permission::Export.admitted_in(PeriodStatus::SignedOff).is_ok());
        assert!(Permission::Reopen.admitted_in(PeriodStatus::Open).is_err());
        assert!(Permission::AddNote.admitted_in(PeriodStatus::SignedOff).is_err());
    }

    #[test]
    fn refusals_name_the_role_needed() {
        let e = actor(Some(Role::Operator)).may(Permission::Waive).unwrap_err();
        assert_eq!(
            e.to_string(),
            "waiving a mismatch needs a reviewer or lead; pat is an operator"
        );
        let e = actor(Some(Role::Reviewer)).may(Permission::SignOff).unwrap_err();
        assert_eq!(
            e.to_string(),
            "signing off the period needs a lead; pat is a reviewer"
        );
        let e = actor(None).may(Permission::AddNote).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pat is not on this period's roster: read-only; adding a note needs an operator, \
             reviewer or lead on the roster"
        );
    }
}
