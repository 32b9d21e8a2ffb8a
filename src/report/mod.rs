//! The reporting layer: typed results in, Markdown / LaTeX / CSV / JSON / PNG / SVG out. It
//! renders what the layers below computed (the fit, [`crate::analyses`]' results, the numbers of
//! the figures in [`crate::analyses::figures`]) and fits or solves nothing itself.

pub mod compare;
pub mod counterfactual_tables;
pub mod figures;
pub mod folder;
pub mod latex;
pub mod tables;

use crate::analyses::bootstrap::BootstrapResults;
use crate::error::Result;
use crate::estimate::project_fit::FitReport;
use crate::io::{write_json, write_text};
use crate::problem::labels::Labels;
use std::path::{Path, PathBuf};
use tables::TableOptions;

/// A SHA-256 as the provenance shows it: in full (LaTeX comments), or its first 12 digits.
pub(crate) fn shown_hash(hash: &str, full: bool) -> String {
    if full {
        hash.to_string()
    } else {
        hash.chars().take(12).collect()
    }
}

/// A table's title: what it shows, with the spec's `[data] description` when it has one.
pub(crate) fn titled(what: &str, labels: &Labels) -> String {
    match &labels.description {
        Some(d) => format!("{what}, {d}"),
        None => what.to_string(),
    }
}

/// Files of a fit report.
pub const FIT_FILES: [&str; 4] = [
    "estimates.json",
    "estimates.md",
    "estimates.tex",
    "estimates.csv",
];

/// Says which files of an earlier report in `dir` a new run will replace (empty if none).
pub fn previous_report(dir: &Path) -> Vec<PathBuf> {
    FIT_FILES
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.exists())
        .collect()
}

/// Writes `estimates.{json,md,tex,csv}` into `dir` (atomically, file by file).
/// With a bootstrap, the tables add its SEs and percentile intervals; Markdown and LaTeX show
/// parameters by their `labels`.
pub fn write_fit_report(
    dir: &Path,
    report: &FitReport,
    options: &TableOptions,
    bootstrap: Option<&BootstrapResults>,
    labels: &Labels,
) -> Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = FIT_FILES.iter().map(|f| dir.join(f)).collect();
    write_json(&paths[0], report)?;
    write_text(
        &paths[1],
        &tables::markdown(report, options, bootstrap, labels),
    )?;
    write_text(
        &paths[2],
        &tables::latex(report, options, bootstrap, labels),
    )?;
    write_text(&paths[3], &tables::csv(report, options, bootstrap))?;
    Ok(paths)
}

/// Files of a counterfactual report.
pub const COUNTERFACTUAL_FILES: [&str; 6] = [
    "counterfactual.json",
    "counterfactual.md",
    "counterfactual.tex",
    "counterfactual.csv",
    "counterfactual_forest.png",
    "counterfactual_forest.svg",
];

/// Writes `counterfactual.{json,md,tex,csv}` and the forest plot
/// `counterfactual_forest.{png,svg}` into `dir`; captions name the data by `labels`.
pub fn write_counterfactual_report(
    dir: &Path,
    result: &crate::analyses::counterfactual::Counterfactual,
    labels: &Labels,
) -> Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = COUNTERFACTUAL_FILES.iter().map(|f| dir.join(f)).collect();
    write_json(&paths[0], result)?;
    write_text(&paths[1], &counterfactual_tables::markdown(result, labels))?;
    write_text(&paths[2], &counterfactual_tables::latex(result, labels))?;
    write_text(&paths[3], &counterfactual_tables::csv(result))?;
    figures::counterfactual_forest::write(dir, result)?;
    Ok(paths)
}
