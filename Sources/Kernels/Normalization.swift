/// Instance normalisation without affine parameters (PyTorch's InstanceNorm2d default): each (sample, channel)
/// plane is shifted to mean 0 and scaled by 1/sqrt(biased variance + eps). Like PyTorch's CPU kernel, the statistics
/// are accumulated in double (mean first, then the squared deviations) and the plane is mapped as
/// `x * alpha + beta` with float `alpha = invstd`, `beta = -mean * alpha`, so outputs agree to the last bits.
public func instanceNorm(_ x: Tensor, epsilon: Float = 1e-5) -> Tensor {
    var y = x
    let s = x.shape
    y.scalars.withUnsafeMutableBufferPointer { buf in
        for plane in 0..<(s.n * s.c) {
            let p = buf.baseAddress! + plane * s.plane
            var sum = 0.0
            for i in 0..<s.plane { sum += Double(p[i]) }
            let mean = sum / Double(s.plane)
            var deviations = 0.0
            for i in 0..<s.plane { let d = Double(p[i]) - mean; deviations += d * d }
            let alpha = Float(1 / (deviations / Double(s.plane) + Double(epsilon)).squareRoot())
            let beta = -Float(mean) * alpha
            for i in 0..<s.plane { p[i] = p[i] * alpha + beta }
        }
    }
    return y
}

/// Per-channel `x * scale[c] + shift[c]`: eval-mode batch norm once its statistics are folded in.
public func channelAffine(_ x: Tensor, scale: [Float], shift: [Float]) -> Tensor {
    var y = x
    let s = x.shape
    y.scalars.withUnsafeMutableBufferPointer { buf in
        for n in 0..<s.n {
            for c in 0..<s.c {
                let p = buf.baseAddress! + (n * s.c + c) * s.plane
                let a = scale[c], b = shift[c]
                for i in 0..<s.plane { p[i] = p[i] * a + b }
            }
        }
    }
    return y
}

/// Folds eval-mode batch norm `(x - mean) / sqrt(var + eps) * weight + bias` into a scale and a shift.
public func foldBatchNorm(weight: [Float], bias: [Float], runningMean: [Float], runningVar: [Float],
                          epsilon: Float = 1e-5) -> (scale: [Float], shift: [Float]) {
    var scale = [Float](repeating: 0, count: weight.count), shift = scale
    for c in weight.indices {
        let inv = 1 / (runningVar[c] + epsilon).squareRoot()
        scale[c] = weight[c] * inv
        shift[c] = bias[c] - runningMean[c] * weight[c] * inv
    }
    return (scale, shift)
}
