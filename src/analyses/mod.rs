//! Analyses on top of a fit. Each takes typed results of the layers below (a project, its
//! model, its estimates) and returns typed, serialisable results, so that the report layer can
//! render them again without recomputing anything:
//!
//! * [`bootstrap`]: nonparametric (over episodes or clusters) and parametric bootstrap;
//! * [`profile`]: profile log-likelihoods of the structural scalars and their intervals;
//! * [`reduced_form`], [`vuong`], [`comparison`]: the multinomial-logit benchmark, the Vuong
//!   test of the structural model against it, and model-comparison columns;
//! * [`counterfactual`]: institutional reforms with uncertainty;
//! * [`figures`]: the numbers each figure of a fit report shows (shares, calibration,
//!   comparative statics, profiles, bootstrap histograms);
//! * [`predict`]: equilibria, predictions and simulated outcomes at given parameters;
//! * [`synthetic`]: simulated datasets with known parameters.
//!
//! The analytic standard errors (inverse observed information, robust and cluster-robust
//! sandwiches, natural scale by the delta method) are computed by [`crate::estimate::fit`].
//!
//! ```no_run
//! use twolevel::analyses::bootstrap::{self, BootstrapSettings};
//! use twolevel::problem::spec::BootstrapKind;
//! use twolevel::problem::project::Project;
//!
//! let project = Project::default_example()?;
//! let model = project.model()?;
//! let estimates = twolevel::estimate::project_fit::fit_project(&project, &model)?;
//! let settings = BootstrapSettings { replicates: 200, kind: BootstrapKind::Nonparametric, seed: 1 };
//! let results = bootstrap::run(&project, &model, &estimates, &settings, None, &|| {})?;
//! let summary = results.summary.expect("a complete run has a summary");
//! println!("{} of {} replicates converged", summary.converged, summary.replicates);
//! # Ok::<(), twolevel::error::Error>(())
//! ```

pub mod bootstrap;
pub mod comparison;
pub mod counterfactual;
pub mod figures;
pub mod predict;
pub mod profile;
pub mod reduced_form;
pub mod synthetic;
pub mod vuong;

use crate::error::Result;
use crate::estimate::project_fit::FitReport;
use crate::problem::likelihood::Model;
use crate::problem::project::Project;
use serde::{Deserialize, Serialize};

/// The analyses that a complete report holds besides the fit and the bootstrap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitAnalyses {
    /// The multinomial-logit benchmark.
    pub reduced: reduced_form::ReducedForm,
    /// Profiles of the free structural scalars.
    pub profiles: Vec<profile::Profile>,
    /// The Vuong test of the structural model against the benchmark.
    pub vuong: vuong::Vuong,
}

/// Fits the reduced form, computes the profiles of a fit and the Vuong test; `progress` is
/// called as each of the [`profile::chains`] profile chains finishes.
pub fn fit_analyses(
    project: &Project,
    model: &Model,
    report: &FitReport,
    progress: &(dyn Fn() + Sync),
) -> Result<FitAnalyses> {
    let reduced = reduced_form::fit_reduced_form(project)?;
    let profiles = profile::profiles(project, model, &report.estimates, progress)?;
    saved_fit_analyses(project, model, report, reduced, profiles)
}

/// The analyses of a fit from a saved reduced form and saved profiles (only the Vuong test,
/// which is cheap, is recomputed).
pub fn saved_fit_analyses(
    project: &Project,
    model: &Model,
    report: &FitReport,
    reduced: reduced_form::ReducedForm,
    profiles: Vec<profile::Profile>,
) -> Result<FitAnalyses> {
    let vuong = vuong::structural_vs_reduced(project, model, &report.estimates, &reduced)?;
    Ok(FitAnalyses {
        reduced,
        profiles,
        vuong,
    })
}

/// Maps `f` over `range` with one worker per thread of the current rayon pool, each running
/// its items one after another inside a single-thread rayon pool of its own, and returns the
/// results in index order.
///
/// Bootstrap replicates and profile points are independent fits whose likelihood evaluations
/// are themselves parallel over designs: running whole fits side by side, each with sequential
/// evaluations, avoids the fine-grained work stealing of nested parallelism. Results do not
/// depend on the number of threads (each item is computed the same way on any worker).
pub fn map_independent<T: Send>(
    range: std::ops::Range<usize>,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = rayon::current_num_threads().clamp(1, range.len().max(1));
    let next = AtomicUsize::new(range.start);
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (next, f, end) = (&next, &f, range.end);
                scope.spawn(move || {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(1)
                        .use_current_thread()
                        .build()
                        .expect("a single-thread pool");
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= end {
                            break;
                        }
                        out.push((i, pool.install(|| f(i))));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker panicked"))
            .collect()
    });
    results.sort_by_key(|r| r.0);
    results.into_iter().map(|r| r.1).collect()
}

/// The sample quantile of sorted values with linear interpolation between order statistics
/// (R's default, type 7). `None` for an empty slice.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    let (a, b, f) = (sorted[lo], sorted[hi], h - lo as f64);
    // Between an infinite draw (a diverged bootstrap replicate) and a finite one, the
    // interpolated quantile is the infinite one.
    Some(if f == 0.0 || a == b || a.is_infinite() {
        a
    } else if b.is_infinite() {
        b
    } else {
        a + f * (b - a)
    })
}

/// The sample standard deviation (divisor `n − 1`); `None` with fewer than two values.
pub fn std_dev(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    Some((values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_r_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(10.0));
        assert_eq!(quantile_sorted(&v, 0.5), Some(3.0));
        // R: quantile(c(1,2,3,4,10), 0.9) = 7.6
        assert!((quantile_sorted(&v, 0.9).unwrap() - 7.6).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert!((std_dev(&[1.0, 2.0, 3.0]).unwrap() - 1.0).abs() < 1e-15);
    }
}
