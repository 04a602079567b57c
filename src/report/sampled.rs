//! The terminal report of `synack simulate`: labelled SAMPLED, and every verdict the
//! walks did not decide says how many runs it rests on.

use super::{thousands, Report};
use std::fmt::Write;

/// The text of a `simulate` report. With `redact`, timings are hidden (for snapshots).
pub fn text(r: &Report, redact: bool) -> String {
    let mut o = String::new();
    let Some(sim) = &r.simulation else {
        return o;
    };
    let secs = if redact {
        "[seconds]".to_string()
    } else {
        format!("{:.2} s", r.seconds)
    };
    let shard = r
        .shard
        .map(|s| format!(", shard {}/{}", s.index, s.count))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "{}: SAMPLED, {} run{} of at most {} steps (seed {}{shard}), {} states visited ({} unique), longest run {} steps, {}",
        r.scenario,
        thousands(sim.runs),
        if sim.runs == 1 { "" } else { "s" },
        sim.depth,
        sim.seed,
        thousands(r.states),
        thousands(r.unique_states),
        r.max_depth,
        secs
    );
    if sim.dead_ends > 0 {
        let _ = writeln!(
            o,
            "  {} run(s) ended early in a state with no enabled action",
            thousands(sim.dead_ends)
        );
    }
    if let Some(why) = &r.stopped {
        let _ = writeln!(o, "  stopped: {why}");
    }
    let (mut ok, mut bad, mut open) = (0, 0, 0);
    for p in &r.properties {
        let decided = crate::simulate::decided(&p.verdict);
        let mark = if !decided {
            open += 1;
            "-"
        } else if p.verdict == p.expected {
            ok += 1;
            "ok"
        } else {
            bad += 1;
            "UNEXPECTED"
        };
        let _ = write!(
            o,
            "  {:<10} {:<11} {:<10} {}",
            mark, p.verdict, p.kind, p.name
        );
        if decided && p.verdict != p.expected {
            let _ = write!(o, " (expected {})", p.expected);
        }
        if let Some(note) = &p.sample {
            let _ = write!(o, ": {note}");
        }
        if let Some(t) = &p.trace {
            let _ = write!(o, " [{} steps", t.len() - 1);
            if let Some(run) = p.first_run {
                let _ = write!(o, ", run {run}");
            }
            if let Some(n) = p.found_in_runs {
                let _ = write!(o, "; in {} of {} runs", thousands(n), thousands(sim.runs));
            }
            let _ = write!(o, "]");
        }
        let _ = writeln!(o);
        if let Some(url) = &p.explorer {
            let _ = writeln!(o, "{:36}explore: {url}", "");
        }
    }
    let _ = writeln!(
        o,
        "  {ok} verdicts as expected, {bad} contradicted, {open} not decided by the sample"
    );
    o
}
