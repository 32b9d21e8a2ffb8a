//! `profile_<parameter>.{png,svg}`: the profile log-likelihood of a free structural scalar.
//!
//! At each grid value the parameter is held fixed and the others re-estimated; the curve is
//! the maximized log-likelihood (dots: grid fits, red where a fit did not converge). The
//! vertical line is the estimate and the dashed red line the 95% cutoff `ℓ̂ − 1.92`: the
//! parameter values whose profile stays above it form the 95% profile-likelihood interval
//! (given in the title). A flat profile means the data say little about the parameter.

use super::style::{err, font, legend, legend_line, outcome_color, DrawResult, Figure};
use crate::analyses::figures::profile::ProfileCurve;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Size in pixels.
pub const SIZE: (u32, u32) = (1000, 650);

/// One profile figure.
pub struct ProfileFigure<'a> {
    /// The profile, its label and cutoff.
    pub curve: &'a ProfileCurve,
}

impl Figure for ProfileFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let p = &self.curve.profile;
        // The curve joins the converged fits only; the others are marked apart.
        let pts: Vec<(f64, f64)> = p
            .points
            .iter()
            .filter(|q| q.converged && q.loglik.is_finite())
            .map(|q| (q.value, q.loglik))
            .collect();
        let cut = self.curve.cutoff;
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
            (Some(a), None) => format!("95% profile interval [{a:.3}, beyond the search range]"),
            (None, Some(b)) => format!("95% profile interval [beyond the search range, {b:.3}]"),
            (None, None) => "95% profile interval beyond the search range on both sides".into(),
        };
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Profile log-likelihood of {} (estimate {:.4}; {interval})",
                    self.curve.symbol, p.estimate
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
            .x_desc(self.curve.label.as_str())
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
            .legend(move |(x, y)| legend_line(x, y, blue.stroke_width(2)));
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
            .legend(move |(x, y)| legend_line(x, y, red.stroke_width(2)));
        chart
            .draw_series([PathElement::new(
                vec![(p.estimate, min_y), (p.estimate, max_y)],
                BLACK.stroke_width(1),
            )])
            .map_err(err)?
            .label("estimate")
            .legend(|(x, y)| legend_line(x, y, BLACK.stroke_width(1)));
        if p.points.iter().any(|q| !q.converged) {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(err)?
                .label("profile fit not converged (left out)")
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, red.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}
