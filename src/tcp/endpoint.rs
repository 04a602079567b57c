//! A TCP host with one connection and a small application, as a stateright [`Actor`].
//!
//! The application is what the seeds' questions need and nothing more: the active
//! side opens the connection `incarnations` times on the same 4-tuple, sends its data
//! chunks and closes; the passive side listens, and (by default) closes after the peer
//! did, optionally sending data in CLOSE-WAIT first (half-close). Every user call is a
//! separate step (an `App` timer that is due at once), so that the checker interleaves
//! it with the network.
//!
//! Ghost fields (marked so) record what the properties need; no protocol code reads them.

use super::arrive::reset_for;
use super::segment::{Payload, Segment};
use super::state::State;
use super::tcb::{Effects, Outcome, Signal, Tcb, TcpConfig, TcpTimer, TimerCmd};
use crate::wire::NO_DEADLINE;
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::time::Duration;

/// How the host opens its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Open {
    Active,
    Passive,
    /// Passive, then a SEND in LISTEN makes it active (§3.10.2, Figure 5's
    /// LISTEN → SYN-SENT).
    ListenThenSend,
}

/// When the application calls CLOSE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseWhen {
    /// As soon as the connection is open and its data is sent.
    First,
    /// After the peer closed (in CLOSE-WAIT), and after sending its data.
    AfterPeer,
    /// At any moment, even in LISTEN or SYN-RECEIVED (Figure 5's CLOSE arrows).
    AnyTime,
}

/// The knobs of one host.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct HostConfig {
    pub tcp: TcpConfig,
    pub peer: Id,
    pub open: Open,
    /// Active OPENs on the same 4-tuple (the incarnations K).
    pub incarnations: u8,
    /// Data chunks the application sends per connection.
    pub data: u8,
    pub close: CloseWhen,
    /// The ISNs the generator may pick.
    pub isns: Vec<u8>,
    /// Ticks to wait after an abort (or a crash) before opening again (§3.4.3).
    pub quiet_time: u8,
    /// The host may crash once while ESTABLISHED, losing its TCB.
    pub crash: bool,
    /// The bytes of every data chunk, instead of `data1`, `data2`, ...
    pub payload: Option<String>,
    /// Ticks between the application's calls (SEND, CLOSE). 0: a burst, at the speed
    /// of the network; 1 with an ISN clock of at least one number a tick: the
    /// connection never uses sequence numbers faster than the clock (§3.4.1).
    pub pace: u8,
    /// The passive OPEN is a step of its own (CLOSED → LISTEN); otherwise the host
    /// starts in LISTEN.
    pub listen_step: bool,
    /// F(4-tuple) of RFC 6528 for the ISN clock: this host's fixed offset.
    pub isn_offset: u8,
    /// ISNs come from the clock (the wire's choice filter reads `isn_reads`).
    pub isn_clock: bool,
    /// Whether the application closes its last incarnation. When it does not, the
    /// run ends with that connection open: a bound for questions about what an old
    /// segment does to the next connection, not about how that one ends.
    pub close_last: bool,
}

/// The timers of a host.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Timer {
    Tcp(TcpTimer),
    /// The application's next call is due.
    App,
    /// The quiet time before the next OPEN has passed.
    Reopen,
    /// The host crashes (may happen at any time).
    Crash,
    /// The listening application SENDs to a given peer (may happen at any time).
    Connect,
    /// The application's passive OPEN.
    Listen,
}

/// A host's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Host {
    pub tcb: Tcb,
    /// Active OPENs so far.
    pub opened: u8,
    /// Data chunks the application sent on this connection.
    pub sent: u8,
    /// The application called CLOSE on this connection.
    pub app_closed: bool,
    /// Ghost: how this host's latest connection ended.
    pub outcome: Option<Outcome>,
    /// Ghost: this connection sent or received a RST.
    pub rst_seen: bool,
    /// Ghost: data chunks and FIN accepted on this connection (mod the space).
    pub accepted: u8,
    /// Ghost, sticky: an octet or FIN of an earlier incarnation was accepted.
    pub old_accepted: bool,
    /// Ghost: active OPENs per ISS (saturating).
    pub opens_by_isn: Counts,
    /// Ghost: entries into ESTABLISHED per IRS (saturating).
    pub est_by_irs: Counts,
    /// The host has crashed once.
    pub crashed: bool,
    /// Ghost, per incarnation (bit `inc % 8`): how each connection ended: after the
    /// application's CLOSE, with a RST seen, and as an abort. "graceful close" reads
    /// these, so that a connection's end still counts after the next OPEN.
    pub ended_closed: u8,
    pub ended_rst: u8,
    pub ended_abort: u8,
    /// ISNs this host's clock has handed out (modulo the space). Each reading moves
    /// the clock on by one: the real clock ticks far faster than the model's tick
    /// (every 4 µs in RFC 6528, 64 ns in Linux), and no two connection set-ups of one
    /// host happen within one of its ticks, so no two ISNs it picks are equal.
    pub isn_reads: u8,
}

/// A host's small fields hash as two words, each field a byte of its own, where the
/// derived `Hash` mixed one word per field (see [`Tcb`]'s `Hash`). The host is taken
/// apart field by field, so that a field added later is a compile error until it is
/// hashed.
impl std::hash::Hash for Host {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Host {
            tcb,
            opened,
            sent,
            app_closed,
            outcome,
            rst_seen,
            accepted,
            old_accepted,
            opens_by_isn,
            est_by_irs,
            crashed,
            ended_closed,
            ended_rst,
            ended_abort,
            isn_reads,
        } = self;
        tcb.hash(h);
        h.write_u64(u64::from_le_bytes([
            *opened,
            *sent,
            u8::from(*app_closed),
            outcome.map_or(0, |o| 1 + o as u8),
            u8::from(*rst_seen),
            *accepted,
            u8::from(*old_accepted),
            u8::from(*crashed),
        ]));
        h.write_u32(u32::from_le_bytes([
            *ended_closed,
            *ended_rst,
            *ended_abort,
            *isn_reads,
        ]));
        opens_by_isn.hash(h);
        est_by_irs.hash(h);
    }
}

/// The largest sequence space a scenario may use.
pub const MAX_SPACE: usize = 32;

/// A count per sequence number (modulo [`MAX_SPACE`]), saturating at 3: two bits
/// each, in one word. The ghost counters of every state are mostly zero; as an array
/// of 32 bytes they were a quarter of a state's bytes to hash and to pack, as a word
/// they are one (and a zero word packs into one byte). Reports and traces (the
/// human-readable formats: JSON, ITF) still show them as an array of 32 counts.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Counts(u64);

impl Counts {
    /// The largest count: a count never goes above it.
    pub const SATURATE: u8 = 3;

    /// Every count, two bits each, in one word.
    pub fn word(&self) -> u64 {
        self.0
    }
    /// The counts of a word [`Counts::word`] gave.
    pub fn from_word(w: u64) -> Counts {
        Counts(w)
    }

    /// The count of sequence number `i` (modulo [`MAX_SPACE`]).
    pub fn get(&self, i: usize) -> u8 {
        ((self.0 >> (2 * (i % MAX_SPACE))) & 3) as u8
    }
    /// Sets the count of `i` (modulo [`MAX_SPACE`]) to `n`, at most [`Self::SATURATE`].
    pub fn set(&mut self, i: usize, n: u8) {
        let at = 2 * (i % MAX_SPACE);
        self.0 = (self.0 & !(3 << at)) | (u64::from(n.min(Self::SATURATE)) << at);
    }
    /// Counts one more for `i`, saturating.
    pub fn bump(&mut self, i: usize) {
        self.set(i, self.get(i).saturating_add(1));
    }
    /// The counts, from sequence number 0 to [`MAX_SPACE`] − 1.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..MAX_SPACE).map(|i| self.get(i))
    }
    /// Whether every count is 0.
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }
    /// Moves the count of every `i < n` to `(i + by) % n`, as a tick of the ISN clock
    /// moves every sequence number of a space of `n` (`n` at most [`MAX_SPACE`], `by`
    /// below `n`); the counts at `n` and above stay. One rotation of the low `2n` bits.
    pub fn rotate(&mut self, n: usize, by: usize) {
        debug_assert!(n <= MAX_SPACE && by < n);
        if by == 0 {
            return;
        }
        let bits = 2 * n as u32;
        let mask = u64::MAX >> (64 - bits);
        let low = self.0 & mask;
        let sh = 2 * by as u32;
        let moved = ((low << sh) | (low >> (bits - sh))) & mask;
        self.0 = (self.0 & !mask) | moved;
    }
}

impl std::fmt::Debug for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl serde::Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let all: [u8; MAX_SPACE] = std::array::from_fn(|i| self.get(i));
            all.serialize(s)
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Counts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let all = <[u8; MAX_SPACE]>::deserialize(d)?;
            let mut c = Counts::default();
            for (i, &n) in all.iter().enumerate() {
                if n > Self::SATURATE {
                    return Err(serde::de::Error::custom(format!(
                        "a count of {n} is above {}",
                        Self::SATURATE
                    )));
                }
                c.set(i, n);
            }
            Ok(c)
        } else {
            Ok(Counts(u64::deserialize(d)?))
        }
    }
}

impl HostConfig {
    fn app_data(&self, n: u8) -> Payload {
        let text = match &self.payload {
            Some(p) => p.clone(),
            None => format!("data{}", n + 1),
        };
        Payload::from(text)
    }

    /// Turns effects into `Out` commands and lets the application react to the
    /// signals, until nothing more happens.
    fn settle(&self, h: &mut Host, mut fx: Effects, o: &mut Out<Endpoint>) {
        loop {
            if fx.rst {
                h.rst_seen = true;
            }
            for seg in fx.send.drain(..) {
                o.send(self.peer, seg);
            }
            for t in fx.timers.drain(..) {
                match t {
                    TimerCmd::Set(t, lo, hi) => o.set_timer(Timer::Tcp(t), secs(lo)..secs(hi)),
                    TimerCmd::Cancel(t) => o.cancel_timer(Timer::Tcp(t)),
                }
            }
            let signals = std::mem::take(&mut fx.signals);
            if signals.is_empty() {
                return;
            }
            for s in signals {
                self.react(h, s, &mut fx, o);
            }
        }
    }

    /// The application and the ghost bookkeeping react to one signal.
    fn react(&self, h: &mut Host, s: Signal, fx: &mut Effects, o: &mut Out<Endpoint>) {
        match s {
            Signal::NeedIsn => o.choose_random("isn", self.isns.clone()),
            Signal::Established => {
                h.est_by_irs.bump(h.tcb.irs as usize);
                if self.crash && !h.crashed {
                    o.set_timer(Timer::Crash, secs(0)..secs(NO_DEADLINE));
                }
                if self.open == Open::Active || self.close == CloseWhen::First {
                    self.app_next(o);
                }
            }
            Signal::Data(_, inc) => self.accept(h, inc),
            Signal::PeerClosed(inc) => {
                self.accept(h, inc);
                if !h.app_closed {
                    self.app_next(o);
                }
            }
            Signal::Closed(outcome) => {
                h.outcome = Some(outcome);
                let bit = 1u8 << (h.tcb.inc % 8);
                if h.app_closed {
                    h.ended_closed |= bit;
                }
                if h.rst_seen {
                    h.ended_rst |= bit;
                }
                if outcome != Outcome::Normal {
                    h.ended_abort |= bit;
                }
                o.cancel_timer(Timer::App);
                o.cancel_timer(Timer::Crash);
                match self.open {
                    // The server's application listens again at once.
                    Open::Passive => h.tcb.open_passive(),
                    Open::Active if h.opened < self.incarnations => {
                        if outcome != Outcome::Normal && self.quiet_time > 0 {
                            let q = self.quiet_time;
                            o.set_timer(Timer::Reopen, secs(q)..secs(q));
                        } else {
                            self.open_again(h, fx);
                        }
                    }
                    Open::Active | Open::ListenThenSend => {}
                }
            }
        }
    }

    /// The application's next call is due after the pace.
    fn app_next(&self, o: &mut Out<Endpoint>) {
        o.set_timer(Timer::App, secs(self.pace)..secs(self.pace));
    }

    /// Ghost: one chunk or FIN reached the application.
    fn accept(&self, h: &mut Host, inc: u8) {
        h.accepted = self.tcp.space.add(h.accepted, 1);
        if inc < h.tcb.inc {
            h.old_accepted = true;
        }
    }

    fn new_connection(h: &mut Host) {
        h.sent = 0;
        h.app_closed = false;
        h.rst_seen = false;
        h.accepted = 0;
    }

    fn open_again(&self, h: &mut Host, fx: &mut Effects) {
        h.opened += 1;
        Self::new_connection(h);
        h.outcome = None;
        h.tcb.open_active(h.opened, fx);
    }

    /// The application's next call: SEND a chunk, or CLOSE.
    fn app_step(&self, h: &mut Host, fx: &mut Effects, o: &mut Out<Endpoint>) {
        // SEND in LISTEN with the foreign socket given: "change the connection from
        // passive to active, select an ISS" (§3.10.2).
        // CLOSE in LISTEN or SYN-RECEIVED (§3.10.4).
        if self.close == CloseWhen::AnyTime
            && !h.app_closed
            && matches!(
                h.tcb.state,
                State::Listen | State::SynSent | State::SynReceived
            )
        {
            h.app_closed = true;
            h.tcb.close(&self.tcp, fx);
            return;
        }
        let open = matches!(h.tcb.state, State::Established | State::CloseWait);
        let may_close = match self.close {
            CloseWhen::First | CloseWhen::AnyTime => true,
            CloseWhen::AfterPeer => h.tcb.state == State::CloseWait,
        };
        if !open || h.app_closed || !may_close && self.open != Open::Active {
            return;
        }
        if h.sent < self.data {
            let d = self.app_data(h.sent);
            if h.tcb.send(&self.tcp, d, fx) {
                h.sent += 1;
            }
            self.app_next(o);
            return;
        }
        let last = self.open == Open::Active && h.opened >= self.incarnations;
        if may_close && (self.close_last || !last) {
            h.app_closed = true;
            h.tcb.close(&self.tcp, fx);
        }
    }
}

fn secs(t: u8) -> Duration {
    Duration::from_secs(t as u64)
}

/// The actor: a host with one connection.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub cfg: HostConfig,
}

impl Actor for Endpoint {
    type Msg = Segment;
    type Timer = Timer;
    type State = Host;
    type Random = u8;
    type Storage = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> Host {
        let mut h = Host {
            tcb: Tcb::closed(),
            opened: 0,
            sent: 0,
            app_closed: false,
            outcome: None,
            ended_closed: 0,
            ended_rst: 0,
            ended_abort: 0,
            isn_reads: 0,
            rst_seen: false,
            accepted: 0,
            old_accepted: false,
            opens_by_isn: Counts::default(),
            est_by_irs: Counts::default(),
            crashed: false,
        };
        let mut fx = Effects::default();
        match self.cfg.open {
            Open::Active => self.cfg.open_again(&mut h, &mut fx),
            // The passive OPEN (CLOSED → LISTEN), at once or as a step of its own.
            Open::Passive if self.cfg.listen_step => {
                o.set_timer(Timer::Listen, secs(0)..secs(0));
            }
            Open::Passive => h.tcb.open_passive(),
            Open::ListenThenSend => {
                h.tcb.open_passive();
                o.set_timer(Timer::Connect, secs(0)..secs(NO_DEADLINE));
            }
        }
        if self.cfg.close == CloseWhen::AnyTime {
            o.set_timer(Timer::App, secs(0)..secs(NO_DEADLINE));
        }
        self.cfg.settle(&mut h, fx, o);
        h
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<Host>, _src: Id, seg: Segment, o: &mut Out<Self>) {
        let h = state.to_mut();
        let mut fx = Effects::default();
        if h.tcb.pending_syn.is_some() {
            // LISTEN is choosing the ISS for a SYN: the choice is made before anything
            // else happens, so no segment can arrive now.
            return;
        }
        if h.tcb.state == State::Closed {
            // A host without a TCB answers with a RST (§3.10.7.1).
            if let Some(r) = reset_for(&seg, h.tcb.inc, self.cfg.tcp.space) {
                fx.rst = true;
                fx.send.push(r);
            }
        } else {
            let was = h.tcb.state;
            h.tcb.arrive(&self.cfg.tcp, &seg, &mut fx);
            if was == State::Listen && h.tcb.pending_syn.is_some() {
                Self::new_connection_ghost(h);
            }
        }
        self.cfg.settle(h, fx, o);
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<Host>, timer: &Timer, o: &mut Out<Self>) {
        let h = state.to_mut();
        let mut fx = Effects::default();
        match timer {
            Timer::Tcp(t) => h.tcb.timeout(&self.cfg.tcp, *t, &mut fx),
            Timer::App => self.cfg.app_step(h, &mut fx, o),
            Timer::Listen => {
                if h.tcb.state == State::Closed {
                    h.tcb.open_passive();
                }
            }
            Timer::Connect => {
                if h.tcb.state == State::Listen && h.opened == 0 {
                    h.opened = 1;
                    HostConfig::new_connection(h);
                    h.tcb.send_in_listen(1, &mut fx);
                }
            }
            Timer::Reopen => {
                if h.tcb.state == State::Closed && h.opened < self.cfg.incarnations {
                    self.cfg.open_again(h, &mut fx);
                }
            }
            // The host crashes and comes back without its TCB (§3.4.3). No segment is
            // sent; the application opens again after the quiet time.
            Timer::Crash => {
                h.crashed = true;
                let inc = h.tcb.inc;
                h.tcb = Tcb::closed();
                h.tcb.inc = inc;
                h.outcome = Some(Outcome::Crashed);
                fx.cancel_all();
                o.cancel_timer(Timer::App);
                match self.cfg.open {
                    Open::Passive => h.tcb.open_passive(),
                    Open::Active if h.opened < self.cfg.incarnations => {
                        let q = self.cfg.quiet_time;
                        o.set_timer(Timer::Reopen, secs(q)..secs(q));
                    }
                    Open::Active | Open::ListenThenSend => {}
                }
            }
        }
        self.cfg.settle(h, fx, o);
    }

    fn on_random(&self, _id: Id, state: &mut Cow<Host>, isn: &u8, o: &mut Out<Self>) {
        let h = state.to_mut();
        let mut fx = Effects::default();
        if h.tcb.pending_syn.is_none() {
            h.opens_by_isn.bump(*isn as usize);
        }
        if self.cfg.isn_clock {
            h.isn_reads = self.cfg.tcp.space.add(h.isn_reads, 1);
        }
        h.tcb.isn_chosen(&self.cfg.tcp, *isn, &mut fx);
        self.cfg.settle(h, fx, o);
    }
}

impl Endpoint {
    /// Ghost: a SYN in LISTEN starts a new connection.
    fn new_connection_ghost(h: &mut Host) {
        HostConfig::new_connection(h);
        h.outcome = None;
    }
}
