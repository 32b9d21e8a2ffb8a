//! Profile log-likelihoods of the structural scalars (`home:scale`, `foreign:scale`, `rho`,
//! `delta_ratifier`, `delta_proposer`, `poll_weight`) that are free: at each value on a grid
//! the parameter is held fixed and the others are re-estimated (warm-started from the
//! estimate). Grid points are independent fits, run side by side
//! ([`super::map_independent`]) with results that do not depend on the number of threads.
//!
//! Grids: for a scalar in (0, 1), 0.005, 0.025, …, 0.975, 0.995 and the estimate; for a scale,
//! the estimate times `e^{−1.2} … e^{1.2}`. The 95% profile-likelihood interval is where the
//! profile stays above `ℓ̂ − χ²₁(0.95)/2 = ℓ̂ − 1.9207`, found by linear interpolation
//! between grid points (an end is `None` when the profile does not cross within the grid).

use crate::error::Result;
use crate::estimate::{fit, Estimates, FitOptions};
use crate::problem::likelihood::Model;
use crate::problem::params::{Role, Transform};
use crate::problem::project::Project;
use serde::{Deserialize, Serialize};

/// Grid points per profile.
pub const PROFILE_POINTS: usize = 21;

/// `χ²₁(0.95) / 2`.
pub const HALF_CHI2_95: f64 = 1.920_729_410_347_062;

/// One grid point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfilePoint {
    /// The parameter's value (natural scale).
    pub value: f64,
    /// Maximized log-likelihood with the parameter held at `value`.
    pub loglik: f64,
    /// Whether that fit converged.
    pub converged: bool,
}

/// The profile of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Parameter name.
    pub name: String,
    /// Its estimate.
    pub estimate: f64,
    /// `ℓ̂`, the maximum (the larger of the fit's and the profile's).
    pub max_loglik: f64,
    /// Grid points in increasing order of value.
    pub points: Vec<ProfilePoint>,
    /// The 95% profile-likelihood interval (`None` ends: not crossed within the grid).
    pub interval: (Option<f64>, Option<f64>),
}

/// Is this parameter one of the structural scalars that get a profile?
pub fn is_structural_scalar(role: &Role) -> bool {
    matches!(
        role,
        Role::HomeScale
            | Role::ForeignScale
            | Role::Rho
            | Role::DeltaRatifier
            | Role::DeltaProposer
            | Role::PollWeight
    )
}

fn grid(transform: Transform, estimate: f64, points: usize) -> Vec<f64> {
    let points = points.max(3);
    let mut g: Vec<f64> = match transform {
        Transform::Logit => {
            let mut g = vec![0.005];
            g.extend((0..points).map(|i| 0.025 + 0.95 * i as f64 / (points - 1) as f64));
            g.push(0.995);
            g
        }
        _ => (0..points)
            .map(|i| estimate * (-1.2 + 2.4 * i as f64 / (points - 1) as f64).exp())
            .collect(),
    };
    g.push(estimate);
    g.sort_by(f64::total_cmp);
    g.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    g
}

/// Profiles every free structural scalar with about `points` grid points each.
pub fn profiles(
    project: &Project,
    model: &Model,
    estimates: &Estimates,
    points: usize,
) -> Result<Vec<Profile>> {
    let free = model.space.free();
    let options = FitOptions {
        estimation: project.spec.spec.estimation.clone(),
        standard_errors: false,
        checkpoint: None,
    };
    let mut out = Vec::new();
    for (k, &j) in free.iter().enumerate() {
        let par = &model.space.parameters[j];
        if !is_structural_scalar(&par.role) {
            continue;
        }
        let estimate = estimates.parameters[j].estimate;
        let mut warm = estimates.internal.clone();
        warm.remove(k);
        let values = grid(par.transform, estimate, points);
        let pts: Vec<ProfilePoint> = super::map_independent(0..values.len(), |i| {
            let v = values[i];
            let mut m = model.clone();
            m.space.parameters[j].fixed = Some(v);
            match fit(
                &m,
                &project.data,
                &project.data.outcome,
                &project.data.weight,
                &options,
                Some(&warm),
            ) {
                Ok(e) => ProfilePoint {
                    value: v,
                    loglik: e.loglik,
                    converged: e.converged,
                },
                Err(_) => ProfilePoint {
                    value: v,
                    loglik: f64::NAN,
                    converged: false,
                },
            }
        });
        let max_loglik = pts
            .iter()
            .filter(|p| p.loglik.is_finite())
            .map(|p| p.loglik)
            .fold(estimates.loglik, f64::max);
        let interval = crossing_interval(&pts, estimate, max_loglik - HALF_CHI2_95);
        out.push(Profile {
            name: par.name.clone(),
            estimate,
            max_loglik,
            points: pts,
            interval,
        });
    }
    Ok(out)
}

/// Where the profile crosses `cut` on either side of the estimate (linear interpolation).
fn crossing_interval(
    points: &[ProfilePoint],
    estimate: f64,
    cut: f64,
) -> (Option<f64>, Option<f64>) {
    let usable: Vec<&ProfilePoint> = points.iter().filter(|p| p.loglik.is_finite()).collect();
    let cross = |a: &ProfilePoint, b: &ProfilePoint| {
        a.value + (cut - a.loglik) * (b.value - a.value) / (b.loglik - a.loglik)
    };
    let mut low = None;
    let mut high = None;
    for w in usable.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b.value <= estimate && a.loglik < cut && b.loglik >= cut {
            low = Some(cross(a, b));
        }
        if a.value >= estimate && a.loglik >= cut && b.loglik < cut && high.is_none() {
            high = Some(cross(a, b));
        }
    }
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_a_quadratic_profile() {
        // ℓ(v) = −(v − 0.5)² / (2 · 0.1²): the 95% interval is 0.5 ± 1.96 · 0.1.
        let pts: Vec<ProfilePoint> = (0..=1000)
            .map(|i| {
                let v = i as f64 / 1000.0;
                ProfilePoint {
                    value: v,
                    loglik: -(v - 0.5f64).powi(2) / 0.02,
                    converged: true,
                }
            })
            .collect();
        let (lo, hi) = crossing_interval(&pts, 0.5, -HALF_CHI2_95);
        assert!((lo.unwrap() - (0.5 - 0.195_996)).abs() < 1e-4);
        assert!((hi.unwrap() - (0.5 + 0.195_996)).abs() < 1e-4);
        let (lo, hi) = crossing_interval(&pts[400..600], 0.5, -HALF_CHI2_95);
        assert!(lo.is_none() && hi.is_none());
    }
}
