//! The cubic Hermite interpolant on a cell `[t0, t1]` of width `h` through the values `v` and
//! slopes `s` at both ends, in `u = (t − t0)/h ∈ [0, 1]`:
//!
//! ```text
//! p(u)  = (2u³ − 3u² + 1)·v0 + (u³ − 2u² + u)·h·s0 + (−2u³ + 3u²)·v1 + (u³ − u²)·h·s1
//! p'(u) = A·u² + B·u + C,   A = 6(v0 − v1) + 3h(s0 + s1),   B = 6(v1 − v0) − h(4s0 + 2s1),
//!         C = h·s0
//! ```
//!
//! Its interior critical points (the roots of `p'` in `(0, 1)`) tell what the scan's values
//! alone cannot: a cell whose slopes have the same sign at both ends but whose values do not
//! rise (or fall) as much as they say holds a maximum and a minimum (`estimate.rs` takes the
//! maximum as an estimate; `refinement.rs` refines such a hidden maximum). Written as
//!
//! ```text
//! p'(u) = m0·(1 − u) + m1·u + β·u(1 − u),   m = h·s,   β = 6(v1 − v0) − 3(m0 + m1)
//! ```
//!
//! and since `min_u [m0/u + m1/(1 − u)] = (√m0 + √m1)²`, a rising cell (`m0 > 0`, `m1 ≥ 0`)
//! has a maximum inside exactly when `−β > (√m0 + √m1)²`, a falling one (`m0 ≤ 0`, `m1 < 0`)
//! exactly when `β > (√−m0 + √−m1)²`, a cell whose slope falls from positive to negative
//! always, and one whose slope rises through zero never.

/// The cubic through `(a, y_a)` and `(b, y_b)` with slopes `d_a`, `d_b` there, at `t` (inside
/// `[a, b]` an interpolation, beyond it an extrapolation).
#[inline]
pub(super) fn hermite((a, ya, da): (f64, f64, f64), (b, yb, db): (f64, f64, f64), t: f64) -> f64 {
    let h = b - a;
    let s = (t - a) / h;
    let (s2, s3) = (s * s, s * s * s);
    (2.0 * s3 - 3.0 * s2 + 1.0) * ya
        + (s3 - 2.0 * s2 + s) * h * da
        + (-2.0 * s3 + 3.0 * s2) * yb
        + (s3 - s2) * h * db
}

/// Whether the cubic Hermite interpolant on `[t0, t1]` through the values and slopes
/// `(t, v, s)` at both ends has a local maximum inside the cell (see the module doc; cheaper
/// than [`hermite_extrema`]).
#[inline]
pub(super) fn has_interior_maximum(
    (t0, v0, s0): (f64, f64, f64),
    (t1, v1, s1): (f64, f64, f64),
) -> bool {
    let h = t1 - t0;
    let (m0, m1) = (h * s0, h * s1);
    let beta = 6.0 * (v1 - v0) - 3.0 * (m0 + m1);
    // (√a + √b)² = a + b + 2√(ab): the cheap part first.
    let beyond =
        |excess: f64, a: f64, b: f64| excess > a + b && excess > a + b + 2.0 * (a * b).sqrt();
    match (m0 > 0.0, m1 < 0.0) {
        (true, true) => true,
        (true, false) => beyond(-beta, m0, m1),
        (false, true) => beyond(beta, -m0, -m1),
        (false, false) => false,
    }
}

/// The interior critical points of the cubic Hermite interpolant on `[t0, t1]` through the
/// values and slopes `(t, v, s)` at both ends: its local maximum and its local minimum inside
/// the cell, as cutoffs (`None` where there is none; a double root is neither).
pub(super) fn hermite_extrema(
    (t0, v0, s0): (f64, f64, f64),
    (t1, v1, s1): (f64, f64, f64),
) -> (Option<f64>, Option<f64>) {
    let h = t1 - t0;
    if !(h > 0.0 && [v0, v1, s0, s1].iter().all(|x| x.is_finite())) {
        return (None, None);
    }
    let (m0, m1) = (h * s0, h * s1);
    let a = 6.0 * (v0 - v1) + 3.0 * (m0 + m1);
    let b = 6.0 * (v1 - v0) - 4.0 * m0 - 2.0 * m1;
    let c = m0;
    // The roots of p' (the stable form of the quadratic formula), with the sign of p'' there.
    let mut roots = [(f64::NAN, 0.0); 2];
    if a.abs() <= 1e-12 * (b.abs() + c.abs()) {
        roots[0] = (-c / b, b);
    } else {
        let disc = b * b - 4.0 * a * c;
        if !(disc > 0.0) {
            return (None, None);
        }
        let q = -0.5 * (b + disc.sqrt().copysign(b));
        for (root, u) in roots.iter_mut().zip([q / a, c / q]) {
            *root = (u, 2.0 * a * u + b);
        }
    }
    let (mut maximum, mut minimum) = (None, None);
    for (u, curvature) in roots {
        if u > 0.0 && u < 1.0 {
            let t = t0 + u * h;
            if curvature < 0.0 {
                maximum = Some(t);
            } else if curvature > 0.0 {
                minimum = Some(t);
            }
        }
    }
    (maximum, minimum)
}

#[cfg(test)]
mod tests {
    use super::{has_interior_maximum, hermite, hermite_extrema};

    /// On a cubic the interpolant is exact: its maximum and minimum are found to rounding.
    #[test]
    fn extrema_of_a_cubic_are_exact() {
        // v'(t) = 3(t − 0.2)(t − 0.7): a maximum at 0.2 and a minimum at 0.7.
        let v = |t: f64| t * t * t - 1.35 * t * t + 0.42 * t + 1.0;
        let dv = |t: f64| 3.0 * (t - 0.2) * (t - 0.7);
        let (maximum, minimum) = hermite_extrema((0.0, v(0.0), dv(0.0)), (1.0, v(1.0), dv(1.0)));
        assert!((maximum.expect("a maximum") - 0.2).abs() < 1e-12);
        assert!((minimum.expect("a minimum") - 0.7).abs() < 1e-12);
        assert!(
            (hermite((0.0, v(0.0), dv(0.0)), (1.0, v(1.0), dv(1.0)), 0.37) - v(0.37)).abs() < 1e-12
        );
        // Both slopes positive and the values rising as much as they say: monotone, nothing
        // inside.
        assert_eq!(
            hermite_extrema((0.0, 0.0, 1.0), (1.0, 1.0, 1.0)),
            (None, None)
        );
        assert!(!has_interior_maximum((0.0, 0.0, 1.0), (1.0, 1.0, 1.0)));
        // The same slopes with equal values: a maximum, then a minimum (a hidden peak).
        let (maximum, minimum) = hermite_extrema((0.0, 0.0, 1.0), (1.0, 0.0, 1.0));
        assert!(maximum.expect("a maximum") < minimum.expect("a minimum"));
        assert!(has_interior_maximum((0.0, 0.0, 1.0), (1.0, 0.0, 1.0)));
    }

    /// The cheap test agrees with the roots on random cells (rising, falling, bracketing,
    /// near the boundary `−β = (√m0 + √m1)²`).
    #[test]
    fn the_test_for_a_maximum_inside_agrees_with_the_roots() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut with_maximum = 0;
        for _ in 0..20_000 {
            let (s0, s1) = (4.0 * uniform() - 2.0, 4.0 * uniform() - 2.0);
            let (v0, v1) = (uniform() - 0.5, uniform() - 0.5);
            let (left, right) = ((0.0, v0, s0), (0.5, v1, s1));
            let exact = hermite_extrema(left, right).0.is_some();
            let cheap = has_interior_maximum(left, right);
            // Near the boundary the two may differ by a double root's rounding.
            let (m0, m1) = (0.5 * s0, 0.5 * s1);
            let beta = 6.0 * (v1 - v0) - 3.0 * (m0 + m1);
            let edge = ((m0.abs().sqrt() + m1.abs().sqrt()).powi(2) - beta.abs()).abs() < 1e-9;
            assert!(
                exact == cheap || edge,
                "{left:?} {right:?}: roots {exact}, test {cheap}"
            );
            with_maximum += usize::from(exact);
        }
        assert!(with_maximum > 2_000, "{with_maximum}");
    }
}
