//! Typed errors. Every message says what was wrong, where (file, row, column, key or
//! parameter) and what to do about it.

use std::path::PathBuf;

/// Everything that can go wrong between a user's files and a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {source}\n  hint: {hint}")]
    Io {
        /// `read`, `write`, `create`…
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
        /// What to do.
        hint: String,
    },
    /// The spec file is not valid TOML or breaks the schema.
    #[error("spec `{path}`: {message}")]
    Spec {
        /// The spec file.
        path: PathBuf,
        /// What and where (key), and what to do.
        message: String,
    },
    /// A data file breaks the rules.
    #[error("data `{path}`{}{}: {message}", row.map(|r| format!(", row {r}")).unwrap_or_default(), column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    Data {
        /// The data file.
        path: PathBuf,
        /// The 1-based data row (the header is row 0), when one row is at fault.
        row: Option<usize>,
        /// The column, when one column is at fault.
        column: Option<String>,
        /// What and what to do.
        message: String,
    },
    /// A parameter file (`--params`) is not usable.
    #[error("parameters `{path}`: {message}")]
    Params {
        /// The parameter file.
        path: PathBuf,
        /// What and what to do.
        message: String,
    },
    /// A scenario file is not usable.
    #[error("scenarios `{path}`: {message}")]
    Scenario {
        /// The scenario file.
        path: PathBuf,
        /// What and what to do.
        message: String,
    },
    /// Estimation could not proceed.
    #[error("estimation: {0}")]
    Estimation(String),
    /// Saved results are missing or inconsistent.
    #[error("results: {0}")]
    Results(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error with a hint.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path; paths in a spec are relative to the spec file".to_string()
            }
            std::io::ErrorKind::PermissionDenied => "check the file's permissions".to_string(),
            std::io::ErrorKind::InvalidData => {
                "the file is not UTF-8 text; save it as UTF-8".to_string()
            }
            std::io::ErrorKind::IsADirectory => "this is a folder; give a file".to_string(),
            _ => "check that the path exists and is accessible".to_string(),
        };
        Error::Io {
            action,
            path: path.into(),
            source,
            hint,
        }
    }

    /// A data error at a row and column.
    pub fn data(
        path: impl Into<PathBuf>,
        row: Option<usize>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Data {
            path: path.into(),
            row,
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}
