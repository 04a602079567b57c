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
