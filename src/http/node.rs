//! The actors of a page load: the browser (stub resolver, TCP client, HTTP client), the
//! name server, and the origin server (TCP server, HTTP server). HTTP runs over the
//! same RFC 9293 [`Tcb`] as the TCP scenarios, on the same timed wire.

use super::message::{class_of, parse_head, parse_request, progress, Framing, Head};
use super::message::{ParsedResponse, Progress};
use super::message::{Request, Response};
use crate::dns::{self, Dns, Resolver};
use crate::tcp::tcb::TimerCmd;
use crate::tcp::{Effects, Payload, Segment, Signal, State, Tcb, TcpConfig, TcpTimer};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What travels on the wire: TCP segments (with the browser's connection, i.e. its
/// source port) and UDP datagrams.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shown {
    /// The page, rendered from a response with this status.
    Page(u16),
    /// An error page for an HTTP status (4xx, 5xx), with Retry-After if any.
    Status(u16, Option<String>),
    DnsFailed,
    NoSuchHost,
    ConnectionFailed,
    Timeout,
    RedirectLoop,
    TooManyRedirects,
    BadResponse,
    /// The connection ended before the whole response arrived (RFC 9112 §8).
    Incomplete,
}

/// What the browser shows, in words: `error page 503 Service Unavailable (Retry-After:
/// 120)`, `redirect loop`, `connection failed`.
impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shown::Page(s) => write!(f, "the page ({s} {})", super::message::reason(*s)),
            Shown::Status(s, None) => write!(f, "error page {s} {}", super::message::reason(*s)),
            Shown::Status(s, Some(ra)) => write!(
                f,
                "error page {s} {} (Retry-After: {ra})",
                super::message::reason(*s)
            ),
            Shown::DnsFailed => f.write_str("DNS failure"),
            Shown::NoSuchHost => f.write_str("no such host"),
            Shown::ConnectionFailed => f.write_str("connection failed"),
            Shown::Timeout => f.write_str("timeout"),
            Shown::RedirectLoop => f.write_str("redirect loop"),
            Shown::TooManyRedirects => f.write_str("too many redirects"),
            Shown::BadResponse => f.write_str("bad response"),
            Shown::Incomplete => f.write_str("incomplete response"),
        }
    }
}

/// One origin route: method (None: any), path, status, extra headers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    pub method: Option<String>,
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

/// When the browser sends a request again after its reused connection failed before
/// any byte of the response arrived (RFC 9112 §9.3.1.1; Go's `shouldRetryRequest`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Retry {
    Always,
    Never,
    /// Only idempotent methods (RFC 9110 §9.2.2).
    Idempotent,
}

/// A second request on the persistent connection, racing the origin's idle close.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// The knobs of a page load.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
    pub max_redirects: u8,
    pub zone: Vec<(String, [u8; 4])>,
    pub routes: Vec<Route>,
    pub keepalive: Option<KeepAlive>,
    /// The framings the origin may use, one per request.
    pub framings: Vec<Framing>,
    /// Segments per response (1 or 2).
    pub chunks: u8,
    /// What the origin may do with a request; `Answers` first.
    pub faults: Vec<OriginFault>,
    /// A gateway sits between the browser and the origin, with this upstream timeout.
    pub gateway: Option<u8>,
    /// A POST asks for 100 Continue before its body, waiting at most this many ticks.
    pub expect_continue: Option<u8>,
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
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pick {
    /// An initial sequence number.
    Isn(u8),
    /// The link the user clicks.
    Target(Arc<str>),
    /// The method of the next request on the persistent connection.
    Method(Arc<str>),
    /// How the origin handles a request.
    Handling(OriginFault, Framing),
}

impl fmt::Debug for Pick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pick::Isn(n) => write!(f, "{n}"),
            Pick::Target(t) | Pick::Method(t) => write!(f, "{t}"),
            Pick::Handling(fault, framing) => {
                let framing = match framing {
                    Framing::ContentLength => "Content-Length",
                    Framing::Close => "close-delimited",
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
}

/// The browser's progress.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Browser {
    pub resolver: Resolver,
    /// Its connections to the origin (a retry opens a new one, from a new port).
    pub conns: Vec<Tcb>,
    /// The connection in use.
    pub cur: u8,
    /// The request target now being fetched.
    pub target: Option<Arc<str>>,
    /// The method now being used.
    pub method: Option<Arc<str>>,
    /// Targets fetched so far (for redirect loops).
    pub visited: Vec<Arc<str>>,
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
    pub rx: Vec<u8>,
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub conns: Vec<OriginConn>,
    /// Ghost: POST requests applied.
    pub posts_applied: u8,
    /// Ghost: what the origin did with the last request, its framing, and the length
    /// of the body it meant to send.
    pub served: Option<(OriginFault, Framing, u8)>,
    /// Ghost: the status of the last response the origin sent whole.
    pub answered: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OriginConn {
    pub tcb: Tcb,
    /// The origin closed it as idle.
    pub idle_closed: bool,
    /// A request whose handling the checker is about to choose.
    pub pending: Option<Payload>,
    /// The bytes of a request not yet whole (a head waiting for its body).
    pub rx: Vec<u8>,
}

/// A reverse proxy: a TCP server for the browser, a TCP client of the origin
/// (RFC 9110 §3.7). It answers 502 when the origin resets, closes or answers with an
/// invalid response, and 504 when the origin does not answer in time (§15.6.3, §15.6.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Gateway {
    /// The connection from the browser.
    pub down: Tcb,
    /// The connection to the origin.
    pub up: Tcb,
    /// The request to forward.
    pub request: Option<Payload>,
    /// The origin's response bytes so far.
    pub rx: Vec<u8>,
    /// Ghost: the status the gateway sent the browser.
    pub said: Option<u16>,
    /// Ghost: the status of the origin's response, as the gateway read it.
    pub heard: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    Browser(Browser),
    NameServer,
    Origin(Origin),
    Gateway(Gateway),
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
    /// Sends connection `conn`'s effects to `peer` and returns its signals.
    fn flush(&self, peer: usize, conn: u8, fx: &mut Effects, o: &mut Out<Node>) -> Vec<Signal> {
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
    ) -> Vec<Signal> {
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

    fn request(&self, method: &str, target: &str) -> Payload {
        Arc::from(self.request_bytes(method, target).into_boxed_slice())
    }

    fn request_bytes(&self, method: &str, target: &str) -> Vec<u8> {
        let c = &self.cfg;
        let host = if c.port == 80 {
            c.host.to_string()
        } else {
            format!("{}:{}", c.host, c.port)
        };
        let r = Request {
            method: method.to_string(),
            target: target.to_string(),
            host: c.send_host.then_some(host),
            headers: if method == "POST" && c.expect_continue.is_some() {
                vec![
                    ("User-Agent".into(), c.user_agent.clone()),
                    ("Expect".into(), "100-continue".into()),
                ]
            } else {
                vec![("User-Agent".into(), c.user_agent.clone())]
            },
            body: if method == "POST" {
                b"order=1".to_vec()
            } else {
                Vec::new()
            },
        };
        r.to_bytes()
    }

    /// The browser sends its current request on its current connection.
    fn send_request(&self, b: &mut Browser, reused: bool, fx: &mut Effects, o: &mut Out<Node>) {
        let (Some(t), Some(m)) = (b.target.clone(), b.method.clone()) else {
            return;
        };
        let mut req = self.request(&m, &t);
        // Expect: 100-continue (RFC 9110 §10.1.1): the head now, the body later.
        if let (Some(wait), "POST") = (self.cfg.expect_continue, &*m) {
            let bytes = self.request_bytes(&m, &t);
            let cut = bytes
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(bytes.len(), |i| i + 4);
            req = Arc::from(bytes[..cut].to_vec().into_boxed_slice());
            b.held_body = Some(Arc::from(bytes[cut..].to_vec().into_boxed_slice()));
            set(o, NodeTimer::Continue, wait, wait);
        }
        let cur = b.cur as usize;
        if b.conns[cur].send(&self.cfg.tcp, req, fx) {
            b.sent += 1;
            b.awaiting = true;
            b.reused = reused;
        }
        if let Some(d) = self.cfg.deadline {
            set(o, NodeTimer::Deadline, d, d);
        }
    }

    /// The browser opens a new connection (a new source port) and will send its
    /// current request on it.
    fn new_connection(&self, b: &mut Browser, o: &mut Out<Node>) {
        b.conns.push(Tcb::closed());
        b.cur = (b.conns.len() - 1) as u8;
        let cur = b.cur as usize;
        let mut fx = Effects::default();
        b.conns[cur].open_active(1, &mut fx);
        self.browser_signals(b, b.cur, fx, o);
    }

    /// The browser shows `what` and closes its connection.
    fn show(&self, b: &mut Browser, what: Shown, fx: &mut Effects, o: &mut Out<Node>) {
        if b.shown.is_none() {
            b.shown = Some(what);
        }
        b.awaiting = false;
        o.cancel_timer(NodeTimer::Deadline);
        o.cancel_timer(NodeTimer::Next);
        let t = &mut b.conns[b.cur as usize];
        if matches!(
            t.state,
            State::Established | State::CloseWait | State::SynReceived
        ) {
            t.close(&self.cfg.tcp, fx);
        } else if t.state == State::SynSent {
            t.abort(fx);
        }
    }

    // ANCHOR: request_failed
    /// The browser's request failed before any response byte: retry or give up.
    fn request_failed(&self, b: &mut Browser, fx: &mut Effects, o: &mut Out<Node>) {
        let idempotent = b
            .method
            .as_deref()
            .is_some_and(|m| matches!(m, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS"));
        let policy = self
            .cfg
            .keepalive
            .as_ref()
            .map_or(Retry::Never, |k| k.retry);
        let retry = b.reused
            && !b.retried
            && match policy {
                Retry::Always => true,
                Retry::Never => false,
                Retry::Idempotent => idempotent,
            };
        b.awaiting = false;
        // The failed connection: close our side of it.
        let old = b.cur as usize;
        if b.conns[old].state == State::CloseWait {
            b.conns[old].close(&self.cfg.tcp, fx);
        }
        if retry {
            b.retried = true;
            o.cancel_timer(NodeTimer::Deadline);
            self.new_connection(b, o);
        } else {
            if b.method.as_deref() == Some("GET") {
                b.get_failed = true;
            }
            self.show(b, Shown::ConnectionFailed, fx, o);
        }
    }
    // ANCHOR_END: request_failed

    /// The browser reacts to the signals of connection `conn`.
    fn browser_signals(&self, b: &mut Browser, conn: u8, mut fx: Effects, o: &mut Out<Node>) {
        loop {
            let c = conn as usize;
            let signals = self.flush(ORIGIN, conn, &mut fx, o);
            if signals.is_empty() {
                return;
            }
            for s in signals {
                if conn != b.cur {
                    // An old connection: only finish closing it.
                    if let Signal::PeerClosed(_) = s {
                        b.conns[c].close(&self.cfg.tcp, &mut fx);
                    }
                    continue;
                }
                match s {
                    Signal::NeedIsn => o.choose_random("isn", isns(&self.cfg)),
                    Signal::Established => self.send_request(b, false, &mut fx, o),
                    Signal::Data(bytes, _) => self.browser_data(b, &bytes, false, &mut fx, o),
                    // A close-delimited body ends here (RFC 9112 §6.3 rule 8); any other
                    // response that has begun is incomplete.
                    Signal::PeerClosed(_) if b.awaiting && !b.rx.is_empty() => {
                        self.browser_data(b, &[], true, &mut fx, o)
                    }
                    Signal::PeerClosed(_) => {
                        if b.awaiting {
                            self.request_failed(b, &mut fx, o);
                        } else {
                            b.conns[c].close(&self.cfg.tcp, &mut fx);
                            if b.shown.is_none() && self.cfg.keepalive.is_none() {
                                b.shown = Some(Shown::ConnectionFailed);
                            }
                        }
                    }
                    // A reset after part of the response: what arrived may not be all
                    // the server sent, so it is not a response (RFC 9112 §8).
                    Signal::Closed(_) if b.awaiting && !b.rx.is_empty() => {
                        self.show(b, Shown::Incomplete, &mut fx, o)
                    }
                    Signal::Closed(_) => {
                        if b.awaiting {
                            self.request_failed(b, &mut fx, o);
                        } else if b.shown.is_none() && self.cfg.keepalive.is_none() {
                            b.shown = Some(Shown::ConnectionFailed);
                            o.cancel_timer(NodeTimer::Deadline);
                        }
                    }
                }
            }
        }
    }

    /// Response bytes arrived, or (`eof`) the server closed the connection.
    fn browser_data(
        &self,
        b: &mut Browser,
        bytes: &[u8],
        eof: bool,
        fx: &mut Effects,
        o: &mut Out<Node>,
    ) {
        if b.shown.is_some() || !b.awaiting {
            return;
        }
        b.rx.extend_from_slice(bytes);
        // 100 Continue: the server wants the body (RFC 9110 §15.2.1).
        if let Head::Complete(r) = parse_head(&b.rx) {
            if r.status == 100 {
                b.rx.drain(..r.head_len);
                b.got_continue = true;
                self.send_held_body(b, fx, o);
            }
        }
        match progress(&b.rx, eof) {
            Progress::Wait => {}
            Progress::Invalid => self.show(b, Shown::BadResponse, fx, o),
            Progress::Incomplete => self.show(b, Shown::Incomplete, fx, o),
            Progress::Done(r, len) => {
                b.rx.clear();
                b.page_len = len.min(255) as u8;
                self.browser_response(b, r, fx, o)
            }
        }
    }

    // ANCHOR: browser_response
    /// The browser sends the body it held back for 100 Continue.
    fn send_held_body(&self, b: &mut Browser, fx: &mut Effects, o: &mut Out<Node>) {
        if let Some(body) = b.held_body.take() {
            o.cancel_timer(NodeTimer::Continue);
            let cur = b.cur as usize;
            b.conns[cur].send(&self.cfg.tcp, body, fx);
        }
    }

    /// A whole final response arrived.
    fn browser_response(
        &self,
        b: &mut Browser,
        r: ParsedResponse,
        fx: &mut Effects,
        o: &mut Out<Node>,
    ) {
        b.awaiting = false;
        // A final response before 100 Continue: the body is not sent (§10.1.1).
        if b.held_body.take().is_some() {
            o.cancel_timer(NodeTimer::Continue);
        }
        b.answered += 1;
        b.last_status = Some((r.status, b.sent));
        o.cancel_timer(NodeTimer::Deadline);
        match class_of(r.status) {
            200 => match &self.cfg.keepalive {
                // The first page of a persistent connection: the user asks for the next.
                Some(k) if b.answered == 1 => {
                    b.target = Some(Arc::from(k.target.as_str()));
                    o.choose_random(
                        "method",
                        k.methods
                            .iter()
                            .map(|m| Pick::Method(Arc::from(m.as_str())))
                            .collect(),
                    );
                    set(o, NodeTimer::Next, 0, k.think);
                }
                _ => self.show(b, Shown::Page(r.status), fx, o),
            },
            300 => match r.location {
                Some(loc) if b.visited.iter().any(|v| **v == *loc) => {
                    self.show(b, Shown::RedirectLoop, fx, o)
                }
                Some(_) if b.visited.len() > self.cfg.max_redirects as usize => {
                    self.show(b, Shown::TooManyRedirects, fx, o)
                }
                // Follow Location on the same persistent connection.
                Some(loc) => {
                    let loc: Arc<str> = Arc::from(loc.as_str());
                    b.visited.push(loc.clone());
                    b.target = Some(loc);
                    self.send_request(b, true, fx, o);
                }
                None => self.show(b, Shown::BadResponse, fx, o),
            },
            400 | 500 => self.show(b, Shown::Status(r.status, r.retry_after), fx, o),
            _ => self.show(b, Shown::BadResponse, fx, o),
        }
    }
    // ANCHOR_END: browser_response

    // ANCHOR: route
    /// The origin's answer to one request, and whether it applied a POST.
    fn route(&self, bytes: &[u8]) -> (Response, bool) {
        let c = &self.cfg;
        let Some(req) = parse_request(bytes) else {
            return (Response::new(400, Vec::new(), "bad request"), false);
        };
        // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to
        // any HTTP/1.1 request message that lacks a Host header field".
        if req.host.is_none() {
            return (Response::new(400, Vec::new(), "no Host"), false);
        }
        let on_path: Vec<&Route> = c.routes.iter().filter(|r| r.path == req.path).collect();
        if on_path.is_empty() {
            return (Response::new(404, Vec::new(), "not found"), false);
        }
        match on_path
            .iter()
            .find(|r| r.method.as_deref().is_none_or(|m| m == req.method))
        {
            Some(r) => (
                Response::new(r.status, r.headers.clone(), &format!("{} body", r.path)),
                req.method == "POST" && class_of(r.status) == 200,
            ),
            // 405 with Allow (RFC 9110 §15.5.6).
            None => {
                let allow: Vec<String> = on_path.iter().filter_map(|r| r.method.clone()).collect();
                (
                    Response::new(405, vec![("Allow".into(), allow.join(", "))], ""),
                    false,
                )
            }
        }
    }
    // ANCHOR_END: route

    // ANCHOR: serve
    /// The origin handles one request on connection `conn`, as `fault` and `framing`
    /// say.
    #[allow(clippy::too_many_arguments)]
    fn serve(
        &self,
        s: &mut Origin,
        conn: u8,
        req: &[u8],
        fault: OriginFault,
        framing: Framing,
        fx: &mut Effects,
        o: &mut Out<Node>,
    ) {
        let cfg = &self.cfg.tcp;
        let (mut resp, post) = self.route(req);
        resp.framing = framing;
        s.served = Some((fault, framing, resp.body.len().min(255) as u8));
        // A request that arrives after the idle close never reaches the handler (see
        // the Idle timer), so only a request read on an open connection is applied.
        if post && matches!(fault, OriginFault::Answers | OriginFault::ApplyThenCrash) {
            s.posts_applied = s.posts_applied.saturating_add(1).min(3);
        }
        let bytes = resp.to_bytes();
        // Two chunks: the head with the first half of the body, then the rest.
        let cut = if self.cfg.chunks == 2 {
            bytes.len() - (resp.body.len() - resp.body.len() / 2)
        } else {
            bytes.len()
        };
        let chunk = |b: &[u8]| -> Payload { Arc::from(b.to_vec().into_boxed_slice()) };
        let tcb = &mut s.conns[conn as usize].tcb;
        match fault {
            OriginFault::Answers => {
                let mut sent = tcb.send(cfg, chunk(&bytes[..cut]), fx);
                if cut < bytes.len() {
                    sent &= tcb.send(cfg, chunk(&bytes[cut..]), fx);
                }
                if sent {
                    s.answered = Some(resp.status);
                }
                if framing == Framing::Close {
                    tcb.close(cfg, fx);
                }
                if let (true, Some(k)) = (sent, &self.cfg.keepalive) {
                    set(o, NodeTimer::Idle(conn), k.idle, k.idle);
                }
            }
            OriginFault::Crash | OriginFault::Reset => {
                if cut < bytes.len() {
                    tcb.send(cfg, chunk(&bytes[..cut]), fx);
                }
                if fault == OriginFault::Crash {
                    tcb.close(cfg, fx);
                } else {
                    tcb.abort(fx);
                }
            }
            OriginFault::Invalid => {
                tcb.send(cfg, chunk(b"HTTP/1.1 2x0 Oops\r\n\r\n"), fx);
                tcb.close(cfg, fx);
            }
            OriginFault::Silent => {}
            OriginFault::ApplyThenCrash => tcb.close(cfg, fx),
        }
    }
    // ANCHOR_END: serve

    /// Adds `bytes` to the request being read on `c`: the whole request, once it is.
    fn take_request(&self, c: &mut OriginConn, bytes: Payload) -> Option<Payload> {
        if c.rx.is_empty() && super::message::request_complete(&bytes) {
            return Some(bytes);
        }
        c.rx.extend_from_slice(&bytes);
        if !super::message::request_complete(&c.rx) {
            return None;
        }
        Some(Arc::from(std::mem::take(&mut c.rx).into_boxed_slice()))
    }

    fn origin_signals(&self, s: &mut Origin, conn: u8, mut fx: Effects, o: &mut Out<Node>) {
        let c = conn as usize;
        let idle = self.cfg.keepalive.as_ref().map(|k| k.idle);
        loop {
            let signals = self.flush(self.cfg.origin_peer(), conn, &mut fx, o);
            if signals.is_empty() {
                return;
            }
            for sig in signals {
                match sig {
                    Signal::NeedIsn => o.choose_random(format!("isn{conn}"), isns(&self.cfg)),
                    Signal::Established => {
                        if let Some(i) = idle {
                            set(o, NodeTimer::Idle(conn), i, i);
                        }
                    }
                    Signal::Data(bytes, _) => {
                        // A head that announces a body still to come: wait for it, and
                        // ask for it with 100 Continue if the head expects that.
                        let Some(req) = self.take_request(&mut s.conns[c], bytes) else {
                            if super::message::expects_continue(&s.conns[c].rx) {
                                let go = Response::interim(100);
                                s.conns[c].tcb.send(&self.cfg.tcp, go, &mut fx);
                            }
                            continue;
                        };
                        if self.cfg.modes() > 1 {
                            // The checker chooses how the origin handles it.
                            s.conns[c].pending = Some(req);
                            o.choose_random(
                                "handling",
                                self.cfg
                                    .faults
                                    .iter()
                                    .flat_map(|&f| {
                                        self.cfg.framings.iter().map(move |&g| Pick::Handling(f, g))
                                    })
                                    .collect(),
                            );
                        } else {
                            let framing = self.cfg.framings[0];
                            let a = OriginFault::Answers;
                            self.serve(s, conn, &req, a, framing, &mut fx, o);
                        }
                    }
                    // The browser closed: close our side too (persistent connection).
                    Signal::PeerClosed(_) => {
                        o.cancel_timer(NodeTimer::Idle(conn));
                        s.conns[c].tcb.close(&self.cfg.tcp, &mut fx);
                    }
                    Signal::Closed(_) => {
                        o.cancel_timer(NodeTimer::Idle(conn));
                        if self.cfg.keepalive.is_none() {
                            s.conns[c].tcb.open_passive();
                        }
                    }
                }
            }
        }
    }
}

/// The gateway's answers of its own.
fn gateway_error(status: u16) -> Payload {
    let body = match status {
        502 => "the origin failed",
        _ => "the origin did not answer in time",
    };
    Arc::from(
        Response::new(status, Vec::new(), body)
            .to_bytes()
            .into_boxed_slice(),
    )
}

impl Node {
    /// The gateway reacts to the signals of the browser's connection.
    fn gateway_down(&self, g: &mut Gateway, mut fx: Effects, o: &mut Out<Node>) {
        loop {
            let signals = self.flush(BROWSER, 0, &mut fx, o);
            if signals.is_empty() {
                return;
            }
            for sig in signals {
                match sig {
                    Signal::NeedIsn => o.choose_random("isn", isns(&self.cfg)),
                    // The request: forward it on a new connection to the origin.
                    Signal::Data(bytes, _) if g.request.is_none() => {
                        g.request = Some(bytes);
                        let mut up = Effects::default();
                        g.up.open_active(1, &mut up);
                        self.gateway_up(g, up, o);
                        let t = self.cfg.gateway.unwrap_or(1);
                        set(o, NodeTimer::Deadline, t, t);
                    }
                    Signal::PeerClosed(_) => g.down.close(&self.cfg.tcp, &mut fx),
                    Signal::Established | Signal::Data(..) | Signal::Closed(_) => {}
                }
            }
        }
    }

    /// The gateway reacts to the signals of its connection to the origin (whose
    /// timers are named connection 1).
    fn gateway_up(&self, g: &mut Gateway, mut fx: Effects, o: &mut Out<Node>) {
        loop {
            let signals = self.flush_timers(UPSTREAM, 0, 1, &mut fx, o);
            if signals.is_empty() {
                return;
            }
            for sig in signals {
                match sig {
                    Signal::NeedIsn => o.choose_random("isn", isns(&self.cfg)),
                    Signal::Established => {
                        if let Some(r) = g.request.clone() {
                            g.up.send(&self.cfg.tcp, r, &mut fx);
                        }
                    }
                    Signal::Data(bytes, _) => {
                        g.rx.extend_from_slice(&bytes);
                        self.gateway_progress(g, false, &mut fx, o);
                    }
                    Signal::PeerClosed(_) => {
                        self.gateway_progress(g, true, &mut fx, o);
                        g.up.close(&self.cfg.tcp, &mut fx);
                    }
                    // A reset, or the origin's segments went unacknowledged.
                    Signal::Closed(_) => self.gateway_answer(g, 502, gateway_error(502), o),
                }
            }
        }
    }

    /// The gateway reads the origin's response so far.
    fn gateway_progress(&self, g: &mut Gateway, eof: bool, up: &mut Effects, o: &mut Out<Node>) {
        if g.said.is_some() {
            return;
        }
        match progress(&g.rx, eof) {
            Progress::Wait => {}
            Progress::Invalid | Progress::Incomplete => {
                self.gateway_answer(g, 502, gateway_error(502), o);
                g.up.abort(up);
            }
            Progress::Done(r, len) => {
                g.heard = Some(r.status);
                // Forward the response, framed by Content-Length: the gateway closes
                // the browser's connection after it.
                let body = String::from_utf8_lossy(&g.rx[g.rx.len() - len..]);
                let bytes = Response::new(r.status, Vec::new(), &body).to_bytes();
                self.gateway_answer(g, r.status, Arc::from(bytes.into_boxed_slice()), o);
                g.up.close(&self.cfg.tcp, up);
            }
        }
    }

    /// The gateway answers the browser (once) and closes its connection.
    fn gateway_answer(&self, g: &mut Gateway, status: u16, bytes: Payload, o: &mut Out<Node>) {
        if g.said.is_some() {
            return;
        }
        g.said = Some(status);
        o.cancel_timer(NodeTimer::Deadline);
        let mut fx = Effects::default();
        g.down.send(&self.cfg.tcp, bytes, &mut fx);
        g.down.close(&self.cfg.tcp, &mut fx);
        self.gateway_down(g, fx, o);
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
            Role::Browser => {
                let mut b = Browser {
                    resolver: Resolver::new(),
                    conns: vec![Tcb::closed()],
                    cur: 0,
                    target: None,
                    method: Some(Arc::from(self.cfg.method.as_str())),
                    visited: Vec::new(),
                    sent: 0,
                    answered: 0,
                    awaiting: false,
                    reused: false,
                    retried: false,
                    shown: None,
                    last_status: None,
                    get_failed: false,
                    rx: Vec::new(),
                    page_len: 0,
                    held_body: None,
                    got_continue: false,
                };
                if self.cfg.targets.len() > 1 {
                    // The user may click any of the links.
                    o.choose_random(
                        "target",
                        self.cfg
                            .targets
                            .iter()
                            .map(|t| Pick::Target(Arc::from(t.as_str())))
                            .collect(),
                    );
                } else {
                    let t: Arc<str> = Arc::from(self.cfg.targets[0].as_str());
                    b.visited.push(t.clone());
                    b.target = Some(t);
                    let q = b.resolver.query(&self.cfg.host);
                    o.send(Id::from(NAME_SERVER), Packet::Udp(q));
                    set(o, NodeTimer::DnsRetry, self.cfg.dns_rto, self.cfg.dns_rto);
                }
                NodeState::Browser(b)
            }
            Role::NameServer => NodeState::NameServer,
            Role::Gateway => {
                let mut down = Tcb::closed();
                down.open_passive();
                NodeState::Gateway(Gateway {
                    down,
                    up: Tcb::closed(),
                    request: None,
                    rx: Vec::new(),
                    said: None,
                    heard: None,
                })
            }
            Role::Origin => {
                let n = if self.cfg.keepalive.is_some() { 2 } else { 1 };
                let conns = (0..n)
                    .map(|_| {
                        let mut tcb = Tcb::closed();
                        tcb.open_passive();
                        OriginConn {
                            tcb,
                            idle_closed: false,
                            pending: None,
                            rx: Vec::new(),
                        }
                    })
                    .collect();
                NodeState::Origin(Origin {
                    conns,
                    posts_applied: 0,
                    served: None,
                    answered: None,
                })
            }
        }
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<NodeState>, src: Id, msg: Packet, o: &mut Out<Self>) {
        match (state.as_ref(), msg) {
            (NodeState::NameServer, Packet::Udp(q)) => {
                if let Some(r) = dns::answer(&self.cfg.zone, &q) {
                    o.send(src, Packet::Udp(r));
                }
            }
            (NodeState::Browser(_), Packet::Udp(r)) => {
                let NodeState::Browser(b) = state.to_mut() else {
                    return;
                };
                if !b.resolver.reply(&self.cfg.host, &r) {
                    return; // a late or foreign reply
                }
                o.cancel_timer(NodeTimer::DnsRetry);
                let mut fx = Effects::default();
                match b.resolver.answer {
                    Some(Some(_)) => b.conns[0].open_active(1, &mut fx),
                    _ => b.shown = Some(Shown::NoSuchHost),
                }
                self.browser_signals(b, 0, fx, o);
            }
            (NodeState::Browser(_), Packet::Tcp(conn, seg)) => {
                let NodeState::Browser(b) = state.to_mut() else {
                    return;
                };
                let Some(t) = b.conns.get_mut(conn as usize) else {
                    return;
                };
                let mut fx = Effects::default();
                if t.state == State::Closed {
                    if let Some(r) = crate::tcp::arrive::reset_for(&seg, t.inc, self.cfg.tcp.space)
                    {
                        fx.send.push(r);
                    }
                } else {
                    t.arrive(&self.cfg.tcp, &seg, &mut fx);
                }
                self.browser_signals(b, conn, fx, o);
            }
            (NodeState::Origin(_), Packet::Tcp(conn, seg)) => {
                let NodeState::Origin(s) = state.to_mut() else {
                    return;
                };
                let Some(c) = s.conns.get_mut(conn as usize) else {
                    return;
                };
                if c.tcb.pending_syn.is_some() {
                    return;
                }
                let mut fx = Effects::default();
                if c.tcb.state == State::Closed {
                    if let Some(r) =
                        crate::tcp::arrive::reset_for(&seg, c.tcb.inc, self.cfg.tcp.space)
                    {
                        fx.send.push(r);
                    }
                } else {
                    c.tcb.arrive(&self.cfg.tcp, &seg, &mut fx);
                }
                self.origin_signals(s, conn, fx, o);
            }
            (NodeState::Gateway(_), Packet::Tcp(_, seg)) => {
                let NodeState::Gateway(g) = state.to_mut() else {
                    return;
                };
                let from_browser = src == Id::from(BROWSER);
                let t = if from_browser { &mut g.down } else { &mut g.up };
                if t.pending_syn.is_some() {
                    return;
                }
                let mut fx = Effects::default();
                if t.state == State::Closed {
                    if let Some(r) = crate::tcp::arrive::reset_for(&seg, t.inc, self.cfg.tcp.space)
                    {
                        fx.send.push(r);
                    }
                } else {
                    t.arrive(&self.cfg.tcp, &seg, &mut fx);
                }
                if from_browser {
                    self.gateway_down(g, fx, o);
                } else {
                    self.gateway_up(g, fx, o);
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
        let mut fx = Effects::default();
        match state.to_mut() {
            NodeState::Browser(b) => {
                let mut conn = b.cur;
                match timer {
                    NodeTimer::Tcp(c, t) => {
                        conn = *c;
                        if let Some(tcb) = b.conns.get_mut(*c as usize) {
                            tcb.timeout(&self.cfg.tcp, *t, &mut fx);
                        }
                    }
                    NodeTimer::DnsRetry => {
                        if b.resolver.answer.is_none() {
                            if b.resolver.tries < self.cfg.dns_tries {
                                let q = b.resolver.query(&self.cfg.host);
                                o.send(Id::from(NAME_SERVER), Packet::Udp(q));
                                set(o, NodeTimer::DnsRetry, self.cfg.dns_rto, self.cfg.dns_rto);
                            } else {
                                b.shown = Some(Shown::DnsFailed);
                            }
                        }
                    }
                    NodeTimer::Deadline => {
                        if b.shown.is_none() {
                            b.shown = Some(Shown::Timeout);
                            if b.method.as_deref() == Some("GET") {
                                b.get_failed = true;
                            }
                            b.awaiting = false;
                            let cur = b.cur as usize;
                            b.conns[cur].abort(&mut fx);
                        }
                    }
                    // The user asks for the next page: reuse the connection if it is
                    // still open as far as the browser knows, else open a new one.
                    NodeTimer::Next => {
                        if b.shown.is_none() && !b.awaiting {
                            if b.tcb().state == State::Established {
                                self.send_request(b, true, &mut fx, o);
                            } else {
                                self.new_connection(b, o);
                            }
                        }
                    }
                    NodeTimer::Continue => self.send_held_body(b, &mut fx, o),
                    NodeTimer::Idle(_) => {}
                }
                self.browser_signals(b, conn, fx, o);
            }
            NodeState::Origin(s) => {
                let conn = match timer {
                    NodeTimer::Tcp(c, t) => {
                        if let Some(x) = s.conns.get_mut(*c as usize) {
                            x.tcb.timeout(&self.cfg.tcp, *t, &mut fx);
                        }
                        *c
                    }
                    // RFC 9112 §9.5: a server may close an idle persistent connection.
                    // It calls close(), not shutdown(): a request that arrives
                    // afterwards is never read. Linux answers it with a RST
                    // (`tcp_rcv_state_process`, TCPABORTONDATA); nginx's lingering
                    // close reads and discards it. Either way the handler never runs.
                    NodeTimer::Idle(c) => {
                        if let Some(x) = s.conns.get_mut(*c as usize) {
                            if x.tcb.state == State::Established {
                                x.idle_closed = true;
                                x.tcb.rcv_shut = true;
                                x.tcb.close(&self.cfg.tcp, &mut fx);
                            }
                        }
                        *c
                    }
                    _ => 0,
                };
                self.origin_signals(s, conn, fx, o);
            }
            NodeState::Gateway(g) => match timer {
                NodeTimer::Tcp(0, t) => {
                    g.down.timeout(&self.cfg.tcp, *t, &mut fx);
                    self.gateway_down(g, fx, o);
                }
                NodeTimer::Tcp(_, t) => {
                    g.up.timeout(&self.cfg.tcp, *t, &mut fx);
                    self.gateway_up(g, fx, o);
                }
                // The origin did not answer in time: 504, and give up on it.
                NodeTimer::Deadline => {
                    if g.said.is_none() {
                        self.gateway_answer(g, 504, gateway_error(504), o);
                        g.up.abort(&mut fx);
                        self.gateway_up(g, fx, o);
                    }
                }
                _ => {}
            },
            NodeState::NameServer => {}
        }
    }

    fn on_random(&self, _id: Id, state: &mut Cow<NodeState>, v: &Pick, o: &mut Out<Self>) {
        let mut fx = Effects::default();
        match (state.to_mut(), v) {
            (NodeState::Browser(b), Pick::Target(t)) => {
                b.visited.push(t.clone());
                b.target = Some(t.clone());
                let q = b.resolver.query(&self.cfg.host);
                o.send(Id::from(NAME_SERVER), Packet::Udp(q));
                set(o, NodeTimer::DnsRetry, self.cfg.dns_rto, self.cfg.dns_rto);
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
                let req = s.conns[c].pending.take().unwrap_or_else(|| Arc::from([]));
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
