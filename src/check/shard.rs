//! Work split across processes that an outside scheduler starts (GNU parallel on one
//! machine, a Slurm array or a Kubernetes indexed Job on many): `--shard I/N` makes
//! this process shard I of N.
//!
//! - `check`: shard I checks the scenarios whose position in the list (the catalogue's
//!   order for `--all`, else the order given) is I modulo N. A scenario is checked whole
//!   by one shard; the state space of one scenario is not split, so a single scenario
//!   is checked by shard 0 and skipped by the others.
//! - `simulate`: shard I walks the runs whose index is I modulo N, of every scenario
//!   given. A run is a function of the seed and its index only, so the shards' runs
//!   together are exactly the unsharded runs.
//!
//! Each sharded report names its shard and its scenario's position, so that `synack
//! merge` can put the reports back in order and tell when one is missing.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (`index < count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The whole: one shard of one.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether position `k` (of a scenario in its list, or of a run) is this shard's.
    pub fn takes(&self, k: u64) -> bool {
        k % self.count as u64 == self.index as u64
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let Some((i, n)) = s.split_once('/') else {
            return Err(format!("`{s}` is not I/N (e.g. 0/4: shard 0 of 4)"));
        };
        let num = |x: &str, what: &str| {
            x.trim().parse::<u32>().map_err(|_| {
                format!(
                    "`{s}`: {what} `{x}` is not a whole number from 0 to {}",
                    u32::MAX
                )
            })
        };
        let (index, count) = (num(i, "I")?, num(n, "N")?);
        if count == 0 {
            return Err(format!("`{s}`: N must be at least 1"));
        }
        if index >= count {
            return Err(format!(
                "`{s}`: I must be below N (the shards of {count} are 0/{count} to {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }
}

/// Where a sharded report belongs, as `check --json` and `simulate --json` print it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: u32,
    pub count: u32,
    /// The scenario's position in the unsharded list (0-based).
    pub position: u64,
    /// How many scenarios the unsharded list holds.
    pub scenarios: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_shards_parse_and_refuse_what_is_not_i_of_n() {
        assert_eq!("1/4".parse(), Ok(Shard { index: 1, count: 4 }));
        assert_eq!("0/1".parse(), Ok(Shard::WHOLE));
        for bad in ["4/4", "5/4", "0/0", "1", "a/2", "-1/2", "1/2/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn test_the_shards_partition_the_positions() {
        let n = 3;
        for k in 0..20u64 {
            let owners = (0..n)
                .filter(|&i| Shard { index: i, count: n }.takes(k))
                .count();
            assert_eq!(owners, 1);
        }
    }
}
