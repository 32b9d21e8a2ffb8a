//! Estimates of a middle stage's reply for the first stage's scan, and their settlement.
//!
//! The first stage of `[poll, vote, renegotiation]` scans its cutoff on a grid and needs, at each
//! grid point `c`, the middle stage's value `W_{k+1}(c)` and offer `x_{k+1}(c)` only to rank the
//! points and find the scan's peaks. The estimate scans the middle stage at `c` on the points of
//! its continuation table (`continuation_table.rs`) and the scan's ends only, without the own
//! points that a solve adds where the table is sparser than its grid, and instead of refining
//! each peak by a root of its slope it takes the maximum of the cubic Hermite interpolant of the
//! middle stage's objective on the peak's cell, through the values and slopes at the cell's ends
//! (both known at those points):
//!
//! ```text
//! V(t; c) = π(x_k(t))·[G(t) − G(c)] + λ_{k+1}·W_{k+1}(t),    V'(t; c) = F(t; c)   (refinement.rs)
//! ```
//!
//! Its error is of the fourth order in the cell's width (rougher where the table is sparse, in
//! the upper tail); an estimate only ranks the first stage's grid points. Before anything relies
//! on a point's reply (the refinement of a peak reads the replies at the peak and both
//! neighbours; a candidate's value is compared), [`StageSolver::settle_estimates`] replaces the
//! estimates at the best peaks and their neighbours by solves, finds the peaks again, and
//! repeats until those points are all solved: the peaks that the refinement starts from are
//! peaks of solved values.
//!
//! Estimates are used where the middle stage's objective is smooth in its cutoff: no kink or
//! cliff of `π` (a foreign constraint) and no jump of the last stage's first-order condition (a
//! uniform home support). Elsewhere every scan point is solved. An estimated point carries no
//! slope, so the test for maxima hidden inside a cell (`refinement.rs`) does not look into the
//! cells between estimates: a jump of the middle stage's optimum from one of its maxima to
//! another would go unseen there. None was found where estimates are used: in 400 random
//! logistic and normal games without a foreign constraint (location in [−1, 2], scale
//! log-uniform in [1e−3, 1e2], either proposer), the middle stage's objective, on 600 points at
//! each of 39 poll cutoffs, never had two local maxima within 0.1% of its maximum (with a
//! uniform home: 3 games in 400).

use super::super::stage_solver::{Reply, StageSolver};
use super::hermite::{hermite, hermite_extrema};
use super::scan::Scan;
use super::Best;

// The scan's best peaks settled and estimated are those that `refinement.rs` refines.
use super::refinement::refined_peaks;

impl<'a> StageSolver<'a> {
    /// Whether the scan of stage `k` estimates the next stage's replies: stage `k + 1` is a
    /// middle stage with a continuation table and a smooth objective (see the module doc).
    pub(super) fn estimates_next_stage(&self, k: usize) -> bool {
        k + 2 == self.last()
            && !self.certify
            && self.n_pi_kinks == 0
            && self.kinks[..self.n_kinks]
                .iter()
                .all(|&x| x == 0.0 || x == 1.0)
    }

    /// The middle stage `k`'s reply given `c`, estimated (see the module doc).
    pub(super) fn next_stage_estimate(&self, k: usize, c: f64) -> Reply {
        self.search_earlier_stage(k, c, true)
    }

    /// For each of the best peaks of the middle stage's scan given `c`, the maximum of the cubic
    /// Hermite interpolant of the objective on the cell where its slope changes sign, into
    /// `best`; a peak at an end of the scan whose slope points out of it is its own estimate,
    /// and a peak without values and slopes that bracket a maximum is refined as in a solve.
    pub(super) fn estimate_peaks<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &Scan<'_, N>,
        best: &mut Best,
    ) {
        for &i in refined_peaks(scan) {
            match self.hermite_estimate(c, scan, i) {
                Some(estimate) => {
                    if let Some((value, offer, next)) = scan.point(i) {
                        best.consider(scan.grid()[i], value, offer, next, false);
                    }
                    if let Some((t, v, next_offer)) = estimate {
                        best.consider_estimate(
                            t,
                            v,
                            self.implied_offer(k, t, next_offer),
                            next_offer,
                        );
                    }
                }
                None => self.refine_peak(k, c, scan, i, best),
            }
        }
    }

    /// The estimate of the maximum next to peak `i` (see [`Self::estimate_peaks`]): `Some(None)`
    /// when the peak is at an end of the scan and the slope points out of it, `None` when the
    /// values and slopes do not bracket a maximum.
    #[allow(clippy::option_option)]
    fn hermite_estimate<const N: usize>(
        &self,
        c: f64,
        scan: &Scan<'_, N>,
        i: usize,
    ) -> Option<Option<(f64, f64, f64)>> {
        let grid = scan.grid();
        // The value, slope and next offer (with its slope) at grid point j.
        let at = |j: usize| {
            let (value, _, next) = scan.point(j)?;
            let (_, dnext) = scan.next_with_slope(grid[j])?;
            let slope = scan.slope(j)?;
            Some((grid[j], value, slope, next.offer, dnext))
        };
        let here = at(i)?;
        let neighbour = match here.2 {
            s if s > 0.0 && i + 1 < grid.len() => i + 1,
            s if s < 0.0 && i > 0 => i - 1,
            // A NaN slope is refined as in a solve.
            s if !s.is_nan() && s != 0.0 => return Some(None),
            _ => return None,
        };
        let there = at(neighbour)?;
        let (left, right) = if neighbour > i {
            (here, there)
        } else {
            (there, here)
        };
        let (t, v, next_offer) = hermite_maximum(left, right)?;
        (t > c).then_some(Some((t, v, next_offer)))
    }

    /// Settles the estimated replies of stage `k`'s scan given `c` at its best peaks and their
    /// neighbours by solving the next stage there, until those points are all solved.
    pub(super) fn settle_estimates<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &mut Scan<'_, N>,
    ) {
        loop {
            let n_grid = scan.grid().len();
            let pending = refined_peaks(scan)
                .iter()
                .flat_map(|&i| i.saturating_sub(1)..(i + 2).min(n_grid))
                .find(|&j| scan.is_estimated(j));
            let Some(j) = pending else {
                return;
            };
            let g = scan.grid()[j];
            let next = self.best_reply(k + 1, g, None);
            let value = self
                .stage_value_given(k, c, g, next)
                .map(|(value, offer, _)| (value, offer));
            scan.settle(j, next, value, self.regime_of(k, g, &next));
        }
    }
}

/// The maximum of the cubic Hermite interpolant on `[t0, t1]` through the values `v` and slopes
/// `s` at both ends, where the slope falls from positive to negative, with the next offer there
/// (the Hermite interpolant of the offers `y` and their slopes `d`). Points are
/// `(t, v, s, y, d)`.
fn hermite_maximum(
    (t0, v0, s0, y0, d0): (f64, f64, f64, f64, f64),
    (t1, v1, s1, y1, d1): (f64, f64, f64, f64, f64),
) -> Option<(f64, f64, f64)> {
    if !(s0 > 0.0 && s1 < 0.0 && d0.is_finite() && d1.is_finite()) {
        return None;
    }
    // The slope falls from positive to negative: the interpolant has one maximum inside.
    let t = hermite_extrema((t0, v0, s0), (t1, v1, s1)).0?;
    let value = hermite((t0, v0, s0), (t1, v1, s1), t);
    let offer = hermite((t0, y0, d0), (t1, y1, d1), t);
    Some((t, value, offer))
}

#[cfg(test)]
mod tests {
    use super::hermite_maximum;

    /// On a cubic the interpolant is exact: its maximum is found to rounding.
    #[test]
    fn hermite_maximum_of_a_cubic_is_exact() {
        // v(t) = −(t − 0.3)²·(1 + t) + 2 on [0, 1]: v' = −2(t − 0.3)(1 + t) − (t − 0.3)².
        let v = |t: f64| -(t - 0.3) * (t - 0.3) * (1.0 + t) + 2.0;
        let dv = |t: f64| -2.0 * (t - 0.3) * (1.0 + t) - (t - 0.3) * (t - 0.3);
        let y = |t: f64| 0.5 + 0.25 * t;
        let (t, value, offer) = hermite_maximum(
            (0.0, v(0.0), dv(0.0), y(0.0), 0.25),
            (1.0, v(1.0), dv(1.0), y(1.0), 0.25),
        )
        .expect("a maximum inside");
        assert!((t - 0.3).abs() < 1e-12, "{t}");
        assert!((value - 2.0).abs() < 1e-12, "{value}");
        assert!((offer - y(0.3)).abs() < 1e-12, "{offer}");
        // No sign change of the slope: no maximum inside.
        assert!(hermite_maximum(
            (0.5, v(0.5), dv(0.5), 0.0, 0.0),
            (1.0, v(1.0), dv(1.0), 0.0, 0.0)
        )
        .is_none());
    }
}
