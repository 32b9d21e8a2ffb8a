//! Estimates tables in Markdown, LaTeX (booktabs, ready for `\input`), CSV and plain text.
//! Markdown and LaTeX show parameters by their labels ([`crate::problem::labels`]); CSV and the
//! terminal by their exact names.

use crate::analyses::bootstrap::BootstrapResults;
use crate::estimate::project_fit::FitReport;
use crate::estimate::{FitStatus, SeKind};
use crate::model::distribution::normal_quantile;
use crate::problem::labels::Labels;
use crate::report::latex;

/// One table row: name, estimate, SE, CI, fixed.
struct Row<'a> {
    name: &'a str,
    estimate: f64,
    se: Option<f64>,
    ci: Option<(f64, f64)>,
    fixed: bool,
    boot_se: Option<f64>,
    boot_ci: Option<(f64, f64)>,
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

fn rows<'a>(
    report: &'a FitReport,
    options: &TableOptions,
    bootstrap: Option<&'a BootstrapResults>,
) -> Vec<Row<'a>> {
    let summary = bootstrap.and_then(|b| b.summary.as_ref());
    report
        .estimates
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let b = summary
                .and_then(|s| s.parameters.get(i))
                .filter(|b| b.name == p.name);
            let (boot_se, boot_ci) = match b {
                Some(b) if !p.fixed => (b.std_error, b.interval),
                _ => (None, None),
            };
            let se = match options.se_kind {
                SeKind::Hessian => p.std_error,
                SeKind::Robust => p.robust_std_error,
                SeKind::Cluster => p.cluster_std_error,
                SeKind::Bootstrap => boot_se,
            };
            let ci = match options.se_kind {
                SeKind::Bootstrap => boot_ci,
                _ => se.map(|s| p.wald_interval(s)),
            };
            Row {
                name: &p.name,
                estimate: p.estimate,
                se,
                ci,
                fixed: p.fixed,
                boot_se,
                boot_ci,
            }
        })
        .collect()
}

/// Significance stars of a two-sided z test of `estimate = 0`: `***` at 1%, `**` at 5%, `*`
/// at 10% (none without a positive SE).
pub fn stars(estimate: f64, se: Option<f64>) -> &'static str {
    let Some(se) = se.filter(|s| *s > 0.0) else {
        return "";
    };
    let z = (estimate / se).abs();
    if z > normal_quantile(0.995) {
        "***"
    } else if z > normal_quantile(0.975) {
        "**"
    } else if z > normal_quantile(0.95) {
        "*"
    } else {
        ""
    }
}

/// Formats a number with 4 significant decimals, in plain text.
pub fn num(v: f64) -> String {
    if v == f64::INFINITY {
        return "+∞".into();
    }
    if v == f64::NEG_INFINITY {
        return "−∞".into();
    }
    if !v.is_finite() {
        return "—".into();
    }
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

fn caption(
    report: &FitReport,
    options: &TableOptions,
    bootstrap: Option<&BootstrapResults>,
) -> String {
    let wald = "Wald (±1.96 SE on the internal scale: log for scales, logit for ρ, δ, w_poll, mapped back)";
    let mut s = match (options.se_kind, bootstrap) {
        (SeKind::Bootstrap, Some(b)) => format!(
            "Standard errors: bootstrap (standard deviation of the draws). Intervals: 95%, bootstrap percentile. Bootstrap: {}.",
            b.describe()
        ),
        (kind, Some(b)) => format!(
            "Standard errors: {}. Intervals: 95%, {wald}. Bootstrap columns: standard deviation of the draws and 95% percentile interval; {}.",
            report.estimates.se_description(kind),
            b.describe()
        ),
        (kind, None) => format!(
            "Standard errors: {}. Intervals: 95%, {wald}.",
            report.estimates.se_description(kind)
        ),
    };
    if !report.estimates.conditional_on.is_empty() {
        s.push_str(&format!(
            " Standard errors are conditional on {} held at the estimate (the information is singular or not positive definite along it), which has none; see its profile-likelihood interval or the bootstrap.",
            report.estimates.conditional_on.join(", ")
        ));
    }
    match report.estimates.status {
        FitStatus::Converged => {}
        FitStatus::KinkMaximum => s.push_str(" The estimate is a maximum at a kink of the likelihood (checked along the coordinates): Hessian-based standard errors are approximate."),
        FitStatus::NotConverged => s.push_str(" WARNING: the optimizer did not converge."),
    }
    if let Some(c) = &report.estimates.diagnostics.certification {
        s.push(' ');
        s.push_str(&c.describe());
    }
    s
}

/// Whether the table has the two bootstrap columns (a bootstrap is given and the main columns
/// show another kind of SE).
fn boot_columns(options: &TableOptions, bootstrap: Option<&BootstrapResults>) -> bool {
    bootstrap.is_some_and(|b| b.summary.is_some()) && options.se_kind != SeKind::Bootstrap
}

/// The header of the SE column: "Std. error" plus its kind.
fn se_header(options: &TableOptions) -> &'static str {
    match options.se_kind {
        SeKind::Hessian => "Std. error (Hessian)",
        SeKind::Robust => "Std. error (robust)",
        SeKind::Cluster => "Std. error (cluster)",
        SeKind::Bootstrap => "Std. error (bootstrap)",
    }
}

fn fit_lines(report: &FitReport) -> Vec<(String, String)> {
    let e = &report.estimates;
    vec![
        ("Observations".into(), e.n_obs.to_string()),
        ("Log-likelihood".into(), format!("{:.3}", e.loglik)),
        ("AIC".into(), format!("{:.2}", e.aic())),
        ("BIC".into(), format!("{:.2}", e.bic())),
        ("Free parameters".into(), e.n_free.to_string()),
        ("Converged".into(), e.status.answer().into()),
    ]
}

/// Formats a row's SE and interval cells (`(fixed)` for a fixed parameter).
fn cells(r: &Row, missing: &str) -> [String; 4] {
    if r.fixed {
        return [
            "(fixed)".into(),
            String::new(),
            String::new(),
            String::new(),
        ];
    }
    let ci = |c: Option<(f64, f64)>| {
        c.map(|(a, b)| format!("[{}, {}]", num(a), num(b)))
            .unwrap_or_default()
    };
    [
        r.se.map(num).unwrap_or_else(|| missing.into()),
        ci(r.ci),
        r.boot_se.map(num).unwrap_or_else(|| missing.into()),
        ci(r.boot_ci),
    ]
}

/// The interval column's header.
fn ci_header(options: &TableOptions) -> &'static str {
    if options.se_kind == SeKind::Bootstrap {
        "95% percentile interval"
    } else {
        "95% Wald interval"
    }
}

/// What the estimates table shows, for its heading and caption: "Maximum-likelihood estimates
/// of the two-level ratification model", with the spec's `[data] description` when it has one.
pub fn title(labels: &Labels) -> String {
    super::titled(
        "Maximum-likelihood estimates of the two-level ratification model",
        labels,
    )
}

/// Provenance for the foot of Markdown tables and the comments atop LaTeX tables: toolkit,
/// spec and data (path and SHA-256, the first 12 digits in Markdown), seed.
fn provenance(report: &FitReport, full: bool) -> String {
    let p = &report.provenance;
    let hash = |h: &str| super::shown_hash(h, full);
    format!(
        "{}; spec {} (sha256 {}); data {} (sha256 {}); seed {}.",
        p.toolkit,
        p.spec_path,
        hash(&p.spec_sha256),
        p.data_path,
        hash(&p.data_sha256),
        p.seed
    )
}

/// The estimates table in Markdown (with fit statistics and warnings): parameters by their
/// labels. With a bootstrap, two columns are added: the bootstrap SE and the 95% percentile
/// interval (unless the main columns already show the bootstrap, `se_kind = bootstrap`).
pub fn markdown(
    report: &FitReport,
    options: &TableOptions,
    bootstrap: Option<&BootstrapResults>,
    labels: &Labels,
) -> String {
    let boot = boot_columns(options, bootstrap);
    let mut s = String::new();
    s.push_str(&format!("# {}\n\n", title(labels)));
    s.push_str(&format!(
        "| Parameter | Estimate | {} | {} |",
        se_header(options),
        ci_header(options)
    ));
    s.push_str(if boot {
        " Bootstrap SE | 95% percentile interval |\n|---|---:|---:|---:|---:|---:|\n"
    } else {
        "\n|---|---:|---:|---:|\n"
    });
    for r in rows(report, options, bootstrap) {
        let mark = if options.stars {
            stars(r.estimate, r.se)
        } else {
            ""
        };
        let c = cells(&r, "—");
        s.push_str(&format!(
            "| {} | {}{} | {} | {} |",
            latex::markdown_label(&labels.parameter(r.name)),
            num(r.estimate),
            mark,
            c[0],
            c[1]
        ));
        if boot {
            s.push_str(&format!(
                " {} | {} |",
                if r.fixed { "" } else { &c[2] },
                c[3]
            ));
        }
        s.push('\n');
    }
    s.push_str(&format!("\n{}\n", caption(report, options, bootstrap)));
    if options.stars {
        s.push_str("Significance: * 10%, ** 5%, *** 1% (two-sided z test against 0).\n");
    }
    s.push_str("\n| Fit | |\n|---|---:|\n");
    for (k, v) in fit_lines(report) {
        s.push_str(&format!("| {k} | {v} |\n"));
    }
    let d = &report.estimates.diagnostics;
    s.push_str(&format!(
        "\nOptimizer: {:?}, {} iterations, stopped: {}; gradient max-norm {:.2e}; standardized information eigenvalues (per episode; weak below 1e-6) {}.\n",
        d.optimizer,
        d.iterations,
        d.termination,
        d.gradient_norm,
        d.information_eigenvalues.iter().map(|v| format!("{v:.3e}")).collect::<Vec<_>>().join(", ")
    ));
    let boot_warnings = bootstrap
        .and_then(|b| b.summary.as_ref())
        .map(|s| s.warnings.as_slice())
        .unwrap_or_default();
    if !report.estimates.warnings.is_empty() || !boot_warnings.is_empty() {
        s.push_str("\n**Warnings**\n\n");
        for w in report.estimates.warnings.iter().chain(boot_warnings) {
            s.push_str(&format!("- {w}\n"));
        }
    }
    s.push_str(&format!("\n<sub>{}</sub>\n", provenance(report, false)));
    s
}

/// The estimates table in LaTeX (booktabs), ready for `\input`: parameters by their labels,
/// fit statistics below them, the notes (standard errors and intervals, the bootstrap) under
/// the tabular and the provenance in comments above the float. Without bootstrap columns:
/// estimate, SE and interval side by side; with them, the SEs of the two kinds side by side and
/// each interval under its SE (in brackets), so that the table fits a page's width.
pub fn latex(
    report: &FitReport,
    options: &TableOptions,
    bootstrap: Option<&BootstrapResults>,
    labels: &Labels,
) -> String {
    let boot = boot_columns(options, bootstrap);
    let mut top = vec![
        format!("{}.", title(labels)),
        format!("Written by {}", provenance(report, true)),
    ];
    if let Some(b) = bootstrap {
        top.push(format!("Bootstrap: {}.", b.describe()));
    }
    let mut s = latex::header(&top);
    s.push_str("\\begin{table}[htbp]\n\\centering\n");
    s.push_str(&format!(
        "\\caption{{{}.}}\n",
        latex::escape(&title(labels))
    ));
    if boot {
        s.push_str(&format!(
            "\\begin{{tabular}}{{lrcc}}\n\\toprule\n & & \\multicolumn{{2}}{{c}}{{Standard error [95\\% interval]}} \\\\\n\\cmidrule(lr){{3-4}}\nParameter & Estimate & {} & Bootstrap \\\\\n\\midrule\n",
            se_group(options)
        ));
    } else {
        let se_head = latex::escape(se_header(options)).replace("Std. error", "Std.\\ error");
        let ci_head = latex::escape(ci_header(options));
        s.push_str(&format!("\\begin{{tabular}}{{lrrc}}\n\\toprule\nParameter & Estimate & {se_head} & {ci_head} \\\\\n\\midrule\n"));
    }
    for r in rows(report, options, bootstrap) {
        let mark = if options.stars {
            stars(r.estimate, r.se)
        } else {
            ""
        };
        let estimate = if mark.is_empty() {
            latex::number(r.estimate)
        } else {
            format!("{}$^{{{mark}}}$", latex::number(r.estimate))
        };
        let name = latex::label(&labels.parameter(r.name));
        let interval = |c: Option<(f64, f64)>| {
            c.map(|(a, b)| format!("[{}, {}]", latex::number(a), latex::number(b)))
                .unwrap_or_default()
        };
        let se = |v: Option<f64>| v.map(latex::number).unwrap_or_else(|| "--".into());
        if r.fixed {
            s.push_str(&format!("{name} & {estimate} & (fixed) & \\\\\n"));
        } else if boot {
            s.push_str(&format!(
                "{name} & {estimate} & {} & {} \\\\\n & & {} & {} \\\\\n",
                se(r.se),
                se(r.boot_se),
                interval(r.ci),
                interval(r.boot_ci)
            ));
        } else {
            s.push_str(&format!(
                "{name} & {estimate} & {} & {} \\\\\n",
                se(r.se),
                interval(r.ci)
            ));
        }
    }
    s.push_str("\\midrule\n");
    for (k, v) in fit_lines(report) {
        s.push_str(&format!("{k} & {} & & \\\\\n", latex::cell(&v)));
    }
    s.push_str("\\bottomrule\n\\end{tabular}\n");
    let mut notes = Vec::new();
    if boot {
        notes.push(
            "Standard errors, each with its 95\\% interval in brackets below it.".to_string(),
        );
    }
    notes.push(latex::escape(
        &caption(report, options, bootstrap).replace("Bootstrap columns:", "Bootstrap:"),
    ));
    if options.stars {
        notes.push("Significance: $^{*}$ 10\\%, $^{**}$ 5\\%, $^{***}$ 1\\% (two-sided $z$ test against 0).".into());
    }
    s.push_str(&latex::notes(&notes));
    s.push_str("\\end{table}\n");
    s
}

/// The header of the main SE column in the stacked layout (its kind).
fn se_group(options: &TableOptions) -> &'static str {
    match options.se_kind {
        SeKind::Hessian => "Hessian",
        SeKind::Robust => "Robust",
        SeKind::Cluster => "Cluster",
        SeKind::Bootstrap => "Bootstrap",
    }
}

/// The estimates table as CSV: `parameter, estimate, std_error, ci_low, ci_high, fixed,
/// se_kind, bootstrap_std_error, bootstrap_ci_low, bootstrap_ci_high` (the bootstrap columns
/// are empty without a bootstrap).
pub fn csv(
    report: &FitReport,
    options: &TableOptions,
    bootstrap: Option<&BootstrapResults>,
) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "parameter",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
        "fixed",
        "se_kind",
        "bootstrap_std_error",
        "bootstrap_ci_low",
        "bootstrap_ci_high",
    ])
    .expect("in-memory");
    for r in rows(report, options, bootstrap) {
        let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        w.write_record([
            r.name.to_string(),
            format!("{}", r.estimate),
            opt(r.se),
            opt(r.ci.map(|c| c.0)),
            opt(r.ci.map(|c| c.1)),
            r.fixed.to_string(),
            format!("{:?}", options.se_kind).to_lowercase(),
            opt(r.boot_se),
            opt(r.boot_ci.map(|c| c.0)),
            opt(r.boot_ci.map(|c| c.1)),
        ])
        .expect("in-memory");
    }
    String::from_utf8(w.into_inner().expect("in-memory")).expect("UTF-8")
}

/// A plain-text table for the terminal.
pub fn text(
    report: &FitReport,
    options: &TableOptions,
    bootstrap: Option<&BootstrapResults>,
) -> String {
    let boot = boot_columns(options, bootstrap);
    let rows = rows(report, options, bootstrap);
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(9).max(9);
    let mut s = format!(
        "{:<width$}  {:>11}  {:>11}  {:>25}",
        "parameter", "estimate", "std. error", "95% interval"
    );
    s.push_str(&if boot {
        format!("  {:>11}  {:>25}\n", "boot. SE", "95% percentile")
    } else {
        "\n".into()
    });
    s.push_str(&format!(
        "{}\n",
        "-".repeat(width + 54 + if boot { 40 } else { 0 })
    ));
    for r in rows {
        let c = cells(&r, "—");
        s.push_str(&format!(
            "{:<width$}  {:>11}  {:>11}  {:>25}",
            r.name,
            num(r.estimate),
            c[0],
            c[1]
        ));
        if boot {
            s.push_str(&format!(
                "  {:>11}  {:>25}",
                if r.fixed { "" } else { &c[2] },
                c[3]
            ));
        }
        s.push('\n');
    }
    s.push_str(&format!("{}\n", caption(report, options, bootstrap)));
    for (k, v) in fit_lines(report) {
        s.push_str(&format!("{k}: {v}   "));
    }
    s.push('\n');
    let boot_warnings = bootstrap
        .and_then(|b| b.summary.as_ref())
        .map(|s| s.warnings.as_slice())
        .unwrap_or_default();
    for w in report.estimates.warnings.iter().chain(boot_warnings) {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}
