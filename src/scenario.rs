//! The scenario file format (`models/*.toml`).
//!
//! A scenario names a protocol model, its variant knobs, the network's faults, the
//! bounds, and the expected verdict of every property it checks. Unknown keys, bad
//! values and contradictory bounds are errors that name the file, line and key.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A bound that may be lifted: a number, or `"unlimited"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(pub Option<u8>);

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(i64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) if (0..=250).contains(&n) => Ok(Limit(Some(n as u8))),
            Raw::N(n) => Err(serde::de::Error::custom(format!(
                "{n} is out of range: expected 0 to 250 or \"unlimited\""
            ))),
            Raw::S(s) if s == "unlimited" => Ok(Limit(None)),
            Raw::S(s) => Err(serde::de::Error::custom(format!(
                "expected a number or \"unlimited\", found {s:?}"
            ))),
        }
    }
}

/// `[network]`: the faults and bounds of the timed wire.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub msl: u8,
    #[serde(default)]
    pub loss: bool,
    pub loss_budget: Option<Limit>,
    #[serde(default)]
    pub duplication: bool,
    pub duplication_budget: Option<Limit>,
    #[serde(default = "yes")]
    pub reordering: bool,
    pub capacity: u8,
}

fn yes() -> bool {
    true
}

/// `[fairness]`: what a fair run may assume, for the liveness properties.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fairness {
    /// Strong fairness of delivery ("fair loss").
    #[serde(default)]
    pub fair_loss: bool,
}

/// The ISN generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isn {
    /// RFC 6528: ISN = M + F(4-tuple), M a clock that advances `isn_clock` sequence
    /// numbers a tick, F a fixed offset per host (`isn_offsets`).
    Clock,
    /// An idealisation no stack implements: an ISS whose range overlaps no live
    /// segment of this host's earlier connections, whatever the time.
    Oracle,
    /// Any value of `isns`: a stack that ignores MUST-8 (a named hazard).
    Random,
}

/// When the server's application calls the passive OPEN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Listen {
    /// It is listening when the run starts.
    AtStart,
    /// CLOSED → LISTEN is a step of the run (a SYN may arrive before it).
    Step,
}

/// Which host may crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Crash {
    None,
    Client,
    Server,
}

/// `[tcp]`: the endpoints' knobs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tcp {
    #[serde(default = "three_way")]
    pub handshake: crate::tcp::Handshake,
    pub isn: Isn,
    /// The values a `random` or `oracle` generator picks from.
    #[serde(default)]
    pub isns: Vec<u8>,
    /// The clock's rate, in sequence numbers per tick (`isn = "clock"`).
    pub isn_clock: Option<u8>,
    /// F(4-tuple) of the client and of the server (`isn = "clock"`).
    pub isn_offsets: Option<[u8; 2]>,
    pub space: u8,
    #[serde(default = "two")]
    pub rcv_wnd: u8,
    pub rto: u8,
    /// The cap of the exponential backoff, in ticks (default 60).
    pub rto_max: Option<u8>,
    /// R2 as a time: abort when a segment has waited this many ticks since it was
    /// first sent.
    pub user_timeout: Option<u8>,
    pub retries: Limit,
    /// The server's retries, when they differ from the client's.
    pub server_retries: Option<Limit>,
    /// TIME-WAIT in MSL units.
    pub time_wait: u8,
    #[serde(default)]
    pub ignore_rst_in_time_wait: bool,
    /// Quiet time after an abort or crash, in MSL units.
    #[serde(default)]
    pub quiet_time: u8,
    pub fin_wait_2_timeout: Option<u8>,
    pub incarnations: u8,
    #[serde(default)]
    pub client_data: u8,
    /// The bytes of the client's data chunks, instead of `data1`, `data2`, ...
    #[serde(default)]
    pub client_payload: Option<String>,
    #[serde(default)]
    pub server_data: u8,
    #[serde(default = "passive")]
    pub server_open: crate::tcp::Open,
    #[serde(default = "after_peer")]
    pub server_close: crate::tcp::CloseWhen,
    #[serde(default = "no_crash")]
    pub crash: Crash,
    /// How the client's application closes: `"first"`, or `"any-time"` (even in
    /// SYN-SENT).
    #[serde(default = "first")]
    pub client_close: crate::tcp::CloseWhen,
    /// `close()` or `shutdown(SHUT_WR)`, for both applications.
    #[serde(default = "shutdown")]
    pub close_call: crate::tcp::CloseCall,
    /// Whether the applications read what arrives (`false`: a `close()` over unread
    /// data is a RST, RFC 1122 §4.2.2.13).
    #[serde(default = "yes")]
    pub reads: bool,
    /// Whether an ABORT's RST carries an ACK, as Linux's does (§3.10.5 has none).
    #[serde(default)]
    pub rst_ack: bool,
    /// Ticks between the applications' calls (0: a burst).
    #[serde(default)]
    pub pace: u8,
    /// Delayed ACK (§3.8.6.3).
    #[serde(default)]
    pub delayed_ack: bool,
    /// A SYN,ACK in SYN-RECEIVED: `"stack"` (Linux 6.11+, FreeBSD) or `"rfc-text"`.
    #[serde(default = "stack")]
    pub simultaneous_open: crate::tcp::SimultaneousOpen,
    /// When the server listens.
    #[serde(default = "at_start")]
    pub server_listen: Listen,
    /// Whether the client closes its last incarnation (a bound: `false` ends the run
    /// with the next connection open).
    #[serde(default = "yes")]
    pub close_last: bool,
}

fn first() -> crate::tcp::CloseWhen {
    crate::tcp::CloseWhen::First
}
fn shutdown() -> crate::tcp::CloseCall {
    crate::tcp::CloseCall::Shutdown
}
fn stack() -> crate::tcp::SimultaneousOpen {
    crate::tcp::SimultaneousOpen::Stack
}
fn at_start() -> Listen {
    Listen::AtStart
}

fn three_way() -> crate::tcp::Handshake {
    crate::tcp::Handshake::ThreeWay
}
fn two() -> u8 {
    2
}
fn passive() -> crate::tcp::Open {
    crate::tcp::Open::Passive
}
fn after_peer() -> crate::tcp::CloseWhen {
    crate::tcp::CloseWhen::AfterPeer
}
fn no_crash() -> Crash {
    Crash::None
}

/// `[http]`: the page load of the browser, resolver and origin.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// What the user clicked.
    pub url: String,
    /// Other request targets the user may fetch instead (one per run).
    #[serde(default)]
    pub links: Vec<String>,
    #[serde(default = "get")]
    pub method: String,
    /// Whether requests carry Host (RFC 9110 §7.2); without it the origin answers 400.
    #[serde(default = "yes")]
    pub send_host: bool,
    #[serde(default = "user_agent")]
    pub user_agent: String,
    /// DNS queries before the resolver gives up (RFC 1035 §4.2.1).
    pub dns_tries: u8,
    /// The resolver's retransmission timeout, in ticks.
    pub dns_rto: u8,
    /// The resolver's query IDs: `"sequential"` (1, 2, 3, ...: predictable), or a list
    /// the checker picks from for each transmission (RFC 5452 §9.2).
    #[serde(default)]
    pub dns_ids: DnsIds,
    /// The resolver's source ports: one is a fixed port; from several, the checker
    /// picks one for each transmission (RFC 5452 §9.2).
    #[serde(default = "dns_port")]
    pub dns_ports: Vec<u16>,
    /// An off-path host that races the name server with forged replies.
    pub dns_spoofer: Option<HttpDnsSpoofer>,
    /// The browser's response deadline, in ticks, or `"unlimited"`: it waits for ever.
    pub deadline: Limit,
    /// Redirects followed in a row before the browser gives up: 20 in the Fetch
    /// standard (and in Chromium and Firefox).
    #[serde(default = "twenty")]
    pub max_redirects: u8,
    /// The A record of the URL's host.
    pub address: String,
    /// The origin's resources.
    #[serde(default)]
    pub route: Vec<HttpRoute>,
    /// A second request on the persistent connection, racing the idle close.
    pub keepalive: Option<HttpKeepAlive>,
    /// How the origin frames its responses and how it may fail.
    #[serde(default)]
    pub origin: HttpOrigin,
    /// A gateway between the browser and the origin.
    pub gateway: Option<HttpGateway>,
    /// A POST sends `Expect: 100-continue` and waits this many ticks for 100 Continue
    /// before it sends its body anyway (RFC 9110 §10.1.1).
    pub expect_continue: Option<u8>,
}

/// `dns_ids`: `"sequential"`, or the IDs to pick from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DnsIds {
    #[default]
    Sequential,
    Random(Vec<u16>),
}

impl DnsIds {
    /// The IDs to pick from; `None` for sequential IDs.
    pub fn ids(&self) -> Option<Vec<u16>> {
        match self {
            DnsIds::Sequential => None,
            DnsIds::Random(v) => Some(v.clone()),
        }
    }
}

impl<'de> Deserialize<'de> for DnsIds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            L(Vec<i64>),
        }
        let bad = |m: String| serde::de::Error::custom(m);
        match Raw::deserialize(d).map_err(|_: D::Error| {
            bad("expected \"sequential\" or a list of IDs (0 to 65535)".into())
        })? {
            Raw::S(s) if s == "sequential" => Ok(DnsIds::Sequential),
            Raw::S(s) => Err(bad(format!(
                "expected \"sequential\" or a list of IDs, found {s:?}"
            ))),
            Raw::L(v) => v
                .into_iter()
                .map(|n| {
                    u16::try_from(n).map_err(|_| {
                        bad(format!("{n} is not a DNS ID: IDs are 16 bits, 0 to 65535"))
                    })
                })
                .collect::<Result<Vec<u16>, _>>()
                .map(DnsIds::Random),
        }
    }
}

fn dns_port() -> Vec<u16> {
    vec![crate::dns::DNS_PORT]
}

/// `[http.dns_spoofer]`: an off-path host that forges replies from the name server.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpDnsSpoofer {
    /// The address its forged A record gives.
    pub answer: String,
    /// The query IDs it may guess.
    pub ids: Vec<u16>,
    /// The resolver source ports it may guess.
    pub ports: Vec<u16>,
    /// Forged replies it sends, one guess each.
    #[serde(default = "one")]
    pub forgeries: u8,
}

impl HttpDnsSpoofer {
    /// `answer` as octets (validated).
    pub fn answer_octets(&self) -> [u8; 4] {
        self.answer
            .parse::<std::net::Ipv4Addr>()
            .map(|a| a.octets())
            .unwrap_or([0; 4])
    }
}

/// `[http.origin]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpOrigin {
    /// The framings the origin may use, one per run (RFC 9112 §6.3).
    #[serde(default = "content_length")]
    pub framing: Vec<crate::http::message::Framing>,
    /// The segments a response takes: 1, or 2 (the head and half the body, then the
    /// rest).
    #[serde(default = "one")]
    pub chunks: u8,
    /// How the origin may fail to answer a request, besides answering it (one per
    /// request, chosen by the checker).
    #[serde(default)]
    pub faults: Vec<crate::http::node::OriginFault>,
    /// How the origin closes an idle persistent connection: `"close"` (a RST answers
    /// later data, as Linux and Go) or `"lingering"` (nginx: read and discard).
    #[serde(default)]
    pub idle_close: crate::http::node::IdleClose,
}

impl Default for HttpOrigin {
    fn default() -> Self {
        HttpOrigin {
            framing: content_length(),
            chunks: 1,
            faults: Vec::new(),
            idle_close: Default::default(),
        }
    }
}

fn content_length() -> Vec<crate::http::message::Framing> {
    vec![crate::http::message::Framing::ContentLength]
}
fn one() -> u8 {
    1
}

/// `[http.gateway]`: a reverse proxy that the name resolves to.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpGateway {
    /// Ticks the gateway waits for the origin's response before it answers 504.
    pub timeout: u8,
}

/// `[http.keepalive]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpKeepAlive {
    pub target: String,
    pub methods: Vec<String>,
    pub think: u8,
    pub idle: u8,
    pub retry: crate::http::node::Retry,
}

fn twenty() -> u8 {
    20
}
fn get() -> String {
    "GET".into()
}
fn user_agent() -> String {
    "synack/0.1".into()
}

/// One `[[http.route]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRoute {
    /// The only method allowed (any when absent); others get 405.
    pub method: Option<String>,
    pub path: String,
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body of the response (default: `<path> body`; `""` for none).
    pub body: Option<String>,
}

/// An expected verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Expected {
    #[serde(rename = "holds")]
    Holds,
    #[serde(rename = "violated")]
    Violated,
    #[serde(rename = "found")]
    Found,
    #[serde(rename = "not found")]
    NotFound,
}

impl Expected {
    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Holds => "holds",
            Expected::Violated => "violated",
            Expected::Found => "found",
            Expected::NotFound => "not found",
        }
    }
}

/// `[h2]`: the HTTP/2 page load (`model = "h2"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct H2 {
    /// The `:authority` of every request.
    #[serde(default = "rbooks")]
    pub authority: String,
    /// The page's requests, `"METHOD PATH"`, one stream each (1 to 3).
    pub requests: Vec<String>,
    /// The channel below the frames.
    pub transport: crate::h2::node::Transport,
    /// How many requests the user may cancel with RST_STREAM.
    #[serde(default)]
    pub cancels: u8,
    /// How the browser treats frames on streams it reset.
    #[serde(default = "faithful")]
    pub receiver: crate::h2::node::Receiver,
    /// How the origin shuts connection 0 down.
    #[serde(default = "no_shutdown")]
    pub shutdown: crate::h2::node::Shutdown,
    /// Whether the browser retries requests a GOAWAY refused.
    #[serde(default = "yes")]
    pub retry: bool,
    /// The connections the browser may open (1 to 2).
    #[serde(default = "one")]
    pub connections: u8,
    /// Whether the HPACK encoders use the dynamic table.
    #[serde(default = "yes")]
    pub indexing: bool,
    /// The browser's SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113 §6.5.2); absent, flow
    /// control is not modelled.
    pub window: Option<u32>,
    /// The connection's initial window, 65,535 octets scaled down (1 to 65,535).
    #[serde(default = "default_connection_window")]
    pub connection_window: u32,
    /// The origin's SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2; 1 to 3).
    pub max_streams: Option<u32>,
    /// Iterations of a rapid-reset client (CVE-2023-44487; 0 to 4): it opens a
    /// stream and resets it at once.
    #[serde(default)]
    pub rapid_resets: u8,
    /// The client resets the origin tolerates before it ends the connection with
    /// ENHANCE_YOUR_CALM.
    #[serde(default)]
    pub reset_budget: u8,
    /// Which resets the origin counts against the budget.
    #[serde(default = "count_nothing")]
    pub reset_count: crate::h2::concurrency::ResetCount,
    /// Whether and how the origin pushes the page's second resource (RFC 9113 §8.4).
    #[serde(default = "no_push")]
    pub push: crate::h2::push::Push,
    /// The browser's SETTINGS_ENABLE_PUSH (RFC 9113 §6.5.2).
    #[serde(default = "yes")]
    pub enable_push: bool,
    /// Whether the browser may refuse a push with RST_STREAM CANCEL.
    #[serde(default)]
    pub refuse_push: bool,
    /// The browser's SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2), below the default
    /// 4,096.
    pub header_table_size: Option<u32>,
    /// Whether the origin's encoder opens its first field block after acknowledging a
    /// lowered SETTINGS_HEADER_TABLE_SIZE with a dynamic table size update (RFC 7541
    /// §4.2).
    #[serde(default = "yes")]
    pub size_update: bool,
}

fn no_push() -> crate::h2::push::Push {
    crate::h2::push::Push::None
}

fn count_nothing() -> crate::h2::concurrency::ResetCount {
    crate::h2::concurrency::ResetCount::Nothing
}

fn default_connection_window() -> u32 {
    crate::h2::flow::DEFAULT_WINDOW
}

fn rbooks() -> String {
    "www.rbooks.top".into()
}

fn faithful() -> crate::h2::node::Receiver {
    crate::h2::node::Receiver::Faithful
}

fn no_shutdown() -> crate::h2::node::Shutdown {
    crate::h2::node::Shutdown::None
}

/// `[finding."PROPERTY"]`: what a verdict of the scenario teaches, for the book's
/// findings table (`tests/catalogue.rs` writes it, with the verdict the checker
/// computed). Each key is one line of Markdown.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// What the verdict shows about the protocol.
    pub shows: String,
    /// What real stacks (kernels, browsers, resolvers, servers) do about it, where
    /// the book has the facts; absent, the table says "—".
    pub real: Option<String>,
}

/// The longest `shows` or `real` text: one table cell, not an essay.
pub const MAX_FINDING_CHARS: usize = 400;

/// The file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    description: String,
    model: String,
    network: Network,
    #[serde(default)]
    fairness: Fairness,
    tcp: Option<Tcp>,
    http: Option<Http>,
    h2: Option<H2>,
    expect: BTreeMap<String, Expected>,
    #[serde(default)]
    finding: BTreeMap<String, Finding>,
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub path: PathBuf,
    pub description: String,
    pub model: String,
    pub network: Network,
    pub fairness: Fairness,
    pub tcp: Option<Tcp>,
    pub http: Option<Http>,
    pub h2: Option<H2>,
    /// Expected verdicts, in file order.
    pub expect: Vec<(String, Expected)>,
    /// The findings the book's table lists, in the order of `expect`.
    pub findings: Vec<(String, Finding)>,
}

/// A bad scenario: the file, the line, the key, and what is wrong.
#[derive(Debug)]
pub struct ScenarioError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": key `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// The largest scenario file synack reads (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// A timer length in ticks must stay below [`crate::wire::NO_DEADLINE`], the wire's
/// "no deadline" sentinel: a 255-tick timer would never be forced to fire.
fn check_timer(
    s: &Scenario,
    text: &str,
    table: Option<&str>,
    key: &str,
    ticks: Option<u8>,
) -> Result<(), ScenarioError> {
    match ticks {
        // In u16, so that the test stays right if the sentinel ever drops below u8::MAX.
        Some(v) if u16::from(v) >= u16::from(crate::wire::NO_DEADLINE) => Err(s.err(
            text,
            table,
            key,
            format!(
                "{v} ticks is too long: a timer must be at most {} ticks",
                crate::wire::NO_DEADLINE - 1
            ),
        )),
        _ => Ok(()),
    }
}

/// The table a header line names: `[tcp]` and `[[http.route]]` give `tcp` and
/// `http.route`.
fn header(line: &str) -> Option<String> {
    let t = line.trim();
    t.starts_with('[').then(|| {
        let name = t.split(']').next().unwrap_or("");
        name.trim_start_matches('[').trim().to_string()
    })
}

/// The dotted key (`tcp.rto`) assigned, or the table (`tcp`) opened, on the line of
/// byte `offset`: what a toml type error points at.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    if let Some(table) = header(line) {
        return Some(table);
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    let table = text[..start].lines().filter_map(header).next_back();
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

/// The line (1-based) where `key` is assigned in `[table]` (or at the top).
fn line_of(text: &str, table: Option<&str>, key: &str) -> Option<usize> {
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(h) = header(t) {
            current = Some(h);
            continue;
        }
        let k = t.split('=').next().unwrap_or("").trim().trim_matches('"');
        if t.contains('=') && k == key && current.as_deref() == table {
            return Some(i + 1);
        }
    }
    None
}

impl Scenario {
    /// Reads and validates one scenario file. Anything but a regular file (a FIFO
    /// would block for ever, `/dev/zero` never ends) and any file over
    /// [`MAX_FILE_BYTES`] is refused before it is read.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let fail = |message: String| ScenarioError {
            path: path.to_path_buf(),
            line: None,
            key: None,
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
        if !meta.is_file() {
            return Err(fail("not a regular file".into()));
        }
        let too_big = || {
            fail(format!(
                "larger than {} MiB: a scenario file is a few lines of TOML",
                MAX_FILE_BYTES >> 20
            ))
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_big());
        }
        // The file may have grown since: read no more than the limit and one byte.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| {
                use std::io::Read;
                f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)
            })
            .map_err(|e| fail(format!("cannot read it: {e}")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_big());
        }
        let text = String::from_utf8(bytes).map_err(|e| fail(format!("cannot read it: {e}")))?;
        Scenario::parse(path, &text)
    }

    /// Parses and validates scenario text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            // toml may spread one cause over several lines: keep it to one.
            let msg = e
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(": ");
            let key = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.starts_with("unknown field") || msg.starts_with("missing field"))
                .map(str::to_string)
                // A bad value or a bad table: the key (or table) written where it points.
                .or_else(|| e.span().and_then(|s| key_at(text, s.start)));
            ScenarioError {
                path: path.to_path_buf(),
                line,
                key,
                message: msg,
            }
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // toml keeps tables sorted; the file's order reads better in reports.
        let mut expect: Vec<(String, Expected)> = file.expect.into_iter().collect();
        expect.sort_by_key(|(k, _)| line_of(text, Some("expect"), k).unwrap_or(usize::MAX));
        let mut findings: Vec<(String, Finding)> = file.finding.into_iter().collect();
        findings.sort_by_key(|(k, _)| {
            expect
                .iter()
                .position(|(e, _)| e == k)
                .unwrap_or(usize::MAX)
        });
        let s = Scenario {
            name,
            path: path.to_path_buf(),
            description: file.description,
            model: file.model,
            network: file.network,
            fairness: file.fairness,
            tcp: file.tcp,
            http: file.http,
            h2: file.h2,
            expect,
            findings,
        };
        s.validate(text)?;
        Ok(s)
    }

    fn err(&self, text: &str, table: Option<&str>, key: &str, message: String) -> ScenarioError {
        ScenarioError {
            path: self.path.clone(),
            line: line_of(text, table, key),
            key: Some(match table {
                Some(t) => format!("{t}.{key}"),
                None => key.to_string(),
            }),
            message,
        }
    }

    fn validate(&self, text: &str) -> Result<(), ScenarioError> {
        let n = &self.network;
        let net = Some("network");
        if n.msl == 0 || n.msl > 8 {
            return Err(self.err(text, net, "msl", "must be 1 to 8 ticks".into()));
        }
        if n.capacity == 0 || n.capacity > 12 {
            return Err(self.err(text, net, "capacity", "must be 1 to 12 segments".into()));
        }
        if !n.loss && matches!(n.loss_budget, Some(Limit(None)) | Some(Limit(Some(1..)))) {
            return Err(self.err(
                text,
                net,
                "loss_budget",
                "a loss budget needs `loss = true` (segments may still expire undelivered only within the budget)".into(),
            ));
        }
        if !n.duplication
            && matches!(
                n.duplication_budget,
                Some(Limit(None)) | Some(Limit(Some(1..)))
            )
        {
            return Err(self.err(
                text,
                net,
                "duplication_budget",
                "a duplication budget needs `duplication = true`".into(),
            ));
        }
        match self.model.as_str() {
            "tcp" => self.validate_tcp(text),
            "page-load" => self
                .validate_tcp(text)
                .and_then(|()| self.validate_http(text)),
            "h2" => self.validate_h2(text),
            other => Err(self.err(
                text,
                None,
                "model",
                format!("unknown model {other:?}; known models: \"tcp\", \"page-load\", \"h2\""),
            )),
        }?;
        let known = crate::check::property_names(&self.model);
        for (name, exp) in &self.expect {
            let Some(kind) = known.iter().find(|(n, _)| n == name).map(|(_, k)| *k) else {
                let list: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
                return Err(self.err(
                    text,
                    Some("expect"),
                    name,
                    format!(
                        "unknown property; the {} model has: {}",
                        self.model,
                        list.join(", ")
                    ),
                ));
            };
            let ok = match kind {
                "sometimes" => matches!(exp, Expected::Found | Expected::NotFound),
                _ => matches!(exp, Expected::Holds | Expected::Violated),
            };
            if !ok {
                let want = if kind == "sometimes" {
                    "\"found\" or \"not found\""
                } else {
                    "\"holds\" or \"violated\""
                };
                return Err(self.err(
                    text,
                    Some("expect"),
                    name,
                    format!("a {kind} property expects {want}, not {:?}", exp.as_str()),
                ));
            }
        }
        if self.expect.is_empty() {
            return Err(self.err(
                text,
                None,
                "expect",
                "the scenario checks no property".into(),
            ));
        }
        self.validate_findings(text)
    }

    /// `[finding."PROPERTY"]`: a property of `[expect]`, and two lines of text.
    fn validate_findings(&self, text: &str) -> Result<(), ScenarioError> {
        for (name, f) in &self.findings {
            let table = format!("finding.\"{name}\"");
            if !self.expect.iter().any(|(e, _)| e == name) {
                return Err(ScenarioError {
                    path: self.path.clone(),
                    line: text
                        .lines()
                        .position(|l| header(l).as_deref() == Some(table.as_str()))
                        .map(|i| i + 1),
                    key: Some(table),
                    message: "a finding must name a property of [expect]".into(),
                });
            }
            let texts = [("shows", Some(&f.shows)), ("real", f.real.as_ref())];
            for (key, v) in texts.into_iter().filter_map(|(k, v)| Some((k, v?))) {
                let problem = if v.trim().is_empty() {
                    Some("must not be empty".to_string())
                } else if v.chars().any(char::is_control) {
                    Some("must be one line of text, without control characters".into())
                } else if v.chars().count() > MAX_FINDING_CHARS {
                    Some(format!(
                        "{} characters: a table cell holds at most {MAX_FINDING_CHARS}",
                        v.chars().count()
                    ))
                } else {
                    None
                };
                if let Some(m) = problem {
                    return Err(self.err(text, Some(&table), key, m));
                }
            }
        }
        Ok(())
    }

    fn validate_tcp(&self, text: &str) -> Result<(), ScenarioError> {
        let t = Some("tcp");
        let Some(tcp) = &self.tcp else {
            return Err(self.err(
                text,
                None,
                "tcp",
                "the tcp model needs a [tcp] table".into(),
            ));
        };
        if !(2..=crate::tcp::endpoint::MAX_SPACE as u8).contains(&tcp.space) {
            return Err(self.err(
                text,
                t,
                "space",
                format!(
                    "the sequence space must be 2 to {}",
                    crate::tcp::endpoint::MAX_SPACE
                ),
            ));
        }
        if tcp.isn == Isn::Clock {
            if tcp.isn_clock.is_none_or(|c| c == 0 || c >= tcp.space) {
                return Err(self.err(
                    text,
                    t,
                    "isn_clock",
                    "an ISN clock needs `isn_clock`, 1 to space-1 sequence numbers a tick".into(),
                ));
            }
            if let Some(bad) = tcp.isn_offsets.iter().flatten().find(|&&o| o >= tcp.space) {
                return Err(self.err(
                    text,
                    t,
                    "isn_offsets",
                    format!(
                        "offset {bad} lies outside the sequence space 0..{}",
                        tcp.space
                    ),
                ));
            }
        } else if tcp.isn_clock.is_some() || tcp.isn_offsets.is_some() {
            let key = if tcp.isn_clock.is_some() {
                "isn_clock"
            } else {
                "isn_offsets"
            };
            return Err(self.err(
                text,
                t,
                key,
                "only an ISN clock (`isn = \"clock\"`) takes this".into(),
            ));
        } else if tcp.isns.is_empty() {
            return Err(self.err(text, t, "isns", "give at least one ISN".into()));
        }
        if let Some(bad) = tcp.isns.iter().find(|&&i| i >= tcp.space) {
            return Err(self.err(
                text,
                t,
                "isns",
                format!("ISN {bad} lies outside the sequence space 0..{}", tcp.space),
            ));
        }
        // Derived bounds are computed in u16: in u8, `rcv_wnd = 128` doubles to 0.
        if tcp.rcv_wnd == 0 || u16::from(tcp.rcv_wnd) * 2 > u16::from(tcp.space) {
            return Err(self.err(
                text,
                t,
                "rcv_wnd",
                "the window must be at least 1 and at most half the sequence space".into(),
            ));
        }
        if tcp.user_timeout == Some(0) {
            return Err(self.err(text, t, "user_timeout", "must be at least 1 tick".into()));
        }
        if tcp.rto == 0 {
            return Err(self.err(
                text,
                t,
                "rto",
                "the retransmission timeout must be at least 1 tick".into(),
            ));
        }
        check_timer(self, text, t, "rto", Some(tcp.rto))?;
        check_timer(self, text, t, "fin_wait_2_timeout", tcp.fin_wait_2_timeout)?;
        check_timer(self, text, t, "rto_max", tcp.rto_max)?;
        check_timer(self, text, t, "pace", Some(tcp.pace))?;
        if tcp.rto_max.is_some_and(|m| m < tcp.rto) {
            return Err(self.err(
                text,
                t,
                "rto_max",
                "the backoff cap must be at least `rto`".into(),
            ));
        }
        if tcp.incarnations == 0 || tcp.incarnations > 3 {
            return Err(self.err(text, t, "incarnations", "must be 1 to 3".into()));
        }
        if tcp.time_wait > 4 || tcp.quiet_time > 4 {
            let key = if tcp.time_wait > 4 {
                "time_wait"
            } else {
                "quiet_time"
            };
            return Err(self.err(text, t, key, "must be 0 to 4 MSL".into()));
        }
        let span = 2 + u16::from(tcp.client_data.max(tcp.server_data));
        if span * 2 > u16::from(tcp.space) {
            return Err(self.err(
                text,
                t,
                "space",
                format!(
                    "a connection uses {span} sequence numbers; the space must hold twice that"
                ),
            ));
        }
        Ok(())
    }

    fn validate_h2(&self, text: &str) -> Result<(), ScenarioError> {
        let t = Some("h2");
        let Some(h) = &self.h2 else {
            return Err(self.err(text, None, "h2", "the h2 model needs an [h2] table".into()));
        };
        if h.transport == crate::h2::node::Transport::Tcp {
            return self.validate_h2_tcp(text, h);
        }
        for (table, present) in [("tcp", self.tcp.is_some()), ("http", self.http.is_some())] {
            if present {
                return Err(self.err(
                    text,
                    None,
                    table,
                    format!("the h2 model takes no [{table}] table: its frames run on a lossless channel"),
                ));
            }
        }
        let n = &self.network;
        let net = Some("network");
        for (key, on) in [
            ("loss", n.loss),
            ("duplication", n.duplication),
            ("reordering", n.reordering),
        ] {
            if on {
                return Err(self.err(
                    text,
                    net,
                    key,
                    format!(
                        "the h2 model's channel below the frames has no {key}: TCP repairs it \
                         (say `{key} = false`; `[h2] transport` chooses the order)"
                    ),
                ));
            }
        }
        if h.requests.is_empty() || h.requests.len() > 3 {
            return Err(self.err(text, t, "requests", "give 1 to 3 requests".into()));
        }
        for r in &h.requests {
            let ok = r.split_once(' ').is_some_and(|(m, p)| {
                matches!(m, "GET" | "POST")
                    && p.starts_with('/')
                    && !p.contains(' ')
                    && !p.chars().any(char::is_control)
            });
            if !ok {
                return Err(self.err(
                    text,
                    t,
                    "requests",
                    format!("{r:?} is not \"GET /path\" or \"POST /path\""),
                ));
            }
        }
        if h.authority.is_empty()
            || h.authority.len() > 64
            || h.authority.chars().any(|c| c.is_control() || c == ' ')
        {
            return Err(self.err(
                text,
                t,
                "authority",
                "must be a host name of 1 to 64 characters".into(),
            ));
        }
        if h.cancels as usize > h.requests.len() {
            return Err(self.err(
                text,
                t,
                "cancels",
                "the user cannot cancel more requests than the page makes".into(),
            ));
        }
        if h.connections == 0 || h.connections > 2 {
            return Err(self.err(text, t, "connections", "must be 1 or 2".into()));
        }
        if h.window
            .is_some_and(|w| w == 0 || w > crate::h2::frame::MAX_STREAM_ID)
        {
            return Err(self.err(
                text,
                t,
                "window",
                "must be 1 to 2^31-1 (RFC 9113 §6.5.2)".into(),
            ));
        }
        if h.header_table_size
            .is_some_and(|n| n >= crate::h2::hpack::DEFAULT_TABLE_SIZE)
        {
            return Err(self.err(
                text,
                t,
                "header_table_size",
                "must lower the default: 0 to 4095 (RFC 9113 §6.5.2)".into(),
            ));
        }
        let pushing = h.push != crate::h2::push::Push::None;
        if pushing || h.refuse_push || !h.enable_push {
            let distinct = h
                .requests
                .iter()
                .enumerate()
                .all(|(i, r)| !h.requests[..i].contains(r));
            let page = h.requests.len() >= 2
                && h.requests.iter().all(|r| r.starts_with("GET "))
                && distinct;
            if !page {
                return Err(self.err(
                    text,
                    t,
                    "requests",
                    "with push, give the page and the resources it refers to (the first pushed): \
                     two or three different GETs"
                        .into(),
                ));
            }
            let plain = h.transport == crate::h2::node::Transport::InOrder
                && h.window.is_none()
                && h.max_streams.is_none()
                && h.rapid_resets == 0
                && h.cancels == 0
                && h.connections == 1
                && h.shutdown == crate::h2::node::Shutdown::None;
            if !plain {
                return Err(self.err(
                    text,
                    t,
                    "push",
                    "push is modelled on one in-order connection without flow control, \
                     limits, cancels or shutdown"
                        .into(),
                ));
            }
        }
        if h.refuse_push && !pushing {
            return Err(self.err(
                text,
                t,
                "refuse_push",
                "the browser can refuse a push only from an origin that pushes".into(),
            ));
        }
        if h.connection_window == 0 || h.connection_window > crate::h2::flow::DEFAULT_WINDOW {
            return Err(self.err(
                text,
                t,
                "connection_window",
                "must be 1 to 65535: the connection window starts at 65,535 (RFC 9113 §6.9.2)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// `[h2] transport = "tcp"`: the frames ride on the TCP actors, whose knobs are the
    /// `[tcp]` table's; the network may lose, duplicate and reorder segments.
    fn validate_h2_tcp(&self, text: &str, h: &H2) -> Result<(), ScenarioError> {
        let t = Some("h2");
        if self.http.is_some() {
            return Err(self.err(
                text,
                None,
                "http",
                "the h2 model takes no [http] table".into(),
            ));
        }
        if self.tcp.is_none() {
            return Err(self.err(
                text,
                None,
                "tcp",
                "`transport = \"tcp\"` needs a [tcp] table for the TCP knobs".into(),
            ));
        }
        self.validate_tcp(text)?;
        if h.connections != 1 {
            return Err(self.err(
                text,
                t,
                "connections",
                "over TCP the model has one connection (say `connections = 1`)".into(),
            ));
        }
        let mut h = h.clone();
        h.transport = crate::h2::node::Transport::InOrder;
        let mut plain = self.clone();
        plain.tcp = None;
        plain.network.loss = false;
        plain.network.duplication = false;
        plain.network.reordering = false;
        plain.h2 = Some(h);
        plain.validate_h2(text)
    }

    fn validate_http(&self, text: &str) -> Result<(), ScenarioError> {
        let t = Some("http");
        let Some(h) = &self.http else {
            return Err(self.err(
                text,
                None,
                "http",
                "the page-load model needs an [http] table".into(),
            ));
        };
        if self.tcp.as_ref().is_some_and(|t| t.isn == Isn::Clock) {
            return Err(self.err(
                text,
                Some("tcp"),
                "isn",
                "the page-load model picks ISNs from `isns` (\"random\" or \"oracle\"); the ISN clock is for tcp scenarios".into(),
            ));
        }
        // Text that goes onto the wire as part of a request or response head: a CR or
        // LF in it would split the head (RFC 9112 §2.2, §5: field values carry no bare
        // CR or LF), so the file is wrong, not the HTTP.
        let mut texts: Vec<(Option<&str>, &str, &str)> = vec![
            (t, "method", h.method.as_str()),
            (t, "user_agent", h.user_agent.as_str()),
            (t, "url", h.url.as_str()),
        ];
        texts.extend(h.links.iter().map(|l| (t, "links", l.as_str())));
        for r in &h.route {
            let rt = Some("http.route");
            texts.push((rt, "path", r.path.as_str()));
            if let Some(m) = &r.method {
                texts.push((rt, "method", m.as_str()));
            }
            for (k, v) in &r.headers {
                texts.push((rt, "headers", k.as_str()));
                texts.push((rt, "headers", v.as_str()));
            }
        }
        if let Some(k) = &h.keepalive {
            let kt = Some("http.keepalive");
            texts.push((kt, "target", k.target.as_str()));
            texts.extend(k.methods.iter().map(|m| (kt, "methods", m.as_str())));
        }
        if let Some((table, key, v)) = texts.iter().find(|(_, _, v)| {
            v.contains(['\r', '\n']) || v.chars().any(|c| c.is_control() && c != '\t')
        }) {
            return Err(self.err(
                text,
                *table,
                key,
                format!("{v:?} holds a CR, LF or other control character, which would split the HTTP head"),
            ));
        }
        let url = url::Url::parse(&h.url)
            .map_err(|e| self.err(text, t, "url", format!("{:?} is not a URL: {e}", h.url)))?;
        if url.scheme() != "http" || url.host_str().is_none() {
            return Err(self.err(
                text,
                t,
                "url",
                format!("{:?}: only http:// URLs with a host", h.url),
            ));
        }
        if h.address.parse::<std::net::Ipv4Addr>().is_err() {
            return Err(self.err(
                text,
                t,
                "address",
                format!("{:?} is not an IPv4 address", h.address),
            ));
        }
        if h.dns_tries == 0 || h.dns_rto == 0 || h.deadline == Limit(Some(0)) {
            let key = if h.dns_tries == 0 {
                "dns_tries"
            } else if h.dns_rto == 0 {
                "dns_rto"
            } else {
                "deadline"
            };
            return Err(self.err(text, t, key, "must be at least 1".into()));
        }
        check_timer(self, text, t, "dns_rto", Some(h.dns_rto))?;
        self.validate_dns(text, h)?;
        check_timer(self, text, t, "expect_continue", h.expect_continue)?;
        let gateway = h.gateway.as_ref().map(|g| g.timeout);
        check_timer(self, text, Some("http.gateway"), "timeout", gateway)?;
        if let Some(k) = &h.keepalive {
            check_timer(self, text, Some("http.keepalive"), "think", Some(k.think))?;
            check_timer(self, text, Some("http.keepalive"), "idle", Some(k.idle))?;
        }
        if !(1..=2).contains(&h.origin.chunks) {
            return Err(self.err(
                text,
                Some("http.origin"),
                "chunks",
                format!(
                    "{} chunks: a response takes 1 or 2 segments",
                    h.origin.chunks
                ),
            ));
        }
        if h.origin.framing.is_empty() {
            return Err(self.err(
                text,
                Some("http.origin"),
                "framing",
                "name at least one framing".into(),
            ));
        }
        if h.gateway.as_ref().is_some_and(|g| g.timeout == 0) {
            return Err(self.err(
                text,
                Some("http.gateway"),
                "timeout",
                "must be at least 1".into(),
            ));
        }
        if h.gateway.is_some() && h.keepalive.is_some() {
            return Err(self.err(
                text,
                Some("http.gateway"),
                "timeout",
                "a gateway and [http.keepalive] cannot be combined".into(),
            ));
        }
        for r in &h.route {
            // A Location is resolved against the request's URL (RFC 9110 §10.2.2); the
            // model has one origin, so the target must be on it.
            let location = r
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"));
            if let Some((_, loc)) = location {
                let target = url.join(&r.path).and_then(|u| u.join(loc));
                match target {
                    Ok(u) if u.origin() == url.origin() => {}
                    Ok(u) => {
                        return Err(self.err(
                            text,
                            Some("http.route"),
                            "headers",
                            format!("Location {loc:?} leads to {u}, another origin; the model has one origin"),
                        ))
                    }
                    Err(e) => {
                        return Err(self.err(
                            text,
                            Some("http.route"),
                            "headers",
                            format!("Location {loc:?} is not a URI reference: {e}"),
                        ))
                    }
                }
            }
            if !(100..=599).contains(&r.status) {
                return Err(self.err(
                    text,
                    Some("http.route"),
                    "status",
                    format!(
                        "{} is not a status code (100 to 599, RFC 9110 §15)",
                        r.status
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The resolver's IDs and ports, and the spoofer.
    fn validate_dns(&self, text: &str, h: &Http) -> Result<(), ScenarioError> {
        // A set of picks: not empty, no value twice, and (for ports) no port 0.
        let set = |table: &str, key: &str, v: &[u16], port: bool| {
            let what = if port { "port" } else { "ID" };
            let dup = v.iter().enumerate().find(|(i, x)| v[..*i].contains(x));
            let msg = if v.is_empty() {
                Some(format!("give at least one {what}"))
            } else if let Some((_, x)) = dup {
                Some(format!("{what} {x} is listed twice"))
            } else if port && v.contains(&0) {
                Some("port 0 is no port a datagram can use (RFC 768)".into())
            } else {
                None
            };
            match msg {
                Some(m) => Err(self.err(text, Some(table), key, m)),
                None => Ok(()),
            }
        };
        if let DnsIds::Random(ids) = &h.dns_ids {
            set("http", "dns_ids", ids, false)?;
        }
        set("http", "dns_ports", &h.dns_ports, true)?;
        let Some(sp) = &h.dns_spoofer else {
            return Ok(());
        };
        let st = Some("http.dns_spoofer");
        let Ok(forged) = sp.answer.parse::<std::net::Ipv4Addr>() else {
            return Err(self.err(
                text,
                st,
                "answer",
                format!("{:?} is not an IPv4 address", sp.answer),
            ));
        };
        if h.address.parse::<std::net::Ipv4Addr>() == Ok(forged) {
            return Err(self.err(
                text,
                st,
                "answer",
                format!("{forged} is the zone's own address: a forgery would be the truth"),
            ));
        }
        set("http.dns_spoofer", "ids", &sp.ids, false)?;
        set("http.dns_spoofer", "ports", &sp.ports, true)?;
        if sp.forgeries == 0 || sp.forgeries > self.network.capacity {
            return Err(self.err(
                text,
                st,
                "forgeries",
                format!(
                    "must be 1 to the network's capacity ({}): each forgery is a datagram in flight",
                    self.network.capacity
                ),
            ));
        }
        Ok(())
    }

    /// Every scenario in `dir`, sorted by name.
    pub fn catalogue(dir: &Path) -> Result<Vec<Scenario>, ScenarioError> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| ScenarioError {
                path: dir.to_path_buf(),
                line: None,
                key: None,
                message: format!("cannot read the catalogue: {e}"),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| Scenario::load(p)).collect()
    }
}
