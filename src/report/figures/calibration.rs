//! `calibration.{png,svg}`: predicted probability vs observed frequency.
//!
//! Every (episode, outcome) pair is one prediction `P_i(y)`; the pairs are sorted by it and
//! cut into bins of equal count. Each dot is a bin: its mean prediction (x) against how often
//! the outcome occurred (y), with a 95% Wilson interval. Dots on the dashed diagonal mean the
//! predicted probabilities are right on average; dots above it, that the model predicts too
//! low there, below it, too high.

use super::style::{err, font, legend, legend_line, outcome_color, DrawResult, Figure, GREY};
use crate::analyses::figures::calibration::CalibrationBin;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Size in pixels.
pub const SIZE: (u32, u32) = (900, 800);

/// The calibration figure.
pub struct CalibrationFigure<'a> {
    /// The bins.
    pub bins: &'a [CalibrationBin],
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
            .legend(|(x, y)| legend_line(x, y, GREY.stroke_width(2)));
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
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}
