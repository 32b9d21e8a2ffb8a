//! The scan of an earlier stage's objective in its cutoff `c_k` on `[low, high]`:
//!
//! ```text
//! c_k ↦ π(x_k)·[G(c_k) − G(c)] + λ_{k+1}·W_{k+1}(c_k),
//!       x_k = c_k + κ_{k+1}·max(x_{k+1}(c_k) − c_k, 0)
//! ```
//!
//! at points uniform in `c_k` and uniform in the quantiles `G(c_k)`, with the next stage's
//! solve at each point warm-started from the previous points'. A middle stage takes the points
//! of its continuation table (`continuation_table.rs`, already solved) above `low`, and its own
//! grid's points only inside gaps of the table wider than its own grid's spacing (in `c_k` or in
//! `G(c_k)`), so its scan is never coarser than the grid alone. Where the next stage is the last,
//! each point also keeps the slope `x_{k+1}'(c_k)` of the next offer and the stage's slope
//! there (`refinement.rs`; at the table's points from the parts of it that do not depend on `c`,
//! kept with the table), at no further solve; where the next stage is a middle stage, each
//! solved point keeps the slope of its offer by the implicit function theorem (two last-stage
//! solves warm-started on its tangent) and the stage's slope. Its local maxima are the candidates that
//! `refinement.rs` refines; its cells are where `kink_crossings.rs` looks for the offer
//! crossing a kink of `π`.

use super::super::stage_solver::{Reply, StageSolver};
use super::continuation_table::{ContinuationTable, TABLE_CAPACITY};
use super::refinement::slope_from_terms;
use crate::model::distribution::{mass_by_tails, Threshold};

/// Grid points (uniform in `c`) of the scan of an earlier stage's objective.
const SCAN_UNIFORM: usize = 7;
/// Grid points (uniform in `G(c)`) of the scan of an earlier stage's objective.
const SCAN_QUANTILE: usize = 7;
/// Room for the grid alone.
pub(super) const GRID_ONLY: usize = SCAN_UNIFORM + SCAN_QUANTILE;
/// Room for the grid, the continuation table's points and the lower end.
pub(super) const WITH_TABLE: usize = SCAN_UNIFORM + SCAN_QUANTILE + TABLE_CAPACITY + 1;

/// Writes into `out` the sorted points of `[low, high]`: `n_uniform` uniform in the cutoff
/// (from `low` to `high`) and up to `n_quantile` uniform in `G` (strictly inside), without
/// near-duplicates (a point uniform in `c` and one uniform in `G(c)` can coincide up to
/// rounding, e.g. for a uniform `G`: a peak's neighbours must be distinct points, or its
/// refinement bracket is one-sided and misses a maximum on the other side). Returns how many.
#[inline]
pub(super) fn grid_points(
    home: &Threshold,
    low: f64,
    high: f64,
    n_uniform: usize,
    n_quantile: usize,
    out: &mut [f64],
) -> usize {
    let mut n = 0;
    for i in 0..n_uniform {
        out[n] = low + (high - low) * i as f64 / (n_uniform - 1) as f64;
        n += 1;
    }
    let (p_low, p_high) = (home.cdf(low), home.cdf(high));
    if p_high > p_low {
        for i in 1..=n_quantile {
            let p = p_low + (p_high - p_low) * i as f64 / (n_quantile + 1) as f64;
            if p > 0.0 && p < 1.0 {
                let q = home.quantile(p);
                if q > low && q < high {
                    out[n] = q;
                    n += 1;
                }
            }
        }
    }
    sort_distinct(&mut out[..n])
}

/// `x` lies beyond `previous` by more than a near-duplicate's distance (the one rule by which
/// the scan's grid drops near-duplicates).
#[inline]
fn beyond(previous: f64, x: f64) -> bool {
    x - previous > 1e-9 * (1.0 + x.abs())
}

/// Sorts `points` and drops near-duplicates; returns how many are left (at the front).
#[inline]
fn sort_distinct(points: &mut [f64]) -> usize {
    points.sort_by(f64::total_cmp);
    let mut distinct = 0;
    for i in 0..points.len() {
        if distinct == 0 || beyond(points[distinct - 1], points[i]) {
            points[distinct] = points[i];
            distinct += 1;
        }
    }
    distinct
}

/// Where the next stage's reply at a scan point comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// A point skipped as a duplicate.
    Skipped,
    /// The continuation table's entry `j`.
    Table(usize),
    /// The scan's own solve `j`.
    Own(usize),
}

/// Room for the scan's own solves: its grid and the lower end.
const OWN_CAPACITY: usize = GRID_ONLY + 2;

/// The scan of one earlier stage given `c`, with room for `N` points ([`GRID_ONLY`], or
/// [`WITH_TABLE`] with a continuation table: the stage solved most often stays small). The next
/// stage's replies at the table's points stay in the table.
pub(super) struct Scan<'t, const N: usize> {
    /// The grid, sorted and without near-duplicates (the first `n_grid` entries).
    grid: [f64; N],
    /// At each grid point `c_k`: the stage value and the offer `x_k` (`None` where `x_k` would
    /// be negative).
    values: [Option<(f64, f64)>; N],
    /// Where the next stage's reply at each grid point is.
    sources: [Source; N],
    /// At each grid point: the regime of the continuation ([`StageSolver::regime_of`]).
    regimes: [i32; N],
    /// The scan's own solves: the next stage's reply and, where the next stage is the last, the
    /// slope `x_{k+1}'(c_k)` of its offer (NaN otherwise).
    own: [Option<(Reply, f64)>; OWN_CAPACITY],
    /// At each grid point: the stage's slope in its cutoff (`refinement.rs`) where the next
    /// stage is the last and its offer's slope is known (NaN otherwise).
    slopes: [f64; N],
    /// At each grid point: the next stage's reply is an estimate from its continuation table
    /// (`estimate.rs`), to be settled by a solve before anything but the peaks relies on it.
    estimated: [bool; N],
    table: Option<&'t ContinuationTable>,
    n_grid: usize,
    /// Local maxima of the scan (grid indices), best first (the first `n_peaks` entries).
    peaks: [usize; N],
    n_peaks: usize,
}

impl<'t, const N: usize> Scan<'t, N> {
    /// An empty scan, for [`StageSolver::scan`] to fill in place (it is large: returned by
    /// value, it would be copied).
    #[inline]
    pub(super) fn new(table: Option<&'t ContinuationTable>) -> Self {
        Scan {
            grid: [0.0f64; N],
            values: [None; N],
            slopes: [f64::NAN; N],
            sources: [Source::Skipped; N],
            regimes: [0; N],
            own: [None; OWN_CAPACITY],
            estimated: [false; N],
            table,
            n_grid: 0,
            peaks: [0; N],
            n_peaks: 0,
        }
    }

    /// The grid points, sorted.
    pub(super) fn grid(&self) -> &[f64] {
        &self.grid[..self.n_grid]
    }

    /// The next stage's reply at grid point `i` and the slope of its offer (NaN where unknown).
    fn entry(&self, i: usize) -> Option<(Reply, f64)> {
        match self.sources[i] {
            Source::Skipped => None,
            Source::Table(j) => self.table.and_then(|t| t.entry(j)),
            Source::Own(j) => self.own[j],
        }
    }

    /// The next stage's reply at grid point `i` (`None` at a point skipped as a duplicate).
    pub(super) fn reply(&self, i: usize) -> Option<Reply> {
        self.entry(i).map(|e| e.0)
    }

    /// Value, offer and next stage's reply at grid point `i` (`None`: infeasible).
    pub(super) fn point(&self, i: usize) -> Option<(f64, f64, Reply)> {
        self.values[i]
            .zip(self.reply(i))
            .map(|((value, offer), next)| (value, offer, next))
    }

    /// The stage value at grid point `i` (`None`: infeasible, or skipped as a duplicate).
    pub(super) fn value(&self, i: usize) -> Option<f64> {
        self.values[i].map(|(value, _)| value)
    }

    /// Local maxima of the scan (grid indices), best first.
    pub(super) fn peaks(&self) -> &[usize] {
        &self.peaks[..self.n_peaks]
    }

    /// Whether the next stage's reply at grid point `i` is an estimate.
    pub(super) fn is_estimated(&self, i: usize) -> bool {
        self.estimated[i]
    }

    /// Replaces the estimate at grid point `i` (an own point) by the next stage's solved reply
    /// `next` and the stage value and offer `value` it gives, then finds the peaks again.
    pub(super) fn settle(&mut self, i: usize, next: Reply, value: Option<(f64, f64)>, regime: i32) {
        self.estimated[i] = false;
        self.slopes[i] = f64::NAN;
        self.regimes[i] = regime;
        if let Source::Own(j) = self.sources[i] {
            self.own[j] = Some((next, f64::NAN));
            self.values[i] = value;
            self.find_peaks();
        }
    }

    /// Sets the stage's slope `slope` and the next offer's slope `next_slope` at grid point `i`
    /// (an own point), computed where the scan did not know them
    /// ([`StageSolver::complete_slopes`]).
    pub(super) fn set_slopes(&mut self, i: usize, slope: f64, next_slope: f64) {
        if let Source::Own(j) = self.sources[i] {
            if let Some((_, s)) = self.own[j].as_mut() {
                *s = next_slope;
                self.slopes[i] = slope;
            }
        }
    }

    /// Local maxima of the scan, best first.
    fn find_peaks(&mut self) {
        let values = &self.values;
        let value_at = |i: usize| values[i].map(|s| s.0).unwrap_or(f64::NEG_INFINITY);
        let n_grid = self.n_grid;
        self.n_peaks = 0;
        for i in 0..n_grid {
            let v = value_at(i);
            if v > f64::NEG_INFINITY
                && (i == 0 || v >= value_at(i - 1))
                && (i + 1 == n_grid || v >= value_at(i + 1))
            {
                self.peaks[self.n_peaks] = i;
                self.n_peaks += 1;
            }
        }
        self.peaks[..self.n_peaks].sort_by(|&a, &b| value_at(b).total_cmp(&value_at(a)));
    }

    /// The index of `x` if it is a grid point.
    fn index(&self, x: f64) -> Option<usize> {
        let grid = self.grid();
        let i = grid.partition_point(|&g| g < x);
        (i < grid.len() && grid[i] == x).then_some(i)
    }

    /// [`Self::point`] at `x` if `x` is a grid point.
    pub(super) fn at(&self, x: f64) -> Option<(f64, f64, Reply)> {
        self.index(x).and_then(|i| self.point(i))
    }

    /// The regime of the continuation at grid point `i` ([`StageSolver::regime_of`]).
    pub(super) fn regime(&self, i: usize) -> i32 {
        self.regimes[i]
    }

    /// [`Self::regime`] at `x` if `x` is a grid point (not one skipped as a duplicate).
    pub(super) fn regime_at(&self, x: f64) -> Option<i32> {
        self.index(x)
            .filter(|&i| self.entry(i).is_some())
            .map(|i| self.regimes[i])
    }

    /// The stage's slope at grid point `i` where it is known.
    pub(super) fn slope(&self, i: usize) -> Option<f64> {
        Some(self.slopes[i]).filter(|s| s.is_finite())
    }

    /// [`Self::slope`] at `x` if `x` is a grid point.
    pub(super) fn slope_at(&self, x: f64) -> Option<f64> {
        self.index(x).and_then(|i| self.slope(i))
    }

    /// The next stage's reply and the slope of its offer at `x` if `x` is a grid point where
    /// the slope is known.
    pub(super) fn next_with_slope(&self, x: f64) -> Option<(Reply, f64)> {
        self.index(x)
            .and_then(|i| self.entry(i))
            .filter(|e| e.1.is_finite())
    }

    /// The next stage's offer at a scan point.
    pub(super) fn offer_at(&self, x: f64) -> Option<f64> {
        self.at(x).map(|s| s.2.offer)
    }
}

impl<'a> StageSolver<'a> {
    /// Scans the stage-`k` objective given `c` on `[low, high]` into the empty `scan`
    /// ([`Scan::new`]), merging the points of its continuation table (that of a middle stage;
    /// `N` = [`WITH_TABLE`]) and, with `fill`, the scan's own points inside the table's gaps
    /// wider than its own grid's spacing (without, the table's points and the ends only: an
    /// estimate, `estimate.rs`).
    pub(super) fn scan<const N: usize>(
        &self,
        k: usize,
        c: f64,
        (low, high): (f64, f64),
        fill: bool,
        scan: &mut Scan<'_, N>,
    ) {
        let table = scan.table;
        // Scan grid: uniform in c and uniform in G(c), sorted; each next-stage solve is
        // warm-started from the previous grid point's (the next offer is nondecreasing in c).
        // The table index of each grid point that is a table point.
        let mut from_table = [None; N];
        scan.n_grid = match table {
            Some(table) => {
                self.merge_table(table, low, high, fill, &mut scan.grid, &mut from_table)
            }
            None => grid_points(
                self.home,
                low,
                high,
                SCAN_UNIFORM,
                SCAN_QUANTILE,
                &mut scan.grid,
            ),
        };
        let (grid, n_grid) = (&scan.grid, scan.n_grid);
        // `G(c)` and `1 − G(c)` for the mass at table points (`mass_by_tails`).
        let (cdf_c, sf_c) = if table.is_some() && c > f64::NEG_INFINITY {
            (self.home.cdf(c), self.home.sf(c))
        } else {
            (0.0, 1.0)
        };
        let mut n_own = 0;
        let next_is_last = k + 1 == self.last();
        let next_is_middle = k + 2 == self.last();
        let estimate = table.is_none() && self.estimates_next_stage(k);
        // Warm start: extrapolate the next stage's offer from the last three points.
        let mut previous: [Option<(f64, f64)>; 3] = [None, None, None];
        for (i, &g) in grid[..n_grid].iter().enumerate() {
            if i > 0 && (g - grid[i - 1]).abs() <= 1e-14 * (1.0 + g.abs()) {
                continue;
            }
            let next = match (from_table[i], table) {
                (Some(j), Some(table)) => {
                    let Some((entry, _)) = table.entry(j) else {
                        continue;
                    };
                    let (cdf_g, sf_g) = table.probabilities(j);
                    let mass = if g > c {
                        mass_by_tails(c, cdf_g, || cdf_c, || (sf_c, sf_g))
                    } else {
                        0.0
                    };
                    scan.values[i] = table
                        .terms(j)
                        .map(|(offer, pi, continuation)| (pi * mass + continuation, offer));
                    if let Some(terms) = table.slope_terms(j) {
                        scan.slopes[i] = slope_from_terms(terms, mass);
                    }
                    scan.sources[i] = Source::Table(j);
                    scan.regimes[i] = table.regime(j);
                    entry
                }
                _ => {
                    let hint = || match previous {
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
                    let entry = match table {
                        Some(table) if next_is_last => {
                            let kept = table.recent.borrow().at(g);
                            kept.unwrap_or_else(|| {
                                self.last_stage(g, table.hint(g).or_else(hint), true)
                            })
                        }
                        _ if estimate => {
                            scan.estimated[i] = true;
                            (self.next_stage_estimate(k + 1, g), f64::NAN)
                        }
                        _ => {
                            let next = self.best_reply(k + 1, g, hint());
                            // Where the next stage is a middle stage, the slope of its offer
                            // at an interior optimum (implicit function theorem: two warm
                            // last-stage solves) gives the stage's slope here, for the test of
                            // maxima hidden inside a cell (`refinement.rs`).
                            let dnext = if next_is_middle {
                                self.next_offer_slope(k, g, &next)
                            } else {
                                f64::NAN
                            };
                            (next, dnext)
                        }
                    };
                    scan.values[i] = self
                        .stage_value_given(k, c, g, entry.0)
                        .map(|(value, offer, _)| (value, offer));
                    if entry.1.is_finite() {
                        scan.slopes[i] = self.stage_slope_given(k, c, g, &entry.0, entry.1);
                    }
                    scan.own[n_own] = Some(entry);
                    scan.sources[i] = Source::Own(n_own);
                    scan.regimes[i] = self.regime_of(k, g, &entry.0);
                    n_own += 1;
                    entry.0
                }
            };
            previous = [Some((g, next.offer)), previous[0], previous[1]];
        }

        scan.find_peaks();
    }

    /// Merges the continuation table's points in `(low, high]` into the scan's `grid` with the
    /// points of the scan's own grid ([`grid_points`] on `[low, high]`) that lie inside gaps of
    /// the table (with `low` and `high`) wider than the grid's spacing, in the cutoff or in `G` of
    /// it; a quantile point of the own grid is computed only where such a gap needs it. Writes
    /// the table index of each table point into `from_table` and returns the merged grid's length
    /// (sorted by construction, near-duplicates dropped as in [`sort_distinct`]).
    fn merge_table<const N: usize>(
        &self,
        table: &ContinuationTable,
        low: f64,
        high: f64,
        fill: bool,
        grid: &mut [f64; N],
        from_table: &mut [Option<usize>; N],
    ) -> usize {
        let step_c = (high - low) / (SCAN_UNIFORM - 1) as f64;
        let (p_low, p_high) = (self.home.cdf(low), self.home.cdf(high));
        let step_p = (p_high - p_low) / (SCAN_QUANTILE + 1) as f64;
        // The own grid's points uniform in the cutoff, and uniform in G (as `grid_points`).
        let uniform = |i: usize| low + (high - low) * i as f64 / (SCAN_UNIFORM - 1) as f64;
        let level = |i: usize| p_low + (p_high - p_low) * i as f64 / (SCAN_QUANTILE + 1) as f64;
        // The merged points with G at each (the table's are stored) and their table index.
        let mut merged = [(0.0, 0.0, None); TABLE_CAPACITY + 2];
        let mut m = 0;
        merged[m] = (low, p_low, None);
        m += 1;
        for (j, &t) in table.points().iter().enumerate() {
            if t > low && t <= high {
                merged[m] = (t, table.probabilities(j).0, Some(j));
                m += 1;
            }
        }
        if merged[m - 1].0 < high {
            merged[m] = (high, p_high, None);
            m += 1;
        }
        let mut n = 0;
        let mut push = |x: f64, j: Option<usize>, n: &mut usize| {
            if *n == 0 || beyond(grid[*n - 1], x) {
                grid[*n] = x;
                from_table[*n] = j;
                *n += 1;
            }
        };
        for w in 0..m {
            let (a, pa, j) = merged[w];
            push(a, j, &mut n);
            if w + 1 == m {
                break;
            }
            let (b, pb, _) = merged[w + 1];
            if !(fill && (b - a > step_c || pb - pa > step_p)) {
                continue;
            }
            // The own points inside (a, b), both kinds in increasing order, merged.
            let mut own = [0.0; SCAN_UNIFORM + SCAN_QUANTILE];
            let mut n_own = 0;
            let mut quantiles = (1..=SCAN_QUANTILE)
                .filter(|&i| {
                    let p = level(i);
                    p > 0.0 && p < 1.0 && p >= pa && p <= pb
                })
                .map(|i| self.home.quantile(level(i)))
                .filter(|&q| q > low && q < high && q > a && q < b)
                .peekable();
            let mut uniforms = (0..SCAN_UNIFORM)
                .map(uniform)
                .filter(|&g| g > a && g < b)
                .peekable();
            loop {
                let next = match (uniforms.peek(), quantiles.peek()) {
                    (Some(&u), Some(&q)) if q < u => quantiles.next(),
                    (Some(_), _) => uniforms.next(),
                    (None, Some(_)) => quantiles.next(),
                    (None, None) => break,
                };
                if let Some(g) = next {
                    own[n_own] = g;
                    n_own += 1;
                }
            }
            for &g in &own[..n_own] {
                push(g, None, &mut n);
            }
        }
        n
    }
}
