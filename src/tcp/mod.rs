//! RFC 9293 connection management as a stateright `Actor`.
//!
//! Read in this order: [`state`] (the eleven states of Figure 5), [`segment`]
//! (control bits, sequence arithmetic in a small space), [`tcb`] (the TCB, the user
//! calls OPEN, SEND, CLOSE, ABORT and the timeouts), [`arrive`] (SEGMENT ARRIVES,
//! §3.10.7), [`endpoint`] (a host with one connection and a small application, the
//! stateright actor), [`model`] (scenarios' models and their properties).

pub mod arrive;
pub mod endpoint;
pub(crate) mod flat;
pub mod model;
pub mod segment;
pub mod state;
pub mod tcb;

pub use endpoint::{CloseWhen, Endpoint, Host, HostConfig, Open, Timer};
pub use segment::{Ctl, Payload, Segment, SeqSpace};
pub use state::State;
pub use tcb::{
    CloseCall, Effects, Handshake, Outcome, Signal, SimultaneousOpen, Tcb, TcpConfig, TcpTimer,
};

#[cfg(test)]
mod tests;
