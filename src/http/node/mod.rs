//! The actors of a page load: the browser (stub resolver, TCP client, HTTP client), the
//! name server, and the origin server (TCP server, HTTP server). HTTP runs over the
//! same RFC 9293 [`Tcb`] as the TCP scenarios, on the same timed wire.

mod browser;
mod flat;
mod gateway;
mod origin;
mod spoofer;
mod stub;

pub use spoofer::SpooferConfig;

use super::message::{
    bodiless_status, class_of, parse_head, parse_request, progress, Framing, Head,
};
use super::message::{ParsedResponse, Progress};
use super::message::{Request, Response};
use crate::dns::{self, Dns, Resolver};
use crate::tcp::tcb::{Signals, TimerCmd};
use crate::tcp::{Effects, Payload, Segment, Signal, State, Tcb, TcpConfig, TcpTimer};
use crate::wire::{Bytes, Text};
use smallvec::SmallVec;
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What travels on the wire: TCP segments (with the browser's connection, i.e. its
/// source port) and UDP datagrams.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Packet {
    Tcp(u8, Segment),
    Udp(Dns),
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Packet::Tcp(0, s) => write!(f, "{s:?}"),
            Packet::Tcp(c, s) => write!(f, "{s:?} (conn {c})"),
            Packet::Udp(d) => write!(f, "{d}"),
        }
    }
}

/// The timers of the page-load actors.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum NodeTimer {
    /// A TCP timer of connection `.0`.
    Tcp(u8, TcpTimer),
    /// The resolver's retransmission timeout.
    DnsRetry,
    /// The browser gives up on a response (the prototype found that without one, a
    /// request the server ACKed and then dropped leaves the browser waiting for ever).
    Deadline,
    /// The user asks for the next page on the persistent connection.
    Next,
    /// The origin closes idle connection `.0`.
    Idle(u8),
    /// The browser stops waiting for 100 Continue and sends the body anyway (RFC 9110
    /// §10.1.1).
    Continue,
}

/// How the origin may fail to answer a request (one per request, chosen by the
/// checker). With a response in two chunks, `Crash` and `Reset` strike between them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum OriginFault {
    /// No fault: the origin answers.
    Answers,
    /// The origin's process dies; its kernel closes the socket with a FIN.
    Crash,
    /// The origin aborts the connection: a RST.
    Reset,
    /// The origin writes bytes that are not an HTTP/1.1 response, and closes.
    Invalid,
    /// The handler hangs: no answer at all.
    Silent,
    /// The handler applies the request (a POST takes effect), then the process dies
    /// before a response byte leaves: its kernel closes the socket with a FIN. The
    /// hazard RFC 9110 §9.2.2 and RFC 9112 §9.3.1 guard retries against.
    ApplyThenCrash,
}

/// How a page load ends, as the user sees it.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Shown {
    /// The body of a final response with this status, rendered as the page: a 2xx, a
    /// 4xx or 5xx with a body, or a 3xx that is not followed.
    Page(u16),
    /// The browser's own error page for a 4xx or 5xx with an empty body (Chromium's
    /// net::ERR_HTTP_RESPONSE_CODE_FAILURE).
    ErrorPage(u16),
    DnsFailed,
    NoSuchHost,
    ConnectionFailed,
    Timeout,
    /// More redirects in a row than the limit (Fetch: 20; ERR_TOO_MANY_REDIRECTS).
    TooManyRedirects,
    /// A Location that does not resolve to a URL of this origin.
    InvalidRedirect,
    BadResponse,
    /// The resolver accepted an address that is not the origin's: the browser talks to
    /// a host outside the model (the spoofer's), and the run ends there.
    Elsewhere([u8; 4]),
    /// The connection ended before the whole response arrived (RFC 9112 §8).
    Incomplete,
}

/// What the browser shows, in words: `the page (200 OK)`, `the server's 404 Not Found
/// page`, `the browser's error page (HTTP ERROR 500)`, `connection failed`.
impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::message::{class_of, reason};
        match self {
            Shown::Page(s) if class_of(*s) == 200 => write!(f, "the page ({s} {})", reason(*s)),
            Shown::Page(s) => write!(f, "the server's {s} {} page", reason(*s)),
            Shown::ErrorPage(s) => write!(f, "the browser's error page (HTTP ERROR {s})"),
            Shown::DnsFailed => f.write_str("DNS failure"),
            Shown::NoSuchHost => f.write_str("no such host"),
            Shown::ConnectionFailed => f.write_str("connection failed"),
            Shown::Timeout => f.write_str("timeout"),
            Shown::TooManyRedirects => f.write_str("too many redirects"),
            Shown::InvalidRedirect => f.write_str("invalid redirect"),
            Shown::BadResponse => f.write_str("bad response"),
            Shown::Elsewhere([a, b, c, d]) => {
                write!(f, "whatever {a}.{b}.{c}.{d} serves (not the origin)")
            }
            Shown::Incomplete => f.write_str("incomplete response"),
        }
    }
}

/// One origin route: method (None: any), path, status, extra headers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Route {
    pub method: Option<String>,
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body the origin sends (empty: none).
    pub body: String,
}

/// When the browser sends a request again after its reused connection failed before
/// any byte of the response arrived (RFC 9112 §9.3.1.1; Go's `shouldRetryRequest`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Retry {
    Always,
    Never,
    /// Only idempotent methods (RFC 9110 §9.2.2).
    Idempotent,
}

/// A second request on the persistent connection, racing the origin's idle close.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct KeepAlive {
    pub target: String,
    /// The methods the second request may use (one per run).
    pub methods: Vec<String>,
    /// The user asks for the second page within this many ticks of the first.
    pub think: u8,
    /// The origin closes a connection idle for this many ticks.
    pub idle: u8,
    pub retry: Retry,
}

/// How the origin closes an idle persistent connection.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum IdleClose {
    /// close(): data that arrives afterwards draws a RST (Linux, Go).
    #[default]
    Close,
    /// Lingering close: FIN first, then read and discard (nginx).
    Lingering,
}

/// The knobs of a page load.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PageConfig {
    pub tcp: TcpConfig,
    pub isns: Vec<u8>,
    pub host: Arc<str>,
    pub port: u16,
    /// The request targets the browser may be asked for (the first is the click).
    pub targets: Vec<String>,
    pub method: String,
    pub send_host: bool,
    pub user_agent: String,
    pub dns_tries: u8,
    pub dns_rto: u8,
    /// `None`: the browser waits for a response for ever.
    pub deadline: Option<u8>,
    /// Redirects followed in a row before the browser gives up (Fetch: 20).
    pub max_redirects: u8,
    /// The page's origin, `http://host[:port]`, against which Location is resolved.
    pub origin: String,
    pub zone: Vec<(String, [u8; 4])>,
    pub routes: Vec<Route>,
    pub keepalive: Option<KeepAlive>,
    /// The framings the origin may use, one per request.
    pub framings: Vec<Framing>,
    /// Segments per response (1 or 2).
    pub chunks: u8,
    /// How the origin closes an idle connection.
    pub idle_close: IdleClose,
    /// What the origin may do with a request; `Answers` first.
    pub faults: Vec<OriginFault>,
    /// A gateway sits between the browser and the origin, with this upstream timeout.
    pub gateway: Option<u8>,
    /// A POST asks for 100 Continue before its body, waiting at most this many ticks.
    pub expect_continue: Option<u8>,
    /// The IDs the resolver picks from for each transmission; `None`: 1, 2, 3, ...
    pub dns_ids: Option<Vec<u16>>,
    /// The source ports the resolver picks from for each transmission.
    pub dns_ports: Vec<u16>,
    /// An off-path host that forges the name server's replies.
    pub spoofer: Option<SpooferConfig>,
}

impl PageConfig {
    /// The origin's choices per request: a fault and a framing.
    pub fn modes(&self) -> u8 {
        (self.faults.len() * self.framings.len()) as u8
    }

    /// The actor id of the origin.
    pub fn origin_id(&self) -> usize {
        if self.gateway.is_some() {
            UPSTREAM
        } else {
            ORIGIN
        }
    }

    /// The actor id of the origin's client.
    fn origin_peer(&self) -> usize {
        if self.gateway.is_some() {
            ORIGIN
        } else {
            BROWSER
        }
    }
}
/// What the checker chooses for an actor, printed as traces show it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Pick {
    /// An initial sequence number.
    Isn(u8),
    /// The link the user clicks.
    Target(Text),
    /// The method of the next request on the persistent connection.
    Method(Text),
    /// How the origin handles a request.
    Handling(OriginFault, Framing),
    /// The ID and source port of a DNS query.
    DnsQuery(u16, u16),
    /// The spoofer's guess of a query's ID and source port.
    Guess(u16, u16),
}

impl fmt::Debug for Pick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pick::Isn(n) => write!(f, "{n}"),
            Pick::Target(t) | Pick::Method(t) => write!(f, "{t}"),
            Pick::DnsQuery(id, port) | Pick::Guess(id, port) => write!(f, "id={id}, port {port}"),
            Pick::Handling(fault, framing) => {
                let framing = match framing {
                    Framing::ContentLength => "Content-Length",
                    Framing::Close => "close-delimited",
                    Framing::Chunked => "chunked",
                };
                let fault = match fault {
                    OriginFault::Answers => "answer",
                    OriginFault::Crash => "crash (FIN)",
                    OriginFault::Reset => "reset (RST)",
                    OriginFault::Invalid => "invalid response",
                    OriginFault::Silent => "no answer",
                    OriginFault::ApplyThenCrash => "apply, then crash (FIN)",
                };
                write!(f, "{fault}, {framing}")
            }
        }
    }
}

fn isns(cfg: &PageConfig) -> Vec<Pick> {
    cfg.isns.iter().map(|&n| Pick::Isn(n)).collect()
}

/// Actor ids. The browser connects to `ORIGIN`, which is the gateway when there is
/// one; the origin behind the gateway is `UPSTREAM`.
pub const BROWSER: usize = 0;
pub const NAME_SERVER: usize = 1;
pub const ORIGIN: usize = 2;
pub const UPSTREAM: usize = 3;

/// What an actor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Browser,
    NameServer,
    Origin,
    Gateway,
    Spoofer,
}

/// The browser's progress.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Browser {
    pub resolver: Resolver,
    /// Its connections to the origin (a retry opens a new one, from a new port).
    pub conns: SmallVec<[Tcb; 1]>,
    /// The connection in use.
    pub cur: u8,
    /// The request target now being fetched.
    pub target: Option<Text>,
    /// The method now being used.
    pub method: Option<Text>,
    /// Redirects followed so far.
    pub redirects: u8,
    /// Ghost: the last final response carried Retry-After.
    pub retry_after: bool,
    /// Requests sent, and final responses read.
    pub sent: u8,
    pub answered: u8,
    /// A request is outstanding, and whether it went on a reused connection.
    pub awaiting: bool,
    pub reused: bool,
    pub retried: bool,
    pub shown: Option<Shown>,
    /// Ghost: the status of the last final response read, and the request it answered.
    pub last_status: Option<(u16, u8)>,
    /// Ghost: a GET ended without a response.
    pub get_failed: bool,
    /// The response bytes received so far.
    pub rx: Bytes,
    /// Ghost: the length of the body of the page shown.
    pub page_len: u8,
    /// The body of the request, held back until 100 Continue or the wait ends.
    pub held_body: Option<Payload>,
    /// Ghost: a 100 Continue arrived.
    pub got_continue: bool,
}

impl Browser {
    pub fn tcb(&self) -> &Tcb {
        &self.conns[self.cur as usize]
    }
}

/// The origin's connections.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    pub conns: SmallVec<[OriginConn; 1]>,
    /// Ghost: POST requests applied.
    pub posts_applied: u8,
    /// Ghost: what the origin did with the last request, its framing, and the length
    /// of the body it meant to send.
    pub served: Option<(OriginFault, Framing, u8)>,
    /// Ghost: the status of the last response the origin sent whole.
    pub answered: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OriginConn {
    pub tcb: Tcb,
    /// The origin closed it as idle.
    pub idle_closed: bool,
    /// A request whose handling the checker is about to choose.
    pub pending: Option<Payload>,
    /// The bytes of a request not yet whole (a head waiting for its body).
    pub rx: Bytes,
}

/// A reverse proxy: a TCP server for the browser, a TCP client of the origin
/// (RFC 9110 §3.7). It answers 502 when the origin resets, closes or answers with an
/// invalid response, and 504 when the origin does not answer in time (§15.6.3, §15.6.5).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Gateway {
    /// The connection from the browser.
    pub down: Tcb,
    /// The connection to the origin.
    pub up: Tcb,
    /// The request to forward.
    pub request: Option<Payload>,
    /// The browser's request bytes so far, until the request is whole.
    pub req_rx: Bytes,
    /// The origin's response bytes so far.
    pub rx: Bytes,
    /// Ghost: the status the gateway sent the browser.
    pub said: Option<u16>,
    /// Ghost: the status of the origin's response, as the gateway read it.
    pub heard: Option<u16>,
}

/// The `Hash` of a node's parts: their small fields (flags, counters, the tags of
/// optional fields) as one string of bytes, a byte each, where the derived `Hash`
/// mixed a word per field (as `Tcb` and `Host` do, `crate::tcp`). Each impl takes its
/// value apart field by field, so that a field added later cannot be left out.
fn option_tag<T>(o: &Option<T>) -> u8 {
    u8::from(o.is_some())
}

/// An optional `u16` as three bytes: its tag and its two bytes.
fn option_u16(o: Option<u16>) -> [u8; 3] {
    let [lo, hi] = o.unwrap_or(0).to_le_bytes();
    [option_tag(&o), lo, hi]
}

impl std::hash::Hash for Browser {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Browser {
            resolver,
            conns,
            cur,
            target,
            method,
            redirects,
            retry_after,
            sent,
            answered,
            awaiting,
            reused,
            retried,
            shown,
            last_status,
            get_failed,
            rx,
            page_len,
            held_body,
            got_continue,
        } = self;
        resolver.hash(h);
        conns.hash(h);
        let [ls, ls_lo, ls_hi] = option_u16(last_status.map(|(s, _)| s));
        h.write(&[
            *cur,
            *redirects,
            u8::from(*retry_after),
            *sent,
            *answered,
            u8::from(*awaiting),
            u8::from(*reused),
            u8::from(*retried),
            u8::from(*get_failed),
            *page_len,
            u8::from(*got_continue),
            ls,
            ls_lo,
            ls_hi,
            last_status.map_or(0, |(_, r)| r),
            option_tag(target),
            option_tag(method),
            option_tag(held_body),
        ]);
        if let Some(t) = target {
            t.hash(h);
        }
        if let Some(m) = method {
            m.hash(h);
        }
        if let Some(b) = held_body {
            b.hash(h);
        }
        shown.hash(h);
        rx.hash(h);
    }
}

impl std::hash::Hash for Origin {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Origin {
            conns,
            posts_applied,
            served,
            answered,
        } = self;
        conns.hash(h);
        let [a, a_lo, a_hi] = option_u16(*answered);
        let (fault, framing, len) = served.map_or((0, 0, 0), |(f, fr, n)| (f as u8, fr as u8, n));
        h.write(&[
            *posts_applied,
            option_tag(served),
            fault,
            framing,
            len,
            a,
            a_lo,
            a_hi,
        ]);
    }
}

impl std::hash::Hash for OriginConn {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let OriginConn {
            tcb,
            idle_closed,
            pending,
            rx,
        } = self;
        tcb.hash(h);
        h.write(&[u8::from(*idle_closed), option_tag(pending)]);
        if let Some(p) = pending {
            p.hash(h);
        }
        rx.hash(h);
    }
}

impl std::hash::Hash for Gateway {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Gateway {
            down,
            up,
            request,
            req_rx,
            rx,
            said,
            heard,
        } = self;
        down.hash(h);
        up.hash(h);
        let [s, s_lo, s_hi] = option_u16(*said);
        let [hd, h_lo, h_hi] = option_u16(*heard);
        h.write(&[option_tag(request), s, s_lo, s_hi, hd, h_lo, h_hi]);
        if let Some(r) = request {
            r.hash(h);
        }
        req_rx.hash(h);
        rx.hash(h);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum NodeState {
    Browser(Browser),
    NameServer,
    Origin(Origin),
    Gateway(Gateway),
    /// The forged datagrams the spoofer has yet to send.
    Spoofer(u8),
}

/// An actor of the page load.
#[derive(Clone, Debug)]
pub struct Node {
    pub role: Role,
    pub cfg: Arc<PageConfig>,
}

fn secs(t: u8) -> Duration {
    Duration::from_secs(t as u64)
}

fn set(o: &mut Out<Node>, t: NodeTimer, lo: u8, hi: u8) {
    o.set_timer(t, secs(lo)..secs(hi));
}

impl Node {
    /// A segment for `t`: SEGMENT ARRIVES, or the RST a CLOSED connection answers
    /// with (§3.10.7.1).
    fn deliver(&self, t: &mut Tcb, seg: &Segment) -> Effects {
        let mut fx = Effects::default();
        if t.state == State::Closed {
            if let Some(r) = crate::tcp::arrive::reset_for(seg, t.inc, self.cfg.tcp.space) {
                fx.send.push(r);
            }
        } else {
            t.arrive(&self.cfg.tcp, seg, &mut fx);
        }
        fx
    }

    /// Sends connection `conn`'s effects to `peer` and returns its signals.
    fn flush(&self, peer: usize, conn: u8, fx: &mut Effects, o: &mut Out<Node>) -> Signals {
        self.flush_timers(peer, conn, conn, fx, o)
    }

    /// [`Node::flush`], with the connection's timers named `timers`.
    fn flush_timers(
        &self,
        peer: usize,
        conn: u8,
        timers: u8,
        fx: &mut Effects,
        o: &mut Out<Node>,
    ) -> Signals {
        for s in fx.send.drain(..) {
            o.send(Id::from(peer), Packet::Tcp(conn, s));
        }
        for t in fx.timers.drain(..) {
            match t {
                TimerCmd::Set(t, lo, hi) => set(o, NodeTimer::Tcp(timers, t), lo, hi),
                TimerCmd::Cancel(t) => o.cancel_timer(NodeTimer::Tcp(timers, t)),
            }
        }
        std::mem::take(&mut fx.signals)
    }
}

impl Actor for Node {
    type Msg = Packet;
    type Timer = NodeTimer;
    type State = NodeState;
    type Random = Pick;
    type Storage = ();

    fn on_start(&self, _id: Id, _s: &Option<()>, o: &mut Out<Self>) -> NodeState {
        match self.role {
            Role::Browser => self.browser_start(o),
            Role::NameServer => NodeState::NameServer,
            Role::Gateway => self.gateway_start(),
            Role::Origin => self.origin_start(),
            Role::Spoofer => self.spoofer_start(o),
        }
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<NodeState>, src: Id, msg: Packet, o: &mut Out<Self>) {
        // `state.as_ref()` first: a datagram nobody takes leaves the state borrowed.
        match (state.as_ref(), msg) {
            (NodeState::NameServer, Packet::Udp(q)) => {
                if let Some(r) = dns::answer(&self.cfg.zone, &q) {
                    o.send(src, Packet::Udp(r));
                }
            }
            (NodeState::Browser(_), Packet::Udp(r)) => {
                if let NodeState::Browser(b) = state.to_mut() {
                    self.browser_udp(b, r, o);
                }
            }
            (NodeState::Browser(_), Packet::Tcp(conn, seg)) => {
                if let NodeState::Browser(b) = state.to_mut() {
                    self.browser_tcp(b, conn, seg, o);
                }
            }
            (NodeState::Origin(_), Packet::Tcp(conn, seg)) => {
                if let NodeState::Origin(s) = state.to_mut() {
                    self.origin_tcp(s, conn, seg, o);
                }
            }
            (NodeState::Gateway(_), Packet::Tcp(_, seg)) => {
                if let NodeState::Gateway(g) = state.to_mut() {
                    self.gateway_tcp(g, src, seg, o);
                }
            }
            _ => {}
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<NodeState>,
        timer: &NodeTimer,
        o: &mut Out<Self>,
    ) {
        match state.to_mut() {
            NodeState::Browser(b) => self.browser_timeout(b, timer, o),
            NodeState::Origin(s) => self.origin_timeout(s, timer, o),
            NodeState::Gateway(g) => self.gateway_timeout(g, timer, o),
            NodeState::NameServer | NodeState::Spoofer(_) => {}
        }
    }

    fn on_random(&self, _id: Id, state: &mut Cow<NodeState>, v: &Pick, o: &mut Out<Self>) {
        let mut fx = Effects::default();
        match (state.to_mut(), v) {
            (NodeState::Browser(b), Pick::Target(t)) => {
                b.target = Some(t.clone());
                self.dns_query(b, o);
            }
            (NodeState::Browser(b), Pick::DnsQuery(id, port)) => self.dns_send(b, *id, *port, o),
            (NodeState::Spoofer(left), Pick::Guess(id, port)) => {
                self.spoofer_forge(left, *id, *port, o)
            }
            // The method of the next request on the persistent connection.
            (NodeState::Browser(b), Pick::Method(m)) => b.method = Some(m.clone()),
            (NodeState::Browser(b), Pick::Isn(n)) => {
                let cur = b.cur;
                b.conns[cur as usize].isn_chosen(&self.cfg.tcp, *n, &mut fx);
                self.browser_signals(b, cur, fx, o);
            }
            // How the origin handles the request it holds.
            (NodeState::Origin(s), Pick::Handling(fault, framing)) => {
                let Some(c) = s.conns.iter().position(|c| c.pending.is_some()) else {
                    return;
                };
                let req = s.conns[c]
                    .pending
                    .take()
                    .unwrap_or_else(|| Payload::from(""));
                self.serve(s, c as u8, &req, *fault, *framing, &mut fx, o);
                self.origin_signals(s, c as u8, fx, o);
            }
            (NodeState::Origin(s), Pick::Isn(n)) => {
                // The connection that waits for its ISS.
                let Some(c) = s.conns.iter().position(|c| c.tcb.pending_syn.is_some()) else {
                    return;
                };
                s.conns[c].tcb.isn_chosen(&self.cfg.tcp, *n, &mut fx);
                self.origin_signals(s, c as u8, fx, o);
            }
            // The browser's connection waits for an ISS on a SYN, or the one to the
            // origin for its active OPEN.
            (NodeState::Gateway(g), Pick::Isn(n)) if g.down.pending_syn.is_some() => {
                g.down.isn_chosen(&self.cfg.tcp, *n, &mut fx);
                self.gateway_down(g, fx, o);
            }
            (NodeState::Gateway(g), Pick::Isn(n)) => {
                g.up.isn_chosen(&self.cfg.tcp, *n, &mut fx);
                self.gateway_up(g, fx, o);
            }
            _ => {}
        }
    }
}

// The checker packs a node's choices by postcard (`crate::wire::flat`); its state
// (`flat`), packets and timers by hand.
crate::flat_by_postcard!(Pick);

/// A TCP segment as a 0, its connection and the segment; a datagram as a 1 and its
/// postcard encoding.
impl crate::wire::flat::Flat for Packet {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Packet::Tcp(c, seg) => {
                out.extend_from_slice(&[0, *c]);
                seg.put(out);
            }
            Packet::Udp(d) => {
                out.push(1);
                crate::wire::flat::postcard_put(d, out);
            }
        }
    }
    fn take(inp: &mut &[u8]) -> Option<Packet> {
        let [tag] = crate::wire::flat::take_bytes(inp)?;
        match tag {
            0 => {
                let [c] = crate::wire::flat::take_bytes(inp)?;
                Some(Packet::Tcp(c, Segment::take(inp)?))
            }
            1 => Some(Packet::Udp(crate::wire::flat::postcard_take(inp)?)),
            _ => None,
        }
    }
}

/// A tag, and the connection and the TCP timer's code when it has them.
impl crate::wire::flat::Flat for NodeTimer {
    const CANONICAL: bool = true;
    fn put(&self, out: &mut Vec<u8>) {
        use crate::tcp::flat::tcp_timer_code;
        match *self {
            NodeTimer::Tcp(c, t) => out.extend_from_slice(&[0, c, tcp_timer_code(t)]),
            NodeTimer::DnsRetry => out.push(1),
            NodeTimer::Deadline => out.push(2),
            NodeTimer::Next => out.push(3),
            NodeTimer::Idle(c) => out.extend_from_slice(&[4, c]),
            NodeTimer::Continue => out.push(5),
        }
    }
    fn take(inp: &mut &[u8]) -> Option<NodeTimer> {
        use crate::tcp::flat::TCP_TIMERS;
        use crate::wire::flat::take_bytes;
        let [tag] = take_bytes(inp)?;
        Some(match tag {
            0 => {
                let [c, t] = take_bytes(inp)?;
                NodeTimer::Tcp(c, *TCP_TIMERS.get(usize::from(t))?)
            }
            1 => NodeTimer::DnsRetry,
            2 => NodeTimer::Deadline,
            3 => NodeTimer::Next,
            4 => NodeTimer::Idle(take_bytes::<1>(inp)?[0]),
            5 => NodeTimer::Continue,
            _ => return None,
        })
    }
}
