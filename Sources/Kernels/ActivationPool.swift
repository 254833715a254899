import Foundation

/// The planned reuse of activation memory: a graph executor hands back each intermediate's storage after its last
/// use, and the next kernel output of the same size takes it instead of asking malloc.
///
/// Why not malloc alone: glibc maps buffers over 32 MiB afresh on every allocation and returns freed heap tops to the
/// kernel, so each frame page-faults its activations in again, 4 KiB at a time when no huge page is free; measured
/// at 512x512 with the studio's 604 MB of kept activations beside it, a full frame took 0.42 s instead of 0.19 s.
/// With the pool, a frame after the first allocates nothing large.
///
/// Safety comes from copy-on-write: a pooled array that someone else still references is copied, not overwritten,
/// when a kernel takes it (only a little time is lost). The pool keeps at most `capacityBytes`, dropping the oldest
/// first; only buffers of at least `minimumCount` floats are kept.
public enum ActivationPool {
    /// The most the pool holds between uses (the activations of a few 1024x1024 frames at reference widths).
    public static let capacityBytes = 1 << 30
    /// Smaller buffers are left to malloc, which reuses them well.
    public static let minimumCount = 1 << 18

    private static let lock = NSLock()
    nonisolated(unsafe) private static var arrays: [[Float]] = []
    nonisolated(unsafe) private static var heldBytes = 0

    /// Keeps `scalars` for a later output of the same size (if it is large enough to be worth it).
    public static func recycle(_ scalars: consuming [Float]) {
        let count = scalars.count
        guard count >= minimumCount else { return }
        let bytes = count * MemoryLayout<Float>.stride
        guard bytes <= capacityBytes else { return }
        lock.lock(); defer { lock.unlock() }
        arrays.append(scalars)
        heldBytes += bytes
        while heldBytes > capacityBytes {
            heldBytes -= arrays.removeFirst().count * MemoryLayout<Float>.stride
        }
    }

    /// A kept array of exactly `count` floats (contents unspecified), or nil.
    static func take(count: Int) -> [Float]? {
        guard count >= minimumCount else { return nil }
        lock.lock(); defer { lock.unlock() }
        guard let i = arrays.lastIndex(where: { $0.count == count }) else { return nil }
        heldBytes -= count * MemoryLayout<Float>.stride
        return arrays.remove(at: i)
    }

    /// Bytes held for reuse now.
    public static var bytes: Int {
        lock.lock(); defer { lock.unlock() }
        return heldBytes
    }

    /// Lets go of everything held (tests, and callers about to need the memory elsewhere).
    public static func drain() {
        lock.lock(); defer { lock.unlock() }
        arrays.removeAll()
        heldBytes = 0
    }
}
