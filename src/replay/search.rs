//! Does the model have a run whose observable events are the trace's lines, in order?
//!
//! Observable are the segments an endpoint sends (a capture sees a segment when it
//! leaves its sender), the application calls (when the trace records any), and the
//! states the trace asserts. Everything else is unobservable and searched: ticks,
//! deliveries, losses, duplicates, timers that fire without sending, ISN choices. The
//! search is breadth-first, line by line: from every state that matched the lines so
//! far it explores at most `max_steps` unobservable steps before the next line.
//!
//! Sequence numbers are compared relative to each endpoint's ISN (the sequence number
//! of its latest SYN; 0 for an endpoint that has sent none), modulo the scenario's
//! sequence space.

use super::trace::{compared, Call, Item, Line, SegLine};
use crate::tcp::model::{TcpAction, TcpModel, TcpState};
use crate::tcp::{Host, Segment};
use crate::wire::WireAction;
use stateright::actor::{Actor, Command, Id, Out};
use stateright::Model;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

/// The bounds of a replay.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Unobservable steps between two lines.
    pub max_steps: usize,
    /// States searched in all (the search is then incomplete).
    pub max_states: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_steps: 24,
            max_states: 2_000_000,
        }
    }
}

/// The result of a replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub accepted: bool,
    /// False when `max_states` stopped the search before it decided.
    pub complete: bool,
    /// States searched (a state with its position in the trace counts once).
    pub states: usize,
    /// Lines matched by the run that got furthest.
    pub matched: usize,
    /// What the model could have done where the furthest run stopped: the events it
    /// could produce, rendered as trace lines.
    pub allowed: BTreeSet<String>,
    /// The endpoint states where the furthest run stopped.
    pub states_there: BTreeSet<String>,
}

/// A search node: the model's state and each endpoint's ISN as the trace counts it.
#[derive(Clone, Debug, PartialEq, Hash)]
struct Node(TcpState, [Option<u8>; 2]);

// The wire state's equality is an equivalence (it leaves out only the ISN clock's
// reading, which its hash leaves out too).
impl Eq for Node {}

/// What a step does that a trace can see, in order: the application call, then the
/// segments it sends.
fn step(m: &TcpModel, node: &Node, a: &TcpAction, calls: bool) -> Option<(Node, Vec<Item>)> {
    let Node(s, isn) = node;
    let next = m.next_state(s, a.clone())?;
    let mut isn = *isn;
    let sp = m.actors[0].cfg.tcp.space;
    let mut out: Out<crate::tcp::Endpoint> = Out::new();
    let actor = match a {
        WireAction::Tick => {
            // With an ISN clock the state lives in the clock's frame: every tick moves
            // every sequence number back by the clock's rate, the ISNs too.
            if let Some(c) = &m.clock {
                for x in isn.iter_mut().flatten() {
                    *x = sp.sub(*x, c.rate);
                }
            }
            return Some((Node(next, isn), Vec::new()));
        }
        WireAction::Drop { .. } => return Some((Node(next, isn), Vec::new())),
        WireAction::Deliver { src, dst, msg, .. } => {
            let mut st = Cow::Borrowed(&s.actors[*dst]);
            m.actors[*dst].on_msg(Id::from(*dst), &mut st, Id::from(*src), *msg, &mut out);
            *dst
        }
        WireAction::Fire { actor, timer } => {
            let mut st = Cow::Borrowed(&s.actors[*actor]);
            m.actors[*actor].on_timeout(Id::from(*actor), &mut st, timer, &mut out);
            *actor
        }
        WireAction::Choose { actor, value, .. } => {
            let mut st = Cow::Borrowed(&s.actors[*actor]);
            m.actors[*actor].on_random(Id::from(*actor), &mut st, value, &mut out);
            *actor
        }
    };
    let mut events = Vec::new();
    if calls {
        events.extend(
            app_calls(&s.actors[actor], &next.actors[actor], a)
                .into_iter()
                .map(|c| Item::Call(actor, c)),
        );
    }
    for c in out {
        if let Command::Send(dst, seg) = c {
            let to: usize = dst.into();
            if seg.syn() {
                isn[actor] = Some(seg.seq);
            }
            events.push(Item::Seg(relative(&seg, actor, to, &isn, sp)));
        }
    }
    Some((Node(next, isn), events))
}

/// The application calls a step made, in order.
fn app_calls(p: &Host, n: &Host, a: &TcpAction) -> Vec<Call> {
    use crate::tcp::Timer;
    let mut calls = Vec::new();
    if !p.crashed && n.crashed {
        calls.push(Call::Crash);
    }
    let app = matches!(
        a,
        WireAction::Fire {
            timer: Timer::App,
            ..
        }
    );
    // A CLOSE that ends the connection may open the next one in the same step, which
    // clears the flag again.
    if !p.app_closed && (n.app_closed || app && n.opened > p.opened) {
        calls.push(Call::Close);
    }
    if n.opened > p.opened
        || matches!(
            a,
            WireAction::Fire {
                timer: Timer::Listen,
                ..
            }
        ) && p.tcb.state != n.tcb.state
    {
        calls.push(Call::Open);
    }
    if n.sent > p.sent {
        calls.push(Call::Send);
    }
    calls
}

/// A model segment as a trace line: numbers relative to the ISNs.
fn relative(
    seg: &Segment,
    from: usize,
    to: usize,
    isn: &[Option<u8>; 2],
    sp: crate::tcp::SeqSpace,
) -> SegLine {
    SegLine {
        from,
        to,
        ctl: compared(seg.ctl),
        seq: sp.sub(seg.seq, isn[from].unwrap_or(0)) as i64,
        ack: seg
            .is_ack()
            .then(|| sp.sub(seg.ack, isn[to].unwrap_or(0)) as i64),
        len: seg.data.is_some() as u8,
    }
}

/// Whether a trace line shows a model event: sequence numbers modulo the space.
fn same(line: &Item, event: &Item, space: i64) -> bool {
    match (line, event) {
        (Item::Seg(l), Item::Seg(e)) => {
            l.from == e.from
                && l.to == e.to
                && l.ctl == e.ctl
                && l.len == e.len
                && l.seq.rem_euclid(space) == e.seq
                && l.ack.map(|a| a.rem_euclid(space)) == e.ack
        }
        _ => line == event,
    }
}

/// Whether a state assertion holds in `s`.
fn holds(item: &Item, s: &TcpState) -> bool {
    match item {
        Item::State(w, st) => s.actors[*w].tcb.state == *st,
        _ => false,
    }
}

/// Matches a step's events against the lines from `pos` on; state assertions between
/// (and just before) its events are checked against the state after the step. The position
/// after the last event, if they all match.
fn match_events(
    lines: &[Line],
    pos: usize,
    events: &[Item],
    after: &TcpState,
    space: i64,
) -> Option<usize> {
    let mut p = pos;
    for (i, e) in events.iter().enumerate() {
        // A step is atomic: a state it enters may be asserted before the segment it
        // sends on the way (a SYN arrives, SYN-RECEIVED, the SYN,ACK leaves).
        while p < lines.len() && matches!(lines[p].item, Item::State(..)) {
            if !holds(&lines[p].item, after) {
                if i == 0 {
                    break;
                }
                return None;
            }
            p += 1;
        }
        if p >= lines.len() || !same(&lines[p].item, e, space) {
            return None;
        }
        p += 1;
    }
    Some(p)
}

/// Replays `lines` against the model.
pub fn replay(m: &TcpModel, lines: &[Line], b: Bounds) -> Verdict {
    let calls = lines.iter().any(|l| matches!(l.item, Item::Call(..)));
    let space = m.actors[0].cfg.tcp.space.0 as i64;
    let roles = &m.roles;
    let mut frontiers: BTreeMap<usize, Vec<Node>> = BTreeMap::new();
    frontiers.insert(
        0,
        m.init_states()
            .into_iter()
            .map(|s| Node(s, [None, None]))
            .collect(),
    );
    let mut v = Verdict {
        accepted: false,
        complete: true,
        states: 0,
        matched: 0,
        allowed: BTreeSet::new(),
        states_there: BTreeSet::new(),
    };
    let mut entered: BTreeMap<usize, HashSet<Node>> = BTreeMap::new();
    let mut actions = Vec::new();
    while let Some((pos, nodes)) = frontiers.pop_first() {
        entered.remove(&pos);
        v.matched = pos;
        v.allowed.clear();
        v.states_there.clear();
        if pos == lines.len() {
            v.accepted = true;
            return v;
        }
        let line = &lines[pos].item;
        let mut seen: HashSet<Node> = HashSet::new();
        let mut queue: VecDeque<(Node, usize)> = VecDeque::new();
        for n in nodes {
            if seen.insert(n.clone()) {
                queue.push_back((n, 0));
            }
        }
        while let Some((node, depth)) = queue.pop_front() {
            v.states += 1;
            if v.states > b.max_states {
                v.complete = false;
                return v;
            }
            let phases: Vec<String> = node
                .0
                .actors
                .iter()
                .enumerate()
                .map(|(i, h)| format!("@{} {}", roles[i], h.tcb.state.name()))
                .collect();
            v.states_there.insert(phases.join(", "));
            if holds(line, &node.0) {
                push(&mut frontiers, &mut entered, pos + 1, node.clone());
            }
            actions.clear();
            m.actions(&node.0, &mut actions);
            for a in &actions {
                let Some((next, events)) = step(m, &node, a, calls) else {
                    continue;
                };
                if events.is_empty() {
                    if depth < b.max_steps && seen.insert(next.clone()) {
                        queue.push_back((next, depth + 1));
                    }
                    continue;
                }
                match match_events(lines, pos, &events, &next.0, space) {
                    Some(p) => push(&mut frontiers, &mut entered, p, next),
                    None => {
                        v.allowed.insert(events[0].render(roles));
                    }
                }
            }
        }
    }
    v
}

/// A path of the model (as the checker's traces hold it) as trace lines that
/// [`replay`] accepts: the endpoints' initial states, then per step the states it
/// entered and the segments it sent. Also the `max_steps` the replay needs: the longest stretch of steps that show
/// no line (at least the default bound).
pub fn lines_of_path(m: &TcpModel, steps: &[(Option<TcpAction>, TcpState)]) -> (Vec<Item>, usize) {
    let mut lines = Vec::new();
    let mut quiet = 0usize;
    let mut need = Bounds::default().max_steps;
    let Some((_, first)) = steps.first() else {
        return (lines, need);
    };
    // The endpoints' initial states, so that even a path of no step is a trace.
    lines.extend(
        first
            .actors
            .iter()
            .enumerate()
            .map(|(i, h)| Item::State(i, h.tcb.state)),
    );
    let mut node = Node(first.clone(), [None, None]);
    for (a, _) in &steps[1..] {
        let Some(a) = a else { continue };
        let Some((next, events)) = step(m, &node, a, false) else {
            break;
        };
        let entered: Vec<Item> = (0..next.0.actors.len())
            .filter(|&i| node.0.actors[i].tcb.state != next.0.actors[i].tcb.state)
            .map(|i| Item::State(i, next.0.actors[i].tcb.state))
            .collect();
        if events.is_empty() {
            // An unobservable step: the search takes it within its bound, and a state
            // it enters is matched in the state it leads to.
            quiet += 1;
        }
        if !events.is_empty() || !entered.is_empty() {
            need = need.max(quiet);
            quiet = 0;
        }
        lines.extend(entered);
        lines.extend(events);
        node = next;
    }
    (lines, need)
}

fn push(
    frontiers: &mut BTreeMap<usize, Vec<Node>>,
    entered: &mut BTreeMap<usize, HashSet<Node>>,
    pos: usize,
    n: Node,
) {
    if entered.entry(pos).or_default().insert(n.clone()) {
        frontiers.entry(pos).or_default().push(n);
    }
}

#[cfg(test)]
mod tests {
    use super::super::trace::parse;
    use super::*;

    fn model(name: &str) -> TcpModel {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(format!("{name}.toml"));
        crate::tcp::model::build(&crate::scenario::Scenario::load(&path).unwrap())
    }

    fn run(name: &str, trace: &str) -> Verdict {
        let m = model(name);
        replay(&m, &parse(trace, &m.roles).unwrap(), Bounds::default())
    }

    const HANDSHAKE: &str = "client > server: Flags [S], seq 0
server > client: Flags [S.], seq 0, ack 1
client > server: Flags [.], seq 1, ack 1
@server ESTABLISHED
";

    #[test]
    fn test_a_walked_path_as_trace_lines_is_accepted() {
        use crate::check::engine::Prop;
        use crate::simulate::walk::{replay_path, sample, Walks};
        let m = model("tcp-teardown");
        let props = vec![
            Prop::sometimes("time-wait", crate::tcp::model::reaches_time_wait),
            Prop::sometimes("start", crate::tcp::model::reaches_listen),
        ];
        let w = Walks {
            seed: 5,
            runs: 50,
            depth: 80,
            threads: 1,
            shard: crate::check::shard::Shard::WHOLE,
            timeout: None,
        };
        let found = sample(&m, &props, &w);
        for p in &found.props {
            let path = &p.first.as_ref().expect("found").path;
            let steps = replay_path(&m, path).unwrap();
            let (lines, max_steps) = lines_of_path(&m, &steps);
            // The initial states come first: a path of no step is still a trace.
            assert_eq!(
                lines[..2],
                [
                    Item::State(0, crate::tcp::State::Closed),
                    Item::State(1, crate::tcp::State::Listen)
                ]
            );
            let lines: Vec<Line> = lines
                .into_iter()
                .enumerate()
                .map(|(i, item)| Line {
                    number: i + 1,
                    item,
                })
                .collect();
            let b = Bounds {
                max_steps,
                ..Bounds::default()
            };
            let v = replay(&m, &lines, b);
            assert!(v.accepted, "{} steps: {v:?}", steps.len() - 1);
        }
    }

    #[test]
    fn test_listen_three_way_handshake_is_accepted() {
        let v = run("tcp-handshake", HANDSHAKE);
        assert!(v.accepted && v.complete, "{v:?}");
        assert_eq!(v.matched, 4);
    }

    #[test]
    fn test_syn_received_is_not_established_before_the_ack() {
        let v = run(
            "tcp-handshake",
            "client > server: Flags [S], seq 0\nserver > client: Flags [S.], seq 0, ack 1\n@server ESTABLISHED\n",
        );
        assert!(!v.accepted && v.complete);
        assert_eq!(v.matched, 2);
        assert!(v
            .allowed
            .contains("client > server: Flags [.], seq 1, ack 1, length 0"));
        assert!(v
            .states_there
            .contains("@client SYN-SENT, @server SYN-RECEIVED"));
    }

    #[test]
    fn test_numbers_are_relative_and_compared_modulo_the_space() {
        // The space of tcp-handshake is 8: seq 8 is seq 0.
        let v = run(
            "tcp-handshake",
            &HANDSHAKE.replace("seq 1, ack 1", "seq 9, ack -7"),
        );
        assert!(v.accepted, "{v:?}");
        let v = run(
            "tcp-handshake",
            &HANDSHAKE.replace("seq 1, ack 1", "seq 2, ack 1"),
        );
        assert!(!v.accepted);
    }

    #[test]
    fn test_calls_count_once_the_trace_records_one() {
        // Without calls in the trace, the client's CLOSE is unobservable.
        let fin = "client > server: Flags [F.], seq 1, ack 1\n";
        assert!(run("tcp-handshake", &format!("{HANDSHAKE}{fin}")).accepted);
        // With the CLOSE recorded, the FIN follows it.
        let v = run("tcp-handshake", &format!("{HANDSHAKE}!client CLOSE\n{fin}"));
        assert!(v.accepted, "{v:?}");
        // Once one call is recorded, a CLOSE the trace leaves out is a mismatch.
        let v = run("tcp-handshake", &format!("{HANDSHAKE}{fin}!server CLOSE\n"));
        assert!(!v.accepted);
        assert!(v.allowed.contains("!client CLOSE"), "{v:?}");
        // tcp-handshake's server sends no data.
        let v = run("tcp-handshake", &format!("{HANDSHAKE}!server SEND\n"));
        assert!(!v.accepted);
    }

    #[test]
    fn test_the_state_budget_leaves_the_replay_undecided() {
        let m = model("tcp-handshake");
        let lines = parse(HANDSHAKE, &m.roles).unwrap();
        let v = replay(
            &m,
            &lines,
            Bounds {
                max_steps: 24,
                max_states: 3,
            },
        );
        assert!(!v.accepted && !v.complete);
    }
}
