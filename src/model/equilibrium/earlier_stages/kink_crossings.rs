//! Refinement of the scan cells of an earlier stage in which its own offer crosses a kink or
//! cliff `x*` of `π` (the ends of a uniform foreign support, the middle of a smooth one) or,
//! for a home proposer, the peak `argmax π` just before the cliff: a peak of the stage's
//! objective there can hide between two scan points whose values fall away from it. The crossing
//! solves
//!
//! ```text
//! x_k(c_k) = c_k + κ_{k+1}·max(x_{k+1}(c_k) − c_k, 0) = x*
//! ```
//!
//! (regula falsi on the nondecreasing offer); it is a candidate itself, and on each side of it
//! points crowding geometrically toward it, `c_j = far + (near − far)·(1 − 2^−j)`, locate the
//! side's best point, refined between its neighbours (`refinement.rs`: a root of the stage's
//! slope on the side where the slope at the point says the maximum lies). A cell whose left end
//! is infeasible (`x_k < 0`) starts at the feasibility corner (`x_k = 0`): every profitable
//! cutoff can lie between the corner and the first feasible scan point.

use super::super::stage_solver::StageSolver;
use super::scan::{Scan, GRID_ONLY};
use super::Best;

/// Points crowding toward a crossing of a kink of `π`, on each side (halving the distance).
const CROWD: usize = 10;

impl<'a> StageSolver<'a> {
    /// Refines the cells of the stage-`k` scan given `c` in which the stage's offer crosses a
    /// kink or cliff of `π`, into `best`.
    pub(super) fn refine_kink_crossings<const N: usize>(
        &self,
        k: usize,
        c: f64,
        scan: &Scan<'_, N>,
        best: &mut Best,
    ) {
        if self.n_pi_kinks == 0 {
            return;
        }
        // The offers to cross: the kinks and cliffs of π and, for a home proposer (π rises
        // then falls at the cliff), its peak, where the stage's objective can peak as narrowly
        // as the cliff is steep.
        let mut targets = [f64::NAN; 3];
        targets[..self.n_pi_kinks].copy_from_slice(&self.pi_kinks[..self.n_pi_kinks]);
        let peak = self.pi_peak();
        if peak > 0.0 && peak < 1.0 && !targets.iter().any(|&x| (x - peak).abs() <= 1e-12) {
            targets[self.n_pi_kinks] = peak;
        }
        let grid = scan.grid();
        let n_grid = grid.len();
        // Cells where the stage's own offer crosses a kink or cliff of π: split at the
        // crossing and refine both sides (a peak there can hide between two scan points whose
        // values fall away from it).
        for i in 0..n_grid.saturating_sub(1) {
            let Some((_, offer_b, next_b)) = scan.point(i + 1) else {
                continue;
            };
            // A cell whose left end is infeasible (`x_k < 0`) starts at the feasibility corner
            // (`x_k = 0`), found only where the offer crosses a target in the cell.
            let mut corner = None;
            let mut left_end = || match scan.point(i) {
                Some((_, offer_a, next_a)) => Some((grid[i], offer_a, next_a)),
                None => *corner.get_or_insert_with(|| {
                    scan.reply(i)?;
                    let (x, next) = self.feasibility_corner(k, grid[i], (grid[i + 1], next_b));
                    Some((x, self.implied_offer(k, x, next.offer).max(0.0), next))
                }),
            };
            for &kink in &targets {
                if !(kink <= offer_b) {
                    continue;
                }
                let Some((a, offer_a, next_a)) = left_end() else {
                    continue;
                };
                if !(offer_a < kink) {
                    continue;
                }
                let cross = self.offer_preimage(
                    k,
                    (a, offer_a),
                    (grid[i + 1], offer_b),
                    kink,
                    next_a.offer,
                );
                if let Some((v, o, n)) = self.stage_value(k, c, cross, Some(next_a.offer)) {
                    best.consider(cross, v, o, n, false);
                }
                // Each side of the crossing is smooth, but it can rise to a narrow bump next to
                // the cliff after falling from the scan point. Points crowding geometrically
                // toward the crossing (down to 1/1024 of the side) locate the side's best
                // point and local maxima; each is refined between its neighbours.
                let inside = cross - 1e-9 * (cross - a);
                for (far, near) in [(a, inside), (grid[i + 1], cross)] {
                    let mut points = [(far, f64::NEG_INFINITY, None); CROWD + 2];
                    let mut warm = Some(scan.offer_at(far).unwrap_or(next_a.offer));
                    for (j, point) in points.iter_mut().enumerate() {
                        let x = if j == CROWD + 1 {
                            near
                        } else {
                            far + (near - far) * (1.0 - 0.5f64.powi(j as i32))
                        };
                        let next = self.best_reply(k + 1, x, warm);
                        warm = Some(next.offer);
                        let value = self.stage_value_given(k, c, x, next).map(|v| v.0);
                        *point = (x, value.unwrap_or(f64::NEG_INFINITY), Some(next.offer));
                    }
                    // The crowd's best point, and each of its local maxima refined between
                    // its neighbours (the bump can lie below the far point's value).
                    let value_at = |j: usize| points[j].1;
                    let n_points = points.len();
                    let top = (0..n_points)
                        .max_by(|&p, &q| value_at(p).total_cmp(&value_at(q)))
                        .expect("points");
                    for j in 0..n_points {
                        let (x, value, warm) = points[j];
                        let interior_peak = j > 0
                            && j + 1 < n_points
                            && value >= value_at(j - 1)
                            && value >= value_at(j + 1);
                        if !(value > f64::NEG_INFINITY) || !(j == top || interior_peak) {
                            continue;
                        }
                        if let Some((v, o, n)) = self.stage_value(k, c, x, warm) {
                            best.consider(x, v, o, n, false);
                        }
                        if !interior_peak {
                            continue;
                        }
                        let (lower, upper) = if far < near {
                            (points[j - 1], points[j + 1])
                        } else {
                            (points[j + 1], points[j - 1])
                        };
                        // The slope at the point picks the side of its bracket (a local minimum
                        // beside it can leave its neighbours' slopes of one sign).
                        let hint = |t: f64| match t {
                            t if t == lower.0 => lower.2,
                            t if t == upper.0 => upper.2,
                            _ => warm,
                        };
                        let bracket = [lower.0, x, upper.0];
                        self.consider_refined::<GRID_ONLY>(k, c, bracket, hint, None, best);
                    }
                }
            }
        }
    }

    /// The cutoff in `[a, b]` at which the implied offer `x_k` reaches `target`, given
    /// `x_k(a) = offer_a < target ≤ offer_b = x_k(b)`: regula falsi with the Illinois
    /// modification on the nondecreasing offer (a few next-stage solves where it is smooth),
    /// falling back to bisection where it jumps.
    fn offer_preimage(
        &self,
        k: usize,
        (mut a, offer_a): (f64, f64),
        (mut b, offer_b): (f64, f64),
        target: f64,
        hint: f64,
    ) -> f64 {
        let (mut fa, mut fb) = (offer_a - target, offer_b - target);
        let mut hint = Some(hint);
        let mut side = 0i32;
        for iteration in 0..200 {
            if b - a <= 1e-15 * (1.0 + b.abs()) {
                break;
            }
            // Every fourth step bisects, so that a jump of the offer cannot stall the bracket.
            let m = if iteration % 4 == 3 || !(fb > fa) {
                0.5 * (a + b)
            } else {
                (a - fa * (b - a) / (fb - fa)).clamp(a + 0.01 * (b - a), b - 0.01 * (b - a))
            };
            let next = self.best_reply(k + 1, m, hint);
            hint = Some(next.offer);
            let fm = self.implied_offer(k, m, next.offer) - target;
            if fm < 0.0 {
                (a, fa) = (m, fm);
                if side == -1 {
                    fb *= 0.5;
                }
                side = -1;
            } else {
                (b, fb) = (m, fm);
                if fm == 0.0 {
                    break;
                }
                if side == 1 {
                    fa *= 0.5;
                }
                side = 1;
            }
        }
        b
    }
}
