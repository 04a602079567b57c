//! Seeded random walks over a model, with the checker's safety and reachability
//! properties tested on every state and step they visit.
//!
//! Run `r` under seed `S` starts at an initial state and, up to `depth` times, takes
//! one of the enabled actions at random (uniformly: an action whose `next_state` is
//! `None`, a step the model refuses, is never taken), with the stream
//! [`SplitMix64::for_run`]`(S, r)`. A walk is a function of `(S, r)` alone, so the
//! union of the walks of every shard is the unsharded set, and the threads only decide
//! who walks which run: results are merged in run order and never depend on the
//! thread count. A walk ends early at a state with no enabled action.
//!
//! A path is kept as the indices of its actions in `Model::actions` (the first index
//! picks the initial state): exactly the stateright Explorer's `#/steps/…` path.

use super::rng::SplitMix64;
use crate::check::engine::{fingerprint, Prop};
use crate::check::shard::Shard;
use stateright::Model;
use std::collections::HashSet;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to walk.
#[derive(Clone, Copy, Debug)]
pub struct Walks {
    pub seed: u64,
    /// The runs of the whole (unsharded) sample: run indices `0..runs`.
    pub runs: u64,
    /// Steps per walk at most.
    pub depth: u32,
    pub threads: usize,
    /// This process walks the runs `r` with `r % count == index`.
    pub shard: Shard,
    /// Stop claiming new runs after this long.
    pub timeout: Option<Duration>,
}

/// The first walk (in run order) that violated or witnessed a property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub run: u64,
    /// Action indices from the initial state to the state (or step) that decided it.
    pub path: Vec<usize>,
}

/// One property over the sample.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropSample {
    /// Runs in which an always-property was violated or a sometimes-property witnessed
    /// (0 for liveness, which walks do not check).
    pub found_in_runs: u64,
    pub first: Option<Found>,
    /// An always-property with an antecedent: runs in which the antecedent held in
    /// some visited state.
    pub antecedent_runs: u64,
}

/// The outcome of a sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Runs walked to their end.
    pub runs: u64,
    /// States visited, repeats included (every walk's initial state counts).
    pub states: u64,
    /// Distinct states visited (by fingerprint).
    pub unique_states: u64,
    /// The longest walk, in steps.
    pub max_depth: u32,
    /// Walks that ended early at a state with no enabled action.
    pub dead_ends: u64,
    pub props: Vec<PropSample>,
    /// Why the sample stopped before walking every run of its shard.
    pub stopped: Option<String>,
}

/// The runs of `shard` among `0..runs`.
pub fn runs_of(shard: Shard, runs: u64) -> u64 {
    let (i, n) = (shard.index as u64, shard.count as u64);
    if i >= runs {
        0
    } else {
        (runs - i).div_ceil(n)
    }
}

/// What one thread gathered.
struct Local {
    runs: u64,
    states: u64,
    max_depth: u32,
    dead_ends: u64,
    props: Vec<PropSample>,
    seen: HashSet<u64>,
}

/// Walks one run and folds what it found into `acc`.
fn walk<M>(m: &M, props: &[Prop<M>], inits: &[M::State], w: &Walks, run: u64, acc: &mut Local)
where
    M: Model,
    M::State: Clone + Hash,
    M::Action: Clone,
{
    let mut rng = SplitMix64::for_run(w.seed, run);
    let first = rng.below(inits.len());
    let mut s = inits[first].clone();
    let mut path = vec![first];
    // Per property: the index in `path` of the state that decided it in this run.
    let mut hit: Vec<Option<usize>> = vec![None; props.len()];
    let mut antecedent: Vec<bool> = vec![false; props.len()];
    let mut visit = |s: &M::State, at: usize, hit: &mut Vec<Option<usize>>, acc: &mut Local| {
        acc.states += 1;
        acc.seen.insert(fingerprint(s));
        for (k, p) in props.iter().enumerate() {
            match p {
                Prop::Always {
                    cond,
                    antecedent: a,
                    ..
                } => {
                    if hit[k].is_none() && !cond(m, s) {
                        hit[k] = Some(at);
                    }
                    if let Some((_, a)) = a {
                        if !antecedent[k] && a(m, s) {
                            antecedent[k] = true;
                        }
                    }
                }
                Prop::SometimesState { cond, .. } if hit[k].is_none() && cond(m, s) => {
                    hit[k] = Some(at);
                }
                _ => {}
            }
        }
    };
    visit(&s, 0, &mut hit, acc);
    let mut actions = Vec::new();
    let mut untried = Vec::new();
    let mut steps = 0u32;
    while steps < w.depth {
        actions.clear();
        m.actions(&s, &mut actions);
        untried.clear();
        untried.extend(0..actions.len());
        // Sampling without replacement until an enabled action turns up: the first
        // enabled one is uniform among the enabled ones.
        let mut next = None;
        while !untried.is_empty() {
            let ai = untried.swap_remove(rng.below(untried.len()));
            if let Some(n) = m.next_state(&s, actions[ai].clone()) {
                next = Some((ai, n));
                break;
            }
        }
        let Some((ai, n)) = next else {
            acc.dead_ends += 1;
            break;
        };
        steps += 1;
        path.push(ai);
        let at = path.len() - 1;
        for (k, p) in props.iter().enumerate() {
            if let Prop::SometimesStep { cond, .. } = p {
                if hit[k].is_none() && cond(m, &s, &actions[ai], &n) {
                    hit[k] = Some(at);
                }
            }
        }
        visit(&n, at, &mut hit, acc);
        s = n;
    }
    acc.runs += 1;
    acc.max_depth = acc.max_depth.max(steps);
    for (k, h) in hit.iter().enumerate() {
        let p = &mut acc.props[k];
        if antecedent[k] {
            p.antecedent_runs += 1;
        }
        let Some(at) = *h else { continue };
        p.found_in_runs += 1;
        if p.first.as_ref().is_none_or(|f| run < f.run) {
            p.first = Some(Found {
                run,
                path: path[..=at].to_vec(),
            });
        }
    }
}

/// Walks the runs of `w.shard` and tests `props` on them (liveness properties are
/// skipped: their [`PropSample`] stays empty).
pub fn sample<M>(m: &M, props: &[Prop<M>], w: &Walks) -> Sample
where
    M: Model + Sync,
    M::State: Clone + Hash + Send + Sync,
    M::Action: Clone,
{
    let start = Instant::now();
    let inits = m.init_states();
    let total = runs_of(w.shard, w.runs);
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let why: Mutex<Option<String>> = Mutex::new(None);
    let new_local = || Local {
        runs: 0,
        states: 0,
        max_depth: 0,
        dead_ends: 0,
        props: vec![PropSample::default(); props.len()],
        seen: HashSet::new(),
    };
    let work = || {
        let mut acc = new_local();
        if inits.is_empty() {
            return acc;
        }
        loop {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let stopped = if let Some(sig) = crate::check::limits::interrupted() {
                Some(format!(
                    "interrupted by {}",
                    crate::check::limits::signal_name(sig)
                ))
            } else if w.timeout.is_some_and(|t| start.elapsed() >= t) {
                Some("reached --timeout".to_string())
            } else {
                None
            };
            if let Some(s) = stopped {
                stop.store(true, Ordering::Relaxed);
                let mut g = why.lock().unwrap_or_else(|e| e.into_inner());
                g.get_or_insert(s);
                break;
            }
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= total {
                break;
            }
            let run = w.shard.index as u64 + k * w.shard.count as u64;
            walk(m, props, &inits, w, run, &mut acc);
        }
        acc
    };
    let threads = w.threads.max(1).min(total.max(1) as usize);
    let locals: Vec<Local> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|sc| {
            let hs: Vec<_> = (0..threads).map(|_| sc.spawn(work)).collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let mut out = Sample {
        runs: 0,
        states: 0,
        unique_states: 0,
        max_depth: 0,
        dead_ends: 0,
        props: vec![PropSample::default(); props.len()],
        stopped: why.into_inner().unwrap_or_else(|e| e.into_inner()),
    };
    let mut seen: HashSet<u64> = HashSet::new();
    for l in locals {
        out.runs += l.runs;
        out.states += l.states;
        out.max_depth = out.max_depth.max(l.max_depth);
        out.dead_ends += l.dead_ends;
        for (o, p) in out.props.iter_mut().zip(l.props) {
            o.found_in_runs += p.found_in_runs;
            o.antecedent_runs += p.antecedent_runs;
            if let Some(f) = p.first {
                if o.first.as_ref().is_none_or(|g| f.run < g.run) {
                    o.first = Some(f);
                }
            }
        }
        if seen.is_empty() {
            seen = l.seen;
        } else {
            seen.extend(l.seen);
        }
    }
    out.unique_states = seen.len() as u64;
    out
}

/// The states along `path` (action indices, the first picking the initial state), as
/// the checker's traces hold them; `None` if an index does not lead anywhere.
#[allow(clippy::type_complexity)]
pub fn replay_path<M: Model>(m: &M, path: &[usize]) -> Option<Vec<(Option<M::Action>, M::State)>>
where
    M::State: Clone,
    M::Action: Clone,
{
    let (first, rest) = path.split_first()?;
    let mut steps = vec![(None, m.init_states().get(*first)?.clone())];
    let mut actions = Vec::new();
    for &i in rest {
        let last = &steps[steps.len() - 1].1;
        actions.clear();
        m.actions(last, &mut actions);
        let a: M::Action = actions.get(i)?.clone();
        let next = m.next_state(last, a.clone())?;
        steps.push((Some(a), next));
    }
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Model;

    /// A counter that may add 1 or 2, or (at 5) get stuck; at 9 it stops.
    struct Counter;

    impl Model for Counter {
        type State = u32;
        type Action = u32;
        fn init_states(&self) -> Vec<u32> {
            vec![0, 100]
        }
        fn actions(&self, s: &u32, a: &mut Vec<u32>) {
            if *s < 9 || (100..109).contains(s) {
                a.extend([1, 2, 7]);
            }
        }
        fn next_state(&self, s: &u32, a: u32) -> Option<u32> {
            // Adding 7 is refused: the walk must never take it.
            (a != 7).then_some(s + a)
        }
    }

    fn props() -> Vec<Prop<Counter>> {
        vec![
            Prop::always("never 7", |_, s| *s != 7),
            Prop::sometimes("reaches 104", |_, s| *s == 104),
            Prop::sometimes_step("a step of 2 from 3", |_, p, a, _| *p == 3 && *a == 2),
            Prop::always_if(
                "even above 200",
                "above 200",
                |_, s| *s > 200,
                |_, s| *s <= 200 || s % 2 == 0,
            ),
            Prop::eventually("ends", |_, s| *s >= 9),
        ]
    }

    fn walks(threads: usize, shard: Shard) -> Walks {
        Walks {
            seed: 11,
            runs: 200,
            depth: 30,
            threads,
            shard,
            timeout: None,
        }
    }

    #[test]
    fn test_the_sample_is_the_same_on_any_thread_count() {
        let one = sample(&Counter, &props(), &walks(1, Shard::WHOLE));
        for t in [2, 3, 8] {
            assert_eq!(sample(&Counter, &props(), &walks(t, Shard::WHOLE)), one);
        }
        assert_eq!(one.runs, 200);
    }

    #[test]
    fn test_walks_find_violations_and_witnesses_with_their_paths() {
        let s = sample(&Counter, &props(), &walks(2, Shard::WHOLE));
        let never7 = &s.props[0];
        assert!(never7.found_in_runs > 0 && never7.found_in_runs < 200);
        let f = never7.first.as_ref().unwrap();
        let steps = replay_path(&Counter, &f.path).unwrap();
        assert_eq!(steps.last().unwrap().1, 7);
        assert_eq!(steps[0].1, 0);
        // Only actions 1 and 2 (indices 0 and 1) are ever taken.
        assert!(f.path[1..].iter().all(|&i| i < 2));
        let step2 = s.props[2].first.as_ref().unwrap();
        let steps = replay_path(&Counter, &step2.path).unwrap();
        let n = steps.len();
        assert_eq!((steps[n - 2].1, steps[n - 1].1), (3, 5));
        // The antecedent never holds; liveness is not walked.
        assert_eq!(s.props[3].antecedent_runs, 0);
        assert_eq!(s.props[3].found_in_runs, 0);
        assert_eq!(s.props[4], PropSample::default());
    }

    #[test]
    fn test_every_walk_ends_at_the_state_with_no_enabled_action() {
        let s = sample(&Counter, &props(), &walks(2, Shard::WHOLE));
        // Every walk ends at 9 or 10 (or 109, 110) within 10 steps: a dead end.
        assert_eq!(s.dead_ends, 200);
        assert!(s.max_depth <= 10);
        assert!(s.unique_states <= 22);
    }

    #[test]
    fn test_the_shards_together_are_the_unsharded_sample() {
        let whole = sample(&Counter, &props(), &walks(2, Shard::WHOLE));
        let parts: Vec<Sample> = (0..3)
            .map(|i| sample(&Counter, &props(), &walks(1, Shard { index: i, count: 3 })))
            .collect();
        assert_eq!(parts.iter().map(|p| p.runs).sum::<u64>(), 200);
        assert_eq!(parts.iter().map(|p| p.states).sum::<u64>(), whole.states);
        for k in 0..whole.props.len() {
            let found: u64 = parts.iter().map(|p| p.props[k].found_in_runs).sum();
            assert_eq!(found, whole.props[k].found_in_runs);
            let first = parts
                .iter()
                .filter_map(|p| p.props[k].first.clone())
                .min_by_key(|f| f.run);
            assert_eq!(first, whole.props[k].first);
        }
        assert_eq!(runs_of(Shard { index: 5, count: 8 }, 5), 0);
        assert_eq!(runs_of(Shard { index: 1, count: 3 }, 200), 67);
    }
}
