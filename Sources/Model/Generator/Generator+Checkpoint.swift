import Kernels

extension Generator {
    /// The state-dict entries the reference's `Unet_resize_conv` has for these options, in its order.
    public static func expectedParameters(_ options: GeneratorOptions) -> [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        for c in GeneratorGraph(options: options).convolutions {
            out.append(("\(c.name).weight", [c.outChannels, c.inChannels, c.kernel, c.kernel]))
            out.append(("\(c.name).bias", [c.outChannels]))
            if let norm = c.norm, options.norm == .batch {
                for p in ["weight", "bias", "running_mean", "running_var"] { out.append(("\(norm).\(p)", [c.outChannels])) }
                out.append(("\(norm).num_batches_tracked", []))
            }
        }
        return out
    }

    /// The reference's key conventions: released checkpoints name norms `bn{k}_{j}` and DataParallel prefixes `module.`.
    public static func normalizedKey(_ key: String) -> String {
        var k = key
        if k.hasPrefix("module.") { k.removeFirst("module.".count) }
        if k.hasPrefix("bn"), let dot = k.firstIndex(of: "."),
           k[k.index(k.startIndex, offsetBy: 2)..<dot].allSatisfy({ $0.isNumber || $0 == "_" }) {
            k = "norm" + k.dropFirst(2)
        }
        return k
    }

    /// Builds the generator from a state dict, checking every name and shape against the options.
    public init(options: GeneratorOptions, stateDict: StateDict, source: String = "<state dict>") throws {
        var tensors: [String: StoredTensor] = [:]
        for key in stateDict.keys { tensors[Self.normalizedKey(key)] = stateDict[key] }
        let expected = Self.expectedParameters(options)
        var mismatch = CheckpointMismatch(file: source)
        for (name, shape) in expected {
            guard let t = tensors[name] else { mismatch.missing.append(name); continue }
            // A 0-d counter may be stored as [1] by some writers.
            let same = t.shape == shape || (shape.isEmpty && t.shape == [1])
            if !same { mismatch.shapes.append((name, expected: shape, found: t.shape)) }
        }
        let known = Set(expected.map(\.name))
        mismatch.unexpected = tensors.keys.filter { !known.contains($0) }.sorted()
        if !mismatch.isEmpty { throw mismatch }

        var convs: [String: Convolution] = [:]
        var norms: [String: (scale: [Float], shift: [Float])] = [:]
        for c in GeneratorGraph(options: options).convolutions {
            convs[c.name] = Convolution(outChannels: c.outChannels, inChannels: c.inChannels, kernel: c.kernel,
                                        padding: c.kernel / 2, weight: tensors["\(c.name).weight"]!.values,
                                        bias: tensors["\(c.name).bias"]!.values)
            if let n = c.norm, options.norm == .batch {
                norms[n] = foldBatchNorm(weight: tensors["\(n).weight"]!.values, bias: tensors["\(n).bias"]!.values,
                                         runningMean: tensors["\(n).running_mean"]!.values,
                                         runningVar: tensors["\(n).running_var"]!.values)
            }
        }
        self.init(options: options, convolutions: convs, foldedNorms: norms)
    }

    init(options: GeneratorOptions, convolutions: [String: Convolution], foldedNorms: [String: (scale: [Float], shift: [Float])]) {
        self.options = options
        self.graph = GeneratorGraph(options: options)
        self.convolutions = convolutions
        self.foldedNorms = foldedNorms
    }

    /// A generator with seeded random weights of a realistic scale (He-uniform), for benchmarks and tests.
    public static func random(options: GeneratorOptions, seed: UInt64 = 1) -> Generator {
        try! Generator(options: options, stateDict: randomStateDict(options: options, seed: seed))
    }

    /// The state dict behind `random(options:seed:)`, in the reference's names, so that the same weights can be
    /// written for another engine (the bench hands them to the peers).
    public static func randomStateDict(options: GeneratorOptions, seed: UInt64 = 1) -> StateDict {
        var rng = SplitMix64(seed: seed)
        var sd = StateDict()
        for (name, shape) in expectedParameters(options) {
            let count = shape.reduce(1, *)
            let fanIn = shape.count == 4 ? shape[1] * shape[2] * shape[3] : 1
            let bound = Float((6.0 / Double(fanIn)).squareRoot())
            let values: [Float]
            if name.hasSuffix("running_var") { values = (0..<count).map { _ in 0.5 + rng.unit() } }
            else if name.hasSuffix("num_batches_tracked") { values = [0] }
            else if name.hasSuffix(".weight") && shape.count == 1 { values = (0..<count).map { _ in 0.5 + rng.unit() } }
            else if shape.count == 4 { values = (0..<count).map { _ in (2 * rng.unit() - 1) * bound } }
            else { values = (0..<count).map { _ in (2 * rng.unit() - 1) * 0.1 } }
            sd[name] = StoredTensor(shape: shape, dtype: name.hasSuffix("num_batches_tracked") ? .int64 : .float32, values: values)
        }
        return sd
    }

    /// The number of parameters (weights and biases, and batch-norm affine parameters; buffers excluded).
    public static func parameterCount(_ options: GeneratorOptions) -> Int {
        expectedParameters(options)
            .filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") && !$0.name.hasSuffix("num_batches_tracked") }
            .reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}

/// A checkpoint that does not fit the model: every missing, unexpected and mis-shaped tensor, by name.
public struct CheckpointMismatch: Error, CustomStringConvertible {
    public let file: String
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var shapes: [(name: String, expected: [Int], found: [Int])] = []

    var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && shapes.isEmpty }

    public var description: String {
        var parts: [String] = []
        func list(_ names: [String]) -> String {
            names.prefix(6).joined(separator: ", ") + (names.count > 6 ? " and \(names.count - 6) more" : "")
        }
        if !shapes.isEmpty {
            parts.append("shape mismatch: " + shapes.prefix(4).map { "\($0.name) is \($0.found), the model wants \($0.expected)" }
                .joined(separator: "; ") + (shapes.count > 4 ? " and \(shapes.count - 4) more" : ""))
        }
        if !missing.isEmpty { parts.append("missing \(list(missing))") }
        if !unexpected.isEmpty { parts.append("unexpected \(list(unexpected))") }
        return "\(file): checkpoint does not fit the config's generator: " + parts.joined(separator: "; ")
    }
}

/// A small, fast, seedable generator (Vigna's SplitMix64) so random weights are the same on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
