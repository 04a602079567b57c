//! The eleven connection states of RFC 9293 §3.3.2 (Figure 5).

use std::fmt;

/// A connection state, printed as RFC 9293 spells it (`SYN-SENT`, `TIME-WAIT`, …).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum State {
    /// No TCB exists (RFC 9293: "fictional because it represents the state when there
    /// is no TCB").
    Closed,
    /// Waiting for a connection request from any remote TCP peer and port.
    Listen,
    /// Waiting for a matching connection request after having sent one.
    SynSent,
    /// Waiting for a confirming connection request acknowledgment after having both
    /// received and sent a connection request.
    SynReceived,
    /// An open connection: data received can be delivered to the user.
    Established,
    /// Waiting for a connection termination request from the remote peer, or an
    /// acknowledgment of the one previously sent.
    FinWait1,
    /// Waiting for a connection termination request from the remote peer.
    FinWait2,
    /// Waiting for a connection termination request from the local user.
    CloseWait,
    /// Waiting for a connection termination request acknowledgment from the remote peer.
    Closing,
    /// Waiting for an acknowledgment of the connection termination request previously
    /// sent to the remote peer (which includes an acknowledgment of its request).
    LastAck,
    /// Waiting for enough time to pass to be sure the remote peer received the
    /// acknowledgment of its connection termination request, and to avoid new
    /// connections being impacted by delayed segments from previous connections.
    TimeWait,
}

impl State {
    /// All eleven states, in the order of RFC 9293 §3.3.2.
    pub const ALL: [State; 11] = [
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
        State::Closed,
    ];

    /// The RFC's spelling.
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// Whether the connection is synchronized (RFC 9293 §3.5.2: ESTABLISHED and later).
    pub fn is_synchronized(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}
