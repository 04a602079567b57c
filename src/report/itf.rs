//! `synack trace --format itf`: a trace in the Informal Trace Format of Apalache
//! (ADR-015, <https://apalache-mc.org/docs/adr/015adr-trace.html>), so that ITF
//! viewers and test drivers (modelator, Quint's tooling) can read it.
//!
//! The variables are the actors (by role), `timers` and `network`; each state's
//! `#meta` carries its index and the step that led to it. ITF has no null: an absent
//! value (`None`) is written `{"#unserializable": "None"}`. A lasso names the state
//! its loop returns to in the top-level `loop`.

use super::Step;
use serde_json::{json, Map, Value};

/// Integers beyond ±(2^53 − 1) are `{"#bigint": "…"}` in ITF.
const SAFE: i64 = (1 << 53) - 1;

/// A value of a state tree as an ITF value.
fn itf_value(v: &Value) -> Value {
    match v {
        Value::Null => json!({"#unserializable": "None"}),
        Value::Number(n) => match n.as_i64() {
            Some(i) if (-SAFE..=SAFE).contains(&i) => Value::from(i),
            _ => json!({"#bigint": n.to_string()}),
        },
        Value::Array(a) => Value::Array(a.iter().map(itf_value).collect()),
        Value::Object(m) => {
            let mut r = Map::new();
            for (k, x) in m {
                // A record's field names must not look like ITF's own `#…` keys.
                let key = if k.starts_with('#') {
                    format!("_{k}")
                } else {
                    k.clone()
                };
                r.insert(key, itf_value(x));
            }
            Value::Object(r)
        }
        other => other.clone(),
    }
}

/// The ITF document of a trace: `states[i]` is the state after `steps[i]`.
pub fn itf(
    scenario: &str,
    property: &str,
    verdict: &str,
    steps: &[Step],
    loop_start: Option<usize>,
    states: &[Vec<(String, Value)>],
) -> Value {
    let vars: Vec<String> = states
        .first()
        .map(|s| s.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let list: Vec<Value> = states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut o = Map::new();
            let step = steps.get(i);
            o.insert(
                "#meta".into(),
                json!({
                    "index": i,
                    "action": step.map(|s| s.action.as_str()),
                    "summary": step.map(|s| s.summary.as_str()),
                }),
            );
            for (n, v) in s {
                o.insert(n.clone(), itf_value(v));
            }
            Value::Object(o)
        })
        .collect();
    let mut doc = Map::new();
    doc.insert(
        "#meta".into(),
        json!({
            "format": "ITF",
            "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": format!("synack trace {scenario} '{property}'"),
            "description": format!("{scenario} / {property}: {verdict}"),
        }),
    );
    doc.insert("vars".into(), json!(vars));
    doc.insert("states".into(), Value::Array(list));
    if let Some(k) = loop_start {
        doc.insert("loop".into(), json!(k));
    }
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_big_numbers_are_written_the_itf_way() {
        assert_eq!(
            itf_value(&json!({"a": null, "b": [1, 9007199254740993u64], "#x": true})),
            json!({"a": {"#unserializable": "None"},
                   "b": [1, {"#bigint": "9007199254740993"}], "_#x": true})
        );
    }
}
