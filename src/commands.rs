//! The reporting commands of the CLI: `fit` (with the bootstrap and its shards), `merge`,
//! `report` and `compare`. Argument parsing stays in `main.rs`; the work is done by library
//! functions (`twolevel::analyses`, `twolevel::report::folder`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Instant;
use twolevel::analyses::bootstrap::{
    self, BootstrapResults, BootstrapSettings, ReplicateStatus, Shard,
};
use twolevel::analyses::figures::{default_group, figure_data};
use twolevel::analyses::FitAnalyses;
use twolevel::error::{Error, Result};
use twolevel::estimate::project_fit::FitReport;
use twolevel::estimate::{Estimates, SeKind};
use twolevel::problem::likelihood::process_evaluations;
use twolevel::problem::likelihood::Model;
use twolevel::problem::project::Project;
use twolevel::problem::spec::BootstrapKind;
use twolevel::report::folder::{self, Content};
use twolevel::report::tables::{self, TableOptions};

/// `fit` arguments.
pub struct FitArgs {
    pub spec: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub se_kind: SeKind,
    pub stars: bool,
    pub bootstrap: Option<usize>,
    pub bootstrap_kind: Option<String>,
    pub bootstrap_seed: Option<u64>,
    pub shard: Option<String>,
    pub group: Option<String>,
    pub resume: bool,
    /// Print nothing on stdout (the report is written as usual): `twolevel bench`.
    pub quiet: bool,
}

/// The wall-clock time of each phase of a command, written to `timings.json` in the report
/// folder (not committed with the shipped reports: times differ from run to run).
pub const TIMINGS_FILE: &str = "timings.json";

/// One phase's wall-clock time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PhaseTime {
    /// What ran.
    pub phase: String,
    /// Seconds.
    pub seconds: f64,
    /// Likelihood evaluations of the whole data in the phase, without a gradient.
    #[serde(default)]
    pub loglik_evaluations: u64,
    /// Likelihood evaluations with the gradient.
    #[serde(default)]
    pub gradient_evaluations: u64,
}

/// The phases of a command: each runs under a progress bar (a bar when its length is known, a
/// spinner with the elapsed time otherwise; drawn only when stderr is a terminal) and its
/// wall-clock time is kept.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Phases {
    /// Worker threads.
    pub threads: usize,
    /// The phases in the order they ran.
    pub phases: Vec<PhaseTime>,
    /// All phases.
    pub total_seconds: f64,
}

impl Phases {
    fn new() -> Phases {
        Phases {
            threads: rayon::current_num_threads(),
            ..Phases::default()
        }
    }

    /// Runs `work` as phase `name`; `len` items when known, which `work` reports done through
    /// the tick it receives.
    fn run<T>(
        &mut self,
        name: &str,
        len: Option<usize>,
        work: impl FnOnce(&(dyn Fn() + Sync)) -> T,
    ) -> T {
        let bar =
            ProgressBar::with_draw_target(len.map(|n| n as u64), ProgressDrawTarget::stderr());
        let template = if len.is_some() {
            format!("{name} [{{bar:40}}] {{pos}}/{{len}}, {{elapsed}} elapsed, ETA {{eta}}")
        } else {
            format!("{{spinner}} {name}… {{elapsed}}")
        };
        bar.set_style(
            ProgressStyle::with_template(&template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        if len.is_none() {
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        let start = Instant::now();
        let [values, gradients] = process_evaluations();
        let out = work(&|| bar.inc(1));
        bar.finish_and_clear();
        let seconds = start.elapsed().as_secs_f64();
        let [values_after, gradients_after] = process_evaluations();
        self.phases.push(PhaseTime {
            phase: name.to_string(),
            seconds,
            loglik_evaluations: values_after - values,
            gradient_evaluations: gradients_after - gradients,
        });
        self.total_seconds += seconds;
        out
    }

    /// The time of the phase `name` (0 when it did not run).
    pub fn seconds(&self, name: &str) -> f64 {
        self.phases
            .iter()
            .filter(|p| p.phase == name)
            .map(|p| p.seconds)
            .sum()
    }
}

/// The checkpoint of an unfinished multi-start fit in a report folder.
pub const FIT_CHECKPOINT_FILE: &str = ".fit.checkpoint";

/// The checkpoint of an unfinished bootstrap in a report (or shard) folder.
pub const CHECKPOINT_FILE: &str = ".bootstrap.checkpoint";

fn names(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn note_replacing(dir: &Path, before: &[PathBuf]) {
    if !before.is_empty() {
        eprintln!(
            "note: replacing the earlier report in {} ({})",
            dir.display(),
            names(before)
        );
    }
}

fn finish(dir: &Path, before: &[PathBuf], written: &[PathBuf]) -> Result<()> {
    let removed = folder::remove_stale(before, written)?;
    if !removed.is_empty() {
        eprintln!(
            "note: removed files of the earlier report that this run does not write: {}",
            names(&removed)
        );
    }
    eprintln!(
        "wrote {} files into {}: {}",
        written.len(),
        dir.display(),
        names(written)
    );
    Ok(())
}

/// Removes a finished run's checkpoint (its draws are in bootstrap.csv now).
fn remove_checkpoint(path: &Path) {
    if path.exists() {
        let _ = std::fs::remove_file(path);
    }
}

/// Runs the bootstrap with a progress bar (drawn only when stderr is a terminal) and reports
/// the rate.
fn run_bootstrap(
    phases: &mut Phases,
    project: &Project,
    model: &Model,
    estimates: &Estimates,
    settings: &BootstrapSettings,
    shard: Option<Shard>,
    checkpoint: (&Path, bool),
) -> Result<BootstrapResults> {
    let count = shard
        .map(|s| s.range(settings.replicates).len())
        .unwrap_or(settings.replicates);
    let results = phases.run(PHASE_BOOTSTRAP, Some(count), |tick| {
        bootstrap::run_with_checkpoint(
            project,
            model,
            estimates,
            settings,
            shard,
            tick,
            Some(checkpoint),
        )
    })?;
    let secs = phases.seconds(PHASE_BOOTSTRAP);
    let with = |status| results.draws.iter().filter(|d| d.status == status).count();
    eprintln!(
        "bootstrap: {count} replicates in {secs:.2} s ({:.1} replicates/s on {} thread(s)); {} converged, {} diverged, {} failed",
        count as f64 / secs,
        rayon::current_num_threads(),
        with(ReplicateStatus::Converged),
        with(ReplicateStatus::Diverged),
        with(ReplicateStatus::Failed),
    );
    Ok(results)
}

/// The phases of `twolevel fit`, as named in `timings.json`.
pub const PHASE_FIT: &str = "fit and standard errors";
/// The bootstrap phase.
pub const PHASE_BOOTSTRAP: &str = "bootstrap";
/// Reduced form, profiles and the Vuong test.
pub const PHASE_ANALYSES: &str = "profiles and reduced-form comparison";
/// The numbers behind the figures (comparative statics solve equilibria).
pub const PHASE_FIGURE_DATA: &str = "figure data";
/// Writing tables and figures.
pub const PHASE_REPORT: &str = "tables and figures";

/// `twolevel fit`: returns the time of each phase.
pub fn fit(a: FitArgs) -> Result<Phases> {
    let project = Project::load_or_default(a.spec.as_deref())?;
    if a.se_kind == SeKind::Cluster && project.data.cluster.is_none() {
        return Err(Error::Estimation(
            "--se cluster needs `[data] cluster = \"<column>\"` in the spec".into(),
        ));
    }
    let spec_boot = &project.spec.spec.bootstrap;
    let kind = match a.bootstrap_kind.as_deref() {
        None => spec_boot.kind,
        Some("nonparametric") => BootstrapKind::Nonparametric,
        Some("parametric") => BootstrapKind::Parametric,
        Some(other) => {
            return Err(Error::Estimation(format!(
                "--bootstrap-kind `{other}`: use nonparametric or parametric"
            )))
        }
    };
    let settings = BootstrapSettings {
        replicates: a.bootstrap.unwrap_or(spec_boot.replicates),
        kind,
        seed: a.bootstrap_seed.unwrap_or(spec_boot.seed),
    };
    let shard = a.shard.as_deref().map(Shard::parse).transpose()?;
    if settings.replicates == 0 && (shard.is_some() || a.se_kind == SeKind::Bootstrap) {
        return Err(Error::Estimation(
            "--shard and --se bootstrap need bootstrap replicates: add --bootstrap B (or `[bootstrap] replicates` in the spec)".into(),
        ));
    }
    if let Some(g) = &a.group {
        if g != "protocol" && !project.data.text_columns.contains_key(g) {
            return Err(Error::Estimation(format!(
                "--group `{g}`: the data have no such column (they have: {}, or use `protocol`)",
                project.data.column_list()
            )));
        }
    }
    let dir = a.out.unwrap_or_else(|| project.default_report_dir());
    let model = project.model()?;
    eprintln!(
        "fitting {} ({} episodes, {} distinct designs, {} free parameters)…",
        project.spec.path.display(),
        project.data.len(),
        model.designs.len(),
        model.space.free().len()
    );
    let mut phases = Phases::new();
    let fit_checkpoint = dir.join(FIT_CHECKPOINT_FILE);
    let estimates = phases.run(PHASE_FIT, None, |_| {
        twolevel::estimate::project_fit::fit_project_with_checkpoint(
            &project,
            &model,
            Some((fit_checkpoint.clone(), a.resume)),
        )
    })?;
    let report = FitReport {
        provenance: project.provenance(),
        se_kind: a.se_kind,
        estimates,
    };
    let checkpoint = dir.join(CHECKPOINT_FILE);
    let boot = if settings.replicates > 0 {
        if checkpoint.exists() && !a.resume {
            eprintln!(
                "note: {} holds an unfinished bootstrap; starting afresh (use --resume to continue it)",
                checkpoint.display()
            );
        } else if a.resume && !checkpoint.exists() {
            eprintln!(
                "note: --resume: no unfinished bootstrap in {}; starting afresh",
                dir.display()
            );
        }
        Some(run_bootstrap(
            &mut phases,
            &project,
            &model,
            &report.estimates,
            &settings,
            shard,
            (&checkpoint, a.resume),
        )?)
    } else {
        None
    };
    let before = folder::report_files(&dir);
    if let (Some(shard), Some(b)) = (shard, &boot) {
        note_replacing(&dir, &before);
        let estimates_path = dir.join(folder::ESTIMATES_FILE);
        twolevel::io::write_json(&estimates_path, &report)?;
        let mut written = vec![estimates_path];
        written.extend(bootstrap::save(&dir, b)?);
        let range = shard.range(settings.replicates);
        eprintln!(
            "shard {}/{}: replicates {}..{} of {}; combine all shards with `twolevel merge DIR... --out DIR`",
            shard.index,
            shard.count,
            range.start,
            range.end,
            settings.replicates
        );
        remove_checkpoint(&checkpoint);
        remove_checkpoint(&fit_checkpoint);
        finish(&dir, &before, &written)?;
        return Ok(phases);
    }
    let options = TableOptions {
        se_kind: a.se_kind,
        stars: a.stars,
    };
    let analyses = phases.run(
        PHASE_ANALYSES,
        Some(twolevel::analyses::profile::chains(
            &model,
            &report.estimates,
        )),
        |tick| twolevel::analyses::fit_analyses(&project, &model, &report, tick),
    )?;
    // The report is written before anything goes to stdout, so a closed pipe
    // (`twolevel fit | head`) cannot lose it.
    note_replacing(&dir, &before);
    let content = phases.run(PHASE_FIGURE_DATA, None, |_| {
        report_content(
            &project,
            &model,
            a.group,
            &report,
            boot.as_ref(),
            &analyses,
            options,
        )
    })?;
    let mut written = phases.run(PHASE_REPORT, None, |_| folder::write(&dir, &content))?;
    let timings = dir.join(TIMINGS_FILE);
    twolevel::io::write_json(&timings, &phases)?;
    written.push(timings);
    if !a.quiet {
        print!("{}", tables::text(&report, &options, boot.as_ref()));
        print_benchmark(&analyses);
    }
    remove_checkpoint(&fit_checkpoint);
    remove_checkpoint(&checkpoint);
    finish(&dir, &before, &written)?;
    eprintln!(
        "time: {} (total {:.1} s on {} thread(s))",
        phases
            .phases
            .iter()
            .map(|p| format!("{} {:.1} s", p.phase, p.seconds))
            .collect::<Vec<_>>()
            .join(", "),
        phases.total_seconds,
        phases.threads
    );
    Ok(phases)
}

/// What a complete report folder shows: the fit, its bootstrap and analyses, and the numbers of
/// the figures ([`figure_data`]; the shares grouped by `group`, else by [`default_group`]).
fn report_content<'a>(
    project: &Project,
    model: &Model,
    group: Option<String>,
    report: &'a FitReport,
    bootstrap: Option<&'a BootstrapResults>,
    analyses: &'a FitAnalyses,
    options: TableOptions,
) -> Result<Content<'a>> {
    let group = group.unwrap_or_else(|| default_group(project));
    Ok(Content {
        name: project.spec.stem(),
        report,
        bootstrap,
        analyses,
        options,
        labels: project.labels(),
        figures: figure_data(
            project,
            model,
            report,
            bootstrap,
            &analyses.profiles,
            &group,
        )?,
    })
}

fn print_benchmark(analyses: &FitAnalyses) {
    let rf = &analyses.reduced;
    let v = &analyses.vuong;
    let test = if v.distinguishable {
        format!(
            "Vuong z = {:.3} (p = {:.3}; BIC-corrected z = {:.3}, p = {:.3}, counting {} structural parameters and the {} identified reduced-form coefficients)",
            v.statistic, v.p_value, v.corrected_statistic, v.corrected_p_value, v.k1, v.k2
        )
    } else {
        "Vuong test".to_string()
    };
    println!(
        "Reduced form (multinomial logit, {} coefficients): log-likelihood {:.3}, AIC {:.2}. {test}: {}.",
        rf.n_free,
        rf.loglik,
        rf.aic(),
        v.verdict("structural model", "reduced form")
    );
    for w in &rf.warnings {
        println!("note (reduced form): {w}");
    }
    for p in &analyses.profiles {
        let end = |v: Option<f64>| {
            v.map(|x| format!("{x:.4}"))
                .unwrap_or_else(|| "beyond the search range".into())
        };
        let failed = match p.failed_points {
            0 => String::new(),
            1 => " (1 profile fit did not converge and is left out)".into(),
            n => format!(" ({n} profile fits did not converge and are left out)"),
        };
        println!(
            "Profile likelihood 95% interval of {}: [{}, {}]{failed}",
            p.name,
            end(p.interval.0),
            end(p.interval.1)
        );
    }
}

/// `twolevel merge`.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    spec: Option<&Path>,
    se: Option<SeKind>,
    stars: bool,
    group: Option<String>,
) -> Result<()> {
    let mut parts = Vec::new();
    let mut report: Option<FitReport> = None;
    for d in dirs {
        let saved = folder::load(d)?;
        let b = saved.bootstrap.ok_or_else(|| {
            Error::Results(format!("`{}` has no bootstrap.json: it is not a shard folder of `fit --bootstrap B --shard I/N`", d.display()))
        })?;
        match &report {
            None => report = Some(saved.report),
            Some(r)
                if r.estimates != saved.report.estimates
                    || r.provenance != saved.report.provenance =>
            {
                return Err(Error::Results(format!(
                    "`{}` holds a different fit than `{}`; merge only the shards of one run",
                    d.display(),
                    dirs[0].display()
                )))
            }
            Some(_) => {}
        }
        parts.push(b);
    }
    let mut report = report.expect("at least one folder");
    let project = folder::project_of(&report, spec, &dirs[0])?;
    let model = project.model()?;
    let merged = bootstrap::merge(&model, parts)?;
    eprintln!(
        "merged {} shard folder(s): {}",
        dirs.len(),
        merged.describe()
    );
    if let Some(k) = se {
        report.se_kind = k;
    }
    let options = TableOptions {
        se_kind: report.se_kind,
        stars,
    };
    let analyses = Phases::new().run(
        PHASE_ANALYSES,
        Some(twolevel::analyses::profile::chains(
            &model,
            &report.estimates,
        )),
        |tick| twolevel::analyses::fit_analyses(&project, &model, &report, tick),
    )?;
    print!("{}", tables::text(&report, &options, Some(&merged)));
    let before = folder::report_files(out);
    note_replacing(out, &before);
    let content = report_content(
        &project,
        &model,
        group,
        &report,
        Some(&merged),
        &analyses,
        options,
    )?;
    let written = folder::write(out, &content)?;
    finish(out, &before, &written)
}

/// `twolevel report`.
pub fn report(
    spec: Option<&Path>,
    out: Option<PathBuf>,
    se: Option<SeKind>,
    stars: bool,
    group: Option<String>,
) -> Result<()> {
    let project = Project::load_or_default(spec)?;
    let dir = out.unwrap_or_else(|| project.default_report_dir());
    let saved = folder::load(&dir)?;
    folder::check_provenance(&saved.report, &project, &dir)?;
    let model = project.model()?;
    if let Some(b) = &saved.bootstrap {
        if b.summary.is_none() {
            return Err(Error::Results(format!(
                "`{}` holds one shard of a bootstrap; combine the shards first with `twolevel merge`",
                dir.display()
            )));
        }
    }
    // The summary is recomputed from the draws (it is derived, not fitted).
    let boot = saved.bootstrap.map(|mut b| {
        let summary = bootstrap::summarize(&model, &b.draws, b.meta.settings.replicates);
        b.meta.summary = Some(summary.clone());
        b.summary = Some(summary);
        b
    });
    let mut report = saved.report;
    if let Some(k) = se {
        report.se_kind = k;
    }
    let analyses = match (saved.reduced, saved.profiles) {
        (Some(reduced), Some(profiles)) => {
            twolevel::analyses::saved_fit_analyses(&project, &model, &report, reduced, profiles)?
        }
        _ => {
            eprintln!("note: {} has no reduced_form.json / profiles.json (an older report): computing them (the structural fit is not redone)", dir.display());
            Phases::new().run(
                PHASE_ANALYSES,
                Some(twolevel::analyses::profile::chains(
                    &model,
                    &report.estimates,
                )),
                |tick| twolevel::analyses::fit_analyses(&project, &model, &report, tick),
            )?
        }
    };
    let options = TableOptions {
        se_kind: report.se_kind,
        stars,
    };
    print!("{}", tables::text(&report, &options, boot.as_ref()));
    let before = folder::report_files(&dir);
    let content = report_content(
        &project,
        &model,
        group,
        &report,
        boot.as_ref(),
        &analyses,
        options,
    )?;
    let written = folder::write(&dir, &content)?;
    eprintln!(
        "regenerated {} files in {} from the saved results (no refit)",
        written.len(),
        dir.display()
    );
    finish(&dir, &before, &written)
}

/// `twolevel compare`.
pub fn compare(
    specs: &[PathBuf],
    out: Option<PathBuf>,
    se_kind: SeKind,
    stars: bool,
) -> Result<()> {
    if se_kind == SeKind::Bootstrap {
        return Err(Error::Estimation(
            "compare shows analytic SEs: use --se hessian, robust or cluster".into(),
        ));
    }
    let projects: Vec<Project> = specs
        .iter()
        .map(|s| Project::load(s))
        .collect::<Result<_>>()?;
    if se_kind == SeKind::Cluster {
        if let Some(p) = projects.iter().find(|p| p.data.cluster.is_none()) {
            return Err(Error::Estimation(format!(
                "--se cluster: spec `{}` has no `[data] cluster`",
                p.spec.path.display()
            )));
        }
    }
    eprintln!(
        "fitting {} spec(s) and their reduced-form benchmarks…",
        projects.len()
    );
    let (comparison, _) = twolevel::analyses::comparison::compare_projects(&projects, se_kind)?;
    let dir = out.unwrap_or_else(|| PathBuf::from("reports").join("comparison"));
    let files: Vec<(PathBuf, String)> = vec![
        (
            dir.join("comparison.md"),
            twolevel::report::compare::markdown(&comparison, stars),
        ),
        (
            dir.join("comparison.tex"),
            twolevel::report::compare::latex(&comparison, stars),
        ),
        (
            dir.join("comparison.csv"),
            twolevel::report::compare::csv(&comparison),
        ),
    ];
    print!("{}", files[0].1);
    let replaced: Vec<PathBuf> = files
        .iter()
        .map(|f| f.0.clone())
        .filter(|p| p.exists())
        .collect();
    note_replacing(&dir, &replaced);
    for (p, text) in &files {
        twolevel::io::write_text(p, text)?;
    }
    eprintln!(
        "wrote {}",
        names(&files.iter().map(|f| f.0.clone()).collect::<Vec<_>>())
    );
    Ok(())
}
