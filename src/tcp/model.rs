//! The TCP scenarios' model: a client and a server host on the timed wire, and the
//! properties of shared/DESIGN.md "Properties, precisely".

use super::endpoint::{Endpoint, Host, Open};
use super::segment::SeqSpace;
use super::state::State;
use super::tcb::Outcome;
use crate::wire::{ActionOf, StateOf, Wire, WireAction};

/// The model of a TCP scenario.
pub type TcpModel = Wire<Endpoint>;
pub type TcpState = StateOf<Endpoint>;
pub type TcpAction = ActionOf<Endpoint>;

/// The client is actor 0, the server actor 1.
pub const CLIENT: usize = 0;
pub const SERVER: usize = 1;

fn hosts(s: &TcpState) -> (&Host, &Host) {
    (&s.actors[CLIENT], &s.actors[SERVER])
}

// --- ISN generators (§3.4.1, RFC 6528) --------------------------------------------

/// `isn = "clock"`: RFC 6528's ISN = M + F(localip, localport, remoteip, remoteport,
/// secretkey). F is fixed for the one 4-tuple of a scenario, so only the clock M
/// separates its incarnations. The state is kept in the clock's frame (M reads 0,
/// see [`rotate`]), so the ISN is F.
pub fn clock_isn(m: &TcpModel, s: &TcpState, actor: usize, iss: &u8) -> bool {
    let cfg = &m.actors[actor].cfg;
    *iss == cfg.tcp.space.add(cfg.isn_offset, s.actors[actor].isn_reads)
}

/// Shifts every sequence number of a TCP state (and of an action's segment) by `d`,
/// modulo the space: both hosts' TCBs, the segments in flight, and the ghost
/// per-ISN counts. A CLOSED or LISTEN TCB keeps its zeros (no field of it is read).
/// One model-wide consequence: the RST,ACK that answers a SYN carries "sequence number
/// zero" of the clock's frame, i.e. the clock's reading; its receiver in SYN-SENT
/// ignores the field.
pub fn rotate(m: &TcpModel, s: &mut TcpState, a: Option<&mut TcpAction>, d: i16) {
    let sp = m.actors[CLIENT].cfg.tcp.space;
    let n = sp.0 as i16;
    let by = d.rem_euclid(n) as u8;
    let sh = |x: u8| sp.add(x, by);
    let seg = |g: &mut super::Segment| {
        g.seq = sh(g.seq);
        if g.is_ack() {
            g.ack = sh(g.ack);
        }
    };
    match a {
        Some(WireAction::Deliver { msg, .. } | WireAction::Drop { msg, .. }) => {
            seg(msg);
            return;
        }
        // Every choice of a TCP model is an ISN.
        Some(WireAction::Choose { value, .. }) => {
            *value = sh(*value);
            return;
        }
        Some(_) => return,
        None => {}
    }
    for h in &mut s.actors {
        let t = &mut h.tcb;
        if !matches!(t.state, State::Closed | State::Listen) {
            t.iss = sh(t.iss);
            t.snd_una = sh(t.snd_una);
            t.snd_nxt = sh(t.snd_nxt);
            t.irs = sh(t.irs);
            t.rcv_nxt = sh(t.rcv_nxt);
        }
        if let Some((q, _)) = &mut t.pending_syn {
            *q = sh(*q);
        }
        h.opens_by_isn.rotate(sp.0 as usize, by as usize);
        h.est_by_irs.rotate(sp.0 as usize, by as usize);
    }
    for f in &mut s.flight {
        seg(&mut f.msg);
    }
}

/// `isn = "oracle"`: an idealisation no stack implements. The new ISS's range, from ISS to
/// ISS plus what the connection can send (SYN, data, FIN), is disjoint from the
/// sequence range of every live segment this host sent, and from ACK−1 of every live
/// segment its peer sent, i.e. from every live segment of this host's earlier
/// connections, in both directions. (The connection the ISS is for has sent nothing
/// yet, so every such segment belongs to an earlier one.) While no value is allowed,
/// the OPEN waits for old segments to expire, as a clock-driven generator would.
pub fn oracle_isn(m: &TcpModel, s: &TcpState, actor: usize, iss: &u8) -> bool {
    let cfg = &m.actors[actor].cfg;
    let sp: SeqSpace = cfg.tcp.space;
    let span = 2 + cfg.data; // SYN + data + FIN
    let in_new = |x: u8| sp.in_window(x, *iss, span + 1);
    s.flight.iter().all(|f| {
        let seg = &f.msg;
        if f.src as usize == actor {
            let n = seg.len().max(1);
            !(0..n).any(|k| in_new(sp.add(seg.seq, k)))
        } else {
            !(seg.is_ack() && in_new(sp.sub(seg.ack, 1)))
        }
    })
}

// --- always ------------------------------------------------------------------------

// ANCHOR: no_double_connection
/// Every time the server enters ESTABLISHED it can be matched one to one, by ISN,
/// with an active OPEN of the client.
pub fn no_double_connection(_: &TcpModel, s: &TcpState) -> bool {
    let (c, srv) = hosts(s);
    (0..super::endpoint::MAX_SPACE).all(|x| srv.est_by_irs.get(x) <= c.opens_by_isn.get(x))
}
// ANCHOR_END: no_double_connection

/// The antecedent of "no double connection": the server has entered ESTABLISHED.
pub fn server_established(_: &TcpModel, s: &TcpState) -> bool {
    !s.actors[SERVER].est_by_irs.is_zero()
}

/// The antecedent of "synchronized when established".
pub fn both_established(_: &TcpModel, s: &TcpState) -> bool {
    let (c, srv) = hosts(s);
    c.tcb.state == State::Established
        && srv.tcb.state == State::Established
        && c.tcb.inc == srv.tcb.inc
}

/// When both ends are ESTABLISHED in the same incarnation, each one's RCV.NXT equals
/// the other's ISS+1 plus the chunks and FIN it has accepted.
pub fn synchronized_when_established(m: &TcpModel, s: &TcpState) -> bool {
    let (c, srv) = hosts(s);
    if c.tcb.state != State::Established
        || srv.tcb.state != State::Established
        || c.tcb.inc != srv.tcb.inc
    {
        return true;
    }
    let sp = m.actors[CLIENT].cfg.tcp.space;
    c.tcb.rcv_nxt == sp.add(srv.tcb.iss, 1 + c.accepted)
        && srv.tcb.rcv_nxt == sp.add(c.tcb.iss, 1 + srv.accepted)
}

// ANCHOR: no_old_segment_accepted
/// No data chunk or FIN of an earlier incarnation reached an application.
pub fn no_old_segment_accepted(_: &TcpModel, s: &TcpState) -> bool {
    let (c, srv) = hosts(s);
    !c.old_accepted && !srv.old_accepted
}
// ANCHOR_END: no_old_segment_accepted

fn is_abort(o: Option<Outcome>) -> bool {
    matches!(
        o,
        Some(Outcome::TimedOut | Outcome::Reset | Outcome::Aborted | Outcome::FinWait2Timeout)
    )
}

// ANCHOR: graceful_close
/// Where both applications closed the same connection and no RST was sent or
/// received, each application learns of a normal close, not an abort (MUST-12).
pub fn graceful_close(_: &TcpModel, s: &TcpState) -> bool {
    let (c, srv) = hosts(s);
    // A connection still open: both applications closed it, no RST, and one side has
    // already aborted.
    let applies =
        c.app_closed && srv.app_closed && !c.rst_seen && !srv.rst_seen && c.tcb.inc == srv.tcb.inc;
    let open_ok = !applies || !(is_abort(c.outcome) || is_abort(srv.outcome));
    // Connections that have ended, on both sides, of any incarnation.
    open_ok && clean_ends(c, srv) & (c.ended_abort | srv.ended_abort) == 0
}

/// The antecedent of "graceful close": both applications closed the same connection
/// and no RST was sent or received (it is still open, or it has ended on both sides).
pub fn both_closed_without_rst(_: &TcpModel, s: &TcpState) -> bool {
    let (c, srv) = hosts(s);
    let open =
        c.app_closed && srv.app_closed && !c.rst_seen && !srv.rst_seen && c.tcb.inc == srv.tcb.inc;
    open || clean_ends(c, srv) != 0
}

/// Incarnations that both applications closed, ended on both sides, with no RST seen.
fn clean_ends(c: &super::endpoint::Host, srv: &super::endpoint::Host) -> u8 {
    c.ended_closed & srv.ended_closed & !(c.ended_rst | srv.ended_rst)
}
// ANCHOR_END: graceful_close

/// The case "graceful close" is about happens: both applications closed the same
/// connection, no RST was sent or received, and both learned of a normal close. A
/// scenario that expects "graceful close" to hold should find this, or the property
/// holds vacuously.
pub fn both_close_normally(_: &TcpModel, s: &TcpState) -> bool {
    let (c, srv) = hosts(s);
    clean_ends(c, srv) & !(c.ended_abort | srv.ended_abort) != 0
}

// --- eventually --------------------------------------------------------------------

/// Both endpoints are CLOSED (a server may be back in LISTEN) and no OPEN is to come.
pub fn both_closed(m: &TcpModel, s: &TcpState) -> bool {
    s.actors.iter().zip(&m.actors).all(|(h, a)| {
        let done = match a.cfg.open {
            Open::Active => h.tcb.state == State::Closed && h.opened >= a.cfg.incarnations,
            Open::Passive | Open::ListenThenSend => {
                h.tcb.state == State::Listen || h.tcb.state == State::Closed
            }
        };
        done && h.tcb.pending_syn.is_none()
    }) && s.choices.is_empty()
}

// --- sometimes: states -------------------------------------------------------------

/// Some endpoint is in `st`.
pub fn some_in(s: &TcpState, st: State) -> bool {
    s.actors.iter().any(|h| h.tcb.state == st)
}

macro_rules! reaches {
    ($($f:ident => $st:expr),* $(,)?) => {
        $(pub fn $f(_: &TcpModel, s: &TcpState) -> bool { some_in(s, $st) })*
    };
}
reaches! {
    reaches_listen => State::Listen,
    reaches_syn_sent => State::SynSent,
    reaches_syn_received => State::SynReceived,
    reaches_established => State::Established,
    reaches_fin_wait_1 => State::FinWait1,
    reaches_fin_wait_2 => State::FinWait2,
    reaches_close_wait => State::CloseWait,
    reaches_closing => State::Closing,
    reaches_last_ack => State::LastAck,
    reaches_time_wait => State::TimeWait,
    reaches_closed => State::Closed,
}

// --- sometimes: steps (figures and notes of RFC 9293) ------------------------------

/// Whether the step moved some endpoint from `a` to `b`.
fn moved(prev: &TcpState, next: &TcpState, a: State, b: State) -> Option<usize> {
    (0..prev.actors.len()).find(|&i| prev.actors[i].tcb.state == a && next.actors[i].tcb.state == b)
}

fn delivered_to(action: &TcpAction) -> Option<(usize, &super::Segment)> {
    match action {
        WireAction::Deliver { dst, msg, .. } => Some((*dst, msg)),
        _ => None,
    }
}

/// Figure 8: an old duplicate SYN puts the server in SYN-RECEIVED; the client in
/// SYN-SENT, not waiting for that SYN's answer, resets it (the RST that §3.10.7.3 sends
/// for an unacceptable ACK, not one from a host without a TCB), and the server
/// returns to LISTEN.
pub fn old_duplicate_syn_reset(_: &TcpModel, p: &TcpState, a: &TcpAction, n: &TcpState) -> bool {
    let Some((dst, seg)) = delivered_to(a) else {
        return false;
    };
    let (c, srv) = hosts(p);
    dst == SERVER
        && seg.rst()
        && seg.has_note(super::Segment::RST_OF_SYN_SENT)
        && srv.tcb.state == State::SynReceived
        && n.actors[SERVER].tcb.state == State::Listen
        && !(c.tcb.state == State::SynSent && c.tcb.iss == srv.tcb.irs)
}

/// Figure 7: simultaneous open, SYN-SENT to SYN-RECEIVED.
pub fn simultaneous_open(_: &TcpModel, p: &TcpState, _: &TcpAction, n: &TcpState) -> bool {
    moved(p, n, State::SynSent, State::SynReceived).is_some()
}

/// Figure 7, line 7: the peer's SYN,ACK takes SYN-RECEIVED to ESTABLISHED (what Linux
/// 6.11+ and FreeBSD do; §3.10.7.4's text only ACKs it).
pub fn syn_ack_completes_simultaneous_open(
    _: &TcpModel,
    p: &TcpState,
    a: &TcpAction,
    n: &TcpState,
) -> bool {
    delivered_to(a).is_some_and(|(_, s)| s.syn() && s.is_ack())
        && moved(p, n, State::SynReceived, State::Established).is_some()
}

/// RFC 1122 §4.2.2.13: data that arrives after the application called `close()` is
/// answered with a RST, and the connection is reset.
pub fn data_after_close_reset(_: &TcpModel, p: &TcpState, a: &TcpAction, n: &TcpState) -> bool {
    let Some((dst, seg)) = delivered_to(a) else {
        return false;
    };
    seg.data.is_some()
        && p.actors[dst].tcb.rcv_shut
        && n.actors[dst].tcb.state == State::Closed
        && n.flight
            .iter()
            .any(|f| f.src as usize == dst && f.msg.rst() && f.age == 0)
}

/// §3.8.6.3: the ACK of the peer's FIN was delayed and rides on our FIN, so the close
/// takes three segments (FIN; FIN,ACK; ACK), as Linux shows on loopback.
pub fn three_segment_close(_: &TcpModel, p: &TcpState, _: &TcpAction, n: &TcpState) -> bool {
    moved(p, n, State::CloseWait, State::LastAck).is_some_and(|i| p.actors[i].tcb.ack_pending)
}

/// Figure 13: simultaneous close, FIN-WAIT-1 to CLOSING.
pub fn simultaneous_close(_: &TcpModel, p: &TcpState, _: &TcpAction, n: &TcpState) -> bool {
    moved(p, n, State::FinWait1, State::Closing).is_some()
}

/// Note 2: a FIN that also acknowledges ours takes FIN-WAIT-1 straight to TIME-WAIT.
pub fn fin_acks_fin(_: &TcpModel, p: &TcpState, _: &TcpAction, n: &TcpState) -> bool {
    moved(p, n, State::FinWait1, State::TimeWait).is_some()
}

// ANCHOR: half_close
/// §3.6.1, half-close: after its own FIN, a side still receives the peer's data.
pub fn data_after_our_fin(_: &TcpModel, p: &TcpState, a: &TcpAction, n: &TcpState) -> bool {
    let Some((dst, seg)) = delivered_to(a) else {
        return false;
    };
    seg.data.is_some()
        && matches!(p.actors[dst].tcb.state, State::FinWait1 | State::FinWait2)
        && n.actors[dst].accepted != p.actors[dst].accepted
}
// ANCHOR_END: half_close

/// Note 1: a RST returns a passively opened SYN-RECEIVED to LISTEN.
pub fn syn_received_to_listen(_: &TcpModel, p: &TcpState, a: &TcpAction, n: &TcpState) -> bool {
    delivered_to(a).is_some_and(|(_, s)| s.rst())
        && moved(p, n, State::SynReceived, State::Listen).is_some()
}

/// Figure 9: after a crash, the surviving side learns of the half-open connection
/// through a RST and aborts it.
pub fn half_open_discovered(_: &TcpModel, p: &TcpState, a: &TcpAction, n: &TcpState) -> bool {
    let Some((dst, seg)) = delivered_to(a) else {
        return false;
    };
    let crashed = p.actors.iter().any(|h| h.crashed);
    seg.rst()
        && crashed
        && p.actors[dst].tcb.state.is_synchronized()
        && n.actors[dst].outcome == Some(Outcome::Reset)
}

/// §3.10.7.4: TIME-WAIT answers a retransmitted FIN with an ACK.
pub fn time_wait_reacks_fin(_: &TcpModel, p: &TcpState, a: &TcpAction, n: &TcpState) -> bool {
    let Some((dst, seg)) = delivered_to(a) else {
        return false;
    };
    seg.fin()
        && p.actors[dst].tcb.state == State::TimeWait
        && n.actors[dst].tcb.state == State::TimeWait
        && n.flight.len() >= p.flight.len()
}

/// The seeds' first reason for TIME-WAIT: the last ACK is lost, and the passive
/// closer's retransmitted FIN (sent again by its retransmission timer, not a copy the
/// network made) reaches a client that has already left; it meets a RST.
pub fn retransmitted_fin_meets_rst(
    _: &TcpModel,
    p: &TcpState,
    a: &TcpAction,
    n: &TcpState,
) -> bool {
    let Some((dst, seg)) = delivered_to(a) else {
        return false;
    };
    let before = p.flight.iter().filter(|f| f.msg.rst()).count();
    let after = n.flight.iter().filter(|f| f.msg.rst()).count();
    dst == CLIENT
        && seg.fin()
        && seg.has_note(super::Segment::REXMIT)
        && matches!(p.actors[CLIENT].tcb.state, State::Closed | State::SynSent)
        && after > before
}

// --- building the model from a scenario --------------------------------------------

use super::endpoint::{CloseWhen, HostConfig};
use super::tcb::TcpConfig;
use crate::scenario::{Crash, Isn, Listen, Scenario};
use crate::wire::Faults;

/// The faults of a scenario's `[network]` table.
pub fn faults(scn: &Scenario) -> Faults {
    let n = &scn.network;
    Faults {
        msl: n.msl,
        loss: n.loss,
        loss_budget: if n.loss {
            n.loss_budget.and_then(|l| l.0)
        } else {
            Some(0)
        },
        duplication: n.duplication,
        duplication_budget: if n.duplication {
            n.duplication_budget.and_then(|l| l.0)
        } else {
            Some(0)
        },
        reordering: n.reordering,
        capacity: n.capacity,
    }
}

/// The endpoints' protocol knobs of a scenario's `[tcp]` table (validated).
pub fn tcp_config(scn: &Scenario) -> TcpConfig {
    let t = scn.tcp.as_ref().expect("validated: the scenario has [tcp]");
    TcpConfig {
        space: SeqSpace(t.space),
        rcv_wnd: t.rcv_wnd,
        handshake: t.handshake,
        rto: t.rto,
        rto_max: t.rto_max.unwrap_or(60),
        max_retries: t.retries.0,
        user_timeout: t.user_timeout,
        simultaneous_open: t.simultaneous_open,
        delayed_ack: t.delayed_ack,
        close_call: t.close_call,
        reads: t.reads,
        rst_ack: t.rst_ack,
        msl: scn.network.msl,
        time_wait: t.time_wait,
        ignore_rst_in_time_wait: t.ignore_rst_in_time_wait,
        fin_wait_2_timeout: t.fin_wait_2_timeout,
    }
}

/// The model of a `model = "tcp"` scenario (validated).
pub fn build(scn: &Scenario) -> TcpModel {
    let t = scn
        .tcp
        .as_ref()
        .expect("validated: a tcp scenario has [tcp]");
    let msl = scn.network.msl;
    let tcp = tcp_config(scn);
    let offsets = t.isn_offsets.unwrap_or([0, t.space / 2]);
    let host = |peer: usize, open: Open, data: u8, close: CloseWhen, crash: bool| HostConfig {
        payload: None,
        pace: t.pace,
        listen_step: false,
        close_last: t.close_last,
        isn_offset: offsets[1 - peer],
        isn_clock: t.isn == Isn::Clock,
        tcp: tcp.clone(),
        peer: peer.into(),
        open,
        incarnations: t.incarnations,
        data,
        close,
        isns: t.isns.clone(),
        quiet_time: t.quiet_time.saturating_mul(msl),
        crash,
    };
    let mut client = host(
        SERVER,
        Open::Active,
        t.client_data,
        t.client_close,
        t.crash == Crash::Client,
    );
    client.payload = t.client_payload.clone();
    let mut server = host(
        CLIENT,
        t.server_open,
        t.server_data,
        t.server_close,
        t.crash == Crash::Server,
    );
    if let Some(r) = t.server_retries {
        server.tcp.max_retries = r.0;
    }
    server.listen_step = t.server_listen == Listen::Step;
    let isns_of_space: Vec<u8> = (0..t.space).collect();
    if t.isn == Isn::Clock {
        // Every value of the space is offered; the clock allows exactly one.
        client.isns = isns_of_space.clone();
        server.isns = isns_of_space;
    }
    let mut m = Wire::new(
        vec![Endpoint { cfg: client }, Endpoint { cfg: server }],
        vec!["client".into(), "server".into()],
        faults(scn),
    );
    m.fair_loss = scn.fairness.fair_loss;
    match t.isn {
        Isn::Oracle => m.choice_filter = Some(oracle_isn),
        Isn::Clock => {
            m.choice_filter = Some(clock_isn);
            m.clock = Some(crate::wire::Clock {
                rate: t.isn_clock.unwrap_or(1),
                modulus: t.space,
                rotate,
            });
        }
        Isn::Random => {}
    }
    m.properties = vec![
        stateright::Property::always("no double connection", no_double_connection),
        stateright::Property::always(
            "synchronized when established",
            synchronized_when_established,
        ),
        stateright::Property::always("no old segment accepted", no_old_segment_accepted),
        stateright::Property::always("graceful close", graceful_close),
    ];
    m
}

/// The names and kinds of the properties a TCP scenario may check.
pub fn catalogue() -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("no double connection", "always"),
        ("synchronized when established", "always"),
        ("no old segment accepted", "always"),
        ("graceful close", "always"),
        ("both sides reach CLOSED", "eventually"),
    ];
    for st in State::ALL {
        v.push((reach_name(st), "sometimes"));
    }
    v.extend([
        ("old duplicate SYN is reset (Fig 8)", "sometimes"),
        ("simultaneous open (Fig 7)", "sometimes"),
        ("simultaneous close (Fig 13)", "sometimes"),
        ("half-open connection discovered (Fig 9)", "sometimes"),
        ("FIN acknowledges our FIN (Note 2)", "sometimes"),
        ("data received after our FIN (half-close)", "sometimes"),
        ("SYN-RECEIVED returns to LISTEN (Note 1)", "sometimes"),
        ("TIME-WAIT re-ACKs a retransmitted FIN", "sometimes"),
        ("retransmitted FIN meets RST", "sometimes"),
        ("both applications learn of a normal close", "sometimes"),
        ("SYN,ACK completes a simultaneous open (Fig 7)", "sometimes"),
        ("data after close() is reset (RFC 1122)", "sometimes"),
        ("three-segment close (delayed ACK)", "sometimes"),
    ]);
    v
}

/// "reaches SYN-SENT" and so on.
pub fn reach_name(st: State) -> &'static str {
    match st {
        State::Closed => "reaches CLOSED",
        State::Listen => "reaches LISTEN",
        State::SynSent => "reaches SYN-SENT",
        State::SynReceived => "reaches SYN-RECEIVED",
        State::Established => "reaches ESTABLISHED",
        State::FinWait1 => "reaches FIN-WAIT-1",
        State::FinWait2 => "reaches FIN-WAIT-2",
        State::CloseWait => "reaches CLOSE-WAIT",
        State::Closing => "reaches CLOSING",
        State::LastAck => "reaches LAST-ACK",
        State::TimeWait => "reaches TIME-WAIT",
    }
}

// --- how reports show segments and hosts -------------------------------------------

impl crate::report::Envelope for super::Segment {
    fn label(&self) -> String {
        self.to_string()
    }
    fn flags(&self) -> Option<String> {
        Some(self.ctl.letters())
    }
    fn seq(&self) -> Option<u32> {
        Some(self.seq as u32)
    }
    fn ack(&self) -> Option<u32> {
        self.is_ack().then_some(self.ack as u32)
    }
    fn len(&self) -> u32 {
        super::Segment::len(self) as u32
    }
    fn incarnation(&self) -> Option<u8> {
        Some(self.inc)
    }
}

impl crate::report::Lifeline for Host {
    fn phase(&self) -> String {
        self.tcb.state.name().to_string()
    }
    /// What the application's turn (`Timer::App`, `HostConfig::app_step`) did: CLOSE
    /// sets `app_closed`, or ends the connection and opens the next one; SEND counts
    /// a chunk.
    fn call_made(&self, after: &Self) -> Option<String> {
        if after.opened != self.opened || after.app_closed && !self.app_closed {
            Some("CLOSE".into())
        } else if after.sent > self.sent {
            Some("SEND".into())
        } else {
            None
        }
    }
}

/// The checkable property called `name`.
pub fn prop(name: &str) -> Option<crate::check::engine::Prop<TcpModel>> {
    use crate::check::engine::Prop;
    let p = match name {
        // Implications name their antecedent, so that a verdict of "holds" can say when
        // it never held. "no old segment accepted" is no implication: it forbids a
        // thing outright.
        "no double connection" => Prop::always_if(
            name,
            "the server entered ESTABLISHED",
            server_established,
            no_double_connection,
        ),
        "synchronized when established" => Prop::always_if(
            name,
            "both ends ESTABLISHED in one incarnation",
            both_established,
            synchronized_when_established,
        ),
        "no old segment accepted" => Prop::always(name, no_old_segment_accepted),
        "graceful close" => Prop::always_if(
            name,
            "both applications closed one connection, no RST sent or received",
            both_closed_without_rst,
            graceful_close,
        ),
        "both sides reach CLOSED" => Prop::eventually(name, both_closed),
        "reaches LISTEN" => Prop::sometimes(name, reaches_listen),
        "reaches SYN-SENT" => Prop::sometimes(name, reaches_syn_sent),
        "reaches SYN-RECEIVED" => Prop::sometimes(name, reaches_syn_received),
        "reaches ESTABLISHED" => Prop::sometimes(name, reaches_established),
        "reaches FIN-WAIT-1" => Prop::sometimes(name, reaches_fin_wait_1),
        "reaches FIN-WAIT-2" => Prop::sometimes(name, reaches_fin_wait_2),
        "reaches CLOSE-WAIT" => Prop::sometimes(name, reaches_close_wait),
        "reaches CLOSING" => Prop::sometimes(name, reaches_closing),
        "reaches LAST-ACK" => Prop::sometimes(name, reaches_last_ack),
        "reaches TIME-WAIT" => Prop::sometimes(name, reaches_time_wait),
        "reaches CLOSED" => Prop::sometimes(name, reaches_closed),
        "old duplicate SYN is reset (Fig 8)" => Prop::sometimes_step(name, old_duplicate_syn_reset),
        "simultaneous open (Fig 7)" => Prop::sometimes_step(name, simultaneous_open),
        "simultaneous close (Fig 13)" => Prop::sometimes_step(name, simultaneous_close),
        "half-open connection discovered (Fig 9)" => {
            Prop::sometimes_step(name, half_open_discovered)
        }
        "FIN acknowledges our FIN (Note 2)" => Prop::sometimes_step(name, fin_acks_fin),
        "data received after our FIN (half-close)" => {
            Prop::sometimes_step(name, data_after_our_fin)
        }
        "SYN-RECEIVED returns to LISTEN (Note 1)" => {
            Prop::sometimes_step(name, syn_received_to_listen)
        }
        "TIME-WAIT re-ACKs a retransmitted FIN" => Prop::sometimes_step(name, time_wait_reacks_fin),
        "retransmitted FIN meets RST" => Prop::sometimes_step(name, retransmitted_fin_meets_rst),
        "both applications learn of a normal close" => Prop::sometimes(name, both_close_normally),
        "SYN,ACK completes a simultaneous open (Fig 7)" => {
            Prop::sometimes_step(name, syn_ack_completes_simultaneous_open)
        }
        "three-segment close (delayed ACK)" => Prop::sometimes_step(name, three_segment_close),
        "data after close() is reset (RFC 1122)" => {
            Prop::sometimes_step(name, data_after_close_reset)
        }
        _ => return None,
    };
    Some(p)
}

impl crate::report::TimerName for super::Timer {
    fn describe(&self) -> String {
        use super::{TcpTimer, Timer};
        match self {
            Timer::Tcp(TcpTimer::Retransmit) => "retransmission timer fires".into(),
            Timer::Tcp(TcpTimer::TimeWait) => "TIME-WAIT timer fires".into(),
            Timer::Tcp(TcpTimer::FinWait2) => "FIN-WAIT-2 timer fires".into(),
            // Without the states around it: the narration says which call it was.
            Timer::App => "the application's next call".into(),
            Timer::Reopen => "quiet time over: the application opens again".into(),
            Timer::Crash => "the host crashes and loses its TCB".into(),
            Timer::Connect => "the application SENDs in LISTEN".into(),
            Timer::Listen => "the application calls OPEN (passive)".into(),
            Timer::Tcp(TcpTimer::DelayedAck) => "delayed-ACK timer fires".into(),
        }
    }
    fn is_app_turn(&self) -> bool {
        matches!(self, super::Timer::App)
    }
}
