//! The browser, the origin and the gateway as message timelines: each test feeds one
//! actor the packets a run would bring it and checks what it sends, sets and chooses.

use super::message::Framing;
use super::node::{
    Node, NodeState, NodeTimer, OriginFault, Packet, Pick, Role, Shown, BROWSER, ORIGIN, UPSTREAM,
};
use crate::scenario::Scenario;
use crate::tcp::{Ctl, Payload, Segment};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::sync::Arc;

/// One actor of a scenario, and what it did last.
struct Timeline {
    node: Node,
    state: NodeState,
}

fn scenario(name: &str) -> Arc<super::node::PageConfig> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(format!("{name}.toml"));
    let scn = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    super::model::build(&scn).actors[BROWSER].cfg.clone()
}

/// What an actor's step did, one line per command.
fn lines(o: Out<Node>) -> Vec<String> {
    o.into_iter()
        .map(|c| match c {
            Command::Send(dst, Packet::Tcp(_, s)) => format!("to {}: {s}", usize::from(dst)),
            Command::Send(dst, Packet::Udp(d)) => format!("to {}: {d}", usize::from(dst)),
            Command::SetTimer(t, _) => format!("set {t:?}"),
            Command::CancelTimer(t) => format!("cancel {t:?}"),
            Command::ChooseRandom(k, v) => format!("choose {k} from {v:?}"),
            _ => "other".into(),
        })
        .filter(|l| !l.starts_with("cancel"))
        .collect()
}

fn data(seq: u8, ack: u8, bytes: &[u8]) -> Segment {
    let p: Payload = Payload::from(bytes);
    Segment::new(Ctl::PSH | Ctl::ACK, seq, ack, 1).with_data(p)
}

fn seg(ctl: Ctl, seq: u8, ack: u8) -> Segment {
    Segment::new(ctl, seq, ack, 1)
}

const GET: &[u8] = b"GET /mypage?userid=0 HTTP/1.1\r\nHost: www.rbooks.top\r\n\r\n";

impl Timeline {
    fn start(cfg: &Arc<super::node::PageConfig>, role: Role) -> (Timeline, Vec<String>) {
        let node = Node {
            role,
            cfg: cfg.clone(),
        };
        let mut o = Out::new();
        let state = node.on_start(Id::from(0), &None, &mut o);
        (Timeline { node, state }, lines(o))
    }

    /// One step of the actor: `f` calls one of its handlers.
    fn step(&mut self, f: impl FnOnce(&Node, &mut Cow<NodeState>, &mut Out<Node>)) -> Vec<String> {
        let mut o = Out::new();
        let mut st = Cow::Borrowed(&self.state);
        f(&self.node, &mut st, &mut o);
        self.state = st.into_owned();
        lines(o)
    }

    fn recv_packet(&mut self, src: usize, p: Packet) -> Vec<String> {
        self.step(|n, st, o| n.on_msg(Id::from(0), st, Id::from(src), p, o))
    }

    fn recv(&mut self, src: usize, s: Segment) -> Vec<String> {
        self.recv_packet(src, Packet::Tcp(0, s))
    }

    fn pick(&mut self, v: Pick) -> Vec<String> {
        self.step(|n, st, o| n.on_random(Id::from(0), st, &v, o))
    }

    fn fire(&mut self, t: NodeTimer) -> Vec<String> {
        self.step(|n, st, o| n.on_timeout(Id::from(0), st, &t, o))
    }
}

/// The origin of `http-framing` after the handshake and the GET: it holds the request
/// and asks the checker how to handle it.
fn framing_origin_with_request() -> Timeline {
    let cfg = scenario("http-framing");
    let (mut o, _) = Timeline::start(&cfg, Role::Origin);
    assert_eq!(
        o.recv(BROWSER, seg(Ctl::SYN, 0, 0)),
        ["choose isn0 from [0]"]
    );
    assert_eq!(
        o.pick(Pick::Isn(0)),
        ["to 0: SYN,ACK seq=0 ack=1", "set Tcp(0, Retransmit)"]
    );
    o.recv(BROWSER, seg(Ctl::ACK, 1, 1));
    let l = o.recv(BROWSER, data(1, 1, GET));
    assert_eq!(l[0], "to 0: ACK seq=1 ack=2");
    assert!(
        l[1].starts_with(
            "choose handling from [answer, Content-Length, answer, close-delimited, answer, chunked, crash (FIN)"
        ),
        "{l:?}"
    );
    o
}

#[test]
fn the_origin_answers_in_two_chunks_and_a_crash_sends_a_fin_between_them() {
    let mut o = framing_origin_with_request();
    let l = o.pick(Pick::Handling(OriginFault::Answers, Framing::Close));
    assert_eq!(
        l,
        [
            "to 0: PSH,ACK seq=1 ack=2 \"HTTP/1.1 200 OK\"",
            "to 0: PSH,ACK seq=2 ack=2 \"erid=0 body\"",
            "to 0: FIN,ACK seq=3 ack=2",
            "set Tcp(0, Retransmit)",
        ]
    );
    let mut o = framing_origin_with_request();
    let l = o.pick(Pick::Handling(OriginFault::Crash, Framing::Close));
    assert!(l.contains(&"to 0: PSH,ACK seq=1 ack=2 \"HTTP/1.1 200 OK\"".to_string()));
    assert!(
        l.contains(&"to 0: FIN,ACK seq=2 ack=2".to_string()),
        "{l:?}"
    );
    let mut o = framing_origin_with_request();
    let l = o.pick(Pick::Handling(OriginFault::Reset, Framing::ContentLength));
    assert!(l.contains(&"to 0: RST seq=2".to_string()), "{l:?}");
    let NodeState::Origin(s) = &o.state else {
        panic!("an origin")
    };
    assert_eq!(
        s.served,
        Some((OriginFault::Reset, Framing::ContentLength, 21))
    );
    assert_eq!(s.answered, None, "a reset is no answer");
}

/// The gateway of `http-gateway` with the browser's request forwarded to the origin.
fn gateway_forwarding() -> Timeline {
    let cfg = scenario("http-gateway");
    let (mut g, _) = Timeline::start(&cfg, Role::Gateway);
    assert_eq!(
        g.recv(BROWSER, seg(Ctl::SYN, 0, 0)),
        ["choose isn from [0]"]
    );
    g.pick(Pick::Isn(0));
    g.recv(BROWSER, seg(Ctl::ACK, 1, 1));
    // The request: acknowledged, and a connection to the origin is opened for it.
    assert_eq!(
        g.recv(BROWSER, data(1, 1, GET)),
        [
            "to 0: ACK seq=1 ack=2",
            "choose isn from [0]",
            "set Deadline"
        ]
    );
    assert_eq!(
        g.pick(Pick::Isn(0)),
        [
            format!("to {UPSTREAM}: SYN seq=0"),
            "set Tcp(1, Retransmit)".into()
        ]
    );
    let l = g.recv(UPSTREAM, seg(Ctl::SYN | Ctl::ACK, 0, 1));
    assert_eq!(l[0], format!("to {UPSTREAM}: ACK seq=1 ack=1"));
    assert_eq!(
        l[1],
        format!("to {UPSTREAM}: PSH,ACK seq=1 ack=1 \"GET /mypage?userid=0 HTTP/1.1\"")
    );
    g
}

fn said(g: &Timeline) -> (Option<u16>, Option<u16>) {
    match &g.state {
        NodeState::Gateway(g) => (g.said, g.heard),
        _ => panic!("a gateway"),
    }
}

#[test]
fn the_gateway_forwards_the_origins_answer() {
    let mut g = gateway_forwarding();
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let l = g.recv(UPSTREAM, data(1, 2, ok));
    assert!(
        l.contains(&"to 0: PSH,ACK seq=1 ack=2 \"HTTP/1.1 200 OK\"".to_string()),
        "{l:?}"
    );
    assert!(
        l.contains(&"to 0: FIN,ACK seq=2 ack=2".to_string()),
        "{l:?}"
    );
    assert!(
        l.contains(&format!("to {UPSTREAM}: FIN,ACK seq=2 ack=2")),
        "{l:?}"
    );
    assert_eq!(said(&g), (Some(200), Some(200)));
}

#[test]
fn a_reset_or_garbage_from_the_origin_is_a_502() {
    let mut g = gateway_forwarding();
    let l = g.recv(UPSTREAM, seg(Ctl::RST, 1, 0));
    assert!(
        l.contains(&"to 0: PSH,ACK seq=1 ack=2 \"HTTP/1.1 502 Bad Gateway\"".to_string()),
        "{l:?}"
    );
    assert_eq!(said(&g), (Some(502), None));

    let mut g = gateway_forwarding();
    let l = g.recv(UPSTREAM, data(1, 2, b"HTTP/1.1 2x0 Oops\r\n\r\n"));
    assert!(
        l.contains(&"to 0: PSH,ACK seq=1 ack=2 \"HTTP/1.1 502 Bad Gateway\"".to_string()),
        "{l:?}"
    );
    assert!(l.contains(&format!("to {UPSTREAM}: RST seq=2")), "{l:?}");
    assert_eq!(said(&g), (Some(502), None));
}

#[test]
fn no_answer_in_time_is_a_504_and_a_late_answer_is_dropped() {
    let mut g = gateway_forwarding();
    let l = g.fire(NodeTimer::Deadline);
    assert!(
        l.contains(&"to 0: PSH,ACK seq=1 ack=2 \"HTTP/1.1 504 Gateway Timeout\"".to_string()),
        "{l:?}"
    );
    assert!(l.contains(&format!("to {UPSTREAM}: RST seq=2")), "{l:?}");
    assert_eq!(said(&g), (Some(504), None));
    // The origin's answer, too late: the connection to it is gone, so it gets a RST.
    let l = g.recv(
        UPSTREAM,
        data(1, 2, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    );
    assert_eq!(l, [format!("to {UPSTREAM}: RST seq=2")]);
    assert_eq!(said(&g), (Some(504), None));
}

/// The browser of `http-framing` with its GET sent and acknowledged.
fn browser_awaiting() -> Timeline {
    let cfg = scenario("http-framing");
    let (mut b, l) = Timeline::start(&cfg, Role::Browser);
    assert_eq!(l[0], "to 1: DNS query id=1 A www.rbooks.top?");
    let reply = crate::dns::answer(&cfg.zone, &{
        let mut r = crate::dns::Resolver::new();
        r.query(&cfg.host)
    })
    .unwrap();
    assert_eq!(
        b.recv_packet(1, Packet::Udp(reply)),
        ["choose isn from [0]"]
    );
    assert_eq!(b.pick(Pick::Isn(0))[0], format!("to {ORIGIN}: SYN seq=0"));
    let l = b.recv(ORIGIN, seg(Ctl::SYN | Ctl::ACK, 0, 1));
    assert_eq!(
        l,
        [
            format!("to {ORIGIN}: ACK seq=1 ack=1"),
            "set Deadline".into(),
            format!("to {ORIGIN}: PSH,ACK seq=1 ack=1 \"GET /mypage?userid=0 HTTP/1.1\""),
            "set Tcp(0, Retransmit)".into(),
        ]
    );
    b
}

fn shown(b: &Timeline) -> (Option<Shown>, u8) {
    match &b.state {
        NodeState::Browser(b) => (b.shown.clone(), b.page_len),
        _ => panic!("a browser"),
    }
}

#[test]
fn a_close_ends_a_close_delimited_body_but_not_a_content_length_one() {
    let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello";
    let mut b = browser_awaiting();
    b.recv(ORIGIN, data(1, 2, close));
    assert_eq!(shown(&b), (None, 0), "the body may go on");
    b.recv(ORIGIN, seg(Ctl::FIN | Ctl::ACK, 2, 2));
    assert_eq!(shown(&b), (Some(Shown::Page(200)), 5));

    let length = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
    let mut b = browser_awaiting();
    b.recv(ORIGIN, data(1, 2, length));
    assert_eq!(shown(&b), (None, 0));
    b.recv(ORIGIN, seg(Ctl::FIN | Ctl::ACK, 2, 2));
    assert_eq!(shown(&b), (Some(Shown::Incomplete), 0));

    let mut b = browser_awaiting();
    b.recv(ORIGIN, data(1, 2, length));
    b.recv(ORIGIN, data(2, 2, b"world"));
    assert_eq!(shown(&b), (Some(Shown::Page(200)), 10));

    // A RST after part of a close-delimited body is not its end.
    let mut b = browser_awaiting();
    b.recv(ORIGIN, data(1, 2, close));
    b.recv(ORIGIN, seg(Ctl::RST, 2, 0));
    assert_eq!(shown(&b), (Some(Shown::Incomplete), 0));
}

/// The gateway waits for a request that spans two segments, and answers a smuggling
/// request (Transfer-Encoding with Content-Length) 400 itself, never forwarding it.
#[test]
fn the_gateway_reassembles_requests_and_refuses_smuggling_rfc_9112_6_3() {
    let cfg = scenario("http-gateway");
    let (mut g, _) = Timeline::start(&cfg, Role::Gateway);
    g.recv(BROWSER, seg(Ctl::SYN, 0, 0));
    g.pick(Pick::Isn(0));
    g.recv(BROWSER, seg(Ctl::ACK, 1, 1));
    // Half a head: acknowledged, nothing forwarded yet.
    assert_eq!(
        g.recv(BROWSER, data(1, 1, &GET[..20])),
        ["to 0: ACK seq=1 ack=2"]
    );
    let l = g.recv(BROWSER, data(2, 1, &GET[20..]));
    assert_eq!(l[1..], ["choose isn from [0]", "set Deadline"], "{l:?}");
    let forwarded = match &g.state {
        NodeState::Gateway(x) => x.request.expect("a request"),
        _ => panic!("a gateway"),
    };
    assert!(String::from_utf8_lossy(&forwarded).contains("\r\nVia: 1.1 gateway\r\n\r\n"));

    let (mut g, _) = Timeline::start(&cfg, Role::Gateway);
    g.recv(BROWSER, seg(Ctl::SYN, 0, 0));
    g.pick(Pick::Isn(0));
    g.recv(BROWSER, seg(Ctl::ACK, 1, 1));
    let smuggle = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc";
    let l = g.recv(BROWSER, data(1, 1, smuggle));
    assert!(
        l.iter().any(|x| x.contains("\"HTTP/1.1 400 Bad Request\"")),
        "{l:?}"
    );
    assert!(
        !l.iter().any(|x| x.contains(&format!("to {UPSTREAM}"))),
        "{l:?}"
    );
    assert_eq!(said(&g).0, Some(400));
}

/// A node decodes over any other node (the checker decodes each state over the one
/// before, `crate::check::engine::pack`) and comes back equal.
#[test]
fn a_node_decodes_over_any_other_node_and_comes_back_equal() {
    use crate::wire::flat::Flat;
    let nodes = [
        browser_awaiting().state,
        framing_origin_with_request().state,
        gateway_forwarding().state,
        NodeState::NameServer,
        NodeState::Spoofer(2),
    ];
    for a in &nodes {
        let mut bytes = Vec::new();
        a.put(&mut bytes);
        assert_eq!(NodeState::take(&mut &bytes[..]).as_ref(), Some(a));
        for b in &nodes {
            let mut place = b.clone();
            let mut inp = &bytes[..];
            assert_eq!(NodeState::take_into(&mut inp, &mut place), Some(()));
            assert!(inp.is_empty(), "the whole encoding was read");
            assert_eq!(&place, a, "decoded over {b:?}");
        }
    }
}

/// Every kind of timer and packet of the page load comes back from its packed form,
/// decoded alone and over another.
#[test]
fn every_node_timer_and_packet_comes_back_from_its_packed_form() {
    use super::node::{NodeTimer, Packet};
    use crate::tcp::TcpTimer;
    use crate::wire::flat::Flat;
    fn check<T: Flat + PartialEq + std::fmt::Debug + Clone>(all: &[T]) {
        for a in all {
            let mut bytes = Vec::new();
            a.put(&mut bytes);
            let mut inp = &bytes[..];
            assert_eq!(T::take(&mut inp).as_ref(), Some(a));
            assert!(inp.is_empty(), "{a:?}");
            for b in all {
                let mut place = b.clone();
                let mut inp = &bytes[..];
                assert_eq!(T::take_into(&mut inp, &mut place), Some(()));
                assert_eq!(&place, a);
            }
        }
    }
    check(&[
        NodeTimer::Tcp(2, TcpTimer::Retransmit),
        NodeTimer::Tcp(0, TcpTimer::DelayedAck),
        NodeTimer::DnsRetry,
        NodeTimer::Deadline,
        NodeTimer::Next,
        NodeTimer::Idle(3),
        NodeTimer::Continue,
    ]);
    check(&[
        Packet::Tcp(1, Segment::new(Ctl::SYN, 4, 0, 1)),
        Packet::Tcp(
            0,
            Segment::new(Ctl::ACK, 5, 6, 0).with_data(Payload::from("GET /")),
        ),
        Packet::Udp(crate::dns::Dns::query(7, 5353, "www.rbooks.top")),
    ]);
    let mut inp: &[u8] = &[6];
    assert_eq!(NodeTimer::take(&mut inp), None, "no timer has tag 6");
    let mut inp: &[u8] = &[2, 0];
    assert_eq!(Packet::take(&mut inp), None, "no packet has tag 2");
}

/// A TCP state is fingerprinted over its packed encoding; a page-load state, whose
/// encoding goes through `Vec` writes, field by field (bench/README.md, "An eleventh
/// round").
#[test]
fn only_a_tcp_state_is_fingerprinted_over_its_encoding() {
    use super::node::{NodeState, NodeTimer, Packet, Pick};
    use crate::check::engine::pack::Pack;
    use crate::tcp::endpoint::{Host, Timer};
    use crate::wire::WireState;
    assert_eq!(
        <WireState<Host, Segment, Timer, u8> as Pack>::IDENTITY,
        Some(1)
    );
    assert_eq!(
        <WireState<NodeState, Packet, NodeTimer, Pick> as Pack>::IDENTITY,
        None
    );
}
