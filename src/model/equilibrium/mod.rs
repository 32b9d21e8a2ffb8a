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
//! * **Last stage** (`last_stage.rs`). `log π` and `log[G(x) − G(c)]` are concave in `x` for
//!   the three families (all log-concave), so the first-order condition
//!   `ψ(x) = (log π)'(x) + g(x)/[G(x) − G(c)] = 0` has one root; it is bracketed and solved by
//!   safeguarded Newton steps (bisection where a step would not shrink `|ψ|` fast), warm-started
//!   from a neighbouring solve, or the maximum is at a corner `x ∈ {max(0, c), 1}`. When no
//!   type is left above `c` (off the path) the offer is the limit `max(c, argmax π)`, so that
//!   `x_K(c)` stays continuous where the mass underflows.
//! * **Earlier stages** (`earlier_stages/`). The objective in `c_k` need not be concave. It is
//!   scanned on a grid that is uniform both in `c_k` and in the quantiles `G(c_k)`
//!   (`earlier_stages/scan.rs`), every local maximum of the scan is refined by solving the
//!   first-order condition (envelope theorem: `W'_{k+1}(c) = −π(x_{k+1}) g(c)`;
//!   `earlier_stages/refinement.rs`), so is every scan cell in which the stage's own offer
//!   crosses a kink or cliff of `π` (a narrow foreign window can hide a peak there;
//!   `earlier_stages/kink_crossings.rs`), and the best of the refined points, the feasibility
//!   corner (`x_k = 0`) and "nobody accepts at this stage" (`c_k = c`) is returned
//!   (`earlier_stages/mod.rs`). Ties go to "nobody accepts", so a fully strategic poll returns
//!   the one-shot path (MODEL.md §5).
//! * **Certificates** (`certificate.rs`, `earlier_stages/certificate.rs`). [`certify_path`]
//!   proves each earlier stage's maximum by branch and bound over the cutoff, with bounds that
//!   hold on every cell (the scan's points are its first cells, and it replaces the targeted
//!   search of kink crossings); [`solve_path`], the likelihood's fast path, searches without
//!   the proof. Every stage, path and solution says what it proves ([`Certificate`]).
//!
//! Outcome probabilities follow MODEL.md §4, with `P(failed)` computed from survival functions
//! (not as `1 − …`) so that it keeps its accuracy when it is tiny (`path.rs`).
//!
//! This file holds the public types and entry points. The rest, by idea:
//!
//! * `stage_solver.rs`: `StageSolver`, one observation's primitives shared by all stages (`π`,
//!   its kinks, the transitions), and the reply of any stage;
//! * `last_stage.rs`, `earlier_stages/`: the stage problems above;
//! * `certificate.rs`: what a solve proves ([`Certificate`]) and how stages combine;
//! * `path.rs`: the equilibrium path ([`Path`], [`solve_path`], [`certify_path`]) and its
//!   outcome probabilities;
//! * `sensitivities.rs`: derivatives of the probabilities along the path ([`PathSensitivity`]).

// `!(a > b)` is deliberate throughout (here and in the submodules): it is true when either side
// is NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod certificate;
mod earlier_stages;
mod last_stage;
mod path;
mod sensitivities;
mod stage_solver;

pub use certificate::{Certificate, CERTIFICATE_TOLERANCE};
pub use path::{certify_path, solve_path, Path};
pub use sensitivities::PathSensitivity;

use super::game::{Game, Proposer, Side, StageKind};
use serde::Serialize;

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
    /// What the solve proves about this path ([`certify_path`]).
    pub certificate: Certificate,
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
    /// The weaker statement of the two games solved ([`Certificate::and`]).
    pub certificate: Certificate,
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

/// Solves an observation's game under a (possibly mixed) proposer, with the certificate of each
/// side's path ([`certify_path`]; [`Solution::certificate`]).
pub fn solve_with_proposer(game: &Game, proposer: Proposer) -> Solution {
    solution(game, proposer, true)
}

/// [`solve_with_proposer`] with the fast search only (no certificate: `unchecked`), for drawing
/// simulated outcomes where many designs are solved and nothing about them is reported.
pub fn solve_with_proposer_unchecked(game: &Game, proposer: Proposer) -> Solution {
    solution(game, proposer, false)
}

fn solution(game: &Game, proposer: Proposer, certify: bool) -> Solution {
    let p_home = match proposer {
        Proposer::Fixed(Side::Home) => 1.0,
        Proposer::Fixed(Side::Foreign) => 0.0,
        Proposer::Mixed { p_home } => p_home.clamp(0.0, 1.0),
    };
    let solve_side = |side: Side| {
        let mut g = *game;
        g.proposer = side;
        equilibrium(&g, certify)
    };
    let foreign_proposes = (p_home < 1.0).then(|| solve_side(Side::Foreign));
    let home_proposes = (p_home > 0.0).then(|| solve_side(Side::Home));
    let mut probabilities = [0.0; 3];
    let (mut share_num, mut share_den, mut strategic) = (0.0, 0.0, 0.0);
    let mut certificate = Certificate::Certified;
    for (eq, weight) in [(&foreign_proposes, 1.0 - p_home), (&home_proposes, p_home)] {
        if let Some(eq) = eq {
            for (p, q) in probabilities.iter_mut().zip(eq.probabilities()) {
                *p += weight * q;
            }
            let (n, d) = eq.share_terms();
            share_num += weight * n;
            share_den += weight * d;
            strategic += weight * eq.p_strategic();
            certificate = certificate.and(eq.certificate);
        }
    }
    Solution {
        p_home,
        foreign_proposes,
        home_proposes,
        probabilities,
        home_share: share_num / share_den,
        p_strategic: strategic,
        certificate,
    }
}

/// Solves an observation's game (fixed proposer side): the equilibrium path, the outcome
/// probabilities and the certificate of the path ([`certify_path`]). Deterministic; finite
/// probabilities in `[0, 1]` summing to 1 for every admissible parameter value.
pub fn solve(game: &Game) -> Equilibrium {
    equilibrium(game, true)
}

fn equilibrium(game: &Game, certify: bool) -> Equilibrium {
    let path = if certify {
        certify_path(game)
    } else {
        solve_path(game, None)
    };
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
        certificate: path.certificate,
    }
}

/// The first stage's maximum with its certificate, for a game of two or three stages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StageCertificate {
    /// The maximizing cutoff `c₁`.
    pub cutoff: f64,
    /// The offer `x₁` it implies.
    pub offer: f64,
    /// The proposer's value `W₁(−∞)` there.
    pub value: f64,
    /// An upper bound on the first stage's objective over its whole feasible set.
    pub upper_bound: f64,
    /// Certified when `upper_bound − value` is within the tolerance.
    pub certificate: Certificate,
}

/// The first stage's maximum and its certificate ([`StageCertificate`]; `None` for one-shot
/// games, whose only stage is certified by theory).
pub fn first_stage_certificate(game: &Game) -> Option<StageCertificate> {
    let solver = stage_solver::StageSolver::new(game, true);
    (solver.len > 1).then(|| {
        let reply = solver.earlier_stage(0, f64::NEG_INFINITY);
        StageCertificate {
            cutoff: reply.cutoff,
            offer: reply.offer,
            value: reply.value,
            upper_bound: reply.bound,
            certificate: reply.certificate,
        }
    })
}

/// The bounds that the first stage's certificate puts on its objective over the cells between
/// consecutive `cuts` (each cell's upper bound, −∞ for an infeasible cell): for tests of the
/// bound itself, which must be at least the objective everywhere in the cell.
pub fn first_stage_cell_bounds(game: &Game, cuts: &[f64]) -> Vec<f64> {
    let solver = stage_solver::StageSolver::new(game, true);
    if solver.len < 2 {
        return Vec::new();
    }
    cuts.windows(2)
        .map(|w| solver.bound_on(0, f64::NEG_INFINITY, w[0], w[1]))
        .collect()
}

/// `[P(ratified), P(renegotiated), P(failed)]` of a game, without building the reported path
/// (the likelihood's fast path: no allocation).
pub fn outcome_probabilities(game: &Game) -> [f64; 3] {
    solve_path(game, None).probabilities
}
