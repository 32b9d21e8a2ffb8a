//! `exp` and `ln` as straight-line code (no branches, no calls, no tables), so
//! that a loop over them is vectorized by the compiler (the logistic one-shot closed form of
//! the likelihood, `logistic_one_shot.rs`); the C library's versions are calls, one element at
//! a time. Each is accurate to about one unit in the last place (tested against the standard
//! library below).
//!
//! ```text
//! exp(x) = 2^n · e^r,        n = round(x / ln 2),  r = x − n·ln 2 ∈ [−ln 2/2, ln 2/2]
//!          e^r by its Taylor polynomial of degree 13 (truncation below 4e-18);
//!          2^n as two normal powers of two, so that results down to the subnormals are right
//! ln(x)  = e·ln 2 + ln(1 + f),   x = 2^e·(1 + f),  1 + f ∈ [√2/2, √2)
//!          ln(1 + f) = f − s·(f − R(s²)),  s = f/(2 + f)   (fdlibm's polynomial R)
//! ```
//!
//! Integers (`n`, `e`) are handled as floats with the `1.5·2^52` shifter, so that the code
//! needs no float–integer conversion instruction. Domains: `exp` any `x` (NaN gives NaN);
//! `ln` positive normal finite `x` only (it returns garbage, not NaN, for 0, subnormals,
//! infinities, negatives and NaN: callers keep their arguments inside).

/// `1.5·2^52`: adding it rounds a float of magnitude below `2^51` to an integer, which then sits
/// in the low bits of the sum.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// `ln 2` in two parts (fdlibm's, 6.93147180369123816490e-1 + 1.90821492927058770002e-10);
/// `LN2_HI` has 21 trailing zero bits, so `n·LN2_HI` is exact for the `n`
/// that arise.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// `1/n!` for `n = 13, 12, …, 0`: the Taylor polynomial of `e^r`, highest degree first.
const EXP_TAYLOR: [f64; 14] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];
/// fdlibm's `R(z) = Lg1·z + … + Lg7·z⁷` with `ln(1 + f) = f − s·(f − R(s²))` (`e_log.c`:
/// 6.666666666666735130e-1, 3.999999999940941908e-1, …, 1.479819860511658591e-1).
const LG: [f64; 7] = [
    f64::from_bits(0x3fe5_5555_5555_5593),
    f64::from_bits(0x3fd9_9999_9997_fa04),
    f64::from_bits(0x3fd2_4924_9422_9359),
    f64::from_bits(0x3fcc_71c5_1d8e_78af),
    f64::from_bits(0x3fc7_4664_96cb_03de),
    f64::from_bits(0x3fc3_9a09_d078_c69f),
    f64::from_bits(0x3fc2_f112_df3e_5244),
];

/// `x` rounded to an integer (ties to even), for `|x| < 2^51`.
#[inline(always)]
fn round_to_integer(x: f64) -> f64 {
    (x + SHIFTER) - SHIFTER
}

/// `2^n` for an integer `n ∈ [−1022, 1023]` given as a float.
#[inline(always)]
fn power_of_two(n: f64) -> f64 {
    // Wrapping: an overflow check would be a branch (the dev profile checks overflow).
    let biased = (n + (SHIFTER + 1023.0))
        .to_bits()
        .wrapping_sub(SHIFTER.to_bits());
    f64::from_bits(biased << 52)
}

/// `e^x`.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // Beyond these e^x is 0 or ∞ anyway; the clamp keeps n where the powers of two below hold.
    let x = x.clamp(-746.0, 710.0);
    let n = round_to_integer(x * std::f64::consts::LOG2_E);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let taylor = EXP_TAYLOR.iter().fold(0.0, |acc, &c| acc * r + c);
    // n ∈ [−1077, 1025]: two factors, each a normal power of two.
    let half = round_to_integer(0.5 * n);
    taylor * power_of_two(half) * power_of_two(n - half)
}

/// `ln x` for positive normal finite `x`.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    // The biased exponent as the low bits of 2^52 + e + 1023, then as a float.
    let biased_exponent = f64::from_bits((bits >> 52) | 0x4330_0000_0000_0000);
    let exponent = biased_exponent - (4_503_599_627_370_496.0 + 1023.0);
    let mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let above = mantissa > std::f64::consts::SQRT_2;
    let mantissa = if above { 0.5 * mantissa } else { mantissa };
    let exponent = if above { exponent + 1.0 } else { exponent };
    let f = mantissa - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let odd = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])));
    let even = w * (LG[1] + w * (LG[3] + w * LG[5]));
    let r = odd + even;
    exponent * LN2_HI - ((s * (f - r) - exponent * LN2_LO) - f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(got: f64, want: f64) -> f64 {
        if got == want {
            return 0.0;
        }
        let ulp = f64::from_bits(want.abs().max(f64::MIN_POSITIVE).to_bits() + 1)
            - want.abs().max(f64::MIN_POSITIVE);
        (got - want).abs() / ulp
    }

    /// Points spread over `[lo, hi]`: a fine regular grid plus pseudo-random ones.
    fn points(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..n).map(move |i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = if i % 2 == 0 {
                i as f64 / n as f64
            } else {
                (state >> 11) as f64 / (1u64 << 53) as f64
            };
            lo + (hi - lo) * u
        })
    }

    #[test]
    fn exp_within_one_ulp() {
        let mut worst = 0.0f64;
        for x in points(-708.0, 709.7, 400_000).chain(points(-1.0, 1.0, 100_000)) {
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 1.0, "exp: {worst} ulps");
        // Subnormal results, the limits and NaN.
        for x in [-710.0, -720.0, -740.0, -745.0] {
            assert!((exp(x) - x.exp()).abs() <= 2.0 * f64::from_bits(1) + 1e-15 * x.exp());
        }
        assert_eq!(exp(-800.0), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn ln_within_one_ulp() {
        let mut worst = 0.0f64;
        for e in -1020..1020 {
            for m in points(1.0, 2.0, 200) {
                let x = m * 2f64.powi(e);
                worst = worst.max(ulps(ln(x), x.ln()));
            }
        }
        for x in points(0.5, 2.0, 200_000) {
            worst = worst.max(ulps(ln(x), x.ln()));
        }
        assert!(worst <= 1.0, "ln: {worst} ulps");
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(f64::MAX), f64::MAX.ln());
    }
}
