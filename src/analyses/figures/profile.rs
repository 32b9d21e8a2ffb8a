//! The profile log-likelihood figure of one free structural scalar: the profile
//! ([`crate::analyses::profile`]), its axis label and the 95% cutoff `ℓ̂ − χ²₁(0.95)/2` where
//! the profile-likelihood interval ends.

use super::parameter_label;
use crate::analyses::profile::{Profile, HALF_CHI2_95};
use crate::problem::labels::Labels;
use crate::problem::likelihood::Model;
use serde::{Deserialize, Serialize};

/// One profile figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileCurve {
    /// The profile.
    pub profile: Profile,
    /// The parameter's label (ρ, or its name without one), for the title.
    pub symbol: String,
    /// The parameter's axis label.
    pub label: String,
    /// The 95% cutoff `ℓ̂ − χ²₁(0.95)/2`.
    pub cutoff: f64,
}

impl ProfileCurve {
    /// The figure of `profile`, with the parameter's `labels`.
    pub fn new(labels: &Labels, model: &Model, profile: &Profile) -> ProfileCurve {
        ProfileCurve {
            symbol: labels.parameter(&profile.name).text().to_string(),
            label: parameter_label(labels, model, &profile.name),
            cutoff: profile.max_loglik - HALF_CHI2_95,
            profile: profile.clone(),
        }
    }
}
