//! Histograms of the bootstrap draws of the free parameters: per parameter, 30 bins over the
//! range shown, with the estimate and the 95% percentile interval. The range is that of the
//! draws (and the estimate and interval), trimmed to the 1%–99% order statistics only when a
//! few draws run far off (the full range is more than three times the central 98%'s), so that
//! diverging replicates do not squash the histogram; the draws outside it are counted.

use super::parameter_label;
use crate::analyses::bootstrap::BootstrapResults;
use crate::problem::labels::Labels;
use crate::problem::likelihood::Model;
use serde::{Deserialize, Serialize};

/// Bins of each histogram.
pub const BINS: usize = 30;

/// The bootstrap figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapDistributions {
    /// `B`.
    pub replicates: usize,
    /// Replicates whose fit converged (drawn).
    pub converged: usize,
    /// One histogram per free parameter.
    pub panels: Vec<Histogram>,
}

/// The histogram of one parameter's converged draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The parameter's axis label.
    pub label: String,
    /// Its estimate.
    pub estimate: f64,
    /// Its 95% percentile interval (an end is infinite when diverged replicates reach it).
    pub interval: Option<(f64, f64)>,
    /// Diverged replicates in which the parameter ran off (not in the histogram).
    pub run_off: usize,
    /// The range shown: bins of equal width from `lo` to `hi`.
    pub lo: f64,
    /// End of the range shown.
    pub hi: f64,
    /// Draws per bin.
    pub counts: Vec<usize>,
    /// Draws outside the range shown.
    pub outside: usize,
}

/// The histograms of a complete bootstrap (`None` without one, or without free parameters),
/// each titled by its parameter's label.
pub fn bootstrap_distributions(
    labels: &Labels,
    model: &Model,
    theta: &[f64],
    bootstrap: Option<&BootstrapResults>,
) -> Option<BootstrapDistributions> {
    let b = bootstrap?;
    let summary = b.summary.as_ref()?;
    let panels: Vec<Histogram> = model
        .space
        .free()
        .into_iter()
        .map(|j| {
            let values: Vec<f64> = b
                .converged_draws()
                .map(|d| d.values[j])
                .filter(|v| v.is_finite())
                .collect();
            Histogram {
                run_off: summary.parameters[j].run_off,
                ..histogram(
                    parameter_label(labels, model, &model.space.parameters[j].name),
                    theta[j],
                    summary.parameters[j].interval,
                    &values,
                )
            }
        })
        .collect();
    (!panels.is_empty()).then_some(BootstrapDistributions {
        replicates: summary.replicates,
        converged: summary.converged,
        panels,
    })
}

/// The histogram of `values` (finite) around `estimate` and `interval`.
pub fn histogram(
    label: String,
    estimate: f64,
    interval: Option<(f64, f64)>,
    values: &[f64],
) -> Histogram {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Order statistics (no interpolation, which would put a range end between a far-off draw
    // and the next one).
    let q = |p: f64| {
        sorted
            .get(((sorted.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(estimate)
    };
    let (min, max) = (q(0.0), q(1.0));
    let (c_lo, c_hi) = (q(0.01), q(0.99));
    let trim = max - min > 3.0 * (c_hi - c_lo);
    let mut lo = if trim { c_lo } else { min }.min(estimate);
    let mut hi = if trim { c_hi } else { max }.max(estimate);
    // An infinite end (diverged replicates) is not part of the range shown.
    if let Some((a, b)) = interval {
        if a.is_finite() {
            lo = lo.min(a);
        }
        if b.is_finite() {
            hi = hi.max(b);
        }
    }
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let width = (hi - lo) / BINS as f64;
    let mut counts = vec![0usize; BINS];
    let mut outside = 0usize;
    for v in values {
        if *v < lo || *v > hi {
            outside += 1;
        } else {
            counts[(((v - lo) / width) as usize).min(BINS - 1)] += 1;
        }
    }
    Histogram {
        label,
        estimate,
        interval,
        run_off: 0,
        lo,
        hi,
        counts,
        outside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_far_off_draw_trims_the_range_to_the_central_draws() {
        // 0.00, 0.01, …, 1.99 and one draw at 1000.
        let mut values: Vec<f64> = (0..200).map(|i| i as f64 / 100.0).collect();
        values.push(1000.0);
        let h = histogram("x".into(), 1.0, Some((0.05, 1.95)), &values);
        // The 1%–99% order statistics of the 201 draws: 0.02 and 1.98; 0.00, 0.01, 1.99 and
        // 1000 fall outside.
        assert_eq!((h.lo, h.hi), (0.02, 1.98));
        assert_eq!(h.outside, 4);
        assert_eq!(h.counts.iter().sum::<usize>(), 197);
        assert_eq!(h.counts.len(), BINS);
    }

    #[test]
    fn without_outliers_the_range_is_that_of_the_draws_and_the_interval() {
        let values = [0.2, 0.4, 0.4, 0.6];
        let h = histogram("x".into(), 0.45, Some((0.1, 0.55)), &values);
        assert_eq!((h.lo, h.hi, h.outside), (0.1, 0.6, 0));
        assert_eq!(h.counts.iter().sum::<usize>(), 4);
        // Equal estimate and draws: a unit-wide range around them.
        let h = histogram("x".into(), 2.0, None, &[2.0, 2.0]);
        assert_eq!((h.lo, h.hi), (1.5, 2.5));
        assert_eq!(h.counts.iter().sum::<usize>(), 2);
    }
}
