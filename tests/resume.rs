//! Long runs lose nothing: a bootstrap killed part-way and resumed with `--resume` writes
//! exactly the `bootstrap.csv` of an uninterrupted run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REPLICATES: &str = "40";

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
    while finished_replicates(&checkpoint) < 5 && start.elapsed() < Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let done = finished_replicates(&checkpoint);
    assert!(
        !resumed.join("bootstrap.csv").exists() || done == 40,
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
