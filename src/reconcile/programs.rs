//! The employer programs lane: each program bills `basis_units × rate` in the window, and
//! its organization fee statement presents exactly the fees billed.
//!
//! Owns the employer programs lane; pure: must not read the snapshot or know the workflow.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{sorted, Context, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::Lane;
use crate::snapshot::queries::{ProgramFees, SourceRows, StatementTotal};

/// A program's row of the step: the snapshot's figures of it, as read.
pub use crate::snapshot::queries::ProgramFees as ProgramRow;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramFigures {
    /// Every `program_fee` line billed in the window (the headline's program fees billed).
    pub program_fees_billed: Money,
    pub programs: Vec<ProgramRow>,
}

pub const BILLED: &str = "billed";
pub const STATEMENT_TOTAL: &str = "statement-total";
pub const NO_STATEMENT: &str = "no-statement";

pub fn check(
    ctx: Context<'_>,
    programs: Vec<ProgramFees>,
    statements: Vec<StatementTotal>,
    program_fees_billed: Money,
) -> (ProgramFigures, Vec<Mismatch>) {
    let period = &ctx.period.id;
    let gaps = ctx.lane_gaps(Lane::EmployerPrograms, Kind::Tie);
    let mut found = Vec::new();
    let mut billed_by_program = HashMap::new();
    let mut rows = Vec::with_capacity(programs.len());

    for program in programs {
        let id = &program.id;
        billed_by_program.insert(id.clone(), program.billed);
        if program.billed != program.expected_fee {
            found.push(gaps.mismatch(
                id,
                BILLED,
                program.expected_fee,
                program.billed,
                format!("Program {id} fees billed do not equal basis units × rate"),
                format!(
                    "Confirm {id}'s basis units ({}) and rate ({}) with the employer, then correct its program \
                     fee lines for {period}",
                    program.basis_units, program.rate
                ),
            ));
        }
        if !program.billed.is_zero() && program.statement_count == 0 {
            found.push(gaps.mismatch(
                id,
                NO_STATEMENT,
                program.billed,
                Money::ZERO,
                format!("Program {id} billed fees but has no organization fee statement"),
                format!("Issue the organization fee statement of {id} for {period}"),
            ));
        }
        rows.push(program);
    }

    for statement in statements {
        let billed = billed_by_program
            .get(&statement.program_id)
            .copied()
            .unwrap_or_default();
        if statement.total != billed {
            let (id, program) = (&statement.id, &statement.program_id);
            found.push(gaps.mismatch(
                id,
                STATEMENT_TOTAL,
                billed,
                statement.total,
                format!("Organization fee statement {id} does not tie to the fees billed for {program}"),
                format!("Reissue statement {id} from the program fee lines billed for {program} in {period}"),
            ));
        }
    }

    let figures = ProgramFigures {
        program_fees_billed,
        programs: rows,
    };
    (figures, sorted(found))
}

/// The source rows behind a mismatch of this check.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    let subject = m.subject.as_str();
    match m.check {
        BILLED => Trace {
            expected: vec![SourceRows::One("employer_programs", subject)],
            actual: vec![SourceRows::BilledProgramFeeLines(subject)],
        },
        STATEMENT_TOTAL => Trace {
            expected: vec![SourceRows::BilledProgramFeeLinesOfStatement(subject)],
            actual: vec![SourceRows::One("program_statements", subject)],
        },
        _ => Trace {
            expected: vec![SourceRows::BilledProgramFeeLines(subject)],
            actual: vec![],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::Severity;

    fn program(basis_units: i64, billed: i64, statements: u64) -> ProgramFees {
        let rate = cents(85);
        ProgramFees {
            id: "PRG-WELL".into(),
            name: "Wellness lookups".into(),
            employer_account_id: "EMP-1".into(),
            basis_units,
            rate,
            expected_fee: rate.checked_mul_units(basis_units).unwrap(),
            billed: cents(billed),
            statement_count: statements,
            statement_total: cents(35_020 * statements as i64),
        }
    }

    fn statement(total: i64) -> StatementTotal {
        StatementTotal {
            id: "STM-WELL".into(),
            program_id: "PRG-WELL".into(),
            issued_on: date("2026-03-31"),
            total: cents(total),
        }
    }

    fn run(programs: Vec<ProgramFees>, statements: Vec<StatementTotal>) -> (ProgramFigures, Vec<Mismatch>) {
        let billed = programs.iter().map(|p| p.billed).sum();
        with_context(|ctx| check(ctx, programs, statements, billed))
    }

    #[test]
    fn fees_billed_and_presented() {
        let (figures, found) = run(vec![program(412, 35_020, 1)], vec![statement(35_020)]);
        assert!(found.is_empty());
        assert_eq!(figures.program_fees_billed, cents(35_020));
        assert_eq!(figures.programs[0].expected_fee, cents(35_020));
    }

    #[test]
    fn fees_billed_off_from_basis_times_rate() {
        let (_, found) = run(vec![program(420, 35_020, 1)], vec![statement(35_020)]);
        assert_eq!(keys(&found), ["employer_programs:PRG-WELL:billed"]);
        let m = &found[0];
        assert_amounts(m, [35_700, 35_020, -680], Severity::Medium);
    }

    #[test]
    fn a_statement_that_does_not_tie() {
        let (_, found) = run(vec![program(412, 35_020, 1)], vec![statement(34_020)]);
        let m = &found[0];
        assert_eq!(m.key, "employer_programs:STM-WELL:statement-total");
        assert_amounts(m, [35_020, 34_020, -1_000], Severity::Medium);
        assert_eq!(
            trace(m).expected,
            vec![SourceRows::BilledProgramFeeLinesOfStatement("STM-WELL")]
        );
    }

    #[test]
    fn fees_billed_without_a_statement() {
        let (_, found) = run(vec![program(412, 35_020, 0)], vec![]);
        let m = &found[0];
        assert_eq!(m.key, "employer_programs:PRG-WELL:no-statement");
        assert_amounts(m, [35_020, 0, -35_020], Severity::Medium);
        // Nothing billed, no statement: nothing to present.
        let (_, found) = run(vec![program(0, 0, 0)], vec![]);
        assert!(found.is_empty());
    }
}
