//! The timed wire as a stateright [`Model`] that composes stateright [`Actor`]s.
//!
//! stateright's own `ActorModel` has no clock: any timer may fire at any moment and a
//! message may wait forever, which is too weak for TCP (TIME-WAIT is safe only because
//! no segment outlives MSL, RFC 9293 §3.4.2). This model adds a discrete clock:
//!
//! - [`WireAction::Tick`] advances time by one tick. It ages every segment in flight
//!   and removes those older than MSL, and it counts the timers down. It is always
//!   enabled, even when nothing is pending, unless a timer is due or a segment would
//!   expire undelivered beyond the loss budget.
//! - [`WireAction::Deliver`] hands any segment in flight to its receiver; with
//!   `keep_copy` a copy stays behind (duplication).
//! - [`WireAction::Drop`] loses a segment (when loss is on and the budget allows).
//! - [`WireAction::Fire`] fires a timer whose lower bound has passed.
//! - [`WireAction::Choose`] resolves an actor's `Out::choose_random`. A choice is made
//!   at once, before anything else can happen (the model's choice: an ISN is picked at
//!   the instant of the OPEN that needs it). A filter may forbid some values, for
//!   example the idealised ISN clock of §3.4.1; while every value is forbidden the
//!   choice waits and the rest of the system runs.

use super::flat::Flat;
use super::network::{Faults, InFlight};
use super::timer::{ticks, Timers};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use stateright::actor::{Actor, Command, Id, Out};
use stateright::{Model, Property};
use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::{Hash, Hasher};

/// An actor the wire can run: its timers and messages are ordered, so that the
/// global state keeps them sorted and equal states hash equally.
///
/// Every part of the global state can be encoded (serde), so that the checker can
/// keep the BFS frontier packed (`crate::check::engine::pack`).
pub trait WireActor:
    Actor<
    Timer: Ord + Copy + Serialize + DeserializeOwned + Flat,
    Msg: Ord + Serialize + DeserializeOwned + Flat,
    State: Serialize + DeserializeOwned + Flat,
    Random: Serialize + DeserializeOwned + Flat,
>
{
}
impl<A> WireActor for A where
    A: Actor<
        Timer: Ord + Copy + Serialize + DeserializeOwned + Flat,
        Msg: Ord + Serialize + DeserializeOwned + Flat,
        State: Serialize + DeserializeOwned + Flat,
        Random: Serialize + DeserializeOwned + Flat,
    >
{
}

/// The global state: every actor's state, its timers, its pending random choices,
/// and the network.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireState<S, M, T, R> {
    pub actors: Vec<S>,
    /// Every actor's armed timers, in one table.
    pub timers: Timers<T>,
    /// Pending `choose_random` calls, by actor, each actor's in the order it made
    /// them. One vector for all actors: it is empty in most states, and an empty
    /// vector costs nothing to copy.
    pub choices: Vec<Pending<R>>,
    /// Segments in flight, sorted, so that equal multisets hash equally.
    pub flight: Vec<InFlight<M>>,
    /// Segments that died undelivered so far (dropped, expired or refused).
    pub lost: u8,
    /// Deliveries that left a copy behind so far.
    pub duplicated: u8,
    /// With an ISN clock: the clock's reading M (RFC 6528), modulo the sequence space.
    /// The state itself is kept in the clock's frame: every tick shifts every sequence
    /// number by the clock's rate ([`Clock::rotate`]), so that the clock reads 0 and
    /// states that differ only in the time of day are one state. `epoch` adds the
    /// reading back for reports; it is not part of the state's identity (equality and
    /// hash ignore it).
    pub epoch: u8,
}

impl<S: Clone, M: Clone, T: Copy, R: Clone> Clone for WireState<S, M, T, R> {
    fn clone(&self) -> Self {
        WireState {
            actors: self.actors.clone(),
            timers: self.timers.clone(),
            choices: self.choices.clone(),
            flight: self.flight.clone(),
            lost: self.lost,
            duplicated: self.duplicated,
            epoch: self.epoch,
        }
    }
    /// Keeps `self`'s vectors' buffers: the checker writes each successor over a
    /// state of its pool ([`Wire::next_state_into`]).
    fn clone_from(&mut self, o: &Self) {
        self.actors.clone_from(&o.actors);
        self.timers.clone_from(&o.timers);
        self.choices.clone_from(&o.choices);
        self.flight.clone_from(&o.flight);
        self.lost = o.lost;
        self.duplicated = o.duplicated;
        self.epoch = o.epoch;
    }
}

impl<S: PartialEq, M: PartialEq, T: PartialEq, R: PartialEq> PartialEq for WireState<S, M, T, R> {
    fn eq(&self, o: &Self) -> bool {
        self.actors == o.actors
            && self.timers == o.timers
            && self.choices == o.choices
            && self.flight == o.flight
            && self.lost == o.lost
            && self.duplicated == o.duplicated
    }
}

impl<S: Hash, M: Hash, T: Hash, R: Hash> Hash for WireState<S, M, T, R> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.actors.hash(h);
        self.timers.hash(h);
        self.choices.hash(h);
        self.flight.hash(h);
        self.lost.hash(h);
        self.duplicated.hash(h);
    }
}

/// A pending `choose_random` call of `actor`: its key and its values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pending<R> {
    pub actor: u8,
    pub key: String,
    pub values: Vec<R>,
}

/// The wire state of actor type `A`.
pub type StateOf<A> =
    WireState<<A as Actor>::State, <A as Actor>::Msg, <A as Actor>::Timer, <A as Actor>::Random>;

/// What can happen next.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WireAction<M, T, R> {
    /// One tick of time passes.
    Tick,
    /// The segment at `index` in flight reaches `dst`; with `keep_copy` a duplicate
    /// stays in flight.
    Deliver {
        index: usize,
        keep_copy: bool,
        src: usize,
        dst: usize,
        msg: M,
    },
    /// The network loses the segment at `index`.
    Drop {
        index: usize,
        src: usize,
        dst: usize,
        msg: M,
    },
    /// A timer of `actor` fires.
    Fire { actor: usize, timer: T },
    /// `actor`'s pending random choice `key` resolves to `value`.
    Choose { actor: usize, key: String, value: R },
}

/// The action type of actor type `A`'s wire.
pub type ActionOf<A> = WireAction<<A as Actor>::Msg, <A as Actor>::Timer, <A as Actor>::Random>;

/// A predicate that forbids some values of a pending random choice.
pub type ChoiceFilter<A> = fn(&Wire<A>, &StateOf<A>, usize, &<A as Actor>::Random) -> bool;

/// Ranks a message for [`Wire::order`]: its channel key and its position there.
pub type Order<A> = fn(&<A as Actor>::Msg) -> Option<(u32, u32)>;

/// An ISN clock (RFC 6528: "M is the 4 microsecond timer"), in sequence numbers per
/// tick, modulo the sequence space.
pub struct Clock<A: WireActor> {
    pub rate: u8,
    pub modulus: u8,
    /// Shifts every sequence number in the state by `-d` (into the clock's frame), or
    /// by `+d` (back, for reports); also the messages of an action.
    pub rotate: fn(&Wire<A>, &mut StateOf<A>, Option<&mut ActionOf<A>>, i16),
}

/// The timed wire: actors, their roles, the network's faults, and the properties the
/// stateright Explorer shows.
pub struct Wire<A: WireActor> {
    pub actors: Vec<A>,
    /// One role name per actor ("client", "server", "resolver", ...).
    pub roles: Vec<String>,
    pub faults: Faults,
    /// Strong fairness of delivery ("fair loss"): a segment sent again and again is
    /// eventually delivered. Read by the liveness checker only.
    pub fair_loss: bool,
    pub choice_filter: Option<ChoiceFilter<A>>,
    /// Strict order for the messages it ranks: `order(msg)` gives a channel key and a
    /// position, and a message may be delivered only when no undelivered message of
    /// the same sender, receiver and key with a lower position is in flight. Messages
    /// it does not rank (`None`) follow `faults.reordering`. The HTTP/2 model uses it
    /// for a byte stream in order (one key) or for one ordered stream per HTTP/2
    /// stream (a key each, as QUIC delivers).
    pub order: Option<Order<A>>,
    /// The ISN clock, when a scenario's ISNs come from one.
    pub clock: Option<Clock<A>>,
    /// State properties, for the Explorer. The checker in `crate::check` has its own list.
    pub properties: Vec<Property<Self>>,
    /// The kinds of action (actor, category, kind), computed once for coverage
    /// (`crate::check::coverage`).
    pub kind_table: std::sync::OnceLock<Vec<(usize, u8, &'static str)>>,
}

/// Why an actor's step could not happen.
enum Blocked {
    /// The network's buffer is full and the loss budget is spent.
    BufferFull,
}

impl<A> Wire<A>
where
    A: WireActor,
{
    pub fn new(actors: Vec<A>, roles: Vec<String>, faults: Faults) -> Self {
        Wire {
            actors,
            roles,
            faults,
            fair_loss: false,
            choice_filter: None,
            order: None,
            clock: None,
            properties: Vec::new(),
            kind_table: std::sync::OnceLock::new(),
        }
    }

    /// The role of actor `i`, as reports and diagrams name it.
    pub fn role(&self, i: usize) -> String {
        self.roles
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("actor{i}"))
    }

    /// Applies an actor's commands to the global state.
    fn apply(&self, s: &mut StateOf<A>, id: usize, out: Out<A>) -> Result<(), Blocked> {
        for c in out {
            match c {
                Command::Send(dst, msg) => {
                    let dst: usize = dst.into();
                    if s.flight.len() >= self.faults.capacity as usize {
                        // A full buffer loses the segment, which costs loss budget.
                        if !self.faults.may_lose(s.lost) {
                            return Err(Blocked::BufferFull);
                        }
                        self.count_loss(s, 1);
                        continue;
                    }
                    let f = InFlight {
                        src: id as u8,
                        dst: dst as u8,
                        age: 0,
                        delivered: false,
                        msg,
                    };
                    let at = s.flight.binary_search(&f).unwrap_or_else(|e| e);
                    s.flight.insert(at, f);
                }
                Command::SetTimer(t, range) => {
                    s.timers
                        .set(id as u8, t, ticks(range.start), ticks(range.end));
                }
                Command::CancelTimer(t) => s.timers.cancel(id as u8, &t),
                Command::ChooseRandom(key, values) => {
                    let actor = id as u8;
                    s.choices.retain(|p| p.actor != actor || p.key != key);
                    if !values.is_empty() {
                        // After the actor's other pending choices, before the next
                        // actor's.
                        let at = s.choices.partition_point(|p| p.actor <= actor);
                        s.choices.insert(at, Pending { actor, key, values });
                    }
                }
                Command::Save(_) => {}
            }
        }
        Ok(())
    }

    /// Counts segments that died undelivered, when there is a budget to count
    /// against (an unlimited budget keeps no count, so the state space stays finite).
    fn count_loss(&self, s: &mut StateOf<A>, n: u8) {
        if self.faults.loss_budget.is_some() {
            s.lost = s.lost.saturating_add(n);
        }
    }

    /// Runs `f` on actor `id` and applies what it did.
    fn step(
        &self,
        s: &mut StateOf<A>,
        id: usize,
        f: impl FnOnce(&A, &mut Cow<A::State>, &mut Out<A>),
    ) -> Result<(), Blocked> {
        let mut out = Out::new();
        // `s` is already the successor's own copy: the actor's state is lent to the
        // callback as owned, so that its `to_mut` does not clone it a second time.
        let mut st = Cow::Owned(s.actors.remove(id));
        f(&self.actors[id], &mut st, &mut out);
        s.actors.insert(id, st.into_owned());
        self.apply(s, id, out)
    }

    /// The values of `actor`'s pending choice that the filter allows.
    fn allowed(&self, s: &StateOf<A>, actor: usize, values: &[A::Random]) -> Vec<A::Random> {
        values
            .iter()
            .filter(|v| self.choice_filter.is_none_or(|f| f(self, s, actor, v)))
            .cloned()
            .collect()
    }

    /// Whether the segment at `i` may be delivered now (FIFO per channel when the
    /// network does not reorder).
    fn deliverable(&self, s: &StateOf<A>, i: usize) -> bool {
        if let Some(order) = self.order {
            let f = &s.flight[i];
            if let Some((key, pos)) = order(&f.msg) {
                return !s.flight.iter().any(|g| {
                    g.src == f.src
                        && g.dst == f.dst
                        && !g.delivered
                        && order(&g.msg).is_some_and(|(k, p)| k == key && p < pos)
                });
            }
        }
        if self.faults.reordering {
            return true;
        }
        let f = &s.flight[i];
        !s.flight
            .iter()
            .any(|g| g.src == f.src && g.dst == f.dst && !g.delivered && g.age > f.age)
    }

    /// Whether some undelivered segment is in the last instant of its life (age MSL).
    /// Such a segment arrives (or is lost) before a timeout that is due at the same
    /// instant fires: a lifetime is at most MSL, a timeout lasts its full time, and at
    /// the exact boundary the RFC's argument (TIME-WAIT = 2×MSL outlasts every
    /// segment of the connection) takes the segment first.
    fn dying(&self, s: &StateOf<A>) -> bool {
        s.flight
            .iter()
            .any(|f| f.age >= self.faults.msl && !f.delivered)
    }

    /// How many segments the next tick would expire undelivered.
    fn expiring(&self, s: &StateOf<A>) -> u8 {
        s.flight
            .iter()
            .filter(|f| f.age >= self.faults.msl && !f.delivered)
            .count() as u8
    }

    /// Whether time may advance.
    pub fn tick_enabled(&self, s: &StateOf<A>) -> bool {
        if s.timers.any_due() {
            return false;
        }
        let n = self.expiring(s);
        n == 0
            || match self.faults.loss_budget {
                None => true,
                Some(b) => s.lost.saturating_add(n) <= b,
            }
    }
}

impl<A> Model for Wire<A>
where
    A: WireActor,
{
    type State = StateOf<A>;
    type Action = ActionOf<A>;

    fn init_states(&self) -> Vec<Self::State> {
        let n = self.actors.len();
        let mut s = WireState {
            actors: Vec::with_capacity(n),
            timers: Timers::default(),
            choices: Vec::new(),
            flight: Vec::new(),
            lost: 0,
            duplicated: 0,
            epoch: 0,
        };
        let mut outs = Vec::with_capacity(n);
        for (i, a) in self.actors.iter().enumerate() {
            let mut out = Out::new();
            s.actors.push(a.on_start(Id::from(i), &None, &mut out));
            outs.push(out);
        }
        for (i, out) in outs.into_iter().enumerate() {
            if self.apply(&mut s, i, out).is_err() {
                return Vec::new();
            }
        }
        vec![s]
    }

    fn actions(&self, s: &Self::State, actions: &mut Vec<Self::Action>) {
        // A pending random choice is resolved before anything else happens.
        for p in &s.choices {
            let actor = p.actor as usize;
            // Only choices whose step can happen are urgent: one that a full buffer
            // blocks waits, like a forbidden one, while the network drains.
            let before = actions.len();
            for value in self.allowed(s, actor, &p.values) {
                let a = WireAction::Choose {
                    actor,
                    key: p.key.clone(),
                    value,
                };
                if self.next_state(s, a.clone()).is_some() {
                    actions.push(a);
                }
            }
            if actions.len() > before {
                return;
            }
        }
        if self.tick_enabled(s) {
            actions.push(WireAction::Tick);
        }
        for (index, f) in s.flight.iter().enumerate() {
            if index > 0 && s.flight[index - 1] == *f {
                continue; // an identical copy: delivering either gives the same state
            }
            let (src, dst) = (f.src as usize, f.dst as usize);
            if self.deliverable(s, index) {
                actions.push(WireAction::Deliver {
                    index,
                    keep_copy: false,
                    src,
                    dst,
                    msg: f.msg.clone(),
                });
                if self.faults.may_duplicate(s.duplicated) {
                    actions.push(WireAction::Deliver {
                        index,
                        keep_copy: true,
                        src,
                        dst,
                        msg: f.msg.clone(),
                    });
                }
            }
            if self.faults.loss && !f.delivered && self.faults.may_lose(s.lost) {
                actions.push(WireAction::Drop {
                    index,
                    src,
                    dst,
                    msg: f.msg.clone(),
                });
            }
        }
        let dying = self.dying(s);
        for a in s
            .timers
            .iter()
            .filter(|a| a.may_fire() && !(dying && a.timed && a.is_due()))
        {
            actions.push(WireAction::Fire {
                actor: a.actor as usize,
                timer: a.timer,
            });
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        let mut s = last.clone();
        self.advance(last, action, &mut s).map(|()| s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.properties.clone()
    }
}

impl<A: WireActor> Wire<A> {
    /// [`Model::next_state`], written over `into`, whose vectors' buffers it reuses:
    /// true when there is a successor, which `into` then holds.
    pub fn next_state_into(
        &self,
        last: &StateOf<A>,
        action: ActionOf<A>,
        into: &mut StateOf<A>,
    ) -> bool {
        into.clone_from(last);
        self.advance(last, action, into).is_some()
    }

    /// Takes `action` from `last` in `s`, a copy of `last`.
    fn advance(&self, last: &StateOf<A>, action: ActionOf<A>, s: &mut StateOf<A>) -> Option<()> {
        let done = match action {
            WireAction::Tick => {
                if !self.tick_enabled(last) {
                    return None;
                }
                s.timers.tick();
                let msl = self.faults.msl;
                let before = s.flight.len();
                let mut expired = 0u8;
                s.flight.retain_mut(|f| {
                    f.age += 1;
                    let alive = f.age <= msl;
                    if !alive && !f.delivered {
                        expired += 1;
                    }
                    alive
                });
                debug_assert!(s.flight.len() <= before);
                self.count_loss(s, expired);
                // Ageing keeps the order of segments with equal fields, but segments of
                // different ages may now compare differently: keep the multiset sorted.
                s.flight.sort();
                if let Some(c) = &self.clock {
                    // The clock advances: in its frame, everything else moves back.
                    (c.rotate)(self, s, None, -(c.rate as i16));
                    s.epoch = ((s.epoch as u16 + c.rate as u16) % c.modulus as u16) as u8;
                    s.flight.sort();
                }
                Ok(())
            }
            WireAction::Deliver {
                index,
                keep_copy,
                dst,
                msg,
                ..
            } => {
                let f = s.flight.get(index)?;
                if f.msg != msg || f.dst as usize != dst {
                    return None;
                }
                let src = f.src as usize;
                if keep_copy {
                    if !self.faults.may_duplicate(s.duplicated) {
                        return None;
                    }
                    let mut copy = s.flight.remove(index);
                    copy.delivered = true;
                    let at = s.flight.binary_search(&copy).unwrap_or_else(|e| e);
                    s.flight.insert(at, copy);
                    if self.faults.duplication_budget.is_some() {
                        s.duplicated = s.duplicated.saturating_add(1);
                    }
                } else {
                    s.flight.remove(index);
                }
                self.step(s, dst, |a, st, o| {
                    a.on_msg(Id::from(dst), st, Id::from(src), msg, o)
                })
            }
            WireAction::Drop { index, msg, .. } => {
                let f = s.flight.get(index)?;
                if f.msg != msg || f.delivered || !self.faults.loss || !self.faults.may_lose(s.lost)
                {
                    return None;
                }
                s.flight.remove(index);
                self.count_loss(s, 1);
                Ok(())
            }
            WireAction::Fire { actor, timer } => {
                let armed = s.timers.get(u8::try_from(actor).ok()?, &timer)?;
                if !armed.may_fire() || armed.timed && armed.is_due() && self.dying(last) {
                    return None;
                }
                s.timers.cancel(actor as u8, &timer);
                self.step(s, actor, |a, st, o| {
                    a.on_timeout(Id::from(actor), st, &timer, o)
                })
            }
            WireAction::Choose { actor, key, value } => {
                let at = s
                    .choices
                    .iter()
                    .position(|p| p.actor as usize == actor && p.key == key)?;
                s.choices.remove(at);
                self.step(s, actor, |a, st, o| {
                    a.on_random(Id::from(actor), st, &value, o)
                })
            }
        };
        done.ok()
    }
}

impl<A: WireActor> Wire<A> {
    /// A path as a person reads it: with an ISN clock, every state and action shifted
    /// back from the clock's frame to real sequence numbers.
    pub fn in_real_numbers(
        &self,
        steps: &[(Option<ActionOf<A>>, StateOf<A>)],
    ) -> Vec<(Option<ActionOf<A>>, StateOf<A>)> {
        let Some(c) = &self.clock else {
            return steps.to_vec();
        };
        let mut out = Vec::with_capacity(steps.len());
        let mut prev_epoch = 0u8;
        for (a, s) in steps {
            let mut a = a.clone();
            let mut s = s.clone();
            // The action was taken in the frame of the state before it.
            if let Some(a) = a.as_mut() {
                let mut scratch = s.clone();
                (c.rotate)(self, &mut scratch, Some(a), prev_epoch as i16);
            }
            let e = s.epoch;
            // Not re-sorted: actions name segments by their index in the state.
            (c.rotate)(self, &mut s, None, e as i16);
            prev_epoch = e;
            out.push((a, s));
        }
        out
    }
}

/// The key of a fairness class: the checker's fingerprint hash, which is computed
/// for every transition of a run with liveness properties (SipHash took 4 % of
/// such a run's instructions). Only equality of keys matters: the engine numbers
/// classes in the order they first appear.
fn class_key<T: Hash>(t: &T) -> u64 {
    crate::check::engine::fingerprint(t)
}

/// A stable 64-bit key for a value (sets of seen states, the Explorer's fingerprints).
pub fn key_of<T: Hash>(t: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// How fairly the scheduler treats an action (see `crate::check::engine`).
impl<A> Wire<A>
where
    A: WireActor,
{
    /// The fairness class of `action` in `s`:
    /// - `Tick` is weakly fair: time cannot stand still while it may pass;
    /// - firing a due timer is weakly fair: a due timer fires;
    /// - delivering a segment that holds up time is weakly fair: when the loss budget
    ///   is spent, the next tick would expire it, so time waits for its delivery;
    ///   without this a run could deliver other segments for ever at one instant;
    /// - with `fair_loss`, delivering a given segment between two actors is strongly
    ///   fair: a segment sent again and again is eventually delivered;
    /// - everything else (drops, duplicates, early timers, choices) is unfair.
    pub fn fairness_of(&self, s: &StateOf<A>, action: &ActionOf<A>) -> (u64, Fairness) {
        match action {
            WireAction::Tick => (class_key(&"tick"), Fairness::Weak),
            WireAction::Fire { actor, timer } => {
                let due = u8::try_from(*actor)
                    .ok()
                    .and_then(|a| s.timers.get(a, timer))
                    .is_some_and(|a| a.is_due());
                if due {
                    (class_key(&("fire", actor, timer)), Fairness::Weak)
                } else {
                    (0, Fairness::Unfair)
                }
            }
            // Time stands still while the loss budget forbids the next tick: then a
            // segment that the tick would expire is delivered, so that time goes on.
            WireAction::Deliver {
                index,
                src,
                dst,
                msg,
                ..
            } if self.holds_up_time(s, *index) => {
                let age = s.flight[*index].age;
                (class_key(&("overdue", src, dst, msg, age)), Fairness::Weak)
            }
            WireAction::Deliver { src, dst, msg, .. } if self.fair_loss => {
                (class_key(&("deliver", src, dst, msg)), Fairness::Strong)
            }
            _ => (0, Fairness::Unfair),
        }
    }

    /// Whether the segment at `index` would expire at the next tick, which the loss
    /// budget forbids: time waits for its delivery.
    fn holds_up_time(&self, s: &StateOf<A>, index: usize) -> bool {
        let Some(f) = s.flight.get(index) else {
            return false;
        };
        f.age >= self.faults.msl
            && !f.delivered
            && self
                .faults
                .loss_budget
                .is_some_and(|b| s.lost.saturating_add(self.expiring(s)) > b)
    }

    /// The human name of the fairness assumption behind an action's class.
    pub fn fairness_category_of(&self, s: &StateOf<A>, action: &ActionOf<A>) -> &'static str {
        match action {
            WireAction::Tick => "weak fairness of time",
            // Part of time's progress: the tick waits for this delivery.
            WireAction::Deliver { index, .. } if self.holds_up_time(s, *index) => {
                "weak fairness of time"
            }
            WireAction::Fire { .. } => "due timers fire",
            WireAction::Deliver { .. } => "strong fairness of delivery (fair loss)",
            _ => "",
        }
    }
}

/// How fairly the scheduler treats a class of actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fairness {
    Unfair,
    Weak,
    Strong,
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::actor::{Actor, Id, Out};
    use std::borrow::Cow;

    /// Actor 0 sends one message to actor 1, which ignores it.
    #[derive(Clone, Debug)]
    struct Ping;

    impl Actor for Ping {
        type Msg = u8;
        type State = u8;
        type Timer = u8;
        type Random = u8;
        type Storage = ();
        fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> u8 {
            if usize::from(id) == 0 {
                o.send(Id::from(1), 7);
            }
            0
        }
    }

    fn deliveries(m: &Wire<Ping>, s: &StateOf<Ping>) -> Vec<(Fairness, &'static str)> {
        let mut acts = Vec::new();
        m.actions(s, &mut acts);
        acts.iter()
            .filter(|a| matches!(a, WireAction::Deliver { .. }))
            .map(|a| (m.fairness_of(s, a).1, m.fairness_category_of(s, a)))
            .collect()
    }

    #[test]
    fn a_segment_that_holds_up_time_is_delivered_under_weak_fairness_of_time() {
        let faults = Faults {
            msl: 1,
            ..Faults::default()
        };
        let m = Wire::new(vec![Ping, Ping], vec!["a".into(), "b".into()], faults);
        let s0 = m.init_states().remove(0);
        // Young: the network may keep it, and time may pass.
        assert!(m.tick_enabled(&s0));
        assert_eq!(deliveries(&m, &s0)[0].0, Fairness::Unfair);
        let s1 = m.next_state(&s0, WireAction::Tick).expect("a tick");
        // At MSL, with no loss allowed, the next tick would expire it: time waits for
        // its delivery, and the delivery is as fair as time.
        assert!(!m.tick_enabled(&s1));
        assert_eq!(
            deliveries(&m, &s1),
            [(Fairness::Weak, "weak fairness of time")]
        );
        // With loss to spare, the tick may expire it instead: no obligation.
        let lossy = Wire::new(
            vec![Ping, Ping],
            vec!["a".into(), "b".into()],
            Faults {
                msl: 1,
                loss: true,
                loss_budget: Some(1),
                ..Faults::default()
            },
        );
        let s1 = lossy
            .next_state(&lossy.init_states().remove(0), WireAction::Tick)
            .expect("a tick");
        assert!(lossy.tick_enabled(&s1));
        assert!(deliveries(&lossy, &s1)
            .iter()
            .all(|(f, _)| *f == Fairness::Unfair));
    }

    /// Actor 0 sends 1 to actor 1 at start and arms its timer 0 for 1..`hi` ticks; the
    /// timer sends 2. Actor 1 arms its timer 5 for 1..1 (a timeout due after one tick)
    /// and keeps the last message it got.
    #[derive(Clone, Debug)]
    struct Talk {
        hi: u64,
    }

    impl Actor for Talk {
        type Msg = u8;
        type State = u8;
        type Timer = u8;
        type Random = u8;
        type Storage = ();
        fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> u8 {
            let secs = std::time::Duration::from_secs;
            if usize::from(id) == 0 {
                o.send(Id::from(1), 1);
                o.set_timer(0, secs(1)..secs(self.hi));
            } else {
                o.set_timer(5, secs(1)..secs(1));
            }
            0
        }
        fn on_msg(&self, _: Id, st: &mut Cow<u8>, _: Id, msg: u8, _: &mut Out<Self>) {
            *st.to_mut() = msg;
        }
        fn on_timeout(&self, id: Id, _: &mut Cow<u8>, t: &u8, o: &mut Out<Self>) {
            if usize::from(id) == 0 && *t == 0 {
                o.send(Id::from(1), 2);
            }
        }
    }

    fn talk(faults: Faults) -> Wire<Talk> {
        Wire::new(
            vec![Talk { hi: 9 }, Talk { hi: 9 }],
            vec!["a".into(), "b".into()],
            faults,
        )
    }

    fn actions_of(m: &Wire<Talk>, s: &StateOf<Talk>) -> Vec<ActionOf<Talk>> {
        let mut acts = Vec::new();
        m.actions(s, &mut acts);
        acts
    }

    fn deliver(index: usize, msg: u8) -> ActionOf<Talk> {
        WireAction::Deliver {
            index,
            keep_copy: false,
            src: 0,
            dst: 1,
            msg,
        }
    }

    #[test]
    fn a_successor_written_over_another_state_is_the_one_next_state_gives() {
        // The checker writes each successor over a state of its pool, which holds
        // the successor written there before (`next_state_into`): every field of the
        // wire state must be written over, whatever the slot held.
        let m = talk(Faults {
            msl: 2,
            loss: true,
            loss_budget: Some(1),
            duplication: true,
            duplication_budget: Some(1),
            ..Faults::default()
        });
        let mut seen = std::collections::HashSet::new();
        let mut todo = m.init_states();
        let mut slot = todo[0].clone();
        let (mut steps, mut refused) = (0, 0);
        while let Some(s) = todo.pop() {
            if !seen.insert(key_of(&s)) {
                continue;
            }
            for a in actions_of(&m, &s) {
                let next = m.next_state(&s, a.clone());
                assert_eq!(m.next_state_into(&s, a, &mut slot), next.is_some());
                match next {
                    Some(n) => {
                        assert_eq!(slot, n);
                        steps += 1;
                        todo.push(n);
                    }
                    None => refused += 1,
                }
            }
            // A step the state does not offer leaves the slot holding some state.
            assert!(!m.next_state_into(&s, deliver(9, 1), &mut slot));
            refused += 1;
        }
        assert!(
            steps > 100 && refused > 10,
            "{steps} steps, {refused} refused"
        );
        assert!(seen.len() > 20, "{} states", seen.len());
    }

    #[test]
    fn without_reordering_a_segment_waits_for_the_older_ones_on_its_channel() {
        let run = |reordering| {
            let m = talk(Faults {
                msl: 3,
                reordering,
                ..Faults::default()
            });
            let s = m.init_states().remove(0);
            let s = m.next_state(&s, WireAction::Tick).expect("a tick");
            let s = m
                .next_state(&s, WireAction::Fire { actor: 0, timer: 0 })
                .expect("timer 0 may fire after a tick");
            // In flight, sorted: 2 (age 0), then 1 (age 1).
            assert_eq!(
                s.flight.iter().map(|f| (f.msg, f.age)).collect::<Vec<_>>(),
                [(2, 0), (1, 1)]
            );
            actions_of(&m, &s)
                .into_iter()
                .filter_map(|a| match a {
                    WireAction::Deliver { msg, .. } => Some(msg),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(true), [2, 1]);
        assert_eq!(run(false), [1]);
    }

    #[test]
    fn a_timeout_due_when_a_segment_dies_yields_to_the_segment() {
        // MSL 1: after one tick, segment 1 is at the end of its life and b's timer 5 is
        // due. Time cannot pass; the segment is delivered before the timer fires.
        let m = talk(Faults {
            msl: 1,
            ..Faults::default()
        });
        let s = m.init_states().remove(0);
        let s = m.next_state(&s, WireAction::Tick).expect("a tick");
        let fire5 = WireAction::Fire { actor: 1, timer: 5 };
        let acts = actions_of(&m, &s);
        assert!(acts.contains(&deliver(0, 1)), "{acts:?}");
        assert!(!acts.contains(&fire5) && !acts.contains(&WireAction::Tick));
        assert!(m.next_state(&s, fire5.clone()).is_none());
        let s = m.next_state(&s, deliver(0, 1)).expect("the delivery");
        assert!(actions_of(&m, &s).contains(&fire5));
        assert!(m.next_state(&s, fire5).is_some());
    }

    #[test]
    fn next_state_refuses_a_step_the_state_does_not_offer() {
        // The Explorer and trace replay hand `next_state` actions of their own: one that
        // names another segment, a copy already delivered, a loss the faults forbid, or
        // a timer not yet due gives no state.
        let lossy = talk(Faults {
            loss: true,
            loss_budget: Some(1),
            duplication: true,
            duplication_budget: Some(1),
            ..Faults::default()
        });
        let s0 = lossy.init_states().remove(0);
        assert!(lossy.next_state(&s0, deliver(0, 1)).is_some());
        assert!(
            lossy.next_state(&s0, deliver(0, 2)).is_none(),
            "another message"
        );
        let to_a = WireAction::Deliver {
            index: 0,
            keep_copy: false,
            src: 0,
            dst: 0,
            msg: 1,
        };
        assert!(lossy.next_state(&s0, to_a).is_none(), "another receiver");
        assert!(
            lossy.next_state(&s0, deliver(1, 1)).is_none(),
            "no such segment"
        );
        let drop = |msg| WireAction::Drop {
            index: 0,
            src: 0,
            dst: 1,
            msg,
        };
        let dropped = lossy.next_state(&s0, drop(1)).expect("a loss");
        assert_eq!((dropped.flight.len(), dropped.lost), (0, 1));
        assert!(lossy.next_state(&s0, drop(2)).is_none(), "another message");
        // A delivered copy cannot be lost: it arrived once.
        let keep = WireAction::Deliver {
            index: 0,
            keep_copy: true,
            src: 0,
            dst: 1,
            msg: 1,
        };
        let kept = lossy.next_state(&s0, keep.clone()).expect("a duplication");
        assert_eq!((kept.flight.len(), kept.duplicated), (1, 1));
        assert!(kept.flight[0].delivered);
        assert!(lossy.next_state(&kept, drop(1)).is_none());
        // The duplication budget (1) is spent.
        assert!(lossy.next_state(&kept, keep).is_none());
        // No loss without loss, nor beyond the budget.
        let lossless = talk(Faults::default());
        let s = lossless.init_states().remove(0);
        assert!(lossless.next_state(&s, drop(1)).is_none());
        let mut spent = s0.clone();
        spent.lost = 1;
        assert!(lossy.next_state(&spent, drop(1)).is_none());
        // Timer 0 may fire only after a tick; timer 7 is not armed.
        let fire = |timer| WireAction::Fire { actor: 0, timer };
        assert!(lossy.next_state(&s0, fire(0)).is_none());
        assert!(lossy.next_state(&s0, fire(7)).is_none());
        let choose = WireAction::Choose {
            actor: 0,
            key: "isn".into(),
            value: 1,
        };
        assert!(lossy.next_state(&s0, choose).is_none(), "no pending choice");
    }

    #[test]
    fn states_equal_but_for_the_clock_reading_are_one_state() {
        let m = talk(Faults::default());
        let s = m.init_states().remove(0);
        let mut later = s.clone();
        later.epoch = 3;
        assert_eq!(s, later);
        assert_eq!(key_of(&s), key_of(&later));
        let differ: [fn(&mut StateOf<Talk>); 6] = [
            |s| s.actors[1] = 9,
            |s| s.timers.cancel(0, &0),
            |s| {
                s.choices.push(Pending {
                    actor: 0,
                    key: "isn".into(),
                    values: vec![1],
                })
            },
            |s| s.flight[0].age = 1,
            |s| s.lost = 1,
            |s| s.duplicated = 1,
        ];
        for (i, change) in differ.iter().enumerate() {
            let mut t = s.clone();
            change(&mut t);
            assert_ne!(s, t, "change {i}");
            assert_ne!(key_of(&s), key_of(&t), "change {i}");
        }
    }

    /// Actor 0 asks for a choice of "isn" twice at start, then for "port": the second
    /// "isn" replaces the first, as stateright's own `choose_random` does.
    #[derive(Clone, Debug)]
    struct Chooser;

    impl Actor for Chooser {
        type Msg = u8;
        type State = u8;
        type Timer = u8;
        type Random = u8;
        type Storage = ();
        fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> u8 {
            if usize::from(id) == 0 {
                o.choose_random("isn", vec![1, 2]);
                o.choose_random("isn", vec![3]);
                o.choose_random("port", vec![8]);
            }
            0
        }
        fn on_random(&self, _: Id, st: &mut Cow<u8>, r: &u8, _: &mut Out<Self>) {
            *st.to_mut() += r;
        }
    }

    #[test]
    fn a_second_choice_under_one_key_replaces_the_first() {
        let m = Wire::new(
            vec![Chooser, Chooser],
            vec!["a".into(), "b".into()],
            Faults::default(),
        );
        let s = m.init_states().remove(0);
        assert_eq!(
            s.choices
                .iter()
                .map(|p| (p.actor, p.key.clone(), p.values.clone()))
                .collect::<Vec<_>>(),
            vec![
                (0, "isn".to_string(), vec![3]),
                (0, "port".to_string(), vec![8])
            ]
        );
        // One pending choice at a time is offered, in order, and nothing else.
        let offered = |s: &StateOf<Chooser>| {
            let mut acts = Vec::new();
            m.actions(s, &mut acts);
            acts
        };
        let isn = WireAction::Choose {
            actor: 0,
            key: "isn".into(),
            value: 3,
        };
        assert_eq!(offered(&s), std::slice::from_ref(&isn));
        let s = m.next_state(&s, isn).expect("the choice");
        assert_eq!(s.actors[0], 3);
        let port = WireAction::Choose {
            actor: 0,
            key: "port".into(),
            value: 8,
        };
        assert_eq!(offered(&s), [port]);
    }

    /// Two actors may wait on choices under the same key: a choice resolves the
    /// chooser's own, and only it.
    #[test]
    fn a_choice_resolves_its_own_actors_pending_choice_only() {
        let m = Wire::new(
            vec![Chooser, Chooser],
            vec!["a".into(), "b".into()],
            Faults::default(),
        );
        let mut s = m.init_states().remove(0);
        s.choices.push(Pending {
            actor: 1,
            key: "isn".into(),
            values: vec![5],
        });
        let pending = |s: &StateOf<Chooser>| {
            s.choices
                .iter()
                .map(|p| (p.actor, p.key.clone()))
                .collect::<Vec<_>>()
        };
        let b_isn = WireAction::Choose {
            actor: 1,
            key: "isn".into(),
            value: 5,
        };
        let t = m.next_state(&s, b_isn).expect("b's choice");
        assert_eq!(t.actors, [0, 5]);
        assert_eq!(
            pending(&t),
            [(0, "isn".to_string()), (0, "port".to_string())]
        );
        let a_port = WireAction::Choose {
            actor: 0,
            key: "port".into(),
            value: 8,
        };
        let t = m.next_state(&s, a_port).expect("a's choice");
        assert_eq!(t.actors, [8, 0]);
        assert_eq!(
            pending(&t),
            [(0, "isn".to_string()), (1, "isn".to_string())]
        );
        let b_port = WireAction::Choose {
            actor: 1,
            key: "port".into(),
            value: 8,
        };
        assert!(m.next_state(&s, b_port).is_none(), "b has no such choice");
    }

    #[test]
    fn a_tick_ages_every_segment_and_one_past_msl_is_lost() {
        let m = Wire::new(
            vec![Ping, Ping],
            vec!["a".into(), "b".into()],
            Faults {
                msl: 1,
                loss: true,
                loss_budget: Some(1),
                ..Faults::default()
            },
        );
        let s = m.init_states().remove(0);
        assert_eq!((s.flight[0].age, s.lost), (0, 0));
        let s = m.next_state(&s, WireAction::Tick).expect("a tick");
        assert_eq!((s.flight.len(), s.flight[0].age, s.lost), (1, 1, 0));
        // One tick past MSL: the segment died undelivered, and that is a loss.
        let s = m.next_state(&s, WireAction::Tick).expect("a second tick");
        assert_eq!((s.flight.len(), s.lost), (0, 1));
    }

    /// Shifts the actors' states (taken as sequence numbers modulo 16) by `d`.
    fn shift_actors(_: &Wire<Talk>, s: &mut StateOf<Talk>, _: Option<&mut ActionOf<Talk>>, d: i16) {
        for a in s.actors.iter_mut() {
            *a = (i16::from(*a) + d).rem_euclid(16) as u8;
        }
    }

    #[test]
    fn a_tick_advances_the_isn_clock_and_moves_the_state_into_its_frame() {
        let mut m = talk(Faults {
            msl: 9,
            ..Faults::default()
        });
        m.clock = Some(Clock {
            rate: 3,
            modulus: 16,
            rotate: shift_actors,
        });
        let mut s = m.init_states().remove(0);
        s.actors[1] = 10;
        let mut epochs = Vec::new();
        let mut seen = Vec::new();
        for k in 0..6 {
            if k == 1 {
                // b's timeout is due after the first tick: it fires before time goes on.
                s = m
                    .next_state(&s, WireAction::Fire { actor: 1, timer: 5 })
                    .expect("timer 5");
            }
            s = m.next_state(&s, WireAction::Tick).expect("a tick");
            epochs.push(s.epoch);
            seen.push(s.actors[1]);
        }
        // The clock reads 3, 6, ..., modulo 16; in its frame the state moves back as much.
        assert_eq!(epochs, [3, 6, 9, 12, 15, 2]);
        assert_eq!(seen, [7, 4, 1, 14, 11, 8]);
    }

    #[test]
    fn every_action_offered_can_be_taken() {
        // `actions` offers exactly the steps `next_state` takes: the checker counts a
        // refused step, and `simulate` and the Explorer would offer a step that does
        // nothing. Every state of the toy model, under every mix of faults.
        use std::collections::{HashSet, VecDeque};
        for loss in [false, true] {
            for loss_budget in [Some(0), Some(1), None] {
                for duplication in [false, true] {
                    for reordering in [false, true] {
                        let m = talk(Faults {
                            msl: 2,
                            loss,
                            loss_budget,
                            duplication,
                            duplication_budget: Some(1),
                            reordering,
                            capacity: 2,
                        });
                        let mut seen: HashSet<u64> = HashSet::new();
                        let mut queue: VecDeque<_> = m.init_states().into();
                        while let Some(s) = queue.pop_front() {
                            if !seen.insert(key_of(&s)) {
                                continue;
                            }
                            for a in actions_of(&m, &s) {
                                match m.next_state(&s, a.clone()) {
                                    Some(t) => queue.push_back(t),
                                    None => panic!(
                                        "{a:?} offered and refused (loss {loss} {loss_budget:?}, \
                                         duplication {duplication}, reordering {reordering})"
                                    ),
                                }
                            }
                            assert!(seen.len() < 100_000, "the toy model is finite");
                        }
                        assert!(seen.len() > 5, "{}", seen.len());
                    }
                }
            }
        }
    }

    #[test]
    fn the_explorer_gets_the_properties_it_was_given() {
        let mut m = talk(Faults::default());
        assert!(stateright::Model::properties(&m).is_empty());
        m.properties = vec![
            Property::always("b keeps a message", |_, s: &StateOf<Talk>| s.actors[1] < 3),
            Property::sometimes("b got 2", |_, s: &StateOf<Talk>| s.actors[1] == 2),
        ];
        let names: Vec<_> = stateright::Model::properties(&m)
            .iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["b keeps a message", "b got 2"]);
    }
}
