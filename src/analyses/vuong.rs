//! The Vuong (1989) test of two non-nested models fitted to the same observations.
//!
//! With per-observation log-likelihood contributions `ℓ₁ᵢ, ℓ₂ᵢ`, `mᵢ = ℓ₁ᵢ − ℓ₂ᵢ`, weights `wᵢ`
//! and `n = Σwᵢ`:
//!
//! ```text
//! LR = Σ wᵢ mᵢ,   ω² = Σ wᵢ (mᵢ − LR/n)² / n,   z = LR / (√n · ω)
//! ```
//!
//! `z` is asymptotically standard normal when the models are equally close to the truth; a
//! large positive `z` favours model 1. The Schwarz-corrected statistic subtracts
//! `(k₁ − k₂) ln(n) / 2` from `LR` (a BIC penalty for the extra parameters); `k₂` counts the
//! reduced form's *identified* coefficients only (a coefficient that runs off under
//! quasi-separation adds nothing that the data pin down), and the result says which counts
//! were used.
//!
//! **Models that cannot be told apart.** When the models fit every observation alike (both
//! saturated, e.g. one parameter per design), `ω` is zero up to rounding and `z = 0/0` is
//! rounding noise of either sign. Vuong's (1989) test then first asks whether `ω² = 0`; as
//! `nonnest2`'s variance test does, the result says so instead of a z: with
//! `ω ≤ 10⁻⁶` ([`INDISTINGUISHABLE`]: the pointwise log-likelihoods differ by less than a
//! millionth per observation) the models are reported as indistinguishable, with no z.

use crate::analyses::reduced_form::ReducedForm;
use crate::error::Result;
use crate::estimate::Estimates;
use crate::problem::data::Outcome;
use crate::problem::likelihood::{Model, PROBABILITY_FLOOR};
use crate::problem::project::Project;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// At or below this standard deviation of the pointwise log-likelihood differences, the two
/// models fit every observation alike and cannot be told apart.
pub const INDISTINGUISHABLE: f64 = 1e-6;

/// The result of a Vuong test of model 1 against model 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vuong {
    /// Effective number of observations (`Σw`).
    pub n: f64,
    /// `LR = Σ wᵢ (ℓ₁ᵢ − ℓ₂ᵢ)`.
    pub log_likelihood_ratio: f64,
    /// `ω`, the (weighted) standard deviation of the pointwise differences.
    #[serde(default)]
    pub omega: f64,
    /// `ω > 10⁻⁶`: the models fit some observations differently, and `z` is defined.
    #[serde(default = "yes")]
    pub distinguishable: bool,
    /// `z` (not a number when the models are indistinguishable).
    pub statistic: f64,
    /// Two-sided p-value of `z`.
    pub p_value: f64,
    /// `z` with the Schwarz (BIC) correction.
    pub corrected_statistic: f64,
    /// Two-sided p-value of the corrected statistic.
    pub corrected_p_value: f64,
    /// `k₁`, the free parameters of model 1 counted in the correction.
    #[serde(default)]
    pub k1: usize,
    /// `k₂`, the identified parameters of model 2 counted in the correction.
    #[serde(default)]
    pub k2: usize,
}

fn yes() -> bool {
    true
}

impl Vuong {
    /// Which model the (uncorrected) test favours at the 5% level: 1, 2, or `None`.
    pub fn favours(&self) -> Option<u8> {
        if !self.distinguishable || self.p_value.is_nan() || self.p_value >= 0.05 {
            None
        } else if self.statistic > 0.0 {
            Some(1)
        } else {
            Some(2)
        }
    }

    /// The verdict in words, with model 1 called `first` and model 2 `second`.
    pub fn verdict(&self, first: &str, second: &str) -> String {
        if !self.distinguishable {
            return format!(
                "the {first} and the {second} cannot be told apart: they fit every episode alike (SD of the pointwise log-likelihood differences ω = {:.1e} ≤ {INDISTINGUISHABLE:.0e}), so no z is reported",
                self.omega
            );
        }
        match self.favours() {
            Some(1) => format!("favours the {first}"),
            Some(_) => format!("favours the {second}"),
            None => "neither model is significantly closer to the data".into(),
        }
    }
}

fn two_sided(z: f64) -> f64 {
    if !z.is_finite() {
        return if z.is_nan() { f64::NAN } else { 0.0 };
    }
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    2.0 * normal.cdf(-z.abs())
}

/// Tests model 1 (`k1` free parameters, contributions `l1`) against model 2 (`k2` identified
/// parameters).
pub fn vuong(l1: &[f64], l2: &[f64], weights: &[f64], k1: usize, k2: usize) -> Vuong {
    let n: f64 = weights.iter().sum();
    let lr: f64 = l1
        .iter()
        .zip(l2)
        .zip(weights)
        .map(|((a, b), w)| w * (a - b))
        .sum();
    let mean = lr / n;
    let omega2: f64 = l1
        .iter()
        .zip(l2)
        .zip(weights)
        .map(|((a, b), w)| w * (a - b - mean).powi(2))
        .sum::<f64>()
        / n;
    let omega = omega2.sqrt();
    let distinguishable = omega > INDISTINGUISHABLE;
    let denominator = n.sqrt() * omega;
    let (statistic, corrected) = if distinguishable {
        (
            lr / denominator,
            (lr - (k1 as f64 - k2 as f64) * n.ln() / 2.0) / denominator,
        )
    } else {
        (f64::NAN, f64::NAN)
    };
    Vuong {
        n,
        log_likelihood_ratio: lr,
        omega,
        distinguishable,
        statistic,
        p_value: two_sided(statistic),
        corrected_statistic: corrected,
        corrected_p_value: two_sided(corrected),
        k1,
        k2,
    }
}

/// The structural model's per-row `log P_i(y_i)` at natural-scale parameters `theta`.
pub fn structural_row_logliks(model: &Model, theta: &[f64], outcomes: &[Outcome]) -> Vec<f64> {
    let p = model.design_probabilities(theta);
    model
        .row_design
        .iter()
        .zip(outcomes)
        .map(|(&g, y)| p[g][y.index()].max(PROBABILITY_FLOOR).ln())
        .collect()
}

/// The Vuong test of the fitted structural model (model 1) against the reduced-form logit
/// (model 2) on the project's data.
pub fn structural_vs_reduced(
    project: &Project,
    model: &Model,
    estimates: &Estimates,
    reduced: &ReducedForm,
) -> Result<Vuong> {
    let l1 = structural_row_logliks(model, &estimates.values(), &project.data.outcome);
    let l2 = reduced.row_logliks(project)?;
    Ok(vuong(
        &l1,
        &l2,
        &project.data.weight,
        estimates.n_free,
        reduced.n_identified,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_values() {
        // m = (1, −1, 2, 0): LR = 2, mean 0.5, ω² = (0.25 + 2.25 + 2.25 + 0.25)/4 = 1.25.
        let l1 = [1.0, -1.0, 2.0, 0.0];
        let l2 = [0.0; 4];
        let v = vuong(&l1, &l2, &[1.0; 4], 3, 1);
        let z = 2.0 / (2.0 * 1.25f64.sqrt());
        assert!((v.statistic - z).abs() < 1e-12);
        assert!((v.p_value - 0.371_093).abs() < 1e-5, "{}", v.p_value);
        assert!((v.corrected_statistic - (2.0 - 4f64.ln()) / (2.0 * 1.25f64.sqrt())).abs() < 1e-12);
        assert_eq!(v.favours(), None);
        // Weights act as replication.
        let w = vuong(&[1.0, -1.0, 2.0], &[0.0; 3], &[1.0, 1.0, 2.0], 1, 1);
        let r = vuong(&[1.0, -1.0, 2.0, 2.0], &[0.0; 4], &[1.0; 4], 1, 1);
        assert!((w.statistic - r.statistic).abs() < 1e-12);
    }
}
