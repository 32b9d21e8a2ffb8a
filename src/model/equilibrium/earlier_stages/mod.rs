//! An earlier stage `k < K`, given the cutoff `c` of the types already gone: the proposer
//! chooses the cutoff `c_k ≥ c` below which types accept now, and the offer follows from the
//! cutoff type's indifference between accepting now and waiting for the next stage's offer:
//!
//! ```text
//! W_k(c) = max_{c_k ≥ c}   π(x_k)·[G(c_k) − G(c)] + λ_{k+1}·W_{k+1}(c_k),
//!          x_k = c_k + κ_{k+1}·max(x_{k+1}(c_k) − c_k, 0)
//! ```
//!
//! The objective in `c_k` need not be concave. It is scanned on a grid (`scan.rs`), every local
//! maximum of the scan is refined by its first-order condition (`refinement.rs`), so is, where
//! the scan knows the slopes at its points (a middle stage, and the solved points of the first
//! stage of three), every cell whose cubic Hermite interpolant has a maximum inside that the
//! values alone hide (`hermite.rs`), in the first stage of three every cell where the middle
//! stage's regime changes and the tangents at its ends reach above the incumbent, and every scan cell in which the stage's own offer crosses
//! a kink or cliff of `π` (`kink_crossings.rs`); the best of the refined points, the
//! feasibility corner (`x_k = 0`) and "nobody accepts at this stage" (`c_k = c`) is returned
//! (this file, with the objective itself). Ties go to "nobody accepts", so a fully strategic
//! poll returns the one-shot path (MODEL.md §5).
//!
//! A middle stage (the vote of `[poll, vote, renegotiation]`), solved for the cutoffs the first
//! stage tries, reads its continuation from a table solved once per game
//! (`continuation_table.rs`). The first stage's scan ranks its grid points by estimates of the
//! middle stage (the table's points, the maximum of a cubic interpolant at each peak) and solves
//! it only at its best peaks and their neighbours (`estimate.rs`). At an interior optimum its
//! offer's slope in `c` comes from the implicit function theorem (`refinement.rs`), and each
//! root search of its slope starts from the slopes already known around its bracket, including
//! those at the last-stage solves that earlier searches kept (`numeric::warm_root`,
//! `continuation_table::RecentSolves`). Every solve of an earlier stage is kept
//! (`StageSolver::earlier_solves`), so that within one game a stage's reply is a function of
//! its cutoff: the warm starts make a search depend on what was solved before it, and where two
//! of the middle stage's maxima tie to within the search's accuracy, two searches at one cutoff
//! could return different ones (the first stage would price its offer on one and the path, which
//! asks again for the middle stage at the first stage's cutoff, report the other).
//!
//! With a certificate (`certificate.rs`), the kink crossings are not searched: the branch and
//! bound starts from the scan's cells and the incumbent of the refined peaks and hidden maxima
//! (as the fast search's), proves it optimal to the tolerance or finds and polishes a better
//! point, and returns the upper bound with the maximum.

mod certificate;
mod continuation_table;
mod estimate;
mod hermite;
mod kink_crossings;
mod refinement;
mod scan;
mod slope_bounds;

use super::certificate::Certificate;
use super::stage_solver::{EarlierSolve, Reply, StageSolver};
pub(super) use continuation_table::ContinuationTable;
use scan::{Scan, GRID_ONLY, WITH_TABLE};

/// Values within this relative distance count as ties.
const TIE: f64 = 1e-12;

/// The best candidate cutoff of an earlier stage so far and its reply: a candidate replaces it
/// only if its value is higher beyond a tie ([`TIE`]).
struct Best<'s, 'a> {
    solver: &'s StageSolver<'a>,
    /// The cutoff `c` of the types already gone.
    c: f64,
    /// `λ_{k+1}`.
    lambda: f64,
    /// The value and the reply of the best candidate.
    best: Option<(f64, Reply)>,
}

impl Best<'_, '_> {
    /// The incumbent's value (−∞ before any feasible candidate).
    fn value(&self) -> f64 {
        self.best.map_or(f64::NEG_INFINITY, |(v, _)| v)
    }

    /// Whether a candidate of value `value` replaces the incumbent: there is none, or the value
    /// is higher beyond a tie.
    fn beaten_by(&self, value: f64) -> bool {
        match self.best {
            None => true,
            Some((v, _)) => value > v + TIE * v.abs().max(1e-300),
        }
    }

    /// Considers the candidate cutoff `cand` with the stage value `value`, the offer `offer` it
    /// implies and the next stage's reply `next` there.
    ///
    /// The incumbent itself, found again as a root of the first-order condition (a refinement
    /// can end on a scan point), becomes interior: its offer's slope then follows by the
    /// implicit function theorem.
    fn consider(&mut self, cand: f64, value: f64, offer: f64, next: Reply, interior: bool) {
        let c = self.c;
        if let Some((_, reply)) = &mut self.best {
            if interior && cand > c && reply.cutoff == cand {
                reply.interior = true;
            }
        }
        if self.beaten_by(value) {
            let marginal = if cand > c {
                self.solver.pi(offer)
            } else {
                self.lambda * next.marginal
            };
            self.best = Some((
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
    }

    /// Considers the polish of the incumbent (a local refinement from it): it replaces the
    /// incumbent unless it is worse beyond a tie ([`TIE`]), since near a maximum the values of
    /// the two can differ by rounding while the polished cutoff is the more accurate.
    fn consider_polish(&mut self, cand: f64, value: f64, offer: f64, next: Reply, interior: bool) {
        let worse = self
            .best
            .is_some_and(|(v, _)| v > value + TIE * value.abs().max(1e-300));
        if !worse {
            self.best = None;
            self.consider(cand, value, offer, next, interior);
        }
    }

    /// Considers an estimated candidate (`estimate.rs`): cutoff `cand > c` with the estimated
    /// stage value `value`, the offer `offer` and the next stage's offer `next_offer` there.
    fn consider_estimate(&mut self, cand: f64, value: f64, offer: f64, next_offer: f64) {
        if self.beaten_by(value) {
            let marginal = self.solver.pi(offer);
            self.best = Some((
                value,
                reply_of(offer, cand, value, marginal, true, next_offer),
            ));
        }
    }
}

impl<'a> StageSolver<'a> {
    /// An earlier stage `k < K` given `c`: its kept solve at `c` if there is one
    /// ([`StageSolver::earlier_solves`]), else [`Self::search_earlier_stage`], kept.
    pub(super) fn earlier_stage(&self, k: usize, c: f64) -> Reply {
        if let Some(kept) = self.kept_earlier_stage(k, c) {
            return kept;
        }
        let outer_failed = self.failed_step.replace(false);
        let reply = self.search_earlier_stage(k, c, false);
        let failed = self.failed_step.get();
        self.failed_step.set(outer_failed || failed);
        self.earlier_solves.borrow_mut().push(EarlierSolve {
            k,
            c,
            reply,
            failed,
            slope: None,
        });
        reply
    }

    /// The kept solve's reply of the earlier stage `k` at `c`, if there is one; a kept failure
    /// marks the current solve as failed, as the search did when it ran.
    pub(super) fn kept_earlier_stage(&self, k: usize, c: f64) -> Option<Reply> {
        let kept = self.earlier_solve(k, c)?;
        if kept.failed {
            self.failed_step.set(true);
        }
        Some(kept.reply)
    }

    /// An earlier stage `k < K`: scan, refine local maxima, compare with the corners. With
    /// `estimate` (a middle stage, for the first stage's scan: `estimate.rs`), the local maxima
    /// are estimated instead of refined.
    fn search_earlier_stage(&self, k: usize, c: f64, estimate: bool) -> Reply {
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
        let low = self.lowest_cutoff(k, c);
        let high = 1.0;

        // A step that fails in this stage's search (or in a later stage's inside it) marks it.
        let outer_failed = self.failed_step.replace(false);
        // "Nobody accepts at stage k": c_k = c.
        let nobody = if k + 1 == self.last() && self.continuation_table(k).is_some() {
            // The scan of a middle stage starts at `c` too (when it is feasible): keep the
            // solve, with its slope, for it.
            let (reply, slope) = self.best_reply_with_slope(k + 1, c, None);
            self.keep_last_stage(c, reply, slope);
            reply
        } else {
            self.best_reply(k + 1, c, None)
        };
        let mut best = Best {
            solver: self,
            c,
            lambda: t.lambda,
            best: self
                .stage_value_given(k, c, c, nobody)
                .map(|(v, offer, next)| {
                    let marginal = t.lambda * next.marginal;
                    (v, reply_of(offer, c, v, marginal, false, next.offer))
                }),
        };
        let (certificate, bound) = if let Some(table) = self.continuation_table(k) {
            // A middle stage of the fast search, with its continuation table.
            let mut scan = Scan::<WITH_TABLE>::new(Some(table));
            self.scan(k, c, (low, high), !estimate, &mut scan);
            if estimate {
                self.estimate_peaks(k, c, &scan, &mut best);
            } else {
                self.refine_peaks(k, c, &scan, &mut best);
                self.refine_hidden_peaks(k, c, &scan, &mut best);
                self.refine_regime_changes(k, c, &scan, &mut best);
                self.refine_kink_crossings(k, c, &scan, &mut best);
            }
            self.search_statement()
        } else {
            let mut scan = Scan::<GRID_ONLY>::new(None);
            self.scan(k, c, (low, high), true, &mut scan);
            self.settle_estimates(k, c, &mut scan);
            self.refine_peaks(k, c, &scan, &mut best);
            if k + 2 == self.last() {
                // The scan knows its slopes here (the first stage of three: `scan.rs`), but
                // where the middle stage's optimum is not interior.
                self.complete_slopes(k, c, &mut scan, &best);
                self.refine_hidden_peaks(k, c, &scan, &mut best);
                self.refine_regime_changes(k, c, &scan, &mut best);
            }
            self.refine_kink_crossings(k, c, &scan, &mut best);
            if self.certify {
                // The certified solve starts from the fast search's incumbent: its branch and
                // bound need not reach a certificate (a first-order bound only, where the next
                // stage is an earlier stage), and then it returns the best point it has. The
                // bound holds whatever the polish did: the certificate covers a failed step.
                self.certify(k, c, &scan, self.cell_end(k, c, c, nobody), &mut best)
            } else {
                self.search_statement()
            }
        };
        self.failed_step.set(outer_failed || self.failed_step.get());
        match best.best {
            Some((_, reply)) => Reply {
                certificate,
                bound,
                ..reply
            },
            // Every candidate infeasible: c_k = 1 is always feasible, so a solve that gets
            // here has failed numerically; it says so.
            None => Reply {
                certificate: Certificate::Failed,
                ..reply_of(1.0, c, 0.0, 0.0, false, f64::NAN)
            },
        }
    }

    /// What a search without a certificate says: `Failed` if a step failed, else `Unchecked`.
    fn search_statement(&self) -> (Certificate, f64) {
        if self.failed_step.get() {
            (Certificate::Failed, f64::NAN)
        } else {
            (Certificate::Unchecked, f64::NAN)
        }
    }

    /// The lower end of the stage-`k` scan given `c`: feasible cutoffs have `x_k ≥ 0`, which
    /// needs `c_k ≥ −κ/(1 − κ)` (and `x_k ≤ 1` needs `c_k ≤ 1`), and below
    /// [`StageSolver::tail_low`] `G` has negligible mass.
    pub(super) fn lowest_cutoff(&self, k: usize, c: f64) -> f64 {
        let kappa = self.transitions[k + 1].kappa;
        let feasible_low = if kappa < 1.0 {
            -kappa / (1.0 - kappa)
        } else {
            f64::NEG_INFINITY
        };
        c.max(feasible_low).max(self.tail_low).min(1.0)
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
        self.stage_value_with_mass(k, c, cand, next, || self.home.mass_fast(c, cand))
    }

    /// [`Self::stage_value_given`] with the mass `G(cand) − G(c)` computed by `mass` (called only
    /// when `cand > c`).
    #[inline]
    fn stage_value_with_mass(
        &self,
        k: usize,
        c: f64,
        cand: f64,
        next: Reply,
        mass: impl FnOnce() -> f64,
    ) -> Option<(f64, f64, Reply)> {
        let (offer, pi, continuation) = self.stage_terms(k, cand, &next)?;
        let accept = if cand > c { pi * mass() } else { 0.0 };
        Some((accept + continuation, offer, next))
    }

    /// The parts of the stage-`k` value of cutoff `cand` that do not depend on `c`, given the
    /// next stage's reply there: the offer `x_k` it implies, `π(x_k)` and `λ_{k+1}·W_{k+1}`
    /// (`None` when the implied offer would be negative). The value given `c` is
    /// `π(x_k)·[G(cand) − G(c)] + λ_{k+1}·W_{k+1}` (the first term only when `cand > c`).
    #[inline]
    pub(super) fn stage_terms(&self, k: usize, cand: f64, next: &Reply) -> Option<(f64, f64, f64)> {
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
        Some((offer, self.pi(offer), t.lambda * next.value))
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
        certificate: Certificate::Certified,
        bound: value,
    }
}
