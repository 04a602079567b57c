//! The gateway: a reverse proxy between the browser and the origin (RFC 9110 §3.7).

use super::*;

/// The gateway's answers of its own.
fn gateway_error(status: u16) -> Payload {
    let body = match status {
        502 => "the origin failed",
        _ => "the origin did not answer in time",
    };
    Payload::from(Response::new(status, Vec::new(), body).to_bytes())
}

impl Node {
    /// The gateway reacts to the signals of the browser's connection.
    pub(super) fn gateway_down(&self, g: &mut Gateway, mut fx: Effects, o: &mut Out<Node>) {
        loop {
            let signals = self.flush(BROWSER, 0, &mut fx, o);
            if signals.is_empty() {
                return;
            }
            for sig in signals {
                match sig {
                    Signal::NeedIsn => o.choose_random("isn", isns(&self.cfg)),
                    // The request: forward it on a new connection to the origin.
                    // The request, once it is whole (it may span several segments):
                    // forward it, with a Via (RFC 9110 §7.6.3), on a new connection to
                    // the origin.
                    Signal::Data(bytes, _) if g.request.is_none() => {
                        g.req_rx.append(&bytes);
                        if !crate::http::message::request_complete(&g.req_rx) {
                            continue;
                        }
                        let req = std::mem::take(&mut g.req_rx);
                        // A request the gateway cannot frame (a bad Content-Length, or
                        // Transfer-Encoding with Content-Length: request smuggling,
                        // RFC 9112 §6.3, §11.2) is answered 400 here, never forwarded.
                        if parse_request(&req).is_none() {
                            g.request = Some(Payload::from(req));
                            let bad = Response::new(400, Vec::new(), "bad request");
                            self.gateway_answer(g, 400, Payload::from(bad.to_bytes()), o);
                            continue;
                        }
                        g.request = Some(Payload::from(with_via(req.to_vec())));
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
    pub(super) fn gateway_up(&self, g: &mut Gateway, mut fx: Effects, o: &mut Out<Node>) {
        loop {
            let signals = self.flush_timers(UPSTREAM, 0, 1, &mut fx, o);
            if signals.is_empty() {
                return;
            }
            for sig in signals {
                match sig {
                    Signal::NeedIsn => o.choose_random("isn", isns(&self.cfg)),
                    Signal::Established => {
                        if let Some(r) = g.request {
                            g.up.send(&self.cfg.tcp, r, &mut fx);
                        }
                    }
                    Signal::Data(bytes, _) => {
                        g.rx.append(&bytes);
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
    pub(super) fn gateway_progress(
        &self,
        g: &mut Gateway,
        eof: bool,
        up: &mut Effects,
        o: &mut Out<Node>,
    ) {
        if g.said.is_some() {
            return;
        }
        let head = g
            .request
            .as_deref()
            .and_then(parse_request)
            .is_some_and(|r| r.method == "HEAD");
        match progress(&g.rx, eof, head) {
            Progress::Wait => {}
            Progress::Invalid | Progress::Incomplete => {
                self.gateway_answer(g, 502, gateway_error(502), o);
                g.up.abort(up);
            }
            Progress::Done(r, _) => {
                g.heard = Some(r.status);
                // Forward the response: its status, its end-to-end header fields
                // (Location, Retry-After, WWW-Authenticate, Allow, ...), a Via (RFC
                // 9110 §7.6.3), and the body framed by Content-Length. The gateway
                // closes the browser's connection after it, and says so (§9.6).
                let mut fields = crate::http::message::forwarded_fields(&g.rx);
                fields.push(("Via".into(), "1.1 gateway".into()));
                fields.push(("Connection".into(), "close".into()));
                let body = crate::http::message::body_of(&g.rx, head);
                let mut resp = Response::new(r.status, fields, &String::from_utf8_lossy(&body));
                resp.head_only = head;
                let bytes = resp.to_bytes();
                self.gateway_answer(g, r.status, Payload::from(bytes), o);
                g.up.close(&self.cfg.tcp, up);
            }
        }
    }

    /// The gateway answers the browser (once) and closes its connection.
    pub(super) fn gateway_answer(
        &self,
        g: &mut Gateway,
        status: u16,
        bytes: Payload,
        o: &mut Out<Node>,
    ) {
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

    pub(super) fn gateway_start(&self) -> NodeState {
        let mut down = Tcb::closed();
        down.open_passive();
        NodeState::Gateway(Gateway {
            down,
            up: Tcb::closed(),
            request: None,
            req_rx: Bytes::empty(),
            rx: Bytes::empty(),
            said: None,
            heard: None,
        })
    }

    /// A segment arrived from the browser or from the origin.
    pub(super) fn gateway_tcp(&self, g: &mut Gateway, src: Id, seg: Segment, o: &mut Out<Node>) {
        let from_browser = src == Id::from(BROWSER);
        let t = if from_browser { &mut g.down } else { &mut g.up };
        if t.pending_syn.is_some() {
            return;
        }
        let fx = self.deliver(t, &seg);
        if from_browser {
            self.gateway_down(g, fx, o);
        } else {
            self.gateway_up(g, fx, o);
        }
    }

    pub(super) fn gateway_timeout(&self, g: &mut Gateway, timer: &NodeTimer, o: &mut Out<Node>) {
        let mut fx = Effects::default();
        match timer {
            NodeTimer::Tcp(0, t) => {
                g.down.timeout(&self.cfg.tcp, *t, &mut fx);
                self.gateway_down(g, fx, o);
            }
            NodeTimer::Tcp(_, t) => {
                g.up.timeout(&self.cfg.tcp, *t, &mut fx);
                self.gateway_up(g, fx, o);
            }
            // The origin did not answer in time: 504, and give up on it.
            NodeTimer::Deadline if g.said.is_none() => {
                self.gateway_answer(g, 504, gateway_error(504), o);
                g.up.abort(&mut fx);
                self.gateway_up(g, fx, o);
            }
            _ => {}
        }
    }
}

/// The request with `Via: 1.1 gateway` added to its head; bytes that are not a
/// request go on as they are (the origin answers them with 400).
fn with_via(mut req: Vec<u8>) -> Vec<u8> {
    match crate::http::message::parse_request(&req) {
        Some(r) => {
            let at = r.head_len - 2;
            req.splice(at..at, b"Via: 1.1 gateway\r\n".iter().copied());
            req
        }
        None => req,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_forwarded_request_carries_via_rfc_9110_7_6_3() {
        let req = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n".to_vec();
        let out = super::with_via(req);
        assert_eq!(
            out,
            b"GET /a HTTP/1.1\r\nHost: h\r\nVia: 1.1 gateway\r\n\r\n"
        );
        assert_eq!(super::with_via(b"junk".to_vec()), b"junk");
    }
}
