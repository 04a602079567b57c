//! HTTP/2 over the RFC 9293 TCP actors (`[h2] transport = "tcp"`): the browser and the
//! origin each hold one [`Tcb`], as the HTTP/1.1 page-load nodes do, and the frames'
//! octets are its payload on the timed wire, which may lose segments; the TCB
//! retransmits them.
//!
//! The HTTP/2 layer ([`super::node`]) is unchanged: it still writes [`Chunk`]s of
//! frame octets into its `Out`. This module is a hook around it. After each step,
//! [`outgoing`] takes those chunks out of the `Out` and writes their octets as one
//! TCP SEND (what the step wrote is one `write()`); when a segment arrives,
//! [`on_segment`] runs SEGMENT ARRIVES and hands the octets TCP delivers in order back
//! to the HTTP/2 layer, one preface or frame at a time.
//!
//! The bounds: one connection (no GOAWAY retry on a second one), fixed initial
//! sequence numbers (the ISN question is the TCP chapter's), and one TCP chunk per
//! step, which is one sequence number of the model's TCP.

use super::frame::{Frame, PREFACE};
use super::node::{Body, Browser, Chunk, H2Node, H2State, H2Timer, Role, Transport, BROWSER};
use super::node::{Origin, ORIGIN};
use crate::tcp::arrive::reset_for;
use crate::tcp::tcb::{Signals, TimerCmd};
use crate::tcp::{Effects, Payload, Segment, Signal, State, Tcb, TcpConfig, TcpTimer};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// One endpoint's TCP connection below the frames.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pipe {
    pub tcb: Tcb,
    /// Octets the HTTP/2 layer wrote before the connection opened (the browser's
    /// preface, SETTINGS and requests wait for the handshake).
    pub out: Vec<u8>,
    /// Octets TCP delivered that are not yet a whole frame.
    pub rx: Vec<u8>,
    /// The origin has read the client's preface.
    pub preface: bool,
    /// Ghost: the streams whose DATA frames this endpoint wrote into TCP, in order.
    pub written: Vec<u32>,
    /// Ghost: the end of the connection was handed to the HTTP/2 layer.
    pub ended: bool,
}

impl Pipe {
    fn new(tcb: Tcb) -> Self {
        Pipe {
            tcb,
            out: Vec::new(),
            rx: Vec::new(),
            preface: false,
            written: Vec::new(),
            ended: false,
        }
    }
}

fn tcp_cfg(node: &H2Node) -> &(TcpConfig, u8) {
    node.cfg
        .tcp
        .as_ref()
        .expect("validated: transport = \"tcp\" has a [tcp] table")
}

fn pipe_mut(st: &mut H2State) -> Option<&mut Pipe> {
    match st {
        H2State::Browser(b) => b.pipe.as_mut(),
        H2State::Origin(o) => o.pipe.as_mut(),
    }
}

fn peer(node: &H2Node) -> Id {
    Id::from(match node.role {
        Role::Browser => ORIGIN,
        Role::Origin => BROWSER,
    })
}

fn secs(t: u8) -> Duration {
    Duration::from_secs(t as u64)
}

/// The frames in a run of octets: each whole frame, in order (a preface first when
/// `preface`), and how many octets they take.
fn split(bytes: &[u8], preface: bool) -> (Vec<Body>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    if preface {
        if bytes.len() < PREFACE.len() {
            return (out, 0);
        }
        out.push(Body::Preface(bytes[..PREFACE.len()].to_vec()));
        at = PREFACE.len();
    }
    while bytes.len() >= at + 9 {
        let len =
            (bytes[at] as usize) << 16 | (bytes[at + 1] as usize) << 8 | bytes[at + 2] as usize;
        if bytes.len() < at + 9 + len {
            break;
        }
        out.push(Body::Frame(bytes[at..at + 9 + len].to_vec()));
        at += 9 + len;
    }
    (out, at)
}

/// The frames a segment's payload carries (a payload that opens with the preface
/// shows it first).
pub fn frames_of(seg: &Segment) -> Vec<Body> {
    match &seg.data {
        Some(d) => split(d, d.starts_with(PREFACE)).0,
        None => Vec::new(),
    }
}

/// Whether a segment carries a DATA frame of `stream`.
pub fn carries_data_of(seg: &Segment, stream: u32) -> bool {
    frames_of(seg).iter().any(|b| match b {
        Body::Frame(f) => {
            matches!(Frame::decode(f), Ok(Frame::Data { stream: s, .. }) if s == stream)
        }
        _ => false,
    })
}

/// How a segment shows in traces: tcpdump's flags and numbers, then the frames.
pub fn describe(seg: &Segment, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{} seq={}", seg.ctl.names(), seg.seq)?;
    if seg.is_ack() {
        write!(f, " ack={}", seg.ack)?;
    }
    let frames: Vec<String> = frames_of(seg)
        .iter()
        .map(|b| match b {
            Body::Preface(_) => "preface".to_string(),
            Body::Frame(o) => match Frame::decode(o) {
                Ok(fr) => fr.to_string(),
                Err(_) => format!("{} octets that are not a frame", o.len()),
            },
            _ => String::new(),
        })
        .collect();
    if !frames.is_empty() {
        write!(f, " [{}]", frames.join(", "))?;
    }
    if seg.has_note(Segment::REXMIT) {
        write!(f, " (retransmission)")?;
    }
    Ok(())
}

/// The wire's order for segments: first in, first out per direction (a link that
/// loses but does not reorder). The position is the sequence number, which rises in
/// the order an endpoint sends (a retransmission is sent after what it follows, and
/// blocked behind it); both ISNs are fixed and a run uses fewer sequence numbers than
/// the space holds, so it does not wrap.
pub fn fifo(c: &Chunk) -> Option<(u32, u32)> {
    match &c.body {
        Body::Tcp(seg) => Some((0, seg.seq as u32)),
        _ => None,
    }
}

/// The origin's passive OPEN (LISTEN), with [`Transport::Tcp`].
pub fn listen(node: &H2Node) -> Option<Pipe> {
    if node.cfg.transport != Transport::Tcp {
        return None;
    }
    let mut tcb = Tcb::closed();
    tcb.open_passive();
    Some(Pipe::new(tcb))
}

/// The browser's active OPEN, with [`Transport::Tcp`]: what the HTTP/2 layer wrote at
/// the start waits in the pipe for the handshake.
pub fn connect(node: &H2Node, b: &mut Browser, o: &mut Out<H2Node>) {
    if node.cfg.transport != Transport::Tcp {
        return;
    }
    let mut pipe = Pipe::new(Tcb::closed());
    let mut fx = Effects::default();
    pipe.tcb.open_active(1, &mut fx);
    write(node, &mut pipe, o);
    flush(node, &mut pipe, &mut fx, o);
    b.pipe = Some(pipe);
}

/// Sends the TCB's segments, arms its timers, chooses its ISN when it asks for one,
/// and returns the signals for the user.
fn flush(node: &H2Node, pipe: &mut Pipe, fx: &mut Effects, o: &mut Out<H2Node>) -> Signals {
    let (cfg, isn) = tcp_cfg(node);
    while let Some(i) = fx.signals.iter().position(|s| *s == Signal::NeedIsn) {
        fx.signals.remove(i);
        pipe.tcb.isn_chosen(cfg, *isn, fx);
    }
    for seg in fx.send.drain(..) {
        o.send(
            peer(node),
            Chunk {
                conn: 0,
                lane: 0,
                pos: 0,
                body: Body::Tcp(seg),
                note: String::new(),
            },
        );
    }
    for t in fx.timers.drain(..) {
        match t {
            TimerCmd::Set(t, lo, hi) => o.set_timer(H2Timer::Tcp(t), secs(lo)..secs(hi)),
            TimerCmd::Cancel(t) => o.cancel_timer(H2Timer::Tcp(t)),
        }
    }
    std::mem::take(&mut fx.signals)
}

/// Takes the chunks the HTTP/2 layer wrote into `o` in this step and writes their
/// octets into TCP as one SEND; the end of the connection is a CLOSE.
fn write(node: &H2Node, pipe: &mut Pipe, o: &mut Out<H2Node>) {
    let (cfg, _) = tcp_cfg(node);
    let mut bytes = Vec::new();
    let mut close = false;
    for c in std::mem::take(o) {
        match c {
            Command::Send(
                _,
                Chunk {
                    body: Body::Preface(b) | Body::Frame(b),
                    ..
                },
            ) => bytes.extend(b),
            Command::Send(
                _,
                Chunk {
                    body: Body::Close, ..
                },
            ) => close = true,
            Command::Send(to, m) => o.send(to, m),
            Command::SetTimer(t, r) => o.set_timer(t, r),
            Command::CancelTimer(t) => o.cancel_timer(t),
            Command::ChooseRandom(k, v) => o.choose_random(k, v),
            Command::Save(s) => o.save(s),
        }
    }
    if bytes.is_empty() && !close {
        return;
    }
    let opens = bytes.starts_with(PREFACE);
    for b in split(&bytes, opens).0 {
        if let Body::Frame(f) = b {
            if let Ok(Frame::Data { stream, .. }) = Frame::decode(&f) {
                pipe.written.push(stream);
            }
        }
    }
    let mut fx = Effects::default();
    if !bytes.is_empty() {
        if matches!(pipe.tcb.state, State::Established | State::CloseWait) {
            pipe.tcb.send(cfg, Payload::from(bytes), &mut fx);
        } else {
            pipe.out.extend(bytes);
        }
    }
    if close {
        pipe.tcb.close(cfg, &mut fx);
    }
    flush(node, pipe, &mut fx, o);
}

/// The hook after an HTTP/2 step (a timer of the HTTP/2 layer): what it wrote goes
/// into TCP.
pub fn outgoing(node: &H2Node, st: &mut H2State, o: &mut Out<H2Node>) {
    if node.cfg.transport != Transport::Tcp {
        return;
    }
    if let Some(pipe) = pipe_mut(st) {
        write(node, pipe, o);
    }
}

/// What TCP's signals mean for the HTTP/2 layer: the chunks to hand it, in order.
fn react(node: &H2Node, pipe: &mut Pipe, signals: Signals, o: &mut Out<H2Node>) -> Vec<Chunk> {
    let (cfg, _) = tcp_cfg(node);
    let mut bodies = Vec::new();
    let mut end = false;
    for s in signals {
        match s {
            Signal::Established if !pipe.out.is_empty() => {
                let bytes = std::mem::take(&mut pipe.out);
                let mut fx = Effects::default();
                pipe.tcb.send(cfg, Payload::from(bytes), &mut fx);
                let more = flush(node, pipe, &mut fx, o);
                debug_assert!(more.is_empty());
            }
            Signal::Data(d, _) => pipe.rx.extend_from_slice(&d),
            Signal::PeerClosed(_) | Signal::Closed(_) => end = true,
            _ => {}
        }
    }
    let opens = node.role == Role::Origin && !pipe.preface;
    let (got, used) = split(&pipe.rx, opens);
    if used > 0 {
        pipe.preface = true;
        pipe.rx.drain(..used);
        bodies.extend(got);
    }
    if end && !pipe.ended {
        pipe.ended = true;
        bodies.push(Body::Close);
    }
    bodies
        .into_iter()
        .map(|body| Chunk {
            conn: 0,
            lane: 0,
            pos: 0,
            body,
            note: String::new(),
        })
        .collect()
}

/// Hands what TCP delivered to the HTTP/2 layer, then writes what it answered.
fn deliver(
    node: &H2Node,
    id: Id,
    state: &mut Cow<H2State>,
    chunks: Vec<Chunk>,
    o: &mut Out<H2Node>,
) {
    for c in chunks {
        node.on_msg(id, state, peer(node), c, o);
    }
    outgoing(node, state.to_mut(), o);
}

/// SEGMENT ARRIVES (§3.10.7), or the RST a CLOSED connection answers with.
pub fn on_segment(
    node: &H2Node,
    id: Id,
    state: &mut Cow<H2State>,
    _src: Id,
    seg: Segment,
    o: &mut Out<H2Node>,
) {
    let (cfg, _) = tcp_cfg(node);
    let Some(pipe) = pipe_mut(state.to_mut()) else {
        return;
    };
    let mut fx = Effects::default();
    if pipe.tcb.state == State::Closed {
        if let Some(r) = reset_for(&seg, pipe.tcb.inc, cfg.space) {
            fx.send.push(r);
        }
    } else {
        pipe.tcb.arrive(cfg, &seg, &mut fx);
    }
    let signals = flush(node, pipe, &mut fx, o);
    let chunks = react(node, pipe, signals, o);
    deliver(node, id, state, chunks, o);
}

/// A TCP timer (retransmission, TIME-WAIT, ...).
pub fn on_timer(node: &H2Node, id: Id, state: &mut Cow<H2State>, t: TcpTimer, o: &mut Out<H2Node>) {
    let (cfg, _) = tcp_cfg(node);
    let Some(pipe) = pipe_mut(state.to_mut()) else {
        return;
    };
    let mut fx = Effects::default();
    pipe.tcb.timeout(cfg, t, &mut fx);
    let signals = flush(node, pipe, &mut fx, o);
    let chunks = react(node, pipe, signals, o);
    deliver(node, id, state, chunks, o);
}

/// The origin's pipe, for the properties.
pub fn origin_pipe(o: &Origin) -> Option<&Pipe> {
    o.pipe.as_ref()
}
