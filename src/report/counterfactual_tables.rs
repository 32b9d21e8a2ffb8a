//! Counterfactual tables: Markdown, LaTeX (booktabs) and CSV (long format, one row per
//! scenario, group and quantity). Levels and differences show the bootstrap percentile
//! interval where there is one, else the delta-method interval.

use crate::analyses::counterfactual::{
    Counterfactual, Estimate, GroupKind, GroupResult, Quantity, ScenarioResult, BASELINE,
};
use crate::problem::labels::Labels;
use crate::report::latex;

/// A level with 4 decimals.
fn level(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        "—".into()
    }
}

/// A difference with sign and 4 decimals (`−` as a proper minus sign in text).
fn signed(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let v = if v.abs() < 5e-5 { 0.0 } else { v };
    format!("{v:+.4}").replace('-', "−")
}

fn interval(e: &Estimate, format: fn(f64) -> String) -> String {
    e.interval()
        .map(|(a, b)| format!(" [{}, {}]", format(a), format(b)))
        .unwrap_or_default()
}

/// Words on where the intervals come from (the file of bootstrap draws is named with the
/// provenance, not here).
pub fn interval_note(result: &Counterfactual) -> String {
    let u = &result.uncertainty;
    let pct = format!("{}%", (u.level * 100.0).round());
    match (&u.bootstrap_source, u.bootstrap_used, u.delta_method) {
        (Some(_), used, delta) if used >= 2 => format!(
            "Intervals: {pct} bootstrap percentile intervals, the equilibrium re-solved at each of {used} converged draws (of {}){}.",
            u.bootstrap_replicates,
            if delta { "; the JSON and CSV also give delta-method standard errors and intervals" } else { "" }
        ),
        (_, _, true) => format!(
            "Intervals: {pct} delta method (numerical Jacobian in the internal free parameters times their inverse-Hessian covariance; levels on the logit scale, differences symmetric). No bootstrap draws (`bootstrap.csv`) were found."
        ),
        _ => "No intervals: the fit has no covariance matrix and there are no bootstrap draws.".into(),
    }
}

fn groups_of<'a>(
    result: &'a Counterfactual,
    pick: &dyn Fn(&GroupResult) -> bool,
) -> Vec<(&'a ScenarioResult, &'a GroupResult)> {
    std::iter::once(&result.baseline)
        .chain(&result.scenarios)
        .flat_map(|s| s.groups.iter().filter(|g| pick(g)).map(move |g| (s, g)))
        .collect()
}

fn markdown_tables(s: &mut String, rows: &[(&ScenarioResult, &GroupResult)], with_n: bool) {
    let header: Vec<&str> = Quantity::ALL.iter().map(|q| q.label()).collect();
    let n_head = if with_n { " rows |" } else { "" };
    let n_rule = if with_n { "---:|" } else { "" };
    s.push_str(&format!(
        "Predicted levels:\n\n| Scenario |{n_head} {} |\n|---|{n_rule}{}\n",
        header.join(" | "),
        "---:|".repeat(5)
    ));
    for (sc, g) in rows {
        let n = if with_n {
            format!(" {} |", g.n_rows)
        } else {
            String::new()
        };
        let cells: Vec<String> = g
            .quantities
            .iter()
            .map(|r| format!("{}{}", level(r.value.estimate), interval(&r.value, level)))
            .collect();
        s.push_str(&format!("| {} |{n} {} |\n", sc.name, cells.join(" | ")));
    }
    s.push_str(&format!("\nDifferences from the reference:\n\n| Scenario | vs |{n_head} {} |\n|---|---|{n_rule}{}\n", header.join(" | "), "---:|".repeat(5)));
    for (sc, g) in rows.iter().filter(|(sc, _)| sc.name != BASELINE) {
        let n = if with_n {
            format!(" {} |", g.n_rows)
        } else {
            String::new()
        };
        let cells: Vec<String> = g
            .quantities
            .iter()
            .map(|r| format!("{}{}", signed(r.diff.estimate), interval(&r.diff, signed)))
            .collect();
        s.push_str(&format!(
            "| {} | {} |{n} {} |\n",
            sc.name,
            sc.compare_to,
            cells.join(" | ")
        ));
    }
}

/// What the counterfactual tables show: "Counterfactual predictions of the two-level
/// ratification model", with the spec's `[data] description` when it has one.
pub fn title(labels: &Labels) -> String {
    super::titled(
        "Counterfactual predictions of the two-level ratification model",
        labels,
    )
}

/// Toolkit, spec, data and scenario file (paths and SHA-256, the first 12 digits unless
/// `full`), and the file of bootstrap draws.
fn provenance(result: &Counterfactual, full: bool) -> String {
    let p = &result.provenance;
    let hash = |h: &str| super::shown_hash(h, full);
    let mut s = format!(
        "{}; spec {} (sha256 {}); data {} (sha256 {}); scenarios {} (sha256 {})",
        p.toolkit,
        p.spec_path,
        hash(&p.spec_sha256),
        p.data_path,
        hash(&p.data_sha256),
        result.scenario_file,
        hash(&result.scenario_sha256)
    );
    if let Some(src) = &result.uncertainty.bootstrap_source {
        s.push_str(&format!("; bootstrap draws {src}"));
    }
    s
}

/// The counterfactual tables in Markdown: all rows, the rows each scenario's `where` selects,
/// and each value of the grouping column.
pub fn markdown(result: &Counterfactual, labels: &Labels) -> String {
    let mut s = format!(
        "# {}\n\nNumbers are means over data rows (weighted by the data's weights; the home share over rows where an agreement can enter into force). {}\n\n",
        title(labels),
        interval_note(result)
    );
    s.push_str("| Scenario | Rows selected | Rows changed | Description |\n|---|---:|---:|---|\n");
    for sc in &result.scenarios {
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            sc.name,
            sc.rows_selected,
            sc.rows_changed,
            sc.description.as_deref().unwrap_or("")
        ));
    }
    let all = groups_of(result, &|g| g.kind == GroupKind::All);
    s.push_str(&format!("\n## All rows ({})\n\n", all[0].1.n_rows));
    markdown_tables(&mut s, &all, false);
    let selected = groups_of(result, &|g| g.kind == GroupKind::Selected);
    if !selected.is_empty() {
        s.push_str("\n## Rows selected by each scenario's `where`\n\n");
        markdown_tables(&mut s, &selected, true);
    }
    let mut labels: Vec<&str> = result
        .baseline
        .groups
        .iter()
        .filter(|g| g.kind == GroupKind::Column)
        .map(|g| g.label.as_str())
        .collect();
    labels.dedup();
    for label in labels {
        let rows = groups_of(result, &|g| g.kind == GroupKind::Column && g.label == label);
        s.push_str(&format!("\n## {label} ({} rows)\n\n", rows[0].1.n_rows));
        markdown_tables(&mut s, &rows, false);
    }
    let warnings: Vec<&String> = result
        .warnings
        .iter()
        .chain(result.scenarios.iter().flat_map(|s| &s.warnings))
        .collect();
    if !warnings.is_empty() {
        s.push_str("\n**Warnings**\n\n");
        for w in warnings {
            s.push_str(&format!("- {w}\n"));
        }
    }
    s.push_str(&format!("\n<sub>{}.</sub>\n", provenance(result, false)));
    s
}

/// At most this many scenarios (four lines each) go into one LaTeX float, so that a float fits
/// a page; a panel with more is split.
pub const MAX_LATEX_SCENARIOS: usize = 9;

fn tex_num(v: f64, sign: bool) -> String {
    if !v.is_finite() {
        return "---".into();
    }
    let v = if sign && v.abs() < 5e-4 { 0.0 } else { v };
    let text = if sign {
        format!("{v:+.3}")
    } else {
        format!("{v:.3}")
    };
    format!("${text}$")
}

/// The counterfactual tables in LaTeX (booktabs), ready for `\input`: one float per panel (all
/// rows, then each value of the grouping column), so that each fits a page. In each, every
/// scenario's name over its levels, its differences from the reference and their intervals;
/// the notes say what the numbers are and where the intervals come from; provenance (spec,
/// data, scenario file and bootstrap draws) is in the comments at the top.
pub fn latex(result: &Counterfactual, labels: &Labels) -> String {
    let mut top = vec![
        format!("{}.", title(labels)),
        format!("Written by {}.", provenance(result, true)),
    ];
    top.push(
        "One table float per panel: all episodes, then each value of the grouping column.".into(),
    );
    let mut s = latex::header(&top);
    let mut panels: Vec<(String, Vec<(&ScenarioResult, &GroupResult)>)> = vec![];
    let all = groups_of(result, &|g| g.kind == GroupKind::All);
    panels.push((format!("all {} episodes", all[0].1.n_rows), all));
    let mut columns: Vec<&str> = result
        .baseline
        .groups
        .iter()
        .filter(|g| g.kind == GroupKind::Column)
        .map(|g| g.label.as_str())
        .collect();
    columns.dedup();
    for label in columns {
        let rows = groups_of(result, &|g| g.kind == GroupKind::Column && g.label == label);
        panels.push((
            format!("episodes with {label} ({})", rows[0].1.n_rows),
            rows,
        ));
    }
    let notes = vec![
        latex::escape("Means over the episodes of the panel, weighted by the data's weights (the home share of the surplus over the episodes where an agreement can enter into force). Each scenario gives its levels, its differences from the fitted baseline (or from the scenario named after \"vs\") and the differences' intervals."),
        latex::escape(&interval_note(result)).replace('`', ""),
    ];
    // A panel with many scenarios is split over floats of at most MAX_LATEX_SCENARIOS (the
    // baseline opens the first).
    let mut floats: Vec<(String, &[(&ScenarioResult, &GroupResult)])> = Vec::new();
    for (title_of_panel, rows) in &panels {
        let blocks: Vec<_> = rows.chunks(MAX_LATEX_SCENARIOS + 1).collect();
        for (k, block) in blocks.iter().enumerate() {
            let part = if blocks.len() > 1 {
                format!(" (part {} of {})", k + 1, blocks.len())
            } else {
                String::new()
            };
            floats.push((format!("{title_of_panel}{part}"), block));
        }
    }
    for (title_of_panel, rows) in floats {
        s.push_str("\\begin{table}[htbp]\n\\centering\n\\small\n\\setlength{\\tabcolsep}{4pt}\n");
        s.push_str(&format!(
            "\\caption{{{}.}}\n",
            latex::escape(&format!("{}: {title_of_panel}", title(labels)))
        ));
        s.push_str("\\begin{tabular}{lrrrrr}\n\\toprule\n");
        s.push_str(" & P(ratified) & P(renegotiated) & P(failed) & Home & Strategic \\\\\n");
        s.push_str(" & & & & share & rejections \\\\\n\\midrule\n");
        for &(sc, g) in rows {
            let levels: Vec<String> = g
                .quantities
                .iter()
                .map(|r| tex_num(r.value.estimate, false))
                .collect();
            if sc.name == BASELINE {
                s.push_str(&format!("\\multicolumn{{6}}{{l}}{{\\emph{{Fitted baseline}}}} \\\\\n\\quad Level & {} \\\\\n", levels.join(" & ")));
                continue;
            }
            let vs = if sc.compare_to == BASELINE {
                String::new()
            } else {
                format!(" (vs {})", sc.compare_to)
            };
            // The name wraps within 85% of the line, so that a long one cannot widen the table.
            s.push_str(&format!(
                "\\addlinespace\n\\multicolumn{{6}}{{l}}{{\\parbox[t]{{0.85\\linewidth}}{{\\raggedright\\emph{{{}}}}}}} \\\\\n",
                latex::escape(&format!("{}{vs}", sc.name))
            ));
            s.push_str(&format!("\\quad Level & {} \\\\\n", levels.join(" & ")));
            let diffs: Vec<String> = g
                .quantities
                .iter()
                .map(|r| tex_num(r.diff.estimate, true))
                .collect();
            s.push_str(&format!("\\quad Difference & {} \\\\\n", diffs.join(" & ")));
            let cis: Vec<String> = g
                .quantities
                .iter()
                .map(|r| {
                    r.diff
                        .interval()
                        .map(|(a, b)| format!("[{}, {}]", tex_num(a, true), tex_num(b, true)))
                        .unwrap_or_default()
                })
                .collect();
            if cis.iter().any(|c| !c.is_empty()) {
                s.push_str(&format!(
                    "\\quad {}\\% interval & {} \\\\\n",
                    (result.uncertainty.level * 100.0).round(),
                    cis.join(" & ")
                ));
            }
        }
        s.push_str("\\bottomrule\n\\end{tabular}\n");
        s.push_str(&latex::notes(&notes));
        s.push_str("\\end{table}\n");
    }
    s
}

/// The counterfactual results in CSV, long format: one row per scenario (the baseline first),
/// group and quantity, with levels and differences, their delta-method SEs and intervals and
/// their bootstrap SEs and percentile intervals (empty where not available).
pub fn csv(result: &Counterfactual) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "scenario",
        "compare_to",
        "group_kind",
        "group",
        "n_rows",
        "quantity",
    ];
    header.extend([
        "value",
        "value_se",
        "value_ci_low",
        "value_ci_high",
        "value_boot_se",
        "value_boot_low",
        "value_boot_high",
        "diff",
        "diff_se",
        "diff_ci_low",
        "diff_ci_high",
        "diff_boot_se",
        "diff_boot_low",
        "diff_boot_high",
    ]);
    w.write_record(&header).expect("in-memory CSV");
    let opt = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map(|x| format!("{x}"))
            .unwrap_or_default()
    };
    let est = |e: &Estimate| -> Vec<String> {
        vec![
            opt(Some(e.estimate)),
            opt(e.se),
            opt(e.ci.map(|c| c.0)),
            opt(e.ci.map(|c| c.1)),
            opt(e.bootstrap_se),
            opt(e.bootstrap_ci.map(|c| c.0)),
            opt(e.bootstrap_ci.map(|c| c.1)),
        ]
    };
    for sc in std::iter::once(&result.baseline).chain(&result.scenarios) {
        for g in &sc.groups {
            let kind = match g.kind {
                GroupKind::All => "all",
                GroupKind::Selected => "selected",
                GroupKind::Column => "column",
            };
            for r in &g.quantities {
                let mut rec = vec![
                    sc.name.clone(),
                    sc.compare_to.clone(),
                    kind.into(),
                    g.label.clone(),
                    g.n_rows.to_string(),
                    r.quantity.key().into(),
                ];
                rec.extend(est(&r.value));
                rec.extend(est(&r.diff));
                w.write_record(&rec).expect("in-memory CSV");
            }
        }
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8")
}

/// A plain-text summary for the terminal: each scenario's all-rows levels and, below them, its
/// differences from the reference with their intervals (3 decimals).
pub fn text(result: &Counterfactual) -> String {
    let width = std::iter::once(&result.baseline)
        .chain(&result.scenarios)
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let f3 = |v: f64| {
        if v.is_finite() {
            format!("{v:.3}")
        } else {
            "—".into()
        }
    };
    let s3 = |v: f64| {
        if !v.is_finite() {
            return "—".to_string();
        }
        let v = if v.abs() < 5e-4 { 0.0 } else { v };
        format!("{v:+.3}").replace('-', "−")
    };
    let mut s = format!(
        "Counterfactuals for {} ({}), means over all {} rows:\n{:width$}",
        result.provenance.spec_path,
        result.scenario_file,
        result.baseline.overall().n_rows,
        "scenario"
    );
    for q in Quantity::ALL {
        s.push_str(&format!("  {:>22}", q.label()));
    }
    s.push('\n');
    for sc in std::iter::once(&result.baseline).chain(&result.scenarios) {
        let g = sc.overall();
        s.push_str(&format!("{:width$}", sc.name));
        for r in &g.quantities {
            s.push_str(&format!("  {:>22}", f3(r.value.estimate)));
        }
        s.push('\n');
        if sc.name != BASELINE {
            let vs = if sc.compare_to == BASELINE {
                "  Δ".to_string()
            } else {
                format!("  Δ vs {}", sc.compare_to)
            };
            s.push_str(&format!("{vs:width$}"));
            for r in &g.quantities {
                let ci = r
                    .diff
                    .interval()
                    .map(|(a, b)| format!(" [{}, {}]", s3(a), s3(b)))
                    .unwrap_or_default();
                s.push_str(&format!("  {:>22}", format!("{}{ci}", s3(r.diff.estimate))));
            }
            s.push('\n');
        }
    }
    s.push_str(&interval_note(result));
    s.push('\n');
    s
}
