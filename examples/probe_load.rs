use std::time::Instant;
fn main() {
    let path = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let t = Instant::now();
    let snap = closedesk::snapshot::Snapshot::open(&path).unwrap();
    eprintln!("open {:?}", t.elapsed());
    let t = Instant::now();
    let row = snap.stored_reconciliation().unwrap().unwrap();
    eprintln!("read row {:?} ({} bytes)", t.elapsed(), row.result.len());
    let t = Instant::now();
    let r: closedesk::reconcile::Reconciliation = serde_json::from_str(&row.result).unwrap();
    eprintln!("parse {:?}", t.elapsed());
    let t = Instant::now();
    let _ = closedesk::reconcile::stored_or_run(&snap).unwrap();
    eprintln!("stored_or_run {:?}", t.elapsed());
    let today = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).unwrap();
    let t = Instant::now();
    let _ = closedesk::tui::data::load(&snap, "ttff", today).unwrap();
    eprintln!("load {:?}", t.elapsed());
    let t = Instant::now();
    let _ = closedesk::workflow::checklist::items(&snap, &r).unwrap();
    eprintln!("checklist items {:?}", t.elapsed());
    let t = Instant::now();
    let _ = snap.annotation_counts().unwrap();
    eprintln!("annotation counts {:?}", t.elapsed());
    let t = Instant::now();
    let _ = snap.checklist_progress().unwrap();
    eprintln!("checklist progress {:?}", t.elapsed());
}
