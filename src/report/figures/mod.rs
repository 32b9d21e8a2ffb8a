//! Figures (plotters; every figure as PNG and SVG). Each figure draws typed results computed
//! in [`crate::analyses::figures`] (or [`crate::analyses::counterfactual`]) and computes
//! nothing itself; one file per figure, sharing the look of [`style`]:
//!
//! | file | figure |
//! | --- | --- |
//! | `shares.{png,svg}` | [`shares`]: observed vs predicted outcome shares by group |
//! | `calibration.{png,svg}` | [`calibration`]: predicted probability vs observed frequency |
//! | `statics_<covariate>.{png,svg}` | [`statics`]: outcome probabilities as a covariate varies |
//! | `profile_<parameter>.{png,svg}` | [`profile`]: the profile log-likelihood of a structural scalar |
//! | `bootstrap_distributions.{png,svg}` | [`bootstrap_distributions`]: histograms of the bootstrap draws |
//! | `counterfactual_forest.{png,svg}` | [`counterfactual_forest`]: counterfactual effects with intervals |

pub mod bootstrap_distributions;
pub mod calibration;
pub mod counterfactual_forest;
pub mod profile;
pub mod shares;
pub mod statics;
pub mod style;

use crate::analyses::figures::FigureData;
use crate::error::{Error, Result};
use plotters::prelude::*;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use style::{err, register_font, Figure};

/// The file-name stems (or their beginnings) of the figures of a fit report.
pub const FIT_FIGURE_PREFIXES: [&str; 5] = [
    "shares",
    "calibration",
    "statics_",
    "profile_",
    "bootstrap_distributions",
];

/// Draws every figure of a fit report into `dir`, side by side on the thread pool (each
/// figure is its own pair of files); returns the files written, in a fixed order.
pub fn write_all(dir: &Path, data: &FigureData) -> Result<Vec<PathBuf>> {
    type Job<'a> = Box<dyn Fn() -> Result<Vec<PathBuf>> + Send + Sync + 'a>;
    let mut jobs: Vec<Job> = Vec::new();
    jobs.push(Box::new(|| {
        let shares = shares::SharesFigure {
            shares: &data.shares,
            outcomes: &data.outcomes,
        };
        save(&shares, dir, "shares", shares.size())
    }));
    jobs.push(Box::new(|| {
        let figure = calibration::CalibrationFigure {
            bins: &data.calibration,
        };
        save(&figure, dir, "calibration", calibration::SIZE)
    }));
    for s in &data.statics {
        jobs.push(Box::new(move || {
            let figure = statics::StaticsFigure {
                statics: s,
                outcomes: &data.outcomes,
            };
            let stem = format!("statics_{}", file_stem(&s.covariate));
            save(&figure, dir, &stem, statics::SIZE)
        }));
    }
    for p in &data.profiles {
        jobs.push(Box::new(move || {
            let stem = format!("profile_{}", file_stem(&p.profile.name));
            save(
                &profile::ProfileFigure { curve: p },
                dir,
                &stem,
                profile::SIZE,
            )
        }));
    }
    if let Some(b) = &data.bootstrap {
        jobs.push(Box::new(move || {
            let figure = bootstrap_distributions::BootstrapFigure { distributions: b };
            save(&figure, dir, "bootstrap_distributions", figure.size())
        }));
    }
    let drawn: Vec<Result<Vec<PathBuf>>> = jobs.par_iter().map(|job| job()).collect();
    let mut written = Vec::new();
    for files in drawn {
        written.extend(files?);
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

/// Draws a figure on white to `<dir>/<stem>.png` and `.svg` (the PNG through a temporary
/// file renamed into place, the SVG written atomically); returns both paths.
pub fn save<F: Figure>(
    figure: &F,
    dir: &Path,
    stem: &str,
    size: (u32, u32),
) -> Result<Vec<PathBuf>> {
    register_font();
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let failed =
        |path: &Path, m: String| Error::Results(format!("cannot draw `{}`: {m}", path.display()));
    let drawn = {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(err)
            .and_then(|()| figure.draw(&root))
            .and_then(|()| root.present().map_err(err))
    };
    if let Err(m) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(failed(&png, m));
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
