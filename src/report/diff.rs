//! `synack trace --diff`: the segment timeline with, after each step, only the fields
//! of the endpoints, their timers and the network that the step changed; the fields it
//! left alone are collapsed into a count. The first step shows the whole initial state.

use super::state_tree::{flatten, show};
use super::{timeline_with, Step};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What a state's fields are, for diffing: scalar fields by path, and the multisets
/// (segments in flight, armed timers) by name.
#[derive(Default)]
struct Fields {
    scalars: BTreeMap<String, String>,
    bags: BTreeMap<String, Vec<String>>,
}

/// An element of a list of records as one line: `from=client to=server age=1 ...`.
fn line_of(v: &Value) -> String {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, x)| format!("{k}={}", show(x)))
            .collect::<Vec<_>>()
            .join(" "),
        other => show(other),
    }
}

fn fields(vars: &[(String, Value)]) -> Fields {
    let mut f = Fields::default();
    for (name, v) in vars {
        match (name.as_str(), v) {
            ("timers", Value::Object(m)) => {
                for (role, armed) in m {
                    let items = armed
                        .as_array()
                        .map_or(Vec::new(), |a| a.iter().map(line_of).collect::<Vec<_>>());
                    f.bags.insert(format!("{role}.timers"), items);
                }
            }
            ("network", Value::Object(m)) => {
                for (k, x) in m {
                    match x {
                        Value::Array(a) => {
                            f.bags
                                .insert(format!("network.{k}"), a.iter().map(line_of).collect());
                        }
                        _ => {
                            f.scalars.insert(format!("network.{k}"), show(x));
                        }
                    }
                }
            }
            _ => {
                let mut flat = Vec::new();
                flatten(name, v, &mut flat);
                f.scalars.extend(flat);
            }
        }
    }
    f
}

/// `a` minus `b` as multisets.
fn minus<'a>(a: &'a [String], b: &[String]) -> Vec<&'a String> {
    let mut left: Vec<&String> = b.iter().collect();
    let mut out = Vec::new();
    for x in a {
        match left.iter().position(|y| *y == x) {
            Some(i) => {
                left.swap_remove(i);
            }
            None => out.push(x),
        }
    }
    out
}

/// The elements of a list of scalars as [`flatten`] writes it: `[0, 1, 0]`.
fn list_items(s: &str) -> Option<Vec<&str>> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    Some(inner.split(", ").collect())
}

const PAD: &str = "             ";

/// The lines that say how `next` differs from `prev` (everything, without `prev`).
fn changes(prev: Option<&Fields>, next: &Fields) -> String {
    let mut o = String::new();
    let Some(prev) = prev else {
        let _ = writeln!(o, "{PAD}state:");
        for (k, v) in &next.scalars {
            let _ = writeln!(o, "{PAD}  {k} = {v}");
        }
        for (k, items) in &next.bags {
            if items.is_empty() {
                let _ = writeln!(o, "{PAD}  {k}: none");
            }
            for x in items {
                let _ = writeln!(o, "{PAD}  {k}: {x}");
            }
        }
        return o;
    };
    let mut same = 0usize;
    for (k, v) in &next.scalars {
        match prev.scalars.get(k) {
            Some(p) if p == v => same += 1,
            Some(p) => match (list_items(p), list_items(v)) {
                // Lists of equal length: only the elements that changed.
                (Some(a), Some(b)) if a.len() == b.len() && a.len() > 1 => {
                    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                        if x != y {
                            let _ = writeln!(o, "{PAD}  {k}[{i}]: {x} → {y}");
                        }
                    }
                }
                _ => {
                    let _ = writeln!(o, "{PAD}  {k}: {p} → {v}");
                }
            },
            None => {
                let _ = writeln!(o, "{PAD}  {k}: (new) {v}");
            }
        }
    }
    for k in prev
        .scalars
        .keys()
        .filter(|k| !next.scalars.contains_key(*k))
    {
        let _ = writeln!(o, "{PAD}  {k}: (gone)");
    }
    let empty = Vec::new();
    for (k, items) in &next.bags {
        let before = prev.bags.get(k).unwrap_or(&empty);
        let gone = minus(before, items);
        let new = minus(items, before);
        if gone.is_empty() && new.is_empty() {
            same += items.len().max(1);
        }
        for x in gone {
            let _ = writeln!(o, "{PAD}  {k} − {x}");
        }
        for x in new {
            let _ = writeln!(o, "{PAD}  {k} + {x}");
        }
    }
    let _ = writeln!(o, "{PAD}  ({same} fields unchanged)");
    o
}

/// The timeline of `steps` with the state diff after each step; `states[i]` is the
/// state after step `i`, as named variables.
pub fn timeline_diff(
    title: &str,
    steps: &[Step],
    loop_start: Option<usize>,
    states: &[Vec<(String, Value)>],
) -> String {
    let all: Vec<Fields> = states.iter().map(|s| fields(s)).collect();
    timeline_with(title, steps, loop_start, |i| match all.get(i) {
        Some(f) => changes(i.checked_sub(1).and_then(|p| all.get(p)), f),
        None => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(phase: &str, flight: Value) -> Vec<(String, Value)> {
        vec![
            ("client".into(), json!({"tcb": {"state": phase, "iss": 0}})),
            ("timers".into(), json!({"client": []})),
            (
                "network".into(),
                json!({"in_flight": flight, "lost": 0, "duplicated": 0}),
            ),
        ]
    }

    #[test]
    fn only_what_changed_is_shown() {
        let a = fields(&state("SynSent", json!([{"msg": "SYN", "age": 0}])));
        let b = fields(&state("Established", json!([{"msg": "ACK", "age": 0}])));
        let text = changes(Some(&a), &b);
        assert!(
            text.contains("client.tcb.state: SynSent → Established"),
            "{text}"
        );
        assert!(text.contains("network.in_flight − age=0 msg=SYN"), "{text}");
        assert!(text.contains("network.in_flight + age=0 msg=ACK"), "{text}");
        assert!(!text.contains("iss"), "{text}");
        let c = fields(&[("c".into(), json!({"by_isn": [0, 0, 0]}))]);
        let d = fields(&[("c".into(), json!({"by_isn": [0, 1, 0]}))]);
        assert_eq!(
            changes(Some(&c), &d),
            format!("{PAD}  c.by_isn[1]: 0 → 1\n{PAD}  (0 fields unchanged)\n")
        );
        // iss, lost, duplicated, and the client's (empty) timers.
        assert!(text.contains("(4 fields unchanged)"), "{text}");
        let first = changes(None, &a);
        assert!(first.contains("client.tcb.iss = 0"), "{first}");
    }
}
