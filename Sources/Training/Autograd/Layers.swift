import Kernels

/// A convolution's trainable parameters and geometry (PyTorch's Conv2d with bias).
final class ConvLayer {
    let name: String
    let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    let weight: Parameter
    let bias: Parameter

    init(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int,
         weight: [Float], bias: [Float]) {
        self.name = name
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.stride = stride; self.padding = padding
        self.weight = Parameter(name: "\(name).weight", shape: [outChannels, inChannels, kernel, kernel], value: weight)
        self.bias = Parameter(name: "\(name).bias", shape: [outChannels], value: bias)
    }

    /// A layer around existing parameters ([weight, bias]), e.g. to share them between tapes in checks.
    init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int, parameters: [Parameter]) {
        precondition(parameters.count == 2 && parameters[0].count == outChannels * inChannels * kernel * kernel
                     && parameters[1].count == outChannels, "ConvLayer: parameters do not fit")
        self.name = String(parameters[0].name.dropLast(".weight".count))
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.stride = stride; self.padding = padding
        self.weight = parameters[0]; self.bias = parameters[1]
    }

    /// The forward kernel over the current weights (arrays are shared, not copied).
    var convolution: Convolution {
        Convolution(outChannels: outChannels, inChannels: inChannels, kernel: kernel, stride: stride, padding: padding,
                    weight: weight.value, bias: bias.value)
    }

    var parameters: [Parameter] { [weight, bias] }
}

/// An affine batch norm (PyTorch's BatchNorm2d: eps 1e-5, momentum 0.1) with its running statistics.
final class BatchNormLayer {
    let name: String
    let weight: Parameter
    let bias: Parameter
    var runningMean: [Float]
    var runningVar: [Float]
    var numBatchesTracked: Int = 0
    let momentum: Float = 0.1
    let epsilon: Float = 1e-5

    init(name: String, channels: Int, weight: [Float]? = nil, bias: [Float]? = nil) {
        self.name = name
        self.weight = Parameter(name: "\(name).weight", shape: [channels], value: weight ?? .init(repeating: 1, count: channels))
        self.bias = Parameter(name: "\(name).bias", shape: [channels], value: bias ?? .init(repeating: 0, count: channels))
        runningMean = .init(repeating: 0, count: channels)
        runningVar = .init(repeating: 1, count: channels)
    }

    /// A layer around existing parameters ([weight, bias]) with fresh running statistics.
    init(parameters: [Parameter]) {
        precondition(parameters.count == 2 && parameters[0].count == parameters[1].count, "BatchNormLayer: parameters do not fit")
        self.name = String(parameters[0].name.dropLast(".weight".count))
        self.weight = parameters[0]; self.bias = parameters[1]
        runningMean = .init(repeating: 0, count: parameters[0].count)
        runningVar = .init(repeating: 1, count: parameters[0].count)
    }

    var parameters: [Parameter] { [weight, bias] }

    /// PyTorch's update after a training-mode forward over `count` values per channel: the running variance takes
    /// the unbiased batch variance.
    func updateRunningStatistics(_ stats: NormStatistics, count: Int) {
        let correction = count > 1 ? Float(count) / Float(count - 1) : 1
        for c in runningMean.indices {
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * stats.mean[c]
            runningVar[c] = (1 - momentum) * runningVar[c] + momentum * stats.variance[c] * correction
        }
        numBatchesTracked += 1
    }
}
