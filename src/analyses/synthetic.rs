//! Simulated datasets with known parameters, for recovery tests and benchmarks.
//!
//! Episodes have one continuous covariate `x ~ N(0, 1)` in the home location, a protocol
//! chosen per row (fixed, or a mix), and outcomes drawn from the model at the true parameters.

use crate::analyses::predict::simulate_outcomes;
use crate::error::Result;
use crate::estimate::normal_draws::standard_normal;
use crate::problem::data::Dataset;
use crate::problem::likelihood::Model;
use crate::problem::project::Project;
use crate::problem::spec::SpecFile;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::Path;

/// Which protocols the simulated rows have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolMix {
    /// `[vote]`.
    OneShot,
    /// `[vote, renegotiation]`.
    Renegotiation,
    /// `[poll, vote]`.
    Poll,
    /// `[poll, vote, renegotiation]`.
    PollRenegotiation,
    /// Each row's poll and renegotiation flags drawn independently with probability 1/2.
    Mixed,
}

impl ProtocolMix {
    /// All mixes.
    pub const ALL: [ProtocolMix; 5] = [
        ProtocolMix::OneShot,
        ProtocolMix::Renegotiation,
        ProtocolMix::Poll,
        ProtocolMix::PollRenegotiation,
        ProtocolMix::Mixed,
    ];

    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            ProtocolMix::OneShot => "[vote]",
            ProtocolMix::Renegotiation => "[vote, renegotiation]",
            ProtocolMix::Poll => "[poll, vote]",
            ProtocolMix::PollRenegotiation => "[poll, vote, renegotiation]",
            ProtocolMix::Mixed => "mixed protocols",
        }
    }
}

/// A simulation design.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Episodes.
    pub n: usize,
    /// Protocols.
    pub protocols: ProtocolMix,
    /// Mixed proposer with `logit p_home = proposer:const + proposer:z · z`.
    pub mixed_proposer: bool,
    /// Seed of covariates, protocols and outcomes.
    pub seed: u64,
    /// Which scalars are free in the generated spec (the rest fixed at the truth).
    pub free_scalars: Vec<&'static str>,
    /// Whether `home:scale` is free.
    pub free_scale: bool,
    /// The home location's covariates (`const`, `x`, `z`; default `const`, `x`).
    pub home_covariates: Vec<&'static str>,
    /// Draw the covariates from 7 levels (so that episodes share designs and equilibrium
    /// solves) instead of continuously.
    pub discrete_covariates: bool,
}

/// True parameter values used by [`Simulation`] (natural scale, by name).
pub const TRUTH: [(&str, f64); 10] = [
    ("home:const", 0.35),
    ("home:x", 0.15),
    ("home:z", -0.1),
    ("home:scale", 0.12),
    ("proposer:const", -0.5),
    ("proposer:z", 0.8),
    ("rho", 0.7),
    ("delta_ratifier", 0.8),
    ("delta_proposer", 0.9),
    ("poll_weight", 0.4),
];

/// The true value of a parameter.
pub fn truth(name: &str) -> f64 {
    TRUTH
        .iter()
        .find(|t| t.0 == name)
        .map(|t| t.1)
        .expect("known parameter")
}

impl Simulation {
    /// A simulation with the scalars that the protocols identify left free.
    pub fn new(n: usize, protocols: ProtocolMix, seed: u64) -> Simulation {
        let free_scalars = match protocols {
            ProtocolMix::OneShot => vec![],
            // The ratifier's discount is weakly identified next to ρ from outcomes alone (its
            // estimate runs to the boundary in samples of 5,000): it is held at the truth.
            ProtocolMix::Renegotiation => vec!["rho"],
            // With polls only, P(ratified) = G(x_vote) mixes w_poll with the location: w_poll
            // is identified by comparison with episodes without a poll (see `Mixed`).
            ProtocolMix::Poll => vec![],
            ProtocolMix::PollRenegotiation => vec!["rho"],
            ProtocolMix::Mixed => vec!["rho", "poll_weight"],
        };
        Simulation {
            n,
            protocols,
            mixed_proposer: false,
            seed,
            free_scalars,
            free_scale: false,
            home_covariates: vec!["const", "x"],
            discrete_covariates: false,
        }
    }

    /// The spec text (data path `synthetic.csv`).
    pub fn spec_text(&self) -> String {
        let scalar = |name: &str| {
            if self.free_scalars.contains(&name) {
                format!("{name} = \"free\"\n")
            } else {
                format!("{name} = {}\n", truth(name))
            }
        };
        let mut s = String::from("[data]\npath = \"synthetic.csv\"\noutcome = \"outcome\"\nid = \"episode\"\n\n[protocol]\npoll = \"poll\"\nrenegotiation = \"renegotiable\"\nforeign_constraint = false\n");
        s.push_str(if self.mixed_proposer {
            "proposer = \"mixed\"\n\n[proposer]\nindex = [\"const\", \"z\"]\n"
        } else {
            "proposer = \"foreign\"\n"
        });
        let location: Vec<String> = self
            .home_covariates
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect();
        s.push_str(&format!(
            "\n[model]\nfamily = \"logistic\"\n\n[home]\nlocation = [{}]\n",
            location.join(", ")
        ));
        if self.free_scale {
            s.push_str("scale = \"free\"\n");
        } else {
            s.push_str(&format!("scale = {}\n", truth("home:scale")));
        }
        s.push_str("\n[parameters]\n");
        for name in ["rho", "delta_ratifier", "delta_proposer", "poll_weight"] {
            s.push_str(&scalar(name));
        }
        s.push_str("\n[estimation]\nstarts = 1\nseed = 1\n");
        s
    }

    /// The covariates and protocols as CSV (outcomes all `ratified`, to be replaced).
    fn design_csv(&self) -> String {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let mut s = String::from("episode,x,z,poll,renegotiable,outcome\n");
        for i in 0..self.n {
            let (mut x, mut z) = (standard_normal(&mut rng), standard_normal(&mut rng));
            if self.discrete_covariates {
                x = (x * 2.0).round().clamp(-3.0, 3.0) / 2.0;
                z = (z * 2.0).round().clamp(-3.0, 3.0) / 2.0;
            }
            let (poll, reneg) = match self.protocols {
                ProtocolMix::OneShot => (false, false),
                ProtocolMix::Renegotiation => (false, true),
                ProtocolMix::Poll => (true, false),
                ProtocolMix::PollRenegotiation => (true, true),
                ProtocolMix::Mixed => (rng.random::<bool>(), rng.random::<bool>()),
            };
            s.push_str(&format!(
                "e{i},{x},{z},{},{},ratified\n",
                poll as u8, reneg as u8
            ));
        }
        s
    }

    /// The spec, the data with simulated outcomes, and the true parameter vector.
    pub fn generate(&self) -> Result<(Project, Vec<f64>)> {
        let spec = SpecFile::parse(&self.spec_text(), Path::new("synthetic.toml"))?;
        let design = self.design_csv();
        let data = Dataset::from_bytes(
            &spec,
            Path::new("synthetic.csv"),
            design.clone().into_bytes(),
        )?;
        let model = Model::new(&spec, &data)?;
        let theta: Vec<f64> = model
            .space
            .parameters
            .iter()
            .map(|p| truth(&p.name))
            .collect();
        let rows: Vec<usize> = (0..data.len()).collect();
        let outcomes = simulate_outcomes(&model, &theta, &rows, self.seed.wrapping_add(1));
        // The file again with the drawn outcomes, so that the dataset's hash and `simulate`
        // see them.
        let mut csv = String::new();
        for (line, y) in design
            .lines()
            .zip(std::iter::once("outcome").chain(outcomes.iter().map(|y| y.label())))
        {
            let cut = line.rfind(',').expect("outcome column");
            csv.push_str(&format!("{},{y}\n", &line[..cut]));
        }
        let data = Dataset::from_bytes(&spec, Path::new("synthetic.csv"), csv.into_bytes())?;
        Ok((Project { spec, data }, theta))
    }
}
