//! The covariance of the estimate: observed information, the Hessian, robust and cluster-robust
//! sandwiches on the internal scale, and natural-scale standard errors by the delta method.
//!
//! ```text
//! I = −∇²ℓ(t̂)                       observed information (central differences of the analytic
//!                                    gradient, step 10⁻⁴(1 + |t_j|), symmetrized (I + Iᵀ)/2)
//! V_hessian = I⁻¹
//! V_robust  = I⁻¹ B I⁻¹,   B = Σ_i w_i s_i s_iᵀ           s_i = ∇ log P_i(y_i) at t̂
//! V_cluster = I⁻¹ B_c I⁻¹, B_c = G/(G−1) · Σ_g (Σ_{i∈g} w_i s_i)(Σ_{i∈g} w_i s_i)ᵀ
//! se(θ_j) = √V_kk · |T'(t_k)|        θ_j = T(t_k), the delta method to the natural scale
//! ```
//!
//! `t` are the internal free parameters, `w_i` the row weights, `g` the `G` clusters of
//! `[data] cluster`. Weights are frequency weights (a row of weight `w` stands for `w`
//! identical episodes; [`crate::problem::data`]), so each of a row's `w` copies adds `s_i s_iᵀ`
//! to `B`, and a row's copies belong to its cluster. The cluster sandwich carries the
//! small-sample factor `G/(G−1)`, as Stata's `vce(cluster)` and R's `sandwich::vcovCL` do by
//! default. The sandwiches exist only where `I` is invertible with a positive diagonal of
//! `I⁻¹`.
//!
//! **Conditional standard errors.** Where `I` is singular or indefinite because some
//! parameters are weakly identified (a flat direction of the likelihood,
//! [`super::identification`]) or sit at the edge of their domain, the others' covariances are
//! those of the block `I_KK` of the kept parameters `K`, with the rest held at their estimates:
//! `V_K = (I_KK)⁻¹` and its sandwiches. They are conditional on the held values, and a table
//! says so; the held parameters get no standard error (their profile interval and the
//! bootstrap say what the data allow).

use super::numeric_derivatives::{jacobian, Step};
use crate::problem::data::{Dataset, Outcome};
use crate::problem::likelihood::Likelihood;
use crate::problem::params::Transform;
use nalgebra::{DMatrix, DVector};

/// Observed information `−∇²ℓ` (internal scale, free parameters) by central differences of
/// the gradient, symmetrized.
pub fn observed_information(problem: &Likelihood, x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let gradient = |t: &[f64]| problem.evaluate(t, true).1;
    let hessian = jacobian(gradient, x, n, Step::Relative(1e-4));
    let h = DMatrix::from_fn(n, n, |i, j| -hessian[i][j]);
    (&h + h.transpose()) * 0.5
}

/// The covariances of the internal free parameters `kept` (all of them, unless some are held at
/// their estimates: see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct Covariances {
    /// The free parameters (positions in the internal vector) that the matrices cover, in
    /// order; the others are held at their estimates.
    pub kept: Vec<usize>,
    /// `I⁻¹`.
    pub hessian: DMatrix<f64>,
    /// `I⁻¹ B I⁻¹`.
    pub robust: DMatrix<f64>,
    /// `I⁻¹ B_c I⁻¹` (when the data have clusters).
    pub cluster: Option<DMatrix<f64>>,
    /// The number of clusters `G` behind [`Covariances::cluster`].
    pub clusters: Option<usize>,
}

/// The covariances at the estimate `x` of the free parameters `kept` (positions in `x`, the
/// others held at their estimates) from the observed information `info`; `None` where the
/// block `I_KK` is not positive definite (no Cholesky factor: singular, or negative curvature
/// along some direction, where `I⁻¹` would be no covariance).
pub fn covariances(
    problem: &Likelihood,
    info: &DMatrix<f64>,
    x: &[f64],
    kept: &[usize],
    data: &Dataset,
    outcomes: &[Outcome],
    weights: &[f64],
) -> Option<Covariances> {
    let n_free = kept.len();
    if n_free == 0 {
        return None;
    }
    let block = DMatrix::from_fn(n_free, n_free, |a, b| info[(kept[a], kept[b])]);
    let inv = block.cholesky()?.inverse();
    if !(0..n_free).all(|i| inv[(i, i)] > 0.0 && inv[(i, i)].is_finite()) {
        return None;
    }
    let scores: Vec<Vec<f64>> = problem
        .row_scores(x, outcomes)
        .into_iter()
        .map(|s| kept.iter().map(|&k| s[k]).collect())
        .collect();
    // `Σ_k m_k v_k v_kᵀ` between two `I⁻¹`.
    let sandwich = |terms: Vec<(f64, Vec<f64>)>| {
        let mut b = DMatrix::zeros(n_free, n_free);
        for (m, s) in terms {
            let v = DVector::from_vec(s);
            b += m * &v * v.transpose();
        }
        &inv * b * &inv
    };
    let robust = sandwich(
        scores
            .iter()
            .cloned()
            .zip(weights)
            .map(|(s, &w)| (w, s))
            .collect(),
    );
    let cluster = data.cluster.as_ref().map(|labels| {
        let mut sums: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
        for ((s, &w), label) in scores.iter().zip(weights).zip(labels) {
            let e = sums
                .entry(label.as_str())
                .or_insert_with(|| vec![0.0; n_free]);
            for (a, b) in e.iter_mut().zip(s) {
                *a += w * b;
            }
        }
        let g = sums.len();
        let factor = if g > 1 {
            g as f64 / (g as f64 - 1.0)
        } else {
            f64::NAN
        };
        (
            sandwich(sums.into_values().map(|s| (factor, s)).collect()),
            g,
        )
    });
    Some(Covariances {
        kept: kept.to_vec(),
        hessian: inv,
        robust,
        clusters: cluster.as_ref().map(|c| c.1),
        cluster: cluster.map(|c| c.0),
    })
}

/// The natural-scale standard error of the parameter with internal value `t_k` (row `k` of the
/// covariance `v`) by the delta method: `√V_kk · |T'(t_k)|`; `None` if `V_kk` is negative or
/// not finite.
pub fn natural_std_error(
    v: &DMatrix<f64>,
    k: usize,
    transform: Transform,
    t_k: f64,
) -> Option<f64> {
    let var = v[(k, k)];
    (var >= 0.0 && var.is_finite()).then(|| var.sqrt() * transform.derivative(t_k).abs())
}
