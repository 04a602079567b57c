//! SEGMENT ARRIVES (RFC 9293 §3.10.7): one `match` on the state, one sentence above
//! each arm, and the RFC's checks in the RFC's order.

use super::segment::{Ctl, Segment};
use super::state::State;
use super::tcb::{Effects, Outcome, Signal, SimultaneousOpen, Tcb, TcpConfig, TcpTimer};

/// The reply of a host without a TCB to a segment (§3.10.7.1, §3.5.2 group 1).
pub fn reset_for(seg: &Segment, inc: u8, sp: super::segment::SeqSpace) -> Option<Segment> {
    // "An incoming segment containing a RST is discarded."
    if seg.rst() {
        return None;
    }
    Some(if seg.is_ack() {
        // "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"
        Segment::new(Ctl::RST, seg.ack, 0, inc)
    } else {
        // "If the ACK bit is off, sequence number zero is used,
        // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
        Segment::new(Ctl::RST | Ctl::ACK, 0, sp.add(seg.seq, seg.len()), inc)
    })
}

impl Tcb {
    /// A segment arrives for this connection.
    pub fn arrive(&mut self, cfg: &TcpConfig, seg: &Segment, fx: &mut Effects) {
        let sp = cfg.space;
        if seg.rst() {
            fx.rst = true;
        }
        match self.state {
            // CLOSED: no TCB, so every segment but a RST is answered with a RST.
            State::Closed => {
                if let Some(r) = reset_for(seg, self.inc, sp) {
                    fx.rst = true;
                    fx.send.push(r);
                }
            }
            // LISTEN: a RST is ignored, an ACK is reset, a SYN starts a connection.
            State::Listen => {
                if seg.rst() {
                    return;
                }
                if seg.is_ack() {
                    fx.rst = true;
                    fx.send.push(Segment::new(Ctl::RST, seg.ack, 0, self.inc));
                    return;
                }
                if seg.syn() {
                    // "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be
                    // selected": the ISS is chosen by the caller, then `isn_chosen`.
                    self.pending_syn = Some((seg.seq, seg.inc));
                    fx.signal(Signal::NeedIsn);
                }
                // "Any other control or text-bearing segment ... drop the segment".
            }
            // SYN-SENT: check the ACK, then the RST, then the SYN (§3.10.7.3).
            State::SynSent => self.arrive_syn_sent(cfg, seg, fx),
            // All other states: sequence check, RST, SYN, ACK, text, FIN (§3.10.7.4).
            _ => self.arrive_synchronized(cfg, seg, fx),
        }
    }

    fn arrive_syn_sent(&mut self, cfg: &TcpConfig, seg: &Segment, fx: &mut Effects) {
        let sp = cfg.space;
        // First, check the ACK bit: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a
        // reset (unless the RST bit is set, if so drop the segment and return)
        // <SEQ=SEG.ACK><CTL=RST>".
        let mut ack_ok = false;
        if seg.is_ack() {
            if sp.le(seg.ack, self.iss) || sp.lt(self.snd_nxt, seg.ack) {
                if !seg.rst() {
                    fx.rst = true;
                    fx.send.push(
                        Segment::new(Ctl::RST, seg.ack, 0, self.inc)
                            .noted(Segment::RST_OF_SYN_SENT),
                    );
                }
                return;
            }
            // "If SND.UNA < SEG.ACK =< SND.NXT, then the ACK is acceptable."
            ack_ok = sp.lt(self.snd_una, seg.ack) && sp.le(seg.ack, self.snd_nxt);
        }
        // Second, check the RST bit: "If the ACK was acceptable, then signal to the
        // user 'error: connection reset', drop the segment, enter CLOSED state, delete
        // TCB, and return. Otherwise (no ACK), drop the segment and return."
        if seg.rst() {
            if ack_ok {
                self.delete(fx, Outcome::Reset);
            }
            return;
        }
        // Fourth, check the SYN bit.
        if seg.syn() {
            self.irs = seg.seq;
            self.rcv_nxt = sp.add(seg.seq, 1);
            if ack_ok {
                self.snd_una = seg.ack;
            }
            if sp.lt(self.iss, self.snd_una) {
                // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state
                // to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
                // and send it."
                self.state = State::Established;
                self.retries = 0;
                fx.cancel(TcpTimer::Retransmit);
                self.send_ack(fx);
                fx.signal(Signal::Established);
            } else {
                // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
                // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it." (simultaneous open,
                // Figure 7; MUST-10)
                self.state = State::SynReceived;
                fx.send.push(Segment::new(
                    Ctl::SYN | Ctl::ACK,
                    self.iss,
                    self.rcv_nxt,
                    self.inc,
                ));
                self.retries = 0;
                let t = Tcb::backoff(cfg, 0);
                fx.set(TcpTimer::Retransmit, t, t);
            }
        }
        // Fifth: "If neither of the SYN or RST bits is set, then drop the segment and
        // return."
    }

    /// SYN-RECEIVED: `seg` acknowledges our SYN; enter ESTABLISHED.
    fn syn_acked(&mut self, seg: &Segment, fx: &mut Effects) {
        self.snd_una = seg.ack;
        self.state = State::Established;
        self.retries = 0;
        // Ghost: the connection belongs to the later of the incarnations of the SYN it
        // answered and of the segment that completes the handshake (an old SYN
        // completed by a new ACK is the new connection; a new SYN completed by an old
        // ACK is too).
        self.inc = self.inc.max(seg.inc);
        fx.cancel(TcpTimer::Retransmit);
        fx.signal(Signal::Established);
    }

    fn arrive_synchronized(&mut self, cfg: &TcpConfig, seg: &Segment, fx: &mut Effects) {
        let sp = cfg.space;
        let wnd = cfg.rcv_wnd;
        // TIME-WAIT: a retransmission of the remote FIN lies just below RCV.NXT, so the
        // sequence check alone would only ACK it. §3.10.7.4 (eighth) says to ACK it and
        // restart the 2 MSL timeout; the model does both here.
        if self.state == State::TimeWait
            && seg.fin()
            && !seg.rst()
            && sp.add(seg.seq, seg.data.is_some() as u8 + 1) == self.rcv_nxt
        {
            self.send_ack(fx);
            let t = cfg.time_wait.saturating_mul(cfg.msl);
            fx.set(TcpTimer::TimeWait, t, t);
            return;
        }
        if self.state == State::SynReceived && sp.add(seg.seq, 1) == self.rcv_nxt && seg.syn() {
            // A retransmitted SYN (SEG.SEQ = IRS, no ACK): §3.10.7.4 finds it below
            // RCV.NXT and answers with a bare ACK, which SYN-SENT ignores. Linux
            // (`tcp_check_req`: "Retransmitted SYN ... inet_rtx_syn_ack") and FreeBSD's
            // SYN cache answer with the SYN,ACK again; the model does the same.
            if !seg.is_ack() && !seg.rst() {
                fx.send.push(Segment::new(
                    Ctl::SYN | Ctl::ACK,
                    self.iss,
                    self.rcv_nxt,
                    self.inc,
                ));
                return;
            }
            // Simultaneous open (Figure 7, line 7): the peer's SYN,ACK acknowledges our
            // SYN. §3.10.7.4 finds it below RCV.NXT too and only ACKs it; Linux since
            // 6.11 and FreeBSD accept it and enter ESTABLISHED, as the figure draws.
            if seg.is_ack()
                && !seg.rst()
                && !seg.fin()
                && seg.data.is_none()
                && seg.ack == self.snd_nxt
                && cfg.simultaneous_open == SimultaneousOpen::Stack
            {
                self.syn_acked(seg, fx);
                return;
            }
        }
        // First, check the sequence number: the acceptability test of §3.10.7.4.
        let acceptable = if seg.is_empty() {
            sp.in_window(seg.seq, self.rcv_nxt, wnd)
        } else {
            let last = sp.add(seg.seq, seg.len() - 1);
            sp.in_window(seg.seq, self.rcv_nxt, wnd) || sp.in_window(last, self.rcv_nxt, wnd)
        };
        if !acceptable {
            // "If an incoming segment is not acceptable, an acknowledgment should be
            // sent in reply (unless the RST bit is set, if so drop the segment and
            // return): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
            if !seg.rst() {
                self.send_ack(fx);
            }
            return;
        }
        let at_rcv_nxt = seg.seq == self.rcv_nxt;

        // Second, check the RST bit. RFC 5961 §3 (adopted by §3.10.7.4): only a RST
        // exactly at RCV.NXT resets; one elsewhere in the window gets a challenge ACK.
        if seg.rst() {
            if !at_rcv_nxt {
                self.send_ack(fx);
                return;
            }
            match self.state {
                // "If this connection was initiated with a passive OPEN (i.e., came from
                // the LISTEN state), then return this connection to LISTEN state and
                // return." (Note 1; MUST-11) "If ... an active OPEN ... the connection
                // was refused".
                State::SynReceived => {
                    if self.passive {
                        let inc = self.inc;
                        fx.cancel_all();
                        self.open_passive();
                        self.inc = inc;
                    } else {
                        self.delete(fx, Outcome::Reset);
                    }
                }
                // RFC 1337: "ignore RST segments in TIME-WAIT state".
                State::TimeWait if cfg.ignore_rst_in_time_wait => {}
                // ESTABLISHED .. TIME-WAIT: "enter the CLOSED state, delete the TCB".
                _ => self.delete(fx, Outcome::Reset),
            }
            return;
        }

        // Fourth, check the SYN bit.
        if seg.syn() {
            if self.state == State::SynReceived && self.passive {
                // "If the connection was initiated with a passive OPEN, then return this
                // connection to the LISTEN state and return."
                let inc = self.inc;
                fx.cancel_all();
                self.open_passive();
                self.inc = inc;
                return;
            }
            // Synchronized states: RFC 5961 §4 "challenge ACK"
            // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, then drop the segment.
            self.send_ack(fx);
            return;
        }

        // Fifth, check the ACK field: "if the ACK bit is off, drop the segment".
        if !seg.is_ack() {
            return;
        }
        match self.state {
            // SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED";
            // otherwise "form a reset segment <SEQ=SEG.ACK><CTL=RST> and send it".
            State::SynReceived => {
                if sp.lt(self.snd_una, seg.ack) && sp.le(seg.ack, self.snd_nxt) {
                    self.syn_acked(seg, fx);
                } else {
                    fx.rst = true;
                    fx.send.push(Segment::new(Ctl::RST, seg.ack, 0, self.inc));
                    return;
                }
            }
            // TIME-WAIT: "The only thing that can arrive in this state is a
            // retransmission of the remote FIN" (handled with the FIN below).
            State::TimeWait => {}
            // ESTABLISHED and the states after it: advance SND.UNA.
            _ => {
                // RFC 5961 §5 (MAY-12 of §3.10.7.4; Linux `tcp_ack`, "TOO_OLD_ACK"): the
                // ACK is acceptable only in (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT;
                // any other is discarded and an ACK is sent. (MAX.SND.WND is the peer's
                // window, the same RCV.WND here.)
                let lo = sp.sub(self.snd_una, cfg.rcv_wnd);
                if !sp.in_window(seg.ack, lo, sp.sub(self.snd_nxt, lo) + 1) {
                    self.send_ack(fx);
                    return;
                }
                if sp.lt(self.snd_una, seg.ack) && sp.le(seg.ack, self.snd_nxt) {
                    let acked = sp.sub(seg.ack, self.snd_una) as usize;
                    let fin_in = self.fin_sent && seg.ack == self.snd_nxt;
                    // After a CLOSE in SYN-RECEIVED our SYN may still be unacknowledged.
                    let syn_in = self.passive_syn_unacked();
                    if syn_in {
                        self.inc = self.inc.max(seg.inc);
                    }
                    let data_acked = acked - fin_in as usize - syn_in as usize;
                    self.unacked.drop_front(data_acked);
                    self.snd_una = seg.ack;
                    self.retries = 0;
                    if self.snd_una == self.snd_nxt {
                        fx.cancel(TcpTimer::Retransmit);
                    } else {
                        let t = Tcb::backoff(cfg, 0);
                        fx.set(TcpTimer::Retransmit, t, t);
                    }
                } else if sp.lt(self.snd_nxt, seg.ack) {
                    // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then
                    // send an ACK, drop the segment, and return."
                    self.send_ack(fx);
                    return;
                }
                // "If SEG.ACK < SND.UNA, it can be ignored" (a duplicate).
                match self.state {
                    // FIN-WAIT-1: "if the FIN segment is now acknowledged, then enter
                    // FIN-WAIT-2 and continue processing in that state".
                    State::FinWait1 if self.fin_acked() => self.enter_fin_wait_2(cfg, fx),
                    // CLOSING: "if the ACK acknowledges our FIN, then enter the
                    // TIME-WAIT state; otherwise, ignore the segment".
                    State::Closing => {
                        if self.fin_acked() {
                            self.enter_time_wait(cfg, fx);
                        }
                        return;
                    }
                    // LAST-ACK: "If our FIN is now acknowledged, delete the TCB, enter
                    // the CLOSED state, and return."
                    State::LastAck => {
                        if self.fin_acked() {
                            self.delete(fx, Outcome::Normal);
                        }
                        return;
                    }
                    _ => {}
                }
            }
        }

        // Seventh, process the segment text: only ESTABLISHED, FIN-WAIT-1 and
        // FIN-WAIT-2 take data; only the chunk at RCV.NXT is taken (no out-of-order
        // queue in this model).
        if seg.data.is_some()
            && self.rcv_shut
            && matches!(self.state, State::FinWait1 | State::FinWait2)
            && sp.le(self.rcv_nxt, seg.seq)
        {
            // New data after the application called close(): RFC 1122 §4.2.2.13 "its
            // TCP SHOULD send a RST to show that data was lost"; Linux resets the
            // connection (`tcp_rcv_state_process`, LINUX_MIB_TCPABORTONDATA).
            fx.rst = true;
            fx.send
                .push(Segment::new(Ctl::RST, self.snd_nxt, 0, self.inc));
            self.delete(fx, Outcome::Reset);
            return;
        }
        if let Some(data) = &seg.data {
            if at_rcv_nxt
                && matches!(
                    self.state,
                    State::Established | State::FinWait1 | State::FinWait2
                )
            {
                self.rcv_nxt = sp.add(self.rcv_nxt, 1);
                self.unread |= !cfg.reads;
                fx.signal(Signal::Data(*data, seg.inc));
                if !seg.fin() {
                    self.ack_accepted(cfg, fx);
                }
            } else if !seg.fin() {
                self.send_ack(fx);
                return;
            }
        }

        // Eighth, check the FIN bit.
        if seg.fin() {
            let fin_seq = sp.add(seg.seq, seg.data.is_some() as u8);
            if fin_seq != self.rcv_nxt && self.state != State::TimeWait {
                // Not yet in sequence: it cannot be processed.
                self.send_ack(fx);
                return;
            }
            if self.state != State::TimeWait {
                // "advance RCV.NXT over the FIN, and send an acknowledgment for the FIN"
                self.rcv_nxt = sp.add(self.rcv_nxt, 1);
                fx.signal(Signal::PeerClosed(seg.inc));
            }
            // The ACK of a FIN that ends our side too (TIME-WAIT follows) is not
            // delayed: nothing of ours will ever carry it.
            if matches!(self.state, State::SynReceived | State::Established) {
                self.ack_accepted(cfg, fx);
            } else {
                self.send_ack(fx);
            }
            match self.state {
                // "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT state."
                State::SynReceived | State::Established => self.state = State::CloseWait,
                // "FIN-WAIT-1: If our FIN has been ACKed (perhaps in this segment), then
                // enter TIME-WAIT, start the time-wait timer, turn off the other timers;
                // otherwise, enter the CLOSING state." (Note 2 when acked here)
                State::FinWait1 => {
                    if self.fin_acked() {
                        self.enter_time_wait(cfg, fx);
                    } else {
                        self.state = State::Closing;
                    }
                }
                // "FIN-WAIT-2: Enter the TIME-WAIT state. Start the time-wait timer, turn
                // off the other timers."
                State::FinWait2 => self.enter_time_wait(cfg, fx),
                // "TIME-WAIT: Remain in the TIME-WAIT state. Restart the 2 MSL time-wait
                // timeout."
                State::TimeWait => {
                    let t = cfg.time_wait.saturating_mul(cfg.msl);
                    fx.set(TcpTimer::TimeWait, t, t);
                }
                // CLOSE-WAIT, CLOSING, LAST-ACK: remain.
                _ => {}
            }
        }
    }
}
