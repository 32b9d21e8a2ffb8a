//! Every LaTeX table the toolkit writes fits a page of a plain article (issue 10, item 10).
//!
//! Each `.tex` table is compiled with `pdflatex` in the document a reader would paste it into:
//!
//! ```latex
//! \documentclass{article}
//! \usepackage{booktabs}
//! \usepackage[margin=1in]{geometry}   % text width 6.5in = 469.75pt
//! \begin{document}
//! \input{table}
//! \end{document}
//! ```
//!
//! plus any package the table's `% Needs` comment declares. A table fails when it does not
//! compile, when a line is more than [`TOLERANCE_PT`] too wide or a page too tall (`Overfull
//! \hbox`, `Overfull \vbox`), or when a float is taller than the page (`Float too large for
//! page`). Captions say what a table shows and carry no provenance (no file names or hashes:
//! those are in the `%` comments at the top of the file).
//!
//! Checked: every committed table under `reports/`, and the tables freshly written into a
//! temporary folder by `fit` (with a bootstrap, stars, robust SEs, and labels full of LaTeX
//! special characters), `counterfactual` (one float per group; twenty scenarios, one with a
//! very long name, split over floats) and `compare` (eight columns, split into two floats). Without `pdflatex` the tests print a message and pass; CI installs
//! it (`.ci/run`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// How far a line may run over the text width (LaTeX reports rounding-sized overruns).
const TOLERANCE_PT: f64 = 1.0;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn pdflatex_installed() -> bool {
    let found = Command::new("pdflatex")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        println!("pdflatex is not installed: the LaTeX tables were not compiled (CI installs texlive-latex-recommended)");
    }
    found
}

/// Every `.tex` file under `dir`, sorted.
fn tex_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(tex_files(&path));
        } else if path.extension().is_some_and(|e| e == "tex") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The `\usepackage{…}` commands of the table's leading `%` comments.
fn declared_packages(tex: &str) -> Vec<String> {
    tex.lines()
        .take_while(|l| l.starts_with('%'))
        .flat_map(|l| {
            l.match_indices("\\usepackage")
                .map(|(i, _)| {
                    let rest = &l[i..];
                    rest[..rest.find('}').map(|j| j + 1).unwrap_or(rest.len())].to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The points of every `Overfull \hbox (12.3pt too wide)` / `Overfull \vbox (4.0pt too high)`
/// line of a log.
fn overfull(log: &str) -> Vec<(String, f64)> {
    log.lines()
        .filter(|l| l.starts_with("Overfull \\"))
        .map(|l| {
            let points = l
                .split('(')
                .nth(1)
                .and_then(|r| r.split("pt").next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::INFINITY);
            (l.to_string(), points)
        })
        .collect()
}

/// Compiles one table in a plain article; the problems found (empty when it fits).
fn problems(path: &Path) -> Vec<String> {
    let tex = std::fs::read_to_string(path).unwrap();
    let mut found = Vec::new();
    if !tex.starts_with("% ") {
        found.push("does not start with its `%` comment (what it is, provenance, packages)".into());
    }
    for line in tex.lines().filter(|l| l.contains("\\caption{")) {
        for provenance in [".toml", ".csv", "sha256", "twolevel "] {
            if line.contains(provenance) {
                found.push(format!("caption names `{provenance}`: {line}"));
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("table.tex"), &tex).unwrap();
    let mut preamble = String::from(
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage[margin=1in]{geometry}\n",
    );
    for p in declared_packages(&tex) {
        if !preamble.contains(&p) {
            preamble.push_str(&format!("{p}\n"));
        }
    }
    std::fs::write(
        dir.path().join("doc.tex"),
        format!("{preamble}\\begin{{document}}\n\\input{{table}}\n\\end{{document}}\n"),
    )
    .unwrap();
    let out = Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", "doc.tex"])
        .current_dir(dir.path())
        .output()
        .expect("run pdflatex");
    let log = std::fs::read_to_string(dir.path().join("doc.log")).unwrap_or_default();
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(25).collect();
        found.push(format!(
            "pdflatex fails:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    for (line, points) in overfull(&log) {
        if points > TOLERANCE_PT {
            found.push(line);
        }
    }
    for line in log
        .lines()
        .filter(|l| l.contains("Float too large for page"))
    {
        found.push(line.to_string());
    }
    found
}

/// Compiles every table of `files`; fails listing each table that does not fit.
fn assert_fit(files: &[PathBuf]) {
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let p = problems(f);
            (!p.is_empty()).then(|| format!("{}:\n  {}", f.display(), p.join("\n  ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} tables do not fit a plain article:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_overfull_parser_reads_points() {
    let log = "Overfull \\hbox (62.09088pt too wide) in paragraph at lines 8--25\nOverfull \\vbox (0.5pt too high) has occurred\nUnderfull \\hbox (badness 10000)\n";
    let found = overfull(log);
    assert_eq!(found.len(), 2);
    assert!((found[0].1 - 62.09088).abs() < 1e-9 && (found[1].1 - 0.5).abs() < 1e-12);
    assert_eq!(
        declared_packages("% Needs \\usepackage{booktabs} (nothing else)\n% x\n\\begin{table}"),
        vec!["\\usepackage{booktabs}"]
    );
}

#[test]
fn committed_tables_fit_a_page() {
    let files = tex_files(&repo("reports"));
    assert!(
        files.len() >= 12,
        "the committed reports hold the tables of five fits, the counterfactual and the comparison ({} found)",
        files.len()
    );
    if pdflatex_installed() {
        assert_fit(&files);
    }
}

fn run(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_twolevel"))
        .args(args)
        .output()
        .expect("run twolevel");
    assert!(
        out.status.success(),
        "twolevel {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The EU default spec in `dir` (data path made absolute) with `[labels]` that use every LaTeX
/// special character, LaTeX math, a LaTeX/text pair and a non-ASCII letter.
fn labelled_spec(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo("estimation/eu_renegotiation.toml")).unwrap();
    let data = repo("data/eu_treaty_ratifications.csv");
    let mut text = text.replace(
        "path = \"../data/eu_treaty_ratifications.csv\"",
        &format!("path = \"{}\"", data.display()),
    );
    let labels = text
        .find("[labels]")
        .expect("the shipped spec has [labels]");
    text.truncate(labels);
    text.push_str(
        r#"[labels]
const = "Constant (Zürich & co.)"
binding = "Binding: 100% of #votes_cast {final} ~ ^ \\ $"
supermajority = "$\\beta_{\\mathrm{sm}}$"
rho = { latex = "$\\rho$ (renegotiation)", text = "ρ (renegotiation)" }
"#,
    );
    let spec = dir.join("labelled.toml");
    std::fs::write(&spec, text).unwrap();
    spec
}

#[test]
fn tables_written_afresh_fit_a_page() {
    if !pdflatex_installed() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let spec = labelled_spec(tmp.path());
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let fit = tmp.path().join("fit");
    // A bootstrap (two SE columns, stacked), significance stars.
    run(&[
        "fit",
        &s(&spec),
        "--bootstrap",
        "20",
        "--stars",
        "--out",
        &s(&fit),
    ]);
    let tex = std::fs::read_to_string(fit.join("estimates.tex")).unwrap();
    assert!(
        tex.contains(
            "Binding: 100\\% of \\#votes\\_cast \\{final\\} \\~{} \\^{} \\textbackslash{} \\$"
        ) && tex.contains("$\\beta_{\\mathrm{sm}}$")
            && tex.contains("$\\rho$ (renegotiation)")
            && tex.contains("Constant (Zürich \\& co.)"),
        "labels escaped, or as written when LaTeX:\n{tex}"
    );
    // One float per group of the counterfactual.
    run(&[
        "counterfactual",
        &s(&spec),
        &s(&repo("estimation/eu_renegotiation.scenarios.toml")),
        "--group",
        "route",
        "--out",
        &s(&fit),
    ]);
    // Twenty scenarios: each panel split over floats.
    let many = tmp.path().join("many");
    std::fs::create_dir_all(&many).unwrap();
    std::fs::copy(fit.join("estimates.json"), many.join("estimates.json")).unwrap();
    // (The first name is long: it wraps rather than widen the table.)
    let scenarios: String = (0..20)
        .map(|i| {
            let long = if i == 0 {
                ", which is to say never, as if every rejected package failed for good and no negotiator ever came back to the table"
            } else {
                ""
            };
            format!(
                "[[scenario]]\nname = \"renegotiation after a rejection with probability {:.2}{long}\"\nparameters = {{ rho = {} }}\n\n",
                i as f64 / 20.0,
                i as f64 / 20.0
            )
        })
        .collect();
    let scenario_file = tmp.path().join("many.scenarios.toml");
    std::fs::write(&scenario_file, scenarios).unwrap();
    run(&[
        "counterfactual",
        &s(&spec),
        &s(&scenario_file),
        "--group",
        "route",
        "--out",
        &s(&many),
    ]);
    let floats = std::fs::read_to_string(many.join("counterfactual.tex"))
        .unwrap()
        .matches("\\begin{table}")
        .count();
    assert_eq!(floats, 5 * 3, "5 panels, each over 3 floats");
    // Robust SEs, no bootstrap columns.
    let robust = tmp.path().join("robust");
    run(&[
        "fit",
        &s(&spec),
        "--bootstrap",
        "0",
        "--se",
        "robust",
        "--out",
        &s(&robust),
    ]);
    // Four specs and four benchmarks: two floats.
    let compare = tmp.path().join("compare");
    let mut args = vec!["compare".to_string()];
    for name in [
        "eu_oneshot",
        "eu_renegotiation",
        "eu_referendum_separation",
        "referendums_renegotiation",
    ] {
        args.push(s(&repo(&format!("estimation/{name}.toml"))));
    }
    args.extend(["--stars".into(), "--out".into(), s(&compare)]);
    run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let comparison = std::fs::read_to_string(compare.join("comparison.tex")).unwrap();
    assert_eq!(
        comparison.matches("\\begin{table}").count(),
        2,
        "8 columns: the structural models and the reduced forms apart"
    );
    let mut files = tex_files(tmp.path());
    files.retain(|f| !f.ends_with("labelled.toml"));
    assert_eq!(
        files.len(),
        7,
        "estimates, comparison and counterfactual; counterfactual; estimates and comparison; comparison: {files:?}"
    );
    assert_fit(&files);
}
