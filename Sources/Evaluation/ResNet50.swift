import Foundation
import Kernels
import Model

/// torchvision's `resnet50` (v1.5: the stride of a bottleneck is on its 3x3 convolution) for inference, on our
/// kernels, with the reference ACC classifier's head.
///
///     conv1 7x7 stride 2 pad 3, bn1, ReLU, MaxPool 3x3 stride 2 pad 1
///     layer1 … layer4: 3, 4, 6, 3 bottlenecks, strides 1, 2, 2, 2
///         conv1 1x1, bn1, ReLU; conv2 3x3 stride s pad 1, bn2, ReLU; conv3 1x1, bn3;
///         + the identity, or downsample.0 (1x1 stride s) with downsample.1 (bn) in the first block; ReLU
///     global average pool, fc
///
/// Eval-mode batch norm (`eps` 1e-5) is folded into the preceding convolution's weights and bias, so every
/// convolution is one `Convolution` call with a ReLU epilogue where the network has one.
///
/// Widths come from the tensors' shapes (torchvision's are 64 in the stem, bottleneck widths 64, 128, 256, 512 and
/// outputs four times those), so a narrow network with torchvision's key names loads too: the test fixtures are one.
///
/// The head (`ResNet50.Head`) is whatever the state dict holds after `fc`:
/// - the reference's `Mymodel` (Evaluations/test_network_ACC.py): keys `resnet50.*` for the trunk (with
///   `num_classes=64`, so `resnet50.fc` is 2048 → 64), then `fcs.0` (64 → 64), LeakyReLU(0.01), `fcs.2` (64 → 32),
///   LeakyReLU(0.01), `fcs.4` (32 → 1): one logit, and `sigmoid(logit)` is the confidence of domain A;
/// - a plain torchvision `resnet50` with `fc` of one output (a logit, sigmoid as above) or two (softmax, class 1 is
///   domain A, the label the reference's training gives Winter/Cat).
///
/// `module.` prefixes (a `DataParallel` save) are stripped.
public struct ResNet50: Sendable {
    public struct Bottleneck: Sendable {
        public let conv1: Convolution, conv2: Convolution, conv3: Convolution
        public let downsample: Convolution?
    }

    /// A dense layer, `y = W x + b`, `weight` `[out, in]` row-major.
    public struct Linear: Sendable {
        public let outFeatures: Int, inFeatures: Int
        public let weight: [Float], bias: [Float]

        /// `x` is `[n][inFeatures]` row-major; the result `[n][outFeatures]`.
        public func callAsFunction(_ x: [Float], rows n: Int) -> [Float] {
            precondition(x.count == n * inFeatures, "Linear: \(x.count) inputs for \(n) x \(inFeatures)")
            var y = [Float](repeating: 0, count: n * outFeatures)
            for r in 0..<n { for o in 0..<outFeatures { y[r * outFeatures + o] = bias[o] } }
            x.withUnsafeBufferPointer { a in
                weight.withUnsafeBufferPointer { w in
                    y.withUnsafeMutableBufferPointer { c in
                        GEMM.multiply(transposeB: true, m: n, n: outFeatures, k: inFeatures, a: a.baseAddress!, lda: inFeatures,
                                      b: w.baseAddress!, ldb: inFeatures, beta: 1, c: c.baseAddress!, ldc: outFeatures)
                    }
                }
            }
            return y
        }
    }

    public enum Head: Sendable {
        /// `fcs.0`, `fcs.2`, `fcs.4` with LeakyReLU(0.01) between: one logit, sigmoid for domain A.
        case mlp([Linear])
        /// `fc` has one output: a logit, sigmoid for domain A.
        case logit
        /// `fc` has two outputs: softmax, class 1 is domain A.
        case twoClasses
    }

    public static let blockCounts = [3, 4, 6, 3]
    public static let strides = [1, 2, 2, 2]
    public static let batchNormEpsilon: Float = 1e-5
    public let stem: Convolution
    public let layers: [[Bottleneck]]
    public let fc: Linear
    public let head: Head

    /// Output channels of layer1 … layer4.
    public var widths: [Int] { layers.map { $0.last!.conv3.outChannels } }

    public init(contentsOf url: URL) throws {
        try self.init(stateDict: StateDict.load(contentsOf: url), file: url.relativePath)
    }

    public init(stateDict raw: StateDict, file: String) throws {
        let sd = raw.droppingDataParallelPrefix()
        let trunk = sd["resnet50.conv1.weight"] != nil ? "resnet50." : ""
        let reader = WeightReader(sd: sd, file: file, prefix: trunk, batchNormEpsilon: Self.batchNormEpsilon)
        guard sd["\(trunk)conv1.weight"] != nil else {
            let found = sd.keys.prefix(3).joined(separator: ", ")
            throw EvaluationError.missingWeight(
                file: file, key: "conv1.weight",
                expected: "a torchvision resnet50 state_dict (conv1, bn1, layer1…layer4, fc), or the reference's ACC "
                    + "classifier (resnet50.* and fcs.*); " + (sd.isEmpty ? "the file holds no tensors" : "its keys begin \(found)"))
        }
        var channels = 3
        let stem = try reader.convolution("conv1", bn: "bn1", inChannels: channels, kernel: 7, stride: 2, padding: 3)
        self.stem = stem
        channels = stem.outChannels
        var layers: [[Bottleneck]] = []
        for (l, count) in Self.blockCounts.enumerated() {
            var blocks: [Bottleneck] = []
            for b in 0..<count {
                let p = "layer\(l + 1).\(b)"
                let stride = b == 0 ? Self.strides[l] : 1
                let c1 = try reader.convolution("\(p).conv1", bn: "\(p).bn1", inChannels: channels, kernel: 1, stride: 1, padding: 0)
                let c2 = try reader.convolution("\(p).conv2", bn: "\(p).bn2", inChannels: c1.outChannels, kernel: 3,
                                                stride: stride, padding: 1, outChannels: c1.outChannels)
                let c3 = try reader.convolution("\(p).conv3", bn: "\(p).bn3", inChannels: c2.outChannels, kernel: 1, stride: 1, padding: 0)
                var down: Convolution?
                if sd["\(trunk)\(p).downsample.0.weight"] != nil {
                    down = try reader.convolution("\(p).downsample.0", bn: "\(p).downsample.1", inChannels: channels, kernel: 1,
                                                  stride: stride, padding: 0, outChannels: c3.outChannels)
                } else if stride != 1 || channels != c3.outChannels {
                    throw EvaluationError.missingWeight(
                        file: file, key: "\(trunk)\(p).downsample.0.weight",
                        expected: "the projection of \(p) (\(channels) → \(c3.outChannels) channels, stride \(stride))")
                }
                blocks.append(Bottleneck(conv1: c1, conv2: c2, conv3: c3, downsample: down))
                channels = c3.outChannels
            }
            layers.append(blocks)
        }
        self.layers = layers
        fc = try reader.linear("fc", inFeatures: channels)
        if sd["fcs.0.weight"] != nil {
            let top = WeightReader(sd: sd, file: file, prefix: "", batchNormEpsilon: Self.batchNormEpsilon)
            let l0 = try top.linear("fcs.0", inFeatures: fc.outFeatures)
            let l1 = try top.linear("fcs.2", inFeatures: l0.outFeatures)
            let l2 = try top.linear("fcs.4", inFeatures: l1.outFeatures, outFeatures: 1)
            head = .mlp([l0, l1, l2])
        } else if trunk == "resnet50." {
            throw EvaluationError.missingWeight(file: file, key: "fcs.0.weight",
                                                expected: "the reference ACC classifier's head fcs.0/2/4 after resnet50.fc")
        } else if fc.outFeatures == 1 {
            head = .logit
        } else if fc.outFeatures == 2 {
            head = .twoClasses
        } else {
            throw EvaluationError.badWeightShape(file: file, key: "fc.weight", shape: [fc.outFeatures, fc.inFeatures],
                                                 expected: "[1 or 2, \(fc.inFeatures)] (a two-domain classifier)")
        }
    }

    /// The trunk's pooled features, `[N][2048]` (or the narrow network's width), of `x` `[N, 3, H, W]`.
    public func features(_ x: Tensor) -> [Float] {
        let relu = Epilogue(leakySlope: 0)
        var h = stem(x, epilogue: relu)
        h = maxPool2d(h, kernel: 3, stride: 2, padding: 1)
        for blocks in layers {
            for block in blocks {
                let identity = block.downsample.map { $0(h) } ?? h
                var y = block.conv3(block.conv2(block.conv1(h, epilogue: relu), epilogue: relu))
                y.scalars.withUnsafeMutableBufferPointer { p in
                    identity.scalars.withUnsafeBufferPointer { q in
                        for i in 0..<p.count { let v = p[i] + q[i]; p[i] = v > 0 ? v : 0 }
                    }
                }
                h = y
            }
        }
        return globalAveragePool(h)
    }

    /// `fc`'s outputs, `[N][fc.outFeatures]`.
    public func fcOutputs(_ x: Tensor) -> [Float] {
        fc(features(x), rows: x.shape.n)
    }

    /// The classifier's logits: `[N]` for a one-logit head, `[N][2]` for two classes.
    public func logits(_ x: Tensor) -> [Float] {
        let n = x.shape.n
        var y = fcOutputs(x)
        if case .mlp(let linears) = head {
            for (i, linear) in linears.enumerated() {
                y = linear(y, rows: n)
                if i < linears.count - 1 { for j in y.indices where y[j] < 0 { y[j] *= 0.01 } }
            }
        }
        return y
    }

    /// The confidence that each image is of domain A, in [0, 1]: `sigmoid(logit)` (float32, as torch computes it), or
    /// the softmax of class 1 for a two-class `fc`.
    public func domainAScores(_ x: Tensor) -> [Float] {
        let y = logits(x)
        switch head {
        case .mlp, .logit:
            return y.map { 1 / (1 + Foundation.exp(-$0)) }
        case .twoClasses:
            return (0..<x.shape.n).map { r in
                let a = y[2 * r], b = y[2 * r + 1], m = max(a, b)
                let ea = Foundation.exp(a - m), eb = Foundation.exp(b - m)
                return eb / (ea + eb)
            }
        }
    }
}
