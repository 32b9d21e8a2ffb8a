//! Profile likelihoods, checked against independent fits: each end of a 95% profile interval
//! found by continuation and Brent's method must be where a full multi-start fit with the
//! parameter held there reaches `ℓ̂ − χ²₁(0.95)/2`, and the profile must stay above that
//! cut-off at the estimate and below it beyond the ends.

use twolevel::analyses::profile::{profiles, HALF_CHI2_95};
use twolevel::analyses::synthetic::{ProtocolMix, Simulation};
use twolevel::estimate::project_fit::fit_project;
use twolevel::estimate::{fit, FitOptions};
use twolevel::problem::likelihood::Model;
use twolevel::problem::project::Project;

/// The maximum of `ℓ` with parameter `name` held at `value`, from 6 starts.
fn restricted_maximum(project: &Project, model: &Model, name: &str, value: f64) -> f64 {
    let mut m = model.clone();
    let j = m.space.index(name).unwrap();
    m.space.parameters[j].fixed = Some(value);
    let mut estimation = project.spec.spec.estimation.clone();
    estimation.starts = 6;
    let options = FitOptions {
        estimation,
        standard_errors: false,
        checkpoint: None,
    };
    let data = &project.data;
    fit(&m, data, &data.outcome, &data.weight, &options, None)
        .unwrap()
        .loglik
}

fn check(simulation: Simulation) {
    let (project, _) = simulation.generate().unwrap();
    let model = project.model().unwrap();
    let estimates = fit_project(&project, &model).unwrap();
    let profiles = profiles(&project, &model, &estimates, &|| {}).unwrap();
    assert!(!profiles.is_empty());
    let cut = estimates.loglik - HALF_CHI2_95;
    let mut ends_checked = 0;
    for p in &profiles {
        assert!(
            (p.max_loglik - estimates.loglik).abs() < 1e-6,
            "{}: the profile rose above the fit's maximum ({} > {})",
            p.name,
            p.max_loglik,
            estimates.loglik
        );
        let (low, high) = p.interval;
        for (end, outward) in [(low, -1.0), (high, 1.0)] {
            let Some(end) = end else { continue };
            assert!(
                (end - p.estimate) * outward > 0.0,
                "{}: end {end} on the wrong side of {}",
                p.name,
                p.estimate
            );
            let at_end = restricted_maximum(&project, &model, &p.name, end);
            assert!(
                (at_end - cut).abs() < 0.02,
                "{}: at the interval's end {end} the profile is {at_end}, not the cut-off {cut}",
                p.name
            );
            let beyond = end + outward * 0.02 * (1.0 - end).min(end).max(0.05);
            let past = restricted_maximum(&project, &model, &p.name, beyond);
            assert!(
                past < cut,
                "{}: beyond the end ({beyond}) the profile {past} is still above the cut-off {cut}",
                p.name
            );
            ends_checked += 1;
        }
        for q in &p.points {
            assert!(q.loglik.is_finite() && q.loglik <= estimates.loglik + 1e-6);
        }
    }
    assert!(
        ends_checked >= 2,
        "only {ends_checked} interval ends checked"
    );
}

#[test]
fn renegotiation_rho_interval_ends_sit_on_the_cut_off() {
    // 2,000 episodes with `rho` free: a profile interval well inside (0, 1).
    check(Simulation::new(2_000, ProtocolMix::Renegotiation, 3));
}

#[test]
fn weakly_identified_discount_does_not_trap_the_profile() {
    // With `delta_ratifier` free as well, its estimate runs off to an end of (0, 1) in small
    // samples and the profile of `rho` switches between two branches of local maxima.
    let simulation = Simulation {
        free_scalars: vec!["rho", "delta_ratifier"],
        home_covariates: vec!["const", "x", "z"],
        ..Simulation::new(2_000, ProtocolMix::Renegotiation, 7)
    };
    check(simulation);
}

/// A profile point far below the cut-off stops as soon as that is clear (`maximize_near` with a
/// floor): fewer evaluations than the full maximization, converged, on the same side of the
/// floor, and its value a lower bound of the maximum within about one log-likelihood unit.
#[test]
fn a_point_far_below_the_cut_off_stops_early_on_its_side() {
    use twolevel::estimate::nearby::maximize_near;
    use twolevel::problem::likelihood::Likelihood;
    let (project, _) = Simulation::new(2_000, ProtocolMix::Renegotiation, 3)
        .generate()
        .unwrap();
    let model = project.model().unwrap();
    let estimates = fit_project(&project, &model).unwrap();
    let j = model.space.index("rho").unwrap();
    let k = model.space.free().iter().position(|&i| i == j).unwrap();
    let mut held = model.clone();
    // ρ far from its estimate: the profile there is far below the cut-off.
    held.space.parameters[j].fixed = Some(0.2);
    let mut start = estimates.internal.clone();
    start.remove(k);
    let data = &project.data;
    let run = |floor: Option<f64>| {
        let problem = Likelihood::new(&held, &data.outcome, &data.weight);
        let near = maximize_near(&problem, &start, 100, floor);
        (near, problem.evaluations())
    };
    let (full, full_evaluations) = run(None);
    let cut = estimates.loglik - HALF_CHI2_95;
    assert!(
        full.converged && full.loglik < cut - 5.0,
        "{full:?} vs {cut}"
    );
    let (early, early_evaluations) = run(Some(cut));
    assert!(early.converged);
    assert!(
        early_evaluations < full_evaluations,
        "{early_evaluations} evaluations, {full_evaluations} without the floor"
    );
    assert!(early.loglik <= full.loglik + 1e-9 && early.loglik > full.loglik - 1.0);
    assert!(early.loglik < cut);
}
