//! Level-synchronous breadth-first exploration into a compact state graph.
//!
//! Each BFS level is cut into fixed-size batches (independent of the thread
//! count). The states of a batch are expanded in parallel (successors,
//! fingerprints, fairness classes, property bits), reading but never writing
//! the graph; the results are then merged sequentially in frontier order,
//! which assigns new state indices in order. Hence indices, parents, edges
//! and discoveries are the same for any number of threads.

use super::pack::{state_fingerprint, Pack, Packed};
use super::segvec::SegVec;
use super::{FairModel, Fairness, KindCount, Options, Progress, StateFn, StepFn};
use stateright::Model;
use std::any::Any;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// "No index" marker (no parent, empty table slot, ...).
pub const NONE: u32 = u32::MAX;
/// Most states a graph may hold (indices are u32, `NONE` is reserved).
const MAX_STATES: usize = (u32::MAX - 1) as usize;
/// States per batch: the unit of parallel work and of merging.
const BATCH: usize = 20_000;
/// States per unit of work handed to a thread within a batch.
const CHUNK: usize = 512;
/// Entries of the per-chunk fairness-class cache.
const CLASS_CACHE: usize = 64;

/// The 64-bit fingerprint of a value: stable across runs, threads and machines of
/// the same endianness.
pub fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = FingerprintHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// The fingerprint of a state's encoding ([`super::pack::Pack::IDENTITY`]): its
/// bytes a word at a time, then its length.
pub fn fingerprint_bytes(bytes: &[u8]) -> u64 {
    let mut h = FingerprintHasher::new();
    h.write(bytes);
    h.write_usize(bytes.len());
    h.finish()
}

/// A fast, deterministic 64-bit hasher for state fingerprints.
///
/// Each word the `Hash` impls write is mixed on its own into one of four lanes, in
/// turn, by a folded multiply (the 128-bit product's halves XORed, as in wyhash and
/// foldhash): every input bit reaches bits of the lane on both sides of it, so a
/// change in one field cannot be cancelled by a change of a nearby bit of the next
/// field, as it can with a multiply-rotate mix (FxHash), where a field's top bit
/// lands on the next field's bit 4. The four lanes are four independent chains
/// of multiplies, which the processor runs side by side: one chain made each
/// field wait for the multiply of the one before. The lanes are folded together
/// at the end and the result goes through a final avalanche (SplitMix64's), so
/// that nearby states get unrelated fingerprints.
///
/// Words are never packed together before mixing: a field that shares a word
/// with others reaches only part of the mix (a hasher that gathered fields into
/// words lost 5,182 of `http-status`'s 652,396 states to collisions).
pub(super) struct FingerprintHasher {
    pub(super) lanes: [u64; 4],
}

/// The multiplier of the folded multiply (odd, about half its bits set).
const FOLD: u64 = 0x9e37_79b9_7f4a_7c15;

#[inline(always)]
pub(super) fn folded_multiply(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

impl FingerprintHasher {
    fn new() -> Self {
        FingerprintHasher {
            lanes: [
                0x243f_6a88_85a3_08d3,
                0x1319_8a2e_0370_7344,
                0xa409_3822_299f_31d0,
                0x082e_fa98_ec4e_6c89,
            ],
        }
    }
    #[inline(always)]
    fn mix(&mut self, w: u64) {
        // The lane mixed now goes to the back; the next word goes to the next lane.
        let [a, b, c, d] = self.lanes;
        self.lanes = [b, c, d, folded_multiply(a ^ w, FOLD)];
    }
}

impl Hasher for FingerprintHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(i as u64 | 0x100);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(i as u64 | 0x1_0000);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(i as u64 | 0x1_0000_0000);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    fn finish(&self) -> u64 {
        let [a, b, c, d] = self.lanes;
        let mut z = folded_multiply(
            a ^ folded_multiply(b ^ folded_multiply(c ^ d, FOLD), FOLD),
            FOLD,
        );
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let z = z ^ (z >> 31);
        // Fingerprints are never zero (0 may mark an empty slot).
        if z == 0 {
            1
        } else {
            z
        }
    }
}

/// A cheap hasher for the small keys of the class interner (lookups only, so
/// its quality affects speed, never results).
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0 ^ x)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(31);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

type ClassIndex = HashMap<(u64, Fairness), u32, BuildHasherDefault<KeyHasher>>;

/// A growable bitset, one bit per state index.
#[derive(Clone, Debug, Default)]
pub struct BitSet {
    words: Vec<u64>,
    len: usize,
}

impl BitSet {
    pub fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if bit {
            if let Some(w) = self.words.last_mut() {
                *w |= 1 << (self.len % 64);
            }
        }
        self.len += 1;
    }
    /// The bit at `i` (false beyond the end).
    pub fn get(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }
    pub fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
    /// Whether some bit is set.
    pub fn any(&self) -> bool {
        self.words.iter().any(|&w| w != 0)
    }
    fn shrink(&mut self) {
        self.words.shrink_to_fit();
    }
}

/// Open-addressing (linear probing) table from fingerprint to state index.
///
/// A slot holds a state index in its low `index_bits` bits (`index_bits` =
/// log2 of the slot count, enough since the table is at most 3/4 full) and a
/// tag of the fingerprint's top bits in the rest, so that probing rarely has
/// to look at `Graph::fps`, where the full fingerprints live. `NONE` (an
/// all-ones index, never used) marks an empty slot.
struct FpTable {
    slots: Vec<u32>,
    len: usize,
    index_bits: u32,
}

impl FpTable {
    fn new() -> Self {
        Self::with_slots(1024)
    }
    fn with_slots(n: usize) -> Self {
        FpTable {
            slots: vec![NONE; n],
            len: 0,
            index_bits: n.trailing_zeros().min(32),
        }
    }
    #[inline]
    fn tag(&self, fp: u64) -> u64 {
        let tag_bits = 32 - self.index_bits;
        if tag_bits == 0 {
            0
        } else {
            fp >> (64 - tag_bits)
        }
    }
    #[inline]
    fn find(&self, fp: u64, fps: &SegVec<u64>) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let idx_mask = (1u64 << self.index_bits) - 1;
        let want = self.tag(fp);
        let mut i = (fp as usize) & mask;
        loop {
            let s = self.slots[i];
            if s == NONE {
                return None;
            }
            if (s as u64) >> self.index_bits == want {
                let idx = ((s as u64) & idx_mask) as usize;
                if fps[idx] == fp {
                    return Some(idx as u32);
                }
            }
            i = (i + 1) & mask;
        }
    }
    /// Reads the home slots of `fps_wanted`, then the fingerprints they point
    /// to, so that following lookups hit the cache.
    fn warm(&self, fps_wanted: impl Iterator<Item = u64> + Clone, fps: &SegVec<u64>) {
        let mask = self.slots.len() - 1;
        let mut acc = 0u64;
        for fp in fps_wanted.clone() {
            acc ^= self.slots[(fp as usize) & mask] as u64;
        }
        std::hint::black_box(acc);
        let idx_mask = (1u64 << self.index_bits) - 1;
        for fp in fps_wanted {
            let s = self.slots[(fp as usize) & mask];
            if s != NONE && (s as u64) >> self.index_bits == self.tag(fp) {
                acc ^= fps
                    .get(((s as u64) & idx_mask) as usize)
                    .copied()
                    .unwrap_or(0);
            }
        }
        std::hint::black_box(acc);
    }
    /// Looks `fp` up; if absent and `add`, inserts `fps.len()` for it (the
    /// caller then pushes `fp` to `fps`). One probe sequence for both.
    fn find_or_insert(&mut self, fp: u64, fps: &SegVec<u64>, add: bool) -> Found {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(fps);
        }
        let mask = self.slots.len() - 1;
        let idx_mask = (1u64 << self.index_bits) - 1;
        let want = self.tag(fp);
        let mut i = (fp as usize) & mask;
        loop {
            let s = self.slots[i];
            if s == NONE {
                break;
            }
            if (s as u64) >> self.index_bits == want {
                let idx = ((s as u64) & idx_mask) as usize;
                if fps[idx] == fp {
                    return Found::Old(idx as u32);
                }
            }
            i = (i + 1) & mask;
        }
        if !add {
            return Found::Full;
        }
        let idx = fps.len() as u32;
        self.slots[i] = ((want << self.index_bits) | idx as u64) as u32;
        self.len += 1;
        Found::New(idx)
    }
    fn grow(&mut self, fps: &SegVec<u64>) {
        let mut bigger = Self::with_slots(self.slots.len() * 2);
        // The table holds exactly the indices `0..len` (every state is inserted as
        // it is added): read their fingerprints in order, not in the old slots'
        // order, which was a cache miss per state.
        debug_assert!(self.len <= fps.len());
        for (idx, &fp) in fps.iter().take(self.len).enumerate() {
            bigger.place(fp, idx as u32);
        }
        bigger.len = self.len;
        *self = bigger;
    }
    /// Inserts `idx` (whose fingerprint is `fps[idx]`, known to be absent).
    fn insert(&mut self, idx: u32, fps: &SegVec<u64>) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(fps);
        }
        self.place(fps[idx as usize], idx);
        self.len += 1;
    }
    fn place(&mut self, fp: u64, idx: u32) {
        let mask = self.slots.len() - 1;
        let code = ((self.tag(fp) << self.index_bits) | idx as u64) as u32;
        let mut i = (fp as usize) & mask;
        while self.slots[i] != NONE {
            i = (i + 1) & mask;
        }
        self.slots[i] = code;
    }
}

enum Found {
    Old(u32),
    New(u32),
    Full,
}

/// The explored state graph.
///
/// States are dense indices in BFS order; the initial states are
/// `0..num_init`. The out-edges of `v` are `targets[offsets[v]..offsets[v+1]]`
/// with parallel fairness-class ids in `classes`, sorted by (class, target)
/// and deduplicated. Class 0 is the unfair class.
pub struct Graph {
    pub fps: SegVec<u64>,
    /// BFS-tree parent (`NONE` for initial states).
    pub parents: SegVec<u32>,
    pub offsets: Vec<u32>,
    pub targets: Vec<u32>,
    pub classes: Vec<u32>,
    /// Per class id: the model's key and fairness (class 0: `(0, Unfair)`).
    pub class_keys: Vec<u64>,
    pub class_kinds: Vec<Fairness>,
    pub num_init: u32,
    /// Distinct (source, class, target) edges found, stored or not.
    pub edge_count: u64,
    class_index: ClassIndex,
    table: FpTable,
}

impl Graph {
    fn new() -> Self {
        Graph {
            fps: SegVec::new(),
            parents: SegVec::new(),
            offsets: vec![0],
            targets: Vec::new(),
            classes: Vec::new(),
            class_keys: vec![0],
            class_kinds: vec![Fairness::Unfair],
            num_init: 0,
            edge_count: 0,
            class_index: ClassIndex::default(),
            table: FpTable::new(),
        }
    }
    /// Number of states.
    pub fn len(&self) -> usize {
        self.fps.len()
    }
    /// Out-edges of `v`: (targets, classes).
    #[inline]
    pub fn out(&self, v: u32) -> (&[u32], &[u32]) {
        let v = v as usize;
        match (self.offsets.get(v), self.offsets.get(v + 1)) {
            (Some(&a), Some(&b)) => (
                &self.targets[a as usize..b as usize],
                &self.classes[a as usize..b as usize],
            ),
            _ => (&[], &[]),
        }
    }
    /// The class id of a (key, fairness) pair, if it occurs in the graph.
    pub fn class_id(&self, key: u64, kind: Fairness) -> Option<u32> {
        if kind == Fairness::Unfair {
            Some(0)
        } else {
            self.class_index.get(&(key, kind)).copied()
        }
    }
    fn intern(&mut self, key: u64, kind: Fairness) -> u32 {
        if kind == Fairness::Unfair {
            return 0;
        }
        let next = self.class_keys.len() as u32;
        let id = *self.class_index.entry((key, kind)).or_insert(next);
        if id == next {
            self.class_keys.push(key);
            self.class_kinds.push(kind);
        }
        id
    }
    /// The index of the state with fingerprint `fp`.
    pub fn index_of(&self, fp: u64) -> Option<u32> {
        self.table.find(fp, &self.fps)
    }
    /// The index of `fp`, adding it (with `parent`) if absent and `add`.
    fn find_or_add(&mut self, fp: u64, parent: u32, add: bool) -> Found {
        let f = self.table.find_or_insert(fp, &self.fps, add);
        if let Found::New(_) = f {
            self.fps.push(fp);
            self.parents.push(parent);
        }
        f
    }
    fn add_state(&mut self, fp: u64, parent: u32) -> u32 {
        let idx = self.fps.len() as u32;
        self.fps.push(fp);
        self.parents.push(parent);
        self.table.insert(idx, &self.fps);
        idx
    }
    /// Bytes held, from capacities.
    pub fn bytes(&self) -> u64 {
        let v = self.table.slots.capacity() * 4
            + self.fps.bytes()
            + self.parents.bytes()
            + self.offsets.capacity() * 4
            + self.targets.capacity() * 4
            + self.classes.capacity() * 4
            + self.class_keys.capacity() * 8
            + self.class_kinds.capacity()
            + self.class_index.capacity() * 24;
        v as u64
    }
    /// The BFS-tree path `init, ..., v`.
    pub fn tree_path(&self, v: u32) -> Vec<u32> {
        let mut p = vec![v];
        let mut cur = v;
        while let Some(&par) = self.parents.get(cur as usize) {
            if par == NONE {
                break;
            }
            p.push(par);
            cur = par;
        }
        p.reverse();
        p
    }
}

/// What a run looks for while exploring.
pub struct Spec<M: Model> {
    /// (predicate, value that is a discovery): Always is `(cond, false)`,
    /// Sometimes is `(cond, true)`.
    pub state_props: Vec<(StateFn<M>, bool)>,
    pub step_props: Vec<StepFn<M>>,
    /// Predicates recorded as one bit per state (for liveness).
    pub live_preds: Vec<StateFn<M>>,
}

impl<M: Model> Spec<M> {
    /// Whether the run keeps the graph's edges and fairness classes: only the
    /// liveness phase reads them. A safety-only run keeps fingerprints and BFS
    /// parents (enough for every counterexample path) and counts the edges.
    pub fn keeps_edges(&self) -> bool {
        !self.live_preds.is_empty()
    }
}

/// The first place a safety/sometimes property was discovered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discovery {
    /// At this state.
    State(u32),
    /// On the step from `src` by its `action`-th action to the state with
    /// fingerprint `fp`.
    Step { src: u32, action: u32, fp: u64 },
}

/// The outcome of [`explore`].
pub struct Exploration {
    pub graph: Graph,
    pub complete: bool,
    pub generated: u64,
    pub max_depth: u32,
    pub state_found: Vec<Option<Discovery>>,
    pub step_found: Vec<Option<Discovery>>,
    /// One bitset per `Spec::live_preds` entry (filled for expanded states).
    pub live_bits: Vec<BitSet>,
    /// With `Options::coverage`: per kind of action, then one for undeclared kinds.
    pub coverage: Option<Vec<KindCount>>,
    /// Actions the model listed in an expanded state whose `next_state` was `None`.
    pub refused: u64,
}

#[derive(Clone, Copy)]
enum Target {
    Known(u32),
    /// A state not in the graph when the chunk looked: its fingerprint and where
    /// it is (first the index of its value in the thread's pool of states, then, once
    /// packed, the range of its encoding in `ChunkOut::bytes`).
    New(u64, u32, u32),
}

/// A chunk's small open-addressing table from the fingerprint of each distinct
/// new successor to its index in the thread's pool of states. Fingerprint 0 marks an
/// empty slot (fingerprints are never 0). The table grows when half full.
#[derive(Default)]
struct Seen {
    slots: Vec<(u64, u32)>,
    len: usize,
}

impl Seen {
    /// Empties the table, with room for `n` keys.
    fn reset(&mut self, n: usize) {
        let cap = (2 * n).next_power_of_two().max(16);
        self.slots.clear();
        self.slots.resize(cap, (0, 0));
        self.len = 0;
    }
    fn slot(&self, fp: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = (fp as usize) & mask;
        while self.slots[i].0 != 0 && self.slots[i].0 != fp {
            i = (i + 1) & mask;
        }
        i
    }
    /// The index recorded for `fp`, or else records `index` for it and
    /// returns `None`.
    fn get_or_put(&mut self, fp: u64, index: u32) -> Option<u32> {
        let i = self.slot(fp);
        if self.slots[i].0 == fp {
            return Some(self.slots[i].1);
        }
        self.slots[i] = (fp, index);
        self.len += 1;
        if 2 * self.len > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots.resize(2 * old.len(), (0, 0));
            for e in old.into_iter().filter(|e| e.0 != 0) {
                let i = self.slot(e.0);
                self.slots[i] = e;
            }
        }
        None
    }
}

#[derive(Clone, Copy)]
enum ClassRef {
    Id(u32),
    Key(u64, Fairness),
}

struct Succ {
    target: Target,
    class: ClassRef,
}

/// What a thread computed for a run of consecutive frontier states.
struct ChunkOut {
    n: usize,
    /// Per state: end of its successors in `succs`.
    succ_end: Vec<u32>,
    /// Per state: `words` words of live-predicate bits.
    live: Vec<u64>,
    /// (local state, state prop) discoveries, in order.
    hits: Vec<(u32, u32)>,
    /// (local state, step prop, action position, target fingerprint).
    step_hits: Vec<(u32, u32, u32, u64)>,
    succs: Vec<Succ>,
    /// The packed new successors (with [`Pack::IDENTITY`], every successor's
    /// encoding: those found known stay as unused bytes).
    bytes: Vec<u8>,
    /// With [`Pack::IDENTITY`]: per distinct successor, its encoding in `bytes`.
    spans: Vec<(u32, u32)>,
    /// With coverage on: the kind of action of each successor, parallel to `succs`.
    kinds: Vec<u32>,
    /// The distinct new successors of the chunk ([`Seen`]).
    seen: Seen,
    /// What each state of `fresh` resolved to, once looked up (and packed).
    resolved: Vec<Option<Target>>,
    generated: u64,
    /// Actions the model listed whose `next_state` was `None`.
    refused: u64,
}

struct Ctx<'a, M: Model> {
    model: &'a M,
    spec: &'a Spec<M>,
    state_done: &'a [bool],
    step_done: &'a [bool],
    graph: &'a Graph,
    expand: bool,
    words: usize,
    coverage: bool,
    /// Whether edges are kept ([`Spec::keeps_edges`]): fairness is computed only then.
    edges: bool,
}

impl ChunkOut {
    fn new() -> Self {
        ChunkOut {
            n: 0,
            succ_end: Vec::new(),
            live: Vec::new(),
            hits: Vec::new(),
            step_hits: Vec::new(),
            succs: Vec::new(),
            bytes: Vec::new(),
            spans: Vec::new(),
            kinds: Vec::new(),
            seen: Seen::default(),
            resolved: Vec::new(),
            generated: 0,
            refused: 0,
        }
    }
    fn clear(&mut self) {
        self.n = 0;
        self.succ_end.clear();
        self.live.clear();
        self.hits.clear();
        self.step_hits.clear();
        self.succs.clear();
        self.bytes.clear();
        self.spans.clear();
        self.kinds.clear();
        self.generated = 0;
        self.refused = 0;
    }
}

/// Recycled chunk buffers (avoids re-faulting fresh memory every batch).
type Pool = Mutex<Vec<ChunkOut>>;
/// Most buffers the pool keeps: one batch's chunks, since a batch takes one per chunk.
const POOL: usize = BATCH.div_ceil(CHUNK);

fn take_buffer(pool: &Pool) -> ChunkOut {
    lock(pool).pop().unwrap_or_else(ChunkOut::new)
}

/// Expands `states` into `out`. `fresh` is the thread's pool of states: the
/// successors are written over them ([`FairModel::next_state_into`]), so that a
/// successor reuses the buffers of one before it instead of allocating its own, and
/// `fresh[..kept]` hold the new successors until they are packed into `out.bytes`.
/// One pool per thread, used chunk after chunk, stays in the cache; a pool per chunk
/// buffer was cold when its turn came, and held the states of every buffer at once.
fn work_chunk<M>(
    ctx: &Ctx<M>,
    states: &[M::State],
    fresh: &mut Vec<M::State>,
    mut out: ChunkOut,
) -> ChunkOut
where
    M: FairModel,
    M::State: Hash + Pack,
    M::Action: Clone,
{
    let spec = ctx.spec;
    let model = ctx.model;
    out.clear();
    out.n = states.len();
    out.seen.reset(4 * states.len());
    let mut step_done: Vec<bool> = ctx.step_done.to_vec();
    let any_step = step_done.iter().any(|d| !d);
    let mut actions = Vec::new();
    let mut cache: [Option<(u64, Fairness, u32)>; CLASS_CACHE] = [None; CLASS_CACHE];
    let mut kept = 0usize;
    let identity = <M::State as Pack>::IDENTITY;
    for (local, s) in states.iter().enumerate() {
        let local = local as u32;
        for (pi, (cond, trigger)) in spec.state_props.iter().enumerate() {
            if !ctx.state_done[pi] && cond(model, s) == *trigger {
                out.hits.push((local, pi as u32));
            }
        }
        if ctx.words > 0 {
            let at = out.live.len();
            out.live.resize(at + ctx.words, 0);
            for (j, pred) in spec.live_preds.iter().enumerate() {
                if pred(model, s) {
                    out.live[at + j / 64] |= 1 << (j % 64);
                }
            }
        }
        if !ctx.expand {
            continue;
        }
        actions.clear();
        model.actions(s, &mut actions);
        for (ai, a) in actions.drain(..).enumerate() {
            let (key, kind) = if ctx.edges {
                model.fairness(s, &a)
            } else {
                (0, Fairness::Unfair)
            };
            let action_kind = if ctx.coverage {
                model.action_kind(s, &a).min(u32::MAX as usize) as u32
            } else {
                0
            };
            let (step, a) = if any_step {
                (a.clone(), Some(a))
            } else {
                (a, None)
            };
            // With a packed identity, one state of the pool is enough: a successor is
            // kept as its encoding.
            let slot = if identity.is_some() { 0 } else { kept };
            let stepped = if slot < fresh.len() {
                model.next_state_into(s, step, &mut fresh[slot])
            } else {
                match model.next_state(s, step) {
                    Some(next) => {
                        fresh.push(next);
                        true
                    }
                    None => false,
                }
            };
            if !stepped {
                out.refused += 1;
                continue;
            }
            let next = &fresh[slot];
            out.generated += 1;
            let (fp, span) = match identity {
                Some(tail) => {
                    let start = out.bytes.len();
                    next.pack(&mut out.bytes);
                    let end = out.bytes.len();
                    let fp = fingerprint_bytes(&out.bytes[start..end - tail]);
                    (fp, (start as u32, end as u32))
                }
                None => (fingerprint(next), (0, 0)),
            };
            if let Some(a) = &a {
                for (k, cond) in spec.step_props.iter().enumerate() {
                    if !step_done[k] && cond(model, s, a, next) {
                        step_done[k] = true;
                        out.step_hits.push((local, k as u32, ai as u32, fp));
                    }
                }
            }
            let class = if kind == Fairness::Unfair {
                ClassRef::Id(0)
            } else {
                // A small direct-mapped cache in front of the interner.
                let slot = &mut cache[(key as usize ^ kind as usize) % CLASS_CACHE];
                match *slot {
                    Some((k, f, id)) if k == key && f == kind => ClassRef::Id(id),
                    _ => match ctx.graph.class_id(key, kind) {
                        Some(id) => {
                            *slot = Some((key, kind, id));
                            ClassRef::Id(id)
                        }
                        None => ClassRef::Key(key, kind),
                    },
                }
            };
            // A state reached twice in one chunk (two actions that commute, taken
            // in either order from two states expanded side by side) is kept,
            // looked up and packed only the first time.
            let index = match out.seen.get_or_put(fp, kept as u32) {
                Some(index) => {
                    if identity.is_some() {
                        out.bytes.truncate(span.0 as usize);
                    }
                    index
                }
                None => {
                    out.spans.push(span);
                    kept += 1;
                    kept as u32 - 1
                }
            };
            out.succs.push(Succ {
                target: Target::New(fp, index, 0),
                class,
            });
            if ctx.coverage {
                out.kinds.push(action_kind);
            }
        }
        out.succ_end.push(out.succs.len() as u32);
    }
    // Resolve the successors already in the graph (dropping their states).
    // The table and fingerprint reads are cache misses: issue them for the
    // whole chunk first, as independent loads that overlap, then look up.
    let fp_of = |s: &Succ| match s.target {
        Target::New(fp, ..) => fp,
        Target::Known(_) => 0,
    };
    ctx.graph
        .table
        .warm(out.succs.iter().map(fp_of), &ctx.graph.fps);
    // Pack the states that are still new; keep all for the next chunk's successors.
    out.resolved.clear();
    out.resolved.resize(kept, None);
    for succ in &mut out.succs {
        if let Target::New(fp, i, _) = succ.target {
            let slot = &mut out.resolved[i as usize];
            succ.target = match *slot {
                Some(target) => target,
                None => {
                    let target = if let Some(t) = ctx.graph.index_of(fp) {
                        Target::Known(t)
                    } else if identity.is_some() {
                        let (start, end) = out.spans[i as usize];
                        Target::New(fp, start, end)
                    } else {
                        let start = out.bytes.len();
                        fresh[i as usize].pack(&mut out.bytes);
                        Target::New(fp, start as u32, out.bytes.len() as u32)
                    };
                    *slot = Some(target);
                    target
                }
            };
        }
    }
    out
}

/// The current unit of parallel work: expand (or only evaluate) the
/// frontier states `lo..hi`.
struct Job {
    lo: usize,
    hi: usize,
    expand: bool,
    words: usize,
    state_done: Vec<bool>,
    step_done: Vec<bool>,
    stop: bool,
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}
fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}
fn lock<T>(l: &Mutex<T>) -> MutexGuard<'_, T> {
    l.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A reusable barrier that spins briefly before sleeping: waking a thread
/// blocked in the kernel can take milliseconds on virtual machines, longer
/// than a whole batch.
struct SpinBarrier {
    n: usize,
    count: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        SpinBarrier {
            n,
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }
    fn wait(&self) {
        let gen = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let since = Instant::now();
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == gen {
            if spins < 1000 {
                spins += 1;
                std::hint::spin_loop();
            } else if since.elapsed() < Duration::from_millis(2) {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
    }
}

/// A thread's states: those it decodes its chunks into, and its pool of successor
/// states ([`work_chunk`]).
type Scratch<S> = (Vec<S>, Vec<S>);

/// State shared by the main thread and the persistent worker threads.
/// Phases are separated by a barrier: while a batch is computed every
/// thread only reads the graph and frontier; the main thread then merges
/// (writes) while the workers wait.
struct Crew<'a, M: Model> {
    model: &'a M,
    spec: &'a Spec<M>,
    graph: RwLock<Graph>,
    frontier: RwLock<Packed>,
    job: RwLock<Job>,
    next_chunk: AtomicUsize,
    results: Mutex<Vec<(usize, ChunkOut)>>,
    pool: Pool,
    /// Per thread that worked on the last batch: its [`Scratch`], kept for the next
    /// batch with their vectors' buffers.
    scratch: Mutex<Vec<Scratch<M::State>>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    barrier: SpinBarrier,
    /// No worker threads.
    solo: bool,
    coverage: bool,
}

impl<M> Crew<'_, M>
where
    M: FairModel + Sync,
    M::State: Hash + Send + Sync + Pack,
    M::Action: Clone,
{
    /// Takes chunks of the current job until none is left.
    fn work(&self) {
        let job = read(&self.job);
        let g = read(&self.graph);
        let frontier = read(&self.frontier);
        let ctx = Ctx {
            model: self.model,
            spec: self.spec,
            state_done: &job.state_done,
            step_done: &job.step_done,
            graph: &g,
            expand: job.expand,
            words: job.words,
            coverage: self.coverage,
            edges: self.spec.keeps_edges(),
        };
        let mut mine = Vec::new();
        let (mut states, mut fresh) = lock(&self.scratch).pop().unwrap_or_default();
        loop {
            let c = self.next_chunk.fetch_add(1, Ordering::Relaxed);
            let lo = job.lo.saturating_add(c.saturating_mul(CHUNK));
            if lo >= job.hi {
                break;
            }
            let hi = (lo + CHUNK).min(job.hi);
            if hi > frontier.len() {
                break;
            }
            frontier.unpack_range(lo, hi, &mut states);
            let out = work_chunk(&ctx, &states, &mut fresh, take_buffer(&self.pool));
            mine.push((c, out));
        }
        lock(&self.results).append(&mut mine);
        lock(&self.scratch).push((states, fresh));
    }

    fn guarded_work(&self) {
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| self.work())) {
            let mut p = lock(&self.panic);
            if p.is_none() {
                *p = Some(e);
            }
        }
    }

    fn worker_loop(&self) {
        loop {
            self.barrier.wait();
            if read(&self.job).stop {
                return;
            }
            self.guarded_work();
            self.barrier.wait();
        }
    }

    /// Runs one job on all threads; returns the chunk outputs in order. A
    /// panic in the model is re-raised here.
    fn batch(
        &self,
        lo: usize,
        hi: usize,
        expand: bool,
        words: usize,
        state_done: Vec<bool>,
        step_done: Vec<bool>,
    ) -> Vec<ChunkOut> {
        {
            let mut j = write(&self.job);
            j.lo = lo;
            j.hi = hi;
            j.expand = expand;
            j.words = words;
            j.state_done = state_done;
            j.step_done = step_done;
        }
        self.next_chunk.store(0, Ordering::Relaxed);
        if self.solo || hi - lo <= 2 * CHUNK {
            // Not worth waking the workers.
            self.guarded_work();
        } else {
            self.barrier.wait();
            self.guarded_work();
            self.barrier.wait();
        }
        if let Some(e) = lock(&self.panic).take() {
            resume_unwind(e);
        }
        let mut all = std::mem::take(&mut *lock(&self.results));
        all.sort_unstable_by_key(|(c, _)| *c);
        all.into_iter().map(|(_, o)| o).collect()
    }

    /// Releases the workers (call exactly once).
    fn stop(&self) {
        write(&self.job).stop = true;
        self.barrier.wait();
    }

    fn recycle(&self, mut outs: Vec<ChunkOut>) {
        for o in &mut outs {
            o.clear();
        }
        let mut pool = lock(&self.pool);
        pool.append(&mut outs);
        // Never more than a batch takes: buffers left over would only hold memory.
        pool.truncate(POOL);
    }
}

struct Merge<'a> {
    g: &'a mut Graph,
    live_bits: &'a mut [BitSet],
    state_found: &'a mut [Option<Discovery>],
    step_found: &'a mut [Option<Discovery>],
    next: &'a mut Packed,
    limit: usize,
    complete: &'a mut bool,
    max_depth: &'a mut u32,
    depth: u32,
    tmp: Vec<(u32, u32)>,
    /// With coverage on: the counts per kind of action (the last for undeclared).
    coverage: Option<&'a mut Vec<KindCount>>,
    /// Whether edges are stored ([`Spec::keeps_edges`]).
    edges: bool,
}

impl Merge<'_> {
    /// Records discoveries of a chunk whose first state has index `first`.
    fn hits(&mut self, out: &ChunkOut, first: usize) {
        for &(local, p) in &out.hits {
            let slot = &mut self.state_found[p as usize];
            if slot.is_none() {
                *slot = Some(Discovery::State((first + local as usize) as u32));
            }
        }
        for &(local, p, action, fp) in &out.step_hits {
            let slot = &mut self.step_found[p as usize];
            if slot.is_none() {
                *slot = Some(Discovery::Step {
                    src: (first + local as usize) as u32,
                    action,
                    fp,
                });
            }
        }
    }

    /// Merges an expanded chunk whose first state has index `first`.
    fn expanded(&mut self, out: &mut ChunkOut, first: usize) {
        self.hits(out, first);
        self.g.table.warm(
            out.succs.iter().map(|s| match s.target {
                Target::New(fp, ..) => fp,
                Target::Known(_) => 0,
            }),
            &self.g.fps,
        );
        let words = if self.live_bits.is_empty() {
            0
        } else {
            out.live.len() / out.n.max(1)
        };
        let kinds = &out.kinds;
        let mut all = std::mem::take(&mut out.succs);
        let mut succs = all.drain(..);
        let mut start = 0usize;
        for i in 0..out.n {
            let src = (first + i) as u32;
            for (j, bits) in self.live_bits.iter_mut().enumerate() {
                bits.push((out.live[i * words + j / 64] >> (j % 64)) & 1 == 1);
            }
            let end = out.succ_end[i] as usize;
            self.tmp.clear();
            for (at, succ) in (start..end).zip(succs.by_ref()) {
                if !*self.complete {
                    continue;
                }
                let mut fresh = false;
                let target = match succ.target {
                    Target::Known(t) => t,
                    Target::New(fp, a, b) => {
                        let room = self.g.len() < self.limit;
                        match self.g.find_or_add(fp, src, room) {
                            Found::Old(t) => t,
                            Found::New(t) => {
                                self.next.push_bytes(&out.bytes[a as usize..b as usize]);
                                *self.max_depth = self.depth + 1;
                                fresh = true;
                                t
                            }
                            Found::Full => {
                                *self.complete = false;
                                continue;
                            }
                        }
                    }
                };
                let class = match succ.class {
                    ClassRef::Id(c) => c,
                    ClassRef::Key(k, f) => self.g.intern(k, f),
                };
                self.tmp.push((class, target));
                if let Some(cov) = self.coverage.as_deref_mut() {
                    count_kind(cov, kinds.get(at).copied(), fresh, self.depth);
                }
            }
            start = end;
            self.tmp.sort_unstable();
            self.tmp.dedup();
            if *self.complete {
                self.g.edge_count += self.tmp.len() as u64;
            }
            if !self.edges {
                continue;
            }
            if self.g.targets.len() + self.tmp.len() > u32::MAX as usize {
                *self.complete = false;
            }
            if *self.complete {
                for &(c, t) in &self.tmp {
                    self.g.targets.push(t);
                    self.g.classes.push(c);
                }
            }
            self.g.offsets.push(self.g.targets.len() as u32);
        }
        drop(succs);
        out.succs = all;
    }
}

/// What the main loop accumulates besides the graph.
struct Drive {
    live_bits: Vec<BitSet>,
    state_found: Vec<Option<Discovery>>,
    step_found: Vec<Option<Discovery>>,
    complete: bool,
    generated: u64,
    max_depth: u32,
    coverage: Option<Vec<KindCount>>,
    refused: u64,
}

/// Counts one transition of kind `kind` (the last entry of `cov` for a kind out of
/// range) taken at `depth`; `fresh` if it found a new state.
fn count_kind(cov: &mut [KindCount], kind: Option<u32>, fresh: bool, depth: u32) {
    let last = cov.len() - 1;
    let k = kind.map_or(last, |k| (k as usize).min(last));
    let c = &mut cov[k];
    c.transitions += 1;
    c.new_states += fresh as u64;
    if c.first_depth.is_none() {
        c.first_depth = Some(depth);
    }
}

/// Explores the reachable graph of `model` (see the module docs).
pub fn explore<M>(model: &M, spec: &Spec<M>, opts: &Options) -> Exploration
where
    M: FairModel + Sync,
    M::State: Clone + Hash + Send + Sync + Pack,
    M::Action: Clone + Send + Sync,
{
    let start = Instant::now();
    let threads = opts.threads.max(1);
    let limit = opts.max_states.unwrap_or(usize::MAX).min(MAX_STATES);
    let mut g = Graph::new();
    let mut complete = true;
    let mut frontier = Packed::default();
    let mut scratch = Vec::new();
    for s in model.init_states() {
        let fp = state_fingerprint(&s, &mut scratch);
        if g.index_of(fp).is_some() {
            continue;
        }
        if g.len() >= limit {
            complete = false;
            break;
        }
        g.add_state(fp, NONE);
        frontier.push(&s);
    }
    g.num_init = g.len() as u32;

    let crew = Crew {
        model,
        spec,
        graph: RwLock::new(g),
        frontier: RwLock::new(frontier),
        job: RwLock::new(Job {
            lo: 0,
            hi: 0,
            expand: false,
            words: 0,
            state_done: Vec::new(),
            step_done: Vec::new(),
            stop: false,
        }),
        next_chunk: AtomicUsize::new(0),
        results: Mutex::new(Vec::new()),
        pool: Mutex::new(Vec::new()),
        scratch: Mutex::new(Vec::new()),
        panic: Mutex::new(None),
        barrier: SpinBarrier::new(threads),
        solo: threads == 1,
        coverage: opts.coverage,
    };
    let drive = std::thread::scope(|sc| {
        for _ in 1..threads {
            sc.spawn(|| crew.worker_loop());
        }
        let r = catch_unwind(AssertUnwindSafe(|| {
            drive(&crew, opts, start, limit, complete)
        }));
        crew.stop();
        match r {
            Ok(d) => d,
            Err(e) => resume_unwind(e),
        }
    });
    let Drive {
        mut live_bits,
        state_found,
        step_found,
        complete,
        generated,
        max_depth,
        coverage,
        refused,
    } = drive;
    let mut g = crew
        .graph
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if !complete && spec.keeps_edges() {
        // Unexpanded states have no edges.
        let last = g.targets.len() as u32;
        g.offsets.resize(g.len() + 1, last);
    }
    g.offsets.shrink_to_fit();
    g.targets.shrink_to_fit();
    g.classes.shrink_to_fit();
    for b in &mut live_bits {
        b.shrink();
    }
    Exploration {
        graph: g,
        complete,
        generated,
        max_depth,
        state_found,
        step_found,
        live_bits,
        coverage,
        refused,
    }
}

/// The main thread's level-by-level loop.
fn drive<M>(crew: &Crew<M>, opts: &Options, start: Instant, limit: usize, complete: bool) -> Drive
where
    M: FairModel + Sync,
    M::State: Clone + Hash + Send + Sync + Pack,
    M::Action: Clone + Send + Sync,
{
    let spec = crew.spec;
    let words = spec.live_preds.len().div_ceil(64);
    let mut d = Drive {
        live_bits: vec![BitSet::default(); spec.live_preds.len()],
        state_found: vec![None; spec.state_props.len()],
        step_found: vec![None; spec.step_props.len()],
        complete,
        generated: 0,
        max_depth: 0,
        coverage: opts
            .coverage
            .then(|| vec![KindCount::default(); crew.model.action_kinds().len() + 1]),
        refused: 0,
    };
    let mut base = 0usize; // index of frontier[0]
    let mut depth = 0u32;
    let mut pos = 0usize; // frontier[..pos] is expanded
    let mut next = Packed::default();
    let mut last_progress = start;
    let mut tmp = Vec::new();
    let mut flen = read(&crew.frontier).len();
    while d.complete && flen > 0 {
        pos = 0;
        while pos < flen {
            let end = (pos + BATCH).min(flen);
            let outs = crew.batch(
                pos,
                end,
                true,
                words,
                d.state_found.iter().map(Option::is_some).collect(),
                d.step_found.iter().map(Option::is_some).collect(),
            );
            let mut g = write(&crew.graph);
            let mut m = Merge {
                g: &mut g,
                live_bits: &mut d.live_bits,
                state_found: &mut d.state_found,
                step_found: &mut d.step_found,
                next: &mut next,
                limit,
                complete: &mut d.complete,
                max_depth: &mut d.max_depth,
                depth,
                tmp: std::mem::take(&mut tmp),
                coverage: d.coverage.as_mut(),
                edges: spec.keeps_edges(),
            };
            let mut first = base + pos;
            let mut outs = outs;
            for out in &mut outs {
                d.generated += out.generated;
                d.refused += out.refused;
                m.expanded(out, first);
                first += out.n;
            }
            tmp = m.tmp;
            let unique = g.len() as u64;
            drop(g);
            crew.recycle(outs);
            pos = end;
            // The blocks of the states just expanded go on to hold the next level.
            next.recycle(write(&crew.frontier).release_before(pos));
            if opts.timeout.is_some_and(|t| start.elapsed() >= t) || opts.stop.is_some_and(|f| f())
            {
                d.complete = false;
            }
            if let Some(cb) = opts.progress {
                if last_progress.elapsed() >= Duration::from_secs(1) {
                    last_progress = Instant::now();
                    cb(Progress {
                        states: d.generated,
                        unique_states: unique,
                        depth,
                        elapsed: start.elapsed(),
                    });
                }
            }
            if !d.complete {
                break;
            }
        }
        if !d.complete {
            break;
        }
        base += flen;
        flen = next.len();
        // What the expanded level still holds is freed, and so are the blocks it
        // gave the next level that the next level did not fill: kept, they would
        // hold the widest level's size to the end of the search.
        next.drop_spare();
        *write(&crew.frontier) = std::mem::take(&mut next);
        depth += 1;
    }

    if !d.complete {
        // Evaluate the state properties on the discovered but unexpanded
        // states, in index order: frontier[pos..], then next (state indices
        // `base + flen ..`). The two are read in place, one after the other:
        // joining them would allocate at the moment memory is short.
        let flen = read(&crew.frontier).len();
        let passes = [(pos.min(flen), flen, base), (0, next.len(), base + flen)];
        for (pass, (lo, n, first)) in passes.into_iter().enumerate() {
            if pass == 1 {
                *write(&crew.frontier) = std::mem::take(&mut next);
            }
            let mut at = lo;
            while at < n {
                let end = (at + BATCH).min(n);
                let outs = crew.batch(
                    at,
                    end,
                    false,
                    0,
                    d.state_found.iter().map(Option::is_some).collect(),
                    Vec::new(),
                );
                let mut g = write(&crew.graph);
                let mut dummy_next = Packed::default();
                let mut m = Merge {
                    g: &mut g,
                    live_bits: &mut [],
                    state_found: &mut d.state_found,
                    step_found: &mut d.step_found,
                    next: &mut dummy_next,
                    limit,
                    complete: &mut d.complete,
                    max_depth: &mut d.max_depth,
                    depth,
                    tmp: Vec::new(),
                    coverage: None,
                    edges: spec.keeps_edges(),
                };
                let mut f = first + at;
                for out in &outs {
                    m.hits(out, f);
                    f += out.n;
                }
                drop(g);
                crew.recycle(outs);
                at = end;
            }
        }
    }
    *write(&crew.frontier) = Packed::default();
    d
}

#[cfg(test)]
mod seen_tests {
    use super::Seen;

    #[test]
    fn a_chunk_remembers_the_first_index_of_each_fingerprint() {
        let mut seen = Seen::default();
        seen.reset(3);
        assert_eq!(seen.slots.len(), 16);
        // 1, 17 and 33 all start at slot 1 of 16: the later ones probe on.
        assert_eq!(seen.get_or_put(1, 0), None);
        assert_eq!(seen.get_or_put(17, 1), None);
        assert_eq!(seen.get_or_put(33, 2), None);
        assert_eq!(seen.get_or_put(1, 3), Some(0));
        assert_eq!(seen.get_or_put(17, 4), Some(1));
        assert_eq!(seen.get_or_put(33, 5), Some(2));
        assert_eq!(seen.len, 3);
        // A reset forgets everything.
        seen.reset(100);
        assert_eq!(seen.slots.len(), 256);
        assert_eq!(seen.get_or_put(1, 9), None);
    }

    #[test]
    fn the_table_wraps_around_its_end() {
        let mut seen = Seen::default();
        seen.reset(1);
        assert_eq!(seen.get_or_put(15, 1), None);
        assert_eq!(seen.get_or_put(31, 2), None);
        assert_eq!(seen.slots[0], (31, 2));
        assert_eq!(seen.get_or_put(31, 3), Some(2));
    }

    #[test]
    fn the_table_grows_when_half_full_and_keeps_every_key() {
        let mut seen = Seen::default();
        seen.reset(1);
        // Half full is full enough: 8 keys stay in 16 slots, the 9th doubles them.
        for k in 1..=8u64 {
            assert_eq!(seen.get_or_put(k * 1000, 0), None);
        }
        assert_eq!(seen.slots.len(), 16);
        assert_eq!(seen.get_or_put(9000, 0), None);
        assert_eq!(seen.slots.len(), 32);
        seen.reset(1);
        for k in 1..=1000u64 {
            assert_eq!(seen.get_or_put(k * 16, k as u32), None, "key {k}");
            assert!(2 * seen.len <= seen.slots.len());
        }
        assert_eq!(seen.slots.len(), 2048);
        for k in 1..=1000u64 {
            assert_eq!(seen.get_or_put(k * 16, 0), Some(k as u32), "key {k}");
        }
    }
}
