//! Model comparison tables (like R's modelsummary or Stata's esttab): the columns of a
//! [`Comparison`] (several fitted specs side by side, with the reduced-form multinomial logit as
//! a benchmark and the Vuong test of each structural model against it; built in
//! [`crate::analyses::comparison`]) rendered as Markdown, LaTeX (booktabs, ready for `\input`)
//! and CSV (tidy: one row per model and term).

use crate::analyses::comparison::{Column, ColumnKind, Comparison};
use crate::report::tables::{latex_escape, num, stars};

impl Comparison {
    /// Every term, in order of first appearance.
    pub fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for c in &self.columns {
            for cell in &c.cells {
                if !terms.contains(&cell.term) {
                    terms.push(cell.term.clone());
                }
            }
        }
        terms
    }

    /// `(label, cells per column)` of the statistics block.
    fn statistics(&self) -> Vec<(String, Vec<String>)> {
        let row = |f: &dyn Fn(&Column) -> String| self.columns.iter().map(f).collect::<Vec<_>>();
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
        if self.columns.iter().any(|c| c.vuong.is_some()) {
            rows.push((
                "Vuong z vs reduced form (p)".into(),
                row(&|c| {
                    c.vuong
                        .as_ref()
                        .map(|v| {
                            if v.distinguishable {
                                format!("{:.3} ({:.3})", v.statistic, v.p_value)
                            } else {
                                "indistinguishable".into()
                            }
                        })
                        .unwrap_or_default()
                }),
            ));
            rows.push((
                "Vuong z, BIC-corrected (p)".into(),
                row(&|c| {
                    c.vuong
                        .as_ref()
                        .map(|v| {
                            if v.distinguishable {
                                format!("{:.3} ({:.3})", v.corrected_statistic, v.corrected_p_value)
                            } else {
                                "indistinguishable".into()
                            }
                        })
                        .unwrap_or_default()
                }),
            ));
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
                    c.vuong.as_ref().map(|v| {
                        format!(
                            "{}: {} structural parameters against {} identified reduced-form coefficients",
                            c.label, v.k1, v.k2
                        )
                    })
                })
                .collect();
            notes.push(format!(
                "The BIC correction subtracts (k1 − k2) ln(n)/2 from the log-likelihood ratio, counting only reduced-form coefficients that are identified (not run off under quasi-separation): {}.",
                counts.join("; ")
            ));
            if self
                .columns
                .iter()
                .any(|c| c.vuong.as_ref().is_some_and(|v| !v.distinguishable))
            {
                notes.push(format!("Indistinguishable: the two models fit every episode alike (the pointwise log-likelihood differences have a standard deviation ≤ {:.0e}), so the Vuong z is 0/0 and not reported.", crate::analyses::vuong::INDISTINGUISHABLE));
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
}

/// The comparison in Markdown.
pub fn markdown(c: &Comparison, stars: bool) -> String {
    let mut s = String::from("# Model comparison\n\n|  |");
    for (i, col) in c.columns.iter().enumerate() {
        s.push_str(&format!(" ({}) {} |", i + 1, col.label));
    }
    s.push_str("\n|---|");
    s.push_str(&"---:|".repeat(c.columns.len()));
    s.push('\n');
    for term in c.terms() {
        let cells: Vec<(String, String)> = c
            .columns
            .iter()
            .map(|col| c.cell(col, &term, stars))
            .collect();
        s.push_str(&format!("| `{term}` |"));
        for (e, _) in &cells {
            s.push_str(&format!(" {e} |"));
        }
        s.push_str("\n|  |");
        for (_, se) in &cells {
            s.push_str(&format!(" {se} |"));
        }
        s.push('\n');
    }
    for (label, values) in c.statistics() {
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
    s
}

/// The comparison in LaTeX (booktabs), ready for `\input`.
pub fn latex(c: &Comparison, stars: bool) -> String {
    let mut s = String::from("\\begin{table}[htbp]\n\\centering\n\\caption{Model comparison.}\n");
    s.push_str(&format!(
        "\\begin{{tabular}}{{l{}}}\n\\toprule\n",
        "r".repeat(c.columns.len())
    ));
    let heads: Vec<String> = c
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| format!("({}) {}", i + 1, latex_escape(&col.label)))
        .collect();
    s.push_str(&format!(" & {} \\\\\n\\midrule\n", heads.join(" & ")));
    for term in c.terms() {
        let cells: Vec<(String, String)> = c
            .columns
            .iter()
            .map(|col| c.cell(col, &term, stars))
            .collect();
        let est: Vec<String> = cells
            .iter()
            .map(|(e, _)| {
                let k = e.trim_end_matches('*');
                let marks = &e[k.len()..];
                if marks.is_empty() {
                    e.clone()
                } else {
                    format!("{k}$^{{{marks}}}$")
                }
            })
            .collect();
        let ses: Vec<String> = cells.iter().map(|(_, se)| se.replace('—', "--")).collect();
        s.push_str(&format!(
            "\\texttt{{{}}} & {} \\\\\n",
            latex_escape(&term),
            est.join(" & ")
        ));
        s.push_str(&format!(" & {} \\\\\n", ses.join(" & ")));
    }
    s.push_str("\\midrule\n");
    for (label, values) in c.statistics() {
        s.push_str(&format!(
            "{} & {} \\\\\n",
            latex_escape(&label),
            values.join(" & ")
        ));
    }
    s.push_str("\\bottomrule\n\\end{tabular}\n\\par\\smallskip\\footnotesize ");
    let notes: Vec<String> = c
        .notes(stars)
        .iter()
        .map(|n| latex_escape(n).replace('*', "$^{*}$"))
        .collect();
    s.push_str(&notes.join(" "));
    s.push_str("\n\\end{table}\n");
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
