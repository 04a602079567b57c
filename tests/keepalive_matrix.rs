//! The keep-alive matrix of the book: every combination of the browser's retry
//! policy, the origin's idle-close style and the origin's fault, checked from one base
//! scenario (`models/http-keepalive-race.toml`).
//!
//! The test writes one scenario file per cell into `models/keepalive-matrix/` (so a
//! reader can run any cell with `synack check`) and the table
//! `book/src/generated/keepalive-matrix.md`; it fails when a committed file differs
//! from what the checker computes now. `SYNACK_BLESS=1 cargo test --release --test
//! keepalive_matrix` rewrites them.
//!
//! Every cell's `[expect]` states what RFC 9110 §9.2.2 and RFC 9112 §9.3.1.1 lead one
//! to expect: retrying a request that is not idempotent is unsafe when the server may
//! have applied it, and a client that never retries loses a request that crossed the
//! server's close. The table marks every verdict that differs from it. In the cells
//! where the origin may crash, the second request is a POST, as in
//! `http-keepalive-race-crash`.

use std::path::{Path, PathBuf};
use synack::check::{self, RunOptions};
use synack::scenario::Scenario;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const RETRIES: [&str; 3] = ["always", "idempotent", "never"];
const CLOSES: [(&str, &str); 2] = [
    ("close", "close() (Linux, Go): RST"),
    ("lingering", "lingering (nginx): read, discard"),
];
const FAULTS: [(&str, &str); 2] = [("none", "answers"), ("crash", "may apply, then crash")];
const PROPS: [(&str, &str); 2] = [
    ("a POST takes effect at most once", "POST once"),
    ("every GET eventually gets a response", "GET answered"),
];

/// What the RFCs lead one to expect in a cell.
fn claim(retry: &str, fault: &str, prop: &str) -> &'static str {
    match prop {
        "a POST takes effect at most once" if retry == "always" && fault == "crash" => "violated",
        // The first GET itself may meet the crash, on a fresh connection, where no
        // policy retries.
        "every GET eventually gets a response" if retry == "never" || fault == "crash" => {
            "violated"
        }
        _ => "holds",
    }
}

fn cell_text(base: &str, retry: &str, close: &str, fault: &str) -> String {
    let mut out = String::from(
        "# A cell of the keep-alive matrix, written by tests/keepalive_matrix.rs from\n\
         # models/http-keepalive-race.toml; `[expect]` is what RFC 9110 §9.2.2 leads one to\n\
         # expect, and the book's table marks where the checker disagrees.\n",
    );
    for line in base.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if key == "description" {
            out.push_str(&format!(
                "description = \"Keep-alive matrix: retry {retry}, idle close {close}, origin {}\"\n",
                FAULTS.iter().find(|f| f.0 == fault).map(|f| f.1).unwrap_or("")
            ));
        } else if key == "methods" && fault == "crash" {
            // As in http-keepalive-race-crash: the hazard is a POST, and a second GET
            // would only multiply the states.
            out.push_str("methods = [\"POST\"]   # the second request: a POST\n");
        } else if key == "capacity" && fault == "crash" {
            out.push_str("capacity = 5         # two connections: the FINs, ACKs and the retried request fit in five\n");
        } else if key == "retry" {
            out.push_str(&format!("retry = \"{retry}\"\n"));
        } else if line.starts_with("[[http.route]]") && !out.contains("[http.origin]") {
            out.push_str("[http.origin]\n");
            out.push_str(&format!("idle_close = \"{close}\"\n"));
            if fault == "crash" {
                out.push_str("faults = [\"apply-then-crash\"]\n");
            }
            out.push('\n');
            out.push_str(line);
            out.push('\n');
        } else if let Some((p, _)) = PROPS.iter().find(|(p, _)| key == format!("\"{p}\"")) {
            out.push_str(&format!("\"{p}\" = \"{}\"\n", claim(retry, fault, p)));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn bless_or_compare(path: &Path, text: &str) -> Result<(), String> {
    if std::env::var("SYNACK_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("a parent")).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == text {
        Ok(())
    } else {
        Err(format!(
            "{} is stale; regenerate it with `SYNACK_BLESS=1 cargo test --release --test \
             keepalive_matrix` and reread the persistent-connections chapter against it.\n\
             --- committed\n{committed}\n--- generated\n{text}",
            path.display()
        ))
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_keepalive_matrix_is_computed_and_current() {
    let base = std::fs::read_to_string(root().join("models/http-keepalive-race.toml"))
        .expect("the matrix base");
    assert!(
        base.contains("retry = \"always\""),
        "the base retries always"
    );
    let dir = root().join("models/keepalive-matrix");
    let mut stale = Vec::new();
    let mut md = String::from(
        "<!-- Generated by tests/keepalive_matrix.rs from models/keepalive-matrix/; do not edit. -->\n\n\
         | browser retries | origin's idle close | origin | POST once | GET answered | states |\n\
         |---|---|---|---|---|---|\n",
    );
    for retry in RETRIES {
        for (close, close_label) in CLOSES {
            for (fault, fault_label) in FAULTS {
                let name = format!("{retry}-{close}-{fault}");
                let text = cell_text(&base, retry, close, fault);
                let path = dir.join(format!("{name}.toml"));
                if let Err(e) = bless_or_compare(&path, &text) {
                    stale.push(e);
                }
                let scn = Scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
                let o = check::check(
                    &scn,
                    &RunOptions {
                        explorer: None,
                        ..RunOptions::default()
                    },
                );
                let r = &o.report;
                assert!(r.complete, "{name}: the run hit a bound");
                md.push_str(&format!("| {retry} | {close_label} | {fault_label} |"));
                for (p, _) in PROPS {
                    let pr = r
                        .properties
                        .iter()
                        .find(|x| x.name == p)
                        .unwrap_or_else(|| panic!("{name}: no {p}"));
                    if pr.verdict == pr.expected {
                        md.push_str(&format!(" {} |", pr.verdict));
                    } else {
                        md.push_str(&format!(" **{}** ✗ |", pr.verdict));
                    }
                }
                md.push_str(&format!(
                    " {} (`keepalive-matrix/{name}`) |\n",
                    thousands(r.unique_states)
                ));
            }
        }
    }
    md.push_str(
        "\nWhere the origin may crash, the second request is a POST (as in \
         `http-keepalive-race-crash`), and the first GET may itself meet the crash on a \
         fresh connection, where no policy retries. ✗ marks a verdict that differs from \
         what RFC 9110 §9.2.2 leads one to expect (retrying a POST is unsafe only when \
         the origin may have applied it; never retrying loses a GET that crossed the \
         server's close; nothing saves a GET from an origin that crashes on it).\n",
    );
    if let Err(e) = bless_or_compare(&root().join("book/src/generated/keepalive-matrix.md"), &md) {
        stale.push(e);
    }
    assert!(stale.is_empty(), "{}", stale.join("\n\n"));
}
