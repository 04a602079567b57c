//! A TCP host's packed form ([`crate::wire::flat`]), written by hand: a TCB is 11
//! bytes and its list of unacknowledged chunks, a host 9 more and its two ghost
//! count words, a segment 6 bytes and its payload, a timer one byte.

use super::endpoint::{Counts, Host, Timer};
use super::segment::{Ctl, Segment};
use super::state::State;
use super::tcb::{Outcome, Tcb, TcpTimer};
use crate::wire::flat::{put_bounded, raw_array, raw_varint, take_bytes, take_varint, Flat};
use crate::wire::{Bytes, Chunks};

/// Every connection state, at the index of its discriminant.
const STATES: [State; 11] = [
    State::Closed,
    State::Listen,
    State::SynSent,
    State::SynReceived,
    State::Established,
    State::FinWait1,
    State::FinWait2,
    State::CloseWait,
    State::Closing,
    State::LastAck,
    State::TimeWait,
];

/// Every outcome, at the index of its discriminant.
const OUTCOMES: [Outcome; 6] = [
    Outcome::Normal,
    Outcome::Reset,
    Outcome::TimedOut,
    Outcome::Aborted,
    Outcome::FinWait2Timeout,
    Outcome::Crashed,
];

/// Every timer, at the index of its code ([`timer_code`]).
const TIMERS: [Timer; 9] = [
    Timer::Tcp(TcpTimer::Retransmit),
    Timer::Tcp(TcpTimer::TimeWait),
    Timer::Tcp(TcpTimer::FinWait2),
    Timer::Tcp(TcpTimer::DelayedAck),
    Timer::App,
    Timer::Reopen,
    Timer::Crash,
    Timer::Connect,
    Timer::Listen,
];

/// Every TCP timer, at the index of its code ([`tcp_timer_code`]).
pub(crate) const TCP_TIMERS: [TcpTimer; 4] = [
    TcpTimer::Retransmit,
    TcpTimer::TimeWait,
    TcpTimer::FinWait2,
    TcpTimer::DelayedAck,
];

/// A TCP timer's code: its index in [`TCP_TIMERS`].
pub(crate) fn tcp_timer_code(t: TcpTimer) -> u8 {
    match t {
        TcpTimer::Retransmit => 0,
        TcpTimer::TimeWait => 1,
        TcpTimer::FinWait2 => 2,
        TcpTimer::DelayedAck => 3,
    }
}

fn timer_code(t: Timer) -> u8 {
    match t {
        Timer::Tcp(TcpTimer::Retransmit) => 0,
        Timer::Tcp(TcpTimer::TimeWait) => 1,
        Timer::Tcp(TcpTimer::FinWait2) => 2,
        Timer::Tcp(TcpTimer::DelayedAck) => 3,
        Timer::App => 4,
        Timer::Reopen => 5,
        Timer::Crash => 6,
        Timer::Connect => 7,
        Timer::Listen => 8,
    }
}

/// `bits[i]` as bit `i` of a byte.
#[inline]
fn flags<const N: usize>(bits: [bool; N]) -> u8 {
    bits.iter()
        .enumerate()
        .fold(0, |acc, (i, &b)| acc | (u8::from(b) << i))
}

/// Bit `i` of `byte`.
#[inline]
fn flag(byte: u8, i: u32) -> bool {
    byte >> i & 1 == 1
}

impl Flat for Timer {
    const CANONICAL: bool = true;
    const MAX: Option<usize> = Some(1);
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.push(timer_code(*self));
    }
    #[inline(always)]
    unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
        // SAFETY: room for MAX = 1 byte.
        unsafe { raw_array([timer_code(*self)], p) }
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<Timer> {
        let [c] = take_bytes(inp)?;
        TIMERS.get(usize::from(c)).copied()
    }
}

/// Eleven bytes (the state, a byte of flags, the sequence variables, the retries,
/// the pending SYN, the incarnation), then the unacknowledged chunks.
impl Flat for Tcb {
    const CANONICAL: bool = true;
    /// 11 bytes and a u32's varint.
    const MAX: Option<usize> = Some(16);
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        put_bounded(self, out);
    }
    #[inline(always)]
    unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
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
        } = *self;
        let (syn_seq, syn_inc) = pending_syn.unwrap_or((0, 0));
        // SAFETY: room for MAX = 16 bytes: 11, then at most 5.
        unsafe {
            let p = raw_array(
                [
                    state as u8,
                    flags([
                        passive,
                        fin_sent,
                        close_pending,
                        rcv_shut,
                        unread,
                        ack_pending,
                        pending_syn.is_some(),
                    ]),
                    iss,
                    snd_una,
                    snd_nxt,
                    irs,
                    rcv_nxt,
                    retries,
                    syn_seq,
                    syn_inc,
                    inc,
                ],
                p,
            );
            unacked.put_raw(p)
        }
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<Tcb> {
        let [state, f, iss, snd_una, snd_nxt, irs, rcv_nxt, retries, syn_seq, syn_inc, inc] =
            take_bytes(inp)?;
        Some(Tcb {
            state: *STATES.get(usize::from(state))?,
            passive: flag(f, 0),
            iss,
            snd_una,
            snd_nxt,
            irs,
            rcv_nxt,
            unacked: Chunks::take(inp)?,
            fin_sent: flag(f, 1),
            close_pending: flag(f, 2),
            retries,
            pending_syn: flag(f, 6).then_some((syn_seq, syn_inc)),
            rcv_shut: flag(f, 3),
            unread: flag(f, 4),
            ack_pending: flag(f, 5),
            inc,
        })
    }
}

/// The TCB, nine bytes of small fields, then the two ghost count words as varints
/// (mostly zero: one byte each).
impl Flat for Host {
    const CANONICAL: bool = true;
    /// A TCB, 9 bytes and two u64 varints.
    const MAX: Option<usize> = Some(16 + 9 + 2 * 10);
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        put_bounded(self, out);
    }
    #[inline(always)]
    unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
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
        } = *self;
        // SAFETY: room for MAX bytes: the TCB's MAX, 9, then two varints of at most 10.
        unsafe {
            let p = tcb.put_raw(p);
            let p = raw_array(
                [
                    opened,
                    sent,
                    flags([app_closed, rst_seen, old_accepted, crashed]),
                    outcome.map_or(0, |o| 1 + o as u8),
                    accepted,
                    ended_closed,
                    ended_rst,
                    ended_abort,
                    isn_reads,
                ],
                p,
            );
            let p = raw_varint(opens_by_isn.word(), p);
            raw_varint(est_by_irs.word(), p)
        }
    }
    /// Field by field into `place`: a host is 60 bytes, which a `take` returned
    /// through an `Option` and then copied.
    #[inline]
    fn take_into(inp: &mut &[u8], place: &mut Host) -> Option<()> {
        let [state, f, iss, snd_una, snd_nxt, irs, rcv_nxt, retries, syn_seq, syn_inc, inc] =
            take_bytes(inp)?;
        let t = &mut place.tcb;
        t.state = *STATES.get(usize::from(state))?;
        t.passive = flag(f, 0);
        t.iss = iss;
        t.snd_una = snd_una;
        t.snd_nxt = snd_nxt;
        t.irs = irs;
        t.rcv_nxt = rcv_nxt;
        t.unacked = Chunks::take(inp)?;
        t.fin_sent = flag(f, 1);
        t.close_pending = flag(f, 2);
        t.retries = retries;
        t.pending_syn = flag(f, 6).then_some((syn_seq, syn_inc));
        t.rcv_shut = flag(f, 3);
        t.unread = flag(f, 4);
        t.ack_pending = flag(f, 5);
        t.inc = inc;
        let [opened, sent, f, outcome, accepted, ended_closed, ended_rst, ended_abort, isn_reads] =
            take_bytes(inp)?;
        place.outcome = match outcome {
            0 => None,
            o => Some(*OUTCOMES.get(usize::from(o - 1))?),
        };
        place.opened = opened;
        place.sent = sent;
        place.app_closed = flag(f, 0);
        place.rst_seen = flag(f, 1);
        place.accepted = accepted;
        place.old_accepted = flag(f, 2);
        place.opens_by_isn = Counts::from_word(take_varint(inp)?);
        place.est_by_irs = Counts::from_word(take_varint(inp)?);
        place.crashed = flag(f, 3);
        place.ended_closed = ended_closed;
        place.ended_rst = ended_rst;
        place.ended_abort = ended_abort;
        place.isn_reads = isn_reads;
        // Every field is written above: a field added later is a compile error here.
        let Host {
            tcb:
                Tcb {
                    state: _,
                    passive: _,
                    iss: _,
                    snd_una: _,
                    snd_nxt: _,
                    irs: _,
                    rcv_nxt: _,
                    unacked: _,
                    fin_sent: _,
                    close_pending: _,
                    retries: _,
                    pending_syn: _,
                    rcv_shut: _,
                    unread: _,
                    ack_pending: _,
                    inc: _,
                },
            opened: _,
            sent: _,
            app_closed: _,
            outcome: _,
            rst_seen: _,
            accepted: _,
            old_accepted: _,
            opens_by_isn: _,
            est_by_irs: _,
            crashed: _,
            ended_closed: _,
            ended_rst: _,
            ended_abort: _,
            isn_reads: _,
        } = place;
        Some(())
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<Host> {
        let tcb = Tcb::take(inp)?;
        let [opened, sent, f, outcome, accepted, ended_closed, ended_rst, ended_abort, isn_reads] =
            take_bytes(inp)?;
        let outcome = match outcome {
            0 => None,
            o => Some(*OUTCOMES.get(usize::from(o - 1))?),
        };
        Some(Host {
            tcb,
            opened,
            sent,
            app_closed: flag(f, 0),
            outcome,
            rst_seen: flag(f, 1),
            accepted,
            old_accepted: flag(f, 2),
            opens_by_isn: Counts::from_word(take_varint(inp)?),
            est_by_irs: Counts::from_word(take_varint(inp)?),
            crashed: flag(f, 3),
            ended_closed,
            ended_rst,
            ended_abort,
            isn_reads,
        })
    }
}

/// Five small fields and whether it carries data, then the payload.
impl Flat for Segment {
    const CANONICAL: bool = true;
    /// 6 bytes and a payload's index.
    const MAX: Option<usize> = Some(11);
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        put_bounded(self, out);
    }
    #[inline(always)]
    unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
        let Segment {
            seq,
            ack,
            ctl,
            data,
            inc,
            note,
        } = *self;
        // SAFETY: room for MAX = 11 bytes: 6, then at most 5.
        unsafe {
            let p = raw_array([seq, ack, ctl.0, inc, note, u8::from(data.is_some())], p);
            match data {
                Some(d) => d.put_raw(p),
                None => p,
            }
        }
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<Segment> {
        let [seq, ack, ctl, inc, note, has_data] = take_bytes(inp)?;
        let data = match has_data {
            0 => None,
            _ => Some(Bytes::take(inp)?),
        };
        Some(Segment {
            seq,
            ack,
            ctl: Ctl(ctl),
            data,
            inc,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Flat + PartialEq + std::fmt::Debug>(v: &T) {
        let mut out = vec![9];
        v.put(&mut out);
        let mut inp = &out[1..];
        assert_eq!(T::take(&mut inp).as_ref(), Some(v));
        assert!(inp.is_empty(), "{v:?} left {} bytes", inp.len());
    }

    /// `v` decoded over `over` comes back equal.
    fn round_trip_over<T: Flat + PartialEq + std::fmt::Debug>(v: &T, mut over: T) {
        let mut out = Vec::new();
        v.put(&mut out);
        let mut inp = &out[..];
        assert_eq!(T::take_into(&mut inp, &mut over), Some(()));
        assert_eq!(&over, v);
        assert!(inp.is_empty());
    }

    #[test]
    fn every_state_outcome_and_timer_comes_back() {
        for (i, s) in STATES.iter().enumerate() {
            assert_eq!(*s as usize, i);
        }
        for (i, o) in OUTCOMES.iter().enumerate() {
            assert_eq!(*o as usize, i);
        }
        for (i, t) in TIMERS.iter().enumerate() {
            assert_eq!(usize::from(timer_code(*t)), i);
            round_trip(t);
        }
        for (i, t) in TCP_TIMERS.iter().enumerate() {
            assert_eq!(usize::from(tcp_timer_code(*t)), i);
            assert_eq!(TIMERS[i], Timer::Tcp(*t));
        }
        let mut inp: &[u8] = &[9];
        assert_eq!(Timer::take(&mut inp), None, "no timer has code 9");
    }

    #[test]
    fn every_field_of_a_host_comes_back() {
        let mut h = Host {
            tcb: Tcb::closed(),
            opened: 1,
            sent: 2,
            app_closed: false,
            outcome: None,
            rst_seen: false,
            accepted: 3,
            old_accepted: false,
            opens_by_isn: Counts::default(),
            est_by_irs: Counts::default(),
            crashed: false,
            ended_closed: 4,
            ended_rst: 5,
            ended_abort: 6,
            isn_reads: 7,
        };
        round_trip(&h);
        let first = h;
        for (i, s) in STATES.iter().enumerate() {
            h.tcb.state = *s;
            h.outcome = OUTCOMES.get(i % 7).copied();
            h.tcb.pending_syn = (i % 2 == 0).then_some((i as u8, 3));
            h.tcb.unacked = Chunks::new(&[Bytes::from("a"), Bytes::from(format!("{i}"))]);
            h.opens_by_isn.set(i, 3);
            h.est_by_irs.set(31 - i, 2);
            h.tcb.iss = i as u8;
            h.tcb.snd_una = 2 * i as u8;
            h.tcb.snd_nxt = 3 * i as u8;
            h.tcb.irs = 4 * i as u8;
            h.tcb.rcv_nxt = 5 * i as u8;
            h.tcb.retries = 6 * i as u8;
            h.tcb.inc = 7 * i as u8;
            round_trip(&h);
            round_trip_over(&h, first);
        }
        // Each flag on its own.
        let base = h;
        let sets: [fn(&mut Host); 10] = [
            |h| h.app_closed = true,
            |h| h.rst_seen = true,
            |h| h.old_accepted = true,
            |h| h.crashed = true,
            |h| h.tcb.passive = true,
            |h| h.tcb.fin_sent = true,
            |h| h.tcb.close_pending = true,
            |h| h.tcb.rcv_shut = true,
            |h| h.tcb.unread = true,
            |h| h.tcb.ack_pending = true,
        ];
        for set in sets {
            let mut h = base;
            set(&mut h);
            assert_ne!(h, base);
            round_trip(&h);
            round_trip_over(&h, base);
            round_trip_over(&base, h);
        }
    }

    #[test]
    fn a_segment_comes_back_with_and_without_data() {
        let s = Segment::new(Ctl::SYN | Ctl::ACK, 3, 7, 2).noted(Segment::REXMIT);
        round_trip(&s);
        round_trip(&s.with_data(Bytes::from("GET / HTTP/1.1\r\n\r\n")));
    }

    #[test]
    fn bytes_not_written_by_put_do_not_decode() {
        // A payload index no payload has (2^32 - 1).
        let out = [1, 1, Ctl::ACK.0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert_eq!(Segment::take(&mut &out[..]), None);
        // Cut short.
        let mut short: &[u8] = &[1, 2, 3];
        assert_eq!(Segment::take(&mut short), None);
    }

    #[test]
    fn the_longest_host_and_segment_fit_their_bounds() {
        let mut h = Host {
            tcb: Tcb::closed(),
            opened: 255,
            sent: 255,
            app_closed: true,
            outcome: Some(Outcome::Crashed),
            rst_seen: true,
            accepted: 255,
            old_accepted: true,
            opens_by_isn: Counts::from_word(u64::MAX),
            est_by_irs: Counts::from_word(u64::MAX),
            crashed: true,
            ended_closed: 255,
            ended_rst: 255,
            ended_abort: 255,
            isn_reads: 255,
        };
        h.tcb.pending_syn = Some((255, 255));
        let mut out = Vec::new();
        h.put(&mut out);
        assert_eq!(out.len(), 11 + 1 + 9 + 10 + 10);
        assert!(out.len() <= Host::MAX.unwrap_or(0));
        round_trip(&h);
        let s = Segment::new(Ctl(255), 255, 255, 255).with_data(Bytes::from("longest"));
        out.clear();
        s.put(&mut out);
        assert!(out.len() <= Segment::MAX.unwrap_or(0));
    }

    #[test]
    fn a_wire_state_written_in_one_go_is_its_parts_one_after_another() {
        use crate::wire::model::Pending;
        use crate::wire::{Armed, InFlight, Timers, WireState};
        let host = |n: u8| Host {
            tcb: Tcb::closed(),
            opened: n,
            sent: 0,
            app_closed: false,
            outcome: None,
            rst_seen: false,
            accepted: 0,
            old_accepted: false,
            opens_by_isn: Counts::from_word(u64::from(n) << 40),
            est_by_irs: Counts::default(),
            crashed: false,
            ended_closed: 0,
            ended_rst: 0,
            ended_abort: 0,
            isn_reads: n,
        };
        let armed = |actor: u8, timer: Timer| Armed {
            actor,
            timer,
            lo: 1,
            hi: 4,
            timed: true,
        };
        let mut st: WireState<Host, Segment, Timer, u8> = WireState {
            actors: vec![host(1), host(2)],
            timers: Timers(smallvec::smallvec![
                armed(0, Timer::Tcp(TcpTimer::Retransmit)),
                armed(1, Timer::Listen)
            ]),
            choices: vec![],
            flight: vec![InFlight {
                src: 0,
                dst: 1,
                age: 2,
                delivered: true,
                msg: Segment::new(Ctl::ACK, 3, 4, 1).with_data(Bytes::from("x")),
            }],
            lost: 1,
            duplicated: 2,
            epoch: 3,
        };
        // In one go (no pending choice), and part by part (with one).
        for _ in 0..2 {
            let mut whole = vec![7];
            st.put(&mut whole);
            let mut parts = vec![7];
            st.actors.put(&mut parts);
            st.timers.put(&mut parts);
            st.choices.put(&mut parts);
            st.flight.put(&mut parts);
            parts.extend_from_slice(&[1, 2, 3]);
            assert_eq!(whole, parts);
            let mut inp = &whole[1..];
            let back = WireState::take(&mut inp);
            assert!(inp.is_empty());
            assert_eq!(back.as_ref(), Some(&st));
            assert_eq!(back.map(|b| b.epoch), Some(3));
            st.choices.push(Pending {
                actor: 1,
                key: "isn".into(),
                values: vec![0, 4],
            });
        }
    }
}
