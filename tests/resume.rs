//! Long runs lose nothing: a bootstrap killed part-way and resumed with `--resume` writes
//! exactly the `bootstrap.csv` of an uninterrupted run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REPLICATES: &str = "200";

fn fit(out: &Path, resume: bool) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_twolevel"));
    c.args(["fit", "--bootstrap", REPLICATES, "--threads", "2", "--out"])
        .arg(out);
    if resume {
        c.arg("--resume");
    }
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

fn finished_replicates(checkpoint: &Path) -> usize {
    std::fs::read_to_string(checkpoint)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn killed_bootstrap_resumes_to_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, resumed) = (dir.path().join("whole"), dir.path().join("resumed"));
    assert!(fit(&whole, false).status().unwrap().success());
    let expected = std::fs::read(whole.join("bootstrap.csv")).unwrap();
    assert!(
        !whole.join(".bootstrap.checkpoint").exists(),
        "a finished run removes its checkpoint"
    );

    // Start, wait for a few finished replicates, kill.
    let checkpoint = resumed.join(".bootstrap.checkpoint");
    let mut child = fit(&resumed, false).spawn().unwrap();
    let start = Instant::now();
    while finished_replicates(&checkpoint) < 2 && start.elapsed() < Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let done = finished_replicates(&checkpoint);
    let total: usize = REPLICATES.parse().unwrap();
    // The kill landed mid-run: some, not all, replicates were finished, and nothing written.
    assert!(
        done > 0 && done < total,
        "the kill did not land mid-run: {done} of {total} replicates finished"
    );
    assert!(
        !resumed.join("bootstrap.csv").exists(),
        "no report from a killed run"
    );
    eprintln!("killed after {done} of {REPLICATES} replicates");

    assert!(fit(&resumed, true).status().unwrap().success());
    let got = std::fs::read(resumed.join("bootstrap.csv")).unwrap();
    assert!(
        got == expected,
        "resumed bootstrap.csv differs from the uninterrupted run"
    );
    assert!(!checkpoint.exists());
}

#[test]
fn a_checkpoint_of_another_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join(".bootstrap.checkpoint"),
        "twolevel bootstrap checkpoint v1; something else\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_twolevel"))
        .args(["fit", "--bootstrap", "3", "--resume", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("another run") && message.contains("--resume"),
        "{message}"
    );
}

#[test]
fn interrupted_multi_start_fit_resumes_to_the_uninterrupted_result() {
    use twolevel::analyses::synthetic::{ProtocolMix, Simulation};
    let mut sim = Simulation::new(600, ProtocolMix::Renegotiation, 5);
    sim.discrete_covariates = true;
    let (mut project, _) = sim.generate().unwrap();
    project.spec.spec.estimation.starts = 4;
    let model = project.model().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join(".fit.checkpoint");
    let whole = twolevel::estimate::project_fit::fit_project(&project, &model).unwrap();
    // A run that wrote all four starts, then "died" after two: keep the header and two lines.
    twolevel::estimate::project_fit::fit_project_with_checkpoint(
        &project,
        &model,
        Some((checkpoint.clone(), false)),
    )
    .unwrap();
    let text = std::fs::read_to_string(&checkpoint).unwrap();
    assert_eq!(text.lines().count(), 5, "header and four starts");
    let partial: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&checkpoint, partial.join("\n") + "\n").unwrap();
    let resumed = twolevel::estimate::project_fit::fit_project_with_checkpoint(
        &project,
        &model,
        Some((checkpoint.clone(), true)),
    )
    .unwrap();
    assert_eq!(
        resumed
            .internal
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        whole
            .internal
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    );
    assert_eq!(resumed.loglik.to_bits(), whole.loglik.to_bits());
    assert_eq!(resumed.diagnostics.starts, whole.diagnostics.starts);
}
