//! The Lambert W function on the real principal branch, at `e^k`, in log form: the logistic
//! one-shot game's closed form (MODEL.md §5) needs `ω = W(e^k)` for `k = (1 − μ)/s − 1` on the
//! whole real line, where `e^k` itself overflows (`k > 709`) or underflows (`k < −745`).
//!
//! `ω = W(e^k)` solves `ω·e^ω = e^k`, i.e. in logs `L + e^L = k` with `L = ln ω`. This is
//! solved for `L` (never forming `e^k`):
//!
//! ```text
//! initial guess   k > 3:        ω₀ = k − ln k + ln k / k        (asymptotic; |L₀ − L| ≤ 0.03)
//!                 −2 < k ≤ 3:   L₀ = p₆((k − 1/2)/(5/2))         (a fitted sextic; ≤ 2.1e-4)
//!                 k ≤ −2:       L₀ = k − (x − x² + 3/2·x³ − 8/3·x⁴),  x = e^k   (series; ≤ 1.9e-4)
//! Halley steps    f = L + e^L − k,  f' = 1 + e^L,  f'' = e^L,
//!                 L ← L − 2 f f' / (2 f'² − f f'')                (twice)
//! ```
//!
//! Halley's method converges cubically, with a small constant here
//! (`e_{n+1} ≈ (r²/4 − r/6)·e_n³`, `r = ω/(1 + ω)`, so `|e_{n+1}| ≤ |e_n|³/12`), and two
//! steps from these guesses reach full double precision: the guesses' worst error, 0.027 at
//! `k = 3`, becomes 8.5e-8 after one step and below 1e-21 after the second. Each step costs
//! one exponential (the first none when `k > 3`, where `e^{L₀} = ω₀`), and `ω = e^L` after the
//! last step comes from the last exponential by a second-order correction, exact to rounding
//! because the last step is below 1e-7. In all: two logarithms and one exponential for
//! `k > 3`, two exponentials for `−2 < k ≤ 3`, three for `k ≤ −2`; no loop and no test of
//! convergence.
//!
//! `k` is clamped to `±1e300`, so that `±∞` give the limits (`ω = 0`, `L = −1e300`; `ω = L` huge)
//! instead of NaN.

/// `|k|` beyond which `W(e^k)` is taken at `±1e300` (no finite likelihood tells them apart).
const K_LIMIT: f64 = 1e300;

/// Coefficients (constant first) of the initial guess `L₀ = p₆(u)`, `u = (k − 1/2)/(5/2)`, on
/// `−2 < k ≤ 3`: a least-squares Chebyshev fit of `ln W(e^k)` (maximum error 2.1e-4).
const MIDDLE_GUESS: [f64; 7] = [
    -0.266_240_011_436_248_87,
    1.415_888_217_870_082_2,
    -0.434_909_718_600_905_3,
    0.057_539_521_105_800_816,
    0.039_474_822_624_388_63,
    -0.017_570_350_302_275_24,
    -0.002_286_522_023_700_515_5,
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
/// real `k` (see the module doc).
#[inline]
pub fn lambert_w_of_exp(k: f64) -> LambertWOfExp {
    let k = k.clamp(-K_LIMIT, K_LIMIT);
    // (L₀, e^{L₀}).
    let (mut log, mut value) = if k > 3.0 {
        let ln_k = k.ln();
        let guess = k - ln_k + ln_k / k;
        (guess.ln(), guess)
    } else if k > -2.0 {
        let u = (k - 0.5) / 2.5;
        let guess = MIDDLE_GUESS.iter().rev().fold(0.0, |acc, c| acc * u + c);
        (guess, guess.exp())
    } else {
        let x = k.exp();
        let guess = k - x * (1.0 - x * (1.0 - x * (1.5 - x * (8.0 / 3.0))));
        (guess, guess.exp())
    };
    // Two Halley steps on f(L) = L + e^L − k.
    let halley_step = |log: f64, value: f64| {
        let f = log + value - k;
        let slope = 1.0 + value;
        // 2 f f' / (2 f'² − f f''), without squaring f' (ω can be 1e300).
        f / (slope - 0.5 * f * (value / slope))
    };
    let step = halley_step(log, value);
    log -= step;
    value = log.exp();
    let step = halley_step(log, value);
    log -= step;
    // e^{L − step} = e^L·(1 − step + step²/2), exact to rounding for |step| < 1e-7.
    value *= 1.0 - step * (1.0 - 0.5 * step);
    LambertWOfExp { value, log }
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
        assert!((lambert_w_of_exp(0.0).value - 0.567_143_290_409_783_8).abs() < 1e-16);
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
