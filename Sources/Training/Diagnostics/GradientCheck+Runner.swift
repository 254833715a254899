import Kernels
import Model

/// How a check's random inputs are drawn, to keep finite differences away from kinks.
enum InputKind {
    /// Uniform in [-1, 1].
    case smooth
    /// |x| in [0.1, 1] with a random sign (LeakyReLU's kink at 0).
    case awayFromZero
    /// A shuffled ladder with steps of 0.01 (max-pool windows never tie within ε).
    case distinct
    /// `target ± [0.1, 1]` (|x - target| has a corner at 0).
    case awayFrom(Tensor)
    /// Contrastive pairs: odd rows = even rows + margin ± [0.2, 0.5] (the clamp's corner stays far).
    case pairs(margin: Float)
}

/// Deterministic inputs for the checks.
struct TestValues {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * rng.unit() }

    mutating func tensor(_ shape: Shape, kind: InputKind) -> Tensor {
        var t = Tensor(shape: shape)
        switch kind {
        case .smooth:
            for i in 0..<shape.count { t.scalars[i] = uniform(-1, 1) }
        case .awayFromZero:
            for i in 0..<shape.count { t.scalars[i] = uniform(0.1, 1) * (rng.unit() < 0.5 ? -1 : 1) }
        case .distinct:
            var order = Array(0..<shape.count)
            order.shuffle(using: &rng)
            for i in 0..<shape.count { t.scalars[i] = Float(order[i] - shape.count / 2) * 0.01 }
        case .awayFrom(let target):
            for i in 0..<shape.count { t.scalars[i] = target.scalars[i] + uniform(0.1, 1) * (rng.unit() < 0.5 ? -1 : 1) }
        case .pairs(let margin):
            let row = shape.c * shape.plane
            for p in 0..<(shape.n / 2) {
                for i in 0..<row {
                    let lo = uniform(-1, 1)
                    t.scalars[2 * p * row + i] = lo
                    t.scalars[(2 * p + 1) * row + i] = lo + margin + uniform(0.2, 0.5) * (rng.unit() < 0.5 ? -1 : 1)
                }
            }
        }
        return t
    }
}

extension GradientCheck {
    /// Up to `samples` coordinates of a tensor of `count` elements, spread evenly.
    static func coordinates(_ count: Int, _ samples: Int) -> [Int] {
        if count <= samples { return Array(0..<count) }
        return (0..<samples).map { $0 * count / samples + ($0 * 7) % max(1, count / samples) }
    }

    /// Compares analytic and numeric partials of `L = Σ r ⊙ forward(...)` for inputs and parameters.
    ///
    /// Whole networks pass `otherEpsilons`: a step that crosses one of their many LeakyReLU kinks spoils a quotient,
    /// more often for larger steps, while small steps lose digits to float32 rounding; each partial is compared with
    /// the closest of the quotients (a wrong rule is wrong at both). A tensor's error is relative to its largest
    /// partial, floored at 1% of the case's largest, so that biases feeding a norm (true gradient 0) compare noise
    /// against a meaningful scale.
    static func checkOp(_ name: String, inputs shapes: [Shape], kind: InputKind, epsilon: Float, otherEpsilons: [Float] = [],
                        samples: Int,
                        build: (inout ParameterInitializer) -> [Parameter],
                        forward: (Tape, [Variable], [Parameter]) -> Variable) -> Result {
        var initializer = ParameterInitializer(seed: 7)
        let params = build(&initializer)
        var values = TestValues(seed: 11)
        var inputs = shapes.map { values.tensor($0, kind: kind) }
        var weights: Tensor? = nil

        func loss(_ xs: [Tensor]) -> Double {
            let tape = Tape()
            let y = tape.value(forward(tape, xs.map(tape.constant), params))
            return zip(y.scalars, weights!.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        // Analytic.
        for p in params { p.zeroGradient() }
        let tape = Tape()
        let leaves = inputs.map(tape.leaf)
        let out = forward(tape, leaves, params)
        weights = values.tensor(tape.value(out).shape, kind: .smooth)
        tape.accumulate(out, weights!)
        tape.backward()
        let inputGrads = leaves.map { tape.gradient(of: $0) ?? Tensor(shape: tape.value($0).shape) }

        var rows: [(label: String, analytic: [Float], numeric: [[Double]])] = []
        func quotients(_ set: (Float) -> Void, _ at: Float) -> [Double] {
            ([epsilon] + otherEpsilons).map { eps in
                set(at + eps); let up = loss(inputs)
                set(at - eps); let down = loss(inputs)
                set(at)
                return (up - down) / (2 * Double(eps))
            }
        }
        for k in inputs.indices {
            let idx = coordinates(inputs[k].shape.count, samples)
            let numeric = idx.map { i in quotients({ inputs[k].scalars[i] = $0 }, inputs[k].scalars[i]) }
            rows.append(("input \(k)", idx.map { inputGrads[k].scalars[$0] }, numeric))
        }
        for p in params {
            let analytic = p.grad
            let idx = coordinates(p.count, samples)
            let numeric = idx.map { i in quotients({ p.value[i] = $0 }, p.value[i]) }
            rows.append((p.name, idx.map { analytic[$0] }, numeric))
        }
        let caseScale = rows.flatMap { $0.numeric.map { abs($0[0]) } }.max() ?? 0
        var worst = 0.0, checked = 0
        var details: [(label: String, relativeError: Double, scale: Double)] = []
        for row in rows {
            let tensorScale = row.numeric.map { abs($0[0]) }.max() ?? 0
            let scale = max(1e-6, tensorScale, 1e-2 * caseScale)
            var err = 0.0
            for (a, ns) in zip(row.analytic, row.numeric) {
                err = max(err, ns.map { abs(Double(a) - $0) }.min()! / scale)
            }
            details.append((row.label, err, tensorScale))
            worst = max(worst, err)
            checked += row.numeric.count
        }
        var result = Result(name: name, relativeError: worst, coordinates: checked)
        result.tensors = details
        return result
    }

    /// Compares a loss's returned gradient with the numeric derivative of its value.
    static func checkLoss(_ name: String, shape: Shape, kind: InputKind, samples: Int, _ f: (Tensor) -> LossValue) -> Result {
        var values = TestValues(seed: 5)
        var x = values.tensor(shape, kind: kind)
        let analytic = f(x).gradient
        let epsilon: Float = 1e-3
        let idx = coordinates(shape.count, max(samples, 36))
        var numeric: [Double] = []
        for i in idx {
            let v = x.scalars[i]
            x.scalars[i] = v + epsilon; let up = Double(f(x).value)
            x.scalars[i] = v - epsilon; let down = Double(f(x).value)
            x.scalars[i] = v
            numeric.append((up - down) / (2 * Double(epsilon)))
        }
        let scale = max(1e-6, numeric.map(abs).max() ?? 0)
        let worst = zip(idx, numeric).map { abs(Double(analytic.scalars[$0]) - $1) / scale }.max() ?? 0
        return Result(name: name, relativeError: worst, coordinates: idx.count)
    }

    /// Re-draws every conv weight He-normal so that signals neither vanish nor explode through a deep check.
    static func heInitialize(_ parameters: [Parameter], seed: UInt64) {
        var initializer = ParameterInitializer(seed: seed)
        for p in parameters where p.shape.count == 4 {
            let fanIn = p.shape[1] * p.shape[2] * p.shape[3]
            p.value = initializer.normal(count: p.count, mean: 0, std: (2 / Float(fanIn)).squareRoot())
        }
    }

    /// The whole generator executor (every node kind of GeneratorGraph) against finite differences.
    static func checkGenerator(_ options: GeneratorOptions, samples: Int) -> Result {
        var initializer = ParameterInitializer(seed: 3)
        let g = TrainableGenerator(options: options, initializer: &initializer)
        heInitialize(g.parameters, seed: 4)
        let chosen = g.parameters.filter { p in
            ["conv1_1.weight", "conv1_1.bias", "LReLU1_1.1.weight", "norm2_1.weight", "norm2_1.bias", "conv3_2.weight",
             "conv5_2.weight", "deconv5.weight", "deconv8.bias", "conv9_1.weight", "conv10.weight", "conv10.bias"].contains(p.name)
        }
        return checkOp("generator", inputs: [Shape(n: 2, c: 3, h: 14, w: 18)], kind: .smooth, epsilon: 1e-3, otherEpsilons: [2.5e-4, 1e-4], samples: samples / 3,
                       build: { _ in chosen }, forward: { tape, v, _ in
                           g.forward(tape, image: v[0], intensity: .levels([0.3, 0.8])).output
                       }).renamed("generator (\(options.norm.rawValue)\(options.selfAttention ? ", attention" : "")\(options.transcode ? ", transcode" : ""))")
    }

    /// The perceptual loss's VGG16 (ReLU, max-pools, BGR preprocessing, instance norm) at 1/16 of its widths.
    static func checkVGG(samples: Int) -> Result {
        var initializer = ParameterInitializer(seed: 21)
        var weights: [String: (weight: [Float], bias: [Float])] = [:]
        for (name, inC, outC) in VGG16.widths {
            let i = name == "conv1_1" ? 3 : inC / 16, o = outC / 16
            weights[name] = (initializer.normal(count: o * i * 9, mean: 0, std: (2 / Float(i * 9)).squareRoot()),
                             initializer.normal(count: o, mean: 0.05, std: 0.05))
        }
        guard let vgg = try? VGG16(weights: weights, choose: "relu5_1", maxPoolBetween4And5: false, subtractMean: true,
                                   instanceNormalize: true, scale: 16) else {
            return Result(name: "VGG16 features (widths / 16)", relativeError: .infinity, coordinates: 0)
        }
        return checkOp("VGG16", inputs: [Shape(n: 2, c: 3, h: 16, w: 16)], kind: .smooth, epsilon: 1e-3,
                       otherEpsilons: [2.5e-4, 1e-4], samples: samples, build: { _ in [] },
                       forward: { tape, v, _ in vgg.features(tape, v[0]) }).renamed("VGG16 features (widths / 16)")
    }

    static func checkDiscriminator(_ norm: NormKind, samples: Int) -> Result {
        var initializer = ParameterInitializer(seed: 8)
        let d = Discriminator(baseWidth: 2, layerCount: 3, norm: norm, initializer: &initializer)
        heInitialize(d.parameters, seed: 9)
        return checkOp("discriminator", inputs: [Shape(n: 2, c: 3, h: 20, w: 20)], kind: .smooth, epsilon: 1e-3, otherEpsilons: [2.5e-4, 1e-4], samples: samples / 2,
                       build: { _ in d.parameters }, forward: { tape, v, _ in d.forward(tape, v[0]) })
            .renamed("discriminator (\(norm.rawValue))")
    }
}

extension GradientCheck.Result {
    func renamed(_ name: String) -> GradientCheck.Result {
        var r = GradientCheck.Result(name: name, relativeError: relativeError, coordinates: coordinates)
        r.tensors = tensors
        r.isNetwork = true
        return r
    }
}
