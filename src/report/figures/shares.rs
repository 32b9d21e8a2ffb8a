//! `shares.{png,svg}`: observed vs predicted outcome shares by group.
//!
//! One panel per outcome that occurs; one row per group (labelled with its weighted number of
//! episodes). In each row the grey bar is the observed share of the group's episodes with that
//! outcome and the coloured bar the predicted share (the mean of `P_i(y)` over the group's
//! episodes), with its 95% bootstrap percentile interval when there are draws. Bars of equal
//! length mean the model reproduces the group's outcomes; a predicted bar far from the grey one
//! (beyond its interval) is a group the model misfits.

use super::style::{err, font, outcome_color, DrawResult, Figure, GREY};
use crate::analyses::figures::shares::Shares;
use crate::problem::data::Outcome;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The shares figure.
pub struct SharesFigure<'a> {
    /// The shares by group.
    pub shares: &'a Shares,
    /// The outcomes drawn (those that occur).
    pub outcomes: &'a [Outcome],
}

impl SharesFigure<'_> {
    /// Size in pixels: taller with more groups.
    pub fn size(&self) -> (u32, u32) {
        (
            1400,
            (160 + 70 * self.shares.groups.len() as u32).clamp(420, 1400),
        )
    }
}

/// A weighted count as text: whole numbers without decimals.
fn trim_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

impl Figure for SharesFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let groups = &self.shares.groups;
        let title = format!(
            "Observed and predicted outcome shares by {}",
            self.shares.column
        );
        let root = root.titled(&title, font(22)).map_err(err)?;
        let (strip, body) = root.split_vertically(34);
        // Legend: observed (grey), predicted (outcome colour) with its interval.
        let any_interval = groups.iter().any(|g| g.interval.is_some());
        let mut x = 20;
        strip
            .draw(&Rectangle::new([(x, 10), (x + 22, 24)], GREY.filled()))
            .map_err(err)?;
        strip
            .draw(&Text::new("observed share", (x + 30, 10), font(14)))
            .map_err(err)?;
        x += 190;
        for y in self.outcomes {
            strip
                .draw(&Rectangle::new(
                    [(x, 10), (x + 10, 24)],
                    outcome_color(y.index()).mix(0.75).filled(),
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
        let n = groups.len();
        let labels: Vec<String> = groups
            .iter()
            .map(|g| format!("{} (n = {})", g.label, trim_number(g.n)))
            .collect();
        for (panel, outcome) in panels.iter().zip(self.outcomes) {
            let y = outcome.index();
            let first = *outcome == self.outcomes[0];
            let max = groups
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
                .caption(outcome.label(), font(18))
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
                .draw_series(groups.iter().enumerate().map(|(i, g)| {
                    Rectangle::new(
                        [(0.0, i as f64 + 0.02), (g.observed[y], i as f64 + 0.36)],
                        GREY.filled(),
                    )
                }))
                .map_err(err)?;
            chart
                .draw_series(groups.iter().enumerate().map(|(i, g)| {
                    Rectangle::new(
                        [(0.0, i as f64 - 0.36), (g.predicted[y], i as f64 - 0.02)],
                        color.mix(0.75).filled(),
                    )
                }))
                .map_err(err)?;
            for (i, g) in groups.iter().enumerate() {
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
