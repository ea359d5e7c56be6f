//! The close packet: everything a reader needs to follow how the period closed — entity,
//! period and window, headline figures, every reconciliation step's figures, the aged AR,
//! the checklist with who/when, evidence and notes, every mismatch with its trail, the
//! sign-offs (or "not signed off") and `verify`'s result. Markdown or JSON.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::{json, md, ExportError, Format, Kind, Metadata, Output, Source};
use crate::reconcile::{Aging, Headline, Steps};
use crate::snapshot::workflow::SignoffRow;
use crate::workflow::audit::{self, Report};
use crate::workflow::checklist::{self, Item};
use crate::workflow::mismatches::{self, Detail};

#[derive(Serialize)]
pub struct Packet<'a> {
    pub metadata: Metadata,
    pub headline: &'a Headline,
    pub steps: &'a Steps,
    pub aging: &'a Aging,
    pub checklist: Vec<Item>,
    pub mismatches: Vec<Detail>,
    pub signoffs: Vec<SignoffRow>,
    pub verify: Report,
}

pub fn packet<'a>(source: &'a Source<'_>) -> Result<Packet<'a>, ExportError> {
    let snapshot = source.snapshot;
    let recon = &source.recon;
    let checklist = checklist::items(snapshot, &recon.overview())?;
    let mut details = Vec::new();
    for v in &source.views {
        details.push(mismatches::detail(snapshot, recon, &v.key)?);
    }
    let signoffs = snapshot
        .workflow()
        .signoffs()
        .map_err(|e| ExportError::Refused(e.into()))?;
    let verify = audit::verify(snapshot)?;
    Ok(Packet {
        metadata: source.metadata(Kind::Packet, details.len() as u64),
        headline: &recon.headline,
        steps: &recon.steps,
        aging: &recon.aging,
        checklist,
        mismatches: details,
        signoffs,
        verify,
    })
}

pub fn render(source: &Source<'_>, format: Format) -> Result<Output, ExportError> {
    let p = packet(source)?;
    let rows = p.metadata.rows;
    let bytes = match format {
        Format::Markdown => markdown(&p).into_bytes(),
        _ => json(&p),
    };
    Ok(Output { bytes, rows })
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(md).unwrap_or_else(|| "—".to_string())
}

/// Figures as nested Markdown lists: `name: value`, exact amounts as JSON gives them.
fn figures(out: &mut String, value: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    match value {
        Value::Object(map) => {
            for (name, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) => {
                        let _ = writeln!(out, "{indent}- {}:", md(name));
                        figures(out, v, depth + 1);
                    }
                    _ => {
                        let _ = writeln!(out, "{indent}- {}: {}", md(name), scalar(v));
                    }
                }
            }
        }
        Value::Array(items) => {
            if items.is_empty() {
                let _ = writeln!(out, "{indent}- (none)");
            }
            for (i, v) in items.iter().enumerate() {
                let _ = writeln!(out, "{indent}- #{}:", i + 1);
                figures(out, v, depth + 1);
            }
        }
        other => {
            let _ = writeln!(out, "{indent}- {}", scalar(other));
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => md(s),
        Value::Null => "—".to_string(),
        other => md(&other.to_string()),
    }
}

fn markdown(p: &Packet<'_>) -> String {
    let m = &p.metadata;
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Close packet — {} — {}\n", md(&m.entity), md(&m.period));
    let _ = writeln!(w, "## Metadata\n");
    let _ = writeln!(w, "| field | value |\n|---|---|");
    for (name, value) in m.pairs() {
        let _ = writeln!(w, "| {} | {} |", md(name), md(&value));
    }
    let _ = writeln!(
        w,
        "\nThe audit head and length are the log's before this export's own audit row. \
         Rows: the number of mismatches in this packet.\n"
    );

    let _ = writeln!(w, "## Headline figures\n");
    figures(
        w,
        &serde_json::to_value(p.headline).expect("figures serialize"),
        0,
    );
    let _ = writeln!(w, "\n## Reconciliation steps\n");
    let steps = serde_json::to_value(p.steps).expect("figures serialize");
    if let Value::Object(map) = &steps {
        for (name, v) in map {
            let _ = writeln!(w, "### {}\n", md(name));
            figures(w, v, 0);
            let _ = writeln!(w);
        }
    }
    let _ = writeln!(w, "## Aged AR\n");
    figures(w, &serde_json::to_value(p.aging).expect("figures serialize"), 0);

    let _ = writeln!(w, "\n## Checklist\n");
    for item in &p.checklist {
        let _ = writeln!(
            w,
            "### {}. {} — {}\n\n- moved by {} at {} (version {})",
            item.item,
            md(&item.title),
            item.status,
            opt(&item.updated_by),
            opt(&item.updated_at),
            item.version
        );
        for e in &item.evidence {
            let _ = writeln!(w, "- {}: {}", md(&e.label), evidence_value(&e.value));
        }
        for n in &item.notes {
            let _ = writeln!(
                w,
                "- note by {} at {}: {}",
                md(&n.author),
                md(&n.created_at),
                md(&n.text)
            );
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Mismatches\n");
    if p.mismatches.is_empty() {
        let _ = writeln!(w, "None.\n");
    }
    for d in &p.mismatches {
        let v = &d.view;
        let _ = writeln!(w, "### {}\n", md(&v.key));
        if let Some(mm) = &v.mismatch {
            let _ = writeln!(w, "- {}", md(&mm.title));
            let _ = writeln!(
                w,
                "- expected {}, actual {}, raw variance {}",
                mm.expected, mm.actual, v.raw_variance
            );
        } else {
            let _ = writeln!(w, "- cleared by data (the engine no longer reports it)");
        }
        let _ = writeln!(
            w,
            "- corrected expected {}, corrected actual {}, corrected variance {}",
            v.corrected_expected, v.corrected_actual, v.corrected_variance
        );
        let severity = v.severity.map(|s| s.to_string()).unwrap_or_else(|| "—".into());
        let _ = writeln!(
            w,
            "- severity {severity}, status {}, owner {}",
            v.status,
            md(&v.owner)
        );
        if let Some(mm) = &v.mismatch {
            let _ = writeln!(w, "- next action: {}", md(&mm.next_action));
            let rows = |refs: &[crate::reconcile::SourceRef]| {
                refs.iter()
                    .map(|r| md(&format!("{}:{}", r.table, r.id)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(w, "- source rows behind expected: {}", rows(&mm.expected_rows));
            let _ = writeln!(w, "- source rows behind actual: {}", rows(&mm.actual_rows));
        }
        for a in &d.annotations {
            let mut line = format!(
                "- {} #{} by {} at {}",
                a.kind,
                a.id,
                md(&a.author),
                md(&a.created_at)
            );
            if let (Some(amount), Some(side)) = (a.amount, a.side) {
                let _ = write!(line, ": {amount} on {side}");
            }
            if let Some(status) = a.correction_status {
                let _ = write!(line, " ({status}");
                if let (Some(by), Some(at)) = (&a.decided_by, &a.decided_at) {
                    let _ = write!(line, " by {} at {}", md(by), md(at));
                }
                line.push(')');
            }
            if let Some(r) = &a.reference {
                let _ = write!(line, ", reference {}", md(r));
            }
            let _ = writeln!(w, "{line} — {}", md(&a.text));
        }
        if !d.trail.is_empty() {
            let _ = writeln!(w, "- trail:");
            for e in &d.trail {
                let _ = writeln!(
                    w,
                    "  - audit seq {} {} by {} at {}: {}",
                    e.seq,
                    md(&e.action),
                    md(&e.actor),
                    md(&e.at),
                    e.changes.iter().map(|c| md(c)).collect::<Vec<_>>().join("; ")
                );
            }
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Sign-off\n");
    if p.signoffs.is_empty() {
        let _ = writeln!(w, "Not signed off.\n");
    }
    for s in &p.signoffs {
        let _ = writeln!(
            w,
            "- sign-off {} by {} at {}; digest {}; audit head {} at length {}; comment: {}",
            s.id,
            md(&s.signed_by),
            md(&s.signed_at),
            md(&s.digest),
            md(&s.audit_head),
            s.audit_len,
            opt(&s.comment)
        );
        if let Some(by) = &s.reopened_by {
            let _ = writeln!(
                w,
                "  - reopened by {} at {}: {}",
                md(by),
                opt(&s.reopened_at),
                opt(&s.reopen_reason)
            );
        }
    }
    if !p.signoffs.is_empty() {
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Verify\n");
    let v = &p.verify;
    let _ = writeln!(
        w,
        "Result: {} (audit log of {} rows, head {})\n",
        if v.ok { "ok" } else { "FAILED" },
        v.length,
        md(&v.head)
    );
    for c in &v.checks {
        let _ = writeln!(
            w,
            "- {} {}: {}",
            if c.ok { "[ok]" } else { "[FAILED]" },
            md(c.name),
            md(&c.detail)
        );
    }
    if let Some(problem) = &v.first_problem {
        let seq = problem
            .seq
            .map(|s| format!("audit seq {s}: "))
            .unwrap_or_default();
        let _ = writeln!(w, "\nFirst problem: {seq}{}", md(&problem.what));
    }
    out
}

fn evidence_value(v: &checklist::Figure) -> String {
    match v {
        checklist::Figure::Amount(m) => m.to_string(),
        checklist::Figure::Count(n) => n.to_string(),
        checklist::Figure::Words(s) => md(s),
    }
}
