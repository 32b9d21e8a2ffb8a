//! The estimation problem: a spec and its data, loaded and validated ([`Project`]), the
//! structural model built from them ([`Project::model`]: designs, outcomes, weights, clusters),
//! the provenance of a run, and parameter values read from a file. Fitting lives one layer up,
//! in [`crate::estimate`].

use crate::error::{Error, Result};
use crate::problem::data::Dataset;
use crate::problem::likelihood::Model;
use crate::problem::spec::SpecFile;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default example's spec, embedded in the binary.
pub const DEFAULT_SPEC: &str = include_str!("../../estimation/eu_renegotiation.toml");
/// The default example's data, embedded in the binary.
pub const DEFAULT_DATA: &[u8] = include_bytes!("../../data/eu_treaty_ratifications.csv");
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

    /// What tables and figures call the spec's parameters and covariates.
    pub fn labels(&self) -> crate::problem::labels::Labels {
        crate::problem::labels::Labels::from_spec(&self.spec)
    }

    /// The default report folder: `reports/<spec stem>/`.
    pub fn default_report_dir(&self) -> PathBuf {
        PathBuf::from("reports").join(self.spec.stem())
    }

    /// Provenance of a run.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            toolkit: format!("twolevel {}", env!("CARGO_PKG_VERSION")),
            spec_path: self.spec.path.display().to_string(),
            spec_sha256: crate::problem::data::hex(&Sha256::digest(self.spec.text.as_bytes())),
            model_sha256: Some(self.spec.model_sha256()),
            data_path: self.data.path.display().to_string(),
            data_sha256: self.data.hash(),
            seed: self.spec.spec.estimation.seed,
        }
    }
}

/// What produced a report: toolkit version, spec and data hashes, seed.
///
/// [`Provenance::same_model`] says whether saved results still belong to a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `twolevel <version>`.
    pub toolkit: String,
    /// The spec file.
    pub spec_path: String,
    /// SHA-256 of the spec text.
    pub spec_sha256: String,
    /// SHA-256 of what the spec says about the model and the fit, without what only names
    /// things (`[labels]`, `[data] description`): saved results stay valid for a spec whose
    /// labels were edited ([`SpecFile::model_sha256`]). Absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_sha256: Option<String>,
    /// The data file.
    pub data_path: String,
    /// SHA-256 of the data file.
    pub data_sha256: String,
    /// `[estimation] seed`.
    pub seed: u64,
}

impl Provenance {
    /// Whether results with this provenance were fitted to the model of `now`'s spec: the same
    /// spec text, or the same model hash (the spec differs only in `[labels]` or `[data]
    /// description`, which change how tables name things, not what was fitted).
    pub fn same_model(&self, now: &Provenance) -> bool {
        self.spec_sha256 == now.spec_sha256
            || (self.model_sha256.is_some() && self.model_sha256 == now.model_sha256)
    }
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
