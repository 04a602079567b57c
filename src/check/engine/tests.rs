//! Tests on tiny hand-made models with known answers, plus determinism,
//! scale and stateright comparisons.

use super::*;
use stateright::{Checker, Property};
use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------
// An explicit graph model: states are numbers, edges are listed by hand.

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Act(&'static str, u32);

#[derive(Clone)]
struct G {
    inits: Vec<u32>,
    edges: Vec<(u32, u32, &'static str, Fairness)>,
    cats: Vec<(&'static str, &'static str)>,
    goal: Vec<u32>,
    p: Vec<u32>,
    q: Vec<u32>,
    sr_props: Vec<Property<G>>,
}

impl G {
    fn new(inits: &[u32]) -> Self {
        G {
            inits: inits.to_vec(),
            edges: Vec::new(),
            cats: Vec::new(),
            goal: Vec::new(),
            p: Vec::new(),
            q: Vec::new(),
            sr_props: Vec::new(),
        }
    }
    fn e(mut self, from: u32, to: u32, label: &'static str, f: Fairness) -> Self {
        self.edges.push((from, to, label, f));
        self
    }
    fn cat(mut self, label: &'static str, cat: &'static str) -> Self {
        self.cats.push((label, cat));
        self
    }
    fn goal(mut self, goal: &[u32]) -> Self {
        self.goal = goal.to_vec();
        self
    }
    fn pq(mut self, p: &[u32], q: &[u32]) -> Self {
        self.p = p.to_vec();
        self.q = q.to_vec();
        self
    }
    fn key(label: &str) -> u64 {
        explore::fingerprint(label)
    }
}

impl Model for G {
    type State = u32;
    type Action = Act;
    fn init_states(&self) -> Vec<u32> {
        self.inits.clone()
    }
    fn actions(&self, s: &u32, out: &mut Vec<Act>) {
        for &(from, to, label, _) in &self.edges {
            if from == *s {
                out.push(Act(label, to));
            }
        }
    }
    fn next_state(&self, _: &u32, a: Act) -> Option<u32> {
        Some(a.1)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        self.sr_props.clone()
    }
}

impl FairModel for G {
    fn fairness(&self, s: &u32, a: &Act) -> (u64, Fairness) {
        let f = self
            .edges
            .iter()
            .find(|e| e.0 == *s && e.1 == a.1 && e.2 == a.0)
            .map_or(Fairness::Unfair, |e| e.3);
        (G::key(a.0), f)
    }
    fn fairness_category(&self, key: u64) -> &'static str {
        self.cats
            .iter()
            .find(|(l, _)| G::key(l) == key)
            .map_or("", |(_, c)| c)
    }
}

fn goal(m: &G, s: &u32) -> bool {
    m.goal.contains(s)
}
fn p(m: &G, s: &u32) -> bool {
    m.p.contains(s)
}
fn q(m: &G, s: &u32) -> bool {
    m.q.contains(s)
}

use Fairness::{Strong, Unfair, Weak};

fn run1<M>(m: &M, props: &[Prop<M>]) -> RunResult<M>
where
    M: FairModel + Sync,
    M::State: Clone + Hash + Send + Sync + super::pack::Pack,
    M::Action: Clone + Send + Sync,
{
    run(m, props, &Options::default())
}

fn states_of<M: Model>(t: &Trace<M>) -> Vec<M::State>
where
    M::State: Clone,
{
    t.steps.iter().map(|(_, s)| s.clone()).collect()
}

/// Checks that a trace is a real path of the model, and that a lasso's loop
/// is closed and fair.
fn validate<M>(m: &M, t: &Trace<M>)
where
    M: FairModel,
    M::State: Clone + PartialEq + Debug,
    M::Action: Clone + PartialEq + Debug,
{
    assert!(!t.steps.is_empty());
    assert!(t.steps[0].0.is_none());
    assert!(m.init_states().contains(&t.steps[0].1));
    let mut actions = Vec::new();
    for w in t.steps.windows(2) {
        let (prev, (a, next)) = (&w[0].1, &w[1]);
        let a = a.clone().expect("later steps have actions");
        actions.clear();
        m.actions(prev, &mut actions);
        assert!(actions.contains(&a), "{a:?} not enabled in {prev:?}");
        assert_eq!(m.next_state(prev, a).as_ref(), Some(next));
    }
    let Some(ls) = t.loop_start else { return };
    let last = t.steps.len() - 1;
    assert!(ls < last, "a loop has at least one step");
    assert_eq!(t.steps[ls].1, t.steps[last].1, "the loop is closed");
    let taken: Vec<(u64, Fairness)> = (ls + 1..=last)
        .map(|i| {
            let a = t.steps[i].0.as_ref().unwrap();
            m.fairness(&t.steps[i - 1].1, a)
        })
        .collect();
    let enabled: Vec<Vec<(u64, Fairness)>> = (ls..last)
        .map(|i| {
            let s = &t.steps[i].1;
            actions.clear();
            m.actions(s, &mut actions);
            actions
                .drain(..)
                .filter_map(|a| {
                    let f = m.fairness(s, &a);
                    m.next_state(s, a).map(|_| f)
                })
                .collect()
        })
        .collect();
    let mut all: Vec<(u64, Fairness)> = enabled.iter().flatten().copied().collect();
    all.sort();
    all.dedup();
    for c in all {
        let everywhere = enabled.iter().all(|e| e.contains(&c));
        match c.1 {
            Fairness::Weak if everywhere => {
                assert!(taken.contains(&c), "weakly fair class {c:?} ignored")
            }
            Fairness::Strong => assert!(taken.contains(&c), "strongly fair class {c:?} ignored"),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------

#[test]
fn cycle_violates_eventually_but_stateright_says_holds() {
    let ev: StateFn<G> = goal;
    let mut m = G::new(&[0])
        .e(0, 1, "A", Weak)
        .e(1, 0, "B", Weak)
        .goal(&[9]);
    let r = run1(&m, &[Prop::eventually("ev", ev)]);
    assert!(r.complete);
    assert_eq!(r.unique_states, 2);
    assert_eq!(r.edges, 2);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(t.loop_start, Some(0));
    assert_eq!(states_of(t), vec![0, 1, 0]);
    validate(&m, t);

    // Stateright's BFS treats the revisit of 0 as a DAG join, not a cycle,
    // and reports no counterexample: a false "holds".
    m.sr_props = vec![Property::eventually("ev", goal)];
    let checker = m.checker().spawn_bfs().join();
    assert!(checker.discovery("ev").is_none());
}

#[test]
fn dag_join_violates_eventually_but_stateright_misses_it() {
    // 0 -> 1 (goal) -> 3 and 0 -> 2 -> 3, with 3 terminal and not goal.
    // The path 0, 2, 3 never reaches the goal. Stateright visits 1 first,
    // reaches 3 with the goal already seen, and on the second path treats
    // the already-generated 3 as non-terminal, so it misses the
    // counterexample.
    let mut m = G::new(&[0])
        .e(0, 1, "A", Weak)
        .e(0, 2, "B", Weak)
        .e(1, 3, "C", Weak)
        .e(2, 3, "D", Weak)
        .goal(&[1]);
    let r = run1(&m, &[Prop::eventually("ev", goal)]);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(t.loop_start, None, "a deadlock, not a lasso");
    assert_eq!(states_of(t), vec![0, 2, 3]);
    validate(&m, t);

    m.sr_props = vec![Property::eventually("ev", goal)];
    let checker = m.checker().spawn_bfs().join();
    assert_eq!(checker.unique_state_count(), 4);
    assert!(checker.discovery("ev").is_none());
}

fn counter_model(go: Fairness) -> G {
    let mut m = G::new(&[0]).goal(&[3]).cat("Go", "weak fairness of going");
    for n in 0..3 {
        m = m.e(n, n, "Stay", Unfair).e(n, n + 1, "Go", go);
    }
    m.e(3, 3, "Stay", Unfair)
}

#[test]
fn live_only_under_weak_fairness() {
    let r = run1(&counter_model(Weak), &[Prop::eventually("ev", goal)]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
    assert_eq!(r.properties[0].assumptions, vec!["weak fairness of going"]);

    let m = counter_model(Unfair);
    let r = run1(&m, &[Prop::eventually("ev", goal)]);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(states_of(t), vec![0, 0]);
    assert_eq!(t.loop_start, Some(0));
    assert_eq!(t.steps[1].0, Some(Act("Stay", 0)));
    validate(&m, t);
}

fn zeno_model(tick: Fairness) -> G {
    // Instant 0: a message bounces between 0 and 1 forever (Redeliver);
    // Tick moves time on to instant 1 (state 2, the goal).
    G::new(&[0])
        .e(0, 1, "Redeliver", Unfair)
        .e(1, 0, "Redeliver", Unfair)
        .e(0, 2, "Tick", tick)
        .e(1, 2, "Tick", tick)
        .e(2, 2, "Tick", tick)
        .goal(&[2])
        .cat("Tick", "weak fairness of time")
}

#[test]
fn zeno_loop_excluded_by_weak_fairness_of_time() {
    let r = run1(&zeno_model(Weak), &[Prop::eventually("ev", goal)]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
    assert_eq!(r.properties[0].assumptions, vec!["weak fairness of time"]);

    let m = zeno_model(Unfair);
    let r = run1(&m, &[Prop::eventually("ev", goal)]);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(states_of(t), vec![0, 1, 0]);
    assert_eq!(t.loop_start, Some(0));
    assert!(pr.assumptions.is_empty());
    validate(&m, t);
}

fn intermittent_model(deliver: Fairness) -> G {
    // Deliver is enabled in 0 but not in 1; the loop 0 <-> 1 is unfair only
    // under strong fairness of Deliver.
    G::new(&[0])
        .e(0, 1, "Step", Unfair)
        .e(1, 0, "Step", Unfair)
        .e(0, 2, "Deliver", deliver)
        .goal(&[2])
        .cat("Deliver", "fairness of delivery")
}

#[test]
fn intermittently_enabled_needs_strong_fairness() {
    let m = intermittent_model(Weak);
    let r = run1(&m, &[Prop::eventually("ev", goal)]);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(states_of(t), vec![0, 1, 0]);
    assert_eq!(pr.assumptions, vec!["fairness of delivery"]);
    validate(&m, t);

    let r = run1(&intermittent_model(Strong), &[Prop::eventually("ev", goal)]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
    assert_eq!(r.properties[0].assumptions, vec!["fairness of delivery"]);
}

#[test]
fn strong_refinement_keeps_fair_subcycle() {
    // SCC {0,1,2}; strong Deliver enabled only in 0 and never taken: remove 0,
    // the rest {1,2} still has the fair cycle 1 <-> 2.
    let m = G::new(&[0])
        .e(0, 1, "Step", Unfair)
        .e(1, 0, "Step", Unfair)
        .e(1, 2, "Step", Unfair)
        .e(2, 1, "Step", Unfair)
        .e(0, 3, "Deliver", Strong)
        .goal(&[3]);
    let r = run1(&m, &[Prop::eventually("ev", goal)]);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(states_of(t), vec![0, 1, 2, 1]);
    assert_eq!(t.loop_start, Some(1));
    validate(&m, t);
}

#[test]
fn weak_loop_visits_a_disabling_state() {
    // Big loop 0 -> 1 -> 2 -> 0 plus a shortcut self-loop at 0; weak W is
    // enabled in 0 and 1 only. The fair loop must pass through 2.
    let m = G::new(&[0])
        .e(0, 0, "Spin", Unfair)
        .e(0, 1, "Step", Unfair)
        .e(1, 2, "Step", Unfair)
        .e(2, 0, "Step", Unfair)
        .e(0, 9, "W", Weak)
        .e(1, 9, "W", Weak)
        .goal(&[9]);
    let r = run1(&m, &[Prop::eventually("ev", goal)]);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert!(states_of(t).contains(&2), "{t:?}");
    validate(&m, t);
}

fn ring(extra: bool) -> G {
    let mut m = G::new(&[0])
        .e(0, 1, "A", Weak)
        .e(1, 2, "B", Weak)
        .e(2, 3, "C", Weak)
        .e(3, 0, "D", Weak)
        .pq(&[1], &[3]);
    if extra {
        m = m.e(2, 4, "E", Weak).e(4, 4, "F", Weak);
    }
    m
}

#[test]
fn leads_to_holds_and_fails() {
    let r = run1(&ring(false), &[Prop::leads_to("p~>q", p, q)]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
    assert_eq!(r.properties[0].kind, Kind::LeadsTo);

    let m = ring(true);
    let r = run1(&m, &[Prop::leads_to("p~>q", p, q)]);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(states_of(t), vec![0, 1, 2, 4, 4]);
    assert_eq!(t.loop_start, Some(3));
    validate(&m, t);

    assert!(!pr.vacuous);

    // p unreachable: holds vacuously; p and q together: holds.
    let m = ring(true).pq(&[7], &[]);
    let r = run1(&m, &[Prop::leads_to("x", p, q)]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
    assert!(r.properties[0].vacuous);
    let m = ring(true).pq(&[4], &[4]);
    let r = run1(&m, &[Prop::leads_to("x", p, q)]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
    assert!(!r.properties[0].vacuous);
}

#[test]
fn deadlock_violates_eventually() {
    let m = G::new(&[0]).e(0, 1, "A", Weak).goal(&[5]);
    let r = run1(&m, &[Prop::eventually("ev", goal)]);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(t.loop_start, None);
    assert_eq!(states_of(t), vec![0, 1]);
    validate(&m, t);
    // A goal initial state satisfies it at once.
    let m = G::new(&[0]).e(0, 1, "A", Weak).goal(&[0]);
    let r = run1(&m, &[Prop::eventually("ev", goal)]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
}

fn is_two(_: &G, s: &u32) -> bool {
    *s == 2
}

#[test]
fn safety_and_sometimes_basics() {
    let m = G::new(&[0])
        .e(0, 1, "A", Unfair)
        .e(1, 2, "B", Unfair)
        .e(0, 3, "C", Unfair)
        .e(3, 2, "D", Unfair)
        .e(2, 4, "X", Unfair)
        .e(2, 4, "Y", Unfair);
    let props = [
        Prop::<G>::always("not2", |m, s| !is_two(m, s)),
        Prop::<G>::always("small", |_, s| *s < 10),
        Prop::<G>::sometimes("three", |_, s| *s == 3),
        Prop::<G>::sometimes("seven", |_, s| *s == 7),
        Prop::<G>::sometimes_step("via D", |_, _, a, _| a.0 == "D"),
        Prop::<G>::sometimes_step("via Y", |_, _, a, _| a.0 == "Y"),
        Prop::<G>::sometimes_step("never", |_, a, _, b| a == b),
    ];
    let r = run1(&m, &props);
    assert!(r.complete);
    assert_eq!(r.unique_states, 5);
    assert_eq!(r.states, 6);
    assert_eq!(r.edges, 5, "X and Y to 4 (same class) are one edge");
    assert_eq!(r.max_depth, 3);
    let v: Vec<Verdict> = r.properties.iter().map(|p| p.verdict).collect();
    use Verdict::*;
    assert_eq!(
        v,
        vec![Violated, Holds, Found, NotFound, Found, Found, NotFound]
    );
    let kinds: Vec<Kind> = r.properties.iter().map(|p| p.kind).collect();
    assert_eq!(kinds[0], Kind::Always);
    assert_eq!(kinds[4], Kind::Sometimes);
    let tr = |i: usize| r.properties[i].trace.as_ref().unwrap();
    assert_eq!(states_of(tr(0)), vec![0, 1, 2], "shallowest, first in BFS");
    assert_eq!(states_of(tr(2)), vec![0, 3]);
    let t = tr(4);
    assert_eq!(states_of(t), vec![0, 3, 2]);
    assert_eq!(t.steps.last().unwrap().0, Some(Act("D", 2)));
    // Same target as X, but the step must be the Y one.
    let t = tr(5);
    assert_eq!(states_of(t), vec![0, 1, 2, 4]);
    assert_eq!(t.steps.last().unwrap().0, Some(Act("Y", 4)));
    for i in [0, 2, 4, 5] {
        validate(&m, tr(i));
        assert_eq!(tr(i).loop_start, None);
    }
    assert!(r.properties[1].trace.is_none());
    assert!(r.properties[3].trace.is_none());
}

// ---------------------------------------------------------------------------
// A chain 0 -> 1 -> ... -> n-1 -> back_to.

#[derive(Clone)]
struct Chain {
    n: u32,
    back_to: u32,
}

impl Model for Chain {
    type State = u32;
    type Action = ();
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, _: &u32, out: &mut Vec<()>) {
        out.push(());
    }
    fn next_state(&self, s: &u32, _: ()) -> Option<u32> {
        Some(if *s + 1 >= self.n {
            self.back_to
        } else {
            s + 1
        })
    }
}

impl FairModel for Chain {
    fn fairness(&self, _: &u32, _: &()) -> (u64, Fairness) {
        (1, Weak)
    }
}

#[test]
fn max_states_cut() {
    let m = Chain { n: 100, back_to: 0 };
    let props = [
        Prop::always("not5", |_, s| *s != 5),
        Prop::always("small", |_, s| *s < 1000),
        Prop::eventually("ev", |_, s| *s == 99),
        Prop::leads_to("lt", |_, s| *s == 1, |_, s| *s == 99),
        Prop::sometimes("s80", |_, s| *s == 80),
        Prop::sometimes("s49", |_, s| *s == 49),
    ];
    let opts = Options {
        max_states: Some(50),
        ..Options::default()
    };
    let r = run(&m, &props, &opts);
    assert!(!r.complete);
    assert_eq!(r.unique_states, 50);
    use Verdict::*;
    let v: Vec<Verdict> = r.properties.iter().map(|p| p.verdict).collect();
    assert_eq!(v, vec![Violated, Unknown, Unknown, Unknown, Unknown, Found]);
    let t = r.properties[0].trace.as_ref().unwrap();
    assert_eq!(states_of(t), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(states_of(r.properties[5].trace.as_ref().unwrap()).len(), 50);

    // Discovered but unexpanded states are still checked by safety props.
    let mut w = G::new(&[0]);
    for i in 1..=10 {
        w = w.e(0, i, "A", Unfair);
    }
    let opts = Options {
        max_states: Some(5),
        ..Options::default()
    };
    let r = run(&w, &[Prop::always("not4", |_, s| *s != 4)], &opts);
    assert!(!r.complete);
    assert_eq!(r.unique_states, 5);
    assert_eq!(r.properties[0].verdict, Violated);
    assert_eq!(
        states_of(r.properties[0].trace.as_ref().unwrap()),
        vec![0, 4]
    );
}

#[test]
fn long_chain_no_stack_overflow() {
    let n = 2_000_000;
    let m = Chain { n, back_to: n - 10 };
    let calls = AtomicUsize::new(0);
    let cb = |_: Progress| {
        calls.fetch_add(1, Ordering::Relaxed);
    };
    let opts = Options {
        threads: 2,
        progress: Some(&cb),
        ..Options::default()
    };
    let props = [
        Prop::eventually("never", |_, s| *s == u32::MAX),
        Prop::always("bounded", |_, s| *s < 2_000_000),
        Prop::leads_to("lt", |_, s| *s == 3, |_, s| *s == 1_999_995),
    ];
    let r = run(&m, &props, &opts);
    assert!(r.complete);
    assert_eq!(r.unique_states, n as u64);
    assert_eq!(r.max_depth, n - 1);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().unwrap();
    assert_eq!(t.steps.len(), n as usize + 1);
    assert_eq!(t.loop_start, Some((n - 10) as usize));
    assert_eq!(t.steps.last().unwrap().1, n - 10);
    validate(&m, t);
    assert_eq!(r.properties[1].verdict, Verdict::Holds);
    assert_eq!(r.properties[2].verdict, Verdict::Holds);
}

// ---------------------------------------------------------------------------
// Counters with wraparound, for determinism and the stateright comparison.
// BFS levels are thousands of states wide, so batches are split among
// threads.

const W: u8 = 80;
const H: u8 = 70;
const D: u8 = 60;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum CAct {
    IncA,
    IncB,
    IncC,
    Jump,
    Nop,
}

type C3 = (u8, u8, u8);

// The engine's test models keep their states packed by postcard.
crate::pack_by_postcard!(u32, C3);

#[derive(Clone)]
struct Counters;

impl Model for Counters {
    type State = C3;
    type Action = CAct;
    fn init_states(&self) -> Vec<C3> {
        vec![(0, 0, 0)]
    }
    fn actions(&self, _: &C3, out: &mut Vec<CAct>) {
        out.extend([CAct::IncA, CAct::IncB, CAct::IncC, CAct::Jump, CAct::Nop]);
    }
    fn next_state(&self, &(a, b, c): &C3, act: CAct) -> Option<C3> {
        let (a16, b16) = (a as u16, b as u16);
        match act {
            CAct::IncA => Some(((a + 1) % W, b, c)),
            CAct::IncB => Some((a, (b + 1) % H, c)),
            CAct::IncC => Some((a, b, (c + 1) % D)),
            CAct::Jump if a % 7 == 3 => Some((
                ((a16 * 3 + b16) % W as u16) as u8,
                ((b16 + 11) % H as u16) as u8,
                c,
            )),
            CAct::Jump => None,
            CAct::Nop => Some((a, b, c)),
        }
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("true", |_, _| true)]
    }
}

impl FairModel for Counters {
    fn fairness(&self, _: &C3, a: &CAct) -> (u64, Fairness) {
        match a {
            CAct::IncA => (1, Weak),
            CAct::IncB => (2, Strong),
            CAct::IncC => (5, Weak),
            CAct::Jump => (3, Weak),
            CAct::Nop => (4, Unfair),
        }
    }
    fn fairness_category(&self, key: u64) -> &'static str {
        match key {
            1 => "weak a",
            2 => "strong b",
            _ => "",
        }
    }
}

const CORNER: C3 = (W - 1, H - 1, D - 1);

fn counter_props() -> Vec<Prop<Counters>> {
    vec![
        Prop::<Counters>::always("sum", |_, s| (s.0 as u32 + s.1 as u32 + s.2 as u32) < 1000),
        Prop::<Counters>::always("not mid", |_, s| *s != (40, 35, 30)),
        Prop::<Counters>::sometimes("corner", |_, s| *s == CORNER),
        Prop::<Counters>::sometimes_step("b wraps", |_, p, _, n| p.1 == H - 1 && n.1 == 0),
        Prop::<Counters>::eventually("corner ev", |_, s| *s == CORNER),
        Prop::<Counters>::leads_to("a10 ~> b0", |_, s| s.0 == 10, |_, s| s.1 == 0),
        // From a = 5 only IncA leaves a = 5 (to 6): holds by weak fairness.
        Prop::<Counters>::leads_to("a5 ~> a6", |_, s| s.0 == 5, |_, s| s.0 == 6),
        Prop::<Counters>::leads_to("any ~> a0", |_, _| true, |_, s| s.0 == 0),
    ]
}

fn canonical<M: Model>(r: &RunResult<M>) -> String
where
    M::State: Debug,
    M::Action: Debug,
{
    format!(
        "{} {} {} {} {} {} {:?}",
        r.complete, r.states, r.unique_states, r.edges, r.max_depth, r.graph_bytes, r.properties
    )
}

#[test]
fn deterministic_across_threads_and_runs() {
    let props = counter_props();
    let mut outs = Vec::new();
    for threads in [1, 2, 1, 2, 3] {
        let opts = Options {
            threads,
            ..Options::default()
        };
        outs.push(canonical(&run(&Counters, &props, &opts)));
    }
    for o in &outs[1..] {
        assert_eq!(o, &outs[0]);
    }
    let r = run(&Counters, &props, &Options::default());
    let n = W as u64 * H as u64 * D as u64;
    assert_eq!(r.unique_states, n);
    // IncA, IncB, IncC, Nop everywhere; Jump where a % 7 == 3 (11 values of a).
    assert_eq!(r.states, n * 4 + 11 * H as u64 * D as u64);
    use Verdict::*;
    let v: Vec<Verdict> = r.properties.iter().map(|p| p.verdict).collect();
    assert_eq!(
        v,
        vec![Holds, Violated, Found, Found, Violated, Violated, Holds, Violated]
    );
    let goals: [Option<StateFn<Counters>>; 8] = [
        None,
        None,
        None,
        None,
        Some(|_, s| *s == CORNER),
        Some(|_, s| s.1 == 0),
        None,
        Some(|_, s| s.0 == 0),
    ];
    for (pr, q) in r.properties.iter().zip(goals) {
        let Some(t) = &pr.trace else { continue };
        validate(&Counters, t);
        if let (Some(q), Some(ls)) = (q, t.loop_start) {
            assert!(t.steps[ls..].iter().all(|(_, s)| !q(&Counters, s)));
        }
    }
    assert_eq!(r.properties[4].assumptions, vec!["strong b", "weak a"]);
    assert_eq!(r.properties[6].assumptions, vec!["weak a"]);

    // A cut in the middle of a wide level is deterministic too.
    let cut: Vec<String> = [1, 2]
        .iter()
        .map(|&threads| {
            let opts = Options {
                threads,
                max_states: Some(100_000),
                ..Options::default()
            };
            let r = run(&Counters, &props, &opts);
            assert!(!r.complete);
            assert_eq!(r.unique_states, 100_000);
            canonical(&r)
        })
        .collect();
    assert_eq!(cut[0], cut[1]);

    let checker = Counters.checker().spawn_bfs().join();
    assert_eq!(checker.unique_state_count() as u64, r.unique_states);
}

#[test]
fn timeout_gives_unknown() {
    let opts = Options {
        timeout: Some(Duration::ZERO),
        ..Options::default()
    };
    let r = run(&Counters, &counter_props(), &opts);
    assert!(!r.complete);
    assert!(r.unique_states < W as u64 * H as u64 * D as u64);
    assert_eq!(r.properties[0].verdict, Verdict::Unknown);
    assert_eq!(r.properties[4].verdict, Verdict::Unknown);
}

#[test]
fn a_stop_request_cuts_the_run_at_a_batch_boundary() {
    let polls = AtomicUsize::new(0);
    let stop = || polls.fetch_add(1, Ordering::Relaxed) >= 2;
    let opts = Options {
        threads: 2,
        stop: Some(&stop),
        ..Options::default()
    };
    let r = run(&Counters, &counter_props(), &opts);
    assert!(!r.complete);
    assert_eq!(polls.load(Ordering::Relaxed), 3);
    assert!(r.unique_states < W as u64 * H as u64 * D as u64);
    assert_eq!(r.properties[0].verdict, Verdict::Unknown);
    assert_eq!(r.properties[4].verdict, Verdict::Unknown);
}

/// The liveness phase is bounded too: when the memory bound cannot admit its
/// workspace, the run stops there, incomplete, with every safety verdict decided and
/// every liveness verdict unknown; when it can, the verdicts are those of a free run.
#[test]
fn the_liveness_phase_stops_when_its_workspace_is_not_admitted() {
    let asked = AtomicUsize::new(0);
    let refuse = |bytes: u64| {
        assert!(
            bytes >= W as u64 * H as u64 * D as u64 * 16,
            "{bytes} bytes"
        );
        asked.fetch_add(1, Ordering::Relaxed);
        false
    };
    let opts = Options {
        admit: Some(&refuse),
        ..Options::default()
    };
    let r = run(&Counters, &counter_props(), &opts);
    assert!(!r.complete);
    assert_eq!(asked.load(Ordering::Relaxed), 1, "asked once, then stopped");
    assert_eq!(r.unique_states, W as u64 * H as u64 * D as u64);
    use Verdict::*;
    let v: Vec<Verdict> = r.properties.iter().map(|p| p.verdict).collect();
    assert_eq!(&v[..4], &[Holds, Violated, Found, Found]);
    assert!(v[4..].iter().all(|x| *x == Unknown), "{v:?}");

    let admit = |_: u64| true;
    let opts = Options {
        admit: Some(&admit),
        ..Options::default()
    };
    let free = run(&Counters, &counter_props(), &Options::default());
    let r = run(&Counters, &counter_props(), &opts);
    assert!(r.complete);
    assert_eq!(canonical(&r), canonical(&free));
}

// ---------------------------------------------------------------------------
// Random small graphs against a brute-force fair-cycle search.

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn random_graph(rng: &mut Lcg, n: u32) -> G {
    const LABELS: [&str; 4] = ["a", "b", "c", "d"];
    const KINDS: [Fairness; 3] = [Unfair, Weak, Strong];
    let mut m = G::new(&[0]);
    if rng.next(4) == 0 {
        m.inits.push(1 + rng.next(n as u64 - 1) as u32);
    }
    for s in 0..n {
        for _ in 0..rng.next(4) {
            let to = rng.next(n as u64) as u32;
            let l = LABELS[rng.next(4) as usize];
            let k = KINDS[rng.next(3) as usize];
            if !m.edges.iter().any(|e| e.0 == s && e.1 == to && e.2 == l) {
                m = m.e(s, to, l, k);
            }
        }
    }
    for s in 0..n {
        if rng.next(4) == 0 {
            m.goal.push(s);
        }
        if rng.next(3) == 0 {
            m.p.push(s);
        }
        if rng.next(4) == 0 {
            m.q.push(s);
        }
    }
    m
}

/// Brute force: is there, from the starts through `bad` states, a deadlock
/// or a set S of bad states, strongly connected by its internal edges, whose
/// internal edges satisfy every fairness constraint?
fn brute_violated(m: &G, starts: &[u32], bad: &dyn Fn(u32) -> bool) -> bool {
    let mut reach: Vec<u32> = starts.iter().copied().filter(|&s| bad(s)).collect();
    reach.sort();
    reach.dedup();
    let mut i = 0;
    while i < reach.len() {
        let v = reach[i];
        i += 1;
        for e in m.edges.iter().filter(|e| e.0 == v) {
            if bad(e.1) && !reach.contains(&e.1) {
                reach.push(e.1);
            }
        }
    }
    if reach.iter().any(|&v| !m.edges.iter().any(|e| e.0 == v)) {
        return true;
    }
    let k = reach.len();
    for mask in 1u32..(1 << k) {
        let set: Vec<u32> = (0..k)
            .filter(|b| mask >> b & 1 == 1)
            .map(|b| reach[b])
            .collect();
        let internal: Vec<_> = m
            .edges
            .iter()
            .filter(|e| set.contains(&e.0) && set.contains(&e.1))
            .collect();
        if internal.is_empty() {
            continue;
        }
        // Strongly connected: everything reachable from and to set[0].
        let reach_from = |fwd: bool| {
            let mut seen = vec![set[0]];
            let mut j = 0;
            while j < seen.len() {
                let v = seen[j];
                j += 1;
                for e in &internal {
                    let (a, b) = if fwd { (e.0, e.1) } else { (e.1, e.0) };
                    if a == v && !seen.contains(&b) {
                        seen.push(b);
                    }
                }
            }
            seen.len() == set.len()
        };
        if !reach_from(true) || !reach_from(false) {
            continue;
        }
        let enabled =
            |s: u32, c: (&str, Fairness)| m.edges.iter().any(|e| e.0 == s && (e.2, e.3) == c);
        let taken = |c: (&str, Fairness)| internal.iter().any(|e| (e.2, e.3) == c);
        let fair = m.edges.iter().all(|e| {
            let c = (e.2, e.3);
            match e.3 {
                Weak => !set.iter().all(|&s| enabled(s, c)) || taken(c),
                Strong => !set.iter().any(|&s| enabled(s, c)) || taken(c),
                Unfair => true,
            }
        });
        if fair {
            return true;
        }
    }
    false
}

#[test]
fn random_graphs_match_brute_force() {
    let mut rng = Lcg(12345);
    let mut counts = [0usize; 2];
    for round in 0..20000 {
        let n = 2 + rng.next(10) as u32;
        let m = random_graph(&mut rng, n);
        let props = [Prop::eventually("ev", goal), Prop::leads_to("lt", p, q)];
        let r = run1(&m, &props);
        assert!(r.complete);
        // Reachable states, for the leads-to starts.
        let mut reach = m.inits.clone();
        let mut i = 0;
        while i < reach.len() {
            let v = reach[i];
            i += 1;
            for e in m.edges.iter().filter(|e| e.0 == v) {
                if !reach.contains(&e.1) {
                    reach.push(e.1);
                }
            }
        }
        let lt_starts: Vec<u32> = reach.iter().copied().filter(|s| m.p.contains(s)).collect();
        let expect = [
            brute_violated(&m, &m.inits, &|s| !m.goal.contains(&s)),
            brute_violated(&m, &lt_starts, &|s| !m.q.contains(&s)),
        ];
        for (k, pr) in r.properties.iter().enumerate() {
            let want = if expect[k] {
                Verdict::Violated
            } else {
                Verdict::Holds
            };
            assert_eq!(pr.verdict, want, "round {round} prop {k}: {:?}", m.edges);
            counts[expect[k] as usize] += 1;
            if let Some(t) = &pr.trace {
                validate(&m, t);
                let avoid = if k == 0 { &m.goal } else { &m.q };
                let ok = (0..t.steps.len()).any(|j| {
                    (k == 0 && j == 0 || k == 1 && m.p.contains(&t.steps[j].1))
                        && t.steps[j..].iter().all(|(_, s)| !avoid.contains(s))
                });
                assert!(ok, "round {round}: the trace leaves the bad set");
                if t.loop_start.is_none() {
                    let last = t.steps.last().unwrap().1;
                    assert!(!m.edges.iter().any(|e| e.0 == last), "ends in a deadlock");
                }
            }
        }
    }
    assert!(counts[0] > 500 && counts[1] > 500, "{counts:?}");
}

/// Counters whose `next_state` panics at one state deep in a wide level.
struct Panicky;

impl Model for Panicky {
    type State = C3;
    type Action = CAct;
    fn init_states(&self) -> Vec<C3> {
        Counters.init_states()
    }
    fn actions(&self, s: &C3, out: &mut Vec<CAct>) {
        Counters.actions(s, out)
    }
    fn next_state(&self, s: &C3, a: CAct) -> Option<C3> {
        assert!(*s != (40, 35, 30), "model bug");
        Counters.next_state(s, a)
    }
}

impl FairModel for Panicky {
    fn fairness(&self, s: &C3, a: &CAct) -> (u64, Fairness) {
        Counters.fairness(s, a)
    }
}

#[test]
#[should_panic(expected = "model bug")]
fn model_panic_propagates_from_worker_threads() {
    let opts = Options {
        threads: 2,
        ..Options::default()
    };
    run(&Panicky, &[], &opts);
}

#[test]
fn empty_model_and_zero_budget() {
    let props = [
        Prop::<G>::always("a", |_, _| false),
        Prop::<G>::sometimes("s", |_, _| true),
        Prop::<G>::eventually("e", goal),
    ];
    let r = run1(&G::new(&[]), &props);
    assert!(r.complete);
    assert_eq!(r.unique_states, 0);
    let v: Vec<Verdict> = r.properties.iter().map(|p| p.verdict).collect();
    assert_eq!(v, vec![Verdict::Holds, Verdict::NotFound, Verdict::Holds]);

    let m = G::new(&[0]).e(0, 0, "A", Weak);
    let opts = Options {
        max_states: Some(0),
        ..Options::default()
    };
    let r = run(&m, &props, &opts);
    assert!(!r.complete);
    assert_eq!(r.unique_states, 0);
    assert!(r.properties.iter().all(|p| p.verdict == Verdict::Unknown));
}

/// "if p then q" as an always-property: the antecedent is p.
fn p_implies_q(m: &G, s: &u32) -> bool {
    !p(m, s) || q(m, s)
}

#[test]
fn an_always_implication_holds_vacuously_when_its_antecedent_is_unreachable() {
    let ring = |pq: (&[u32], &[u32])| ring(false).pq(pq.0, pq.1);
    let prop = || Prop::always_if("p => q", "p", p, p_implies_q);
    // p is reached (and q with it): holds, not vacuously.
    let r = run1(&ring((&[1], &[1])), &[prop()]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
    assert!(!r.properties[0].vacuous);
    // p never holds: holds vacuously.
    let r = run1(&ring((&[7], &[])), &[prop()]);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
    assert!(r.properties[0].vacuous);
    // p without q: violated, and a violation is never vacuous.
    let r = run1(
        &ring((&[2], &[])),
        &[prop(), Prop::always("plain", p_implies_q)],
    );
    assert_eq!(r.properties[0].verdict, Verdict::Violated);
    assert!(!r.properties[0].vacuous);
    // Without a named antecedent there is nothing to be vacuous about; the antecedent's
    // search does not disturb the other properties' slots.
    let r = run1(
        &ring((&[7], &[])),
        &[
            Prop::always("plain", p_implies_q),
            prop(),
            Prop::sometimes("two", is_two),
        ],
    );
    assert!(!r.properties[0].vacuous);
    assert!(r.properties[1].vacuous);
    assert_eq!(r.properties[2].verdict, Verdict::Found);
    // A cut run decides nothing, vacuity included.
    let opts = Options {
        max_states: Some(2),
        ..Options::default()
    };
    let r = run(&ring((&[7], &[])), &[prop()], &opts);
    assert_eq!(r.properties[0].verdict, Verdict::Unknown);
    assert!(!r.properties[0].vacuous);
}

// ---------------------------------------------------------------------------
// The surface of engine.rs itself: the trait's defaults, coverage, Debug and
// look-up by name (each found by mutation testing, see mutants/README.md).

#[test]
fn fair_model_defaults_label_a_class_by_its_key_and_name_no_kinds() {
    let m = Chain { n: 3, back_to: 0 };
    assert_eq!(m.fairness_label(42), "42");
    assert_eq!(m.fairness_category(42), "");
    assert!(m.action_kinds().is_empty());
    assert_eq!(m.action_kind(&0, &()), usize::MAX);
}

/// Names two kinds of action but classifies none of its actions.
struct NamedKinds(Chain);

impl Model for NamedKinds {
    type State = u32;
    type Action = ();
    fn init_states(&self) -> Vec<u32> {
        self.0.init_states()
    }
    fn actions(&self, s: &u32, out: &mut Vec<()>) {
        self.0.actions(s, out)
    }
    fn next_state(&self, s: &u32, a: ()) -> Option<u32> {
        self.0.next_state(s, a)
    }
}

impl FairModel for NamedKinds {
    fn fairness(&self, s: &u32, a: &()) -> (u64, Fairness) {
        self.0.fairness(s, a)
    }
    fn action_kinds(&self) -> Vec<String> {
        vec!["step".into(), "jump".into()]
    }
}

#[test]
fn coverage_has_one_count_per_declared_kind_then_one_for_the_undeclared() {
    // The ring 0 -> 1 -> 2 -> 3 -> 0: four transitions, three of them to new states.
    let all = KindCount {
        transitions: 4,
        new_states: 3,
        first_depth: Some(0),
    };
    let opts = Options {
        coverage: true,
        ..Options::default()
    };
    let chain = Chain { n: 4, back_to: 0 };
    assert_eq!(run(&chain, &[], &opts).coverage, Some(vec![all]));
    assert_eq!(run(&chain, &[], &Options::default()).coverage, None);
    // Kinds declared, none given: every action is of no declared kind.
    let named = NamedKinds(Chain { n: 4, back_to: 0 });
    assert_eq!(
        run(&named, &[], &opts).coverage,
        Some(vec![KindCount::default(), KindCount::default(), all])
    );
}

#[test]
fn debug_output_shows_the_fields() {
    assert_eq!(
        format!("{:?}", Prop::<G>::always("a", goal)),
        r#"Always("a")"#
    );
    assert_eq!(
        format!("{:?}", Prop::<G>::leads_to("lt", p, q)),
        r#"LeadsTo("lt")"#
    );
    assert_eq!(
        format!("{:?}", Options::default()),
        "Options { threads: 1, max_states: None, timeout: None, progress: false, \
         stop: false, admit: false, coverage: false }"
    );
    let m = G::new(&[0]).e(0, 1, "A", Weak);
    let props = [Prop::<G>::always("not 1", |_, s| *s != 1)];
    let r = run1(&m, &props);
    let one = "PropertyResult { name: \"not 1\", kind: Always, verdict: Violated, \
               trace: Some(Trace { steps: [(None, 0), (Some(Act(\"A\", 1)), 1)], \
               loop_start: None }), assumptions: [] }";
    assert_eq!(format!("{:?}", r.properties[0]), one);
    assert_eq!(format!("{:?}", r.properties[0].clone()), one);
    let all = format!("{r:?}");
    assert!(
        all.starts_with(
            "RunResult { complete: true, states: 1, unique_states: 2, edges: 1, max_depth: 1, seconds: "
        ),
        "{all}"
    );
    assert!(all.ends_with(&format!("properties: [{one}] }}")), "{all}");
}

#[test]
fn a_property_is_found_by_its_name() {
    let m = G::new(&[0]).e(0, 1, "A", Weak);
    let props = [
        Prop::<G>::always("first", |_, _| true),
        Prop::<G>::sometimes("second", |_, s| *s == 1),
    ];
    let r = run1(&m, &props);
    assert_eq!(
        r.property("second").map(|p| p.verdict),
        Some(Verdict::Found)
    );
    assert_eq!(r.property("first").map(|p| p.verdict), Some(Verdict::Holds));
    assert!(r.property("third").is_none());
}

// ---------------------------------------------------------------------------
// Fingerprints: distinct values get distinct fingerprints, and one flipped input
// bit changes about half of the output bits (explore.rs: "nearby states get
// unrelated fingerprints").

/// Hashes its bytes with `Hasher::write` alone, without a length prefix.
struct Raw(&'static [u8]);

impl Hash for Raw {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write(self.0)
    }
}

#[test]
fn fingerprints_of_distinct_values_differ() {
    use explore::fingerprint as fp;
    use std::collections::HashSet;
    fn distinct(fps: impl Iterator<Item = u64>) -> bool {
        let mut seen = HashSet::new();
        fps.into_iter().all(|f| f != 0 && seen.insert(f))
    }
    assert!(distinct((0..=u8::MAX).map(|i| fp(&i))));
    assert!(distinct((0..=u16::MAX).map(|i| fp(&i))));
    assert!(distinct((0..70_000u32).map(|i| fp(&(i << 7)))));
    assert!(distinct((0..70_000u64).map(|i| fp(&(i << 40)))));
    assert!(distinct((0..70_000usize).map(|i| fp(&i))));
    // The bytes' length counts too: a trailing zero byte is not padding.
    let raw: [&'static [u8]; 8] = [
        b"",
        b"\0",
        b"ab",
        b"ab\0",
        b"ab\0\0",
        b"abcdefgh",
        b"abcdefgh\0",
        b"abcdefgh\0\0\0\0\0\0\0",
    ];
    assert!(distinct(raw.iter().map(|b| fp(&Raw(b)))));
}

#[test]
fn fingerprints_avalanche() {
    use explore::fingerprint as fp;
    const N: u32 = 512;
    let mut rng = Lcg(7);
    // flips[i][j]: how often flipping input bit i flipped output bit j.
    let mut flips = [[0u32; 64]; 64];
    for _ in 0..N {
        let x = (rng.next(1 << 31) << 33) ^ (rng.next(1 << 31) << 2) ^ rng.next(4);
        let f = fp(&x);
        for (i, row) in flips.iter_mut().enumerate() {
            let d = f ^ fp(&(x ^ (1 << i)));
            for (j, n) in row.iter_mut().enumerate() {
                *n += (d >> j) as u32 & 1;
            }
        }
    }
    // Each count is Binomial(512, 1/2): 256 with a standard deviation of 11.3.
    for (i, row) in flips.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            assert!(
                (N * 3 / 10..=N * 7 / 10).contains(&n),
                "input bit {i}, output bit {j}: {n} of {N}"
            );
        }
    }
}

#[test]
fn folded_multiply_spreads_each_bit_both_ways() {
    // A plain multiply moves a flipped input bit only upwards: the top bit of one
    // field could then cancel the top bit of another (explore.rs, FingerprintHasher).
    use explore::folded_multiply as fm;
    const FOLD: u64 = 0x9e37_79b9_7f4a_7c15;
    // From 0, bit k moves the product by exactly FOLD << k, whose high half is FOLD's
    // top k bits; from other values carries may leave a few bits at either end as they
    // were.
    for x in [0u64, 1, 0x0123_4567_89ab_cdef, u64::MAX] {
        for k in 1..64 {
            let d = fm(x, FOLD) ^ fm(x ^ (1 << k), FOLD);
            if x == 0 || k >= 16 {
                assert_ne!(
                    d & ((1 << k) - 1),
                    0,
                    "bit {k} of {x:#x} reaches no lower bit"
                );
            }
            if x == 0 || k <= 48 {
                assert_ne!(d >> k, 0, "bit {k} of {x:#x} reaches no higher bit");
            }
        }
    }
}

#[test]
fn fingerprints_do_not_cancel_top_bits_of_two_fields() {
    use explore::fingerprint as fp;
    const TOP: u64 = 1 << 63;
    let mut rng = Lcg(11);
    for _ in 0..64 {
        let w: [u64; 4] = std::array::from_fn(|_| (rng.next(1 << 31) << 32) ^ rng.next(1 << 31));
        let base = fp(&(w[0], w[1], w[2], w[3]));
        for (i, j) in [(0, 1), (1, 2), (2, 3), (0, 3)] {
            let mut v = w;
            v[i] ^= TOP;
            v[j] ^= TOP;
            assert_ne!(base, fp(&(v[0], v[1], v[2], v[3])), "fields {i} and {j}");
        }
    }
}

#[test]
fn no_lane_masks_another_when_they_are_folded() {
    // Every bit of every lane reaches the fingerprint, even when the other lanes are
    // all ones (an OR in place of an XOR would absorb it).
    use std::hash::Hasher;
    let finish = |lanes: [u64; 4]| explore::FingerprintHasher { lanes }.finish();
    for fill in [u64::MAX, 0, 0x5555_5555_5555_5555] {
        let base = finish([fill; 4]);
        for lane in 0..4 {
            for bit in 0..64 {
                let mut l = [fill; 4];
                l[lane] ^= 1 << bit;
                assert_ne!(finish(l), base, "lane {lane}, bit {bit}, others {fill:#x}");
            }
        }
    }
}

#[test]
fn repeated_initial_states_are_one_state() {
    let m = G::new(&[0, 1, 0, 1, 0]).e(0, 2, "A", Weak);
    let r = run1(&m, &[Prop::always("not 2", |_, s| *s != 2)]);
    assert_eq!((r.unique_states, r.edges, r.max_depth), (3, 1, 1));
    let t = r.properties[0].trace.as_ref().expect("a counterexample");
    assert_eq!(states_of(t), vec![0, 2]);
}

#[test]
fn graph_bytes_count_one_bit_per_state_for_each_liveness_predicate() {
    // 640 states: each liveness predicate adds a bitset of 10 words (80 bytes). A run
    // with one also keeps the edges (a safety-only run only counts them): 4 bytes per
    // CSR offset (641), per edge target (640) and per edge class (640).
    let m = Chain { n: 640, back_to: 0 };
    let bytes = |props: &[Prop<Chain>]| {
        let r = run1(&m, props);
        assert_eq!(r.unique_states, 640);
        r.graph_bytes
    };
    let none = bytes(&[]);
    assert!(none >= 640 * (8 + 4 + 4 + 4 + 4), "{none}");
    let one = bytes(&[Prop::eventually("ev", |_, s| *s == 99)]);
    let two = bytes(&[Prop::leads_to("lt", |_, s| *s == 1, |_, s| *s == 99)]);
    assert_eq!(two - one, 80);
    assert!(one - none >= 80 + (641 + 640 + 640) * 4, "{none} {one}");
}

/// `n` initial states, each with one step to a state of its own.
struct Wide {
    n: u32,
}

impl Model for Wide {
    type State = u32;
    type Action = ();
    fn init_states(&self) -> Vec<u32> {
        (0..self.n).collect()
    }
    fn actions(&self, s: &u32, out: &mut Vec<()>) {
        if *s < self.n {
            out.push(());
        }
    }
    fn next_state(&self, s: &u32, _: ()) -> Option<u32> {
        Some(s + self.n)
    }
}

impl FairModel for Wide {
    fn fairness(&self, _: &u32, _: &()) -> (u64, Fairness) {
        (1, Weak)
    }
}

#[test]
fn thousands_of_initial_states_fill_and_grow_the_table() {
    // More initial states than the fingerprint table's first 1024 slots hold.
    let n = 3000;
    let m = Wide { n };
    let r = run1(
        &m,
        &[
            Prop::always("below the last", |m, s| *s != 2 * m.n - 1),
            Prop::eventually("a second step", |m, s| *s >= m.n),
        ],
    );
    assert!(r.complete);
    assert_eq!((r.unique_states, r.edges, r.max_depth), (6000, 3000, 1));
    let t = r.properties[0].trace.as_ref().expect("a counterexample");
    assert_eq!(states_of(t), vec![n - 1, 2 * n - 1]);
    assert_eq!(r.properties[1].verdict, Verdict::Holds);
}

/// The capacity a `Vec` made with `first` then grown by pushing `then` ends with.
fn grown_capacity<T: Clone>(first: Vec<T>, then: &[T]) -> usize {
    let mut v = first;
    v.extend(then.iter().cloned());
    v.capacity()
}

#[test]
fn graph_bytes_are_the_sum_of_the_graphs_parts() {
    use std::mem::size_of;
    // Fingerprints (8 bytes) and parents (4 bytes) live in blocks of 65536 entries,
    // listed in a vector of boxed slices (16 bytes each).
    const BLOCK: u64 = 1 << 16;
    let list = grown_capacity::<Box<[u32]>>(Vec::new(), &[Box::new([])]) as u64 * 16;
    let one_block = BLOCK * (8 + 4) + 2 * list;
    // A safety-only run keeps no edges: the CSR is its first offset alone, and the
    // class interner holds only the unfair class 0. 640 states fill a table of 1024
    // slots (4 bytes each) to 5/8, under its bound of 3/4.
    let safety_only = |m: &Chain| {
        let r = run1(m, &[Prop::always("true", |_, _| true)]);
        (r.unique_states, r.graph_bytes)
    };
    let interner_of_class_0 = 8 + size_of::<Fairness>() as u64;
    assert_eq!(
        safety_only(&Chain { n: 640, back_to: 0 }),
        (640, 1024 * 4 + one_block + 4 + interner_of_class_0)
    );
    // 768 states fill 3/4 of 1024 slots; the table doubles for the 769th.
    assert_eq!(
        safety_only(&Chain { n: 768, back_to: 0 }).1,
        1024 * 4 + one_block + 4 + interner_of_class_0
    );
    assert_eq!(
        safety_only(&Chain { n: 769, back_to: 0 }).1,
        2048 * 4 + one_block + 4 + interner_of_class_0
    );
    // A cut run without liveness properties keeps no edges either.
    let opts = Options {
        max_states: Some(640),
        ..Options::default()
    };
    let cut = run(&Chain { n: 700, back_to: 0 }, &[], &opts);
    assert!(!cut.complete);
    assert_eq!(
        cut.graph_bytes,
        1024 * 4 + one_block + 4 + interner_of_class_0
    );
    // With a liveness property: 641 offsets, 640 targets and 640 class ids (4 bytes
    // each), the interner of classes 0 and 1 (a key of 8 bytes, a fairness, and a map
    // entry of 24 bytes), and the property's bitset of 10 words.
    let m = Chain { n: 640, back_to: 0 };
    let r = run1(&m, &[Prop::eventually("ev", |_, s| *s == 99)]);
    let keys = grown_capacity(vec![0u64], &[1]) as u64 * 8;
    let kinds = grown_capacity(vec![Fairness::Unfair], &[Weak]) as u64;
    let mut map = HashMapOf::default();
    map.insert((1, Weak), 1);
    let interner = keys + kinds + map.capacity() as u64 * 24;
    let csr = (641 + 640 + 640) * 4;
    assert_eq!(
        r.graph_bytes,
        1024 * 4 + one_block + csr + interner + 10 * 8
    );
    // Thousands of initial states: 6000 states in all need 8192 slots (at most 3/4
    // full), grown to while the initial states are inserted and after.
    let r = run1(&Wide { n: 3000 }, &[Prop::always("true", |_, _| true)]);
    assert_eq!(r.unique_states, 6000);
    assert_eq!(
        r.graph_bytes,
        8192 * 4 + one_block + 4 + interner_of_class_0
    );
}

type HashMapOf = std::collections::HashMap<(u64, Fairness), u32>;

/// A star: state 0 steps to each of `1..=n`, which have no steps.
struct Star {
    n: u32,
}

impl Model for Star {
    type State = u32;
    type Action = u32;
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, s: &u32, out: &mut Vec<u32>) {
        if *s == 0 {
            out.extend(1..=self.n);
        }
    }
    fn next_state(&self, _: &u32, a: u32) -> Option<u32> {
        Some(a)
    }
}

impl FairModel for Star {
    fn fairness(&self, _: &u32, _: &u32) -> (u64, Fairness) {
        (0, Unfair)
    }
}

#[test]
fn a_cut_run_checks_every_discovered_state_in_order() {
    // Cut at 1500 states: 0 is expanded, 1..=1499 are discovered but not expanded.
    // They are checked all the same, 512 at a time: the first violation in index
    // order is reported, however deep in the level it lies.
    let m = Star { n: 3000 };
    let opts = Options {
        max_states: Some(1500),
        ..Options::default()
    };
    let props = [
        Prop::always("below 1200", |_, s| *s < 1200),
        Prop::sometimes("1499", |_, s| *s == 1499),
        Prop::sometimes("1500", |_, s| *s == 1500),
    ];
    let r = run(&m, &props, &opts);
    assert!(!r.complete);
    assert_eq!(r.unique_states, 1500);
    let v: Vec<Verdict> = r.properties.iter().map(|p| p.verdict).collect();
    assert_eq!(v, [Verdict::Violated, Verdict::Found, Verdict::Unknown]);
    let trace = |i: usize| states_of(r.properties[i].trace.as_ref().unwrap());
    assert_eq!(trace(0), [0, 1200]);
    assert_eq!(trace(1), [0, 1499]);
}

#[test]
fn a_cut_run_reports_the_state_of_a_later_batch_by_its_own_index() {
    // 44,999 discovered states wait unexpanded: they are checked in three batches,
    // and a violation in the second is reported with its own state.
    let m = Star { n: 50_000 };
    let opts = Options {
        max_states: Some(45_000),
        ..Options::default()
    };
    let props = [
        Prop::always("below 30000", |_, s| *s < 30_000),
        Prop::sometimes("44999", |_, s| *s == 44_999),
    ];
    let r = run(&m, &props, &opts);
    assert!(!r.complete);
    assert_eq!(r.unique_states, 45_000);
    let trace = |i: usize| states_of(r.properties[i].trace.as_ref().unwrap());
    assert_eq!(trace(0), [0, 30_000]);
    assert_eq!(trace(1), [0, 44_999]);
}

/// 0 fans out to `1..=n`. Narrow: each `k` of those steps to `100_000 + k`. Wide:
/// 1 alone fans out again, to `n + 1..=2n`.
struct TwoLevels {
    n: u32,
    wide: bool,
}

impl Model for TwoLevels {
    type State = u32;
    type Action = u32;
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, s: &u32, out: &mut Vec<u32>) {
        match *s {
            0 => out.extend(1..=self.n),
            1 if self.wide => out.extend(self.n + 1..=2 * self.n),
            k if k <= self.n && !self.wide => out.push(100_000 + k),
            _ => {}
        }
    }
    fn next_state(&self, _: &u32, a: u32) -> Option<u32> {
        Some(a)
    }
}

impl FairModel for TwoLevels {
    fn fairness(&self, _: &u32, _: &u32) -> (u64, Fairness) {
        (0, Unfair)
    }
}

#[test]
fn a_run_cut_inside_a_level_checks_the_rest_of_that_level_first() {
    // Level 1 holds 30,000 states; the bound is hit while its first batch of 20,000
    // is expanded. Its states 20,001 to 30,000 were discovered but not expanded: they
    // are checked, in place, before the states of level 2.
    let m = TwoLevels {
        n: 30_000,
        wide: false,
    };
    let opts = Options {
        max_states: Some(35_001),
        ..Options::default()
    };
    let props = [
        Prop::always("below 25000", |_, s| *s < 25_000),
        Prop::sometimes("100007", |_, s| *s == 100_007),
    ];
    let r = run(&m, &props, &opts);
    assert!(!r.complete);
    let trace = |i: usize| states_of(r.properties[i].trace.as_ref().unwrap());
    assert_eq!(trace(0), [0, 25_000]);
    assert_eq!(trace(1), [0, 7, 100_007]);
}

/// A chain 0 → 1 → … → 5 whose states each offer a second action the model refuses.
struct Refuser;

impl Model for Refuser {
    type State = u32;
    type Action = bool;
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, s: &u32, out: &mut Vec<bool>) {
        if *s < 5 {
            out.extend([true, false]);
        }
    }
    fn next_state(&self, s: &u32, step: bool) -> Option<u32> {
        step.then_some(s + 1)
    }
}

impl FairModel for Refuser {
    fn fairness(&self, _: &u32, _: &bool) -> (u64, Fairness) {
        (0, Unfair)
    }
}

#[test]
fn refused_steps_are_counted() {
    // The report warns when a liveness verdict rests on runs the bounds cut: it needs
    // the count of steps the model refused, one per expanded state here.
    let r = run1(&Refuser, &[Prop::always("any", |_, _| true)]);
    assert_eq!((r.unique_states, r.refused), (6, 5));
}

#[test]
fn an_implication_names_its_antecedent() {
    let p: Prop<Chain> = Prop::always_if("p", "above 3", |_, s| *s > 3, |_, _| true);
    let (what, ante) = p.antecedent().expect("an antecedent");
    let m = Chain { n: 9, back_to: 0 };
    assert_eq!(what, "above 3");
    assert!(ante(&m, &4) && !ante(&m, &3));
    assert!(Prop::<Chain>::always("q", |_, _| true)
        .antecedent()
        .is_none());
    assert!(Prop::<Chain>::sometimes("r", |_, _| true)
        .antecedent()
        .is_none());
}

#[test]
fn the_liveness_phase_asks_for_its_workspace_per_state_and_per_class() {
    // Per state: a reverse parent and a place in the order (4 bytes each), Tarjan's
    // node (12) and its three stacks (DFS 4, calls 8, SCC members 4); per fairness
    // class (here the unfair class 0 and the chain's one weak class), 16 bytes of
    // counters. Asked once: the second property reuses the workspace.
    let asked = std::sync::Mutex::new(Vec::new());
    let admit = |bytes: u64| {
        asked.lock().unwrap().push(bytes);
        true
    };
    let opts = Options {
        admit: Some(&admit),
        ..Options::default()
    };
    let m = Chain { n: 640, back_to: 0 };
    let props = [
        Prop::eventually("ev", |_, s| *s == 99),
        Prop::leads_to("lt", |_, s| *s == 1, |_, s| *s == 99),
    ];
    let r = run(&m, &props, &opts);
    assert!(r.complete);
    assert_eq!(
        *asked.lock().unwrap(),
        [640 * (4 + 4 + 12 + 4 + 8 + 4) + 2 * 16]
    );
}

/// State 0 fans out to `1..=n` and to 5000; every state but the goal 9999 can stay
/// where it is (unfair). 5000 can also reach the goal, by a strongly fair step.
struct Fans {
    n: u32,
}

impl Model for Fans {
    type State = u32;
    type Action = u32;
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, s: &u32, out: &mut Vec<u32>) {
        out.push(*s);
        match *s {
            0 => out.extend((1..=self.n).chain([5000])),
            5000 => out.push(9999),
            _ => {}
        }
    }
    fn next_state(&self, _: &u32, a: u32) -> Option<u32> {
        Some(a)
    }
}

impl FairModel for Fans {
    fn fairness(&self, _: &u32, a: &u32) -> (u64, Fairness) {
        if *a == 9999 {
            (1, Strong)
        } else {
            (0, Unfair)
        }
    }
}

#[test]
fn a_lasso_is_found_among_thousands_of_fair_components() {
    // Every fan state staying put is a fair component (4097 of them, found before the
    // one of state 0, which the search reaches first): more than the 4096 whose
    // needs are kept. The lasso is still the shortest, 0 staying at 0, and 5000's
    // strongly fair exit does not count against it.
    let m = Fans { n: 4097 };
    let r = run1(&m, &[Prop::eventually("reaches 9999", |_, s| *s == 9999)]);
    assert_eq!(r.unique_states, 4097 + 3);
    let pr = &r.properties[0];
    assert_eq!(pr.verdict, Verdict::Violated);
    let t = pr.trace.as_ref().expect("a lasso");
    assert_eq!((states_of(t), t.loop_start), (vec![0, 0], Some(0)));
}

/// Counts from 0 to 3 by `Go` (weakly fair, key 1); every state below 3 may also stay
/// by `Stay` (unfair) or by `Idle` (weakly fair, key `idle`).
struct Idler {
    idle: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum IdlerAct {
    Stay,
    Go,
    Idle,
}

impl Model for Idler {
    type State = u32;
    type Action = IdlerAct;
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, s: &u32, out: &mut Vec<IdlerAct>) {
        if *s < 3 {
            out.extend([IdlerAct::Stay, IdlerAct::Go, IdlerAct::Idle]);
        }
    }
    fn next_state(&self, s: &u32, a: IdlerAct) -> Option<u32> {
        Some(if a == IdlerAct::Go { s + 1 } else { *s })
    }
}

impl FairModel for Idler {
    fn fairness(&self, _: &u32, a: &IdlerAct) -> (u64, Fairness) {
        match a {
            IdlerAct::Stay => (7, Unfair),
            IdlerAct::Go => (1, Weak),
            IdlerAct::Idle => (self.idle, Weak),
        }
    }
}

#[test]
fn fairness_classes_stay_apart_whatever_their_keys() {
    // Staying below 3 for ever ignores Go, enabled all along: unfair, so 3 is reached.
    // Keys 65 and 2^40 + 1 fall in key 1's slot of `work_chunk`'s class cache (64
    // slots, by key modulo 64): the classes must still be told apart, or Idle's loop
    // would seem to take Go.
    for idle in [2, 65, 1 << 40 | 1] {
        let r = run1(&Idler { idle }, &[Prop::eventually("3", |_, s| *s == 3)]);
        assert_eq!(r.properties[0].verdict, Verdict::Holds, "key {idle}");
        assert_eq!(r.edges, 3 * 3, "key {idle}");
    }
}

#[test]
fn a_level_wider_than_a_batch_is_merged_in_order() {
    // Level 1 holds 25000 states: a batch of 20000, then one of 5000, whose states
    // keep their indices (and so their paths) across the batch boundary.
    let m = Star { n: 25_000 };
    let props = [
        Prop::always("not 24000", |_, s| *s != 24_000),
        Prop::sometimes("19999", |_, s| *s == 19_999),
        Prop::eventually("a leaf", |_, s| *s > 0),
    ];
    let r = run1(&m, &props);
    assert!(r.complete);
    assert_eq!((r.unique_states, r.max_depth, r.edges), (25_001, 1, 25_000));
    let trace = |i: usize| states_of(r.properties[i].trace.as_ref().unwrap());
    assert_eq!(trace(0), [0, 24_000]);
    assert_eq!(trace(1), [0, 19_999]);
    // Every step from 0 reaches a leaf (where the run then stops): a leaf is reached.
    assert_eq!(r.properties[2].verdict, Verdict::Holds);
}

/// `n` initial states and no steps.
struct Still {
    n: u32,
}

impl Model for Still {
    type State = u32;
    type Action = ();
    fn init_states(&self) -> Vec<u32> {
        (0..self.n).collect()
    }
    fn actions(&self, _: &u32, _: &mut Vec<()>) {}
    fn next_state(&self, _: &u32, _: ()) -> Option<u32> {
        None
    }
}

impl FairModel for Still {
    fn fairness(&self, _: &u32, _: &()) -> (u64, Fairness) {
        (0, Unfair)
    }
}

#[test]
fn initial_states_fill_the_table_to_three_quarters_before_it_grows() {
    // The initial states enter the fingerprint table by `FpTable::insert`, the others
    // by `find_or_insert`: both keep at most 3/4 of the slots in use. 768 initial
    // states fill 1024 slots to exactly 3/4; the 769th doubles the table.
    const BLOCK: u64 = 1 << 16;
    let list = grown_capacity::<Box<[u32]>>(Vec::new(), &[Box::new([])]) as u64 * 16;
    let one_block = BLOCK * (8 + 4) + 2 * list;
    let rest = one_block + 4 + 8 + std::mem::size_of::<Fairness>() as u64;
    for (n, slots) in [(767, 1024), (768, 1024), (769, 2048)] {
        let r = run1(&Still { n }, &[Prop::always("true", |_, _| true)]);
        assert_eq!(r.unique_states, n as u64);
        assert_eq!(r.graph_bytes, slots * 4 + rest, "{n} initial states");
    }
}

#[test]
fn a_cut_run_with_liveness_properties_keeps_an_empty_edge_list_per_unexpanded_state() {
    // Cut at 1500 states: 0 is expanded (its edges are not stored, the cut came in
    // the middle of them), 1..=1499 are discovered but not expanded. With a liveness
    // property the graph keeps its CSR offsets, one per state and one more: the
    // unexpanded states get empty edge lists. Bytes: 2048 table slots (1500 states
    // are more than 3/4 of 1024), one block of fingerprints and parents, 1501 offsets,
    // no targets or classes, the interner of the unfair class 0, and one word of
    // liveness bits (one expanded state).
    const BLOCK: u64 = 1 << 16;
    let list = grown_capacity::<Box<[u32]>>(Vec::new(), &[Box::new([])]) as u64 * 16;
    let one_block = BLOCK * (8 + 4) + 2 * list;
    let interner_of_class_0 = 8 + std::mem::size_of::<Fairness>() as u64;
    let opts = Options {
        max_states: Some(1500),
        ..Options::default()
    };
    let r = run(
        &Star { n: 3000 },
        &[Prop::eventually("a leaf", |_, s| *s > 0)],
        &opts,
    );
    assert!(!r.complete);
    assert_eq!(r.unique_states, 1500);
    assert_eq!(r.properties[0].verdict, Verdict::Unknown);
    assert_eq!(
        r.graph_bytes,
        2048 * 4 + one_block + 1501 * 4 + interner_of_class_0 + 8
    );
}

/// Counts from 0 to 5, a quarter of a second per state expanded.
struct Slow;

impl Model for Slow {
    type State = u32;
    type Action = ();
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, s: &u32, out: &mut Vec<()>) {
        std::thread::sleep(Duration::from_millis(250));
        if *s < 5 {
            out.push(());
        }
    }
    fn next_state(&self, s: &u32, _: ()) -> Option<u32> {
        Some(s + 1)
    }
}

impl FairModel for Slow {
    fn fairness(&self, _: &u32, _: &()) -> (u64, Fairness) {
        (0, Unfair)
    }
}

#[test]
fn progress_is_reported_once_a_second_not_per_batch() {
    // Six levels of one state each, a batch each, 1.5 s in all: the run reports its
    // progress after the batch that ends a second (or more) after the last report, so
    // at least once, and the k-th report comes k seconds or more after the start.
    let reports = std::sync::Mutex::new(Vec::new());
    let cb = |p: Progress| reports.lock().unwrap().push(p);
    let opts = Options {
        progress: Some(&cb),
        ..Options::default()
    };
    let r = run(&Slow, &[], &opts);
    assert!(r.complete);
    assert_eq!(r.unique_states, 6);
    let reports = reports.into_inner().unwrap();
    assert!(!reports.is_empty());
    for (k, p) in reports.iter().enumerate() {
        assert!(
            p.elapsed >= Duration::from_secs(k as u64 + 1),
            "report {k} at {:?}",
            p.elapsed
        );
        // After the level at `depth` is merged: its successor is known (5 has none).
        let d = p.depth as u64;
        assert_eq!(
            (p.states, p.unique_states),
            (d.min(4) + 1, d.min(4) + 2),
            "report {k}"
        );
    }
}

#[test]
fn the_fingerprint_of_a_u64_loses_no_bit() {
    // A u64 is mixed in as one word, then the final avalanche runs three rounds of
    // `z ^ (z >> s)` (s = 30, 27, 31), each but the last followed by a multiplication
    // by an odd constant. Every step is a bijection, so distinct u64 values get
    // distinct fingerprints (but for the one whose mix is 0, reported as 1). A lossy
    // round, e.g. `z | (z >> s)`, would map `1 << s` and `1 << s | 1` to one value: for
    // each round, the two u64 values that reach it with those states must differ.
    fn inverse(c: u64) -> u64 {
        // Newton's iteration for the inverse of an odd number modulo 2^64.
        let mut x = c;
        for _ in 0..6 {
            x = x.wrapping_mul(2u64.wrapping_sub(c.wrapping_mul(x)));
        }
        x
    }
    fn unshift(z: u64, s: u32) -> u64 {
        // The inverse of y = z ^ (z >> s).
        let mut y = z;
        for _ in 0..64 / s {
            y = z ^ (y >> s);
        }
        y
    }
    const C1: u64 = 0xbf58_476d_1ce4_e5b9;
    const C2: u64 = 0x94d0_49bb_1331_11eb;
    // The u64 whose state is `z` before round `r` (0, 1 or 2) of the avalanche.
    let input = |r: usize, z: u64| -> u64 {
        let mut z = z;
        if r >= 2 {
            z = unshift(z.wrapping_mul(inverse(C2)), 27);
        }
        if r >= 1 {
            z = unshift(z.wrapping_mul(inverse(C1)), 30);
        }
        let h = z.wrapping_sub(0x9e37_79b9_7f4a_7c15);
        h.wrapping_mul(inverse(0x517c_c1b7_2722_0a95)) ^ 0x243f_6a88_85a3_08d3u64.rotate_left(5)
    };
    for (r, s) in [30u32, 27, 31].into_iter().enumerate() {
        let (a, b) = (input(r, 1 << s), input(r, 1 << s | 1));
        assert_ne!(a, b);
        assert_ne!(
            explore::fingerprint(&a),
            explore::fingerprint(&b),
            "round {r}"
        );
    }
    assert_eq!(inverse(C1).wrapping_mul(C1), 1);
}

#[test]
fn the_second_word_of_bits_belongs_to_its_own_state() {
    // Twenty leaves in one chunk, each with two words of liveness bits: predicate 64
    // ("a leaf") is read from the second word of the leaf's own pair, whatever its
    // place in the chunk, so every run from 0 reaches a leaf.
    let m = Star { n: 20 };
    let mut props: Vec<Prop<Star>> = (0..64)
        .map(|i| Prop::eventually(format!("never {i}"), |_, s| *s == 9_999))
        .collect();
    props.push(Prop::eventually("a leaf", |_, s| *s > 0));
    let r = run1(&m, &props);
    assert!(r.complete);
    assert_eq!(r.properties[64].verdict, Verdict::Holds);
    assert!(r.properties[..64]
        .iter()
        .all(|p| p.verdict == Verdict::Violated));
}

#[test]
fn more_than_64_liveness_predicates_take_a_second_word_of_bits() {
    // Each liveness predicate is one bit per state, 64 to a word: predicates 64 and 65
    // are the first two bits of each state's second word. On the ring 0 -> 1 -> 2 -> 0
    // (one weakly fair action), 2 is eventually reached and `false` is not.
    let m = Chain { n: 3, back_to: 0 };
    let mut props: Vec<Prop<Chain>> = (0..64)
        .map(|i| Prop::eventually(format!("true {i}"), |_, _| true))
        .collect();
    props.push(Prop::eventually("2", |_, s| *s == 2));
    props.push(Prop::eventually("never", |_, _| false));
    let r = run1(&m, &props);
    assert!(r.complete);
    for p in &r.properties[..64] {
        assert_eq!(p.verdict, Verdict::Holds, "{}", p.name);
    }
    assert_eq!(r.properties[64].verdict, Verdict::Holds);
    let never = &r.properties[65];
    assert_eq!(never.verdict, Verdict::Violated);
    let t = never.trace.as_ref().expect("a lasso");
    assert_eq!((states_of(t), t.loop_start), (vec![0, 1, 2, 0], Some(0)));
}

#[test]
fn the_stored_edge_limit_bounds_the_sum_of_edges_not_a_product() {
    // A run with liveness properties stores every edge and stops (incomplete) before
    // their count leaves the u32 offsets. Here 66,000 edges are stored when state 1
    // brings 66,000 more: 132,000 in all, far below 2^32 - 1, though the product of
    // the two counts is above it.
    let m = TwoLevels {
        n: 66_000,
        wide: true,
    };
    let r = run1(&m, &[Prop::eventually("away from 0 and 1", |_, s| *s > 1)]);
    assert!(r.complete);
    assert_eq!(r.unique_states, 132_001);
    assert_eq!(r.properties[0].verdict, Verdict::Holds);
}
