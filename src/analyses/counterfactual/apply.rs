//! Applying a scenario to a spec and its data: the rows it selects, their changed designs and
//! proposers, the parameter values it sets, and the equilibrium predictions per data row.

use super::scenario::{ParameterValue, Scenario};
use crate::error::{Error, Result};
use crate::model::{solve_with_proposer, Proposer, Side, Solution};
use crate::problem::data::Dataset;
use crate::problem::likelihood::{
    covariate_column, design_frame, Model, INDICES, PROTOCOL_COLUMNS,
};
use crate::problem::params::ParameterSpace;
use crate::problem::spec::{ColumnOrFlag, FixedOrFree, ProposerSpec, SpecFile, ThresholdSpec};
use crate::problem::table::{group_rows, matching_rows};
use polars::prelude::{
    BooleanChunked, ChunkFull, ChunkSet, Column, DataFrame, IntoColumn, NewChunkedArray,
    PolarsError,
};
use rayon::prelude::*;
use std::path::Path;

/// What the model predicts for one data row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowPrediction {
    /// `P(ratified), P(renegotiated), P(failed)`.
    pub probabilities: [f64; 3],
    /// Expected home share in agreements that enter into force (NaN if none can).
    pub home_share: f64,
    /// Probability mass of strategic rejections.
    pub p_strategic: f64,
}

impl RowPrediction {
    fn from_solution(s: &Solution) -> RowPrediction {
        RowPrediction {
            probabilities: s.probabilities,
            home_share: s.home_share,
            p_strategic: s.p_strategic,
        }
    }

    /// Whether two predictions differ by more than `tol` in any quantity.
    pub fn differs(&self, other: &RowPrediction, tol: f64) -> bool {
        let far = |a: f64, b: f64| (a.is_nan() != b.is_nan()) || (a - b).abs() > tol;
        self.probabilities
            .iter()
            .zip(other.probabilities)
            .any(|(&a, b)| far(a, b))
            || far(self.home_share, other.home_share)
            || far(self.p_strategic, other.p_strategic)
    }
}

/// How the proposer of a row is decided.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ProposerChoice {
    /// As in the fitted spec.
    Spec,
    /// One side.
    Fixed(Side),
    /// Mixed with this `p_home` (`None`: the fitted `[proposer]` index).
    Mixed(Option<f64>),
}

/// Where a parameter of a scenario's model takes its value from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    /// The fitted parameter with this index.
    Fitted(usize),
    /// A number set by the scenario.
    Value(f64),
}

/// One equilibrium to solve: a design under a proposer choice, at the fitted or the scenario's
/// parameters.
#[derive(Debug, Clone, Copy)]
struct Unit {
    design: usize,
    proposer: ProposerChoice,
    scenario_parameters: bool,
}

/// A scenario checked against a spec and its data, ready to be solved at any fitted
/// parameter vector.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The scenario's name.
    pub name: String,
    /// The spec the scenario's games are built from (the fitted spec, plus a `[foreign]` table
    /// when the scenario adds a foreign constraint to a spec without one).
    pub spec: SpecFile,
    /// The model of the changed rows.
    pub model: Model,
    /// Rows that `where` selects.
    pub matched: Vec<bool>,
    /// Things the user should know (changes that do nothing).
    pub warnings: Vec<String>,
    fitted_sources: Vec<Source>,
    scenario_sources: Vec<Source>,
    units: Vec<Unit>,
    row_unit: Vec<usize>,
}

/// The scenario's (`where`-selected) rows; an error names a column the data lack or a filter
/// that selects nothing.
fn matched_rows(
    scenario: &Scenario,
    data: &Dataset,
    err: &dyn Fn(&str, String) -> Error,
) -> Result<Vec<bool>> {
    let mut matched = BooleanChunked::full("where".into(), true, data.len());
    for condition in &scenario.filter {
        let key = format!("where.{}", condition.column);
        let cells = data.frame.column(&condition.column).map_err(|_| {
            err(
                &key,
                format!(
                    "unknown column `{}`; the data have: {}",
                    condition.column,
                    data.column_list()
                ),
            )
        })?;
        let rows = matching_rows(cells, &condition.values)
            .map_err(|e| err(&key, format!("cannot compare the column ({e})")))?;
        matched = &matched & &rows;
    }
    let matched: Vec<bool> = matched.iter().map(|m| m == Some(true)).collect();
    if !scenario.filter.is_empty() && !matched.iter().any(|&m| m) {
        let hints: Vec<String> = scenario
            .filter
            .iter()
            .map(|c| {
                let mut values: Vec<&str> = data.text_columns[&c.column]
                    .iter()
                    .map(|v| v.trim())
                    .collect();
                values.sort_unstable();
                values.dedup();
                let shown = if values.len() <= 30 {
                    values.join(", ")
                } else {
                    format!("{}, … ({} values)", values[..30].join(", "), values.len())
                };
                format!(
                    "`{}` = {} (the column has: {shown})",
                    c.column,
                    c.values
                        .iter()
                        .map(|v| v.display())
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            })
            .collect();
        return Err(err(
            "where",
            format!(
                "matches no data row: {}; check the values",
                hints.join("; ")
            ),
        ));
    }
    Ok(matched)
}

impl Prepared {
    /// Checks `scenario` against the spec, its data and the fitted parameters (`fitted`: the
    /// fitted space; `estimate`: natural-scale values, for checking copied values' domains) and
    /// builds the changed rows' model. `path` names the scenario file in errors.
    pub fn new(
        scenario: &Scenario,
        spec: &SpecFile,
        data: &Dataset,
        fitted: &ParameterSpace,
        estimate: &[f64],
        path: &Path,
    ) -> Result<Prepared> {
        let name = scenario.name.clone();
        let err = |key: &str, message: String| Error::Scenario {
            path: path.to_path_buf(),
            message: format!("scenario \"{name}\", key `{key}`: {message}"),
        };
        let matched = matched_rows(scenario, data, &err)?;
        let mut warnings = Vec::new();

        // A foreign constraint on a spec without `[foreign]`: the scenario supplies the
        // foreign ratifier's distribution, `foreign:const` and `foreign:scale` plus, optionally,
        // `foreign:<covariate>` for covariates of the spec (its location index uses them).
        let mut spec = spec.clone();
        if scenario.foreign_constraint == Some(true) && spec.spec.foreign.is_none() {
            let given = |p: &str| scenario.parameters.iter().any(|(n, _)| n == p);
            if !(given("foreign:const") && given("foreign:scale")) {
                return Err(err(
                    "foreign_constraint",
                    "the fitted spec has no `[foreign]` table, so the data say nothing about the foreign ratifier; \
                     give its threshold distribution in the scenario, e.g. `parameters = { \"foreign:const\" = \"home:const\", \"foreign:scale\" = \"home:scale\" }` \
                     (copies of fitted parameters, or numbers; add `\"foreign:<covariate>\"` for covariates of the spec), or fit a spec with a `[foreign]` table"
                        .into(),
                ));
            }
            let mut location = vec!["const".to_string()];
            for (pname, _) in &scenario.parameters {
                let Some(c) = pname.strip_prefix("foreign:") else {
                    continue;
                };
                if c == "const" || c == "scale" {
                    continue;
                }
                if !data.covariates.contains_key(c) {
                    return Err(err(
                        &format!("parameters.{pname}"),
                        format!(
                            "the foreign ratifier this scenario adds can depend on the spec's covariates ({}); `{c}` is not one of them",
                            data.covariates.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                location.push(c.to_string());
            }
            spec.spec.foreign = Some(ThresholdSpec {
                location,
                scale: FixedOrFree::Fixed(1.0),
            });
        }

        // Covariates and protocol switches of the selected rows.
        let s = &spec.spec;
        let protocol_column = |element: &ColumnOrFlag| match element {
            ColumnOrFlag::Column(c) => Some(c.clone()),
            ColumnOrFlag::Flag(_) => None,
        };
        let mut poll = scenario.poll;
        let mut renegotiation = scenario.renegotiation;
        let mut foreign_constraint = scenario.foreign_constraint;
        let mut covariates: Vec<(usize, usize, f64)> = Vec::new(); // (list, position, value)
        for (column, v) in &scenario.set {
            let key = format!("set.{column}");
            if column == "const" {
                return Err(err(&key, "`const` is the intercept, not a column; change `home:const` under `parameters` instead".into()));
            }
            let mut used = false;
            let lists = s.covariate_lists();
            for (l, list) in lists.iter().enumerate() {
                if let Some(k) = list.iter().position(|c| c == column) {
                    covariates.push((l, k, *v));
                    used = true;
                }
            }
            for (element, switch, label) in [
                (&s.protocol.poll, &mut poll, "poll"),
                (
                    &s.protocol.renegotiation,
                    &mut renegotiation,
                    "renegotiation",
                ),
                (
                    &s.protocol.foreign_constraint,
                    &mut foreign_constraint,
                    "foreign_constraint",
                ),
            ] {
                if protocol_column(element).as_deref() == Some(column.as_str()) {
                    let b = match *v {
                        0.0 => false,
                        1.0 => true,
                        x => return Err(err(&key, format!("`{column}` is the spec's `[protocol] {label}` column, a 0/1 switch; {x} is neither 0 nor 1"))),
                    };
                    if switch.is_some_and(|explicit| explicit != b) {
                        return Err(err(&key, format!("sets the `{label}` column to {v} but the scenario also says `{label} = {}`; keep one", !b)));
                    }
                    *switch = Some(b);
                    used = true;
                }
            }
            if !used {
                if data.text_columns.contains_key(column) {
                    warnings.push(format!(
                        "scenario \"{name}\", `{key}`: the data have a `{column}` column but the spec does not use it (not in `[home] location`{}{}, not a protocol column), so setting it changes nothing",
                        if s.foreign.is_some() { ", `[foreign] location`" } else { "" },
                        if s.proposer.is_some() { ", `[proposer] index`" } else { "" },
                    ));
                } else {
                    return Err(err(
                        &key,
                        format!(
                            "unknown column `{column}`; the spec's covariates are: {}",
                            lists
                                .iter()
                                .flat_map(|l| l.iter())
                                .filter(|c| *c != "const")
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        let mut frame = design_frame(&spec, data)?;
        let frame_error = |e: PolarsError| err("set", format!("cannot apply the changes ({e})"));
        let selected = BooleanChunked::from_slice("where".into(), &matched);
        for &(l, k, v) in &covariates {
            let name = covariate_column(INDICES[l], k);
            let changed = frame
                .column(&name)
                .and_then(|c| c.f64()?.set(&selected, Some(v + 0.0)))
                .map_err(frame_error)?;
            frame
                .with_column(changed.into_column())
                .map_err(frame_error)?;
        }
        for (name, switch) in PROTOCOL_COLUMNS
            .iter()
            .zip([poll, renegotiation, foreign_constraint])
        {
            if let Some(b) = switch {
                let changed = frame
                    .column(name)
                    .and_then(|c| c.bool()?.set(&selected, Some(b)))
                    .map_err(frame_error)?;
                frame
                    .with_column(changed.into_column())
                    .map_err(frame_error)?;
            }
        }

        // The proposer of the selected rows.
        let choice = match (scenario.proposer, scenario.p_home) {
            (None, _) => ProposerChoice::Spec,
            (Some(ProposerSpec::Foreign), _) => ProposerChoice::Fixed(Side::Foreign),
            (Some(ProposerSpec::Home), _) => ProposerChoice::Fixed(Side::Home),
            (Some(ProposerSpec::Mixed), Some(p)) => ProposerChoice::Mixed(Some(p)),
            (Some(ProposerSpec::Mixed), None) if s.protocol.proposer == ProposerSpec::Mixed => ProposerChoice::Mixed(None),
            (Some(ProposerSpec::Mixed), None) => {
                return Err(err(
                    "proposer",
                    format!(
                        "the fitted spec's proposer is \"{}\", so the data say nothing about P(home proposes); add `p_home = 0.5` (or another probability)",
                        match s.protocol.proposer {
                            ProposerSpec::Home => "home",
                            _ => "foreign",
                        }
                    ),
                ))
            }
        };

        let model = Model::from_design_frame(&spec, &frame)
            .map_err(|e| err("foreign_constraint", e.to_string()))?;

        // Parameters: the fitted values, and the scenario's.
        let mut fitted_sources = Vec::with_capacity(model.space.len());
        for p in &model.space.parameters {
            fitted_sources.push(match fitted.index(&p.name) {
                Some(k) => Source::Fitted(k),
                None => Source::Value(f64::NAN), // added with the foreign table: set below
            });
        }
        let mut scenario_sources = fitted_sources.clone();
        for (pname, value) in &scenario.parameters {
            let key = format!("parameters.{pname}");
            let j = model.space.index(pname).ok_or_else(|| {
                err(
                    &key,
                    format!(
                        "unknown parameter `{pname}`; this scenario's parameters are: {}",
                        model.space.names().join(", ")
                    ),
                )
            })?;
            let (source, v) = match value {
                ParameterValue::Value(v) => (Source::Value(*v), *v),
                ParameterValue::Copy(other) => {
                    let k = fitted.index(other).ok_or_else(|| {
                        err(&key, format!("`{other}` is neither a number nor a fitted parameter; the fitted parameters are: {}", fitted.names().join(", ")))
                    })?;
                    (Source::Fitted(k), estimate[k])
                }
            };
            model
                .space
                .check_value(&model.space.parameters[j], v)
                .map_err(|m| err(&key, m))?;
            scenario_sources[j] = source;
            if fitted.index(pname).is_none() {
                fitted_sources[j] = source; // only the changed rows have a foreign constraint
            }
        }

        // Units: one equilibrium per design, proposer choice and parameter set. A selected
        // row's unit differs from an unselected one's of the same design when the scenario
        // changes the proposer or the parameters.
        let changes_unit = choice != ProposerChoice::Spec || !scenario.parameters.is_empty();
        let changed: Vec<bool> = matched.iter().map(|&m| m && changes_unit).collect();
        let keys = DataFrame::new(
            data.len(),
            vec![
                Column::new(
                    "design".into(),
                    model
                        .row_design
                        .iter()
                        .map(|&g| g as u64)
                        .collect::<Vec<_>>(),
                ),
                Column::new("changed".into(), changed.as_slice()),
            ],
        )
        .and_then(|keys| group_rows(&keys))
        .map_err(|e| err("where", format!("cannot group the rows ({e})")))?;
        let units = keys
            .first
            .iter()
            .map(|&i| Unit {
                design: model.row_design[i],
                proposer: if changed[i] {
                    choice
                } else {
                    ProposerChoice::Spec
                },
                scenario_parameters: changed[i] && !scenario.parameters.is_empty(),
            })
            .collect();
        let row_unit = keys.of_row;
        Ok(Prepared {
            name,
            spec,
            model,
            matched,
            warnings,
            fitted_sources,
            scenario_sources,
            units,
            row_unit,
        })
    }

    /// Number of equilibria solved per evaluation.
    pub fn n_units(&self) -> usize {
        self.units.len()
    }

    fn parameters(sources: &[Source], fitted: &[f64]) -> Vec<f64> {
        sources
            .iter()
            .map(|s| match *s {
                Source::Fitted(k) => fitted[k],
                Source::Value(v) => v,
            })
            .collect()
    }

    /// Predictions for every data row at fitted natural-scale parameters `fitted` (all
    /// parameters of the fitted spec, in its order). Parallel and deterministic.
    pub fn predict(&self, fitted: &[f64]) -> Vec<RowPrediction> {
        let theta_fitted = Prepared::parameters(&self.fitted_sources, fitted);
        let theta_scenario = Prepared::parameters(&self.scenario_sources, fitted);
        let model = &self.model;
        let solutions: Vec<RowPrediction> = self
            .units
            .par_iter()
            .map(|u| {
                let theta = if u.scenario_parameters {
                    &theta_scenario
                } else {
                    &theta_fitted
                };
                let g = u.design;
                let q = model.primitives(g, theta);
                let game = model.game(g, &q, Side::Foreign);
                let proposer = match u.proposer {
                    ProposerChoice::Spec => model.proposer(g, theta),
                    ProposerChoice::Fixed(side) => Proposer::Fixed(side),
                    ProposerChoice::Mixed(Some(p_home)) => Proposer::Mixed { p_home },
                    ProposerChoice::Mixed(None) => Proposer::Mixed { p_home: q[4] },
                };
                RowPrediction::from_solution(&solve_with_proposer(&game, proposer))
            })
            .collect();
        self.row_unit.iter().map(|&u| solutions[u]).collect()
    }
}
