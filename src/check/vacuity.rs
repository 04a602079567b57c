//! Vacuity warnings: what a verdict of "holds" does not cover, said only where the
//! checker can tell (TLC users ask for this: tlaplus#839, #1193).
//!
//! A liveness property is decided over the runs the model lets through. On the timed
//! wire a step can be refused: an actor's send into a full network buffer, with no
//! loss budget left to lose it, blocks that step (`crate::wire::model`). A run that
//! needed the step is cut at that state, and "eventually" then speaks only of the
//! runs that went another way. The engine counts these refusals; when there were some,
//! a liveness verdict of "holds" says so.
//!
//! A leads-to property "p leads to q" whose p holds in no reachable state holds
//! vacuously; the report says so. So does an "always" property that is an implication
//! "if A then B" (e.g. "synchronized when established": if both ends are ESTABLISHED in
//! one incarnation, their numbers agree) whose A holds in no reachable state: such a
//! property names A ([`super::engine::Prop::always_if`]) and the checker looks for it
//! as it looks for a "sometimes" property. Properties that forbid a thing outright ("no
//! old segment accepted", "at most max_redirects redirects in a row") have no
//! antecedent and get no such warning.

use super::engine::{Kind, Verdict};
use crate::wire::{Wire, WireActor};

/// The warnings for a property of kind `kind` with verdict `verdict` (`vacuous`: its
/// antecedent, `antecedent` for an always-property, is never reached), in a run that
/// refused `refused` steps.
pub fn warnings<A: WireActor>(
    m: &Wire<A>,
    kind: Kind,
    verdict: Verdict,
    vacuous: bool,
    antecedent: Option<&str>,
    refused: u64,
) -> Vec<String> {
    let mut w = Vec::new();
    if vacuous && verdict == Verdict::Holds {
        w.push(match antecedent {
            Some(a) => format!("holds vacuously: its antecedent ({a}) holds in no reachable state"),
            None => "holds vacuously: its antecedent holds in no reachable state".to_string(),
        });
    }
    let live = matches!(kind, Kind::Eventually | Kind::LeadsTo);
    if live && verdict == Verdict::Holds && refused > 0 {
        w.push(format!(
            "holds only for the runs the bounds let through: {} step(s) were refused \
             because the network's buffer (capacity {}) was full and no loss budget was \
             left, and a run that needed one was cut there",
            crate::report::thousands(refused),
            m.faults.capacity
        ));
    }
    w
}

/// The `warning: …` lines of a report, one per warning, for stderr.
pub fn lines(r: &crate::report::Report) -> String {
    let mut o = String::new();
    for p in &r.properties {
        for w in &p.warnings {
            o.push_str(&format!("warning: {} / {}: {w}\n", r.scenario, p.name));
        }
    }
    o
}
