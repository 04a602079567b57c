//! A page-load node's packed form (`crate::wire::flat`), written by hand: its TCBs as
//! a TCP host's are, its small fields a byte or two each. Through postcard, decoding
//! and encoding the nodes took a quarter of a page-load run's instructions.

use super::{Browser, Gateway, NodeState, Origin, OriginConn, OriginFault, Shown};
use crate::dns::Resolver;
use crate::http::message::Framing;
use crate::tcp::Tcb;
use crate::wire::flat::{put_varint, take_bytes, take_len, Flat};
use crate::wire::{Bytes, Text};

const FAULTS: [OriginFault; 6] = [
    OriginFault::Answers,
    OriginFault::Crash,
    OriginFault::Reset,
    OriginFault::Invalid,
    OriginFault::Silent,
    OriginFault::ApplyThenCrash,
];

const FRAMINGS: [Framing; 3] = [Framing::ContentLength, Framing::Close, Framing::Chunked];

/// A tag, and the status or the address when it has one.
impl Flat for Shown {
    fn put(&self, out: &mut Vec<u8>) {
        match *self {
            Shown::Page(s) => {
                out.push(0);
                s.put(out);
            }
            Shown::ErrorPage(s) => {
                out.push(1);
                s.put(out);
            }
            Shown::DnsFailed => out.push(2),
            Shown::NoSuchHost => out.push(3),
            Shown::ConnectionFailed => out.push(4),
            Shown::Timeout => out.push(5),
            Shown::TooManyRedirects => out.push(6),
            Shown::InvalidRedirect => out.push(7),
            Shown::BadResponse => out.push(8),
            Shown::Elsewhere(a) => {
                out.push(9);
                out.extend_from_slice(&a);
            }
            Shown::Incomplete => out.push(10),
        }
    }
    fn take(inp: &mut &[u8]) -> Option<Shown> {
        let [tag] = take_bytes(inp)?;
        Some(match tag {
            0 => Shown::Page(u16::take(inp)?),
            1 => Shown::ErrorPage(u16::take(inp)?),
            2 => Shown::DnsFailed,
            3 => Shown::NoSuchHost,
            4 => Shown::ConnectionFailed,
            5 => Shown::Timeout,
            6 => Shown::TooManyRedirects,
            7 => Shown::InvalidRedirect,
            8 => Shown::BadResponse,
            9 => Shown::Elsewhere(take_bytes(inp)?),
            10 => Shown::Incomplete,
            _ => return None,
        })
    }
}

/// The transmissions (a length, then each ID and port), the answer (a tag and an
/// address), the accepted transmission and the flag.
impl Flat for Resolver {
    fn put(&self, out: &mut Vec<u8>) {
        let Resolver {
            sent,
            answer,
            accepted,
            mismatched,
        } = self;
        put_varint(sent.len() as u64, out);
        for (id, port) in sent {
            id.put(out);
            port.put(out);
        }
        match answer {
            None => out.push(0),
            Some(None) => out.push(1),
            Some(Some(a)) => {
                out.push(2);
                out.extend_from_slice(a);
            }
        }
        accepted.put(out);
        mismatched.put(out);
    }
    fn take(inp: &mut &[u8]) -> Option<Resolver> {
        let n = take_len(inp)?;
        let mut sent = smallvec::SmallVec::new();
        for _ in 0..n {
            sent.push((u16::take(inp)?, u16::take(inp)?));
        }
        let answer = match take_bytes::<1>(inp)? {
            [0] => None,
            [1] => Some(None),
            [2] => Some(Some(take_bytes(inp)?)),
            _ => return None,
        };
        Some(Resolver {
            sent,
            answer,
            accepted: take_opt(inp)?,
            mismatched: bool::take(inp)?,
        })
    }
}

/// An optional value ([`Option`]'s own `take` would shadow [`Flat::take`]).
fn take_opt<T: Flat>(inp: &mut &[u8]) -> Option<Option<T>> {
    <Option<T> as Flat>::take(inp)
}

impl Flat for Browser {
    fn put(&self, out: &mut Vec<u8>) {
        let Browser {
            resolver,
            conns,
            cur,
            target,
            method,
            redirects,
            retry_after,
            sent,
            answered,
            awaiting,
            reused,
            retried,
            shown,
            last_status,
            get_failed,
            rx,
            page_len,
            held_body,
            got_continue,
        } = self;
        resolver.put(out);
        put_varint(conns.len() as u64, out);
        for t in conns {
            t.put(out);
        }
        out.extend_from_slice(&[
            *cur,
            *redirects,
            *sent,
            *answered,
            *page_len,
            u8::from(*retry_after)
                | u8::from(*awaiting) << 1
                | u8::from(*reused) << 2
                | u8::from(*retried) << 3
                | u8::from(*get_failed) << 4
                | u8::from(*got_continue) << 5,
        ]);
        target.put(out);
        method.put(out);
        shown.put(out);
        match last_status {
            None => out.push(0),
            Some((s, r)) => {
                out.push(1);
                s.put(out);
                out.push(*r);
            }
        }
        rx.put(out);
        held_body.put(out);
    }
    fn take(inp: &mut &[u8]) -> Option<Browser> {
        let resolver = Resolver::take(inp)?;
        let n = take_len(inp)?;
        let mut conns = smallvec::SmallVec::new();
        for _ in 0..n {
            conns.push(Tcb::take(inp)?);
        }
        let [cur, redirects, sent, answered, page_len, f] = take_bytes(inp)?;
        let flag = |i: u32| f >> i & 1 == 1;
        let target = take_opt::<Text>(inp)?;
        let method = take_opt::<Text>(inp)?;
        let shown = take_opt::<Shown>(inp)?;
        let last_status = match take_bytes::<1>(inp)? {
            [0] => None,
            [1] => Some((u16::take(inp)?, u8::take(inp)?)),
            _ => return None,
        };
        Some(Browser {
            resolver,
            conns,
            cur,
            target,
            method,
            redirects,
            retry_after: flag(0),
            sent,
            answered,
            awaiting: flag(1),
            reused: flag(2),
            retried: flag(3),
            shown,
            last_status,
            get_failed: flag(4),
            rx: Bytes::take(inp)?,
            page_len,
            held_body: take_opt(inp)?,
            got_continue: flag(5),
        })
    }
}

impl Flat for OriginConn {
    fn put(&self, out: &mut Vec<u8>) {
        let OriginConn {
            tcb,
            idle_closed,
            pending,
            rx,
        } = self;
        tcb.put(out);
        idle_closed.put(out);
        pending.put(out);
        rx.put(out);
    }
    fn take(inp: &mut &[u8]) -> Option<OriginConn> {
        Some(OriginConn {
            tcb: Tcb::take(inp)?,
            idle_closed: bool::take(inp)?,
            pending: take_opt(inp)?,
            rx: Bytes::take(inp)?,
        })
    }
}

impl Flat for Origin {
    fn put(&self, out: &mut Vec<u8>) {
        let Origin {
            conns,
            posts_applied,
            served,
            answered,
        } = self;
        put_varint(conns.len() as u64, out);
        for c in conns {
            c.put(out);
        }
        out.push(*posts_applied);
        match served {
            None => out.push(0),
            Some((fault, framing, len)) => {
                out.extend_from_slice(&[1, *fault as u8, *framing as u8, *len]);
            }
        }
        answered.put(out);
    }
    fn take(inp: &mut &[u8]) -> Option<Origin> {
        let n = take_len(inp)?;
        let mut conns = smallvec::SmallVec::new();
        for _ in 0..n {
            conns.push(OriginConn::take(inp)?);
        }
        let [posts_applied] = take_bytes(inp)?;
        let served = match take_bytes::<1>(inp)? {
            [0] => None,
            [1] => {
                let [fault, framing, len] = take_bytes(inp)?;
                Some((
                    *FAULTS.get(usize::from(fault))?,
                    *FRAMINGS.get(usize::from(framing))?,
                    len,
                ))
            }
            _ => return None,
        };
        Some(Origin {
            conns,
            posts_applied,
            served,
            answered: take_opt(inp)?,
        })
    }
}

impl Flat for Gateway {
    fn put(&self, out: &mut Vec<u8>) {
        let Gateway {
            down,
            up,
            request,
            req_rx,
            rx,
            said,
            heard,
        } = self;
        down.put(out);
        up.put(out);
        request.put(out);
        req_rx.put(out);
        rx.put(out);
        said.put(out);
        heard.put(out);
    }
    fn take(inp: &mut &[u8]) -> Option<Gateway> {
        Some(Gateway {
            down: Tcb::take(inp)?,
            up: Tcb::take(inp)?,
            request: take_opt(inp)?,
            req_rx: Bytes::take(inp)?,
            rx: Bytes::take(inp)?,
            said: take_opt(inp)?,
            heard: take_opt(inp)?,
        })
    }
}

/// A tag, then the role's state.
impl Flat for NodeState {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            NodeState::Browser(b) => {
                out.push(0);
                b.put(out);
            }
            NodeState::NameServer => out.push(1),
            NodeState::Origin(o) => {
                out.push(2);
                o.put(out);
            }
            NodeState::Gateway(g) => {
                out.push(3);
                g.put(out);
            }
            NodeState::Spoofer(n) => out.extend_from_slice(&[4, *n]),
        }
    }
    fn take(inp: &mut &[u8]) -> Option<NodeState> {
        let [tag] = take_bytes(inp)?;
        Some(match tag {
            0 => NodeState::Browser(Browser::take(inp)?),
            1 => NodeState::NameServer,
            2 => NodeState::Origin(Origin::take(inp)?),
            3 => NodeState::Gateway(Gateway::take(inp)?),
            4 => NodeState::Spoofer(u8::take(inp)?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_and_framing_is_at_the_index_of_its_discriminant() {
        for (i, f) in FAULTS.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
        for (i, f) in FRAMINGS.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }

    #[test]
    fn every_page_shown_comes_back() {
        let all = [
            Shown::Page(200),
            Shown::ErrorPage(503),
            Shown::DnsFailed,
            Shown::NoSuchHost,
            Shown::ConnectionFailed,
            Shown::Timeout,
            Shown::TooManyRedirects,
            Shown::InvalidRedirect,
            Shown::BadResponse,
            Shown::Elsewhere([6, 6, 6, 6]),
            Shown::Incomplete,
        ];
        for s in all {
            let mut out = Vec::new();
            s.put(&mut out);
            let mut inp = &out[..];
            assert_eq!(Shown::take(&mut inp), Some(s));
            assert!(inp.is_empty());
        }
    }
}
