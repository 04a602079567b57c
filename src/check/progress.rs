//! The live progress line of a long run on a terminal: scenario, states, states per
//! second, depth and resident memory, rewritten in place on stderr. The engine calls
//! back at most once a second; nothing is written when stderr is not a terminal
//! (`crate::cli` decides), so pipes, files and JSON stay clean.

use super::engine::Progress;
use super::limits;

/// A byte count for people: `812 MiB`, `3.4 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u >= 3 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

/// Goes back to the start of the line and erases it (ANSI "erase in line").
pub fn clear() -> &'static str {
    "\r\x1b[2K"
}

/// The progress line for `scenario`, starting with [`clear`], without a newline.
pub fn line(scenario: &str, p: &Progress) -> String {
    line_with(scenario, p, limits::resident_bytes())
}

fn line_with(scenario: &str, p: &Progress, rss: Option<u64>) -> String {
    let secs = p.elapsed.as_secs_f64();
    let rate = p.states as f64 / secs.max(1e-9);
    let mem = rss.map_or(String::new(), |b| format!(", {} resident", bytes(b)));
    format!(
        "{}{scenario}: {} states ({} unique), {} states/s, depth {}{mem}, {:.0} s",
        clear(),
        crate::report::thousands(p.states),
        crate::report::thousands(p.unique_states),
        crate::report::thousands(rate as u64),
        p.depth,
        secs,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_line_names_scenario_rate_depth_and_memory() {
        let p = Progress {
            states: 2_000_000,
            unique_states: 500_000,
            depth: 31,
            elapsed: Duration::from_secs(4),
        };
        let l = line_with("tcp-handshake", &p, Some(300 << 20));
        assert_eq!(
            l,
            "\r\x1b[2Ktcp-handshake: 2,000,000 states (500,000 unique), 500,000 states/s, \
             depth 31, 300 MiB resident, 4 s"
        );
        assert!(!line_with("x", &p, None).contains("resident"));
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }
}
