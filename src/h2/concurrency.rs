//! SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2) and the rapid-reset pattern
//! (CVE-2023-44487).
//!
//! The origin announces a limit on the streams the browser may have open. Until its
//! SETTINGS arrives the browser knows no limit (§6.5.2: "initially, there is no
//! limit"), so it may open more; the origin refuses a stream above the limit with
//! RST_STREAM REFUSED_STREAM, and the browser sends the request again on a new stream
//! once a stream closes (§8.7: a refused stream was not processed).
//!
//! The limit counts streams that are open or half-closed. A stream the client resets
//! is closed at once, so a client that opens a stream and resets it in a loop never
//! exceeds the limit, while every stream it opens starts a handler at the server. A
//! server that counts the resets against a budget ends the connection with
//! ENHANCE_YOUR_CALM (§5.4.1, §7) once the budget is spent.

use super::frame::{setting, ErrorCode, Frame};
use super::node::{Browser, Conn, H2Node, H2Timer, Outcome, St, Stream, Why};
use serde::{Deserialize, Serialize};

/// Which client resets the origin counts against its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResetCount {
    /// None: the origin has no budget (servers before CVE-2023-44487).
    Nothing,
    /// Resets of streams whose handler is still running.
    Running,
    /// Resets of every stream it started a handler for, finished or not.
    Started,
}
use stateright::actor::Out;

/// One connection's concurrency state, for one endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limits {
    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS, once its SETTINGS arrived.
    pub peer_max: Option<u32>,
    /// Browser: requests refused with REFUSED_STREAM, waiting for a free stream.
    pub pending: Vec<u8>,
    /// Browser: rapid-reset iterations still to run.
    pub attacks_left: u8,
    /// Origin: the client's resets it counted against the budget.
    pub resets: u8,
}

/// Streams that count toward the limit (§5.1.2): open or half-closed.
pub fn active(conn: &Conn) -> usize {
    conn.streams
        .iter()
        .filter(|s| matches!(s.st, St::Open | St::HalfClosedLocal | St::HalfClosedRemote))
        .count()
}

impl H2Node {
    /// The origin's SETTINGS: SETTINGS_MAX_CONCURRENT_STREAMS when the scenario has one.
    pub(super) fn origin_settings(&self) -> Vec<(u16, u32)> {
        match self.cfg.max_streams {
            Some(n) => vec![(setting::MAX_CONCURRENT_STREAMS, n)],
            None => Vec::new(),
        }
    }

    /// The browser learns the origin's limit from its SETTINGS.
    pub(super) fn browser_peer_settings(&self, conn: &mut Conn, params: &[(u16, u32)]) {
        for &(id, v) in params {
            if id == setting::MAX_CONCURRENT_STREAMS {
                conn.limits.peer_max = Some(v);
            }
        }
    }

    // ANCHOR: refuse
    /// A new stream arrives at the origin: above its limit, the origin refuses it with
    /// RST_STREAM REFUSED_STREAM (§5.1.2: "an endpoint that receives a HEADERS frame
    /// that causes its advertised concurrent stream limit to be exceeded MUST treat
    /// this as a stream error of type PROTOCOL_ERROR or REFUSED_STREAM"; §8.7: only
    /// REFUSED_STREAM tells the client it may retry).
    pub(super) fn refuse_over_limit(
        &self,
        conn: &mut Conn,
        c: u8,
        stream: u32,
        o: &mut Out<Self>,
    ) -> bool {
        let Some(limit) = self.cfg.max_streams else {
            return false;
        };
        if active(conn) < limit as usize {
            return false;
        }
        let rst = Frame::RstStream {
            stream,
            code: ErrorCode::RefusedStream,
        };
        self.send_frame(conn, c, rst, String::new(), o);
        true
    }
    // ANCHOR_END: refuse

    // ANCHOR: budget
    /// RST_STREAM at the origin when the scenario has a limit: the stream closes and
    /// its handler stops. A server with a budget counts the reset (`[h2]
    /// reset_count`) and ends the connection with ENHANCE_YOUR_CALM when the budget is
    /// spent (the mitigation of CVE-2023-44487). A RST_STREAM for a stream whose
    /// response is complete is allowed (§5.1: the peer may not have seen the
    /// END_STREAM yet) and still means the client abandoned the stream.
    pub(super) fn origin_reset(&self, conn: &mut Conn, c: u8, stream: u32, o: &mut Out<Self>) {
        let Some(st) = conn.stream_mut(stream) else {
            return;
        };
        let (running, started) = match st.st {
            St::HalfClosedRemote => (true, true),
            // A handler ran and its response is complete.
            St::Closed(Why::Ended) => (false, true),
            _ => (false, false),
        };
        if !matches!(st.st, St::Closed(_)) {
            st.st = St::Closed(Why::ResetReceived);
            o.cancel_timer(H2Timer::Write(c, stream));
        }
        let counted = match self.cfg.reset_count {
            ResetCount::Nothing => false,
            ResetCount::Running => running,
            ResetCount::Started => started,
        };
        if counted {
            conn.limits.resets = conn.limits.resets.saturating_add(1);
            if conn.limits.resets > self.cfg.reset_budget {
                self.connection_error(conn, c, ErrorCode::EnhanceYourCalm, o);
                return;
            }
        }
        self.maybe_close(conn, c, o);
    }
    // ANCHOR_END: budget

    /// RST_STREAM REFUSED_STREAM at the browser: the request was not processed (§8.7),
    /// so it waits for a free stream and goes out again.
    pub(super) fn browser_refused(&self, b: &mut Browser, c: u8, stream: u32, o: &mut Out<Self>) {
        let conn = &mut b.conns[c as usize];
        if let Some(s) = conn.stream_mut(stream) {
            s.st = St::Closed(Why::ResetReceived);
        }
        if let Some(i) = b
            .reqs
            .iter()
            .position(|r| r.conn == c && r.stream == stream && r.outcome == Outcome::Waiting)
        {
            b.reqs[i].retried = true;
            b.conns[c as usize].limits.pending.push(i as u8);
        }
        self.browser_flush(b, c, o);
    }

    /// Sends the refused requests again while the origin's limit allows.
    pub(super) fn browser_flush(&self, b: &mut Browser, c: u8, o: &mut Out<Self>) {
        loop {
            let Some(conn) = b.conns.get_mut(c as usize) else {
                return;
            };
            let limit = conn.limits.peer_max.unwrap_or(u32::MAX) as usize;
            if conn.limits.pending.is_empty() || active(conn) >= limit || conn.dead() {
                return;
            }
            let i = conn.limits.pending.remove(0);
            let id = self.browser_open(conn, c, i, o);
            b.reqs[i as usize].stream = id;
        }
    }

    /// Opens a stream for request `i` (a GET): HEADERS with END_STREAM.
    fn browser_open(&self, conn: &mut Conn, c: u8, i: u8, o: &mut Out<Self>) -> u32 {
        let r = &self.cfg.requests[i as usize];
        let id = conn.next_id;
        conn.next_id += 2;
        let block = conn.encode(&self.request_fields(r), self.cfg.indexing);
        let note = format!("{} {}", r.method, r.path);
        let h = Frame::Headers {
            stream: id,
            end_stream: true,
            block,
        };
        self.send_frame(conn, c, h, note, o);
        conn.streams.push(Stream {
            id,
            st: St::HalfClosedLocal,
            peer_ended: false,
            req: Some(i),
        });
        id
    }

    // ANCHOR: rapid_reset
    /// One iteration of the rapid-reset client: a new stream for the first request,
    /// reset at once with RST_STREAM CANCEL. The stream is closed before the next
    /// one opens, so the client never has more than the limit open.
    pub(super) fn browser_attack(&self, b: &mut Browser, o: &mut Out<Self>) {
        let Some(conn) = b.conns.get_mut(0) else {
            return;
        };
        if conn.limits.attacks_left == 0 || conn.dead() {
            return;
        }
        conn.limits.attacks_left -= 1;
        let id = self.browser_open(conn, 0, 0, o);
        if let Some(s) = conn.stream_mut(id) {
            s.st = St::Closed(Why::ResetSent);
        }
        let rst = Frame::RstStream {
            stream: id,
            code: ErrorCode::Cancel,
        };
        self.send_frame(conn, 0, rst, String::new(), o);
        if conn.limits.attacks_left > 0 {
            o.set_timer(H2Timer::Attack, super::node::now());
        }
    }
    // ANCHOR_END: rapid_reset
}
