//! Liveness under fairness, decided on the explored graph.
//!
//! `Eventually(goal)` and `LeadsTo(p, q)` are both "from the start states,
//! no behaviour stays forever in the bad set B", where B is the set of
//! not-goal (not-q) states and the start states are the initial states in B
//! (the p-states in B). A counterexample is a path from a start state through
//! B to either a deadlock (a state with no outgoing edge at all) or a fair
//! cycle inside B.
//!
//! Fair cycles are found per SCC of the subgraph induced by the B-states
//! reachable from the starts through B (only edges between two such states
//! are "taken"; enabledness counts every edge of the full graph):
//! - an SCC without internal edges (a single state without self-loop) has no
//!   cycle;
//! - a Weak class enabled in every state of the SCC but never taken inside it
//!   makes every cycle in it unfair: the SCC is rejected;
//! - a Strong class enabled somewhere but never taken inside it forbids the
//!   states where it is enabled: they are removed and the rest is decomposed
//!   again (Streett refinement);
//! - otherwise a cycle through all states and internal edges of the SCC is
//!   fair.
//!
//! A deadlock found by the BFS through B is reported first (the shallowest
//! one). Otherwise, of all fair SCCs, the one holding the state the BFS
//! reached first is reported: the lasso is the BFS path to that entry state,
//! then a concrete fair loop from it back to it (see `fair_loop`).
//!
//! Memory: one parent index per state for the BFS, plus the 12-byte
//! [`Node`] per state of the SCC pass; SCCs are examined as Tarjan emits
//! them, and no list of SCCs is kept.

use super::explore::{BitSet, Graph, NONE};
use super::scc::{Node, Tarjan};
use super::Fairness;
use std::collections::{HashMap, VecDeque};

/// A counterexample as state indices: `path[0]` is an initial state with
/// class `None`; later elements are (state, class of the edge taken to reach
/// it, or `None` if any edge will do). With `loop_start: Some(i)`,
/// `path[i..]` is a cycle whose last element is `path[i]`'s state again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lasso {
    pub path: Vec<(u32, Option<u32>)>,
    pub loop_start: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveResult {
    Holds,
    Violated(Lasso),
    /// Internal limit (region ids) exhausted.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub result: LiveResult,
    /// Class ids the verdict relied on (see `PropertyResult::assumptions`).
    pub assumed: Vec<u32>,
}

/// Scratch reused across liveness checks of one graph.
pub struct Workspace {
    rpar: Vec<u32>,
    order: Vec<u32>,
    tarjan: Tarjan,
    cls: ClassScratch,
}

struct ClassScratch {
    count: Vec<u32>,
    internal: Vec<(u32, u32)>,
    flag: Vec<bool>,
    touched: Vec<u32>,
}

impl ClassScratch {
    fn clear(&mut self) {
        for &c in &self.touched {
            self.count[c as usize] = 0;
            self.internal[c as usize] = (NONE, NONE);
            self.flag[c as usize] = false;
        }
        self.touched.clear();
    }
}

impl Workspace {
    /// The bytes [`Workspace::new`] and a check allocate for `g`, about: per state
    /// the reverse parents, the order, and Tarjan's node and stacks; per fairness
    /// class the scratch counters.
    pub fn bytes(g: &Graph) -> u64 {
        let n = g.len() as u64;
        let k = g.class_keys.len() as u64;
        n * (4 + 4 + std::mem::size_of::<super::scc::Node>() as u64 + 4 + 8 + 4) + k * 16
    }

    pub fn new(g: &Graph) -> Self {
        let n = g.len();
        let k = g.class_keys.len();
        Workspace {
            rpar: vec![NONE; n],
            order: Vec::new(),
            tarjan: Tarjan::new(n),
            cls: ClassScratch {
                count: vec![0; k],
                internal: vec![(NONE, NONE); k],
                flag: vec![false; k],
                touched: Vec::new(),
            },
        }
    }
}

/// What a fair SCC needs from a loop through it.
struct FairInfo {
    /// Classes (not 0) with an internal edge: the loop takes one of each.
    need_edge: Vec<u32>,
    /// Weak classes without internal edge, enabled somewhere: the loop visits
    /// a state where each is disabled.
    need_disabled: Vec<u32>,
    /// Weak/Strong classes enabled somewhere in the SCC.
    enabled: Vec<u32>,
}

enum Exam {
    NoCycle,
    Refine(Vec<u32>),
    Fair(FairInfo),
}

#[inline]
fn has_class(g: &Graph, v: u32, c: u32) -> bool {
    g.out(v).1.binary_search(&c).is_ok()
}

/// Classifies SCC `comp` (members `members`), see the module docs.
fn examine(
    g: &Graph,
    nodes: &mut [Node],
    id: u32,
    members: &[u32],
    s: &mut ClassScratch,
    assumed: &mut Vec<u32>,
) -> Exam {
    let mut has_internal = false;
    for &v in members {
        let (ts, cs) = g.out(v);
        let mut prev = NONE;
        for (&t, &c) in ts.iter().zip(cs) {
            let internal = nodes[t as usize].region == id;
            has_internal |= internal;
            if c == 0 {
                continue;
            }
            let cu = c as usize;
            if c != prev {
                prev = c;
                if s.count[cu] == 0 {
                    s.touched.push(c);
                }
                s.count[cu] += 1;
            }
            if internal && s.internal[cu].0 == NONE {
                s.internal[cu] = (v, t);
            }
        }
    }
    if !has_internal {
        s.clear();
        return Exam::NoCycle;
    }
    let size = members.len() as u32;
    let mut weak_bad = Vec::new();
    let mut strong_bad = Vec::new();
    for &c in &s.touched {
        let cu = c as usize;
        if s.internal[cu].0 != NONE {
            continue;
        }
        match g.class_kinds[cu] {
            Fairness::Weak if s.count[cu] == size => weak_bad.push(c),
            Fairness::Strong => strong_bad.push(c),
            _ => {}
        }
    }
    let exam = if !weak_bad.is_empty() {
        assumed.extend(&weak_bad);
        Exam::NoCycle
    } else if !strong_bad.is_empty() {
        assumed.extend(&strong_bad);
        for &c in &strong_bad {
            s.flag[c as usize] = true;
        }
        let mut kept = Vec::new();
        for &v in members {
            if g.out(v).1.iter().any(|&c| s.flag[c as usize]) {
                nodes[v as usize].region = NONE;
            } else {
                kept.push(v);
            }
        }
        Exam::Refine(kept)
    } else {
        let mut info = FairInfo {
            need_edge: Vec::new(),
            need_disabled: Vec::new(),
            enabled: s.touched.clone(),
        };
        for &c in &s.touched {
            if s.internal[c as usize].0 != NONE {
                info.need_edge.push(c);
            } else if g.class_kinds[c as usize] == Fairness::Weak {
                info.need_disabled.push(c);
            }
        }
        Exam::Fair(info)
    };
    s.clear();
    exam
}

/// BFS inside region `id` from `from` to the first state satisfying `pred`;
/// returns the steps (state, class) after `from`. Uses the nodes' scratch
/// words: `a` = BFS parent, `b` = the `gen` of the search that saw it (the
/// caller resets `b` of the region to `NONE` before the first search and
/// passes a fresh `gen` each time).
fn route(
    g: &Graph,
    nodes: &mut [Node],
    id: u32,
    from: u32,
    gen: u32,
    pred: impl Fn(&[Node], u32) -> bool,
) -> Option<Vec<(u32, u32)>> {
    nodes[from as usize].b = gen;
    nodes[from as usize].a = NONE;
    let mut queue = VecDeque::from([from]);
    while let Some(u) = queue.pop_front() {
        if pred(nodes, u) {
            let mut steps = Vec::new();
            let mut x = u;
            while x != from {
                let p = nodes[x as usize].a;
                let (ts, cs) = g.out(p);
                let c = ts.iter().zip(cs).find(|(&t, _)| t == x).map(|(_, &c)| c)?;
                steps.push((x, c));
                x = p;
            }
            steps.reverse();
            return Some(steps);
        }
        for &t in g.out(u).0 {
            let n = &mut nodes[t as usize];
            if n.region == id && n.b != gen {
                n.b = gen;
                n.a = u;
                queue.push_back(t);
            }
        }
    }
    None
}

/// A fair loop from `entry` back to `entry` inside the fair SCC `id`
/// (members `members`): takes one internal edge of every class in
/// `need_edge` and visits a state disabling each class in `need_disabled`,
/// walking greedily to the nearest state that satisfies a pending need.
/// Returns the steps after `entry`.
fn fair_loop(
    g: &Graph,
    nodes: &mut [Node],
    id: u32,
    members: &[u32],
    entry: u32,
    info: &FairInfo,
) -> Vec<(u32, u32)> {
    for &v in members {
        nodes[v as usize].b = NONE;
    }
    let mut gen = 0u32;
    let mut pend_edge = vec![false; g.class_keys.len()];
    let mut n_edge = 0usize;
    for &c in &info.need_edge {
        pend_edge[c as usize] = true;
        n_edge += 1;
    }
    let mut pend_dis = info.need_disabled.clone();
    pend_dis.retain(|&d| has_class(g, entry, d));
    let mut steps: Vec<(u32, u32)> = Vec::new();
    let mut cur = entry;
    let mut left = n_edge;
    let mut take = |v: u32, c: u32, pend_edge: &mut [bool], pend_dis: &mut Vec<u32>| {
        steps.push((v, c));
        if pend_edge[c as usize] {
            pend_edge[c as usize] = false;
            n_edge -= 1;
        }
        pend_dis.retain(|&d| has_class(g, v, d));
        n_edge
    };
    let pending_edge_at = |nodes: &[Node], pend_edge: &[bool], u: u32| -> Option<(u32, u32)> {
        let (ts, cs) = g.out(u);
        ts.iter()
            .zip(cs)
            .find(|(&t, &c)| nodes[t as usize].region == id && pend_edge[c as usize])
            .map(|(&t, &c)| (t, c))
    };
    while left > 0 || !pend_dis.is_empty() {
        gen += 1;
        let found = route(g, nodes, id, cur, gen, |nodes, u| {
            pend_dis.iter().any(|&d| !has_class(g, u, d))
                || pending_edge_at(nodes, &pend_edge, u).is_some()
        });
        let Some(r) = found else { break };
        for (v, c) in r {
            left = take(v, c, &mut pend_edge, &mut pend_dis);
            cur = v;
        }
        if let Some((t, c)) = pending_edge_at(nodes, &pend_edge, cur) {
            left = take(t, c, &mut pend_edge, &mut pend_dis);
            cur = t;
        }
    }
    if steps.is_empty() {
        // Take any internal edge so that the loop is not empty.
        let (ts, cs) = g.out(entry);
        if let Some((&t, &c)) = ts
            .iter()
            .zip(cs)
            .find(|(&t, _)| nodes[t as usize].region == id)
        {
            steps.push((t, c));
            cur = t;
        }
    }
    if cur != entry {
        gen += 1;
        if let Some(r) = route(g, nodes, id, cur, gen, |_, u| u == entry) {
            steps.extend(r);
        }
    }
    steps
}

/// Checks that no behaviour from the start states stays in B forever, where
/// B = states whose `q` bit is clear and the starts are the initial states in
/// B (`p` = None, Eventually) or all states in B whose `p` bit is set
/// (LeadsTo).
pub fn check(g: &Graph, q: &BitSet, p: Option<&BitSet>, ws: &mut Workspace) -> Outcome {
    let n = g.len();
    let bad = |v: u32| !q.get(v as usize);
    ws.rpar.clear();
    ws.rpar.resize(n, NONE);
    ws.tarjan.reset();
    let mut order = std::mem::take(&mut ws.order);
    order.clear();
    let outcome = search(g, &bad, p, ws, &mut order);
    ws.order = order;
    outcome
}

fn search(
    g: &Graph,
    bad: &dyn Fn(u32) -> bool,
    p: Option<&BitSet>,
    ws: &mut Workspace,
    order: &mut Vec<u32>,
) -> Outcome {
    let n = g.len() as u32;
    let starts: Box<dyn Iterator<Item = u32>> = match p {
        None => Box::new(0..g.num_init),
        Some(p) => Box::new((0..n).filter(move |&v| p.get(v as usize))),
    };
    for v in starts {
        if bad(v) && ws.rpar[v as usize] == NONE {
            ws.rpar[v as usize] = v;
            order.push(v);
        }
    }
    // BFS through B; the first deadlock met is a (shortest) counterexample.
    let mut head = 0;
    while head < order.len() {
        let v = order[head];
        head += 1;
        let (ts, _) = g.out(v);
        if ts.is_empty() {
            let path = prefix(g, &ws.rpar, v);
            return Outcome {
                result: LiveResult::Violated(Lasso {
                    path,
                    loop_start: None,
                }),
                assumed: Vec::new(),
            };
        }
        for &t in ts {
            if ws.rpar[t as usize] == NONE && bad(t) {
                ws.rpar[t as usize] = v;
                order.push(t);
            }
        }
    }
    for &v in order.iter() {
        ws.tarjan.nodes[v as usize].region = 0;
    }
    let mut assumed = Vec::new();
    let mut next_id = 1u32;
    let mut work: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut current: Option<(u32, Vec<u32>)> = None;
    // Region ids of the fair SCCs found (a bitset), and what the first few
    // of them need from a loop.
    let mut fair: Vec<u64> = Vec::new();
    let mut infos: HashMap<u32, FairInfo> = HashMap::new();
    loop {
        let (r, verts): (u32, &[u32]) = match &current {
            None => (0, order),
            Some((r, v)) => (*r, v),
        };
        let cls = &mut ws.cls;
        let ok = ws.tarjan.run(
            &g.offsets,
            &g.targets,
            r,
            verts,
            &mut next_id,
            &mut |nodes, id, members| match examine(g, nodes, id, members, cls, &mut assumed) {
                Exam::NoCycle => {}
                Exam::Refine(kept) => {
                    if !kept.is_empty() {
                        work.push((id, kept));
                    }
                }
                Exam::Fair(info) => {
                    if infos.len() < 4096 {
                        infos.insert(id, info);
                    }
                    let i = id as usize;
                    if fair.len() <= i / 64 {
                        fair.resize(i / 64 + 1, 0);
                    }
                    fair[i / 64] |= 1 << (i % 64);
                }
            },
        );
        if !ok {
            return Outcome {
                result: LiveResult::Unknown,
                assumed: Vec::new(),
            };
        }
        match work.pop() {
            Some(w) => current = Some(w),
            None => break,
        }
    }
    // Of all fair SCCs, report the one entered first in BFS order from the
    // starts (shortest prefix).
    let is_fair = |id: u32| {
        let i = id as usize;
        fair.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    };
    let mut winner: Option<(u32, u32)> = None; // (entry, region id)
    let mut members = Vec::new();
    for &v in order.iter() {
        let r = ws.tarjan.nodes[v as usize].region;
        match winner {
            None if r != NONE && is_fair(r) => {
                winner = Some((v, r));
                members.push(v);
            }
            Some((_, id)) if r == id => members.push(v),
            _ => {}
        }
    }
    if let Some((entry, id)) = winner {
        let info = match infos.remove(&id) {
            Some(info) => Some(info),
            None => {
                let mut ignored = Vec::new();
                match examine(
                    g,
                    &mut ws.tarjan.nodes,
                    id,
                    &members,
                    &mut ws.cls,
                    &mut ignored,
                ) {
                    Exam::Fair(info) => Some(info),
                    _ => None,
                }
            }
        };
        if let Some(info) = info {
            let mut path = prefix(g, &ws.rpar, entry);
            let loop_start = path.len() - 1;
            path.extend(
                fair_loop(g, &mut ws.tarjan.nodes, id, &members, entry, &info)
                    .into_iter()
                    .map(|(v, c)| (v, Some(c))),
            );
            let mut assumed: Vec<u32> = info
                .enabled
                .into_iter()
                .filter(|&c| g.class_kinds[c as usize] != Fairness::Unfair)
                .collect();
            assumed.sort_unstable();
            return Outcome {
                result: LiveResult::Violated(Lasso {
                    path,
                    loop_start: Some(loop_start),
                }),
                assumed,
            };
        }
        return Outcome {
            result: LiveResult::Unknown,
            assumed: Vec::new(),
        };
    }
    assumed.sort_unstable();
    assumed.dedup();
    Outcome {
        result: LiveResult::Holds,
        assumed,
    }
}

/// The path init -> ... -> start -> ... -> v: the restricted BFS tree
/// (`rpar`, whose roots point to themselves) back to its start, then the
/// global BFS tree back to an initial state.
fn prefix(g: &Graph, rpar: &[u32], v: u32) -> Vec<(u32, Option<u32>)> {
    let mut chain = vec![v];
    let mut cur = v;
    while let Some(&p) = rpar.get(cur as usize) {
        if p == cur || p == NONE {
            break;
        }
        chain.push(p);
        cur = p;
    }
    let mut path = g.tree_path(cur);
    path.pop();
    path.extend(chain.into_iter().rev());
    path.into_iter().map(|v| (v, None)).collect()
}
