//! The reduced-form benchmark: a multinomial logit of the outcome (`ratified`, `renegotiated`,
//! `failed`) on the covariates of `[home] location`, fitted by maximum likelihood with the same
//! machinery as the structural model (an argmin `CostFunction` + `Gradient` with the analytic
//! gradient, L-BFGS with a More–Thuente line search).
//!
//! ```text
//! P(y = k | x) = exp(xᵀβ_k) / Σ_{j available} exp(xᵀβ_j),   β_base = 0
//! ```
//!
//! * Outcomes with zero (weighted) count in the data drop out; the base is the first remaining
//!   outcome (`ratified` whenever it occurs).
//! * `renegotiated` is available only in rows whose protocol has a renegotiation stage (as in
//!   the structural model, where it has probability 0 elsewhere).
//! * Coefficients are named `<outcome>:<covariate>`, e.g. `failed:const`, `failed:binding`.
//! * Standard errors: inverse of the analytic information matrix. A near-singular information
//!   (quasi-separation: a coefficient running off to infinity) is reported as a warning and
//!   leaves the SEs empty.

use crate::error::{Error, Result};
use crate::estimate::identification;
use crate::estimate::polish::gradient_max_norm;
use crate::problem::data::Outcome;
use crate::problem::project::Project;
use argmin::core::{
    CostFunction, Error as ArgminError, Executor, Gradient, State, TerminationReason,
    TerminationStatus,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// One coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReducedParameter {
    /// `<outcome>:<covariate>`.
    pub name: String,
    /// Estimate.
    pub estimate: f64,
    /// Standard error (inverse information), `None` where the information is singular.
    pub std_error: Option<f64>,
}

/// A fitted multinomial logit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReducedForm {
    /// The covariates (`const` = intercept).
    pub covariates: Vec<String>,
    /// The base outcome (coefficients 0).
    pub base: Outcome,
    /// The outcomes with coefficients, in index order.
    pub alternatives: Vec<Outcome>,
    /// Outcomes that never occur in the data (dropped).
    pub dropped: Vec<Outcome>,
    /// The coefficients, alternative by alternative.
    pub parameters: Vec<ReducedParameter>,
    /// Log-likelihood at the estimate.
    pub loglik: f64,
    /// Rows.
    pub n_obs: usize,
    /// `Σw`.
    pub total_weight: f64,
    /// Number of coefficients.
    pub n_free: usize,
    /// Coefficients that are identified (not run off under quasi-separation): what the Vuong
    /// test's BIC correction counts.
    #[serde(default)]
    pub n_identified: usize,
    /// Converged by a tolerance with a small gradient.
    pub converged: bool,
    /// L-BFGS iterations.
    pub iterations: u64,
    /// Max-norm of the gradient of `ℓ/Σw` at the estimate.
    pub gradient_norm: f64,
    /// Warnings (separation, non-convergence).
    pub warnings: Vec<String>,
}

impl ReducedForm {
    /// AIC.
    pub fn aic(&self) -> f64 {
        -2.0 * self.loglik + 2.0 * self.n_free as f64
    }

    /// BIC with `n = Σw` episodes (frequency weights; the number of rows without weights).
    pub fn bic(&self) -> f64 {
        -2.0 * self.loglik + self.n_free as f64 * self.total_weight.ln()
    }

    /// Per-row `log P_i(y_i)` at the estimate, for the project's rows (unweighted).
    pub fn row_logliks(&self, project: &Project) -> Result<Vec<f64>> {
        let data = MnlData::new(
            project,
            &self.covariates,
            Some((self.base, &self.alternatives)),
        )?;
        let beta: Vec<f64> = self.parameters.iter().map(|p| p.estimate).collect();
        Ok((0..data.n()).map(|i| data.row(i, &beta).0).collect())
    }
}

/// The design of the logit: covariates, outcome positions and availability per row.
struct MnlData {
    /// `x[i]`: covariate values of row `i`.
    x: Vec<Vec<f64>>,
    /// The outcome of row `i` as a position in `choices` (0 = base).
    y: Vec<usize>,
    /// `available[i][c]`: whether choice `c` is available in row `i`.
    available: Vec<Vec<bool>>,
    w: Vec<f64>,
    /// `[base, alternatives…]`.
    choices: Vec<Outcome>,
}

impl MnlData {
    fn new(
        project: &Project,
        covariates: &[String],
        fixed: Option<(Outcome, &[Outcome])>,
    ) -> Result<MnlData> {
        let d = &project.data;
        let choices: Vec<Outcome> = match fixed {
            Some((base, alts)) => std::iter::once(base).chain(alts.iter().copied()).collect(),
            None => Outcome::ALL
                .into_iter()
                .filter(|y| {
                    d.outcome
                        .iter()
                        .zip(&d.weight)
                        .any(|(o, &w)| o == y && w > 0.0)
                })
                .collect(),
        };
        if choices.len() < 2 {
            return Err(Error::Estimation(format!(
                "the reduced-form logit needs at least two outcomes in the data; all rows are `{}`",
                choices.first().map(|c| c.label()).unwrap_or("—")
            )));
        }
        let mut x = Vec::with_capacity(d.len());
        for i in 0..d.len() {
            let mut row = Vec::with_capacity(covariates.len());
            for c in covariates {
                row.push(if c == "const" {
                    1.0
                } else {
                    d.covariates.get(c).ok_or_else(|| {
                        Error::Estimation(format!("covariate `{c}` is not in the data"))
                    })?[i]
                });
            }
            x.push(row);
        }
        let mut y = Vec::with_capacity(d.len());
        let mut available = Vec::with_capacity(d.len());
        for i in 0..d.len() {
            let av: Vec<bool> = choices
                .iter()
                .map(|c| *c != Outcome::Renegotiated || d.renegotiation[i])
                .collect();
            let pos = choices.iter().position(|c| *c == d.outcome[i]);
            match pos {
                Some(p) if av[p] => y.push(p),
                _ => {
                    return Err(Error::Estimation(format!(
                        "row {}: outcome `{}` is not among the logit's outcomes ({})",
                        i + 1,
                        d.outcome[i].label(),
                        choices
                            .iter()
                            .map(|c| c.label())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
            available.push(av);
        }
        Ok(MnlData {
            x,
            y,
            available,
            w: d.weight.clone(),
            choices,
        })
    }

    fn n(&self) -> usize {
        self.y.len()
    }

    fn k(&self) -> usize {
        self.x.first().map(|r| r.len()).unwrap_or(0)
    }

    /// `(log P_i(y_i), probabilities of each choice)` at `beta`.
    fn row(&self, i: usize, beta: &[f64]) -> (f64, Vec<f64>) {
        let k = self.k();
        let u: Vec<f64> = (0..self.choices.len())
            .map(|c| {
                if !self.available[i][c] {
                    f64::NEG_INFINITY
                } else if c == 0 {
                    0.0
                } else {
                    self.x[i]
                        .iter()
                        .zip(&beta[(c - 1) * k..c * k])
                        .map(|(a, b)| a * b)
                        .sum()
                }
            })
            .collect();
        let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = u.iter().map(|v| (v - max).exp()).sum();
        let log_denominator = max + sum.ln();
        let p: Vec<f64> = u.iter().map(|v| (v - log_denominator).exp()).collect();
        (u[self.y[i]] - log_denominator, p)
    }

    /// `(ℓ, ∇ℓ)`.
    fn evaluate(&self, beta: &[f64]) -> (f64, Vec<f64>) {
        let k = self.k();
        let mut value = 0.0;
        let mut grad = vec![0.0; beta.len()];
        for i in 0..self.n() {
            let (l, p) = self.row(i, beta);
            value += self.w[i] * l;
            for c in 1..self.choices.len() {
                let r = self.w[i] * ((self.y[i] == c) as u8 as f64 - p[c]);
                for (g, x) in grad[(c - 1) * k..c * k].iter_mut().zip(&self.x[i]) {
                    *g += r * x;
                }
            }
        }
        (value, grad)
    }

    /// The information matrix `−∇²ℓ`.
    /// The unit of the coefficients on covariate `r` ([`identification::covariate_unit`]).
    fn covariate_unit(&self, r: usize) -> f64 {
        let x: Vec<f64> = self.x.iter().map(|row| row[r]).collect();
        identification::covariate_unit(&x, &self.w)
    }

    fn information(&self, beta: &[f64]) -> DMatrix<f64> {
        let k = self.k();
        let m = beta.len();
        let mut info = DMatrix::zeros(m, m);
        for i in 0..self.n() {
            let (_, p) = self.row(i, beta);
            for a in 1..self.choices.len() {
                for b in 1..self.choices.len() {
                    let v = self.w[i] * (if a == b { p[a] } else { 0.0 } - p[a] * p[b]);
                    if v == 0.0 {
                        continue;
                    }
                    for r in 0..k {
                        for s in 0..k {
                            info[((a - 1) * k + r, (b - 1) * k + s)] +=
                                v * self.x[i][r] * self.x[i][s];
                        }
                    }
                }
            }
        }
        info
    }
}

/// The logit as an argmin problem: minimizes `−ℓ/Σw`. It borrows the data and exists to be
/// handed to argmin.
#[derive(Clone, Copy)]
struct LogitProblem<'a> {
    data: &'a MnlData,
    total_weight: f64,
}

impl CostFunction for LogitProblem<'_> {
    type Param = DVector<f64>;
    type Output = f64;
    fn cost(&self, p: &DVector<f64>) -> std::result::Result<f64, ArgminError> {
        Ok(-self.data.evaluate(p.as_slice()).0 / self.total_weight)
    }
}

impl Gradient for LogitProblem<'_> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;
    fn gradient(&self, p: &DVector<f64>) -> std::result::Result<DVector<f64>, ArgminError> {
        let g = self.data.evaluate(p.as_slice()).1;
        Ok(DVector::from_iterator(
            g.len(),
            g.into_iter().map(|d| -d / self.total_weight),
        ))
    }
}

/// Fits the multinomial logit of the project's outcomes on its `[home] location` covariates.
pub fn fit_reduced_form(project: &Project) -> Result<ReducedForm> {
    let covariates = project.spec.spec.home.location.clone();
    let data = MnlData::new(project, &covariates, None)?;
    let k = data.k();
    let alternatives: Vec<Outcome> = data.choices[1..].to_vec();
    let m = k * alternatives.len();
    let total_weight: f64 = data.w.iter().sum();
    let problem = LogitProblem {
        data: &data,
        total_weight,
    };
    let x0 = DVector::zeros(m);
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(1e-10)
        .and_then(|s| s.with_tolerance_cost(1e-15))
        .map_err(|e| Error::Estimation(format!("reduced form: {e}")))?;
    let result = Executor::new(problem, solver)
        .configure(|s| s.param(x0.clone()).max_iters(2000))
        .run()
        .map_err(|e| Error::Estimation(format!("reduced form: the optimizer failed ({e})")))?;
    let state = result.state();
    let beta: Vec<f64> = state
        .get_best_param()
        .cloned()
        .unwrap_or(x0)
        .iter()
        .copied()
        .collect();
    let iterations = state.get_iter();
    let solver_converged = matches!(
        state.get_termination_status(),
        TerminationStatus::Terminated(TerminationReason::SolverConverged)
    );
    let (loglik, grad) = data.evaluate(&beta);
    let gradient_norm = gradient_max_norm(&grad, total_weight);
    let converged = solver_converged && loglik.is_finite() && gradient_norm < 1e-5;
    let mut warnings = Vec::new();
    if !converged {
        warnings.push(format!(
            "the reduced-form logit did not converge (gradient max-norm {gradient_norm:.2e})"
        ));
    }
    let names: Vec<String> = alternatives
        .iter()
        .flat_map(|a| covariates.iter().map(move |c| format!("{}:{c}", a.label())))
        .collect();
    let info = data.information(&beta);
    // One criterion with the structural fit: the standardized information per episode.
    let units: Vec<f64> = (0..alternatives.len())
        .flat_map(|_| (0..k).map(|r| data.covariate_unit(r)))
        .collect();
    let eigen = identification::spectrum(&info, total_weight, &units);
    let mut separated = vec![false; m];
    for direction in identification::weak_directions(&eigen) {
        let loads: Vec<&str> = direction
            .loadings
            .iter()
            .map(|&(j, _)| {
                separated[j] = true;
                names[j].as_str()
            })
            .collect();
        warnings.push(format!(
            "quasi-separation in the reduced-form logit (standardized information per episode {:.2e} ≤ {:.0e}): {} run(s) off towards ±∞; the log-likelihood is at its supremum, but these coefficients are not meaningful and have no SE (the other SEs hold them at their limit)",
            direction.eigenvalue,
            identification::WEAK_CUTOFF,
            loads.join(", ")
        ));
    }
    // SEs of the coefficients that are not separated: the inverse of their block of the
    // information (the separated ones held at their limit).
    let keep: Vec<usize> = (0..m).filter(|&j| !separated[j]).collect();
    let block = DMatrix::from_fn(keep.len(), keep.len(), |a, b| info[(keep[a], keep[b])]);
    let covariance = block.try_inverse();
    let parameters = names
        .into_iter()
        .enumerate()
        .map(|(j, name)| ReducedParameter {
            name,
            estimate: beta[j],
            std_error: keep
                .iter()
                .position(|&k| k == j)
                .and_then(|a| covariance.as_ref().map(|c| c[(a, a)]))
                .filter(|v| *v >= 0.0)
                .map(f64::sqrt),
        })
        .collect();
    Ok(ReducedForm {
        covariates,
        base: data.choices[0],
        alternatives,
        dropped: Outcome::ALL
            .into_iter()
            .filter(|o| !data.choices.contains(o))
            .collect(),
        parameters,
        loglik,
        n_obs: data.n(),
        total_weight,
        n_free: m,
        n_identified: keep.len(),
        converged,
        iterations,
        gradient_norm,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::numeric_derivatives::{jacobian, Step};

    #[test]
    fn analytic_gradient_and_information_match_differences() {
        let project = Project::default_example().unwrap();
        let data = MnlData::new(&project, &["const".into(), "supermajority".into()], None).unwrap();
        let beta = vec![-2.0, 0.3, -3.5, -0.4];
        let (_, g) = data.evaluate(&beta);
        let info = data.information(&beta);
        let step = Step::Absolute(1e-6);
        let fd_gradient = jacobian(|b| vec![data.evaluate(b).0], &beta, 1, step);
        let fd_hessian = jacobian(|b| data.evaluate(b).1, &beta, beta.len(), step);
        for j in 0..beta.len() {
            let fd = fd_gradient[0][j];
            assert!(
                (fd - g[j]).abs() < 1e-6 * (1.0 + g[j].abs()),
                "gradient {j}: {fd} vs {}",
                g[j]
            );
            for i in 0..beta.len() {
                let fd = -fd_hessian[i][j];
                assert!(
                    (fd - info[(i, j)]).abs() < 1e-4 * (1.0 + info[(i, j)].abs()),
                    "information ({i},{j})"
                );
            }
        }
    }
}
