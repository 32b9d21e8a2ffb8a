//! The `twolevel` command-line interface.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use twolevel::error::{Error, Result};
use twolevel::estimate::SeKind;
use twolevel::report::tables::{self, TableOptions};
use twolevel::workflow::{predict_csv, read_params, simulate_csv, FitReport, Project};

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
    /// Prints the estimates table and writes estimates.json, estimates.md, estimates.tex
    /// (booktabs) and estimates.csv into DIR (default reports/<spec file stem>/). Without SPEC,
    /// fits the embedded default example (EU treaty ratifications with renegotiation,
    /// estimation/eu_renegotiation.toml). An earlier report in DIR is replaced, and the
    /// command says which files it replaces.
    Fit {
        /// The spec file (TOML). Omit to fit the embedded EU example.
        spec: Option<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Which standard errors the tables show: hessian | robust | cluster.
        #[arg(long, default_value = "hessian")]
        se: String,
        /// Mark estimates with significance stars in the tables.
        #[arg(long)]
        stars: bool,
    },
    /// Predict outcome probabilities and equilibrium offers for every data row.
    ///
    /// Writes one CSV row per data row, in data order: the id column (when the spec has one),
    /// p_ratified, p_renegotiated, p_failed, the offers of each stage (offer_poll, offer_vote,
    /// offer_renegotiation; empty where the row's protocol has no such stage; with a mixed
    /// proposer, the offers of the more likely proposer), the expected home share in
    /// agreements that enter into force, and the probability of strategic rejections.
    Predict {
        /// The spec file.
        spec: PathBuf,
        /// Parameter values: a JSON object {"name": value} on the natural scale, or an
        /// estimates.json. Fixed parameters may be omitted.
        #[arg(long)]
        params: PathBuf,
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Simulate outcomes from the model for the spec's data rows.
    ///
    /// Writes the data rows (or N rows resampled from them with the seed) with the outcome
    /// column drawn from the model at PARAMS. Same seed, same output.
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
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure likelihood throughput and fit times on simulated data.
    ///
    /// For each protocol and each N, reports episodes per second of a likelihood evaluation
    /// and of a likelihood+gradient evaluation on 1 and 2 threads, then the time of a full fit
    /// of the renegotiation model at the largest N.
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
        /// Skip the full-fit timing.
        #[arg(long)]
        no_fit: bool,
        /// Also write the measurements as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(t) = cli.threads {
        if t == 0 {
            eprintln!("error: --threads must be at least 1");
            return ExitCode::from(2);
        }
        let _ = rayon::ThreadPoolBuilder::new().num_threads(t).build_global();
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
        other => Err(Error::Estimation(format!("--se `{other}`: use hessian, robust or cluster"))),
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Fit { spec, out, se, stars } => {
            let se_kind = parse_se(&se)?;
            let project = Project::load_or_default(spec.as_deref())?;
            if se_kind == SeKind::Cluster && project.data.cluster.is_none() {
                return Err(Error::Estimation("--se cluster needs `[data] cluster = \"<column>\"` in the spec".into()));
            }
            let dir = out.unwrap_or_else(|| project.default_report_dir());
            let model = project.model()?;
            eprintln!(
                "fitting {} ({} episodes, {} distinct designs, {} free parameters)…",
                project.spec.path.display(),
                project.data.len(),
                model.designs.len(),
                model.space.free().len()
            );
            let estimates = project.fit(&model)?;
            let report = FitReport {
                provenance: project.provenance(),
                se_kind,
                estimates,
            };
            let options = TableOptions { se_kind, stars };
            print!("{}", tables::text(&report, &options, None));
            let replaced = twolevel::report::previous_report(&dir);
            if !replaced.is_empty() {
                eprintln!(
                    "note: replacing the earlier report in {} ({})",
                    dir.display(),
                    replaced.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect::<Vec<_>>().join(", ")
                );
            }
            let written = twolevel::report::write_fit_report(&dir, &report, &options, None)?;
            eprintln!("wrote {}", list(&written));
            Ok(())
        }
        Command::Predict { spec, params, out } => {
            let project = Project::load(&spec)?;
            let model = project.model()?;
            let theta = read_params(&params, &model)?;
            let text = predict_csv(&project, &model, &theta)?;
            twolevel::io::write_text(&out, &text)?;
            eprintln!("wrote {} ({} rows)", out.display(), project.data.len());
            Ok(())
        }
        Command::Simulate { spec, params, seed, n, out } => {
            let project = Project::load(&spec)?;
            let model = project.model()?;
            let theta = read_params(&params, &model)?;
            if n == Some(0) {
                return Err(Error::Estimation("--n 0: ask for at least one row".into()));
            }
            let text = simulate_csv(&project, &model, &theta, seed, n)?;
            twolevel::io::write_text(&out, &text)?;
            eprintln!("wrote {} ({} rows, seed {seed})", out.display(), n.unwrap_or(project.data.len()));
            Ok(())
        }
        Command::Bench { n, threads, seconds, no_fit, json } => bench(&n, &threads, seconds, no_fit, json.as_deref()),
    }
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

fn bench(sizes: &[usize], threads: &[usize], seconds: f64, no_fit: bool, json: Option<&Path>) -> Result<()> {
    use twolevel::synthetic::ProtocolMix;
    println!("| protocol | N | threads | loglik episodes/s | loglik+gradient episodes/s | free params |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut all = Vec::new();
    for protocols in [ProtocolMix::OneShot, ProtocolMix::Renegotiation, ProtocolMix::Poll, ProtocolMix::PollRenegotiation] {
        for &n in sizes {
            for &t in threads {
                let m = twolevel::bench::measure(protocols, n, t, seconds)?;
                println!(
                    "| {} | {} | {} | {:.0} | {:.0} | {} |",
                    m.protocol, m.n, m.threads, m.loglik_episodes_per_s, m.gradient_episodes_per_s, m.n_free
                );
                all.push(m);
            }
        }
    }
    let mut fits = Vec::new();
    if !no_fit {
        let n = *sizes.iter().max().unwrap_or(&100_000);
        for &t in threads {
            let (secs, converged, iters) = twolevel::bench::fit_time(ProtocolMix::Renegotiation, n, t)?;
            println!("full fit, [vote, renegotiation], N = {n}, {t} thread(s): {secs:.2} s (converged: {converged}, {iters} iterations)");
            fits.push(serde_json::json!({"protocol": "[vote, renegotiation]", "n": n, "threads": t, "seconds": secs, "converged": converged, "iterations": iters}));
        }
    }
    if let Some(path) = json {
        twolevel::io::write_json(path, &serde_json::json!({"evaluations": all, "fits": fits}))?;
    }
    Ok(())
}
