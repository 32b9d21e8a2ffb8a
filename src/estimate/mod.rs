//! Maximum-likelihood estimation: multi-start L-BFGS (or Fisher scoring, BFGS, Nelder–Mead)
//! with argmin, convergence diagnostics, the observed information and standard errors.
//!
//! ```text
//! t̂ = argmax_t ℓ(t),   ℓ(t) = Σ_i w_i log P_i(y_i | T(t))     (t: internal free parameters)
//! ```
//!
//! [`fit`] is the recipe, one file per step:
//!
//! | step | file | what |
//! | --- | --- | --- |
//! | starts | [`starts`] | the spec's start and `starts − 1` random ones, each run by the optimizer, the best converged wins; the checkpoint of finished starts |
//! | optimize | [`optimize`](mod@optimize) | one start's argmin run (Fisher scoring, L-BFGS, BFGS, Nelder–Mead) and the cost/gradient/information adapters |
//! | polish | [`polish`] | restarts and Newton steps to a small gradient; is it a (smooth or kink) maximum |
//! | covariance | [`covariance`] | `I = −∇²ℓ(t̂)`, `I⁻¹`, the robust and cluster sandwiches `I⁻¹ B I⁻¹`, natural-scale SEs by the delta method |
//! | identification | [`identification`] | the eigenvalues of the standardized information per episode and the weakly identified directions |
//!
//! Shared helpers: [`checkpoint`] (append-only logs of finished work, also the bootstrap's),
//! [`numeric_derivatives`] (central differences), [`normal_draws`] (Box–Muller). Around the
//! fit: [`diagnose`] (checks before, boundary warnings after) and [`project_fit`] (a project's
//! fit and `estimates.json`).

pub mod checkpoint;
pub mod covariance;
pub mod diagnose;
pub mod identification;
pub mod nearby;
pub mod normal_draws;
pub mod numeric_derivatives;
pub mod optimize;
pub mod polish;
pub mod project_fit;
pub mod starts;

pub use covariance::observed_information;
pub use optimize::optimize;
pub use starts::starting_points;

use crate::error::Result;
use crate::problem::certification::Certification;
use crate::problem::data::{Dataset, Outcome};
use crate::problem::likelihood::{Likelihood, Model};
use crate::problem::params::{ParameterSpace, Transform};
use crate::problem::spec::{EstimationSpec, Optimizer};
use nalgebra::DMatrix;
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
            SeKind::Cluster => "cluster-robust sandwich with the small-sample factor G/(G−1)",
            SeKind::Bootstrap => "bootstrap",
        }
    }
}

/// Whether the fit found a maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FitStatus {
    /// A smooth maximum: finite `ℓ` and a gradient max-norm of `ℓ/Σw` below 1e-4.
    #[default]
    Converged,
    /// A maximum at a kink of the likelihood, checked along the coordinates only
    /// ([`polish::is_kink_maximum`]).
    KinkMaximum,
    /// Neither.
    NotConverged,
}

impl FitStatus {
    /// Words for a table.
    pub fn describe(self) -> &'static str {
        match self {
            FitStatus::Converged => "converged",
            FitStatus::KinkMaximum => "maximum at a kink (checked along coordinates)",
            FitStatus::NotConverged => "not converged",
        }
    }

    /// The answer in a table's "Converged" row.
    pub fn answer(self) -> &'static str {
        match self {
            FitStatus::Converged => "yes",
            FitStatus::KinkMaximum => "at a kink",
            FitStatus::NotConverged => "NO",
        }
    }

    /// A maximum, smooth or at a kink: usable as a profile point or a bootstrap draw.
    pub fn is_maximum(self) -> bool {
        self != FitStatus::NotConverged
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
    /// Eigenvalues of the standardized observed information per episode, ascending
    /// ([`identification`]).
    #[serde(alias = "hessian_eigenvalues")]
    pub information_eigenvalues: Vec<f64>,
    /// Condition number (largest / smallest eigenvalue).
    pub condition_number: f64,
    /// Every start's result, in order.
    pub starts: Vec<StartResult>,
    /// The certificates of the designs' equilibria at the estimate (absent in files written
    /// before they existed, and for fits that are not reported, e.g. bootstrap replicates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certification: Option<Certification>,
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
    /// A smooth maximum ([`FitStatus::Converged`]); false at a kink maximum.
    pub converged: bool,
    /// Smooth maximum, maximum at a kink, or not converged.
    #[serde(default)]
    pub status: FitStatus,
    /// Estimates by parameter, in the spec's parameter order.
    pub parameters: Vec<ParameterEstimate>,
    /// Diagnostics.
    pub diagnostics: Diagnostics,
    /// Warnings for the reader (weak identification, non-convergence…).
    pub warnings: Vec<String>,
    /// The number of clusters `G` of the cluster-robust SEs (when the data have clusters).
    #[serde(default)]
    pub clusters: Option<usize>,
    /// Internal-scale estimate of the free parameters.
    pub internal: Vec<f64>,
    /// Covariance of the internal free parameters (inverse observed information), row-major;
    /// `None` when it does not exist or the SEs are conditional.
    pub covariance: Option<Vec<Vec<f64>>>,
    /// The free parameters held at their estimates for the standard errors (the information
    /// is singular along them): the others' SEs are conditional on them, they have none.
    #[serde(default)]
    pub conditional_on: Vec<String>,
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

    /// Words for a caption on the standard errors of `kind`, with the number of clusters of
    /// cluster-robust ones.
    pub fn se_description(&self, kind: SeKind) -> String {
        match (kind, self.clusters) {
            (SeKind::Cluster, Some(g)) => format!("{} ({g} clusters)", kind.describe()),
            _ => kind.describe().to_string(),
        }
    }

    /// BIC with `n = Σw` episodes (frequency weights; the number of rows without weights).
    pub fn bic(&self) -> f64 {
        -2.0 * self.loglik + (self.n_free as f64) * self.total_weight.ln()
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
    // Starts → optimize: every start is run, the best converged one wins.
    let starts = match warm {
        Some(w) => vec![w.to_vec()],
        None => starts::starting_points(&model.space, &options.estimation)?,
    };
    let (x, mut winner, start_results) = starts::run_starts(&problem, &starts, options)?;
    // Polish to a small gradient; is it a maximum?
    let mut x = polish::polish(&problem, x, &mut winner, &options.estimation);
    let mut convergence = polish::assess(&problem, &x, &winner);
    if convergence.status == FitStatus::NotConverged {
        if let Some(y) = maximize_along_kinks(model, outcomes, weights, &problem, &x, options) {
            let value = problem.log_likelihood(&y);
            if value >= convergence.loglik {
                winner.loglik = value;
                x = y;
                convergence = polish::assess(&problem, &x, &winner);
            }
        }
    }
    // Covariance and identification, from the observed information.
    let names = free_parameter_names(&model.space);
    let (covariances, identification) = if options.standard_errors && !x.is_empty() {
        let info = observed_information(&problem, &x);
        let units = identification::parameter_units(&model.space, data, weights);
        let identification =
            identification::identify(&info, problem.total_weight(), &units, &names);
        let covariances = |kept: &[usize]| {
            covariance::covariances(&problem, &info, &x, kept, data, outcomes, weights)
        };
        let all: Vec<usize> = (0..x.len()).collect();
        let covariances = covariances(&all).or_else(|| {
            // Conditional on the weakly identified parameters and those at the edge of
            // their domain, held at their estimates.
            let held = held_for_standard_errors(&model.space, &x, &identification);
            let kept: Vec<usize> = all.iter().copied().filter(|k| !held.contains(k)).collect();
            (!held.is_empty()).then(|| covariances(&kept)).flatten()
        });
        (covariances, Some(identification))
    } else {
        (None, None)
    };
    // Assemble.
    let mut warnings = convergence.warnings;
    let held: Vec<String> = covariances.as_ref().map_or(Vec::new(), |c| {
        (0..x.len())
            .filter(|k| !c.kept.contains(k))
            .map(|k| names[k].to_string())
            .collect()
    });
    if let Some(found) = &identification {
        warnings.extend(found.warnings.iter().cloned());
        if covariances.is_none() {
            warnings.push("the observed information is singular or not positive definite at the estimate, even without the weakly identified parameters: standard errors are not available; read the profile-likelihood intervals or run the bootstrap (`--bootstrap 200`)".into());
        } else if !held.is_empty() {
            let list = held
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            warnings.push(format!(
                "the observed information is singular or not positive definite along {list}: the other parameters' standard errors are conditional on {list} held at the estimate, which get none; for them read their profile-likelihood intervals (printed, in `profiles.json` and the profile figures) or run the bootstrap (`--bootstrap 200`)"
            ));
        }
    }
    let (information_eigenvalues, condition_number) = identification
        .map_or((Vec::new(), f64::NAN), |i| {
            (i.eigenvalues, i.condition_number)
        });
    Ok(Estimates {
        loglik: convergence.loglik,
        n_obs: outcomes.len(),
        total_weight: problem.total_weight(),
        n_free: x.len(),
        converged: convergence.status == FitStatus::Converged,
        status: convergence.status,
        parameters: parameter_estimates(&model.space, &x, covariances.as_ref()),
        diagnostics: Diagnostics {
            optimizer: options
                .estimation
                .optimizer
                .for_designs(problem.n_designs()),
            iterations: winner.iterations,
            gradient_norm: convergence.gradient_norm,
            termination: winner.termination,
            information_eigenvalues,
            condition_number,
            starts: start_results,
            certification: None,
        },
        warnings,
        clusters: covariances.as_ref().and_then(|c| c.clusters),
        covariance: covariances.filter(|_| held.is_empty()).map(|c| {
            c.hessian
                .row_iter()
                .map(|row| row.iter().copied().collect())
                .collect()
        }),
        conditional_on: held,
        internal: x,
    })
}

/// The free parameters (positions in `x`) held at their estimates for conditional standard
/// errors: those that load on a weakly identified direction, and discounts, probabilities and
/// scales at the edge of their domain (internal value beyond ±15).
fn held_for_standard_errors(
    space: &ParameterSpace,
    x: &[f64],
    identification: &identification::Identification,
) -> Vec<usize> {
    let free = space.free();
    (0..x.len())
        .filter(|&k| {
            identification.weak_parameters.contains(&k)
                || (space.parameters[free[k]].transform != Transform::Identity
                    && (x[k].abs() > 15.0 || x[k].is_nan()))
        })
        .collect()
}

/// The maximum over the coordinates that are not at a kink at `x`, the kinked ones held at
/// their values (see [`polish`]); `None` when there is nothing to hold or nothing left free.
fn maximize_along_kinks(
    model: &Model,
    outcomes: &[Outcome],
    weights: &[f64],
    problem: &Likelihood,
    x: &[f64],
    options: &FitOptions,
) -> Option<Vec<f64>> {
    let value = problem.log_likelihood(x);
    let kinked = polish::kinked_coordinates(problem, x, value);
    if kinked.is_empty() || kinked.len() == x.len() {
        return None;
    }
    let free = model.space.free();
    let mut held = model.clone();
    for &k in &kinked {
        let p = &mut held.space.parameters[free[k]];
        p.fixed = Some(p.transform.to_natural(x[k]));
    }
    let rest: Vec<f64> = (0..x.len())
        .filter(|k| !kinked.contains(k))
        .map(|k| x[k])
        .collect();
    let smooth = Likelihood::new(&held, outcomes, weights);
    let (y, _) = optimize(
        &smooth,
        &rest,
        options.estimation.optimizer,
        options.estimation.max_iters,
    );
    let mut y = y.into_iter();
    Some(
        (0..x.len())
            .map(|k| {
                if kinked.contains(&k) {
                    x[k]
                } else {
                    y.next().expect("one value per coordinate not held")
                }
            })
            .collect(),
    )
}

/// The names of the free parameters, in the order of the internal vector.
fn free_parameter_names(space: &ParameterSpace) -> Vec<&str> {
    space
        .free()
        .iter()
        .map(|&j| space.parameters[j].name.as_str())
        .collect()
}

/// Every parameter's estimate (natural scale) and standard errors at the internal estimate `x`.
fn parameter_estimates(
    space: &ParameterSpace,
    x: &[f64],
    covariances: Option<&covariance::Covariances>,
) -> Vec<ParameterEstimate> {
    let natural = space.to_natural(x);
    let free = space.free();
    space
        .parameters
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let k = free.iter().position(|&f| f == j);
            let se = |pick: fn(&covariance::Covariances) -> Option<&DMatrix<f64>>| {
                let (k, c) = (k?, covariances?);
                let at = c.kept.iter().position(|&kept| kept == k)?;
                covariance::natural_std_error(pick(c)?, at, p.transform, x[k])
            };
            ParameterEstimate {
                name: p.name.clone(),
                estimate: natural[j],
                std_error: se(|c| Some(&c.hessian)),
                robust_std_error: se(|c| Some(&c.robust)),
                cluster_std_error: se(|c| c.cluster.as_ref()),
                fixed: p.fixed.is_some(),
                transform: p.transform,
            }
        })
        .collect()
}
