//! MODEL.md §5: reference values, closed forms and the four theory properties.

use twolevel::model::lambert::lambert_w_of_exp;
use twolevel::model::logistic_one_shot::LogisticOneShot;
use twolevel::model::{
    solve, solve_with_proposer, Family, Game, Proposer, Protocol, Scalars, Side, Threshold,
};

fn uniform01() -> Threshold {
    Threshold::new(Family::Uniform, 0.5, 0.5)
}

fn game(home: Threshold, protocol: Protocol, scalars: Scalars) -> Game {
    Game {
        home,
        foreign: None,
        proposer: Side::Foreign,
        protocol,
        scalars,
    }
}

const ONE_SHOT: Protocol = Protocol {
    poll: false,
    renegotiation: false,
};
const RENEG: Protocol = Protocol {
    poll: false,
    renegotiation: true,
};
const POLL: Protocol = Protocol {
    poll: true,
    renegotiation: false,
};

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol,
        "{what}: got {a}, expected {b} (diff {:e})",
        (a - b).abs()
    );
}

fn scalars(rho: f64, dr: f64, dp: f64, w: f64) -> Scalars {
    Scalars {
        rho,
        delta_ratifier: dr,
        delta_proposer: dp,
        poll_weight: w,
    }
}

#[test]
fn uniform_one_shot() {
    let eq = solve(&game(uniform01(), ONE_SHOT, Scalars::default()));
    close(eq.stages[0].offer, 0.5, 1e-8, "x");
    close(eq.p_ratified, 0.5, 1e-8, "P(ratified)");
    close(eq.p_renegotiated, 0.0, 1e-12, "P(renegotiated)");
    close(eq.p_failed, 0.5, 1e-8, "P(failed)");
}

#[test]
fn uniform_renegotiation() {
    let eq = solve(&game(uniform01(), RENEG, scalars(1.0, 0.5, 0.5, 0.0)));
    close(eq.stages[0].offer, 0.55, 1e-8, "x1");
    close(eq.stages[0].cutoff, 0.40, 1e-8, "c1");
    close(eq.stages[1].offer, 0.70, 1e-8, "x2");
    close(eq.p_ratified, 0.40, 1e-8, "P(ratified)");
    close(eq.p_renegotiated, 0.30, 1e-8, "P(renegotiated)");
    close(eq.p_failed, 0.30, 1e-8, "P(failed)");
}

#[test]
fn uniform_poll_sincere_half_and_strategic() {
    let eq = solve(&game(uniform01(), POLL, scalars(0.5, 0.9, 0.9, 0.0)));
    close(eq.stages[0].cutoff, 1.0 / 3.0, 1e-8, "c");
    close(eq.stages[1].offer, 2.0 / 3.0, 1e-8, "final x");
    close(eq.p_ratified, 2.0 / 3.0, 1e-8, "P(ratified)");
    close(eq.p_failed, 1.0 / 3.0, 1e-8, "P(failed)");

    let eq = solve(&game(uniform01(), POLL, scalars(0.5, 0.9, 0.9, 0.5)));
    close(eq.stages[0].cutoff, 0.25, 1e-8, "c");
    close(eq.stages[0].offer, 0.4375, 1e-8, "trial");
    close(eq.stages[1].offer, 0.625, 1e-8, "final");
    close(eq.p_ratified, 0.625, 1e-8, "P(ratified)");
    close(eq.p_failed, 0.375, 1e-8, "P(failed)");

    let eq = solve(&game(uniform01(), POLL, scalars(0.5, 0.9, 0.9, 1.0)));
    close(eq.stages[0].p_accept, 0.0, 1e-12, "nobody says yes");
    close(eq.stages[1].offer, 0.5, 1e-8, "final");
    close(eq.p_ratified, 0.5, 1e-8, "P(ratified)");
    close(eq.p_failed, 0.5, 1e-8, "P(failed)");
}

#[test]
fn uniform_closed_forms() {
    for (a, b) in [(0.0, 1.0), (-0.4, 1.3), (0.2, 0.9), (-1.0, 2.0)] {
        let home = Threshold::new(Family::Uniform, 0.5 * (a + b), 0.5 * (b - a));
        let eq = solve(&game(home, ONE_SHOT, Scalars::default()));
        close(eq.stages[0].offer, (1.0 + a) / 2.0, 1e-9, "one-shot x*");
        close(
            eq.p_ratified,
            (1.0 - a) / (2.0 * (b - a)),
            1e-9,
            "one-shot P",
        );
        for (rho, dr, dp) in [(1.0, 0.5, 0.5), (0.8, 0.9, 0.6), (0.5, 0.3, 0.9)] {
            let (kappa, lambda): (f64, f64) = (rho * dr, rho * dp);
            let eq = solve(&game(home, RENEG, scalars(rho, dr, dp, 0.0)));
            let c1 = ((2.0 - kappa) * (1.0 + a) - lambda) / (4.0 - 2.0 * kappa - lambda);
            let x2 = (1.0 + c1) / 2.0;
            let x1 = (1.0 - kappa) * c1 + kappa * x2;
            if c1 <= a || x2 >= b || x1 < 0.0 {
                continue; // not interior
            }
            close(eq.stages[0].cutoff, c1, 1e-9, "c1");
            close(eq.stages[1].offer, x2, 1e-9, "x2");
            close(eq.stages[0].offer, x1, 1e-9, "x1");
        }
    }
}

#[test]
fn logistic_one_shot_lambert_w() {
    let eq = solve(&game(
        Threshold::new(Family::Logistic, 0.3, 0.1),
        ONE_SHOT,
        Scalars::default(),
    ));
    close(eq.stages[0].offer, 0.450334, 1e-6, "x*");
    close(eq.p_ratified, 0.818071, 1e-6, "P");
    // Against the closed form itself (Lambert W by Newton), to 1e-12.
    for (mu, s) in [
        (0.3, 0.1),
        (0.8, 0.05),
        (-0.1, 0.2),
        (0.5, 0.3),
        (0.35, 0.12),
    ] {
        let k: f64 = (1.0 - mu) / s - 1.0;
        let mut w: f64 = if k > 1.0 { k - k.ln() } else { 0.5 };
        for _ in 0..100 {
            w -= (w * w.exp() - k.exp()) / (w.exp() * (1.0 + w));
        }
        let eq = solve(&game(
            Threshold::new(Family::Logistic, mu, s),
            ONE_SHOT,
            Scalars::default(),
        ));
        close(eq.stages[0].offer, mu + s * w.ln(), 1e-12, "x* closed form");
        close(eq.p_ratified, w / (1.0 + w), 1e-12, "P closed form");
        // The likelihood's closed form (in logs, no solver) gives the same probabilities.
        let closed = LogisticOneShot::new(mu, s);
        close(closed.p_ratified, w / (1.0 + w), 1e-12, "P, likelihood");
        close(
            closed.p_failed,
            1.0 / (1.0 + w),
            1e-12,
            "P(failed), likelihood",
        );
        close(closed.log_p_ratified, (w / (1.0 + w)).ln(), 1e-12, "log P");
    }
}

/// ln W(e^k) as the solver computed it before `lambert.rs` (Newton's method on
/// `L + e^L = k` from an asymptotic start, up to 50 steps): the reference for the grid below.
fn previous_log_lambert_w_of_exp(k: f64) -> f64 {
    let mut l = if k > 1.5 {
        (k - k.ln()).ln()
    } else if k > -3.0 {
        k - (k.exp()).ln_1p()
    } else {
        k
    };
    for _ in 0..50 {
        let e = l.exp();
        let step = (e + l - k) / (e + 1.0);
        l -= step;
        if step.abs() <= 1e-15 * (1.0 + l.abs()) {
            break;
        }
    }
    l
}

#[test]
fn lambert_w_agrees_with_the_previous_newton_solve_on_a_wide_grid() {
    // k from −700 to 10⁶: 0.001 apart on [−10, 10], 0.1% apart beyond.
    let mut k = -700.0f64;
    let mut points = 0;
    while k <= 1e6 {
        let w = lambert_w_of_exp(k);
        let previous = previous_log_lambert_w_of_exp(k);
        // ln ω to 1e-12 relative (absolute near ln ω = 0, at k = 1), and so ω.
        assert!(
            (w.log - previous).abs() <= 1e-12 * previous.abs().max(1.0),
            "k = {k}: ln W = {}, previous {previous}",
            w.log
        );
        // ω = k − ln ω where e^{ln ω} would overflow.
        let previous_value = if previous > 0.0 {
            k - previous
        } else {
            previous.exp()
        };
        assert!(
            (w.value - previous_value).abs() <= 1e-12 * previous_value,
            "k = {k}: W = {}, previous {previous_value}",
            w.value
        );
        points += 1;
        k += if k.abs() < 10.0 { 1e-3 } else { 1e-3 * k.abs() };
    }
    assert!(points > 30_000);
}

#[test]
fn property_complete_information() {
    for family in [Family::Logistic, Family::Normal, Family::Uniform] {
        let mut last = 1.0;
        for s in [0.1, 0.01, 0.001, 1e-4] {
            let eq = solve(&game(
                Threshold::new(family, 0.4, s),
                ONE_SHOT,
                Scalars::default(),
            ));
            assert!(eq.p_failed <= last + 1e-12, "{family:?} s={s}");
            last = eq.p_failed;
        }
        assert!(last < 0.01, "{family:?}: P(failed) = {last} at s = 1e-4");
    }
}

#[test]
fn property_two_sided_constraints_are_more_equitable() {
    for family in [Family::Logistic, Family::Normal, Family::Uniform] {
        let home = Threshold::new(family, 0.5, 0.2);
        let one_sided = Game {
            home,
            foreign: None,
            proposer: Side::Foreign,
            protocol: ONE_SHOT,
            scalars: Scalars::default(),
        };
        let two_sided = Game {
            foreign: Some(home),
            ..one_sided
        };
        let mixed = Proposer::Mixed { p_home: 0.5 };
        let s1 = solve_with_proposer(&one_sided, mixed).home_share;
        let s2 = solve_with_proposer(&two_sided, mixed).home_share;
        assert!(
            (s2 - 0.5).abs() < (s1 - 0.5).abs(),
            "{family:?}: two-sided {s2}, one-sided {s1}"
        );
        assert!(
            (s2 - 0.5).abs() < 1e-9,
            "symmetric constraints give an even split: {s2}"
        );
    }
}

#[test]
fn property_renegotiation_induces_strategic_voting() {
    for family in [Family::Logistic, Family::Normal, Family::Uniform] {
        // Uniform on [0, 0.8]: an interior one-shot offer (on [0.2, 0.6] everyone accepts 0.6).
        let scale = if family == Family::Uniform { 0.4 } else { 0.2 };
        let home = Threshold::new(family, 0.4, scale);
        let one_shot = solve(&game(home, ONE_SHOT, Scalars::default())).p_ratified;
        for (rho, dr, dp) in [(1.0, 0.5, 0.5), (0.7, 0.9, 0.8), (0.3, 0.5, 0.9)] {
            let eq = solve(&game(home, RENEG, scalars(rho, dr, dp, 0.0)));
            assert!(
                eq.stages[0].cutoff < eq.stages[0].offer,
                "{family:?}: c1 < x1"
            );
            let first_vote = home.cdf(eq.stages[0].cutoff);
            assert!(
                first_vote < one_shot,
                "{family:?}: G(c1) = {first_vote} vs one-shot {one_shot}"
            );
        }
    }
}

#[test]
fn property_strategic_polls_tighten_the_constraint() {
    for family in [Family::Logistic, Family::Normal, Family::Uniform] {
        let home = Threshold::new(family, 0.4, 0.2);
        let one_shot = solve(&game(home, ONE_SHOT, Scalars::default())).p_ratified;
        let mut last = f64::INFINITY;
        for i in 0..=10 {
            let w = i as f64 / 10.0;
            let p = solve(&game(home, POLL, scalars(0.5, 0.9, 0.9, w))).p_ratified;
            assert!(
                p <= last + 1e-10,
                "{family:?}: P(ratified) rose at w_poll = {w}: {p} > {last}"
            );
            last = p;
        }
        close(last, one_shot, 1e-9, "w_poll = 1 equals one shot");
    }
}
