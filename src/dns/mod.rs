//! DNS over UDP: a stub resolver and a name server exchanging datagrams on the lossy,
//! duplicating, reordering wire (RFC 1035).
//!
//! The resolver sends a query, retransmits it on timeout with a fresh ID and gives up
//! after a bound (RFC 1035 §4.2.1: "the resolver should retransmit ... a limited
//! number of times"). It accepts a reply only when ID and question match the query
//! outstanding, so a late reply to an earlier query is ignored (§7.3).

use std::fmt;
use std::sync::Arc;

/// One DNS datagram: a query, or a response with the answer (`None`: NXDOMAIN).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dns {
    pub id: u8,
    pub response: bool,
    pub name: Arc<str>,
    pub addr: Option<[u8; 4]>,
}

impl fmt::Display for Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.response {
            return write!(f, "DNS query id={} A {}?", self.id, self.name);
        }
        match self.addr {
            Some([a, b, c, d]) => write!(
                f,
                "DNS reply id={} {} A {a}.{b}.{c}.{d}",
                self.id, self.name
            ),
            None => write!(f, "DNS reply id={} {} NXDOMAIN", self.id, self.name),
        }
    }
}

impl fmt::Debug for Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The zone the name server answers from.
pub fn lookup(zone: &[(String, [u8; 4])], name: &str) -> Option<[u8; 4]> {
    zone.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, a)| *a)
}

/// The name server's answer to a query.
pub fn answer(zone: &[(String, [u8; 4])], q: &Dns) -> Option<Dns> {
    (!q.response).then(|| Dns {
        id: q.id,
        response: true,
        name: q.name.clone(),
        addr: lookup(zone, &q.name),
    })
}

/// The stub resolver's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resolver {
    /// The ID of the query outstanding.
    pub id: u8,
    /// Queries sent so far.
    pub tries: u8,
    /// The accepted answer: `Some(None)` is NXDOMAIN.
    pub answer: Option<Option<[u8; 4]>>,
    /// Ghost: a reply to an earlier query arrived after its retransmission and was
    /// ignored.
    pub late_ignored: bool,
    /// Ghost: the ID of the reply accepted.
    pub accepted: Option<u8>,
}

impl Resolver {
    pub fn new() -> Resolver {
        Resolver {
            id: 0,
            tries: 0,
            answer: None,
            late_ignored: false,
            accepted: None,
        }
    }

    /// The next query (a fresh ID each time).
    pub fn query(&mut self, name: &Arc<str>) -> Dns {
        self.id = self.id.wrapping_add(1);
        self.tries += 1;
        Dns {
            id: self.id,
            response: false,
            name: name.clone(),
            addr: None,
        }
    }

    // ANCHOR: reply
    /// Takes a reply if it answers the outstanding query; ignores it otherwise.
    pub fn reply(&mut self, name: &str, r: &Dns) -> bool {
        if self.answer.is_some() || !r.response || r.id != self.id || &*r.name != name {
            if self.answer.is_none() && r.response && r.id != self.id {
                self.late_ignored = true;
            }
            return false;
        }
        self.answer = Some(r.addr);
        self.accepted = Some(r.id);
        true
    }
    // ANCHOR_END: reply
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_reply_to_an_earlier_query_is_ignored() {
        let zone = vec![("www.rbooks.top".to_string(), [47, 102, 119, 234])];
        let name: Arc<str> = Arc::from("www.rbooks.top");
        let mut r = Resolver::new();
        let q1 = r.query(&name);
        let q2 = r.query(&name); // the retransmission, after a timeout
        let late = answer(&zone, &q1).unwrap();
        assert!(!r.reply(&name, &late));
        assert!(r.reply(&name, &answer(&zone, &q2).unwrap()));
        assert_eq!(r.answer, Some(Some([47, 102, 119, 234])));
        assert_eq!(
            answer(
                &zone,
                &Dns {
                    id: 9,
                    response: false,
                    name: "x".into(),
                    addr: None
                }
            )
            .unwrap()
            .addr,
            None
        );
    }
}
