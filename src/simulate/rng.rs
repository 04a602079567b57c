//! The walks' pseudo-random numbers: SplitMix64 (Steele, Lea and Flood, "Fast
//! splittable pseudorandom number generators", OOPSLA 2014), as `java.util.SplittableRandom`
//! and the seeding of xoshiro use it. Each run has its own stream, a function of the
//! seed and the run's index only, so a run walks the same path whichever thread, shard
//! or process walks it.

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A SplitMix64 stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The stream of run `run` under `seed`: the seed and the index are mixed
    /// (not added), so that runs of nearby seeds do not share streams shifted by one.
    pub fn for_run(seed: u64, run: u64) -> Self {
        SplitMix64(mix(seed ^ mix(run.wrapping_add(GAMMA))))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        mix(self.0)
    }

    /// A number in `0..n` (`n > 0`), by Lemire's multiply-shift: the bias is below
    /// n / 2^64, far under anything a sample of walks could show.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_splitmix64_matches_the_reference_stream() {
        // The first outputs for seed 1234567 of the reference C implementation
        // (Vigna, prng.di.unimi.it/splitmix64.c).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
        assert_eq!(r.next_u64(), 9817491932198370423);
    }

    #[test]
    fn test_streams_depend_on_seed_and_run_only() {
        let a: Vec<u64> = (0..4)
            .map(|_| SplitMix64::for_run(7, 3).next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(SplitMix64::for_run(7, 3), SplitMix64::for_run(7, 4));
        assert_ne!(SplitMix64::for_run(7, 3), SplitMix64::for_run(8, 3));
    }

    #[test]
    fn test_below_stays_in_range_and_reaches_every_value() {
        let mut r = SplitMix64::new(42);
        let mut seen = [0u32; 5];
        for _ in 0..1000 {
            seen[r.below(5)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 150), "{seen:?}");
    }
}
