//! Property tests of the equilibrium solver over the whole admissible parameter space:
//! locations in `[−50, 50]`, scales log-uniform in `[1e−4, 1e3]`, `ρ, δ_R, δ_P, w_poll ∈ [0, 1]`
//! (exact 0 and 1 included), every protocol, family, proposer (foreign, home, mixed) and with or
//! without a foreign constraint.
//!
//! * the outcome probabilities are finite, in `[0, 1]` and sum to 1 (1e−12); offers are in
//!   `[0, 1]`; cutoffs are nondecreasing along the path; nothing in an [`Equilibrium`] is NaN
//!   (also with every parameter exactly at the ends of its range);
//! * global optimality (a cheap version of `tests/brute_force.rs`): the proposer's value at the
//!   returned path is at least its value at every point of a fine grid of the first-stage
//!   cutoff, the later stages playing their optimal replies (computed here independently);
//! * the certificate: the first stage's bound on every cell of a fine partition is at least the
//!   objective inside the cell (the later stages optimal, computed here), the bound is at least
//!   the value returned, and a certified stage's gap is within the tolerance; a deliberately hard
//!   case (two nearly equal maxima far apart, a narrow foreign window next to a poll) is
//!   certified with the right maximizer on either side of the tie;
//! * the likelihood's fast search (no certificate) agrees: its path is well formed, beats the
//!   same grid, and has the certified solve's probabilities unless the two are a near-tie (also
//!   over games with a steep foreign constraint inside the offers, where `π` has a near-cliff);
//! * continuity: moving the home location by 1e−9 moves the outcome probabilities by < 1e−4,
//!   unless the solution switches between distant maxima (offers jump by > 1e−3), which must
//!   then be a genuine near-tie in the proposer's value.
//!
//! The number of cases is `TWOLEVEL_PROPTEST_CASES` (default 256), drawn from a fixed seed unless
//! `TWOLEVEL_PROPTEST_SEED` says otherwise (see `tests/common`).

// `!(a > b)` is deliberate: it is true when either side is NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod common;

use proptest::prelude::*;
use twolevel::model::{
    equilibrium::solve_path, first_stage_cell_bounds, first_stage_certificate, solve_with_proposer,
    solve_with_proposer_unchecked, Equilibrium, Family, Game, Proposer, Protocol, Scalars, Side,
    Threshold, CERTIFICATE_TOLERANCE,
};

// ---------------------------------------------------------------------------------------------
// Strategies.

fn unit() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 1 => Just(1.0), 3 => 0.0..=1.0f64]
}

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![
        Just(Family::Logistic),
        Just(Family::Normal),
        Just(Family::Uniform)
    ]
}

fn location() -> impl Strategy<Value = f64> {
    // The whole range, with extra weight where [0, 1] is not deep in a tail.
    prop_oneof![-50.0..=50.0f64, -1.5..=2.5f64]
}

fn scale() -> impl Strategy<Value = f64> {
    ((1e-4f64).ln()..=(1e3f64).ln()).prop_map(f64::exp)
}

fn threshold() -> impl Strategy<Value = Threshold> {
    (family(), location(), scale()).prop_map(|(f, m, s)| Threshold::new(f, m, s))
}

fn proposer() -> impl Strategy<Value = Proposer> {
    prop_oneof![
        Just(Proposer::Fixed(Side::Foreign)),
        Just(Proposer::Fixed(Side::Home)),
        (0.0..=1.0f64).prop_map(|p_home| Proposer::Mixed { p_home }),
    ]
}

/// The ends of every range, exactly, mixed with the ranges (for the NaN hunt).
fn edge_threshold() -> impl Strategy<Value = Threshold> {
    (
        family(),
        prop_oneof![
            Just(-50.0),
            Just(50.0),
            Just(0.0),
            Just(1.0),
            Just(0.5),
            location()
        ],
        prop_oneof![Just(1e-4), Just(1e3), Just(1.0), scale()],
    )
        .prop_map(|(f, m, s)| Threshold::new(f, m, s))
}

fn edge_proposer() -> impl Strategy<Value = Proposer> {
    prop_oneof![
        proposer(),
        Just(Proposer::Mixed { p_home: 0.0 }),
        Just(Proposer::Mixed { p_home: 1.0 }),
        Just(Proposer::Mixed { p_home: 0.5 }),
    ]
}

fn edge_input() -> impl Strategy<Value = Input> {
    (
        (any::<bool>(), any::<bool>()),
        edge_threshold(),
        proptest::option::of(edge_threshold()),
        edge_proposer(),
        (unit(), unit(), unit(), unit()),
    )
        .prop_map(
            |((poll, renegotiation), home, foreign, proposer, (rho, dr, dp, w))| Input {
                game: Game {
                    home,
                    foreign,
                    proposer: Side::Foreign,
                    protocol: Protocol {
                        poll,
                        renegotiation,
                    },
                    scalars: Scalars {
                        rho,
                        delta_ratifier: dr,
                        delta_proposer: dp,
                        poll_weight: w,
                    },
                },
                proposer,
            },
        )
}

#[derive(Debug, Clone, Copy)]
struct Input {
    game: Game,
    proposer: Proposer,
}

fn input() -> impl Strategy<Value = Input> {
    (
        (any::<bool>(), any::<bool>()),
        threshold(),
        proptest::option::of(threshold()),
        proposer(),
        (unit(), unit(), unit(), unit()),
    )
        .prop_map(
            |((poll, renegotiation), home, foreign, proposer, (rho, dr, dp, w))| Input {
                game: Game {
                    home,
                    foreign,
                    proposer: Side::Foreign,
                    protocol: Protocol {
                        poll,
                        renegotiation,
                    },
                    scalars: Scalars {
                        rho,
                        delta_ratifier: dr,
                        delta_proposer: dp,
                        poll_weight: w,
                    },
                },
                proposer,
            },
        )
}

/// Games with a steep foreign constraint inside the offers (location in `[0.05, 0.95]`, scale
/// log-uniform in `[1e−4, 3e−2]`) and a renegotiation stage: `π` then has a near-cliff that the
/// whole-range strategy above rarely puts where the offers are.
fn steep_foreign_input() -> impl Strategy<Value = Input> {
    (
        input(),
        family(),
        0.05..0.95f64,
        ((1e-4f64).ln()..(3e-2f64).ln()),
    )
        .prop_map(|(mut input, family, location, log_scale)| {
            input.game.foreign = Some(Threshold::new(family, location, log_scale.exp()));
            input.game.protocol.renegotiation = true;
            input
        })
}

/// Three-stage games (`[poll, vote, renegotiation]`) with a uniform home distribution and no
/// foreign constraint (location in `[−1, 1.5]`, scale log-uniform in `[0.01, 10]`): the middle
/// stage's optimum then meets the kinks of its problem (the ends of the support; its own offer's
/// `max(x_{k+2} − c, 0)`) and can jump between two maxima as the poll's cutoff moves, so the
/// poll's objective has kinks and jumps between its scan points. The whole-range strategy draws
/// such a game once in about two dozen cases.
fn uniform_three_stage_input() -> impl Strategy<Value = Input> {
    (input(), -1.0..1.5f64, ((1e-2f64).ln()..(1e1f64).ln())).prop_map(
        |(mut input, location, log_scale)| {
            input.game.home = Threshold::new(Family::Uniform, location, log_scale.exp());
            input.game.foreign = None;
            input.game.protocol = Protocol {
                poll: true,
                renegotiation: true,
            };
            input
        },
    )
}

// ---------------------------------------------------------------------------------------------
// An independent evaluator of the stage problems (MODEL.md §3) for the optimality checks.

struct Model {
    home: Threshold,
    foreign: Option<Threshold>,
    side: Side,
    /// `(κ, λ)` into stage `k` (entry 0 unused).
    transitions: Vec<(f64, f64)>,
}

/// A stage's solution given the cutoff before it: value `W_k(c)` and offer `x_k(c)`.
#[derive(Clone, Copy, Debug)]
struct Sol {
    value: f64,
    offer: f64,
}

impl Model {
    fn new(game: &Game, side: Side) -> Self {
        let s = game.scalars;
        let mut transitions = vec![(f64::NAN, f64::NAN)];
        if game.protocol.poll {
            transitions.push((s.poll_weight, 1.0));
        }
        if game.protocol.renegotiation {
            transitions.push((s.rho * s.delta_ratifier, s.rho * s.delta_proposer));
        }
        Model {
            home: game.home,
            foreign: game.foreign,
            side,
            transitions,
        }
    }

    fn k_last(&self) -> usize {
        self.transitions.len() - 1
    }

    fn u(&self, x: f64) -> f64 {
        match self.side {
            Side::Foreign => 1.0 - x,
            Side::Home => x,
        }
    }

    fn pi(&self, x: f64) -> f64 {
        self.u(x).max(0.0) * self.foreign.map_or(1.0, |f| f.cdf(1.0 - x))
    }

    fn mass(&self, a: f64, b: f64) -> f64 {
        if b > a {
            self.home.mass(a, b)
        } else {
            0.0
        }
    }

    /// d/dx [log π(x) + log(G(x) − G(c))], nonincreasing in `x` (log-concavity).
    fn foc(&self, x: f64, c: f64) -> f64 {
        let u = self.u(x);
        let mut d = match self.side {
            Side::Foreign => -1.0 / u,
            Side::Home => 1.0 / u,
        };
        if let Some(f) = self.foreign {
            let y = 1.0 - x;
            let lc = f.log_cdf(y);
            if lc == f64::NEG_INFINITY {
                return f64::NEG_INFINITY;
            }
            d -= (f.log_pdf(y) - lc).exp();
        }
        let lm = self.home.log_mass(c, x);
        if lm == f64::NEG_INFINITY {
            return f64::INFINITY;
        }
        d + (self.home.log_pdf(x) - lm).exp()
    }

    /// The last stage: `max_x π(x)[G(x) − G(c)]` by bisection on the sign of the (monotone)
    /// first-order condition; the corners otherwise.
    fn last(&self, c: f64) -> Sol {
        let (mut a, mut b) = (c.max(0.0), 1.0);
        if !(b > a) {
            return Sol {
                value: 0.0,
                offer: c.clamp(0.0, 1.0),
            };
        }
        let x = if self.foc(b, c) >= 0.0 {
            b
        } else if a > c && self.foc(a, c) <= 0.0 {
            a
        } else {
            for _ in 0..200 {
                let m = 0.5 * (a + b);
                if m <= a || m >= b {
                    break;
                }
                if self.foc(m, c) > 0.0 {
                    a = m;
                } else {
                    b = m;
                }
            }
            0.5 * (a + b)
        };
        let value = self.pi(x) * self.mass(c, x);
        if value > 0.0 {
            Sol { value, offer: x }
        } else {
            Sol {
                value: 0.0,
                offer: c.clamp(0.0, 1.0),
            }
        }
    }

    /// Stage `k` given `c`: the last stage by its first-order condition, a middle stage by a
    /// grid search on 48 points (24 missed a global maximum 6e-4 above a local one:
    /// `fast_search_where_the_reference_needs_a_finer_middle_stage_grid`).
    fn stage(&self, k: usize, c: f64) -> Sol {
        if k == self.k_last() {
            self.last(c)
        } else {
            self.search(k, c, 48, 2)
        }
    }

    /// The stage-`k` objective at cutoff `t` given `c`, later stages optimal: `(value, x_k)`,
    /// `None` if `x_k ∉ [0, 1]`.
    fn objective(&self, k: usize, c: f64, t: f64) -> Option<(f64, f64)> {
        let (kappa, lambda) = self.transitions[k + 1];
        let next = self.stage(k + 1, t);
        let x = if t == f64::NEG_INFINITY {
            if kappa < 1.0 {
                return None;
            }
            next.offer
        } else {
            t + kappa * (next.offer - t).max(0.0)
        };
        if !(0.0..=1.0).contains(&x) {
            return None;
        }
        let accept = if t > c {
            self.pi(x) * self.mass(c, t)
        } else {
            0.0
        };
        Some((accept + lambda * next.value, x))
    }

    /// Candidate cutoffs for stage `k < K` given `c`: uniform in `t`, in `G(t)` and (two-sided)
    /// in `G_F(1 − t)`, on the feasible range with non-negligible mass.
    fn grid(&self, k: usize, c: f64, n: usize) -> Vec<f64> {
        let kappa = self.transitions[k + 1].0;
        let feasible_low = if kappa < 1.0 {
            -kappa / (1.0 - kappa)
        } else {
            f64::NEG_INFINITY
        };
        let tail = self.home.quantile(1e-15).min(1.0);
        let lo = c
            .max(feasible_low)
            .max(if tail.is_finite() { tail } else { -1e6 })
            .min(1.0);
        grid(lo, 1.0, n, &self.home, self.foreign.as_ref())
    }

    /// Stage `k < K` given `c` by grid search, refining the best `peaks` local maxima by
    /// golden-section search.
    fn search(&self, k: usize, c: f64, n: usize, peaks: usize) -> Sol {
        let pts = self.grid(k, c, n);
        let f = |t: f64| self.objective(k, c, t).map_or(f64::NEG_INFINITY, |v| v.0);
        let vals: Vec<f64> = pts.iter().map(|&t| f(t)).collect();
        let mut best = (
            c,
            self.objective(k, c, c).map_or(f64::NEG_INFINITY, |v| v.0),
        );
        let mut idx: Vec<usize> = (0..pts.len())
            .filter(|&i| {
                vals[i] > f64::NEG_INFINITY
                    && (i == 0 || vals[i] >= vals[i - 1])
                    && (i + 1 == pts.len() || vals[i] >= vals[i + 1])
            })
            .collect();
        idx.sort_by(|&a, &b| vals[b].total_cmp(&vals[a]));
        for &i in idx.iter().take(peaks) {
            if vals[i] > best.1 {
                best = (pts[i], vals[i]);
            }
            let mut a = if i > 0 { pts[i - 1] } else { pts[i] };
            let b = if i + 1 < pts.len() {
                pts[i + 1]
            } else {
                pts[i]
            };
            if f(a) == f64::NEG_INFINITY {
                // Feasibility corner (x_k = 0).
                let mut inside = pts[i];
                for _ in 0..100 {
                    let m = 0.5 * (a + inside);
                    if f(m) > f64::NEG_INFINITY {
                        inside = m;
                    } else {
                        a = m;
                    }
                }
                a = inside;
            }
            let (t, v) = golden(&f, a, b);
            if v > best.1 {
                best = (t, v);
            }
        }
        // The feasibility corner (x_k = 0) wherever the offer turns feasible, not only next to
        // a peak: the stage's maximum can sit there with no peak of the grid beside it.
        for w in pts.windows(2) {
            if !(f(w[0]) == f64::NEG_INFINITY && f(w[1]) > f64::NEG_INFINITY) {
                continue;
            }
            let (mut a, mut inside) = (w[0], w[1]);
            for _ in 0..100 {
                let m = 0.5 * (a + inside);
                if f(m) > f64::NEG_INFINITY {
                    inside = m;
                } else {
                    a = m;
                }
            }
            if f(inside) > best.1 {
                best = (inside, f(inside));
            }
        }
        // Where the offer crosses a kink of π (the ends of a uniform foreign support), the
        // objective can peak at the crossing itself, narrowly: the crossings are candidates
        // (bisection on the offer, nondecreasing in the cutoff).
        for kink in self.pi_kinks() {
            let offer = |t: f64| self.objective(k, c, t).map(|v| v.1);
            for w in pts.windows(2) {
                let (Some(xa), Some(xb)) = (offer(w[0]), offer(w[1])) else {
                    continue;
                };
                if !(xa < kink && kink <= xb) {
                    continue;
                }
                let (mut a, mut b) = (w[0], w[1]);
                for _ in 0..100 {
                    let m = 0.5 * (a + b);
                    match offer(m) {
                        Some(x) if x < kink => a = m,
                        _ => b = m,
                    }
                }
                for t in [a, b] {
                    if f(t) > best.1 {
                        best = (t, f(t));
                    }
                }
            }
        }
        match self.objective(k, c, best.0) {
            Some((value, offer)) if best.1 > f64::NEG_INFINITY => Sol { value, offer },
            _ => Sol {
                value: f64::NEG_INFINITY,
                offer: f64::NAN,
            },
        }
    }

    /// The offers where `π` has a kink: `1 − ` the ends of a uniform foreign support.
    fn pi_kinks(&self) -> Vec<f64> {
        match self.foreign {
            Some(f) if f.family == Family::Uniform => [f.location - f.scale, f.location + f.scale]
                .iter()
                .map(|e| 1.0 - e)
                .filter(|x| *x > 0.0 && *x < 1.0)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The best value over a fine grid of the first-stage choice (the offer in a one-stage
    /// protocol, the cutoff otherwise), later stages optimal. Cutoffs with nobody above them
    /// are skipped: the later offers are off the path there, which the reference does not pin
    /// down as the solver does (MODEL.md §3 "Off the path"; as in [`check_certificate`]).
    fn first_stage_grid_max(&self) -> (f64, f64) {
        let c = f64::NEG_INFINITY;
        if self.k_last() == 0 {
            let pts = grid(0.0, 1.0, 200, &self.home, self.foreign.as_ref());
            return pts
                .iter()
                .map(|&x| (x, self.pi(x) * self.home.cdf(x)))
                .fold(
                    (f64::NAN, f64::NEG_INFINITY),
                    |a, b| if b.1 > a.1 { b } else { a },
                );
        }
        let mut pts = self.grid(0, c, if self.k_last() == 1 { 200 } else { 60 });
        pts.push(c);
        pts.iter()
            .filter(|&&t| t == c || self.home.sf(t) > 1e-12)
            .filter_map(|&t| self.objective(0, c, t).map(|v| (t, v.0)))
            .fold(
                (f64::NAN, f64::NEG_INFINITY),
                |a, b| if b.1 > a.1 { b } else { a },
            )
    }

    /// The proposer's value of a solver path: `Σ_k Λ_k π(x_k) [G(c_k) − G(c_{k−1})]`.
    fn path_value(&self, eq: &Equilibrium) -> f64 {
        let mut v = 0.0;
        let mut disc = 1.0;
        let mut prev = f64::NEG_INFINITY;
        for (k, s) in eq.stages.iter().enumerate() {
            if k > 0 {
                disc *= self.transitions[k].1;
            }
            v += disc * self.pi(s.offer) * self.mass(prev, s.cutoff);
            prev = s.cutoff.max(prev);
        }
        v
    }
}

/// `n` points uniform on `[lo, hi]`, `n/2` uniform in `G` and (two-sided) `n/2` uniform in
/// `G_F(1 − ·)`, sorted.
fn grid(lo: f64, hi: f64, n: usize, home: &Threshold, foreign: Option<&Threshold>) -> Vec<f64> {
    let mut pts: Vec<f64> = (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect();
    let m = n / 2;
    let (plo, phi) = (home.cdf(lo), home.cdf(hi));
    for i in 1..=m {
        let p = plo + (phi - plo) * i as f64 / (m + 1) as f64;
        if p > 0.0 && p < 1.0 {
            let t = home.quantile(p);
            if t > lo && t < hi {
                pts.push(t);
            }
        }
    }
    if let Some(f) = foreign {
        let (plo, phi) = (f.cdf(1.0 - hi), f.cdf(1.0 - lo));
        for i in 1..=m {
            let p = plo + (phi - plo) * i as f64 / (m + 1) as f64;
            if p > 0.0 && p < 1.0 {
                let t = 1.0 - f.quantile(p);
                if t > lo && t < hi {
                    pts.push(t);
                }
            }
        }
    }
    pts.retain(|t| t.is_finite());
    pts.sort_by(f64::total_cmp);
    pts.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * (1.0 + b.abs()));
    pts
}

/// Golden-section maximization of `f` on `[a, b]`; returns the best point evaluated.
fn golden(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64) -> (f64, f64) {
    const INV_PHI: f64 = 0.618_033_988_749_894_9;
    let mut best = (a, f(a));
    let fb = f(b);
    if fb > best.1 {
        best = (b, fb);
    }
    let (mut x1, mut x2) = (b - INV_PHI * (b - a), a + INV_PHI * (b - a));
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..60 {
        if f1 > best.1 {
            best = (x1, f1);
        }
        if f2 > best.1 {
            best = (x2, f2);
        }
        if !(b - a > 1e-15 * (1.0 + a.abs())) {
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
    best
}

// ---------------------------------------------------------------------------------------------
// The checks.

fn sides(input: &Input) -> Vec<Side> {
    match input.proposer {
        Proposer::Fixed(s) => vec![s],
        Proposer::Mixed { p_home } => {
            let mut v = Vec::new();
            if p_home < 1.0 {
                v.push(Side::Foreign);
            }
            if p_home > 0.0 {
                v.push(Side::Home);
            }
            v
        }
    }
}

fn equilibria(sol: &twolevel::model::Solution) -> Vec<(Side, &Equilibrium)> {
    let mut v = Vec::new();
    if let Some(e) = &sol.foreign_proposes {
        v.push((Side::Foreign, e));
    }
    if let Some(e) = &sol.home_proposes {
        v.push((Side::Home, e));
    }
    v
}

fn check_probabilities(p: [f64; 3], what: &str) -> Result<(), TestCaseError> {
    for q in p {
        prop_assert!(
            q.is_finite() && (0.0..=1.0).contains(&q),
            "{what}: probabilities {p:?}"
        );
    }
    let sum: f64 = p.iter().sum();
    prop_assert!(
        (sum - 1.0).abs() <= 1e-12,
        "{what}: probabilities {p:?} sum to {sum}"
    );
    Ok(())
}

fn no_nan(eq: &Equilibrium) -> Result<(), TestCaseError> {
    for (k, s) in eq.stages.iter().enumerate() {
        for (name, v) in [
            ("offer", s.offer),
            ("cutoff", s.cutoff),
            ("p_accept", s.p_accept),
            ("p_foreign_accepts", s.p_foreign_accepts),
            ("p_strategic", s.p_strategic),
        ] {
            prop_assert!(!v.is_nan(), "stage {k}: {name} is NaN in {eq:?}");
        }
    }
    for (name, v) in [
        ("p_ratified", eq.p_ratified),
        ("p_renegotiated", eq.p_renegotiated),
        ("p_failed", eq.p_failed),
    ] {
        prop_assert!(!v.is_nan(), "{name} is NaN in {eq:?}");
    }
    Ok(())
}

fn check_path(eq: &Equilibrium, game: &Game) -> Result<(), TestCaseError> {
    no_nan(eq)?;
    check_probabilities(eq.probabilities(), "equilibrium")?;
    prop_assert_eq!(eq.stages.len(), game.protocol.stages().len());
    let mut prev = f64::NEG_INFINITY;
    for (k, s) in eq.stages.iter().enumerate() {
        prop_assert!(
            (0.0..=1.0).contains(&s.offer),
            "stage {k}: offer {} not in [0, 1]",
            s.offer
        );
        prop_assert!(
            s.cutoff >= prev,
            "stage {k}: cutoff {} below the previous {prev}",
            s.cutoff
        );
        prop_assert!(
            (0.0..=1.0).contains(&s.p_accept),
            "stage {k}: p_accept {}",
            s.p_accept
        );
        prev = s.cutoff;
    }
    // The cutoff type of each earlier stage is indifferent between its offer and the next
    // stage's (MODEL.md §3): the path's offers are those of one continuation.
    let model = Model::new(game, game.proposer);
    for (k, pair) in eq.stages.windows(2).enumerate() {
        let (s, next) = (&pair[0], &pair[1]);
        if !s.cutoff.is_finite() {
            continue;
        }
        let kappa = model.transitions[k + 1].0;
        let implied = (s.cutoff + kappa * (next.offer - s.cutoff).max(0.0)).clamp(0.0, 1.0);
        prop_assert!(
            (s.offer - implied).abs() <= 1e-8,
            "stage {k}: offer {} but the next stage's offer {} implies {implied} at cutoff {}\n  \
             path: {:?}",
            s.offer,
            next.offer,
            s.cutoff,
            eq.stages
        );
    }
    Ok(())
}

/// How far the reference objective `v` may exceed a certified bound: rounding (1e-9 relative)
/// for two stages; for three, the reference's grid search of the middle stage, whose offer error
/// enters the first stage's objective to first order either way ([`optimality_tolerance`]).
fn certificate_slack(game: &Game, v: f64) -> f64 {
    if game.protocol.poll && game.protocol.renegotiation {
        optimality_tolerance(game, v)
    } else {
        1e-9 * v.abs() + 1e-13
    }
}

/// Relative tolerance of the grid check: the later stages of a three-stage protocol are solved
/// here by a grid search whose offer error enters the first stage's value to first order.
fn optimality_tolerance(game: &Game, v: f64) -> f64 {
    let rel = if game.protocol.poll && game.protocol.renegotiation {
        1e-5
    } else {
        1e-7
    };
    rel * v.abs() + 1e-14
}

fn check_optimality(input: &Input, side: Side, eq: &Equilibrium) -> Result<(), TestCaseError> {
    let mut game = input.game;
    game.proposer = side;
    let model = Model::new(&game, side);
    let v_path = model.path_value(eq);
    let (arg, v_grid) = model.first_stage_grid_max();
    prop_assert!(
        v_path >= v_grid - optimality_tolerance(&game, v_grid),
        "{side:?} proposes: value at the solver's path {v_path:.15e} < {v_grid:.15e} at first-stage \
         choice {arg} of the grid (diff {:.3e})\n  path: {:?}",
        v_grid - v_path,
        eq.stages
    );
    Ok(())
}

/// The likelihood's fast search (no certificate; for a middle stage, the continuation table
/// and the warm starts between its solves) returns a well-formed path that beats a fine grid of
/// the first stage, with the certified solve's probabilities unless the two are a near-tie in
/// the proposer's value.
fn check_fast_search(input: &Input) -> Result<(), TestCaseError> {
    let fast = solve_with_proposer_unchecked(&input.game, input.proposer);
    check_probabilities(fast.probabilities, "fast search")?;
    let certified = solve_with_proposer(&input.game, input.proposer);
    for ((side, a), (_, b)) in equilibria(&fast).into_iter().zip(equilibria(&certified)) {
        let mut game = input.game;
        game.proposer = side;
        check_path(a, &game)?;
        check_optimality(input, side, a)?;
        let dp = (0..3)
            .map(|i| (a.probabilities()[i] - b.probabilities()[i]).abs())
            .fold(0.0, f64::max);
        if dp > 1e-6 {
            let model = Model::new(&game, side);
            let (va, vb) = (model.path_value(a), model.path_value(b));
            prop_assert!(
                (va - vb).abs() <= optimality_tolerance(&game, va.max(vb)),
                "{side:?} proposes: the fast search's probabilities differ from the certified \
                 solve's by {dp:.3e} and the values are not a near-tie: {va:.15e} vs {vb:.15e}\n  \
                 fast: {:?}\n  certified: {:?}",
                a.stages,
                b.stages
            );
        }
    }
    Ok(())
}

/// The first stage where two paths differ by more than 1e-3 in the offer.
fn jump(a: &Equilibrium, b: &Equilibrium) -> Option<usize> {
    a.stages
        .iter()
        .zip(&b.stages)
        .position(|(s, t)| (s.offer - t.offer).abs() > 1e-3)
}

fn check_continuity(input: &Input) -> Result<(), TestCaseError> {
    let base = solve_with_proposer(&input.game, input.proposer);
    let mut moved = *input;
    moved.game.home.location += 1e-9;
    let next = solve_with_proposer(&moved.game, moved.proposer);
    let dp = (0..3)
        .map(|i| (base.probabilities[i] - next.probabilities[i]).abs())
        .fold(0.0, f64::max);
    if dp < 1e-4 {
        return Ok(());
    }
    // A switch between distant maxima: the offers jump, and both choices are worth the same.
    let mut explained = false;
    for ((side, a), (_, b)) in equilibria(&base).into_iter().zip(equilibria(&next)) {
        let Some(k) = jump(a, b) else { continue };
        let mut game = input.game;
        game.proposer = side;
        let model = Model::new(&game, side);
        let c = if k == 0 {
            f64::NEG_INFINITY
        } else {
            a.stages[k - 1].cutoff
        };
        let value = |eq: &Equilibrium| -> f64 {
            if k == model.k_last() {
                model.pi(eq.stages[k].offer) * model.mass(c, eq.stages[k].offer)
            } else {
                model
                    .objective(k, c, eq.stages[k].cutoff)
                    .map_or(f64::NEG_INFINITY, |v| v.0)
            }
        };
        let (va, vb) = (value(a), value(b));
        prop_assert!(
            (va - vb).abs() <= 1e-6 * va.abs().max(vb.abs()) + 1e-14,
            "{side:?} proposes: probabilities move by {dp:.3e} for a 1e-9 move of the location and \
             the offer at stage {k} jumps, but the two choices are not a near-tie: {va:.15e} vs \
             {vb:.15e}\n  before: {:?}\n  after: {:?}",
            a.stages,
            b.stages
        );
        explained = true;
    }
    prop_assert!(
        explained,
        "probabilities move by {dp:.3e} for a 1e-9 move of the location without a jump of the \
         offers: {:?} → {:?}\n  before: {:?}\n  after: {:?}",
        base.probabilities,
        next.probabilities,
        equilibria(&base),
        equilibria(&next)
    );
    Ok(())
}

proptest! {
    #![proptest_config(common::proptest_config())]

    #[test]
    fn probabilities_and_paths_are_well_formed(input in input()) {
        let sol = solve_with_proposer(&input.game, input.proposer);
        check_probabilities(sol.probabilities, "solution")?;
        prop_assert_eq!(equilibria(&sol).len(), sides(&input).len());
        for (side, eq) in equilibria(&sol) {
            let mut game = input.game;
            game.proposer = side;
            check_path(eq, &game)?;
        }
    }

    #[test]
    fn no_nan_in_equilibrium(input in edge_input()) {
        for side in [Side::Foreign, Side::Home] {
            let mut game = input.game;
            game.proposer = side;
            let eq = twolevel::model::solve(&game);
            no_nan(&eq)?;
            check_path(&eq, &game)?;
        }
        let sol = solve_with_proposer(&input.game, input.proposer);
        check_probabilities(sol.probabilities, "solution")?;
        prop_assert!(!sol.p_strategic.is_nan() && !sol.p_home.is_nan(), "NaN in {sol:?}");
    }

    #[test]
    fn path_beats_a_fine_grid_of_the_first_stage(input in input()) {
        let sol = solve_with_proposer(&input.game, input.proposer);
        for (side, eq) in equilibria(&sol) {
            check_optimality(&input, side, eq)?;
        }
    }

    #[test]
    fn probabilities_are_continuous_in_the_location(input in input()) {
        check_continuity(&input)?;
    }

    #[test]
    fn fast_search_agrees_with_the_certified_solve(input in input()) {
        check_fast_search(&input)?;
    }

    #[test]
    fn fast_search_agrees_with_the_certified_solve_in_uniform_three_stage_games(
        input in uniform_three_stage_input()
    ) {
        check_fast_search(&input)?;
    }

    #[test]
    fn fast_search_agrees_with_the_certified_solve_under_steep_foreign_constraints(
        input in steep_foreign_input()
    ) {
        check_fast_search(&input)?;
    }

    #[test]
    fn certified_bound_covers_a_fine_grid_of_the_first_stage(input in input()) {
        for side in sides(&input) {
            check_certificate(&input, side)?;
        }
    }
}

/// The first stage's certificate: its upper bound is at least the objective at every point of a
/// fine grid (the later stages optimal, computed independently here), it is at least the value
/// returned, and a certified stage's gap is within the tolerance.
fn check_certificate(input: &Input, side: Side) -> Result<(), TestCaseError> {
    let mut game = input.game;
    game.proposer = side;
    let Some(cert) = first_stage_certificate(&game) else {
        return Ok(());
    };
    let model = Model::new(&game, side);
    let (arg, v_grid) = model.first_stage_grid_max();
    let slack = certificate_slack(&game, v_grid);
    prop_assert!(
        cert.upper_bound >= v_grid - slack,
        "{side:?} proposes: certified bound {:.15e} below the objective {v_grid:.15e} at the \
         grid point {arg} (diff {:.3e}); {cert:?}",
        cert.upper_bound,
        v_grid - cert.upper_bound
    );
    prop_assert!(
        cert.upper_bound >= cert.value,
        "bound below the value: {cert:?}"
    );
    // Every cell's bound holds inside it: 40 cells over the grid's range (wide ones where a
    // first-order bound is loose, narrow enough for the second-order one to be tight), each
    // checked at 8 interior points.
    let c = f64::NEG_INFINITY;
    let points = model.grid(0, c, 41);
    let bounds = first_stage_cell_bounds(&game, &points);
    // Where no offer earns anything (`π ≡ 0` on [0, 1]: `G_F(1) = 0`), every stage's value is 0
    // wherever it is feasible, and which cutoff an earlier stage picks among its ties (hence
    // the offers, and where the stage before is feasible) is a convention that the reference
    // here does not share with the solver: no cell is compared.
    let nothing_to_earn = game.foreign.is_some_and(|f| f.cdf(1.0) == 0.0);
    for (cell, &bound) in points.windows(2).zip(&bounds) {
        for j in 1..=8 {
            let t = cell[0] + (cell[1] - cell[0]) * j as f64 / 9.0;
            // Where nobody is left above t the later offers are off the path, which the
            // reference here does not pin down (MODEL.md §3 "Off the path").
            if !(game.home.sf(t) > 1e-12) || nothing_to_earn {
                continue;
            }
            if let Some((v, _)) = model.objective(0, c, t) {
                prop_assert!(
                    bound >= v - certificate_slack(&game, v),
                    "{side:?} proposes: bound {bound:.15e} on the cell [{}, {}] below the \
                     objective {v:.15e} at {t} (diff {:.3e})",
                    cell[0],
                    cell[1],
                    v - bound
                );
            }
        }
    }
    if cert.certificate.is_certified() {
        prop_assert!(
            cert.upper_bound - cert.value <= CERTIFICATE_TOLERANCE * cert.value.abs() + 1e-15,
            "certified with a gap beyond the tolerance: {cert:?}"
        );
    }
    Ok(())
}

/// Inputs on which the solver once returned a suboptimal path (found by this file and by
/// `tests/brute_force.rs`), checked against the fine first-stage grid. They are solved with the
/// certificate (`solve_with_proposer`), which finds their maxima by branch and bound, without
/// the fast search's targeted refinement of kink crossings.
#[test]
fn known_regressions() {
    use Family::{Logistic, Normal, Uniform};
    const RENEG: Protocol = Protocol {
        poll: false,
        renegotiation: true,
    };
    const POLL: Protocol = Protocol {
        poll: true,
        renegotiation: false,
    };
    const BOTH: Protocol = Protocol {
        poll: true,
        renegotiation: true,
    };
    let t = Threshold::new;
    let sc = |rho, delta_ratifier, delta_proposer, poll_weight| Scalars {
        rho,
        delta_ratifier,
        delta_proposer,
        poll_weight,
    };
    let cases = [
        // The root search of a middle stage (warm_root) stopped where the slope only decayed
        // towards zero in the home distribution's far tail (two points on one side, a tiny
        // secant step): the first stage lost 0.04 of its value. A root is now taken only where
        // the slope is seen to change sign.
        (
            t(Normal, -5.248001771490473, 0.1401355738007652),
            Some(t(Normal, -32.40066888011437, 24.527558924184333)),
            Side::Foreign,
            BOTH,
            sc(0.06868467279321605, 1.0, 1.0, 0.29545327264586163),
        ),
        // Refinement ignored the cell between the feasibility corner (x₁ = 0) and the peak.
        (
            t(Uniform, -0.1206269700398635, 0.13508549532947464),
            None,
            Side::Foreign,
            RENEG,
            sc(
                0.21680731348463778,
                0.9624072030074915,
                0.7393400063438813,
                0.4558851574089906,
            ),
        ),
        (
            t(Logistic, -0.13896376218458967, 0.6708976397893527),
            Some(t(Logistic, -0.1176799067581224, 0.22301062197554672)),
            Side::Foreign,
            RENEG,
            sc(
                1.0,
                0.7854298713364642,
                0.469606266247236,
                0.9631679194774947,
            ),
        ),
        (
            t(Uniform, 0.0, 115.60248870605038),
            Some(t(Uniform, 0.0, 26.042872004815802)),
            Side::Foreign,
            BOTH,
            sc(
                0.8133914551479361,
                0.7220834796015049,
                0.0,
                0.1299401616380239,
            ),
        ),
        // Implicit-function slope of the last stage's offer applied at a jump of its FOC.
        (
            t(Uniform, 1.004718065203343, 0.6719632159202805),
            Some(t(Uniform, -0.06573813255871247, 0.28978928532316756)),
            Side::Foreign,
            RENEG,
            sc(
                0.9495380843841374,
                0.850816533736829,
                0.29991334462899055,
                0.07598287293119599,
            ),
        ),
        // Two local maxima in one scan cell, on either side of a kink of the continuation.
        (
            t(Uniform, 0.9391874807353231, 0.03626255963549328),
            None,
            Side::Foreign,
            RENEG,
            sc(
                0.20058929413524096,
                0.2666246594552635,
                0.27295039264475784,
                0.11020553907882236,
            ),
        ),
        // Off-path offers when nobody is left came from a flat scan.
        (
            t(Uniform, -0.12744094858020952, 0.0007592897530612446),
            None,
            Side::Foreign,
            BOTH,
            sc(
                0.10068786864805399,
                0.18818872137357012,
                0.0,
                0.8090211940420285,
            ),
        ),
        // A zero slope at the scan's peak was taken for a maximum (π > 0 only in a narrow window).
        (
            t(Uniform, -32.18130175470336, 1.0),
            Some(t(Uniform, 0.7715846948942414, 0.0007616471167769661)),
            Side::Home,
            RENEG,
            sc(0.6406568061184209, 1.0, 0.0, 0.0),
        ),
        // Newton's early stop next to the pole of (log π)' at x = 1 (warm start there).
        (
            t(Logistic, 0.0, 746.1655615683004),
            None,
            Side::Foreign,
            POLL,
            sc(0.0, 0.0, 0.0, 0.9391418179076543),
        ),
        // A narrow uniform foreign window: a 10-point scan of the poll stage missed the
        // optimum (home proposer).
        (
            t(Logistic, 0.5120746187169947, 0.06544719482685042),
            Some(t(Uniform, 0.6334068104910703, 0.01310926587556101)),
            Side::Home,
            POLL,
            sc(0.0, 0.0, 0.0, 0.0),
        ),
        // A wide normal G with a strategic poll: the feasible cutoffs are a narrow window
        // (x₁ ≥ 0) between two scan points, and the window's left end was misread.
        (
            t(Normal, 43.38246351960769, 216.51585305739155),
            None,
            Side::Foreign,
            POLL,
            sc(0.0, 0.0, 0.0, 0.9534317939557928),
        ),
        // A narrow normal foreign window next to a strategic poll (home proposer).
        (
            t(Normal, 0.9247479775873212, 0.13595918899010595),
            Some(t(Normal, 0.2778105363327295, 0.006188511658723535)),
            Side::Home,
            POLL,
            sc(0.0, 0.0, 0.0, 0.09496338650479243),
        ),
        // Continuity: a nearly fully strategic poll whose cutoff sits at the bottom of a
        // uniform support.
        (
            t(Uniform, 0.7838374105799361, 0.1640231981435309),
            None,
            Side::Foreign,
            POLL,
            sc(0.0, 0.0, 0.0, 0.978624777214915),
        ),
        // Everybody at home accepts anything (location −50): the poll's objective is π itself,
        // with a kink where the uniform foreign support begins to bind.
        (
            t(Normal, -49.64705934122603, 1.1462778556451085),
            Some(t(Uniform, 0.0, 0.8155420265544855)),
            Side::Home,
            POLL,
            sc(0.0, 0.0, 0.0, 0.9781890988147434),
        ),
        // A narrow logistic foreign window: the poll's objective falls from the scan point,
        // then rises to a bump just below the cliff (home proposer, sincere poll).
        (
            t(Normal, 2.0601039979945504, 0.4491823831702369),
            Some(t(Logistic, 0.523924959297444, 0.0025952629775994763)),
            Side::Home,
            POLL,
            sc(0.0, 0.0, 0.0, 0.0),
        ),
    ];
    for (home, foreign, side, protocol, scalars) in cases {
        let game = Game {
            home,
            foreign,
            proposer: side,
            protocol,
            scalars,
        };
        let input = Input {
            game,
            proposer: Proposer::Fixed(side),
        };
        let eq = twolevel::model::solve(&game);
        let result = check_path(&eq, &game)
            .and_then(|_| check_optimality(&input, side, &eq))
            .and_then(|_| check_continuity(&input));
        assert!(result.is_ok(), "{game:?}: {result:?}");
    }
}

/// A deliberately hard case: a poll before the vote, a narrow uniform foreign window (width
/// 0.02), a foreign proposer, and two local maxima of the poll's cutoff far apart (≈ 0.32 and
/// ≈ 0.55). The poll's strategic weight is tuned (bisection on the reference values) until the
/// two values agree to ~1e-12; just on either side of that point, the certified solve must
/// pick the maximum that the reference says is higher, and be certified.
#[test]
fn hard_case_two_nearly_equal_maxima_far_apart_is_certified_with_the_right_maximizer() {
    let game_at = |w: f64| Game {
        home: Threshold::new(Family::Logistic, 0.664055840440551, 0.1255756308153984),
        foreign: Some(Threshold::new(
            Family::Uniform,
            0.2584698392085286,
            0.01019092743256643,
        )),
        proposer: Side::Foreign,
        protocol: Protocol {
            poll: true,
            renegotiation: false,
        },
        scalars: Scalars {
            rho: 1.0,
            delta_ratifier: 1.0,
            delta_proposer: 1.0,
            poll_weight: w,
        },
    };
    let c = f64::NEG_INFINITY;
    // The reference value of each local maximum (golden section on its own bracket).
    let peak = |w: f64, lo: f64, hi: f64| {
        let game = game_at(w);
        let model = Model::new(&game, Side::Foreign);
        golden(
            &|t| model.objective(0, c, t).map_or(f64::NEG_INFINITY, |v| v.0),
            lo,
            hi,
        )
    };
    let difference = |w: f64| peak(w, 0.25, 0.42).1 - peak(w, 0.48, 0.62).1;
    let (mut lo, mut hi) = (0.90, 0.99);
    assert!(
        difference(lo).signum() != difference(hi).signum(),
        "the two maxima must trade places over the bracket: {} {}",
        difference(lo),
        difference(hi)
    );
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if difference(mid).signum() == difference(lo).signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    for w in [lo - 1e-6, hi + 1e-6] {
        let (a, b) = (peak(w, 0.25, 0.42), peak(w, 0.48, 0.62));
        let winner = if a.1 > b.1 { a } else { b };
        let gap = (a.1 - b.1).abs() / winner.1;
        assert!(gap < 1e-5, "the two maxima are nearly equal: gap {gap:.2e}");
        let cert = first_stage_certificate(&game_at(w)).expect("two stages");
        assert!(cert.certificate.is_certified(), "{cert:?}");
        assert!(
            (cert.cutoff - winner.0).abs() < 1e-6,
            "w_poll = {w}: certified cutoff {} but the higher maximum is at {} (values {:.15e} vs \
             {:.15e})",
            cert.cutoff,
            winner.0,
            a.1,
            b.1
        );
        assert!(
            (cert.value - winner.1).abs() <= 1e-9 * winner.1,
            "{cert:?} vs {winner:?}"
        );
    }
}

/// Games on which the fast search (the likelihood's path) once returned another path than the
/// certified solve. The three-stage game below: a middle-stage root search started from an
/// inverse interpolation through two kept points at nearly the same cutoff, whose weights
/// cancelled, and stopped at that garbage point (1.9e-5 from the root); the first stage's slope
/// then jumped there and its root landed 8.9e-7 from the optimum.
#[test]
fn fast_search_agrees_with_the_certified_solve_on_past_failures() {
    use twolevel::model::{certify_path, solve_path};
    // The second: a known point beyond the bracket where the slope is exactly 0 (the flat
    // stretch beyond a uniform foreign window's cliff) was taken for the middle stage's root
    // (found by a random-seed property run).
    let games = [
        Game {
            home: Threshold::new(Family::Logistic, 0.0, 84.742_769_702_911_81),
            foreign: Some(Threshold::new(
                Family::Uniform,
                0.336_312_503_319_193_27,
                0.027_091_510_694_542_242,
            )),
            proposer: Side::Home,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.0,
                delta_ratifier: 0.0,
                delta_proposer: 0.0,
                poll_weight: 0.0,
            },
        },
        Game {
            home: Threshold::new(Family::Logistic, 0.675_076_841_163_357_9, 0.12),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.679_484_858_824_289_9,
                delta_ratifier: 0.8,
                delta_proposer: 0.9,
                poll_weight: 0.393_289_285_656_027_8,
            },
        },
        Game {
            home: Threshold::new(Family::Logistic, 0.0, 13.819_444_560_182_419),
            foreign: Some(Threshold::new(
                Family::Uniform,
                -45.477_593_324_306_01,
                448.953_362_364_150_6,
            )),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.581_707_618_018_766_9,
                delta_ratifier: 0.0,
                delta_proposer: 0.577_917_984_347_144_6,
                poll_weight: 0.859_326_191_478_142,
            },
        },
    ];
    for game in games {
        let (fast, certified) = (solve_path(&game, None), certify_path(&game));
        for k in 0..fast.len {
            assert!(
                (fast.cutoffs[k] - certified.cutoffs[k]).abs() <= 1e-9,
                "stage {k}: fast {:?} vs certified {:?}",
                fast.cutoffs,
                certified.cutoffs
            );
        }
    }
}

/// A miss of the fast search found by a random-seed property run (`TWOLEVEL_PROPTEST_SEED=random
/// TWOLEVEL_PROPTEST_CASES=3000`): with a very steep logistic foreign constraint (scale 4e-4, a
/// near-cliff of `π` at x ≈ 0.47 against which the last stage's offer bends), the middle stage's
/// objective at the poll's cutoff −0.770 has two local maxima 0.037 apart (values 3e-5 apart,
/// relative). The higher one lies inside a scan cell whose ends have equal values, both below
/// the next point, a peak beside the lower maximum: the scan's values hide it, its slopes
/// (positive at both ends) do not. The fast search refined the lower maximum and the poll then
/// stood on an offer that the optimal middle stage makes infeasible. Fixed by refining every
/// cell whose cubic Hermite interpolant has a maximum inside (`refinement.rs`); fails without.
#[test]
fn fast_search_with_a_near_cliff_foreign_constraint() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Normal,
                -6.384_581_681_940_964,
                3.038_134_313_802_785,
            ),
            foreign: Some(Threshold::new(
                Family::Logistic,
                0.529_684_621_032_031_2,
                0.000_390_706_606_382_324_94,
            )),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.158_394_535_583_912_78,
                delta_ratifier: 1.0,
                delta_proposer: 0.0,
                poll_weight: 0.907_733_730_592_256_9,
            },
        },
        proposer: Proposer::Fixed(Side::Foreign),
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// The reference's middle stage missed an optimum at a kink of `π` (the upper end of a narrow
/// uniform foreign window; the middle offer equals its cutoff there) and gave the first stage a
/// value above the certified bound on its cell (found by a random-seed property run). The
/// reference now takes the cutoffs where the offer crosses a kink of `π` as candidates; this
/// fails without that.
#[test]
fn certified_bound_covers_the_reference_at_a_kink_of_pi() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Normal,
                0.702_484_618_729_750_9,
                0.316_644_481_718_428_9,
            ),
            foreign: Some(Threshold::new(
                Family::Uniform,
                0.361_127_019_626_305_56,
                0.024_448_273_553_855_482,
            )),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.779_569_225_005_636_9,
                delta_ratifier: 0.0,
                delta_proposer: 0.873_418_257_121_705,
                poll_weight: 1.0,
            },
        },
        proposer: Proposer::Fixed(Side::Foreign),
    };
    let result = check_certificate(&input, Side::Foreign);
    assert!(result.is_ok(), "{result:?}");
}

/// A miss of the fast search found by a random property run over steep foreign constraints: a
/// home proposer facing a logistic foreign ratifier of scale 0.0064, `π = x·G_F(1 − x)` peaking
/// at x ≈ 0.396 just before its cliff at 0.418. The poll's objective peaks as narrowly where its
/// own offer reaches that peak (cutoff 0.394), inside a scan cell whose ends both lie below the
/// scan's peak at 0.028; the cell's offers do not cross the cliff's middle, so the kink
/// crossings did not look there. The fast search returned the feasibility corner (value 3.5%
/// lower). The crossings now include `argmax π` for a home proposer; fails without.
#[test]
fn fast_search_where_the_offer_crosses_the_peak_of_pi() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Normal,
                0.872_874_172_082_790_1,
                0.220_423_986_896_033_46,
            ),
            foreign: Some(Threshold::new(
                Family::Logistic,
                0.581_796_219_002_031_6,
                0.006_408_323_522_586_221,
            )),
            proposer: Side::Home,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 1.0,
                delta_ratifier: 0.0,
                delta_proposer: 1.0,
                poll_weight: 0.142_372_332_671_123_92,
            },
        },
        proposer: Proposer::Fixed(Side::Home),
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// A miss of the fast search found by a random-seed run (`TWOLEVEL_PROPTEST_SEED=random
/// TWOLEVEL_PROPTEST_CASES=5000`, the steep-foreign property): `[vote, renegotiation]`, the
/// first stage's maximum is its feasibility corner (`x = 0`, cutoff −0.882), in the scan cell
/// where the offer turns feasible, while the scan's only peak lies two points higher (a local
/// maximum 5e-4 lower, relative). The corner was searched only next to a refined peak; it is
/// now searched wherever a bound on that cell beats the incumbent. Fails without.
#[test]
fn fast_search_finds_a_feasibility_corner_away_from_the_peaks() {
    let input = Input {
        game: Game {
            home: Threshold::new(Family::Normal, 1.0936657005428865, 3.430022212514041),
            foreign: Some(Threshold::new(
                Family::Logistic,
                0.6691947320154396,
                0.029999999999999995,
            )),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: false,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.9161643459960033,
                delta_ratifier: 1.0,
                delta_proposer: 0.0,
                poll_weight: 0.0,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// A random-seed run (`TWOLEVEL_PROPTEST_SEED=random TWOLEVEL_PROPTEST_CASES=5000`) reported a
/// cell bound of −∞ (the cell infeasible) where the reference found the objective 0: the
/// foreign window lies far above 1, so `π ≡ 0` and every stage is worth 0 wherever it is
/// feasible; the two pick different cutoffs among those ties in the later stages (a
/// convention), so the first stage is feasible on different cells. The check now sets such
/// games aside; fails without.
#[test]
fn certificate_where_no_offer_earns_anything() {
    let input = Input {
        game: Game {
            home: Threshold::new(Family::Logistic, -0.5420127155532318, 0.564518674065207),
            foreign: Some(Threshold::new(Family::Uniform, 34.228650756516366, 1.0)),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.22078905694599502,
                delta_ratifier: 1.0,
                delta_proposer: 0.0,
                poll_weight: 0.9647353664417972,
            },
        },
        proposer: Proposer::Fixed(Side::Foreign),
    };
    let result = check_certificate(&input, Side::Foreign);
    assert!(result.is_ok(), "{result:?}");
}

/// A miss of the fast search found by a random-seed run
/// (`TWOLEVEL_PROPTEST_SEED=random TWOLEVEL_PROPTEST_CASES=5000`), older than 2564f55. Uniform
/// home support, `[poll, vote, renegotiation]`: the middle stage's optimal cutoff jumps
/// (between two distant maxima) at poll cutoff −0.624, so the poll's offer jumps and its
/// objective peaks at the jump's left limit (0.5875) with no root of its slope, inside the first
/// scan cell, whose ends (0.5757, 0.5773) lie below the scan's peak (0.5838). The fast search
/// returned that peak's local maximum (0.5840, 0.6% lower). The poll's scan now knows its slope
/// at its points (the middle stage's offer slope by the implicit function theorem), so the
/// hidden-maximum test sees that the cell's values rise far less than its slopes say; where
/// the refinement of that cell finds no root of the slope, a jump of the middle stage's offer
/// is located in it (below) and its near side is a candidate. Fails without either.
#[test]
fn fast_search_at_a_jump_of_the_middle_stage() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                -0.131_864_495_262_434_2,
                0.651_782_913_389_271_6,
            ),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.781_935_975_188_532_9,
                delta_ratifier: 0.673_152_219_632_776,
                delta_proposer: 0.825_926_109_739_743_6,
                poll_weight: 0.844_404_891_817_618_1,
            },
        },
        proposer: Proposer::Fixed(Side::Foreign),
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// Misses of the fast search found by random-seed runs at 4b383ba
/// (`TWOLEVEL_PROPTEST_SEED=random TWOLEVEL_PROPTEST_CASES=5000`: the uniform three-stage
/// property, and the steep-foreign property), after the fix above. In both the middle stage's
/// optimum jumps between two maxima inside a cell of the poll's scan (A: uniform home, at poll
/// cutoff 0.8632, where the last stage's offer at its optimum also reaches the top of the
/// support; B: normal home and a logistic foreign constraint of scale 1.3e-4, at −0.6559, from
/// cutoff −0.147 to 0.646), the poll's objective jumps down from its maximum there, and the
/// hidden-maximum test flagged the cell; but the golden-section search across the jump put its
/// first probe just past it, and ended on the far side (A: 0.06883 against 0.06894; B: 0.090237
/// against 0.090264). The jump is now located by bisection on the next stage's offer (a point
/// belongs to the end whose tangent predicts its offer better), both its sides are candidates,
/// and the pieces beside it are refined. Both fail without.
#[test]
fn fast_search_at_a_jump_that_a_golden_search_steps_over() {
    let game = |home, foreign, (rho, delta_ratifier, delta_proposer, poll_weight)| Input {
        game: Game {
            home,
            foreign,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho,
                delta_ratifier,
                delta_proposer,
                poll_weight,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let cases = [
        game(
            Threshold::new(
                Family::Uniform,
                0.889_255_042_401_947_1,
                0.061_421_080_366_265_396,
            ),
            None,
            (
                0.949_748_624_830_604_3,
                0.716_490_449_139_706_2,
                1.0,
                0.508_007_542_454_661_8,
            ),
        ),
        game(
            Threshold::new(
                Family::Normal,
                1.672_579_446_293_380_7,
                1.330_966_968_290_305_1,
            ),
            Some(Threshold::new(
                Family::Logistic,
                0.332_929_790_021_225_4,
                0.000_133_689_016_848_021_74,
            )),
            (1.0, 1.0, 0.730_598_959_634_070_6, 0.800_889_254_432_461),
        ),
    ];
    for (case, input) in ["A", "B"].iter().zip(&cases) {
        let result = check_fast_search(input);
        assert!(result.is_ok(), "case {case}: {result:?}");
    }
}

/// A miss of the fast search found by a random-seed run of the uniform three-stage property at
/// f01b254 (`TWOLEVEL_PROPTEST_SEED=random TWOLEVEL_PROPTEST_CASES=20000`). The middle stage's
/// optimum jumps at poll cutoff 0.97371 (where the last stage's offer at its optimum reaches the
/// top of the home support: its regime changes), inside the scan cell [0.97028, 0.97380], and
/// the poll's objective jumps down from its maximum there (0.0140515); but the cell's values
/// rise by nearly what its slopes say, so its Hermite interpolant has no maximum inside and the
/// cell was not searched; the fast search returned the scan peak's maximum (0.0140303). A
/// cell where the regime changes is now searched too, when the tangents at its ends reach above
/// the incumbent (`refine_regime_changes`). Fails without.
#[test]
fn fast_search_at_a_jump_that_the_values_do_not_show() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                0.977_331_894_764_971_4,
                0.014_114_047_677_686_046,
            ),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.806_840_517_945_525,
                delta_ratifier: 0.919_615_432_317_476_3,
                delta_proposer: 1.0,
                poll_weight: 0.264_513_190_314_696_2,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// Two misses found by random-seed runs at 0b61450 (`TWOLEVEL_PROPTEST_SEED=random`; the
/// uniform three-stage property, 20,000 cases, and the steep-foreign property, 5,000 cases):
///
/// - D (uniform home, a sincere poll): the middle stage at poll cutoff 0 has a smooth maximum
///   (0.36612, value 0.197080) and a lower one on the kink of its own offer (0.38546, where the
///   last stage's offer meets its cutoff: 0.196903). Its root search started from the root of
///   its previous solve at a nearby cutoff (`previous_roots`, a warm start that narrowed the
///   bracket by the slope's sign there) and found the kink; a fresh solver found the right
///   one, so the answer depended on the order of the solves. The warm start is gone (the bench
///   rates did not move), and the kink of a stage's own offer is now a regime boundary
///   (`regime`).
/// - E (logistic home, a normal foreign constraint of scale 0.0016, `δ_P = 0`): every feasible
///   scan point of the poll lies beyond the cliff of `π` (value 0) and the one before is
///   infeasible (`x_k < 0`), so the cell where the poll's offer crosses the cliff was skipped:
///   a kink crossing needed both ends feasible. A cell whose left end is infeasible now starts
///   at the feasibility corner (found only where the offer crosses a target in it). The fast
///   search had returned 0.0171695 against 0.0172694.
///
/// Both fail without.
#[test]
fn fast_search_after_a_warm_start_and_beside_an_infeasible_scan_point() {
    let game = |home, foreign, (rho, delta_ratifier, delta_proposer, poll_weight)| Game {
        home,
        foreign,
        proposer: Side::Foreign,
        protocol: Protocol {
            poll: true,
            renegotiation: true,
        },
        scalars: Scalars {
            rho,
            delta_ratifier,
            delta_proposer,
            poll_weight,
        },
    };
    let cases = [
        Input {
            game: game(
                Threshold::new(
                    Family::Uniform,
                    -0.216_056_164_339_410_16,
                    0.601_512_180_133_373_4,
                ),
                None,
                (1.0, 0.431_828_764_182_731_7, 0.679_379_850_125_745_8, 0.0),
            ),
            proposer: Proposer::Mixed { p_home: 0.0 },
        },
        Input {
            game: game(
                Threshold::new(
                    Family::Logistic,
                    1.318_638_487_535_118_5,
                    0.309_798_511_804_239_06,
                ),
                Some(Threshold::new(
                    Family::Normal,
                    0.892_936_016_155_273_4,
                    0.001_644_716_553_612_456_5,
                )),
                (1.0, 1.0, 0.0, 0.579_308_608_656_711_9),
            ),
            proposer: Proposer::Fixed(Side::Foreign),
        },
    ];
    for (case, input) in ["D", "E"].iter().zip(&cases) {
        let result = check_fast_search(input);
        assert!(result.is_ok(), "case {case}: {result:?}");
    }
}

/// A flaw of the test's reference found by a random-seed run of the uniform three-stage
/// property at f308903 (`TWOLEVEL_PROPTEST_SEED=random TWOLEVEL_PROPTEST_CASES=20000`, after
/// 4,871 successes). The fast search and the certified solve agree (poll cutoff −0.95374,
/// value 0.8141024); the reference claimed 0.8141578 at poll cutoff −0.97336. There the middle
/// stage's optimum is its own feasibility corner (cutoff −0.36623, offer 0, value 0.687261; a
/// brute-force scan of 20,001 points agrees), which the reference's grid search refined only
/// next to its two best peaks and missed (value 0.686432, offer 0.0613); with that offer the
/// poll's implied offer turned feasible. The reference now considers the feasibility corner
/// wherever the offer turns feasible, as the solver does. Fails without.
#[test]
fn fast_search_where_the_middle_stage_sits_at_its_feasibility_corner() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                -0.415_396_970_803_347_03,
                0.752_039_774_359_703_6,
            ),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.914_102_109_120_729_6,
                delta_ratifier: 0.586_493_788_790_681_6,
                delta_proposer: 1.0,
                poll_weight: 0.950_548_608_882_465_8,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// Misses of the fast search found by a targeted search of uniform three-stage games (the
/// strategy of `fast_search_agrees_with_the_certified_solve_in_uniform_three_stage_games`; 2 in
/// 1,000 games at f6bcf7b). The poll's objective has a kink between its scan peak and the
/// peak's neighbour where the middle stage's reply changes regime, and the refinement of the
/// peak's cell ran across it:
///
/// 1. At poll cutoff 0.5033 the middle stage's optimum settles on the kink of its own offer
///    (`x = c + κ·max(x_next − c, 0)` with `x_next = c`) and stays there: the poll's slope jumps
///    from −0.09 to about −6e-6, and just past the kink turns slightly positive again (a
///    second, lower local maximum at 0.5068). The root search of the peak's cell
///    [0.4455, 0.5068] found that one (value 0.31583 against 0.31756 at 0.4632).
/// 2. At poll cutoff 0.7452 the last stage's offer at the middle stage's optimum reaches the top
///    of the home support (a kink of the last stage's problem): the middle stage's optimum
///    moves on by a step and the poll's objective jumps down, from its maximum (0.140969, the
///    jump's left limit) to a lower branch whose own maximum (0.140947) the root search found.
///
/// The middle stage's reply now has a regime, as the last stage's has (`refinement.rs`), and
/// the peak's cell is cut where it changes. Both fail without.
#[test]
fn fast_search_where_the_middle_stage_changes_regime() {
    let game = |location, scale, (rho, delta_ratifier, delta_proposer, poll_weight)| Input {
        game: Game {
            home: Threshold::new(Family::Uniform, location, scale),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho,
                delta_ratifier,
                delta_proposer,
                poll_weight,
            },
        },
        proposer: Proposer::Fixed(Side::Foreign),
    };
    let cases = [
        game(
            0.506_788_944_910_130_2,
            0.244_984_251_183_112_76,
            (
                0.200_386_996_449_480_88,
                0.716_939_138_177_036_3,
                0.712_643_006_855_190_2,
                0.448_084_930_370_085,
            ),
        ),
        game(
            0.786_244_017_913_398_9,
            0.147_172_977_598_993_6,
            (
                0.280_829_337_838_773_84,
                0.091_770_024_631_016_24,
                0.655_652_602_694_860_4,
                0.180_473_359_622_368_88,
            ),
        ),
    ];
    for (i, input) in cases.iter().enumerate() {
        let result = check_fast_search(input);
        assert!(result.is_ok(), "case {}: {result:?}", i + 1);
    }
}

/// A miss of the certified solve found by a random-seed run of the uniform three-stage property
/// (`TWOLEVEL_PROPTEST_SEED=random TWOLEVEL_PROPTEST_CASES=20000`), once the fast search had
/// the hidden-maximum test in the first stage of three: the fast search found the poll's maximum
/// (0.0537749 at cutoff 0.9094, between two scan points whose values are both lower than a
/// third's), the certified solve did not (0.0537320 at 0.9142: its branch and bound ends with
/// a gap of 14% there, not certified, and returns the best point it has). The certified solve
/// now starts from the same incumbent as the fast search, so its path is the fast search's
/// unless the branch and bound finds a better point. Fails without.
#[test]
fn certified_solve_starts_from_the_fast_search_incumbent() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                0.914_190_767_154_081_1,
                0.045_944_365_996_760_74,
            ),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 1.0,
                delta_ratifier: 0.370_928_008_264_547_6,
                delta_proposer: 0.249_299_499_841_245_55,
                poll_weight: 0.396_351_713_148_545_3,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// A miss of the fast search found by the random-seed run of the steep-foreign property, older
/// than this version (it fails at 2564f55 too). A normal foreign constraint of scale 0.0012
/// (cliff at x ≈ 0.062) and a very wide home distribution: the middle stage's objective has a
/// narrow bump at 0.0570 next to the cliff, a near-tie with its maximum at 0.0417. The kink
/// crossing's points crowding toward the cliff passed the bump, but refined only their best
/// point, the far end (higher than the crowd points beside the bump); they now refine each of
/// their local maxima, on the side the slope there points to. Fails without.
#[test]
fn fast_search_with_a_steep_normal_foreign_constraint_and_a_wide_home() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Normal,
                49.608_310_271_641_656,
                183.093_067_929_377_53,
            ),
            foreign: Some(Threshold::new(
                Family::Normal,
                0.938_114_176_579_384_3,
                0.001_181_082_854_582_279_7,
            )),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.452_383_362_641_596_6,
                delta_ratifier: 0.0,
                delta_proposer: 1.0,
                poll_weight: 0.908_015_069_691_641_8,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// A miss of the fast search and of the certified solve found by a random-seed run of the
/// uniform three-stage property at f63fb19 (`TWOLEVEL_PROPTEST_SEED=random
/// TWOLEVEL_PROPTEST_CASES=20000`, after 18,726 successes). The poll's offer turns feasible at
/// cutoff −0.45534 (its feasibility corner, value 0.591186), between two scan points of which
/// the first feasible one lies at −0.29047 (value 0.585765); from the corner the objective
/// rises to 0.593341 at −0.41368, where the middle stage's optimum jumps from one of its maxima
/// (offer 0.3671) to another (0.4618) and the objective falls to 0.5779. Both solves returned
/// the corner: the cell from the corner to the first feasible scan point was not searched (the
/// searches of hidden maxima and of regime changes look at cells between scan points). That
/// cell is now searched the same way wherever the corner is considered. And the certified
/// solve's scan had no slope at its first feasible point: the middle stage's optimum there lies
/// on a scan point of its own (a quantile of the uniform home support), which its refinement
/// found again as a root of its first-order condition but kept as the scan point's
/// non-interior candidate (a tie), so that its offer's slope was unknown; the incumbent found
/// again as a root is now interior. Fails without either.
#[test]
fn fast_search_between_the_feasibility_corner_and_the_first_feasible_scan_point() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                -0.111_692_541_111_203_7,
                0.715_121_455_488_273_9,
            ),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.543_370_797_008_807,
                delta_ratifier: 1.0,
                delta_proposer: 1.0,
                poll_weight: 0.566_446_484_304_062_1,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// A miss of the certified solve found by a random-seed run of the steep-foreign property at
/// f63fb19 (`TWOLEVEL_PROPTEST_SEED=random TWOLEVEL_PROPTEST_CASES=5000`, after 2,629
/// successes). The home government proposes against a narrow uniform foreign window (π has
/// kinks at offers 0.26313 and 0.31771) and a home distribution far to the right (values about
/// 1e-5). The fast search finds the poll's maximum where its offer sits on the kink at 0.26313
/// (cutoff 0.21865, value 1.158473e-5; a narrow spike that a fine grid of the poll's cutoff
/// misses too); the certified solve, whose branch and bound was meant to cover the cells where
/// the offer crosses a kink of π by itself, ended with a gap of 12% (not certified) and
/// returned the poll where nobody accepts (value 1.140366e-5). The certified solve now runs
/// the fast search's kink-crossing search before its branch and bound, as it runs its other
/// targeted searches, so that it starts from the fast search's incumbent (its gap there is
/// 10%: not certified, as reported). Fails without.
#[test]
fn certified_solve_where_the_poll_offer_sits_on_a_kink_of_pi() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Logistic,
                1.368_190_361_525_122_3,
                0.109_532_144_968_318_74,
            ),
            foreign: Some(Threshold::new(
                Family::Uniform,
                0.709_583_881_778_234_1,
                0.027_283_079_403_281_69,
            )),
            proposer: Side::Home,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 1.0,
                delta_ratifier: 0.489_167_912_447_338_8,
                delta_proposer: 0.854_953_627_764_783_2,
                poll_weight: 0.796_621_613_575_501_2,
            },
        },
        proposer: Proposer::Fixed(Side::Home),
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// A miss of the fast search's middle stage found by a random-seed run of the uniform
/// three-stage property at 20da926 (`TWOLEVEL_PROPTEST_SEED=random
/// TWOLEVEL_PROPTEST_CASES=20000`, after 17,853 successes). At poll cutoffs just above 0.69562
/// the middle stage has two maxima 0.007 apart (cutoffs 0.8411 and 0.8479) with a dip between
/// them where the last stage's offer reaches the top of the home support (a kink); its scan
/// had the lower one as its peak and the higher one inside the cell before it, whose values
/// and slopes both rise (the Hermite interpolant shows no maximum there). The middle stage
/// returned the lower one (9e-5 below, relative), so the poll's objective jumped down too
/// early and the poll's cutoff ended at 0.69560 (value 0.1299593) instead of 0.69598
/// (0.1299639). A middle stage now searches the cells where the continuation's regime changes
/// as the first stage of three does, cutting them at the change. Fails without.
#[test]
fn fast_search_where_a_middle_stage_maximum_hides_behind_a_kink() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                0.765_042_049_011_646_1,
                0.157_241_579_607_846_77,
            ),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.157_032_150_496_308_53,
                delta_ratifier: 1.0,
                delta_proposer: 1.0,
                poll_weight: 0.587_987_588_596_442_2,
            },
        },
        proposer: Proposer::Fixed(Side::Foreign),
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// Found by a random-seed run of the steep-foreign property at 89a51f9 (after 1,896 successes):
/// a very wide logistic home (scale 16.5) and a steep normal foreign cliff at offer 0.664. The
/// middle stage has two maxima (cutoffs 0.2756 and 0.3215) in one cell of its scan, tied at a
/// poll cutoff `t*`; below it the lower maximum's offer would make the poll's offer negative,
/// so the first stage's maximum is at `t*`, where the two tie to within the solver's accuracy.
/// The first stage's search priced its offer on one maximum there, the path then solved the
/// middle stage again and got the other: a poll offer of 0.0048 beside a vote offer (0.3583)
/// that implies a negative one (`check_path`), worth 1.7e-5 (relative) more than any
/// equilibrium. Each earlier stage is now solved once per cutoff (the path gets the reply the
/// stage before priced its offer on), and the root search of a middle stage's cell searches
/// both sides of its root (which of the two maxima it reached depended on its warm start).
#[test]
fn path_at_a_tie_of_two_middle_stage_maxima_with_a_steep_normal_foreign_cliff() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Logistic,
                0.637_390_480_765_538_3,
                16.471_697_340_812_014,
            ),
            foreign: Some(Threshold::new(
                Family::Normal,
                0.335_629_663_431_333_6,
                0.004_008_841_707_405_028,
            )),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.454_841_083_864_250_9,
                delta_ratifier: 0.501_551_712_822_07,
                delta_proposer: 0.0,
                poll_weight: 0.536_747_497_844_261_8,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
    // The paths re-solved near it (as for finite-difference derivatives: each earlier stage
    // whose base cutoff is interior is re-solved locally) follow one continuation too.
    let base = solve_path(&input.game, None);
    for step in [-1e-6, -1e-7, 1e-7, 1e-6] {
        for moved in [
            Game {
                home: Threshold::new(
                    Family::Logistic,
                    0.637_390_480_765_538_3 + step,
                    16.471_697_340_812_014,
                ),
                ..input.game
            },
            Game {
                scalars: Scalars {
                    poll_weight: 0.536_747_497_844_261_8 + step,
                    ..input.game.scalars
                },
                ..input.game
            },
        ] {
            let path = solve_path(&moved, Some(&base));
            let kappa = [
                moved.scalars.poll_weight,
                moved.scalars.rho * moved.scalars.delta_ratifier,
            ];
            for (k, kappa) in kappa.into_iter().enumerate() {
                let (c, next) = (path.cutoffs[k], path.offers[k + 1]);
                let implied = (c + kappa * (next - c).max(0.0)).clamp(0.0, 1.0);
                assert!(
                    (path.offers[k] - implied).abs() <= 1e-8,
                    "step {step}, stage {k}: offer {} but the next offer {next} implies {implied} \
                     at cutoff {c}; {path:?}",
                    path.offers[k]
                );
            }
        }
    }
}

/// Found by a random-seed run of the uniform three-stage property at 3a9b6b7 (after 14,991
/// successes): not a miss of the solver but of this file's reference. At the poll cutoff 0.4320
/// the reference's grid search of the middle stage, on 24 points, found a local maximum (offer
/// 0.6519, value 0.196858) below the global one (0.6642, 0.196974: both solves, and the
/// reference on 36 points or more), which crediting the poll with the lower offer that the
/// wrong middle stage implies made the poll's value there 2.7e-4 (relative) higher than any
/// equilibrium's. The reference's middle stage now searches 48 points; fails with 24.
#[test]
fn fast_search_where_the_reference_needs_a_finer_middle_stage_grid() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                0.552_925_368_040_061_8,
                0.251_044_199_332_791_1,
            ),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 1.0,
                delta_ratifier: 0.248_523_414_189_645_2,
                delta_proposer: 1.0,
                poll_weight: 0.487_774_576_380_340_2,
            },
        },
        proposer: Proposer::Fixed(Side::Foreign),
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// Found by a random-seed run of the steep-foreign property at 3a9b6b7 (after 1,689 successes):
/// not a miss of the solver but of this file's reference. Every home type sits at −1.497
/// (scale 0.0017), so above a poll cutoff of about −0.25 nobody is left and the later offers
/// are off the path: the solver follows MODEL.md §3 (the last stage offers
/// `min(1, max(c, argmax π))`), the reference's grid search of an all-zero middle stage returns
/// an arbitrary offer, which credited the poll with an offer of 0.0008 there (value 0.9995
/// against the solver's 0.932; the outcome probabilities are the same, everybody accepts at
/// the poll). The fine-grid check now skips first-stage cutoffs with nobody above them, as the
/// certificate's check already did; fails without.
#[test]
fn fast_search_where_nobody_is_left_after_the_poll() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Logistic,
                -1.497_106_337_536_168,
                0.001_666_953_303_169_36,
            ),
            foreign: Some(Threshold::new(Family::Logistic, 0.05, 0.03)),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 1.0,
                delta_ratifier: 0.710_523_826_653_888,
                delta_proposer: 0.0,
                poll_weight: 0.900_769_388_899_274_5,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// The README's census of what is certified: 3,000 games of the whole-range strategy (a fixed
/// seed), each solved with its certificate and by the fast search. Prints, by number of
/// stages, how many are certified, not certified (with the median gap) or failed, and how many
/// certified paths differ from the fast search's (probabilities by more than 1e-8); fails if a
/// game of one or two stages is not certified, or if two paths that differ are not a near-tie
/// in the proposer's value ([`optimality_tolerance`]). `cargo test --release --test solver_properties
/// certification_census -- --ignored --nocapture` (about a minute).
#[test]
#[ignore = "the README's census (a minute): cargo test --test solver_properties certification_census -- --ignored --nocapture"]
fn certification_census() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    use twolevel::model::Certificate;
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = input();
    // By number of stages: games, certified, failed, gaps of the others, paths that differ.
    let mut games = [0usize; 4];
    let mut certified = [0usize; 4];
    let mut failed = [0usize; 4];
    let mut gaps: [Vec<f64>; 4] = Default::default();
    let mut differ = [0usize; 4];
    let mut largest = [0.0f64; 4];
    let mut not_ties = 0;
    for _ in 0..3000 {
        let input = strategy.new_tree(&mut runner).expect("a game").current();
        let n = input.game.protocol.stages().len();
        let cert = solve_with_proposer(&input.game, input.proposer);
        let fast = solve_with_proposer_unchecked(&input.game, input.proposer);
        games[n] += 1;
        match cert.certificate {
            Certificate::Certified => certified[n] += 1,
            Certificate::NotCertified { gap } => gaps[n].push(gap),
            _ => failed[n] += 1,
        }
        let dp = (0..3)
            .map(|i| (cert.probabilities[i] - fast.probabilities[i]).abs())
            .fold(0.0, f64::max);
        if dp > 1e-8 {
            differ[n] += 1;
            largest[n] = largest[n].max(dp);
            for ((side, a), (_, b)) in equilibria(&fast).into_iter().zip(equilibria(&cert)) {
                let mut game = input.game;
                game.proposer = side;
                let model = Model::new(&game, side);
                let (va, vb) = (model.path_value(a), model.path_value(b));
                if (va - vb).abs() > optimality_tolerance(&game, va.max(vb)) {
                    println!("not a near-tie: fast {va:.10e}, certified {vb:.10e}; {input:?}");
                    not_ties += 1;
                }
            }
        }
    }
    for n in 1..=3 {
        let gap = &mut gaps[n];
        gap.sort_by(f64::total_cmp);
        let median = gap.get(gap.len() / 2).copied().unwrap_or(f64::NAN);
        println!(
            "{n} stage(s): {} games, {} certified, {} not certified (median gap {median:.1e}), \
             {} failed; {} certified paths differ from the fast search's (by at most {:.1e})",
            games[n],
            certified[n],
            gap.len(),
            failed[n],
            differ[n],
            largest[n]
        );
    }
    for n in 1..=2 {
        assert_eq!(certified[n], games[n], "{n}-stage games not all certified");
    }
    assert_eq!(
        not_ties, 0,
        "paths that differ and are not a near-tie in value"
    );
}

/// A miss of both solves found by a random-seed run of the steep-foreign property at e1ed246
/// (after 2,043 successes): a wide uniform home (support [−1.12, 1.96]) and a narrow uniform
/// foreign window (offers 0.195 to 0.218). The middle stage's offer jumps from 0.1804 to 0.1947
/// at a poll cutoff of about −0.595; the poll's objective rises to the jump (0.35948 at −0.600)
/// and drops there to a branch whose own maximum (0.35805 at −0.4607) both solves returned. The
/// scan cell holding the jump has a change of the middle stage's regime, but at its right end
/// the middle stage's optimum sits on a kink (not interior), so the scan had no slope there and
/// the regime-change search skipped the cell. Such a slope is now computed (re-solving the
/// middle stage beside the point) where a cell next to the point may hide a maximum
/// (`complete_slopes`); fails without.
#[test]
fn fast_search_at_a_jump_where_the_scan_has_no_slope() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                0.422_306_760_457_493_44,
                1.538_429_638_616_005_2,
            ),
            foreign: Some(Threshold::new(
                Family::Uniform,
                0.793_712_872_527_435,
                0.011_631_600_390_138_858,
            )),
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 1.0,
                delta_ratifier: 0.368_874_498_381_179_25,
                delta_proposer: 0.268_787_636_774_449,
                poll_weight: 0.887_375_668_385_842_7,
            },
        },
        proposer: Proposer::Mixed { p_home: 0.0 },
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}

/// A miss of the fast search found by a random-seed run of the uniform three-stage property at
/// edc47d3 (after 15,826 successes): a uniform home (support [0.306, 0.822]), no foreign
/// constraint. The poll's objective rises to a jump of the middle stage's offer (0.670 to 0.683
/// at a poll cutoff of about 0.426), drops there, and rises again to its maximum (0.287205 at
/// 0.467). The scan's points on either side of that maximum (0.435 and 0.500) hold nearly equal
/// values, and at 0.435 the middle stage's optimum sits on a kink (not interior), so the scan
/// had no slope there and no cell showed a hidden maximum; the fast search returned the top of
/// the first branch (0.286987). The slopes a scan of the first stage of three lacks at solved
/// points are now computed where a cell next to them may hide a maximum (`complete_slopes`);
/// fails without.
#[test]
fn fast_search_where_a_kink_of_the_middle_stage_hides_the_first_stage_maximum() {
    let input = Input {
        game: Game {
            home: Threshold::new(
                Family::Uniform,
                0.564_021_751_454_954_4,
                0.257_899_974_313_877_73,
            ),
            foreign: None,
            proposer: Side::Foreign,
            protocol: Protocol {
                poll: true,
                renegotiation: true,
            },
            scalars: Scalars {
                rho: 0.759_605_672_460_869_6,
                delta_ratifier: 0.245_707_059_705_559_73,
                delta_proposer: 1.0,
                poll_weight: 0.519_606_818_535_312_9,
            },
        },
        proposer: Proposer::Fixed(Side::Foreign),
    };
    let result = check_fast_search(&input);
    assert!(result.is_ok(), "{result:?}");
}
