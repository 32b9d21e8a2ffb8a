//! Predictions and simulations at given parameters: every design's equilibrium
//! ([`solve_designs`]), the outcome probabilities and offers per data row (`predict`), and
//! outcomes drawn from the model (`simulate`, the parametric bootstrap, synthetic data).
//!
//! A row's outcome is drawn from `P(ratified)`, `P(renegotiated)`, `P(failed)` (MODEL.md §4)
//! with one uniform draw `u`: ratified when `u < P(ratified)`, renegotiated when
//! `u < P(ratified) + P(renegotiated)`, failed otherwise.

use crate::error::{Error, Result};
use crate::model::{solve_with_proposer, Side, Solution};
use crate::problem::data::Outcome;
use crate::problem::likelihood::Model;
use crate::problem::project::Project;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Solves every design's game at `theta` (parallel, deterministic).
pub fn solve_designs(model: &Model, theta: &[f64]) -> Vec<Solution> {
    use rayon::prelude::*;
    (0..model.designs.len())
        .into_par_iter()
        .map(|g| {
            let q = model.primitives(g, theta);
            let game = model.game(g, &q, Side::Foreign);
            solve_with_proposer(&game, model.proposer(g, theta))
        })
        .collect()
}

/// `predict`: one CSV row per data row with the outcome probabilities and offers.
pub fn predict_csv(project: &Project, model: &Model, theta: &[f64]) -> Result<String> {
    let solutions = solve_designs(model, theta);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = Vec::new();
    if let Some(id) = &project.spec.spec.data.id {
        header.push(id.clone());
    }
    for h in [
        "p_ratified",
        "p_renegotiated",
        "p_failed",
        "offer_poll",
        "offer_vote",
        "offer_renegotiation",
        "home_share",
        "p_strategic",
    ] {
        header.push(h.to_string());
    }
    w.write_record(&header).expect("in-memory CSV");
    for (i, &g) in model.row_design.iter().enumerate() {
        let s = &solutions[g];
        let mut rec: Vec<String> = Vec::new();
        if let Some(ids) = &project.data.id {
            rec.push(ids[i].clone());
        }
        for p in s.probabilities {
            rec.push(format!("{p:.12}"));
        }
        let d = &model.designs[g];
        let offers = s.offers();
        let mut it = offers.iter();
        let mut take = |present: bool| {
            if present {
                it.next().map(|x| format!("{x:.12}")).unwrap_or_default()
            } else {
                String::new()
            }
        };
        rec.push(take(d.protocol.poll));
        rec.push(take(true));
        rec.push(take(d.protocol.renegotiation));
        rec.push(if s.home_share.is_finite() {
            format!("{:.12}", s.home_share)
        } else {
            String::new()
        });
        rec.push(format!("{:.12}", s.p_strategic));
        w.write_record(&rec).expect("in-memory CSV");
    }
    Ok(String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8"))
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
    let solutions = solve_designs(model, theta);
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

/// `simulate`: the data rows (or `n` rows resampled with the seed) with the outcome column
/// drawn from the model, as CSV text with every original column.
pub fn simulate_csv(
    project: &Project,
    model: &Model,
    theta: &[f64],
    seed: u64,
    n: Option<usize>,
) -> Result<String> {
    let n_rows = project.data.len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x005E_ED0F_D47A);
    let rows: Vec<usize> = match n {
        None => (0..n_rows).collect(),
        Some(n) => (0..n).map(|_| rng.random_range(0..n_rows)).collect(),
    };
    let outcomes = simulate_outcomes(model, theta, &rows, seed);
    let mut reader = csv::ReaderBuilder::new().from_reader(project.data.bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| {
            Error::data(
                &project.data.path,
                None,
                None,
                format!("cannot re-read the header ({e})"),
            )
        })?
        .clone();
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
        Error::data(
            &project.data.path,
            None,
            None,
            format!("cannot re-read the rows ({e})"),
        )
    })?;
    let outcome_col = headers
        .iter()
        .position(|h| h == project.spec.spec.data.outcome)
        .expect("outcome column checked at load");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).expect("in-memory CSV");
    for (&i, y) in rows.iter().zip(&outcomes) {
        let rec: Vec<&str> = records[i]
            .iter()
            .enumerate()
            .map(|(c, v)| if c == outcome_col { y.label() } else { v })
            .collect();
        w.write_record(&rec).expect("in-memory CSV");
    }
    Ok(String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8"))
}
