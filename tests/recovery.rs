//! Recovery: simulate 5,000 episodes from known parameters with a fixed seed, fit from the
//! default start (away from the truth), and require every free parameter within 3 standard
//! errors of the truth and a fitted log-likelihood at least the truth's.
//!
//! Covariates take 7 levels so that episodes share equilibrium solves and the suite stays
//! fast; `twolevel bench` covers continuous covariates.

use twolevel::analyses::synthetic::{truth, ProtocolMix, Simulation};
use twolevel::estimate::{fit, Estimates, FitOptions};
use twolevel::problem::likelihood::{Likelihood, Model};
use twolevel::problem::spec::{Optimizer, SCORING_DESIGNS};

fn recover(sim: Simulation) -> Estimates {
    let label = format!(
        "{}{}",
        sim.protocols.label(),
        if sim.mixed_proposer {
            ", mixed proposer"
        } else {
            ""
        }
    );
    let (project, theta) = sim.generate().unwrap();
    let model = Model::new(&project.spec, &project.data).unwrap();
    let options = FitOptions {
        estimation: project.spec.spec.estimation.clone(),
        standard_errors: true,
        checkpoint: None,
    };
    let est = fit(
        &model,
        &project.data,
        &project.data.outcome,
        &project.data.weight,
        &options,
        None,
    )
    .unwrap();
    assert!(
        est.converged,
        "{label}: did not converge: {:?}",
        est.warnings
    );
    let problem = Likelihood::new(&model, &project.data.outcome, &project.data.weight);
    let true_loglik = problem.log_likelihood(&model.space.to_internal(&theta));
    assert!(
        est.loglik >= true_loglik - 1e-6,
        "{label}: fitted loglik {} below the truth's {true_loglik}",
        est.loglik
    );
    for p in est.parameters.iter().filter(|p| !p.fixed) {
        let se = p
            .std_error
            .unwrap_or_else(|| panic!("{label}: no SE for {}", p.name));
        let t = truth(&p.name);
        let z = (p.estimate - t) / se;
        eprintln!(
            "{label}: {} = {:.4} (SE {:.4}), truth {t}, z = {z:.2}",
            p.name, p.estimate, se
        );
        assert!(
            z.abs() <= 3.0,
            "{label}: {} = {} (SE {se}) is {z:.2} SEs from the truth {t}",
            p.name,
            p.estimate
        );
    }
    est
}

fn simulation(mix: ProtocolMix) -> Simulation {
    let mut sim = Simulation::new(5000, mix, 2024);
    sim.discrete_covariates = true;
    sim
}

#[test]
fn recovers_one_shot() {
    recover(simulation(ProtocolMix::OneShot));
}

/// The default optimizer (`auto`) on a problem with at least `SCORING_DESIGNS` distinct designs
/// (continuous covariates: every episode its own design) is Fisher scoring, and it recovers
/// the truth there too.
#[test]
fn recovers_renegotiation_with_fisher_scoring_on_many_designs() {
    let sim = Simulation::new(SCORING_DESIGNS, ProtocolMix::Renegotiation, 2024);
    let est = recover(sim);
    assert_eq!(est.diagnostics.optimizer, Optimizer::FisherScoring);
}

#[test]
fn recovers_renegotiation() {
    recover(simulation(ProtocolMix::Renegotiation));
}

#[test]
fn recovers_poll() {
    recover(simulation(ProtocolMix::Poll));
}

#[test]
fn recovers_poll_and_renegotiation() {
    recover(simulation(ProtocolMix::PollRenegotiation));
}

#[test]
fn recovers_a_mix_of_protocols() {
    recover(simulation(ProtocolMix::Mixed));
}

#[test]
fn recovers_a_mixed_proposer() {
    let mut sim = simulation(ProtocolMix::Renegotiation);
    sim.mixed_proposer = true;
    recover(sim);
}
