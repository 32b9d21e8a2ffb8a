//! The state shared by the stage problems of one observation's game: its primitives, the
//! proposer's payoff from a package ratified at home,
//!
//! ```text
//! π(x) = u(x)·G_F(1 − x),     u(x) = 1 − x (foreign proposer) or x (home proposer)
//! ```
//!
//! (`G_F ≡ 1` without a foreign constraint), the offers where `π` or the last stage's
//! first-order condition has a kink, and the reply of any stage (dispatching to
//! `last_stage.rs` or `earlier_stages/`). The stage problems themselves are further
//! `impl StageSolver` blocks in those files.

use super::certificate::Certificate;
use super::earlier_stages::ContinuationTable;
use crate::model::distribution::{Family, Threshold};
use crate::model::game::{Game, Side, StageKind, Transition};

/// The solution of stage `k` given the cutoff `c` of the types already gone.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reply {
    /// The offer `x_k(c)`.
    pub(super) offer: f64,
    /// The cutoff `c_k(c) ≥ c` (equal to `c` if nobody accepts at stage `k`).
    pub(super) cutoff: f64,
    /// `W_k(c)`.
    pub(super) value: f64,
    /// `m` with `W_k'(c) = −m·g(c)`: `π` of the first offer that somebody accepts, times the
    /// proposer's discounts on the way there.
    pub(super) marginal: f64,
    /// The cutoff is an interior root of the stage's first-order condition.
    pub(super) interior: bool,
    /// The next stage's offer after this stage's cutoff (NaN at the last stage): a warm start
    /// for solving the next stage on the path.
    pub(super) next_offer: f64,
    /// What the solve proves about its maximum.
    pub(super) certificate: Certificate,
    /// An upper bound on `W_k(c)` over the whole feasible set (NaN when not computed).
    pub(super) bound: f64,
}

/// Holds an observation's primitives and solves its stage problems.
pub(super) struct StageSolver<'a> {
    pub(super) home: &'a Threshold,
    pub(super) foreign: Option<&'a Threshold>,
    pub(super) proposer: Side,
    pub(super) len: usize,
    pub(super) kinds: [StageKind; 3],
    /// `transitions[k]`: moving into stage `k` (entry 0 unused).
    pub(super) transitions: [Transition; 3],
    /// Lower end of the scan: below it `G` has negligible mass (only for `len > 1`).
    pub(super) tail_low: f64,
    /// The logistic one-shot closed form applies (one-sided, foreign proposer).
    pub(super) lambert: bool,
    /// `argmax π` on `[0, 1]` (computed when first needed).
    pub(super) pi_peak: std::cell::OnceCell<f64>,
    /// Offers where the last stage's first-order condition jumps (0, 1 and the ends of uniform
    /// supports, home or foreign), sorted: kinks of the last stage's offer as a function of `c`.
    pub(super) kinks: [f64; 6],
    pub(super) n_kinks: usize,
    /// Offers where `π` has a kink or a cliff: the ends of a uniform foreign support (mapped by
    /// `x = 1 − r_F`) or the middle `1 − μ_F` of a smooth one. An earlier stage's objective can
    /// peak between two scan points where its own offer crosses one of them.
    pub(super) pi_kinks: [f64; 2],
    pub(super) n_pi_kinks: usize,
    /// Earlier stages prove their maxima by branch and bound (`earlier_stages/certificate.rs`);
    /// else they are `Unchecked`.
    pub(super) certify: bool,
    /// A numerical step of the earlier stage being solved (a root search of its slope) ran out
    /// of iterations; the stage then says `Failed` unless its certificate covers it.
    pub(super) failed_step: std::cell::Cell<bool>,
    /// The last stage's replies on a grid, shared by the solves of a middle stage (built on
    /// first use; `earlier_stages/continuation_table.rs`).
    pub(super) continuation: std::cell::OnceCell<Box<ContinuationTable>>,
    /// The solves of the earlier stages so far, by stage and cutoff (`earlier_stages/mod.rs`):
    /// each stage is searched once per cutoff, and asked again (the first stage's root search
    /// ends at a cutoff whose middle stage it has just solved; the stage value and the path ask
    /// for it there), it returns the same reply.
    pub(super) earlier_solves: std::cell::RefCell<Vec<EarlierSolve>>,
}

/// An earlier stage's solve kept by [`StageSolver::earlier_solves`].
#[derive(Debug, Clone, Copy)]
pub(super) struct EarlierSolve {
    /// The stage and the cutoff of the types already gone.
    pub(super) k: usize,
    pub(super) c: f64,
    pub(super) reply: Reply,
    /// A numerical step of the solve failed (it marks the stage before too).
    pub(super) failed: bool,
    /// `d x_k / d c` there, once computed.
    pub(super) slope: Option<f64>,
}

impl EarlierSolve {
    /// Whether this is the solve of stage `k` at cutoff `c` (the same bits).
    fn is_at(&self, k: usize, c: f64) -> bool {
        self.k == k && self.c.to_bits() == c.to_bits()
    }
}

impl<'a> StageSolver<'a> {
    /// The solver of `game`; with `certify`, every earlier stage is certified.
    pub(super) fn new(game: &'a Game, certify: bool) -> Self {
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
                Family::Uniform => game.home.location - game.home.scale,
                _ => game.home.quantile(1e-17),
            }
        };
        let (mut kinks, mut n_kinks) = ([0.0, 1.0, 0.0, 0.0, 0.0, 0.0], 2);
        for (dist, flip) in [(Some(&game.home), false), (game.foreign.as_ref(), true)] {
            if let Some(d) = dist.filter(|d| d.family == Family::Uniform) {
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
                Family::Uniform => [f.location - f.scale, f.location + f.scale],
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
            certify,
            failed_step: std::cell::Cell::new(false),
            continuation: std::cell::OnceCell::new(),
            earlier_solves: std::cell::RefCell::new(Vec::new()),
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
            lambert: game.home.family == Family::Logistic
                && game.foreign.is_none()
                && game.proposer == Side::Foreign,
        }
    }

    pub(super) fn last(&self) -> usize {
        self.len - 1
    }

    /// `π(x)`.
    #[inline]
    pub(super) fn pi(&self, x: f64) -> f64 {
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
    pub(super) fn dlog_pi(&self, x: f64) -> (f64, f64) {
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

    /// Stage `k` given cutoff `c`, with `d x_k / d c`; `hint` warm-starts a last stage.
    pub(super) fn best_reply_with_slope(
        &self,
        k: usize,
        c: f64,
        hint: Option<f64>,
    ) -> (Reply, f64) {
        if k == self.last() {
            if let Some(kept) = self.kept_last_stage(c) {
                return kept;
            }
            return self.last_stage(c, hint.or_else(|| self.table_hint(c)), true);
        }
        let reply = self.earlier_stage(k, c);
        if let Some(slope) = self.earlier_solve(k, c).and_then(|s| s.slope) {
            return (reply, slope);
        }
        let slope = self.offer_slope(k, c, &reply);
        if let Some(kept) = self
            .earlier_solves
            .borrow_mut()
            .iter_mut()
            .rev()
            .find(|s| s.is_at(k, c))
        {
            kept.slope = Some(slope);
        }
        (reply, slope)
    }

    /// The kept solve of the earlier stage `k` at cutoff `c`, if there is one
    /// ([`Self::earlier_solves`]).
    pub(super) fn earlier_solve(&self, k: usize, c: f64) -> Option<EarlierSolve> {
        self.earlier_solves
            .borrow()
            .iter()
            .rev()
            .find(|s| s.is_at(k, c))
            .copied()
    }

    /// `d x_k / d c` of an earlier stage `k` at its solution `reply` given `c`: by the implicit
    /// function theorem where it applies, else by re-solving at `c ± ε`.
    pub(super) fn offer_slope(&self, k: usize, c: f64, reply: &Reply) -> f64 {
        if let Some(slope) = self.offer_slope_by_implicit_function(k, c, reply) {
            return slope;
        }
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
        (at(c + eps) - at(c - eps)) / (2.0 * eps)
    }

    pub(super) fn best_reply(&self, k: usize, c: f64, hint: Option<f64>) -> Reply {
        if k == self.last() {
            if let Some((kept, _)) = self.kept_last_stage(c) {
                return kept;
            }
            self.last_stage(c, hint.or_else(|| self.table_hint(c)), false)
                .0
        } else {
            self.earlier_stage(k, c)
        }
    }

    /// A warm start for the last stage at cutoff `c` from the continuation table, if one has
    /// been built.
    pub(super) fn table_hint(&self, c: f64) -> Option<f64> {
        self.continuation.get()?.hint(c)
    }
}
