import Foundation

/// PyTorch's `torch.optim.Adam` (no weight decay, no amsgrad), in its float32 arithmetic order:
/// `m = β1 m + (1-β1) g`, `v = β2 v + (1-β2) g²`, `p -= lr / (1-β1^t) * m / (sqrt(v) / sqrt(1-β2^t) + eps)`.
/// The reference builds it with `betas=(beta1, 0.9)`.
final class Adam {
    let parameters: [Parameter]
    /// Unique names for the state file (`G_A.conv1_1.weight`: one optimizer may hold several networks).
    let keys: [String]
    var learningRate: Float
    let beta1: Float, beta2: Float, epsilon: Float
    /// First and second moments, by parameter, in `parameters` order.
    private(set) var firstMoments: [[Float]]
    private(set) var secondMoments: [[Float]]
    /// Steps taken (PyTorch keeps one per parameter; all equal here).
    private(set) var step: Int = 0

    init(networks: [(name: String, parameters: [Parameter])], learningRate: Float, beta1: Float, beta2: Float = 0.9,
         epsilon: Float = 1e-8) {
        self.parameters = networks.flatMap(\.parameters)
        self.keys = networks.flatMap { n in n.parameters.map { "\(n.name).\($0.name)" } }
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoments = firstMoments
    }

    func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// `util.clip_gradient`: clamps every gradient element to [-limit, limit].
    func clipGradients(_ limit: Float) {
        for p in parameters {
            p.grad.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] = min(max(g[i], -limit), limit) } }
        }
    }

    /// One update of every parameter from its gradient.
    func update() {
        step += 1
        let t = Float(step)
        let bc1 = 1 - Foundation.pow(beta1, t)
        let bc2 = 1 - Foundation.pow(beta2, t)
        let stepSize = learningRate / bc1
        let bc2Root = bc2.squareRoot()
        let b1 = beta1, b2 = beta2, eps = epsilon
        for (k, p) in parameters.enumerated() {
            p.value.withUnsafeMutableBufferPointer { w in
                p.grad.withUnsafeBufferPointer { g in
                    firstMoments[k].withUnsafeMutableBufferPointer { m in
                        secondMoments[k].withUnsafeMutableBufferPointer { v in
                            for i in w.indices {
                                let gi = g[i]
                                // torch: exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
                                m[i] += (gi - m[i]) * (1 - b1)
                                v[i] = v[i] * b2 + (1 - b2) * gi * gi
                                let denom = v[i].squareRoot() / bc2Root + eps
                                w[i] -= stepSize * (m[i] / denom)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The optimizer's state for checkpoints: moments by parameter name, and the step count.
    func state(prefix: String) -> [(String, [Int], [Float])] {
        var out: [(String, [Int], [Float])] = []
        for (k, p) in parameters.enumerated() {
            out.append(("\(prefix).exp_avg.\(keys[k])", p.shape, firstMoments[k]))
            out.append(("\(prefix).exp_avg_sq.\(keys[k])", p.shape, secondMoments[k]))
        }
        return out
    }

    /// Restores moments written by `state(prefix:)`; returns the names it could not find.
    func restore(prefix: String, step: Int, lookup: (String) -> [Float]?) -> [String] {
        var missing: [String] = []
        for (k, p) in parameters.enumerated() {
            let a = "\(prefix).exp_avg.\(keys[k])", b = "\(prefix).exp_avg_sq.\(keys[k])"
            if let m = lookup(a), m.count == p.count { firstMoments[k] = m } else { missing.append(a) }
            if let v = lookup(b), v.count == p.count { secondMoments[k] = v } else { missing.append(b) }
        }
        self.step = step
        return missing
    }
}
