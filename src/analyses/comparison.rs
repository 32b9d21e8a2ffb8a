//! Model comparison: the columns of a comparison table (one per structural fit, with the SEs
//! it shows, its fit statistics and its Vuong test; one per reduced-form benchmark), and
//! [`compare_projects`], which fits several specs and their reduced-form benchmarks
//! (`twolevel compare`): one column per spec, then one multinomial-logit column per distinct
//! (data, outcome, renegotiation availability, `[home] location`) combination, and the Vuong
//! test of each structural model against the benchmark fitted to the same data.

use crate::analyses::bootstrap::BootstrapResults;
use crate::analyses::reduced_form::{fit_reduced_form, ReducedForm};
use crate::analyses::vuong::{structural_vs_reduced, Vuong};
use crate::error::Result;
use crate::estimate::project_fit::FitReport;
use crate::estimate::{FitStatus, SeKind};
use crate::problem::labels::{Label, Labels};
use crate::problem::project::{Project, Provenance};
use serde::{Deserialize, Serialize};

/// A structural model or the reduced-form benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// The two-level game.
    Structural,
    /// The multinomial logit.
    ReducedForm,
}

/// One coefficient cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Term name.
    pub term: String,
    /// What tables call the term (the spec's `[labels]`; the exact name without one).
    pub label: Label,
    /// Estimate.
    pub estimate: f64,
    /// Standard error.
    pub std_error: Option<f64>,
    /// Held fixed.
    pub fixed: bool,
}

/// One model column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Header.
    pub label: String,
    /// Structural or reduced form.
    pub kind: ColumnKind,
    /// What the data are (the spec's `[data] description`), if it says.
    #[serde(default)]
    pub description: Option<String>,
    /// Where a structural column's fit came from (spec, data, toolkit).
    #[serde(default)]
    pub provenance: Option<Provenance>,
    /// Coefficients.
    pub cells: Vec<Cell>,
    /// Observations.
    pub n_obs: usize,
    /// Log-likelihood.
    pub loglik: f64,
    /// AIC.
    pub aic: f64,
    /// BIC.
    pub bic: f64,
    /// Free parameters.
    pub n_free: usize,
    /// Converged (a smooth maximum).
    pub converged: bool,
    /// Smooth maximum, maximum at a kink, or not converged.
    #[serde(default)]
    pub status: FitStatus,
    /// Which SEs the column shows.
    pub se_label: String,
    /// Vuong test of this (structural) model against the benchmark of the same data.
    pub vuong: Option<Vuong>,
}

/// Columns side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The columns, in order.
    pub columns: Vec<Column>,
}

/// A structural column, with the SEs of `se_kind` (bootstrap SEs need `bootstrap`) and the
/// parameters' `labels`.
pub fn structural_column(
    label: &str,
    report: &FitReport,
    se_kind: SeKind,
    bootstrap: Option<&BootstrapResults>,
    vuong: Option<Vuong>,
    labels: &Labels,
) -> Column {
    let e = &report.estimates;
    let boot = bootstrap.and_then(|b| b.summary.as_ref());
    let cells = e
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| Cell {
            term: p.name.clone(),
            label: labels.parameter(&p.name),
            estimate: p.estimate,
            std_error: match se_kind {
                SeKind::Hessian => p.std_error,
                SeKind::Robust => p.robust_std_error,
                SeKind::Cluster => p.cluster_std_error,
                SeKind::Bootstrap => boot
                    .and_then(|b| b.parameters.get(i))
                    .and_then(|b| b.std_error),
            },
            fixed: p.fixed,
        })
        .collect();
    Column {
        label: label.to_string(),
        kind: ColumnKind::Structural,
        description: labels.description.clone(),
        provenance: Some(report.provenance.clone()),
        cells,
        n_obs: e.n_obs,
        loglik: e.loglik,
        aic: e.aic(),
        bic: e.bic(),
        n_free: e.n_free,
        converged: e.converged,
        status: e.status,
        se_label: e.se_description(se_kind),
        vuong,
    }
}

/// The reduced-form column; a coefficient `<outcome>:<covariate>` is labelled
/// `<outcome>: <covariate's label>` ([`Labels::term`]).
pub fn reduced_column(label: &str, rf: &ReducedForm, labels: &Labels) -> Column {
    Column {
        label: label.to_string(),
        kind: ColumnKind::ReducedForm,
        description: labels.description.clone(),
        provenance: None,
        cells: rf
            .parameters
            .iter()
            .map(|p| Cell {
                term: p.name.clone(),
                label: match p.name.split_once(':') {
                    Some((outcome, covariate)) => labels.term(outcome, covariate),
                    None => Label::Name(p.name.clone()),
                },
                estimate: p.estimate,
                std_error: p.std_error,
                fixed: false,
            })
            .collect(),
        n_obs: rf.n_obs,
        loglik: rf.loglik,
        aic: rf.aic(),
        bic: rf.bic(),
        n_free: rf.n_free,
        converged: rf.converged,
        status: if rf.converged {
            FitStatus::Converged
        } else {
            FitStatus::NotConverged
        },
        se_label: "inverse information".into(),
        vuong: None,
    }
}

/// One fitted spec of a comparison.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// Column label (the spec file's stem).
    pub label: String,
    /// The fit.
    pub report: FitReport,
}

/// Fits every project and builds the comparison (`se_kind` of the structural columns;
/// bootstrap SEs are not available here).
pub fn compare_projects(
    projects: &[Project],
    se_kind: SeKind,
) -> Result<(Comparison, Vec<Fitted>)> {
    let mut structural: Vec<Column> = Vec::new();
    let mut reduced: Vec<(String, Column)> = Vec::new();
    let mut fitted = Vec::new();
    for project in projects {
        let model = project.model()?;
        let estimates = crate::estimate::project_fit::fit_project(project, &model)?;
        let report = FitReport {
            provenance: project.provenance(),
            se_kind,
            estimates,
        };
        // Specs share a benchmark column when the logit is the same: same data, outcome
        // column, renegotiation availability and covariates.
        let s = &project.spec.spec;
        let key = format!(
            "{}|{}|{:?}|{}",
            project.data.hash(),
            s.data.outcome,
            s.protocol.renegotiation,
            s.home.location.join(",")
        );
        let rf = fit_reduced_form(project)?;
        let vuong = structural_vs_reduced(project, &model, &report.estimates, &rf)?;
        let label = project.spec.stem();
        let labels = project.labels();
        structural.push(structural_column(
            &label,
            &report,
            se_kind,
            None,
            Some(vuong),
            &labels,
        ));
        if !reduced.iter().any(|(k, _)| *k == key) {
            reduced.push((key, reduced_column(&format!("MNL ({label})"), &rf, &labels)));
        }
        fitted.push(Fitted { label, report });
    }
    if reduced.len() == 1 {
        reduced[0].1.label = "reduced form (MNL)".into();
    }
    structural.extend(reduced.into_iter().map(|(_, c)| c));
    Ok((
        Comparison {
            columns: structural,
        },
        fitted,
    ))
}

/// The comparison of one fit with its reduced-form benchmark (the `comparison.*` tables of a
/// report folder): the structural column with the SEs of `se_kind` and its Vuong test
/// (computed in [`super::fit_analyses`]), then the benchmark's column.
pub fn fit_comparison(
    label: &str,
    report: &FitReport,
    analyses: &super::FitAnalyses,
    se_kind: SeKind,
    bootstrap: Option<&BootstrapResults>,
    labels: &Labels,
) -> Comparison {
    Comparison {
        columns: vec![
            structural_column(
                label,
                report,
                se_kind,
                bootstrap,
                Some(analyses.vuong.clone()),
                labels,
            ),
            reduced_column("reduced form (MNL)", &analyses.reduced, labels),
        ],
    }
}
