//! The likelihood: its gradient against central finite differences of the log-likelihood,
//! serial against parallel evaluation, and design sharing.

use twolevel::analyses::synthetic::{ProtocolMix, Simulation};
use twolevel::problem::likelihood::{Likelihood, Model};
use twolevel::problem::project::Project;

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

/// A point away from the truth (internal scale): each parameter moved by `0.1·sin(i + 1)`.
fn away_from_truth(model: &Model, theta: &[f64]) -> Vec<f64> {
    model
        .space
        .to_internal(theta)
        .iter()
        .enumerate()
        .map(|(i, v)| v + 0.1 * (i as f64 + 1.0).sin())
        .collect()
}

/// Calls `check(mix, mixed_proposer, project, model, problem, x)` for every protocol mix and
/// both proposer modes, at the point [`away_from_truth`] (discrete covariates).
fn each_problem_away_from_truth(
    mut check: impl FnMut(ProtocolMix, bool, &Project, &Model, &Likelihood, &[f64]),
) {
    for mix in ProtocolMix::ALL {
        for mixed_proposer in [false, true] {
            let (project, theta) = problem_for(mix, mixed_proposer, true);
            let model = Model::new(&project.spec, &project.data).unwrap();
            let problem = Likelihood::new(&model, &project.data.outcome, &project.data.weight);
            let x = away_from_truth(&model, &theta);
            check(mix, mixed_proposer, &project, &model, &problem, &x);
        }
    }
}

#[test]
fn gradient_matches_central_differences() {
    each_problem_away_from_truth(|mix, mixed_proposer, _, model, problem, x| {
        let (value, grad) = problem.evaluate(x, true);
        assert!(value.is_finite());
        for k in 0..x.len() {
            let h = 1e-4;
            let mut up = x.to_vec();
            up[k] += h;
            let mut down = x.to_vec();
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
    });
}

#[test]
fn serial_equals_parallel() {
    let (project, theta) = problem_for(ProtocolMix::Mixed, true, false);
    assert_thread_invariant(&project, &theta);
}

/// The log-likelihood and gradient of `project` at `theta` on 2, 3 and 8 threads are those on
/// one thread, bit for bit.
fn assert_thread_invariant(project: &Project, theta: &[f64]) {
    let model = Model::new(&project.spec, &project.data).unwrap();
    let problem = Likelihood::new(&model, &project.data.outcome, &project.data.weight);
    let x = model.space.to_internal(theta);
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
        assert_eq!(
            v.to_bits(),
            v1.to_bits(),
            "{threads} threads: bit-identical log-likelihood ({v} vs {v1})"
        );
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

/// The one-shot closed form of the likelihood against the path it replaced: each design's
/// probabilities from the equilibrium solver (`Model::probabilities`, `G` at the solver's
/// offer) and the previous gradient formula on them (`d log P(ratified)/dk = P(failed)²`,
/// `d log P(failed)/dk = −P(ratified)·P(failed)` in the interior, `d log G(0)/dz` at the
/// corner), summed over whole problems.
#[test]
fn one_shot_closed_form_matches_the_solver_path() {
    use twolevel::model::{solve_path, Side};
    // Locations and scales across the interior, the corner (x* = μ + s·ln ω ≤ 0: with s = 0.5
    // for μ ≤ 0, so about half the designs at shift −0.35) and tiny P(ratified) (μ > 1).
    for (shift, scale) in [
        (0.0, 0.12),
        (0.9, 0.05),
        (-0.6, 0.3),
        (0.3, 1.5),
        (1.4, 0.02),
        (-0.35, 0.5),
        (-3.0, 2.0),
    ] {
        let mut sim = Simulation::new(3000, ProtocolMix::OneShot, 5);
        sim.free_scale = true;
        let (project, mut theta) = sim.generate().expect("simulation");
        let model = Model::new(&project.spec, &project.data).unwrap();
        let names: Vec<&str> = model
            .space
            .parameters
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names[..3], ["home:const", "home:x", "home:scale"]);
        assert_eq!(model.space.free(), [0, 1, 2]);
        theta[0] += shift;
        theta[2] = scale;
        let problem = Likelihood::new(&model, &project.data.outcome, &project.data.weight);
        let (value, grad) = problem.evaluate(&model.space.to_internal(&theta), true);
        let mut counts = vec![[0.0; 3]; model.designs.len()];
        for ((&g, y), &w) in model
            .row_design
            .iter()
            .zip(&project.data.outcome)
            .zip(&project.data.weight)
        {
            counts[g][y.index()] += w;
        }
        let (mut old_value, mut old_grad, mut corners) = (0.0, [0.0; 3], 0);
        for (g, n) in counts.iter().enumerate() {
            let p = model.probabilities(g, &theta);
            for y in 0..3 {
                if n[y] > 0.0 {
                    old_value += n[y] * p[y].max(1e-300).ln();
                }
            }
            let q = model.primitives(g, &theta);
            let (mu, s) = (q[0], q[1]);
            let offer = solve_path(&model.game(g, &q, Side::Foreign), None).offers[0];
            let [pr, _, pf] = p;
            let (d_mu, d_log_s) = if offer > 0.0 {
                let dk = [-1.0 / s, -(1.0 - mu) / s];
                dk.map(|dk| n[0] * pf * pf * dk - n[2] * pr * pf * dk)
            } else {
                corners += 1;
                let dz = [-1.0 / s, mu / s];
                dz.map(|dz| n[0] * pf * dz - n[2] * pr * dz)
            }
            .into();
            let x = model.designs[g].home[1];
            old_grad[0] += d_mu;
            old_grad[1] += d_mu * x;
            old_grad[2] += d_log_s;
        }
        assert!(
            (value - old_value).abs() <= 1e-12 * old_value.abs(),
            "shift {shift}, s = {scale}: log-likelihood {value} vs solver path {old_value}"
        );
        let size = old_grad.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        for (k, (new, old)) in grad.iter().zip(old_grad).enumerate() {
            assert!(
                (new - old).abs() <= 1e-12 * size,
                "shift {shift}, s = {scale}, {}: gradient {new} vs solver path {old}",
                names[k]
            );
        }
        if scale >= 0.5 && shift < 0.0 {
            assert!(corners > 0, "the corner x* = 0 is exercised");
        }
    }
}

/// Closed-form designs next to solved ones in the same chunks: the sum does not depend on
/// the number of threads.
#[test]
fn closed_form_and_solved_designs_serial_equals_parallel() {
    let (project, theta) = Simulation::new(1500, ProtocolMix::Mixed, 3)
        .generate()
        .unwrap();
    assert_thread_invariant(&project, &theta);
}

/// No NaN reaches the likelihood of one-shot designs: far locations and scales (the optimizer's
/// wildest trial points) give a finite log-likelihood and gradient.
#[test]
fn one_shot_likelihood_is_finite_far_out() {
    let mut sim = Simulation::new(600, ProtocolMix::OneShot, 9);
    sim.free_scale = true;
    let (project, _) = sim.generate().expect("simulation");
    let model = Model::new(&project.spec, &project.data).unwrap();
    let problem = Likelihood::new(&model, &project.data.outcome, &project.data.weight);
    for constant in [-1e3, -30.0, -1.0, 0.0, 0.5, 1.0, 30.0, 1e3] {
        for slope in [-50.0, 0.0, 50.0] {
            for log_scale in [-40.0, -10.0, 0.0, 10.0, 40.0] {
                let x = [constant, slope, log_scale];
                let (value, grad) = problem.evaluate(&x, true);
                assert!(
                    value.is_finite() && grad.iter().all(|d| d.is_finite()),
                    "at {x:?}: {value}, {grad:?}"
                );
            }
        }
    }
}

/// The expected information that Fisher scoring uses is `Σ_i w_i Σ_y P_iy s_iy s_iyᵀ`, with
/// `s_iy` the score of one observation of outcome `y` (computed here through the gradient's
/// own path, one outcome at a time): every protocol mix, both proposer modes, one-shot
/// closed-form designs among them.
#[test]
fn expected_information_is_the_outer_product_of_scores_weighted_by_probabilities() {
    each_problem_away_from_truth(|mix, mixed_proposer, project, model, problem, x| {
        let (value, grad, info) = problem.value_gradient_information(x);
        let (v2, g2) = problem.evaluate(x, true);
        assert_eq!(value.to_bits(), v2.to_bits());
        assert_eq!(grad, g2);
        let n = x.len();
        let rows = project.data.outcome.len();
        let scores: Vec<Vec<Vec<f64>>> = twolevel::problem::data::Outcome::ALL
            .iter()
            .map(|&y| problem.row_scores(x, &vec![y; rows]))
            .collect();
        let mut expected = vec![vec![0.0; n]; n];
        let natural = model.space.to_natural(x);
        for (i, (&g, &w)) in model
            .row_design
            .iter()
            .zip(&project.data.weight)
            .enumerate()
        {
            let p = model.probabilities(g, &natural);
            for y in 0..3 {
                for k in 0..n {
                    for l in 0..n {
                        expected[k][l] += w * p[y] * scores[y][i][k] * scores[y][i][l];
                    }
                }
            }
        }
        for k in 0..n {
            for l in 0..n {
                let scale = (expected[k][k] * expected[l][l]).sqrt();
                assert!(
                    (info[(k, l)] - expected[k][l]).abs() <= 1e-7 * scale + 1e-9,
                    "{} (mixed proposer {mixed_proposer}) I[{k}][{l}] = {} vs {}",
                    mix.label(),
                    info[(k, l)],
                    expected[k][l]
                );
            }
        }
    });
}
