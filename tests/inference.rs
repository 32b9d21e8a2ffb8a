//! The bootstrap, its shards and the intervals, on simulated data with known truth.
//!
//! * a run gives the same draws on 1 and 2 threads, and 4 shards merged (through their files)
//!   give exactly the files of one run;
//! * the cluster bootstrap resamples whole clusters; frequency weights resample episodes;
//! * a resample without failures (no finite maximum) is `diverged` and enters the percentile
//!   interval at its end, through `bootstrap.csv` and back;
//! * bootstrap SEs agree with the analytic SEs on a large sample (within 25%);
//! * Wald and bootstrap-percentile 95% intervals cover the truth in a CI-sized Monte Carlo,
//!   between a lower and an upper bound (the larger Monte Carlo is `#[ignore]`d:
//!   `cargo test --test inference -- --ignored`).

use std::path::Path;
use std::time::Instant;
use twolevel::analyses::bootstrap::{
    self, BootstrapResults, BootstrapSettings, ReplicateStatus, Shard,
};
use twolevel::analyses::synthetic::{ProtocolMix, Simulation};
use twolevel::estimate::Estimates;
use twolevel::problem::data::Dataset;
use twolevel::problem::likelihood::Model;
use twolevel::problem::project::Project;
use twolevel::problem::spec::{BootstrapKind, SpecFile};

fn one_shot(n: usize, seed: u64) -> (Project, Vec<f64>) {
    Simulation::new(n, ProtocolMix::OneShot, seed)
        .generate()
        .expect("simulation")
}

/// The simulated project with a cluster column `g` (`clusters` clusters, rows assigned in turn).
fn with_clusters(project: &Project, clusters: usize) -> Project {
    let text = project
        .spec
        .text
        .replace("id = \"episode\"\n", "id = \"episode\"\ncluster = \"g\"\n");
    let spec = SpecFile::parse(&text, Path::new("synthetic.toml")).unwrap();
    let csv = String::from_utf8(project.data.bytes.clone()).unwrap();
    let mut out = String::new();
    for (i, line) in csv.lines().enumerate() {
        if i == 0 {
            out.push_str(&format!("{line},g\n"));
        } else {
            out.push_str(&format!("{line},c{}\n", (i - 1) % clusters));
        }
    }
    let data = Dataset::from_bytes(&spec, Path::new("synthetic.csv"), out.into_bytes()).unwrap();
    Project { spec, data }
}

fn fit(project: &Project) -> (Model, Estimates) {
    let model = project.model().unwrap();
    let est = twolevel::estimate::project_fit::fit_project(project, &model).unwrap();
    assert!(est.converged, "the point fit converges");
    (model, est)
}

fn run(
    project: &Project,
    model: &Model,
    est: &Estimates,
    settings: &BootstrapSettings,
    shard: Option<Shard>,
    threads: usize,
) -> BootstrapResults {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| bootstrap::run(project, model, est, settings, shard, &|| {}))
        .unwrap()
}

#[test]
fn shards_merge_bit_for_bit_and_threads_do_not_matter() {
    let (project, _) = Simulation::new(300, ProtocolMix::Renegotiation, 11)
        .generate()
        .unwrap();
    let (model, est) = fit(&project);
    let settings = BootstrapSettings {
        replicates: 10,
        kind: BootstrapKind::Nonparametric,
        seed: 42,
    };
    let single = run(&project, &model, &est, &settings, None, 2);
    let serial = run(&project, &model, &est, &settings, None, 1);
    assert_eq!(single, serial, "1 and 2 threads give the same draws");
    assert_eq!(single.draws.len(), 10);

    let tmp = tempfile::tempdir().unwrap();
    let full_dir = tmp.path().join("full");
    bootstrap::save(&full_dir, &single).unwrap();
    // Shards in a scrambled order, each on its own folder and thread count.
    let mut parts = Vec::new();
    for (k, i) in [3usize, 1, 4, 2].into_iter().enumerate() {
        let shard = Shard { index: i, count: 4 };
        let r = run(&project, &model, &est, &settings, Some(shard), 1 + k % 2);
        assert_eq!(r.draws.len(), shard.range(10).len());
        assert!(r.summary.is_none(), "a shard has no summary");
        let dir = tmp.path().join(format!("shard{i}"));
        bootstrap::save(&dir, &r).unwrap();
        parts.push(bootstrap::load(&dir).unwrap().unwrap());
    }
    let merged = bootstrap::merge(&model, parts.clone()).unwrap();
    assert_eq!(merged, single);
    let merged_dir = tmp.path().join("merged");
    bootstrap::save(&merged_dir, &merged).unwrap();
    for f in [bootstrap::DRAWS_FILE, bootstrap::META_FILE] {
        let a = std::fs::read(full_dir.join(f)).unwrap();
        let b = std::fs::read(merged_dir.join(f)).unwrap();
        assert!(a == b, "{f} differs between one run and 4 merged shards");
    }
    // The saved draws read back to the same bits.
    assert_eq!(bootstrap::load(&full_dir).unwrap().unwrap(), single);
    // A missing or duplicated shard is an error that says which.
    let e = bootstrap::merge(&model, parts[..3].to_vec())
        .unwrap_err()
        .to_string();
    assert!(e.contains("shard 2/4 is missing"), "{e}");
    let mut dup = parts.clone();
    dup.push(parts[0].clone());
    let e = bootstrap::merge(&model, dup).unwrap_err().to_string();
    assert!(e.contains("given twice"), "{e}");
}

#[test]
fn cluster_bootstrap_resamples_whole_clusters() {
    let (base, _) = one_shot(400, 5);
    let project = with_clusters(&base, 20);
    let (model, est) = fit(&project);
    let settings = BootstrapSettings {
        replicates: 50,
        kind: BootstrapKind::Nonparametric,
        seed: 3,
    };
    let labels = project.data.cluster.clone().unwrap();
    let mut zero = 0;
    let mut repeated = 0;
    for b in 0..settings.replicates {
        let m = bootstrap::replicate_weights(&project, &model, &est, &settings, b).unwrap();
        // Every row of a cluster has the cluster's multiplicity.
        let mut of_cluster = std::collections::BTreeMap::new();
        for (l, &v) in labels.iter().zip(&m) {
            let e = of_cluster.entry(l.clone()).or_insert(v);
            assert_eq!(
                *e, v,
                "replicate {b}: rows of cluster {l} have different multiplicities"
            );
            assert_eq!(v.fract(), 0.0);
        }
        // 20 clusters drawn.
        assert_eq!(of_cluster.values().sum::<f64>(), 20.0);
        zero += of_cluster.values().filter(|&&v| v == 0.0).count();
        repeated += of_cluster.values().filter(|&&v| v >= 2.0).count();
    }
    // About (1 − 1/20)^20 ≈ 36% of clusters are left out of a replicate.
    let share = zero as f64 / (50.0 * 20.0);
    assert!(
        (0.28..0.44).contains(&share),
        "share of clusters left out: {share}"
    );
    assert!(repeated > 0);
    // Without a cluster column, single episodes are resampled.
    let (p2, _) = one_shot(400, 5);
    let (m2, e2) = fit(&p2);
    let m = bootstrap::replicate_weights(&p2, &m2, &e2, &settings, 0).unwrap();
    assert_eq!(m.iter().sum::<f64>(), 400.0);
    let r = bootstrap::run(
        &project,
        &model,
        &est,
        &BootstrapSettings {
            replicates: 4,
            ..settings
        },
        None,
        &|| {},
    )
    .unwrap();
    assert!(
        r.meta.resampling.contains("clusters of `g` (20)"),
        "{}",
        r.meta.resampling
    );
}

/// Bootstrap SE / analytic SE for each free parameter.
fn se_ratios(
    project: &Project,
    kind: BootstrapKind,
    replicates: usize,
    analytic: impl Fn(&twolevel::estimate::ParameterEstimate) -> Option<f64>,
) -> Vec<(String, f64)> {
    let (model, est) = fit(project);
    let settings = BootstrapSettings {
        replicates,
        kind,
        seed: 7,
    };
    let r = bootstrap::run(project, &model, &est, &settings, None, &|| {}).unwrap();
    let s = r.summary.unwrap();
    println!(
        "{kind:?}: {} of {replicates} replicates converged",
        s.converged
    );
    assert!(
        s.converged >= replicates * 80 / 100,
        "{} of {replicates} converged",
        s.converged
    );
    est.parameters
        .iter()
        .zip(&s.parameters)
        .filter(|(p, _)| !p.fixed)
        .map(|(p, b)| (p.name.clone(), b.std_error.unwrap() / analytic(p).unwrap()))
        .collect()
}

#[test]
fn bootstrap_ses_agree_with_analytic_ses_on_a_large_sample() {
    let (project, _) = one_shot(4000, 21);
    // The parametric bootstrap against the inverse Hessian, the nonparametric one against
    // its analytic counterpart, the robust sandwich (and the Hessian, which agrees with it
    // under correct specification).
    for (name, ratio) in se_ratios(&project, BootstrapKind::Parametric, 200, |p| p.std_error) {
        println!("parametric bootstrap SE / Hessian SE of {name}: {ratio:.3}");
        assert!(
            (0.75..1.25).contains(&ratio),
            "parametric, {name}: ratio {ratio}"
        );
    }
    for (name, ratio) in se_ratios(&project, BootstrapKind::Nonparametric, 200, |p| {
        p.robust_std_error
    }) {
        println!("nonparametric bootstrap SE / robust SE of {name}: {ratio:.3}");
        assert!(
            (0.75..1.25).contains(&ratio),
            "nonparametric, {name}: ratio {ratio}"
        );
    }
    let (_, est) = fit(&project);
    for p in est.parameters.iter().filter(|p| !p.fixed) {
        let ratio = p.robust_std_error.unwrap() / p.std_error.unwrap();
        println!("robust SE / Hessian SE of {}: {ratio:.3}", p.name);
        assert!(
            (0.9..1.1).contains(&ratio),
            "{}: robust / Hessian {ratio}",
            p.name
        );
    }
    // Cluster bootstrap against the cluster-robust sandwich.
    let clustered = with_clusters(&project, 200);
    for (name, ratio) in se_ratios(&clustered, BootstrapKind::Nonparametric, 200, |p| {
        p.cluster_std_error
    }) {
        println!("cluster bootstrap SE / cluster-robust SE of {name}: {ratio:.3}");
        assert!(
            (0.75..1.25).contains(&ratio),
            "cluster, {name}: ratio {ratio}"
        );
    }
}

/// Coverage of the Wald and percentile intervals over `reps` simulated samples.
fn coverage(reps: u64, n: usize, replicates: usize) -> (f64, f64, usize) {
    let mut wald = 0usize;
    let mut pct = 0usize;
    let mut total = 0usize;
    let mut skipped = 0;
    for r in 0..reps {
        let (project, truth) = one_shot(n, 1000 + r);
        let model = project.model().unwrap();
        let est = twolevel::estimate::project_fit::fit_project(&project, &model).unwrap();
        if !est.converged
            || est
                .parameters
                .iter()
                .any(|p| !p.fixed && p.std_error.is_none())
        {
            skipped += 1;
            continue;
        }
        let settings = BootstrapSettings {
            replicates,
            kind: BootstrapKind::Nonparametric,
            seed: r,
        };
        let b = bootstrap::run(&project, &model, &est, &settings, None, &|| {}).unwrap();
        let s = b.summary.unwrap();
        for (j, p) in est.parameters.iter().enumerate() {
            if p.fixed {
                continue;
            }
            total += 1;
            let (lo, hi) = p.wald_interval(p.std_error.unwrap());
            wald += (lo <= truth[j] && truth[j] <= hi) as usize;
            let (lo, hi) = s.parameters[j].interval.unwrap();
            pct += (lo <= truth[j] && truth[j] <= hi) as usize;
        }
    }
    // Samples whose point fit does not converge are left out (and counted): the intervals of
    // a fit that reports non-convergence are not meant to be read.
    println!("{skipped} of {reps} simulated samples did not converge and are left out");
    assert!(
        skipped * 10 <= reps * 3,
        "{skipped} of {reps} simulated samples did not converge"
    );
    (wald as f64 / total as f64, pct as f64 / total as f64, total)
}

#[test]
fn intervals_cover_the_truth_in_a_small_monte_carlo() {
    let (wald, pct, total) = coverage(150, 400, 60);
    println!("coverage over {total} parameter intervals (150 samples of 400, B = 60): Wald {wald:.3}, bootstrap percentile {pct:.3}");
    // Both ways: too low is overconfident, too high (intervals far too wide, or a test that
    // cannot fail) is caught as well. With about 250 intervals the binomial SD at 0.95 is 0.014.
    assert!((0.90..=0.985).contains(&wald), "Wald coverage {wald}");
    assert!((0.88..=0.985).contains(&pct), "percentile coverage {pct}");
}

#[test]
#[ignore = "larger Monte Carlo (about six minutes on 2 cores): cargo test --test inference -- --ignored --nocapture"]
fn intervals_cover_the_truth_in_a_larger_monte_carlo() {
    let (wald, pct, total) = coverage(300, 400, 200);
    println!("coverage over {total} parameter intervals (300 samples of 400, B = 200): Wald {wald:.3}, bootstrap percentile {pct:.3}");
    assert!((0.91..0.99).contains(&wald), "Wald coverage {wald}");
    assert!((0.90..0.99).contains(&pct), "percentile coverage {pct}");
}

/// Bootstrap throughput (replicates per second) on the default EU example and on simulated
/// samples of 10^4 episodes (every episode its own design), on 1 and 2 threads; the draws must
/// be identical on both. Defaults: B = 200 (EU), 100 (`[vote]`), 4 (`[vote, renegotiation]`).
#[test]
#[ignore = "timing: cargo test --test inference bootstrap_speed -- --ignored --nocapture"]
fn bootstrap_speed() {
    // TWOLEVEL_SPEED_B="B_EU,B_ONESHOT,B_RENEGOTIATION" overrides the numbers of replicates.
    let args: Vec<usize> = std::env::var("TWOLEVEL_SPEED_B")
        .map(|v| {
            v.split(',')
                .map(|a| a.trim().parse().expect("a number of replicates"))
                .collect()
        })
        .unwrap_or_default();
    let b = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    println!("| sample | episodes | B | threads | seconds | replicates/s | not converged |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    measure_speed(
        "EU example (cluster bootstrap)",
        &Project::default_example().expect("example"),
        b(0, 200),
    );
    let (one_shot, _) = Simulation::new(10_000, ProtocolMix::OneShot, 7)
        .generate()
        .expect("simulation");
    measure_speed("simulated [vote]", &one_shot, b(1, 100));
    let (reneg, _) = Simulation::new(10_000, ProtocolMix::Renegotiation, 7)
        .generate()
        .expect("simulation");
    measure_speed("simulated [vote, renegotiation]", &reneg, b(2, 4));
}

fn measure_speed(label: &str, project: &Project, replicates: usize) {
    let model = project.model().expect("model");
    let estimates = twolevel::estimate::project_fit::fit_project(project, &model).expect("fit");
    let settings = BootstrapSettings {
        replicates,
        kind: BootstrapKind::Nonparametric,
        seed: 1,
    };
    let mut first = None;
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let start = Instant::now();
        let r = pool
            .install(|| bootstrap::run(project, &model, &estimates, &settings, None, &|| {}))
            .expect("bootstrap");
        let secs = start.elapsed().as_secs_f64();
        let failed = r.draws.iter().filter(|d| !d.converged()).count();
        println!(
            "| {label} | {} | {replicates} | {threads} | {secs:.2} | {:.2} | {failed} |",
            project.data.len(),
            replicates as f64 / secs
        );
        match &first {
            None => first = Some(r),
            Some(f) => assert_eq!(f.draws, r.draws, "1 and 2 threads give the same draws"),
        }
    }
}

/// A one-shot project of `ratified` and `failed` rows (in that order, `weight` per row).
fn small_project(ratified: usize, failed: usize, weight: Option<f64>) -> Project {
    let base = one_shot(10, 1).0;
    let mut text = base
        .spec
        .text
        .replace("location = [\"const\", \"x\"]", "location = [\"const\"]");
    assert!(text.contains("location = [\"const\"]"));
    if weight.is_some() {
        text = text.replace("id = \"episode\"\n", "id = \"episode\"\nweight = \"w\"\n");
    }
    let spec = SpecFile::parse(&text, Path::new("small.toml")).unwrap();
    let mut csv = String::from("episode,poll,renegotiable,outcome,w\n");
    for i in 0..ratified + failed {
        let outcome = if i < ratified { "ratified" } else { "failed" };
        csv.push_str(&format!("e{i},0,0,{outcome},{}\n", weight.unwrap_or(1.0)));
    }
    let data = Dataset::from_bytes(&spec, Path::new("small.csv"), csv.into_bytes()).unwrap();
    Project { spec, data }
}

#[test]
fn a_resample_without_failures_diverges_and_enters_the_interval_at_its_end() {
    // 18 ratified, 2 failed: a resample of 20 has no failure with probability 0.9^20 ≈ 12%;
    // its threshold runs off and the likelihood has no finite maximum.
    let project = small_project(18, 2, None);
    let (model, est) = fit(&project);
    let settings = BootstrapSettings {
        replicates: 100,
        kind: BootstrapKind::Nonparametric,
        seed: 5,
    };
    let r = run(&project, &model, &est, &settings, None, 2);
    let count = |s| r.draws.iter().filter(|d| d.status == s).count();
    let (diverged, failed) = (
        count(ReplicateStatus::Diverged),
        count(ReplicateStatus::Failed),
    );
    assert!((5..=25).contains(&diverged), "{diverged} diverged");
    assert_eq!(failed, 0);
    // Exactly the resamples without a failed episode diverge.
    for b in 0..settings.replicates {
        let w = bootstrap::replicate_weights(&project, &model, &est, &settings, b).unwrap();
        let failures: f64 = w[18..].iter().sum();
        assert_eq!(
            r.draws[b].status == ReplicateStatus::Diverged,
            failures == 0.0,
            "replicate {b}: {failures} failures, {:?}",
            r.draws[b].status
        );
    }
    let summary = r.summary.as_ref().unwrap();
    assert_eq!(summary.diverged_replicates.len(), diverged);
    let constant = summary
        .parameters
        .iter()
        .find(|p| p.name == "home:const")
        .unwrap();
    let (lo, hi) = constant.interval.unwrap();
    assert!(lo.is_infinite() || hi.is_infinite(), "[{lo}, {hi}]");
    assert_eq!(constant.run_off, diverged);
    // A parameter that ran off has no bootstrap SD.
    assert_eq!(constant.std_error, None);
    // Through the files and back, the infinite values and the statuses survive.
    let dir = std::env::temp_dir().join(format!("twolevel-diverged-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    bootstrap::save(&dir, &r).unwrap();
    let back = bootstrap::load(&dir).unwrap().unwrap();
    assert_eq!(back.draws, r.draws);
    assert_eq!(back.summary, r.summary);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn frequency_weights_resample_episodes() {
    // 10 rows of weight 3 stand for 30 episodes: a replicate draws 30, and the fit and its
    // SEs equal those of the 30 rows written out.
    let weighted = small_project(7, 3, Some(3.0));
    let expanded = small_project(21, 9, None);
    let (model, est) = fit(&weighted);
    let (_, est_expanded) = fit(&expanded);
    assert!((est.loglik - est_expanded.loglik).abs() < 1e-9);
    assert!((est.bic() - est_expanded.bic()).abs() < 1e-9);
    for (a, b) in est.parameters.iter().zip(&est_expanded.parameters) {
        let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-6 * (1.0 + y.abs()),
            (None, None) => true,
            _ => false,
        };
        assert!(close(a.std_error, b.std_error), "{}", a.name);
        assert!(close(a.robust_std_error, b.robust_std_error), "{}", a.name);
    }
    let settings = BootstrapSettings {
        replicates: 20,
        kind: BootstrapKind::Nonparametric,
        seed: 2,
    };
    for b in 0..settings.replicates {
        let w = bootstrap::replicate_weights(&weighted, &model, &est, &settings, b).unwrap();
        assert_eq!(w.iter().sum::<f64>(), 30.0);
        assert!(w.iter().all(|v| v.fract() == 0.0));
    }
}
