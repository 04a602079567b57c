//! The Transmission Control Block (RFC 9293 §3.3.1), the user calls of §3.10.1–§3.10.5
//! and the timeouts of §3.10.8.
//!
//! A [`Tcb`] is plain data. Its methods take what happened (a user call, a timeout)
//! and write what the endpoint must do into [`Effects`]: segments to send, timers to
//! arm or cancel, and signals to the user. The stateright actors in
//! [`super::endpoint`] and in `crate::http` turn effects into `Out` commands.

use super::segment::{Ctl, Payload, Segment, SeqSpace};
use super::state::State;
use crate::wire::Chunks;
use smallvec::SmallVec;

/// How the connection is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Handshake {
    /// RFC 9293: SYN, SYN-ACK, ACK.
    ThreeWay,
    /// The broken variant of the seeds' question: the passive side is ESTABLISHED as
    /// soon as it answers a SYN.
    TwoWay,
}

/// What a SYN,ACK that arrives in SYN-RECEIVED does (simultaneous open, Figure 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimultaneousOpen {
    /// Linux since 6.11 (`tcp_validate_incoming`, "tcp: Don't drop SYN+ACK for
    /// simultaneous connect()", 2024) and FreeBSD (`tcp_input.c` trims the duplicate
    /// SYN and goes on with the ACK): the SYN,ACK that acknowledges our SYN completes
    /// the handshake, as Figure 7 draws it.
    Stack,
    /// RFC 9293 §3.10.7.4 as written (and Linux before 6.11): the SYN,ACK lies below
    /// RCV.NXT, fails the acceptability test and only draws an ACK; the peer's ACK
    /// completes the handshake.
    RfcText,
}

/// How the application ends its side of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseCall {
    /// `shutdown(SHUT_WR)`: a half-close, the application still reads (§3.6.1).
    Shutdown,
    /// `close()`: the application reads no more. Data that arrives afterwards is
    /// answered with a RST and the connection is aborted (RFC 2525 §2.17; Linux
    /// `tcp_rcv_state_process`, `LINUX_MIB_TCPABORTONDATA`). Data the application
    /// never read makes the close a RST (RFC 1122 §4.2.2.13; Linux `tcp_close`).
    Close,
    /// `close()` with `SO_LINGER` 0: ABORT (§3.10.5), a RST instead of a FIN.
    Abort,
}

/// The protocol knobs of one endpoint. Times are in ticks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TcpConfig {
    pub space: SeqSpace,
    /// RCV.WND in sequence numbers. The model keeps no out-of-order queue (RFC 9293
    /// §3.10.7.4 says a segment beyond RCV.NXT SHOULD be held, SHLD-31: the model
    /// departs from that SHOULD), so only the chunk or FIN at RCV.NXT is taken; the window still
    /// matters, because an ACK that overtook a FIN lies beyond RCV.NXT and must be
    /// acceptable (a window of 1 would drop it).
    pub rcv_wnd: u8,
    pub handshake: Handshake,
    /// The initial retransmission timeout.
    pub rto: u8,
    /// The cap of the exponential backoff (RFC 6298 §5.5: "RTO <- RTO * 2"; (2.5) a
    /// maximum value may be placed on RTO).
    pub rto_max: u8,
    /// Retransmissions of a SYN, data or FIN before the connection is aborted (R2 as a
    /// count, like Linux's `tcp_retries2`). `None`: no count limit.
    pub max_retries: Option<u8>,
    /// The user timeout (§3.8.3, R2 as a time; `TCP_USER_TIMEOUT`): the connection is
    /// aborted when the oldest unacknowledged segment has waited this many ticks since
    /// its first transmission. `None`: no time limit.
    pub user_timeout: Option<u8>,
    /// A SYN,ACK in SYN-RECEIVED (Figure 7 against §3.10.7.4).
    pub simultaneous_open: SimultaneousOpen,
    /// Delayed ACK (§3.8.6.3): the ACK of data or a FIN waits (less than a tick) for
    /// something to ride on.
    pub delayed_ack: bool,
    /// How the application closes.
    pub close_call: CloseCall,
    /// Whether the applications read what arrives. `false`: data stays unread, and a
    /// `close()` over it is a RST.
    pub reads: bool,
    /// Whether the RST of an ABORT carries an ACK. §3.10.5 sends
    /// `<SEQ=SND.NXT><CTL=RST>`; Linux's `tcp_send_active_reset` adds ACK (`R.`).
    pub rst_ack: bool,
    /// MSL in ticks (the wire's).
    pub msl: u8,
    /// TIME-WAIT lasts this many MSL (RFC 9293: 2).
    pub time_wait: u8,
    /// RFC 1337: ignore RST segments in TIME-WAIT.
    pub ignore_rst_in_time_wait: bool,
    /// Like Linux's `tcp_fin_timeout`: FIN-WAIT-2 gives up after this many ticks.
    /// RFC 9293 has no such timer (`None`).
    pub fin_wait_2_timeout: Option<u8>,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            space: SeqSpace(8),
            rcv_wnd: 2,
            handshake: Handshake::ThreeWay,
            rto: 2,
            rto_max: 60,
            max_retries: Some(1),
            user_timeout: None,
            simultaneous_open: SimultaneousOpen::Stack,
            delayed_ack: false,
            close_call: CloseCall::Shutdown,
            reads: true,
            rst_ack: false,
            msl: 2,
            time_wait: 2,
            ignore_rst_in_time_wait: false,
            fin_wait_2_timeout: None,
        }
    }
}

/// The TCP timers of one connection.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum TcpTimer {
    /// Retransmission of the oldest unacknowledged SYN, data or FIN.
    Retransmit,
    /// The 2×MSL wait of TIME-WAIT.
    TimeWait,
    /// A FIN-WAIT-2 timeout (not RFC 9293; Linux's `tcp_fin_timeout`).
    FinWait2,
    /// The delayed ACK is due (§3.8.6.3).
    DelayedAck,
}

/// How a connection ended, as the user learns it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Outcome {
    /// Both FINs exchanged and acknowledged (or TIME-WAIT passed).
    Normal,
    /// "connection refused" (RST in SYN-SENT) or "connection reset".
    Reset,
    /// "connection aborted due to user timeout" (§3.10.8): no RST is sent.
    TimedOut,
    /// The user called ABORT.
    Aborted,
    /// A FIN-WAIT-2 timeout gave up on the peer's FIN.
    FinWait2Timeout,
    /// The host crashed and lost the TCB.
    Crashed,
}

/// What the user learns (RFC 9293 §3.9.1.2 and the "signal the user" steps).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Signal {
    /// The connection is open.
    Established,
    /// One chunk of data, in order; the ghost incarnation of the segment it came in.
    Data(Payload, u8),
    /// The peer closed its side ("connection closing"); the ghost incarnation of the FIN.
    PeerClosed(u8),
    /// The connection is gone.
    Closed(Outcome),
    /// The TCB needs an initial send sequence number: choose one and call
    /// [`Tcb::isn_chosen`].
    NeedIsn,
}

/// Timer commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimerCmd {
    Set(TcpTimer, u8, u8),
    Cancel(TcpTimer),
}

/// The signals of one event, for the layer above.
pub type Signals = SmallVec<[Signal; 2]>;

/// What one event makes the endpoint do. Inline vectors: an event sends a segment
/// or two and sets or cancels a few timers, and the model runs one event per
/// successor state, so heap vectors here were an allocation per successor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    pub send: SmallVec<[Segment; 2]>,
    pub timers: SmallVec<[TimerCmd; 6]>,
    pub signals: Signals,
    /// Ghost: this event sent or received a RST.
    pub rst: bool,
}

impl Effects {
    pub fn set(&mut self, t: TcpTimer, lo: u8, hi: u8) {
        self.timers.push(TimerCmd::Set(t, lo, hi));
    }
    pub fn cancel(&mut self, t: TcpTimer) {
        self.timers.push(TimerCmd::Cancel(t));
    }
    pub fn cancel_all(&mut self) {
        for t in [
            TcpTimer::Retransmit,
            TcpTimer::TimeWait,
            TcpTimer::FinWait2,
            TcpTimer::DelayedAck,
        ] {
            self.cancel(t);
        }
    }
    pub fn signal(&mut self, s: Signal) {
        self.signals.push(s);
    }
}

/// One connection's TCB. When `state` is CLOSED there is, in RFC terms, no TCB; the
/// fields then keep only what the ghost properties read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tcb {
    pub state: State,
    /// Opened with a passive OPEN (it came from LISTEN): Note 1 of §3.5.
    pub passive: bool,
    pub iss: u8,
    pub snd_una: u8,
    pub snd_nxt: u8,
    pub irs: u8,
    pub rcv_nxt: u8,
    /// Data chunks sent and not yet acknowledged, oldest first (interned, so that a
    /// TCB is `Copy`).
    pub unacked: Chunks,
    /// Our FIN has been sent (it is the last sequence number before SND.NXT).
    pub fin_sent: bool,
    /// The user called CLOSE while the TCB could not send a FIN yet.
    pub close_pending: bool,
    /// Retransmissions of the current oldest unacknowledged segment.
    pub retries: u8,
    /// An incoming SYN waiting for its ISS (LISTEN, passive open): SEG.SEQ and its
    /// ghost incarnation.
    pub pending_syn: Option<(u8, u8)>,
    /// The application called `close()`, not `shutdown()`: it reads no more.
    pub rcv_shut: bool,
    /// Data arrived that the application has not read ([`TcpConfig::reads`]).
    pub unread: bool,
    /// An ACK is owed and delayed (§3.8.6.3).
    pub ack_pending: bool,
    /// Ghost: the incarnation this TCB's segments belong to.
    pub inc: u8,
}

/// A TCB's small fields hash as three words, each field a byte of its own, where the
/// derived `Hash` mixed one word per field, and its interned list of unacknowledged
/// chunks as a fourth (a hash of the list, its length included). A fingerprint is
/// computed for every successor state, and the fields were most of its words. Every
/// TCB writes four words, and they determine every field, so equal TCBs and only they
/// give equal words. The TCB is taken apart field by field, so that a field added
/// later is a compile error until it is hashed.
impl std::hash::Hash for Tcb {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Tcb {
            state,
            passive,
            iss,
            snd_una,
            snd_nxt,
            irs,
            rcv_nxt,
            unacked,
            fin_sent,
            close_pending,
            retries,
            pending_syn,
            rcv_shut,
            unread,
            ack_pending,
            inc,
        } = self;
        let (syn, syn_seq, syn_ack) = match *pending_syn {
            None => (0, 0, 0),
            Some((a, b)) => (1, a, b),
        };
        h.write_u64(u64::from_le_bytes([
            *state as u8,
            u8::from(*passive),
            *iss,
            *snd_una,
            *snd_nxt,
            *irs,
            *rcv_nxt,
            u8::from(*fin_sent),
        ]));
        h.write_u64(u64::from_le_bytes([
            u8::from(*close_pending),
            *retries,
            syn,
            syn_seq,
            syn_ack,
            u8::from(*rcv_shut),
            u8::from(*unread),
            u8::from(*ack_pending),
        ]));
        h.write_u64(u64::from(*inc));
        unacked.hash(h);
    }
}

impl Tcb {
    pub fn closed() -> Tcb {
        Tcb {
            state: State::Closed,
            passive: false,
            iss: 0,
            snd_una: 0,
            snd_nxt: 0,
            irs: 0,
            rcv_nxt: 0,
            unacked: Chunks::empty(),
            fin_sent: false,
            close_pending: false,
            retries: 0,
            pending_syn: None,
            rcv_shut: false,
            unread: false,
            ack_pending: false,
            inc: 0,
        }
    }

    /// Deletes the TCB (enter CLOSED); the ghost incarnation stays.
    pub fn delete(&mut self, fx: &mut Effects, outcome: Outcome) {
        let inc = self.inc;
        *self = Tcb::closed();
        self.inc = inc;
        fx.cancel_all();
        fx.signal(Signal::Closed(outcome));
    }

    // --- user calls (§3.10.1–§3.10.5) -----------------------------------------

    /// OPEN, active: the TCB needs an ISS first ([`Signal::NeedIsn`]); then
    /// [`Tcb::isn_chosen`] sends the SYN and enters SYN-SENT.
    pub fn open_active(&mut self, inc: u8, fx: &mut Effects) {
        *self = Tcb::closed();
        self.inc = inc;
        self.passive = false;
        fx.signal(Signal::NeedIsn);
    }

    /// SEND in LISTEN with the foreign socket given (§3.10.2): "change the connection
    /// from passive to active, select an ISS. Send a SYN segment ... Enter SYN-SENT
    /// state." The TCB stays in LISTEN until the ISS is chosen.
    pub fn send_in_listen(&mut self, inc: u8, fx: &mut Effects) {
        self.inc = inc;
        self.passive = false;
        fx.signal(Signal::NeedIsn);
    }

    /// OPEN, passive: CLOSED becomes LISTEN.
    pub fn open_passive(&mut self) {
        let inc = self.inc;
        *self = Tcb::closed();
        self.inc = inc;
        self.state = State::Listen;
        self.passive = true;
    }

    /// The ISS for an active OPEN, or for the SYN that LISTEN is answering.
    pub fn isn_chosen(&mut self, cfg: &TcpConfig, iss: u8, fx: &mut Effects) {
        let sp = cfg.space;
        self.iss = iss;
        self.snd_una = iss;
        self.snd_nxt = sp.add(iss, 1);
        self.retries = 0;
        match self.pending_syn.take() {
            // Active OPEN (§3.10.1): "A SYN segment of the form <SEQ=ISS><CTL=SYN> is
            // sent. Set SND.UNA to ISS, SND.NXT to ISS+1, enter SYN-SENT state".
            None => {
                self.state = State::SynSent;
                fx.send.push(Segment::new(Ctl::SYN, iss, 0, self.inc));
                self.arm_retransmit(cfg, fx);
            }
            // LISTEN, third check (§3.10.7.2): "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> is
            // sent ... SND.NXT is set to ISS+1 and SND.UNA to ISS. The connection state
            // should be changed to SYN-RECEIVED."
            Some((seq, inc)) => {
                self.irs = seq;
                self.rcv_nxt = sp.add(seq, 1);
                self.inc = inc;
                fx.send
                    .push(Segment::new(Ctl::SYN | Ctl::ACK, iss, self.rcv_nxt, inc));
                match cfg.handshake {
                    Handshake::ThreeWay => {
                        self.state = State::SynReceived;
                        self.arm_retransmit(cfg, fx);
                    }
                    // Two-way: the answer to a SYN already opens the connection, and
                    // nothing waits for the SYN-ACK to be acknowledged.
                    Handshake::TwoWay => {
                        self.state = State::Established;
                        self.snd_una = self.snd_nxt;
                        fx.signal(Signal::Established);
                    }
                }
            }
        }
    }

    // ANCHOR: send
    /// SEND one chunk (§3.10.2). In ESTABLISHED and CLOSE-WAIT it is sent at once;
    /// elsewhere it is refused (the model's users never queue data before the
    /// connection opens).
    pub fn send(&mut self, cfg: &TcpConfig, data: Payload, fx: &mut Effects) -> bool {
        if !matches!(self.state, State::Established | State::CloseWait) || self.fin_sent {
            return false;
        }
        // ANCHOR_END: send
        let seg =
            Segment::new(Ctl::PSH | Ctl::ACK, self.snd_nxt, self.rcv_nxt, self.inc).with_data(data);
        if self.snd_una == self.snd_nxt {
            self.retries = 0;
            self.arm_retransmit(cfg, fx);
        }
        self.unacked.push(data);
        self.snd_nxt = cfg.space.add(self.snd_nxt, 1);
        self.emit(seg, fx);
        true
    }

    /// CLOSE (§3.10.4). With [`CloseCall::Close`] the application also stops reading.
    pub fn close(&mut self, cfg: &TcpConfig, fx: &mut Effects) {
        // SO_LINGER 0, or a close() over unread data (RFC 1122 §4.2.2.13: "its TCP
        // SHOULD send a RST to show that data was lost"; Linux `tcp_close`): ABORT.
        if cfg.close_call == CloseCall::Abort
            || (cfg.close_call == CloseCall::Close
                && self.unread
                && matches!(self.state, State::Established | State::CloseWait))
        {
            return self.abort_as(cfg, fx);
        }
        if cfg.close_call == CloseCall::Close {
            self.rcv_shut = true;
        }
        match self.state {
            // "Any outstanding RECEIVEs are returned with 'error: closing' responses.
            // Delete TCB, enter CLOSED state".
            State::Listen | State::SynSent => self.delete(fx, Outcome::Normal),
            // "If no SENDs have been issued and there is no pending data to send, then
            // form a FIN segment and send it, and enter FIN-WAIT-1 state" (both
            // SYN-RECEIVED and ESTABLISHED; Linux's `tcp_close_state` does the same).
            // From SYN-RECEIVED the SYN,ACK is still unacknowledged: the
            // retransmission timer sends it again before the FIN (see `outstanding`).
            State::SynReceived | State::Established => {
                self.send_fin(cfg, fx);
                self.state = State::FinWait1;
            }
            // "Queue this request until all preceding SENDs have been segmentized; then
            // send a FIN segment, enter LAST-ACK state."
            State::CloseWait => {
                self.send_fin(cfg, fx);
                self.state = State::LastAck;
            }
            // "error: connection closing"
            _ => {}
        }
    }

    fn send_fin(&mut self, cfg: &TcpConfig, fx: &mut Effects) {
        let fin = Segment::new(Ctl::FIN | Ctl::ACK, self.snd_nxt, self.rcv_nxt, self.inc);
        self.emit(fin, fx);
        if self.snd_una == self.snd_nxt {
            self.retries = 0;
            self.arm_retransmit(cfg, fx);
        }
        self.snd_nxt = cfg.space.add(self.snd_nxt, 1);
        self.fin_sent = true;
    }

    /// ABORT (§3.10.5): in a synchronized state (and SYN-RECEIVED) "a reset segment
    /// <SEQ=SND.NXT><CTL=RST> is sent"; the TCB is deleted.
    /// ABORT, its RST as `cfg` says: with ACK (Linux) or without (§3.10.5).
    pub fn abort_as(&mut self, cfg: &TcpConfig, fx: &mut Effects) {
        if cfg.rst_ack
            && matches!(
                self.state,
                State::SynReceived
                    | State::Established
                    | State::FinWait1
                    | State::FinWait2
                    | State::CloseWait
                    | State::Closing
                    | State::LastAck
            )
        {
            fx.send.push(Segment::new(
                Ctl::RST | Ctl::ACK,
                self.snd_nxt,
                self.rcv_nxt,
                self.inc,
            ));
            fx.rst = true;
            return self.delete(fx, Outcome::Aborted);
        }
        self.abort(fx)
    }

    pub fn abort(&mut self, fx: &mut Effects) {
        if matches!(self.state, State::Closed | State::Listen | State::SynSent) {
            self.delete(fx, Outcome::Aborted);
            return;
        }
        if !matches!(self.state, State::TimeWait) {
            fx.send
                .push(Segment::new(Ctl::RST, self.snd_nxt, 0, self.inc));
            fx.rst = true;
        }
        self.delete(fx, Outcome::Aborted);
    }

    // --- timeouts (§3.10.8) ----------------------------------------------------

    /// The segments not yet acknowledged, from SND.UNA: SYN or SYN-ACK, data, FIN.
    pub fn outstanding(&self, cfg: &TcpConfig) -> Vec<Segment> {
        let sp = cfg.space;
        let mut out = Vec::new();
        let mut seq = self.snd_una;
        match self.state {
            State::SynSent => {
                out.push(Segment::new(Ctl::SYN, self.iss, 0, self.inc));
                return out;
            }
            // SYN-RECEIVED, or FIN-WAIT-1 after a CLOSE in SYN-RECEIVED: the SYN,ACK
            // is the oldest unacknowledged segment.
            _ if self.passive_syn_unacked() => {
                out.push(Segment::new(
                    Ctl::SYN | Ctl::ACK,
                    self.iss,
                    self.rcv_nxt,
                    self.inc,
                ));
                seq = sp.add(seq, 1);
            }
            _ => {}
        }
        for d in &self.unacked {
            out.push(Segment::new(Ctl::PSH | Ctl::ACK, seq, self.rcv_nxt, self.inc).with_data(*d));
            seq = sp.add(seq, 1);
        }
        if self.fin_sent && seq != self.snd_nxt {
            out.push(Segment::new(
                Ctl::FIN | Ctl::ACK,
                seq,
                self.rcv_nxt,
                self.inc,
            ));
        }
        out
    }

    /// Whether our SYN,ACK is not yet acknowledged: SYN-RECEIVED, or a state that a
    /// CLOSE reached from SYN-RECEIVED (ESTABLISHED and later have SND.UNA > ISS).
    pub fn passive_syn_unacked(&self) -> bool {
        self.snd_una == self.iss
            && !matches!(self.state, State::Closed | State::Listen | State::SynSent)
    }

    /// The retransmission timeout after `k` retransmissions: RFC 6298 §5.5's backoff,
    /// doubled each time up to the cap.
    pub fn backoff(cfg: &TcpConfig, k: u8) -> u8 {
        let t = (cfg.rto as u32) << k.min(8);
        t.min(cfg.rto_max.max(cfg.rto) as u32) as u8
    }

    /// Ticks since the oldest unacknowledged segment was first sent, when the timer
    /// fires after `k` retransmissions.
    pub fn waited(cfg: &TcpConfig, k: u8) -> u32 {
        (0..=k).map(|i| Self::backoff(cfg, i) as u32).sum()
    }

    /// Arms the retransmission timer for the current backoff.
    fn arm_retransmit(&self, cfg: &TcpConfig, fx: &mut Effects) {
        let t = Self::backoff(cfg, self.retries);
        fx.set(TcpTimer::Retransmit, t, t);
    }

    /// Sends a segment that carries our ACK: a delayed ACK rides on it.
    pub(super) fn emit(&mut self, seg: Segment, fx: &mut Effects) {
        if self.ack_pending && seg.is_ack() {
            self.ack_pending = false;
            fx.cancel(TcpTimer::DelayedAck);
        }
        fx.send.push(seg);
    }

    /// A TCP timer fired.
    pub fn timeout(&mut self, cfg: &TcpConfig, t: TcpTimer, fx: &mut Effects) {
        match (self.state, t) {
            // The delayed ACK is sent (§3.8.6.3: "MUST be less than 0.5 seconds").
            (_, TcpTimer::DelayedAck) => {
                if self.ack_pending && self.state != State::Closed {
                    self.send_ack(fx);
                }
                self.ack_pending = false;
            }
            // TIME-WAIT TIMEOUT: "If the time-wait timeout expires on a connection,
            // delete the TCB, enter the CLOSED state, and return."
            (State::TimeWait, TcpTimer::TimeWait) => self.delete(fx, Outcome::Normal),
            // Not RFC 9293: Linux's tcp_fin_timeout gives up on the peer's FIN.
            (State::FinWait2, TcpTimer::FinWait2) => self.delete(fx, Outcome::FinWait2Timeout),
            (State::Closed | State::Listen | State::TimeWait | State::FinWait2, _) => {}
            (_, TcpTimer::Retransmit) => {
                let segs = self.outstanding(cfg);
                if segs.is_empty() {
                    return;
                }
                // USER TIMEOUT: "flush all queues, signal the user 'error: connection
                // aborted due to user timeout' ..., delete the TCB, enter the CLOSED
                // state, and return." No RST is sent. R2 is a count of
                // retransmissions or a time since the first transmission.
                let by_count = cfg.max_retries.is_some_and(|m| self.retries >= m);
                let by_time = cfg
                    .user_timeout
                    .is_some_and(|u| Self::waited(cfg, self.retries) >= u as u32);
                if by_count || by_time {
                    self.delete(fx, Outcome::TimedOut);
                    return;
                }
                // RETRANSMISSION TIMEOUT: "send the segment at the front of the
                // retransmission queue again, reinitialize the retransmission timer"
                // with the backed-off RTO (RFC 6298 §5.5-5.6). The model sends
                // everything outstanding again (at most a few segments).
                // The count matters for R2 and for the backoff; without R2, once the
                // backoff reaches its cap the count no longer changes anything.
                let capped = cfg.max_retries.is_none()
                    && cfg.user_timeout.is_none()
                    && Self::backoff(cfg, self.retries) >= cfg.rto_max;
                if !capped {
                    self.retries = self.retries.saturating_add(1).min(8);
                }
                for seg in segs {
                    self.emit(seg.noted(Segment::REXMIT), fx);
                }
                self.arm_retransmit(cfg, fx);
            }
            _ => {}
        }
    }

    // --- helpers for segment arrival -------------------------------------------

    pub(super) fn send_ack(&mut self, fx: &mut Effects) {
        let ack = Segment::new(Ctl::ACK, self.snd_nxt, self.rcv_nxt, self.inc);
        self.emit(ack, fx);
    }

    /// Acknowledges data or a FIN just accepted: at once, or delayed (§3.8.6.3) until
    /// the application sends something or the timer fires. A second ACK owed is sent
    /// at once ("an ACK should be generated for at least every second full-sized
    /// segment").
    pub(super) fn ack_accepted(&mut self, cfg: &TcpConfig, fx: &mut Effects) {
        if cfg.delayed_ack && !self.ack_pending {
            self.ack_pending = true;
            fx.set(TcpTimer::DelayedAck, 0, 0);
        } else {
            self.send_ack(fx);
        }
    }

    /// Whether our FIN is acknowledged (SND.UNA = SND.NXT after a FIN was sent).
    pub fn fin_acked(&self) -> bool {
        self.fin_sent && self.snd_una == self.snd_nxt
    }

    pub(super) fn enter_time_wait(&mut self, cfg: &TcpConfig, fx: &mut Effects) {
        self.state = State::TimeWait;
        fx.cancel(TcpTimer::Retransmit);
        fx.cancel(TcpTimer::FinWait2);
        let t = cfg.time_wait.saturating_mul(cfg.msl);
        fx.set(TcpTimer::TimeWait, t, t);
    }

    pub(super) fn enter_fin_wait_2(&mut self, cfg: &TcpConfig, fx: &mut Effects) {
        self.state = State::FinWait2;
        if let Some(t) = cfg.fin_wait_2_timeout {
            fx.set(TcpTimer::FinWait2, t, t);
        }
    }
}
