//! Server push (RFC 9113 §8.4): the origin sends a response the browser has not asked
//! for yet.
//!
//! The page (the first request) refers to the other resources: its DATA is
//! `<link href=/style.css>`, one link each. The origin pushes the second request's
//! resource. A browser that reads the reference asks for the resource
//! on a stream of its own, unless it was promised already. An origin that pushes sends
//! PUSH_PROMISE on the page's stream (§6.6): the promised stream's identifier (even,
//! §5.1.1) and the field block of the request it answers, encoded with the
//! connection's HPACK state like every other block. The promised stream is "reserved
//! (local)" at the origin and "reserved (remote)" at the browser until the pushed
//! response's HEADERS makes it half-closed (§5.1); its DATA then ends it.
//!
//! §8.4.1 asks the server to send PUSH_PROMISE "prior to sending any frames that
//! reference the promised responses. This avoids a race where clients issue requests
//! prior to receiving any PUSH_PROMISE frames." [`Push::AfterReference`] breaks that
//! rule, and so, worse, does [`Push::AfterEndStream`], which promises on the page's
//! stream after its END_STREAM closed it (§6.6 forbids that; the browser treats it
//! as a connection error of type PROTOCOL_ERROR). [`Push::IgnoresEnablePush`] pushes
//! to a browser that said
//! SETTINGS_ENABLE_PUSH = 0, which §6.5.2 makes a connection error of type
//! PROTOCOL_ERROR once the browser's SETTINGS are acknowledged.
//!
//! The browser may refuse a push with RST_STREAM CANCEL (§8.4.2): `[h2] refuse_push`
//! lets it, at any time, as a browser does that finds the resource in its cache; the
//! request counts as cancelled. It refuses a push it has no use for (it asked for the
//! resource itself) at once. The origin stops the pushed response when the reset
//! arrives; its frames that crossed the reset are ignored (§5.1, "closed").

use super::frame::{ErrorCode, Frame};
use super::node::{Browser, Conn, H2Node, H2Timer, Origin, Outcome, Receiver, St, Stream, Why};
use serde::Deserialize;
use stateright::actor::Out;

/// Whether and how the origin pushes the page's second resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Push {
    /// It does not push; the page still refers to the resource.
    None,
    /// PUSH_PROMISE right after the page's HEADERS, before the DATA that refers to the
    /// resource (§8.4.1), and only while the browser allows push.
    BeforeReference,
    /// PUSH_PROMISE after the DATA that refers to the resource (a bug: §8.4.1 warns of
    /// the race it opens).
    AfterReference,
    /// PUSH_PROMISE before the reference, also to a browser that disabled push (a bug:
    /// §6.5.2, §6.6).
    IgnoresEnablePush,
    /// PUSH_PROMISE after the page's last DATA, whose END_STREAM closed the stream at
    /// the origin (a bug: §6.6 allows a promise only on a stream that is open or
    /// half-closed (remote) at the sender).
    AfterEndStream,
}

/// The request of the pushed resource: the page's second.
pub const PUSHED: usize = 1;

/// The `href` values in a body.
fn references(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    text.split("href=")
        .skip(1)
        .filter_map(|rest| rest.split(['>', ' ']).next())
        .filter(|p| p.starts_with('/'))
        .map(str::to_string)
        .collect()
}

impl H2Node {
    /// The page's body: a reference to each of the page's other resources, the pushed
    /// one first.
    pub(super) fn page_body(&self) -> Vec<u8> {
        self.cfg.requests[PUSHED..]
            .iter()
            .map(|r| format!("<link href={}>", r.path))
            .collect::<String>()
            .into_bytes()
    }

    // ANCHOR: origin_promise
    /// The origin promises the page's resource on stream `id`, the page's: PUSH_PROMISE
    /// with the next even stream identifier and the field block of the request it
    /// answers (§6.6, §8.4.1). Only on a stream that is open or half-closed (remote) at
    /// the origin, and only while the browser allows push (unless the origin is the
    /// buggy one that ignores SETTINGS_ENABLE_PUSH).
    pub(super) fn origin_promise(&self, conn: &mut Conn, c: u8, id: u32, o: &mut Out<Self>) {
        if conn.push_off && self.cfg.push != Push::IgnoresEnablePush {
            return;
        }
        let Some(st) = conn.stream(id) else {
            return;
        };
        let closed_ok = self.cfg.push == Push::AfterEndStream; // the bug
        if !matches!(st.st, St::Open | St::HalfClosedRemote) && !closed_ok {
            return;
        }
        let r = &self.cfg.requests[PUSHED];
        let promised = conn.next_id;
        conn.next_id += 2;
        let resize = conn.resize_note();
        let block = conn.encode(&self.request_fields(r), self.cfg.indexing);
        let note = format!("{resize}{} {}", r.method, r.path);
        let p = Frame::PushPromise {
            stream: id,
            promised,
            block,
        };
        self.send_frame(conn, c, p, note, o);
        // The promised request is complete (§8.4.1): the stream is reserved (local)
        // until the response's HEADERS, and the browser sends nothing but RST_STREAM,
        // PRIORITY and WINDOW_UPDATE on it.
        conn.streams.push(Stream {
            id: promised,
            st: St::ReservedLocal,
            peer_ended: true,
            req: Some(PUSHED as u8),
        });
        o.set_timer(H2Timer::Write(c, promised), super::node::now());
    }
    // ANCHOR_END: origin_promise

    /// The origin's next step on stream `id` when the scenario pushes: the pushed
    /// response's HEADERS on a reserved stream, else the response's DATA (the page's
    /// refers to the pushed resource).
    pub(super) fn origin_write_push(&self, s: &mut Origin, c: u8, id: u32, o: &mut Out<Self>) {
        let conn = &mut s.conns[c as usize];
        let Some(st) = conn.stream(id) else {
            return;
        };
        let (state, req) = (st.st, st.req.unwrap_or(0) as usize);
        let path = self.cfg.requests[req].path.clone();
        match state {
            St::ReservedLocal => {
                let resize = conn.resize_note();
                let block = conn.encode(&self.response_fields(&path), self.cfg.indexing);
                let note = format!("{resize}200 {}", super::node::content_of(&path).0);
                if let Some(st) = conn.stream_mut(id) {
                    st.st = St::HalfClosedRemote;
                }
                let h = Frame::Headers {
                    stream: id,
                    end_stream: false,
                    block,
                };
                self.send_frame(conn, c, h, note, o);
                o.set_timer(H2Timer::Write(c, id), super::node::now());
            }
            St::HalfClosedRemote if req == 0 && self.cfg.push == Push::AfterReference => {
                // The bug: the reference goes out first, the promise after it.
                let d = Frame::Data {
                    stream: id,
                    end_stream: false,
                    data: self.page_body(),
                };
                let note = String::from_utf8_lossy(&self.page_body()).into_owned();
                self.send_frame(conn, c, d, note, o);
                self.origin_promise(conn, c, id, o);
                if let Some(st) = conn.stream_mut(id) {
                    st.st = St::Closed(Why::Ended);
                }
                let end = Frame::Data {
                    stream: id,
                    end_stream: true,
                    data: Vec::new(),
                };
                self.send_frame(conn, c, end, String::new(), o);
            }
            St::HalfClosedRemote => {
                let data = if req == 0 {
                    self.page_body()
                } else {
                    super::node::content_of(&path).1.into_bytes()
                };
                if let Some(st) = conn.stream_mut(id) {
                    st.st = St::Closed(Why::Ended);
                }
                // The page's DATA shows its reference in traces.
                let note = if req == 0 {
                    String::from_utf8_lossy(&data).into_owned()
                } else {
                    String::new()
                };
                let d = Frame::Data {
                    stream: id,
                    end_stream: true,
                    data,
                };
                self.send_frame(conn, c, d, note, o);
                if req == 0 && self.cfg.push == Push::AfterEndStream {
                    // The bug: the promise follows the END_STREAM that closed the stream.
                    self.origin_promise(conn, c, id, o);
                }
            }
            _ => {}
        }
    }

    // ANCHOR: browser_push_promise
    /// PUSH_PROMISE at the browser. Its field block is decoded first, whatever becomes
    /// of the promise (§4.3). With push disabled (and acknowledged) it is a connection
    /// error of type PROTOCOL_ERROR (§6.5.2); so is a promise on a stream that is neither
    /// open nor half-closed (local), unless the browser reset that stream itself
    /// (§5.1, "closed"). A promise the browser has no use for is refused at once.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn browser_push_promise(
        &self,
        b: &mut Browser,
        c: u8,
        stream: u32,
        promised: u32,
        block: &[u8],
        reset_by_us: bool,
        o: &mut Out<Self>,
    ) {
        let conn = &mut b.conns[c as usize];
        let skip = reset_by_us && self.cfg.receiver == Receiver::SkipsResetBlocks;
        let Ok(fields) = self.decode(conn, block, skip) else {
            self.connection_error(conn, c, ErrorCode::CompressionError, o);
            self.fail_waiting(b, c);
            return;
        };
        if conn.push_off {
            conn.seen.promise_disabled = true;
            self.connection_error(conn, c, ErrorCode::ProtocolError, o);
            self.fail_waiting(b, c);
            return;
        }
        let open = conn
            .stream(stream)
            .is_some_and(|s| matches!(s.st, St::Open | St::HalfClosedLocal) && !s.peer_ended);
        let get = |n: &str| {
            fields
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let path = get(":path");
        // The ghost: the sender broke §6.6 or §8.4.1 (a promise that crossed our own
        // reset of the page's stream is no fault of the sender's).
        if (!open && !reset_by_us) || b.referenced.contains(&(c, path.clone())) {
            conn.seen.promise_late = true;
        }
        let new_server_stream = promised.is_multiple_of(2)
            && promised > conn.max_peer
            && conn.stream(promised).is_none();
        if (!open && !reset_by_us) || !new_server_stream {
            self.connection_error(conn, c, ErrorCode::ProtocolError, o);
            self.fail_waiting(b, c);
            return;
        }
        conn.max_peer = promised;
        let req = self
            .cfg
            .requests
            .iter()
            .position(|r| r.method == get(":method") && r.path == path);
        conn.streams.push(Stream {
            id: promised,
            st: St::ReservedRemote,
            peer_ended: false,
            req: req.map(|i| i as u8),
        });
        let wanted = !reset_by_us
            && req.is_some_and(|i| b.reqs[i].stream == 0 && b.reqs[i].outcome == Outcome::Waiting);
        match req {
            Some(i) if wanted => {
                let r = &mut b.reqs[i];
                r.conn = c;
                r.stream = promised;
                if self.cfg.refuse_push {
                    let any = std::time::Duration::ZERO
                        ..std::time::Duration::from_secs(crate::wire::NO_DEADLINE as u64);
                    o.set_timer(H2Timer::RefusePush(c, promised), any);
                }
            }
            // It asked for the resource itself, or reset the page's stream: the
            // promised stream is unwanted (§8.4.2).
            _ => self.browser_refuse_push(b, c, promised, o),
        }
    }
    // ANCHOR_END: browser_push_promise

    /// The browser refuses the push on stream `id` with RST_STREAM CANCEL (§8.4.2);
    /// the request it would have answered counts as cancelled (the browser has the
    /// resource, or asked for it itself).
    pub(super) fn browser_refuse_push(&self, b: &mut Browser, c: u8, id: u32, o: &mut Out<Self>) {
        let Some(conn) = b.conns.get_mut(c as usize) else {
            return;
        };
        if conn.dead() {
            return;
        }
        let Some(s) = conn.stream_mut(id) else {
            return;
        };
        if !matches!(s.st, St::ReservedRemote | St::HalfClosedLocal) {
            return;
        }
        s.st = St::Closed(Why::ResetSent);
        let rst = Frame::RstStream {
            stream: id,
            code: ErrorCode::Cancel,
        };
        self.send_frame(conn, c, rst, String::new(), o);
        b.refused_push = true;
        if let Some(i) = Self::req_of(b, c, id) {
            b.reqs[i].outcome = Outcome::Cancelled;
        }
    }

    // ANCHOR: follow_references
    /// The browser reads a response's DATA: each resource it refers to that was
    /// neither requested nor promised yet, it requests now, on a new stream.
    pub(super) fn browser_follow_references(
        &self,
        b: &mut Browser,
        c: u8,
        data: &[u8],
        o: &mut Out<Self>,
    ) {
        for path in references(data) {
            if !b.referenced.contains(&(c, path.clone())) {
                b.referenced.push((c, path.clone()));
            }
            let Some(conn) = b.conns.get_mut(c as usize) else {
                return;
            };
            if conn.dead() {
                return;
            }
            let wanted = (0..b.reqs.len()).find(|&i| {
                let (r, st) = (&self.cfg.requests[i], &b.reqs[i]);
                r.method == "GET"
                    && r.path == path
                    && st.stream == 0
                    && st.outcome == Outcome::Waiting
            });
            if let Some(i) = wanted {
                self.send_request(conn, c, i, &mut b.reqs, o);
            }
        }
    }
    // ANCHOR_END: follow_references
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_are_the_href_values() {
        assert_eq!(super::references(b"<link href=/style.css>"), ["/style.css"]);
        assert!(super::references(b"/mypage body").is_empty());
    }
}
