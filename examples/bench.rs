//! The catalogue's performance figures: per scenario unique states, depth and
//! seconds; the whole catalogue's time; and for `tcp-handshake` the liveness check
//! next to the safety-only check (time and graph bytes per state).
//!
//! `cargo run --release --example bench [--threads N] [SCENARIO ...]`
//! Timings belong here, never in tests.

use std::time::Instant;
use synack::check::engine::{self, Options, Prop};
use synack::check::{self, RunOptions};
use synack::scenario::Scenario;
use synack::tcp::model::{self as tcp, TcpModel};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut threads = 2;
    if let Some(i) = args.iter().position(|a| a == "--threads") {
        threads = args.get(i + 1).and_then(|t| t.parse().ok()).unwrap_or(2);
        args.drain(i..(i + 2).min(args.len()));
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let all = Scenario::catalogue(&dir).unwrap_or_else(|e| panic!("{e}"));
    let chosen: Vec<&Scenario> = all
        .iter()
        .filter(|s| args.is_empty() || args.contains(&s.name))
        .collect();
    println!(
        "{:<36} {:>12} {:>14} {:>6} {:>9}  verdicts",
        "scenario", "unique", "generated", "depth", "seconds"
    );
    let t0 = Instant::now();
    for s in &chosen {
        let o = check::check(
            s,
            &RunOptions {
                threads,
                explorer: None,
                ..RunOptions::default()
            },
        );
        let r = &o.report;
        println!(
            "{:<36} {:>12} {:>14} {:>6} {:>9.2}  {}",
            r.scenario,
            r.unique_states,
            r.states,
            r.max_depth,
            r.seconds,
            if r.as_expected && r.complete {
                "as expected"
            } else {
                "UNEXPECTED"
            }
        );
    }
    println!(
        "catalogue: {} scenarios in {:.1} s on {threads} threads",
        chosen.len(),
        t0.elapsed().as_secs_f64()
    );

    // Liveness next to safety, on tcp-handshake.
    let Some(hs) = all.iter().find(|s| s.name == "tcp-handshake") else {
        return;
    };
    let m: TcpModel = tcp::build(hs);
    let safety: Vec<Prop<TcpModel>> = hs
        .expect
        .iter()
        .filter(|(n, _)| n != "both sides reach CLOSED")
        .filter_map(|(n, _)| tcp::prop(n))
        .collect();
    let mut with_live = safety.clone();
    with_live.push(Prop::eventually(
        "both sides reach CLOSED",
        tcp::both_closed,
    ));
    let opts = Options {
        threads,
        ..Options::default()
    };
    let a = engine::run(&m, &safety, &opts);
    let rss_a = peak_rss_mb();
    let b = engine::run(&m, &with_live, &opts);
    let rss_b = peak_rss_mb();
    println!(
        "tcp-handshake safety only: {:.2} s, {} states, graph {:.1} bytes/state, peak RSS {:.0} MB",
        a.seconds,
        a.unique_states,
        a.graph_bytes as f64 / a.unique_states as f64,
        rss_a
    );
    println!(
        "tcp-handshake with liveness: {:.2} s ({:.2}x), graph {:.1} bytes/state, peak RSS {:.0} MB",
        b.seconds,
        b.seconds / a.seconds,
        b.graph_bytes as f64 / b.unique_states as f64,
        rss_b
    );
}
