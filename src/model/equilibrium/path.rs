//! The equilibrium path of one observation's game and its outcome probabilities (MODEL.md §4).
//!
//! The stages are solved forward from `c_0 = −∞`, each given the cutoff its predecessor left
//! (the last stage in `last_stage.rs`, the earlier ones in `earlier_stages/`). With `reach_k`
//! the probability of moving into stage `k` after a rejection at `k − 1` and
//! `R_k = reach_1·…·reach_k` (`reach_1 = 1`):
//!
//! ```text
//! P(accept at k) = R_k·[G(c_k) − G(c_{k−1})]
//! P(failed)      = Σ_{k ≥ 2} R_{k−1}·(1 − reach_k)·[1 − G(c_{k−1})] + R_K·[1 − G(c_K)]
//! ```
//!
//! Acceptance at a renegotiation stage counts as renegotiated, at a poll or a vote as ratified.
//! `P(failed)` is summed from survival functions (not as `1 − …`), so that it keeps its
//! accuracy when it is tiny; the three are then normalized by their sum.

use super::certificate::Certificate;
use super::stage_solver::StageSolver;
use crate::model::game::{Game, StageKind};

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
    /// What the solve proves: the weakest statement of its stages ([`Certificate`]). A path
    /// re-solved locally (`near`) inherits the statement of the path it starts from.
    pub certificate: Certificate,
}

/// Solves the path. With `near = Some(base)`, the base solution of a game with nearly the same
/// primitives, every earlier stage whose base cutoff was an interior optimum is re-solved
/// locally around it (no scan); this is how finite-difference derivatives stay cheap and
/// smooth. Anything else falls back to the full global solve.
///
/// This is the likelihood's fast path: the earlier stages are searched globally but not
/// certified (their statement is [`Certificate::Unchecked`]; a failed step still says
/// `Failed`). [`certify_path`] proves the path.
pub fn solve_path(game: &Game, near: Option<&Path>) -> Path {
    path_of(&StageSolver::new(game, false), game, near)
}

/// Solves the path and certifies every stage of it: each earlier stage's maximum comes with an
/// upper bound over its whole feasible set (branch and bound), and [`Path::certificate`] says
/// whether every gap is within [`crate::model::CERTIFICATE_TOLERANCE`]. The path is the same as
/// [`solve_path`]'s unless the branch and bound finds a better point.
pub fn certify_path(game: &Game) -> Path {
    path_of(&StageSolver::new(game, true), game, None)
}

fn path_of(solver: &StageSolver, game: &Game, near: Option<&Path>) -> Path {
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
        certificate: near.map_or(Certificate::Certified, |b| b.certificate),
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
        } else if let Some(kept) = solver.kept_earlier_stage(k, previous) {
            // The stage before priced its offer on this solve (a middle stage solved at the
            // first stage's cutoff): the path follows it, also when re-solving near a base.
            kept
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
        path.certificate = path.certificate.and(reply.certificate);
        previous = cutoff;
        next_offer = reply.next_offer;
    }
    p_failed += reach * home.sf(previous);
    let total = p_ratified + p_renegotiated + p_failed;
    path.probabilities = if total > 0.0 && total.is_finite() {
        [p_ratified / total, p_renegotiated / total, p_failed / total]
    } else {
        // No finite probabilities: the solve failed numerically. The likelihood still gets
        // valid probabilities, and the failure is counted and reported.
        path.certificate = Certificate::Failed;
        [0.0, 0.0, 1.0]
    };
    path
}

/// Outcome probabilities of a two-stage game whose first cutoff is `c1` and whose last offer
/// (and cutoff) is `x2` (MODEL.md §4).
pub(super) fn two_stage_probabilities(game: &Game, c1: f64, x2: f64) -> [f64; 3] {
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
