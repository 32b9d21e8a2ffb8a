//! The reporting commands end to end, through the `twolevel` binary on simulated data written
//! to a temporary folder:
//!
//! * `fit --bootstrap B` = 4 × `fit --bootstrap B --shard I/4` + `merge`, file for file and
//!   byte for byte (tables, saved results and figures), with shards on 1 and 2 threads;
//! * `report` regenerates the same files from the saved results without refitting;
//! * a second `fit` into the same folder says which files it replaces;
//! * figures are written as PNG and SVG, are not empty, and carry their text;
//! * LaTeX tables have the structure of booktabs tables (`tests/latex.rs` compiles them);
//! * `compare` puts several specs and the reduced form side by side with the Vuong test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use twolevel::analyses::synthetic::{ProtocolMix, Simulation};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_twolevel"))
}

/// Runs the binary; panics with its output when it fails. Returns stdout and stderr.
fn run(args: &[&str]) -> (String, String) {
    let out = bin().args(args).output().expect("run twolevel");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "twolevel {args:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// Writes a simulated project (spec + data) into `dir`; returns the spec path.
fn write_project(
    dir: &Path,
    name: &str,
    n: usize,
    protocols: ProtocolMix,
    edit: impl Fn(String) -> String,
) -> PathBuf {
    let (project, _) = Simulation::new(n, protocols, 5).generate().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("synthetic.csv"), &project.data.bytes).unwrap();
    let spec = dir.join(format!("{name}.toml"));
    std::fs::write(&spec, edit(project.spec.text.clone())).unwrap();
    spec
}

/// The files of a report folder, but `timings.json` (wall-clock times, different in any two
/// runs).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.ends_with("timings.json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn one_run_equals_four_merged_shards_and_report_regenerates_it() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = write_project(tmp.path(), "reneg", 150, ProtocolMix::Renegotiation, |t| t);
    let full = tmp.path().join("full");
    let (stdout, _) = run(&[
        "fit",
        s(&spec),
        "--bootstrap",
        "8",
        "--out",
        s(&full),
        "--group",
        "protocol",
    ]);
    assert!(stdout.contains("Vuong z"), "{stdout}");
    let mut shard_dirs = Vec::new();
    for i in 1..=4 {
        let d = tmp.path().join(format!("shard{i}"));
        let threads = if i % 2 == 0 { "1" } else { "2" };
        run(&[
            "--threads",
            threads,
            "fit",
            s(&spec),
            "--bootstrap",
            "8",
            "--shard",
            &format!("{i}/4"),
            "--out",
            s(&d),
        ]);
        let f = files(&d);
        assert_eq!(
            f.keys().cloned().collect::<Vec<_>>(),
            ["bootstrap.csv", "bootstrap.json", "estimates.json"]
        );
        shard_dirs.push(d);
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge"];
    // Any order of the shard folders.
    for d in shard_dirs.iter().rev() {
        args.push(s(d));
    }
    args.extend(["--out", s(&merged), "--group", "protocol"]);
    run(&args);
    let a = files(&full);
    let b = files(&merged);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(
            *bytes == b[name],
            "{name} differs between one run and 4 merged shards"
        );
    }
    let csv = String::from_utf8(a["bootstrap.csv"].clone()).unwrap();
    assert!(
        csv.starts_with("replicate,status,loglik,home:const,home:x,home:scale,rho,delta_ratifier,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 9);

    // `report` rewrites the same files from the saved results.
    let (_, stderr) = run(&["report", s(&spec), "--out", s(&full), "--group", "protocol"]);
    assert!(stderr.contains("no refit"), "{stderr}");
    let again = files(&full);
    for (name, bytes) in &a {
        assert!(*bytes == again[name], "`report` changed {name}");
    }
    // A second fit into the folder says what it replaces.
    let (_, stderr) = run(&["fit", s(&spec), "--out", s(&full), "--group", "protocol"]);
    assert!(
        stderr.contains("note: replacing the earlier report") && stderr.contains("bootstrap.csv"),
        "{stderr}"
    );
    assert!(
        stderr.contains("removed files of the earlier report")
            && !full.join("bootstrap.csv").exists(),
        "{stderr}"
    );
    // Without a bootstrap, the comparative statics bands come from the delta method.
    let statics = std::fs::read_to_string(full.join("statics_x.svg")).unwrap();
    assert!(
        statics.contains("delta method"),
        "statics_x.svg names its band"
    );
    assert!(!full.join("bootstrap_distributions.png").exists());
    // An incomplete set of shards is refused.
    let out = bin()
        .args([
            "merge",
            s(&shard_dirs[0]),
            s(&shard_dirs[1]),
            "--out",
            s(&tmp.path().join("bad")),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is missing"));
}

fn png_ok(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|_| panic!("{} is written", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is a PNG",
        path.display()
    );
    assert!(
        bytes.len() > 10_000,
        "{} has content ({} bytes)",
        path.display(),
        bytes.len()
    );
}

fn svg_text(path: &Path) -> String {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|_| panic!("{} is written", path.display()));
    assert!(
        text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
        "{}",
        path.display()
    );
    text
}

#[test]
fn figures_and_tables_are_written_with_their_text() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = write_project(tmp.path(), "reneg", 200, ProtocolMix::Renegotiation, |t| t);
    let out = tmp.path().join("report");
    run(&[
        "fit",
        s(&spec),
        "--bootstrap",
        "6",
        "--bootstrap-kind",
        "parametric",
        "--out",
        s(&out),
        "--stars",
    ]);
    for stem in [
        "shares",
        "calibration",
        "statics_x",
        "profile_rho",
        "bootstrap_distributions",
    ] {
        png_ok(&out.join(format!("{stem}.png")));
        svg_text(&out.join(format!("{stem}.svg")));
    }
    // Text is drawn: the SVGs carry titles, axis labels with units and parameter names.
    let expect = [
        (
            "shares",
            vec![
                "Observed and predicted outcome shares by protocol",
                "share of episodes",
                "ratified",
                "[vote, renegotiation]",
            ],
        ),
        (
            "calibration",
            vec!["observed frequency", "predicted probability"],
        ),
        (
            "statics_x",
            vec![
                "home:x",
                "predicted probability",
                "data units",
                "bootstrap percentile",
            ],
        ),
        (
            "profile_rho",
            vec![
                "ρ (probability of renegotiation after a rejection)",
                "profile log-likelihood",
            ],
        ),
        (
            "bootstrap_distributions",
            vec![
                "ρ (probability",
                "home:const (home threshold location μ, share of the surplus)",
                "replicates",
            ],
        ),
    ];
    for (stem, words) in expect {
        let text = svg_text(&out.join(format!("{stem}.svg")));
        assert!(text.contains("<text"), "{stem}.svg has text elements");
        for w in words {
            let escaped = w
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            assert!(
                text.contains(w) || text.contains(&escaped),
                "{stem}.svg shows `{w}`"
            );
        }
    }
    // Tables: the SE kind is stated; bootstrap columns are present.
    let md = std::fs::read_to_string(out.join("estimates.md")).unwrap();
    assert!(
        md.contains("Std. error (Hessian)")
            && md.contains("Bootstrap SE")
            && md.contains("95% percentile interval"),
        "{md}"
    );
    assert!(md.contains("parametric bootstrap"), "{md}");
    let csv = std::fs::read_to_string(out.join("estimates.csv")).unwrap();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with("bootstrap_std_error,bootstrap_ci_low,bootstrap_ci_high"));
    let cmp = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(
        cmp.contains("reduced form (MNL)") && cmp.contains("Vuong z vs reduced form"),
        "{cmp}"
    );
    for tex in ["estimates.tex", "comparison.tex"] {
        check_latex(&out.join(tex));
    }
}

/// Checks the structure of a LaTeX table (`tests/latex.rs` compiles every table with pdflatex
/// and checks that it fits a page): provenance comments on top, booktabs rules, every row with
/// as many cells as columns (counting `\multicolumn` spans), no unescaped `_` outside math.
fn check_latex(path: &Path) {
    let tex = std::fs::read_to_string(path).unwrap();
    assert!(
        tex.is_ascii(),
        "{} is ASCII (compiles with pdflatex without extra packages)",
        path.display()
    );
    assert!(tex.starts_with("% ") && tex.contains("% Needs \\usepackage{booktabs}"));
    assert_eq!(
        tex.matches("\\begin{table}").count(),
        tex.matches("\\end{table}").count()
    );
    assert!(tex.contains("\\toprule") && tex.contains("\\midrule") && tex.contains("\\bottomrule"));
    let spec_start = tex.find("\\begin{tabular}{").unwrap() + "\\begin{tabular}{".len();
    let columns = tex[spec_start..].split('}').next().unwrap().len();
    let body_start = tex.find("\\toprule").unwrap();
    let body_end = tex.find("\\bottomrule").unwrap();
    for line in tex[body_start..body_end]
        .lines()
        .filter(|l| l.ends_with("\\\\"))
    {
        let spans: usize = line
            .match_indices("\\multicolumn{")
            .map(|(i, _)| {
                let n = &line[i + "\\multicolumn{".len()..];
                n[..n.find('}').unwrap()].parse::<usize>().unwrap() - 1
            })
            .sum();
        assert_eq!(
            line.matches('&').count() - line.matches("\\&").count() + spans,
            columns - 1,
            "row `{line}` of {}",
            path.display()
        );
        let outside_math: String = line
            .split('$')
            .enumerate()
            .filter(|(k, _)| k % 2 == 0)
            .map(|(_, t)| t)
            .collect();
        let unescaped_underscore = outside_math
            .match_indices('_')
            .any(|(i, _)| i == 0 || &outside_math[i - 1..i] != "\\");
        assert!(!unescaped_underscore, "unescaped _ in `{line}`");
    }
}

#[test]
fn compare_puts_specs_and_the_reduced_form_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    let free = write_project(
        tmp.path(),
        "free_rho",
        200,
        ProtocolMix::Renegotiation,
        |t| t,
    );
    let fixed = write_project(
        tmp.path(),
        "fixed_rho",
        200,
        ProtocolMix::Renegotiation,
        |t| t.replace("rho = \"free\"", "rho = 0.5"),
    );
    let out = tmp.path().join("cmp");
    let (stdout, _) = run(&["compare", s(&free), s(&fixed), "--out", s(&out), "--stars"]);
    assert!(
        stdout.contains("(1) free_rho")
            && stdout.contains("(2) fixed_rho")
            && stdout.contains("(3) reduced form (MNL)"),
        "{stdout}"
    );
    assert!(stdout.contains("Vuong z vs reduced form"), "{stdout}");
    for f in ["comparison.md", "comparison.tex", "comparison.csv"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    assert!(
        csv.contains("free_rho,structural,rho,")
            && csv.contains("reduced form (MNL),reduced_form,failed:const,"),
        "{csv}"
    );
    assert!(csv.contains("free_rho,structural,vuong_z,"), "{csv}");
    check_latex(&out.join("comparison.tex"));
}

#[test]
fn labels_edited_after_a_fit_are_rendered_by_report_without_refitting() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = write_project(tmp.path(), "reneg", 200, ProtocolMix::Renegotiation, |t| t);
    let out = tmp.path().join("report");
    run(&["fit", s(&spec), "--out", s(&out)]);
    let md = std::fs::read_to_string(out.join("estimates.md")).unwrap();
    assert!(md.contains("| `home:x` |") && md.contains("| ρ |"), "{md}");
    let fitted = std::fs::read(out.join("estimates.json")).unwrap();
    // Only names change: `report` renders them from the saved fit.
    let text = std::fs::read_to_string(&spec).unwrap().replace(
        "outcome = \"outcome\"",
        "outcome = \"outcome\"\ndescription = \"Simulated episodes\"",
    ) + "\n[labels]\nx = \"Covariate x\"\nrho = { latex = \"$\\\\rho$ (renegotiation)\", text = \"ρ (renegotiation)\" }\n";
    std::fs::write(&spec, text).unwrap();
    run(&["report", s(&spec), "--out", s(&out)]);
    let md = std::fs::read_to_string(out.join("estimates.md")).unwrap();
    assert!(
        md.starts_with("# Maximum-likelihood estimates of the two-level ratification model, Simulated episodes")
            && md.contains("| Covariate x |")
            && md.contains("| ρ (renegotiation) |"),
        "{md}"
    );
    let tex = std::fs::read_to_string(out.join("estimates.tex")).unwrap();
    assert!(tex.contains("$\\rho$ (renegotiation) &"), "{tex}");
    assert_eq!(
        std::fs::read(out.join("estimates.json")).unwrap(),
        fitted,
        "the saved fit is kept as it was"
    );
    // Names stay exact in CSV and JSON.
    let csv = std::fs::read_to_string(out.join("estimates.csv")).unwrap();
    assert!(csv.contains("\nhome:x,") && csv.contains("\nrho,"), "{csv}");
    // A change of the model is still refused.
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("rho = \"free\"", "rho = 0.5");
    std::fs::write(&spec, text).unwrap();
    let refused = bin()
        .args(["report", s(&spec), "--out", s(&out)])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another version of the spec"));
}
