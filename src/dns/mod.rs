//! DNS over UDP: a stub resolver and a name server exchanging RFC 1035 messages, in
//! wire format, on the lossy, duplicating, reordering wire.
//!
//! The resolver sends a query and retransmits it on timeout, a bounded number of times
//! (RFC 1035 §4.2.1: "the resolver should retransmit ... a limited number of times").
//! Each transmission carries an ID and leaves from a source port; the model's resolver
//! picks both afresh for every transmission, either predictably (IDs 1, 2, 3, ... from
//! one fixed port) or from the sets the scenario gives, where the checker makes the
//! pick (RFC 5452 §9.2: an unpredictable ID and source port).
//!
//! A reply is taken if it answers any transmission of the question: RFC 1035 §7.3, "If
//! the resolver retransmits a particular request to a name server it should be able to
//! use a response from any of the transmissions." What "answers" means is RFC 5452
//! §9.1: the response's source address and port are the name server's, its destination
//! port is the query's source port, and its ID and question are the query's. Anything
//! else, including a datagram that does not parse, is ignored.

pub mod message;

pub use message::{Dns, Message, DNS_PORT, NAME_SERVER_ADDR};

/// The zone the name server answers from.
pub fn lookup(zone: &[(String, [u8; 4])], name: &str) -> Option<[u8; 4]> {
    zone.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, a)| *a)
}

/// The name server's answer to a query: same ID, same question, to the port the query
/// came from (RFC 1035 §4.1.1: the ID is copied into the corresponding reply).
/// Anything that is not a query gets nothing.
pub fn answer(zone: &[(String, [u8; 4])], q: &Dns) -> Option<Dns> {
    let m = q.message().filter(|m| !m.response && m.a_in)?;
    Some(Dns::response(
        m.id,
        q.src_port,
        &m.name,
        lookup(zone, &m.name),
    ))
}

/// The stub resolver's state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolver {
    /// Every transmission of the question so far: its ID and source port.
    pub sent: smallvec::SmallVec<[(u16, u16); 2]>,
    /// The accepted answer: `Some(None)` is NXDOMAIN.
    pub answer: Option<Option<[u8; 4]>>,
    /// Ghost: which transmission the accepted reply answered (an index into `sent`).
    pub accepted: Option<u8>,
    /// Ghost: before the answer, a datagram arrived that answered no transmission, and
    /// was ignored.
    pub mismatched: bool,
}

/// The small fields hash as one string of bytes (tags, the address, flags), then
/// each transmission as one word, where the derived `Hash` mixed a word per field.
impl std::hash::Hash for Resolver {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Resolver {
            sent,
            answer,
            accepted,
            mismatched,
        } = self;
        let (tag, [a, b, c, d]) = match answer {
            None => (0, [0; 4]),
            Some(None) => (1, [0; 4]),
            Some(Some(ip)) => (2, *ip),
        };
        h.write(&[
            tag,
            a,
            b,
            c,
            d,
            u8::from(accepted.is_some()),
            accepted.unwrap_or(0),
            u8::from(*mismatched),
        ]);
        h.write_usize(sent.len());
        for &(id, port) in sent {
            h.write_u32(u32::from(id) << 16 | u32::from(port));
        }
    }
}

impl Resolver {
    pub fn new() -> Resolver {
        Resolver {
            sent: smallvec::SmallVec::new(),
            answer: None,
            accepted: None,
            mismatched: false,
        }
    }

    /// Queries sent so far.
    pub fn tries(&self) -> u8 {
        self.sent.len() as u8
    }

    /// The ID a predictable resolver gives its next transmission: 1, 2, 3, ...
    pub fn next_sequential_id(&self) -> u16 {
        self.sent.len() as u16 + 1
    }

    /// The next transmission of the question for `name`, with ID `id`, from `port`.
    pub fn query_from(&mut self, name: &str, id: u16, port: u16) -> Dns {
        self.sent.push((id, port));
        Dns::query(id, port, name)
    }

    /// The next transmission, predictably: the next sequential ID, from port 53.
    pub fn query(&mut self, name: &str) -> Dns {
        let id = self.next_sequential_id();
        self.query_from(name, id, DNS_PORT)
    }

    // ANCHOR: reply
    /// Takes a reply if it answers any transmission of the question for `name` (RFC
    /// 1035 §7.3) by every attribute RFC 5452 §9.1 lists; ignores it otherwise.
    pub fn reply(&mut self, name: &str, d: &Dns) -> bool {
        if self.answer.is_some() {
            return false; // the lookup is over: a duplicate, or a reply to another copy
        }
        let from_server = d.src_addr == NAME_SERVER_ADDR && d.src_port == DNS_PORT;
        let matched = d
            .message()
            .filter(|m| m.response && m.a_in && m.name.eq_ignore_ascii_case(name) && from_server);
        let which = matched.as_ref().and_then(|m| {
            self.sent
                .iter()
                .position(|&(id, port)| id == m.id && port == d.dst_port)
        });
        match (matched, which) {
            (Some(m), Some(i)) => {
                self.answer = Some(m.addr);
                self.accepted = Some(i as u8);
                true
            }
            _ => {
                self.mismatched = true;
                false
            }
        }
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

    const NAME: &str = "www.rbooks.top";
    const ADDR: [u8; 4] = [47, 102, 119, 234];

    fn zone() -> Vec<(String, [u8; 4])> {
        vec![(NAME.to_string(), ADDR)]
    }

    #[test]
    fn a_reply_to_an_earlier_transmission_is_accepted_rfc_1035_7_3() {
        let mut r = Resolver::new();
        let q1 = r.query(NAME);
        let _q2 = r.query(NAME); // the retransmission, after a timeout, with ID 2
        let late = answer(&zone(), &q1).unwrap();
        assert!(r.reply(NAME, &late));
        assert_eq!((r.answer, r.accepted), (Some(Some(ADDR)), Some(0)));
        // The reply to the second transmission, after it: the lookup is over.
        let mut r2 = r.clone();
        let q2 = Dns::query(2, DNS_PORT, NAME);
        assert!(!r2.reply(NAME, &answer(&zone(), &q2).unwrap()));
        assert_eq!(r2, r);
    }

    #[test]
    fn a_reply_must_match_id_port_address_and_question_rfc_5452_9_1() {
        let fresh = || {
            let mut r = Resolver::new();
            r.query_from(NAME, 7, 1025);
            r
        };
        let good = Dns::response(7, 1025, NAME, Some(ADDR));
        let wrong_id = Dns::response(8, 1025, NAME, Some(ADDR));
        let wrong_port = Dns::response(7, 1026, NAME, Some(ADDR));
        let other_name = Dns::response(7, 1025, "rbooks.top", Some(ADDR));
        let mut other_server = good.clone();
        other_server.src_addr = [6, 6, 6, 6];
        let mut other_source_port = good.clone();
        other_source_port.src_port = 5353;
        let a_query = Dns::query(7, 1025, NAME);
        for bad in [
            &wrong_id,
            &wrong_port,
            &other_name,
            &other_server,
            &other_source_port,
            &a_query,
        ] {
            let mut r = fresh();
            assert!(!r.reply(NAME, bad), "{bad}");
            assert_eq!((r.answer, r.mismatched), (None, true), "{bad}");
        }
        let mut r = fresh();
        assert!(r.reply(NAME, &good));
        assert_eq!(r.answer, Some(Some(ADDR)));
    }

    #[test]
    fn a_malformed_datagram_is_ignored() {
        let mut r = Resolver::new();
        let q = r.query(NAME);
        let mut d = answer(&zone(), &q).unwrap();
        let cut = d.bytes.len() - 2; // the A record's RDATA, cut short
        d.bytes = std::sync::Arc::from(&d.bytes[..cut]);
        assert!(!r.reply(NAME, &d));
        assert_eq!(r.answer, None);
        // The whole reply still gets through afterwards.
        assert!(r.reply(NAME, &answer(&zone(), &q).unwrap()));
    }

    #[test]
    fn the_name_server_answers_queries_only_and_says_nxdomain_for_other_names() {
        let q = Dns::query(9, 1024, "x.rbooks.top");
        let r = answer(&zone(), &q).unwrap();
        assert_eq!(r.dst_port, 1024);
        assert_eq!(r.message().unwrap().addr, None);
        assert_eq!(answer(&zone(), &r), None);
    }
}
