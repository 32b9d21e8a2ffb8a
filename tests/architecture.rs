//! The architecture, checked: the crate's top-level modules form layers, and a module imports
//! only from the layers below it (problem → estimate → analyses → report → commands). The test
//! reads every `crate::…` path in the library's source (comments excluded) and fails on an
//! import from a higher layer, on an import between two modules of the same layer, and on an
//! unknown top-level module (give it a layer here first).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom layer up. A module may import from any module listed
/// before it.
const LAYERS: &[&str] = &[
    "error", "io", "model", "problem", "estimate", "analyses", "report", "bench",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`None` for `lib.rs` and the binary).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    (!["lib", "main", "commands"].contains(&name.as_str())).then_some(name)
}

/// The code of a file without comments (line comments, doc comments and block comments).
fn code_without_comments(text: &str) -> String {
    let mut out = String::new();
    let mut in_block = false;
    for line in text.lines() {
        let mut line = line.to_string();
        if in_block {
            match line.find("*/") {
                Some(end) => {
                    line = line[end + 2..].to_string();
                    in_block = false;
                }
                None => continue,
            }
        }
        if let Some(start) = line.find("/*") {
            in_block = !line[start..].contains("*/");
            line.truncate(start);
        }
        if let Some(start) = line.find("//") {
            line.truncate(start);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The top-level modules named by `crate::name` paths in `code`, including every name of a
/// grouped import `use crate::{a::x, b};`.
fn imported_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of a group: after `{` and after each `,` at brace depth 0.
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        found.insert(ident(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

#[test]
fn layers_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in &files {
        let Some(module) = top_module(&src, file) else {
            continue;
        };
        let Some(own) = rank(&module) else {
            violations.push(format!(
                "{}: top-level module `{module}` has no layer in tests/architecture.rs",
                file.display()
            ));
            continue;
        };
        let code = code_without_comments(&std::fs::read_to_string(file).unwrap());
        for imported in imported_modules(&code) {
            checked += 1;
            if imported == module {
                continue;
            }
            match rank(&imported) {
                None => violations.push(format!(
                    "{}: imports `crate::{imported}`, which has no layer",
                    file.display()
                )),
                Some(r) if r >= own => violations.push(format!(
                    "{}: `{module}` (layer {own}) imports `crate::{imported}` (layer {r}): an import from the same or a higher layer",
                    file.display()
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} imports found: is the parser broken?"
    );
    assert!(
        violations.is_empty(),
        "imports that point up or sideways:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_parser_sees_grouped_and_inline_imports() {
    let code = code_without_comments(
        "use crate::{model::{a, b}, problem::data::X};\n\
         // use crate::report::y;\n\
         let v = crate::analyses::predict::f();\n\
         /* crate::bench::z */\n",
    );
    let found: Vec<String> = imported_modules(&code).into_iter().collect();
    assert_eq!(found, ["analyses", "model", "problem"]);
}
