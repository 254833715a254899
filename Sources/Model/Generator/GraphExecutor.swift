import Kernels

/// Runs a generator's graph over whole tensors, handing each intermediate's storage to `ActivationPool` after its
/// last use (the next output of that size reuses it, in this frame or the next). A concatenation or an upsample read
/// only by convolutions is never made: they read its parts where they lie, or upsample as they go.
struct GraphExecutor {
    let generator: Generator
    /// Called after each node with its index and its output, for per-layer profiling.
    var observer: ((Int, Tensor) -> Void)? = nil
    /// Called before each convolution node with the call it is about to make, for per-layer algorithm studies.
    var convolutionObserver: ((ConvolutionCall) -> Void)? = nil
    /// The convolutions' GEMM precision (`.bf16` for preview frames).
    var precision: Precision = .f32

    /// `seeded` holds node values computed elsewhere (a trajectory's shared nodes); those nodes are not evaluated.
    func run(_ inputs: [GeneratorGraph.Input: Tensor], seeded: [Int: Tensor] = [:]) -> (output: Tensor, latent: Tensor) {
        let graph = generator.graph
        let deferred = graph.fusedIntoConvolutions.filter { seeded[$0] == nil }
        // The nodes whose values node i reads: a deferred node's readers read its inputs.
        func reads(_ i: Int) -> [Int] { graph.nodes[i].inputs.flatMap { deferred.contains($0) ? graph.nodes[$0].inputs : [$0] } }
        var lastUse = [Int](repeating: -1, count: graph.nodes.count)
        for i in graph.nodes.indices where !deferred.contains(i) { for j in reads(i) { lastUse[j] = i } }
        lastUse[graph.output] = Int.max
        lastUse[graph.latent] = Int.max

        var values = [Tensor?](repeating: nil, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() where !deferred.contains(i) {
            if let v = seeded[i] {
                values[i] = v
                continue
            }
            let read = reads(i)
            let fused = node.inputs.count == 1 && deferred.contains(node.inputs[0]) ? graph.nodes[node.inputs[0]].op : nil
            values[i] = evaluate(node.op, read.map { values[$0]! }, inputs, fused: fused)
            observer?(i, values[i]!)
            for j in read where lastUse[j] == i {
                guard let freed = values[j] else { continue }
                values[j] = nil
                // The inputs and seeded nodes belong to the caller: only what this run computed goes back.
                if graph.nodes[j].isInput { continue }
                if seeded[j] == nil { ActivationPool.recycle(freed.scalars) }
            }
        }
        return (values[graph.output]!, values[graph.latent]!)
    }

    /// One node's output from its inputs' values; with `fused` (a concatenation or an upsample), a convolution's
    /// `args` are what that node would have read, and the convolution makes its input from them as it goes.
    func evaluate(_ op: GeneratorGraph.Op, _ args: [Tensor], _ inputs: [GeneratorGraph.Input: Tensor],
                  fused: GeneratorGraph.Op? = nil) -> Tensor {
        switch op {
        case .input(let which):
            return inputs[which]!
        case .concat:
            return concatChannels(args)
        case let .conv(name, _, _, _, slope, norm):
            let input: ConvolutionInput
            switch fused {
            case .concat?: input = .concatenation(args)
            case .upsample?: input = .upsampled2x(args[0])
            default: input = .tensor(args[0])
            }
            if let convolutionObserver {
                let (conv, epilogue) = generator.convolution(name, leakySlope: slope, norm: norm)
                convolutionObserver(ConvolutionCall(name: name, convolution: conv, epilogue: epilogue, input: input.materialized))
            }
            return generator.convolve(input, name: name, leakySlope: slope, norm: norm, precision: precision)
        case .pool:
            return (generator.options.useAveragePooling ? Pooling.average : Pooling.max)(args[0])
        case .maxPool:
            return Pooling.max(args[0])
        case .upsample:
            return upsampleBilinear2x(args[0])
        case .multiplyByMap:
            return multiplyBroadcastingChannels(args[0], args[1])
        case .tanh:
            return Kernels.tanh(args[0])
        case .skip(let factor):
            return add(args[0], leadingChannels(args[1], 3), scaledBy: factor)
        }
    }
}

/// One convolution node's call: the layer, the epilogue fused into it and its input (an instance norm, when the
/// network has one, follows the call and is not part of it).
public struct ConvolutionCall: Sendable {
    public let name: String
    public let convolution: Convolution
    public let epilogue: Epilogue
    public let input: Tensor
}

extension Generator {
    /// The layer `name` and the epilogue its node fuses (bias, LeakyReLU and a folded batch norm).
    func convolution(_ name: String, leakySlope: Float?, norm: String?) -> (Convolution, Epilogue) {
        let conv = convolutions[name]!
        if let n = norm, options.norm == .batch {
            let folded = foldedNorms[n]!
            return (conv, Epilogue(leakySlope: leakySlope, scale: folded.scale, shift: folded.shift))
        }
        return (conv, Epilogue(leakySlope: leakySlope))
    }

    /// Runs the padded graph once and hands every convolution node's call to `body` before making it.
    public func traceConvolutions(_ image: Tensor, intensity: Intensity, noise: Tensor? = nil, _ body: @escaping (ConvolutionCall) -> Void) {
        let inputs = prepareInputs(image, intensity: intensity, noise: noise)
        _ = GraphExecutor(generator: self, convolutionObserver: body).run(inputs.values)
    }

    /// One conv node: the convolution, its activation and its norm, fused where the norm is an affine map.
    func convolve(_ x: Tensor, name: String, leakySlope: Float?, norm: String?, padding: Int? = nil,
                  precision: Precision = .f32) -> Tensor {
        convolve(.tensor(x), name: name, leakySlope: leakySlope, norm: norm, padding: padding, precision: precision)
    }

    /// `convolve` on an input the convolution makes as it reads it.
    func convolve(_ input: ConvolutionInput, name: String, leakySlope: Float?, norm: String?, padding: Int? = nil,
                  precision: Precision = .f32) -> Tensor {
        var conv = convolutions[name]!
        if let padding { conv = conv.withPadding(padding) }
        switch (norm, options.norm) {
        case (let n?, .batch):
            let folded = foldedNorms[n]!
            return conv(input, epilogue: Epilogue(leakySlope: leakySlope, scale: folded.scale, shift: folded.shift),
                        precision: precision)
        case (_?, .instance):
            return instanceNorm(conv(input, epilogue: Epilogue(leakySlope: leakySlope), precision: precision))
        case (nil, _), (_?, .identity):
            return conv(input, epilogue: Epilogue(leakySlope: leakySlope), precision: precision)
        }
    }
}
