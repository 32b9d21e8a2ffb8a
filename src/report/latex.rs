//! What every `.tex` table shares: escaping, labels, numbers, the provenance comment at the top
//! and the notes under the table. Tables need only `\usepackage{booktabs}` in a plain
//! `article` (no amsmath, no threeparttable): each is a `table` float (or several, one per
//! panel, when one would not fit a page), ready for `\input`, with its notes inside the float
//! under the tabular and its provenance in `%` comments above it, never in the caption.
//!
//! Labels ([`crate::problem::labels`]): a text label is escaped (`\ { } $ & % # _ ^ ~` and the
//! Unicode symbols of [`escape`]); a label written as LaTeX (math as a whole, `$…$`, or the
//! `latex` form of a `[labels]` table) is used as written; a name without a label is set in
//! `\texttt`.

use crate::problem::labels::Label;
use crate::report::tables::num;

/// The packages a table needs, said in its first comment lines.
pub const NEEDS: &str =
    "% Needs \\usepackage{booktabs} (nothing else); \\input this file in the document body.";

/// Escapes LaTeX special characters and writes the non-ASCII symbols the toolkit uses in LaTeX
/// (Greek letters, minus, ≤, …), so that text compiles with pdflatex. Other non-ASCII
/// characters (accented letters of a label) pass through: pdflatex reads UTF-8.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            '$' => out.push_str("\\$"),
            '&' => out.push_str("\\&"),
            '%' => out.push_str("\\%"),
            '#' => out.push_str("\\#"),
            '_' => out.push_str("\\_"),
            '^' => out.push_str("\\^{}"),
            '~' => out.push_str("\\~{}"),
            'ρ' => out.push_str("$\\rho$"),
            'δ' => out.push_str("$\\delta$"),
            'μ' => out.push_str("$\\mu$"),
            'σ' => out.push_str("$\\sigma$"),
            'β' => out.push_str("$\\beta$"),
            'χ' => out.push_str("$\\chi$"),
            '²' => out.push_str("$^2$"),
            '₁' => out.push_str("$_1$"),
            '−' => out.push_str("$-$"),
            '±' => out.push_str("$\\pm$"),
            '∞' => out.push_str("$\\infty$"),
            '×' => out.push_str("$\\times$"),
            '≤' => out.push_str("$\\le$"),
            '≥' => out.push_str("$\\ge$"),
            '<' => out.push_str("$<$"),
            '>' => out.push_str("$>$"),
            '|' => out.push_str("$|$"),
            '—' => out.push_str("---"),
            '–' => out.push_str("--"),
            '…' => out.push_str("\\ldots{}"),
            '`' => {}
            c => out.push(c),
        }
    }
    out
}

/// A label in LaTeX: a name in `\texttt`, text escaped, LaTeX source as written.
pub fn label(label: &Label) -> String {
    match label {
        Label::Name(name) => format!("\\texttt{{{}}}", escape(name)),
        Label::Text(text) => escape(text),
        Label::Latex { latex, .. } => latex.clone(),
    }
}

/// A number as [`num`] writes it, in math mode: a true minus sign, `×10^k` for scientific
/// notation, `--` where there is none.
pub fn number(v: f64) -> String {
    if v == f64::INFINITY {
        return "$+\\infty$".into();
    }
    if v == f64::NEG_INFINITY {
        return "$-\\infty$".into();
    }
    if !v.is_finite() {
        return "--".into();
    }
    let text = num(v);
    match text.split_once('e') {
        Some((mantissa, exponent)) => format!(
            "${mantissa}\\times 10^{{{}}}$",
            exponent.trim_start_matches('+')
        ),
        None => format!("${text}$"),
    }
}

/// A table cell of text: numbers (`-28.195`, `143`) in math mode, anything else escaped.
pub fn cell(text: &str) -> String {
    if text.parse::<f64>().is_ok_and(f64::is_finite) {
        format!("${text}$")
    } else {
        escape(text)
    }
}

/// The comment block at the top of a table file: what it is, where it came from (one `%` line
/// each) and the packages it needs.
pub fn header(lines: &[String]) -> String {
    let mut s = String::new();
    for line in lines {
        for l in line.lines() {
            s.push_str(&format!("% {l}\n"));
        }
    }
    s.push_str(NEEDS);
    s.push('\n');
    s
}

/// The notes under a tabular, inside its float: small, ragged right, full width.
pub fn notes(notes: &[String]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    format!(
        "\\par\\smallskip{{\\footnotesize\\raggedright {}\\par}}\n",
        notes.join(" ")
    )
}

/// A label in Markdown: a name as code, text as written (`|` escaped for tables).
pub fn markdown_label(label: &Label) -> String {
    match label {
        Label::Name(name) => format!("`{name}`"),
        other => other.text().replace('|', "\\|"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_character_is_escaped_once() {
        assert_eq!(
            escape("a\\b {c} $5 & 10% #1 x_1 ^ ~"),
            "a\\textbackslash{}b \\{c\\} \\$5 \\& 10\\% \\#1 x\\_1 \\^{} \\~{}"
        );
        assert_eq!(escape("ρ ≥ 0 — Zürich"), "$\\rho$ $\\ge$ 0 --- Zürich");
    }

    #[test]
    fn labels_by_kind() {
        assert_eq!(
            label(&Label::Name("home:x_1".into())),
            "\\texttt{home:x\\_1}"
        );
        assert_eq!(label(&Label::Text("A & B".into())), "A \\& B");
        let math = Label::Latex {
            latex: "$\\beta_1$".into(),
            text: "β₁".into(),
        };
        assert_eq!(label(&math), "$\\beta_1$");
        assert_eq!(markdown_label(&math), "β₁");
        assert_eq!(markdown_label(&Label::Name("rho".into())), "`rho`");
        assert_eq!(markdown_label(&Label::Text("a | b".into())), "a \\| b");
    }

    #[test]
    fn numbers_in_math_mode() {
        assert_eq!(number(-0.74031), "$-0.7403$");
        assert_eq!(number(2.284e-19), "$2.284\\times 10^{-19}$");
        assert_eq!(number(f64::NAN), "--");
    }
}
