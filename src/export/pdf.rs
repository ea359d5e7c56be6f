//! The close packet as a PDF for the archive: the packet's document (`export::document`)
//! laid out as text on A4 landscape pages in the PDF base fonts (Courier, no embedded font
//! and no external program), tables aligned in columns, headings in bold, a page number on
//! every page. No clock and no random id is written, so the same packet gives the same
//! bytes on every run.
//!
//! Owns the PDF layout only; what the packet says is `document`'s.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::text::wrap;

/// A4 landscape, in points.
const PAGE: (f32, f32) = (842.0, 595.0);
const MARGIN: f32 = 36.0;
const SIZE: f32 = 7.0;
const LEADING: f32 = 9.0;
/// Courier's advance is 600/1000 em.
const COLUMNS: usize = ((PAGE.0 - 2.0 * MARGIN) / (SIZE * 0.6)) as usize;
const ROWS: usize = ((PAGE.1 - 2.0 * MARGIN - LEADING) / LEADING) as usize;

/// One line of the laid-out text: bold or not.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Line {
    text: String,
    bold: bool,
}

/// The Markdown document as plain lines: headings bold, tables padded into columns,
/// Markdown's escapes removed, long lines wrapped.
fn lay_out(markdown: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    for raw in markdown.lines().chain(std::iter::once("")) {
        if raw.starts_with('|') {
            let cells: Vec<String> = split_row(raw).into_iter().map(|c| plain(&c)).collect();
            table.push(cells);
            continue;
        }
        if !table.is_empty() {
            lines.extend(columns(&std::mem::take(&mut table)));
        }
        let (text, bold) = match raw.trim_start_matches('#') {
            rest if raw.starts_with('#') => (rest.trim().to_string(), true),
            _ => (plain(raw.trim_end()), false),
        };
        let text = text.replace("**", "");
        for part in wrap(&text, COLUMNS) {
            lines.push(Line { text: part, bold });
        }
    }
    while lines.last().is_some_and(|l| l.text.is_empty()) {
        lines.pop();
    }
    lines
}

/// A Markdown table row's cells, split on the `|` that are not escaped.
fn split_row(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cells.last_mut().expect("a cell").push('\\');
                if let Some(next) = chars.next() {
                    cells.last_mut().expect("a cell").push(next);
                }
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().expect("a cell").push(c),
        }
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// Markdown text as it reads: backslash escapes and code marks removed.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '`' => {}
            c => out.push(c),
        }
    }
    out
}

/// A table padded into columns; the rule row (`---`, `---:`) becomes a line of dashes and
/// right-aligns the columns it marks.
fn columns(rows: &[Vec<String>]) -> Vec<Line> {
    let is_rule = |r: &Vec<String>| {
        r.iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'))
    };
    let right: Vec<bool> = rows
        .iter()
        .find(|r| is_rule(r))
        .map(|r| r.iter().map(|c| c.ends_with(':')).collect())
        .unwrap_or_default();
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut width = vec![0; n];
    for row in rows.iter().filter(|r| !is_rule(r)) {
        for (i, c) in row.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    // A table without headings (the cover) starts with its first row.
    let rows = match rows {
        [head, rule, rest @ ..] if head.iter().all(String::is_empty) && is_rule(rule) => rest,
        all => all,
    };
    let mut out = Vec::new();
    // Too wide for the page once padded: each row on its own, cells apart, wrapped.
    let total: usize = width.iter().sum::<usize>() + 2 * n.saturating_sub(1);
    if total > COLUMNS {
        for row in rows.iter().filter(|r| !is_rule(r)) {
            let text = row
                .iter()
                .filter(|c| !c.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("  ·  ");
            for part in wrap(&text, COLUMNS) {
                out.push(Line {
                    text: part,
                    bold: false,
                });
            }
        }
        return out;
    }
    for row in rows {
        let text = if is_rule(row) {
            width
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  ")
        } else {
            row.iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = width[i] - c.chars().count();
                    if right.get(i).copied().unwrap_or(false) {
                        format!("{}{c}", " ".repeat(pad))
                    } else {
                        format!("{c}{}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        for part in wrap(text.trim_end(), COLUMNS) {
            out.push(Line {
                text: part,
                bold: false,
            });
        }
    }
    out
}

/// Text in the base fonts' WinAnsi encoding: Latin-1 letters as they are, the few
/// typographic marks the packet uses mapped, anything else (and every control character)
/// `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '—' => 0x97,
            '–' => 0x96,
            '…' => 0x85,
            '’' => 0x92,
            '‘' => 0x91,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '€' => 0x80,
            '−' => b'-',
            '→' => b'>',
            _ => b'?',
        })
        .collect()
}

/// The packet's Markdown document as PDF bytes.
pub fn render(markdown: &str, title: &str) -> Vec<u8> {
    let lines = lay_out(markdown);
    let pages: Vec<&[Line]> = if lines.is_empty() {
        vec![&[]]
    } else {
        lines.chunks(ROWS).collect()
    };
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Courier"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Courier-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr(concat!("closedesk ", env!("CARGO_PKG_VERSION"))));
    for (n, (lines, id)) in pages.iter().zip(&page_ids).enumerate() {
        let content_id = Ref::new(id.get() + 1);
        let mut page = pdf.page(*id);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1));
        page.parent(tree);
        page.contents(content_id);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        page.finish();

        let mut content = Content::new();
        let mut y = PAGE.1 - MARGIN;
        for line in lines.iter() {
            if !line.text.is_empty() {
                content.begin_text();
                content.set_font(Name(if line.bold { b"F2" } else { b"F1" }), SIZE);
                content.next_line(MARGIN, y);
                content.show(Str(&win_ansi(&line.text)));
                content.end_text();
            }
            y -= LEADING;
        }
        let footer = format!("{title} — page {} of {}", n + 1, pages.len());
        content.begin_text();
        content.set_font(Name(b"F1"), SIZE);
        content.next_line(MARGIN, MARGIN / 2.0);
        content.show(Str(&win_ansi(&footer)));
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up_and_escapes_read_as_text() {
        let md = "# Title\n\n| figure | value |\n|---|---:|\n| closing ar | 39,639.27 |\n| a \\| b | 1.00 |\n\n> \\# not a heading  \n";
        let text: Vec<String> = lay_out(md).into_iter().map(|l| l.text).collect();
        assert_eq!(
            text,
            [
                "Title",
                "",
                "figure          value",
                "----------  ---------",
                "closing ar  39,639.27",
                "a | b            1.00",
                "",
                "> # not a heading",
            ]
        );
        assert!(lay_out(md)[0].bold);
    }

    #[test]
    fn only_win_ansi_bytes_and_no_control_characters_reach_the_page() {
        assert_eq!(win_ansi("Señora — 1,00 €"), b"Se\xf1ora \x97 1,00 \x80");
        assert_eq!(win_ansi("\u{1b}[2J\u{7}日本"), b"?[2J???");
    }

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let md = "# Close packet\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
        let a = render(md, "Close packet");
        assert_eq!(a, render(md, "Close packet"));
        assert!(a.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&a);
        assert!(!text.contains("CreationDate"), "no clock in the file");
    }
}
