import Kernels
import Model

/// The PatchGAN discriminator (`NLayerDiscriminator`, `which_model_netD: basic`; method.md §4) as a Sequential:
/// 4x4 convs with padding 2, LeakyReLU(0.2), and `Dnorm` after every conv but the first and the last.
///
/// Layer indices follow the reference's `nn.Sequential` so that state-dict keys are `model.0.weight`, `model.2.bias`,
/// `model.3.running_mean` (batch norm), …, and `saveD` checkpoints load in PyTorch.
/// Reference: lukun199/MonoPix `models/networks.py`, class `NLayerDiscriminator`.
final class Discriminator: TrainableNetwork {
    enum Layer {
        case conv(ConvLayer)
        case norm(index: Int, BatchNormLayer?)
        case leakyReLU
    }

    let layers: [Layer]
    let norm: NormKind
    let parameters: [Parameter]
    let batchNorms: [BatchNormLayer]
    let stateDictOrder: [String]

    /// `baseWidth` is the reference's ndf (64) already scaled by `ngf_mult`.
    init(inputChannels: Int = 3, baseWidth: Int, layerCount: Int, norm: NormKind, initializer: inout ParameterInitializer) {
        self.norm = norm
        var layers: [Layer] = []
        var index = 0
        func conv(_ inC: Int, _ outC: Int, stride: Int) {
            layers.append(.conv(initializer.convolution(name: "model.\(index)", inChannels: inC, outChannels: outC,
                                                        kernel: 4, stride: stride, padding: 2)))
            index += 1
        }
        func normalization(_ channels: Int) {
            let bn = norm == .batch ? initializer.batchNorm(name: "model.\(index)", channels: channels) : nil
            layers.append(.norm(index: index, bn))
            index += 1
        }
        func activation() { layers.append(.leakyReLU); index += 1 }

        conv(inputChannels, baseWidth, stride: 2)
        activation()
        var mult = 1
        for n in 1..<max(1, layerCount) {
            let prev = mult
            mult = min(1 << n, 8)
            conv(baseWidth * prev, baseWidth * mult, stride: 2)
            normalization(baseWidth * mult)
            activation()
        }
        let prev = mult
        mult = min(1 << layerCount, 8)
        conv(baseWidth * prev, baseWidth * mult, stride: 1)
        normalization(baseWidth * mult)
        activation()
        conv(baseWidth * mult, 1, stride: 1)
        self.layers = layers

        var params: [Parameter] = [], bns: [BatchNormLayer] = [], order: [String] = []
        for layer in layers {
            switch layer {
            case .conv(let c):
                params += c.parameters
                order += [c.weight.name, c.bias.name]
            case .norm(_, let bn?):
                params += bn.parameters
                bns.append(bn)
                order += ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map { "\(bn.name).\($0)" }
            case .norm(_, nil), .leakyReLU:
                break
            }
        }
        self.parameters = params
        self.batchNorms = bns
        self.stateDictOrder = order
    }

    /// Records the patch scores [N, 1, h', w'] of images [N, 3, H, W]. A conv directly followed by the activation
    /// (the first one, and any with `Identity` norm) has the LeakyReLU fused into its epilogue.
    func forward(_ tape: Tape, _ x: Variable) -> Variable {
        var v = x
        var i = 0
        while i < layers.count {
            switch layers[i] {
            case .conv(let c):
                let fuse = i + 1 < layers.count && isActivation(at: i + 1) ||
                    (i + 2 < layers.count && norm == .identity && isNorm(at: i + 1) && isActivation(at: i + 2))
                if fuse {
                    v = tape.conv(v, c, leakySlope: 0.2)
                    i += isActivation(at: i + 1) ? 2 : 3
                    continue
                }
                v = tape.conv(v, c)
            case .norm(_, let bn):
                switch norm {
                case .batch: v = tape.batchNorm(v, bn!)
                case .instance: v = tape.instanceNorm(v)
                case .identity: break
                }
            case .leakyReLU:
                v = tape.leakyReLU(v, slope: 0.2)
            }
            i += 1
        }
        return v
    }

    /// Whether an image's scores depend on that image alone (no batch norm), so that several batches may be scored
    /// in one pass: the same scores, with one call per layer instead of one per batch.
    var scoresEachSampleAlone: Bool { norm != .batch }

    /// The scores of each of `inputs` (batches of one image size): one pass over all of them where samples are
    /// independent, else (batch norm: its statistics are a batch's own) one pass each, as the reference runs them.
    func forward(_ tape: Tape, each inputs: [Variable]) -> [Variable] {
        guard scoresEachSampleAlone && inputs.count > 1 else { return inputs.map { forward(tape, $0) } }
        let all = forward(tape, tape.concatBatch(inputs))
        var first = 0
        return inputs.map { x in
            let n = tape.value(x).shape.n
            defer { first += n }
            return tape.rows(all, first..<(first + n))
        }
    }

    private func isActivation(at i: Int) -> Bool { if case .leakyReLU = layers[i] { return true }; return false }
    private func isNorm(at i: Int) -> Bool { if case .norm = layers[i] { return true }; return false }
}
