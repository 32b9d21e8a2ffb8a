//! Estimates tables in Markdown, LaTeX (booktabs, ready for `\input`), CSV and plain text.

use crate::estimate::SeKind;
use crate::workflow::FitReport;

/// Standard normal 97.5% quantile.
const Z975: f64 = 1.959_963_984_540_054;

/// One table row: name, estimate, SE, CI, fixed.
struct Row<'a> {
    name: &'a str,
    estimate: f64,
    se: Option<f64>,
    ci: Option<(f64, f64)>,
    fixed: bool,
}

/// Options for an estimates table.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// Which SEs to show.
    pub se_kind: SeKind,
    /// Add significance stars (`*` 10%, `**` 5%, `***` 1%, two-sided z test against 0).
    pub stars: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            se_kind: SeKind::Hessian,
            stars: false,
        }
    }
}

fn rows<'a>(report: &'a FitReport, options: &TableOptions, bootstrap_ci: Option<&'a [(f64, f64)]>) -> Vec<Row<'a>> {
    report
        .estimates
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let se = match options.se_kind {
                SeKind::Hessian | SeKind::Bootstrap => p.std_error,
                SeKind::Robust => p.robust_std_error,
                SeKind::Cluster => p.cluster_std_error,
            };
            let ci = match bootstrap_ci {
                Some(ci) if !p.fixed => Some(ci[i]),
                _ => se.map(|s| p.wald_interval(s)),
            };
            Row {
                name: &p.name,
                estimate: p.estimate,
                se,
                ci,
                fixed: p.fixed,
            }
        })
        .collect()
}

fn stars(estimate: f64, se: Option<f64>) -> &'static str {
    let Some(se) = se.filter(|s| *s > 0.0) else { return "" };
    let z = (estimate / se).abs();
    if z > 2.575_829 {
        "***"
    } else if z > Z975 {
        "**"
    } else if z > 1.644_854 {
        "*"
    } else {
        ""
    }
}

/// Formats a number with 4 significant decimals, in plain text.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

fn caption(report: &FitReport, options: &TableOptions, ci_from_bootstrap: bool) -> String {
    format!(
        "Standard errors: {}. Intervals: 95%, {}.",
        options.se_kind.describe(),
        if ci_from_bootstrap { "bootstrap percentile" } else { "Wald (±1.96 SE on the internal scale: log for scales, logit for ρ, δ, w_poll, mapped back)" }
    ) + if report.estimates.converged { "" } else { " WARNING: the optimizer did not converge." }
}

fn fit_lines(report: &FitReport) -> Vec<(String, String)> {
    let e = &report.estimates;
    vec![
        ("Observations".into(), e.n_obs.to_string()),
        ("Log-likelihood".into(), format!("{:.3}", e.loglik)),
        ("AIC".into(), format!("{:.2}", e.aic())),
        ("BIC".into(), format!("{:.2}", e.bic())),
        ("Free parameters".into(), e.n_free.to_string()),
        ("Converged".into(), if e.converged { "yes".into() } else { "NO".into() }),
    ]
}

/// The estimates table in Markdown (with fit statistics and warnings).
pub fn markdown(report: &FitReport, options: &TableOptions, bootstrap_ci: Option<&[(f64, f64)]>) -> String {
    let mut s = String::new();
    s.push_str(&format!("# Estimates: `{}`\n\n", report.provenance.spec_path));
    s.push_str("| Parameter | Estimate | Std. error | 95% interval |\n|---|---:|---:|---:|\n");
    for r in rows(report, options, bootstrap_ci) {
        let mark = if options.stars { stars(r.estimate, r.se) } else { "" };
        let (se, ci) = if r.fixed {
            ("(fixed)".to_string(), String::new())
        } else {
            (
                r.se.map(num).unwrap_or_else(|| "—".into()),
                r.ci.map(|(a, b)| format!("[{}, {}]", num(a), num(b))).unwrap_or_default(),
            )
        };
        s.push_str(&format!("| `{}` | {}{} | {} | {} |\n", r.name, num(r.estimate), mark, se, ci));
    }
    s.push_str(&format!("\n{}\n", caption(report, options, bootstrap_ci.is_some())));
    if options.stars {
        s.push_str("Significance: * 10%, ** 5%, *** 1% (two-sided z test against 0).\n");
    }
    s.push_str("\n| Fit | |\n|---|---:|\n");
    for (k, v) in fit_lines(report) {
        s.push_str(&format!("| {k} | {v} |\n"));
    }
    let d = &report.estimates.diagnostics;
    s.push_str(&format!(
        "\nOptimizer: {:?}, {} iterations, stopped: {}; gradient max-norm {:.2e}; Hessian eigenvalues (per observation) {}.\n",
        d.optimizer,
        d.iterations,
        d.termination,
        d.gradient_norm,
        d.hessian_eigenvalues.iter().map(|v| format!("{v:.3e}")).collect::<Vec<_>>().join(", ")
    ));
    if !report.estimates.warnings.is_empty() {
        s.push_str("\n**Warnings**\n\n");
        for w in &report.estimates.warnings {
            s.push_str(&format!("- {w}\n"));
        }
    }
    s.push_str(&format!(
        "\n<sub>{}; spec sha256 {}; data sha256 {}; seed {}.</sub>\n",
        report.provenance.toolkit,
        &report.provenance.spec_sha256[..12],
        &report.provenance.data_sha256[..12],
        report.provenance.seed
    ));
    s
}

/// Escapes LaTeX special characters.
pub fn latex_escape(text: &str) -> String {
    text.replace('\\', "\\textbackslash{}")
        .replace('_', "\\_")
        .replace('%', "\\%")
        .replace('&', "\\&")
        .replace('#', "\\#")
        .replace('$', "\\$")
}

/// The estimates table in LaTeX (booktabs; needs `\usepackage{booktabs}`), ready for `\input`.
pub fn latex(report: &FitReport, options: &TableOptions, bootstrap_ci: Option<&[(f64, f64)]>) -> String {
    let mut s = String::new();
    s.push_str("\\begin{table}[htbp]\n\\centering\n");
    s.push_str(&format!("\\caption{{Estimates ({}).}}\n", latex_escape(&report.provenance.spec_path)));
    s.push_str("\\begin{tabular}{lrrc}\n\\toprule\nParameter & Estimate & Std.\\ error & 95\\% interval \\\\\n\\midrule\n");
    for r in rows(report, options, bootstrap_ci) {
        let mark = if options.stars { stars(r.estimate, r.se) } else { "" };
        let mark = if mark.is_empty() { String::new() } else { format!("$^{{{mark}}}$") };
        let (se, ci) = if r.fixed {
            ("(fixed)".to_string(), String::new())
        } else {
            (
                r.se.map(num).unwrap_or_else(|| "--".into()),
                r.ci.map(|(a, b)| format!("[{}, {}]", num(a), num(b))).unwrap_or_default(),
            )
        };
        s.push_str(&format!("\\texttt{{{}}} & {}{} & {} & {} \\\\\n", latex_escape(r.name), num(r.estimate), mark, se, ci));
    }
    s.push_str("\\midrule\n");
    for (k, v) in fit_lines(report) {
        s.push_str(&format!("{k} & {v} & & \\\\\n"));
    }
    s.push_str("\\bottomrule\n\\end{tabular}\n");
    s.push_str(&format!("\\par\\smallskip\\footnotesize {}\n", latex_escape(&caption(report, options, bootstrap_ci.is_some()))));
    s.push_str("\\end{table}\n");
    s
}

/// The estimates table as CSV.
pub fn csv(report: &FitReport, options: &TableOptions, bootstrap_ci: Option<&[(f64, f64)]>) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["parameter", "estimate", "std_error", "ci_low", "ci_high", "fixed", "se_kind"]).expect("in-memory");
    for r in rows(report, options, bootstrap_ci) {
        let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        w.write_record([
            r.name.to_string(),
            format!("{}", r.estimate),
            opt(r.se),
            opt(r.ci.map(|c| c.0)),
            opt(r.ci.map(|c| c.1)),
            r.fixed.to_string(),
            format!("{:?}", options.se_kind).to_lowercase(),
        ])
        .expect("in-memory");
    }
    String::from_utf8(w.into_inner().expect("in-memory")).expect("UTF-8")
}

/// A plain-text table for the terminal.
pub fn text(report: &FitReport, options: &TableOptions, bootstrap_ci: Option<&[(f64, f64)]>) -> String {
    let rows = rows(report, options, bootstrap_ci);
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(9).max(9);
    let mut s = format!("{:<width$}  {:>11}  {:>11}  {:>25}\n", "parameter", "estimate", "std. error", "95% interval");
    s.push_str(&format!("{}\n", "-".repeat(width + 54)));
    for r in rows {
        let (se, ci) = if r.fixed {
            ("(fixed)".to_string(), String::new())
        } else {
            (
                r.se.map(num).unwrap_or_else(|| "—".into()),
                r.ci.map(|(a, b)| format!("[{}, {}]", num(a), num(b))).unwrap_or_default(),
            )
        };
        s.push_str(&format!("{:<width$}  {:>11}  {:>11}  {:>25}\n", r.name, num(r.estimate), se, ci));
    }
    s.push_str(&format!("{}\n", caption(report, options, bootstrap_ci.is_some())));
    for (k, v) in fit_lines(report) {
        s.push_str(&format!("{k}: {v}   "));
    }
    s.push('\n');
    for w in &report.estimates.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}
