//! Model comparison tables (like R's modelsummary or Stata's esttab): the columns of a
//! [`Comparison`] (several fitted specs side by side, with the reduced-form multinomial logit as
//! a benchmark and the Vuong test of each structural model against it; built in
//! [`crate::analyses::comparison`]) rendered as Markdown, LaTeX (booktabs, ready for `\input`)
//! and CSV (tidy: one row per model and term). Markdown and LaTeX show terms by their labels,
//! CSV by their exact names.

use crate::analyses::comparison::{Column, ColumnKind, Comparison};
use crate::analyses::vuong::Vuong;
use crate::problem::labels::Label;
use crate::report::latex;
use crate::report::tables::{num, stars};

/// At most this many model columns go into one LaTeX table; a comparison with more is split
/// into tables of the structural models and of the reduced forms (each in blocks of this
/// many), numbered as one.
pub const MAX_LATEX_COLUMNS: usize = 5;

/// One Vuong statistic and its p-value (raw or BIC-corrected).
type VuongPart = fn(&Vuong) -> (f64, f64);

impl Comparison {
    /// Every term, in order of first appearance.
    pub fn terms(&self) -> Vec<String> {
        self.terms_of(&(0..self.columns.len()).collect::<Vec<_>>())
            .into_iter()
            .map(|(term, _)| term.to_string())
            .collect()
    }

    /// The terms of some columns with their labels, in order of first appearance.
    fn terms_of(&self, columns: &[usize]) -> Vec<(&str, &Label)> {
        let mut terms: Vec<(&str, &Label)> = Vec::new();
        for &i in columns {
            for cell in &self.columns[i].cells {
                if !terms.iter().any(|(t, _)| *t == cell.term) {
                    terms.push((&cell.term, &cell.label));
                }
            }
        }
        terms
    }

    /// What the table shows: "The two-level ratification model and its reduced-form benchmark"
    /// (or the plural), with the data's description when every column has the same one.
    pub fn title(&self) -> String {
        let structural = self
            .columns
            .iter()
            .filter(|c| c.kind == ColumnKind::Structural)
            .count();
        let what = if structural > 1 {
            "Two-level ratification models and their reduced-form benchmarks"
        } else {
            "The two-level ratification model and its reduced-form benchmark"
        };
        let first = self.columns.first().and_then(|c| c.description.as_ref());
        match first {
            Some(d)
                if self
                    .columns
                    .iter()
                    .all(|c| c.description.as_ref() == Some(d)) =>
            {
                format!("{what}, {d}")
            }
            _ => what.to_string(),
        }
    }

    /// `(label, cells per column)` of the statistics block of `columns`; the Vuong tests as
    /// `z (p)` in one row each, or (`split`) `z` and `p` in two rows.
    fn statistics(&self, columns: &[usize], split: bool) -> Vec<(String, Vec<String>)> {
        let cols: Vec<&Column> = columns.iter().map(|&i| &self.columns[i]).collect();
        let row = |f: &dyn Fn(&Column) -> String| cols.iter().map(|c| f(c)).collect::<Vec<_>>();
        let mut rows = vec![
            ("Observations".to_string(), row(&|c| c.n_obs.to_string())),
            (
                "Log-likelihood".into(),
                row(&|c| format!("{:.3}", c.loglik)),
            ),
            ("AIC".into(), row(&|c| format!("{:.2}", c.aic))),
            ("BIC".into(), row(&|c| format!("{:.2}", c.bic))),
            ("Free parameters".into(), row(&|c| c.n_free.to_string())),
            ("Converged".into(), row(&|c| c.status.answer().into())),
        ];
        if cols.iter().any(|c| c.vuong.is_some()) {
            let tests: [(&str, VuongPart); 2] = [
                ("Vuong z vs reduced form", |v| (v.statistic, v.p_value)),
                ("Vuong z, BIC-corrected", |v| {
                    (v.corrected_statistic, v.corrected_p_value)
                }),
            ];
            // Models that fit every episode alike have no z (0/0).
            let indistinguishable =
                |c: &Column| c.vuong.as_ref().is_some_and(|v| !v.distinguishable);
            for (name, get) in tests {
                let of = |c: &Column| c.vuong.as_ref().map(get);
                if split {
                    rows.push((
                        name.to_string(),
                        row(&|c| {
                            if indistinguishable(c) {
                                return "indist.".into();
                            }
                            of(c).map(|v| format!("{:.3}", v.0)).unwrap_or_default()
                        }),
                    ));
                    rows.push((
                        "p-value".into(),
                        row(&|c| {
                            if indistinguishable(c) {
                                return String::new();
                            }
                            of(c).map(|v| format!("{:.3}", v.1)).unwrap_or_default()
                        }),
                    ));
                } else {
                    rows.push((
                        format!("{name} (p)"),
                        row(&|c| {
                            if indistinguishable(c) {
                                return "indist.".into();
                            }
                            of(c)
                                .map(|v| format!("{:.3} ({:.3})", v.0, v.1))
                                .unwrap_or_default()
                        }),
                    ));
                }
            }
        }
        rows
    }

    fn notes(&self, stars: bool) -> Vec<String> {
        let mut notes = Vec::new();
        let mut kinds: Vec<String> = Vec::new();
        for c in &self.columns {
            let k = format!("{}: {}", c.label, c.se_label);
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        notes.push(format!(
            "Standard errors in parentheses ({}).",
            kinds.join("; ")
        ));
        if self
            .columns
            .iter()
            .any(|c| c.kind == ColumnKind::ReducedForm)
        {
            notes.push("Reduced form: multinomial logit of the outcome on the `[home] location` covariates (base: ratified; renegotiated available only where the protocol allows it; outcomes that never occur drop out).".into());
        }
        if self.columns.iter().any(|c| c.vuong.is_some()) {
            notes.push("Vuong test of each structural model against the reduced form fitted to the same data: z > 1.96 favours the structural model, z < −1.96 the reduced form (two-sided p in parentheses).".into());
            let counts: Vec<String> = self
                .columns
                .iter()
                .filter_map(|c| {
                    c.vuong
                        .as_ref()
                        .map(|v| format!("{}: k1 = {}, k2 = {}", c.label, v.k1, v.k2))
                })
                .collect();
            notes.push(format!(
                "BIC correction: (k1 − k2) ln(n)/2 off the log-likelihood ratio, with k2 the identified reduced-form coefficients: {}.",
                counts.join("; ")
            ));
            if self
                .columns
                .iter()
                .any(|c| c.vuong.as_ref().is_some_and(|v| !v.distinguishable))
            {
                notes.push(format!("indist.: the two models fit every episode alike (pointwise log-likelihood differences with SD ≤ {:.0e}); no Vuong z.", crate::analyses::vuong::INDISTINGUISHABLE));
            }
        }
        if stars {
            notes.push("Significance: * 10%, ** 5%, *** 1% (two-sided z test against 0).".into());
        }
        notes
    }

    fn cell(&self, c: &Column, term: &str, stars_on: bool) -> (String, String) {
        match c.cells.iter().find(|x| x.term == term) {
            None => (String::new(), String::new()),
            Some(x) if x.fixed => (num(x.estimate), "(fixed)".into()),
            Some(x) => (
                format!(
                    "{}{}",
                    num(x.estimate),
                    if stars_on {
                        stars(x.estimate, x.std_error)
                    } else {
                        ""
                    }
                ),
                x.std_error
                    .map(|s| format!("({})", num(s)))
                    .unwrap_or_else(|| "(—)".into()),
            ),
        }
    }

    /// A cell in LaTeX: the estimate (with stars) in math mode and its SE in parentheses.
    fn latex_cell(&self, c: &Column, term: &str, stars_on: bool) -> (String, String) {
        match c.cells.iter().find(|x| x.term == term) {
            None => (String::new(), String::new()),
            Some(x) if x.fixed => (latex::number(x.estimate), "(fixed)".into()),
            Some(x) => {
                let marks = if stars_on {
                    stars(x.estimate, x.std_error)
                } else {
                    ""
                };
                let estimate = if marks.is_empty() {
                    latex::number(x.estimate)
                } else {
                    format!("{}$^{{{marks}}}$", latex::number(x.estimate))
                };
                let se = x
                    .std_error
                    .map(|s| format!("({})", latex::number(s)))
                    .unwrap_or_else(|| "(--)".into());
                (estimate, se)
            }
        }
    }

    /// The column blocks of the LaTeX tables: all columns in one table when there are at most
    /// [`MAX_LATEX_COLUMNS`], else the structural and the reduced-form columns apart, in blocks
    /// of at most that many.
    fn latex_blocks(&self) -> Vec<Vec<usize>> {
        let all: Vec<usize> = (0..self.columns.len()).collect();
        if all.len() <= MAX_LATEX_COLUMNS {
            return vec![all];
        }
        let mut blocks = Vec::new();
        for kind in [ColumnKind::Structural, ColumnKind::ReducedForm] {
            let of_kind: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&i| self.columns[i].kind == kind)
                .collect();
            blocks.extend(of_kind.chunks(MAX_LATEX_COLUMNS).map(<[usize]>::to_vec));
        }
        blocks
    }
}

/// The comparison in Markdown: terms by their labels.
pub fn markdown(c: &Comparison, stars: bool) -> String {
    let mut s = format!("# {}\n\n|  |", c.title());
    for (i, col) in c.columns.iter().enumerate() {
        s.push_str(&format!(" ({}) {} |", i + 1, col.label));
    }
    s.push_str("\n|---|");
    s.push_str(&"---:|".repeat(c.columns.len()));
    s.push('\n');
    let all: Vec<usize> = (0..c.columns.len()).collect();
    for (term, label) in c.terms_of(&all) {
        let cells: Vec<(String, String)> = c
            .columns
            .iter()
            .map(|col| c.cell(col, term, stars))
            .collect();
        s.push_str(&format!("| {} |", latex::markdown_label(label)));
        for (e, _) in &cells {
            s.push_str(&format!(" {e} |"));
        }
        s.push_str("\n|  |");
        for (_, se) in &cells {
            s.push_str(&format!(" {se} |"));
        }
        s.push('\n');
    }
    for (label, values) in c.statistics(&all, false) {
        s.push_str(&format!("| {label} |"));
        for v in values {
            s.push_str(&format!(" {v} |"));
        }
        s.push('\n');
    }
    s.push('\n');
    for n in c.notes(stars) {
        s.push_str(&format!("{n}\n"));
    }
    let sources = provenance_lines(c, false);
    if !sources.is_empty() {
        s.push_str(&format!("\n<sub>{}</sub>\n", sources.join("; ")));
    }
    s
}

/// Where each structural column came from: `(k) label: toolkit, spec (sha256), data (sha256)`
/// (hashes in full, or their first 12 digits).
fn provenance_lines(c: &Comparison, full: bool) -> Vec<String> {
    let hash = |h: &str| super::shown_hash(h, full);
    c.columns
        .iter()
        .enumerate()
        .filter_map(|(i, col)| {
            col.provenance.as_ref().map(|p| {
                format!(
                    "({}) {}: {}, spec {} (sha256 {}), data {} (sha256 {})",
                    i + 1,
                    col.label,
                    p.toolkit,
                    p.spec_path,
                    hash(&p.spec_sha256),
                    p.data_path,
                    hash(&p.data_sha256)
                )
            })
        })
        .collect()
}

/// The comparison in LaTeX (booktabs), ready for `\input`: columns numbered `(1)`, `(2)`, …
/// under a header that groups the structural models and the reduced forms, the models named
/// in the notes, terms by their labels. More than [`MAX_LATEX_COLUMNS`] columns are split into
/// several floats (see `Comparison::latex_blocks`).
pub fn latex(c: &Comparison, stars: bool) -> String {
    let mut top = vec![format!("{}.", c.title())];
    top.extend(
        provenance_lines(c, true)
            .into_iter()
            .map(|l| format!("Column {l}.")),
    );
    let mut s = latex::header(&top);
    let blocks = c.latex_blocks();
    let names: Vec<String> = c
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| format!("({}) {}", i + 1, col.label))
        .collect();
    let mut notes = vec![latex::escape(&format!("Columns: {}.", names.join("; ")))];
    notes.extend(
        c.notes(stars)
            .iter()
            .map(|n| latex::escape(n).replace('*', "$^{*}$")),
    );
    for (b, block) in blocks.iter().enumerate() {
        let caption = if blocks.len() == 1 {
            format!("{}.", c.title())
        } else {
            format!("{} (part {} of {}).", c.title(), b + 1, blocks.len())
        };
        s.push_str(&format!(
            "\\begin{{table}}[htbp]\n\\centering\n\\caption{{{}}}\n",
            latex::escape(&caption)
        ));
        s.push_str(&format!(
            "\\begin{{tabular}}{{l{}}}\n\\toprule\n",
            "r".repeat(block.len())
        ));
        // The kind of each run of columns, over a rule.
        let mut runs: Vec<(ColumnKind, usize, usize)> = Vec::new();
        for (k, &i) in block.iter().enumerate() {
            let kind = c.columns[i].kind;
            match runs.last_mut() {
                Some((last, _, end)) if *last == kind => *end = k,
                _ => runs.push((kind, k, k)),
            }
        }
        let mut group = String::new();
        let mut rules = String::new();
        for (kind, from, to) in &runs {
            let name = match kind {
                ColumnKind::Structural if to > from => "Two-level models",
                ColumnKind::Structural => "Two-level model",
                ColumnKind::ReducedForm if to > from => "Multinomial logits",
                ColumnKind::ReducedForm => "Multinomial logit",
            };
            group.push_str(&format!(
                " & \\multicolumn{{{}}}{{c}}{{{name}}}",
                to - from + 1
            ));
            rules.push_str(&format!("\\cmidrule(lr){{{}-{}}}", from + 2, to + 2));
        }
        s.push_str(&format!("{group} \\\\\n{rules}\n"));
        let heads: Vec<String> = block.iter().map(|i| format!("({})", i + 1)).collect();
        s.push_str(&format!(" & {} \\\\\n\\midrule\n", heads.join(" & ")));
        for (term, label) in c.terms_of(block) {
            let cells: Vec<(String, String)> = block
                .iter()
                .map(|&i| c.latex_cell(&c.columns[i], term, stars))
                .collect();
            let est: Vec<&str> = cells.iter().map(|(e, _)| e.as_str()).collect();
            let ses: Vec<&str> = cells.iter().map(|(_, se)| se.as_str()).collect();
            s.push_str(&format!(
                "{} & {} \\\\\n",
                latex::label(label),
                est.join(" & ")
            ));
            s.push_str(&format!(" & {} \\\\\n", ses.join(" & ")));
        }
        s.push_str("\\midrule\n");
        for (label, values) in c.statistics(block, true) {
            let label = if label == "p-value" {
                "\\quad $p$-value".to_string()
            } else {
                latex::escape(&label).replace("Vuong z", "Vuong $z$")
            };
            let values: Vec<String> = values
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        String::new()
                    } else {
                        latex::cell(v)
                    }
                })
                .collect();
            s.push_str(&format!("{label} & {} \\\\\n", values.join(" & ")));
        }
        s.push_str("\\bottomrule\n\\end{tabular}\n");
        s.push_str(&latex::notes(&notes));
        s.push_str("\\end{table}\n");
    }
    s
}

/// The comparison as tidy CSV: `model, kind, term, estimate, std_error, fixed`, then the
/// statistics as terms (`n_obs`, `loglik`, `aic`, `bic`, `n_free`, `converged`, `vuong_z`,
/// `vuong_p`, `vuong_z_bic`, `vuong_p_bic` (only when the models are distinguishable),
/// `vuong_distinguishable`, `vuong_k1`, `vuong_k2`) with their value in `estimate`.
pub fn csv(c: &Comparison) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["model", "kind", "term", "estimate", "std_error", "fixed"])
        .expect("in-memory");
    for col in &c.columns {
        let kind = match col.kind {
            ColumnKind::Structural => "structural",
            ColumnKind::ReducedForm => "reduced_form",
        };
        for cell in &col.cells {
            w.write_record([
                col.label.clone(),
                kind.into(),
                cell.term.clone(),
                format!("{}", cell.estimate),
                cell.std_error.map(|v| format!("{v}")).unwrap_or_default(),
                cell.fixed.to_string(),
            ])
            .expect("in-memory");
        }
        let mut stats = vec![
            ("n_obs", col.n_obs as f64),
            ("loglik", col.loglik),
            ("aic", col.aic),
            ("bic", col.bic),
            ("n_free", col.n_free as f64),
            ("converged", col.converged as u8 as f64),
        ];
        if let Some(v) = &col.vuong {
            stats.extend([
                ("vuong_distinguishable", v.distinguishable as u8 as f64),
                ("vuong_k1", v.k1 as f64),
                ("vuong_k2", v.k2 as f64),
            ]);
        }
        if let Some(v) = col.vuong.as_ref().filter(|v| v.distinguishable) {
            stats.extend([
                ("vuong_z", v.statistic),
                ("vuong_p", v.p_value),
                ("vuong_z_bic", v.corrected_statistic),
                ("vuong_p_bic", v.corrected_p_value),
            ]);
        }
        for (term, value) in stats {
            w.write_record([
                col.label.clone(),
                kind.into(),
                term.into(),
                format!("{value}"),
                String::new(),
                String::new(),
            ])
            .expect("in-memory");
        }
    }
    String::from_utf8(w.into_inner().expect("in-memory")).expect("UTF-8")
}
