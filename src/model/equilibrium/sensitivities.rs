//! Derivatives of the outcome probabilities along a solved path ([`PathSensitivity`]): the
//! implicit function theorem on the first stage's first-order condition (its slope from
//! `earlier_stages/refinement.rs`) where it applies, else local re-solves ([`solve_path`]).

use super::path::{solve_path, two_stage_probabilities, Path};
use super::stage_solver::StageSolver;
use crate::model::game::Game;

/// Derivatives of a solved game's outcome probabilities with respect to one primitive.
///
/// For two-stage protocols whose first cutoff is an interior optimum, by the implicit function
/// theorem on the first stage's first-order condition `F(c₁; θ) = 0`:
/// `dc₁/dθ = −F_θ/F_c`, `dx₂/dθ = x₂'(c₁)·dc₁/dθ + ∂x₂/∂θ|_{c₁}`, with `F_c` and `x₂'` by central
/// differences in `c₁` (computed once per game) and `F_θ`, `∂x₂/∂θ` by central differences in
/// `θ` at fixed `c₁` (one slope evaluation each way). The probabilities are then differentiated
/// along `(c₁ + t·dc₁/dθ, x₂ + t·dx₂/dθ; θ + t)`. Anything else (one or three stages, corner
/// cutoffs) re-solves the game locally at `θ ± h` (see [`solve_path`]).
pub struct PathSensitivity<'a> {
    path: &'a Path,
    /// `(F_c, x₂'(c₁))` when the implicit-function route applies.
    first_stage: Option<(f64, f64)>,
}

impl<'a> PathSensitivity<'a> {
    /// Prepares the derivatives of `path`, the solution of `game`.
    pub fn new(game: &'a Game, path: &'a Path) -> Self {
        let mut first_stage = None;
        if path.len == 2 && path.interior[0] {
            let solver = StageSolver::new(game, false);
            let c1 = path.cutoffs[0];
            let eps = 1e-6 * (c1.abs() + game.home.scale.min(1.0));
            let (up, x_up) =
                solver.stage_slope(0, f64::NEG_INFINITY, c1 + eps, Some(path.offers[1]));
            let (down, x_down) =
                solver.stage_slope(0, f64::NEG_INFINITY, c1 - eps, Some(path.offers[1]));
            let f_c = (up - down) / (2.0 * eps);
            if f_c < 0.0 && f_c.is_finite() {
                first_stage = Some((f_c, (x_up - x_down) / (2.0 * eps)));
            }
        }
        PathSensitivity { path, first_stage }
    }

    /// `dP/dθ` for the primitive `θ` that `shifted(t)` moves by `t` (central differences with
    /// step `h`).
    pub fn derivative(&self, shifted: impl Fn(f64) -> Game, h: f64) -> [f64; 3] {
        let (game_up, game_down) = (shifted(h), shifted(-h));
        let (up, down) = match self.first_stage {
            Some((f_c, dx2_dc)) => {
                let (c1, x2) = (self.path.cutoffs[0], self.path.offers[1]);
                let slope_at = |g: &Game| {
                    StageSolver::new(g, false).stage_slope(0, f64::NEG_INFINITY, c1, Some(x2))
                };
                let ((slope_up, x_up), (slope_down, x_down)) =
                    (slope_at(&game_up), slope_at(&game_down));
                let dc1 = -((slope_up - slope_down) / (2.0 * h)) / f_c;
                let dx2 = dx2_dc * dc1 + (x_up - x_down) / (2.0 * h);
                (
                    two_stage_probabilities(&game_up, c1 + h * dc1, x2 + h * dx2),
                    two_stage_probabilities(&game_down, c1 - h * dc1, x2 - h * dx2),
                )
            }
            None => (
                solve_path(&game_up, Some(self.path)).probabilities,
                solve_path(&game_down, Some(self.path)).probabilities,
            ),
        };
        [0, 1, 2].map(|y| (up[y] - down[y]) / (2.0 * h))
    }
}
