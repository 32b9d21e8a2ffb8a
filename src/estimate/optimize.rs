//! The optimizer runs of one start, with argmin: maximize `ℓ(t)` over the internal free
//! parameters `t` by minimizing the cost per unit weight,
//!
//! ```text
//! c(t) = −ℓ(t)/Σw,   ∇c(t) = −∇ℓ(t)/Σw
//! ```
//!
//! * L-BFGS (memory 10) and BFGS (start: identity inverse Hessian), both with a More–Thuente
//!   line search and the analytic gradient; Nelder–Mead (simplex: the start and a step of 0.5
//!   along each coordinate) on the cost alone.
//! * A start has converged when argmin stopped on a tolerance (not on the iteration limit or an
//!   error) at a finite `ℓ`.
//! * The adapters hand the likelihood to argmin: [`Likelihood`] itself for L-BFGS (nalgebra
//!   vectors), `VecProblem` for BFGS (`Vec<f64>`), `CostOnly` for Nelder–Mead.

use super::StartResult;
use crate::problem::likelihood::Likelihood;
use crate::problem::spec::Optimizer;
use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::{BFGS, LBFGS};
use nalgebra::DVector;

/// How an argmin run ended: the best parameter, the iterations, why it stopped.
type Run = std::result::Result<(Vec<f64>, u64, TerminationStatus), argmin::core::Error>;

/// Runs the optimizer from one start. Returns `(internal estimate, result)`.
pub fn optimize(
    problem: &Likelihood,
    start: &[f64],
    optimizer: Optimizer,
    max_iters: u64,
) -> (Vec<f64>, StartResult) {
    let run = match optimizer {
        Optimizer::Lbfgs => lbfgs(problem, start, max_iters),
        Optimizer::Bfgs => bfgs(problem, start, max_iters),
        Optimizer::NelderMead => nelder_mead(problem, start, max_iters),
    };
    match run {
        Ok((x, iterations, status)) => {
            let loglik = problem.log_likelihood(&x);
            let (termination, converged) = match &status {
                TerminationStatus::Terminated(reason) => (
                    reason.text().to_string(),
                    matches!(
                        reason,
                        TerminationReason::SolverConverged | TerminationReason::TargetCostReached
                    ),
                ),
                TerminationStatus::NotTerminated => ("not terminated".to_string(), false),
            };
            (
                x,
                StartResult {
                    loglik,
                    iterations,
                    termination,
                    converged: converged && loglik.is_finite(),
                },
            )
        }
        Err(e) => (
            start.to_vec(),
            StartResult {
                loglik: f64::NEG_INFINITY,
                iterations: 0,
                termination: format!("optimizer error: {e}"),
                converged: false,
            },
        ),
    }
}

/// The end of a run from its final state: the best parameter (the start if there is none),
/// the iterations and the termination status.
fn ended<S: State>(state: &S, start: S::Param) -> (S::Param, u64, TerminationStatus)
where
    S::Param: Clone,
{
    (
        state.get_best_param().cloned().unwrap_or(start),
        state.get_iter(),
        state.get_termination_status().clone(),
    )
}

/// L-BFGS (memory 10, More–Thuente) on the likelihood with nalgebra vectors.
fn lbfgs(problem: &Likelihood, start: &[f64], max_iters: u64) -> Run {
    let x0 = DVector::from_column_slice(start);
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(1e-8)?
        .with_tolerance_cost(1e-12)?;
    let result = Executor::new(problem.clone(), solver)
        .configure(|s| s.param(x0.clone()).max_iters(max_iters))
        .run()?;
    let (x, iterations, status) = ended(result.state(), x0);
    Ok((x.iter().copied().collect(), iterations, status))
}

/// BFGS (More–Thuente, identity start for the inverse Hessian) with `Vec<f64>`.
fn bfgs(problem: &Likelihood, start: &[f64], max_iters: u64) -> Run {
    let n = start.len();
    let h0: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let solver = BFGS::new(MoreThuenteLineSearch::new())
        .with_tolerance_grad(1e-9)?
        .with_tolerance_cost(1e-13)?;
    let result = Executor::new(VecProblem(problem.clone()), solver)
        .configure(|s| s.param(start.to_vec()).inv_hessian(h0).max_iters(max_iters))
        .run()?;
    Ok(ended(result.state(), start.to_vec()))
}

/// Nelder–Mead on the cost alone, from the start and a step of 0.5 along each coordinate.
fn nelder_mead(problem: &Likelihood, start: &[f64], max_iters: u64) -> Run {
    let n = start.len();
    let x0 = DVector::from_column_slice(start);
    let mut simplex = vec![x0.clone()];
    for i in 0..n {
        let mut v = x0.clone();
        v[i] += 0.5;
        simplex.push(v);
    }
    let solver = NelderMead::new(simplex).with_sd_tolerance(1e-12)?;
    let result = Executor::new(CostOnly(problem.clone()), solver)
        .configure(|s| s.max_iters(max_iters.max(200 * n as u64)))
        .run()?;
    let (x, iterations, status) = ended(result.state(), x0);
    Ok((x.iter().copied().collect(), iterations, status))
}

/// Adapter for derivative-free solvers (Nelder–Mead): the cost without the gradient.
#[derive(Clone)]
struct CostOnly<'a>(Likelihood<'a>);

impl CostFunction for CostOnly<'_> {
    type Param = DVector<f64>;
    type Output = f64;
    fn cost(&self, p: &DVector<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(-self.0.log_likelihood(p.as_slice()) / self.0.total_weight())
    }
}

/// Adapter that hands the likelihood to argmin's BFGS with the `Vec<f64>` backend.
#[derive(Clone)]
pub(crate) struct VecProblem<'a>(pub(crate) Likelihood<'a>);

impl CostFunction for VecProblem<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(-self.0.value_and_gradient(p).0 / self.0.total_weight())
    }
}

impl Gradient for VecProblem<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        let (_, g) = self.0.value_and_gradient(p);
        let w = self.0.total_weight();
        Ok(g.into_iter().map(|d| -d / w).collect())
    }
}
