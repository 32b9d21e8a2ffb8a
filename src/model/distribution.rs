//! Location–scale distributions of the ratifiers' thresholds (MODEL.md §1).
//!
//! A threshold `r` has distribution `G(t) = D((t − μ)/s)` for a standard distribution `D`:
//!
//! | family     | `D(z)`                        | support          |
//! | ---------- | ----------------------------- | ---------------- |
//! | `logistic` | `1 / (1 + e^{−z})`            | ℝ                |
//! | `normal`   | `Φ(z)`                        | ℝ                |
//! | `uniform`  | `(z + 1) / 2` on `[−1, 1]`    | `[μ − s, μ + s]` |
//!
//! The equilibrium solver works with logarithms (`log G`, `log(1 − G)`, `log g`) so that the
//! far tails (locations ±50 with scales down to 1e-4) neither underflow nor lose the
//! accuracy that the first-order conditions need.

// `!(a > b)` is deliberate throughout: it is true when either side is NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use serde::{Deserialize, Serialize};
use std::f64::consts::{LN_2, PI};

/// The family of the standard distribution `D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Standard logistic (default).
    Logistic,
    /// Standard normal.
    Normal,
    /// Uniform on `[−1, 1]`, i.e. on `[μ − s, μ + s]` after location and scale.
    Uniform,
}

impl Family {
    /// The name used in spec files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Family::Logistic => "logistic",
            Family::Normal => "normal",
            Family::Uniform => "uniform",
        }
    }

    /// Parses a spec value (`logistic | normal | uniform`).
    pub fn parse(text: &str) -> Option<Family> {
        match text {
            "logistic" => Some(Family::Logistic),
            "normal" => Some(Family::Normal),
            "uniform" => Some(Family::Uniform),
            _ => None,
        }
    }
}

/// The standard normal quantile `Φ⁻¹(p)` for `p ∈ (0, 1)` (statrs). The one source of the
/// crate's normal critical values: `normal_quantile(0.975)` for 95% intervals,
/// `normal_quantile(0.5 + level / 2)` for a two-sided interval at `level`.
pub fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::ContinuousCDF;
    statrs::distribution::Normal::standard().inverse_cdf(p)
}

/// `log(1 + e^x)` without overflow or loss of precision.
#[inline]
pub fn softplus(x: f64) -> f64 {
    if x > 35.0 {
        x
    } else if x < -35.0 {
        x.exp()
    } else {
        x.exp().ln_1p()
    }
}

/// `log(1 − e^a)` for `a ≤ 0`, accurate on the whole range.
#[inline]
pub fn log1m_exp(a: f64) -> f64 {
    if a > -LN_2 {
        (-a.exp_m1()).ln()
    } else {
        (-a.exp()).ln_1p()
    }
}

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// `log Φ(z)` for the standard normal, accurate far into the left tail.
fn normal_log_cdf(z: f64) -> f64 {
    if z == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    if z > -20.0 {
        let p = 0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2);
        if p > 0.0 {
            return p.ln();
        }
    }
    // Φ(z) = φ(z) · R(−z) with the Mills ratio R(t) = 1/(t + 1/(t + 2/(t + 3/(t + …)))).
    let t = -z;
    let mut tail = t;
    for k in (1..=60).rev() {
        tail = t + k as f64 / tail;
    }
    -0.5 * z * z - LN_SQRT_2PI - tail.ln()
}

/// A truncation point `c` of a threshold distribution with its standardized value and
/// `e^{−|z_c|}`, computed once for many evaluations at the same `c`.
#[derive(Debug, Clone, Copy)]
pub struct Truncation {
    c: f64,
    zc: f64,
    exp_neg_abs_zc: f64,
}

/// A location–scale distribution `G(t) = D((t − μ)/s)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// The family of `D`.
    pub family: Family,
    /// Location `μ`.
    pub location: f64,
    /// Scale `s > 0`.
    pub scale: f64,
}

/// `G(x) − G(c)` for `c < x` from `G(x)` and the tails it needs (each computed only if needed):
/// `G(x)` itself when `c = −∞`, else the difference of CDFs in the lower half and of survival
/// functions `(1 − G(c), 1 − G(x))` in the upper half, so that its absolute error is at the
/// rounding level of the smaller tail ([`Threshold::mass_fast`]; also used with stored values).
#[inline]
pub fn mass_by_tails(
    c: f64,
    cdf_x: f64,
    cdf_c: impl FnOnce() -> f64,
    sf_c_and_x: impl FnOnce() -> (f64, f64),
) -> f64 {
    if c == f64::NEG_INFINITY {
        return cdf_x;
    }
    if cdf_x < 0.5 {
        (cdf_x - cdf_c()).max(0.0)
    } else {
        let (sf_c, sf_x) = sf_c_and_x();
        (sf_c - sf_x).max(0.0)
    }
}

impl Threshold {
    /// A threshold distribution with the given family, location and scale.
    pub fn new(family: Family, location: f64, scale: f64) -> Self {
        Threshold {
            family,
            location,
            scale,
        }
    }

    #[inline]
    fn standardize(&self, t: f64) -> f64 {
        (t - self.location) / self.scale
    }

    /// `log G(t)`.
    #[inline]
    pub fn log_cdf(&self, t: f64) -> f64 {
        let z = self.standardize(t);
        match self.family {
            Family::Logistic => -softplus(-z),
            Family::Normal => normal_log_cdf(z),
            Family::Uniform => {
                if z <= -1.0 {
                    f64::NEG_INFINITY
                } else if z >= 1.0 {
                    0.0
                } else {
                    (0.5 * (z + 1.0)).ln()
                }
            }
        }
    }

    /// `log(1 − G(t))`.
    #[inline]
    pub fn log_sf(&self, t: f64) -> f64 {
        let z = self.standardize(t);
        match self.family {
            Family::Logistic => -softplus(z),
            Family::Normal => normal_log_cdf(-z),
            Family::Uniform => {
                if z >= 1.0 {
                    f64::NEG_INFINITY
                } else if z <= -1.0 {
                    0.0
                } else {
                    (0.5 * (1.0 - z)).ln()
                }
            }
        }
    }

    /// `G(t)`.
    #[inline]
    pub fn cdf(&self, t: f64) -> f64 {
        let z = self.standardize(t);
        match self.family {
            Family::Logistic => {
                if z >= 0.0 {
                    1.0 / (1.0 + (-z).exp())
                } else {
                    let e = z.exp();
                    e / (1.0 + e)
                }
            }
            Family::Normal => 0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2),
            Family::Uniform => (0.5 * (z + 1.0)).clamp(0.0, 1.0),
        }
    }

    /// `1 − G(t)`, computed without cancellation.
    #[inline]
    pub fn sf(&self, t: f64) -> f64 {
        let z = self.standardize(t);
        match self.family {
            Family::Logistic => Threshold::new(Family::Logistic, 0.0, 1.0).cdf(-z),
            Family::Normal => 0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2),
            Family::Uniform => (0.5 * (1.0 - z)).clamp(0.0, 1.0),
        }
    }

    /// `log g(t)`, the log density (−∞ outside the support).
    #[inline]
    pub fn log_pdf(&self, t: f64) -> f64 {
        let z = self.standardize(t);
        let log_standard = match self.family {
            Family::Logistic => {
                let a = z.abs();
                -a - 2.0 * (-a).exp().ln_1p()
            }
            Family::Normal => -0.5 * z * z - LN_SQRT_2PI,
            Family::Uniform => {
                if (-1.0..=1.0).contains(&z) {
                    -LN_2
                } else {
                    f64::NEG_INFINITY
                }
            }
        };
        log_standard - self.scale.ln()
    }

    /// `g(t)`.
    #[inline]
    pub fn pdf(&self, t: f64) -> f64 {
        self.log_pdf(t).exp()
    }

    /// `d log g(t) / dt`.
    #[inline]
    pub fn dlog_pdf(&self, t: f64) -> f64 {
        let z = self.standardize(t);
        let d = match self.family {
            Family::Logistic => -(0.5 * z).tanh(),
            Family::Normal => -z,
            Family::Uniform => 0.0,
        };
        d / self.scale
    }

    /// `log(G(b) − G(a))` for `a < b`, accurate in both tails; −∞ when the mass is zero.
    #[inline]
    pub fn log_mass(&self, a: f64, b: f64) -> f64 {
        if !(b > a) {
            return f64::NEG_INFINITY;
        }
        if a == f64::NEG_INFINITY {
            return self.log_cdf(b);
        }
        let lb = self.log_cdf(b);
        if lb < -LN_2 {
            // Left half: G(b)(1 − G(a)/G(b)).
            let la = self.log_cdf(a);
            if la == f64::NEG_INFINITY {
                return lb;
            }
            lb + log1m_exp((la - lb).min(0.0))
        } else {
            // Right half: S(a)(1 − S(b)/S(a)).
            let sa = self.log_sf(a);
            let sb = self.log_sf(b);
            if sa == f64::NEG_INFINITY {
                return f64::NEG_INFINITY;
            }
            if sb == f64::NEG_INFINITY {
                return sa;
            }
            sa + log1m_exp((sb - sa).min(0.0))
        }
    }

    /// `G(b) − G(a)` (0 when `b ≤ a`).
    #[inline]
    pub fn mass(&self, a: f64, b: f64) -> f64 {
        self.log_mass(a, b).exp()
    }

    /// The truncated hazard `g(x) / [G(x) − G(c)]` for `c < x` (+∞ when the mass is zero and
    /// `x` is below the support, 0 above it); `c = −∞` gives the reverse hazard `g/G`. Cheap
    /// closed forms for the logistic and uniform families, log-space for the normal.
    #[inline]
    pub fn truncated_hazard(&self, c: f64, x: f64) -> f64 {
        if !(x > c) {
            return f64::INFINITY;
        }
        match self.family {
            Family::Logistic => {
                let s = self.scale;
                let z = (x - self.location) / s;
                if c == f64::NEG_INFINITY {
                    return 1.0 / (s * (1.0 + z.exp()));
                }
                let zc = (c - self.location) / s;
                let d = z - zc;
                if zc >= 0.0 {
                    (1.0 + (-zc).exp()) / (s * (1.0 + (-z).exp()) * d.exp_m1())
                } else {
                    (1.0 + zc.exp()) / (s * (1.0 + z.exp()) * (-(-d).exp_m1()))
                }
            }
            Family::Uniform => {
                let (a, b) = (self.location - self.scale, self.location + self.scale);
                if x > b {
                    0.0
                } else if x <= a {
                    f64::INFINITY
                } else {
                    1.0 / (x - c.max(a))
                }
            }
            Family::Normal => (self.log_pdf(x) - self.log_mass(c, x)).exp(),
        }
    }

    /// Precomputes what [`Threshold::hazard_and_slope`] needs of a fixed truncation point `c`.
    #[inline]
    pub fn truncation(&self, c: f64) -> Truncation {
        let zc = (c - self.location) / self.scale;
        Truncation {
            c,
            zc,
            exp_neg_abs_zc: (-zc.abs()).exp(),
        }
    }

    /// `(g(x)/[G(x) − G(c)], d log g(x)/dx)` together: for the logistic family both come from
    /// one exponential (the last stage's first-order condition needs exactly these two).
    #[inline]
    pub fn hazard_and_slope(&self, t: &Truncation, x: f64) -> (f64, f64) {
        let c = t.c;
        if self.family != Family::Logistic {
            return (self.truncated_hazard(c, x), self.dlog_pdf(x));
        }
        if !(x > c) {
            return (f64::INFINITY, self.dlog_pdf(x));
        }
        let s = self.scale;
        let z = (x - self.location) / s;
        if z.abs() > 30.0 || t.zc.abs() > 30.0 {
            return (self.truncated_hazard(c, x), self.dlog_pdf(x));
        }
        let e = z.exp();
        let slope = (1.0 - e) / ((1.0 + e) * s);
        if c == f64::NEG_INFINITY {
            return (1.0 / (s * (1.0 + e)), slope);
        }
        let (zc, ec) = (t.zc, t.exp_neg_abs_zc);
        let d = z - zc;
        let q = if zc >= 0.0 {
            // ec = e^{−zc}.
            let em1 = if d > 0.5 { e * ec - 1.0 } else { d.exp_m1() };
            (1.0 + ec) / (s * (1.0 + 1.0 / e) * em1)
        } else {
            // ec = e^{zc}.
            let one_minus = if d > 0.5 {
                1.0 - ec / e
            } else {
                -(-d).exp_m1()
            };
            (1.0 + ec) / (s * (1.0 + e) * one_minus)
        };
        (q, slope)
    }

    /// [`Threshold::mass_fast`] from `c`'s precomputed [`Truncation`] (bit-identical; the
    /// logistic family then needs one exponential instead of two or three).
    #[inline]
    pub fn mass_from(&self, t: &Truncation, x: f64) -> f64 {
        let c = t.c;
        if self.family != Family::Logistic || c == f64::NEG_INFINITY || !(x > c) {
            return self.mass_fast(c, x);
        }
        let z = self.standardize(x);
        let e = (-z.abs()).exp();
        // G and 1 − G of a standardized point from e^{−|z|}, as in `cdf` and `sf`.
        let split = |z: f64, e: f64| {
            if z >= 0.0 {
                (1.0 / (1.0 + e), e / (1.0 + e))
            } else {
                (e / (1.0 + e), 1.0 / (1.0 + e))
            }
        };
        let (gx, sx) = split(z, e);
        let (gc, sc) = split(t.zc, t.exp_neg_abs_zc);
        if gx < 0.5 {
            (gx - gc).max(0.0)
        } else {
            (sc - sx).max(0.0)
        }
    }

    /// The density at the truncation point, `g(c)` (cheap for the logistic family).
    #[inline]
    pub fn pdf_at(&self, t: &Truncation) -> f64 {
        if self.family != Family::Logistic || t.c == f64::NEG_INFINITY {
            return self.pdf(t.c);
        }
        let e = t.exp_neg_abs_zc;
        e / (self.scale * (1.0 + e) * (1.0 + e))
    }

    /// `G(x) − G(c)` (0 when `x ≤ c`), without logarithms: the difference of CDFs in the lower
    /// half and of survival functions in the upper half, so that its absolute error is at the
    /// rounding level of the smaller tail.
    #[inline]
    pub fn mass_fast(&self, c: f64, x: f64) -> f64 {
        if !(x > c) {
            return 0.0;
        }
        mass_by_tails(c, self.cdf(x), || self.cdf(c), || (self.sf(c), self.sf(x)))
    }

    /// The quantile `G⁻¹(p)` for `p ∈ (0, 1)`.
    pub fn quantile(&self, p: f64) -> f64 {
        let z = match self.family {
            Family::Logistic => (p / (1.0 - p)).ln(),
            Family::Normal => normal_quantile(p),
            Family::Uniform => 2.0 * p - 1.0,
        };
        self.location + self.scale * z
    }

    /// The standard deviation of `r` (for reports).
    pub fn std_dev(&self) -> f64 {
        let sd = match self.family {
            Family::Logistic => PI / 3f64.sqrt(),
            Family::Normal => 1.0,
            Family::Uniform => 1.0 / 3f64.sqrt(),
        };
        sd * self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_are_the_critical_values() {
        // R: qnorm(c(0.975, 0.95, 0.995)).
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert!((normal_quantile(0.95) - 1.644_853_626_951_472_2).abs() < 1e-14);
        assert!((normal_quantile(0.995) - 2.575_829_303_548_900_4).abs() < 1e-14);
        assert!(normal_quantile(0.5).abs() < 1e-15);
        assert!((normal_quantile(0.025) + normal_quantile(0.975)).abs() < 1e-14);
    }

    #[test]
    fn log_cdf_matches_cdf_and_tails_are_finite() {
        for family in [Family::Logistic, Family::Normal] {
            let d = Threshold::new(family, 0.3, 0.7);
            for t in [-3.0, -0.5, 0.0, 0.3, 1.2, 4.0] {
                assert!((d.log_cdf(t).exp() - d.cdf(t)).abs() < 1e-14);
                assert!((d.log_sf(t).exp() - d.sf(t)).abs() < 1e-14);
                assert!((d.cdf(t) + d.sf(t) - 1.0).abs() < 1e-14);
            }
            let far = Threshold::new(family, 50.0, 1e-4);
            let l = far.log_cdf(0.5);
            assert!(l.is_finite() && l < -1e5, "{family:?} {l}");
        }
    }

    #[test]
    fn normal_log_cdf_tail_matches_series() {
        // log Φ(−30) from the asymptotic expansion.
        let z: f64 = -30.0;
        let series = -0.5 * z * z - LN_SQRT_2PI - (-z).ln() + (1.0 - 1.0 / (z * z)).ln();
        assert!((normal_log_cdf(z) - series).abs() < 1e-5);
        // Continuity at the switch point.
        assert!((normal_log_cdf(-19.999_999) - normal_log_cdf(-20.000_001)).abs() < 1e-4);
    }

    #[test]
    fn log_mass_is_accurate_in_both_halves() {
        let d = Threshold::new(Family::Logistic, 0.0, 1.0);
        for (a, b) in [(-40.0, -39.0), (-1.0, 0.5), (2.0, 3.0), (30.0, 31.0)] {
            let exact = (d.cdf(b) - d.cdf(a)).max(d.sf(a) - d.sf(b));
            let rel = (d.log_mass(a, b).exp() - exact).abs() / exact;
            assert!(rel < 1e-10, "{a} {b} {rel}");
        }
        assert_eq!(d.log_mass(1.0, 1.0), f64::NEG_INFINITY);
    }

    #[test]
    fn truncated_hazard_matches_log_space() {
        for family in [Family::Logistic, Family::Normal, Family::Uniform] {
            let d = Threshold::new(family, 0.3, 0.4);
            for (c, x) in [
                (f64::NEG_INFINITY, 0.2),
                (-0.5, 0.1),
                (0.2, 0.25),
                (0.5, 0.6),
                (0.6, 0.65),
            ] {
                let reference = (d.log_pdf(x) - d.log_mass(c, x)).exp();
                let fast = d.truncated_hazard(c, x);
                assert!(
                    (fast - reference).abs() <= 1e-10 * reference.max(1e-300),
                    "{family:?} c={c} x={x}: {fast} vs {reference}"
                );
            }
        }
        let d = Threshold::new(Family::Logistic, 0.3, 0.4);
        for (c, x) in [
            (f64::NEG_INFINITY, 0.2),
            (-0.5, 0.1),
            (0.2, 0.25),
            (0.5, 0.6),
            (0.6, 0.65),
            (0.3, 2.0),
        ] {
            let (q, slope) = d.hazard_and_slope(&d.truncation(c), x);
            assert!(
                (q - d.truncated_hazard(c, x)).abs() <= 1e-12 * q,
                "c={c} x={x}"
            );
            assert!((slope - d.dlog_pdf(x)).abs() <= 1e-12 * (1.0 + slope.abs()));
            assert!((d.mass_fast(c, x) - d.mass(c, x)).abs() <= 1e-15);
        }
        let far = Threshold::new(Family::Logistic, 40.0, 1e-3);
        assert!(far.truncated_hazard(0.1, 0.2).is_finite());
        assert!(far.truncated_hazard(f64::NEG_INFINITY, 0.2).is_finite());
    }
}
