//! `synack simulate`: seeded random walks over the model `check` explores, for
//! configurations too big to exhaust (stateright#50, tlaplus#193).
//!
//! The walks test the scenario's own properties: every "always" property on every
//! state they visit, every "sometimes" property on every state and step. What they
//! find is real: a violated always-property or a witnessed sometimes-property comes
//! with its path, which replays in the Explorer (`#/steps/…`) and, for a tcp scenario,
//! in `synack replay`. What they do not find proves nothing, so the report never says
//! "holds": such a property is `sampled`, "not violated in N sampled runs". Liveness
//! needs the whole state graph (a fair cycle, a dead end that no bound caused): walks
//! do not decide it, and the report says "not checked by simulate".
//!
//! Read [`rng`] (the runs' random numbers) and [`walk`] (the walks) next.

pub mod rng;
pub mod walk;

use crate::check::coverage::ActionKinds;
use crate::check::engine::{Kind, Prop};
use crate::check::run::{expected_props, kind_name};
use crate::check::shard::Shard;
use crate::report::{
    narrate, thousands, Envelope, Lifeline, PropReport, Report, Simulation, TimerName,
};
use crate::scenario::Scenario;
use crate::wire::{ActionOf, StateOf, Wire};
use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration, Instant};
use walk::{Sample, Walks};

/// How to simulate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub seed: u64,
    /// The runs of the whole sample (indices `0..runs`); a shard walks its share.
    pub runs: u64,
    /// Steps per run at most.
    pub depth: u32,
    pub threads: usize,
    pub shard: Shard,
    pub timeout: Option<Duration>,
    /// Explorer address for deep links.
    pub explorer: Option<std::net::SocketAddr>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 0,
            runs: 1000,
            depth: 100,
            threads: 2,
            shard: Shard::WHOLE,
            timeout: None,
            explorer: Some(([127, 0, 0, 1], 3000).into()),
        }
    }
}

/// A finished sample: the report, and per property the path of its finding as a
/// trace file that `synack replay` reads (tcp scenarios only) with the `--max-steps`
/// its replay needs.
pub struct Outcome {
    pub report: Report,
    pub roles: Vec<String>,
    pub replay: Vec<Option<(String, usize)>>,
}

/// The verdicts a sample can decide; everything else it reports is undecided.
pub fn decided(verdict: &str) -> bool {
    matches!(verdict, "holds" | "violated" | "found" | "not found")
}

/// What a sample says of a property it did not decide.
pub fn undecided_note(kind: &str, runs: u64) -> String {
    let runs = format!(
        "{} sampled run{}",
        thousands(runs),
        if runs == 1 { "" } else { "s" }
    );
    match kind {
        "always" => format!("not violated in {runs}"),
        "sometimes" => format!("not found in {runs}"),
        _ => LIVENESS_NOTE.to_string(),
    }
}

/// Why liveness is left out.
pub const LIVENESS_NOTE: &str = "not checked by simulate: a liveness verdict needs the whole \
     state graph (a fair cycle or a dead end), which random walks do not build";

/// The verdict of a liveness property in a `simulate` report.
pub const NOT_CHECKED: &str = "not checked";

/// A tcp path as a replay trace.
type ReplayFn<'a, A> =
    &'a dyn Fn(&Wire<A>, &[(Option<ActionOf<A>>, StateOf<A>)], &str) -> (String, usize);

/// Samples `props` of model `m` for scenario `scn`.
pub fn simulate_model<A>(
    scn: &Scenario,
    m: &Wire<A>,
    props: Vec<Prop<Wire<A>>>,
    opts: &Options,
    replay: Option<ReplayFn<A>>,
) -> Outcome
where
    A: ActionKinds + Sync,
    A::State: Clone + Hash + Send + Sync + Lifeline + Debug,
    A::Msg: Clone + Hash + Send + Sync + Envelope + Debug,
    A::Timer: Clone + Hash + Send + Sync + Debug + TimerName,
    A::Random: Clone + Hash + Send + Sync + Debug,
{
    let start = Instant::now();
    let w = Walks {
        seed: opts.seed,
        runs: opts.runs,
        depth: opts.depth,
        threads: opts.threads,
        shard: opts.shard,
        timeout: opts.timeout,
    };
    let sample: Sample = walk::sample(m, &props, &w);
    let mut properties = Vec::new();
    let mut replays = Vec::new();
    for ((p, ps), (name, exp)) in props.iter().zip(&sample.props).zip(&scn.expect) {
        let kind = kind_name(p.kind());
        let live = matches!(p.kind(), Kind::Eventually | Kind::LeadsTo);
        let mut r = PropReport {
            name: name.clone(),
            kind: kind.into(),
            expected: exp.as_str().into(),
            verdict: if live { NOT_CHECKED } else { "sampled" }.into(),
            trace: None,
            loop_start: None,
            fairness: Vec::new(),
            explorer: None,
            warnings: Vec::new(),
            sample: Some(undecided_note(kind, sample.runs)),
            found_in_runs: (!live).then_some(ps.found_in_runs),
            first_run: None,
        };
        let mut rp = None;
        if let Some(f) = &ps.first {
            let steps = walk::replay_path(m, &f.path).expect("a walked path replays");
            r.verdict = if p.kind() == Kind::Always {
                "violated"
            } else {
                "found"
            }
            .into();
            r.sample = None;
            r.first_run = Some(f.run);
            r.trace = Some(narrate(m, &steps));
            if f.path.len() <= crate::explore::MAX_PATH_STEPS {
                r.explorer = opts.explorer.map(|addr| {
                    let path: Vec<String> = f.path.iter().map(usize::to_string).collect();
                    format!("http://{addr}/#/steps/{}", path.join("/"))
                });
            }
            rp = replay.map(|f2| {
                let comment = format!(
                    "{} / {}: {} in run {} of `synack simulate --seed {} --runs {} --depth {}`",
                    scn.name, name, r.verdict, f.run, opts.seed, opts.runs, opts.depth
                );
                f2(m, &steps, &comment)
            });
        } else if let Some((what, _)) = p.antecedent() {
            if ps.antecedent_runs == 0 && sample.runs > 0 {
                r.warnings.push(format!(
                    "sampled vacuously: its antecedent ({what}) held in no state the runs visited"
                ));
            }
        }
        properties.push(r);
        replays.push(rp);
    }
    let as_expected = properties
        .iter()
        .all(|p| !decided(&p.verdict) || p.verdict == p.expected);
    Outcome {
        report: Report {
            scenario: scn.name.clone(),
            complete: false,
            states: sample.states,
            unique_states: sample.unique_states,
            max_depth: sample.max_depth,
            seconds: start.elapsed().as_secs_f64(),
            properties,
            as_expected,
            stopped: sample.stopped.clone(),
            coverage: None,
            simulation: Some(Simulation {
                seed: opts.seed,
                runs: sample.runs,
                requested_runs: opts.runs,
                depth: opts.depth,
                dead_ends: sample.dead_ends,
            }),
            shard: None,
        },
        roles: m.roles.clone(),
        replay: replays,
    }
}

/// Samples one scenario.
pub fn simulate(scn: &Scenario, opts: &Options) -> Outcome {
    match scn.model.as_str() {
        "page-load" => {
            let m = crate::http::model::build(scn);
            let props = expected_props(scn, crate::http::model::prop);
            simulate_model(scn, &m, props, opts, None)
        }
        "h2" => {
            let m = crate::h2::model::build(scn);
            let props = expected_props(scn, crate::h2::model::prop);
            simulate_model(scn, &m, props, opts, None)
        }
        _ => {
            let m = crate::tcp::model::build(scn);
            let props = expected_props(scn, crate::tcp::model::prop);
            simulate_model(scn, &m, props, opts, Some(&crate::replay::trace_file))
        }
    }
}
