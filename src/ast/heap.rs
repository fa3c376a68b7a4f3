//! The C heap of the whole Asterisk process as glibc's allocator counts it: bytes allocated and
//! not yet freed, against bytes the allocator holds from the system. RSS alone cannot tell a
//! leak (in use grows) from fragmentation and per-thread arenas (held grows, in use does not).

/// Bytes, summed over every arena and the allocator's own mmapped blocks.
#[derive(Debug, Clone, Copy)]
pub struct Heap {
    pub in_use: u64,
    pub held: u64,
}

pub fn heap() -> Heap {
    // SAFETY: mallinfo2 (glibc >= 2.33) only reads the allocator's statistics, taking each
    // arena's lock in turn; it is called from the CLI, never from a media thread.
    let info = unsafe { libc::mallinfo2() };
    Heap { in_use: (info.uordblks + info.hblkhd) as u64, held: (info.arena + info.hblkhd) as u64 }
}

/// Gives the pages of freed memory back to the system, in every arena. A load parses the intent
/// model on whichever Asterisk thread ran the CLI command, and glibc keeps what that thread's
/// arena freed: without this, each unload/load cycle held ~9 MB more until every arena had its
/// copy (16 on 2 cores). Called after a load and an unload, never on a call's thread.
pub fn give_back() {
    // SAFETY: malloc_trim only walks the allocator's own lists under its locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
