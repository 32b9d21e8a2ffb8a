//! Maximum-likelihood estimation with argmin: multi-start L-BFGS (or BFGS, Nelder–Mead),
//! convergence diagnostics, the observed information and standard errors.
//!
//! * Starts: the spec's start (or [`ParameterSpace::default_start`]), then `starts − 1` points
//!   drawn around it on the internal scale (normal, sd 1) from a xoshiro256++ stream seeded by
//!   `[estimation] seed`. The best converged start wins.
//! * Standard errors: observed information `I = −∇²ℓ(θ̂)` on the internal scale, by central
//!   differences of the gradient; robust `I⁻¹ B I⁻¹` with `B = Σ_i w_i² s_i s_iᵀ` (or, with
//!   clusters, the sum over clusters of summed scores); natural-scale SEs by the delta method.
//! * Identification: the eigenvalues of `I/Σw`; directions with eigenvalue below 1e-6 × the
//!   largest (or not positive) are reported as weakly identified, naming the parameters that
//!   load on them.

pub mod diagnose;
pub mod nearby;
pub mod project_fit;

use crate::error::{Error, Result};
use crate::problem::data::{Dataset, Outcome};
use crate::problem::likelihood::{Likelihood, Model};
use crate::problem::params::{ParameterSpace, Transform};
use crate::problem::spec::{EstimationSpec, Optimizer};
use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::{BFGS, LBFGS};
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::SeedableRng;
use rand_distr_free::standard_normal;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// Which standard errors a table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SeKind {
    /// Inverse observed information (inverse Hessian).
    #[default]
    Hessian,
    /// Robust sandwich.
    Robust,
    /// Cluster-robust sandwich.
    Cluster,
    /// Bootstrap standard deviation.
    Bootstrap,
}

impl SeKind {
    /// Words for a table caption.
    pub fn describe(self) -> &'static str {
        match self {
            SeKind::Hessian => "inverse observed information (Hessian)",
            SeKind::Robust => "robust sandwich",
            SeKind::Cluster => "cluster-robust sandwich",
            SeKind::Bootstrap => "bootstrap",
        }
    }
}

/// One parameter's estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterEstimate {
    /// Name (see [`crate::problem::params`]).
    pub name: String,
    /// Estimate on the natural scale.
    pub estimate: f64,
    /// Standard error from the inverse Hessian (natural scale; null if fixed or unavailable).
    pub std_error: Option<f64>,
    /// Robust sandwich SE.
    pub robust_std_error: Option<f64>,
    /// Cluster-robust SE (when the spec has a cluster column).
    pub cluster_std_error: Option<f64>,
    /// Held fixed by the spec.
    pub fixed: bool,
    /// The internal scale (intervals are formed there and mapped back, so that they respect
    /// the parameter's domain).
    pub transform: Transform,
}

impl ParameterEstimate {
    /// The 95% Wald interval for a natural-scale SE, formed on the internal scale:
    /// `T(t ± 1.96·se/|T'(t)|)`.
    pub fn wald_interval(&self, se: f64) -> (f64, f64) {
        let t = self.transform.to_internal(self.estimate);
        let slope = self.transform.derivative(t).abs();
        let half = crate::model::distribution::normal_quantile(0.975) * se / slope;
        (
            self.transform.to_natural(t - half),
            self.transform.to_natural(t + half),
        )
    }
}

/// The result of one start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartResult {
    /// Log-likelihood reached.
    pub loglik: f64,
    /// Iterations used.
    pub iterations: u64,
    /// Why the optimizer stopped.
    pub termination: String,
    /// Converged by a tolerance (not by the iteration limit or an error).
    pub converged: bool,
}

/// Convergence and identification diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Iterations of the winning start.
    pub iterations: u64,
    /// Max-norm of the gradient of `ℓ/Σw` at the estimate (internal scale).
    pub gradient_norm: f64,
    /// Why the winning start stopped.
    pub termination: String,
    /// Eigenvalues of the observed information per unit weight, ascending.
    pub hessian_eigenvalues: Vec<f64>,
    /// Condition number (largest / smallest eigenvalue).
    pub condition_number: f64,
    /// Every start's result, in order.
    pub starts: Vec<StartResult>,
}

/// Estimates of a fitted spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimates {
    /// Log-likelihood at the estimate.
    pub loglik: f64,
    /// Number of observations (data rows).
    pub n_obs: usize,
    /// Sum of weights.
    pub total_weight: f64,
    /// Number of free parameters.
    pub n_free: usize,
    /// Whether the optimizer converged (tolerance reached, small gradient, finite).
    pub converged: bool,
    /// Estimates by parameter, in the spec's parameter order.
    pub parameters: Vec<ParameterEstimate>,
    /// Diagnostics.
    pub diagnostics: Diagnostics,
    /// Warnings for the reader (weak identification, non-convergence…).
    pub warnings: Vec<String>,
    /// Internal-scale estimate of the free parameters.
    pub internal: Vec<f64>,
    /// Covariance of the internal free parameters (inverse observed information), row-major.
    pub covariance: Option<Vec<Vec<f64>>>,
}

impl Estimates {
    /// Natural-scale values of all parameters.
    pub fn values(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.estimate).collect()
    }

    /// AIC.
    pub fn aic(&self) -> f64 {
        -2.0 * self.loglik + 2.0 * self.n_free as f64
    }

    /// BIC.
    pub fn bic(&self) -> f64 {
        -2.0 * self.loglik + (self.n_free as f64) * (self.n_obs as f64).ln()
    }
}

/// Options of a fit (from `[estimation]`).
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Spec settings.
    pub estimation: EstimationSpec,
    /// Compute standard errors (off inside bootstrap replicates).
    pub standard_errors: bool,
    /// Checkpoint of finished starts: `(file, resume)`. Each finished start is appended with the
    /// exact bits of its result; with `resume`, starts already in the file are not rerun, so an
    /// interrupted multi-start fit continues to exactly the uninterrupted result.
    pub checkpoint: Option<(std::path::PathBuf, bool)>,
}

/// A small, self-contained standard-normal sampler (Box–Muller) so that draws do not depend
/// on a distribution crate's version.
mod rand_distr_free {
    use rand::Rng;
    /// One standard-normal draw.
    pub fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Starting points on the internal scale.
pub fn starting_points(space: &ParameterSpace, options: &EstimationSpec) -> Result<Vec<Vec<f64>>> {
    let mut natural = space.default_start();
    for (name, &v) in &options.start {
        let i = space.index(name).ok_or_else(|| {
            Error::Estimation(format!(
                "`[estimation] start` names unknown parameter `{name}`; parameters are: {}",
                space.names().join(", ")
            ))
        })?;
        space
            .check_value(&space.parameters[i], v)
            .map_err(|m| Error::Estimation(format!("`[estimation] start`: {m}")))?;
        if space.parameters[i].fixed.is_none() {
            natural[i] = v;
        }
    }
    let base = space.to_internal(&natural);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let mut points = vec![base.clone()];
    for _ in 1..options.starts {
        points.push(base.iter().map(|b| b + standard_normal(&mut rng)).collect());
    }
    Ok(points)
}

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

/// Observed information `−∇²ℓ` (internal scale, free parameters) by central differences of
/// the gradient, symmetrized.
pub fn observed_information(problem: &Likelihood, x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let mut h = DMatrix::zeros(n, n);
    for j in 0..n {
        let step = 1e-4 * (1.0 + x[j].abs());
        let mut up = x.to_vec();
        up[j] += step;
        let mut down = x.to_vec();
        down[j] -= step;
        let gu = problem.evaluate(&up, true).1;
        let gd = problem.evaluate(&down, true).1;
        for i in 0..n {
            h[(i, j)] = -(gu[i] - gd[i]) / (2.0 * step);
        }
    }
    (&h + h.transpose()) * 0.5
}

/// Max-norm of the gradient of `ℓ/Σw`.
fn scaled_gradient_norm(problem: &Likelihood, x: &[f64]) -> f64 {
    let (_, g) = problem.evaluate(x, true);
    g.iter()
        .map(|d| (d / problem.total_weight()).abs())
        .fold(0.0, f64::max)
}

/// Finishes an optimizer run: L-BFGS can stop on a tiny change of the cost in a flat valley
/// (weakly identified directions) before the gradient is small. Restart it (fresh memory) a
/// few times while the gradient is not small, then take Newton steps with the observed
/// information while it is positive definite and they raise the likelihood.
fn polish(
    problem: &Likelihood,
    mut x: Vec<f64>,
    result: &mut StartResult,
    optimizer: Optimizer,
    max_iters: u64,
) -> Vec<f64> {
    // Below this max-norm of the gradient of ℓ/Σw the optimum is found to well within its
    // standard error; polishing further only costs evaluations.
    const GOOD: f64 = 1e-6;
    for _ in 0..2 {
        if scaled_gradient_norm(problem, &x) <= GOOD || is_kink_maximum(problem, &x, result.loglik)
        {
            return x;
        }
        let (y, r) = optimize(problem, &x, optimizer, max_iters);
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
        if grad
            .iter()
            .map(|d| (d / problem.total_weight()).abs())
            .fold(0.0, f64::max)
            <= GOOD
        {
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

/// Whether `x` is a maximum along every coordinate direction (both ways, step 1e-5 on the
/// internal scale): the test for a maximum at a kink, where the gradient is not defined.
fn is_kink_maximum(problem: &Likelihood, x: &[f64], value: f64) -> bool {
    let tolerance = 1e-9 * (1.0 + value.abs());
    (0..x.len()).all(|k| {
        [-1e-5, 1e-5].iter().all(|&h| {
            let mut y = x.to_vec();
            y[k] += h;
            problem.log_likelihood(&y) <= value + tolerance
        })
    })
}

/// The checkpoint of a multi-start fit (see [`FitOptions::checkpoint`]).
struct StartLog {
    file: Option<std::fs::File>,
    done: std::collections::BTreeMap<usize, (Vec<f64>, StartResult)>,
}

impl StartLog {
    fn open(
        checkpoint: Option<&(std::path::PathBuf, bool)>,
        starts: &[Vec<f64>],
        total_weight: f64,
    ) -> Result<StartLog> {
        let Some((path, resume)) = checkpoint else {
            return Ok(StartLog {
                file: None,
                done: Default::default(),
            });
        };
        let bits = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{:016x}", x.to_bits()))
                .collect::<Vec<_>>()
                .join(",")
        };
        let header = format!(
            "twolevel fit checkpoint v1; weight {:016x}; starts {}",
            total_weight.to_bits(),
            starts.iter().map(|s| bits(s)).collect::<Vec<_>>().join(";")
        );
        let mut done = std::collections::BTreeMap::new();
        if *resume {
            if let Ok(text) = std::fs::read_to_string(path) {
                let mut lines = text.lines();
                if lines.next() != Some(header.as_str()) {
                    return Err(Error::Results(format!(
                        "{} belongs to another fit (other spec, data or starts); remove it, or drop --resume to start afresh",
                        path.display()
                    )));
                }
                for line in lines {
                    if let Some((i, x, r)) = parse_start_line(line) {
                        done.insert(i, (x, r));
                    }
                }
            }
        }
        let mut text = format!("{header}\n");
        for (i, (x, r)) in &done {
            text.push_str(&start_line(*i, x, r));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
        }
        std::fs::write(path, text).map_err(|e| Error::io("write", path, e))?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        Ok(StartLog {
            file: Some(file),
            done,
        })
    }

    fn finished(&self, index: usize) -> Option<(Vec<f64>, StartResult)> {
        self.done.get(&index).cloned()
    }

    fn append(&mut self, index: usize, x: &[f64], r: &StartResult) {
        if let Some(file) = &mut self.file {
            use std::io::Write;
            // A failed append only costs the start's reuse on resume.
            let _ = file
                .write_all(start_line(index, x, r).as_bytes())
                .and_then(|_| file.flush());
        }
    }
}

fn start_line(index: usize, x: &[f64], r: &StartResult) -> String {
    let bits = |v: f64| format!("{:016x}", v.to_bits());
    format!(
        "{index}\t{}\t{}\t{}\t{}\t{}\n",
        x.iter().map(|&v| bits(v)).collect::<Vec<_>>().join(","),
        bits(r.loglik),
        r.iterations,
        r.converged as u8,
        r.termination.replace(['\t', '\n'], " ")
    )
}

fn parse_start_line(line: &str) -> Option<(usize, Vec<f64>, StartResult)> {
    let f: Vec<&str> = line.split('\t').collect();
    if f.len() != 6 {
        return None;
    }
    let bits = |t: &str| u64::from_str_radix(t, 16).ok().map(f64::from_bits);
    let x: Vec<f64> = if f[1].is_empty() {
        Vec::new()
    } else {
        f[1].split(',').map(bits).collect::<Option<_>>()?
    };
    Some((
        f[0].parse().ok()?,
        x,
        StartResult {
            loglik: bits(f[2])?,
            iterations: f[3].parse().ok()?,
            converged: f[4] == "1",
            termination: f[5].to_string(),
        },
    ))
}

/// Fits a model to outcomes with row weights. `warm` replaces the starts (bootstrap).
pub fn fit(
    model: &Model,
    data: &Dataset,
    outcomes: &[Outcome],
    weights: &[f64],
    options: &FitOptions,
    warm: Option<&[f64]>,
) -> Result<Estimates> {
    let problem = Likelihood::new(model, outcomes, weights);
    let space = &model.space;
    let n_free = problem.n_free();
    let total_weight = problem.total_weight();
    let starts = match warm {
        Some(w) => vec![w.to_vec()],
        None => starting_points(space, &options.estimation)?,
    };
    let mut results = Vec::new();
    let mut best: Option<(Vec<f64>, StartResult)> = None;
    if n_free == 0 {
        let r = StartResult {
            loglik: problem.log_likelihood(&[]),
            iterations: 0,
            termination: "no free parameters".into(),
            converged: true,
        };
        results.push(r.clone());
        best = Some((Vec::new(), r));
    } else {
        let mut log = StartLog::open(options.checkpoint.as_ref(), &starts, total_weight)?;
        for (index, start) in starts.iter().enumerate() {
            let (x, r) = match log.finished(index) {
                Some(done) => done,
                None => {
                    let (x, r) = optimize(
                        &problem,
                        start,
                        options.estimation.optimizer,
                        options.estimation.max_iters,
                    );
                    log.append(index, &x, &r);
                    (x, r)
                }
            };
            results.push(r.clone());
            let better = match &best {
                None => true,
                Some((_, b)) => {
                    (r.converged && !b.converged)
                        || (r.converged == b.converged && r.loglik > b.loglik)
                }
            };
            if better {
                best = Some((x, r));
            }
        }
    }
    let (x, mut winner) = best.expect("at least one start");
    let x = if n_free > 0 {
        polish(
            &problem,
            x,
            &mut winner,
            options.estimation.optimizer,
            options.estimation.max_iters,
        )
    } else {
        x
    };
    let (loglik, grad) = problem.evaluate(&x, true);
    let gradient_norm = grad
        .iter()
        .map(|g| (g / total_weight).abs())
        .fold(0.0, f64::max);
    let mut warnings = Vec::new();
    let smooth_optimum = winner.converged && loglik.is_finite() && gradient_norm < 1e-4;
    // Where an episode's optimal offer sits at its bound (x = 0 or 1), the probabilities have a
    // kink in the parameters, and the maximum can be at the kink: the gradient is not small
    // there, but every coordinate direction lowers the likelihood.
    let kink_optimum = !smooth_optimum
        && loglik.is_finite()
        && n_free > 0
        && is_kink_maximum(&problem, &x, loglik);
    let converged = smooth_optimum || kink_optimum;
    if kink_optimum {
        warnings.push(format!(
            "the maximum is at a kink of the likelihood (gradient max-norm {gradient_norm:.2e}, but a step of 1e-5 either way along every parameter lowers it): some episode's optimal offer is at its bound 0 or 1; the estimate is a maximum, but Hessian-based standard errors are approximate there — prefer the bootstrap or the profile likelihood"
        ));
    }
    if !converged {
        warnings.push(format!(
            "the optimizer did not converge ({}; gradient max-norm {gradient_norm:.2e}); estimates are not reliable: try more `[estimation] starts`, a larger `max_iters`, other start values, or fix weakly identified parameters",
            winner.termination
        ));
    }
    let natural = space.to_natural(&x);
    let free = space.free();

    let mut hessian_eigenvalues = Vec::new();
    let mut condition_number = f64::NAN;
    let mut covariance = None;
    let mut robust = None;
    let mut cluster = None;
    if options.standard_errors && n_free > 0 {
        let info = observed_information(&problem, &x);
        let eigen = SymmetricEigen::new(info.clone() / total_weight);
        let mut order: Vec<usize> = (0..n_free).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[a].total_cmp(&eigen.eigenvalues[b]));
        hessian_eigenvalues = order.iter().map(|&i| eigen.eigenvalues[i]).collect();
        let largest = hessian_eigenvalues.last().copied().unwrap_or(0.0);
        let smallest = hessian_eigenvalues[0];
        condition_number = largest / smallest;
        for &i in &order {
            let ev = eigen.eigenvalues[i];
            if ev <= 1e-6 * largest.abs().max(1e-300) {
                let v = eigen.eigenvectors.column(i);
                let mut loads: Vec<(f64, &str)> = (0..n_free)
                    .map(|k| (v[k].abs(), space.parameters[free[k]].name.as_str()))
                    .filter(|(a, _)| *a > 0.2)
                    .collect();
                loads.sort_by(|a, b| b.0.total_cmp(&a.0));
                let names: Vec<&str> = loads.iter().map(|l| l.1).collect();
                warnings.push(format!(
                    "weakly identified direction (information eigenvalue {ev:.2e}, largest {largest:.2e}) involving {}: the data cannot pin these down separately; fix one of them in the spec (e.g. the scale, as a probit fixes its variance) or add data that separates them",
                    names.join(", ")
                ));
            }
        }
        if let Some(inv) = info
            .clone()
            .try_inverse()
            .filter(|m| (0..n_free).all(|i| m[(i, i)] > 0.0))
        {
            let scores = problem.row_scores(&x, outcomes);
            let weighted: Vec<Vec<f64>> = scores
                .iter()
                .zip(weights)
                .map(|(s, &w)| s.iter().map(|v| v * w).collect())
                .collect();
            let meat = |groups: Vec<Vec<f64>>| {
                let mut b = DMatrix::zeros(n_free, n_free);
                for s in groups {
                    let v = DVector::from_vec(s);
                    b += &v * v.transpose();
                }
                &inv * b * &inv
            };
            robust = Some(meat(weighted.clone()));
            if let Some(labels) = &data.cluster {
                let mut sums: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
                for (s, label) in weighted.iter().zip(labels) {
                    let e = sums
                        .entry(label.as_str())
                        .or_insert_with(|| vec![0.0; n_free]);
                    for (a, b) in e.iter_mut().zip(s) {
                        *a += b;
                    }
                }
                cluster = Some(meat(sums.into_values().collect()));
            }
            covariance = Some(inv);
        } else {
            warnings.push("the observed information is singular or not positive definite at the estimate: standard errors are not available (see the weakly identified directions)".into());
        }
    }
    let se = |m: &Option<DMatrix<f64>>, k: usize, j: usize| -> Option<f64> {
        m.as_ref().and_then(|m| {
            let v = m[(k, k)];
            (v >= 0.0 && v.is_finite())
                .then(|| v.sqrt() * space.parameters[j].transform.derivative(x[k]).abs())
        })
    };
    let parameters = space
        .parameters
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let k = free.iter().position(|&f| f == j);
            ParameterEstimate {
                name: p.name.clone(),
                estimate: natural[j],
                std_error: k.and_then(|k| se(&covariance, k, j)),
                robust_std_error: k.and_then(|k| se(&robust, k, j)),
                cluster_std_error: k.and_then(|k| se(&cluster, k, j)),
                fixed: p.fixed.is_some(),
                transform: p.transform,
            }
        })
        .collect();
    Ok(Estimates {
        loglik,
        n_obs: outcomes.len(),
        total_weight,
        n_free,
        converged,
        parameters,
        diagnostics: Diagnostics {
            optimizer: options.estimation.optimizer,
            iterations: winner.iterations,
            gradient_norm,
            termination: winner.termination.clone(),
            hessian_eigenvalues,
            condition_number,
            starts: results,
        },
        warnings,
        internal: x,
        covariance: covariance.map(|m| {
            (0..n_free)
                .map(|i| m.row(i).iter().copied().collect())
                .collect()
        }),
    })
}
