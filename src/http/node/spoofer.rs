//! An off-path spoofer: a host that cannot see the browser's query but knows the name
//! server's address and the name being looked up (it may have caused the lookup, as in
//! Kaminsky's attack). It races the name server with forged replies: each claims the
//! name server's address and port 53 as its source, and carries the spoofer's address
//! as the answer. It must guess the query's ID and the resolver's source port (RFC
//! 5452 §3, §9.1); the checker makes every guess.
//!
//! The model's choice of timing: the spoofer sends all its forgeries at the start, when
//! the first query leaves; a forgery lives as long as any datagram (MSL).

use super::*;

/// `[http.dns_spoofer]`: what the spoofer forges and the guesses it may make.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SpooferConfig {
    /// The address its forged replies give as the answer.
    pub answer: [u8; 4],
    /// The query IDs it may guess.
    pub ids: Vec<u16>,
    /// The resolver's source ports it may guess.
    pub ports: Vec<u16>,
    /// Forged datagrams it sends, one guess each.
    pub forgeries: u8,
}

impl Node {
    fn spoofer(&self) -> &SpooferConfig {
        self.cfg
            .spoofer
            .as_ref()
            .expect("a spoofer actor has a spoofer config")
    }

    /// The checker picks the spoofer's next guess: an (ID, port) pair.
    fn spoofer_guess(&self, o: &mut Out<Node>) {
        let s = self.spoofer();
        let guesses = s
            .ids
            .iter()
            .flat_map(|&id| s.ports.iter().map(move |&port| Pick::Guess(id, port)))
            .collect();
        o.choose_random("guess", guesses);
    }

    pub(super) fn spoofer_start(&self, o: &mut Out<Node>) -> NodeState {
        let n = self.spoofer().forgeries;
        if n > 0 {
            self.spoofer_guess(o);
        }
        NodeState::Spoofer(n)
    }

    /// The spoofer sends one forged reply for its guess (`id`, `port`), to the browser,
    /// claiming to be the name server.
    pub(super) fn spoofer_forge(&self, left: &mut u8, id: u16, port: u16, o: &mut Out<Node>) {
        if *left == 0 {
            return;
        }
        *left -= 1;
        let forged = Dns::response(id, port, &self.cfg.host, Some(self.spoofer().answer));
        o.send(Id::from(BROWSER), Packet::Udp(forged));
        if *left > 0 {
            self.spoofer_guess(o);
        }
    }
}
