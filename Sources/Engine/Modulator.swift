import Foundation
import ImageIO
import Kernels
import Model

/// A generator ready for 8-bit images: converts to and from tensors, batches levels, supplies the noise channel.
public struct Modulator: Sendable {
    public let generator: Generator
    /// Seeds the noise channel of noise-generation models; one noise map serves every level of a trajectory,
    /// so that neighbouring levels differ only by the intensity (the reference draws fresh noise per level).
    public var noiseSeed: UInt64 = 0

    public init(generator: Generator) { self.generator = generator }

    /// The image translated with one intensity everywhere.
    public func render(_ image: RGBImage, level: Float) -> RGBImage {
        RGBImage(tensor: outputs(Tensor(image: image), intensity: .levels([level]), gray: gray(image, count: 1)))
    }

    /// The image translated with a per-pixel intensity map of the image's size.
    public func render(_ image: RGBImage, map: IntensityMap) -> RGBImage {
        precondition(map.width == image.width && map.height == image.height, "render: map and image sizes differ")
        if let level = map.uniformLevel { return render(image, level: level) }
        return RGBImage(tensor: outputs(Tensor(image: image), intensity: .map(Tensor(map: map)), gray: gray(image, count: 1)))
    }

    /// The image at each level. The level-independent work (inputs, attention, the first layer's response to the
    /// image) is shared; see `Generator.trajectory`.
    public func trajectory(_ image: RGBImage, levels: [Float]) -> [RGBImage] {
        let x = Tensor(image: image)
        let n = noise(for: x.shape)
        return generator.trajectory(x, levels: levels, noise: n, gray: gray(image, count: 1)).map { RGBImage(tensor: $0) }
    }

    /// The generator's float output [N, 3, H, W] (before clamping) for images already in [-1, 1].
    public func outputs(_ images: Tensor, intensity: Generator.Intensity, gray: Tensor? = nil) -> Tensor {
        generator(images, intensity: intensity, noise: noise(for: images.shape), gray: gray).output
    }

    /// The attention map from the 8-bit pixels in double precision, as the reference computes it; nil without attention.
    func gray(_ image: RGBImage, count: Int) -> Tensor? {
        guard generator.options.selfAttention else { return nil }
        let one = Generator.attentionMap(u8: image.pixels, width: image.width, height: image.height)
        return count == 1 ? one : concatBatch(Array(repeating: one, count: count))
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
    var rng = SplitMix64(seed: seed)
    var values = [Float](repeating: 0, count: shape.count)
    var i = 0
    while i < values.count {
        let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(rng.next() >> 11) / Double(1 << 53)
        let r = (-2 * log(u1)).squareRoot()
        values[i] = Float(r * cos(2 * .pi * u2))
        if i + 1 < values.count { values[i + 1] = Float(r * sin(2 * .pi * u2)) }
        i += 2
    }
    return Tensor(shape: shape, scalars: values)
}
