//! `synack merge`: the JSON reports of shards (`check --shard`, `simulate --shard`) as
//! one report, the one an unsharded run gives.
//!
//! - `check` reports: the union of the scenarios, in the order of the unsharded list
//!   (each sharded report names its position). When the reports are sharded, every
//!   position of that list must be there. The same scenario twice must be the same
//!   report (timing aside); anything else is a conflict.
//! - `simulate` reports of one scenario: one per shard, every shard of the same sample
//!   (seed, runs, depth, shard count) present once. Runs, states and dead ends add up;
//!   the longest run is the longest of any shard; each property's counts add up, and
//!   its trace is the first in run order. `unique_states` adds the shards' counts: a
//!   state two shards visited counts twice.
//!
//! Input files may hold several JSON values one after another (the output of several
//! shards appended to one file), each a report or an array of reports.

use super::{Report, Simulation};
use crate::cli::Error;
use crate::simulate::{decided, undecided_note};

/// Reports read from one source, named for errors.
pub struct Input {
    pub name: String,
    pub reports: Vec<Report>,
}

/// Parses one input: a stream of JSON values, each a report or an array of reports.
pub fn parse(name: &str, text: &str) -> Result<Input, Error> {
    let mut reports = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    for v in stream {
        let v = v.map_err(|e| {
            Error::input(format!("{name} is not JSON")).caused_by(format!(
                "{name}:{}:{}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let items = match v {
            serde_json::Value::Array(a) => a,
            other => vec![other],
        };
        for item in items {
            let r: Report = serde_json::from_value(item).map_err(|e| {
                Error::input(format!(
                    "{name} holds something that is not a report of `check --json` or `simulate --json`"
                ))
                .caused_by(e.to_string())
            })?;
            reports.push(r);
        }
    }
    Ok(Input {
        name: name.to_string(),
        reports,
    })
}

/// A report as merge compares it: without its timing and its shard.
fn comparable(r: &Report) -> Report {
    let mut r = r.clone();
    r.seconds = 0.0;
    r.shard = None;
    r
}

/// The first difference between two reports of one scenario, for the error.
fn difference(a: &Report, b: &Report) -> String {
    for (p, q) in a.properties.iter().zip(&b.properties) {
        if p.verdict != q.verdict {
            return format!(
                "`{}` is {} in one and {} in the other",
                p.name, p.verdict, q.verdict
            );
        }
    }
    if a.unique_states != b.unique_states {
        return format!(
            "{} unique states in one, {} in the other",
            a.unique_states, b.unique_states
        );
    }
    "they differ".to_string()
}

/// Merges the reports of `inputs`.
pub fn merge(inputs: &[Input]) -> Result<Vec<Report>, Error> {
    // Every report with where it came from, grouped by scenario in order of appearance.
    let mut groups: Vec<(String, Vec<(&str, &Report)>)> = Vec::new();
    for i in inputs {
        for r in &i.reports {
            match groups.iter_mut().find(|(s, _)| *s == r.scenario) {
                Some((_, g)) => g.push((&i.name, r)),
                None => groups.push((r.scenario.clone(), vec![(&i.name, r)])),
            }
        }
    }
    if groups.is_empty() {
        return Err(Error::input("no reports to merge")
            .caused_by("give the JSON files that `check --json` or `simulate --json` wrote"));
    }
    let mut out = Vec::new();
    for (scenario, g) in &groups {
        let sims = g.iter().filter(|(_, r)| r.simulation.is_some()).count();
        let merged = if sims == 0 {
            merge_checks(scenario, g)?
        } else if sims == g.len() {
            merge_samples(scenario, g)?
        } else {
            return Err(Error::input(format!(
                "{scenario}: a `check` report and a `simulate` report cannot be merged"
            )));
        };
        out.push(merged);
    }
    order(&mut out)?;
    // The merged reports are the whole's: no shard made them.
    for r in &mut out {
        r.shard = None;
    }
    Ok(out)
}

/// One scenario's `check` reports: the same report, however often it comes.
fn merge_checks(scenario: &str, g: &[(&str, &Report)]) -> Result<Report, Error> {
    let (first_name, first) = g[0];
    for (name, r) in &g[1..] {
        if comparable(r) != comparable(first) {
            return Err(Error::input(format!(
                "conflicting reports for {scenario} in {first_name} and {name}"
            ))
            .caused_by(difference(first, r)));
        }
    }
    Ok(first.clone())
}

/// One scenario's `simulate` reports: one per shard of one sample.
fn merge_samples(scenario: &str, g: &[(&str, &Report)]) -> Result<Report, Error> {
    let sim = |r: &Report| -> Simulation { r.simulation.clone().expect("a simulate report") };
    let (first_name, first) = g[0];
    let s0 = sim(first);
    let count = first.shard.map_or(1, |s| s.count);
    // One report per shard index; a repeat must be the same report.
    let mut by_shard: Vec<Option<(&str, &Report)>> = vec![None; count as usize];
    for &(name, r) in g {
        let s = sim(r);
        let c = r.shard.map_or(1, |s| s.count);
        if (s.seed, s.requested_runs, s.depth, c) != (s0.seed, s0.requested_runs, s0.depth, count) {
            return Err(Error::input(format!(
                "{scenario}: {first_name} and {name} are shards of different samples"
            ))
            .caused_by(format!(
                "seed {}, {} runs, depth {}, {} shard(s) against seed {}, {} runs, depth {}, {} shard(s)",
                s0.seed, s0.requested_runs, s0.depth, count, s.seed, s.requested_runs, s.depth, c
            )));
        }
        let i = r.shard.map_or(0, |s| s.index) as usize;
        match by_shard[i] {
            Some((other, o)) if comparable(o) != comparable(r) => {
                return Err(Error::input(format!(
                    "conflicting reports for {scenario}, shard {i}/{count}, in {other} and {name}"
                ))
                .caused_by(difference(o, r)));
            }
            Some(_) => {}
            None => by_shard[i] = Some((name, r)),
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|&i| by_shard[i as usize].is_none())
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "{scenario}: no report of shard {}",
            missing.join(", ")
        ))
        .caused_by("a merged sample needs every shard of it"));
    }
    let parts: Vec<&Report> = by_shard.iter().flatten().map(|(_, r)| *r).collect();
    let mut m = first.clone();
    let mut total = s0.clone();
    total.runs = parts.iter().map(|r| sim(r).runs).sum();
    total.dead_ends = parts.iter().map(|r| sim(r).dead_ends).sum();
    m.states = parts.iter().map(|r| r.states).sum();
    m.unique_states = parts.iter().map(|r| r.unique_states).sum();
    m.max_depth = parts.iter().map(|r| r.max_depth).max().unwrap_or(0);
    m.seconds = parts.iter().map(|r| r.seconds).sum();
    m.stopped = parts.iter().find_map(|r| r.stopped.clone());
    for (k, p) in m.properties.iter_mut().enumerate() {
        let each: Vec<&super::PropReport> = parts
            .iter()
            .map(|r| {
                r.properties
                    .get(k)
                    .filter(|q| q.name == p.name && q.kind == p.kind)
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                Error::input(format!(
                    "{scenario}: the shards do not check the same properties"
                ))
            })?;
        p.found_in_runs = each.iter().map(|q| q.found_in_runs).sum::<Option<u64>>();
        let first = each
            .iter()
            .filter(|q| q.trace.is_some())
            .min_by_key(|q| q.first_run.unwrap_or(u64::MAX));
        match first {
            Some(q) => {
                p.verdict = q.verdict.clone();
                p.trace = q.trace.clone();
                p.first_run = q.first_run;
                p.explorer = q.explorer.clone();
                p.loop_start = q.loop_start;
                p.sample = None;
                p.warnings = Vec::new();
            }
            None => {
                p.sample = Some(undecided_note(&p.kind, total.runs));
                // A warning of the sample (e.g. an antecedent never reached) stands
                // when every shard that walked some run gave it.
                let walked: Vec<&&super::PropReport> = each
                    .iter()
                    .zip(&parts)
                    .filter(|(_, r)| sim(r).runs > 0)
                    .map(|(q, _)| q)
                    .collect();
                p.warnings = match walked.split_first() {
                    Some((w0, rest)) => w0
                        .warnings
                        .iter()
                        .filter(|w| rest.iter().all(|q| q.warnings.contains(w)))
                        .cloned()
                        .collect(),
                    None => Vec::new(),
                };
            }
        }
    }
    m.as_expected = m
        .properties
        .iter()
        .all(|p| !decided(&p.verdict) || p.verdict == p.expected);
    m.simulation = Some(total);
    Ok(m)
}

/// Puts merged reports in the order of the unsharded list, and checks, for sharded
/// `check` reports, that no position of it is missing.
fn order(out: &mut [Report]) -> Result<(), Error> {
    if out.iter().any(|r| r.shard.is_none()) {
        return Ok(());
    }
    out.sort_by_key(|r| r.shard.map(|s| s.position));
    let checks: Vec<&Report> = out.iter().filter(|r| r.simulation.is_none()).collect();
    let Some(first) = checks.first().and_then(|r| r.shard) else {
        return Ok(());
    };
    if let Some(r) = checks.iter().find(|r| {
        r.shard
            .is_some_and(|s| (s.count, s.scenarios) != (first.count, first.scenarios))
    }) {
        return Err(Error::input(format!(
            "{} and {} come from different shardings",
            checks[0].scenario, r.scenario
        )));
    }
    let have: std::collections::BTreeSet<u64> = checks
        .iter()
        .filter_map(|r| r.shard.map(|s| s.position))
        .collect();
    let missing: Vec<String> = (0..first.scenarios)
        .filter(|k| !have.contains(k))
        .map(|k| {
            format!(
                "position {k} (shard {}/{})",
                k % first.count as u64,
                first.count
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "the reports cover {} of the {} scenarios checked",
            have.len(),
            first.scenarios
        ))
        .caused_by(format!("missing: {}", missing.join(", "))));
    }
    Ok(())
}
