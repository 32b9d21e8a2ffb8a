//! The estimation spec (TOML): what the user asks for, parsed and validated.
//!
//! The schema is a contract: extend it, don't break it. Paths are relative to the spec file.
//!
//! ```toml
//! [data]
//! path = "../data/example.csv"
//! description = "EU treaty ratifications"   # optional: what the rows are, for captions
//! outcome = "outcome"          # values: ratified | renegotiated | failed
//! id = "episode"               # optional
//! cluster = "treaty"           # optional (robust SEs, bootstrap)
//! weight = "w"                 # optional
//! keep = { continues = "" }    # optional: keep only rows with these column values
//!
//! [protocol]                   # each: a 0/1 column name, or true/false for every row
//! poll = "poll"
//! renegotiation = "renegotiable"
//! foreign_constraint = false
//! proposer = "foreign"         # foreign | home | mixed
//!
//! [model]
//! family = "logistic"          # logistic | normal | uniform
//!
//! [home]
//! location = ["const", "referendum", "supermajority"]   # "const" = intercept
//! scale = 0.1                  # a number fixes it; "free" estimates it
//!
//! [foreign]                    # required when any row has a foreign constraint
//! location = ["const"]
//! scale = 0.1
//!
//! [proposer]                   # required when proposer = "mixed": logit(p_home) = index
//! index = ["const"]
//!
//! [parameters]                 # each: a number (fixed) or "free"
//! rho = "free"
//! delta_ratifier = "free"
//! delta_proposer = 0.9
//! poll_weight = "free"
//!
//! [estimation]
//! optimizer = "auto"           # auto | lbfgs | bfgs | nelder-mead | fisher-scoring
//! starts = 4
//! seed = 1
//! max_iters = 500
//! start = { "home:const" = 0.5 }   # optional starting values (natural scale)
//!
//! [bootstrap]                  # optional defaults for `fit --bootstrap`
//! replicates = 0
//! kind = "nonparametric"       # nonparametric | parametric
//! seed = 1
//!
//! [labels]                     # optional: what tables and figures call parameters and covariates
//! binding = "Binding ratification"                  # a covariate (its coefficients)
//! "home:const" = "Constant"                         # a parameter
//! rho = { latex = "$\\rho$", text = "ρ" }           # LaTeX source and plain text apart
//! ```
//!
//! Labels are validated here (every key names a parameter or covariate of the spec) and
//! resolved, with the defaults of the structural scalars, in [`crate::problem::labels`].

use crate::error::{Error, Result};
use crate::model::Family;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A value that is either fixed at a number or estimated (`"free"`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum FixedOrFree {
    /// Held at this value (natural scale).
    Fixed(f64),
    /// Estimated.
    Free,
}

impl<'de> Deserialize<'de> for FixedOrFree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FixedOrFree;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number (to fix the value) or the string \"free\" (to estimate it)")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
                if v.is_finite() {
                    Ok(FixedOrFree::Fixed(v))
                } else {
                    Err(E::custom("a fixed value must be a finite number"))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(FixedOrFree::Fixed(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                if v == "free" {
                    Ok(FixedOrFree::Free)
                } else {
                    Err(E::custom(format!(
                        "`{v}` is neither a number nor \"free\"; write a number to fix the value or \"free\" to estimate it"
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A protocol element: taken from a 0/1 column, or the same for every row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ColumnOrFlag {
    /// A 0/1 column of the data.
    Column(String),
    /// The same value for every row.
    Flag(bool),
}

impl<'de> Deserialize<'de> for ColumnOrFlag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ColumnOrFlag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a 0/1 column name (string) or true/false for every row")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
                Ok(ColumnOrFlag::Flag(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(ColumnOrFlag::Column(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Default for ColumnOrFlag {
    fn default() -> Self {
        ColumnOrFlag::Flag(false)
    }
}

/// Who proposes, as written in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposerSpec {
    /// The foreign negotiator (default).
    #[default]
    Foreign,
    /// The home negotiator.
    Home,
    /// The home negotiator with probability `p_home`, `logit p_home = index`.
    Mixed,
}

/// `[data]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// CSV file (relative to the spec file).
    pub path: PathBuf,
    /// Optional: what the rows are (e.g. "EU treaty ratifications"), named in table captions.
    pub description: Option<String>,
    /// Outcome column: ratified | renegotiated | failed.
    pub outcome: String,
    /// Optional id column (carried into predictions).
    pub id: Option<String>,
    /// Optional cluster column (cluster-robust SEs, cluster bootstrap).
    pub cluster: Option<String>,
    /// Optional weight column (positive numbers).
    pub weight: Option<String>,
    /// Optional row filter: keep only the rows whose column has the given value (or one of a
    /// list of values), e.g. `keep = { continues = "" }` keeps each ratification chain's first
    /// episode only. Row numbers in messages still refer to the file.
    #[serde(default)]
    pub keep: BTreeMap<String, KeepValues>,
}

/// The values a `[data] keep` column may take: one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeepValues(pub Vec<String>);

impl<'de> Deserialize<'de> for KeepValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeepValues;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings (the values of rows to keep, as written in the file)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(KeepValues(vec![v.to_string()]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    values.push(v);
                }
                Ok(KeepValues(values))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[protocol]`.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProtocolSpec {
    /// Was a pre-negotiation poll taken?
    #[serde(default)]
    pub poll: ColumnOrFlag,
    /// Could a rejected package be renegotiated?
    #[serde(default)]
    pub renegotiation: ColumnOrFlag,
    /// Did the counterpart face ratification too?
    #[serde(default)]
    pub foreign_constraint: ColumnOrFlag,
    /// Who proposes.
    #[serde(default)]
    pub proposer: ProposerSpec,
}

/// `[model]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// logistic | normal | uniform.
    #[serde(default = "default_family")]
    pub family: Family,
}

fn default_family() -> Family {
    Family::Logistic
}

impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec {
            family: Family::Logistic,
        }
    }
}

/// `[home]` and `[foreign]`: a threshold distribution's location index and scale.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdSpec {
    /// Covariates of the location (`"const"` = intercept).
    pub location: Vec<String>,
    /// The scale: fixed or free.
    pub scale: FixedOrFree,
}

/// `[proposer]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProposerIndexSpec {
    /// Covariates of `logit p_home`.
    pub index: Vec<String>,
}

/// `[parameters]`: the structural scalars.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScalarSpec {
    /// `ρ`.
    #[serde(default = "default_rho")]
    pub rho: FixedOrFree,
    /// `δ_R`.
    #[serde(default = "default_delta")]
    pub delta_ratifier: FixedOrFree,
    /// `δ_P`.
    #[serde(default = "default_delta")]
    pub delta_proposer: FixedOrFree,
    /// `w_poll`.
    #[serde(default = "default_poll_weight")]
    pub poll_weight: FixedOrFree,
}

fn default_rho() -> FixedOrFree {
    FixedOrFree::Fixed(0.5)
}
fn default_delta() -> FixedOrFree {
    FixedOrFree::Fixed(0.9)
}
fn default_poll_weight() -> FixedOrFree {
    FixedOrFree::Fixed(0.5)
}

impl Default for ScalarSpec {
    fn default() -> Self {
        ScalarSpec {
            rho: default_rho(),
            delta_ratifier: default_delta(),
            delta_proposer: default_delta(),
            poll_weight: default_poll_weight(),
        }
    }
}

/// The optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// Fisher scoring on large problems (at least [`SCORING_DESIGNS`] distinct designs), L-BFGS
    /// on the others (default; see [`Optimizer::for_designs`]).
    #[default]
    Auto,
    /// argmin's L-BFGS with a More–Thuente line search.
    Lbfgs,
    /// argmin's BFGS (dense inverse-Hessian update).
    Bfgs,
    /// argmin's Nelder–Mead simplex (derivative-free).
    NelderMead,
    /// Fisher scoring: argmin's trust region (Steihaug) with the expected information as
    /// the Hessian; where it does not reach a smooth maximum (a flat or kinked likelihood),
    /// L-BFGS runs on from where it stopped.
    /// Far fewer evaluations on large smooth problems; on small ones whose likelihood has
    /// kinks (episodes whose offer sits at a bound) it can stop at a different point of a
    /// kink than L-BFGS.
    FisherScoring,
}

/// `auto` runs Fisher scoring from this many distinct designs (rows that share covariates and
/// protocol: the equilibria one evaluation solves) up.
pub const SCORING_DESIGNS: usize = 10_000;

impl Optimizer {
    /// The optimizer that runs on a problem with `n_designs` distinct designs: `auto` is Fisher
    /// scoring from [`SCORING_DESIGNS`] up, where an evaluation of the likelihood takes a
    /// noticeable time and scoring needs about a quarter of L-BFGS's evaluations (10⁵
    /// designs: 31 against 131); below it L-BFGS, which is fast there anyway and follows a
    /// ridge of kinks (a few episodes whose offer sits at a bound weigh much in a small
    /// sample) or a run-off direction further. The others run as named.
    pub fn for_designs(self, n_designs: usize) -> Optimizer {
        match self {
            Optimizer::Auto if n_designs >= SCORING_DESIGNS => Optimizer::FisherScoring,
            Optimizer::Auto => Optimizer::Lbfgs,
            other => other,
        }
    }
}

/// `[estimation]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EstimationSpec {
    /// auto | lbfgs | bfgs | nelder-mead | fisher-scoring.
    #[serde(default)]
    pub optimizer: Optimizer,
    /// Number of starting points (the first is the default start).
    #[serde(default = "default_starts")]
    pub starts: usize,
    /// Seed of the random starting points.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Iteration limit per start.
    #[serde(default = "default_max_iters")]
    pub max_iters: u64,
    /// Starting values on the natural scale, by parameter name.
    #[serde(default)]
    pub start: BTreeMap<String, f64>,
}

fn default_starts() -> usize {
    4
}
fn default_seed() -> u64 {
    1
}
fn default_max_iters() -> u64 {
    500
}

impl Default for EstimationSpec {
    fn default() -> Self {
        EstimationSpec {
            optimizer: Optimizer::Auto,
            starts: default_starts(),
            seed: default_seed(),
            max_iters: default_max_iters(),
            start: BTreeMap::new(),
        }
    }
}

/// Nonparametric (resample episodes or clusters) or parametric (simulate outcomes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BootstrapKind {
    /// Resample episodes (or whole clusters when `[data] cluster` is set).
    #[default]
    Nonparametric,
    /// Draw outcomes from the fitted model.
    Parametric,
}

/// `[bootstrap]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSpec {
    /// Number of replicates (0: no bootstrap unless `--bootstrap B`).
    #[serde(default)]
    pub replicates: usize,
    /// nonparametric | parametric.
    #[serde(default)]
    pub kind: BootstrapKind,
    /// The run's seed; replicate `b` uses a seed derived from it and `b`.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

impl Default for BootstrapSpec {
    fn default() -> Self {
        BootstrapSpec {
            replicates: 0,
            kind: BootstrapKind::Nonparametric,
            seed: 1,
        }
    }
}

/// The whole spec file, as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// `[data]`.
    pub data: DataSpec,
    /// `[protocol]`.
    #[serde(default)]
    pub protocol: ProtocolSpec,
    /// `[model]`.
    #[serde(default)]
    pub model: ModelSpec,
    /// `[home]`.
    pub home: ThresholdSpec,
    /// `[foreign]`.
    pub foreign: Option<ThresholdSpec>,
    /// `[proposer]`.
    pub proposer: Option<ProposerIndexSpec>,
    /// `[parameters]`.
    #[serde(default)]
    pub parameters: ScalarSpec,
    /// `[estimation]`.
    #[serde(default)]
    pub estimation: EstimationSpec,
    /// `[bootstrap]`.
    #[serde(default)]
    pub bootstrap: BootstrapSpec,
    /// `[labels]`: what tables and figures call a parameter or covariate (by its name).
    #[serde(default)]
    pub labels: BTreeMap<String, LabelSpec>,
}

/// A `[labels]` value as written: one text for every output, or LaTeX source and plain text
/// apart (`{ latex = "$\\beta_1$", text = "β₁" }`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum LabelSpec {
    /// The same text in every table and figure (LaTeX special characters are escaped, unless
    /// the whole text is LaTeX math, `$…$`).
    Text(String),
    /// LaTeX source (used as written in `.tex` tables) and plain text (Markdown, figures).
    Forms {
        /// LaTeX source.
        latex: String,
        /// Plain text.
        text: String,
    },
}

impl<'de> Deserialize<'de> for LabelSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LabelSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a label (a string), or a table { latex = \"...\", text = \"...\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(LabelSpec::Text(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let (mut latex, mut text) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "latex" => latex = Some(map.next_value::<String>()?),
                        "text" => text = Some(map.next_value::<String>()?),
                        other => return Err(de::Error::unknown_field(other, &["latex", "text"])),
                    }
                }
                match (latex, text) {
                    (Some(latex), Some(text)) => Ok(LabelSpec::Forms { latex, text }),
                    (None, _) => Err(de::Error::missing_field("latex")),
                    (_, None) => Err(de::Error::missing_field("text")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Spec {
    /// The covariates of `[home] location`, `[foreign] location` and `[proposer] index`, in
    /// that order (empty for a table the spec does not have; `const` is the intercept).
    pub fn covariate_lists(&self) -> [&[String]; 3] {
        [
            &self.home.location,
            self.foreign
                .as_ref()
                .map(|f| f.location.as_slice())
                .unwrap_or_default(),
            self.proposer
                .as_ref()
                .map(|p| p.index.as_slice())
                .unwrap_or_default(),
        ]
    }

    /// The distinct covariates of [`Spec::covariate_lists`], in order of first appearance.
    pub fn covariates(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in self.covariate_lists().into_iter().flatten() {
            if !out.contains(&c.as_str()) {
                out.push(c);
            }
        }
        out
    }
}

/// A parsed spec with where it came from.
#[derive(Debug, Clone)]
pub struct SpecFile {
    /// The spec.
    pub spec: Spec,
    /// The spec file (or a label for an embedded spec).
    pub path: PathBuf,
    /// The spec's text (hashed into reports).
    pub text: String,
}

impl SpecFile {
    /// Reads and validates a spec file.
    pub fn read(path: &Path) -> Result<SpecFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        SpecFile::parse(&text, path)
    }

    /// Parses and validates spec text; `path` locates relative data paths and names the spec
    /// in messages.
    pub fn parse(text: &str, path: &Path) -> Result<SpecFile> {
        let spec: Spec = toml::from_str(text).map_err(|e| Error::Spec {
            path: path.to_path_buf(),
            message: format!(
                "{}\n  hint: see the spec reference in README.md (section \"Spec file\")",
                e.to_string()
                    .trim_end()
                    .replace("expected usize", "expected a whole number ≥ 0")
                    .replace("expected u64", "expected a whole number ≥ 0")
            ),
        })?;
        let file = SpecFile {
            spec,
            path: path.to_path_buf(),
            text: text.to_string(),
        };
        file.validate()?;
        Ok(file)
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::Spec {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    fn validate(&self) -> Result<()> {
        let s = &self.spec;
        if s.home.location.is_empty() {
            return Err(
                self.error("`[home] location` is empty; list at least \"const\" (the intercept)")
            );
        }
        for (table, spec) in [("home", Some(&s.home)), ("foreign", s.foreign.as_ref())] {
            let Some(spec) = spec else { continue };
            if let FixedOrFree::Fixed(v) = spec.scale {
                if v <= 0.0 {
                    return Err(self.error(format!(
                        "`[{table}] scale = {v}`: a scale must be positive (or \"free\")"
                    )));
                }
            }
            check_duplicates(&spec.location, &format!("[{table}] location"), self)?;
        }
        let scalars = [
            ("rho", s.parameters.rho),
            ("delta_ratifier", s.parameters.delta_ratifier),
            ("delta_proposer", s.parameters.delta_proposer),
            ("poll_weight", s.parameters.poll_weight),
        ];
        for (name, value) in scalars {
            if let FixedOrFree::Fixed(v) = value {
                if !(0.0..=1.0).contains(&v) {
                    return Err(self.error(format!(
                        "`[parameters] {name} = {v}`: must lie in [0, 1] (or be \"free\")"
                    )));
                }
            }
        }
        if s.protocol.proposer == ProposerSpec::Mixed {
            match &s.proposer {
                None => {
                    return Err(self.error(
                        "`[protocol] proposer = \"mixed\"` needs a `[proposer]` table with `index = [\"const\", ...]` (logit of P(home proposes))",
                    ))
                }
                Some(p) if p.index.is_empty() => {
                    return Err(self.error("`[proposer] index` is empty; list at least \"const\""))
                }
                Some(p) => check_duplicates(&p.index, "[proposer] index", self)?,
            }
        } else if s.proposer.is_some() {
            return Err(self.error(
                "a `[proposer]` table is given but `[protocol] proposer` is not \"mixed\"; remove the table or set proposer = \"mixed\"",
            ));
        }
        if s.foreign.is_none() && s.protocol.foreign_constraint != ColumnOrFlag::Flag(false) {
            return Err(self.error(
                "`[protocol] foreign_constraint` is set but there is no `[foreign]` table; add `[foreign]` with `location = [\"const\"]` and `scale`",
            ));
        }
        if s.estimation.starts == 0 {
            return Err(self.error("`[estimation] starts = 0`: use at least 1"));
        }
        if s.estimation.max_iters == 0 {
            return Err(self.error("`[estimation] max_iters = 0`: use at least 1"));
        }
        let space = crate::problem::params::ParameterSpace::from_spec(self);
        self.validate_labels(&space)?;
        for (name, &v) in &s.estimation.start {
            let key = format!("`[estimation] start` \"{name}\" = {v}");
            let Some(p) = space.index(name).map(|i| &space.parameters[i]) else {
                return Err(self.error(format!(
                    "{key}: unknown parameter; this spec's parameters are: {}",
                    space.names().join(", ")
                )));
            };
            if let Some(fixed) = p.fixed {
                return Err(self.error(format!(
                    "{key}: `{name}` is fixed at {fixed} by the spec, so it has no starting value; remove it from `start` or make it \"free\""
                )));
            }
            let inside = match p.transform {
                crate::problem::params::Transform::Logit => v > 0.0 && v < 1.0,
                _ => space.check_value(p, v).is_ok(),
            };
            if !inside {
                return Err(self.error(format!(
                    "{key}: a start must lie inside the parameter's domain ({}); the optimizer cannot start on its edge",
                    match p.transform {
                        crate::problem::params::Transform::Identity => "a finite number",
                        crate::problem::params::Transform::Log => "a positive number",
                        crate::problem::params::Transform::Logit => "strictly between 0 and 1",
                    }
                )));
            }
        }
        Ok(())
    }

    /// Every `[labels]` key names a parameter or a covariate of the spec, and no label is empty.
    fn validate_labels(&self, space: &crate::problem::params::ParameterSpace) -> Result<()> {
        let covariates = self.spec.covariates();
        for (key, label) in &self.spec.labels {
            if space.index(key).is_none() && !covariates.contains(&key.as_str()) {
                return Err(self.error(format!(
                    "`[labels]` key \"{key}\" names no parameter or covariate of this spec; label one of its parameters ({}) or covariates ({}), or remove the key",
                    space.names().join(", "),
                    covariates.join(", ")
                )));
            }
            let empty = match label {
                LabelSpec::Text(t) => t.trim().is_empty(),
                LabelSpec::Forms { latex, text } => {
                    latex.trim().is_empty() || text.trim().is_empty()
                }
            };
            if empty {
                return Err(self.error(format!(
                    "`[labels]` \"{key}\" is empty; give it a label or remove the key"
                )));
            }
        }
        if let Some(d) = &self.spec.data.description {
            if d.trim().is_empty() {
                return Err(self.error(
                    "`[data] description` is empty; say what the rows are (e.g. \"EU treaty ratifications\") or remove the key",
                ));
            }
        }
        Ok(())
    }

    /// SHA-256 of the spec as parsed, without `[labels]` and `[data] description` (JSON of
    /// the parsed spec: comments, layout and labels do not change it). Results fitted to a
    /// spec keep belonging to it when only its labels change.
    pub fn model_sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut spec = self.spec.clone();
        spec.labels.clear();
        spec.data.description = None;
        let json = serde_json::to_string(&spec).expect("a parsed spec serializes");
        crate::problem::data::hex(&Sha256::digest(json.as_bytes()))
    }

    /// The data file's path, resolved relative to the spec file.
    pub fn data_path(&self) -> PathBuf {
        let base = self.path.parent().unwrap_or(Path::new("."));
        base.join(&self.spec.data.path)
    }

    /// The spec file's stem (names its report folder).
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "spec".to_string())
    }
}

fn check_duplicates(list: &[String], key: &str, file: &SpecFile) -> Result<()> {
    for (i, a) in list.iter().enumerate() {
        if list[..i].contains(a) {
            return Err(file.error(format!(
                "`{key}` lists `{a}` twice; list each covariate once"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[data]
path = "x.csv"
outcome = "outcome"
[home]
location = ["const"]
scale = 0.1
"#;

    #[test]
    fn minimal_spec_gets_defaults() {
        let f = SpecFile::parse(MINIMAL, Path::new("/tmp/s.toml")).unwrap();
        assert_eq!(f.spec.model.family, Family::Logistic);
        assert_eq!(f.spec.protocol.proposer, ProposerSpec::Foreign);
        assert_eq!(f.data_path(), PathBuf::from("/tmp/x.csv"));
        assert_eq!(f.spec.parameters.rho, FixedOrFree::Fixed(0.5));
    }

    #[test]
    fn the_model_hash_ignores_labels_description_and_comments_only() {
        let hash = |text: &str| {
            SpecFile::parse(text, Path::new("s.toml"))
                .unwrap()
                .model_sha256()
        };
        let base = hash(MINIMAL);
        let relabelled = MINIMAL.replace(
            "outcome = \"outcome\"",
            "outcome = \"outcome\"\ndescription = \"EU treaties\" # a comment",
        )
            + "\n[labels]\nconst = \"Constant\"\nrho = { latex = \"$r$\", text = \"r\" }\n";
        assert_eq!(hash(&relabelled), base);
        assert_ne!(hash(&MINIMAL.replace("scale = 0.1", "scale = 0.2")), base);
        assert_ne!(
            hash(&format!("{MINIMAL}\n[parameters]\nrho = \"free\"\n")),
            base
        );
    }

    #[test]
    fn unknown_key_and_wrong_type_are_named() {
        let bad = format!("{MINIMAL}\n[parameters]\nrho = \"fre\"\n");
        let e = SpecFile::parse(&bad, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rho") && e.contains("free"), "{e}");
        let bad = MINIMAL.replace("scale = 0.1", "scale = 0.1\nscael = 2");
        let e = SpecFile::parse(&bad, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("scael"), "{e}");
        let bad = format!("{MINIMAL}\n[parameters]\nrho = 1.5\n");
        let e = SpecFile::parse(&bad, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("[0, 1]"), "{e}");
    }
}
