//! The timed wire's sequence diagram, as the stateright Explorer shows it.
//!
//! One lifeline per actor, labelled with its role; every endpoint state change in the
//! RFC spelling on its lifeline; delivered segments as arrows from the step that sent
//! them to the step that delivered them, labelled tcpdump-style; lost segments as
//! arrows that end in a cross; deliveries of a kept copy marked as duplicates; segments
//! that outlive MSL marked where they die, at the tick that ends them; clock ticks as
//! time marks across the diagram.
//!
//! Every text written into the SVG is XML-escaped: segment payloads are user input
//! (see `models/tcp-explorer-injection.toml`), and the Explorer inserts the SVG into
//! its page as HTML.
//!
//! [`Explorable`] is the model the Explorer serves: the wire itself, with this diagram,
//! readable action names and a narrated outcome. It is a wrapper rather than methods
//! of `impl Model for Wire<A>` because that impl holds for every `A: WireActor`, and the
//! narration needs `A::Msg: Envelope`, `A::State: Lifeline`, `A::Timer: TimerName`:
//! bounds that impl cannot have without also constraining every other user of
//! `Wire<A>: Model`.

use super::model::{ActionOf, StateOf, Wire, WireAction, WireActor};
use crate::report::{narrate, Envelope, Lifeline, TimerName};
use stateright::{Model, Path, Property};
use std::fmt::{Debug, Write};

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by XML entities.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

/// A segment's label as the narration writes it (with its ghost incarnation).
fn label_of<M: Envelope>(msg: &M) -> String {
    let mut l = msg.label();
    if let Some(inc) = msg.incarnation() {
        l.push_str(&format!(" [inc {inc}]"));
    }
    l
}

/// A stateright path as narration steps: `(action that led here, state)`.
pub fn steps_of<S, A>(path: Path<S, A>) -> Vec<(Option<A>, S)> {
    let mut out = Vec::new();
    let mut led_here = None;
    for (s, a) in path.into_vec() {
        out.push((led_here.take(), s));
        led_here = a;
    }
    out
}

const GUTTER: i64 = 120;
const LANE: i64 = 360;
const TOP: i64 = 56;
const ROW: i64 = 40;

fn lane_x(i: usize) -> i64 {
    GUTTER + LANE / 2 + i as i64 * LANE
}

fn row_y(r: usize) -> i64 {
    TOP + 24 + r as i64 * ROW
}

/// A segment sent and not yet accounted for: where its arrow starts.
struct Pending {
    src: usize,
    dst: usize,
    label: String,
    row: usize,
    /// A copy was delivered and this one stays behind.
    copy: bool,
}

/// Takes the pending segment `(src, dst, label)`, preferring a kept copy when `copy`.
fn take(
    pending: &mut Vec<Pending>,
    src: usize,
    dst: usize,
    label: &str,
    copy: bool,
    keep: bool,
) -> Option<usize> {
    let same = |p: &Pending| p.src == src && p.dst == dst && p.label == label;
    let at = pending
        .iter()
        .position(|p| same(p) && p.copy == copy)
        .or_else(|| pending.iter().position(same))?;
    let row = pending[at].row;
    if keep {
        pending[at].copy = true;
    } else {
        pending.remove(at);
    }
    Some(row)
}

/// Text at `(x, y)` with a white halo, so that it stays readable over lines.
fn text(o: &mut String, x: i64, y: i64, anchor: &str, class: &str, s: &str) {
    let _ = writeln!(
        o,
        r#"<text x="{x}" y="{y}" text-anchor="{anchor}" class="{class}">{}</text>"#,
        escape(s)
    );
}

/// An arrow from `(x1, y1)` to `(x2, y2)`.
fn arrow(o: &mut String, (x1, y1): (i64, i64), (x2, y2): (i64, i64), class: &str, head: bool) {
    let marker = if head {
        r#" marker-end="url(#synack-head)""#
    } else {
        ""
    };
    let _ = writeln!(
        o,
        r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="{class}"{marker}/>"#
    );
}

/// A cross centred on `(x, y)`.
fn cross(o: &mut String, x: i64, y: i64, class: &str) {
    let _ = writeln!(
        o,
        r#"<path d="M{} {} L{} {} M{} {} L{} {}" class="{class}"/>"#,
        x - 6,
        y - 6,
        x + 6,
        y + 6,
        x - 6,
        y + 6,
        x + 6,
        y - 6
    );
}

/// A point `frac` of the way from `a` to `b`.
fn towards(a: (i64, i64), b: (i64, i64), frac: f64) -> (i64, i64) {
    (
        a.0 + ((b.0 - a.0) as f64 * frac) as i64,
        a.1 + ((b.1 - a.1) as f64 * frac) as i64,
    )
}

/// The sequence diagram of a path (`steps[0]` the initial state, see [`steps_of`]).
pub fn sequence_svg<A>(m: &Wire<A>, steps: &[(Option<ActionOf<A>>, StateOf<A>)]) -> String
where
    A: WireActor,
    A::Msg: Envelope,
    A::State: Lifeline,
    A::Timer: TimerName,
    A::Random: Debug,
{
    let narrated = narrate(m, steps);
    let n = steps
        .first()
        .map_or(m.roles.len(), |(_, s)| s.actors.len())
        .max(1);
    let role = |i: usize| m.role(i);
    let index_of = |r: &str| (0..n).find(|&i| role(i) == r);
    let width = GUTTER + n as i64 * LANE + 160;
    let rows = narrated.len().max(1);
    let height = row_y(rows) + 40;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" viewBox="0 0 {width} {height}" class="synack-diagram">"#
    );
    o.push_str(concat!(
        "<style>",
        ".synack-diagram text{font-family:monospace;font-size:12px;fill:#111;",
        "paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}",
        ".synack-diagram .role{font-size:14px;font-weight:bold}",
        ".synack-diagram .gutter{fill:#555}",
        ".synack-diagram .now{font-weight:bold;fill:#000}",
        ".synack-diagram .state{font-weight:bold;fill:#0b4f9c}",
        ".synack-diagram .note{font-style:italic;fill:#444}",
        ".synack-diagram .lost{fill:#b00020}",
        ".synack-diagram .dup{fill:#b35900}",
        ".synack-diagram .dead{fill:#666}",
        ".synack-diagram line,.synack-diagram path{stroke-width:1.5px;fill:none}",
        ".synack-diagram .life{stroke:#999;stroke-dasharray:2 3}",
        ".synack-diagram .seg{stroke:#111}",
        ".synack-diagram .seg-dup{stroke:#b35900;stroke-dasharray:6 3}",
        ".synack-diagram .seg-lost{stroke:#b00020}",
        ".synack-diagram .seg-dead{stroke:#666;stroke-dasharray:3 3}",
        ".synack-diagram .tick{stroke:#2a7d2a;stroke-dasharray:8 4}",
        ".synack-diagram .box{fill:#eef4fb;stroke:#0b4f9c}",
        ".synack-diagram .rowmark{fill:#fff7d6;stroke:none}",
        "</style>\n",
        r##"<defs><marker id="synack-head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" style="fill:#111;stroke:none"/></marker></defs>"##,
        "\n",
    ));
    let _ = writeln!(
        o,
        r##"<rect x="0" y="0" width="{width}" height="{height}" style="fill:#fff"/>"##
    );
    // The current (last) step, highlighted.
    let last = rows - 1;
    let _ = writeln!(
        o,
        r#"<rect x="0" y="{}" width="{width}" height="{ROW}" class="rowmark"/>"#,
        row_y(last) - ROW / 2 - 4
    );
    for i in 0..n {
        let x = lane_x(i);
        let _ = writeln!(
            o,
            r#"<rect x="{}" y="8" width="160" height="28" rx="4" class="box"/>"#,
            x - 80
        );
        text(&mut o, x, 27, "middle", "role", &role(i));
        arrow(&mut o, (x, 36), (x, height - 40), "life", false);
    }
    let state_box = |o: &mut String, i: usize, r: usize, name: &str| {
        let x = lane_x(i);
        let y = row_y(r);
        let w = 12 + 8 * name.chars().count() as i64;
        let _ = writeln!(
            o,
            r#"<rect x="{}" y="{}" width="{w}" height="18" rx="3" class="box"/>"#,
            x - w / 2,
            y + 2
        );
        text(o, x, y + 15, "middle", "state", name);
    };
    let mut pending: Vec<Pending> = Vec::new();
    for (r, (step, (action, _))) in narrated.iter().zip(steps).enumerate() {
        let y = row_y(r);
        let gclass = if r == last { "now" } else { "gutter" };
        text(
            &mut o,
            8,
            y + 4,
            "start",
            gclass,
            &format!("{r:>2}  t={}", step.time),
        );
        match action {
            None => {
                for (i, p) in step.phases.iter().enumerate() {
                    state_box(&mut o, i, r, p);
                }
            }
            Some(WireAction::Tick) => {
                arrow(&mut o, (GUTTER - 8, y), (width - 10, y), "tick", false);
                text(
                    &mut o,
                    GUTTER - 4,
                    y - 4,
                    "start",
                    "note",
                    &format!("tick: t={}", step.time),
                );
                for (k, (from, to, label)) in step.expired.iter().enumerate() {
                    let (Some(s), Some(d)) = (index_of(from), index_of(to)) else {
                        continue;
                    };
                    // The narration lists each copy that dies (a kept copy too): take
                    // the oldest pending segment of that label for each.
                    let start = pending
                        .iter()
                        .position(|p| p.src == s && p.dst == d && p.label == *label)
                        .map(|at| pending.remove(at).row);
                    let a = (lane_x(s), row_y(start.unwrap_or(r.saturating_sub(1))));
                    let b = (lane_x(d), y);
                    let end = towards(a, b, 0.5);
                    arrow(&mut o, a, end, "seg-dead", false);
                    cross(&mut o, end.0, end.1, "seg-dead");
                    text(
                        &mut o,
                        end.0,
                        end.1 + 16 + 14 * k as i64,
                        "middle",
                        "dead",
                        &format!("expired (age > MSL): {label}"),
                    );
                }
            }
            Some(WireAction::Deliver {
                src,
                dst,
                msg,
                keep_copy,
                ..
            }) => {
                let label = label_of(msg);
                let from = take(&mut pending, *src, *dst, &label, step.duplicate, *keep_copy)
                    .unwrap_or(r.saturating_sub(1));
                let a = (lane_x(*src), row_y(from));
                let b = (lane_x(*dst), y);
                let (class, tclass) = if step.duplicate {
                    ("seg-dup", "dup")
                } else {
                    ("seg", "seg-label")
                };
                arrow(&mut o, a, b, class, true);
                let mut l = label;
                if step.duplicate {
                    l.push_str("  DUPLICATE");
                }
                if *keep_copy {
                    l.push_str("  (a copy stays)");
                }
                if b.1 - a.1 > ROW {
                    // A segment that waited: label it half a row above its end,
                    // beside its arrow.
                    let frac = 1.0 - (ROW / 2) as f64 / (b.1 - a.1) as f64;
                    let p = towards(a, b, frac);
                    let (dx, anchor) = if b.0 >= a.0 {
                        (-8, "end")
                    } else {
                        (8, "start")
                    };
                    text(&mut o, p.0 + dx, p.1, anchor, tclass, &l);
                } else {
                    let mid = towards(a, b, 0.5);
                    text(&mut o, mid.0, mid.1 - 4, "middle", tclass, &l);
                }
            }
            Some(WireAction::Drop { src, dst, msg, .. }) => {
                let label = label_of(msg);
                let from = take(&mut pending, *src, *dst, &label, false, false)
                    .unwrap_or(r.saturating_sub(1));
                let a = (lane_x(*src), row_y(from));
                let b = (lane_x(*dst), y);
                let end = towards(a, b, 0.6);
                arrow(&mut o, a, end, "seg-lost", false);
                cross(&mut o, end.0, end.1, "seg-lost");
                let mid = towards(a, end, 0.5);
                text(
                    &mut o,
                    mid.0,
                    mid.1 - 4,
                    "middle",
                    "lost",
                    &format!("{label}  LOST"),
                );
            }
            Some(WireAction::Fire { actor, timer }) => {
                text(
                    &mut o,
                    lane_x(*actor) + 8,
                    y - 4,
                    "start",
                    "note",
                    &timer.describe(),
                );
            }
            Some(WireAction::Choose {
                actor, key, value, ..
            }) => {
                text(
                    &mut o,
                    lane_x(*actor) + 8,
                    y - 4,
                    "start",
                    "note",
                    &format!("chooses {key} = {value:?}"),
                );
            }
        }
        if action.is_some() {
            for (who, _, to) in &step.moves {
                if let Some(i) = index_of(who) {
                    state_box(&mut o, i, r, to);
                }
            }
        }
        for (from, to, label) in &step.sent {
            if let (Some(s), Some(d)) = (index_of(from), index_of(to)) {
                pending.push(Pending {
                    src: s,
                    dst: d,
                    label: label.clone(),
                    row: r,
                    copy: false,
                });
            }
        }
    }
    text(
        &mut o,
        8,
        height - 22,
        "start",
        "note",
        "arrows: delivered (black), a kept copy delivered again (orange, dashed),",
    );
    text(
        &mut o,
        8,
        height - 8,
        "start",
        "note",
        "lost (red ✕), expired at age > MSL (grey ✕); green dashes: a tick; t: ticks so far",
    );
    o.push_str("</svg>\n");
    o
}

/// The Explorer's name for an action.
pub fn action_name<A>(m: &Wire<A>, action: &ActionOf<A>) -> String
where
    A: WireActor,
    A::Msg: Envelope,
    A::Timer: TimerName,
    A::Random: Debug,
{
    let role = |i: usize| m.role(i);
    match action {
        WireAction::Tick => "tick".into(),
        WireAction::Deliver {
            src,
            dst,
            msg,
            keep_copy,
            ..
        } => format!(
            "deliver {} → {}: {}{}",
            role(*src),
            role(*dst),
            label_of(msg),
            if *keep_copy { " (keep a copy)" } else { "" }
        ),
        WireAction::Drop { src, dst, msg, .. } => {
            format!("lose {} → {}: {}", role(*src), role(*dst), label_of(msg))
        }
        WireAction::Fire { actor, timer } => format!("{}: {}", role(*actor), timer.describe()),
        WireAction::Choose { actor, key, value } => {
            format!("{}: choose {key} = {value:?}", role(*actor))
        }
    }
}

/// The Explorer's text for a step: what happened, then the state it led to.
pub fn step_text<A>(m: &Wire<A>, last: &StateOf<A>, action: ActionOf<A>) -> Option<String>
where
    A: WireActor,
    A::Msg: Envelope,
    A::State: Lifeline,
    A::Timer: TimerName,
    A::Random: Debug,
{
    let next = m.next_state(last, action.clone())?;
    let is_tick = matches!(action, WireAction::Tick);
    let steps = [(None, last.clone()), (Some(action), next)];
    let narrated = narrate(m, &steps);
    let mut summary = narrated.get(1).map(|s| s.summary.clone())?;
    if is_tick {
        // A state has no clock: say what a tick does instead of a time.
        summary = summary.replacen("tick: t=1", "tick: one unit of time passes", 1);
    }
    Some(format!("{summary}\n\n{:#?}", steps[1].1))
}

/// The model the Explorer serves: the wire, with its sequence diagram, readable
/// action names and narrated steps. Its actions are the wire's, in the same order, so
/// the action indices of `synack check`'s deep links are the same.
pub struct Explorable<A: WireActor>(pub Wire<A>);

/// The wire's `k`-th property, as a property of the wrapper (fn pointers cannot capture).
fn nth_property<const K: usize, A: WireActor>(m: &Explorable<A>, s: &StateOf<A>) -> bool {
    m.0.properties
        .get(K)
        .is_some_and(|p| (p.condition)(&m.0, s))
}

/// How many of the wire's properties the Explorer can show.
const MAX_PROPERTIES: usize = 16;

fn property_fn<A: WireActor>(k: usize) -> Option<fn(&Explorable<A>, &StateOf<A>) -> bool> {
    macro_rules! pick {
        ($($n:literal)*) => {
            match k {
                $($n => Some(nth_property::<$n, A>),)*
                _ => None,
            }
        };
    }
    pick!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

impl<A> Model for Explorable<A>
where
    A: WireActor,
    A::Msg: Envelope,
    A::State: Lifeline,
    A::Timer: TimerName,
    A::Random: Debug,
{
    type State = StateOf<A>;
    type Action = ActionOf<A>;

    fn init_states(&self) -> Vec<Self::State> {
        self.0.init_states()
    }

    fn actions(&self, s: &Self::State, actions: &mut Vec<Self::Action>) {
        self.0.actions(s, actions)
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.0.next_state(last, action)
    }

    fn format_action(&self, action: &Self::Action) -> String {
        action_name(&self.0, action)
    }

    fn format_step(&self, last: &Self::State, action: Self::Action) -> Option<String> {
        step_text(&self.0, last, action)
    }

    fn as_svg(&self, path: Path<Self::State, Self::Action>) -> Option<String> {
        // A hand-written path may take an action the model ignores (it keeps the
        // state): leave it out of the picture rather than draw what did not happen.
        let mut steps = steps_of(path);
        let mut k = 1;
        while k < steps.len() {
            let applies = match &steps[k].0 {
                Some(a) => self.0.next_state(&steps[k - 1].1, a.clone()).is_some(),
                None => true,
            };
            if applies {
                k += 1;
            } else {
                steps.remove(k);
            }
        }
        Some(sequence_svg(&self.0, &steps))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let props = &self.0.properties;
        debug_assert!(props.len() <= MAX_PROPERTIES);
        props
            .iter()
            .enumerate()
            .filter_map(|(k, p)| {
                Some(Property {
                    expectation: p.expectation.clone(),
                    name: p.name,
                    condition: property_fn::<A>(k)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_all_five() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('1')">&"#),
            "&lt;img src=x onerror=&quot;alert(&apos;1&apos;)&quot;&gt;&amp;"
        );
    }
}
