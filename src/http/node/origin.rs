//! The origin server: routes, the handler's faults and framings, its persistent
//! connections and idle close.

use super::*;

impl Node {
    // ANCHOR: route
    /// The origin's answer to one request, and whether it applied a POST.
    pub(super) fn route(&self, bytes: &[u8]) -> (Response, bool) {
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
                Response::new(r.status, r.headers.clone(), &r.body),
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
    pub(super) fn serve(
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
    pub(super) fn take_request(&self, c: &mut OriginConn, bytes: Payload) -> Option<Payload> {
        if c.rx.is_empty() && crate::http::message::request_complete(&bytes) {
            return Some(bytes);
        }
        c.rx.extend_from_slice(&bytes);
        if !crate::http::message::request_complete(&c.rx) {
            return None;
        }
        Some(Arc::from(std::mem::take(&mut c.rx).into_boxed_slice()))
    }

    pub(super) fn origin_signals(
        &self,
        s: &mut Origin,
        conn: u8,
        mut fx: Effects,
        o: &mut Out<Node>,
    ) {
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
                            if crate::http::message::expects_continue(&s.conns[c].rx) {
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

    pub(super) fn origin_start(&self) -> NodeState {
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

    /// A segment arrived on connection `conn`.
    pub(super) fn origin_tcp(&self, s: &mut Origin, conn: u8, seg: Segment, o: &mut Out<Node>) {
        let Some(c) = s.conns.get_mut(conn as usize) else {
            return;
        };
        if c.tcb.pending_syn.is_some() {
            return;
        }
        let mut fx = Effects::default();
        if c.tcb.state == State::Closed {
            if let Some(r) = crate::tcp::arrive::reset_for(&seg, c.tcb.inc, self.cfg.tcp.space) {
                fx.send.push(r);
            }
        } else {
            c.tcb.arrive(&self.cfg.tcp, &seg, &mut fx);
        }
        self.origin_signals(s, conn, fx, o);
    }

    pub(super) fn origin_timeout(&self, s: &mut Origin, timer: &NodeTimer, o: &mut Out<Node>) {
        let mut fx = Effects::default();
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
}
