//! `synack transitions`: every endpoint state transition seen in a scenario's
//! explored state space, with its cause, to compare with RFC 9293 Figure 5.

use super::limits::Watch;
use crate::cli::GraphFormat;
use crate::scenario::Scenario;
use crate::tcp::model::{build, TcpAction, TcpModel, TcpState};
use crate::tcp::{Open, State, TcpTimer, Timer};
use crate::wire::WireAction;
use serde::Serialize;
use stateright::Model;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::fmt::Write;
use std::time::{Duration, Instant};

/// One transition: `actor` moved `from` → `to` because of `cause`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Transition {
    pub actor: String,
    pub from: String,
    pub to: String,
    pub cause: String,
}

fn sent_flags(prev: &TcpState, next: &TcpState, actor: usize) -> Vec<String> {
    let mut before: Vec<_> = prev
        .flight
        .iter()
        .filter(|f| f.src as usize == actor)
        .collect();
    let mut out = Vec::new();
    for f in next
        .flight
        .iter()
        .filter(|f| f.src as usize == actor && f.age == 0 && !f.delivered)
    {
        if let Some(i) = before.iter().position(|g| *g == f) {
            before.remove(i);
        } else {
            out.push(f.msg.ctl.names().replace("PSH,", ""));
        }
    }
    out
}

/// The cause of `actor`'s move in one step.
fn cause(m: &TcpModel, prev: &TcpState, a: &TcpAction, next: &TcpState, actor: usize) -> String {
    let to = next.actors[actor].tcb.state;
    let what = match a {
        WireAction::Deliver { msg, .. } => format!("rcv {}", msg.ctl.names().replace("PSH,", "")),
        WireAction::Fire { timer, .. } => match timer {
            Timer::Tcp(TcpTimer::Retransmit)
                if to == State::Closed
                    || prev.actors[actor].tcb.state != to && to == State::Listen =>
            {
                "user timeout: retries exhausted (abort, no RST)".into()
            }
            Timer::Tcp(TcpTimer::Retransmit) => "retransmission timeout".into(),
            Timer::Tcp(TcpTimer::TimeWait) => "2MSL timeout".into(),
            Timer::Tcp(TcpTimer::FinWait2) => "FIN-WAIT-2 timeout (not RFC 9293)".into(),
            Timer::Tcp(TcpTimer::DelayedAck) => "delayed-ACK timeout".into(),
            Timer::Listen => "passive OPEN".into(),
            Timer::App => "CLOSE".into(),
            Timer::Reopen => "active OPEN".into(),
            Timer::Crash => "crash: the host loses its TCB".into(),
            Timer::Connect => "SEND".into(),
        },
        WireAction::Choose { .. } => {
            if prev.actors[actor].tcb.pending_syn.is_some() {
                "rcv SYN".into()
            } else if prev.actors[actor].tcb.state == State::Listen {
                "SEND".into()
            } else {
                "active OPEN".into()
            }
        }
        WireAction::Tick | WireAction::Drop { .. } => "time".into(),
    };
    let _ = m;
    let sent = sent_flags(prev, next, actor);
    if sent.is_empty() {
        what
    } else {
        format!("{what} / snd {}", sent.join(" "))
    }
}

/// Explores the scenario's whole state space and collects its transitions.
pub fn of(scn: &Scenario) -> BTreeSet<Transition> {
    bounded(scn, &Bounds::default()).transitions
}

/// The bounds of a `transitions` run, as for `check`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    pub max_states: Option<usize>,
    pub max_memory: Option<u64>,
    pub timeout: Option<Duration>,
}

/// The transitions seen, and whether the whole state space was explored.
pub struct Explored {
    pub transitions: BTreeSet<Transition>,
    pub complete: bool,
    /// Why the exploration stopped early.
    pub stopped: Option<String>,
}

/// States explored between two looks at the clock, the memory and the signals.
const POLL_EVERY: usize = 4096;

/// Explores the scenario's state space within `bounds` and collects its transitions.
pub fn bounded(scn: &Scenario, bounds: &Bounds) -> Explored {
    let m = build(scn);
    let start = Instant::now();
    let watch = Watch::new(bounds.max_memory);
    let limit = bounds.max_states.unwrap_or(usize::MAX);
    let mut stopped = None;
    let mut seen: HashSet<u64> = HashSet::new();
    let mut queue: VecDeque<TcpState> = VecDeque::new();
    let mut out = BTreeSet::new();
    for s in m.init_states() {
        if seen.len() >= limit {
            stopped = Some(format!("reached --max-states {limit}"));
            break;
        }
        if seen.insert(crate::wire::key_of(&s)) {
            queue.push_back(s);
        }
    }
    let mut actions = Vec::new();
    let mut popped = 0usize;
    while stopped.is_none() {
        let Some(s) = queue.pop_front() else { break };
        popped += 1;
        if popped.is_multiple_of(POLL_EVERY) {
            if watch.poll() {
                stopped = watch.why().map(|w| w.describe());
                break;
            }
            if bounds.timeout.is_some_and(|t| start.elapsed() >= t) {
                stopped = Some("reached --timeout".into());
                break;
            }
        }
        actions.clear();
        m.actions(&s, &mut actions);
        for a in actions.drain(..) {
            let Some(n) = m.next_state(&s, a.clone()) else {
                continue;
            };
            for i in 0..s.actors.len() {
                let (from, to) = (s.actors[i].tcb.state, n.actors[i].tcb.state);
                if from == to
                    && !(from == State::TimeWait
                        && matches!(&a, WireAction::Deliver { dst, msg, .. } if *dst == i && msg.fin()))
                {
                    continue;
                }
                let role = m.roles[i].clone();
                let c = cause(&m, &s, &a, &n, i);
                let passive = m.actors[i].cfg.open == Open::Passive;
                // A passive server that closes listens again in the same step: show
                // the RFC's move to CLOSED and the new passive OPEN separately. Note 1
                // (SYN-RECEIVED back to LISTEN on RST or SYN) is a move of its own.
                let note1 = from == State::SynReceived
                    && matches!(&a, WireAction::Deliver { msg, .. } if msg.rst() || msg.syn());
                if passive && to == State::Listen && from != State::Closed && !note1 {
                    out.insert(Transition {
                        actor: role.clone(),
                        from: from.name().into(),
                        to: "CLOSED".into(),
                        cause: c,
                    });
                    out.insert(Transition {
                        actor: role,
                        from: "CLOSED".into(),
                        to: "LISTEN".into(),
                        cause: "passive OPEN".into(),
                    });
                } else {
                    out.insert(Transition {
                        actor: role,
                        from: from.name().into(),
                        to: to.name().into(),
                        cause: c,
                    });
                }
            }
            let key = crate::wire::key_of(&n);
            if !seen.contains(&key) {
                if seen.len() >= limit {
                    stopped = Some(format!("reached --max-states {limit}"));
                    break;
                }
                seen.insert(key);
                queue.push_back(n);
            }
        }
    }
    Explored {
        transitions: out,
        complete: stopped.is_none(),
        stopped,
    }
}

/// Renders transitions as text, JSON, Graphviz dot or a Mermaid state diagram.
pub fn render(t: &BTreeSet<Transition>, f: GraphFormat) -> String {
    let mut o = String::new();
    match f {
        GraphFormat::Text => {
            for x in t {
                let _ = writeln!(
                    o,
                    "{:<7} {:<13} → {:<13} {}",
                    x.actor, x.from, x.to, x.cause
                );
            }
        }
        GraphFormat::Json => {
            let v: Vec<&Transition> = t.iter().collect();
            o = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
        }
        GraphFormat::Dot => {
            o.push_str("digraph transitions {\n    rankdir=TB;\n    node [shape=box];\n");
            for x in t {
                let _ = writeln!(
                    o,
                    "    \"{}\" -> \"{}\" [label=\"{}: {}\"];",
                    x.from,
                    x.to,
                    x.actor,
                    x.cause.replace('"', "'")
                );
            }
            o.push_str("}\n");
        }
        GraphFormat::Svg => o = super::figure5::svg(t),
        GraphFormat::Mermaid => {
            o.push_str("stateDiagram-v2\n");
            let id = |s: &str| s.replace('-', "_");
            let mut edges: BTreeSet<(String, String, String)> = BTreeSet::new();
            for x in t {
                edges.insert((x.from.clone(), x.to.clone(), x.cause.clone()));
            }
            let mut states = BTreeSet::new();
            for (a, b, _) in &edges {
                states.insert(a.clone());
                states.insert(b.clone());
            }
            for s in &states {
                let _ = writeln!(o, "    state \"{s}\" as {}", id(s));
            }
            for (a, b, c) in &edges {
                let _ = writeln!(o, "    {} --> {}: {}", id(a), id(b), c.replace(':', " -"));
            }
        }
    }
    o
}
