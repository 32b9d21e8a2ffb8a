//! Derivatives by central differences: column `j` of the Jacobian of `f` at `x` is
//!
//! ```text
//! ∂f/∂x_j ≈ (f(x + h_j e_j) − f(x − h_j e_j)) / (2 h_j)
//! ```
//!
//! with the step `h_j` fixed ([`Step::Absolute`]) or scaled to the coordinate
//! ([`Step::Relative`]: `h_j = s·(1 + |x_j|)`). The observed information is the negated
//! Jacobian of the analytic gradient ([`super::covariance::observed_information`]); the delta
//! method of the counterfactuals takes the Jacobian of their reported numbers
//! ([`crate::analyses::counterfactual`]).

/// The step of the differences in coordinate `j`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// `h_j = h`.
    Absolute(f64),
    /// `h_j = s·(1 + |x_j|)`.
    Relative(f64),
}

impl Step {
    /// The step at a coordinate with value `x_j`.
    pub fn at(self, x_j: f64) -> f64 {
        match self {
            Step::Absolute(h) => h,
            Step::Relative(s) => s * (1.0 + x_j.abs()),
        }
    }
}

/// The Jacobian `∂f/∂x` of the first `outputs` outputs of `f` at `x` by central differences:
/// one row per output, one column per coordinate of `x`.
pub fn jacobian(
    f: impl Fn(&[f64]) -> Vec<f64>,
    x: &[f64],
    outputs: usize,
    step: Step,
) -> Vec<Vec<f64>> {
    let mut jac = vec![vec![0.0; x.len()]; outputs];
    for j in 0..x.len() {
        let h = step.at(x[j]);
        let mut up = x.to_vec();
        up[j] += h;
        let mut down = x.to_vec();
        down[j] -= h;
        let (fu, fd) = (f(&up), f(&down));
        for (row, (a, b)) in jac.iter_mut().zip(fu.iter().zip(&fd)) {
            row[j] = (a - b) / (2.0 * h);
        }
    }
    jac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_of_a_quadratic_are_exact_up_to_rounding() {
        // f(x) = (x₀² + 3x₀x₁, x₁³): J = [[2x₀ + 3x₁, 3x₀], [0, 3x₁²]].
        let f = |x: &[f64]| vec![x[0] * x[0] + 3.0 * x[0] * x[1], x[1].powi(3)];
        let x = [1.5, -2.0];
        for step in [Step::Absolute(1e-5), Step::Relative(1e-4)] {
            let jac = jacobian(f, &x, 2, step);
            let exact = [[2.0 * 1.5 - 6.0, 4.5], [0.0, 12.0]];
            for i in 0..2 {
                for j in 0..2 {
                    assert!((jac[i][j] - exact[i][j]).abs() < 1e-6, "{step:?} {i},{j}");
                }
            }
        }
        assert_eq!(Step::Relative(1e-4).at(-3.0), 1e-4 * 4.0);
    }
}
