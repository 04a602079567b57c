//! Segments, control bits and sequence arithmetic in a small sequence space.
//!
//! A data segment carries one whole chunk (one HTTP message, one line of text) and
//! takes one sequence number; SYN and FIN take one each (RFC 9293 §3.4). Sequence
//! numbers live modulo a small space so that incarnations can collide exactly as the
//! RFC warns.

use std::fmt;

/// The bytes one data segment carries, interned ([`crate::wire::Bytes`]).
pub type Payload = crate::wire::Bytes;

/// Control bits (RFC 9293 §3.1).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Ctl(pub u8);

impl Ctl {
    pub const SYN: Ctl = Ctl(1);
    pub const FIN: Ctl = Ctl(2);
    pub const RST: Ctl = Ctl(4);
    pub const PSH: Ctl = Ctl(8);
    pub const ACK: Ctl = Ctl(16);
    pub const URG: Ctl = Ctl(32);

    pub fn has(self, other: Ctl) -> bool {
        self.0 & other.0 == other.0
    }

    /// tcpdump's letters, except A for ACK: `S`, `SA`, `FA`, `R`, `RA`, `PA`.
    pub fn letters(self) -> String {
        [
            (Ctl::SYN, 'S'),
            (Ctl::FIN, 'F'),
            (Ctl::RST, 'R'),
            (Ctl::PSH, 'P'),
            (Ctl::ACK, 'A'),
            (Ctl::URG, 'U'),
        ]
        .iter()
        .filter(|(c, _)| self.has(*c))
        .map(|(_, l)| *l)
        .collect()
    }

    /// The names as a diagram shows them: `SYN`, `SYN,ACK`, `FIN,ACK`, `RST`.
    pub fn names(self) -> String {
        let v: Vec<&str> = [
            (Ctl::SYN, "SYN"),
            (Ctl::FIN, "FIN"),
            (Ctl::RST, "RST"),
            (Ctl::PSH, "PSH"),
            (Ctl::ACK, "ACK"),
            (Ctl::URG, "URG"),
        ]
        .iter()
        .filter(|(c, _)| self.has(*c))
        .map(|(_, l)| *l)
        .collect();
        v.join(",")
    }
}

impl std::ops::BitOr for Ctl {
    type Output = Ctl;
    fn bitor(self, o: Ctl) -> Ctl {
        Ctl(self.0 | o.0)
    }
}

impl fmt::Debug for Ctl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names())
    }
}

/// One TCP segment of the model.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    pub seq: u8,
    /// The acknowledgment number; meaningful only with ACK.
    pub ack: u8,
    pub ctl: Ctl,
    pub data: Option<Payload>,
    /// Ghost: the incarnation of the connection that sent it. No endpoint reads it.
    pub inc: u8,
    /// Ghost: why it was sent ([`Segment::REXMIT`], [`Segment::RST_OF_SYN_SENT`]). No
    /// endpoint reads it; the properties do.
    pub note: u8,
}

/// A segment's small fields hash as one word (where the derived `Hash` mixed one per
/// field), then its payload. The segment is taken apart field by field, so that a
/// field added later is a compile error until it is hashed.
impl std::hash::Hash for Segment {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Segment {
            seq,
            ack,
            ctl,
            data,
            inc,
            note,
        } = self;
        h.write_u64(u64::from_le_bytes([
            *seq,
            *ack,
            ctl.0,
            *inc,
            *note,
            u8::from(data.is_some()),
            0,
            0,
        ]));
        if let Some(d) = data {
            d.hash(h);
        }
    }
}

impl Segment {
    pub fn new(ctl: Ctl, seq: u8, ack: u8, inc: u8) -> Segment {
        Segment {
            seq,
            ack: if ctl.has(Ctl::ACK) { ack } else { 0 },
            ctl,
            data: None,
            inc,
            note: 0,
        }
    }

    /// Ghost note: a retransmission by the endpoint's retransmission timer (not a copy
    /// the network made).
    pub const REXMIT: u8 = 1;
    /// Ghost note: the RST that SYN-SENT sends for an unacceptable ACK (§3.10.7.3,
    /// Figure 8).
    pub const RST_OF_SYN_SENT: u8 = 2;

    /// The segment with a ghost note added.
    pub fn noted(mut self, note: u8) -> Segment {
        self.note |= note;
        self
    }

    /// Whether the ghost note `note` is set.
    pub fn has_note(&self, note: u8) -> bool {
        self.note & note != 0
    }

    pub fn with_data(mut self, data: Payload) -> Segment {
        self.data = Some(data);
        self
    }

    pub fn syn(&self) -> bool {
        self.ctl.has(Ctl::SYN)
    }
    pub fn fin(&self) -> bool {
        self.ctl.has(Ctl::FIN)
    }
    pub fn rst(&self) -> bool {
        self.ctl.has(Ctl::RST)
    }
    pub fn is_ack(&self) -> bool {
        self.ctl.has(Ctl::ACK)
    }

    /// SEG.LEN: the sequence numbers it occupies (SYN, one chunk, FIN).
    pub fn len(&self) -> u8 {
        self.syn() as u8 + self.data.is_some() as u8 + self.fin() as u8
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload as text, for diagrams and traces.
    pub fn text(&self) -> Option<String> {
        self.data
            .as_ref()
            .map(|d| String::from_utf8_lossy(d).into_owned())
    }
}

/// tcpdump-style: `SYN seq=0`, `SYN,ACK seq=4 ack=1`, `ACK seq=1 ack=5 "hello"`.
/// A payload with a line break shows it escaped (`"a\nb"`); an HTTP message shows only
/// its start line.
impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} seq={}", self.ctl.names(), self.seq)?;
        if self.is_ack() {
            write!(f, " ack={}", self.ack)?;
        }
        if let Some(t) = self.text() {
            // An HTTP message shows its start line; any other payload is shown whole,
            // a newline escaped, so a line break never cuts it.
            let first = t.lines().next().unwrap_or("");
            if first.starts_with("HTTP/") || first.ends_with(" HTTP/1.1") {
                write!(f, " {first:?}")?;
            } else {
                write!(f, " {t:?}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} (inc {})", self.inc)
    }
}

/// Arithmetic modulo the scenario's sequence space (RFC 9293 §3.4: "all arithmetic
/// dealing with sequence numbers must be performed modulo 2**32"; here the modulus
/// is small).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SeqSpace(pub u8);

impl SeqSpace {
    pub fn add(self, a: u8, b: u8) -> u8 {
        ((a as u16 + b as u16) % self.0 as u16) as u8
    }

    /// `a - b` modulo the space.
    pub fn sub(self, a: u8, b: u8) -> u8 {
        ((a as u16 + self.0 as u16 - (b as u16 % self.0 as u16)) % self.0 as u16) as u8
    }

    /// `a < b`: `b` lies in the half of the space after `a`.
    pub fn lt(self, a: u8, b: u8) -> bool {
        let d = self.sub(b, a);
        d != 0 && (d as u16) * 2 <= self.0 as u16
    }

    /// `a =< b`.
    pub fn le(self, a: u8, b: u8) -> bool {
        a == b || self.lt(a, b)
    }

    /// `start =< x < start + wnd`.
    pub fn in_window(self, x: u8, start: u8, wnd: u8) -> bool {
        self.sub(x, start) < wnd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_wraps_around_the_space() {
        let s = SeqSpace(8);
        assert_eq!(s.add(7, 1), 0);
        assert_eq!(s.sub(0, 1), 7);
        assert!(s.lt(7, 0));
        assert!(s.lt(6, 1));
        assert!(!s.lt(1, 6));
        assert!(s.le(3, 3));
        assert!(s.in_window(0, 7, 2));
        assert!(!s.in_window(1, 7, 2));
    }

    #[test]
    fn flags_print_as_tcpdump_letters_and_rfc_names() {
        let c = Ctl::SYN | Ctl::ACK;
        assert_eq!(c.letters(), "SA");
        assert_eq!(c.names(), "SYN,ACK");
        let seg = Segment::new(Ctl::FIN | Ctl::ACK, 3, 5, 1);
        assert_eq!(seg.to_string(), "FIN,ACK seq=3 ack=5");
        assert_eq!(seg.len(), 1);
        assert_eq!(Segment::new(Ctl::RST, 2, 9, 1).ack, 0);
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn a_payload_with_a_newline_is_shown_whole_and_an_http_message_by_its_start_line() {
        let data = |t: &str| Segment::new(Ctl::ACK, 1, 1, 1).with_data(Payload::from(t.as_bytes()));
        assert!(
            data("one\ntwo").to_string().ends_with(r#""one\ntwo""#),
            "{}",
            data("one\ntwo")
        );
        let get = data("GET / HTTP/1.1\r\nHost: h\r\n\r\n").to_string();
        assert!(get.ends_with(r#""GET / HTTP/1.1""#), "{get}");
        let ok = data("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").to_string();
        assert!(ok.ends_with(r#""HTTP/1.1 200 OK""#), "{ok}");
    }
}
