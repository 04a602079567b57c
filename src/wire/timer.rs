//! Actor timers on the timed wire.
//!
//! An actor arms a timer with `Out::set_timer(timer, lo..hi)`. The wire reads the range
//! in ticks (one tick is one second of `Duration`): the timer may fire at any tick from
//! `lo` on, and must fire before the `Tick` that would pass `hi`. A range whose end is
//! 255 s or more has no deadline: the timer may fire at any time from `lo` on, and time
//! never forces it.

use std::time::Duration;

/// A deadline that time never reaches.
pub const NO_DEADLINE: u8 = u8::MAX;

/// One armed timer: ticks left until it may fire, and until it must.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Armed<T> {
    pub timer: T,
    /// Ticks until the timer may fire (0: it may fire now).
    pub lo: u8,
    /// Ticks until the timer must have fired (0: it is due, time cannot pass);
    /// [`NO_DEADLINE`] when it has none.
    pub hi: u8,
    /// Armed for a time (a timeout), not for "at once" (`0..0`, an application's
    /// next call): at its deadline it yields to segments at the end of their life.
    pub timed: bool,
}

/// The timer, then the three small fields as one string of bytes (one word to mix
/// instead of three).
impl<T: std::hash::Hash> std::hash::Hash for Armed<T> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.timer.hash(h);
        h.write(&[self.lo, self.hi, u8::from(self.timed)]);
    }
}

impl<T> Armed<T> {
    /// Whether the timer may fire now.
    pub fn may_fire(&self) -> bool {
        self.lo == 0
    }

    /// Whether the timer must fire before time may advance.
    pub fn is_due(&self) -> bool {
        self.hi == 0
    }
}

/// Converts a `Duration` to whole ticks, saturating at [`NO_DEADLINE`].
pub fn ticks(d: Duration) -> u8 {
    d.as_secs().min(NO_DEADLINE as u64) as u8
}

/// The armed timers of one actor, sorted by timer so that equal sets hash equally.
#[derive(Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Timers<T>(pub smallvec::SmallVec<[Armed<T>; 3]>);

/// A copy of the armed timers in one go (the derived `Clone` pushed them one by one,
/// and every successor state clones every actor's timers).
impl<T: Copy> Clone for Timers<T> {
    fn clone(&self) -> Self {
        Timers(smallvec::SmallVec::from_slice(&self.0))
    }
}

impl<T: Ord + Clone> Timers<T> {
    /// Arms (or re-arms) `timer` for `lo..hi` ticks.
    pub fn set(&mut self, timer: T, lo: u8, hi: u8) {
        let hi = hi.max(lo);
        let armed = Armed {
            timer,
            lo,
            hi,
            timed: hi > 0,
        };
        match self.0.binary_search_by(|a| a.timer.cmp(&armed.timer)) {
            Ok(i) => self.0[i] = armed,
            Err(i) => self.0.insert(i, armed),
        }
    }

    /// Disarms `timer`; disarming an unarmed timer is no error.
    pub fn cancel(&mut self, timer: &T) {
        if let Ok(i) = self.0.binary_search_by(|a| a.timer.cmp(timer)) {
            self.0.remove(i);
        }
    }

    /// Whether some timer is due, so that time cannot advance.
    pub fn any_due(&self) -> bool {
        self.0.iter().any(Armed::is_due)
    }

    /// Advances time by one tick.
    pub fn tick(&mut self) {
        for a in &mut self.0 {
            a.lo = a.lo.saturating_sub(1);
            if a.hi != NO_DEADLINE {
                a.hi = a.hi.saturating_sub(1);
            }
        }
    }

    pub fn get(&self, timer: &T) -> Option<&Armed<T>> {
        self.0
            .binary_search_by(|a| a.timer.cmp(timer))
            .ok()
            .map(|i| &self.0[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Armed<T>> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_becomes_due_at_its_deadline_and_blocks_time() {
        let mut t = Timers::default();
        t.set("rto", 1, 2);
        assert!(!t.get(&"rto").unwrap().may_fire());
        t.tick();
        assert!(t.get(&"rto").unwrap().may_fire());
        assert!(!t.any_due());
        t.tick();
        assert!(t.any_due());
    }

    #[test]
    fn a_timer_without_deadline_is_never_due() {
        let mut t = Timers::default();
        t.set("crash", 0, NO_DEADLINE);
        for _ in 0..300 {
            t.tick();
        }
        assert!(!t.any_due());
        assert!(t.get(&"crash").unwrap().may_fire());
    }

    #[test]
    fn rearming_replaces_and_cancel_removes() {
        let mut t = Timers::default();
        t.set("b", 3, 3);
        t.set("a", 1, 1);
        t.set("b", 0, 0);
        assert_eq!(t.0.len(), 2);
        assert_eq!(t.0[0].timer, "a");
        assert!(t.get(&"b").unwrap().is_due());
        t.cancel(&"b");
        t.cancel(&"zzz");
        assert_eq!(t.0.len(), 1);
    }
}
