//! The derived state diagram drawn on the ranks of RFC 9293 §3.3.2 Figure 5, each edge
//! coloured by where the RFC describes its transition: in Figure 5 itself, only in the
//! notes under the figure or in the text (§3.10), or nowhere (the model alone).
//!
//! The states sit where Figure 5 puts them: CLOSED on top; LISTEN; SYN-RECEIVED and
//! SYN-SENT; ESTABLISHED; FIN-WAIT-1 and CLOSE-WAIT; FIN-WAIT-2, CLOSING and LAST-ACK;
//! TIME-WAIT and a second CLOSED. Moves to CLOSED that Figure 5 does not draw (its
//! Note 3 leaves them out "in the interest of clarity") end in a small CLOSED beside
//! their state. Every text is XML-escaped.

use super::transitions::Transition;
use crate::wire::svg::escape;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Where RFC 9293 describes a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Origin {
    /// An arrow of Figure 5.
    Figure5,
    /// Only in the notes under Figure 5 or in the RFC's text.
    Rfc,
    /// Only in the model.
    Model,
}

/// The arrows of Figure 5: (from, to, their events as the model spells them; the
/// model's FIN always carries an ACK).
const FIGURE_5: [(&str, &str, &[&str]); 20] = [
    ("CLOSED", "LISTEN", &["passive OPEN"]),
    ("CLOSED", "SYN-SENT", &["active OPEN"]),
    ("LISTEN", "CLOSED", &["CLOSE"]),
    ("LISTEN", "SYN-RECEIVED", &["rcv SYN"]),
    ("LISTEN", "SYN-SENT", &["SEND"]),
    ("SYN-RECEIVED", "LISTEN", &["rcv RST"]),
    ("SYN-SENT", "SYN-RECEIVED", &["rcv SYN"]),
    ("SYN-SENT", "CLOSED", &["CLOSE"]),
    ("SYN-SENT", "ESTABLISHED", &["rcv SYN,ACK"]),
    ("SYN-RECEIVED", "ESTABLISHED", &["rcv ACK"]),
    ("SYN-RECEIVED", "FIN-WAIT-1", &["CLOSE"]),
    ("ESTABLISHED", "FIN-WAIT-1", &["CLOSE"]),
    ("ESTABLISHED", "CLOSE-WAIT", &["rcv FIN,ACK"]),
    ("FIN-WAIT-1", "FIN-WAIT-2", &["rcv ACK"]),
    ("FIN-WAIT-1", "CLOSING", &["rcv FIN,ACK"]),
    ("FIN-WAIT-2", "TIME-WAIT", &["rcv FIN,ACK"]),
    ("CLOSING", "TIME-WAIT", &["rcv ACK"]),
    ("TIME-WAIT", "CLOSED", &["2MSL timeout"]),
    ("CLOSE-WAIT", "LAST-ACK", &["CLOSE"]),
    ("LAST-ACK", "CLOSED", &["rcv ACK"]),
];

/// Where RFC 9293 describes `t`, and the place to cite when it is not Figure 5's
/// plain arrow ("Note 2", "§3.10.7.4"; empty when there is none).
pub fn origin(t: &Transition) -> (Origin, &'static str) {
    let event = t.cause.split(" / ").next().unwrap_or("");
    let (from, to) = (t.from.as_str(), t.to.as_str());
    if FIGURE_5
        .iter()
        .any(|(a, b, ev)| *a == from && *b == to && ev.contains(&event))
    {
        let note = if (from, to) == ("SYN-RECEIVED", "LISTEN") {
            "Note 1"
        } else {
            ""
        };
        return (Origin::Figure5, note);
    }
    match (from, to) {
        // A FIN that acknowledges ours.
        ("FIN-WAIT-1", "TIME-WAIT") => (Origin::Rfc, "Note 2"),
        // "The RST … can cause a transition from any state to LISTEN or CLOSED".
        (_, "CLOSED") if event.starts_with("rcv RST") => (Origin::Rfc, "Note 3"),
        // The ACK of our SYN and a FIN in one segment; a FIN retransmitted to TIME-WAIT.
        ("SYN-RECEIVED", "CLOSE-WAIT") | ("TIME-WAIT", "TIME-WAIT") => (Origin::Rfc, "§3.10.7.4"),
        // Figure 7, line 7: the SYN,ACK that crosses ours in a simultaneous open.
        ("SYN-RECEIVED", "ESTABLISHED") if event == "rcv SYN,ACK" => (Origin::Rfc, "Figure 7"),
        (_, "CLOSED") if event.starts_with("user timeout") => (Origin::Rfc, "§3.10.8"),
        _ => (Origin::Model, ""),
    }
}

const WIDTH: i64 = 760;
const COLUMNS: [i64; 3] = [150, 385, 620];
const TOP: i64 = 44;
const RANK: i64 = 108;
const BOX_H: i64 = 28;
/// Estimated width of a character of the 13 px bold state names, and of the 11 px
/// edge labels (monospace), in px.
const NAME_CHAR: f64 = 8.2;
const LABEL_CHAR: f64 = 6.8;
const LABEL_LINE: i64 = 13;

/// A state's place: (column, rank). CLOSED has two, as in Figure 5: the top one
/// (`CLOSED`) and the bottom one (`CLOSED `, reached from ESTABLISHED and below).
fn place(node: &str) -> Option<(usize, i64)> {
    Some(match node {
        "CLOSED" => (1, 0),
        "LISTEN" => (1, 1),
        "SYN-RECEIVED" => (0, 2),
        "SYN-SENT" => (2, 2),
        "ESTABLISHED" => (1, 3),
        "FIN-WAIT-1" => (0, 4),
        "CLOSE-WAIT" => (2, 4),
        "FIN-WAIT-2" => (0, 5),
        "CLOSING" => (1, 5),
        "LAST-ACK" => (2, 5),
        "TIME-WAIT" => (1, 6),
        "CLOSED " => (2, 6),
        _ => return None,
    })
}

/// Where the small CLOSED of a state's unfigured moves to CLOSED sits, from the state
/// (the centre of its top edge), in free space of Figure 5's layout.
fn tag_offset(node: &str) -> (i64, i64) {
    match node {
        "SYN-RECEIVED" => (-60, -80),
        "ESTABLISHED" => (0, 38),
        "FIN-WAIT-1" => (-90, 34),
        "FIN-WAIT-2" => (-40, 40),
        "CLOSE-WAIT" => (60, 34),
        _ => (0, 40),
    }
}

/// The states whose moves to CLOSED Figure 5 draws (to the top CLOSED for the first
/// two, to the bottom one for the others).
const DRAWN_TO_CLOSED: [&str; 4] = ["LISTEN", "SYN-SENT", "TIME-WAIT", "LAST-ACK"];

type P = (f64, f64);

#[derive(Clone, Copy)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn around((x, y): P, w: f64, h: f64) -> Rect {
        Rect {
            x0: x - w / 2.0,
            y0: y - h / 2.0,
            x1: x + w / 2.0,
            y1: y + h / 2.0,
        }
    }
    fn contains(&self, (x, y): P) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }
    fn grow(&self, by: f64) -> Rect {
        Rect {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }
    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

fn bezier(a: P, c: P, b: P, t: f64) -> P {
    let u = 1.0 - t;
    (
        u * u * a.0 + 2.0 * u * t * c.0 + t * t * b.0,
        u * u * a.1 + 2.0 * u * t * c.1 + t * t * b.1,
    )
}

/// The control point of a curve from `a` to `b` bowed `bow` px to its left.
fn control(a: P, b: P, bow: f64) -> P {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (nx, ny) = (dy / len, -dx / len);
    ((a.0 + b.0) / 2.0 + nx * bow, (a.1 + b.1) / 2.0 + ny * bow)
}

/// One arrow of the picture: a group of transitions with the same ends and origin.
struct Edge {
    from: String,
    to: String,
    origin: Origin,
    /// Its causes, one a line, each with the place the RFC describes it.
    lines: Vec<String>,
    /// Ends in the small CLOSED beside `from`.
    tag: bool,
}

fn class(o: Origin) -> &'static str {
    match o {
        Origin::Figure5 => "fig",
        Origin::Rfc => "rfc",
        Origin::Model => "model",
    }
}

/// The lines of a group's label: each cause, and where the RFC has it; a long
/// line puts the place on a line of its own.
fn label_lines(causes: &BTreeSet<(String, &'static str)>) -> Vec<String> {
    let mut out = Vec::new();
    for (c, note) in causes {
        // A cause without `/ snd …` next to the same cause with it is the move of a run
        // whose network buffer was full: one line says both.
        if causes
            .iter()
            .any(|(d, _)| d != c && d.starts_with(&format!("{c} / ")))
        {
            continue;
        }
        let c = match c.split_once(':') {
            // "user timeout: retries exhausted (abort, no RST)"
            Some((head, _)) if head == "user timeout" => head.to_string(),
            _ => c.replace(" (not RFC 9293)", ""),
        };
        match *note {
            "" => out.push(c),
            n if c.chars().count() + n.len() > 22 => {
                out.push(c);
                out.push(format!("({n})"));
            }
            n => out.push(format!("{c} ({n})")),
        }
    }
    out
}

/// The transitions drawn on Figure 5's ranks, as an SVG picture 760 px wide.
pub fn svg(ts: &BTreeSet<Transition>) -> String {
    // Group by ends and origin; the actor does not matter here.
    type Causes = BTreeSet<(String, &'static str)>;
    let mut groups: BTreeMap<(String, String, Origin), Causes> = BTreeMap::new();
    for t in ts {
        let (o, note) = origin(t);
        let to = if t.to == "CLOSED"
            && !matches!(
                t.from.as_str(),
                "CLOSED" | "LISTEN" | "SYN-SENT" | "SYN-RECEIVED"
            ) {
            "CLOSED ".to_string()
        } else {
            t.to.clone()
        };
        groups
            .entry((t.from.clone(), to, o))
            .or_default()
            .insert((t.cause.clone(), note));
    }
    let edges: Vec<Edge> = groups
        .into_iter()
        .map(|((from, to, origin), causes)| {
            let tag = to.trim_end() == "CLOSED"
                && from != "CLOSED"
                && !DRAWN_TO_CLOSED.contains(&from.as_str());
            Edge {
                lines: label_lines(&causes),
                from,
                to,
                origin,
                tag,
            }
        })
        .collect();
    // Where each state is; states outside Figure 5 (none today) go in a row below.
    let mut at: BTreeMap<String, P> = BTreeMap::new();
    let mut extra = 0;
    let mut nodes: BTreeSet<String> = BTreeSet::new();
    for e in &edges {
        nodes.insert(e.from.clone());
        if !e.tag {
            nodes.insert(e.to.clone());
        }
    }
    for n in &nodes {
        let p = match place(n) {
            Some((c, r)) => (COLUMNS[c] as f64, (TOP + r * RANK) as f64),
            None => {
                extra += 1;
                ((60 + 140 * (extra - 1)) as f64, (TOP + 7 * RANK) as f64)
            }
        };
        at.insert(n.clone(), p);
    }
    let boxw = |n: &str| 18.0 + NAME_CHAR * n.trim_end().chars().count() as f64;
    let boxes: BTreeMap<String, Rect> = at
        .iter()
        .map(|(n, p)| (n.clone(), Rect::around(*p, boxw(n), BOX_H as f64)))
        .collect();
    // The small CLOSED of each state with moves to CLOSED that Figure 5 leaves out:
    // a box that names them, one line per cause in the colour of its origin.
    // Its box, and its lines with their classes.
    type Tag = (Rect, Vec<(String, &'static str)>);
    let mut tags: BTreeMap<String, Tag> = BTreeMap::new();
    for e in edges.iter().filter(|e| e.tag) {
        let entry = tags.entry(e.from.clone()).or_insert((
            Rect::around((0.0, 0.0), 0.0, 0.0),
            vec![("CLOSED".to_string(), "tagname")],
        ));
        for l in &e.lines {
            entry.1.push((l.clone(), class(e.origin)));
        }
    }
    for (n, (r, lines)) in tags.iter_mut() {
        let w = lines
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(6) as f64
            * LABEL_CHAR
            + 12.0;
        let h = (LABEL_LINE * lines.len() as i64) as f64 + 6.0;
        let b = boxes[n];
        let (dx, dy) = tag_offset(n);
        let cx = (b.x0 + b.x1) / 2.0 + dx as f64;
        let top = if dy >= 0 {
            b.y1 + dy as f64 - BOX_H as f64 / 2.0
        } else {
            b.y0 + dy as f64
        };
        *r = Rect {
            x0: (cx - w / 2.0).max(4.0),
            y0: top,
            x1: (cx - w / 2.0).max(4.0) + w,
            y1: top + h,
        };
    }
    let mut obstacles: Vec<Rect> = boxes.values().copied().collect();
    obstacles.extend(tags.values().map(|(r, _)| *r));

    let bottom = obstacles.iter().map(|r| r.y1 as i64).max().unwrap_or(TOP) + 80;
    let legend_y = bottom + 8;
    let legend = [
        ("fig", "an arrow of Figure 5 (RFC 9293 §3.3.2)"),
        (
            "rfc",
            "only in the notes under Figure 5 or in the RFC's text (named in brackets)",
        ),
        ("model", "only in the model (RFC 9293 has no such move)"),
    ];
    let notes = [
        "CLOSED is drawn twice, as in Figure 5. A grey box beside a state lists its moves",
        "to CLOSED that Figure 5 leaves out (Note 3). Any endpoint of any scenario drawn.",
    ];
    let height = legend_y + 16 * (legend.len() + notes.len()) as i64 + 4;

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" class="synack-states">"#
    );
    o.push_str(concat!(
        "<style>",
        ".synack-states text{font-family:monospace;font-size:11px}",
        ".synack-states .name{font-size:13px;font-weight:bold;fill:#0b4f9c}",
        ".synack-states .tagname{font-size:11px;font-weight:bold;fill:#555}",
        ".synack-states .box{fill:#eef4fb;stroke:#0b4f9c;stroke-width:1.5px}",
        ".synack-states .tag{fill:#f6f6f6;stroke:#888;stroke-width:1px}",
        ".synack-states .halo{fill:#fff;fill-opacity:0.88;stroke:none}",
        ".synack-states path{fill:none;stroke-width:1.6px}",
        ".synack-states path.fig{stroke:#111}",
        ".synack-states path.rfc{stroke:#1565c0;stroke-dasharray:7 3}",
        ".synack-states path.model{stroke:#c62828;stroke-dasharray:2 3}",
        ".synack-states text.fig{fill:#111}",
        ".synack-states text.rfc{fill:#1565c0}",
        ".synack-states text.model{fill:#c62828}",
        ".synack-states .note{fill:#444;font-style:italic}",
        "</style>\n<defs>",
    ));
    for (c, colour) in [("fig", "#111"), ("rfc", "#1565c0"), ("model", "#c62828")] {
        let _ = write!(
            o,
            r##"<marker id="synack-{c}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" style="fill:{colour};stroke:none"/></marker>"##
        );
    }
    o.push_str("</defs>\n");
    let _ = writeln!(
        o,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" style="fill:#fff"/>"##
    );

    // Edges between the same two places are spread apart (both directions).
    let target = |e: &Edge| -> String {
        if e.tag {
            format!("tag:{}", e.from)
        } else {
            e.to.clone()
        }
    };
    let rect_of = |k: &str| -> Rect {
        match k.strip_prefix("tag:") {
            Some(n) => tags[n].0,
            None => boxes[k],
        }
    };
    let centre = |r: &Rect| ((r.x0 + r.x1) / 2.0, (r.y0 + r.y1) / 2.0);
    let pair = |e: &Edge| -> (String, String) {
        let b = target(e);
        if e.from <= b {
            (e.from.clone(), b)
        } else {
            (b, e.from.clone())
        }
    };
    let mut siblings: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, e) in edges.iter().enumerate() {
        siblings.entry(pair(e)).or_default().push(i);
    }
    // Labels are placed once every curve is known: Figure 5's first, on their lines.
    let mut jobs: Vec<(Origin, Vec<P>, &'static str, &[String])> = Vec::new();
    for (i, e) in edges.iter().enumerate() {
        let c = class(e.origin);
        let start_box = boxes[&e.from];
        let a = centre(&start_box);
        if !e.tag && e.from == e.to {
            // A loop below the state.
            let k = edges[..i]
                .iter()
                .filter(|f| !f.tag && f.from == f.to && f.from == e.from)
                .count() as f64;
            let (x, y) = a;
            let r = BOX_H as f64 / 2.0;
            let depth = 44.0 + 22.0 * k;
            let _ = writeln!(
                o,
                r#"<path d="M{:.0} {:.0} C{:.0} {:.0} {:.0} {:.0} {:.0} {:.0}" class="{c}" marker-end="url(#synack-{c})"/>"#,
                x - 30.0,
                y + r,
                x - 70.0,
                y + r + depth,
                x + 70.0,
                y + r + depth,
                x + 30.0,
                y + r
            );
            let ly = y + r + depth * 0.75 + 10.0;
            jobs.push((e.origin, vec![(x, ly)], c, &e.lines));
            continue;
        }
        let key = pair(e);
        let end_box = rect_of(&target(e));
        let b = centre(&end_box);
        let sib = &siblings[&key];
        let k = sib.iter().position(|&j| j == i).unwrap_or(0) as f64;
        let n = sib.len() as f64;
        // In the pair's own orientation, so that opposite edges part.
        let flip = if e.from == key.0 { 1.0 } else { -1.0 };
        let spread = if n > 1.0 {
            (k - (n - 1.0) / 2.0) * 70.0
        } else {
            0.0
        };
        let others: Vec<Rect> = obstacles
            .iter()
            .filter(|r| !same(r, &start_box) && !same(r, &end_box))
            .map(|r| r.grow(5.0))
            .collect();
        // Bow further until the curve clears every other box.
        let clear = |bow: f64| {
            let cp = control(a, b, bow);
            (1..60).all(|s| {
                let p = bezier(a, cp, b, s as f64 / 60.0);
                !others.iter().any(|r| r.contains(p))
            })
        };
        // Figure 5 draws the active OPEN round the right of the picture, outside the
        // moves back to CLOSED.
        let base = if key == ("CLOSED".to_string(), "SYN-SENT".to_string()) {
            (50.0 - spread) * flip
        } else {
            spread * flip
        };
        let bow = [0.0, 40.0, -40.0, 80.0, -80.0, 120.0, -120.0, 160.0, -160.0]
            .iter()
            .map(|x| base + x)
            .find(|b| clear(*b))
            .unwrap_or(base);
        let cp = control(a, b, bow);
        // The visible part: from where the curve leaves its state to where it enters
        // the other.
        let pts: Vec<P> = (0..=64)
            .map(|s| bezier(a, cp, b, s as f64 / 64.0))
            .filter(|p| !start_box.grow(1.0).contains(*p) && !end_box.grow(2.0).contains(*p))
            .collect();
        if pts.len() < 2 {
            continue;
        }
        let mut d = String::new();
        for (j, p) in pts.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.0} {:.0}",
                if j == 0 { "M" } else { " L" },
                p.0,
                p.1
            );
        }
        let _ = writeln!(
            o,
            r#"<path d="{d}" class="{c}" marker-end="url(#synack-{c})"/>"#
        );
        if e.tag {
            continue;
        }
        // On the curve, near its middle first; then beside it, on its outer side.
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let side = if bow >= 0.0 { 1.0 } else { -1.0 };
        let (nx, ny) = (side * dy / len, -side * dx / len);
        let mut candidates: Vec<P> = Vec::new();
        for off in [0.0, 16.0, -16.0, 30.0, -30.0, 46.0, -46.0] {
            for t in [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74] {
                let p = bezier(a, cp, b, t);
                candidates.push((p.0 + nx * off, p.1 + ny * off));
            }
        }
        jobs.push((e.origin, candidates, c, &e.lines));
    }
    jobs.sort_by_key(|j| j.0);
    let mut placed: Vec<Rect> = Vec::new();
    let mut texts = String::new();
    for (_, candidates, c, lines) in &jobs {
        put_label(&mut texts, &mut placed, &obstacles, candidates, c, lines);
    }
    for (n, p) in &at {
        let r = boxes[n];
        let _ = writeln!(
            o,
            r#"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{BOX_H}" rx="5" class="box"/>"#,
            r.x0,
            r.y0,
            r.x1 - r.x0
        );
        let _ = writeln!(
            o,
            r#"<text x="{:.0}" y="{:.0}" text-anchor="middle" class="name">{}</text>"#,
            p.0,
            p.1 + 4.5,
            escape(n.trim_end())
        );
    }
    for (r, lines) in tags.values() {
        let _ = writeln!(
            o,
            r#"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{:.0}" rx="6" class="tag"/>"#,
            r.x0,
            r.y0,
            r.x1 - r.x0,
            r.y1 - r.y0
        );
        for (k, (l, c)) in lines.iter().enumerate() {
            let _ = writeln!(
                o,
                r#"<text x="{:.0}" y="{:.0}" text-anchor="middle" class="{c}">{}</text>"#,
                (r.x0 + r.x1) / 2.0,
                r.y0 + 2.0 + LABEL_LINE as f64 * (k as f64 + 1.0) - 2.0,
                escape(l)
            );
        }
    }
    o.push_str(&texts);
    for (k, (c, what)) in legend.iter().enumerate() {
        let y = legend_y + 16 * k as i64;
        let _ = writeln!(
            o,
            r#"<path d="M12 {y} L52 {y}" class="{c}" marker-end="url(#synack-{c})"/>"#
        );
        let _ = writeln!(
            o,
            r#"<text x="60" y="{}" class="{c}">{}</text>"#,
            y + 4,
            escape(what)
        );
    }
    for (k, l) in notes.iter().enumerate() {
        let _ = writeln!(
            o,
            r#"<text x="12" y="{}" class="note">{}</text>"#,
            legend_y + 16 * (legend.len() + k) as i64 + 4,
            escape(l)
        );
    }
    o.push_str("</svg>\n");
    o
}

fn same(a: &Rect, b: &Rect) -> bool {
    a.x0 == b.x0 && a.y0 == b.y0 && a.x1 == b.x1 && a.y1 == b.y1
}

/// Writes `lines` on a white ground centred on the first of `candidates` where they
/// overlap neither a state nor an earlier label (else on the first).
fn put_label(
    o: &mut String,
    placed: &mut Vec<Rect>,
    obstacles: &[Rect],
    candidates: &[P],
    class: &str,
    lines: &[String],
) {
    let w = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * LABEL_CHAR + 6.0;
    let h = (LABEL_LINE * lines.len() as i64) as f64 + 3.0;
    let fits = |p: &P| {
        // Inside the picture.
        let x = p.0.clamp(w / 2.0 + 2.0, WIDTH as f64 - w / 2.0 - 2.0);
        let r = Rect::around((x, p.1), w, h);
        let free = !obstacles
            .iter()
            .chain(placed.iter())
            .any(|o| o.grow(2.0).overlaps(&r));
        (free, r)
    };
    let (_, r) = candidates
        .iter()
        .map(fits)
        .find(|(free, _)| *free)
        .unwrap_or_else(|| fits(&candidates[0]));
    placed.push(r);
    let _ = writeln!(
        o,
        r#"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{:.0}" class="halo"/>"#,
        r.x0,
        r.y0,
        r.x1 - r.x0,
        r.y1 - r.y0
    );
    let cx = (r.x0 + r.x1) / 2.0;
    for (k, l) in lines.iter().enumerate() {
        let y = r.y0 + LABEL_LINE as f64 * (k as f64 + 1.0) - 1.0;
        let _ = writeln!(
            o,
            r#"<text x="{cx:.0}" y="{y:.0}" text-anchor="middle" class="{class}">{}</text>"#,
            escape(l)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(from: &str, to: &str, cause: &str) -> Transition {
        Transition {
            actor: "client".into(),
            from: from.into(),
            to: to.into(),
            cause: cause.into(),
        }
    }

    #[test]
    fn origins_follow_figure_5_its_notes_and_the_text() {
        let o = |from, to, cause| origin(&t(from, to, cause));
        assert_eq!(
            o("ESTABLISHED", "FIN-WAIT-1", "CLOSE / snd FIN,ACK").0,
            Origin::Figure5
        );
        // A full buffer: the same arrow without its segment.
        assert_eq!(o("CLOSE-WAIT", "LAST-ACK", "CLOSE").0, Origin::Figure5);
        assert_eq!(
            o("SYN-RECEIVED", "LISTEN", "rcv RST"),
            (Origin::Figure5, "Note 1")
        );
        assert_eq!(
            o("FIN-WAIT-1", "TIME-WAIT", "rcv FIN,ACK / snd ACK"),
            (Origin::Rfc, "Note 2")
        );
        assert_eq!(
            o("SYN-SENT", "CLOSED", "rcv RST,ACK"),
            (Origin::Rfc, "Note 3")
        );
        assert_eq!(o("SYN-SENT", "CLOSED", "CLOSE").0, Origin::Figure5);
        assert_eq!(
            o("SYN-RECEIVED", "ESTABLISHED", "rcv SYN,ACK"),
            (Origin::Rfc, "Figure 7")
        );
        assert_eq!(
            o("SYN-RECEIVED", "ESTABLISHED", "rcv ACK").0,
            Origin::Figure5
        );
        assert_eq!(
            o("TIME-WAIT", "TIME-WAIT", "rcv FIN,ACK / snd ACK").0,
            Origin::Rfc
        );
        assert_eq!(
            o(
                "LAST-ACK",
                "CLOSED",
                "user timeout: retries exhausted (abort, no RST)"
            ),
            (Origin::Rfc, "§3.10.8")
        );
        assert_eq!(
            o("FIN-WAIT-2", "CLOSED", "FIN-WAIT-2 timeout (not RFC 9293)").0,
            Origin::Model
        );
        assert_eq!(
            o("ESTABLISHED", "CLOSED", "crash: the host loses its TCB").0,
            Origin::Model
        );
    }

    #[test]
    fn states_sit_on_figure_5s_ranks_and_text_is_escaped() {
        let set: BTreeSet<Transition> = [
            t("CLOSED", "SYN-SENT", "active OPEN / snd SYN"),
            t("SYN-SENT", "ESTABLISHED", "rcv SYN,ACK / snd ACK"),
            t("ESTABLISHED", "FIN-WAIT-1", "CLOSE / snd FIN,ACK"),
            t("FIN-WAIT-1", "CLOSED", "rcv RST"),
            t("TIME-WAIT", "CLOSED", "2MSL timeout"),
            t("ESTABLISHED", "<b>", "x & y"),
        ]
        .into_iter()
        .collect();
        let svg = svg(&set);
        let y_of = |name: &str| -> f64 {
            let at = svg.find(&format!(">{name}</text>")).expect(name);
            let head = &svg[..at];
            let y = head.rfind(" y=\"").unwrap() + 4;
            head[y..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(y_of("CLOSED") < y_of("SYN-SENT"));
        assert!(y_of("SYN-SENT") < y_of("ESTABLISHED"));
        assert!(y_of("ESTABLISHED") < y_of("FIN-WAIT-1"));
        assert!(y_of("FIN-WAIT-1") < y_of("TIME-WAIT"));
        // The unfigured move to CLOSED ends in a box beside FIN-WAIT-1.
        assert!(svg.contains(r#"class="tag""#));
        assert!(svg.contains("&lt;b&gt;") && svg.contains("x &amp; y"));
        assert!(!svg.contains("<b>"));
    }
}
