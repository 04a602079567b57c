//! The actors of a page load: the browser (stub resolver, TCP client, HTTP client), the
//! name server, and the origin server (TCP server, HTTP server). HTTP runs over the
//! same RFC 9293 [`Tcb`] as the TCP scenarios, on the same timed wire.

use super::message::{class_of, parse_request, parse_response, Request, Response};
use crate::dns::{self, Dns, Resolver};
use crate::tcp::{Effects, Payload, Segment, Signal, State, Tcb, TcpConfig, TcpTimer};
use crate::tcp::tcb::TimerCmd;
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What travels on the wire: TCP segments and UDP datagrams.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Packet {
    Tcp(Segment),
    Udp(Dns),
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Packet::Tcp(s) => write!(f, "{s:?}"),
            Packet::Udp(d) => write!(f, "{d}"),
        }
    }
}

/// The timers of the page-load actors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeTimer {
    Tcp(TcpTimer),
    /// The resolver's retransmission timeout.
    DnsRetry,
    /// The browser gives up on a response (the prototype found that without one, a
    /// request the server ACKed and then dropped leaves the browser waiting for ever).
    Deadline,
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
}

/// One origin route: method (None: any), path, status, extra headers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    pub method: Option<String>,
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
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
    pub deadline: u8,
    pub max_redirects: u8,
    pub zone: Vec<(String, [u8; 4])>,
    pub routes: Vec<Route>,
}

/// Actor ids.
pub const BROWSER: usize = 0;
pub const NAME_SERVER: usize = 1;
pub const ORIGIN: usize = 2;

/// The browser's progress.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Browser {
    pub resolver: Resolver,
    pub tcb: Tcb,
    /// The request target now being fetched.
    pub target: Option<Arc<str>>,
    /// Targets fetched so far (for redirect loops).
    pub visited: Vec<Arc<str>>,
    /// Requests sent on the connection.
    pub sent: u8,
    pub shown: Option<Shown>,
    /// Ghost: the status of the last final response read, and the request it answered.
    pub last_status: Option<(u16, u8)>,
}

/// The origin's connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub tcb: Tcb,
    /// Ghost: responses sent on this connection.
    pub answered: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    Browser(Browser),
    NameServer,
    Origin(Origin),
}

/// An actor of the page load.
#[derive(Clone, Debug)]
pub struct Node {
    pub role: usize,
    pub cfg: Arc<PageConfig>,
}

fn secs(t: u8) -> Duration {
    Duration::from_secs(t as u64)
}

fn set(o: &mut Out<Node>, t: NodeTimer, lo: u8, hi: u8) {
    o.set_timer(t, secs(lo)..secs(hi));
}

impl Node {
    /// Sends a TCB's effects and returns its signals.
    fn flush(&self, peer: usize, fx: &mut Effects, o: &mut Out<Node>) -> Vec<Signal> {
        for s in fx.send.drain(..) {
            o.send(Id::from(peer), Packet::Tcp(s));
        }
        for t in fx.timers.drain(..) {
            match t {
                TimerCmd::Set(t, lo, hi) => set(o, NodeTimer::Tcp(t), lo, hi),
                TimerCmd::Cancel(t) => o.cancel_timer(NodeTimer::Tcp(t)),
            }
        }
        std::mem::take(&mut fx.signals)
    }

    fn request(&self, target: &str) -> Payload {
        let c = &self.cfg;
        let host = if c.port == 80 { c.host.to_string() } else { format!("{}:{}", c.host, c.port) };
        let r = Request {
            method: c.method.clone(),
            target: target.to_string(),
            host: c.send_host.then_some(host),
            headers: vec![("User-Agent".into(), c.user_agent.clone())],
            body: Vec::new(),
        };
        Arc::from(r.to_bytes().into_boxed_slice())
    }

    /// The browser shows `what` and closes its connection.
    fn show(&self, b: &mut Browser, what: Shown, fx: &mut Effects, o: &mut Out<Node>) {
        if b.shown.is_none() {
            b.shown = Some(what);
        }
        o.cancel_timer(NodeTimer::Deadline);
        if matches!(b.tcb.state, State::Established | State::CloseWait | State::SynReceived) {
            b.tcb.close(&self.cfg.tcp, fx);
        } else if b.tcb.state == State::SynSent {
            b.tcb.abort(fx);
        }
    }

    /// The browser reacts to its TCB's signals.
    fn browser_signals(&self, b: &mut Browser, mut fx: Effects, o: &mut Out<Node>) {
        loop {
            let signals = self.flush(ORIGIN, &mut fx, o);
            if signals.is_empty() {
                return;
            }
            for s in signals {
                match s {
                    Signal::NeedIsn => o.choose_random("isn", self.cfg.isns.clone()),
                    Signal::Established => {
                        if let Some(t) = b.target.clone() {
                            let req = self.request(&t);
                            if b.tcb.send(&self.cfg.tcp, req, &mut fx) {
                                b.sent += 1;
                            }
                            let d = self.cfg.deadline;
                            set(o, NodeTimer::Deadline, d, d);
                        }
                    }
                    Signal::Data(bytes, _) => self.browser_response(b, &bytes, &mut fx, o),
                    Signal::PeerClosed(_) => {
                        if b.shown.is_none() {
                            self.show(b, Shown::ConnectionFailed, &mut fx, o);
                        } else if b.tcb.state == State::CloseWait {
                            b.tcb.close(&self.cfg.tcp, &mut fx);
                        }
                    }
                    Signal::Closed(_) => {
                        if b.shown.is_none() {
                            b.shown = Some(Shown::ConnectionFailed);
                            o.cancel_timer(NodeTimer::Deadline);
                        }
                    }
                }
            }
        }
    }

    /// One response arrived (a whole message in one chunk).
    fn browser_response(&self, b: &mut Browser, bytes: &[u8], fx: &mut Effects, o: &mut Out<Node>) {
        if b.shown.is_some() {
            return;
        }
        let Some(r) = parse_response(bytes) else {
            self.show(b, Shown::BadResponse, fx, o);
            return;
        };
        // 1xx: informational; the final response is still to come (RFC 9110 §15.2).
        if class_of(r.status) == 100 {
            return;
        }
        b.last_status = Some((r.status, b.sent));
        match class_of(r.status) {
            200 => self.show(b, Shown::Page(r.status), fx, o),
            300 => match r.location {
                Some(loc) if b.visited.iter().any(|v| **v == *loc) => self.show(b, Shown::RedirectLoop, fx, o),
                Some(_) if b.visited.len() > self.cfg.max_redirects as usize => {
                    self.show(b, Shown::TooManyRedirects, fx, o)
                }
                // Follow Location on the same persistent connection.
                Some(loc) => {
                    let loc: Arc<str> = Arc::from(loc.as_str());
                    b.visited.push(loc.clone());
                    b.target = Some(loc.clone());
                    let req = self.request(&loc);
                    if b.tcb.send(&self.cfg.tcp, req, fx) {
                        b.sent += 1;
                    }
                    let d = self.cfg.deadline;
                    set(o, NodeTimer::Deadline, d, d);
                }
                None => self.show(b, Shown::BadResponse, fx, o),
            },
            400 | 500 => self.show(b, Shown::Status(r.status, r.retry_after), fx, o),
            _ => self.show(b, Shown::BadResponse, fx, o),
        }
    }

    /// The origin's answer to one request.
    fn route(&self, bytes: &[u8]) -> Response {
        let c = &self.cfg;
        let Some(req) = parse_request(bytes) else {
            return Response { status: 400, headers: Vec::new(), body: "bad request".into() };
        };
        // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to
        // any HTTP/1.1 request message that lacks a Host header field".
        if req.host.is_none() {
            return Response { status: 400, headers: Vec::new(), body: "no Host".into() };
        }
        let on_path: Vec<&Route> = c.routes.iter().filter(|r| r.path == req.path).collect();
        if on_path.is_empty() {
            return Response { status: 404, headers: Vec::new(), body: "not found".into() };
        }
        match on_path.iter().find(|r| r.method.as_deref().is_none_or(|m| m == req.method)) {
            Some(r) => Response { status: r.status, headers: r.headers.clone(), body: format!("{} body", r.path) },
            // 405 with Allow (RFC 9110 §15.5.6).
            None => {
                let allow: Vec<String> = on_path.iter().filter_map(|r| r.method.clone()).collect();
                Response { status: 405, headers: vec![("Allow".into(), allow.join(", "))], body: String::new() }
            }
        }
    }

    fn origin_signals(&self, s: &mut Origin, mut fx: Effects, o: &mut Out<Node>) {
        loop {
            let signals = self.flush(BROWSER, &mut fx, o);
            if signals.is_empty() {
                return;
            }
            for sig in signals {
                match sig {
                    Signal::NeedIsn => o.choose_random("isn", self.cfg.isns.clone()),
                    Signal::Data(bytes, _) => {
                        let resp = self.route(&bytes).to_bytes();
                        if s.tcb.send(&self.cfg.tcp, Arc::from(resp.into_boxed_slice()), &mut fx) {
                            s.answered = s.answered.saturating_add(1);
                        }
                    }
                    // The browser closed: close our side too (persistent connection).
                    Signal::PeerClosed(_) => s.tcb.close(&self.cfg.tcp, &mut fx),
                    Signal::Closed(_) => {
                        s.tcb.open_passive();
                        s.answered = 0;
                    }
                    Signal::Established => {}
                }
            }
        }
    }
}

impl Actor for Node {
    type Msg = Packet;
    type Timer = NodeTimer;
    type State = NodeState;
    type Random = u8;
    type Storage = ();

    fn on_start(&self, _id: Id, _s: &Option<()>, o: &mut Out<Self>) -> NodeState {
        match self.role {
            BROWSER => {
                let mut b = Browser {
                    resolver: Resolver::new(),
                    tcb: Tcb::closed(),
                    target: None,
                    visited: Vec::new(),
                    sent: 0,
                    shown: None,
                    last_status: None,
                };
                if self.cfg.targets.len() > 1 {
                    // The user may click any of the links.
                    o.choose_random("target", (0..self.cfg.targets.len() as u8).collect());
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
            NAME_SERVER => NodeState::NameServer,
            _ => {
                let mut tcb = Tcb::closed();
                tcb.open_passive();
                NodeState::Origin(Origin { tcb, answered: 0 })
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
                let NodeState::Browser(b) = state.to_mut() else { return };
                if !b.resolver.reply(&self.cfg.host, &r) {
                    return; // a late or foreign reply
                }
                o.cancel_timer(NodeTimer::DnsRetry);
                let mut fx = Effects::default();
                match b.resolver.answer {
                    Some(Some(_)) => b.tcb.open_active(1, &mut fx),
                    _ => b.shown = Some(Shown::NoSuchHost),
                }
                self.browser_signals(b, fx, o);
            }
            (NodeState::Browser(_), Packet::Tcp(seg)) => {
                let NodeState::Browser(b) = state.to_mut() else { return };
                let mut fx = Effects::default();
                if b.tcb.state == State::Closed {
                    if let Some(r) = crate::tcp::arrive::reset_for(&seg, b.tcb.inc, self.cfg.tcp.space) {
                        fx.send.push(r);
                    }
                } else {
                    b.tcb.arrive(&self.cfg.tcp, &seg, &mut fx);
                }
                self.browser_signals(b, fx, o);
            }
            (NodeState::Origin(_), Packet::Tcp(seg)) => {
                let NodeState::Origin(s) = state.to_mut() else { return };
                if s.tcb.pending_syn.is_some() {
                    return;
                }
                let mut fx = Effects::default();
                s.tcb.arrive(&self.cfg.tcp, &seg, &mut fx);
                self.origin_signals(s, fx, o);
            }
            _ => {}
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<NodeState>, timer: &NodeTimer, o: &mut Out<Self>) {
        let mut fx = Effects::default();
        match state.to_mut() {
            NodeState::Browser(b) => {
                match timer {
                    NodeTimer::Tcp(t) => b.tcb.timeout(&self.cfg.tcp, *t, &mut fx),
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
                            b.tcb.abort(&mut fx);
                        }
                    }
                }
                self.browser_signals(b, fx, o);
            }
            NodeState::Origin(s) => {
                if let NodeTimer::Tcp(t) = timer {
                    s.tcb.timeout(&self.cfg.tcp, *t, &mut fx);
                }
                self.origin_signals(s, fx, o);
            }
            NodeState::NameServer => {}
        }
    }

    fn on_random(&self, _id: Id, state: &mut Cow<NodeState>, v: &u8, o: &mut Out<Self>) {
        let mut fx = Effects::default();
        match state.to_mut() {
            NodeState::Browser(b) if b.target.is_none() => {
                let t: Arc<str> = Arc::from(self.cfg.targets[*v as usize].as_str());
                b.visited.push(t.clone());
                b.target = Some(t);
                let q = b.resolver.query(&self.cfg.host);
                o.send(Id::from(NAME_SERVER), Packet::Udp(q));
                set(o, NodeTimer::DnsRetry, self.cfg.dns_rto, self.cfg.dns_rto);
            }
            NodeState::Browser(b) => {
                b.tcb.isn_chosen(&self.cfg.tcp, *v, &mut fx);
                self.browser_signals(b, fx, o);
            }
            NodeState::Origin(s) => {
                s.tcb.isn_chosen(&self.cfg.tcp, *v, &mut fx);
                self.origin_signals(s, fx, o);
            }
            NodeState::NameServer => {}
        }
    }
}
