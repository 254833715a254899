import Foundation
import ImageIO

/// What the studio scrubs over: one image and what was painted on it (NaN where a pixel follows the global level).
/// Frames of the same subject at different levels differ only where the level reaches, so they can be blended.
public struct ScrubSubject: Sendable {
    public var image: RGBImage
    public var painted: [Float]?

    public init(image: RGBImage, painted: [Float]?) {
        self.image = image
        self.painted = painted
    }

    /// The engine's intensity map at `level`.
    public func intensity(at level: Float) -> IntensityMap {
        guard let painted else { return IntensityMap(width: image.width, height: image.height, constant: level) }
        return IntensityMap(width: image.width, height: image.height, values: painted.map { $0.isNaN ? level : $0 })
    }

    /// Same image and same painted values, bit for bit (NaN marks unpainted pixels, so `==` on floats would not do).
    func isSame(as other: ScrubSubject) -> Bool {
        guard image == other.image else { return false }
        switch (painted, other.painted) {
        case (nil, nil): return true
        case let (a?, b?):
            return a.count == b.count && a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 } }
        default: return false
        }
    }
}

/// A `LevelCache` tied to one subject, and the ladder of levels that a background filler computes for it,
/// nearest to where the user is first. A new subject (another image, a stroke) empties it.
public final class ScrubLadder: @unchecked Sendable {
    public let ladder: [Float]
    private let cache: LevelCache
    private let lock = NSLock()
    private var subject: ScrubSubject?

    /// `levels` evenly spaced over `range`, at most `capacityBytes` of frames kept.
    public init(range: ClosedRange<Float>, levels: Int = 11, capacityBytes: Int = 96 << 20) {
        let n = max(2, levels)
        ladder = (0..<n).map { range.lowerBound + (range.upperBound - range.lowerBound) * Float($0) / Float(n - 1) }
        cache = LevelCache(capacityBytes: capacityBytes)
    }

    public var cachedLevels: [Float] { cache.levels }
    public var bytes: Int { cache.bytes }

    /// A frame at `level` at once: the exact one when cached, else the blend of the nearest cached levels; nil
    /// when nothing of this subject is cached.
    public func preview(of subject: ScrubSubject, at level: Float) -> (image: RGBImage, exact: Bool)? {
        guard matches(subject) else { return nil }
        if let exact = cache.exact(at: level) { return (exact, true) }
        return cache.preview(at: level).map { ($0, false) }
    }

    /// Keeps an exact frame; a frame of another subject replaces everything cached.
    public func remember(_ frame: RGBImage, of subject: ScrubSubject, at level: Float) {
        lock.withLock {
            if let current = self.subject, current.isSame(as: subject) { return }
            self.subject = subject
            cache.removeAll()
        }
        cache.insert(frame, level: level)
    }

    /// The ladder level to compute next for this subject (nearest to `level` first), nil when done or stale.
    public func nextLevel(for subject: ScrubSubject, near level: Float) -> Float? {
        guard matches(subject) else { return nil }
        let missing = cache.missing(ladder: ladder, near: level)
        // Past the cache's capacity a far level would only evict a nearer one: stop at what fits.
        let room = cache.capacityBytes / max(1, subject.image.pixels.count)
        return cache.levels.count < room ? missing.first : nil
    }

    private func matches(_ subject: ScrubSubject) -> Bool {
        lock.withLock { self.subject.map { $0.isSame(as: subject) } ?? false }
    }
}
