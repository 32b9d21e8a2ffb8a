//! # twolevel
//!
//! Structural estimation of two-level games of international treaty ratification, after
//! Iida (1996), "Involuntary defection in two-level games". See `MODEL.md` in the repository
//! for the model this crate implements.
#![warn(missing_docs)]

pub mod bench;
pub mod counterfactual;
pub mod data;
pub mod diagnose;
pub mod error;
pub mod estimate;
pub mod inference;
pub mod io;
pub mod likelihood;
pub mod model;
pub mod params;
pub mod reduced_form;
pub mod report;
pub mod spec;
pub mod synthetic;
pub mod workflow;
