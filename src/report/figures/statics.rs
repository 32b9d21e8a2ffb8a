//! `statics_<covariate>.{png,svg}`: predicted outcome probabilities as one covariate varies.
//!
//! The x axis runs over the covariate's observed range (data units); the other covariates are
//! at their means and the most common protocol is held fixed (named on the axis). One curve per
//! outcome that occurs, with a shaded 95% band (bootstrap percentile, or delta method without
//! a bootstrap; the legend says which). A rising curve means episodes with a higher value of
//! the covariate are predicted to end that way more often; the title gives the coefficient.
//! Covariate and coefficient are shown by their labels (the spec's `[labels]`).

use super::style::{err, font, legend, legend_line, outcome_color, DrawResult, Figure};
use crate::analyses::figures::statics::{BandSource, Statics};
use crate::problem::data::Outcome;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Size in pixels.
pub const SIZE: (u32, u32) = (1100, 700);

/// One comparative-statics figure.
pub struct StaticsFigure<'a> {
    /// The curves.
    pub statics: &'a Statics,
    /// The outcomes drawn (those that occur).
    pub outcomes: &'a [Outcome],
}

impl Figure for StaticsFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let s = self.statics;
        let (lo, hi) = (s.x[0], s.x[s.x.len() - 1]);
        let mut chart = ChartBuilder::on(root)
            .caption(
                if s.parameter_label == s.covariate_label {
                    format!(
                        "Predicted outcome probabilities as {} varies (coefficient {:.3})",
                        s.covariate_label, s.estimate
                    )
                } else {
                    format!(
                        "Predicted outcome probabilities as {} varies ({} = {:.3})",
                        s.covariate_label, s.parameter_label, s.estimate
                    )
                },
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
                "{} ({}, data units); other covariates at their means, protocol {}",
                s.covariate_label,
                if s.covariate_label == s.covariate {
                    "covariate"
                } else {
                    &s.covariate
                },
                s.protocol.label()
            ))
            .y_desc("predicted probability")
            .label_style(font(14))
            .axis_desc_style(font(16))
            .draw()
            .map_err(err)?;
        for outcome in self.outcomes {
            let y = outcome.index();
            let color = outcome_color(y);
            if let Some(band) = &s.band {
                let mut poly: Vec<(f64, f64)> =
                    s.x.iter()
                        .zip(&band.bounds)
                        .map(|(x, b)| (*x, b[y].0))
                        .collect();
                poly.extend(
                    s.x.iter()
                        .zip(&band.bounds)
                        .rev()
                        .map(|(x, b)| (*x, b[y].1)),
                );
                poly.retain(|p| p.1.is_finite());
                chart
                    .draw_series([Polygon::new(poly, color.mix(0.18).filled())])
                    .map_err(err)?;
            }
            let label = match s.band.as_ref().map(|b| b.source) {
                None => outcome.label().to_string(),
                Some(source) => format!("{} (95% band: {})", outcome.label(), describe(source)),
            };
            chart
                .draw_series(LineSeries::new(
                    s.x.iter().zip(&s.p).map(|(x, p)| (*x, p[y])),
                    color.stroke_width(3),
                ))
                .map_err(err)?
                .label(label)
                .legend(move |(x, yy)| legend_line(x, yy, color.stroke_width(3)));
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
                .flat_map(|(x, p)| self.outcomes.iter().map(move |y| (*x, p[y.index()])))
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
        legend(&mut chart, position)
    }
}

/// Where a band comes from, for the legend.
fn describe(source: BandSource) -> &'static str {
    match source {
        BandSource::BootstrapPercentile => "bootstrap percentile",
        BandSource::DeltaMethod => "delta method",
    }
}
