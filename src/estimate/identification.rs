//! Local identification: the spectrum of the information per unit weight and its weakly
//! identified directions.
//!
//! ```text
//! I/Σw = Σ_k λ_k v_k v_kᵀ,   λ_1 ≤ … ≤ λ_n,   condition number κ = λ_n / λ_1
//! v_k is weakly identified  ⇔  λ_k ≤ c · max(|λ_n|, 10⁻³⁰⁰)
//! ```
//!
//! * The parameters that load on a weak direction are those with `|v_k,j| > 0.2`.
//! * The cut-off `c` is the caller's: [`WEAK_CUTOFF`] `= 10⁻⁶` for the structural estimate,
//!   whose information is by finite differences; the reduced-form logit, with its analytic
//!   information, flags quasi-separation at `10⁻⁷` ([`crate::analyses::reduced_form`]).

use nalgebra::{DMatrix, Dyn, SymmetricEigen};

/// The relative cut-off `c` below which a direction of the structural estimate is weakly
/// identified.
pub const WEAK_CUTOFF: f64 = 1e-6;

/// The eigen-decomposition of the information per unit weight, `I/Σw`.
pub fn spectrum(info: &DMatrix<f64>, total_weight: f64) -> SymmetricEigen<f64, Dyn> {
    SymmetricEigen::new(info.clone() / total_weight)
}

/// A weakly identified direction.
#[derive(Debug, Clone, PartialEq)]
pub struct WeakDirection {
    /// Its eigenvalue `λ_k`.
    pub eigenvalue: f64,
    /// The parameters that load on it, `(index, |v_k,j|)` with `|v_k,j| > 0.2`, in index order.
    pub loadings: Vec<(usize, f64)>,
}

/// The largest eigenvalue `λ_n` (in the total order of `f64`).
fn largest(eigen: &SymmetricEigen<f64, Dyn>) -> f64 {
    eigen
        .eigenvalues
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(0.0)
}

/// The weakly identified directions of `eigen` at the relative cut-off `relative_cutoff`, in
/// the order of the decomposition's eigenvalues.
pub fn weak_directions(
    eigen: &SymmetricEigen<f64, Dyn>,
    relative_cutoff: f64,
) -> Vec<WeakDirection> {
    let threshold = relative_cutoff * largest(eigen).abs().max(1e-300);
    eigen
        .eigenvalues
        .iter()
        .enumerate()
        .filter(|(_, &ev)| ev <= threshold)
        .map(|(i, &eigenvalue)| {
            let v = eigen.eigenvectors.column(i);
            WeakDirection {
                eigenvalue,
                loadings: v
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.abs() > 0.2)
                    .map(|(j, a)| (j, a.abs()))
                    .collect(),
            }
        })
        .collect()
}

/// The identification diagnostics of the structural estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Identification {
    /// Eigenvalues of `I/Σw`, ascending.
    pub eigenvalues: Vec<f64>,
    /// `λ_n / λ_1`.
    pub condition_number: f64,
    /// One per weakly identified direction (ascending eigenvalue), naming the parameters that
    /// load on it, the strongest first.
    pub warnings: Vec<String>,
}

/// The identification diagnostics from the observed information `info` of the free parameters
/// named `names` (cut-off [`WEAK_CUTOFF`]).
pub fn identify(info: &DMatrix<f64>, total_weight: f64, names: &[&str]) -> Identification {
    let eigen = spectrum(info, total_weight);
    let mut eigenvalues: Vec<f64> = eigen.eigenvalues.iter().copied().collect();
    eigenvalues.sort_by(f64::total_cmp);
    let largest = largest(&eigen);
    let mut weak = weak_directions(&eigen, WEAK_CUTOFF);
    weak.sort_by(|a, b| a.eigenvalue.total_cmp(&b.eigenvalue));
    let warnings = weak
        .into_iter()
        .map(|mut d| {
            d.loadings.sort_by(|a, b| b.1.total_cmp(&a.1));
            let involved: Vec<&str> = d.loadings.iter().map(|&(j, _)| names[j]).collect();
            format!(
                "weakly identified direction (information eigenvalue {:.2e}, largest {largest:.2e}) involving {}: the data cannot pin these down separately; fix one of them in the spec (e.g. the scale, as a probit fixes its variance) or add data that separates them",
                d.eigenvalue,
                involved.join(", ")
            )
        })
        .collect();
    Identification {
        condition_number: largest / eigenvalues[0],
        eigenvalues,
        warnings,
    }
}
