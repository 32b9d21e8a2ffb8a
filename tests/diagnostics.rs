//! Degenerate data are diagnosed, not fitted blindly (issue 6, `src/diagnose.rs`): one test per
//! case on a small hand-made dataset and spec written to a temporary folder, asserting that the
//! error (or the warning in `Estimates::warnings`) names the cause and what to do.
//!
//! | case | verdict |
//! | --- | --- |
//! | every episode has the same outcome | error |
//! | a constant covariate next to `const` | error |
//! | two covariates that are multiples of each other | error |
//! | a dummy whose one level is all ratified (quasi-separation) | warning |
//! | a continuous covariate above a cut-off all ratified (complete separation) | warning |
//! | `rho`, `delta_ratifier` free without renegotiable rows; `poll_weight` free without polls | error |
//! | `poll_weight` free with a poll in every row (one-sided, no renegotiation) | error |
//! | `home:scale` free in one-shot, one-sided, foreign-proposer data | error |
//! | `foreign:*` free without rows with a foreign constraint | error |
//! | `rho` estimated at 1 (every rejection renegotiated) | warning |
//! | a well-behaved dataset | no diagnostic warnings |

use std::path::Path;
use std::process::Command;
use twolevel::problem::project::Project;

/// A hand-made project: the spec and the data written to a temporary folder.
struct Fixture {
    dir: tempfile::TempDir,
    project: Project,
}

fn fixture(spec: &str, csv: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("spec.toml"), spec).unwrap();
    std::fs::write(dir.path().join("data.csv"), csv).unwrap();
    let project = Project::load(&dir.path().join("spec.toml")).unwrap();
    Fixture { dir, project }
}

/// The error the fit stops with.
fn fit_error(spec: &str, csv: &str) -> String {
    let f = fixture(spec, csv);
    let model = f.project.model().unwrap();
    match twolevel::estimate::project_fit::fit_project(&f.project, &model) {
        Ok(_) => panic!("the fit did not stop:\n{spec}\n{csv}"),
        Err(e) => e.to_string(),
    }
}

/// The warnings of a fit that runs.
fn fit_warnings(spec: &str, csv: &str) -> Vec<String> {
    let f = fixture(spec, csv);
    let model = f.project.model().unwrap();
    twolevel::estimate::project_fit::fit_project(&f.project, &model)
        .unwrap()
        .warnings
}

fn assert_mentions(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "{n:?} not in:\n{text}");
    }
}

fn warning_with<'a>(warnings: &'a [String], needle: &str) -> &'a str {
    warnings
        .iter()
        .find(|w| w.contains(needle))
        .unwrap_or_else(|| panic!("no warning mentions {needle:?}: {warnings:#?}"))
}

/// A one-shot spec on `columns` (the outcome column is `outcome`).
fn oneshot(columns: &[&str]) -> String {
    let location: Vec<String> = columns.iter().map(|c| format!("{c:?}")).collect();
    format!(
        "[data]\npath = \"data.csv\"\noutcome = \"outcome\"\n\n[home]\nlocation = [{}]\nscale = 0.1\n\n[estimation]\nstarts = 1\n",
        location.join(", ")
    )
}

/// CSV text from a header and rows of cells.
fn csv(header: &str, rows: &[String]) -> String {
    let mut text = format!("{header}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text
}

/// Rows `x,outcome` with the outcome ratified for `x` in `ratified`.
fn xy(xs: &[f64], ratified: impl Fn(usize, f64) -> bool) -> String {
    let rows: Vec<String> = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let y = if ratified(i, x) { "ratified" } else { "failed" };
            format!("{x},{y}")
        })
        .collect();
    csv("x,outcome", &rows)
}

#[test]
fn every_episode_with_the_same_outcome_is_an_error() {
    let xs: Vec<f64> = (0..12).map(|i| (i % 3) as f64).collect();
    let e = fit_error(&oneshot(&["const", "x"]), &xy(&xs, |_, _| true));
    assert_mentions(
        &e,
        &[
            "spec.toml",
            "all 12 episodes are `ratified`",
            "no maximum",
            "more than one outcome",
        ],
    );
}

#[test]
fn a_constant_covariate_next_to_the_intercept_is_an_error() {
    let xs = [1.0; 12];
    let e = fit_error(&oneshot(&["const", "x"]), &xy(&xs, |i, _| i % 3 != 0));
    assert_mentions(
        &e,
        &[
            "covariate `x`",
            "`[home]`",
            "constant (1)",
            "collinear with `const`",
            "drop it",
        ],
    );
}

#[test]
fn covariates_that_are_multiples_of_each_other_are_an_error() {
    let rows: Vec<String> = (0..12)
        .map(|i| {
            let x = (i % 4) as f64;
            let y = if i % 3 == 0 { "failed" } else { "ratified" };
            format!("{x},{},{y}", 2.0 * x)
        })
        .collect();
    let e = fit_error(&oneshot(&["const", "x", "x2"]), &csv("x,x2,outcome", &rows));
    assert_mentions(
        &e,
        &["`[home]`", "const, x, x2", "linearly dependent", "drop one"],
    );
}

#[test]
fn a_dummy_with_one_level_all_ratified_warns_of_separation() {
    // x = 1: all ratified; x = 0: mixed.
    let xs: Vec<f64> = (0..16).map(|i| (i % 2) as f64).collect();
    let w = fit_warnings(
        &oneshot(&["const", "x"]),
        &xy(&xs, |i, x| x == 1.0 || i % 4 == 0),
    );
    let w = warning_with(&w, "home:x");
    assert_mentions(
        w,
        &["= 1", "all ratified", "separation", "drop the covariate"],
    );
}

#[test]
fn a_continuous_covariate_that_splits_the_outcomes_warns_of_separation() {
    // Ratified exactly when x > 5.5: complete separation on a covariate with many values.
    let xs: Vec<f64> = (0..16).map(|i| i as f64 * 0.7).collect();
    let w = fit_warnings(&oneshot(&["const", "x"]), &xy(&xs, |_, x| x > 5.5));
    let w = warning_with(&w, "home:x");
    assert_mentions(w, &["separation", "ratified"]);
}

/// Episodes with a renegotiation stage and a poll column: `reneg` and `poll` are 0/1 columns.
fn protocol_spec(free: &str, renegotiation: &str, poll: &str) -> String {
    format!(
        "[data]\npath = \"data.csv\"\noutcome = \"outcome\"\n\n[protocol]\npoll = {poll}\nrenegotiation = {renegotiation}\n\n[home]\nlocation = [\"const\", \"x\"]\nscale = 0.1\n\n[parameters]\n{free} = \"free\"\n\n[estimation]\nstarts = 1\n"
    )
}

fn protocol_data(renegotiable: bool, poll: bool) -> String {
    let rows: Vec<String> = (0..20)
        .map(|i| {
            let y = match i % 5 {
                0 if renegotiable => "renegotiated",
                0 | 3 => "failed",
                _ => "ratified",
            };
            format!(
                "{},{},{},{y}",
                i % 2,
                u8::from(renegotiable),
                u8::from(poll && i % 2 == 0)
            )
        })
        .collect();
    csv("x,reneg,poll,outcome", &rows)
}

#[test]
fn scalars_no_row_informs_are_errors() {
    for name in ["rho", "delta_ratifier", "delta_proposer"] {
        let e = fit_error(
            &protocol_spec(name, "\"reneg\"", "false"),
            &protocol_data(false, false),
        );
        assert_mentions(
            &e,
            &[
                &format!("`{name}` is free"),
                "no row has a renegotiation stage",
                "no information",
                &format!("{name} = 0.5"),
            ],
        );
    }
    let e = fit_error(
        &protocol_spec("poll_weight", "false", "\"poll\""),
        &protocol_data(false, false),
    );
    assert_mentions(
        &e,
        &[
            "`poll_weight` is free",
            "no row has a poll",
            "poll_weight = 0.5",
        ],
    );
}

#[test]
fn a_free_poll_weight_with_a_poll_in_every_row_is_an_error() {
    let rows: Vec<String> = (0..20)
        .map(|i| {
            let y = if i % 5 == 0 { "failed" } else { "ratified" };
            format!("{},0,1,{y}", i % 2)
        })
        .collect();
    let e = fit_error(
        &protocol_spec("poll_weight", "false", "\"poll\""),
        &csv("x,reneg,poll,outcome", &rows),
    );
    assert_mentions(
        &e,
        &[
            "`poll_weight` is free",
            "every row has a poll",
            "add episodes without a poll",
            "poll_weight = 0.5",
        ],
    );
}

#[test]
fn a_free_scale_in_one_shot_data_is_an_error() {
    let spec = oneshot(&["const", "x"]).replace("scale = 0.1", "scale = \"free\"");
    let xs: Vec<f64> = (0..12).map(|i| (i % 3) as f64).collect();
    let e = fit_error(&spec, &xy(&xs, |i, _| i % 4 != 0));
    assert_mentions(
        &e,
        &[
            "`home:scale` is free",
            "one-shot",
            "(1 − μ)/s",
            "fix the scale",
        ],
    );
}

#[test]
fn a_foreign_ratifier_without_foreign_constraints_is_an_error() {
    let spec = format!(
        "{}\n[protocol]\nforeign_constraint = \"fc\"\n\n[foreign]\nlocation = [\"const\"]\nscale = 0.1\n",
        oneshot(&["const", "x"])
    );
    let rows: Vec<String> = (0..12)
        .map(|i| {
            let y = if i % 4 == 0 { "failed" } else { "ratified" };
            format!("{},0,{y}", i % 3)
        })
        .collect();
    let e = fit_error(&spec, &csv("x,fc,outcome", &rows));
    assert_mentions(
        &e,
        &[
            "`foreign:const` is free",
            "no row has a foreign constraint",
            "[foreign]",
        ],
    );
}

#[test]
fn rho_at_its_upper_bound_is_flagged() {
    // Every rejected package is renegotiated: nothing fails, so rho runs to 1.
    let rows: Vec<String> = (0..30)
        .map(|i| {
            let y = if i % 3 == 0 {
                "renegotiated"
            } else {
                "ratified"
            };
            format!("{},1,0,{y}", i % 2)
        })
        .collect();
    let w = fit_warnings(
        &protocol_spec("rho", "\"reneg\"", "false"),
        &csv("x,reneg,poll,outcome", &rows),
    );
    let w = warning_with(&w, "`rho`");
    assert_mentions(
        w,
        &[
            "edge of its domain",
            "profile-likelihood interval",
            "fix it",
        ],
    );
}

#[test]
fn a_well_behaved_dataset_gets_no_diagnostic_warnings() {
    let spec = protocol_spec("rho", "\"reneg\"", "false");
    let w = fit_warnings(&spec, &protocol_data(true, false));
    assert!(
        !w.iter()
            .any(|w| w.contains("separation") || w.contains("edge of its domain")),
        "{w:#?}"
    );
}

/// The diagnostics reach the user: the binary exits with the error, and a separation warning
/// is printed and saved in `estimates.json`.
#[test]
fn the_binary_reports_diagnostics() {
    let bin = env!("CARGO_BIN_EXE_twolevel");
    let run = |dir: &Path| {
        Command::new(bin)
            .args(["fit", "spec.toml", "--out", "out", "--threads", "1"])
            .current_dir(dir)
            .output()
            .unwrap()
    };

    let xs: Vec<f64> = (0..12).map(|i| (i % 3) as f64).collect();
    let f = fixture(&oneshot(&["const", "x"]), &xy(&xs, |_, _| false));
    let out = run(f.dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_mentions(&stderr, &["all 12 episodes are `failed`"]);
    assert!(!f.dir.path().join("out").exists());

    let xs: Vec<f64> = (0..16).map(|i| (i % 2) as f64).collect();
    let f = fixture(
        &oneshot(&["const", "x"]),
        &xy(&xs, |i, x| x == 1.0 || i % 4 == 0),
    );
    let out = run(f.dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.dir.path().join("out/estimates.json")).unwrap(),
    )
    .unwrap();
    let warnings = json["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("separation")),
        "{warnings:?}"
    );
}

#[test]
fn a_singular_direction_leaves_the_other_parameters_conditional_standard_errors() {
    // The worldwide referendum data: the maximum sits at a kink along `rho` and
    // `home:binding`, where the information has negative curvature. The other parameters keep
    // standard errors, conditional on those two held at the estimate, and the table says so.
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("estimation/referendums_renegotiation.toml");
    let project = twolevel::problem::project::Project::load(&spec).unwrap();
    let model = project.model().unwrap();
    let e = twolevel::estimate::project_fit::fit_project(&project, &model).unwrap();
    assert_eq!(e.status, twolevel::estimate::FitStatus::KinkMaximum);
    assert!(!e.converged);
    assert_eq!(e.conditional_on, vec!["home:binding", "rho"]);
    assert!(e.covariance.is_none(), "no unconditional covariance");
    for p in e.parameters.iter().filter(|p| !p.fixed) {
        let held = e.conditional_on.contains(&p.name);
        assert_eq!(p.std_error.is_none(), held, "{}", p.name);
    }
    let w = warning_with(&e.warnings, "conditional on");
    assert_mentions(
        w,
        &[
            "`rho`",
            "`home:binding`",
            "profile-likelihood interval",
            "bootstrap",
        ],
    );
    // The held coefficient gets its profile-likelihood interval (as the structural scalars do),
    // around its estimate.
    let profiles = twolevel::analyses::profile::profiles(&project, &model, &e, &|| {}).unwrap();
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["home:binding", "rho"]);
    for p in &profiles {
        let (lo, hi) = p.interval;
        let (lo, hi) = (lo.unwrap(), hi.unwrap());
        assert!(
            lo < p.estimate && p.estimate < hi,
            "{}: [{lo}, {hi}]",
            p.name
        );
    }
}
