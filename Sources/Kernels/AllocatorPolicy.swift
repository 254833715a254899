import CGemm

/// How the process's freed memory goes back to the allocator.
public enum AllocatorPolicy {
    /// For loops that free and allocate the same large buffers every iteration (training steps): glibc keeps freed
    /// memory for reuse instead of unmapping or trimming it and taking a zeroed page fault per page on the next
    /// iteration (`mpx_keep_freed_memory`). Peak memory is unchanged (the loop needs it each step anyway); a
    /// bundled-size training step takes half the page faults (Zen 5: 144 K -> 72 K over 9 steps). Not for the studio,
    /// whose memory follows the photo.
    public static func keepFreedMemoryForReuse() { mpx_keep_freed_memory() }
}
