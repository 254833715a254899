import Kernels
import Model

/// Reads a state dict's convolutions with their eval-mode batch norms (folded into the weights and a bias) and its
/// linear layers, checking every shape and naming the file and key in every error: what ResNet50 and InceptionV3
/// build their layers with.
struct WeightReader {
    let sd: StateDict, file: String, prefix: String
    /// The batch norms' `eps`: torchvision's ResNet 1e-5, Inception's BasicConv2d 0.001.
    let batchNormEpsilon: Float

    func tensor(_ key: String, expected: String) throws -> StoredTensor {
        guard let t = sd[prefix + key] else {
            throw EvaluationError.missingWeight(file: file, key: prefix + key, expected: expected)
        }
        return t
    }

    func convolution(_ name: String, bn: String, inChannels: Int, kernel: Int, stride: Int, padding: Int,
                     outChannels: Int? = nil) throws -> Convolution {
        try convolution(name, bn: bn, inChannels: inChannels, kernelHeight: kernel, kernelWidth: kernel, stride: stride,
                        paddingHeight: padding, paddingWidth: padding, outChannels: outChannels)
    }

    /// `name.weight` `[out, inChannels, kernelHeight, kernelWidth]` (bias-free) followed by the batch norm `bn`.
    func convolution(_ name: String, bn: String, inChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int,
                     paddingHeight: Int, paddingWidth: Int, outChannels: Int? = nil) throws -> Convolution {
        let w = try tensor("\(name).weight", expected: "the \(kernelHeight)x\(kernelWidth) convolution \(name)")
        let s = w.shape
        guard s.count == 4, s[0] > 0, s[1] == inChannels, s[2] == kernelHeight, s[3] == kernelWidth,
              outChannels == nil || s[0] == outChannels! else {
            throw EvaluationError.badWeightShape(
                file: file, key: prefix + name + ".weight", shape: s,
                expected: "[\(outChannels.map(String.init) ?? "out"), \(inChannels), \(kernelHeight), \(kernelWidth)]")
        }
        let out = s[0]
        var stats: [[Float]] = []
        for part in ["weight", "bias", "running_mean", "running_var"] {
            let t = try tensor("\(bn).\(part)", expected: "the batch norm after \(name)")
            guard t.shape == [out] else {
                throw EvaluationError.badWeightShape(file: file, key: "\(prefix)\(bn).\(part)", shape: t.shape,
                                                     expected: "[\(out)] (\(name) has \(out) output channels)")
            }
            stats.append(t.values)
        }
        let (scale, shift) = foldBatchNorm(weight: stats[0], bias: stats[1], runningMean: stats[2], runningVar: stats[3],
                                           epsilon: batchNormEpsilon)
        let per = inChannels * kernelHeight * kernelWidth
        var weight = w.values
        for o in 0..<out { for i in 0..<per { weight[o * per + i] *= scale[o] } }
        return Convolution(outChannels: out, inChannels: inChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                           stride: stride, paddingHeight: paddingHeight, paddingWidth: paddingWidth, weight: weight, bias: shift)
    }

    func linear(_ name: String, inFeatures: Int, outFeatures: Int? = nil) throws -> ResNet50.Linear {
        let w = try tensor("\(name).weight", expected: "the linear layer \(name)")
        guard w.shape.count == 2, w.shape[0] > 0, w.shape[1] == inFeatures, outFeatures == nil || w.shape[0] == outFeatures! else {
            throw EvaluationError.badWeightShape(file: file, key: "\(prefix)\(name).weight", shape: w.shape,
                                                 expected: "[\(outFeatures.map(String.init) ?? "out"), \(inFeatures)]")
        }
        let b = try tensor("\(name).bias", expected: "the bias of \(name)")
        guard b.shape == [w.shape[0]] else {
            throw EvaluationError.badWeightShape(file: file, key: "\(prefix)\(name).bias", shape: b.shape, expected: "[\(w.shape[0])]")
        }
        return ResNet50.Linear(outFeatures: w.shape[0], inFeatures: inFeatures, weight: w.values, bias: b.values)
    }
}

extension StateDict {
    /// The same tensors with `module.` (the prefix of a `DataParallel` save) stripped from their names.
    func droppingDataParallelPrefix() -> StateDict {
        var sd = StateDict()
        for key in keys {
            let name = key.hasPrefix("module.") ? String(key.dropFirst("module.".count)) : key
            sd[name] = self[key]
        }
        return sd
    }
}
