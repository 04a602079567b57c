//! HTTP/2 (RFC 9113) with prior knowledge: binary framing ([`frame`]), header
//! compression ([`hpack`], RFC 7541), streams multiplexed on one connection, and
//! GOAWAY, between a browser and an origin ([`node`]); the `model = "h2"` scenarios
//! and their properties ([`model`]).
//!
//! The frames run over a lossless channel below the frames, not over the TCP actors:
//! see [`node::Transport`] and the book's HTTP/2 chapter for what that abstraction
//! removes and why the properties checked here survive it.

pub mod concurrency;
pub mod flow;
pub mod frame;
pub mod hpack;
pub mod model;
pub mod node;
pub mod push;
pub mod tcp;

#[cfg(test)]
mod tests;
