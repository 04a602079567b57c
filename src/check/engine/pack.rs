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
        SCRATCH.with(|scratch| {
            let mut buf = std::mem::take(&mut *scratch.borrow_mut());
            buf.clear();
            let buf = postcard::to_extend(self, buf)
                .unwrap_or_else(|e| panic!("internal error: a state could not be encoded: {e}"));
            squeeze(&buf, out);
            *scratch.borrow_mut() = buf;
        })
    }
    fn unpack(bytes: &[u8]) -> Self {
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
        while i < n && raw[i] != 0 {
            i += 1;
        }
        out.extend_from_slice(&raw[start..i]);
        let zeros = i;
        while i < n && raw[i] == 0 && i - zeros < 255 {
            i += 1;
        }
        if i > zeros {
            out.extend_from_slice(&[0, (i - zeros) as u8]);
        }
    }
}

/// The inverse of [`squeeze`], appending to `out`.
pub fn unsqueeze(packed: &[u8], out: &mut Vec<u8>) {
    out.reserve(packed.len() * 2);
    let n = packed.len();
    let mut i = 0;
    while i < n {
        let start = i;
        while i < n && packed[i] != 0 {
            i += 1;
        }
        out.extend_from_slice(&packed[start..i]);
        if i < n {
            let run = packed.get(i + 1).copied().unwrap_or(0) as usize;
            out.resize(out.len() + run, 0);
            i += 2;
        }
    }
}

/// A sequence of packed states.
#[derive(Default)]
pub struct Packed {
    bytes: Vec<u8>,
    /// Per state: the end of its encoding in `bytes`.
    ends: Vec<usize>,
}

impl Packed {
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    /// The encoding of state `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
    pub fn push<S: Pack>(&mut self, s: &S) {
        s.pack(&mut self.bytes);
        self.ends.push(self.bytes.len());
    }
    /// Appends an encoding made elsewhere.
    pub fn push_bytes(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
        self.ends.push(self.bytes.len());
    }
    /// Decodes states `lo..hi` into `out` (cleared first).
    pub fn unpack_range<S: Pack>(&self, lo: usize, hi: usize, out: &mut Vec<S>) {
        out.clear();
        out.extend((lo..hi).map(|i| S::unpack(self.get(i))));
    }
    /// Drops the first `n` states.
    pub fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len());
        if n == 0 {
            return;
        }
        let cut = self.ends[n - 1];
        self.bytes.drain(..cut);
        self.ends.drain(..n);
        for e in &mut self.ends {
            *e -= cut;
        }
    }
    /// Bytes held, from capacities.
    pub fn bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * std::mem::size_of::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_packed_sequence_keeps_its_states_apart_and_drops_from_the_front() {
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
        // Dropping keeps the rest, renumbered from 0.
        p.drop_front(0);
        assert_eq!(p.len(), 4);
        p.drop_front(1);
        assert_eq!(p.len(), 3);
        p.unpack_range(0, 3, &mut out);
        assert_eq!(out, &states[1..]);
        p.drop_front(2);
        p.unpack_range(0, 1, &mut out);
        assert_eq!(out, &states[3..]);
        p.drop_front(5);
        assert!(p.is_empty());
    }

    #[test]
    fn packed_bytes_count_the_encodings_and_one_end_per_state() {
        // 1000 one-byte states of two bytes each once squeezed (a zero and a run of 1),
        // and an end offset of 8 bytes each.
        let mut p = Packed::default();
        for _ in 0..1000 {
            p.push(&0u8);
        }
        assert_eq!(p.get(999), [0, 1]);
        let lower = 1000 * 2 + 1000 * std::mem::size_of::<usize>();
        assert!((lower..2 * lower).contains(&p.bytes()), "{}", p.bytes());
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
}
