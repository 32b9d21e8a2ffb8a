//! The numbers of a fit report's figures, computed once and returned as typed, serialisable
//! results that [`crate::report::figures`] only draws:
//!
//! * [`shares`]: observed vs predicted outcome shares by group;
//! * [`calibration`]: predicted probability vs observed frequency in bins, Wilson intervals;
//! * [`statics`]: comparative statics of the outcome probabilities in each covariate;
//! * [`profile`]: the profile log-likelihoods of the free structural scalars, with their cutoff;
//! * [`bootstrap_distributions`]: histograms of the bootstrap draws of the free parameters.
//!
//! Axis labels show parameters and covariates by their labels (the spec's `[labels]` over the
//! defaults of [`crate::problem::labels`]: ρ, δ_R, …) and say what they are and their units
//! ([`parameter_label`]).
//!
//! Intervals: predicted shares and comparative statics get 95% bands from the bootstrap draws
//! when there are any (percentiles over at most [`MAX_BAND_DRAWS`] converged draws, the first
//! by replicate index), else comparative statics use the delta method on the internal-scale
//! covariance and shares have no band.
//!
//! ```no_run
//! use twolevel::analyses::figures;
//! use twolevel::estimate::project_fit::FitReport;
//! use twolevel::problem::project::Project;
//!
//! let project = Project::default_example()?;
//! let model = project.model()?;
//! let estimates = twolevel::estimate::project_fit::fit_project(&project, &model)?;
//! let report = FitReport { provenance: project.provenance(), se_kind: Default::default(), estimates };
//! let group = figures::default_group(&project);
//! let data = figures::figure_data(&project, &model, &report, None, &[], &group)?;
//! println!("{} groups, {} calibration bins", data.shares.groups.len(), data.calibration.len());
//! # Ok::<(), twolevel::error::Error>(())
//! ```

pub mod bootstrap_distributions;
pub mod calibration;
pub mod profile;
pub mod shares;
pub mod statics;

use super::bootstrap::BootstrapResults;
use super::profile::Profile;
use super::quantile_sorted;
use crate::error::{Error, Result};
use crate::estimate::project_fit::FitReport;
use crate::problem::data::Outcome;
use crate::problem::labels::{Label, Labels};
use crate::problem::likelihood::Model;
use crate::problem::params::Role;
use crate::problem::project::Project;
use serde::{Deserialize, Serialize};

/// At most this many bootstrap draws feed the bands of a figure.
pub const MAX_BAND_DRAWS: usize = 500;

/// Bins of the calibration figure.
pub const CALIBRATION_BINS: usize = 10;

/// Everything the figures of a fit report show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureData {
    /// The outcomes that occur in the data (the panels and curves drawn).
    pub outcomes: Vec<Outcome>,
    /// Observed vs predicted shares by group.
    pub shares: shares::Shares,
    /// Calibration bins.
    pub calibration: Vec<calibration::CalibrationBin>,
    /// Comparative statics, one per varying `[home] location` covariate.
    pub statics: Vec<statics::Statics>,
    /// Profile log-likelihoods, one per free structural scalar.
    pub profiles: Vec<profile::ProfileCurve>,
    /// Bootstrap distributions of the free parameters (with a complete bootstrap).
    pub bootstrap: Option<bootstrap_distributions::BootstrapDistributions>,
}

/// Computes the numbers of every figure of a fit report. `group` is the data column that
/// groups the shares figure (`protocol` groups by protocol; see [`default_group`]).
pub fn figure_data(
    project: &Project,
    model: &Model,
    report: &FitReport,
    bootstrap: Option<&BootstrapResults>,
    profiles: &[Profile],
    group: &str,
) -> Result<FigureData> {
    let theta = report.estimates.values();
    let labels = project.labels();
    Ok(FigureData {
        outcomes: outcomes_present(project),
        shares: shares::shares_by_group(project, model, &theta, bootstrap, group)?,
        calibration: calibration::calibration(project, model, &theta, CALIBRATION_BINS),
        statics: statics::comparative_statics(project, model, report, bootstrap)?,
        profiles: profiles
            .iter()
            .map(|p| profile::ProfileCurve::new(&labels, model, p))
            .collect(),
        bootstrap: bootstrap_distributions::bootstrap_distributions(
            &labels, model, &theta, bootstrap,
        ),
    })
}

/// The outcomes that occur in the data, in index order.
pub fn outcomes_present(project: &Project) -> Vec<Outcome> {
    Outcome::ALL
        .into_iter()
        .filter(|&y| project.data.outcome.contains(&y))
        .collect()
}

/// A parameter's axis label: its label (its name without one), what it is, and its unit, e.g.
/// "ρ (probability of renegotiation after a rejection)".
pub fn parameter_label(labels: &Labels, model: &Model, name: &str) -> String {
    let role = model
        .space
        .index(name)
        .map(|j| model.space.parameters[j].role.clone());
    let what = match role {
        Some(Role::HomeLocation(c)) if c == "const" => {
            "home threshold location μ, share of the surplus".to_string()
        }
        // A labelled coefficient names its covariate already.
        Some(Role::HomeLocation(c)) => match labels.parameter(name) {
            Label::Name(_) => format!("shift of μ per unit of {c}, share of the surplus"),
            _ => "shift of μ per unit, share of the surplus".into(),
        },
        Some(Role::HomeScale) => "home threshold scale s, share of the surplus".into(),
        Some(Role::ForeignLocation(_)) => "foreign threshold location, share of the surplus".into(),
        Some(Role::ForeignScale) => "foreign threshold scale, share of the surplus".into(),
        Some(Role::ProposerIndex(_)) => "logit of P(home proposes)".into(),
        Some(Role::Rho) => "probability of renegotiation after a rejection".into(),
        Some(Role::DeltaRatifier) => "ratifier's discount on renegotiation".into(),
        Some(Role::DeltaProposer) => "proposer's discount on renegotiation".into(),
        Some(Role::PollWeight) => "strategic weight of a poll, 0–1".into(),
        None => return labels.parameter(name).text().to_string(),
    };
    format!("{} ({what})", labels.parameter(name).text())
}

/// The group label of each row: a data column's text, or the row's protocol (`protocol`).
pub fn group_labels(project: &Project, model: &Model, column: &str) -> Result<Vec<String>> {
    if column == "protocol" {
        return Ok(model
            .row_design
            .iter()
            .map(|&g| model.designs[g].protocol.label())
            .collect());
    }
    project
        .data
        .text_columns
        .get(column)
        .cloned()
        .ok_or_else(|| {
            Error::Results(format!(
            "--group `{column}`: the data have no such column (they have: {}, or use `protocol`)",
            project.data.column_list()
        ))
        })
}

/// The default grouping: `route` when the data have it, else the protocol.
pub fn default_group(project: &Project) -> String {
    if project.data.text_columns.contains_key("route") {
        "route".into()
    } else {
        "protocol".into()
    }
}

/// The converged draws that feed bands (at most [`MAX_BAND_DRAWS`]).
fn band_draws(bootstrap: Option<&BootstrapResults>) -> Vec<&[f64]> {
    bootstrap
        .map(|b| {
            b.converged_draws()
                .take(MAX_BAND_DRAWS)
                .map(|d| d.values.as_slice())
                .collect()
        })
        .unwrap_or_default()
}

/// The 95% percentile band `(2.5%, 97.5%)` of the finite values (NaN when there are none).
fn percentile_band(mut values: Vec<f64>) -> (f64, f64) {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    quantile_sorted(&values, 0.025)
        .zip(quantile_sorted(&values, 0.975))
        .unwrap_or((f64::NAN, f64::NAN))
}

/// Per outcome, the percentile band of `value(draw, outcome)` over the draws.
fn outcome_bands(draws: usize, value: impl Fn(usize, usize) -> f64) -> [(f64, f64); 3] {
    let band = |y: usize| percentile_band((0..draws).map(|d| value(d, y)).collect());
    [band(0), band(1), band(2)]
}
