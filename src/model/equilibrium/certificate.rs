//! What a solve proves about the optimum it returns ([`Certificate`]), and how the statements of
//! the stages of one path combine.
//!
//! A stage's maximization returns its maximizer together with an upper bound `U` on the stage
//! objective over the whole feasible set; the stage is *certified* when
//! `U − W ≤ ε·W + 1e-15` with `W` the value returned and `ε =` [`CERTIFICATE_TOLERANCE`]. The
//! last stage is certified by the log-concavity of its objective once its first-order
//! condition is solved (`last_stage.rs`); the earlier stages by branch and bound over the cutoff
//! (`earlier_stages/certificate.rs`). A path is certified when every stage on it is.

use serde::Serialize;

/// The relative gap `(U − W)/W` within which a stage's maximum counts as certified.
pub const CERTIFICATE_TOLERANCE: f64 = 1e-9;

/// What a solve proves about the maximum it returns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Certificate {
    /// An upper bound over the whole feasible set is within [`CERTIFICATE_TOLERANCE`] of the
    /// value returned.
    Certified,
    /// The best upper bound found exceeds the value returned by `gap` (relative to the value);
    /// `gap` is +∞ where a part of the feasible set could not be bounded.
    NotCertified {
        /// `(U − W)/W`.
        gap: f64,
    },
    /// The global search ran (scan and refinement) but no bound was computed: the fast path
    /// of the likelihood inside the optimizer (see [`crate::model::certify_path`]).
    Unchecked,
    /// A numerical step did not converge: the point returned is the best one found, without a
    /// statement about it.
    Failed,
}

impl Certificate {
    /// The weaker of two statements (a path is as certain as its least certain stage):
    /// failed, then not certified (the larger gap), then unchecked, then certified.
    pub fn and(self, other: Certificate) -> Certificate {
        use Certificate::*;
        match (self, other) {
            (Failed, _) | (_, Failed) => Failed,
            (NotCertified { gap: a }, NotCertified { gap: b }) => NotCertified { gap: a.max(b) },
            (NotCertified { gap }, _) | (_, NotCertified { gap }) => NotCertified { gap },
            (Unchecked, _) | (_, Unchecked) => Unchecked,
            (Certified, Certified) => Certified,
        }
    }

    /// The statement for a stage whose value is `value` and whose upper bound over the whole
    /// feasible set is `upper`: certified when `upper − value ≤ ε·value + 1e-15` (the absolute
    /// term: payoffs below it are rounding), else not certified with the relative gap.
    pub fn from_bound(upper: f64, value: f64) -> Certificate {
        let excess = upper - value;
        if excess <= CERTIFICATE_TOLERANCE * value.abs() + 1e-15 {
            return Certificate::Certified;
        }
        let gap = excess / value.abs().max(1e-15);
        Certificate::NotCertified {
            gap: if gap.is_nan() { f64::INFINITY } else { gap },
        }
    }

    /// Certified.
    pub fn is_certified(self) -> bool {
        self == Certificate::Certified
    }

    /// A short label: `certified`, `not_certified`, `unchecked` or `failed`.
    pub fn label(self) -> &'static str {
        match self {
            Certificate::Certified => "certified",
            Certificate::NotCertified { .. } => "not_certified",
            Certificate::Unchecked => "unchecked",
            Certificate::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_combine_to_the_weakest() {
        let c = Certificate::Certified;
        let n = |gap| Certificate::NotCertified { gap };
        assert_eq!(c.and(c), c);
        assert_eq!(c.and(n(0.1)), n(0.1));
        assert_eq!(n(0.2).and(n(0.1)), n(0.2));
        assert_eq!(n(0.2).and(Certificate::Failed), Certificate::Failed);
        assert_eq!(c.and(Certificate::Unchecked), Certificate::Unchecked);
        assert_eq!(n(0.1).and(Certificate::Unchecked), n(0.1));
    }

    #[test]
    fn a_bound_within_the_tolerance_certifies() {
        assert_eq!(
            Certificate::from_bound(1.0 + 1e-10, 1.0),
            Certificate::Certified
        );
        assert_eq!(Certificate::from_bound(1e-16, 0.0), Certificate::Certified);
        let Certificate::NotCertified { gap } = Certificate::from_bound(0.5 + 1e-3, 0.5) else {
            panic!("a gap of 2e-3 is not certified");
        };
        assert!((gap - 2e-3).abs() < 1e-12);
        for upper in [f64::NAN, f64::INFINITY] {
            assert_eq!(
                Certificate::from_bound(upper, 1.0),
                Certificate::NotCertified { gap: f64::INFINITY }
            );
        }
    }
}
