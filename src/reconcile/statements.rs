//! The statements lane: every line of an organization fee statement presents a
//! `program_fee` invoice line of the statement's program, at that line's amount.
//!
//! Owns the statements lane; pure: must not read the snapshot or know the workflow.

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
/// A program fee line billed in the window that no statement of its program presents.
pub const UNPRESENTED: &str = "unpresented";

/// `unpresented`: the program fee lines billed in the window, of programs with a
/// statement, that no line of those statements presents.
pub fn check(
    ctx: Context<'_>,
    lines: Vec<StatementLineFacts>,
    unpresented: Vec<UnpresentedFeeLine>,
) -> (StatementFigures, Vec<Mismatch>) {
    let mut figures = StatementFigures::default();
    let mut found = Vec::new();
    for line in lines {
        figures.line_count += 1;
        figures.lines_total += line.amount;
        let (id, statement, program) = (&line.id, &line.statement_id, &line.program_id);
        let Some(presented) = &line.invoice_line else {
            figures.untied_count += 1;
            figures.untied_total += line.amount;
            found.push(ctx.mismatch(Gap {
                lane: Lane::Statements,
                kind: Kind::Tie,
                subject: id.clone(),
                check: UNTIED,
                expected: Money::ZERO,
                actual: line.amount,
                title: format!("Statement line {id} of {statement} presents no invoice line"),
                next_action: format!(
                    "Tie statement line {id} to the program fee invoice line it presents, or remove it from \
                     statement {statement}"
                ),
            }));
            continue;
        };
        let of_program =
            presented.kind == LineKind::ProgramFee && presented.program_id.as_ref() == Some(program);
        let expected = if of_program { presented.amount } else { Money::ZERO };
        if !of_program || presented.amount != line.amount {
            let invoice_line = &presented.id;
            let (title, next_action) = if of_program {
                (
                    format!("Statement line {id} does not match invoice line {invoice_line}"),
                    format!("Correct statement line {id} to the amount of invoice line {invoice_line}, {expected}"),
                )
            } else {
                (
                    format!("Statement line {id} presents {invoice_line}, which is not a program fee of {program}"),
                    format!(
                        "Point statement line {id} at the program fee line of {program} it presents, or remove \
                         it from statement {statement}"
                    ),
                )
            };
            found.push(ctx.mismatch(Gap {
                lane: Lane::Statements,
                kind: Kind::Tie,
                subject: id.clone(),
                check: LINE,
                expected,
                actual: line.amount,
                title,
                next_action,
            }));
        }
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
}
