//! The scan of an earlier stage's objective in its cutoff `c_k` on `[low, high]`:
//!
//! ```text
//! c_k ↦ π(x_k)·[G(c_k) − G(c)] + λ_{k+1}·W_{k+1}(c_k),
//!       x_k = c_k + κ_{k+1}·max(x_{k+1}(c_k) − c_k, 0)
//! ```
//!
//! at points uniform in `c_k` and uniform in the quantiles `G(c_k)`, with the next stage's
//! solve at each point warm-started from the previous points'. Its local maxima are the
//! candidates that `refinement.rs` refines; its cells are where `kink_crossings.rs` looks for
//! the offer crossing a kink of `π`.

use super::super::stage_solver::{Reply, StageSolver};

/// Grid points (uniform in `c`) of the scan of an earlier stage's objective.
const SCAN_UNIFORM: usize = 7;
/// Grid points (uniform in `G(c)`) of the scan of an earlier stage's objective.
const SCAN_QUANTILE: usize = 7;

/// The scan of one earlier stage given `c`.
pub(super) struct Scan {
    /// The grid, sorted and without near-duplicates (the first `n_grid` entries).
    grid: [f64; SCAN_UNIFORM + SCAN_QUANTILE],
    /// At each grid point `c_k`: the stage value and the offer `x_k` (`None` where `x_k` would
    /// be negative).
    values: [Option<(f64, f64)>; SCAN_UNIFORM + SCAN_QUANTILE],
    /// The next stage's reply at each grid point, feasible or not (`None` at a point skipped
    /// as a duplicate).
    replies: [Option<Reply>; SCAN_UNIFORM + SCAN_QUANTILE],
    n_grid: usize,
    /// Local maxima of the scan (grid indices), best first (the first `n_peaks` entries).
    peaks: [usize; SCAN_UNIFORM + SCAN_QUANTILE],
    n_peaks: usize,
}

impl Scan {
    /// The grid points, sorted.
    pub(super) fn grid(&self) -> &[f64] {
        &self.grid[..self.n_grid]
    }

    /// Value, offer and next stage's reply at grid point `i` (`None`: infeasible).
    pub(super) fn point(&self, i: usize) -> Option<(f64, f64, Reply)> {
        self.values[i]
            .zip(self.replies[i])
            .map(|((value, offer), next)| (value, offer, next))
    }

    /// The next stage's reply at each grid point (`None` at a point skipped as a duplicate).
    pub(super) fn replies(&self) -> &[Option<Reply>] {
        &self.replies[..self.n_grid]
    }

    /// Local maxima of the scan (grid indices), best first.
    pub(super) fn peaks(&self) -> &[usize] {
        &self.peaks[..self.n_peaks]
    }

    /// [`Self::point`] at `x` if `x` is a grid point.
    pub(super) fn at(&self, x: f64) -> Option<(f64, f64, Reply)> {
        self.grid()
            .iter()
            .position(|&g| g == x)
            .and_then(|j| self.point(j))
    }

    /// The next stage's offer at a scan point.
    pub(super) fn offer_at(&self, x: f64) -> Option<f64> {
        self.at(x).map(|s| s.2.offer)
    }
}

impl<'a> StageSolver<'a> {
    /// Scans the stage-`k` objective given `c` on `[low, high]`.
    pub(super) fn scan(&self, k: usize, c: f64, low: f64, high: f64) -> Scan {
        // Scan grid: uniform in c and uniform in G(c), sorted; each next-stage solve is
        // warm-started from the previous grid point's (the next offer is nondecreasing in c).
        let mut grid = [0.0f64; SCAN_UNIFORM + SCAN_QUANTILE];
        let mut n_grid = 0;
        for i in 0..SCAN_UNIFORM {
            grid[n_grid] = low + (high - low) * i as f64 / (SCAN_UNIFORM - 1) as f64;
            n_grid += 1;
        }
        let (p_low, p_high) = (self.home.cdf(low), self.home.cdf(high));
        if p_high > p_low {
            for i in 1..=SCAN_QUANTILE {
                let p = p_low + (p_high - p_low) * i as f64 / (SCAN_QUANTILE + 1) as f64;
                if p > 0.0 && p < 1.0 {
                    let q = self.home.quantile(p);
                    if q > low && q < high {
                        grid[n_grid] = q;
                        n_grid += 1;
                    }
                }
            }
        }
        grid[..n_grid].sort_by(f64::total_cmp);
        // Drop near-duplicates (a point uniform in c and one uniform in G(c) can coincide up to
        // rounding, e.g. for a uniform G): a peak's neighbours must be distinct points, or its
        // refinement bracket is one-sided and misses a maximum on the other side.
        let mut distinct = 0;
        for i in 0..n_grid {
            if distinct == 0 || grid[i] - grid[distinct - 1] > 1e-9 * (1.0 + grid[i].abs()) {
                grid[distinct] = grid[i];
                distinct += 1;
            }
        }
        let n_grid = distinct;
        let mut values = [None; SCAN_UNIFORM + SCAN_QUANTILE];
        let mut replies = [None; SCAN_UNIFORM + SCAN_QUANTILE];
        // Warm start: extrapolate the next stage's offer linearly from the last two points.
        let mut previous: [Option<(f64, f64)>; 3] = [None, None, None];
        for (i, &g) in grid[..n_grid].iter().enumerate() {
            if i > 0 && (g - grid[i - 1]).abs() <= 1e-14 * (1.0 + g.abs()) {
                continue;
            }
            let hint = match previous {
                // Quadratic through the last three points (Newton's divided differences).
                [Some((c2, x2)), Some((c1, x1)), Some((c0, x0))] if c2 > c1 && c1 > c0 => {
                    let d21 = (x2 - x1) / (c2 - c1);
                    let d10 = (x1 - x0) / (c1 - c0);
                    let d210 = (d21 - d10) / (c2 - c0);
                    Some(x2 + (g - c2) * (d21 + d210 * (g - c1)))
                }
                [Some((c1, x1)), Some((c0, x0)), _] if c1 > c0 => {
                    Some(x1 + (x1 - x0) / (c1 - c0) * (g - c1))
                }
                [Some((_, x1)), _, _] => Some(x1),
                _ => None,
            };
            let next = self.best_reply(k + 1, g, hint);
            values[i] = self
                .stage_value_given(k, c, g, next)
                .map(|(value, offer, _)| (value, offer));
            replies[i] = Some(next);
            previous = [Some((g, next.offer)), previous[0], previous[1]];
        }

        // Local maxima of the scan, best first.
        let value_at = |i: usize| values[i].map(|s| s.0).unwrap_or(f64::NEG_INFINITY);
        let mut peaks = [0usize; SCAN_UNIFORM + SCAN_QUANTILE];
        let mut n_peaks = 0;
        for i in 0..n_grid {
            let v = value_at(i);
            if v > f64::NEG_INFINITY
                && (i == 0 || v >= value_at(i - 1))
                && (i + 1 == n_grid || v >= value_at(i + 1))
            {
                peaks[n_peaks] = i;
                n_peaks += 1;
            }
        }
        peaks[..n_peaks].sort_by(|&a, &b| value_at(b).total_cmp(&value_at(a)));
        Scan {
            grid,
            values,
            replies,
            n_grid,
            peaks,
            n_peaks,
        }
    }
}
