//! The statements lane: every line of an organization fee statement presents a
//! `program_fee` invoice line of the statement's program, at that line's amount.
//!
//! Owns the statements lane; pure: must not read the snapshot or know the workflow.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{sorted, Context, Gap, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::{Lane, LineKind};
use crate::snapshot::queries::{SourceRows, StatementLineFacts, UnpresentedFeeLine};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementFigures {
    pub line_count: u64,
    pub lines_total: Money,
    /// Lines that present no invoice line.
    pub untied_count: u64,
    pub untied_total: Money,
}

pub const UNTIED: &str = "untied";
pub const LINE: &str = "line";
/// A line presenting a fee whose invoice is void at window end.
pub const VOID: &str = "void";
/// A line presenting a fee an earlier statement line presents already.
pub const PRESENTED_TWICE: &str = "presented-twice";
/// A program fee line billed in the window that no statement of its program presents.
pub const UNPRESENTED: &str = "unpresented";

/// What a statement line should present, by the rules of this lane: the check it breaks,
/// if any, and its expected amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judged {
    pub check: Option<&'static str>,
    pub expected: Money,
    /// For `presented-twice`: the index of the line that presents the fee first.
    pub earlier: Option<usize>,
}

/// Each line of `lines` (in the order [`Snapshot::statement_lines`] reads them: statements
/// as issued) judged against the invoice line it presents. A line stands at its invoice
/// line's amount when that is a `program_fee` line of the statement's program, its invoice
/// not void at window end, and no earlier statement line presents it; else it stands at
/// 0.00. One check a line, the first that holds: `untied`, `line` (not of the program),
/// `void`, `presented-twice` (these two only for a line not at 0.00), `line` (another
/// amount).
///
/// [`Snapshot::statement_lines`]: crate::snapshot::Snapshot::statement_lines
pub fn judged(lines: &[StatementLineFacts]) -> Vec<Judged> {
    let mut presented: HashMap<&str, usize> = HashMap::new();
    let mut judged = Vec::with_capacity(lines.len());
    for (at, line) in lines.iter().enumerate() {
        let Some(fee) = &line.invoice_line else {
            judged.push(Judged {
                check: Some(UNTIED),
                expected: Money::ZERO,
                earlier: None,
            });
            continue;
        };
        let earlier = *presented.entry(fee.id.as_str()).or_insert(at);
        let first = earlier == at;
        let of_program =
            fee.kind == LineKind::ProgramFee && fee.program_id.as_ref() == Some(&line.program_id);
        // A void or repeated fee shown at 0.00 shows nothing: it breaks nothing.
        let shown = line.amount != Money::ZERO;
        let (check, expected) = if !of_program {
            (Some(LINE), Money::ZERO)
        } else if fee.voided {
            (Some(VOID).filter(|_| shown), Money::ZERO)
        } else if !first {
            (Some(PRESENTED_TWICE).filter(|_| shown), Money::ZERO)
        } else if fee.amount != line.amount {
            (Some(LINE), fee.amount)
        } else {
            (None, fee.amount)
        };
        judged.push(Judged {
            check,
            expected,
            earlier: (!first).then_some(earlier),
        });
    }
    judged
}

/// `unpresented`: the program fee lines billed in the window, of programs with a
/// statement, that no line of those statements presents.
pub fn check(
    ctx: Context<'_>,
    lines: Vec<StatementLineFacts>,
    unpresented: Vec<UnpresentedFeeLine>,
) -> (StatementFigures, Vec<Mismatch>) {
    let mut figures = StatementFigures::default();
    let mut found = Vec::new();
    let judged = judged(&lines);
    for (line, judged) in lines.iter().zip(judged) {
        figures.line_count += 1;
        figures.lines_total += line.amount;
        let (id, statement, program) = (&line.id, &line.statement_id, &line.program_id);
        if line.invoice_line.is_none() {
            figures.untied_count += 1;
            figures.untied_total += line.amount;
        }
        let Some(check) = judged.check else {
            continue;
        };
        let fee = line
            .invoice_line
            .as_ref()
            .map(|f| f.id.as_str())
            .unwrap_or_default();
        let (title, next_action) = match check {
            UNTIED => (
                format!("Statement line {id} of {statement} presents no invoice line"),
                format!(
                    "Tie statement line {id} to the program fee invoice line it presents, or remove it from \
                     statement {statement}"
                ),
            ),
            VOID => (
                format!("Statement line {id} presents {fee}, whose invoice is void"),
                format!(
                    "Remove statement line {id} from statement {statement} (its fee was voided), or present the \
                     fee line that replaces it"
                ),
            ),
            PRESENTED_TWICE => (
                match judged.earlier.map(|at| &lines[at]) {
                    Some(first) => format!(
                        "Statement line {id} presents {fee}, which statement line {} of {} presents already",
                        first.id, first.statement_id
                    ),
                    None => format!("Statement line {id} presents {fee}, which an earlier statement line presents"),
                },
                format!("Remove statement line {id} from statement {statement}: the employer is shown {fee} twice"),
            ),
            _ if judged.expected == Money::ZERO => (
                format!("Statement line {id} presents {fee}, which is not a program fee of {program}"),
                format!(
                    "Point statement line {id} at the program fee line of {program} it presents, or remove \
                     it from statement {statement}"
                ),
            ),
            _ => (
                format!("Statement line {id} does not match invoice line {fee}"),
                format!("Correct statement line {id} to the amount of invoice line {fee}, {}", judged.expected),
            ),
        };
        found.push(ctx.mismatch(Gap {
            lane: Lane::Statements,
            kind: Kind::Tie,
            subject: id.clone(),
            check,
            expected: judged.expected,
            actual: line.amount,
            title,
            next_action,
        }));
    }
    for fee in unpresented {
        let (id, program) = (&fee.id, &fee.program_id);
        found.push(ctx.mismatch(Gap {
            lane: Lane::Statements,
            kind: Kind::Tie,
            subject: id.clone(),
            check: UNPRESENTED,
            expected: fee.amount,
            actual: Money::ZERO,
            title: format!("Program fee line {id} of {program} is on no statement of {program}"),
            next_action: format!("Add invoice line {id} to the organization fee statement of {program}"),
        }));
    }
    (figures, sorted(found))
}

/// The source rows behind a mismatch of this check.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    let line = m.subject.as_str();
    if m.check == UNPRESENTED {
        return Trace {
            expected: vec![SourceRows::One("invoice_lines", line)],
            actual: vec![],
        };
    }
    let expected = match m.check {
        LINE => vec![SourceRows::PresentedInvoiceLine(line)],
        VOID => vec![
            SourceRows::PresentedInvoiceLine(line),
            SourceRows::InvoiceOfPresentedLine(line),
        ],
        PRESENTED_TWICE => vec![
            SourceRows::PresentedInvoiceLine(line),
            SourceRows::OtherLinesPresentingFee(line),
        ],
        _ => vec![],
    };
    Trace {
        expected,
        actual: vec![SourceRows::One("statement_lines", line)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::Severity;
    use crate::snapshot::queries::PresentedLine;

    fn line(id: &str, amount: i64, presented: Option<(LineKind, Option<&str>, i64)>) -> StatementLineFacts {
        StatementLineFacts {
            id: id.into(),
            statement_id: "STM-WELL".into(),
            program_id: "PRG-WELL".into(),
            amount: cents(amount),
            invoice_line: presented.map(|(kind, program, amount)| PresentedLine {
                id: format!("LN-{id}"),
                kind,
                program_id: program.map(String::from),
                amount: cents(amount),
                voided: false,
            }),
        }
    }

    fn run(lines: Vec<StatementLineFacts>) -> (StatementFigures, Vec<Mismatch>) {
        with_context(|ctx| check(ctx, lines, Vec::new()))
    }

    #[test]
    fn lines_that_present_their_fees() {
        let (figures, found) = run(vec![line(
            "STL-1",
            35_020,
            Some((LineKind::ProgramFee, Some("PRG-WELL"), 35_020)),
        )]);
        assert!(found.is_empty());
        assert_eq!(figures.lines_total, cents(35_020));
    }

    #[test]
    fn a_line_with_no_invoice_line() {
        let (figures, found) = run(vec![line("STL-2", 1_500, None)]);
        assert_eq!((figures.untied_count, figures.untied_total), (1, cents(1_500)));
        let m = &found[0];
        assert_eq!(m.key, "statements:STL-2:untied");
        assert_amounts(m, [0, 1_500, 1_500], Severity::Medium);
    }

    #[test]
    fn lines_that_do_not_match_their_invoice_line() {
        let (_, found) = run(vec![
            line(
                "STL-1",
                30_520,
                Some((LineKind::ProgramFee, Some("PRG-WELL"), 35_020)),
            ),
            line("STL-3", 400, Some((LineKind::ProgramFee, Some("PRG-OTHER"), 400))),
            line("STL-4", 400, Some((LineKind::Usage, None, 400))),
        ]);
        assert_eq!(
            keys(&found),
            [
                "statements:STL-1:line",
                "statements:STL-3:line",
                "statements:STL-4:line"
            ]
        );
        assert_amounts(&found[0], [35_020, 30_520, -4_500], Severity::Medium);
        let m = &found[1];
        assert_amounts(m, [0, 400, 400], Severity::Low);
        assert_eq!(
            m.title,
            "Statement line STL-3 presents LN-STL-3, which is not a program fee of PRG-WELL"
        );
    }

    #[test]
    fn a_void_or_repeated_fee_stands_at_nothing() {
        let fee = Some((LineKind::ProgramFee, Some("PRG-WELL"), 10_000));
        let mut void = line("STL-V", 10_000, fee);
        void.invoice_line.as_mut().unwrap().id = "LN-V".into();
        void.invoice_line.as_mut().unwrap().voided = true;
        let mut first = line("STL-B", 10_000, fee);
        first.invoice_line.as_mut().unwrap().id = "LN-1".into();
        let mut again = line("STL-A", 10_000, fee);
        again.invoice_line.as_mut().unwrap().id = "LN-1".into();
        let mut again_at_nothing = line("STL-Z", 0, fee);
        again_at_nothing.invoice_line.as_mut().unwrap().id = "LN-1".into();
        // In the order read (statements as issued): STL-B first, though STL-A sorts first.
        let (_, found) = run(vec![void, first, again, again_at_nothing]);
        assert_eq!(
            keys(&found),
            ["statements:STL-A:presented-twice", "statements:STL-V:void"]
        );
        assert_amounts(&found[0], [0, 10_000, 10_000], Severity::Medium);
        assert_eq!(
            found[0].title,
            "Statement line STL-A presents LN-1, which statement line STL-B of STM-WELL presents already"
        );
        assert_amounts(&found[1], [0, 10_000, 10_000], Severity::Medium);
    }
}
