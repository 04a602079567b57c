//! `synack explore`: the stateright Explorer for a scenario.
//!
//! stateright 0.31's own Explorer server answers every request in one thread, unwraps
//! the result of answering it (a client that aborts can kill it), listens on a second
//! port that any local user can reach, and serves `./ui/*` from the working directory
//! when those files exist. synack therefore serves the Explorer itself:
//!
//! - the front listens on `--addr`, with a thread per connection, at most
//!   [`MAX_CONNECTIONS`] at once and [`MAX_PER_CLIENT`] from one address (the rest get
//!   `503` at once), one deadline, [`REQUEST_DEADLINE`], for a client's whole request
//!   (a client that sends one byte at a time cannot hold a slot for longer), and
//!   timeouts on every write;
//! - it reads one request and checks it: method, target, size, depth of a `/.states`
//!   path; a `Host` that names the address it listens on, so that DNS rebinding finds
//!   nothing; no cross-origin `POST`;
//! - it answers it in-process ([`site`]): stateright's pages from memory, and the
//!   Explorer's JSON endpoints computed on the model. Run-to-completion runs synack's
//!   engine, within the memory bound of `synack check`.
//!
//! The Explorer serves [`crate::wire::svg::Explorable`], the wire with its sequence diagram.

mod site;

use crate::cli::Error;
use crate::scenario::Scenario;
use site::{Site, WireSite};
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Connections the front serves at once; more are answered `503` and closed.
pub const MAX_CONNECTIONS: usize = 128;
/// Connections the front serves at once for one client address: half the slots, so
/// that one client that holds its connections open cannot take them all.
pub const MAX_PER_CLIENT: usize = MAX_CONNECTIONS / 2;
/// How long a client may take to send its whole request (head and body).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// Connections beyond [`MAX_CONNECTIONS`] that get a `503` answer at once; more are
/// closed without one.
pub const MAX_REFUSING: usize = 16;
/// The longest request head (request line and headers) the front accepts.
pub const MAX_HEAD: usize = 16 * 1024;
/// The longest request body (only `POST /.runtocompletion` has one, empty).
pub const MAX_BODY: usize = 4 * 1024;
/// The most action indices in a `/.states/...` path: far beyond any trace, small enough
/// that replaying and drawing the path stays fast.
pub const MAX_PATH_STEPS: usize = 512;
/// How long the front waits for a client to take (a part of) its answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves the Explorer on `addr` until interrupted.
pub fn serve(scn: &Scenario, addr: &str) -> Result<i32, Error> {
    let sa: SocketAddr = addr
        .to_socket_addrs()
        .map_err(|e| Error::input(format!("bad --addr {addr}")).caused_by(e.to_string()))?
        .next()
        .ok_or_else(|| Error::input(format!("bad --addr {addr}: it names no address")))?;
    let site: Arc<dyn Site> = match scn.model.as_str() {
        "tcp" => Arc::new(WireSite::new(
            crate::tcp::model::build(scn),
            crate::tcp::model::prop,
        )),
        "page-load" => Arc::new(WireSite::new(
            crate::http::model::build(scn),
            crate::http::model::prop,
        )),
        "h2" => Arc::new(WireSite::new(
            crate::h2::model::build(scn),
            crate::h2::model::prop,
        )),
        other => {
            return Err(Error::input(format!(
                "the Explorer cannot serve {}: its model {other:?} has no Explorer view",
                scn.name
            )))
        }
    };
    let front = TcpListener::bind(sa)
        .map_err(|e| Error::input(format!("cannot listen on {sa}")).caused_by(e.to_string()))?;
    // With port 0 the system picks the port: say the one it picked.
    let sa = front.local_addr().unwrap_or(sa);
    if !sa.ip().is_loopback() {
        crate::cli::note(&format!(
            "warning: the Explorer has no authentication; {sa} is reachable from other hosts"
        ));
    }
    // Standard output may be closed; the Explorer is still worth serving.
    let _ = crate::cli::emit(&format!("Explorer for {}: http://{sa}/\n", scn.name));
    run_front(front, site, sa);
    Ok(0)
}

/// Decrements the count of active connections when a connection's thread ends.
struct Active(Arc<AtomicUsize>);
impl Drop for Active {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Active connections per client address.
type PerClient = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// Frees a client's slot when its connection's thread ends.
struct ClientSlot(PerClient, IpAddr);
impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

/// Takes one of `ip`'s [`MAX_PER_CLIENT`] slots, if one is free.
fn client_slot(per: &PerClient, ip: IpAddr) -> Option<ClientSlot> {
    let mut m = per.lock().unwrap_or_else(|e| e.into_inner());
    let n = m.entry(ip).or_insert(0);
    if *n >= MAX_PER_CLIENT {
        return None;
    }
    *n += 1;
    Some(ClientSlot(Arc::clone(per), ip))
}

fn run_front(front: TcpListener, site: Arc<dyn Site>, bound: SocketAddr) {
    let active = Arc::new(AtomicUsize::new(0));
    let refusing = Arc::new(AtomicUsize::new(0));
    let per_client: PerClient = Arc::new(Mutex::new(HashMap::new()));
    loop {
        let (mut stream, peer) = match front.accept() {
            Ok(c) => c,
            Err(_) => {
                // Out of file descriptors, or a connection reset before accept: wait a little.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let slot = client_slot(&per_client, peer.ip());
        if slot.is_none() || active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            if slot.is_some() {
                active.fetch_sub(1, Ordering::SeqCst);
            }
            drop(slot);
            // Answer 503 from a thread of its own (a few at most), after reading the
            // request: closing on an unread request would reset the connection before
            // the client reads the answer. Beyond that, close at once.
            if refusing.fetch_add(1, Ordering::SeqCst) < MAX_REFUSING {
                let guard = Active(Arc::clone(&refusing));
                let _ = thread::Builder::new()
                    .name("explorer-refuse".into())
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        let _guard = guard;
                        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                        let _ = read_request(&mut stream, Duration::from_secs(1));
                        let _ = stream.write_all(&status_response(
                            503,
                            "Service Unavailable",
                            "too many connections; try again\n",
                        ));
                        drain_and_close(stream);
                    });
            } else {
                refusing.fetch_sub(1, Ordering::SeqCst);
            }
            continue;
        }
        let guard = Active(Arc::clone(&active));
        let site = Arc::clone(&site);
        let spawned = thread::Builder::new()
            .name("explorer-front".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let _guard = (guard, slot);
                handle(stream, site, bound);
            });
        // When no thread can be made, the closure (with the stream and guard) is dropped.
        drop(spawned);
    }
}

fn status_response(code: u16, reason: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A request the front accepted.
#[derive(Debug, PartialEq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub body: Vec<u8>,
    /// The `Host`, `Origin` and `Sec-Fetch-Site` headers, when present.
    pub host: Option<String>,
    pub origin: Option<String>,
    pub fetch_site: Option<String>,
}

/// Refuses a request that is not meant for this Explorer: a `Host` other than the
/// address the front listens on (a DNS-rebound name: RFC 9110 §7.2, §15.5.20 421),
/// and a `POST` from a page of another origin (a `no-cors` fetch still sends
/// `Origin`). A request without these headers comes from a program, not a browser.
pub fn check_origin(rq: &Request, bound: SocketAddr) -> Result<(), Refusal> {
    let misdirected = || {
        (
            421,
            "Misdirected Request",
            format!("this is the Explorer at {bound}; ask for it by that address\n"),
        )
    };
    if let Some(host) = &rq.host {
        if !names_bound(host, bound) {
            return Err(misdirected());
        }
    }
    if rq.method == "POST" {
        let forbidden = || {
            (
                403,
                "Forbidden",
                "no cross-origin requests that change the Explorer\n".to_string(),
            )
        };
        if let Some(origin) = &rq.origin {
            let Some(host) = origin.strip_prefix("http://") else {
                return Err(forbidden());
            };
            if !names_bound(host, bound) {
                return Err(forbidden());
            }
        }
        if rq
            .fetch_site
            .as_deref()
            .is_some_and(|s| !matches!(s, "same-origin" | "none"))
        {
            return Err(forbidden());
        }
    }
    Ok(())
}

/// Whether `authority` (`host[:port]`) names the address the front listens on: its IP
/// address (or `localhost` for a loopback one), and its port when one is given.
fn names_bound(authority: &str, bound: SocketAddr) -> bool {
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p))
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') =>
        {
            (h, Some(p))
        }
        _ => (authority, None),
    };
    if port.is_some_and(|p| p.parse::<u16>().ok() != Some(bound.port())) {
        return false;
    }
    if port.is_none() && bound.port() != 80 && !bound.ip().is_loopback() {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().is_ok_and(|ip| ip == bound.ip())
        || (bound.ip().is_loopback() && host.eq_ignore_ascii_case("localhost"))
}

/// Why a request was refused: status code, reason, body.
type Refusal = (u16, &'static str, String);

/// Checks a request head (everything before the blank line).
pub fn parse_head(head: &[u8]) -> Result<(String, String, usize), Refusal> {
    let bad = |why: &str| (400, "Bad Request", format!("{why}\n"));
    let head = std::str::from_utf8(head).map_err(|_| bad("the request is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad("only HTTP/1.x"));
    }
    if !matches!(method, "GET" | "HEAD" | "POST") {
        return Err((405, "Method Not Allowed", "GET, HEAD or POST\n".into()));
    }
    if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("malformed request target"));
    }
    if let Some(path) = target.strip_prefix("/.states") {
        if path.split('/').filter(|s| !s.is_empty()).count() > MAX_PATH_STEPS {
            return Err((
                414,
                "URI Too Long",
                format!("a path of at most {MAX_PATH_STEPS} steps\n"),
            ));
        }
    }
    let mut length = 0usize;
    for h in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = h.split_once(':') else {
            return Err(bad("malformed header"));
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        if name == "transfer-encoding" {
            return Err((411, "Length Required", "send Content-Length\n".into()));
        }
        if name == "content-length" {
            length = value.parse().map_err(|_| bad("malformed Content-Length"))?;
            if length > MAX_BODY {
                return Err((413, "Payload Too Large", "request body too large\n".into()));
            }
        }
    }
    Ok((method.to_string(), target.to_string(), length))
}

/// Reads one request from the client, all of it within `deadline`.
fn read_request(c: &mut TcpStream, deadline: Duration) -> Result<Request, Option<Refusal>> {
    let until = Instant::now() + deadline;
    let too_slow = || {
        Some((
            408,
            "Request Timeout",
            format!("send the whole request within {} s\n", deadline.as_secs()),
        ))
    };
    // Each read may wait only for what is left of the deadline.
    let read = |c: &mut TcpStream, chunk: &mut [u8]| -> Result<usize, Option<Refusal>> {
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(too_slow());
            }
            let _ = c.set_read_timeout(Some(left));
            match c.read(chunk) {
                Ok(0) => return Err(None),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(too_slow())
                }
                Err(_) => return Err(None),
            }
        }
    };
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        if buf.len() > MAX_HEAD {
            return Err(Some((
                431,
                "Request Header Fields Too Large",
                "request head too large\n".into(),
            )));
        }
        let n = read(c, &mut chunk)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let (method, target, length) = parse_head(&buf[..end]).map_err(Some)?;
    let mut body = buf[end + 4..].to_vec();
    while body.len() < length {
        let n = read(c, &mut chunk)?;
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let header = |name: &str| {
        std::str::from_utf8(&buf[..end])
            .ok()?
            .split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    Ok(Request {
        method,
        target,
        body,
        host: header("host"),
        origin: header("origin"),
        fetch_site: header("sec-fetch-site"),
    })
}

/// Serves one connection: one request, then close.
fn handle(mut c: TcpStream, site: Arc<dyn Site>, bound: SocketAddr) {
    let _ = c.set_write_timeout(Some(CLIENT_TIMEOUT));
    let _ = c.set_nodelay(true);
    let rq = read_request(&mut c, REQUEST_DEADLINE)
        .and_then(|rq| check_origin(&rq, bound).map_err(Some).map(|()| rq));
    let rq = match rq {
        Ok(rq) => rq,
        Err(Some((code, reason, body))) => {
            let _ = c.write_all(&status_response(code, reason, &body));
            drain_and_close(c);
            return;
        }
        Err(None) => return,
    };
    let method = if rq.method == "HEAD" {
        "GET"
    } else {
        &rq.method
    };
    let (code, reason, kind, body) = site.answer(method, &rq.target);
    let mut answer = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if rq.method != "HEAD" {
        answer.extend_from_slice(&body);
    }
    let _ = c.write_all(&answer);
    let _ = c.shutdown(std::net::Shutdown::Write);
}

/// Closes a connection whose request was not read to its end: closing with unread
/// input would send a RST, and the client could lose the answer before reading it.
fn drain_and_close(mut c: TcpStream) {
    let _ = c.shutdown(std::net::Shutdown::Write);
    let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
    let mut sink = [0u8; 4096];
    let mut left: usize = 1 << 20;
    while left > 0 {
        match c.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let ok = parse_head(b"GET /.states/0/1 HTTP/1.1\r\nHost: x").unwrap();
        assert_eq!(ok, ("GET".into(), "/.states/0/1".into(), 0));
        assert_eq!(parse_head(b"DELETE / HTTP/1.1").unwrap_err().0, 405);
        assert_eq!(parse_head(b"GET / HTTP/1.1 extra").unwrap_err().0, 400);
        assert_eq!(parse_head(b"GET x HTTP/1.1").unwrap_err().0, 400);
        let deep = format!("GET /.states{} HTTP/1.1", "/0".repeat(MAX_PATH_STEPS + 1));
        assert_eq!(parse_head(deep.as_bytes()).unwrap_err().0, 414);
        assert_eq!(
            parse_head(b"POST /.runtocompletion HTTP/1.1\r\nContent-Length: 99999")
                .unwrap_err()
                .0,
            413
        );
    }

    fn rq(method: &str, host: Option<&str>, origin: Option<&str>, site: Option<&str>) -> Request {
        Request {
            method: method.into(),
            target: "/.runtocompletion".into(),
            body: Vec::new(),
            host: host.map(str::to_string),
            origin: origin.map(str::to_string),
            fetch_site: site.map(str::to_string),
        }
    }

    #[test]
    fn host_names_the_bound_address_and_posts_come_from_it() {
        let local: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let code = |r: &Request, at: SocketAddr| check_origin(r, at).err().map(|e| e.0);
        // The Explorer's own page, and programs that send no Host.
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST:3000",
            "127.0.0.1",
        ] {
            assert_eq!(
                code(&rq("GET", Some(host), None, None), local),
                None,
                "{host}"
            );
        }
        assert_eq!(code(&rq("GET", None, None, None), local), None);
        // DNS rebinding: a name of the attacker's that now points at 127.0.0.1.
        for host in [
            "evil.example:3000",
            "127.0.0.1:3001",
            "127.0.0.2:3000",
            "x",
            "",
        ] {
            assert_eq!(
                code(&rq("GET", Some(host), None, None), local),
                Some(421),
                "{host}"
            );
        }
        let same = Some("http://127.0.0.1:3000");
        let post = |origin, site| rq("POST", Some("127.0.0.1:3000"), origin, site);
        assert_eq!(code(&post(same, Some("same-origin")), local), None);
        assert_eq!(code(&post(None, None), local), None);
        for origin in ["http://evil.example", "null", "https://127.0.0.1:3000"] {
            assert_eq!(
                code(&post(Some(origin), None), local),
                Some(403),
                "{origin}"
            );
        }
        assert_eq!(code(&post(None, Some("cross-site")), local), Some(403));
        assert_eq!(code(&post(same, Some("same-site")), local), Some(403));
        // On another interface the port must be given, as browsers do.
        let lan: SocketAddr = "192.168.1.5:3000".parse().unwrap();
        assert_eq!(
            code(&rq("GET", Some("192.168.1.5:3000"), None, None), lan),
            None
        );
        assert_eq!(
            code(&rq("GET", Some("192.168.1.5"), None, None), lan),
            Some(421)
        );
        assert_eq!(
            code(&rq("GET", Some("localhost:3000"), None, None), lan),
            Some(421)
        );
        let v6: SocketAddr = "[::1]:3000".parse().unwrap();
        assert_eq!(code(&rq("GET", Some("[::1]:3000"), None, None), v6), None);
    }
}
