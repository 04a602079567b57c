//! Turning a path through a wire model into steps a person can read: what happened,
//! which endpoint changed state, which segments were sent, expired or lost.

use crate::wire::{InFlight, Wire, WireAction, WireActor, WireState};
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// A message on the wire, as reports show it.
pub trait Envelope {
    /// tcpdump-style label: `SYN seq=0`, `GET /mypage?userid=0 HTTP/1.1`.
    fn label(&self) -> String;
    /// Control bits as tcpdump letters (A for ACK), when the message is a segment.
    fn flags(&self) -> Option<String>;
    fn seq(&self) -> Option<u32>;
    fn ack(&self) -> Option<u32>;
    fn len(&self) -> u32;
    /// Ghost incarnation, for marking old segments.
    fn incarnation(&self) -> Option<u8>;
}

/// An actor's state, as reports show it.
pub trait Lifeline {
    /// The state name on its lifeline (`SYN-SENT`, `waiting for DNS`).
    fn phase(&self) -> String;
    /// The connection the lifeline follows, for an actor that opens several in turn
    /// (the browser's `conn 1` after a retry). Renderers mark a change of connection
    /// apart from the state name.
    fn connection(&self) -> Option<u32> {
        None
    }
    /// The call the application made in a step that changed `self` into `after`, when
    /// that step was its turn ([`TimerName::is_app_turn`]): `SEND`, `CLOSE`; `None`
    /// when it made none.
    fn call_made(&self, _after: &Self) -> Option<String> {
        None
    }
}

/// A timer, as reports name its firing.
pub trait TimerName {
    /// `retransmission timer fires`, `the application's next call`.
    fn describe(&self) -> String;
    /// Whether this timer is the application's turn to call: the narration then says
    /// which call it made ([`Lifeline::call_made`]) rather than [`Self::describe`].
    fn is_app_turn(&self) -> bool {
        false
    }
}

/// The `segment` of a JSON step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SegmentView {
    pub from: String,
    pub to: String,
    pub flags: String,
    pub seq: Option<u32>,
    pub ack: Option<u32>,
    pub len: u32,
}

/// One step, as every renderer sees it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Step {
    /// `init`, `deliver`, `deliver-keep-copy`, `drop`, `tick`, `timeout`, `choose`.
    pub action: String,
    pub summary: String,
    pub segment: Option<SegmentView>,
    /// Ticks elapsed before this step.
    #[serde(skip)]
    pub time: u32,
    /// Endpoint state changes: (role, from, to).
    #[serde(skip)]
    pub moves: Vec<(String, String, String)>,
    /// Actors whose lifeline moved to another connection in this step: (role, its
    /// number). Their entry in `moves` goes to that connection's state.
    #[serde(skip)]
    pub connections: Vec<(String, u32)>,
    /// Segments sent in this step: (from, to, label).
    #[serde(skip)]
    pub sent: Vec<(String, String, String)>,
    /// Segments that expired in this step (a tick): (from, to, label).
    #[serde(skip)]
    pub expired: Vec<(String, String, String)>,
    /// The phases of every actor after the step.
    #[serde(skip)]
    pub phases: Vec<String>,
    /// For a delivery: whether the segment was a copy left behind earlier.
    #[serde(skip)]
    pub duplicate: bool,
    /// For a delivery or a loss: the segment's label, as `sent` wrote it when it left.
    #[serde(skip)]
    pub label: Option<String>,
}

fn label_of<M: Envelope>(f: &InFlight<M>) -> String {
    let mut l = f.msg.label();
    if let Some(inc) = f.msg.incarnation() {
        l.push_str(&format!(" [inc {inc}]"));
    }
    l
}

/// `next` minus `prev` as multisets (the segments a step added).
fn added<'a, M: PartialEq>(prev: &[InFlight<M>], next: &'a [InFlight<M>]) -> Vec<&'a InFlight<M>> {
    let mut left: Vec<Option<&InFlight<M>>> = prev.iter().map(Some).collect();
    let mut out = Vec::new();
    for f in next {
        if let Some(slot) = left.iter_mut().find(|s| s.is_some_and(|p| p == f)) {
            *slot = None;
        } else {
            out.push(f);
        }
    }
    out
}

/// Narrates a path: `steps[0]` is the initial state, each later entry the action
/// taken and the state it led to.
pub fn narrate<A>(
    m: &Wire<A>,
    steps: &[(Option<crate::wire::ActionOf<A>>, crate::wire::StateOf<A>)],
) -> Vec<Step>
where
    A: WireActor,
    A::Msg: Envelope,
    A::State: Lifeline,
    A::Timer: TimerName,
    A::Random: Debug,
{
    let role = |i: usize| m.role(i);
    // With an ISN clock the states live in the clock's frame; readers see real numbers.
    let real = m.in_real_numbers(steps);
    let steps = &real[..];
    let mut out = Vec::with_capacity(steps.len());
    let mut time = 0u32;
    let phases = |s: &WireState<A::State, A::Msg, A::Timer, A::Random>| -> Vec<String> {
        s.actors.iter().map(Lifeline::phase).collect()
    };
    for (i, (action, next)) in steps.iter().enumerate() {
        let Some(action) = action else {
            let ph = phases(next);
            let who: Vec<String> = ph
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{} {p}", role(i)))
                .collect();
            let sent = next
                .flight
                .iter()
                .map(|f| (role(f.src as usize), role(f.dst as usize), label_of(f)))
                .collect();
            out.push(Step {
                action: "init".into(),
                summary: format!("start: {}", who.join(", ")),
                segment: None,
                time,
                moves: Vec::new(),
                connections: Vec::new(),
                sent,
                expired: Vec::new(),
                phases: ph,
                duplicate: false,
                label: None,
            });
            continue;
        };
        let prev = &steps[i - 1].1;
        let before = phases(prev);
        let after = phases(next);
        let connections: Vec<(String, u32)> = prev
            .actors
            .iter()
            .zip(&next.actors)
            .enumerate()
            .filter_map(|(i, (a, b))| match (a.connection(), b.connection()) {
                (x, Some(n)) if x != Some(n) => Some((role(i), n)),
                _ => None,
            })
            .collect();
        let switched = |who: &str| connections.iter().any(|(r, _)| r == who);
        let moves: Vec<(String, String, String)> = before
            .iter()
            .zip(&after)
            .enumerate()
            .filter(|(i, (a, b))| a != b || switched(&role(*i)))
            .map(|(i, (a, b))| (role(i), a.clone(), b.clone()))
            .collect();
        let mut segment = None;
        let mut expired = Vec::new();
        let mut duplicate = false;
        let mut label = None;
        let mut remaining: Vec<InFlight<A::Msg>> = prev.flight.clone();
        let (kind, summary) = match action {
            WireAction::Tick => {
                let msl = m.faults.msl;
                for f in prev.flight.iter().filter(|f| f.age >= msl) {
                    expired.push((role(f.src as usize), role(f.dst as usize), label_of(f)));
                }
                let s = format!("tick: t={}", time + 1);
                time += 1;
                remaining.clear();
                ("tick", s)
            }
            WireAction::Deliver {
                index,
                keep_copy,
                src,
                dst,
                msg,
            } => {
                let f = &prev.flight[*index];
                duplicate = f.delivered;
                label = Some(label_of(f));
                segment = Some(view(msg, role(*src), role(*dst)));
                if !keep_copy {
                    remaining.remove(*index);
                } else {
                    let mut c = remaining.remove(*index);
                    c.delivered = true;
                    remaining.push(c);
                }
                let mut s = format!("{} → {}  {}", role(*src), role(*dst), label_of(f));
                if duplicate {
                    s.push_str("  (a duplicate)");
                }
                if *keep_copy {
                    s.push_str("  (a copy stays in flight)");
                }
                (
                    if *keep_copy {
                        "deliver-keep-copy"
                    } else {
                        "deliver"
                    },
                    s,
                )
            }
            WireAction::Drop {
                index,
                src,
                dst,
                msg,
            } => {
                let f = &prev.flight[*index];
                label = Some(label_of(f));
                segment = Some(view(msg, role(*src), role(*dst)));
                remaining.remove(*index);
                (
                    "drop",
                    format!("{} → {}  {}  LOST", role(*src), role(*dst), label_of(f)),
                )
            }
            WireAction::Fire { actor, timer } => {
                let what = if timer.is_app_turn() {
                    match prev.actors[*actor].call_made(&next.actors[*actor]) {
                        Some(call) => format!("the application calls {call}"),
                        None => "the application's turn: it makes no call".into(),
                    }
                } else {
                    timer.describe()
                };
                ("timeout", format!("{}: {what}", role(*actor)))
            }
            WireAction::Choose { actor, key, value } => (
                "choose",
                format!("{}: chooses {key} = {value:?}", role(*actor)),
            ),
        };
        let sent = if matches!(action, WireAction::Tick) {
            Vec::new()
        } else {
            added(&remaining, &next.flight)
                .into_iter()
                .filter(|f| !f.delivered)
                .map(|f| (role(f.src as usize), role(f.dst as usize), label_of(f)))
                .collect()
        };
        let mut summary = summary;
        for (who, a, b) in &moves {
            match connections.iter().find(|(r, _)| r == who) {
                Some((_, n)) => {
                    summary.push_str(&format!("; {who} switches to {}: {b}", connection_name(*n)))
                }
                None => summary.push_str(&format!("; {who} {a} → {b}")),
            }
        }
        for (from, to, l) in &sent {
            summary.push_str(&format!("; {from} sends {l} to {to}"));
        }
        for (from, to, l) in &expired {
            summary.push_str(&format!("; {l} ({from} → {to}) expires"));
        }
        out.push(Step {
            action: kind.into(),
            summary,
            segment,
            time,
            moves,
            connections,
            sent,
            expired,
            phases: after,
            duplicate,
            label,
        });
    }
    out
}

/// How reports name an actor's connection number `n` (as segment labels do: `conn 1`).
pub fn connection_name(n: u32) -> String {
    format!("a new connection (conn {n})")
}

fn view<M: Envelope>(msg: &M, from: String, to: String) -> SegmentView {
    SegmentView {
        from,
        to,
        flags: msg.flags().unwrap_or_default(),
        seq: msg.seq(),
        ack: msg.ack(),
        len: msg.len(),
    }
}
