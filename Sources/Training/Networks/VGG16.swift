import Foundation
import Kernels
import Model

/// The frozen VGG16 of the low-light and noise models' perceptual loss (reference: `networks.Vgg16`,
/// `vgg_preprocess`, `PerceptualLoss`): inputs turned to BGR in [0, 255] (no mean subtraction unless `vgg_mean`),
/// 3x3 convs with ReLU, max-pools after blocks 1–3 (block 3's unless `vgg_choose: no_maxpool`), none between blocks
/// 4 and 5 unless `vgg_maxpooling`; the chosen feature map instance-normalised (unless `no_vgg_instance`) on both
/// sides, then the mean squared difference.
///
/// Weights come from a PyTorch file of `Vgg16().state_dict()` (`conv1_1.weight`, …), as the reference's
/// `vgg16.weight`; `vgg_path` may name that file or the folder holding it.
final class VGG16 {
    enum Layer {
        case conv(ConvLayer, relu: Bool, name: String)
        case pool
    }

    let layers: [Layer]
    let subtractMean: Bool
    let instanceNormalize: Bool

    static let widths: [(String, Int, Int)] = [
        ("conv1_1", 3, 64), ("conv1_2", 64, 64), ("conv2_1", 64, 128), ("conv2_2", 128, 128),
        ("conv3_1", 128, 256), ("conv3_2", 256, 256), ("conv3_3", 256, 256),
        ("conv4_1", 256, 512), ("conv4_2", 512, 512), ("conv4_3", 512, 512),
        ("conv5_1", 512, 512), ("conv5_2", 512, 512), ("conv5_3", 512, 512),
    ]

    /// The layers up to the `choose` output (`relu5_1` in the low-light config; any unknown name means relu5_3, as the
    /// reference's fall-through does). `weights` maps `conv{b}_{i}` to (weight, bias); `scale` shrinks the widths for tests.
    init(weights: [String: (weight: [Float], bias: [Float])], choose: String, maxPoolBetween4And5: Bool,
         subtractMean: Bool, instanceNormalize: Bool, scale: Int = 1) throws {
        self.subtractMean = subtractMean
        self.instanceNormalize = instanceNormalize
        let output: (layer: String, relu: Bool)
        switch choose {
        case "conv4_3": output = ("conv4_3", false)
        case "relu4_1": output = ("conv4_1", true)
        case "relu4_2": output = ("conv4_2", true)
        case "relu4_3": output = ("conv4_3", true)
        case "conv5_3": output = ("conv5_3", false)
        case "relu5_1": output = ("conv5_1", true)
        case "relu5_2": output = ("conv5_2", true)
        default: output = ("conv5_3", true)
        }
        var layers: [Layer] = []
        for (name, inC, outC) in Self.widths {
            let inChannels = name == "conv1_1" ? 3 : inC / scale, outChannels = outC / scale
            if name == "conv2_1" || name == "conv3_1" { layers.append(.pool) }
            if name == "conv4_1" && choose != "no_maxpool" { layers.append(.pool) }
            if name == "conv5_1" && choose != "no_maxpool" && maxPoolBetween4And5 { layers.append(.pool) }
            guard let w = weights[name] else { throw TrainingError.vggWeights(path: "", reason: "missing \(name)") }
            let layer = ConvLayer(name: name, inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1,
                                  weight: w.weight, bias: w.bias)
            layer.weight.frozen = true; layer.bias.frozen = true
            let isOutput = name == output.layer
            layers.append(.conv(layer, relu: !isOutput || output.relu, name: name))
            if isOutput { break }
        }
        self.layers = layers
    }

    /// Reads `vgg16.weight` (or the file `path` names) with the checkpoint room's reader.
    convenience init(path: String, choose: String, maxPoolBetween4And5: Bool, subtractMean: Bool, instanceNormalize: Bool) throws {
        var url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("vgg16.weight")
        }
        let sd: StateDict
        do { sd = try StateDict.load(contentsOf: url) } catch {
            throw TrainingError.vggWeights(path: url.path, reason: "\(error)")
        }
        var weights: [String: (weight: [Float], bias: [Float])] = [:]
        for (name, inC, outC) in Self.widths {
            guard let w = sd["\(name).weight"], let b = sd["\(name).bias"] else { continue }
            guard w.shape == [outC, inC, 3, 3], b.shape == [outC] else {
                throw TrainingError.vggWeights(path: url.path, reason: "\(name).weight is \(w.shape), VGG16 has [\(outC), \(inC), 3, 3]")
            }
            weights[name] = (w.values, b.values)
        }
        do {
            try self.init(weights: weights, choose: choose, maxPoolBetween4And5: maxPoolBetween4And5,
                          subtractMean: subtractMean, instanceNormalize: instanceNormalize)
        } catch TrainingError.vggWeights(_, let reason) {
            throw TrainingError.vggWeights(path: url.path, reason: reason)
        }
    }

    static let bgrMean: [Float] = [103.939, 116.779, 123.680]

    /// The (normalised) features of images that need no gradient.
    func features(_ x: Tensor) -> Tensor {
        var v = preprocess(x)
        for layer in layers {
            switch layer {
            case .pool: v = Pooling.max(v)
            case let .conv(c, relu, _): v = c.convolution(v, epilogue: Epilogue(leakySlope: relu ? 0 : nil))
            }
        }
        return instanceNormalize ? instanceNormTraining(v).y : v
    }

    /// `vgg_preprocess`: RGB in [-1, 1] → BGR in [0, 255], minus the ImageNet mean with `vgg_mean`.
    private func preprocess(_ x: Tensor) -> Tensor {
        let s = x.shape
        var out = x
        for n in 0..<s.n {
            for c in 0..<3 {
                let from = (n * 3 + (2 - c)) * s.plane, to = (n * 3 + c) * s.plane
                let mean = subtractMean ? Self.bgrMean[c] : 0
                for i in 0..<s.plane { out.scalars[to + i] = (x.scalars[from + i] + 1) * 127.5 - mean }
            }
        }
        return out
    }

    /// Records the features of `x` (a variable that needs its gradient) on the tape.
    func features(_ tape: Tape, _ x: Variable) -> Variable {
        var v = tape.channelAffine(x, scale: 127.5, shift: 127.5, reverseChannels: true)
        if subtractMean { v = tape.subtractChannelMeans(v, Self.bgrMean) }
        for layer in layers {
            switch layer {
            case .pool: v = tape.pool(v, .max)
            case let .conv(c, relu, _): v = tape.conv(v, c, leakySlope: relu ? 0 : nil)
            }
        }
        return instanceNormalize ? tape.instanceNorm(v) : v
    }

    /// `PerceptualLoss.compute_vgg_loss(vgg, img, target)`: the MSE between the features of `image` (on the tape)
    /// and of `target` (data). Seeds the tape with `weight` times its gradient; returns the unweighted value.
    func loss(_ tape: Tape, image: Variable, target: Tensor, weight: Float) -> Float {
        let f = features(tape, image)
        let l = Losses.meanSquaredError(tape.value(f), features(target))
        tape.accumulate(f, l.scaled(weight).gradient)
        return l.value
    }
}
