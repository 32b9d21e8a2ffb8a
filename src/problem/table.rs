//! Column and row operations on polars frames, shared by the data checks, the designs of the
//! likelihood, counterfactual scenarios, the bootstrap and predictions: a column as text, as
//! numbers or as 0/1 flags; rows whose cells match values (`[data] keep`, a scenario's `where`);
//! rows grouped by equal values (designs, clusters, counterfactual groups).
//!
//! Cells of CSV files are read as text, so these functions parse them: after trimming spaces,
//! numbers as Rust and polars both read them (`1`, `-0.5`, `1e3`, `NaN`, `inf`), flags as
//! `1 | 1.0 | true | TRUE | True` and `0 | 0.0 | false | FALSE | False`. Columns of Parquet and
//! Arrow IPC files keep their types; a missing cell is null.

use polars::chunked_array::cast::CastOptions;
use polars::prelude::*;
use std::borrow::Cow;

/// A column's cells as text, `""` where a cell is missing: CSV cells as written, other types
/// as polars formats them (`1`, `0.5`, `true`).
pub fn text(column: &Column) -> PolarsResult<StringChunked> {
    let cast = column.cast(&DataType::String)?;
    Ok(cast.str()?.apply(|v| Some(Cow::Borrowed(v.unwrap_or("")))))
}

/// [`text`], trimmed of surrounding spaces.
pub fn trimmed(column: &Column) -> PolarsResult<StringChunked> {
    let cast = column.cast(&DataType::String)?;
    Ok(cast
        .str()?
        .apply(|v| Some(Cow::Borrowed(v.unwrap_or("").trim()))))
}

/// A column's cells as text, one `String` per row.
pub fn strings(column: &Column) -> PolarsResult<Vec<String>> {
    let cells = text(column)?;
    Ok(cells.iter().map(|v| v.unwrap_or("").to_string()).collect())
}

/// A column's cells as numbers: null where a cell is missing or is not a number (text is
/// parsed after trimming; booleans are 1 and 0).
pub fn floats(column: &Column) -> PolarsResult<Float64Chunked> {
    let source = if column.dtype() == &DataType::String {
        trimmed(column)?.into_column()
    } else {
        column.clone()
    };
    let parsed = source.cast_with_options(&DataType::Float64, CastOptions::NonStrict)?;
    Ok(parsed.f64()?.clone())
}

/// Why a cell is not a finite number.
#[derive(Debug, Clone, PartialEq)]
pub enum BadNumber {
    /// The cell is empty or null.
    Missing,
    /// The cell (shown trimmed) does not parse as a number.
    NotANumber(String),
    /// The cell (shown trimmed) is NaN or infinite.
    NotFinite(String),
}

/// A column's cells as finite numbers, or the first bad cell: `Err((row, why))` with a 0-based
/// row.
pub fn finite_numbers(column: &Column) -> PolarsResult<Result<Vec<f64>, (usize, BadNumber)>> {
    let values = floats(column)?;
    let Some(i) = values.iter().position(|v| !v.is_some_and(f64::is_finite)) else {
        return Ok(Ok(values.into_no_null_iter().collect()));
    };
    let cell = trimmed(&column.slice(i as i64, 1))?
        .get(0)
        .unwrap_or("")
        .to_string();
    let why = match values.get(i) {
        Some(_) => BadNumber::NotFinite(cell),
        None if cell.is_empty() => BadNumber::Missing,
        None => BadNumber::NotANumber(cell),
    };
    Ok(Err((i, why)))
}

/// A cell's text as a 0/1 flag (trimmed): `1 | 1.0 | true | TRUE | True` or
/// `0 | 0.0 | false | FALSE | False`.
pub fn flag_value(cell: &str) -> Option<bool> {
    match cell.trim() {
        "1" | "1.0" | "true" | "TRUE" | "True" => Some(true),
        "0" | "0.0" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A column's cells as 0/1 flags, or the first cell that is not one: `Err((row, trimmed
/// text))` with a 0-based row.
pub fn flags(column: &Column) -> PolarsResult<Result<Vec<bool>, (usize, String)>> {
    let cells = trimmed(column)?;
    let mut out = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        let cell = cell.unwrap_or("");
        match flag_value(cell) {
            Some(b) => out.push(b),
            None => return Ok(Err((i, cell.to_string()))),
        }
    }
    Ok(Ok(out))
}

/// A value that a row filter compares cells with (`[data] keep`, a scenario's `where`).
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// Text: the cell equals it (after trimming).
    Text(String),
    /// A number: the cell parses to the same number.
    Number(f64),
    /// true/false: the cell is 1/0 (or true/false).
    Flag(bool),
}

impl CellValue {
    /// As written in a spec or scenario file.
    pub fn display(&self) -> String {
        match self {
            CellValue::Text(t) => format!("\"{t}\""),
            CellValue::Number(x) => format!("{x}"),
            CellValue::Flag(b) => format!("{b}"),
        }
    }
}

/// The rows whose cell in `column` matches any of `values`.
pub fn matching_rows(column: &Column, values: &[CellValue]) -> PolarsResult<BooleanChunked> {
    let cells = trimmed(column)?;
    let mut mask = BooleanChunked::full(column.name().clone(), false, column.len());
    for value in values {
        let matches = match value {
            CellValue::Text(t) => cells.equal(t.as_str()),
            CellValue::Number(x) => floats(column)?.equal(*x),
            CellValue::Flag(b) => cells
                .iter()
                .map(|c| flag_value(c.unwrap_or("")) == Some(*b))
                .collect(),
        };
        mask = &mask | &matches.fill_null_with_values(false)?;
    }
    Ok(mask)
}

/// The 0-based rows where `mask` is true.
pub fn true_rows(mask: &BooleanChunked) -> Vec<usize> {
    mask.iter()
        .enumerate()
        .filter_map(|(i, m)| (m == Some(true)).then_some(i))
        .collect()
}

/// Rows grouped by equal values in every column of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    /// The first row of each group; groups are in the order of their first row.
    pub first: Vec<usize>,
    /// The group of each row.
    pub of_row: Vec<usize>,
}

impl Groups {
    /// Number of groups.
    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// Whether there are no groups (no rows).
    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// The rows of each group, in row order.
    pub fn rows(&self) -> Vec<Vec<usize>> {
        let mut rows = vec![Vec::new(); self.len()];
        for (i, &g) in self.of_row.iter().enumerate() {
            rows[g].push(i);
        }
        rows
    }
}

/// Groups the rows of `keys` by equal values in all its columns (a polars group-by), groups in
/// order of first appearance. Floats are equal when polars' group-by finds them equal (`-0.0`
/// and `0.0` included).
pub fn group_rows(keys: &DataFrame) -> PolarsResult<Groups> {
    let mut of_row = vec![0; keys.height()];
    let mut first = Vec::new();
    if keys.height() == 0 {
        return Ok(Groups { first, of_row });
    }
    let names: Vec<PlSmallStr> = keys.get_column_names_owned();
    let grouped = keys.group_by_stable(names)?;
    for (g, group) in grouped.get_groups().iter().enumerate() {
        first.push(group.first() as usize);
        match group {
            GroupsIndicator::Idx((_, rows)) => {
                for &i in rows.iter() {
                    of_row[i as usize] = g;
                }
            }
            GroupsIndicator::Slice([start, len]) => {
                for i in start..start + len {
                    of_row[i as usize] = g;
                }
            }
        }
    }
    Ok(Groups { first, of_row })
}
