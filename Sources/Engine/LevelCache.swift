import Foundation
import ImageIO
import Kernels

/// Outputs at a ladder of global levels for one image and mask, so that scrubbing shows something at once: a
/// preview blended between the two nearest cached levels (MonoPix is monotonic in the level, so the blend is close),
/// until the exact frame replaces it. Memory is bounded: past `capacityBytes` the level farthest from the one last
/// asked for is evicted.
public final class LevelCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(level: Float, image: RGBImage)] = []
    private var focus: Float = 0
    public let capacityBytes: Int

    public init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    public var bytes: Int { lock.withLock { entries.reduce(0) { $0 + $1.image.pixels.count } } }
    public var levels: [Float] { lock.withLock { entries.map(\.level).sorted() } }

    /// Forgets everything (a new image, or the mask changed).
    public func removeAll() { lock.withLock { entries.removeAll() } }

    public func insert(_ image: RGBImage, level: Float) {
        lock.withLock {
            entries.removeAll { $0.level == level }
            entries.append((level, image))
            var total = entries.reduce(0) { $0 + $1.image.pixels.count }
            while total > capacityBytes, entries.count > 1 {
                let i = entries.indices.max { abs(entries[$0].level - focus) < abs(entries[$1].level - focus) }!
                total -= entries[i].image.pixels.count
                entries.remove(at: i)
            }
        }
    }

    public func exact(at level: Float) -> RGBImage? {
        lock.withLock { entries.first { $0.level == level }?.image }
    }

    /// The blend of the nearest cached levels below and above `level` (or the nearest one, outside the cached range).
    public func preview(at level: Float) -> RGBImage? {
        let (below, above): ((Float, RGBImage)?, (Float, RGBImage)?) = lock.withLock {
            focus = level
            let b = entries.filter { $0.level <= level }.max { $0.level < $1.level }
            let a = entries.filter { $0.level >= level }.min { $0.level < $1.level }
            return (b.map { ($0.level, $0.image) }, a.map { ($0.level, $0.image) })
        }
        switch (below, above) {
        case (nil, nil): return nil
        case let (b?, nil): return b.1
        case let (nil, a?): return a.1
        case let (b?, a?):
            if a.0 == b.0 { return b.1 }
            return Self.blend(b.1, a.1, t: (level - b.0) / (a.0 - b.0))
        }
    }

    /// The ladder's levels not yet cached, nearest to `level` first: the order a background filler computes them in.
    public func missing(ladder: [Float], near level: Float) -> [Float] {
        let have = Set(levels)
        return ladder.filter { !have.contains($0) }.sorted { abs($0 - level) < abs($1 - level) }
    }

    /// `(1 - t)·below + t·above`, rounded; in 8.8 fixed point (exact to the rounding for 8-bit samples) and split
    /// over the workers, so a scrub step stays within a frame's budget even for large images.
    static func blend(_ below: RGBImage, _ above: RGBImage, t: Float) -> RGBImage {
        let wa = Int32((t * 256).rounded()), wb = 256 - wa
        let count = below.pixels.count
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            below.pixels.withUnsafeBufferPointer { p in
                above.pixels.withUnsafeBufferPointer { q in
                    let blocks = (count + 65535) / 65536
                    ThreadPolicy.chunks(blocks, elements: count) { range in
                        for i in (range.lowerBound * 65536)..<min(count, range.upperBound * 65536) {
                            out[i] = UInt8(truncatingIfNeeded: (Int32(p[i]) * wb + Int32(q[i]) * wa + 128) >> 8)
                        }
                    }
                }
            }
            initialized = count
        }
        return RGBImage(width: below.width, height: below.height, pixels: pixels)
    }
}
