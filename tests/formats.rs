//! Data and output formats: a dataset loads and fits the same from CSV, Parquet and Arrow IPC
//! (the copies are written here with polars from the shipped CSV, with the types polars infers);
//! `predict` and `simulate` write Parquet when `--out` ends in `.parquet`, with the same values
//! as their CSV output; CSV files with `\r` line ends or blank lines load as before; an
//! unreadable Parquet file is an error that names it.

use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use twolevel::problem::data::Dataset;
use twolevel::problem::project::Project;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

const SPEC: &str = "estimation/eu_renegotiation.toml";
const DATA_LINE: &str = "path = \"../data/eu_treaty_ratifications.csv\"";

/// The shipped EU data as polars reads them with type inference (numbers as numbers, empty
/// cells missing).
fn eu_frame() -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(repo("data/eu_treaty_ratifications.csv")))
        .unwrap()
        .finish()
        .unwrap()
}

/// The default spec, with its data path pointing at `data` in `dir`.
fn spec_for(dir: &Path, data: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo(SPEC)).unwrap();
    assert!(text.contains(DATA_LINE));
    let path = dir.join("spec.toml");
    std::fs::write(
        &path,
        text.replace(DATA_LINE, &format!("path = \"{data}\"")),
    )
    .unwrap();
    path
}

/// Two datasets hold the same rows, values and designs.
fn assert_same_data(a: &Dataset, b: &Dataset) {
    assert_eq!(a.outcome, b.outcome);
    assert_eq!(a.weight, b.weight);
    assert_eq!(a.id, b.id);
    assert_eq!(a.cluster, b.cluster);
    assert_eq!(a.poll, b.poll);
    assert_eq!(a.renegotiation, b.renegotiation);
    assert_eq!(a.foreign_constraint, b.foreign_constraint);
    assert_eq!(a.source_rows, b.source_rows);
    assert_eq!(a.covariates.len(), b.covariates.len());
    for (name, values) in &a.covariates {
        let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(values), bits(&b.covariates[name]), "{name}");
    }
}

#[test]
fn a_parquet_copy_fits_to_the_same_log_likelihood() {
    let dir = tempfile::tempdir().unwrap();
    let mut frame = eu_frame();
    assert_eq!(frame.column("binding").unwrap().dtype(), &DataType::Int64);
    assert_eq!(frame.column("decade").unwrap().dtype(), &DataType::Float64);
    ParquetWriter::new(std::fs::File::create(dir.path().join("eu.parquet")).unwrap())
        .finish(&mut frame)
        .unwrap();
    let csv = Project::load(&repo(SPEC)).unwrap();
    let parquet = Project::load(&spec_for(dir.path(), "eu.parquet")).unwrap();
    assert_same_data(&csv.data, &parquet.data);
    assert_eq!(
        parquet.data.frame.column("binding").unwrap().dtype(),
        &DataType::Int64,
        "the Parquet file's types are kept"
    );

    let (model_csv, model_parquet) = (csv.model().unwrap(), parquet.model().unwrap());
    assert_eq!(model_csv.row_design, model_parquet.row_design);
    let fit = |p: &Project, m| twolevel::estimate::project_fit::fit_project(p, m).unwrap();
    let (a, b) = (fit(&csv, &model_csv), fit(&parquet, &model_parquet));
    assert_eq!(
        a.loglik.to_bits(),
        b.loglik.to_bits(),
        "{} vs {}",
        a.loglik,
        b.loglik
    );
    assert_eq!(a.values(), b.values());
}

#[test]
fn an_arrow_ipc_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Project::load(&repo(SPEC)).unwrap();
    for name in ["eu.arrow", "eu.feather", "eu.ipc"] {
        let mut frame = eu_frame();
        IpcWriter::new(std::fs::File::create(dir.path().join(name)).unwrap())
            .finish(&mut frame)
            .unwrap();
        let ipc = Project::load(&spec_for(dir.path(), name)).unwrap();
        assert_same_data(&csv.data, &ipc.data);
        assert_eq!(
            csv.model().unwrap().row_design,
            ipc.model().unwrap().row_design
        );
    }
}

/// Runs `command spec --params estimates.json <extra> --out out.csv`, then the same with
/// `--out out.parquet` (the default example at its committed estimates), and reads both outputs:
/// the CSV as text, the Parquet file with its types.
fn csv_and_parquet_outputs(command: &str, extra: &[&str]) -> (DataFrame, DataFrame) {
    let dir = tempfile::tempdir().unwrap();
    let spec = repo(SPEC);
    let params = repo("reports/eu_renegotiation/estimates.json");
    for out in ["out.csv", "out.parquet"] {
        let status = Command::new(env!("CARGO_BIN_EXE_twolevel"))
            .arg(command)
            .args([spec.as_os_str(), "--params".as_ref(), params.as_os_str()])
            .args(extra)
            .args(["--out", out, "--threads", "1"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{command} --out {out}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let csv = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(dir.path().join("out.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let parquet = ParquetReader::new(std::fs::File::open(dir.path().join("out.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(csv.get_column_names(), parquet.get_column_names());
    (csv, parquet)
}

#[test]
fn predict_writes_parquet_with_the_csv_values() {
    let (csv, pq) = csv_and_parquet_outputs("predict", &[]);
    assert_eq!((csv.height(), pq.height()), (144, 144));
    assert_eq!(pq.column("episode").unwrap().dtype(), &DataType::String);
    assert_eq!(
        csv.column("episode").unwrap().as_materialized_series(),
        pq.column("episode").unwrap().as_materialized_series()
    );
    // Every EU design's equilibrium is certified: the flag is `true` in both files.
    let certified = pq.column("certified").unwrap().bool().unwrap().clone();
    assert_eq!(certified.sum(), Some(144));
    let cells = csv.column("certified").unwrap().str().unwrap().clone();
    assert!(cells.iter().all(|c| c == Some("true")), "{cells:?}");
    let mut missing = 0;
    for name in pq.get_column_names().into_iter().skip(1) {
        if name.as_str() == "certified" {
            continue;
        }
        let values = pq.column(name).unwrap().f64().unwrap().clone();
        let cells = csv.column(name).unwrap().str().unwrap().clone();
        for (v, cell) in values.iter().zip(cells.iter()) {
            match (v, cell) {
                // The CSV has 12 decimals; Parquet keeps every bit.
                (Some(v), Some(cell)) => assert_eq!(format!("{v:.12}"), cell, "{name}"),
                (None, None) => missing += 1,
                other => panic!("{name}: {other:?}"),
            }
        }
    }
    assert!(missing > 0, "rows without a poll have no poll offer");
}

#[test]
fn simulate_writes_parquet_with_the_csv_values() {
    let (csv, pq) = csv_and_parquet_outputs("simulate", &["--seed", "7", "--n", "40"]);
    assert_eq!(csv.height(), 40);
    // The data are CSV, so every column is text in both files.
    assert!(csv.equals_missing(&pq));
    // The rows are the spec's (kept) rows: none continues a chain.
    let continues = pq.column("continues").unwrap();
    assert_eq!(continues.null_count(), 40);
}

#[test]
fn csv_line_ends_and_blank_lines_load_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let original = Project::load(&repo(SPEC)).unwrap();
    let text = std::fs::read_to_string(repo("data/eu_treaty_ratifications.csv")).unwrap();
    let variants = [
        ("cr.csv", text.replace('\n', "\r")),
        ("crlf.csv", text.replace('\n', "\r\n")),
        ("blank.csv", text.replacen('\n', "\n\n", 3) + "\n\n"),
    ];
    for (name, bytes) in variants {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let p = Project::load(&spec_for(dir.path(), name)).unwrap();
        assert_same_data(&original.data, &p.data);
        assert_eq!(original.data.text_columns, p.data.text_columns);
    }
}

#[test]
fn an_unreadable_parquet_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("eu.parquet"),
        b"episode,outcome\nE1,ratified\n",
    )
    .unwrap();
    let e = Project::load(&spec_for(dir.path(), "eu.parquet"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("eu.parquet") && e.contains("not a readable Parquet file"),
        "{e}"
    );
}
