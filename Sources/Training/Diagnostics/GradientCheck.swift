import Kernels
import Model

/// Every op of the tape and every loss, checked against central finite differences on small random inputs:
/// one table of cases (ggml's test-backend-ops idea), run by the tests and by `monopix train --check-gradients`.
///
/// For a case with output y, the check takes `L = Σ r ⊙ y` for a fixed random r, seeds the tape with r, and compares
/// each analytic partial derivative of L (inputs and parameters, up to `samplesPerTensor` coordinates each) with
/// `(L(v + ε) - L(v - ε)) / 2ε`, L summed in Double. Inputs are built away from kinks (ReLU at 0, max-pool ties,
/// clamp and |·| corners), so the difference quotient is meaningful in float32.
public enum GradientCheck {
    /// The outcome of one case.
    public struct Result: Sendable, CustomStringConvertible {
        public let name: String
        /// max |analytic - numeric| over the checked coordinates, divided by the largest |numeric| among them.
        public let relativeError: Double
        public let coordinates: Int
        /// A whole network (many LeakyReLU kinks: finite differences are only good to a few percent).
        public var isNetwork = false
        /// Per checked tensor: its label, the relative error and the largest |numeric| partial.
        public var tensors: [(label: String, relativeError: Double, scale: Double)] = []
        public var description: String { "\(name): \(coordinates) partials, relative error \(relativeError)" }
    }

    /// The names of every case, in table order.
    public static var caseNames: [String] { cases.map(\.name) }

    /// Runs the named case (all of them when `name` is nil).
    public static func run(_ name: String? = nil, samplesPerTensor: Int = 24) -> [Result] {
        cases.filter { name == nil || $0.name == name }.map { $0.check(samplesPerTensor) }
    }

    /// The GEMM backward of a convolution against six nested loops, on odd shapes: the largest element-wise
    /// difference of dx, dW and db relative to the largest element.
    public static func convolutionBackwardAgainstReference(n: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
                                                           kernel: Int, stride: Int, padding: Int, seed: UInt64) -> Double {
        var rng = SplitMix64(seed: seed)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in 2 * rng.unit() - 1 } }
        let conv = Convolution(outChannels: outChannels, inChannels: inChannels, kernel: kernel, stride: stride, padding: padding,
                               weight: values(outChannels * inChannels * kernel * kernel), bias: values(outChannels))
        let x = Tensor(shape: Shape(n: n, c: inChannels, h: height, w: width), scalars: values(n * inChannels * height * width))
        let (ho, wo) = conv.outputSize(height: height, width: width)
        let dy = Tensor(shape: Shape(n: n, c: outChannels, h: ho, w: wo), scalars: values(n * outChannels * ho * wo))
        let backward = ConvolutionBackward(conv: conv)
        var dw = [Float](repeating: 0, count: conv.weight.count), db = [Float](repeating: 0, count: outChannels)
        let dx = dw.withUnsafeMutableBufferPointer { w in
            db.withUnsafeMutableBufferPointer { b in backward(x: x, dy: dy, inputGradient: true, dWeight: w.baseAddress!, dBias: b.baseAddress!) }
        }!
        let ref = backward.reference(x: x, dy: dy)
        func rel(_ a: [Float], _ b: [Float]) -> Double {
            let scale = max(1e-12, b.map { Double(abs($0)) }.max() ?? 0)
            return zip(a, b).map { Double(abs($0 - $1)) }.max().map { $0 / scale } ?? 0
        }
        return max(rel(dx.scalars, ref.dx.scalars), rel(dw, ref.dWeight), rel(db, ref.dBias))
    }

    // MARK: The table

    struct Case {
        let name: String
        let check: (Int) -> Result
    }

    static var cases: [Case] {
        var list: [Case] = []
        func op(_ name: String, inputs: [Shape], kind: InputKind = .smooth, epsilon: Float = 1e-3,
                build: @escaping (inout ParameterInitializer) -> [Parameter] = { _ in [] },
                forward: @escaping (Tape, [Variable], [Parameter]) -> Variable) {
            list.append(Case(name: name) { samples in
                checkOp(name, inputs: inputs, kind: kind, epsilon: epsilon, samples: samples, build: build, forward: forward)
            })
        }
        func conv(_ name: String, n: Int = 2, inC: Int, outC: Int, size: Int, kernel: Int, stride: Int, padding: Int,
                  slope: Float? = nil, biasShift: Float = 0) {
            op(name, inputs: [Shape(n: n, c: inC, h: size, w: size + 1)],
               build: { initr in
                   let c = ConvLayer(name: "c", inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: padding,
                                     weight: initr.normal(count: outC * inC * kernel * kernel, mean: 0, std: 0.3),
                                     bias: initr.normal(count: outC, mean: biasShift, std: 0.1))
                   return c.parameters
               },
               forward: { tape, v, p in
                   let layer = ConvLayer(inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: padding,
                                         parameters: p)
                   return tape.conv(v[0], layer, leakySlope: slope)
               })
        }
        conv("conv3x3", inC: 3, outC: 4, size: 5, kernel: 3, stride: 1, padding: 1)
        conv("conv1x1", inC: 5, outC: 3, size: 4, kernel: 1, stride: 1, padding: 0)
        conv("conv4x4 stride 2 pad 2", inC: 3, outC: 4, size: 7, kernel: 4, stride: 2, padding: 2)
        conv("conv4x4 stride 1 pad 2", inC: 2, outC: 3, size: 5, kernel: 4, stride: 1, padding: 2)
        conv("conv3x3 + LeakyReLU (positive side)", inC: 2, outC: 3, size: 4, kernel: 3, stride: 1, padding: 1, slope: 0.2, biasShift: 8)
        conv("conv3x3 + LeakyReLU (negative side)", inC: 2, outC: 3, size: 4, kernel: 3, stride: 1, padding: 1, slope: 0.2, biasShift: -8)
        conv("conv3x3 single sample", n: 1, inC: 3, outC: 2, size: 6, kernel: 3, stride: 1, padding: 1)
        op("LeakyReLU", inputs: [Shape(n: 2, c: 3, h: 3, w: 4)], kind: .awayFromZero) { t, v, _ in t.leakyReLU(v[0], slope: 0.2) }
        op("ReLU", inputs: [Shape(n: 1, c: 2, h: 3, w: 3)], kind: .awayFromZero) { t, v, _ in t.leakyReLU(v[0], slope: 0) }
        op("batch norm (training)", inputs: [Shape(n: 3, c: 2, h: 3, w: 2)],
           build: { initr in initr.batchNorm(name: "bn", channels: 2).parameters.map { p in
               p.value = p.value.enumerated().map { $0.element + 0.3 * Float($0.offset) - 0.1 }; return p } },
           forward: { t, v, p in t.batchNorm(v[0], BatchNormLayer(parameters: p)) })
        op("batch norm (eval)", inputs: [Shape(n: 2, c: 3, h: 2, w: 3)],
           build: { initr in initr.batchNorm(name: "bn", channels: 3).parameters },
           forward: { t, v, p in
               let bn = BatchNormLayer(parameters: p)
               bn.runningMean = [0.1, -0.2, 0.3]; bn.runningVar = [0.5, 1.5, 0.8]
               t.training = false
               defer { t.training = true }
               return t.batchNorm(v[0], bn)
           })
        op("instance norm", inputs: [Shape(n: 2, c: 3, h: 3, w: 4)]) { t, v, _ in t.instanceNorm(v[0]) }
        op("max pool 2x2 (odd edges)", inputs: [Shape(n: 2, c: 2, h: 5, w: 7)], kind: .distinct) { t, v, _ in t.pool(v[0], .max) }
        op("average pool 2x2 (odd edges)", inputs: [Shape(n: 1, c: 2, h: 5, w: 4)]) { t, v, _ in t.pool(v[0], .average) }
        op("bilinear upsample x2", inputs: [Shape(n: 2, c: 2, h: 3, w: 4)]) { t, v, _ in t.upsample(v[0]) }
        op("reflection pad", inputs: [Shape(n: 1, c: 2, h: 4, w: 5)]) { t, v, _ in
            t.reflectionPad(v[0], Insets(top: 1, bottom: 2, left: 3, right: 1))
        }
        op("crop", inputs: [Shape(n: 2, c: 2, h: 5, w: 6)]) { t, v, _ in t.crop(v[0], Insets(top: 1, bottom: 0, left: 2, right: 1)) }
        op("rows", inputs: [Shape(n: 4, c: 2, h: 3, w: 3)]) { t, v, _ in t.rows(v[0], 1..<3) }
        op("concat", inputs: [Shape(n: 2, c: 2, h: 3, w: 3), Shape(n: 2, c: 1, h: 3, w: 3), Shape(n: 2, c: 3, h: 3, w: 3)]) { t, v, _ in
            t.concat(v)
        }
        op("multiply by map", inputs: [Shape(n: 2, c: 3, h: 3, w: 4), Shape(n: 2, c: 1, h: 3, w: 4)]) { t, v, _ in
            t.multiplyByMap(v[0], v[1])
        }
        op("tanh", inputs: [Shape(n: 2, c: 2, h: 3, w: 3)]) { t, v, _ in t.tanh(v[0]) }
        op("skip (latent + image[:3])", inputs: [Shape(n: 2, c: 3, h: 3, w: 3), Shape(n: 2, c: 5, h: 3, w: 3)]) { t, v, _ in
            t.skip(v[0], v[1], factor: 0.7)
        }
        op("add", inputs: [Shape(n: 1, c: 2, h: 3, w: 3), Shape(n: 1, c: 2, h: 3, w: 3)]) { t, v, _ in t.add(v[0], v[1]) }
        op("gray attention map", inputs: [Shape(n: 2, c: 3, h: 3, w: 4)]) { t, v, _ in t.attentionMap(v[0]) }
        op("VGG preprocessing (BGR, [0, 255])", inputs: [Shape(n: 2, c: 3, h: 2, w: 3)]) { t, v, _ in
            t.channelAffine(v[0], scale: 127.5, shift: 127.5, reverseChannels: true)
        }

        op("subtract channel means", inputs: [Shape(n: 2, c: 3, h: 2, w: 2)]) { t, v, _ in
            t.subtractChannelMeans(v[0], [0.5, -1, 2])
        }

        // Losses: the value's derivative against the returned gradient.
        func loss(_ name: String, shape: Shape, kind: InputKind = .smooth, _ f: @escaping (Tensor) -> LossValue) {
            list.append(Case(name: name) { samples in checkLoss(name, shape: shape, kind: kind, samples: samples, f) })
        }
        var targets = TestValues(seed: 99)
        let target = targets.tensor(Shape(n: 2, c: 3, h: 3, w: 3), kind: .smooth)
        loss("LSGAN loss (real)", shape: Shape(n: 2, c: 1, h: 3, w: 3)) { Losses.leastSquares($0, target: 1) }
        loss("LSGAN loss (fake)", shape: Shape(n: 2, c: 1, h: 3, w: 3)) { Losses.leastSquares($0, target: 0) }
        loss("L1 loss", shape: target.shape, kind: .awayFrom(target)) { Losses.l1($0, target: target) }
        loss("MSE loss", shape: target.shape) { Losses.meanSquaredError($0, target) }
        let contentTarget = targets.tensor(Shape(n: 2, c: 3, h: 4, w: 4), kind: .smooth)
        loss("standardised content loss (ours)", shape: contentTarget.shape) { Losses.standardizedContent($0, target: contentTarget, pool: 2) }
        loss("monotonicity loss", shape: Shape(n: 4, c: 1, h: 3, w: 3), kind: .pairs(margin: 0.05)) {
            Losses.monotonicity($0, margin: 0.05)
        }
        loss("domain-fidelity monotonicity loss", shape: Shape(n: 4, c: 1, h: 2, w: 3), kind: .pairs(margin: 0.05)) {
            Losses.monotonicity($0, margin: 0.05, domainFidelity: true)
        }
        loss("colour loss (C2N)", shape: Shape(n: 2, c: 3, h: 3, w: 3)) { Losses.colour(real: target, fake: $0) }
        loss("colour loss (pixel_lvl_mean)", shape: Shape(n: 2, c: 3, h: 3, w: 3)) { Losses.colour(real: target, fake: $0, overChannels: true) }

        // Whole networks: the generator executor over GeneratorGraph, and the discriminator.
        for (label, norm, attention, transcode) in [("Identity", NormKind.identity, false, false),
                                                    ("instance + transcode", .instance, false, true),
                                                    ("batch + attention", .batch, true, false)] {
            var o = GeneratorOptions()
            o.widthMultiplier = 1.0 / 16
            o.norm = norm
            o.selfAttention = attention; o.timesResidual = attention
            o.transcode = transcode
            o.tanhOutput = !attention
            list.append(Case(name: "generator (\(label))") { samples in checkGenerator(o, samples: samples) })
        }
        for norm in [NormKind.identity, .instance, .batch] {
            list.append(Case(name: "discriminator (\(norm.rawValue))") { samples in checkDiscriminator(norm, samples: samples) })
        }
        list.append(Case(name: "VGG16 features (widths / 16)") { samples in checkVGG(samples: samples) })
        return list
    }
}
