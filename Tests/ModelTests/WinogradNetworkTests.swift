import XCTest
import Kernels
import Model

/// The error budget of the automatic convolution choice on the whole network: the full-width generator with
/// He-uniform weights, inputs in [-1, 1], must stay within 1e-4 of the all-direct network on its output.
final class WinogradNetworkTests: XCTestCase {
    func testAutomaticChoiceStaysWithinTheBudgetOfTheDirectNetwork() {
        var options = GeneratorOptions()
        options.relativeControl = true
        // 96x80 (levels 96x80 … 6x5): F(4x4) on the three largest levels, F(2x2) on 12x10, direct on 6x5.
        let (h, w) = (96, 80)
        for seed: UInt64 in [3, 42] {
            let g = Generator.random(options: options, seed: seed)
            var rng = SplitMix64(seed: seed &+ 1)
            let image = Tensor(shape: Shape(n: 1, c: 3, h: h, w: w), scalars: (0..<(3 * h * w)).map { _ in 2 * rng.unit() - 1 })
            let saved = ConvolutionAlgorithm.forced
            defer { ConvolutionAlgorithm.forced = saved }
            ConvolutionAlgorithm.forced = .direct
            let direct = g(image, intensity: .levels([0.5]))
            ConvolutionAlgorithm.forced = nil
            let automatic = g(image, intensity: .levels([0.5]))
            XCTAssertLessThanOrEqual(automatic.output.maxAbsDifference(direct.output), 1e-4, "seed \(seed)")
            XCTAssertLessThanOrEqual(automatic.latent.maxAbsDifference(direct.latent), 1e-4, "seed \(seed)")
            // And it did take the Winograd paths (otherwise the comparison proves nothing).
            XCTAssertGreaterThan(automatic.latent.maxAbsDifference(direct.latent), 0, "seed \(seed)")
        }
    }

    /// The whole-tensor executor makes no concatenation and no upsample that only convolutions read (the image with
    /// its intensity, the four skips, the four decoder upsamples); the incremental engine, which keeps every
    /// activation, makes them all. Both give the same bits, on every precision.
    func testFusedConcatenationsAndUpsamplesChangeNoBit() {
        for attention in [false, true] {
            var options = GeneratorOptions()
            options.relativeControl = true
            options.selfAttention = attention
            options.widthMultiplier = 0.5
            let g = Generator.random(options: options, seed: 5)
            let fused = g.graph.fusedIntoConvolutions
            XCTAssertEqual(fused.count, 9, "attention \(attention)")
            let (h, w) = (96, 80)
            var rng = SplitMix64(seed: 6)
            let image = Tensor(shape: Shape(n: 1, c: 3, h: h, w: w), scalars: (0..<(3 * h * w)).map { _ in 2 * rng.unit() - 1 })
            let map = Tensor(shape: Shape(n: 1, c: 1, h: h, w: w), scalars: (0..<(h * w)).map { _ in rng.unit() })
            let gray = attention ? Tensor(shape: Shape(n: 1, c: 1, h: h, w: w), scalars: (0..<(h * w)).map { _ in rng.unit() }) : nil
            let stored = IncrementalExecutor(generator: g, image: image, map: map, gray: gray).output
            let streamed = g(image, intensity: .map(map), gray: gray).output
            XCTAssertEqual(streamed.shape, stored.shape)
            XCTAssertTrue(zip(streamed.scalars, stored.scalars).allSatisfy { $0.bitPattern == $1.bitPattern },
                          "attention \(attention): max |diff| \(streamed.maxAbsDifference(stored))")
        }
    }
}
