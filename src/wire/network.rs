//! Segments in flight, their age, and the faults the network may commit.
//!
//! RFC 9293 §3.4.2 assumes that no segment outlives the Maximum Segment Lifetime (MSL);
//! TIME-WAIT and the quiet time are safe only because of it. Here every segment in
//! flight carries its age in ticks. Until its age exceeds MSL it may be delivered, in
//! any order (reordering and delay), dropped (when loss is on), or delivered while a
//! copy stays behind (duplication). The `Tick` that would take it past MSL removes it.

/// The faults and bounds of one scenario's network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Faults {
    /// Maximum Segment Lifetime in ticks: a segment older than this is gone.
    pub msl: u8,
    /// Whether the network may drop a segment at will.
    pub loss: bool,
    /// At most this many segments die undelivered in a run, whether dropped, expired
    /// or refused by a full buffer. `None`: no limit, the network may lose every copy.
    /// A segment whose copy was delivered once does not count when it expires.
    pub loss_budget: Option<u8>,
    /// Whether a delivery may leave a copy behind.
    pub duplication: bool,
    /// At most this many deliveries leave a copy behind in a run (`None`: no limit).
    pub duplication_budget: Option<u8>,
    /// Whether segments between the same two actors may overtake one another. When
    /// off, a segment may not be delivered while an older one on its channel waits
    /// (segments sent at the same tick may still arrive in either order).
    pub reordering: bool,
    /// The network's buffer: a send beyond this many segments in flight is lost.
    pub capacity: u8,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            msl: 2,
            loss: false,
            loss_budget: Some(0),
            duplication: false,
            duplication_budget: Some(0),
            reordering: true,
            capacity: 4,
        }
    }
}

impl Faults {
    /// Whether the network may lose one more segment, having lost `lost`.
    pub fn may_lose(&self, lost: u8) -> bool {
        match self.loss_budget {
            None => true,
            Some(b) => lost < b,
        }
    }

    /// Whether a delivery may leave one more copy behind, having left `duplicated`.
    pub fn may_duplicate(&self, duplicated: u8) -> bool {
        self.duplication
            && match self.duplication_budget {
                None => true,
                Some(b) => duplicated < b,
            }
    }
}

/// One segment (or datagram) in flight.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct InFlight<M> {
    /// Index of the sending actor.
    pub src: u8,
    /// Index of the receiving actor.
    pub dst: u8,
    /// Ticks since it was sent.
    pub age: u8,
    /// Whether a copy of it was delivered already (so this one is a duplicate).
    pub delivered: bool,
    pub msg: M,
}

/// The four small fields hash as one string of bytes (one word to mix instead of
/// four), then the message.
impl<M: std::hash::Hash> std::hash::Hash for InFlight<M> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write(&[self.src, self.dst, self.age, u8::from(self.delivered)]);
        self.msg.hash(h);
    }
}
