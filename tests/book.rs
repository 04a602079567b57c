//! The book in `book/`: its state diagram is regenerated from the models, every
//! `{{#include}}` names a file and a line range that exist, and `mdbook build book`
//! is clean (no WARN, no ERROR: the preprocessor mdbook-mermaid and the backend
//! mdbook-linkcheck2 run as part of it).
//!
//! `SYNACK_BLESS=1 cargo test --release --test book` rewrites `book/src/generated/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use synack::check::transitions::{self, Transition};
use synack::cli::GraphFormat;
use synack::scenario::Scenario;

/// The scenarios whose transitions, together, cover RFC 9293 Figure 5 (see
/// tests/transitions.rs); the book's chapter "The state diagram, derived" draws them.
const FIGURE_5_SCENARIOS: [&str; 4] = [
    "tcp-handshake",
    "tcp-simultaneous-open",
    "tcp-simultaneous-close",
    "tcp-user-calls",
];

/// The versions the book is built with; .ci/run installs the same. mdbook-mermaid is
/// built without `--locked`: its lock file pins mdbook-preprocessor 0.5.0, and a
/// preprocessor built against another mdBook than the one that calls it prints a
/// warning; mdbook-linkcheck2 needs mdBook 0.5.1 or later.
const INSTALL: &str = "cargo install --locked mdbook@0.5.4 mdbook-linkcheck2@0.13.0 && \
                       cargo install mdbook-mermaid@0.17.1";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn union_of_transitions() -> BTreeSet<Transition> {
    let mut all = BTreeSet::new();
    for name in FIGURE_5_SCENARIOS {
        let path = root().join("models").join(format!("{name}.toml"));
        let scn = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        all.extend(transitions::of(&scn));
    }
    all
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
        "{} is stale: the models' transitions changed.\n\
         Regenerate it with `SYNACK_BLESS=1 cargo test --release --test book`, \
         then reread the chapter state-diagram.md against it.\n\
         --- committed\n{committed}\n--- generated\n{text}",
        path.display()
    );
}

/// A scenario whose failures add the moves that Figure 5 and the four scenarios
/// above never make: the user timeout and the FIN-WAIT-2 timeout (small: 35k states).
const BEYOND_FIGURE_5: &str = "tcp-fin-wait-2-timeout";

#[test]
fn the_state_diagram_is_generated_from_the_models() {
    let set = union_of_transitions();
    let dir = root().join("book/src/generated");
    bless_or_compare(
        &dir.join("transitions.txt"),
        &transitions::render(&set, GraphFormat::Text),
    );
    let path = root()
        .join("models")
        .join(format!("{BEYOND_FIGURE_5}.toml"));
    let scn = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let beyond: BTreeSet<Transition> = transitions::of(&scn)
        .into_iter()
        .filter(|t| {
            !set.iter()
                .any(|u| (&u.from, &u.to, &u.cause) == (&t.from, &t.to, &t.cause))
        })
        .collect();
    bless_or_compare(
        &dir.join(format!("transitions-{BEYOND_FIGURE_5}.txt")),
        &transitions::render(&beyond, GraphFormat::Text),
    );
    // The picture on Figure 5's ranks: the union, and what the failures add.
    let all: BTreeSet<Transition> = set.union(&beyond).cloned().collect();
    let svg = transitions::render(&all, GraphFormat::Svg);
    figure_5_picture_is_sound(&all, &svg);
    bless_or_compare(&dir.join("transitions.svg"), &svg);
}

/// What the picture must show: every state, every cause, each edge in the colour of
/// its origin, and no text unescaped.
fn figure_5_picture_is_sound(all: &BTreeSet<Transition>, svg: &str) {
    use synack::check::figure5::{origin, Origin};
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for t in all {
        assert!(
            svg.contains(&format!(">{}</text>", t.from)),
            "no state {}",
            t.from
        );
    }
    let classes = |o: Origin| match o {
        Origin::Figure5 => "fig",
        Origin::Rfc => "rfc",
        Origin::Model => "model",
    };
    for o in [Origin::Figure5, Origin::Rfc, Origin::Model] {
        assert!(
            all.iter().any(|t| origin(t).0 == o),
            "the union has no transition of origin {o:?}: the legend would lie"
        );
        assert!(svg.contains(&format!("class=\"{}\"", classes(o))));
    }
    // Figure 5's own arrows, the notes' and the model's, as the chapter describes them.
    let of = |from: &str, to: &str, cause: &str| {
        all.iter()
            .find(|t| t.from == from && t.to == to && t.cause.starts_with(cause))
            .map(|t| origin(t).0)
    };
    assert_eq!(
        of("ESTABLISHED", "FIN-WAIT-1", "CLOSE"),
        Some(Origin::Figure5)
    );
    assert_eq!(
        of("SYN-RECEIVED", "LISTEN", "rcv RST"),
        Some(Origin::Figure5)
    );
    assert_eq!(
        of("FIN-WAIT-1", "TIME-WAIT", "rcv FIN,ACK"),
        Some(Origin::Rfc)
    );
    assert_eq!(
        of("TIME-WAIT", "TIME-WAIT", "rcv FIN,ACK"),
        Some(Origin::Rfc)
    );
    assert_eq!(of("SYN-SENT", "CLOSED", "rcv RST"), Some(Origin::Rfc));
    assert_eq!(
        of("FIN-WAIT-2", "CLOSED", "FIN-WAIT-2 timeout"),
        Some(Origin::Model)
    );
    // Every cause is there, escaped (its event and what is sent; the picture shortens
    // "user timeout: retries exhausted …" to its event).
    for t in all {
        let first = t.cause.split([':', '(']).next().unwrap().trim();
        let shown = synack::wire::svg::escape(first);
        assert!(svg.contains(&shown), "cause `{}` not drawn", t.cause);
    }
}

/// One `{{#include PATH[:RANGE]}}` of a chapter.
#[derive(Debug)]
struct Include {
    chapter: PathBuf,
    line: usize,
    path: String,
    range: Option<String>,
    /// What the chapter says the included lines must contain, from a comment
    /// `<!-- the lines hold: TEXT -->` just above the include.
    expects: Option<String>,
}

fn chapters(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            chapters(&p, out);
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
}

fn includes() -> Vec<Include> {
    let mut files = Vec::new();
    chapters(&root().join("book/src"), &mut files);
    files.sort();
    let mut out = Vec::new();
    for chapter in files {
        let text = std::fs::read_to_string(&chapter).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let mut rest = *l;
            while let Some(at) = rest.find("{{#include ") {
                let escaped = at > 0 && rest.as_bytes()[at - 1] == b'\\';
                let after = &rest[at + "{{#include ".len()..];
                let end = after
                    .find("}}")
                    .unwrap_or_else(|| panic!("{}:{}: unclosed include", chapter.display(), i + 1));
                let arg = after[..end].trim();
                rest = &after[end..];
                if escaped {
                    continue;
                }
                let (path, range) = match arg.split_once(':') {
                    Some((p, r)) => (p.to_string(), Some(r.to_string())),
                    None => (arg.to_string(), None),
                };
                let expects = lines[i.saturating_sub(3)..i].iter().find_map(|l| {
                    l.trim()
                        .strip_prefix("<!-- the lines hold:")
                        .and_then(|r| r.strip_suffix("-->"))
                        .map(|r| r.trim().to_string())
                });
                out.push(Include {
                    chapter: chapter.clone(),
                    line: i + 1,
                    path,
                    range,
                    expects,
                });
            }
        }
    }
    out
}

/// The number of lines of the insta header (`---`, `source: …`, maybe more, `---`).
fn insta_header_lines(lines: &[&str]) -> Option<usize> {
    if lines.first() != Some(&"---") {
        return None;
    }
    lines[1..].iter().position(|l| *l == "---").map(|i| i + 2)
}

/// Checks one include; returns what is wrong with it.
fn check(inc: &Include) -> Result<(), String> {
    let file = inc.chapter.parent().unwrap().join(&inc.path);
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", inc.path))?;
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    let Some(range) = &inc.range else {
        return holds(inc, &text);
    };
    let num = |s: &str| -> Result<Option<usize>, String> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<usize>()
                .map(Some)
                .map_err(|_| format!("bad line number `{s}`"))
        }
    };
    let (from, to) = match range.split_once(':') {
        Some((a, b)) => (num(a)?, num(b)?),
        None => match range.parse::<usize>() {
            Ok(a) => (Some(a), Some(a)),
            Err(_) => {
                // An anchor: ANCHOR: name … ANCHOR_END: name.
                let start = format!("ANCHOR: {range}");
                let end = format!("ANCHOR_END: {range}");
                let (Some(a), Some(b)) = (text.find(&start), text.find(&end)) else {
                    return Err(format!("{}: no anchor `{range}`", inc.path));
                };
                return holds(inc, &text[a..b.max(a)]);
            }
        },
    };
    let first = from.unwrap_or(1);
    let last = to.unwrap_or(n);
    if first == 0 || first > n || last > n || last < first {
        return Err(format!(
            "{}: lines {range} out of bounds ({n} lines)",
            inc.path
        ));
    }
    if inc.path.contains("snapshots/") {
        let header =
            insta_header_lines(&lines).ok_or_else(|| format!("{}: no insta header", inc.path))?;
        if first != header + 1 {
            return Err(format!(
                "{}: the insta header has {header} lines, so the include must start at line {}",
                inc.path,
                header + 1
            ));
        }
    }
    if inc.path.contains("src/") && !inc.path.contains("book/src") && inc.expects.is_none() {
        return Err(format!(
            "{}: code included by line numbers needs a comment \
             `<!-- the lines hold: TEXT -->` above it",
            inc.path
        ));
    }
    holds(inc, &lines[first - 1..last].join("\n"))
}

/// Whether the included text holds what the chapter's comment says it does.
fn holds(inc: &Include, body: &str) -> Result<(), String> {
    match &inc.expects {
        Some(expects) if !body.contains(expects.as_str()) => Err(format!(
            "{}: the included lines no longer hold `{expects}`:\n{body}",
            inc.path
        )),
        _ => Ok(()),
    }
}

#[test]
fn every_include_names_an_existing_file_and_range() {
    let all = includes();
    assert!(!all.is_empty(), "the book includes nothing");
    let errors: Vec<String> = all
        .iter()
        .filter_map(|inc| {
            check(inc)
                .err()
                .map(|e| format!("{}:{}: {e}", inc.chapter.display(), inc.line))
        })
        .collect();
    assert!(errors.is_empty(), "broken includes:\n{}", errors.join("\n"));
}

/// A trace longer than this many lines is folded into `<details>`.
const LONGEST_UNFOLDED_TRACE: usize = 40;

/// Every trace included from `snapshots/` that is longer than
/// [`LONGEST_UNFOLDED_TRACE`] lines sits inside `<details>`, whose `<summary>` line is
/// followed by a blank line (without it mdBook leaves the Markdown inside unrendered).
#[test]
fn long_traces_are_folded() {
    let mut problems = Vec::new();
    let mut folded = 0;
    for inc in includes() {
        if !inc.path.contains("snapshots/") || inc.path.ends_with(".mermaid.snap") {
            continue;
        }
        let file = inc.chapter.parent().unwrap().join(&inc.path);
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // every_include_names_an_existing_file_and_range reports it
        };
        let all = text.lines().count();
        let first = inc
            .range
            .as_deref()
            .and_then(|r| r.split(':').next())
            .and_then(|a| a.parse::<usize>().ok())
            .unwrap_or(1);
        let shown = all + 1 - first.min(all + 1);
        if shown <= LONGEST_UNFOLDED_TRACE {
            continue;
        }
        let chapter = std::fs::read_to_string(&inc.chapter).unwrap();
        let before: Vec<&str> = chapter.lines().take(inc.line - 1).collect();
        let open = before.iter().rposition(|l| l.trim() == "<details>");
        let closed = before.iter().rposition(|l| l.trim() == "</details>");
        let at = format!("{}:{}", inc.chapter.display(), inc.line);
        match open {
            Some(o) if closed.is_none_or(|c| c < o) => {
                let summary = before.get(o + 1).map(|l| l.trim()).unwrap_or("");
                let blank = before.get(o + 2).is_some_and(|l| l.trim().is_empty());
                if !(summary.starts_with("<summary>") && summary.ends_with("</summary>") && blank) {
                    problems.push(format!(
                        "{at}: <details> needs a one-line <summary> and then a blank line"
                    ));
                }
                folded += 1;
            }
            _ => problems.push(format!(
                "{at}: {} shows {shown} lines; fold it into <details>",
                inc.path
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        folded > 0,
        "no long trace found: does the check still see the includes?"
    );
}

fn on_path(bin: &str) -> bool {
    Command::new(bin).arg("--version").output().is_ok()
}

/// Runs `mdbook ARGS` from the repository root; fails on a non-zero exit or on any
/// line that says WARN or ERROR (in any case: mdBook logs `WARN`, a preprocessor may
/// print `Warning:`).
fn mdbook(args: &[&str]) {
    let out = Command::new("mdbook")
        .args(args)
        .current_dir(root())
        .output()
        .expect("mdbook runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| {
            let l = l.to_lowercase();
            l.contains("warn") || l.contains("error")
        })
        .collect();
    assert!(
        out.status.success() && bad.is_empty(),
        "`mdbook {}` failed ({}):\n{text}",
        args.join(" "),
        out.status
    );
}

#[test]
fn mdbook_builds_the_book_without_warnings() {
    let tools = ["mdbook", "mdbook-mermaid", "mdbook-linkcheck2"];
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if !missing.is_empty() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "not on PATH: {}; install them with `{INSTALL}`",
                missing.join(", ")
            );
        }
        eprintln!(
            "note: the book was not built: {} not on PATH; install with `{INSTALL}`",
            missing.join(", ")
        );
        return;
    }
    mdbook(&["build", "book"]);
    mdbook(&["test", "book"]);
}
