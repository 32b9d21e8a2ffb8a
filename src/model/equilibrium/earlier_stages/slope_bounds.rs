//! Bounds on the slope of an earlier stage's objective over a cell of cutoffs, for the branch
//! and bound of `certificate.rs` when the next stage is the last one. With `y = x_K(t)` the last
//! stage's offer and `x_k = t + κ·max(y − t, 0)`, the slope is (envelope theorem,
//! `W_K'(t) = −π(y)·g(t)` on the path)
//!
//! ```text
//! V'(t) = π'(x_k)·x_k'(t)·[G(t) − G(c)] + [π(x_k) − λ·π(y)]·g(t),
//! x_k'(t) = (1 − κ) + κ·y'(t)   (y > t),     y'(t) = ψ_c / (−ψ_x)   (implicit function theorem)
//! ψ_c = q·g(t)/[G(y) − G(t)],   −ψ_x = −(log π)''(y) − q·(log g)'(y) + q²,   q = g(y)/[G(y) − G(t)]
//! ```
//!
//! Every factor is evaluated as an interval over the cell from the monotone pieces of the model:
//! `y ∈ [y(a), y(b)]` and `x_k ∈ [x_k(a), x_k(b)]` (fact 1 of `certificate.rs`); `G` increasing;
//! `g` unimodal (its maximum at the clamped location, its minimum at an end: logistic, normal
//! and uniform alike); `(log g)'` and the reverse hazard `f/F` decreasing (log-concavity);
//! `π` quasi-concave, `π' = u'·G_F(1 − x) − u·f_F(1 − x)` from monotone factors. Where the last
//! stage's offer is not an interior root of `ψ` all along the cell (a corner, a jump of `ψ`
//! between the ends, nobody left), `y'` is only known to be `≥ 0` and the range is widened to
//! include it.
//!
//! A slope range `[S₋, S₊]` on `[a, b]` gives the second-order bound
//! `V(t) ≤ min{V(a) + S₊·(t − a), V(b) − S₋·(b − t)}`, whose excess over the values shrinks with
//! the square of the cell's width: cells next to the optimum are pruned without being cut
//! down to the tolerance (a first-order bound alone needs ~1/√ε cells there).

use super::super::stage_solver::StageSolver;
use crate::model::distribution::Threshold;
use crate::model::game::Side;

/// A closed interval `[lo, hi]` (possibly unbounded).
#[derive(Debug, Clone, Copy)]
pub(super) struct Interval {
    pub(super) lo: f64,
    pub(super) hi: f64,
}

impl Interval {
    pub(super) fn new(a: f64, b: f64) -> Interval {
        Interval {
            lo: a.min(b),
            hi: a.max(b),
        }
    }

    fn point(x: f64) -> Interval {
        Interval { lo: x, hi: x }
    }

    const EVERYTHING: Interval = Interval {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
    };

    pub(super) fn hull(self, other: Interval) -> Interval {
        Interval {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }

    fn add(self, other: Interval) -> Interval {
        Interval::checked(self.lo + other.lo, self.hi + other.hi)
    }

    fn sub(self, other: Interval) -> Interval {
        Interval::checked(self.lo - other.hi, self.hi - other.lo)
    }

    fn mul(self, other: Interval) -> Interval {
        let p = [
            self.lo * other.lo,
            self.lo * other.hi,
            self.hi * other.lo,
            self.hi * other.hi,
        ];
        if p.iter().any(|v| v.is_nan()) {
            return Interval::EVERYTHING;
        }
        Interval {
            lo: p.iter().copied().fold(f64::INFINITY, f64::min),
            hi: p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// `self / other` for a strictly positive `other` (else everything).
    fn div_positive(self, other: Interval) -> Interval {
        if !(other.lo > 0.0) {
            return Interval::EVERYTHING;
        }
        self.mul(Interval::new(1.0 / other.lo, 1.0 / other.hi))
    }

    fn checked(lo: f64, hi: f64) -> Interval {
        if lo.is_nan() || hi.is_nan() {
            Interval::EVERYTHING
        } else {
            Interval { lo, hi }
        }
    }
}

/// The range of the density over `[lo, hi]`: the three families are unimodal (uniform: flat
/// on its support), so the maximum is at the location clamped into the interval and the
/// minimum at an end.
fn pdf_range(d: &Threshold, lo: f64, hi: f64) -> Interval {
    Interval::new(d.pdf(lo).min(d.pdf(hi)), d.pdf(d.location.clamp(lo, hi)))
}

/// The range of `(log g)'` over `[lo, hi]` (nonincreasing: log-concavity).
fn dlog_pdf_range(d: &Threshold, lo: f64, hi: f64) -> Interval {
    Interval::new(d.dlog_pdf(hi), d.dlog_pdf(lo))
}

impl<'a> StageSolver<'a> {
    /// The range of `π` over `[lo, hi]` (quasi-concave: maximum at `argmax π` clamped in).
    pub(super) fn pi_range(&self, x: Interval) -> Interval {
        Interval::new(
            self.pi(x.lo).min(self.pi(x.hi)),
            self.pi(self.pi_peak().clamp(x.lo, x.hi)),
        )
    }

    /// The range of `π'` over `x`: `u'·G_F(1 − x) − u·f_F(1 − x)` from monotone factors.
    fn dpi_range(&self, x: Interval) -> Interval {
        let du = match self.proposer {
            Side::Foreign => -1.0,
            Side::Home => 1.0,
        };
        let Some(f) = self.foreign else {
            return Interval::point(du);
        };
        let u = match self.proposer {
            Side::Foreign => Interval::new(1.0 - x.hi, 1.0 - x.lo),
            Side::Home => x,
        };
        let (z_lo, z_hi) = (1.0 - x.hi, 1.0 - x.lo);
        let cdf = Interval::new(f.cdf(z_lo), f.cdf(z_hi));
        let pdf = pdf_range(f, z_lo, z_hi);
        Interval::point(du).mul(cdf).sub(u.mul(pdf))
    }

    /// The range of `(log π)''` over `y`.
    fn d2log_pi_range(&self, y: Interval) -> Interval {
        let u_part = match self.proposer {
            Side::Foreign => Interval::new(
                -1.0 / ((1.0 - y.lo) * (1.0 - y.lo)),
                -1.0 / ((1.0 - y.hi) * (1.0 - y.hi)),
            ),
            Side::Home => Interval::new(-1.0 / (y.lo * y.lo), -1.0 / (y.hi * y.hi)),
        };
        let Some(f) = self.foreign else {
            return u_part;
        };
        // (log F)''(z) = r·((log f)'(z) − r), r = f/F, at z = 1 − y.
        let (z_lo, z_hi) = (1.0 - y.hi, 1.0 - y.lo);
        let r = |z: f64| f.truncated_hazard(f64::NEG_INFINITY, z);
        let r = Interval::new(r(z_hi), r(z_lo));
        let dlog_f = dlog_pdf_range(f, z_lo, z_hi);
        u_part.add(r.mul(dlog_f.sub(r)))
    }

    /// The range of the last stage's offer's slope `y'(t)` over the box `t ∈ t_range`,
    /// `y ∈ y_range`, when the offer is an interior root all along (`interior`); else it
    /// includes 0.
    fn last_offer_slope_range(&self, t: Interval, y: Interval, interior: bool) -> Interval {
        let home = self.home;
        let kinks_between = self.kinks[..self.n_kinks]
            .iter()
            .any(|&k| k >= y.lo && k <= y.hi);
        // G(y) − G(t) over the box.
        let mass = Interval::new(home.mass_fast(t.hi, y.lo), home.mass_fast(t.lo, y.hi));
        let slope = if mass.lo > 0.0 {
            let q = pdf_range(home, y.lo, y.hi).div_positive(mass);
            let psi_c = q.mul(pdf_range(home, t.lo, t.hi)).div_positive(mass);
            let minus_psi_x = Interval::point(0.0)
                .sub(self.d2log_pi_range(y))
                .sub(q.mul(dlog_pdf_range(home, y.lo, y.hi)))
                .add(q.mul(q));
            psi_c.div_positive(minus_psi_x)
        } else {
            Interval::EVERYTHING
        };
        if interior && !kinks_between {
            slope
        } else {
            slope.hull(Interval::point(0.0))
        }
    }

    /// The range of the stage-`k` objective's slope over `[a, b]` (module doc), when stage
    /// `k + 1` is the last one: `x` the range of `x_k`, `y` of the last offer, `marginal` of
    /// `π(y)` where somebody accepts it (0 where nobody does), `y_above` whether `y > t` all
    /// along, `interior` whether the last offer is an interior root all along.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn stage_slope_range(
        &self,
        k: usize,
        c: f64,
        t: Interval,
        x: Interval,
        y: Interval,
        marginal: Interval,
        y_above: bool,
        interior: bool,
    ) -> Interval {
        let transition = self.transitions[k + 1];
        let (kappa, lambda) = (transition.kappa, transition.lambda);
        let mass = |s: f64| {
            if s > c {
                self.home.mass_fast(c, s)
            } else {
                0.0
            }
        };
        let m = Interval::new(mass(t.lo), mass(t.hi));
        let dy = self.last_offer_slope_range(t, y, interior);
        let mut dx = Interval::point(1.0 - kappa).add(Interval::point(kappa).mul(dy));
        if !y_above {
            dx = dx.hull(Interval::point(1.0));
        }
        let first = self.dpi_range(x).mul(dx).mul(m);
        let second = self
            .pi_range(x)
            .sub(Interval::point(lambda).mul(marginal))
            .mul(pdf_range(self.home, t.lo, t.hi));
        first.add(second)
    }
}
