//! Profile log-likelihoods of the structural scalars (`home:scale`, `foreign:scale`, `rho`,
//! `delta_ratifier`, `delta_proposer`, `poll_weight`) that are free, and of every other free
//! parameter that the fit held for its conditional standard errors (`conditional_on`: the
//! information is singular along it, so its profile is the interval it gets):
//!
//! ```text
//! ℓ_p(v) = max_{θ : θ_j = v} ℓ(θ),    95% interval = {v : ℓ_p(v) ≥ ℓ̂ − χ²₁(0.95)/2}
//! ```
//!
//! (`χ²₁(0.95)/2 = 1.9207`). Each side of the estimate is traced by *continuation* on the
//! parameter's internal scale `u` (logit for scalars in (0, 1), log for scales):
//!
//! 1. The first step goes to the Wald interval's end `û ± 1.96·SE_u` (the SE conditional on
//!    the held parameters where the fit gives only that), at most 0.25 away
//!    (a weakly identified neighbour can make the Wald interval much wider than the
//!    profile's). Each later step goes to where the quadratic through the estimate (slope 0
//!    there) and the last point crosses the cut-off, overshot by a third (at least 1.5 and at
//!    most 4 times the previous distance), until a point falls below the cut-off or the edge
//!    of the search range is reached (`v ∈ [0.005, 0.995]` for scalars, `v̂·e^{±2.5}` for
//!    scales, `v̂ ± 2.5` for coefficients; an end not crossed within it is `None`).
//! 2. Every point is a fit of the other parameters warm-started from its nearest neighbour's
//!    optimum (linearly extrapolated from the two nearest) by Fisher scoring
//!    ([`crate::estimate::nearby`]: Newton steps with the expected information, two to six
//!    evaluations of the likelihood from a warm start), falling back to a full fit when that
//!    does not converge. A point whose `ℓ` is clearly below the cut-off (by more than 1 plus
//!    100 times the gain the scoring still predicts) stops there: only its side of the
//!    cut-off matters, and its value is a lower bound within about that gain.
//! 3. The interval's end is the root of `ℓ_p(u) − (ℓ̂ − 1.9207)` in the bracket, found by
//!    Brent's method (argmin's `BrentRoot`, tolerance 1e-4 on `u`, or a point within
//!    `max(1e-4, 1e-4·s)` of the cut-off in `ℓ_p`, `s` the bracket's secant slope) with the
//!    same warm starts.
//!    Where the other parameters have two local maxima (a weakly identified discount can sit
//!    at 0 or at 1), the outer end of a bracket can land on the lower one and the profile
//!    seems to jump there: when `ℓ_p` at the root is more than 0.05 from the cut-off, the
//!    outer end is refitted from the root's optimum and, if it is then above the cut-off, the
//!    search continues outward (at most three times).
//!
//! The sides and parameters are independent chains, run side by side
//! ([`super::map_independent`]); each chain is sequential, so results do not depend on the
//! number of threads. Only converged fits decide where the profile crosses the cut-off and
//! its maximum: Brent's method stops at a fit that did not converge, and the end is then
//! interpolated between the bracket's two converged points. Fits that did not converge are
//! counted (`failed_points`) and shown apart in the figure.

use crate::error::Result;
use crate::estimate::nearby::{maximize_near, LOGLIK_TOLERANCE};
use crate::estimate::{fit, Estimates, FitOptions};
use crate::model::distribution::normal_quantile;
use crate::problem::likelihood::{Likelihood, Model};
use crate::problem::params::{Role, Transform};
use crate::problem::project::Project;
use argmin::core::{CostFunction, Error as ArgminError, Executor};
use argmin::solver::brent::BrentRoot;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// Search range of a scalar in (0, 1): `[0.005, 0.995]`.
const UNIT_RANGE: (f64, f64) = (0.005, 0.995);
/// Search range of a scale on the log scale: `v̂·e^{±2.5}`.
const LOG_SCALE_RANGE: f64 = 2.5;
/// Warm starts of logit-scale parameters are kept within `±SATURATED`.
const SATURATED: f64 = 5.0;
/// The first continuation step at most this far from the estimate (internal scale).
const FIRST_STEP: f64 = 0.25;
/// At most this many continuation steps per side before the crossing is bracketed.
const MAX_STEPS: usize = 12;
/// A crossing where the profile is farther than this from the cut-off is a jump between two
/// local maxima of the other parameters.
const JUMP_TOLERANCE: f64 = 0.05;
/// At most this many refits of a bracket's outer end from the branch inside it.
const MAX_REPAIRS: usize = 3;
/// Brent's tolerance on the internal scale.
const ROOT_TOLERANCE: f64 = 1e-4;
/// Fisher-scoring iterations of a profile point before it falls back to a full fit.
const NEARBY_ITERATIONS: u64 = 100;

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
    /// The evaluated points (the estimate among them) in increasing order of value.
    pub points: Vec<ProfilePoint>,
    /// The 95% profile-likelihood interval (`None` ends: not crossed within the search range).
    pub interval: (Option<f64>, Option<f64>),
    /// Profile fits that did not converge: left out of the interval and the maximum (those
    /// with a finite log-likelihood are kept in `points` with `converged = false`).
    #[serde(default)]
    pub failed_points: usize,
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

/// One evaluated point of a chain: internal value, profile log-likelihood, convergence, the
/// optimum of the other free parameters (internal scale).
#[derive(Debug, Clone)]
struct Evaluated {
    u: f64,
    loglik: f64,
    converged: bool,
    others: Vec<f64>,
}

/// The profile of parameter `j` on one side of its estimate.
struct Chain<'a> {
    project: &'a Project,
    model: Model,
    options: &'a FitOptions,
    j: usize,
    transform: Transform,
    /// The cut-off `ℓ̂ − χ²₁(0.95)/2`: a point clearly below it stops early (its value is then
    /// a lower bound within about the scoring's predicted gain; only its side of the cut-off
    /// matters).
    cut: f64,
    /// The evaluated points, in the order they were computed.
    points: Mutex<Vec<Evaluated>>,
}

impl Chain<'_> {
    /// A warm start moved out of the saturated ends of the logit scale: at `|u| > 5` the
    /// gradient of a discount or probability vanishes (`dv/du = v(1 − v)`), so a fit started
    /// there stays there even when the maximum is inside (e.g. a discount at 0 at the estimate
    /// and interior once another parameter is held elsewhere). From `|u| = 5` it can still
    /// run back to the edge when that is where the maximum is.
    fn unsaturated(&self, others: Vec<f64>) -> Vec<f64> {
        self.map_logit_others(&others, |x| x.clamp(-SATURATED, SATURATED))
    }

    /// `others` (the free parameters but the profiled one) with `f` applied to the
    /// logit-scale ones.
    fn map_logit_others(&self, others: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
        let free = self.model.space.free();
        let nuisance = free.iter().filter(|&&i| i != self.j);
        others
            .iter()
            .zip(nuisance)
            .map(|(&x, &i)| match self.model.space.parameters[i].transform {
                Transform::Logit => f(x),
                _ => x,
            })
            .collect()
    }

    /// `ℓ_p` at internal value `u`: Fisher scoring from a warm start ([`maximize_near`]);
    /// when that does not converge, a full fit from the warm start.
    fn evaluate(&self, u: f64, warm: Vec<f64>) -> Evaluated {
        let warm = self.unsaturated(warm);
        let mut model = self.model.clone();
        model.space.parameters[self.j].fixed = Some(self.transform.to_natural(u));
        let data = &self.project.data;
        let problem = Likelihood::new(&model, &data.outcome, &data.weight);
        let near = maximize_near(&problem, &warm, NEARBY_ITERATIONS, Some(self.cut));
        let point = if near.converged {
            Evaluated {
                u,
                loglik: near.loglik,
                converged: true,
                others: near.internal,
            }
        } else {
            match fit(
                &model,
                data,
                &data.outcome,
                &data.weight,
                self.options,
                Some(&near.internal),
            ) {
                Ok(e) if e.loglik.is_finite() => Evaluated {
                    u,
                    loglik: e.loglik,
                    converged: e.status.is_maximum(),
                    others: e.internal,
                },
                _ => Evaluated {
                    u,
                    loglik: f64::NAN,
                    converged: false,
                    others: warm,
                },
            }
        };
        let mut points = self.points.lock().expect("not poisoned");
        match points.iter_mut().find(|p| p.u == u) {
            Some(known) if known.converged && known.loglik >= point.loglik => return known.clone(),
            Some(known) => *known = point.clone(),
            None => points.push(point.clone()),
        }
        point
    }

    /// A warm start at `u`: the nearest converged point's optimum, extrapolated linearly from
    /// the two nearest converged points when there are two.
    fn warm_start(&self, u: f64) -> Vec<f64> {
        let points = self.points.lock().expect("not poisoned");
        let mut near: Vec<&Evaluated> = points.iter().filter(|p| p.converged).collect();
        if near.is_empty() {
            near = points.iter().collect();
        }
        near.sort_by(|a, b| (a.u - u).abs().total_cmp(&(b.u - u).abs()));
        match near.as_slice() {
            [a, b, ..] if (a.u - b.u).abs() > 1e-12 => {
                let t = (u - a.u) / (a.u - b.u);
                let others = a
                    .others
                    .iter()
                    .zip(&b.others)
                    .map(|(x, y)| x + t * (x - y))
                    .collect();
                others
            }
            [a, ..] => a.others.clone(),
            [] => unreachable!("a chain starts from the estimate"),
        }
    }

    /// The point at `u` if it was evaluated (Brent asks again for its bracket ends).
    fn known(&self, u: f64) -> Option<Evaluated> {
        self.points
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|p| p.u == u)
            .cloned()
    }

    /// The profile log-likelihood at `u` from the neighbour's warm start (the steps of
    /// Brent's method, which stay between two points of one branch).
    fn near(&self, u: f64) -> Evaluated {
        self.known(u).unwrap_or_else(|| {
            let warm = self.warm_start(u);
            self.evaluate(u, warm)
        })
    }

    /// The profile log-likelihood at `u` (a continuation step): the fit from the neighbour's
    /// warm start and, when some other parameter sits at a saturated end at the estimate (a
    /// weakly identified discount run off to 0 or 1: two branches of local maxima), the best
    /// of that and the fits from the estimate's optimum and from its [`Chain::interior`]
    /// version.
    fn at(&self, u: f64) -> Evaluated {
        self.known(u).unwrap_or_else(|| {
            let warm = self.warm_start(u);
            let estimate = self.points.lock().expect("not poisoned")[0].clone();
            let interior = self.interior(&estimate.others);
            let mut best = self.evaluate(u, warm.clone());
            if interior != estimate.others {
                for start in [estimate.others, interior] {
                    if start != warm {
                        best = self.evaluate(u, start);
                    }
                }
            }
            best
        })
    }

    /// The estimate's optimum of the other parameters with every logit-scale parameter that
    /// sits at a saturated end (`|u| > 5`: a discount or probability run off to 0 or 1) moved
    /// to the middle (`u = 0`): the start of the interior branch, which can be the higher one
    /// once the profiled parameter moves away from its estimate.
    fn interior(&self, others: &[f64]) -> Vec<f64> {
        self.map_logit_others(others, |x| if x.abs() > SATURATED { 0.0 } else { x })
    }
}

/// `ℓ_p(u) − cut` for Brent's method (the chain's cut-off), 0 within `tolerance` of the cut-off: the larger of
/// [`LOGLIK_TOLERANCE`] (closer than that, the profile points' own accuracy decides) and
/// [`ROOT_TOLERANCE`] times the bracket's secant slope (the root is then within about
/// `ROOT_TOLERANCE` of the point on the internal scale, Brent's own tolerance).
struct CutOffGap<'a, 'b> {
    chain: &'b Chain<'a>,
    tolerance: f64,
}

impl CostFunction for CutOffGap<'_, '_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, u: &f64) -> std::result::Result<f64, ArgminError> {
        let p = self.chain.near(*u);
        if p.converged && p.loglik.is_finite() {
            // Within `tolerance` of the cut-off is a root (see `CutOffGap`).
            let gap = p.loglik - self.chain.cut;
            Ok(if gap.abs() <= self.tolerance {
                0.0
            } else {
                gap
            })
        } else {
            Err(ArgminError::msg("the profile fit did not converge"))
        }
    }
}

/// Traces one side (`direction` ±1) of the profile of parameter `j` from the estimate and
/// returns its evaluated points and the interval's end on that side (internal scale).
#[allow(clippy::too_many_arguments)]
fn trace_side(
    project: &Project,
    model: &Model,
    options: &FitOptions,
    estimates: &Estimates,
    j: usize,
    k: usize,
    direction: f64,
    cut: f64,
) -> (Vec<Evaluated>, Option<f64>) {
    let transform = model.space.parameters[j].transform;
    let u_hat = estimates.internal[k];
    let edge = match transform {
        Transform::Logit => transform.to_internal(if direction > 0.0 {
            UNIT_RANGE.1
        } else {
            UNIT_RANGE.0
        }),
        _ => u_hat + direction * LOG_SCALE_RANGE,
    };
    let mut others = estimates.internal.clone();
    others.remove(k);
    let covariance = estimates.covariance.as_deref();
    let chain = Chain {
        project,
        model: model.clone(),
        options,
        j,
        transform,
        cut,
        points: Mutex::new(vec![Evaluated {
            u: u_hat,
            loglik: estimates.loglik,
            converged: estimates.status.is_maximum(),
            others,
        }]),
    };
    let room = (edge - u_hat) * direction;
    if room <= 0.0 {
        return (Vec::new(), None);
    }
    // The first step goes to the Wald interval's end (1 when there is no SE), at most
    // `FIRST_STEP` away (a weakly identified neighbour can make the Wald interval far wider
    // than the profile's); later steps to
    // where a quadratic through the estimate (slope 0 there) and the last point crosses the
    // cut-off, overshot by a third so that the crossing is bracketed.
    // The standard error on the internal scale: the full covariance's, else the one
    // conditional on the parameters held for it (`conditional_on`).
    let internal_se = covariance
        .map(|c| c[k][k])
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(f64::sqrt)
        .or_else(|| {
            let se = estimates.parameters[j].std_error?;
            Some(se / transform.derivative(u_hat).abs())
        })
        .filter(|se| se.is_finite() && *se > 0.0);
    let wald = internal_se.map_or(1.0, |se| normal_quantile(0.975) * se);
    // An estimate beyond the search range (a scalar run off to 0 or 1) starts at its edge.
    let outside = match transform {
        Transform::Logit => {
            let (lo, hi) = (
                transform.to_internal(UNIT_RANGE.0),
                transform.to_internal(UNIT_RANGE.1),
            );
            (u_hat - u_hat.clamp(lo, hi)).abs()
        }
        _ => 0.0,
    };
    let mut distance = wald.min(room).min(FIRST_STEP).max(outside);
    let mut above = u_hat;
    let mut end = None;
    let mut repairs = 0;
    for _ in 0..MAX_STEPS {
        let u = if distance >= room {
            edge
        } else {
            u_hat + direction * distance
        };
        let mut p = chain.at(u);
        if p.converged && p.loglik < cut {
            let (lo, hi) = if direction > 0.0 {
                (above, u)
            } else {
                (u, above)
            };
            let secant_slope = chain
                .known(above)
                .map_or(0.0, |a| (a.loglik - p.loglik) / (u - above).abs());
            let gap = CutOffGap {
                chain: &chain,
                tolerance: LOGLIK_TOLERANCE.max(ROOT_TOLERANCE * secant_slope),
            };
            let root = Executor::new(gap, BrentRoot::new(lo, hi, ROOT_TOLERANCE))
                .configure(|state| state.max_iters(60))
                .run()
                .ok()
                .and_then(|r| r.state.best_param);
            let Some(root) = root else {
                // A fit inside the bracket did not converge: the end is interpolated
                // between the bracket's two converged points.
                end = chain
                    .known(above)
                    .map(|a| above + (cut - a.loglik) * (u - above) / (p.loglik - a.loglik));
                break;
            };
            let at_root = chain.at(root);
            if (at_root.loglik - cut).abs() <= JUMP_TOLERANCE || repairs == MAX_REPAIRS {
                end = Some(root);
                break;
            }
            // The profile jumps at the root: the fit at `u` found a lower local maximum than
            // the branch that continues from inside. Refit `u` from the root's optimum.
            repairs += 1;
            p = chain.evaluate(u, at_root.others.clone());
            if p.loglik < cut {
                end = Some(root);
                break;
            }
        }
        if p.converged {
            above = u;
        }
        if u == edge {
            break;
        }
        let drop = estimates.loglik - p.loglik;
        let predicted = if p.converged && drop > 1e-9 {
            distance * (HALF_CHI2_95 / drop).sqrt() * 4.0 / 3.0
        } else {
            3.0 * distance
        };
        distance = predicted.clamp(1.5 * distance, 4.0 * distance);
    }
    let mut points = chain.points.into_inner().expect("not poisoned");
    points.remove(0);
    (points, end)
}

/// Whether parameter `j` gets a profile: a free structural scalar, or a free parameter held
/// for the conditional standard errors of `estimates`.
fn is_profiled(model: &Model, estimates: &Estimates, j: usize) -> bool {
    let p = &model.space.parameters[j];
    p.fixed.is_none()
        && (is_structural_scalar(&p.role) || estimates.conditional_on.contains(&p.name))
}

/// The profiles' independent chains (two sides per profiled parameter): the length of a
/// progress bar that [`profiles`] ticks once per chain.
pub fn chains(model: &Model, estimates: &Estimates) -> usize {
    2 * model
        .space
        .free()
        .iter()
        .filter(|&&j| is_profiled(model, estimates, j))
        .count()
}

/// Profiles every free structural scalar; `progress` is called as each chain finishes.
pub fn profiles(
    project: &Project,
    model: &Model,
    estimates: &Estimates,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Profile>> {
    let free = model.space.free();
    let options = FitOptions {
        estimation: project.spec.spec.estimation.clone(),
        standard_errors: false,
        checkpoint: None,
    };
    let profiled: Vec<(usize, usize)> = free
        .iter()
        .enumerate()
        .filter(|(_, &j)| is_profiled(model, estimates, j))
        .map(|(k, &j)| (k, j))
        .collect();
    let cut = estimates.loglik - HALF_CHI2_95;
    let sides = super::map_independent(0..2 * profiled.len(), |i| {
        let (k, j) = profiled[i / 2];
        let direction = if i % 2 == 0 { -1.0 } else { 1.0 };
        let side = trace_side(project, model, &options, estimates, j, k, direction, cut);
        progress();
        side
    });
    let mut out = Vec::new();
    for (i, &(_, j)) in profiled.iter().enumerate() {
        let par = &model.space.parameters[j];
        let natural = |u: f64| par.transform.to_natural(u);
        let (low_points, low) = &sides[2 * i];
        let (high_points, high) = &sides[2 * i + 1];
        let failed_points = low_points
            .iter()
            .chain(high_points)
            .filter(|p| !p.converged)
            .count();
        let mut points: Vec<ProfilePoint> = low_points
            .iter()
            .chain(high_points)
            .filter(|p| p.loglik.is_finite())
            .map(|p| ProfilePoint {
                value: natural(p.u),
                loglik: p.loglik,
                converged: p.converged,
            })
            .collect();
        let estimate = estimates.parameters[j].estimate;
        points.push(ProfilePoint {
            value: estimate,
            loglik: estimates.loglik,
            converged: estimates.status.is_maximum(),
        });
        points.sort_by(|a, b| a.value.total_cmp(&b.value));
        points.dedup_by(|a, b| a.value == b.value);
        let max_loglik = points
            .iter()
            .filter(|p| p.converged && p.loglik.is_finite())
            .map(|p| p.loglik)
            .fold(estimates.loglik, f64::max);
        // A profile point above the fit's maximum moves the cut-off: the ends found against
        // the old cut-off are then replaced by interpolation between the points.
        let interval = if max_loglik > estimates.loglik + 1e-6 {
            crossing_interval(&points, estimate, max_loglik - HALF_CHI2_95)
        } else {
            (low.map(natural), high.map(natural))
        };
        out.push(Profile {
            name: par.name.clone(),
            estimate,
            max_loglik,
            points,
            interval,
            failed_points,
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
    let usable: Vec<&ProfilePoint> = points
        .iter()
        .filter(|p| p.converged && p.loglik.is_finite())
        .collect();
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
