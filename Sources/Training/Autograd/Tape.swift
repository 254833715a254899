import Dispatch
import Foundation
import Kernels

/// A trainable array of a network (a conv weight, a bias, a batch-norm scale), with its gradient.
/// Reference semantics: the networks, the tape's rules and the optimizer all update the same storage.
public final class Parameter {
    /// The state-dict name, e.g. `conv1_1.weight` or `model.0.bias`.
    public let name: String
    public let shape: [Int]
    public internal(set) var value: [Float]
    /// Accumulated by backward passes; zeroed by the optimizer's `zeroGradients`.
    public internal(set) var grad: [Float]
    /// A frozen parameter gets no gradient (the discriminators during the generator step; VGG always).
    var frozen = false

    init(name: String, shape: [Int], value: [Float]) {
        precondition(value.count == shape.reduce(1, *), "Parameter \(name): \(value.count) values for \(shape)")
        self.name = name; self.shape = shape; self.value = value
        self.grad = [Float](repeating: 0, count: value.count)
    }

    var count: Int { value.count }

    func zeroGradient() {
        grad.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Runs `body` with the gradient storage, for backward kernels that accumulate into it.
    func accumulateGradient(_ body: (UnsafeMutablePointer<Float>) -> Void) {
        grad.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}

/// A value recorded on a `Tape`.
struct Variable: Hashable {
    let id: Int
}

/// A reverse-mode autodiff tape over whole tensors (micrograd's idea at tensor granularity).
///
/// Each op computes its forward with the Kernels, stores the output, and records a rule that maps the output's
/// gradient to its inputs' gradients (accumulating parameter gradients on the way). `backward()` walks the records
/// in reverse creation order, which is a topological order. Rules are written next to their forwards in
/// `Tape+Ops.swift`, the one place that holds the derivative rules.
final class Tape {
    /// Returns the gradient of each input (nil where the input needs none), accumulating parameter gradients.
    typealias Rule = (_ outputGradient: Tensor) -> [Tensor?]

    private var values: [Tensor] = []
    private var needs: [Bool] = []
    private var inputs: [[Variable]] = []
    private var rules: [Rule?] = []
    private var grads: [Tensor?] = []

    /// Batch norms use batch statistics and update their running statistics while true.
    var training: Bool

    init(training: Bool = true) {
        self.training = training
        TapeProfile.shared?.reset()
    }

    /// The forward value of `v`.
    func value(_ v: Variable) -> Tensor { values[v.id] }

    /// Whether a gradient flows to `v` from the loss (it or something upstream is trainable).
    func needsGradient(_ v: Variable) -> Bool { needs[v.id] }

    /// A tensor that no gradient reaches (data, intensities, noise).
    func constant(_ t: Tensor) -> Variable {
        append(t, inputs: [], needs: false, rule: nil)
    }

    /// A tensor whose gradient the caller wants to read after `backward()` (tests, the generator's input).
    func leaf(_ t: Tensor) -> Variable {
        append(t, inputs: [], needs: true, rule: nil)
    }

    /// Records an op's output. The output needs a gradient when any input does or `parameters` holds an unfrozen one.
    func record(_ name: @autoclosure () -> String, _ output: Tensor, inputs: [Variable], parameters: [Parameter] = [],
                rule: @escaping Rule) -> Variable {
        let need = inputs.contains { needs[$0.id] } || parameters.contains { !$0.frozen }
        if let profile = TapeProfile.shared { profile.forward(name(), id: values.count) }
        return append(output, inputs: inputs, needs: need, rule: need ? rule : nil)
    }

    private func append(_ t: Tensor, inputs ins: [Variable], needs need: Bool, rule: Rule?) -> Variable {
        values.append(t); needs.append(need); inputs.append(ins); rules.append(rule); grads.append(nil)
        return Variable(id: values.count - 1)
    }

    /// Adds `g` to the gradient of `v` (the seed of a loss term, or a rule's result).
    func accumulate(_ v: Variable, _ g: Tensor) {
        guard needs[v.id] else { return }
        precondition(g.shape == values[v.id].shape, "Tape: gradient \(g.shape) for value \(values[v.id].shape)")
        if let existing = grads[v.id] { grads[v.id] = Kernels.add(existing, g) } else { grads[v.id] = g }
    }

    /// Propagates the accumulated gradients to every input and parameter. Intermediate values and gradients are
    /// released as the walk passes them; leaves keep their gradients for `gradient(of:)`.
    func backward() {
        for id in stride(from: values.count - 1, through: 0, by: -1) {
            guard let g = grads[id], let rule = rules[id] else { continue }
            let started = TapeProfile.shared?.now()
            let inputGrads = rule(g)
            if let started { TapeProfile.shared!.backward(id: id, since: started) }
            precondition(inputGrads.count == inputs[id].count, "Tape: a rule returned \(inputGrads.count) gradients")
            for (v, ig) in zip(inputs[id], inputGrads) { if let ig { accumulate(v, ig) } }
            grads[id] = nil
            rules[id] = nil
            values[id] = Tensor(shape: Shape(n: 0, c: 0, h: 0, w: 0))
        }
    }

    /// The gradient accumulated at `v` (a leaf, after `backward()`), or nil if none reached it.
    func gradient(of v: Variable) -> Tensor? { grads[v.id] }
}

/// Time per op kind, forward and backward, when the environment sets MONOPIX_PROFILE_TAPE=1 (for `monopix bench train
/// --profile`). The forward time of an op is the time since the previous record, which includes the loss code between.
final class TapeProfile: @unchecked Sendable {
    nonisolated(unsafe) static var shared: TapeProfile? =
        ProcessInfo.processInfo.environment["MONOPIX_PROFILE_TAPE"] == "1" ? TapeProfile() : nil

    /// Whether convolutions are told apart by shape (`--profile-layers`), not only by kernel size.
    var byLayerShape = false
    private(set) var table: [String: (forward: Double, backward: Double, count: Int)] = [:]
    private var names: [Int: String] = [:]
    private var last = DispatchTime.now().uptimeNanoseconds

    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func forward(_ name: String, id: Int) {
        let t = now()
        var e = table[name] ?? (0, 0, 0)
        e.forward += Double(t - last) / 1e9
        e.count += 1
        table[name] = e
        names[id] = name
        last = t
    }

    func backward(id: Int, since: UInt64) {
        let t = now()
        let name = names[id] ?? "?"
        table[name, default: (0, 0, 0)].backward += Double(t - since) / 1e9
        last = t
    }

    /// Forgets ids between tapes (ids restart at 0 on each tape) and restarts the forward clock.
    func reset() { names = [:]; last = now() }

    func report() -> String {
        table.sorted { $0.value.forward + $0.value.backward > $1.value.forward + $1.value.backward }.map {
            String(format: "  %-32@ fwd %7.3f s  bwd %7.3f s  (%d)", $0.key as NSString, $0.value.forward, $0.value.backward, $0.value.count)
        }.joined(separator: "\n")
    }
}

/// Per-op timing of the training tape, for `monopix bench train --profile`.
public enum TrainingProfiler {
    /// Starts collecting (also enabled by MONOPIX_PROFILE_TAPE=1).
    public static func enable(byLayerShape: Bool = false) {
        if TapeProfile.shared == nil { TapeProfile.shared = TapeProfile() }
        TapeProfile.shared!.byLayerShape = byLayerShape
    }
    /// Forward and backward seconds per op kind so far, most expensive first.
    public static func report() -> String { TapeProfile.shared?.report() ?? "(profiling off)" }
}
