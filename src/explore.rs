//! `synack explore`: the stateright Explorer for a scenario.
//!
//! stateright 0.31's Explorer serves every request in one web thread and unwraps the
//! result of answering it, so a client that aborts mid-response can kill it, and it
//! reads `./ui/*` from the working directory when those files exist. synack therefore
//! puts a small front of its own before it:
//!
//! - the front listens on `--addr`, with a thread per connection, at most
//!   [`MAX_CONNECTIONS`] at once (the rest get `503` at once), and timeouts on every
//!   read and write;
//! - it reads one request, checks it (method, target, size, depth of a `/.states` path)
//!   and sends it on, with `Connection: close`, to stateright's server on an internal
//!   loopback port; it reads the whole answer even when its own client has gone, so the
//!   Explorer never sees an aborted connection;
//! - a supervisor restarts stateright's server (on a fresh port) whenever it stops.
//!
//! The Explorer serves [`Explorable`], the wire with its sequence diagram.

use crate::cli::Error;
use crate::scenario::Scenario;
use crate::wire::svg::Explorable;
use stateright::Model;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Connections the front serves at once; more are answered `503` and closed.
pub const MAX_CONNECTIONS: usize = 64;
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
/// How long the front waits for a client to send its request or take its answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the front waits for the Explorer (its one thread may be busy with others).
const BACKEND_TIMEOUT: Duration = Duration::from_secs(120);

/// Serves the Explorer on `addr` until interrupted.
pub fn serve(scn: &Scenario, addr: &str) -> Result<i32, Error> {
    let sa: SocketAddr = addr
        .to_socket_addrs()
        .map_err(|e| Error::input(format!("bad --addr {addr}")).caused_by(e.to_string()))?
        .next()
        .ok_or_else(|| Error::input(format!("bad --addr {addr}: it names no address")))?;
    let s = scn.clone();
    let run: ServeFn = match scn.model.as_str() {
        "tcp" => Arc::new(move |port| {
            let m = Explorable(crate::tcp::model::build(&s));
            m.checker().serve((Ipv4Addr::LOCALHOST, port));
        }),
        "page-load" => Arc::new(move |port| {
            let m = Explorable(crate::http::model::build(&s));
            m.checker().serve((Ipv4Addr::LOCALHOST, port));
        }),
        other => {
            return Err(Error::input(format!(
                "the Explorer cannot serve {}: its model {other:?} has no Explorer view",
                scn.name
            )))
        }
    };
    if std::path::Path::new("ui").exists() {
        return Err(
            Error::input("refusing to serve the Explorer from a directory that has ./ui")
                .caused_by(
                    "stateright's Explorer would serve ./ui/index.htm, ./ui/app.js, ... from it \
             instead of its own pages; run synack explore from another directory",
                ),
        );
    }
    let front = TcpListener::bind(sa)
        .map_err(|e| Error::input(format!("cannot listen on {sa}")).caused_by(e.to_string()))?;
    // With port 0 the system picks the port: say the one it picked.
    let sa = front.local_addr().unwrap_or(sa);
    if !sa.ip().is_loopback() {
        crate::cli::note(&format!(
            "warning: the Explorer has no authentication; {sa} is reachable from other hosts"
        ));
    }
    let backend = Backend::start(run);
    // Standard output may be closed; the Explorer is still worth serving.
    let _ = crate::cli::emit(&format!("Explorer for {}: http://{sa}/\n", scn.name));
    run_front(front, backend);
    Ok(0)
}

/// Builds the model and serves stateright's Explorer for it on a loopback port, until
/// that server stops.
type ServeFn = Arc<dyn Fn(u16) + Send + Sync>;

/// stateright's server, restarted whenever it stops.
struct Backend {
    /// The port it listens on, while it is up.
    port: Mutex<Option<u16>>,
    up: Condvar,
}

impl Backend {
    fn start(run: ServeFn) -> Arc<Backend> {
        let b = Arc::new(Backend {
            port: Mutex::new(None),
            up: Condvar::new(),
        });
        let sup = Arc::clone(&b);
        thread::Builder::new()
            .name("explorer-supervisor".into())
            .spawn(move || sup.supervise(run))
            .expect("spawn the Explorer's supervisor");
        b
    }

    fn supervise(&self, run: ServeFn) {
        let mut restarts = 0u32;
        let mut backoff = Duration::from_millis(100);
        loop {
            let started = Instant::now();
            let Some(port) = free_loopback_port() else {
                thread::sleep(Duration::from_millis(500));
                continue;
            };
            let r = Arc::clone(&run);
            let spawned = thread::Builder::new()
                .name("explorer-backend".into())
                .spawn(move || r(port));
            let Ok(h) = spawned else {
                thread::sleep(Duration::from_millis(500));
                continue;
            };
            if wait_listening(port, &h) {
                *self.port.lock().unwrap_or_else(|e| e.into_inner()) = Some(port);
                self.up.notify_all();
            }
            let why = match h.join() {
                Ok(()) => "it stopped".to_string(),
                Err(p) => p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "it panicked".into()),
            };
            *self.port.lock().unwrap_or_else(|e| e.into_inner()) = None;
            restarts += 1;
            crate::cli::note(&format!(
                "warning: the Explorer stopped ({why}); restart {restarts}"
            ));
            // A server that dies at once is not helped by restarting it in a tight loop.
            backoff = if started.elapsed() < Duration::from_secs(2) {
                (backoff * 2).min(Duration::from_secs(5))
            } else {
                Duration::from_millis(100)
            };
            thread::sleep(backoff);
        }
    }

    /// The port of the running Explorer, waiting up to `timeout` for it to be up.
    fn port(&self, timeout: Duration) -> Option<u16> {
        let g = self.port.lock().unwrap_or_else(|e| e.into_inner());
        let (g, _) = self
            .up
            .wait_timeout_while(g, timeout, |p| p.is_none())
            .unwrap_or_else(|e| e.into_inner());
        *g
    }
}

fn free_loopback_port() -> Option<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
    l.local_addr().ok().map(|a| a.port())
}

/// Waits until the Explorer accepts connections on `port`, or its thread ends.
fn wait_listening(port: u16, h: &thread::JoinHandle<()>) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && !h.is_finished() {
        let a = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if TcpStream::connect_timeout(&a, Duration::from_millis(200)).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Decrements the count of active connections when a connection's thread ends.
struct Active(Arc<AtomicUsize>);
impl Drop for Active {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn run_front(front: TcpListener, backend: Arc<Backend>) {
    let active = Arc::new(AtomicUsize::new(0));
    let refusing = Arc::new(AtomicUsize::new(0));
    loop {
        let mut stream = match front.accept() {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of file descriptors, or a connection reset before accept: wait a little.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
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
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                        let _ = read_request(&mut stream);
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
        let b = Arc::clone(&backend);
        let spawned = thread::Builder::new()
            .name("explorer-front".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let _guard = guard;
                handle(stream, &b);
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

/// Reads one request from the client.
fn read_request(c: &mut TcpStream) -> Result<Request, Option<Refusal>> {
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
        match c.read(&mut chunk) {
            Ok(0) => return Err(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(None),
        }
    };
    let (method, target, length) = parse_head(&buf[..end]).map_err(Some)?;
    let mut body = buf[end + 4..].to_vec();
    while body.len() < length {
        match c.read(&mut chunk) {
            Ok(0) => return Err(None),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(None),
        }
    }
    body.truncate(length);
    Ok(Request {
        method,
        target,
        body,
    })
}

/// Serves one connection: one request, then close.
fn handle(mut c: TcpStream, backend: &Backend) {
    let _ = c.set_read_timeout(Some(CLIENT_TIMEOUT));
    let _ = c.set_write_timeout(Some(CLIENT_TIMEOUT));
    let _ = c.set_nodelay(true);
    let rq = match read_request(&mut c) {
        Ok(rq) => rq,
        Err(Some((code, reason, body))) => {
            let _ = c.write_all(&status_response(code, reason, &body));
            drain_and_close(c);
            return;
        }
        Err(None) => return,
    };
    let answer = forward(&rq, backend).unwrap_or_else(|why| {
        status_response(
            502,
            "Bad Gateway",
            &format!("the Explorer did not answer: {why}\n"),
        )
    });
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

/// Sends `rq` to the Explorer and reads its whole answer.
fn forward(rq: &Request, backend: &Backend) -> Result<Vec<u8>, String> {
    let deadline = Instant::now() + BACKEND_TIMEOUT;
    let mut last_err = String::from("it is not up");
    // The Explorer may be restarting: try again until the deadline.
    while Instant::now() < deadline {
        let Some(port) = backend.port(Duration::from_secs(5)) else {
            continue;
        };
        match exchange(rq, port, deadline) {
            Ok(a) => return Ok(a),
            Err(e) => {
                last_err = e;
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
    Err(last_err)
}

fn exchange(rq: &Request, port: u16, deadline: Instant) -> Result<Vec<u8>, String> {
    let a = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s =
        TcpStream::connect_timeout(&a, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1));
    s.set_read_timeout(Some(left)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut out = format!(
        "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n",
        rq.method, rq.target
    );
    if rq.method == "POST" || !rq.body.is_empty() {
        out.push_str(&format!("Content-Length: {}\r\n", rq.body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&rq.body);
    s.write_all(&bytes).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    if answer.is_empty() {
        return Err("an empty answer".into());
    }
    Ok(answer)
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
}
