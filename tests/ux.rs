//! What model-checker users ask for (issue #15): per-action coverage, trace diffs, the
//! Informal Trace Format, and a progress line that only a terminal sees.

use serde_json::Value;
use std::process::Command;

fn synack(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synack"))
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
    assert!(row("server timer: delayed ACK")["transitions"].as_u64().unwrap() > 0);
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
fn without_a_terminal_stderr_stays_empty() {
    // Output captured by a pipe: no progress line, no escape codes.
    let (code, _, err) = synack(&["check", "tcp-delayed-ack"]);
    assert_eq!(code, 0);
    assert_eq!(err, "");
    let (code, _, err) = synack(&["check", "tcp-delayed-ack", "--json", "--coverage"]);
    assert_eq!(code, 0);
    assert_eq!(err, "");
}
