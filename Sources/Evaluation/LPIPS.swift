import Foundation
import ImageIO
import Kernels
import Model

/// LPIPS v0.1 with the AlexNet trunk, as the `lpips` package computes `LPIPS(net='alex')(in0, in1)` on images the
/// reference's `Cal_LPIPS_Tragectory.py` feeds it:
///
/// 1. 8-bit RGB to [-1, 1] (`((img / 255.) - 0.5) * 2` in double, then float32);
/// 2. the ScalingLayer `(x - shift) / scale`, shift `[-.030, -.088, -.188]`, scale `[.458, .448, .450]`;
/// 3. AlexNet relu1 … relu5 (`AlexNetFeatures`);
/// 4. per layer, unit length along channels at every pixel, `x / (sqrt(sum x²) + 1e-10)` (`normalize_tensor`);
/// 5. the squared difference of the two images' normalised features, a 1x1 convolution without bias to one
///    channel (`lin{k}.model.1.weight`, the learned weights), the spatial mean;
/// 6. the sum over the five layers.
///
/// The distance is computed in two halves so that a trajectory's images go through the trunk once each:
/// `features(_:)` (steps 1–4) and `distance(_:_:)` (steps 5–6).
public struct LPIPS: Sendable {
    public static let shift: [Float] = [-0.030, -0.088, -0.188]
    public static let scale: [Float] = [0.458, 0.448, 0.450]
    /// `normalize_tensor`'s epsilon.
    public static let epsilon: Float = 1e-10

    public let trunk: AlexNetFeatures
    /// The linear heads' weights, one per channel of relu1 … relu5.
    public let heads: [[Float]]

    public init(trunk: AlexNetFeatures, heads: [[Float]]) {
        precondition(heads.map(\.count) == trunk.widths, "LPIPS: head widths \(heads.map(\.count)) vs trunk \(trunk.widths)")
        self.trunk = trunk
        self.heads = heads
    }

    /// Loads the trunk from a torchvision `alexnet` state_dict and the heads from the lpips package's
    /// `weights/v0.1/alex.pth` (`lin0.model.1.weight` … `lin4.model.1.weight`, each `[1, C, 1, 1]`). One file
    /// holding a whole `lpips.LPIPS` state_dict can be given for both.
    public init(alexnetWeights: URL, lpipsWeights: URL) throws {
        let trunk = try AlexNetFeatures(contentsOf: alexnetWeights)
        let heads = try Self.heads(stateDict: StateDict.load(contentsOf: lpipsWeights), file: lpipsWeights.relativePath,
                                   widths: trunk.widths)
        self.init(trunk: trunk, heads: heads)
    }

    /// The linear heads of an lpips state_dict, checked against the trunk's widths. `lin{k}.model.0.weight`
    /// (a head saved without its dropout layer) is accepted as well.
    public static func heads(stateDict sd: StateDict, file: String, widths: [Int]) throws -> [[Float]] {
        try widths.enumerated().map { k, width in
            let key = "lin\(k).model.1.weight"
            guard let t = sd[key] ?? sd["lin\(k).model.0.weight"] else {
                throw EvaluationError.missingWeight(
                    file: file, key: key,
                    expected: "the lpips package's linear heads lin0…lin4, as in its weights/v0.1/alex.pth")
            }
            guard t.shape == [1, width, 1, 1] else {
                throw EvaluationError.badWeightShape(
                    file: file, key: sd[key] != nil ? key : "lin\(k).model.0.weight", shape: t.shape,
                    expected: "[1, \(width), 1, 1] (relu\(k + 1) of the AlexNet trunk has \(width) channels)")
            }
            return t.values
        }
    }

    /// Steps 1–2: the image as the trunk's input, [1, 3, H, W].
    public static func input(_ image: RGBImage) -> Tensor {
        let w = image.width, h = image.height
        return Tensor(uninitializedShape: Shape(c: 3, h: h, w: w)) { dst in
            for c in 0..<3 {
                let shift = Self.shift[c], scale = Self.scale[c]
                for i in 0..<(w * h) {
                    let v = Float((Double(image.pixels[3 * i + c]) / 255 - 0.5) * 2)
                    dst[c * w * h + i] = (v - shift) / scale
                }
            }
        }
    }

    /// One image's relu1 … relu5, each unit-normalised along channels at every pixel.
    public struct Features: Sendable {
        public let width: Int, height: Int
        public let layers: [Tensor]
    }

    /// Steps 1–4 for one image.
    public func features(_ image: RGBImage) throws -> Features {
        let outs = try trunk(Self.input(image))
        return Features(width: image.width, height: image.height, layers: outs.map(Self.normalized))
    }

    /// `normalize_tensor`: every pixel's channel vector divided by its length plus 1e-10.
    static func normalized(_ x: Tensor) -> Tensor {
        let s = x.shape
        var y = x
        y.scalars.withUnsafeMutableBufferPointer { p in
            for n in 0..<s.n {
                let base = p.baseAddress! + n * s.c * s.plane
                for i in 0..<s.plane {
                    var sum: Float = 0
                    for c in 0..<s.c { let v = base[c * s.plane + i]; sum += v * v }
                    let norm = sum.squareRoot() + epsilon
                    for c in 0..<s.c { base[c * s.plane + i] /= norm }
                }
            }
        }
        return y
    }

    /// Steps 5–6 per layer: the spatial mean of the weighted squared differences.
    public func layerDistances(_ a: Features, _ b: Features) -> [Double] {
        precondition(a.width == b.width && a.height == b.height, "LPIPS: \(a.width)x\(a.height) vs \(b.width)x\(b.height)")
        return zip(zip(a.layers, b.layers), heads).map { pair, weights in
            let (fa, fb) = pair
            let s = fa.shape
            var total = 0.0
            fa.scalars.withUnsafeBufferPointer { p in
                fb.scalars.withUnsafeBufferPointer { q in
                    for c in 0..<s.c {
                        var channel = 0.0
                        let o = c * s.plane
                        for i in 0..<s.plane { let d = Double(p[o + i]) - Double(q[o + i]); channel += d * d }
                        total += Double(weights[c]) * channel
                    }
                }
            }
            return total / Double(s.plane)
        }
    }

    /// LPIPS between two images' features.
    public func distance(_ a: Features, _ b: Features) -> Double {
        layerDistances(a, b).reduce(0, +)
    }

    /// LPIPS between two images of the same size (`lpips_calfun(in0, in1)` in the reference).
    public func distance(_ a: RGBImage, _ b: RGBImage) throws -> Double {
        guard a.width == b.width, a.height == b.height else {
            throw EvaluationError.sizeMismatch(first: "the first image", firstSize: "\(a.width)x\(a.height)",
                                               second: "the second", secondSize: "\(b.width)x\(b.height)")
        }
        return try distance(features(a), features(b))
    }
}
