//! State tests (key sequences → app state and requests) and screen snapshots at 80x24
//! (`snapshots/`, reviewed with `cargo insta`); tests only.

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;

use super::app::{Action, App, View, SAVING};
use super::data::LaneEntry;
use super::data::{Request, Response, WriteOp};
use super::fixture;
use super::theme::Theme;
use super::views;
use super::views::editor::{Discard, Purpose};
use super::views::mismatch_detail::DetailPane;
use crate::snapshot::model::{AnnotationKind, BatchKind, TargetKind, UsageKind, UsageState};
use crate::snapshot::model::{ItemStatus, Lane, MismatchStatus, PeriodStatus, Role, Severity, Side};
use crate::snapshot::pages::{Direction, ExportLineRow, LaneRow, LaneTable, UsageRow};
use crate::snapshot::workflow::{AnnotationRow, AuditRow};
use crate::workflow::audit::Entry;

fn app_as(login: &str, role: Option<Role>) -> App {
    let mut app = App::new();
    assert_eq!(app.start(), vec![Request::Load]);
    app.on_response(Response::Loaded(Box::new(fixture::loaded(login, role))));
    app.updated_at = Some("09:30:00".into());
    app
}

/// A lead of the fixture period with every sign-off precondition met (as last read).
fn lead_ready() -> App {
    let mut app = app_as("lena", Some(Role::Lead));
    ready(&mut app);
    app
}

/// Every sign-off precondition of the loaded period marked met.
fn ready(app: &mut App) {
    for p in &mut app.data.as_mut().unwrap().preconditions {
        p.0 = true;
        p.2 = "met".into();
    }
}

fn operator() -> App {
    app_as("olga", Some(Role::Operator))
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// The message under the open editor.
fn editor_error(app: &App) -> &str {
    let ed = app.editor.as_ref().expect("the editor is open");
    ed.error.as_deref().unwrap_or("")
}

/// Presses keys; returns every request made.
fn press(app: &mut App, keys: &[KeyEvent]) -> Vec<Request> {
    keys.iter().flat_map(|k| app.on_key(*k)).collect()
}

fn typed(app: &mut App, text: &str) -> Vec<Request> {
    text.chars().flat_map(|c| app.on_key(key(c))).collect()
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app, &Theme::mono())).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Fails, showing the whole screen, unless `text` is on it.
fn assert_shows(screen: &str, text: &str) {
    assert!(screen.contains(text), "{text:?} is not on the screen:\n{screen}");
}

/// One note, as stored: rita's on the GL export batch.
fn trail() -> Vec<AnnotationRow> {
    vec![rita_note(
        1,
        "Credit memo CM-77 posted after the export ran.\nAsked GL ops to re-run.",
    )]
}

/// A note of rita's on the GL export batch, as stored with `id`.
fn rita_note(id: i64, text: &str) -> AnnotationRow {
    let rita = fixture::loaded("rita", Some(Role::Operator)).actor;
    AnnotationRow {
        id,
        ..crate::workflow::mismatches::new_annotation(
            TargetKind::Mismatch,
            "exports:batch:EXP-2026-03-GL",
            AnnotationKind::Note,
            &rita,
            "2026-04-02T10:15:00Z",
            text,
        )
    }
}

/// The trail of the open mismatch's detail: [`trail`].
fn detail_trail(app: &App) -> Response {
    Response::Trail {
        kind: TargetKind::Mismatch,
        target: app.detail.key.clone(),
        rows: trail(),
    }
}

/// The request for the usage lane's page after `cursor` (empty: the first page).
fn usage_request(cursor: String) -> Request {
    Request::LanePage {
        lane: LaneTable::Usage,
        cursor,
        direction: Direction::Forward { inclusive: false },
    }
}

/// The usage lane's page after `cursor` (empty: the first page).
fn usage_page(cursor: String, rows: Vec<LaneEntry>) -> Response {
    Response::LanePage {
        lane: LaneTable::Usage,
        cursor,
        direction: Direction::Forward { inclusive: false },
        rows,
    }
}

fn page(prefix: &str, from: usize, n: usize) -> Vec<LaneEntry> {
    (from..from + n)
        .map(|i| LaneEntry {
            row: LaneRow::Usage(UsageRow {
                id: format!("{prefix}-{i:06}"),
                account: Some("Brightwater Clinics".into()),
                kind: UsageKind::Report,
                occurred_at: "2026-03-02T10:00:00Z".into(),
                units: 1,
                rated: Some(crate::money::Money::from_cents(100)),
                state: UsageState::Rated,
                invoice_line: Some("L-2001".into()),
            }),
            schedule: None,
        })
        .collect()
}

fn export_page(prefix: &str, from: usize, n: usize) -> Vec<LaneEntry> {
    (from..from + n)
        .map(|i| LaneEntry {
            row: LaneRow::Exports(ExportLineRow {
                id: format!("{prefix}-{i:06}"),
                batch: prefix.into(),
                batch_kind: Some(BatchKind::Gl),
                account: Some("Brightwater Clinics".into()),
                invoice: None,
                amount: crate::money::Money::from_cents(100),
            }),
            schedule: None,
        })
        .collect()
}

// ---- state tests ----------------------------------------------------------------------

#[test]
fn only_key_presses_count() {
    let mut app = operator();
    let mut release = key('2');
    release.kind = KeyEventKind::Release;
    assert!(app.on_key(release).is_empty());
    assert_eq!(app.view, View::Overview);
    let mut repeat = key('q');
    repeat.kind = KeyEventKind::Repeat;
    app.on_key(repeat);
    assert!(!app.quit);
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut app = operator();
    press(&mut app, &[key('q')]);
    assert!(app.quit);
    let mut app = operator();
    press(&mut app, &[ctrl('c')]);
    assert!(app.quit);
}

#[test]
fn one_key_per_view_from_anywhere_and_esc_goes_back() {
    let mut app = operator();
    for (k, v) in [
        ('2', View::Mismatches),
        ('3', View::Checklist),
        ('4', View::Lanes),
        ('5', View::Audit),
        ('6', View::SignOff),
        ('1', View::Overview),
    ] {
        press(&mut app, &[key(k)]);
        assert_eq!(app.view, v);
    }
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.view, View::SignOff);
}

#[test]
fn overview_enter_opens_most_severe_mismatch() {
    let mut app = operator();
    let reqs = press(&mut app, &[code(KeyCode::Enter)]);
    assert_eq!(app.view, View::Detail);
    assert_eq!(app.detail.key, "exports:GL-2026-03:ar-total");
    assert_eq!(
        reqs,
        vec![Request::Trail {
            kind: TargetKind::Mismatch,
            target: "exports:GL-2026-03:ar-total".into()
        }]
    );
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.view, View::Overview);
    press(&mut app, &[key('j'), code(KeyCode::Enter)]);
    assert_eq!(
        app.detail.key,
        "employer_programs:PS-ACME-2026-03:statement-total"
    );
}

#[test]
fn mismatches_navigate_sort_and_filter() {
    let mut app = operator();
    press(&mut app, &[key('2')]);
    assert_eq!(app.visible_items().len(), 2);
    assert_eq!(app.mismatch_index(), 0);
    press(&mut app, &[key('j')]);
    assert_eq!(app.mismatch_index(), 1);
    press(&mut app, &[key('G'), key('g')]);
    assert_eq!(app.mismatch_index(), 0);
    // Sort by lane as the table names it: exports before programs (not by the stored
    // word, employer_programs); the selection follows its row.
    press(&mut app, &[key('j'), key('s')]);
    let keys: Vec<&str> = app
        .visible_items()
        .iter()
        .map(|i| views::overview::lane_short(i.mismatch.lane))
        .collect();
    assert_eq!(keys, ["exports", "programs"]);
    assert_eq!(app.mismatch_index(), 1);
    assert_shows(&screen(&mut app, 80, 24), "2 of 2 shown · sort lane\n");
    press(&mut app, &[key('S')]);
    assert_eq!(app.visible_items()[0].mismatch.lane, Lane::EmployerPrograms);
    // Said in words: an arrow read "ascending" on a descending lane sort.
    assert_shows(&screen(&mut app, 80, 24), "sort lane (reversed)");
    // Text filter.
    press(&mut app, &[key('/')]);
    assert!(app.mismatches.typing);
    typed(&mut app, "acme");
    press(&mut app, &[code(KeyCode::Enter)]);
    assert!(!app.mismatches.typing);
    assert_eq!(app.visible_items().len(), 1);
    assert_eq!(app.visible_items()[0].mismatch.severity, Severity::Low);
    // q while typing a filter is text, not quit.
    press(&mut app, &[key('/'), key('q')]);
    assert!(!app.quit);
    assert_eq!(app.mismatches.filter, "acmeq");
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.mismatches.filter, "");
    // Quick filters.
    press(&mut app, &[key('L')]);
    assert_eq!(app.mismatches.quick.lane, Some(Lane::Exports));
    assert_eq!(app.visible_items().len(), 1);
    press(&mut app, &[key('x'), key('V')]);
    assert_eq!(app.mismatches.quick.severity, Some(Severity::Critical));
    assert_eq!(app.visible_items().len(), 0);
    press(&mut app, &[key('V'), key('V')]);
    assert_eq!(app.mismatches.quick.severity, Some(Severity::Medium));
    assert_eq!(app.visible_items().len(), 1);
    press(&mut app, &[key('x'), key('O')]);
    assert_eq!(
        app.mismatches.quick.owner.as_deref(),
        Some("gl-ops@northstar.example")
    );
    press(&mut app, &[key('x'), key('T'), key('T')]);
    assert_eq!(app.mismatches.quick.status, Some(MismatchStatus::InCorrection));
    assert_eq!(app.visible_items().len(), 0);
    press(&mut app, &[key('x')]);
    assert_eq!(app.visible_items().len(), 2);
}

/// A trail longer than its pane scrolls by the lines drawn (an entry wraps over several) to
/// its very end at 80x24, and never past it: the last entry's text can be read.
#[test]
fn a_long_trail_scrolls_to_its_last_line_and_no_further() {
    let mut app = operator();
    press(&mut app, &[key('2'), code(KeyCode::Enter)]);
    let rows: Vec<AnnotationRow> = (1..=6)
        .map(|n| {
            rita_note(
                n,
                &format!("Note {n}: the batch was re-run by GL operations and checked against the ledger."),
            )
        })
        .collect();
    let target = app.detail.key.clone();
    app.on_response(Response::Trail {
        kind: TargetKind::Mismatch,
        target,
        rows,
    });
    let first = screen(&mut app, 80, 24);
    assert!(!first.contains("Note 6"), "the trail fits already:\n{first}");
    press(&mut app, &[key('l'), key('G')]);
    let end = screen(&mut app, 80, 24);
    assert_shows(&end, "checked against the");
    assert_shows(&end, "Note 6");
    // Down at the end moves nothing; up moves back one line.
    let at_end = app.detail.trail_scroll;
    assert!(at_end > 5, "scrolled by lines, not entries: {at_end}");
    press(&mut app, &[key('j'), key('j')]);
    screen(&mut app, 80, 24);
    assert_eq!(app.detail.trail_scroll, at_end);
    press(&mut app, &[key('k')]);
    assert_eq!(app.detail.trail_scroll, at_end - 1);
    // At 120x40 the whole trail fits: the scroll goes back to its top.
    let tall = screen(&mut app, 120, 40);
    assert_eq!(app.detail.trail_scroll, 0);
    assert_shows(&tall, "Note 1");
}

#[test]
fn detail_panes_sources_and_lane_drill() {
    let mut app = operator();
    press(&mut app, &[key('2'), code(KeyCode::Enter)]);
    app.on_response(detail_trail(&app));
    assert_eq!(app.detail.pane, DetailPane::Sources);
    press(&mut app, &[key('j')]);
    assert_eq!(app.detail.source, 1);
    let reqs = press(&mut app, &[code(KeyCode::Enter)]);
    assert_eq!(
        reqs,
        vec![Request::Locate {
            table: "export_batches".into(),
            id: "GL-2026-03".into()
        }]
    );
    let reqs = app.on_response(Response::Located {
        lane: LaneTable::Exports,
        id: Some("GL-2026-03-000150".into()),
    });
    assert_eq!(app.view, View::Lanes);
    assert_eq!(app.lanes.lane(), LaneTable::Exports);
    assert_eq!(reqs.len(), 2);
    assert!(matches!(
        reqs[0],
        Request::LanePage {
            direction: Direction::Backward,
            ..
        }
    ));
    let before = export_page("GL-2026-03", 100, 50);
    let after = export_page("GL-2026-03", 150, 30);
    app.on_response(Response::LanePage {
        lane: LaneTable::Exports,
        cursor: "GL-2026-03-000150".into(),
        direction: Direction::Backward,
        rows: before,
    });
    app.on_response(Response::LanePage {
        lane: LaneTable::Exports,
        cursor: "GL-2026-03-000150".into(),
        direction: Direction::Forward { inclusive: true },
        rows: after,
    });
    let d = app.lanes.data();
    assert_eq!(d.rows.len(), 80);
    assert_eq!(
        d.rows[d.selected].id(),
        "GL-2026-03-000150",
        "the located row is selected"
    );
    press(&mut app, &[key('l')]);
    assert_eq!(app.lanes.lane(), LaneTable::Programs);
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.view, View::Detail);
    press(&mut app, &[key('l')]);
    assert_eq!(app.detail.pane, DetailPane::Trail);
}

#[test]
fn note_editor_saves_and_asks_before_discarding() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('n')]);
    assert!(app.editor.is_some());
    typed(&mut app, "Re-run requested");
    press(&mut app, &[code(KeyCode::Enter)]);
    typed(&mut app, "after CM-77");
    // Esc on a non-empty draft asks; any key but y keeps it.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.editor.as_ref().unwrap().discard, Some(Discard::Draft));
    press(&mut app, &[key('n')]);
    let ed = app.editor.as_ref().unwrap();
    assert_eq!(ed.discard, None);
    assert_eq!(ed.text(), "Re-run requested\nafter CM-77");
    // Keys like q and 1 are text in the editor.
    press(&mut app, &[key('q')]);
    assert!(!app.quit);
    press(&mut app, &[code(KeyCode::Backspace)]);
    let reqs = press(&mut app, &[ctrl('s')]);
    let op = WriteOp::Note {
        kind: TargetKind::Mismatch,
        target: "exports:GL-2026-03:ar-total".into(),
        text: "Re-run requested\nafter CM-77".into(),
    };
    assert_eq!(reqs, vec![Request::Write(op.clone())]);
    // A refusal keeps the draft.
    app.on_response(Response::Wrote {
        op: op.clone(),
        result: Err("period is signed off: locked".into()),
    });
    assert!(editor_error(&app).contains("locked"));
    press(&mut app, &[ctrl('s')]);
    let reqs = app.on_response(Response::Wrote {
        op,
        result: Ok("note added".into()),
    });
    assert!(app.editor.is_none());
    assert!(reqs.contains(&Request::Load));
    // Esc on an empty draft closes at once; y discards a non-empty one.
    press(&mut app, &[key('n'), code(KeyCode::Esc)]);
    assert!(app.editor.is_none());
    press(&mut app, &[key('n'), key('x'), code(KeyCode::Esc), key('y')]);
    assert!(app.editor.is_none());
}

#[test]
fn correction_needs_amount_side_and_reason() {
    let mut app = app_as("rita", Some(Role::Reviewer));
    press(&mut app, &[code(KeyCode::Enter), key('p')]);
    typed(&mut app, "9.75 sideways");
    assert!(press(&mut app, &[ctrl('s')]).is_empty());
    assert!(editor_error(&app).contains("side"));
    for _ in 0..8 {
        press(&mut app, &[code(KeyCode::Backspace)]);
    }
    typed(&mut app, "actual");
    press(&mut app, &[code(KeyCode::Enter)]);
    typed(&mut app, "late credit memo");
    let reqs = press(&mut app, &[ctrl('s')]);
    assert!(matches!(
        &reqs[..],
        [Request::Write(WriteOp::Correction { side, amount, .. })] if *side == Side::Actual && amount.to_string() == "9.75"
    ));
}

#[test]
fn roles_gate_actions_with_reasons() {
    // Read-only: not on the roster.
    let mut app = app_as("mallory", None);
    press(&mut app, &[code(KeyCode::Enter), key('n')]);
    assert!(app.editor.is_none());
    assert!(app
        .flash
        .as_ref()
        .unwrap()
        .1
        .contains("not on this period's roster"));
    // Operator: no waiver, no sign-off.
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('w')]);
    assert!(app.editor.is_none());
    assert!(app.flash.as_ref().unwrap().1.contains("reviewer or lead"));
    // The key after a refusal only dismisses it ("any key continues").
    press(&mut app, &[key('6')]);
    assert_eq!(app.view, View::Detail);
    assert!(app.flash.is_none());
    press(&mut app, &[key('6'), key('S')]);
    assert!(app.signoff.typing.is_none());
    assert!(app.flash.as_ref().unwrap().1.contains("only a lead"));
    // Reviewer may waive.
    let mut app = app_as("rita", Some(Role::Reviewer));
    press(&mut app, &[code(KeyCode::Enter), key('w')]);
    assert!(matches!(
        app.editor.as_ref().unwrap().purpose,
        Purpose::Waiver { .. }
    ));
    // Signed off: everything locked but reopen, for a lead.
    let mut app = app_as("lena", Some(Role::Lead));
    app.data.as_mut().unwrap().period_status = PeriodStatus::SignedOff;
    assert!(app.allowed(&Action::Note).unwrap_err().contains("locked"));
    assert!(app.allowed(&Action::Reopen).is_ok());
    press(&mut app, &[key('6'), key('R')]);
    assert_eq!(app.editor.as_ref().unwrap().purpose, Purpose::Reopen);
}

/// A checklist note being written when another user signs the period off: Ctrl-S offered
/// "with a move of item 4: i in progress · d done…" beside "moves disabled". It now says
/// the period is locked and keeps the text.
#[test]
fn a_checklist_note_written_across_a_sign_off_offers_no_move() {
    let mut app = operator();
    press(&mut app, &[key('3'), key('j'), key('j'), key('j'), key('n')]);
    typed(&mut app, "waiting on the bank file");
    app.data.as_mut().unwrap().period_status = PeriodStatus::SignedOff;
    assert!(press(&mut app, &[ctrl('s')]).is_empty());
    let ed = app.editor.as_ref().unwrap();
    assert!(!ed.choose_move);
    let error = ed.error.as_deref().unwrap();
    assert!(error.starts_with("the period is signed off: locked"), "{error}");
    assert!(error.contains("your note is kept"), "{error}");
    assert_eq!(ed.text(), "waiting on the bank file");
}

#[test]
fn checklist_moves_and_notes() {
    // A move of item 4, as the cockpit read it (version 0).
    let move_4 = |status, note: Option<&str>| WriteOp::Checklist {
        item: 4,
        status,
        note: note.map(String::from),
        seen: Some(0),
    };
    let mut app = operator();
    let reqs = press(&mut app, &[key('3')]);
    assert_eq!(
        reqs,
        vec![Request::Trail {
            kind: TargetKind::Checklist,
            target: "1".into()
        }]
    );
    let reqs = press(&mut app, &[key('j'), key('j'), key('j'), key('d')]);
    assert!(reqs.contains(&Request::Write(move_4(ItemStatus::Done, None))));
    let reqs = press(&mut app, &[key('b')]);
    assert_eq!(reqs, vec![Request::Write(move_4(ItemStatus::Blocked, None))]);
    // A refusal is explained inline.
    app.on_response(Response::Wrote {
        op: move_4(ItemStatus::Done, None),
        result: Err("item 3 is not done".into()),
    });
    assert_eq!(app.flash.as_ref().unwrap().1, "refused: item 3 is not done");
    press(&mut app, &[key(' '), key('n')]);
    assert_eq!(
        app.editor.as_ref().unwrap().purpose,
        Purpose::ChecklistNote { item: 4 }
    );
    // A checklist note is saved with a move: Ctrl-S asks which.
    typed(&mut app, "waiting on the bank file");
    assert!(press(&mut app, &[ctrl('s')]).is_empty());
    assert!(app.editor.as_ref().unwrap().choose_move);
    assert_eq!(
        press(&mut app, &[key('b')]),
        vec![Request::Write(move_4(
            ItemStatus::Blocked,
            Some("waiting on the bank file")
        ))]
    );
    app.on_response(Response::Wrote {
        op: move_4(ItemStatus::Blocked, Some("waiting on the bank file")),
        result: Ok("item 4 is now blocked".into()),
    });
    assert!(app.editor.is_none());
}

#[test]
fn lanes_page_on_demand() {
    let mut app = operator();
    let reqs = press(&mut app, &[key('4')]);
    assert_eq!(reqs, vec![usage_request(String::new())]);
    app.on_response(usage_page(String::new(), page("U", 0, super::data::PAGE)));
    assert!(!app.lanes.data().at_end);
    // Paging down near the end of what is read asks for the next page after the last id,
    // once.
    let reqs = press(&mut app, &[code(KeyCode::PageDown); 20]);
    assert_eq!(
        reqs,
        vec![usage_request(format!("U-{:06}", super::data::PAGE - 1))]
    );
    app.on_response(usage_page(
        format!("U-{:06}", super::data::PAGE - 1),
        page("U", super::data::PAGE, 5),
    ));
    assert_eq!(app.lanes.data().rows.len(), super::data::PAGE + 5);
    assert!(app.lanes.data().at_end);
}

/// `G` goes to the table's last row, not the last one read: its last page replaces what is
/// read, and `g` then reads back from there.
#[test]
fn g_end_reads_the_tables_last_page() {
    let mut app = operator();
    press(&mut app, &[key('4')]);
    app.on_response(usage_page(String::new(), page("U", 0, super::data::PAGE)));
    let reqs = press(&mut app, &[key('G')]);
    assert_eq!(
        reqs,
        vec![Request::LanePage {
            lane: LaneTable::Usage,
            cursor: String::new(),
            direction: Direction::Last,
        }]
    );
    app.on_response(Response::LanePage {
        lane: LaneTable::Usage,
        cursor: String::new(),
        direction: Direction::Last,
        rows: page("U", 1100, super::data::PAGE),
    });
    let d = app.lanes.data();
    assert!(d.at_end && !d.at_start);
    assert_eq!(
        d.rows[d.selected].id(),
        format!("U-{:06}", 1100 + super::data::PAGE - 1)
    );
    // At the end, G again asks nothing; g goes to the table's first row: its first page,
    // read in place, as G reads the last.
    assert!(press(&mut app, &[key('G')]).is_empty());
    let reqs = press(&mut app, &[key('g')]);
    assert_eq!(
        reqs,
        vec![Request::LanePage {
            lane: LaneTable::Usage,
            cursor: String::new(),
            direction: Direction::Forward { inclusive: false },
        }]
    );
    assert_eq!(app.lanes.data().selected, 0);
}

#[test]
fn audit_and_verify_requested_on_entry() {
    let mut app = operator();
    let reqs = press(&mut app, &[key('5')]);
    assert_eq!(reqs, vec![Request::Audit { before: None }, Request::Verify]);
    assert!(press(&mut app, &[key('v')]).contains(&Request::Verify));
}

#[test]
fn signoff_needs_the_typed_period_id() {
    let mut app = lead_ready();
    press(&mut app, &[key('6'), key('S')]);
    assert_eq!(app.signoff.typing.as_deref(), Some(""));
    typed(&mut app, "2026-3");
    assert!(press(&mut app, &[code(KeyCode::Enter)]).is_empty());
    assert!(app.flash.as_ref().unwrap().1.contains("not signed"));
    press(&mut app, &[key(' '), key('S')]);
    typed(&mut app, "2026-03");
    // The id confirmed, an optional comment: Esc on none cancels, nothing is signed.
    assert!(press(&mut app, &[code(KeyCode::Enter)]).is_empty());
    assert_eq!(
        app.editor.as_ref().map(|e| e.purpose.clone()),
        Some(Purpose::SignOffComment {
            typed: "2026-03".into()
        })
    );
    assert!(press(&mut app, &[code(KeyCode::Esc)]).is_empty());
    assert!(app.editor.is_none());
    // Ctrl-S with no comment signs without one.
    press(&mut app, &[key('S')]);
    typed(&mut app, "2026-03");
    press(&mut app, &[code(KeyCode::Enter)]);
    assert_eq!(
        press(&mut app, &[ctrl('s')]),
        vec![Request::Write(WriteOp::SignOff {
            typed: "2026-03".into(),
            comment: None
        })]
    );
}

#[test]
fn the_sign_off_takes_an_optional_comment_after_the_typed_period_id() {
    let mut app = lead_ready();
    press(&mut app, &[key('6'), key('S')]);
    typed(&mut app, "2026-03");
    press(&mut app, &[code(KeyCode::Enter)]);
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "Sign off 2026-03 — comment — Ctrl-S sign · Esc cancel");
    assert_shows(&s, "a comment kept with the sign-off, if you like");
    insta::assert_snapshot!("signoff_comment", s);
    typed(&mut app, "March close, reviewed with the GL team");
    assert_eq!(
        press(&mut app, &[ctrl('s')]),
        vec![Request::Write(WriteOp::SignOff {
            typed: "2026-03".into(),
            comment: Some("March close, reviewed with the GL team".into())
        })]
    );
    assert_eq!(
        editor_error(&app),
        SAVING,
        "the draft stays until the write is confirmed"
    );
}

/// Waived is not tied: with every mismatch waived the overview says so, lane by lane and in
/// the correction lane, instead of "ok" and "every check ties".
#[test]
fn an_overview_with_everything_waived_does_not_say_every_check_ties() {
    let mut app = operator();
    let data = app.data.as_mut().unwrap();
    for item in &mut data.items {
        item.status = MismatchStatus::Waived;
    }
    let lanes: Vec<Lane> = data.items.iter().map(|i| i.mismatch.lane).collect();
    let s = screen(&mut app, 80, 24);
    assert!(!s.contains("Nothing open: every check ties"), "{s}");
    assert_shows(&s, "Nothing open, but not every check ties");
    // Nothing to open: Enter is not offered (it did nothing).
    assert!(!footer_of(&s).contains("open mismatch"), "{}", footer_of(&s));
    for lane in lanes {
        let glance = format!("{} 1 waived", views::overview::lane_short(lane));
        assert_shows(&s, &glance);
    }
}

/// In a waived mismatch the cockpit does not offer a correction or a waiver: it says why,
/// in the workflow's words, and opens no editor.
#[test]
fn a_waived_mismatch_offers_no_correction_or_waiver_and_says_why() {
    let mut app = app_as("lena", Some(Role::Lead));
    for item in &mut app.data.as_mut().unwrap().items {
        item.status = MismatchStatus::Waived;
    }
    press(&mut app, &[key('2'), code(KeyCode::Enter)]);
    let s = screen(&mut app, 80, 24);
    assert_shows(
        &s,
        "disabled: waived: there is nothing to correct; already waived",
    );
    let footer = s.lines().rev().nth(1).unwrap();
    assert!(
        !footer.contains("p correction") && !footer.contains("w waive"),
        "{footer}"
    );
    press(&mut app, &[key('p')]);
    assert!(app.editor.is_none());
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|(ok, msg)| !ok && msg.contains("waived: there is nothing to correct")),
        "{:?}",
        app.flash
    );
}

/// A lock lifted outside closedesk is said where the status is, and the cockpit offers a
/// lead only the reopen that records it (and exports), as the workflow allows.
#[test]
fn a_lock_lifted_outside_closedesk_is_said_and_only_a_reopen_is_offered() {
    let mut app = app_as("lena", Some(Role::Lead));
    app.data.as_mut().unwrap().lock_lifted = Some("signed off by lena, no reopen".into());
    let s = screen(&mut app, 80, 24);
    assert_shows(
        &s,
        "LOCK LIFTED outside closedesk: nothing changes until a lead reopens",
    );
    // The tab bar's badge too, in every view (it read CLEAN).
    let tabs = s.lines().next().unwrap();
    assert!(tabs.trim_end().ends_with("LOCK LIFTED"), "{tabs}");
    assert!(app.allowed(&Action::Reopen).is_ok());
    assert!(app.allowed(&Action::ExportPacket).is_ok());
    for refused in [Action::Note, Action::SignOff, Action::Waive] {
        assert_eq!(
            app.allowed(&refused),
            Err("the lock was lifted outside closedesk: a lead's reopen records it first".to_string())
        );
    }
}

#[test]
fn help_opens_and_any_key_closes() {
    let mut app = operator();
    press(&mut app, &[key('?')]);
    assert!(app.help);
    press(&mut app, &[key('j')]);
    assert!(!app.help);
    assert_eq!(app.view, View::Overview);
    // `q` too closes help only (its title says any key closes); Ctrl-C still quits.
    press(&mut app, &[key('?'), key('q')]);
    assert!(!app.help);
    assert!(!app.quit);
    press(&mut app, &[key('?'), ctrl('c')]);
    assert!(app.quit);
}

#[test]
fn a_change_elsewhere_keeps_selection_scroll_and_draft() {
    let mut app = operator();
    press(&mut app, &[key('2'), key('j'), code(KeyCode::Enter), key('n')]);
    typed(&mut app, "half a thought");
    let reqs = app.on_response(Response::Changed);
    assert!(reqs.contains(&Request::Load));
    assert!(reqs.contains(&Request::Trail {
        kind: TargetKind::Mismatch,
        target: "employer_programs:PS-ACME-2026-03:statement-total".into()
    }));
    let mut changed = fixture::loaded("olga", Some(Role::Operator));
    changed.items[1].notes = 1;
    app.on_response(Response::Loaded(Box::new(changed)));
    assert_eq!(app.editor.as_ref().unwrap().text(), "half a thought");
    assert_eq!(app.view, View::Detail);
    assert_eq!(app.detail_item().unwrap().notes, 1);
    press(&mut app, &[code(KeyCode::Esc), key('y'), code(KeyCode::Esc)]);
    assert_eq!(app.view, View::Mismatches);
    assert_eq!(app.mismatch_index(), 1);
}

// ---- screens --------------------------------------------------------------------------

/// The open-variance bars of the 200k demo: `usage medium 1 37.50` for a −37.50 variance
/// (the sign dropped), `disbursedhigh` run together, and amounts out of line. Each amount is
/// now the variance signed — or, of both signs, the sum of sizes written `|…|` —, each
/// column has its own width, and the amounts end in one column, in every chart.
#[test]
fn charts_sign_the_variance_and_keep_their_columns() {
    use crate::snapshot::model::{Lane, Severity};
    let m = crate::money::Money::from_cents;
    let mut app = operator();
    let charts = &mut app.data.as_mut().unwrap().charts;
    charts.variance = vec![
        (Lane::Usage, Severity::Medium, 1, m(3750), m(-3750)),
        (Lane::Disbursements, Severity::High, 1, m(100), m(100)),
        (Lane::Ledger, Severity::High, 12, m(30_000), m(10_000)),
    ];
    charts.aging[0].1 = m(4_271_531_493);
    charts.aging[2].1 = m(296_576_558);
    press(&mut app, &[key('c')]);
    let s = screen(&mut app, 80, 24);
    for text in [
        "usage     medium  1   -37.50",
        "disbursed high    1    +1.00",
        "ledger    high   12 |300.00|",
        "current 42,715,314.93",
        "31-60    2,965,765.58",
        "61-90          500.00",
    ] {
        assert!(s.contains(text), "missing {text:?}:\n{s}");
    }
}

/// `t` in the Mismatches list did nothing and `?` did not list it, while it traced the
/// mismatch from its detail: it now opens the selected one's evidence (Esc back to the
/// list), and the footer and `?` list it.
#[test]
fn t_in_the_mismatches_list_opens_the_selected_ones_evidence() {
    let mut app = operator();
    press(&mut app, &[key('2'), key('j')]);
    let selected = app.mismatches.selected_key.clone().unwrap();
    assert_shows(&footer_of(&screen(&mut app, 80, 24)), "t trace");
    press(&mut app, &[key('?')]);
    assert_shows(&screen(&mut app, 80, 24), "t trace");
    press(&mut app, &[code(KeyCode::Esc)]);
    let reqs = press(&mut app, &[key('t')]);
    assert_eq!(app.view, View::Evidence);
    assert_eq!(
        reqs,
        vec![Request::Evidence {
            key: selected.clone()
        }]
    );
    assert_eq!(app.evidence.key, selected);
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.view, View::Mismatches);
    assert_eq!(app.mismatches.selected_key.as_deref(), Some(selected.as_str()));
}

#[test]
fn charts_open_from_the_overview_and_read_without_colour() {
    let mut app = operator();
    press(&mut app, &[key('c')]);
    assert_eq!(app.view, View::Charts);
    let s = screen(&mut app, 80, 24);
    // The fixture's worked-example figures, with their exact amounts beside the bars.
    for text in [
        "Aged AR (days past due)",
        "current 21,000.00",
        "91+        500.00",
        "Roll-forward: opening to closing AR",
        "+posted      95,000.00",
        "−disbursed   63,500.00",
        " closing     31,500.00",
        "recognized 80,000.00",
        // Open variance: each a variance, with its sign.
        "exports  medium 1 -9.75",
        "programs low    1 +4.52",
    ] {
        assert!(s.contains(text), "missing {text:?}:\n{s}");
    }
    // The waterfall: disbursed is drawn `▒` (lowers AR), floating where posted ended.
    assert_shows(&s, "▒");
    insta::assert_snapshot!("charts", s);
    // Esc goes back to the overview.
    press(
        &mut app,
        &[ratatui::crossterm::event::KeyEvent::from(KeyCode::Esc)],
    );
    assert_eq!(app.view, View::Overview);
}

#[test]
fn screen_overview() {
    let mut app = operator();
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "2 mismatches");
    assert_shows(&s, "14.27");
    insta::assert_snapshot!("overview", s);
}

#[test]
fn the_first_pane_says_when_the_snapshot_was_exported() {
    let mut loaded = fixture::loaded("olga", Some(Role::Operator));
    loaded.summary.exported_on = chrono::NaiveDate::from_ymd_opt(2026, 4, 6);
    let mut app = App::new();
    assert_eq!(app.start(), vec![Request::Load]);
    app.on_response(Response::Loaded(Box::new(loaded)));
    let s = screen(&mut app, 100, 24);
    assert_shows(
        &s,
        "Statement window 2026-03-01 .. 2026-03-31 · exported 2026-04-06",
    );
    // Without an export date the line is as before (the snapshots above).
    let s = screen(&mut operator(), 100, 24);
    assert!(!s.contains("exported"), "{s}");
}

#[test]
fn a_yen_period_shows_no_decimals() {
    crate::money::with_decimals(0, || {
        let mut loaded = fixture::loaded("olga", Some(Role::Operator));
        loaded.summary.currency = "JPY".into();
        let mut app = App::new();
        assert_eq!(app.start(), vec![Request::Load]);
        app.on_response(Response::Loaded(Box::new(loaded)));
        let s = screen(&mut app, 100, 24);
        assert_shows(&s, "(JPY)");
        assert_shows(&s, "431,842");
        assert_shows(&s, "1,427");
        assert!(!s.contains("4,318.42") && !s.contains("14.27"), "{s}");
    });
}

#[test]
fn screen_mismatches() {
    let mut app = operator();
    press(&mut app, &[key('2')]);
    insta::assert_snapshot!("mismatches", screen(&mut app, 80, 24));
    press(&mut app, &[key('/')]);
    typed(&mut app, "gl");
    insta::assert_snapshot!("mismatches_filtering", screen(&mut app, 80, 24));
}

#[test]
fn screen_detail() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter)]);
    app.on_response(detail_trail(&app));
    insta::assert_snapshot!("detail", screen(&mut app, 80, 24));
    press(&mut app, &[key('n')]);
    typed(&mut app, "Asked GL ops");
    insta::assert_snapshot!("editor", screen(&mut app, 80, 24));
    press(&mut app, &[code(KeyCode::Esc)]);
    insta::assert_snapshot!("editor_discard", screen(&mut app, 80, 24));
}

#[test]
fn screen_checklist() {
    let mut app = operator();
    press(&mut app, &[key('3')]);
    app.on_response(Response::Trail {
        kind: TargetKind::Checklist,
        target: "1".into(),
        rows: vec![],
    });
    insta::assert_snapshot!("checklist", screen(&mut app, 80, 24));
}

#[test]
fn screen_lanes() {
    let mut app = operator();
    press(&mut app, &[key('4')]);
    app.on_response(usage_page(String::new(), page("U", 0, 30)));
    press(&mut app, &[key('j')]);
    insta::assert_snapshot!("lanes", screen(&mut app, 80, 24));
}

#[test]
fn screen_audit() {
    let mut app = operator();
    press(&mut app, &[key('5')]);
    let rows = (1..=3)
        .rev()
        .map(|seq| Entry {
            row: AuditRow {
                seq,
                at: format!("2026-04-0{seq}T09:00:00Z"),
                actor: "olga".into(),
                action: "checklist.move".into(),
                target: format!("checklist:{seq}"),
                before: Some("pending".into()),
                after: Some("done".into()),
                text: None,
                prev_hash: String::new(),
                hash: String::new(),
                signature: None,
            },
            changes: vec![format!("checklist:{seq} status: pending → done")],
        })
        .collect();
    app.on_response(Response::Audit { before: None, rows });
    app.on_response(Response::Verified(Ok(
        "chain of 3 entries intact; 55 lock triggers present".into(),
    )));
    insta::assert_snapshot!("audit", screen(&mut app, 80, 24));
}

/// The selected entry's own words — a sign-off comment, a reopen reason — are shown in
/// full, before what it changed, at 80x24: the pane was five lines and cut them off after
/// the changes (a reopen changes six fields), so an auditor could not read them.
#[test]
fn an_audit_entrys_words_are_shown_whole_before_its_changes() {
    let mut app = operator();
    press(&mut app, &[key('5')]);
    let reason = "Reopened: the March GL export was re-run by the GL team after the close, ticket \
                  FIN-4521; the two lines that moved are in the packet's appendix";
    let rows = vec![Entry {
        row: AuditRow {
            seq: 14,
            at: "2026-04-03T09:00:00Z".into(),
            actor: "lena".into(),
            action: "reopen".into(),
            target: "period:2026-03".into(),
            before: None,
            after: None,
            text: Some(reason.into()),
            prev_hash: String::new(),
            hash: String::new(),
            signature: None,
        },
        changes: (1..=6)
            .map(|i| format!("signoff:1 field_{i}: - → something rather long to fill the line {i}"))
            .collect(),
    }];
    app.on_response(Response::Audit { before: None, rows });
    let s = screen(&mut app, 80, 24);
    let flat: String = s.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("FIN-4521; the two lines that moved are in the packet's appendix"),
        "{s}"
    );
    assert_shows(&s, "field_6");
}

#[test]
fn screen_signoff() {
    let mut app = lead_ready();
    press(&mut app, &[key('6'), key('S')]);
    typed(&mut app, "2026-");
    insta::assert_snapshot!("signoff", screen(&mut app, 80, 24));
}

#[test]
fn screen_help() {
    let mut app = operator();
    press(&mut app, &[key('2'), key('?')]);
    insta::assert_snapshot!("help_mismatches", screen(&mut app, 80, 24));
}

#[test]
fn screen_read_only_banner() {
    let mut app = app_as("mallory", None);
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "READ-ONLY");
    insta::assert_snapshot!("read_only", s);
}

#[test]
fn screen_too_small() {
    let mut app = operator();
    let s = screen(&mut app, 60, 20);
    assert_eq!(
        s.lines().next().unwrap(),
        "terminal too small: need 80x24, have 60x20"
    );
    insta::assert_snapshot!("too_small", s);
    // Keys pressed there do nothing (nothing is shown to act on) but quit.
    assert!(press(&mut app, &[key('2'), code(KeyCode::Enter), key('n')]).is_empty());
    assert_eq!(app.view, View::Overview);
    assert!(app.editor.is_none());
    // And back to normal at 80x24.
    assert!(screen(&mut app, 80, 24).contains("Correction lane"));
    press(&mut app, &[key('2')]);
    assert_eq!(app.view, View::Mismatches);
    screen(&mut app, 60, 20);
    press(&mut app, &[key('q')]);
    assert!(app.quit);
}

#[test]
fn hostile_text_never_reaches_the_buffer_raw() {
    let mut data = fixture::loaded("olga", Some(Role::Operator));
    data.summary.entity = "Evil\x1b]0;pwned\x07Corp\x1b[2J".into();
    data.items[0].owner = "x\x1b[31mred\u{202E}".into();
    data.items[0].mismatch.next_action = "line\nbreak\x07".into();
    let mut app = App::new();
    app.on_response(Response::Loaded(Box::new(data)));
    for k in ['1', '2'] {
        press(&mut app, &[key(k)]);
        let s = screen(&mut app, 80, 24);
        assert!(
            !s.contains('\x1b') && !s.contains('\x07') && !s.contains('\u{202E}'),
            "{s}"
        );
    }
    press(&mut app, &[key('1')]);
    assert!(screen(&mut app, 80, 24).contains("Evil\\x1b]0;pwned\\x07Corp"));
}

// ---- the data layer on a real snapshot -------------------------------------------------

#[test]
fn lane_pages_walk_every_row_once_both_ways() {
    use crate::snapshot::Snapshot;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    fixture::write_snapshot(&path, "Brightwater Clinics", 450);
    let snap = Snapshot::open(&path).unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let rows = snap
            .lane_page(
                LaneTable::Usage,
                &cursor,
                Direction::Forward { inclusive: false },
                200,
                as_of,
            )
            .unwrap();
        assert!(rows.len() <= 200);
        let Some(last) = rows.last() else { break };
        cursor = last.id().to_string();
        seen.extend(rows.iter().map(|r| r.id().to_string()));
    }
    assert_eq!(seen.len(), 450);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted, seen);
    let back = snap
        .lane_page(LaneTable::Usage, "U-000300", Direction::Backward, 200, as_of)
        .unwrap();
    assert_eq!(back.first().unwrap().id(), "U-000100");
    assert_eq!(back.last().unwrap().id(), "U-000299");
    let from = snap
        .lane_page(
            LaneTable::Usage,
            "U-000300",
            Direction::Forward { inclusive: true },
            2,
            as_of,
        )
        .unwrap();
    assert_eq!(from[0].id(), "U-000300");
    // A batch locates its first line; an invoice its AR row.
    assert_eq!(
        snap.locate_source("export_batches", "GL-2026-03").unwrap(),
        Some((LaneTable::Exports, "GL-2026-03-0001".to_string()))
    );
    assert_eq!(
        snap.locate_source("invoices", "INV-1042").unwrap(),
        Some((LaneTable::Aging, "INV-1042".to_string()))
    );
    let aging = snap
        .lane_page(
            LaneTable::Aging,
            "",
            Direction::Forward { inclusive: false },
            10,
            as_of,
        )
        .unwrap();
    let LaneRow::Aging(first) = &aging[0] else {
        panic!("an aging row: {:?}", aging[0])
    };
    assert_eq!(first.age, Some(crate::snapshot::model::AgeBucket::Days1To30));
}

#[test]
fn load_resolves_the_role_from_the_roster() {
    use crate::snapshot::Snapshot;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    fixture::write_snapshot(&path, "Brightwater Clinics", 3);
    let mut snap = Snapshot::open(&path).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).unwrap();
    let l = super::data::load(&snap, "rita", today).unwrap();
    assert_eq!(l.actor.role, Some(Role::Reviewer));
    assert_eq!(l.checklist.len(), 8);
    let l = super::data::load(&snap, "mallory", today).unwrap();
    assert!(l.actor.is_read_only());
    match super::data::handle(&mut snap, "rita", None, today, Request::Audit { before: None }) {
        Response::Audit { rows, .. } => assert!(rows.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reviewer_accepts_or_sends_back_a_correction() {
    let mut app = app_as("rita", Some(Role::Reviewer));
    // `a` opens the chooser (Enter opens the chosen one's confirmation).
    press(&mut app, &[code(KeyCode::Enter)]);
    // Open, nothing to decide: `a` and `r` are refused at once (the workflow's rule) and
    // are not in the footer.
    assert!(press(&mut app, &[key('a')]).is_empty());
    assert_eq!(app.detail.choosing, None);
    assert!(app
        .flash
        .as_ref()
        .unwrap()
        .1
        .contains("no correction awaits a decision"));
    press(&mut app, &[key(' ')]);
    assert!(!footer_of(&screen(&mut app, 120, 40)).contains("accept correction"));
    // A correction awaits a decision: they are in the footer, and waiving is not.
    let open_key = app.detail.key.clone();
    let d = app.data.as_mut().unwrap();
    d.items
        .iter_mut()
        .find(|i| i.mismatch.key == open_key)
        .unwrap()
        .status = MismatchStatus::InCorrection;
    let footer = footer_of(&screen(&mut app, 120, 40));
    assert!(footer.contains("a accept correction"), "{footer}");
    assert!(!footer.contains("w waive"), "{footer}");
    assert!(app
        .allowed(&Action::Waive)
        .unwrap_err()
        .contains("accept or send back the correction first"));
    assert!(press(&mut app, &[key('a')]).is_empty());
    assert_eq!(app.detail.choosing, Some(0));
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.detail.choosing, None);
    // `r` too: the chooser over the waiting corrections, then the chosen one's reason (its
    // number in the title). With none waiting it is refused at once, as `a` is.
    app.on_response(detail_trail(&app));
    press(&mut app, &[key('r')]);
    assert_eq!(app.detail.choosing, None);
    assert!(app.flash.as_ref().unwrap().1.contains("nothing to send back"));
    press(&mut app, &[key(' ')]);
    let proposed = AnnotationRow {
        id: 5,
        kind: AnnotationKind::Correction,
        amount: Some(crate::money::Money::from_cents(975)),
        side: Some(Side::Actual),
        correction_status: Some(crate::snapshot::model::CorrectionStatus::Proposed),
        target: app.detail.key.clone(),
        ..trail()[0].clone()
    };
    app.on_response(Response::Trail {
        kind: TargetKind::Mismatch,
        target: app.detail.key.clone(),
        rows: vec![proposed.clone()],
    });
    press(&mut app, &[key('r')]);
    assert_eq!(app.detail.choosing, Some(0));
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "Send back which correction?");
    // Sending it back changes nothing: the variance stays (it read "→ after", what accepting
    // would give).
    let words = app.choice_words(&app.choices()[0]);
    assert!(words.contains("variance stays "), "{words}");
    assert!(!words.contains('→'), "{words}");
    // Decided meanwhile elsewhere: the chooser says so instead of offering nothing.
    let decided = AnnotationRow {
        correction_status: Some(crate::snapshot::model::CorrectionStatus::Rejected),
        ..proposed.clone()
    };
    app.on_response(Response::Trail {
        kind: TargetKind::Mismatch,
        target: app.detail.key.clone(),
        rows: vec![decided],
    });
    assert_shows(
        &screen(&mut app, 80, 24),
        "none waits any more: decided meanwhile",
    );
    app.on_response(Response::Trail {
        kind: TargetKind::Mismatch,
        target: app.detail.key.clone(),
        rows: vec![proposed.clone()],
    });
    press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Purpose::Rejection { id, .. }) = app.editor.as_ref().map(|e| e.purpose.clone()) else {
        panic!("{:?}", app.editor.as_ref().map(|e| e.purpose.clone()))
    };
    assert_eq!(id, 5);
    assert_shows(&screen(&mut app, 80, 24), "Send back correction #5 on");
    typed(&mut app, "amount is the other way round");
    let reqs = press(&mut app, &[ctrl('s')]);
    assert!(
        matches!(&reqs[..], [Request::Write(WriteOp::Reject { reason, id: i, .. })] if reason.starts_with("amount") && *i == id),
        "{reqs:?}"
    );
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('a')]);
    assert!(app.flash.as_ref().unwrap().1.contains("reviewer or lead"));
}

#[test]
fn the_correction_editor_previews_the_sign_and_the_variance_as_you_type() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('p')]);
    typed(&mut app, "9.75 actual");
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "adds 9.75 to actual → variance -9.75 → 0.00");
    insta::assert_snapshot!("correction_preview", s);
    for _ in 0.."actual".len() {
        press(&mut app, &[code(KeyCode::Backspace)]);
    }
    typed(&mut app, "expected");
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "adds 9.75 to expected → variance -9.75 → -19.50");
}

#[test]
fn demo_an_operator_assigns_an_owner_from_the_cockpit() {
    let mut d = Demo::open("tlin");
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(d.app.detail.key, "exports:GL-2026-03:ar-total");
    d.press(&[key('o')]);
    assert!(matches!(
        &d.app.editor.as_ref().unwrap().purpose,
        Purpose::Assign { .. }
    ));
    typed(&mut d.app, "ar-team@northstar.example");
    d.press(&[ctrl('s')]);
    assert!(d.app.editor.is_none(), "{:?}", d.app.editor);
    let item = d.app.detail_item().unwrap();
    assert_eq!(item.owner, "ar-team@northstar.example");
    let log = crate::workflow::audit::history(&d.snap).unwrap();
    assert_eq!(log[0].row.action, "mismatch.assign");
}

#[test]
fn demo_a_checklist_note_is_saved_alone_with_enter_or_with_a_move() {
    let mut d = Demo::open("tlin");
    d.press(&[key('3')]);
    d.press(&[key('n')]);
    typed(&mut d.app, "asked billing about the drafts");
    d.press(&[ctrl('s')]);
    let msg = d.app.editor.as_ref().unwrap().error.clone().unwrap();
    assert!(msg.starts_with("save: Enter as a note only"), "{msg}");
    // The footer says the same keys (it still said "Ctrl-S save · Esc cancel").
    let footer = footer_of(&d.screen());
    assert!(footer.contains("Enter save as a note only"), "{footer}");
    assert!(!footer.contains("Ctrl-S"), "{footer}");
    d.press(&[code(KeyCode::Enter)]);
    assert!(d.app.editor.is_none());
    // The item did not move; the note is in its trail.
    let item =
        crate::workflow::checklist::items(&d.snap, &crate::reconcile::run(&d.snap).unwrap().overview())
            .unwrap()
            .remove(0);
    assert_eq!(item.row.status, ItemStatus::Pending);
    assert_eq!(item.row.version, 0);
    assert_eq!(item.notes.len(), 1);
    assert_eq!(item.notes[0].text, "asked billing about the drafts");
}

#[test]
fn tab_and_shift_tab_step_through_the_views_as_in_gitui() {
    let mut app = operator();
    let mut seen = vec![app.view];
    for _ in 0..6 {
        press(&mut app, &[code(KeyCode::Tab)]);
        seen.push(app.view);
    }
    use View::*;
    assert_eq!(
        seen,
        [Overview, Mismatches, Checklist, Lanes, Audit, SignOff, Overview]
    );
    press(&mut app, &[code(KeyCode::BackTab)]);
    assert_eq!(app.view, SignOff);
    // From a mismatch's detail, Tab goes on from its tab (Mismatches).
    press(&mut app, &[key('1'), code(KeyCode::Enter)]);
    assert_eq!(app.view, Detail);
    press(&mut app, &[code(KeyCode::Tab)]);
    assert_eq!(app.view, Checklist);
}

#[test]
fn demo_the_audit_view_filters_by_kind_and_user() {
    let mut d = Demo::open("tlin");
    for (login, item) in [("tlin", 1u8), ("rdiaz", 2)] {
        let who = crate::workflow::Actor::resolve(&d.snap, Some(login)).unwrap();
        crate::workflow::checklist::note(&d.snap, &who, item, "looked").unwrap();
    }
    crate::workflow::sessions::record(
        &d.snap,
        &crate::workflow::sessions::Event {
            action: crate::workflow::sessions::LOGIN,
            actor: "rdiaz".into(),
            target: "ssh:127.0.0.1:50000".into(),
            text: "key SHA256:test".into(),
        },
    )
    .unwrap();
    d.press(&[key('5')]);
    let all = d.app.audit.shown().len();
    assert!(all >= 2, "{all}");
    // U: one user at a time (in login order: rdiaz first).
    d.press(&[key('U')]);
    assert_eq!(d.app.audit.user.as_deref(), Some("rdiaz"));
    assert!(d.app.audit.shown().iter().all(|e| e.row.actor == "rdiaz"));
    assert!(d.screen().contains("showing all entries by rdiaz"));
    // K: workflow only hides the session rows.
    d.press(&[key('K')]);
    assert!(d
        .app
        .audit
        .shown()
        .iter()
        .all(|e| !e.row.action.starts_with("session.")));
    assert!(d.screen().contains("showing workflow only by rdiaz"));
    d.press(&[key('U'), key('U')]);
    assert_eq!(d.app.audit.user, None);
}

#[test]
fn at_80x24_the_selected_mismatchs_owner_and_next_action_are_readable_in_full() {
    let mut d = Demo::open("rdiaz");
    d.press(&[key('2')]);
    let s = d.screen();
    // The whole next action, wrapped under the table, with the owner uncut.
    let tail: String = s
        .lines()
        .rev()
        .skip(2)
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(tail.contains("owner gl-team@northstar.example"), "{s}");
    assert!(tail.contains("compare its lines to the billing extract"), "{s}");
}

#[test]
fn quitting_from_a_too_small_terminal_with_a_draft_asks_first() {
    // q on the "too small" screen quit at once and the draft was gone.
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('n')]);
    typed(&mut app, "important draft");
    let flat = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = flat(screen(&mut app, 60, 20));
    assert!(
        s.contains("a draft is open: enlarge the terminal to keep editing"),
        "{s}"
    );
    for quit in [key('q'), ctrl('c')] {
        press(&mut app, &[quit]);
        assert!(!app.quit);
        let s = flat(screen(&mut app, 60, 20));
        assert!(s.contains("your draft is not saved: q again discards it"), "{s}");
        // Enlarged: the question asked on the small screen no longer stands; the editor
        // says the draft is kept, and the next key types as usual.
        let s = flat(screen(&mut app, 80, 24));
        assert!(!s.contains("Discard this draft and quit?"), "{s}");
        assert!(s.contains("your draft is kept"), "{s}");
        press(&mut app, &[key('x')]);
        assert_eq!(app.editor.as_ref().unwrap().text(), "important draftx");
        press(&mut app, &[code(KeyCode::Backspace)]);
        screen(&mut app, 60, 20);
    }
    // Asked twice on the small screen: discarded and quit.
    press(&mut app, &[key('q'), key('q')]);
    assert!(app.quit);
}

/// q once on the too-small screen, then the terminal enlarged and Ctrl-S: nothing was
/// saved and nothing said (the key answered the unseen "q again" question), so a lead
/// believed a sign-off comment signed. Now Ctrl-S saves, whether a frame was drawn at the
/// new size first or the key follows the resize at once.
#[test]
fn ctrl_s_after_the_terminal_is_large_again_saves_the_draft() {
    for drawn in [true, false] {
        let mut app = operator();
        press(&mut app, &[code(KeyCode::Enter), key('n')]);
        typed(&mut app, "ties to JE-1042");
        screen(&mut app, 70, 20);
        press(&mut app, &[key('q')]);
        assert!(!app.quit);
        if drawn {
            screen(&mut app, 80, 24);
        } else {
            app.sized(80, 24);
        }
        let reqs = press(&mut app, &[ctrl('s')]);
        assert!(
            matches!(&reqs[..], [Request::Write(WriteOp::Note { text, .. })] if text == "ties to JE-1042"),
            "drawn first: {drawn}: {reqs:?}"
        );
        assert_eq!(editor_error(&app), SAVING);
    }
    // Still small after a resize: keys there do nothing but quit, even before a frame.
    let mut app = operator();
    screen(&mut app, 80, 24);
    app.sized(70, 20);
    assert!(press(&mut app, &[key('2')]).is_empty());
    assert_eq!(app.view, View::Overview);
}

#[test]
fn a_refusal_in_the_editor_is_shown_whole_and_kept_for_the_full_message_key() {
    // The sign-off's refusal lists every precondition on lines of its own; the editor cut it
    // to one line ("…\n  [ok]  th…") and `!` showed an older message.
    let mut d = Demo::open("mhale");
    // The boxes as read may be stale (met, say, when another session undoes a move): the
    // sign-off checks them again and refuses.
    ready(&mut d.app);
    d.press(&[key('6'), key('S')]);
    typed(&mut d.app, "2026-03");
    d.press(&[code(KeyCode::Enter)]);
    typed(&mut d.app, "March close");
    d.press(&[ctrl('s')]);
    let error = editor_error(&d.app).to_string();
    assert!(error.starts_with("not saved: cannot sign off"), "{error}");
    assert!(!error.contains("\\n"), "line breaks stay line breaks: {error}");
    let s = d.screen();
    // Every line is there, wrapped: its first and last words on screen.
    for line in error.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for w in [words[0], words[words.len() - 1]] {
            assert!(s.contains(w), "{w:?} of {line:?} not shown:\n{s}");
        }
    }
    assert!(s.contains("mhale marked no item done"), "{s}");
    // The draft is kept; Esc (and y) discards it; `!` then shows the refusal in full.
    assert_eq!(d.app.editor.as_ref().unwrap().text(), "March close");
    d.press(&[code(KeyCode::Esc), key('y'), key('!')]);
    assert!(d.app.editor.is_none());
    assert_eq!(d.app.full_message(), Some(error.as_str()));
}

#[test]
fn a_checklist_items_notes_show_at_80x24_or_say_how_many_lines_more() {
    // At 80x24 the evidence took every row and the item's notes were cut without a word.
    let mut d = Demo::open("tlin");
    let who = crate::workflow::Actor::resolve(&d.snap, Some("tlin")).unwrap();
    for n in [
        "first note on the usage tie-out",
        "second: asked billing ops",
        "third",
    ] {
        crate::workflow::checklist::note(&d.snap, &who, 1, n).unwrap();
    }
    d.press(&[key('3')]);
    let s = d.screen();
    assert_shows(&s, "evidence: draft invoices (not AR): 10 · draft invoices total");
    assert_shows(&s, "first note on the usage tie-out");
    assert_shows(&s, "more line(s): `closedesk checklist` lists every note");
}

#[test]
fn help_shows_every_key_at_80x24_in_the_tallest_view() {
    // An operator's mismatch detail: the global keys' column was cut after PgUp (no g, G,
    // views, quit) and a disabled key's reason wrapped to the box's edge.
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('?')]);
    let s = screen(&mut app, 80, 24);
    for k in [
        "g first row",
        "G last row",
        "6 sign-off",
        "q/^C quit",
        "o assign owner",
    ] {
        assert_shows(&s, k);
    }
    assert!(!s.contains("more: a taller terminal"), "{s}");
    for line in s.lines().filter(|l| l.contains("reviewer or lead")) {
        assert!(line.contains("│       "), "a reason keeps its indent: {line:?}");
    }
}

#[test]
fn the_mismatch_list_shows_the_corrected_variance_beside_the_raw_one() {
    // After a partial correction the list showed only the raw -9.75.
    let mut d = Demo::open("tlin");
    let recon = crate::reconcile::run(&d.snap).unwrap();
    let gl = "exports:GL-2026-03:ar-total";
    let who = |login| crate::workflow::Actor::resolve(&d.snap, Some(login)).unwrap();
    let proposal = crate::workflow::mismatches::Proposal {
        amount: crate::money::Money::from_cents(475),
        side: Side::Actual,
        reason: "part of it".into(),
        reference: None,
    };
    crate::workflow::mismatches::on(&d.snap, &who("rdiaz"), &recon, gl)
        .propose(&proposal)
        .unwrap();
    crate::workflow::mismatches::on(&d.snap, &who("jokafor"), &recon, gl)
        .accept(None, None)
        .unwrap();
    let reload = d.app.refresh();
    d.pump(reload);
    d.press(&[key('2')]);
    let s = d.screen();
    assert_shows(&s, "variance corrected");
    let row = s.lines().find(|l| l.contains("GL-2026")).unwrap();
    assert!(row.contains("-9.75") && row.contains("-5.00"), "{row}");
}

#[test]
fn ctrl_c_with_a_draft_asks_first() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('n')]);
    typed(&mut app, "draft");
    press(&mut app, &[ctrl('c')]);
    assert!(!app.quit);
    assert_eq!(app.editor.as_ref().unwrap().discard, Some(Discard::DraftAndQuit));
    press(&mut app, &[key('n')]);
    assert_eq!(app.editor.as_ref().unwrap().text(), "draft");
    press(&mut app, &[ctrl('c'), key('y')]);
    assert!(app.quit);
}

// ---- the demo, through the real data layer ---------------------------------------------

/// The cockpit on the real demo period, with requests answered synchronously by the same
/// code the background worker runs.
struct Demo {
    app: App,
    snap: crate::snapshot::Snapshot,
    login: String,
    _dir: tempfile::TempDir,
}

impl Demo {
    fn open(login: &str) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo-2026-03.db");
        crate::demo::write(&path, false).unwrap();
        Demo::started(dir, &path, login)
    }

    /// The cockpit started on the snapshot at `path` (inside `dir`), as `login`.
    fn started(dir: tempfile::TempDir, path: &std::path::Path, login: &str) -> Demo {
        let snap = crate::snapshot::Snapshot::open(path).unwrap();
        let mut demo = Demo {
            app: App::new(),
            snap,
            login: login.to_string(),
            _dir: dir,
        };
        let reqs = demo.app.start();
        demo.pump(reqs);
        demo
    }

    /// Answers requests (and the requests their answers make) until none are left.
    fn pump(&mut self, mut reqs: Vec<Request>) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).unwrap();
        while !reqs.is_empty() {
            let mut next = Vec::new();
            for r in reqs {
                let mut resp = super::data::handle(&mut self.snap, &self.login, None, today, r);
                if let Response::Loaded(l) = &mut resp {
                    l.path = "/home/rdiaz/.local/share/closedesk/demo-2026-03.db".into();
                }
                next.extend(self.app.on_response(resp));
            }
            self.app.updated_at = Some("09:30:00".into());
            reqs = next;
        }
    }

    /// A fixture of `tests/fixtures/` imported, opened as `login`.
    fn fixture(name: &str, login: &str) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{name}.db"));
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        crate::import::import_dir(&src, &path, false).unwrap();
        Demo::started(dir, &path, login)
    }

    fn press(&mut self, keys: &[KeyEvent]) {
        let reqs = press(&mut self.app, keys);
        self.pump(reqs);
    }

    /// Opens the lane of `table` on its row `id`, as a link to a row does.
    fn locate(&mut self, table: &str, id: &str) {
        self.pump(vec![Request::Locate {
            table: table.into(),
            id: id.into(),
        }]);
    }

    /// `login` proposes `proposal` on mismatch `target` through the workflow, as another
    /// session would, behind this cockpit's back.
    fn propose_as(&self, login: &str, target: &str, proposal: &crate::workflow::mismatches::Proposal) {
        let recon = crate::reconcile::run(&self.snap).unwrap();
        let who = crate::workflow::Actor::resolve(&self.snap, Some(login)).unwrap();
        crate::workflow::mismatches::on(&self.snap, &who, &recon, target)
            .propose(proposal)
            .unwrap();
    }

    /// Reloads, then opens mismatch `target` in the detail with its trail read.
    fn reload_and_open_detail(&mut self, target: &str) {
        self.pump(vec![Request::Load]);
        self.press(&[key('2')]);
        self.app.open_detail(target.to_string());
        self.pump(vec![Request::Trail {
            kind: crate::snapshot::model::TargetKind::Mismatch,
            target: target.into(),
        }]);
    }

    fn screen(&mut self) -> String {
        screen(&mut self.app, 80, 24)
    }
}

#[test]
fn demo_first_screen_shows_two_mismatches_totalling_14_27() {
    let mut d = Demo::open("rdiaz");
    let s = d.screen();
    assert_shows(&s, "2 mismatches");
    assert_shows(&s, "Open variance                14.27");
    assert_shows(&s, "exports:GL-2026-03:ar-total");
    assert_shows(&s, "rdiaz (operator)");
    insta::assert_snapshot!("demo_overview", s);
}

#[test]
fn demo_gl_gap_traces_to_the_export_line_that_differs() {
    let mut d = Demo::open("jokafor");
    // Overview → the most severe mismatch (the GL one) → `t`.
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(d.app.view, View::Detail);
    assert_eq!(d.app.detail.key, "exports:GL-2026-03:ar-total");
    let reqs = press(&mut d.app, &[key('t')]);
    assert_eq!(d.app.view, View::Evidence);
    assert_eq!(
        reqs,
        vec![Request::Evidence {
            key: "exports:GL-2026-03:ar-total".into()
        }]
    );
    d.pump(reqs);
    // Scroll to the comparison: the one line that differs is ACC-1004's, −9.75.
    let text: Vec<String> =
        crate::reconcile::evidence::text(d.app.evidence.result.as_ref().unwrap().as_ref().unwrap())
            .lines()
            .map(str::to_string)
            .collect();
    let differs: Vec<&String> = text.iter().filter(|l| l.starts_with("  ≠")).collect();
    assert_eq!(differs.len(), 1, "{text:?}");
    assert!(
        differs[0].contains("ACC-1004") && differs[0].ends_with("-9.75"),
        "{differs:?}"
    );
    let at = text.iter().position(|l| l.starts_with("Compared")).unwrap();
    for _ in 0..at {
        d.press(&[key('j')]);
    }
    let s = d.screen();
    // At 80x24 the marker, the account and its difference are seen together (the name is
    // cut to fit; the difference was cut instead, `-9…`).
    assert_shows(
        &s,
        "≠  ACC-1004  Cedar Ridge Health Syst…       2,190.12  2,180.37       -9.75",
    );
    // Sideways still works.
    d.press(&[key('l'), key('l'), key('l')]);
    let right = d.screen();
    assert!(right.contains("-9.75"), "{right}");
    insta::assert_snapshot!("demo_evidence", s);
    // Esc goes back to the mismatch.
    d.press(&[code(KeyCode::Esc)]);
    assert_eq!(d.app.view, View::Detail);
}

#[test]
fn demo_payments_credits_disbursements_and_the_ledger_each_have_a_table() {
    let mut d = Demo::open("jokafor");
    // A payment named by a reversal opens in the payments table, focused on it.
    d.locate("payments", "PAY-0018");
    assert_eq!(d.app.view, View::Lanes);
    assert_eq!(d.app.lanes.lane(), crate::snapshot::pages::LaneTable::Payments);
    let s = d.screen();
    assert!(s.contains("› Payments") || s.contains(" Payments "), "{s}");
    assert_shows(&s, "received 55,513.02");
    let selected = d.app.lanes.data().rows[d.app.lanes.data().selected]
        .row
        .id()
        .to_string();
    assert_eq!(selected, "PAY-0018");
    insta::assert_snapshot!("demo_lanes_payments", s);
    // The other three: each shows its rows and the engine's figures for them.
    for (table, id, figure) in [
        ("credits", "CR-0001", "issued 1,434.75"),
        ("disbursements", "DSB-00001", "disbursed in the window 54,481.13"),
        ("ledger", "LG-00213", "closing 39,639.27"),
    ] {
        d.locate(table, id);
        let s = d.screen();
        assert!(s.contains(figure), "{table}: {s}");
        let data = d.app.lanes.data();
        assert_eq!(data.rows[data.selected].row.id(), id, "{table}");
        if table == "disbursements" {
            // DSB-00001 (02-24) is not in "disbursed in the window": its date says so.
            assert_shows(&s, "before 2026-02-24");
        }
    }
}

#[test]
fn demo_overview_shows_what_ties_only_through_the_overlay() {
    let mut d = Demo::open("jokafor");
    assert!(d
        .screen()
        .contains("Tied after corrections 0 (0.00) · waived 0 (0.00)"));
    d.pump(vec![Request::Write(WriteOp::Waive {
        key: "employer_programs:STM-VERIFY-2026-03:statement-total".into(),
        reason: "below materiality, rate fixed from April".into(),
        seen: None,
    })]);
    d.press(&[key('1')]);
    let s = d.screen();
    // 4.52 waived: no longer open variance, but shown, not hidden, with its sign.
    assert_shows(&s, "Tied after corrections 0 (0.00) · waived 1 (+4.52)");
    assert_shows(&s, "Open variance                 9.75");
}

#[test]
fn demo_a_reviewer_chooses_which_of_two_corrections_to_accept_seeing_the_variance_after() {
    let mut d = Demo::open("jokafor");
    let key_gl = "exports:GL-2026-03:ar-total";
    // Two operators each propose a correction to the GL gap (variance −9.75).
    for (login, amount, side) in [
        ("tlin", "9.75", crate::snapshot::model::Side::Expected),
        ("rdiaz", "9.75", crate::snapshot::model::Side::Actual),
    ] {
        let proposal = crate::workflow::mismatches::Proposal {
            amount: crate::money::Money::parse(amount).unwrap(),
            side,
            reason: format!("{login}'s reading of the gap"),
            reference: None,
        };
        d.propose_as(login, key_gl, &proposal);
    }
    d.reload_and_open_detail(key_gl);
    d.press(&[key('a')]);
    let s = d.screen();
    // Adding 9.75 to expected makes it −19.50; adding it to actual ties it.
    assert_shows(&s, "Accept which correction?");
    assert_shows(&s, "adds to expected · by tlin · variance -9.75 → -19.50");
    assert!(
        s.contains("adds to actual · by rdiaz · variance -9.75 → +0.00")
            || s.contains("adds to actual · by rdiaz · variance -9.75 → 0.00"),
        "{s}"
    );
    insta::assert_snapshot!("demo_choose_correction", s);
    let waiting = d.app.waiting_corrections();
    let rdiaz = waiting.iter().find(|w| w.3 == "rdiaz").unwrap().0;
    // Choose the second (rdiaz's): Enter opens its confirmation, Ctrl-S accepts.
    assert!(press(&mut d.app, &[key('j'), code(KeyCode::Enter)]).is_empty());
    let reqs = press(&mut d.app, &[ctrl('s')]);
    assert!(
        matches!(&reqs[..], [Request::Write(WriteOp::Accept { id: Some(id), note: None, .. })] if *id == rdiaz),
        "{reqs:?}"
    );
    d.pump(reqs);
    let detail =
        crate::workflow::mismatches::detail(&d.snap, &crate::reconcile::run(&d.snap).unwrap(), key_gl)
            .unwrap();
    let accepted: Vec<i64> = detail
        .annotations
        .iter()
        .filter(|a| a.correction_status == Some(crate::snapshot::model::CorrectionStatus::Accepted))
        .map(|a| a.id)
        .collect();
    assert_eq!(accepted, [rdiaz]);
}

#[test]
fn demo_every_view() {
    let mut d = Demo::open("rdiaz");
    d.press(&[key('2')]);
    insta::assert_snapshot!("demo_mismatches", d.screen());
    d.press(&[code(KeyCode::Enter)]);
    insta::assert_snapshot!("demo_detail", d.screen());
    // Enter on a source row opens its lane on that row.
    d.press(&[key('j'), code(KeyCode::Enter)]);
    assert_eq!(d.app.view, View::Lanes);
    let lane = d.app.lanes.data();
    assert_eq!(lane.rows[lane.selected].id(), d.app.detail_sources()[1].2);
    insta::assert_snapshot!("demo_lane_from_detail", d.screen());
    d.press(&[key('3')]);
    insta::assert_snapshot!("demo_checklist", d.screen());
    d.press(&[key('4'), key('h'), key('h'), key('h'), key('h')]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Usage);
    insta::assert_snapshot!("demo_lanes_usage", d.screen());
    d.press(&[code(KeyCode::PageDown); 15]);
    assert!(
        d.app.lanes.data().rows.len() > super::data::PAGE,
        "the next page was read on demand"
    );
    // `G`: the table's last row (UE-01302 of 1,302), its last page read in place.
    d.press(&[key('G')]);
    let lane = d.app.lanes.data();
    assert_eq!(lane.rows[lane.selected].id(), "UE-01302");
    // Its position is in the rows loaded, said so: it read "row 200 of 200 loaded".
    assert_shows(
        &d.screen(),
        "Usage · usage_events · row 200 of the 200 loaded · more before",
    );
    // `g` goes back to the table's first row, its first page read in place (it stopped at
    // the first row loaded, UE-01103).
    d.press(&[key('g')]);
    let lane = d.app.lanes.data();
    assert_eq!(lane.rows[lane.selected].id(), "UE-00001");
    assert!(lane.at_start);
    d.press(&[key('5')]);
    insta::assert_snapshot!("demo_audit", d.screen());
    d.press(&[key('6')]);
    insta::assert_snapshot!("demo_signoff", d.screen());
    d.press(&[key('1'), key('?')]);
    insta::assert_snapshot!("demo_help_overview", d.screen());
}

/// Over `serve` the SSH key decides who acts: a read-only session is not told to use
/// `--user`, which it cannot give.
#[test]
fn a_served_read_only_session_is_told_its_key_decides() {
    let mut d = Demo::open("visitor");
    d.app.served = true;
    let s = screen(&mut d.app, 120, 40);
    assert_shows(
        &s,
        "READ-ONLY: visitor is not on the roster · your SSH key decides whom you act as",
    );
    assert!(!s.contains("(--user)"), "{s}");
    d.press(&[key('?')]);
    let help = screen(&mut d.app, 120, 40);
    assert!(help.contains("read-only: ask for your SSH"), "{help}");
    assert!(!help.contains("to act, --user"), "{help}");
}

#[test]
fn demo_read_only_and_too_small() {
    let mut d = Demo::open("visitor");
    let s = d.screen();
    assert_shows(
        &s,
        // Cut, it says `!` shows it whole.
        "READ-ONLY: visitor is not on the roster · ? shows whom to act as (--u… · ! full",
    );
    insta::assert_snapshot!("demo_read_only", s);
    // `?` names every roster login and role, and how to act as one.
    d.press(&[key('?')]);
    let help = d.screen();
    assert!(help.contains("read-only: to act, --user"), "{help}");
    for who in [
        "jokafor (reviewer)",
        "mhale (lead)",
        "rdiaz (operator)",
        "sgupta (lead)",
        "tlin (operator)",
    ] {
        assert!(help.contains(who), "{who}: {help}");
    }
    d.press(&[key(' ')]);
    // The footer offers only what a read-only login may do: no note, no correction.
    d.press(&[code(KeyCode::Enter)]);
    let detail = d.screen();
    let footer = detail.lines().rev().nth(1).unwrap();
    assert!(
        footer.contains("t trace") && !footer.contains("n note") && !footer.contains("p correction"),
        "{footer}"
    );
    let small = screen(&mut d.app, 79, 24);
    assert_eq!(small.trim_end(), "terminal too small: need 80x24, have 79x24");
}

#[test]
fn screen_refusal_shown_whole_until_the_next_key() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter)]);
    app.on_response(Response::Wrote {
        op: WriteOp::Accept {
            key: "exports:GL-2026-03:ar-total".into(),
            id: None,
            note: None,
            seen: Some(0),
        },
        result: Err("four-eyes: olga proposed correction #1 and cannot also accept it; another reviewer or lead must decide it".into()),
    });
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "another reviewer or lead must decide it");
    insta::assert_snapshot!("refusal", s);
    press(&mut app, &[key('j')]);
    assert!(!screen(&mut app, 80, 24).contains("Not done"));
}

#[test]
fn export_close_packet_from_signoff_and_checklist_item_8() {
    let mut d = Demo::open("rdiaz");
    let dir = d.snap.path().parent().unwrap().to_path_buf();
    // From the sign-off view: `e` writes the packet beside the snapshot and says where.
    d.press(&[key('6')]);
    assert_eq!(
        press(&mut d.app, &[key('e')]),
        vec![Request::Write(WriteOp::ExportPacket)]
    );
    d.pump(vec![Request::Write(WriteOp::ExportPacket)]);
    // Named as the CLI names it: draft, and the audit head it records.
    let first = dir.join(packets_in(&dir).first().expect("a packet").as_str());
    let name = first.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("close-packet-2026-03-draft-") && name.ends_with(".md"),
        "{name}"
    );
    let packet = std::fs::read_to_string(&first).unwrap();
    assert!(
        packet.starts_with("# Close packet — Northstar Health Benefits — 2026-03"),
        "{packet}"
    );
    let flash = d.app.flash.clone().unwrap();
    assert!(
        flash.0 && flash.1.contains(&first.display().to_string()),
        "{flash:?}"
    );
    // From the checklist: only item 8 offers it, and a second packet never replaces the first.
    d.press(&[key('3')]);
    assert!(press(&mut d.app, &[key('e')]).is_empty());
    assert!(d.app.flash.clone().unwrap().1.contains("item 8"));
    d.press(&[key(' '), key('G')]);
    assert_eq!(d.app.checklist.selected, 7);
    d.press(&[key('e')]);
    assert_eq!(packets_in(&dir).len(), 2);
    assert_eq!(std::fs::read_to_string(&first).unwrap(), packet);
    // Both exports are in the audit log.
    let log = crate::workflow::audit::history(&d.snap).unwrap();
    assert_eq!(log.iter().filter(|e| e.row.action == "export").count(), 2);
}

/// The close packets in `dir`, by name.
fn packets_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("close-packet-"))
        .collect();
    names.sort();
    names
}

/// Whether `dir` holds a served packet of `login` in slot `n`.
fn slot(dir: &std::path::Path, login: &str, n: usize) -> bool {
    packets_in(dir)
        .iter()
        .any(|p| p.ends_with(&format!("-{login}-{n}.md")))
}

#[test]
fn a_served_session_keeps_at_most_max_packets_per_login() {
    use super::data::{write_with, Packets};
    let mut d = Demo::open("rdiaz");
    let dir = d.snap.path().parent().unwrap().to_path_buf();
    let served = Packets::PerLogin { max: 2 };
    let op = WriteOp::ExportPacket;
    let first = write_with(&mut d.snap, "rdiaz", None, &op, served).unwrap();
    assert!(
        first.contains("close-packet-2026-03-draft-") && first.contains("-rdiaz-1.md"),
        "{first}"
    );
    write_with(&mut d.snap, "rdiaz", None, &op, served).unwrap();
    assert!(slot(&dir, "rdiaz", 2));
    // The third is refused, says why and what to do, and writes nothing.
    let why = write_with(&mut d.snap, "rdiaz", None, &op, served).unwrap_err();
    assert!(why.contains("you already keep 2 close packet(s)"), "{why}");
    assert!(why.contains("--max-packets"), "{why}");
    assert!(!slot(&dir, "rdiaz", 3));
    assert_eq!(packets_in(&dir).len(), 2);
    // Another login has its own allowance; the local cockpit is not limited.
    write_with(&mut d.snap, "mhale", None, &op, served).unwrap();
    assert!(slot(&dir, "mhale", 1));
    super::data::write(&mut d.snap, "rdiaz", None, &op).unwrap();
    assert_eq!(packets_in(&dir).len(), 4);
    // Moving one away makes room for one more.
    let one = packets_in(&dir)
        .into_iter()
        .find(|p| p.ends_with("-rdiaz-1.md"))
        .unwrap();
    std::fs::remove_file(dir.join(one)).unwrap();
    write_with(&mut d.snap, "rdiaz", None, &op, served).unwrap();
    assert!(slot(&dir, "rdiaz", 1));
    let log = crate::workflow::audit::history(&d.snap).unwrap();
    assert_eq!(log.iter().filter(|e| e.row.action == "export").count(), 5);
}

#[test]
fn export_close_packet_needs_a_roster_login_but_not_an_open_period() {
    let mut d = Demo::open("visitor");
    assert!(d
        .app
        .allowed(&Action::ExportPacket)
        .unwrap_err()
        .contains("read-only"));
    d.press(&[key('6'), key('e')]);
    assert!(packets_in(d.snap.path().parent().unwrap()).is_empty());
}

#[test]
fn a_move_from_a_stale_view_is_refused_as_a_conflict_naming_who() {
    let mut d = Demo::open("rdiaz");
    d.press(&[key('3')]);
    // tlin moves item 1 from another session after rdiaz's view was read.
    let other = crate::snapshot::Snapshot::open(d.snap.path()).unwrap();
    let recon = crate::reconcile::run(&other).unwrap();
    let tlin = crate::workflow::Actor::resolve(&other, Some("tlin")).unwrap();
    let status = crate::snapshot::model::ItemStatus::parse("blocked").unwrap();
    crate::workflow::checklist::set(&other, &tlin, &recon, 1, status, Some("bank file late"), None).unwrap();
    // rdiaz, still looking at "pending", moves it: refused, nothing overwritten.
    let reqs = press(&mut d.app, &[key('i')]);
    let Request::Write(op) = &reqs[0] else {
        panic!("{reqs:?}")
    };
    let result = super::data::write(&mut d.snap, "rdiaz", None, op);
    let why = result.unwrap_err();
    assert!(why.contains("tlin"), "{why}");
    let items = crate::workflow::checklist::items(&other, &recon.overview()).unwrap();
    assert_eq!(items[0].row.status.as_str(), "blocked");
    assert_eq!(items[0].row.updated_by.as_deref(), Some("tlin"));
}

#[test]
fn revenue_lane_rows_add_up_to_the_engines_recognized_and_deferred() {
    let mut d = Demo::open("rdiaz");
    // Revenue is the sixth of the ten lanes: five steps right of Usage.
    d.press(&[key('4'), key('l'), key('l'), key('l'), key('l'), key('l')]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Revenue);
    // Read every page, paging down (`G` would jump to the last page alone).
    while !d.app.lanes.data().at_end {
        d.press(&[code(KeyCode::PageDown); 10]);
    }
    let rows = &d.app.lanes.data().rows;
    let sum = |col: usize| -> crate::money::Money {
        rows.iter()
            .filter_map(|r| {
                crate::money::Money::parse(&super::views::lanes::cells(r)[col].replace(',', "")).ok()
            })
            .sum()
    };
    // The engine's revenue step (tax lines are not revenue; LN-00098, voided on March 9,
    // takes back in March the 1,450.00 it recognized in February).
    let recon = crate::reconcile::run(&d.snap).unwrap();
    assert_eq!(sum(5), recon.steps.revenue.total.recognized);
    assert_eq!(sum(6), recon.steps.revenue.total.deferred);
    assert_eq!(sum(5).to_string(), "56743.59");
    assert_eq!(sum(6).to_string(), "4910.47");
    // What Posted AR carries beside revenue is said: 57,791.56 + 206.18 = 57,997.74.
    let screen = d.screen();
    assert_shows(&screen, "posted 57,791.56");
    assert_shows(&screen, "tax billed (not revenue) 206.18");
    assert_eq!(recon.steps.posted.posted_receivables.to_string(), "57997.74");
    insta::assert_snapshot!("demo_lanes_revenue", screen);
}

/// `l` from the first lane visits every lane table once, in order, and wraps back to the
/// first; `h` goes the other way (it used to wrap after six, never reaching payments,
/// credits, disbursements or the ledger).
#[test]
fn l_from_the_first_lane_visits_every_lane_once_and_h_goes_back() {
    let mut d = Demo::open("rdiaz");
    d.press(&[key('4')]);
    let mut seen = vec![d.app.lanes.lane()];
    for _ in 1..LaneTable::ALL.len() {
        d.press(&[key('l')]);
        seen.push(d.app.lanes.lane());
        assert!(
            d.app.lanes.data().loaded,
            "{:?} is read when shown",
            d.app.lanes.lane()
        );
    }
    assert_eq!(seen, LaneTable::ALL.to_vec());
    d.press(&[key('l')]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Usage, "wraps to the first");
    d.press(&[key('h')]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Ledger, "h wraps to the last");
    d.press(&[code(KeyCode::Left)]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Disbursements);
}

#[test]
fn a_lane_keeps_a_bounded_window_of_rows_and_pages_back_on_the_way_up() {
    use super::views::lanes::KEPT_ROWS;
    let mut d = Demo::open("rdiaz");
    d.press(&[key('4')]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Usage);
    let first_id = d.app.lanes.data().rows[0].id().to_string();
    // To the end of the table (1,302 usage events), page by page.
    for _ in 0..40 {
        d.press(&[key('G')]);
    }
    let lane = d.app.lanes.data();
    assert!(lane.at_end, "reached the end");
    assert!(lane.rows.len() <= KEPT_ROWS, "{} rows kept", lane.rows.len());
    assert!(!lane.at_start, "the first pages were let go");
    assert_eq!(lane.rows[lane.selected].id(), lane.rows.last().unwrap().id());
    // And back to the top: the first page is read again.
    d.press(&[key('g')]);
    let lane = d.app.lanes.data();
    assert!(lane.at_start);
    assert_eq!(lane.selected, 0);
    assert_eq!(lane.rows[0].id(), first_id);
    insta::assert_snapshot!("demo_lanes_usage_back_at_top", d.screen());
}

#[test]
fn a_stale_stored_result_is_drawn_at_once_saying_recomputing_then_the_fresh_one() {
    let d = Demo::open("rdiaz");
    let path = d.snap.path().to_path_buf();
    // Opening stored the result; now a source row changes in another session.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute("UPDATE invoices SET balance_cents = balance_cents + 100 WHERE id = (SELECT min(id) FROM invoices)", [])
        .unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (stale, fresh) = rt.block_on(async {
        let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
        let (resp_tx, mut resp_rx) = tokio::sync::mpsc::unbounded_channel();
        let worker = super::data::spawn_worker(
            path.clone(),
            "rdiaz".into(),
            None,
            today,
            super::data::Packets::Beside,
            req_rx,
            resp_tx,
        );
        req_tx.send(Request::Load).unwrap();
        let first = resp_rx.recv().await.unwrap();
        let second = resp_rx.recv().await.unwrap();
        drop(req_tx);
        worker.await.unwrap();
        (first, second)
    });
    let (Response::Loaded(stale), Response::Loaded(fresh)) = (stale, fresh) else {
        panic!("two loads expected")
    };
    assert!(stale.recomputing);
    assert!(!fresh.recomputing);
    // The changed platform balance is one more break (invoices:…:balance); closing AR is
    // computed from the source events and does not move (docs/reconciliation.md,
    // "Window-end balances from the source events").
    assert_eq!(fresh.summary.mismatches.open, stale.summary.mismatches.open + 1);
    assert_eq!(stale.summary.closing_ar_usd, fresh.summary.closing_ar_usd);
    let mut app = App::new();
    app.on_response(Response::Loaded(stale));
    assert!(screen(&mut app, 120, 30).contains("recomputing…"));
    app.on_response(Response::Loaded(fresh));
    assert!(!screen(&mut app, 120, 30).contains("recomputing…"));
    // The engine's result was stored: the next load needs no recomputation.
    let snap = crate::snapshot::Snapshot::open(&path).unwrap();
    assert!(super::data::load_stale(&snap, "rdiaz", today).is_none());
    assert!(crate::reconcile::stored::stored(&snap).unwrap().unwrap().current);
}

#[test]
fn the_first_load_from_the_stored_overview_is_the_engines_and_an_old_stored_result_is_not_drawn() {
    use crate::reconcile::stored::{self, STORED_VERSION};
    use crate::snapshot::cache::StoredRow;
    let d = Demo::open("rdiaz");
    let snap = &d.snap;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).unwrap();
    // A workflow state the figures are drawn with: one mismatch waived, one item moved.
    let recon = crate::reconcile::run(snap).unwrap();
    let key = recon.mismatches[0].key.clone();
    let mut other = crate::snapshot::Snapshot::open(snap.path()).unwrap();
    let waived = super::data::write(
        &mut other,
        "jokafor",
        None,
        &super::data::WriteOp::Waive {
            key,
            reason: "immaterial, agreed with the controller".into(),
            seen: None,
        },
    );
    assert!(waived.is_ok(), "{waived:?}");
    // Opening stored the overview; loading again reads it, and draws what the engine gives.
    let row = snap.stored_reconciliation().unwrap().unwrap();
    assert_eq!(row.version, STORED_VERSION);
    assert!(stored::stored(snap).unwrap().unwrap().current);
    let from_stored = super::data::load(snap, "rdiaz", today).unwrap();
    snap.conn().execute("DELETE FROM reconcile_cache", []).unwrap();
    let from_engine = super::data::load(snap, "rdiaz", today).unwrap();
    assert_eq!(from_stored, from_engine);
    assert!(from_engine
        .items
        .iter()
        .any(|i| i.status == MismatchStatus::Waived));

    // A whole reconciliation stored by an earlier build (bare version), current and with a
    // figure altered: neither drawn as stale nor read as current.
    let mut old = recon.clone();
    old.headline.closing_ar += crate::money::Money::from_cents(1);
    let plant = |generation: i64| {
        let result = serde_json::to_string(&old).unwrap();
        snap.store_reconciliation(&StoredRow {
            generation,
            version: env!("CARGO_PKG_VERSION").to_string(),
            computed_at: "2026-11-01T00:00:00Z".into(),
            checksum: Some(crate::reconcile::stored::checksum(
                generation,
                env!("CARGO_PKG_VERSION"),
                &result,
            )),
            result,
            edits: None,
        })
        .unwrap();
    };
    let generation = snap.source_generation().unwrap();
    plant(generation - 1);
    assert!(super::data::load_stale(snap, "rdiaz", today).is_none());
    plant(generation);
    assert_eq!(super::data::load(snap, "rdiaz", today).unwrap(), from_engine);
    assert_eq!(
        snap.stored_reconciliation().unwrap().unwrap().version,
        STORED_VERSION
    );
}

#[test]
fn the_first_pane_says_whether_identities_are_checked() {
    let mut app = operator();
    let s = screen(&mut app, 80, 24);
    assert_shows(
        &s,
        "Identities not checked: the roster has no keys (--user acts as anyone)",
    );
    let mut keyed = fixture::loaded("olga", Some(Role::Operator));
    keyed.identities_checked = true;
    let mut app = App::new();
    app.start();
    app.on_response(Response::Loaded(Box::new(keyed)));
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "Identities checked: each action needs the actor's roster key");
}

/// Over `serve` no one gives `--user`: the first pane says what holds there instead.
#[test]
fn a_served_first_pane_says_the_ssh_key_decides_who_acts() {
    let mut app = operator();
    app.served = true;
    let s = screen(&mut app, 80, 24);
    assert_shows(
        &s,
        "Identities not checked: the roster has no keys (each SSH key acts as its login)",
    );
    assert!(!s.contains("--user"), "{s}");
}

/// Over serve the cockpit's writes carry the session key's fingerprint; on a keyed roster a
/// session with another key than the login's roster key is refused, nothing written.
#[test]
fn a_served_cockpit_write_records_the_session_key_on_a_keyed_roster() {
    const RDIAZ: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const OTHER: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP65BKukNKQfPJIdYKj4WnfG7ULeukvMs2hTz/IBW8j7";
    let print = |line: &str| {
        let key = crate::workflow::signing::parse_key(line).unwrap();
        crate::workflow::signing::fingerprint(&key)
    };
    let mut d = Demo::open("rdiaz");
    rusqlite::Connection::open(d.snap.path())
        .unwrap()
        .execute("UPDATE roster SET public_key = ?1 WHERE login = 'rdiaz'", [RDIAZ])
        .unwrap();
    let loaded = super::data::load(
        &d.snap,
        "rdiaz",
        chrono::NaiveDate::from_ymd_opt(2026, 4, 6).unwrap(),
    )
    .unwrap();
    assert!(loaded.identities_checked);
    let op = WriteOp::Checklist {
        item: 1,
        status: ItemStatus::InProgress,
        note: None,
        seen: None,
    };
    let before = d.snap.workflow().audit_log().unwrap().len();
    let refused = super::data::write(&mut d.snap, "rdiaz", Some(&print(OTHER)), &op).unwrap_err();
    assert!(refused.contains("not rdiaz's roster key"), "{refused}");
    assert_eq!(d.snap.workflow().audit_log().unwrap().len(), before);

    super::data::write(&mut d.snap, "rdiaz", Some(&print(RDIAZ)), &op).unwrap();
    let log = d.snap.workflow().audit_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.action, "checklist.set");
    assert_eq!(last.signature, Some(format!("serve-key {}", print(RDIAZ))));
    let report = crate::workflow::audit::verify(&d.snap).unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
}

/// Stored text is cut at character boundaries: a time with a multi-byte character where the
/// minutes end (byte 16 inside `é`) panicked the checklist and audit views before.
#[test]
fn non_ascii_stored_times_are_drawn_not_panicked_on() {
    let odd = "2026-04-01T09:0é:00Z";
    let mut app = operator();
    app.data.as_mut().unwrap().checklist[0].updated_at = Some(odd.into());
    press(&mut app, &[key('3')]);
    let shown = screen(&mut app, 80, 24);
    assert!(shown.contains("olga 2026-04-01T09:0é"), "{shown}");
    press(&mut app, &[key('5')]);
    let mut row = AuditRow {
        seq: 1,
        at: odd.into(),
        actor: "olga".into(),
        action: "checklist.move".into(),
        target: "checklist:1".into(),
        before: None,
        after: None,
        text: None,
        prev_hash: String::new(),
        hash: String::new(),
        signature: None,
    };
    app.on_response(Response::Audit {
        before: None,
        rows: vec![Entry {
            row: row.clone(),
            changes: Vec::new(),
        }],
    });
    assert!(screen(&mut app, 80, 24).contains("2026-04-01T09:0é"));
    // A well-formed time is still shortened.
    row.at = "2026-04-01T09:05:00Z".into();
    app.on_response(Response::Audit {
        before: None,
        rows: vec![Entry {
            row,
            changes: Vec::new(),
        }],
    });
    assert!(screen(&mut app, 80, 24).contains("2026-04-01 09:05"));
}

/// A worker that dies while a draft is saving: the editor does not claim it saved, the status
/// line says what happened, and a later save is refused in words instead of hanging.
#[test]
fn a_dead_worker_is_surfaced_and_the_edit_is_not_claimed_saved() {
    let mut app = operator();
    press(&mut app, &[key('2'), KeyEvent::from(KeyCode::Enter), key('n')]);
    press(&mut app, &"late credit memo".chars().map(key).collect::<Vec<_>>());
    let reqs = press(&mut app, &[ctrl('s')]);
    assert!(
        matches!(reqs.as_slice(), [Request::Write(WriteOp::Note { .. })]),
        "{reqs:?}"
    );
    assert_eq!(editor_error(&app), "saving…");
    app.worker_stopped("it panicked");
    assert!(editor_error(&app).starts_with("not saved: the background worker stopped"));
    assert_eq!(
        app.editor.as_ref().expect("the draft stays").text(),
        "late credit memo"
    );
    assert!(screen(&mut app, 80, 24).contains("background worker stopped"));
    // Saving again says so at once; nothing is sent to a worker that is gone.
    assert!(press(&mut app, &[ctrl('s')]).is_empty());
    assert!(editor_error(&app).starts_with("not saved"));
    // The status line keeps saying it after the editor is gone.
    press(&mut app, &[KeyEvent::from(KeyCode::Esc), key('y')]);
    assert!(app.editor.is_none());
    let shown = screen(&mut app, 80, 24);
    assert!(
        shown
            .lines()
            .last()
            .unwrap()
            .contains("background worker stopped"),
        "{shown}"
    );
}

/// `p`: the example shows the optional reference line; `ref: …` is the correction's
/// reference, the other lines after the amount its reason.
#[test]
fn the_correction_editor_takes_a_reference_line() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('p')]);
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "and, if you like, a line with its reference: ref: JE-1042");
    insta::assert_snapshot!("correction_example", s);
    typed(&mut app, "9.75 actual");
    press(&mut app, &[code(KeyCode::Enter)]);
    typed(&mut app, "the GL export missed ACC-1004");
    press(&mut app, &[code(KeyCode::Enter)]);
    typed(&mut app, "Ref:  JE-1042 ");
    let reqs = press(&mut app, &[ctrl('s')]);
    assert!(
        matches!(&reqs[..], [Request::Write(WriteOp::Correction { text, reference: Some(r), .. })]
            if text == "the GL export missed ACC-1004" && r == "JE-1042"),
        "{reqs:?}"
    );
    let typed = super::views::editor::parse_correction("9.75 actual\nwhy").unwrap();
    assert_eq!(typed.reference, None);
    for (text, error) in [
        (
            "9.75 actual\nwhy\nref:",
            "ref: needs the reference after it, e.g. ref: JE-1042",
        ),
        ("9.75 actual\nwhy\nref: A\nref: B", "one ref: line per correction"),
        ("9.75 actual\nref: A", "say why on the lines after the amount"),
    ] {
        assert_eq!(super::views::editor::parse_correction(text).unwrap_err(), error);
    }
}

/// `u` is offered (Actions line, `?`) only to a reviewer or lead; an operator pressing it
/// is told why.
#[test]
fn the_reverse_key_is_shown_only_to_reviewers_and_leads() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter)]);
    assert!(!screen(&mut app, 80, 24).contains("reverse"));
    press(&mut app, &[key('?')]);
    assert!(!screen(&mut app, 80, 24).contains("reverse"));
    press(&mut app, &[key('j'), key('u')]);
    assert_eq!(
        app.flash.as_ref().unwrap().1,
        "reversing a correction needs a reviewer or lead"
    );
    assert_eq!(app.detail.choosing, None);
    for (login, role) in [("rita", Role::Reviewer), ("lena", Role::Lead)] {
        let mut app = app_as(login, Some(role));
        press(&mut app, &[code(KeyCode::Enter)]);
        assert_shows(&screen(&mut app, 80, 24), "u reverse an accepted correction");
        press(&mut app, &[key('?')]);
        assert_shows(&screen(&mut app, 80, 24), "u reverse an accepted correction");
        press(&mut app, &[key('j'), key('u')]);
        assert_eq!(app.detail.choosing, Some(0));
    }
}

/// The demo's GL gap with one correction proposed by rdiaz (9.75 to actual, reference
/// JE-1042), opened by `login` in the mismatch detail with its trail read.
fn demo_with_a_correction(login: &str) -> (Demo, &'static str) {
    let mut d = Demo::open(login);
    let key_gl = "exports:GL-2026-03:ar-total";
    let proposal = crate::workflow::mismatches::Proposal {
        amount: crate::money::Money::parse("9.75").unwrap(),
        side: crate::snapshot::model::Side::Actual,
        reason: "the GL export missed ACC-1004's line".into(),
        reference: Some("JE-1042".into()),
    };
    d.propose_as("rdiaz", key_gl, &proposal);
    d.reload_and_open_detail(key_gl);
    (d, key_gl)
}

/// `screen` with each time the workflow stored now (`2026-11-30T01:56:06Z`) written as
/// `YYYY-MM-DDTHH:MM:SSZ`, the same width: snapshots of a live demo stay stable.
fn times_redacted(screen: &str) -> String {
    crate::text::timestamps_replaced(screen, "YYYY-MM-DDTHH:MM:SSZ")
}

/// The detail's trail as text, line by line (unwrapped: the pane wraps it at 80x24).
fn trail_text(app: &App) -> String {
    let rows = app.detail.trail.as_deref().unwrap_or_default();
    views::mismatch_detail::trail_lines(rows, &Theme::mono())
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>() + "\n")
        .collect()
}

/// What the workflow stored for the GL gap's first correction.
fn demo_correction(d: &Demo, key: &str) -> crate::workflow::mismatches::Correction {
    let recon = crate::reconcile::run(&d.snap).unwrap();
    crate::workflow::mismatches::detail(&d.snap, &recon, key)
        .unwrap()
        .view
        .corrections[0]
        .clone()
}

/// The demo's statement break (+4.52) with the same correction (−4.52 to actual) proposed
/// twice, by tlin then rdiaz, opened by mhale in the detail; the two corrections' ids.
fn demo_with_two_corrections() -> (Demo, &'static str, i64, i64) {
    demo_with_corrections(["-4.52", "-4.52"])
}

/// [`demo_with_two_corrections`] of these amounts.
fn demo_with_corrections(amounts: [&str; 2]) -> (Demo, &'static str, i64, i64) {
    let mut d = Demo::open("mhale");
    let key_stm = "employer_programs:STM-VERIFY-2026-03:statement-total";
    for ((login, reason), amount) in [("tlin", "first fix"), ("rdiaz", "same fix again")]
        .into_iter()
        .zip(amounts)
    {
        let proposal = crate::workflow::mismatches::Proposal {
            amount: crate::money::Money::parse(amount).unwrap(),
            side: crate::snapshot::model::Side::Actual,
            reason: reason.into(),
            reference: None,
        };
        d.propose_as(login, key_stm, &proposal);
    }
    d.reload_and_open_detail(key_stm);
    let ids: Vec<i64> = d.app.waiting_corrections().iter().map(|c| c.0).collect();
    assert_eq!(ids.len(), 2);
    (d, key_stm, ids[0], ids[1])
}

/// `login` decides correction `id` of `key` through the workflow, behind the cockpit's back.
fn decide_as(
    d: &Demo,
    login: &str,
    key: &str,
    decide: impl FnOnce(crate::workflow::mismatches::On<'_, crate::reconcile::Reconciliation>),
) {
    let recon = crate::reconcile::run(&d.snap).unwrap();
    let who = crate::workflow::Actor::resolve(&d.snap, Some(login)).unwrap();
    decide(crate::workflow::mismatches::on(&d.snap, &who, &recon, key));
}

fn editor_context(app: &App) -> String {
    app.editor
        .as_ref()
        .and_then(|e| e.context.clone())
        .unwrap_or_default()
}

/// The accept confirmation for #1 said "variance +4.52 → 0.00"; jokafor accepted #2 from the
/// command line meanwhile; Ctrl-S was refused as a conflict and reloaded, but the header kept
/// "+4.52 → 0.00" and the next Ctrl-S took the mismatch to −4.52 unseen. After the reload
/// the confirmation shows the figures recomputed (0.00 → −4.52); a correction no longer
/// waiting (sent back meanwhile) is said so, and Ctrl-S then accepts nothing.
#[test]
fn demo_the_accept_confirmation_shows_the_reloaded_figures_after_a_conflict() {
    let (mut d, key_stm, first, second) = demo_with_two_corrections();
    d.press(&[key('a'), code(KeyCode::Enter)]);
    assert_shows(
        &editor_context(&d.app),
        &format!("#{first} -4.52 adds to actual · by tlin · variance +4.52 → 0.00"),
    );
    decide_as(&d, "jokafor", key_stm, |on| {
        on.accept(Some(second), None).unwrap();
    });
    d.press(&[ctrl('s')]);
    assert!(d.app.editor.is_some(), "refused, still open");
    // The figures as reloaded, and why #1 is not accepted now: #2 resolved the mismatch,
    // and a correction still waiting is sent back, not accepted on top (the workflow
    // refuses it; it once moved the variance off 0.00 again, to −4.52).
    assert_shows(
        &editor_context(&d.app),
        &format!(
            "#{first} -4.52 adds to actual · by tlin · variance 0.00 → -4.52 — the mismatch is resolved"
        ),
    );
    assert_shows(editor_error(&d.app), "a correction still waiting is sent back");
    assert!(press(&mut d.app, &[ctrl('s')]).is_empty(), "nothing is sent");
    assert_eq!(
        d.app.detail_item().unwrap().corrected.2,
        crate::money::Money::ZERO
    );

    // Sent back meanwhile (the workflow refuses the accept, not as a conflict): said in the
    // header too, and Ctrl-S accepts nothing.
    let (mut d, key_stm, first, _) = demo_with_two_corrections();
    d.press(&[key('a'), code(KeyCode::Enter)]);
    decide_as(&d, "jokafor", key_stm, |on| {
        on.reject(Some(first), Some("duplicate of the other")).unwrap();
    });
    d.press(&[ctrl('s')]);
    assert_shows(
        &editor_context(&d.app),
        &format!("correction #{first} no longer waits for a decision: rejected by jokafor"),
    );
    assert!(press(&mut d.app, &[ctrl('s')]).is_empty(), "nothing is sent");
    assert_shows(editor_error(&d.app), "nothing was accepted");
    assert_eq!(
        d.app.detail_item().unwrap().corrected.2,
        crate::money::Money::parse("4.52").unwrap()
    );
}

/// The same for the reverse chooser's confirmation: with two partial corrections (−2.00
/// and −2.52 of the +4.52), reversing #1 read "variance +2.52 → +4.52"; once #2 is
/// accepted too meanwhile it is 0.00 → +2.00, and once #1 is reversed by someone else there
/// is nothing to reverse.
#[test]
fn demo_the_reverse_confirmation_shows_the_reloaded_figures_after_a_conflict() {
    let (mut d, key_stm, first, second) = demo_with_corrections(["-2.00", "-2.52"]);
    decide_as(&d, "jokafor", key_stm, |on| {
        on.accept(Some(first), None).unwrap();
    });
    d.reload_and_open_detail(key_stm);
    d.press(&[key('u'), code(KeyCode::Enter)]);
    assert_shows(&editor_context(&d.app), "variance +2.52 → +4.52");
    typed(&mut d.app, "accepted against the wrong statement line");
    decide_as(&d, "jokafor", key_stm, |on| {
        on.accept(Some(second), None).unwrap();
    });
    d.press(&[ctrl('s')]);
    assert_shows(&editor_context(&d.app), "variance 0.00 → +2.00");
    assert_shows(editor_error(&d.app), "Ctrl-S reverses it at the figures shown");

    let (mut d, key_stm, first, _) = demo_with_two_corrections();
    decide_as(&d, "jokafor", key_stm, |on| {
        on.accept(Some(first), None).unwrap();
    });
    d.reload_and_open_detail(key_stm);
    d.press(&[key('u'), code(KeyCode::Enter)]);
    typed(&mut d.app, "accepted against the wrong statement line");
    decide_as(&d, "sgupta", key_stm, |on| {
        on.reverse(first, "reversed by the other lead, wrong line")
            .unwrap();
    });
    d.press(&[ctrl('s')]);
    assert_shows(
        &editor_context(&d.app),
        &format!("correction #{first} is no longer accepted: reversed by sgupta"),
    );
    assert!(press(&mut d.app, &[ctrl('s')]).is_empty(), "nothing is sent");
    assert_shows(editor_error(&d.app), "nothing was reversed");
}

#[test]
fn demo_accepting_asks_for_confirmation_with_the_variance_and_an_optional_note() {
    let (mut d, key_gl) = demo_with_a_correction("jokafor");
    assert_shows(&d.screen(), "  ref: JE-1042");
    let id = d.app.waiting_corrections()[0].0;
    // Enter on the chooser opens the confirmation: nothing is written yet.
    assert!(press(&mut d.app, &[key('a'), code(KeyCode::Enter)]).is_empty());
    assert_eq!(
        d.app.editor.as_ref().map(|e| e.purpose.clone()),
        Some(Purpose::Accept {
            key: key_gl.into(),
            id
        })
    );
    let s = d.screen();
    assert_shows(
        &s,
        &format!("#{id} +9.75 adds to actual · by rdiaz · variance -9.75 → 0.00"),
    );
    assert_shows(&s, "Ctrl-S accept · Esc cancel");
    insta::assert_snapshot!("demo_accept_confirm", times_redacted(&s));
    // Esc cancels.
    assert!(press(&mut d.app, &[code(KeyCode::Esc)]).is_empty());
    assert!(d.app.editor.is_none());
    assert_eq!(demo_correction(&d, key_gl).status.as_str(), "proposed");
    // A note, Ctrl-S: accepted with it, as `accept --note`.
    press(&mut d.app, &[key('a'), code(KeyCode::Enter)]);
    typed(&mut d.app, "ties to JE-1042");
    let reqs = press(&mut d.app, &[ctrl('s')]);
    assert_eq!(
        reqs,
        vec![Request::Write(WriteOp::Accept {
            key: key_gl.into(),
            id: Some(id),
            note: Some("ties to JE-1042".into()),
            seen: Some(1),
        })]
    );
    d.pump(reqs);
    assert!(d.app.editor.is_none());
    let c = demo_correction(&d, key_gl);
    assert_eq!(
        (c.status.as_str(), c.row.decision_note.as_deref()),
        ("accepted", Some("ties to JE-1042"))
    );
    let log = d.snap.workflow().audit_log().unwrap();
    assert_eq!(log.last().unwrap().text.as_deref(), Some("ties to JE-1042"));
    let trail = trail_text(&d.app);
    assert_shows(&trail, "correction +9.75 on actual [accepted by jokafor]");
    assert_shows(&trail, "  accept note: ties to JE-1042");
}

#[test]
fn demo_a_reviewer_reverses_an_accepted_correction_with_a_reason() {
    let (mut d, key_gl) = demo_with_a_correction("jokafor");
    let id = d.app.waiting_corrections()[0].0;
    d.press(&[key('a'), code(KeyCode::Enter), ctrl('s')]);
    assert_eq!(demo_correction(&d, key_gl).status.as_str(), "accepted");
    // `u`: the accepted ones, with the variance after reversing each.
    assert!(press(&mut d.app, &[key('u')]).is_empty());
    let s = d.screen();
    assert_shows(&s, "Reverse which accepted correction?");
    assert_shows(
        &s,
        &format!("#{id} +9.75 adds to actual · accepted by jokafor · variance 0.00 → -9.75"),
    );
    insta::assert_snapshot!("demo_choose_reversal", times_redacted(&s));
    assert!(press(&mut d.app, &[code(KeyCode::Enter)]).is_empty());
    assert_eq!(
        d.app.editor.as_ref().map(|e| e.purpose.clone()),
        Some(Purpose::Reversal {
            key: key_gl.into(),
            id
        })
    );
    let s = d.screen();
    assert_shows(&s, "why it is reversed: at least 20 characters, for the trail");
    insta::assert_snapshot!("demo_reversal_reason", times_redacted(&s));
    // A reason is required, as a waiver's: the workflow's refusal shows in the editor.
    assert_eq!(press(&mut d.app, &[ctrl('s')]), vec![]);
    assert_eq!(editor_error(&d.app), "nothing written yet");
    typed(&mut d.app, "netted twice");
    d.press(&[ctrl('s')]);
    assert!(
        editor_error(&d.app).starts_with("not saved: a reversal needs a reason of at least 20 characters"),
        "{}",
        editor_error(&d.app)
    );
    typed(&mut d.app, ": the GL line is right");
    let reqs = press(&mut d.app, &[ctrl('s')]);
    assert!(
        matches!(&reqs[..], [Request::Write(WriteOp::Reverse { id: i, reason, .. })]
            if *i == id && reason == "netted twice: the GL line is right"),
        "{reqs:?}"
    );
    d.pump(reqs);
    assert!(d.app.editor.is_none());
    let c = demo_correction(&d, key_gl);
    assert_eq!(c.status.as_str(), "reversed");
    let at = c.row.reversed_at.clone().unwrap();
    let item = d.app.detail_item().unwrap();
    assert_eq!(item.status.as_str(), "open");
    assert_eq!(item.corrected.2.to_string(), "-9.75");
    let trail = trail_text(&d.app);
    assert_shows(
        &trail,
        "correction +9.75 on actual [accepted by jokafor, reversed]",
    );
    assert_shows(
        &trail,
        &format!("  reversed by jokafor at {at}: netted twice: the GL line is right\n"),
    );
    // Nothing accepted is left to reverse.
    d.press(&[key('u')]);
    assert_eq!(
        d.app.flash.as_ref().unwrap().1,
        "no accepted correction to reverse on this mismatch"
    );
}

/// A status message longer than the bar is cut with `…` and says `! full message`; `!`
/// opens it whole, wrapped, and the next key only closes it.
#[test]
fn a_message_that_does_not_fit_opens_in_full_on_bang() {
    let mut app = operator();
    let long = "exported the close packet to /home/olga/closedesk/close-packet-2026-03-draft-9f3c2a71b0.md \
                (draft: the period is not signed off; 2 mismatches are still open)";
    app.flash = Some((true, long.to_string()));
    let s = screen(&mut app, 80, 24);
    let status = s.lines().nth(23).unwrap();
    assert!(status.ends_with("… · ! full message"), "{status:?}");
    assert_eq!(status.chars().count(), 80);
    // `!` opens it; the flash may be gone by then (a view switch clears it): still shown.
    press(&mut app, &[key('2')]);
    assert!(app.flash.is_none());
    press(&mut app, &[key('!')]);
    assert!(app.message_open);
    let s = screen(&mut app, 80, 24);
    assert_shows(&s, "Message — any key closes");
    assert_shows(&s, "2 mismatches are still open)");
    insta::assert_snapshot!("full_message", s);
    // The closing key does only that: `j` does not move the selection.
    let before = app.mismatches.selected_key.clone();
    assert!(press(&mut app, &[key('j')]).is_empty());
    assert!(!app.message_open);
    assert_eq!(app.mismatches.selected_key, before);
    // A message that fits has no hint.
    app.flash = Some((true, "saved".into()));
    let s = screen(&mut app, 80, 24);
    assert!(!s.contains("! full message"));
}

/// With no message yet, `!` says so (a note in the status bar, not a refusal) instead of
/// opening an empty popup.
#[test]
fn bang_with_no_message_says_so() {
    let mut app = operator();
    press(&mut app, &[key('!')]);
    assert!(!app.message_open);
    assert_eq!(app.flash, Some((true, "no message to show".into())));
}

/// Footer line (second from the bottom) of a screen.
fn footer_of(s: &str) -> String {
    s.lines().rev().nth(1).unwrap_or("").to_string()
}

/// `/` in a lane asks the worker (SQL over the whole table), so it finds rows far beyond
/// the loaded page; Enter jumps to the first hit, `n`/`N` step with wrap, Esc clears.
#[test]
fn slash_in_a_lane_finds_rows_beyond_the_loaded_page_and_n_steps_through_them() {
    let mut d = Demo::open("rdiaz");
    d.press(&[key('4')]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Usage);
    assert!(
        !d.app.lanes.data().rows.iter().any(|r| r.id() == "UE-01300"),
        "not loaded yet"
    );
    press(&mut d.app, &[key('/')]);
    typed(&mut d.app, "ue-0130");
    assert_shows(&footer_of(&d.screen()), "search: ue-0130▏");
    let reqs = press(&mut d.app, &[code(KeyCode::Enter)]);
    assert_eq!(
        reqs,
        vec![Request::LaneSearch {
            lane: LaneTable::Usage,
            query: "ue-0130".into()
        }]
    );
    d.pump(reqs);
    let selected = |d: &Demo| {
        d.app.lanes.data().rows[d.app.lanes.data().selected]
            .id()
            .to_string()
    };
    assert_eq!(selected(&d), "UE-01300");
    assert_shows(&footer_of(&d.screen()), "/ue-0130 · hit 1/3");
    d.press(&[key('n')]);
    assert_eq!(selected(&d), "UE-01301");
    d.press(&[key('n'), key('n')]);
    assert_eq!(selected(&d), "UE-01300", "wraps to the first");
    d.press(&[key('N')]);
    assert_eq!(selected(&d), "UE-01302", "and back to the last");
    assert_shows(&footer_of(&d.screen()), "hit 3/3");
    // Back at the top, a new search starts at the selection: the first hit after it.
    d.press(&[key('g')]);
    // Esc clears the search (and stays in the lane); the next Esc goes back.
    d.press(&[code(KeyCode::Esc)]);
    assert!(!d.app.search_active());
    assert_eq!(d.app.view, View::Lanes);
    assert!(!footer_of(&d.screen()).contains("hit"));
    // No search on: `n` says how to search.
    d.press(&[key('n')]);
    assert_eq!(
        d.app.flash,
        Some((true, "no search on: / searches this table".into()))
    );
}

/// An amount typed as shown (`2,180.37`) or without its sign (`9.75` finds `-9.75`)
/// matches the figure exactly on cents; an account id finds its rows.
#[test]
fn slash_in_a_lane_matches_amounts_on_cents_and_account_ids() {
    let mut d = Demo::open("rdiaz");
    d.press(&[key('4'), key('l')]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Exports);
    d.press(&[key('/')]);
    typed(&mut d.app, "2,180.37");
    d.press(&[code(KeyCode::Enter)]);
    let data = d.app.lanes.data();
    assert_eq!(data.rows[data.selected].id(), "GLL-003");
    assert_eq!(d.app.search.lanes[1].hits, vec!["GLL-003".to_string()]);
    d.press(&[key('/')]);
    typed(&mut d.app, "2180.3");
    d.press(&[code(KeyCode::Enter)]);
    assert!(
        d.app.search.lanes[1].hits.is_empty(),
        "2180.30 is no figure of the lane"
    );
    assert_shows(&footer_of(&d.screen()), "/2180.3 · no hits");
    // From the top: the first hit at or after the selection is the first.
    d.press(&[key('g'), key('/')]);
    typed(&mut d.app, "ACC-1004");
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(d.app.search.lanes[1].hits.len(), 12, "ACC-1004's export lines");
    d.press(&[key('n'), key('n')]);
    let s = d.screen();
    assert_shows(&footer_of(&s), "/ACC-1004 · hit 3/12");
    insta::assert_snapshot!("demo_lanes_search_hits", s);
}

/// The mismatch's source rows: `/` finds them; while the search is on `n` is "next hit"
/// (the footer says so), after Esc `n` is "note" again.
#[test]
fn slash_in_the_mismatch_detail_searches_its_source_rows_and_n_is_note_again_after_esc() {
    let mut d = Demo::open("rdiaz");
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(d.app.view, View::Detail);
    d.press(&[key('/')]);
    typed(&mut d.app, "inv-2602");
    d.press(&[code(KeyCode::Enter)]);
    let sources = d.app.detail_sources();
    let hits = d.app.search.detail.hits.clone();
    assert!(hits.len() > 2, "{hits:?}");
    assert!(hits.iter().all(|i| sources[*i].2.starts_with("INV-2602")));
    assert_eq!(d.app.detail.source, hits[0]);
    let footer = footer_of(&d.screen());
    assert_shows(&footer, "n next hit");
    assert_shows(&footer, &format!("/inv-2602 · hit 1/{}", hits.len()));
    d.press(&[key('n')]);
    assert!(d.app.editor.is_none(), "n steps, it does not open a note");
    assert_eq!(d.app.detail.source, hits[1]);
    d.press(&[code(KeyCode::Esc)]);
    assert_eq!(d.app.view, View::Detail, "Esc cleared the search");
    assert!(footer_of(&d.screen()).contains("n note"));
    d.press(&[key('n')]);
    assert!(matches!(
        d.app.editor.as_ref().map(|e| &e.purpose),
        Some(Purpose::Note { .. })
    ));
}

/// `G` in the evidence shows its last page, full: it scrolled the last line to the top of
/// an otherwise empty box.
#[test]
fn g_in_the_evidence_shows_the_last_page() {
    let mut d = Demo::open("jokafor");
    d.press(&[code(KeyCode::Enter), key('t')]);
    assert_eq!(d.app.view, View::Evidence);
    d.screen();
    d.press(&[key('G')]);
    let s = d.screen();
    let last = d.app.evidence.lines().last().unwrap().trim().to_string();
    let rows: Vec<&str> = s.lines().filter(|l| l.starts_with('│')).collect();
    assert!(rows.last().unwrap().contains(&last), "{s}");
    assert!(
        rows.first().is_some_and(|r| !r.contains(&last)),
        "a full last page: {s}"
    );
    // k steps back one line from there.
    let top = d.app.evidence.scroll;
    d.press(&[key('k')]);
    assert_eq!(d.app.evidence.scroll, top - 1);
}

/// The evidence: `/ACC-1004` lands on the comparison's differing line (marked as the
/// selection); the checklist and the audit log search their rows.
#[test]
fn slash_in_the_evidence_the_checklist_and_the_audit_log() {
    let mut d = Demo::open("jokafor");
    d.press(&[code(KeyCode::Enter), key('t')]);
    assert_eq!(d.app.view, View::Evidence);
    d.press(&[key('/')]);
    typed(&mut d.app, "ACC-1004");
    d.press(&[code(KeyCode::Enter)]);
    let lines = d.app.evidence.lines();
    let hit = d.app.search.evidence.current().expect("a hit");
    assert!(lines[hit].contains("ACC-1004"), "{}", lines[hit]);
    let s = d.screen();
    assert_shows(&s, "ACC-1004");
    assert_shows(&footer_of(&s), "/ACC-1004 · hit 1/");
    insta::assert_snapshot!("demo_evidence_search", s);
    // `-9.75` finds the differing line by its difference.
    d.press(&[key('/')]);
    typed(&mut d.app, "-9.75");
    d.press(&[code(KeyCode::Enter)]);
    let hit = d.app.search.evidence.current().expect("a hit");
    assert!(lines[hit].starts_with("  ≠"), "{}", lines[hit]);

    d.press(&[key('3'), key('/')]);
    typed(&mut d.app, "revenue");
    d.press(&[code(KeyCode::Enter)]);
    let items = &d.app.data.as_ref().unwrap().checklist;
    let at = d.app.checklist.selected;
    assert!(
        items[at].title.to_lowercase().contains("revenue"),
        "{}",
        items[at].title
    );

    d.press(&[key('5'), key('/')]);
    typed(&mut d.app, "session.open");
    d.press(&[code(KeyCode::Enter)]);
    let shown = d.app.audit.shown();
    let hits = d.app.search.audit.hits.clone();
    assert!(hits.iter().all(|i| shown[*i].row.action.contains("session.open")));
    assert_shows(&footer_of(&d.screen()), "/session.open");
}

/// After an edit conflict the editor stays open with the draft, the mismatch and its trail
/// are read again, and the next Ctrl-S sends the reloaded version, so a retry can succeed.
#[test]
fn a_conflict_reloads_the_mismatch_keeps_the_draft_and_the_retry_sends_the_new_version() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('p')]);
    let key_ = app.detail.key.clone();
    let v0 = app.detail_item().unwrap().version;
    typed(&mut app, "9.75 actual");
    press(&mut app, &[code(KeyCode::Enter)]);
    typed(&mut app, "CM-77 posted late");
    let draft = app.editor.as_ref().unwrap().text();
    let reqs = press(&mut app, &[ctrl('s')]);
    let op = |seen: i64| WriteOp::Correction {
        key: key_.clone(),
        amount: crate::money::Money::parse("9.75").unwrap(),
        side: Side::Actual,
        text: "CM-77 posted late".into(),
        reference: None,
        seen: Some(seen),
    };
    assert_eq!(reqs, vec![Request::Write(op(v0))]);
    // Rita accepted a correction meanwhile: the workflow refuses ours as a conflict.
    let reqs = app.on_response(Response::Wrote {
        op: op(v0),
        result: Err(format!(
            "conflict: mismatch {key_} changed since you read it (you saw version {v0}, it is now version {}, \
             changed by rita at 2026-04-02T10:15:00Z); nothing was saved — reload and try again",
            v0 + 1
        )),
    });
    assert_eq!(
        reqs,
        vec![
            Request::Load,
            Request::Trail {
                kind: TargetKind::Mismatch,
                target: key_.clone()
            }
        ],
        "the mismatch and its trail are read again"
    );
    assert_eq!(app.editor.as_ref().unwrap().text(), draft, "the draft is kept");
    assert!(editor_error(&app).starts_with("not saved: conflict:"));
    // The reload: the mismatch is at the next version now, with rita's note in the trail.
    let mut loaded = fixture::loaded("olga", Some(Role::Operator));
    loaded
        .items
        .iter_mut()
        .find(|i| i.mismatch.key == key_)
        .unwrap()
        .version = v0 + 1;
    app.on_response(Response::Loaded(Box::new(loaded)));
    let trail = detail_trail(&app);
    app.on_response(trail);
    assert_eq!(app.editor.as_ref().unwrap().seen, Some(v0 + 1));
    assert_eq!(app.editor.as_ref().unwrap().text(), draft);
    assert_shows(
        editor_error(&app),
        &format!(
            "changed by rita at 2026-04-02T10:15:00Z (version {v0} → {})",
            v0 + 1
        ),
    );
    assert!(app.detail.trail.as_ref().is_some_and(|t| !t.is_empty()));
    // The retry carries the reloaded version, and succeeds.
    let reqs = press(&mut app, &[ctrl('s')]);
    assert_eq!(reqs, vec![Request::Write(op(v0 + 1))]);
    app.on_response(Response::Wrote {
        op: op(v0 + 1),
        result: Ok("correction #2 proposed".into()),
    });
    assert!(app.editor.is_none());
    // Another refusal (not a conflict) keeps the draft and reloads nothing.
    press(&mut app, &[key('p')]);
    typed(&mut app, "1.00 actual");
    press(&mut app, &[code(KeyCode::Enter)]);
    typed(&mut app, "why");
    let reqs = press(&mut app, &[ctrl('s')]);
    let Request::Write(op) = reqs[0].clone() else {
        panic!("{reqs:?}")
    };
    let reqs = app.on_response(Response::Wrote {
        op,
        result: Err("the period is signed off".into()),
    });
    assert!(reqs.is_empty());
    assert!(!app.editor.as_ref().unwrap().reload);
}

/// The same for a checklist note saved with a move: the item's new version is used.
#[test]
fn a_conflict_on_a_checklist_move_with_a_note_retries_with_the_items_new_version() {
    let mut app = operator();
    press(&mut app, &[key('3'), key('n')]);
    typed(&mut app, "tied out");
    press(&mut app, &[ctrl('s')]);
    let reqs = press(&mut app, &[key('d')]);
    let v0 = app.item_version(1).unwrap();
    let op = |seen| WriteOp::Checklist {
        item: 1,
        status: ItemStatus::Done,
        note: Some("tied out".into()),
        seen: Some(seen),
    };
    assert_eq!(reqs, vec![Request::Write(op(v0))]);
    let reqs = app.on_response(Response::Wrote {
        op: op(v0),
        result: Err("conflict: checklist item 1 changed since you read it (you saw version 0, it is now version 1, changed by rita at 2026-04-02T10:15:00Z); nothing was saved — reload and try again".into()),
    });
    assert!(reqs.contains(&Request::Load));
    let mut loaded = fixture::loaded("olga", Some(Role::Operator));
    loaded.checklist[0].version = v0 + 1;
    app.on_response(Response::Loaded(Box::new(loaded)));
    assert_eq!(app.editor.as_ref().unwrap().text(), "tied out");
    press(&mut app, &[ctrl('s')]);
    assert_eq!(press(&mut app, &[key('d')]), vec![Request::Write(op(v0 + 1))]);
    // A move without a note that conflicts: refused whole, and the item is read again.
    app.editor = None;
    let reqs = app.on_response(Response::Wrote {
        op: op(v0 + 1),
        result: Err("conflict: checklist item 1 changed since you read it".into()),
    });
    assert!(reqs.contains(&Request::Load), "{reqs:?}");
    assert!(app
        .flash
        .as_ref()
        .is_some_and(|(ok, m)| !ok && m.starts_with("refused: conflict:")));
}

/// The usage compare in the evidence view: each usage line of the account, billed against
/// the rated events on it, the differing ones marked `≠` (tests/fixtures/nets-away, by
/// hand: LN-A2U bills 40.00 with no event of its account on it; UE-3's 40.00 is on no line).
#[test]
fn the_evidence_of_a_usage_mismatch_compares_rated_and_billed_per_line() {
    let mut d = Demo::fixture("nets-away", "controller");
    let reqs = d.app.open_detail("usage:LN-A2U:events".into());
    d.pump(reqs);
    d.press(&[key('t')]);
    assert_eq!(d.app.view, View::Evidence);
    let lines = d.app.evidence.lines();
    let marked: Vec<&String> = lines.iter().filter(|l| l.starts_with("  ≠")).collect();
    assert_eq!(marked.len(), 2, "{lines:#?}");
    assert!(marked[0].contains("LN-A2U") && marked[0].trim_end().ends_with("40.00"));
    assert!(marked[1].contains("UE-3") && marked[1].trim_end().ends_with("-40.00"));
    let s = d.screen();
    assert_shows(&s, "Compared: ACC-A");
    insta::assert_snapshot!("usage_evidence_compare", s);
}

/// A search of a mismatch's source rows is dropped when another mismatch is opened: its
/// row numbers would name that one's rows.
#[test]
fn a_detail_search_is_dropped_when_another_mismatch_is_opened() {
    let mut d = Demo::open("rdiaz");
    d.press(&[code(KeyCode::Enter), key('/')]);
    typed(&mut d.app, "INV");
    d.press(&[code(KeyCode::Enter)]);
    assert!(d.app.search_active());
    d.press(&[code(KeyCode::Esc)]);
    assert!(!d.app.search_active(), "Esc cleared it");
    d.press(&[key('/')]);
    typed(&mut d.app, "INV");
    d.press(&[code(KeyCode::Enter), key('2'), key('j'), code(KeyCode::Enter)]);
    assert_eq!(d.app.view, View::Detail);
    let s = d.screen();
    assert!(!d.app.search_active(), "the other mismatch's search is gone");
    assert!(!footer_of(&s).contains("/INV"), "{s}");
}

/// Enter on a lane row opens its tied rows (asked of the worker); Enter on a tied row opens
/// it in its own lane, focused: invoice → its disbursement → the payment → the chargeback
/// that names it; Esc closes the panel and stays in the lane.
#[test]
fn demo_tied_rows_walk_from_an_invoice_to_the_chargeback_of_its_payment() {
    use crate::snapshot::pages::LaneTable;
    let mut d = Demo::open("jokafor");
    d.locate("invoices", "INV-26030016");
    assert_eq!(d.app.lanes.lane(), LaneTable::Aging);
    let reqs = press(&mut d.app, &[code(KeyCode::Enter)]);
    assert_eq!(
        reqs,
        vec![Request::Tied {
            lane: LaneTable::Aging,
            id: "INV-26030016".into()
        }]
    );
    assert!(d.app.lanes.tied.as_ref().is_some_and(|p| p.result.is_none()));
    assert_shows(&d.screen(), "loading…");
    d.pump(reqs);
    let s = d.screen();
    assert_shows(&s, "INV-26030016: tied rows");
    assert_shows(&s, "lines 359.29 = total 359.29 ✓");
    assert_shows(&s, "from PAY-0008");
    assert_shows(&s, "Enter open in its lane");
    let ids = |d: &Demo| -> Vec<String> {
        d.app
            .lanes
            .tied
            .as_ref()
            .unwrap()
            .rows()
            .iter()
            .map(|r| r.id.clone())
            .collect()
    };
    assert_eq!(
        ids(&d),
        vec![
            "LN-00184",
            "LN-00185",
            "DSB-00013",
            "DSB-00081",
            "LG-00114",
            "LG-00157",
            "LG-00286"
        ]
    );
    let selected = |d: &Demo| {
        let data = d.app.lanes.data();
        (d.app.lanes.lane(), data.rows[data.selected].id().to_string())
    };
    // j j: the first disbursement; Enter: the disbursements lane, on it, panel closed.
    d.press(&[key('j'), key('j')]);
    assert_eq!(d.app.lanes.tied.as_ref().unwrap().selected, 2);
    assert_eq!(
        selected(&d).1,
        "INV-26030016",
        "j moves in the panel, not the table"
    );
    let reqs = press(&mut d.app, &[code(KeyCode::Enter)]);
    assert_eq!(
        reqs,
        vec![Request::Locate {
            table: "disbursements".into(),
            id: "DSB-00013".into()
        }]
    );
    d.pump(reqs);
    assert!(d.app.lanes.tied.is_none());
    assert_eq!(selected(&d), (LaneTable::Disbursements, "DSB-00013".into()));
    // Its source first: the payment.
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(ids(&d), vec!["PAY-0008", "INV-26030016", "LG-00157"]);
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(selected(&d), (LaneTable::Payments, "PAY-0008".into()));
    // The payment's chargeback names it.
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(ids(&d)[0], "CHB-0001");
    assert_shows(&d.screen(), "Reversals, refunds and chargebacks naming it");
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(selected(&d), (LaneTable::Payments, "CHB-0001".into()));
    d.press(&[code(KeyCode::Enter)]);
    assert_eq!(ids(&d)[0], "PAY-0008", "a chargeback: the payment it undoes");
    // Esc closes the panel, and only that.
    d.press(&[code(KeyCode::Esc)]);
    assert!(d.app.lanes.tied.is_none());
    assert_eq!(d.app.view, View::Lanes);
    assert_eq!(selected(&d), (LaneTable::Payments, "CHB-0001".into()));
    assert!(!d.screen().contains("tied rows:"));
}

/// The panel of a demo invoice at 80x24 with NO_COLOR: its usage lines each add up to the
/// rated events on them, its lines to its total, its disbursement to what was paid.
#[test]
fn demo_tied_rows_of_an_invoice_screen() {
    let mut d = Demo::open("jokafor");
    d.locate("invoices", "INV-26030052");
    d.press(&[code(KeyCode::Enter)]);
    let s = d.screen();
    assert_shows(&s, "lines 96.40 = total 96.40 ✓");
    assert_shows(&s, "disbursed 96.40 = total − balance 96.40 ✓");
    assert_shows(
        &s,
        "rated usage on each of its 3 usage lines = the line ✓ (96.40 in all)",
    );
    insta::assert_snapshot!("demo_lanes_tied_invoice", s);
    // `?` lists Enter as "tied rows" and the panel's keys; the footer of the lanes too.
    d.press(&[code(KeyCode::Esc)]);
    assert_shows(&d.screen(), "Enter tied rows");
    d.press(&[key('?')]);
    let help = d.screen();
    assert_shows(&help, "Enter tied rows");
    assert_shows(&help, "Enter open it in its own lane");
}

/// A statement line's tied rows sum its statement: the demo's STM-VERIFY-2026-03 has lines
/// of 244.08 under a header of 248.60, which its mismatch `statement-total` holds at
/// +4.52 (actual, the header, − expected): the panel says the same sign, not −4.52.
#[test]
fn demo_tied_statement_lines_are_off_by_the_mismatchs_variance() {
    let mut d = Demo::open("jokafor");
    d.locate("statement_lines", "STL-003");
    d.press(&[code(KeyCode::Enter)]);
    assert_shows(
        &d.screen(),
        "statement lines 244.08 ≠ statement total 248.60 (off by +4.52)",
    );
}

/// An export line's tied rows: its batch (Enter opens the batch's first line) and the
/// account's window-end AR, which no lane lists: Enter there says so and keeps the panel.
#[test]
fn demo_tied_rows_of_the_gl_gap_line() {
    use crate::snapshot::pages::LaneTable;
    let mut d = Demo::open("jokafor");
    d.locate("export_lines", "GLL-003");
    d.press(&[code(KeyCode::Enter)]);
    let s = d.screen();
    assert_shows(&s, "GL line 2,180.37 ≠ window-end AR 2,190.12 (off by -9.75)");
    d.press(&[key('j')]);
    let reqs = press(&mut d.app, &[code(KeyCode::Enter)]);
    assert!(reqs.is_empty());
    assert!(d.app.lanes.tied.is_some());
    assert_shows(&d.screen(), "no lane lists accounts");
    d.press(&[key('x'), key('k'), code(KeyCode::Enter)]);
    assert_eq!(d.app.lanes.lane(), LaneTable::Exports);
    assert!(d.app.lanes.tied.is_none());
    let data = d.app.lanes.data();
    assert_eq!(data.rows[data.selected].id(), "GLL-001", "the batch's first line");
}

/// Text in the tied rows comes from the file: a terminal escape in a reference is drawn
/// inert, never sent.
#[test]
fn demo_tied_rows_draw_stored_text_inert() {
    let mut d = Demo::open("jokafor");
    d.snap
        .conn()
        .execute(
            "UPDATE payments SET reference = 'evil \u{1b}]52;c;aGk=\u{7} ref' WHERE id = 'RFD-0001'",
            [],
        )
        .unwrap();
    d.locate("payments", "PAY-0023");
    d.press(&[code(KeyCode::Enter)]);
    let s = d.screen();
    assert_shows(&s, "RFD-0001");
    assert_shows(&s, "evil \\x1b]52;c;aGk=\\x07 ref");
    assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s:?}");
}

/// A failure while the tied rows load is shown in the panel, not an endless "loading…".
#[test]
fn a_failure_while_tied_rows_load_shows_in_the_panel() {
    let mut d = Demo::open("jokafor");
    d.locate("invoices", "INV-26030016");
    let _ = press(&mut d.app, &[code(KeyCode::Enter)]);
    d.app.on_response(Response::Failed("database is locked".into()));
    d.press(&[key('x')]);
    let s = d.screen();
    assert_shows(&s, "cannot read the tied rows: database is locked");
}

#[test]
fn the_window_moves_as_little_as_keeps_the_selection_in_view() {
    use super::views::scrolled;
    // 10 rows, 3 on screen.
    assert_eq!(scrolled(4, 5, 3, 10), 4); // in view: stays
    assert_eq!(scrolled(0, 5, 3, 10), 3); // below: rows 3..6
    assert_eq!(scrolled(6, 2, 3, 10), 2); // above: rows 2..5
    assert_eq!(scrolled(9, 9, 3, 10), 7); // past the end: the last three rows
    assert_eq!(scrolled(5, 0, 3, 0), 0); // no rows
}

/// A lane scrolled to its last row, then shown on a taller terminal, shows its rows from
/// the first: the window is clamped to the rows there are, as every table's is
/// (`views::scrolled`), not left where it was with the rows above it hidden.
#[test]
fn a_lane_scrolled_down_fills_a_taller_terminal_from_its_first_row() {
    let mut d = Demo::open("jokafor");
    d.locate("payments", "PAY-0018");
    let rows: Vec<String> = d
        .app
        .lanes
        .data()
        .rows
        .iter()
        .map(|r| r.row.id().to_string())
        .collect();
    assert!(rows.len() > 20 && rows.len() < 100, "{} payments", rows.len());
    d.press(&[key('G')]);
    let short = d.screen();
    assert!(!short.contains(&format!(" {} ", rows[0])), "{short}");
    let tall = screen(&mut d.app, 80, 120);
    assert_shows(&tall, &rows[0]);
    assert_shows(&tall, rows.last().unwrap());
}

/// A paste is text for the open field, never keys: in the editor it keeps its lines and
/// loses its control characters (an `ESC` would otherwise close the editor); with no field
/// open it runs no command; a paste too large is refused whole.
#[test]
fn a_paste_is_text_in_the_open_field_and_never_runs_keys() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('n')]);
    app.on_paste("JE-1042\tpaid\r\nsee \x1b[31mCM-77\x1b[0m\x07");
    let ed = app.editor.as_ref().unwrap();
    assert_eq!(ed.text(), "JE-1042    paid\nsee [31mCM-77[0m");
    assert_eq!(ed.discard, None);
    // More than the limit: refused whole, the draft untouched.
    app.on_paste(&"x".repeat(crate::tui::app::MAX_PASTE + 1));
    let ed = app.editor.as_ref().unwrap();
    assert_eq!(ed.text(), "JE-1042    paid\nsee [31mCM-77[0m");
    assert!(ed
        .error
        .as_deref()
        .unwrap()
        .starts_with("paste not taken: 65537 bytes"));
    press(&mut app, &[code(KeyCode::Esc), key('y')]);
    assert!(app.editor.is_none());
    // No field open: a paste of "q" and "w" does not quit or open a waiver.
    let reqs = app.on_paste("qw\n");
    assert!(reqs.is_empty());
    assert!(!app.quit);
    assert!(app.editor.is_none());
    assert_shows(
        &screen(&mut app, 80, 24),
        "pasted text not used: no text field is open",
    );
    // A one-line field takes it on one line.
    press(&mut app, &[key('2'), key('/')]);
    app.on_paste("ac\nme\r\n");
    assert_eq!(app.mismatches.filter, "ac me");
    assert!(app.mismatches.typing);
}

/// A paste on the Overview, where no text field is open, is said at once in the status bar
/// (the last line), and the next key does what it says: `2` opens the Mismatches (it was
/// spent closing a refusal box, so `2` seemed dead and only `3` worked).
#[test]
fn a_paste_with_no_field_open_says_so_in_the_status_bar_and_the_next_key_acts() {
    let mut app = operator();
    assert_eq!(app.view, View::Overview);
    assert!(app.on_paste("hello").is_empty());
    let s = screen(&mut app, 80, 24);
    let status = s.lines().last().unwrap();
    assert!(
        status.contains("pasted text not used: no text field is open here"),
        "{s}"
    );
    press(&mut app, &[key('2')]);
    assert_eq!(app.view, View::Mismatches);
    // Too large, with no editor open: the same, the next key acts.
    app.on_paste(&"x".repeat(crate::tui::app::MAX_PASTE + 1));
    let s = screen(&mut app, 80, 24);
    assert!(s.lines().last().unwrap().contains("paste not taken"), "{s}");
    press(&mut app, &[key('3')]);
    assert_eq!(app.view, View::Checklist);
}

/// A workflow row changed outside closedesk (every mismatch set to waived with `sqlite3`)
/// made the cockpit read CLEAN: it now says CHANGED OUTSIDE where the status is.
#[test]
fn a_workflow_row_changed_outside_closedesk_is_said_where_the_status_is() {
    let mut d = Demo::open("mhale");
    d.snap
        .conn()
        .execute_batch(
            "INSERT INTO mismatch_state (key, status, first_seen, updated_by, updated_at, version)
               SELECT key, 'waived', '2026-11-30T00:00:00Z', 'jokafor', '2026-11-30T00:00:00Z', 1
               FROM reconcile_mismatches;",
        )
        .unwrap();
    d.pump(vec![Request::Load]);
    let s = d.screen();
    // The sign-off view says it as an unmet box, and S refuses at once.
    d.press(&[key('6')]);
    assert_shows(&d.screen(), "[ ] the workflow tables match the audit log");
    d.press(&[key('S')]);
    assert!(d.app.signoff.typing.is_none());
    assert_shows(
        &d.screen(),
        "cannot sign off: the workflow tables do not match the audit log",
    );
    assert_shows(&s, "CHANGED OUTSIDE");
    assert_shows(
        &s,
        "CHANGED OUTSIDE closedesk: a row the audit log did not make (5, then v names it)",
    );
    assert!(!s.contains(" CLEAN "), "{s}");
}

/// Four-eyes is asked when the reviewer picks their own correction in the accept chooser,
/// not after the accept note is written and Ctrl-S pressed.
#[test]
fn demo_accepting_ones_own_correction_is_refused_at_the_chooser() {
    let mut d = Demo::open("jokafor");
    let key_gl = "exports:GL-2026-03:ar-total";
    let proposal = crate::workflow::mismatches::Proposal {
        amount: crate::money::Money::parse("9.75").unwrap(),
        side: crate::snapshot::model::Side::Actual,
        reason: "the GL export missed ACC-1004's line".into(),
        reference: None,
    };
    d.propose_as("jokafor", key_gl, &proposal);
    d.reload_and_open_detail(key_gl);
    assert!(press(&mut d.app, &[key('a'), code(KeyCode::Enter)]).is_empty());
    assert!(d.app.editor.is_none());
    assert_shows(&d.screen(), "four-eyes: jokafor proposed correction #");
}

/// A result in the status bar is read by the next key, which acts as usual; `!` still
/// shows it. It stayed up for minutes, over the user and the file, in other views too.
#[test]
fn a_result_message_gives_the_status_bar_back_at_the_next_key() {
    let mut app = operator();
    app.notice("note saved (audit #16)".into());
    assert_shows(&screen(&mut app, 80, 24), "note saved (audit #16)");
    press(&mut app, &[key('j')]);
    assert_eq!(app.view, View::Overview);
    let s = screen(&mut app, 80, 24);
    assert!(!s.contains("note saved"), "{s}");
    assert_shows(&s, "olga (operator)");
    press(&mut app, &[key('!')]);
    assert_shows(&screen(&mut app, 80, 24), "note saved (audit #16)");
}

/// Ctrl and Alt chords type nothing into the one-line filter (Ctrl-W typed a `w`); Ctrl-U
/// clears it, as in `/` search.
#[test]
fn chords_type_nothing_into_the_mismatch_filter() {
    let mut app = operator();
    press(
        &mut app,
        &[key('2'), key('/'), key('a'), key('b'), ctrl('w'), ctrl('a')],
    );
    assert_eq!(app.mismatches.filter, "ab");
    press(&mut app, &[ctrl('u')]);
    assert_eq!(app.mismatches.filter, "");
    assert!(app.mismatches.typing);
}

/// A period with no mismatch says so in the Mismatches view: it said "No mismatch matches
/// these filters (x clears them)" with no filter set.
#[test]
fn a_clean_period_says_every_check_ties_in_the_mismatch_list() {
    let mut d = Demo::fixture("worked-example", "controller");
    d.press(&[key('2')]);
    assert_shows(&d.screen(), "No mismatches: every check ties.");
}

/// A lead's S with a precondition unmet is refused at once, naming what is missing: it
/// asked for the period id and the comment first, and refused only at Ctrl-S.
#[test]
fn signing_off_with_an_unmet_precondition_is_refused_before_anything_is_typed() {
    let mut d = Demo::open("mhale");
    d.press(&[key('6'), key('S')]);
    assert!(d.app.signoff.typing.is_none());
    assert!(d.app.editor.is_none());
    assert_shows(&d.screen(), "cannot sign off yet:");
}

/// A sent-back correction's trail says whose words each reason is: the proposer's reason
/// stood unlabelled under "[rejected by jokafor]", reading as the decider's.
#[test]
fn demo_a_sent_back_correction_says_whose_reason_is_whose() {
    let (mut d, key_gl) = demo_with_a_correction("jokafor");
    d.press(&[key('r'), code(KeyCode::Enter)]);
    typed(&mut d.app, "wrong side: the export is short");
    d.press(&[ctrl('s')]);
    assert_eq!(demo_correction(&d, key_gl).status.as_str(), "rejected");
    let trail = trail_text(&d.app);
    assert_shows(&trail, "correction +9.75 on actual [rejected by jokafor]");
    assert_shows(&trail, "  proposed because: the GL export missed ACC-1004's line");
    assert_shows(&trail, "  sent back because: wrong side: the export is short");
}

// ---- fixes of a black-box audit (fix-tui2) ---------------------------------------------

/// Whitespace runs as one space: a wrapped box reads as one line.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The evidence of a GL `ar-total` on a big period at 80x24: the comparison's `difference`
/// column read `0.…` on every row (the ≠ row's -9.75 too), the names taking the room.
#[test]
fn evidence_at_80_columns_never_cuts_an_amount() {
    use crate::reconcile::evidence::{Compare, CompareRow, Evidence, Side};
    let mut app = operator();
    let side = |cents| Side {
        figure: crate::money::Money::from_cents(cents),
        rows: Vec::new(),
        sums: Vec::new(),
        capped: false,
    };
    let names = [
        "Redwood Coast Dermatology 2",
        "Riverbend Family Practice 3",
        "Employer Benefits Trust 9",
    ];
    let rows = (0..12)
        .map(|i| {
            let expected = 1_889_308 + i * 1_000;
            let off = if i == 5 { -975 } else { 0 };
            CompareRow {
                id: format!("ACC-{i:06}"),
                name: Some(names[i as usize % 3].to_string()),
                expected: crate::money::Money::from_cents(expected),
                actual: crate::money::Money::from_cents(expected + off),
                difference: crate::money::Money::from_cents(off),
                differs: off != 0,
            }
        })
        .collect();
    app.evidence = super::views::evidence::EvidenceState {
        key: "exports:GL-2026-03:ar-total".into(),
        result: Some(Ok(Evidence {
            key: "exports:GL-2026-03:ar-total".into(),
            title: "GL export total does not tie to closing AR".into(),
            expected: side(7_593_746_271),
            actual: side(7_593_745_296),
            variance: crate::money::Money::from_cents(-975),
            next_action: "Re-run the GL export".into(),
            compare: Some(Compare {
                what: "GL-2026-03 lines by account".into(),
                id_is: "account".into(),
                expected_is: "window-end AR".into(),
                actual_is: "lines".into(),
                rows,
                note: None,
            }),
        })),
        scroll: 0,
        across: 0,
    };
    app.show(View::Evidence);
    for (w, h) in [(80, 24), (120, 40)] {
        let s = screen(&mut app, w, h);
        assert_shows(&s, "difference");
        let accounts: Vec<&str> = s.lines().filter(|l| l.contains("ACC-0")).collect();
        assert_eq!(accounts.len(), 12, "{s}");
        for l in accounts {
            let l = l.trim_end_matches('│').trim_end();
            let want = if l.contains("ACC-000005") { "-9.75" } else { "0.00" };
            assert!(l.ends_with(want), "the difference is cut at {w}x{h}: {l:?}\n{s}");
            assert!(!l.contains("0.…"), "{l:?}");
        }
    }
}

/// Asked "Discard this draft and quit? y quits · any other key keeps editing", a second
/// Ctrl-C quit and dropped the draft.
#[test]
fn a_second_ctrl_c_at_the_discard_question_keeps_editing() {
    let mut app = operator();
    press(&mut app, &[code(KeyCode::Enter), key('n')]);
    typed(&mut app, "draft");
    press(&mut app, &[ctrl('c')]);
    assert_shows(&screen(&mut app, 80, 24), "Discard this draft and quit?");
    press(&mut app, &[ctrl('c')]);
    assert!(!app.quit, "only y quits");
    let ed = app.editor.as_ref().expect("still editing");
    assert_eq!(ed.discard, None);
    assert_eq!(ed.text(), "draft");
    // Typing goes on; Ctrl-C then y quits.
    typed(&mut app, "!");
    assert_eq!(app.editor.as_ref().unwrap().text(), "draft!");
    press(&mut app, &[ctrl('c'), key('y')]);
    assert!(app.quit);
}

/// `!` with no message opened the refusal box "Not done — any key continues".
#[test]
fn bang_with_no_message_is_a_note_not_a_refusal() {
    let mut app = operator();
    press(&mut app, &[key('!')]);
    let s = screen(&mut app, 80, 24);
    assert!(!s.contains("Not done"), "{s}");
    assert_shows(&s, "no message to show");
    // The next key acts as usual (it is not spent closing a box).
    press(&mut app, &[key('2')]);
    assert_eq!(app.view, View::Mismatches);
    // And `!` does not then show "no message to show" as the last message.
    press(&mut app, &[key('!')]);
    assert!(!app.message_open);
}

/// The Usage lane's header read `open exceptions 0 (0.00)` while an unbilled usage
/// mismatch was open (the overview said `usage 1✗`).
#[test]
fn a_lane_header_counts_its_open_mismatches() {
    let mut app = operator();
    app.data.as_mut().unwrap().items[0].mismatch.lane = Lane::Usage;
    press(&mut app, &[key('4')]);
    app.on_response(usage_page(String::new(), page("U", 0, 3)));
    let s = flat(&screen(&mut app, 80, 24));
    assert!(s.contains("1 open mismatch (-9.75) · rated"), "{s}");
    // A lane with none open has its own figures only.
    press(&mut app, &[key('l')]);
    let s = flat(&screen(&mut app, 80, 24));
    assert!(!s.contains("open mismatch"), "{s}");
}

/// At 80 columns the lanes' tab bar ended `Payments  C` with no mark that more follow.
#[test]
fn the_lanes_tab_bar_marks_more_to_the_right() {
    let mut app = operator();
    press(&mut app, &[key('4')]);
    let s = screen(&mut app, 80, 24);
    let bar = s.lines().nth(1).unwrap();
    assert!(bar.starts_with(" Usage"), "{bar:?}");
    assert!(bar.ends_with('›'), "{bar:?}");
    assert!(bar.chars().count() <= 80, "{bar:?}");
    // At the last lane, `‹` on the left and no `›`.
    press(&mut app, &[key('h')]);
    let s = screen(&mut app, 80, 24);
    let bar = s.lines().nth(1).unwrap();
    assert!(
        bar.starts_with('‹') && bar.contains("Ledger") && !bar.contains('›'),
        "{bar:?}"
    );
}

/// A row dated before the window read `before 2025…` at 80 columns: the date was cut.
#[test]
fn a_date_outside_the_window_keeps_its_day_at_80_columns() {
    let mut app = operator();
    press(&mut app, &[key('4')]);
    let mut rows = page("U", 0, 3);
    for r in &mut rows {
        if let LaneRow::Usage(u) = &mut r.row {
            u.occurred_at = "2025-11-30T10:00:00Z".into();
            u.account = Some("Employer Benefits Trust of the Pacific Northwest".into());
            u.invoice_line = Some("LN-2025-11-EMPLOYER-BENEFITS-TRUST".into());
        }
    }
    app.on_response(usage_page(String::new(), rows));
    let s = screen(&mut app, 80, 24);
    let row = s.lines().find(|l| l.contains("U-000000")).unwrap();
    assert!(row.contains("before 2025-11-30"), "{row:?}\n{s}");
}

/// The read-only banner was cut at the width and `!` could not show it in full.
#[test]
fn bang_shows_the_read_only_banner_in_full() {
    let mut app = app_as("visitor", None);
    let roster = app.data.as_ref().unwrap().roster.clone();
    let (last, role) = roster.last().unwrap();
    let tail = format!("{last} ({})", role.as_str());
    let s = screen(&mut app, 80, 24);
    let banner = s.lines().nth(1).unwrap();
    assert!(banner.contains("READ-ONLY"), "{s}");
    if !banner.contains(&tail) {
        assert!(banner.ends_with("! full"), "{banner:?}");
    }
    press(&mut app, &[key('!')]);
    assert!(app.message_open);
    let s = flat(&screen(&mut app, 80, 24));
    assert!(!s.contains("Not done"), "{s}");
    assert!(s.contains(&tail), "{s}");
}

/// Colours reach the terminal as the 16 ANSI colours' codes (SGR 30–37, 90–97), not as
/// 256-colour ones (`38;5;9`) that a 16-colour terminal must map.
#[test]
fn colours_are_sent_as_the_16_ansi_codes() {
    use ratatui::backend::CrosstermBackend;
    let mut app = operator();
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sent = Shared::default();
    let backend = CrosstermBackend::new(super::theme::Ansi16::new(sent.clone()));
    let mut t = Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 80, 24)),
        },
    )
    .unwrap();
    t.draw(|f| views::draw(f, &mut app, &Theme { color: true }))
        .unwrap();
    let bytes = String::from_utf8_lossy(&sent.0.lock().unwrap()).to_string();
    for n in 0..16 {
        for ground in ["38", "48"] {
            let code = format!("{ground};5;{n}m");
            let code2 = format!("{ground};5;{n};");
            assert!(!bytes.contains(&code) && !bytes.contains(&code2), "{code} sent");
        }
    }
    // Crossterm leaves colours out under NO_COLOR itself.
    if std::env::var_os("NO_COLOR").is_none() {
        assert!(
            bytes.contains("\x1b[36;") || bytes.contains("\x1b[31;"),
            "no 16-colour code: {bytes:?}"
        );
    }
    assert_eq!(
        super::theme::ansi16(b"\x1b[38;5;9;48;5;4mx\x1b[38;5;200m\x1b[1;38;5;8m\x1b[2J"),
        b"\x1b[91;44mx\x1b[38;5;200m\x1b[1;90m\x1b[2J".to_vec()
    );
}
