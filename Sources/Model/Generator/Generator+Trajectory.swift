import Kernels

extension Generator {
    /// One image [1, 3, H, W] at several levels, with the work that does not depend on the level done once: the
    /// padded inputs, the attention pyramid and, since the first convolution is linear in its input, its response to
    /// everything but the intensity channel (`A`) and to a unit intensity (`B`): each level's first layer is then
    /// `epilogue(A + level * B)`, and only the rest of the network runs per level (one frame at a time, on the fastest
    /// kernels). Returns the outputs [1, 3, H, W], cropped.
    public func trajectory(_ image: Tensor, levels: [Float], noise: Tensor? = nil, gray: Tensor? = nil) -> [Tensor] {
        precondition(image.shape.n == 1, "trajectory: one image at a time")
        guard options.relativeControl,
              let first = graph.nodes.firstIndex(where: { if case .conv = $0.op { return true }; return false }),
              case let .conv(name, _, _, _, slope, norm) = graph.nodes[first].op else {
            return levels.map { self(image, intensity: .levels([$0]), noise: noise, gray: gray).output }
        }
        let prepared = prepareInputs(image, intensity: .levels([0]), noise: noise, gray: gray)
        let executor = GraphExecutor(generator: self)
        var shared: [Int: Tensor] = [:]
        for i in 0..<first {
            let node = graph.nodes[i]
            shared[i] = executor.evaluate(node.op, node.inputs.map { shared[$0]! }, prepared.values)
        }
        let input = shared[graph.nodes[first].inputs[0]]!
        let (conv, epilogue) = convolution(name, leakySlope: slope, norm: norm)
        let linear = Convolution(outChannels: conv.outChannels, inChannels: conv.inChannels, kernel: conv.kernel,
                                 stride: conv.stride, padding: conv.padding, weight: conv.weight,
                                 bias: [Float](repeating: 0, count: conv.outChannels))
        // The intensity is channel 3 of the first layer's input (after RGB); the prepared inputs hold level 0 there.
        var unit = Tensor(shape: input.shape)
        let plane = input.shape.plane
        for i in 0..<plane { unit.scalars[3 * plane + i] = 1 }
        let a = linear(input), b = linear(unit)
        return levels.map { level in
            var first0 = conv.finish(add(a, b, scaledBy: level), epilogue: epilogue)
            if norm != nil, options.norm == .instance { first0 = instanceNorm(first0) }
            var seeded = shared
            seeded[first] = first0
            return crop(executor.run(prepared.values, seeded: seeded).output, prepared.padding)
        }
    }
}
