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

/// Runs the optimizer from one start. Returns `(internal estimate, result)`.
pub fn optimize(
    problem: &Likelihood,
    start: &[f64],
    optimizer: Optimizer,
    max_iters: u64,
) -> (Vec<f64>, StartResult) {
    let n = start.len();
    let x0 = DVector::from_column_slice(start);
    let outcome: std::result::Result<(DVector<f64>, u64, TerminationStatus), argmin::core::Error> =
        match optimizer {
            Optimizer::Lbfgs => LBFGS::new(MoreThuenteLineSearch::new(), 10)
                .with_tolerance_grad(1e-8)
                .and_then(|s| s.with_tolerance_cost(1e-12))
                .and_then(|solver| {
                    Executor::new(problem.clone(), solver)
                        .configure(|s| s.param(x0.clone()).max_iters(max_iters))
                        .run()
                })
                .map(|r| {
                    let st = r.state();
                    (
                        st.get_best_param().cloned().unwrap_or(x0.clone()),
                        st.get_iter(),
                        st.get_termination_status().clone(),
                    )
                }),
            Optimizer::Bfgs => {
                let adapter = VecProblem(problem.clone());
                let h0: Vec<Vec<f64>> = (0..n)
                    .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
                    .collect();
                BFGS::new(MoreThuenteLineSearch::new())
                    .with_tolerance_grad(1e-9)
                    .and_then(|s| s.with_tolerance_cost(1e-13))
                    .and_then(|solver| {
                        Executor::new(adapter, solver)
                            .configure(|s| {
                                s.param(start.to_vec()).inv_hessian(h0).max_iters(max_iters)
                            })
                            .run()
                    })
                    .map(|r| {
                        let st = r.state();
                        (
                            DVector::from_vec(
                                st.get_best_param().cloned().unwrap_or(start.to_vec()),
                            ),
                            st.get_iter(),
                            st.get_termination_status().clone(),
                        )
                    })
            }
            Optimizer::NelderMead => {
                let mut simplex = vec![x0.clone()];
                for i in 0..n {
                    let mut v = x0.clone();
                    v[i] += 0.5;
                    simplex.push(v);
                }
                NelderMead::new(simplex)
                    .with_sd_tolerance(1e-12)
                    .and_then(|solver| {
                        Executor::new(CostOnly(problem.clone()), solver)
                            .configure(|s| s.max_iters(max_iters.max(200 * n as u64)))
                            .run()
                    })
                    .map(|r| {
                        let st = r.state();
                        (
                            st.get_best_param().cloned().unwrap_or(x0.clone()),
                            st.get_iter(),
                            st.get_termination_status().clone(),
                        )
                    })
            }
        };
    match outcome {
        Ok((x, iterations, status)) => {
            let x: Vec<f64> = x.iter().copied().collect();
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
struct VecProblem<'a>(Likelihood<'a>);

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
