//! The primitives of one observation's game (MODEL.md §1–2): who proposes, the ratifiers'
//! threshold distributions, the protocol and the structural scalars.

use super::distribution::Threshold;
use serde::{Deserialize, Serialize};

/// Who writes the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The foreign negotiator: `u(x) = 1 − x`.
    Foreign,
    /// The home negotiator: `u(x) = x`.
    Home,
}

/// The proposer of an observation: a fixed side, or a mixture with `P(home proposes) = p_home`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Proposer {
    /// One side always proposes.
    Fixed(Side),
    /// The home negotiator proposes with probability `p_home`, the foreign one otherwise.
    Mixed {
        /// `P(home proposes)` in `[0, 1]`.
        p_home: f64,
    },
}

/// The kind of a stage of the protocol (MODEL.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    /// A non-binding poll on a trial package before signing (acceptance counts as ratified).
    Poll,
    /// The signed package goes to the home ratifier.
    Vote,
    /// After a rejection, a revised package goes to a new vote (acceptance: renegotiated).
    Renegotiation,
}

impl StageKind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            StageKind::Poll => "poll",
            StageKind::Vote => "vote",
            StageKind::Renegotiation => "renegotiation",
        }
    }
}

/// Which optional stages an observation's protocol has around its `vote`:
/// `[poll?, vote, renegotiation?]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Protocol {
    /// A pre-negotiation poll precedes the vote.
    pub poll: bool,
    /// A rejected package may be renegotiated and put to a second vote.
    pub renegotiation: bool,
}

impl Protocol {
    /// The stages in order.
    pub fn stages(self) -> Vec<StageKind> {
        let mut stages = Vec::with_capacity(3);
        if self.poll {
            stages.push(StageKind::Poll);
        }
        stages.push(StageKind::Vote);
        if self.renegotiation {
            stages.push(StageKind::Renegotiation);
        }
        stages
    }

    /// The protocol written as in MODEL.md, e.g. `[poll, vote, renegotiation]`.
    pub fn label(self) -> String {
        let names: Vec<&str> = self.stages().iter().map(|s| s.name()).collect();
        format!("[{}]", names.join(", "))
    }
}

/// The structural scalars `ρ, δ_R, δ_P, w_poll ∈ [0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scalars {
    /// `ρ`: probability that a rejected package is renegotiated.
    pub rho: f64,
    /// `δ_R`: the ratifier's discount on the renegotiation stage.
    pub delta_ratifier: f64,
    /// `δ_P`: the proposer's discount on the renegotiation stage.
    pub delta_proposer: f64,
    /// `w_poll`: the poll's strategic weight (0 sincere, 1 fully strategic).
    pub poll_weight: f64,
}

impl Default for Scalars {
    fn default() -> Self {
        Scalars {
            rho: 0.5,
            delta_ratifier: 0.9,
            delta_proposer: 0.9,
            poll_weight: 0.5,
        }
    }
}

/// One observation's game with a fixed proposer side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Game {
    /// `G`: the home ratifier's threshold distribution.
    pub home: Threshold,
    /// `G_F`: the foreign ratifier's threshold distribution (`None`: one-sided, `G_F ≡ 1`).
    pub foreign: Option<Threshold>,
    /// Who proposes.
    pub proposer: Side,
    /// The stages.
    pub protocol: Protocol,
    /// `ρ, δ_R, δ_P, w_poll`.
    pub scalars: Scalars,
}

/// The transition into a later stage: `(κ, λ, ρ)` of MODEL.md §2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    /// The ratifier's continuation weight `κ`.
    pub kappa: f64,
    /// The proposer's continuation weight `λ`.
    pub lambda: f64,
    /// The probability that the stage is reached after a rejection.
    pub reach: f64,
}

impl Game {
    /// `(κ, λ, ρ)` for moving into a stage of the given kind.
    pub fn transition_into(&self, kind: StageKind) -> Transition {
        match kind {
            StageKind::Renegotiation => Transition {
                kappa: self.scalars.rho * self.scalars.delta_ratifier,
                lambda: self.scalars.rho * self.scalars.delta_proposer,
                reach: self.scalars.rho,
            },
            StageKind::Vote => Transition {
                kappa: self.scalars.poll_weight,
                lambda: 1.0,
                reach: 1.0,
            },
            StageKind::Poll => Transition {
                kappa: 0.0,
                lambda: 0.0,
                reach: 0.0,
            },
        }
    }
}
