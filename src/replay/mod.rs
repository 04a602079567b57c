//! Conformance: replay a trace (a text file, or a real capture) against a scenario's
//! model. Read in this order: [`trace`] (the text format), [`capture`] (a pcap file as
//! a trace: the abstraction), [`search`] (does the model have a matching run?).

pub mod capture;
pub mod search;
pub mod trace;

use crate::cli::Error;
use crate::scenario::Scenario;
use std::fmt::Write;
use std::path::Path;

pub use search::{lines_of_path, replay, Bounds, Verdict};

/// A path of a tcp scenario's model as a trace file in the format of [`trace`], with
/// `comment` at its head, and the `--max-steps` its replay needs.
pub fn trace_file(
    m: &crate::tcp::model::TcpModel,
    steps: &[(
        Option<crate::tcp::model::TcpAction>,
        crate::tcp::model::TcpState,
    )],
    comment: &str,
) -> (String, usize) {
    let (lines, max_steps) = lines_of_path(m, steps);
    let mut o = String::new();
    for l in comment.lines() {
        let _ = writeln!(o, "# {l}");
    }
    for l in &lines {
        let _ = writeln!(o, "{}", l.render(&m.roles));
    }
    (o, max_steps)
}

/// What to replay.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Text(&'a Path),
    Pcap(&'a Path),
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| {
        Error::input(format!("cannot read {}", path.display())).caused_by(e.to_string())
    })
}

/// `synack replay`: prints the verdict, returns the exit code (0 accepted, 1 rejected,
/// 3 the search hit `max_states` before it decided).
pub fn run(scn: &Scenario, src: Source, b: Bounds) -> Result<(i32, String), Error> {
    if scn.model != "tcp" {
        return Err(Error::input(format!(
            "replay needs a tcp scenario; {} is a {} scenario",
            scn.name, scn.model
        )));
    }
    let m = crate::tcp::model::build(scn);
    let (name, lines, note) = match src {
        Source::Text(p) => {
            let bytes = read(p)?;
            let text = String::from_utf8(bytes).map_err(|_| {
                Error::input(format!("bad trace {}", p.display())).caused_by("not UTF-8 text")
            })?;
            let lines = trace::parse(&text, &m.roles).map_err(|e| {
                Error::input(format!("bad trace {}", p.display())).caused_by(if e.line == 0 {
                    format!("{}: {}", p.display(), e.message)
                } else {
                    format!("{}:{}: {}", p.display(), e.line, e.message)
                })
            })?;
            (p.display().to_string(), lines, String::new())
        }
        Source::Pcap(p) => {
            let bytes = read(p)?;
            let c = capture::convert(&bytes)
                .map_err(|e| Error::input(format!("bad capture {}", p.display())).caused_by(e))?;
            let mut note = format!(
                "  client {}:{}, server {}:{}",
                c.endpoints[0].0, c.endpoints[0].1, c.endpoints[1].0, c.endpoints[1].1
            );
            if c.skipped > 0 {
                let _ = write!(
                    note,
                    "; {} packets of other connections left out",
                    c.skipped
                );
            }
            note.push('\n');
            for l in &c.lines {
                let _ = writeln!(
                    note,
                    "  packet {:>3}  {}",
                    l.number,
                    l.item.render(&m.roles)
                );
            }
            (p.display().to_string(), c.lines, note)
        }
    };
    let v = replay(&m, &lines, b);
    let mut o = String::new();
    let what = if v.accepted {
        "accepted".to_string()
    } else if !v.complete {
        "UNDECIDED".to_string()
    } else {
        "REJECTED".to_string()
    };
    let _ = writeln!(
        o,
        "{} {}: {what}, {} of {} lines matched",
        scn.name,
        name,
        v.matched,
        lines.len()
    );
    o.push_str(&note);
    if !v.accepted && v.complete {
        let l = &lines[v.matched];
        let unit = if matches!(src, Source::Pcap(_)) {
            "packet"
        } else {
            "line"
        };
        let _ = writeln!(
            o,
            "  first unmatched: {unit} {}: {}",
            l.number,
            l.item.render(&m.roles)
        );
        let _ = writeln!(o, "  the model allowed there:");
        if v.allowed.is_empty() {
            let _ = writeln!(o, "    no observable event");
        }
        for a in &v.allowed {
            let _ = writeln!(o, "    {a}");
        }
        let _ = writeln!(o, "  in the endpoint states:");
        for s in &v.states_there {
            let _ = writeln!(o, "    {s}");
        }
    }
    let _ = writeln!(
        o,
        "  searched {} states; bound: {} unobservable steps between two lines (--max-steps){}",
        v.states,
        b.max_steps,
        if v.complete {
            String::new()
        } else {
            format!("; stopped at --max-states {}", b.max_states)
        }
    );
    let code = if v.accepted {
        0
    } else if v.complete {
        1
    } else {
        3
    };
    Ok((code, o))
}
