//! `synack explore` over loopback: the deep links of `synack check` open their traces,
//! the diagram escapes what it shows, and the front stays up and correct under
//! concurrent, aborted and malformed requests. Only 127.0.0.1, bounded loops, and a
//! timeout on every request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_synack");
const TIMEOUT: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A directory of its own under the system's temporary directory (no `ui/` in it).
fn scratch(name: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("synack-explorer-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A running `synack explore`, killed when dropped.
struct Explorer {
    child: Child,
    port: u16,
    /// The directory it was started in.
    dir: PathBuf,
}

impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Explorer {
    fn start(scenario: &str) -> Explorer {
        Explorer::start_in(scenario, scratch(scenario))
    }

    fn start_in(scenario: &str, dir: PathBuf) -> Explorer {
        let port = free_port();
        let mut child = Command::new(BIN)
            .args(["explore", scenario, "--addr", &format!("127.0.0.1:{port}")])
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let e = Explorer { child, port, dir };
        assert!(
            line.contains(&format!("http://127.0.0.1:{port}/")),
            "explore printed {line:?}"
        );
        e
    }

    fn get(&self, path: &str) -> (u16, String) {
        request(
            self.port,
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

/// Sends raw bytes, reads the whole answer: (status, body).
fn request(port: u16, raw: &[u8]) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
    s.write_all(raw).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(|e| e.to_string())?;
    parse_response(&buf)
}

fn parse_response(buf: &[u8]) -> Result<(u16, String), String> {
    let text = String::from_utf8_lossy(buf).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no head in {text:?}"))?;
    let code: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        loop {
            let (size, tail) = rest.split_once("\r\n").ok_or("bad chunk")?;
            let n = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        body.to_string()
    };
    Ok((code, body))
}

/// The Explorer deep link `synack check` prints for `property`.
fn deep_link(scenario: &str, property: &str) -> String {
    let out = Command::new(BIN)
        .args(["check", scenario, "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == property)
        .and_then(|p| p["explorer"].as_str())
        .unwrap_or_else(|| panic!("no deep link for {property}"))
        .to_string()
}

/// Opens a deep link as the Explorer's page does (app.js `prepareView`): fetch
/// `/.states`, then for each index the successors of the path so far, and pick the
/// one whose `actionIndex` is that index. Returns the step the link selects.
fn follow(e: &Explorer, link: &str) -> serde_json::Value {
    let hash = link.split_once('#').unwrap().1;
    let indices: Vec<usize> = hash
        .strip_prefix("/steps/")
        .expect("a #/steps/ link")
        .split('/')
        .map(|i| i.parse().unwrap())
        .collect();
    let mut path = String::new();
    let mut step = serde_json::Value::Null;
    for i in indices {
        let (code, body) = e.get(&format!("/.states{path}"));
        assert_eq!(code, 200, "/.states{path}: {body}");
        let next: serde_json::Value = serde_json::from_str(&body).unwrap();
        step = next
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["actionIndex"] == i)
            .unwrap_or_else(|| panic!("/.states{path} has no action {i}"))
            .clone();
        assert!(
            step.get("state").is_some(),
            "action {i} after {path} is ignored"
        );
        path.push_str(&format!("/{i}"));
    }
    step
}

#[test]
fn the_deep_link_of_check_opens_its_trace() {
    let e = Explorer::start("tcp-two-way-handshake");
    let (code, page) = e.get("/");
    assert_eq!(code, 200);
    assert!(page.contains("Stateright Explorer"));
    let link = deep_link("tcp-two-way-handshake", "no double connection");
    assert!(link.starts_with("http://127.0.0.1:3000/#/steps/0/"));
    let step = follow(&e, &link);
    let svg = step["svg"].as_str().unwrap();
    let outcome = step["outcome"].as_str().unwrap();
    // The stale SYN is the kept copy, delivered again; the server establishes twice.
    assert!(svg.contains("SYN seq=0 [inc 1]  DUPLICATE"), "{svg}");
    assert!(outcome.contains("server LISTEN → ESTABLISHED"), "{outcome}");
    assert_eq!(svg.matches(">ESTABLISHED</text>").count(), 3, "{svg}");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
}

#[test]
fn the_deep_link_of_simulate_opens_its_counterexample() {
    let e = Explorer::start("tcp-two-way-handshake");
    let out = Command::new(BIN)
        .args([
            "simulate",
            "tcp-two-way-handshake",
            "--runs",
            "2000",
            "--depth",
            "50",
            "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "no double connection")
        .unwrap();
    assert_eq!(p["verdict"], "violated", "{p}");
    let link = p["explorer"].as_str().unwrap();
    let trace = p["trace"].as_array().unwrap();
    // One index per step, and one for the initial state.
    assert_eq!(
        link.split("/steps/").nth(1).unwrap().split('/').count(),
        trace.len(),
        "{link}"
    );
    let step = follow(&e, link);
    let outcome = step["outcome"].as_str().unwrap();
    let last = trace.last().unwrap()["summary"].as_str().unwrap();
    // The walk's last step: the server establishes a second time.
    assert!(
        outcome.contains("server LISTEN → ESTABLISHED")
            || outcome.contains("server SYN-RECEIVED → ESTABLISHED"),
        "{outcome}"
    );
    assert!(last.contains("ESTABLISHED"), "{last}");
}

#[test]
fn action_labels_name_the_call_the_application_makes() {
    let e = Explorer::start("tcp-two-way-handshake");
    let link = deep_link("tcp-two-way-handshake", "no double connection");
    let hash = link.split_once('#').unwrap().1;
    let indices: Vec<&str> = hash.strip_prefix("/steps/").unwrap().split('/').collect();
    // Every action offered along the counterexample.
    let mut names = Vec::new();
    for k in 1..=indices.len() {
        let path = indices[..k].join("/");
        let (code, body) = e.get(&format!("/.states/{path}"));
        assert_eq!(code, 200, "{body}");
        let next: serde_json::Value = serde_json::from_str(&body).unwrap();
        for s in next.as_array().unwrap() {
            names.push(s["action"].as_str().unwrap_or_default().to_string());
        }
    }
    assert!(
        names
            .iter()
            .any(|n| n == "client: the application calls CLOSE"),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n == "server: the application calls CLOSE"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("SEND or CLOSE")),
        "{names:?}"
    );
}

#[test]
fn the_diagram_escapes_payloads() {
    let e = Explorer::start("tcp-explorer-injection");
    let link = deep_link("tcp-explorer-injection", "reaches CLOSE-WAIT");
    let step = follow(&e, &link);
    let svg = step["svg"].as_str().unwrap();
    assert!(
        svg.contains("&quot;&lt;img src=x onerror=alert(1)&gt;&quot;"),
        "{svg}"
    );
    assert!(!svg.contains("<img"), "{svg}");
    assert!(!svg.contains("onerror=alert(1)>"), "{svg}");
    assert!(svg.contains(">CLOSE-WAIT</text>"));
}

#[test]
fn lost_and_expired_segments_are_drawn() {
    // MSL 1 and an RTO of 3: the SYN can age past MSL before it is sent again.
    let e = Explorer::start("tcp-unbounded-syn-retry");
    // After the client's ISN choice, its SYN is in flight: one of the next actions
    // loses it.
    let (code, body) = e.get("/.states/0/0");
    assert_eq!(code, 200);
    let next: serde_json::Value = serde_json::from_str(&body).unwrap();
    let lose = next
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["action"]
                .as_str()
                .unwrap()
                .starts_with("lose client → server: SYN")
        })
        .expect("an action that loses the SYN");
    let svg = lose["svg"].as_str().unwrap();
    assert!(svg.contains("SYN seq=0 [inc 1]  LOST"), "{svg}");
    // A tick with the SYN in flight, then another: at age > MSL it expires.
    let tick = next
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["action"] == "tick")
        .expect("a tick");
    let i = tick["actionIndex"].as_u64().unwrap();
    let mut path = format!("/0/0/{i}");
    let mut expired = None;
    for _ in 0..4 {
        let (code, body) = e.get(&format!("/.states{path}"));
        assert_eq!(code, 200);
        let next: serde_json::Value = serde_json::from_str(&body).unwrap();
        let Some(t) = next
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["action"] == "tick")
        else {
            break;
        };
        let svg = t["svg"].as_str().unwrap().to_string();
        path.push_str(&format!("/{}", t["actionIndex"]));
        if svg.contains("expired (age &gt; MSL): SYN seq=0") {
            expired = Some(svg);
            break;
        }
    }
    let svg = expired.expect("the SYN expires after MSL ticks");
    assert!(svg.contains("tick: t=2"), "{svg}");
}

#[test]
fn stays_up_under_load_aborts_and_malformed_requests() {
    let mut e = Explorer::start("tcp-two-way-handshake");
    let port = e.port;
    let link = deep_link("tcp-two-way-handshake", "no double connection");
    let deep = link.split_once("#/steps").unwrap().1.to_string();
    let (code, reference) = e.get(&format!("/.states{deep}"));
    assert_eq!(code, 200);

    // 50 concurrent requests, all answered, all the same.
    let t = Instant::now();
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let deep = deep.clone();
            std::thread::spawn(move || {
                request(
                    port,
                    format!("GET /.states{deep} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes(),
                )
            })
        })
        .collect();
    for th in threads {
        let (code, body) = th.join().unwrap().expect("an answer");
        assert_eq!(code, 200);
        assert_eq!(body, reference);
    }
    eprintln!("50 concurrent /.states requests: {:?}", t.elapsed());

    // Aborted requests: half a request; a whole one closed before the answer; one
    // whose answer is abandoned after a few bytes (unread data: the close is a RST).
    let t = Instant::now();
    for k in 0..30 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        match k % 3 {
            0 => {
                let _ = s.write_all(b"GET /.states/0/0 HT");
            }
            1 => {
                let _ = s.write_all(format!("GET /.states{deep} HTTP/1.1\r\n\r\n").as_bytes());
                let _ = s.shutdown(Shutdown::Both);
            }
            _ => {
                let _ = s.write_all(format!("GET /.states{deep} HTTP/1.1\r\n\r\n").as_bytes());
                let mut few = [0u8; 16];
                let _ = s.read(&mut few);
            }
        }
        drop(s);
    }
    eprintln!("30 aborted requests sent: {:?}", t.elapsed());

    // Malformed requests get an error status, never a dead server.
    let malformed: Vec<(Vec<u8>, u16)> = vec![
        (b"GET /.states/abc HTTP/1.1\r\n\r\n".to_vec(), 404),
        (
            b"GET /.states/0/99999999999999999999999 HTTP/1.1\r\n\r\n".to_vec(),
            404,
        ),
        (
            b"GET /.states/0/18446744073709551615 HTTP/1.1\r\n\r\n".to_vec(),
            404,
        ),
        (b"GET /.states/7 HTTP/1.1\r\n\r\n".to_vec(), 404),
        (b"GET /.states/0//1 HTTP/1.1\r\n\r\n".to_vec(), 404),
        (b"GET /nothing-here HTTP/1.1\r\n\r\n".to_vec(), 404),
        (
            format!("GET /.states{} HTTP/1.1\r\n\r\n", "/0".repeat(600)).into_bytes(),
            414,
        ),
        (b"\x00\x01\x02 garbage\r\n\r\n".to_vec(), 400),
        (b"DELETE / HTTP/1.1\r\n\r\n".to_vec(), 405),
        (
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
            411,
        ),
        (
            format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000)).into_bytes(),
            431,
        ),
    ];
    for (raw, want) in &malformed {
        let (code, _) = request(port, raw).expect("an answer");
        assert_eq!(
            code,
            *want,
            "{:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(60)])
        );
    }

    // More idle connections than the cap: the excess is refused at once, and the
    // slots come back when the idle clients go.
    let idle: Vec<TcpStream> = (0..70)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    // The front accepts them one by one; on a busy machine that may take a moment
    // (a CI run beside other jobs once needed more than 5 s).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let (code, _) = request(port, b"GET / HTTP/1.1\r\n\r\n").expect("an answer");
        if code == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "never refused: {code}");
    }
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, _) = request(port, b"GET / HTTP/1.1\r\n\r\n").expect("an answer");
        if code == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the slots did not come back");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Still up, still correct.
    assert!(e.alive());
    let (code, body) = e.get(&format!("/.states{deep}"));
    assert_eq!(code, 200);
    assert_eq!(body, reference);
    let (code, page) = e.get("/");
    assert_eq!(code, 200);
    assert!(page.contains("Stateright Explorer"));
    let (code, status) = e.get("/.status");
    assert_eq!(code, 200);
    assert!(status.contains("no double connection"));
}

/// F5: stateright's own server would serve `./ui/index.htm` from the working
/// directory; synack serves stateright's pages from memory, so a `ui/` there at
/// start-up is never read (see also `a_ui_directory_made_later_is_not_served`).
#[test]
fn a_ui_directory_at_start_up_is_not_served() {
    let d = scratch("with-ui");
    std::fs::create_dir_all(d.join("ui")).unwrap();
    std::fs::write(d.join("ui/index.htm"), "PLANTED PAGE").unwrap();
    std::fs::write(d.join("ui/app.js"), "alert('PLANTED')").unwrap();
    let e = Explorer::start_in("tcp-handshake", d.clone());
    let (code, page) = e.get("/");
    assert_eq!(code, 200);
    assert!(!page.contains("PLANTED"), "{page}");
    assert!(page.contains("Stateright Explorer"));
    let (_, js) = e.get("/app.js");
    assert!(!js.contains("PLANTED"), "{js}");
    drop(e);
    let _ = std::fs::remove_dir_all(&d);
}

/// F3: the Explorer listens on one socket only, the front's: no second, internal port
/// that another local user could reach to bypass the front's limits.
#[test]
fn the_explorer_listens_on_one_port_only() {
    let e = Explorer::start("tcp-two-way-handshake");
    let (code, _) = e.get("/.status");
    assert_eq!(code, 200);
    let pid = e.child.id();
    // The inodes of the process's sockets, and the listening TCP sockets among them.
    let mut inodes = Vec::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        if let Ok(l) = std::fs::read_link(fd.path()) {
            let l = l.to_string_lossy().to_string();
            if let Some(i) = l.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                inodes.push(i.to_string());
            }
        }
    }
    let mut listening = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // st 0A is LISTEN; field 9 is the inode.
            if f.len() > 9 && f[3] == "0A" && inodes.iter().any(|i| i == f[9]) {
                listening.push(f[1].to_string());
            }
        }
    }
    assert_eq!(listening.len(), 1, "listening on {listening:?}");
    let port = u16::from_str_radix(listening[0].rsplit(':').next().unwrap(), 16).unwrap();
    assert_eq!(port, e.port);
}

#[test]
fn a_busy_port_is_exit_2() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let out = Command::new(BIN)
        .args([
            "explore",
            "tcp-handshake",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(scratch("busy"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: cannot listen on"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_page_load_scenario_has_a_lifeline_per_actor() {
    let e = Explorer::start("page-load");
    let link = deep_link("page-load", "page rendered");
    let step = follow(&e, &link);
    let svg = step["svg"].as_str().unwrap();
    for role in ["browser", "resolver", "server"] {
        assert!(svg.contains(&format!(">{role}</text>")), "{role}: {svg}");
    }
    assert!(svg.contains("HTTP/1.1 200 OK"), "{svg}");
}

/// A connection to 127.0.0.1:`port` from the source address `from` (any 127.x.y.z is
/// this host): another client, as the front counts clients.
fn connect_from(from: [u8; 4], port: u16) -> TcpStream {
    use std::os::fd::FromRawFd;
    let sin = |a: [u8; 4], p: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: p.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(a),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls on a descriptor this function owns until it hands it
    // to the TcpStream.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let src = sin(from, 0);
        let dst = sin([127, 0, 0, 1], port);
        assert_eq!(
            libc::bind(fd, &src as *const _ as *const libc::sockaddr, len),
            0
        );
        assert_eq!(
            libc::connect(fd, &dst as *const _ as *const libc::sockaddr, len),
            0
        );
        TcpStream::from_raw_fd(fd)
    }
}

/// F2 (slowloris): one client's idle connections take at most half the front's slots,
/// and a client that sends its request a byte at a time is cut off at the request
/// deadline (10 s) with a 408, however steadily it sends.
#[test]
fn slow_clients_hold_no_more_than_their_share() {
    let e = Explorer::start("tcp-two-way-handshake");
    let port = e.port;
    // 70 idle connections from one client: more than its share (64).
    let idle: Vec<TcpStream> = (0..70)
        .map(|_| connect_from([127, 0, 0, 2], port))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (code, _) = e.get("/.status");
    assert_eq!(code, 200, "another client is served");
    // The idle client itself is refused beyond its share.
    let mut s = connect_from([127, 0, 0, 2], port);
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert_eq!(parse_response(&buf).map(|r| r.0), Ok(503));
    drop(idle);

    // One byte a second: answered 408 when the deadline passes.
    let mut s = connect_from([127, 0, 0, 3], port);
    s.set_read_timeout(Some(Duration::from_millis(900)))
        .unwrap();
    let t = Instant::now();
    let request = b"GET /.status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".to_vec();
    let mut answer = Vec::new();
    for b in request.iter().cycle() {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        let mut chunk = [0u8; 512];
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(_) => {}
        }
        if !answer.is_empty() || t.elapsed() > Duration::from_secs(25) {
            break;
        }
    }
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = s.read_to_end(&mut answer);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(15), "held for {took:?}");
    assert_eq!(
        parse_response(&answer).map(|r| r.0),
        Ok(408),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
}

/// F4: a `Host` that is not the Explorer's address (DNS rebinding) gets 421, and a
/// cross-origin `POST /.runtocompletion` (a `no-cors` fetch) gets 403 and runs nothing.
#[test]
fn foreign_hosts_and_cross_origin_posts_are_refused() {
    let e = Explorer::start("tcp-two-way-handshake");
    let port = e.port;
    let raw = format!("GET / HTTP/1.1\r\nHost: rebound.example:{port}\r\n\r\n");
    assert_eq!(request(port, raw.as_bytes()).map(|r| r.0), Ok(421));
    let raw = format!(
        "POST /.runtocompletion HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n\
         Content-Length: 0\r\n\r\n"
    );
    assert_eq!(request(port, raw.as_bytes()).map(|r| r.0), Ok(403));
    let (_, status) = e.get("/.status");
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        v["done"], false,
        "the refused POST explored nothing: {status}"
    );
    // The Explorer's own page may.
    let raw = format!(
        "POST /.runtocompletion HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Origin: http://127.0.0.1:{port}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Length: 0\r\n\r\n"
    );
    assert_eq!(request(port, raw.as_bytes()).map(|r| r.0), Ok(200));
    // Run to completion runs synack's engine; its counterexample is a deep link.
    let deadline = Instant::now() + Duration::from_secs(60);
    let v = loop {
        let (_, status) = e.get("/.status");
        let v: serde_json::Value = serde_json::from_str(&status).unwrap();
        if v["done"] == true {
            break v;
        }
        assert!(Instant::now() < deadline, "not done: {status}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(v["unique_state_count"].as_u64().unwrap() > 0, "{v}");
    let p = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[1] == "no double connection")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(p[0], "Always");
    let path = p[2].as_str().expect("a counterexample path");
    let link = deep_link("tcp-two-way-handshake", "no double connection");
    assert!(
        link.ends_with(&format!("#/steps/{path}")),
        "{link} vs {path}"
    );
}

/// F5: a `ui/` directory created after the Explorer started is never served.
#[test]
fn a_ui_directory_made_later_is_not_served() {
    let e = Explorer::start("tcp-two-way-handshake");
    std::fs::create_dir_all(e.dir.join("ui")).unwrap();
    std::fs::write(e.dir.join("ui/index.htm"), "PLANTED PAGE").unwrap();
    let (code, page) = e.get("/");
    assert_eq!(code, 200);
    assert!(!page.contains("PLANTED"), "{page}");
    assert!(page.contains("Stateright Explorer"));
}
