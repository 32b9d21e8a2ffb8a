//! Loading and checking episode data (CSV, read with the `csv` crate).
//!
//! A dataset has one row per ratification episode: the outcome (`ratified | renegotiated |
//! failed`), the protocol flags (0/1 columns or constants from the spec), covariates, and
//! optional id, cluster and weight columns. Loading is strict: a missing column, a
//! non-numeric or missing covariate, an unknown outcome label, a protocol column with values
//! other than 0/1, or an outcome that the row's protocol cannot produce is an error naming the
//! file, row and column. Curated files with a `route` or `continues` column are checked
//! against the coding rules of `data/README.md` as well.

use crate::error::{Error, Result};
use crate::problem::spec::{ColumnOrFlag, SpecFile};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// An episode's observed outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Accepted at a poll or the vote.
    Ratified = 0,
    /// Rejected, then ratified in revised form.
    Renegotiated = 1,
    /// Rejected for good.
    Failed = 2,
}

impl Outcome {
    /// All outcomes in index order.
    pub const ALL: [Outcome; 3] = [Outcome::Ratified, Outcome::Renegotiated, Outcome::Failed];

    /// The label used in data files.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ratified => "ratified",
            Outcome::Renegotiated => "renegotiated",
            Outcome::Failed => "failed",
        }
    }

    /// Parses a data label.
    pub fn parse(label: &str) -> Option<Outcome> {
        match label.trim() {
            "ratified" => Some(Outcome::Ratified),
            "renegotiated" => Some(Outcome::Renegotiated),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }

    /// The index into `[ratified, renegotiated, failed]` arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The ratification routes of the curated datasets.
pub const ROUTES: [&str; 4] = [
    "parliament",
    "mandatory_referendum",
    "optional_referendum",
    "consultative_referendum",
];

/// A loaded, checked dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Where it came from.
    pub path: PathBuf,
    /// The file's bytes (for hashing and for writing rows back out).
    pub bytes: Vec<u8>,
    /// Observed outcomes, one per row.
    pub outcome: Vec<Outcome>,
    /// Row weights (1 without a weight column).
    pub weight: Vec<f64>,
    /// Row ids, if the spec names an id column.
    pub id: Option<Vec<String>>,
    /// Cluster labels, if the spec names a cluster column.
    pub cluster: Option<Vec<String>>,
    /// Numeric covariates named anywhere in the spec (`const` excluded).
    pub covariates: BTreeMap<String, Vec<f64>>,
    /// Was a poll taken (per row)?
    pub poll: Vec<bool>,
    /// Could the package be renegotiated (per row)?
    pub renegotiation: Vec<bool>,
    /// Did the counterpart face ratification (per row)?
    pub foreign_constraint: Vec<bool>,
    /// Every column as text (for grouping and for scenario filters).
    pub text_columns: BTreeMap<String, Vec<String>>,
    /// For each data row, its 0-based row in the file (rows dropped by `[data] keep` skipped).
    pub source_rows: Vec<usize>,
    /// SHA-256 of the whole file as read (before `[data] keep`).
    pub file_sha256: String,
}

impl Dataset {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.outcome.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.outcome.is_empty()
    }

    /// SHA-256 of the file's bytes (recorded in reports).
    pub fn hash(&self) -> String {
        self.file_sha256.clone()
    }

    /// Loads the data a spec names, reading the file from disk.
    pub fn load(spec: &SpecFile) -> Result<Dataset> {
        let path = spec.data_path();
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::data(
                &path,
                None,
                None,
                format!(
                    "cannot read the file ({e}); check `[data] path = {:?}` in `{}` (relative to the spec file's folder)",
                    spec.spec.data.path.display().to_string(),
                    spec.path.display()
                ),
            )
        })?;
        Dataset::from_bytes(spec, &path, bytes)
    }

    /// Loads the data a spec names from bytes already in memory (`path` names it in messages).
    pub fn from_bytes(spec: &SpecFile, path: &Path, bytes: Vec<u8>) -> Result<Dataset> {
        let file_sha256 = hex(&Sha256::digest(&bytes));
        let keep = &spec.spec.data.keep;
        if keep.is_empty() {
            let mut data = Dataset::parse(spec, path, bytes)?;
            data.source_rows = (0..data.len()).collect();
            data.file_sha256 = file_sha256;
            return Ok(data);
        }
        // Filter the rows first; if the file cannot even be read as CSV, let the full parser
        // say why.
        let Some((filtered, source_rows)) = filter_rows(path, &bytes, keep)? else {
            return Dataset::parse(spec, path, bytes);
        };
        if source_rows.is_empty() {
            return Err(Error::data(
                path,
                None,
                None,
                format!(
                    "`[data] keep` ({}) matches no row; check the values as written in the file",
                    keep.iter()
                        .map(|(c, v)| format!("{c} = {:?}", v.0))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let remap = |e: Error| match e {
            Error::Data {
                path,
                row: Some(r),
                column,
                message,
            } if r >= 1 && r <= source_rows.len() => Error::Data {
                path,
                row: Some(source_rows[r - 1] + 1),
                column,
                message,
            },
            other => other,
        };
        let mut data = Dataset::parse(spec, path, filtered).map_err(remap)?;
        data.source_rows = source_rows;
        data.file_sha256 = file_sha256;
        Ok(data)
    }

    /// Parses and checks the rows of a CSV file (after any `[data] keep` filter).
    fn parse(spec: &SpecFile, path: &Path, bytes: Vec<u8>) -> Result<Dataset> {
        let err = |row: Option<usize>, column: Option<&str>, message: String| {
            Error::data(path, row, column, message)
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(err(
                None,
                None,
                "the file is empty; it needs a header row and at least one data row".into(),
            ));
        }
        if std::str::from_utf8(&bytes).is_err() {
            return Err(err(
                None,
                None,
                "the file is not UTF-8 text; save it as UTF-8 CSV".into(),
            ));
        }
        // Read with the `csv` crate, as `analyses::predict::simulate_csv` writes the rows back, so both
        // see the same records: blank lines skipped, `\n`, `\r\n` or `\r` line ends, a UTF-8
        // BOM dropped, and every row as many fields as the header.
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let csv_error = |e: csv::Error| {
            match e.kind() {
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => err(
                pos.as_ref().map(|p| p.record() as usize),
                None,
                format!(
                    "the row has {len} fields but the header has {expected_len}{}; give every row one field per header column (quote fields that contain commas)",
                    pos.as_ref().map(|p| format!(" (line {})", p.line())).unwrap_or_default()
                ),
            ),
            _ => err(
                e.position().map(|p| p.record() as usize),
                None,
                format!("not a readable CSV file ({e}); check the delimiter (comma) and quoting"),
            ),
        }
        };
        let names: Vec<String> = reader
            .headers()
            .map_err(csv_error)?
            .iter()
            .map(str::to_string)
            .collect();
        for (k, name) in names.iter().enumerate() {
            if let Some(first) = names[..k].iter().position(|m| m == name) {
                return Err(err(
                    None,
                    Some(name),
                    format!(
                        "the header has two columns called `{name}` (columns {} and {}); rename or drop one",
                        first + 1,
                        k + 1
                    ),
                ));
            }
        }
        let mut columns: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            for (column, field) in columns.iter_mut().zip(record.iter()) {
                column.push(field.to_string());
            }
        }
        let n = columns.first().map_or(0, Vec::len);
        if n == 0 {
            return Err(err(
                None,
                None,
                "the file has a header but no data rows".into(),
            ));
        }
        let text_columns: BTreeMap<String, Vec<String>> =
            names.iter().cloned().zip(columns).collect();
        let s = &spec.spec;
        let column = |name: &str, role: &str| -> Result<&Vec<String>> {
            text_columns.get(name).ok_or_else(|| {
                err(
                    None,
                    Some(name),
                    format!(
                        "the spec names `{name}` as {role}, but the file has no such column (it has: {}){}; fix the spec or the file",
                        names.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                        names
                            .iter()
                            .find(|c| c.trim().eq_ignore_ascii_case(name.trim()))
                            .map(|c| format!("; `{c}` differs only in case or spaces"))
                            .unwrap_or_default()
                    ),
                )
            })
        };

        // Outcome.
        let mut outcome = Vec::with_capacity(n);
        for (i, label) in column(&s.data.outcome, "`[data] outcome`")?
            .iter()
            .enumerate()
        {
            outcome.push(Outcome::parse(label).ok_or_else(|| {
                err(
                    Some(i + 1),
                    Some(&s.data.outcome),
                    if label.trim().is_empty() {
                        "the outcome is empty; use one of ratified, renegotiated, failed (or drop the row)".to_string()
                    } else {
                        format!("unknown outcome `{label}`; use one of ratified, renegotiated, failed")
                    },
                )
            })?);
        }

        // Weights.
        let weight = match &s.data.weight {
            None => vec![1.0; n],
            Some(name) => {
                let w = numeric(column(name, "`[data] weight`")?, name, path)?;
                if let Some(i) = w.iter().position(|&v| v <= 0.0) {
                    return Err(err(
                        Some(i + 1),
                        Some(name),
                        format!(
                            "weight {} is not positive; weights must be > 0 (drop the row instead)",
                            w[i]
                        ),
                    ));
                }
                w
            }
        };
        let id = match &s.data.id {
            None => None,
            Some(name) => Some(column(name, "`[data] id`")?.clone()),
        };
        let cluster = match &s.data.cluster {
            None => None,
            Some(name) => {
                let c = column(name, "`[data] cluster`")?.clone();
                if let Some(i) = c.iter().position(|v| v.trim().is_empty()) {
                    return Err(err(
                        Some(i + 1),
                        Some(name),
                        "empty cluster label; every row needs a cluster".into(),
                    ));
                }
                Some(c)
            }
        };

        // Protocol flags.
        let flag = |element: &ColumnOrFlag, key: &str| -> Result<Vec<bool>> {
            match element {
                ColumnOrFlag::Flag(b) => Ok(vec![*b; n]),
                ColumnOrFlag::Column(name) => {
                    let values = column(name, &format!("`[protocol] {key}`"))?;
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| match v.trim() {
                            "1" | "1.0" | "true" | "TRUE" | "True" => Ok(true),
                            "0" | "0.0" | "false" | "FALSE" | "False" => Ok(false),
                            other => Err(err(
                                Some(i + 1),
                                Some(name),
                                format!(
                                    "protocol value `{other}` is not 0 or 1; code `{key}` as 0/1"
                                ),
                            )),
                        })
                        .collect()
                }
            }
        };
        let poll = flag(&s.protocol.poll, "poll")?;
        let renegotiation = flag(&s.protocol.renegotiation, "renegotiation")?;
        let foreign_constraint = flag(&s.protocol.foreign_constraint, "foreign_constraint")?;

        // Covariates named anywhere in the spec.
        let mut wanted: Vec<(&String, &str)> = s
            .home
            .location
            .iter()
            .map(|c| (c, "a covariate of `[home] location`"))
            .collect();
        if let Some(f) = &s.foreign {
            wanted.extend(
                f.location
                    .iter()
                    .map(|c| (c, "a covariate of `[foreign] location`")),
            );
        }
        if let Some(p) = &s.proposer {
            wanted.extend(
                p.index
                    .iter()
                    .map(|c| (c, "a covariate of `[proposer] index`")),
            );
        }
        let mut covariates = BTreeMap::new();
        for (name, role) in wanted {
            if name == "const" || covariates.contains_key(name) {
                continue;
            }
            let values = column(name, role)?;
            covariates.insert(name.clone(), numeric(values, name, path)?);
        }

        // Outcomes the protocol cannot produce.
        for i in 0..n {
            if outcome[i] == Outcome::Renegotiated && !renegotiation[i] {
                let where_ = match &s.protocol.renegotiation {
                    ColumnOrFlag::Column(c) => format!("its `{c}` is 0"),
                    ColumnOrFlag::Flag(_) => "`[protocol] renegotiation = false`".to_string(),
                };
                return Err(err(Some(i + 1), Some(&s.data.outcome), format!(
                    "the outcome is `renegotiated` but {where_}, so the row's protocol has no renegotiation stage; recode the row or the protocol"
                )));
            }
        }

        let data = Dataset {
            path: path.to_path_buf(),
            bytes,
            outcome,
            weight,
            id,
            cluster,
            covariates,
            poll,
            renegotiation,
            foreign_constraint,
            text_columns,
            source_rows: Vec::new(),
            file_sha256: String::new(),
        };
        data.check_curated_rules(spec)?;
        Ok(data)
    }

    /// The coding rules of the curated datasets (`data/README.md`), where their columns exist.
    fn check_curated_rules(&self, spec: &SpecFile) -> Result<()> {
        let err = |row: usize, column: &str, message: String| {
            Error::data(&self.path, Some(row + 1), Some(column), message)
        };
        if let Some(route) = self.text_columns.get("route") {
            for (i, r) in route.iter().enumerate() {
                if !ROUTES.contains(&r.as_str()) {
                    return Err(err(
                        i,
                        "route",
                        format!("unknown route `{r}`; use one of {}", ROUTES.join(", ")),
                    ));
                }
                if let Some(referendum) = self.text_columns.get("referendum") {
                    let expected = if r == "parliament" { "0" } else { "1" };
                    if referendum[i].trim() != expected {
                        return Err(err(i, "referendum", format!("`referendum` is `{}` but the route is `{r}`; referendum must be {expected}", referendum[i])));
                    }
                }
            }
        }
        if let Some(continues) = self.text_columns.get("continues") {
            let id_column = spec
                .spec
                .data
                .id
                .clone()
                .unwrap_or_else(|| "episode".to_string());
            if let Some(ids) = self.text_columns.get(&id_column) {
                let known: HashSet<&str> = ids.iter().map(String::as_str).collect();
                for (i, c) in continues.iter().enumerate() {
                    let c = c.trim();
                    if !c.is_empty() && !known.contains(c) {
                        return Err(err(i, "continues", format!("the chain points to episode `{c}`, which is not in the file; fix the id or add the episode")));
                    }
                    if c == ids[i] {
                        return Err(err(
                            i,
                            "continues",
                            format!("episode `{c}` continues itself"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Applies `[data] keep`: the CSV text of the kept rows and their 0-based rows in the file.
/// `Ok(None)` when the file is not readable CSV (the full parser then reports why).
#[allow(clippy::type_complexity)]
fn filter_rows(
    path: &Path,
    bytes: &[u8],
    keep: &BTreeMap<String, crate::problem::spec::KeepValues>,
) -> Result<Option<(Vec<u8>, Vec<usize>)>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let Ok(headers) = reader.headers().cloned() else {
        return Ok(None);
    };
    let mut tests = Vec::new();
    for (column, values) in keep {
        let Some(index) = headers.iter().position(|h| h == column) else {
            return Err(Error::data(path, None, Some(column), format!(
                "`[data] keep` names column `{column}`, which the file does not have (it has: {}); fix the spec",
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        };
        tests.push((index, &values.0));
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&headers).expect("in-memory CSV");
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let Ok(record) = record else { return Ok(None) };
        if tests.iter().all(|(index, values)| {
            values
                .iter()
                .any(|v| record.get(*index).is_some_and(|x| x.trim() == v.trim()))
        }) {
            writer.write_record(&record).expect("in-memory CSV");
            rows.push(i);
        }
    }
    Ok(Some((writer.into_inner().expect("in-memory CSV"), rows)))
}

/// Parses a text column as finite numbers, naming the first bad row.
fn numeric(values: &[String], name: &str, path: &Path) -> Result<Vec<f64>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let t = v.trim();
            if t.is_empty() {
                return Err(Error::data(path, Some(i + 1), Some(name), "missing value; covariates must be present in every row (drop or impute the row)"));
            }
            match t.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(_) => Err(Error::data(path, Some(i + 1), Some(name), format!("`{t}` is not a finite number (NaN or infinite); fix or drop the row"))),
                Err(_) => Err(Error::data(path, Some(i + 1), Some(name), format!("`{t}` is not a number; covariates must be numeric (code categories as 0/1 columns)"))),
            }
        })
        .collect()
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
