//! The browser's stub resolver on the wire: which ID and source port each transmission
//! of the query gets, and where the answer leads.

use super::*;

impl Node {
    /// The browser sends the next transmission of its query. A predictable resolver
    /// (no `dns_ids`) numbers them 1, 2, 3, ...; with `dns_ids` the checker picks the
    /// ID, and with several `dns_ports` the port, afresh for each transmission (RFC
    /// 5452 §9.2; picking afresh per transmission is the model's choice).
    pub(super) fn dns_query(&self, b: &mut Browser, o: &mut Out<Node>) {
        let ids = match &self.cfg.dns_ids {
            Some(ids) => ids.clone(),
            None => vec![b.resolver.next_sequential_id()],
        };
        let ports = &self.cfg.dns_ports;
        if let ([id], [port]) = (ids.as_slice(), ports.as_slice()) {
            return self.dns_send(b, *id, *port, o);
        }
        let picks = ids
            .iter()
            .flat_map(|&id| ports.iter().map(move |&port| Pick::DnsQuery(id, port)))
            .collect();
        o.choose_random("query", picks);
    }

    /// The browser sends its query with ID `id` from `port`, and sets its timer.
    pub(super) fn dns_send(&self, b: &mut Browser, id: u16, port: u16, o: &mut Out<Node>) {
        let q = b.resolver.query_from(&self.cfg.host, id, port);
        o.send(Id::from(NAME_SERVER), Packet::Udp(q));
        set(o, NodeTimer::DnsRetry, self.cfg.dns_rto, self.cfg.dns_rto);
    }

    /// Whether address `a` is a host outside the model. The wire routes by actor, not
    /// by address: the origin (or the gateway) holds the zone's address, and any other
    /// address, such as a spoofer's forged answer, leads out of the model.
    pub(super) fn elsewhere(&self, a: [u8; 4]) -> bool {
        crate::dns::lookup(&self.cfg.zone, &self.cfg.host) != Some(a)
    }
}
