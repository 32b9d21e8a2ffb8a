//! The maximum near a known one: when a fit differs from an earlier one only a little (a profile
//! point next to its neighbour, a parameter held at a value near its estimate), its maximum is
//! found by BFGS started from the earlier optimum *and* from the earlier inverse Hessian of
//! the cost `f(θ) = −ℓ(θ)/Σw`, so that its first steps are already Newton steps:
//!
//! ```text
//! θ_{t+1} = θ_t − α_t H_t ∇f(θ_t),    H_0 ≈ [∇²f(θ_near)]⁻¹ = Σw · I(θ_near)⁻¹
//! ```
//!
//! (`I = −∇²ℓ`, the observed information; BFGS updates `H_t` from the gradients it sees). A
//! profile point then costs a handful of likelihood evaluations instead of the dozens of an
//! L-BFGS run from an identity scaling.
//!
//! Converged means the gradient max-norm of `ℓ/Σw` is at most [`GRADIENT_TOLERANCE`] (the
//! tolerance to which [`super::fit`] polishes its estimates), or BFGS stopped because an
//! iteration changed `ℓ` by less than [`LOGLIK_TOLERANCE`]: where a nuisance parameter runs
//! off to the edge of its domain (a weakly identified discount at 0 or 1), the maximum of `ℓ`
//! is a supremum approached as the parameter runs off, its gradient vanishes only in the
//! limit, and the value of `ℓ` (which is what a profile needs) has converged long before.

use super::optimize::VecProblem;
use crate::problem::likelihood::Likelihood;
use argmin::core::{Executor, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::BFGS;
use nalgebra::DMatrix;

/// Converged: the gradient max-norm of `ℓ/Σw` at most this.
pub const GRADIENT_TOLERANCE: f64 = 1e-6;
/// Converged: an iteration changed `ℓ` by less than this (a profile needs `ℓ` to about
/// 1e-3: the cut-off's root then moves by less than 1e-4).
pub const LOGLIK_TOLERANCE: f64 = 1e-5;

/// A maximum found near a known one.
#[derive(Debug, Clone)]
pub struct NearbyMaximum {
    /// Internal-scale free parameters.
    pub internal: Vec<f64>,
    /// `ℓ` there.
    pub loglik: f64,
    /// The gradient max-norm of `ℓ/Σw` is at most [`GRADIENT_TOLERANCE`].
    pub converged: bool,
    /// BFGS's final inverse Hessian of `−ℓ/Σw`: the starting scaling of the next nearby fit.
    pub inv_hessian: Vec<Vec<f64>>,
}

/// The inverse Hessian of `−ℓ/Σw` over the free parameters other than `k`, from the
/// covariance `V = I⁻¹` of all of them: `Σw · (V_nn − V_nk V_kk⁻¹ V_kn)` (the inverse of the
/// information's `n`-block is the Schur complement of `V_kk` in `V`). `None` when `V` is not
/// usable.
pub fn conditional_inv_hessian(
    covariance: &[Vec<f64>],
    k: usize,
    total_weight: f64,
) -> Option<Vec<Vec<f64>>> {
    let n = covariance.len();
    let v = DMatrix::from_fn(n, n, |i, j| covariance[i][j]);
    let vkk = v[(k, k)];
    if !(vkk.is_finite() && vkk > 0.0) {
        return None;
    }
    let others: Vec<usize> = (0..n).filter(|&i| i != k).collect();
    let h: Vec<Vec<f64>> = others
        .iter()
        .map(|&i| {
            others
                .iter()
                .map(|&j| total_weight * (v[(i, j)] - v[(i, k)] * v[(k, j)] / vkk))
                .collect()
        })
        .collect();
    let m = DMatrix::from_fn(others.len(), others.len(), |i, j| h[i][j]);
    (h.iter().flatten().all(|x| x.is_finite()) && m.cholesky().is_some()).then_some(h)
}

/// The identity scaling (BFGS's usual start) for `n` parameters.
pub fn identity(n: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect()
}

/// Maximizes `ℓ` from `start` with BFGS scaled by `inv_hessian` (see the module doc), at
/// most `max_iters` iterations.
pub fn maximize_near(
    problem: &Likelihood,
    start: &[f64],
    inv_hessian: Vec<Vec<f64>>,
    max_iters: u64,
) -> NearbyMaximum {
    let n = start.len();
    let gradient_norm = |x: &[f64]| {
        let (value, grad) = problem.value_and_gradient(x);
        let norm = grad
            .iter()
            .map(|g| (g / problem.total_weight()).abs())
            .fold(0.0, f64::max);
        (value, norm)
    };
    if n == 0 {
        let loglik = problem.log_likelihood(&[]);
        return NearbyMaximum {
            internal: Vec::new(),
            loglik,
            converged: loglik.is_finite(),
            inv_hessian,
        };
    }
    let (start_value, start_norm) = gradient_norm(start);
    if start_value.is_finite() && start_norm <= GRADIENT_TOLERANCE {
        return NearbyMaximum {
            internal: start.to_vec(),
            loglik: start_value,
            converged: true,
            inv_hessian,
        };
    }
    let run = BFGS::new(MoreThuenteLineSearch::new())
        .with_tolerance_grad(GRADIENT_TOLERANCE * 1e-2)
        .and_then(|s| s.with_tolerance_cost(LOGLIK_TOLERANCE / problem.total_weight()))
        .and_then(|solver| {
            Executor::new(VecProblem(problem.clone()), solver)
                .configure(|s| {
                    s.param(start.to_vec())
                        .inv_hessian(inv_hessian.clone())
                        .max_iters(max_iters)
                })
                .run()
        });
    let (internal, next_inv_hessian, stopped) = match run {
        Ok(r) => {
            let state = r.state();
            (
                state.best_param.clone().unwrap_or_else(|| start.to_vec()),
                state.inv_hessian.clone().unwrap_or(inv_hessian),
                state.termination_status
                    == TerminationStatus::Terminated(TerminationReason::SolverConverged),
            )
        }
        Err(_) => (start.to_vec(), inv_hessian, false),
    };
    let (loglik, norm) = gradient_norm(&internal);
    NearbyMaximum {
        converged: loglik.is_finite() && (stopped || norm <= GRADIENT_TOLERANCE),
        internal,
        loglik,
        inv_hessian: next_inv_hessian,
    }
}
