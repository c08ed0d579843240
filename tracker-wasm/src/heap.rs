//! The snippet's memory: a bump allocator that forgets, at once, everything a
//! question to the wasm allocated once its answer has been read.
//!
//! Why not std's dlmalloc: it was a third of the wasm (about 6 KB), and its
//! general free lists buy nothing here. Every question the loader asks is
//! one call; what it allocates is garbage once the loader has read the
//! answer, except for the questions that change the snippet's state (a page
//! view, the configuration, consent withdrawn), which are rare. So
//! [`begin`] drops all that the previous question allocated, unless that
//! question changed the state ([`keep`]), in which case it is kept for good
//! (a few KB per page view). Freeing the newest block, and growing it, work
//! in place, so a growing `String` does not copy itself.
//!
//! The only `unsafe` of the snippet is here: the allocator's trait, and
//! reading the question the loader wrote into the memory.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

const PAGE: usize = 65_536;

/// The first free byte; 0 until the first allocation.
static TOP: AtomicUsize = AtomicUsize::new(0);
/// The end of the memory.
static END: AtomicUsize = AtomicUsize::new(0);
/// What [`begin`] goes back to: everything below is kept.
static MARK: AtomicUsize = AtomicUsize::new(0);
/// Whether the current question changed the state.
static KEEP: AtomicBool = AtomicBool::new(true);
/// Where the current question is.
static QUESTION: AtomicUsize = AtomicUsize::new(0);

/// Allocates by moving [`TOP`] up, growing the memory when needed.
pub struct Bump;

/// `size` bytes aligned to `align` at the top, or null when the memory cannot grow.
fn reserve(size: usize, align: usize) -> *mut u8 {
    let mut top = TOP.load(Relaxed);
    if top == 0 {
        // Above everything the linker placed (stack, data, its own heap start).
        top = wasm32::memory_size(0) * PAGE;
        END.store(top, Relaxed);
        MARK.store(top, Relaxed);
    }
    let start = (top + align - 1) & !(align - 1);
    let Some(new_top) = start.checked_add(size) else {
        return core::ptr::null_mut();
    };
    let end = END.load(Relaxed);
    if new_top > end {
        let pages = (new_top - end).div_ceil(PAGE);
        if wasm32::memory_grow(0, pages) == usize::MAX {
            return core::ptr::null_mut();
        }
        END.store(end + pages * PAGE, Relaxed);
    }
    TOP.store(new_top, Relaxed);
    start as *mut u8
}

// SAFETY: blocks never overlap: each starts at or above the top, which only
// goes down to the start of the newest block when that block is freed, or to
// the mark in `begin`, when no block above it is in use any more.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        reserve(layout.size(), layout.align())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ptr as usize + layout.size() == TOP.load(Relaxed) {
            TOP.store(ptr as usize, Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = ptr as usize;
        if old + layout.size() == TOP.load(Relaxed) {
            // The newest block grows (or shrinks) where it is.
            TOP.store(old, Relaxed);
            let grown = reserve(new_size, layout.align());
            if grown.is_null() {
                TOP.store(old + layout.size(), Relaxed);
            }
            return grown;
        }
        let new = reserve(new_size, layout.align());
        if !new.is_null() {
            // SAFETY: `new` is a fresh block above `ptr`'s, so they do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}

/// Starts a question of `len` bytes: forgets what the previous question
/// allocated (unless it changed the state), then reserves the bytes the
/// loader writes the question into. Returns their address (0 if there is
/// no memory for them).
pub fn begin(len: usize) -> usize {
    if KEEP.swap(false, Relaxed) {
        MARK.store(TOP.load(Relaxed), Relaxed);
    } else {
        TOP.store(MARK.load(Relaxed), Relaxed);
    }
    let at = reserve(len, 1) as usize;
    QUESTION.store(at, Relaxed);
    at
}

/// Keeps what the current question allocates: it changes the state.
pub fn keep() {
    KEEP.store(true, Relaxed);
}

/// The question of `len` bytes the loader wrote where [`begin`] said; valid
/// until the next `begin`.
pub fn question(len: usize) -> &'static str {
    let at = QUESTION.load(Relaxed);
    if at == 0 {
        return "";
    }
    // SAFETY: `begin` reserved `len` bytes at `at` for this question, and they
    // stay untouched until the next `begin`, after this question's answer. The
    // loader writes them with TextEncoder, whose output is always UTF-8 (lone
    // surrogates become U+FFFD); checking it again would cost 600 bytes.
    unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(at as *const u8, len)) }
}
