//! The likelihood: its gradient against central finite differences of the log-likelihood,
//! serial against parallel evaluation, and design sharing.

use twolevel::analyses::synthetic::{ProtocolMix, Simulation};
use twolevel::problem::likelihood::{Likelihood, Model};

fn problem_for(
    mix: ProtocolMix,
    mixed_proposer: bool,
    discrete: bool,
) -> (twolevel::problem::project::Project, Vec<f64>) {
    let mut sim = Simulation::new(400, mix, 11);
    sim.mixed_proposer = mixed_proposer;
    sim.discrete_covariates = discrete;
    sim.free_scale = matches!(mix, ProtocolMix::Renegotiation | ProtocolMix::OneShot);
    sim.generate().expect("simulation")
}

#[test]
fn gradient_matches_central_differences() {
    for mix in ProtocolMix::ALL {
        for mixed_proposer in [false, true] {
            let (project, theta) = problem_for(mix, mixed_proposer, true);
            let model = Model::new(&project.spec, &project.data).unwrap();
            let problem = Likelihood::new(&model, &project.data.outcome, &project.data.weight);
            // A point away from the truth.
            let x: Vec<f64> = model
                .space
                .to_internal(&theta)
                .iter()
                .enumerate()
                .map(|(i, v)| v + 0.1 * (i as f64 + 1.0).sin())
                .collect();
            let (value, grad) = problem.evaluate(&x, true);
            assert!(value.is_finite());
            for k in 0..x.len() {
                let h = 1e-4;
                let mut up = x.clone();
                up[k] += h;
                let mut down = x.clone();
                down[k] -= h;
                let fd = (problem.log_likelihood(&up) - problem.log_likelihood(&down)) / (2.0 * h);
                let tol = 1e-5 * (1.0 + fd.abs()) + 1e-4;
                assert!(
                    (grad[k] - fd).abs() <= tol,
                    "{} (mixed proposer {mixed_proposer}), {}: gradient {} vs central difference {fd}",
                    mix.label(),
                    model.space.parameters[model.space.free()[k]].name,
                    grad[k]
                );
            }
        }
    }
}

#[test]
fn serial_equals_parallel() {
    let (project, theta) = problem_for(ProtocolMix::Mixed, true, false);
    let model = Model::new(&project.spec, &project.data).unwrap();
    let problem = Likelihood::new(&model, &project.data.outcome, &project.data.weight);
    let x = model.space.to_internal(&theta);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| problem.evaluate(&x, true))
    };
    let (v1, g1) = run(1);
    for threads in [2, 3, 8] {
        let (v, g) = run(threads);
        assert!(
            (v - v1).abs() <= 1e-12 * v1.abs(),
            "{threads} threads: {v} vs {v1}"
        );
        assert_eq!(v.to_bits(), v1.to_bits(), "bit-identical log-likelihood");
        for (a, b) in g.iter().zip(&g1) {
            assert_eq!(a.to_bits(), b.to_bits(), "bit-identical gradient");
        }
    }
}

#[test]
fn episodes_with_equal_covariates_share_a_design() {
    let (project, _) = problem_for(ProtocolMix::Mixed, false, true);
    let model = Model::new(&project.spec, &project.data).unwrap();
    assert!(
        model.designs.len() < 7 * 4 + 1,
        "{} designs for 7 covariate levels × 4 protocols",
        model.designs.len()
    );
    assert_eq!(model.row_design.len(), 400);
}
