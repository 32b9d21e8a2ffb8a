//! The shipped datasets: known facts, the counts that `data/README.md` states, and every
//! shipped spec fits and converges.

use std::collections::HashMap;
use std::path::Path;
use twolevel::problem::project::Project;

fn rows(file: &str) -> Vec<HashMap<String, String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(file);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .map(str::to_string)
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn outcome_of(rows: &[HashMap<String, String>], episode: &str) -> String {
    rows.iter()
        .find(|r| r["episode"] == episode)
        .unwrap_or_else(|| panic!("episode {episode} is missing"))["outcome"]
        .clone()
}

fn counts(rows: &[HashMap<String, String>]) -> (usize, usize, usize) {
    let n = |o: &str| rows.iter().filter(|r| r["outcome"] == o).count();
    (n("ratified"), n("renegotiated"), n("failed"))
}

#[test]
fn known_facts_hold() {
    let eu = rows("eu_treaty_ratifications.csv");
    assert_eq!(outcome_of(&eu, "EU-MAASTRICHT-DK"), "renegotiated");
    assert_eq!(outcome_of(&eu, "EU-NICE-IE"), "renegotiated");
    assert_eq!(outcome_of(&eu, "EU-LISBON-IE"), "renegotiated");
    assert_eq!(outcome_of(&eu, "EU-CONSTITUTION-FR"), "renegotiated");
    assert_eq!(outcome_of(&eu, "EU-ACCESSION-1994-NO"), "failed");
    assert_eq!(outcome_of(&eu, "EC-ACCESSION-1972-NO"), "failed");
    let dk2 = eu
        .iter()
        .find(|r| r["episode"] == "EU-MAASTRICHT-DK-2")
        .unwrap();
    assert_eq!(dk2["continues"], "EU-MAASTRICHT-DK");
    let referendums = rows("treaty_referendums.csv");
    assert_eq!(outcome_of(&referendums, "IS-2011-ICESAVE"), "failed");
    // Decisions of the data audit (data/README.md, "Referee audit (2026): decisions"): the
    // Bilateral Agreements I are a different package from the EEA, so the Swiss EEA no failed;
    // Bulgaria's constitution requires 2/3 for Lisbon; Greece 2015 is not a ratification vote.
    assert_eq!(outcome_of(&eu, "EEA-CH"), "failed");
    assert_eq!(outcome_of(&referendums, "CH-1992-EEA"), "failed");
    let bg = eu.iter().find(|r| r["episode"] == "EU-LISBON-BG").unwrap();
    assert_eq!(bg["requirement"], "supermajority");
    assert_eq!(bg["threshold"], "0.6667");
    assert!(referendums
        .iter()
        .all(|r| r["episode"] != "GR-2015-BAILOUT"));
    let palau: Vec<_> = referendums
        .iter()
        .filter(|r| r["country"] == "PW")
        .collect();
    assert!(
        palau
            .iter()
            .any(|r| r["threshold"] == "0.75" && r["supermajority"] == "1"),
        "Palau's 75% rule"
    );
    // Every row cites a source.
    for r in eu.iter().chain(&referendums) {
        assert!(
            !r["source"].trim().is_empty(),
            "{} has no source",
            r["episode"]
        );
    }
}

#[test]
fn counts_match_the_data_readme() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/README.md"))
            .unwrap();
    for file in ["eu_treaty_ratifications.csv", "treaty_referendums.csv"] {
        let data = rows(file);
        let (r, n, f) = counts(&data);
        let line = format!(
            "{file}: {} rows; ratified {r}, renegotiated {n}, failed {f}",
            data.len()
        );
        assert!(
            readme.contains(&line),
            "data/README.md should state `{line}`"
        );
    }
}

#[test]
fn every_shipped_spec_fits_and_converges() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("estimation");
    let mut specs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && !p.to_string_lossy().contains(".scenarios.")
        })
        .collect();
    specs.sort();
    assert!(specs.len() >= 4);
    for spec in specs {
        let project = Project::load(&spec).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        let model = project.model().unwrap();
        let estimates = twolevel::estimate::project_fit::fit_project(&project, &model)
            .unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        // A maximum, smooth or at a kink (checked along the coordinates); `converged` says
        // only the first, never the second.
        assert!(
            estimates.status.is_maximum(),
            "{} did not converge: {:?}",
            spec.display(),
            estimates.warnings
        );
        assert_eq!(
            estimates.converged,
            estimates.status == twolevel::estimate::FitStatus::Converged
        );
        if estimates.status == twolevel::estimate::FitStatus::KinkMaximum {
            assert!(estimates
                .warnings
                .iter()
                .any(|w| w.contains("maximum at a kink")));
        }
        assert!(estimates.loglik.is_finite());
    }
}

#[test]
fn the_embedded_default_is_the_shipped_eu_spec() {
    let embedded = Project::default_example().unwrap();
    let shipped = Project::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("estimation/eu_renegotiation.toml"),
    )
    .unwrap();
    assert_eq!(embedded.spec.text, shipped.spec.text);
    assert_eq!(embedded.data.hash(), shipped.data.hash());
}

#[test]
fn keep_drops_chain_continuations_and_keeps_file_row_numbers() {
    let project = Project::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("estimation/eu_renegotiation.toml"),
    )
    .unwrap();
    let all = rows("eu_treaty_ratifications.csv");
    let firsts = all.iter().filter(|r| r["continues"].is_empty()).count();
    assert_eq!(project.data.len(), firsts);
    assert!(project.data.text_columns["continues"]
        .iter()
        .all(|c| c.is_empty()));
    for (i, &source) in project.data.source_rows.iter().enumerate() {
        assert_eq!(
            project.data.text_columns["episode"][i],
            all[source]["episode"]
        );
    }
    // A bad value in a kept row is reported at its row in the file.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/eu_treaty_ratifications.csv"),
    )
    .unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // The last kept row sits after several dropped continuation rows.
    let last = project
        .data
        .source_rows
        .iter()
        .rev()
        .map(|r| r + 1)
        .find(|&line| lines[line].contains(",ratified,ratified,"))
        .unwrap();
    assert!(last > project.data.len(), "rows before it were dropped");
    lines[last] = lines[last].replacen(",ratified,ratified,", ",ratifed,ratified,", 1);
    std::fs::write(dir.path().join("data.csv"), lines.join("\n") + "\n").unwrap();
    let spec = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("estimation/eu_renegotiation.toml"),
    )
    .unwrap()
    .replace("../data/eu_treaty_ratifications.csv", "data.csv");
    std::fs::write(dir.path().join("spec.toml"), spec).unwrap();
    let message = match Project::load(&dir.path().join("spec.toml")) {
        Ok(_) => panic!("the bad outcome label was not reported"),
        Err(e) => e.to_string(),
    };
    assert!(message.contains(&format!("row {last}")), "{message}");
}
