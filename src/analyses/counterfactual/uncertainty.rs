//! Uncertainty of counterfactual quantities: delta-method standard errors (numerical Jacobian
//! in the internal free parameters, [`crate::estimate::numeric_derivatives::jacobian`], times
//! their covariance) and bootstrap intervals (the quantities re-solved at each saved bootstrap
//! draw).

use crate::analyses::bootstrap::read_draws_table;
use crate::analyses::{quantile_sorted, std_dev};
use crate::error::{Error, Result};
use crate::problem::params::ParameterSpace;
use std::path::Path;

/// `sqrt(g Σ gᵀ)` for a gradient row `g`; `None` if not finite or negative beyond rounding.
pub fn delta_se(g: &[f64], covariance: &[Vec<f64>]) -> Option<f64> {
    let mut v = 0.0;
    for (i, gi) in g.iter().enumerate() {
        for (j, gj) in g.iter().enumerate() {
            v += gi * covariance[i][j] * gj;
        }
    }
    if !v.is_finite() || v < -1e-12 {
        return None;
    }
    Some(v.max(0.0).sqrt())
}

/// Bootstrap draws of the parameters, read from a `bootstrap.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapDraws {
    /// Where they came from.
    pub source: String,
    /// Rows in the file.
    pub replicates: usize,
    /// Natural-scale values of all parameters (fitted spec's order), converged rows only.
    pub values: Vec<Vec<f64>>,
}

/// Reads `bootstrap.csv` (`replicate, status, loglik`, then one column per parameter name,
/// natural scale; or a `.parquet` with those columns) with
/// [`crate::analyses::bootstrap::read_draws_table`]: the converged rows' parameter vectors in
/// `space`'s order. Fixed parameters may be absent (their fixed value is used); a free
/// parameter's column must be present.
pub fn read_draws(path: &Path, space: &ParameterSpace) -> Result<BootstrapDraws> {
    let bad =
        |row: usize, m: String| Error::Results(format!("`{}`, row {row}: {m}", path.display()));
    let (names, draws) = read_draws_table(path)?;
    let mut columns = Vec::with_capacity(space.len());
    for p in &space.parameters {
        match (names.iter().position(|n| *n == p.name), p.fixed) {
            (Some(c), _) => columns.push(Err(c)),
            (None, Some(v)) => columns.push(Ok(v)),
            (None, None) => {
                return Err(bad(
                    0,
                    format!("no column for the free parameter `{}`; the draws belong to another spec (refit and rerun the bootstrap)", p.name),
                ))
            }
        }
    }
    let mut values = Vec::new();
    for (i, draw) in draws.iter().enumerate().filter(|(_, d)| d.converged()) {
        let mut theta = Vec::with_capacity(columns.len());
        for (p, c) in space.parameters.iter().zip(&columns) {
            theta.push(match *c {
                Ok(v) => v,
                Err(c) if draw.values[c].is_finite() => draw.values[c],
                Err(c) => {
                    return Err(bad(
                        i + 1,
                        format!("`{}` = `{}` is not a finite number", p.name, draw.values[c]),
                    ))
                }
            });
        }
        values.push(theta);
    }
    Ok(BootstrapDraws {
        source: path.display().to_string(),
        replicates: draws.len(),
        values,
    })
}

/// Standard deviation (divisor `n − 1`) and percentile interval (R type 7) of the finite
/// values; `None` with fewer than two.
pub fn bootstrap_summary(values: &mut Vec<f64>, level: f64) -> Option<(f64, (f64, f64))> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let sd = std_dev(values)?;
    let alpha = (1.0 - level) / 2.0;
    let interval = quantile_sorted(values, alpha).zip(quantile_sorted(values, 1.0 - alpha))?;
    Some((sd, interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_type_7() {
        let mut v = vec![10.0, 1.0, 3.0, 2.0, 4.0, f64::NAN];
        let (sd, (lo, hi)) = bootstrap_summary(&mut v, 0.8).unwrap();
        assert!(
            (lo - 1.4).abs() < 1e-12 && (hi - 7.6).abs() < 1e-12,
            "{lo} {hi}"
        );
        assert!((sd - 3.535_533_905_932_737_6).abs() < 1e-12);
    }
}
