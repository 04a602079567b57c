//! The bounds of a run besides its state count and its time: the memory it may use,
//! and the user's SIGINT or SIGTERM. Both are polled at the engine's safe points
//! (after each batch of states), so that a stopped run still reports what it decided.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

/// The signal that asked the run to stop (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // A second signal means "now": leave without a report. Only async-signal-safe
    // calls here: an atomic swap and `_exit`.
    if SIGNAL.swap(sig, Ordering::SeqCst) != 0 {
        unsafe { libc::_exit(128 + sig) };
    }
}

/// Makes SIGINT and SIGTERM stop the run at its next safe point (see [`interrupted`])
/// instead of killing the process; a second one kills it at once.
pub fn catch_signals() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only touches an atomic and calls `_exit`; the
        // sigaction struct is fully initialised (zeroed, then the fields we use).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The signal that interrupted the run, if one did.
pub fn interrupted() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The exit code of a run stopped by signal `sig`: 128 + its number (130 for SIGINT,
/// 143 for SIGTERM), as shells report it.
pub fn signal_exit_code(sig: i32) -> i32 {
    128 + sig
}

/// The name of a signal we catch.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Physical memory in bytes (`MemTotal` of /proc/meminfo).
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The memory this process may use at most: physical memory, or less where a cgroup
/// (a container) or `ulimit -v` says so.
pub fn memory_available() -> Option<u64> {
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|f| std::fs::read_to_string(f).ok()?.trim().parse::<u64>().ok())
    // cgroup v1 spells "no limit" as a number near 2^63.
    .filter(|&b| b < 1 << 60)
    .min();
    let mut rlimit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    let address_space = (unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut rlimit) } == 0
        && rlimit.rlim_cur != libc::RLIM_INFINITY)
        .then_some(rlimit.rlim_cur);
    [physical_memory(), cgroup, address_space]
        .into_iter()
        .flatten()
        .min()
}

/// The default `--max-memory`: half of the memory available (see
/// [`memory_available`]; 4 GiB where it is unknown), so that the run stops with a
/// report long before the kernel's OOM killer, or a failed allocation, stops it
/// without one.
pub fn default_max_memory() -> u64 {
    memory_available().map_or(4 << 30, |m| m / 2)
}

/// The process's resident set in bytes (/proc/self/statm): one small read, cheap
/// enough to sample after every batch of states.
pub fn resident_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages.checked_mul(u64::try_from(page).ok()?)
}

extern "C" {
    /// mimalloc's `mi_collect`: the allocator of this crate (lib.rs) keeps freed pages
    /// resident for a while before it purges them; this purges them now.
    fn mi_collect(force: bool);
}

/// Gives the memory a finished run freed back to the operating system, so that the
/// resident set the next run's memory bound polls is that run's own, not what the
/// last one left behind.
pub fn release_freed_memory() {
    // SAFETY: mi_collect has no preconditions and is linked with the allocator.
    unsafe { mi_collect(true) }
}

/// Parses a byte count: a number with an optional binary suffix, `K`, `M`, `G` or `T`
/// (powers of 1024), optionally followed by `B` or `iB`: `8G`, `512MiB`, `1000000`.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size: expected a number such as 8G or 512M"))?;
    let shift = match unit.trim().trim_end_matches("iB").trim_end_matches('B') {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        "T" | "t" => 40,
        u => return Err(format!("{s:?}: unknown unit {u:?}; use K, M, G or T")),
    };
    let bytes = n
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))?;
    if bytes == 0 {
        return Err("the memory bound must be more than 0 bytes".into());
    }
    Ok(bytes)
}

/// A byte count for people: `1.5 GiB`.
pub fn show_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Why a watched run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    Signal(i32),
    Memory {
        limit: u64,
        resident: u64,
    },
    /// The liveness check would need `need` more bytes than the bound leaves.
    Liveness {
        limit: u64,
        resident: u64,
        need: u64,
    },
}

impl Stop {
    /// The `stopped:` line of the report.
    pub fn describe(&self) -> String {
        match self {
            Stop::Signal(s) => format!("interrupted by {}", signal_name(*s)),
            Stop::Memory { limit, resident } => format!(
                "reached --max-memory {} ({} resident)",
                show_bytes(*limit),
                show_bytes(*resident)
            ),
            Stop::Liveness {
                limit,
                resident,
                need,
            } => format!(
                "reached --max-memory {} before the liveness check ({} resident, {} more needed)",
                show_bytes(*limit),
                show_bytes(*resident),
                show_bytes(*need)
            ),
        }
    }
}

/// Polled at safe points: says whether the run must stop, and remembers why.
#[derive(Debug, Default)]
pub struct Watch {
    max_memory: Option<u64>,
    why: Mutex<Option<Stop>>,
}

impl Watch {
    pub fn new(max_memory: Option<u64>) -> Watch {
        Watch {
            max_memory,
            why: Mutex::new(None),
        }
    }

    /// Whether the run must stop now: a signal arrived, or the process holds more
    /// than the memory bound.
    pub fn poll(&self) -> bool {
        let stop = if let Some(s) = interrupted() {
            Some(Stop::Signal(s))
        } else {
            self.max_memory.and_then(|limit| {
                resident_bytes()
                    .filter(|&r| r > limit)
                    .map(|resident| Stop::Memory { limit, resident })
            })
        };
        match stop {
            Some(s) => {
                let mut why = self.why.lock().unwrap_or_else(|e| e.into_inner());
                why.get_or_insert(s);
                true
            }
            None => false,
        }
    }

    /// Whether `need` more bytes fit under the memory bound; if not, remembers why
    /// the run stops.
    pub fn admit(&self, need: u64) -> bool {
        let (Some(limit), Some(resident)) = (self.max_memory, resident_bytes()) else {
            return true;
        };
        if resident.saturating_add(need) <= limit {
            return true;
        }
        let mut why = self.why.lock().unwrap_or_else(|e| e.into_inner());
        why.get_or_insert(Stop::Liveness {
            limit,
            resident,
            need,
        });
        false
    }

    /// Why the run stopped, if [`Watch::poll`] ever said so.
    pub fn why(&self) -> Option<Stop> {
        self.why.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admit_refuses_what_would_pass_the_bound_and_says_why() {
        assert!(Watch::new(None).admit(u64::MAX));
        let w = Watch::new(Some(1));
        assert!(!w.admit(1 << 20));
        assert!(w
            .why()
            .is_some_and(|s| s.describe().contains("before the liveness check")));
        let roomy = Watch::new(Some(u64::MAX));
        assert!(roomy.admit(1 << 20) && roomy.why().is_none());
    }

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_bytes("8G"), Ok(8 << 30));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("64k"), Ok(64 << 10));
        assert_eq!(parse_bytes("1000000"), Ok(1_000_000));
        assert_eq!(parse_bytes("2TB"), Ok(2 << 40));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("8X").is_err());
        assert!(parse_bytes("G").is_err());
        assert!(parse_bytes("-1G").is_err());
        assert!(parse_bytes("99999999999T").is_err());
        assert_eq!(show_bytes(3 << 29), "1.5 GiB");
        assert_eq!(show_bytes(100), "100 B");
    }

    #[test]
    fn memory_is_measured_and_bounded() {
        let rss = resident_bytes().expect("/proc/self/statm");
        assert!(rss > 0);
        assert!(physical_memory().is_some_and(|m| m > rss));
        assert!(default_max_memory() > 0);
        let w = Watch::new(Some(1));
        assert!(w.poll());
        assert!(matches!(w.why(), Some(Stop::Memory { limit: 1, .. })));
        let w = Watch::new(Some(u64::MAX));
        assert!(!w.poll());
        assert_eq!(w.why(), None);
    }
}
