//! Runs the whole catalogue against its expectations and pins every report and trace
//! in `snapshots/`. A changed snapshot fails; so does a snapshot no test produces.
//!
//! The same runs feed the book, so that no scenario is checked twice: each scenario's
//! test owns its rows of the findings table (`book/src/generated/findings.md`, with the
//! verdicts it computed and the `[finding]` texts of its file), and checks the answer
//! of every exercise in the book that names it. `SYNACK_BLESS=1` rewrites the rows of
//! the scenarios it runs; otherwise a stale row fails.
//!
//! The book's key traces are also drawn as SVG timelines into
//! `book/src/generated/timeline-*.svg` ([`TIMELINES`]):
//! `SYNACK_BLESS=1 cargo test --release --test catalogue` rewrites them; otherwise a
//! stale one fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use synack::check::{self, RunOptions};
use synack::report::{mermaid, timeline, Report};
use synack::scenario::{Expected, Finding, Scenario};

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
    findings_rows_are_current(name, &finding_rows(&scn, r));
    for ex in exercises().iter().filter(|e| e.scenario == name) {
        let p = r.properties.iter().find(|p| p.name == ex.property);
        assert_eq!(
            p.map(|p| p.verdict.as_str()),
            Some(ex.answer.as_str()),
            "{}:{}: the exercise's answer is not the checker's verdict of {name} / {}",
            ex.chapter.display(),
            ex.line,
            ex.property
        );
    }
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
    h2_flow_control => "h2-flow-control",
    h2_flow_control_leak => "h2-flow-control-leak",
    h2_goaway_processes_above_last => "h2-goaway-processes-above-last",
    h2_goaway_single => "h2-goaway-single",
    h2_goaway_single_no_retry => "h2-goaway-single-no-retry",
    h2_goaway_two_phase => "h2-goaway-two-phase",
    h2_goaway_two_phase_no_retry => "h2-goaway-two-phase-no-retry",
    h2_hpack_skip_reset => "h2-hpack-skip-reset",
    h2_hpack_table_size => "h2-hpack-table-size",
    h2_hpack_table_size_no_update => "h2-hpack-table-size-no-update",
    h2_page_load => "h2-page-load",
    h2_max_streams => "h2-max-streams",
    h2_per_stream => "h2-per-stream",
    h2_per_stream_no_indexing => "h2-per-stream-no-indexing",
    h2_push => "h2-push",
    h2_push_after_end_stream => "h2-push-after-end-stream",
    h2_push_disabled => "h2-push-disabled",
    h2_push_ignores_disabled => "h2-push-ignores-disabled",
    h2_push_late_promise => "h2-push-late-promise",
    h2_rapid_reset => "h2-rapid-reset",
    h2_rapid_reset_budget => "h2-rapid-reset-budget",
    h2_rapid_reset_budget_running => "h2-rapid-reset-budget-running",
    h2_strict_reset => "h2-strict-reset",
    h2_tcp_hol => "h2-tcp-hol",
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
    // Another test names its snapshot in a string literal: `tests/cli.rs` (every
    // `cli.*` snapshot) or a unit test in `src/` (e.g. the wire's SVG diagram).
    let mut sources = String::new();
    let mut stack = vec![root().join("src"), root().join("tests")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("catalogue.rs") {
                sources.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".snap"))
                .map(|n| n.trim_end_matches(".snap").to_string())
                .filter(|n| n.starts_with("cli.") || sources.contains(&format!("\"{n}\"")))
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

// ---- The book: the findings table -------------------------------------------------

const FINDINGS: &str = "book/src/generated/findings.md";

fn blessing() -> bool {
    std::env::var("SYNACK_BLESS").as_deref() == Ok("1")
}

/// Cargo runs a binary's tests on several threads; blessing rewrites one file.
static FINDINGS_FILE: Mutex<()> = Mutex::new(());

/// A table cell: Markdown on one line, `|` escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn row(scenario: &str, property: &str, verdict: &str, f: &Finding) -> String {
    let verdict = if verdict == "violated" {
        "**violated**".to_string()
    } else {
        verdict.to_string()
    };
    format!(
        "| `{scenario}` | {} | {verdict} | {} | {} |",
        cell(property),
        cell(&f.shows),
        f.real.as_deref().map_or("—".to_string(), cell)
    )
}

/// The rows of a scenario's findings, with the verdicts of its report.
fn finding_rows(scn: &Scenario, r: &Report) -> Vec<String> {
    scn.findings
        .iter()
        .map(|(prop, f)| {
            let p = r
                .properties
                .iter()
                .find(|p| &p.name == prop)
                .unwrap_or_else(|| panic!("{}: no verdict for {prop}", scn.name));
            row(&scn.name, prop, &p.verdict, f)
        })
        .collect()
}

/// The scenario a row belongs to: its first cell, in backquotes.
fn row_scenario(line: &str) -> Option<&str> {
    line.strip_prefix("| `")?.split('`').next()
}

/// The committed rows, by scenario.
fn committed_rows(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        if let Some(name) = row_scenario(line) {
            map.entry(name.to_string())
                .or_default()
                .push(line.to_string());
        }
    }
    map
}

/// The three tables, in the book's order of protocols; in each, the scenarios by name.
/// They sit in `<div class="findings">`, which `book/synack.css` widens.
fn render_findings(rows: &BTreeMap<String, Vec<String>>) -> String {
    let mut out = String::from(
        "<!-- Generated by tests/catalogue.rs from the [finding] tables of models/*.toml \
         and the verdicts the checker computed; do not edit. -->\n\n<div class=\"findings\">\n",
    );
    let family = |name: &str| {
        if name.starts_with("tcp-") {
            0
        } else if name.starts_with("dns-") {
            2
        } else {
            1
        }
    };
    for (i, title) in ["TCP", "HTTP", "DNS"].iter().enumerate() {
        let these: Vec<&String> = rows
            .iter()
            .filter(|(name, _)| family(name) == i)
            .flat_map(|(_, r)| r)
            .collect();
        if these.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n### {title}\n\n| scenario | property | verdict | what it shows | what real stacks do |\n\
             |---|---|---|---|---|\n"
        ));
        for r in these {
            out.push_str(r);
            out.push('\n');
        }
    }
    out.push_str("\n</div>\n");
    out
}

fn catalogue_names() -> BTreeSet<String> {
    std::fs::read_dir(root().join("models"))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// With `SYNACK_BLESS=1` puts `rows` in the table (and drops the rows of scenarios that
/// no longer exist); otherwise fails unless the committed table has exactly these rows
/// for `name`.
fn findings_rows_are_current(name: &str, rows: &[String]) {
    let _file = FINDINGS_FILE.lock().unwrap_or_else(|e| e.into_inner());
    let path = root().join(FINDINGS);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let mut map = committed_rows(&committed);
    if blessing() {
        if rows.is_empty() {
            map.remove(name);
        } else {
            map.insert(name.to_string(), rows.to_vec());
        }
        let names = catalogue_names();
        map.retain(|n, _| names.contains(n));
        let text = render_findings(&map);
        if text != committed {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        return;
    }
    let have = map.get(name).cloned().unwrap_or_default();
    assert!(
        have == rows,
        "{FINDINGS} is stale for {name}: rerun this test with SYNACK_BLESS=1 \
         (`SYNACK_BLESS=1 cargo test --release --test catalogue {}`).\n\
         --- committed\n{}\n--- computed\n{}",
        name.replace('-', "_"),
        have.join("\n"),
        rows.join("\n")
    );
}

/// Without running the checker: every violated expectation has a finding, the table
/// has a row for each finding and for nothing else, its texts are the files' and its
/// verdicts are ones the properties can have, and it is laid out as
/// `render_findings` lays it out. (The verdicts themselves are the scenario tests'.)
/// With `SYNACK_BLESS=1` it drops rows no finding asks for and lays the table out again.
#[test]
fn the_findings_table_has_a_row_for_every_finding_and_no_other() {
    let all = Scenario::catalogue(&root().join("models")).unwrap_or_else(|e| panic!("{e}"));
    let mut unexplained = Vec::new();
    for s in &all {
        for (p, e) in &s.expect {
            if *e == Expected::Violated && !s.findings.iter().any(|(f, _)| f == p) {
                unexplained.push(format!("{} / {p}", s.name));
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "a violated property needs a [finding.\"PROPERTY\"] table in its scenario file, \
         for the book's findings table: {unexplained:?}"
    );

    let _file = FINDINGS_FILE.lock().unwrap_or_else(|e| e.into_inner());
    let path = root().join(FINDINGS);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let mut map = committed_rows(&committed);
    let wanted: BTreeMap<&str, &Scenario> = all
        .iter()
        .filter(|s| !s.findings.is_empty())
        .map(|s| (s.name.as_str(), s))
        .collect();
    if blessing() {
        map.retain(|n, _| wanted.contains_key(n.as_str()));
    }
    let mut problems = Vec::new();
    for (name, rows) in &map {
        let Some(s) = wanted.get(name.as_str()) else {
            problems.push(format!("{name}: rows, but no scenario with findings"));
            continue;
        };
        let expected: Vec<(String, Vec<&str>)> = s
            .findings
            .iter()
            .map(|(p, _)| {
                let kind = s.expect.iter().find(|(e, _)| e == p).map(|(_, e)| *e);
                let verdicts = match kind {
                    Some(Expected::Found | Expected::NotFound) => vec!["found", "not found"],
                    _ => vec!["holds", "violated"],
                };
                (p.clone(), verdicts)
            })
            .collect();
        let ok = rows.len() == expected.len()
            && rows
                .iter()
                .zip(&expected)
                .zip(&s.findings)
                .all(|((r, (p, vs)), (_, f))| vs.iter().any(|v| *r == row(name, p, v, f)));
        if !ok {
            problems.push(format!(
                "{name}: its rows differ from its [finding] tables; rerun its test with \
                 SYNACK_BLESS=1 (`SYNACK_BLESS=1 cargo test --release --test catalogue {}`)",
                name.replace('-', "_")
            ));
        }
    }
    for name in wanted.keys() {
        if !map.contains_key(*name) {
            problems.push(format!(
                "{name}: findings, but no rows; run `SYNACK_BLESS=1 cargo test --release \
                 --test catalogue {}`",
                name.replace('-', "_")
            ));
        }
    }
    let laid_out = render_findings(&map);
    if blessing() && laid_out != committed {
        std::fs::write(&path, &laid_out).unwrap();
    } else if laid_out != committed {
        problems.push(format!(
            "{FINDINGS} is not laid out as render_findings lays it out; \
             rerun this test with SYNACK_BLESS=1"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let n: usize = map.values().map(Vec::len).sum();
    assert!(n >= 30, "the findings table has only {n} rows");
}

// ---- The book: exercises ----------------------------------------------------------

/// `<!-- exercise: scenario=NAME property="PROPERTY" answer=VERDICT -->` in a chapter.
#[derive(Debug)]
struct Exercise {
    chapter: PathBuf,
    line: usize,
    scenario: String,
    property: String,
    answer: String,
}

/// `key=value` pairs; a value with spaces is in double quotes.
fn attributes(s: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("`{rest}` is not key=value"))?;
        let (value, after) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').ok_or("an unclosed quote")?;
            (&q[..end], &q[end + 1..])
        } else {
            after.split_at(after.find(' ').unwrap_or(after.len()))
        };
        out.insert(key.trim().to_string(), value.to_string());
        rest = after.trim();
    }
    Ok(out)
}

fn chapters() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("book/src"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    v.sort();
    v
}

fn exercises() -> Vec<Exercise> {
    let mut out = Vec::new();
    for chapter in chapters() {
        let text = std::fs::read_to_string(&chapter).unwrap();
        for (i, l) in text.lines().enumerate() {
            let Some(body) = l
                .trim()
                .strip_prefix("<!-- exercise:")
                .and_then(|r| r.strip_suffix("-->"))
            else {
                continue;
            };
            let at = format!("{}:{}", chapter.display(), i + 1);
            let a = attributes(body).unwrap_or_else(|e| panic!("{at}: {e}"));
            let get = |k: &str| {
                a.get(k)
                    .cloned()
                    .unwrap_or_else(|| panic!("{at}: the exercise has no `{k}`"))
            };
            out.push(Exercise {
                chapter: chapter.clone(),
                line: i + 1,
                scenario: get("scenario"),
                property: get("property"),
                answer: get("answer"),
            });
        }
    }
    out
}

/// Chapters that have no exercises yet: the state diagram's is about a diagram, not a
/// verdict.
const WITHOUT_EXERCISES: [&str; 1] = ["state-diagram.md"];

/// Without running the checker: every exercise names a property of a catalogue
/// scenario, its answer is the scenario's expectation (the scenario's own test checks
/// it against the computed verdict), the question says which `synack check` to run,
/// the answer is folded in a `<details>` that states it in bold, and every numbered
/// chapter has exercises.
#[test]
fn every_exercise_names_a_property_of_the_catalogue_and_folds_its_answer() {
    let all = Scenario::catalogue(&root().join("models")).unwrap_or_else(|e| panic!("{e}"));
    let exs = exercises();
    let mut problems = Vec::new();
    for ex in &exs {
        let at = format!("{}:{}", ex.chapter.display(), ex.line);
        let Some(s) = all.iter().find(|s| s.name == ex.scenario) else {
            problems.push(format!("{at}: no scenario `{}` in models/", ex.scenario));
            continue;
        };
        match s.expect.iter().find(|(p, _)| *p == ex.property) {
            None => problems.push(format!(
                "{at}: {} checks no property \"{}\"",
                ex.scenario, ex.property
            )),
            Some((_, e)) if e.as_str() != ex.answer => problems.push(format!(
                "{at}: the answer `{}` is not what {} expects ({})",
                ex.answer,
                ex.scenario,
                e.as_str()
            )),
            Some(_) => {}
        }
        // The question runs to the <details>, which holds the answer.
        let text = std::fs::read_to_string(&ex.chapter).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let rest = &lines[ex.line..];
        let Some(open) = rest.iter().position(|l| l.trim() == "<details>") else {
            problems.push(format!("{at}: no <details> after the exercise"));
            continue;
        };
        let question = rest[..open].join("\n");
        if !question.contains(&format!("synack check {}`", ex.scenario)) {
            problems.push(format!(
                "{at}: the question does not say `synack check {}`",
                ex.scenario
            ));
        }
        if rest[..open].iter().any(|l| l.contains("<!-- exercise:")) {
            problems.push(format!(
                "{at}: the next exercise begins before this one's answer"
            ));
        }
        let close = rest[open..]
            .iter()
            .position(|l| l.trim() == "</details>")
            .map(|c| open + c);
        let Some(close) = close else {
            problems.push(format!("{at}: the <details> is not closed"));
            continue;
        };
        let details = &rest[open..close];
        let summary_then_blank = details.len() > 2
            && details[1].trim().starts_with("<summary>")
            && details[1].trim().ends_with("</summary>")
            && details[2].trim().is_empty();
        if !summary_then_blank {
            problems.push(format!(
                "{at}: <details> must open with a one-line <summary> and a blank line \
                 (or mdBook renders the answer as raw text)"
            ));
        }
        if !details.join("\n").contains(&format!("**{}**", ex.answer)) {
            problems.push(format!("{at}: the answer does not say **{}**", ex.answer));
        }
    }
    let summary = std::fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    for l in summary.lines() {
        let Some(file) = l
            .trim()
            .strip_prefix("- [")
            .and_then(|r| r.split_once("]("))
            .and_then(|(_, r)| r.strip_suffix(')'))
        else {
            continue;
        };
        let has = exs
            .iter()
            .any(|e| e.chapter.file_name().is_some_and(|n| n == file));
        if !has && !WITHOUT_EXERCISES.contains(&file) {
            problems.push(format!("{file}: a chapter without exercises"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
