//! Bad input never crashes (issue 6): one test per class of bad input, each running the real
//! binary on a small project in a temporary folder (a spec, a 24-row dataset in the layout of
//! `data/`, and where needed a `--params` file or a scenario file plus a saved fit). For each
//! case: the exit status is non-zero, the message names what is wrong and where (file, row,
//! column, key) and what to do, and no output is left behind (`fit --out` and `predict --out`
//! are not created; the report folder of `counterfactual --out` is not modified).
//!
//! The table below is every bad input tried and the exact message the binary prints (after
//! `error: `; line breaks shown as `⏎`). `the_table_below_is_what_the_binary_prints` checks it
//! against the binary; `TWOLEVEL_PRINT_BAD_INPUT_TABLE=1 cargo test --test bad_input
//! the_table -- --nocapture` prints it afresh. Commands run in the project folder:
//! `fit spec.toml --out out`, `predict spec.toml --params params.json --out predictions.csv`,
//! `counterfactual spec.toml scenarios.toml --out report`.
//!
//! <!-- table -->
//! | case | bad input | command | message |
//! |---|---|---|---|
//! | `missing_data_file` | the spec's data file does not exist | fit | data `missing.csv`: cannot read the file (No such file or directory (os error 2)); check `[data] path = "missing.csv"` in `spec.toml` (relative to the spec file's folder) |
//! | `data_path_is_a_folder` | the spec's data path is a folder (unreadable as a file) | fit | data `.`: cannot read the file (Is a directory (os error 21)); check `[data] path = "."` in `spec.toml` (relative to the spec file's folder) |
//! | `missing_column` | the file lacks the outcome column | fit | data `data.csv`, column `outcome`: the spec names `outcome` as `[data] outcome`, but the file has no such column (it has: `episode`, `country`, `route`, `referendum`, `binding`, `supermajority`, `poll`, `renegotiable`, `continues`); fix the spec or the file |
//! | `spec_names_a_column_that_does_not_exist` | `[home] location` names `bindng` (typo) | fit | data `data.csv`, column `bindng`: the spec names `bindng` as a covariate of `[home] location`, but the file has no such column (it has: `episode`, `country`, `route`, `referendum`, `binding`, `supermajority`, `poll`, `renegotiable`, `outcome`, `continues`); fix the spec or the file |
//! | `spec_names_a_column_in_the_wrong_case` | `[protocol] poll` names `Poll` | fit | data `data.csv`, column `Poll`: the spec names `Poll` as `[protocol] poll`, but the file has no such column (it has: `episode`, `country`, `route`, `referendum`, `binding`, `supermajority`, `poll`, `renegotiable`, `outcome`, `continues`); `poll` differs only in case or spaces; fix the spec or the file |
//! | `non_numeric_covariate` | a covariate cell is `yes` | fit | data `data.csv`, row 3, column `binding`: `yes` is not a number; covariates must be numeric (code categories as 0/1 columns) |
//! | `nan_covariate` | a covariate cell is `NaN` | fit | data `data.csv`, row 5, column `binding`: `NaN` is not a finite number (NaN or infinite); fix or drop the row |
//! | `empty_covariate_cell` | a covariate cell is empty | fit | data `data.csv`, row 2, column `binding`: missing value; covariates must be present in every row (drop or impute the row) |
//! | `empty_outcome_cell` | an outcome cell is empty | fit | data `data.csv`, row 7, column `outcome`: the outcome is empty; use one of ratified, renegotiated, failed (or drop the row) |
//! | `unknown_outcome_label` | an outcome is `ratifed` (typo) | fit | data `data.csv`, row 4, column `outcome`: unknown outcome `ratifed`; use one of ratified, renegotiated, failed |
//! | `protocol_value_not_0_or_1` | a protocol (`poll`) cell is `2` | fit | data `data.csv`, row 6, column `poll`: protocol value `2` is not 0 or 1; code `poll` as 0/1 |
//! | `renegotiated_without_renegotiation_stage` | a `renegotiated` row has `renegotiable = 0` | fit | data `data.csv`, row 2, column `outcome`: the outcome is `renegotiated` but its `renegotiable` is 0, so the row's protocol has no renegotiation stage; recode the row or the protocol |
//! | `unknown_route` | a `route` is `plebiscite` | fit | data `data.csv`, row 3, column `route`: unknown route `plebiscite`; use one of parliament, mandatory_referendum, optional_referendum, consultative_referendum |
//! | `continues_points_to_a_missing_episode` | a `continues` chain points to episode `E99` | fit | data `data.csv`, row 13, column `continues`: the chain points to episode `E99`, which is not in the file; fix the id or add the episode |
//! | `row_with_too_few_fields` | a row has 9 fields, the header 10 | fit | data `data.csv`, row 6: the row has 9 fields but the header has 10 (line 7); give every row one field per header column (quote fields that contain commas) |
//! | `duplicate_column` | the header has `binding` twice | fit | data `data.csv`, column `binding`: the header has two columns called `binding` (columns 5 and 6); rename or drop one |
//! | `empty_data_file` | the data file is empty | fit | data `data.csv`: the file is empty; it needs a header row and at least one data row |
//! | `header_only_data_file` | the data file has a header and no rows | fit | data `data.csv`: the file has a header but no data rows |
//! | `non_utf8_data_file` | the data file is Latin-1 (`Zürich` as byte 0xFC) | fit | data `data.csv`: the file is not UTF-8 text; save it as UTF-8 CSV |
//! | `unknown_key_in_spec` | `[home] scael = 2` (typo) | fit | spec `spec.toml`: TOML parse error at line 13, column 1 ⏎    \| ⏎ 13 \| scael = 2 ⏎    \| ^^^^^ ⏎ unknown field `scael`, expected `location` or `scale` ⏎   hint: see the spec reference in README.md (section "Spec file") |
//! | `unknown_table_in_spec` | a `[parameter]` table (typo for `[parameters]`) | fit | spec `spec.toml`: TOML parse error at line 14, column 2 ⏎    \| ⏎ 14 \| [parameter] ⏎    \|  ^^^^^^^^^ ⏎ unknown field `parameter`, expected one of `data`, `protocol`, `model`, `home`, `foreign`, `proposer`, `parameters`, `estimation`, `bootstrap`, `labels` ⏎   hint: see the spec reference in README.md (section "Spec file") |
//! | `wrong_type_in_spec` | `[estimation] starts = "1"` (a string) | fit | spec `spec.toml`: TOML parse error at line 18, column 10 ⏎    \| ⏎ 18 \| starts = "1" ⏎    \|          ^^^ ⏎ invalid type: string "1", expected a whole number ≥ 0 ⏎   hint: see the spec reference in README.md (section "Spec file") |
//! | `wrong_type_fixed_or_free` | `[home] scale = "0.1"` (a string) | fit | spec `spec.toml`: TOML parse error at line 12, column 9 ⏎    \| ⏎ 12 \| scale = "0.1" ⏎    \|         ^^^^^ ⏎ `0.1` is neither a number nor "free"; write a number to fix the value or "free" to estimate it ⏎   hint: see the spec reference in README.md (section "Spec file") |
//! | `scalar_outside_unit_interval` | `[parameters] rho = 1.5` | fit | spec `spec.toml`: `[parameters] rho = 1.5`: must lie in [0, 1] (or be "free") |
//! | `start_on_the_edge_of_the_domain` | `[estimation] start = { rho = 1.0 }` | fit | spec `spec.toml`: `[estimation] start` "rho" = 1: a start must lie inside the parameter's domain (strictly between 0 and 1); the optimizer cannot start on its edge |
//! | `start_for_a_fixed_parameter` | `[estimation] start` gives the fixed `home:scale` | fit | spec `spec.toml`: `[estimation] start` "home:scale" = 0.2: `home:scale` is fixed at 0.1 by the spec, so it has no starting value; remove it from `start` or make it "free" |
//! | `unknown_label_key` | `[labels]` names `bindng` (typo) | fit | spec `spec.toml`: `[labels]` key "bindng" names no parameter or covariate of this spec; label one of its parameters (home:const, home:binding, home:scale, rho, delta_ratifier, delta_proposer, poll_weight) or covariates (const, binding), or remove the key |
//! | `not_toml_spec` | the spec is not TOML (`[home` unclosed) | fit | spec `spec.toml`: TOML parse error at line 10, column 6 ⏎    \| ⏎ 10 \| [home ⏎    \|      ^ ⏎ invalid table header ⏎ expected `.`, `]` ⏎   hint: see the spec reference in README.md (section "Spec file") |
//! | `empty_spec_file` | the spec file is empty | fit | spec `spec.toml`: TOML parse error at line 1, column 1 ⏎   \| ⏎ 1 \|  ⏎   \| ^ ⏎ missing field `data` ⏎   hint: see the spec reference in README.md (section "Spec file") |
//! | `non_utf8_spec_file` | the spec file is not UTF-8 | fit | cannot read `spec.toml`: stream did not contain valid UTF-8 ⏎   hint: the file is not UTF-8 text; save it as UTF-8 |
//! | `params_missing_a_free_parameter` | `--params` lacks the free `home:binding` | predict | parameters `params.json`: free parameter `home:binding` is missing; give a value for every free parameter (home:const, home:binding, rho) |
//! | `params_unknown_parameter` | `--params` names `home:bindng` | predict | parameters `params.json`: unknown parameter `home:bindng`; fix the name or remove it (this spec's parameters are: home:const, home:binding, home:scale, rho, delta_ratifier, delta_proposer, poll_weight) |
//! | `params_non_numeric` | `--params` gives `"rho": "half"` | predict | parameters `params.json`: `rho` is "half", not a number; give each parameter a JSON number on the natural scale, e.g. "rho": 0.5 |
//! | `params_outside_domain` | `--params` gives `"rho": 1.5` | predict | parameters `params.json`: `rho` = 1.5 is outside its domain (a number in [0, 1]) |
//! | `params_not_json` | `--params` is not JSON | predict | parameters `params.json`: not valid JSON (expected value at line 1 column 1); write an object like {"home:const": 0.4, "rho": 0.5} or pass an estimates.json |
//! | `params_file_missing` | `--params` names a file that does not exist | predict | parameters `params.json`: cannot read the file (No such file or directory (os error 2)); check the --params path |
//! | `scenario_unknown_filter_column` | `where = { contry = "IE" }` | counterfactual | scenarios `scenarios.toml`: scenario "reform", key `where.contry`: unknown column `contry`; the data have: binding, continues, country, episode, outcome, poll, referendum, renegotiable, route, supermajority |
//! | `scenario_unknown_set_column` | `set = { bindng = 1 }` | counterfactual | scenarios `scenarios.toml`: scenario "reform", key `set.bindng`: unknown column `bindng`; the spec's covariates are: binding |
//! | `scenario_unknown_key` | `renegotiaton = false` (typo) | counterfactual | scenarios `scenarios.toml`: scenario "reform", key `renegotiaton`: unknown key; a scenario may have: name, description, where, set, poll, renegotiation, foreign_constraint, proposer, p_home, parameters, compare_to |
//! | `scenario_wrong_type` | `poll = "yes"` | counterfactual | scenarios `scenarios.toml`: scenario "reform", key `poll`: a string, expected true or false |
//! | `scenario_filter_matches_no_rows` | `where = { country = "XX" }` | counterfactual | scenarios `scenarios.toml`: scenario "reform", key `where`: matches no data row: `country` = "XX" (the column has: DE, DK, FR, IE, NL, UK); check the values |
//! | `scenario_unknown_parameter` | `parameters = { rhoo = 0.0 }` | counterfactual | scenarios `scenarios.toml`: scenario "reform", key `parameters.rhoo`: unknown parameter `rhoo`; this scenario's parameters are: home:const, home:binding, home:scale, rho, delta_ratifier, delta_proposer, poll_weight |
//! | `non_utf8_scenario_file` | the scenario file is not UTF-8 | counterfactual | cannot read `scenarios.toml`: stream did not contain valid UTF-8 ⏎   hint: the file is not UTF-8 text; save it as UTF-8 |
//! | `empty_scenario_file` | the scenario file is empty | counterfactual | scenarios `scenarios.toml`: no scenarios; add at least one `[[scenario]]` table with a `name` |
//! <!-- end of table -->

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use twolevel::estimate::project_fit::FitReport;
use twolevel::estimate::SeKind;
use twolevel::problem::project::Project;
use twolevel::report::tables::TableOptions;

// ---------------------------------------------------------------------------------------------
// The valid project every case breaks in one place.

const SPEC: &str = r#"[data]
path = "data.csv"
outcome = "outcome"
id = "episode"

[protocol]
poll = "poll"
renegotiation = "renegotiable"

[home]
location = ["const", "binding"]
scale = 0.1

[parameters]
rho = "free"

[estimation]
starts = 1
"#;

const HEADER: &str =
    "episode,country,route,referendum,binding,supermajority,poll,renegotiable,outcome,continues";

/// The data rows: cells by column name (24 rows).
fn rows() -> Vec<BTreeMap<&'static str, String>> {
    (0..24)
        .map(|i| {
            let route = match i % 4 {
                0 => "mandatory_referendum",
                1 => "consultative_referendum",
                _ => "parliament",
            };
            let outcome = match i {
                1 | 8 => "renegotiated",
                4 | 9 | 14 => "failed",
                _ => "ratified",
            };
            let cells = [
                ("episode", format!("E{i:02}")),
                (
                    "country",
                    ["IE", "DK", "FR", "NL", "DE", "UK"][i % 6].to_string(),
                ),
                ("route", route.to_string()),
                ("referendum", u8::from(route != "parliament").to_string()),
                (
                    "binding",
                    u8::from(route != "consultative_referendum").to_string(),
                ),
                ("supermajority", u8::from(i % 5 == 0).to_string()),
                ("poll", u8::from(i % 7 == 3).to_string()),
                ("renegotiable", u8::from(i % 6 != 5).to_string()),
                ("outcome", outcome.to_string()),
                ("continues", if i == 12 { "E01" } else { "" }.to_string()),
            ];
            cells.into_iter().collect()
        })
        .collect()
}

fn csv_text(rows: &[BTreeMap<&'static str, String>]) -> String {
    let columns: Vec<&str> = HEADER.split(',').collect();
    let mut text = format!("{HEADER}\n");
    for r in rows {
        let cells: Vec<&str> = columns.iter().map(|c| r[c].as_str()).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

fn data() -> String {
    csv_text(&rows())
}

/// The data with one cell changed (`row` is 1-based, as in messages).
fn data_with(row: usize, column: &'static str, value: &str) -> String {
    let mut r = rows();
    r[row - 1].insert(column, value.to_string());
    csv_text(&r)
}

/// The data without a column.
fn data_without(column: &str) -> String {
    let keep: Vec<usize> = HEADER
        .split(',')
        .enumerate()
        .filter(|(_, c)| *c != column)
        .map(|(k, _)| k)
        .collect();
    data()
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            keep.iter().map(|&k| cells[k]).collect::<Vec<_>>().join(",") + "\n"
        })
        .collect()
}

fn spec_with(from: &str, to: &str) -> String {
    assert!(SPEC.contains(from), "{from}");
    SPEC.replacen(from, to, 1)
}

const PARAMS: &str = r#"{"home:const": 0.6, "home:binding": -0.1, "rho": 0.5}"#;

// ---------------------------------------------------------------------------------------------
// Cases.

/// Which command a case runs, and the output it must not leave behind.
#[derive(Clone, Copy, PartialEq)]
enum Run {
    /// `fit spec.toml --out out`: `out` must not exist afterwards.
    Fit,
    /// `predict spec.toml --params params.json --out predictions.csv`: must not exist.
    Predict,
    /// `counterfactual spec.toml scenarios.toml --out report`, with a saved fit in `report`:
    /// the folder must be unchanged.
    Counterfactual,
}

struct Case {
    /// The bad input, in words (for the table).
    what: &'static str,
    run: Run,
    /// Files of the project, replacing the valid ones: (name, bytes).
    files: Vec<(&'static str, Vec<u8>)>,
    /// What the message must contain: what, where, and what to do.
    needles: Vec<&'static str>,
}

fn case(
    what: &'static str,
    run: Run,
    files: Vec<(&'static str, Vec<u8>)>,
    needles: &[&'static str],
) -> Case {
    Case {
        what,
        run,
        files,
        needles: needles.to_vec(),
    }
}

fn text(name: &'static str, content: impl Into<String>) -> (&'static str, Vec<u8>) {
    (name, content.into().into_bytes())
}

fn scenario(body: &str) -> (&'static str, Vec<u8>) {
    text(
        "scenarios.toml",
        format!("[[scenario]]\nname = \"reform\"\n{body}"),
    )
}

macro_rules! cases {
    ($($name:ident => $case:expr;)*) => {
        /// Every case, in table order.
        fn all_cases() -> Vec<(&'static str, Case)> {
            vec![$((stringify!($name), $case)),*]
        }
        $(
            #[test]
            fn $name() {
                check(stringify!($name), &$case);
            }
        )*
    };
}

cases! {
    missing_data_file => case(
        "the spec's data file does not exist",
        Run::Fit,
        vec![text("spec.toml", spec_with("data.csv", "missing.csv"))],
        &["missing.csv", "No such file", "`[data] path = \"missing.csv\"` in `spec.toml`", "relative to the spec file"],
    );
    data_path_is_a_folder => case(
        "the spec's data path is a folder (unreadable as a file)",
        Run::Fit,
        vec![text("spec.toml", spec_with("data.csv", "."))],
        &["data `.`", "cannot read", "directory", "`[data] path"],
    );
    missing_column => case(
        "the file lacks the outcome column",
        Run::Fit,
        vec![text("data.csv", data_without("outcome"))],
        &["data.csv", "column `outcome`", "no such column", "fix the spec or the file"],
    );
    spec_names_a_column_that_does_not_exist => case(
        "`[home] location` names `bindng` (typo)",
        Run::Fit,
        vec![text("spec.toml", spec_with("\"binding\"]", "\"bindng\"]"))],
        &["data.csv", "column `bindng`", "`[home] location`", "`binding`", "fix the spec or the file"],
    );
    spec_names_a_column_in_the_wrong_case => case(
        "`[protocol] poll` names `Poll`",
        Run::Fit,
        vec![text("spec.toml", spec_with("poll = \"poll\"", "poll = \"Poll\""))],
        &["column `Poll`", "[protocol] poll", "differs only in case"],
    );
    non_numeric_covariate => case(
        "a covariate cell is `yes`",
        Run::Fit,
        vec![text("data.csv", data_with(3, "binding", "yes"))],
        &["data.csv", "row 3", "column `binding`", "`yes` is not a number", "numeric"],
    );
    nan_covariate => case(
        "a covariate cell is `NaN`",
        Run::Fit,
        vec![text("data.csv", data_with(5, "binding", "NaN"))],
        &["data.csv", "row 5", "column `binding`", "NaN", "fix or drop the row"],
    );
    empty_covariate_cell => case(
        "a covariate cell is empty",
        Run::Fit,
        vec![text("data.csv", data_with(2, "binding", ""))],
        &["data.csv", "row 2", "column `binding`", "missing value", "drop or impute"],
    );
    empty_outcome_cell => case(
        "an outcome cell is empty",
        Run::Fit,
        vec![text("data.csv", data_with(7, "outcome", ""))],
        &["data.csv", "row 7", "column `outcome`", "empty", "ratified, renegotiated, failed"],
    );
    unknown_outcome_label => case(
        "an outcome is `ratifed` (typo)",
        Run::Fit,
        vec![text("data.csv", data_with(4, "outcome", "ratifed"))],
        &["data.csv", "row 4", "column `outcome`", "`ratifed`", "ratified, renegotiated, failed"],
    );
    protocol_value_not_0_or_1 => case(
        "a protocol (`poll`) cell is `2`",
        Run::Fit,
        vec![text("data.csv", data_with(6, "poll", "2"))],
        &["data.csv", "row 6", "column `poll`", "`2`", "0/1"],
    );
    renegotiated_without_renegotiation_stage => case(
        "a `renegotiated` row has `renegotiable = 0`",
        Run::Fit,
        vec![text("data.csv", data_with(2, "renegotiable", "0"))],
        &["data.csv", "row 2", "column `outcome`", "renegotiated", "`renegotiable` is 0", "recode"],
    );
    unknown_route => case(
        "a `route` is `plebiscite`",
        Run::Fit,
        vec![text("data.csv", data_with(3, "route", "plebiscite"))],
        &["data.csv", "row 3", "column `route`", "`plebiscite`", "parliament, mandatory_referendum"],
    );
    continues_points_to_a_missing_episode => case(
        "a `continues` chain points to episode `E99`",
        Run::Fit,
        vec![text("data.csv", data_with(13, "continues", "E99"))],
        &["data.csv", "row 13", "column `continues`", "`E99`", "fix the id or add the episode"],
    );
    row_with_too_few_fields => case(
        "a row has 9 fields, the header 10",
        Run::Fit,
        vec![text("data.csv", data().replacen("E05,UK,", "E05,", 1))],
        &["data.csv", "row 6", "9 fields", "header has 10", "line 7"],
    );
    duplicate_column => case(
        "the header has `binding` twice",
        Run::Fit,
        vec![text("data.csv", data().replacen("supermajority", "binding", 1))],
        &["data.csv", "column `binding`", "two columns called", "rename or drop one"],
    );
    empty_data_file => case(
        "the data file is empty",
        Run::Fit,
        vec![text("data.csv", "")],
        &["data.csv", "empty", "header row"],
    );
    header_only_data_file => case(
        "the data file has a header and no rows",
        Run::Fit,
        vec![text("data.csv", format!("{HEADER}\n"))],
        &["data.csv", "no data rows"],
    );
    non_utf8_data_file => case(
        "the data file is Latin-1 (`Zürich` as byte 0xFC)",
        Run::Fit,
        vec![("data.csv", {
            let mut b = data().into_bytes();
            b.extend(b"E24,Z\xfcrich,parliament,0,1,0,0,1,ratified,\n");
            b
        })],
        &["data.csv", "not UTF-8", "save it as UTF-8"],
    );
    unknown_key_in_spec => case(
        "`[home] scael = 2` (typo)",
        Run::Fit,
        vec![text("spec.toml", spec_with("scale = 0.1", "scale = 0.1\nscael = 2"))],
        &["spec.toml", "scael", "unknown field", "location", "README.md"],
    );
    unknown_table_in_spec => case(
        "a `[parameter]` table (typo for `[parameters]`)",
        Run::Fit,
        vec![text("spec.toml", spec_with("[parameters]", "[parameter]"))],
        &["spec.toml", "parameter", "unknown field", "parameters"],
    );
    wrong_type_in_spec => case(
        "`[estimation] starts = \"1\"` (a string)",
        Run::Fit,
        vec![text("spec.toml", spec_with("starts = 1", "starts = \"1\""))],
        &["spec.toml", "starts", "invalid type: string", "expected a whole number"],
    );
    wrong_type_fixed_or_free => case(
        "`[home] scale = \"0.1\"` (a string)",
        Run::Fit,
        vec![text("spec.toml", spec_with("scale = 0.1", "scale = \"0.1\""))],
        &["spec.toml", "scale", "neither a number nor \"free\""],
    );
    scalar_outside_unit_interval => case(
        "`[parameters] rho = 1.5`",
        Run::Fit,
        vec![text("spec.toml", spec_with("rho = \"free\"", "rho = 1.5"))],
        &["spec.toml", "rho = 1.5", "[0, 1]"],
    );
    start_on_the_edge_of_the_domain => case(
        "`[estimation] start = { rho = 1.0 }`",
        Run::Fit,
        vec![text("spec.toml", spec_with("starts = 1", "starts = 1\nstart = { rho = 1.0 }"))],
        &["spec.toml", "`[estimation] start` \"rho\" = 1", "strictly between 0 and 1"],
    );
    start_for_a_fixed_parameter => case(
        "`[estimation] start` gives the fixed `home:scale`",
        Run::Fit,
        vec![text("spec.toml", spec_with("starts = 1", "starts = 1\nstart = { \"home:scale\" = 0.2 }"))],
        &["spec.toml", "\"home:scale\"", "fixed at 0.1", "remove it from `start` or make it \"free\""],
    );
    unknown_label_key => case(
        "`[labels]` names `bindng` (typo)",
        Run::Fit,
        vec![text("spec.toml", format!("{SPEC}\n[labels]\nbindng = \"Binding ratification\"\n"))],
        &["spec.toml", "`[labels]` key \"bindng\"", "home:binding", "covariates (const, binding)"],
    );
    not_toml_spec => case(
        "the spec is not TOML (`[home` unclosed)",
        Run::Fit,
        vec![text("spec.toml", spec_with("[home]", "[home"))],
        &["spec.toml", "line 10", "README.md"],
    );
    empty_spec_file => case(
        "the spec file is empty",
        Run::Fit,
        vec![text("spec.toml", "")],
        &["spec.toml", "missing field `data`"],
    );
    non_utf8_spec_file => case(
        "the spec file is not UTF-8",
        Run::Fit,
        vec![("spec.toml", {
            let mut b = SPEC.as_bytes().to_vec();
            b.extend(b"# caf\xe9\n");
            b
        })],
        &["spec.toml", "not UTF-8", "save it as UTF-8"],
    );
    params_missing_a_free_parameter => case(
        "`--params` lacks the free `home:binding`",
        Run::Predict,
        vec![text("params.json", r#"{"home:const": 0.6, "rho": 0.5}"#)],
        &["params.json", "`home:binding` is missing", "every free parameter"],
    );
    params_unknown_parameter => case(
        "`--params` names `home:bindng`",
        Run::Predict,
        vec![text("params.json", PARAMS.replace("}", r#", "home:bindng": 1}"#))],
        &["params.json", "unknown parameter `home:bindng`", "home:binding"],
    );
    params_non_numeric => case(
        "`--params` gives `\"rho\": \"half\"`",
        Run::Predict,
        vec![text("params.json", PARAMS.replace("0.5", "\"half\""))],
        &["params.json", "`rho`", "not a number"],
    );
    params_outside_domain => case(
        "`--params` gives `\"rho\": 1.5`",
        Run::Predict,
        vec![text("params.json", PARAMS.replace("0.5", "1.5"))],
        &["params.json", "`rho` = 1.5", "[0, 1]"],
    );
    params_not_json => case(
        "`--params` is not JSON",
        Run::Predict,
        vec![text("params.json", "home:const = 0.6\n")],
        &["params.json", "not valid JSON", "object like"],
    );
    params_file_missing => case(
        "`--params` names a file that does not exist",
        Run::Predict,
        vec![],
        &["params.json", "No such file", "check the --params path"],
    );
    scenario_unknown_filter_column => case(
        "`where = { contry = \"IE\" }`",
        Run::Counterfactual,
        vec![scenario("where = { contry = \"IE\" }\nrenegotiation = false\n")],
        &["scenarios.toml", "scenario \"reform\"", "where.contry", "unknown column", "country"],
    );
    scenario_unknown_set_column => case(
        "`set = { bindng = 1 }`",
        Run::Counterfactual,
        vec![scenario("set = { bindng = 1 }\n")],
        &["scenarios.toml", "scenario \"reform\"", "set.bindng", "unknown column", "binding"],
    );
    scenario_unknown_key => case(
        "`renegotiaton = false` (typo)",
        Run::Counterfactual,
        vec![scenario("renegotiaton = false\n")],
        &["scenarios.toml", "scenario \"reform\"", "renegotiaton", "unknown key", "renegotiation"],
    );
    scenario_wrong_type => case(
        "`poll = \"yes\"`",
        Run::Counterfactual,
        vec![scenario("poll = \"yes\"\n")],
        &["scenarios.toml", "scenario \"reform\"", "`poll`", "a string", "true or false"],
    );
    scenario_filter_matches_no_rows => case(
        "`where = { country = \"XX\" }`",
        Run::Counterfactual,
        vec![scenario("where = { country = \"XX\" }\nrenegotiation = false\n")],
        &["scenarios.toml", "scenario \"reform\"", "`where`", "matches no data row", "DE, DK, FR, IE, NL, UK"],
    );
    scenario_unknown_parameter => case(
        "`parameters = { rhoo = 0.0 }`",
        Run::Counterfactual,
        vec![scenario("parameters = { rhoo = 0.0 }\n")],
        &["scenarios.toml", "parameters.rhoo", "unknown parameter", "rho"],
    );
    non_utf8_scenario_file => case(
        "the scenario file is not UTF-8",
        Run::Counterfactual,
        vec![("scenarios.toml", b"[[scenario]]\nname = \"r\xe9form\"\npoll = true\n".to_vec())],
        &["scenarios.toml", "not UTF-8", "save it as UTF-8"],
    );
    empty_scenario_file => case(
        "the scenario file is empty",
        Run::Counterfactual,
        vec![text("scenarios.toml", "")],
        &["scenarios.toml", "no scenarios", "[[scenario]]"],
    );
}

// ---------------------------------------------------------------------------------------------
// Running a case.

/// A saved fit of the valid project (`estimates.json` and the tables), made once.
fn fitted_report() -> &'static BTreeMap<String, Vec<u8>> {
    static FIT: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FIT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        write_project(dir.path(), &[]);
        let project = Project::load(&dir.path().join("spec.toml")).unwrap();
        let model = project.model().unwrap();
        let report = FitReport {
            provenance: project.provenance(),
            se_kind: SeKind::Hessian,
            estimates: twolevel::estimate::project_fit::fit_project(&project, &model).unwrap(),
        };
        let out = dir.path().join("report");
        twolevel::report::write_fit_report(
            &out,
            &report,
            &TableOptions::default(),
            None,
            &project.labels(),
        )
        .unwrap();
        snapshot(&out)
    })
}

fn write_project(dir: &Path, files: &[(&'static str, Vec<u8>)]) {
    let mut all: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    all.insert("spec.toml", SPEC.as_bytes().to_vec());
    all.insert("data.csv", data().into_bytes());
    all.insert("params.json", PARAMS.as_bytes().to_vec());
    all.insert(
        "scenarios.toml",
        b"[[scenario]]\nname = \"no renegotiation\"\nrenegotiation = false\n".to_vec(),
    );
    for (name, bytes) in files {
        all.insert(name, bytes.clone());
    }
    for (name, bytes) in all {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            files.insert(name, std::fs::read(e.path()).unwrap_or_default());
        }
    }
    files
}

struct Outcome {
    status: std::process::ExitStatus,
    /// stderr without the leading `error: `.
    message: String,
    /// What the command left behind that it should not have.
    leftovers: Option<String>,
}

fn args(run: Run) -> &'static [&'static str] {
    match run {
        Run::Fit => &["fit", "spec.toml", "--out", "out"],
        Run::Predict => &[
            "predict",
            "spec.toml",
            "--params",
            "params.json",
            "--out",
            "predictions.csv",
        ],
        Run::Counterfactual => &[
            "counterfactual",
            "spec.toml",
            "scenarios.toml",
            "--out",
            "report",
        ],
    }
}

fn execute(name: &str, c: &Case) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_project(root, &c.files);
    if name == "params_file_missing" {
        std::fs::remove_file(root.join("params.json")).unwrap();
    }
    let before = match c.run {
        Run::Counterfactual => {
            let report = root.join("report");
            std::fs::create_dir(&report).unwrap();
            for (file, bytes) in fitted_report() {
                std::fs::write(report.join(file), bytes).unwrap();
            }
            Some(snapshot(&report))
        }
        _ => None,
    };
    let output = Command::new(env!("CARGO_BIN_EXE_twolevel"))
        .args(args(c.run))
        .args(["--threads", "1"])
        .current_dir(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let message = stderr
        .lines()
        .skip_while(|l| !l.starts_with("error: "))
        .collect::<Vec<_>>()
        .join("\n");
    let message = message
        .strip_prefix("error: ")
        .unwrap_or(&stderr)
        .trim_end()
        .to_string();
    let leftovers = match c.run {
        Run::Fit => root
            .join("out")
            .exists()
            .then(|| "created out/".to_string()),
        Run::Predict => root
            .join("predictions.csv")
            .exists()
            .then(|| "created predictions.csv".to_string()),
        Run::Counterfactual => {
            let after = snapshot(&root.join("report"));
            (Some(&after) != before.as_ref()).then(|| {
                let before = before.unwrap();
                let changed: Vec<&String> = after
                    .keys()
                    .chain(before.keys())
                    .filter(|k| after.get(*k) != before.get(*k))
                    .collect();
                format!("changed report/: {changed:?}")
            })
        }
    };
    Outcome {
        status: output.status,
        message,
        leftovers,
    }
}

fn check(name: &str, c: &Case) {
    let out = execute(name, c);
    assert!(!out.status.success(), "{name}: the command succeeded");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{name}: not a clean error exit (a crash?): {}",
        out.message
    );
    assert!(
        !out.message.contains("panicked"),
        "{name}: panicked: {}",
        out.message
    );
    for needle in &c.needles {
        assert!(
            out.message.contains(needle),
            "{name}: the message lacks {needle:?}:\n{}",
            out.message
        );
    }
    assert_eq!(out.leftovers, None, "{name}: output left behind");
}

// ---------------------------------------------------------------------------------------------
// The valid project works, and the table of messages is accurate.

#[test]
fn the_valid_project_runs() {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &[]);
    let report = dir.path().join("report");
    std::fs::create_dir(&report).unwrap();
    for (file, bytes) in fitted_report() {
        std::fs::write(report.join(file), bytes).unwrap();
    }
    for run in [Run::Predict, Run::Counterfactual] {
        let output = Command::new(env!("CARGO_BIN_EXE_twolevel"))
            .args(args(run))
            .args(["--threads", "1"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(dir.path().join("predictions.csv").exists());
    assert!(report.join("counterfactual.json").exists());
}

/// A data file the operating system refuses to read (skipped when running as root, who may
/// read anything).
#[test]
fn unreadable_data_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), &[]);
    let data = dir.path().join("data.csv");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&data).is_ok() {
        eprintln!("running as root: the permission case cannot be set up; skipped");
        return;
    }
    let c = case("", Run::Fit, vec![], &["data.csv", "permission"]);
    let out = execute("unreadable_data_file", &c);
    assert!(!out.status.success());
    assert!(out.message.contains("Permission denied"), "{}", out.message);
    assert_eq!(out.leftovers, None);
}

fn table_row(name: &str, c: &Case, message: &str) -> String {
    let command = match c.run {
        Run::Fit => "fit",
        Run::Predict => "predict",
        Run::Counterfactual => "counterfactual",
    };
    let message = message.replace('|', "\\|").replace('\n', " ⏎ ");
    format!(
        "| `{name}` | {} | {command} | {message} |",
        c.what.replace('|', "\\|")
    )
}

#[test]
fn the_table_below_is_what_the_binary_prints() {
    let source = include_str!("bad_input.rs");
    let mut expected = Vec::new();
    let mut stale = Vec::new();
    for (name, c) in all_cases() {
        let out = execute(name, &c);
        let row = table_row(name, &c, &out.message);
        if !source.contains(&format!("//! {row}\n")) {
            stale.push(row.clone());
        }
        expected.push(row);
    }
    if std::env::var_os("TWOLEVEL_PRINT_BAD_INPUT_TABLE").is_some() {
        println!("//! | case | bad input | command | message |\n//! |---|---|---|---|");
        for row in &expected {
            println!("//! {row}");
        }
    }
    assert!(
        stale.is_empty(),
        "the doc table of tests/bad_input.rs is out of date; these rows differ or are missing \
         (print the table with TWOLEVEL_PRINT_BAD_INPUT_TABLE=1):\n{}",
        stale.join("\n")
    );
}
