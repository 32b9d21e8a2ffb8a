//! Refinement of the local maxima of an earlier stage's scan by its first-order condition in
//! the cutoff `c_k` (envelope theorem, `W'_{k+1}(c) = −m_{k+1}·g(c)` with `m` the marginal of
//! the next stage's reply):
//!
//! ```text
//! F(c_k) = π'(x_k)·x_k'(c_k)·[G(c_k) − G(c)] + [π(x_k) − λ_{k+1}·m_{k+1}]·g(c_k) = 0,
//! x_k'(c_k) = (1 − κ_{k+1}) + κ_{k+1}·x_{k+1}'(c_k)   if x_{k+1}(c_k) > c_k, else 1
//! ```
//!
//! Each scan cell next to a peak is cut where the continuation changes regime (the last stage's
//! offer reaching a kink of its problem; for a middle stage, the last stage's offer at its
//! optimum reaching one, its optimum reaching the kink of its own offer, or its acceptance
//! starting: [`StageSolver::regime`]), and every smooth piece is refined: the root of `F` where
//! it changes sign, else a golden-section search; the feasibility corner `x_k = 0` is a
//! candidate too. A root found inside a bracket where `F` falls from positive to negative
//! need not be the only one (two maxima around a minimum), and which one the search reaches
//! depends on where it starts: both sides of it are tested as the scan's cells are (below) and
//! searched where they hide a maximum. Where the scan knows `F` at its points (a middle stage; the first stage of
//! three at its solved points, from the middle stage's offer slope by the implicit function
//! theorem), a cell whose cubic Hermite interpolant through the values and slopes at its ends
//! has a maximum inside is refined too, though neither end is a peak of the scan: two local
//! maxima close together (e.g. where the last stage's offer bends against a steep foreign
//! constraint) can leave both ends of the cell below a neighbour while the higher maximum lies
//! between them, and where the next stage's optimum jumps from one of its maxima to another
//! the objective jumps down from a maximum with no root of `F` (its values then rise far less
//! than its slopes say; where the refinement finds no root, the jump of the next offer is
//! located by bisection and both its sides are candidates). A cell where the continuation's
//! regime changes is searched too when the tangents at its ends reach above the incumbent: in
//! a middle stage cut at the change (a maximum can hide behind a dip at a kink of the last
//! stage's offer), in the first stage of three the same way as a hidden maximum (a jump of the
//! middle stage there can leave a spike that the values and the interpolant do not show). Where the feasibility corner is considered, the cell from it to the
//! first feasible scan point is searched in both ways too, the corner (with its value and
//! slopes) being the cell's left end. The same first-order condition tracks an interior
//! optimum locally when the primitives move a little (no scan:
//! [`StageSolver::earlier_stage_near`]).

use super::super::certificate::Certificate;
use super::super::stage_solver::{Reply, StageSolver};
use super::hermite::{has_interior_maximum, hermite, hermite_extrema};
use super::scan::Scan;
use super::Best;
use crate::model::game::Side;
use crate::model::numeric::{golden_max, warm_root};

/// The stage slope `F = π'(x_k)·x_k'(c_k)·[G(c_k) − G(c)] + [π(x_k) − λ_{k+1}·m_{k+1}]·g(c_k)`
/// from its terms ([`StageSolver::stage_slope_terms`]) and the mass `G(c_k) − G(c)`.
#[inline]
pub(super) fn slope_from_terms((dpi_dh, pi_g, continuation_g): (f64, f64, f64), mass: f64) -> f64 {
    let first = if mass > 0.0 { dpi_dh * mass } else { 0.0 };
    first + pi_g - continuation_g
}

/// How many local maxima of the scan are refined.
const REFINE_CANDIDATES: usize = 3;
/// The peaks of `scan` that are refined: its best [`REFINE_CANDIDATES`].
pub(super) fn refined_peaks<'s, const N: usize>(scan: &'s Scan<'_, N>) -> &'s [usize] {
    &scan.peaks()[..scan.peaks().len().min(REFINE_CANDIDATES)]
}

/// At most this many smooth pieces of a scan cell are refined (regimes of the continuation).
const MAX_PIECES: usize = 16;

/// A solved end of a cell of the scan (a scan point, or the feasibility corner): the cutoff,
/// the stage's value and slope there, and the next stage's reply with the slope of its offer.
#[derive(Clone, Copy)]
pub(super) struct CellEnd {
    at: f64,
    value: f64,
    slope: f64,
    next: Reply,
    next_slope: f64,
}

impl CellEnd {
    /// Scan point `i`, where its value and slope (and so the next offer's slope) are known.
    fn of_scan<const N: usize>(scan: &Scan<'_, N>, i: usize) -> Option<Self> {
        let at = scan.grid()[i];
        let (value, _, _) = scan.point(i)?;
        let slope = scan.slope(i)?;
        let (next, next_slope) = scan.next_with_slope(at)?;
        Some(CellEnd {
            at,
            value,
            slope,
            next,
            next_slope,
        })
    }

    /// The cutoff, value and slope, for the cubic Hermite interpolant (`hermite.rs`).
    fn hermite_point(&self) -> (f64, f64, f64) {
        (self.at, self.value, self.slope)
    }
}

/// Whether the tangents at the ends of a cell (cutoff, value and slope at each) reach above the
/// incumbent: `max(v(a) + max(s(a), 0)·h, v(b) − min(s(b), 0)·h) > incumbent`, `h = b − a`
/// (see [`StageSolver::refine_regime_changes`]).
fn tangents_reach_above(
    (a, va, sa): (f64, f64, f64),
    (b, vb, sb): (f64, f64, f64),
    best: &Best,
) -> bool {
    let h = b - a;
    best.beaten_by((va + sa.max(0.0) * h).max(vb - sb.min(0.0) * h))
}

/// A maximum of the cubic Hermite interpolant inside a cell: where, its value, and the bracket
/// to refine (the cell, or the side of the interpolant's minimum where the maximum lies).
#[derive(Clone, Copy)]
struct HiddenPeak {
    top: f64,
    value: f64,
    bracket: (f64, f64),
}

/// The maximum that the cubic Hermite interpolant through the ends of a cell (cutoff, value
/// and slope at each) has inside it, if any (see [`StageSolver::refine_hidden_peaks`]).
fn hidden_peak(left: (f64, f64, f64), right: (f64, f64, f64)) -> Option<HiddenPeak> {
    if !has_interior_maximum(left, right) {
        return None;
    }
    let (Some(top), bottom) = hermite_extrema(left, right) else {
        return None;
    };
    let bracket = match bottom {
        Some(bottom) if bottom > top => (left.0, bottom),
        Some(bottom) => (bottom, right.0),
        None => (left.0, right.0),
    };
    Some(HiddenPeak {
        top,
        value: hermite(left, right, top),
        bracket,
    })
}

/// A refined point of an earlier stage's objective ([`StageSolver::refine`]).
#[derive(Clone, Copy)]
pub(super) struct Refined {
    /// The refined cutoff.
    pub(super) at: f64,
    /// It is a root of the stage's slope (an interior optimum).
    pub(super) interior: bool,
    /// A warm start for the next stage at `at`.
    pub(super) warm: Option<f64>,
    /// Where it is a root, the bracket its search started from: the ends with the slopes there
    /// (positive at the left end, negative at the right).
    pub(super) root_bracket: Option<[(f64, f64); 2]>,
}

/// How many times the sides of a root are searched in turn
/// ([`StageSolver::refine_beside_root`]).
const ROOT_SIDE_DEPTH: usize = 2;

impl<'a> StageSolver<'a> {
    /// The derivative of the stage-`k` objective in the candidate cutoff (envelope theorem),
    /// and the next stage's offer there.
    pub(in crate::model::equilibrium) fn stage_slope(
        &self,
        k: usize,
        c: f64,
        cand: f64,
        hint: Option<f64>,
    ) -> (f64, f64) {
        let (next, dnext) = self.best_reply_with_slope(k + 1, cand, hint);
        (self.stage_slope_given(k, c, cand, &next, dnext), next.offer)
    }

    /// [`Self::stage_slope`] given the next stage's reply at `cand` and the slope `dnext` of its
    /// offer there.
    pub(super) fn stage_slope_given(
        &self,
        k: usize,
        c: f64,
        cand: f64,
        next: &Reply,
        dnext: f64,
    ) -> f64 {
        let terms = self.stage_slope_terms(k, cand, next, dnext);
        slope_from_terms(terms, self.home.mass_fast(c, cand))
    }

    /// The parts of the stage-`k` slope at `cand` that do not depend on `c` (given the next
    /// stage's reply and its offer's slope there): `π'(x_k)·x_k'(c_k)`, `π(x_k)·g(c_k)` and
    /// `λ_{k+1}·m_{k+1}·g(c_k)`; the slope given `c` is [`slope_from_terms`].
    pub(super) fn stage_slope_terms(
        &self,
        k: usize,
        cand: f64,
        next: &Reply,
        dnext: f64,
    ) -> (f64, f64, f64) {
        let t = self.transitions[k + 1];
        let (h, dh) = if next.offer > cand {
            (
                cand + t.kappa * (next.offer - cand),
                (1.0 - t.kappa) + t.kappa * dnext,
            )
        } else {
            (cand, 1.0)
        };
        let h = h.clamp(0.0, 1.0);
        let g = self.home.pdf(cand);
        let pi = self.pi(h);
        let (dlog, _) = self.dlog_pi(h);
        let dpi = if pi > 0.0 { pi * dlog } else { 0.0 };
        (dpi * dh, pi * g, t.lambda * next.marginal * g)
    }

    /// The slope of the next stage's offer in the stage-`k` cutoff `cand`, given its reply `next`
    /// there: the last stage's (its solve with the slope, warm-started at `next`), or a middle
    /// stage's by the implicit function theorem (NaN where that does not apply).
    pub(super) fn next_offer_slope(&self, k: usize, cand: f64, next: &Reply) -> f64 {
        if k + 1 == self.last() {
            self.best_reply_with_slope(k + 1, cand, Some(next.offer)).1
        } else {
            self.offer_slope_by_implicit_function(k + 1, cand, next)
                .unwrap_or(f64::NAN)
        }
    }

    /// `d x_k / d c` at an interior optimum `reply` of a stage `k` followed by the last stage,
    /// by the implicit function theorem on the first-order condition `F(c_k; c) = 0`:
    ///
    /// ```text
    /// d c_k / d c = −F_c / F_{c_k},   F_c = −π'(x_k)·x_k'(c_k)·g(c),
    /// d x_k / d c = x_k'(c_k) · d c_k / d c,   x_k'(c_k) = (1 − κ_{k+1}) + κ_{k+1}·x_{k+1}'(c_k)
    /// ```
    ///
    /// with `F_{c_k}` and `x_{k+1}'(c_k)` from the slopes at `c_k ± h` (central differences;
    /// each a last-stage solve warm-started next to its root). `None` (the caller then
    /// differentiates by re-solving) when the optimum is not interior, the next stage is not
    /// the last, or `F_{c_k}` is not negative.
    pub(in crate::model::equilibrium) fn offer_slope_by_implicit_function(
        &self,
        k: usize,
        c: f64,
        reply: &Reply,
    ) -> Option<f64> {
        if !reply.interior || k + 1 != self.last() || !(reply.cutoff > c) {
            return None;
        }
        let t = self.transitions[k + 1];
        let ck = reply.cutoff;
        let h = 1e-5 * self.home.scale.min(1.0) * (1.0 + ck.abs());
        // The next offer's slope at the optimum, where a search kept it, puts the warm starts
        // on its tangent.
        let slope_at_optimum = self
            .kept_last_stage(ck)
            .map(|kept| kept.1)
            .filter(|d| d.is_finite())
            .unwrap_or(0.0);
        let side = |x: f64| {
            let warm = reply.next_offer + slope_at_optimum * (x - ck);
            let (next, dnext) = self.last_stage(x, Some(warm), true);
            (
                self.stage_slope_given(k, c, x, &next, dnext),
                next.offer,
                dnext,
            )
        };
        let ((f_up, y_up, d_up), (f_down, y_down, d_down)) = (side(ck + h), side(ck - h));
        let f_ck = (f_up - f_down) / (2.0 * h);
        if !(f_ck < 0.0 && f_ck.is_finite()) {
            return None;
        }
        let dnext = 0.5 * (d_up + d_down);
        let y = 0.5 * (y_up + y_down);
        let dx_dck = if y > ck {
            (1.0 - t.kappa) + t.kappa * dnext
        } else {
            1.0
        };
        let x = reply.offer;
        let dpi = self.pi(x) * self.dlog_pi(x).0;
        let f_c = if c > f64::NEG_INFINITY {
            -dpi * dx_dck * self.home.pdf(c)
        } else {
            0.0
        };
        let slope = dx_dck * (-f_c / f_ck);
        slope.is_finite().then_some(slope)
    }

    /// Root of the stage-`k` slope on `[a, b]` (slope positive at `a`, negative at `b`) by
    /// [`warm_root`], starting from the slopes already known: `around` (e.g. at the scan's
    /// points next to the bracket) and, for a middle stage, at the last-stage solves its earlier
    /// searches kept (`RecentSolves`). The next stage is warm-started on the tangent of the
    /// latest point close by, else from the continuation table. Returns the root and the next
    /// stage's offer at the last point evaluated (a warm start at the root).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn slope_root(
        &self,
        k: usize,
        c: f64,
        a: f64,
        b: f64,
        sa: f64,
        sb: f64,
        hint: Option<f64>,
        around: &[(f64, f64)],
    ) -> (f64, Option<f64>) {
        // Where the next stage is an earlier stage, its offer's slope in the slope comes from
        // central differences (`offer_slope_by_implicit_function`): the slope is known to about
        // 1e-12 of its scale (measured next to the root of a logistic game with scale 0.12: its
        // root lies within about 5e-13), so its root is searched to a few times that. A middle
        // stage's root reaches the stage before through its value (stationary there) and its
        // offer (moved by about the root's error): 1e-12 of the scale keeps that below the
        // stage before's own tolerance.
        let relative = if k + 1 == self.last() { 1e-12 } else { 1e-11 };
        let tol = relative * (1.0 + a.abs()) * self.home.scale.min(1.0);
        let mut last_offer = hint;
        let keep = k + 1 == self.last();
        // The latest point with the next offer's slope there: a warm start on its tangent for a
        // point close by; further away the continuation table's interpolant is closer.
        let mut tangent: Option<(f64, f64, f64)> = None;
        let close = 1e-4 * self.home.scale.min(1.0);
        let evaluate = |x: f64| {
            let warm = match tangent {
                Some((t, offer, slope)) if (x - t).abs() <= close => Some(offer + slope * (x - t)),
                _ => self.table_hint(x).or(last_offer),
            };
            let (next, dnext) = self.best_reply_with_slope(k + 1, x, warm);
            if keep {
                self.keep_last_stage(x, next, dnext);
            }
            tangent = dnext.is_finite().then_some((x, next.offer, dnext));
            last_offer = Some(next.offer);
            self.stage_slope_given(k, c, x, &next, dnext)
        };
        // A middle stage's slope at the last-stage solves it has kept, at this `c`.
        let mut known = [(f64::NAN, f64::NAN); 12];
        known[..around.len()].copy_from_slice(around);
        let mut n_known = around.len();
        if let (true, Some(table)) = (keep, self.continuation.get()) {
            for &(t, next, dnext) in table.recent.borrow().entries() {
                if t > a && t < b && n_known < known.len() {
                    known[n_known] = (t, self.stage_slope_given(k, c, t, &next, dnext));
                    n_known += 1;
                }
            }
        }
        let near = 1e-3 * self.home.scale.min(1.0);
        let (root, converged) = warm_root(evaluate, (a, sa), (b, sb), &known[..n_known], tol, near);
        if !converged {
            self.failed_step.set(true);
        }
        (root, last_offer)
    }

    /// Re-solves stage `k` near a previous interior optimum `around` (no scan). `None` when the
    /// first-order condition does not change sign close by (the caller then solves globally).
    pub(in crate::model::equilibrium) fn earlier_stage_near(
        &self,
        k: usize,
        c: f64,
        around: f64,
    ) -> Option<Reply> {
        let t = self.transitions[k + 1];
        let delta = 1e-4 * (around.abs() + self.home.scale.min(1.0));
        let (a, b) = ((around - delta).max(c), (around + delta).min(1.0));
        if !(b > a) {
            return None;
        }
        // Secant iterations from the old optimum (the root moves by about the size of the
        // perturbation, so three or four steps reach rounding level); they must stay inside
        // [a, b] and end with a residual at rounding level, else the bracketed solve runs.
        let (mut x0, mut x1) = (around, around + 1e-3 * delta);
        let (mut s0, offer) = self.stage_slope(k, c, x0, None);
        let mut hint = Some(offer);
        let (mut s1, offer) = self.stage_slope(k, c, x1, hint);
        hint = Some(offer);
        let scale = s0.abs().max(s1.abs());
        let mut found = None;
        for _ in 0..6 {
            if !(s1.is_finite() && s0.is_finite()) || s1 == s0 {
                break;
            }
            let x2 = x1 - s1 * (x1 - x0) / (s1 - s0);
            if !(x2 > a && x2 < b) {
                break;
            }
            let (s2, offer) = self.stage_slope(k, c, x2, hint);
            hint = Some(offer);
            (x0, s0, x1, s1) = (x1, s1, x2, s2);
            if (x1 - x0).abs() <= 1e-15 * (1.0 + x1.abs()) || s1.abs() <= 1e-13 * scale.max(1e-300)
            {
                found = Some(x1);
                break;
            }
        }
        let cand = match found {
            Some(x) => x,
            None => {
                let (sa, offer_a) = self.stage_slope(k, c, a, hint);
                let (sb, _) = self.stage_slope(k, c, b, Some(offer_a));
                if !(sa > 0.0 && sb < 0.0) {
                    return None;
                }
                self.slope_root(k, c, a, b, sa, sb, Some(offer_a), &[]).0
            }
        };
        let (value, offer, next) = self.stage_value(k, c, cand, hint)?;
        Some(Reply {
            offer: offer.clamp(0.0, 1.0),
            cutoff: cand.max(c),
            value,
            marginal: if cand > c {
                self.pi(offer)
            } else {
                t.lambda * next.marginal
            },
            interior: true,
            next_offer: next.offer,
            // A local re-solve around a certified optimum (finite differences): it inherits
            // the statement of the solve it starts from.
            certificate: Certificate::Certified,
            bound: f64::NAN,
        })
    }

    /// Refines the best local maxima of the stage-`k` scan given `c` (at most
    /// [`REFINE_CANDIDATES`]), with the feasibility corner next to a peak, into `best`; then
    /// the feasibility corner wherever it is, unless a bound shows it cannot win.
    pub(super) fn refine_peaks<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &Scan<'_, N>,
        best: &mut Best,
    ) {
        let refined = refined_peaks(scan);
        for &i in refined {
            self.refine_peak(k, c, scan, i, best);
        }
        self.consider_feasibility_corner(k, c, scan, refined, best);
    }

    /// The feasibility corner (the lowest cutoff with `x_k ≥ 0`; the offer is nondecreasing in
    /// the cutoff, so the feasible cutoffs are an interval) is a boundary of the stage's
    /// problem and can be its maximum though no peak of the scan lies next to it. On the scan
    /// cell `[t_{i−1}, t_i]` where the offer turns feasible, the objective is at most
    ///
    /// ```text
    /// max π · [G(t_i) − G(c)] + λ_{k+1}·W_{k+1}(t_{i−1})
    /// ```
    ///
    /// (`W_{k+1}` is nonincreasing) and, at the corner itself, where
    /// `(1 − κ)·c* + κ·x_{k+1}(c*) = 0` (either `x_{k+1}(c*) > c*`, or `c* = 0 = x_{k+1}(c*)`)
    /// with `x_{k+1}` nondecreasing, `c* ≤ −κ·x_{k+1}(t_{i−1})/(1 − κ)`, which can replace `t_i`
    /// in the mass. The corner is
    /// found and considered only when that bound beats the incumbent, and only when
    /// [`Self::refine_peak`] has not (a refined peak at `t_i`); the cell from the corner to
    /// `t_i` is then searched as the scan's cells are (a hidden maximum of the cubic Hermite
    /// interpolant, a change of regime with tangents reaching above the incumbent), where the
    /// slopes at both ends are known.
    fn consider_feasibility_corner<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &Scan<'_, N>,
        refined: &[usize],
        best: &mut Best,
    ) {
        let grid = scan.grid();
        let Some(i) = (1..grid.len()).find(|&i| scan.value(i).is_some()) else {
            return;
        };
        let (Some(infeasible), Some((_, _, next))) = (scan.reply(i - 1), scan.point(i)) else {
            return;
        };
        if scan.value(i - 1).is_some() || refined.contains(&i) || !(grid[i - 1] < grid[i]) {
            return;
        }
        let t = self.transitions[k + 1];
        // (x_{k+1} is nondecreasing where the next stage is the last, or the proposer foreign:
        // `certificate.rs`, fact 1.)
        let monotone = k + 1 == self.last() || self.proposer == Side::Foreign;
        let highest = if t.kappa < 1.0 && monotone {
            grid[i].min(-t.kappa * infeasible.offer / (1.0 - t.kappa))
        } else {
            grid[i]
        };
        let bound =
            self.pi(self.pi_peak()) * self.home.mass_fast(c, highest) + t.lambda * infeasible.value;
        if !best.beaten_by(bound) {
            return;
        }
        let (corner, at_corner) = self.consider_corner(k, c, grid[i - 1], (grid[i], next), best);
        // The cell from the corner to the first feasible scan point is searched as the scan's
        // cells are, where the slopes are known: its maximum can lie inside it, e.g. at a jump
        // of the next stage's optimum, though the corner beats the scan's points.
        let (Some(right), Some((value, _, _))) = (
            CellEnd::of_scan(scan, i),
            self.stage_value_given(k, c, corner, at_corner),
        ) else {
            return;
        };
        let next_slope = self.next_offer_slope(k, corner, &at_corner);
        let slope = self.stage_slope_given(k, c, corner, &at_corner, next_slope);
        if !(next_slope.is_finite() && slope.is_finite()) {
            return;
        }
        let left = CellEnd {
            at: corner,
            value,
            slope,
            next: at_corner,
            next_slope,
        };
        if let Some(peak) = hidden_peak(left.hermite_point(), right.hermite_point()) {
            let (a, b) = peak.bracket;
            self.refine_cell(k, c, (a, peak.top, b), (left, right), scan, best);
        } else if self.regime_change_may_hide(k, &left, &right, best) {
            let (a, b) = (left.at, right.at);
            self.refine_cell(k, c, (a, 0.5 * (a + b), b), (left, right), scan, best);
        }
    }

    /// Refines the peak `i` of the stage-`k` scan given `c` (see [`Self::refine_peaks`]).
    pub(super) fn refine_peak<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &Scan<'_, N>,
        i: usize,
        best: &mut Best,
    ) {
        let grid = scan.grid();
        let n_grid = grid.len();
        let (value, offer, next) = scan.point(i).expect("peak is feasible");
        best.consider(grid[i], value, offer, next, false);
        let mut left = if i > 0 { grid[i - 1] } else { grid[i] };
        // The left end of the feasible region: find where x_k = 0 exactly, and refine
        // between it and the peak.
        if i > 0 && scan.point(i - 1).is_none() && grid[i - 1] < grid[i] {
            left = self
                .consider_corner(k, c, grid[i - 1], (grid[i], next), best)
                .0;
        }
        let right = if i + 1 < n_grid { grid[i + 1] } else { grid[i] };
        self.refine_pieces(k, c, (left, grid[i], right), next.offer, scan, best);
    }

    /// Refines every smooth piece of `[left, right]`: kinks of the continuation (the last
    /// stage's offer reaching a kink of its problem) can put several local maxima into one cell
    /// of the scan, so the cell is cut where the continuation's regime changes
    /// ([`Self::regime_breaks`]) and each piece refined from `start` if it holds it, else from
    /// its middle; `offer` (the next stage's offer near the cell) warm-starts the next stage
    /// away from the scan's points.
    fn refine_pieces<const N: usize>(
        &self,
        k: usize,
        c: f64,
        (left, start, right): (f64, f64, f64),
        offer: f64,
        scan: &Scan<'_, N>,
        best: &mut Best,
    ) {
        let end_regime = |x: f64| (x, scan.regime_at(x).unwrap_or_else(|| self.regime(k, x)));
        let mut ends = [left; MAX_PIECES + 1];
        let mut n_ends = 1;
        self.regime_breaks(
            k,
            end_regime(left),
            end_regime(right),
            &mut ends,
            &mut n_ends,
        );
        ends[n_ends] = right;
        n_ends += 1;
        for piece in ends[..n_ends].windows(2) {
            let (a, b) = (piece[0], piece[1]);
            let mid = if a <= start && start <= b {
                start
            } else {
                0.5 * (a + b)
            };
            let hint = |x: f64| Some(scan.offer_at(x).unwrap_or(offer));
            self.consider_refined(k, c, [a, mid, b], hint, Some(scan), best);
        }
    }

    /// Refines the maxima that the scan's values hide inside a cell, where the slopes at the
    /// scan's points are known (a middle stage): a cell whose cubic Hermite interpolant
    /// (`hermite.rs`) has a maximum inside, other than the cells that [`Self::refine_peak`]
    /// brackets next to the best peaks (slope positive at the cell's left end and negative at
    /// its right end). A maximum beside a minimum (the slope has the same sign at both ends: the
    /// values do not rise or fall as much as the slopes say) is bracketed by the cell's end on
    /// its side and the interpolant's minimum. At most [`REFINE_CANDIDATES`] cells, those whose
    /// interpolant peaks highest.
    pub(super) fn refine_hidden_peaks<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &Scan<'_, N>,
        best: &mut Best,
    ) {
        let grid = scan.grid();
        let refined = refined_peaks(scan);
        // The cells to refine: the interpolant's maximum and the cell's right end.
        let mut hidden: [Option<(HiddenPeak, usize)>; REFINE_CANDIDATES] =
            [None; REFINE_CANDIDATES];
        let value_of = |h: &Option<(HiddenPeak, usize)>| h.map_or(f64::NEG_INFINITY, |h| h.0.value);
        let mut previous: Option<(f64, f64, f64)> = None;
        for (i, &g) in grid.iter().enumerate() {
            let here = scan.value(i).zip(scan.slope(i)).map(|(v, s)| (g, v, s));
            if let (Some(left), Some(right)) = (previous, here) {
                let next_to_refined_peak =
                    left.2 > 0.0 && right.2 < 0.0 && refined.iter().any(|&p| p == i || p + 1 == i);
                if let Some(peak) = hidden_peak(left, right).filter(|_| !next_to_refined_peak) {
                    let slot = (0..REFINE_CANDIDATES)
                        .min_by(|&p, &q| value_of(&hidden[p]).total_cmp(&value_of(&hidden[q])))
                        .expect("slots");
                    if peak.value > value_of(&hidden[slot]) {
                        hidden[slot] = Some((peak, i));
                    }
                }
            }
            previous = here;
        }
        for (peak, i) in hidden.into_iter().flatten() {
            if let (Some(left), Some(right)) =
                (CellEnd::of_scan(scan, i - 1), CellEnd::of_scan(scan, i))
            {
                let (a, b) = peak.bracket;
                self.refine_cell(k, c, (a, peak.top, b), (left, right), scan, best);
            }
        }
    }

    /// Refines the scan cells where the continuation's regime changes ([`Self::regime`]), other
    /// than those next to a refined peak ([`Self::refine_peak`] cuts those), where the slopes at
    /// the cell's ends are known (in the first stage of three, computed where the scan lacked
    /// them: [`Self::complete_slopes`]) and their tangents reach above the incumbent:
    ///
    /// ```text
    /// max(v(a) + max(s(a), 0)·h, v(b) − min(s(b), 0)·h) > incumbent,   h = b − a
    /// ```
    ///
    /// (a bound where the pieces of the objective on either side of the change are concave).
    /// Where the next stage is the last (a middle stage), its offer is continuous and the
    /// change is a kink: a local maximum on one side of it can hide behind a dip at the kink
    /// while the values and slopes at the cell's ends both rise, and the cell is cut at the
    /// change and each piece refined ([`Self::refine_pieces`]). Where the next stage is a
    /// middle stage (the first stage of three), its optimum can jump at the change and the
    /// objective jump down from a maximum that neither the values nor the Hermite interpolant
    /// show (the cell's values can rise by about what its slopes say, the spike at the jump's
    /// near side being narrow): the cell is refined with the jump located
    /// ([`Self::refine_cell`]).
    pub(super) fn refine_regime_changes<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &Scan<'_, N>,
        best: &mut Best,
    ) {
        let grid = scan.grid();
        let refined = refined_peaks(scan);
        // The regimes first, then the values and slopes kept by the scan; the cell's ends (with
        // the next stage's replies) only where the test passes (a middle stage runs this on
        // every solve, and its regime changes are common).
        let end = |i: usize| Some((grid[i], scan.value(i)?, scan.slope(i)?));
        for i in 1..grid.len() {
            let next_to_peak = refined.iter().any(|&p| p == i || p + 1 == i);
            if scan.regime(i - 1) == scan.regime(i) || next_to_peak {
                continue;
            }
            let (Some(a), Some(b)) = (end(i - 1), end(i)) else {
                continue;
            };
            if !tangents_reach_above(a, b, best) {
                continue;
            }
            let (Some(left), Some(right)) =
                (CellEnd::of_scan(scan, i - 1), CellEnd::of_scan(scan, i))
            else {
                continue;
            };
            let (a, b) = (left.at, right.at);
            if k + 1 == self.last() {
                let offer = left.next.offer;
                self.refine_pieces(k, c, (a, f64::NAN, b), offer, scan, best);
            } else {
                self.refine_cell(k, c, (a, 0.5 * (a + b), b), (left, right), scan, best);
            }
        }
    }

    /// Computes the slopes that the scan of the first stage of three lacks at solved points
    /// (where the middle stage's optimum is not interior: on a kink, at a corner; `scan.rs`),
    /// by re-solving the middle stage beside the point ([`Self::best_reply_with_slope`]), where
    /// a cell next to the point may hide a maximum: the tangent at the cell's other end reaches
    /// above the incumbent (`v(a) + max(s(a), 0)·h` from the left, `v(b) − min(s(b), 0)·h` from
    /// the right, `h` the cell's width), or the other end's slope is unknown too. The cells are
    /// then searched as the others are ([`Self::refine_hidden_peaks`],
    /// [`Self::refine_regime_changes`]): without their slopes, a maximum inside a cell whose
    /// ends hold nearly equal values, or at a jump of the middle stage's optimum, goes unseen.
    /// Estimated points have no slope by design (`estimate.rs`) and are left so.
    pub(super) fn complete_slopes<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &mut Scan<'_, N>,
        best: &Best,
    ) {
        if k + 2 != self.last() {
            return;
        }
        let solved =
            |scan: &Scan<'_, N>, i: usize| scan.value(i).is_some() && !scan.is_estimated(i);
        let n = scan.grid().len();
        for i in 0..n {
            if scan.slope(i).is_some() || !solved(scan, i) {
                continue;
            }
            let at = scan.grid()[i];
            let may_hide = |j: usize| {
                if !solved(scan, j) {
                    return false;
                }
                let (v, h) = (
                    scan.value(j).unwrap_or(f64::NAN),
                    (at - scan.grid()[j]).abs(),
                );
                match scan.slope(j) {
                    None => true,
                    Some(s) if j < i => best.beaten_by(v + s.max(0.0) * h),
                    Some(s) => best.beaten_by(v - s.min(0.0) * h),
                }
            };
            if !((i > 0 && may_hide(i - 1)) || (i + 1 < n && may_hide(i + 1))) {
                continue;
            }
            let Some((_, _, next)) = scan.point(i) else {
                continue;
            };
            let (next, next_slope) = self.best_reply_with_slope(k + 1, at, Some(next.offer));
            let slope = self.stage_slope_given(k, c, at, &next, next_slope);
            if slope.is_finite() && next_slope.is_finite() {
                scan.set_slopes(i, slope, next_slope);
            }
        }
    }

    /// Whether the continuation's regime changes between the ends of a cell and the tangents
    /// at its ends reach above the incumbent (see [`Self::refine_regime_changes`]).
    fn regime_change_may_hide(
        &self,
        k: usize,
        left: &CellEnd,
        right: &CellEnd,
        best: &Best,
    ) -> bool {
        self.regime_of(k, left.at, &left.next) != self.regime_of(k, right.at, &right.next)
            && tangents_reach_above(left.hermite_point(), right.hermite_point(), best)
    }

    /// Refines the bracket `(a, top, b)` inside the scan cell `cell` ([`Self::refine`]) and
    /// considers the result. Where the slope did not change sign where the refinement looked,
    /// the maximum can sit at a jump of the next stage's reply (its optimum moving from one of
    /// its maxima to another): the objective jumps there with no root of its slope, and a
    /// golden-section search across the jump can end on either side. The jump is then located
    /// ([`Self::next_reply_jump`]), both its sides are candidates, and the smooth pieces beside
    /// it are refined.
    fn refine_cell<const N: usize>(
        &self,
        k: usize,
        c: f64,
        (a, top, b): (f64, f64, f64),
        (left, right): (CellEnd, CellEnd),
        scan: &Scan<'_, N>,
        best: &mut Best,
    ) {
        let hint = |x: f64| scan.offer_at(x).or_else(|| self.table_hint(x));
        let Some(refined) = self.refine(k, c, [a, top, b], hint, Some(scan)) else {
            return;
        };
        self.consider_refinement(k, c, refined, &hint, Some(scan), best, ROOT_SIDE_DEPTH);
        if refined.interior {
            return;
        }
        if let Some(((below, at_below), (above, at_above))) = self.next_reply_jump(k, &left, &right)
        {
            for (x, next) in [(below, at_below), (above, at_above)] {
                if let Some((v, o, n)) = self.stage_value_given(k, c, x, next) {
                    best.consider(x, v, o, n, false);
                }
            }
            for (a, b) in [(left.at, below), (above, right.at)] {
                self.consider_refined(k, c, [a, 0.5 * (a + b), b], hint, Some(scan), best);
            }
        }
    }

    /// Locates a jump of the next stage's offer inside the cell between `left` and `right`
    /// (where the next offer's slope is known), by bisection: a point belongs to the end whose
    /// tangent predicts its next offer better. Returns the two points closest across the jump,
    /// with the next stage's replies there; `None` where the offers at the final bracket's ends
    /// differ by no more than their slopes carry across it (no jump).
    #[allow(clippy::type_complexity)]
    fn next_reply_jump(
        &self,
        k: usize,
        left: &CellEnd,
        right: &CellEnd,
    ) -> Option<((f64, Reply), (f64, Reply))> {
        let slope_or_flat = |d: f64| if d.is_finite() { d } else { 0.0 };
        let (mut a, mut next_a, mut da) = (left.at, left.next, left.next_slope);
        let (mut b, mut next_b, mut db) = (right.at, right.next, right.next_slope);
        while b - a > 1e-13 * (1.0 + a.abs()) {
            let m = 0.5 * (a + b);
            let (next_m, dm) = self.best_reply_with_slope(k + 1, m, None);
            let from_a = next_a.offer + slope_or_flat(da) * (m - a);
            let from_b = next_b.offer - slope_or_flat(db) * (b - m);
            if (next_m.offer - from_a).abs() <= (next_m.offer - from_b).abs() {
                (a, next_a, da) = (m, next_m, dm);
            } else {
                (b, next_b, db) = (m, next_m, dm);
            }
        }
        let carried = slope_or_flat(da).abs().max(slope_or_flat(db).abs()) * (b - a);
        let jump = (next_b.offer - next_a.offer).abs();
        (jump > 1e-9 * (1.0 + next_a.offer.abs()) + 10.0 * carried)
            .then_some(((a, next_a), (b, next_b)))
    }

    /// Refines `[left, mid, right]` ([`Self::refine`]) and considers the refined point in
    /// `best`.
    pub(super) fn consider_refined<const N: usize>(
        &self,
        k: usize,
        c: f64,
        bracket: [f64; 3],
        hint: impl Fn(f64) -> Option<f64>,
        scan: Option<&Scan<'_, N>>,
        best: &mut Best,
    ) {
        if let Some(refined) = self.refine(k, c, bracket, &hint, scan) {
            self.consider_refinement(k, c, refined, &hint, scan, best, ROOT_SIDE_DEPTH);
        }
    }

    /// Considers a refined point in `best`, then, where it is a root of the slope, the sides of
    /// it ([`Self::refine_beside_root`]), `depth` times in turn ([`ROOT_SIDE_DEPTH`] from a
    /// refinement of the scan).
    #[allow(clippy::too_many_arguments)]
    fn consider_refinement<const N: usize>(
        &self,
        k: usize,
        c: f64,
        refined: Refined,
        hint: &impl Fn(f64) -> Option<f64>,
        scan: Option<&Scan<'_, N>>,
        best: &mut Best,
        depth: usize,
    ) {
        let Some((value, offer, next)) = self.stage_value(k, c, refined.at, refined.warm) else {
            return;
        };
        best.consider(refined.at, value, offer, next, refined.interior);
        if let (Some(bracket), true) = (refined.root_bracket, depth > 0) {
            let root = (refined.at, value);
            self.refine_beside_root(k, c, root, bracket, hint, scan, best, depth);
        }
    }

    /// Searches the two sides of a root `r` of the stage's slope (value `v_r`) that a root
    /// search found in its bracket `[a, b]` (slope positive at `a`, negative at `b`). The
    /// bracket can hold more roots (two maxima around a minimum), and which one the search
    /// reaches depends on where it starts (the slopes known from earlier solves narrow its
    /// bracket: [`Self::slope_root`]); without this, a solve could return the lower of two
    /// maxima, and which one would depend on what was solved before it. Each side, `[a, r]`
    /// and `[r, b]`, is tested as the scan's cells are ([`Self::refine_hidden_peaks`]): where
    /// the cubic Hermite interpolant through the values and slopes at its ends (0 at the root)
    /// has a maximum inside, the side is refined and considered, and the sides of a root found
    /// there in turn, `depth` times.
    #[allow(clippy::too_many_arguments)]
    fn refine_beside_root<const N: usize>(
        &self,
        k: usize,
        c: f64,
        (r, v_r): (f64, f64),
        ends: [(f64, f64); 2],
        hint: &impl Fn(f64) -> Option<f64>,
        scan: Option<&Scan<'_, N>>,
        best: &mut Best,
        depth: usize,
    ) {
        let root = (r, v_r, 0.0);
        for (x, slope) in ends {
            if x == r {
                continue;
            }
            let value = match scan.and_then(|s| s.at(x)) {
                Some((value, _, _)) => Some(value),
                None => self.stage_value(k, c, x, hint(x)).map(|v| v.0),
            };
            let Some(value) = value else { continue };
            let end = (x, value, slope);
            let (left, right) = if x < r { (end, root) } else { (root, end) };
            let Some(peak) = hidden_peak(left, right) else {
                continue;
            };
            let (lo, hi) = peak.bracket;
            if let Some(refined) = self.refine(k, c, [lo, peak.top, hi], hint, scan) {
                self.consider_refinement(k, c, refined, hint, scan, best, depth - 1);
            }
        }
    }

    /// Finds the feasibility corner between the infeasible `a` and the feasible `b` (with the
    /// next stage's reply there) and considers it in `best`; returns it with the next stage's
    /// reply there.
    fn consider_corner(
        &self,
        k: usize,
        c: f64,
        a: f64,
        b: (f64, Reply),
        best: &mut Best,
    ) -> (f64, Reply) {
        let (corner, at_corner) = self.feasibility_corner(k, a, b);
        if let Some((v, o, n)) = self.stage_value_given(k, c, corner, at_corner) {
            best.consider(corner, v, o, n, false);
        }
        (corner, at_corner)
    }

    /// The regime of the continuation after cutoff `cand` at stage `k < K`, a code that is
    /// constant where the stage-`k` objective is smooth: whether the next stage's offer lies
    /// above `cand` (the kink of this stage's own offer, `x_k = c_k + κ·max(x_{k+1} − c_k, 0)`),
    /// and
    ///
    /// - the last stage: where its offer lies relative to [`Self::kinks`] (between two, or at
    ///   one; −1 if nobody accepts), nondecreasing in `cand`;
    /// - a middle stage: where the last stage's offer at the middle stage's optimum lies
    ///   relative to the kinks, whether the middle stage's optimum is on the kink of its own
    ///   offer (`x_{k+1} = c_{k+1} + κ·max(x_{k+2} − c_{k+1}, 0)` with `x_{k+2} = c_{k+1}`), and
    ///   whether anyone accepts at it (−1 if it earns nothing). Not monotone in general: a
    ///   change between the ends of a cell is found, a regime left and re-entered inside it is
    ///   not.
    fn regime(&self, k: usize, cand: f64) -> i32 {
        if k + 1 == self.last() {
            self.regime_of(k, cand, &self.last_stage(cand, None, false).0)
        } else if k + 2 == self.last() {
            self.regime_of(k, cand, &self.earlier_stage(k + 1, cand))
        } else {
            0
        }
    }

    /// [`Self::regime`] from the continuation's reply `next` at `cand`.
    pub(super) fn regime_of(&self, k: usize, cand: f64, next: &Reply) -> i32 {
        if k + 2 < self.last() {
            return 0;
        }
        if !(next.value > 0.0) {
            return -1;
        }
        // The kink of this stage's own offer, `x_k = c_k + κ·max(x_{k+1} − c_k, 0)`.
        let above = i32::from(next.offer > cand);
        if k + 1 == self.last() {
            return 2 * self.kink_position(next.offer) + above;
        }
        let on_own_kink = (next.next_offer - next.cutoff).abs() <= 1e-10;
        let accepts = next.cutoff > cand;
        8 * self.kink_position(next.next_offer)
            + 4 * i32::from(on_own_kink)
            + 2 * i32::from(accepts)
            + above
    }

    /// Where the last stage's `offer` lies relative to [`Self::kinks`]: `2j` between the `j`-th
    /// and the next, `2j + 1` at the `j`-th.
    fn kink_position(&self, offer: f64) -> i32 {
        let mut code = 0;
        for &kink in &self.kinks[..self.n_kinks] {
            if (offer - kink).abs() <= 1e-10 {
                return code + 1;
            }
            if offer > kink {
                code += 2;
            }
        }
        code
    }

    /// Appends to `out` the points of `(a, b]` where the continuation's regime changes
    /// (bisection).
    fn regime_breaks(
        &self,
        k: usize,
        (a, ra): (f64, i32),
        (b, rb): (f64, i32),
        out: &mut [f64],
        n: &mut usize,
    ) {
        if ra == rb || *n + 1 >= out.len() {
            return;
        }
        if b - a <= 1e-13 * (1.0 + a.abs()) {
            out[*n] = b;
            *n += 1;
            return;
        }
        let m = 0.5 * (a + b);
        let rm = self.regime(k, m);
        self.regime_breaks(k, (a, ra), (m, rm), out, n);
        self.regime_breaks(k, (m, rm), (b, rb), out, n);
    }

    /// Refines a local maximum of the scan at `mid` inside `[left, right]`: the root of the
    /// first-order condition where it changes sign (`interior = true`), else golden-section
    /// search. `hint(x)` warm-starts the next stage at `x`, and at the points of `scan` its
    /// known reply and slope are used; the result carries a warm start at the refined point.
    pub(super) fn refine<const N: usize>(
        &self,
        k: usize,
        c: f64,
        [left, mid, right]: [f64; 3],
        hint: impl Fn(f64) -> Option<f64>,
        scan: Option<&Scan<'_, N>>,
    ) -> Option<Refined> {
        if right <= left {
            return None;
        }
        // At a scan point the next stage's reply is known, and where the next stage is the last
        // its slope too.
        let slope = |x: f64| match scan.and_then(|s| s.slope_at(x)) {
            Some(slope) => slope,
            None => match scan.and_then(|s| s.at(x)).filter(|_| k + 1 < self.last()) {
                Some((_, _, next)) => {
                    let dnext = self.offer_slope(k + 1, x, &next);
                    self.stage_slope_given(k, c, x, &next, dnext)
                }
                None => self.stage_slope(k, c, x, hint(x)).0,
            },
        };
        let s_mid = slope(mid);
        let bracket = if s_mid > 0.0 && right > mid {
            Some((mid, right, s_mid, slope(right)))
        } else if s_mid < 0.0 && mid > left {
            Some((left, mid, slope(left), s_mid))
        } else if s_mid == 0.0
            && mid > left
            && mid < right
            && self
                .stage_value(k, c, mid, hint(mid))
                .is_some_and(|v| v.0 > 0.0)
        {
            return Some(Refined {
                at: mid,
                interior: true,
                warm: hint(mid),
                root_bracket: None,
            });
        } else {
            // (A zero slope at an end of the cell proves nothing: at the bottom of a uniform
            // support the density, and with it the slope, can round to 0 on one side.)
            // A flat stretch where the proposer gets nothing (e.g. π = 0 on the whole scan, a
            // narrow foreign constraint): the cell may still hold a window where it gets
            // something; search the whole cell.
            None
        };
        if let Some((a, b, sa, sb)) = bracket {
            if sa > 0.0 && sb < 0.0 {
                // The slope at the scan's points next to the bracket, where it is known (a
                // middle stage): they start the search with an inverse interpolation.
                let mut around = [(0.0, 0.0); 2];
                let mut n_around = 0;
                if let Some(scan) = scan {
                    let grid = scan.grid();
                    let below = grid.partition_point(|&g| g < a.min(b));
                    let above = grid.partition_point(|&g| g <= a.max(b));
                    let neighbours = [
                        below.checked_sub(1),
                        Some(above).filter(|&i| i < grid.len()),
                    ];
                    for i in neighbours.into_iter().flatten() {
                        if let Some(slope) = scan.slope(i) {
                            around[n_around] = (grid[i], slope);
                            n_around += 1;
                        }
                    }
                }
                let (root, offer) =
                    self.slope_root(k, c, a, b, sa, sb, hint(mid), &around[..n_around]);
                return Some(Refined {
                    at: root,
                    interior: true,
                    warm: offer,
                    root_bracket: Some([(a, sa), (b, sb)]),
                });
            }
        }
        Some(self.golden_refine(k, c, (left, right), hint(mid)))
    }

    /// The maximum of the stage-`k` objective on `[low, high]` by golden-section search (no
    /// slope), with `hint` warm-starting the next stage.
    fn golden_refine(
        &self,
        k: usize,
        c: f64,
        (low, high): (f64, f64),
        hint: Option<f64>,
    ) -> Refined {
        let tol = 1e-13 * (1.0 + high.abs()) * self.home.scale.min(1.0);
        let objective = |x: f64| {
            self.stage_value(k, c, x, hint)
                .map(|v| v.0)
                .unwrap_or(f64::NEG_INFINITY)
        };
        Refined {
            at: golden_max(objective, low, high, tol.max(1e-13)).0,
            interior: false,
            warm: hint,
            root_bracket: None,
        }
    }

    /// The cutoff at which the implied offer `x_k` is exactly 0, between an infeasible `a` and a
    /// feasible `b` with the next stage's reply `next_b` there (bisection on the monotone
    /// offer), with the next stage's reply there: the solve that found it feasible (a solve
    /// repeated there can land a rounding error lower, below 0).
    pub(super) fn feasibility_corner(
        &self,
        k: usize,
        mut a: f64,
        (mut b, mut next_b): (f64, Reply),
    ) -> (f64, Reply) {
        let mut hint = Some(next_b.offer);
        for _ in 0..200 {
            if b - a <= 1e-15 * (1.0 + b.abs()) {
                break;
            }
            let m = 0.5 * (a + b);
            let next = self.best_reply(k + 1, m, hint);
            hint = Some(next.offer);
            if self.implied_offer(k, m, next.offer) < 0.0 {
                a = m;
            } else {
                (b, next_b) = (m, next);
            }
        }
        (b, next_b)
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::stage_solver::StageSolver;
    use super::super::scan::{Scan, WITH_TABLE};
    use super::super::Best;
    use super::{Refined, ROOT_SIDE_DEPTH};
    use crate::model::{Family, Game, Protocol, Scalars, Side, Threshold};

    /// The middle stage's `d x_k / d c` by the implicit function theorem agrees with central
    /// differences of global re-solves (families, proposers, poll cutoffs around the middle).
    #[test]
    fn offer_slope_by_implicit_function_matches_re_solves() {
        let mut checked = 0;
        for (family, location, scale) in [
            (Family::Logistic, 0.35, 0.12),
            (Family::Normal, 0.5, 0.2),
            (Family::Logistic, 0.1, 0.3),
        ] {
            for proposer in [Side::Foreign, Side::Home] {
                let game = Game {
                    home: Threshold::new(family, location, scale),
                    foreign: None,
                    proposer,
                    protocol: Protocol {
                        poll: true,
                        renegotiation: true,
                    },
                    scalars: Scalars {
                        rho: 0.7,
                        delta_ratifier: 0.8,
                        delta_proposer: 0.9,
                        poll_weight: 0.4,
                    },
                };
                let solver = StageSolver::new(&game, true);
                for p in [0.2, 0.4, 0.6] {
                    let c = game.home.quantile(p);
                    let reply = solver.earlier_stage(1, c);
                    let Some(slope) = solver.offer_slope_by_implicit_function(1, c, &reply) else {
                        continue;
                    };
                    let eps = 1e-5 * scale;
                    let at = |x: f64| solver.earlier_stage(1, x).offer;
                    let reference = (at(c + eps) - at(c - eps)) / (2.0 * eps);
                    assert!(
                        (slope - reference).abs() <= 1e-4 * (1.0 + reference.abs()),
                        "{family:?} {proposer:?} p = {p}: implicit {slope} vs re-solved {reference}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked >= 9, "only {checked} interior optima checked");
    }

    /// A root search in a cell of the scan that holds two maxima around a minimum reaches one
    /// of them, which one depending on where it starts; the search beside the root finds the
    /// other. Here (the middle stage of a game with a wide logistic home and a steep normal
    /// foreign cliff, found by a random-seed run of the steep-foreign property) one cell holds
    /// maxima at cutoffs 0.2756 and 0.3215, 2e-6 apart in value (relative); a root search
    /// started between the minimum and the cell's right end reaches the lower one.
    #[test]
    fn the_search_beside_a_root_finds_the_other_maximum_of_its_bracket() {
        let game = Game {
            home: Threshold::new(
                Family::Logistic,
                0.637_390_480_765_538_3,
                16.471_697_340_812_014,
            ),
            foreign: Some(Threshold::new(
                Family::Normal,
                0.335_629_663_431_333_6,
                0.004_008_841_707_405_028,
            )),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.454_841_083_864_250_9,
                delta_ratifier: 0.501_551_712_822_07,
                delta_proposer: 0.0,
                poll_weight: 0.536_747_497_844_261_8,
            },
        };
        let c = -0.449_054_694_662_312_6;
        let solver = StageSolver::new(&game, false);
        let table = solver.continuation_table(1).expect("a middle stage");
        let mut scan = Scan::<WITH_TABLE>::new(Some(table));
        solver.scan(1, c, (solver.lowest_cutoff(1, c), 1.0), true, &mut scan);
        let grid = scan.grid();
        let i = grid.partition_point(|&t| t < 0.3);
        let (a, b) = (grid[i - 1], grid[i]);
        let (sa, sb) = (scan.slope(i - 1).unwrap(), scan.slope(i).unwrap());
        assert!(
            a < 0.2756 && b > 0.3215 && sa > 0.0 && sb < 0.0,
            "cell [{a}, {b}]"
        );
        let m = 0.3;
        let (sm, _) = solver.stage_slope(1, c, m, None);
        assert!(sm > 0.0, "slope {sm} at {m}");
        let (root, warm) = solver.slope_root(1, c, m, b, sm, sb, None, &[]);
        assert!((root - 0.3215).abs() < 1e-3, "root {root}");
        let mut best = Best {
            solver: &solver,
            c,
            lambda: solver.transitions[2].lambda,
            best: None,
        };
        let refined = Refined {
            at: root,
            interior: true,
            warm,
            root_bracket: Some([(a, sa), (b, sb)]),
        };
        let hint = |x: f64| scan.offer_at(x).or_else(|| solver.table_hint(x));
        solver.consider_refinement(
            1,
            c,
            refined,
            &hint,
            Some(&scan),
            &mut best,
            ROOT_SIDE_DEPTH,
        );
        let (value, reply) = best.best.expect("a candidate");
        let (at_root, _, _) = solver.stage_value(1, c, root, warm).unwrap();
        assert!(
            (reply.cutoff - 0.2756).abs() < 1e-3 && value > at_root * (1.0 + 1e-6),
            "kept {} (value {value:e}) against the root {root} (value {at_root:e})",
            reply.cutoff
        );
    }
}
