// Copyright 2019 Octavian Oncescu

#![no_std]

//! A drop-in global allocator wrapper around the [mimalloc](https://github.com/microsoft/mimalloc) allocator.
//! Mimalloc is a general purpose, performance oriented allocator built by Microsoft.
//!
//! ## Usage
//! ```rust,ignore
//! use mimalloc::MiMalloc;
//!
//! #[global_allocator]
//! static GLOBAL: MiMalloc = MiMalloc;
//! ```
//!
//! ## Usage with secure mode
//! Using secure mode adds guard pages,
//! randomized allocation, encrypted free lists, etc. The performance penalty is usually
//! around 10% according to [mimalloc's](https://github.com/microsoft/mimalloc)
//! own benchmarks.
//!
//! To enable secure mode, put in `Cargo.toml`:
//! ```toml
//! [dependencies]
//! mimalloc = { version = "*", features = ["secure"] }
//! ```

extern crate libmimalloc_sys as ffi;

#[cfg(feature = "extended")]
mod extended;

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;
use ffi::*;

/// Drop-in mimalloc global allocator.
///
/// ## Usage
/// ```rust,ignore
/// use mimalloc::MiMalloc;
///
/// #[global_allocator]
/// static GLOBAL: MiMalloc = MiMalloc;
/// ```
pub struct MiMalloc;

/// Gatehouse patch (17): the largest alignment every block `mi_malloc` returns is
/// guaranteed to have. Block sizes are whole machine words and pages start aligned, so a
/// plain allocation is always word-aligned (C's `malloc` contract), whatever its size.
const MIN_ALIGN: usize = core::mem::size_of::<usize>();

unsafe impl GlobalAlloc for MiMalloc {
    // Gatehouse patch (17): a layout whose alignment every block already has takes the
    // plain `mi_malloc` / `mi_zalloc` / `mi_realloc`, as `std::alloc::System` takes
    // `malloc`. In mimalloc v3 the `_aligned` entry points take their fast path only
    // for a block of at most 1 KiB whose free list is not empty; any other request falls
    // to `mi_theap_malloc_zero_aligned_at_generic`, which uses the plain allocation only
    // for power-of-two block sizes and otherwise over-allocates `size + align - 1` bytes
    // (a 48-byte request takes a 64-byte block). Worse, the
    // aligned fast path never refills a small page's free list (only the plain slow path
    // does), so once a page of a non-power-of-two size class fills, every later request of
    // that size over-allocates from the next class.
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            mi_malloc(layout.size()) as *mut u8
        } else {
            mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            mi_zalloc(layout.size()) as *mut u8
        } else {
            mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi_free(ptr as *mut c_void);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MIN_ALIGN {
            mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_frees_allocated_memory() {
        unsafe {
            let layout = Layout::from_size_align(8, 8).unwrap();
            let alloc = MiMalloc;

            let ptr = alloc.alloc(layout);
            alloc.dealloc(ptr, layout);
        }
    }

    #[test]
    fn it_frees_allocated_big_memory() {
        unsafe {
            let layout = Layout::from_size_align(1 << 20, 32).unwrap();
            let alloc = MiMalloc;

            let ptr = alloc.alloc(layout);
            alloc.dealloc(ptr, layout);
        }
    }

    #[test]
    fn it_frees_zero_allocated_memory() {
        unsafe {
            let layout = Layout::from_size_align(8, 8).unwrap();
            let alloc = MiMalloc;

            let ptr = alloc.alloc_zeroed(layout);
            alloc.dealloc(ptr, layout);
        }
    }

    #[test]
    fn it_frees_zero_allocated_big_memory() {
        unsafe {
            let layout = Layout::from_size_align(1 << 20, 32).unwrap();
            let alloc = MiMalloc;

            let ptr = alloc.alloc_zeroed(layout);
            alloc.dealloc(ptr, layout);
        }
    }

    #[test]
    fn it_frees_reallocated_memory() {
        unsafe {
            let layout = Layout::from_size_align(8, 8).unwrap();
            let alloc = MiMalloc;

            let ptr = alloc.alloc(layout);
            let ptr = alloc.realloc(ptr, layout, 16);
            alloc.dealloc(ptr, layout);
        }
    }

    #[test]
    fn it_frees_reallocated_big_memory() {
        unsafe {
            let layout = Layout::from_size_align(1 << 20, 32).unwrap();
            let alloc = MiMalloc;

            let ptr = alloc.alloc(layout);
            let ptr = alloc.realloc(ptr, layout, 2 << 20);
            alloc.dealloc(ptr, layout);
        }
    }

    // Gatehouse patch (17): every alignment is still honoured, by each entry point.
    #[test]
    fn it_aligns_every_layout() {
        let alloc = MiMalloc;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for size in (1..=300).chain([1000, 1024, 1025, 1312, 4000, 4096, 70_000]) {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = alloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {size} / {align}");
                    p.write_bytes(0xA5, size);
                    let z = alloc.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "alloc_zeroed {size} / {align}");
                    assert!(core::slice::from_raw_parts(z, size).iter().all(|b| *b == 0));
                    let r = alloc.realloc(p, layout, size * 3);
                    assert_eq!(r as usize % align, 0, "realloc {size} / {align}");
                    assert!(core::slice::from_raw_parts(r, size).iter().all(|b| *b == 0xA5));
                    alloc.dealloc(r, Layout::from_size_align(size * 3, align).unwrap());
                    alloc.dealloc(z, layout);
                }
            }
        }
    }

    // Gatehouse patch (17): a word-aligned request of a size class that is not a power
    // of two keeps its own size class after its first page fills (through the `_aligned`
    // entry point it was over-allocated from the next class, 48 -> 64 bytes).
    #[test]
    fn it_keeps_the_size_class_of_a_word_aligned_request() {
        extern "C" {
            fn mi_usable_size(p: *const c_void) -> usize;
        }
        let alloc = MiMalloc;
        let layout = Layout::from_size_align(48, 8).unwrap();
        let mut blocks = [core::ptr::null_mut::<u8>(); 4096];
        unsafe {
            for b in blocks.iter_mut() {
                *b = alloc.alloc(layout);
                assert_eq!(mi_usable_size(*b as *const c_void), 48);
            }
            for b in blocks {
                alloc.dealloc(b, layout);
            }
        }
    }
}
