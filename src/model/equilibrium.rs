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
//!   safeguarded Newton steps (bisection where a step would not shrink `|ψ|` fast), warm-started
//!   from a neighbouring solve, or the maximum is at a corner `x ∈ {max(0, c), 1}`. When no
//!   type is left above `c` (off the path) the offer is the limit `max(c, argmax π)`, so that
//!   `x_K(c)` stays continuous where the mass underflows.
//! * **Earlier stages.** The objective in `c_k` need not be concave. It is scanned on a grid
//!   that is uniform both in `c_k` and in the quantiles `G(c_k)`, every local maximum of the
//!   scan is refined by solving the first-order condition (envelope theorem:
//!   `W'_{k+1}(c) = −π(x_{k+1}) g(c)`), so is every scan cell in which the stage's own offer
//!   crosses a kink or cliff of `π` (a narrow foreign window can hide a peak there), and the
//!   best of the refined points, the feasibility corner (`x_k = 0`) and "nobody accepts at
//!   this stage" (`c_k = c`) is returned. Ties go to "nobody accepts", so a fully strategic
//!   poll returns the one-shot path (MODEL.md §5).
//!
//! Outcome probabilities follow MODEL.md §4, with `P(failed)` computed from survival functions
//! (not as `1 − …`) so that it keeps its accuracy when it is tiny.

// `!(a > b)` is deliberate throughout: it is true when either side is NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::distribution::{Threshold, Truncation};
use super::game::{Game, Proposer, Side, StageKind, Transition};
use super::numeric::{brent_root, golden_max};
use serde::Serialize;

/// Grid points (uniform in `c`) of the scan of an earlier stage's objective.
const SCAN_UNIFORM: usize = 7;
/// Grid points (uniform in `G(c)`) of the scan of an earlier stage's objective.
const SCAN_QUANTILE: usize = 7;
/// How many local maxima of the scan are refined.
const REFINE_CANDIDATES: usize = 3;
/// At most this many smooth pieces of a scan cell are refined (regimes of the continuation).
const MAX_PIECES: usize = 16;
/// Points crowding toward a crossing of a kink of `π`, on each side (halving the distance).
const CROWD: usize = 10;
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
    for (eq, weight) in [(&foreign_proposes, 1.0 - p_home), (&home_proposes, p_home)] {
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
    let path = solve_path(game, None);
    let mut stages = Vec::with_capacity(path.len);
    let mut previous = f64::NEG_INFINITY;
    let mut reach = 1.0;
    for k in 0..path.len {
        reach *= path.reach[k];
        let (offer, cutoff) = (path.offers[k], path.cutoffs[k]);
        let p_strategic = if k + 1 < path.len && offer > cutoff {
            reach * game.home.mass(cutoff.max(previous), offer)
        } else {
            0.0
        };
        stages.push(StagePath {
            kind: path.kinds[k],
            offer,
            cutoff,
            p_accept: path.p_accept[k],
            p_foreign_accepts: game.foreign.map_or(1.0, |f| f.cdf(1.0 - offer)),
            p_strategic,
        });
        previous = cutoff;
    }
    let [p_ratified, p_renegotiated, p_failed] = path.probabilities;
    Equilibrium {
        stages,
        p_ratified,
        p_renegotiated,
        p_failed,
    }
}

/// `[P(ratified), P(renegotiated), P(failed)]` of a game, without building the reported path
/// (the likelihood's fast path: no allocation).
pub fn outcome_probabilities(game: &Game) -> [f64; 3] {
    solve_path(game, None).probabilities
}

/// The equilibrium path in fixed-size arrays (at most three stages).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Path {
    /// Number of stages.
    pub len: usize,
    /// Stage kinds.
    pub kinds: [StageKind; 3],
    /// Offers `x_k`.
    pub offers: [f64; 3],
    /// Cutoffs `c_k` (nondecreasing; `c_k = c_{k−1}` when nobody accepts at stage `k`).
    pub cutoffs: [f64; 3],
    /// Probability of reaching stage `k` given a rejection at `k − 1` (1 for the first).
    pub reach: [f64; 3],
    /// `P(accept at stage k)`.
    pub p_accept: [f64; 3],
    /// Whether stage `k`'s cutoff is an interior root of its first-order condition (the local
    /// re-solve of [`solve_path`] can then track it).
    pub interior: [bool; 3],
    /// `[P(ratified), P(renegotiated), P(failed)]`.
    pub probabilities: [f64; 3],
}

/// Solves the path. With `near = Some(base)`, the base solution of a game with nearly the same
/// primitives, every earlier stage whose base cutoff was an interior optimum is re-solved
/// locally around it (no scan); this is how finite-difference derivatives stay cheap and
/// smooth. Anything else falls back to the full global solve.
pub fn solve_path(game: &Game, near: Option<&Path>) -> Path {
    let solver = StageSolver::new(game);
    let n = solver.len;
    let mut path = Path {
        len: n,
        kinds: solver.kinds,
        offers: [0.0; 3],
        cutoffs: [f64::NEG_INFINITY; 3],
        reach: [1.0; 3],
        p_accept: [0.0; 3],
        interior: [false; 3],
        probabilities: [0.0; 3],
    };
    let home = &game.home;
    let mut previous = f64::NEG_INFINITY;
    let mut next_offer = f64::NAN;
    let mut reach = 1.0;
    let mut p_failed = 0.0;
    let (mut p_ratified, mut p_renegotiated) = (0.0, 0.0);
    for k in 0..n {
        if k > 0 {
            let t = solver.transitions[k];
            // Rejected at stage k−1 and the game ends before stage k.
            if t.reach < 1.0 {
                p_failed += reach * (1.0 - t.reach) * home.sf(previous);
            }
            reach *= t.reach;
            path.reach[k] = t.reach;
        }
        let hint = near.filter(|b| b.len == n);
        let reply = if k + 1 == n {
            // Warm start: the base path's offer, else the offer that the previous stage's
            // solve found for this stage.
            let warm = hint
                .map(|b| b.offers[k])
                .or((k > 0 && next_offer.is_finite()).then_some(next_offer));
            solver.last_stage(previous, warm, false).0
        } else {
            hint.filter(|b| b.interior[k])
                .and_then(|b| solver.earlier_stage_near(k, previous, b.cutoffs[k]))
                .unwrap_or_else(|| solver.earlier_stage(k, previous))
        };
        let cutoff = reply.cutoff.max(previous);
        let mass = home.mass_fast(previous, cutoff);
        let p_accept = reach * mass;
        match path.kinds[k] {
            StageKind::Renegotiation => p_renegotiated += p_accept,
            StageKind::Poll | StageKind::Vote => p_ratified += p_accept,
        }
        path.offers[k] = reply.offer;
        path.cutoffs[k] = cutoff;
        path.p_accept[k] = p_accept;
        path.interior[k] = reply.interior;
        previous = cutoff;
        next_offer = reply.next_offer;
    }
    p_failed += reach * home.sf(previous);
    let total = p_ratified + p_renegotiated + p_failed;
    path.probabilities = if total > 0.0 && total.is_finite() {
        [p_ratified / total, p_renegotiated / total, p_failed / total]
    } else {
        [0.0, 0.0, 1.0]
    };
    path
}

/// Derivatives of a solved game's outcome probabilities with respect to one primitive.
///
/// For two-stage protocols whose first cutoff is an interior optimum, by the implicit function
/// theorem on the first stage's first-order condition `F(c₁; θ) = 0`:
/// `dc₁/dθ = −F_θ/F_c`, `dx₂/dθ = x₂'(c₁)·dc₁/dθ + ∂x₂/∂θ|_{c₁}`, with `F_c` and `x₂'` by central
/// differences in `c₁` (computed once per game) and `F_θ`, `∂x₂/∂θ` by central differences in
/// `θ` at fixed `c₁` (one slope evaluation each way). The probabilities are then differentiated
/// along `(c₁ + t·dc₁/dθ, x₂ + t·dx₂/dθ; θ + t)`. Anything else (one or three stages, corner
/// cutoffs) re-solves the game locally at `θ ± h` (see [`solve_path`]).
pub struct PathSensitivity<'a> {
    path: &'a Path,
    /// `(F_c, x₂'(c₁))` when the implicit-function route applies.
    first_stage: Option<(f64, f64)>,
}

impl<'a> PathSensitivity<'a> {
    /// Prepares the derivatives of `path`, the solution of `game`.
    pub fn new(game: &'a Game, path: &'a Path) -> Self {
        let mut first_stage = None;
        if path.len == 2 && path.interior[0] {
            let solver = StageSolver::new(game);
            let c1 = path.cutoffs[0];
            let eps = 1e-6 * (c1.abs() + game.home.scale.min(1.0));
            let (up, x_up) =
                solver.stage_slope(0, f64::NEG_INFINITY, c1 + eps, Some(path.offers[1]));
            let (down, x_down) =
                solver.stage_slope(0, f64::NEG_INFINITY, c1 - eps, Some(path.offers[1]));
            let f_c = (up - down) / (2.0 * eps);
            if f_c < 0.0 && f_c.is_finite() {
                first_stage = Some((f_c, (x_up - x_down) / (2.0 * eps)));
            }
        }
        PathSensitivity { path, first_stage }
    }

    /// `dP/dθ` for the primitive `θ` that `shifted(t)` moves by `t` (central differences with
    /// step `h`).
    pub fn derivative(&self, shifted: impl Fn(f64) -> Game, h: f64) -> [f64; 3] {
        let (game_up, game_down) = (shifted(h), shifted(-h));
        let (up, down) = match self.first_stage {
            Some((f_c, dx2_dc)) => {
                let (c1, x2) = (self.path.cutoffs[0], self.path.offers[1]);
                let slope_at =
                    |g: &Game| StageSolver::new(g).stage_slope(0, f64::NEG_INFINITY, c1, Some(x2));
                let ((slope_up, x_up), (slope_down, x_down)) =
                    (slope_at(&game_up), slope_at(&game_down));
                let dc1 = -((slope_up - slope_down) / (2.0 * h)) / f_c;
                let dx2 = dx2_dc * dc1 + (x_up - x_down) / (2.0 * h);
                (
                    two_stage_probabilities(&game_up, c1 + h * dc1, x2 + h * dx2),
                    two_stage_probabilities(&game_down, c1 - h * dc1, x2 - h * dx2),
                )
            }
            None => (
                solve_path(&game_up, Some(self.path)).probabilities,
                solve_path(&game_down, Some(self.path)).probabilities,
            ),
        };
        [0, 1, 2].map(|y| (up[y] - down[y]) / (2.0 * h))
    }
}

/// Outcome probabilities of a two-stage game whose first cutoff is `c1` and whose last offer
/// (and cutoff) is `x2` (MODEL.md §4).
fn two_stage_probabilities(game: &Game, c1: f64, x2: f64) -> [f64; 3] {
    // The two-stage protocols are [vote, renegotiation] and [poll, vote].
    let renegotiation = game.protocol.renegotiation;
    let t = game.transition_into(if renegotiation {
        StageKind::Renegotiation
    } else {
        StageKind::Vote
    });
    let home = &game.home;
    let first = home.cdf(c1);
    let second = t.reach * home.mass_fast(c1, x2.max(c1));
    let failed = (1.0 - t.reach) * home.sf(c1) + t.reach * home.sf(x2.max(c1));
    let mut p = [0.0, 0.0, failed];
    p[0] += first;
    p[if renegotiation { 1 } else { 0 }] += second;
    p
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
    /// The cutoff is an interior root of the stage's first-order condition.
    interior: bool,
    /// The next stage's offer after this stage's cutoff (NaN at the last stage): a warm start
    /// for solving the next stage on the path.
    next_offer: f64,
}

/// Holds an observation's primitives and solves its stage problems.
struct StageSolver<'a> {
    home: &'a Threshold,
    foreign: Option<&'a Threshold>,
    proposer: Side,
    len: usize,
    kinds: [StageKind; 3],
    /// `transitions[k]`: moving into stage `k` (entry 0 unused).
    transitions: [Transition; 3],
    /// Lower end of the scan: below it `G` has negligible mass (only for `len > 1`).
    tail_low: f64,
    /// The logistic one-shot closed form applies (one-sided, foreign proposer).
    lambert: bool,
    /// `argmax π` on `[0, 1]` (computed when first needed).
    pi_peak: std::cell::OnceCell<f64>,
    /// Offers where the last stage's first-order condition jumps (0, 1 and the ends of uniform
    /// supports, home or foreign), sorted: kinks of the last stage's offer as a function of `c`.
    kinks: [f64; 6],
    n_kinks: usize,
    /// Offers where `π` has a kink or a cliff: the ends of a uniform foreign support (mapped by
    /// `x = 1 − r_F`) or the middle `1 − μ_F` of a smooth one. An earlier stage's objective can
    /// peak between two scan points where its own offer crosses one of them.
    pi_kinks: [f64; 2],
    n_pi_kinks: usize,
}

impl<'a> StageSolver<'a> {
    fn new(game: &'a Game) -> Self {
        let mut kinds = [StageKind::Vote; 3];
        let mut transitions = [Transition {
            kappa: 0.0,
            lambda: 0.0,
            reach: 1.0,
        }; 3];
        let mut len = 0;
        if game.protocol.poll {
            kinds[len] = StageKind::Poll;
            len += 1;
        }
        kinds[len] = StageKind::Vote;
        len += 1;
        if game.protocol.renegotiation {
            kinds[len] = StageKind::Renegotiation;
            len += 1;
        }
        for k in 1..len {
            transitions[k] = game.transition_into(kinds[k]);
        }
        let tail_low = if len == 1 {
            f64::NEG_INFINITY
        } else {
            match game.home.family {
                super::distribution::Family::Uniform => game.home.location - game.home.scale,
                _ => game.home.quantile(1e-17),
            }
        };
        let (mut kinks, mut n_kinks) = ([0.0, 1.0, 0.0, 0.0, 0.0, 0.0], 2);
        for (dist, flip) in [(Some(&game.home), false), (game.foreign.as_ref(), true)] {
            if let Some(d) = dist.filter(|d| d.family == super::distribution::Family::Uniform) {
                for end in [d.location - d.scale, d.location + d.scale] {
                    let x = if flip { 1.0 - end } else { end };
                    if x > 0.0 && x < 1.0 {
                        kinks[n_kinks] = x;
                        n_kinks += 1;
                    }
                }
            }
        }
        kinks[..n_kinks].sort_by(f64::total_cmp);
        let (mut pi_kinks, mut n_pi_kinks) = ([0.0; 2], 0);
        if let Some(f) = game.foreign.as_ref() {
            let ends = match f.family {
                super::distribution::Family::Uniform => {
                    [f.location - f.scale, f.location + f.scale]
                }
                _ => [f.location, f64::NAN],
            };
            for end in ends {
                let x = 1.0 - end;
                if x > 0.0 && x < 1.0 {
                    pi_kinks[n_pi_kinks] = x;
                    n_pi_kinks += 1;
                }
            }
        }
        StageSolver {
            pi_peak: std::cell::OnceCell::new(),
            pi_kinks,
            n_pi_kinks,
            kinks,
            n_kinks,
            home: &game.home,
            foreign: game.foreign.as_ref(),
            proposer: game.proposer,
            len,
            kinds,
            transitions,
            tail_low,
            lambert: game.home.family == super::distribution::Family::Logistic
                && game.foreign.is_none()
                && game.proposer == Side::Foreign,
        }
    }

    fn last(&self) -> usize {
        self.len - 1
    }

    /// `π(x)`.
    #[inline]
    fn pi(&self, x: f64) -> f64 {
        let u = match self.proposer {
            Side::Foreign => 1.0 - x,
            Side::Home => x,
        };
        match self.foreign {
            Some(f) => u * f.cdf(1.0 - x),
            None => u,
        }
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
            // Reverse hazard r(y) = f(y)/F(y); d/dx log F(1 − x) = −r(y).
            let r = f.truncated_hazard(f64::NEG_INFINITY, y);
            if r == f64::INFINITY {
                return (f64::NEG_INFINITY, f64::NEG_INFINITY);
            }
            d1 -= r;
            d2 += r * (f.dlog_pdf(y) - r);
        }
        (d1, d2)
    }

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
    fn last_stage(&self, c: f64, hint: Option<f64>, with_slope: bool) -> (Reply, f64) {
        let nobody = |offer: f64| {
            (
                Reply {
                    offer,
                    cutoff: c,
                    value: 0.0,
                    marginal: 0.0,
                    interior: false,
                    next_offer: f64::NAN,
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
        let (x, interior) = if c == f64::NEG_INFINITY && self.lambert {
            let x = self.lambert_offer();
            (x.max(0.0), x > 0.0)
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
                (hi, false)
            } else if lo_open && self.last_stage_foc(lo, &trunc).0 <= 0.0 {
                (lo, false)
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
            },
            doffer,
        )
    }

    /// The last stage's offer when no type is left above `c` (off the path; it matters only
    /// through the cutoff type's indifference at the stage before). As the mass above `c`
    /// vanishes the remaining types crowd at `c` (normal tails), so the offer tends to the best
    /// package that they accept, `argmax_{x ≥ c} π(x) = max(c, argmax π)` (π is log-concave);
    /// the offer then stays continuous where the mass underflows.
    fn nobody_offer(&self, c: f64) -> f64 {
        c.clamp(0.0, 1.0).max(self.pi_peak())
    }

    /// `argmax π` on `[0, 1]`: 0 for a foreign proposer (`π` decreasing), 1 for a home proposer
    /// without a foreign constraint, else the root of `(log π)'` (bisection; it is decreasing).
    fn pi_peak(&self) -> f64 {
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

    /// The logistic one-shot offer in closed form (MODEL.md §5): `x* = μ + s·ln ω` with
    /// `ω = W(e^k)`, `k = (1 − μ)/s − 1`. Solves `ln ω + ω = k` for `L = ln ω` by Newton's
    /// method (a few steps from an asymptotic start).
    fn lambert_offer(&self) -> f64 {
        let (mu, s) = (self.home.location, self.home.scale);
        let k = (1.0 - mu) / s - 1.0;
        let mut l = if k > 1.5 {
            (k - k.ln()).ln()
        } else if k > -3.0 {
            // W(e^k) ≈ e^k/(1 + e^k) is within a factor 2 on this range.
            k - (k.exp()).ln_1p()
        } else {
            k
        };
        for _ in 0..50 {
            let e = l.exp();
            let step = (e + l - k) / (e + 1.0);
            l -= step;
            if step.abs() <= 1e-15 * (1.0 + l.abs()) {
                break;
            }
        }
        (mu + s * l).min(1.0)
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
    ) -> (f64, bool) {
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
                return (kink, false);
            }
            hi = kink - delta;
            break;
        }
        let hint = hint.filter(|&h| h > lo && h < hi);
        self.newton_last_stage(c, lo, hi, hint, (false, false))
    }

    /// Safeguarded Newton on the last stage's first-order condition on `[lo, hi]`: returns the
    /// maximizer and whether it is the interior root. `ψ(lo) > 0 > ψ(hi)` is known, except at
    /// the ends flagged `unchecked = (lo, hi)`: the end on the root's side of the first
    /// iterate is then checked, and returned when it is a corner.
    fn newton_last_stage(
        &self,
        c: &Truncation,
        mut a: f64,
        mut b: f64,
        hint: Option<f64>,
        unchecked: (bool, bool),
    ) -> (f64, bool) {
        let mut x = match hint {
            Some(h) if h > a && h < b => h,
            _ => 0.5 * (a + b),
        };
        let mut first = true;
        // Newton steps are taken only while they shrink |ψ| fast; otherwise bisect. (Near
        // `x = c`, ψ behaves like 1/(x − c) and a Newton step can land next to the pole.)
        let mut f_previous = f64::INFINITY;
        for _ in 0..200 {
            let (f, df, size, _) = self.last_stage_foc_terms(x, c);
            if first {
                first = false;
                if f > 0.0 && unchecked.1 && self.last_stage_foc(b, c).0 >= 0.0 {
                    return (b, false);
                }
                if f < 0.0 && unchecked.0 && self.last_stage_foc(a, c).0 <= 0.0 {
                    return (a, false);
                }
            }
            if f == 0.0 {
                return (x, true);
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
                return (if newton_step { next } else { x }, true);
            }
            // In the quadratic regime a step this small leaves an error of order step²/scale,
            // far below rounding: take it and stop. (Only next to a root: near the pole of
            // (log π)' at the proposer's end of [0, 1], e.g. from a warm start there, Newton's
            // steps are tiny too while ψ is huge.)
            if newton_step
                && f.abs() <= 1e-6 * size
                && (next - x).abs() <= 1e-9 * self.home.scale.min(1.0)
            {
                return (next, true);
            }
            let tol = 2.0 * f64::EPSILON * next.abs().max(1e-300);
            if b - a <= tol {
                return (next, true);
            }
            if newton_step && (next - x).abs() <= tol {
                if f.abs() <= 1e-6 * size {
                    return (next, true);
                }
                // A step at rounding level with a large residual: x sits next to the pole
                // (ψ ≈ −1/(1 − x)), not next to a root. Bisect out of it.
                x = 0.5 * (a + b);
                continue;
            }
            x = next;
        }
        (x, true)
    }

    /// Stage `k` given cutoff `c`, with `d x_k / d c`; `hint` warm-starts a last stage.
    fn best_reply_with_slope(&self, k: usize, c: f64, hint: Option<f64>) -> (Reply, f64) {
        if k == self.last() {
            return self.last_stage(c, hint, true);
        }
        let reply = self.earlier_stage(k, c);
        let eps = 1e-7 * (1.0 + c.abs()).min(1e3);
        // The perturbed solves track the optimum locally when it is interior.
        let at = |x: f64| {
            reply
                .interior
                .then(|| self.earlier_stage_near(k, x, reply.cutoff))
                .flatten()
                .unwrap_or_else(|| self.earlier_stage(k, x))
                .offer
        };
        (reply, (at(c + eps) - at(c - eps)) / (2.0 * eps))
    }

    fn best_reply(&self, k: usize, c: f64, hint: Option<f64>) -> Reply {
        if k == self.last() {
            self.last_stage(c, hint, false).0
        } else {
            self.earlier_stage(k, c)
        }
    }

    /// The value of cutoff `c_k = cand` at stage `k` given `c`, the offer it implies and the
    /// next stage's reply. `None` when the implied offer would be negative (infeasible).
    fn stage_value(
        &self,
        k: usize,
        c: f64,
        cand: f64,
        hint: Option<f64>,
    ) -> Option<(f64, f64, Reply)> {
        let next = self.best_reply(k + 1, cand, hint);
        self.stage_value_given(k, c, cand, next)
    }

    /// The offer `x_k` that cutoff `cand` implies when the next stage offers `next_offer`: the
    /// cutoff type is indifferent, `x_k = c_k + κ_{k+1}·max(x_{k+1} − c_k, 0)` (MODEL.md §3).
    #[inline]
    fn implied_offer(&self, k: usize, cand: f64, next_offer: f64) -> f64 {
        cand + self.transitions[k + 1].kappa * (next_offer - cand).max(0.0)
    }

    /// [`Self::stage_value`] given the next stage's reply at `cand`.
    fn stage_value_given(
        &self,
        k: usize,
        c: f64,
        cand: f64,
        next: Reply,
    ) -> Option<(f64, f64, Reply)> {
        let t = self.transitions[k + 1];
        let offer = if cand == f64::NEG_INFINITY {
            if t.kappa >= 1.0 {
                next.offer
            } else {
                f64::NEG_INFINITY
            }
        } else {
            self.implied_offer(k, cand, next.offer)
        };
        if offer < 0.0 {
            return None;
        }
        let offer = offer.min(1.0);
        let accept = if cand > c {
            self.pi(offer) * self.home.mass_fast(c, cand)
        } else {
            0.0
        };
        Some((accept + t.lambda * next.value, offer, next))
    }

    /// The derivative of the stage-`k` objective in the candidate cutoff (envelope theorem),
    /// and the next stage's offer there.
    fn stage_slope(&self, k: usize, c: f64, cand: f64, hint: Option<f64>) -> (f64, f64) {
        let t = self.transitions[k + 1];
        let (next, dnext) = self.best_reply_with_slope(k + 1, cand, hint);
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
        let mass = self.home.mass_fast(c, cand);
        let first = if mass > 0.0 { dpi * dh * mass } else { 0.0 };
        (first + pi * g - t.lambda * next.marginal * g, next.offer)
    }

    /// Root of the stage-`k` slope on `[a, b]` (slope positive at `a`, negative at `b`), with
    /// the next stage warm-started from the latest evaluation, and the next stage's offer at
    /// the last point evaluated (a warm start at the root).
    #[allow(clippy::too_many_arguments)]
    fn slope_root(
        &self,
        k: usize,
        c: f64,
        a: f64,
        b: f64,
        sa: f64,
        sb: f64,
        hint: Option<f64>,
    ) -> (f64, Option<f64>) {
        let tol = 1e-14 * (1.0 + a.abs()) * self.home.scale.min(1.0);
        let mut last_offer = hint;
        let root = brent_root(
            |x| {
                let (s, offer) = self.stage_slope(k, c, x, last_offer);
                last_offer = Some(offer);
                s
            },
            a,
            b,
            sa,
            sb,
            tol,
        );
        (root, last_offer)
    }

    /// Re-solves stage `k` near a previous interior optimum `around` (no scan). `None` when the
    /// first-order condition does not change sign close by (the caller then solves globally).
    fn earlier_stage_near(&self, k: usize, c: f64, around: f64) -> Option<Reply> {
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
                self.slope_root(k, c, a, b, sa, sb, Some(offer_a)).0
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
        })
    }

    /// An earlier stage `k < K`: scan, refine local maxima, compare with the corners.
    fn earlier_stage(&self, k: usize, c: f64) -> Reply {
        let t = self.transitions[k + 1];
        if c >= 1.0 || (c > f64::NEG_INFINITY && self.home.sf(c) == 0.0) {
            // Nobody is left: the offers are off the path. Keep those of the last stage's
            // "nobody" reply, carried back by the cutoff type's indifference (not an arbitrary
            // point of a flat scan, which the offer of the stage before would inherit).
            let next = self.best_reply(k + 1, c, None);
            return reply_of(
                self.implied_offer(k, c, next.offer),
                c,
                0.0,
                0.0,
                false,
                next.offer,
            );
        }
        // Feasible cutoffs: x_k ≥ 0 needs c_k ≥ −κ/(1 − κ); x_k ≤ 1 needs c_k ≤ 1.
        let feasible_low = if t.kappa < 1.0 {
            -t.kappa / (1.0 - t.kappa)
        } else {
            f64::NEG_INFINITY
        };
        let low = c.max(feasible_low).max(self.tail_low).min(1.0);
        let high = 1.0;

        // "Nobody accepts at stage k": c_k = c.
        let mut best: Option<(f64, Reply)> =
            self.stage_value(k, c, c, None).map(|(v, offer, next)| {
                let marginal = t.lambda * next.marginal;
                (v, reply_of(offer, c, v, marginal, false, next.offer))
            });
        let consider = |cand: f64,
                        value: f64,
                        offer: f64,
                        next: Reply,
                        interior: bool,
                        best: &mut Option<(f64, Reply)>| {
            let better = match best {
                None => true,
                Some((v, _)) => value > *v + TIE * v.abs().max(1e-300),
            };
            if better {
                let marginal = if cand > c {
                    self.pi(offer)
                } else {
                    t.lambda * next.marginal
                };
                *best = Some((
                    value,
                    reply_of(
                        offer,
                        cand.max(c),
                        value,
                        marginal,
                        interior && cand > c,
                        next.offer,
                    ),
                ));
            }
        };

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
        let grid = &mut grid[..n_grid];
        grid.sort_by(f64::total_cmp);
        // Drop near-duplicates (a point uniform in c and one uniform in G(c) can coincide up to
        // rounding, e.g. for a uniform G): a peak's neighbours must be distinct points, or its
        // refinement bracket is one-sided and misses a maximum on the other side.
        let mut distinct = 0;
        for i in 0..grid.len() {
            if distinct == 0 || grid[i] - grid[distinct - 1] > 1e-9 * (1.0 + grid[i].abs()) {
                grid[distinct] = grid[i];
                distinct += 1;
            }
        }
        let n_grid = distinct;
        let grid = &grid[..n_grid];
        let mut scanned = [None; SCAN_UNIFORM + SCAN_QUANTILE];
        // Warm start: extrapolate the next stage's offer linearly from the last two points.
        let mut previous: [Option<(f64, f64)>; 3] = [None, None, None];
        for (i, &g) in grid.iter().enumerate() {
            if i > 0 && (g - grid[i - 1]).abs() <= 1e-14 * (1.0 + g.abs()) {
                scanned[i] = None;
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
            scanned[i] = self.stage_value_given(k, c, g, next);
            previous = [Some((g, next.offer)), previous[0], previous[1]];
        }
        let scanned = &scanned[..n_grid];

        // Local maxima of the scan, best first.
        let value_at = |i: usize| scanned[i].map(|s| s.0).unwrap_or(f64::NEG_INFINITY);
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
        let peaks = &mut peaks[..n_peaks];
        peaks.sort_by(|&a, &b| value_at(b).total_cmp(&value_at(a)));

        // The next stage's offer at a scan point.
        let scanned_offer = |x: f64| {
            grid.iter()
                .position(|&g| g == x)
                .and_then(|j| scanned[j])
                .map(|s| s.2.offer)
        };
        for &i in peaks.iter().take(REFINE_CANDIDATES) {
            let (value, offer, next) = scanned[i].expect("peak is feasible");
            consider(grid[i], value, offer, next, false, &mut best);
            let mut left = if i > 0 { grid[i - 1] } else { grid[i] };
            // The left end of the feasible region: find where x_k = 0 exactly, and refine
            // between it and the peak.
            if i > 0 && scanned[i - 1].is_none() && grid[i - 1] < grid[i] {
                let corner = self.feasibility_corner(k, grid[i - 1], grid[i]);
                left = corner;
                if let Some((v, o, n)) = self.stage_value(k, c, corner, Some(next.offer)) {
                    consider(corner, v, o, n, false, &mut best);
                }
            }
            let right = if i + 1 < n_grid { grid[i + 1] } else { grid[i] };
            // Kinks of the continuation (the last stage's offer reaching a kink of its problem)
            // can put several local maxima into one cell of the scan: refine every smooth piece.
            let end_regime =
                |x: f64| match grid.iter().position(|&g| g == x).and_then(|j| scanned[j]) {
                    Some((_, _, next)) => (x, self.regime_of(k, &next)),
                    None => (x, self.regime(k, x)),
                };
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
                let mid = if a <= grid[i] && grid[i] <= b {
                    grid[i]
                } else {
                    0.5 * (a + b)
                };
                let hint = |x: f64| Some(scanned_offer(x).unwrap_or(next.offer));
                if let Some((cand, interior, warm)) = self.refine(k, c, [a, mid, b], hint) {
                    if let Some((v, o, n)) = self.stage_value(k, c, cand, warm) {
                        consider(cand, v, o, n, interior, &mut best);
                    }
                }
            }
        }
        // Cells where the stage's own offer crosses a kink or cliff of π: split at the
        // crossing and refine both sides (a peak there can hide between two scan points whose
        // values fall away from it).
        for i in 0..n_grid.saturating_sub(1) {
            let (Some((_, offer_a, next_a)), Some((_, offer_b, _))) = (scanned[i], scanned[i + 1])
            else {
                continue;
            };
            for &kink in &self.pi_kinks[..self.n_pi_kinks] {
                if !(offer_a < kink && kink <= offer_b) {
                    continue;
                }
                let cross = self.offer_preimage(
                    k,
                    (grid[i], offer_a),
                    (grid[i + 1], offer_b),
                    kink,
                    next_a.offer,
                );
                if let Some((v, o, n)) = self.stage_value(k, c, cross, Some(next_a.offer)) {
                    consider(cross, v, o, n, false, &mut best);
                }
                // Each side of the crossing is smooth, but it can rise to a narrow bump next to
                // the cliff after falling from the scan point. Points crowding geometrically
                // toward the crossing (down to 1/1024 of the side) locate the side's best
                // point; a slope root between its neighbours refines it.
                let inside = cross - 1e-9 * (cross - grid[i]);
                for (far, near) in [(grid[i], inside), (grid[i + 1], cross)] {
                    let mut points = [(far, f64::NEG_INFINITY, None); CROWD + 2];
                    let mut warm = Some(scanned_offer(far).unwrap_or(next_a.offer));
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
                    let j = (0..points.len())
                        .max_by(|&p, &q| points[p].1.total_cmp(&points[q].1))
                        .expect("points");
                    let (x, value, warm) = points[j];
                    if !(value > f64::NEG_INFINITY) {
                        continue;
                    }
                    let mut cand = x;
                    if j > 0 && j + 1 < points.len() {
                        let (lower, upper) = if far < near {
                            (points[j - 1], points[j + 1])
                        } else {
                            (points[j + 1], points[j - 1])
                        };
                        let (sa, offer_a) = self.stage_slope(k, c, lower.0, lower.2);
                        let (sb, _) = self.stage_slope(k, c, upper.0, upper.2);
                        if sa > 0.0 && sb < 0.0 {
                            cand = self
                                .slope_root(k, c, lower.0, upper.0, sa, sb, Some(offer_a))
                                .0;
                        }
                    }
                    if let Some((v, o, n)) = self.stage_value(k, c, cand, warm) {
                        consider(cand, v, o, n, cand != x, &mut best);
                    }
                }
            }
        }
        match best {
            Some((_, reply)) => reply,
            // Every candidate infeasible (cannot happen: c_k = 1 is always feasible).
            None => reply_of(1.0, c, 0.0, 0.0, false, f64::NAN),
        }
    }

    /// The regime of the continuation after cutoff `cand` at stage `k < K`: for a last stage,
    /// where its offer lies relative to [`Self::kinks`] (between two, or at one; −1 if nobody
    /// accepts), nondecreasing in `cand`; 0 otherwise. The stage-`k` objective is smooth
    /// where the regime is constant.
    fn regime(&self, k: usize, cand: f64) -> i32 {
        if k + 1 != self.last() {
            return 0;
        }
        self.regime_of(k, &self.last_stage(cand, None, false).0)
    }

    /// [`Self::regime`] from the continuation's reply.
    fn regime_of(&self, k: usize, next: &Reply) -> i32 {
        if k + 1 != self.last() {
            return 0;
        }
        if !(next.value > 0.0) {
            return -1;
        }
        let mut code = 0;
        for &kink in &self.kinks[..self.n_kinks] {
            if (next.offer - kink).abs() <= 1e-10 {
                return code + 1;
            }
            if next.offer > kink {
                code += 2;
            }
        }
        code
    }

    /// Appends to `out` the points of `(a, b]` where the continuation's regime changes
    /// (bisection; the regime is monotone in the cutoff).
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
    /// search. `hint(x)` warm-starts the next stage at `x`; the result carries a warm start
    /// at the refined point.
    fn refine(
        &self,
        k: usize,
        c: f64,
        [left, mid, right]: [f64; 3],
        hint: impl Fn(f64) -> Option<f64>,
    ) -> Option<(f64, bool, Option<f64>)> {
        if right <= left {
            return None;
        }
        let slope = |x: f64| self.stage_slope(k, c, x, hint(x)).0;
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
            return Some((mid, true, hint(mid)));
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
                let (root, offer) = self.slope_root(k, c, a, b, sa, sb, hint(mid));
                return Some((root, true, offer));
            }
        }
        let tol = 1e-13 * (1.0 + mid.abs()) * self.home.scale.min(1.0);
        let objective = |x: f64| {
            self.stage_value(k, c, x, hint(mid))
                .map(|v| v.0)
                .unwrap_or(f64::NEG_INFINITY)
        };
        let best = golden_max(objective, left, right, tol.max(1e-13)).0;
        Some((best, false, hint(mid)))
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

    /// The cutoff at which the implied offer `x_k` is exactly 0, between an infeasible `a` and a
    /// feasible `b` (bisection on the monotone offer).
    fn feasibility_corner(&self, k: usize, mut a: f64, mut b: f64) -> f64 {
        let mut hint = None;
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
                b = m;
            }
        }
        b
    }
}

fn reply_of(
    offer: f64,
    cutoff: f64,
    value: f64,
    marginal: f64,
    interior: bool,
    next_offer: f64,
) -> Reply {
    Reply {
        offer: offer.clamp(0.0, 1.0),
        cutoff,
        value,
        marginal,
        interior,
        next_offer,
    }
}
