//! The log-likelihood (MODEL.md §6) as an argmin problem.
//!
//! ```text
//! ℓ(θ) = Σ_i w_i log P_i(y_i | θ),   μ_i = z_iᵀβ,  s = home:scale,  μ_F,i = z_F,iᵀβ_F,
//!                                     logit p_home,i = v_iᵀα,  ρ, δ_R, δ_P, w_poll
//! ```
//!
//! Episodes that share all covariates and protocol share one equilibrium solve: rows are
//! grouped once into *designs*, and `ℓ = Σ_g Σ_y n_{g,y} log P_g(y)` with `n_{g,y}` the
//! weighted count of outcome `y` in design `g`. Designs are summed in fixed chunks of
//! `CHUNK` (256), in parallel with rayon over chunks and in a fixed order within each, so the
//! result is bit-identical for any number of threads.
//!
//! **Two kinds of design.** A logistic one-shot design with a foreign proposer and a one-sided
//! constraint (`Model::is_logistic_one_shot`) has the closed form of MODEL.md §5
//! (`P(ratified) = ω/(1 + ω)`, `ω = W(e^k)`, `k = (1 − μ)/s − 1`, or `G(0)` at the corner
//! `x* = 0`; `crate::model::logistic_one_shot`). Within a chunk such designs are laid out as
//! columns (their home-location covariates and outcome counts), so that `μ_g = z_gᵀβ` is
//! computed column by column and the closed form runs stage by stage over the chunk in
//! straight-line code that the compiler vectorizes: no solver, no allocation. The other
//! designs are solved one by one ([`crate::model::solve_path`]). Each chunk adds its solved
//! designs, then its closed-form ones, each in design order.
//!
//! **Gradient.** Each design's probabilities depend on θ only through a few *primitives*
//! (`μ, log s, μ_F, log s_F, logit p_home, logit ρ, logit δ_R, logit δ_P, logit w_poll`),
//! which are linear in the internal parameters. `∂P/∂primitive` is computed, for the primitives
//! that a free parameter moves and the design's protocol uses: in closed form for one-shot
//! logistic designs (Lambert W) and for `p_home` (the probabilities are linear in it); by the
//! implicit function theorem on the first stage's first-order condition for two-stage designs
//! ([`crate::model::PathSensitivity`]); otherwise by central differences of locally re-solved
//! equilibria (step 1e-5; the solver is accurate to ~1e-14). The chain rule to θ is exact.
//!
//! The optimizer minimizes `−ℓ(θ)/Σw` on the internal scale. Probabilities are floored at
//! 1e-300 inside the logarithm, so the cost is finite for every parameter value an optimizer
//! can try.

use crate::error::{Error, Result};
use crate::model::logistic_one_shot::{
    logistic_one_shot_columns, LogisticOneShot, LogisticOneShotColumns,
};
use crate::model::{
    solve_path, Certificate, Family, Game, Path, PathSensitivity, Proposer, Protocol, Scalars,
    Side, Threshold,
};
use crate::problem::data::{Dataset, Outcome};
use crate::problem::params::{logistic, ParameterSpace, Role};
use crate::problem::spec::{ProposerSpec, SpecFile};
use crate::problem::table::group_rows;
use argmin::core::{CostFunction, Error as ArgminError, Gradient};
use nalgebra::{DMatrix, DVector};
use polars::prelude::{Column, DataFrame, PolarsError, PolarsResult};
use rayon::prelude::*;

/// Floor of a probability inside the logarithm.
pub const PROBABILITY_FLOOR: f64 = 1e-300;
/// Step of the central differences in the primitives.
const FD_STEP: f64 = 1e-5;
/// Designs per unit of parallel work in [`Likelihood::evaluate`].
const CHUNK: usize = 256;

/// The primitives of MODEL.md §6 that a design's game depends on, on their internal scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    /// `μ`.
    HomeLocation = 0,
    /// `log s`.
    HomeLogScale = 1,
    /// `μ_F`.
    ForeignLocation = 2,
    /// `log s_F`.
    ForeignLogScale = 3,
    /// `logit p_home`.
    ProposerLogit = 4,
    /// `logit ρ`.
    Rho = 5,
    /// `logit δ_R`.
    DeltaRatifier = 6,
    /// `logit δ_P`.
    DeltaProposer = 7,
    /// `logit w_poll`.
    PollWeight = 8,
}

const N_PRIMITIVES: usize = 9;

/// One design: a combination of covariates and protocol shared by one or more rows.
#[derive(Debug, Clone)]
pub struct Design {
    /// Values of `[home] location` covariates (1 for `const`).
    pub home: Vec<f64>,
    /// Values of `[foreign] location` covariates.
    pub foreign: Vec<f64>,
    /// Values of `[proposer] index` covariates.
    pub proposer: Vec<f64>,
    /// The protocol.
    pub protocol: Protocol,
    /// Whether the counterpart faces ratification.
    pub foreign_constraint: bool,
}

/// The three covariate indices of a design, as named in its frame's columns (the order of
/// [`crate::problem::spec::Spec::covariate_lists`]).
pub const INDICES: [&str; 3] = ["home", "foreign", "proposer"];

/// The column of a design frame holding covariate `k` of index `index` ([`INDICES`]).
pub fn covariate_column(index: &str, k: usize) -> String {
    format!("{index}.{k}")
}

/// The protocol columns of a design frame.
pub const PROTOCOL_COLUMNS: [&str; 3] = ["poll", "renegotiation", "foreign_constraint"];

/// Each data row's design as a frame: the covariates of `[home] location`, `[foreign]
/// location` and `[proposer] index` in spec order ([`covariate_column`]; `const` is 1) and the
/// protocol flags ([`PROTOCOL_COLUMNS`]). Counterfactual scenarios change its columns before
/// [`Model::from_design_frame`] groups it.
pub fn design_frame(file: &SpecFile, data: &Dataset) -> Result<DataFrame> {
    let spec = &file.spec;
    let n = data.len();
    let mut columns = Vec::new();
    for (index, list) in INDICES.iter().zip(spec.covariate_lists()) {
        for (k, c) in list.iter().enumerate() {
            let name = covariate_column(index, k).into();
            columns.push(match data.covariates.get(c) {
                // + 0.0: −0 and 0 are one value.
                Some(values) => {
                    Column::new(name, values.iter().map(|v| v + 0.0).collect::<Vec<_>>())
                }
                None => Column::new(name, vec![1.0; n]),
            });
        }
    }
    for (name, flags) in
        PROTOCOL_COLUMNS
            .iter()
            .zip([&data.poll, &data.renegotiation, &data.foreign_constraint])
    {
        columns.push(Column::new((*name).into(), flags.as_slice()));
    }
    DataFrame::new(n, columns)
        .map_err(|e| Error::Estimation(format!("cannot build the designs ({e})")))
}

/// Given designs as a frame, as [`design_frame`] lays them out.
fn frame_of_designs(rows: &[Design]) -> Result<DataFrame> {
    let mut columns = Vec::new();
    if let Some(d) = rows.first() {
        for (index, values) in INDICES.iter().zip([&d.home, &d.foreign, &d.proposer]) {
            for k in 0..values.len() {
                let of = |d: &Design| match *index {
                    "home" => d.home[k],
                    "foreign" => d.foreign[k],
                    _ => d.proposer[k],
                };
                columns.push(Column::new(
                    covariate_column(index, k).into(),
                    rows.iter().map(|d| of(d) + 0.0).collect::<Vec<_>>(),
                ));
            }
        }
    }
    let flags: [fn(&Design) -> bool; 3] = [
        |d| d.protocol.poll,
        |d| d.protocol.renegotiation,
        |d| d.foreign_constraint,
    ];
    for (name, flag) in PROTOCOL_COLUMNS.iter().zip(flags) {
        columns.push(Column::new(
            (*name).into(),
            rows.iter().map(flag).collect::<Vec<_>>(),
        ));
    }
    DataFrame::new(rows.len(), columns)
        .map_err(|e| Error::Estimation(format!("cannot build the designs ({e})")))
}

/// The designs at rows `at` of a design frame.
fn designs_at(frame: &DataFrame, at: &[usize]) -> PolarsResult<Vec<Design>> {
    let mut designs: Vec<Design> = at
        .iter()
        .map(|_| Design {
            home: Vec::new(),
            foreign: Vec::new(),
            proposer: Vec::new(),
            protocol: Protocol {
                poll: false,
                renegotiation: false,
            },
            foreign_constraint: false,
        })
        .collect();
    for column in frame.columns() {
        let name = column.name().as_str();
        if let Some(k) = PROTOCOL_COLUMNS.iter().position(|c| *c == name) {
            let values = column.bool()?;
            for (d, &i) in designs.iter_mut().zip(at) {
                let b = values.get(i).unwrap_or(false);
                match k {
                    0 => d.protocol.poll = b,
                    1 => d.protocol.renegotiation = b,
                    _ => d.foreign_constraint = b,
                }
            }
            continue;
        }
        let index = name.split('.').next().unwrap_or("");
        let values = column.f64()?;
        for (d, &i) in designs.iter_mut().zip(at) {
            let v = values.get(i).unwrap_or(f64::NAN);
            match index {
                "home" => d.home.push(v),
                "foreign" => d.foreign.push(v),
                _ => d.proposer.push(v),
            }
        }
    }
    Ok(designs)
}

/// Which proposer the spec's games have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProposerMode {
    Fixed(Side),
    Mixed,
}

/// The structural model for a dataset: designs, the parameter space and how parameters map to
/// each design's primitives.
#[derive(Debug, Clone)]
pub struct Model {
    /// The parameters.
    pub space: ParameterSpace,
    /// The distribution family.
    pub family: Family,
    /// The distinct designs.
    pub designs: Vec<Design>,
    /// `row_design[i]`: the design of data row `i`.
    pub row_design: Vec<usize>,
    proposer: ProposerMode,
    /// `loadings[m]`: `(parameter index, design → d primitive m / d parameter)` for each
    /// parameter that moves primitive `m`.
    loadings: Vec<Vec<(usize, Loading)>>,
    /// The designs' covariates in one contiguous block, `[home…, foreign…, proposer…]` per
    /// design (the hot loop reads them in order; one heap vector per design is slower).
    covariates: Vec<f64>,
    /// Covariates per design in `covariates`, and where the foreign and proposer ones start.
    stride: usize,
    foreign_offset: usize,
    proposer_offset: usize,
}

/// How a parameter enters a primitive: through a covariate of one of the three indices, or
/// directly.
#[derive(Debug, Clone, Copy)]
enum Loading {
    Home(usize),
    Foreign(usize),
    Proposer(usize),
    Direct,
}

impl Model {
    /// Builds the model for a spec and its (already checked) data.
    pub fn new(file: &SpecFile, data: &Dataset) -> Result<Model> {
        Model::from_design_frame(file, &design_frame(file, data)?)
    }

    /// Builds the model, optionally with one design per row given instead of the data's (as
    /// for a grid of covariate values).
    pub fn with_designs(
        file: &SpecFile,
        data: &Dataset,
        rows: Option<Vec<Design>>,
    ) -> Result<Model> {
        match rows {
            None => Model::new(file, data),
            Some(rows) => Model::from_design_frame(file, &frame_of_designs(&rows)?),
        }
    }

    /// Builds the model from each row's design as a frame ([`design_frame`]): rows with equal
    /// covariates and protocol share a design (a polars group-by, designs in order of first
    /// appearance).
    pub fn from_design_frame(file: &SpecFile, frame: &DataFrame) -> Result<Model> {
        let spec = &file.spec;
        let space = ParameterSpace::from_spec(file);
        let frame_error =
            |e: PolarsError| Error::Estimation(format!("cannot group the rows into designs ({e})"));
        let groups = group_rows(frame).map_err(frame_error)?;
        let designs = designs_at(frame, &groups.first).map_err(frame_error)?;
        let row_design = groups.of_row;
        if designs.iter().any(|d| d.foreign_constraint) && spec.foreign.is_none() {
            return Err(Error::Estimation(
                "some rows have a foreign constraint but the spec has no `[foreign]` table; add one".into(),
            ));
        }
        let proposer = match spec.protocol.proposer {
            ProposerSpec::Foreign => ProposerMode::Fixed(Side::Foreign),
            ProposerSpec::Home => ProposerMode::Fixed(Side::Home),
            ProposerSpec::Mixed => ProposerMode::Mixed,
        };
        let mut loadings: Vec<Vec<(usize, Loading)>> = vec![Vec::new(); N_PRIMITIVES];
        let (mut h, mut f, mut p) = (0, 0, 0);
        for (j, par) in space.parameters.iter().enumerate() {
            let (m, loading) = match &par.role {
                Role::HomeLocation(_) => {
                    h += 1;
                    (Primitive::HomeLocation, Loading::Home(h - 1))
                }
                Role::HomeScale => (Primitive::HomeLogScale, Loading::Direct),
                Role::ForeignLocation(_) => {
                    f += 1;
                    (Primitive::ForeignLocation, Loading::Foreign(f - 1))
                }
                Role::ForeignScale => (Primitive::ForeignLogScale, Loading::Direct),
                Role::ProposerIndex(_) => {
                    p += 1;
                    (Primitive::ProposerLogit, Loading::Proposer(p - 1))
                }
                Role::Rho => (Primitive::Rho, Loading::Direct),
                Role::DeltaRatifier => (Primitive::DeltaRatifier, Loading::Direct),
                Role::DeltaProposer => (Primitive::DeltaProposer, Loading::Direct),
                Role::PollWeight => (Primitive::PollWeight, Loading::Direct),
            };
            loadings[m as usize].push((j, loading));
        }
        let foreign_offset = designs.first().map_or(0, |d: &Design| d.home.len());
        let proposer_offset = foreign_offset + designs.first().map_or(0, |d| d.foreign.len());
        let stride = proposer_offset + designs.first().map_or(0, |d| d.proposer.len());
        let covariates: Vec<f64> = designs
            .iter()
            .flat_map(|d| d.home.iter().chain(&d.foreign).chain(&d.proposer).copied())
            .collect();
        if covariates.len() != stride * designs.len() {
            return Err(Error::Estimation(
                "designs with different numbers of covariates (an internal error; please report it)"
                    .into(),
            ));
        }
        Ok(Model {
            space,
            family: spec.model.family,
            designs,
            row_design,
            proposer,
            loadings,
            covariates,
            stride,
            foreign_offset,
            proposer_offset,
        })
    }

    /// Number of data rows.
    pub fn n_rows(&self) -> usize {
        self.row_design.len()
    }

    /// The primitives of design `g` at natural-scale parameters `theta` (all parameters):
    /// natural values `[μ, s, μ_F, s_F, p_home, ρ, δ_R, δ_P, w_poll]`.
    pub fn primitives(&self, g: usize, theta: &[f64]) -> [f64; N_PRIMITIVES] {
        let mut q = [0.0; N_PRIMITIVES];
        let mut proposer_index = 0.0;
        for (m, list) in self.loadings.iter().enumerate() {
            for &(j, loading) in list {
                let v = theta[j];
                match loading {
                    Loading::Proposer(_) => proposer_index += v * self.loading_value(g, loading),
                    Loading::Direct => q[m] = v,
                    _ => q[m] += v * self.loading_value(g, loading),
                }
            }
        }
        q[Primitive::ProposerLogit as usize] = match self.proposer {
            ProposerMode::Mixed => logistic(proposer_index),
            ProposerMode::Fixed(Side::Home) => 1.0,
            ProposerMode::Fixed(Side::Foreign) => 0.0,
        };
        q
    }

    /// `∂ primitive / ∂ parameter` of a loading at design `g`: its covariate, or 1.
    #[inline]
    fn loading_value(&self, g: usize, loading: Loading) -> f64 {
        let at = |offset: usize| self.covariates[g * self.stride + offset];
        match loading {
            Loading::Home(k) => at(k),
            Loading::Foreign(k) => at(self.foreign_offset + k),
            Loading::Proposer(k) => at(self.proposer_offset + k),
            Loading::Direct => 1.0,
        }
    }

    /// Who proposes in design `g` at parameters `theta`: the spec's fixed side, or the mixed
    /// proposer with `P(home proposes) = logistic(v_gᵀα)`.
    pub fn proposer(&self, g: usize, theta: &[f64]) -> Proposer {
        match self.proposer {
            ProposerMode::Fixed(side) => Proposer::Fixed(side),
            ProposerMode::Mixed => Proposer::Mixed {
                p_home: self.primitives(g, theta)[Primitive::ProposerLogit as usize],
            },
        }
    }

    /// The game of design `g` with the given proposer side, from natural primitives.
    pub fn game(&self, g: usize, q: &[f64; N_PRIMITIVES], side: Side) -> Game {
        let d = &self.designs[g];
        Game {
            home: Threshold::new(self.family, q[0], q[1]),
            foreign: d
                .foreign_constraint
                .then(|| Threshold::new(self.family, q[2], q[3])),
            proposer: side,
            protocol: d.protocol,
            scalars: Scalars {
                rho: q[5],
                delta_ratifier: q[6],
                delta_proposer: q[7],
                poll_weight: q[8],
            },
        }
    }

    /// Equilibrium paths of design `g` for each proposer side: `(foreign proposes, home
    /// proposes)`, each `None` when it has zero weight. With `near`, each side is re-solved
    /// locally around the given paths (see [`solve_path`]).
    fn side_paths(
        &self,
        g: usize,
        q: &[f64; N_PRIMITIVES],
        near: Option<&[Option<Path>; 2]>,
    ) -> [Option<Path>; 2] {
        let p_home = q[4];
        let side =
            |s: Side, i: usize| solve_path(&self.game(g, q, s), near.and_then(|n| n[i].as_ref()));
        [
            (p_home < 1.0).then(|| side(Side::Foreign, 0)),
            (p_home > 0.0).then(|| side(Side::Home, 1)),
        ]
    }

    /// Outcome probabilities `[ratified, renegotiated, failed]` of design `g` for each proposer
    /// side.
    fn side_probabilities(&self, g: usize, q: &[f64; N_PRIMITIVES]) -> [Option<[f64; 3]>; 2] {
        self.side_paths(g, q, None)
            .map(|p| p.map(|p| p.probabilities))
    }

    /// Mixed outcome probabilities of design `g`.
    pub fn probabilities(&self, g: usize, theta: &[f64]) -> [f64; 3] {
        let q = self.primitives(g, theta);
        mix(self.side_probabilities(g, &q), q[4])
    }

    /// Outcome probabilities of every design (parallel, deterministic).
    pub fn design_probabilities(&self, theta: &[f64]) -> Vec<[f64; 3]> {
        (0..self.designs.len())
            .into_par_iter()
            .map(|g| self.probabilities(g, theta))
            .collect()
    }

    /// Design `g` is a one-shot, one-sided logistic game with a foreign proposer: its outcome
    /// probabilities have the Lambert-W closed form, and so do their derivatives.
    fn is_logistic_one_shot(&self, g: usize) -> bool {
        let d = &self.designs[g];
        self.family == Family::Logistic
            && self.proposer == ProposerMode::Fixed(Side::Foreign)
            && !d.protocol.poll
            && !d.protocol.renegotiation
            && !d.foreign_constraint
    }

    /// Is primitive `m` used by design `g` and moved by a free parameter?
    fn active(&self, g: usize, m: usize, free_index: &[Option<usize>]) -> bool {
        let d = &self.designs[g];
        let used = match m {
            0 | 1 => true,
            2 | 3 => d.foreign_constraint,
            4 => self.proposer == ProposerMode::Mixed,
            5..=7 => d.protocol.renegotiation,
            8 => d.protocol.poll,
            _ => false,
        };
        used && self.loadings[m]
            .iter()
            .any(|&(j, _)| free_index[j].is_some())
    }

    /// `Σ_y n_y log P_y` for design `g`; with `gradient = Some(slots)` its derivative with
    /// respect to the free internal parameters is added into `slots`, and with
    /// `information = Some(..)` its term of the expected information (designs solved by the
    /// equilibrium solver only: the closed-form designs' terms are added column-wise).
    fn design_contribution(
        &self,
        g: usize,
        theta: &[f64],
        counts: &[f64; 3],
        free_index: &[Option<usize>],
        gradient: Option<&mut [f64]>,
        mut information: Option<&mut ExpectedInformation>,
    ) -> f64 {
        let q = self.primitives(g, theta);
        if let Some(info) = information.as_deref_mut() {
            info.clear_jacobian();
        }
        if self.is_logistic_one_shot(g) {
            let closed = LogisticOneShot::new(q[0], q[1]);
            let (value, d_location, d_log_scale) = one_shot_contribution(&closed, *counts);
            if let Some(grad) = gradient {
                for (m, dm) in [(0, d_location), (1, d_log_scale)] {
                    self.add_to_gradient(g, m, dm, free_index, grad);
                }
            }
            // Their information is added column-wise (`Likelihood::closed_form_information`).
            debug_assert!(information.is_none());
            return value;
        }
        let log_lik = |p: &[f64; 3]| -> f64 {
            (0..3)
                .filter(|&y| counts[y] > 0.0)
                .map(|y| counts[y] * p[y].max(PROBABILITY_FLOOR).ln())
                .sum()
        };
        let paths = self.side_paths(g, &q, None);
        if paths
            .iter()
            .flatten()
            .any(|p| p.certificate == Certificate::Failed)
        {
            PROCESS_FAILED_SOLVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let sides = paths.map(|p| p.map(|p| p.probabilities));
        let p = mix(sides, q[4]);
        let value = log_lik(&p);
        let Some(grad) = gradient else {
            return value;
        };
        let games = [Side::Foreign, Side::Home].map(|side| self.game(g, &q, side));
        let sensitivities = [0, 1].map(|i| {
            paths[i]
                .as_ref()
                .map(|path| PathSensitivity::new(&games[i], path))
        });
        for m in 0..N_PRIMITIVES {
            if !self.active(g, m, free_index) {
                continue;
            }
            // d ℓ_g / d (internal primitive m).
            let dm = if m == Primitive::ProposerLogit as usize {
                let p_home = q[4];
                let dp = p_home * (1.0 - p_home);
                let (pf, ph) = (sides[0].unwrap_or([0.0; 3]), sides[1].unwrap_or([0.0; 3]));
                if let Some(info) = information.as_deref_mut() {
                    let dp = [0, 1, 2].map(|y| dp * (ph[y] - pf[y]));
                    self.add_to_jacobian(g, m, dp, free_index, info);
                }
                (0..3)
                    .filter(|&y| counts[y] > 0.0)
                    .map(|y| counts[y] * dp * (ph[y] - pf[y]) / p[y].max(PROBABILITY_FLOOR))
                    .sum()
            } else {
                // dP/d(internal primitive m), side by side, then mixed.
                let shift = |t: f64| {
                    let mut r = q;
                    r[m] = match m {
                        0 | 2 => q[m] + t,
                        1 | 3 => q[m] * t.exp(),
                        _ => logistic(logit(q[m]) + t),
                    };
                    r
                };
                let mut dp = [0.0; 3];
                for (i, (side, weight)) in [(Side::Foreign, 1.0 - q[4]), (Side::Home, q[4])]
                    .into_iter()
                    .enumerate()
                {
                    let Some(sensitivity) = &sensitivities[i] else {
                        continue;
                    };
                    let d = sensitivity.derivative(|t| self.game(g, &shift(t), side), FD_STEP);
                    for y in 0..3 {
                        dp[y] += weight * d[y];
                    }
                }
                if let Some(info) = information.as_deref_mut() {
                    self.add_to_jacobian(g, m, dp, free_index, info);
                }
                (0..3)
                    .filter(|&y| counts[y] > 0.0)
                    .map(|y| counts[y] * dp[y] / p[y].max(PROBABILITY_FLOOR))
                    .sum()
            };
            self.add_to_gradient(g, m, dm, free_index, grad);
        }
        if let Some(info) = information {
            info.add_design(counts, &p);
        }
        value
    }

    /// Adds `dP/d(internal primitive m) · d primitive m/dθ_j` into the Jacobian row of each
    /// free parameter `j` that moves primitive `m` (the chain rule of [`Self::add_to_gradient`]
    /// for the probabilities themselves).
    fn add_to_jacobian(
        &self,
        g: usize,
        m: usize,
        dp: [f64; 3],
        free_index: &[Option<usize>],
        info: &mut ExpectedInformation,
    ) {
        for (k, v) in self.chain_rule(g, m, free_index) {
            for (row, d) in info.jacobian[k].iter_mut().zip(dp) {
                *row += d * v;
            }
        }
    }

    /// Adds `dℓ_g/d(internal primitive m) · d primitive m/dθ_j` into the slot of each free
    /// parameter `j` that moves primitive `m` (the chain rule of design `g`).
    #[inline]
    fn add_to_gradient(
        &self,
        g: usize,
        m: usize,
        dm: f64,
        free_index: &[Option<usize>],
        grad: &mut [f64],
    ) {
        for (k, v) in self.chain_rule(g, m, free_index) {
            grad[k] += dm * v;
        }
    }

    /// `(k, d primitive m/dθ_j)` for each free parameter `j` (slot `k` among the free ones)
    /// that moves primitive `m` of design `g`: the chain rule's factors.
    #[inline]
    fn chain_rule<'s>(
        &'s self,
        g: usize,
        m: usize,
        free_index: &'s [Option<usize>],
    ) -> impl Iterator<Item = (usize, f64)> + 's {
        self.loadings[m].iter().filter_map(move |&(j, loading)| {
            free_index[j].map(|k| (k, self.loading_value(g, loading)))
        })
    }

    /// `s`, the home scale at natural parameters `theta` (one parameter, the same in every
    /// design: as [`Model::primitives`] has it).
    fn home_scale(&self, theta: &[f64]) -> f64 {
        self.loadings[Primitive::HomeLogScale as usize]
            .last()
            .map_or(0.0, |&(j, _)| theta[j])
    }
}

/// `log 1e-300`: [`PROBABILITY_FLOOR`] inside the logarithm.
const LOG_PROBABILITY_FLOOR: f64 = -690.775_527_898_213_7;

/// `Σ_y n_y log max(P_y, floor)` of a logistic one-shot design from its closed form
/// ([`LogisticOneShot`]; `P(renegotiated) = 0`), and its derivatives with respect to `μ` and
/// `log s`: `dℓ/dt = n_ratified·P(failed) − n_failed·P(ratified)` times `dt/dμ`, `dt/d log s`
/// (the floor does not enter the derivatives).
#[inline(always)]
fn one_shot_contribution(closed: &LogisticOneShot, counts: [f64; 3]) -> (f64, f64, f64) {
    let [ratified, renegotiated, failed] = counts;
    let value = ratified * closed.log_p_ratified.max(LOG_PROBABILITY_FLOOR)
        + renegotiated * LOG_PROBABILITY_FLOOR
        + failed * closed.log_p_failed.max(LOG_PROBABILITY_FLOOR);
    let d_offer = ratified * closed.p_failed - failed * closed.p_ratified;
    (
        value,
        d_offer * closed.dt_dlocation,
        d_offer * closed.dt_dlog_scale,
    )
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Mixes the outcome probabilities of the two proposer sides with weights `1 − p_home`, `p_home`.
pub(super) fn mix(sides: [Option<[f64; 3]>; 2], p_home: f64) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (side, w) in sides.iter().zip([1.0 - p_home, p_home]) {
        if let Some(p) = side {
            for y in 0..3 {
                out[y] += w * p[y];
            }
        }
    }
    out
}

/// `ℓ_g`, `dℓ_g/dμ_g` and `dℓ_g/d log s` of closed-form designs with locations `location`
/// (at most [`CHUNK`]), scale `scale` and outcome counts `counts`, into `out`: the closed form
/// stage by stage over columns ([`logistic_one_shot_columns`]), then one loop for the
/// likelihood, all of which the compiler vectorizes.
fn closed_form_columns(location: &[f64], scale: f64, counts: [&[f64]; 3], out: [&mut [f64]; 3]) {
    let n = location.len();
    let mut columns = [[0.0; CHUNK]; 7];
    logistic_one_shot_columns(
        location,
        scale,
        LogisticOneShotColumns::from_columns(columns.each_mut().map(|c| &mut c[..n])),
    );
    let [t, p_ratified, p_failed, log_p_ratified, log_p_failed, dt_dlocation, dt_dlog_scale] =
        columns.each_ref().map(|c| &c[..n]);
    let [ratified, renegotiated, failed] = counts.map(|c| &c[..n]);
    let [values, d_location, d_log_scale] = out.map(|c| &mut c[..n]);
    for i in 0..n {
        let closed = LogisticOneShot {
            standardized_offer: t[i],
            p_ratified: p_ratified[i],
            p_failed: p_failed[i],
            log_p_ratified: log_p_ratified[i],
            log_p_failed: log_p_failed[i],
            dt_dlocation: dt_dlocation[i],
            dt_dlog_scale: dt_dlog_scale[i],
        };
        (values[i], d_location[i], d_log_scale[i]) =
            one_shot_contribution(&closed, [ratified[i], renegotiated[i], failed[i]]);
    }
}

/// A point with `ℓ`, `∇ℓ` and, if it was asked for, the expected information there.
type Evaluated = (Vec<f64>, f64, Vec<f64>, Option<DMatrix<f64>>);

/// The expected (Fisher) information of the designs' outcome counts, summed design by design:
///
/// ```text
/// I(θ) = Σ_g N_g Σ_y (∂P_gy/∂θ)(∂P_gy/∂θ)ᵀ / P_gy,    N_g = Σ_y n_gy
/// ```
///
/// (`n_gy`: the weighted count of outcome `y` in design `g`; θ: the free internal
/// parameters). It is `E[−∇²ℓ]` under the model at θ: positive semi-definite at every θ, and
/// the observed information at a well-specified maximum up to sampling noise, so a Newton
/// step with it (Fisher scoring) is an ascent direction everywhere and nearly Newton's step
/// near the maximum. The per-design `∂P/∂θ` are the derivatives the gradient already takes.
#[derive(Debug, Clone)]
pub(crate) struct ExpectedInformation {
    n: usize,
    /// `∂P_y/∂θ_k` of the current design (row `k`).
    jacobian: Vec<[f64; 3]>,
    /// The sum so far, row-major `n × n`.
    matrix: Vec<f64>,
}

impl ExpectedInformation {
    fn new(n: usize) -> ExpectedInformation {
        ExpectedInformation {
            n,
            jacobian: vec![[0.0; 3]; n],
            matrix: vec![0.0; n * n],
        }
    }

    fn clear_jacobian(&mut self) {
        self.jacobian.iter_mut().for_each(|row| *row = [0.0; 3]);
    }

    /// Adds the current design's term with outcome counts `counts` and probabilities `p`
    /// (outcomes with `P ≤` [`PROBABILITY_FLOOR`] add nothing).
    fn add_design(&mut self, counts: &[f64; 3], p: &[f64; 3]) {
        let total: f64 = counts.iter().sum();
        for (y, &p_y) in p.iter().enumerate() {
            if p_y <= PROBABILITY_FLOOR {
                continue;
            }
            let w = total / p_y;
            for k in 0..self.n {
                let a = w * self.jacobian[k][y];
                if a == 0.0 {
                    continue;
                }
                let row = &mut self.matrix[k * self.n..(k + 1) * self.n];
                for (entry, column) in row.iter_mut().zip(&self.jacobian) {
                    *entry += a * column[y];
                }
            }
        }
    }

    /// Adds `w·a aᵀ`.
    fn add_outer(&mut self, w: f64, a: &[f64]) {
        for (row, &a_k) in self.matrix.chunks_mut(self.n).zip(a) {
            let wa = w * a_k;
            if wa == 0.0 {
                continue;
            }
            for (entry, &a_l) in row.iter_mut().zip(a) {
                *entry += wa * a_l;
            }
        }
    }
}

/// Likelihood evaluations in this process, `[without gradient, with gradient]`: what a
/// command's phases cost in solves of the whole data (recorded next to their times).
static PROCESS_EVALUATIONS: [std::sync::atomic::AtomicU64; 2] = [
    std::sync::atomic::AtomicU64::new(0),
    std::sync::atomic::AtomicU64::new(0),
];

/// Design solves in likelihood evaluations whose numerical solve failed
/// ([`Certificate::Failed`]: the probabilities are the best found, without a statement), in
/// this process.
static PROCESS_FAILED_SOLVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Failed design solves so far in this process (`PROCESS_FAILED_SOLVES`); the fit reports
/// how many happened while it ran.
pub fn process_failed_solves() -> u64 {
    PROCESS_FAILED_SOLVES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Likelihood evaluations so far in this process, `[without gradient, with gradient]`, by
/// every [`Likelihood`].
pub fn process_evaluations() -> [u64; 2] {
    PROCESS_EVALUATIONS
        .each_ref()
        .map(|c| c.load(std::sync::atomic::Ordering::Relaxed))
}

/// The designs that have outcomes, chunk by chunk ([`CHUNK`] designs, in design order): those
/// with the logistic one-shot closed form ([`Model::is_logistic_one_shot`]) as columns for its
/// loop, the others by index for the solver.
#[derive(Debug, Clone, Default)]
struct DesignLayout {
    /// Designs that need the equilibrium solver; chunk `c`'s are
    /// `solved[solved_start[c]..solved_start[c + 1]]`.
    solved: Vec<usize>,
    solved_start: Vec<usize>,
    /// Closed-form designs: column `k` holds home-location covariate `k` of each; chunk `c`'s
    /// are at `closed_form_start[c]..closed_form_start[c + 1]`.
    closed_form_covariates: Vec<Vec<f64>>,
    /// Their weighted outcome counts, one column per outcome.
    closed_form_counts: [Vec<f64>; 3],
    closed_form_start: Vec<usize>,
    /// `(gradient slot, home covariate)` of each free home-location parameter, and the slots of
    /// a free home scale: where the closed form's derivatives go.
    location_slots: Vec<(usize, usize)>,
    scale_slots: Vec<usize>,
}

impl DesignLayout {
    fn new(model: &Model, counts: &[[f64; 3]], free_index: &[Option<usize>]) -> DesignLayout {
        let mut layout = DesignLayout {
            closed_form_covariates: vec![Vec::new(); model.foreign_offset],
            ..DesignLayout::default()
        };
        for (chunk, designs) in counts.chunks(CHUNK).enumerate() {
            layout.solved_start.push(layout.solved.len());
            layout
                .closed_form_start
                .push(layout.closed_form_counts[0].len());
            for (i, count) in designs.iter().enumerate() {
                let g = chunk * CHUNK + i;
                if count.iter().all(|&c| c == 0.0) {
                    continue;
                }
                if !model.is_logistic_one_shot(g) {
                    layout.solved.push(g);
                    continue;
                }
                for (k, column) in layout.closed_form_covariates.iter_mut().enumerate() {
                    column.push(model.loading_value(g, Loading::Home(k)));
                }
                for (column, &c) in layout.closed_form_counts.iter_mut().zip(count) {
                    column.push(c);
                }
            }
        }
        layout.solved_start.push(layout.solved.len());
        layout
            .closed_form_start
            .push(layout.closed_form_counts[0].len());
        for (m, list) in model.loadings.iter().enumerate().take(2) {
            for &(j, loading) in list {
                match (free_index[j], loading) {
                    (Some(slot), Loading::Home(k)) => layout.location_slots.push((slot, k)),
                    (Some(slot), _) if m == Primitive::HomeLogScale as usize => {
                        layout.scale_slots.push(slot)
                    }
                    _ => {}
                }
            }
        }
        layout
    }
}

/// The likelihood of a model for given per-row weights: the argmin problem. It borrows the
/// model and exists to be handed to argmin.
#[derive(Debug, Clone)]
pub struct Likelihood<'a> {
    model: &'a Model,
    /// Weighted outcome counts per design.
    counts: Vec<[f64; 3]>,
    /// The designs with outcomes, by chunk and by kind of solve.
    layout: DesignLayout,
    /// `Σ_i w_i`.
    total_weight: f64,
    /// For each parameter, its position among the free ones.
    free_index: Vec<Option<usize>>,
    /// The last point the optimizer asked about, with `ℓ`, `∇ℓ` and, when it was asked for,
    /// the expected information there: argmin asks for the cost and then the gradient (and
    /// the Hessian) at each trial point, and all come from one evaluation.
    last: std::sync::Arc<std::sync::Mutex<Option<Evaluated>>>,
    /// How many times [`Likelihood::evaluate`] ran (shared by clones).
    evaluations: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<'a> Likelihood<'a> {
    /// The likelihood of the data's outcomes with row weights `weights` (the data's weight
    /// column, times bootstrap multiplicities where resampled).
    pub fn new(model: &'a Model, outcomes: &[Outcome], weights: &[f64]) -> Likelihood<'a> {
        let mut counts = vec![[0.0; 3]; model.designs.len()];
        for ((&g, y), &w) in model.row_design.iter().zip(outcomes).zip(weights) {
            counts[g][y.index()] += w;
        }
        let mut k = 0;
        let free_index: Vec<Option<usize>> = model
            .space
            .parameters
            .iter()
            .map(|p| {
                p.fixed.is_none().then(|| {
                    k += 1;
                    k - 1
                })
            })
            .collect();
        Likelihood {
            model,
            layout: DesignLayout::new(model, &counts, &free_index),
            counts,
            total_weight: weights.iter().sum(),
            free_index,
            last: Default::default(),
            evaluations: Default::default(),
        }
    }

    /// `(ℓ, ∇ℓ)` at `x` for the optimizer: one evaluation serves the cost and the gradient
    /// requests at the same point (bit-identical to separate evaluations).
    pub fn value_and_gradient(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let (value, grad, _) = self.cached(x, false);
        (value, grad)
    }

    /// `(ℓ, ∇ℓ, I)` at `x`, with `I` if `with_information`, from the last point when `x` is
    /// that point (bit for bit) and it has what is asked, else from one evaluation,
    /// which becomes the last point.
    fn cached(&self, x: &[f64], with_information: bool) -> (f64, Vec<f64>, Option<DMatrix<f64>>) {
        let mut last = self.last.lock().expect("likelihood cache");
        if let Some((y, value, grad, info)) = last.as_ref() {
            let same =
                y.len() == x.len() && y.iter().zip(x).all(|(a, b)| a.to_bits() == b.to_bits());
            if same && (info.is_some() || !with_information) {
                return (*value, grad.clone(), info.clone());
            }
        }
        let (value, grad, info) = self.evaluate_parts(x, true, with_information);
        let n = grad.len();
        let info = with_information.then(|| DMatrix::from_row_slice(n, n, &info));
        *last = Some((x.to_vec(), value, grad.clone(), info.clone()));
        (value, grad, info)
    }

    /// How many times the likelihood (with or without gradient) was evaluated, by this
    /// problem and its clones.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The model.
    pub fn model(&self) -> &Model {
        self.model
    }

    /// `Σ_i w_i`.
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// Number of distinct designs (the equilibria one evaluation solves).
    pub fn n_designs(&self) -> usize {
        self.model.designs.len()
    }

    /// Number of free parameters.
    pub fn n_free(&self) -> usize {
        self.free_index.iter().flatten().count()
    }

    /// `ℓ(θ)` and, if asked, `∇ℓ` over the free parameters (internal scale).
    pub fn evaluate(&self, internal: &[f64], with_gradient: bool) -> (f64, Vec<f64>) {
        let (value, grad, _) = self.evaluate_parts(internal, with_gradient, false);
        (value, grad)
    }

    /// `(ℓ, ∇ℓ, I)` at `x`: with the expected information `I` over the free parameters
    /// (internal scale; see `ExpectedInformation`), from one pass over the designs. The
    /// last point is kept, as for [`Likelihood::value_and_gradient`] (argmin asks for the
    /// cost, the gradient and the Hessian at each point).
    pub fn value_gradient_information(&self, x: &[f64]) -> (f64, Vec<f64>, DMatrix<f64>) {
        let (value, grad, info) = self.cached(x, true);
        (value, grad, info.expect("asked with the information"))
    }

    /// `ℓ(θ)`, `∇ℓ` if asked and the expected information (row-major) if asked.
    fn evaluate_parts(
        &self,
        internal: &[f64],
        with_gradient: bool,
        with_information: bool,
    ) -> (f64, Vec<f64>, Vec<f64>) {
        self.evaluations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PROCESS_EVALUATIONS[usize::from(with_gradient)]
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let theta = self.model.space.to_natural(internal);
        let n_designs = self.model.designs.len();
        let n_free = self.n_free();
        // Designs are summed in fixed chunks, in order within and across chunks: the chunks do
        // not depend on the number of threads, so neither does any rounding.
        let parts: Vec<(f64, Vec<f64>, Option<ExpectedInformation>)> = (0..n_designs
            .div_ceil(CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let mut value = 0.0;
                let mut grad = vec![0.0; if with_gradient { n_free } else { 0 }];
                let mut info = with_information.then(|| ExpectedInformation::new(n_free));
                let layout = &self.layout;
                for &g in &layout.solved[layout.solved_start[chunk]..layout.solved_start[chunk + 1]]
                {
                    value += self.model.design_contribution(
                        g,
                        &theta,
                        &self.counts[g],
                        &self.free_index,
                        with_gradient.then_some(&mut grad[..]),
                        info.as_mut(),
                    );
                }
                value +=
                    self.closed_form_chunk(chunk, &theta, with_gradient.then_some(&mut grad[..]));
                if let Some(info) = info.as_mut() {
                    self.closed_form_information(chunk, &theta, info);
                }
                (value, grad, info)
            })
            .collect();
        let mut value = 0.0;
        let mut grad = vec![0.0; n_free];
        let mut info = vec![0.0; if with_information { n_free * n_free } else { 0 }];
        for (v, gs, i) in parts {
            value += v;
            for (total, d) in grad.iter_mut().zip(gs) {
                *total += d;
            }
            if let Some(i) = i {
                for (total, d) in info.iter_mut().zip(i.matrix) {
                    *total += d;
                }
            }
        }
        (value, grad, info)
    }

    /// `μ_g = Σ_j β_j z_gj` of the closed-form designs `range` (at most [`CHUNK`]) into
    /// `location`, in the order of [`Model::primitives`].
    fn closed_form_locations(
        &self,
        range: std::ops::Range<usize>,
        theta: &[f64],
        location: &mut [f64],
    ) {
        for &(j, loading) in &self.model.loadings[Primitive::HomeLocation as usize] {
            if let Loading::Home(k) = loading {
                let beta = theta[j];
                let covariate = &self.layout.closed_form_covariates[k][range.clone()];
                for (mu, z) in location.iter_mut().zip(covariate) {
                    *mu += beta * z;
                }
            }
        }
    }

    /// Adds the expected information of the closed-form designs of chunk `chunk`: per design
    /// `N·P_r·P_f·a aᵀ` with `a = ∂t/∂θ` (`P_ratified = Λ(t)` of the standardized offer `t`).
    fn closed_form_information(&self, chunk: usize, theta: &[f64], info: &mut ExpectedInformation) {
        let layout = &self.layout;
        let range = layout.closed_form_start[chunk]..layout.closed_form_start[chunk + 1];
        if range.is_empty() {
            return;
        }
        let mut location = [0.0; CHUNK];
        let location = &mut location[..range.len()];
        self.closed_form_locations(range.clone(), theta, location);
        let scale = self.model.home_scale(theta);
        let mut a = vec![0.0; info.n];
        for (design, &mu) in range.zip(location.iter()) {
            let closed = LogisticOneShot::new(mu, scale);
            a.iter_mut().for_each(|x| *x = 0.0);
            for &(slot, k) in &layout.location_slots {
                a[slot] += closed.dt_dlocation * layout.closed_form_covariates[k][design];
            }
            for &slot in &layout.scale_slots {
                a[slot] += closed.dt_dlog_scale;
            }
            let total: f64 = layout.closed_form_counts.iter().map(|c| c[design]).sum();
            info.add_outer(total * closed.p_ratified * closed.p_failed, &a);
        }
    }

    /// `Σ ℓ_g` over the closed-form designs of chunk `chunk` (in design order), with their
    /// gradient added into `grad`: the linear index `μ_g` column by column, then the closed
    /// form design by design (no solver, no allocation).
    fn closed_form_chunk(&self, chunk: usize, theta: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let layout = &self.layout;
        let range = layout.closed_form_start[chunk]..layout.closed_form_start[chunk + 1];
        if range.is_empty() {
            return 0.0;
        }
        let mut location = [0.0; CHUNK];
        let location = &mut location[..range.len()];
        self.closed_form_locations(range.clone(), theta, location);
        let scale = self.model.home_scale(theta);
        let counts = layout
            .closed_form_counts
            .each_ref()
            .map(|c| &c[range.clone()]);
        // The closed form design by design into columns: straight-line code, vectorized.
        let (mut values, mut d_location, mut d_log_scale) =
            ([0.0; CHUNK], [0.0; CHUNK], [0.0; CHUNK]);
        closed_form_columns(
            location,
            scale,
            counts,
            [
                &mut values[..location.len()],
                &mut d_location[..location.len()],
                &mut d_log_scale[..location.len()],
            ],
        );
        // Sums in design order.
        let value = values[..location.len()].iter().sum();
        if let Some(grad) = grad {
            for &(slot, k) in &layout.location_slots {
                let covariate = &layout.closed_form_covariates[k][range.clone()];
                for (d, z) in d_location.iter().zip(covariate) {
                    grad[slot] += d * z;
                }
            }
            for &slot in &layout.scale_slots {
                for d in &d_log_scale[..location.len()] {
                    grad[slot] += d;
                }
            }
        }
        value
    }

    /// `ℓ(θ)` at internal parameters.
    pub fn log_likelihood(&self, internal: &[f64]) -> f64 {
        self.evaluate(internal, false).0
    }

    /// Per-row scores `∂ log P_i(y_i)/∂θ` (internal scale, free parameters), unweighted: one
    /// vector per data row (rows of a design share their design's score per outcome).
    pub fn row_scores(&self, internal: &[f64], outcomes: &[Outcome]) -> Vec<Vec<f64>> {
        let theta = self.model.space.to_natural(internal);
        let n_free = self.n_free();
        // Score of one observation of each outcome in each design.
        let per_design: Vec<[Vec<f64>; 3]> = (0..self.model.designs.len())
            .into_par_iter()
            .map(|g| {
                let mut out: [Vec<f64>; 3] =
                    [vec![0.0; n_free], vec![0.0; n_free], vec![0.0; n_free]];
                for (y, slot) in out.iter_mut().enumerate() {
                    let mut unit = [0.0; 3];
                    unit[y] = 1.0;
                    self.model.design_contribution(
                        g,
                        &theta,
                        &unit,
                        &self.free_index,
                        Some(slot),
                        None,
                    );
                }
                out
            })
            .collect();
        self.model
            .row_design
            .iter()
            .zip(outcomes)
            .map(|(&g, y)| per_design[g][y.index()].clone())
            .collect()
    }
}

impl CostFunction for Likelihood<'_> {
    type Param = DVector<f64>;
    type Output = f64;

    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, ArgminError> {
        Ok(-self.value_and_gradient(p.as_slice()).0 / self.total_weight)
    }
}

impl Gradient for Likelihood<'_> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;

    fn gradient(&self, p: &Self::Param) -> std::result::Result<DVector<f64>, ArgminError> {
        let (_, g) = self.value_and_gradient(p.as_slice());
        Ok(DVector::from_iterator(
            g.len(),
            g.into_iter().map(|d| -d / self.total_weight),
        ))
    }
}
