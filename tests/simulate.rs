//! `synack simulate`: seeded random walks, labelled "sampled", whose findings replay;
//! `--shard` and `synack merge`. Small samples only: each test takes well under a
//! second of walking.

#[path = "common/run.rs"]
mod run;

use run::synack;

use serde_json::Value;
use std::path::PathBuf;

fn json(args: &[&str]) -> (i32, Value) {
    let (code, out, err) = synack(args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

/// A directory of its own under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("synack-simulate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A report without its timing, which is the one field that may differ between runs.
fn untimed(mut v: Value) -> Value {
    match &mut v {
        Value::Array(a) => a.iter_mut().for_each(|r| *r = untimed(r.take())),
        Value::Object(o) => {
            o.remove("seconds");
        }
        _ => {}
    }
    v
}

fn prop<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name} in {r}"))
}

#[test]
fn a_sample_is_labelled_sampled_and_never_says_holds() {
    let args = [
        "simulate",
        "tcp-handshake",
        "--runs",
        "200",
        "--depth",
        "60",
        "--seed",
        "3",
        "--json",
    ];
    let (code, r) = json(&args);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["complete"], false);
    assert_eq!(r["simulation"]["seed"], 3);
    assert_eq!(r["simulation"]["runs"], 200);
    assert_eq!(r["simulation"]["requested_runs"], 200);
    assert_eq!(r["simulation"]["depth"], 60);
    assert!(r["max_depth"].as_u64().unwrap() <= 60);
    assert!(r["states"].as_u64().unwrap() > r["unique_states"].as_u64().unwrap());
    for p in r["properties"].as_array().unwrap() {
        assert_ne!(p["verdict"], "holds", "{p}");
        assert_ne!(p["verdict"], "not found", "{p}");
    }
    let always = prop(&r, "no double connection");
    assert_eq!(always["verdict"], "sampled");
    assert_eq!(always["sample"], "not violated in 200 sampled runs");
    assert_eq!(always["found_in_runs"], 0);
    let live = prop(&r, "both sides reach CLOSED");
    assert_eq!(live["verdict"], "not checked");
    assert!(live["sample"]
        .as_str()
        .unwrap()
        .starts_with("not checked by simulate"));
    let est = prop(&r, "reaches ESTABLISHED");
    assert_eq!(est["verdict"], "found");
    assert!(est["trace"].as_array().unwrap().len() > 3);
    assert!(est["explorer"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:3000/#/steps/0/"));

    let (code, out, _) = synack(&args[..args.len() - 1]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("tcp-handshake: SAMPLED, 200 runs of at most 60 steps (seed 3)"),
        "{out}"
    );
    assert!(
        out.contains("no double connection: not violated in 200 sampled runs"),
        "{out}"
    );
    assert!(out.contains("not checked by simulate"), "{out}");
    assert!(!out.contains(" holds "), "{out}");
}

#[test]
fn the_same_seed_gives_the_same_sample_on_any_thread_count() {
    let base = [
        "simulate",
        "tcp-two-way-handshake",
        "http-framing",
        "--runs",
        "300",
        "--depth",
        "40",
        "--seed",
        "9",
        "--json",
    ];
    let runs: Vec<Value> = ["1", "2", "4"]
        .iter()
        .map(|t| {
            let mut a = base.to_vec();
            a.extend(["--threads", t]);
            untimed(json(&a).1)
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
    let mut other = base.to_vec();
    other[8] = "10";
    assert_ne!(
        untimed(json(&other).1),
        runs[0],
        "another seed, another sample"
    );
}

#[test]
fn a_found_counterexample_replays_and_its_files_are_written() {
    let dir = scratch("replay");
    let d = dir.to_str().unwrap();
    let (code, out, err) = synack(&[
        "simulate",
        "tcp-two-way-handshake",
        "--runs",
        "2000",
        "--depth",
        "50",
        "--traces",
        d,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // The stale SYN opens a second connection: the counterexample's timeline is printed.
    assert!(
        out.contains("ok         violated    always     no double connection ["),
        "{out}"
    );
    assert!(
        out.contains("tcp-two-way-handshake / no double connection: violated in run "),
        "{out}"
    );
    let file = |ext: &str| dir.join(format!("tcp-two-way-handshake.no-double-connection.{ext}"));
    let text = std::fs::read_to_string(file("txt")).unwrap();
    assert!(text.contains("step  time  what happened"), "{text}");
    let j: Value = serde_json::from_str(&std::fs::read_to_string(file("json")).unwrap()).unwrap();
    assert_eq!(j["verdict"], "violated");
    assert!(j["trace"].as_array().unwrap().len() > 3);
    // The trace file says how to replay it; replay accepts it.
    let trace = file("trace");
    let body = std::fs::read_to_string(&trace).unwrap();
    let cmd = body
        .lines()
        .next()
        .unwrap()
        .strip_prefix("# replay: synack ")
        .unwrap();
    assert!(err.contains(cmd), "{err}");
    let args: Vec<&str> = cmd.split(' ').collect();
    assert_eq!(args[0], "replay");
    let (code, out, err) = synack(&args);
    assert_eq!(code, 0, "{out}{err}\n{body}");
    assert!(out.contains(": accepted,"), "{out}");
    // A witness of a sometimes-property is written too.
    assert!(dir
        .join("tcp-two-way-handshake.reaches-established.trace")
        .is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_page_load_violation_is_found_with_its_path() {
    let (code, r) = json(&[
        "simulate",
        "http-keepalive-race-crash",
        "--runs",
        "300",
        "--depth",
        "60",
        "--json",
    ]);
    assert_eq!(code, 0);
    let p = prop(&r, "a POST takes effect at most once");
    assert_eq!(p["verdict"], "violated");
    assert!(p["found_in_runs"].as_u64().unwrap() >= 1);
    assert!(p["first_run"].as_u64().is_some());
    let trace = p["trace"].as_array().unwrap();
    assert!(
        trace
            .iter()
            .filter(|s| s["summary"].as_str().unwrap().contains("apply"))
            .count()
            >= 2,
        "two POSTs applied: {p}"
    );
}

#[test]
fn a_finding_that_contradicts_the_expectation_exits_1() {
    let dir = scratch("contradiction");
    let src = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/tcp-two-way-handshake.toml"),
    )
    .unwrap();
    let wrong = src.replace(
        "\"no double connection\" = \"violated\"",
        "\"no double connection\" = \"holds\"",
    );
    assert_ne!(wrong, src);
    let f = dir.join("two-way-expected-safe.toml");
    std::fs::write(&f, wrong).unwrap();
    let (code, out, _) = synack(&[
        "simulate",
        f.to_str().unwrap(),
        "--runs",
        "2000",
        "--depth",
        "50",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("UNEXPECTED violated    always     no double connection (expected holds)"),
        "{out}"
    );
    // Not finding an expected violation contradicts nothing: a sample proves no absence.
    let (code, out, _) = synack(&[
        "simulate",
        "tcp-two-way-handshake",
        "--runs",
        "1",
        "--depth",
        "3",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("sampled     always     no double connection: not violated in 1 sampled run"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_simulate_input_exits_2_with_an_error_line() {
    for args in [
        vec!["simulate", "tcp-handshake", "--runs", "0"],
        vec!["simulate", "tcp-handshake", "--depth", "0"],
        vec!["simulate", "tcp-handshake", "--seed", "-1"],
        vec!["simulate", "tcp-handshake", "--shard", "2/2"],
        vec!["simulate", "tcp-handshake", "--shard", "0/0"],
        vec!["simulate", "tcp-handshake", "--shard", "1"],
        vec!["simulate", "tcp-handshake", "--threads", "0"],
        vec!["simulate", "no-such-scenario"],
        vec!["simulate", "tests/fixtures/malformed.toml"],
        vec!["simulate"],
    ] {
        let (code, out, err) = synack(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.starts_with("error:"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// Writes `text` to `path` with `SYNACK_BLESS=1`, else fails if the file differs.
fn bless_or_compare(path: &std::path::Path, text: &str) {
    if std::env::var("SYNACK_BLESS").as_deref() == Ok("1") {
        std::fs::write(path, text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale; regenerate it with `SYNACK_BLESS=1 cargo test --release --test simulate`, \
         then reread book/src/running.md against it.\n--- committed\n{committed}\n--- generated\n{text}",
        path.display()
    );
}

#[test]
fn the_books_sample_is_generated() {
    let scn = synack::scenario::Scenario::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/tcp-two-way-handshake.toml"),
    )
    .unwrap();
    let opts = synack::simulate::Options {
        seed: 1,
        runs: 2000,
        depth: 50,
        ..synack::simulate::Options::default()
    };
    let o = synack::simulate::simulate(&scn, &opts);
    let mut text = o.report.text(true);
    assert!(text.contains("SAMPLED"), "{text}");
    // A sample that misses what `check` finds: it says "sampled", never "holds".
    let scn = synack::scenario::Scenario::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/tcp-no-time-wait.toml"),
    )
    .unwrap();
    let opts = synack::simulate::Options {
        runs: 1000,
        depth: 100,
        ..opts
    };
    let missed = synack::simulate::simulate(&scn, &opts).report.text(true);
    assert!(
        missed.contains("no old segment accepted: not violated in 1,000 sampled runs"),
        "{missed}"
    );
    text.push('\n');
    text.push_str(&missed);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("book/src/generated");
    bless_or_compare(&dir.join("simulate-tcp-two-way-handshake.txt"), &text);
}

#[test]
fn a_sample_stopped_by_its_timeout_is_partial_and_exits_3() {
    let (code, r) = json(&[
        "simulate",
        "tcp-handshake",
        "--runs",
        "1000000000",
        "--timeout",
        "1",
        "--json",
    ]);
    assert_eq!(code, 3, "{r}");
    assert_eq!(r["stopped"], "reached --timeout");
    let runs = r["simulation"]["runs"].as_u64().unwrap();
    assert!(runs > 0 && runs < 1_000_000_000, "{runs}");
    assert_eq!(
        prop(&r, "no double connection")["sample"],
        format!("not violated in {} sampled runs", {
            // thousands separators, as the report writes counts
            let s = runs.to_string();
            let mut o = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 {
                    o.push(',');
                }
                o.push(c);
            }
            o
        })
    );
}
