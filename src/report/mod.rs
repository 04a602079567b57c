//! Reports and traces: the JSON contract of shared/DESIGN.md, a text report, a text
//! segment timeline, and Mermaid sequence diagrams.

pub mod diff;
pub mod itf;
pub mod merge;
pub mod narrate;
pub mod pcap;
pub mod sampled;
pub mod state_tree;

pub use narrate::{connection_name, narrate, Envelope, Lifeline, SegmentView, Step, TimerName};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One property's outcome.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PropReport {
    pub name: String,
    /// `always | eventually | leads-to | sometimes`.
    pub kind: String,
    /// `holds | violated`, or `found | not found` for `sometimes`.
    pub expected: String,
    /// As `expected`, or `unknown` when the run was cut short before deciding it.
    pub verdict: String,
    pub trace: Option<Vec<Step>>,
    /// For a lasso: the loop starts from the state after this step; the steps after it
    /// lead back to that state (the last step's state equals it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_start: Option<usize>,
    /// Liveness: the fairness assumptions the verdict rests on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fairness: Vec<String>,
    /// The Explorer deep link that opens the trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explorer: Option<String>,
    /// What the verdict does not cover, when the checker can tell (vacuity warnings):
    /// e.g. a liveness property that holds while the bounds cut some runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// `simulate`: what the sample says of a verdict it could not decide, e.g. "not
    /// violated in 1,000 sampled runs", or "not checked by simulate" for liveness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// `simulate`: the runs in which the property was violated (always) or
    /// witnessed (sometimes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_in_runs: Option<u64>,
    /// `simulate`: the run whose path `trace` is: the first, in run order, that
    /// violated or witnessed the property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_run: Option<u64>,
}

/// One scenario's report.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub complete: bool,
    pub states: u64,
    pub unique_states: u64,
    pub max_depth: u32,
    pub seconds: f64,
    pub properties: Vec<PropReport>,
    pub as_expected: bool,
    /// Why the run is incomplete, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// With `check --coverage`: per kind of action, what it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Vec<crate::check::coverage::CoverageRow>>,
    /// `simulate`: the sample this report is about. Its verdicts are "sampled" where
    /// the walks decided nothing; `complete` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation: Option<Simulation>,
    /// With `--shard I/N`: which shard made this report, and where its scenario
    /// stands in the unsharded list (for `synack merge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::check::shard::ShardInfo>,
}

/// What a `simulate` report sampled.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Simulation {
    pub seed: u64,
    /// Runs walked for this report (a shard's share, or all of them).
    pub runs: u64,
    /// `--runs`: the runs of the whole sample, indices 0 to runs − 1.
    pub requested_runs: u64,
    /// `--depth`: steps per run at most.
    pub depth: u32,
    /// Runs that ended before `depth` in a state with no enabled action.
    pub dead_ends: u64,
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Report {
    /// The terminal report. With `redact`, timings are hidden (for snapshots).
    pub fn text(&self, redact: bool) -> String {
        if self.simulation.is_some() {
            return sampled::text(self, redact);
        }
        let mut o = String::new();
        let secs = if redact {
            "[seconds]".to_string()
        } else {
            format!("{:.2} s", self.seconds)
        };
        let _ = writeln!(
            o,
            "{}: {}, {} unique states ({} generated), depth {}, {}",
            self.scenario,
            if self.complete {
                "complete"
            } else {
                "INCOMPLETE"
            },
            thousands(self.unique_states),
            thousands(self.states),
            self.max_depth,
            secs
        );
        if let Some(why) = &self.stopped {
            let _ = writeln!(o, "  stopped: {why}");
        }
        for p in &self.properties {
            let mark = if p.verdict == p.expected {
                "ok"
            } else {
                "UNEXPECTED"
            };
            let _ = write!(
                o,
                "  {:<10} {:<10} {:<11} {}",
                mark, p.verdict, p.kind, p.name
            );
            if p.verdict != p.expected {
                let _ = write!(o, " (expected {})", p.expected);
            }
            if let Some(t) = &p.trace {
                let _ = write!(o, " [{} steps", t.len() - 1);
                if let Some(k) = p.loop_start {
                    let _ = write!(o, ", loop from step {k}");
                }
                let _ = write!(o, "]");
            }
            let _ = writeln!(o);
            if !p.fairness.is_empty() {
                let _ = writeln!(o, "{:35}under: {}", "", p.fairness.join(", "));
            }
            if let Some(url) = &p.explorer {
                let _ = writeln!(o, "{:35}explore: {url}", "");
            }
        }
        let n = self
            .properties
            .iter()
            .filter(|p| p.verdict == p.expected)
            .count();
        let _ = writeln!(
            o,
            "  {} of {} verdicts as expected",
            n,
            self.properties.len()
        );
        if let Some(rows) = &self.coverage {
            o.push_str(&crate::check::coverage::render(rows, self.complete));
        }
        o
    }
}

/// A trace as a segment timeline.
pub fn timeline(title: &str, steps: &[Step], loop_start: Option<usize>) -> String {
    timeline_with(title, steps, loop_start, |_| String::new())
}

/// A segment timeline with `after(i)` written after step `i` (e.g. its state diff).
pub fn timeline_with(
    title: &str,
    steps: &[Step],
    loop_start: Option<usize>,
    after: impl Fn(usize) -> String,
) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{title}");
    let _ = writeln!(o, "step  time  what happened");
    for (i, s) in steps.iter().enumerate() {
        if loop_start.is_some_and(|k| i == k + 1) {
            let _ = writeln!(
                o,
                "----  loop: steps {i} to {} lead back to the state after step {}, for ever  ----",
                steps.len() - 1,
                i - 1
            );
        }
        let head = match s.action.as_str() {
            "init" => "start".to_string(),
            _ => s.summary.split("; ").next().unwrap_or("").to_string(),
        };
        let _ = writeln!(o, "{i:>4}  t={:<3} {head}", s.time);
        if s.action == "init" {
            let _ = writeln!(o, "{:13}{}", "", s.summary.trim_start_matches("start: "));
            for (from, to, l) in &s.sent {
                let _ = writeln!(o, "{:13}{from} sends {l} → {to}", "");
            }
            o.push_str(&after(i));
            continue;
        }
        for (who, a, b) in &s.moves {
            match s.connections.iter().find(|(r, _)| r == who) {
                Some((_, n)) => {
                    let _ = writeln!(
                        o,
                        "{:13}{who}: switches to {}: {b}",
                        "",
                        connection_name(*n)
                    );
                }
                None => {
                    let _ = writeln!(o, "{:13}{who}: {a} → {b}", "");
                }
            }
        }
        for (from, to, l) in &s.sent {
            let _ = writeln!(o, "{:13}{from} sends {l} → {to}", "");
        }
        for (from, to, l) in &s.expired {
            let _ = writeln!(o, "{:13}{l} ({from} → {to}) expires: older than MSL", "");
        }
        o.push_str(&after(i));
    }
    if let Some(k) = loop_start {
        let _ = writeln!(
            o,
            "----  back to the state after step {k}: the loop repeats for ever  ----"
        );
    }
    o
}

fn mm(s: &str) -> String {
    // Mermaid treats ; and # as syntax and renders HTML in labels: write entity codes
    // (#lt; #gt; #amp; #quot;) so that no text becomes markup.
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => o.push_str("#35;"),
            ';' => o.push_str("#59;"),
            '<' => o.push_str("#lt;"),
            '>' => o.push_str("#gt;"),
            '&' => o.push_str("#amp;"),
            '"' => o.push_str("#quot;"),
            c => o.push(c),
        }
    }
    o
}

/// A trace as a Mermaid sequence diagram: arrows for deliveries, crosses for losses,
/// notes for state changes, expiries and ticks.
pub fn mermaid(roles: &[String], steps: &[Step], loop_start: Option<usize>) -> String {
    let mut o = String::from("sequenceDiagram\n");
    for r in roles {
        let _ = writeln!(o, "    participant {r}");
    }
    for (i, s) in steps.iter().enumerate() {
        if loop_start.is_some_and(|k| i == k + 1) {
            let _ = writeln!(
                o,
                "    Note over {},{}: loop starts (step {i})",
                roles[0],
                roles[roles.len() - 1]
            );
        }
        match s.action.as_str() {
            "init" => {
                for (r, p) in roles.iter().zip(&s.phases) {
                    let _ = writeln!(o, "    Note over {r}: {}", mm(p));
                }
            }
            "tick" => {
                let _ = writeln!(
                    o,
                    "    Note over {},{}: t={}",
                    roles[0],
                    roles[roles.len() - 1],
                    s.time
                );
                for (from, to, l) in &s.expired {
                    let _ = writeln!(o, "    {from}--x{to}: {} expires", mm(l));
                }
            }
            "deliver" | "deliver-keep-copy" => {
                if let Some(seg) = &s.segment {
                    let label = s.summary.split("; ").next().unwrap_or("");
                    let label = label.split_once("  ").map_or(label, |x| x.1).trim();
                    let _ = writeln!(o, "    {}->>{}: {}", seg.from, seg.to, mm(label));
                }
            }
            "drop" => {
                if let Some(seg) = &s.segment {
                    let label = s.summary.split("; ").next().unwrap_or("");
                    let label = label.split_once("  ").map_or(label, |x| x.1).trim();
                    let _ = writeln!(o, "    {}-x{}: {}", seg.from, seg.to, mm(label));
                }
            }
            _ => {
                let first = s.summary.split("; ").next().unwrap_or("");
                if let Some((who, what)) = first.split_once(": ") {
                    if roles.iter().any(|r| r == who) {
                        let _ = writeln!(o, "    Note over {who}: {}", mm(what));
                    }
                }
            }
        }
        for (who, _, b) in &s.moves {
            if let Some((_, n)) = s.connections.iter().find(|(r, _)| r == who) {
                let _ = writeln!(
                    o,
                    "    Note over {who}: switches to {}",
                    mm(&connection_name(*n))
                );
            }
            let _ = writeln!(o, "    Note over {who}: {}", mm(b));
        }
    }
    if let Some(k) = loop_start {
        let _ = writeln!(
            o,
            "    Note over {},{}: back to the state after step {k}, for ever",
            roles[0],
            roles[roles.len() - 1]
        );
    }
    o
}
