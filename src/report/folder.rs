//! The report folder (`reports/<spec>/` by default): what `fit` writes, what `merge`
//! assembles from shard folders and what `report` regenerates without refitting.
//!
//! | file | what | saved result or output |
//! | --- | --- | --- |
//! | `estimates.json` | the fit with provenance | saved result |
//! | `bootstrap.csv`, `bootstrap.json` | bootstrap draws, settings and summary | saved result |
//! | `reduced_form.json` | the multinomial-logit benchmark | saved result |
//! | `profiles.json` | profile log-likelihoods of the free structural scalars | saved result |
//! | `estimates.{md,tex,csv}` | estimates, SEs (kind stated), intervals, fit statistics | table |
//! | `comparison.{md,tex,csv}` | structural model vs reduced form, Vuong test | table |
//! | `shares`, `calibration`, `statics_<covariate>`, `profile_<parameter>`, `bootstrap_distributions` (`.png`, `.svg`) | figures | figure |
//!
//! A new report replaces an earlier one in the same folder: the command lists the files it
//! replaces, and removes (and lists) files of the earlier report that the new one does not
//! write (e.g. the bootstrap of an earlier run), so a folder never mixes two runs.

use crate::analyses::bootstrap::{self, BootstrapResults};
use crate::analyses::comparison::fit_comparison;
use crate::analyses::figures::FigureData;
use crate::analyses::profile::Profile;
use crate::analyses::reduced_form::ReducedForm;
use crate::analyses::FitAnalyses;
use crate::error::{Error, Result};
use crate::estimate::project_fit::FitReport;
use crate::problem::labels::Labels;
use crate::problem::project::{Project, DEFAULT_SPEC, DEFAULT_SPEC_PATH};
use crate::report::compare;
use crate::report::figures::{self, FIT_FIGURE_PREFIXES};
use crate::report::tables::TableOptions;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The reduced-form benchmark.
pub const REDUCED_FILE: &str = "reduced_form.json";
/// Profile log-likelihoods.
pub const PROFILES_FILE: &str = "profiles.json";
/// The fit.
pub const ESTIMATES_FILE: &str = "estimates.json";

/// Files of a report that exist in `dir` (tables, saved results and figures).
pub fn report_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut fixed: Vec<&str> = crate::report::FIT_FILES.to_vec();
    fixed.extend([
        bootstrap::DRAWS_FILE,
        bootstrap::META_FILE,
        REDUCED_FILE,
        PROFILES_FILE,
        "comparison.md",
        "comparison.tex",
        "comparison.csv",
    ]);
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let figure = (name.ends_with(".png") || name.ends_with(".svg"))
                && FIT_FIGURE_PREFIXES.iter().any(|f| name.starts_with(f));
            p.is_file() && (fixed.contains(&name.as_str()) || figure)
        })
        .collect();
    out.sort();
    out
}

/// Removes the files of `before` that are not in `written`; returns them.
pub fn remove_stale(before: &[PathBuf], written: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for p in before {
        if !written.contains(p) && p.exists() {
            std::fs::remove_file(p).map_err(|e| Error::io("remove", p, e))?;
            removed.push(p.clone());
        }
    }
    Ok(removed)
}

/// Everything a complete report shows.
pub struct Content<'a> {
    /// The spec's name (its file stem): the header of the comparison table's column.
    pub name: String,
    /// The fit.
    pub report: &'a FitReport,
    /// The bootstrap (complete run), if any.
    pub bootstrap: Option<&'a BootstrapResults>,
    /// Reduced form and profiles.
    pub analyses: &'a FitAnalyses,
    /// Table options.
    pub options: TableOptions,
    /// What tables and figures call parameters and covariates (the spec's `[labels]`).
    pub labels: Labels,
    /// The numbers of the figures ([`crate::analyses::figures::figure_data`]).
    pub figures: FigureData,
}

/// Writes the complete report (saved results, tables, figures) into `dir`.
pub fn write(dir: &Path, c: &Content) -> Result<Vec<PathBuf>> {
    if c.options.se_kind == crate::estimate::SeKind::Bootstrap
        && c.bootstrap.and_then(|b| b.summary.as_ref()).is_none()
    {
        return Err(Error::Results(
            "--se bootstrap needs bootstrap draws (fit with --bootstrap B)".into(),
        ));
    }
    let mut written =
        crate::report::write_fit_report(dir, c.report, &c.options, c.bootstrap, &c.labels)?;
    if let Some(b) = c.bootstrap {
        written.extend(bootstrap::save(dir, b)?);
    }
    let reduced_path = dir.join(REDUCED_FILE);
    crate::io::write_json(&reduced_path, &c.analyses.reduced)?;
    let profiles_path = dir.join(PROFILES_FILE);
    crate::io::write_json(&profiles_path, &c.analyses.profiles)?;
    written.extend([reduced_path, profiles_path]);
    let comparison = fit_comparison(
        &c.name,
        c.report,
        c.analyses,
        c.options.se_kind,
        c.bootstrap,
        &c.labels,
    );
    for (name, text) in [
        (
            "comparison.md",
            compare::markdown(&comparison, c.options.stars),
        ),
        (
            "comparison.tex",
            compare::latex(&comparison, c.options.stars),
        ),
        ("comparison.csv", compare::csv(&comparison)),
    ] {
        let p = dir.join(name);
        crate::io::write_text(&p, &text)?;
        written.push(p);
    }
    written.extend(figures::write_all(dir, &c.figures)?);
    Ok(written)
}

/// Saved results of a report folder.
#[derive(Debug, Clone)]
pub struct Saved {
    /// `estimates.json`.
    pub report: FitReport,
    /// `bootstrap.{csv,json}`.
    pub bootstrap: Option<BootstrapResults>,
    /// `reduced_form.json`.
    pub reduced: Option<ReducedForm>,
    /// `profiles.json`.
    pub profiles: Option<Vec<Profile>>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::Results(format!(
            "`{}` is not a file written by twolevel ({e}); refit with `twolevel fit`",
            path.display()
        ))
    })
}

/// Reads the saved results of `dir`.
pub fn load(dir: &Path) -> Result<Saved> {
    let path = dir.join(ESTIMATES_FILE);
    let report: FitReport = read_json(&path)?.ok_or_else(|| {
        Error::Results(format!(
            "`{}` not found: fit the spec first (`twolevel fit SPEC --out {}`)",
            path.display(),
            dir.display()
        ))
    })?;
    Ok(Saved {
        report,
        bootstrap: bootstrap::load(dir)?,
        reduced: read_json(&dir.join(REDUCED_FILE))?,
        profiles: read_json(&dir.join(PROFILES_FILE))?,
    })
}

/// Checks that saved results were fitted to this spec (its model: `[labels]` may have changed
/// since) and data.
pub fn check_provenance(report: &FitReport, project: &Project, dir: &Path) -> Result<()> {
    if !report.provenance.same_model(&project.provenance()) {
        return Err(Error::Results(format!(
            "the results in `{}` were fitted to another version of the spec (`{}`); refit with `twolevel fit`",
            dir.display(),
            report.provenance.spec_path
        )));
    }
    if report.provenance.data_sha256 != project.data.hash() {
        return Err(Error::Results(format!(
            "the results in `{}` were fitted to other data than `{}`; refit with `twolevel fit`",
            dir.display(),
            project.data.path.display()
        )));
    }
    Ok(())
}

/// The project a saved fit came from: `spec` if given, else the embedded default example
/// (when the fit is of it) or the spec file named in its provenance. Checks the hashes.
pub fn project_of(report: &FitReport, spec: Option<&Path>, dir: &Path) -> Result<Project> {
    let project = match spec {
        Some(p) => Project::load(p)?,
        None => {
            let default_sha = crate::problem::data::hex(&Sha256::digest(DEFAULT_SPEC.as_bytes()));
            if report.provenance.spec_path == DEFAULT_SPEC_PATH
                && report.provenance.spec_sha256 == default_sha
            {
                Project::default_example()?
            } else {
                Project::load(Path::new(&report.provenance.spec_path))?
            }
        }
    };
    check_provenance(report, &project, dir)?;
    Ok(project)
}
