//! Per-state tests, written as segment timelines (smoltcp's habit): each fixture builds
//! on the previous state, segments are written as a difference from a template, and
//! each test ends in a state assertion.

use super::segment::{Ctl, Segment};
use super::state::State;
use super::tcb::{Effects, Outcome, Signal, Tcb, TcpConfig, TcpTimer, TimerCmd};

fn cfg() -> TcpConfig {
    TcpConfig::default()
}

/// A segment from the template `<SEQ=seq><ACK=ack><CTL=ctl>`.
fn seg(ctl: Ctl, seq: u8, ack: u8) -> Segment {
    Segment::new(ctl, seq, ack, 1)
}

fn recv(t: &mut Tcb, s: Segment) -> Effects {
    let mut fx = Effects::default();
    t.arrive(&cfg(), &s, &mut fx);
    fx
}

fn sent(fx: &Effects) -> Vec<String> {
    fx.send.iter().map(|s| s.to_string()).collect()
}

// --- fixtures: the client (ISS 0) and the server (ISS 4) ----------------------------

fn socket_closed() -> Tcb {
    Tcb::closed()
}

fn socket_listen() -> Tcb {
    let mut t = Tcb::closed();
    t.open_passive();
    t
}

fn socket_syn_sent() -> Tcb {
    let mut t = Tcb::closed();
    let mut fx = Effects::default();
    t.open_active(1, &mut fx);
    assert_eq!(fx.signals[..], [Signal::NeedIsn]);
    t.isn_chosen(&cfg(), 0, &mut fx);
    assert_eq!(sent(&fx), ["SYN seq=0"]);
    t
}

fn socket_syn_received() -> Tcb {
    let mut t = socket_listen();
    let mut fx = recv(&mut t, seg(Ctl::SYN, 0, 0));
    assert_eq!(fx.signals[..], [Signal::NeedIsn]);
    t.isn_chosen(&cfg(), 4, &mut fx);
    assert_eq!(sent(&fx), ["SYN,ACK seq=4 ack=1"]);
    t
}

fn socket_established() -> Tcb {
    let mut t = socket_syn_sent();
    let fx = recv(&mut t, seg(Ctl::SYN | Ctl::ACK, 4, 1));
    assert_eq!(sent(&fx), ["ACK seq=1 ack=5"]);
    t
}

fn socket_fin_wait_1() -> Tcb {
    let mut t = socket_established();
    let mut fx = Effects::default();
    t.close(&cfg(), &mut fx);
    assert_eq!(sent(&fx), ["FIN,ACK seq=1 ack=5"]);
    t
}

fn socket_fin_wait_2() -> Tcb {
    let mut t = socket_fin_wait_1();
    recv(&mut t, seg(Ctl::ACK, 5, 2));
    t
}

fn socket_close_wait() -> Tcb {
    let mut t = socket_established();
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 5, 1));
    assert_eq!(sent(&fx), ["ACK seq=1 ack=6"]);
    t
}

fn socket_last_ack() -> Tcb {
    let mut t = socket_close_wait();
    let mut fx = Effects::default();
    t.close(&cfg(), &mut fx);
    assert_eq!(sent(&fx), ["FIN,ACK seq=1 ack=6"]);
    t
}

fn socket_time_wait() -> Tcb {
    let mut t = socket_fin_wait_2();
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 5, 2));
    assert_eq!(sent(&fx), ["ACK seq=2 ack=6"]);
    t
}

// --- CLOSED --------------------------------------------------------------------------

#[test]
fn test_closed_syn_gets_rst_ack() {
    let mut t = socket_closed();
    let fx = recv(&mut t, seg(Ctl::SYN, 3, 0));
    assert_eq!(sent(&fx), ["RST,ACK seq=0 ack=4"]);
    assert_eq!(t.state, State::Closed);
}

#[test]
fn test_closed_ack_gets_rst_at_its_ack() {
    let mut t = socket_closed();
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 5, 2));
    assert_eq!(sent(&fx), ["RST seq=2"]);
}

#[test]
fn test_closed_rst_is_discarded() {
    let mut t = socket_closed();
    assert!(recv(&mut t, seg(Ctl::RST, 5, 0)).send.is_empty());
}

// --- LISTEN --------------------------------------------------------------------------

#[test]
fn test_listen_syn_goes_to_syn_received() {
    assert_eq!(socket_syn_received().state, State::SynReceived);
}

#[test]
fn test_listen_ack_gets_rst() {
    let mut t = socket_listen();
    assert_eq!(sent(&recv(&mut t, seg(Ctl::ACK, 1, 5))), ["RST seq=5"]);
    assert_eq!(t.state, State::Listen);
}

#[test]
fn test_listen_rst_is_ignored() {
    let mut t = socket_listen();
    assert!(recv(&mut t, seg(Ctl::RST, 1, 0)).send.is_empty());
    assert_eq!(t.state, State::Listen);
}

// --- SYN-SENT ------------------------------------------------------------------------

#[test]
fn test_syn_sent_syn_ack_goes_to_established() {
    assert_eq!(socket_established().state, State::Established);
}

#[test]
fn test_syn_sent_bad_ack_gets_rst_fig_8() {
    // Figure 8, line 6: the SYN-ACK of an old duplicate SYN acknowledges 91, not 101.
    let mut t = socket_syn_sent();
    let fx = recv(&mut t, seg(Ctl::SYN | Ctl::ACK, 4, 5));
    assert_eq!(sent(&fx), ["RST seq=5"]);
    assert_eq!(t.state, State::SynSent);
}

#[test]
fn test_syn_sent_ack_of_the_iss_or_below_gets_rst() {
    // §3.10.7.3: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset": here SEG.ACK
    // = ISS (the SYN-ACK acknowledges nothing of ours).
    let mut t = socket_syn_sent();
    let fx = recv(&mut t, seg(Ctl::SYN | Ctl::ACK, 4, 0));
    assert_eq!(sent(&fx), ["RST seq=0"]);
    assert!(fx.send[0].has_note(Segment::RST_OF_SYN_SENT));
    assert!(fx.rst);
    assert_eq!(t.state, State::SynSent);
    // The same ACK on a RST: the segment is dropped, nothing is sent.
    let fx = recv(&mut t, seg(Ctl::RST | Ctl::ACK, 4, 0));
    assert!(fx.send.is_empty());
    assert_eq!(t.state, State::SynSent);
}

#[test]
fn test_syn_sent_syn_is_simultaneous_open_fig_7() {
    let mut t = socket_syn_sent();
    let fx = recv(&mut t, seg(Ctl::SYN, 4, 0));
    assert_eq!(sent(&fx), ["SYN,ACK seq=0 ack=5"]);
    assert_eq!(t.state, State::SynReceived);
    assert!(!t.passive);
}

#[test]
fn test_syn_sent_rst_with_acceptable_ack_is_refused() {
    let mut t = socket_syn_sent();
    let fx = recv(&mut t, seg(Ctl::RST | Ctl::ACK, 0, 1));
    assert!(fx.signals.contains(&Signal::Closed(Outcome::Reset)));
    assert_eq!(t.state, State::Closed);
}

#[test]
fn test_syn_sent_rst_without_ack_is_dropped() {
    let mut t = socket_syn_sent();
    recv(&mut t, seg(Ctl::RST, 0, 0));
    assert_eq!(t.state, State::SynSent);
}

// --- SYN-RECEIVED --------------------------------------------------------------------

#[test]
fn test_syn_received_ack_goes_to_established() {
    let mut t = socket_syn_received();
    let fx = recv(&mut t, seg(Ctl::ACK, 1, 5));
    assert!(fx.signals.contains(&Signal::Established));
    assert_eq!(t.state, State::Established);
}

#[test]
fn test_syn_received_rst_returns_passive_open_to_listen_note_1() {
    let mut t = socket_syn_received();
    recv(&mut t, seg(Ctl::RST, 1, 0));
    assert_eq!(t.state, State::Listen);
}

#[test]
fn test_syn_received_unacceptable_ack_gets_rst() {
    let mut t = socket_syn_received();
    assert_eq!(sent(&recv(&mut t, seg(Ctl::ACK, 1, 3))), ["RST seq=3"]);
    assert_eq!(t.state, State::SynReceived);
}

// --- ESTABLISHED ---------------------------------------------------------------------

#[test]
fn test_established_fin_goes_to_close_wait() {
    assert_eq!(socket_close_wait().state, State::CloseWait);
}

#[test]
fn test_established_data_is_acked_and_delivered() {
    let mut t = socket_established();
    let fx = recv(
        &mut t,
        seg(Ctl::PSH | Ctl::ACK, 5, 1).with_data(b"hi".as_slice().into()),
    );
    assert_eq!(sent(&fx), ["ACK seq=1 ack=6"]);
    assert!(matches!(fx.signals[0], Signal::Data(_, 1)));
}

#[test]
fn test_established_data_and_fin_half_below_the_window_is_acceptable() {
    // §3.10.7.4: a segment is acceptable if its first "or" its last sequence number is
    // in the window. The data of this retransmission was taken; its FIN was not.
    let mut t = socket_established();
    let data = |ctl| seg(ctl, 5, 1).with_data(b"hi".as_slice().into());
    recv(&mut t, data(Ctl::PSH | Ctl::ACK));
    assert_eq!(t.rcv_nxt, 6);
    let fx = recv(&mut t, data(Ctl::PSH | Ctl::ACK | Ctl::FIN));
    assert_eq!(sent(&fx), ["ACK seq=1 ack=7"]);
    assert_eq!(
        fx.signals[..],
        [Signal::PeerClosed(1)],
        "the data is not delivered twice"
    );
    assert_eq!(t.state, State::CloseWait);
}

#[test]
fn test_data_off_rcv_nxt_or_after_the_peers_fin_is_acked_not_taken() {
    // Seventh (§3.10.7.4): only ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 take text, and
    // this model takes only the chunk at RCV.NXT; any other draws an ACK.
    let data = |seq| seg(Ctl::PSH | Ctl::ACK, seq, 1).with_data(b"hi".as_slice().into());
    let mut t = socket_established();
    let fx = recv(&mut t, data(6));
    assert_eq!(sent(&fx), ["ACK seq=1 ack=5"]);
    assert!(fx.signals.is_empty());
    assert_eq!(t.rcv_nxt, 5);
    let mut t = socket_close_wait();
    let fx = recv(&mut t, data(6));
    assert_eq!(sent(&fx), ["ACK seq=1 ack=6"]);
    assert!(fx.signals.is_empty());
    assert_eq!((t.rcv_nxt, t.state), (6, State::CloseWait));
}

#[test]
fn test_established_old_segment_below_window_gets_ack() {
    let mut t = socket_established();
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 3, 1));
    assert_eq!(sent(&fx), ["ACK seq=1 ack=5"]);
    assert_eq!(t.state, State::Established);
}

#[test]
fn test_established_syn_gets_challenge_ack() {
    let mut t = socket_established();
    assert_eq!(
        sent(&recv(&mut t, seg(Ctl::SYN, 5, 0))),
        ["ACK seq=1 ack=5"]
    );
    assert_eq!(t.state, State::Established);
}

#[test]
fn test_established_rst_in_window_resets_fig_9() {
    let mut t = socket_established();
    let fx = recv(&mut t, seg(Ctl::RST, 5, 0));
    assert!(fx.signals.contains(&Signal::Closed(Outcome::Reset)));
    assert_eq!(t.state, State::Closed);
}

#[test]
fn test_established_rst_off_rcv_nxt_gets_challenge_ack() {
    let mut t = socket_established();
    assert_eq!(
        sent(&recv(&mut t, seg(Ctl::RST, 6, 0))),
        ["ACK seq=1 ack=5"]
    );
    assert_eq!(t.state, State::Established);
}

#[test]
fn test_passive_established_syn_gets_challenge_ack() {
    // Only SYN-RECEIVED of a passive OPEN returns to LISTEN on a SYN; a synchronized
    // connection answers it with a challenge ACK (RFC 5961 §4), passive or not.
    let mut t = socket_syn_received();
    recv(&mut t, seg(Ctl::ACK, 1, 5));
    assert!(t.passive);
    assert_eq!(
        sent(&recv(&mut t, seg(Ctl::SYN, 1, 0))),
        ["ACK seq=5 ack=1"]
    );
    assert_eq!(t.state, State::Established);
}

// --- FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT ---------------------------------------

#[test]
fn test_fin_wait_1_ack_goes_to_fin_wait_2() {
    assert_eq!(socket_fin_wait_2().state, State::FinWait2);
}

#[test]
fn test_fin_wait_1_fin_ack_of_our_fin_goes_to_time_wait_note_2() {
    let mut t = socket_fin_wait_1();
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 5, 2));
    assert_eq!(sent(&fx), ["ACK seq=2 ack=6"]);
    assert_eq!(t.state, State::TimeWait);
}

#[test]
fn test_fin_wait_1_fin_goes_to_closing_fig_13() {
    let mut t = socket_fin_wait_1();
    recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 5, 1));
    assert_eq!(t.state, State::Closing);
    recv(&mut t, seg(Ctl::ACK, 6, 2));
    assert_eq!(t.state, State::TimeWait);
}

#[test]
fn test_fin_wait_2_fin_goes_to_time_wait_for_2_msl() {
    let mut t = socket_fin_wait_2();
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 5, 2));
    assert!(fx.timers.contains(&TimerCmd::Set(TcpTimer::TimeWait, 4, 4)));
    assert_eq!(t.state, State::TimeWait);
}

#[test]
fn test_time_wait_retransmitted_fin_is_reacked_and_restarts_timer() {
    let mut t = socket_time_wait();
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 5, 2));
    assert_eq!(sent(&fx), ["ACK seq=2 ack=6"]);
    assert!(fx.timers.contains(&TimerCmd::Set(TcpTimer::TimeWait, 4, 4)));
    assert_eq!(t.state, State::TimeWait);
}

#[test]
fn test_time_wait_fin_at_rcv_nxt_is_acked_and_restarts_the_timer() {
    // Eighth, TIME-WAIT: "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait
    // timeout", for a FIN in the window too (an old FIN of an earlier incarnation).
    let mut t = socket_time_wait();
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 6, 2));
    assert_eq!(sent(&fx), ["ACK seq=2 ack=6"]);
    assert!(fx.timers.contains(&TimerCmd::Set(TcpTimer::TimeWait, 4, 4)));
    assert!(fx.signals.is_empty());
    assert_eq!(t.state, State::TimeWait);
}

#[test]
fn test_time_wait_ignores_the_ack_field() {
    // Fifth, TIME-WAIT: "The only thing that can arrive in this state is a
    // retransmission of the remote FIN": an ACK of something never sent draws nothing.
    let mut t = socket_time_wait();
    let fx = recv(&mut t, seg(Ctl::ACK, 6, 3));
    assert!(fx.send.is_empty(), "{:?}", sent(&fx));
    assert_eq!(t.state, State::TimeWait);
}

#[test]
fn test_time_wait_rst_assassinates_unless_rfc_1337() {
    let mut t = socket_time_wait();
    recv(&mut t, seg(Ctl::RST, 6, 0));
    assert_eq!(t.state, State::Closed);
    let mut t = socket_time_wait();
    let c = TcpConfig {
        ignore_rst_in_time_wait: true,
        ..cfg()
    };
    let mut fx = Effects::default();
    t.arrive(&c, &seg(Ctl::RST, 6, 0), &mut fx);
    assert_eq!(t.state, State::TimeWait);
}

#[test]
fn test_time_wait_timeout_closes_normally() {
    let mut t = socket_time_wait();
    let mut fx = Effects::default();
    t.timeout(&cfg(), TcpTimer::TimeWait, &mut fx);
    assert!(fx.signals.contains(&Signal::Closed(Outcome::Normal)));
    assert_eq!(t.state, State::Closed);
}

// --- CLOSE-WAIT, LAST-ACK ------------------------------------------------------------

#[test]
fn test_close_wait_may_still_send_half_close() {
    let mut t = socket_close_wait();
    let mut fx = Effects::default();
    assert!(t.send(&cfg(), b"more".as_slice().into(), &mut fx));
    assert_eq!(sent(&fx), ["PSH,ACK seq=1 ack=6 \"more\""]);
    assert_eq!(t.state, State::CloseWait);
}

#[test]
fn test_send_before_the_connection_is_open_is_refused() {
    // §3.10.2 lets LISTEN, SYN-SENT and SYN-RECEIVED queue the data; the model's
    // applications never send before ESTABLISHED, so SEND there is refused.
    for mut t in [
        socket_closed(),
        socket_listen(),
        socket_syn_sent(),
        socket_syn_received(),
    ] {
        let was = t.clone();
        let mut fx = Effects::default();
        assert!(
            !t.send(&cfg(), b"early".as_slice().into(), &mut fx),
            "{}",
            t.state
        );
        assert_eq!(fx, Effects::default());
        assert_eq!(t, was);
    }
    // After our FIN, no more data (§3.10.4: "error: connection closing").
    let mut t = socket_last_ack();
    assert!(!t.send(&cfg(), b"late".as_slice().into(), &mut Effects::default()));
}

#[test]
fn test_nothing_is_outstanding_once_our_fin_is_acked() {
    assert!(socket_fin_wait_2().outstanding(&cfg()).is_empty());
    assert!(socket_time_wait().outstanding(&cfg()).is_empty());
    let fin: Vec<String> = socket_fin_wait_1()
        .outstanding(&cfg())
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(fin, ["FIN,ACK seq=1 ack=5"]);
}

#[test]
fn test_last_ack_ack_of_fin_closes() {
    let mut t = socket_last_ack();
    let fx = recv(&mut t, seg(Ctl::ACK, 6, 2));
    assert!(fx.signals.contains(&Signal::Closed(Outcome::Normal)));
    assert_eq!(t.state, State::Closed);
}

#[test]
fn test_last_ack_user_timeout_aborts_without_rst() {
    let mut t = socket_last_ack();
    let c = TcpConfig {
        max_retries: Some(1),
        ..cfg()
    };
    let mut fx = Effects::default();
    t.timeout(&c, TcpTimer::Retransmit, &mut fx);
    assert_eq!(sent(&fx), ["FIN,ACK seq=1 ack=6"]);
    let mut fx = Effects::default();
    t.timeout(&c, TcpTimer::Retransmit, &mut fx);
    assert!(fx.send.is_empty(), "the user timeout sends no RST");
    assert!(fx.signals.contains(&Signal::Closed(Outcome::TimedOut)));
    assert_eq!(t.state, State::Closed);
}

#[test]
fn test_two_way_handshake_is_established_on_the_syn() {
    let mut t = socket_listen();
    let c = TcpConfig {
        handshake: super::tcb::Handshake::TwoWay,
        ..cfg()
    };
    let mut fx = Effects::default();
    t.arrive(&c, &seg(Ctl::SYN, 0, 0), &mut fx);
    t.isn_chosen(&c, 4, &mut fx);
    assert_eq!(t.state, State::Established);
}

// --- fidelity fixes, each against its section -----------------------------------------

/// The simultaneous-open fixture: SYN-SENT (ISS 0) got the peer's SYN (seq 4) and sent
/// its own SYN,ACK (Figure 7, line 3).
fn socket_simultaneous_syn_received() -> Tcb {
    let mut t = socket_syn_sent();
    let fx = recv(&mut t, seg(Ctl::SYN, 4, 0));
    assert_eq!(sent(&fx), ["SYN,ACK seq=0 ack=5"]);
    assert_eq!(t.state, State::SynReceived);
    t
}

#[test]
fn test_syn_received_syn_ack_completes_simultaneous_open_fig_7() {
    // Figure 7, line 7, as Linux 6.11+ (`tcp_validate_incoming`) and FreeBSD do it.
    let mut t = socket_simultaneous_syn_received();
    let fx = recv(&mut t, seg(Ctl::SYN | Ctl::ACK, 4, 1));
    assert!(fx.send.is_empty());
    assert!(fx.signals.contains(&Signal::Established));
    assert_eq!(t.state, State::Established);
}

#[test]
fn test_syn_received_syn_ack_only_draws_ack_per_3_10_7_4_text() {
    // §3.10.7.4 as written: SEG.SEQ = IRS lies below RCV.NXT, "not acceptable", ACK.
    let c = TcpConfig {
        simultaneous_open: super::tcb::SimultaneousOpen::RfcText,
        ..cfg()
    };
    let mut t = socket_simultaneous_syn_received();
    let mut fx = Effects::default();
    t.arrive(&c, &seg(Ctl::SYN | Ctl::ACK, 4, 1), &mut fx);
    assert_eq!(sent(&fx), ["ACK seq=1 ack=5"]);
    assert_eq!(t.state, State::SynReceived);
    // The peer's ACK (its answer to our SYN,ACK) completes the handshake.
    recv(&mut t, seg(Ctl::ACK, 5, 1));
    assert_eq!(t.state, State::Established);
}

#[test]
fn test_syn_received_retransmitted_syn_draws_syn_ack_again() {
    // Linux `tcp_check_req` ("Retransmitted SYN") resends the SYN,ACK; §3.10.7.4's
    // acceptability test would send a bare ACK that SYN-SENT ignores.
    let mut t = socket_syn_received();
    let fx = recv(&mut t, seg(Ctl::SYN, 0, 0));
    assert_eq!(sent(&fx), ["SYN,ACK seq=4 ack=1"]);
    assert_eq!(t.state, State::SynReceived);
}

#[test]
fn test_syn_received_close_sends_fin_and_retransmits_syn_ack_first() {
    // §3.10.4 SYN-RECEIVED: "form a FIN segment and send it, and enter FIN-WAIT-1";
    // the SYN,ACK is still unacknowledged, so it leads the retransmission queue.
    let mut t = socket_syn_received();
    let mut fx = Effects::default();
    t.close(&cfg(), &mut fx);
    assert_eq!(sent(&fx), ["FIN,ACK seq=5 ack=1"]);
    assert_eq!(t.state, State::FinWait1);
    let mut fx = Effects::default();
    t.timeout(&cfg(), TcpTimer::Retransmit, &mut fx);
    assert_eq!(sent(&fx), ["SYN,ACK seq=4 ack=1", "FIN,ACK seq=5 ack=1"]);
    // The ACK of both takes FIN-WAIT-1 to FIN-WAIT-2.
    recv(&mut t, seg(Ctl::ACK, 1, 6));
    assert_eq!(t.state, State::FinWait2);
}

#[test]
fn test_established_too_old_ack_is_discarded_rfc_5961_5() {
    // RFC 5961 §5 (MAY-12): SEG.ACK < SND.UNA - MAX.SND.WND: discard, send an ACK.
    let mut t = socket_established();
    let mut fx = Effects::default();
    t.send(&cfg(), crate::tcp::Payload::from(&b"x"[..]), &mut fx);
    recv(&mut t, seg(Ctl::ACK, 5, 2));
    assert_eq!(t.snd_una, 2);
    // ACK 7 is 3 below SND.UNA = 2 in a space of 8, beyond the window of 2: its FIN is
    // not processed.
    let fx = recv(&mut t, seg(Ctl::FIN | Ctl::ACK, 5, 7));
    assert_eq!(sent(&fx), ["ACK seq=2 ack=5"]);
    assert_eq!(t.state, State::Established);
}

#[test]
fn test_fin_wait_2_data_after_close_draws_rst() {
    // RFC 1122 §4.2.2.13: "if new data is received after CLOSE is called, its TCP SHOULD
    // send a RST"; Linux resets (LINUX_MIB_TCPABORTONDATA).
    let c = TcpConfig {
        close_call: super::tcb::CloseCall::Close,
        ..cfg()
    };
    let mut t = socket_established();
    let mut fx = Effects::default();
    t.close(&c, &mut fx);
    t.arrive(&c, &seg(Ctl::ACK, 5, 2), &mut Effects::default());
    assert_eq!(t.state, State::FinWait2);
    let mut fx = Effects::default();
    let data = seg(Ctl::PSH | Ctl::ACK, 5, 2).with_data(crate::tcp::Payload::from(&b"late"[..]));
    t.arrive(&c, &data, &mut fx);
    assert_eq!(sent(&fx), ["RST seq=2"]);
    assert!(fx.signals.contains(&Signal::Closed(Outcome::Reset)));
    assert_eq!(t.state, State::Closed);
}

#[test]
fn test_close_wait_delayed_ack_rides_on_the_fin() {
    // §3.8.6.3: the ACK of the peer's FIN waits; our FIN carries it (three segments).
    let c = TcpConfig {
        delayed_ack: true,
        ..cfg()
    };
    let mut t = socket_established();
    let mut fx = Effects::default();
    t.arrive(&c, &seg(Ctl::FIN | Ctl::ACK, 5, 1), &mut fx);
    assert!(fx.send.is_empty(), "the ACK is delayed");
    assert!(fx
        .timers
        .contains(&TimerCmd::Set(TcpTimer::DelayedAck, 0, 0)));
    assert_eq!(t.state, State::CloseWait);
    let mut fx = Effects::default();
    t.close(&c, &mut fx);
    assert_eq!(sent(&fx), ["FIN,ACK seq=1 ack=6"]);
    assert!(fx.timers.contains(&TimerCmd::Cancel(TcpTimer::DelayedAck)));
    assert!(!t.ack_pending);
}

#[test]
fn test_retransmission_backs_off_to_the_cap_and_the_user_timeout_aborts() {
    // RFC 6298 §5.5 backoff, capped; §3.8.3 R2 as a time since the first transmission.
    let c = TcpConfig {
        rto: 1,
        rto_max: 4,
        max_retries: None,
        user_timeout: Some(10),
        ..cfg()
    };
    assert_eq!(
        (0..5).map(|k| Tcb::backoff(&c, k)).collect::<Vec<_>>(),
        [1, 2, 4, 4, 4]
    );
    let mut t = socket_last_ack();
    let mut arms = Vec::new();
    loop {
        let mut fx = Effects::default();
        t.timeout(&c, TcpTimer::Retransmit, &mut fx);
        if t.state == State::Closed {
            assert!(fx.signals.contains(&Signal::Closed(Outcome::TimedOut)));
            break;
        }
        assert!(fx.send.iter().all(|s| s.has_note(super::Segment::REXMIT)));
        arms.extend(fx.timers.iter().filter_map(|x| match x {
            TimerCmd::Set(TcpTimer::Retransmit, lo, _) => Some(*lo),
            _ => None,
        }));
    }
    // 1 + 2 + 4 + 4 = 11 ≥ 10: three retransmissions, then the abort.
    assert_eq!(arms, [2, 4, 4]);
}

#[test]
fn test_close_over_unread_data_and_abort_send_rst_as_linux_does() {
    // RFC 1122 §4.2.2.13: a CLOSE "while received data is still pending in TCP"
    // SHOULD send a RST; Linux's `tcp_close` does, and its active reset carries an ACK
    // (`tcp_send_active_reset`), where §3.10.5's ABORT sends <SEQ=SND.NXT><CTL=RST>.
    let data = seg(Ctl::PSH | Ctl::ACK, 5, 1).with_data(crate::tcp::Payload::from(&b"req"[..]));
    let unread = TcpConfig {
        close_call: super::tcb::CloseCall::Close,
        reads: false,
        rst_ack: true,
        ..cfg()
    };
    let mut t = socket_established();
    t.arrive(&unread, &data, &mut Effects::default());
    assert!(t.unread);
    let mut fx = Effects::default();
    t.close(&unread, &mut fx);
    assert_eq!(sent(&fx), ["RST,ACK seq=1 ack=6"]);
    assert!(fx.signals.contains(&Signal::Closed(Outcome::Aborted)));
    // An application that reads closes with a FIN as before.
    let reads = TcpConfig {
        reads: true,
        ..unread.clone()
    };
    let mut t = socket_established();
    t.arrive(&reads, &data, &mut Effects::default());
    let mut fx = Effects::default();
    t.close(&reads, &mut fx);
    assert_eq!(sent(&fx), ["FIN,ACK seq=1 ack=6"]);
    // SO_LINGER 0: close() is ABORT, with or without the ACK.
    for (rst_ack, want) in [(true, "RST,ACK seq=1 ack=5"), (false, "RST seq=1")] {
        let abort = TcpConfig {
            close_call: super::tcb::CloseCall::Abort,
            rst_ack,
            ..cfg()
        };
        let mut t = socket_established();
        let mut fx = Effects::default();
        t.close(&abort, &mut fx);
        assert_eq!(sent(&fx), [want]);
        assert_eq!(t.state, State::Closed);
    }
}

// --- the host (endpoint.rs): the application and the ghost bookkeeping ---------------

use super::endpoint::{CloseWhen, Endpoint, Host, HostConfig, Open, Timer};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;

/// A host's knobs: peer 1, ISNs 0 and 4, one incarnation, no data, nothing optional.
fn host_cfg(open: Open, close: CloseWhen) -> HostConfig {
    HostConfig {
        tcp: cfg(),
        peer: Id::from(1),
        open,
        incarnations: 1,
        data: 0,
        close,
        isns: vec![0, 4],
        quiet_time: 0,
        crash: false,
        payload: None,
        pace: 0,
        listen_step: false,
        isn_offset: 0,
        isn_clock: false,
        close_last: true,
    }
}

/// What an actor handler asked for, one line per command.
fn cmds(o: &Out<Endpoint>) -> Vec<String> {
    o.iter()
        .map(|c| match c {
            Command::SetTimer(t, r) => {
                format!("set {t:?} {}..{}", r.start.as_secs(), r.end.as_secs())
            }
            Command::CancelTimer(t) => format!("cancel {t:?}"),
            Command::Send(to, m) => format!("send {m} to {}", usize::from(*to)),
            Command::ChooseRandom(k, v) => format!("choose {k} {v:?}"),
            Command::Save(_) => "save".into(),
        })
        .collect()
}

/// Drives one host through its actor handlers.
struct Drive {
    e: Endpoint,
    h: Host,
}

impl Drive {
    fn start(cfg: HostConfig) -> (Drive, Vec<String>) {
        let e = Endpoint { cfg };
        let mut o = Out::new();
        let h = e.on_start(Id::from(0), &None, &mut o);
        (Drive { e, h }, cmds(&o))
    }
    fn step(
        &mut self,
        f: impl FnOnce(&Endpoint, &mut Cow<Host>, &mut Out<Endpoint>),
    ) -> Vec<String> {
        let mut o = Out::new();
        let mut c = Cow::Borrowed(&self.h);
        f(&self.e, &mut c, &mut o);
        let h = c.into_owned();
        self.h = h;
        cmds(&o)
    }
    fn msg(&mut self, s: Segment) -> Vec<String> {
        self.step(|e, h, o| e.on_msg(Id::from(0), h, Id::from(1), s, o))
    }
    fn timer(&mut self, t: Timer) -> Vec<String> {
        self.step(|e, h, o| e.on_timeout(Id::from(0), h, &t, o))
    }
    fn random(&mut self, isn: u8) -> Vec<String> {
        self.step(|e, h, o| e.on_random(Id::from(0), h, &isn, o))
    }
    /// An active host: OPEN with ISS `iss`, then the peer's SYN,ACK with ISS `irs`.
    fn established(cfg: HostConfig, iss: u8, irs: u8) -> (Drive, Vec<String>) {
        let (mut d, out) = Drive::start(cfg);
        assert_eq!(out, ["choose isn [0, 4]"]);
        let out = d.random(iss);
        assert_eq!(out[0], format!("send SYN seq={iss} to 1"));
        let out = d.msg(seg(Ctl::SYN | Ctl::ACK, irs, iss + 1));
        assert_eq!(d.h.tcb.state, State::Established);
        (d, out)
    }
}

#[test]
fn test_host_established_starts_the_application_and_arms_a_crash_once() {
    // The client's application goes on as soon as the connection is open; a host that
    // may crash arms its crash timer, any time from now on.
    let (d, out) = Drive::established(host_cfg(Open::Active, CloseWhen::AfterPeer), 0, 4);
    assert_eq!(
        out,
        [
            "send ACK seq=1 ack=5 to 1",
            "cancel Tcp(Retransmit)",
            "set App 0..0"
        ]
    );
    assert_eq!(d.h.est_by_irs.get(4), 1, "ESTABLISHED is counted by IRS");
    assert_eq!(d.h.est_by_irs.iter().map(u32::from).sum::<u32>(), 1);
    let crashy = HostConfig {
        crash: true,
        incarnations: 2,
        ..host_cfg(Open::Active, CloseWhen::AfterPeer)
    };
    let (mut d, out) = Drive::established(crashy, 0, 4);
    assert!(out.contains(&"set Crash 0..255".to_string()), "{out:?}");
    let out = d.timer(Timer::Crash);
    assert!(d.h.crashed);
    assert_eq!(d.h.outcome, Some(Outcome::Crashed));
    assert!(out.contains(&"set Reopen 0..0".to_string()), "{out:?}");
    assert_eq!(d.timer(Timer::Reopen), ["choose isn [0, 4]"]);
    assert_eq!(d.h.opened, 2);
    d.random(4);
    let out = d.msg(seg(Ctl::SYN | Ctl::ACK, 0, 5));
    assert_eq!(d.h.tcb.state, State::Established);
    assert!(
        !out.iter().any(|c| c.contains("Crash")),
        "a host crashes once: {out:?}"
    );
}

#[test]
fn test_host_passive_application_waits_for_the_peer_unless_it_closes_first() {
    let open = |close| {
        let (mut d, out) = Drive::start(host_cfg(Open::Passive, close));
        assert!(out.is_empty());
        assert_eq!(d.h.tcb.state, State::Listen);
        assert_eq!(d.msg(seg(Ctl::SYN, 0, 0)), ["choose isn [0, 4]"]);
        assert_eq!(d.random(4)[0], "send SYN,ACK seq=4 ack=1 to 1");
        let out = d.msg(seg(Ctl::ACK, 1, 5));
        assert_eq!(d.h.tcb.state, State::Established);
        out
    };
    assert_eq!(open(CloseWhen::AfterPeer), ["cancel Tcp(Retransmit)"]);
    assert_eq!(
        open(CloseWhen::First),
        ["cancel Tcp(Retransmit)", "set App 0..0"]
    );
}

#[test]
fn test_host_records_how_each_incarnation_ended_and_opens_again() {
    // Incarnation 1 closes normally after both applications closed; the host opens
    // incarnation 2 at once, which a RST resets: bits 1 and 2 of the ghost records.
    let two = HostConfig {
        incarnations: 2,
        ..host_cfg(Open::Active, CloseWhen::First)
    };
    let (mut d, _) = Drive::established(two, 0, 4);
    assert_eq!(d.timer(Timer::App)[0], "send FIN,ACK seq=1 ack=5 to 1");
    assert!(d.h.app_closed);
    d.msg(seg(Ctl::FIN | Ctl::ACK, 5, 2));
    assert_eq!(d.h.tcb.state, State::TimeWait);
    let out = d.timer(Timer::Tcp(TcpTimer::TimeWait));
    assert!(out.contains(&"choose isn [0, 4]".to_string()), "{out:?}");
    assert_eq!(d.h.opened, 2);
    assert_eq!(d.h.outcome, None, "a new connection has no outcome yet");
    assert_eq!(
        (d.h.ended_closed, d.h.ended_rst, d.h.ended_abort),
        (0b10, 0, 0)
    );
    d.random(4);
    d.msg(seg(Ctl::SYN | Ctl::ACK, 0, 5));
    assert_eq!(d.h.tcb.state, State::Established);
    assert!(!d.h.app_closed);
    d.msg(seg(Ctl::RST, 1, 0));
    assert_eq!(d.h.tcb.state, State::Closed);
    assert_eq!(d.h.outcome, Some(Outcome::Reset));
    assert_eq!(
        (d.h.ended_closed, d.h.ended_rst, d.h.ended_abort),
        (0b10, 0b100, 0b100)
    );
    // No third OPEN.
    assert_eq!(d.timer(Timer::Reopen), Vec::<String>::new());
    assert_eq!(d.h.opened, 2);
}

/// A data segment from the peer: ISS 4, one chunk, the ghost incarnation `inc`.
fn data_seg(seq: u8, ack: u8, inc: u8, text: &str) -> Segment {
    Segment::new(Ctl::PSH | Ctl::ACK, seq, ack, inc).with_data(text.as_bytes().into())
}

#[test]
fn test_host_sends_its_chunks_then_closes_when_it_may() {
    // The client (AfterPeer) sends both chunks, then waits for the peer's FIN.
    let two = HostConfig {
        data: 2,
        ..host_cfg(Open::Active, CloseWhen::AfterPeer)
    };
    let (mut d, _) = Drive::established(two, 0, 4);
    assert_eq!(
        d.timer(Timer::App),
        [
            "set App 0..0",
            "send PSH,ACK seq=1 ack=5 \"data1\" to 1",
            "set Tcp(Retransmit) 2..2"
        ]
    );
    assert_eq!(
        d.timer(Timer::App)[1],
        "send PSH,ACK seq=2 ack=5 \"data2\" to 1"
    );
    assert_eq!(d.h.sent, 2);
    assert_eq!(
        d.timer(Timer::App),
        Vec::<String>::new(),
        "not before the peer's FIN"
    );
    d.msg(seg(Ctl::ACK, 5, 3));
    assert_eq!(
        d.msg(seg(Ctl::FIN | Ctl::ACK, 5, 3)),
        ["send ACK seq=3 ack=6 to 1", "set App 0..0"]
    );
    assert_eq!(d.timer(Timer::App)[0], "send FIN,ACK seq=3 ack=6 to 1");
    assert!(d.h.app_closed);
    assert_eq!(
        d.timer(Timer::App),
        Vec::<String>::new(),
        "CLOSE is called once"
    );

    // The server (AfterPeer) sends nothing while ESTABLISHED; in CLOSE-WAIT it sends its
    // chunk (half-close), then closes.
    let one = HostConfig {
        data: 1,
        ..host_cfg(Open::Passive, CloseWhen::AfterPeer)
    };
    let (mut d, _) = Drive::start(one);
    d.msg(seg(Ctl::SYN, 0, 0));
    d.random(4);
    d.msg(seg(Ctl::ACK, 1, 5));
    assert_eq!(d.timer(Timer::App), Vec::<String>::new());
    assert_eq!(
        d.msg(seg(Ctl::FIN | Ctl::ACK, 1, 5)),
        ["send ACK seq=5 ack=2 to 1", "set App 0..0"]
    );
    assert_eq!(
        d.timer(Timer::App)[1],
        "send PSH,ACK seq=5 ack=2 \"data1\" to 1"
    );
    assert_eq!(d.timer(Timer::App)[0], "send FIN,ACK seq=6 ack=2 to 1");
    assert_eq!(d.h.tcb.state, State::LastAck);
}

#[test]
fn test_host_keeps_its_last_incarnation_open_unless_close_last() {
    let keep = |incarnations| HostConfig {
        incarnations,
        close_last: false,
        ..host_cfg(Open::Active, CloseWhen::First)
    };
    let (mut d, _) = Drive::established(keep(1), 0, 4);
    assert_eq!(d.timer(Timer::App), Vec::<String>::new());
    assert_eq!(d.h.tcb.state, State::Established);
    // Not the last incarnation: it closes.
    let (mut d, _) = Drive::established(keep(2), 0, 4);
    assert_eq!(d.timer(Timer::App)[0], "send FIN,ACK seq=1 ack=5 to 1");
}

#[test]
fn test_host_closes_any_time_only_when_told_so() {
    // CloseWhen::AnyTime: CLOSE in SYN-SENT deletes the TCB (§3.10.4).
    let any = host_cfg(Open::Active, CloseWhen::AnyTime);
    let (mut d, out) = Drive::start(any);
    assert_eq!(out, ["set App 0..255", "choose isn [0, 4]"]);
    d.random(0);
    let out = d.timer(Timer::App);
    assert!(
        out.contains(&"cancel Tcp(Retransmit)".to_string()),
        "{out:?}"
    );
    assert!(d.h.app_closed);
    assert_eq!(
        (d.h.tcb.state, d.h.outcome),
        (State::Closed, Some(Outcome::Normal))
    );
    assert_eq!(d.h.ended_closed, 0b10);
    // Any other application does nothing before the connection is open.
    let (mut d, _) = Drive::start(host_cfg(Open::Active, CloseWhen::First));
    d.random(0);
    assert_eq!(d.timer(Timer::App), Vec::<String>::new());
    assert_eq!(d.h.tcb.state, State::SynSent);
    assert!(!d.h.app_closed);
}

#[test]
fn test_host_counts_accepted_chunks_and_flags_old_ones() {
    // The connection is incarnation 1; a chunk of incarnation 0 is old, one of
    // incarnation 1 or later is not.
    let (mut d, _) = Drive::established(host_cfg(Open::Active, CloseWhen::AfterPeer), 0, 4);
    assert_eq!(d.h.tcb.inc, 1);
    d.msg(data_seg(5, 1, 1, "a"));
    assert_eq!((d.h.accepted, d.h.old_accepted), (1, false));
    d.msg(data_seg(6, 1, 2, "b"));
    assert_eq!((d.h.accepted, d.h.old_accepted), (2, false));
    d.msg(data_seg(7, 1, 0, "c"));
    assert_eq!((d.h.accepted, d.h.old_accepted), (3, true));
}

#[test]
fn test_host_waits_the_quiet_time_after_an_abort_only() {
    // After a RST the host opens again at once, or after the quiet time (§3.4.3).
    let reset = |quiet_time| {
        let c = HostConfig {
            incarnations: 2,
            quiet_time,
            ..host_cfg(Open::Active, CloseWhen::AfterPeer)
        };
        let (mut d, _) = Drive::established(c, 0, 4);
        let out = d.msg(seg(Ctl::RST, 5, 0));
        (d, out)
    };
    let (d, out) = reset(0);
    assert!(out.contains(&"choose isn [0, 4]".to_string()), "{out:?}");
    assert_eq!(d.h.opened, 2);
    let (mut d, out) = reset(3);
    assert!(out.contains(&"set Reopen 3..3".to_string()), "{out:?}");
    assert!(!out.iter().any(|c| c.starts_with("choose")), "{out:?}");
    assert_eq!(d.h.opened, 1);
    assert_eq!(d.timer(Timer::Reopen), ["choose isn [0, 4]"]);
    assert_eq!(d.h.opened, 2);
    // A stale Reopen does nothing to an open connection.
    let (mut d, _) = reset(3);
    d.timer(Timer::Reopen);
    d.random(4);
    d.msg(seg(Ctl::SYN | Ctl::ACK, 0, 5));
    let c = HostConfig {
        incarnations: 3,
        ..d.e.cfg.clone()
    };
    d.e = Endpoint { cfg: c };
    assert_eq!(d.timer(Timer::Reopen), Vec::<String>::new());
    assert_eq!((d.h.tcb.state, d.h.opened), (State::Established, 2));
}

#[test]
fn test_host_crash_on_its_last_incarnation_does_not_open_again() {
    let c = HostConfig {
        crash: true,
        ..host_cfg(Open::Active, CloseWhen::AfterPeer)
    };
    let (mut d, _) = Drive::established(c, 0, 4);
    let out = d.timer(Timer::Crash);
    assert!(out.contains(&"cancel App".to_string()), "{out:?}");
    assert!(!out.iter().any(|c| c.contains("Reopen")), "{out:?}");
    assert_eq!((d.h.tcb.state, d.h.tcb.inc), (State::Closed, 1));
    // A passive host listens again at once.
    let c = HostConfig {
        crash: true,
        ..host_cfg(Open::Passive, CloseWhen::AfterPeer)
    };
    let (mut d, _) = Drive::start(c);
    d.msg(seg(Ctl::SYN, 0, 0));
    d.random(4);
    d.msg(seg(Ctl::ACK, 1, 5));
    d.timer(Timer::Crash);
    assert_eq!(d.h.tcb.state, State::Listen);
}

#[test]
fn test_host_listen_then_send_connects_from_listen_only() {
    // §3.10.2: SEND in LISTEN makes the connection active (Figure 5, LISTEN → SYN-SENT).
    let (mut d, out) = Drive::start(host_cfg(Open::ListenThenSend, CloseWhen::AfterPeer));
    assert_eq!(out, ["set Connect 0..255"]);
    assert_eq!(d.h.tcb.state, State::Listen);
    assert_eq!(d.timer(Timer::Connect), ["choose isn [0, 4]"]);
    assert_eq!(d.h.opened, 1);
    assert_eq!(d.random(0)[0], "send SYN seq=0 to 1");
    assert_eq!(d.h.tcb.state, State::SynSent);
    assert!(!d.h.tcb.passive);
    // Once a peer's SYN made it SYN-RECEIVED, the SEND comes too late.
    let (mut d, _) = Drive::start(host_cfg(Open::ListenThenSend, CloseWhen::AfterPeer));
    d.msg(seg(Ctl::SYN, 0, 0));
    d.random(4);
    assert_eq!(d.h.tcb.state, State::SynReceived);
    assert_eq!(d.timer(Timer::Connect), Vec::<String>::new());
    assert_eq!((d.h.tcb.state, d.h.opened), (State::SynReceived, 0));
}

#[test]
fn test_host_listen_step_opens_passively_once() {
    let c = HostConfig {
        listen_step: true,
        ..host_cfg(Open::Passive, CloseWhen::AfterPeer)
    };
    let (mut d, out) = Drive::start(c);
    assert_eq!(out, ["set Listen 0..0"]);
    assert_eq!(d.h.tcb.state, State::Closed);
    // A SYN before the passive OPEN meets a host without a TCB (§3.10.7.1).
    assert_eq!(
        d.msg(seg(Ctl::SYN, 0, 0)),
        ["send RST,ACK seq=0 ack=1 to 1"]
    );
    assert!(d.h.rst_seen);
    d.timer(Timer::Listen);
    assert_eq!(d.h.tcb.state, State::Listen);
    d.msg(seg(Ctl::SYN, 0, 0));
    d.random(4);
    d.timer(Timer::Listen);
    assert_eq!(d.h.tcb.state, State::SynReceived);
}

// --- the model (model.rs): properties, ISN generators, building -----------------------

use super::model::{self as tm, TcpAction, TcpModel, TcpState, CLIENT, SERVER};
use crate::scenario::Scenario;
use crate::wire::{InFlight, WireAction};
use stateright::Model;

/// A TCP scenario: MSL 2, capacity 4, space 8, ISNs 0 and 4, then `net` and `tcp`
/// (more keys of `[network]` and `[tcp]`; `tcp` names the ISN generator).
fn scenario_with(net: &str, tcp: &str) -> Scenario {
    let text = format!(
        "description = \"unit\"\nmodel = \"tcp\"\n\
         [network]\nmsl = 2\ncapacity = 4\n{net}\n\
         [tcp]\nisns = [0, 4]\nspace = 8\nrto = 1\nretries = 1\ntime_wait = 2\n\
         incarnations = 1\n{tcp}\n\
         [expect]\n\"no double connection\" = \"holds\"\n"
    );
    Scenario::parse(std::path::Path::new("unit.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

fn oracle_model() -> TcpModel {
    tm::build(&scenario_with("", "isn = \"oracle\""))
}

fn init(m: &TcpModel) -> TcpState {
    m.init_states().remove(0)
}

/// `s` changed by `f`.
fn with(s: &TcpState, f: impl FnOnce(&mut TcpState)) -> TcpState {
    let mut t = s.clone();
    f(&mut t);
    t
}

fn deliver(dst: usize, msg: Segment) -> TcpAction {
    WireAction::Deliver {
        index: 0,
        keep_copy: false,
        src: 1 - dst,
        dst,
        msg,
    }
}

fn in_flight(src: usize, age: u8, msg: Segment) -> InFlight<Segment> {
    InFlight {
        src: src as u8,
        dst: 1 - src as u8,
        age,
        delivered: false,
        msg,
    }
}

#[test]
fn test_model_server_established_is_the_antecedent_of_no_double_connection() {
    // Until the server has entered ESTABLISHED once, "no double connection" holds only
    // vacuously, and the report says so.
    let m = oracle_model();
    let s = init(&m);
    assert!(!tm::server_established(&m, &s));
    let once = with(&s, |t| t.actors[SERVER].est_by_irs.bump(4));
    assert!(tm::server_established(&m, &once));
    // Entering ESTABLISHED on the client's side is not the antecedent.
    let client = with(&s, |t| t.actors[CLIENT].est_by_irs.bump(0));
    assert!(!tm::server_established(&m, &client));
}

#[test]
fn test_model_both_established_is_the_antecedent_of_synchronized() {
    let m = oracle_model();
    let s = init(&m);
    assert!(!tm::both_established(&m, &s));
    let both = with(&s, |t| {
        for i in [CLIENT, SERVER] {
            t.actors[i].tcb.state = State::Established;
            t.actors[i].tcb.inc = 1;
        }
    });
    assert!(tm::both_established(&m, &both));
    for (who, state) in [(CLIENT, State::SynSent), (SERVER, State::SynReceived)] {
        let one = with(&both, |t| t.actors[who].tcb.state = state);
        assert!(!tm::both_established(&m, &one), "{state:?}");
    }
    // ESTABLISHED in two different incarnations is not one connection.
    let apart = with(&both, |t| t.actors[SERVER].tcb.inc = 2);
    assert!(!tm::both_established(&m, &apart));
}

#[test]
fn test_model_the_application_call_a_step_made() {
    use crate::report::Lifeline;
    let m = oracle_model();
    let h = init(&m).actors[CLIENT].clone();
    assert_eq!(h.call_made(&h), None, "nothing changed");
    let mut sent = h.clone();
    sent.sent += 1;
    assert_eq!(h.call_made(&sent).as_deref(), Some("SEND"));
    let mut closed = h.clone();
    closed.app_closed = true;
    assert_eq!(h.call_made(&closed).as_deref(), Some("CLOSE"));
    assert_eq!(closed.call_made(&closed), None, "closed before");
}

#[test]
fn test_model_the_explorer_names_the_application_call() {
    // The Explorer names a step of the application's turn by the call it makes, which
    // the timer alone does not say; other steps keep their plain names.
    use crate::wire::svg::{action_name, action_name_at};
    let m = oracle_model();
    let mut frontier = vec![init(&m)];
    let mut named = Vec::new();
    for _ in 0..8 {
        let mut next = Vec::new();
        for s in &frontier {
            let mut acts = Vec::new();
            m.actions(s, &mut acts);
            for a in acts {
                let app = matches!(
                    &a,
                    WireAction::Fire {
                        timer: crate::tcp::endpoint::Timer::App,
                        ..
                    }
                );
                let (at, plain) = (action_name_at(&m, s, &a), action_name(&m, &a));
                if app {
                    named.push(at);
                } else {
                    assert_eq!(at, plain);
                }
                next.extend(m.next_state(s, a));
            }
        }
        frontier = next;
        frontier.truncate(200);
    }
    assert!(!named.is_empty(), "no application turn in 8 steps");
    assert!(
        named.iter().all(|n| n.contains("the application calls")),
        "{named:?}"
    );
}

#[test]
fn test_model_synchronized_when_established() {
    let m = oracle_model();
    // The client (ISS 0) accepted two chunks of the server (ISS 4), which accepted one.
    let s = with(&init(&m), |s| {
        for (i, iss, rcv_nxt, accepted) in [(CLIENT, 0, 7, 2), (SERVER, 4, 2, 1)] {
            let h = &mut s.actors[i];
            h.tcb.state = State::Established;
            h.tcb.inc = 1;
            h.tcb.iss = iss;
            h.tcb.rcv_nxt = rcv_nxt;
            h.accepted = accepted;
        }
    });
    let sync = |f: &dyn Fn(&mut TcpState)| tm::synchronized_when_established(&m, &with(&s, f));
    assert!(sync(&|_| {}));
    assert!(!sync(&|t| t.actors[CLIENT].tcb.rcv_nxt = 6));
    assert!(!sync(&|t| t.actors[SERVER].tcb.rcv_nxt = 3));
    // Not both ESTABLISHED in one incarnation: nothing to compare.
    let off = |t: &mut TcpState| t.actors[CLIENT].tcb.rcv_nxt = 6;
    assert!(sync(&|t| {
        off(t);
        t.actors[CLIENT].tcb.state = State::CloseWait
    }));
    assert!(sync(&|t| {
        off(t);
        t.actors[SERVER].tcb.state = State::FinWait1
    }));
    assert!(sync(&|t| {
        off(t);
        t.actors[SERVER].tcb.inc = 2
    }));
}

#[test]
fn test_model_no_old_segment_accepted() {
    let m = oracle_model();
    let s = init(&m);
    assert!(tm::no_old_segment_accepted(&m, &s));
    assert!(!tm::no_old_segment_accepted(
        &m,
        &with(&s, |t| t.actors[CLIENT].old_accepted = true)
    ));
    assert!(!tm::no_old_segment_accepted(
        &m,
        &with(&s, |t| t.actors[SERVER].old_accepted = true)
    ));
}

#[test]
fn test_model_both_closed_without_rst_is_the_antecedent_of_graceful_close() {
    let m = oracle_model();
    let base = init(&m);
    let ante = |f: &dyn Fn(&mut Host, &mut Host)| {
        let s = with(&base, |s| {
            let (c, srv) = s.actors.split_at_mut(1);
            f(&mut c[0], &mut srv[0]);
        });
        tm::both_closed_without_rst(&m, &s)
    };
    assert!(!ante(&|_, _| {}));
    // Still open: both applications closed one incarnation, and no RST was seen.
    let closed = |c: &mut Host, s: &mut Host| {
        c.app_closed = true;
        s.app_closed = true;
        c.tcb.inc = 1;
        s.tcb.inc = 1;
    };
    assert!(ante(&closed));
    let not_the_case: [&dyn Fn(&mut Host, &mut Host); 5] = [
        &|c, _| c.rst_seen = true,
        &|_, s| s.rst_seen = true,
        &|c, _| c.app_closed = false,
        &|_, s| s.app_closed = false,
        &|_, s| s.tcb.inc = 2,
    ];
    for (i, f) in not_the_case.iter().enumerate() {
        assert!(
            !ante(&|c, s| {
                closed(c, s);
                f(c, s)
            }),
            "case {i}"
        );
    }
    // Ended on both sides: incarnation 1 closed by both, with no RST on either side.
    let ended = |c: &mut Host, s: &mut Host| {
        c.ended_closed = 0b10;
        s.ended_closed = 0b10;
    };
    assert!(ante(&ended));
    assert!(!ante(&|c, s| {
        ended(c, s);
        s.ended_rst = 0b10
    }));
    assert!(!ante(&|c, s| {
        ended(c, s);
        c.ended_closed = 0b100
    }));
}

#[test]
fn test_model_graceful_close_and_both_close_normally() {
    let m = oracle_model();
    let base = init(&m);
    let gc = |f: &dyn Fn(&mut Host, &mut Host)| {
        let s = with(&base, |s| {
            let (c, srv) = s.actors.split_at_mut(1);
            f(&mut c[0], &mut srv[0]);
        });
        (tm::graceful_close(&m, &s), tm::both_close_normally(&m, &s))
    };
    assert_eq!(gc(&|_, _| {}), (true, false));
    // The open connection: both applications closed it, no RST, one incarnation.
    let closed = |c: &mut Host, s: &mut Host| {
        c.app_closed = true;
        s.app_closed = true;
        c.tcb.inc = 1;
        s.tcb.inc = 1;
    };
    for o in [
        Outcome::TimedOut,
        Outcome::Reset,
        Outcome::Aborted,
        Outcome::FinWait2Timeout,
    ] {
        assert_eq!(
            gc(&|c, s| {
                closed(c, s);
                c.outcome = Some(o)
            }),
            (false, false),
            "{o:?}"
        );
        assert_eq!(
            gc(&|c, s| {
                closed(c, s);
                s.outcome = Some(o)
            }),
            (false, false),
            "{o:?}"
        );
        // A RST seen, an application still open, another incarnation: not the case.
        let not_the_case: [&dyn Fn(&mut Host, &mut Host); 5] = [
            &|c, _| c.rst_seen = true,
            &|_, s| s.rst_seen = true,
            &|c, _| c.app_closed = false,
            &|_, s| s.app_closed = false,
            &|_, s| s.tcb.inc = 2,
        ];
        for f in not_the_case {
            assert_eq!(
                gc(&|c, s| {
                    closed(c, s);
                    c.outcome = Some(o);
                    f(c, s)
                }),
                (true, false)
            );
        }
    }
    for o in [Outcome::Normal, Outcome::Crashed] {
        assert_eq!(
            gc(&|c, s| {
                closed(c, s);
                c.outcome = Some(o);
                s.outcome = Some(o)
            }),
            (true, false)
        );
    }
    // Connections that ended: bit 1 is incarnation 1.
    let ended = |c: &mut Host, s: &mut Host| {
        c.ended_closed = 0b10;
        s.ended_closed = 0b10;
    };
    assert_eq!(gc(&|c, s| ended(c, s)), (true, true));
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            c.ended_abort = 0b10
        }),
        (false, false)
    );
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            s.ended_abort = 0b10
        }),
        (false, false)
    );
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            s.ended_abort = 0b100
        }),
        (true, true)
    );
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            c.ended_abort = 0b10;
            s.ended_abort = 0b10
        }),
        (false, false)
    );
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            c.ended_rst = 0b10;
            s.ended_rst = 0b10;
            c.ended_abort = 0b10
        }),
        (true, false)
    );
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            c.ended_rst = 0b10;
            c.ended_abort = 0b10
        }),
        (true, false)
    );
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            s.ended_rst = 0b10;
            s.ended_abort = 0b10
        }),
        (true, false)
    );
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            c.ended_closed = 0b100;
            c.ended_abort = 0b10
        }),
        (true, false)
    );
    assert_eq!(
        gc(&|c, s| {
            ended(c, s);
            s.ended_closed = 0b100;
            s.ended_abort = 0b10
        }),
        (true, false)
    );
}

#[test]
fn test_model_both_closed_needs_every_open_done_and_no_choice_pending() {
    let m = oracle_model();
    let s = init(&m);
    assert_eq!(
        (s.actors[CLIENT].tcb.state, s.actors[SERVER].tcb.state),
        (State::Closed, State::Listen)
    );
    assert!(
        s.choices.iter().any(|p| p.actor as usize == CLIENT),
        "the client's ISN is being chosen"
    );
    assert!(!tm::both_closed(&m, &s));
    let done = with(&s, |t| t.choices.retain(|p| p.actor as usize != CLIENT));
    let closed = |f: &dyn Fn(&mut TcpState)| tm::both_closed(&m, &with(&done, f));
    assert!(closed(&|_| {}));
    assert!(closed(&|t| t.actors[SERVER].tcb.state = State::Closed));
    assert!(!closed(&|t| t.actors[SERVER].tcb.state = State::SynReceived));
    assert!(!closed(&|t| t.actors[SERVER].tcb.pending_syn = Some((0, 1))));
    assert!(!closed(&|t| t.actors[CLIENT].tcb.state = State::TimeWait));
    assert!(!closed(&|t| t.actors[CLIENT].opened = 0));
    // LISTEN-then-SEND: done in LISTEN or CLOSED, like a passive host.
    let m = tm::build(&scenario_with(
        "",
        "isn = \"oracle\"\nserver_open = \"listen-then-send\"",
    ));
    let done = with(&init(&m), |t| {
        t.choices.retain(|p| p.actor as usize != CLIENT)
    });
    assert!(tm::both_closed(&m, &done));
    assert!(tm::both_closed(
        &m,
        &with(&done, |t| t.actors[SERVER].tcb.state = State::Closed)
    ));
    assert!(!tm::both_closed(
        &m,
        &with(&done, |t| t.actors[SERVER].tcb.state = State::SynSent)
    ));
}

#[test]
fn test_model_reaches_a_state() {
    let m = oracle_model();
    let s = init(&m);
    assert!(tm::some_in(&s, State::Listen) && tm::some_in(&s, State::Closed));
    assert!(!tm::some_in(&s, State::Established));
    assert!(tm::reaches_listen(&m, &s) && !tm::reaches_time_wait(&m, &s));
    for st in State::ALL {
        assert_eq!(tm::reach_name(st), format!("reaches {}", st.name()));
    }
}

#[test]
fn test_model_step_properties_of_the_figures() {
    let m = oracle_model();
    let s = init(&m);
    let st = |t: &mut TcpState, i: usize, state| t.actors[i].tcb.state = state;
    let tick: TcpAction = WireAction::Tick;

    // Figure 7: SYN-SENT to SYN-RECEIVED, by one endpoint.
    let p = with(&s, |t| st(t, CLIENT, State::SynSent));
    let n = with(&p, |t| st(t, CLIENT, State::SynReceived));
    assert!(tm::simultaneous_open(&m, &p, &tick, &n));
    assert!(!tm::simultaneous_open(&m, &p, &tick, &p));
    let p2 = with(&s, |t| st(t, SERVER, State::SynSent));
    assert!(
        !tm::simultaneous_open(&m, &p2, &tick, &n),
        "two endpoints, one move each"
    );

    // Figure 7, line 7: the SYN,ACK completes it.
    let p = with(&s, |t| st(t, CLIENT, State::SynReceived));
    let n = with(&p, |t| st(t, CLIENT, State::Established));
    let synack = deliver(CLIENT, seg(Ctl::SYN | Ctl::ACK, 4, 1));
    assert!(tm::syn_ack_completes_simultaneous_open(&m, &p, &synack, &n));
    assert!(!tm::syn_ack_completes_simultaneous_open(
        &m,
        &p,
        &deliver(CLIENT, seg(Ctl::ACK, 5, 1)),
        &n
    ));
    assert!(!tm::syn_ack_completes_simultaneous_open(
        &m,
        &p,
        &deliver(CLIENT, seg(Ctl::SYN, 4, 0)),
        &n
    ));
    assert!(!tm::syn_ack_completes_simultaneous_open(
        &m, &p, &synack, &p
    ));
    assert!(!tm::syn_ack_completes_simultaneous_open(&m, &p, &tick, &n));

    // Figure 13 and Note 2: FIN-WAIT-1 to CLOSING, or straight to TIME-WAIT.
    let p = with(&s, |t| st(t, SERVER, State::FinWait1));
    let closing = with(&p, |t| st(t, SERVER, State::Closing));
    let time_wait = with(&p, |t| st(t, SERVER, State::TimeWait));
    assert!(tm::simultaneous_close(&m, &p, &tick, &closing));
    assert!(!tm::simultaneous_close(&m, &p, &tick, &time_wait));
    assert!(tm::fin_acks_fin(&m, &p, &tick, &time_wait));
    assert!(!tm::fin_acks_fin(&m, &p, &tick, &closing));

    // Note 1: a RST returns SYN-RECEIVED to LISTEN.
    let p = with(&s, |t| st(t, SERVER, State::SynReceived));
    let n = with(&p, |t| st(t, SERVER, State::Listen));
    assert!(tm::syn_received_to_listen(
        &m,
        &p,
        &deliver(SERVER, seg(Ctl::RST, 1, 0)),
        &n
    ));
    assert!(!tm::syn_received_to_listen(
        &m,
        &p,
        &deliver(SERVER, seg(Ctl::ACK, 1, 5)),
        &n
    ));
    assert!(!tm::syn_received_to_listen(
        &m,
        &p,
        &deliver(SERVER, seg(Ctl::RST, 1, 0)),
        &p
    ));
    assert!(!tm::syn_received_to_listen(&m, &p, &tick, &n));

    // §3.8.6.3: CLOSE-WAIT to LAST-ACK with the ACK of the peer's FIN still owed.
    let p = with(&s, |t| {
        st(t, SERVER, State::CloseWait);
        t.actors[SERVER].tcb.ack_pending = true;
    });
    let n = with(&p, |t| st(t, SERVER, State::LastAck));
    assert!(tm::three_segment_close(&m, &p, &tick, &n));
    assert!(!tm::three_segment_close(
        &m,
        &with(&p, |t| t.actors[SERVER].tcb.ack_pending = false),
        &tick,
        &n
    ));
    assert!(!tm::three_segment_close(&m, &p, &tick, &p));
}

#[test]
fn test_model_old_duplicate_syn_reset_fig_8() {
    let m = oracle_model();
    // The server answered an old SYN (IRS 3); the client, in SYN-SENT with ISS 0,
    // resets the SYN,ACK it did not ask for.
    let p = with(&init(&m), |t| {
        t.actors[SERVER].tcb.state = State::SynReceived;
        t.actors[SERVER].tcb.irs = 3;
        t.actors[CLIENT].tcb.state = State::SynSent;
        t.actors[CLIENT].tcb.iss = 0;
    });
    let n = with(&p, |t| t.actors[SERVER].tcb.state = State::Listen);
    let rst = Segment::new(Ctl::RST, 5, 0, 1).noted(Segment::RST_OF_SYN_SENT);
    let fig8 = |p: &TcpState, a: &TcpAction, n: &TcpState| tm::old_duplicate_syn_reset(&m, p, a, n);
    assert!(fig8(&p, &deliver(SERVER, rst), &n));
    assert!(!fig8(&p, &deliver(CLIENT, rst), &n));
    assert!(
        !fig8(&p, &deliver(SERVER, Segment::new(Ctl::RST, 5, 0, 1)), &n),
        "not SYN-SENT's RST"
    );
    assert!(!fig8(
        &p,
        &deliver(
            SERVER,
            Segment::new(Ctl::ACK, 5, 0, 1).noted(Segment::RST_OF_SYN_SENT)
        ),
        &n
    ));
    assert!(!fig8(&p, &deliver(SERVER, rst), &p));
    assert!(!fig8(
        &with(&p, |t| t.actors[SERVER].tcb.state = State::Established),
        &deliver(SERVER, rst),
        &n
    ));
    assert!(!fig8(&p, &WireAction::Tick, &n));
    // The client's own SYN (its ISS is the server's IRS) is not an old duplicate.
    let own = with(&p, |t| t.actors[CLIENT].tcb.iss = 3);
    assert!(!fig8(
        &own,
        &deliver(SERVER, rst),
        &with(&own, |t| t.actors[SERVER].tcb.state = State::Listen)
    ));
    let later = with(&own, |t| t.actors[CLIENT].tcb.state = State::Established);
    assert!(fig8(
        &later,
        &deliver(SERVER, rst),
        &with(&later, |t| t.actors[SERVER].tcb.state = State::Listen)
    ));
}

#[test]
fn test_model_data_properties() {
    let m = oracle_model();
    let s = init(&m);
    let data = deliver(CLIENT, data_seg(5, 2, 1, "late"));
    // RFC 1122 §4.2.2.13: data after close() draws a RST that resets the connection.
    let p = with(&s, |t| {
        t.actors[CLIENT].tcb.state = State::FinWait2;
        t.actors[CLIENT].tcb.rcv_shut = true;
    });
    let rst = Segment::new(Ctl::RST, 2, 0, 1);
    let n = with(&p, |t| {
        t.actors[CLIENT].tcb.state = State::Closed;
        t.flight.push(in_flight(CLIENT, 0, rst));
    });
    let reset = |p: &TcpState, a: &TcpAction, n: &TcpState| tm::data_after_close_reset(&m, p, a, n);
    assert!(reset(&p, &data, &n));
    assert!(!reset(
        &p,
        &deliver(CLIENT, seg(Ctl::FIN | Ctl::ACK, 5, 2)),
        &n
    ));
    assert!(!reset(
        &with(&p, |t| t.actors[CLIENT].tcb.rcv_shut = false),
        &data,
        &n
    ));
    assert!(!reset(
        &p,
        &data,
        &with(&n, |t| t.actors[CLIENT].tcb.state = State::FinWait2)
    ));
    assert!(
        !reset(&p, &data, &with(&n, |t| t.flight[0].age = 1)),
        "an older RST"
    );
    assert!(!reset(
        &p,
        &data,
        &with(&n, |t| t.flight[0] = in_flight(SERVER, 0, rst))
    ));
    assert!(!reset(
        &p,
        &data,
        &with(&n, |t| t.flight[0].msg = seg(Ctl::ACK, 2, 5))
    ));
    assert!(!reset(&p, &WireAction::Tick, &n));

    // §3.6.1: after its own FIN a side still takes the peer's data.
    let p = with(&s, |t| t.actors[CLIENT].tcb.state = State::FinWait2);
    let n = with(&p, |t| t.actors[CLIENT].accepted = 1);
    let half = |p: &TcpState, a: &TcpAction, n: &TcpState| tm::data_after_our_fin(&m, p, a, n);
    assert!(half(&p, &data, &n));
    assert!(half(
        &with(&p, |t| t.actors[CLIENT].tcb.state = State::FinWait1),
        &data,
        &n
    ));
    assert!(!half(
        &with(&p, |t| t.actors[CLIENT].tcb.state = State::Established),
        &data,
        &n
    ));
    assert!(!half(&p, &data, &p), "not taken");
    assert!(!half(
        &p,
        &deliver(CLIENT, seg(Ctl::FIN | Ctl::ACK, 5, 2)),
        &n
    ));
    assert!(!half(&p, &WireAction::Tick, &n));
}

#[test]
fn test_model_half_open_and_time_wait_properties() {
    let m = oracle_model();
    let s = init(&m);
    // Figure 9: the survivor of a crash learns of it through a RST.
    let p = with(&s, |t| {
        t.actors[CLIENT].crashed = true;
        t.actors[SERVER].tcb.state = State::Established;
    });
    let n = with(&p, |t| t.actors[SERVER].outcome = Some(Outcome::Reset));
    let rst = deliver(SERVER, seg(Ctl::RST, 1, 0));
    let fig9 = |p: &TcpState, a: &TcpAction, n: &TcpState| tm::half_open_discovered(&m, p, a, n);
    assert!(fig9(&p, &rst, &n));
    assert!(fig9(
        &with(&p, |t| {
            t.actors[CLIENT].crashed = false;
            t.actors[SERVER].crashed = true;
        }),
        &rst,
        &n
    ));
    assert!(
        !fig9(&with(&p, |t| t.actors[CLIENT].crashed = false), &rst, &n),
        "no crash"
    );
    assert!(!fig9(&p, &deliver(SERVER, seg(Ctl::ACK, 1, 5)), &n));
    assert!(!fig9(
        &with(&p, |t| t.actors[SERVER].tcb.state = State::SynReceived),
        &rst,
        &n
    ));
    assert!(!fig9(
        &p,
        &rst,
        &with(&n, |t| t.actors[SERVER].outcome = Some(Outcome::Aborted))
    ));
    assert!(!fig9(&p, &WireAction::Tick, &n));

    // §3.10.7.4: TIME-WAIT answers a FIN, and stays.
    let fin = seg(Ctl::FIN | Ctl::ACK, 5, 2);
    let p = with(&s, |t| {
        t.actors[CLIENT].tcb.state = State::TimeWait;
        t.flight.push(in_flight(SERVER, 1, fin));
    });
    let n = with(&p, |t| {
        t.flight = vec![in_flight(CLIENT, 0, seg(Ctl::ACK, 2, 6))]
    });
    let reack = |p: &TcpState, a: &TcpAction, n: &TcpState| tm::time_wait_reacks_fin(&m, p, a, n);
    let a = deliver(CLIENT, fin);
    assert!(reack(&p, &a, &n));
    assert!(reack(
        &p,
        &a,
        &with(&n, |t| t.flight.push(in_flight(SERVER, 0, fin)))
    ));
    assert!(
        !reack(&p, &a, &with(&n, |t| t.flight.clear())),
        "no ACK sent"
    );
    assert!(!reack(&p, &deliver(CLIENT, seg(Ctl::ACK, 5, 2)), &n));
    assert!(!reack(
        &with(&p, |t| t.actors[CLIENT].tcb.state = State::FinWait2),
        &a,
        &n
    ));
    assert!(!reack(
        &p,
        &a,
        &with(&n, |t| t.actors[CLIENT].tcb.state = State::Closed)
    ));
    assert!(!reack(&p, &WireAction::Tick, &n));

    // The retransmitted FIN that reaches a client that has left meets a RST.
    let rexmit = seg(Ctl::FIN | Ctl::ACK, 5, 2).noted(Segment::REXMIT);
    let p = with(&s, |t| t.flight.push(in_flight(SERVER, 1, rexmit)));
    let n = with(&s, |t| {
        t.flight
            .push(in_flight(CLIENT, 0, Segment::new(Ctl::RST, 2, 0, 1)))
    });
    let meets =
        |p: &TcpState, a: &TcpAction, n: &TcpState| tm::retransmitted_fin_meets_rst(&m, p, a, n);
    let a = deliver(CLIENT, rexmit);
    assert!(meets(&p, &a, &n));
    assert!(meets(
        &with(&p, |t| t.actors[CLIENT].tcb.state = State::SynSent),
        &a,
        &n
    ));
    assert!(!meets(
        &with(&p, |t| t.actors[CLIENT].tcb.state = State::TimeWait),
        &a,
        &n
    ));
    assert!(!meets(&p, &deliver(SERVER, rexmit), &n));
    assert!(
        !meets(&p, &deliver(CLIENT, seg(Ctl::FIN | Ctl::ACK, 5, 2)), &n),
        "a network copy"
    );
    assert!(!meets(
        &p,
        &deliver(CLIENT, seg(Ctl::ACK, 5, 2).noted(Segment::REXMIT)),
        &n
    ));
    assert!(!meets(&p, &a, &s), "no RST");
    let had_rst = with(&p, |t| {
        t.flight
            .push(in_flight(CLIENT, 1, Segment::new(Ctl::RST, 2, 0, 1)))
    });
    assert!(!meets(&had_rst, &a, &n), "the same number of RSTs");
    assert!(!meets(&p, &WireAction::Tick, &n));
}

#[test]
fn test_model_clock_isn_is_the_offset_plus_the_readings() {
    // RFC 6528: ISN = M + F; in the clock's frame M reads 0, so the ISN is F plus the
    // host's earlier readings. Offsets default to 0 (client) and space/2 (server).
    let m = tm::build(&scenario_with("", "isn = \"clock\"\nisn_clock = 1"));
    let s = init(&m);
    let allowed = |s: &TcpState, actor| {
        (0..8)
            .filter(|x| tm::clock_isn(&m, s, actor, x))
            .collect::<Vec<u8>>()
    };
    assert_eq!(allowed(&s, CLIENT), [0]);
    assert_eq!(allowed(&s, SERVER), [4]);
    assert_eq!(
        allowed(&with(&s, |t| t.actors[CLIENT].isn_reads = 7), CLIENT),
        [7]
    );
    let m = tm::build(&scenario_with(
        "",
        "isn = \"clock\"\nisn_clock = 1\nisn_offsets = [2, 5]",
    ));
    assert_eq!(
        (0..8)
            .filter(|x| tm::clock_isn(&m, &s, CLIENT, x))
            .collect::<Vec<u8>>(),
        [2]
    );
    assert_eq!(
        (0..8)
            .filter(|x| tm::clock_isn(&m, &s, SERVER, x))
            .collect::<Vec<u8>>(),
        [5]
    );
}

#[test]
fn test_model_oracle_isn_avoids_every_live_number_of_earlier_connections() {
    // With no data the new connection uses ISS..ISS+2 (SYN, FIN, one spare).
    let m = oracle_model();
    let allowed = |m: &TcpModel, actor, flight: Vec<InFlight<Segment>>| {
        let s = with(&init(m), |t| t.flight = flight);
        (0..8)
            .filter(|x| tm::oracle_isn(m, &s, actor, x))
            .collect::<Vec<u8>>()
    };
    assert_eq!(allowed(&m, CLIENT, vec![]), [0, 1, 2, 3, 4, 5, 6, 7]);
    // The client's old data+FIN occupies 1 and 2; the server's ACK acknowledges up to 5.
    let old = vec![
        in_flight(CLIENT, 1, data_seg(1, 5, 0, "x").noted(0)),
        in_flight(SERVER, 1, seg(Ctl::ACK, 5, 6)),
    ];
    let old = {
        let mut v = old;
        v[0].msg.ctl = Ctl::PSH | Ctl::ACK | Ctl::FIN;
        v
    };
    assert_eq!(allowed(&m, CLIENT, old.clone()), [6]);
    // Seen from the server: its own ACK occupies 5 (a bare segment counts one number),
    // the client's acknowledges up to 4.
    assert_eq!(allowed(&m, SERVER, old.clone()), [0, 1, 6, 7]);
    // A segment of the peer without ACK says nothing about our numbers.
    let mut syn = old.clone();
    syn.push(in_flight(SERVER, 0, seg(Ctl::SYN, 2, 0)));
    assert_eq!(allowed(&m, CLIENT, syn), [6]);
    // One chunk of data widens the new range to ISS..ISS+3.
    let m = tm::build(&scenario_with("", "isn = \"oracle\"\nclient_data = 1"));
    assert_eq!(
        allowed(&m, CLIENT, vec![in_flight(CLIENT, 0, seg(Ctl::ACK, 6, 5))]),
        [0, 1, 2, 7]
    );
}

#[test]
fn test_model_rotate_shifts_every_sequence_number_and_back() {
    let m = tm::build(&scenario_with("", "isn = \"clock\"\nisn_clock = 1"));
    let s = with(&init(&m), |t| {
        let c = &mut t.actors[CLIENT];
        c.tcb.state = State::SynSent;
        (
            c.tcb.iss,
            c.tcb.snd_una,
            c.tcb.snd_nxt,
            c.tcb.irs,
            c.tcb.rcv_nxt,
        ) = (1, 1, 2, 3, 4);
        c.opens_by_isn.set(1, 1);
        c.est_by_irs.set(7, 2);
        // The server in LISTEN, with a SYN waiting for its ISS.
        t.actors[SERVER].tcb.pending_syn = Some((1, 1));
        t.actors[SERVER].tcb.rcv_nxt = 5;
        t.flight = vec![
            in_flight(CLIENT, 0, seg(Ctl::SYN, 1, 0)),
            in_flight(SERVER, 0, seg(Ctl::ACK, 7, 2)),
        ];
    });
    let mut r = s.clone();
    tm::rotate(&m, &mut r, None, 3);
    let c = &r.actors[CLIENT];
    assert_eq!(
        (
            c.tcb.iss,
            c.tcb.snd_una,
            c.tcb.snd_nxt,
            c.tcb.irs,
            c.tcb.rcv_nxt
        ),
        (4, 4, 5, 6, 7)
    );
    assert_eq!((c.opens_by_isn.get(1), c.opens_by_isn.get(4)), (0, 1));
    assert_eq!((c.est_by_irs.get(7), c.est_by_irs.get(2)), (0, 2));
    let srv = &r.actors[SERVER];
    assert_eq!(srv.tcb.pending_syn, Some((4, 1)));
    assert_eq!(srv.tcb.rcv_nxt, 5, "a LISTEN TCB is not shifted");
    assert_eq!(r.flight[0].msg.to_string(), "SYN seq=4");
    assert_eq!(r.flight[1].msg.to_string(), "ACK seq=2 ack=5");
    tm::rotate(&m, &mut r, None, -3);
    assert_eq!(r, s);
    // An action: only its segment or its ISN is shifted, not the state.
    let mut r = s.clone();
    let mut a = deliver(CLIENT, seg(Ctl::ACK, 7, 2));
    tm::rotate(&m, &mut r, Some(&mut a), 3);
    assert_eq!(a, deliver(CLIENT, seg(Ctl::ACK, 2, 5)));
    assert_eq!(r, s);
    let mut a: TcpAction = WireAction::Drop {
        index: 0,
        src: 0,
        dst: 1,
        msg: seg(Ctl::SYN, 6, 0),
    };
    tm::rotate(&m, &mut r, Some(&mut a), -7);
    assert_eq!(
        a,
        WireAction::Drop {
            index: 0,
            src: 0,
            dst: 1,
            msg: seg(Ctl::SYN, 7, 0)
        }
    );
    let mut a: TcpAction = WireAction::Choose {
        actor: 0,
        key: "isn".into(),
        value: 6,
    };
    tm::rotate(&m, &mut r, Some(&mut a), 3);
    assert_eq!(
        a,
        WireAction::Choose {
            actor: 0,
            key: "isn".into(),
            value: 1
        }
    );
    let mut a: TcpAction = WireAction::Tick;
    tm::rotate(&m, &mut r, Some(&mut a), 3);
    assert_eq!((a, &r), (WireAction::Tick, &s));
}

#[test]
fn test_model_faults_and_tcp_config_of_a_scenario() {
    use crate::wire::Faults;
    let scn = scenario_with(
        "loss = true\nloss_budget = 1\nduplication = true\nduplication_budget = \"unlimited\"\n\
         reordering = false",
        "isn = \"oracle\"\nrcv_wnd = 3\nhandshake = \"two-way\"\nuser_timeout = 9\n\
         simultaneous_open = \"rfc-text\"\ndelayed_ack = true\nclose_call = \"close\"\n\
         reads = false\nrst_ack = true\nignore_rst_in_time_wait = true\nfin_wait_2_timeout = 5",
    );
    let f = Faults {
        msl: 2,
        loss: true,
        loss_budget: Some(1),
        duplication: true,
        duplication_budget: None,
        reordering: false,
        capacity: 4,
    };
    assert_eq!(tm::faults(&scn), f);
    assert_eq!(
        tm::tcp_config(&scn),
        TcpConfig {
            space: super::SeqSpace(8),
            rcv_wnd: 3,
            handshake: super::tcb::Handshake::TwoWay,
            rto: 1,
            rto_max: 60,
            max_retries: Some(1),
            user_timeout: Some(9),
            simultaneous_open: super::tcb::SimultaneousOpen::RfcText,
            delayed_ack: true,
            close_call: super::tcb::CloseCall::Close,
            reads: false,
            rst_ack: true,
            msl: 2,
            time_wait: 2,
            ignore_rst_in_time_wait: true,
            fin_wait_2_timeout: Some(5),
        }
    );
    // No loss, no duplication: budgets of 0; loss without a budget: no limit.
    let quiet = tm::faults(&scenario_with("", "isn = \"oracle\""));
    assert_eq!(
        (quiet.loss_budget, quiet.duplication_budget),
        (Some(0), Some(0))
    );
    let free = tm::faults(&scenario_with(
        "loss = true\nduplication = true\nduplication_budget = 2",
        "isn = \"oracle\"",
    ));
    assert_eq!((free.loss_budget, free.duplication_budget), (None, Some(2)));
    assert_eq!(
        tm::tcp_config(&scenario_with("", "isn = \"oracle\"\nrto_max = 4")).rto_max,
        4
    );
}

#[test]
fn test_model_build_gives_each_host_its_knobs() {
    let m = tm::build(&scenario_with(
        "",
        "isn = \"clock\"\nisn_clock = 2\nisn_offsets = [1, 6]\n\
         client_data = 1\nclient_payload = \"hello\"\nserver_data = 2\nserver_open = \"passive\"\n\
         server_close = \"first\"\nclient_close = \"after-peer\"\ncrash = \"client\"\n\
         quiet_time = 2\npace = 1\nclose_last = false\nserver_retries = \"unlimited\"\n\
         server_listen = \"step\"\n[fairness]\nfair_loss = true",
    ));
    let (c, s) = (&m.actors[CLIENT].cfg, &m.actors[SERVER].cfg);
    assert_eq!((c.open, s.open), (Open::Active, Open::Passive));
    assert_eq!((usize::from(c.peer), usize::from(s.peer)), (SERVER, CLIENT));
    assert_eq!((c.data, s.data), (1, 2));
    assert_eq!((c.close, s.close), (CloseWhen::AfterPeer, CloseWhen::First));
    assert_eq!((c.crash, s.crash), (true, false));
    assert_eq!(
        (c.payload.as_deref(), s.payload.as_deref()),
        (Some("hello"), None)
    );
    assert_eq!((c.isn_offset, s.isn_offset), (1, 6));
    assert!(c.isn_clock && s.isn_clock);
    assert_eq!(
        c.isns,
        (0..8).collect::<Vec<u8>>(),
        "the clock is offered every value"
    );
    assert_eq!(s.isns, c.isns);
    assert_eq!((c.quiet_time, s.quiet_time), (4, 4), "quiet time in MSLs");
    assert_eq!((c.pace, c.incarnations, c.close_last), (1, 1, false));
    assert_eq!((c.listen_step, s.listen_step), (false, true));
    assert_eq!((c.tcp.max_retries, s.tcp.max_retries), (Some(1), None));
    assert_eq!((c.tcp.msl, s.tcp.msl), (2, 2));
    assert!(m.fair_loss);
    let clock = m.clock.as_ref().expect("an ISN clock");
    assert_eq!((clock.rate, clock.modulus), (2, 8));
    let filter = m.choice_filter.expect("the clock's filter");
    let s0 = init(&m);
    assert!(filter(&m, &s0, CLIENT, &1) && !filter(&m, &s0, CLIENT, &0));
    let names: Vec<&str> = m.properties.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "no double connection",
            "synchronized when established",
            "no old segment accepted",
            "graceful close"
        ]
    );
    // Oracle: the oracle's filter, no clock; random: no filter; ISNs as given.
    let m = tm::build(&scenario_with(
        "",
        "isn = \"oracle\"\nserver_close = \"any-time\"",
    ));
    assert!(m.clock.is_none() && !m.fair_loss);
    assert_eq!(m.actors[CLIENT].cfg.isns, [0, 4]);
    let busy = with(&init(&m), |t| {
        t.flight = vec![in_flight(CLIENT, 0, seg(Ctl::SYN, 0, 0))]
    });
    let filter = m.choice_filter.expect("the oracle's filter");
    assert!(!filter(&m, &busy, CLIENT, &0) && filter(&m, &busy, CLIENT, &4));
    assert_eq!(
        (
            m.actors[SERVER].cfg.isn_offset,
            m.actors[SERVER].cfg.quiet_time
        ),
        (4, 0)
    );
    assert_eq!(m.actors[SERVER].cfg.close, CloseWhen::AnyTime);
    let m = tm::build(&scenario_with("", "isn = \"random\"\ncrash = \"server\""));
    assert!(m.choice_filter.is_none() && m.clock.is_none());
    assert_eq!(
        (m.actors[CLIENT].cfg.crash, m.actors[SERVER].cfg.crash),
        (false, true)
    );
    assert!(!m.actors[CLIENT].cfg.isn_clock);
}

#[test]
fn test_model_every_catalogued_property_can_be_checked() {
    use crate::check::engine::Kind;
    let all = tm::catalogue();
    assert_eq!(all.len(), 5 + State::ALL.len() + 13);
    for (name, kind) in all {
        let p = tm::prop(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(p.name(), name);
        let want = match kind {
            "always" => Kind::Always,
            "eventually" => Kind::Eventually,
            _ => Kind::Sometimes,
        };
        assert_eq!(p.kind(), want, "{name}");
    }
    assert!(tm::prop("no such property").is_none());
}

#[test]
fn test_model_segments_hosts_and_timers_as_reports_show_them() {
    use crate::report::{Envelope, Lifeline, TimerName};
    let s = data_seg(3, 5, 2, "hi");
    let s = Segment {
        ctl: Ctl::PSH | Ctl::ACK | Ctl::FIN,
        ..s
    };
    assert_eq!(Envelope::label(&s), s.to_string());
    assert_eq!(s.flags().as_deref(), Some("FPA"));
    assert_eq!((Envelope::seq(&s), Envelope::ack(&s)), (Some(3), Some(5)));
    assert_eq!((Envelope::len(&s), s.incarnation()), (2, Some(2)));
    assert_eq!(Envelope::ack(&seg(Ctl::SYN, 0, 0)), None);
    let m = oracle_model();
    assert_eq!(init(&m).actors[SERVER].phase(), "LISTEN");
    let said: Vec<String> = [
        Timer::Tcp(TcpTimer::Retransmit),
        Timer::Tcp(TcpTimer::TimeWait),
        Timer::Tcp(TcpTimer::FinWait2),
        Timer::Tcp(TcpTimer::DelayedAck),
        Timer::App,
        Timer::Reopen,
        Timer::Crash,
        Timer::Connect,
        Timer::Listen,
    ]
    .iter()
    .map(|t| t.describe())
    .collect();
    assert_eq!(
        said,
        [
            "retransmission timer fires",
            "TIME-WAIT timer fires",
            "FIN-WAIT-2 timer fires",
            "delayed-ACK timer fires",
            "the application's next call",
            "quiet time over: the application opens again",
            "the host crashes and loses its TCB",
            "the application SENDs in LISTEN",
            "the application calls OPEN (passive)",
        ]
    );
}

#[test]
fn test_control_bits_combine_as_a_set() {
    // `|` is the union of control bits: adding a bit that is already set changes nothing.
    assert_eq!(Ctl::ACK | Ctl::ACK, Ctl::ACK);
    assert_eq!((Ctl::SYN | Ctl::ACK) | Ctl::ACK, Ctl::SYN | Ctl::ACK);
    assert_eq!((Ctl::SYN | Ctl::ACK).names(), "SYN,ACK");
}

#[test]
fn test_segments_and_states_print_as_the_rfc_writes_them() {
    assert_eq!(format!("{:?}", Ctl::SYN | Ctl::ACK), "SYN,ACK");
    assert_eq!(
        format!("{:?}", seg(Ctl::ACK, 1, 5)),
        "ACK seq=1 ack=5 (inc 1)"
    );
    assert_eq!(State::SynSent.to_string(), "SYN-SENT");
    assert_eq!(
        format!("{:>12}|", State::Closed),
        "      CLOSED|",
        "padded like a str"
    );
    // SEG.LEN counts SYN, the chunk and FIN.
    let lens: Vec<u8> = [
        seg(Ctl::ACK, 1, 5),
        seg(Ctl::SYN, 0, 0),
        data_seg(1, 5, 1, "x"),
        Segment {
            ctl: Ctl::PSH | Ctl::ACK | Ctl::FIN,
            ..data_seg(1, 5, 1, "x")
        },
        seg(Ctl::SYN | Ctl::FIN, 0, 0),
    ]
    .iter()
    .map(|s| s.len())
    .collect();
    assert_eq!(lens, [0, 1, 1, 2, 2]);
    assert!(seg(Ctl::ACK, 1, 5).is_empty() && !seg(Ctl::SYN, 0, 0).is_empty());
}

#[test]
fn test_synchronized_states_are_established_and_later() {
    // RFC 9293 §3.5.2: "the connection is in a synchronized state (ESTABLISHED,
    // FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT)".
    let synchronized: Vec<&str> = State::ALL
        .iter()
        .filter(|s| s.is_synchronized())
        .map(|s| s.name())
        .collect();
    assert_eq!(
        synchronized,
        [
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "CLOSE-WAIT",
            "CLOSING",
            "LAST-ACK",
            "TIME-WAIT"
        ]
    );
}

#[test]
fn test_delayed_ack_is_sent_when_its_timer_fires() {
    // §3.8.6.3: the ACK of a chunk waits for something to ride on, or for its timer.
    let c = TcpConfig {
        delayed_ack: true,
        ..cfg()
    };
    let mut t = socket_established();
    let mut fx = Effects::default();
    t.arrive(&c, &data_seg(5, 1, 1, "hi"), &mut fx);
    assert!(fx.send.is_empty() && t.ack_pending);
    assert_eq!(fx.timers[..], [TimerCmd::Set(TcpTimer::DelayedAck, 0, 0)]);
    let mut fx = Effects::default();
    t.timeout(&c, TcpTimer::DelayedAck, &mut fx);
    assert_eq!(sent(&fx), ["ACK seq=1 ack=6"]);
    assert!(!t.ack_pending);
    assert_eq!(fx.timers[..], [TimerCmd::Cancel(TcpTimer::DelayedAck)]);
    // Nothing owed: the timer sends nothing.
    let mut fx = Effects::default();
    t.timeout(&c, TcpTimer::DelayedAck, &mut fx);
    assert_eq!(fx, Effects::default());
}

#[test]
fn test_an_ack_sent_with_nothing_owed_cancels_no_timer() {
    let mut t = socket_established();
    let fx = recv(&mut t, data_seg(5, 1, 1, "hi"));
    assert_eq!(sent(&fx), ["ACK seq=1 ack=6"]);
    assert!(fx.timers.is_empty(), "{:?}", fx.timers);
    // A RST carries no ACK: the delayed ACK stays owed.
    let c = TcpConfig {
        delayed_ack: true,
        ..cfg()
    };
    let mut t = socket_established();
    t.arrive(&c, &data_seg(5, 1, 1, "hi"), &mut Effects::default());
    let mut fx = Effects::default();
    t.emit(Segment::new(Ctl::RST, 1, 0, 1), &mut fx);
    assert!(t.ack_pending);
    assert!(fx.timers.is_empty());
}

#[test]
fn test_fin_wait_2_timeout_gives_up_like_linux() {
    // Not RFC 9293: Linux's tcp_fin_timeout deletes a FIN-WAIT-2 connection.
    let c = TcpConfig {
        fin_wait_2_timeout: Some(3),
        ..cfg()
    };
    let mut t = socket_fin_wait_1();
    let mut fx = Effects::default();
    t.arrive(&c, &seg(Ctl::ACK, 5, 2), &mut fx);
    assert_eq!(t.state, State::FinWait2);
    assert!(fx.timers.contains(&TimerCmd::Set(TcpTimer::FinWait2, 3, 3)));
    let mut fx = Effects::default();
    t.timeout(&c, TcpTimer::FinWait2, &mut fx);
    assert!(fx.send.is_empty());
    assert_eq!(fx.signals[..], [Signal::Closed(Outcome::FinWait2Timeout)]);
    assert_eq!(t.state, State::Closed);
    // The same timer elsewhere does nothing.
    let mut t = socket_established();
    let mut fx = Effects::default();
    t.timeout(&c, TcpTimer::FinWait2, &mut fx);
    assert_eq!((fx, t.state), (Effects::default(), State::Established));
}

#[test]
fn counts_saturate_at_three_and_keep_their_neighbours() {
    use super::endpoint::{Counts, MAX_SPACE};
    let mut c = Counts::default();
    assert!(c.is_zero());
    for _ in 0..5 {
        c.bump(5);
        assert!(!c.is_zero());
    }
    c.bump(6);
    c.bump(MAX_SPACE + 7); // modulo the largest space
    assert_eq!((c.get(4), c.get(5), c.get(6), c.get(7)), (0, 3, 1, 1));
    c.set(5, 1);
    assert_eq!((c.get(4), c.get(5), c.get(6)), (0, 1, 1));
    c.set(31, 9);
    assert_eq!(c.get(31), 3, "set saturates too");
    assert_eq!(c.iter().map(u32::from).sum::<u32>(), 6);
    assert_eq!(format!("{c:?}").matches(',').count(), MAX_SPACE - 1);
    // Human-readable formats see 32 counts; the packed one sees a word.
    let json = serde_json::to_string(&c).unwrap_or_default();
    assert!(json.starts_with("[0,0,0,0,0,1,1,1,"), "{json}");
    assert_eq!(serde_json::from_str::<Counts>(&json).ok(), Some(c));
    assert!(serde_json::from_str::<Counts>(&json.replacen('1', "4", 1)).is_err());
    let bytes = postcard::to_allocvec(&c).unwrap_or_default();
    assert!(bytes.len() <= 10, "{} bytes", bytes.len());
    assert_eq!(postcard::from_bytes::<Counts>(&bytes).ok(), Some(c));
    assert_eq!(
        postcard::to_allocvec(&Counts::default()).ok(),
        Some(vec![0])
    );
}

#[test]
fn counts_rotate_as_every_sequence_number_moves_by_the_clock() {
    // `rotate` is one bit rotation; it must move each count as setting them one by one
    // would: the count of i goes to (i + by) % n, and the counts at n and above stay.
    use super::endpoint::{Counts, MAX_SPACE};
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for n in 1..=MAX_SPACE {
        for by in 0..n {
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let mut old = Counts::default();
                for i in 0..MAX_SPACE {
                    old.set(i, ((x >> (2 * i)) & 3) as u8);
                }
                let mut want = old;
                for i in 0..n {
                    want.set((i + by) % n, old.get(i));
                }
                let mut got = old;
                got.rotate(n, by);
                assert_eq!(got, want, "n {n}, by {by}, counts {old:?}");
            }
        }
    }
}

/// The words a value's `Hash` writes, as the fingerprint hasher mixes them (byte
/// strings cut into words, the last one tagged with its length).
#[derive(Default)]
struct Words(Vec<u64>);

impl std::hash::Hasher for Words {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.0
                .push(u64::from_le_bytes(w) ^ ((c.len() as u64) << 60));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0.push(x);
    }
    fn finish(&self) -> u64 {
        0
    }
}

fn words<T: std::hash::Hash>(t: &T) -> Vec<u64> {
    let mut w = Words::default();
    t.hash(&mut w);
    w.0
}

/// A fingerprint is a hash of the words a state's parts write one after another, so
/// each part's words must tell its values apart, and no value's words may begin
/// another's (or two states could write the same words, split differently).
fn assert_words_tell_apart<T: std::hash::Hash + std::fmt::Debug>(values: &[T]) {
    for (i, a) in values.iter().enumerate() {
        for b in &values[i + 1..] {
            let (wa, wb) = (words(a), words(b));
            assert!(
                !wb.starts_with(&wa) && !wa.starts_with(&wb),
                "{a:?} and {b:?} hash to words {wa:?} and {wb:?}"
            );
        }
    }
}

#[test]
fn a_tcbs_words_tell_every_field_apart() {
    use crate::wire::Bytes;
    let base = Tcb::closed();
    let changes: [fn(&mut Tcb); 17] = [
        |t| t.state = State::Listen,
        |t| t.passive = true,
        |t| t.iss = 1,
        |t| t.snd_una = 1,
        |t| t.snd_nxt = 1,
        |t| t.irs = 1,
        |t| t.rcv_nxt = 1,
        |t| t.unacked.push(Bytes::from("a")),
        |t| t.unacked = [Bytes::from("a"), Bytes::from("b")].into(),
        |t| t.fin_sent = true,
        |t| t.close_pending = true,
        |t| t.retries = 1,
        |t| t.pending_syn = Some((0, 0)),
        |t| t.rcv_shut = true,
        |t| t.unread = true,
        |t| t.ack_pending = true,
        |t| t.inc = 2,
    ];
    let mut tcbs = vec![base.clone()];
    for change in changes {
        let mut t = base.clone();
        change(&mut t);
        tcbs.push(t);
    }
    assert_words_tell_apart(&tcbs);
}

#[test]
fn a_hosts_words_tell_its_outcome_apart() {
    let (d, _) = Drive::start(host_cfg(Open::Active, CloseWhen::First));
    let hosts: Vec<Host> = [None, Some(Outcome::Normal), Some(Outcome::Reset)]
        .into_iter()
        .map(|outcome| Host {
            outcome,
            ..d.h.clone()
        })
        .collect();
    assert_words_tell_apart(&hosts);
}
