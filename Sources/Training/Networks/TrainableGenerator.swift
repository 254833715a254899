import Kernels
import Model

/// The MonoPix generator (`Unet_resize_conv`) with trainable parameters: the training executor of `GeneratorGraph`.
/// The network is not restated here; `forward` walks the graph's nodes and records each on a tape.
final class TrainableGenerator: TrainableNetwork {
    let options: GeneratorOptions
    let graph: GeneratorGraph
    /// Convolutions by graph name (`conv1_1`, `LReLU1_1.1`, `deconv5`, …).
    let convolutions: [String: ConvLayer]
    /// Batch norms by name (`norm1_1`, …); empty unless `options.norm == .batch`.
    let norms: [String: BatchNormLayer]
    let parameters: [Parameter]
    let batchNorms: [BatchNormLayer]
    let stateDictOrder: [String]

    /// A generator initialised as the reference does (see `ParameterInitializer`).
    init(options: GeneratorOptions, initializer: inout ParameterInitializer) {
        self.options = options
        self.graph = GeneratorGraph(options: options)
        var convs: [String: ConvLayer] = [:], norms: [String: BatchNormLayer] = [:]
        var params: [Parameter] = [], bns: [BatchNormLayer] = []
        for c in graph.convolutions {
            let layer = initializer.convolution(name: c.name, inChannels: c.inChannels, outChannels: c.outChannels,
                                                kernel: c.kernel, padding: c.kernel / 2)
            convs[c.name] = layer
            params += layer.parameters
            if let n = c.norm, options.norm == .batch {
                let bn = initializer.batchNorm(name: n, channels: c.outChannels)
                norms[n] = bn
                bns.append(bn)
                params += bn.parameters
            }
        }
        self.convolutions = convs
        self.norms = norms
        self.parameters = params
        self.batchNorms = bns
        self.stateDictOrder = Generator.expectedParameters(options).map(\.name)
    }

    /// A generator with the weights of a checkpoint (released names such as `bn1_1` and `module.` accepted).
    convenience init(options: GeneratorOptions, stateDict: StateDict, source: String) throws {
        var initializer = ParameterInitializer(seed: 0)
        self.init(options: options, initializer: &initializer)
        try check(stateDict, source: source, normalizedKey: Generator.normalizedKey)
        load(stateDict, normalizedKey: Generator.normalizedKey)
    }

    /// The eval-mode generator of the inference engine, with the current weights.
    func evaluationGenerator() throws -> Generator {
        try Generator(options: options, stateDict: stateDict(), source: "<training>")
    }

    /// The intensity input of one forward: a level per sample, or per-pixel maps [N, 1, H, W].
    enum Intensity {
        case levels([Float])
        case map(Tensor)
    }

    /// Records the generator on `tape` for images [N, 3, H, W] in [-1, 1]; returns the output and the latent,
    /// cropped back to H x W. As in the reference, the input is reflect-padded to multiples of 16, the intensity is
    /// broadcast at the padded size, and the gray attention is computed from the (padded) image.
    func forward(_ tape: Tape, image: Variable, intensity: Intensity, noise: Tensor? = nil) -> (output: Variable, latent: Variable) {
        let s = tape.value(image).shape
        let padding = Insets.toMultiple(of: 16, height: s.h, width: s.w)
        let padded = tape.reflectionPad(image, padding)
        let ps = tape.value(padded).shape
        var values = [Variable?](repeating: nil, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() {
            let args = node.inputs.map { values[$0]! }
            switch node.op {
            case .input(.image):
                values[i] = padded
            case .input(.intensity):
                switch intensity {
                case .levels(let levels):
                    precondition(levels.count == s.n, "TrainableGenerator: \(levels.count) levels for \(s.n) images")
                    var t = Tensor(shape: Shape(n: s.n, c: 1, h: ps.h, w: ps.w))
                    for n in 0..<s.n { for j in 0..<ps.plane { t.scalars[n * ps.plane + j] = levels[n] } }
                    values[i] = tape.constant(t)
                case .map(let m):
                    values[i] = tape.constant(Kernels.reflectionPad(m, padding))
                }
            case .input(.noise):
                let want = Shape(n: s.n, c: 1, h: ps.h, w: ps.w)
                let n = noise ?? Tensor(shape: want)
                precondition(n.shape == want, "TrainableGenerator: noise \(n.shape), expected \(want)")
                values[i] = tape.constant(n)
            case .input(.gray):
                values[i] = tape.attentionMap(padded)
            case .concat:
                values[i] = tape.concat(args)
            case let .conv(name, _, _, _, slope, norm):
                let y = tape.conv(args[0], convolutions[name]!, leakySlope: slope)
                switch (norm, options.norm) {
                case (let n?, .batch): values[i] = tape.batchNorm(y, norms[n]!)
                case (_?, .instance): values[i] = tape.instanceNorm(y)
                case (nil, _), (_?, .identity): values[i] = y
                }
            case .pool:
                values[i] = tape.pool(args[0], options.useAveragePooling ? .average : .max)
            case .maxPool:
                values[i] = tape.pool(args[0], .max)
            case .upsample:
                values[i] = tape.upsample(args[0])
            case .multiplyByMap:
                values[i] = tape.multiplyByMap(args[0], args[1])
            case .tanh:
                values[i] = tape.tanh(args[0])
            case .skip(let factor):
                values[i] = tape.skip(args[0], args[1], factor: factor)
            }
        }
        return (tape.crop(values[graph.output]!, padding), tape.crop(values[graph.latent]!, padding))
    }
}
