//! Starting points and the multi-start run.
//!
//! ```text
//! t⁽¹⁾ = T⁻¹(θ₀),   t⁽ˢ⁾ = t⁽¹⁾ + z⁽ˢ⁾,  z⁽ˢ⁾ ~ N(0, I)  (s = 2…S, xoshiro256++ seeded by `seed`)
//! winner = the best converged start by ℓ (an unconverged one only if none converged)
//! ```
//!
//! * `θ₀` is the spec's `[estimation] start` (or [`ParameterSpace::default_start`]) on the
//!   natural scale, `T⁻¹` maps it to the internal scale, `S` is `[estimation] starts`; the draws
//!   are [`super::normal_draws::standard_normal`].
//! * Each start is run by [`super::optimize::optimize`]. With a checkpoint
//!   ([`super::FitOptions::checkpoint`]) every finished start is appended to a [`StartLog`], and
//!   a resumed fit takes the starts already in it instead of rerunning them.

use super::checkpoint::{
    hex_bits, hex_bits_list, parse_hex_bits, parse_hex_bits_list, CheckpointLog, LineFormat,
};
use super::normal_draws::standard_normal;
use super::optimize::optimize;
use super::{FitOptions, StartResult};
use crate::error::{Error, Result};
use crate::problem::likelihood::Likelihood;
use crate::problem::params::ParameterSpace;
use crate::problem::spec::EstimationSpec;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Starting points on the internal scale.
pub fn starting_points(space: &ParameterSpace, options: &EstimationSpec) -> Result<Vec<Vec<f64>>> {
    let mut natural = space.default_start();
    for (name, &v) in &options.start {
        let i = space.index(name).ok_or_else(|| {
            Error::Estimation(format!(
                "`[estimation] start` names unknown parameter `{name}`; parameters are: {}",
                space.names().join(", ")
            ))
        })?;
        space
            .check_value(&space.parameters[i], v)
            .map_err(|m| Error::Estimation(format!("`[estimation] start`: {m}")))?;
        if space.parameters[i].fixed.is_none() {
            natural[i] = v;
        }
    }
    let base = space.to_internal(&natural);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let mut points = vec![base.clone()];
    for _ in 1..options.starts {
        points.push(base.iter().map(|b| b + standard_normal(&mut rng)).collect());
    }
    Ok(points)
}

/// The lines of the checkpoint of a multi-start fit: the header names the total weight and
/// every start (exact bits); each finished start is
/// `index ⇥ internal estimate ⇥ ℓ ⇥ iterations ⇥ converged (0/1) ⇥ termination`.
pub struct StartLines;

/// The checkpoint of a multi-start fit.
pub type StartLog = CheckpointLog<StartLines>;

impl LineFormat for StartLines {
    type Record = (Vec<f64>, StartResult);

    fn write(&self, index: usize, (x, r): &(Vec<f64>, StartResult)) -> String {
        format!(
            "{index}\t{}\t{}\t{}\t{}\t{}",
            hex_bits_list(x),
            hex_bits(r.loglik),
            r.iterations,
            r.converged as u8,
            r.termination.replace(['\t', '\n'], " ")
        )
    }

    fn read(&self, line: &str) -> Option<(usize, (Vec<f64>, StartResult))> {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 6 {
            return None;
        }
        let result = StartResult {
            loglik: parse_hex_bits(f[2])?,
            iterations: f[3].parse().ok()?,
            converged: f[4] == "1",
            termination: f[5].to_string(),
        };
        Some((f[0].parse().ok()?, (parse_hex_bits_list(f[1])?, result)))
    }
}

/// Opens the checkpoint of a fit from `starts` (see [`super::FitOptions::checkpoint`]).
fn open_log(options: &FitOptions, starts: &[Vec<f64>], total_weight: f64) -> Result<StartLog> {
    let checkpoint = options
        .checkpoint
        .as_ref()
        .map(|(path, resume)| (path.as_path(), *resume));
    let header = || {
        format!(
            "twolevel fit checkpoint v1; weight {}; starts {}",
            hex_bits(total_weight),
            starts
                .iter()
                .map(|s| hex_bits_list(s))
                .collect::<Vec<_>>()
                .join(";")
        )
    };
    CheckpointLog::open(
        StartLines,
        checkpoint,
        header,
        "another fit (other spec, data or starts)",
    )
}

/// Runs the optimizer from every start (or takes the start from the checkpoint). Returns the
/// winner's internal estimate and result, and every start's result in order.
pub fn run_starts(
    problem: &Likelihood,
    starts: &[Vec<f64>],
    options: &FitOptions,
) -> Result<(Vec<f64>, StartResult, Vec<StartResult>)> {
    if problem.n_free() == 0 {
        let r = StartResult {
            loglik: problem.log_likelihood(&[]),
            iterations: 0,
            termination: "no free parameters".into(),
            converged: true,
        };
        return Ok((Vec::new(), r.clone(), vec![r]));
    }
    let log = open_log(options, starts, problem.total_weight())?;
    let mut results = Vec::new();
    let mut best: Option<(Vec<f64>, StartResult)> = None;
    for (index, start) in starts.iter().enumerate() {
        let (x, r) = match log.finished(index) {
            Some(done) => done.clone(),
            None => {
                let finished = optimize(
                    problem,
                    start,
                    options.estimation.optimizer,
                    options.estimation.max_iters,
                );
                log.append(index, &finished);
                finished
            }
        };
        results.push(r.clone());
        let better = match &best {
            None => true,
            Some((_, b)) => {
                (r.converged && !b.converged) || (r.converged == b.converged && r.loglik > b.loglik)
            }
        };
        if better {
            best = Some((x, r));
        }
    }
    let (x, winner) = best.expect("at least one start");
    Ok((x, winner, results))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line format of `twolevel fit checkpoint v1`: files written by earlier versions read
    /// back, and are written again byte for byte.
    #[test]
    fn start_lines_keep_their_format() {
        let line =
            "2\t3ff0000000000000,bff8000000000000\tc03e000000000000\t17\t1\tSolver converged";
        let (index, (x, r)) = StartLines.read(line).unwrap();
        assert_eq!((index, x.as_slice()), (2, [1.0, -1.5].as_slice()));
        assert_eq!(
            r,
            StartResult {
                loglik: -30.0,
                iterations: 17,
                termination: "Solver converged".into(),
                converged: true,
            }
        );
        assert_eq!(StartLines.write(index, &(x, r)), line);
        assert_eq!(StartLines.read("2\t3ff0000000000000\tc03e"), None);
    }
}
