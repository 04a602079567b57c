//! The replay trace format: one observable event a line.
//!
//! ```text
//! # RFC 9293 Figure 6: the three-way handshake
//! @server LISTEN
//! client > server: Flags [S], seq 0
//! server > client: Flags [S.], seq 0, ack 1
//! client > server: Flags [.], seq 1, ack 1
//! @client ESTABLISHED
//! !client CLOSE
//! client > server: Flags [F.], seq 1, ack 1
//! ```
//!
//! - A segment line names its sender and receiver by role, its control bits as tcpdump
//!   prints them (`S`, `F`, `R`, `P`, `.` for ACK; `A` is accepted for ACK too; the
//!   brackets, the word `Flags`, the colon and the commas are optional), `seq`
//!   relative to the sender's ISN, `ack` relative to the receiver's ISN, and
//!   `length`: 1 for a segment that carries one data chunk, 0 (or absent) for none.
//!   `seq N:M` is tcpdump's form of `seq N, length M-N`. PSH, ECE and CWR are
//!   ignored: the model's data segments always push, and it has no congestion control.
//! - `@ROLE STATE` asserts an endpoint's state, spelled as RFC 9293 spells it.
//! - `!ROLE CALL` records an application call: `OPEN`, `SEND`, `CLOSE`, or `CRASH`.
//! - `#` starts a comment.

use crate::tcp::{Ctl, State};
use std::fmt;

/// An application call a trace can record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Call {
    Open,
    Send,
    Close,
    Crash,
}

impl Call {
    pub fn name(self) -> &'static str {
        match self {
            Call::Open => "OPEN",
            Call::Send => "SEND",
            Call::Close => "CLOSE",
            Call::Crash => "CRASH",
        }
    }
}

/// One segment as a trace shows it: numbers relative to the ISNs, in the model's units
/// (a SYN, a data chunk and a FIN take one sequence number each).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegLine {
    pub from: usize,
    pub to: usize,
    /// Control bits without PSH (the model compares SYN, FIN, RST, ACK, URG).
    pub ctl: Ctl,
    /// May be negative: a segment of an earlier incarnation, relative to the current ISN.
    pub seq: i64,
    /// Present exactly when `ctl` has ACK.
    pub ack: Option<i64>,
    /// Data chunks: 0 or 1.
    pub len: u8,
}

/// What a line says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Seg(SegLine),
    State(usize, State),
    Call(usize, Call),
}

/// One line of a trace, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number (or packet number, for a capture).
    pub number: usize,
    pub item: Item,
}

/// The control bits a trace compares: PSH (and ECE, CWR) are not part of the model.
pub fn compared(c: Ctl) -> Ctl {
    Ctl(c.0 & !Ctl::PSH.0)
}

/// tcpdump's flag letters: `S`, `S.`, `F.`, `R.`, `.`.
pub fn tcpdump_flags(c: Ctl) -> String {
    let mut s = String::new();
    for (bit, l) in [
        (Ctl::SYN, 'S'),
        (Ctl::FIN, 'F'),
        (Ctl::RST, 'R'),
        (Ctl::PSH, 'P'),
        (Ctl::URG, 'U'),
        (Ctl::ACK, '.'),
    ] {
        if c.has(bit) {
            s.push(l);
        }
    }
    if s.is_empty() {
        s.push_str("none");
    }
    s
}

/// Renders a segment line as the format reads it, with role names.
pub fn render_seg(s: &SegLine, roles: &[String]) -> String {
    // PSH is not compared; a data segment shows it, as Linux sets it.
    let ctl = if s.len > 0 { s.ctl | Ctl::PSH } else { s.ctl };
    let mut t = format!(
        "{} > {}: Flags [{}], seq {}",
        roles[s.from],
        roles[s.to],
        tcpdump_flags(ctl),
        s.seq
    );
    if let Some(a) = s.ack {
        t.push_str(&format!(", ack {a}"));
    }
    t.push_str(&format!(", length {}", s.len));
    t
}

impl Item {
    pub fn render(&self, roles: &[String]) -> String {
        match self {
            Item::Seg(s) => render_seg(s, roles),
            Item::State(w, st) => format!("@{} {}", roles[*w], st.name()),
            Item::Call(w, c) => format!("!{} {}", roles[*w], c.name()),
        }
    }
}

/// A line the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn role_of(word: &str, roles: &[String]) -> Result<usize, String> {
    roles.iter().position(|r| r == word).ok_or_else(|| {
        format!(
            "unknown endpoint `{word}` (this scenario's endpoints: {})",
            roles.join(", ")
        )
    })
}

fn state_of(word: &str) -> Result<State, String> {
    State::ALL
        .into_iter()
        .find(|s| s.name() == word)
        .ok_or_else(|| {
            let names: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
            format!(
                "unknown state `{word}` (RFC 9293 spells them {})",
                names.join(", ")
            )
        })
}

fn call_of(word: &str) -> Result<Call, String> {
    [Call::Open, Call::Send, Call::Close, Call::Crash]
        .into_iter()
        .find(|c| c.name() == word)
        .ok_or_else(|| {
            format!("unknown application call `{word}` (known: OPEN, SEND, CLOSE, CRASH)")
        })
}

/// Parses tcpdump's flag letters (`S.`, `[F.]`, `none`).
pub fn parse_flags(word: &str) -> Result<Ctl, String> {
    let w = word.trim_start_matches('[').trim_end_matches(']');
    if w == "none" {
        return Ok(Ctl(0));
    }
    if w.is_empty() {
        return Err("empty flags".into());
    }
    let mut c = Ctl(0);
    for ch in w.chars() {
        c = c | match ch {
            'S' => Ctl::SYN,
            'F' => Ctl::FIN,
            'R' => Ctl::RST,
            'P' => Ctl::PSH,
            '.' | 'A' => Ctl::ACK,
            'U' => Ctl::URG,
            // ECN bits: the model has no congestion control.
            'E' | 'W' => Ctl(0),
            _ => return Err(format!("unknown flag `{ch}` in `{word}` (tcpdump's letters are S F R P U E W and . for ACK)")),
        };
    }
    Ok(c)
}

fn number(word: Option<&str>, what: &str) -> Result<i64, String> {
    let w = word.ok_or_else(|| format!("`{what}` needs a number"))?;
    w.parse::<i32>()
        .map(i64::from)
        .map_err(|_| format!("`{what}` needs a number, found `{w}`"))
}

fn parse_seg(from: usize, rest: &str, roles: &[String]) -> Result<SegLine, String> {
    let mut words = rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty());
    let to_word = words
        .next()
        .ok_or("a segment line needs a receiver after `>`")?;
    let to = role_of(to_word.trim_end_matches(':'), roles)?;
    if to == from {
        return Err(format!("`{to_word}` sends to itself"));
    }
    let mut ctl = None;
    let mut seq = None;
    let mut ack = None;
    let mut len = None;
    while let Some(w) = words.next() {
        match w {
            "Flags" | "flags" => {
                ctl = Some(parse_flags(words.next().ok_or("`Flags` needs the flags")?)?)
            }
            "seq" => {
                let v = words.next().ok_or("`seq` needs a number")?;
                if let Some((a, b)) = v.split_once(':') {
                    let a = number(Some(a), "seq")?;
                    let b = number(Some(b), "seq")?;
                    if b < a {
                        return Err(format!("`seq {v}`: the range runs backwards"));
                    }
                    seq = Some(a);
                    len = Some(b - a);
                } else {
                    seq = Some(number(Some(v), "seq")?);
                }
            }
            "ack" => ack = Some(number(words.next(), "ack")?),
            "length" | "len" => len = Some(number(words.next(), "length")?),
            w if ctl.is_none() && (w.starts_with('[') || w.chars().all(|c| "SFRPUEW.A".contains(c))) => {
                ctl = Some(parse_flags(w)?)
            }
            other => return Err(format!("unexpected `{other}` (a segment line reads `client > server: Flags [S.], seq 0, ack 1, length 0`)")),
        }
    }
    let ctl = ctl.ok_or("a segment line needs its flags, e.g. `Flags [S.]`")?;
    let seq = seq.ok_or("a segment line needs `seq N`")?;
    let len = len.unwrap_or(0);
    if !(0..=1).contains(&len) {
        return Err(format!(
            "length {len}: a segment carries at most one data chunk (length 1) in the model's units"
        ));
    }
    match (ctl.has(Ctl::ACK), ack) {
        (true, None) => return Err("an ACK segment needs `ack N`".into()),
        (false, Some(_)) => return Err("`ack` without the ACK flag `.`".into()),
        _ => {}
    }
    Ok(SegLine {
        from,
        to,
        ctl: compared(ctl),
        seq,
        ack,
        len: len as u8,
    })
}

/// Parses one line; `None` for a blank line or a comment.
pub fn parse_line(text: &str, roles: &[String]) -> Result<Option<Item>, String> {
    let text = text.split('#').next().unwrap_or("").trim();
    if text.is_empty() {
        return Ok(None);
    }
    let two = |t: &str| -> Result<(usize, String), String> {
        let mut w = t.split_whitespace();
        let who = role_of(w.next().unwrap_or(""), roles)?;
        let what = w.next().ok_or("missing the word after the endpoint")?;
        if let Some(extra) = w.next() {
            return Err(format!("unexpected `{extra}`"));
        }
        Ok((who, what.to_string()))
    };
    if let Some(rest) = text.strip_prefix('@') {
        let (who, st) = two(rest)?;
        return Ok(Some(Item::State(who, state_of(&st)?)));
    }
    if let Some(rest) = text.strip_prefix('!') {
        let (who, c) = two(rest)?;
        return Ok(Some(Item::Call(who, call_of(&c)?)));
    }
    let Some((from, rest)) = text.split_once('>') else {
        return Err(
            "expected a segment (`client > server: Flags [S], seq 0`), a state (`@server LISTEN`) or a call (`!client CLOSE`)"
                .into(),
        );
    };
    let from = role_of(from.trim(), roles)?;
    parse_seg(from, rest, roles).map(|s| Some(Item::Seg(s)))
}

/// Parses a whole trace.
pub fn parse(text: &str, roles: &[String]) -> Result<Vec<Line>, ParseError> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        match parse_line(l, roles) {
            Ok(Some(item)) => out.push(Line {
                number: i + 1,
                item,
            }),
            Ok(None) => {}
            Err(message) => {
                return Err(ParseError {
                    line: i + 1,
                    message,
                })
            }
        }
    }
    if out.is_empty() {
        return Err(ParseError {
            line: 0,
            message: "the trace has no events".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> Vec<String> {
        vec!["client".into(), "server".into()]
    }

    #[test]
    fn tcpdump_style_lines_parse() {
        let r = roles();
        let l = parse_line("client > server: Flags [S.], seq 0, ack 1", &r).unwrap();
        assert_eq!(
            l,
            Some(Item::Seg(SegLine {
                from: 0,
                to: 1,
                ctl: Ctl::SYN | Ctl::ACK,
                seq: 0,
                ack: Some(1),
                len: 0
            }))
        );
        let l = parse_line("server > client P. seq 1:2 ack 2  # data", &r).unwrap();
        let Some(Item::Seg(s)) = l else { panic!() };
        assert_eq!((s.ctl, s.seq, s.len), (Ctl::ACK, 1, 1));
        assert_eq!(
            render_seg(&s, &r),
            "server > client: Flags [P.], seq 1, ack 2, length 1"
        );
        assert_eq!(
            parse_line("@server LISTEN", &r).unwrap(),
            Some(Item::State(1, State::Listen))
        );
        assert_eq!(
            parse_line("!client CLOSE", &r).unwrap(),
            Some(Item::Call(0, Call::Close))
        );
        assert_eq!(parse_line("   # nothing", &r).unwrap(), None);
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let r = roles();
        let e = |t: &str| parse_line(t, &r).unwrap_err();
        assert!(e("client > server: Flags [S.], seq 0").contains("needs `ack N`"));
        assert!(e("client > browser: Flags [S], seq 0").contains("unknown endpoint `browser`"));
        assert!(e("@server LISTENING").contains("unknown state"));
        assert!(e("!client FLY").contains("unknown application call"));
        assert!(e("client > server: Flags [X], seq 0").contains("unknown flag `X`"));
        assert!(e("client > server: Flags [.], seq 1, ack 1, length 77")
            .contains("at most one data chunk"));
        assert!(e("hello").contains("expected a segment"));
        let err = parse("# only a comment\n", &r).unwrap_err();
        assert!(err.message.contains("no events"));
    }
}
