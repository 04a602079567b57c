//! Runs one scenario: builds its model, checks its properties with the engine, and
//! turns the result into a [`Report`].

use super::coverage::{self, ActionKinds};
use super::engine::{self, FairModel, Fairness as EFair, Kind, Options, Prop, Verdict};
use super::limits;
use crate::report::{narrate, Envelope, Lifeline, PropReport, Report, Step, TimerName};
use crate::scenario::{Expected, Scenario};
use crate::wire::{ActionOf, Fairness, StateOf, Wire, WireActor};
use std::fmt::Debug;
use std::hash::Hash;
use std::io::Write;
use std::time::Duration;

/// The fairness categories are kept in the top two bits of a class key.
const CATEGORIES: [&str; 4] = [
    "",
    "weak fairness of time",
    "due timers fire",
    "strong fairness of delivery (fair loss)",
];

impl<A> FairModel for Wire<A>
where
    A: ActionKinds,
{
    fn fairness(&self, s: &StateOf<A>, a: &ActionOf<A>) -> (u64, EFair) {
        let (key, f) = self.fairness_of(s, a);
        let cat = CATEGORIES
            .iter()
            .position(|c| *c == self.fairness_category_of(s, a))
            .unwrap_or(0) as u64;
        let f = match f {
            Fairness::Unfair => EFair::Unfair,
            Fairness::Weak => EFair::Weak,
            Fairness::Strong => EFair::Strong,
        };
        ((key >> 2) | (cat << 62), f)
    }

    fn fairness_category(&self, key: u64) -> &'static str {
        CATEGORIES[(key >> 62) as usize]
    }

    fn action_kinds(&self) -> Vec<String> {
        coverage::kinds(self)
    }

    fn action_kind(&self, _s: &StateOf<A>, a: &ActionOf<A>) -> usize {
        coverage::kind_of(self, a)
    }

    fn next_state_into(&self, last: &StateOf<A>, a: ActionOf<A>, into: &mut StateOf<A>) -> bool {
        self.next_state_into(last, a, into)
    }
}

/// How to run the checker.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    pub threads: usize,
    /// Stop (incomplete) rather than exceed this many unique states.
    pub max_states: Option<usize>,
    /// Stop (incomplete) once the process's resident memory exceeds this many bytes.
    pub max_memory: Option<u64>,
    pub timeout: Option<Duration>,
    /// Print a progress line on stderr about once a second.
    pub progress: bool,
    /// Explorer address for deep links.
    pub explorer: Option<std::net::SocketAddr>,
    /// Count transitions and new states per kind of action ([`coverage`]).
    pub coverage: bool,
    /// Keep every trace's states as trees ([`Outcome::states`]), for trace diffs and ITF.
    pub states: bool,
    /// Draw every trace as an SVG sequence diagram ([`Outcome::svgs`]) in the book's
    /// layout.
    pub svg: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: 2,
            max_states: None,
            max_memory: Some(limits::default_max_memory()),
            timeout: None,
            progress: false,
            explorer: Some(([127, 0, 0, 1], 3000).into()),
            coverage: false,
            states: false,
            svg: false,
        }
    }
}

/// A finished run: the report and every trace in full.
pub struct Outcome {
    pub report: Report,
    pub roles: Vec<String>,
    /// With [`RunOptions::states`]: per property, the states of its trace as named
    /// variables ([`crate::report::state_tree::wire_state`]), in real sequence numbers.
    pub states: Vec<Option<Vec<TraceState>>>,
    /// With [`RunOptions::svg`]: per property, its trace as an SVG sequence diagram
    /// ([`crate::wire::svg::sequence_svg_with`], [`crate::wire::svg::Layout::book`]).
    pub svgs: Vec<Option<String>>,
}

/// One state of a trace as named variables: each actor, `timers`, `network`.
pub type TraceState = Vec<(String, serde_json::Value)>;

pub(crate) fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Always => "always",
        Kind::Sometimes => "sometimes",
        Kind::Eventually => "eventually",
        Kind::LeadsTo => "leads-to",
    }
}

pub(crate) fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "holds",
        Verdict::Violated => "violated",
        Verdict::Found => "found",
        Verdict::NotFound => "not found",
        Verdict::Unknown => "unknown",
    }
}

/// The action indices that lead along `steps`, as the Explorer encodes paths.
pub(crate) fn explorer_path<A>(
    m: &Wire<A>,
    steps: &[(Option<ActionOf<A>>, StateOf<A>)],
) -> Option<String>
where
    A: WireActor,
{
    use stateright::Model;
    let mut parts = vec!["0".to_string()];
    for w in steps.windows(2) {
        let mut actions = Vec::new();
        m.actions(&w[0].1, &mut actions);
        let a = w[1].0.as_ref()?;
        parts.push(actions.iter().position(|x| x == a)?.to_string());
    }
    Some(parts.join("/"))
}

/// Checks `props` of model `m` for scenario `scn`.
pub fn check_model<A>(
    scn: &Scenario,
    m: &Wire<A>,
    props: Vec<Prop<Wire<A>>>,
    opts: &RunOptions,
) -> Outcome
where
    A: ActionKinds + Sync,
    A::State: Clone + Hash + Send + Sync + Lifeline + Debug,
    A::Msg: Clone + Hash + Send + Sync + Envelope + Debug,
    A::Timer: Clone + Hash + Send + Sync + Debug + TimerName,
    A::Random: Clone + Hash + Send + Sync + Debug,
{
    // Progress is a courtesy: a closed stderr must not stop (or panic) the run.
    let progress = |p: engine::Progress| {
        let _ = write!(
            std::io::stderr(),
            "{}",
            super::progress::line(&scn.name, &p)
        );
    };
    // Signals and the memory bound are polled at the engine's safe points.
    let watch = limits::Watch::new(opts.max_memory);
    let stop = || watch.poll();
    let admit = |bytes: u64| watch.admit(bytes);
    let eopts = Options {
        threads: opts.threads,
        max_states: opts.max_states,
        timeout: opts.timeout,
        progress: if opts.progress { Some(&progress) } else { None },
        stop: Some(&stop),
        admit: Some(&admit),
        coverage: opts.coverage,
    };
    let res = engine::run(m, &props, &eopts);
    limits::release_freed_memory();
    if opts.progress {
        let _ = write!(std::io::stderr(), "{}", super::progress::clear());
    }
    let mut properties = Vec::new();
    for ((p, prop), (name, exp)) in res.properties.iter().zip(&props).zip(&scn.expect) {
        debug_assert_eq!(&p.name, name);
        let trace = p.trace.as_ref().map(|t| narrate(m, &t.steps));
        let explorer = match (&p.trace, opts.explorer) {
            (Some(t), Some(addr)) => {
                explorer_path(m, &t.steps).map(|path| format!("http://{addr}/#/steps/{path}"))
            }
            _ => None,
        };
        properties.push(PropReport {
            name: name.clone(),
            kind: kind_name(p.kind).into(),
            expected: exp.as_str().into(),
            verdict: verdict_name(p.verdict).into(),
            loop_start: p.trace.as_ref().and_then(|t| t.loop_start),
            trace,
            fairness: p.assumptions.iter().map(|s| s.to_string()).collect(),
            explorer,
            warnings: super::vacuity::warnings(
                m,
                p.kind,
                p.verdict,
                p.vacuous,
                prop.antecedent().map(|(what, _)| what),
                res.refused,
            ),
            sample: None,
            found_in_runs: None,
            first_run: None,
        });
    }
    let states = res
        .properties
        .iter()
        .map(|p| {
            let t = p.trace.as_ref().filter(|_| opts.states)?;
            let real = m.in_real_numbers(&t.steps);
            Some(
                real.iter()
                    .map(|(_, s)| crate::report::state_tree::wire_state::<A>(&m.roles, s))
                    .collect(),
            )
        })
        .collect();
    let svgs = res
        .properties
        .iter()
        .map(|p| {
            let t = p.trace.as_ref().filter(|_| opts.svg)?;
            let layout = crate::wire::svg::Layout::book(m.roles.len());
            Some(crate::wire::svg::sequence_svg_with(
                m,
                &t.steps,
                &layout,
                t.loop_start,
            ))
        })
        .collect();
    let as_expected = properties.iter().all(|p| p.expected == p.verdict);
    let stopped = (!res.complete).then(|| match (watch.why(), opts.max_states) {
        (Some(why), _) => why.describe(),
        (None, Some(n)) if res.unique_states as usize >= n => format!("reached --max-states {n}"),
        (None, _) if opts.timeout.is_some() => "reached --timeout".to_string(),
        (None, _) => "reached the engine's limit of states or edges".to_string(),
    });
    Outcome {
        report: Report {
            scenario: scn.name.clone(),
            complete: res.complete,
            states: res.states,
            unique_states: res.unique_states,
            max_depth: res.max_depth,
            seconds: res.seconds,
            properties,
            as_expected,
            stopped,
            coverage: res
                .coverage
                .as_ref()
                .map(|c| coverage::table(&coverage::kinds(m), c)),
            simulation: None,
            shard: None,
        },
        roles: m.roles.clone(),
        states,
        svgs,
    }
}

/// The properties the scenario states expectations for, as the model builds them (the
/// names were checked against the model's when the scenario was loaded).
pub fn expected_props<M: stateright::Model>(
    scn: &Scenario,
    prop: fn(&str) -> Option<Prop<M>>,
) -> Vec<Prop<M>> {
    scn.expect
        .iter()
        .map(|(n, _)| prop(n).expect("validated property name"))
        .collect()
}

/// Checks one scenario.
pub fn check(scn: &Scenario, opts: &RunOptions) -> Outcome {
    match scn.model.as_str() {
        "page-load" => {
            let m = crate::http::model::build(scn);
            let props = expected_props(scn, crate::http::model::prop);
            check_model(scn, &m, props, opts)
        }
        "h2" => {
            let m = crate::h2::model::build(scn);
            let props = expected_props(scn, crate::h2::model::prop);
            check_model(scn, &m, props, opts)
        }
        _ => {
            let m = crate::tcp::model::build(scn);
            let props = expected_props(scn, crate::tcp::model::prop);
            check_model(scn, &m, props, opts)
        }
    }
}

/// A trace of a finished run, by property name.
pub fn trace_of<'a>(o: &'a Outcome, property: &str) -> Option<(&'a [Step], Option<usize>)> {
    o.report
        .properties
        .iter()
        .find(|p| p.name == property)
        .and_then(|p| p.trace.as_deref().map(|t| (t, p.loop_start)))
}

/// Whether `e` names a found/violated expectation.
pub fn expects_trace(e: Expected) -> bool {
    matches!(e, Expected::Violated | Expected::Found)
}
