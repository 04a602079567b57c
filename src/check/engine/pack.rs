//! The BFS frontier, packed.
//!
//! A level of the breadth-first search can hold a tenth of all states, and a state
//! held as a Rust value (vectors, inline arrays, payload pointers) takes several
//! hundred bytes. The frontier therefore keeps each state packed ([`Pack`]) and
//! decodes it again when the state is expanded. A wire state packs by hand
//! (`crate::wire::flat`: a TCP host's and a page-load node's fields a few bytes at a
//! time, an HTTP/2 node's by postcard); the engine's own test models pack by postcard
//! ([`pack_by_postcard!`](crate::pack_by_postcard)). Decoding gives back an equal state with an equal
//! fingerprint: `tests/pack.rs` checks that on the first states of every scenario.
//!
//! The encoding is kept as written. Runs of zero bytes used to be squeezed
//! (a zero and the run's length), which paid while the states held 32-byte ghost
//! arrays; once those were words, a TCP state's 112 bytes squeezed to 108 and an HTTP
//! state's 139 to 126, and squeezing and unsqueezing cost 15 % of the instructions of
//! a TCP run (bench/README.md, "A seventh round").
//!
//! A thread decodes each chunk of a level into the states of the chunk it expanded
//! before ([`Pack::unpack_into`]), so that the states' vectors keep their buffers and
//! decoding does not allocate them again.

/// A state the engine can keep packed.
pub trait Pack: Sized {
    /// Appends the encoding of `self` to `out`.
    fn pack(&self, out: &mut Vec<u8>);
    /// Decodes a state that [`Pack::pack`] wrote.
    fn unpack(bytes: &[u8]) -> Self;
    /// Decodes a state that [`Pack::pack`] wrote into `place`, reusing what `place`
    /// holds (its vectors' buffers).
    fn unpack_into(bytes: &[u8], place: &mut Self);
    /// `Some(n)` when the encoding but its last `n` bytes is the state's identity: two
    /// states are equal exactly when those bytes are. The engine then fingerprints a
    /// successor over its encoding, and keeps that encoding when the successor is new,
    /// instead of hashing the state field by field and encoding it apart. `None`: the
    /// engine fingerprints the state's `Hash`.
    const IDENTITY: Option<usize> = None;
}

/// The engine's fingerprint of a state: over its encoding when that is its identity
/// ([`Pack::IDENTITY`]; `scratch` holds the encoding), else over its `Hash`.
pub fn state_fingerprint<S: Pack + std::hash::Hash>(s: &S, scratch: &mut Vec<u8>) -> u64 {
    match S::IDENTITY {
        Some(tail) => {
            scratch.clear();
            s.pack(scratch);
            super::explore::fingerprint_bytes(&scratch[..scratch.len() - tail])
        }
        None => super::fingerprint(s),
    }
}

/// Implements [`Pack`] by postcard (serde) for the listed types: the engine's own
/// tests use it. A wire state packs by hand ([`crate::wire::flat`]).
#[macro_export]
macro_rules! pack_by_postcard {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::check::engine::pack::Pack for $t {
            fn pack(&self, out: &mut Vec<u8>) {
                $crate::wire::flat::postcard_put(self, out)
            }
            fn unpack(bytes: &[u8]) -> Self {
                $crate::check::engine::pack::whole(
                    bytes,
                    |inp| $crate::wire::flat::postcard_take(inp),
                )
            }
            fn unpack_into(bytes: &[u8], place: &mut Self) {
                $crate::check::engine::pack::whole(bytes, |inp| {
                    $crate::wire::flat::postcard_take_into(inp, place)
                })
            }
        }
    )*};
}

/// Runs `read` over the whole of `bytes`: an internal error when it fails or leaves
/// bytes unread.
pub fn whole<T>(bytes: &[u8], read: impl FnOnce(&mut &[u8]) -> Option<T>) -> T {
    let mut inp = bytes;
    match read(&mut inp) {
        Some(v) if inp.is_empty() => v,
        Some(_) => panic!(
            "internal error: a packed state did not decode: {} bytes were left over",
            inp.len()
        ),
        None => panic!(
            "internal error: a packed state did not decode: {} of {} bytes read",
            bytes.len() - inp.len(),
            bytes.len()
        ),
    }
}

/// A postcard output that appends to a `Vec` (postcard's own `ExtendFlavor` goes
/// through `Extend` one byte at a time).
pub(crate) struct Appending<'a>(pub(crate) &'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Appending<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, b: u8) -> postcard::Result<()> {
        self.0.push(b);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// The bytes of one block of a [`Packed`] sequence. A block is allocated once at its
/// full size and never grows, so that filling a level of the search never copies
/// what it holds (a single growing `Vec` copied it at every doubling and touched
/// twice its final size in fresh pages).
const BLOCK: usize = 1 << 20;

/// A sequence of packed states, kept in blocks of [`BLOCK`] bytes. A state never
/// straddles two blocks (one larger than a block gets a block of its own size).
/// [`Packed::clear`] keeps the blocks for the states pushed next. While a level of the
/// search is expanded, [`Packed::release_before`] hands the blocks of the states
/// already expanded to the next level ([`Packed::recycle`]), so that the two levels
/// share their memory instead of adding up: the peak is about the wider level, not
/// the sum of the two widest neighbours.
#[derive(Default)]
pub struct Packed {
    blocks: Vec<Vec<u8>>,
    /// The blocks in use: `blocks[..used]`; the last of them is being filled.
    used: usize,
    /// `blocks[..released]` were given away by [`Packed::release_before`].
    released: usize,
    /// Per state: its block, and its start and end in that block.
    spans: Vec<(u32, u32, u32)>,
    /// Empty blocks to fill before the allocator is asked for more.
    spare: Vec<Vec<u8>>,
}

impl Packed {
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    /// The encoding of state `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        let (b, lo, hi) = self.spans[i];
        &self.blocks[b as usize][lo as usize..hi as usize]
    }
    /// A block with room for `n` more bytes, made current.
    fn room(&mut self, n: usize) -> usize {
        if self.used > 0 {
            let cur = &self.blocks[self.used - 1];
            if cur.capacity() - cur.len() >= n {
                return self.used - 1;
            }
        }
        if self.used == self.blocks.len() {
            let block = match self.spare.pop() {
                Some(b) if b.capacity() >= n => b,
                _ => Vec::with_capacity(BLOCK.max(n)),
            };
            self.blocks.push(block);
        } else if self.blocks[self.used].capacity() < n {
            self.blocks[self.used] = Vec::with_capacity(BLOCK.max(n));
        }
        self.used += 1;
        self.used - 1
    }
    fn record(&mut self, b: usize, start: usize) {
        let end = self.blocks[b].len();
        self.spans.push((b as u32, start as u32, end as u32));
    }
    pub fn push<S: Pack>(&mut self, s: &S) {
        let mut buf = Vec::new();
        s.pack(&mut buf);
        self.push_bytes(&buf);
    }
    /// Appends an encoding made elsewhere.
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        let b = self.room(bytes.len());
        let start = self.blocks[b].len();
        self.blocks[b].extend_from_slice(bytes);
        self.record(b, start);
    }
    /// Decodes states `lo..hi` into `out`, which then holds exactly those.
    pub fn unpack_range<S: Pack>(&self, lo: usize, hi: usize, out: &mut Vec<S>) {
        // The states already in `out` are decoded over, keeping their buffers.
        out.truncate(hi - lo);
        for (i, s) in (lo..).zip(out.iter_mut()) {
            S::unpack_into(self.get(i), s);
        }
        let done = lo + out.len();
        out.extend((done..hi).map(|i| S::unpack(self.get(i))));
    }
    /// Forgets every state and keeps the blocks for the states pushed next.
    pub fn clear(&mut self) {
        for b in &mut self.blocks {
            b.clear();
        }
        self.used = 0;
        self.released = 0;
        self.spans.clear();
    }
    /// Gives away, emptied, the blocks that hold only states before state `i`: the
    /// caller will never [`Packed::get`] those states again. States `i..` stay.
    pub fn release_before(&mut self, i: usize) -> Vec<Vec<u8>> {
        // Blocks fill in order, so the states before `i` lie in the blocks before
        // state i's block (or, when i is the end, in every block in use but the one
        // still being filled).
        let keep = match self.spans.get(i) {
            Some(&(b, ..)) => b as usize,
            None => self.used.saturating_sub(1),
        };
        let mut out = Vec::new();
        while self.released < keep {
            let mut b = std::mem::take(&mut self.blocks[self.released]);
            b.clear();
            out.push(b);
            self.released += 1;
        }
        out
    }
    /// Drops the spare blocks (those no state was written to).
    pub fn drop_spare(&mut self) {
        self.spare = Vec::new();
    }
    /// Adds empty blocks to fill before allocating new ones.
    pub fn recycle(&mut self, blocks: Vec<Vec<u8>>) {
        self.spare.extend(blocks);
    }
    /// Bytes held, from capacities.
    pub fn bytes(&self) -> usize {
        self.blocks
            .iter()
            .chain(&self.spare)
            .map(Vec::capacity)
            .sum::<usize>()
            + self.spans.capacity() * std::mem::size_of::<(u32, u32, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_fill_blocks_without_straddling_and_clear_keeps_them() {
        let mut p = Packed::default();
        let small = vec![7u8; 1000];
        let big = vec![9u8; BLOCK + 5];
        let n = 2 * BLOCK / small.len() + 3;
        for k in 0..n {
            p.push_bytes(&small[..1000 - k % 7]);
        }
        p.push_bytes(&big);
        p.push_bytes(&small);
        assert_eq!(p.len(), n + 2);
        for k in 0..n {
            assert_eq!(p.get(k), &small[..1000 - k % 7], "state {k}");
        }
        assert_eq!(p.get(n), &big[..]);
        assert_eq!(p.get(n + 1), &small[..]);
        assert!(p.blocks.iter().all(|b| b.len() <= b.capacity()));
        let held = p.bytes();
        let blocks = p.blocks.len();
        assert!(blocks >= 4, "{blocks} blocks");
        p.clear();
        assert!(p.is_empty());
        assert_eq!(p.bytes(), held, "clear keeps the blocks");
        p.push_bytes(&[1, 2, 3]);
        assert_eq!(p.get(0), &[1, 2, 3]);
        assert_eq!(p.blocks.len(), blocks);
    }

    #[test]
    fn expanded_states_hand_their_blocks_to_the_next_level() {
        // 1,000-byte states, 1,048 to a block: state k lies in block k / 1048.
        let per = BLOCK / 1000;
        let state = |k: usize| vec![(k % 251) as u8 + 1; 1000];
        let mut cur = Packed::default();
        for k in 0..3 * per + 10 {
            cur.push_bytes(&state(k));
        }
        assert_eq!(cur.blocks.len(), 4);
        // Nothing is released before the first state of the second block.
        assert!(cur.release_before(per - 1).is_empty());
        assert!(cur.release_before(per).len() == 1);
        assert!(cur.release_before(per).is_empty(), "released once");
        // Up to a state in the middle of block 2: block 1 goes too, block 2 stays.
        let freed = cur.release_before(2 * per + 5);
        assert_eq!(freed.len(), 1);
        assert!(freed.iter().all(|b| b.is_empty() && b.capacity() >= BLOCK));
        for k in 2 * per + 5..cur.len() {
            assert_eq!(cur.get(k), &state(k)[..], "state {k} is kept");
        }
        // At the end, every block but the one being filled.
        let rest = cur.release_before(cur.len());
        assert_eq!(rest.len(), 1);
        assert_eq!(cur.get(cur.len() - 1), &state(cur.len() - 1)[..]);
        // The next level fills the blocks it was given before it allocates.
        let mut next = Packed::default();
        next.recycle(freed);
        next.recycle(rest);
        let given = next.bytes();
        for k in 0..2 * per {
            next.push_bytes(&state(k));
        }
        assert_eq!(next.bytes(), given + next.spans.capacity() * 12);
        next.push_bytes(&state(0));
        assert!(
            next.bytes() > given + next.spans.capacity() * 12,
            "a third block"
        );
        for k in 0..2 * per {
            assert_eq!(next.get(k), &state(k)[..]);
        }
        // What was given and not filled can be dropped.
        let mut idle = Packed::default();
        idle.recycle(vec![Vec::with_capacity(BLOCK)]);
        assert!(idle.bytes() >= BLOCK);
        idle.drop_spare();
        assert_eq!(idle.bytes(), 0);
    }

    crate::pack_by_postcard!(
        (u8, Vec<u16>),
        (u8, Vec<u16>, Option<String>, [u8; 4], bool, String),
        (u8, String),
    );

    #[test]
    fn a_packed_sequence_keeps_its_states_apart_and_clears() {
        type S = (u8, Vec<u16>);
        let states: Vec<S> = vec![(0, vec![]), (7, vec![0, 0, 5]), (0, vec![300]), (1, vec![])];
        let mut p = Packed::default();
        assert!(p.is_empty());
        for s in &states {
            p.push(s);
        }
        assert_eq!(p.len(), 4);
        assert!(!p.is_empty());
        let mut out: Vec<S> = vec![(9, vec![9])];
        p.unpack_range(0, 4, &mut out);
        assert_eq!(out, states);
        p.unpack_range(1, 3, &mut out);
        assert_eq!(out, &states[1..3]);
        // An encoding copied from elsewhere is one more state.
        let mut q = Packed::default();
        q.push_bytes(p.get(2));
        q.push_bytes(p.get(0));
        q.unpack_range(0, 2, &mut out);
        assert_eq!(out, [states[2].clone(), states[0].clone()]);
        // Cleared, it is empty and takes new states from index 0.
        p.clear();
        assert!(p.is_empty());
        p.push(&states[3]);
        p.unpack_range(0, 1, &mut out);
        assert_eq!(out, &states[3..]);
    }

    #[test]
    fn a_value_packs_as_its_postcard_encoding_after_what_was_there() {
        type V = (u8, Vec<u16>, Option<String>, [u8; 4], bool, String);
        let v: V = (
            0,
            vec![0, 300, 0],
            Some("a".into()),
            [0, 1, 0, 2],
            true,
            "x".repeat(200),
        );
        let mut out = vec![0xaa, 0xbb];
        v.pack(&mut out);
        let expect = postcard::to_allocvec(&v).unwrap_or_default();
        assert_eq!(&out[..2], &[0xaa, 0xbb], "what was there stays");
        assert_eq!(&out[2..], &expect[..]);
        assert_eq!(expect.len(), 1 + 5 + 3 + 4 + 1 + 202);
        assert_eq!(V::unpack(&out[2..]), v);
    }

    #[test]
    fn a_state_decoded_over_another_equals_it() {
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Inner {
            a: u8,
            v: Vec<u16>,
        }
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct S {
            xs: Vec<Inner>,
            o: Option<Vec<u8>>,
            n: u32,
        }
        crate::pack_by_postcard!(S);
        let s = |k: u16| S {
            xs: (0..k)
                .map(|i| Inner {
                    a: i as u8,
                    v: vec![i; i as usize],
                })
                .collect(),
            o: (k % 2 == 0).then(|| vec![1; k as usize]),
            n: k as u32 * 1000,
        };
        // Longer over shorter, shorter over longer, and over itself.
        for (from, to) in [(1, 5), (5, 1), (4, 0), (0, 4), (3, 3)] {
            let mut bytes = Vec::new();
            s(to).pack(&mut bytes);
            let mut place = s(from);
            S::unpack_into(&bytes, &mut place);
            assert_eq!(place, s(to), "{from} → {to}");
        }
        // A sequence decoded over a longer and a shorter one.
        let mut p = Packed::default();
        for k in 0..6 {
            p.push(&s(k));
        }
        let mut out: Vec<S> = (10..20).map(s).collect();
        p.unpack_range(1, 4, &mut out);
        assert_eq!(out, [s(1), s(2), s(3)]);
        p.unpack_range(0, 6, &mut out);
        assert_eq!(out, (0..6).map(s).collect::<Vec<_>>());
    }

    #[test]
    #[should_panic(expected = "a packed state did not decode")]
    fn a_truncated_state_is_an_internal_error() {
        let mut out = Vec::new();
        (7u8, "abc".to_string()).pack(&mut out);
        out.pop();
        let _ = <(u8, String)>::unpack(&out);
    }

    #[test]
    fn a_cleared_sequence_refills_the_same_blocks_and_replaces_one_too_small() {
        // 2098 states of 1000 bytes: two full blocks (1048 states each) and a third.
        let small = vec![7u8; 1000];
        let n = 2 * BLOCK / small.len() + 1;
        let mut p = Packed::default();
        for _ in 0..n {
            p.push_bytes(&small);
        }
        assert_eq!(p.blocks.len(), 3);
        assert_eq!(
            p.bytes(),
            3 * BLOCK + p.spans.capacity() * std::mem::size_of::<(u32, u32, u32)>()
        );
        let held = p.bytes();
        let at: Vec<*const u8> = p.blocks.iter().map(|b| b.as_ptr()).collect();
        // The next level fills the same blocks: no new allocation.
        p.clear();
        for _ in 0..n {
            p.push_bytes(&small);
        }
        let again: Vec<*const u8> = p.blocks.iter().map(|b| b.as_ptr()).collect();
        assert_eq!(again, at);
        assert_eq!(p.bytes(), held);
        // A state of exactly a block's size fits the first block.
        p.clear();
        p.push_bytes(&vec![8u8; BLOCK]);
        assert_eq!(p.blocks[0].as_ptr(), at[0]);
        assert_eq!(p.get(0).len(), BLOCK);
        // A state larger than a block replaces the first block by one of its size.
        p.clear();
        let big = vec![9u8; BLOCK + 5];
        p.push_bytes(&big);
        assert_eq!(p.get(0), &big[..]);
        assert_eq!(p.blocks.len(), 3);
        assert_eq!(p.blocks[0].capacity(), BLOCK + 5);
    }
}
