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
//! computed in logs so that neither tail underflows (`e^{−|t|}` is `min(ω, 1/ω)` in the
//! interior: no further exponential). The derivatives of `t` follow from `ln ω + ω = k`
//! (`d ln ω/dk = 1/(1 + ω) = P(failed)`):
//!
//! ```text
//! interior: dt/dμ = −P(failed)/s,   dt/d log s = −P(failed)·(1 − μ)/s
//! corner:   dt/dμ = −1/s,           dt/d log s = μ/s
//! ```
//!
//! The equilibrium solver's last stage takes its offer from [`omega`]; the likelihood takes
//! the probabilities and their derivatives from [`LogisticOneShot`].

use crate::model::lambert::{lambert_w_of_exp, LambertWOfExp};

/// `ω = W(e^k)` with `k = (1 − μ)/s − 1`, and `ln ω`: the interior offer is `μ + s·ln ω`.
#[inline]
pub fn omega(location: f64, scale: f64) -> LambertWOfExp {
    lambert_w_of_exp((1.0 - location) / scale - 1.0)
}

/// The outcome probabilities of a logistic one-shot game (foreign proposer, one-sided), in
/// logs, with the derivatives of the standardized offer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticOneShot {
    /// The offer is interior (`x* > 0`), not the corner `x = 0`.
    pub interior: bool,
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
    /// The closed form at location `μ` and scale `s > 0` (module doc).
    #[inline]
    pub fn new(location: f64, scale: f64) -> LogisticOneShot {
        let omega = omega(location, scale);
        // x* = μ + s·ln ω > 0 (false for NaN: the corner, as in the solver).
        let interior = location + scale * omega.log > 0.0;
        let (t, exp_neg_abs_t) = if interior {
            let w = omega.value;
            (omega.log, if omega.log > 0.0 { 1.0 / w } else { w })
        } else {
            let t = -location / scale;
            (t, (-t.abs()).exp())
        };
        let log1p_e = exp_neg_abs_t.ln_1p();
        let (large, small) = {
            let r = 1.0 / (1.0 + exp_neg_abs_t);
            (r, exp_neg_abs_t * r)
        };
        let (p_ratified, p_failed) = if t > 0.0 {
            (large, small)
        } else {
            (small, large)
        };
        let (dt_dlocation, dt_dlog_scale) = if interior {
            (-p_failed / scale, -p_failed * (1.0 - location) / scale)
        } else {
            (-1.0 / scale, location / scale)
        };
        LogisticOneShot {
            interior,
            standardized_offer: t,
            p_ratified,
            p_failed,
            log_p_ratified: t.min(0.0) - log1p_e,
            log_p_failed: -t.max(0.0) - log1p_e,
            dt_dlocation,
            dt_dlog_scale,
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
            assert_eq!(closed.interior, x > 0.0);
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
