import Foundation
import ImageIO
import Kernels
import Model

/// A generator ready for 8-bit images: converts to and from tensors, batches levels, supplies the noise channel,
/// and runs photos of any size tile by tile within a memory budget (`Modulator+Tiles.swift`).
public struct Modulator: Sendable {
    public let generator: Generator
    /// Seeds the noise channel of noise-generation models; one noise map serves every level of a trajectory,
    /// so that neighbouring levels differ only by the intensity (the reference draws fresh noise per level).
    public var noiseSeed: UInt64 = 0
    /// What a render may take in all; images whose whole-image pass would not fit run in tiles, exactly.
    public var memoryBudget: MemoryBudget = .standard
    /// Tiles of this padded size (multiples of 16) whatever the budget says (tests and `bench photo --tile`).
    public var tileOverride: (height: Int, width: Int)? = nil

    public init(generator: Generator, memoryBudget: MemoryBudget = .standard) {
        self.generator = generator
        self.memoryBudget = memoryBudget
    }

    /// The image translated with one intensity everywhere.
    public func render(_ image: RGBImage, level: Float) throws -> RGBImage {
        try held(image, levels: [level], map: nil)[0]
    }

    /// The image translated with a per-pixel intensity map of the image's size.
    public func render(_ image: RGBImage, map: IntensityMap) throws -> RGBImage {
        precondition(map.width == image.width && map.height == image.height, "render: map and image sizes differ")
        if let level = map.uniformLevel { return try render(image, level: level) }
        return try held(image, levels: nil, map: map)[0]
    }

    /// The image at each level. The level-independent work (inputs, attention, the first layer's response to the
    /// image) is shared; see `Generator.trajectory`. Every output is held: for photos, `renderBands` streams them.
    public func trajectory(_ image: RGBImage, levels: [Float]) throws -> [RGBImage] {
        try held(image, levels: levels, map: nil)
    }

    /// The outputs whole, assembled from `renderBands`.
    private func held(_ image: RGBImage, levels: [Float]?, map: IntensityMap?) throws -> [RGBImage] {
        let count = levels?.count ?? 1
        let bytes = image.width * image.height * 3
        var outputs: [[UInt8]] = []
        try renderBands(image, levels: levels, map: map, reserved: count * bytes) { top, rows, bands in
            if top == 0 && rows == image.height { outputs = bands; return }
            if outputs.isEmpty { outputs = [[UInt8]](repeating: [UInt8](repeating: 0, count: bytes), count: count) }
            for (i, b) in bands.enumerated() {
                outputs[i].replaceSubrange((top * image.width * 3)..<((top + rows) * image.width * 3), with: b)
            }
        }
        return outputs.map { RGBImage(width: image.width, height: image.height, pixels: $0) }
    }

    func noise(for shape: Shape) -> Tensor? {
        guard generator.options.useNoise else { return nil }
        let pad = Insets.toMultiple(of: 16, height: shape.h, width: shape.w)
        let plane = Shape(n: 1, c: 1, h: shape.h + pad.top + pad.bottom, w: shape.w + pad.left + pad.right)
        let one = standardNormal(plane, seed: noiseSeed)
        return concatBatch(Array(repeating: one, count: shape.n))
    }
}

/// Standard-normal samples (Box–Muller over SplitMix64): the same on every machine for a seed.
public func standardNormal(_ shape: Shape, seed: UInt64) -> Tensor {
    var values = [Float](repeating: 0, count: shape.count)
    for m in 0..<((values.count + 1) / 2) {
        let (a, b) = standardNormalPair(m, seed: seed)
        values[2 * m] = a
        if 2 * m + 1 < values.count { values[2 * m + 1] = b }
    }
    return Tensor(shape: shape, scalars: values)
}

/// Sample `index` of `standardNormal(_:seed:)` alone (a tile's part of the noise plane).
public func standardNormal(at index: Int, seed: UInt64) -> Float {
    let (a, b) = standardNormalPair(index / 2, seed: seed)
    return index % 2 == 0 ? a : b
}

/// The `m`-th Box–Muller pair: SplitMix64's outputs 2m and 2m + 1 (its state after n steps is seed + n * gamma,
/// so any pair can be drawn without the ones before).
private func standardNormalPair(_ m: Int, seed: UInt64) -> (Float, Float) {
    var rng = SplitMix64(seed: seed &+ UInt64(2 * m) &* 0x9E37_79B9_7F4A_7C15)
    let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(rng.next() >> 11) / Double(1 << 53)
    let r = (-2 * log(u1)).squareRoot()
    return (Float(r * cos(2 * .pi * u2)), Float(r * sin(2 * .pi * u2)))
}
