//! Flow control (RFC 9113 §5.2, §6.9): the origin's DATA counts against two windows,
//! the stream's and the connection's, and the browser gives credit back with
//! WINDOW_UPDATE.
//!
//! The browser announces a small SETTINGS_INITIAL_WINDOW_SIZE (§6.5.2) so that the
//! stream window binds. The connection window starts at 65,535 octets and no SETTINGS
//! changes it (§6.9.2); the model scales it down to `[h2] connection-window` octets,
//! so that a few short bodies exhaust it as many long ones would.
//!
//! Every window is kept as counts that only grow (octets sent, credit received), so a
//! new connection starts from zeroes and a window is `initial + credit - sent`.

use super::frame::{setting, Frame};
use super::node::{content_of, Conn, H2Node, H2Timer, Origin, Receiver, St};
use serde::{Deserialize, Serialize};
use stateright::actor::Out;

/// The initial window of every stream and of the connection (§6.9.2).
pub const DEFAULT_WINDOW: u32 = 65_535;

/// One stream's flow-control counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamFlow {
    pub id: u32,
    /// DATA octets that went out (sender) or came in (receiver).
    pub octets: u32,
    /// WINDOW_UPDATE increments that came in (sender) or went out (receiver).
    pub credit: u32,
}

/// One direction of flow control on one connection: the counts of the side that
/// sends DATA, or of the side that receives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Counts {
    pub octets: u32,
    pub credit: u32,
    pub streams: Vec<StreamFlow>,
}

impl Counts {
    fn stream(&self, id: u32) -> StreamFlow {
        self.streams
            .iter()
            .copied()
            .find(|s| s.id == id)
            .unwrap_or(StreamFlow {
                id,
                octets: 0,
                credit: 0,
            })
    }

    fn stream_mut(&mut self, id: u32) -> &mut StreamFlow {
        if let Some(i) = self.streams.iter().position(|s| s.id == id) {
            return &mut self.streams[i];
        }
        self.streams.push(StreamFlow {
            id,
            octets: 0,
            credit: 0,
        });
        self.streams.last_mut().expect("just pushed")
    }
}

/// A window: the initial size, plus credit, minus octets (§6.9.1). Negative when the
/// sender overran it.
pub fn window(initial: u32, octets: u32, credit: u32) -> i64 {
    initial as i64 + credit as i64 - octets as i64
}

/// The flow-control state of one connection, for one endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flow {
    /// The peer's SETTINGS_INITIAL_WINDOW_SIZE, once its SETTINGS arrived.
    pub peer_initial: Option<u32>,
    /// What we sent and the credit we got back.
    pub out: Counts,
    /// What we received and the credit we gave back.
    pub inc: Counts,
}

impl Flow {
    /// The window we may still send into on the connection.
    pub fn send_conn(&self, conn_window: u32) -> i64 {
        window(conn_window, self.out.octets, self.out.credit)
    }

    /// The window we may still send into on stream `id`.
    pub fn send_stream(&self, id: u32) -> i64 {
        let s = self.out.stream(id);
        window(
            self.peer_initial.unwrap_or(DEFAULT_WINDOW),
            s.octets,
            s.credit,
        )
    }

    /// The receiver's view of the connection window: what the sender may still send.
    pub fn recv_conn(&self, conn_window: u32) -> i64 {
        window(conn_window, self.inc.octets, self.inc.credit)
    }

    /// The receiver's view of each stream window, given the initial window it
    /// announced.
    pub fn recv_streams(&self, initial: u32) -> impl Iterator<Item = (u32, i64)> + '_ {
        self.inc
            .streams
            .iter()
            .map(move |s| (s.id, window(initial, s.octets, s.credit)))
    }
}

impl H2Node {
    /// Whether the scenario models flow control (`[h2] window`).
    pub fn flow_controlled(&self) -> bool {
        self.cfg.window.is_some()
    }

    /// The browser's SETTINGS: SETTINGS_INITIAL_WINDOW_SIZE when flow control is
    /// modelled (§6.5.2).
    pub(super) fn browser_settings(&self) -> Vec<(u16, u32)> {
        match self.cfg.window {
            Some(w) => vec![(setting::INITIAL_WINDOW_SIZE, w)],
            None => Vec::new(),
        }
    }

    /// A SETTINGS frame from the peer: its initial stream window (§6.9.2; the model's
    /// SETTINGS arrives before any stream opens, so no open window needs adjusting).
    pub(super) fn peer_settings(&self, conn: &mut Conn, params: &[(u16, u32)]) {
        for &(id, v) in params {
            if id == setting::INITIAL_WINDOW_SIZE {
                conn.flow.peer_initial = Some(v);
            }
        }
    }

    // ANCHOR: origin_write
    /// The origin writes the next DATA frame of stream `id`: as many octets as both
    /// windows allow (§6.9.1: a sender MUST NOT send a flow-controlled frame larger than
    /// either window), END_STREAM with the last one. With no room it waits for a
    /// WINDOW_UPDATE.
    pub(super) fn origin_write_flow(&self, s: &mut Origin, c: u8, id: u32, o: &mut Out<Self>) {
        let conn = &mut s.conns[c as usize];
        let Some(st) = conn.stream(id) else {
            return;
        };
        if st.st != St::HalfClosedRemote {
            return;
        }
        let path = &self.cfg.requests[st.req.unwrap_or(0) as usize].path;
        let body = content_of(path).1.into_bytes();
        let done = conn.flow.out.stream(id).octets as usize;
        let room = conn
            .flow
            .send_conn(self.cfg.connection_window)
            .min(conn.flow.send_stream(id))
            .max(0) as usize;
        let n = room.min(body.len() - done);
        if n == 0 {
            return;
        }
        let end_stream = done + n == body.len();
        conn.flow.out.octets += n as u32;
        conn.flow.out.stream_mut(id).octets += n as u32;
        let d = Frame::Data {
            stream: id,
            end_stream,
            data: body[done..done + n].to_vec(),
        };
        self.send_frame(conn, c, d, String::new(), o);
        if end_stream {
            if let Some(st) = conn.stream_mut(id) {
                st.st = St::Closed(super::node::Why::Ended);
            }
            self.maybe_close(conn, c, o);
        } else {
            o.set_timer(H2Timer::Write(c, id), super::node::now());
        }
    }
    // ANCHOR_END: origin_write

    /// WINDOW_UPDATE at the origin: credit for the connection (stream 0) or one stream;
    /// every stream with DATA left may write again.
    pub(super) fn origin_window_update(
        &self,
        conn: &mut Conn,
        c: u8,
        stream: u32,
        increment: u32,
        o: &mut Out<Self>,
    ) {
        if stream == 0 {
            conn.flow.out.credit += increment;
        } else {
            conn.flow.out.stream_mut(stream).credit += increment;
        }
        for st in &conn.streams {
            if st.st == St::HalfClosedRemote {
                o.set_timer(H2Timer::Write(c, st.id), super::node::now());
            }
        }
    }

    // ANCHOR: browser_credit
    /// DATA of `len` octets arrived at the browser on `stream`. It counts against both
    /// windows (§6.9), also when the stream was reset and the DATA is discarded
    /// (§5.1, "closed": such DATA is "counted toward the connection flow-control
    /// window"). The browser reads at once and
    /// gives the credit back: the connection's always, the stream's while more DATA
    /// may follow on it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn browser_credit(
        &self,
        conn: &mut Conn,
        c: u8,
        stream: u32,
        len: usize,
        end_stream: bool,
        discarded: bool,
        o: &mut Out<Self>,
    ) {
        if !self.flow_controlled() || len == 0 {
            return;
        }
        let n = len as u32;
        conn.flow.inc.octets += n;
        conn.flow.inc.stream_mut(stream).octets += n;
        if discarded && self.cfg.receiver == Receiver::NoCreditForDiscarded {
            // golang/go#20469 (and #16481 on the server side): DATA on a reset stream
            // is dropped without returning its octets to the connection window.
            return;
        }
        conn.flow.inc.credit += n;
        let u = Frame::WindowUpdate {
            stream: 0,
            increment: n,
        };
        self.send_frame(conn, c, u, String::new(), o);
        if !end_stream && !discarded {
            conn.flow.inc.stream_mut(stream).credit += n;
            let u = Frame::WindowUpdate {
                stream,
                increment: n,
            };
            self.send_frame(conn, c, u, String::new(), o);
        }
    }
    // ANCHOR_END: browser_credit
}
