//! Scalar root finding for the equilibrium solver: Brent's method on a bracket.

/// Finds a root of `f` in `[a, b]`, given `f(a) = fa` and `f(b) = fb` of opposite signs
/// (infinite values are allowed at the ends). Brent–Dekker: inverse quadratic interpolation and
/// secant steps, safeguarded by bisection. Returns the point with the smaller `|f|` once the
/// bracket is shorter than `tol`, and whether that happened (`false`: 200 iterations ran out and
/// the point is the last one).
pub fn brent_root(
    mut f: impl FnMut(f64) -> f64,
    mut a: f64,
    mut b: f64,
    mut fa: f64,
    mut fb: f64,
    tol: f64,
) -> (f64, bool) {
    if fa == 0.0 {
        return (a, true);
    }
    if fb == 0.0 {
        return (b, true);
    }
    let mut c = a;
    let mut fc = fa;
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return (b, true);
        }
        let finite = fa.is_finite() && fb.is_finite() && fc.is_finite();
        if finite && e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * xm * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * xm * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            let min1 = 3.0 * xm * q - (tol1 * q).abs();
            let min2 = (e * q).abs();
            if 2.0 * p < min1.min(min2) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
        if fb.is_nan() {
            // Treat an undefined value as the side that keeps the bracket valid.
            fb = -fc;
        }
    }
    (b, false)
}

/// Maximizes `f` on `[a, b]` by golden-section search (used where the derivative is not
/// reliable, e.g. at kinks of a uniform distribution). Returns `(argmax, max)`.
pub fn golden_max(mut f: impl FnMut(f64) -> f64, mut a: f64, mut b: f64, tol: f64) -> (f64, f64) {
    const INV_PHI: f64 = 0.618_033_988_749_894_9;
    let mut x1 = b - INV_PHI * (b - a);
    let mut x2 = a + INV_PHI * (b - a);
    let mut f1 = f(x1);
    let mut f2 = f(x2);
    for _ in 0..200 {
        if (b - a).abs() <= tol {
            break;
        }
        if f1 < f2 {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + INV_PHI * (b - a);
            f2 = f(x2);
        } else {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - INV_PHI * (b - a);
            f1 = f(x1);
        }
    }
    if f1 >= f2 {
        (x1, f1)
    } else {
        (x2, f2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_roots() {
        let (r, converged) = brent_root(|x| x * x - 2.0, 0.0, 2.0, -2.0, 2.0, 1e-15);
        assert!(converged && (r - 2f64.sqrt()).abs() < 1e-14);
        let (r, converged) = brent_root(|x| (x - 0.3).powi(3), 0.0, 1.0, -0.027, 0.343, 1e-15);
        assert!(converged && (r - 0.3).abs() < 1e-5);
        // A tolerance that cannot be met (negative) and no exact zero in floating point: the
        // iterations run out, and that is reported.
        let (_, converged) = brent_root(|x| x * x - 2.0, 0.0, 2.0, -2.0, 2.0, -1.0);
        assert!(!converged, "the iteration cap is reported");
    }

    #[test]
    fn golden_finds_maximum() {
        let (x, fx) = golden_max(|x| -(x - 0.7f64).powi(2), 0.0, 1.0, 1e-10);
        assert!((x - 0.7).abs() < 1e-8 && fx.abs() < 1e-15);
    }
}
