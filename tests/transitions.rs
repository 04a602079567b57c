//! The union of `synack transitions` over small TCP scenarios covers every arrow of
//! RFC 9293 Figure 5, and Notes 1 and 2.

use std::collections::BTreeSet;
use std::path::PathBuf;
use synack::check::transitions;
use synack::scenario::Scenario;

#[test]
fn the_catalogue_covers_figure_5_and_notes_1_and_2() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut seen = BTreeSet::new();
    for name in [
        "tcp-handshake",
        "tcp-simultaneous-open",
        "tcp-simultaneous-close",
        "tcp-user-calls",
    ] {
        let s =
            Scenario::load(&root.join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("{e}"));
        for t in transitions::of(&s) {
            seen.insert((t.from, t.to));
        }
    }
    let figure_5 = [
        ("CLOSED", "LISTEN"),
        ("CLOSED", "SYN-SENT"),
        ("LISTEN", "SYN-RECEIVED"),
        ("LISTEN", "SYN-SENT"),
        ("LISTEN", "CLOSED"),
        ("SYN-SENT", "SYN-RECEIVED"),
        ("SYN-SENT", "ESTABLISHED"),
        ("SYN-SENT", "CLOSED"),
        ("SYN-RECEIVED", "ESTABLISHED"),
        ("SYN-RECEIVED", "FIN-WAIT-1"),
        ("ESTABLISHED", "FIN-WAIT-1"),
        ("ESTABLISHED", "CLOSE-WAIT"),
        ("FIN-WAIT-1", "FIN-WAIT-2"),
        ("FIN-WAIT-1", "CLOSING"),
        ("FIN-WAIT-2", "TIME-WAIT"),
        ("CLOSING", "TIME-WAIT"),
        ("TIME-WAIT", "CLOSED"),
        ("CLOSE-WAIT", "LAST-ACK"),
        ("LAST-ACK", "CLOSED"),
        // Note 1: a RST returns a passively opened SYN-RECEIVED to LISTEN.
        ("SYN-RECEIVED", "LISTEN"),
        // Note 2: a FIN that acknowledges ours takes FIN-WAIT-1 to TIME-WAIT.
        ("FIN-WAIT-1", "TIME-WAIT"),
    ];
    let missing: Vec<_> = figure_5
        .iter()
        .filter(|(a, b)| !seen.contains(&(a.to_string(), b.to_string())))
        .collect();
    assert!(missing.is_empty(), "not seen: {missing:?}");
}

fn causes(name: &str) -> BTreeSet<(String, String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let s = Scenario::load(&root.join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("{e}"));
    transitions::of(&s)
        .into_iter()
        .map(|t| (t.from, t.to, t.cause))
        .collect()
}

fn has(set: &BTreeSet<(String, String, String)>, from: &str, to: &str, cause: &str) -> bool {
    set.iter()
        .any(|(a, b, c)| a == from && b == to && c.starts_with(cause))
}

#[test]
fn a_crossing_syn_ack_completes_simultaneous_open_as_linux_and_freebsd_do() {
    // Figure 7, line 7; RFC 9293 §3.10.7.4's text only ACKs the SYN,ACK.
    let stack = causes("tcp-simultaneous-open");
    assert!(
        has(&stack, "SYN-RECEIVED", "ESTABLISHED", "rcv SYN,ACK"),
        "{stack:?}"
    );
    let text = causes("tcp-simultaneous-open-rfc-text");
    assert!(
        !has(&text, "SYN-RECEIVED", "ESTABLISHED", "rcv SYN,ACK"),
        "{text:?}"
    );
    assert!(
        has(&text, "SYN-RECEIVED", "ESTABLISHED", "rcv ACK"),
        "{text:?}"
    );
}

#[test]
fn the_passive_open_and_a_close_in_syn_sent_are_steps_of_their_own() {
    let late = causes("tcp-listen-late");
    assert!(has(&late, "CLOSED", "LISTEN", "passive OPEN"), "{late:?}");
    let fig8 = causes("tcp-old-duplicate-syn");
    assert!(has(&fig8, "SYN-SENT", "CLOSED", "CLOSE"), "{fig8:?}");
}
