//! The two HTTP/2 endpoints: a browser that speaks HTTP/2 with prior knowledge (RFC 9113
//! §3.3) and an origin server, each with its view of every connection: the stream
//! states of §5.1, the HPACK tables of RFC 7541, GOAWAY (§6.8).
//!
//! What travels is a [`Chunk`]: the octets of a connection preface or of one frame,
//! or the end of a connection. Below the frames the model keeps a lossless channel in
//! order ([`Transport::InOrder`], what TCP gives HTTP/2), or a channel in order per
//! HTTP/2 stream and in no order between streams ([`Transport::PerStream`], what QUIC
//! gives HTTP/3). The wire enforces the order ([`crate::wire::Wire::order`]).

use super::frame::{setting, ErrorCode, Frame, MAX_STREAM_ID, PREFACE};
use super::hpack::{self, Field, Table, DEFAULT_TABLE_SIZE};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub const BROWSER: usize = 0;
pub const ORIGIN: usize = 1;

/// The channel below the frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// One ordered, lossless byte stream per connection: TCP as HTTP/2 sees it.
    InOrder,
    /// Ordered within each HTTP/2 stream, unordered between streams (connection
    /// frames on a stream of their own): QUIC streams.
    PerStream,
    /// The frames' octets are the payload of one connection of the RFC 9293 TCP
    /// actors ([`super::tcp`]), on the timed wire that may lose segments.
    Tcp,
}

/// How a receiver treats frames on streams it reset itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Receiver {
    /// RFC 9113: ignores them (§5.1, "closed"), but decompresses their field blocks
    /// (§4.3).
    Faithful,
    /// Ignores them and skips their field blocks: its HPACK table misses the entries
    /// those blocks added (the hazard quicwg/base-drafts#176 raised for QUIC).
    SkipsResetBlocks,
    /// Treats any frame on a stream it reset as a connection error of type
    /// STREAM_CLOSED, which §5.1 allows only once the peer could have seen the reset.
    StrictAfterReset,
    /// Discards DATA on a stream it reset without giving its octets back to the
    /// connection window (golang/go#20469; RFC 9113 §5.1, "closed", counts such
    /// DATA toward the connection window).
    NoCreditForDiscarded,
}

/// How the origin shuts a connection down (§6.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shutdown {
    /// It does not.
    None,
    /// GOAWAY with 2^31−1 and a PING; when the PING's ACK is back (a round trip: every
    /// stream the client opened before it saw the GOAWAY has arrived), GOAWAY with the
    /// last stream it received.
    TwoPhase,
    /// One GOAWAY with the last stream it received so far; it ignores higher streams.
    Single,
    /// One GOAWAY with the last stream it received so far, and then it processes a
    /// higher stream that arrives after all (a bug: RFC 9113 §8.7 forbids it).
    ProcessesAboveLast,
}

/// One request of the page: method and path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Req {
    pub method: String,
    pub path: String,
}

/// The configuration of both endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct H2Config {
    pub authority: String,
    pub requests: Vec<Req>,
    pub transport: Transport,
    /// How many streams the user may cancel (RST_STREAM with CANCEL).
    pub cancels: u8,
    pub receiver: Receiver,
    pub shutdown: Shutdown,
    /// Whether the browser retries, on a new connection, the requests GOAWAY says were
    /// not processed (§6.8, §8.7).
    pub retry: bool,
    /// The connections the browser may open.
    pub connections: u8,
    /// Whether the encoders add fields to their dynamic tables (§6.2.1); without,
    /// every literal is "without indexing" (§6.2.2).
    pub indexing: bool,
    /// With [`Transport::Tcp`]: both endpoints' TCP knobs and their ISN.
    pub tcp: Option<(crate::tcp::TcpConfig, u8)>,
    /// The browser's SETTINGS_INITIAL_WINDOW_SIZE; `None`: flow control is not
    /// modelled (every body fits the default window). See [`super::flow`].
    pub window: Option<u32>,
    /// The connection window, 65,535 octets scaled down (see [`super::flow`]).
    pub connection_window: u32,
    /// The origin's SETTINGS_MAX_CONCURRENT_STREAMS; see [`super::concurrency`].
    pub max_streams: Option<u32>,
    /// Rapid-reset iterations the browser runs (0: an ordinary browser).
    pub rapid_resets: u8,
    /// The client resets the origin tolerates, and which ones it counts.
    pub reset_budget: u8,
    pub reset_count: super::concurrency::ResetCount,
    /// Whether and how the origin pushes the resource the page refers to (§8.4); see
    /// [`super::push`].
    pub push: super::push::Push,
    /// The browser's SETTINGS_ENABLE_PUSH (§6.5.2): `false` sends 0.
    pub enable_push: bool,
    /// Whether the browser may refuse a push with RST_STREAM CANCEL (it has the
    /// resource already).
    pub refuse_push: bool,
    /// The browser's SETTINGS_HEADER_TABLE_SIZE (§6.5.2), when it lowers the default.
    pub header_table_size: Option<u32>,
    /// Whether the origin's encoder signals the lowered size with a dynamic table size
    /// update (RFC 7541 §4.2, §6.3).
    pub size_update: bool,
}

/// What the wire carries: octets of one connection, or its end.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Chunk {
    pub conn: u8,
    /// The ordered channel it travels on: 0 for every chunk in order; the HTTP/2
    /// stream for a per-stream transport.
    pub lane: u8,
    /// Its place on that channel.
    pub pos: u8,
    pub body: Body,
    /// Ghost: the header fields of a HEADERS frame, for reports only (no actor reads
    /// it; the receiver decodes the octets).
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Body {
    /// The connection preface's 24 octets (§3.4).
    Preface(Vec<u8>),
    /// One frame's octets.
    Frame(Vec<u8>),
    /// The connection closes (a FIN below the frames).
    Close,
    /// A TCP segment whose payload is frame octets ([`Transport::Tcp`]).
    Tcp(crate::tcp::Segment),
}

impl Chunk {
    pub fn frame(&self) -> Option<Frame> {
        match &self.body {
            Body::Frame(b) => Frame::decode(b).ok(),
            _ => None,
        }
    }
}

impl fmt::Display for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.body {
            Body::Preface(_) => write!(f, "preface PRI * HTTP/2.0")?,
            Body::Close => write!(f, "connection closed")?,
            Body::Tcp(seg) => super::tcp::describe(seg, f)?,
            Body::Frame(b) => match Frame::decode(b) {
                Ok(fr) => write!(f, "{fr}")?,
                Err(_) => write!(f, "{} octets that are not a frame", b.len())?,
            },
        }
        if !self.note.is_empty() {
            write!(f, " {{{}}}", self.note)?;
        }
        if self.conn > 0 {
            write!(f, " (conn {})", self.conn)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// The order the wire keeps: per connection and lane, by position.
pub fn order(c: &Chunk) -> Option<(u32, u32)> {
    Some(((c.conn as u32) << 8 | c.lane as u32, c.pos as u32))
}

/// Timers: steps an endpoint takes on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum H2Timer {
    /// The origin writes the DATA of its response on stream `.1` of connection `.0`.
    Write(u8, u32),
    /// The user cancels request `.0`.
    Cancel(u8),
    /// The origin decides to shut connection 0 down.
    Shutdown,
    /// A TCP timer of the connection ([`Transport::Tcp`]).
    Tcp(crate::tcp::TcpTimer),
    /// The rapid-reset browser opens and resets its next stream.
    Attack,
    /// The browser refuses the push promised on stream `.1` of connection `.0`.
    RefusePush(u8, u32),
}

/// A stream's state (§5.1), from one endpoint's side. Idle streams are not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum St {
    /// Promised by a PUSH_PROMISE the server sent (§5.1, §8.4).
    ReservedLocal,
    /// Promised by a PUSH_PROMISE the client received.
    ReservedRemote,
    Open,
    HalfClosedLocal,
    HalfClosedRemote,
    Closed(Why),
}

/// How a stream closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Why {
    /// Both ends sent END_STREAM.
    Ended,
    /// We sent RST_STREAM.
    ResetSent,
    /// We received RST_STREAM.
    ResetReceived,
    /// The origin will not process it: above the last stream of its GOAWAY.
    Ignored,
}

impl St {
    pub fn name(self) -> &'static str {
        match self {
            St::ReservedLocal => "reserved (local)",
            St::ReservedRemote => "reserved (remote)",
            St::Open => "open",
            St::HalfClosedLocal => "half-closed (local)",
            St::HalfClosedRemote => "half-closed (remote)",
            St::Closed(Why::Ended) => "closed",
            St::Closed(Why::ResetSent) => "closed (RST sent)",
            St::Closed(Why::ResetReceived) => "closed (RST received)",
            St::Closed(Why::Ignored) => "closed (ignored)",
        }
    }
}

/// One stream of one connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stream {
    pub id: u32,
    pub st: St,
    /// Whether the peer sent END_STREAM on it.
    pub peer_ended: bool,
    /// The request it carries (the browser's index into the page's requests; the
    /// origin's once it decoded the request head).
    pub req: Option<u8>,
}

/// Ghost observations of a receiver, for the properties: what it saw arrive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Seen {
    /// A frame other than HEADERS or PRIORITY on an idle stream.
    pub idle_frame: bool,
    /// A frame other than RST_STREAM, PRIORITY or WINDOW_UPDATE after the peer's
    /// END_STREAM.
    pub after_end_stream: bool,
    /// A new stream whose identifier is not above every earlier one of the peer.
    pub id_not_rising: bool,
    /// A connection error raised for a frame on a stream it had reset itself.
    pub race_error: bool,
    /// A frame arrived on a stream it had reset itself.
    pub frame_after_reset: bool,
    /// A PUSH_PROMISE arrived on a stream that was not open or half-closed (local) at
    /// the receiver, or after the DATA that refers to the promised resource.
    pub promise_late: bool,
    /// A PUSH_PROMISE arrived although the receiver had disabled push and its SETTINGS
    /// were acknowledged (§6.5.2).
    pub promise_disabled: bool,
    /// The first field block after the acknowledgement of a lowered
    /// SETTINGS_HEADER_TABLE_SIZE did not open with a dynamic table size update.
    pub no_size_update: bool,
}

/// One endpoint's view of one connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conn {
    /// Origin: the client's preface arrived.
    pub preface: bool,
    pub streams: Vec<Stream>,
    /// The highest stream identifier the peer opened.
    pub max_peer: u32,
    /// The next stream identifier of our own (the browser's: 1, 3, 5, ...).
    pub next_id: u32,
    /// Ghost: the encoder's dynamic table after each field block it wrote, from the
    /// empty table on; the last is the encoder's table now.
    pub enc: Vec<Table>,
    /// The decoder's dynamic table.
    pub dec: Table,
    /// Ghost: field blocks that arrived, decoded or not.
    pub blocks_in: u8,
    /// Ghost: field blocks that arrived and were not decoded.
    pub skipped: u8,
    /// The last stream of the GOAWAY we sent, and whether it is final.
    pub goaway_sent: Option<(u32, bool)>,
    /// The last stream of the GOAWAY we received.
    pub goaway_rcvd: Option<u32>,
    /// The connection error we raised or the peer reported.
    pub error: Option<ErrorCode>,
    /// Whether we sent our end of the connection, and whether the peer did.
    pub closed: bool,
    pub peer_closed: bool,
    /// Next position per lane: (lane, position).
    pub pos: Vec<(u8, u8)>,
    pub seen: Seen,
    /// Flow control (§5.2): see [`super::flow`].
    pub flow: super::flow::Flow,
    /// Concurrency (§5.1.2): see [`super::concurrency`].
    pub limits: super::concurrency::Limits,
    /// Push is off on this connection: the peer's SETTINGS_ENABLE_PUSH is 0 (origin),
    /// or ours is and the peer acknowledged it (browser).
    pub push_off: bool,
    /// Encoder: the dynamic table size update its next field block must open with.
    pub enc_resize: Option<u32>,
    /// Decoder: the SETTINGS_HEADER_TABLE_SIZE in force (acknowledged), and whether
    /// the next field block must open with a dynamic table size update (RFC 7541
    /// §4.2).
    pub dec_limit: u32,
    pub dec_resize_due: bool,
}

impl Conn {
    fn new(next_id: u32) -> Self {
        Conn {
            preface: false,
            streams: Vec::new(),
            max_peer: 0,
            next_id,
            enc: vec![Table::new(DEFAULT_TABLE_SIZE)],
            dec: Table::new(DEFAULT_TABLE_SIZE),
            blocks_in: 0,
            skipped: 0,
            goaway_sent: None,
            goaway_rcvd: None,
            error: None,
            closed: false,
            peer_closed: false,
            pos: Vec::new(),
            seen: Seen::default(),
            flow: Default::default(),
            limits: Default::default(),
            push_off: false,
            enc_resize: None,
            dec_limit: DEFAULT_TABLE_SIZE,
            dec_resize_due: false,
        }
    }

    pub fn stream(&self, id: u32) -> Option<&Stream> {
        self.streams.iter().find(|s| s.id == id)
    }

    pub(super) fn stream_mut(&mut self, id: u32) -> Option<&mut Stream> {
        self.streams.iter_mut().find(|s| s.id == id)
    }

    /// The encoder's table now.
    pub fn enc_table(&self) -> &Table {
        self.enc.last().expect("the initial table")
    }

    /// Encodes a field block, recording the table after it. A size update that is due
    /// opens the block (RFC 7541 §4.2).
    pub(super) fn encode(&mut self, fields: &[Field], indexing: bool) -> Vec<u8> {
        let mut t = self.enc_table().clone();
        let block = hpack::encode(&mut t, fields, self.enc_resize.take(), indexing);
        self.enc.push(t);
        block
    }

    /// For a trace: the dynamic table size update the next field block opens with.
    pub(super) fn resize_note(&self) -> String {
        self.enc_resize
            .map(|n| format!("size update {n}, "))
            .unwrap_or_default()
    }

    /// Whether the connection is over for this endpoint: an error, or either end
    /// closed it.
    pub(super) fn dead(&self) -> bool {
        self.error.is_some() || self.closed || self.peer_closed
    }
}

/// What the browser knows of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Not answered yet.
    Waiting,
    /// The whole response arrived.
    Answered,
    /// The user cancelled it.
    Cancelled,
    /// It failed: the connection ended without a response, or GOAWAY refused it and
    /// the browser does not retry.
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Request {
    /// Where it was sent last: connection and stream.
    pub conn: u8,
    pub stream: u32,
    pub outcome: Outcome,
    /// Sent again on a new connection after a GOAWAY.
    pub retried: bool,
    /// The response's status and body octets so far.
    pub status: Option<u16>,
    pub body: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Browser {
    pub conns: Vec<Conn>,
    pub reqs: Vec<Request>,
    /// Cancels the user may still make.
    pub cancels: u8,
    /// Ghost: a frame of one response arrived between the first and the last frame
    /// of another.
    pub interleaved: bool,
    /// The TCP connection below the frames ([`Transport::Tcp`]).
    pub pipe: Option<super::tcp::Pipe>,
    /// Ghost: the resources a response's DATA referred to, per connection.
    pub referenced: Vec<(u8, String)>,
    /// Ghost: the browser refused a push with RST_STREAM.
    pub refused_push: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Origin {
    pub conns: Vec<Conn>,
    /// Ghost: how often each request's method took effect (its handler ran).
    pub applied: Vec<u8>,
    /// The two-phase shutdown is waiting for its PING's ACK.
    pub pinging: bool,
    /// The TCP connection below the frames ([`Transport::Tcp`]).
    pub pipe: Option<super::tcp::Pipe>,
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum H2State {
    Browser(Browser),
    Origin(Origin),
}

impl fmt::Debug for H2State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            H2State::Browser(b) => b.fmt(f),
            H2State::Origin(o) => o.fmt(f),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Browser,
    Origin,
}

/// One endpoint.
#[derive(Clone, Debug)]
pub struct H2Node {
    pub role: Role,
    pub cfg: Arc<H2Config>,
}

/// `lo..hi` ticks as the wire reads a timer range.
fn ticks(lo: u64, hi: u64) -> std::ops::Range<Duration> {
    Duration::from_secs(lo)..Duration::from_secs(hi)
}

/// A timer that fires at once (it holds up time, not the other actions).
pub(super) fn now() -> std::ops::Range<Duration> {
    ticks(0, 0)
}

/// A timer that may fire at any time, or never.
fn any_time() -> std::ops::Range<Duration> {
    ticks(0, crate::wire::NO_DEADLINE as u64)
}

/// The response the origin sends for `path`: its content type and body.
pub fn content_of(path: &str) -> (&'static str, String) {
    let ty = if path.ends_with(".css") {
        "text/css"
    } else if path.ends_with(".js") {
        "text/javascript"
    } else {
        "text/html"
    };
    (ty, format!("{path} body"))
}

impl H2Node {
    fn peer(&self) -> Id {
        Id::from(match self.role {
            Role::Browser => ORIGIN,
            Role::Origin => BROWSER,
        })
    }

    /// Sends one chunk on connection `c`, on the lane its stream (or `stream`) picks.
    fn send(
        &self,
        conn: &mut Conn,
        c: u8,
        stream: u32,
        body: Body,
        note: String,
        o: &mut Out<Self>,
    ) {
        let lane = match self.cfg.transport {
            Transport::InOrder | Transport::Tcp => 0,
            Transport::PerStream => stream.min(255) as u8,
        };
        let pos = match conn.pos.iter_mut().find(|(l, _)| *l == lane) {
            Some((_, p)) => {
                *p += 1;
                *p
            }
            None => {
                conn.pos.push((lane, 0));
                conn.pos.sort();
                0
            }
        };
        o.send(
            self.peer(),
            Chunk {
                conn: c,
                lane,
                pos,
                body,
                note,
            },
        );
    }

    pub(super) fn send_frame(
        &self,
        conn: &mut Conn,
        c: u8,
        f: Frame,
        note: String,
        o: &mut Out<Self>,
    ) {
        let stream = f.stream();
        self.send(conn, c, stream, Body::Frame(f.encode()), note, o);
    }

    /// A connection error (§5.4.1): GOAWAY with the error code, and the end of the
    /// connection.
    pub(super) fn connection_error(
        &self,
        conn: &mut Conn,
        c: u8,
        code: ErrorCode,
        o: &mut Out<Self>,
    ) {
        if conn.dead() {
            return;
        }
        let last = conn.max_peer;
        self.send_frame(conn, c, Frame::GoAway { last, code }, String::new(), o);
        conn.goaway_sent = Some((last, true));
        conn.error = Some(code);
        conn.closed = true;
        self.send(conn, c, 0, Body::Close, String::new(), o);
    }

    /// The checks every receiver makes on a frame of a stream (§5.1), as ghost
    /// observations, and whether the frame's stream is one the receiver reset.
    fn observe(&self, conn: &mut Conn, f: &Frame) -> bool {
        let id = f.stream();
        if id == 0 {
            return false;
        }
        let peer_initiated = match self.role {
            Role::Browser => id.is_multiple_of(2),
            Role::Origin => !id.is_multiple_of(2),
        };
        let control = matches!(
            f,
            Frame::RstStream { .. } | Frame::Priority { .. } | Frame::WindowUpdate { .. }
        );
        match conn.stream(id) {
            None => {
                let idle = if peer_initiated {
                    id > conn.max_peer
                } else {
                    id >= conn.next_id
                };
                if idle && !matches!(f, Frame::Headers { .. } | Frame::Priority { .. }) {
                    conn.seen.idle_frame = true;
                }
                if !idle && peer_initiated && matches!(f, Frame::Headers { .. }) {
                    // §5.1.1: a new stream below one the peer already opened.
                    conn.seen.id_not_rising = true;
                }
                false
            }
            Some(s) => {
                let (peer_ended, st) = (s.peer_ended, s.st);
                if peer_ended && !control {
                    conn.seen.after_end_stream = true;
                }
                let reset = st == St::Closed(Why::ResetSent);
                if reset {
                    conn.seen.frame_after_reset = true;
                }
                reset
            }
        }
    }

    /// Decodes a field block (§4.3: every block, whatever happens to its stream).
    pub(super) fn decode(
        &self,
        conn: &mut Conn,
        block: &[u8],
        skip: bool,
    ) -> Result<Vec<Field>, ()> {
        conn.blocks_in = conn.blocks_in.saturating_add(1);
        if skip {
            conn.skipped = conn.skipped.saturating_add(1);
            return Ok(Vec::new());
        }
        if std::mem::take(&mut conn.dec_resize_due) && !hpack::opens_with_size_update(block) {
            // RFC 7541 §4.2: the size update MUST open the first block after the
            // change; without it the encoder may use a table larger than the decoder
            // allows. RFC 9113 §4.3.1: the block is a COMPRESSION_ERROR.
            conn.seen.no_size_update = true;
            return Err(());
        }
        hpack::decode(&mut conn.dec, block, conn.dec_limit).map_err(|_| ())
    }

    // --- the browser ------------------------------------------------------------

    pub(super) fn request_fields(&self, r: &Req) -> Vec<Field> {
        vec![
            (":method".into(), r.method.clone()),
            (":scheme".into(), "http".into()),
            (":path".into(), r.path.clone()),
            (":authority".into(), self.cfg.authority.clone()),
        ]
    }

    /// Opens connection `c` (preface and SETTINGS) and sends requests `which` on it.
    fn open_and_send(&self, b: &mut Browser, which: &[usize], o: &mut Out<Self>) {
        let c = b.conns.len() as u8;
        let mut conn = Conn::new(1);
        self.send(
            &mut conn,
            c,
            0,
            Body::Preface(PREFACE.to_vec()),
            String::new(),
            o,
        );
        let mut params = self.browser_settings();
        if let Some(n) = self.cfg.header_table_size {
            params.insert(0, (setting::HEADER_TABLE_SIZE, n));
        }
        if !self.cfg.enable_push {
            params.push((setting::ENABLE_PUSH, 0));
        }
        let settings = Frame::Settings { ack: false, params };
        self.send_frame(&mut conn, c, settings, String::new(), o);
        for &i in which {
            // With push, the page refers to the other resources: the browser asks for
            // them once it reads the reference ([`super::push`]).
            if self.cfg.push != super::push::Push::None && i > 0 {
                continue;
            }
            self.send_request(&mut conn, c, i, &mut b.reqs, o);
        }
        b.conns.push(conn);
    }

    /// Sends request `i` on a new stream of connection `c`.
    pub(super) fn send_request(
        &self,
        conn: &mut Conn,
        c: u8,
        i: usize,
        reqs: &mut [Request],
        o: &mut Out<Self>,
    ) {
        let r = &self.cfg.requests[i];
        let id = conn.next_id;
        conn.next_id += 2;
        let block = conn.encode(&self.request_fields(r), self.cfg.indexing);
        let post = r.method == "POST";
        let note = format!("{} {}", r.method, r.path);
        let h = Frame::Headers {
            stream: id,
            end_stream: !post,
            block,
        };
        self.send_frame(conn, c, h, note, o);
        let mut st = if post { St::Open } else { St::HalfClosedLocal };
        if post {
            let d = Frame::Data {
                stream: id,
                end_stream: true,
                data: b"qty=1".to_vec(),
            };
            self.send_frame(conn, c, d, String::new(), o);
            st = St::HalfClosedLocal;
        }
        conn.streams.push(Stream {
            id,
            st,
            peer_ended: false,
            req: Some(i as u8),
        });
        let rq = &mut reqs[i];
        rq.conn = c;
        rq.stream = id;
    }

    fn browser_start(&self, o: &mut Out<Self>) -> H2State {
        let n = self.cfg.requests.len();
        let mut b = Browser {
            conns: Vec::new(),
            reqs: vec![
                Request {
                    conn: 0,
                    stream: 0,
                    outcome: Outcome::Waiting,
                    retried: false,
                    status: None,
                    body: 0,
                };
                n
            ],
            cancels: self.cfg.cancels,
            interleaved: false,
            pipe: None,
            referenced: Vec::new(),
            refused_push: false,
        };
        let all: Vec<usize> = (0..n).collect();
        if self.cfg.rapid_resets > 0 {
            // The rapid-reset client: its streams are the attack's (§5.1.2, CVE-2023-44487).
            self.open_and_send(&mut b, &[], o);
            b.conns[0].limits.attacks_left = self.cfg.rapid_resets;
            o.set_timer(H2Timer::Attack, now());
        } else {
            self.open_and_send(&mut b, &all, o);
        }
        if self.cfg.cancels > 0 {
            for i in 0..n {
                o.set_timer(H2Timer::Cancel(i as u8), any_time());
            }
        }
        H2State::Browser(b)
    }

    /// The request on stream `id` of connection `c`.
    pub(super) fn req_of(b: &Browser, c: u8, id: u32) -> Option<usize> {
        b.reqs
            .iter()
            .position(|r| r.conn == c && r.stream == id && r.outcome == Outcome::Waiting)
    }

    fn browser_frame(&self, b: &mut Browser, c: u8, f: Frame, o: &mut Out<Self>) {
        let ci = c as usize;
        let Some(conn) = b.conns.get_mut(ci) else {
            return;
        };
        if conn.error.is_some() {
            return;
        }
        let reset_by_us = self.observe(conn, &f);
        if reset_by_us && self.cfg.receiver == Receiver::StrictAfterReset {
            conn.seen.race_error = true;
            self.connection_error(conn, c, ErrorCode::StreamClosed, o);
            self.fail_waiting(b, c);
            return;
        }
        match f {
            Frame::Settings { ack: false, params } => {
                self.browser_peer_settings(conn, &params);
                let ack = Frame::Settings {
                    ack: true,
                    params: vec![],
                };
                self.send_frame(conn, c, ack, String::new(), o);
            }
            Frame::Settings { ack: true, .. } => {
                // Our SETTINGS are in force from their acknowledgement (§6.5.3).
                // RFC 9113 §4.3.1: after the acknowledgement of a reduction below the
                // table's current size, the next block must open with a size update.
                if let Some(n) = self.cfg.header_table_size {
                    conn.dec_limit = n;
                    if n < conn.dec.max {
                        conn.dec_resize_due = true;
                    }
                }
                if !self.cfg.enable_push {
                    conn.push_off = true;
                }
            }
            Frame::PushPromise {
                stream,
                promised,
                block,
            } => self.browser_push_promise(b, c, stream, promised, &block, reset_by_us, o),
            Frame::RstStream {
                stream,
                code: ErrorCode::RefusedStream,
            } if self.cfg.max_streams.is_some() => self.browser_refused(b, c, stream, o),
            Frame::Ping { ack: false, data } => {
                self.send_frame(conn, c, Frame::Ping { ack: true, data }, String::new(), o);
            }
            Frame::Headers {
                stream,
                end_stream,
                block,
            } => {
                let skip = reset_by_us && self.cfg.receiver == Receiver::SkipsResetBlocks;
                let Ok(fields) = self.decode(conn, &block, skip) else {
                    self.connection_error(conn, c, ErrorCode::CompressionError, o);
                    self.fail_waiting(b, c);
                    return;
                };
                if reset_by_us {
                    return;
                }
                let Some(s) = conn.stream_mut(stream) else {
                    // A server-initiated stream: the browser disabled push... it did not
                    // say so in SETTINGS; the model's origin never pushes.
                    self.connection_error(conn, c, ErrorCode::ProtocolError, o);
                    self.fail_waiting(b, c);
                    return;
                };
                if s.st == St::ReservedRemote {
                    // §5.1: the pushed response's HEADERS.
                    s.st = St::HalfClosedLocal;
                }
                if end_stream {
                    s.peer_ended = true;
                    s.st = St::Closed(Why::Ended);
                }
                let status = fields
                    .iter()
                    .find(|(n, _)| n == ":status")
                    .and_then(|(_, v)| v.parse().ok());
                let others_open = b.reqs.iter().any(|r| {
                    r.conn == c
                        && r.stream != stream
                        && r.status.is_some()
                        && r.outcome == Outcome::Waiting
                });
                if others_open {
                    b.interleaved = true;
                }
                if let Some(i) = Self::req_of(b, c, stream) {
                    b.reqs[i].status = status;
                    if end_stream {
                        b.reqs[i].outcome = Outcome::Answered;
                    }
                }
            }
            Frame::Data {
                stream,
                end_stream,
                data,
            } => {
                self.browser_credit(conn, c, stream, data.len(), end_stream, reset_by_us, o);
                if reset_by_us {
                    return;
                }
                let Some(s) = conn.stream_mut(stream) else {
                    self.connection_error(conn, c, ErrorCode::ProtocolError, o);
                    self.fail_waiting(b, c);
                    return;
                };
                if end_stream {
                    s.peer_ended = true;
                    s.st = St::Closed(Why::Ended);
                }
                let others_open = b.reqs.iter().any(|r| {
                    r.conn == c
                        && r.stream != stream
                        && r.status.is_some()
                        && r.outcome == Outcome::Waiting
                });
                if others_open {
                    b.interleaved = true;
                }
                if let Some(i) = Self::req_of(b, c, stream) {
                    let r = &mut b.reqs[i];
                    r.body = r.body.saturating_add(data.len().min(255) as u8);
                    if end_stream {
                        r.outcome = Outcome::Answered;
                    }
                }
                if self.cfg.push != super::push::Push::None {
                    self.browser_follow_references(b, c, &data, o);
                }
            }
            Frame::RstStream { stream, .. } => {
                if let Some(s) = conn.stream_mut(stream) {
                    if !matches!(s.st, St::Closed(_)) {
                        s.st = St::Closed(Why::ResetReceived);
                    }
                }
                if let Some(i) = Self::req_of(b, c, stream) {
                    b.reqs[i].outcome = Outcome::Failed;
                }
            }
            Frame::GoAway { last, code } => {
                conn.goaway_rcvd = Some(conn.goaway_rcvd.map_or(last, |l| l.min(last)));
                if code != ErrorCode::NoError {
                    conn.error = Some(code);
                }
                // §6.8: the streams above `last` were not processed; they may be sent
                // again on a new connection.
                let refused: Vec<usize> = (0..b.reqs.len())
                    .filter(|&i| {
                        let r = &b.reqs[i];
                        r.conn == c && r.stream > last && r.outcome == Outcome::Waiting
                    })
                    .collect();
                for &i in &refused {
                    let id = b.reqs[i].stream;
                    if let Some(s) = b.conns[ci].stream_mut(id) {
                        s.st = St::Closed(Why::Ignored);
                    }
                }
                if refused.is_empty() {
                    return;
                }
                if self.cfg.retry && b.conns.len() < self.cfg.connections as usize {
                    for &i in &refused {
                        b.reqs[i].retried = true;
                    }
                    self.open_and_send(b, &refused, o);
                } else {
                    for &i in &refused {
                        b.reqs[i].outcome = Outcome::Failed;
                    }
                }
            }
            _ => {}
        }
    }

    /// The connection ended: requests still waiting on it fail.
    pub(super) fn fail_waiting(&self, b: &mut Browser, c: u8) {
        for r in b.reqs.iter_mut() {
            if r.conn == c && r.outcome == Outcome::Waiting {
                r.outcome = Outcome::Failed;
            }
        }
    }

    fn browser_cancel(&self, b: &mut Browser, i: u8, o: &mut Out<Self>) {
        let r = &b.reqs[i as usize];
        if b.cancels == 0 || r.outcome != Outcome::Waiting {
            return;
        }
        let (c, id) = (r.conn, r.stream);
        let conn = &mut b.conns[c as usize];
        if conn.dead() || conn.peer_closed {
            return;
        }
        let Some(s) = conn.stream_mut(id) else {
            return;
        };
        if matches!(s.st, St::Closed(_)) {
            return;
        }
        s.st = St::Closed(Why::ResetSent);
        let rst = Frame::RstStream {
            stream: id,
            code: ErrorCode::Cancel,
        };
        self.send_frame(conn, c, rst, String::new(), o);
        b.reqs[i as usize].outcome = Outcome::Cancelled;
        b.cancels -= 1;
        if b.cancels == 0 {
            for j in 0..b.reqs.len() {
                o.cancel_timer(H2Timer::Cancel(j as u8));
            }
        }
    }

    // --- the origin -------------------------------------------------------------

    pub(super) fn response_fields(&self, path: &str) -> Vec<Field> {
        let (ty, _) = content_of(path);
        vec![
            (":status".into(), "200".into()),
            ("server".into(), "synack".into()),
            ("content-type".into(), ty.into()),
        ]
    }

    /// Whether the origin processes stream `id`: not above the last stream of a GOAWAY
    /// it sent (unless it is the buggy one that does).
    fn processes(&self, conn: &Conn, id: u32) -> bool {
        match conn.goaway_sent {
            Some((last, _)) if id > last => self.cfg.shutdown == Shutdown::ProcessesAboveLast,
            _ => true,
        }
    }

    /// The request on a stream is complete: the handler runs and the response's
    /// HEADERS goes out; its DATA follows as a step of its own.
    fn handle(&self, s: &mut Origin, c: u8, id: u32, o: &mut Out<Self>) {
        let conn = &mut s.conns[c as usize];
        let Some(req) = conn.stream(id).and_then(|st| st.req) else {
            return;
        };
        s.applied[req as usize] = s.applied[req as usize].saturating_add(1);
        let path = self.cfg.requests[req as usize].path.clone();
        let resize = conn.resize_note();
        let block = conn.encode(&self.response_fields(&path), self.cfg.indexing);
        let note = format!("{resize}200 {}", content_of(&path).0);
        let h = Frame::Headers {
            stream: id,
            end_stream: false,
            block,
        };
        self.send_frame(conn, c, h, note, o);
        let promise_first = matches!(
            self.cfg.push,
            super::push::Push::BeforeReference | super::push::Push::IgnoresEnablePush
        );
        if req == 0 && promise_first {
            self.origin_promise(conn, c, id, o);
        }
        o.set_timer(H2Timer::Write(c, id), now());
    }

    fn origin_write(&self, s: &mut Origin, c: u8, id: u32, o: &mut Out<Self>) {
        let conn = &mut s.conns[c as usize];
        if conn.dead() {
            return;
        }
        if self.flow_controlled() {
            return self.origin_write_flow(s, c, id, o);
        }
        if self.cfg.push != super::push::Push::None {
            return self.origin_write_push(s, c, id, o);
        }
        let Some(st) = conn.stream_mut(id) else {
            return;
        };
        if st.st != St::HalfClosedRemote {
            return;
        }
        st.st = St::Closed(Why::Ended);
        let path = &self.cfg.requests[st.req.unwrap_or(0) as usize].path;
        let d = Frame::Data {
            stream: id,
            end_stream: true,
            data: content_of(path).1.into_bytes(),
        };
        self.send_frame(conn, c, d, String::new(), o);
        self.maybe_close(conn, c, o);
    }

    /// After its final GOAWAY, the origin closes the connection once every stream it
    /// processes is done.
    pub(super) fn maybe_close(&self, conn: &mut Conn, c: u8, o: &mut Out<Self>) {
        let Some((last, true)) = conn.goaway_sent else {
            return;
        };
        if conn.closed {
            return;
        }
        let busy = conn.streams.iter().any(|s| {
            (s.id <= last || self.cfg.shutdown == Shutdown::ProcessesAboveLast)
                && matches!(s.st, St::Open | St::HalfClosedRemote | St::HalfClosedLocal)
        });
        if !busy {
            conn.closed = true;
            self.send(conn, c, 0, Body::Close, String::new(), o);
        }
    }

    fn origin_shutdown(&self, s: &mut Origin, o: &mut Out<Self>) {
        let Some(conn) = s.conns.get_mut(0) else {
            return;
        };
        if conn.dead() || conn.goaway_sent.is_some() {
            return;
        }
        match self.cfg.shutdown {
            Shutdown::None => {}
            Shutdown::TwoPhase => {
                let g = Frame::GoAway {
                    last: MAX_STREAM_ID,
                    code: ErrorCode::NoError,
                };
                self.send_frame(conn, 0, g, String::new(), o);
                conn.goaway_sent = Some((MAX_STREAM_ID, false));
                let p = Frame::Ping {
                    ack: false,
                    data: *b"goaway!!",
                };
                self.send_frame(conn, 0, p, String::new(), o);
                s.pinging = true;
            }
            Shutdown::Single | Shutdown::ProcessesAboveLast => {
                let last = conn.max_peer;
                let g = Frame::GoAway {
                    last,
                    code: ErrorCode::NoError,
                };
                self.send_frame(conn, 0, g, String::new(), o);
                conn.goaway_sent = Some((last, true));
                self.maybe_close(conn, 0, o);
            }
        }
    }

    fn origin_frame(&self, s: &mut Origin, c: u8, f: Frame, o: &mut Out<Self>) {
        let Some(conn) = s.conns.get_mut(c as usize) else {
            return;
        };
        if conn.dead() {
            return;
        }
        let reset_by_us = self.observe(conn, &f);
        match f {
            Frame::Settings { ack: false, params } => {
                self.peer_settings(conn, &params);
                for &(id, v) in &params {
                    match id {
                        setting::ENABLE_PUSH => conn.push_off = v == 0,
                        // RFC 7541 §4.2: the next block opens with a size update (a
                        // faithful encoder), or the encoder ignores the new limit.
                        setting::HEADER_TABLE_SIZE if self.cfg.size_update => {
                            conn.enc_resize = Some(v.min(DEFAULT_TABLE_SIZE));
                        }
                        _ => {}
                    }
                }
                let ack = Frame::Settings {
                    ack: true,
                    params: vec![],
                };
                self.send_frame(conn, c, ack, String::new(), o);
            }
            Frame::WindowUpdate { stream, increment } => {
                self.origin_window_update(conn, c, stream, increment, o);
            }
            Frame::Ping { ack: true, .. } if s.pinging && c == 0 => {
                s.pinging = false;
                let last = conn.max_peer;
                let g = Frame::GoAway {
                    last,
                    code: ErrorCode::NoError,
                };
                self.send_frame(conn, c, g, String::new(), o);
                conn.goaway_sent = Some((last, true));
                self.maybe_close(conn, c, o);
            }
            Frame::Ping { ack: false, data } => {
                self.send_frame(conn, c, Frame::Ping { ack: true, data }, String::new(), o);
            }
            Frame::Headers {
                stream,
                end_stream,
                block,
            } => {
                // Every block is decoded, even that of a stream it will ignore (§4.3).
                let Ok(fields) = self.decode(conn, &block, false) else {
                    self.connection_error(conn, c, ErrorCode::CompressionError, o);
                    return;
                };
                if reset_by_us {
                    return;
                }
                if conn.stream(stream).is_some()
                    || stream <= conn.max_peer
                    || stream.is_multiple_of(2)
                {
                    // Trailers are not in the model; a HEADERS on a closed or even
                    // stream is a connection error (§5.1, §5.1.1).
                    self.connection_error(conn, c, ErrorCode::ProtocolError, o);
                    return;
                }
                conn.max_peer = stream;
                let get = |n: &str| {
                    fields
                        .iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, v)| v.as_str())
                        .unwrap_or("")
                };
                let req = self
                    .cfg
                    .requests
                    .iter()
                    .position(|r| r.method == get(":method") && r.path == get(":path"))
                    .map(|i| i as u8);
                let processed = self.processes(conn, stream);
                let refused = processed && self.refuse_over_limit(conn, c, stream, o);
                let processed = processed && !refused;
                let st = if refused {
                    St::Closed(Why::ResetSent)
                } else if !processed {
                    St::Closed(Why::Ignored)
                } else if end_stream {
                    St::HalfClosedRemote
                } else {
                    St::Open
                };
                conn.streams.push(Stream {
                    id: stream,
                    st,
                    peer_ended: end_stream,
                    req,
                });
                if processed && end_stream {
                    self.handle(s, c, stream, o);
                }
            }
            Frame::Data {
                stream, end_stream, ..
            } => {
                if reset_by_us {
                    return;
                }
                let Some(st) = conn.stream_mut(stream) else {
                    self.connection_error(conn, c, ErrorCode::ProtocolError, o);
                    return;
                };
                if st.st == St::Closed(Why::Ignored) {
                    return;
                }
                if end_stream {
                    st.peer_ended = true;
                    if st.st == St::Open {
                        st.st = St::HalfClosedRemote;
                        self.handle(s, c, stream, o);
                    }
                }
            }
            Frame::PushPromise { .. } => {
                // §8.4: a client cannot push.
                self.connection_error(conn, c, ErrorCode::ProtocolError, o);
            }
            Frame::GoAway { code, .. } if code != ErrorCode::NoError => {
                // The browser ended the connection with an error (§5.4.1): nothing
                // more will be read.
                conn.error = Some(code);
            }
            Frame::RstStream { stream, .. } if self.cfg.max_streams.is_some() => {
                self.origin_reset(conn, c, stream, o);
            }
            Frame::RstStream { stream, .. } => {
                if let Some(st) = conn.stream_mut(stream) {
                    if !matches!(st.st, St::Closed(_)) {
                        st.st = St::Closed(Why::ResetReceived);
                        o.cancel_timer(H2Timer::Write(c, stream));
                    }
                }
                self.maybe_close(conn, c, o);
            }
            _ => {}
        }
    }
}

impl Actor for H2Node {
    type Msg = Chunk;
    type Timer = H2Timer;
    type State = H2State;
    type Random = u8;
    type Storage = ();

    fn on_start(&self, _id: Id, _s: &Option<()>, o: &mut Out<Self>) -> H2State {
        match self.role {
            Role::Browser => {
                let mut st = self.browser_start(o);
                if let H2State::Browser(b) = &mut st {
                    super::tcp::connect(self, b, o);
                }
                st
            }
            Role::Origin => {
                if self.cfg.shutdown != Shutdown::None {
                    o.set_timer(H2Timer::Shutdown, any_time());
                }
                H2State::Origin(Origin {
                    conns: Vec::new(),
                    applied: vec![0; self.cfg.requests.len()],
                    pinging: false,
                    pipe: super::tcp::listen(self),
                })
            }
        }
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<H2State>, _src: Id, msg: Chunk, o: &mut Out<Self>) {
        if let Body::Tcp(seg) = msg.body {
            return super::tcp::on_segment(self, _id, state, _src, seg, o);
        }
        let c = msg.conn;
        match state.to_mut() {
            H2State::Browser(b) => match msg.body {
                Body::Close => {
                    if let Some(conn) = b.conns.get_mut(c as usize) {
                        conn.peer_closed = true;
                    }
                    self.fail_waiting(b, c);
                }
                Body::Frame(bytes) => match Frame::decode(&bytes) {
                    Ok(f) => {
                        self.browser_frame(b, c, f, o);
                        // A closed stream may make room for a refused request.
                        self.browser_flush(b, c, o);
                    }
                    Err(e) => {
                        if let Some(conn) = b.conns.get_mut(c as usize) {
                            self.connection_error(conn, c, e.0, o);
                        }
                        self.fail_waiting(b, c);
                    }
                },
                Body::Preface(_) | Body::Tcp(_) => {}
            },
            H2State::Origin(s) => match msg.body {
                Body::Preface(p) => {
                    while s.conns.len() <= c as usize {
                        s.conns.push(Conn::new(2));
                    }
                    let conn = &mut s.conns[c as usize];
                    if conn.dead() {
                        return;
                    }
                    if p.as_slice() != PREFACE || conn.preface {
                        self.connection_error(conn, c, ErrorCode::ProtocolError, o);
                        return;
                    }
                    conn.preface = true;
                    // §3.4: the server's preface is a SETTINGS frame.
                    let settings = Frame::Settings {
                        ack: false,
                        params: self.origin_settings(),
                    };
                    self.send_frame(conn, c, settings, String::new(), o);
                }
                Body::Close => {
                    if let Some(conn) = s.conns.get_mut(c as usize) {
                        conn.peer_closed = true;
                    }
                }
                Body::Tcp(_) => {}
                Body::Frame(bytes) => {
                    if self.cfg.transport == Transport::PerStream {
                        // QUIC has no preface that precedes every stream: a stream's
                        // frames may come first, and open the connection's state.
                        while s.conns.len() <= c as usize {
                            s.conns.push(Conn::new(2));
                        }
                    } else if s.conns.get(c as usize).is_none_or(|cn| !cn.preface) {
                        return;
                    }
                    match Frame::decode(&bytes) {
                        Ok(f) => self.origin_frame(s, c, f, o),
                        Err(e) => {
                            let conn = &mut s.conns[c as usize];
                            self.connection_error(conn, c, e.0, o);
                        }
                    }
                }
            },
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<H2State>, timer: &H2Timer, o: &mut Out<Self>) {
        if let H2Timer::Tcp(t) = *timer {
            return super::tcp::on_timer(self, _id, state, t, o);
        }
        match (state.to_mut(), *timer) {
            (H2State::Browser(b), H2Timer::Cancel(i)) => self.browser_cancel(b, i, o),
            (H2State::Browser(b), H2Timer::Attack) => self.browser_attack(b, o),
            (H2State::Browser(b), H2Timer::RefusePush(c, id)) => {
                self.browser_refuse_push(b, c, id, o)
            }
            (H2State::Origin(s), H2Timer::Write(c, id)) => self.origin_write(s, c, id, o),
            (H2State::Origin(s), H2Timer::Shutdown) => self.origin_shutdown(s, o),
            _ => {}
        }
        super::tcp::outgoing(self, state.to_mut(), o);
    }
}

// The checker packs an HTTP/2 node's state, chunks and timers by postcard
// (`crate::wire::flat`).
crate::flat_by_postcard!(H2State, Chunk, H2Timer);
