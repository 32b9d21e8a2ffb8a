//! `counterfactual_forest.{png,svg}`: the forest plot of counterfactual effects.
//!
//! One panel per quantity (the outcome probabilities, the home share, the strategic share),
//! one row per scenario: the dot is the scenario's difference from its reference (the baseline
//! unless the row says `vs …`) over all rows, the bar its interval (bootstrap percentile where
//! available, else delta method; the note under the title says which), and the vertical line
//! is zero. A bar that crosses zero is an effect the data cannot tell from none.

use super::style::{font, register_font, DrawResult, Figure, FAMILY, FOREST_POINT};
use crate::analyses::counterfactual::{Counterfactual, Quantity, BASELINE};
use crate::error::Result;
use crate::report::counterfactual_tables::interval_note;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// The file-name stem of the plot.
pub const STEM: &str = "counterfactual_forest";
/// Font size of the scenario names.
const LABEL_SIZE: u32 = 15;
/// Width of one quantity's panel, pixels.
const PANEL_WIDTH: u32 = 250;

/// One row of the plot: a scenario's label and, per quantity, `(difference, interval)`.
struct Row {
    label: String,
    effects: Vec<(f64, Option<(f64, f64)>)>,
}

fn rows(result: &Counterfactual) -> Vec<Row> {
    result
        .scenarios
        .iter()
        .map(|s| Row {
            label: if s.compare_to == BASELINE {
                s.name.clone()
            } else {
                format!("{} (vs {})", s.name, s.compare_to)
            },
            effects: s
                .overall()
                .quantities
                .iter()
                .map(|r| (r.diff.estimate, r.diff.interval()))
                .collect(),
        })
        .collect()
}

/// The width of the scenario-name column: the longest name in the embedded font, plus room
/// for the tick marks.
fn label_width(rows: &[Row]) -> u32 {
    let font = (FAMILY, LABEL_SIZE).into_font();
    let longest = rows
        .iter()
        .map(|r| {
            font.box_size(&r.label)
                .map(|(w, _)| w)
                .unwrap_or(8 * r.label.chars().count() as u32)
        })
        .max()
        .unwrap_or(0);
    (longest + 24).clamp(120, 700)
}

/// The plot's size in pixels for `n` scenarios and a name column of width `labels`.
fn size(n: usize, labels: u32) -> (u32, u32) {
    (labels + 5 * PANEL_WIDTH, 150 + 48 * n.max(1) as u32)
}

/// The x range of a panel: the effects, their intervals and zero, padded.
fn x_range(rows: &[Row], q: usize) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for r in rows {
        let (v, ci) = r.effects[q];
        for x in [Some(v), ci.map(|c| c.0), ci.map(|c| c.1)]
            .into_iter()
            .flatten()
            .filter(|x| x.is_finite())
        {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    let span = (hi - lo).max(0.01);
    (lo - 0.08 * span, hi + 0.08 * span)
}

/// The forest plot of a counterfactual result.
pub struct ForestFigure<'a> {
    result: &'a Counterfactual,
    rows: Vec<Row>,
    label_width: u32,
}

impl<'a> ForestFigure<'a> {
    /// The plot of `result`.
    pub fn new(result: &'a Counterfactual) -> ForestFigure<'a> {
        register_font();
        let rows = rows(result);
        ForestFigure {
            result,
            label_width: label_width(&rows),
            rows,
        }
    }

    /// Size in pixels.
    pub fn size(&self) -> (u32, u32) {
        size(self.rows.len(), self.label_width)
    }
}

impl Figure for ForestFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
        let (rows, label_width) = (&self.rows, self.label_width);
        let n = rows.len() as i32;
        let (top, body) = root.split_vertically(70);
        top.draw(&Text::new(
            format!(
                "Counterfactual effects: {} (all rows, difference from the reference)",
                self.result.provenance.spec_path
            ),
            (12, 10),
            font(20),
        ))
        .map_err(e)?;
        let note = interval_note(self.result);
        let note = note.split(". ").next().unwrap_or("").replace('`', "");
        top.draw(&Text::new(
            note,
            (12, 40),
            (FAMILY, 14).into_font().color(&BLACK.mix(0.7)),
        ))
        .map_err(e)?;
        let (first, rest) = body.split_horizontally(label_width + PANEL_WIDTH);
        let mut areas = vec![first];
        areas.extend(rest.split_evenly((1, 4)));
        let point = FOREST_POINT;
        for (k, (area, q)) in areas.iter().zip(Quantity::ALL).enumerate() {
            let (x0, x1) = x_range(rows, k);
            let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
            let mut chart = ChartBuilder::on(area)
                .caption(q.label(), (FAMILY, 17))
                .margin_top(5)
                .margin_right(14)
                .x_label_area_size(40)
                .y_label_area_size(if k == 0 { label_width } else { 0 })
                .build_cartesian_2d(x0..x1, -1..n)
                .map_err(e)?;
            let formatter = move |y: &i32| {
                if *y >= 0 && *y < n {
                    labels[(n - 1 - *y) as usize].clone()
                } else {
                    String::new()
                }
            };
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(rows.len() + 2)
                .y_label_formatter(&formatter)
                .y_label_style((FAMILY, LABEL_SIZE))
                .x_labels(5)
                .x_label_formatter(&|x: &f64| {
                    format!("{x:+.2}")
                        .replace("+0.00", "0")
                        .replace("-0.00", "0")
                })
                .x_label_style((FAMILY, 13))
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.08))
                .draw()
                .map_err(e)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, -1), (0.0, n)],
                    BLACK.mix(0.6).stroke_width(1),
                )))
                .map_err(e)?;
            for (j, r) in rows.iter().enumerate() {
                let y = n - 1 - j as i32;
                let (v, ci) = r.effects[k];
                if !v.is_finite() {
                    continue;
                }
                if let Some((a, b)) = ci.filter(|c| c.0.is_finite() && c.1.is_finite()) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(a, y), (b, y)],
                            point.mix(0.8).stroke_width(3),
                        )))
                        .map_err(e)?;
                }
                chart
                    .draw_series(std::iter::once(Circle::new((v, y), 6, point.filled())))
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}

/// Draws the forest plot of `result` into `<dir>/counterfactual_forest.{png,svg}`.
pub fn write(dir: &Path, result: &Counterfactual) -> Result<Vec<PathBuf>> {
    let figure = ForestFigure::new(result);
    super::save(&figure, dir, STEM, figure.size())
}
