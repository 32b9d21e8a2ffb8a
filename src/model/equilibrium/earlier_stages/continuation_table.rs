//! The last stage's replies on a fixed grid of cutoffs, solved once per game and shared by every
//! solve of a middle stage (the vote of `[poll, vote, renegotiation]`).
//!
//! A middle stage's objective given the cutoff `c` of the types already gone,
//!
//! ```text
//! V(t; c) = π(x_k(t))·[G(t) − G(c)] + λ_{k+1}·W_{k+1}(t),   x_k(t) = t + κ_{k+1}·max(x_{k+1}(t) − t, 0),
//! ```
//!
//! depends on `c` only through `G(c)` and the feasible set `t ≥ c`: the continuation
//! `(x_{k+1}(t), W_{k+1}(t), x_{k+1}'(t))` is the same for every `c`. The first stage solves the
//! middle stage at some forty cutoffs `c`, and each solve scans `t`; solving the last stage once
//! per grid point `t_j` here, uniform in `t` and in `G(t)` on the middle stage's feasible
//! cutoffs, turns those scans into table look-ups (`scan.rs` merges the grid points above `c`
//! with its own points where the table is sparser than its grid), and the table's offers and
//! slopes give every other last-stage solve of the middle stage a warm start (cubic Hermite
//! interpolation, [`ContinuationTable::hint`]).

use super::super::stage_solver::{Reply, StageSolver};
use super::hermite::hermite;
use super::scan::grid_points;

/// Table points uniform in the cutoff.
const TABLE_UNIFORM: usize = 24;
/// Table points uniform in `G` of the cutoff.
const TABLE_QUANTILE: usize = 24;
/// The table's capacity.
pub(super) const TABLE_CAPACITY: usize = TABLE_UNIFORM + TABLE_QUANTILE;

/// The last stage's reply and the slope `dx_K/dt` of its offer at each grid point `t_j`.
pub(in crate::model::equilibrium) struct ContinuationTable {
    points: [f64; TABLE_CAPACITY],
    replies: [Option<(Reply, f64)>; TABLE_CAPACITY],
    /// `(G(t_j), 1 − G(t_j))`.
    probabilities: [(f64, f64); TABLE_CAPACITY],
    /// The middle stage's terms at each grid point that do not depend on `c`
    /// ([`StageSolver::stage_terms`]: the offer, `π` of it and the continuation value).
    terms: [Option<(f64, f64, f64)>; TABLE_CAPACITY],
    /// The regime of the continuation at each grid point ([`StageSolver::regime_of`]: it does
    /// not depend on `c`).
    regimes: [i32; TABLE_CAPACITY],
    /// The parts of the middle stage's slope at each grid point that do not depend on `c`
    /// ([`StageSolver::stage_slope_terms`]; `None` where the offer's slope is not finite).
    slope_terms: [Option<(f64, f64, f64)>; TABLE_CAPACITY],
    n: usize,
    /// The latest last-stage solves of the middle stage's searches.
    pub(super) recent: std::cell::RefCell<RecentSolves>,
}

impl ContinuationTable {
    /// The grid points, sorted.
    pub(super) fn points(&self) -> &[f64] {
        &self.points[..self.n]
    }

    /// The last stage's reply and offer slope at grid point `j`.
    pub(super) fn entry(&self, j: usize) -> Option<(Reply, f64)> {
        self.replies[j]
    }

    /// The regime of the continuation at grid point `j` ([`StageSolver::regime_of`]).
    pub(super) fn regime(&self, j: usize) -> i32 {
        self.regimes[j]
    }

    /// The middle stage's terms at grid point `j` that do not depend on `c` (`None`: the offer
    /// would be negative, or no reply).
    pub(super) fn terms(&self, j: usize) -> Option<(f64, f64, f64)> {
        self.terms[j]
    }

    /// The parts of the middle stage's slope at grid point `j` that do not depend on `c`
    /// (`None`: the offer's slope is not finite, or no reply).
    pub(super) fn slope_terms(&self, j: usize) -> Option<(f64, f64, f64)> {
        self.slope_terms[j]
    }

    /// `(G(t_j), 1 − G(t_j))` at grid point `j`.
    pub(super) fn probabilities(&self, j: usize) -> (f64, f64) {
        self.probabilities[j]
    }

    /// A warm start for the last stage at cutoff `t`: the cubic Hermite interpolant of the
    /// offers and slopes at the grid points around `t` (linear where a slope is not finite).
    /// `None` outside the grid.
    pub(in crate::model::equilibrium) fn hint(&self, t: f64) -> Option<f64> {
        let j = self.points().partition_point(|&p| p <= t);
        if j == 0 || j >= self.n {
            return None;
        }
        let (a, b) = (self.points[j - 1], self.points[j]);
        let ((ra, da), (rb, db)) = (self.replies[j - 1]?, self.replies[j]?);
        let (ya, yb) = (ra.offer, rb.offer);
        if !(da.is_finite() && db.is_finite()) {
            return Some(ya + (t - a) / (b - a) * (yb - ya));
        }
        Some(hermite((a, ya, da), (b, yb, db), t))
    }
}

impl<'a> StageSolver<'a> {
    /// The last stage's reply and offer slope at cutoff `c` if a middle stage's search has kept
    /// them (`RecentSolves`).
    #[inline]
    pub(in crate::model::equilibrium) fn kept_last_stage(&self, c: f64) -> Option<(Reply, f64)> {
        self.continuation.get()?.recent.borrow().at(c)
    }

    /// Keeps the last stage's reply and offer slope at cutoff `c` for a middle stage's later
    /// searches (if it has a continuation table).
    #[inline]
    pub(in crate::model::equilibrium) fn keep_last_stage(&self, c: f64, reply: Reply, slope: f64) {
        if let Some(table) = self.continuation.get() {
            table.recent.borrow_mut().record(c, reply, slope);
        }
    }

    /// The table of the last stage's replies for the middle stage `k` (`k ≥ 1` and `k + 1` the
    /// last stage; `None` otherwise, and in a certified solve, whose branch and bound starts
    /// from its own scan), built on first use on `[low, 1]`, `low` the lowest cutoff the stage
    /// can choose.
    pub(super) fn continuation_table(&self, k: usize) -> Option<&ContinuationTable> {
        if self.certify || k == 0 || k + 1 != self.last() {
            return None;
        }
        let table = self.continuation.get_or_init(|| {
            let low = self.lowest_cutoff(k, f64::NEG_INFINITY);
            let mut points = [0.0; TABLE_CAPACITY];
            let n = grid_points(
                self.home,
                low,
                1.0,
                TABLE_UNIFORM,
                TABLE_QUANTILE,
                &mut points,
            );
            let mut replies = [None; TABLE_CAPACITY];
            // Each solve is warm-started from the cubic through the previous two points' offers
            // and slopes (along the previous point's tangent at the second point).
            let mut previous: [Option<(f64, f64, f64)>; 2] = [None, None];
            for (reply, &t) in replies.iter_mut().zip(&points[..n]) {
                let warm = match previous {
                    [Some(p1), Some(p0)] => Some(hermite(p0, p1, t)),
                    [Some((tp, y, dy)), None] => Some(y + dy * (t - tp)),
                    _ => None,
                };
                let (next, slope) = self.last_stage(t, warm, true);
                let slope_or_flat = if slope.is_finite() { slope } else { 0.0 };
                previous = [Some((t, next.offer, slope_or_flat)), previous[0]];
                *reply = Some((next, slope));
            }
            let mut probabilities = [(0.0, 0.0); TABLE_CAPACITY];
            for (p, &t) in probabilities.iter_mut().zip(&points[..n]) {
                *p = (self.home.cdf(t), self.home.sf(t));
            }
            let mut terms = [None; TABLE_CAPACITY];
            for (term, (&t, reply)) in terms.iter_mut().zip(points[..n].iter().zip(&replies)) {
                *term = reply.and_then(|(next, _)| self.stage_terms(k, t, &next));
            }
            let mut regimes = [0; TABLE_CAPACITY];
            for (regime, (&t, reply)) in regimes.iter_mut().zip(points[..n].iter().zip(&replies)) {
                *regime = reply.map_or(0, |(next, _)| self.regime_of(k, t, &next));
            }
            let mut slope_terms = [None; TABLE_CAPACITY];
            for (term, (&t, reply)) in slope_terms.iter_mut().zip(points[..n].iter().zip(&replies))
            {
                *term = reply
                    .filter(|(_, slope)| slope.is_finite())
                    .map(|(next, slope)| self.stage_slope_terms(k, t, &next, slope));
            }
            Box::new(ContinuationTable {
                points,
                replies,
                probabilities,
                terms,
                regimes,
                slope_terms,
                n,
                recent: std::cell::RefCell::new(RecentSolves::new()),
            })
        });
        Some(table)
    }
}

/// How many of the latest last-stage solves [`RecentSolves`] keeps.
const RECENT: usize = 8;

/// The latest last-stage solves (with the slope of the offer) of a middle stage's searches: the
/// points of its slope's root searches and its "nobody accepts" reply at `c`. The middle stage's
/// scan starts at `c` too (when `c` is feasible), and its value at a root is that of the root
/// search's last point, so each of those solves is made once instead of twice.
pub(super) struct RecentSolves {
    entries: [(f64, Reply, f64); RECENT],
    n: usize,
    next: usize,
}

impl RecentSolves {
    fn new() -> Self {
        let empty = Reply {
            offer: f64::NAN,
            cutoff: f64::NAN,
            value: f64::NAN,
            marginal: f64::NAN,
            interior: false,
            next_offer: f64::NAN,
            certificate: super::super::certificate::Certificate::Unchecked,
            bound: f64::NAN,
        };
        RecentSolves {
            entries: [(f64::NAN, empty, f64::NAN); RECENT],
            n: 0,
            next: 0,
        }
    }

    /// Keeps the last stage's reply at cutoff `t` and the slope of its offer (replacing the
    /// oldest entry when full).
    pub(super) fn record(&mut self, t: f64, reply: Reply, slope: f64) {
        self.entries[self.next] = (t, reply, slope);
        self.next = (self.next + 1) % RECENT;
        self.n = (self.n + 1).min(RECENT);
    }

    /// The kept solves.
    pub(super) fn entries(&self) -> &[(f64, Reply, f64)] {
        &self.entries[..self.n]
    }

    /// The kept solve at exactly `t`, if any.
    pub(in crate::model::equilibrium) fn at(&self, t: f64) -> Option<(Reply, f64)> {
        self.entries()
            .iter()
            .find(|e| e.0 == t)
            .map(|&(_, reply, slope)| (reply, slope))
    }
}
