//! Fits several specs and their reduced-form benchmarks for a model comparison table
//! (`twolevel compare`): one column per spec, then one multinomial-logit column per distinct
//! (data, outcome, renegotiation availability, `[home] location`) combination, and the Vuong test of each structural model against
//! the benchmark fitted to the same data.

use crate::error::Result;
use crate::estimate::SeKind;
use crate::inference::vuong::structural_vs_reduced;
use crate::reduced_form::fit_reduced_form;
use crate::report::compare::{reduced_column, structural_column, Column, Comparison};
use crate::workflow::{FitReport, Project};

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
        let estimates = project.fit(&model)?;
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
        structural.push(structural_column(
            &label,
            &report,
            se_kind,
            None,
            Some(vuong),
        ));
        if !reduced.iter().any(|(k, _)| *k == key) {
            reduced.push((key, reduced_column(&format!("MNL ({label})"), &rf)));
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
