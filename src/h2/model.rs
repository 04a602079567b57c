//! The `model = "h2"` scenarios: the model and its properties.

use super::flow;
use super::node::{
    order, Browser, Chunk, Conn, H2Config, H2Node, H2State, H2Timer, Origin, Outcome, Req, Role,
    St, BROWSER, ORIGIN,
};
use crate::scenario::Scenario;
use crate::wire::{ActionOf, StateOf, Wire};
use std::sync::Arc;

pub type H2Model = Wire<H2Node>;
pub type H2WireState = StateOf<H2Node>;
pub type H2Action = ActionOf<H2Node>;

fn browser(s: &H2WireState) -> &Browser {
    match &s.actors[BROWSER] {
        H2State::Browser(b) => b,
        _ => unreachable!("actor 0 is the browser"),
    }
}

fn origin(s: &H2WireState) -> &Origin {
    match &s.actors[ORIGIN] {
        H2State::Origin(o) => o,
        _ => unreachable!("actor 1 is the origin"),
    }
}

/// Every connection of both endpoints.
fn conns(s: &H2WireState) -> impl Iterator<Item = &Conn> {
    browser(s).conns.iter().chain(origin(s).conns.iter())
}

// ANCHOR: stream_properties
/// No receiver saw a frame other than HEADERS or PRIORITY on an idle stream (§5.1).
pub fn no_frame_on_idle(_: &H2Model, s: &H2WireState) -> bool {
    conns(s).all(|c| !c.seen.idle_frame)
}

/// No receiver saw a frame other than RST_STREAM, PRIORITY or WINDOW_UPDATE after the
/// peer's END_STREAM (§5.1, "half-closed (remote)").
pub fn nothing_after_end_stream(_: &H2Model, s: &H2WireState) -> bool {
    conns(s).all(|c| !c.seen.after_end_stream)
}

/// Every new stream a receiver saw has a higher identifier than every stream the peer
/// opened before it (§5.1.1).
pub fn stream_ids_rise(_: &H2Model, s: &H2WireState) -> bool {
    conns(s).all(|c| !c.seen.id_not_rising)
}

/// No endpoint ended a connection because of a frame that arrived on a stream it had
/// reset itself (§5.1, "closed": such frames MUST be minimally processed and then discarded).
pub fn reset_races_tolerated(_: &H2Model, s: &H2WireState) -> bool {
    conns(s).all(|c| !c.seen.race_error)
}
// ANCHOR_END: stream_properties

/// A frame arrived on a stream its receiver had reset.
pub fn frame_after_reset(_: &H2Model, s: &H2WireState) -> bool {
    conns(s).any(|c| c.seen.frame_after_reset)
}

// ANCHOR: hpack_property
/// Per connection and direction: once the decoder has received k field blocks, its
/// dynamic table is the encoder's table after the encoder's k-th block.
fn tables_agree(dec: &Conn, enc: &Conn) -> bool {
    enc.enc.get(dec.blocks_in as usize) == Some(&dec.dec)
}

pub fn hpack_tables_agree(_: &H2Model, s: &H2WireState) -> bool {
    let (b, o) = (browser(s), origin(s));
    b.conns.iter().zip(&o.conns).all(|(bc, oc)| {
        // A connection the origin has not heard of yet has no blocks either way.
        tables_agree(bc, oc) && tables_agree(oc, bc)
    })
}
// ANCHOR_END: hpack_property

/// A field block arrived (the antecedent of the HPACK property).
pub fn some_block_arrived(_: &H2Model, s: &H2WireState) -> bool {
    conns(s).any(|c| c.blocks_in > 0)
}

// ANCHOR: goaway_properties
/// Every POST took effect at most once.
pub fn post_at_most_once(m: &H2Model, s: &H2WireState) -> bool {
    let cfg = &m.actors[BROWSER].cfg;
    origin(s)
        .applied
        .iter()
        .zip(&cfg.requests)
        .all(|(n, r)| r.method != "POST" || *n <= 1)
}

/// Every request the user did not cancel has its whole response.
pub fn every_request_answered(_: &H2Model, s: &H2WireState) -> bool {
    browser(s)
        .reqs
        .iter()
        .all(|r| matches!(r.outcome, Outcome::Answered | Outcome::Cancelled))
}

/// A request refused by a GOAWAY (above its last stream) was sent again on a new
/// connection and answered there.
pub fn refused_request_retried(_: &H2Model, s: &H2WireState) -> bool {
    browser(s)
        .reqs
        .iter()
        .any(|r| r.retried && r.outcome == Outcome::Answered)
}
// ANCHOR_END: goaway_properties

// ANCHOR: flow_properties
/// The connection window never goes negative: neither the origin's view (what it
/// may still send) nor the browser's (what it must still accept) (§6.9.1).
pub fn conn_window_non_negative(m: &H2Model, s: &H2WireState) -> bool {
    let cw = m.actors[BROWSER].cfg.connection_window;
    browser(s).conns.iter().all(|c| c.flow.recv_conn(cw) >= 0)
        && origin(s).conns.iter().all(|c| c.flow.send_conn(cw) >= 0)
}

/// No stream window goes negative, on either side.
pub fn stream_windows_non_negative(m: &H2Model, s: &H2WireState) -> bool {
    let initial = m.actors[BROWSER].cfg.window.unwrap_or(flow::DEFAULT_WINDOW);
    browser(s)
        .conns
        .iter()
        .all(|c| c.flow.recv_streams(initial).all(|(_, w)| w >= 0))
        && origin(s).conns.iter().all(|c| {
            c.flow
                .out
                .streams
                .iter()
                .all(|f| c.flow.send_stream(f.id) >= 0)
        })
}

/// Every stream completes: each request is answered or cancelled, and the origin has
/// no stream left open or half-closed.
pub fn every_stream_completes(m: &H2Model, s: &H2WireState) -> bool {
    every_request_answered(m, s)
        && origin(s)
            .conns
            .iter()
            .all(|c| c.streams.iter().all(|st| matches!(st.st, St::Closed(_))))
}
// ANCHOR_END: flow_properties

// ANCHOR: concurrency_properties
/// Streams being served (half-closed (remote): the request complete, the response not
/// finished) never exceed the limit the origin announced (§5.1.2). The model stops a
/// stream's handler the moment the stream is reset, so these are also its running
/// handlers; real handlers could run on after the reset (Go before 1.21.3).
pub fn handlers_within_limit(m: &H2Model, s: &H2WireState) -> bool {
    let Some(limit) = m.actors[BROWSER].cfg.max_streams else {
        return true;
    };
    origin(s).conns.iter().all(|c| {
        c.streams
            .iter()
            .filter(|st| st.st == St::HalfClosedRemote)
            .count()
            <= limit as usize
    })
}

/// The handlers the origin ever started stay within the limit plus the reset budget:
/// the work a client can cause with streams it resets is bounded.
pub fn handlers_started_bounded(m: &H2Model, s: &H2WireState) -> bool {
    let cfg = &m.actors[BROWSER].cfg;
    let started: u32 = origin(s).applied.iter().map(|&n| n as u32).sum();
    started
        <= cfg
            .max_streams
            .unwrap_or(u32::MAX)
            .saturating_add(cfg.reset_budget as u32)
}
// ANCHOR_END: concurrency_properties

/// A request refused with REFUSED_STREAM went out again and was answered.
pub fn refused_stream_retried(_: &H2Model, s: &H2WireState) -> bool {
    let b = browser(s);
    b.reqs
        .iter()
        .any(|r| r.retried && r.outcome == Outcome::Answered && b.conns.len() == 1)
}

/// A DATA frame waited for a WINDOW_UPDATE: the origin had body left and no window.
pub fn window_exhausted(m: &H2Model, s: &H2WireState) -> bool {
    let cw = m.actors[BROWSER].cfg.connection_window;
    origin(s).conns.iter().any(|c| {
        c.streams.iter().any(|st| {
            st.st == St::HalfClosedRemote
                && (c.flow.send_conn(cw) <= 0 || c.flow.send_stream(st.id) <= 0)
        })
    })
}

/// A frame of one response arrived between the first and the last frame of another.
pub fn responses_interleave(_: &H2Model, s: &H2WireState) -> bool {
    browser(s).interleaved
}

// ANCHOR: hol_properties
/// Over TCP: the origin wrote the DATA of stream A (the first request's) into TCP
/// before the DATA of stream B (the second's), the browser has not received A's
/// DATA, and no segment carrying it is in flight: the segment that carried it was
/// lost, and TCP has not sent it again yet.
pub fn a_lost_before_b(_: &H2Model, s: &H2WireState) -> bool {
    let b = browser(s);
    let (Some(ra), Some(rb)) = (b.reqs.first(), b.reqs.get(1)) else {
        return false;
    };
    let Some(pipe) = origin(s).pipe.as_ref() else {
        return false;
    };
    let at = |id| pipe.written.iter().position(|&w| w == id);
    let (Some(a), Some(bb)) = (at(ra.stream), at(rb.stream)) else {
        return false;
    };
    let in_flight = s.flight.iter().any(|f| {
        f.src as usize == ORIGIN
            && !f.delivered
            && matches!(&f.msg.body, super::node::Body::Tcp(seg)
                if super::tcp::carries_data_of(seg, ra.stream))
    });
    a < bb && ra.outcome == Outcome::Waiting && !in_flight
}

/// ... and the browser has received B's END_STREAM: stream B completed although a
/// frame written before its last one is missing (head-of-line blocking would forbid
/// it).
pub fn b_completes_while_a_lost(m: &H2Model, s: &H2WireState) -> bool {
    a_lost_before_b(m, s)
        && browser(s)
            .reqs
            .get(1)
            .is_some_and(|r| r.outcome == Outcome::Answered)
}
// ANCHOR_END: hol_properties

// ANCHOR: push_properties
/// Every PUSH_PROMISE arrived on a stream that was open or half-closed (local) at the
/// browser (so open or half-closed (remote) at the origin, §6.6), and before the DATA
/// on that stream that refers to the promised resource (§8.4.1).
pub fn promise_before_reference(_: &H2Model, s: &H2WireState) -> bool {
    browser(s).conns.iter().all(|c| !c.seen.promise_late)
}

/// No resource is both requested by the browser and promised by the origin on one
/// connection. In the model the origin promises while it writes the page, before or
/// with the reference the browser reads, so a request for a promised resource was
/// always sent after the promise.
pub fn no_request_for_promised(_: &H2Model, s: &H2WireState) -> bool {
    let (b, o) = (browser(s), origin(s));
    b.conns.iter().zip(&o.conns).all(|(bc, oc)| {
        let mut promised = oc
            .streams
            .iter()
            .filter(|st| st.id.is_multiple_of(2))
            .filter_map(|st| st.req);
        let requested: Vec<u8> = bc
            .streams
            .iter()
            .filter(|st| !st.id.is_multiple_of(2))
            .filter_map(|st| st.req)
            .collect();
        promised.all(|i| !requested.contains(&i))
    })
}

/// No PUSH_PROMISE reached a browser that had disabled push (§6.6, §8.4).
pub fn no_push_when_disabled(_: &H2Model, s: &H2WireState) -> bool {
    browser(s).conns.iter().all(|c| !c.seen.promise_disabled)
}
// ANCHOR_END: push_properties

/// A PUSH_PROMISE arrived: the browser has a server-initiated stream.
pub fn promise_arrived(_: &H2Model, s: &H2WireState) -> bool {
    browser(s)
        .conns
        .iter()
        .any(|c| c.streams.iter().any(|st| st.id.is_multiple_of(2)))
}

/// The browser refused a push with RST_STREAM.
pub fn push_refused(_: &H2Model, s: &H2WireState) -> bool {
    browser(s).refused_push
}

// ANCHOR: size_update_property
/// The first field block the browser received after its lowered
/// SETTINGS_HEADER_TABLE_SIZE was acknowledged opened with a dynamic table size
/// update (RFC 7541 §4.2; RFC 9113 §4.3.1).
pub fn size_update_opens_block(_: &H2Model, s: &H2WireState) -> bool {
    browser(s).conns.iter().all(|c| !c.seen.no_size_update)
}
// ANCHOR_END: size_update_property

/// A field block arrived after the acknowledgement of a lowered
/// SETTINGS_HEADER_TABLE_SIZE (the antecedent of the size-update property).
pub fn block_after_table_size_ack(_: &H2Model, s: &H2WireState) -> bool {
    browser(s)
        .conns
        .iter()
        .any(|c| c.dec_limit < super::hpack::DEFAULT_TABLE_SIZE && !c.dec_resize_due)
}

/// Every request has its whole response (no cancels, no failures).
pub fn page_loaded(_: &H2Model, s: &H2WireState) -> bool {
    browser(s)
        .reqs
        .iter()
        .all(|r| r.outcome == Outcome::Answered)
}

/// The names and kinds of the h2 properties.
pub fn catalogue() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "no frame on an idle stream other than HEADERS or PRIORITY",
            "always",
        ),
        ("nothing after END_STREAM on a half-closed stream", "always"),
        (
            "stream IDs rise in the order they appear on the wire",
            "always",
        ),
        (
            "frames that race our own RST_STREAM are tolerated",
            "always",
        ),
        (
            "the decoder's dynamic table equals the encoder's at every header-block boundary",
            "always",
        ),
        ("a POST takes effect at most once", "always"),
        ("every request is answered", "eventually"),
        ("the page loads", "sometimes"),
        (
            "a frame arrives on a stream its receiver reset",
            "sometimes",
        ),
        ("two responses interleave", "sometimes"),
        ("the connection window never goes negative", "always"),
        ("no stream window goes negative", "always"),
        ("every stream completes", "eventually"),
        ("a response waits for a WINDOW_UPDATE", "sometimes"),
        (
            "streams being served stay within the advertised limit",
            "always",
        ),
        (
            "handlers started stay within the limit plus the reset budget",
            "always",
        ),
        ("a refused stream is retried and answered", "sometimes"),
        (
            "a segment of stream A is lost while stream B's DATA follows it",
            "sometimes",
        ),
        (
            "stream B completes while a segment of stream A is lost and not yet retransmitted",
            "sometimes",
        ),
        (
            "a request above the last-stream-id is retried on a new connection",
            "sometimes",
        ),
        (
            "PUSH_PROMISE arrives on an open stream, before the DATA that refers to the pushed resource",
            "always",
        ),
        (
            "the browser never requests a resource that was already promised",
            "always",
        ),
        ("no PUSH_PROMISE reaches a browser that disabled push", "always"),
        ("a push is refused with RST_STREAM", "sometimes"),
        (
            "a dynamic table size update opens the first field block after the SETTINGS acknowledgement",
            "always",
        ),
    ]
}

pub fn prop(name: &str) -> Option<crate::check::engine::Prop<H2Model>> {
    use crate::check::engine::Prop;
    Some(match name {
        "no frame on an idle stream other than HEADERS or PRIORITY" => {
            Prop::always(name, no_frame_on_idle)
        }
        "nothing after END_STREAM on a half-closed stream" => {
            Prop::always(name, nothing_after_end_stream)
        }
        "stream IDs rise in the order they appear on the wire" => {
            Prop::always(name, stream_ids_rise)
        }
        "frames that race our own RST_STREAM are tolerated" => Prop::always_if(
            name,
            "a frame arrived on a stream its receiver reset",
            frame_after_reset,
            reset_races_tolerated,
        ),
        "the decoder's dynamic table equals the encoder's at every header-block boundary" => {
            Prop::always_if(
                name,
                "a field block arrived",
                some_block_arrived,
                hpack_tables_agree,
            )
        }
        "a POST takes effect at most once" => Prop::always(name, post_at_most_once),
        "every request is answered" => Prop::eventually(name, every_request_answered),
        "the page loads" => Prop::sometimes(name, page_loaded),
        "a frame arrives on a stream its receiver reset" => {
            Prop::sometimes(name, frame_after_reset)
        }
        "two responses interleave" => Prop::sometimes(name, responses_interleave),
        "a segment of stream A is lost while stream B's DATA follows it" => {
            Prop::sometimes(name, a_lost_before_b)
        }
        "stream B completes while a segment of stream A is lost and not yet retransmitted" => {
            Prop::sometimes(name, b_completes_while_a_lost)
        }
        "the connection window never goes negative" => Prop::always(name, conn_window_non_negative),
        "no stream window goes negative" => Prop::always(name, stream_windows_non_negative),
        "every stream completes" => Prop::eventually(name, every_stream_completes),
        "a response waits for a WINDOW_UPDATE" => Prop::sometimes(name, window_exhausted),
        "streams being served stay within the advertised limit" => {
            Prop::always(name, handlers_within_limit)
        }
        "handlers started stay within the limit plus the reset budget" => {
            Prop::always(name, handlers_started_bounded)
        }
        "a refused stream is retried and answered" => Prop::sometimes(name, refused_stream_retried),
        "a request above the last-stream-id is retried on a new connection" => {
            Prop::sometimes(name, refused_request_retried)
        }
        "PUSH_PROMISE arrives on an open stream, before the DATA that refers to the pushed resource" => {
            Prop::always_if(
                name,
                "a PUSH_PROMISE arrived",
                promise_arrived,
                promise_before_reference,
            )
        }
        "the browser never requests a resource that was already promised" => {
            Prop::always(name, no_request_for_promised)
        }
        "no PUSH_PROMISE reaches a browser that disabled push" => {
            Prop::always(name, no_push_when_disabled)
        }
        "a push is refused with RST_STREAM" => Prop::sometimes(name, push_refused),
        "a dynamic table size update opens the first field block after the SETTINGS acknowledgement" => {
            Prop::always_if(
                name,
                "a field block arrived after the SETTINGS acknowledgement",
                block_after_table_size_ack,
                size_update_opens_block,
            )
        }
        _ => return None,
    })
}

/// The model of a `model = "h2"` scenario (validated).
pub fn build(scn: &Scenario) -> H2Model {
    let h = scn.h2.as_ref().expect("validated: [h2]");
    let cfg = Arc::new(H2Config {
        authority: h.authority.clone(),
        requests: h
            .requests
            .iter()
            .map(|r| {
                let (m, p) = r.split_once(' ').expect("validated: METHOD PATH");
                Req {
                    method: m.to_string(),
                    path: p.to_string(),
                }
            })
            .collect(),
        transport: h.transport,
        cancels: h.cancels,
        receiver: h.receiver,
        shutdown: h.shutdown,
        retry: h.retry,
        connections: h.connections,
        indexing: h.indexing,
        tcp: (h.transport == super::node::Transport::Tcp).then(|| {
            let isn = scn.tcp.as_ref().and_then(|t| t.isns.first().copied());
            (crate::tcp::model::tcp_config(scn), isn.unwrap_or(0))
        }),
        window: h.window,
        connection_window: h.connection_window,
        max_streams: h.max_streams,
        rapid_resets: h.rapid_resets,
        reset_budget: h.reset_budget,
        reset_count: h.reset_count,
        push: h.push,
        enable_push: h.enable_push,
        refuse_push: h.refuse_push,
        header_table_size: h.header_table_size,
        size_update: h.size_update,
    });
    let tcp = cfg.tcp.is_some();
    let node = |role| H2Node {
        role,
        cfg: cfg.clone(),
    };
    let mut m = Wire::new(
        vec![node(Role::Browser), node(Role::Origin)],
        vec!["browser".into(), "server".into()],
        if tcp {
            // Below TCP the wire is the scenario's: it may lose segments.
            crate::tcp::model::faults(scn)
        } else {
            crate::wire::Faults {
                msl: scn.network.msl,
                loss: false,
                loss_budget: Some(0),
                duplication: false,
                duplication_budget: Some(0),
                reordering: false,
                capacity: scn.network.capacity,
            }
        },
    );
    m.order = Some(if tcp { super::tcp::fifo } else { order });
    m.fair_loss = scn.fairness.fair_loss;
    m.properties = vec![
        stateright::Property::always(
            "the decoder's dynamic table equals the encoder's at every header-block boundary",
            hpack_tables_agree,
        ),
        stateright::Property::sometimes("the page loads", page_loaded),
    ];
    m
}

// --- how reports show chunks and endpoints ------------------------------------------

impl crate::report::Envelope for Chunk {
    fn label(&self) -> String {
        self.to_string()
    }
    fn flags(&self) -> Option<String> {
        match &self.body {
            super::node::Body::Tcp(seg) => Some(seg.ctl.letters()),
            _ => None,
        }
    }
    fn seq(&self) -> Option<u32> {
        match &self.body {
            super::node::Body::Tcp(seg) => Some(seg.seq as u32),
            _ => None,
        }
    }
    fn ack(&self) -> Option<u32> {
        match &self.body {
            super::node::Body::Tcp(seg) => seg.is_ack().then_some(seg.ack as u32),
            _ => None,
        }
    }
    fn len(&self) -> u32 {
        match &self.body {
            super::node::Body::Preface(b) | super::node::Body::Frame(b) => b.len() as u32,
            super::node::Body::Close => 0,
            super::node::Body::Tcp(seg) => seg.len() as u32,
        }
    }
    fn incarnation(&self) -> Option<u8> {
        None
    }
}

/// One connection's streams, as a lifeline shows them: `s1 open, s3 closed`.
fn conn_phase(c: &Conn) -> String {
    let mut parts: Vec<String> = c
        .streams
        .iter()
        .map(|s| format!("s{} {}", s.id, s.st.name()))
        .collect();
    if let Some(code) = c.error {
        parts.push(format!("error {}", code.name()));
    } else if let Some(last) = c.goaway_rcvd {
        parts.push(format!("GOAWAY received (last {last})"));
    } else if let Some((last, fin)) = c.goaway_sent {
        if last == super::frame::MAX_STREAM_ID {
            parts.push("GOAWAY sent (2^31-1)".into());
        } else if fin {
            parts.push(format!("GOAWAY sent (last {last})"));
        }
    }
    if c.closed || c.peer_closed {
        parts.push("closed".into());
    }
    let (e, d) = (c.enc_table().entries.len(), c.dec.entries.len());
    if e + d > 0 {
        parts.push(format!("HPACK enc {e} dec {d}"));
    }
    if c.skipped > 0 {
        parts.push(format!("{} field block(s) skipped", c.skipped));
    }
    // Flow control (only counted when the scenario models it).
    let f = &c.flow;
    if f.out.octets > 0 {
        parts.push(format!(
            "DATA sent {}, credit got {}",
            f.out.octets, f.out.credit
        ));
    }
    if f.inc.octets > 0 {
        parts.push(format!(
            "DATA got {}, credit sent {}",
            f.inc.octets, f.inc.credit
        ));
    }
    if parts.is_empty() {
        "no streams".into()
    } else {
        parts.join(", ")
    }
}

impl crate::report::Lifeline for H2State {
    fn phase(&self) -> String {
        let cs = match self {
            H2State::Browser(b) => &b.conns,
            H2State::Origin(o) => &o.conns,
        };
        match cs.len() {
            0 => "waiting for a connection".into(),
            1 => conn_phase(&cs[0]),
            n => format!("conn {}: {}", n - 1, conn_phase(&cs[n - 1])),
        }
    }
    fn connection(&self) -> Option<u32> {
        match self {
            H2State::Browser(b) => Some(b.conns.len().saturating_sub(1) as u32),
            H2State::Origin(_) => None,
        }
    }
}

impl crate::report::TimerName for H2Timer {
    fn describe(&self) -> String {
        match self {
            H2Timer::Write(0, s) => format!("the server writes the body of stream {s}"),
            H2Timer::Write(c, s) => {
                format!("the server writes the body of stream {s} (conn {c})")
            }
            H2Timer::Cancel(i) => format!("the user cancels request {}", i + 1),
            H2Timer::Shutdown => "the server decides to shut the connection down".into(),
            H2Timer::Tcp(crate::tcp::TcpTimer::Retransmit) => {
                "TCP's retransmission timer fires".into()
            }
            H2Timer::Tcp(t) => format!("TCP {t:?} timer fires"),
            H2Timer::Attack => "the client opens a stream and resets it".into(),
            H2Timer::RefusePush(0, s) => format!("the browser refuses the push on stream {s}"),
            H2Timer::RefusePush(c, s) => {
                format!("the browser refuses the push on stream {s} (conn {c})")
            }
        }
    }
}

impl crate::check::coverage::ActionKinds for H2Node {
    fn msg_kind(msg: &Chunk) -> &'static str {
        match &msg.body {
            super::node::Body::Preface(_) => "the connection preface",
            super::node::Body::Close => "the end of the connection",
            super::node::Body::Tcp(_) => "a TCP segment",
            super::node::Body::Frame(_) => msg
                .frame()
                .map_or("octets that are not a frame", |f| f.type_name()),
        }
    }
    fn timer_kind(t: &H2Timer) -> &'static str {
        match t {
            H2Timer::Write(..) => "write a response body",
            H2Timer::Cancel(_) => "the user cancels a request",
            H2Timer::Shutdown => "shut the connection down",
            H2Timer::Tcp(_) => "a TCP timer",
            H2Timer::Attack => "open and reset a stream",
            H2Timer::RefusePush(..) => "refuse a push",
        }
    }
    fn choice_kind(_: &u8) -> &'static str {
        "none"
    }
    fn declared(&self) -> crate::check::coverage::Declared {
        let c = &self.cfg;
        let mut receives = vec!["SETTINGS", "HEADERS", "DATA", "the end of the connection"];
        let mut timers = Vec::new();
        match self.role {
            Role::Browser => {
                if c.shutdown != super::node::Shutdown::None {
                    receives.extend(["GOAWAY", "PING"]);
                }
                if c.cancels > 0 {
                    timers.push("the user cancels a request");
                }
                if c.rapid_resets > 0 {
                    timers.push("open and reset a stream");
                }
                if c.max_streams.is_some() && c.rapid_resets == 0 {
                    receives.push("RST_STREAM");
                }
                if c.push != super::push::Push::None
                    && (c.enable_push || c.push == super::push::Push::IgnoresEnablePush)
                {
                    receives.push("PUSH_PROMISE");
                }
                if c.refuse_push {
                    timers.push("refuse a push");
                }
            }
            Role::Origin => {
                receives.push("the connection preface");
                if c.cancels > 0 {
                    receives.push("RST_STREAM");
                }
                if c.window.is_some() {
                    receives.push("WINDOW_UPDATE");
                }
                let refused = c.refuse_push
                    || matches!(
                        c.push,
                        super::push::Push::AfterReference | super::push::Push::AfterEndStream
                    );
                if (c.rapid_resets > 0 || refused) && !receives.contains(&"RST_STREAM") {
                    receives.push("RST_STREAM");
                }
                if c.shutdown == super::node::Shutdown::TwoPhase {
                    receives.push("PING");
                }
                timers.push("write a response body");
                if c.shutdown != super::node::Shutdown::None {
                    timers.push("shut the connection down");
                }
            }
        }
        crate::check::coverage::Declared {
            receives,
            timers,
            choices: Vec::new(),
        }
    }
}
