//! Observed vs predicted outcome shares by group: per group (a data column's value, or the
//! protocol), the weighted share of episodes with each outcome and the weighted mean of the
//! predicted probabilities `P_i(y)`, with 95% bootstrap percentile intervals of the latter.

use super::{band_draws, group_labels, outcome_bands};
use crate::analyses::bootstrap::BootstrapResults;
use crate::error::Result;
use crate::problem::likelihood::Model;
use crate::problem::project::Project;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The shares figure: groups in order of their labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shares {
    /// The grouping column (`protocol` for the protocol).
    pub column: String,
    /// One entry per group.
    pub groups: Vec<GroupShares>,
}

/// Observed and predicted outcome shares of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupShares {
    /// Group label.
    pub label: String,
    /// Weighted number of episodes.
    pub n: f64,
    /// Observed shares `[ratified, renegotiated, failed]`.
    pub observed: [f64; 3],
    /// Mean predicted probabilities.
    pub predicted: [f64; 3],
    /// 95% bootstrap intervals of the predicted shares.
    pub interval: Option<[(f64, f64); 3]>,
}

/// Weighted means of `value(i)` over the rows `i` of each group (`group[i]` in
/// `0..groups`), and the groups' total weights.
pub fn weighted_group_means(
    group: &[usize],
    groups: usize,
    weights: &[f64],
    value: impl Fn(usize) -> [f64; 3],
) -> (Vec<[f64; 3]>, Vec<f64>) {
    let mut sums = vec![[0.0; 3]; groups];
    let mut total = vec![0.0; groups];
    for (i, &k) in group.iter().enumerate() {
        let v = value(i);
        total[k] += weights[i];
        for y in 0..3 {
            sums[k][y] += weights[i] * v[y];
        }
    }
    let means = sums
        .iter()
        .zip(&total)
        .map(|(s, w)| [s[0] / w, s[1] / w, s[2] / w])
        .collect();
    (means, total)
}

/// Observed vs predicted shares by the data column `column` (`protocol`: by protocol), at
/// the natural-scale parameters `theta`.
pub fn shares_by_group(
    project: &Project,
    model: &Model,
    theta: &[f64],
    bootstrap: Option<&BootstrapResults>,
    column: &str,
) -> Result<Shares> {
    let labels = group_labels(project, model, column)?;
    // Groups in order of their labels.
    let index: BTreeMap<&str, usize> = labels.iter().map(|l| (l.as_str(), 0)).collect();
    let names: Vec<&str> = index.keys().copied().collect();
    let group: Vec<usize> = labels
        .iter()
        .map(|l| names.binary_search(&l.as_str()).expect("a group label"))
        .collect();
    let data = &project.data;
    let weights = &data.weight;
    let predicted_at = |theta: &[f64]| {
        let p = model.design_probabilities(theta);
        weighted_group_means(&group, names.len(), weights, |i| p[model.row_design[i]]).0
    };
    let predicted = predicted_at(theta);
    let (observed, n) = weighted_group_means(&group, names.len(), weights, |i| {
        let mut one_hot = [0.0; 3];
        one_hot[data.outcome[i].index()] = 1.0;
        one_hot
    });
    let per_draw: Vec<Vec<[f64; 3]>> = band_draws(bootstrap)
        .par_iter()
        .map(|d| predicted_at(d))
        .collect();
    let groups = names
        .iter()
        .enumerate()
        .map(|(k, name)| GroupShares {
            label: name.to_string(),
            n: n[k],
            observed: observed[k],
            predicted: predicted[k],
            interval: (!per_draw.is_empty())
                .then(|| outcome_bands(per_draw.len(), |d, y| per_draw[d][k][y])),
        })
        .collect();
    Ok(Shares {
        column: column.to_string(),
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_means_match_a_hand_computation() {
        // Rows: (group, weight, value): a 1.0 [1,0,0]; b 2.0 [0,1,0]; a 3.0 [0,0,1];
        // b 0.5 [0.2,0.3,0.5].
        let group = [0, 1, 0, 1];
        let weights = [1.0, 2.0, 3.0, 0.5];
        let values = [
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.2, 0.3, 0.5],
        ];
        let (means, total) = weighted_group_means(&group, 2, &weights, |i| values[i]);
        assert_eq!(total, [4.0, 2.5]);
        let expected = [
            [1.0 / 4.0, 0.0, 3.0 / 4.0],
            [0.1 / 2.5, (2.0 + 0.15) / 2.5, 0.25 / 2.5],
        ];
        for (m, e) in means.iter().zip(&expected) {
            for y in 0..3 {
                assert!((m[y] - e[y]).abs() < 1e-15, "{means:?} vs {expected:?}");
            }
        }
    }

    #[test]
    fn observed_shares_by_protocol_count_the_outcomes() {
        use crate::analyses::synthetic::{ProtocolMix, Simulation};
        let (project, truth) = Simulation::new(60, ProtocolMix::Mixed, 3)
            .generate()
            .unwrap();
        let model = project.model().unwrap();
        let shares = shares_by_group(&project, &model, &truth, None, "protocol").unwrap();
        assert_eq!(shares.column, "protocol");
        let labels = group_labels(&project, &model, "protocol").unwrap();
        let data = &project.data;
        for g in &shares.groups {
            let rows: Vec<usize> = (0..data.len()).filter(|&i| labels[i] == g.label).collect();
            let n: f64 = rows.iter().map(|&i| data.weight[i]).sum();
            assert_eq!(g.n, n);
            for y in 0..3 {
                let hits: f64 = rows
                    .iter()
                    .filter(|&&i| data.outcome[i].index() == y)
                    .map(|&i| data.weight[i])
                    .sum();
                assert!((g.observed[y] - hits / n).abs() < 1e-12);
            }
            assert!((g.predicted.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert!(g.interval.is_none());
        }
        let mut sorted: Vec<&str> = shares.groups.iter().map(|g| g.label.as_str()).collect();
        sorted.sort();
        assert_eq!(
            sorted,
            shares
                .groups
                .iter()
                .map(|g| g.label.as_str())
                .collect::<Vec<_>>()
        );
    }
}
