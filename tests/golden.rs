//! The default example's estimates, written down: any change that moves the EU fit (the data,
//! the likelihood, the optimizer, the standard errors) fails here and must be explained in the
//! README's "What changed" and this file updated.
//!
//! Values: `twolevel fit` on `estimation/eu_renegotiation.toml` (the embedded default), with
//! the data of `data/eu_treaty_ratifications.csv` after the data audit of issue 10, and the
//! one-shot designs' likelihood from the vectorized closed form (issue 11: the optimizer stops
//! 1.4e-10 away from where it did, which moves the finite-difference Hessian's SEs by up to
//! 1.3e-5 relative; at one point the old and new likelihoods give the same SEs to 1e-12), and
//! the three-stage search of issue 11's item 4 (its slopes' roots land elsewhere within their
//! numerical noise: the estimates move by 2e-10, the finite-difference SEs by up to 3e-6
//! relative; then, with the first stage's estimates of the middle stage and the looser middle
//! root, by up to 8e-11 and 1e-6 relative).

use twolevel::estimate::project_fit::fit_project;
use twolevel::problem::project::Project;

/// `(name, estimate, Hessian SE, cluster-robust SE)`; `None` for fixed parameters.
const GOLDEN: [(&str, f64, Option<f64>, Option<f64>); 8] = [
    (
        "home:const",
        0.39940718452182905,
        Some(0.35095375733152284),
        Some(0.32779996383909615),
    ),
    (
        "home:binding",
        -0.8653703476206143,
        Some(0.34584475098124556),
        Some(0.32370131670024527),
    ),
    (
        "home:supermajority",
        -0.089163537457046,
        Some(0.11125539782585296),
        Some(0.12702555389229328),
    ),
    ("home:scale", 0.1, None, None),
    (
        "rho",
        0.9050734659868934,
        Some(0.1258076615711351),
        Some(0.11225084080678527),
    ),
    ("delta_ratifier", 0.9, None, None),
    ("delta_proposer", 0.9, None, None),
    ("poll_weight", 0.5, None, None),
];

const GOLDEN_LOGLIK: f64 = -30.07348092587697;
const TOLERANCE: f64 = 1e-6;

#[test]
fn the_default_eu_estimates_are_the_golden_ones() {
    let project = Project::default_example().unwrap();
    let model = project.model().unwrap();
    let estimates = fit_project(&project, &model).unwrap();
    assert!(estimates.converged);
    assert_eq!(estimates.n_obs, 144);
    assert!(
        (estimates.loglik - GOLDEN_LOGLIK).abs() < TOLERANCE,
        "log-likelihood {} vs golden {GOLDEN_LOGLIK}",
        estimates.loglik
    );
    // Every design's equilibrium is certified at the estimate, and the certified solve finds
    // the paths that the likelihood used.
    let certification = estimates
        .diagnostics
        .certification
        .as_ref()
        .expect("the fit certifies the designs");
    assert_eq!((certification.designs, certification.certified), (6, 6));
    assert_eq!(certification.designs_moved, 0);
    assert_eq!(certification.failed_solves_during_fit, 0);
    assert!(estimates.warnings.iter().all(|w| !w.contains("certified")));
    assert_eq!(estimates.parameters.len(), GOLDEN.len());
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < TOLERANCE,
        (None, None) => true,
        _ => false,
    };
    for (p, (name, estimate, se, cluster_se)) in estimates.parameters.iter().zip(GOLDEN) {
        assert_eq!(p.name, name);
        assert!(
            (p.estimate - estimate).abs() < TOLERANCE,
            "{name}: {} vs golden {estimate}",
            p.estimate
        );
        assert!(
            close(p.std_error, se),
            "{name}: SE {:?} vs golden {se:?}",
            p.std_error
        );
        assert!(
            close(p.cluster_std_error, cluster_se),
            "{name}: cluster SE {:?} vs golden {cluster_se:?}",
            p.cluster_std_error
        );
    }
}
