//! Comparative statics: the predicted outcome probabilities along a grid of 41 values of one
//! `[home] location` covariate, the other covariates at their (weighted) means, the most common
//! protocol and foreign constraint held fixed. 95% bands are bootstrap percentiles when there
//! are draws, else the delta method on the internal-scale covariance (symmetric in the
//! probability, clamped to [0, 1]).

use super::{band_draws, outcome_bands};
use crate::analyses::bootstrap::BootstrapResults;
use crate::analyses::counterfactual::uncertainty::delta_se;
use crate::error::Result;
use crate::estimate::numeric_derivatives::{jacobian, Step};
use crate::estimate::project_fit::FitReport;
use crate::model::distribution::normal_quantile;
use crate::model::Protocol;
use crate::problem::likelihood::{Design, Model};
use crate::problem::project::Project;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Points of the covariate grid.
pub const GRID_POINTS: usize = 41;

/// Step of the central differences of the delta method (internal scale).
const JACOBIAN_STEP: f64 = 1e-5;

/// Predicted outcome probabilities along one covariate, other covariates at their means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statics {
    /// The covariate.
    pub covariate: String,
    /// The covariate's label (its name without one).
    pub covariate_label: String,
    /// Its coefficient's name.
    pub parameter: String,
    /// The coefficient's label (its name without one).
    pub parameter_label: String,
    /// The coefficient's estimate.
    pub estimate: f64,
    /// The protocol held fixed.
    pub protocol: Protocol,
    /// Grid values.
    pub x: Vec<f64>,
    /// Probabilities at each grid value.
    pub p: Vec<[f64; 3]>,
    /// 95% bands per outcome, if any.
    pub band: Option<Band>,
}

/// A 95% band around the curves of a comparative-statics figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Where it comes from.
    pub source: BandSource,
    /// `(low, high)` per grid value and outcome.
    pub bounds: Vec<[(f64, f64); 3]>,
}

/// How a band was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandSource {
    /// Percentiles of the curves at the bootstrap draws.
    BootstrapPercentile,
    /// The delta method on the internal-scale covariance.
    DeltaMethod,
}

/// Comparative statics for every `[home] location` covariate (not `const`) that varies.
pub fn comparative_statics(
    project: &Project,
    model: &Model,
    report: &FitReport,
    bootstrap: Option<&BootstrapResults>,
) -> Result<Vec<Statics>> {
    let spec = &project.spec.spec;
    let data = &project.data;
    let wsum: f64 = data.weight.iter().sum();
    let mean = |c: &str| -> f64 {
        if c == "const" {
            1.0
        } else {
            data.covariates[c]
                .iter()
                .zip(&data.weight)
                .map(|(v, w)| v * w)
                .sum::<f64>()
                / wsum
        }
    };
    // The most common protocol and foreign constraint.
    let mut counts: BTreeMap<(bool, bool, bool), f64> = BTreeMap::new();
    for i in 0..data.len() {
        *counts
            .entry((
                data.poll[i],
                data.renegotiation[i],
                data.foreign_constraint[i],
            ))
            .or_default() += data.weight[i];
    }
    let (&(poll, renegotiation, foreign_constraint), _) = counts
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("rows");
    let protocol = Protocol {
        poll,
        renegotiation,
    };
    let foreign: Vec<f64> = spec
        .foreign
        .as_ref()
        .map(|f| f.location.iter().map(|c| mean(c)).collect())
        .unwrap_or_default();
    let proposer: Vec<f64> = spec
        .proposer
        .as_ref()
        .map(|p| p.index.iter().map(|c| mean(c)).collect())
        .unwrap_or_default();
    let theta = report.estimates.values();
    let labels = project.labels();
    let draws = band_draws(bootstrap);
    let mut out = Vec::new();
    for (k, c) in spec.home.location.iter().enumerate() {
        if c == "const" {
            continue;
        }
        let values = &data.covariates[c];
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
            continue;
        }
        let steps = (GRID_POINTS - 1) as f64;
        let x: Vec<f64> = (0..GRID_POINTS)
            .map(|i| lo + (hi - lo) * i as f64 / steps)
            .collect();
        let rows: Vec<Design> = x
            .iter()
            .map(|&v| Design {
                home: spec
                    .home
                    .location
                    .iter()
                    .enumerate()
                    .map(|(j, c2)| if j == k { v } else { mean(c2) })
                    .collect(),
                foreign: foreign.clone(),
                proposer: proposer.clone(),
                protocol,
                foreign_constraint,
            })
            .collect();
        let grid = Model::with_designs(&project.spec, data, Some(rows))?;
        let at = |theta: &[f64]| -> Vec<[f64; 3]> {
            let p = grid.design_probabilities(theta);
            grid.row_design.iter().map(|&g| p[g]).collect()
        };
        let p = at(&theta);
        let band = if !draws.is_empty() {
            let per: Vec<Vec<[f64; 3]>> = draws.par_iter().map(|d| at(d)).collect();
            Some(Band {
                source: BandSource::BootstrapPercentile,
                bounds: (0..x.len())
                    .map(|i| outcome_bands(per.len(), |d, y| per[d][i][y]))
                    .collect(),
            })
        } else {
            report.estimates.covariance.as_ref().map(|cov| Band {
                source: BandSource::DeltaMethod,
                bounds: delta_band(
                    &|t| at(&model.space.to_natural(t)),
                    &report.estimates.internal,
                    cov,
                    &p,
                ),
            })
        };
        let parameter = format!("home:{c}");
        out.push(Statics {
            covariate: c.clone(),
            covariate_label: labels.covariate(c).text().to_string(),
            parameter_label: labels.parameter(&parameter).text().to_string(),
            estimate: model
                .space
                .index(&parameter)
                .map(|j| theta[j])
                .unwrap_or(f64::NAN),
            parameter,
            protocol,
            x,
            p,
            band,
        });
    }
    Ok(out)
}

/// Delta-method 95% bands of the curves `at(t)` (probabilities per grid value and outcome)
/// at the internal free parameters `internal` with covariance `cov`: `p ± z √(J Σ Jᵀ)` with
/// `J` the Jacobian by central differences ([`jacobian`], [`delta_se`]), clamped to [0, 1];
/// NaN where the variance is not finite or negative beyond rounding.
pub fn delta_band(
    at: &dyn Fn(&[f64]) -> Vec<[f64; 3]>,
    internal: &[f64],
    cov: &[Vec<f64>],
    p: &[[f64; 3]],
) -> Vec<[(f64, f64); 3]> {
    let flat = |t: &[f64]| at(t).into_iter().flatten().collect::<Vec<f64>>();
    let jac = jacobian(flat, internal, 3 * p.len(), Step::Absolute(JACOBIAN_STEP));
    let z = normal_quantile(0.975);
    p.iter()
        .zip(jac.chunks(3))
        .map(|(p, rows)| {
            let band = |y: usize| match delta_se(&rows[y], cov) {
                Some(se) => {
                    let half = z * se;
                    ((p[y] - half).max(0.0), (p[y] + half).min(1.0))
                }
                None => (f64::NAN, f64::NAN),
            };
            [band(0), band(1), band(2)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two grid values whose probabilities are linear in two internal parameters.
    fn curves(t: &[f64]) -> Vec<[f64; 3]> {
        vec![
            [t[0], t[1], 1.0 - t[0] - t[1]],
            [0.5 * t[0], 0.02 + t[1], 0.98 - 0.5 * t[0] - t[1]],
        ]
    }

    #[test]
    fn delta_band_is_the_normal_interval_of_the_linear_map() {
        let t = [0.3, 0.01];
        let cov = vec![vec![0.0004, 0.0001], vec![0.0001, 0.0009]];
        let p = curves(&t);
        let band = delta_band(&curves, &t, &cov, &p);
        let z = normal_quantile(0.975);
        // Var(a t0 + b t1) = a² Σ00 + 2ab Σ01 + b² Σ11.
        let var = |a: f64, b: f64| a * a * cov[0][0] + 2.0 * a * b * cov[0][1] + b * b * cov[1][1];
        let sd = [
            [var(1.0, 0.0), var(0.0, 1.0), var(-1.0, -1.0)],
            [var(0.5, 0.0), var(0.0, 1.0), var(-0.5, -1.0)],
        ];
        for i in 0..2 {
            for y in 0..3 {
                let half = z * sd[i][y].sqrt();
                let (lo, hi) = band[i][y];
                assert!((hi - (p[i][y] + half).min(1.0)).abs() < 1e-9, "{i} {y}");
                assert!((lo - (p[i][y] - half).max(0.0)).abs() < 1e-9, "{i} {y}");
                // Symmetric around the curve where it is not clamped.
                if lo > 0.0 && hi < 1.0 {
                    assert!(((hi - p[i][y]) - (p[i][y] - lo)).abs() < 1e-12);
                }
            }
        }
        // The renegotiation band at the first value (0.01 ± 0.0588) is clamped at 0.
        assert_eq!(band[0][1].0, 0.0);
        assert!(band[0][1].1 > 0.06);
    }

    #[test]
    fn delta_band_is_empty_without_a_valid_variance() {
        let t = [0.3, 0.01];
        let cov = vec![vec![-1.0, 0.0], vec![0.0, -1.0]];
        let p = curves(&t);
        let band = delta_band(&curves, &t, &cov, &p);
        assert!(band[0][0].0.is_nan() && band[0][0].1.is_nan());
    }
}
