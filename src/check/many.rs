//! Several scenarios at once (`check --all`, or a list): with N threads, N scenarios
//! run side by side on one thread each, instead of one after another on N threads
//! each. The engine's threads meet at a barrier after every batch of states and wait
//! there while the batch is merged, so one scenario per core keeps the cores busier
//! (bench/README.md has the measurement). The outcomes come out in list order, as
//! they would one after another.
//!
//! The memory bound stays the process's: every run polls the process's resident
//! memory against `--max-memory`, so scenarios side by side share it. A run that the
//! bound stops while another runs beside it may have been stopped by its neighbour's
//! memory: it runs again alone, on all N threads, and its report is the one a run on
//! its own gives.

use super::limits;
use super::run::{check, Outcome, RunOptions};
use crate::scenario::Scenario;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// Who runs what.
#[derive(Default)]
struct Sched {
    /// The next scenario to start.
    next: usize,
    /// Runs in flight side by side.
    running: usize,
    /// Runs waiting to run again alone.
    waiting: usize,
    /// A run alone is in flight.
    alone: bool,
    /// The caller wants no more outcomes.
    stop: bool,
}

struct Shared {
    list: Vec<Scenario>,
    sched: Mutex<Sched>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Sched> {
        self.sched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, g: MutexGuard<'a, Sched>) -> MutexGuard<'a, Sched> {
        self.changed.wait(g).unwrap_or_else(PoisonError::into_inner)
    }

    /// The next scenario to run beside the others, once no run waits to run alone;
    /// `None` when there is none left, the caller stopped, or a signal arrived.
    fn take(&self) -> Option<usize> {
        let mut s = self.lock();
        loop {
            if s.stop || limits::interrupted().is_some() {
                return None;
            }
            if s.waiting == 0 && !s.alone {
                break;
            }
            s = self.wait(s);
        }
        if s.next >= self.list.len() {
            return None;
        }
        s.next += 1;
        s.running += 1;
        Some(s.next - 1)
    }

    /// Runs scenario `i` beside the others, and again alone when the memory bound
    /// stopped it.
    fn run(&self, i: usize, beside: &RunOptions, alone: &RunOptions) -> Outcome {
        let o = check(&self.list[i], beside);
        let mut s = self.lock();
        s.running -= 1;
        self.changed.notify_all();
        if !stopped_by_memory(&o) || limits::interrupted().is_some() {
            return o;
        }
        s.waiting += 1;
        while s.running > 0 || s.alone {
            s = self.wait(s);
        }
        s.waiting -= 1;
        s.alone = true;
        drop(s);
        let o = catch_unwind(AssertUnwindSafe(|| check(&self.list[i], alone)));
        self.lock().alone = false;
        self.changed.notify_all();
        o.unwrap_or_else(|e| resume_unwind(e))
    }
}

/// Whether the memory bound stopped the run (the `stopped:` line of
/// [`limits::Stop::Memory`]).
fn stopped_by_memory(o: &Outcome) -> bool {
    o.report
        .stopped
        .as_deref()
        .is_some_and(|s| s.starts_with(MEMORY_STOP))
}

const MEMORY_STOP: &str = "reached --max-memory";

/// Checks `list` with `opts.threads` scenarios side by side, one thread each, and
/// hands every outcome to `each` in list order, as soon as it and all before it are
/// done. When `each` returns false, no further scenario starts and `each` is not
/// called again; runs in flight finish on their own threads (or end with the
/// process). A panic in a run is raised again here.
pub fn check_side_by_side(
    list: Vec<Scenario>,
    opts: &RunOptions,
    mut each: impl FnMut(Outcome) -> bool,
) {
    let n = list.len();
    let workers = opts.threads.clamp(1, n.max(1));
    // Progress lines from several runs would overwrite one another.
    let beside = RunOptions {
        threads: 1,
        progress: false,
        ..*opts
    };
    let alone = RunOptions {
        progress: false,
        ..*opts
    };
    let shared = Arc::new(Shared {
        list,
        sched: Mutex::new(Sched::default()),
        changed: Condvar::new(),
    });
    let (tx, rx) = mpsc::channel();
    for _ in 0..workers {
        let (shared, tx) = (Arc::clone(&shared), tx.clone());
        std::thread::spawn(move || {
            while let Some(i) = shared.take() {
                let o = catch_unwind(AssertUnwindSafe(|| shared.run(i, &beside, &alone)));
                let failed = o.is_err();
                if tx.send((i, o)).is_err() || failed {
                    return;
                }
            }
        });
    }
    drop(tx);
    let mut done: Vec<Option<Outcome>> = (0..n).map(|_| None).collect();
    let mut next = 0;
    // Ends when every worker has finished (all senders dropped).
    for (i, o) in rx {
        match o {
            Ok(o) => done[i] = Some(o),
            Err(e) => {
                shared.lock().stop = true;
                shared.changed.notify_all();
                resume_unwind(e);
            }
        }
        while let Some(o) = done.get_mut(next).and_then(Option::take) {
            next += 1;
            if !each(o) {
                shared.lock().stop = true;
                shared.changed.notify_all();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_stop_is_recognised_by_its_line() {
        let line = limits::Stop::Memory {
            limit: 1 << 20,
            resident: 2 << 20,
        }
        .describe();
        assert!(line.starts_with(MEMORY_STOP), "{line}");
        assert!(!limits::Stop::Signal(libc::SIGINT)
            .describe()
            .starts_with(MEMORY_STOP));
    }
}
