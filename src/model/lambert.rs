//! The Lambert W function on the real principal branch, at `e^k`, in log form: the logistic
//! one-shot game's closed form (MODEL.md §5) needs `ω = W(e^k)` for `k = (1 − μ)/s − 1` on the
//! whole real line, where `e^k` itself overflows (`k > 709`) or underflows (`k < −745`).
//!
//! `ω = W(e^k)` solves `ω·e^ω = e^k`, i.e. in logs `L + e^L = k` with `L = ln ω`. This is
//! solved for `L` (never forming `e^k`):
//!
//! ```text
//! initial guess   k > 3:        L₀ = ln(k − ln k + ln k / k)        (asymptotic; |L₀ − L| ≤ 0.027)
//!                                  = ln k + ln(1 − a),  a = ln k·(1 − 1/k)/k ≤ 0.25,
//!                                  ln(1 − a) by its series to a⁴
//!                 −4 < k ≤ 3:   L₀ = p₆((k + 1/2)/(7/2))            (a fitted sextic; ≤ 6.1e-4)
//!                 k ≤ −4:       L₀ = k                   (ln W(x) = ln x − x + …; ≤ 0.019)
//! Halley steps    f = L + e^L − k,  f' = 1 + e^L,  f'' = e^L,
//!                 L ← L − f/(f' − f f''/(2f')) = L − q/(1 − h),  q = f/f',  h = q·f''/(2f')
//! ```
//!
//! Halley's method converges cubically, with a small constant here
//! (`e_{n+1} ≈ (r²/4 − r/6)·e_n³`, `r = ω/(1 + ω)`, so `|e_{n+1}| ≤ |e_n|³/12`), and two
//! steps from these guesses reach full double precision: the guesses' worst error, 0.027 at
//! `k = 3`, becomes 1.1e-7 after one step and below 1e-20 after the second. `1/(1 − h)` is
//! taken as `1 + h + h²` (`|h| ≤ |q|/2 ≤ 0.014`; the `h³` left out costs the first step 7e-8
//! and the second nothing), so that a step needs one division. Each step needs `e^L`, and
//! `ω = e^L` after the last step comes from the last exponential by a second-order correction,
//! exact to rounding because the last step is below 1e-6.
//!
//! The code is straight-line, for loops that vectorize (the likelihood's): no test of
//! convergence, the three guesses all computed and one selected, with `exp` and `ln` from
//! `elementary.rs`, and it runs stage by stage over a column of `k`
//! ([`lambert_w_of_exp_columns`]). Every `k` costs the same: one logarithm, two exponentials
//! and three divisions.
//!
//! `k` is clamped to `±1e300`, so that `±∞` give the limits instead of NaN (`ω = 0`,
//! `L = −1e300` at `−∞`; `ω = 1e300`, `L = 690.8` at `+∞`).

use crate::model::elementary::{exp, ln};

/// `|k|` beyond which `W(e^k)` is taken at `±1e300` (no finite likelihood tells them apart).
const K_LIMIT: f64 = 1e300;

/// Coefficients (constant first) of the initial guess `L₀ = p₆(u)`, `u = (k + 1/2)/(7/2)`, on
/// `−4 < k ≤ 3`: a least-squares Chebyshev fit of `ln W(e^k)` (maximum error 6.1e-4).
const MIDDLE_GUESS: [f64; 7] = [
    -0.904_881_853_469_069_7,
    2.491_867_557_003_126,
    -0.886_173_328_873_102_6,
    -0.104_111_161_266_588_18,
    0.242_757_044_676_382_62,
    0.017_304_875_449_443_83,
    -0.065_237_817_226_863_12,
];

/// `W(e^k)` and its logarithm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LambertWOfExp {
    /// `ω = W(e^k)` (0 where it underflows, for `k < −745`).
    pub value: f64,
    /// `L = ln ω` (accurate where `ω` underflows: `L = k − ω`).
    pub log: f64,
}

/// `W(e^k)` on the real principal branch and its logarithm, to full double precision for every
/// real `k` (see the module doc): [`lambert_w_of_exp_columns`] for one `k`.
pub fn lambert_w_of_exp(k: f64) -> LambertWOfExp {
    let (mut log, mut value) = ([0.0], [0.0]);
    lambert_w_of_exp_columns(&[k], &mut log, &mut value);
    LambertWOfExp {
        value: value[0],
        log: log[0],
    }
}

/// `log[i] = ln W(e^{k[i]})` and `value[i] = W(e^{k[i]})` (see the module doc), stage by stage
/// over the columns: each stage is a loop of independent straight-line iterations, which the
/// compiler vectorizes and the processor overlaps (one loop through all the stages would wait
/// on each element's chain of exponentials and divisions).
///
/// # Panics
///
/// If the three columns differ in length.
#[inline(always)]
pub fn lambert_w_of_exp_columns(k: &[f64], log: &mut [f64], value: &mut [f64]) {
    assert!(
        k.len() == log.len() && k.len() == value.len(),
        "columns of equal length"
    );
    let clamped = |k: f64| k.clamp(-K_LIMIT, K_LIMIT);
    for (log, &k) in log.iter_mut().zip(k) {
        *log = initial_guess(clamped(k));
    }
    for (value, &log) in value.iter_mut().zip(&*log) {
        *value = exp(log);
    }
    for ((log, &value), &k) in log.iter_mut().zip(&*value).zip(k) {
        *log -= halley_step(*log, value, clamped(k));
    }
    for (value, &log) in value.iter_mut().zip(&*log) {
        *value = exp(log);
    }
    for ((log, value), &k) in log.iter_mut().zip(value.iter_mut()).zip(k) {
        let step = halley_step(*log, *value, clamped(k));
        *log -= step;
        // e^{L − step} = e^L·(1 − step + step²/2), exact to rounding for |step| < 1e-6.
        *value *= 1.0 - step * (1.0 - 0.5 * step);
    }
}

/// `L₀`: the guess of its range of `k` (module doc), all three computed and one selected.
#[inline(always)]
fn initial_guess(k: f64) -> f64 {
    let large_k = k.max(3.0);
    let ln_k = ln(large_k);
    let inverse_k = 1.0 / large_k;
    let a = ln_k * (1.0 - inverse_k) * inverse_k;
    let large_guess = ln_k - a * (1.0 + a * (0.5 + a * (1.0 / 3.0 + a * 0.25)));
    let u = ((k + 0.5) * (2.0 / 7.0)).clamp(-1.0, 1.0);
    let middle_guess = MIDDLE_GUESS.iter().rev().fold(0.0, |acc, c| acc * u + c);
    if k > 3.0 {
        large_guess
    } else if k > -4.0 {
        middle_guess
    } else {
        k
    }
}

/// Halley's step `q/(1 − h) ≈ q·(1 + h + h²)` on `f(L) = L + e^L − k` at `L = log`,
/// `e^L = exp_log` (module doc).
#[inline(always)]
fn halley_step(log: f64, exp_log: f64, k: f64) -> f64 {
    let f = log + exp_log - k;
    let inverse_slope = 1.0 / (1.0 + exp_log);
    let q = f * inverse_slope;
    let h = 0.5 * q * (exp_log * inverse_slope);
    q * (1.0 + h * (1.0 + h))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `L` with `L + e^L = k` by bisection (slow, independent of the guesses above).
    fn log_by_bisection(k: f64) -> f64 {
        let (mut a, mut b) = if k > 1.0 {
            (0.0, k.ln())
        } else {
            (k - 1.0, k.max(1.0))
        };
        for _ in 0..2000 {
            let m = 0.5 * (a + b);
            if m == a || m == b {
                break;
            }
            if m + m.exp() < k {
                a = m;
            } else {
                b = m;
            }
        }
        0.5 * (a + b)
    }

    #[test]
    fn solves_the_defining_equation_on_the_real_line() {
        let mut k = -800.0;
        while k < 1e7 {
            let w = lambert_w_of_exp(k);
            let reference = log_by_bisection(k);
            let tolerance = 4.0 * f64::EPSILON * reference.abs().max(1.0);
            assert!(
                (w.log - reference).abs() <= tolerance,
                "k = {k}: ln W = {}, bisection {reference}",
                w.log
            );
            // ω = k − L where that is accurate (L > 0), else e^L (accurate to ε·|L|).
            let (value, tolerance) = if reference > 0.0 {
                (k - reference, 4.0 * f64::EPSILON)
            } else {
                (reference.exp(), 4.0 * f64::EPSILON * (1.0 - reference))
            };
            assert!(
                (w.value - value).abs() <= tolerance * value,
                "k = {k}: W = {}, reference {value}",
                w.value
            );
            k += if k.abs() < 10.0 {
                0.001
            } else {
                k.abs() * 1e-3
            };
        }
    }

    #[test]
    fn guess_boundaries_and_limits() {
        // W(e) = 1, W(e^{1 + e}) = e, W(e^0) = Ω.
        assert!((lambert_w_of_exp(1.0).value - 1.0).abs() < 1e-16);
        let e = std::f64::consts::E;
        assert!((lambert_w_of_exp(1.0 + e).value - e).abs() < 4e-16 * e);
        let omega = lambert_w_of_exp(0.0).value;
        assert!((omega - 0.567_143_290_409_783_8).abs() <= 2e-16, "{omega}");
        for k in [
            -2.0,
            3.0,
            f64::from_bits((-2.0f64).to_bits() - 1),
            3.0 + 1e-15,
        ] {
            let w = lambert_w_of_exp(k);
            assert!((w.log + w.value - k).abs() < 1e-15 * k.abs());
        }
        let low = lambert_w_of_exp(f64::NEG_INFINITY);
        assert_eq!((low.value, low.log), (0.0, -1e300));
        let high = lambert_w_of_exp(f64::INFINITY);
        assert!(
            high.value.is_finite() && high.log.is_finite() && high.value > 1e299,
            "{high:?}"
        );
    }
}
