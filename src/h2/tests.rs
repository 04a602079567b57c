//! Unit tests of the h2 endpoints and properties, on single steps of the model.

use super::frame::{ErrorCode, Frame};
use super::model::{self, H2Model, H2WireState};
use super::node::{Body, Chunk, H2State, Outcome, St, Why, BROWSER, ORIGIN};
use crate::scenario::Scenario;
use crate::wire::WireAction;
use stateright::Model;
use std::path::Path;

fn scenario(h2: &str) -> Scenario {
    let text = format!(
        "description = \"test\"\nmodel = \"h2\"\n[network]\nmsl = 1\nreordering = false\n\
         capacity = 12\n[h2]\n{h2}\n[expect]\n\"the page loads\" = \"found\"\n"
    );
    Scenario::parse(Path::new("test.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Delivers the first deliverable chunk that `pick` accepts.
fn deliver(m: &H2Model, s: &H2WireState, pick: impl Fn(&Chunk) -> bool) -> H2WireState {
    let mut acts = Vec::new();
    m.actions(s, &mut acts);
    let a = acts
        .into_iter()
        .find(|a| matches!(a, WireAction::Deliver { msg, keep_copy: false, .. } if pick(msg)))
        .expect("a deliverable chunk");
    m.next_state(s, a).expect("a next state")
}

fn is_frame(c: &Chunk, f: impl Fn(&Frame) -> bool) -> bool {
    c.frame().is_some_and(|fr| f(&fr))
}

#[test]
fn every_chunk_is_the_octets_of_a_frame_or_the_preface() {
    let m = model::build(&scenario(
        "transport = \"in-order\"\nrequests = [\"GET /\", \"POST /order\"]",
    ));
    let s = m.init_states().remove(0);
    let labels: Vec<String> = s.flight.iter().map(|f| f.msg.to_string()).collect();
    assert_eq!(s.flight.len(), 5, "{labels:?}");
    for f in &s.flight {
        match &f.msg.body {
            Body::Preface(p) => assert_eq!(p.as_slice(), super::frame::PREFACE),
            Body::Frame(b) => {
                // The 9-octet header's length field is the payload's length.
                let len = u32::from_be_bytes([0, b[0], b[1], b[2]]) as usize;
                assert_eq!(len + 9, b.len());
                assert!(Frame::decode(b).is_ok());
            }
            Body::Close => panic!("nothing closes at the start"),
            Body::Tcp(_) => panic!("the in-order transport sends no TCP segments"),
        }
    }
}

#[test]
fn the_in_order_channel_delivers_a_connection_s_chunks_in_the_order_sent() {
    let m = model::build(&scenario(
        "transport = \"in-order\"\nrequests = [\"GET /\", \"GET /a.css\"]",
    ));
    let s = m.init_states().remove(0);
    let mut acts = Vec::new();
    m.actions(&s, &mut acts);
    let deliverable: Vec<String> = acts
        .iter()
        .filter_map(|a| match a {
            WireAction::Deliver { msg, .. } => Some(msg.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(deliverable, ["preface PRI * HTTP/2.0"]);
    // Per stream, each stream's first chunk may come first.
    let m = model::build(&scenario(
        "transport = \"per-stream\"\nrequests = [\"GET /\", \"GET /a.css\"]",
    ));
    let mut acts = Vec::new();
    m.actions(&m.init_states().remove(0), &mut acts);
    let n = acts
        .iter()
        .filter(|a| matches!(a, WireAction::Deliver { .. }))
        .count();
    assert_eq!(n, 3, "the preface, HEADERS[1] and HEADERS[3]");
}

fn browser(s: &H2WireState) -> &super::node::Browser {
    match &s.actors[BROWSER] {
        H2State::Browser(b) => b,
        _ => unreachable!(),
    }
}

fn origin(s: &H2WireState) -> &super::node::Origin {
    match &s.actors[ORIGIN] {
        H2State::Origin(o) => o,
        _ => unreachable!(),
    }
}

/// Runs the page load to the point where the response HEADERS of stream 1 is in
/// flight and the browser has reset stream 1.
fn reset_race(receiver: &str) -> (H2Model, H2WireState) {
    let m = model::build(&scenario(&format!(
        "transport = \"in-order\"\nrequests = [\"GET /\", \"GET /a.css\"]\ncancels = 1\n\
         receiver = \"{receiver}\""
    )));
    let mut s = m.init_states().remove(0);
    for _ in 0..4 {
        s = deliver(&m, &s, |_| true);
    }
    // The origin has both requests and answered both with HEADERS.
    assert_eq!(origin(&s).conns[0].streams.len(), 2);
    let cancel = WireAction::Fire {
        actor: BROWSER,
        timer: super::node::H2Timer::Cancel(0),
    };
    s = m.next_state(&s, cancel).expect("the user cancels");
    assert_eq!(browser(&s).reqs[0].outcome, Outcome::Cancelled);
    assert_eq!(
        browser(&s).conns[0].stream(1).map(|st| st.st),
        Some(St::Closed(Why::ResetSent))
    );
    // Deliver the server's SETTINGS and its ACK, then the HEADERS of the reset stream.
    s = deliver(&m, &s, |c| {
        is_frame(c, |f| matches!(f, Frame::Settings { .. }))
    });
    s = deliver(&m, &s, |c| {
        is_frame(c, |f| matches!(f, Frame::Settings { .. }))
    });
    s = deliver(&m, &s, |c| {
        is_frame(c, |f| matches!(f, Frame::Headers { stream: 1, .. }))
    });
    (m, s)
}

#[test]
fn a_faithful_receiver_decodes_the_block_of_a_stream_it_reset_and_ignores_the_frame() {
    let (m, s) = reset_race("faithful");
    let b = browser(&s);
    assert!(b.conns[0].seen.frame_after_reset);
    assert!(!b.conns[0].seen.race_error);
    assert_eq!(b.conns[0].dec.entries.len(), 2, "server and content-type");
    assert!(model::hpack_tables_agree(&m, &s));
    assert!(b.conns[0].error.is_none());
}

#[test]
fn a_receiver_that_skips_the_block_loses_hpack_sync_and_the_next_block_fails() {
    let (m, s) = reset_race("skips-reset-blocks");
    assert!(browser(&s).conns[0].dec.entries.is_empty());
    assert!(!model::hpack_tables_agree(&m, &s));
    // The next block refers to the entries the skipped one added.
    let s = deliver(&m, &s, |c| {
        is_frame(c, |f| matches!(f, Frame::Headers { stream: 3, .. }))
    });
    let b = browser(&s);
    assert_eq!(b.conns[0].error, Some(ErrorCode::CompressionError));
    assert_eq!(b.reqs[1].outcome, Outcome::Failed);
}

#[test]
fn a_strict_receiver_ends_the_connection_on_a_frame_that_raced_its_reset() {
    let (m, s) = reset_race("strict-after-reset");
    let b = browser(&s);
    assert!(b.conns[0].seen.race_error);
    assert_eq!(b.conns[0].error, Some(ErrorCode::StreamClosed));
    assert!(!model::reset_races_tolerated(&m, &s));
    // It said so with a GOAWAY and closed the connection.
    assert!(s.flight.iter().any(|f| matches!(f.msg.body, Body::Close)));
}

#[test]
fn bad_h2_tables_are_errors_that_name_the_key() {
    let bad = |h2: &str, net: &str| {
        let text = format!(
            "description = \"x\"\nmodel = \"h2\"\n[network]\nmsl = 1\ncapacity = 4\n{net}\n\
             [h2]\n{h2}\n[expect]\n\"the page loads\" = \"found\"\n"
        );
        Scenario::parse(Path::new("bad.toml"), &text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let ok_net = "reordering = false";
    let e = bad("transport = \"in-order\"\nrequests = []", ok_net);
    assert!(e.contains("key `h2.requests`"), "{e}");
    let e = bad("transport = \"in-order\"\nrequests = [\"PUT /x\"]", ok_net);
    assert!(e.contains("not \"GET /path\""), "{e}");
    let e = bad("transport = \"in-order\"\nrequests = [\"GET /\"]", "");
    assert!(e.contains("key `network.reordering`"), "{e}");
    let e = bad("transport = \"sideways\"\nrequests = [\"GET /\"]", ok_net);
    assert!(e.contains("h2.transport"), "{e}");
    let e = bad(
        "transport = \"in-order\"\nrequests = [\"GET /\"]\ncancels = 2",
        ok_net,
    );
    assert!(e.contains("key `h2.cancels`"), "{e}");
    let e = bad(
        "transport = \"in-order\"\nrequests = [\"GET /\"]\nconnections = 3",
        ok_net,
    );
    assert!(e.contains("key `h2.connections`"), "{e}");
}

// --- flow control (src/h2/flow.rs) ---------------------------------------------------

fn fire_write(m: &H2Model, s: &H2WireState, stream: u32) -> H2WireState {
    let w = WireAction::Fire {
        actor: ORIGIN,
        timer: super::node::H2Timer::Write(0, stream),
    };
    m.next_state(s, w).expect("the origin writes")
}

/// The flow-control page load up to both requests at the origin.
fn flow_start(receiver: &str) -> (H2Model, H2WireState) {
    let m = model::build(&scenario(&format!(
        "transport = \"in-order\"\nrequests = [\"GET /a\", \"GET /b\"]\ncancels = 1\n\
         window = 4\nconnection_window = 4\nreceiver = \"{receiver}\""
    )));
    let mut s = m.init_states().remove(0);
    for _ in 0..4 {
        s = deliver(&m, &s, |_| true);
    }
    assert_eq!(origin(&s).conns[0].flow.peer_initial, Some(4));
    (m, s)
}

#[test]
fn the_origin_sends_no_more_than_the_window_then_waits_for_a_window_update() {
    let (m, s) = flow_start("faithful");
    let s = fire_write(&m, &s, 1);
    let data: Vec<String> = s
        .flight
        .iter()
        .filter(|f| is_frame(&f.msg, |fr| matches!(fr, Frame::Data { .. })))
        .map(|f| f.msg.to_string())
        .collect();
    assert_eq!(data, ["DATA[1] 4 octets"]);
    // The connection window is spent: stream 3 cannot send a single octet.
    let before = s.flight.len();
    let s = fire_write(&m, &s, 3);
    assert_eq!(s.flight.len(), before);
    assert!(model::window_exhausted(&m, &s));
    assert!(model::conn_window_non_negative(&m, &s));
}

#[test]
fn the_window_properties_fail_for_a_sender_that_overran_the_window() {
    let (m, s) = flow_start("faithful");
    let mut s = fire_write(&m, &s, 1);
    assert!(model::conn_window_non_negative(&m, &s));
    assert!(model::stream_windows_non_negative(&m, &s));
    // Pretend the origin sent one octet more than either window allowed.
    let a = &mut s.actors;
    if let H2State::Origin(o) = &mut a[ORIGIN] {
        o.conns[0].flow.out.octets += 1;
        o.conns[0].flow.out.streams[0].octets += 1;
    }
    assert!(!model::conn_window_non_negative(&m, &s));
    assert!(!model::stream_windows_non_negative(&m, &s));
}

/// The browser resets stream 1 and then receives its first DATA frame.
fn data_after_reset(receiver: &str) -> H2WireState {
    let (m, s) = flow_start(receiver);
    let s = fire_write(&m, &s, 1);
    let cancel = WireAction::Fire {
        actor: BROWSER,
        timer: super::node::H2Timer::Cancel(0),
    };
    let mut s = m.next_state(&s, cancel).expect("the user cancels");
    while browser(&s).conns[0].flow.inc.octets == 0 {
        s = deliver(&m, &s, |_| true);
    }
    assert!(browser(&s).conns[0].seen.frame_after_reset);
    s
}

#[test]
fn a_faithful_browser_returns_the_credit_of_data_it_discards() {
    let s = data_after_reset("faithful");
    let f = &browser(&s).conns[0].flow;
    assert_eq!((f.inc.octets, f.inc.credit), (4, 4));
    let updates: Vec<String> = s
        .flight
        .iter()
        .filter(|f| is_frame(&f.msg, |fr| matches!(fr, Frame::WindowUpdate { .. })))
        .map(|f| f.msg.to_string())
        .collect();
    assert_eq!(updates, ["WINDOW_UPDATE[0] +4"]);
}

#[test]
fn a_leaking_browser_keeps_the_credit_of_data_it_discards() {
    let s = data_after_reset("no-credit-for-discarded");
    let f = &browser(&s).conns[0].flow;
    assert_eq!((f.inc.octets, f.inc.credit), (4, 0));
    assert!(!s
        .flight
        .iter()
        .any(|f| is_frame(&f.msg, |fr| matches!(fr, Frame::WindowUpdate { .. }))));
}

// --- MAX_CONCURRENT_STREAMS and rapid reset (src/h2/concurrency.rs) -----------------

/// Runs the rapid-reset client: every step delivers the first chunk in flight, or
/// else fires the client's next open-and-reset.
fn rapid_reset(reset_count: &str) -> H2WireState {
    let m = model::build(&scenario(&format!(
        "transport = \"in-order\"\nrequests = [\"GET /a\"]\nmax_streams = 1\n\
         rapid_resets = 3\nreset_budget = 1\nreset_count = \"{reset_count}\""
    )));
    let mut s = m.init_states().remove(0);
    for _ in 0..40 {
        let mut acts = Vec::new();
        m.actions(&s, &mut acts);
        let pick = acts
            .iter()
            .position(|a| {
                matches!(
                    a,
                    WireAction::Deliver {
                        keep_copy: false,
                        ..
                    }
                )
            })
            .or_else(|| {
                acts.iter().position(|a| {
                    matches!(
                        a,
                        WireAction::Fire {
                            timer: super::node::H2Timer::Attack,
                            ..
                        }
                    )
                })
            });
        let Some(i) = pick else { break };
        s = m.next_state(&s, acts.swap_remove(i)).expect("a next state");
    }
    s
}

#[test]
fn without_a_budget_every_open_and_reset_starts_a_handler() {
    let s = rapid_reset("nothing");
    assert_eq!(origin(&s).applied, [3]);
    assert_eq!(origin(&s).conns[0].error, None);
}

#[test]
fn past_its_budget_the_origin_ends_the_connection_with_enhance_your_calm() {
    let s = rapid_reset("started");
    assert_eq!(origin(&s).applied, [2]);
    assert_eq!(origin(&s).conns[0].error, Some(ErrorCode::EnhanceYourCalm));
}

// --- server push (src/h2/push.rs) -----------------------------------------------------

#[test]
fn push_promise_is_the_frame_header_the_promised_stream_and_the_field_block() {
    let f = Frame::PushPromise {
        stream: 1,
        promised: 2,
        block: vec![0x82, 0x86],
    };
    let b = f.encode();
    // Length 6, type 0x5, END_HEADERS (0x4), stream 1; then R + promised stream 2.
    assert_eq!(b, [0, 0, 6, 0x5, 0x4, 0, 0, 0, 1, 0, 0, 0, 2, 0x82, 0x86]);
    assert_eq!(Frame::decode(&b), Ok(f.clone()));
    assert_eq!(f.to_string(), "PUSH_PROMISE[1] promised=2");
    // The reserved bit is ignored on receipt (§4.1).
    let mut r = b.clone();
    r[9] |= 0x80;
    assert_eq!(Frame::decode(&r), Ok(f));
    // Shorter than the promised stream identifier: FRAME_SIZE_ERROR (§4.2).
    let short = [0, 0, 3, 0x5, 0x4, 0, 0, 0, 1, 0, 0, 0];
    assert_eq!(
        Frame::decode(&short).unwrap_err().0,
        ErrorCode::FrameSizeError
    );
    // On stream 0: PROTOCOL_ERROR (§6.6).
    let zero = Frame::PushPromise {
        stream: 0,
        promised: 2,
        block: vec![],
    }
    .encode();
    assert_eq!(
        Frame::decode(&zero).unwrap_err().0,
        ErrorCode::ProtocolError
    );
    // SETTINGS_ENABLE_PUSH = 0 and SETTINGS_HEADER_TABLE_SIZE are parameters 0x2 and 0x1.
    let s = Frame::Settings {
        ack: false,
        params: vec![
            (super::frame::setting::HEADER_TABLE_SIZE, 64),
            (super::frame::setting::ENABLE_PUSH, 0),
        ],
    };
    assert_eq!(
        s.encode(),
        [0, 0, 12, 0x4, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 64, 0, 2, 0, 0, 0, 0]
    );
    assert_eq!(s.to_string(), "SETTINGS HEADER_TABLE_SIZE=64 ENABLE_PUSH=0");
}

fn push_model(extra: &str) -> H2Model {
    model::build(&scenario(&format!(
        "transport = \"in-order\"\nrequests = [\"GET /page\", \"GET /style.css\"]\n{extra}"
    )))
}

/// Delivers chunks, any first, until `done`.
fn run_until(m: &H2Model, s: H2WireState, done: impl Fn(&H2WireState) -> bool) -> H2WireState {
    let mut s = s;
    for _ in 0..20 {
        if done(&s) {
            return s;
        }
        s = deliver(m, &s, |_| true);
    }
    panic!("not reached in 20 deliveries");
}

#[test]
fn a_promise_reserves_an_even_stream_and_its_block_counts_in_hpack() {
    let m = push_model("push = \"before-reference\"");
    let s = m.init_states().remove(0);
    // The browser asks for the page only: the page refers to the stylesheet.
    assert_eq!(browser(&s).conns[0].streams.len(), 1);
    let s = run_until(&m, s, |s| browser(s).conns[0].stream(2).is_some());
    let b = &browser(&s).conns[0];
    assert_eq!(b.stream(2).map(|st| st.st), Some(St::ReservedRemote));
    assert_eq!(
        origin(&s).conns[0].stream(2).map(|st| st.st),
        Some(St::ReservedLocal)
    );
    assert_eq!(
        browser(&s).reqs[1].stream,
        2,
        "the push answers the stylesheet"
    );
    // Two blocks: the response's HEADERS and the promise's request.
    assert_eq!(b.blocks_in, 2);
    assert!(model::hpack_tables_agree(&m, &s));
    assert!(model::promise_before_reference(&m, &s));
}

#[test]
fn a_late_promise_makes_the_browser_request_the_promised_resource() {
    let m = push_model("push = \"after-reference\"");
    let s = m.init_states().remove(0);
    let s = run_until(&m, s, |s| {
        origin(s)
            .conns
            .first()
            .is_some_and(|c| c.stream(1).is_some())
    });
    let s = run_until(&m, s, |s| browser(s).conns[0].blocks_in == 1);
    let w = WireAction::Fire {
        actor: ORIGIN,
        timer: super::node::H2Timer::Write(0, 1),
    };
    let s = m.next_state(&s, w).expect("the page's DATA");
    assert!(model::no_request_for_promised(&m, &s), "not requested yet");
    // The browser reads the reference first and asks for the stylesheet on stream 3.
    let s = deliver(&m, &s, |c| is_frame(c, |f| matches!(f, Frame::Data { .. })));
    assert!(browser(&s).conns[0].stream(3).is_some());
    assert!(!model::no_request_for_promised(&m, &s));
    // The promise then arrives after the reference, and the browser refuses it.
    let s = deliver(&m, &s, |c| {
        is_frame(c, |f| matches!(f, Frame::PushPromise { .. }))
    });
    assert!(!model::promise_before_reference(&m, &s));
    assert_eq!(
        browser(&s).conns[0].stream(2).map(|st| st.st),
        Some(St::Closed(Why::ResetSent))
    );
    assert!(model::push_refused(&m, &s));
}

#[test]
fn a_promise_to_a_browser_that_disabled_push_is_a_protocol_error() {
    for (push, promised) in [("before-reference", false), ("ignores-enable-push", true)] {
        let m = push_model(&format!("push = \"{push}\"\nenable_push = false"));
        let s = m.init_states().remove(0);
        let s = run_until(&m, s, |s| browser(s).conns[0].blocks_in == 1);
        let s = run_until(&m, s, |s| {
            s.flight
                .iter()
                .all(|f| f.src as usize != ORIGIN || f.delivered)
        });
        assert_eq!(origin(&s).conns[0].stream(2).is_some(), promised, "{push}");
        let b = &browser(&s).conns[0];
        assert_eq!(b.seen.promise_disabled, promised, "{push}");
        assert_eq!(
            b.error,
            promised.then_some(ErrorCode::ProtocolError),
            "{push}"
        );
    }
}

#[test]
fn push_and_table_size_keys_are_checked() {
    let bad = |h2: &str| {
        let text = format!(
            "description = \"x\"\nmodel = \"h2\"\n[network]\nmsl = 1\ncapacity = 4\n\
             reordering = false\n[h2]\ntransport = \"in-order\"\n{h2}\n[expect]\n\
             \"the page loads\" = \"found\"\n"
        );
        Scenario::parse(Path::new("bad.toml"), &text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let page = "requests = [\"GET /\", \"GET /a.css\"]";
    let e = bad("requests = [\"GET /\"]\npush = \"before-reference\"");
    assert!(e.contains("key `h2.requests`"), "{e}");
    let e = bad(&format!("{page}\npush = \"before-reference\"\ncancels = 1"));
    assert!(e.contains("key `h2.push`"), "{e}");
    let e = bad(&format!("{page}\nrefuse_push = true"));
    assert!(e.contains("key `h2.refuse_push`"), "{e}");
    let e = bad(&format!("{page}\npush = \"sideways\""));
    assert!(e.contains("h2.push"), "{e}");
    let e = bad(&format!("{page}\nheader_table_size = 4096"));
    assert!(e.contains("key `h2.header_table_size`"), "{e}");
    assert_eq!(bad(&format!("{page}\nheader_table_size = 0")), "");
    assert_eq!(bad(&format!("{page}\npush = \"after-reference\"")), "");
}

// --- the dynamic table size update (RFC 7541 §4.2, §6.3) ------------------------------

#[test]
fn a_size_update_is_the_pattern_001_with_a_5_bit_prefix_and_opens_the_block() {
    use super::hpack::{self, Table, DEFAULT_TABLE_SIZE};
    let fields = vec![
        (":status".to_string(), "200".to_string()),
        ("server".to_string(), "synack".to_string()),
    ];
    let mut enc = Table::new(DEFAULT_TABLE_SIZE);
    let block = hpack::encode(&mut enc, &fields, Some(64), true);
    // 64 = 31 + 33: the prefix is full (0x20 | 0x1f), then 33 in one octet (§5.1).
    assert_eq!(&block[..2], [0x3f, 0x21]);
    assert_eq!(block[2], 0x88, ":status 200 is static index 8");
    assert!(hpack::opens_with_size_update(&block));
    assert_eq!(enc.max, 64);
    // Our decoder takes it within the acknowledged limit, and resizes its table.
    let mut dec = Table::new(DEFAULT_TABLE_SIZE);
    assert_eq!(hpack::decode(&mut dec, &block, 64).unwrap(), fields);
    assert_eq!(dec, enc);
    // Above the limit it is a decoding error (§6.3).
    let mut dec = Table::new(DEFAULT_TABLE_SIZE);
    assert_eq!(
        hpack::decode(&mut dec, &block, 63),
        Err(hpack::DecodeError::BadSizeUpdate)
    );
    // loona-hpack reads the same octets to the same fields.
    let got = loona_hpack::Decoder::new().decode(&block).unwrap();
    assert_eq!(got[1], (b"server".to_vec(), b"synack".to_vec()));
    // A block without the update does not open with one.
    let mut e = Table::new(64);
    assert!(!hpack::opens_with_size_update(&hpack::encode(
        &mut e, &fields, None, true
    )));
}

#[test]
fn the_first_block_after_the_acknowledgement_must_open_with_the_size_update() {
    for (update, ok) in [("true", true), ("false", false)] {
        let m = model::build(&scenario(&format!(
            "transport = \"in-order\"\nrequests = [\"GET /\"]\nheader_table_size = 64\n\
             size_update = {update}"
        )));
        let s = m.init_states().remove(0);
        let s = run_until(&m, s, |s| browser(s).conns[0].blocks_in == 1);
        let b = &browser(&s).conns[0];
        assert_eq!(b.dec_limit, 64, "in force from the acknowledgement");
        assert!(!b.dec_resize_due);
        assert_eq!(b.seen.no_size_update, !ok);
        assert_eq!(model::size_update_opens_block(&m, &s), ok);
        assert_eq!(model::hpack_tables_agree(&m, &s), ok);
        if ok {
            assert_eq!(b.dec.max, 64);
            assert!(b.error.is_none());
        } else {
            assert_eq!(b.error, Some(ErrorCode::CompressionError));
        }
    }
}
