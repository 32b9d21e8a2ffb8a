//! The game of MODEL.md: threshold distributions, the primitives of one observation and its
//! equilibrium. Pure functions of parameters and one observation; no I/O.

pub mod distribution;
pub mod elementary;
pub mod equilibrium;
pub mod game;
pub mod lambert;
pub mod logistic_one_shot;
pub mod numeric;

pub use distribution::{Family, Threshold};
pub use equilibrium::{
    certify_path, first_stage_cell_bounds, first_stage_certificate, outcome_probabilities, solve,
    solve_path, solve_with_proposer, solve_with_proposer_unchecked, Certificate, Equilibrium, Path,
    PathSensitivity, Solution, StageCertificate, StagePath, CERTIFICATE_TOLERANCE,
};
pub use game::{Game, Proposer, Protocol, Scalars, Side, StageKind};
