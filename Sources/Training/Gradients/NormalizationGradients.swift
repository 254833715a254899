import CElementwise
import Kernels

/// Per-group statistics of a normalisation in training mode: `x̂ = (x - mean) * invStd`.
/// Batch norm has one group per channel (over N, H, W); instance norm one per (sample, channel) plane.
struct NormStatistics: Sendable {
    var mean: [Float]
    var invStd: [Float]
    /// The biased variance (what normalises); batch norm's running variance uses the unbiased one.
    var variance: [Float]
}

/// Batch norm in training mode (PyTorch's BatchNorm2d, `train()`): batch statistics over N, H, W per channel,
/// biased variance, `y = x̂ * gamma + beta`. Statistics are summed in double over float blocks (`mpx_plane_sum`).
func batchNormTraining(_ x: Tensor, gamma: [Float], beta: [Float], epsilon: Float = 1e-5) -> (y: Tensor, stats: NormStatistics) {
    let s = x.shape
    var mean = [Float](repeating: 0, count: s.c), invStd = mean, variance = mean
    let count = Double(s.n * s.plane)
    let y = Tensor(uninitializedShape: s) { dst in
        x.scalars.withUnsafeBufferPointer { b in
            mean.withUnsafeMutableBufferPointer { meanOut in invStd.withUnsafeMutableBufferPointer { invOut in
                variance.withUnsafeMutableBufferPointer { varOut in
                    // Channels are independent: shared over the workers, each channel's sums in one fixed order.
                    ThreadPolicy.chunks(s.c, elements: 3 * s.count) { channels in
                        for c in channels {
                            func plane(_ n: Int) -> Int { (n * s.c + c) * s.plane }
                            var sum = 0.0
                            for n in 0..<s.n { sum += mpx_plane_sum(b.baseAddress! + plane(n), s.plane, 0, 0) }
                            let m = Float(sum / count)
                            var sq = 0.0
                            for n in 0..<s.n { sq += mpx_plane_sum(b.baseAddress! + plane(n), s.plane, m, 1) }
                            let v = sq / count
                            let inv = Float(1 / (v + Double(epsilon)).squareRoot())
                            meanOut[c] = m; varOut[c] = Float(v); invOut[c] = inv
                            let scale = inv * gamma[c], shift = beta[c]
                            for n in 0..<s.n {
                                let src = b.baseAddress! + plane(n), out = dst.baseAddress! + plane(n)
                                for i in 0..<s.plane { out[i] = (src[i] - m) * scale + shift }
                            }
                        }
                    }
                }
            } }
        }
    }
    return (y, NormStatistics(mean: mean, invStd: invStd, variance: variance))
}

/// The backward of `batchNormTraining`: with M = N*H*W per channel,
/// `dx = gamma * invStd / M * (M * dy - Σdy - x̂ * Σ(dy * x̂))`, `dgamma = Σ(dy * x̂)`, `dbeta = Σdy`.
/// Channels are shared over the workers.
func batchNormTrainingBackward(_ dy: Tensor, x: Tensor, stats: NormStatistics, gamma: [Float], inputGradient: Bool,
                               dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?) -> Tensor? {
    let s = x.shape
    let count = Float(s.n * s.plane)
    var sumDy = [Float](repeating: 0, count: s.c), sumDyXhat = sumDy
    var dx: Tensor? = inputGradient ? Tensor(shape: s) : nil
    dy.scalars.withUnsafeBufferPointer { g in
        x.scalars.withUnsafeBufferPointer { xb in
            sumDy.withUnsafeMutableBufferPointer { sumDyOut in sumDyXhat.withUnsafeMutableBufferPointer { sumDyXhatOut in
                func run(_ out: UnsafeMutablePointer<Float>?) {
                    ThreadPolicy.chunks(s.c, elements: 3 * s.count) { channels in
                        for c in channels {
                            func plane(_ n: Int) -> Int { (n * s.c + c) * s.plane }
                            let m = stats.mean[c], inv = stats.invStd[c]
                            var sums = [0.0, 0.0]
                            for n in 0..<s.n { mpx_plane_gradient_sums(g.baseAddress! + plane(n), xb.baseAddress! + plane(n), s.plane, m, inv, &sums) }
                            sumDyOut[c] = Float(sums[0]); sumDyXhatOut[c] = Float(sums[1])
                            guard let out else { continue }
                            let k = gamma[c] * inv, meanDy = sumDyOut[c] / count, meanDyXhat = sumDyXhatOut[c] / count
                            for n in 0..<s.n {
                                let gp = g.baseAddress! + plane(n), xp = xb.baseAddress! + plane(n), dp = out + plane(n)
                                for i in 0..<s.plane { dp[i] = k * (gp[i] - meanDy - (xp[i] - m) * inv * meanDyXhat) }
                            }
                        }
                    }
                }
                if dx == nil { run(nil) } else { dx!.scalars.withUnsafeMutableBufferPointer { run($0.baseAddress!) } }
            } }
        }
    }
    if let dGamma { for c in 0..<s.c { dGamma[c] += sumDyXhat[c] } }
    if let dBeta { for c in 0..<s.c { dBeta[c] += sumDy[c] } }
    return dx
}

/// Instance norm without affine parameters, training and eval alike: statistics per (sample, channel) plane.
/// Same arithmetic as `Kernels.instanceNorm`, returning the statistics for the backward.
func instanceNormTraining(_ x: Tensor, epsilon: Float = 1e-5) -> (y: Tensor, stats: NormStatistics) {
    let s = x.shape
    let planes = s.n * s.c
    var stats = NormStatistics(mean: .init(repeating: 0, count: planes), invStd: .init(repeating: 0, count: planes),
                               variance: .init(repeating: 0, count: planes))
    var y = x
    y.scalars.withUnsafeMutableBufferPointer { buf in
        for plane in 0..<planes {
            let p = buf.baseAddress! + plane * s.plane
            var sum = 0.0
            for i in 0..<s.plane { sum += Double(p[i]) }
            let mean = sum / Double(s.plane)
            var sq = 0.0
            for i in 0..<s.plane { let d = Double(p[i]) - mean; sq += d * d }
            let variance = sq / Double(s.plane)
            let inv = Float(1 / (variance + Double(epsilon)).squareRoot()), m = Float(mean)
            stats.mean[plane] = m; stats.invStd[plane] = inv; stats.variance[plane] = Float(variance)
            for i in 0..<s.plane { p[i] = (p[i] - m) * inv }
        }
    }
    return (y, stats)
}

/// The backward of `instanceNormTraining`: per plane of P pixels, `dx = invStd * (dy - mean(dy) - x̂ * mean(dy * x̂))`.
func instanceNormBackward(_ dy: Tensor, x: Tensor, stats: NormStatistics) -> Tensor {
    let s = x.shape
    var dx = dy
    let count = Double(s.plane)
    dx.scalars.withUnsafeMutableBufferPointer { g in
        x.scalars.withUnsafeBufferPointer { xb in
            for plane in 0..<(s.n * s.c) {
                let gp = g.baseAddress! + plane * s.plane, xp = xb.baseAddress! + plane * s.plane
                let m = stats.mean[plane], inv = stats.invStd[plane]
                var a = 0.0, b = 0.0
                for i in 0..<s.plane { a += Double(gp[i]); b += Double(gp[i] * ((xp[i] - m) * inv)) }
                let meanDy = Float(a / count), meanDyXhat = Float(b / count)
                for i in 0..<s.plane { gp[i] = inv * (gp[i] - meanDy - (xp[i] - m) * inv * meanDyXhat) }
            }
        }
    }
    return dx
}

/// Eval-mode batch norm's backward (`y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta`):
/// `dx = dy * gamma * inv`, `dgamma = Σ dy * (x - runningMean) * inv`, `dbeta = Σ dy`.
func batchNormEvalBackward(_ dy: Tensor, x: Tensor, runningMean: [Float], runningVar: [Float], gamma: [Float],
                           epsilon: Float = 1e-5, inputGradient: Bool,
                           dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?) -> Tensor? {
    let s = x.shape
    let inv = runningVar.map { 1 / ($0 + epsilon).squareRoot() }
    for n in 0..<s.n {
        for c in 0..<s.c {
            let base = (n * s.c + c) * s.plane
            var a: Float = 0, b: Float = 0
            for i in 0..<s.plane {
                let g = dy.scalars[base + i]
                a += g; b += g * (x.scalars[base + i] - runningMean[c]) * inv[c]
            }
            dBeta?[c] += a; dGamma?[c] += b
        }
    }
    guard inputGradient else { return nil }
    let scale = zip(gamma, inv).map { $0 * $1 }
    return channelAffine(dy, scale: scale, shift: [Float](repeating: 0, count: s.c))
}
