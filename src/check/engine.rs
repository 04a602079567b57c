//! A breadth-first explicit-state checker for `stateright` models, with
//! safety properties checked on the fly and liveness properties (under weak
//! and strong fairness) decided on the explored state graph afterwards.
//!
//! One call to [`run`] explores the reachable graph once, level by level,
//! optionally on several threads, and returns a [`RunResult`] that is
//! identical for every thread count and every run.
//!
//! Graph storage per state: a 64-bit fingerprint and a parent index (in
//! fixed-size blocks, `segvec`) and a slot of the fingerprint table. A run with
//! liveness properties also keeps a CSR offset and one bit per liveness
//! predicate per state, plus 8 bytes per (deduplicated) edge (target index and
//! fairness-class id); a safety-only run only counts the edges. States
//! themselves are kept only for the BFS frontier, packed (`pack`; a wire state's
//! encoding is written by hand, `crate::wire::flat`); counterexamples are rebuilt
//! afterwards by replaying the model along the recorded fingerprints. A state's
//! fingerprint is the hash of its fields (`Hash`), or of its packed encoding when
//! that is its identity (`pack::Pack::IDENTITY`: a TCP state's).
//!
//! Submodules: `explore` (exploration), `pack` (the packed frontier), `segvec`
//! (block vectors), `scc` (iterative Tarjan), `liveness` (fair-cycle search with
//! Streett refinement) and `path` (trace replay).

mod explore;
mod liveness;
pub mod pack;
pub use explore::fingerprint;
mod path;
mod scc;
mod segvec;
#[cfg(test)]
mod tests;

use stateright::Model;
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How fairly the scheduler treats a class of actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fairness {
    /// No fairness: the class may be ignored forever.
    Unfair,
    /// Weak fairness: a class that is enabled continuously from some point on
    /// is eventually taken.
    Weak,
    /// Strong fairness: a class that is enabled infinitely often is taken
    /// infinitely often.
    Strong,
}

/// A model whose actions are grouped into fairness classes.
pub trait FairModel: Model {
    /// The fairness class of `action` taken in `state`: a key that identifies the
    /// class (e.g. "Tick", "fire timer X of actor 1", "deliver message m to actor 2"),
    /// and how fairly the scheduler treats it.
    ///
    /// Classes are identified by the pair (key, fairness); every `Unfair`
    /// action belongs to the single unfair class regardless of its key.
    fn fairness(&self, state: &Self::State, action: &Self::Action) -> (u64, Fairness);

    /// A human-readable label for a class key (for reports).
    fn fairness_label(&self, key: u64) -> String {
        key.to_string()
    }

    /// A coarse category of a class key, e.g. "weak fairness of time". The
    /// distinct non-empty categories a liveness verdict relied on are reported
    /// in [`PropertyResult::assumptions`].
    fn fairness_category(&self, _key: u64) -> &'static str {
        ""
    }

    /// The kinds of action the model defines, for coverage ([`Options::coverage`]):
    /// e.g. "tick", "server receives SYN". Empty: the model names none.
    fn action_kinds(&self) -> Vec<String> {
        Vec::new()
    }

    /// The index in [`FairModel::action_kinds`] of `action` taken in `state`. An index
    /// out of range counts as an action of no declared kind.
    fn action_kind(&self, _state: &Self::State, _action: &Self::Action) -> usize {
        usize::MAX
    }

    /// [`Model::next_state`], written over `into`: true when there is a successor,
    /// which `into` then holds. The engine keeps a pool of states to write
    /// successors into, so a model that reuses what `into` holds (its vectors'
    /// buffers) saves an allocation per successor. When it returns false, `into` holds
    /// some state the engine will write over again.
    fn next_state_into(
        &self,
        last: &Self::State,
        action: Self::Action,
        into: &mut Self::State,
    ) -> bool {
        match self.next_state(last, action) {
            Some(next) => {
                *into = next;
                true
            }
            None => false,
        }
    }
}

/// A state predicate.
pub type StateFn<M> = fn(&M, &<M as Model>::State) -> bool;
/// A step predicate over (previous state, action, next state).
pub type StepFn<M> =
    fn(&M, &<M as Model>::State, &<M as Model>::Action, &<M as Model>::State) -> bool;

/// A property to check.
pub enum Prop<M: Model> {
    /// `cond` holds in every reachable state. When `cond` is an implication "if A then
    /// B", `antecedent` is A with a few words that name it: the run records whether A
    /// ever held, and a verdict of "holds" says when it never did (vacuity).
    Always {
        name: String,
        cond: StateFn<M>,
        antecedent: Option<(&'static str, StateFn<M>)>,
    },
    /// `cond` holds in some reachable state.
    SometimesState { name: String, cond: StateFn<M> },
    /// `cond` holds on some reachable transition.
    SometimesStep { name: String, cond: StepFn<M> },
    /// Every fair behaviour eventually reaches a `goal` state.
    Eventually { name: String, goal: StateFn<M> },
    /// Every fair behaviour that reaches a `p` state reaches a `q` state then
    /// or later.
    LeadsTo {
        name: String,
        p: StateFn<M>,
        q: StateFn<M>,
    },
}

impl<M: Model> Prop<M> {
    pub fn always(name: impl Into<String>, cond: StateFn<M>) -> Self {
        Prop::Always {
            name: name.into(),
            cond,
            antecedent: None,
        }
    }
    /// An always-property that is an implication "if `antecedent` then ...": `what`
    /// names the antecedent in the vacuity warning ("both ends are ESTABLISHED").
    pub fn always_if(
        name: impl Into<String>,
        what: &'static str,
        antecedent: StateFn<M>,
        cond: StateFn<M>,
    ) -> Self {
        Prop::Always {
            name: name.into(),
            cond,
            antecedent: Some((what, antecedent)),
        }
    }
    /// The antecedent of an always-property that is an implication: its description
    /// and predicate.
    pub fn antecedent(&self) -> Option<(&'static str, StateFn<M>)> {
        match self {
            Prop::Always { antecedent, .. } => *antecedent,
            _ => None,
        }
    }
    pub fn sometimes(name: impl Into<String>, cond: StateFn<M>) -> Self {
        Prop::SometimesState {
            name: name.into(),
            cond,
        }
    }
    pub fn sometimes_step(name: impl Into<String>, cond: StepFn<M>) -> Self {
        Prop::SometimesStep {
            name: name.into(),
            cond,
        }
    }
    pub fn eventually(name: impl Into<String>, goal: StateFn<M>) -> Self {
        Prop::Eventually {
            name: name.into(),
            goal,
        }
    }
    pub fn leads_to(name: impl Into<String>, p: StateFn<M>, q: StateFn<M>) -> Self {
        Prop::LeadsTo {
            name: name.into(),
            p,
            q,
        }
    }
    pub fn name(&self) -> &str {
        match self {
            Prop::Always { name, .. }
            | Prop::SometimesState { name, .. }
            | Prop::SometimesStep { name, .. }
            | Prop::Eventually { name, .. }
            | Prop::LeadsTo { name, .. } => name,
        }
    }
    pub fn kind(&self) -> Kind {
        match self {
            Prop::Always { .. } => Kind::Always,
            Prop::SometimesState { .. } | Prop::SometimesStep { .. } => Kind::Sometimes,
            Prop::Eventually { .. } => Kind::Eventually,
            Prop::LeadsTo { .. } => Kind::LeadsTo,
        }
    }
}

impl<M: Model> Clone for Prop<M> {
    fn clone(&self) -> Self {
        match self {
            Prop::Always {
                name,
                cond,
                antecedent,
            } => Prop::Always {
                name: name.clone(),
                cond: *cond,
                antecedent: *antecedent,
            },
            Prop::SometimesState { name, cond } => Prop::SometimesState {
                name: name.clone(),
                cond: *cond,
            },
            Prop::SometimesStep { name, cond } => Prop::SometimesStep {
                name: name.clone(),
                cond: *cond,
            },
            Prop::Eventually { name, goal } => Prop::Eventually {
                name: name.clone(),
                goal: *goal,
            },
            Prop::LeadsTo { name, p, q } => Prop::LeadsTo {
                name: name.clone(),
                p: *p,
                q: *q,
            },
        }
    }
}

impl<M: Model> fmt::Debug for Prop<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}({:?})", self.kind(), self.name())
    }
}

/// The kind of a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Always,
    Sometimes,
    Eventually,
    LeadsTo,
}

/// The outcome for one property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Always/Eventually/LeadsTo: proven for the whole (complete) graph.
    Holds,
    /// Always/Eventually/LeadsTo: a counterexample is in the trace.
    Violated,
    /// Sometimes: an example is in the trace.
    Found,
    /// Sometimes: no example in the whole (complete) graph.
    NotFound,
    /// The run was cut short before the property could be decided.
    Unknown,
}

/// A path through the model.
///
/// `steps[0]` is an initial state (action `None`); every later element is the
/// action taken and the state it led to. If `loop_start` is `Some(i)` the path
/// is a lasso: `steps[i] -> ... -> steps[last]` is a cycle whose closing step
/// is included, i.e. the last state equals `steps[i].1` (and `last > i`).
/// A deadlock or a safety counterexample has `loop_start: None`.
pub struct Trace<M: Model> {
    pub steps: Vec<(Option<M::Action>, M::State)>,
    pub loop_start: Option<usize>,
}

/// The result for one property, in the order of the `props` given to [`run`].
pub struct PropertyResult<M: Model> {
    pub name: String,
    pub kind: Kind,
    pub verdict: Verdict,
    pub trace: Option<Trace<M>>,
    /// Liveness only: the distinct non-empty fairness categories
    /// ([`FairModel::fairness_category`]) the verdict relies on, sorted.
    /// For `Holds`: the Weak/Strong classes whose fairness excluded some
    /// cycle. For a `Violated` fair lasso: the Weak/Strong classes enabled
    /// somewhere in the cycle's component (the lasso respects them all).
    pub assumptions: Vec<&'static str>,
    /// On a complete run, a verdict of "holds" whose antecedent holds in no reachable
    /// state: `p` of a leads-to, or the antecedent of an always-property that is an
    /// implication ([`Prop::always_if`]). The property holds vacuously.
    pub vacuous: bool,
}

/// The result of a run.
pub struct RunResult<M: Model> {
    /// Whether the whole reachable graph was explored.
    pub complete: bool,
    /// Successor states computed (transitions generated), including repeats.
    pub states: u64,
    /// Distinct states (by fingerprint).
    pub unique_states: u64,
    /// Distinct (source, target, fairness class) edges stored.
    pub edges: u64,
    /// BFS depth of the deepest state found (initial states are depth 0).
    pub max_depth: u32,
    pub seconds: f64,
    /// Bytes held by the graph at the end (fingerprint table, fingerprints,
    /// parents, CSR, bitsets), computed from capacities.
    pub graph_bytes: u64,
    pub properties: Vec<PropertyResult<M>>,
    /// With [`Options::coverage`]: one entry per [`FairModel::action_kinds`] entry,
    /// then one for actions of no declared kind.
    pub coverage: Option<Vec<KindCount>>,
    /// Actions the model listed (`Model::actions`) whose `next_state` was `None`:
    /// steps a bound of the model refused, e.g. a send into a full network buffer.
    /// A run that needed one was cut there.
    pub refused: u64,
}

/// What one kind of action did in a run (see [`Options::coverage`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindCount {
    /// Transitions taken (successors computed), repeats included.
    pub transitions: u64,
    /// Transitions that led to a state seen for the first time.
    pub new_states: u64,
    /// The BFS depth of the first state where an action of this kind was taken.
    pub first_depth: Option<u32>,
}

/// Progress report passed to [`Options::progress`] about once a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub states: u64,
    pub unique_states: u64,
    pub depth: u32,
    pub elapsed: Duration,
}

/// Run options.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Worker threads (0 is treated as 1). Results do not depend on it.
    pub threads: usize,
    /// Stop (incomplete) rather than exceed this many unique states.
    pub max_states: Option<usize>,
    /// Stop (incomplete) after about this long.
    pub timeout: Option<Duration>,
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// Polled after each batch: stop (incomplete) when it returns true (a signal,
    /// a memory bound).
    pub stop: Option<&'a (dyn Fn() -> bool + Sync)>,
    /// Asked before the liveness phase allocates its workspace, with the bytes it
    /// needs: `false` stops the run there (incomplete; liveness verdicts unknown).
    pub admit: Option<&'a (dyn Fn(u64) -> bool + Sync)>,
    /// Count transitions and new states per kind of action
    /// ([`FairModel::action_kind`]) into [`RunResult::coverage`].
    pub coverage: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            threads: 1,
            max_states: None,
            timeout: None,
            progress: None,
            stop: None,
            admit: None,
            coverage: false,
        }
    }
}

impl fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("threads", &self.threads)
            .field("max_states", &self.max_states)
            .field("timeout", &self.timeout)
            .field("progress", &self.progress.is_some())
            .field("stop", &self.stop.is_some())
            .field("admit", &self.admit.is_some())
            .field("coverage", &self.coverage)
            .finish()
    }
}

impl<M: Model> fmt::Debug for Trace<M>
where
    M::State: fmt::Debug,
    M::Action: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("steps", &self.steps)
            .field("loop_start", &self.loop_start)
            .finish()
    }
}

impl<M: Model> Clone for Trace<M>
where
    M::State: Clone,
    M::Action: Clone,
{
    fn clone(&self) -> Self {
        Trace {
            steps: self.steps.clone(),
            loop_start: self.loop_start,
        }
    }
}

impl<M: Model> fmt::Debug for PropertyResult<M>
where
    M::State: fmt::Debug,
    M::Action: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropertyResult")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("verdict", &self.verdict)
            .field("trace", &self.trace)
            .field("assumptions", &self.assumptions)
            .finish()
    }
}

impl<M: Model> Clone for PropertyResult<M>
where
    M::State: Clone,
    M::Action: Clone,
{
    fn clone(&self) -> Self {
        PropertyResult {
            name: self.name.clone(),
            kind: self.kind,
            verdict: self.verdict,
            trace: self.trace.clone(),
            assumptions: self.assumptions.clone(),
            vacuous: self.vacuous,
        }
    }
}

impl<M: Model> fmt::Debug for RunResult<M>
where
    M::State: fmt::Debug,
    M::Action: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunResult")
            .field("complete", &self.complete)
            .field("states", &self.states)
            .field("unique_states", &self.unique_states)
            .field("edges", &self.edges)
            .field("max_depth", &self.max_depth)
            .field("seconds", &self.seconds)
            .field("graph_bytes", &self.graph_bytes)
            .field("properties", &self.properties)
            .finish()
    }
}

impl<M: Model> RunResult<M> {
    /// The result of the property named `name`, if any.
    pub fn property(&self, name: &str) -> Option<&PropertyResult<M>> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// Where a property's data lives in the exploration.
enum Slot {
    State(usize),
    Step(usize),
    Eventually(usize),
    LeadsTo(usize, usize),
}

/// Explore `model` and check `props`. See the crate docs.
pub fn run<M>(model: &M, props: &[Prop<M>], opts: &Options) -> RunResult<M>
where
    M: FairModel + Sync,
    M::State: Clone + Hash + Send + Sync + pack::Pack,
    M::Action: Clone + Send + Sync,
{
    let start = Instant::now();
    let mut spec = explore::Spec::<M> {
        state_props: Vec::new(),
        step_props: Vec::new(),
        live_preds: Vec::new(),
    };
    // An always-property's antecedent is looked for as a sometimes-property would be:
    // found once, it is no longer evaluated.
    let mut antecedents: Vec<Option<usize>> = Vec::with_capacity(props.len());
    let slots: Vec<Slot> = props
        .iter()
        .map(|p| match p {
            Prop::Always {
                cond, antecedent, ..
            } => {
                antecedents.push(antecedent.map(|(_, a)| {
                    spec.state_props.push((a, true));
                    spec.state_props.len() - 1
                }));
                spec.state_props.push((*cond, false));
                Slot::State(spec.state_props.len() - 1)
            }
            Prop::SometimesState { cond, .. } => {
                antecedents.push(None);
                spec.state_props.push((*cond, true));
                Slot::State(spec.state_props.len() - 1)
            }
            Prop::SometimesStep { cond, .. } => {
                antecedents.push(None);
                spec.step_props.push(*cond);
                Slot::Step(spec.step_props.len() - 1)
            }
            Prop::Eventually { goal, .. } => {
                antecedents.push(None);
                spec.live_preds.push(*goal);
                Slot::Eventually(spec.live_preds.len() - 1)
            }
            Prop::LeadsTo { p, q, .. } => {
                antecedents.push(None);
                spec.live_preds.push(*p);
                spec.live_preds.push(*q);
                Slot::LeadsTo(spec.live_preds.len() - 2, spec.live_preds.len() - 1)
            }
        })
        .collect();

    let ex = explore::explore(model, &spec, opts);
    let g = &ex.graph;
    let mut workspace: Option<liveness::Workspace> = None;
    // The liveness phase is bounded like exploration: its workspace is admitted
    // against the memory bound before it is allocated, and a signal or the bound is
    // polled before each liveness property. A stop there leaves the liveness verdicts
    // unknown and the run incomplete.
    let mut complete = ex.complete;
    let live_ok = |complete: &mut bool, ws: &Option<liveness::Workspace>| -> bool {
        if !*complete {
            return false;
        }
        let admitted = ws.is_some() || opts.admit.is_none_or(|f| f(liveness::Workspace::bytes(g)));
        if !admitted || opts.stop.is_some_and(|f| f()) {
            *complete = false;
        }
        *complete
    };

    let properties = props
        .iter()
        .zip(&slots)
        .zip(&antecedents)
        .map(|((prop, slot), antecedent)| {
            let kind = prop.kind();
            let mut res = PropertyResult {
                name: prop.name().to_string(),
                kind,
                verdict: Verdict::Unknown,
                trace: None,
                assumptions: Vec::new(),
                vacuous: false,
            };
            let found = match slot {
                Slot::State(i) => Some(ex.state_found[*i]),
                Slot::Step(i) => Some(ex.step_found[*i]),
                _ => None,
            };
            match (found, slot) {
                (Some(Some(d)), _) => {
                    res.verdict = if kind == Kind::Always {
                        Verdict::Violated
                    } else {
                        Verdict::Found
                    };
                    let hops = path::discovery_hops(g, d);
                    let (steps, _) = path::replay(model, g, &hops);
                    res.trace = Some(Trace {
                        steps,
                        loop_start: None,
                    });
                }
                (Some(None), _) if ex.complete => {
                    res.verdict = if kind == Kind::Always {
                        Verdict::Holds
                    } else {
                        Verdict::NotFound
                    };
                    res.vacuous = antecedent.is_some_and(|a| ex.state_found[a].is_none());
                }
                (None, Slot::Eventually(goal)) if live_ok(&mut complete, &workspace) => {
                    let ws = workspace.get_or_insert_with(|| liveness::Workspace::new(g));
                    let out = liveness::check(g, &ex.live_bits[*goal], None, ws);
                    fill_liveness(model, g, out, &mut res);
                }
                (None, Slot::LeadsTo(p, q)) if live_ok(&mut complete, &workspace) => {
                    let ws = workspace.get_or_insert_with(|| liveness::Workspace::new(g));
                    let out = liveness::check(g, &ex.live_bits[*q], Some(&ex.live_bits[*p]), ws);
                    fill_liveness(model, g, out, &mut res);
                    res.vacuous = !ex.live_bits[*p].any();
                }
                _ => {}
            }
            res
        })
        .collect();
    drop(workspace);

    RunResult {
        complete,
        states: ex.generated,
        unique_states: g.len() as u64,
        edges: g.edge_count,
        max_depth: ex.max_depth,
        seconds: start.elapsed().as_secs_f64(),
        graph_bytes: g.bytes() + ex.live_bits.iter().map(|b| b.bytes() as u64).sum::<u64>(),
        properties,
        coverage: ex.coverage,
        refused: ex.refused,
    }
}

fn fill_liveness<M>(
    model: &M,
    g: &explore::Graph,
    out: liveness::Outcome,
    res: &mut PropertyResult<M>,
) where
    M: FairModel,
    M::State: Clone + Hash + pack::Pack,
    M::Action: Clone,
{
    let mut cats: Vec<&'static str> = out
        .assumed
        .iter()
        .map(|&c| model.fairness_category(g.class_keys[c as usize]))
        .filter(|c| !c.is_empty())
        .collect();
    cats.sort_unstable();
    cats.dedup();
    res.assumptions = cats;
    res.verdict = match out.result {
        liveness::LiveResult::Holds => Verdict::Holds,
        liveness::LiveResult::Unknown => Verdict::Unknown,
        liveness::LiveResult::Violated(lasso) => {
            let hops = path::lasso_hops(g, &lasso.path);
            let (steps, ok) = path::replay(model, g, &hops);
            res.trace = Some(Trace {
                steps,
                loop_start: if ok { lasso.loop_start } else { None },
            });
            Verdict::Violated
        }
    };
}
