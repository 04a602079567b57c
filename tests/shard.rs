//! Work split across processes: `check --shard I/N`, `simulate --shard I/N`, `synack
//! merge`, and the README's GNU parallel command. A catalogue of three small scenarios
//! (copied from models/ into a directory of its own) keeps every run under a second.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_synack");

fn synack(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run synack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

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
    let list = ["check", "dns-late-reply", "http-no-host", "tcp-listen-late", "--json"];
    let mut a = list.to_vec();
    a.extend(["--shard", "0/2"]);
    let (code, out, err) = synack(&a);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["scenario"].as_str().unwrap()).collect();
    assert_eq!(names, ["dns-late-reply", "tcp-listen-late"]);
    assert_eq!(v[1]["shard"], serde_json::json!({"index": 0, "count": 2, "position": 2, "scenarios": 3}));
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
        assert!(err.contains(&format!("shard {i}: no scenario to check")), "{err}");
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
    let base = ["simulate", "tcp-listen-late", "--runs", "301", "--depth", "40", "--seed", "4", "--json"];
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
    let runs: Vec<u64> = parts.iter().map(|p| p["simulation"]["runs"].as_u64().unwrap()).collect();
    assert_eq!(runs, [101, 100, 100]);
    let states: u64 = parts.iter().map(|p| p["states"].as_u64().unwrap()).sum();
    assert_eq!(states, whole["states"].as_u64().unwrap());
    for (k, p) in whole["properties"].as_array().unwrap().iter().enumerate() {
        let found: u64 = parts.iter().map(|q| q["properties"][k]["found_in_runs"].as_u64().unwrap_or(0)).sum();
        assert_eq!(found, p["found_in_runs"].as_u64().unwrap_or(0), "{}", p["name"]);
        // The first finding in run order is in the shard that walked that run.
        if let Some(run) = p["first_run"].as_u64() {
            let q = &parts[(run % 3) as usize]["properties"][k];
            assert_eq!(q["first_run"].as_u64(), Some(run));
            assert_eq!(q["trace"], p["trace"]);
        }
    }
}
