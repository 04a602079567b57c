//! A real capture (pcap or pcapng) as a replay trace.
//!
//! The abstraction, in full:
//! - The connection is the first SYN's 4-tuple; its sender is the client. Packets of
//!   other 4-tuples are left out (and counted).
//! - Sequence numbers are taken relative to each endpoint's ISN (the sequence number
//!   of its latest SYN; 0 for an endpoint that never sent one, e.g. a closed port's
//!   RST,ACK).
//! - Every data segment is one model chunk and takes one sequence number, whatever its
//!   byte count; a SYN and a FIN take one each, as in the model. A byte offset that is
//!   not the start of a segment seen before (an ACK into the middle of a segment, a
//!   retransmission cut differently) cannot be shown in chunks and is an error.
//! - TCP options (MSS, window scale, SACK, timestamps), the window, PSH and the ECN
//!   bits are ignored.

use super::trace::{compared, Item, Line, SegLine};
use crate::tcp::Ctl;
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;
use pcap_file::DataLink;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// One TCP packet of a capture.
#[derive(Clone, Debug)]
struct Packet {
    number: usize,
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
    ctl: Ctl,
    seq: u32,
    ack: u32,
    len: u32,
}

/// A capture turned into trace lines, with what was left out.
#[derive(Debug)]
pub struct Converted {
    pub lines: Vec<Line>,
    /// The client's and the server's address.
    pub endpoints: [(IpAddr, u16); 2],
    /// Packets of other connections (or not TCP) that were left out.
    pub skipped: usize,
}

fn tcp_of(number: usize, link: DataLink, data: &[u8]) -> Result<Option<Packet>, String> {
    let sliced = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
        DataLink::NULL | DataLink::LOOP => {
            if data.len() < 4 {
                return Err(format!("packet {number}: shorter than its link header"));
            }
            SlicedPacket::from_ip(&data[4..])
        }
        other => {
            return Err(format!(
                "link type {other:?} is not supported (Ethernet, Linux cooked, raw IP or BSD loopback are)"
            ))
        }
    }
    .map_err(|e| format!("packet {number}: {e}"))?;
    let (src, dst) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => (
            IpAddr::V4(ip.header().source_addr()),
            IpAddr::V4(ip.header().destination_addr()),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            IpAddr::V6(ip.header().source_addr()),
            IpAddr::V6(ip.header().destination_addr()),
        ),
        _ => return Ok(None),
    };
    let Some(TransportSlice::Tcp(t)) = &sliced.transport else {
        return Ok(None);
    };
    let mut ctl = Ctl(0);
    for (on, bit) in [
        (t.syn(), Ctl::SYN),
        (t.fin(), Ctl::FIN),
        (t.rst(), Ctl::RST),
        (t.psh(), Ctl::PSH),
        (t.ack(), Ctl::ACK),
        (t.urg(), Ctl::URG),
    ] {
        if on {
            ctl = ctl | bit;
        }
    }
    Ok(Some(Packet {
        number,
        src: (src, t.source_port()),
        dst: (dst, t.destination_port()),
        ctl,
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        len: t.payload().len() as u32,
    }))
}

/// Reads the TCP packets of a pcap or pcapng file.
fn packets(bytes: &[u8]) -> Result<Vec<Packet>, String> {
    // pcapng files (Wireshark's default) start with a Section Header Block.
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        return packets_ng(bytes);
    }
    let mut r = PcapReader::new(bytes).map_err(|e| format!("not a pcap file: {e}"))?;
    let link = r.header().datalink;
    let mut out = Vec::new();
    let mut number = 0;
    while let Some(p) = r.next_packet() {
        number += 1;
        let p = p.map_err(|e| format!("packet {number}: {e}"))?;
        if let Some(t) = tcp_of(number, link, &p.data)? {
            out.push(t);
        }
    }
    Ok(out)
}

fn packets_ng(bytes: &[u8]) -> Result<Vec<Packet>, String> {
    use pcap_file::pcapng::{Block, PcapNgReader};
    let mut r = PcapNgReader::new(bytes).map_err(|e| format!("not a pcapng file: {e}"))?;
    let mut out = Vec::new();
    let mut number = 0;
    let mut links: Vec<DataLink> = Vec::new();
    while let Some(b) = r.next_block() {
        let b = b.map_err(|e| format!("after packet {number}: {e}"))?;
        let p = match b {
            Block::SectionHeader(_) => {
                links.clear();
                continue;
            }
            Block::InterfaceDescription(i) => {
                links.push(i.linktype);
                continue;
            }
            Block::EnhancedPacket(p) => p,
            _ => continue,
        };
        number += 1;
        let link = *links
            .get(p.interface_id as usize)
            .ok_or_else(|| format!("packet {number}: no interface describes it"))?;
        if let Some(t) = tcp_of(number, link, &p.data)? {
            out.push(t);
        }
    }
    Ok(out)
}

/// One direction's map from byte offsets (relative to its ISN) to model sequence
/// numbers (relative too): the start of every segment seen, and the offset after it.
#[derive(Default)]
struct Chunks {
    isn: Option<u32>,
    at: BTreeMap<u32, u32>,
}

impl Chunks {
    fn syn(&mut self, seq: u32) {
        if self.isn != Some(seq) {
            self.isn = Some(seq);
            self.at = BTreeMap::from([(0, 0), (1, 1)]);
        }
    }

    /// The model number of a byte offset, which must start a segment seen before.
    fn model(&self, raw: u32) -> Result<u32, u32> {
        let Some(isn) = self.isn else {
            return Ok(raw);
        };
        let rel = raw.wrapping_sub(isn);
        self.at.get(&rel).copied().ok_or(rel)
    }

    /// A segment of `bytes` data bytes and `fin` starts at `raw`: record where it ends.
    fn advance(&mut self, raw: u32, bytes: u32, fin: bool) -> Result<(), String> {
        let Some(isn) = self.isn else {
            return Ok(());
        };
        let rel = raw.wrapping_sub(isn);
        let m = self.at[&rel];
        let mut end = (rel.wrapping_add(bytes), m + (bytes > 0) as u32);
        if bytes > 0 {
            self.insert(end)?;
        }
        if fin {
            end = (end.0.wrapping_add(1), end.1 + 1);
            self.insert(end)?;
        }
        Ok(())
    }

    fn insert(&mut self, (rel, m): (u32, u32)) -> Result<(), String> {
        match self.at.insert(rel, m) {
            Some(old) if old != m => Err(format!(
                "byte offset {rel} was chunk {old} and is now chunk {m}: the segments were cut differently"
            )),
            _ => Ok(()),
        }
    }
}

/// Converts a capture into trace lines between the roles `client` (0) and `server` (1).
pub fn convert(bytes: &[u8]) -> Result<Converted, String> {
    let all = packets(bytes)?;
    let first = all
        .iter()
        .find(|p| p.ctl.has(Ctl::SYN) && !p.ctl.has(Ctl::ACK))
        .ok_or("the capture has no SYN: no connection to replay")?;
    let endpoints = [first.src, first.dst];
    let mut dirs = [Chunks::default(), Chunks::default()];
    let mut lines = Vec::new();
    let mut skipped = 0;
    for p in &all {
        let from = if (p.src, p.dst) == (endpoints[0], endpoints[1]) {
            0
        } else if (p.src, p.dst) == (endpoints[1], endpoints[0]) {
            1
        } else {
            skipped += 1;
            continue;
        };
        let to = 1 - from;
        let at = |what: &str, rel: u32| {
            format!(
                "packet {}: {what} byte offset {rel} does not start a segment seen before; \
                 the replay maps every data segment to one chunk and cannot show it",
                p.number
            )
        };
        if p.ctl.has(Ctl::SYN) {
            dirs[from].syn(p.seq);
        }
        let seq = dirs[from]
            .model(p.seq)
            .map_err(|rel| at("its sequence number's", rel))?;
        let ack = if p.ctl.has(Ctl::ACK) {
            Some(
                dirs[to]
                    .model(p.ack)
                    .map_err(|rel| at("its acknowledgment's", rel))?,
            )
        } else {
            None
        };
        dirs[from]
            .advance(p.seq, p.len, p.ctl.has(Ctl::FIN))
            .map_err(|e| format!("packet {}: {e}", p.number))?;
        lines.push(Line {
            number: p.number,
            item: Item::Seg(SegLine {
                from,
                to,
                ctl: compared(p.ctl),
                seq: seq as i64,
                ack: ack.map(i64::from),
                len: (p.len > 0) as u8,
            }),
        });
    }
    Ok(Converted {
        lines,
        endpoints,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};

    const C: [u8; 4] = [127, 0, 0, 1];
    const S: [u8; 4] = [127, 0, 0, 2];

    /// A packet from the client (`up`) or the server, with tcpdump's flag letters.
    fn pkt(up: bool, flags: &str, seq: u32, ack: u32, len: usize) -> Vec<u8> {
        let (src, dst, sp, dp) = if up {
            (C, S, 40000, 80)
        } else {
            (S, C, 80, 40000)
        };
        let mut t = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 1000);
        for f in flags.chars() {
            t = match f {
                'S' => t.syn(),
                'F' => t.fin(),
                'R' => t.rst(),
                'P' => t.psh(),
                '.' => t.ack(ack),
                _ => unreachable!(),
            };
        }
        let mut v = Vec::new();
        t.write(&mut v, &vec![b'x'; len]).unwrap();
        v
    }

    fn pcap(packets: &[Vec<u8>]) -> Vec<u8> {
        let mut w = PcapWriter::with_header(Vec::new(), PcapHeader::default()).unwrap();
        for p in packets {
            w.write_packet(&PcapPacket::new(Default::default(), p.len() as u32, p))
                .unwrap();
        }
        w.into_writer()
    }

    fn rendered(c: &Converted) -> Vec<String> {
        let roles = ["client".to_string(), "server".to_string()];
        c.lines.iter().map(|l| l.item.render(&roles)).collect()
    }

    #[test]
    fn byte_counts_collapse_to_one_chunk_a_segment() {
        // ISNs 1000 and 5000; a 77-byte request, a 40-byte and a 12-byte response.
        let cap = pcap(&[
            pkt(true, "S", 1000, 0, 0),
            pkt(false, "S.", 5000, 1001, 0),
            pkt(true, ".", 1001, 5001, 0),
            pkt(true, "P.", 1001, 5001, 77),
            pkt(false, "P.", 5001, 1078, 40),
            pkt(false, "P.", 5041, 1078, 12),
            pkt(true, ".", 1078, 5053, 0),
            pkt(true, "F.", 1078, 5053, 0),
            pkt(false, "F.", 5053, 1079, 0),
            pkt(true, ".", 1079, 5054, 0),
        ]);
        let c = convert(&cap).unwrap();
        assert_eq!(c.skipped, 0);
        assert_eq!(
            rendered(&c),
            [
                "client > server: Flags [S], seq 0, length 0",
                "server > client: Flags [S.], seq 0, ack 1, length 0",
                "client > server: Flags [.], seq 1, ack 1, length 0",
                "client > server: Flags [P.], seq 1, ack 1, length 1",
                "server > client: Flags [P.], seq 1, ack 2, length 1",
                "server > client: Flags [P.], seq 2, ack 2, length 1",
                "client > server: Flags [.], seq 2, ack 3, length 0",
                "client > server: Flags [F.], seq 2, ack 3, length 0",
                "server > client: Flags [F.], seq 3, ack 3, length 0",
                "client > server: Flags [.], seq 3, ack 4, length 0",
            ]
        );
    }

    #[test]
    fn a_refused_connection_keeps_the_closed_port_at_isn_0() {
        let cap = pcap(&[pkt(true, "S", 7, 0, 0), pkt(false, "R.", 0, 8, 0)]);
        assert_eq!(
            rendered(&convert(&cap).unwrap()),
            [
                "client > server: Flags [S], seq 0, length 0",
                "server > client: Flags [R.], seq 0, ack 1, length 0",
            ]
        );
    }

    #[test]
    fn an_ack_into_the_middle_of_a_segment_cannot_be_shown_in_chunks() {
        let cap = pcap(&[
            pkt(true, "S", 1000, 0, 0),
            pkt(false, "S.", 5000, 1001, 0),
            pkt(true, "P.", 1001, 5001, 100),
            pkt(false, ".", 5001, 1051, 0),
        ]);
        let e = convert(&cap).unwrap_err();
        assert!(
            e.starts_with("packet 4: its acknowledgment's byte offset 51"),
            "{e}"
        );
        assert!(convert(b"not a capture")
            .unwrap_err()
            .starts_with("not a pcap file"));
        assert!(convert(&pcap(&[pkt(true, ".", 1, 1, 0)]))
            .unwrap_err()
            .contains("no SYN"));
    }
}
