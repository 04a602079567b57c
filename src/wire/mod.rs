//! The timed network: segments in flight with an age, MSL, loss, duplication,
//! reordering and clock ticks; the stateright `Model` that composes actors over it.

pub mod bytes;
pub mod chunks;
pub mod flat;
pub mod model;
pub mod network;
pub mod svg;
pub mod text;
pub mod timer;

pub use bytes::Bytes;
pub use chunks::Chunks;
pub use model::{
    key_of, ActionOf, Clock, Fairness, StateOf, Wire, WireAction, WireActor, WireState,
};
pub use network::{Faults, InFlight};
pub use text::Text;
pub use timer::{Armed, Timers, NO_DEADLINE};
