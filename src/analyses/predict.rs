//! Predictions and simulations at given parameters: every design's equilibrium
//! ([`solve_designs`]), the outcome probabilities and offers per data row (`predict`), and
//! outcomes drawn from the model (`simulate`, the parametric bootstrap, synthetic data).
//!
//! A row's outcome is drawn from `P(ratified)`, `P(renegotiated)`, `P(failed)` (MODEL.md §4)
//! with one uniform draw `u`: ratified when `u < P(ratified)`, renegotiated when
//! `u < P(ratified) + P(renegotiated)`, failed otherwise.

use crate::error::{Error, Result};
use crate::io::{table_bytes, FloatStyle, TableFormat};
use crate::model::{solve_with_proposer, solve_with_proposer_unchecked, Side, Solution};
use crate::problem::data::Outcome;
use crate::problem::likelihood::Model;
use crate::problem::project::Project;
use polars::prelude::{Column, DataFrame, IdxCa, IdxSize};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Solves every design's game at `theta` (parallel, deterministic); with `certify`, each
/// solution carries its certificate (for what is reported), else the fast search only (for
/// drawing outcomes).
pub fn solve_designs(model: &Model, theta: &[f64], certify: bool) -> Vec<Solution> {
    use rayon::prelude::*;
    (0..model.designs.len())
        .into_par_iter()
        .map(|g| {
            let q = model.primitives(g, theta);
            let game = model.game(g, &q, Side::Foreign);
            let proposer = model.proposer(g, theta);
            if certify {
                solve_with_proposer(&game, proposer)
            } else {
                solve_with_proposer_unchecked(&game, proposer)
            }
        })
        .collect()
}

/// `predict`: one row per data row with the outcome probabilities and offers: the id column
/// (when the spec has one), `p_ratified, p_renegotiated, p_failed`, the offers of each stage
/// (`offer_poll, offer_vote, offer_renegotiation`, missing where the row's protocol has no such
/// stage), `home_share` (missing where no agreement can enter into force), `p_strategic` and
/// `certified` (whether every stage of the row's equilibrium is certified, see
/// [`crate::model::Certificate`]).
pub fn predict_frame(project: &Project, model: &Model, theta: &[f64]) -> Result<DataFrame> {
    let solutions = solve_designs(model, theta, true);
    let rows: Vec<(&Solution, &crate::problem::likelihood::Design)> = model
        .row_design
        .iter()
        .map(|&g| (&solutions[g], &model.designs[g]))
        .collect();
    let mut columns = Vec::new();
    if let (Some(name), Some(ids)) = (&project.spec.spec.data.id, &project.data.id) {
        columns.push(Column::new(name.as_str().into(), ids.as_slice()));
    }
    let probability =
        |y: usize| -> Vec<f64> { rows.iter().map(|(s, _)| s.probabilities[y]).collect() };
    for (y, name) in ["p_ratified", "p_renegotiated", "p_failed"]
        .iter()
        .enumerate()
    {
        columns.push(Column::new((*name).into(), probability(y)));
    }
    // The offers of the stages a row's protocol has, in stage order.
    let offer = |stage: usize| -> Vec<Option<f64>> {
        rows.iter()
            .map(|(s, d)| {
                let present = [d.protocol.poll, true, d.protocol.renegotiation];
                if !present[stage] {
                    return None;
                }
                let k = present[..stage].iter().filter(|&&p| p).count();
                s.offers().get(k).copied()
            })
            .collect()
    };
    for (stage, name) in ["offer_poll", "offer_vote", "offer_renegotiation"]
        .iter()
        .enumerate()
    {
        columns.push(Column::new((*name).into(), offer(stage)));
    }
    columns.push(Column::new(
        "home_share".into(),
        rows.iter()
            .map(|(s, _)| s.home_share.is_finite().then_some(s.home_share))
            .collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "p_strategic".into(),
        rows.iter().map(|(s, _)| s.p_strategic).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "certified".into(),
        rows.iter()
            .map(|(s, _)| s.certificate.is_certified())
            .collect::<Vec<_>>(),
    ));
    DataFrame::new(rows.len(), columns)
        .map_err(|e| Error::Results(format!("cannot build the predictions ({e})")))
}

/// [`predict_frame`] as CSV text, numbers with 12 decimals.
pub fn predict_csv(project: &Project, model: &Model, theta: &[f64]) -> Result<String> {
    csv_text(
        &mut predict_frame(project, model, theta)?,
        PREDICTION_FLOATS,
    )
}

/// How `predict` writes numbers to CSV: 12 decimals.
pub const PREDICTION_FLOATS: FloatStyle = FloatStyle::Fixed(12);

/// A frame as CSV text.
fn csv_text(frame: &mut DataFrame, floats: FloatStyle) -> Result<String> {
    let bytes = table_bytes(frame, TableFormat::Csv, floats)
        .map_err(|e| Error::Results(format!("cannot write the table as CSV ({e})")))?;
    String::from_utf8(bytes)
        .map_err(|e| Error::Results(format!("the table is not UTF-8 text ({e})")))
}

/// Draws one outcome from probabilities with a uniform draw `u`.
pub fn draw_outcome(p: &[f64; 3], u: f64) -> Outcome {
    if u < p[0] {
        Outcome::Ratified
    } else if u < p[0] + p[1] {
        Outcome::Renegotiated
    } else {
        Outcome::Failed
    }
}

/// Simulated outcomes for the data rows at `theta`: rows `rows` (indices into the data), one
/// draw each from a xoshiro256++ stream seeded with `seed`.
pub fn simulate_outcomes(model: &Model, theta: &[f64], rows: &[usize], seed: u64) -> Vec<Outcome> {
    let solutions = solve_designs(model, theta, false);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    rows.iter()
        .map(|&i| {
            draw_outcome(
                &solutions[model.row_design[i]].probabilities,
                rng.random::<f64>(),
            )
        })
        .collect()
}

/// `simulate`: the data rows (or `n` rows resampled with the seed) with every column as read and
/// the outcome column drawn from the model.
pub fn simulate_frame(
    project: &Project,
    model: &Model,
    theta: &[f64],
    seed: u64,
    n: Option<usize>,
) -> Result<DataFrame> {
    let n_rows = project.data.len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x005E_ED0F_D47A);
    let rows: Vec<usize> = match n {
        None => (0..n_rows).collect(),
        Some(n) => (0..n).map(|_| rng.random_range(0..n_rows)).collect(),
    };
    let outcomes = simulate_outcomes(model, theta, &rows, seed);
    let outcome = &project.spec.spec.data.outcome;
    let taken = IdxCa::from_vec("row".into(), rows.iter().map(|&i| i as IdxSize).collect());
    let frame = project
        .data
        .frame
        .take(&taken)
        .and_then(|mut f| {
            f.with_column(Column::new(
                outcome.as_str().into(),
                outcomes.iter().map(|y| y.label()).collect::<Vec<_>>(),
            ))?;
            Ok(f)
        })
        .map_err(|e| Error::Results(format!("cannot build the simulated rows ({e})")))?;
    Ok(frame)
}

/// [`simulate_frame`] as CSV text.
pub fn simulate_csv(
    project: &Project,
    model: &Model,
    theta: &[f64],
    seed: u64,
    n: Option<usize>,
) -> Result<String> {
    csv_text(
        &mut simulate_frame(project, model, theta, seed, n)?,
        FloatStyle::Shortest,
    )
}
