//! # synack
//!
//! What happens after a click on `http://www.rbooks.top/mypage?userid=0`, written as
//! model-checked protocol specifications. The layers, in reading order:
//!
//! - [`wire`]: the timed network, a stateright `Model` composing actors over segments
//!   in flight with an age, MSL, loss, duplication, reordering and clock ticks;
//! - [`tcp`]: RFC 9293 connection management as a stateright `Actor`;
//! - [`h2`]: HTTP/2 framing, HPACK, streams and GOAWAY between a browser and an origin;
//! - [`scenario`]: the scenario file format of `models/*.toml`;
//! - [`check`]: scenario → checker run → report, and the liveness checker;
//! - [`simulate`]: seeded random walks over the same model, for what is too big to exhaust;
//! - [`report`]: reports and traces as text, JSON, Mermaid and pcap;
//! - [`replay`]: conformance, a trace or a real capture replayed against a model;
//! - [`cli`]: the `synack` command line.

pub mod check;
pub mod cli;
pub mod dns;
pub mod explore;
pub mod h2;
pub mod http;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod simulate;
pub mod tcp;
pub mod wire;

/// Model checking clones and frees millions of small states: mimalloc does that
/// several times faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
