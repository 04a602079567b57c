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
    /// The index of the actor that armed it.
    pub actor: u8,
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

/// The timer, then the four small fields as one string of bytes (one word to mix
/// instead of four).
impl<T: std::hash::Hash> std::hash::Hash for Armed<T> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.timer.hash(h);
        h.write(&[self.actor, self.lo, self.hi, u8::from(self.timed)]);
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

/// The armed timers of every actor, as one table sorted by actor, then timer, so
/// that equal sets hash equally.
///
/// One flat table, copied in one go: a successor state copies every actor's timers,
/// and a table per actor (a vector of vectors) cost a copy, a length to hash and a
/// sequence to encode and decode per actor.
#[derive(Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Timers<T>(pub smallvec::SmallVec<[Armed<T>; 8]>);

/// No timer armed (a derived `Default` would ask `T: Default`).
impl<T> Default for Timers<T> {
    fn default() -> Self {
        Timers(smallvec::SmallVec::new())
    }
}

/// A copy of the armed timers in one go (the derived `Clone` pushed them one by one).
impl<T: Copy> Clone for Timers<T> {
    fn clone(&self) -> Self {
        Timers(smallvec::SmallVec::from_slice(&self.0))
    }
}

impl<T: Ord + Clone> Timers<T> {
    /// Where `actor`'s `timer` is, or would go.
    fn find(&self, actor: u8, timer: &T) -> Result<usize, usize> {
        self.0
            .binary_search_by(|a| a.actor.cmp(&actor).then_with(|| a.timer.cmp(timer)))
    }

    /// Arms (or re-arms) `actor`'s `timer` for `lo..hi` ticks.
    pub fn set(&mut self, actor: u8, timer: T, lo: u8, hi: u8) {
        let hi = hi.max(lo);
        let at = self.find(actor, &timer);
        let armed = Armed {
            actor,
            timer,
            lo,
            hi,
            timed: hi > 0,
        };
        match at {
            Ok(i) => self.0[i] = armed,
            Err(i) => self.0.insert(i, armed),
        }
    }

    /// Disarms `actor`'s `timer`; disarming an unarmed timer is no error.
    pub fn cancel(&mut self, actor: u8, timer: &T) {
        if let Ok(i) = self.find(actor, timer) {
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

    pub fn get(&self, actor: u8, timer: &T) -> Option<&Armed<T>> {
        self.find(actor, timer).ok().map(|i| &self.0[i])
    }

    /// Every armed timer, by actor, then timer.
    pub fn iter(&self) -> impl Iterator<Item = &Armed<T>> {
        self.0.iter()
    }

    /// `actor`'s armed timers, by timer.
    pub fn of(&self, actor: u8) -> impl Iterator<Item = &Armed<T>> {
        self.0.iter().filter(move |a| a.actor == actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_becomes_due_at_its_deadline_and_blocks_time() {
        let mut t = Timers::default();
        t.set(0, "rto", 1, 2);
        assert!(!t.get(0, &"rto").unwrap().may_fire());
        t.tick();
        assert!(t.get(0, &"rto").unwrap().may_fire());
        assert!(!t.any_due());
        t.tick();
        assert!(t.any_due());
    }

    #[test]
    fn a_timer_without_deadline_is_never_due() {
        let mut t = Timers::default();
        t.set(0, "crash", 0, NO_DEADLINE);
        for _ in 0..300 {
            t.tick();
        }
        assert!(!t.any_due());
        assert!(t.get(0, &"crash").unwrap().may_fire());
    }

    #[test]
    fn rearming_replaces_and_cancel_removes() {
        let mut t = Timers::default();
        t.set(0, "b", 3, 3);
        t.set(0, "a", 1, 1);
        t.set(0, "b", 0, 0);
        assert_eq!(t.0.len(), 2);
        assert_eq!(t.0[0].timer, "a");
        assert!(t.get(0, &"b").unwrap().is_due());
        t.cancel(0, &"b");
        t.cancel(0, &"zzz");
        assert_eq!(t.0.len(), 1);
    }

    #[test]
    fn the_table_keeps_each_actors_timers_apart_and_in_order() {
        let mut t = Timers::default();
        t.set(1, "b", 2, 2);
        t.set(0, "b", 3, 3);
        t.set(1, "a", 1, 1);
        t.set(0, "c", 4, 4);
        let order: Vec<(u8, &str)> = t.iter().map(|a| (a.actor, a.timer)).collect();
        assert_eq!(order, [(0, "b"), (0, "c"), (1, "a"), (1, "b")]);
        assert_eq!(t.get(0, &"b").map(|a| a.lo), Some(3));
        assert_eq!(t.get(1, &"b").map(|a| a.lo), Some(2));
        assert!(t.get(1, &"c").is_none());
        t.cancel(1, &"b");
        assert_eq!(t.get(0, &"b").map(|a| a.lo), Some(3));
        let of1: Vec<&str> = t.of(1).map(|a| a.timer).collect();
        assert_eq!(of1, ["a"]);
        // The same timers armed in another order are the same table.
        let mut u = Timers::default();
        u.set(0, "c", 4, 4);
        u.set(1, "a", 1, 1);
        u.set(0, "b", 3, 3);
        assert_eq!(t, u);
    }
}
