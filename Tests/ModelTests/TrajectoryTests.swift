import XCTest
import Kernels
import Model

/// A trajectory shares the level-independent work (inputs, attention, the first layer's image response) and must
/// equal one full pass per level.
final class TrajectoryTests: XCTestCase {
    func check(_ configure: (inout GeneratorOptions) -> Void, file: StaticString = #filePath, line: UInt = #line) {
        var o = GeneratorOptions()
        o.widthMultiplier = 1.0 / 8
        configure(&o)
        let g = Generator.random(options: o, seed: 4)
        var rng = SplitMix64(seed: 9)
        let image = Tensor(shape: Shape(n: 1, c: 3, h: 29, w: 37), scalars: (0..<(3 * 29 * 37)).map { _ in 2 * rng.unit() - 1 })
        let noise = o.useNoise ? Tensor(shape: Shape(n: 1, c: 1, h: 32, w: 48), scalars: (0..<(32 * 48)).map { _ in 2 * rng.unit() - 1 }) : nil
        let levels: [Float] = [-1, 0, 0.3, 1, 2]
        for (level, out) in zip(levels, g.trajectory(image, levels: levels, noise: noise)) {
            let full = g(image, intensity: .levels([level]), noise: noise).output
            // A + level·B rounds differently from the convolution of the concatenated input: the fidelity bound applies.
            XCTAssertLessThan(out.maxAbsDifference(full), 1e-4, "level \(level)", file: file, line: line)
        }
    }

    func testIdentity() { check { _ in } }
    func testBatchNormAttention() { check { $0.norm = .batch; $0.selfAttention = true; $0.timesResidual = true; $0.tanhOutput = false } }
    func testInstanceNormTranscode() { check { $0.norm = .instance; $0.transcode = true } }
    func testNoise() { check { $0.useNoise = true } }
}
