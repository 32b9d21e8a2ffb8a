//! `cargo bench`: likelihood throughput per protocol (the same measurement as
//! `twolevel bench`, which runs in the faster-to-build dev profile with our crate optimized).
//!
//! Environment: `TWOLEVEL_BENCH_N` (comma-separated sizes, default 1000,10000),
//! `TWOLEVEL_BENCH_THREADS` (default 1,2).

use twolevel::analyses::synthetic::ProtocolMix;
use twolevel::bench::measure;

fn list(var: &str, default: &str) -> Vec<usize> {
    std::env::var(var)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn main() {
    let sizes = list("TWOLEVEL_BENCH_N", "1000,10000");
    let threads = list("TWOLEVEL_BENCH_THREADS", "1,2");
    println!("| protocol | N | threads | loglik episodes/s | loglik+gradient episodes/s |");
    println!("|---|---:|---:|---:|---:|");
    for protocols in [
        ProtocolMix::OneShot,
        ProtocolMix::Renegotiation,
        ProtocolMix::Poll,
        ProtocolMix::PollRenegotiation,
    ] {
        for &n in &sizes {
            for &t in &threads {
                let m = measure(protocols, n, t, 1.0).expect("simulated benchmark data");
                println!(
                    "| {} | {} | {} | {:.0} | {:.0} |",
                    m.protocol, m.n, m.threads, m.loglik_episodes_per_s, m.gradient_episodes_per_s
                );
            }
        }
    }
}
