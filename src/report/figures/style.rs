//! The shared look of every figure: the embedded font, the outcome colours, text sizes and the
//! drawing helpers (legend box, whisker) that several figures use.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (`assets/fonts/DejaVuSans.ttf`,
//! registered once as plotters' `sans-serif`), so figures do not depend on system fonts.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// The font family registered by [`register_font`] (embedded DejaVu Sans).
pub const FAMILY: &str = "sans-serif";

static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font as [`FAMILY`] (once per process).
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let ok = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok();
        assert!(ok, "the embedded DejaVu Sans font is valid");
    });
}

/// Black text of `size` pixels in the embedded font.
pub fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// Outcome colours: ratified blue, renegotiated orange, failed red.
pub fn outcome_color(y: usize) -> RGBColor {
    [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(214, 39, 40),
    ][y]
}

/// Observed values and reference lines.
pub const GREY: RGBColor = RGBColor(160, 160, 160);

/// Points and intervals of the counterfactual forest plot.
pub const FOREST_POINT: RGBColor = RGBColor(31, 78, 140);

/// What drawing a figure returns: plotters' errors as text.
pub type DrawResult = std::result::Result<(), String>;

/// A plotters error as text.
pub fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// A figure that can be drawn on any plotters backend (on a white area; see
/// [`super::save`]).
pub trait Figure {
    /// Draws the figure on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// Draws the series labels of `chart` at `position`: 14-pixel text on a light box with a black
/// border.
pub fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(font(14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// A legend entry's line sample: a horizontal stroke 20 pixels long.
pub fn legend_line(x: i32, y: i32, style: ShapeStyle) -> PathElement<(i32, i32)> {
    PathElement::new(vec![(x, y), (x + 20, y)], style)
}
