//! Per-action coverage (`synack check --coverage`): which kinds of action a run took,
//! how many transitions and new states each produced, and at which depth each first
//! appeared, in the manner of TLC's action coverage.
//!
//! The kinds come from the model: every actor declares what it may receive, which
//! timers it may fire and which choices it may make ([`ActionKinds`]), the network
//! adds time, loss and duplication when its faults allow them. A declared kind that
//! no run took is flagged: either a bound or the configuration keeps it out, or the
//! model has a handler that cannot be reached.

use super::engine::KindCount;
use crate::http::node::{Node, NodeTimer, Packet, Pick, Role};
use crate::tcp::endpoint::{Endpoint, Open, Timer};
use crate::tcp::segment::{Ctl, Segment};
use crate::tcp::tcb::TcpTimer;
use crate::wire::{ActionOf, Wire, WireAction, WireActor};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What one actor may do, by kind: the messages it may receive, the timers it may
/// fire, the random choices it may make.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declared {
    pub receives: Vec<&'static str>,
    pub timers: Vec<&'static str>,
    pub choices: Vec<&'static str>,
}

/// An actor that names the kinds of its messages, timers and choices.
pub trait ActionKinds: WireActor {
    fn msg_kind(msg: &Self::Msg) -> &'static str;
    fn timer_kind(timer: &Self::Timer) -> &'static str;
    fn choice_kind(value: &Self::Random) -> &'static str;
    /// The kinds this actor, as configured, has a handler for.
    fn declared(&self) -> Declared;
}

/// The kind of a TCP segment: by its control bits, and whether it carries data.
pub fn segment_kind(s: &Segment) -> &'static str {
    if s.ctl.has(Ctl::RST) {
        "RST"
    } else if s.ctl.has(Ctl::SYN | Ctl::ACK) {
        "SYN,ACK"
    } else if s.ctl.has(Ctl::SYN) {
        "SYN"
    } else if s.ctl.has(Ctl::FIN) {
        "FIN"
    } else if s.data.is_some() {
        "data"
    } else {
        "ACK"
    }
}

/// Every segment kind a TCP endpoint handles (RFC 9293 §3.10.7).
const SEGMENT_KINDS: [&str; 6] = ["SYN", "SYN,ACK", "ACK", "data", "FIN", "RST"];

fn tcp_timer_kind(t: &TcpTimer) -> &'static str {
    match t {
        TcpTimer::Retransmit => "retransmission",
        TcpTimer::TimeWait => "TIME-WAIT (2×MSL)",
        TcpTimer::FinWait2 => "FIN-WAIT-2 timeout",
        TcpTimer::DelayedAck => "delayed ACK",
    }
}

fn tcp_timers(cfg: &crate::tcp::tcb::TcpConfig) -> Vec<&'static str> {
    let mut v = vec!["retransmission", "TIME-WAIT (2×MSL)"];
    if cfg.fin_wait_2_timeout.is_some() {
        v.push("FIN-WAIT-2 timeout");
    }
    if cfg.delayed_ack {
        v.push("delayed ACK");
    }
    v
}

impl ActionKinds for Endpoint {
    fn msg_kind(msg: &Segment) -> &'static str {
        segment_kind(msg)
    }
    fn timer_kind(t: &Timer) -> &'static str {
        match t {
            Timer::Tcp(t) => tcp_timer_kind(t),
            Timer::App => "the application's next call",
            Timer::Reopen => "quiet time over: OPEN again",
            Timer::Crash => "crash",
            Timer::Connect => "SEND in LISTEN",
            Timer::Listen => "passive OPEN",
        }
    }
    fn choice_kind(_: &u8) -> &'static str {
        "ISN"
    }
    fn declared(&self) -> Declared {
        let c = &self.cfg;
        let mut timers = tcp_timers(&c.tcp);
        // The application's calls (SEND, CLOSE) are steps of their own.
        timers.push("the application's next call");
        if c.quiet_time > 0 && (c.incarnations > 1 || c.crash) {
            timers.push("quiet time over: OPEN again");
        }
        if c.crash {
            timers.push("crash");
        }
        if c.open == Open::ListenThenSend {
            timers.push("SEND in LISTEN");
        }
        if c.listen_step {
            timers.push("passive OPEN");
        }
        Declared {
            receives: SEGMENT_KINDS.to_vec(),
            timers,
            choices: vec!["ISN"],
        }
    }
}

impl ActionKinds for Node {
    fn msg_kind(msg: &Packet) -> &'static str {
        match msg {
            Packet::Tcp(_, s) => segment_kind(s),
            Packet::Udp(d) if d.message().is_some_and(|m| m.response) => "DNS reply",
            Packet::Udp(_) => "DNS query",
        }
    }
    fn timer_kind(t: &NodeTimer) -> &'static str {
        match t {
            NodeTimer::Tcp(_, t) => tcp_timer_kind(t),
            NodeTimer::DnsRetry => "DNS retransmission",
            NodeTimer::Deadline => "response deadline",
            NodeTimer::Next => "the user's next request",
            NodeTimer::Idle(_) => "idle close",
            NodeTimer::Continue => "stop waiting for 100 Continue",
        }
    }
    fn choice_kind(p: &Pick) -> &'static str {
        match p {
            Pick::Isn(_) => "ISN",
            Pick::Target(_) => "the link clicked",
            Pick::Method(_) => "the next request's method",
            Pick::Handling(..) => "how the origin handles a request",
            Pick::DnsQuery(..) => "the query's ID and port",
            Pick::Guess(..) => "the spoofer's guess",
        }
    }
    fn declared(&self) -> Declared {
        let c = &self.cfg;
        let tcp = || SEGMENT_KINDS.to_vec();
        match self.role {
            Role::Browser => {
                let mut receives = vec!["DNS reply"];
                receives.extend(tcp());
                let mut timers = tcp_timers(&c.tcp);
                timers.push("DNS retransmission");
                if c.deadline.is_some() {
                    timers.push("response deadline");
                }
                if c.keepalive.is_some() {
                    timers.push("the user's next request");
                }
                if c.expect_continue.is_some() {
                    timers.push("stop waiting for 100 Continue");
                }
                let mut choices = vec!["ISN"];
                if c.targets.len() > 1 {
                    choices.push("the link clicked");
                }
                if c.keepalive.is_some() {
                    choices.push("the next request's method");
                }
                if c.dns_ids.is_some() || c.dns_ports.len() > 1 {
                    choices.push("the query's ID and port");
                }
                Declared {
                    receives,
                    timers,
                    choices,
                }
            }
            Role::NameServer => Declared {
                receives: vec!["DNS query"],
                ..Declared::default()
            },
            // An off-path spoofer receives nothing; it picks guesses while it has
            // forgeries left.
            Role::Spoofer => Declared {
                choices: match &c.spoofer {
                    Some(sp) if sp.forgeries > 0 => vec!["the spoofer's guess"],
                    _ => Vec::new(),
                },
                ..Declared::default()
            },
            Role::Origin | Role::Gateway => {
                let mut timers = tcp_timers(&c.tcp);
                if self.role == Role::Origin && c.keepalive.is_some() {
                    timers.push("idle close");
                }
                if self.role == Role::Gateway {
                    timers.push("response deadline");
                }
                // The ISS of each connection it accepts (and the gateway's upstream).
                let mut choices = vec!["ISN"];
                if self.role == Role::Origin && c.modes() > 1 {
                    choices.push("how the origin handles a request");
                }
                Declared {
                    receives: tcp(),
                    timers,
                    choices,
                }
            }
        }
    }
}

/// Categories of action (the middle of a [`Wire::kind_table`] entry).
const TICK: u8 = 0;
const RECEIVE: u8 = 1;
const TIMER: u8 = 2;
const CHOICE: u8 = 3;
const LOSS: u8 = 4;
const DUPLICATION: u8 = 5;
/// The actor of the network's own actions.
const NETWORK: usize = usize::MAX;

/// The kinds of action of a wire model, in report order: time, then per actor what
/// it receives, its timers and its choices, then the network's faults.
fn kind_table<A: ActionKinds>(m: &Wire<A>) -> &[(usize, u8, &'static str)] {
    m.kind_table.get_or_init(|| {
        let mut v = vec![(NETWORK, TICK, "tick")];
        for (i, a) in m.actors.iter().enumerate() {
            let d = a.declared();
            v.extend(d.receives.iter().map(|k| (i, RECEIVE, *k)));
            v.extend(d.timers.iter().map(|k| (i, TIMER, *k)));
            v.extend(d.choices.iter().map(|k| (i, CHOICE, *k)));
        }
        if m.faults.loss {
            v.push((NETWORK, LOSS, "network loses a segment"));
        }
        if m.faults.duplication {
            v.push((NETWORK, DUPLICATION, "network delivers and keeps a copy"));
        }
        v
    })
}

/// The names of the kinds of action of a wire model: `tick`, `server receives SYN`,
/// `client timer: retransmission`, `client chooses ISN`, `network loses a segment`.
pub fn kinds<A: ActionKinds>(m: &Wire<A>) -> Vec<String> {
    kind_table(m)
        .iter()
        .map(|&(actor, cat, k)| match cat {
            RECEIVE => format!("{} receives {k}", m.role(actor)),
            TIMER => format!("{} timer: {k}", m.role(actor)),
            CHOICE => format!("{} chooses {k}", m.role(actor)),
            _ => k.to_string(),
        })
        .collect()
}

/// The index in [`kinds`] of `action` (`usize::MAX` if undeclared).
pub fn kind_of<A: ActionKinds>(m: &Wire<A>, action: &ActionOf<A>) -> usize {
    let key = match action {
        WireAction::Tick => (NETWORK, TICK, "tick"),
        WireAction::Deliver {
            keep_copy: true, ..
        } => (NETWORK, DUPLICATION, "network delivers and keeps a copy"),
        WireAction::Deliver { dst, msg, .. } => (*dst, RECEIVE, A::msg_kind(msg)),
        WireAction::Drop { .. } => (NETWORK, LOSS, "network loses a segment"),
        WireAction::Fire { actor, timer } => (*actor, TIMER, A::timer_kind(timer)),
        WireAction::Choose { actor, value, .. } => (*actor, CHOICE, A::choice_kind(value)),
    };
    kind_table(m)
        .iter()
        .position(|k| *k == key)
        .unwrap_or(usize::MAX)
}

/// One row of the coverage table (`coverage` in `check --json --coverage`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoverageRow {
    /// `tick`, `server receives SYN`, `client timer: retransmission`, ...
    pub action: String,
    /// Transitions taken, repeats included.
    pub transitions: u64,
    /// Transitions that reached a state for the first time.
    pub new_states: u64,
    /// The BFS depth of the first state where the action was taken; null if never.
    pub first_depth: Option<u32>,
    /// The model defines it but no run took it.
    pub never_taken: bool,
}

/// The coverage table from the engine's counts (`counts` has one entry more than
/// `names`: actions of no declared kind, shown only if there were any).
pub fn table(names: &[String], counts: &[KindCount]) -> Vec<CoverageRow> {
    let mut rows: Vec<CoverageRow> = names
        .iter()
        .zip(counts)
        .map(|(n, c)| CoverageRow {
            action: n.clone(),
            transitions: c.transitions,
            new_states: c.new_states,
            first_depth: c.first_depth,
            never_taken: c.transitions == 0,
        })
        .collect();
    if let Some(c) = counts.get(names.len()).filter(|c| c.transitions > 0) {
        rows.push(CoverageRow {
            action: "(an action of no declared kind)".into(),
            transitions: c.transitions,
            new_states: c.new_states,
            first_depth: c.first_depth,
            never_taken: false,
        });
    }
    rows
}

/// The coverage table as text.
pub fn render(rows: &[CoverageRow], complete: bool) -> String {
    let mut o = String::new();
    let w = rows
        .iter()
        .map(|r| r.action.chars().count())
        .max()
        .unwrap_or(6);
    let _ = writeln!(
        o,
        "  coverage{}:",
        if complete {
            ""
        } else {
            " (of the states explored before the run stopped)"
        }
    );
    let _ = writeln!(
        o,
        "    {:<w$}  {:>12}  {:>12}  {:>5}",
        "action", "transitions", "new states", "depth"
    );
    for r in rows {
        let depth = r.first_depth.map_or("-".to_string(), |d| d.to_string());
        let _ = write!(
            o,
            "    {:<w$}  {:>12}  {:>12}  {:>5}",
            r.action,
            crate::report::thousands(r.transitions),
            crate::report::thousands(r.new_states),
            depth
        );
        if r.never_taken {
            let _ = write!(o, "  NEVER TAKEN");
        }
        let _ = writeln!(o);
    }
    let never = rows.iter().filter(|r| r.never_taken).count();
    if never > 0 && complete {
        let _ = writeln!(
            o,
            "    {never} kind(s) of action the model defines were never taken: a bound or \
             the configuration keeps them out, or a handler cannot be reached"
        );
    } else if never > 0 {
        let _ = writeln!(
            o,
            "    {never} kind(s) of action the model defines were not taken before the run \
             stopped"
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_kinds_follow_the_control_bits() {
        let s = |c| Segment::new(c, 0, 1, 0);
        assert_eq!(segment_kind(&s(Ctl::SYN)), "SYN");
        assert_eq!(segment_kind(&s(Ctl::SYN | Ctl::ACK)), "SYN,ACK");
        assert_eq!(segment_kind(&s(Ctl::ACK)), "ACK");
        assert_eq!(segment_kind(&s(Ctl::FIN | Ctl::ACK)), "FIN");
        assert_eq!(segment_kind(&s(Ctl::RST | Ctl::ACK)), "RST");
        let d = s(Ctl::PSH | Ctl::ACK).with_data(crate::tcp::Payload::from(&b"x"[..]));
        assert_eq!(segment_kind(&d), "data");
    }

    #[test]
    fn counts_beyond_the_declared_kinds_get_a_row_of_their_own() {
        let names = vec!["tick".to_string(), "a receives SYN".to_string()];
        let c = |t, n, d| KindCount {
            transitions: t,
            new_states: n,
            first_depth: d,
        };
        let rows = table(&names, &[c(5, 3, Some(0)), c(0, 0, None), c(2, 1, Some(4))]);
        assert_eq!(rows.len(), 3);
        assert!(!rows[0].never_taken);
        assert!(rows[1].never_taken);
        assert_eq!(rows[2].transitions, 2);
        let rows = table(&names, &[c(5, 3, Some(0)), c(1, 0, Some(2)), c(0, 0, None)]);
        assert_eq!(rows.len(), 2);
        assert!(render(&rows, true).contains("a receives SYN"));
        assert!(!render(&rows, true).contains("NEVER"));
    }
}
