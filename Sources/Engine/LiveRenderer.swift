import Dispatch
import ImageIO
import Kernels
import Model

/// The studio's engine: renders an image under an intensity map, reusing the previous frame's activations so
/// that a brush stroke recomputes only what it reaches (see `IncrementalExecutor`). One image is kept warm; a new
/// image (or a noise model) starts over with a full pass.
public actor LiveRenderer {
    public let generator: Generator
    private var warm: (image: RGBImage, map: IntensityMap, executor: IncrementalExecutor)?

    /// What the last render did, for the status line.
    public struct Stats: Sendable {
        public var seconds: Double
        /// The share of a full frame's convolution work that was recomputed (1 for a full pass).
        public var recomputedFraction: Double
    }
    public private(set) var lastStats = Stats(seconds: 0, recomputedFraction: 1)

    public init(generator: Generator) { self.generator = generator }

    /// A `.preview` mode makes a preview of an edit (e.g. `.stroke`: bf16, near the dab only); the next `.exact`
    /// render recomputes whatever previews left approximate, whatever it changes itself.
    public func render(image: RGBImage, intensity: IntensityMap, mode: IncrementalExecutor.UpdateMode = .exact) throws -> RGBImage {
        try Task.checkCancellation()
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            lastStats.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let map = Tensor(map: intensity)
        if var w = warm, w.image == image, !generator.options.useNoise {
            // Held twice (here and in `warm`), every kept activation a stroke pastes into would be copied whole
            // first (copy on write): a 12 MP photo's proxy spent most of a dab faulting in fresh copies.
            warm = nil
            let changed = Self.changedRegion(w.map, intensity)
            let out = w.executor.update(map: map, changed: changed, mode: mode)
            w.map = intensity
            lastStats.recomputedFraction = w.executor.lastRecomputedFraction
            warm = w
            return RGBImage(tensor: out)
        }
        let gray = generator.options.selfAttention
            ? Generator.attentionMap(u8: image.pixels, width: image.width, height: image.height) : nil
        let noise = generator.options.useNoise ? Modulator(generator: generator).noise(for: Shape(n: 1, c: 3, h: image.height, w: image.width)) : nil
        let executor = IncrementalExecutor(generator: generator, image: Tensor(image: image), map: map, noise: noise, gray: gray)
        warm = (image, intensity, executor)
        lastStats.recomputedFraction = 1
        return RGBImage(tensor: executor.output)
    }

    /// The bounding box of the pixels that differ.
    static func changedRegion(_ a: IntensityMap, _ b: IntensityMap) -> Region {
        var r = Region.empty
        for y in 0..<a.height {
            var lo = -1, hi = -1
            for x in 0..<a.width where a[x, y] != b[x, y] {
                if lo < 0 { lo = x }
                hi = x
            }
            if lo >= 0 { r = r.union(Region(top: y, bottom: y + 1, left: lo, right: hi + 1)) }
        }
        return r
    }
}
