//! Property-based tests (proptest) of the parsers that read what users and networks
//! give synack: scenario files, HTTP/1.1 bytes, and replay traces. None may panic; a
//! scenario error names its file and says where (a line or a key); a trace error names
//! a line of the trace; and every response the origin can write is read back whole,
//! and never early.

use proptest::prelude::*;
use std::path::Path;
use synack::http::message::{
    body_of, forwarded_fields, parse_head, parse_request, progress, Framing, Progress, Response,
};
use synack::scenario::Scenario;

fn base(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(format!("{name}.toml")),
    )
    .unwrap()
}

/// Values a careless or hostile scenario file may hold.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0u32..300).prop_map(|n| n.to_string()),
        "[a-z\"\\[\\]{}=., -]{0,12}",
        Just("\"unlimited\"".to_string()),
        Just("[]".to_string()),
        Just("true".to_string()),
        Just("\"\\r\\n\"".to_string()),
        Just("99999999999999999999".to_string()),
    ]
}

/// A scenario's text with one line changed: its value replaced, the line dropped, or
/// a line of noise added.
fn mutated(text: String) -> impl Strategy<Value = String> {
    let n = text.lines().count();
    (0..n, 0u8..3, value()).prop_map(move |(at, how, v)| {
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        match how {
            0 => {
                if let Some(eq) = lines[at].find('=') {
                    lines[at] = format!("{}= {v}", &lines[at][..eq]);
                }
            }
            1 => {
                lines.remove(at);
            }
            _ => lines.insert(at, v),
        }
        lines.join("\n")
    })
}

fn check_scenario(text: &str) -> Result<(), TestCaseError> {
    let path = Path::new("fuzzed.toml");
    match std::panic::catch_unwind(|| Scenario::parse(path, text)) {
        Err(_) => Err(TestCaseError::fail(format!("panicked on:\n{text}"))),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            let shown = e.to_string();
            prop_assert!(shown.starts_with("fuzzed.toml"), "{shown}");
            prop_assert!(
                e.line.is_some() || e.key.is_some(),
                "neither a line nor a key: {shown}"
            );
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_mutated_tcp_scenario_is_read_or_refused_with_its_place(t in mutated(base("tcp-handshake"))) {
        check_scenario(&t)?;
    }

    #[test]
    fn a_mutated_page_load_scenario_is_read_or_refused_with_its_place(t in mutated(base("http-status"))) {
        check_scenario(&t)?;
    }

    #[test]
    fn a_mutated_spoofer_scenario_is_read_or_refused_with_its_place(t in mutated(base("dns-spoof-randomised"))) {
        check_scenario(&t)?;
    }

    #[test]
    fn http_parsers_never_panic_on_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..200), eof: bool, head: bool) {
        let _ = parse_request(&b);
        let _ = parse_head(&b);
        let _ = progress(&b, eof, head);
        let _ = body_of(&b, head);
        let _ = forwarded_fields(&b);
    }

    #[test]
    fn http_parsers_never_panic_on_near_http(
        body in "[a-z0-9\\r\\n:; -]{0,40}",
        te in prop_oneof![Just(""), Just("Transfer-Encoding: chunked\r\n"), Just("Transfer-Encoding: gzip, chunked\r\n"), Just("Transfer-Encoding: chunked, gzip\r\n")],
        cl in prop_oneof![Just(String::new()), (0u32..50).prop_map(|n| format!("Content-Length: {n}\r\n")), Just("Content-Length: +1\r\n".to_string())],
        status in 100u16..600,
    ) {
        let b = format!("HTTP/1.1 {status} X\r\n{te}{cl}\r\n{body}");
        for cut in 0..=b.len() {
            let _ = progress(&b.as_bytes()[..cut], true, false);
            let _ = progress(&b.as_bytes()[..cut], false, false);
        }
        let _ = body_of(b.as_bytes(), false);
    }

    /// Whatever the origin writes, in one write or two, the browser reads whole, with
    /// the body's length; a strict prefix is never taken for the whole response.
    #[test]
    fn every_response_the_origin_writes_is_read_whole_and_never_early(
        status in prop_oneof![100u16..104, 200u16..600],
        body in "[ -~]{0,40}",
        framing in prop_oneof![Just(Framing::ContentLength), Just(Framing::Chunked)],
        head_only: bool,
        two: bool,
    ) {
        let mut r = Response::new(status, vec![("X-Test".into(), "1".into())], &body);
        r.framing = framing;
        r.head_only = head_only;
        let bytes = r.to_pieces(if two { 2 } else { 1 }).concat();
        let bodiless = head_only || status < 200 || status == 204 || status == 304;
        if status >= 200 {
            match progress(&bytes, false, head_only) {
                Progress::Done(p, n) => {
                    prop_assert_eq!(p.status, status);
                    prop_assert_eq!(n, if bodiless { 0 } else { body.len() });
                }
                other => prop_assert!(false, "{other:?} for {:?}", String::from_utf8_lossy(&bytes)),
            }
            prop_assert_eq!(body_of(&bytes, head_only), if bodiless { Vec::new() } else { body.clone().into_bytes() });
            for cut in 0..bytes.len() {
                prop_assert!(
                    !matches!(progress(&bytes[..cut], false, head_only), Progress::Done(..)),
                    "done early at {cut} of {:?}", String::from_utf8_lossy(&bytes)
                );
            }
        }
    }

    #[test]
    fn a_replay_trace_is_read_or_refused_at_a_line(lines in proptest::collection::vec(
        prop_oneof![
            "[a-z@!>:\\[\\]., 0-9-]{0,40}",
            Just("client > server: Flags [S], seq 0".to_string()),
            Just("server > client: Flags [S.], seq 0, ack 1".to_string()),
            Just("@server LISTEN".to_string()),
            Just("!client CLOSE".to_string()),
            (any::<i64>(), any::<i64>()).prop_map(|(a, b)| format!("client > server: Flags [.], seq {a}, ack {b}")),
        ], 0..8)
    ) {
        let text = lines.join("\n");
        let roles = vec!["client".to_string(), "server".to_string()];
        match std::panic::catch_unwind(|| synack::replay::trace::parse(&text, &roles)) {
            Err(_) => prop_assert!(false, "panicked on:\n{text}"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => prop_assert!(e.line <= lines.len(), "line {} of {}", e.line, lines.len()),
        }
    }
}
