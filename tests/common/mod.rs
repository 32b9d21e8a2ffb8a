//! Shared by the property-test files.

use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// The seed of CI's property tests: every run draws the same cases, so a red CI is always
/// reproducible.
const CI_SEED: u64 = 20_261_128;

/// Property-test settings from the environment:
///
/// * `TWOLEVEL_PROPTEST_CASES`: the number of cases (default 256);
/// * `TWOLEVEL_PROPTEST_SEED`: a number, or `random` to explore new cases on each run (default
///   a fixed seed).
///
/// Failures are reported with their inputs; no regression files are written into the source
/// tree (found failures go into the test file's `known_regressions` by hand).
pub fn proptest_config() -> ProptestConfig {
    let cases = std::env::var("TWOLEVEL_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let rng_seed = match std::env::var("TWOLEVEL_PROPTEST_SEED").as_deref() {
        Ok("random") => RngSeed::Random,
        Ok(s) => RngSeed::Fixed(s.parse().unwrap_or(CI_SEED)),
        Err(_) => RngSeed::Fixed(CI_SEED),
    };
    ProptestConfig {
        failure_persistence: None,
        rng_seed,
        ..ProptestConfig::with_cases(cases)
    }
}
