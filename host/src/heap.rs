//! How the process's heap treats freed memory; set once by each binary's `main`.

/// Keeps freed heap memory for reuse instead of handing it back to the kernel. Every batch a
/// plugin returns is copied out of its WebAssembly memory into fresh buffers of a few MiB.
/// With glibc's defaults those are new pages each batch, which the kernel zeroes on first
/// touch: about a fifth of the transform's CPU in a profile, and 10-20% of a run's wall time on
/// data with short ids. Allocations up to 32 MiB come from the heap, and up to 64 MiB of free
/// heap is kept.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two thresholds of the allocator; it is called at start-up,
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}
