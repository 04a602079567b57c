//! Work split across processes: `check --shard I/N`, `simulate --shard I/N`, `synack
//! merge`, and the README's GNU parallel command. A catalogue of three small scenarios
//! (copied from models/ into a directory of its own) keeps every run under a second.

#[path = "common/run.rs"]
mod run;

use run::synack;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_synack");

/// A directory of its own under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("synack-shard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The small scenarios the tests shard, in catalogue (file name) order.
const SMALL: [&str; 3] = ["dns-late-reply", "http-no-host", "tcp-listen-late"];

/// A catalogue directory holding copies of [`SMALL`].
fn small_catalogue(name: &str) -> PathBuf {
    let d = scratch(name);
    let models = d.join("models");
    std::fs::create_dir_all(&models).unwrap();
    for s in SMALL {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/{s}.toml"));
        std::fs::copy(from, models.join(format!("{s}.toml"))).unwrap();
    }
    d
}

/// Reports as a list, whether the JSON is one object or an array.
fn reports(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        o => vec![o.clone()],
    }
}

/// (scenario, [(property, verdict)]) of each report.
fn verdicts(v: &Value) -> Vec<(String, Vec<(String, String)>)> {
    reports(v)
        .iter()
        .map(|r| {
            let ps = r["properties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["verdict"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            (r["scenario"].as_str().unwrap().to_string(), ps)
        })
        .collect()
}

#[test]
fn check_shards_take_the_scenarios_at_their_positions() {
    let list = [
        "check",
        "dns-late-reply",
        "http-no-host",
        "tcp-listen-late",
        "--json",
    ];
    let mut a = list.to_vec();
    a.extend(["--shard", "0/2"]);
    let (code, out, err) = synack(&a);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dns-late-reply", "tcp-listen-late"]);
    assert_eq!(
        v[1]["shard"],
        serde_json::json!({"index": 0, "count": 2, "position": 2, "scenarios": 3})
    );
    let mut a = list.to_vec();
    a.extend(["--shard", "1/2"]);
    let (code, out, _) = synack(&a);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["scenario"], "http-no-host");
    assert_eq!(v["shard"]["position"], 1);
    // Unsharded reports carry no shard.
    let (_, out, _) = synack(&["check", "http-no-host", "--json"]);
    assert!(!out.contains("\"shard\""), "{out}");
}

#[test]
fn a_single_scenario_is_checked_by_shard_0_and_skipped_by_the_others() {
    let (code, out, err) = synack(&["check", "http-no-host", "--shard", "0/3", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["scenario"], "http-no-host");
    for i in ["1/3", "2/3"] {
        let (code, out, err) = synack(&["check", "http-no-host", "--shard", i, "--json"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.trim(), "[]");
        assert!(
            err.contains(&format!("shard {i}: no scenario to check")),
            "{err}"
        );
        let (code, out, err) = synack(&["check", "http-no-host", "--shard", i]);
        assert_eq!((code, out.as_str()), (0, ""), "{err}");
    }
}

#[test]
fn a_bad_shard_is_an_error() {
    for s in ["2/2", "0/0", "3", "x/2", "1/-2", ""] {
        for cmd in ["check", "simulate"] {
            let (code, _, err) = synack(&[cmd, "http-no-host", "--shard", s]);
            assert_eq!(code, 2, "{cmd} --shard {s}: {err}");
            assert!(err.starts_with("error:"), "{err}");
        }
    }
}

#[test]
fn simulate_shards_walk_their_runs_and_the_union_is_the_whole() {
    let base = [
        "simulate",
        "tcp-listen-late",
        "--runs",
        "301",
        "--depth",
        "40",
        "--seed",
        "4",
        "--json",
    ];
    let (_, out, _) = synack(&base);
    let whole: Value = serde_json::from_str(&out).unwrap();
    let parts: Vec<Value> = ["0/3", "1/3", "2/3"]
        .iter()
        .map(|s| {
            let mut a = base.to_vec();
            a.extend(["--shard", s]);
            serde_json::from_str(&synack(&a).1).unwrap()
        })
        .collect();
    let runs: Vec<u64> = parts
        .iter()
        .map(|p| p["simulation"]["runs"].as_u64().unwrap())
        .collect();
    assert_eq!(runs, [101, 100, 100]);
    let states: u64 = parts.iter().map(|p| p["states"].as_u64().unwrap()).sum();
    assert_eq!(states, whole["states"].as_u64().unwrap());
    for (k, p) in whole["properties"].as_array().unwrap().iter().enumerate() {
        let found: u64 = parts
            .iter()
            .map(|q| q["properties"][k]["found_in_runs"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(
            found,
            p["found_in_runs"].as_u64().unwrap_or(0),
            "{}",
            p["name"]
        );
        // The first finding in run order is in the shard that walked that run.
        if let Some(run) = p["first_run"].as_u64() {
            let q = &parts[(run % 3) as usize]["properties"][k];
            assert_eq!(q["first_run"].as_u64(), Some(run));
            assert_eq!(q["trace"], p["trace"]);
        }
    }
}

/// Runs synack in `dir` with `--models dir/models`.
fn synack_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let models = dir.join("models");
    let mut all = vec!["--models", models.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = Command::new(BIN)
        .args(&all)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A report list without timings.
fn untimed(v: &Value) -> Vec<Value> {
    reports(v)
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().unwrap().remove("seconds");
            r
        })
        .collect()
}

#[test]
fn merged_check_shards_are_the_unsharded_report() {
    let d = small_catalogue("merge-check");
    let (code, whole, _) = synack_in(&d, &["check", "--all", "--json"]);
    assert_eq!(code, 0);
    let mut files = Vec::new();
    // Three shards of three scenarios, written to one file in reverse order.
    let mut text = String::new();
    for i in ["2/3", "1/3", "0/3"] {
        let (code, out, err) = synack_in(&d, &["check", "--all", "--shard", i, "--json"]);
        assert_eq!(code, 0, "{err}");
        text.push_str(&out);
    }
    let f = d.join("shards.json");
    std::fs::write(&f, &text).unwrap();
    files.push(f.to_str().unwrap().to_string());
    let (code, merged, err) = synack_in(&d, &["merge", "--json", &files[0]]);
    assert_eq!(code, 0, "{err}");
    let whole: Value = serde_json::from_str(&whole).unwrap();
    let merged: Value = serde_json::from_str(&merged).unwrap();
    assert_eq!(untimed(&merged), untimed(&whole));
    // The text report is check's.
    let (code, out, _) = synack_in(&d, &["merge", &files[0]]);
    assert_eq!(code, 0);
    assert!(out.starts_with("dns-late-reply: complete,"), "{out}");
    assert!(out.contains("tcp-listen-late: complete,"), "{out}");
}

#[test]
fn merge_exits_as_check_would_for_the_merged_verdicts() {
    let d = small_catalogue("merge-exit");
    // One expectation made wrong: its shard exits 1, and so does the merge.
    let f = d.join("models/tcp-listen-late.toml");
    let src = std::fs::read_to_string(&f).unwrap();
    let wrong = src.replace(
        "\"no double connection\" = \"holds\"",
        "\"no double connection\" = \"violated\"",
    );
    assert_ne!(wrong, src);
    std::fs::write(&f, wrong).unwrap();
    let mut names = Vec::new();
    for (i, want) in [("0/2", 1), ("1/2", 0)] {
        let (code, out, _) = synack_in(&d, &["check", "--all", "--shard", i, "--json"]);
        assert_eq!(code, want, "{i}");
        let name = d.join(format!("shard-{}.json", &i[..1]));
        std::fs::write(&name, out).unwrap();
        names.push(name.to_str().unwrap().to_string());
    }
    let (code, out, _) = synack_in(&d, &["merge", &names[0], &names[1]]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("UNEXPECTED holds      always      no double connection (expected violated)"),
        "{out}"
    );
    // A run cut short (exit 3 for check) is exit 3 merged too.
    let (code, out, _) = synack_in(
        &d,
        &["check", "dns-late-reply", "--max-states", "100", "--json"],
    );
    assert_eq!(code, 3);
    let cut = d.join("cut.json");
    std::fs::write(&cut, out).unwrap();
    let (code, _, _) = synack_in(&d, &["merge", cut.to_str().unwrap()]);
    assert_eq!(code, 3);
}

#[test]
fn merged_simulate_shards_are_the_unsharded_sample() {
    let d = small_catalogue("merge-simulate");
    let base = [
        "simulate",
        "tcp-listen-late",
        "dns-late-reply",
        "--runs",
        "250",
        "--depth",
        "50",
        "--seed",
        "12",
        "--json",
    ];
    let (code, whole, _) = synack_in(&d, &base);
    assert_eq!(code, 0);
    let mut files = Vec::new();
    for i in ["0/4", "1/4", "2/4", "3/4"] {
        let mut a = base.to_vec();
        a.extend(["--shard", i]);
        let (code, out, err) = synack_in(&d, &a);
        assert_eq!(code, 0, "{err}");
        let f = d.join(format!("sim-{}.json", &i[..1]));
        std::fs::write(&f, out).unwrap();
        files.push(f.to_str().unwrap().to_string());
    }
    let mut a = vec!["merge", "--json"];
    a.extend(files.iter().map(String::as_str));
    let (code, merged, err) = synack_in(&d, &a);
    assert_eq!(code, 0, "{err}");
    let strip = |v: &Value| -> Vec<Value> {
        untimed(v)
            .into_iter()
            .map(|mut r| {
                // Shards count the states they visited; one seen by two counts twice.
                r.as_object_mut().unwrap().remove("unique_states");
                r
            })
            .collect()
    };
    let whole: Value = serde_json::from_str(&whole).unwrap();
    let merged: Value = serde_json::from_str(&merged).unwrap();
    assert_eq!(strip(&merged), strip(&whole));
    assert_eq!(merged[0]["simulation"]["runs"], 250);
    // Without one shard the sample is not whole: an error.
    let (code, _, err) = synack_in(&d, &["merge", &files[0], &files[1], &files[3]]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: tcp-listen-late: no report of shard 2/4"),
        "{err}"
    );
    // Shards of another seed are another sample.
    let mut a = base.to_vec();
    a[8] = "13";
    a.extend(["--shard", "2/4"]);
    let other = d.join("other.json");
    std::fs::write(&other, synack_in(&d, &a).1).unwrap();
    let (code, _, err) = synack_in(
        &d,
        &[
            "merge",
            &files[0],
            &files[1],
            other.to_str().unwrap(),
            &files[3],
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("shards of different samples"), "{err}");
}

#[test]
fn conflicting_or_malformed_reports_are_errors() {
    let d = small_catalogue("merge-bad");
    let (_, out, _) = synack_in(&d, &["check", "http-no-host", "--json"]);
    let a = d.join("a.json");
    std::fs::write(&a, &out).unwrap();
    // The same report twice is one report.
    let (code, twice, _) = synack_in(
        &d,
        &["merge", "--json", a.to_str().unwrap(), a.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert_eq!(reports(&serde_json::from_str(&twice).unwrap()).len(), 1);
    // The same scenario with another verdict is a conflict.
    let b = d.join("b.json");
    std::fs::write(
        &b,
        out.replacen("\"verdict\": \"found\"", "\"verdict\": \"not found\"", 1),
    )
    .unwrap();
    let (code, _, err) = synack_in(&d, &["merge", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: conflicting reports for http-no-host in "),
        "{err}"
    );
    assert!(
        err.contains(
            "caused by: `shows 400 Bad Request` is found in one and not found in the other"
        ),
        "{err}"
    );
    let bad = d.join("bad.json");
    for (text, says) in [
        ("{\"scenario\": 1}", "is not a report"),
        ("[{", "is not JSON"),
        ("", "no reports to merge"),
    ] {
        std::fs::write(&bad, text).unwrap();
        let (code, _, err) = synack_in(&d, &["merge", bad.to_str().unwrap()]);
        assert_eq!(code, 2, "{text}");
        assert!(
            err.starts_with("error:") && err.contains(says),
            "{text}: {err}"
        );
    }
    let (code, _, err) = synack_in(&d, &["merge", "no-such-file.json"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read no-such-file.json"),
        "{err}"
    );
    let (code, _, err) = synack_in(&d, &["merge"]);
    assert_eq!(code, 2, "{err}");
}

/// GNU parallel, which `.ci/test` installs (Debian package `parallel`).
fn gnu_parallel() -> &'static str {
    let ok = Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("GNU parallel"));
    assert!(
        ok,
        "GNU parallel is missing: install it with `apt-get install parallel` (bash .ci/test does)"
    );
    "parallel"
}

#[test]
fn the_readme_s_gnu_parallel_command_gives_the_unsharded_verdicts() {
    let d = small_catalogue("parallel");
    let models = d.join("models");
    // The README's command: `parallel synack check --all --shard {}/2 --json ::: 0 1 > shards.json`.
    let out = Command::new(gnu_parallel())
        .args([BIN, "--models", models.to_str().unwrap()])
        .args([
            "check", "--all", "--shard", "{}/2", "--json", ":::", "0", "1",
        ])
        .current_dir(&d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shards = d.join("shards.json");
    std::fs::write(&shards, &out.stdout).unwrap();
    let (code, merged, err) = synack_in(&d, &["merge", "--json", shards.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, whole, _) = synack_in(&d, &["check", "--all", "--json"]);
    assert_eq!(code, 0);
    let merged: Value = serde_json::from_str(&merged).unwrap();
    let whole: Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(verdicts(&merged), verdicts(&whole));
    assert_eq!(
        verdicts(&whole)
            .iter()
            .map(|(s, _)| s.as_str())
            .collect::<Vec<_>>(),
        SMALL
    );
    assert_eq!(untimed(&merged), untimed(&whole));

    // And a sample in 2 shards, piped into `synack merge -`.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "parallel {BIN} --models models simulate tcp-listen-late --runs 200 --depth 40 --shard {{}}/2 --json ::: 0 1 | {BIN} --models models merge --json -"
        ))
        .current_dir(&d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_, whole, _) = synack_in(
        &d,
        &[
            "simulate",
            "tcp-listen-late",
            "--runs",
            "200",
            "--depth",
            "40",
            "--json",
        ],
    );
    let whole: Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(verdicts(&merged), verdicts(&whole));
    assert_eq!(merged["states"], whole["states"]);
    assert_eq!(merged["simulation"]["runs"], 200);
}
