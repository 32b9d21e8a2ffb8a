//! # twolevel
//!
//! Structural estimation of two-level games of international treaty ratification, after
//! Iida (1996), "Involuntary defection in two-level games". See `MODEL.md` in the repository
//! for the model this crate implements.
//!
//! The crate is layered; a module imports only from layers below it (checked by
//! `tests/architecture.rs`):
//!
//! | layer | modules | what |
//! | --- | --- | --- |
//! | support | [`error`], [`io`] | errors, file writing, tables (CSV, Parquet, Arrow IPC) read and written with polars |
//! | model | [`model`] | the game and its equilibrium: pure functions of one observation |
//! | problem | [`problem`] | spec + data → a validated estimation problem and its likelihood |
//! | estimate | [`estimate`] | problem → fit results (estimates, SEs, diagnostics) |
//! | analyses | [`analyses`] | fit results → bootstrap, profiles, comparison, counterfactuals, predictions, figure data |
//! | report | [`report`] | renders typed results as tables, figures and report folders; computes nothing |
//! | commands | [`bench`](mod@bench) and the binary (`src/main.rs`, `src/commands.rs`) | parse, call, print |
#![warn(missing_docs)]

pub mod analyses;
pub mod bench;
pub mod error;
pub mod estimate;
pub mod io;
pub mod model;
pub mod problem;
pub mod report;
