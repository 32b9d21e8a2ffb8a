//! Calibration: every (episode, outcome) pair of the outcomes that occur (renegotiation only
//! where the protocol allows it), sorted by predicted probability and binned into groups of
//! equal size; per bin, the weighted mean predicted probability, the weighted observed
//! frequency and its 95% Wilson interval.

use crate::model::distribution::normal_quantile;
use crate::problem::data::Outcome;
use crate::problem::likelihood::Model;
use crate::problem::project::Project;
use serde::{Deserialize, Serialize};

/// One calibration bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Mean predicted probability.
    pub predicted: f64,
    /// Observed frequency.
    pub observed: f64,
    /// Weighted number of (episode, outcome) pairs.
    pub n: f64,
    /// 95% Wilson interval of the observed frequency.
    pub interval: (f64, f64),
}

/// The calibration bins of the fit at the natural-scale parameters `theta`.
pub fn calibration(
    project: &Project,
    model: &Model,
    theta: &[f64],
    bins: usize,
) -> Vec<CalibrationBin> {
    let p = model.design_probabilities(theta);
    let data = &project.data;
    let present: Vec<usize> = (0..3)
        .filter(|&y| data.outcome.iter().any(|o| o.index() == y))
        .collect();
    let mut pairs: Vec<(f64, f64, f64)> = Vec::new();
    for (i, &g) in model.row_design.iter().enumerate() {
        for &y in &present {
            if y == Outcome::Renegotiated.index() && !data.renegotiation[i] {
                continue;
            }
            pairs.push((
                p[g][y],
                (data.outcome[i].index() == y) as u8 as f64,
                data.weight[i],
            ));
        }
    }
    bin_pairs(pairs, bins)
}

/// Sorts `(predicted, observed 0/1, weight)` pairs by prediction and bins them into `bins`
/// groups of equal count (bins without weight are left out).
pub fn bin_pairs(mut pairs: Vec<(f64, f64, f64)>, bins: usize) -> Vec<CalibrationBin> {
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bins = bins.clamp(1, pairs.len().max(1));
    let mut out = Vec::new();
    for b in 0..bins {
        let chunk = &pairs[b * pairs.len() / bins..(b + 1) * pairs.len() / bins];
        let n: f64 = chunk.iter().map(|c| c.2).sum();
        if n <= 0.0 {
            continue;
        }
        let predicted = chunk.iter().map(|c| c.0 * c.2).sum::<f64>() / n;
        let observed = chunk.iter().map(|c| c.1 * c.2).sum::<f64>() / n;
        out.push(CalibrationBin {
            predicted,
            observed,
            n,
            interval: wilson(observed, n),
        });
    }
    out
}

/// The 95% Wilson score interval of a proportion `p` observed in `n` trials.
pub fn wilson(p: f64, n: f64) -> (f64, f64) {
    let z = normal_quantile(0.975);
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / d;
    ((c - h).max(0.0), (c + h).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // R, binom::binom.wilson: 50 of 100 → (0.403832, 0.596168); 2 of 10 → (0.056682, 0.509838).
        let (lo, hi) = wilson(0.5, 100.0);
        assert!((lo - 0.403_831).abs() < 1e-6 && (hi - 0.596_169).abs() < 1e-6);
        let (lo, hi) = wilson(0.2, 10.0);
        assert!((lo - 0.056_682).abs() < 1e-6 && (hi - 0.509_838).abs() < 1e-6);
        // None observed in 5: from 0 (up to rounding) to z²/(n + z²), not degenerate.
        let (lo, hi) = wilson(0.0, 5.0);
        let z2 = normal_quantile(0.975).powi(2);
        assert!(
            lo.abs() < 1e-15 && (hi - z2 / (5.0 + z2)).abs() < 1e-15,
            "{lo} {hi}"
        );
    }

    #[test]
    fn bins_have_equal_counts_and_weighted_means() {
        // Six pairs into three bins of two, given out of order.
        let pairs = vec![
            (0.9, 1.0, 1.0),
            (0.1, 0.0, 1.0),
            (0.2, 1.0, 3.0),
            (0.5, 0.0, 2.0),
            (0.6, 1.0, 2.0),
            (0.8, 1.0, 1.0),
        ];
        let bins = bin_pairs(pairs, 3);
        assert_eq!(bins.len(), 3);
        assert_eq!(
            bins.iter().map(|b| b.n).collect::<Vec<_>>(),
            [4.0, 4.0, 2.0]
        );
        assert!((bins[0].predicted - (0.1 + 0.6) / 4.0).abs() < 1e-15);
        assert!((bins[0].observed - 0.75).abs() < 1e-15);
        assert!((bins[1].predicted - 0.55).abs() < 1e-15);
        assert!((bins[1].observed - 0.5).abs() < 1e-15);
        assert!((bins[2].predicted - 0.85).abs() < 1e-15);
        assert_eq!(bins[2].observed, 1.0);
        assert_eq!(bins[2].interval, wilson(1.0, 2.0));
    }
}
