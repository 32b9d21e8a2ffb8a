//! Finishing the winning start, and the verdict on whether it is a maximum.
//!
//! ```text
//! ‖g‖ = max_k |∂ℓ/∂t_k| / Σw                     (the gradient max-norm per unit weight)
//! t ← t + λ I(t)⁻¹ ∇ℓ(t),   λ = 1, ½, ¼, …        (Newton steps while I = −∇²ℓ is p.d.)
//! kink maximum:  ℓ(t ± 10⁻⁵ e_k) ≤ ℓ(t) + 10⁻⁹(1 + |ℓ(t)|)  for every k
//! ```
//!
//! * [`polish`]: L-BFGS can stop on a tiny change of the cost in a flat valley before the
//!   gradient is small; the optimizer is restarted (at most twice) while `‖g‖ > 10⁻⁶`, then
//!   Newton steps are taken with the observed information
//!   ([`super::covariance::observed_information`]) while they raise `ℓ`. A Fisher-scoring
//!   estimate with `‖g‖ < 10⁻⁴` is left as it is (its own stopping rules hold there).
//! * [`assess`]: the estimate has [`FitStatus::Converged`] when `ℓ` is finite and `‖g‖ < 10⁻⁴`
//!   (a smooth maximum; however the optimizer's last line search ended). Otherwise it is a
//!   [`FitStatus::KinkMaximum`] when every coordinate direction lowers the likelihood
//!   ([`is_kink_maximum`]): where an episode's optimal offer sits at its bound 0 or 1, the
//!   probabilities have a kink in the parameters and the gradient is not small there. That is
//!   checked along the coordinates only, so it is a status of its own, never reported as
//!   converged. Else [`FitStatus::NotConverged`].
//! * Along a kink ([`super::fit`]): a gradient-based search stalls where the maximum lies on
//!   a ridge of kinks (some coordinates at a kink, the others not yet at their best). When
//!   the polished estimate is not a maximum, the [`kinked_coordinates`] are held at their
//!   values and the others are maximized (a smooth problem), once.

use super::covariance::observed_information;
use super::optimize::optimize;
use super::{FitStatus, StartResult};
use crate::problem::likelihood::Likelihood;
use crate::problem::spec::{EstimationSpec, Optimizer};
use nalgebra::DVector;

/// Below this gradient max-norm (per unit weight) at a finite `ℓ`, [`assess`] calls the
/// estimate a smooth maximum ([`FitStatus::Converged`]).
pub const SMOOTH_MAXIMUM_GRADIENT: f64 = 1e-4;

/// Below this gradient max-norm the optimum is found to well within its standard error;
/// polishing further only costs evaluations.
const GOOD: f64 = 1e-6;

/// The max-norm of the gradient of `ℓ/Σw`, from the gradient `grad` of `ℓ`.
pub fn gradient_max_norm(grad: &[f64], total_weight: f64) -> f64 {
    grad.iter()
        .map(|g| (g / total_weight).abs())
        .fold(0.0, f64::max)
}

/// Finishes the winning start `x` (see the module doc): optimizer restarts (fresh memory) while
/// the gradient is not small, then Newton steps with the observed information while it is
/// positive definite and they raise the likelihood. Updates `result` with the iterations and
/// the log-likelihood reached.
pub fn polish(
    problem: &Likelihood,
    mut x: Vec<f64>,
    result: &mut StartResult,
    options: &EstimationSpec,
) -> Vec<f64> {
    if x.is_empty() {
        return x;
    }
    // The gradient at `x`, when it is known already.
    let mut known = None;
    if options.optimizer.for_designs(problem.n_designs()) == Optimizer::FisherScoring {
        // Fisher scoring ended where its own stopping rules hold; restarting it repeats it,
        // and a Newton step with the observed information (2n gradients) moves the estimate
        // by `I⁻¹g`, far inside its standard errors at a gradient this small.
        let grad = problem.evaluate(&x, true).1;
        if gradient_max_norm(&grad, problem.total_weight()) <= SMOOTH_MAXIMUM_GRADIENT {
            return x;
        }
        known = Some(grad);
    }
    for _ in 0..2 {
        let grad = known.take().unwrap_or_else(|| problem.evaluate(&x, true).1);
        if gradient_max_norm(&grad, problem.total_weight()) <= GOOD
            || is_kink_maximum(problem, &x, result.loglik)
        {
            return x;
        }
        let (y, r) = optimize(problem, &x, options.optimizer, options.max_iters);
        if r.loglik >= result.loglik {
            result.iterations += r.iterations;
            result.loglik = r.loglik;
            result.termination = r.termination;
            result.converged = r.converged || result.converged;
            x = y;
        } else {
            break;
        }
    }
    for _ in 0..5 {
        let (value, grad) = problem.evaluate(&x, true);
        if gradient_max_norm(&grad, problem.total_weight()) <= GOOD {
            break;
        }
        let info = observed_information(problem, &x);
        let Some(chol) = info.cholesky() else { break };
        let step = chol.solve(&DVector::from_vec(grad));
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let y: Vec<f64> = x.iter().zip(step.iter()).map(|(a, b)| a + t * b).collect();
            let v = problem.log_likelihood(&y);
            if v.is_finite() && v >= value {
                x = y;
                result.loglik = v;
                improved = true;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    x
}

/// The coordinates at a kink of `ℓ` at `x`: a step of 1e-5 either way lowers `ℓ` by more than
/// the kink check's tolerance (a first-order drop both ways, where a smooth maximum drops by
/// a second-order amount).
pub fn kinked_coordinates(problem: &Likelihood, x: &[f64], value: f64) -> Vec<usize> {
    let tolerance = 1e-9 * (1.0 + value.abs());
    (0..x.len())
        .filter(|&k| {
            [-1e-5, 1e-5].iter().all(|&h| {
                let mut y = x.to_vec();
                y[k] += h;
                problem.log_likelihood(&y) < value - tolerance
            })
        })
        .collect()
}

/// Whether `x` is a maximum along every coordinate direction (both ways, step 1e-5 on the
/// internal scale): the test for a maximum at a kink, where the gradient is not defined.
pub fn is_kink_maximum(problem: &Likelihood, x: &[f64], value: f64) -> bool {
    let tolerance = 1e-9 * (1.0 + value.abs());
    (0..x.len()).all(|k| {
        [-1e-5, 1e-5].iter().all(|&h| {
            let mut y = x.to_vec();
            y[k] += h;
            problem.log_likelihood(&y) <= value + tolerance
        })
    })
}

/// The verdict on the polished estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Convergence {
    /// `ℓ` at the estimate.
    pub loglik: f64,
    /// [`gradient_max_norm`] at the estimate.
    pub gradient_norm: f64,
    /// A smooth maximum, a maximum at a kink, or neither.
    pub status: FitStatus,
    /// For the reader: a maximum at a kink, or no convergence.
    pub warnings: Vec<String>,
}

/// Whether `x`, the polished estimate of the winning start `winner`, is a maximum (see the
/// module doc).
pub fn assess(problem: &Likelihood, x: &[f64], winner: &StartResult) -> Convergence {
    let (loglik, grad) = problem.evaluate(x, true);
    let gradient_norm = gradient_max_norm(&grad, problem.total_weight());
    let mut warnings = Vec::new();
    let smooth_optimum = loglik.is_finite() && gradient_norm < SMOOTH_MAXIMUM_GRADIENT;
    let kink_optimum = !smooth_optimum
        && loglik.is_finite()
        && !x.is_empty()
        && is_kink_maximum(problem, x, loglik);
    let status = if smooth_optimum {
        FitStatus::Converged
    } else if kink_optimum {
        FitStatus::KinkMaximum
    } else {
        FitStatus::NotConverged
    };
    if kink_optimum {
        warnings.push(format!(
            "maximum at a kink of the likelihood, checked along coordinates (gradient max-norm {gradient_norm:.2e}, but a step of 1e-5 either way along every parameter lowers it): some episode's optimal offer is at its bound 0 or 1; a direction between the coordinates is not checked, and Hessian-based standard errors are approximate there — prefer the bootstrap or the profile likelihood"
        ));
    }
    if status == FitStatus::NotConverged {
        warnings.push(format!(
            "the optimizer did not converge ({}; gradient max-norm {gradient_norm:.2e}); estimates are not reliable: try more `[estimation] starts`, a larger `max_iters`, other start values, or fix weakly identified parameters",
            winner.termination
        ));
    }
    Convergence {
        loglik,
        gradient_norm,
        status,
        warnings,
    }
}
