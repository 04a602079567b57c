//! Runs the whole catalogue against its expectations and pins every report and trace
//! in `snapshots/`. A changed snapshot fails; so does a snapshot no test produces.
//!
//! The book's key traces are also drawn as SVG timelines into
//! `book/src/generated/timeline-*.svg` ([`TIMELINES`]):
//! `SYNACK_BLESS=1 cargo test --release --test catalogue` rewrites them; otherwise a
//! stale one fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use synack::check::{self, RunOptions};
use synack::report::{mermaid, timeline};
use synack::scenario::Scenario;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Property names as file-name slugs.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The snapshot names a scenario produces.
fn snapshot_names(scn: &Scenario) -> Vec<String> {
    let mut v = vec![format!("{}.report", scn.name)];
    for (p, e) in &scn.expect {
        if check::run::expects_trace(*e) {
            v.push(format!("{}.{}", scn.name, slug(p)));
            v.push(format!("{}.{}.mermaid", scn.name, slug(p)));
        }
    }
    v
}

/// The traces the book draws with the SVG timeline (`synack trace --format svg`):
/// (scenario, property). Each is written to `book/src/generated/`, named by
/// [`timeline_file`].
const TIMELINES: &[(&str, &str)] = &[
    ("tcp-teardown", "TIME-WAIT re-ACKs a retransmitted FIN"),
    (
        "tcp-old-duplicate-syn",
        "old duplicate SYN is reset (Fig 8)",
    ),
    ("tcp-two-way-handshake", "no double connection"),
    (
        "http-keepalive-race-crash",
        "a POST takes effect at most once",
    ),
    (
        "http-keepalive-race-never",
        "every GET eventually gets a response",
    ),
    (
        "dns-late-reply",
        "a reply to an earlier transmission is accepted",
    ),
    ("page-load", "page rendered"),
];

/// The file name of a timeline in `book/src/generated/`.
fn timeline_file(scenario: &str, property: &str) -> String {
    format!("timeline-{scenario}.{}.svg", slug(property))
}

/// With `SYNACK_BLESS=1` writes `text` to `path`; otherwise fails unless the committed
/// file already holds exactly `text`.
fn bless_or_compare(path: &Path, text: &str) {
    if std::env::var("SYNACK_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale: the trace changed.\n\
         Regenerate it with `SYNACK_BLESS=1 cargo test --release --test catalogue`, \
         then reread the chapter that shows it.",
        path.display()
    );
}

fn check_scenario(name: &str) {
    let scn = Scenario::load(&root().join("models").join(format!("{name}.toml")))
        .unwrap_or_else(|e| panic!("{e}"));
    let o = check::check(
        &scn,
        &RunOptions {
            explorer: None,
            svg: TIMELINES.iter().any(|(s, _)| *s == name),
            ..RunOptions::default()
        },
    );
    for (p, svg) in o.report.properties.iter().zip(&o.svgs) {
        if !TIMELINES.contains(&(name, p.name.as_str())) {
            continue;
        }
        let svg = svg
            .as_deref()
            .unwrap_or_else(|| panic!("{name} / {}: no trace to draw", p.name));
        timeline_is_sound(name, p, svg);
        bless_or_compare(
            &root()
                .join("book/src/generated")
                .join(timeline_file(name, &p.name)),
            svg,
        );
    }
    let r = &o.report;
    insta::with_settings!({
        snapshot_path => root().join("snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(format!("{name}.report"), r.text(true));
        for p in &r.properties {
            if let Some(steps) = &p.trace {
                let title = format!("{} / {}: {} (expected {})", name, p.name, p.verdict, p.expected);
                insta::assert_snapshot!(format!("{name}.{}", slug(&p.name)), timeline(&title, steps, p.loop_start));
                insta::assert_snapshot!(format!("{name}.{}.mermaid", slug(&p.name)), mermaid(&o.roles, steps, p.loop_start));
            }
        }
    });
    assert!(r.complete, "{name}: the run hit a bound");
    for p in &r.properties {
        assert_eq!(p.verdict, p.expected, "{name} / {}", p.name);
        if p.verdict == "violated" || p.verdict == "found" {
            assert!(p.trace.is_some(), "{name} / {}: no trace", p.name);
        }
        if p.kind == "eventually" && p.verdict == "violated" {
            assert!(p.loop_start.is_some() || p.trace.is_some());
        }
    }
    assert!(r.as_expected);
}

macro_rules! scenarios {
    ($($test:ident => $name:literal),* $(,)?) => {
        $( #[test] fn $test() { check_scenario($name); } )*
        const NAMES: &[&str] = &[$($name),*];
    };
}

scenarios! {
    dns_late_reply => "dns-late-reply",
    dns_spoof_predictable => "dns-spoof-predictable",
    dns_spoof_randomised => "dns-spoof-randomised",
    http_connection_close => "http-connection-close",
    http_continue => "http-continue",
    http_deadline => "http-deadline",
    http_framing => "http-framing",
    http_gateway => "http-gateway",
    http_gateway_lossy => "http-gateway-lossy",
    http_gateway_routes => "http-gateway-routes",
    http_keepalive_race => "http-keepalive-race",
    http_keepalive_race_crash => "http-keepalive-race-crash",
    http_keepalive_race_idempotent => "http-keepalive-race-idempotent",
    http_keepalive_race_idempotent_crash => "http-keepalive-race-idempotent-crash",
    http_keepalive_race_never => "http-keepalive-race-never",
    http_no_body => "http-no-body",
    http_no_deadline => "http-no-deadline",
    http_no_host => "http-no-host",
    http_redirect_post => "http-redirect-post",
    http_status => "http-status",
    page_load => "page-load",
    tcp_abort_skips_time_wait => "tcp-abort-skips-time-wait",
    tcp_close_discards_data => "tcp-close-discards-data",
    tcp_delayed_ack => "tcp-delayed-ack",
    tcp_explorer_injection => "tcp-explorer-injection",
    tcp_fair_loss => "tcp-fair-loss",
    tcp_fin_wait_2_stall => "tcp-fin-wait-2-stall",
    tcp_fin_wait_2_timeout => "tcp-fin-wait-2-timeout",
    tcp_half_close => "tcp-half-close",
    tcp_half_open => "tcp-half-open",
    tcp_handshake => "tcp-handshake",
    tcp_isn_reuse => "tcp-isn-reuse",
    tcp_listen_late => "tcp-listen-late",
    tcp_no_delayed_ack => "tcp-no-delayed-ack",
    tcp_no_time_wait => "tcp-no-time-wait",
    tcp_old_duplicate_syn => "tcp-old-duplicate-syn",
    tcp_old_syn_after_close => "tcp-old-syn-after-close",
    tcp_short_time_wait => "tcp-short-time-wait",
    tcp_simultaneous_close => "tcp-simultaneous-close",
    tcp_simultaneous_open => "tcp-simultaneous-open",
    tcp_simultaneous_open_rfc_text => "tcp-simultaneous-open-rfc-text",
    tcp_teardown => "tcp-teardown",
    tcp_time_wait_assassination => "tcp-time-wait-assassination",
    tcp_time_wait_late_fin => "tcp-time-wait-late-fin",
    tcp_time_wait_random_isn => "tcp-time-wait-random-isn",
    tcp_time_wait_rfc1337 => "tcp-time-wait-rfc1337",
    tcp_two_way_handshake => "tcp-two-way-handshake",
    tcp_unbounded_syn_retry => "tcp-unbounded-syn-retry",
    tcp_user_calls => "tcp-user-calls",
}

#[test]
fn every_scenario_file_has_a_test_and_every_snapshot_a_scenario() {
    let all = Scenario::catalogue(&root().join("models")).unwrap_or_else(|e| panic!("{e}"));
    let files: BTreeSet<String> = all.iter().map(|s| s.name.clone()).collect();
    let tested: BTreeSet<String> = NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        files, tested,
        "models/ and the tests list different scenarios"
    );
    let mut expected: BTreeSet<String> = all.iter().flat_map(snapshot_names).collect();
    // Snapshots that other tests own.
    for extra in owned_elsewhere(&root().join("snapshots")) {
        expected.insert(extra);
    }
    let present: BTreeSet<String> = std::fs::read_dir(root().join("snapshots"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".snap"))
                .map(|n| n.trim_end_matches(".snap").to_string())
                .collect()
        })
        .unwrap_or_default();
    let unreferenced: Vec<&String> = present.difference(&expected).collect();
    assert!(
        unreferenced.is_empty(),
        "unreferenced snapshots: {unreferenced:?}"
    );
    // Every timeline names a trace the catalogue pins, and every timeline file is one.
    for (scn, prop) in TIMELINES {
        let s = all
            .iter()
            .find(|s| s.name == *scn)
            .unwrap_or_else(|| panic!("TIMELINES names no scenario {scn}"));
        assert!(
            s.expect
                .iter()
                .any(|(p, e)| p == prop && check::run::expects_trace(*e)),
            "{scn} has no trace of `{prop}`"
        );
    }
    let drawn: BTreeSet<String> = TIMELINES.iter().map(|(s, p)| timeline_file(s, p)).collect();
    let files: BTreeSet<String> = std::fs::read_dir(root().join("book/src/generated"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("timeline-") && n.ends_with(".svg"))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        files, drawn,
        "book/src/generated/timeline-*.svg and TIMELINES differ"
    );
}

/// What every drawn trace must show: one arrow or mark per delivery, loss and expiry,
/// every send that is never delivered, and no text unescaped.
fn timeline_is_sound(name: &str, p: &synack::report::PropReport, svg: &str) {
    let steps = p.trace.as_ref().expect("a trace");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // Text only in <text> elements and the style sheet: no raw `<` from a label.
    let tags = svg.matches('<').count();
    let known = [
        "<svg", "</svg", "<style", "</style", "<defs", "</defs", "<marker", "</marker", "<path",
        "<rect", "<line", "<text", "</text",
    ];
    let counted: usize = known.iter().map(|k| svg.matches(k).count()).sum();
    assert_eq!(tags, counted, "{name}: an unexpected `<` in the SVG");
    let delivered = steps
        .iter()
        .filter(|s| s.action.starts_with("deliver"))
        .count();
    let heads = svg.matches("marker-end=\"url(#synack-head)\"").count();
    assert_eq!(
        heads, delivered,
        "{name} / {}: one arrow per delivery",
        p.name
    );
    let lost = steps.iter().filter(|s| s.action == "drop").count();
    assert_eq!(
        svg.matches("  LOST</text>").count(),
        lost,
        "{name} / {}",
        p.name
    );
    // The sends that were never delivered, lost or expired by the last step: as many
    // as the narration's ledger leaves over.
    let sent: usize = steps.iter().map(|s| s.sent.len()).sum();
    let gone: usize = steps
        .iter()
        .map(|s| {
            s.expired.len() + usize::from(s.action == "drop") + usize::from(s.action == "deliver")
        })
        .sum();
    let never = svg.matches("never delivered: ").count();
    assert_eq!(never, sent - gone, "{name} / {}: undelivered sends", p.name);
}

/// Snapshots of the CLI tests (`cli.*`).
fn owned_elsewhere(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("cli.") && n.ends_with(".snap"))
                .map(|n| n.trim_end_matches(".snap").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn verdicts_and_traces_agree_between_one_and_two_threads_and_across_runs() {
    let scn =
        Scenario::load(&root().join("models/tcp-isn-reuse.toml")).unwrap_or_else(|e| panic!("{e}"));
    let run = |threads| {
        let o = check::check(
            &scn,
            &RunOptions {
                threads,
                explorer: None,
                ..RunOptions::default()
            },
        );
        serde_json::to_string(&o.report.properties).unwrap_or_default()
            + &o.report.unique_states.to_string()
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(2));
    let live = Scenario::load(&root().join("models/tcp-fin-wait-2-stall.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let a = check::check(
        &live,
        &RunOptions {
            threads: 1,
            explorer: None,
            ..RunOptions::default()
        },
    );
    let b = check::check(
        &live,
        &RunOptions {
            threads: 2,
            explorer: None,
            ..RunOptions::default()
        },
    );
    assert_eq!(
        serde_json::to_string(&a.report.properties).unwrap_or_default(),
        serde_json::to_string(&b.report.properties).unwrap_or_default()
    );
}

#[test]
fn the_engine_counts_the_same_states_as_stateright() {
    use stateright::{Checker, Model};
    for name in ["tcp-simultaneous-close", "tcp-teardown"] {
        let scn = Scenario::load(&root().join("models").join(format!("{name}.toml")))
            .unwrap_or_else(|e| panic!("{e}"));
        let ours = check::check(
            &scn,
            &RunOptions {
                explorer: None,
                ..RunOptions::default()
            },
        );
        let m = synack::tcp::model::build(&scn);
        let theirs = m.checker().spawn_bfs().join();
        assert_eq!(
            ours.report.unique_states as usize,
            theirs.unique_state_count(),
            "{name}"
        );
    }
}
