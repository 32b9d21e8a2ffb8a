//! The `twolevel` command-line interface.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod commands;
use twolevel::analyses::predict::{predict_frame, simulate_frame, PREDICTION_FLOATS};
use twolevel::error::{Error, Result};
use twolevel::estimate::project_fit::FitReport;
use twolevel::estimate::SeKind;
use twolevel::io::{write_table, FloatStyle};
use twolevel::problem::project::{read_params, Project};
use twolevel::report::tables::TableOptions;

/// Structural estimation of two-level games of treaty ratification (after Iida 1996).
///
/// A spec file (TOML) names a dataset of ratification episodes and the model to fit: the
/// distribution of the home ratifier's threshold, its covariates, the protocol of each episode
/// (poll, vote, renegotiation), who proposes, and which structural scalars are free. See
/// README.md for the spec reference and MODEL.md for the model.
#[derive(Parser)]
#[command(name = "twolevel", version, about, long_about, max_term_width = 100)]
struct Cli {
    /// Worker threads (default: all cores). Results are identical for any number.
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit a spec by maximum likelihood and write its report.
    ///
    /// Prints the estimates table and writes the report into DIR (default reports/<spec file
    /// stem>/): estimates.{json,md,tex,csv} (booktabs LaTeX), the comparison with the
    /// reduced-form multinomial logit and its Vuong test (comparison.{md,tex,csv}), profile
    /// log-likelihoods (profiles.json), figures (PNG and SVG: shares by group, calibration,
    /// comparative statics, profiles, bootstrap distributions) and, with --bootstrap B, every
    /// draw (bootstrap.csv). Without SPEC, fits the embedded default example (EU treaty
    /// ratifications with renegotiation, estimation/eu_renegotiation.toml). At the estimate,
    /// every design's equilibrium is certified (each stage's maximum proven within 1e-9 of an
    /// upper bound over its feasible set): the table note says so, and a warning names what is
    /// not. An earlier report in DIR is replaced: the command lists the files it replaces and
    /// those of the earlier report that it removes.
    Fit {
        /// The spec file (TOML). Omit to fit the embedded EU example.
        spec: Option<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Which standard errors the tables show: hessian | robust | cluster | bootstrap.
        #[arg(long, default_value = "hessian")]
        se: String,
        /// Mark estimates with significance stars in the tables.
        #[arg(long)]
        stars: bool,
        /// Bootstrap with B replicates (default: `[bootstrap] replicates` of the spec, 0 = none).
        /// Adds bootstrap SEs and 95% percentile intervals to the tables and writes every draw
        /// to bootstrap.csv with its status: converged, diverged (the likelihood has no finite
        /// maximum; it enters the percentile intervals at its end) or failed (left out).
        #[arg(long, value_name = "B")]
        bootstrap: Option<usize>,
        /// Bootstrap kind: nonparametric (resample episodes, or whole clusters when the spec
        /// has `[data] cluster`) | parametric (draw outcomes from the estimate). Default:
        /// `[bootstrap] kind` of the spec.
        #[arg(long, value_name = "KIND")]
        bootstrap_kind: Option<String>,
        /// Seed of the bootstrap (default: `[bootstrap] seed` of the spec).
        #[arg(long)]
        bootstrap_seed: Option<u64>,
        /// Run only shard I of N of the bootstrap (e.g. 3/8) and write its draws; combine the
        /// shard folders with `twolevel merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Data column that groups the observed-vs-predicted shares figure (default: route
        /// when the data have it, else `protocol`).
        #[arg(long)]
        group: Option<String>,
        /// Continue an interrupted run (Ctrl-C, kill, a crash) from the starts and bootstrap
        /// replicates it had finished (DIR/.fit.checkpoint, DIR/.bootstrap.checkpoint); the
        /// result is exactly that of an uninterrupted run.
        #[arg(long)]
        resume: bool,
    },
    /// Combine bootstrap shard folders into one report, exactly as one run would have written it.
    ///
    /// Each DIR is the --out folder of `twolevel fit SPEC --bootstrap B --shard I/N`. Checks
    /// that the shards belong to one run (same spec, data, fit, B, kind and seed) and that every
    /// shard 1..N is present once, then writes the complete report (tables, figures,
    /// bootstrap.csv with all draws in replicate order) into --out.
    Merge {
        /// Shard folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// The spec (default: the spec named in the shards' estimates.json, or the embedded
        /// example).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Which standard errors the tables show (default: as in the shards).
        #[arg(long)]
        se: Option<String>,
        /// Significance stars.
        #[arg(long)]
        stars: bool,
        /// Group column of the shares figure.
        #[arg(long)]
        group: Option<String>,
    },
    /// Regenerate every table and figure of a report folder from its saved results, without
    /// refitting.
    ///
    /// Reads estimates.json, bootstrap.csv/.json, reduced_form.json and profiles.json from DIR
    /// (default reports/<spec file stem>/), checks that they belong to SPEC and its data, and
    /// rewrites the tables (estimates, comparison) and figures.
    Report {
        /// The spec file. Omit for the embedded EU example.
        spec: Option<PathBuf>,
        /// The report folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Which standard errors the tables show (default: as saved).
        #[arg(long)]
        se: Option<String>,
        /// Significance stars.
        #[arg(long)]
        stars: bool,
        /// Group column of the shares figure.
        #[arg(long)]
        group: Option<String>,
    },
    /// Fit several specs and put them side by side with a reduced-form benchmark.
    ///
    /// One column per spec, then a multinomial logit of the outcome on each spec's `[home]
    /// location` covariates, with the Vuong test of each structural model against it. Writes
    /// comparison.md, comparison.tex (booktabs) and comparison.csv into DIR (default
    /// reports/comparison/).
    Compare {
        /// Spec files.
        #[arg(required = true)]
        specs: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Which standard errors the structural columns show: hessian | robust | cluster.
        #[arg(long, default_value = "hessian")]
        se: String,
        /// Significance stars.
        #[arg(long)]
        stars: bool,
    },
    /// Predict outcome probabilities and equilibrium offers for every data row.
    ///
    /// Writes one row per data row, in data order: the id column (when the spec has one),
    /// p_ratified, p_renegotiated, p_failed, the offers of each stage (offer_poll, offer_vote,
    /// offer_renegotiation; empty where the row's protocol has no such stage; with a mixed
    /// proposer, the offers of the more likely proposer), the expected home share in
    /// agreements that enter into force, the probability of strategic rejections, and
    /// `certified`: true when every stage of the row's equilibrium is proven optimal (an upper
    /// bound over the whole feasible set within 1e-9 of the value; false rows deserve a look,
    /// see the README's "Certified equilibria"). CSV (numbers with 12 decimals) unless --out
    /// ends in .parquet (Parquet).
    Predict {
        /// The spec file.
        spec: PathBuf,
        /// Parameter values: a JSON object {"name": value} on the natural scale, or an
        /// estimates.json. Fixed parameters may be omitted.
        #[arg(long)]
        params: PathBuf,
        /// Output file: CSV, or Parquet when it ends in .parquet.
        #[arg(long)]
        out: PathBuf,
    },
    /// Simulate outcomes from the model for the spec's data rows.
    ///
    /// Writes the data rows (or N rows resampled from them with the seed), every column as
    /// read, with the outcome column drawn from the model at PARAMS. Same seed, same output.
    /// CSV unless --out ends in .parquet (Parquet).
    Simulate {
        /// The spec file.
        spec: PathBuf,
        /// Parameter values (as for predict).
        #[arg(long)]
        params: PathBuf,
        /// Seed of the draws.
        #[arg(long)]
        seed: u64,
        /// Resample this many rows (with replacement) instead of using each row once.
        #[arg(long)]
        n: Option<usize>,
        /// Output file: CSV, or Parquet when it ends in .parquet.
        #[arg(long)]
        out: PathBuf,
    },
    /// Predict the effects of institutional reforms (counterfactual scenarios) from a fit.
    ///
    /// SCENARIOS is a TOML file of `[[scenario]]` tables, each a named set of changes: covariate
    /// values (`set`), protocol switches (`poll`, `renegotiation`, `foreign_constraint`), the
    /// proposer, and parameter values, for all rows or the rows a `where` filter selects (see
    /// README.md, "Counterfactuals"). Uses the fit saved in DIR (estimates.json; the spec is
    /// fitted first if there is none) and, when DIR has a bootstrap.csv, re-solves the model at
    /// every converged draw for percentile intervals; delta-method standard errors come from
    /// the fit's covariance. Writes counterfactual.json, .md, .tex (booktabs), .csv and the
    /// forest plot counterfactual_forest.png/.svg into DIR (default reports/<spec file stem>/).
    Counterfactual {
        /// The spec file (fitted, or to be fitted).
        spec: PathBuf,
        /// The scenario file (TOML).
        scenarios: PathBuf,
        /// The report folder: where the fit is read from and the results are written.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also report by the values of this data column (e.g. route, treaty, country).
        #[arg(long)]
        group: Option<String>,
    },
    /// Measure likelihood throughput and fit times on simulated data.
    ///
    /// For each protocol and each N, reports episodes per second of a likelihood evaluation
    /// and of a likelihood+gradient evaluation on 1 and 2 threads, then the time of a full fit
    /// of the renegotiation model at the largest N. `--protocols one-shot --n 1000000
    /// --threads 1 --no-fit` measures the closed form alone at the size of the numpy peer.
    Bench {
        /// Sample sizes, comma-separated.
        #[arg(long, default_value = "1000,10000,100000", value_delimiter = ',')]
        n: Vec<usize>,
        /// Thread counts, comma-separated.
        #[arg(long, default_value = "1,2", value_delimiter = ',')]
        threads: Vec<usize>,
        /// Minimum seconds per timing.
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
        /// Protocols to measure, comma-separated (default: all four).
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "one-shot,renegotiation,poll,poll-renegotiation"
        )]
        protocols: Vec<BenchProtocol>,
        /// Skip the full-fit timing.
        #[arg(long)]
        no_fit: bool,
        /// Also write the measurements as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

/// A protocol that `twolevel bench` measures.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum BenchProtocol {
    /// `[vote]` (the Lambert-W closed form).
    OneShot,
    /// `[vote, renegotiation]`.
    Renegotiation,
    /// `[poll, vote]`.
    Poll,
    /// `[poll, vote, renegotiation]`.
    PollRenegotiation,
}

impl BenchProtocol {
    fn mix(self) -> twolevel::analyses::synthetic::ProtocolMix {
        use twolevel::analyses::synthetic::ProtocolMix;
        match self {
            BenchProtocol::OneShot => ProtocolMix::OneShot,
            BenchProtocol::Renegotiation => ProtocolMix::Renegotiation,
            BenchProtocol::Poll => ProtocolMix::Poll,
            BenchProtocol::PollRenegotiation => ProtocolMix::PollRenegotiation,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(t) = cli.threads {
        if t == 0 {
            eprintln!("error: --threads must be at least 1");
            return ExitCode::from(2);
        }
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global();
    }
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_se(text: &str) -> Result<SeKind> {
    match text {
        "hessian" => Ok(SeKind::Hessian),
        "robust" => Ok(SeKind::Robust),
        "cluster" => Ok(SeKind::Cluster),
        "bootstrap" => Ok(SeKind::Bootstrap),
        other => Err(Error::Estimation(format!(
            "--se `{other}`: use hessian, robust, cluster or bootstrap"
        ))),
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Fit {
            spec,
            out,
            se,
            stars,
            bootstrap,
            bootstrap_kind,
            bootstrap_seed,
            shard,
            group,
            resume,
        } => commands::fit(commands::FitArgs {
            spec,
            out,
            se_kind: parse_se(&se)?,
            stars,
            bootstrap,
            bootstrap_kind,
            bootstrap_seed,
            shard,
            group,
            resume,
            quiet: false,
        })
        .map(|_| ()),
        Command::Merge {
            dirs,
            out,
            spec,
            se,
            stars,
            group,
        } => commands::merge(
            &dirs,
            &out,
            spec.as_deref(),
            se.as_deref().map(parse_se).transpose()?,
            stars,
            group,
        ),
        Command::Report {
            spec,
            out,
            se,
            stars,
            group,
        } => commands::report(
            spec.as_deref(),
            out,
            se.as_deref().map(parse_se).transpose()?,
            stars,
            group,
        ),
        Command::Compare {
            specs,
            out,
            se,
            stars,
        } => commands::compare(&specs, out, parse_se(&se)?, stars),
        Command::Predict { spec, params, out } => {
            let project = Project::load(&spec)?;
            let model = project.model()?;
            let theta = read_params(&params, &model)?;
            let mut predictions = predict_frame(&project, &model, &theta)?;
            write_table(&out, &mut predictions, PREDICTION_FLOATS)?;
            eprintln!("wrote {} ({} rows)", out.display(), project.data.len());
            Ok(())
        }
        Command::Simulate {
            spec,
            params,
            seed,
            n,
            out,
        } => {
            let project = Project::load(&spec)?;
            let model = project.model()?;
            let theta = read_params(&params, &model)?;
            if n == Some(0) {
                return Err(Error::Estimation("--n 0: ask for at least one row".into()));
            }
            let mut simulated = simulate_frame(&project, &model, &theta, seed, n)?;
            write_table(&out, &mut simulated, FloatStyle::Shortest)?;
            eprintln!(
                "wrote {} ({} rows, seed {seed})",
                out.display(),
                n.unwrap_or(project.data.len())
            );
            Ok(())
        }
        Command::Counterfactual {
            spec,
            scenarios,
            out,
            group,
        } => counterfactual(&spec, &scenarios, out, group),
        Command::Bench {
            n,
            threads,
            seconds,
            protocols,
            no_fit,
            json,
        } => bench(&n, &threads, seconds, &protocols, no_fit, json.as_deref()),
    }
}

fn counterfactual(
    spec: &Path,
    scenarios: &Path,
    out: Option<PathBuf>,
    group: Option<String>,
) -> Result<()> {
    use twolevel::analyses::counterfactual::{self, Options, ScenarioFile};
    let project = Project::load(spec)?;
    let file = ScenarioFile::read(scenarios)?;
    let dir = out.unwrap_or_else(|| project.default_report_dir());
    let model = project.model()?;
    // A fit made here is written only after the scenarios have run: bad scenarios leave
    // nothing behind.
    let (report, mut warnings, fitted_here) = match counterfactual::load_estimates(&project, &dir)?
    {
        Some((report, warnings)) => (report, warnings, false),
        None => {
            eprintln!(
                "no estimates.json in {}: fitting {} first…",
                dir.display(),
                project.spec.path.display()
            );
            let report = FitReport {
                provenance: project.provenance(),
                se_kind: SeKind::Hessian,
                estimates: twolevel::estimate::project_fit::fit_project(&project, &model)?,
            };
            (report, Vec::new(), true)
        }
    };
    let draws_path = dir.join("bootstrap.csv");
    let draws = if draws_path.exists() {
        Some(counterfactual::read_draws(&draws_path, &model.space)?)
    } else {
        None
    };
    let options = Options {
        group,
        draws,
        ..Options::default()
    };
    let mut result = counterfactual::run(&project, &report.estimates, &file, &options)?;
    if fitted_here {
        let written = twolevel::report::write_fit_report(
            &dir,
            &report,
            &TableOptions::default(),
            None,
            &project.labels(),
        )?;
        eprintln!("wrote {}", list(&written));
    }
    warnings.append(&mut result.warnings);
    result.warnings = warnings;
    print!("{}", twolevel::report::counterfactual_tables::text(&result));
    let written = twolevel::report::write_counterfactual_report(&dir, &result, &project.labels())?;
    for w in result
        .warnings
        .iter()
        .chain(result.scenarios.iter().flat_map(|s| &s.warnings))
    {
        eprintln!("warning: {w}");
    }
    eprintln!("wrote {}", list(&written));
    Ok(())
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn bench(
    sizes: &[usize],
    threads: &[usize],
    seconds: f64,
    protocols: &[BenchProtocol],
    no_fit: bool,
    json: Option<&Path>,
) -> Result<()> {
    use twolevel::analyses::synthetic::ProtocolMix;
    println!(
        "| protocol | N | threads | loglik episodes/s | loglik+gradient episodes/s | free params | certified solve episodes/s (share certified) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut all = Vec::new();
    for protocols in protocols.iter().map(|p| p.mix()) {
        for &n in sizes {
            for &t in threads {
                let m = twolevel::bench::measure(protocols, n, t, seconds)?;
                println!(
                    "| {} | {} | {} | {:.0} | {:.0} | {} | {:.0} ({:.1}%) |",
                    m.protocol,
                    m.n,
                    m.threads,
                    m.loglik_episodes_per_s,
                    m.gradient_episodes_per_s,
                    m.n_free,
                    m.certified_episodes_per_s,
                    100.0 * m.certified_share
                );
                all.push(m);
            }
        }
    }
    let mut fits = Vec::new();
    let mut end_to_end = Vec::new();
    if !no_fit {
        let n = *sizes.iter().max().unwrap_or(&100_000);
        for &t in threads {
            let (secs, converged, iters) =
                twolevel::bench::fit_time(ProtocolMix::Renegotiation, n, t)?;
            println!("full fit, [vote, renegotiation], N = {n}, {t} thread(s): {secs:.2} s (converged: {converged}, {iters} iterations)");
            fits.push(serde_json::json!({"protocol": "[vote, renegotiation]", "n": n, "threads": t, "seconds": secs, "converged": converged, "iterations": iters}));
        }
        for &t in threads {
            let phases = bench_fit_command(n, t)?;
            println!(
                "end-to-end `twolevel fit`, [vote, renegotiation], N = {n}, 5 free parameters, {t} thread(s): {:.1} s ({})",
                phases.total_seconds,
                phases
                    .phases
                    .iter()
                    .map(|p| format!("{} {:.1} s", p.phase, p.seconds))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            end_to_end.push(serde_json::json!({"protocol": "[vote, renegotiation]", "n": n, "threads": t, "phases": phases}));
        }
    }
    if let Some(path) = json {
        twolevel::io::write_json(
            path,
            &serde_json::json!({"evaluations": all, "fits": fits, "end_to_end": end_to_end}),
        )?;
    }
    Ok(())
}

/// The whole `twolevel fit` command (fit and SEs, profiles, reduced-form comparison, tables
/// and figures, written into a scratch folder) on `n` simulated `[vote, renegotiation]`
/// episodes with two continuous covariates and `rho`, `delta_ratifier` free (5 free
/// parameters), on `threads` threads. Returns the time of each phase.
fn bench_fit_command(n: usize, threads: usize) -> Result<commands::Phases> {
    use twolevel::analyses::synthetic::{ProtocolMix, Simulation};
    let simulation = Simulation {
        home_covariates: vec!["const", "x", "z"],
        free_scalars: vec!["rho", "delta_ratifier"],
        ..Simulation::new(n, ProtocolMix::Renegotiation, 7)
    };
    let (project, _) = simulation.generate()?;
    let dir = std::env::temp_dir().join(format!("twolevel-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    let spec = dir.join("synthetic.toml");
    twolevel::io::write_text(&spec, &simulation.spec_text())?;
    let data = dir.join("synthetic.csv");
    std::fs::write(&data, &project.data.bytes).map_err(|e| Error::io("write", &data, e))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Estimation(format!("cannot start {threads} threads ({e})")))?;
    let phases = pool.install(|| {
        commands::fit(commands::FitArgs {
            spec: Some(spec),
            out: Some(dir.join("report")),
            se_kind: SeKind::Hessian,
            stars: false,
            bootstrap: Some(0),
            bootstrap_kind: None,
            bootstrap_seed: None,
            shard: None,
            group: None,
            resume: false,
            quiet: true,
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
    phases
}
