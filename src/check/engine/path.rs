//! Rebuilding concrete paths by replaying the model along fingerprints.

use super::explore::{Discovery, Graph};
use super::pack::{state_fingerprint, Pack};
use super::FairModel;
use std::hash::Hash;

/// One step of a path to replay: reach the state with fingerprint `fp`,
/// by an action of fairness class `class` (if given) and at position
/// `action` in the `actions()` list (if given). The first hop names an
/// initial state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    pub fp: u64,
    pub class: Option<u32>,
    pub action: Option<u32>,
}

fn plain(g: &Graph, v: u32) -> Hop {
    Hop {
        fp: g.fps[v as usize],
        class: None,
        action: None,
    }
}

/// Hops from an initial state to a safety/sometimes discovery.
pub fn discovery_hops(g: &Graph, d: Discovery) -> Vec<Hop> {
    match d {
        Discovery::State(v) => g.tree_path(v).into_iter().map(|v| plain(g, v)).collect(),
        Discovery::Step { src, action, fp } => {
            let mut hops: Vec<Hop> = g.tree_path(src).into_iter().map(|v| plain(g, v)).collect();
            hops.push(Hop {
                fp,
                class: None,
                action: Some(action),
            });
            hops
        }
    }
}

/// Hops for a path of (state index, edge class).
pub fn lasso_hops(g: &Graph, path: &[(u32, Option<u32>)]) -> Vec<Hop> {
    path.iter()
        .map(|&(v, class)| Hop {
            fp: g.fps[v as usize],
            class,
            action: None,
        })
        .collect()
}

/// Replays `hops`. Returns the steps and whether every hop was matched (a
/// model whose `actions`/`next_state` are not deterministic, or a
/// fingerprint collision, can make the replay stop early; the steps found so
/// far are returned).
#[allow(clippy::type_complexity)]
pub fn replay<M>(model: &M, g: &Graph, hops: &[Hop]) -> (Vec<(Option<M::Action>, M::State)>, bool)
where
    M: FairModel,
    M::State: Clone + Hash + Pack,
    M::Action: Clone,
{
    let mut steps: Vec<(Option<M::Action>, M::State)> = Vec::with_capacity(hops.len());
    let Some(first) = hops.first() else {
        return (steps, true);
    };
    let mut scratch = Vec::new();
    let Some(init) = model
        .init_states()
        .into_iter()
        .find(|s| state_fingerprint(s, &mut scratch) == first.fp)
    else {
        return (steps, false);
    };
    steps.push((None, init));
    let mut actions = Vec::new();
    for hop in &hops[1..] {
        let Some((_, cur)) = steps.last() else {
            return (steps, false);
        };
        actions.clear();
        model.actions(cur, &mut actions);
        let mut found = None;
        for (i, a) in actions.drain(..).enumerate() {
            if hop.action.is_some_and(|want| want as usize != i) {
                continue;
            }
            if let Some(c) = hop.class {
                let (key, kind) = model.fairness(cur, &a);
                if g.class_id(key, kind) != Some(c) {
                    continue;
                }
            }
            if let Some(next) = model.next_state(cur, a.clone()) {
                if state_fingerprint(&next, &mut scratch) == hop.fp {
                    found = Some((Some(a), next));
                    break;
                }
            }
        }
        match found {
            Some(step) => steps.push(step),
            None => return (steps, false),
        }
    }
    (steps, true)
}
