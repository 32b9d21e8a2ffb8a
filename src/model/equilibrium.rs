//! The equilibrium of one observation's game (MODEL.md §3–4). Pure functions, no I/O.
//!
//! The proposer's payoff from a package `x` ratified at home is `π(x) = u(x)·G_F(1 − x)`. The
//! stage problems are solved backwards in the cutoff `c` below which types have already
//! accepted:
//!
//! ```text
//! W_K(c) = max_x   π(x)·[G(x) − G(c)]
//! W_k(c) = max_{c_k ≥ c}   π(x_k)·[G(c_k) − G(c)] + λ_{k+1}·W_{k+1}(c_k),
//!          x_k = c_k + κ_{k+1}·max(x_{k+1}(c_k) − c_k, 0)     (the cutoff type is indifferent)
//! ```
//!
//! * **Last stage.** `log π` and `log[G(x) − G(c)]` are concave in `x` for the three families
//!   (all log-concave), so the first-order condition
//!   `ψ(x) = (log π)'(x) + g(x)/[G(x) − G(c)] = 0` has one root; it is bracketed and solved by
//!   Brent's method, or the maximum is at a corner `x ∈ {max(0, c), 1}`.
//! * **Earlier stages.** The objective in `c_k` need not be concave. It is scanned on a grid
//!   that is uniform both in `c_k` and in the quantiles `G(c_k)`, every local maximum of the
//!   scan is refined by solving the first-order condition (envelope theorem:
//!   `W'_{k+1}(c) = −π(x_{k+1}) g(c)`), and the best of the refined points, the feasibility
//!   corner (`x_k = 0`) and "nobody accepts at this stage" (`c_k = c`) is returned. Ties go to
//!   "nobody accepts", so a fully strategic poll returns the one-shot path (MODEL.md §5).
//!
//! Outcome probabilities follow MODEL.md §4, with `P(failed)` computed from survival functions
//! (not as `1 − …`) so that it keeps its accuracy when it is tiny.

use super::distribution::Threshold;
use super::game::{Game, Proposer, Side, StageKind, Transition};
use super::numeric::{brent_root, golden_max};
use serde::Serialize;

/// Grid points (uniform in `c`) of the scan of an earlier stage's objective.
const SCAN_UNIFORM: usize = 12;
/// Grid points (uniform in `G(c)`) of the scan of an earlier stage's objective.
const SCAN_QUANTILE: usize = 12;
/// How many local maxima of the scan are refined.
const REFINE_CANDIDATES: usize = 3;
/// Values within this relative distance count as ties.
const TIE: f64 = 1e-12;

/// One stage of the equilibrium path.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StagePath {
    /// The stage's kind.
    pub kind: StageKind,
    /// The offer `x_k` (home share).
    pub offer: f64,
    /// The cutoff `c_k`: types `r ≤ c_k` still in the game accept (−∞ if nobody does).
    pub cutoff: f64,
    /// `P(accept at this stage)` (unconditional).
    pub p_accept: f64,
    /// `G_F(1 − x_k)`: the probability that the foreign ratifier accepts the package (1 when
    /// one-sided).
    pub p_foreign_accepts: f64,
    /// `P(r ∈ (c_k, x_k])` reaching this stage: types who reject a package they would accept in
    /// a one-shot game (strategic rejections).
    pub p_strategic: f64,
}

/// The equilibrium of one observation's game with a fixed proposer side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Equilibrium {
    /// The path, one entry per stage.
    pub stages: Vec<StagePath>,
    /// `P(ratified)`: acceptance at a poll or vote stage.
    pub p_ratified: f64,
    /// `P(renegotiated)`: acceptance at a renegotiation stage.
    pub p_renegotiated: f64,
    /// `P(failed)`.
    pub p_failed: f64,
}

impl Equilibrium {
    /// Expected home share of the surplus in agreements that enter into force (ratified at home
    /// and, with a two-sided constraint, abroad):
    /// `Σ_k P_k G_F(1 − x_k) x_k / Σ_k P_k G_F(1 − x_k)` with `P_k = P(accept at k)`
    /// (NaN if no agreement can enter into force).
    pub fn home_share(&self) -> f64 {
        let (num, den) = self.share_terms();
        num / den
    }

    /// `(Σ_k P_k G_F(1 − x_k) x_k, Σ_k P_k G_F(1 − x_k))`, for mixing over proposers.
    pub fn share_terms(&self) -> (f64, f64) {
        self.stages.iter().fold((0.0, 0.0), |(n, d), s| {
            let p = s.p_accept * s.p_foreign_accepts;
            (n + p * s.offer, d + p)
        })
    }

    /// The probability mass of strategic rejections, summed over stages.
    pub fn p_strategic(&self) -> f64 {
        self.stages.iter().map(|s| s.p_strategic).sum()
    }

    /// `P(outcome)` for the three outcomes, in the order ratified, renegotiated, failed.
    pub fn probabilities(&self) -> [f64; 3] {
        [self.p_ratified, self.p_renegotiated, self.p_failed]
    }
}

/// The equilibrium of an observation whose proposer may be mixed: the outcome probabilities
/// mix the two games' with weights `p_home` and `1 − p_home`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// `P(home proposes)`.
    pub p_home: f64,
    /// The game with the foreign negotiator proposing (absent if `p_home = 1`).
    pub foreign_proposes: Option<Equilibrium>,
    /// The game with the home negotiator proposing (absent if `p_home = 0`).
    pub home_proposes: Option<Equilibrium>,
    /// Mixed `P(ratified), P(renegotiated), P(failed)`.
    pub probabilities: [f64; 3],
    /// Expected home share in agreements that enter into force ([`Equilibrium::home_share`]).
    pub home_share: f64,
    /// Probability mass of strategic rejections.
    pub p_strategic: f64,
}

impl Solution {
    /// The offers along the path of the game that the proposer mix weights most (for reports);
    /// with a fixed proposer, that game's offers.
    pub fn offers(&self) -> Vec<f64> {
        let main = if self.p_home > 0.5 {
            self.home_proposes.as_ref()
        } else {
            self.foreign_proposes.as_ref()
        };
        main.or(self.home_proposes.as_ref())
            .map(|e| e.stages.iter().map(|s| s.offer).collect())
            .unwrap_or_default()
    }
}

/// Solves an observation's game under a (possibly mixed) proposer.
pub fn solve_with_proposer(game: &Game, proposer: Proposer) -> Solution {
    let p_home = match proposer {
        Proposer::Fixed(Side::Home) => 1.0,
        Proposer::Fixed(Side::Foreign) => 0.0,
        Proposer::Mixed { p_home } => p_home.clamp(0.0, 1.0),
    };
    let solve_side = |side: Side| {
        let mut g = *game;
        g.proposer = side;
        solve(&g)
    };
    let foreign_proposes = (p_home < 1.0).then(|| solve_side(Side::Foreign));
    let home_proposes = (p_home > 0.0).then(|| solve_side(Side::Home));
    let mut probabilities = [0.0; 3];
    let (mut share_num, mut share_den, mut strategic) = (0.0, 0.0, 0.0);
    for (eq, weight) in [
        (&foreign_proposes, 1.0 - p_home),
        (&home_proposes, p_home),
    ] {
        if let Some(eq) = eq {
            for (p, q) in probabilities.iter_mut().zip(eq.probabilities()) {
                *p += weight * q;
            }
            let (n, d) = eq.share_terms();
            share_num += weight * n;
            share_den += weight * d;
            strategic += weight * eq.p_strategic();
        }
    }
    Solution {
        p_home,
        foreign_proposes,
        home_proposes,
        probabilities,
        home_share: share_num / share_den,
        p_strategic: strategic,
    }
}

/// Solves an observation's game (fixed proposer side): the equilibrium path and the outcome
/// probabilities. Deterministic; finite probabilities in `[0, 1]` summing to 1 for every
/// admissible parameter value.
pub fn solve(game: &Game) -> Equilibrium {
    let solver = StageSolver::new(game);
    let kinds = game.protocol.stages();
    let mut stages = Vec::with_capacity(kinds.len());
    let mut previous_cutoff = f64::NEG_INFINITY;
    let mut reach = 1.0;
    let mut p_failed = 0.0;
    let (mut p_ratified, mut p_renegotiated) = (0.0, 0.0);
    for (k, &kind) in kinds.iter().enumerate() {
        if k > 0 {
            let t = solver.transitions[k];
            // Rejected at stage k−1 and the game ends before stage k.
            p_failed += reach * (1.0 - t.reach) * game.home.sf(previous_cutoff);
            reach *= t.reach;
        }
        let reply = solver.best_reply(k, previous_cutoff);
        let cutoff = reply.cutoff.max(previous_cutoff);
        let p_accept = reach * game.home.mass(previous_cutoff, cutoff);
        let p_strategic = if k + 1 < kinds.len() && reply.offer > cutoff {
            reach * game.home.mass(cutoff.max(previous_cutoff), reply.offer)
        } else {
            0.0
        };
        match kind {
            StageKind::Renegotiation => p_renegotiated += p_accept,
            StageKind::Poll | StageKind::Vote => p_ratified += p_accept,
        }
        stages.push(StagePath {
            kind,
            offer: reply.offer,
            cutoff,
            p_accept,
            p_foreign_accepts: game.foreign.map_or(1.0, |f| f.cdf(1.0 - reply.offer)),
            p_strategic,
        });
        previous_cutoff = cutoff;
    }
    p_failed += reach * game.home.sf(previous_cutoff);
    let total = p_ratified + p_renegotiated + p_failed;
    let (p_ratified, p_renegotiated, p_failed) = if total > 0.0 && total.is_finite() {
        (
            p_ratified / total,
            p_renegotiated / total,
            p_failed / total,
        )
    } else {
        (0.0, 0.0, 1.0)
    };
    Equilibrium {
        stages,
        p_ratified,
        p_renegotiated,
        p_failed,
    }
}

/// The solution of stage `k` given the cutoff `c` of the types already gone.
#[derive(Debug, Clone, Copy)]
struct Reply {
    /// The offer `x_k(c)`.
    offer: f64,
    /// The cutoff `c_k(c) ≥ c` (equal to `c` if nobody accepts at stage `k`).
    cutoff: f64,
    /// `W_k(c)`.
    value: f64,
    /// `m` with `W_k'(c) = −m·g(c)`: `π` of the first offer that somebody accepts, times the
    /// proposer's discounts on the way there.
    marginal: f64,
}

/// Holds an observation's primitives and solves its stage problems.
struct StageSolver<'a> {
    home: &'a Threshold,
    foreign: Option<&'a Threshold>,
    proposer: Side,
    /// `transitions[k]`: moving into stage `k` (entry 0 unused).
    transitions: Vec<Transition>,
    /// Lower end of the scan: below it `G` has negligible mass.
    tail_low: f64,
}

impl<'a> StageSolver<'a> {
    fn new(game: &'a Game) -> Self {
        let transitions = game
            .protocol
            .stages()
            .iter()
            .map(|&kind| game.transition_into(kind))
            .collect();
        let tail_low = match game.home.family {
            super::distribution::Family::Uniform => game.home.location - game.home.scale,
            _ => game.home.quantile(1e-17),
        };
        StageSolver {
            home: &game.home,
            foreign: game.foreign.as_ref(),
            proposer: game.proposer,
            transitions,
            tail_low,
        }
    }

    fn last(&self) -> usize {
        self.transitions.len() - 1
    }

    /// `log π(x)`.
    #[inline]
    fn log_pi(&self, x: f64) -> f64 {
        let u = match self.proposer {
            Side::Foreign => 1.0 - x,
            Side::Home => x,
        };
        let log_u = if u > 0.0 { u.ln() } else { f64::NEG_INFINITY };
        match self.foreign {
            Some(f) => log_u + f.log_cdf(1.0 - x),
            None => log_u,
        }
    }

    #[inline]
    fn pi(&self, x: f64) -> f64 {
        self.log_pi(x).exp()
    }

    /// `(log π)'(x)` and `(log π)''(x)`.
    #[inline]
    fn dlog_pi(&self, x: f64) -> (f64, f64) {
        let (mut d1, mut d2) = match self.proposer {
            Side::Foreign => {
                let u = 1.0 - x;
                (-1.0 / u, -1.0 / (u * u))
            }
            Side::Home => (1.0 / x, -1.0 / (x * x)),
        };
        if let Some(f) = self.foreign {
            let y = 1.0 - x;
            let log_f = f.log_cdf(y);
            if log_f == f64::NEG_INFINITY {
                return (f64::NEG_INFINITY, f64::NEG_INFINITY);
            }
            // Reverse hazard r(y) = f(y)/F(y); d/dx log F(1 − x) = −r(y).
            let r = (f.log_pdf(y) - log_f).exp();
            d1 -= r;
            d2 += r * (f.dlog_pdf(y) - r);
        }
        (d1, d2)
    }

    /// `ψ(x) = (log π)'(x) + g(x)/[G(x) − G(c)]` and `ψ'(x)`, the last stage's first-order
    /// condition in log form (nonincreasing in `x`).
    fn last_stage_foc(&self, x: f64, c: f64) -> (f64, f64) {
        let (d1, d2) = self.dlog_pi(x);
        if d1.is_infinite() {
            // u(x) = 0 at the proposer's end of [0, 1], or F(1 − x) = 0: the sign says which way
            // the proposer's payoff rises.
            return (d1, 0.0);
        }
        let log_mass = self.home.log_mass(c, x);
        if log_mass == f64::NEG_INFINITY {
            // No type accepts yet: raising the offer can only help.
            return (f64::INFINITY, 0.0);
        }
        let log_pdf = self.home.log_pdf(x);
        let q = (log_pdf - log_mass).exp();
        (d1 + q, d2 + q * (self.home.dlog_pdf(x) - q))
    }

    /// The last stage: `W_K(c) = max_x π(x)·[G(x) − G(c)]`.
    fn last_stage(&self, c: f64) -> (Reply, f64) {
        let nobody = |offer: f64| {
            (
                Reply {
                    offer,
                    cutoff: c,
                    value: 0.0,
                    marginal: 0.0,
                },
                0.0,
            )
        };
        if c >= 1.0 || self.home.log_sf(c) == f64::NEG_INFINITY {
            return nobody(c.clamp(0.0, 1.0));
        }
        let lo = c.max(0.0);
        let hi = 1.0;
        let psi = |x: f64| self.last_stage_foc(x, c).0;
        let psi_hi = psi(hi);
        let (x, interior) = if psi_hi >= 0.0 {
            (hi, false)
        } else {
            let psi_lo = if lo > c { psi(lo) } else { f64::INFINITY };
            if psi_lo <= 0.0 {
                (lo, false)
            } else {
                let tol = 1e-15 * (1.0 + lo.abs()).min(1.0) * self.home.scale.min(1.0);
                (brent_root(psi, lo, hi, psi_lo, psi_hi, tol), true)
            }
        };
        let value = (self.log_pi(x) + self.home.log_mass(c, x)).exp();
        if !(value > 0.0) {
            return nobody(x);
        }
        // dx/dc by the implicit function theorem on ψ(x; c) = 0.
        let doffer = if interior {
            let (_, dpsi_dx) = self.last_stage_foc(x, c);
            let log_mass = self.home.log_mass(c, x);
            let dpsi_dc = if c == f64::NEG_INFINITY {
                0.0
            } else {
                (self.home.log_pdf(x) + self.home.log_pdf(c) - 2.0 * log_mass).exp()
            };
            if dpsi_dx < 0.0 && dpsi_dx.is_finite() {
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
            },
            doffer,
        )
    }

    /// Stage `k` given cutoff `c`, with `d x_k / d c`.
    fn best_reply_with_slope(&self, k: usize, c: f64) -> (Reply, f64) {
        if k == self.last() {
            return self.last_stage(c);
        }
        let reply = self.earlier_stage(k, c);
        let eps = 1e-7 * (1.0 + c.abs()).min(1e3);
        let up = self.earlier_stage(k, c + eps).offer;
        let down = self.earlier_stage(k, c - eps).offer;
        (reply, (up - down) / (2.0 * eps))
    }

    fn best_reply(&self, k: usize, c: f64) -> Reply {
        if k == self.last() {
            self.last_stage(c).0
        } else {
            self.earlier_stage(k, c)
        }
    }

    /// The value of cutoff `c_k = cand` at stage `k` given `c`, and the offer it implies.
    /// `None` when the implied offer would be negative (infeasible).
    fn stage_value(&self, k: usize, c: f64, cand: f64) -> Option<(f64, f64, Reply)> {
        let t = self.transitions[k + 1];
        let next = self.best_reply(k + 1, cand);
        let offer = if cand == f64::NEG_INFINITY {
            if t.kappa >= 1.0 {
                next.offer
            } else {
                f64::NEG_INFINITY
            }
        } else {
            cand + t.kappa * (next.offer - cand).max(0.0)
        };
        if offer < 0.0 {
            return None;
        }
        let offer = offer.min(1.0);
        let accept = if cand > c {
            self.pi(offer) * self.home.mass(c, cand)
        } else {
            0.0
        };
        Some((accept + t.lambda * next.value, offer, next))
    }

    /// The derivative of the stage-`k` objective in the candidate cutoff (envelope theorem).
    fn stage_slope(&self, k: usize, c: f64, cand: f64) -> f64 {
        let t = self.transitions[k + 1];
        let (next, dnext) = self.best_reply_with_slope(k + 1, cand);
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
        let mass = self.home.mass(c, cand);
        let first = if mass > 0.0 { dpi * dh * mass } else { 0.0 };
        first + pi * g - t.lambda * next.marginal * g
    }

    /// An earlier stage `k < K`: scan, refine local maxima, compare with the corners.
    fn earlier_stage(&self, k: usize, c: f64) -> Reply {
        let t = self.transitions[k + 1];
        // Feasible cutoffs: x_k ≥ 0 needs c_k ≥ −κ/(1 − κ); x_k ≤ 1 needs c_k ≤ 1.
        let feasible_low = if t.kappa < 1.0 {
            -t.kappa / (1.0 - t.kappa)
        } else {
            f64::NEG_INFINITY
        };
        let low = c.max(feasible_low).max(self.tail_low).min(1.0);
        let high = 1.0;

        // "Nobody accepts at stage k": c_k = c.
        let mut best: Option<(f64, f64, Reply)> = self
            .stage_value(k, c, c)
            .map(|(v, offer, next)| (c, v, reply_of(offer, c, v, t.lambda * next.marginal)));
        let consider = |cand: f64, value: f64, offer: f64, next: Reply, best: &mut Option<(f64, f64, Reply)>| {
            let better = match best {
                None => true,
                Some((_, v, _)) => value > *v + TIE * v.abs().max(1e-300),
            };
            if better {
                let marginal = if cand > c {
                    self.pi(offer)
                } else {
                    t.lambda * next.marginal
                };
                *best = Some((cand, value, reply_of(offer, cand.max(c), value, marginal)));
            }
        };

        // Scan grid: uniform in c and uniform in G(c).
        let mut grid: Vec<f64> = Vec::with_capacity(SCAN_UNIFORM + SCAN_QUANTILE + 2);
        for i in 0..SCAN_UNIFORM {
            grid.push(low + (high - low) * i as f64 / (SCAN_UNIFORM - 1) as f64);
        }
        let (p_low, p_high) = (self.home.cdf(low), self.home.cdf(high));
        if p_high > p_low {
            for i in 1..=SCAN_QUANTILE {
                let p = p_low + (p_high - p_low) * i as f64 / (SCAN_QUANTILE + 1) as f64;
                if p > 0.0 && p < 1.0 {
                    let q = self.home.quantile(p);
                    if q > low && q < high {
                        grid.push(q);
                    }
                }
            }
        }
        grid.sort_by(f64::total_cmp);
        grid.dedup_by(|a, b| (*a - *b).abs() <= 1e-14 * (1.0 + b.abs()));
        let scanned: Vec<Option<(f64, f64, Reply)>> =
            grid.iter().map(|&g| self.stage_value(k, c, g)).collect();

        // Local maxima of the scan, best first.
        let value_at = |i: usize| scanned[i].map(|s| s.0).unwrap_or(f64::NEG_INFINITY);
        let mut peaks: Vec<usize> = (0..grid.len())
            .filter(|&i| {
                let v = value_at(i);
                v > f64::NEG_INFINITY
                    && (i == 0 || v >= value_at(i - 1))
                    && (i + 1 == grid.len() || v >= value_at(i + 1))
            })
            .collect();
        peaks.sort_by(|&a, &b| value_at(b).total_cmp(&value_at(a)));
        peaks.truncate(REFINE_CANDIDATES);

        for i in peaks {
            let (value, offer, next) = scanned[i].expect("peak is feasible");
            consider(grid[i], value, offer, next, &mut best);
            // The left end of the feasible region: find where x_k = 0 exactly.
            if i > 0 && scanned[i - 1].is_none() {
                let corner = self.feasibility_corner(k, grid[i - 1], grid[i]);
                if let Some((v, o, n)) = self.stage_value(k, c, corner) {
                    consider(corner, v, o, n, &mut best);
                }
            }
            let left = if i > 0 && scanned[i - 1].is_some() {
                grid[i - 1]
            } else {
                grid[i]
            };
            let right = if i + 1 < grid.len() { grid[i + 1] } else { grid[i] };
            if let Some(cand) = self.refine(k, c, left, grid[i], right) {
                if let Some((v, o, n)) = self.stage_value(k, c, cand) {
                    consider(cand, v, o, n, &mut best);
                }
            }
        }
        match best {
            Some((_, _, reply)) => reply,
            // Every candidate infeasible (cannot happen: c_k = 1 is always feasible).
            None => reply_of(1.0, c, 0.0, 0.0),
        }
    }

    /// Refines a local maximum of the scan at `mid` inside `[left, right]`: the root of the
    /// first-order condition where it changes sign, else golden-section search.
    fn refine(&self, k: usize, c: f64, left: f64, mid: f64, right: f64) -> Option<f64> {
        if right <= left {
            return None;
        }
        let slope = |x: f64| self.stage_slope(k, c, x);
        let s_mid = slope(mid);
        let tol = 1e-14 * (1.0 + mid.abs()) * self.home.scale.min(1.0);
        let bracket = if s_mid > 0.0 && right > mid {
            Some((mid, right, s_mid, slope(right)))
        } else if s_mid < 0.0 && mid > left {
            Some((left, mid, slope(left), s_mid))
        } else if s_mid == 0.0 {
            return Some(mid);
        } else {
            None
        };
        if let Some((a, b, sa, sb)) = bracket {
            if sa > 0.0 && sb < 0.0 {
                return Some(brent_root(slope, a, b, sa, sb, tol));
            }
        }
        let objective = |x: f64| {
            self.stage_value(k, c, x)
                .map(|v| v.0)
                .unwrap_or(f64::NEG_INFINITY)
        };
        Some(golden_max(objective, left, right, tol.max(1e-13)).0)
    }

    /// The cutoff at which the implied offer `x_k` is exactly 0, between an infeasible `a` and a
    /// feasible `b` (bisection on the monotone offer).
    fn feasibility_corner(&self, k: usize, mut a: f64, mut b: f64) -> f64 {
        let t = self.transitions[k + 1];
        for _ in 0..200 {
            if b - a <= 1e-15 * (1.0 + b.abs()) {
                break;
            }
            let m = 0.5 * (a + b);
            let next = self.best_reply(k + 1, m);
            let offer = m + t.kappa * (next.offer - m).max(0.0);
            if offer < 0.0 {
                a = m;
            } else {
                b = m;
            }
        }
        b
    }
}

fn reply_of(offer: f64, cutoff: f64, value: f64, marginal: f64) -> Reply {
    Reply {
        offer: offer.clamp(0.0, 1.0),
        cutoff,
        value,
        marginal,
    }
}
