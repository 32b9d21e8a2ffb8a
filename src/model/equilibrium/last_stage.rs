//! The last stage `K`, given the cutoff `c` of the types already gone:
//!
//! ```text
//! W_K(c) = max_x π(x)·[G(x) − G(c)]
//! ψ(x)   = (log π)'(x) + g(x)/[G(x) − G(c)] = 0      (first-order condition)
//! ```
//!
//! `log π` and `log[G(x) − G(c)]` are concave in `x` for the three families (all
//! log-concave), so `ψ` is nonincreasing and has one root. It is bracketed and solved by
//! safeguarded Newton steps (bisection where a step would not shrink `|ψ|` fast), warm-started
//! from a neighbouring solve, or the maximum is at a corner `x ∈ {max(0, c), 1}`. Where `ψ`
//! jumps (the ends of a uniform support, home or foreign) its one-sided values pick the smooth
//! piece that holds the root, or the jump itself.
//!
//! **Off the path** (MODEL.md §3): when no last-stage offer earns the proposer anything (no type
//! above `c` accepts any `x ≤ 1`, or `π = 0` wherever a remaining type would accept), every
//! offer is optimal, and the offer is its limit from the path,
//!
//! ```text
//! x_K(c) = min(1, max(c, argmax π))
//! ```
//!
//! which keeps `x_K(c)` continuous and nondecreasing where the mass underflows; the cutoff type's
//! indifference at the stage before uses it. The logistic one-shot game (one-sided, foreign proposer, `c = −∞`) has a closed
//! form (MODEL.md §5).

use super::certificate::Certificate;
use super::stage_solver::{Reply, StageSolver};
use crate::model::distribution::Truncation;
use crate::model::game::Side;
use crate::model::logistic_one_shot::omega;

impl<'a> StageSolver<'a> {
    /// `ψ(x) = (log π)'(x) + g(x)/[G(x) − G(c)]` and `ψ'(x)`, the last stage's first-order
    /// condition in log form (nonincreasing in `x`).
    #[inline]
    fn last_stage_foc(&self, x: f64, c: &Truncation) -> (f64, f64) {
        let (f, df, _, _) = self.last_stage_foc_terms(x, c);
        (f, df)
    }

    /// [`Self::last_stage_foc`] plus the size of its terms, `|(log π)'| + q`, against which a
    /// residual is judged, and the truncated hazard `q = g(x)/[G(x) − G(c)]`.
    #[inline]
    fn last_stage_foc_terms(&self, x: f64, c: &Truncation) -> (f64, f64, f64, f64) {
        let (d1, d2) = self.dlog_pi(x);
        if d1.is_infinite() {
            // u(x) = 0 at the proposer's end of [0, 1], or F(1 − x) = 0: the sign says which way
            // the proposer's payoff rises.
            return (d1, 0.0, f64::INFINITY, f64::NAN);
        }
        let (q, dlog_g) = self.home.hazard_and_slope(c, x);
        if q == f64::INFINITY {
            // No type accepts yet: raising the offer can only help.
            return (f64::INFINITY, 0.0, f64::INFINITY, q);
        }
        (d1 + q, d2 + q * (dlog_g - q), d1.abs() + q, q)
    }

    /// The last stage: `W_K(c) = max_x π(x)·[G(x) − G(c)]`, with `dx/dc` when `with_slope`
    /// (else 0). `hint` is a starting point for Newton's method (e.g. the solution at a nearby
    /// `c`).
    pub(super) fn last_stage(&self, c: f64, hint: Option<f64>, with_slope: bool) -> (Reply, f64) {
        let nobody = |offer: f64| {
            (
                Reply {
                    offer,
                    cutoff: c,
                    value: 0.0,
                    marginal: 0.0,
                    interior: false,
                    next_offer: f64::NAN,
                    certificate: Certificate::Certified,
                    bound: 0.0,
                },
                0.0,
            )
        };
        if c >= 1.0 || (c > f64::NEG_INFINITY && self.home.sf(c) == 0.0) {
            return nobody(self.nobody_offer(c));
        }
        let lo = c.max(0.0);
        let trunc = self.home.truncation(c);
        let hi = 1.0;
        let (x, interior, converged) = if c == f64::NEG_INFINITY && self.lambert {
            let x = self.lambert_offer();
            (x.max(0.0), x > 0.0, true)
        } else {
            // ψ is nonincreasing: the maximum is the corner `hi` if ψ(hi) ≥ 0, the corner `lo`
            // if ψ(lo) ≤ 0, else the root. (ψ(hi) = −∞ for a foreign proposer, ψ(lo) = +∞
            // when lo = c.) With a hint inside, only the end on the side of the root needs
            // checking; Newton does that after its first evaluation.
            let hi_open = self.proposer != Side::Foreign;
            let lo_open = lo > c;
            let has_kinks = self.kinks[..self.n_kinks].iter().any(|&k| k > lo && k < hi);
            if !has_kinks && hint.is_some_and(|h| h > lo && h < hi) {
                self.newton_last_stage(&trunc, lo, hi, hint, (lo_open, hi_open))
            } else if hi_open && self.last_stage_foc(hi, &trunc).0 >= 0.0 {
                (hi, false, true)
            } else if lo_open && self.last_stage_foc(lo, &trunc).0 <= 0.0 {
                (lo, false, true)
            } else if has_kinks {
                self.last_stage_between_kinks(&trunc, lo, hi, hint)
            } else {
                self.newton_last_stage(&trunc, lo, hi, hint, (false, false))
            }
        };
        let mass = self.home.mass_from(&trunc, x);
        let value = self.pi(x) * mass;
        if !(value > 0.0) {
            return nobody(x);
        }
        // ψ is nonincreasing (log-concavity), so a root of it or a corner where it has the
        // right sign is the global maximum: certified, unless Newton ran out of iterations.
        let certificate = if converged {
            Certificate::Certified
        } else {
            Certificate::Failed
        };
        // dx/dc by the implicit function theorem on ψ(x; c) = 0:
        // ∂ψ/∂c = q(x)·g(c)/[G(x) − G(c)].
        // Not at a jump of ψ (a kink of π where a uniform G_F reaches 1, or the top of a uniform
        // G): there the offer is a corner that stays put as c moves.
        let doffer = if with_slope && interior && c > f64::NEG_INFINITY {
            let (psi, dpsi_dx, _, q) = self.last_stage_foc_terms(x, &trunc);
            let smooth = psi.is_finite() && psi.abs() <= 1e-7 * self.dlog_pi(x).0.abs().max(1.0);
            let dpsi_dc = q * self.home.pdf_at(&trunc) / mass;
            if smooth && dpsi_dx < 0.0 && dpsi_dx.is_finite() && dpsi_dc.is_finite() {
                -dpsi_dc / dpsi_dx
            } else {
                0.0
            }
        } else {
            0.0
        };
        (
            Reply {
                offer: x,
                cutoff: x,
                value,
                marginal: self.pi(x),
                interior,
                next_offer: f64::NAN,
                certificate,
                bound: value,
            },
            doffer,
        )
    }

    /// The last stage's offer when no type is left above `c` (off the path; it matters only
    /// through the cutoff type's indifference at the stage before): `min(1, max(c, argmax π))`
    /// (MODEL.md §3; `argmax π ∈ [0, 1]`, so this is `max(clamp(c, 0, 1), argmax π)`). As the
    /// mass above `c` vanishes the remaining types crowd at `c` (normal tails), so the offer
    /// tends to the best package that they accept, `argmax_{x ≥ c} π(x)` (π is log-concave);
    /// the offer then stays continuous where the mass underflows.
    fn nobody_offer(&self, c: f64) -> f64 {
        c.clamp(0.0, 1.0).max(self.pi_peak())
    }

    /// `argmax π` on `[0, 1]`: 0 for a foreign proposer (`π` decreasing), 1 for a home proposer
    /// without a foreign constraint, else the root of `(log π)'` (bisection; it is decreasing).
    pub(super) fn pi_peak(&self) -> f64 {
        *self
            .pi_peak
            .get_or_init(|| match (self.proposer, self.foreign) {
                (Side::Foreign, _) => 0.0,
                (Side::Home, None) => 1.0,
                (Side::Home, Some(_)) => {
                    let (mut a, mut b) = (0.0f64, 1.0f64);
                    if self.dlog_pi(b).0 >= 0.0 {
                        return 1.0;
                    }
                    while b - a > 1e-15 {
                        let m = 0.5 * (a + b);
                        if self.dlog_pi(m).0 > 0.0 {
                            a = m;
                        } else {
                            b = m;
                        }
                    }
                    a
                }
            })
    }

    /// The logistic one-shot offer in closed form (MODEL.md §5, `logistic_one_shot.rs`):
    /// `x* = μ + s·ln ω` with `ω = W(e^k)`, `k = (1 − μ)/s − 1`.
    fn lambert_offer(&self) -> f64 {
        let (mu, s) = (self.home.location, self.home.scale);
        (mu + s * omega(mu, s).log).min(1.0)
    }

    /// The last stage's root when `ψ` jumps inside `(lo, hi)` (the ends of a uniform support,
    /// home or foreign; `ψ(lo) > 0 > ψ(hi)`): `ψ` is nonincreasing, so its one-sided values at
    /// the jumps say which smooth piece holds the root, or that the maximum sits at a jump
    /// (`ψ` changes sign there). Newton then runs on that piece only, where it converges fast.
    fn last_stage_between_kinks(
        &self,
        c: &Truncation,
        mut lo: f64,
        mut hi: f64,
        hint: Option<f64>,
    ) -> (f64, bool, bool) {
        for &kink in &self.kinks[..self.n_kinks] {
            if !(kink > lo && kink < hi) {
                continue;
            }
            let delta = 1e-12 * kink.abs().max(1e-3);
            let right = self.last_stage_foc(kink + delta, c).0;
            if right >= 0.0 {
                // The root lies beyond this jump.
                lo = kink + delta;
                continue;
            }
            let left = self.last_stage_foc(kink - delta, c).0;
            if left > 0.0 {
                return (kink, false, true);
            }
            hi = kink - delta;
            break;
        }
        let hint = hint.filter(|&h| h > lo && h < hi);
        self.newton_last_stage(c, lo, hi, hint, (false, false))
    }

    /// Safeguarded Newton on the last stage's first-order condition on `[lo, hi]`: returns the
    /// maximizer, whether it is the interior root and whether the iteration converged (it
    /// does not when it runs out of iterations; the point is then the last iterate). `ψ(lo) > 0 > ψ(hi)` is known, except at
    /// the ends flagged `unchecked = (lo, hi)`: the end on the root's side of the first
    /// iterate is then checked, and returned when it is a corner.
    fn newton_last_stage(
        &self,
        c: &Truncation,
        mut a: f64,
        mut b: f64,
        hint: Option<f64>,
        unchecked: (bool, bool),
    ) -> (f64, bool, bool) {
        let mut x = match hint {
            Some(h) if h > a && h < b => h,
            _ => 0.5 * (a + b),
        };
        // ψ bends on the length of the distribution's scale, or of the distance to the ends of
        // [a, b] (poles of ψ at c and at the proposer's end of [0, 1]): a Newton step `δ` leaves
        // an error of about `δ²` over that length.
        let (a0, b0) = (a, b);
        let bend = |x: f64| self.home.scale.min(1.0).min(x - a0).min(b0 - x);
        let mut first = true;
        // Newton steps are taken only while they shrink |ψ| fast; otherwise bisect. (Near
        // `x = c`, ψ behaves like 1/(x − c) and a Newton step can land next to the pole.)
        let mut f_previous = f64::INFINITY;
        for _ in 0..200 {
            let (f, df, size, _) = self.last_stage_foc_terms(x, c);
            if first {
                first = false;
                if f > 0.0 && unchecked.1 && self.last_stage_foc(b, c).0 >= 0.0 {
                    return (b, false, true);
                }
                if f < 0.0 && unchecked.0 && self.last_stage_foc(a, c).0 <= 0.0 {
                    return (a, false, true);
                }
            }
            if f == 0.0 {
                return (x, true, true);
            }
            // Converged: the residual is at the rounding level of its terms.
            let converged = f.is_finite() && f.abs() <= 1e-13 * size;
            if f > 0.0 {
                a = x;
            } else {
                b = x;
            }
            let newton = x - f / df;
            let trust = f.is_finite() && df < 0.0 && f.abs() <= 0.5 * f_previous;
            f_previous = f.abs();
            let (next, newton_step) = if trust && newton > a && newton < b {
                (newton, true)
            } else {
                (0.5 * (a + b), false)
            };
            if converged {
                return (if newton_step { next } else { x }, true, true);
            }
            // In the quadratic regime a step this small leaves an error of order step²/bend,
            // below 1e-14 of that length: take it and stop. (Only next to a root: near the pole
            // of (log π)' at the proposer's end of [0, 1], e.g. from a warm start there,
            // Newton's steps are tiny too while ψ is huge.)
            if newton_step && f.abs() <= 1e-6 * size && (next - x).abs() <= 1e-7 * bend(x) {
                return (next, true, true);
            }
            let tol = 2.0 * f64::EPSILON * next.abs().max(1e-300);
            if b - a <= tol {
                return (next, true, true);
            }
            if newton_step && (next - x).abs() <= tol {
                if f.abs() <= 1e-6 * size {
                    return (next, true, true);
                }
                // A step at rounding level with a large residual: x sits next to the pole
                // (ψ ≈ −1/(1 − x)), not next to a root. Bisect out of it.
                x = 0.5 * (a + b);
                continue;
            }
            x = next;
        }
        (x, true, false)
    }
}
