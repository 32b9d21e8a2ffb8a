//! The scenario file (TOML): named sets of changes to the data and model of a fitted spec.
//!
//! The form is a contract: extend it, don't break it.
//!
//! ```toml
//! [[scenario]]
//! name = "unchanged"                 # no changes: the baseline itself
//!
//! [[scenario]]
//! name = "Ireland by parliament"
//! description = "..."                # optional, carried into the report
//! where = { country = "IE" }         # rows the changes apply to (default: all rows); a value
//!                                    # may be a list (any of), several columns must all match
//! set = { referendum = 0 }           # covariate values (numbers or true/false)
//! renegotiation = false              # protocol switches: renegotiation, poll, foreign_constraint
//! proposer = "home"                  # foreign | home | mixed
//! p_home = 0.5                       # P(home proposes) with proposer = "mixed"
//! parameters = { rho = 0.0 }         # parameters on the natural scale: a number, or the name
//!                                    # of a fitted parameter to copy ("foreign:scale" = "home:scale")
//! compare_to = "baseline"            # differences from the fitted baseline (default) or from
//!                                    # another scenario of the file
//! ```
//!
//! Every change applies to the rows that `where` selects, parameters included. Parsing checks
//! the form only (keys, types, names); [`super::Prepared::new`] checks the scenario against the spec
//! and data (known columns, rows matched, parameter names and domains).

use crate::error::{Error, Result};
use crate::problem::spec::ProposerSpec;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The name that the fitted model's own predictions go by (reserved).
pub const BASELINE: &str = "baseline";

/// The keys a `[[scenario]]` table may have.
pub const KEYS: [&str; 11] = [
    "name",
    "description",
    "where",
    "set",
    "poll",
    "renegotiation",
    "foreign_constraint",
    "proposer",
    "p_home",
    "parameters",
    "compare_to",
];

/// A value a `where` filter compares a column with (the values of `[data] keep` are the same
/// kind): text, a number, or true/false.
pub use crate::problem::table::CellValue as FilterValue;

/// One column condition of `where`: the cell matches any of the values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The data column.
    pub column: String,
    /// Accepted values.
    pub values: Vec<FilterValue>,
}

/// A parameter's value in a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum ParameterValue {
    /// A number on the natural scale (held fixed: no sampling uncertainty).
    Value(f64),
    /// The fitted value of another parameter (carries its uncertainty).
    Copy(String),
}

/// One scenario, as written (checked for form, not yet against a spec).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scenario {
    /// Its name (unique in the file).
    pub name: String,
    /// Optional words for the report.
    pub description: Option<String>,
    /// Which rows the changes apply to (empty: all rows); all conditions must hold.
    pub filter: Vec<Condition>,
    /// Covariate values, in the file's key order (alphabetical).
    pub set: Vec<(String, f64)>,
    /// Switch the poll stage on or off.
    pub poll: Option<bool>,
    /// Switch the renegotiation stage on or off.
    pub renegotiation: Option<bool>,
    /// Switch the foreign constraint on or off.
    pub foreign_constraint: Option<bool>,
    /// Who proposes.
    pub proposer: Option<ProposerSpec>,
    /// `P(home proposes)` with a mixed proposer.
    pub p_home: Option<f64>,
    /// Parameter values by name.
    pub parameters: Vec<(String, ParameterValue)>,
    /// The scenario (or [`BASELINE`]) that differences are taken from.
    pub compare_to: String,
}

impl Scenario {
    /// Whether the scenario changes nothing (the baseline itself).
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
            && self.poll.is_none()
            && self.renegotiation.is_none()
            && self.foreign_constraint.is_none()
            && self.proposer.is_none()
            && self.p_home.is_none()
            && self.parameters.is_empty()
    }
}

/// A parsed scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioFile {
    /// Where it came from (names it in messages).
    pub path: PathBuf,
    /// Its text (hashed into reports).
    pub text: String,
    /// The scenarios, in file order.
    pub scenarios: Vec<Scenario>,
}

impl ScenarioFile {
    /// Reads and parses a scenario file.
    pub fn read(path: &Path) -> Result<ScenarioFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        ScenarioFile::parse(&text, path)
    }

    /// Parses scenario text; `path` names the file in messages.
    pub fn parse(text: &str, path: &Path) -> Result<ScenarioFile> {
        let err = |message: String| Error::Scenario {
            path: path.to_path_buf(),
            message,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            err(format!(
                "not valid TOML: {}\n  hint: a scenario file is a list of `[[scenario]]` tables",
                e.to_string().trim_end()
            ))
        })?;
        for key in table.keys() {
            if key != "scenario" {
                return Err(err(format!(
                    "unknown top-level key `{key}`; the file holds `[[scenario]]` tables only"
                )));
            }
        }
        let list = match table.get("scenario") {
            None => return Err(err("no scenarios; add at least one `[[scenario]]` table with a `name`".into())),
            Some(toml::Value::Array(list)) => list,
            Some(other) => {
                return Err(err(format!(
                    "`scenario` is {}, expected a list of tables (write `[[scenario]]`, with two brackets)",
                    type_name(other)
                )))
            }
        };
        if list.is_empty() {
            return Err(err(
                "no scenarios; add at least one `[[scenario]]` table with a `name`".into(),
            ));
        }
        let mut scenarios = Vec::with_capacity(list.len());
        for (k, item) in list.iter().enumerate() {
            let toml::Value::Table(t) = item else {
                return Err(err(format!(
                    "scenario #{}: expected a table, found {}",
                    k + 1,
                    type_name(item)
                )));
            };
            scenarios.push(parse_scenario(t, k).map_err(err)?);
        }
        let mut seen = BTreeSet::new();
        for s in &scenarios {
            if !seen.insert(s.name.as_str()) {
                return Err(err(format!(
                    "scenario \"{}\": the name is used twice; give each scenario its own name",
                    s.name
                )));
            }
        }
        for s in &scenarios {
            if s.compare_to != BASELINE && !seen.contains(s.compare_to.as_str()) {
                return Err(err(format!(
                    "scenario \"{}\", key `compare_to`: there is no scenario \"{}\"; use \"{BASELINE}\" or one of: {}",
                    s.name,
                    s.compare_to,
                    scenarios.iter().map(|s| format!("\"{}\"", s.name)).collect::<Vec<_>>().join(", ")
                )));
            }
            if s.compare_to == s.name {
                return Err(err(format!(
                    "scenario \"{}\", key `compare_to`: a scenario cannot be compared with itself",
                    s.name
                )));
            }
        }
        Ok(ScenarioFile {
            path: path.to_path_buf(),
            text: text.to_string(),
            scenarios,
        })
    }
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(x) if x.is_finite() => Some(*x),
        _ => None,
    }
}

fn parse_scenario(t: &toml::Table, k: usize) -> std::result::Result<Scenario, String> {
    let name = match t.get("name") {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(toml::Value::String(_)) => {
            return Err(format!(
                "scenario #{}: `name` is empty; give the scenario a name",
                k + 1
            ))
        }
        Some(other) => {
            return Err(format!(
                "scenario #{}: `name` is {}, expected a string",
                k + 1,
                type_name(other)
            ))
        }
        None => {
            return Err(format!(
                "scenario #{}: `name` is missing; every scenario needs one",
                k + 1
            ))
        }
    };
    if name == BASELINE {
        return Err(format!(
            "scenario #{}: the name \"{BASELINE}\" is reserved for the fitted model's own predictions; call a scenario without changes e.g. \"unchanged\"",
            k + 1
        ));
    }
    let at = |key: &str| format!("scenario \"{name}\", key `{key}`");
    for key in t.keys() {
        if !KEYS.contains(&key.as_str()) {
            return Err(format!(
                "{}: unknown key; a scenario may have: {}",
                at(key),
                KEYS.join(", ")
            ));
        }
    }
    let mut s = Scenario {
        name: name.clone(),
        compare_to: BASELINE.to_string(),
        ..Scenario::default()
    };
    if let Some(v) = t.get("description") {
        match v {
            toml::Value::String(d) => s.description = Some(d.clone()),
            other => {
                return Err(format!(
                    "{}: {}, expected a string",
                    at("description"),
                    type_name(other)
                ))
            }
        }
    }
    if let Some(v) = t.get("where") {
        let toml::Value::Table(w) = v else {
            return Err(format!(
                "{}: {}, expected a table like `where = {{ country = \"IE\" }}`",
                at("where"),
                type_name(v)
            ));
        };
        for (column, value) in w {
            let key = format!("where.{column}");
            let scalar = |v: &toml::Value| -> std::result::Result<FilterValue, String> {
                match v {
                    toml::Value::String(x) => Ok(FilterValue::Text(x.clone())),
                    toml::Value::Boolean(b) => Ok(FilterValue::Flag(*b)),
                    other => number(other).map(FilterValue::Number).ok_or_else(|| {
                        format!(
                            "{}: {}, expected a string, a number, true/false, or a list of them",
                            at(&key),
                            type_name(other)
                        )
                    }),
                }
            };
            let values = match value {
                toml::Value::Array(list) if list.is_empty() => {
                    return Err(format!(
                        "{}: the list is empty, so no row could match",
                        at(&key)
                    ))
                }
                toml::Value::Array(list) => list
                    .iter()
                    .map(scalar)
                    .collect::<std::result::Result<Vec<_>, _>>()?,
                other => vec![scalar(other)?],
            };
            s.filter.push(Condition {
                column: column.clone(),
                values,
            });
        }
    }
    if let Some(v) = t.get("set") {
        let toml::Value::Table(set) = v else {
            return Err(format!(
                "{}: {}, expected a table like `set = {{ binding = 1 }}`",
                at("set"),
                type_name(v)
            ));
        };
        for (column, value) in set {
            let x = match value {
                toml::Value::Boolean(b) => f64::from(u8::from(*b)),
                other => number(other).ok_or_else(|| {
                    format!(
                        "{}: {}, expected a number (or true/false for a 0/1 column)",
                        at(&format!("set.{column}")),
                        type_name(other)
                    )
                })?,
            };
            s.set.push((column.clone(), x));
        }
    }
    let flag = |key: &str| -> std::result::Result<Option<bool>, String> {
        match t.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(other) => Err(format!(
                "{}: {}, expected true or false",
                at(key),
                type_name(other)
            )),
        }
    };
    s.poll = flag("poll")?;
    s.renegotiation = flag("renegotiation")?;
    s.foreign_constraint = flag("foreign_constraint")?;
    if let Some(v) = t.get("proposer") {
        s.proposer = Some(match v {
            toml::Value::String(p) if p == "foreign" => ProposerSpec::Foreign,
            toml::Value::String(p) if p == "home" => ProposerSpec::Home,
            toml::Value::String(p) if p == "mixed" => ProposerSpec::Mixed,
            toml::Value::String(p) => {
                return Err(format!(
                    "{}: `{p}` is not a proposer; use \"foreign\", \"home\" or \"mixed\"",
                    at("proposer")
                ))
            }
            other => {
                return Err(format!(
                    "{}: {}, expected \"foreign\", \"home\" or \"mixed\"",
                    at("proposer"),
                    type_name(other)
                ))
            }
        });
    }
    if let Some(v) = t.get("p_home") {
        let p = number(v).ok_or_else(|| {
            format!(
                "{}: {}, expected a number in [0, 1]",
                at("p_home"),
                type_name(v)
            )
        })?;
        if !(0.0..=1.0).contains(&p) {
            return Err(format!(
                "{}: {p} is not a probability; use a number in [0, 1]",
                at("p_home")
            ));
        }
        if s.proposer != Some(ProposerSpec::Mixed) {
            return Err(format!(
                "{}: `p_home` needs `proposer = \"mixed\"` in the same scenario",
                at("p_home")
            ));
        }
        s.p_home = Some(p);
    }
    if let Some(v) = t.get("parameters") {
        let toml::Value::Table(p) = v else {
            return Err(format!(
                "{}: {}, expected a table like `parameters = {{ rho = 0.0 }}`",
                at("parameters"),
                type_name(v)
            ));
        };
        for (pname, value) in p {
            let value = match value {
                toml::Value::String(other) => ParameterValue::Copy(other.clone()),
                other => ParameterValue::Value(number(other).ok_or_else(|| {
                    format!(
                        "{}: {}, expected a number (natural scale) or the name of a fitted parameter to copy",
                        at(&format!("parameters.{pname}")),
                        type_name(other)
                    )
                })?),
            };
            s.parameters.push((pname.clone(), value));
        }
    }
    if let Some(v) = t.get("compare_to") {
        match v {
            toml::Value::String(c) => s.compare_to = c.trim().to_string(),
            other => {
                return Err(format!(
                    "{}: {}, expected a scenario name or \"{BASELINE}\"",
                    at("compare_to"),
                    type_name(other)
                ))
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ScenarioFile> {
        ScenarioFile::parse(text, Path::new("s.toml"))
    }

    #[test]
    fn the_contract_example_parses() {
        let f = parse(
            r#"
[[scenario]]
name = "unchanged"

[[scenario]]
name = "Ireland by parliament"
where = { country = "IE" }
set = { referendum = 0 }
renegotiation = false
proposer = "home"
parameters = { rho = 0.0 }
"#,
        )
        .unwrap();
        assert_eq!(f.scenarios.len(), 2);
        assert!(f.scenarios[0].is_empty());
        let s = &f.scenarios[1];
        assert_eq!(
            s.filter,
            vec![Condition {
                column: "country".into(),
                values: vec![FilterValue::Text("IE".into())]
            }]
        );
        assert_eq!(s.set, vec![("referendum".to_string(), 0.0)]);
        assert_eq!(s.renegotiation, Some(false));
        assert_eq!(s.proposer, Some(ProposerSpec::Home));
        assert_eq!(
            s.parameters,
            vec![("rho".to_string(), ParameterValue::Value(0.0))]
        );
        assert_eq!(s.compare_to, BASELINE);
    }

    #[test]
    fn form_errors_name_the_scenario_and_key() {
        let cases = [
            (
                "[[scenario]]\nname = \"a\"\nrenegotiaton = false\n",
                "renegotiaton",
            ),
            (
                "[[scenario]]\nname = \"a\"\nset = { binding = \"one\" }\n",
                "set.binding",
            ),
            ("[[scenario]]\nname = \"a\"\npoll = 1\n", "`poll`"),
            ("[[scenario]]\nname = \"a\"\nproposer = \"both\"\n", "both"),
            ("[[scenario]]\nname = \"a\"\np_home = 0.5\n", "mixed"),
            (
                "[[scenario]]\nname = \"a\"\n[[scenario]]\nname = \"a\"\n",
                "twice",
            ),
            (
                "[[scenario]]\nname = \"a\"\ncompare_to = \"b\"\n",
                "no scenario \"b\"",
            ),
            ("[[scenario]]\nname = \"baseline\"\n", "reserved"),
            ("[[scenario]]\nset = { x = 1 }\n", "`name` is missing"),
            ("[scenario]\nname = \"a\"\n", "two brackets"),
            ("name = \"a\"\n", "top-level"),
        ];
        for (text, needle) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
            assert!(e.starts_with("scenarios `s.toml`"), "{e}");
        }
    }

    #[test]
    fn filter_values_match_cells() {
        use crate::problem::table::matching_rows;
        use polars::prelude::*;
        let cells = Column::new("c".into(), ["1", " 0.5", "IE", "IS", "true"]);
        let rows = |v: FilterValue| -> Vec<bool> {
            matching_rows(&cells, &[v])
                .unwrap()
                .iter()
                .map(|m| m == Some(true))
                .collect()
        };
        assert_eq!(
            rows(FilterValue::Number(1.0)),
            [true, false, false, false, false]
        );
        assert_eq!(
            rows(FilterValue::Number(0.5)),
            [false, true, false, false, false]
        );
        assert_eq!(
            rows(FilterValue::Flag(true)),
            [true, false, false, false, true]
        );
        assert_eq!(
            rows(FilterValue::Text("IE".into())),
            [false, false, true, false, false]
        );
    }
}
