//! The certificates of the equilibria behind a likelihood value.
//!
//! The likelihood inside the optimizer solves each design's game with the fast global search
//! ([`crate::model::solve_path`]: scan and refinement, statement `unchecked`). At a parameter
//! value that is reported (the estimate), [`Model::certification`] solves every design again
//! with [`crate::model::certify_path`]: each earlier stage's maximum comes with an upper bound
//! over its whole feasible set (branch and bound), and a design is *certified* when every
//! stage of every proposer side it mixes is within [`CERTIFICATE_TOLERANCE`] of its bound. It
//! also compares the certified probabilities with the fast ones: a difference means that the
//! fast search returned a local optimum of some stage and the branch and bound found a better
//! one.

use super::likelihood::{mix, Model};
use crate::model::{certify_path, Certificate, Side, CERTIFICATE_TOLERANCE};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Probabilities that differ by more than this between the fast and the certified solve count
/// as a different equilibrium path.
const MOVED: f64 = 1e-8;

/// What the certified solve of every design says at one parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    /// The relative gap within which a stage counts as certified ([`CERTIFICATE_TOLERANCE`]).
    pub tolerance: f64,
    /// Designs (distinct games) solved.
    pub designs: usize,
    /// Designs whose every stage is certified.
    pub certified: usize,
    /// Designs with a stage whose bound exceeds its value by more than the tolerance.
    pub not_certified: usize,
    /// Designs with a stage whose numerical solve failed.
    pub failed: usize,
    /// Data rows (episodes) whose design is not certified or failed.
    pub episodes_not_certified: usize,
    /// Their share of the total weight.
    pub weight_share_not_certified: f64,
    /// The largest relative gap among designs that are not certified (0 when all are).
    pub largest_gap: f64,
    /// Designs whose certified path differs from the fast search's (some probability by more
    /// than 1e-8).
    pub designs_moved: usize,
    /// The largest such difference in a probability.
    pub largest_move: f64,
    /// Design solves that failed numerically in the likelihood evaluations of the fit
    /// (set by the fit; 0 here).
    #[serde(default)]
    pub failed_solves_during_fit: u64,
}

impl Certification {
    /// The summary of `designs` designs before any is counted.
    fn empty(designs: usize) -> Certification {
        Certification {
            tolerance: CERTIFICATE_TOLERANCE,
            designs,
            certified: 0,
            not_certified: 0,
            failed: 0,
            episodes_not_certified: 0,
            weight_share_not_certified: 0.0,
            largest_gap: 0.0,
            designs_moved: 0,
            largest_move: 0.0,
            failed_solves_during_fit: 0,
        }
    }

    /// Every design is certified and none moved.
    pub fn all_certified(&self) -> bool {
        self.certified == self.designs
            && self.designs_moved == 0
            && self.failed_solves_during_fit == 0
    }

    /// One sentence for table notes and the terminal.
    pub fn describe(&self) -> String {
        let mut s = if self.certified == self.designs {
            format!(
                "Equilibria certified at the estimate: all {} designs (at every stage, no cutoff earns the proposer more than {:.0e} of its payoff above the one solved).",
                self.designs, self.tolerance
            )
        } else {
            format!(
                "Equilibria at the estimate: {} of {} designs certified, {} not certified (largest gap {:.2}%), {} failed; {} episodes ({:.1}% of the weight) rest on them.",
                self.certified,
                self.designs,
                self.not_certified,
                self.largest_gap * 100.0,
                self.failed,
                self.episodes_not_certified,
                self.weight_share_not_certified * 100.0
            )
        };
        if self.designs_moved > 0 {
            s.push_str(&format!(
                " The certified solve found a better path than the likelihood's search for {} designs (probabilities up to {:.1e} apart).",
                self.designs_moved, self.largest_move
            ));
        }
        s
    }

    /// The warning for `estimates.json` and the terminal when not every design is certified,
    /// or when the certified paths differ from the ones the estimate was computed with.
    pub fn warning(&self) -> Option<String> {
        if self.all_certified() {
            return None;
        }
        let mut s = String::new();
        if self.certified < self.designs {
            s.push_str(&format!(
                "the equilibria of {} of {} designs are not certified at the estimate ({} not certified, largest gap {:.2}% of the proposer's payoff; {} failed): the estimate depends on {} episodes ({:.1}% of the weight) whose equilibrium path the solver cannot prove optimal",
                self.designs - self.certified,
                self.designs,
                self.not_certified,
                self.largest_gap * 100.0,
                self.failed,
                self.episodes_not_certified,
                self.weight_share_not_certified * 100.0
            ));
        }
        if self.failed_solves_during_fit > 0 {
            if !s.is_empty() {
                s.push_str("; ");
            }
            s.push_str(&format!(
                "{} design solves failed numerically during the fit (their probabilities were the best found, without a statement about them)",
                self.failed_solves_during_fit
            ));
        }
        if self.designs_moved > 0 {
            if !s.is_empty() {
                s.push_str("; ");
            }
            s.push_str(&format!(
                "for {} designs the certified solve found a better path than the likelihood's fast search (probabilities up to {:.1e} apart), so the log-likelihood at the estimate is not exact there; please report the spec and data",
                self.designs_moved, self.largest_move
            ));
        }
        Some(s)
    }
}

impl Model {
    /// The certificate of every design's equilibrium at the natural parameters `theta`, and
    /// whether the certified probabilities moved from the fast ones.
    pub fn design_certificates(&self, theta: &[f64]) -> Vec<(Certificate, f64)> {
        self.certificates_of(theta, 0..self.designs.len())
    }

    /// [`Model::design_certificates`] for the designs `designs` only (e.g. a sample, to time
    /// the certified solve).
    pub fn certificates_of(
        &self,
        theta: &[f64],
        designs: std::ops::Range<usize>,
    ) -> Vec<(Certificate, f64)> {
        designs
            .into_par_iter()
            .map(|g| {
                let q = self.primitives(g, theta);
                let p_home = q[4];
                let side = |s: Side| certify_path(&self.game(g, &q, s));
                let paths = [
                    (p_home < 1.0).then(|| side(Side::Foreign)),
                    (p_home > 0.0).then(|| side(Side::Home)),
                ];
                let certificate = paths
                    .iter()
                    .flatten()
                    .fold(Certificate::Certified, |c, p| c.and(p.certificate));
                let certified = mix(paths.map(|p| p.map(|p| p.probabilities)), p_home);
                let fast = self.probabilities(g, theta);
                let moved = (0..3)
                    .map(|y| (certified[y] - fast[y]).abs())
                    .fold(0.0, f64::max);
                (certificate, moved)
            })
            .collect()
    }

    /// [`Certification`] at `theta` for data rows with weights `weights`.
    pub fn certification(&self, theta: &[f64], weights: &[f64]) -> Certification {
        let per_design = self.design_certificates(theta);
        let mut out = Certification::empty(per_design.len());
        for &(certificate, moved) in &per_design {
            match certificate {
                Certificate::Certified => out.certified += 1,
                Certificate::NotCertified { gap } => {
                    out.not_certified += 1;
                    out.largest_gap = out.largest_gap.max(gap);
                }
                // `certify_path` never returns `Unchecked`; count it as not certified if it
                // ever did.
                Certificate::Unchecked => {
                    out.not_certified += 1;
                    out.largest_gap = f64::INFINITY;
                }
                Certificate::Failed => out.failed += 1,
            }
            if moved > MOVED {
                out.designs_moved += 1;
                out.largest_move = out.largest_move.max(moved);
            }
        }
        let (mut weight, mut total) = (0.0, 0.0);
        for (row, &g) in self.row_design.iter().enumerate() {
            let w = weights.get(row).copied().unwrap_or(1.0);
            total += w;
            if !per_design[g].0.is_certified() {
                out.episodes_not_certified += 1;
                weight += w;
            }
        }
        out.weight_share_not_certified = if total > 0.0 { weight / total } else { 0.0 };
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Certification {
        Certification {
            certified: 10,
            ..Certification::empty(10)
        }
    }

    #[test]
    fn everything_certified_is_a_note_not_a_warning() {
        let all = summary();
        assert!(all.all_certified());
        assert!(all.warning().is_none());
        assert!(
            all.describe().contains("all 10 designs"),
            "{}",
            all.describe()
        );
    }

    #[test]
    fn what_is_not_certified_is_counted_in_the_warning() {
        let some = Certification {
            certified: 7,
            not_certified: 2,
            failed: 1,
            episodes_not_certified: 31,
            weight_share_not_certified: 0.25,
            largest_gap: 3e-4,
            ..summary()
        };
        let warning = some.warning().expect("a warning");
        for part in [
            "3 of 10 designs",
            "2 not certified",
            "0.03%",
            "1 failed",
            "31 episodes",
            "25.0%",
        ] {
            assert!(warning.contains(part), "{part}: {warning}");
        }
        assert!(some.describe().contains("7 of 10 designs certified"));
        let moved = Certification {
            designs_moved: 2,
            largest_move: 0.1,
            ..summary()
        };
        assert!(moved.warning().unwrap().contains("better path"));
        let failed = Certification {
            failed_solves_during_fit: 5,
            ..summary()
        };
        assert!(failed.warning().unwrap().contains("5 design solves failed"));
    }
}
