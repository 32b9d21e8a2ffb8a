//! The steps a command runs, as library functions: load a spec and its data, fit, predict,
//! simulate. The CLI only parses arguments and prints.

use crate::data::{Dataset, Outcome};
use crate::error::{Error, Result};
use crate::estimate::{fit, Estimates, FitOptions, SeKind};
use crate::likelihood::Model;
use crate::model::{solve_with_proposer, Proposer, Side, Solution};
use crate::spec::{ProposerSpec, SpecFile};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default example's spec, embedded in the binary.
pub const DEFAULT_SPEC: &str = include_str!("../estimation/eu_renegotiation.toml");
/// The default example's data, embedded in the binary.
pub const DEFAULT_DATA: &[u8] = include_bytes!("../data/eu_treaty_ratifications.csv");
/// Where the default spec lives in the repository (names its report folder).
pub const DEFAULT_SPEC_PATH: &str = "estimation/eu_renegotiation.toml";

/// A spec with its data, ready to fit.
#[derive(Debug, Clone)]
pub struct Project {
    /// The spec.
    pub spec: SpecFile,
    /// The data.
    pub data: Dataset,
}

impl Project {
    /// Loads a spec file and the data it names.
    pub fn load(spec_path: &Path) -> Result<Project> {
        let spec = SpecFile::read(spec_path)?;
        let data = Dataset::load(&spec)?;
        Ok(Project { spec, data })
    }

    /// The embedded default example (EU treaty ratifications).
    pub fn default_example() -> Result<Project> {
        let spec = SpecFile::parse(DEFAULT_SPEC, Path::new(DEFAULT_SPEC_PATH))?;
        let data = Dataset::from_bytes(&spec, &spec.data_path(), DEFAULT_DATA.to_vec())?;
        Ok(Project { spec, data })
    }

    /// Loads `spec_path`, or the embedded default when `None`.
    pub fn load_or_default(spec_path: Option<&Path>) -> Result<Project> {
        match spec_path {
            Some(p) => Project::load(p),
            None => Project::default_example(),
        }
    }

    /// The structural model.
    pub fn model(&self) -> Result<Model> {
        Model::new(&self.spec, &self.data)
    }

    /// The default report folder: `reports/<spec stem>/`.
    pub fn default_report_dir(&self) -> PathBuf {
        PathBuf::from("reports").join(self.spec.stem())
    }

    /// Fits the spec to its data.
    pub fn fit(&self, model: &Model) -> Result<Estimates> {
        self.fit_with_checkpoint(model, None)
    }

    /// [`Project::fit`] with a checkpoint of the finished starts (`(file, resume)`, see
    /// [`FitOptions::checkpoint`]).
    pub fn fit_with_checkpoint(
        &self,
        model: &Model,
        checkpoint: Option<(PathBuf, bool)>,
    ) -> Result<Estimates> {
        let options = FitOptions {
            estimation: self.spec.spec.estimation.clone(),
            standard_errors: true,
            checkpoint,
        };
        let before = crate::diagnose::before_fit(&self.spec, &self.data, model)?;
        let mut estimates = fit(
            model,
            &self.data,
            &self.data.outcome,
            &self.data.weight,
            &options,
            None,
        )?;
        let boundary = crate::diagnose::boundary_warnings(&estimates);
        estimates
            .warnings
            .splice(0..0, before.into_iter().chain(boundary));
        Ok(estimates)
    }

    /// Provenance of a run.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            toolkit: format!("twolevel {}", env!("CARGO_PKG_VERSION")),
            spec_path: self.spec.path.display().to_string(),
            spec_sha256: crate::data::hex(&Sha256::digest(self.spec.text.as_bytes())),
            data_path: self.data.path.display().to_string(),
            data_sha256: self.data.hash(),
            seed: self.spec.spec.estimation.seed,
        }
    }
}

/// What produced a report: toolkit version, spec and data hashes, seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `twolevel <version>`.
    pub toolkit: String,
    /// The spec file.
    pub spec_path: String,
    /// SHA-256 of the spec text.
    pub spec_sha256: String,
    /// The data file.
    pub data_path: String,
    /// SHA-256 of the data file.
    pub data_sha256: String,
    /// `[estimation] seed`.
    pub seed: u64,
}

/// `estimates.json`: estimates plus provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Provenance.
    pub provenance: Provenance,
    /// Which SEs the `std_error` column of tables shows.
    pub se_kind: SeKind,
    /// The estimates (flattened: `loglik`, `n_obs`, `converged`, `parameters`, …).
    #[serde(flatten)]
    pub estimates: Estimates,
}

/// Reads natural-scale parameter values from a JSON file: either an object `{name: value}` or
/// an `estimates.json` (its `parameters` list).
pub fn read_params(path: &Path, model: &Model) -> Result<Vec<f64>> {
    let err = |message: String| Error::Params {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => {
            err("the file is not UTF-8 text; save it as UTF-8 JSON".into())
        }
        _ => err(format!(
            "cannot read the file ({e}); check the --params path"
        )),
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| err(format!("not valid JSON ({e}); write an object like {{\"home:const\": 0.4, \"rho\": 0.5}} or pass an estimates.json")))?;
    let mut map = BTreeMap::new();
    let object = value
        .as_object()
        .ok_or_else(|| err("expected a JSON object {name: value} or an estimates.json".into()))?;
    if let Some(list) = object.get("parameters").and_then(|p| p.as_array()) {
        for (i, p) in list.iter().enumerate() {
            let name = p
                .get("name")
                .and_then(|n| n.as_str())
                .ok_or_else(|| err(format!("parameters[{i}] has no `name`")))?;
            let v = p.get("estimate").and_then(|n| n.as_f64()).ok_or_else(|| {
                err(format!(
                    "parameters[{i}] (`{name}`) has no numeric `estimate`"
                ))
            })?;
            map.insert(name.to_string(), v);
        }
    } else {
        for (name, v) in object {
            let v = v.as_f64().ok_or_else(|| {
                err(format!(
                    "`{name}` is {v}, not a number; give each parameter a JSON number on the natural scale, e.g. \"{name}\": 0.5"
                ))
            })?;
            map.insert(name.clone(), v);
        }
    }
    model.space.from_map(&map, path)
}

/// The proposer of a design at parameters `theta`.
pub fn proposer_of(model: &Model, spec: &SpecFile, g: usize, theta: &[f64]) -> Proposer {
    match spec.spec.protocol.proposer {
        ProposerSpec::Foreign => Proposer::Fixed(Side::Foreign),
        ProposerSpec::Home => Proposer::Fixed(Side::Home),
        ProposerSpec::Mixed => Proposer::Mixed {
            p_home: model.primitives(g, theta)[4],
        },
    }
}

/// Solves every design's game at `theta` (parallel, deterministic).
pub fn solve_designs(model: &Model, spec: &SpecFile, theta: &[f64]) -> Vec<Solution> {
    use rayon::prelude::*;
    (0..model.designs.len())
        .into_par_iter()
        .map(|g| {
            let q = model.primitives(g, theta);
            let game = model.game(g, &q, Side::Foreign);
            solve_with_proposer(&game, proposer_of(model, spec, g, theta))
        })
        .collect()
}

/// `predict`: one CSV row per data row with the outcome probabilities and offers.
pub fn predict_csv(project: &Project, model: &Model, theta: &[f64]) -> Result<String> {
    let solutions = solve_designs(model, &project.spec, theta);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = Vec::new();
    if let Some(id) = &project.spec.spec.data.id {
        header.push(id.clone());
    }
    for h in [
        "p_ratified",
        "p_renegotiated",
        "p_failed",
        "offer_poll",
        "offer_vote",
        "offer_renegotiation",
        "home_share",
        "p_strategic",
    ] {
        header.push(h.to_string());
    }
    w.write_record(&header).expect("in-memory CSV");
    for (i, &g) in model.row_design.iter().enumerate() {
        let s = &solutions[g];
        let mut rec: Vec<String> = Vec::new();
        if let Some(ids) = &project.data.id {
            rec.push(ids[i].clone());
        }
        for p in s.probabilities {
            rec.push(format!("{p:.12}"));
        }
        let d = &model.designs[g];
        let offers = s.offers();
        let mut it = offers.iter();
        let mut take = |present: bool| {
            if present {
                it.next().map(|x| format!("{x:.12}")).unwrap_or_default()
            } else {
                String::new()
            }
        };
        rec.push(take(d.protocol.poll));
        rec.push(take(true));
        rec.push(take(d.protocol.renegotiation));
        rec.push(if s.home_share.is_finite() {
            format!("{:.12}", s.home_share)
        } else {
            String::new()
        });
        rec.push(format!("{:.12}", s.p_strategic));
        w.write_record(&rec).expect("in-memory CSV");
    }
    Ok(String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8"))
}

/// Draws one outcome from probabilities with a uniform draw `u`.
pub fn draw_outcome(p: &[f64; 3], u: f64) -> Outcome {
    if u < p[0] {
        Outcome::Ratified
    } else if u < p[0] + p[1] {
        Outcome::Renegotiated
    } else {
        Outcome::Failed
    }
}

/// Simulated outcomes for the data rows at `theta`: rows `rows` (indices into the data), one
/// draw each from a xoshiro256++ stream seeded with `seed`.
pub fn simulate_outcomes(
    model: &Model,
    spec: &SpecFile,
    theta: &[f64],
    rows: &[usize],
    seed: u64,
) -> Vec<Outcome> {
    let solutions = solve_designs(model, spec, theta);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    rows.iter()
        .map(|&i| {
            draw_outcome(
                &solutions[model.row_design[i]].probabilities,
                rng.random::<f64>(),
            )
        })
        .collect()
}

/// `simulate`: the data rows (or `n` rows resampled with the seed) with the outcome column
/// drawn from the model, as CSV text with every original column.
pub fn simulate_csv(
    project: &Project,
    model: &Model,
    theta: &[f64],
    seed: u64,
    n: Option<usize>,
) -> Result<String> {
    let n_rows = project.data.len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x005E_ED0F_D47A);
    let rows: Vec<usize> = match n {
        None => (0..n_rows).collect(),
        Some(n) => (0..n).map(|_| rng.random_range(0..n_rows)).collect(),
    };
    let outcomes = simulate_outcomes(model, &project.spec, theta, &rows, seed);
    let mut reader = csv::ReaderBuilder::new().from_reader(project.data.bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| {
            Error::data(
                &project.data.path,
                None,
                None,
                format!("cannot re-read the header ({e})"),
            )
        })?
        .clone();
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
        Error::data(
            &project.data.path,
            None,
            None,
            format!("cannot re-read the rows ({e})"),
        )
    })?;
    let outcome_col = headers
        .iter()
        .position(|h| h == project.spec.spec.data.outcome)
        .expect("outcome column checked at load");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).expect("in-memory CSV");
    for (&i, y) in rows.iter().zip(&outcomes) {
        let rec: Vec<&str> = records[i]
            .iter()
            .enumerate()
            .map(|(c, v)| if c == outcome_col { y.label() } else { v })
            .collect();
        w.write_record(&rec).expect("in-memory CSV");
    }
    Ok(String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8"))
}
