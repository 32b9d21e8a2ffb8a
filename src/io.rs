//! Files: output written atomically (a temporary file in the same folder, then a rename), so a
//! crash never leaves a half-written report; tables (data, predictions, bootstrap draws) read
//! and written with polars as CSV, Parquet or Arrow IPC by file extension.

use crate::error::{Error, Result};
use polars::prelude::*;
use std::io::{Cursor, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating the parent folder if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("write", path, e));
    }
    Ok(())
}

/// Writes a string atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, text.as_bytes())
}

/// Serializes a value as pretty JSON and writes it atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).expect("report values serialize");
    write_text(path, &(text + "\n"))
}

/// The formats of data tables, by file extension: `.parquet` is Parquet; `.arrow`, `.ipc` and
/// `.feather` are Arrow IPC; anything else is CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated text with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC (Feather v2).
    Ipc,
}

impl TableFormat {
    /// The format a path's extension names.
    pub fn of(path: &Path) -> TableFormat {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("parquet") => TableFormat::Parquet,
            Some("arrow" | "ipc" | "feather") => TableFormat::Ipc,
            _ => TableFormat::Csv,
        }
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TableFormat::Csv => "CSV",
            TableFormat::Parquet => "Parquet",
            TableFormat::Ipc => "Arrow IPC",
        }
    }
}

/// How floats are written to CSV (Parquet and Arrow IPC store them exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatStyle {
    /// Rust's `{}`: the shortest decimal that reads back to the same bits, never in exponent
    /// notation.
    Shortest,
    /// Rust's `{:.n}`: `n` decimals.
    Fixed(usize),
}

/// Runs a polars call, turning an error or a panic (polars can panic on malformed input) into
/// a message.
pub fn guarded<T>(f: impl FnOnce() -> PolarsResult<T>) -> std::result::Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(payload) => Err(format!(
            "the reader failed: {}",
            payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("unknown reason")
        )),
    }
}

/// Reads a table from bytes with polars. CSV cells are read as text (no type inference), with
/// a header row; an empty cell is missing (null).
pub fn read_table(bytes: &[u8], format: TableFormat) -> std::result::Result<DataFrame, String> {
    guarded(|| match format {
        TableFormat::Csv => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish(),
        TableFormat::Parquet => ParquetReader::new(Cursor::new(bytes)).finish(),
        TableFormat::Ipc => IpcReader::new(Cursor::new(bytes)).finish(),
    })
}

/// A table's bytes in `format` (CSV: a header row, missing cells empty, floats as `floats`
/// says; Parquet: zstd-compressed). Arrow IPC is read, not written (its writer would add to the
/// build time for little use): asking for it is an error.
pub fn table_bytes(
    frame: &mut DataFrame,
    format: TableFormat,
    floats: FloatStyle,
) -> std::result::Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    guarded(|| match format {
        TableFormat::Csv => {
            let precision = match floats {
                FloatStyle::Shortest => None,
                FloatStyle::Fixed(n) => Some(n),
            };
            CsvWriter::new(&mut bytes)
                .include_header(true)
                .with_float_scientific(Some(false))
                .with_float_precision(precision)
                .finish(frame)
        }
        TableFormat::Parquet => ParquetWriter::new(&mut bytes)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(frame)
            .map(|_| ()),
        TableFormat::Ipc => Err(PolarsError::InvalidOperation(
            "Arrow IPC files are read, not written; name the output .parquet or .csv".into(),
        )),
    })?;
    Ok(bytes)
}

/// Writes a table atomically, in the format its path's extension names ([`TableFormat::of`]):
/// Parquet or CSV (Arrow IPC is an error).
pub fn write_table(path: &Path, frame: &mut DataFrame, floats: FloatStyle) -> Result<()> {
    let format = TableFormat::of(path);
    if format == TableFormat::Ipc {
        return Err(Error::Io {
            action: "write",
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "Arrow IPC files are read, not written",
            ),
            hint: "name the output .parquet (Parquet) or .csv (CSV)".into(),
        });
    }
    let bytes = table_bytes(frame, format, floats)
        .map_err(|m| Error::io("write", path, std::io::Error::other(m)))?;
    write_atomic(path, &bytes)
}
