import Kernels
import Model

// Every op the MonoPix networks use, each as its forward (a Kernels call) followed by its derivative rule.
// This file is the one table of derivative rules; the backward kernels themselves live in Gradients/.

extension Tape {
    /// `leakyReLU(conv(x) + b)` when `leakySlope` is set, else `conv(x) + b` (fused in the GEMM epilogue).
    /// d/dx, d/dW, d/db: leaky backward from the output's sign, then `ConvolutionBackward`.
    func conv(_ x: Variable, _ layer: ConvLayer, leakySlope: Float? = nil) -> Variable {
        let conv = layer.convolution
        let input = value(x)
        let y = conv(input, epilogue: Epilogue(leakySlope: leakySlope))
        let xNeeds = needsGradient(x)
        return record(Self.profileName(conv, input.shape), y, inputs: [x], parameters: layer.parameters) { dy in
            let g = leakySlope.map { leakyReLUBackward(dy, output: y, slope: $0) } ?? dy
            var dx: Tensor? = nil
            let backward = ConvolutionBackward(conv: conv)
            let run = { (dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?) in
                dx = backward(x: input, dy: g, inputGradient: xNeeds, dWeight: dw, dBias: db)
            }
            if layer.weight.frozen {
                run(nil, nil)
            } else {
                layer.weight.accumulateGradient { dw in layer.bias.accumulateGradient { db in run(dw, db) } }
            }
            return [dx]
        }
    }

    /// `conv4x4`, or with `--profile-layers` `conv4x4/2 16>32 @64x64 n8` (stride, channels, input size, batch).
    private static func profileName(_ c: Convolution, _ x: Shape) -> String {
        let kind = "conv\(c.kernel)x\(c.kernel)"
        guard TapeProfile.shared?.byLayerShape == true else { return kind }
        return "\(kind)/\(c.stride) \(c.inChannels)>\(c.outChannels) @\(x.h)x\(x.w) n\(x.n)"
    }

    /// LeakyReLU (ReLU at slope 0). d/dx = 1 where the output is positive, else `slope`.
    func leakyReLU(_ x: Variable, slope: Float) -> Variable {
        let y = Kernels.leakyReLU(value(x), slope: slope)
        return record("leakyReLU", y, inputs: [x]) { dy in [leakyReLUBackward(dy, output: y, slope: slope)] }
    }

    /// Batch norm: batch statistics and a running-statistics update while `training`, running statistics otherwise.
    func batchNorm(_ x: Variable, _ layer: BatchNormLayer) -> Variable {
        let input = value(x)
        let xNeeds = needsGradient(x)
        let gamma = layer.weight.value
        if training {
            let (y, stats) = batchNormTraining(input, gamma: gamma, beta: layer.bias.value, epsilon: layer.epsilon)
            layer.updateRunningStatistics(stats, count: input.shape.n * input.shape.plane)
            return record("batchNorm", y, inputs: [x], parameters: layer.parameters) { dy in
                var dx: Tensor? = nil
                if layer.weight.frozen {
                    dx = batchNormTrainingBackward(dy, x: input, stats: stats, gamma: gamma, inputGradient: xNeeds, dGamma: nil, dBeta: nil)
                } else {
                    layer.weight.accumulateGradient { dg in layer.bias.accumulateGradient { db in
                        dx = batchNormTrainingBackward(dy, x: input, stats: stats, gamma: gamma, inputGradient: xNeeds, dGamma: dg, dBeta: db)
                    } }
                }
                return [dx]
            }
        }
        let mean = layer.runningMean, variance = layer.runningVar
        let folded = foldBatchNorm(weight: gamma, bias: layer.bias.value, runningMean: mean, runningVar: variance, epsilon: layer.epsilon)
        let y = Kernels.channelAffine(input, scale: folded.scale, shift: folded.shift)
        return record("batchNorm(eval)", y, inputs: [x], parameters: layer.parameters) { dy in
            var dx: Tensor? = nil
            if layer.weight.frozen {
                dx = batchNormEvalBackward(dy, x: input, runningMean: mean, runningVar: variance, gamma: gamma,
                                           epsilon: layer.epsilon, inputGradient: xNeeds, dGamma: nil, dBeta: nil)
            } else {
                layer.weight.accumulateGradient { dg in layer.bias.accumulateGradient { db in
                    dx = batchNormEvalBackward(dy, x: input, runningMean: mean, runningVar: variance, gamma: gamma,
                                               epsilon: layer.epsilon, inputGradient: xNeeds, dGamma: dg, dBeta: db)
                } }
            }
            return [dx]
        }
    }

    /// Instance norm without affine parameters. d/dx = invStd * (dy - mean(dy) - x̂ mean(dy x̂)) per plane.
    func instanceNorm(_ x: Variable) -> Variable {
        let input = value(x)
        let (y, stats) = instanceNormTraining(input)
        return record("instanceNorm", y, inputs: [x]) { dy in [instanceNormBackward(dy, x: input, stats: stats)] }
    }

    /// 2x2 max or average pooling. d/dx: to the window's first maximum, or a quarter to each.
    func pool(_ x: Variable, _ kind: Pooling) -> Variable {
        let input = value(x)
        return record("pool", kind(input), inputs: [x]) { dy in [poolingBackward(kind, dy, input: input)] }
    }

    /// Bilinear x2 upsampling (align_corners=False). d/dx: the transposed interpolation.
    func upsample(_ x: Variable) -> Variable {
        let s = value(x).shape
        return record("upsample", upsampleBilinear2x(value(x)), inputs: [x]) { dy in [upsampleBilinear2xBackward(dy, inputShape: s)] }
    }

    /// Concatenation along channels. d/dparts: the channel slices.
    func concat(_ parts: [Variable]) -> Variable {
        let channels = parts.map { value($0).shape.c }
        return record("concat", concatChannels(parts.map(value)), inputs: parts) { dy in concatChannelsBackward(dy, channels: channels) }
    }

    /// `x * m`, m one channel broadcast over x's. d/dx = dy * m; d/dm = Σ_c dy * x.
    func multiplyByMap(_ x: Variable, _ m: Variable) -> Variable {
        let xv = value(x), mv = value(m)
        let needX = needsGradient(x), needM = needsGradient(m)
        return record("multiplyByMap", multiplyBroadcastingChannels(xv, mv), inputs: [x, m]) { dy in
            let (dx, dm) = multiplyBroadcastingChannelsBackward(dy, x: xv, map: mv, needX: needX, needMap: needM)
            return [dx, dm]
        }
    }

    /// tanh. d/dx = 1 - y².
    func tanh(_ x: Variable) -> Variable {
        let y = Kernels.tanh(value(x))
        return record("tanh", y, inputs: [x]) { dy in [tanhBackward(dy, output: y)] }
    }

    /// `latent + factor * image[:, :3]` (the generator's skip). d/dlatent = dy; d/dimage = factor * dy in channels 0..2.
    func skip(_ latent: Variable, _ image: Variable, factor: Float) -> Variable {
        let im = value(image)
        let y = Kernels.add(value(latent), leadingChannels(im, 3), scaledBy: factor)
        let channels = im.shape.c
        return record("skip", y, inputs: [latent, image]) { dy in
            var di = dy
            if factor != 1 { di.scalars.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= factor } } }
            return [dy, channels == 3 ? di : leadingChannelsBackward(di, channels: channels)]
        }
    }

    /// `a + b`. d/da = d/db = dy.
    func add(_ a: Variable, _ b: Variable) -> Variable {
        record("add", Kernels.add(value(a), value(b)), inputs: [a, b]) { dy in [dy, dy] }
    }

    /// Reflection padding. d/dx: mirrored pixels fold back onto their sources.
    func reflectionPad(_ x: Variable, _ p: Insets) -> Variable {
        if p.isZero { return x }
        let s = value(x).shape
        return record("reflectionPad", Kernels.reflectionPad(value(x), p), inputs: [x]) { dy in [reflectionPadBackward(dy, padding: p, inputShape: s)] }
    }

    /// Rows `range` of a batch (`x[a:b]`). d/dx: the gradient in those rows, zero elsewhere.
    func rows(_ x: Variable, _ range: Range<Int>) -> Variable {
        let v = value(x), s = v.shape
        if range == 0..<s.n { return x }
        let one = s.c * s.plane
        let y = Tensor(shape: Shape(n: range.count, c: s.c, h: s.h, w: s.w), scalars: Array(v.scalars[(range.lowerBound * one)..<(range.upperBound * one)]))
        return record("rows", y, inputs: [x]) { dy in
            var dx = Tensor(shape: s)
            dx.scalars.replaceSubrange((range.lowerBound * one)..<(range.upperBound * one), with: dy.scalars)
            return [dx]
        }
    }

    /// Batches one after the other (`torch.cat(dim=0)`). d/dx: each part's rows of the gradient.
    func concatBatch(_ parts: [Variable]) -> Variable {
        if parts.count == 1 { return parts[0] }
        let shapes = parts.map { value($0).shape }
        return record("concatBatch", Kernels.concatBatch(parts.map(value)), inputs: parts) { dy in
            var first = 0
            return shapes.map { s in
                defer { first += s.count }
                return Tensor(shape: s, scalars: Array(dy.scalars[first..<(first + s.count)]))
            }
        }
    }

    /// Cropping (also the low-light model's patches). d/dx: the gradient inside a zero border.
    func crop(_ x: Variable, _ p: Insets) -> Variable {
        if p.isZero { return x }
        return record("crop", Kernels.crop(value(x), p), inputs: [x]) { dy in [cropBackward(dy, insets: p)] }
    }

    /// The low-light gray attention map of an image. d/dx_c = -w_c / 2 * dgray.
    func attentionMap(_ image: Variable) -> Variable {
        let s = value(image).shape
        return record("attentionMap", Generator.attentionMap(value(image)), inputs: [image]) { dg in [attentionMapBackward(dg, imageShape: s)] }
    }

    /// `x * scale + shift` element-wise with one scale and shift per channel, channels optionally reversed
    /// (VGG's RGB → BGR in [0, 255]). d/dx = dy * scale, channels reversed back.
    func channelAffine(_ x: Variable, scale: Float, shift: Float, reverseChannels: Bool) -> Variable {
        let v = value(x)
        let s = v.shape
        func reorder(_ t: Tensor) -> Tensor {
            guard reverseChannels else { return t }
            var out = t
            for n in 0..<s.n {
                for c in 0..<s.c {
                    let from = (n * s.c + c) * s.plane, to = (n * s.c + (s.c - 1 - c)) * s.plane
                    out.scalars[to..<(to + s.plane)] = t.scalars[from..<(from + s.plane)]
                }
            }
            return out
        }
        var y = reorder(v)
        y.scalars.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = b[i] * scale + shift } }
        return record("channelAffine", y, inputs: [x]) { dy in
            var g = reorder(dy)
            g.scalars.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] *= scale } }
            return [g]
        }
    }

    /// `x - means[c]` per channel (VGG's optional mean subtraction). d/dx = dy.
    func subtractChannelMeans(_ x: Variable, _ means: [Float]) -> Variable {
        let v = value(x)
        precondition(means.count == v.shape.c, "subtractChannelMeans: \(means.count) means for \(v.shape)")
        let y = Kernels.channelAffine(v, scale: [Float](repeating: 1, count: means.count), shift: means.map { -$0 })
        return record("subtractChannelMeans", y, inputs: [x]) { dy in [dy] }
    }
}
