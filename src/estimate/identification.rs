//! Local identification: the spectrum of the *standardized* information per episode and its
//! weakly identified directions, one criterion for the structural fit and the reduced form.
//!
//! ```text
//! J = S·I·S / Σw,   S = diag(u_1, …, u_n)                    (standardized information)
//! u_j = weighted SD of covariate x_c   for a coefficient on x_c (1 when x_c is constant)
//! u_j = 1                              for `const` and the structural scalars (internal scale)
//! J = Σ_k λ_k v_k v_kᵀ,   λ_1 ≤ … ≤ λ_n,   condition number κ = λ_n / λ_1
//! v_k is weakly identified  ⇔  λ_k ≤ 10⁻⁶                       ([`WEAK_CUTOFF`])
//! ```
//!
//! `J` does not change when a covariate is measured in other units (a coefficient in units of
//! its covariate's SD), nor with the number of episodes or the scale of the weights (it is per
//! unit weight). The structural scalars are on their internal scales (logit, log), which have
//! no units, and `const` is in the units of the threshold (the offer scale, `[0, 1]`). An
//! eigenvalue of `10⁻⁶` means that one episode carries a millionth of a unit of information
//! about that combination, an SE of `1000/√n` standardized units: with the data of any study in
//! the field, no information. Unlike the correlation-scaled information `D^{−½} I D^{−½}`, `J`
//! also flags a single coefficient whose information vanishes (a covariate that separates the
//! outcomes: its coefficient runs off and `I_jj → 0`, while its correlations stay bounded).
//!
//! The parameters that load on a weak direction are those with `|v_k,j| > 0.2`.

use crate::problem::data::Dataset;
use crate::problem::params::{ParameterSpace, Role};
use nalgebra::{DMatrix, Dyn, SymmetricEigen};

/// The cut-off below which an eigenvalue of the standardized information per episode marks a
/// weakly identified direction.
pub const WEAK_CUTOFF: f64 = 1e-6;

/// The unit `u_j` of a coefficient on covariate values `x` with row weights `w`: their
/// weighted standard deviation, 1 when it is 0 (a constant).
pub fn covariate_unit(x: &[f64], w: &[f64]) -> f64 {
    let total: f64 = w.iter().sum();
    let mean = x.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / total;
    let variance = x
        .iter()
        .zip(w)
        .map(|(x, w)| w * (x - mean).powi(2))
        .sum::<f64>()
        / total;
    let sd = variance.sqrt();
    if sd > 0.0 && sd.is_finite() {
        sd
    } else {
        1.0
    }
}

/// The units `u_j` of the free parameters of `space` (see the module doc).
pub fn parameter_units(space: &ParameterSpace, data: &Dataset, weights: &[f64]) -> Vec<f64> {
    space
        .free()
        .iter()
        .map(|&j| match &space.parameters[j].role {
            Role::HomeLocation(c) | Role::ForeignLocation(c) | Role::ProposerIndex(c) => data
                .covariates
                .get(c)
                .map_or(1.0, |x| covariate_unit(x, weights)),
            _ => 1.0,
        })
        .collect()
}

/// The eigen-decomposition of the standardized information per episode `J = S·I·S/Σw`.
pub fn spectrum(info: &DMatrix<f64>, total_weight: f64, units: &[f64]) -> SymmetricEigen<f64, Dyn> {
    let n = info.nrows();
    let j = DMatrix::from_fn(n, n, |a, b| {
        units[a] * info[(a, b)] * units[b] / total_weight
    });
    SymmetricEigen::new(j)
}

/// A weakly identified direction.
#[derive(Debug, Clone, PartialEq)]
pub struct WeakDirection {
    /// Its eigenvalue `λ_k`.
    pub eigenvalue: f64,
    /// The parameters that load on it, `(index, |v_k,j|)` with `|v_k,j| > 0.2`, in index order.
    pub loadings: Vec<(usize, f64)>,
}

/// The largest eigenvalue `λ_n` (in the total order of `f64`).
fn largest(eigen: &SymmetricEigen<f64, Dyn>) -> f64 {
    eigen
        .eigenvalues
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(0.0)
}

/// The weakly identified directions of `eigen` (eigenvalue at most [`WEAK_CUTOFF`], or not a
/// number), in the order of the decomposition's eigenvalues.
pub fn weak_directions(eigen: &SymmetricEigen<f64, Dyn>) -> Vec<WeakDirection> {
    eigen
        .eigenvalues
        .iter()
        .enumerate()
        .filter(|(_, &ev)| ev <= WEAK_CUTOFF || ev.is_nan())
        .map(|(i, &eigenvalue)| {
            let v = eigen.eigenvectors.column(i);
            WeakDirection {
                eigenvalue,
                loadings: v
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.abs() > 0.2)
                    .map(|(j, a)| (j, a.abs()))
                    .collect(),
            }
        })
        .collect()
}

/// The identification diagnostics of the structural estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Identification {
    /// Eigenvalues of the standardized information per episode `J`, ascending.
    pub eigenvalues: Vec<f64>,
    /// `λ_n / λ_1`.
    pub condition_number: f64,
    /// The indices of the parameters that load on a weak direction, ascending.
    pub weak_parameters: Vec<usize>,
    /// One per weakly identified direction (ascending eigenvalue), naming the parameters that
    /// load on it, the strongest first.
    pub warnings: Vec<String>,
}

/// The identification diagnostics from the observed information `info` of the free parameters
/// named `names`, with units `units` (see the module doc).
pub fn identify(
    info: &DMatrix<f64>,
    total_weight: f64,
    units: &[f64],
    names: &[&str],
) -> Identification {
    let eigen = spectrum(info, total_weight, units);
    let mut eigenvalues: Vec<f64> = eigen.eigenvalues.iter().copied().collect();
    eigenvalues.sort_by(f64::total_cmp);
    let largest = largest(&eigen);
    let mut weak = weak_directions(&eigen);
    weak.sort_by(|a, b| a.eigenvalue.total_cmp(&b.eigenvalue));
    let mut weak_parameters: Vec<usize> = weak
        .iter()
        .flat_map(|d| d.loadings.iter().map(|&(j, _)| j))
        .collect();
    weak_parameters.sort_unstable();
    weak_parameters.dedup();
    let warnings = weak
        .into_iter()
        .map(|mut d| {
            d.loadings.sort_by(|a, b| b.1.total_cmp(&a.1));
            let involved: Vec<&str> = d.loadings.iter().map(|&(j, _)| names[j]).collect();
            if d.eigenvalue < -WEAK_CUTOFF {
                return format!(
                    "the observed information has negative curvature (standardized eigenvalue {:.2e}) along a direction involving {}: the likelihood is not concave there, as at a kink (the finite differences straddle it) or away from a maximum; Hessian-based standard errors do not hold along it",
                    d.eigenvalue,
                    involved.join(", ")
                );
            }
            format!(
                "weakly identified direction (standardized information per episode {:.2e} ≤ {WEAK_CUTOFF:.0e}; largest {largest:.2e}) involving {}: the data cannot pin these down separately; fix one of them in the spec (e.g. the scale, as a probit fixes its variance) or add data that separates them",
                d.eigenvalue,
                involved.join(", ")
            )
        })
        .collect();
    Identification {
        condition_number: largest / eigenvalues[0],
        eigenvalues,
        weak_parameters,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_criterion_does_not_depend_on_units_and_flags_a_vanishing_coefficient() {
        // Information of (const, β_x) for x with SD 2 and per-episode information
        // [[1, 0.3], [0.3, 0.5]] in standardized units, for 100 episodes.
        let standardized = DMatrix::from_row_slice(2, 2, &[1.0, 0.3, 0.3, 0.5]);
        let info_for = |sd: f64| {
            let s = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![1.0, 1.0 / sd]));
            &s * &standardized * &s * 100.0
        };
        let eigen = |sd: f64| {
            let mut v: Vec<f64> = spectrum(&info_for(sd), 100.0, &[1.0, sd])
                .eigenvalues
                .iter()
                .copied()
                .collect();
            v.sort_by(f64::total_cmp);
            v
        };
        // x in other units (SD 2, 2000, 0.002): the same eigenvalues.
        for sd in [2.0, 2000.0, 0.002] {
            for (a, b) in eigen(sd).iter().zip(eigen(2.0)) {
                assert!((a - b).abs() < 1e-12 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
        // A coefficient whose information vanishes (separation) is flagged, whatever the
        // units; correlation scaling would not flag it (its correlations stay bounded).
        let separated = DMatrix::from_row_slice(2, 2, &[1.0, 1e-6, 1e-6, 1e-12]);
        for sd in [1.0, 1000.0] {
            let s = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![1.0, 1.0 / sd]));
            let info = &s * &separated * &s * 50.0;
            let found = identify(&info, 50.0, &[1.0, sd], &["home:const", "home:x"]);
            assert_eq!(found.weak_parameters, vec![1], "{found:?}");
            assert!(found.warnings[0].contains("home:x"));
        }
        // A well-identified pair is not flagged.
        let found = identify(&info_for(2.0), 100.0, &[1.0, 2.0], &["a", "b"]);
        assert!(found.weak_parameters.is_empty() && found.warnings.is_empty());
    }
}
