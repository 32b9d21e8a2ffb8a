//! Parsing never panics (issue 6): the spec parser, the CSV loader, the `--params` reader and the
//! scenario parser get random bytes, random TOML/CSV/JSON-like text, and truncations and
//! mutations of the shipped files (`estimation/*.toml`, `data/*.csv`,
//! `estimation/*.scenarios.toml`). Every input must either parse or fail with a typed
//! [`Error`] of the parser's kind whose message names the file; a panic fails the test with the
//! input that caused it.
//!
//! Inputs that parse are pushed one step further through what a command does next (the data a
//! spec names, the model, the pre-fit diagnostics, `predict`/`simulate` at the default start,
//! a scenario checked against the EU example), so that input the parsers let through cannot
//! crash a later stage either.
//!
//! The number of cases per test is `TWOLEVEL_PROPTEST_CASES` (default 256), drawn from a fixed
//! seed unless `TWOLEVEL_PROPTEST_SEED` says otherwise (see `tests/common`).

mod common;

use proptest::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use twolevel::analyses::counterfactual::{self, Options, Prepared, ScenarioFile};
use twolevel::analyses::predict::{predict_csv, simulate_csv};
use twolevel::error::Error;
use twolevel::problem::data::Dataset;
use twolevel::problem::project::{read_params, Project};
use twolevel::problem::spec::SpecFile;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn shipped(path: &str) -> Vec<u8> {
    std::fs::read(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const SPECS: [&str; 4] = [
    "estimation/eu_renegotiation.toml",
    "estimation/eu_oneshot.toml",
    "estimation/referendums_oneshot.toml",
    "estimation/referendums_renegotiation.toml",
];
const DATA: [&str; 2] = [
    "data/eu_treaty_ratifications.csv",
    "data/treaty_referendums.csv",
];
const SCENARIOS: &str = "estimation/eu_renegotiation.scenarios.toml";

/// The shipped specs, parsed with their real paths (so that their data paths resolve).
fn specs() -> &'static Vec<SpecFile> {
    static SPECS_PARSED: OnceLock<Vec<SpecFile>> = OnceLock::new();
    SPECS_PARSED.get_or_init(|| {
        SPECS
            .iter()
            .map(|p| SpecFile::read(&repo(p)).unwrap())
            .collect()
    })
}

/// The EU example with renegotiation (the default example).
fn eu() -> &'static Project {
    static EU: OnceLock<Project> = OnceLock::new();
    EU.get_or_init(|| Project::load(&repo(SPECS[0])).unwrap())
}

/// Runs `f`; a panic becomes a test failure that shows the input.
fn guarded<T>(what: &str, input: &[u8], f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        TestCaseError::fail(format!(
            "{what} panicked ({message}) on the input\n{:?}",
            String::from_utf8_lossy(input)
        ))
    })
}

/// An error must be of the parser's kind (or a file that is not UTF-8 text) and name the file.
fn check_error(e: &Error, kind: &str, path: &Path, input: &[u8]) -> Result<(), TestCaseError> {
    let ok_kind = matches!(
        (kind, e),
        ("spec", Error::Spec { .. })
            | ("data", Error::Data { .. })
            | ("params", Error::Params { .. })
            | ("scenario", Error::Scenario { .. })
    ) || matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::InvalidData);
    let text = e.to_string();
    prop_assert!(
        ok_kind && text.contains(&path.display().to_string()) && text.len() > 30,
        "a {kind} error of the wrong kind or without the file: {text:?} ({e:?})\ninput: {:?}",
        String::from_utf8_lossy(input)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Input strategies.

/// One edit of a byte string; positions are taken modulo the length.
#[derive(Debug, Clone)]
enum Edit {
    Truncate(usize),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Replace(usize, u8),
    DropLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

/// Bytes that matter to TOML, CSV and JSON.
fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 1..4),
        prop::sample::select(vec![
            b"\"".to_vec(),
            b",".to_vec(),
            b"\n".to_vec(),
            b"\r\n".to_vec(),
            b"\r".to_vec(),
            b"=".to_vec(),
            b"[".to_vec(),
            b"]".to_vec(),
            b"{".to_vec(),
            b"}".to_vec(),
            b"#".to_vec(),
            b"'".to_vec(),
            b"\\".to_vec(),
            b"\0".to_vec(),
            b"\xef\xbb\xbf".to_vec(),
            b"\xff\xfe".to_vec(),
            b"NaN".to_vec(),
            b"inf".to_vec(),
            b"-".to_vec(),
            b"1e999".to_vec(),
            b"free".to_vec(),
            b"const".to_vec(),
            b",,,,".to_vec(),
            "é".as_bytes().to_vec(),
        ]),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        1 => at.prop_map(Edit::Truncate),
        2 => (any::<usize>(), 1..40usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        3 => (any::<usize>(), interesting_bytes()).prop_map(|(a, b)| Edit::Insert(a, b)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Replace(a, b)),
        2 => any::<usize>().prop_map(Edit::DropLine),
        1 => any::<usize>().prop_map(Edit::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
    ]
}

fn apply(base: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut v = base.to_vec();
    for e in edits {
        let n = v.len().max(1);
        match e {
            Edit::Truncate(a) => v.truncate(a % n),
            Edit::Delete(a, k) => {
                let a = a % n;
                let b = (a + k).min(v.len());
                if a < b {
                    v.drain(a..b);
                }
            }
            Edit::Insert(a, bytes) => {
                let a = (a % (v.len() + 1)).min(v.len());
                v.splice(a..a, bytes.iter().copied());
            }
            Edit::Replace(a, b) => {
                if !v.is_empty() {
                    let a = a % v.len();
                    v[a] = *b;
                }
            }
            Edit::DropLine(k) | Edit::DuplicateLine(k) | Edit::SwapLines(k, _) => {
                let mut lines: Vec<Vec<u8>> =
                    v.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let m = lines.len();
                match e {
                    Edit::DropLine(_) => {
                        lines.remove(k % m);
                    }
                    Edit::DuplicateLine(_) => {
                        let line = lines[k % m].clone();
                        lines.insert(k % m, line);
                    }
                    Edit::SwapLines(_, j) => lines.swap(k % m, j % m),
                    _ => unreachable!(),
                }
                v = lines.join(&b'\n');
            }
        }
    }
    v
}

/// A shipped file (one of `files`) with one to four edits.
fn mutated(files: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(files.to_vec()),
        prop::collection::vec(edit(), 1..5),
    )
        .prop_map(|(file, edits)| apply(&shipped(file), &edits))
}

/// A shipped file cut at a random byte.
fn truncated(files: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (prop::sample::select(files.to_vec()), any::<usize>()).prop_map(|(file, at)| {
        let bytes = shipped(file);
        bytes[..at % (bytes.len() + 1)].to_vec()
    })
}

fn random_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..400)
}

fn word(vocab: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vocab.to_vec()).prop_map(str::to_string),
        1 => "[a-z_:]{0,8}",
        1 => any::<String>().prop_map(|s| s.chars().take(6).collect()),
    ]
}

const TOML_KEYS: &[&str] = &[
    "path",
    "outcome",
    "id",
    "cluster",
    "weight",
    "poll",
    "renegotiation",
    "foreign_constraint",
    "proposer",
    "family",
    "location",
    "scale",
    "index",
    "rho",
    "delta_ratifier",
    "delta_proposer",
    "poll_weight",
    "optimizer",
    "starts",
    "seed",
    "max_iters",
    "start",
    "replicates",
    "kind",
    "name",
    "description",
    "where",
    "set",
    "p_home",
    "parameters",
    "compare_to",
    "\"home:const\"",
    "\"foreign:scale\"",
];
const TOML_TABLES: &[&str] = &[
    "[data]",
    "[protocol]",
    "[model]",
    "[home]",
    "[foreign]",
    "[proposer]",
    "[parameters]",
    "[estimation]",
    "[estimation.start]",
    "[bootstrap]",
    "[[scenario]]",
    "[scenario]",
    "[[data]]",
];
const TOML_STRINGS: &[&str] = &[
    "free",
    "fre",
    "const",
    "outcome",
    "poll",
    "renegotiable",
    "binding",
    "referendum",
    "country",
    "IE",
    "route",
    "mixed",
    "home",
    "foreign",
    "logistic",
    "normal",
    "uniform",
    "lbfgs",
    "nelder-mead",
    "parametric",
    "baseline",
    "unchanged",
    "home:const",
    "home:scale",
    "rho",
    "../data/eu_treaty_ratifications.csv",
    "",
];

fn toml_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        (-3i64..4).prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        prop::sample::select(vec![
            "0.5",
            "1.5",
            "-0.1",
            "0.0",
            "1e400",
            "nan",
            "inf",
            "-inf",
            "true",
            "false",
            "1979-05-27",
            "0x10",
        ])
        .prop_map(str::to_string),
        word(TOML_STRINGS).prop_map(|s| format!("{s:?}")),
    ]
}

fn toml_value() -> impl Strategy<Value = String> {
    toml_scalar().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((word(TOML_KEYS), inner), 0..3).prop_map(|v| {
                let items: Vec<String> = v.into_iter().map(|(k, x)| format!("{k} = {x}")).collect();
                format!("{{ {} }}", items.join(", "))
            }),
        ]
    })
}

/// Lines of tables and `key = value` pairs drawn from the spec and scenario vocabulary.
fn toml_like() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        1 => prop::sample::select(TOML_TABLES.to_vec()).prop_map(str::to_string),
        4 => (word(TOML_KEYS), toml_value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => Just(String::new()),
    ];
    prop::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n").into_bytes())
}

/// A minimal valid spec plus random `key = value` lines in random tables: mostly valid TOML
/// that breaks the schema in one or two places.
fn spec_like() -> impl Strategy<Value = Vec<u8>> {
    let extra = (
        prop::sample::select(TOML_TABLES[..10].to_vec()),
        word(TOML_KEYS),
        toml_value(),
    );
    prop::collection::vec(extra, 0..4).prop_map(|extras| {
        let mut tables: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        tables.entry("[data]").or_default().extend([
            "path = \"../data/eu_treaty_ratifications.csv\"".to_string(),
            "outcome = \"outcome\"".to_string(),
        ]);
        tables.entry("[home]").or_default().extend([
            "location = [\"const\", \"binding\"]".to_string(),
            "scale = 0.1".to_string(),
        ]);
        for (table, key, value) in extras {
            tables
                .entry(table)
                .or_default()
                .push(format!("{key} = {value}"));
        }
        let mut text = String::new();
        for (table, lines) in tables {
            text.push_str(table);
            text.push('\n');
            for l in lines {
                text.push_str(&l);
                text.push('\n');
            }
        }
        text.into_bytes()
    })
}

const CSV_COLUMNS: &[&str] = &[
    "episode",
    "treaty",
    "country",
    "decade",
    "route",
    "referendum",
    "binding",
    "supermajority",
    "poll",
    "renegotiable",
    "foreign_constraint",
    "outcome",
    "first_outcome",
    "continues",
];
const CSV_CELLS: &[&str] = &[
    "0",
    "1",
    "0.5",
    "-1.4",
    "2",
    "",
    " ",
    "NaN",
    "inf",
    "1e400",
    "x",
    "ratified",
    "renegotiated",
    "failed",
    "Ratified",
    "parliament",
    "mandatory_referendum",
    "consultative_referendum",
    "referendum",
    "E1",
    "E2",
    "E3",
    "\"quoted, cell\"",
    "\"\"",
    "\"",
    "true",
];

/// A header drawn from the curated datasets' columns and rows of cells from their values.
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let header = prop::collection::vec(word(CSV_COLUMNS), 0..10);
    let rows = prop::collection::vec(prop::collection::vec(word(CSV_CELLS), 0..11), 0..12);
    let ending = prop::sample::select(vec!["\n", "\r\n", "\r"]);
    (header, rows, ending).prop_map(|(header, rows, ending)| {
        let mut text = header.join(",");
        for r in rows {
            text.push_str(ending);
            text.push_str(&r.join(","));
        }
        text.into_bytes()
    })
}

/// A well-formed dataset for the EU spec's columns with a few random cells: most inputs pass
/// the CSV reader and probe the checks behind it.
fn csv_cells() -> impl Strategy<Value = Vec<u8>> {
    let n = 6usize;
    let cell = prop::option::weighted(0.15, word(CSV_CELLS));
    prop::collection::vec(prop::collection::vec(cell, 7), n).prop_map(move |cells| {
        let mut text = String::from(
            "episode,treaty,binding,supermajority,poll,renegotiable,outcome,continues\n",
        );
        let defaults = |i: usize| -> [String; 7] {
            [
                "T".to_string(),
                (i % 2).to_string(),
                ((i / 2) % 2).to_string(),
                "0".to_string(),
                "1".to_string(),
                ["ratified", "renegotiated", "failed"][i % 3].to_string(),
                String::new(),
            ]
        };
        for (i, row) in cells.into_iter().enumerate() {
            let d = defaults(i);
            let values: Vec<String> = row
                .into_iter()
                .zip(d)
                .map(|(c, d)| c.unwrap_or(d))
                .collect();
            text.push_str(&format!("E{i},{}\n", values.join(",")));
        }
        text.into_bytes()
    })
}

const PARAM_NAMES: &[&str] = &[
    "home:const",
    "home:binding",
    "home:supermajority",
    "home:scale",
    "rho",
    "delta_ratifier",
    "delta_proposer",
    "poll_weight",
    "foreign:const",
    "parameters",
    "name",
    "estimate",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(|x| serde_json::json!(x)),
        (-2.0..2.0f64).prop_map(|x| serde_json::json!(x)),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        any::<u64>().prop_map(|i| serde_json::json!(i)),
        word(PARAM_NAMES).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((word(PARAM_NAMES), inner), 0..6)
                .prop_map(|v| Value::Object(v.into_iter().collect())),
        ]
    })
}

/// JSON objects of parameter names (or an estimates.json-like `parameters` list), with valid,
/// out-of-domain and wrongly typed values; sometimes cut short.
fn json_like() -> impl Strategy<Value = Vec<u8>> {
    use serde_json::Value;
    let object = prop::collection::vec((word(PARAM_NAMES), json_value()), 0..8)
        .prop_map(|v| Value::Object(v.into_iter().collect()));
    let entry = (word(PARAM_NAMES), json_value())
        .prop_map(|(n, v)| serde_json::json!({"name": n, "estimate": v}));
    let list =
        prop::collection::vec(entry, 0..8).prop_map(|v| serde_json::json!({"parameters": v}));
    let good = prop::collection::vec(0.01..0.99f64, 4).prop_map(|v| {
        serde_json::json!({"home:const": v[0], "home:binding": v[1] - 0.5, "home:supermajority": v[2], "rho": v[3]})
    });
    (
        prop_oneof![object, list, good, json_value()],
        any::<Option<usize>>(),
    )
        .prop_map(|(v, cut)| {
            let text = serde_json::to_vec(&v).unwrap();
            match cut {
                Some(at) => text[..at % (text.len() + 1)].to_vec(),
                None => text,
            }
        })
}

const SCENARIO_KEYS: &[&str] = &[
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

/// `[[scenario]]` tables with keys from the contract and random values.
fn scenario_like() -> impl Strategy<Value = Vec<u8>> {
    let pair = (word(SCENARIO_KEYS), toml_value()).prop_map(|(k, v)| format!("{k} = {v}"));
    let scenario = (
        prop::option::weighted(0.9, word(&["a", "b", "baseline", "unchanged"])),
        prop::collection::vec(pair, 0..5),
    )
        .prop_map(|(name, pairs)| {
            let mut s = String::from("[[scenario]]\n");
            if let Some(n) = name {
                s.push_str(&format!("name = {n:?}\n"));
            }
            for p in pairs {
                s.push_str(&p);
                s.push('\n');
            }
            s
        });
    prop::collection::vec(scenario, 0..4).prop_map(|v| v.concat().into_bytes())
}

// ---------------------------------------------------------------------------------------------
// What each parser, and the stage after it, must survive.

/// The spec parser; a spec that parses goes on to its data, model and pre-fit checks.
fn spec_survives(input: &[u8]) -> Result<(), TestCaseError> {
    let path = repo("estimation/fuzzed.toml");
    let text = String::from_utf8_lossy(input).into_owned();
    let parsed = guarded("SpecFile::parse", input, || SpecFile::parse(&text, &path))?;
    match parsed {
        Err(e) => check_error(&e, "spec", &path, input),
        Ok(spec) => guarded("loading a fuzzed spec's data", input, || {
            let data = match Dataset::load(&spec) {
                Ok(d) => d,
                Err(_) => return,
            };
            let project = Project { spec, data };
            if let Ok(model) = project.model() {
                let _ =
                    twolevel::estimate::diagnose::before_fit(&project.spec, &project.data, &model);
                if let Ok(starts) =
                    twolevel::estimate::starting_points(&model.space, &project.spec.spec.estimation)
                {
                    let theta = model.space.to_natural(&starts[0]);
                    let _ = predict_csv(&project, &model, &theta);
                }
            }
        }),
    }
}

/// The CSV loader under every shipped spec; a dataset that loads goes on to the model, the
/// pre-fit checks, `predict` and `simulate` at the default start.
fn data_survives(input: &[u8]) -> Result<(), TestCaseError> {
    let path = Path::new("fuzzed.csv");
    for spec in specs() {
        let loaded = guarded("Dataset::from_bytes", input, || {
            Dataset::from_bytes(spec, path, input.to_vec())
        })?;
        match loaded {
            Err(e) => check_error(&e, "data", path, input)?,
            Ok(data) => {
                prop_assert!(!data.is_empty());
                let project = Project {
                    spec: spec.clone(),
                    data,
                };
                guarded("the stages after loading fuzzed data", input, || {
                    let Ok(model) = project.model() else { return };
                    let _ = twolevel::estimate::diagnose::before_fit(
                        &project.spec,
                        &project.data,
                        &model,
                    );
                    let start = model.space.default_start();
                    predict_csv(&project, &model, &start).unwrap();
                    simulate_csv(&project, &model, &start, 1, None).unwrap();
                    simulate_csv(&project, &model, &start, 1, Some(3)).unwrap();
                })?;
            }
        }
    }
    Ok(())
}

/// The `--params` reader (EU renegotiation model); values that pass go on to `predict`.
fn params_survive(input: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("params.json");
    std::fs::write(&path, input).unwrap();
    let project = eu();
    let model = project.model().unwrap();
    let read = guarded("read_params", input, || read_params(&path, &model))?;
    match read {
        Err(e) => check_error(&e, "params", &path, input),
        Ok(theta) => {
            prop_assert_eq!(theta.len(), model.space.len());
            guarded("predict at read parameters", input, || {
                predict_csv(project, &model, &theta).unwrap();
            })
        }
    }
}

/// The scenario parser; a file that parses is checked against the EU example and evaluated
/// at the default start.
fn scenarios_survive(input: &[u8]) -> Result<(), TestCaseError> {
    let path = Path::new("fuzzed.scenarios.toml");
    let text = String::from_utf8_lossy(input).into_owned();
    let parsed = guarded("ScenarioFile::parse", input, || {
        ScenarioFile::parse(&text, path)
    })?;
    match parsed {
        Err(e) => check_error(&e, "scenario", path, input),
        Ok(file) => {
            let project = eu();
            let model = project.model().unwrap();
            let theta = model.space.default_start();
            for s in &file.scenarios {
                let prepared = guarded("Prepared::new", input, || {
                    Prepared::new(s, &project.spec, &project.data, &model.space, &theta, path)
                })?;
                if let Err(e) = prepared {
                    check_error(&e, "scenario", path, input)?;
                }
            }
            let internal = model.space.to_internal(&theta);
            let evaluated = guarded("counterfactual::evaluate", input, || {
                counterfactual::evaluate(project, &internal, None, &file, &Options::default())
            })?;
            if let Err(e) = evaluated {
                check_error(&e, "scenario", path, input)?;
            }
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(common::proptest_config())]

    #[test]
    fn spec_parser_survives_random_bytes(input in random_bytes()) {
        spec_survives(&input)?;
    }

    #[test]
    fn spec_parser_survives_toml_like_text(input in prop_oneof![toml_like(), spec_like()]) {
        spec_survives(&input)?;
    }

    #[test]
    fn spec_parser_survives_mutated_and_truncated_specs(
        input in prop_oneof![3 => mutated(&SPECS), 1 => truncated(&SPECS)]
    ) {
        spec_survives(&input)?;
    }

    #[test]
    fn csv_loader_survives_random_bytes(input in random_bytes()) {
        data_survives(&input)?;
    }

    #[test]
    fn csv_loader_survives_csv_like_text(input in prop_oneof![csv_like(), csv_cells()]) {
        data_survives(&input)?;
    }

    #[test]
    fn csv_loader_survives_mutated_and_truncated_data(
        input in prop_oneof![3 => mutated(&DATA), 1 => truncated(&DATA)]
    ) {
        data_survives(&input)?;
    }

    #[test]
    fn params_reader_survives_random_bytes(input in random_bytes()) {
        params_survive(&input)?;
    }

    #[test]
    fn params_reader_survives_json_like_text(input in json_like()) {
        params_survive(&input)?;
    }

    #[test]
    fn params_reader_survives_mutated_estimates(
        input in prop_oneof![
            3 => mutated(&["reports/eu_renegotiation/estimates.json"]),
            1 => truncated(&["reports/eu_renegotiation/estimates.json"]),
        ]
    ) {
        params_survive(&input)?;
    }

    #[test]
    fn scenario_parser_survives_random_bytes(input in random_bytes()) {
        scenarios_survive(&input)?;
    }

    #[test]
    fn scenario_parser_survives_toml_like_text(input in prop_oneof![toml_like(), scenario_like()]) {
        scenarios_survive(&input)?;
    }

    #[test]
    fn scenario_parser_survives_mutated_and_truncated_scenarios(
        input in prop_oneof![3 => mutated(&[SCENARIOS]), 1 => truncated(&[SCENARIOS])]
    ) {
        scenarios_survive(&input)?;
    }
}

/// The shipped files themselves parse (so that the mutations above start from valid input).
#[test]
fn the_shipped_files_parse() {
    for spec in specs() {
        Dataset::load(spec).unwrap();
    }
    ScenarioFile::read(&repo(SCENARIOS)).unwrap();
    let model = eu().model().unwrap();
    read_params(&repo("reports/eu_renegotiation/estimates.json"), &model).unwrap();
}
