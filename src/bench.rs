//! Throughput benchmark (`twolevel bench`): likelihood and likelihood+gradient evaluations per
//! second for each protocol, for several sample sizes and thread counts, and full fit times.
//!
//! Episodes carry a continuous covariate, so every episode is its own design (no sharing of
//! equilibrium solves): the numbers measure the solver, not the deduplication.

use crate::analyses::synthetic::{ProtocolMix, Simulation};
use crate::estimate::{fit, FitOptions};
use crate::problem::likelihood::{Likelihood, Model};
use std::time::Instant;

/// One measurement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Measurement {
    /// Protocol label.
    pub protocol: String,
    /// Episodes.
    pub n: usize,
    /// Threads.
    pub threads: usize,
    /// Likelihood evaluations: episodes per second.
    pub loglik_episodes_per_s: f64,
    /// Likelihood + gradient evaluations: episodes per second.
    pub gradient_episodes_per_s: f64,
    /// Free parameters of the gradient.
    pub n_free: usize,
    /// Certified solves (each design's equilibrium with its certificate, as `fit` does at the
    /// estimate), timed on the first [`CERTIFIED_SAMPLE`] designs: episodes per second.
    pub certified_episodes_per_s: f64,
    /// The share of those designs that are certified.
    pub certified_share: f64,
}

/// Designs timed for the certified solve (it costs several times a likelihood evaluation).
pub const CERTIFIED_SAMPLE: usize = 1000;

/// Times `f` repeatedly for at least `min_seconds`, returns seconds per call.
fn time_per_call(min_seconds: f64, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let start = Instant::now();
    let mut calls = 0u32;
    while calls == 0 || start.elapsed().as_secs_f64() < min_seconds {
        f();
        calls += 1;
    }
    start.elapsed().as_secs_f64() / calls as f64
}

/// Measures evaluation throughput for one protocol, size and thread count.
pub fn measure(
    protocols: ProtocolMix,
    n: usize,
    threads: usize,
    min_seconds: f64,
) -> crate::error::Result<Measurement> {
    let (project, theta) = Simulation::new(n, protocols, 7).generate()?;
    let model = Model::new(&project.spec, &project.data)?;
    let problem = Likelihood::new(&model, &project.data.outcome, &project.data.weight);
    let x = model.space.to_internal(&theta);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let (t_value, t_grad) = pool.install(|| {
        let tv = time_per_call(min_seconds, || {
            std::hint::black_box(problem.evaluate(&x, false));
        });
        let tg = time_per_call(min_seconds, || {
            std::hint::black_box(problem.evaluate(&x, true));
        });
        (tv, tg)
    });
    let sample = n.min(CERTIFIED_SAMPLE).min(model.designs.len());
    let theta_natural = model.space.to_natural(&x);
    let mut certificates = Vec::new();
    let t_certified = pool.install(|| {
        time_per_call(min_seconds, || {
            certificates = model.certificates_of(&theta_natural, 0..sample);
        })
    });
    let certified = certificates.iter().filter(|c| c.0.is_certified()).count();
    Ok(Measurement {
        protocol: protocols.label().to_string(),
        n,
        threads,
        loglik_episodes_per_s: n as f64 / t_value,
        gradient_episodes_per_s: n as f64 / t_grad,
        n_free: problem.n_free(),
        certified_episodes_per_s: sample as f64 / t_certified,
        certified_share: certified as f64 / sample.max(1) as f64,
    })
}

/// Times a full fit (from the default start) of a simulated sample.
pub fn fit_time(
    protocols: ProtocolMix,
    n: usize,
    threads: usize,
) -> crate::error::Result<(f64, bool, u64)> {
    let (project, _) = Simulation::new(n, protocols, 7).generate()?;
    let model = Model::new(&project.spec, &project.data)?;
    let options = FitOptions {
        estimation: project.spec.spec.estimation.clone(),
        standard_errors: true,
        checkpoint: None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let start = Instant::now();
    let est = pool.install(|| {
        fit(
            &model,
            &project.data,
            &project.data.outcome,
            &project.data.weight,
            &options,
            None,
        )
    })?;
    Ok((
        start.elapsed().as_secs_f64(),
        est.converged,
        est.diagnostics.iterations,
    ))
}
