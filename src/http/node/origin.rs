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
        // A route for GET also answers HEAD, with the same header fields and no body
        // (RFC 9110 §9.3.2).
        let head = req.method == "HEAD";
        let allows = |m: &str| m == req.method || (head && m == "GET");
        let mut resp = match on_path
            .iter()
            .find(|r| r.method.as_deref().is_none_or(allows))
        {
            Some(r) => Response::new(r.status, r.headers.clone(), &r.body),
            // 405 with Allow (RFC 9110 §15.5.6).
            None => {
                let allow: Vec<String> = on_path.iter().filter_map(|r| r.method.clone()).collect();
                Response::new(405, vec![("Allow".into(), allow.join(", "))], "")
            }
        };
        resp.head_only = head;
        let post = req.method == "POST" && class_of(resp.status) == 200;
        (resp, post)
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
        let sent_body = if resp.head_only || bodiless_status(resp.status) {
            0
        } else {
            resp.body.len()
        };
        s.served = Some((fault, framing, sent_body.min(255) as u8));
        // A request that arrives after the idle close never reaches the handler (see
        // the Idle timer), so only a request read on an open connection is applied.
        if post && matches!(fault, OriginFault::Answers | OriginFault::ApplyThenCrash) {
            s.posts_applied = s.posts_applied.saturating_add(1).min(3);
        }
        // One write, or two: the head with the first half of the body, then the rest.
        let pieces: Vec<Payload> = resp
            .to_pieces(self.cfg.chunks)
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(Payload::from)
            .collect();
        let tcb = &mut s.conns[conn as usize].tcb;
        match fault {
            OriginFault::Answers => {
                let mut sent = true;
                for p in pieces {
                    sent &= tcb.send(cfg, p, fx);
                }
                if sent {
                    s.answered = Some(resp.status);
                }
                // A close-delimited body ends with the close; a server that sends
                // `Connection: close` closes after the response (RFC 9112 §9.6).
                let closes = framing == Framing::Close || resp.says_close();
                if closes {
                    tcb.close(cfg, fx);
                }
                if let (true, false, Some(k)) = (sent, closes, &self.cfg.keepalive) {
                    set(o, NodeTimer::Idle(conn), k.idle, k.idle);
                }
            }
            OriginFault::Crash | OriginFault::Reset => {
                if pieces.len() == 2 {
                    tcb.send(cfg, pieces[0], fx);
                }
                if fault == OriginFault::Crash {
                    tcb.close(cfg, fx);
                } else {
                    tcb.abort(fx);
                }
            }
            OriginFault::Invalid => {
                tcb.send(cfg, Payload::from("HTTP/1.1 2x0 Oops\r\n\r\n"), fx);
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
        c.rx.append(&bytes);
        if !crate::http::message::request_complete(&c.rx) {
            return None;
        }
        Some(std::mem::take(&mut c.rx))
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
                    // Lingering close: read and discarded, never handled.
                    Signal::Data(..) if s.conns[c].idle_closed => {}
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
        // A second connection: for the keep-alive's next request, or for a redirect
        // after a response that said `Connection: close`.
        let closes = self.cfg.routes.iter().any(|r| {
            r.headers.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close")
            })
        });
        let n = if self.cfg.keepalive.is_some() || closes {
            2
        } else {
            1
        };
        let conns = (0..n)
            .map(|_| {
                let mut tcb = Tcb::closed();
                tcb.open_passive();
                OriginConn {
                    tcb,
                    idle_closed: false,
                    pending: None,
                    rx: Bytes::empty(),
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
        let fx = self.deliver(&mut c.tcb, &seg);
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
            // ANCHOR: idle_close
            // RFC 9112 §9.5: a server may close an idle persistent connection. A
            // request that arrives afterwards never reaches a handler. How the
            // socket is closed is the knob `idle_close`:
            // - `close`: close(), as Go and most servers: Linux answers data that
            //   arrives on it with a RST (`tcp_rcv_state_process`, TCPABORTONDATA);
            // - `lingering`: nginx's lingering close: shutdown(SHUT_WR) sends the FIN,
            //   and the server goes on reading, and discards what it reads, before it
            //   closes (`ngx_http_set_lingering_close`).
            NodeTimer::Idle(c) => {
                if let Some(x) = s.conns.get_mut(*c as usize) {
                    if x.tcb.state == State::Established {
                        x.idle_closed = true;
                        x.tcb.rcv_shut = self.cfg.idle_close == IdleClose::Close;
                        x.tcb.close(&self.cfg.tcp, &mut fx);
                    }
                }
                *c
            }
            // ANCHOR_END: idle_close
            _ => 0,
        };
        self.origin_signals(s, conn, fx, o);
    }
}
