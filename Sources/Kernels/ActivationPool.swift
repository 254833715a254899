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
    /// The limits of the runs planned against a memory budget that are under way (`holding(atMost:_:)`); the
    /// pool holds no more than the smallest of them.
    nonisolated(unsafe) private static var limits: [Int: Int] = [:]
    nonisolated(unsafe) private static var nextLimit = 0
    private static var limitBytes: Int { limits.values.reduce(capacityBytes, min) }
    /// Smaller buffers are left to malloc, which reuses them well.
    public static let minimumCount = 1 << 18

    private static let lock = NSLock()
    nonisolated(unsafe) private static var arrays: [[Float]] = []
    nonisolated(unsafe) private static var heldBytes = 0

    /// Keeps `scalars` for a later output of about the same size (if it is large enough to be worth it).
    public static func recycle(_ scalars: consuming [Float]) {
        guard scalars.count >= minimumCount else { return }
        let bytes = scalars.capacity * MemoryLayout<Float>.stride
        lock.lock(); defer { lock.unlock() }
        let limit = limitBytes
        guard bytes <= limit else { return }
        arrays.append(scalars)
        heldBytes += bytes
        evict(downTo: limit)
    }

    /// Drops the oldest buffers until at most `limit` bytes are held (the lock is held).
    private static func evict(downTo limit: Int) {
        while heldBytes > limit, !arrays.isEmpty {
            heldBytes -= arrays.removeFirst().capacity * MemoryLayout<Float>.stride
        }
    }

    /// A kept array of `count` floats (contents unspecified), or nil: one of exactly that size, else the smallest
    /// whose storage holds `count` without wasting more than a third of it. The tiled executor's patches and
    /// outputs change size a little from node to node and tile to tile; reusing a slightly larger buffer spares
    /// the kernel's page clearing, which took a quarter of a 3 MP tiled run when every tile allocated afresh.
    static func take(count: Int) -> [Float]? {
        guard count >= minimumCount else { return nil }
        lock.lock()
        var best: Int?
        for (i, a) in arrays.enumerated() where a.capacity >= count && a.capacity * 2 <= count * 3 {
            if a.count == count { best = i; break }
            if best == nil || a.capacity < arrays[best!].capacity { best = i }
        }
        guard let i = best else { lock.unlock(); return nil }
        var array = arrays.remove(at: i)
        heldBytes -= array.capacity * MemoryLayout<Float>.stride
        lock.unlock()
        // Within the storage's capacity: neither changes the buffer (the new tail is written once, already mapped).
        if array.count > count { array.removeLast(array.count - count) }
        if array.count < count { array.append(contentsOf: repeatElement(0, count: count - array.count)) }
        return array
    }

    /// Bytes held for reuse now.
    public static var bytes: Int {
        lock.lock(); defer { lock.unlock() }
        return heldBytes
    }

    /// Runs `body` with the pool holding at most `bytes` (a tiled run keeps it within what its budget leaves
    /// beside the planned tiles: every byte held is resident). Runs may overlap (the studio's detail render beside an export): each limit holds until its own run ends.
    public static func holding<T>(atMost bytes: Int, _ body: () throws -> T) rethrows -> T {
        lock.lock()
        let id = nextLimit
        nextLimit += 1
        limits[id] = max(0, bytes)
        evict(downTo: limitBytes)
        lock.unlock()
        defer { lock.withLock { _ = limits.removeValue(forKey: id) } }
        return try body()
    }

    /// Lets go of everything held (tests, and callers about to need the memory elsewhere).
    public static func drain() {
        lock.lock(); defer { lock.unlock() }
        arrays.removeAll()
        heldBytes = 0
    }
}
