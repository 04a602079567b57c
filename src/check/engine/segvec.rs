//! A vector in fixed-size blocks, for the graph's per-state arrays.
//!
//! A `Vec` that doubles holds up to twice what it needs, and while it grows the old
//! and the new buffer are both alive: three times the data at the peak. The per-state
//! arrays (fingerprints, parents) are the largest the checker keeps, so they grow one
//! block at a time instead: the slack is under one block and nothing is copied.

use std::ops::{Index, IndexMut};

/// Entries per block (a power of two).
const BLOCK_BITS: u32 = 16;
const BLOCK: usize = 1 << BLOCK_BITS;

pub struct SegVec<T> {
    blocks: Vec<Box<[T]>>,
    len: usize,
}

impl<T: Copy + Default> SegVec<T> {
    pub fn new() -> Self {
        SegVec {
            blocks: Vec::new(),
            len: 0,
        }
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }
    #[inline]
    pub fn push(&mut self, v: T) {
        let (b, i) = (self.len >> BLOCK_BITS, self.len & (BLOCK - 1));
        if b == self.blocks.len() {
            self.blocks
                .push(vec![T::default(); BLOCK].into_boxed_slice());
        }
        self.blocks[b][i] = v;
        self.len += 1;
    }
    #[inline]
    pub fn get(&self, i: usize) -> Option<&T> {
        if i < self.len {
            Some(&self[i])
        } else {
            None
        }
    }
    /// The entries in order, block by block.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.blocks.iter().flat_map(|b| b.iter()).take(self.len)
    }
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.blocks.len() * BLOCK * std::mem::size_of::<T>()
            + self.blocks.capacity() * std::mem::size_of::<Box<[T]>>()
    }
}

impl<T: Copy + Default> Default for SegVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Index<usize> for SegVec<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        assert!(
            i < self.len,
            "index {i} out of range for length {}",
            self.len
        );
        &self.blocks[i >> BLOCK_BITS][i & (BLOCK - 1)]
    }
}

impl<T> IndexMut<usize> for SegVec<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        assert!(
            i < self.len,
            "index {i} out of range for length {}",
            self.len
        );
        &mut self.blocks[i >> BLOCK_BITS][i & (BLOCK - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_and_reads_across_blocks() {
        let mut v = SegVec::<u64>::new();
        assert!(v.len() == 0 && v.get(0).is_none());
        let n = 3 * BLOCK + 17;
        for i in 0..n {
            v.push(i as u64 * 7);
        }
        assert_eq!(v.len(), n);
        for i in [0, 1, BLOCK - 1, BLOCK, 2 * BLOCK + 5, n - 1] {
            assert_eq!(v[i], i as u64 * 7);
        }
        v[BLOCK] = 1;
        assert_eq!(v.get(BLOCK), Some(&1));
        assert!(v.get(n).is_none());
        assert_eq!(v.bytes(), 4 * BLOCK * 8 + v.blocks.capacity() * 16);
        // In order, across blocks, and nothing of the last block's unused tail.
        let all: Vec<u64> = v.iter().copied().collect();
        assert_eq!(all.len(), n);
        assert!(all
            .iter()
            .enumerate()
            .all(|(i, &x)| x == if i == BLOCK { 1 } else { i as u64 * 7 }));
        assert_eq!(SegVec::<u8>::new().iter().count(), 0);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn reading_past_the_end_panics() {
        let mut v = SegVec::<u32>::new();
        v.push(1);
        let _ = v[1];
    }
}
