import Foundation
import Kernels
import Model

/// The convolutional trunk of torchvision's `alexnet().features`, cut the way the `lpips` package cuts it
/// (`pretrained_networks.alexnet`): five slices ending at relu1 … relu5.
///
///     features.0  Conv 11x11 stride 4 pad 2, ReLU                      → relu1
///     MaxPool 3x3 stride 2, features.3  Conv 5x5 pad 2, ReLU           → relu2
///     MaxPool 3x3 stride 2, features.6  Conv 3x3 pad 1, ReLU           → relu3
///     features.8  Conv 3x3 pad 1, ReLU                                 → relu4
///     features.10 Conv 3x3 pad 1, ReLU                                 → relu5
///
/// (The final pool, features.12, feeds only the classifier and is not used.) The channel counts come from the
/// weights, so a narrow network of the same layout runs too (the test fixtures are one); torchvision's are
/// 64, 192, 384, 256, 256.
public struct AlexNetFeatures: Sendable {
    /// The indices in `features` of the five convolutions.
    public static let convolutionIndices = [0, 3, 6, 8, 10]
    /// kernel, stride, padding of each convolution.
    static let geometry: [(kernel: Int, stride: Int, padding: Int)] = [(11, 4, 2), (5, 1, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1)]
    /// The smallest side the trunk accepts: relu1 must be at least 7 wide for both pools to have a 3x3 window.
    public static let minimumSide = 31

    public let convolutions: [Convolution]

    /// Output channels of relu1 … relu5.
    public var widths: [Int] { convolutions.map(\.outChannels) }

    /// A trunk from five convolutions with AlexNet's kernels, strides and paddings, each taking the previous
    /// one's channels (3 for the first).
    public init(convolutions: [Convolution]) {
        precondition(convolutions.count == 5, "AlexNetFeatures: five convolutions")
        var channels = 3
        for (conv, g) in zip(convolutions, Self.geometry) {
            precondition(conv.kernel == g.kernel && conv.stride == g.stride && conv.padding == g.padding
                         && conv.inChannels == channels, "AlexNetFeatures: layer does not have AlexNet's geometry")
            channels = conv.outChannels
        }
        self.convolutions = convolutions
    }

    /// Reads a torchvision `alexnet` state_dict (`features.{0,3,6,8,10}.{weight,bias}`; `classifier.*` is
    /// ignored). The state_dict of a whole `lpips.LPIPS` module (`net.slice1.0.weight`, …) is accepted too.
    public init(contentsOf url: URL) throws {
        try self.init(stateDict: StateDict.load(contentsOf: url), file: url.relativePath)
    }

    public init(stateDict sd: StateDict, file: String) throws {
        // The slice of lpips' alexnet wrapper that holds each convolution.
        let slices = [1, 2, 3, 4, 5]
        var convolutions: [Convolution] = []
        var channels = 3
        for (layer, index) in Self.convolutionIndices.enumerated() {
            let g = Self.geometry[layer]
            let candidates = ["features.\(index)", "net.slice\(slices[layer]).\(index)"]
            guard let prefix = candidates.first(where: { sd["\($0).weight"] != nil }) else {
                let found = sd.keys.prefix(3).joined(separator: ", ")
                throw EvaluationError.missingWeight(
                    file: file, key: "features.\(index).weight",
                    expected: "a torchvision alexnet state_dict with features.0/3/6/8/10 weights and biases; "
                        + (sd.isEmpty ? "the file holds no tensors" : "its keys begin \(found)"))
            }
            let weight = sd["\(prefix).weight"]!
            let s = weight.shape
            guard s.count == 4, s[1] == channels, s[2] == g.kernel, s[3] == g.kernel, s[0] > 0 else {
                throw EvaluationError.badWeightShape(file: file, key: "\(prefix).weight", shape: s,
                                                     expected: "[out, \(channels), \(g.kernel), \(g.kernel)]")
            }
            guard let bias = sd["\(prefix).bias"] else {
                throw EvaluationError.missingWeight(file: file, key: "\(prefix).bias", expected: "the bias of \(prefix)")
            }
            guard bias.shape == [s[0]] else {
                throw EvaluationError.badWeightShape(file: file, key: "\(prefix).bias", shape: bias.shape, expected: "[\(s[0])]")
            }
            convolutions.append(Convolution(outChannels: s[0], inChannels: channels, kernel: g.kernel, stride: g.stride,
                                            padding: g.padding, weight: weight.values, bias: bias.values))
            channels = s[0]
        }
        self.init(convolutions: convolutions)
    }

    /// Whether an image of this size goes through every pool.
    public static func accepts(width: Int, height: Int) -> Bool {
        func relu1(_ side: Int) -> Int { (side + 2 * 2 - 11) / 4 + 1 }
        func pool(_ side: Int) -> Int { (side - 3) / 2 + 1 }
        return [width, height].allSatisfy { side in
            side + 4 >= 11 && relu1(side) >= 3 && pool(relu1(side)) >= 3
        }
    }

    /// relu1 … relu5 of `x` ([N, 3, H, W], already through LPIPS' scaling layer).
    public func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        guard Self.accepts(width: x.shape.w, height: x.shape.h) else {
            throw EvaluationError.imageTooSmall(width: x.shape.w, height: x.shape.h, minimum: Self.minimumSide)
        }
        let relu = Epilogue(leakySlope: 0)
        var outputs: [Tensor] = []
        var h = x
        for (layer, conv) in convolutions.enumerated() {
            if layer == 1 || layer == 2 { h = maxPool2d(h, kernel: 3, stride: 2) }
            h = conv(h, epilogue: relu)
            outputs.append(h)
        }
        return outputs
    }
}
