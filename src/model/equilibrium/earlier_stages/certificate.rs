//! The certificate of an earlier stage's maximum: branch and bound over the cutoff `c_k`.
//!
//! The stage objective given the cutoff `c` of the types already gone is
//!
//! ```text
//! V(t) = π(x_k(t))·[G(t) − G(c)] + λ_{k+1}·W_{k+1}(t),   x_k(t) = t + κ_{k+1}·max(x_{k+1}(t) − t, 0)
//! ```
//!
//! on the feasible cutoffs `t ∈ [c, 1]` with `x_k(t) ≥ 0`. On a cell `[a, b]` it is bounded with
//! facts of the model (MODEL.md §3):
//!
//! 1. `x_{k+1}(t)` is nondecreasing in `t`, hence so is `x_k(t) ∈ [x_k(a), x_k(b)]`, and the cell
//!    is infeasible when `x_k(b) < 0`. For the last stage, `log π(x) + log[G(x) − G(t)]` has
//!    increasing differences in `(x, t)` (off the path, `min(1, max(t, argmax π))` is
//!    nondecreasing too). For a middle stage (the vote of `[poll, vote, renegotiation]`) with a
//!    foreign proposer, its objective `F(c₂, t) = π(x₂(c₂))·[G(c₂) − G(t)] + λ·W₃(c₂)` has
//!    `∂²F/∂c₂∂t = −π'(x₂)·x₂'(c₂)·g(t) ≥ 0` (`π` is decreasing for a foreign proposer and `x₂`
//!    nondecreasing in `c₂` by the last stage's fact), and its feasible set `[t, 1]` rises with
//!    `t`, so by Topkis' theorem its maximizer, and with it `x₂`, is nondecreasing in `t`. With
//!    a home proposer `π` rises where it matters and the argument fails: a middle stage's
//!    continuation then uses only `x_k(t) ∈ [t, t + κ·(1 − t)]` (an offer is at least its cutoff
//!    and at most 1), a bound that does not shrink with the cell, so such a stage is certified
//!    only where the rest of its feasible set is clearly worse.
//! 2. `π = u·G_F(1 − x)` is quasi-concave (`G_F` log-concave: logistic, normal, uniform), so
//!    `π(x_k(t)) ≤ P̄ = max π` over the range of `x_k`.
//! 3. `W_{k+1}` is nonincreasing (a higher cutoff leaves fewer types and fewer options), and
//!    convex in `p = G(t)` where fact 1 is proven. For the last stage,
//!    `W_K(t) = max_x max(0, π(x)·[G(x) − G(t)])` is a maximum of functions affine in `p`. For a
//!    middle stage with a foreign proposer, `W₂(t) = max_{c₂ ≥ t} f(c₂; p)` with
//!    `f(c₂; p) = π(x₂(c₂))·[G(c₂) − p] + λ₃·W₃(c₂)` affine in `p`, and dropping the constraint
//!    `c₂ ≥ t` adds nothing: for a feasible `c₂ < t`,
//!    `f(c₂; p) − λ₃·W₃(t) = −π(x₂)·[G(t) − G(c₂)] + λ₃·∫_{c₂}^{t} π(x₃(s))·g(s) ds
//!    ≤ [λ₃·π(x₃(c₂)) − π(x₂(c₂))]·[G(t) − G(c₂)] ≤ 0`, because `π(x₃(s))` falls with `s`,
//!    `x₂ ≤ x₃` and `λ₃ ≤ 1` (and `t` itself is feasible when a smaller `c₂` is, `x₂` rising).
//!
//! With `M(t) = G(t) − G(c)` and `Ŵ` an upper bound on `W_{k+1}` at the ends (its value where
//! that stage is certified, its own bound otherwise), this gives the first-order bounds
//!
//! ```text
//! V(t) ≤ max{ P̄·M(a) + λ·Ŵ(a),  P̄·M(b) + λ·Ŵ(b) }     (facts 1–3: V ≤ P̄·M + λ·chord, linear in p)
//! V(t) ≤ P̄·M(b) + λ·Ŵ(a)                              (a middle stage with a home proposer)
//! ```
//!
//! whose excess shrinks only linearly with the width of the cell: next to the optimum that
//! would take ~1/√ε cells. When the next stage is the last one, a second-order bound from the
//! range of the slope over the cell (`slope_bounds.rs`) is also taken, and the smaller of the
//! two is used; cells next to the optimum are then pruned at widths far above ε.
//!
//! The cells start from the scan's grid (its points are already solved) and the cell from `c`
//! to it; every cell whose bound is within the tolerance of the incumbent is pruned, and the
//! one with the highest bound is cut in two, up to [`MAX_SPLITS`] new solves ([`MAX_SPLITS_NESTED`]
//! when the next stage is an earlier stage itself). A point that
//! beats the incumbent beyond a tie becomes the incumbent and is polished by its first-order
//! condition; the polished point replaces it unless it is worse beyond a tie (near a maximum
//! their values differ by rounding, and the polished cutoff is the more accurate). The
//! stage's upper bound is the largest bound of a pruned or unresolved cell, and the certificate
//! compares it with the final value ([`Certificate::from_bound`]).

use super::super::certificate::Certificate;
use super::super::stage_solver::{Reply, StageSolver};
use super::scan::{Scan, GRID_ONLY};
use super::slope_bounds::Interval;
use super::Best;
use crate::model::game::Side;

/// At most this many cells are cut (each cut solves the next stage once) when the next stage is
/// the last one.
const MAX_SPLITS: usize = 400;
/// At most this many when the next stage is itself an earlier stage (each cut is then a whole
/// certified solve of it, and the first-order bound that applies there closes the gap only
/// slowly: more cuts would cost much and rarely certify).
const MAX_SPLITS_NESTED: usize = 128;

/// One end of a cell: the cutoff, the offer `x_k` it implies (unclamped: negative when
/// infeasible) and the next stage's reply there.
#[derive(Debug, Clone, Copy)]
pub(super) struct End {
    t: f64,
    implied: f64,
    /// The stage value `V(t)` (−∞ where infeasible).
    value: f64,
    next: Reply,
}

impl<'a> StageSolver<'a> {
    /// The end of a cell at cutoff `t` given `c` and the next stage's reply there.
    pub(super) fn cell_end(&self, k: usize, c: f64, t: f64, next: Reply) -> End {
        let implied = if t == f64::NEG_INFINITY {
            if self.transitions[k + 1].kappa >= 1.0 {
                next.offer
            } else {
                f64::NEG_INFINITY
            }
        } else {
            self.implied_offer(k, t, next.offer)
        };
        let value = self
            .stage_value_given(k, c, t, next)
            .map_or(f64::NEG_INFINITY, |v| v.0);
        End {
            t,
            implied,
            value,
            next,
        }
    }

    /// An upper bound of the stage-`k` objective given `c` on the cell `[a, b]` (module doc);
    /// −∞ when the cell is infeasible. The second-order bound is computed only where the
    /// first-order one does not prune the cell against `incumbent`.
    fn cell_bound(&self, k: usize, c: f64, a: &End, b: &End, incumbent: f64) -> f64 {
        let lambda = self.transitions[k + 1].lambda;
        let mass = |t: f64| {
            if t > c {
                self.home.mass_fast(c, t)
            } else {
                0.0
            }
        };
        // Upper bounds on W_{k+1} at the ends (the values themselves where certified).
        let (w_a, w_b) = (a.next.bound, b.next.bound);
        if !(w_a >= 0.0 && w_b >= 0.0) {
            return f64::INFINITY;
        }
        let next_is_last = k + 1 == self.last();
        // Fact 1 needs the true next offers at the ends, i.e. certified ones.
        let monotone = (next_is_last || self.proposer == Side::Foreign)
            && a.next.certificate.is_certified()
            && b.next.certificate.is_certified()
            && a.next.offer <= b.next.offer;
        let bound = if monotone {
            if !(b.implied >= 0.0) {
                return f64::NEG_INFINITY;
            }
            let offers = Interval::new(a.implied.clamp(0.0, 1.0), b.implied.min(1.0));
            let p_bar = self.pi_range(offers).hi;
            // W_{k+1} is convex in p = G(t) (fact 3): V ≤ P̄·M + λ·chord, linear in p.
            let first_order =
                (p_bar * mass(a.t) + lambda * w_a).max(p_bar * mass(b.t) + lambda * w_b);
            // The second-order bound costs more; it is needed only where the first-order one
            // does not already prune the cell.
            if !next_is_last || Certificate::from_bound(first_order, incumbent).is_certified() {
                first_order
            } else {
                first_order.min(self.second_order_bound(k, c, a, b))
            }
        } else {
            // Without fact 1: x_k(t) ∈ [t, t + κ·(1 − t)] (an offer is at least its cutoff and
            // at most 1), so π(x_k) is at most its maximum there, and W_{k+1} is nonincreasing.
            let kappa = self.transitions[k + 1].kappa;
            let offers = Interval::new(
                a.t.clamp(0.0, 1.0),
                (b.t + kappa * (1.0 - b.t)).clamp(0.0, 1.0),
            );
            let p_bar = self.pi_range(offers).hi;
            p_bar * mass(b.t) + lambda * w_a
        };
        // Rounding of the evaluated terms.
        bound * (1.0 + 1e-12)
    }

    /// The bound of stage `k`'s objective given `c` on the cell `[a, b]`, the ends solved here
    /// (for tests of the bound: `crate::model::first_stage_cell_bounds`).
    pub(in crate::model::equilibrium) fn bound_on(&self, k: usize, c: f64, a: f64, b: f64) -> f64 {
        let end = |t: f64| self.cell_end(k, c, t, self.best_reply(k + 1, t, None));
        self.cell_bound(k, c, &end(a), &end(b), f64::NEG_INFINITY)
    }

    /// The bound from the range of the slope over the cell (`slope_bounds.rs`), when the next
    /// stage is the last one and both ends are feasible and certified: `V(t) ≤ min{V(a) +
    /// S₊·(t − a), V(b) − S₋·(b − t)}`; +∞ where it does not apply.
    fn second_order_bound(&self, k: usize, c: f64, a: &End, b: &End) -> f64 {
        // (Feasible cutoffs are at most 1, where x_k ≤ 1 unclamped; a clamped offer would have
        // slope 0, outside the range used below, so such a cell keeps its first-order bound.)
        if !(a.t.is_finite()
            && a.implied >= 0.0
            && b.implied <= 1.0
            && a.value.is_finite()
            && b.value.is_finite())
        {
            return f64::INFINITY;
        }
        let (ya, yb) = (a.next.offer, b.next.offer);
        let on_path = b.next.value > 0.0;
        let mut marginal = self.pi_range(Interval::new(ya, yb));
        if !on_path {
            marginal = marginal.hull(Interval::new(0.0, 0.0));
        }
        let slope = self.stage_slope_range(
            k,
            c,
            Interval::new(a.t, b.t),
            Interval::new(a.implied.clamp(0.0, 1.0), b.implied.clamp(0.0, 1.0)),
            Interval::new(ya, yb),
            marginal,
            ya > b.t,
            a.next.interior && b.next.interior && on_path,
        );
        let w = b.t - a.t;
        let bound = if slope.hi <= 0.0 {
            a.value
        } else if slope.lo >= 0.0 {
            b.value
        } else {
            let reach = ((b.value - a.value - slope.lo * w) / (slope.hi - slope.lo)).clamp(0.0, w);
            a.value + slope.hi * reach
        };
        if bound.is_nan() {
            f64::INFINITY
        } else {
            bound
        }
    }

    /// Certifies the incumbent in `best` for stage `k` given `c` by branch and bound (module
    /// doc), starting from the cell `[start, scan's first point]` and the scan's cells; a better
    /// point found on the way replaces the incumbent (polished).
    pub(super) fn certify(
        &self,
        k: usize,
        c: f64,
        scan: &Scan<'_, GRID_ONLY>,
        start: End,
        best: &mut Best,
    ) -> (Certificate, f64) {
        // Open cells with their bounds; the cell with the highest bound is cut first.
        let mut open = Vec::with_capacity(32);
        let mut previous = start;
        for (i, &t) in scan.grid().iter().enumerate() {
            let Some(next) = scan.reply(i) else { continue };
            let end = self.cell_end(k, c, t, next);
            if t > previous.t {
                open.push((
                    previous,
                    end,
                    self.cell_bound(k, c, &previous, &end, best.value()),
                ));
            }
            previous = end;
        }
        // The largest bound of a pruned cell: the certified bound is at least this.
        let mut pruned = f64::NEG_INFINITY;
        let mut incumbent = best.value();
        let max_splits = if k + 1 == self.last() {
            MAX_SPLITS
        } else {
            MAX_SPLITS_NESTED
        };
        let mut leftover = f64::NEG_INFINITY;
        let mut splits = 0;
        let mut found: Option<(f64, f64, f64)> = None;
        let prune =
            |bound: f64, incumbent: f64| Certificate::from_bound(bound, incumbent).is_certified();
        loop {
            // Drop the cells that the incumbent prunes; pick the highest bound.
            let mut i = 0;
            let mut top: Option<usize> = None;
            while i < open.len() {
                if prune(open[i].2, incumbent) {
                    pruned = pruned.max(open.swap_remove(i).2);
                    continue;
                }
                if top.is_none_or(|j| open[i].2 > open[j].2) {
                    top = Some(i);
                }
                i += 1;
            }
            let Some(j) = top else { break };
            let (a, b, bound) = open[j];
            let tiny = !(b.t - a.t > 1e-13 * (1.0 + a.t.abs().max(b.t.abs())));
            if splits >= max_splits || tiny || bound == f64::INFINITY {
                // Everything still open stays unresolved.
                for cell in &open {
                    leftover = leftover.max(cell.2);
                }
                break;
            }
            splits += 1;
            // The cell below the scan starts at c, which may be −∞: it is cut at a finite point
            // (moving left geometrically), the others in the middle.
            let m = if a.t.is_finite() {
                0.5 * (a.t + b.t)
            } else {
                b.t - (1.0 + b.t.abs())
            };
            let hint = if a.t.is_finite() && a.next.offer.is_finite() && b.next.offer.is_finite() {
                let w = (m - a.t) / (b.t - a.t);
                Some(a.next.offer + w * (b.next.offer - a.next.offer))
            } else {
                Some(b.next.offer).filter(|o| o.is_finite())
            };
            let next = self.best_reply(k + 1, m, hint);
            let mid = self.cell_end(k, c, m, next);
            if let Some((value, offer, next)) = self.stage_value_given(k, c, m, next) {
                // (`found` is the cell of the incumbent: a tie does not move it.)
                if value > incumbent && best.beaten_by(value) {
                    best.consider(m, value, offer, next, false);
                    incumbent = best.value();
                    found = Some((a.t, m, b.t));
                }
            }
            open[j] = (a, mid, self.cell_bound(k, c, &a, &mid, incumbent));
            open.push((mid, b, self.cell_bound(k, c, &mid, &b, incumbent)));
        }
        if let Some((lo, m, hi)) = found {
            let hint = |_: f64| None;
            if let Some(polish) = self.refine(k, c, [lo, m, hi], hint, None::<&Scan<'_, GRID_ONLY>>)
            {
                if let Some((v, o, next)) = self.stage_value(k, c, polish.at, polish.warm) {
                    best.consider_polish(polish.at, v, o, next, polish.interior);
                }
            }
        }
        let value = best.value();
        let upper = value.max(pruned).max(leftover);
        (Certificate::from_bound(upper, value), upper)
    }
}
