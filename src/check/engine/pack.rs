//! The BFS frontier, packed.
//!
//! A level of the breadth-first search can hold a tenth of all states, and a state
//! held as a Rust value (vectors, inline arrays, payload pointers) takes several
//! hundred bytes. The frontier therefore keeps each state as its `postcard` encoding
//! (varints, no padding) with the runs of zero bytes squeezed, and decodes it again
//! when the state is expanded. Decoding gives back an equal state with an equal fingerprint:
//! `tests::packing_round_trips` checks that on every scenario's initial states.

use serde::{de::DeserializeOwned, Serialize};

/// A state the engine can keep packed.
pub trait Pack: Sized {
    /// Appends the encoding of `self` to `out`.
    fn pack(&self, out: &mut Vec<u8>);
    /// Decodes a state that [`Pack::pack`] wrote.
    fn unpack(bytes: &[u8]) -> Self;
}

impl<T: Serialize + DeserializeOwned> Pack for T {
    fn pack(&self, out: &mut Vec<u8>) {
        // Encoded and squeezed in one pass, byte by byte: postcard hands most fields
        // over as one- or two-byte varints, and a copy per field (into a buffer to
        // squeeze afterwards) cost more than the encoding.
        let at = out.len();
        let flavor = Squeezing { out, zeros: 0 };
        if let Err(e) = postcard::serialize_with_flavor(self, flavor) {
            panic!("internal error: a state could not be encoded ({e}) after {at} bytes");
        }
    }
    fn unpack(bytes: &[u8]) -> Self {
        // Decoded straight from the squeezed bytes; a decoder that asks to borrow
        // bytes that were squeezed (none of the models' states does) gets them from
        // the unsqueezed encoding instead.
        let mut de = postcard::Deserializer::from_flavor(Unsqueezing::new(bytes));
        if let Ok(s) = T::deserialize(&mut de) {
            return s;
        }
        SCRATCH.with(|scratch| {
            let mut buf = std::mem::take(&mut *scratch.borrow_mut());
            buf.clear();
            unsqueeze(bytes, &mut buf);
            let s = postcard::from_bytes(&buf)
                .unwrap_or_else(|e| panic!("internal error: a packed state did not decode: {e}"));
            *scratch.borrow_mut() = buf;
            s
        })
    }
}

/// A postcard output that squeezes as it writes: the bytes [`squeeze`] would make of
/// the encoding, without the encoding in between.
struct Squeezing<'a> {
    out: &'a mut Vec<u8>,
    /// Zero bytes seen and not yet written (fewer than 255).
    zeros: u8,
}

impl Squeezing<'_> {
    #[inline]
    fn flush(&mut self) {
        if self.zeros > 0 {
            self.out.extend_from_slice(&[0, self.zeros]);
            self.zeros = 0;
        }
    }
}

impl postcard::ser_flavors::Flavor for Squeezing<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, b: u8) -> postcard::Result<()> {
        if b == 0 {
            self.zeros += 1;
            if self.zeros == u8::MAX {
                self.flush();
            }
        } else {
            self.flush();
            self.out.push(b);
        }
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        for &b in data {
            self.try_push(b)?;
        }
        Ok(())
    }

    fn finalize(mut self) -> postcard::Result<()> {
        self.flush();
        Ok(())
    }
}

/// A postcard input that unsqueezes as it reads: the bytes [`unsqueeze`] would make
/// of `bytes`, without them in between.
struct Unsqueezing<'de> {
    bytes: &'de [u8],
    /// The next byte of `bytes` to read.
    at: usize,
    /// Zero bytes of the current run not yet read.
    zeros: usize,
    /// The bytes of the last [`Unsqueezing::try_take_n_temp`].
    temp: Vec<u8>,
}

impl<'de> Unsqueezing<'de> {
    fn new(bytes: &'de [u8]) -> Self {
        Unsqueezing {
            bytes,
            at: 0,
            zeros: 0,
            temp: Vec::new(),
        }
    }
}

impl<'de> postcard::de_flavors::Flavor<'de> for Unsqueezing<'de> {
    type Remainder = ();
    type Source = &'de [u8];

    #[inline]
    fn pop(&mut self) -> postcard::Result<u8> {
        if self.zeros > 0 {
            self.zeros -= 1;
            return Ok(0);
        }
        let end = || postcard::Error::DeserializeUnexpectedEnd;
        let b = *self.bytes.get(self.at).ok_or_else(end)?;
        self.at += 1;
        if b == 0 {
            let run = *self.bytes.get(self.at).ok_or_else(end)?;
            self.at += 1;
            self.zeros = usize::from(run).saturating_sub(1);
        }
        Ok(b)
    }

    /// The next `ct` bytes, borrowed: only when they hold no squeezed zeros.
    fn try_take_n(&mut self, ct: usize) -> postcard::Result<&'de [u8]> {
        let end = self.at.checked_add(ct);
        match end.and_then(|end| self.bytes.get(self.at..end)) {
            Some(b) if self.zeros == 0 && !b.contains(&0) => {
                self.at += ct;
                Ok(b)
            }
            _ => Err(postcard::Error::DeserializeUnexpectedEnd),
        }
    }

    fn try_take_n_temp<'a>(&'a mut self, ct: usize) -> postcard::Result<&'a [u8]>
    where
        'de: 'a,
    {
        // Every packed byte stands for at most 255 (a zero and its run's length
        // for 255 zeros): a longer request cannot be met.
        if ct > self.zeros + 255 * (self.bytes.len() - self.at) {
            return Err(postcard::Error::DeserializeUnexpectedEnd);
        }
        self.temp.clear();
        for _ in 0..ct {
            let b = self.pop()?;
            self.temp.push(b);
        }
        Ok(&self.temp)
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Appends `raw` to `out` with every run of zero bytes written as a zero and the
/// run's length (1 to 255). The encodings are mostly zeros: false flags, empty
/// options, counters at 0, and the ghost per-ISN arrays.
pub fn squeeze(raw: &[u8], out: &mut Vec<u8>) {
    out.reserve(raw.len() + 2);
    let n = raw.len();
    let mut i = 0;
    while i < n {
        let start = i;
        i += nonzero_run(&raw[i..]);
        out.extend_from_slice(&raw[start..i]);
        let zeros = i;
        // Whole words of zeros first, then single bytes, up to 255.
        while i + 8 <= n && i - zeros + 8 <= 255 && word(raw, i) == 0 {
            i += 8;
        }
        while i < n && raw[i] == 0 && i - zeros < 255 {
            i += 1;
        }
        if i > zeros {
            out.extend_from_slice(&[0, (i - zeros) as u8]);
        }
    }
}

/// The eight bytes at `i`, as a little-endian word.
#[inline]
fn word(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

/// How many bytes `b` starts with before its first zero byte (all of them if none),
/// eight at a time: a word has a zero byte exactly when `(w - 0x01..01) & !w &
/// 0x80..80` is non-zero, and its lowest set bit marks the first one.
#[inline]
fn nonzero_run(b: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() {
        let w = word(b, i);
        let z = w.wrapping_sub(LO) & !w & HI;
        if z != 0 {
            return i + (z.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] != 0 {
        i += 1;
    }
    i
}

/// The inverse of [`squeeze`], appending to `out`.
pub fn unsqueeze(packed: &[u8], out: &mut Vec<u8>) {
    out.reserve(packed.len() * 2);
    let mut bytes = packed.iter();
    while let Some(&b) = bytes.next() {
        if b == 0 {
            let run = bytes.next().copied().unwrap_or(0) as usize;
            out.resize(out.len() + run, 0);
        } else {
            out.push(b);
        }
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
    /// Decodes states `lo..hi` into `out` (cleared first).
    pub fn unpack_range<S: Pack>(&self, lo: usize, hi: usize, out: &mut Vec<S>) {
        out.clear();
        out.extend((lo..hi).map(|i| S::unpack(self.get(i))));
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
    use serde::Deserialize;

    #[test]
    fn squeezing_round_trips_and_shrinks_zero_runs() {
        let mut raw = vec![1, 0, 0, 0, 2, 0, 3];
        raw.extend(std::iter::repeat_n(0, 600));
        raw.push(9);
        let mut sq = Vec::new();
        squeeze(&raw, &mut sq);
        assert_eq!(&sq[..7], &[1, 0, 3, 2, 0, 1, 3]);
        assert_eq!(
            sq.len(),
            7 + 6 + 1,
            "600 zeros are three runs of at most 255"
        );
        let mut back = Vec::new();
        unsqueeze(&sq, &mut back);
        assert_eq!(back, raw);
        let trailing = [5u8, 0, 0];
        let mut sq = Vec::new();
        squeeze(&trailing, &mut sq);
        assert_eq!(sq, [5, 0, 2]);
    }

    #[test]
    fn squeezing_round_trips_at_every_alignment() {
        // Runs of every length from 0 to 300 at every offset in a word, between
        // non-zero runs of every length: the word-at-a-time scans must agree with
        // the byte-at-a-time definition.
        for lead in 0..9 {
            for zeros in 0..300 {
                let mut raw: Vec<u8> = (1..=lead as u8).collect();
                raw.extend(std::iter::repeat_n(0, zeros));
                raw.extend((1..=(zeros % 11) as u8).map(|b| b.wrapping_mul(37) | 1));
                let mut sq = Vec::new();
                squeeze(&raw, &mut sq);
                let mut expect: Vec<u8> = (1..=lead as u8).collect();
                let mut left = zeros;
                while left > 0 {
                    let r = left.min(255);
                    expect.extend([0, r as u8]);
                    left -= r;
                }
                expect.extend_from_slice(&raw[lead + zeros..]);
                assert_eq!(sq, expect, "lead {lead}, zeros {zeros}");
                let mut back = Vec::new();
                unsqueeze(&sq, &mut back);
                assert_eq!(back, raw, "lead {lead}, zeros {zeros}");
            }
        }
        assert_eq!(nonzero_run(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 0]), 9);
        assert_eq!(nonzero_run(&[0x80, 0x01, 0xff, 0, 1]), 3);
        assert_eq!(nonzero_run(&[1; 20]), 20);
    }

    /// Every byte [`Unsqueezing`] pops, until it runs out.
    fn popped(sq: &[u8]) -> Vec<u8> {
        use postcard::de_flavors::Flavor;
        let mut f = Unsqueezing::new(sq);
        let mut out = Vec::new();
        while let Ok(b) = f.pop() {
            out.push(b);
        }
        out
    }

    #[test]
    fn reading_unsqueezes_what_squeezing_wrote() {
        for lead in 0..3 {
            for zeros in [0, 1, 2, 7, 254, 255, 256, 510, 600] {
                let mut raw: Vec<u8> = (1..=lead as u8).collect();
                raw.extend(std::iter::repeat_n(0, zeros));
                raw.extend([3, 0, 4]);
                let mut sq = Vec::new();
                squeeze(&raw, &mut sq);
                assert_eq!(popped(&sq), raw, "lead {lead}, zeros {zeros}");
            }
        }
        // A zero without its run's length ends the input.
        assert_eq!(popped(&[5, 0]), [5]);
    }

    #[test]
    fn taking_bytes_unsqueezes_them_or_borrows_them() {
        use postcard::de_flavors::Flavor;
        let sq = [7, 8, 0, 3, 9];
        let mut f = Unsqueezing::new(&sq);
        assert_eq!(f.try_take_n(2), Ok(&[7u8, 8][..]), "no zeros: borrowed");
        assert!(
            f.try_take_n(2).is_err(),
            "squeezed zeros cannot be borrowed"
        );
        assert_eq!(f.try_take_n_temp(4), Ok(&[0u8, 0, 0, 9][..]));
        assert!(f.try_take_n_temp(1).is_err(), "the input is spent");
        let mut f = Unsqueezing::new(&sq);
        assert!(f.try_take_n_temp(usize::MAX).is_err());
        assert!(f.try_take_n(usize::MAX).is_err());
        assert_eq!(f.try_take_n_temp(3), Ok(&[7u8, 8, 0][..]));
        assert!(f.try_take_n(1).is_err(), "inside a run of zeros");
        assert_eq!(f.pop(), Ok(0));
        assert_eq!(f.pop(), Ok(0));
        assert_eq!(f.try_take_n(1), Ok(&[9u8][..]));
        // A request beyond what the rest could unsqueeze to fails at once, without
        // reading anything; one within it is met.
        let sq = [7, 8, 0, 3, 9];
        let mut f = Unsqueezing::new(&sq);
        assert_eq!(f.try_take_n(2), Ok(&[7u8, 8][..]));
        assert!(f.try_take_n_temp(1000).is_err());
        assert_eq!(f.try_take_n_temp(4), Ok(&[0u8, 0, 0, 9][..]));
        let sq = [0, 255, 0, 255, 0, 255];
        let mut f = Unsqueezing::new(&sq);
        assert_eq!(f.try_take_n_temp(765), Ok(&[0u8; 765][..]));
        // The rest of a run of zeros, when the run is the last thing left.
        let sq = [0, 3];
        let mut f = Unsqueezing::new(&sq);
        assert_eq!(f.pop(), Ok(0));
        assert_eq!(f.try_take_n_temp(2), Ok(&[0u8, 0][..]));
        assert!(f.pop().is_err());
    }

    #[test]
    fn decoding_straight_from_the_squeezed_bytes_agrees_with_unsqueezing_first() {
        type V = (
            String,
            Vec<u8>,
            Option<(u64, i32)>,
            Vec<String>,
            [u8; 32],
            char,
        );
        let values: Vec<V> = vec![
            (String::new(), vec![], None, vec![], [0; 32], 'a'),
            (
                "a\0\0b".into(),
                vec![0; 600],
                Some((1 << 40, -1)),
                vec!["".into(), "\0".into()],
                [1; 32],
                '\0',
            ),
            (
                "x".repeat(300),
                vec![1, 0, 1],
                Some((0, 0)),
                vec!["isn".into(); 3],
                [0; 32],
                'é',
            ),
        ];
        for v in values {
            let mut sq = Vec::new();
            v.pack(&mut sq);
            let mut de = postcard::Deserializer::from_flavor(Unsqueezing::new(&sq));
            let direct = V::deserialize(&mut de).ok();
            let mut raw = Vec::new();
            unsqueeze(&sq, &mut raw);
            assert_eq!(direct, postcard::from_bytes::<V>(&raw).ok(), "{v:?}");
            assert_eq!(direct, Some(v.clone()));
            assert_eq!(V::unpack(&sq), v);
        }
        // A borrowed string with squeezed zeros cannot come straight from the input.
        let mut sq = Vec::new();
        "a\0b".to_string().pack(&mut sq);
        let mut de = postcard::Deserializer::from_flavor(Unsqueezing::new(&sq));
        assert!(<&str>::deserialize(&mut de).is_err());
        let mut sq = Vec::new();
        "ab".to_string().pack(&mut sq);
        let mut de = postcard::Deserializer::from_flavor(Unsqueezing::new(&sq));
        assert_eq!(<&str>::deserialize(&mut de).ok(), Some("ab"));
    }

    #[test]
    fn packing_squeezes_the_encoding() {
        let v: (u8, Vec<u16>, Vec<u8>, u64, Option<u8>) =
            (0, vec![0, 300, 0], vec![0; 300], 1 << 40, None);
        packs_as_its_squeezed_encoding(v);
    }

    /// `v` packs into what squeezing its postcard encoding gives, and unpacks equal.
    fn packs_as_its_squeezed_encoding<T>(v: T)
    where
        T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let mut packed = Vec::new();
        v.pack(&mut packed);
        let mut expect = Vec::new();
        squeeze(&postcard::to_allocvec(&v).unwrap_or_default(), &mut expect);
        assert_eq!(packed, expect);
        assert_eq!(T::unpack(&packed), v);
    }

    #[test]
    fn byte_strings_squeeze_as_byte_by_byte() {
        // postcard writes a string's bytes with one `try_extend`: zero runs inside it,
        // runs longer than 255, and runs that go on into the next field all squeeze
        // as `squeeze` does.
        let long = format!("a\0\0b{}cd{}", "\0".repeat(300), "\0".repeat(9));
        let v: (String, u8, String, String, String, Vec<u8>) = (
            long,
            0,
            "\0".repeat(3),
            String::new(),
            "xyz\0".into(),
            vec![0, 0, 5],
        );
        packs_as_its_squeezed_encoding(v);
    }

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
    fn a_value_packs_and_unpacks() {
        let v: (u8, Vec<u16>, Option<String>, [u8; 32]) =
            (0, vec![0, 300, 0], Some("a".into()), [0; 32]);
        let mut out = Vec::new();
        v.pack(&mut out);
        assert!(out.len() < 16, "{} bytes", out.len());
        assert_eq!(<(u8, Vec<u16>, Option<String>, [u8; 32])>::unpack(&out), v);
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
