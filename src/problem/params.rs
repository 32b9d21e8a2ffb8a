//! Parameter names, transforms and values: the one source of truth for names that appear in
//! specs, JSON, tables and plots.
//!
//! | name                  | meaning                                  | internal scale |
//! | --------------------- | ---------------------------------------- | -------------- |
//! | `home:const`, `home:<column>` | `μ_i = z_iᵀβ`                    | identity       |
//! | `home:scale`          | `s`                                      | `log s`        |
//! | `foreign:const`, `foreign:<column>` | `μ_F,i = z_F,iᵀβ_F`        | identity       |
//! | `foreign:scale`       | `s_F`                                    | `log s_F`      |
//! | `proposer:const`, `proposer:<column>` | `logit p_home,i = v_iᵀα`  | identity       |
//! | `rho`, `delta_ratifier`, `delta_proposer`, `poll_weight` | scalars in (0, 1) | logit |
//!
//! Users always see the natural scale; the optimizer works on the internal scale.

use crate::error::{Error, Result};
use crate::problem::spec::{FixedOrFree, ProposerSpec, SpecFile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// How a parameter maps to the optimizer's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// Unbounded.
    Identity,
    /// Positive: internal `log`.
    Log,
    /// In (0, 1): internal `logit`.
    Logit,
}

impl Transform {
    /// Natural → internal.
    pub fn to_internal(self, v: f64) -> f64 {
        match self {
            Transform::Identity => v,
            Transform::Log => v.ln(),
            Transform::Logit => (v / (1.0 - v)).ln(),
        }
    }

    /// Internal → natural.
    pub fn to_natural(self, t: f64) -> f64 {
        match self {
            Transform::Identity => t,
            Transform::Log => t.exp(),
            Transform::Logit => logistic(t),
        }
    }

    /// `d natural / d internal` at internal value `t`.
    pub fn derivative(self, t: f64) -> f64 {
        match self {
            Transform::Identity => 1.0,
            Transform::Log => t.exp(),
            Transform::Logit => {
                let p = logistic(t);
                p * (1.0 - p)
            }
        }
    }
}

/// The logistic function `1/(1 + e^{−t})`, stable for all `t`.
pub fn logistic(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// What a parameter does in the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Coefficient on a covariate (`const` = intercept) of the home location.
    HomeLocation(String),
    /// The home scale.
    HomeScale,
    /// Coefficient of the foreign location.
    ForeignLocation(String),
    /// The foreign scale.
    ForeignScale,
    /// Coefficient of `logit p_home`.
    ProposerIndex(String),
    /// `ρ`.
    Rho,
    /// `δ_R`.
    DeltaRatifier,
    /// `δ_P`.
    DeltaProposer,
    /// `w_poll`.
    PollWeight,
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// Its name (see the module table).
    pub name: String,
    /// What it does.
    pub role: Role,
    /// Its internal scale.
    pub transform: Transform,
    /// `Some(value)` (natural scale) when fixed by the spec.
    pub fixed: Option<f64>,
}

/// All parameters of a spec, free and fixed, in a fixed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterSpace {
    /// The parameters.
    pub parameters: Vec<Parameter>,
}

impl ParameterSpace {
    /// The parameters a spec defines.
    pub fn from_spec(file: &SpecFile) -> ParameterSpace {
        let s = &file.spec;
        let mut parameters = Vec::new();
        let mut push = |name: String, role: Role, transform: Transform, fixed: Option<f64>| {
            parameters.push(Parameter {
                name,
                role,
                transform,
                fixed,
            })
        };
        let fixed = |v: FixedOrFree| match v {
            FixedOrFree::Fixed(x) => Some(x),
            FixedOrFree::Free => None,
        };
        for c in &s.home.location {
            push(
                format!("home:{c}"),
                Role::HomeLocation(c.clone()),
                Transform::Identity,
                None,
            );
        }
        push(
            "home:scale".into(),
            Role::HomeScale,
            Transform::Log,
            fixed(s.home.scale),
        );
        if let Some(f) = &s.foreign {
            for c in &f.location {
                push(
                    format!("foreign:{c}"),
                    Role::ForeignLocation(c.clone()),
                    Transform::Identity,
                    None,
                );
            }
            push(
                "foreign:scale".into(),
                Role::ForeignScale,
                Transform::Log,
                fixed(f.scale),
            );
        }
        if s.protocol.proposer == ProposerSpec::Mixed {
            if let Some(p) = &s.proposer {
                for c in &p.index {
                    push(
                        format!("proposer:{c}"),
                        Role::ProposerIndex(c.clone()),
                        Transform::Identity,
                        None,
                    );
                }
            }
        }
        let p = &s.parameters;
        push("rho".into(), Role::Rho, Transform::Logit, fixed(p.rho));
        push(
            "delta_ratifier".into(),
            Role::DeltaRatifier,
            Transform::Logit,
            fixed(p.delta_ratifier),
        );
        push(
            "delta_proposer".into(),
            Role::DeltaProposer,
            Transform::Logit,
            fixed(p.delta_proposer),
        );
        push(
            "poll_weight".into(),
            Role::PollWeight,
            Transform::Logit,
            fixed(p.poll_weight),
        );
        ParameterSpace { parameters }
    }

    /// Number of parameters (free and fixed).
    pub fn len(&self) -> usize {
        self.parameters.len()
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty()
    }

    /// Indices of the free parameters.
    pub fn free(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.parameters[i].fixed.is_none())
            .collect()
    }

    /// Names of all parameters.
    pub fn names(&self) -> Vec<&str> {
        self.parameters.iter().map(|p| p.name.as_str()).collect()
    }

    /// Index of a parameter by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.parameters.iter().position(|p| p.name == name)
    }

    /// The default starting point (natural scale): locations 0 except `home:const = 0.5`,
    /// `foreign:const = 0.5`, scales and scalars as fixed or 0.2 / 0.5.
    pub fn default_start(&self) -> Vec<f64> {
        self.parameters
            .iter()
            .map(|p| {
                p.fixed.unwrap_or(match &p.role {
                    Role::HomeLocation(c) | Role::ForeignLocation(c) if c == "const" => 0.5,
                    Role::HomeScale | Role::ForeignScale => 0.2,
                    Role::Rho | Role::DeltaRatifier | Role::DeltaProposer | Role::PollWeight => 0.5,
                    _ => 0.0,
                })
            })
            .collect()
    }

    /// The free parameters' internal values from a full natural-scale vector.
    pub fn to_internal(&self, natural: &[f64]) -> Vec<f64> {
        self.free()
            .into_iter()
            .map(|i| self.parameters[i].transform.to_internal(natural[i]))
            .collect()
    }

    /// The full natural-scale vector from the free parameters' internal values (fixed ones at
    /// their values).
    pub fn to_natural(&self, internal: &[f64]) -> Vec<f64> {
        let mut free = internal.iter();
        self.parameters
            .iter()
            .map(|p| match p.fixed {
                Some(v) => v,
                None => p
                    .transform
                    .to_natural(*free.next().expect("one internal value per free parameter")),
            })
            .collect()
    }

    /// Reads natural-scale values from a `{name: value}` map: every free parameter must be
    /// present; fixed ones may be omitted (and must equal their fixed value when given).
    pub fn from_map(&self, values: &BTreeMap<String, f64>, source: &Path) -> Result<Vec<f64>> {
        let err = |message: String| Error::Params {
            path: source.to_path_buf(),
            message,
        };
        for name in values.keys() {
            if self.index(name).is_none() {
                return Err(err(format!(
                    "unknown parameter `{name}`; fix the name or remove it (this spec's parameters are: {})",
                    self.names().join(", ")
                )));
            }
        }
        let mut out = Vec::with_capacity(self.len());
        for p in &self.parameters {
            let v = match (values.get(&p.name), p.fixed) {
                (Some(&v), _) => v,
                (None, Some(f)) => f,
                (None, None) => {
                    return Err(err(format!(
                    "free parameter `{}` is missing; give a value for every free parameter ({})",
                    p.name,
                    self.free()
                        .iter()
                        .map(|&i| self.parameters[i].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
                }
            };
            self.check_value(p, v).map_err(err)?;
            out.push(v);
        }
        Ok(out)
    }

    /// Checks a natural-scale value against the parameter's domain.
    pub fn check_value(&self, p: &Parameter, v: f64) -> std::result::Result<(), String> {
        let ok = v.is_finite()
            && match p.transform {
                Transform::Identity => true,
                Transform::Log => v > 0.0,
                Transform::Logit => (0.0..=1.0).contains(&v),
            };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "`{}` = {v} is outside its domain ({})",
                p.name,
                match p.transform {
                    Transform::Identity => "a finite number",
                    Transform::Log => "a positive number",
                    Transform::Logit => "a number in [0, 1]",
                }
            ))
        }
    }
}
