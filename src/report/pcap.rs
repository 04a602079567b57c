//! A trace as a pcap file that Wireshark and tshark open.
//!
//! The capture is what the receivers' interfaces see: one packet for every delivery
//! of the trace (a duplicate delivered twice appears twice; a lost segment does not
//! appear). Each role gets the IPv4 address 10.0.0.N (N = its index + 1). A TCP
//! connection's active opener (the sender of the first SYN without ACK between two
//! roles) uses port 49152, its peer port 80. Sequence and acknowledgment numbers are
//! the model's own, unchanged; a data chunk, which takes one sequence number in the
//! model, is written as one byte of payload, so that Wireshark's sequence analysis
//! agrees with the model's. A message without TCP flags (a DNS datagram) is a UDP
//! datagram to or from port 53 carrying the message's label. Packets are
//! timestamped with the trace's time (one tick is one second), 1 ms apart.

use super::Step;
use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;
use std::time::Duration;

fn addr(roles: &[String], role: &str) -> [u8; 4] {
    let i = roles.iter().position(|r| r == role).unwrap_or(roles.len());
    [10, 0, 0, (i + 1).min(254) as u8]
}

fn mac(ip: [u8; 4]) -> [u8; 6] {
    [2, 0, ip[0], ip[1], ip[2], ip[3]]
}

/// The bytes of a pcap file with the deliveries of `steps`.
pub fn pcap(roles: &[String], steps: &[Step]) -> Result<Vec<u8>, String> {
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header).map_err(|e| e.to_string())?;
    // Active openers per unordered pair of roles.
    let mut openers: Vec<(String, String)> = Vec::new();
    let mut n = 0u64;
    for st in steps {
        let Some(seg) = &st.segment else { continue };
        if !st.action.starts_with("deliver") {
            continue;
        }
        let (src, dst) = (addr(roles, &seg.from), addr(roles, &seg.to));
        let eth = PacketBuilder::ethernet2(mac(src), mac(dst)).ipv4(src, dst, 64);
        let mut bytes = Vec::new();
        let f = &seg.flags;
        let written = if f.is_empty() {
            // A datagram: the resolver side uses port 53.
            let dns = |r: &str| r.contains("resolver") || r.contains("dns") || r.contains("server");
            let (sp, dp) = if dns(&seg.from) && !dns(&seg.to) {
                (53, 49153)
            } else {
                (49153, 53)
            };
            let payload = st.summary.as_bytes();
            eth.udp(sp, dp).write(&mut bytes, payload)
        } else {
            if f.contains('S') && !f.contains('A') {
                let pair = (seg.from.clone(), seg.to.clone());
                let rev = (seg.to.clone(), seg.from.clone());
                if !openers.contains(&pair) && !openers.contains(&rev) {
                    openers.push(pair);
                }
            }
            let client = openers.iter().any(|(a, b)| *a == seg.from && *b == seg.to);
            let server = openers.iter().any(|(a, b)| *a == seg.to && *b == seg.from);
            // Without a SYN seen, the role listed first is the client.
            let from_is_client = client
                || !server
                    && roles.iter().position(|r| *r == seg.from)
                        < roles.iter().position(|r| *r == seg.to);
            let (sp, dp) = if from_is_client {
                (49152, 80)
            } else {
                (80, 49152)
            };
            let mut t = eth.tcp(sp, dp, seg.seq.unwrap_or(0), 65535);
            if f.contains('S') {
                t = t.syn();
            }
            if f.contains('F') {
                t = t.fin();
            }
            if f.contains('R') {
                t = t.rst();
            }
            if f.contains('P') {
                t = t.psh();
            }
            if f.contains('A') {
                t = t.ack(seg.ack.unwrap_or(0));
            }
            if f.contains('U') {
                t = t.urg(0);
            }
            let control = f.contains('S') as u32 + f.contains('F') as u32;
            let data = seg.len.saturating_sub(control) as usize;
            t.write(&mut bytes, &vec![b'D'; data])
        };
        written.map_err(|e| e.to_string())?;
        let ts = Duration::from_secs(st.time as u64) + Duration::from_millis(n);
        n += 1;
        w.write_packet(&PcapPacket::new(ts, bytes.len() as u32, &bytes))
            .map_err(|e| e.to_string())?;
    }
    Ok(w.into_writer())
}
