//! What model-checker users ask for (issue #15): per-action coverage, trace diffs, the
//! Informal Trace Format, and a progress line that only a terminal sees.

#[path = "common/run.rs"]
mod run;

use run::synack;

use serde_json::Value;
use std::process::Command;

fn json(args: &[&str]) -> Value {
    let (code, out, err) = synack(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).expect("json")
}

/// The report without its timing, which differs from run to run.
fn untimed(mut v: Value) -> Value {
    v.as_object_mut().expect("object").remove("seconds");
    v
}

#[test]
fn coverage_counts_every_transition_once_and_flags_kinds_never_taken() {
    let plain = json(&["check", "tcp-delayed-ack", "--json"]);
    assert!(plain.get("coverage").is_none(), "no coverage unless asked");
    let mut v = json(&["check", "tcp-delayed-ack", "--json", "--coverage"]);
    let rows = v["coverage"].as_array().expect("a coverage table").clone();
    let sum = |k: &str| rows.iter().map(|r| r[k].as_u64().unwrap()).sum::<u64>();
    // Every generated successor is one transition of one kind; every state but the
    // initial one was first reached by one of them.
    assert_eq!(sum("transitions"), v["states"].as_u64().unwrap());
    assert_eq!(sum("new_states"), v["unique_states"].as_u64().unwrap() - 1);
    for r in &rows {
        let never = r["never_taken"].as_bool().unwrap();
        assert_eq!(never, r["transitions"] == 0, "{r}");
        assert_eq!(never, r["first_depth"].is_null(), "{r}");
        assert!(
            !r["action"].as_str().unwrap().contains("no declared kind"),
            "every action is of a kind the model declares: {r}"
        );
    }
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["action"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
    };
    // Time passes from the first state the ISN choice leaves.
    assert_eq!(row("tick")["first_depth"], 1);
    assert_eq!(row("client chooses ISN")["first_depth"], 0);
    // The configuration enables delayed ACK, and the server's fires.
    assert!(
        row("server timer: delayed ACK")["transitions"]
            .as_u64()
            .unwrap()
            > 0
    );
    // Neither end opens simultaneously: the client's SYN handler is never run.
    assert_eq!(row("client receives SYN")["never_taken"], true);
    // The network of this scenario neither loses nor duplicates: no such rows.
    assert!(rows
        .iter()
        .all(|r| !r["action"].as_str().unwrap().starts_with("network")));
    // Apart from the table, the report is the same.
    v.as_object_mut().unwrap().remove("coverage");
    assert_eq!(untimed(v), untimed(plain));
}

#[test]
fn coverage_of_a_page_load_names_its_actors_and_the_text_flags_what_is_never_taken() {
    let (code, out, err) = synack(&["check", "http-status", "--coverage"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  coverage:\n"), "{out}");
    assert!(out.contains("resolver receives DNS query"), "{out}");
    assert!(out.contains("browser receives DNS reply"), "{out}");
    assert!(out.contains("NEVER TAKEN"), "{out}");
    assert!(out.contains("were never taken"), "{out}");
    assert!(!out.contains("no declared kind"), "{out}");
    // Without --coverage the text is the report alone, as before.
    let (_, plain, _) = synack(&["check", "http-status"]);
    let head = out.split("  coverage:\n").next().unwrap();
    let drop_time = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(drop_time(head), drop_time(&plain));
}

#[test]
fn without_a_terminal_stderr_has_no_progress_line() {
    // Output captured by a pipe: no progress line, no escape codes; only warnings.
    for args in [
        &["check", "tcp-delayed-ack"][..],
        &["check", "tcp-delayed-ack", "--json", "--coverage"],
    ] {
        let (code, _, err) = synack(args);
        assert_eq!(code, 0);
        assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
        assert!(err.lines().all(|l| l.starts_with("warning: ")), "{err}");
    }
}

/// `model`'s scenario file with its network buffer set to `capacity`, in a new file.
fn with_capacity(model: &str, from: u8, capacity: u8) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("synack-ux-{}-{model}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = std::fs::read_to_string(format!("models/{model}.toml")).expect("scenario");
    let old = format!("\ncapacity = {from}\n");
    assert!(text.contains(&old), "{model} has {old:?}");
    let file = dir.join(format!("{model}-capacity-{capacity}.toml"));
    std::fs::write(
        &file,
        text.replace(&old, &format!("\ncapacity = {capacity}\n")),
    )
    .expect("write");
    file
}

#[test]
fn a_liveness_verdict_says_when_a_full_buffer_cut_runs() {
    let name = "eventually rendered or error shown";
    let (code, out, err) = synack(&["check", "dns-late-reply", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let props = v["properties"].as_array().unwrap();
    let live = props.iter().find(|p| p["name"] == name).expect(name);
    assert_eq!(live["verdict"], "holds");
    let w = live["warnings"][0].as_str().expect("a warning");
    assert!(w.contains("refused") && w.contains("capacity 4"), "{w}");
    // Safety verdicts carry none.
    assert!(props
        .iter()
        .filter(|p| p["kind"] == "always")
        .all(|p| p.get("warnings").is_none()));
    assert_eq!(err, format!("warning: dns-late-reply / {name}: {w}\n"));
    // With room for every datagram no step is refused: the same verdict, no warning.
    let roomy = with_capacity("dns-late-reply", 4, 8);
    let (code, out, err) = synack(&["check", roomy.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
    let v: Value = serde_json::from_str(&out).expect("json");
    let live = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .cloned();
    assert_eq!(
        live.as_ref().map(|p| &p["verdict"]),
        Some(&Value::from("holds"))
    );
    assert!(live.is_some_and(|p| p.get("warnings").is_none()));
}

#[test]
fn an_implication_whose_antecedent_is_never_reached_holds_vacuously() {
    // The gateway's origin never fails and nothing is lost: the gateway never says 502
    // or 504, so "502/504 only when the origin failed" holds only vacuously.
    let name = "502/504 only when the origin failed";
    let (code, out, err) = synack(&["check", "http-gateway-routes", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let props = v["properties"].as_array().unwrap();
    let p = props.iter().find(|p| p["name"] == name).expect(name);
    assert_eq!(p["verdict"], "holds");
    let w =
        "holds vacuously: its antecedent (the gateway said 502 or 504) holds in no reachable state";
    assert_eq!(p["warnings"], serde_json::json!([w]));
    // The other implications' antecedents are reached: no warning.
    for other in props
        .iter()
        .filter(|q| q["kind"] == "always" && q["name"] != name)
    {
        assert!(other.get("warnings").is_none(), "{other}");
    }
    let line = format!("warning: http-gateway-routes / {name}: {w}\n");
    assert!(err.contains(&line), "{err}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/generated");
    bless_or_compare(&dir.join("warnings-http-gateway-routes.txt"), &line);
    // Where the origin fails, the gateway says 502 and 504: the same verdict, no warning.
    let (code, out, _) = synack(&["check", "http-gateway", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    let p = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .cloned()
        .expect(name);
    assert_eq!(p["verdict"], "holds");
    assert!(p.get("warnings").is_none(), "{p}");
}

#[test]
fn trace_diff_keeps_the_timeline_and_shows_only_what_changed() {
    let args = ["trace", "tcp-two-way-handshake", "no double connection"];
    let (code, plain, _) = synack(&args);
    assert_eq!(code, 0);
    let (code, diff, err) = synack(&[&args[..], &["--diff"]].concat());
    assert_eq!(code, 0, "{err}");
    // Every line of the plain timeline is there, in order.
    let mut rest = diff.lines();
    for line in plain.lines() {
        assert!(rest.any(|l| l == line), "missing {line:?} in\n{diff}");
    }
    // The first step lists the whole state, the next ones what they changed.
    assert!(
        diff.contains("               client.tcb.state = Closed\n"),
        "{diff}"
    );
    assert!(
        diff.contains("               client.tcb.state: Closed → SynSent\n"),
        "{diff}"
    );
    assert!(diff.contains("client.opens_by_isn[0]: 0 → 1"), "{diff}");
    assert!(diff.contains("network.in_flight + "), "{diff}");
    let unchanged = diff.matches("fields unchanged)").count();
    assert_eq!(
        unchanged,
        plain.lines().filter(|l| l.contains("  t=")).count() - 1
    );
    let (code, _, err) = synack(&[&args[..], &["--diff", "--format", "json"]].concat());
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --diff applies to --format text\n"),
        "{err}"
    );
}

/// Checks `v` against the value grammar of ITF (ADR-015): no null, integers within
/// ±(2^53 − 1) or `#bigint`, records whose keys do not start with `#` unless they are
/// one of ITF's own forms.
fn itf_value_ok(v: &Value) -> Result<(), String> {
    match v {
        Value::Null => Err("null is not an ITF value".into()),
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.unsigned_abs() < 1 << 53 => Ok(()),
            _ => Err(format!("{n}: not an ITF integer")),
        },
        Value::Bool(_) | Value::String(_) => Ok(()),
        Value::Array(a) => a.iter().try_for_each(itf_value_ok),
        Value::Object(m) => {
            if let Some(k) = m.keys().find(|k| k.starts_with('#')) {
                match (k.as_str(), m.len()) {
                    ("#bigint", 1) => m[k]
                        .as_str()
                        .filter(|s| s.parse::<i128>().is_ok())
                        .map(|_| ())
                        .ok_or("bad #bigint".into()),
                    ("#tup" | "#set", 1) => m[k]
                        .as_array()
                        .ok_or("#tup/#set need a list".to_string())?
                        .iter()
                        .try_for_each(itf_value_ok),
                    ("#unserializable", 1) => Ok(()),
                    _ => Err(format!("unexpected ITF key {k}")),
                }
            } else {
                m.values().try_for_each(itf_value_ok)
            }
        }
    }
}

fn itf_ok(doc: &Value, steps: usize) -> Result<(), String> {
    let top = doc.as_object().ok_or("not an object")?;
    for k in top.keys() {
        if !["#meta", "params", "vars", "states", "loop"].contains(&k.as_str()) {
            return Err(format!("unexpected top-level key {k}"));
        }
    }
    if !top["#meta"].is_object() {
        return Err("#meta is not an object".into());
    }
    let vars: Vec<&str> = top["vars"]
        .as_array()
        .ok_or("vars is not a list")?
        .iter()
        .map(|v| v.as_str().ok_or("a var is not a string"))
        .collect::<Result<_, _>>()?;
    let states = top["states"].as_array().ok_or("states is not a list")?;
    if states.len() != steps {
        return Err(format!("{} states for {steps} steps", states.len()));
    }
    for (i, s) in states.iter().enumerate() {
        let s = s.as_object().ok_or("a state is not an object")?;
        if s["#meta"]["index"] != i {
            return Err(format!("state {i}: #meta.index is {}", s["#meta"]["index"]));
        }
        let mut keys: Vec<&str> = s
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "#meta")
            .collect();
        keys.sort_unstable();
        let mut want = vars.clone();
        want.sort_unstable();
        if keys != want {
            return Err(format!("state {i} has {keys:?}, vars are {want:?}"));
        }
        for (k, v) in s.iter().filter(|(k, _)| *k != "#meta") {
            itf_value_ok(v).map_err(|e| format!("state {i}, {k}: {e}"))?;
        }
    }
    if let Some(l) = top.get("loop") {
        let l = l.as_u64().ok_or("loop is not an index")? as usize;
        if l >= states.len() {
            return Err("loop beyond the last state".into());
        }
        // A lasso's last state is the state its loop returns to.
        let (a, b) = (&states[l], &states[states.len() - 1]);
        let strip = |s: &Value| {
            let mut s = s.clone();
            s.as_object_mut().map(|m| m.remove("#meta"));
            s
        };
        if strip(a) != strip(b) {
            return Err("the loop does not return to its first state".into());
        }
    }
    Ok(())
}

#[test]
fn itf_traces_follow_the_informal_trace_format() {
    for (scenario, property, lasso) in [
        ("tcp-two-way-handshake", "no double connection", false),
        ("tcp-unbounded-syn-retry", "both sides reach CLOSED", true),
        ("http-status", "page rendered", false),
    ] {
        let steps = json(&["trace", scenario, property, "--format", "json"])["trace"]
            .as_array()
            .map_or(0, Vec::len);
        assert!(steps > 1, "{scenario}");
        let doc = json(&["trace", scenario, property, "--format", "itf"]);
        itf_ok(&doc, steps).unwrap_or_else(|e| panic!("{scenario}: {e}"));
        assert_eq!(doc.get("loop").is_some(), lasso, "{scenario}");
        assert_eq!(doc["#meta"]["format"], "ITF");
        let vars = doc["vars"].as_array().unwrap();
        assert!(vars.contains(&Value::from("network")) && vars.contains(&Value::from("timers")));
    }
    // The validator itself refuses what ITF does not allow.
    assert!(itf_value_ok(&serde_json::json!({"a": null})).is_err());
    assert!(itf_value_ok(&serde_json::json!({"#map": []})).is_err());
    assert!(itf_value_ok(&serde_json::json!(9_007_199_254_740_993u64)).is_err());
    assert!(itf_ok(&serde_json::json!({"vars": [], "states": [], "x": 1}), 0).is_err());
}

#[test]
fn on_a_terminal_a_long_run_shows_a_live_progress_line() {
    // `script` (util-linux) runs the check on a pseudo-terminal, as a user's shell.
    let out = Command::new("script")
        .args([
            "-qec",
            concat!(
                env!("CARGO_BIN_EXE_synack"),
                " check tcp-handshake --threads 1"
            ),
            "/dev/null",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("script (util-linux) runs a command on a pseudo-terminal");
    assert_eq!(out.status.code(), Some(0));
    let tty = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    // The engine reports about once a second; the run takes several.
    let line = tty
        .split("\r\x1b[2K")
        .find(|l| l.starts_with("tcp-handshake: ") && l.contains(" states/s, depth "))
        .unwrap_or_else(|| panic!("no progress line in {tty:?}"));
    assert!(line.contains(" resident, "), "{line}");
    // The line is erased before the report, which is the report (and the warnings)
    // that pipes get.
    let (_, piped, warned) = synack(&["check", "tcp-handshake", "--threads", "1"]);
    let report = tty.rsplit("\r\x1b[2K").next().unwrap();
    let untimed = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(untimed(report), untimed(&(piped + &warned)));
}

/// With `SYNACK_BLESS=1` writes `text` to `path`; otherwise fails unless the committed
/// file already holds exactly `text` (as tests/book.rs does for its generated files).
fn bless_or_compare(path: &std::path::Path, text: &str) {
    if std::env::var("SYNACK_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale; regenerate it with `SYNACK_BLESS=1 cargo test --release --test ux`, \
         then reread book/src/running.md against it.\n--- committed\n{committed}\n--- \
         generated\n{text}",
        path.display()
    );
}

#[test]
fn the_books_coverage_table_and_trace_diff_are_generated() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/generated");
    let (code, out, err) = synack(&["check", "tcp-handshake", "--coverage"]);
    assert_eq!(code, 0);
    let table = out.split_once("  coverage:\n").expect("a coverage table").1;
    bless_or_compare(&dir.join("coverage-tcp-handshake.txt"), table);
    assert!(err.starts_with("warning: "), "{err}");
    bless_or_compare(&dir.join("warnings-tcp-handshake.txt"), &err);
    let (code, out, _) = synack(&[
        "trace",
        "tcp-two-way-handshake",
        "no double connection",
        "--diff",
    ]);
    assert_eq!(code, 0);
    bless_or_compare(&dir.join("trace-diff-tcp-two-way-handshake.txt"), &out);
}

#[test]
fn trace_and_transitions_draw_svg_pictures() {
    // A payload with markup is drawn escaped: the Explorer inserts the SVG unescaped.
    let (code, out, err) = synack(&[
        "trace",
        "tcp-explorer-injection",
        "reaches CLOSE-WAIT",
        "--format",
        "svg",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("<svg") && out.trim_end().ends_with("</svg>"));
    assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"), "{out}");
    assert!(!out.contains("<img"), "{out}");
    // The TIME-WAIT re-ACK: both of the client's last ACKs are still in flight when
    // the run ends, and are drawn; the application's call is named.
    let (code, out, err) = synack(&[
        "trace",
        "tcp-teardown",
        "TIME-WAIT re-ACKs a retransmitted FIN",
        "--format",
        "svg",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.matches(">never delivered: ACK seq=2 ack=10 [inc 1]</text>")
            .count(),
        2,
        "{out}"
    );
    assert!(out.contains(">the application calls CLOSE</text>"), "{out}");
    assert!(!out.contains("SEND or CLOSE"), "{out}");
    // Figure 5's ranks: Note 2's move is blue (the notes), CLOSING's black.
    let (code, out, err) = synack(&["transitions", "tcp-simultaneous-close", "--format", "svg"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(">CLOSING</text>"), "{out}");
    assert!(out.contains("(Note 2)</text>"), "{out}");
    assert!(out.contains(r#"class="rfc""#) && out.contains(r#"class="fig""#));
    let (code, _, err) = synack(&[
        "trace",
        "tcp-teardown",
        "TIME-WAIT re-ACKs a retransmitted FIN",
        "--format",
        "svg",
        "--diff",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --diff applies to --format text\n"),
        "{err}"
    );
}
