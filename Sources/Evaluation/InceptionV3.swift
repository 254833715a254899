import Foundation
import ImageIO
import Kernels
import Model

/// pytorch-fid's Inception-v3 (`pytorch_fid.inception.InceptionV3([3])` over `fid_inception_v3()`) up to its pool3
/// features, on our kernels, from the state dict of its weights file `pt_inception-2015-12-05-6726825d.pth`
/// (torchvision's `Inception3` key names: `Conv2d_1a_3x3.conv.weight`, `Mixed_5b.branch1x1.bn.running_var`, …;
/// `fc.*` and `num_batches_tracked` are not read).
///
///     Conv2d_1a_3x3 (3x3 s2), Conv2d_2a_3x3 (3x3), Conv2d_2b_3x3 (3x3 pad 1), MaxPool 3x3 s2,
///     Conv2d_3b_1x1, Conv2d_4a_3x3 (3x3), MaxPool 3x3 s2,
///     Mixed_5b/5c/5d (FIDInceptionA), Mixed_6a (InceptionB), Mixed_6b…6e (FIDInceptionC),
///     Mixed_7a (InceptionD), Mixed_7b (FIDInceptionE_1), Mixed_7c (FIDInceptionE_2), global average pool
///
/// Every layer is a BasicConv2d: a bias-free convolution, eval-mode batch norm (`eps` 0.001, folded into the
/// weights and a bias) and ReLU. The FID variants differ from torchvision's blocks only in their pool branch:
/// A, C and E_1 average 3x3 windows (stride 1, padding 1) without counting the padding (`count_include_pad=False`),
/// E_2 takes their maximum instead (the TensorFlow graph FID was defined with does).
///
/// Widths come from the tensors' shapes (pytorch-fid's are those above, 2048 features), so a narrow network with
/// the same key names loads too: the test fixtures are one.
public struct InceptionV3: Sendable {
    public static let batchNormEpsilon: Float = 0.001
    /// pytorch-fid's `resize_input`: every image is resized to 299x299 before the network.
    public static let inputSize = 299

    /// Where a layer of a mixed block reads from.
    enum Source: Sendable, Equatable {
        case blockInput
        /// The block's input after the block kind's pool branch pool (average or max, 3x3, stride 1, padding 1).
        case pooledInput
        case layer(String)
    }

    /// One BasicConv2d's name (its key prefix in the block), geometry and input.
    struct LayerSpec: Sendable {
        let name: String
        let kernelHeight: Int, kernelWidth: Int, stride: Int, paddingHeight: Int, paddingWidth: Int
        let source: Source

        init(_ name: String, _ kh: Int, _ kw: Int, stride: Int = 1, padding: (Int, Int) = (0, 0), from source: Source = .blockInput) {
            self.name = name; kernelHeight = kh; kernelWidth = kw; self.stride = stride
            paddingHeight = padding.0; paddingWidth = padding.1; self.source = source
        }
    }

    /// A part of a mixed block's output, concatenated along channels in order.
    enum Output: Sendable, Equatable {
        case layer(String)
        /// The block's input max-pooled 3x3 stride 2 (InceptionB and D's third branch).
        case maxPooledInput
    }

    /// pytorch-fid's block classes.
    public enum BlockKind: String, Sendable {
        case a = "FIDInceptionA", b = "InceptionB", c = "FIDInceptionC", d = "InceptionD"
        case e1 = "FIDInceptionE_1", e2 = "FIDInceptionE_2"

        var layers: [LayerSpec] {
            switch self {
            case .a:
                return [LayerSpec("branch1x1", 1, 1),
                        LayerSpec("branch5x5_1", 1, 1), LayerSpec("branch5x5_2", 5, 5, padding: (2, 2), from: .layer("branch5x5_1")),
                        LayerSpec("branch3x3dbl_1", 1, 1),
                        LayerSpec("branch3x3dbl_2", 3, 3, padding: (1, 1), from: .layer("branch3x3dbl_1")),
                        LayerSpec("branch3x3dbl_3", 3, 3, padding: (1, 1), from: .layer("branch3x3dbl_2")),
                        LayerSpec("branch_pool", 1, 1, from: .pooledInput)]
            case .b:
                return [LayerSpec("branch3x3", 3, 3, stride: 2),
                        LayerSpec("branch3x3dbl_1", 1, 1),
                        LayerSpec("branch3x3dbl_2", 3, 3, padding: (1, 1), from: .layer("branch3x3dbl_1")),
                        LayerSpec("branch3x3dbl_3", 3, 3, stride: 2, from: .layer("branch3x3dbl_2"))]
            case .c:
                return [LayerSpec("branch1x1", 1, 1),
                        LayerSpec("branch7x7_1", 1, 1),
                        LayerSpec("branch7x7_2", 1, 7, padding: (0, 3), from: .layer("branch7x7_1")),
                        LayerSpec("branch7x7_3", 7, 1, padding: (3, 0), from: .layer("branch7x7_2")),
                        LayerSpec("branch7x7dbl_1", 1, 1),
                        LayerSpec("branch7x7dbl_2", 7, 1, padding: (3, 0), from: .layer("branch7x7dbl_1")),
                        LayerSpec("branch7x7dbl_3", 1, 7, padding: (0, 3), from: .layer("branch7x7dbl_2")),
                        LayerSpec("branch7x7dbl_4", 7, 1, padding: (3, 0), from: .layer("branch7x7dbl_3")),
                        LayerSpec("branch7x7dbl_5", 1, 7, padding: (0, 3), from: .layer("branch7x7dbl_4")),
                        LayerSpec("branch_pool", 1, 1, from: .pooledInput)]
            case .d:
                return [LayerSpec("branch3x3_1", 1, 1),
                        LayerSpec("branch3x3_2", 3, 3, stride: 2, from: .layer("branch3x3_1")),
                        LayerSpec("branch7x7x3_1", 1, 1),
                        LayerSpec("branch7x7x3_2", 1, 7, padding: (0, 3), from: .layer("branch7x7x3_1")),
                        LayerSpec("branch7x7x3_3", 7, 1, padding: (3, 0), from: .layer("branch7x7x3_2")),
                        LayerSpec("branch7x7x3_4", 3, 3, stride: 2, from: .layer("branch7x7x3_3"))]
            case .e1, .e2:
                return [LayerSpec("branch1x1", 1, 1),
                        LayerSpec("branch3x3_1", 1, 1),
                        LayerSpec("branch3x3_2a", 1, 3, padding: (0, 1), from: .layer("branch3x3_1")),
                        LayerSpec("branch3x3_2b", 3, 1, padding: (1, 0), from: .layer("branch3x3_1")),
                        LayerSpec("branch3x3dbl_1", 1, 1),
                        LayerSpec("branch3x3dbl_2", 3, 3, padding: (1, 1), from: .layer("branch3x3dbl_1")),
                        LayerSpec("branch3x3dbl_3a", 1, 3, padding: (0, 1), from: .layer("branch3x3dbl_2")),
                        LayerSpec("branch3x3dbl_3b", 3, 1, padding: (1, 0), from: .layer("branch3x3dbl_2")),
                        LayerSpec("branch_pool", 1, 1, from: .pooledInput)]
            }
        }

        var outputs: [Output] {
            switch self {
            case .a: return [.layer("branch1x1"), .layer("branch5x5_2"), .layer("branch3x3dbl_3"), .layer("branch_pool")]
            case .b: return [.layer("branch3x3"), .layer("branch3x3dbl_3"), .maxPooledInput]
            case .c: return [.layer("branch1x1"), .layer("branch7x7_3"), .layer("branch7x7dbl_5"), .layer("branch_pool")]
            case .d: return [.layer("branch3x3_2"), .layer("branch7x7x3_4"), .maxPooledInput]
            case .e1, .e2:
                return [.layer("branch1x1"), .layer("branch3x3_2a"), .layer("branch3x3_2b"), .layer("branch3x3dbl_3a"),
                        .layer("branch3x3dbl_3b"), .layer("branch_pool")]
            }
        }
    }

    /// The stem's BasicConv2d layers in order; a 3x3 stride-2 max pool follows `Conv2d_2b_3x3` and `Conv2d_4a_3x3`.
    static let stemLayers = [LayerSpec("Conv2d_1a_3x3", 3, 3, stride: 2), LayerSpec("Conv2d_2a_3x3", 3, 3),
                             LayerSpec("Conv2d_2b_3x3", 3, 3, padding: (1, 1)), LayerSpec("Conv2d_3b_1x1", 1, 1),
                             LayerSpec("Conv2d_4a_3x3", 3, 3)]
    static let poolsAfter: Set<String> = ["Conv2d_2b_3x3", "Conv2d_4a_3x3"]
    public static let mixedBlocks: [(name: String, kind: BlockKind)] = [
        ("Mixed_5b", .a), ("Mixed_5c", .a), ("Mixed_5d", .a), ("Mixed_6a", .b),
        ("Mixed_6b", .c), ("Mixed_6c", .c), ("Mixed_6d", .c), ("Mixed_6e", .c),
        ("Mixed_7a", .d), ("Mixed_7b", .e1), ("Mixed_7c", .e2),
    ]

    /// Every state-dict key the network reads, in module order: five per BasicConv2d (`conv.weight` and the batch
    /// norm's `weight`, `bias`, `running_mean`, `running_var`).
    public static var stateDictKeys: [String] {
        let names = stemLayers.map(\.name) + mixedBlocks.flatMap { block in block.kind.layers.map { "\(block.name).\($0.name)" } }
        return names.flatMap { n in ["\(n).conv.weight"] + ["weight", "bias", "running_mean", "running_var"].map { "\(n).bn.\($0)" } }
    }

    /// The kernel (height, width) of each convolution, by its `….conv.weight` key.
    public static var kernelSizes: [String: (Int, Int)] {
        var sizes: [String: (Int, Int)] = [:]
        for l in stemLayers { sizes["\(l.name).conv.weight"] = (l.kernelHeight, l.kernelWidth) }
        for block in mixedBlocks { for l in block.kind.layers { sizes["\(block.name).\(l.name).conv.weight"] = (l.kernelHeight, l.kernelWidth) } }
        return sizes
    }

    public struct MixedBlock: Sendable {
        public let name: String
        public let kind: BlockKind
        /// By layer name (`branch1x1`, …).
        public let layers: [String: Convolution]
        public let outChannels: Int
    }

    public let stem: [Convolution]
    public let blocks: [MixedBlock]

    /// The length of a feature vector (2048 for pytorch-fid's weights).
    public var featureDimension: Int { blocks.last!.outChannels }

    public init(contentsOf url: URL) throws {
        try self.init(stateDict: StateDict.load(contentsOf: url), file: url.relativePath)
    }

    public init(stateDict raw: StateDict, file: String) throws {
        let sd = raw.droppingDataParallelPrefix()
        guard sd["Conv2d_1a_3x3.conv.weight"] != nil else {
            let found = sd.keys.prefix(3).joined(separator: ", ")
            throw EvaluationError.missingWeight(
                file: file, key: "Conv2d_1a_3x3.conv.weight",
                expected: "pytorch-fid's Inception-v3 state_dict (pt_inception-2015-12-05-6726825d.pth: Conv2d_1a_3x3 … "
                    + "Mixed_7c); " + (sd.isEmpty ? "the file holds no tensors" : "its keys begin \(found)"))
        }
        let reader = WeightReader(sd: sd, file: file, prefix: "", batchNormEpsilon: Self.batchNormEpsilon)
        func layer(_ spec: LayerSpec, prefix: String, inChannels: Int) throws -> Convolution {
            try reader.convolution("\(prefix)\(spec.name).conv", bn: "\(prefix)\(spec.name).bn", inChannels: inChannels,
                                   kernelHeight: spec.kernelHeight, kernelWidth: spec.kernelWidth, stride: spec.stride,
                                   paddingHeight: spec.paddingHeight, paddingWidth: spec.paddingWidth)
        }
        var channels = 3
        var stem: [Convolution] = []
        for spec in Self.stemLayers {
            let conv = try layer(spec, prefix: "", inChannels: channels)
            stem.append(conv)
            channels = conv.outChannels
        }
        var blocks: [MixedBlock] = []
        for (name, kind) in Self.mixedBlocks {
            var layers: [String: Convolution] = [:]
            for spec in kind.layers {
                let inChannels: Int
                switch spec.source {
                case .blockInput, .pooledInput: inChannels = channels
                case .layer(let from): inChannels = layers[from]!.outChannels
                }
                layers[spec.name] = try layer(spec, prefix: "\(name).", inChannels: inChannels)
            }
            let out = kind.outputs.reduce(0) { sum, o in
                switch o {
                case .layer(let l): return sum + layers[l]!.outChannels
                case .maxPooledInput: return sum + channels
                }
            }
            blocks.append(MixedBlock(name: name, kind: kind, layers: layers, outChannels: out))
            channels = out
        }
        self.stem = stem
        self.blocks = blocks
    }

    /// pytorch-fid's input for images: `ToTensor` (`x / 255` in float), `F.interpolate` to 299x299 (bilinear,
    /// `align_corners=False`), then `2 x - 1`; `[N, 3, 299, 299]`.
    public static func input(_ images: [RGBImage]) -> Tensor {
        let side = inputSize, plane = side * side
        var batch = Tensor(shape: Shape(n: images.count, c: 3, h: side, w: side))
        batch.scalars.withUnsafeMutableBufferPointer { dst in
            for (n, image) in images.enumerated() {
                let w = image.width, h = image.height
                let unit = Tensor(uninitializedShape: Shape(c: 3, h: h, w: w)) { p in
                    for c in 0..<3 { for i in 0..<(w * h) { p[c * w * h + i] = Float(image.pixels[3 * i + c]) / 255 } }
                }
                let resized = resizeBilinear(unit, height: side, width: side)
                resized.scalars.withUnsafeBufferPointer { src in
                    for i in 0..<(3 * plane) { dst[n * 3 * plane + i] = 2 * src[i] - 1 }
                }
            }
        }
        return batch
    }

    /// The pool3 features, `[N][featureDimension]` row-major, of `x` `[N, 3, H, W]` (already preprocessed).
    public func features(_ x: Tensor) -> [Float] {
        let relu = Epilogue(leakySlope: 0)
        var h = x
        for (spec, conv) in zip(Self.stemLayers, stem) {
            h = conv(h, epilogue: relu)
            if Self.poolsAfter.contains(spec.name) { h = maxPool2d(h, kernel: 3, stride: 2) }
        }
        for block in blocks {
            let input = h
            var outputs: [String: Tensor] = [:]
            var pooled: Tensor?
            for spec in block.kind.layers {
                let source: Tensor
                switch spec.source {
                case .blockInput: source = input
                case .layer(let from): source = outputs[from]!
                case .pooledInput:
                    if pooled == nil {
                        pooled = block.kind == .e2
                            ? maxPool2d(input, kernel: 3, stride: 1, padding: 1)
                            : averagePool2d(input, kernel: 3, stride: 1, padding: 1, countIncludePad: false)
                    }
                    source = pooled!
                }
                outputs[spec.name] = block.layers[spec.name]!(source, epilogue: relu)
            }
            h = concatChannels(block.kind.outputs.map { o in
                switch o {
                case .layer(let l): return outputs[l]!
                case .maxPooledInput: return maxPool2d(input, kernel: 3, stride: 2)
                }
            })
        }
        return globalAveragePool(h)
    }

    /// The pool3 features of images, preprocessed as pytorch-fid does.
    public func features(of images: [RGBImage]) -> [Float] {
        features(Self.input(images))
    }
}
