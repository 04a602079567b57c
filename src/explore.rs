//! `synack explore`: the stateright Explorer for a scenario.

use crate::cli::Error;
use crate::scenario::Scenario;
use stateright::Model;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

/// Serves the Explorer on `addr` until interrupted.
pub fn serve(scn: &Scenario, addr: &str) -> Result<i32, Error> {
    let sa: SocketAddr = addr
        .to_socket_addrs()
        .map_err(|e| Error::input(format!("bad --addr {addr}")).caused_by(e.to_string()))?
        .next()
        .ok_or_else(|| Error::input(format!("bad --addr {addr}: it names no address")))?;
    // stateright's serve() unwraps its bind: check that the port is free first.
    drop(
        TcpListener::bind(sa)
            .map_err(|e| Error::input(format!("cannot listen on {sa}")).caused_by(e.to_string()))?,
    );
    if !sa.ip().is_loopback() {
        eprintln!(
            "warning: the Explorer has no authentication; {sa} is reachable from other hosts"
        );
    }
    println!("Explorer for {}: http://{sa}/", scn.name);
    let m = crate::tcp::model::build(scn);
    m.checker().serve(sa);
    Ok(0)
}
