//! The optimizer runs of one start, with argmin: maximize `ℓ(t)` over the internal free
//! parameters `t` by minimizing the cost per unit weight,
//!
//! ```text
//! c(t) = −ℓ(t)/Σw,   ∇c(t) = −∇ℓ(t)/Σw,   ∇²c(t) ≈ I(t)/Σw
//! ```
//!
//! * Fisher scoring (`fisher-scoring`; also every profile point, [`super::nearby`]): a trust
//!   region whose quadratic model has the expected information
//!   `I(t) = Σ_g N_g Σ_y ∇P_gy ∇P_gyᵀ / P_gy` as its Hessian (positive semi-definite at every
//!   `t`, and the observed information at a well-specified maximum up to sampling noise):
//!   argmin's `TrustRegion` with the Steihaug subproblem, stopped by `ScoringTrustRegion`.
//!   On 10⁵ episodes it needs about 20 evaluations where L-BFGS needs 120. Where it stops
//!   without reaching a smooth maximum (a gradient max-norm above
//!   [`SMOOTH_MAXIMUM_GRADIENT`]: a kink, a flat direction), L-BFGS runs on from where it
//!   stopped. `auto` (the default) is Fisher scoring from
//!   [`crate::problem::spec::SCORING_DESIGNS`] distinct designs up and L-BFGS below
//!   ([`Optimizer::for_designs`]): on small problems whose likelihood has kinks it can stop at
//!   a different point of a kink than L-BFGS, and there an evaluation is cheap anyway.
//! * L-BFGS (memory 10) and BFGS (start: identity inverse Hessian), both with a More–Thuente
//!   line search and the analytic gradient; Nelder–Mead (simplex: the start and a step of 0.5
//!   along each coordinate) on the cost alone.
//! * A start has converged when argmin stopped on a tolerance (not on the iteration limit or an
//!   error) at a finite `ℓ`.
//! * The adapters hand the likelihood to argmin: [`Likelihood`] itself for L-BFGS (nalgebra
//!   vectors), `VecProblem` for BFGS (`Vec<f64>`), `CostOnly` for Nelder–Mead, `Scoring`
//!   (cost, gradient and information from one evaluation) for Fisher scoring.

use super::polish::{gradient_max_norm, SMOOTH_MAXIMUM_GRADIENT};
use super::StartResult;
use crate::problem::likelihood::Likelihood;
use crate::problem::spec::Optimizer;
use argmin::core::{
    CostFunction, Executor, Gradient, Hessian, IterState, Problem, Solver, State,
    TerminationReason, TerminationStatus, KV,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::{BFGS, LBFGS};
use argmin::solver::trustregion::{Steihaug, TrustRegion};
use nalgebra::{DMatrix, DVector};

/// How an argmin run ended: the best parameter, the iterations, why it stopped.
type Run = std::result::Result<(Vec<f64>, u64, TerminationStatus), argmin::core::Error>;

/// Runs the optimizer from one start. Returns `(internal estimate, result)`.
pub fn optimize(
    problem: &Likelihood,
    start: &[f64],
    optimizer: Optimizer,
    max_iters: u64,
) -> (Vec<f64>, StartResult) {
    let run = match optimizer.for_designs(problem.n_designs()) {
        Optimizer::Lbfgs => lbfgs(problem, start, max_iters),
        Optimizer::Bfgs => bfgs(problem, start, max_iters),
        Optimizer::NelderMead => nelder_mead(problem, start, max_iters),
        // (`for_designs` resolves `Auto`; it is listed here only to keep the match total.)
        Optimizer::FisherScoring | Optimizer::Auto => {
            fisher_scoring(problem, start, max_iters, ScoringStop::FIT).and_then(
                |(x, iterations, status)| {
                    let converged =
                        status == TerminationStatus::Terminated(TerminationReason::SolverConverged);
                    let gradient = problem.value_and_gradient(&x).1;
                    if converged
                        && gradient_max_norm(&gradient, problem.total_weight())
                            <= SMOOTH_MAXIMUM_GRADIENT
                    {
                        return Ok((x, iterations, status));
                    }
                    // A flat or kinked likelihood (stopped, or converged at a kink with a
                    // gradient not yet small): L-BFGS from where it stopped, which follows a
                    // ridge of kinks further.
                    let rest = max_iters.saturating_sub(iterations).max(1);
                    let (y, more, status) = lbfgs(problem, &x, rest)?;
                    Ok((y, iterations + more, status))
                },
            )
        }
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

/// When Fisher scoring stops (see [`ScoringTrustRegion`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScoringStop {
    /// Converged when the gain the quadratic model still predicts is below this, per unit
    /// weight (or the gradient max-norm of the cost is below 1e-10).
    pub tolerance: f64,
    /// Stopped after this many rejected steps in a row: converged at a gradient max-norm (per
    /// unit weight) of at most `stalled_gradient`, else not.
    pub max_rejections: u32,
    /// See `max_rejections`.
    pub stalled_gradient: f64,
    /// Stop (converged) when `ℓ/Σw` is clearly below this: `ℓ/Σw + 100·gain + 1/Σw` below
    /// it, `gain` the quadratic model's predicted gain (a profile point far beyond the
    /// cut-off, where only its side of the cut-off matters).
    pub floor: Option<f64>,
}

impl ScoringStop {
    /// A fit's: a gain of 1e-12 per unit weight; three rejections in a row (a radius shrunk
    /// 64-fold without an accepted step) at a gradient at which [`super::polish::assess`]
    /// calls a maximum smooth: no ascent left at the resolution at which the likelihood is
    /// computed (a flat direction whose likelihood differences are rounding, or a kink);
    /// [`super::polish::polish`] then checks it along the coordinates. (On the 10⁵-episode
    /// bench file seven more rejections there gained nothing: 7 of the fit's 32 evaluations.)
    pub const FIT: ScoringStop = ScoringStop {
        tolerance: 1e-12,
        max_rejections: 3,
        stalled_gradient: SMOOTH_MAXIMUM_GRADIENT,
        floor: None,
    };
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

/// Fisher scoring in a trust region (argmin's `TrustRegion` with the Steihaug subproblem and
/// the expected information per unit weight as the Hessian of the cost `−ℓ/Σw`,
/// [`Likelihood::value_gradient_information`]): each step minimizes the quadratic model
/// `−∇ℓᵀd/Σw + ½ dᵀ(I/Σw)d` within the radius, which grows while the model predicts the
/// likelihood well and shrinks when it does not; where the information is singular along a
/// weakly identified direction the radius bounds the step. See [`ScoringTrustRegion`] for
/// when it stops (`stop`).
pub(crate) fn fisher_scoring(
    problem: &Likelihood,
    start: &[f64],
    max_iters: u64,
    stop: ScoringStop,
) -> Run {
    let x0 = DVector::from_column_slice(start);
    let solver = ScoringTrustRegion {
        inner: TrustRegion::new(Steihaug::new().with_max_iters(50))
            .with_radius(1.0)?
            .with_max_radius(100.0)?,
        stop,
        unit: 1.0 / problem.total_weight(),
        tolerance_gradient: 1e-10,
        rejections: 0,
        reachable_gain: f64::INFINITY,
    };
    let result = Executor::new(Scoring(problem.clone()), solver)
        .configure(|s| s.param(x0.clone()).max_iters(max_iters))
        .run()?;
    let (x, iterations, status) = ended(result.state(), x0);
    Ok((x.iter().copied().collect(), iterations, status))
}

/// Half the Newton decrement, `gᵀ(I + εD)⁻¹g / 2`: the gain the quadratic model still
/// predicts (per unit weight), with a ridge `εD` (`ε = 1e-10`, `D` the largest diagonal
/// entry of `I`) so that a direction along which the information is singular (a weakly
/// identified parameter, a discount run off to 0 or 1) counts only as far as the gradient
/// still moves along it.
fn predicted_gain(g: &DVector<f64>, info: &DMatrix<f64>) -> f64 {
    let ridge = 1e-10 * info.diagonal().amax();
    let regularized = info + DMatrix::identity(info.nrows(), info.ncols()) * ridge;
    regularized
        .cholesky()
        .map_or(f64::INFINITY, |c| 0.5 * g.dot(&c.solve(g)))
}

/// The iteration state of Fisher scoring (nalgebra vectors, the information as Hessian).
type ScoringState = IterState<DVector<f64>, DVector<f64>, (), DMatrix<f64>, (), f64>;

/// argmin's trust region with the stopping rules it leaves to its user: converged when the
/// gradient max-norm of the cost is at most `tolerance_gradient`, or the quadratic model
/// predicts a gain of less than `stop.tolerance` ([`predicted_gain`]), or a step was rejected
/// and nothing within the next radius can gain `stop.tolerance` to first order (a kink at
/// which the quadratic model fails: a maximum in value along the model's direction, though
/// not necessarily along a ridge of kinks, which L-BFGS can follow further), or
/// `stop.max_rejections` steps in a row were rejected at a gradient max-norm of at most
/// `stop.stalled_gradient`, or `ℓ` is clearly below `stop.floor` ([`ScoringStop`]). Stopped,
/// not converged, after as many rejections at a larger gradient (the caller hands over to
/// L-BFGS).
#[derive(Clone)]
struct ScoringTrustRegion {
    inner: TrustRegion<Steihaug<DVector<f64>, f64>, f64>,
    stop: ScoringStop,
    /// One unit of `ℓ` per unit weight, `1/Σw`.
    unit: f64,
    tolerance_gradient: f64,
    rejections: u32,
    /// After a rejected step: the most the likelihood can gain (to first order) within the
    /// next radius, per unit weight.
    reachable_gain: f64,
}

impl<'a> Solver<Scoring<'a>, ScoringState> for ScoringTrustRegion {
    fn name(&self) -> &str {
        "Fisher scoring (trust region)"
    }

    fn init(
        &mut self,
        problem: &mut Problem<Scoring<'a>>,
        state: ScoringState,
    ) -> std::result::Result<(ScoringState, Option<KV>), argmin::core::Error> {
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<Scoring<'a>>,
        state: ScoringState,
    ) -> std::result::Result<(ScoringState, Option<KV>), argmin::core::Error> {
        let before = state.get_param().cloned();
        let (state, kv) = self.inner.next_iter(problem, state)?;
        let moved = state.get_param() != before.as_ref();
        self.rejections = if moved { 0 } else { self.rejections + 1 };
        // After a rejected step of radius r the next radius is at most r/4, within which
        // the likelihood's first-order gain is at most r/4·‖g‖.
        self.reachable_gain = match (moved, kv.as_ref().and_then(|kv| kv.get("radius"))) {
            (false, Some(radius)) => {
                let gradient = state.get_gradient().map_or(f64::INFINITY, |g| g.norm());
                0.25 * radius.get_float().unwrap_or(f64::INFINITY) * gradient
            }
            _ => f64::INFINITY,
        };
        Ok((state, kv))
    }

    fn terminate(&mut self, state: &ScoringState) -> TerminationStatus {
        let small_gradient = state
            .get_gradient()
            .is_some_and(|g| g.amax() <= self.tolerance_gradient);
        let predicted_gain = match (state.get_gradient(), state.get_hessian()) {
            (Some(g), Some(info)) => predicted_gain(g, info),
            _ => f64::INFINITY,
        };
        let stalled = self.rejections >= self.stop.max_rejections;
        let stalled_at_small_gradient = stalled
            && state
                .get_gradient()
                .is_some_and(|g| g.amax() <= self.stop.stalled_gradient);
        // The cost is −ℓ/Σw.
        let clearly_below = self
            .stop
            .floor
            .is_some_and(|floor| -state.get_cost() + 100.0 * predicted_gain + self.unit < floor);
        if small_gradient
            || clearly_below
            || predicted_gain < self.stop.tolerance
            || self.reachable_gain < self.stop.tolerance
            || stalled_at_small_gradient
        {
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
        } else if stalled {
            TerminationStatus::Terminated(TerminationReason::SolverExit(
                "the trust region shrank without an accepted step".into(),
            ))
        } else {
            TerminationStatus::NotTerminated
        }
    }
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

/// Adapter for Fisher scoring: the cost, its gradient and the expected information per unit
/// weight as its Hessian, all from one evaluation per point.
#[derive(Clone)]
struct Scoring<'a>(Likelihood<'a>);

impl CostFunction for Scoring<'_> {
    type Param = DVector<f64>;
    type Output = f64;
    fn cost(&self, p: &DVector<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(-self.0.value_gradient_information(p.as_slice()).0 / self.0.total_weight())
    }
}

impl Gradient for Scoring<'_> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;
    fn gradient(&self, p: &DVector<f64>) -> std::result::Result<DVector<f64>, argmin::core::Error> {
        let g = self.0.value_gradient_information(p.as_slice()).1;
        Ok(-DVector::from_vec(g) / self.0.total_weight())
    }
}

impl Hessian for Scoring<'_> {
    type Param = DVector<f64>;
    type Hessian = DMatrix<f64>;
    fn hessian(&self, p: &DVector<f64>) -> std::result::Result<DMatrix<f64>, argmin::core::Error> {
        Ok(self.0.value_gradient_information(p.as_slice()).2 / self.0.total_weight())
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
