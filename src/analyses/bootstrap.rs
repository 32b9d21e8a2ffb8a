//! The bootstrap: nonparametric (resample episodes, or whole clusters when `[data] cluster` is
//! set) and parametric (draw outcomes from the fitted model).
//!
//! * **Seeds.** Replicate `b` draws from a xoshiro256++ stream seeded with
//!   [`replicate_seed`]`(seed, b)`, a SplitMix64 hash of the run's seed and the index. A
//!   replicate's result depends on nothing else, so a run gives the same draws for any number
//!   of threads and any split into shards.
//! * **Resampling.** Weights are frequency weights (a row of weight `w_i` stands for `w_i`
//!   identical episodes): a replicate draws `round(Σw)` episodes with replacement, row `i` with
//!   probability `w_i/Σw`, and a row drawn `m` times gets weight `m` (unit weights: `n` draws
//!   of `n` rows). Clusters are drawn whole (`G` of `G`): a row whose cluster is drawn `m`
//!   times gets weight `m · w_i`. Resampling is done with row weights, the data are not copied.
//! * **Fits and statuses.** Each replicate is fitted from the estimate (warm start, at most
//!   [`BOOTSTRAP_MAX_ITERS`] iterations, no standard errors). One that has not reached a
//!   maximum (smooth, or at a kink) gets the spec's iterations (at least 500) from where it
//!   stopped, then a cold multi-start (the spec's starts, at least [`COLD_STARTS`], seeded by
//!   the replicate's seed). The best of these fits decides its status:
//!   - `converged`: a maximum;
//!   - `diverged`: the likelihood has no finite maximum (e.g. a resample without failures,
//!     where a threshold runs off): from the best point, moving a parameter farther the way it
//!     went from the estimate (by at least 1 on its internal scale) does not lower `ℓ`. (This
//!     is checked for every fit, also one that stopped with a small gradient: far out on such
//!     a plateau the gradient vanishes too.) Those
//!     parameters are set to the end of their internal scale, mapped back (`±∞` for a
//!     coefficient, `∞` or 0 for a scale, 0 or 1 for a discount or probability); the others
//!     keep their values;
//!   - `failed`: neither (the optimizer gave up on a problem with a finite maximum).
//! * **Summaries.** Standard errors are the SD of the converged draws, and none where the
//!   parameter ran off in some diverged replicate. Percentile intervals
//!   use the converged *and* the diverged draws, so a run-off replicate counts at its end
//!   (`±∞` on its side) instead of disappearing and truncating the tail; failed replicates are
//!   left out, and both are counted.
//! * **Shards.** `Shard { index: I, count: N }` runs the contiguous block of replicates
//!   `⌊(I−1)B/N⌋ .. ⌊IB/N⌋`; [`merge`] puts the blocks of all shards back together into
//!   exactly the result of one run.
//! * **Files.** `bootstrap.csv`: one row per replicate (`replicate, status, loglik`, then
//!   one column per parameter name, natural scale, written with the shortest representation
//!   that reads back to the same bits); `bootstrap.json`: the settings, the shard (if any) and
//!   the summary.

use super::{quantile_sorted, std_dev};
use crate::analyses::predict::draw_outcome;
use crate::error::{Error, Result};
use crate::estimate::checkpoint::{
    hex_bits, hex_bits_list, parse_hex_bits, parse_hex_bits_list, CheckpointLog, LineFormat,
};
use crate::estimate::{fit, Estimates, FitOptions};
use crate::io::{read_table, FloatStyle, TableFormat};
use crate::problem::data::Outcome;
use crate::problem::likelihood::{Likelihood, Model};
use crate::problem::project::Project;
use crate::problem::spec::{BootstrapKind, Optimizer};
use crate::problem::table;
use polars::prelude::{Column, DataFrame, PolarsError};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::Path;

/// File names in a report folder.
pub const DRAWS_FILE: &str = "bootstrap.csv";
/// The settings and summary.
pub const META_FILE: &str = "bootstrap.json";

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootstrapSettings {
    /// Number of replicates `B` of the whole run (all shards).
    pub replicates: usize,
    /// Nonparametric or parametric.
    pub kind: BootstrapKind,
    /// The run's seed.
    pub seed: u64,
}

/// One shard of a run: `index` in `1..=count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard (1-based, as Slurm's `SLURM_ARRAY_TASK_ID` with `--array=1-N`).
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with `1 ≤ I ≤ N`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::Estimation(format!(
                "--shard `{text}`: write I/N with 1 ≤ I ≤ N, e.g. --shard 3/8"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The replicates of this shard out of `b` (a contiguous block).
    pub fn range(self, b: usize) -> std::ops::Range<usize> {
        (self.index - 1) * b / self.count..self.index * b / self.count
    }
}

/// Iteration limit of a bootstrap replicate's first fit (warm-started at the estimate).
pub const BOOTSTRAP_MAX_ITERS: u64 = 150;
/// Iteration limit of the second fit of a replicate that has not reached a maximum (or the
/// spec's `max_iters`, if larger).
pub const BOOTSTRAP_MORE_ITERS: u64 = 500;
/// At least this many starts in a replicate's cold multi-start.
pub const COLD_STARTS: usize = 4;

/// What became of a replicate's fit (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicateStatus {
    /// A maximum (smooth or at a kink).
    Converged,
    /// The likelihood has no finite maximum: some parameters run off.
    Diverged,
    /// The optimizer gave up.
    Failed,
}

impl ReplicateStatus {
    /// The word in `bootstrap.csv`.
    pub fn label(self) -> &'static str {
        match self {
            ReplicateStatus::Converged => "converged",
            ReplicateStatus::Diverged => "diverged",
            ReplicateStatus::Failed => "failed",
        }
    }

    /// The status of a word of `bootstrap.csv`; the older files' `true`/`false` of a
    /// `converged` column read as converged/failed.
    pub fn parse(word: &str) -> Option<ReplicateStatus> {
        match word.trim() {
            "converged" | "true" => Some(ReplicateStatus::Converged),
            "diverged" => Some(ReplicateStatus::Diverged),
            "failed" | "false" => Some(ReplicateStatus::Failed),
            _ => None,
        }
    }
}

/// One replicate's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Replicate index `0..B`.
    pub replicate: usize,
    /// Converged, diverged or failed.
    pub status: ReplicateStatus,
    /// Log-likelihood of the replicate's sample at its estimate.
    pub loglik: f64,
    /// Natural-scale values of all parameters (fixed ones at their value), in the parameter
    /// space's order; a diverged replicate's run-off parameters at the end of their domain.
    pub values: Vec<f64>,
}

impl Draw {
    /// A maximum was found.
    pub fn converged(&self) -> bool {
        self.status == ReplicateStatus::Converged
    }
}

/// One parameter's bootstrap summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterSummary {
    /// Parameter name.
    pub name: String,
    /// Standard deviation of the converged draws (natural scale); `None` if fixed, or if the
    /// parameter ran off in some diverged replicate (its spread is then unbounded).
    pub std_error: Option<f64>,
    /// Percentile interval `(2.5%, 97.5%)` of the converged and diverged draws (an end can
    /// be infinite); `None` if fixed.
    #[serde(with = "infinite_ends", default)]
    pub interval: Option<(f64, f64)>,
    /// Diverged draws in which this parameter ran off (to the end of its domain).
    #[serde(default)]
    pub run_off: usize,
    /// Mean of the converged draws.
    pub mean: Option<f64>,
}

/// Summary of a complete run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapSummary {
    /// `B`.
    pub replicates: usize,
    /// Replicates whose fit converged (used).
    pub converged: usize,
    /// Indices of the replicates whose likelihood has no finite maximum (in the percentile
    /// intervals at their ends).
    #[serde(default)]
    pub diverged_replicates: Vec<usize>,
    /// Indices of the replicates whose fit failed (excluded).
    pub failed_replicates: Vec<usize>,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Per parameter, in the parameter space's order.
    pub parameters: Vec<ParameterSummary>,
    /// Warnings for the reader (heavy tails of the draws).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// `bootstrap.json`: how the draws were made, and the summary of a complete run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapMeta {
    /// Replicates, kind and seed.
    pub settings: BootstrapSettings,
    /// What is resampled: `episodes`, `clusters of <column> (<G>)`, or `outcomes`.
    pub resampling: String,
    /// Parameter names (the columns of `bootstrap.csv`).
    pub parameter_names: Vec<String>,
    /// The shard these draws belong to (`None`: a complete run or a merge).
    pub shard: Option<Shard>,
    /// SHA-256 of the spec and of the data (shards must agree).
    pub spec_sha256: String,
    /// SHA-256 of the data.
    pub data_sha256: String,
    /// The summary (`None` for a shard).
    pub summary: Option<BootstrapSummary>,
}

/// Draws plus metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapResults {
    /// Settings, shard and summary.
    pub meta: BootstrapMeta,
    /// The draws, by replicate index.
    pub draws: Vec<Draw>,
    /// Shortcut to `meta.summary`.
    pub summary: Option<BootstrapSummary>,
}

/// `(lo, hi)` with infinite ends written as the strings `"inf"`/`"-inf"` (JSON has no
/// infinity).
mod infinite_ends {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum End {
        Number(f64),
        Word(String),
    }

    fn to_end(v: f64) -> End {
        if v.is_infinite() {
            End::Word(if v > 0.0 { "inf" } else { "-inf" }.into())
        } else {
            End::Number(v)
        }
    }

    fn from_end(e: End) -> f64 {
        match e {
            End::Number(v) => v,
            End::Word(w) if w == "-inf" => f64::NEG_INFINITY,
            End::Word(w) if w == "inf" => f64::INFINITY,
            End::Word(_) => f64::NAN,
        }
    }

    pub fn serialize<S: Serializer>(v: &Option<(f64, f64)>, s: S) -> Result<S::Ok, S::Error> {
        v.map(|(a, b)| (to_end(a), to_end(b))).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(f64, f64)>, D::Error> {
        Ok(Option::<(End, End)>::deserialize(d)?.map(|(a, b)| (from_end(a), from_end(b))))
    }
}

impl BootstrapResults {
    /// The converged draws.
    pub fn converged_draws(&self) -> impl Iterator<Item = &Draw> {
        self.draws.iter().filter(|d| d.converged())
    }

    /// Words for a caption: "nonparametric bootstrap, resampling clusters of `treaty` (15),
    /// B = 200, 198 converged".
    pub fn describe(&self) -> String {
        let kind = match self.meta.settings.kind {
            BootstrapKind::Nonparametric => "nonparametric",
            BootstrapKind::Parametric => "parametric",
        };
        let s = &self.meta.settings;
        let used = match &self.summary {
            Some(sum) if sum.failed_replicates.is_empty() && sum.diverged_replicates.is_empty() => {
                format!("all {} converged", sum.converged)
            }
            Some(sum) => {
                let mut parts = vec![format!("{} converged", sum.converged)];
                match sum.diverged_replicates.len() {
                    0 => {}
                    1 => parts.push("1 diverged (no finite maximum: in the percentile intervals at its end, ±∞ on its side; no SD for a parameter that ran off)".into()),
                    n => parts.push(format!("{n} diverged (no finite maximum: in the percentile intervals at their ends, ±∞ on their side; no SD for a parameter that ran off)")),
                }
                match sum.failed_replicates.len() {
                    0 => {}
                    1 => parts.push("1 failed (the optimizer gave up; excluded)".into()),
                    n => parts.push(format!("{n} failed (the optimizer gave up; excluded)")),
                }
                parts.join(", ")
            }
            None => "shard only".into(),
        };
        format!(
            "{kind} bootstrap ({}), B = {}, seed {}: {used}",
            self.meta.resampling, s.replicates, s.seed
        )
    }
}

/// SplitMix64's output function.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of replicate `b` of a run seeded with `seed`: a SplitMix64 hash of both.
pub fn replicate_seed(seed: u64, b: usize) -> u64 {
    splitmix64(splitmix64(seed) ^ splitmix64(b as u64 ^ 0xB007_5742_0000_0000))
}

/// How rows are resampled, prepared once per run.
enum Resampler {
    /// Unit (or equal) weights: `n` uniform draws of the `n` rows, times the weight.
    Episodes,
    /// Frequency weights: `round(Σw)` draws of rows with probability `w_i/Σw`.
    WeightedEpisodes {
        rows: rand::distr::weighted::WeightedIndex<f64>,
        draws: usize,
    },
    Clusters {
        of_row: Vec<usize>,
        count: usize,
    },
    Parametric {
        probabilities: Vec<[f64; 3]>,
    },
}

impl Resampler {
    fn new(
        project: &Project,
        model: &Model,
        estimates: &Estimates,
        kind: BootstrapKind,
    ) -> Result<(Resampler, String)> {
        Ok(match kind {
            BootstrapKind::Parametric => (
                Resampler::Parametric {
                    probabilities: model.design_probabilities(&estimates.values()),
                },
                "outcomes drawn from the estimate".into(),
            ),
            BootstrapKind::Nonparametric => match &project.data.cluster {
                None if project.data.weight.iter().all(|&w| w == 1.0) => (
                    Resampler::Episodes,
                    format!("episodes ({})", project.data.len()),
                ),
                None => {
                    let total: f64 = project.data.weight.iter().sum();
                    let draws = total.round().max(1.0) as usize;
                    let rows = rand::distr::weighted::WeightedIndex::new(&project.data.weight)
                        .map_err(|e| {
                            Error::Estimation(format!("cannot resample by the row weights ({e})"))
                        })?;
                    (
                        Resampler::WeightedEpisodes { rows, draws },
                        format!(
                            "episodes ({draws}, drawn by their frequency weights from {} rows)",
                            project.data.len()
                        ),
                    )
                }
                Some(labels) => {
                    // Clusters numbered in order of first appearance (a polars group-by).
                    let column = project.spec.spec.data.cluster.clone().unwrap_or_default();
                    let clusters = DataFrame::new(
                        labels.len(),
                        vec![Column::new(column.as_str().into(), labels.as_slice())],
                    )
                    .and_then(|f| table::group_rows(&f))
                    .map_err(|e| {
                        Error::Estimation(format!("cannot group the rows by `{column}` ({e})"))
                    })?;
                    let count = clusters.len();
                    (
                        Resampler::Clusters {
                            of_row: clusters.of_row,
                            count,
                        },
                        format!("clusters of `{column}` ({count})"),
                    )
                }
            },
        })
    }

    /// Outcomes and row weights of replicate `b`.
    fn sample(&self, project: &Project, model: &Model, seed: u64) -> (Vec<Outcome>, Vec<f64>) {
        let data = &project.data;
        let n = data.len();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        match self {
            Resampler::Episodes => {
                let mut m = vec![0.0; n];
                for _ in 0..n {
                    m[rng.random_range(0..n)] += 1.0;
                }
                (
                    data.outcome.clone(),
                    m.iter().zip(&data.weight).map(|(m, w)| m * w).collect(),
                )
            }
            Resampler::WeightedEpisodes { rows, draws } => {
                let mut m = vec![0.0; n];
                for _ in 0..*draws {
                    m[rng.sample(rows)] += 1.0;
                }
                (data.outcome.clone(), m)
            }
            Resampler::Clusters { of_row, count } => {
                let mut m = vec![0.0; *count];
                for _ in 0..*count {
                    m[rng.random_range(0..*count)] += 1.0;
                }
                let weights = of_row
                    .iter()
                    .zip(&data.weight)
                    .map(|(&c, w)| m[c] * w)
                    .collect();
                (data.outcome.clone(), weights)
            }
            Resampler::Parametric { probabilities } => {
                let outcomes = model
                    .row_design
                    .iter()
                    .map(|&g| draw_outcome(&probabilities[g], rng.random::<f64>()))
                    .collect();
                (outcomes, data.weight.clone())
            }
        }
    }
}

/// The row weights of replicate `b` of a run (for tests and diagnostics): with unit weights,
/// how often the row (or its cluster) was drawn.
pub fn replicate_weights(
    project: &Project,
    model: &Model,
    estimates: &Estimates,
    settings: &BootstrapSettings,
    b: usize,
) -> Result<Vec<f64>> {
    let (resampler, _) = Resampler::new(project, model, estimates, settings.kind)?;
    Ok(resampler
        .sample(project, model, replicate_seed(settings.seed, b))
        .1)
}

/// Runs the replicates of `shard` (all of them when `None`) in parallel. `progress` is called
/// once per finished replicate.
pub fn run(
    project: &Project,
    model: &Model,
    estimates: &Estimates,
    settings: &BootstrapSettings,
    shard: Option<Shard>,
    progress: &(dyn Fn() + Sync),
) -> Result<BootstrapResults> {
    run_with_checkpoint(project, model, estimates, settings, shard, progress, None)
}

/// A checkpoint of finished replicates: `(file, resume)`. Every finished replicate is appended
/// (one line, flushed) as soon as it is done; with `resume`, replicates already in the file are
/// taken from it instead of being refitted. Each line stores the draw's exact bits, and every
/// replicate depends only on the run's seed and its index, so a resumed run gives exactly the
/// result of an uninterrupted one.
pub type CheckpointArg<'a> = Option<(&'a Path, bool)>;

/// The first line of a checkpoint: what run it belongs to.
fn checkpoint_header(
    project: &Project,
    estimates: &Estimates,
    settings: &BootstrapSettings,
    shard: Option<Shard>,
) -> String {
    format!(
        "twolevel bootstrap checkpoint v2; spec {}; data {}; replicates {}; kind {:?}; seed {}; shard {:?}; estimate {}",
        crate::problem::data::hex(&sha2::Sha256::digest(project.spec.text.as_bytes())),
        project.data.hash(),
        settings.replicates,
        settings.kind,
        settings.seed,
        shard.map(|s| (s.index, s.count)),
        hex_bits_list(&estimates.internal)
    )
}

/// The lines of a bootstrap checkpoint: `replicate status loglik values` (status as in
/// `bootstrap.csv`; exact bits, values comma-separated); a line with another number of values
/// is not read.
struct DrawLines {
    n_par: usize,
}

impl LineFormat for DrawLines {
    type Record = Draw;

    fn write(&self, replicate: usize, d: &Draw) -> String {
        format!(
            "{replicate} {} {} {}",
            d.status.label(),
            hex_bits(d.loglik),
            hex_bits_list(&d.values)
        )
    }

    fn read(&self, line: &str) -> Option<(usize, Draw)> {
        let mut parts = line.split(' ');
        let replicate = parts.next()?.parse().ok()?;
        let status = ReplicateStatus::parse(parts.next()?)?;
        let loglik = parse_hex_bits(parts.next()?)?;
        let values = parse_hex_bits_list(parts.next()?)?;
        (values.len() == self.n_par && parts.next().is_none()).then_some((
            replicate,
            Draw {
                replicate,
                status,
                loglik,
                values,
            },
        ))
    }
}

/// [`run`] with a checkpoint (see [`CheckpointArg`]).
pub fn run_with_checkpoint(
    project: &Project,
    model: &Model,
    estimates: &Estimates,
    settings: &BootstrapSettings,
    shard: Option<Shard>,
    progress: &(dyn Fn() + Sync),
    checkpoint: CheckpointArg,
) -> Result<BootstrapResults> {
    let log = CheckpointLog::open(
        DrawLines {
            n_par: model.space.len(),
        },
        checkpoint,
        || checkpoint_header(project, estimates, settings, shard),
        "another run (other spec, data, estimate, B, kind, seed or shard)",
    )?;
    if settings.replicates == 0 {
        return Err(Error::Estimation(
            "the bootstrap needs at least one replicate (--bootstrap B with B ≥ 1)".into(),
        ));
    }
    if let Some(s) = shard {
        if s.count > settings.replicates {
            return Err(Error::Estimation(format!(
                "--shard {}/{}: more shards than replicates ({}); use at most {} shards",
                s.index, s.count, settings.replicates, settings.replicates
            )));
        }
    }
    let (resampler, resampling) = Resampler::new(project, model, estimates, settings.kind)?;
    let range = shard
        .map(|s| s.range(settings.replicates))
        .unwrap_or(0..settings.replicates);
    let draws: Vec<Draw> = super::map_independent(range, |b| {
        if let Some(d) = log.finished(b) {
            progress();
            return d.clone();
        }
        let seed = replicate_seed(settings.seed, b);
        let (outcomes, weights) = resampler.sample(project, model, seed);
        let draw = fit_replicate(project, model, estimates, &outcomes, &weights, seed, b);
        log.append(b, &draw);
        progress();
        draw
    });
    let mut meta = BootstrapMeta {
        settings: *settings,
        resampling,
        parameter_names: model.space.names().iter().map(|s| s.to_string()).collect(),
        shard,
        spec_sha256: crate::problem::data::hex(&sha2::Sha256::digest(project.spec.text.as_bytes())),
        data_sha256: project.data.hash(),
        summary: None,
    };
    if shard.is_none() {
        meta.summary = Some(summarize(model, &draws, settings.replicates));
    }
    Ok(BootstrapResults {
        summary: meta.summary.clone(),
        meta,
        draws,
    })
}

/// Fits one replicate (outcomes and row weights of its resample, `seed` its seed) and
/// classifies it (see the module doc): the warm start, more iterations, a cold multi-start;
/// the best fit is `converged` if it is a maximum, else `diverged` if some parameters run off,
/// else `failed`.
fn fit_replicate(
    project: &Project,
    model: &Model,
    estimates: &Estimates,
    outcomes: &[Outcome],
    weights: &[f64],
    seed: u64,
    b: usize,
) -> Draw {
    let spec = &project.spec.spec.estimation;
    let options = |max_iters: u64, starts: usize, optimizer: Option<Optimizer>| FitOptions {
        estimation: crate::problem::spec::EstimationSpec {
            max_iters,
            starts,
            seed,
            optimizer: optimizer.unwrap_or(spec.optimizer),
            ..spec.clone()
        },
        standard_errors: false,
        checkpoint: None,
    };
    let fit_with = |warm: Option<&[f64]>, max_iters: u64, starts: usize, optimizer| {
        fit(
            model,
            &project.data,
            outcomes,
            weights,
            &options(max_iters, starts, optimizer),
            warm,
        )
        .ok()
        .filter(|e| e.loglik.is_finite() && e.values().iter().all(|v| v.is_finite()))
    };
    let fit_from = |warm: Option<&[f64]>, max_iters: u64, starts: usize| {
        fit_with(warm, max_iters, starts, None)
    };
    let is_maximum = |e: &Estimates| e.status.is_maximum();
    let more_iters = spec.max_iters.max(BOOTSTRAP_MORE_ITERS);
    let mut tried = Vec::new();
    let problem = Likelihood::new(model, outcomes, weights);
    // A fit that ends with a small gradient far out on a plateau (a threshold run off: the
    // gradient vanishes there too) is no maximum: the run-off test tells them apart.
    let classify = |e: &Estimates, status: ReplicateStatus| {
        let run_off = run_off(&problem, &e.internal, &estimates.internal, e.loglik);
        if run_off.is_empty() {
            return Draw {
                replicate: b,
                status,
                loglik: e.loglik,
                values: e.values(),
            };
        }
        let mut internal = e.internal.clone();
        for (k, direction) in run_off {
            internal[k] = direction * f64::INFINITY;
        }
        Draw {
            replicate: b,
            status: ReplicateStatus::Diverged,
            loglik: e.loglik,
            values: model.space.to_natural(&internal),
        }
    };
    let first = fit_from(
        Some(&estimates.internal),
        BOOTSTRAP_MAX_ITERS.min(spec.max_iters),
        1,
    );
    if let Some(e) = first {
        if is_maximum(&e) {
            return classify(&e, ReplicateStatus::Converged);
        }
        let more = fit_from(Some(&e.internal), more_iters, 1);
        tried.push(e);
        tried.extend(more);
    }
    if !tried.last().is_some_and(is_maximum) {
        tried.extend(fit_from(None, more_iters, spec.starts.max(COLD_STARTS)));
    }
    // Stuck on a kink that is not a maximum (a ridge where the gradient-based search
    // stalls): Nelder–Mead from the best point, which needs no gradient.
    if let Some(best) = tried
        .iter()
        .max_by(|a, b| a.loglik.total_cmp(&b.loglik))
        .filter(|e| !is_maximum(e))
    {
        let simplex = fit_with(
            Some(&best.internal),
            more_iters,
            1,
            Some(Optimizer::NelderMead),
        );
        tried.extend(simplex);
    }
    let Some(best) = tried
        .into_iter()
        .max_by(|a, b| a.loglik.total_cmp(&b.loglik))
    else {
        return Draw {
            replicate: b,
            status: ReplicateStatus::Failed,
            loglik: f64::NAN,
            values: vec![f64::NAN; model.space.len()],
        };
    };
    classify(
        &best,
        if is_maximum(&best) {
            ReplicateStatus::Converged
        } else {
            ReplicateStatus::Failed
        },
    )
}

/// The free parameters (positions in `t`, with the sign of their way) that run off from `t`,
/// reached from `from` with log-likelihood `loglik`: those for which a step farther the way
/// they went, by `max(1, |t_k − from_k|)` on the internal scale, does not lower `ℓ`.
fn run_off(problem: &Likelihood, t: &[f64], from: &[f64], loglik: f64) -> Vec<(usize, f64)> {
    let tolerance = 1e-9 * (1.0 + loglik.abs());
    (0..t.len())
        .filter_map(|k| {
            let moved = t[k] - from[k];
            if moved == 0.0 {
                return None;
            }
            let direction = moved.signum();
            let mut farther = t.to_vec();
            farther[k] += direction * moved.abs().max(1.0);
            (problem.log_likelihood(&farther) >= loglik - tolerance).then_some((k, direction))
        })
        .collect()
}

/// Standard errors (SD of the converged draws) and 95% percentile intervals (converged and
/// diverged draws) of a run's draws.
pub fn summarize(model: &Model, draws: &[Draw], replicates: usize) -> BootstrapSummary {
    let used: Vec<&Draw> = draws.iter().filter(|d| d.converged()).collect();
    let diverged: Vec<&Draw> = draws
        .iter()
        .filter(|d| d.status == ReplicateStatus::Diverged)
        .collect();
    let mut warnings = Vec::new();
    let parameters = model
        .space
        .parameters
        .iter()
        .enumerate()
        .map(|(j, p)| {
            if p.fixed.is_some() {
                return ParameterSummary {
                    name: p.name.clone(),
                    std_error: None,
                    interval: None,
                    run_off: 0,
                    mean: None,
                };
            }
            let mut v: Vec<f64> = used.iter().map(|d| d.values[j]).collect();
            v.sort_by(f64::total_cmp);
            let mut with_diverged: Vec<f64> = v
                .iter()
                .copied()
                .chain(diverged.iter().map(|d| d.values[j]))
                .collect();
            with_diverged.sort_by(f64::total_cmp);
            let interval = quantile_sorted(&with_diverged, 0.025)
                .zip(quantile_sorted(&with_diverged, 0.975));
            let run_off = diverged
                .iter()
                .filter(|d| p.transform.to_internal(d.values[j]).is_infinite())
                .count();
            let sd = std_dev(&v);
            let spread = quantile_sorted(&v, 0.75).zip(quantile_sorted(&v, 0.25)).map(|(a, b)| (a - b) / 1.349);
            if let (Some(sd), Some(spread)) = (sd, spread) {
                if spread > 0.0 && sd > 5.0 * spread {
                    warnings.push(format!(
                        "the bootstrap draws of `{}` have heavy tails (SD {sd:.3e}, IQR/1.349 {spread:.3e}): some replicates run off (e.g. a resample without any failure, where the MLE diverges); read the percentile interval rather than the SD",
                        p.name
                    ));
                }
            }
            ParameterSummary {
                name: p.name.clone(),
                // Where replicates ran off, the spread of the others is no SE.
                std_error: sd.filter(|_| run_off == 0),
                interval,
                run_off,
                mean: (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64),
            }
        })
        .collect();
    BootstrapSummary {
        replicates,
        converged: used.len(),
        diverged_replicates: diverged.iter().map(|d| d.replicate).collect(),
        failed_replicates: draws
            .iter()
            .filter(|d| d.status == ReplicateStatus::Failed)
            .map(|d| d.replicate)
            .collect(),
        level: 0.95,
        parameters,
        warnings,
    }
}

/// Combines the shards of one run into the result of a single run: checks that they share
/// settings, spec, data and parameters, that every shard `1..=N` is present once and that the
/// replicates are exactly `0..B`, then orders the draws and summarizes them.
pub fn merge(model: &Model, parts: Vec<BootstrapResults>) -> Result<BootstrapResults> {
    let first = parts
        .first()
        .ok_or_else(|| Error::Results("merge needs at least one shard folder".into()))?
        .meta
        .clone();
    let count = first.shard.map(|s| s.count).unwrap_or(1);
    let mut seen = vec![false; count];
    let mut draws = Vec::new();
    for part in parts {
        let m = &part.meta;
        let same = m.settings == first.settings
            && m.resampling == first.resampling
            && m.parameter_names == first.parameter_names
            && m.spec_sha256 == first.spec_sha256
            && m.data_sha256 == first.data_sha256;
        if !same {
            return Err(Error::Results(format!(
                "the shards do not belong to one run: settings, spec, data or parameters differ ({:?} vs {:?}); merge only folders written by `fit --bootstrap B --shard I/N` with the same spec, data, B and seed",
                m.settings, first.settings
            )));
        }
        let (index, n) = m.shard.map(|s| (s.index, s.count)).unwrap_or((1, 1));
        if n != count {
            return Err(Error::Results(format!(
                "shard counts differ ({n} vs {count}); merge the shards of one run"
            )));
        }
        if seen[index - 1] {
            return Err(Error::Results(format!(
                "shard {index}/{count} is given twice"
            )));
        }
        seen[index - 1] = true;
        draws.extend(part.draws);
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(Error::Results(format!(
            "shard {}/{count} is missing; run `fit --bootstrap {} --shard {}/{count}` and merge again",
            missing + 1,
            first.settings.replicates,
            missing + 1
        )));
    }
    draws.sort_by_key(|d| d.replicate);
    let b = first.settings.replicates;
    if draws.len() != b || draws.iter().enumerate().any(|(i, d)| d.replicate != i) {
        return Err(Error::Results(format!(
            "the shards hold {} draws, not exactly the replicates 0..{b}; a shard folder is incomplete or was overwritten",
            draws.len()
        )));
    }
    let summary = summarize(model, &draws, b);
    let meta = BootstrapMeta {
        shard: None,
        summary: Some(summary.clone()),
        ..first
    };
    Ok(BootstrapResults {
        meta,
        draws,
        summary: Some(summary),
    })
}

/// The draws as a table (`bootstrap.csv`): `replicate, status, loglik`, then one column per
/// parameter name (natural scale; a run-off parameter of a diverged replicate as `inf`,
/// `-inf`, 0 or 1).
pub fn draws_frame(results: &BootstrapResults) -> DataFrame {
    let draws = &results.draws;
    let mut columns = vec![
        Column::new(
            "replicate".into(),
            draws.iter().map(|d| d.replicate as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "status".into(),
            draws.iter().map(|d| d.status.label()).collect::<Vec<_>>(),
        ),
        Column::new(
            "loglik".into(),
            draws.iter().map(|d| d.loglik).collect::<Vec<_>>(),
        ),
    ];
    for (j, name) in results.meta.parameter_names.iter().enumerate() {
        columns.push(Column::new(
            name.as_str().into(),
            draws
                .iter()
                .map(|d| d.values.get(j).copied().unwrap_or(f64::NAN))
                .collect::<Vec<_>>(),
        ));
    }
    DataFrame::new(draws.len(), columns).expect("columns of one length with distinct names")
}

/// Writes `bootstrap.csv` (floats in the shortest form that reads back to the same bits) and
/// `bootstrap.json` into `dir`.
pub fn save(dir: &Path, results: &BootstrapResults) -> Result<Vec<std::path::PathBuf>> {
    let csv_path = dir.join(DRAWS_FILE);
    let json_path = dir.join(META_FILE);
    crate::io::write_table(&csv_path, &mut draws_frame(results), FloatStyle::Shortest)?;
    crate::io::write_json(&json_path, &results.meta)?;
    Ok(vec![csv_path, json_path])
}

/// The draws of a `bootstrap.csv` (or `.parquet`, by extension): the parameter names (every
/// column but `replicate`, `status` and `loglik`, in file order) and one [`Draw`] per row.
/// Files of earlier versions, with a `converged` column of `true`/`false` instead of
/// `status`, read as converged/failed.
pub fn read_draws_table(path: &Path) -> Result<(Vec<String>, Vec<Draw>)> {
    let bad =
        |row: usize, m: String| Error::Results(format!("`{}`, row {row}: {m}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let frame = read_table(&bytes, TableFormat::of(path)).map_err(|e| bad(0, e))?;
    let column = |name: &str| {
        frame.column(name).map_err(|_| {
            bad(
                0,
                format!("no `{name}` column; expected `replicate, status, loglik`, then one column per parameter"),
            )
        })
    };
    let unreadable = |e: PolarsError| bad(0, format!("cannot read the columns ({e})"));
    let numbers = |name: &str| -> Result<Vec<f64>> {
        let c = column(name)?;
        let values = table::floats(c).map_err(unreadable)?;
        let cells = table::text(c).map_err(unreadable)?;
        values
            .iter()
            .zip(cells.iter())
            .enumerate()
            .map(|(i, (v, cell))| {
                v.ok_or_else(|| {
                    bad(
                        i + 1,
                        format!("`{name}` = `{}` is not a number", cell.unwrap_or("")),
                    )
                })
            })
            .collect()
    };
    let status_column = if frame.column("status").is_err() && frame.column("converged").is_ok() {
        "converged"
    } else {
        "status"
    };
    let status = table::text(column(status_column)?)
        .map_err(unreadable)?
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let cell = cell.unwrap_or("");
            ReplicateStatus::parse(cell).ok_or_else(|| {
                bad(
                    i + 1,
                    format!("{status_column} `{cell}` is not one of converged, diverged, failed"),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let replicates = numbers("replicate")?;
    if let Some(i) = replicates
        .iter()
        .position(|&r| r < 0.0 || r.fract() != 0.0 || r > u32::MAX as f64)
    {
        return Err(bad(i + 1, "bad replicate index".into()));
    }
    let loglik = numbers("loglik")?;
    let names: Vec<String> = frame
        .get_column_names()
        .into_iter()
        .map(|c| c.to_string())
        .filter(|c| !["replicate", "status", "converged", "loglik"].contains(&c.as_str()))
        .collect();
    let values = names
        .iter()
        .map(|name| numbers(name))
        .collect::<Result<Vec<_>>>()?;
    let draws = (0..frame.height())
        .map(|i| Draw {
            replicate: replicates[i] as usize,
            status: status[i],
            loglik: loglik[i],
            values: values.iter().map(|v| v[i]).collect(),
        })
        .collect();
    Ok((names, draws))
}

/// Reads `bootstrap.json` and `bootstrap.csv` from `dir`; `Ok(None)` when the folder has no
/// bootstrap.
pub fn load(dir: &Path) -> Result<Option<BootstrapResults>> {
    let json_path = dir.join(META_FILE);
    let csv_path = dir.join(DRAWS_FILE);
    if !json_path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&json_path).map_err(|e| Error::io("read", &json_path, e))?;
    let meta: BootstrapMeta = serde_json::from_str(&text).map_err(|e| {
        Error::Results(format!(
            "`{}` is not a bootstrap.json written by twolevel ({e})",
            json_path.display()
        ))
    })?;
    let (names, draws) = read_draws_table(&csv_path)?;
    if names != meta.parameter_names {
        return Err(Error::Results(format!(
            "`{}`, row 0: the columns do not match the parameters of bootstrap.json ({})",
            csv_path.display(),
            meta.parameter_names.join(", ")
        )));
    }
    Ok(Some(BootstrapResults {
        summary: meta.summary.clone(),
        meta,
        draws,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_replicates() {
        for b in [1usize, 7, 10, 1000] {
            for n in 1..=b.min(9) {
                let mut all = Vec::new();
                for i in 1..=n {
                    all.extend(Shard { index: i, count: n }.range(b));
                }
                assert_eq!(all, (0..b).collect::<Vec<_>>());
            }
        }
        assert_eq!(Shard::parse("3/8").unwrap(), Shard { index: 3, count: 8 });
        for bad in ["0/4", "5/4", "x", "1/0", "1-4"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn replicate_seeds_differ() {
        let seeds: std::collections::HashSet<u64> =
            (0..10_000).map(|b| replicate_seed(1, b)).collect();
        assert_eq!(seeds.len(), 10_000);
        assert_ne!(replicate_seed(1, 0), replicate_seed(2, 0));
    }
}
