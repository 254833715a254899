/// The generator's computation, described once as a list of nodes in execution order. Executors (the full
/// forward, the incremental engine, the training tape) walk this list; none of them restates the network.
///
/// Reference: lukun199/MonoPix `models/networks.py`, class `Unet_resize_conv`, method `forward`.
public struct GeneratorGraph: Sendable {
    public typealias NodeID = Int

    public enum Input: Sendable, Hashable {
        /// The padded RGB image in [-1, 1].
        case image
        /// The padded intensity channel (a broadcast scalar or a reflect-padded map).
        case intensity
        /// The padded noise channel.
        case noise
        /// The padded gray attention map.
        case gray
    }

    public enum Op: Sendable {
        case input(Input)
        case concat
        /// A convolution whose parameters live under `name` (`name.weight`, `name.bias`), optionally followed by
        /// LeakyReLU(`leakySlope`) and the norm layer `norm` (named in the state dict when it has parameters).
        case conv(name: String, inChannels: Int, outChannels: Int, kernel: Int, leakySlope: Float?, norm: String?)
        case pool
        /// The attention pyramid is max-pooled whatever `use_avgpool` says.
        case maxPool
        case upsample
        /// inputs[0] times the one-channel inputs[1].
        case multiplyByMap
        case tanh
        /// `inputs[0] + skip * inputs[1]` (the latent plus the image).
        case skip(Float)
    }

    public struct Node: Sendable {
        public let op: Op
        public let inputs: [NodeID]

        /// A graph input (image, intensity, noise, gray): its value is the caller's, never an executor's to reuse.
        public var isInput: Bool {
            if case .input = op { return true }
            return false
        }
    }

    public private(set) var nodes: [Node] = []
    /// The node whose value is the (padded) output, and the latent before the skip.
    public private(set) var output: NodeID = 0
    public private(set) var latent: NodeID = 0

    /// Each conv node's output channels and norm, for building weights and checking checkpoints.
    public var convolutions: [(name: String, inChannels: Int, outChannels: Int, kernel: Int, norm: String?)] {
        nodes.compactMap {
            if case let .conv(name, i, o, k, _, norm) = $0.op { return (name, i, o, k, norm) }
            return nil
        }
    }

    /// The concatenations and upsamples whose every reader is a convolution (and which are neither output nor
    /// latent): executors that run whole tensors hand the convolutions the parts, or the tensor to upsample,
    /// instead of making them (`ConvolutionInput`).
    public var fusedIntoConvolutions: Set<NodeID> {
        var readers = [[NodeID]](repeating: [], count: nodes.count)
        for (i, node) in nodes.enumerated() { for j in node.inputs { readers[j].append(i) } }
        return Set(nodes.indices.filter { i in
            switch nodes[i].op {
            case .concat, .upsample: break
            default: return false
            }
            guard i != output, i != latent, !readers[i].isEmpty else { return false }
            return readers[i].allSatisfy { r in
                if case .conv = nodes[r].op { return true }
                return false
            }
        })
    }

    @discardableResult
    private mutating func add(_ op: Op, _ inputs: NodeID...) -> NodeID { add(op, inputs: inputs) }

    private mutating func add(_ op: Op, inputs: [NodeID]) -> NodeID {
        nodes.append(Node(op: op, inputs: inputs))
        return nodes.count - 1
    }

    public init(options o: GeneratorOptions) {
        let w = o.widths
        let slope: Float = 0.2
        let image = add(.input(.image))
        var parts = [image]
        if o.relativeControl { parts.append(add(.input(.intensity))) }
        if o.useNoise { parts.append(add(.input(.noise))) }
        var grays: [NodeID] = []
        if o.selfAttention {
            let gray = add(.input(.gray))
            parts.append(gray)
            grays = [gray]
            for _ in 0..<4 { grays.append(add(.maxPool, grays.last!)) }
        }
        var x = parts.count == 1 ? image : add(.concat, inputs: parts)

        // Encoder. Level 1's first block may be the transcode sequence LReLU → 1x1 conv → LReLU.
        var skips: [NodeID] = []
        for level in 1...5 {
            let width = w[level - 1]
            let inC = level == 1 ? o.inputChannels : w[level - 2]
            if level > 1 { x = add(.pool, x) }
            if level == 1 && o.transcode {
                x = add(.conv(name: "conv1_1", inChannels: inC, outChannels: width, kernel: 3, leakySlope: slope, norm: nil), x)
                x = add(.conv(name: "LReLU1_1.1", inChannels: width, outChannels: width, kernel: 1, leakySlope: slope, norm: "norm1_1"), x)
            } else {
                x = add(.conv(name: "conv\(level)_1", inChannels: inC, outChannels: width, kernel: 3, leakySlope: slope, norm: "norm\(level)_1"), x)
            }
            if level == 5 && o.selfAttention { x = add(.multiplyByMap, x, grays[4]) }
            x = add(.conv(name: "conv\(level)_2", inChannels: width, outChannels: width, kernel: 3, leakySlope: slope, norm: "norm\(level)_2"), x)
            if level < 5 { skips.append(x) }
        }

        // Decoder: upsample, a 3x3 "deconv", concat with the (attended) skip, two convs.
        for level in 6...9 {
            let width = w[9 - level]
            let skipLevel = 9 - level  // 3, 2, 1, 0 → conv4 … conv1
            x = add(.upsample, x)
            let deconv = add(.conv(name: "deconv\(level - 1)", inChannels: w[10 - level], outChannels: width, kernel: 3, leakySlope: nil, norm: nil), x)
            var skip = skips[skipLevel]
            if o.selfAttention { skip = add(.multiplyByMap, skip, grays[skipLevel]) }
            x = add(.concat, deconv, skip)
            x = add(.conv(name: "conv\(level)_1", inChannels: 2 * width, outChannels: width, kernel: 3, leakySlope: slope, norm: "norm\(level)_1"), x)
            x = add(.conv(name: "conv\(level)_2", inChannels: width, outChannels: width, kernel: 3, leakySlope: slope, norm: level == 9 ? nil : "norm\(level)_2"), x)
        }

        var latent = add(.conv(name: "conv10", inChannels: w[0], outChannels: 3, kernel: 1, leakySlope: nil, norm: nil), x)
        if o.timesResidual && o.selfAttention { latent = add(.multiplyByMap, latent, grays[0]) }
        if o.tanhLatent { latent = add(.tanh, latent) }
        self.latent = latent
        var out = o.skip != 0 ? add(.skip(o.skip), latent, image) : latent
        if o.tanhOutput { out = add(.tanh, out) }
        self.output = out
    }
}

extension GeneratorGraph {
    /// A short label for node `index`, for profiles and error messages.
    public func describe(_ index: NodeID) -> String {
        switch nodes[index].op {
        case .input(let i): return "input \(i)"
        case .concat: return "concat"
        case let .conv(name, i, o, k, _, norm): return "\(name) \(k)x\(k) \(i)->\(o)" + (norm.map { " +\($0)" } ?? "")
        case .pool: return "pool"
        case .maxPool: return "maxpool (attention)"
        case .upsample: return "upsample x2"
        case .multiplyByMap: return "x attention"
        case .tanh: return "tanh"
        case .skip: return "skip"
        }
    }
}
