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
use crate::report::{connection_name, narrate, Envelope, Lifeline, TimerName};
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

/// The steps of a path worth drawing: a path replayed from action indices may take an
/// action the model ignores (it keeps the state); it is left out of the picture rather
/// than drawn as if it had happened.
pub fn drawable<A: WireActor>(
    m: &Wire<A>,
    mut steps: Vec<(Option<ActionOf<A>>, StateOf<A>)>,
) -> Vec<(Option<ActionOf<A>>, StateOf<A>)> {
    let mut k = 1;
    while k < steps.len() {
        let applies = match &steps[k].0 {
            Some(a) => m.next_state(&steps[k - 1].1, a.clone()).is_some(),
            None => true,
        };
        if applies {
            k += 1;
        } else {
            steps.remove(k);
        }
    }
    steps
}

/// The geometry of a sequence diagram.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Width of the left column (step number and time).
    pub gutter: i64,
    /// Distance between two lifelines.
    pub lane: i64,
    /// Height of a step.
    pub row: i64,
    /// Room right of the last lifeline.
    pub margin: i64,
    /// What a segment still in flight after the last step is called.
    pub in_flight: &'static str,
}

impl Layout {
    /// The Explorer's: wide lanes, the path may go on.
    pub const EXPLORER: Layout = Layout {
        gutter: 120,
        lane: 360,
        row: 40,
        margin: 160,
        in_flight: "in flight",
    };

    /// A finished trace on a book page about 750 px wide: `actors` lifelines fitted
    /// into 760 px (wider only when each lane would be narrower than 230 px).
    pub fn book(actors: usize) -> Layout {
        let (gutter, margin) = (64, 16);
        let n = actors.max(1) as i64;
        Layout {
            gutter,
            lane: ((760 - gutter - margin) / n).clamp(230, 360),
            row: 40,
            margin,
            in_flight: "never delivered",
        }
    }

    fn lane_x(&self, i: usize) -> i64 {
        self.gutter + self.lane / 2 + i as i64 * self.lane
    }

    fn row_y(&self, r: usize) -> i64 {
        TOP + 24 + r as i64 * self.row
    }
}

const TOP: i64 = 56;
/// Estimated width of a character of 12 px monospace text (bold included), in px.
const CHAR: i64 = 8;

/// A segment sent and not yet accounted for: where its arrow starts.
struct Pending {
    src: usize,
    dst: usize,
    label: String,
    row: usize,
    /// A copy was delivered and this one stays behind.
    copy: bool,
}

impl Pending {
    /// Whether this is a segment from `src` to `dst` labelled `label`.
    fn is(&self, src: usize, dst: usize, label: &str) -> bool {
        self.src == src && self.dst == dst && self.label == label
    }
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
    let same = |p: &Pending| p.is(src, dst, label);
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

/// The left edge of a state box `w` wide centred on lifeline `x`, kept inside the
/// picture (`width`) and clear of the step column (`gutter`): a long phase next to
/// the first or last lifeline moves inwards.
fn box_left(x: i64, w: i64, width: i64, gutter: i64) -> i64 {
    (x - w / 2).min(width - w - 4).max(gutter - 4)
}

/// Where a note `off` px beside lifeline `i` (of `n`, at `x`) goes, and its anchor:
/// towards the middle of the picture, so to the left of the last lifeline and to the
/// right of every other.
fn toward_middle(i: usize, n: usize, x: i64, off: i64) -> (i64, &'static str) {
    if n > 1 && i == n - 1 {
        (x - off, "end")
    } else {
        (x + off, "start")
    }
}

/// Text at `(x, y)` with a white halo, so that it stays readable over lines.
fn text(o: &mut String, x: i64, y: i64, anchor: &str, class: &str, s: &str) {
    let _ = writeln!(
        o,
        r#"<text x="{x}" y="{y}" text-anchor="{anchor}" class="{class}">{}</text>"#,
        escape(s)
    );
}

/// Estimated width of `s` in 12 px monospace, in px.
fn text_width(s: &str) -> i64 {
    (s.chars().count() as f64 * 7.3) as i64
}

/// Text on a white ground, for labels that sit on lines (a halo alone leaves the
/// line visible between the letters), moved inside `0..width` when it would overflow.
fn grounded(o: &mut String, width: i64, x: i64, y: i64, anchor: &str, class: &str, s: &str) {
    let w = text_width(s) + 6;
    let x0 = match anchor {
        "middle" => x - w / 2,
        "end" => x - w + 3,
        _ => x - 3,
    };
    let x0 = x0.min(width - 2 - w).max(2);
    let _ = writeln!(
        o,
        r#"<rect x="{x0}" y="{}" width="{w}" height="15" class="ground"/>"#,
        y - 11
    );
    text(o, x0 + 3, y, "start", class, s);
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

/// A short bar across the end of an arrow that stops at `(x, y)`: a stub.
fn stub(o: &mut String, x: i64, y: i64, class: &str) {
    let _ = writeln!(
        o,
        r#"<path d="M{x} {} L{x} {}" class="{class}"/>"#,
        y - 7,
        y + 7
    );
}

/// A point `frac` of the way from `a` to `b`.
fn towards(a: (i64, i64), b: (i64, i64), frac: f64) -> (i64, i64) {
    (
        a.0 + ((b.0 - a.0) as f64 * frac) as i64,
        a.1 + ((b.1 - a.1) as f64 * frac) as i64,
    )
}

/// The sequence diagram of a path (`steps[0]` the initial state, see [`steps_of`]),
/// as the Explorer shows it.
pub fn sequence_svg<A>(m: &Wire<A>, steps: &[(Option<ActionOf<A>>, StateOf<A>)]) -> String
where
    A: WireActor,
    A::Msg: Envelope,
    A::State: Lifeline,
    A::Timer: TimerName,
    A::Random: Debug,
{
    sequence_svg_with(m, steps, &Layout::EXPLORER, None)
}

/// The sequence diagram of a path in `layout`; `loop_start` marks a lasso's loop as
/// in the text timeline (the steps after `loop_start` repeat for ever).
pub fn sequence_svg_with<A>(
    m: &Wire<A>,
    steps: &[(Option<ActionOf<A>>, StateOf<A>)],
    layout: &Layout,
    loop_start: Option<usize>,
) -> String
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
    let lay = *layout;
    let (gutter, row) = (lay.gutter, lay.row);
    let lane_x = |i: usize| lay.lane_x(i);
    let row_y = |r: usize| lay.row_y(r);
    let role = |i: usize| m.role(i);
    let index_of = |r: &str| (0..n).find(|&i| role(i) == r);
    let width = gutter + n as i64 * lay.lane + lay.margin;
    let rows = narrated.len().max(1);
    // Segments still in flight after the last step end one row below it.
    let end_y = row_y(rows);
    let mut o = String::new();
    // The body is written first; the header needs the height, which the segments
    // still in flight at the end decide.
    let mut body = String::new();
    let last = rows - 1;
    let state_box = |o: &mut String, i: usize, r: usize, name: &str| {
        let x = lane_x(i);
        let y = row_y(r);
        let w = 12 + CHAR * name.chars().count() as i64;
        let left = box_left(x, w, width, gutter);
        let _ = writeln!(
            o,
            r#"<rect x="{left}" y="{}" width="{w}" height="18" rx="3" class="box"/>"#,
            y + 2
        );
        text(o, left + w / 2, y + 15, "middle", "state", name);
    };
    let mut pending: Vec<Pending> = Vec::new();
    for (r, (step, (action, _))) in narrated.iter().zip(steps).enumerate() {
        let y = row_y(r);
        let o = &mut body;
        if loop_start.is_some_and(|k| r == k + 1) {
            let top = y - row / 2 - 4;
            arrow(o, (4, top), (width - 4, top), "loop", false);
            text(
                o,
                width - 8,
                top - 4,
                "end",
                "loopnote",
                &format!(
                    "loop: steps {r} to {last} lead back to the state after step {}, for ever",
                    r - 1
                ),
            );
        }
        let gclass = if r == last { "now" } else { "gutter" };
        text(
            o,
            8,
            y + 4,
            "start",
            gclass,
            &format!("{r:>2}  t={}", step.time),
        );
        match action {
            None => {
                for (i, p) in step.phases.iter().enumerate() {
                    state_box(o, i, r, p);
                }
            }
            Some(WireAction::Tick) => {
                arrow(o, (gutter - 8, y), (width - 10, y), "tick", false);
                text(
                    o,
                    gutter - 4,
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
                        .position(|p| p.is(s, d, label))
                        .map(|at| pending.remove(at).row);
                    let a = (lane_x(s), row_y(start.unwrap_or(r.saturating_sub(1))));
                    let b = (lane_x(d), y);
                    let end = towards(a, b, 0.5);
                    arrow(o, a, end, "seg-dead", false);
                    cross(o, end.0, end.1, "seg-dead");
                    grounded(
                        o,
                        width,
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
                // The narration's label: in real sequence numbers, as when it was sent.
                let label = step.label.clone().unwrap_or_else(|| label_of(msg));
                let from = take(&mut pending, *src, *dst, &label, step.duplicate, *keep_copy)
                    .unwrap_or(r.saturating_sub(1));
                let a = (lane_x(*src), row_y(from));
                let b = (lane_x(*dst), y);
                let (class, tclass) = if step.duplicate {
                    ("seg-dup", "dup")
                } else {
                    ("seg", "seg-label")
                };
                arrow(o, a, b, class, true);
                let mut l = label;
                if step.duplicate {
                    l.push_str("  DUPLICATE");
                }
                if *keep_copy {
                    l.push_str("  (a copy stays)");
                }
                if b.1 - a.1 > row {
                    // A segment that waited: label it half a row above its end,
                    // beside its arrow.
                    let frac = 1.0 - (row / 2) as f64 / (b.1 - a.1) as f64;
                    let p = towards(a, b, frac);
                    let (dx, anchor) = if b.0 >= a.0 {
                        (-8, "end")
                    } else {
                        (8, "start")
                    };
                    grounded(o, width, p.0 + dx, p.1, anchor, tclass, &l);
                } else {
                    // Above the end of the arrow, clear of the boxes of the row it
                    // leaves.
                    let mid = towards(a, b, 0.5);
                    grounded(o, width, mid.0, b.1 - 6, "middle", tclass, &l);
                }
            }
            Some(WireAction::Drop { src, dst, msg, .. }) => {
                let label = step.label.clone().unwrap_or_else(|| label_of(msg));
                let from = take(&mut pending, *src, *dst, &label, false, false)
                    .unwrap_or(r.saturating_sub(1));
                let a = (lane_x(*src), row_y(from));
                let b = (lane_x(*dst), y);
                let end = towards(a, b, 0.6);
                arrow(o, a, end, "seg-lost", false);
                cross(o, end.0, end.1, "seg-lost");
                let mid = towards(a, end, 0.5);
                grounded(
                    o,
                    width,
                    mid.0,
                    mid.1 - 4,
                    "middle",
                    "lost",
                    &format!("{label}  LOST"),
                );
            }
            Some(WireAction::Fire { actor, .. }) | Some(WireAction::Choose { actor, .. }) => {
                // What the narration says the actor did (which call the application
                // made, which timer fired, what it chose), without the role.
                let head = step.summary.split("; ").next().unwrap_or("");
                let what = head
                    .strip_prefix(&format!("{}: ", role(*actor)))
                    .unwrap_or(head);
                // Beside the lifeline, towards the middle of the picture.
                let (tx, anchor) = toward_middle(*actor, n, lane_x(*actor), 8);
                text(o, tx, y - 4, anchor, "note", what);
            }
        }
        if action.is_some() {
            for (who, _, to) in &step.moves {
                if let Some(i) = index_of(who) {
                    if let Some((_, c)) = step.connections.iter().find(|(r, _)| r == who) {
                        // A new connection on this lifeline: a bar across it, named
                        // apart from the state.
                        let x = lane_x(i);
                        let _ = writeln!(
                            o,
                            r#"<path d="M{} {} L{} {}" class="conn"/>"#,
                            x - 40,
                            y - 2,
                            x + 40,
                            y - 2
                        );
                        let (tx, anchor) = toward_middle(i, n, x, 44);
                        text(o, tx, y + 2, anchor, "connnote", &connection_name(*c));
                    }
                    state_box(o, i, r, to);
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
    // Segments sent and neither delivered, lost nor expired by the last step: a dotted
    // arrow from where they were sent to a stub below the last step.
    for (k, p) in pending.iter().enumerate() {
        let a = (lane_x(p.src), row_y(p.row));
        let what = if p.copy {
            format!("{}: {} (the copy left behind)", lay.in_flight, p.label)
        } else {
            format!("{}: {}", lay.in_flight, p.label)
        };
        // Half way to its destination, or further left when the label, written to
        // the right of the bar, would not fit.
        let mid = (lane_x(p.src) + lane_x(p.dst)) / 2;
        let x = mid.min(width - 14 - text_width(&what)).max(gutter);
        let end = (x, end_y + 14 * k as i64);
        arrow(&mut body, a, end, "seg-flight", false);
        stub(&mut body, end.0, end.1, "seg-flight");
        grounded(
            &mut body,
            width,
            end.0 + 8,
            end.1 + 4,
            "start",
            "flight",
            &what,
        );
    }
    let legend_y = end_y + 14 * pending.len() as i64 + 12;
    let height = legend_y + 3 * 14 + 4;
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
        ".synack-diagram .connnote{font-style:italic;font-size:11px;fill:#0b4f9c}",
        ".synack-diagram .loopnote{font-style:italic;fill:#6a1b9a}",
        ".synack-diagram .lost{fill:#b00020}",
        ".synack-diagram .dup{fill:#b35900}",
        ".synack-diagram .dead{fill:#666}",
        ".synack-diagram .flight{fill:#6a1b9a}",
        ".synack-diagram line,.synack-diagram path{stroke-width:1.5px;fill:none}",
        ".synack-diagram .life{stroke:#999;stroke-dasharray:2 3}",
        ".synack-diagram .seg{stroke:#111}",
        ".synack-diagram .seg-dup{stroke:#b35900;stroke-dasharray:6 3}",
        ".synack-diagram .seg-lost{stroke:#b00020}",
        ".synack-diagram .seg-dead{stroke:#666;stroke-dasharray:3 3}",
        ".synack-diagram .seg-flight{stroke:#6a1b9a;stroke-dasharray:1 3}",
        ".synack-diagram .tick{stroke:#2a7d2a;stroke-dasharray:8 4}",
        ".synack-diagram .loop{stroke:#6a1b9a;stroke-dasharray:10 4}",
        ".synack-diagram .conn{stroke:#0b4f9c;stroke-width:3px}",
        ".synack-diagram .box{fill:#eef4fb;stroke:#0b4f9c}",
        ".synack-diagram .rowmark{fill:#fff7d6;stroke:none}",
        ".synack-diagram .ground{fill:#fff;fill-opacity:0.85;stroke:none}",
        "</style>\n",
        r##"<defs><marker id="synack-head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" style="fill:#111;stroke:none"/></marker></defs>"##,
        "\n",
    ));
    let _ = writeln!(
        o,
        r##"<rect x="0" y="0" width="{width}" height="{height}" style="fill:#fff"/>"##
    );
    // The current (last) step, highlighted.
    let _ = writeln!(
        o,
        r#"<rect x="0" y="{}" width="{width}" height="{row}" class="rowmark"/>"#,
        row_y(last) - row / 2 - 4
    );
    for i in 0..n {
        let x = lane_x(i);
        let _ = writeln!(
            o,
            r#"<rect x="{}" y="8" width="160" height="28" rx="4" class="box"/>"#,
            x - 80
        );
        text(&mut o, x, 27, "middle", "role", &role(i));
        arrow(&mut o, (x, 36), (x, end_y), "life", false);
    }
    o.push_str(&body);
    let legend = [
        "arrows: delivered (black); a kept copy delivered again (orange, dashed);",
        "lost (red ✕); expired at age > MSL (grey ✕); sent and not delivered by the",
        "last step (purple dots to a bar). Green dashes: a tick; t: ticks so far.",
    ];
    for (k, l) in legend.iter().enumerate() {
        text(&mut o, 8, legend_y + 10 + 14 * k as i64, "start", "note", l);
    }
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

/// The Explorer's name for `action` taken from `last`: as [`action_name`], except that
/// a timer of the application's turn says which call the application makes
/// ("client: the application calls CLOSE"), which depends on the state.
pub fn action_name_at<A>(m: &Wire<A>, last: &StateOf<A>, action: &ActionOf<A>) -> String
where
    A: WireActor,
    A::Msg: Envelope,
    A::State: Lifeline,
    A::Timer: TimerName,
    A::Random: Debug,
{
    if let WireAction::Fire { timer, .. } = action {
        if timer.is_app_turn() {
            if let Some(next) = m.next_state(last, action.clone()) {
                let steps = [(None, last.clone()), (Some(action.clone()), next)];
                if let Some(step) = narrate(m, &steps).get(1) {
                    return step.summary.split("; ").next().unwrap_or("").to_string();
                }
            }
        }
    }
    action_name(m, action)
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
        Some(sequence_svg(&self.0, &drawable(&self.0, steps_of(path))))
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
    use crate::wire::Faults;
    use serde::{Deserialize, Serialize};
    use stateright::actor::{Actor, Id, Out};
    use std::borrow::Cow;
    use std::time::Duration;

    /// A message: `note n`; note 9 is of a ghost incarnation 2.
    #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    struct Note(u8);

    impl Envelope for Note {
        fn label(&self) -> String {
            format!("note {}", self.0)
        }
        fn flags(&self) -> Option<String> {
            None
        }
        fn seq(&self) -> Option<u32> {
            None
        }
        fn ack(&self) -> Option<u32> {
            None
        }
        fn len(&self) -> u32 {
            0
        }
        fn incarnation(&self) -> Option<u8> {
            (self.0 == 9).then_some(2)
        }
    }

    /// Phase `Pn`, on connection `conn` when it has one.
    #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    struct Phase {
        n: u8,
        conn: Option<u32>,
    }

    impl Lifeline for Phase {
        fn phase(&self) -> String {
            format!("P{}", self.n)
        }
        fn connection(&self) -> Option<u32> {
            self.conn
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    struct Alarm;

    impl TimerName for Alarm {
        fn describe(&self) -> String {
            "the alarm rings".into()
        }
    }

    crate::flat_by_postcard!(Note, Phase, Alarm);

    /// Actor 0 sends notes 1 to 4 to actor 1 at once. A note moves its receiver to
    /// phase `P<note>` (note 1 on a new connection, 1). Actor 1's alarm sends note 9
    /// back, moves it to P7, and is armed again.
    #[derive(Clone, Debug)]
    struct Toy;

    impl Actor for Toy {
        type Msg = Note;
        type State = Phase;
        type Timer = Alarm;
        type Random = u8;
        type Storage = ();
        fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> Phase {
            if usize::from(id) == 0 {
                for n in 1..=4 {
                    o.send(Id::from(1), Note(n));
                }
            } else {
                o.set_timer(Alarm, Duration::ZERO..Duration::from_secs(9));
            }
            Phase { n: 0, conn: None }
        }
        fn on_msg(&self, _: Id, st: &mut Cow<Phase>, _: Id, msg: Note, _: &mut Out<Self>) {
            let st = st.to_mut();
            st.n = msg.0;
            if msg.0 == 1 {
                st.conn = Some(1);
            }
        }
        fn on_timeout(&self, _: Id, st: &mut Cow<Phase>, _: &Alarm, o: &mut Out<Self>) {
            o.send(Id::from(0), Note(9));
            o.set_timer(Alarm, Duration::ZERO..Duration::from_secs(9));
            st.to_mut().n = 7;
        }
    }

    fn toy() -> Wire<Toy> {
        Wire::new(
            vec![Toy, Toy],
            vec!["left".into(), "right".into()],
            Faults {
                msl: 1,
                loss: true,
                loss_budget: None,
                duplication: true,
                duplication_budget: None,
                reordering: true,
                capacity: 8,
            },
        )
    }

    /// Every kind of step: a delivery that keeps a copy, the copy delivered (a
    /// duplicate), a loss, a tick, a timer of the last lifeline, a tick that expires two
    /// segments, a delivery leftwards that keeps a copy, which is still in flight at
    /// the end: a second note 9 overtakes it.
    fn toy_path(m: &Wire<Toy>) -> Vec<(Option<ActionOf<Toy>>, StateOf<Toy>)> {
        let deliver = |index, keep_copy, src, dst, n| WireAction::Deliver {
            index,
            keep_copy,
            src,
            dst,
            msg: Note(n),
        };
        let actions = [
            deliver(0, true, 0, 1, 1),
            deliver(3, false, 0, 1, 1),
            WireAction::Drop {
                index: 0,
                src: 0,
                dst: 1,
                msg: Note(2),
            },
            WireAction::Tick,
            WireAction::Fire {
                actor: 1,
                timer: Alarm,
            },
            WireAction::Tick,
            deliver(0, true, 1, 0, 9),
            WireAction::Fire {
                actor: 1,
                timer: Alarm,
            },
            deliver(0, false, 1, 0, 9),
        ];
        let mut steps = vec![(None, m.init_states().remove(0))];
        for a in actions {
            let last = &steps[steps.len() - 1].1;
            let next = m.next_state(last, a.clone()).expect("the step applies");
            steps.push((Some(a), next));
        }
        steps
    }

    /// The attributes of every element of `class` in `svg`, in order.
    fn elements(svg: &str, class: &str) -> Vec<String> {
        svg.lines()
            .filter(|l| l.contains(&format!(r#"class="{class}""#)))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_kind_of_step_is_drawn_where_it_happened() {
        let m = toy();
        let steps = toy_path(&m);
        let lay = Layout::book(2);
        let svg = sequence_svg_with(&m, &steps, &lay, Some(5));
        // Two lifelines, each under its role, from below the role box to one row below
        // the last step (9).
        let (x0, x1) = (lay.lane_x(0), lay.lane_x(1));
        assert_eq!((x0, x1), (64 + 340 / 2, 64 + 340 / 2 + 340));
        let y = |r: usize| lay.row_y(r);
        assert_eq!(
            elements(&svg, "life"),
            [
                format!(
                    r#"<line x1="{x0}" y1="36" x2="{x0}" y2="{}" class="life"/>"#,
                    y(10)
                ),
                format!(
                    r#"<line x1="{x1}" y1="36" x2="{x1}" y2="{}" class="life"/>"#,
                    y(10)
                ),
            ]
        );
        // Delivered: from the sender's lifeline at the row it was sent to the receiver's
        // at the row it arrived. The copy left behind at step 1 arrives at step 2; note
        // 9, sent at step 5, arrives at step 7, and the second note 9, sent at step 8,
        // at step 9 (the copy of the first stays behind).
        let arrow = |(x1, y1): (i64, i64), (x2, y2): (i64, i64), class: &str| {
            format!(
                r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="{class}" marker-end="url(#synack-head)"/>"#
            )
        };
        assert_eq!(
            elements(&svg, "seg"),
            [
                arrow((x0, y(0)), (x1, y(1)), "seg"),
                arrow((x1, y(5)), (x0, y(7)), "seg"),
                arrow((x1, y(8)), (x0, y(9)), "seg"),
            ]
        );
        assert_eq!(
            elements(&svg, "seg-dup"),
            [arrow((x0, y(0)), (x1, y(2)), "seg-dup")]
        );
        // Lost: 60% of the way, then a cross; expired: half way, then a cross.
        let lost = elements(&svg, "seg-lost");
        let lost_end = towards((x0, y(0)), (x1, y(3)), 0.6);
        assert!(lost[0].contains(&format!(r#"x2="{}" y2="{}""#, lost_end.0, lost_end.1)));
        assert!(lost[1].starts_with(&format!(
            r#"<path d="M{} {} "#,
            lost_end.0 - 6,
            lost_end.1 - 6
        )));
        let dead = towards((x0, y(0)), (x1, y(6)), 0.5);
        assert!(elements(&svg, "seg-dead")[1].starts_with(&format!(
            r#"<path d="M{} {} "#,
            dead.0 - 6,
            dead.1 - 6
        )));
        for text in [
            "note 1  DUPLICATE",
            "note 1  (a copy stays)",
            "note 2  LOST",
            "expired (age &gt; MSL): note 3",
            "expired (age &gt; MSL): note 4",
            ">tick: t=1<",
            ">tick: t=2<",
            "a new connection (conn 1)",
            "never delivered: note 9 [inc 2] (the copy left behind)",
            "loop: steps 6 to 9 lead back to the state after step 5, for ever",
        ] {
            assert!(svg.contains(text), "{text}\n{svg}");
        }
        // The last lifeline's timer is noted left of it, towards the middle.
        assert!(svg.contains(&format!(
            r#"<text x="{}" y="{}" text-anchor="end" class="note">the alarm rings</text>"#,
            x1 - 8,
            y(5) - 4
        )));
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!("wire-svg-every-kind-of-step", svg);
        });
    }

    #[test]
    fn the_explorer_model_is_the_wire_with_names_narration_and_the_diagram() {
        let mut wire = toy();
        wire.properties = vec![
            Property::always("right below P7", |_, s: &StateOf<Toy>| s.actors[1].n < 7),
            Property::sometimes("left at P9", |_, s: &StateOf<Toy>| s.actors[0].n == 9),
        ];
        let steps = toy_path(&wire);
        let ex = Explorable(wire);
        let s0 = ex.init_states().remove(0);
        assert_eq!(s0, steps[0].1);
        let mut acts = Vec::new();
        ex.actions(&s0, &mut acts);
        let mut wire_acts = Vec::new();
        ex.0.actions(&s0, &mut wire_acts);
        assert_eq!(acts, wire_acts);
        // A path of the Explorer is drawn as the wire's sequence diagram of its steps.
        let actions: Vec<ActionOf<Toy>> =
            steps[1..].iter().filter_map(|(a, _)| a.clone()).collect();
        let path = Path::from_actions(&ex, s0.clone(), &actions).expect("the toy path");
        let drawn = ex.as_svg(path).expect("a diagram");
        assert_eq!(drawn, sequence_svg(&ex.0, &steps));
        assert_eq!(
            drawn,
            sequence_svg_with(&ex.0, &steps, &Layout::EXPLORER, None)
        );
        assert!(drawn.contains(r#"class="synack-diagram""#));
        // Names and narration.
        assert_eq!(ex.format_action(&WireAction::Tick), "tick");
        assert_eq!(
            ex.format_action(&actions[0]),
            "deliver left → right: note 1 (keep a copy)"
        );
        assert_eq!(ex.format_action(&actions[2]), "lose left → right: note 2");
        assert_eq!(ex.format_action(&actions[4]), "right: the alarm rings");
        let choose = WireAction::Choose {
            actor: 0,
            key: "k".into(),
            value: 3,
        };
        assert_eq!(ex.format_action(&choose), "left: choose k = 3");
        let text = ex.format_step(&s0, WireAction::Tick).expect("a tick");
        assert!(
            text.starts_with("tick: one unit of time passes\n\n"),
            "{text}"
        );
        let next = ex.next_state(&s0, WireAction::Tick).expect("a tick");
        assert!(text.ends_with(&format!("{next:#?}")), "{text}");
        assert_eq!(ex.format_step(&s0, choose), None, "no choice is pending");
        // The wire's properties, by name, expectation and condition.
        let props = ex.properties();
        let names: Vec<&str> = props.iter().map(|p| p.name).collect();
        assert_eq!(names, ["right below P7", "left at P9"]);
        for (p, q) in props.iter().zip(&ex.0.properties) {
            assert_eq!(p.expectation, q.expectation);
            for (_, s) in &steps {
                assert_eq!((p.condition)(&ex, s), (q.condition)(&ex.0, s));
            }
        }
        let last = &steps[steps.len() - 1].1;
        assert!(!(props[0].condition)(&ex, last) && (props[1].condition)(&ex, last));
    }

    #[test]
    fn the_book_layout_fits_a_page_and_labels_stay_inside() {
        for n in [1, 2, 3] {
            let l = Layout::book(n);
            let width = l.gutter + n as i64 * l.lane + l.margin;
            assert!(width <= 770, "{n} lifelines: {width} px");
        }
        let mut o = String::new();
        grounded(
            &mut o,
            300,
            10,
            20,
            "end",
            "flight",
            "a label far too long to end at 10",
        );
        let x: i64 = o
            .split("<text x=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(x >= 2, "{o}");
    }

    #[test]
    fn escapes_all_five() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('1')">&"#),
            "&lt;img src=x onerror=&quot;alert(&apos;1&apos;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn a_delivery_takes_the_segment_of_its_own_channel_and_label() {
        let p = |src, dst, label: &str, row| Pending {
            src,
            dst,
            label: label.into(),
            row,
            copy: false,
        };
        let mut pending = vec![p(0, 1, "A", 1), p(1, 0, "B", 2), p(0, 1, "B", 3)];
        assert_eq!(take(&mut pending, 0, 1, "B", false, false), Some(3));
        assert_eq!(take(&mut pending, 1, 0, "A", false, false), None);
        assert_eq!(take(&mut pending, 1, 0, "B", false, true), Some(2));
        assert!(pending[1].copy, "a kept copy stays, marked");
        assert_eq!(take(&mut pending, 0, 1, "A", false, false), Some(1));
        assert_eq!(pending.len(), 1);
    }

    #[test]
    fn a_label_near_the_right_edge_is_moved_inside() {
        let width = 300;
        let s = "a label of some length";
        let w = text_width(s) + 6;
        for (x, anchor) in [(295, "start"), (299, "middle"), (310, "end")] {
            let mut o = String::new();
            grounded(&mut o, width, x, 40, anchor, "c", s);
            let x0: i64 = o
                .split("<rect x=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no rect in {o}"));
            assert_eq!(x0 + w, width - 2, "{anchor} at {x}: {o}");
        }
        // Near the left edge, at 2.
        let mut o = String::new();
        grounded(&mut o, width, 0, 40, "end", "c", s);
        assert!(o.starts_with("<rect x=\"2\""), "{o}");
    }

    #[test]
    fn a_state_box_stays_inside_the_picture_and_clear_of_the_steps() {
        // Centred on its lifeline when it fits.
        assert_eq!(box_left(200, 60, 500, 40), 170);
        // Near the right edge: 4 px inside it.
        assert_eq!(box_left(480, 60, 500, 40), 500 - 60 - 4);
        // Near the left: 4 px into the step column at most.
        assert_eq!(box_left(50, 60, 500, 40), 36);
    }

    #[test]
    fn notes_go_towards_the_middle_of_the_picture() {
        assert_eq!(toward_middle(0, 2, 100, 8), (108, "start"));
        assert_eq!(toward_middle(1, 2, 400, 8), (392, "end"));
        assert_eq!(toward_middle(1, 3, 400, 44), (444, "start"));
        assert_eq!(toward_middle(2, 3, 700, 44), (656, "end"));
        assert_eq!(
            toward_middle(0, 1, 100, 8),
            (108, "start"),
            "a lone lifeline"
        );
    }

    #[test]
    fn segments_in_flight_at_the_end_are_stacked_below_the_last_step() {
        // At the start, notes 1 to 4 are in flight from left to right: four stubs,
        // 14 px apart, half way between the lifelines; the legend follows them.
        let m = toy();
        let steps = vec![(None, m.init_states().remove(0))];
        let lay = Layout::book(2);
        let svg = sequence_svg_with(&m, &steps, &lay, None);
        let stubs: Vec<(i64, i64)> = elements(&svg, "seg-flight")
            .iter()
            .filter_map(|l| {
                // A stub is a vertical path: M{x} {y-7} L{x} {y+7}.
                let d = l.split("d=\"M").nth(1)?.split('"').next()?;
                let (a, b) = d.split_once(" L")?;
                let (x, y0) = a.split_once(' ')?;
                let (x2, y1) = b.split_once(' ')?;
                let (x, y0, y1): (i64, i64, i64) =
                    (x.parse().ok()?, y0.parse().ok()?, y1.parse().ok()?);
                (x2 == x.to_string() && y1 - y0 == 14).then_some((x, y0 + 7))
            })
            .collect();
        let mid = (lay.lane_x(0) + lay.lane_x(1)) / 2;
        assert_eq!(stubs.len(), 4, "{svg}");
        for (k, &(x, y)) in stubs.iter().enumerate() {
            assert_eq!(x, mid, "stub {k}");
            assert_eq!(y, stubs[0].1 + 14 * k as i64, "stub {k}");
        }
        let height: i64 = svg
            .split("height=\"")
            .nth(1)
            .and_then(|h| h.split('"').next())
            .and_then(|h| h.parse().ok())
            .expect("the picture's height");
        // The legend starts 12 px below the row of the last stub, and takes three lines.
        assert_eq!(height, stubs[3].1 + 14 + 12 + 3 * 14 + 4);
    }

    #[test]
    fn a_step_the_model_ignores_is_not_drawn() {
        let m = toy();
        let steps = toy_path(&m);
        // Insert, after step 2, a delivery of a segment that is not in flight: the
        // model refuses it, and the state stays.
        let ignored = WireAction::Deliver {
            index: 0,
            keep_copy: false,
            src: 0,
            dst: 1,
            msg: Note(8),
        };
        assert!(m.next_state(&steps[2].1, ignored.clone()).is_none());
        let mut with = steps.clone();
        with.insert(3, (Some(ignored.clone()), steps[2].1.clone()));
        with.push((Some(ignored), steps[steps.len() - 1].1.clone()));
        let kept = drawable(&m, with);
        assert_eq!(kept.len(), steps.len());
        assert!(kept.iter().zip(&steps).all(|(a, b)| a.0 == b.0));
        assert_eq!(sequence_svg(&m, &kept), sequence_svg(&m, &steps));
    }
}
