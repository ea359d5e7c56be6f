//! The employer programs lane: each program bills `basis_units × rate` in the window, and
//! its organization fee statement presents exactly the fees billed.
//!
//! Owns the employer programs lane; pure: must not read the snapshot or know the workflow.

use std::collections::{BTreeMap, HashMap};

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

    // A program's statements together present its fees (a supplementary statement beside
    // the first one is common): their total is held to the fees billed, and a gap is one
    // break, on the latest statement (the one to reissue), whose expected figure is what the
    // others leave to it.
    let mut by_program: BTreeMap<&str, Vec<&StatementTotal>> = BTreeMap::new();
    for statement in &statements {
        by_program
            .entry(&statement.program_id)
            .or_default()
            .push(statement);
    }
    for (program, mut of_program) in by_program {
        let billed = billed_by_program.get(program).copied().unwrap_or_default();
        let total: Money = of_program.iter().map(|s| s.total).sum();
        if total == billed {
            continue;
        }
        of_program.sort_by(|a, b| (a.issued_on, &a.id).cmp(&(b.issued_on, &b.id)));
        let Some(latest) = of_program.pop() else { continue };
        let others = total - latest.total;
        let id = &latest.id;
        let title = if of_program.is_empty() {
            format!("Organization fee statement {id} does not tie to the fees billed for {program}")
        } else {
            format!(
                "The {} organization fee statements of {program} total {}, not the {} billed; the gap is on \
                 the latest, {id}",
                of_program.len() + 1,
                total.grouped(),
                billed.grouped()
            )
        };
        found.push(gaps.mismatch(
            id,
            STATEMENT_TOTAL,
            billed - others,
            latest.total,
            title,
            format!("Reissue statement {id} from the program fee lines billed for {program} in {period}"),
        ));
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
        // Expected: the fees billed less the program's other statements.
        STATEMENT_TOTAL => Trace {
            expected: vec![
                SourceRows::BilledProgramFeeLinesOfStatement(subject),
                SourceRows::OtherStatementsOfProgram(subject),
            ],
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
            vec![
                SourceRows::BilledProgramFeeLinesOfStatement("STM-WELL"),
                SourceRows::OtherStatementsOfProgram("STM-WELL")
            ]
        );
    }

    /// Two statements of one program that together present its fees tie (60.00 + 40.00 =
    /// 100.00 billed): each was held to the whole 100.00, two breaks of −40.00 and −60.00.
    /// When they do not tie (60.00 + 30.00 = 90.00), one break on the latest: expected
    /// 100.00 − 60.00 = 40.00, actual 30.00, variance −10.00.
    #[test]
    fn a_programs_statements_are_held_to_its_fees_together() {
        let two = |b_total: i64| {
            vec![
                StatementTotal {
                    id: "STM-A".into(),
                    issued_on: date("2026-03-15"),
                    ..statement(6_000)
                },
                StatementTotal {
                    id: "STM-B".into(),
                    issued_on: date("2026-03-31"),
                    ..statement(b_total)
                },
            ]
        };
        let program = || ProgramFees {
            expected_fee: cents(10_000),
            billed: cents(10_000),
            ..program(412, 10_000, 2)
        };
        let (_, found) = run(vec![program()], two(4_000));
        assert!(found.is_empty(), "{:?}", keys(&found));
        let (_, found) = run(vec![program()], two(3_000));
        assert_eq!(keys(&found), ["employer_programs:STM-B:statement-total"]);
        assert_amounts(&found[0], [4_000, 3_000, -1_000], Severity::Medium);
        assert_eq!(
            found[0].title,
            "The 2 organization fee statements of PRG-WELL total 90.00, not the 100.00 billed; the gap is on the latest, STM-B"
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
