//! Counterfactual institutional reforms: what a fitted model predicts when the data's
//! covariates, protocols, proposers or structural parameters are changed, with uncertainty.
//!
//! A [`ScenarioFile`] lists named scenarios (see [`scenario`] for the TOML form). For each
//! scenario and each group of rows (all rows, the rows the scenario's `where` selects, and the
//! values of a grouping column) [`run`] reports, as means over the group's data rows (weighted
//! by the data's weights):
//!
//! * `p_ratified`, `p_renegotiated`, `p_failed`: the predicted outcome probabilities;
//! * `home_share`: the expected home share of the surplus in agreements that enter into force
//!   (mean over the rows where it is defined);
//! * `p_strategic`: the probability mass of types in `(c, x]` that reject a package they would
//!   accept in a one-shot game (strategic rejections);
//!
//! each also as a difference from the baseline (the fitted model on the actual data) or from
//! another scenario (`compare_to`). Uncertainty: delta-method standard errors (numerical
//! Jacobian of every reported number in the internal free parameters, times
//! `Estimates::covariance`) with intervals formed on the logit scale for levels and
//! symmetrically for differences, and, when bootstrap draws are given, bootstrap standard
//! deviations and percentile intervals of the numbers re-solved at each converged draw.
//!
//! ```no_run
//! use twolevel::analyses::counterfactual::{self, Options, ScenarioFile};
//! use twolevel::problem::project::Project;
//! use std::path::Path;
//!
//! let project = Project::load(Path::new("estimation/eu_renegotiation.toml"))?;
//! let estimates = twolevel::estimate::project_fit::fit_project(&project, &project.model()?)?;
//! let scenarios = ScenarioFile::read(Path::new("estimation/eu_renegotiation.scenarios.toml"))?;
//! let result = counterfactual::run(&project, &estimates, &scenarios, &Options::default())?;
//! for s in &result.scenarios {
//!     println!("{}: P(ratified) {:.3} ({:+.3})", s.name, s.p_ratified, s.diff_p_ratified);
//! }
//! # Ok::<(), twolevel::error::Error>(())
//! ```

pub mod apply;
pub mod scenario;
pub mod uncertainty;

pub use apply::{Prepared, RowPrediction};
pub use scenario::{Scenario, ScenarioFile, BASELINE};
pub use uncertainty::{read_draws, BootstrapDraws};

use crate::error::{Error, Result};
use crate::estimate::numeric_derivatives;
use crate::estimate::Estimates;
use crate::model::distribution::normal_quantile;
use crate::problem::params::logistic;
use crate::problem::project::{Project, Provenance};
use crate::problem::table;
use polars::prelude::{DataFrame, IntoColumn};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A bootstrap standard deviation and percentile interval.
type BootstrapSummary = (f64, (f64, f64));

/// Step (internal scale) of the central differences of the delta method.
const JACOBIAN_STEP: f64 = 1e-5;
/// Predictions closer than this count as unchanged.
const UNCHANGED: f64 = 1e-12;

/// A reported quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// `P(ratified)`.
    PRatified,
    /// `P(renegotiated)`.
    PRenegotiated,
    /// `P(failed)`.
    PFailed,
    /// Expected home share of the surplus.
    HomeShare,
    /// Probability of strategic rejections.
    PStrategic,
}

impl Quantity {
    /// All quantities, in report order.
    pub const ALL: [Quantity; 5] = [
        Quantity::PRatified,
        Quantity::PRenegotiated,
        Quantity::PFailed,
        Quantity::HomeShare,
        Quantity::PStrategic,
    ];

    /// The key used in JSON and CSV (`p_ratified`, …).
    pub fn key(self) -> &'static str {
        match self {
            Quantity::PRatified => "p_ratified",
            Quantity::PRenegotiated => "p_renegotiated",
            Quantity::PFailed => "p_failed",
            Quantity::HomeShare => "home_share",
            Quantity::PStrategic => "p_strategic",
        }
    }

    /// Words for tables and plots.
    pub fn label(self) -> &'static str {
        match self {
            Quantity::PRatified => "P(ratified)",
            Quantity::PRenegotiated => "P(renegotiated)",
            Quantity::PFailed => "P(failed)",
            Quantity::HomeShare => "home share",
            Quantity::PStrategic => "strategic rejections",
        }
    }
}

/// Options of a counterfactual run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Also report by the values of this data column.
    pub group: Option<String>,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Bootstrap draws to re-solve (none: delta method only).
    pub draws: Option<BootstrapDraws>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            group: None,
            level: 0.95,
            draws: None,
        }
    }
}

/// A number with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// At the estimate.
    pub estimate: f64,
    /// Delta-method standard error.
    pub se: Option<f64>,
    /// Delta-method interval (levels: formed on the logit scale; differences: symmetric).
    pub ci: Option<(f64, f64)>,
    /// Standard deviation over the bootstrap draws.
    pub bootstrap_se: Option<f64>,
    /// Percentile interval over the bootstrap draws.
    pub bootstrap_ci: Option<(f64, f64)>,
}

impl Estimate {
    /// The bootstrap interval when there is one, else the delta-method interval.
    pub fn interval(&self) -> Option<(f64, f64)> {
        self.bootstrap_ci.or(self.ci)
    }
}

/// One quantity of one group: its level and its difference from the reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QuantityResult {
    /// Which quantity.
    pub quantity: Quantity,
    /// Its level under the scenario.
    pub value: Estimate,
    /// Scenario minus reference, on the same rows.
    pub diff: Estimate,
}

/// What a group of rows is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Every data row.
    All,
    /// The rows the scenario's `where` selects.
    Selected,
    /// The rows with one value of the grouping column.
    Column,
}

/// The quantities of one group of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResult {
    /// What the group is.
    pub kind: GroupKind,
    /// `all rows`, `rows selected by where`, or `<column> = <value>`.
    pub label: String,
    /// The grouping column (kind `column`).
    pub column: Option<String>,
    /// Its value (kind `column`).
    pub value: Option<String>,
    /// Rows in the group.
    pub n_rows: usize,
    /// Their total weight.
    pub weight: f64,
    /// The quantities, in [`Quantity::ALL`] order.
    pub quantities: Vec<QuantityResult>,
}

impl GroupResult {
    /// The result for a quantity.
    pub fn get(&self, q: Quantity) -> &QuantityResult {
        &self.quantities[Quantity::ALL
            .iter()
            .position(|&x| x == q)
            .expect("every quantity")]
    }
}

/// One scenario's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioResult {
    /// The scenario's name (`baseline` for the fitted model).
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// What the differences are taken from (`baseline` or a scenario's name).
    pub compare_to: String,
    /// Rows its `where` selects.
    pub rows_selected: usize,
    /// Rows whose predictions change from the baseline at the estimate.
    pub rows_changed: usize,
    /// Things the reader should know.
    pub warnings: Vec<String>,
    /// Mean `P(ratified)` over all rows.
    pub p_ratified: f64,
    /// Mean `P(renegotiated)` over all rows.
    pub p_renegotiated: f64,
    /// Mean `P(failed)` over all rows.
    pub p_failed: f64,
    /// Mean expected home share (rows where it is defined).
    pub home_share: f64,
    /// Mean probability of strategic rejections.
    pub p_strategic: f64,
    /// Difference of `p_ratified` from the reference.
    pub diff_p_ratified: f64,
    /// Difference of `p_renegotiated` from the reference.
    pub diff_p_renegotiated: f64,
    /// Difference of `p_failed` from the reference.
    pub diff_p_failed: f64,
    /// Difference of `home_share` from the reference.
    pub diff_home_share: f64,
    /// Difference of `p_strategic` from the reference.
    pub diff_p_strategic: f64,
    /// Uncertainty of the all-rows numbers above, by key (`p_ratified`, `diff_p_ratified`, …).
    pub intervals: BTreeMap<String, Estimate>,
    /// All rows, the selected rows (when `where` selects a strict subset) and the grouping
    /// column's values.
    pub groups: Vec<GroupResult>,
}

impl ScenarioResult {
    /// The all-rows group.
    pub fn overall(&self) -> &GroupResult {
        &self.groups[0]
    }
}

/// How the uncertainty was measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncertainty {
    /// Confidence level of the intervals.
    pub level: f64,
    /// Whether delta-method standard errors are reported (a covariance was available).
    pub delta_method: bool,
    /// Where the bootstrap draws came from.
    pub bootstrap_source: Option<String>,
    /// Bootstrap replicates in the file.
    pub bootstrap_replicates: usize,
    /// Converged replicates used.
    pub bootstrap_used: usize,
}

/// The results of a scenario file on a fitted spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterfactual {
    /// What produced the fit (spec, data, hashes).
    pub provenance: Provenance,
    /// The scenario file.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's text.
    pub scenario_sha256: String,
    /// The grouping column, if any.
    pub group_column: Option<String>,
    /// How uncertainty was measured.
    pub uncertainty: Uncertainty,
    /// Things the reader should know about the run.
    pub warnings: Vec<String>,
    /// The fitted model's own predictions.
    pub baseline: ScenarioResult,
    /// The scenarios, in file order.
    pub scenarios: Vec<ScenarioResult>,
}

/// A group of rows.
#[derive(Debug, Clone)]
struct Group {
    kind: GroupKind,
    label: String,
    column: Option<String>,
    value: Option<String>,
    rows: Vec<usize>,
}

/// One reported block: a scenario's 5 levels and 5 differences over one group.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// 0 = baseline, `s` = scenario `s − 1`.
    scenario: usize,
    reference: usize,
    group: usize,
}

/// Weighted means of the quantities over `rows` (home share over rows where it is finite).
fn summarize(predictions: &[RowPrediction], weights: &[f64], rows: &[usize]) -> [f64; 5] {
    let mut sum = [0.0; 5];
    let (mut total, mut share_total) = (0.0, 0.0);
    for &i in rows {
        let (p, w) = (&predictions[i], weights[i]);
        total += w;
        for (total_y, p_y) in sum.iter_mut().zip(p.probabilities) {
            *total_y += w * p_y;
        }
        if p.home_share.is_finite() {
            sum[3] += w * p.home_share;
            share_total += w;
        }
        sum[4] += w * p.p_strategic;
    }
    [
        sum[0] / total,
        sum[1] / total,
        sum[2] / total,
        sum[3] / share_total,
        sum[4] / total,
    ]
}

/// Runs every scenario of `file` on a fitted `project` (the estimates must belong to the
/// project's spec).
pub fn run(
    project: &Project,
    estimates: &Estimates,
    file: &ScenarioFile,
    options: &Options,
) -> Result<Counterfactual> {
    let space = crate::problem::params::ParameterSpace::from_spec(&project.spec);
    let names: Vec<&str> = estimates
        .parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    if names != space.names() || estimates.internal.len() != space.free().len() {
        return Err(Error::Results(format!(
            "the estimates have parameters ({}) that do not match the spec's ({}); refit the spec (`twolevel fit`)",
            names.join(", "),
            space.names().join(", ")
        )));
    }
    evaluate(
        project,
        &estimates.internal,
        estimates.covariance.as_deref(),
        file,
        options,
    )
}

/// Runs every scenario of `file` at the internal free parameters `internal` of the project's
/// spec, with their covariance `covariance` (none: no delta-method standard errors).
pub fn evaluate(
    project: &Project,
    internal: &[f64],
    covariance: Option<&[Vec<f64>]>,
    file: &ScenarioFile,
    options: &Options,
) -> Result<Counterfactual> {
    let data = &project.data;
    let fitted_model = project.model()?;
    let space = &fitted_model.space;
    let n_free = space.free().len();
    if internal.len() != n_free
        || covariance.is_some_and(|c| c.len() != n_free || c.iter().any(|r| r.len() != n_free))
    {
        return Err(Error::Results(format!(
            "{} internal values and a covariance of the wrong size for the spec's {n_free} free parameters",
            internal.len()
        )));
    }
    if !(options.level > 0.0 && options.level < 1.0) {
        return Err(Error::Results(format!(
            "confidence level {} is not in (0, 1)",
            options.level
        )));
    }
    let theta_hat = space.to_natural(internal);

    // Scenarios (index 0: the baseline).
    let baseline_scenario = Scenario {
        name: BASELINE.into(),
        compare_to: BASELINE.into(),
        ..Scenario::default()
    };
    let mut prepared = vec![Prepared::new(
        &baseline_scenario,
        &project.spec,
        data,
        space,
        &theta_hat,
        &file.path,
    )?];
    for s in &file.scenarios {
        prepared.push(Prepared::new(
            s,
            &project.spec,
            data,
            space,
            &theta_hat,
            &file.path,
        )?);
    }
    let position = |name: &str| -> usize {
        if name == BASELINE {
            0
        } else {
            1 + file
                .scenarios
                .iter()
                .position(|s| s.name == name)
                .expect("compare_to checked at parse")
        }
    };

    // Groups: all rows, then the grouping column's values, then each scenario's selection.
    let n = data.len();
    let mut groups = vec![Group {
        kind: GroupKind::All,
        label: "all rows".into(),
        column: None,
        value: None,
        rows: (0..n).collect(),
    }];
    if let Some(column) = &options.group {
        let cells = data.frame.column(column).map_err(|_| {
            Error::data(
                &data.path,
                None,
                Some(column),
                format!(
                    "--group: the data have no such column; they have: {}",
                    data.column_list()
                ),
            )
        })?;
        // Rows grouped by the column's (trimmed) values, groups in the values' order.
        let values = table::trimmed(cells)
            .and_then(|v| {
                let by_value = DataFrame::new(n, vec![v.clone().into_column()])?;
                Ok((v, table::group_rows(&by_value)?))
            })
            .map_err(|e| {
                Error::data(
                    &data.path,
                    None,
                    Some(column),
                    format!("--group: cannot group the rows ({e})"),
                )
            })?;
        let (values, by_value) = values;
        let value = |g: usize| values.get(by_value.first[g]).unwrap_or("");
        let mut order: Vec<usize> = (0..by_value.len()).collect();
        order.sort_by(|&a, &b| value(a).cmp(value(b)));
        let mut rows = by_value.rows();
        for g in order {
            let v = value(g);
            groups.push(Group {
                kind: GroupKind::Column,
                label: format!("{column} = {v}"),
                column: Some(column.clone()),
                value: Some(v.to_string()),
                rows: std::mem::take(&mut rows[g]),
            });
        }
    }
    let n_common = groups.len();
    let mut blocks = Vec::new();
    for (s, p) in prepared.iter().enumerate() {
        let reference = if s == 0 {
            0
        } else {
            position(&file.scenarios[s - 1].compare_to)
        };
        for g in 0..n_common {
            blocks.push(Block {
                scenario: s,
                reference,
                group: g,
            });
        }
        let selected: Vec<usize> = (0..n).filter(|&i| p.matched[i]).collect();
        if selected.len() < n {
            groups.push(Group {
                kind: GroupKind::Selected,
                label: "rows selected by where".into(),
                column: None,
                value: None,
                rows: selected,
            });
            blocks.push(Block {
                scenario: s,
                reference,
                group: groups.len() - 1,
            });
        }
    }

    // Every reported number as a function of the fitted parameters.
    let weights = &data.weight;
    let outputs = |theta: &[f64]| -> Vec<f64> {
        let predictions: Vec<Vec<RowPrediction>> =
            prepared.iter().map(|p| p.predict(theta)).collect();
        let mut out = Vec::with_capacity(blocks.len() * 10);
        for b in &blocks {
            let rows = &groups[b.group].rows;
            let level = summarize(&predictions[b.scenario], weights, rows);
            let reference = summarize(&predictions[b.reference], weights, rows);
            out.extend(level);
            out.extend(level.iter().zip(reference).map(|(a, r)| a - r));
        }
        out
    };
    let point = outputs(&theta_hat);
    let m = point.len();

    // Delta method.
    let mut warnings = Vec::new();
    let delta: Option<Vec<Option<f64>>> = match covariance {
        Some(cov) if !internal.is_empty() => {
            let f = |t: &[f64]| outputs(&space.to_natural(t));
            let step = numeric_derivatives::Step::Absolute(JACOBIAN_STEP);
            let jac = numeric_derivatives::jacobian(f, internal, m, step);
            Some(jac.iter().map(|g| uncertainty::delta_se(g, cov)).collect())
        }
        Some(_) => Some(vec![Some(0.0); m]),
        None => {
            warnings.push("the fit has no covariance matrix (the observed information is not invertible), so there are no delta-method standard errors".into());
            None
        }
    };

    // Bootstrap.
    let boot: Option<Vec<Option<BootstrapSummary>>> = match &options.draws {
        Some(d) if d.values.len() >= 2 => {
            if d.values.len() < 50 {
                warnings.push(format!(
                    "only {} converged bootstrap draws; percentile intervals from so few draws are rough",
                    d.values.len()
                ));
            }
            let per_draw: Vec<Vec<f64>> = d.values.par_iter().map(|theta| outputs(theta)).collect();
            Some(
                (0..m)
                    .map(|i| {
                        let mut v: Vec<f64> = per_draw.iter().map(|o| o[i]).collect();
                        uncertainty::bootstrap_summary(&mut v, options.level)
                    })
                    .collect(),
            )
        }
        Some(d) => {
            warnings.push(format!(
                "{}: fewer than two converged bootstrap draws; no bootstrap intervals",
                d.source
            ));
            None
        }
        None => None,
    };

    // Assemble.
    let z = normal_quantile(0.5 + options.level / 2.0);
    let estimate = |i: usize, level: bool| -> Estimate {
        let v = point[i];
        let se = delta.as_ref().and_then(|d| d[i]).filter(|_| v.is_finite());
        let ci = se.map(|se| {
            if level && v > 0.0 && v < 1.0 && se > 0.0 {
                let t = (v / (1.0 - v)).ln();
                let half = z * se / (v * (1.0 - v));
                (logistic(t - half), logistic(t + half))
            } else {
                (v - z * se, v + z * se)
            }
        });
        let b = boot.as_ref().and_then(|b| b[i]);
        Estimate {
            estimate: v,
            se,
            ci,
            bootstrap_se: b.map(|b| b.0),
            bootstrap_ci: b.map(|b| b.1),
        }
    };
    let baseline_predictions = prepared[0].predict(&theta_hat);
    let mut results: Vec<ScenarioResult> = Vec::with_capacity(prepared.len());
    for (s, p) in prepared.iter().enumerate() {
        let scenario = (s > 0).then(|| &file.scenarios[s - 1]);
        let mut group_results = Vec::new();
        for (k, b) in blocks.iter().enumerate().filter(|(_, b)| b.scenario == s) {
            let g = &groups[b.group];
            group_results.push(GroupResult {
                kind: g.kind,
                label: g.label.clone(),
                column: g.column.clone(),
                value: g.value.clone(),
                n_rows: g.rows.len(),
                weight: g.rows.iter().map(|&i| weights[i]).sum(),
                quantities: Quantity::ALL
                    .iter()
                    .enumerate()
                    .map(|(j, &q)| QuantityResult {
                        quantity: q,
                        value: estimate(10 * k + j, true),
                        diff: estimate(10 * k + 5 + j, false),
                    })
                    .collect(),
            });
        }
        let overall = &group_results[0];
        let mut intervals = BTreeMap::new();
        for r in &overall.quantities {
            intervals.insert(r.quantity.key().to_string(), r.value);
            intervals.insert(format!("diff_{}", r.quantity.key()), r.diff);
        }
        let level = |q: Quantity| overall.get(q).value.estimate;
        let diff = |q: Quantity| overall.get(q).diff.estimate;
        let rows_changed = if s == 0 {
            0
        } else {
            let predictions = p.predict(&theta_hat);
            predictions
                .iter()
                .zip(&baseline_predictions)
                .filter(|(a, b)| a.differs(b, UNCHANGED))
                .count()
        };
        let mut scenario_warnings = p.warnings.clone();
        if let Some(sc) = scenario {
            if rows_changed == 0 && !sc.is_empty() {
                scenario_warnings.push(format!(
                    "scenario \"{}\" changes no prediction: in the {} selected rows the changed values equal the data's, or the model does not depend on them",
                    sc.name,
                    p.matched.iter().filter(|&&m| m).count()
                ));
            }
        }
        results.push(ScenarioResult {
            name: p.name.clone(),
            description: scenario.and_then(|s| s.description.clone()),
            compare_to: scenario
                .map(|s| s.compare_to.clone())
                .unwrap_or_else(|| BASELINE.into()),
            rows_selected: p.matched.iter().filter(|&&m| m).count(),
            rows_changed,
            warnings: scenario_warnings,
            p_ratified: level(Quantity::PRatified),
            p_renegotiated: level(Quantity::PRenegotiated),
            p_failed: level(Quantity::PFailed),
            home_share: level(Quantity::HomeShare),
            p_strategic: level(Quantity::PStrategic),
            diff_p_ratified: diff(Quantity::PRatified),
            diff_p_renegotiated: diff(Quantity::PRenegotiated),
            diff_p_failed: diff(Quantity::PFailed),
            diff_home_share: diff(Quantity::HomeShare),
            diff_p_strategic: diff(Quantity::PStrategic),
            intervals,
            groups: group_results,
        });
    }
    let baseline = results.remove(0);
    Ok(Counterfactual {
        provenance: project.provenance(),
        scenario_file: file.path.display().to_string(),
        scenario_sha256: crate::problem::data::hex(&Sha256::digest(file.text.as_bytes())),
        group_column: options.group.clone(),
        uncertainty: Uncertainty {
            level: options.level,
            delta_method: delta.is_some(),
            bootstrap_source: options.draws.as_ref().map(|d| d.source.clone()),
            bootstrap_replicates: options.draws.as_ref().map_or(0, |d| d.replicates),
            bootstrap_used: if boot.is_some() {
                options.draws.as_ref().map_or(0, |d| d.values.len())
            } else {
                0
            },
        },
        warnings,
        baseline,
        scenarios: results,
    })
}

/// Reads the fit of `project` saved in `dir/estimates.json`: `Ok(None)` when there is none.
/// Also returns warnings when the saved fit's spec or data hash differs from the project's (the
/// estimates may be stale).
pub fn load_estimates(
    project: &Project,
    dir: &std::path::Path,
) -> Result<Option<(crate::estimate::project_fit::FitReport, Vec<String>)>> {
    let path = dir.join("estimates.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
    let report: crate::estimate::project_fit::FitReport = serde_json::from_str(&text).map_err(|e| {
        Error::Results(format!(
            "`{}` is not an estimates.json written by `twolevel fit` ({e}); refit with `twolevel fit {}`",
            path.display(),
            project.spec.path.display()
        ))
    })?;
    let now = project.provenance();
    let mut warnings = Vec::new();
    if !report.provenance.same_model(&now) {
        warnings.push(format!(
            "`{}` was fitted to a different version of the spec (sha256 {} ≠ {}); refit with `twolevel fit` if the model changed",
            path.display(),
            &report.provenance.spec_sha256[..12.min(report.provenance.spec_sha256.len())],
            &now.spec_sha256[..12]
        ));
    }
    if report.provenance.data_sha256 != now.data_sha256 {
        warnings.push(format!(
            "`{}` was fitted to a different version of the data (sha256 {} ≠ {}); refit with `twolevel fit`",
            path.display(),
            &report.provenance.data_sha256[..12.min(report.provenance.data_sha256.len())],
            &now.data_sha256[..12]
        ));
    }
    Ok(Some((report, warnings)))
}
