import Foundation
import Model

/// The reference's initialisation (`networks.weights_init`, applied after PyTorch's defaults):
/// conv weights ~ N(0, 0.02); conv biases keep Conv2d's default U(-1/sqrt(fan_in), 1/sqrt(fan_in));
/// batch-norm scales ~ N(1, 0.02), shifts 0; running mean 0, running variance 1.
struct ParameterInitializer {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func normal(count: Int, mean: Float, std: Float) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(rng.next() >> 11) / Double(1 << 53)
            let r = (-2 * Foundation.log(u1)).squareRoot()
            out[i] = mean + std * Float(r * Foundation.cos(2 * .pi * u2))
            if i + 1 < count { out[i + 1] = mean + std * Float(r * Foundation.sin(2 * .pi * u2)) }
            i += 2
        }
        return out
    }

    mutating func uniform(count: Int, bound: Float) -> [Float] {
        (0..<count).map { _ in (2 * rng.unit() - 1) * bound }
    }

    mutating func convolution(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int) -> ConvLayer {
        let fanIn = inChannels * kernel * kernel
        return ConvLayer(name: name, inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
                         padding: padding,
                         weight: normal(count: outChannels * fanIn, mean: 0, std: 0.02),
                         bias: uniform(count: outChannels, bound: 1 / Float(fanIn).squareRoot()))
    }

    mutating func batchNorm(name: String, channels: Int) -> BatchNormLayer {
        BatchNormLayer(name: name, channels: channels, weight: normal(count: channels, mean: 1, std: 0.02))
    }
}
