//! Counterfactual scenarios: the baseline is reproduced exactly, the four theory properties of
//! MODEL.md §5 hold as counterfactual directions on simulated data, intervals cover, and bad
//! scenario input gets a clear error.

use std::path::Path;
use twolevel::analyses::counterfactual::{
    self, evaluate, read_draws, Counterfactual, GroupKind, Options, Prepared, Quantity,
    ScenarioFile, ScenarioResult,
};
use twolevel::analyses::predict::solve_designs;
use twolevel::analyses::synthetic::{ProtocolMix, Simulation};
use twolevel::problem::project::Project;

fn simulated(n: usize, protocols: ProtocolMix, seed: u64) -> (Project, Vec<f64>) {
    let (project, truth) = Simulation::new(n, protocols, seed).generate().unwrap();
    let space = project.model().unwrap().space;
    let internal = space.to_internal(&truth);
    (project, internal)
}

fn scenarios(text: &str) -> ScenarioFile {
    ScenarioFile::parse(text, Path::new("test.scenarios.toml")).unwrap()
}

fn run(project: &Project, internal: &[f64], text: &str) -> Counterfactual {
    evaluate(
        project,
        internal,
        None,
        &scenarios(text),
        &Options::default(),
    )
    .unwrap()
}

fn find<'a>(result: &'a Counterfactual, name: &str) -> &'a ScenarioResult {
    result.scenarios.iter().find(|s| s.name == name).unwrap()
}

fn error(project: &Project, internal: &[f64], text: &str) -> String {
    match ScenarioFile::parse(text, Path::new("bad.toml")) {
        Err(e) => e.to_string(),
        Ok(file) => evaluate(project, internal, None, &file, &Options::default())
            .unwrap_err()
            .to_string(),
    }
}

#[test]
fn a_scenario_without_changes_reproduces_the_baseline_exactly() {
    let (project, internal) = simulated(400, ProtocolMix::Mixed, 11);
    let model = project.model().unwrap();
    let theta = model.space.to_natural(&internal);
    let file = scenarios("[[scenario]]\nname = \"unchanged\"\n");
    let prepared = Prepared::new(
        &file.scenarios[0],
        &project.spec,
        &project.data,
        &model.space,
        &theta,
        &file.path,
    )
    .unwrap();
    let solutions = solve_designs(&model, &theta, true);
    for (i, row) in prepared.predict(&theta).iter().enumerate() {
        let s = &solutions[model.row_design[i]];
        assert_eq!(row.probabilities, s.probabilities, "row {i}");
        assert_eq!(
            row.p_strategic.to_bits(),
            s.p_strategic.to_bits(),
            "row {i}"
        );
        assert_eq!(row.home_share.to_bits(), s.home_share.to_bits(), "row {i}");
    }
    let cov: Vec<Vec<f64>> = (0..internal.len())
        .map(|i| {
            (0..internal.len())
                .map(|j| if i == j { 0.01 } else { 0.0 })
                .collect()
        })
        .collect();
    let result = evaluate(&project, &internal, Some(&cov), &file, &Options::default()).unwrap();
    let s = &result.scenarios[0];
    assert_eq!(s.rows_changed, 0);
    for (a, b) in s
        .overall()
        .quantities
        .iter()
        .zip(&result.baseline.overall().quantities)
    {
        assert_eq!(
            a.value.estimate.to_bits(),
            b.value.estimate.to_bits(),
            "{:?}",
            a.quantity
        );
        assert_eq!(a.diff.estimate, 0.0);
        assert_eq!(a.diff.se, Some(0.0));
        assert!(a.value.se.unwrap() > 0.0);
    }
    assert_eq!(s.diff_p_ratified, 0.0);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    // The mean of the baseline's P(ratified) is the mean over rows of the solved designs.
    let mean = model
        .row_design
        .iter()
        .map(|&g| solutions[g].probabilities[0])
        .sum::<f64>()
        / model.n_rows() as f64;
    assert!((result.baseline.p_ratified - mean).abs() < 1e-14);
}

/// MODEL.md §5, property 3: renegotiation induces strategic voting and lowers first-vote
/// ratification.
#[test]
fn switching_renegotiation_on_raises_strategic_rejections_and_lowers_first_votes() {
    let (project, internal) = simulated(300, ProtocolMix::OneShot, 3);
    let r = run(
        &project,
        &internal,
        "[[scenario]]\nname = \"renegotiation\"\nrenegotiation = true\n",
    );
    let s = find(&r, "renegotiation");
    assert_eq!(r.baseline.p_strategic, 0.0);
    assert!(s.diff_p_strategic > 0.01, "{}", s.diff_p_strategic);
    assert!(s.diff_p_ratified < -0.01, "{}", s.diff_p_ratified);
    assert!(s.p_renegotiated > 0.0);
    assert_eq!(s.rows_changed, 300);

    let (project, internal) = simulated(300, ProtocolMix::Renegotiation, 3);
    let r = run(
        &project,
        &internal,
        "[[scenario]]\nname = \"no renegotiation\"\nrenegotiation = false\n",
    );
    let s = find(&r, "no renegotiation");
    assert!(r.baseline.p_strategic > 0.01);
    assert_eq!(s.p_strategic, 0.0);
    assert_eq!(s.p_renegotiated, 0.0);
    assert!(s.diff_p_ratified > 0.01);
}

/// MODEL.md §5, property 4: ratification falls as the poll's strategic weight rises, and a
/// fully strategic poll is the one-shot game.
#[test]
fn strategic_polls_lower_ratification() {
    let (project, internal) = simulated(300, ProtocolMix::OneShot, 5);
    let r = run(
        &project,
        &internal,
        r#"
[[scenario]]
name = "sincere poll"
poll = true
parameters = { poll_weight = 0.0 }

[[scenario]]
name = "poll"
poll = true

[[scenario]]
name = "strategic poll"
poll = true
parameters = { poll_weight = 1.0 }
"#,
    );
    let (sincere, fitted, strategic) = (
        find(&r, "sincere poll"),
        find(&r, "poll"),
        find(&r, "strategic poll"),
    );
    assert!(
        sincere.p_ratified > fitted.p_ratified + 0.01,
        "{} {}",
        sincere.p_ratified,
        fitted.p_ratified
    );
    assert!(
        fitted.p_ratified > strategic.p_ratified + 0.01,
        "{} {}",
        fitted.p_ratified,
        strategic.p_ratified
    );
    assert!(sincere.diff_p_ratified > 0.0);
    assert!(
        strategic.diff_p_ratified.abs() < 1e-6,
        "{}",
        strategic.diff_p_ratified
    );
    assert!(fitted.p_strategic > 0.0);
}

/// MODEL.md §5, property 2: with a mixed proposer, symmetric two-sided constraints bring the
/// home share closer to 1/2 than a home-only constraint.
#[test]
fn two_sided_constraints_are_more_equitable_with_a_mixed_proposer() {
    let (project, internal) = simulated(200, ProtocolMix::OneShot, 9);
    let r = run(
        &project,
        &internal,
        r#"
[[scenario]]
name = "mixed proposer"
proposer = "mixed"
p_home = 0.5

[[scenario]]
name = "two-sided"
proposer = "mixed"
p_home = 0.5
foreign_constraint = true
parameters = { "foreign:const" = "home:const", "foreign:x" = "home:x", "foreign:scale" = "home:scale" }
compare_to = "mixed proposer"
"#,
    );
    let (one, two) = (find(&r, "mixed proposer"), find(&r, "two-sided"));
    assert!(
        (two.home_share - 0.5).abs() < (one.home_share - 0.5).abs() - 0.01,
        "one-sided {} two-sided {}",
        one.home_share,
        two.home_share
    );
    assert_eq!(two.compare_to, "mixed proposer");
    assert!((two.diff_home_share - (two.home_share - one.home_share)).abs() < 1e-14);
    // Symmetric in every row: the foreign ratifier mirrors the home one, so the share is 1/2.
    assert!((two.home_share - 0.5).abs() < 1e-6, "{}", two.home_share);
}

/// MODEL.md §5, property 1: less uncertainty about the ratifier, fewer failures.
#[test]
fn shrinking_the_scale_lowers_failures() {
    let (project, internal) = simulated(300, ProtocolMix::OneShot, 13);
    let r = run(
        &project,
        &internal,
        "[[scenario]]\nname = \"s/4\"\nparameters = { \"home:scale\" = 0.03 }\n\n[[scenario]]\nname = \"s/24\"\nparameters = { \"home:scale\" = 0.005 }\n",
    );
    let (quarter, tiny) = (find(&r, "s/4"), find(&r, "s/24"));
    assert!(quarter.diff_p_failed < -0.05, "{}", quarter.diff_p_failed);
    assert!(
        tiny.p_failed < quarter.p_failed,
        "{} {}",
        tiny.p_failed,
        quarter.p_failed
    );
    assert!(tiny.p_failed < 0.02, "{}", tiny.p_failed);
}

#[test]
fn where_selects_rows_and_groups_partition_them() {
    let (project, internal) = simulated(400, ProtocolMix::Mixed, 17);
    let file = scenarios("[[scenario]]\nname = \"no polls where polled\"\nwhere = { poll = 1 }\npoll = false\nparameters = { rho = 0.2 }\n");
    let options = Options {
        group: Some("renegotiable".into()),
        ..Options::default()
    };
    let r = evaluate(&project, &internal, None, &file, &options).unwrap();
    let s = &r.scenarios[0];
    let polled = project.data.poll.iter().filter(|&&p| p).count();
    assert_eq!(s.rows_selected, polled);
    assert!(s.rows_changed > 0 && s.rows_changed <= polled);
    let kinds: Vec<GroupKind> = s.groups.iter().map(|g| g.kind).collect();
    assert_eq!(
        kinds,
        [
            GroupKind::All,
            GroupKind::Column,
            GroupKind::Column,
            GroupKind::Selected
        ]
    );
    assert_eq!(s.groups[1].label, "renegotiable = 0");
    // The all-rows mean is the weighted mean of the group means.
    for q in [Quantity::PRatified, Quantity::PFailed, Quantity::PStrategic] {
        let (a, b) = (&s.groups[1], &s.groups[2]);
        let pooled = (a.get(q).value.estimate * a.weight + b.get(q).value.estimate * b.weight)
            / (a.weight + b.weight);
        assert!((pooled - s.overall().get(q).value.estimate).abs() < 1e-12);
    }
    // Rows outside the selection are untouched, so the effect on all rows is the selection's
    // effect diluted by its share of the rows.
    let sel = &s.groups[3];
    let d = sel.get(Quantity::PRatified).diff.estimate * sel.weight / s.overall().weight;
    assert!((d - s.diff_p_ratified).abs() < 1e-12);
}

#[test]
fn delta_method_and_bootstrap_agree_and_draws_are_read_from_csv() {
    let (project, internal) = simulated(300, ProtocolMix::Renegotiation, 21);
    let model = project.model().unwrap();
    let k = internal.len();
    // A covariance and draws from the matching normal on the internal scale.
    let sd = [0.05, 0.04, 0.3, 0.3];
    let cov: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| if i == j { sd[i] * sd[i] } else { 0.0 })
                .collect()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bootstrap.csv");
    let mut csv = format!(
        "replicate,converged,loglik,{}\n",
        model.space.names().join(",")
    );
    let mut state = 42u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for b in 0..400 {
        let t: Vec<f64> = (0..k)
            .map(|i| {
                let (u1, u2) = (uniform(), uniform());
                internal[i] + sd[i] * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
            })
            .collect();
        let theta = model.space.to_natural(&t);
        csv.push_str(&format!(
            "{b},true,-1,{}\n",
            theta
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    csv.push_str(&format!(
        "400,false,NaN,{}\n",
        vec!["NaN"; model.space.len()].join(",")
    ));
    std::fs::write(&path, csv).unwrap();
    let draws = read_draws(&path, &model.space).unwrap();
    assert_eq!((draws.replicates, draws.values.len()), (401, 400));

    let file = scenarios("[[scenario]]\nname = \"no renegotiation\"\nrenegotiation = false\n");
    let options = Options {
        draws: Some(draws),
        ..Options::default()
    };
    let r = evaluate(&project, &internal, Some(&cov), &file, &options).unwrap();
    assert_eq!(r.uncertainty.bootstrap_used, 400);
    let s = &r.scenarios[0];
    for q in [
        Quantity::PRatified,
        Quantity::PRenegotiated,
        Quantity::PStrategic,
    ] {
        let e = s.overall().get(q).diff;
        let (se, boot) = (e.se.unwrap(), e.bootstrap_se.unwrap());
        assert!(
            (boot / se - 1.0).abs() < 0.2,
            "{q:?}: delta {se} bootstrap {boot}"
        );
        let (lo, hi) = e.bootstrap_ci.unwrap();
        assert!(lo < e.estimate && e.estimate < hi);
    }
    let key = s.intervals.get("diff_p_ratified").unwrap();
    assert_eq!(key.se, s.overall().get(Quantity::PRatified).diff.se);

    // A free parameter's column missing: a clear error.
    std::fs::write(
        &path,
        "replicate,converged,loglik,home:const\n0,true,-1,0.3\n",
    )
    .unwrap();
    let e = read_draws(&path, &model.space).unwrap_err().to_string();
    assert!(e.contains("home:x"), "{e}");
}

/// Delta-method intervals of counterfactual quantities cover the truth at about the nominal
/// rate over simulated samples (fitted afresh each time). Samples whose estimate has no
/// covariance (the observed information is not positive definite, e.g. when the maximum sits
/// on a kink of the likelihood where a row's offer reaches the corner x = 0) are skipped and
/// counted.
#[test]
fn delta_intervals_cover_the_truth() {
    let file = scenarios("[[scenario]]\nname = \"renegotiation\"\nrenegotiation = true\n\n[[scenario]]\nname = \"shift\"\nset = { x = 1 }\n");
    let (truth_project, truth_internal) = simulated(250, ProtocolMix::OneShot, 100);
    let truth = evaluate(
        &truth_project,
        &truth_internal,
        None,
        &file,
        &Options::default(),
    )
    .unwrap();
    let reps = 40u64;
    let (mut usable, mut covered) = (0usize, [0usize; 4]);
    for rep in 0..reps {
        // Same covariates (seed 100 draws them), new outcomes.
        let (mut project, _) = simulated(250, ProtocolMix::OneShot, 100);
        let model = project.model().unwrap();
        let theta = model.space.to_natural(&truth_internal);
        let rows: Vec<usize> = (0..project.data.len()).collect();
        project.data.outcome =
            twolevel::analyses::predict::simulate_outcomes(&model, &theta, &rows, 1000 + rep);
        let estimates = twolevel::estimate::project_fit::fit_project(&project, &model).unwrap();
        if estimates.covariance.is_none() {
            continue;
        }
        usable += 1;
        let r = counterfactual::run(&project, &estimates, &file, &Options::default()).unwrap();
        let checks = [
            (
                find(&r, "renegotiation").intervals["p_ratified"],
                find(&truth, "renegotiation").p_ratified,
            ),
            (
                find(&r, "renegotiation").intervals["diff_p_strategic"],
                find(&truth, "renegotiation").diff_p_strategic,
            ),
            (
                find(&r, "shift").intervals["diff_p_failed"],
                find(&truth, "shift").diff_p_failed,
            ),
            (r.baseline.intervals["p_failed"], truth.baseline.p_failed),
        ];
        for (c, (e, t)) in covered.iter_mut().zip(checks) {
            let (lo, hi) = e.ci.unwrap();
            if lo <= t && t <= hi {
                *c += 1;
            }
        }
    }
    assert!(
        usable as u64 >= reps / 2,
        "only {usable} of {reps} fits have a covariance"
    );
    for (i, c) in covered.iter().enumerate() {
        let rate = *c as f64 / usable as f64;
        eprintln!("quantity {i}: delta-method coverage {rate:.3} over {usable} of {reps} samples");
        assert!(
            (0.8..=1.0).contains(&rate),
            "quantity {i}: coverage {rate} over {usable} samples"
        );
    }
}

#[test]
fn bad_scenarios_get_clear_errors() {
    let (project, internal) = simulated(100, ProtocolMix::OneShot, 1);
    let cases = [
        // (scenario text, what the message must say)
        (
            "[[scenario]]\nname = \"a\"\nset = { turnout = 0.5 }\n",
            "scenario \"a\", key `set.turnout`: unknown column `turnout`",
        ),
        (
            "[[scenario]]\nname = \"a\"\nset = { const = 1 }\n",
            "`set.const`",
        ),
        (
            "[[scenario]]\nname = \"a\"\nrenegotiate = false\n",
            "scenario \"a\", key `renegotiate`: unknown key",
        ),
        (
            "[[scenario]]\nname = \"a\"\nset = { x = \"high\" }\n",
            "scenario \"a\", key `set.x`: a string, expected a number",
        ),
        (
            "[[scenario]]\nname = \"a\"\nrenegotiation = \"no\"\n",
            "key `renegotiation`: a string, expected true or false",
        ),
        (
            "[[scenario]]\nname = \"a\"\nwhere = { poll = 1 }\npoll = false\n",
            "key `where`: matches no data row",
        ),
        (
            "[[scenario]]\nname = \"a\"\nwhere = { country = \"IE\" }\n",
            "key `where.country`: unknown column `country`",
        ),
        (
            "[[scenario]]\nname = \"a\"\nparameters = { sigma = 0.1 }\n",
            "key `parameters.sigma`: unknown parameter `sigma`",
        ),
        (
            "[[scenario]]\nname = \"a\"\nparameters = { rho = 1.5 }\n",
            "key `parameters.rho`: `rho` = 1.5 is outside its domain",
        ),
        (
            "[[scenario]]\nname = \"a\"\nparameters = { rho = \"delta\" }\n",
            "`delta` is neither a number nor a fitted parameter",
        ),
        (
            "[[scenario]]\nname = \"a\"\nforeign_constraint = true\n",
            "key `foreign_constraint`: the fitted spec has no `[foreign]` table",
        ),
        (
            "[[scenario]]\nname = \"a\"\nproposer = \"mixed\"\n",
            "key `proposer`: the fitted spec's proposer is \"foreign\"",
        ),
        (
            "[[scenario]]\nname = \"a\"\nset = { poll = 2 }\n",
            "key `set.poll`",
        ),
    ];
    for (text, needle) in cases {
        let e = error(&project, &internal, text);
        assert!(
            e.contains(needle),
            "{text:?}\n  got: {e}\n  expected: {needle}"
        );
        assert!(e.starts_with("scenarios `bad.toml`"), "{e}");
    }
    // A column in the data but not in the model: a no-op with a warning.
    let r = run(
        &project,
        &internal,
        "[[scenario]]\nname = \"z\"\nset = { z = 3 }\n",
    );
    let s = find(&r, "z");
    assert_eq!(s.rows_changed, 0);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("`set.z`") && w.contains("changes nothing")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn reports_are_written() {
    let (project, internal) = simulated(200, ProtocolMix::Mixed, 2);
    let cov: Vec<Vec<f64>> = (0..internal.len())
        .map(|i| {
            (0..internal.len())
                .map(|j| if i == j { 0.01 } else { 0.0 })
                .collect()
        })
        .collect();
    let file = scenarios("[[scenario]]\nname = \"no renegotiation\"\nrenegotiation = false\n\n[[scenario]]\nname = \"polls everywhere\"\npoll = true\ndescription = \"Iida: polls invite strategic answers\"\n");
    let options = Options {
        group: Some("poll".into()),
        ..Options::default()
    };
    let r = evaluate(&project, &internal, Some(&cov), &file, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let written =
        twolevel::report::write_counterfactual_report(dir.path(), &r, &project.labels()).unwrap();
    assert_eq!(written.len(), 6);
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("counterfactual.json")).unwrap(),
    )
    .unwrap();
    let first = &json["scenarios"][0];
    for key in [
        "name",
        "p_ratified",
        "p_renegotiated",
        "p_failed",
        "diff_p_ratified",
        "diff_p_renegotiated",
        "diff_p_failed",
        "intervals",
        "groups",
    ] {
        assert!(!first[key].is_null(), "{key} missing");
    }
    assert!(first["intervals"]["diff_p_ratified"]["ci"].is_array());
    let md = std::fs::read_to_string(dir.path().join("counterfactual.md")).unwrap();
    assert!(
        md.contains("| no renegotiation |") && md.contains("## poll = 1"),
        "{md}"
    );
    let tex = std::fs::read_to_string(dir.path().join("counterfactual.tex")).unwrap();
    assert!(tex.contains("\\toprule") && tex.contains("\\bottomrule"));
    let csv = std::fs::read_to_string(dir.path().join("counterfactual.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 3 * 5);
    let png = std::fs::read(dir.path().join("counterfactual_forest.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    let svg = std::fs::read_to_string(dir.path().join("counterfactual_forest.svg")).unwrap();
    assert!(svg.contains("polls everywhere") && svg.contains("P(ratified)"));
}

/// The command: fits the spec when the folder has no estimates, writes the report, and
/// rejects a bad scenario file with the scenario's name and key.
#[test]
fn the_command_fits_when_needed_and_reports_errors() {
    let sim = Simulation::new(150, ProtocolMix::Renegotiation, 4);
    let (project, _) = sim.generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("synthetic.toml"), sim.spec_text()).unwrap();
    std::fs::write(dir.path().join("synthetic.csv"), &project.data.bytes).unwrap();
    std::fs::write(
        dir.path().join("good.toml"),
        "[[scenario]]\nname = \"no renegotiation\"\nrenegotiation = false\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[scenario]]\nname = \"typo\"\nset = { y = 1 }\n",
    )
    .unwrap();
    let out = dir.path().join("report");
    let command = |scenarios: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_twolevel"))
            .args(["--threads", "1", "counterfactual"])
            .arg(dir.path().join("synthetic.toml"))
            .arg(dir.path().join(scenarios))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let run = command("good.toml");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("fitting"), "{stderr}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("no renegotiation"));
    for file in [
        "estimates.json",
        "counterfactual.json",
        "counterfactual.md",
        "counterfactual_forest.png",
    ] {
        assert!(out.join(file).exists(), "{file}");
    }
    // The second run reads the saved fit.
    let again = command("good.toml");
    assert!(again.status.success() && !String::from_utf8_lossy(&again.stderr).contains("fitting"));
    let bad = command("bad.toml");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(
        stderr.contains("scenario \"typo\", key `set.y`: unknown column `y`"),
        "{stderr}"
    );
}
