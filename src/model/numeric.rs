//! Scalar root finding for the equilibrium solver: Brent's method on a bracket, and secant steps
//! from values already known inside it.

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

/// Interpolation steps that [`warm_root`] takes before it hands over to [`brent_root`].
const WARM_STEPS: usize = 6;

/// The (up to four) points with the smallest `|f|` seen by [`warm_root`], best first.
struct Nearest {
    points: [(f64, f64); 4],
    n: usize,
}

impl Nearest {
    /// Inserts `p` in its place by `|f|` (dropping the worst when full, and a repeated `x`).
    fn insert(&mut self, p: (f64, f64)) {
        if !(p.0.is_finite() && p.1.is_finite()) || self.points[..self.n].iter().any(|q| q.0 == p.0)
        {
            return;
        }
        let mut i = self.n.min(3);
        if self.n == 4 && p.1.abs() >= self.points[3].1.abs() {
            return;
        }
        while i > 0 && self.points[i - 1].1.abs() > p.1.abs() {
            self.points[i] = self.points[i - 1];
            i -= 1;
        }
        self.points[i] = p;
        self.n = (self.n + 1).min(4);
    }
}

/// Finds a root of `f` in `[a, b]` as [`brent_root`] does, starting from values of `f` that are
/// already known (`known`: points and values, e.g. from earlier solves; those inside the bracket
/// narrow it). Each step evaluates `f` where the polynomial through the (up to four) points with
/// the smallest `|f|` (`x` as a function of `f`) reaches zero, when `f` is strictly monotone
/// through them with values apart, else where the secant through the best two does, aimed half a
/// tolerance beyond that estimate as seen from the best point (so that the step which reaches
/// the root lands across it and shows the sign change the stopping test needs). The search
/// stops at the point with the smallest `|f|` when the secant step from it through the
/// second-best point is at most `tol`, that point is within `near`, both in the bracket given,
/// and `f` changes sign between them (next to a simple root the steps converge superlinearly, so
/// that step bounds the remaining error; when both lie on one side, the next point is taken just
/// beyond the secant's root to see the sign change). A step that leaves the bracket, an
/// undefined value or `WARM_STEPS` (6) steps hand the narrowed bracket to Brent's method. Returns
/// the root and whether the search converged.
pub fn warm_root(
    mut f: impl FnMut(f64) -> f64,
    (mut a, mut fa): (f64, f64),
    (mut b, mut fb): (f64, f64),
    known: &[(f64, f64)],
    tol: f64,
    near: f64,
) -> (f64, bool) {
    if fa == 0.0 {
        return (a, true);
    }
    if fb == 0.0 {
        return (b, true);
    }
    if a > b {
        ((a, fa), (b, fb)) = ((b, fb), (a, fa));
    }
    let positive_at_a = fa > 0.0;
    let (a0, b0) = (a, b);
    let mut nearest = Nearest {
        points: [(a, fa), (b, fb), (0.0, 0.0), (0.0, 0.0)],
        n: 2,
    };
    if fb.abs() < fa.abs() {
        nearest.points.swap(0, 1);
    }
    for &(x, fx) in known {
        if x > a && x < b && !fx.is_nan() {
            if (fx > 0.0) == positive_at_a {
                (a, fa) = (x, fx);
            } else {
                (b, fb) = (x, fx);
            }
            nearest.insert((x, fx));
        } else if fx != 0.0 && ((x < a0) == ((fx > 0.0) == positive_at_a)) && (x < a0 || x > b0) {
            // A point beyond the bracket helps the interpolation only where `f` has the sign of
            // the bracket's end on its side (a zero or the other sign there, e.g. a flat
            // stretch beyond a cliff, is not this bracket's root).
            nearest.insert((x, fx));
        }
    }
    for step in 0..=WARM_STEPS {
        let (best, second) = (nearest.points[0], nearest.points[1]);
        if best.1 == 0.0 {
            return (best.0, true);
        }
        // The nearest points in increasing x (insertion sort of at most four).
        let mut by_x = nearest.points;
        let by_x = &mut by_x[..nearest.n];
        for i in 1..by_x.len() {
            let mut j = i;
            while j > 0 && by_x[j - 1].0 > by_x[j].0 {
                by_x.swap(j - 1, j);
                j -= 1;
            }
        }
        if best.1 == second.1 {
            break;
        }
        // The secant step from the best point: the stopping test (well conditioned whenever the
        // two points differ), and the step where the interpolation is not.
        let secant = best.0 - best.1 * (best.0 - second.0) / (best.1 - second.1);
        let in_bracket = |p: (f64, f64)| p.0 >= a0 && p.0 <= b0;
        let converging = (secant - best.0).abs() <= tol
            && (best.0 - second.0).abs() <= near
            && in_bracket(best)
            && in_bracket(second);
        // The root is taken only where `f` is seen to change sign: from the best point to the
        // second (or to a point just beyond the secant's root, tried next); a tail where `f`
        // only decays towards zero is not a root.
        if converging && (best.1 > 0.0) != (second.1 > 0.0) {
            return (best.0, true);
        }
        // The inverse interpolation needs `f` strictly monotone through the points, with values
        // apart (two points at nearly the same x, e.g. solves kept from searches at nearby
        // cutoffs, would make its weights cancel).
        let largest = by_x.iter().fold(0.0f64, |m, p| m.max(p.1.abs()));
        let apart = |w: &[(f64, f64)]| (w[1].1 - w[0].1).abs() > 1e-9 * largest;
        let decreasing = by_x.windows(2).all(|w| w[1].1 < w[0].1 && apart(w));
        let increasing = by_x.windows(2).all(|w| w[1].1 > w[0].1 && apart(w));
        let x = if converging {
            best.0
                + 2.0
                    * (secant - best.0)
                        .abs()
                        .max(0.5 * tol)
                        .copysign(secant - best.0)
        } else {
            let estimate = if by_x.len() >= 3 && (decreasing || increasing) {
                inverse_interpolation(by_x)
            } else {
                secant
            };
            // Aimed half a tolerance beyond the estimate, as seen from the best point: once the
            // estimate is that close, the new point lies across the root from the best one,
            // and the stopping test sees the sign change without a further point.
            let beyond = estimate + (0.5 * tol).copysign(estimate - best.0);
            if beyond > a && beyond < b {
                beyond
            } else {
                estimate
            }
        };
        if !(x > a && x < b) || step == WARM_STEPS {
            break;
        }
        let fx = f(x);
        if fx.is_nan() {
            break;
        }
        if fx == 0.0 {
            return (x, true);
        }
        if (fx > 0.0) == positive_at_a {
            (a, fa) = (x, fx);
        } else {
            (b, fb) = (x, fx);
        }
        nearest.insert((x, fx));
    }
    brent_root(f, a, b, fa, fb, tol)
}

/// The point where the polynomial through `points` (`x` as a function of `f`, Lagrange form)
/// reaches `f = 0`; the values of `f` must be distinct.
fn inverse_interpolation(points: &[(f64, f64)]) -> f64 {
    let mut x = 0.0;
    for (i, &(xi, fi)) in points.iter().enumerate() {
        let mut weight = 1.0;
        for (j, &(_, fj)) in points.iter().enumerate() {
            if i != j {
                weight *= fj / (fj - fi);
            }
        }
        x += weight * xi;
    }
    x
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

    /// From a bracket alone, a smooth root is found to the tolerance in a few steps.
    #[test]
    fn warm_root_finds_a_smooth_root() {
        let mut evaluations = 0;
        let (x, converged) = warm_root(
            |x: f64| {
                evaluations += 1;
                x.exp() - 2.0
            },
            (0.0, -1.0),
            (1.0, std::f64::consts::E - 2.0),
            &[],
            1e-14,
            1e-3,
        );
        assert!(converged && (x - 2f64.ln()).abs() < 1e-14, "{x}");
        assert!(evaluations <= 7, "{evaluations} evaluations");
    }
}
