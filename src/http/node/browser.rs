//! The browser: its stub resolver, its connections to the origin, and its HTTP client
//! (requests, redirects, retries, what it shows).

use super::*;

impl Node {
    pub(super) fn request(&self, method: &str, target: &str) -> Payload {
        Payload::from(self.request_bytes(method, target))
    }

    pub(super) fn request_bytes(&self, method: &str, target: &str) -> Vec<u8> {
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
    pub(super) fn send_request(
        &self,
        b: &mut Browser,
        reused: bool,
        fx: &mut Effects,
        o: &mut Out<Node>,
    ) {
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
            req = Payload::from(&bytes[..cut]);
            b.held_body = Some(Payload::from(&bytes[cut..]));
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
    pub(super) fn new_connection(&self, b: &mut Browser, o: &mut Out<Node>) {
        b.conns.push(Tcb::closed());
        b.cur = (b.conns.len() - 1) as u8;
        let cur = b.cur as usize;
        let mut fx = Effects::default();
        b.conns[cur].open_active(1, &mut fx);
        self.browser_signals(b, b.cur, fx, o);
    }

    /// The browser shows `what` and closes its connection.
    pub(super) fn show(&self, b: &mut Browser, what: Shown, fx: &mut Effects, o: &mut Out<Node>) {
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
    pub(super) fn request_failed(&self, b: &mut Browser, fx: &mut Effects, o: &mut Out<Node>) {
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
    pub(super) fn browser_signals(
        &self,
        b: &mut Browser,
        conn: u8,
        mut fx: Effects,
        o: &mut Out<Node>,
    ) {
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
    pub(super) fn browser_data(
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
        b.rx.append(bytes);
        // 100 Continue: the server wants the body (RFC 9110 §15.2.1).
        if let Head::Complete(r) = parse_head(&b.rx) {
            if r.status == 100 {
                b.rx.drop_front(r.head_len);
                b.got_continue = true;
                self.send_held_body(b, fx, o);
            }
        }
        let head = b.method.as_deref() == Some("HEAD");
        match progress(&b.rx, eof, head) {
            Progress::Wait => {}
            Progress::Invalid => self.show(b, Shown::BadResponse, fx, o),
            Progress::Incomplete => self.show(b, Shown::Incomplete, fx, o),
            Progress::Done(r, len) => {
                b.rx = Bytes::empty();
                b.page_len = len.min(255) as u8;
                self.browser_response(b, r, fx, o)
            }
        }
    }

    // ANCHOR: browser_response
    /// The browser sends the body it held back for 100 Continue.
    pub(super) fn send_held_body(&self, b: &mut Browser, fx: &mut Effects, o: &mut Out<Node>) {
        if let Some(body) = b.held_body.take() {
            o.cancel_timer(NodeTimer::Continue);
            let cur = b.cur as usize;
            b.conns[cur].send(&self.cfg.tcp, body, fx);
        }
    }

    /// A whole final response arrived.
    pub(super) fn browser_response(
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
        b.retry_after = r.retry_after.is_some();
        // `Connection: close`: the server closes after this response, so the browser
        // sends nothing more on the connection and closes it (RFC 9112 §9.6).
        if r.close {
            let t = &mut b.conns[b.cur as usize];
            if matches!(t.state, State::Established | State::CloseWait) {
                t.close(&self.cfg.tcp, fx);
            }
        }
        match (class_of(r.status), r.location) {
            (200, _) => match &self.cfg.keepalive {
                // The first page of a persistent connection: the user asks for the next.
                Some(k) if b.answered == 1 => {
                    b.target = Some(Text::new(&k.target));
                    o.choose_random(
                        "method",
                        k.methods
                            .iter()
                            .map(|m| Pick::Method(Text::new(m)))
                            .collect(),
                    );
                    set(o, NodeTimer::Next, 0, k.think);
                }
                _ => self.show(b, Shown::Page(r.status), fx, o),
            },
            // A redirect status with a Location: the Fetch standard's HTTP-redirect
            // fetch. Any other 3xx, or one without Location, is a response like any
            // other, and its body is shown ("If locationURL is null, return response").
            (300, Some(loc)) if is_redirect(r.status) => self.redirect(b, r.status, &loc, fx, o),
            // Browsers render the body of a 4xx or 5xx as the page (checked with
            // Chromium); with no body, Chromium shows its own error page instead
            // (net::ERR_HTTP_RESPONSE_CODE_FAILURE, "HTTP ERROR 500").
            (400 | 500, _) if b.page_len == 0 => self.show(b, Shown::ErrorPage(r.status), fx, o),
            (300..=500, _) => self.show(b, Shown::Page(r.status), fx, o),
            _ => self.show(b, Shown::BadResponse, fx, o),
        }
    }

    // ANCHOR: redirect
    /// Follows a redirect as the Fetch standard's "HTTP-redirect fetch" does: at most
    /// `max_redirects` (Fetch: 20) in a row, then a network error; `Location` is a URI
    /// reference resolved against the request's URL (RFC 9110 §10.2.2); 301 and 302
    /// turn a POST into a GET, 303 turns every method but GET and HEAD into a GET, and
    /// 307 and 308 keep the method and the body (RFC 9110 §15.4).
    fn redirect(
        &self,
        b: &mut Browser,
        status: u16,
        loc: &str,
        fx: &mut Effects,
        o: &mut Out<Node>,
    ) {
        if b.redirects >= self.cfg.max_redirects {
            return self.show(b, Shown::TooManyRedirects, fx, o);
        }
        let base = format!("{}{}", self.cfg.origin, b.target.as_deref().unwrap_or("/"));
        let next = url::Url::parse(&base).and_then(|u| u.join(loc));
        // The scenario's validation refuses a Location on another origin: the model
        // has one origin, so such a redirect cannot be followed here.
        let Some(next) = next
            .ok()
            .filter(|u| u.origin().ascii_serialization() == self.cfg.origin)
        else {
            return self.show(b, Shown::InvalidRedirect, fx, o);
        };
        let method = b.method.as_deref().unwrap_or("GET");
        let to_get = match status {
            301 | 302 => method == "POST",
            303 => !matches!(method, "GET" | "HEAD"),
            _ => false,
        };
        if to_get {
            b.method = Some(Text::new("GET"));
        }
        b.redirects += 1;
        let mut target = next.path().to_string();
        if let Some(q) = next.query() {
            target.push('?');
            target.push_str(q);
        }
        b.target = Some(Text::new(&target));
        // Follow Location on the same persistent connection, or on a new one when
        // the response closed it.
        if b.tcb().state == State::Established {
            self.send_request(b, true, fx, o);
        } else {
            self.new_connection(b, o);
        }
    }
    // ANCHOR_END: redirect

    pub(super) fn browser_start(&self, o: &mut Out<Node>) -> NodeState {
        let mut b = Browser {
            resolver: Resolver::new(),
            conns: smallvec::smallvec![Tcb::closed()],
            cur: 0,
            target: None,
            method: Some(Text::new(&self.cfg.method)),
            redirects: 0,
            retry_after: false,
            sent: 0,
            answered: 0,
            awaiting: false,
            reused: false,
            retried: false,
            shown: None,
            last_status: None,
            get_failed: false,
            rx: Bytes::empty(),
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
                    .map(|t| Pick::Target(Text::new(t)))
                    .collect(),
            );
        } else {
            let t = Text::new(&self.cfg.targets[0]);
            b.target = Some(t);
            self.dns_query(&mut b, o);
        }
        NodeState::Browser(b)
    }

    /// A DNS datagram arrived.
    pub(super) fn browser_udp(&self, b: &mut Browser, r: Dns, o: &mut Out<Node>) {
        if !b.resolver.reply(&self.cfg.host, &r) {
            return; // a late or foreign reply
        }
        o.cancel_timer(NodeTimer::DnsRetry);
        let mut fx = Effects::default();
        match b.resolver.answer {
            Some(Some(a)) if self.elsewhere(a) => b.shown = Some(Shown::Elsewhere(a)),
            Some(Some(_)) => b.conns[0].open_active(1, &mut fx),
            _ => b.shown = Some(Shown::NoSuchHost),
        }
        self.browser_signals(b, 0, fx, o);
    }

    /// A segment arrived on connection `conn`.
    pub(super) fn browser_tcp(&self, b: &mut Browser, conn: u8, seg: Segment, o: &mut Out<Node>) {
        let Some(t) = b.conns.get_mut(conn as usize) else {
            return;
        };
        let fx = self.deliver(t, &seg);
        self.browser_signals(b, conn, fx, o);
    }

    pub(super) fn browser_timeout(&self, b: &mut Browser, timer: &NodeTimer, o: &mut Out<Node>) {
        let mut fx = Effects::default();
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
                    if b.resolver.tries() < self.cfg.dns_tries {
                        self.dns_query(b, o);
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
}

/// The redirect status codes of the Fetch standard.
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}
