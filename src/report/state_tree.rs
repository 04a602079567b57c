//! A model state as a tree of values, read from its pretty `Debug` form (`{:#?}`), for
//! trace diffs and the Informal Trace Format. Every state type of the models derives
//! or writes `Debug`, so no actor needs code of its own.
//!
//! Structs become JSON objects (their type names dropped), lists and tuples of several
//! fields become arrays, a tuple of one field (`Some(x)`, `Browser(b)`) becomes that
//! field, `None` becomes null, integers and booleans become JSON numbers and booleans,
//! anything else (enum variants, custom `Debug` such as `SYN,ACK seq=0`) a string.

use crate::wire::{WireActor, WireState};
use serde_json::{Map, Value};
use std::fmt::Debug;

/// The value of `x` as a tree.
pub fn tree<T: Debug + ?Sized>(x: &T) -> Value {
    let text = format!("{x:#?}");
    let mut lines = text.lines().map(str::trim);
    let Some(first) = lines.next() else {
        return Value::Null;
    };
    open_or_leaf(first, &mut lines)
}

/// A value that starts on `line` (after any `name: ` prefix was removed).
fn open_or_leaf<'a>(line: &'a str, rest: &mut impl Iterator<Item = &'a str>) -> Value {
    let line = line.trim_end_matches(',');
    if line.ends_with(" {") || line == "{" {
        return object(rest);
    }
    if line.ends_with('[') {
        return Value::Array(items(rest));
    }
    if line.ends_with('(') {
        let mut v = items(rest);
        return if v.len() == 1 {
            v.remove(0)
        } else {
            Value::Array(v)
        };
    }
    leaf(line)
}

/// The fields of a struct or map, up to its closing brace.
fn object<'a>(rest: &mut impl Iterator<Item = &'a str>) -> Value {
    let mut m = Map::new();
    while let Some(line) = rest.next() {
        if line.starts_with('}') {
            break;
        }
        match line.split_once(": ") {
            Some((k, v)) => {
                let key = k.trim_matches('"').to_string();
                let val = open_or_leaf(v, rest);
                m.insert(key, val);
            }
            None => {
                // A `..` of a non-exhaustive Debug, or an odd line: keep it as a key.
                m.insert(line.trim_end_matches(',').to_string(), Value::Null);
            }
        }
    }
    Value::Object(m)
}

/// The elements of a list or tuple, up to its closing bracket or parenthesis.
fn items<'a>(rest: &mut impl Iterator<Item = &'a str>) -> Vec<Value> {
    let mut v = Vec::new();
    while let Some(line) = rest.next() {
        if line.starts_with(']') || line.starts_with(')') {
            break;
        }
        v.push(open_or_leaf(line, rest));
    }
    v
}

fn leaf(s: &str) -> Value {
    match s {
        "None" => return Value::Null,
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "[]" => return Value::Array(Vec::new()),
        _ => {}
    }
    if let Ok(n) = s.parse::<i64>() {
        return Value::from(n);
    }
    if let Some(inner) = s.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Value::String(inner.replace("\\\"", "\""));
    }
    Value::String(s.to_string())
}

/// A whole wire state as named variables: one per actor (by role), its armed timers,
/// and the network (segments in flight, losses and copies so far).
pub fn wire_state<A>(
    roles: &[String],
    s: &WireState<A::State, A::Msg, A::Timer, A::Random>,
) -> Vec<(String, Value)>
where
    A: WireActor,
    A::State: Debug,
    A::Msg: Debug,
    A::Timer: Debug,
    A::Random: Debug,
{
    let role = |i: usize| roles.get(i).cloned().unwrap_or_else(|| format!("actor{i}"));
    let mut vars = Vec::new();
    for (i, a) in s.actors.iter().enumerate() {
        vars.push((role(i), tree(a)));
    }
    let mut timers = Map::new();
    for i in 0..s.actors.len() {
        let armed: Vec<Value> = s
            .timers
            .of(i as u8)
            .map(|a| {
                serde_json::json!({
                    "timer": tree(&a.timer),
                    "may_fire_in": a.lo,
                    "due_in": if a.hi == crate::wire::NO_DEADLINE { Value::Null } else { Value::from(a.hi) },
                })
            })
            .collect();
        timers.insert(role(i), Value::Array(armed));
    }
    vars.push(("timers".into(), Value::Object(timers)));
    let flight: Vec<Value> = s
        .flight
        .iter()
        .map(|f| {
            serde_json::json!({
                "from": role(f.src as usize),
                "to": role(f.dst as usize),
                "age": f.age,
                "copy": f.delivered,
                "msg": format!("{:?}", f.msg),
            })
        })
        .collect();
    vars.push((
        "network".into(),
        serde_json::json!({
            "in_flight": flight,
            "lost": s.lost,
            "duplicated": s.duplicated,
        }),
    ));
    vars
}

/// The leaves of a tree as `path = value` pairs: `tcb.state`, `in_flight[0].age`.
pub fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                flatten(&format!("{prefix}.{k}"), x, out);
            }
        }
        Value::Array(a) if !a.is_empty() && a.iter().any(|x| x.is_object() || x.is_array()) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(show).collect();
            out.push((prefix.to_string(), format!("[{}]", items.join(", "))));
        }
        _ => out.push((prefix.to_string(), show(v))),
    }
}

/// A leaf as text: strings without quotes.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug)]
    #[allow(dead_code)]
    enum Phase {
        SynSent,
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Tcb {
        state: Phase,
        iss: Option<u8>,
        acked: bool,
        bytes: Vec<u8>,
        pair: (u8, &'static str),
        name: &'static str,
    }

    #[test]
    fn a_struct_reads_as_an_object_of_leaves() {
        let t = Tcb {
            state: Phase::SynSent,
            iss: Some(3),
            acked: false,
            bytes: vec![],
            pair: (1, "a"),
            name: "x: y",
        };
        assert_eq!(
            tree(&t),
            json!({"state": "SynSent", "iss": 3, "acked": false, "bytes": [],
                   "pair": [1, "a"], "name": "x: y"})
        );
        let mut flat = Vec::new();
        flatten("client", &tree(&t), &mut flat);
        assert!(flat.contains(&("client.state".into(), "SynSent".into())));
        assert!(flat.contains(&("client.pair".into(), "[1, a]".into())));
        assert_eq!(tree(&None::<u8>), Value::Null);
        assert_eq!(tree(&vec![Some(1u8), None]), json!([1, null]));
    }
}
