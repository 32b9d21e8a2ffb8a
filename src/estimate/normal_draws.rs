//! Standard-normal draws by the Box–Muller transform, for the random starts
//! ([`super::starts`]) and the simulated datasets ([`crate::analyses::synthetic`]):
//!
//! ```text
//! z = √(−2 ln u₁) · cos(2π u₂),   u₁ = 1 − U₁ ∈ (0, 1],  u₂ = U₂ ∈ [0, 1),  U₁, U₂ ~ U[0, 1)
//! ```
//!
//! One draw consumes two uniforms of the generator (the sine half of the pair is not used).
//! It is written out here rather than taken from a distribution crate so that the draws, and
//! with them every random start and simulated dataset, do not change with that crate's version.

use rand::Rng;

/// One standard-normal draw (two uniforms of `rng`).
pub fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
