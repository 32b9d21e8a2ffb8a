//! `bootstrap_distributions.{png,svg}`: histograms of the bootstrap draws of the free
//! parameters, three panels a row.
//!
//! Each panel is one parameter's converged draws (natural scale): the solid black line is the
//! estimate and the dashed red lines the 95% percentile interval. A histogram centred on the
//! estimate with a narrow interval means a well-determined parameter; a wide or lopsided one,
//! that resamples of the data move it a lot. When a few replicates run far off, the range is
//! trimmed to the central draws and the panel says how many draws it leaves out.

use super::style::{err, font, outcome_color, DrawResult, Figure};
use crate::analyses::figures::bootstrap_distributions::BootstrapDistributions;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The bootstrap figure.
pub struct BootstrapFigure<'a> {
    /// The histograms.
    pub distributions: &'a BootstrapDistributions,
}

impl BootstrapFigure<'_> {
    /// Size in pixels: three panels a row, at least two wide.
    pub fn size(&self) -> (u32, u32) {
        let n = self.distributions.panels.len();
        let cols = n.clamp(1, 3) as u32;
        let rows = n.div_ceil(3) as u32;
        (520 * cols.max(2), 60 + 380 * rows)
    }
}

impl Figure for BootstrapFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let d = self.distributions;
        let caption = format!(
            "Bootstrap distributions ({} of {} replicates converged): estimate solid, 95% percentile interval dashed",
            d.converged, d.replicates
        );
        let root = root.titled(&caption, font(20)).map_err(err)?;
        let cols = d.panels.len().clamp(1, 3);
        let rows = d.panels.len().div_ceil(cols).max(1);
        let areas = root.split_evenly((rows, cols));
        let blue = outcome_color(0);
        let red = outcome_color(2);
        for (area, h) in areas.iter().zip(&d.panels) {
            let (lo, hi) = (h.lo, h.hi);
            let width = (hi - lo) / h.counts.len() as f64;
            let top = (*h.counts.iter().max().unwrap_or(&1) as f64 * 1.1).ceil() as i32 + 1;
            let mut builder = ChartBuilder::on(area);
            let mut notes = Vec::new();
            if h.outside > 0 {
                notes.push(format!("{} draw(s) outside the range shown", h.outside));
            }
            if h.run_off > 0 {
                notes.push(format!("{} diverged (ran off)", h.run_off));
            }
            match h.interval {
                Some((a, _)) if a.is_infinite() => notes.push("interval from −∞".into()),
                Some((_, b)) if b.is_infinite() => notes.push("interval to +∞".into()),
                _ => {}
            }
            if !notes.is_empty() {
                builder.caption(notes.join("; "), font(13));
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
                .x_desc(h.label.as_str())
                .y_desc("replicates")
                .x_labels(5)
                .y_labels(6)
                .label_style(font(12))
                .axis_desc_style(font(13))
                .draw()
                .map_err(err)?;
            chart
                .draw_series(h.counts.iter().enumerate().map(|(b, &c)| {
                    let x0 = lo + b as f64 * width;
                    Rectangle::new([(x0, 0), (x0 + width, c as i32)], blue.mix(0.6).filled())
                }))
                .map_err(err)?;
            chart
                .draw_series([PathElement::new(
                    vec![(h.estimate, 0), (h.estimate, top)],
                    BLACK.stroke_width(2),
                )])
                .map_err(err)?;
            if let Some((a, b)) = h.interval {
                for x in [a, b].into_iter().filter(|x| x.is_finite()) {
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
