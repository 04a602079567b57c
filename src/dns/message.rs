//! DNS datagrams as they travel: a UDP header's ports, the IP source address, and the
//! RFC 1035 §4 message in wire format, encoded and parsed with the `simple-dns` crate.
//!
//! Only what a stub resolver and a name server of one A record need: a query with one
//! question (§4.1.2), and a response that copies the ID and the question and carries
//! the A record (§3.4.1) or RCODE 3, NXDOMAIN (§4.1.1).

use simple_dns::rdata::{RData, A};
use simple_dns::{
    Name, Packet, PacketFlag, Question, ResourceRecord, CLASS, QCLASS, QTYPE, RCODE, TYPE,
};
use std::fmt;
use std::sync::Arc;

/// The name server's port (RFC 1035 §4.2.1: "UDP port 53").
pub const DNS_PORT: u16 = 53;

/// The name server's address, as datagrams carry it in the IP source field. A
/// documentation address (RFC 5737 TEST-NET-1): the model's choice.
pub const NAME_SERVER_ADDR: [u8; 4] = [192, 0, 2, 53];

/// The TTL the name server gives its A record (seconds; no cache in the model reads it).
const TTL: u32 = 300;

/// One UDP datagram of DNS: who it claims to come from, its ports, and the message
/// bytes. Nothing authenticates `src_addr`: an off-path host may write any address
/// there (RFC 5452 §3).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Dns {
    /// The IP source address.
    pub src_addr: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    /// The RFC 1035 message, in wire format.
    pub bytes: Arc<[u8]>,
}

/// A DNS message as the model reads it: the header's ID and QR bit, the question's
/// name (type A, class IN), and the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    pub response: bool,
    pub name: String,
    /// The question asks for an A record of class IN.
    pub a_in: bool,
    /// In a response: the A record's address, or `None` (NXDOMAIN, or no A record).
    pub addr: Option<[u8; 4]>,
}

impl Message {
    /// Parses RFC 1035 wire format. `None` for anything that is not one well-formed
    /// message with exactly one question (§4.1.2: QDCOUNT is 1 in practice).
    pub fn parse(bytes: &[u8]) -> Option<Message> {
        let p = Packet::parse(bytes).ok()?;
        let [q] = p.questions.as_slice() else {
            return None;
        };
        let name = q.qname.to_string();
        let addr = p.answers.iter().find_map(|rr| match &rr.rdata {
            RData::A(a) if rr.name == q.qname => Some(a.address.to_be_bytes()),
            _ => None,
        });
        Some(Message {
            id: p.id(),
            response: p.has_flags(PacketFlag::RESPONSE),
            name: name.trim_end_matches('.').to_string(),
            a_in: q.qtype == QTYPE::TYPE(TYPE::A) && q.qclass == QCLASS::CLASS(CLASS::IN),
            addr: if p.rcode() == RCODE::NoError {
                addr
            } else {
                None
            },
        })
    }

    /// The message in wire format.
    pub fn encode(&self) -> Vec<u8> {
        let mut p = if self.response {
            Packet::new_reply(self.id)
        } else {
            Packet::new_query(self.id)
        };
        // A stub resolver asks for recursion (RD, §4.1.1); the server copies the bit.
        p.set_flags(PacketFlag::RECURSION_DESIRED);
        let qname = Name::new_unchecked(&self.name);
        p.questions.push(Question::new(
            qname.clone(),
            QTYPE::TYPE(TYPE::A),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
        if self.response {
            p.set_flags(PacketFlag::RECURSION_AVAILABLE);
            match self.addr {
                Some(a) => p.answers.push(ResourceRecord::new(
                    qname,
                    CLASS::IN,
                    TTL,
                    RData::A(A {
                        address: u32::from_be_bytes(a),
                    }),
                )),
                None => *p.rcode_mut() = RCODE::NameError,
            }
        }
        p.build_bytes_vec_compressed()
            .expect("a name the scenario validated encodes")
    }
}

impl Dns {
    /// A query for `name`'s A record, with ID `id`, from port `port` of the browser.
    pub fn query(id: u16, port: u16, name: &str) -> Dns {
        let m = Message {
            id,
            response: false,
            name: name.to_string(),
            a_in: true,
            addr: None,
        };
        Dns {
            src_addr: [0; 4], // the browser's address; no one reads it
            src_port: port,
            dst_port: DNS_PORT,
            bytes: Arc::from(m.encode()),
        }
    }

    /// A response to `port` that claims to come from the name server, with ID `id`,
    /// the question for `name`, and `addr` as its answer (`None`: NXDOMAIN).
    pub fn response(id: u16, port: u16, name: &str, addr: Option<[u8; 4]>) -> Dns {
        let m = Message {
            id,
            response: true,
            name: name.to_string(),
            a_in: true,
            addr,
        };
        Dns {
            src_addr: NAME_SERVER_ADDR,
            src_port: DNS_PORT,
            dst_port: port,
            bytes: Arc::from(m.encode()),
        }
    }

    /// The message, parsed from the bytes; `None` when they are malformed.
    pub fn message(&self) -> Option<Message> {
        Message::parse(&self.bytes)
    }
}

/// A trace label parsed from the bytes: `DNS query id=1 A www.rbooks.top?`,
/// `DNS reply id=1 www.rbooks.top A 47.102.119.234`. The resolver's port is named
/// when it is not 53 (the port of scenarios in which ports play no part):
/// `DNS reply id=2 www.rbooks.top A 6.6.6.6 (port 1025)`.
impl fmt::Display for Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(m) = self.message() else {
            return write!(f, "UDP datagram of {} bytes, not DNS", self.bytes.len());
        };
        let port = if m.response {
            self.dst_port
        } else {
            self.src_port
        };
        if !m.response {
            write!(f, "DNS query id={} A {}?", m.id, m.name)?;
        } else {
            match m.addr {
                Some([a, b, c, d]) => {
                    write!(f, "DNS reply id={} {} A {a}.{b}.{c}.{d}", m.id, m.name)?
                }
                None => write!(f, "DNS reply id={} {} NXDOMAIN", m.id, m.name)?,
            }
        }
        if port != DNS_PORT {
            write!(f, " (port {port})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_rfc_1035_wire_format() {
        let q = Dns::query(0x1234, 1025, "www.rbooks.top");
        // Header (§4.1.1): ID, then QR=0 OPCODE=0 RD=1, QDCOUNT=1, no other records.
        assert_eq!(
            &q.bytes[..12],
            &[0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        );
        // Question (§4.1.2): the name as labels, QTYPE A (1), QCLASS IN (1).
        assert_eq!(
            &q.bytes[12..],
            b"\x03www\x06rbooks\x03top\x00\x00\x01\x00\x01"
        );
        assert_eq!(
            q.to_string(),
            "DNS query id=4660 A www.rbooks.top? (port 1025)"
        );
    }

    #[test]
    fn a_response_parses_back_with_its_answer_or_nxdomain() {
        let r = Dns::response(7, 53, "www.rbooks.top", Some([47, 102, 119, 234]));
        let m = r.message().unwrap();
        assert!(m.response && m.a_in);
        assert_eq!((m.id, m.addr), (7, Some([47, 102, 119, 234])));
        assert_eq!(
            r.to_string(),
            "DNS reply id=7 www.rbooks.top A 47.102.119.234"
        );
        let nx = Dns::response(7, 53, "www.rbooks.top", None);
        assert_eq!(nx.message().unwrap().addr, None);
        assert_eq!(nx.to_string(), "DNS reply id=7 www.rbooks.top NXDOMAIN");
    }

    #[test]
    fn malformed_bytes_are_no_message() {
        let mut d = Dns::response(7, 53, "www.rbooks.top", Some([1, 2, 3, 4]));
        let cut = d.bytes.len() - 3;
        d.bytes = Arc::from(&d.bytes[..cut]);
        assert_eq!(d.message(), None);
        assert_eq!(
            d.to_string(),
            format!("UDP datagram of {cut} bytes, not DNS")
        );
        d.bytes = Arc::from(&b"\x00\x07"[..]);
        assert_eq!(d.message(), None);
    }
}
