//! The estimation problem: a spec (TOML) and its data, loaded and checked, become a
//! [`project::Project`]; [`likelihood::Model`] groups its rows into designs (rows that share
//! covariates and protocol) and maps parameters to each design's game, and
//! [`likelihood::Likelihood`] is the objective `ℓ(θ) = Σ_i w_i log P_i(y_i; θ)` that the
//! estimate layer maximizes.
//!
//! * [`spec`]: the spec file and its validation;
//! * [`params`]: parameter names, roles and transforms (one source of truth for names);
//! * [`labels`]: what tables and figures call parameters and covariates (`[labels]`, defaults);
//! * [`data`]: reading (CSV, Parquet or Arrow IPC, with polars) and checking the data
//!   (outcomes, protocols, covariates, weights, clusters, chains);
//! * [`table`]: column and row operations on polars frames (text, numbers, flags, row filters,
//!   row groups) shared by the data checks, the designs, scenarios and the bootstrap;
//! * [`likelihood`]: designs, primitives and the likelihood with its gradient;
//! * [`certification`]: the certificates of every design's equilibrium at a reported value;
//! * [`project`]: spec + data, provenance, parameter values read from a file.

pub mod certification;
pub mod data;
pub mod labels;
pub mod likelihood;
pub mod params;
pub mod project;
pub mod spec;
pub mod table;
