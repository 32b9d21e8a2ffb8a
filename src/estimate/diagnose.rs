//! Degenerate data are diagnosed, not fitted blindly. Checks run before the optimizer starts:
//!
//! | problem | verdict |
//! | --- | --- |
//! | every episode has the same outcome | error: the likelihood has no maximum |
//! | a covariate that is constant (collinear with `const`), or covariates that are exact linear combinations of each other | error naming them |
//! | a covariate that perfectly separates ratified from other outcomes | warning: its coefficient's estimate runs to infinity |
//! | a free scalar that no row's protocol uses (`rho` without renegotiable rows, `poll_weight` without polls, `foreign:*` without foreign constraints) | error: the data carry no information about it |
//! | `home:scale` free in one-shot, one-sided, foreign-proposer data | error: only `(1 − μ)/s` is identified (MODEL.md §6) |
//! | `poll_weight` free when every row has a poll (one-sided, foreign proposer, no renegotiation) | error: `w_poll` mixes with the location |
//!
//! After the fit, [`boundary_warnings`] flags estimates at the edge of their domain.

use crate::error::{Error, Result};
use crate::estimate::Estimates;
use crate::problem::data::{Dataset, Outcome};
use crate::problem::likelihood::Model;
use crate::problem::params::{Role, Transform};
use crate::problem::spec::{ProposerSpec, SpecFile};
use nalgebra::DMatrix;

/// Checks a spec and its data before fitting. Returns warnings; fatal problems are errors.
pub fn before_fit(file: &SpecFile, data: &Dataset, model: &Model) -> Result<Vec<String>> {
    let spec = &file.spec;
    let mut warnings = Vec::new();
    let stop = |m: String| Error::Estimation(format!("{}: {m}", file.path.display()));

    // All outcomes the same.
    let first = data.outcome[0];
    if data.outcome.iter().all(|&y| y == first) {
        return Err(stop(format!(
            "all {} episodes are `{}`: the likelihood has no maximum (the threshold location runs off to infinity); fit data with more than one outcome",
            data.len(),
            first.label()
        )));
    }

    // Collinear location covariates.
    for (table, columns) in [
        ("home", Some(&spec.home.location)),
        ("foreign", spec.foreign.as_ref().map(|f| &f.location)),
        ("proposer", spec.proposer.as_ref().map(|p| &p.index)),
    ] {
        let Some(columns) = columns else { continue };
        let value = |c: &str, i: usize| {
            if c == "const" {
                1.0
            } else {
                data.covariates[c][i]
            }
        };
        for c in columns.iter().filter(|c| c.as_str() != "const") {
            let v = &data.covariates[c];
            if v.iter().all(|&x| x == v[0]) && columns.iter().any(|c| c == "const") {
                return Err(stop(format!(
                    "covariate `{c}` of `[{table}]` is constant ({}) in every row, so it is collinear with `const`; drop it from the spec",
                    v[0]
                )));
            }
        }
        let n = data.len();
        let k = columns.len();
        if k > 1 {
            let x = DMatrix::from_fn(n, k, |i, j| value(&columns[j], i));
            let svd = x.svd(false, false);
            let max = svd.singular_values.max();
            let rank = svd
                .singular_values
                .iter()
                .filter(|&&s| s > 1e-10 * max)
                .count();
            if rank < k {
                return Err(stop(format!(
                    "the covariates of `[{table}]` ({}) are linearly dependent (rank {rank} of {k}): one of them is a combination of the others; drop one",
                    columns.join(", ")
                )));
            }
        }
    }

    // Separation: a single home covariate that splits ratified from not ratified.
    for c in spec.home.location.iter().filter(|c| c.as_str() != "const") {
        if let Some(message) = separation(&data.covariates[c], &data.outcome) {
            warnings.push(format!(
                "`home:{c}` {message}: its coefficient (and the intercept) can run off to infinity (separation); the table will show huge estimates or missing SEs — pool categories, drop the covariate, or fix a coefficient"
            ));
        }
    }

    // Free scalars that no row informs.
    let free = |role: &Role| {
        model
            .space
            .parameters
            .iter()
            .any(|p| &p.role == role && p.fixed.is_none())
    };
    let any_renegotiation = data.renegotiation.iter().any(|&b| b);
    let any_poll = data.poll.iter().any(|&b| b);
    let any_foreign = data.foreign_constraint.iter().any(|&b| b);
    for (role, name, ok, why) in [
        (
            Role::Rho,
            "rho",
            any_renegotiation,
            "no row has a renegotiation stage",
        ),
        (
            Role::DeltaRatifier,
            "delta_ratifier",
            any_renegotiation,
            "no row has a renegotiation stage",
        ),
        (
            Role::DeltaProposer,
            "delta_proposer",
            any_renegotiation,
            "no row has a renegotiation stage",
        ),
        (
            Role::PollWeight,
            "poll_weight",
            any_poll,
            "no row has a poll",
        ),
    ] {
        if free(&role) && !ok {
            return Err(stop(format!(
                "`{name}` is free but {why}, so the data carry no information about it; fix it in `[parameters]` (e.g. {name} = 0.5)"
            )));
        }
    }
    if !any_foreign {
        if let Some(p) = model
            .space
            .parameters
            .iter()
            .find(|p| p.name.starts_with("foreign:") && p.fixed.is_none())
        {
            return Err(stop(format!(
                "`{}` is free but no row has a foreign constraint, so the data carry no information about it; set `[protocol] foreign_constraint` or remove `[foreign]`",
                p.name
            )));
        }
    }
    let scale_free = free(&Role::HomeScale);
    if scale_free
        && !any_renegotiation
        && !any_poll
        && !any_foreign
        && spec.protocol.proposer == ProposerSpec::Foreign
    {
        return Err(stop(
            "`home:scale` is free, but in one-shot, one-sided games with a foreign proposer only (1 − μ)/s is identified (MODEL.md §6); fix the scale (e.g. scale = 0.1), as a probit fixes its variance".into(),
        ));
    }
    let all_poll = data.poll.iter().all(|&b| b);
    if free(&Role::PollWeight)
        && all_poll
        && !any_renegotiation
        && !any_foreign
        && spec.protocol.proposer == ProposerSpec::Foreign
    {
        return Err(stop(
            "`poll_weight` is free but every row has a poll (and none a renegotiation stage or a foreign constraint): with polls only, P(ratified) mixes w_poll with the location, so the data cannot tell them apart; add episodes without a poll or fix it in `[parameters]` (e.g. poll_weight = 0.5)".into(),
        ));
    }
    Ok(warnings)
}

/// Whether ratified and non-ratified episodes are perfectly split by a threshold on `x`.
fn separation(x: &[f64], outcome: &[Outcome]) -> Option<String> {
    let mut pairs: Vec<(f64, bool)> = x
        .iter()
        .zip(outcome)
        .map(|(&v, &y)| (v, y == Outcome::Ratified))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ratified = pairs.iter().filter(|p| p.1).count();
    if ratified == 0 || ratified == pairs.len() {
        return None;
    }
    // Per distinct value: are its rows all ratified, all not, or mixed?
    let mut groups: Vec<(f64, usize, usize)> = Vec::new();
    for (v, r) in pairs {
        match groups.last_mut() {
            Some(g) if g.0 == v => {
                g.1 += r as usize;
                g.2 += 1;
            }
            _ => groups.push((v, r as usize, 1)),
        }
    }
    if groups.len() < 2 {
        return None;
    }
    // Quasi-complete separation at an end: the lowest or highest value's rows all share one
    // outcome class while the others do not.
    let describe = |g: &(f64, usize, usize)| {
        if g.1 == g.2 {
            Some("ratified")
        } else if g.1 == 0 {
            Some("not ratified")
        } else {
            None
        }
    };
    let (lo, hi) = (&groups[0], &groups[groups.len() - 1]);
    for (g, end) in [(lo, "lowest"), (hi, "highest")] {
        if let Some(kind) = describe(g) {
            if groups.len() == 2 || g.2 >= 5 {
                return Some(format!(
                    "= {} (its {end} value) in {} rows, all {kind}",
                    g.0, g.2
                ));
            }
        }
    }
    // (Quasi-)complete separation on a covariate with many values: a cut-off splits ratified
    // from the other episodes (ties allowed at the cut-off).
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for (&v, &y) in x.iter().zip(outcome) {
        let k = usize::from(y == Outcome::Ratified);
        lo[k] = lo[k].min(v);
        hi[k] = hi[k].max(v);
    }
    if hi[0] <= lo[1] {
        return Some(format!(
            "perfectly predicts ratification (every episode with a value ≥ {} is ratified, every one with a value ≤ {} is not)",
            lo[1], hi[0]
        ));
    }
    if hi[1] <= lo[0] {
        return Some(format!(
            "perfectly predicts ratification (every episode with a value ≤ {} is ratified, every one with a value ≥ {} is not)",
            hi[1], lo[0]
        ));
    }
    None
}

/// A discount or probability this close to 0 or 1 is at the edge of its domain.
pub const EDGE: f64 = 0.01;
/// A scale's Wald interval spans its domain when its ends are this many times apart.
pub const SCALE_SPAN: f64 = 100.0;

/// Warnings for free estimates at the edge of their domain, where the Wald interval says
/// little and the profile interval should be read instead:
///
/// * a discount or probability (logit scale) within [`EDGE`] of 0 or 1, or whose Wald interval
///   spans `[EDGE, 1 − EDGE]`;
/// * a scale (log scale) beyond `e^{±15}`, or whose Wald interval's ends are more than
///   [`SCALE_SPAN`] times apart.
pub fn boundary_warnings(estimates: &Estimates) -> Vec<String> {
    estimates
        .parameters
        .iter()
        .filter(|p| !p.fixed && p.transform != Transform::Identity)
        .filter_map(|p| {
            let wald = p.std_error.map(|se| p.wald_interval(se));
            let why = match p.transform {
                Transform::Logit if p.estimate <= EDGE || p.estimate >= 1.0 - EDGE => {
                    format!("is within {EDGE} of the edge of its domain (0, 1)")
                }
                Transform::Logit if wald.is_some_and(|(lo, hi)| lo <= EDGE && hi >= 1.0 - EDGE) => {
                    let (lo, hi) = wald.expect("checked");
                    format!("has a Wald interval [{lo:.3e}, {hi:.4}] that spans its domain (0, 1)")
                }
                Transform::Log if p.estimate.ln().abs() > 15.0 || p.estimate.ln().is_nan() => {
                    "is at the edge of its domain (0, ∞)".to_string()
                }
                Transform::Log if wald.is_some_and(|(lo, hi)| hi >= SCALE_SPAN * lo) => {
                    let (lo, hi) = wald.expect("checked");
                    format!("has a Wald interval [{lo:.3e}, {hi:.3e}] whose ends are more than {SCALE_SPAN} times apart")
                }
                _ => return None,
            };
            Some(format!(
                "`{}` = {:.6} {why}: its standard error and Wald interval are unreliable there; read its profile-likelihood interval (`profiles.json` and its profile figure) or the bootstrap, or fix it in `[parameters]`",
                p.name, p.estimate
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::{Diagnostics, FitStatus, ParameterEstimate};
    use crate::problem::spec::Optimizer;

    fn estimates(parameters: Vec<ParameterEstimate>) -> Estimates {
        Estimates {
            loglik: -28.2,
            n_obs: 143,
            total_weight: 143.0,
            n_free: parameters.iter().filter(|p| !p.fixed).count(),
            converged: true,
            status: FitStatus::Converged,
            parameters,
            diagnostics: Diagnostics {
                certification: None,
                optimizer: Optimizer::Lbfgs,
                iterations: 10,
                gradient_norm: 1e-8,
                termination: "Solver converged".into(),
                information_eigenvalues: vec![1.0],
                condition_number: 1.0,
                starts: Vec::new(),
            },
            warnings: Vec::new(),
            clusters: None,
            covariance: None,
            conditional_on: Vec::new(),
            internal: Vec::new(),
        }
    }

    fn scalar(name: &str, estimate: f64, se: f64, transform: Transform) -> ParameterEstimate {
        ParameterEstimate {
            name: name.into(),
            estimate,
            std_error: Some(se),
            robust_std_error: None,
            cluster_std_error: None,
            fixed: false,
            transform,
        }
    }

    #[test]
    fn an_estimate_at_the_edge_of_its_domain_is_a_warning_naming_it() {
        // The EU default of issue 10: ρ = 0.9964 with a Wald interval of [2e-19, 1.0000].
        let rho = scalar("rho", 0.9964, 0.0892, Transform::Logit);
        let (lo, hi) = rho.wald_interval(0.0892);
        assert!(lo < 1e-10 && hi > 0.9999, "[{lo}, {hi}]");
        let w = boundary_warnings(&estimates(vec![rho]));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("`rho`") && w[0].contains("profile-likelihood interval"));
        // Inside the domain, with a Wald interval that does not span it: no warning.
        let fine = scalar("rho", 0.7, 0.05, Transform::Logit);
        assert!(boundary_warnings(&estimates(vec![fine])).is_empty());
        // Within 0.01 of 0 with a small SE: a warning.
        let edge = scalar("delta_ratifier", 0.005, 0.001, Transform::Logit);
        assert_eq!(boundary_warnings(&estimates(vec![edge])).len(), 1);
        // A Wald interval spanning the domain although the estimate is inside.
        let wide = scalar("poll_weight", 0.5, 0.7, Transform::Logit);
        let w = boundary_warnings(&estimates(vec![wide]));
        assert!(w.len() == 1 && w[0].contains("spans its domain"), "{w:?}");
        // A scale whose Wald interval's ends are more than 100 times apart.
        let scale = scalar("home:scale", 0.1, 0.5, Transform::Log);
        assert_eq!(boundary_warnings(&estimates(vec![scale])).len(), 1);
        let tight = scalar("home:scale", 0.1, 0.01, Transform::Log);
        assert!(boundary_warnings(&estimates(vec![tight])).is_empty());
        // Coefficients are unbounded: never a boundary warning.
        let coefficient = scalar("home:const", 40.0, 100.0, Transform::Identity);
        assert!(boundary_warnings(&estimates(vec![coefficient])).is_empty());
    }
}
