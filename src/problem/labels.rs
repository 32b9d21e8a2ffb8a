//! What tables and figures call parameters and covariates: the spec's optional `[labels]` over
//! the defaults. Names stay the one source of truth ([`crate::problem::params`]): specs, JSON,
//! CSV and the terminal use them; Markdown, LaTeX and figures show these labels.
//!
//! Defaults: the structural scalars and scales print as symbols, `rho` as `$\rho$` in LaTeX and
//! ρ in Markdown and figures, `delta_ratifier` as `$\delta_R$` / δ_R, `delta_proposer` as
//! `$\delta_P$` / δ_P, `poll_weight` as `$w_{\mathrm{poll}}$` / w_poll, `home:scale` as
//! `$s_{\mathrm{home}}$` / s_home and `foreign:scale` as `$s_{\mathrm{foreign}}$` / s_foreign (the
//! scale is `s` in `docs/MODEL.md`; `\mathrm`, not `\text`, so that tables need no amsmath).
//! A coefficient without a label of its own takes its covariate's label (`binding =
//! "Binding ratification"` labels `home:binding`; `foreign:binding` and the reduced form's
//! `failed:binding` become `foreign: Binding ratification` and `failed: Binding
//! ratification`), and otherwise shows its exact name.
//!
//! ```
//! use std::path::Path;
//! use twolevel::problem::labels::{Label, Labels};
//! use twolevel::problem::spec::SpecFile;
//!
//! let spec = SpecFile::parse(
//!     r#"
//! [data]
//! path = "x.csv"
//! outcome = "outcome"
//! [home]
//! location = ["const", "binding"]
//! scale = 0.1
//! [labels]
//! binding = "Binding ratification"
//! "#,
//!     Path::new("s.toml"),
//! )?;
//! let labels = Labels::from_spec(&spec);
//! assert_eq!(labels.parameter("home:binding"), Label::Text("Binding ratification".into()));
//! assert_eq!(labels.parameter("home:const"), Label::Name("home:const".into()));
//! assert_eq!(labels.parameter("rho").text(), "ρ");
//! assert_eq!(labels.term("failed", "binding").text(), "failed: Binding ratification");
//! # Ok::<(), twolevel::error::Error>(())
//! ```

use crate::problem::params::{ParameterSpace, Role};
use crate::problem::spec::{LabelSpec, SpecFile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How tables and figures show one parameter, covariate or term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// No label: the exact name (shown as code in Markdown and LaTeX).
    Name(String),
    /// Text, the same in every output (LaTeX special characters are escaped when rendered).
    Text(String),
    /// LaTeX source, used as written in `.tex` tables, and plain text for everything else.
    Latex {
        /// LaTeX source.
        latex: String,
        /// Plain text (Markdown, figures).
        text: String,
    },
}

impl Label {
    /// The plain-text form (Markdown, figures).
    pub fn text(&self) -> &str {
        match self {
            Label::Name(t) | Label::Text(t) => t,
            Label::Latex { text, .. } => text,
        }
    }

    /// The label of a spec's `[labels]` value: a string that is LaTeX math as a whole (`$…$`)
    /// is LaTeX source (and shown as written elsewhere); any other string is text.
    pub fn from_spec(value: &LabelSpec) -> Label {
        match value {
            LabelSpec::Text(t) if is_math(t) => Label::Latex {
                latex: t.clone(),
                text: t.clone(),
            },
            LabelSpec::Text(t) => Label::Text(t.clone()),
            LabelSpec::Forms { latex, text } => Label::Latex {
                latex: latex.clone(),
                text: text.clone(),
            },
        }
    }

    /// `"{equation}: {label}"`: a covariate's label as the coefficient of another equation.
    fn in_equation(&self, equation: &str) -> Label {
        match self {
            Label::Name(c) => Label::Name(format!("{equation}:{c}")),
            Label::Text(t) => Label::Text(format!("{equation}: {t}")),
            Label::Latex { latex, text } => Label::Latex {
                latex: format!("{equation}: {latex}"),
                text: format!("{equation}: {text}"),
            },
        }
    }
}

/// Whether a label is LaTeX math as a whole: `$…$` with at least one character inside.
pub fn is_math(label: &str) -> bool {
    let t = label.trim();
    t.len() >= 3 && t.starts_with('$') && t.ends_with('$')
}

/// The default label of a parameter by its role: a symbol for the structural scalars and the
/// scales, `None` for coefficients.
fn default_label(role: &Role) -> Option<Label> {
    let symbol = |latex: &str, text: &str| {
        Some(Label::Latex {
            latex: latex.into(),
            text: text.into(),
        })
    };
    match role {
        Role::Rho => symbol("$\\rho$", "ρ"),
        Role::DeltaRatifier => symbol("$\\delta_R$", "δ_R"),
        Role::DeltaProposer => symbol("$\\delta_P$", "δ_P"),
        Role::PollWeight => symbol("$w_{\\mathrm{poll}}$", "w_poll"),
        Role::HomeScale => symbol("$s_{\\mathrm{home}}$", "s_home"),
        Role::ForeignScale => symbol("$s_{\\mathrm{foreign}}$", "s_foreign"),
        Role::HomeLocation(_) | Role::ForeignLocation(_) | Role::ProposerIndex(_) => None,
    }
}

/// The labels of one spec: every parameter's, every labelled covariate's, and what the data
/// are (`[data] description`) for captions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Labels {
    /// What the rows are (`[data] description`), if the spec says.
    pub description: Option<String>,
    /// By parameter name.
    parameters: BTreeMap<String, Label>,
    /// By covariate name (labelled covariates only).
    covariates: BTreeMap<String, Label>,
}

impl Labels {
    /// The labels of a (validated) spec.
    pub fn from_spec(file: &SpecFile) -> Labels {
        let given: BTreeMap<&str, Label> = file
            .spec
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), Label::from_spec(v)))
            .collect();
        let covariates: BTreeMap<String, Label> = file
            .spec
            .covariates()
            .into_iter()
            .filter_map(|c| given.get(c).map(|l| (c.to_string(), l.clone())))
            .collect();
        let space = ParameterSpace::from_spec(file);
        let parameters = space
            .parameters
            .iter()
            .map(|p| {
                let of_covariate = |c: &str, equation: Option<&str>| {
                    covariates.get(c).map(|l| match equation {
                        None => l.clone(),
                        Some(e) => l.in_equation(e),
                    })
                };
                let label = given
                    .get(p.name.as_str())
                    .cloned()
                    .or_else(|| match &p.role {
                        Role::HomeLocation(c) => of_covariate(c, None),
                        Role::ForeignLocation(c) => of_covariate(c, Some("foreign")),
                        Role::ProposerIndex(c) => of_covariate(c, Some("proposer")),
                        _ => None,
                    })
                    .or_else(|| default_label(&p.role))
                    .unwrap_or_else(|| Label::Name(p.name.clone()));
                (p.name.clone(), label)
            })
            .collect();
        Labels {
            description: file.spec.data.description.clone(),
            parameters,
            covariates,
        }
    }

    /// A parameter's label (its exact name for a name the spec does not define).
    pub fn parameter(&self, name: &str) -> Label {
        self.parameters
            .get(name)
            .cloned()
            .unwrap_or_else(|| Label::Name(name.to_string()))
    }

    /// A covariate's label (its exact name without one).
    pub fn covariate(&self, name: &str) -> Label {
        self.covariates
            .get(name)
            .cloned()
            .unwrap_or_else(|| Label::Name(name.to_string()))
    }

    /// The label of the coefficient of `covariate` in another model's `equation` (the reduced
    /// form's `failed:binding`): `failed: <covariate label>`, or the exact name.
    pub fn term(&self, equation: &str, covariate: &str) -> Label {
        self.covariate(covariate).in_equation(equation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SPEC: &str = r#"
[data]
path = "x.csv"
outcome = "outcome"
description = "EU treaty ratifications"
[protocol]
foreign_constraint = "fc"
proposer = "mixed"
[home]
location = ["const", "binding", "supermajority"]
scale = "free"
[foreign]
location = ["const", "binding"]
scale = 0.1
[proposer]
index = ["const"]
[labels]
binding = "Binding ratification"
supermajority = "$\\beta_{\\mathrm{sm}}$"
"home:supermajority" = { latex = "Supermajority ($\\ge 2/3$)", text = "Supermajority (≥ 2/3)" }
const = "Constant"
"delta_ratifier" = "Ratifier's discount"
"#;

    #[test]
    fn given_labels_then_covariate_labels_then_defaults_then_names() {
        let spec = SpecFile::parse(SPEC, Path::new("s.toml")).unwrap();
        let l = Labels::from_spec(&spec);
        assert_eq!(l.description.as_deref(), Some("EU treaty ratifications"));
        assert_eq!(
            l.parameter("home:binding"),
            Label::Text("Binding ratification".into())
        );
        assert_eq!(
            l.parameter("foreign:binding"),
            Label::Text("foreign: Binding ratification".into())
        );
        assert_eq!(
            l.parameter("proposer:const"),
            Label::Text("proposer: Constant".into())
        );
        assert_eq!(
            l.parameter("home:supermajority"),
            Label::Latex {
                latex: "Supermajority ($\\ge 2/3$)".into(),
                text: "Supermajority (≥ 2/3)".into()
            }
        );
        // A string that is math as a whole is LaTeX source.
        assert_eq!(
            l.covariate("supermajority"),
            Label::Latex {
                latex: "$\\beta_{\\mathrm{sm}}$".into(),
                text: "$\\beta_{\\mathrm{sm}}$".into()
            }
        );
        assert_eq!(
            l.parameter("delta_ratifier"),
            Label::Text("Ratifier's discount".into())
        );
        assert_eq!(l.parameter("rho").text(), "ρ");
        assert_eq!(
            l.parameter("home:scale"),
            Label::Latex {
                latex: "$s_{\\mathrm{home}}$".into(),
                text: "s_home".into()
            }
        );
        assert_eq!(l.parameter("foreign:scale").text(), "s_foreign");
        assert_eq!(l.parameter("poll_weight").text(), "w_poll");
        assert_eq!(l.parameter("delta_proposer").text(), "δ_P");
        assert_eq!(l.parameter("nothing"), Label::Name("nothing".into()));
        assert_eq!(
            l.term("failed", "binding"),
            Label::Text("failed: Binding ratification".into())
        );
        assert_eq!(
            l.term("failed", "decade"),
            Label::Name("failed:decade".into())
        );
    }

    #[test]
    fn a_key_that_names_nothing_is_an_error_listing_the_valid_keys() {
        let bad = SPEC.replace("binding = \"Binding", "bindng = \"Binding");
        let e = SpecFile::parse(&bad, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("spec `s.toml`")
                && e.contains("`[labels]` key \"bindng\"")
                && e.contains("home:const, home:binding, home:supermajority, home:scale")
                && e.contains("covariates (const, binding, supermajority)"),
            "{e}"
        );
        let empty = SPEC.replace("\"Constant\"", "\"  \"");
        let e = SpecFile::parse(&empty, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`[labels]` \"const\" is empty"), "{e}");
        let partial = SPEC.replace(", text = \"Supermajority (≥ 2/3)\"", "");
        let e = SpecFile::parse(&partial, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `text`"), "{e}");
    }

    #[test]
    fn math_is_a_whole_label_between_dollars() {
        assert!(is_math("$\\rho$") && is_math(" $x$ "));
        assert!(!is_math("$") && !is_math("$$") && !is_math("costs in $ and $"));
        assert!(
            is_math("$a$ and $b$"),
            "starts and ends with $: math as a whole"
        );
    }
}
