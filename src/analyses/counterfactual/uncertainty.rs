//! Uncertainty of counterfactual quantities: delta-method standard errors (numerical Jacobian
//! in the internal free parameters, times their covariance) and bootstrap intervals (the
//! quantities re-solved at each saved bootstrap draw).

use crate::analyses::bootstrap::read_draws_table;
use crate::error::{Error, Result};
use crate::problem::params::ParameterSpace;
use std::path::Path;

/// Standard-normal quantile for a two-sided interval at `level`.
pub fn z_value(level: f64) -> f64 {
    // Acklam's rational approximation of the normal quantile (relative error < 1.2e-9),
    // enough for interval half-widths.
    let p = 0.5 + level / 2.0;
    let a = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    let b = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    let c = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    let d = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    };
    if p > 1.0 - 0.02425 {
        -tail(1.0 - p)
    } else if p < 0.02425 {
        tail(p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    }
}

/// The numerical Jacobian `∂f/∂t` (rows: outputs, columns: internal free parameters) by
/// central differences with step `step`.
pub fn jacobian(f: &dyn Fn(&[f64]) -> Vec<f64>, t: &[f64], m: usize, step: f64) -> Vec<Vec<f64>> {
    let mut jac = vec![vec![0.0; t.len()]; m];
    for k in 0..t.len() {
        let mut up = t.to_vec();
        let mut down = t.to_vec();
        up[k] += step;
        down[k] -= step;
        let (fu, fd) = (f(&up), f(&down));
        for (row, (a, b)) in jac.iter_mut().zip(fu.iter().zip(&fd)) {
            row[k] = (a - b) / (2.0 * step);
        }
    }
    jac
}

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

/// Reads `bootstrap.csv` (`replicate, converged, loglik`, then one column per parameter name,
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
    for (i, draw) in draws.iter().enumerate().filter(|(_, d)| d.converged) {
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
    if values.len() < 2 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let quantile = |q: f64| {
        let h = (values.len() - 1) as f64 * q;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        values[lo] + (h - lo as f64) * (values[hi] - values[lo])
    };
    let alpha = (1.0 - level) / 2.0;
    Some((sd, (quantile(alpha), quantile(1.0 - alpha))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles() {
        assert!((z_value(0.95) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((z_value(0.90) - 1.644_853_626_951_472_2).abs() < 1e-8);
        assert!((z_value(0.99) - 2.575_829_303_548_900_4).abs() < 1e-8);
    }

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
