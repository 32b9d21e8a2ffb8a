//! Checkpoint logs: an append-only file of finished work, so that a long run killed part-way
//! continues, with `--resume`, to exactly the result of an uninterrupted one.
//!
//! ```text
//! <header: what the file belongs to (spec, data, settings…)>
//! <one line per finished piece of work, keyed by its index, every float as the 16 hex digits
//!  of its bits (f64::to_bits), so that it reads back to the same value>
//! ```
//!
//! * Opening a log rewrites the file with the header and the lines already finished (read from
//!   it when resuming); every newly finished piece is then appended as one flushed line.
//! * Resuming from a file whose header differs is an error (it belongs to other work); lines
//!   that do not parse (a torn last line of a killed run) are skipped.
//! * What a line holds is the [`LineFormat`] of the work: the multi-start fit's finished starts
//!   ([`super::starts`]) and the bootstrap's finished replicates
//!   ([`crate::analyses::bootstrap`]).

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// How one finished piece of work is written as a line and read back.
pub trait LineFormat {
    /// What is kept of a finished piece of work.
    type Record: Clone;

    /// The line of `record` (the work with index `key`), without its newline.
    fn write(&self, key: usize, record: &Self::Record) -> String;

    /// Reads a line written by [`LineFormat::write`]; `None` for a line that does not parse.
    fn read(&self, line: &str) -> Option<(usize, Self::Record)>;
}

/// An open checkpoint log (or none): the work finished before, and the file that the work
/// finished now is appended to. Appending is safe from several threads.
pub struct CheckpointLog<F: LineFormat> {
    format: F,
    file: Option<Mutex<std::fs::File>>,
    done: BTreeMap<usize, F::Record>,
}

impl<F: LineFormat> CheckpointLog<F> {
    /// Opens the log at `checkpoint = (file, resume)`; without a checkpoint, a log that keeps
    /// nothing. With `resume`, the finished work is read from the file, which must start with
    /// `header()`; otherwise the error says that the file belongs to `owner` (e.g. "another
    /// fit (other spec, data or starts)").
    pub fn open(
        format: F,
        checkpoint: Option<(&Path, bool)>,
        header: impl FnOnce() -> String,
        owner: &str,
    ) -> Result<CheckpointLog<F>> {
        let Some((path, resume)) = checkpoint else {
            return Ok(CheckpointLog {
                format,
                file: None,
                done: BTreeMap::new(),
            });
        };
        let header = header();
        let done = if resume {
            read(&format, path, &header, owner)?
        } else {
            BTreeMap::new()
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
        }
        let mut text = format!("{header}\n");
        for (&key, record) in &done {
            text.push_str(&format.write(key, record));
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|e| Error::io("write", path, e))?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        Ok(CheckpointLog {
            format,
            file: Some(Mutex::new(file)),
            done,
        })
    }

    /// The record of work `key` if it was finished before.
    pub fn finished(&self, key: usize) -> Option<&F::Record> {
        self.done.get(&key)
    }

    /// Appends finished work `key` (one line, flushed). A failed append only costs the work's
    /// reuse on resume, so it is not an error.
    pub fn append(&self, key: usize, record: &F::Record) {
        if let Some(file) = &self.file {
            let mut line = self.format.write(key, record);
            line.push('\n');
            let mut file = file.lock().expect("checkpoint lock");
            let _ = file.write_all(line.as_bytes()).and_then(|_| file.flush());
        }
    }
}

/// The finished work in the file at `path` (none if there is no file).
fn read<F: LineFormat>(
    format: &F,
    path: &Path,
    header: &str,
    owner: &str,
) -> Result<BTreeMap<usize, F::Record>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return Err(Error::Results(format!(
            "{} belongs to {owner}; remove it, or drop --resume to start afresh",
            path.display()
        )));
    }
    Ok(lines.filter_map(|l| format.read(l)).collect())
}

/// The exact bits of `v` as 16 hex digits.
pub fn hex_bits(v: f64) -> String {
    format!("{:016x}", v.to_bits())
}

/// The exact bits of every value, comma-separated.
pub fn hex_bits_list(values: &[f64]) -> String {
    values
        .iter()
        .map(|&v| hex_bits(v))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads [`hex_bits`] back.
pub fn parse_hex_bits(text: &str) -> Option<f64> {
    u64::from_str_radix(text, 16).ok().map(f64::from_bits)
}

/// Reads [`hex_bits_list`] back (the empty text is the empty list).
pub fn parse_hex_bits_list(text: &str) -> Option<Vec<f64>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(parse_hex_bits).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines `key value`.
    struct Pairs;

    impl LineFormat for Pairs {
        type Record = f64;
        fn write(&self, key: usize, record: &f64) -> String {
            format!("{key} {}", hex_bits(*record))
        }
        fn read(&self, line: &str) -> Option<(usize, f64)> {
            let (k, v) = line.split_once(' ')?;
            Some((k.parse().ok()?, parse_hex_bits(v)?))
        }
    }

    #[test]
    fn resumes_with_exact_bits_and_refuses_other_work() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("log");
        let header = || "test log v1".to_string();
        let log = CheckpointLog::open(Pairs, Some((&path, false)), header, "other work").unwrap();
        log.append(3, &0.1);
        log.append(1, &-f64::MIN_POSITIVE);
        drop(log);
        // A line that does not parse (here: a last line torn before its value) is skipped.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push('7');
        std::fs::write(&path, text).unwrap();
        let log = CheckpointLog::open(Pairs, Some((&path, true)), header, "other work").unwrap();
        assert_eq!(log.finished(3).map(|v| v.to_bits()), Some(0.1f64.to_bits()));
        assert_eq!(log.finished(1).copied(), Some(-f64::MIN_POSITIVE));
        assert_eq!(log.finished(7), None);
        drop(log);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!(
                "test log v1\n1 {}\n3 {}\n",
                hex_bits(-f64::MIN_POSITIVE),
                hex_bits(0.1)
            )
        );
        let other = CheckpointLog::open(Pairs, Some((&path, true)), || "v2".into(), "other work");
        let message = other.err().unwrap().to_string();
        assert!(message.contains("belongs to other work"), "{message}");
        assert_eq!(parse_hex_bits_list(""), Some(vec![]));
        assert_eq!(
            parse_hex_bits_list(&hex_bits_list(&[1.5, -0.0])),
            Some(vec![1.5, -0.0])
        );
    }
}
