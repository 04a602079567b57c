//! The TIME-WAIT matrix of the book: every combination of ISN generator, TIME-WAIT
//! length and RFC 1337, checked from one base scenario.
//!
//! The test writes one scenario file per cell into `models/time-wait-matrix/` (so a
//! reader can run any cell with `synack check`) and the table
//! `book/src/generated/time-wait-matrix.md`; it fails when a committed file differs
//! from what the checker computes now. `SYNACK_BLESS=1 cargo test --release --test
//! time_wait_matrix` rewrites them.
//!
//! Every cell's `[expect]` states the seeds' (the textbooks') claim; the table marks
//! every verdict that differs from it. Those are findings, not failures.

use std::path::{Path, PathBuf};
use synack::check::{self, RunOptions};
use synack::scenario::Scenario;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The ISN axis: name, what the book calls it, and the keys the cell sets.
const ISNS: [(&str, &str, &str, u8); 4] = [
    ("clock", "clock, not outrun", "clock", 1),
    ("outrun", "clock, outrun by data", "clock", 0),
    ("random", "random (ignores MUST-8)", "random", 0),
    ("oracle", "oracle (no stack)", "oracle", 0),
];

/// The properties a cell reports, with their short column names.
const PROPS: [(&str, &str); 3] = [
    ("no old segment accepted", "old segment"),
    ("graceful close", "graceful close"),
    ("retransmitted FIN meets RST", "FIN meets RST"),
];

struct Cell {
    name: String,
    text: String,
}

/// Replaces the value of `key = ...` (the first such line) in `text`.
fn set(text: &str, key: &str, value: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            let k = l.split('=').next().unwrap_or("").trim();
            if !done && k == key && l.contains('=') {
                done = true;
                let comment = l.find('#').map(|i| &l[i..]).unwrap_or("");
                let line = format!("{key} = {value}");
                if comment.is_empty() {
                    line
                } else {
                    format!("{line:<20} {comment}")
                }
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The seeds' claim for `prop` in a cell: TIME-WAIT of 2 MSL protects, shorter does
/// not, and an ISN clock that is not outrun (or the oracle) protects at any length.
fn claim(isn: &str, tw: u8, rfc1337: bool, prop: &str) -> &'static str {
    let _ = rfc1337;
    match prop {
        "no old segment accepted" => {
            if tw >= 2 || isn == "clock" || isn == "oracle" {
                "holds"
            } else {
                "violated"
            }
        }
        "graceful close" => "holds",
        "retransmitted FIN meets RST" => {
            if tw >= 2 {
                "not found"
            } else {
                "found"
            }
        }
        _ => "found",
    }
}

fn cells(base: &str) -> Vec<(Cell, &'static str, u8, bool)> {
    let mut out = Vec::new();
    for (name, _, isn, pace) in ISNS {
        for rfc1337 in [false, true] {
            for tw in 0..=2u8 {
                let cell = format!("{name}-tw{tw}{}", if rfc1337 { "-rfc1337" } else { "" });
                let mut t = base.to_string();
                // The header comment describes the base; a cell says what it is.
                t = t
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .collect::<Vec<_>>()
                    .join("\n");
                t = format!(
                    "# A cell of the TIME-WAIT matrix, written by tests/time_wait_matrix.rs from\n\
                     # base.toml; `[expect]` is the seeds' claim, and the book's table marks\n\
                     # where the checker disagrees.\n{t}"
                );
                t = set(
                    &t,
                    "description",
                    &format!(
                        "\"TIME-WAIT matrix, {}: ISN {}, TIME-WAIT {tw} MSL, RFC 1337 {}\"",
                        cell,
                        ISNS.iter().find(|i| i.0 == name).map(|i| i.1).unwrap_or(""),
                        if rfc1337 { "on" } else { "off" }
                    ),
                );
                t = set(&t, "isn", &format!("\"{isn}\""));
                t = set(&t, "pace", &pace.to_string());
                t = set(&t, "time_wait", &tw.to_string());
                t = set(&t, "ignore_rst_in_time_wait", &rfc1337.to_string());
                if isn != "clock" {
                    t = t
                        .lines()
                        .filter(|l| !l.starts_with("isn_clock") && !l.starts_with("isn_offsets"))
                        .collect::<Vec<_>>()
                        .join("\n")
                        + "\n";
                }
                for (p, _) in PROPS {
                    t = set(
                        &t,
                        &format!("\"{p}\""),
                        &format!("\"{}\"", claim(name, tw, rfc1337, p)),
                    );
                }
                out.push((
                    Cell {
                        name: cell,
                        text: t,
                    },
                    name,
                    tw,
                    rfc1337,
                ));
            }
        }
    }
    out
}

fn bless_or_compare(path: &Path, text: &str) -> Result<(), String> {
    if std::env::var("SYNACK_BLESS").as_deref() == Ok("1") {
        std::fs::write(path, text).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == text {
        Ok(())
    } else {
        Err(format!(
            "{} is stale; regenerate it with `SYNACK_BLESS=1 cargo test --release --test \
             time_wait_matrix` and reread the TIME-WAIT chapter against it.\n--- committed\n\
             {committed}\n--- generated\n{text}",
            path.display()
        ))
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_time_wait_matrix_is_computed_and_current() {
    let dir = root().join("models/time-wait-matrix");
    let base = std::fs::read_to_string(dir.join("base.toml")).expect("the matrix base");
    let mut stale = Vec::new();
    // (isn, rfc1337) -> per TIME-WAIT: (cell, verdicts, states)
    let mut rows: Vec<((&str, bool), Vec<(String, Vec<(String, bool)>, u64)>)> = Vec::new();
    for (cell, isn, _tw, rfc1337) in cells(&base) {
        let path = dir.join(format!("{}.toml", cell.name));
        if let Err(e) = bless_or_compare(&path, &cell.text) {
            stale.push(e);
        }
        let scn = Scenario::parse(&path, &cell.text).unwrap_or_else(|e| panic!("{e}"));
        let o = check::check(
            &scn,
            &RunOptions {
                explorer: None,
                ..RunOptions::default()
            },
        );
        let r = &o.report;
        assert!(r.complete, "{}: the run hit a bound", cell.name);
        let verdicts: Vec<(String, bool)> = PROPS
            .iter()
            .map(|(p, _)| {
                let pr = r
                    .properties
                    .iter()
                    .find(|x| x.name == *p)
                    .unwrap_or_else(|| panic!("{}: no {p}", cell.name));
                (pr.verdict.to_string(), pr.verdict == pr.expected)
            })
            .collect();
        // Non-vacuity: graceful close is about closes that happen.
        let normal = r
            .properties
            .iter()
            .find(|x| x.name == "both applications learn of a normal close")
            .expect("the witness of graceful close");
        assert_eq!(
            normal.verdict, "found",
            "{}: graceful close would hold vacuously",
            cell.name
        );
        match rows.iter_mut().find(|(k, _)| *k == (isn, rfc1337)) {
            Some((_, v)) => v.push((cell.name.clone(), verdicts, r.unique_states)),
            None => rows.push((
                (isn, rfc1337),
                vec![(cell.name.clone(), verdicts, r.unique_states)],
            )),
        }
    }
    let mut md = String::new();
    md.push_str(
        "<!-- Generated by tests/time_wait_matrix.rs from models/time-wait-matrix/; do not edit. -->\n\n",
    );
    md.push_str("| ISN | RFC 1337 | TIME-WAIT 0 | TIME-WAIT 1×MSL | TIME-WAIT 2×MSL |\n");
    md.push_str("|---|---|---|---|---|\n");
    for ((isn, rfc1337), cols) in &rows {
        let label = ISNS.iter().find(|i| i.0 == *isn).map(|i| i.1).unwrap_or("");
        md.push_str(&format!(
            "| {label} | {} |",
            if *rfc1337 { "on" } else { "off" }
        ));
        for (name, verdicts, states) in cols {
            let parts: Vec<String> = verdicts
                .iter()
                .zip(PROPS)
                .map(|((v, as_claimed), (_, short))| {
                    if *as_claimed {
                        format!("{short}: {v}")
                    } else {
                        format!("**{short}: {v}** ✗")
                    }
                })
                .collect();
            md.push_str(&format!(
                " {}<br>{} states, `{name}` |",
                parts.join("<br>"),
                thousands(*states)
            ));
        }
        md.push('\n');
    }
    md.push_str(
        "\n✗ marks a verdict that differs from the seeds' claim (TIME-WAIT of 2×MSL protects, \
         a shorter one does not; an ISN clock that is not outrun protects at any length; \
         graceful close holds throughout).\n",
    );
    if let Err(e) = bless_or_compare(&root().join("book/src/generated/time-wait-matrix.md"), &md) {
        stale.push(e);
    }
    assert!(stale.is_empty(), "{}", stale.join("\n\n"));
}
