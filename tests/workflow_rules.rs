//! Every rule of the close workflow, driven through the library with hand-made
//! reconciliations: roles, four-eyes, the checklist's done rule, stale views, the correction
//! lane and its overlay, waivers, cleared by data, sign-off preconditions, the lock and reopen.

mod common;

use closedesk::money::Money;
use closedesk::reconcile::Reconciliation;
use closedesk::snapshot::model::{ItemStatus, Lane, MismatchStatus, PeriodStatus, Severity, Side};
use closedesk::snapshot::Snapshot;
use closedesk::workflow::mismatches::{self, Proposal};
use closedesk::workflow::{audit, checklist, signoff, Refusal};

use common::*;

fn setup() -> (tempfile::TempDir, Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_at(dir.path(), "p.db");
    let snap = Snapshot::open(&path).unwrap();
    (dir, snap)
}

fn proposal(cents: i64, side: Side) -> Proposal {
    Proposal {
        amount: Money::from_cents(cents),
        side,
        reason: "credit CR-0010 netted into the GL line".into(),
        reference: Some("CR-0010".into()),
    }
}

fn view(snap: &Snapshot, recon: &Reconciliation, key: &str) -> mismatches::MismatchView {
    mismatches::views(snap, &recon.mismatches)
        .unwrap()
        .into_iter()
        .find(|v| v.key == key)
        .unwrap()
}

const WAIVER: &str = "below materiality; rate fixed from April";
const REOPEN: &str = "GL export re-sent after the credit fix";

/// Marks all eight items done, four by each of two people.
fn all_done(snap: &Snapshot, recon: &Reconciliation, first: &str, second: &str) {
    for item in 1..=8u8 {
        let who = if item <= 4 { first } else { second };
        checklist::set(snap, &actor(snap, who), recon, item, ItemStatus::Done, None, None).unwrap();
    }
}

/// Resolves or waives every mismatch of `recon()`.
fn settle(snap: &Snapshot, recon: &Reconciliation) {
    for key in [GL, STATEMENT, LEDGER] {
        mismatches::on(snap, &actor(snap, "rita"), recon, key)
            .waive(WAIVER)
            .unwrap();
    }
}

fn sign(snap: &Snapshot, login: &str, recon: &Reconciliation) -> Result<signoff::SignOff, Refusal> {
    let r = recon.clone();
    signoff::sign_with(snap, &actor(snap, login), Some("March close"), &move |_| {
        Ok(r.clone())
    })
}

// Identity and roles ------------------------------------------------------------------------------

#[test]
fn a_login_not_on_the_roster_is_read_only_and_told_why() {
    let (_d, snap) = setup();
    let recon = recon();
    let mallory = actor(&snap, "mallory");
    assert!(mallory.is_read_only());
    let refusals = [
        checklist::set(&snap, &mallory, &recon, 1, ItemStatus::InProgress, None, None).unwrap_err(),
        mismatches::on(&snap, &mallory, &recon, GL)
            .note("hello")
            .unwrap_err(),
        mismatches::on(&snap, &mallory, &recon, GL)
            .propose(&proposal(975, Side::Actual))
            .unwrap_err(),
        mismatches::on(&snap, &mallory, &recon, GL)
            .assign("mallory")
            .unwrap_err(),
        mismatches::on(&snap, &mallory, &recon, GL)
            .waive(WAIVER)
            .unwrap_err(),
        signoff::reopen(&snap, &mallory, REOPEN).unwrap_err(),
        sign(&snap, "mallory", &recon).unwrap_err(),
    ];
    for r in refusals {
        assert!(matches!(r, Refusal::ReadOnly { .. }), "{r:?}");
        assert!(
            r.to_string()
                .starts_with("mallory is not on this period's roster: read-only"),
            "{r}"
        );
    }
    assert_eq!(snap.workflow().audit_log().unwrap().len(), 0, "nothing written");
}

#[test]
fn no_login_at_all_is_read_only() {
    let (_d, snap) = setup();
    let nobody = closedesk::workflow::Actor::resolve(&snap, Some("")).unwrap();
    let r = mismatches::on(&snap, &nobody, &recon(), GL)
        .note("x")
        .unwrap_err();
    assert!(
        r.to_string()
            .starts_with("no login given (--user or $USER): read-only"),
        "{r}"
    );
}

#[test]
fn the_role_is_refused_before_what_was_typed_is_judged() {
    let (_d, snap) = setup();
    let recon = recon();
    let olive = actor(&snap, "olive");
    let mallory = closedesk::workflow::Actor::resolve(&snap, Some("mallory")).unwrap();
    // A short reason from an operator: the role is what stops it, not the reason's length.
    let r = mismatches::on(&snap, &olive, &recon, GL)
        .waive("short")
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "waiving a mismatch needs a reviewer or lead; olive is an operator"
    );
    let r = mismatches::on(&snap, &olive, &recon, GL)
        .reverse(1, "short")
        .unwrap_err();
    assert!(
        r.to_string()
            .starts_with("reversing a correction needs a reviewer or lead"),
        "{r}"
    );
    // An empty note from a login off the roster: read-only first.
    let r = mismatches::on(&snap, &mallory, &recon, GL).note("").unwrap_err();
    assert!(matches!(r, Refusal::ReadOnly { .. }), "{r:?}");
    // With the role, the input is judged before anything is read or written.
    let r = mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(0, Side::Actual))
        .unwrap_err();
    assert!(
        r.to_string().starts_with("a correction of 0.00 changes nothing"),
        "{r}"
    );
    assert_eq!(snap.workflow().audit_log().unwrap().len(), 0, "nothing written");
}

#[test]
fn corrections_cannot_take_a_figure_past_the_bounds_of_every_amount() {
    // Each correction is below 10^15 minor units, but nothing bounded their sum: enough
    // accepted ones wrapped the corrected figures around (silently, in a release build).
    let (_d, snap) = setup();
    let recon = recon();
    let (olive, rita) = (actor(&snap, "olive"), actor(&snap, "rita"));
    let on = |who| mismatches::on(&snap, who, &recon, GL);
    // GL: expected 39,639.27, actual 39,629.52. +9,999,999,959,999.99 on the actual side
    // makes it 9,999,999,999,629.51 (variance 9,999,999,959,990.24): inside the bound.
    on(&olive)
        .propose(&proposal(999_999_995_999_999, Side::Actual))
        .unwrap();
    on(&rita).accept(None, None).unwrap();
    // Another 9,999,999,999,999.99 would make it about 20,000,000,000,000.00: refused.
    let r = on(&olive)
        .propose(&proposal(999_999_999_999_999, Side::Actual))
        .unwrap_err();
    assert!(matches!(r, Refusal::Invalid(_)), "{r:?}");
    assert!(r.to_string().contains("past 10,000,000,000,000.00"), "{r}");
    // So is a correction of the expected side that widens the variance past it:
    // 9,999,999,959,990.24 + 50,000.00.
    let r = on(&olive)
        .propose(&proposal(-5_000_000, Side::Expected))
        .unwrap_err();
    assert!(r.to_string().contains("past 10,000,000,000,000.00"), "{r}");
    // Two of 300.00 on the actual side each fit alone (9,999,999,999,929.51), not both
    // (10,000,000,000,229.51): the second is refused at its acceptance.
    on(&olive).propose(&proposal(30_000, Side::Actual)).unwrap();
    on(&olive).propose(&proposal(30_000, Side::Actual)).unwrap();
    let pending: Vec<i64> = view(&snap, &recon, GL).pending().map(|c| c.row.id).collect();
    assert_eq!(pending.len(), 2);
    on(&rita).accept(Some(pending[0]), None).unwrap();
    let r = on(&rita).accept(Some(pending[1]), None).unwrap_err();
    assert!(r.to_string().contains("past 10,000,000,000,000.00"), "{r}");
    // The figures are as the two accepted corrections left them.
    let v = view(&snap, &recon, GL);
    assert_eq!(
        v.corrected_actual.cents(),
        3_962_952 + 999_999_995_999_999 + 30_000
    );
    assert_eq!(v.corrected_expected.cents(), 3_963_927);
}

#[test]
fn each_role_refusal_names_the_role_it_needs() {
    let (_d, snap) = setup();
    let recon = recon();
    let olive = actor(&snap, "olive");
    let rita = actor(&snap, "rita");
    mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();

    let r = mismatches::on(&snap, &olive, &recon, GL)
        .accept(None, None)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "accepting a correction needs a reviewer or lead; olive is an operator"
    );
    let r = mismatches::on(&snap, &olive, &recon, GL)
        .reject(None, None)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "rejecting a correction needs a reviewer or lead; olive is an operator"
    );
    let r = mismatches::on(&snap, &olive, &recon, STATEMENT)
        .waive(WAIVER)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "waiving a mismatch needs a reviewer or lead; olive is an operator"
    );
    let r = signoff::reopen(&snap, &rita, REOPEN).unwrap_err();
    assert_eq!(
        r.to_string(),
        "reopening the period needs a lead; rita is a reviewer"
    );
    let r = sign(&snap, "rita", &recon).unwrap_err();
    assert!(
        r.to_string()
            .contains("[not met] the signer is a lead: rita is a reviewer"),
        "{r}"
    );
    // The operator's permitted actions work.
    mismatches::on(&snap, &olive, &recon, GL)
        .note("asked the GL team")
        .unwrap();
    mismatches::on(&snap, &olive, &recon, GL)
        .assign("gl-team@fixture.example")
        .unwrap();
    checklist::set(
        &snap,
        &olive,
        &recon,
        1,
        ItemStatus::InProgress,
        Some("started"),
        None,
    )
    .unwrap();
}

// Four-eyes ---------------------------------------------------------------------------------------

#[test]
fn nobody_accepts_their_own_correction() {
    let (_d, snap) = setup();
    let recon = recon();
    let rita = actor(&snap, "rita");
    mismatches::on(&snap, &rita, &recon, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();
    let r = mismatches::on(&snap, &rita, &recon, GL)
        .accept(None, None)
        .unwrap_err();
    assert!(matches!(r, Refusal::FourEyes(_)), "{r:?}");
    assert_eq!(
        r.to_string(),
        "four-eyes: rita proposed correction #1 and cannot also accept it; another reviewer or lead must"
    );
    // Another reviewer or lead may.
    mismatches::on(&snap, &actor(&snap, "lena"), &recon, GL)
        .accept(Some(1), None)
        .unwrap();
    assert_eq!(view(&snap, &recon, GL).status, MismatchStatus::Resolved);
}

#[test]
fn a_waiver_is_by_a_reviewer_or_lead() {
    let (_d, snap) = setup();
    let recon = recon();
    let r = mismatches::on(&snap, &actor(&snap, "oscar"), &recon, GL)
        .waive(WAIVER)
        .unwrap_err();
    assert!(matches!(r, Refusal::Role { .. }), "{r:?}");
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, GL)
        .waive(WAIVER)
        .unwrap();
    mismatches::on(&snap, &actor(&snap, "leo"), &recon, STATEMENT)
        .waive(WAIVER)
        .unwrap();
    assert_eq!(view(&snap, &recon, GL).status, MismatchStatus::Waived);
    assert_eq!(view(&snap, &recon, STATEMENT).status, MismatchStatus::Waived);
}

#[test]
fn the_signer_did_not_mark_more_than_half_of_the_items_done() {
    let (_d, snap) = setup();
    let recon = recon();
    settle(&snap, &recon);
    // lena marks five items done, olive three.
    for item in 1..=8u8 {
        let who = if item <= 5 { "lena" } else { "olive" };
        checklist::set(
            &snap,
            &actor(&snap, who),
            &recon,
            item,
            ItemStatus::Done,
            None,
            None,
        )
        .unwrap();
    }
    let r = sign(&snap, "lena", &recon).unwrap_err();
    assert!(
        r.to_string().contains(
            "[not met] four-eyes: the signer marked at most 4 of the 8 items done: lena marked 5 done (1, 2, 3, 4, 5)"
        ),
        "{r}"
    );
    // leo marked none: he may sign.
    sign(&snap, "leo", &recon).unwrap();
}

#[test]
fn the_signer_may_have_marked_exactly_half() {
    let (_d, snap) = setup();
    let recon = recon();
    settle(&snap, &recon);
    all_done(&snap, &recon, "lena", "olive");
    let done = sign(&snap, "lena", &recon).unwrap();
    assert_eq!(done.signoff.signed_by, "lena");
}

// Checklist ---------------------------------------------------------------------------------------

#[test]
fn an_item_cannot_be_done_while_a_high_mismatch_in_its_lanes_is_open() {
    let (_d, snap) = setup();
    let recon = recon();
    let olive = actor(&snap, "olive");
    // Item 5 covers the ledger lane, where LEDGER (high) is open.
    let r = checklist::set(&snap, &olive, &recon, 5, ItemStatus::Done, None, None).unwrap_err();
    assert_eq!(
        r.to_string(),
        "checklist item 5 cannot be marked done: 1 critical or high mismatch(es) open in its lanes: \
         ledger:ACC-1:roll-forward (high, open); correct, resolve or waive them first"
    );
    // Item 3 (open exceptions) covers every lane.
    assert!(checklist::set(&snap, &olive, &recon, 3, ItemStatus::Done, None, None).is_err());
    // Item 8 has only a medium and a low mismatch: allowed.
    checklist::set(&snap, &olive, &recon, 8, ItemStatus::Done, None, None).unwrap();
    // Other moves are allowed while blocked.
    checklist::set(
        &snap,
        &olive,
        &recon,
        5,
        ItemStatus::Blocked,
        Some("waiting for the ledger fix"),
        None,
    )
    .unwrap();
    // Once waived, item 5 can be done.
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, LEDGER)
        .waive(WAIVER)
        .unwrap();
    checklist::set(&snap, &olive, &recon, 5, ItemStatus::Done, None, None).unwrap();
    let items = checklist::items(&snap, &recon.overview()).unwrap();
    assert_eq!(items[4].row.status, ItemStatus::Done);
    assert_eq!(items[4].row.updated_by.as_deref(), Some("olive"));
    assert_eq!(items[4].notes.len(), 1, "the note stays with the item");
    assert!(items[4].blockers.is_empty());
}

#[test]
fn a_critical_mismatch_blocks_too_and_the_message_says_which() {
    let (_d, snap) = setup();
    let recon = recon_with(vec![mismatch(
        "usage:ACC-1:billed",
        Lane::Usage,
        Severity::Critical,
        0,
        900_000,
    )]);
    let r = checklist::set(
        &snap,
        &actor(&snap, "olive"),
        &recon,
        1,
        ItemStatus::Done,
        None,
        None,
    )
    .unwrap_err();
    assert!(
        r.to_string().contains("usage:ACC-1:billed (critical, open)"),
        "{r}"
    );
}

#[test]
fn items_show_status_who_when_and_evidence() {
    let (_d, snap) = setup();
    let recon = recon();
    checklist::set(
        &snap,
        &actor(&snap, "oscar"),
        &recon,
        2,
        ItemStatus::InProgress,
        None,
        None,
    )
    .unwrap();
    let items = checklist::items(&snap, &recon.overview()).unwrap();
    assert_eq!(items.len(), 8);
    assert_eq!(items[0].row.title, "Confirm billing has fully completed");
    assert_eq!(items[1].row.status, ItemStatus::InProgress);
    assert_eq!(items[1].row.updated_by.as_deref(), Some("oscar"));
    assert!(items[1].row.updated_at.is_some());
    assert_eq!(items[1].row.version, 1);
    for item in &items {
        assert!(
            !item.evidence.is_empty(),
            "item {} has no evidence",
            item.row.item
        );
    }
    let r = checklist::parse_item("9").unwrap_err();
    assert_eq!(
        r.to_string(),
        "there is no checklist item 9: items are numbered 1 to 8"
    );
}

#[test]
fn a_change_from_a_stale_view_is_a_conflict_naming_who_changed_it() {
    let (_d, snap) = setup();
    let recon = recon();
    let olive = actor(&snap, "olive");
    let oscar = actor(&snap, "oscar");
    let seen = checklist::items(&snap, &recon.overview()).unwrap()[0].row.version;
    checklist::set(&snap, &oscar, &recon, 1, ItemStatus::InProgress, None, Some(seen)).unwrap();
    let r = checklist::set(&snap, &olive, &recon, 1, ItemStatus::Blocked, None, Some(seen)).unwrap_err();
    assert!(matches!(r, Refusal::Conflict { .. }), "{r:?}");
    assert!(
        r.to_string()
            .starts_with("conflict: checklist item 1 changed since you read it"),
        "{r}"
    );
    assert!(r.to_string().contains("changed by oscar at"), "{r}");
    assert_eq!(
        checklist::items(&snap, &recon.overview()).unwrap()[0].row.status,
        ItemStatus::InProgress
    );

    // The same for a mismatch.
    let seen = view(&snap, &recon, GL).version;
    mismatches::on(&snap, &oscar, &recon, GL)
        .seen(Some(seen))
        .note("first")
        .unwrap();
    let r = mismatches::on(&snap, &olive, &recon, GL)
        .seen(Some(seen))
        .assign("olive")
        .unwrap_err();
    assert!(r
        .to_string()
        .contains("mismatch exports:GL-2026-03:ar-total changed since you read it"));
    assert!(r.to_string().contains("changed by oscar"), "{r}");
    assert_eq!(view(&snap, &recon, GL).owner_override, None);
}

/// A decision from a stale view on a correction someone else decided meanwhile says that,
/// not only that the mismatch changed: the refusal of its own comes before the conflict.
#[test]
fn deciding_a_correction_decided_meanwhile_says_so_before_the_conflict() {
    let (_d, snap) = setup();
    let recon = recon();
    mismatches::on(&snap, &actor(&snap, "olive"), &recon, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();
    let seen = view(&snap, &recon, GL).version;
    mismatches::on(&snap, &actor(&snap, "lena"), &recon, GL)
        .seen(Some(seen))
        .reject(Some(1), Some("wrong side: the export is short, not the ledger"))
        .unwrap();
    let r = mismatches::on(&snap, &actor(&snap, "rita"), &recon, GL)
        .seen(Some(seen))
        .accept(Some(1), Some("ties to JE-1042"))
        .unwrap_err();
    assert!(
        r.to_string()
            .starts_with("correction #1 on exports:GL-2026-03:ar-total was already rejected by lena at "),
        "{r}"
    );
    // A change that would go through is still refused as a conflict from a stale view.
    let r = mismatches::on(&snap, &actor(&snap, "rita"), &recon, GL)
        .seen(Some(seen))
        .assign("rita")
        .unwrap_err();
    assert!(matches!(r, Refusal::Conflict { .. }), "{r:?}");
    assert_eq!(view(&snap, &recon, GL).owner_override, None);
}

// Correction lane ---------------------------------------------------------------------------------

#[test]
fn accepted_corrections_are_an_overlay_and_zero_corrected_variance_resolves() {
    let (_d, snap) = setup();
    let recon = recon();
    let olive = actor(&snap, "olive");
    let rita = actor(&snap, "rita");
    // GL: expected 39639.27, actual 39629.52 (−9.75). A partial correction first.
    mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(500, Side::Actual))
        .unwrap();
    assert_eq!(view(&snap, &recon, GL).status, MismatchStatus::InCorrection);
    mismatches::on(&snap, &rita, &recon, GL)
        .accept(None, Some("partial"))
        .unwrap();
    let v = view(&snap, &recon, GL);
    assert_eq!(v.raw_variance, Money::from_cents(-975));
    assert_eq!(v.corrected_variance, Money::from_cents(-475));
    assert_eq!(
        v.status,
        MismatchStatus::Open,
        "a partial correction leaves it open"
    );
    // A wrong one, rejected: it stays in the trail.
    mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(-475, Side::Actual))
        .unwrap();
    mismatches::on(&snap, &rita, &recon, GL)
        .reject(None, Some("wrong sign"))
        .unwrap();
    let v = view(&snap, &recon, GL);
    assert_eq!(v.status, MismatchStatus::Open);
    assert_eq!(v.corrected_variance, Money::from_cents(-475));
    // The rest, on the expected side.
    mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(-475, Side::Expected))
        .unwrap();
    mismatches::on(&snap, &rita, &recon, GL)
        .accept(Some(3), None)
        .unwrap();
    let v = view(&snap, &recon, GL);
    assert_eq!(v.corrected_expected, Money::from_cents(3_963_452));
    assert_eq!(v.corrected_actual, Money::from_cents(3_963_452));
    assert!(v.corrected_variance.is_zero());
    assert_eq!(v.status, MismatchStatus::Resolved);
    assert!(!v.is_open());
    assert_eq!(
        v.mismatch.as_ref().unwrap().variance,
        Money::from_cents(-975),
        "source untouched"
    );
    let statuses: Vec<String> = v.corrections.iter().map(|c| c.status.to_string()).collect();
    assert_eq!(statuses, ["accepted", "rejected", "accepted"]);
    let detail = mismatches::detail(&snap, &recon, GL).unwrap();
    let actions: Vec<&str> = detail.trail.iter().map(|e| e.row.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "mismatch.seen",
            "mismatch.propose",
            "mismatch.accept",
            "mismatch.propose",
            "mismatch.reject",
            "mismatch.propose",
            "mismatch.accept"
        ]
    );
    // Deciding a decided correction is refused.
    let r = mismatches::on(&snap, &rita, &recon, GL)
        .reject(Some(1), None)
        .unwrap_err();
    assert!(
        r.to_string()
            .starts_with("correction #1 on exports:GL-2026-03:ar-total was already accepted by rita"),
        "{r}"
    );
}

#[test]
fn a_waiver_needs_a_reason_of_twenty_characters() {
    let (_d, snap) = setup();
    let recon = recon();
    let rita = actor(&snap, "rita");
    // Text that displays as nothing is no reason: bidi controls (dropped on display),
    // zero-width characters, control characters; and 19 that show with invisible ones.
    let invisible = [
        "\u{202E}".repeat(25),
        "\u{200F}".repeat(25),
        "\u{200B}".repeat(25),
        "\u{FEFF}\u{2060}\u{00AD}\x07".repeat(8),
        format!("nineteen chars ok{}", "\u{200D}".repeat(10)),
    ];
    let plain = ["", "too short", &" ".repeat(40), "  nineteen chars ok  "];
    for reason in plain.into_iter().chain(invisible.iter().map(String::as_str)) {
        let r = mismatches::on(&snap, &rita, &recon, GL)
            .waive(reason)
            .unwrap_err();
        assert!(matches!(r, Refusal::Invalid(_)), "{reason:?}: {r:?}");
        assert!(
            r.to_string()
                .starts_with("a waiver needs a reason of at least 20 characters"),
            "{r}"
        );
    }
    mismatches::on(&snap, &rita, &recon, GL)
        .waive("exactly twenty chars")
        .unwrap();
    let r = mismatches::on(&snap, &rita, &recon, GL)
        .waive(WAIVER)
        .unwrap_err();
    assert!(r.to_string().contains("is already waived (by rita"), "{r}");
    // A note by an operator after the waiver does not make it the operator's: the refusal
    // named whoever last touched the mismatch ("by olive", who may not waive at all).
    let olive = actor(&snap, "olive");
    mismatches::on(&snap, &olive, &recon, GL)
        .note("GL team confirmed the difference")
        .unwrap();
    let lena = actor(&snap, "lena");
    let r = mismatches::on(&snap, &lena, &recon, GL)
        .waive(WAIVER)
        .unwrap_err();
    assert!(r.to_string().contains("is already waived (by rita at "), "{r}");
}

#[test]
fn a_pending_correction_must_be_decided_before_a_waiver() {
    let (_d, snap) = setup();
    let recon = recon();
    mismatches::on(&snap, &actor(&snap, "olive"), &recon, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();
    let r = mismatches::on(&snap, &actor(&snap, "rita"), &recon, GL)
        .waive(WAIVER)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "correction #1 on exports:GL-2026-03:ar-total awaits a decision: accept or reject it before waiving"
    );
}

#[test]
fn assign_overrides_the_owner_and_notes_need_text() {
    let (_d, snap) = setup();
    let recon = recon();
    let olive = actor(&snap, "olive");
    mismatches::on(&snap, &olive, &recon, GL)
        .assign("gl-team@fixture.example")
        .unwrap();
    let v = view(&snap, &recon, GL);
    assert_eq!(v.owner, "gl-team@fixture.example");
    assert_eq!(v.owner_override.as_deref(), Some("gl-team@fixture.example"));
    assert!(v.first_seen.is_some());
    for empty in ["   ", "\u{202E}\u{202E}", "\u{200B} \u{200B}", "\x1b\x07"] {
        let r = mismatches::on(&snap, &olive, &recon, GL).note(empty).unwrap_err();
        assert!(matches!(r, Refusal::Invalid(_)), "{empty:?}: {r:?}");
    }
    let r = mismatches::on(&snap, &olive, &recon, GL)
        .assign("\u{2066}\u{2069}")
        .unwrap_err();
    assert!(r.to_string().starts_with("the owner is empty"), "{r}");
    let r = mismatches::on(&snap, &olive, &recon, "exports:NOPE:ar-total")
        .note("x")
        .unwrap_err();
    assert!(matches!(r, Refusal::NotFound(_)), "{r:?}");
}

/// A correction proposed on a mismatch the data has since cleared cannot be accepted or
/// rejected any more: the sign-off's "no correction awaiting a decision" waited for it
/// forever. It counts only while its mismatch is reported. Found by a figures audit.
#[test]
fn a_correction_on_a_mismatch_the_data_cleared_does_not_hold_up_the_sign_off() {
    let (_d, snap) = setup();
    let before = recon();
    mismatches::on(&snap, &actor(&snap, "olive"), &before, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();
    let awaiting = |recon: &Reconciliation| {
        signoff::preconditions(&snap, &actor(&snap, "lena"), &recon.mismatches)
            .unwrap()
            .into_iter()
            .find(|p| p.rule == "no correction awaiting a decision")
            .unwrap()
    };
    assert!(!awaiting(&before).met);
    let fixed = recon_with(
        before
            .mismatches
            .iter()
            .filter(|m| m.key != GL)
            .cloned()
            .collect(),
    );
    let p = awaiting(&fixed);
    assert!(p.met, "{p}");
}

#[test]
fn state_stays_attached_when_the_engine_recomputes_and_shows_cleared_by_data() {
    let (_d, snap) = setup();
    let before = recon();
    let olive = actor(&snap, "olive");
    mismatches::on(&snap, &olive, &before, STATEMENT)
        .note("statement header at last year's rate")
        .unwrap();
    mismatches::on(&snap, &olive, &before, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();

    // Recomputed (e.g. re-imported data): same keys, new figures; the state stays attached.
    let mut again = recon();
    again.mismatches.reverse();
    assert_eq!(view(&snap, &again, GL).status, MismatchStatus::InCorrection);

    // The statement was fixed in the source data: it disappears from the reconciliation.
    let fixed = recon_with(vec![again.mismatches[0].clone(), again.mismatches[2].clone()]);
    assert!(fixed.mismatches.iter().all(|m| m.key != STATEMENT));
    let v = view(&snap, &fixed, STATEMENT);
    assert!(v.cleared_by_data && !v.is_open() && v.mismatch.is_none());
    // An action on another mismatch writes nothing about it (an action costs what it
    // changes); the views show it cleared all the same.
    mismatches::on(&snap, &olive, &fixed, GL)
        .note("still chasing")
        .unwrap();
    let detail = mismatches::detail(&snap, &fixed, STATEMENT).unwrap();
    assert_eq!(detail.annotations.len(), 1);
    assert_eq!(detail.trail.last().unwrap().row.action, "mismatch.note");
    assert!(detail.view.cleared_by_data);
    let stored = |snap: &Snapshot| snap.workflow().mismatch_state(STATEMENT).unwrap().unwrap();
    assert!(!stored(&snap).cleared_by_data);
    // Only a note may still be added to it.
    let r = mismatches::on(&snap, &olive, &fixed, STATEMENT)
        .assign("x")
        .unwrap_err();
    assert!(r.to_string().contains("was cleared by data"), "{r}");
    assert!(!stored(&snap).cleared_by_data, "a refused action writes nothing");
    // The next action on it records it in the log first; its trail is kept.
    mismatches::on(&snap, &olive, &fixed, STATEMENT)
        .note("confirmed fixed at source")
        .unwrap();
    let detail = mismatches::detail(&snap, &fixed, STATEMENT).unwrap();
    let actions: Vec<&str> = detail.trail.iter().map(|e| e.row.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "mismatch.seen",
            "mismatch.note",
            "mismatch.cleared_by_data",
            "mismatch.note"
        ]
    );
    assert!(stored(&snap).cleared_by_data);
    let report = audit::verify_with(&snap, &|_| Ok(fixed.clone()), None).unwrap();
    assert!(report.ok, "{report:#?}");
}

// Reversal ------------------------------------------------------------------------------------------

const REVERSAL: &str = "CR-0010 was netted twice; the GL line is right";

/// The period summary's open count and variance after corrections, as `status` gives them.
fn summary_of(snap: &Snapshot, recon: &Reconciliation) -> (usize, Money) {
    let views = mismatches::views(snap, &recon.mismatches).unwrap();
    let open = |m: &closedesk::reconcile::Mismatch| {
        let v = views.iter().find(|v| v.key == m.key)?;
        v.is_open().then_some(v.corrected_variance)
    };
    let progress = closedesk::summary::Checklist::of(&snap.workflow().checklist().unwrap());
    let summary = closedesk::summary::Summary::new(&recon.overview(), open, progress, date("2026-04-02"));
    (summary.mismatches.open, summary.variance_usd)
}

#[test]
fn an_accepted_correction_is_reversed_by_a_reviewer_or_lead_with_a_reason() {
    let (_d, snap) = setup();
    let recon = recon();
    let (olive, rita, lena) = (actor(&snap, "olive"), actor(&snap, "rita"), actor(&snap, "lena"));
    mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();
    mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(-100, Side::Expected))
        .unwrap();
    mismatches::on(&snap, &rita, &recon, GL)
        .accept(Some(1), Some("ties to CR-0010"))
        .unwrap();
    assert_eq!(view(&snap, &recon, GL).status, MismatchStatus::Resolved);
    assert_eq!(summary_of(&snap, &recon), (2, Money::from_cents(452 + 60_000)));
    // Resolved: the correction still waiting is sent back, not accepted on top (it was, and
    // moved the variance off 0.00 again; the cockpit already said no).
    let r = mismatches::on(&snap, &lena, &recon, GL)
        .accept(Some(2), None)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "exports:GL-2026-03:ar-total is resolved: its corrected variance is 0.00; a correction still waiting \
         is sent back (or reverse an accepted one first)"
    );
    assert_eq!(view(&snap, &recon, GL).status, MismatchStatus::Resolved);

    // Who may: a reviewer or lead; an operator and a login off the roster are told why.
    let r = mismatches::on(&snap, &olive, &recon, GL)
        .reverse(1, REVERSAL)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "reversing a correction needs a reviewer or lead; olive is an operator"
    );
    let r = mismatches::on(&snap, &actor(&snap, "mallory"), &recon, GL)
        .reverse(1, REVERSAL)
        .unwrap_err();
    assert!(matches!(r, Refusal::ReadOnly { .. }), "{r:?}");
    // A reason, as a waiver's: at least 20 characters besides whitespace.
    let r = mismatches::on(&snap, &rita, &recon, GL)
        .reverse(1, "   wrong   ")
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "a reversal needs a reason of at least 20 characters (this one has 5): say why, for the audit trail"
    );
    // Only an accepted correction.
    let r = mismatches::on(&snap, &rita, &recon, GL)
        .reverse(2, REVERSAL)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "correction #2 on exports:GL-2026-03:ar-total is proposed, not accepted: only an accepted \
         correction can be reversed"
    );
    let r = mismatches::on(&snap, &rita, &recon, GL)
        .reverse(9, REVERSAL)
        .unwrap_err();
    assert_eq!(r.to_string(), "no correction #9 on exports:GL-2026-03:ar-total");

    let log_before = snap.workflow().audit_log().unwrap();
    let receipt = mismatches::on(&snap, &lena, &recon, GL)
        .reverse(1, REVERSAL)
        .unwrap();

    // The overlay drops it: the variance after corrections is the raw one again, and the
    // status is what the rest gives — #2 still awaits a decision.
    let v = view(&snap, &recon, GL);
    assert_eq!(v.corrected_variance, Money::from_cents(-975));
    assert_eq!(v.status, MismatchStatus::InCorrection);
    assert_eq!(
        summary_of(&snap, &recon),
        (3, Money::from_cents(975 + 452 + 60_000))
    );
    let c = &v.corrections[0];
    assert_eq!(c.status.to_string(), "reversed");
    assert_eq!(
        (c.row.decided_by.as_deref(), c.row.decision_note.as_deref()),
        (Some("rita"), Some("ties to CR-0010")),
        "the acceptance is kept"
    );
    assert_eq!(c.row.reversed_by.as_deref(), Some("lena"));
    assert_eq!(c.row.reversal_reason.as_deref(), Some(REVERSAL));
    let at = c.row.reversed_at.clone().unwrap();
    assert_eq!(
        c.reversal().unwrap(),
        format!("reversed by lena at {at}: {REVERSAL}")
    );

    // One new audit row, in the same transaction; the rows before it are untouched.
    let log = snap.workflow().audit_log().unwrap();
    assert_eq!(log[..log_before.len()], log_before[..]);
    assert_eq!(log.len(), log_before.len() + 1);
    let row = log.last().unwrap();
    assert_eq!((row.seq, row.hash.as_str()), (receipt.seq, receipt.hash.as_str()));
    assert_eq!(
        (
            row.actor.as_str(),
            row.action.as_str(),
            row.target.as_str(),
            row.text.as_deref()
        ),
        (
            "lena",
            "mismatch.reverse",
            "mismatch:exports:GL-2026-03:ar-total",
            Some(REVERSAL)
        )
    );
    let entry = &mismatches::detail(&snap, &recon, GL)
        .unwrap()
        .trail
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        entry.changes,
        [
            "mismatch:exports:GL-2026-03:ar-total status: resolved → in_correction".to_string(),
            "annotation:1 correction_status: accepted → reversed".to_string(),
            format!("annotation:1 reversed by lena at {at}: {REVERSAL}"),
        ]
    );

    // A reversed correction stays reversed: it cannot be accepted, nor reversed, again.
    let r = mismatches::on(&snap, &lena, &recon, GL)
        .accept(Some(1), None)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        format!(
            "correction #1 on exports:GL-2026-03:ar-total was already reversed by lena at {at}: a \
             reversed correction stays reversed; propose a new one"
        )
    );
    let r = mismatches::on(&snap, &rita, &recon, GL)
        .reverse(1, REVERSAL)
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        format!(
            "correction #1 on exports:GL-2026-03:ar-total was already reversed by lena at {at}: {REVERSAL}"
        )
    );
    // With #2 rejected nothing waits: open. A new correction can be proposed and accepted.
    mismatches::on(&snap, &rita, &recon, GL)
        .reject(Some(2), Some("not this one"))
        .unwrap();
    assert_eq!(view(&snap, &recon, GL).status, MismatchStatus::Open);
    mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();
    mismatches::on(&snap, &rita, &recon, GL)
        .accept(Some(3), None)
        .unwrap();
    assert_eq!(view(&snap, &recon, GL).status, MismatchStatus::Resolved);
    let report = audit::verify_with(&snap, &|_| Ok(recon.clone()), None).unwrap();
    assert!(report.ok, "{report:#?}");
}

#[test]
fn a_reversal_reopens_a_resolved_or_waived_mismatch_and_is_refused_when_signed_off() {
    let (_d, snap) = setup();
    let recon = recon();
    let (olive, rita) = (actor(&snap, "olive"), actor(&snap, "rita"));
    // Statement: +4.52, a partial correction accepted, the rest waived.
    mismatches::on(&snap, &olive, &recon, STATEMENT)
        .propose(&proposal(-400, Side::Actual))
        .unwrap();
    mismatches::on(&snap, &rita, &recon, STATEMENT)
        .accept(None, None)
        .unwrap();
    mismatches::on(&snap, &rita, &recon, STATEMENT)
        .waive(WAIVER)
        .unwrap();
    assert_eq!(view(&snap, &recon, STATEMENT).status, MismatchStatus::Waived);
    mismatches::on(&snap, &rita, &recon, STATEMENT)
        .reverse(1, REVERSAL)
        .unwrap();
    let v = view(&snap, &recon, STATEMENT);
    assert_eq!(
        (v.status, v.corrected_variance),
        (MismatchStatus::Open, Money::from_cents(452)),
        "the waiver was of the variance with the correction: it lapses"
    );

    // GL resolved by a correction, the rest waived, every item done, signed off.
    mismatches::on(&snap, &olive, &recon, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();
    mismatches::on(&snap, &rita, &recon, GL)
        .accept(None, None)
        .unwrap();
    let id = view(&snap, &recon, GL).corrections[0].row.id;
    for key in [STATEMENT, LEDGER] {
        mismatches::on(&snap, &rita, &recon, key).waive(WAIVER).unwrap();
    }
    all_done(&snap, &recon, "olive", "oscar");
    sign(&snap, "lena", &recon).unwrap();
    let before = snap.workflow().audit_log().unwrap();
    let r = mismatches::on(&snap, &rita, &recon, GL)
        .reverse(id, REVERSAL)
        .unwrap_err();
    let note = mismatches::on(&snap, &rita, &recon, GL)
        .note("a note")
        .unwrap_err();
    assert!(matches!(r, Refusal::Locked { .. }), "{r:?}");
    assert_eq!(
        r.to_string(),
        note.to_string(),
        "the same message as every other write"
    );
    assert!(
        r.to_string().starts_with("the period is signed off by lena at "),
        "{r}"
    );
    assert_eq!(snap.workflow().audit_log().unwrap(), before, "nothing written");
    assert_eq!(view(&snap, &recon, GL).status, MismatchStatus::Resolved);
}

// Sign-off and the lock ---------------------------------------------------------------------------

#[test]
fn sign_off_lists_every_precondition_with_its_state() {
    let (_d, snap) = setup();
    let recon = recon();
    checklist::set(
        &snap,
        &actor(&snap, "olive"),
        &recon,
        1,
        ItemStatus::Done,
        None,
        None,
    )
    .unwrap();
    mismatches::on(&snap, &actor(&snap, "olive"), &recon, GL)
        .propose(&proposal(100, Side::Actual))
        .unwrap();
    let r = sign(&snap, "lena", &recon).unwrap_err();
    let Refusal::SignOff(list) = &r else {
        panic!("{r:?}")
    };
    let lines: Vec<String> = list.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        lines,
        [
            "[ok]      the period is open: open",
            "[ok]      the workflow tables match the audit log: they match",
            "[not met] all eight checklist items done: 1 of 8 done; not done: 2 (pending), 3 (pending), \
             4 (pending), 5 (pending), 6 (pending), 7 (pending), 8 (pending)",
            "[not met] no mismatch open or in_correction: 3 open: exports:GL-2026-03:ar-total (in_correction), \
             employer_programs:STM-1:statement-total (open), ledger:ACC-1:roll-forward (open)",
            "[not met] no correction awaiting a decision: 1 awaiting: #1 on exports:GL-2026-03:ar-total \
             (accept or reject each)",
            "[ok]      the signer is a lead: lena is a lead",
            "[ok]      four-eyes: the signer marked at most 4 of the 8 items done: lena marked no item done",
        ]
    );
    assert!(r
        .to_string()
        .starts_with("cannot sign off: not every precondition is met\n  [ok]"));
    assert_eq!(snap.period().unwrap().status, PeriodStatus::Open);
}

#[test]
fn each_precondition_alone_refuses_the_sign_off() {
    // Items not all done.
    let (_d, snap) = setup();
    let recon = recon();
    settle(&snap, &recon);
    for item in 1..=7u8 {
        checklist::set(
            &snap,
            &actor(&snap, "olive"),
            &recon,
            item,
            ItemStatus::Done,
            None,
            None,
        )
        .unwrap();
    }
    assert!(sign(&snap, "lena", &recon)
        .unwrap_err()
        .to_string()
        .contains("[not met] all eight"));

    // One mismatch open, one in correction.
    let (_d, snap) = setup();
    all_done(&snap, &recon_with(vec![]), "olive", "oscar");
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, LEDGER)
        .waive(WAIVER)
        .unwrap();
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, STATEMENT)
        .waive(WAIVER)
        .unwrap();
    let r = sign(&snap, "lena", &recon).unwrap_err().to_string();
    assert!(
        r.contains("[not met] no mismatch open or in_correction: 1 open: exports:GL-2026-03:ar-total (open)"),
        "{r}"
    );
    mismatches::on(&snap, &actor(&snap, "olive"), &recon, GL)
        .propose(&proposal(100, Side::Actual))
        .unwrap();
    let r = sign(&snap, "lena", &recon).unwrap_err().to_string();
    assert!(r.contains("exports:GL-2026-03:ar-total (in_correction)"), "{r}");
    // Resolved by a correction: signable.
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, GL)
        .reject(None, None)
        .unwrap();
    mismatches::on(&snap, &actor(&snap, "olive"), &recon, GL)
        .propose(&proposal(975, Side::Actual))
        .unwrap();
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, GL)
        .accept(None, None)
        .unwrap();
    // Not a lead.
    let r = sign(&snap, "rita", &recon).unwrap_err().to_string();
    assert!(
        r.contains("[not met] the signer is a lead: rita is a reviewer"),
        "{r}"
    );
    let r = sign(&snap, "olive", &recon).unwrap_err().to_string();
    assert!(
        r.contains("[not met] the signer is a lead: olive is an operator"),
        "{r}"
    );
    sign(&snap, "lena", &recon).unwrap();
    // Already signed off.
    let r = sign(&snap, "leo", &recon).unwrap_err();
    assert!(matches!(r, Refusal::Locked { .. }), "{r:?}");
}

#[test]
fn sign_off_stores_digest_and_head_locks_and_moves_the_last_clean_close() {
    let (_d, snap) = setup();
    let recon = recon();
    settle(&snap, &recon);
    all_done(&snap, &recon, "olive", "oscar");
    let (len, head) = snap.workflow().audit_head().unwrap();
    let done = sign(&snap, "lena", &recon).unwrap();
    assert_eq!(done.signoff.audit_len, len);
    assert_eq!(done.signoff.audit_head, head);
    assert_eq!(done.receipt.seq, len + 1);
    assert_eq!(done.signoff.digest, signoff::digest(&snap, &recon).unwrap());
    assert_eq!(done.signoff.digest.len(), 64);
    assert_eq!(done.signoff.comment.as_deref(), Some("March close"));
    let period = snap.period().unwrap();
    assert_eq!(period.status, PeriodStatus::SignedOff);
    assert_eq!(period.last_clean_period.as_deref(), Some("2026-03"));
    assert_eq!(
        period.last_clean_date.unwrap().to_string(),
        &done.signoff.signed_at[..10]
    );

    // Every workflow action is now refused as locked.
    let olive = actor(&snap, "olive");
    let r = mismatches::on(&snap, &olive, &recon, GL)
        .note("late note")
        .unwrap_err();
    assert!(
        r.to_string().starts_with("the period is signed off by lena at "),
        "{r}"
    );
    assert!(r.to_string().ends_with(
        "a lead can lift the lock with `closedesk reopen --reason TEXT` (in the cockpit: 6, then R)"
    ));
    assert!(matches!(
        checklist::set(&snap, &olive, &recon, 1, ItemStatus::Pending, None, None),
        Err(Refusal::Locked { .. })
    ));

    // The digest changes with the figures.
    let mut other = recon.clone();
    other.headline.closing_ar = Money::from_cents(1);
    assert_ne!(signoff::digest(&snap, &other).unwrap(), done.signoff.digest);
}

#[test]
fn reopen_needs_a_lead_and_a_reason_and_lifts_the_lock() {
    let (_d, snap) = setup();
    let recon = recon();
    settle(&snap, &recon);
    all_done(&snap, &recon, "olive", "oscar");
    let lena = actor(&snap, "lena");
    let r = signoff::reopen(&snap, &lena, REOPEN).unwrap_err();
    assert_eq!(
        r.to_string(),
        "the period is not signed off: there is nothing to reopen"
    );
    sign(&snap, "lena", &recon).unwrap();
    let r = signoff::reopen(&snap, &lena, "   short   ").unwrap_err();
    assert!(r
        .to_string()
        .starts_with("reopening the period needs a reason of at least 20 characters"));
    let r = signoff::reopen(&snap, &actor(&snap, "olive"), REOPEN).unwrap_err();
    assert!(matches!(r, Refusal::Role { .. }));
    signoff::reopen(&snap, &actor(&snap, "leo"), REOPEN).unwrap();
    assert_eq!(snap.period().unwrap().status, PeriodStatus::Open);
    let s = snap.workflow().latest_signoff().unwrap().unwrap();
    assert_eq!(s.reopened_by.as_deref(), Some("leo"));
    assert_eq!(s.reopen_reason.as_deref(), Some(REOPEN));
    // Writable again, and audited.
    checklist::set(
        &snap,
        &actor(&snap, "olive"),
        &recon,
        8,
        ItemStatus::InProgress,
        None,
        None,
    )
    .unwrap();
    let log = snap.workflow().audit_log().unwrap();
    let actions: Vec<&str> = log.iter().rev().take(3).map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["checklist.set", "reopen", "signoff"]);
    // Sign again: a second sign-off row.
    checklist::set(
        &snap,
        &actor(&snap, "olive"),
        &recon,
        8,
        ItemStatus::Done,
        None,
        None,
    )
    .unwrap();
    sign(&snap, "leo", &recon).unwrap();
    assert_eq!(snap.workflow().signoffs().unwrap().len(), 2);
    let report = audit::verify_with(&snap, &|_| Ok(recon.clone()), None).unwrap();
    assert!(report.ok, "{report:#?}");
}

/// The lock is in the database: triggers refuse writes to every source and workflow table,
/// also from a connection opened before the sign-off.
#[test]
fn the_lock_holds_for_a_connection_opened_before_sign_off() {
    let (dir, snap) = setup();
    let recon = recon();
    let early = rusqlite::Connection::open(dir.path().join("p.db")).unwrap();
    let early_snapshot = Snapshot::open(&dir.path().join("p.db")).unwrap();
    settle(&snap, &recon);
    all_done(&snap, &recon, "olive", "oscar");
    sign(&snap, "lena", &recon).unwrap();

    let writes = [
        "UPDATE checklist SET status = 'pending' WHERE item = 1",
        "INSERT INTO annotations (target_kind, target, kind, author, created_at, text) \
         VALUES ('mismatch', 'k', 'note', 'x', 't', 'late')",
        "DELETE FROM annotations",
        "UPDATE mismatch_state SET status = 'open'",
        "DELETE FROM mismatch_state",
        "UPDATE signoffs SET digest = 'x'",
        "DELETE FROM signoffs",
        "INSERT INTO roster (login, display_name, role) VALUES ('eve', 'Eve', 'lead')",
        "UPDATE roster SET role = 'lead'",
        "DELETE FROM accounts",
        "UPDATE period SET window_end = '2026-04-30'",
        "UPDATE period SET status = 'open', last_clean_period = NULL",
        "DELETE FROM period",
        "UPDATE audit_log SET text = 'x'",
        "DELETE FROM audit_log",
    ];
    for sql in writes {
        let e = early.execute(sql, []).unwrap_err().to_string();
        assert!(
            e.contains("period is signed off: locked") || e.contains("audit_log is append-only"),
            "{sql}: {e}"
        );
    }
    // Every source and workflow table except the period and the audit log has the triggers.
    for table in closedesk::snapshot::schema::SOURCE_TABLES
        .iter()
        .chain(closedesk::snapshot::schema::WORKFLOW_TABLES)
        .filter(|t| !matches!(**t, "period" | "audit_log"))
    {
        let e = early
            .execute(&format!("INSERT INTO {table} DEFAULT VALUES"), [])
            .unwrap_err()
            .to_string();
        assert!(e.contains("period is signed off: locked"), "{table}: {e}");
    }
    // Through the library, from a session opened before the sign-off.
    let r = mismatches::on(&early_snapshot, &actor(&early_snapshot, "olive"), &recon, GL)
        .note("late")
        .unwrap_err();
    assert!(matches!(r, Refusal::Locked { .. }), "{r:?}");
    assert_eq!(snap.period().unwrap().status, PeriodStatus::SignedOff);
}

#[test]
fn summary_counts_use_the_workflow_state_and_the_corrected_variance() {
    let (_d, snap) = setup();
    let recon = recon();
    mismatches::on(&snap, &actor(&snap, "olive"), &recon, GL)
        .propose(&proposal(500, Side::Actual))
        .unwrap();
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, GL)
        .accept(None, None)
        .unwrap();
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, LEDGER)
        .waive(WAIVER)
        .unwrap();
    let views = mismatches::views(&snap, &recon.mismatches).unwrap();
    let open = |m: &closedesk::reconcile::Mismatch| {
        let v = views.iter().find(|v| v.key == m.key)?;
        v.is_open().then_some(v.corrected_variance)
    };
    let progress = closedesk::summary::Checklist::of(&snap.workflow().checklist().unwrap());
    let summary = closedesk::summary::Summary::new(&recon.overview(), open, progress, date("2026-04-02"));
    // GL open with 4.75 left after a 5.00 correction; statement open 4.52; ledger waived.
    assert_eq!(summary.mismatches.open, 2);
    assert_eq!(summary.variance_usd, Money::from_cents(475 + 452));
    assert_eq!(summary.status, "needs_review");
}

/// Issue 12.3: no statement of plain SQL lifts the lock or changes a signed-off period —
/// INSERT, INSERT OR REPLACE, REPLACE, UPDATE, DELETE and UPSERT on every table, a second
/// period row that would hide the signed-off one, and rewrites of the audit log.
#[test]
fn plain_sql_cannot_lift_the_lock_or_change_a_signed_off_period() {
    use closedesk::snapshot::schema::{IMPORT_TABLES, SOURCE_TABLES, WORKFLOW_TABLES};
    let (dir, snap) = setup();
    let recon = recon();
    settle(&snap, &recon);
    all_done(&snap, &recon, "olive", "oscar");
    sign(&snap, "lena", &recon).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("p.db")).unwrap();
    let dump = |conn: &rusqlite::Connection| -> Vec<String> {
        let mut out = Vec::new();
        for table in SOURCE_TABLES.iter().chain(WORKFLOW_TABLES).chain(IMPORT_TABLES) {
            let mut st = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
                .unwrap();
            let n = st.column_count();
            let mut rows = st.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                let cells: Vec<String> = (0..n).map(|i| format!("{:?}", row.get_ref(i).unwrap())).collect();
                out.push(format!("{table}: {}", cells.join(", ")));
            }
        }
        out
    };
    let before = dump(&conn);

    let mut statements = Vec::new();
    for table in SOURCE_TABLES.iter().chain(WORKFLOW_TABLES).chain(IMPORT_TABLES) {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        // A copy of an existing row (so every conflict is real), or a row of NULLs.
        let row = if rows > 0 {
            format!("SELECT * FROM {table} WHERE true LIMIT 1")
        } else {
            format!("VALUES ({})", vec!["NULL"; columns.len()].join(", "))
        };
        let (first, last) = (&columns[0], &columns[columns.len() - 1]);
        statements.extend([
            format!("INSERT INTO {table} {row}"),
            format!("INSERT OR REPLACE INTO {table} {row}"),
            format!("REPLACE INTO {table} {row}"),
            format!("INSERT INTO {table} {row} ON CONFLICT DO UPDATE SET {last} = excluded.{last}"),
        ]);
        // An update or delete of an empty table changes nothing (and fires no trigger).
        if rows > 0 {
            statements.extend([
                format!("UPDATE {table} SET {first} = {first}"),
                format!("UPDATE OR REPLACE {table} SET rowid = rowid + 1000"),
                format!("DELETE FROM {table}"),
            ]);
        }
    }
    // The period row "replaced" by an open one, directly and as an upsert, and a second
    // row that would come first by rowid.
    let period_columns = "id, entity, window_start, window_end, currency, close_owner, \
         materiality_medium_cents, materiality_high_cents, materiality_critical_cents";
    statements.extend([
        format!("INSERT OR REPLACE INTO period ({period_columns}, status) SELECT {period_columns}, 'open' FROM period"),
        format!(
            "INSERT INTO period ({period_columns}, status) SELECT {period_columns}, 'open' FROM period WHERE true \
             ON CONFLICT (id) DO UPDATE SET status = 'open'"
        ),
        format!(
            "INSERT INTO period (rowid, {period_columns}, status) SELECT -1, 'other', entity, window_start, \
             window_end, currency, close_owner, 1, 2, 3, 'open' FROM period"
        ),
        "INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE seq = 1".to_string(),
        "INSERT INTO audit_log (seq, at, actor, action, target, prev_hash, hash) \
         SELECT max(seq) + 5, 't', 'eve', 'x', 'y', 'p', 'h' FROM audit_log"
            .to_string(),
        "INSERT INTO audit_log (seq, at, actor, action, target, prev_hash, hash) \
         SELECT max(seq) + 1, 't', 'eve', 'x', 'y', 'not the head', 'h' FROM audit_log"
            .to_string(),
    ]);
    for sql in &statements {
        let e = conn
            .execute(sql, [])
            .expect_err(&format!("accepted after sign-off: {sql}"))
            .to_string();
        assert!(
            e.contains("period is signed off: locked")
                || e.contains("append-only")
                || e.contains("exactly one period row")
                || e.contains("written by import only"),
            "{sql}: {e}"
        );
    }
    assert_eq!(dump(&conn), before, "a refused statement changed nothing");
    // With the lock in place, a write of the workflow through the library is refused too.
    assert!(snap.workflow().period_state().unwrap().status == PeriodStatus::SignedOff);
    let report = audit::verify_with(&snap, &|_| Ok(recon.clone()), None).unwrap();
    assert!(report.ok, "{report:#?}");
}

// An action costs what it changes -------------------------------------------------------------------

#[test]
fn an_action_on_one_of_many_mismatches_writes_its_state_alone() {
    let (_d, snap) = setup();
    // 500 mismatches: the three of `recon()` and 497 more.
    let mut many = recon().mismatches;
    for i in 0..497 {
        many.push(mismatch(
            &format!("exports:GL-{i:04}:ar-total"),
            Lane::Exports,
            Severity::Low,
            1_000,
            1_001,
        ));
    }
    let recon = recon_with(many);
    let olive = actor(&snap, "olive");
    mismatches::on(&snap, &olive, &recon, GL)
        .note("chasing the GL export")
        .unwrap();
    let read = snap.workflow();
    let states = read.mismatch_states().unwrap();
    assert_eq!(states.len(), 1, "one state row, not one per mismatch");
    assert_eq!(states[0].key, GL);
    assert_eq!(states[0].version, 1);
    let log: Vec<String> = read.audit_log().unwrap().into_iter().map(|r| r.action).collect();
    assert_eq!(log, ["mismatch.seen", "mismatch.note"]);
    // The others show as before any action: open, version 0, not seen yet.
    let other = view(&snap, &recon, "exports:GL-0007:ar-total");
    assert_eq!(other.status, MismatchStatus::Open);
    assert_eq!((other.version, other.first_seen.as_deref()), (0, None));
    // `view` (by key) is the same view as `views` gives.
    assert_eq!(
        mismatches::view(&snap, &recon, GL).unwrap(),
        view(&snap, &recon, GL)
    );
    assert_eq!(
        mismatches::view(&snap, &recon, "exports:GL-0007:ar-total").unwrap(),
        other
    );
    let r = mismatches::view(&snap, &recon, "exports:NOPE:ar-total").unwrap_err();
    assert!(matches!(r, Refusal::NotFound(_)), "{r:?}");
    // A second action on another mismatch adds its row and no other.
    mismatches::on(&snap, &olive, &recon, "exports:GL-0042:ar-total")
        .assign("gl-team")
        .unwrap();
    assert_eq!(snap.workflow().mismatch_states().unwrap().len(), 2);
    let report = audit::verify_with(&snap, &|_| Ok(recon.clone()), None).unwrap();
    assert!(report.ok, "{report:#?}");
}

#[test]
fn the_sign_off_precondition_names_the_first_twenty_open_mismatches_and_counts_the_rest() {
    let (_d, snap) = setup();
    let many: Vec<_> = (0..25)
        .map(|i| {
            mismatch(
                &format!("exports:GL-{i:02}:ar-total"),
                Lane::Exports,
                Severity::Low,
                1_000,
                1_001,
            )
        })
        .collect();
    let p = signoff::preconditions(&snap, &actor(&snap, "lena"), &many).unwrap();
    let open = p
        .iter()
        .find(|p| p.rule == "no mismatch open or in_correction")
        .unwrap();
    assert!(!open.met);
    let named: Vec<String> = (0..20)
        .map(|i| format!("exports:GL-{i:02}:ar-total (open)"))
        .collect();
    assert_eq!(open.state, format!("25 open: {}, and 5 more", named.join(", ")));
}
