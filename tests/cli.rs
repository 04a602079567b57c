//! The command line: exit codes, errors and output, snapshotted together.

#[path = "common/run.rs"]
mod run;

use run::synack;

use std::process::Command;

fn shown(args: &[&str]) -> String {
    let (code, out, err) = synack(args);
    format!(
        "$ synack {}\nexit: {code}\n--- stdout\n{out}--- stderr\n{err}",
        args.join(" ")
    )
}

macro_rules! snap {
    ($name:literal, $value:expr) => {
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(concat!("cli.", $name), $value);
        });
    };
}

#[test]
fn unknown_scenario_lists_the_known_ones() {
    let (code, _, err) = synack(&["check", "no-such-scenario"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: unknown scenario `no-such-scenario`"));
    assert!(err.contains("tcp-handshake"));
    snap!("unknown-scenario", shown(&["check", "no-such-scenario"]));
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let (code, _, err) = synack(&["check", "tests/fixtures/unknown-key.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown-key.toml:7"), "{err}");
    assert!(err.contains("loss_budgte"), "{err}");
    assert!(!err.contains("panicked"));
    snap!(
        "unknown-key",
        shown(&["check", "tests/fixtures/unknown-key.toml"])
    );
}

#[test]
fn contradictory_bounds_name_the_key() {
    let (code, _, err) = synack(&["check", "tests/fixtures/contradictory.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("tcp.isns"), "{err}");
    snap!(
        "contradictory",
        shown(&["check", "tests/fixtures/contradictory.toml"])
    );
}

#[test]
fn malformed_toml_is_an_error_not_a_panic() {
    let (code, _, err) = synack(&["check", "tests/fixtures/malformed.toml"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error:"));
    assert!(err.contains("malformed.toml:"), "{err}");
    snap!(
        "malformed",
        shown(&["check", "tests/fixtures/malformed.toml"])
    );
}

#[test]
fn bad_flag_values_exit_2() {
    for args in [
        &["check", "tcp-handshake", "--threads", "0"][..],
        &["check", "tcp-handshake", "--max-states", "-5"][..],
        &[
            "trace",
            "tcp-handshake",
            "graceful close",
            "--format",
            "gif",
        ][..],
        &["check"][..],
    ] {
        let (code, _, err) = synack(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.starts_with("error:"), "{args:?}: {err}");
    }
    snap!(
        "threads-zero",
        shown(&["check", "tcp-handshake", "--threads", "0"])
    );
}

#[test]
fn a_verdict_that_differs_exits_1_with_its_counterexample() {
    let (code, out, _) = synack(&["check", "tests/fixtures/wrong-expectation.toml", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["as_expected"], false);
    assert_eq!(v["properties"][0]["verdict"], "violated");
    assert!(v["properties"][0]["trace"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));
}

#[test]
fn a_run_cut_by_max_states_is_partial_and_exits_3() {
    let (code, out, _) = synack(&["check", "tcp-handshake", "--max-states", "1000", "--json"]);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["complete"], false);
    let verdicts: Vec<&str> = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["verdict"].as_str().unwrap())
        .collect();
    assert!(verdicts.contains(&"unknown"));
    assert!(
        verdicts.contains(&"found"),
        "examples found before the cut stay found"
    );
}

#[test]
fn check_json_follows_the_contract() {
    let (code, out, _) = synack(&["check", "tcp-two-way-handshake", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    for k in [
        "scenario",
        "complete",
        "states",
        "unique_states",
        "max_depth",
        "seconds",
        "properties",
        "as_expected",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let p = &v["properties"][0];
    assert_eq!(p["name"], "no double connection");
    assert_eq!(p["kind"], "always");
    let step = &p["trace"][1];
    assert!(step["action"].is_string() && step["summary"].is_string());
    let seg = p["trace"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| !s["segment"].is_null())
        .expect("a segment");
    assert_eq!(seg["segment"]["flags"], "S");
    assert_eq!(seg["segment"]["from"], "client");
    let (_, two, _) = synack(&[
        "check",
        "tcp-two-way-handshake",
        "tcp-simultaneous-close",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&two).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(2));
}

#[test]
fn lasso_traces_mark_the_loop() {
    let (code, out, _) = synack(&[
        "trace",
        "tcp-fin-wait-2-stall",
        "both sides reach CLOSED",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v["loop_start"].is_u64());
    snap!(
        "trace-lasso",
        shown(&[
            "trace",
            "tcp-unbounded-syn-retry",
            "both sides reach CLOSED"
        ])
    );
}

#[test]
fn list_and_transitions() {
    let (code, out, _) = synack(&["list", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "tcp-handshake"));
    snap!(
        "transitions-simultaneous-close",
        shown(&["transitions", "tcp-simultaneous-close"])
    );
}

#[test]
fn explore_on_a_busy_port_exits_2() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().unwrap().to_string();
    let (code, _, err) = synack(&["explore", "tcp-handshake", "--addr", &addr]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot listen on"), "{err}");
    assert!(!err.contains("panicked"));
}

/// Bad `[http]` values: each gives exit 2 and an `error:` line with the file, the
/// line and the key, never a panic.
#[test]
fn bad_http_values_name_file_line_and_key() {
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/page-load.toml"),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("synack-bad-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &str, &str, &str); 14] = [
        // A CR or LF would split the HTTP head: the file is refused (issue 12, item 6).
        (
            "crlf-method",
            "url = ",
            "method = \"GET\\r\\nX-Injected: 1\"\nurl = ",
            "http.method",
        ),
        (
            "crlf-user-agent",
            "url = ",
            "user_agent = \"a\\nb\"\nurl = ",
            "http.user_agent",
        ),
        (
            "crlf-link",
            "url = ",
            "links = [\"/x\\r\\nHost: evil\"]\nurl = ",
            "http.links",
        ),
        (
            "crlf-header",
            "method = \"GET\"",
            "method = \"GET\"\nheaders = { \"Location\" = \"/a\\r\\nSet-Cookie: x\" }",
            "http.route.headers",
        ),
        (
            "bad-url",
            "url = \"http://www.rbooks.top/mypage?userid=0\"",
            "url = \"http//no host\"",
            "http.url",
        ),
        (
            "status-600",
            "status = 200",
            "status = 600",
            "http.route.status",
        ),
        ("status-text", "status = 200", "status = \"2xx\"", "status"),
        (
            "negative-deadline",
            "deadline = 12 ",
            "deadline = -1 ",
            "deadline",
        ),
        ("missing-dns-tries", "dns_tries = 2 ", "", "dns_tries"),
        (
            "three-chunks",
            "[[http.route]]",
            "[http.origin]\nchunks = 3\n\n[[http.route]]",
            "http.origin.chunks",
        ),
        (
            "unknown-fault",
            "[[http.route]]",
            "[http.origin]\nfaults = [\"explode\"]\n\n[[http.route]]",
            "explode",
        ),
        // The model has one origin: a redirect to another cannot be followed.
        (
            "location-other-origin",
            "method = \"GET\"",
            "method = \"GET\"\nheaders = { \"Location\" = \"//evil.example/x\" }",
            "another origin",
        ),
        (
            "location-not-a-reference",
            "method = \"GET\"",
            "method = \"GET\"\nheaders = { \"Location\" = \"http://[::1\" }",
            "not a URI reference",
        ),
        (
            "gateway-timeout-zero",
            "[[http.route]]",
            "[http.gateway]\ntimeout = 0\n\n[[http.route]]",
            "http.gateway.timeout",
        ),
    ];
    for (name, from, to, key) in cases {
        assert!(base.contains(from), "{name}: the base has {from:?}");
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, base.replacen(from, to, 1)).unwrap();
        let (code, _, err) = synack(&["check", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.starts_with("error:"), "{name}: {err}");
        assert!(err.contains(&format!("{name}.toml:")), "{name}: {err}");
        assert!(err.contains(key), "{name}: no {key:?} in {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// F6: a reader that goes away (`| head -1`) ends the run quietly, with the run's
/// code and nothing on stderr; a full disk is an `error:` and exit 2.
#[test]
fn a_closed_stdout_ends_quietly_and_a_full_one_is_an_error() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(["check", "--all", "--max-states", "1000"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run synack");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("INCOMPLETE"), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.is_empty(), "{err}");

    for args in [&["check", "tcp-teardown"][..], &["list"][..]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_synack"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(full)
            .output()
            .expect("run synack");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("error: cannot write to standard output\ncaused by: "),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// `trace` exits 1 when the traced verdict is not the expected one.
#[test]
fn a_trace_whose_verdict_differs_exits_1() {
    let (code, out, err) = synack(&[
        "trace",
        "tests/fixtures/wrong-expectation.toml",
        "no double connection",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("violated (expected holds)"), "{out}");
}

/// `explore --addr 127.0.0.1:0` names the port the system picked, and serves on it.
#[test]
fn explore_on_port_0_prints_the_bound_port() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(["explore", "tcp-handshake", "--addr", "127.0.0.1:0"])
        .current_dir(std::env::temp_dir())
        .arg("--models")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run synack");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim_end()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let mut answer = String::new();
    if port != 0 {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let rq =
            format!("GET /.status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        c.write_all(rq.as_bytes()).unwrap();
        let _ = c.read_to_string(&mut answer);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_ne!(port, 0, "{line}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// F7/F8: derived bounds that overflow a u8, and timers as long as the wire's
/// "no deadline" sentinel (255 ticks), are refused with the file, line and key.
#[test]
fn overflowing_bounds_and_endless_timers_are_refused() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("synack-bad-bounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &str, &str, &str, &str); 9] = [
        // rcv_wnd * 2 wraps to 0 in u8.
        (
            "tcp-teardown",
            "rcv-wnd-128",
            "space = 16",
            "space = 16\nrcv_wnd = 128",
            "tcp.rcv_wnd",
        ),
        // 2 + client_data wraps to 0 in u8.
        (
            "tcp-teardown",
            "client-data-254",
            "space = 16",
            "space = 16\nclient_data = 254",
            "tcp.space",
        ),
        (
            "tcp-teardown",
            "rto-255",
            "rto = 1 ",
            "rto = 255 ",
            "tcp.rto",
        ),
        (
            "tcp-teardown",
            "fin-wait-2-255",
            "time_wait = 2",
            "time_wait = 2\nfin_wait_2_timeout = 255",
            "tcp.fin_wait_2_timeout",
        ),
        (
            "page-load",
            "dns-rto-255",
            "dns_rto = 3",
            "dns_rto = 255",
            "http.dns_rto",
        ),
        (
            "page-load",
            "continue-255",
            "dns_rto = 3",
            "dns_rto = 3\nexpect_continue = 255",
            "http.expect_continue",
        ),
        (
            "page-load",
            "gateway-255",
            "[[http.route]]",
            "[http.gateway]\ntimeout = 255\n\n[[http.route]]",
            "http.gateway.timeout",
        ),
        (
            "http-keepalive-race",
            "think-255",
            "think = 3 ",
            "think = 255 ",
            "http.keepalive.think",
        ),
        (
            "http-keepalive-race",
            "idle-255",
            "idle = 2 ",
            "idle = 255 ",
            "http.keepalive.idle",
        ),
    ];
    for (base, name, from, to, key) in cases {
        let text = std::fs::read_to_string(root.join(format!("models/{base}.toml"))).unwrap();
        assert!(text.contains(from), "{name}: {base} has {from:?}");
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        let (code, _, err) = synack(&["check", path.to_str().unwrap(), "--max-states", "1000"]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.starts_with("error:"), "{name}: {err}");
        assert!(err.contains(&format!("{name}.toml:")), "{name}: {err}");
        assert!(
            err.contains(&format!("key `{key}`")),
            "{name}: no {key:?} in {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// F7: every bound at its largest legal value runs without an arithmetic overflow
/// (release builds have `overflow-checks = true`, so a wrap would panic: exit 101).
#[test]
fn the_largest_legal_bounds_run_without_overflow() {
    for f in ["extreme-tcp", "extreme-keepalive", "extreme-gateway"] {
        let path = format!("tests/fixtures/{f}.toml");
        let (code, out, err) = synack(&["check", &path, "--max-states", "200000"]);
        assert_eq!(code, 3, "{f}: {err}");
        assert!(out.contains("INCOMPLETE"), "{f}: {out}");
        assert!(!err.contains("panicked"), "{f}: {err}");
    }
}

/// F9: anything but a regular file, and any file over 1 MiB, is refused before it is
/// read: `/dev/zero` would fill memory, a FIFO would block for ever.
#[test]
fn only_regular_files_of_at_most_1_mib_are_read() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let dir = std::env::temp_dir().join(format!("synack-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let big = dir.join("big.toml");
    let mut text = String::from("# padding\n");
    while text.len() <= 1 << 20 {
        text.push_str("# a long scenario file is not a scenario file\n");
    }
    std::fs::write(&big, text).unwrap();
    let cases = [
        ("/dev/zero".to_string(), "not a regular file"),
        (fifo.display().to_string(), "not a regular file"),
        (format!("{}/", dir.display()), "not a regular file"),
        (big.display().to_string(), "larger than 1 MiB"),
    ];
    for (path, why) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_synack"))
            .args(["check", &path])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run synack");
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        if child.try_wait().unwrap().is_none() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{path}: still running after 20 s");
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {err}");
        assert!(err.starts_with("error: bad scenario file"), "{path}: {err}");
        assert!(err.contains(why), "{path}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// F1: the memory bound stops a run that explodes, with a partial report and exit 3.
#[test]
fn a_run_over_max_memory_stops_with_a_partial_report() {
    let (code, out, err) = synack(&[
        "check",
        "tests/fixtures/explosion.toml",
        "--max-memory",
        "300M",
        "--timeout",
        "120",
        "--json",
    ]);
    assert_eq!(code, 3, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["complete"], false);
    let why = v["stopped"].as_str().unwrap_or_default();
    assert!(why.starts_with("reached --max-memory 300.0 MiB"), "{why}");
    // Decided before the cut: a connection opens.
    assert_eq!(v["properties"][1]["name"], "reaches ESTABLISHED");
    assert_eq!(v["properties"][1]["verdict"], "found");

    // Under `ulimit -v` the default bound is half that limit: a report, not an abort.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1500000 && exec {} check tests/fixtures/explosion.toml --timeout 120",
            env!("CARGO_BIN_EXE_synack")
        ))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run synack under ulimit -v");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("stopped: reached --max-memory 732.4 MiB"),
        "{text}"
    );

    let (code, _, err) = synack(&["check", "tcp-teardown", "--max-memory", "8X"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error:") && err.contains("--max-memory"),
        "{err}"
    );
}

/// F1: `trace` and `transitions` take the bounds of `check`.
#[test]
fn trace_and_transitions_are_bounded_like_check() {
    let (code, _, err) = synack(&[
        "trace",
        "tcp-handshake",
        "no double connection",
        "--max-states",
        "100",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unknown"), "{err}");
    assert!(err.contains("reached --max-states 100"), "{err}");
    for bound in [["--max-states", "100"], ["--max-memory", "1K"]] {
        let (code, out, err) = synack(&["transitions", "tcp-handshake", bound[0], bound[1]]);
        assert_eq!(code, 3, "{bound:?}: {err}");
        assert!(
            err.starts_with("tcp-handshake: INCOMPLETE"),
            "{bound:?}: {err}"
        );
        assert!(out.contains("SYN-SENT"), "{bound:?}: {out}");
    }
    let (code, _, err) = synack(&["transitions", "tcp-handshake", "--timeout", "0"]);
    assert_eq!(code, 2, "{err}");
}

/// `transitions` of a page-load scenario is refused, not answered with the bare
/// TCP model.
#[test]
fn transitions_of_a_page_load_is_refused() {
    let (code, out, err) = synack(&["transitions", "http-status"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("error: transitions lists the TCP endpoints of a tcp scenario"),
        "{err}"
    );
}

/// F10: SIGINT and SIGTERM stop the run with its partial report, exit 130 and 143.
#[test]
fn a_signal_stops_the_run_with_a_partial_report() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let child = Command::new(env!("CARGO_BIN_EXE_synack"))
            .args([
                "check",
                "tests/fixtures/explosion.toml",
                "--max-memory",
                "1G",
                "--timeout",
                "60",
                "--json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run synack");
        // Long enough for the handlers to be installed and the run under way.
        std::thread::sleep(Duration::from_millis(1500));
        let start = Instant::now();
        unsafe { libc::kill(child.id() as libc::pid_t, sig) };
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{sig}: {err}");
        assert!(start.elapsed() < Duration::from_secs(30));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["complete"], false);
        let why = v["stopped"].as_str().unwrap_or_default();
        assert!(why.starts_with("interrupted by SIG"), "{why}");
    }
}

/// A toml error is one `error:` line and one `caused by:` line (a duplicate table
/// once spread its cause over two), and a bad value names its key.
#[test]
fn toml_errors_are_one_cause_that_names_the_key() {
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/tcp-teardown.toml"),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("synack-toml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "dup-table",
            "[expect]",
            "[tcp]\nrto = 1\n\n[expect]",
            "key `tcp`",
        ),
        ("rto-text", "rto = 1 ", "rto = \"five\" ", "key `tcp.rto`"),
        (
            "capacity-negative",
            "capacity = 4",
            "capacity = -4",
            "key `network.capacity`",
        ),
        (
            "loss-number",
            "loss = true",
            "loss = 1",
            "key `network.loss`",
        ),
        ("isns-number", "isn_clock = 1", "isns = 3", "key `tcp.isns`"),
    ];
    for (name, from, to, key) in cases {
        assert!(base.contains(from), "{name}: the base has {from:?}");
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, base.replacen(from, to, 1)).unwrap();
        let (code, _, err) = synack(&["check", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{name}: {err}");
        assert!(lines[0].starts_with("error: "), "{name}: {err}");
        assert!(lines[1].starts_with("caused by: "), "{name}: {err}");
        assert!(lines[1].contains(&format!("{name}.toml:")), "{name}: {err}");
        assert!(lines[1].contains(key), "{name}: no {key} in {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The resolver's IDs and ports and the spoofer's table: bad values are refused with
/// the file, the line and the key, and exit 2.
#[test]
fn bad_dns_knobs_are_refused_with_file_line_and_key() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = std::fs::read_to_string(root.join("models/dns-spoof-randomised.toml")).unwrap();
    let dir = std::env::temp_dir().join(format!("synack-bad-dns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &str, &str, &str); 10] = [
        (
            "ids-twice",
            "dns_ids = [1, 2]",
            "dns_ids = [1, 1]",
            "http.dns_ids",
        ),
        (
            "ids-word",
            "dns_ids = [1, 2]",
            "dns_ids = \"random\"",
            "http.dns_ids",
        ),
        (
            "id-17-bits",
            "dns_ids = [1, 2]",
            "dns_ids = [1, 70000]",
            "http.dns_ids",
        ),
        (
            "port-zero",
            "dns_ports = [1024, 1025]",
            "dns_ports = [0]",
            "http.dns_ports",
        ),
        (
            "no-ports",
            "dns_ports = [1024, 1025]",
            "dns_ports = []",
            "http.dns_ports",
        ),
        (
            "forged-truth",
            "answer = \"6.6.6.6\"",
            "answer = \"47.102.119.234\"",
            "http.dns_spoofer.answer",
        ),
        (
            "forged-nonsense",
            "answer = \"6.6.6.6\"",
            "answer = \"six\"",
            "http.dns_spoofer.answer",
        ),
        (
            "no-guesses",
            "\nids = [1, 2]",
            "\nids = []",
            "http.dns_spoofer.ids",
        ),
        (
            "guess-twice",
            "\nports = [1024, 1025]",
            "\nports = [1025, 1025]",
            "http.dns_spoofer.ports",
        ),
        (
            "no-forgeries",
            "forgeries = 1",
            "forgeries = 0",
            "http.dns_spoofer.forgeries",
        ),
    ];
    for (name, from, to, key) in cases {
        assert!(base.contains(from), "{name}: the base has {from:?}");
        let text = base.replacen(from, to, 1);
        let at = text.find(to.trim_start()).unwrap();
        let line = text[..at].matches('\n').count() + 1;
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        let (code, _, err) = synack(&["check", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.starts_with("error:"), "{name}: {err}");
        assert!(
            err.contains(&format!("{name}.toml:{line}: key `{key}`")),
            "{name}: not line {line}, key {key:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn replay_accepts_the_rfc_handshake_and_prints_its_bound() {
    let args = [
        "replay",
        "tcp-handshake",
        "tests/traces/rfc9293-figure-6.trace",
    ];
    let (code, out, err) = synack(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": accepted, 9 of 9 lines matched"), "{out}");
    assert!(
        out.contains("24 unobservable steps between two lines"),
        "{out}"
    );
    snap!("replay-accepted", shown(&args));
}

#[test]
fn replay_rejects_a_two_way_handshake_with_the_line_and_the_alternatives() {
    let args = [
        "replay",
        "tcp-handshake",
        "tests/traces/two-way-handshake.trace",
    ];
    let (code, out, err) = synack(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("first unmatched: line 5: @server ESTABLISHED"),
        "{out}"
    );
    assert!(
        out.contains("    client > server: Flags [.], seq 1, ack 1, length 0"),
        "{out}"
    );
    assert!(
        out.contains("    @client SYN-SENT, @server SYN-RECEIVED"),
        "{out}"
    );
    snap!("replay-rejected", shown(&args));
}

#[test]
fn replay_bad_input_names_file_line_and_problem() {
    let dir = std::env::temp_dir().join(format!("synack-replay-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "endpoint",
            "client > browser: Flags [S], seq 0",
            ":1: unknown endpoint `browser`",
        ),
        (
            "no-ack",
            "server > client: Flags [S.], seq 0",
            ":1: an ACK segment needs `ack N`",
        ),
        (
            "state",
            "@server LISTENING",
            ":1: unknown state `LISTENING`",
        ),
        (
            "bytes",
            "client > server: Flags [P.], seq 1:78, ack 1",
            ":1: length 77",
        ),
        (
            "empty",
            "# nothing but a comment",
            ": the trace has no events",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.join(format!("{name}.trace"));
        std::fs::write(&path, format!("{text}\n")).unwrap();
        let (code, out, err) = synack(&["replay", "tcp-handshake", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{name}: {err}");
        assert!(lines[0].starts_with("error: bad trace "), "{name}: {err}");
        assert!(lines[1].starts_with("caused by: "), "{name}: {err}");
        assert!(
            lines[1].contains(&format!("{name}.trace{want}")),
            "{name}: {err}"
        );
    }
    let (code, _, err) = synack(&["replay", "tcp-handshake", "no/such.trace"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot read no/such.trace"), "{err}");
    let (code, _, err) = synack(&["replay", "page-load", "tests/traces/rfc9293-figure-6.trace"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: replay needs a tcp scenario"),
        "{err}"
    );
    let (code, _, err) = synack(&[
        "replay",
        "tcp-handshake",
        "--pcap",
        "tests/traces/rfc9293-figure-6.trace",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a pcap file"), "{err}");
    let (code, _, err) = synack(&[
        "trace",
        "tcp-handshake",
        "reaches CLOSING",
        "--format",
        "pcap",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("-o FILE"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `[finding."PROPERTY"]` (the book's findings table): a property of `[expect]`, a
/// one-line `shows`, an optional one-line `real`, and no other key. Each mistake is
/// refused with the file, line and key.
#[test]
fn bad_findings_are_refused() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("synack-bad-findings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::read_to_string(root.join("models/tcp-handshake.toml")).unwrap();
    assert!(
        !base.contains("[finding.\"graceful close\"]"),
        "tcp-handshake.toml: no finding to clash with"
    );
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "unknown-property",
            "[finding.\"no such property\"]\nshows = \"x\"\n",
            "finding.\"no such property\"",
            "a property of [expect]",
        ),
        (
            "empty-shows",
            "[finding.\"graceful close\"]\nshows = \" \"\n",
            "finding.\"graceful close\".shows",
            "must not be empty",
        ),
        (
            "two-lines",
            "[finding.\"graceful close\"]\nshows = \"x\"\nreal = \"a\\nb\"\n",
            "finding.\"graceful close\".real",
            "one line",
        ),
        (
            "unknown-key",
            "[finding.\"graceful close\"]\nshows = \"x\"\nsays = \"y\"\n",
            "says",
            "unknown field",
        ),
        (
            "no-shows",
            "[finding.\"graceful close\"]\nreal = \"x\"\n",
            "shows",
            "missing field",
        ),
    ];
    for (name, table, key, message) in cases {
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, format!("{base}\n{table}")).unwrap();
        let (code, _, err) = synack(&["check", path.to_str().unwrap(), "--max-states", "1000"]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.starts_with("error:"), "{name}: {err}");
        let after = err.split(&format!("{name}.toml:")).nth(1).unwrap_or("");
        assert!(
            after.starts_with(|c: char| c.is_ascii_digit()),
            "{name}: no line in {err}"
        );
        assert!(
            err.contains(&format!("key `{key}`")),
            "{name}: no {key:?} in {err}"
        );
        assert!(err.contains(message), "{name}: no {message:?} in {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
