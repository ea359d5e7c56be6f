//! `closedesk mismatch FILE KEY --rows`: the evidence of one mismatch as text for a pager
//! (`reconcile::evidence` builds it; `--json` prints it as data). Every piece of text from
//! the file goes through `inert`.

use std::fmt::Write as _;

use crate::reconcile::evidence::{Evidence, Side};
use crate::text::inert;

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(inert).unwrap_or_else(|| "-".into())
}

/// Columns padded to their widest cell; `right` marks right-aligned columns.
fn columns(out: &mut String, header: &[String], right: &[bool], rows: &[Vec<String>]) {
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate().take(n) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut text = String::from("  ");
        for (i, c) in cells.iter().enumerate().take(n) {
            let pad = " ".repeat(width[i] - c.chars().count());
            if right.get(i).copied().unwrap_or(false) {
                let _ = write!(text, "{pad}{c}  ");
            } else {
                let _ = write!(text, "{c}{pad}  ");
            }
        }
        text.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header));
    for row in rows {
        let _ = writeln!(out, "{}", line(row));
    }
}

fn side(out: &mut String, name: &str, s: &Side) {
    let _ = writeln!(
        out,
        "\n{name} {} — from {} source row{}:",
        s.figure.grouped(),
        s.rows.len(),
        if s.rows.len() == 1 { "" } else { "s" }
    );
    if s.rows.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    // One table of columns per source table, in the order the tables first appear.
    let mut tables: Vec<&str> = Vec::new();
    for r in &s.rows {
        if !tables.contains(&r.table) {
            tables.push(r.table);
        }
    }
    for table in tables {
        let rows: Vec<_> = s.rows.iter().filter(|r| r.table == table).collect();
        let amount_names: Vec<&str> = rows
            .iter()
            .find(|r| r.found)
            .map(|r| r.amounts.iter().map(|(n, _)| *n).collect())
            .unwrap_or_default();
        let mut header: Vec<String> = vec![table.to_string(), "date".into(), "account".into(), "what".into()];
        header.extend(amount_names.iter().map(|n| n.to_string()));
        let mut right = vec![false; 4];
        right.extend(amount_names.iter().map(|_| true));
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    inert(&r.id),
                    opt(&r.date),
                    opt(&r.account),
                    if r.found {
                        inert(&r.detail)
                    } else {
                        "(no such row now)".into()
                    },
                ];
                row.extend(r.amounts.iter().map(|(_, m)| m.grouped()));
                row
            })
            .collect();
        columns(out, &header, &right, &cells);
        for sum in s.sums.iter().filter(|x| x.table == table) {
            let _ = writeln!(
                out,
                "  Σ {} {}{}",
                sum.amount,
                sum.total.grouped(),
                if sum.is_figure {
                    format!(" = {} {}", name.to_lowercase(), s.figure.grouped())
                } else {
                    String::new()
                }
            );
        }
    }
}

/// The evidence as text.
pub fn text(e: &Evidence) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", inert(&e.key), inert(&e.title));
    let _ = writeln!(
        out,
        "expected {} · actual {} · variance {}",
        e.expected.figure.grouped(),
        e.actual.figure.grouped(),
        e.variance.grouped()
    );
    side(&mut out, "Expected", &e.expected);
    side(&mut out, "Actual", &e.actual);
    if let Some(c) = &e.compare {
        let _ = writeln!(
            out,
            "\nCompared: {} ({} against {}); ≠ marks each row that differs:",
            inert(&c.what),
            inert(&c.actual_is),
            inert(&c.expected_is)
        );
        let header: Vec<String> = vec![
            "".into(),
            inert(&c.id_is),
            "".into(),
            inert(&c.expected_is),
            inert(&c.actual_is),
            "difference".into(),
        ];
        let rows: Vec<Vec<String>> = c
            .rows
            .iter()
            .map(|r| {
                vec![
                    if r.differs { "≠".into() } else { String::new() },
                    inert(&r.id),
                    opt(&r.name),
                    r.expected.grouped(),
                    r.actual.grouped(),
                    r.difference.grouped(),
                ]
            })
            .collect();
        columns(&mut out, &header, &[false, false, false, true, true, true], &rows);
        let differing = c.rows.iter().filter(|r| r.differs).count();
        let _ = writeln!(
            out,
            "  {differing} of {} row{} differ{}",
            c.rows.len(),
            if c.rows.len() == 1 { "" } else { "s" },
            if differing == 1 { "s" } else { "" }
        );
        if let Some(note) = &c.note {
            let _ = writeln!(out, "  ≠ {}", inert(note));
        }
    }
    out
}
