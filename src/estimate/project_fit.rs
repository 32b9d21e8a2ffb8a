//! Fitting a project: the checks of the data before the fit ([`super::diagnose::before_fit`]),
//! the multi-start fit ([`super::fit`]), the warnings about the estimate after it
//! ([`super::diagnose::boundary_warnings`]) and the certificates of the designs' equilibria at
//! the estimate ([`crate::problem::certification`]), and the fit with its provenance as it is saved in
//! `estimates.json` ([`FitReport`]).

use super::{fit, Estimates, FitOptions, SeKind};
use crate::error::Result;
use crate::problem::likelihood::Model;
use crate::problem::project::{Project, Provenance};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Fits the spec of `project` to its data.
pub fn fit_project(project: &Project, model: &Model) -> Result<Estimates> {
    fit_project_with_checkpoint(project, model, None)
}

/// [`fit_project`] with a checkpoint of the finished starts (`(file, resume)`, see
/// [`FitOptions::checkpoint`]).
pub fn fit_project_with_checkpoint(
    project: &Project,
    model: &Model,
    checkpoint: Option<(PathBuf, bool)>,
) -> Result<Estimates> {
    let options = FitOptions {
        estimation: project.spec.spec.estimation.clone(),
        standard_errors: true,
        checkpoint,
    };
    let before = super::diagnose::before_fit(&project.spec, &project.data, model)?;
    let failed_before = crate::problem::likelihood::process_failed_solves();
    let mut estimates = fit(
        model,
        &project.data,
        &project.data.outcome,
        &project.data.weight,
        &options,
        None,
    )?;
    let boundary = super::diagnose::boundary_warnings(&estimates);
    estimates
        .warnings
        .splice(0..0, before.into_iter().chain(boundary));
    // Certify every design's equilibrium at the estimate.
    let theta = model.space.to_natural(&estimates.internal);
    let mut certification = model.certification(&theta, &project.data.weight);
    certification.failed_solves_during_fit =
        crate::problem::likelihood::process_failed_solves() - failed_before;
    estimates.warnings.extend(certification.warning());
    estimates.diagnostics.certification = Some(certification);
    Ok(estimates)
}

/// `estimates.json`: estimates plus provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Provenance.
    pub provenance: Provenance,
    /// Which SEs the `std_error` column of tables shows.
    pub se_kind: SeKind,
    /// The estimates (flattened: `loglik`, `n_obs`, `converged`, `parameters`, …).
    #[serde(flatten)]
    pub estimates: Estimates,
}
