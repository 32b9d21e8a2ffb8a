//! Loading and checking episode data with polars: CSV, Parquet or Arrow IPC.
//!
//! A dataset has one row per ratification episode: the outcome (`ratified | renegotiated |
//! failed`), the protocol flags (0/1 columns or constants from the spec), covariates, and
//! optional id, cluster and weight columns. Loading is strict: a missing column, a
//! non-numeric or missing covariate, an unknown outcome label, a protocol column with values
//! other than 0/1, or an outcome that the row's protocol cannot produce is an error naming the
//! file, row and column. Curated files with a `route` or `continues` column are checked
//! against the coding rules of `data/README.md` as well.
//!
//! The file's extension says its format ([`TableFormat::of`]): `.parquet` is Parquet, `.arrow`,
//! `.ipc` and `.feather` are Arrow IPC, anything else is CSV. Polars reads it into a frame
//! (CSV cells as text, so that numbers are parsed exactly as written); `[data] keep`, the
//! column and type checks and the chain checks are operations on that frame
//! ([`crate::problem::table`]).
//!
//! CSV records are first checked with the `csv` crate, which defines a record as the rest of the
//! toolkit always has (blank lines skipped; `\n`, `\r\n` or `\r` line ends; a UTF-8 BOM dropped)
//! and names the row and line of a record whose number of fields differs from the header's:
//! polars pads short rows with missing cells, renames repeated header names and reports no line.
//! When polars reads other records than the csv crate (a file with blank lines, `\r` line ends
//! or a quote inside a quoted field), it reads the csv crate's rewrite of the records instead,
//! so both always agree on what row `n` is.

use crate::error::{Error, Result};
use crate::io::{read_table, TableFormat};
use crate::problem::spec::{ColumnOrFlag, KeepValues, SpecFile};
use crate::problem::table::{self, BadNumber, CellValue};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
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
    /// The file's bytes (for hashing).
    pub bytes: Vec<u8>,
    /// Observed outcomes, one per row.
    pub outcome: Vec<Outcome>,
    /// Row weights (1 without a weight column): frequency weights, a row of weight `w`
    /// stands for `w` identical episodes — in the log-likelihood, the sandwich, the bootstrap
    /// (which resamples `Σw` episodes), BIC (`n = Σw`) and the Vuong test alike.
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
    /// The rows (after `[data] keep`) with every column as read: text for CSV, the file's
    /// types for Parquet and Arrow IPC.
    pub frame: DataFrame,
}

impl Dataset {
    /// The data's column names, comma-separated (for messages that name the columns there are).
    pub fn column_list(&self) -> String {
        self.text_columns
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }

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

    /// Loads the data a spec names from bytes already in memory (`path` names it in messages
    /// and its extension says the format).
    pub fn from_bytes(spec: &SpecFile, path: &Path, bytes: Vec<u8>) -> Result<Dataset> {
        let file_sha256 = hex(&Sha256::digest(&bytes));
        let frame = read_frame(path, &bytes)?;
        if frame.height() == 0 {
            return Err(Error::data(
                path,
                None,
                None,
                "the file has a header but no data rows",
            ));
        }
        let (frame, source_rows) = keep_rows(path, frame, &spec.spec.data.keep)?;
        let mut data = Dataset::from_frame(spec, path, bytes, frame, source_rows)?;
        data.file_sha256 = file_sha256;
        Ok(data)
    }

    /// Checks the kept rows and takes the spec's columns from them.
    fn from_frame(
        spec: &SpecFile,
        path: &Path,
        bytes: Vec<u8>,
        frame: DataFrame,
        source_rows: Vec<usize>,
    ) -> Result<Dataset> {
        let n = frame.height();
        // A kept row's 1-based row in the file.
        let at = |i: usize, column: &str, message: String| {
            Error::data(path, Some(source_rows[i] + 1), Some(column), message)
        };
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let s = &spec.spec;
        let column = |name: &str, role: &str| -> Result<&Column> {
            frame.column(name).map_err(|_| {
                Error::data(
                    path,
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
        let strings = |name: &str, role: &str| -> Result<Vec<String>> {
            table::strings(column(name, role)?).map_err(|e| column_error(path, name, e))
        };
        // A numeric column: finite numbers in every row.
        let numbers = |name: &str, role: &str| -> Result<Vec<f64>> {
            match table::finite_numbers(column(name, role)?).map_err(|e| column_error(path, name, e))? {
                Ok(values) => Ok(values),
                Err((i, BadNumber::Missing)) => Err(at(i, name, "missing value; covariates must be present in every row (drop or impute the row)".into())),
                Err((i, BadNumber::NotFinite(t))) => Err(at(i, name, format!("`{t}` is not a finite number (NaN or infinite); fix or drop the row"))),
                Err((i, BadNumber::NotANumber(t))) => Err(at(i, name, format!("`{t}` is not a number; covariates must be numeric (code categories as 0/1 columns)"))),
            }
        };

        // Outcome.
        let mut outcome = Vec::with_capacity(n);
        for (i, label) in strings(&s.data.outcome, "`[data] outcome`")?
            .iter()
            .enumerate()
        {
            outcome.push(Outcome::parse(label).ok_or_else(|| {
                at(
                    i,
                    &s.data.outcome,
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
                let w = numbers(name, "`[data] weight`")?;
                if let Some(i) = w.iter().position(|&v| v <= 0.0) {
                    return Err(at(
                        i,
                        name,
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
            Some(name) => Some(strings(name, "`[data] id`")?),
        };
        let cluster = match &s.data.cluster {
            None => None,
            Some(name) => {
                let c = strings(name, "`[data] cluster`")?;
                if let Some(i) = c.iter().position(|v| v.trim().is_empty()) {
                    return Err(at(
                        i,
                        name,
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
                    table::flags(values)
                        .map_err(|e| column_error(path, name, e))?
                        .map_err(|(i, other)| {
                            at(
                                i,
                                name,
                                format!(
                                    "protocol value `{other}` is not 0 or 1; code `{key}` as 0/1"
                                ),
                            )
                        })
                }
            }
        };
        let poll = flag(&s.protocol.poll, "poll")?;
        let renegotiation = flag(&s.protocol.renegotiation, "renegotiation")?;
        let foreign_constraint = flag(&s.protocol.foreign_constraint, "foreign_constraint")?;

        // Covariates named anywhere in the spec.
        let roles = [
            "a covariate of `[home] location`",
            "a covariate of `[foreign] location`",
            "a covariate of `[proposer] index`",
        ];
        let wanted = s
            .covariate_lists()
            .into_iter()
            .zip(roles)
            .flat_map(|(list, role)| list.iter().map(move |c| (c, role)));
        let mut covariates = BTreeMap::new();
        for (name, role) in wanted {
            if name == "const" || covariates.contains_key(name) {
                continue;
            }
            covariates.insert(name.clone(), numbers(name, role)?);
        }

        // Outcomes the protocol cannot produce.
        if let Some(i) = (0..n).find(|&i| outcome[i] == Outcome::Renegotiated && !renegotiation[i])
        {
            let where_ = match &s.protocol.renegotiation {
                ColumnOrFlag::Column(c) => format!("its `{c}` is 0"),
                ColumnOrFlag::Flag(_) => "`[protocol] renegotiation = false`".to_string(),
            };
            return Err(at(i, &s.data.outcome, format!(
                "the outcome is `renegotiated` but {where_}, so the row's protocol has no renegotiation stage; recode the row or the protocol"
            )));
        }

        check_curated_rules(spec, path, &frame, &at)?;
        let mut text_columns = BTreeMap::new();
        for (name, c) in names.iter().zip(frame.columns()) {
            text_columns.insert(
                name.clone(),
                table::strings(c).map_err(|e| column_error(path, name, e))?,
            );
        }
        Ok(Dataset {
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
            source_rows,
            file_sha256: String::new(),
            frame,
        })
    }
}

/// A column that polars cannot read as needed.
fn column_error(path: &Path, name: &str, e: PolarsError) -> Error {
    Error::data(
        path,
        None,
        Some(name),
        format!("cannot read the column ({e})"),
    )
}

/// The coding rules of the curated datasets (`data/README.md`), where their columns exist: a
/// known `route`, `referendum` = 1 exactly for the popular-vote routes, and chains (`continues`)
/// that point to another episode of the file.
fn check_curated_rules(
    spec: &SpecFile,
    path: &Path,
    frame: &DataFrame,
    at: &dyn Fn(usize, &str, String) -> Error,
) -> Result<()> {
    let first = |mask: BooleanChunked| mask.iter().position(|m| m == Some(true));
    if let Ok(route) = frame.column("route") {
        let cells = table::text(route).map_err(|e| column_error(path, "route", e))?;
        let mut known = BooleanChunked::full("known".into(), false, cells.len());
        for r in ROUTES {
            known = &known | &cells.equal(r);
        }
        if let Some(i) = first(!known) {
            let r = cells.get(i).unwrap_or("");
            return Err(at(
                i,
                "route",
                format!("unknown route `{r}`; use one of {}", ROUTES.join(", ")),
            ));
        }
        if let Ok(referendum) = frame.column("referendum") {
            let popular_vote = cells.not_equal("parliament");
            let coded =
                table::trimmed(referendum).map_err(|e| column_error(path, "referendum", e))?;
            let consistent: BooleanChunked = coded
                .iter()
                .zip(popular_vote.iter())
                .map(|(c, v)| table::flag_value(c.unwrap_or("")) == v)
                .collect();
            if let Some(i) = first(!consistent) {
                let r = cells.get(i).unwrap_or("");
                let expected = if r == "parliament" { "0" } else { "1" };
                let cell =
                    table::text(referendum).map_err(|e| column_error(path, "referendum", e))?;
                return Err(at(i, "referendum", format!("`referendum` is `{}` but the route is `{r}`; referendum must be {expected}", cell.get(i).unwrap_or(""))));
            }
        }
    }
    let id_column = spec.spec.data.id.as_deref().unwrap_or("episode");
    if let (Ok(continues), Ok(ids)) = (frame.column("continues"), frame.column(id_column)) {
        let polars = |e| column_error(path, "continues", e);
        let links = table::trimmed(continues).map_err(polars)?;
        let ids = table::text(ids).map_err(polars)?;
        // The episode ids and the links stacked in one column and grouped (a polars
        // group-by, groups in order of first appearance): a link points to an episode of the
        // file when its group starts among the ids.
        let n = ids.len();
        let mut stacked = ids.clone();
        stacked.append(&links).map_err(polars)?;
        let groups = DataFrame::new(2 * n, vec![stacked.into_column()])
            .and_then(|f| table::group_rows(&f))
            .map_err(polars)?;
        let dangling = links
            .iter()
            .enumerate()
            .position(|(i, c)| c != Some("") && groups.first[groups.of_row[n + i]] >= n);
        let looping = first(links.equal(&ids));
        let err = |i: usize, message: String| at(i, "continues", message);
        match (dangling, looping) {
            (Some(i), l) if l.is_none_or(|l| i <= l) => {
                let c = links.get(i).unwrap_or("");
                return Err(err(i, format!("the chain points to episode `{c}`, which is not in the file; fix the id or add the episode")));
            }
            (_, Some(i)) => {
                let c = links.get(i).unwrap_or("");
                return Err(err(i, format!("episode `{c}` continues itself")));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads the file's bytes into a frame, in the format its extension names.
fn read_frame(path: &Path, bytes: &[u8]) -> Result<DataFrame> {
    let err = |message: String| Error::data(path, None, None, message);
    let format = TableFormat::of(path);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(err(match format {
            TableFormat::Csv => {
                "the file is empty; it needs a header row and at least one data row".into()
            }
            _ => format!(
                "the file is empty; it needs a {} table with at least one row",
                format.name()
            ),
        }));
    }
    if format != TableFormat::Csv {
        return read_table(bytes, format).map_err(|e| {
            err(format!(
                "not a readable {} file ({e}); check the file, or name it `.csv` if it is CSV text",
                format.name()
            ))
        });
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(err(
            "the file is not UTF-8 text; save it as UTF-8 CSV".into()
        ));
    }
    let (header, records) = csv_records(path, bytes)?;
    let same_records = |frame: &DataFrame| {
        frame.height() == records
            && frame
                .get_column_names()
                .iter()
                .map(|c| c.as_str())
                .eq(header.iter().map(String::as_str))
    };
    match read_table(bytes, TableFormat::Csv) {
        Ok(frame) if same_records(&frame) => Ok(frame),
        _ => read_table(&rewrite_csv(bytes), TableFormat::Csv)
            .ok()
            .filter(same_records)
            .ok_or_else(|| {
                err("not a readable CSV file; check the delimiter (comma) and quoting".into())
            }),
    }
}

/// The header and number of records of a CSV file as the `csv` crate reads it; an error names
/// a record whose number of fields differs from the header's, and a repeated header name.
fn csv_records(path: &Path, bytes: &[u8]) -> Result<(Vec<String>, usize)> {
    let err = |row: Option<usize>, column: Option<&str>, message: String| {
        Error::data(path, row, column, message)
    };
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
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(str::to_string)
        .collect();
    for (k, name) in header.iter().enumerate() {
        if let Some(first) = header[..k].iter().position(|m| m == name) {
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
    let mut record = csv::ByteRecord::new();
    let mut records = 0;
    while reader.read_byte_record(&mut record).map_err(csv_error)? {
        records += 1;
    }
    Ok((header, records))
}

/// The records of a CSV file (already checked by [`csv_records`]) written back by the `csv`
/// crate: `\n` line ends, no blank lines, quotes only where needed.
fn rewrite_csv(bytes: &[u8]) -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut writer = csv::Writer::from_writer(Vec::new());
    if let Ok(header) = reader.byte_headers() {
        let _ = writer.write_byte_record(header);
    }
    for record in reader.byte_records().flatten() {
        let _ = writer.write_byte_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

/// Applies `[data] keep`: the kept rows and their 0-based rows in the file.
fn keep_rows(
    path: &Path,
    frame: DataFrame,
    keep: &BTreeMap<String, KeepValues>,
) -> Result<(DataFrame, Vec<usize>)> {
    if keep.is_empty() {
        let rows = (0..frame.height()).collect();
        return Ok((frame, rows));
    }
    let polars_error = |e: PolarsError| {
        Error::data(
            path,
            None,
            None,
            format!("cannot apply `[data] keep` ({e})"),
        )
    };
    let mut mask = BooleanChunked::full("keep".into(), true, frame.height());
    for (column, values) in keep {
        let cells = frame.column(column).map_err(|_| Error::data(path, None, Some(column), format!(
            "`[data] keep` names column `{column}`, which the file does not have (it has: {}); fix the spec",
            frame.get_column_names().iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
        )))?;
        let values: Vec<CellValue> = values
            .0
            .iter()
            .map(|v| CellValue::Text(v.trim().to_string()))
            .collect();
        mask = &mask & &table::matching_rows(cells, &values).map_err(polars_error)?;
    }
    let rows = table::true_rows(&mask);
    if rows.is_empty() {
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
    Ok((frame.filter(&mask).map_err(polars_error)?, rows))
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
