//! Figures (plotters; every figure as PNG and SVG): observed vs predicted outcome shares by
//! group, a calibration plot, comparative statics of the outcome probabilities in each
//! covariate, profile log-likelihoods of the free structural scalars, and the bootstrap
//! distributions of the free parameters.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (`assets/fonts/DejaVuSans.ttf`,
//! registered once as plotters' `sans-serif`), so figures do not depend on system fonts.
//! Axis labels name parameters as everywhere else (the names of [`crate::problem::params`]) and say
//! their units.
//!
//! Intervals: predicted shares and comparative statics get 95% bands from the bootstrap draws
//! when there are any (percentiles over at most [`MAX_BAND_DRAWS`] converged draws, the first
//! by replicate index), else comparative statics use the delta method on the internal-scale
//! covariance and shares have no band.

use crate::analyses::bootstrap::BootstrapResults;
use crate::analyses::profile::{Profile, HALF_CHI2_95};
use crate::analyses::quantile_sorted;
use crate::error::{Error, Result};
use crate::estimate::project_fit::FitReport;
use crate::model::Protocol;
use crate::problem::data::Outcome;
use crate::problem::likelihood::{Design, Model};
use crate::problem::params::Role;
use crate::problem::project::Project;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// At most this many bootstrap draws feed the bands of a figure.
pub const MAX_BAND_DRAWS: usize = 500;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font as `sans-serif` (once per process).
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let ok = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok();
        assert!(ok, "the embedded DejaVu Sans font is valid");
    });
}

/// Outcome colours: ratified blue, renegotiated orange, failed red.
fn outcome_color(y: usize) -> RGBColor {
    [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(214, 39, 40),
    ][y]
}

const GREY: RGBColor = RGBColor(160, 160, 160);

/// A parameter's axis label: its name, what it is, and its unit.
pub fn parameter_label(model: &Model, name: &str) -> String {
    let role = model
        .space
        .index(name)
        .map(|j| model.space.parameters[j].role.clone());
    match role {
        Some(Role::HomeLocation(c)) if c == "const" => {
            format!("{name} (home threshold location μ, share of the surplus)")
        }
        Some(Role::HomeLocation(c)) => {
            format!("{name} (shift of μ per unit of {c}, share of the surplus)")
        }
        Some(Role::HomeScale) => format!("{name} (home threshold scale s, share of the surplus)"),
        Some(Role::ForeignLocation(_)) => {
            format!("{name} (foreign threshold location, share of the surplus)")
        }
        Some(Role::ForeignScale) => {
            format!("{name} (foreign threshold scale, share of the surplus)")
        }
        Some(Role::ProposerIndex(_)) => format!("{name} (logit of P(home proposes))"),
        Some(Role::Rho) => format!("{name} (ρ, probability of renegotiation after a rejection)"),
        Some(Role::DeltaRatifier) => format!("{name} (δ_R, ratifier's discount on renegotiation)"),
        Some(Role::DeltaProposer) => format!("{name} (δ_P, proposer's discount on renegotiation)"),
        Some(Role::PollWeight) => format!("{name} (w_poll, strategic weight of a poll, 0–1)"),
        None => name.to_string(),
    }
}

type DrawResult = std::result::Result<(), String>;

/// A figure that can be drawn on any plotters backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws a figure to `<dir>/<stem>.png` and `.svg` (each written to a temporary file, then
/// renamed into place).
fn save<F: Figure>(figure: &F, dir: &Path, stem: &str, size: (u32, u32)) -> Result<Vec<PathBuf>> {
    register_font();
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let failed =
        |path: &Path, m: String| Error::Results(format!("cannot draw `{}`: {m}", path.display()));
    {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(&png, err(e)))?;
        figure.draw(&root).map_err(|m| failed(&png, m))?;
        root.present().map_err(|e| failed(&png, err(e)))?;
    }
    std::fs::rename(&tmp, &png).map_err(|e| Error::io("write", &png, e))?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(&svg, err(e)))?;
        figure.draw(&root).map_err(|m| failed(&svg, m))?;
        root.present().map_err(|e| failed(&svg, err(e)))?;
    }
    crate::io::write_text(&svg, &text)?;
    Ok(vec![png, svg])
}

// ---------------------------------------------------------------------------------------------
// Data for the figures.

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

fn percentile_band(mut values: Vec<f64>) -> Option<(f64, f64)> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    quantile_sorted(&values, 0.025).zip(quantile_sorted(&values, 0.975))
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
            project.data.text_columns.keys().cloned().collect::<Vec<_>>().join(", ")
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

/// Observed and predicted outcome shares of one group.
#[derive(Debug, Clone)]
pub struct GroupShares {
    /// Group label.
    pub label: String,
    /// Weighted number of episodes.
    pub n: f64,
    /// Observed shares `[ratified, renegotiated, failed]`.
    pub observed: [f64; 3],
    /// Mean predicted probabilities.
    pub predicted: [f64; 3],
    /// 95% bootstrap intervals of the predicted shares.
    pub interval: Option<[(f64, f64); 3]>,
}

fn group_means(
    model: &Model,
    labels: &[String],
    index: &BTreeMap<&str, usize>,
    probabilities: &[[f64; 3]],
    weights: &[f64],
) -> Vec<[f64; 3]> {
    let mut sums = vec![[0.0; 3]; index.len()];
    let mut w = vec![0.0; index.len()];
    for (i, &g) in model.row_design.iter().enumerate() {
        let k = index[labels[i].as_str()];
        w[k] += weights[i];
        for y in 0..3 {
            sums[k][y] += weights[i] * probabilities[g][y];
        }
    }
    sums.iter()
        .zip(&w)
        .map(|(s, w)| [s[0] / w, s[1] / w, s[2] / w])
        .collect()
}

/// Observed vs predicted shares by group.
pub fn shares_by_group(
    project: &Project,
    model: &Model,
    theta: &[f64],
    bootstrap: Option<&BootstrapResults>,
    column: &str,
) -> Result<Vec<GroupShares>> {
    let labels = group_labels(project, model, column)?;
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &labels {
        let next = index.len();
        index.entry(l.as_str()).or_insert(next);
    }
    // Order groups by name.
    let names: Vec<&str> = index.keys().copied().collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(k, n)| (*n, k)).collect();
    let weights = &project.data.weight;
    let predicted = group_means(
        model,
        &labels,
        &index,
        &model.design_probabilities(theta),
        weights,
    );
    let draws = band_draws(bootstrap);
    let per_draw: Vec<Vec<[f64; 3]>> = draws
        .par_iter()
        .map(|d| {
            group_means(
                model,
                &labels,
                &index,
                &model.design_probabilities(d),
                weights,
            )
        })
        .collect();
    let mut out = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let mut observed = [0.0; 3];
        let mut n = 0.0;
        for (i, l) in labels.iter().enumerate() {
            if l == name {
                n += weights[i];
                observed[project.data.outcome[i].index()] += weights[i];
            }
        }
        for o in &mut observed {
            *o /= n;
        }
        let interval = (!per_draw.is_empty()).then(|| {
            let band = |y: usize| {
                percentile_band(per_draw.iter().map(|p| p[k][y]).collect())
                    .unwrap_or((f64::NAN, f64::NAN))
            };
            [band(0), band(1), band(2)]
        });
        out.push(GroupShares {
            label: name.to_string(),
            n,
            observed,
            predicted: predicted[k],
            interval,
        });
    }
    Ok(out)
}

/// One calibration bin.
#[derive(Debug, Clone)]
pub struct CalibrationBin {
    /// Mean predicted probability.
    pub predicted: f64,
    /// Observed frequency.
    pub observed: f64,
    /// Weighted number of (episode, outcome) pairs.
    pub n: f64,
    /// 95% Wilson interval of the observed frequency.
    pub interval: (f64, f64),
}

/// Calibration: every (episode, outcome) pair of the outcomes that occur, binned into
/// `bins` groups of equal size by predicted probability.
pub fn calibration(
    project: &Project,
    model: &Model,
    theta: &[f64],
    bins: usize,
) -> Vec<CalibrationBin> {
    let p = model.design_probabilities(theta);
    let data = &project.data;
    let present: Vec<usize> = (0..3)
        .filter(|&y| data.outcome.iter().any(|o| o.index() == y))
        .collect();
    let mut pairs: Vec<(f64, f64, f64)> = Vec::new();
    for (i, &g) in model.row_design.iter().enumerate() {
        for &y in &present {
            if y == Outcome::Renegotiated.index() && !data.renegotiation[i] {
                continue;
            }
            pairs.push((
                p[g][y],
                (data.outcome[i].index() == y) as u8 as f64,
                data.weight[i],
            ));
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bins = bins.clamp(1, pairs.len().max(1));
    let mut out = Vec::new();
    for b in 0..bins {
        let chunk = &pairs[b * pairs.len() / bins..(b + 1) * pairs.len() / bins];
        let n: f64 = chunk.iter().map(|c| c.2).sum();
        if n <= 0.0 {
            continue;
        }
        let predicted = chunk.iter().map(|c| c.0 * c.2).sum::<f64>() / n;
        let observed = chunk.iter().map(|c| c.1 * c.2).sum::<f64>() / n;
        out.push(CalibrationBin {
            predicted,
            observed,
            n,
            interval: wilson(observed, n),
        });
    }
    out
}

fn wilson(p: f64, n: f64) -> (f64, f64) {
    let z = 1.959_963_984_540_054f64;
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / d;
    ((c - h).max(0.0), (c + h).min(1.0))
}

/// Predicted outcome probabilities along one covariate, other covariates at their means.
#[derive(Debug, Clone)]
pub struct Statics {
    /// The covariate.
    pub covariate: String,
    /// Its coefficient's name.
    pub parameter: String,
    /// The protocol held fixed.
    pub protocol: Protocol,
    /// Grid values.
    pub x: Vec<f64>,
    /// Probabilities at each grid value.
    pub p: Vec<[f64; 3]>,
    /// 95% bands per outcome.
    pub band: Option<Vec<[(f64, f64); 3]>>,
    /// Where the band comes from.
    pub band_source: &'static str,
}

/// Comparative statics for every `[home] location` covariate (not `const`) that varies.
pub fn comparative_statics(
    project: &Project,
    model: &Model,
    report: &FitReport,
    bootstrap: Option<&BootstrapResults>,
) -> Result<Vec<Statics>> {
    let spec = &project.spec.spec;
    let data = &project.data;
    let wsum: f64 = data.weight.iter().sum();
    let mean = |c: &str| -> f64 {
        if c == "const" {
            1.0
        } else {
            data.covariates[c]
                .iter()
                .zip(&data.weight)
                .map(|(v, w)| v * w)
                .sum::<f64>()
                / wsum
        }
    };
    // The most common protocol and foreign constraint.
    let mut counts: BTreeMap<(bool, bool, bool), f64> = BTreeMap::new();
    for i in 0..data.len() {
        *counts
            .entry((
                data.poll[i],
                data.renegotiation[i],
                data.foreign_constraint[i],
            ))
            .or_default() += data.weight[i];
    }
    let (&(poll, renegotiation, foreign_constraint), _) = counts
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("rows");
    let protocol = Protocol {
        poll,
        renegotiation,
    };
    let foreign: Vec<f64> = spec
        .foreign
        .as_ref()
        .map(|f| f.location.iter().map(|c| mean(c)).collect())
        .unwrap_or_default();
    let proposer: Vec<f64> = spec
        .proposer
        .as_ref()
        .map(|p| p.index.iter().map(|c| mean(c)).collect())
        .unwrap_or_default();
    let theta = report.estimates.values();
    let draws = band_draws(bootstrap);
    let mut out = Vec::new();
    for (k, c) in spec.home.location.iter().enumerate() {
        if c == "const" {
            continue;
        }
        let values = &data.covariates[c];
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
            continue;
        }
        let x: Vec<f64> = (0..41).map(|i| lo + (hi - lo) * i as f64 / 40.0).collect();
        let rows: Vec<Design> = x
            .iter()
            .map(|&v| Design {
                home: spec
                    .home
                    .location
                    .iter()
                    .enumerate()
                    .map(|(j, c2)| if j == k { v } else { mean(c2) })
                    .collect(),
                foreign: foreign.clone(),
                proposer: proposer.clone(),
                protocol,
                foreign_constraint,
            })
            .collect();
        let grid = Model::with_designs(&project.spec, data, Some(rows))?;
        let at = |theta: &[f64]| -> Vec<[f64; 3]> {
            let p = grid.design_probabilities(theta);
            grid.row_design.iter().map(|&g| p[g]).collect()
        };
        let p = at(&theta);
        let (band, band_source) = if !draws.is_empty() {
            let per: Vec<Vec<[f64; 3]>> = draws.par_iter().map(|d| at(d)).collect();
            let band = (0..x.len())
                .map(|i| {
                    let b = |y: usize| {
                        percentile_band(per.iter().map(|p| p[i][y]).collect())
                            .unwrap_or((f64::NAN, f64::NAN))
                    };
                    [b(0), b(1), b(2)]
                })
                .collect();
            (Some(band), "bootstrap percentile")
        } else if let Some(cov) = &report.estimates.covariance {
            (
                Some(delta_band(
                    &grid,
                    model,
                    &report.estimates.internal,
                    cov,
                    &at,
                    &p,
                )),
                "delta method",
            )
        } else {
            (None, "none")
        };
        out.push(Statics {
            covariate: c.clone(),
            parameter: format!("home:{c}"),
            protocol,
            x,
            p,
            band,
            band_source,
        });
    }
    Ok(out)
}

/// Delta-method 95% bands: `p ± 1.96 √(J Σ Jᵀ)` with `J` the Jacobian in the internal free
/// parameters (central differences), clamped to [0, 1].
fn delta_band(
    _grid: &Model,
    model: &Model,
    internal: &[f64],
    cov: &[Vec<f64>],
    at: &dyn Fn(&[f64]) -> Vec<[f64; 3]>,
    p: &[[f64; 3]],
) -> Vec<[(f64, f64); 3]> {
    let k = internal.len();
    let h = 1e-5;
    let jac: Vec<Vec<[f64; 3]>> = (0..k)
        .map(|j| {
            let mut up = internal.to_vec();
            up[j] += h;
            let mut dn = internal.to_vec();
            dn[j] -= h;
            let (pu, pd) = (
                at(&model.space.to_natural(&up)),
                at(&model.space.to_natural(&dn)),
            );
            pu.iter()
                .zip(&pd)
                .map(|(a, b)| {
                    [
                        (a[0] - b[0]) / (2.0 * h),
                        (a[1] - b[1]) / (2.0 * h),
                        (a[2] - b[2]) / (2.0 * h),
                    ]
                })
                .collect()
        })
        .collect();
    (0..p.len())
        .map(|i| {
            let band = |y: usize| {
                let mut v = 0.0;
                for a in 0..k {
                    for b in 0..k {
                        v += jac[a][i][y] * cov[a][b] * jac[b][i][y];
                    }
                }
                let half = 1.959_963_984_540_054 * v.max(0.0).sqrt();
                ((p[i][y] - half).max(0.0), (p[i][y] + half).min(1.0))
            };
            [band(0), band(1), band(2)]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Drawing.

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

fn outcomes_present(project: &Project) -> Vec<usize> {
    (0..3)
        .filter(|&y| project.data.outcome.iter().any(|o| o.index() == y))
        .collect()
}

struct SharesFigure<'a> {
    groups: &'a [GroupShares],
    column: &'a str,
    outcomes: Vec<usize>,
}

impl Figure for SharesFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let title = format!("Observed and predicted outcome shares by {}", self.column);
        let root = root.titled(&title, font(22)).map_err(err)?;
        let (strip, body) = root.split_vertically(34);
        // Legend: observed (grey), predicted (outcome colour) with its interval.
        let any_interval = self.groups.iter().any(|g| g.interval.is_some());
        let mut x = 20;
        strip
            .draw(&Rectangle::new([(x, 10), (x + 22, 24)], GREY.filled()))
            .map_err(err)?;
        strip
            .draw(&Text::new("observed share", (x + 30, 10), font(14)))
            .map_err(err)?;
        x += 190;
        for &y in &self.outcomes {
            strip
                .draw(&Rectangle::new(
                    [(x, 10), (x + 10, 24)],
                    outcome_color(y).mix(0.75).filled(),
                ))
                .map_err(err)?;
            x += 12;
        }
        let predicted = if any_interval {
            "predicted share (mean of P_i(y) over the group's episodes), with its 95% bootstrap percentile interval"
        } else {
            "predicted share (mean of P_i(y) over the group's episodes)"
        };
        strip
            .draw(&Text::new(predicted, (x + 8, 10), font(14)))
            .map_err(err)?;
        let panels = body.split_evenly((1, self.outcomes.len()));
        let n = self.groups.len();
        let labels: Vec<String> = self
            .groups
            .iter()
            .map(|g| format!("{} (n = {})", g.label, trim_number(g.n)))
            .collect();
        for (panel, &y) in panels.iter().zip(&self.outcomes) {
            let first = y == self.outcomes[0];
            let max = self
                .groups
                .iter()
                .flat_map(|g| {
                    [
                        g.observed[y],
                        g.predicted[y],
                        g.interval.map(|i| i[y].1).unwrap_or(0.0),
                    ]
                })
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max);
            let xmax = if max > 0.5 {
                1.0
            } else {
                (max * 1.15).max(0.02)
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(Outcome::ALL[y].label(), font(18))
                .margin(8)
                .x_label_area_size(45)
                .y_label_area_size(if first { 230 } else { 10 })
                .build_cartesian_2d(0.0..xmax, -0.5..n as f64 - 0.5)
                .map_err(err)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .disable_y_mesh()
                .x_labels(6)
                .y_labels(n.max(2))
                .y_label_formatter(&|_| String::new())
                .x_desc("share of episodes")
                .label_style(font(13))
                .axis_desc_style(font(15))
                .draw()
                .map_err(err)?;
            if first {
                // Group labels, drawn at the centre of each group's slot.
                let base = panel.get_base_pixel();
                for (i, label) in labels.iter().enumerate() {
                    let (px, py) = chart.backend_coord(&(0.0, i as f64));
                    let style = font(13).pos(Pos::new(HPos::Right, VPos::Center));
                    panel
                        .draw(&Text::new(
                            label.clone(),
                            (px - base.0 - 8, py - base.1),
                            style,
                        ))
                        .map_err(err)?;
                }
            }
            let color = outcome_color(y);
            chart
                .draw_series(self.groups.iter().enumerate().map(|(i, g)| {
                    Rectangle::new(
                        [(0.0, i as f64 + 0.02), (g.observed[y], i as f64 + 0.36)],
                        GREY.filled(),
                    )
                }))
                .map_err(err)?;
            chart
                .draw_series(self.groups.iter().enumerate().map(|(i, g)| {
                    Rectangle::new(
                        [(0.0, i as f64 - 0.36), (g.predicted[y], i as f64 - 0.02)],
                        color.mix(0.75).filled(),
                    )
                }))
                .map_err(err)?;
            for (i, g) in self.groups.iter().enumerate() {
                if let Some(iv) = g.interval {
                    let (a, b) = iv[y];
                    let yc = i as f64 - 0.19;
                    chart
                        .draw_series([
                            PathElement::new(vec![(a, yc), (b, yc)], BLACK.stroke_width(2)),
                            PathElement::new(
                                vec![(a, yc - 0.08), (a, yc + 0.08)],
                                BLACK.stroke_width(2),
                            ),
                            PathElement::new(
                                vec![(b, yc - 0.08), (b, yc + 0.08)],
                                BLACK.stroke_width(2),
                            ),
                        ])
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    }
}

fn trim_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

struct CalibrationFigure<'a> {
    bins: &'a [CalibrationBin],
}

impl Figure for CalibrationFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Calibration: predicted probability vs observed frequency",
                font(22),
            )
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(65)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("predicted probability P_i(y) (bin mean, all episode × outcome pairs)")
            .y_desc("observed frequency of y")
            .label_style(font(14))
            .axis_desc_style(font(16))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                8,
                6,
                GREY.stroke_width(2),
            ))
            .map_err(err)?
            .label("perfect calibration")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY.stroke_width(2)));
        let blue = outcome_color(0);
        for b in self.bins {
            chart
                .draw_series([PathElement::new(
                    vec![(b.predicted, b.interval.0), (b.predicted, b.interval.1)],
                    blue.stroke_width(2),
                )])
                .map_err(err)?;
        }
        chart
            .draw_series(
                self.bins
                    .iter()
                    .map(|b| Circle::new((b.predicted, b.observed), 5, blue.filled())),
            )
            .map_err(err)?
            .label("bin (equal counts), 95% Wilson interval")
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, blue.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

struct StaticsFigure<'a> {
    statics: &'a Statics,
    estimate: f64,
    outcomes: Vec<usize>,
}

impl Figure for StaticsFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let s = self.statics;
        let (lo, hi) = (s.x[0], s.x[s.x.len() - 1]);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Predicted outcome probabilities as {} varies ({} = {:.3})",
                    s.covariate, s.parameter, self.estimate
                ),
                font(20),
            )
            .margin(15)
            .x_label_area_size(70)
            .y_label_area_size(65)
            .build_cartesian_2d(lo..hi, 0.0..1.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc(format!(
                "{} (covariate, data units); other covariates at their means, protocol {}",
                s.covariate,
                s.protocol.label()
            ))
            .y_desc("predicted probability")
            .label_style(font(14))
            .axis_desc_style(font(16))
            .draw()
            .map_err(err)?;
        for &y in &self.outcomes {
            let color = outcome_color(y);
            if let Some(band) = &s.band {
                let mut poly: Vec<(f64, f64)> =
                    s.x.iter().zip(band).map(|(x, b)| (*x, b[y].0)).collect();
                poly.extend(s.x.iter().zip(band).rev().map(|(x, b)| (*x, b[y].1)));
                poly.retain(|p| p.1.is_finite());
                chart
                    .draw_series([Polygon::new(poly, color.mix(0.18).filled())])
                    .map_err(err)?;
            }
            let label = match s.band_source {
                "none" => Outcome::ALL[y].label().to_string(),
                src => format!("{} (95% band: {src})", Outcome::ALL[y].label()),
            };
            chart
                .draw_series(LineSeries::new(
                    s.x.iter().zip(&s.p).map(|(x, p)| (*x, p[y])),
                    color.stroke_width(3),
                ))
                .map_err(err)?
                .label(label)
                .legend(move |(x, yy)| {
                    PathElement::new(vec![(x, yy), (x + 20, yy)], color.stroke_width(3))
                });
        }
        // The legend goes where the curves leave the most room: the candidate box (40% of
        // the width, 0.2 of the height) that the fewest curve points fall into.
        let corners = [
            (SeriesLabelPosition::UpperRight, 0.6, 0.8),
            (SeriesLabelPosition::UpperLeft, 0.0, 0.8),
            (SeriesLabelPosition::LowerRight, 0.6, 0.0),
            (SeriesLabelPosition::LowerLeft, 0.0, 0.0),
            (SeriesLabelPosition::MiddleRight, 0.6, 0.4),
            (SeriesLabelPosition::MiddleLeft, 0.0, 0.4),
        ];
        let crowding = |fx: f64, fy: f64| {
            s.x.iter()
                .zip(&s.p)
                .flat_map(|(x, p)| self.outcomes.iter().map(move |&y| (*x, p[y])))
                .filter(|&(x, y)| {
                    let u = (x - lo) / (hi - lo);
                    (fx..fx + 0.4).contains(&u) && (fy..fy + 0.2).contains(&y)
                })
                .count()
        };
        let position = corners
            .into_iter()
            .min_by_key(|&(_, fx, fy)| crowding(fx, fy))
            .map(|c| c.0)
            .unwrap_or(SeriesLabelPosition::UpperRight);
        chart
            .configure_series_labels()
            .position(position)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

struct ProfileFigure<'a> {
    profile: &'a Profile,
    label: String,
}

impl Figure for ProfileFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let p = self.profile;
        let pts: Vec<(f64, f64)> = p
            .points
            .iter()
            .filter(|q| q.loglik.is_finite())
            .map(|q| (q.value, q.loglik))
            .collect();
        let cut = p.max_loglik - HALF_CHI2_95;
        let lo_x = pts.iter().map(|q| q.0).fold(f64::INFINITY, f64::min);
        let hi_x = pts.iter().map(|q| q.0).fold(f64::NEG_INFINITY, f64::max);
        let min_y = pts
            .iter()
            .map(|q| q.1)
            .fold(f64::INFINITY, f64::min)
            .max(p.max_loglik - 12.0)
            .min(cut - 1.0);
        let max_y = p.max_loglik + 0.08 * (p.max_loglik - min_y);
        let (lo_x, hi_x) = if hi_x > lo_x {
            (lo_x, hi_x)
        } else {
            (lo_x - 1.0, hi_x + 1.0)
        };
        let interval = match p.interval {
            (Some(a), Some(b)) => format!("95% profile interval [{a:.3}, {b:.3}]"),
            (Some(a), None) => format!("95% profile interval [{a:.3}, beyond the grid]"),
            (None, Some(b)) => format!("95% profile interval [beyond the grid, {b:.3}]"),
            (None, None) => "95% profile interval beyond the grid on both sides".into(),
        };
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Profile log-likelihood of {} (estimate {:.4}; {interval})",
                    p.name, p.estimate
                ),
                font(18),
            )
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(75)
            .build_cartesian_2d(lo_x..hi_x, min_y..max_y)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc(self.label.as_str())
            .y_desc("profile log-likelihood")
            .label_style(font(14))
            .axis_desc_style(font(16))
            .draw()
            .map_err(err)?;
        let clipped: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x, y.max(min_y))).collect();
        let blue = outcome_color(0);
        chart
            .draw_series(LineSeries::new(clipped.clone(), blue.stroke_width(2)))
            .map_err(err)?
            .label("max over the other parameters")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2))
            });
        chart
            .draw_series(p.points.iter().filter(|q| q.loglik.is_finite()).map(|q| {
                let c = if q.converged { blue } else { outcome_color(2) };
                Circle::new((q.value, q.loglik.max(min_y)), 4, c.filled())
            }))
            .map_err(err)?;
        let red = outcome_color(2);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(lo_x, cut), (hi_x, cut)],
                8,
                6,
                red.stroke_width(2),
            ))
            .map_err(err)?
            .label("max log-likelihood − 1.92 (χ²₁ 95% cutoff)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
        chart
            .draw_series([PathElement::new(
                vec![(p.estimate, min_y), (p.estimate, max_y)],
                BLACK.stroke_width(1),
            )])
            .map_err(err)?
            .label("estimate")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        if p.points.iter().any(|q| !q.converged) {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(err)?
                .label("grid fit not converged")
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, red.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// One panel of the bootstrap figure: axis label, estimate, draws, percentile interval.
type Panel = (String, f64, Vec<f64>, Option<(f64, f64)>);

struct BootstrapFigure<'a> {
    panels: Vec<Panel>,
    caption: &'a str,
}

impl Figure for BootstrapFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let root = root.titled(self.caption, font(20)).map_err(err)?;
        let cols = self.panels.len().clamp(1, 3);
        let rows = self.panels.len().div_ceil(cols).max(1);
        let areas = root.split_evenly((rows, cols));
        let blue = outcome_color(0);
        let red = outcome_color(2);
        for (area, (label, estimate, values, interval)) in areas.iter().zip(&self.panels) {
            // The range shown: the 0.5%–99.5% quantiles of the draws (and the estimate and
            // interval), so that a few diverging replicates do not squash the histogram.
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            // Order statistics (no interpolation, which would put a range end between a far-off
            // draw and the next one).
            let q = |p: f64| {
                sorted
                    .get(((sorted.len().max(1) - 1) as f64 * p).round() as usize)
                    .copied()
                    .unwrap_or(*estimate)
            };
            // Trim only when a few draws run far off: the full range is more than three
            // times the range of the central 98%.
            let (min, max) = (q(0.0), q(1.0));
            let (c_lo, c_hi) = (q(0.01), q(0.99));
            let trim = max - min > 3.0 * (c_hi - c_lo);
            let mut lo = if trim { c_lo } else { min }.min(*estimate);
            let mut hi = if trim { c_hi } else { max }.max(*estimate);
            if let Some((a, b)) = interval {
                lo = lo.min(*a);
                hi = hi.max(*b);
            }
            let (lo, hi) = if hi > lo {
                (lo, hi)
            } else {
                (lo - 0.5, hi + 0.5)
            };
            let bins = 30usize;
            let width = (hi - lo) / bins as f64;
            let mut counts = vec![0usize; bins];
            let mut outside = 0usize;
            for v in values {
                if *v < lo || *v > hi {
                    outside += 1;
                } else {
                    counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
                }
            }
            let top = (*counts.iter().max().unwrap_or(&1) as f64 * 1.1).ceil() as i32 + 1;
            let mut builder = ChartBuilder::on(area);
            if outside > 0 {
                builder.caption(
                    format!("{outside} draw(s) outside the range shown"),
                    font(13),
                );
            }
            let mut chart = builder
                .margin(10)
                .x_label_area_size(55)
                .y_label_area_size(55)
                .build_cartesian_2d(lo - 0.02 * (hi - lo)..hi + 0.02 * (hi - lo), 0..top)
                .map_err(err)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .x_desc(label.as_str())
                .y_desc("replicates")
                .x_labels(5)
                .y_labels(6)
                .label_style(font(12))
                .axis_desc_style(font(13))
                .draw()
                .map_err(err)?;
            chart
                .draw_series(counts.iter().enumerate().map(|(b, &c)| {
                    let x0 = lo + b as f64 * width;
                    Rectangle::new([(x0, 0), (x0 + width, c as i32)], blue.mix(0.6).filled())
                }))
                .map_err(err)?;
            chart
                .draw_series([PathElement::new(
                    vec![(*estimate, 0), (*estimate, top)],
                    BLACK.stroke_width(2),
                )])
                .map_err(err)?;
            if let Some((a, b)) = interval {
                for x in [*a, *b] {
                    chart
                        .draw_series(DashedLineSeries::new(
                            vec![(x, 0), (x, top)],
                            6,
                            4,
                            red.stroke_width(2),
                        ))
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    }
}

/// Everything the figures need.
pub struct FigureInputs<'a> {
    /// Spec and data.
    pub project: &'a Project,
    /// The model.
    pub model: &'a Model,
    /// The fit.
    pub report: &'a FitReport,
    /// Bootstrap draws, if any.
    pub bootstrap: Option<&'a BootstrapResults>,
    /// Profiles of the free structural scalars.
    pub profiles: &'a [Profile],
    /// Group column of the shares figure (`protocol` groups by protocol).
    pub group: &'a str,
}

/// Draws every figure into `dir`; returns the files written.
pub fn write_all(dir: &Path, inputs: &FigureInputs) -> Result<Vec<PathBuf>> {
    let FigureInputs {
        project,
        model,
        report,
        bootstrap,
        profiles,
        group,
    } = *inputs;
    let theta = report.estimates.values();
    let outcomes = outcomes_present(project);
    let mut written = Vec::new();

    let groups = shares_by_group(project, model, &theta, bootstrap, group)?;
    let height = (160 + 70 * groups.len() as u32).clamp(420, 1400);
    written.extend(save(
        &SharesFigure {
            groups: &groups,
            column: group,
            outcomes: outcomes.clone(),
        },
        dir,
        "shares",
        (1400, height),
    )?);

    let bins = calibration(project, model, &theta, 10);
    written.extend(save(
        &CalibrationFigure { bins: &bins },
        dir,
        "calibration",
        (900, 800),
    )?);

    for s in comparative_statics(project, model, report, bootstrap)? {
        let estimate = model
            .space
            .index(&s.parameter)
            .map(|j| theta[j])
            .unwrap_or(f64::NAN);
        written.extend(save(
            &StaticsFigure {
                statics: &s,
                estimate,
                outcomes: outcomes.clone(),
            },
            dir,
            &format!("statics_{}", file_stem(&s.covariate)),
            (1100, 700),
        )?);
    }

    for p in profiles {
        let label = parameter_label(model, &p.name);
        written.extend(save(
            &ProfileFigure { profile: p, label },
            dir,
            &format!("profile_{}", file_stem(&p.name)),
            (1000, 650),
        )?);
    }

    if let Some(b) = bootstrap.filter(|b| b.summary.is_some()) {
        let summary = b.summary.as_ref().expect("checked");
        let panels: Vec<Panel> = model
            .space
            .free()
            .into_iter()
            .map(|j| {
                let values: Vec<f64> = b
                    .converged_draws()
                    .map(|d| d.values[j])
                    .filter(|v| v.is_finite())
                    .collect();
                (
                    parameter_label(model, &model.space.parameters[j].name),
                    theta[j],
                    values,
                    summary.parameters[j].interval,
                )
            })
            .collect();
        if !panels.is_empty() {
            let caption = format!(
                "Bootstrap distributions ({} of {} replicates converged): estimate solid, 95% percentile interval dashed",
                summary.converged, summary.replicates
            );
            let cols = panels.len().clamp(1, 3) as u32;
            let rows = panels.len().div_ceil(3) as u32;
            written.extend(save(
                &BootstrapFigure {
                    panels,
                    caption: &caption,
                },
                dir,
                "bootstrap_distributions",
                (520 * cols.max(2), 60 + 380 * rows),
            )?);
        }
    }
    Ok(written)
}

/// A parameter or column name as a file-name part (`home:scale` → `home_scale`).
pub fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
