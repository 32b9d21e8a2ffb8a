//! The logistic one-shot game in closed form (MODEL.md §5): one vote, a one-sided constraint,
//! a foreign proposer, `G(t) = 1/(1 + e^{−(t − μ)/s})`. The proposer maximizes
//! `(1 − x)·G(x)`; its first-order condition `(1 − x)·g(x) = G(x)` gives
//!
//! ```text
//! x* = μ + s·ln ω,   ω = W(e^k),   k = (1 − μ)/s − 1          (Lambert W, `lambert.rs`)
//! P(ratified) = G(x*) = ω/(1 + ω),   P(failed) = 1/(1 + ω)
//! ```
//!
//! unless `x* ≤ 0`: the proposer cannot offer less than nothing, so then `x = 0` (the corner)
//! and `P(ratified) = G(0)`. Both cases are one formula in the *standardized offer*
//! `t = (x − μ)/s`, which is `ln ω` in the interior and `−μ/s` at the corner:
//!
//! ```text
//! log P(ratified) = −softplus(−t) = min(t, 0) − ln(1 + e^{−|t|})
//! log P(failed)   = −softplus(t)  = −max(t, 0) − ln(1 + e^{−|t|})
//! d log P(ratified)/dt = P(failed),   d log P(failed)/dt = −P(ratified)
//! ```
//!
//! computed in logs so that neither tail underflows, with `ln(1 + e^{−|t|}) = ln u +
//! (e^{−|t|} − (u − 1))/u` for `u = 1 + e^{−|t|}` rounded (the rounding of `u` corrected; `1/u`
//! is the larger probability). The code is straight-line (the case selected, `exp` and `ln`
//! from `elementary.rs`), so that the likelihood's loop over designs vectorizes: one exponential
//! and one logarithm besides `W`. The derivatives of `t` follow from `ln ω + ω = k`
//! (`d ln ω/dk = 1/(1 + ω) = P(failed)`):
//!
//! ```text
//! interior: dt/dμ = −P(failed)/s,   dt/d log s = −P(failed)·(1 − μ)/s
//! corner:   dt/dμ = −1/s,           dt/d log s = μ/s
//! ```
//!
//! The equilibrium solver's last stage takes its offer from [`omega`]; the likelihood takes
//! the probabilities and their derivatives from [`logistic_one_shot_columns`] (a chunk of
//! designs, stage by stage over columns) or [`LogisticOneShot`] (one design: the same code
//! on columns of length one).

use crate::model::elementary::{exp, ln};
use crate::model::lambert::{lambert_w_of_exp, lambert_w_of_exp_columns, LambertWOfExp};

/// Locations per block of [`logistic_one_shot_columns`]: its scratch columns live on the stack.
const BLOCK: usize = 64;

/// `k = (1 − μ)/s − 1`, the argument of the Lambert W.
#[inline(always)]
fn lambert_argument(location: f64, scale: f64) -> f64 {
    (1.0 - location) / scale - 1.0
}

/// `ω = W(e^k)` with `k = (1 − μ)/s − 1`, and `ln ω`: the interior offer is `μ + s·ln ω`.
pub fn omega(location: f64, scale: f64) -> LambertWOfExp {
    lambert_w_of_exp(lambert_argument(location, scale))
}

/// The outcome probabilities of a logistic one-shot game (foreign proposer, one-sided), in
/// logs, with the derivatives of the standardized offer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticOneShot {
    /// `t = (x − μ)/s`.
    pub standardized_offer: f64,
    /// `P(ratified) = G(x)`.
    pub p_ratified: f64,
    /// `P(failed) = 1 − G(x)`.
    pub p_failed: f64,
    /// `log P(ratified)`.
    pub log_p_ratified: f64,
    /// `log P(failed)`.
    pub log_p_failed: f64,
    /// `dt/dμ`.
    pub dt_dlocation: f64,
    /// `dt/d log s`.
    pub dt_dlog_scale: f64,
}

impl LogisticOneShot {
    /// The closed form at location `μ` and scale `s > 0` (module doc):
    /// [`logistic_one_shot_columns`] for one location.
    pub fn new(location: f64, scale: f64) -> LogisticOneShot {
        let mut columns = [[0.0]; 7];
        logistic_one_shot_columns(
            &[location],
            scale,
            LogisticOneShotColumns::from_columns(columns.each_mut().map(|c| &mut c[..])),
        );
        let [t, p_ratified, p_failed, log_p_ratified, log_p_failed, dt_dlocation, dt_dlog_scale] =
            columns.map(|[value]| value);
        LogisticOneShot {
            standardized_offer: t,
            p_ratified,
            p_failed,
            log_p_ratified,
            log_p_failed,
            dt_dlocation,
            dt_dlog_scale,
        }
    }
}

/// The fields of [`LogisticOneShot`] as columns, one entry per location.
#[allow(missing_docs)]
pub struct LogisticOneShotColumns<'a> {
    pub standardized_offer: &'a mut [f64],
    pub p_ratified: &'a mut [f64],
    pub p_failed: &'a mut [f64],
    pub log_p_ratified: &'a mut [f64],
    pub log_p_failed: &'a mut [f64],
    pub dt_dlocation: &'a mut [f64],
    pub dt_dlog_scale: &'a mut [f64],
}

impl<'a> LogisticOneShotColumns<'a> {
    /// The seven columns in the order of the fields.
    #[inline]
    pub fn from_columns(columns: [&'a mut [f64]; 7]) -> LogisticOneShotColumns<'a> {
        let [standardized_offer, p_ratified, p_failed, log_p_ratified, log_p_failed, dt_dlocation, dt_dlog_scale] =
            columns;
        LogisticOneShotColumns {
            standardized_offer,
            p_ratified,
            p_failed,
            log_p_ratified,
            log_p_failed,
            dt_dlocation,
            dt_dlog_scale,
        }
    }
}

/// The closed form (module doc) at each location of `location` and scale `s > 0`, into `out`
/// (columns as long as `location`). Block by block and stage by stage: each stage is a loop of
/// independent straight-line iterations, which the compiler vectorizes and the processor
/// overlaps.
///
/// # Panics
///
/// If a column of `out` is shorter than `location`.
#[inline(always)]
pub fn logistic_one_shot_columns(location: &[f64], scale: f64, out: LogisticOneShotColumns) {
    let inverse_scale = 1.0 / scale;
    let n = location.len();
    let LogisticOneShotColumns {
        standardized_offer,
        p_ratified,
        p_failed,
        log_p_ratified,
        log_p_failed,
        dt_dlocation,
        dt_dlog_scale,
    } = out;
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let location = &location[start..end];
        let len = location.len();
        let [mut k, mut log, mut scratch] = [[0.0; BLOCK]; 3];
        let (k, log, exp_neg_abs_t) = (&mut k[..len], &mut log[..len], &mut scratch[..len]);
        for (k, &mu) in k.iter_mut().zip(location) {
            *k = lambert_argument(mu, scale);
        }
        // ω (into the scratch column), then ln ω.
        lambert_w_of_exp_columns(k, log, exp_neg_abs_t);
        // t: ln ω when x* = μ + s·ln ω > 0 (false for NaN: the corner, as in the solver), else
        // −μ/s; and e^{−|t|}.
        let t = &mut standardized_offer[start..end];
        for (((t, e), &log), &mu) in t
            .iter_mut()
            .zip(&mut *exp_neg_abs_t)
            .zip(&*log)
            .zip(location)
        {
            let interior = mu + scale * log > 0.0;
            *t = if interior { log } else { -mu * inverse_scale };
            *e = exp(-t.abs());
        }
        // ln(1 + e^{−|t|}) = ln u + (e^{−|t|} − (u − 1))/u, u = 1 + e^{−|t|} rounded (the
        // rounding of u corrected); 1/u is also the larger probability.
        let outputs = p_ratified[start..end]
            .iter_mut()
            .zip(&mut p_failed[start..end])
            .zip(&mut log_p_ratified[start..end])
            .zip(&mut log_p_failed[start..end])
            .zip(&mut dt_dlocation[start..end])
            .zip(&mut dt_dlog_scale[start..end]);
        for (
            (((((p_r, p_f), log_p_r), log_p_f), d_location), d_log_scale),
            ((&t, &e), (&log, &mu)),
        ) in outputs.zip(t.iter().zip(&*exp_neg_abs_t).zip(log.iter().zip(location)))
        {
            let u = 1.0 + e;
            let large = 1.0 / u;
            let small = e * large;
            let log1p_e = ln(u) + (e - (u - 1.0)) * large;
            (*p_r, *p_f) = if t > 0.0 {
                (large, small)
            } else {
                (small, large)
            };
            *log_p_r = t.min(0.0) - log1p_e;
            *log_p_f = -t.max(0.0) - log1p_e;
            // Interior (t = ln ω): dt/dμ = −P(failed)/s, dt/d log s = −P(failed)·(1 − μ)/s;
            // corner: −1/s and μ/s.
            let interior = mu + scale * log > 0.0;
            let interior_factor = -*p_f * inverse_scale;
            *d_location = if interior {
                interior_factor
            } else {
                -inverse_scale
            };
            *d_log_scale = if interior {
                interior_factor * (1.0 - mu)
            } else {
                mu * inverse_scale
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::distribution::{Family, Threshold};

    #[test]
    fn matches_the_logistic_distribution_at_the_offer() {
        for (mu, s) in [
            (0.3, 0.1),
            (0.35, 0.12),
            (-0.2, 0.5),
            (0.9, 0.01),
            (1.5, 0.2),
            (-100.0, 1.0),
            (0.5, 10.0),
            (2.0, 1e-3),
        ] {
            let closed = LogisticOneShot::new(mu, s);
            let g = Threshold::new(Family::Logistic, mu, s);
            let x = (mu + s * omega(mu, s).log).max(0.0);
            assert_eq!(closed.standardized_offer == omega(mu, s).log, x > 0.0);
            for (got, want) in [
                (closed.p_ratified, g.cdf(x)),
                (closed.p_failed, g.sf(x)),
                (closed.log_p_ratified.exp(), g.cdf(x)),
                (closed.log_p_failed.exp(), g.sf(x)),
            ] {
                assert!(
                    (got - want).abs() <= 1e-13 * want,
                    "μ = {mu}, s = {s}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn derivatives_match_central_differences() {
        for (mu, s) in [
            (0.3, 0.1),
            (0.35, 0.12),
            (-0.2, 0.5),
            (1.5, 0.2),
            (-3.0, 1.0),
        ] {
            let closed = LogisticOneShot::new(mu, s);
            let h = 1e-6;
            let dmu = (LogisticOneShot::new(mu + h, s).standardized_offer
                - LogisticOneShot::new(mu - h, s).standardized_offer)
                / (2.0 * h);
            let dlog_s = (LogisticOneShot::new(mu, s * h.exp()).standardized_offer
                - LogisticOneShot::new(mu, s * (-h).exp()).standardized_offer)
                / (2.0 * h);
            assert!((dmu - closed.dt_dlocation).abs() < 1e-6 * dmu.abs().max(1.0));
            assert!((dlog_s - closed.dt_dlog_scale).abs() < 1e-6 * dlog_s.abs().max(1.0));
        }
    }

    #[test]
    fn finite_in_the_far_tails() {
        for mu in [-1e6, -50.0, 0.0, 0.999_999, 1.0, 50.0, 1e6] {
            for s in [1e-300, 1e-8, 1e-4, 1.0, 1e3, 1e300] {
                let c = LogisticOneShot::new(mu, s);
                for v in [c.p_ratified, c.p_failed, c.log_p_ratified, c.log_p_failed] {
                    assert!(v.is_finite(), "μ = {mu}, s = {s}: {c:?}");
                }
                assert!(c.log_p_ratified <= 0.0 && c.log_p_failed <= 0.0, "{c:?}");
                if s >= 1e-8 {
                    assert!(c.dt_dlocation.is_finite() && c.dt_dlog_scale.is_finite());
                }
            }
        }
    }
}
