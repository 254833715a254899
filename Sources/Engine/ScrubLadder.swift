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
    /// The mean difference per 8-bit sample above which two neighbouring levels get a level between them.
    public let refineAbove: Double
    /// At most this many levels per subject.
    public let maxLevels: Int
    private let cache: LevelCache
    /// The same frames sampled down to at most `previewSide` pixels on the long side, for blending large images: a
    /// scrub step then costs the same on a 40-megapixel photo as on a small one (the canvas shows fewer pixels).
    private let small: LevelCache
    public static let previewSide = 1536
    private let lock = NSLock()
    private var subject: ScrubSubject?

    /// `levels` evenly spaced over `range`, refined where neighbours differ by more than `refineAbove`, at most
    /// `maxLevels` levels and `capacityBytes` of frames kept (and as much again of sampled-down copies for images
    /// larger than `previewSide`).
    public init(range: ClosedRange<Float>, levels: Int = 11, capacityBytes: Int = 96 << 20, refineAbove: Double = 2,
                maxLevels: Int = 33) {
        self.refineAbove = refineAbove
        self.maxLevels = maxLevels
        let n = max(2, levels)
        ladder = (0..<n).map { range.lowerBound + (range.upperBound - range.lowerBound) * Float($0) / Float(n - 1) }
        cache = LevelCache(capacityBytes: capacityBytes)
        small = LevelCache(capacityBytes: capacityBytes)
    }

    public var cachedLevels: [Float] { cache.levels }
    public var bytes: Int { cache.bytes }

    /// A frame at `level` at once: the exact one when cached, else the blend of the nearest cached levels; nil
    /// when nothing of this subject is cached.
    public func preview(of subject: ScrubSubject, at level: Float) -> (image: RGBImage, exact: Bool)? {
        guard matches(subject) else { return nil }
        if let exact = cache.exact(at: level) { return (exact, true) }
        return blendable(subject.image).preview(at: level).map { ($0, false) }
    }

    /// Keeps an exact frame; a frame of another subject replaces everything cached.
    public func remember(_ frame: RGBImage, of subject: ScrubSubject, at level: Float) {
        lock.withLock {
            if let current = self.subject, current.isSame(as: subject) { return }
            self.subject = subject
            cache.removeAll()
            small.removeAll()
        }
        cache.insert(frame, level: level)
        if Self.isLarge(frame) { small.insert(frame.downscaled(toFit: Self.previewSide), level: level) }
    }

    /// The level to compute next for this subject, nil when done or stale: the even ladder first, nearest to
    /// `level` first; then the midpoint of the two neighbouring cached levels whose frames differ most, while
    /// they differ by more than `refineAbove` per 8-bit sample on average (a model that changes fast between
    /// two rungs would make their blend a poor preview there).
    public func nextLevel(for subject: ScrubSubject, near level: Float) -> Float? {
        guard matches(subject) else { return nil }
        // Large images blend their sampled-down copies, which hold the whole ladder; the full frames kept are the
        // ones nearest the user (exact hits).
        let frames = blendable(subject.image)
        // Past the cache's capacity a new level would only evict a nearer one: stop at what fits.
        let frameBytes = Self.isLarge(subject.image) ? Self.previewSide * Self.previewSide * 3 : subject.image.pixels.count
        let room = cache.capacityBytes / max(1, frameBytes)
        let have = frames.levels
        guard have.count < min(room, maxLevels) else { return nil }
        if let even = frames.missing(ladder: ladder, near: level).first { return even }
        let minimumGap = (ladder.last! - ladder.first!) / 64
        var widest: (gap: Float, difference: Double)?
        for (a, b) in zip(have, have.dropFirst()) where b - a > minimumGap {
            guard let fa = frames.exact(at: a), let fb = frames.exact(at: b) else { continue }
            let d = Self.meanAbsoluteDifference(fa, fb)
            if d > refineAbove, d > (widest?.difference ?? 0) { widest = ((a + b) / 2, d) }
        }
        return widest?.gap
    }


    static func isLarge(_ image: RGBImage) -> Bool { max(image.width, image.height) > previewSide }

    /// The frames blends of this image are made from: its sampled-down copies when it is large.
    private func blendable(_ image: RGBImage) -> LevelCache { Self.isLarge(image) ? small : cache }

    static func meanAbsoluteDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        var total = 0
        for i in a.pixels.indices { total += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(total) / Double(max(1, a.pixels.count))
    }

    private func matches(_ subject: ScrubSubject) -> Bool {
        lock.withLock { self.subject.map { $0.isSame(as: subject) } ?? false }
    }
}
