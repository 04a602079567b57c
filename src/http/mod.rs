//! HTTP/1.1 over the RFC 9293 TCP actors: the browser, the origin, and the page-load
//! model. Messages are real bytes ([`message`]), parsed with `httparse`.

pub mod message;
pub mod model;
pub mod node;

#[cfg(test)]
mod tests;
