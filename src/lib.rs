//! # synack
//!
//! What happens after a click on `http://www.rbooks.top/mypage?userid=0`, written as
//! model-checked protocol specifications. The layers, in reading order:
//!
//! - [`wire`]: the timed network, a stateright `Model` composing actors over segments
//!   in flight with an age, MSL, loss, duplication, reordering and clock ticks;
//! - [`tcp`]: RFC 9293 connection management as a stateright `Actor`;
//! - [`h2`]: HTTP/2 framing, HPACK, streams and GOAWAY between a browser and an origin;
//! - [`scenario`]: the scenario file format of `models/*.toml`;
//! - [`check`]: scenario → checker run → report, and the liveness checker;
//! - [`simulate`]: seeded random walks over the same model, for what is too big to exhaust;
//! - [`report`]: reports and traces as text, JSON, Mermaid and pcap;
//! - [`replay`]: conformance, a trace or a real capture replayed against a model;
//! - [`cli`]: the `synack` command line.

pub mod check;
pub mod cli;
pub mod dns;
pub mod explore;
pub mod h2;
pub mod http;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod simulate;
pub mod tcp;
pub mod wire;

/// Model checking clones and frees millions of small states: mimalloc does that
/// several times faster than the system allocator.
#[global_allocator]
static GLOBAL: Allocator = Allocator;

/// mimalloc, asked for plain blocks when a plain block is aligned enough.
///
/// The `mimalloc` crate asks for every block with `mi_malloc_aligned`, whose fast
/// path works only while the page of the right size has a free block; otherwise
/// it takes a generic path before it ends in the plain `mi_malloc` anyway. Every
/// mimalloc block is aligned to 8 bytes, and nearly every block the checker asks for
/// (states, vectors of bytes and of segments) needs no more: those go straight to
/// `mi_malloc`. Callgrind on `tcp-simultaneous-close` counted 6 % of all
/// instructions in `mi_malloc_aligned`.
struct Allocator;

/// The alignment of every block mimalloc hands out (`MI_INTPTR_SIZE`).
const PLAIN_ALIGN: usize = 8;

extern "C" {
    fn mi_malloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_zalloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_realloc(p: *mut std::ffi::c_void, size: usize) -> *mut std::ffi::c_void;
}

// SAFETY: every block comes from mimalloc, aligned as the layout asks: with
// mimalloc's own aligned calls above `PLAIN_ALIGN`, and below it from the plain calls,
// whose blocks are all aligned to `PLAIN_ALIGN`. Every block goes back to mimalloc
// (`MiMalloc::dealloc` is `mi_free`, which frees plain and aligned blocks alike).
unsafe impl std::alloc::GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi_malloc(layout.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc(layout)
        }
    }
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi_zalloc(layout.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc_zeroed(layout)
        }
    }
    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        mimalloc::MiMalloc.dealloc(ptr, layout)
    }
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi_realloc(ptr.cast(), new_size).cast()
        } else {
            mimalloc::MiMalloc.realloc(ptr, layout, new_size)
        }
    }
}
