import XCTest
@testable import Training
import Kernels
import Model

/// Every op's backward against central finite differences, and the GEMM convolution backward against loops.
final class GradientTests: XCTestCase {
    func testEveryOpMatchesFiniteDifferences() {
        for result in GradientCheck.run() {
            // Whole networks have thousands of LeakyReLU kinks that an ε step may cross (a few percent of error at
            // every ε tried); single ops have none. A miswired rule is off by O(1). The network gradients are matched
            // exactly against PyTorch autograd in ParityTests.
            XCTAssertLessThan(result.relativeError, result.isNetwork ? 5e-2 : 5e-3, "\(result) \(result.tensors)")
            XCTAssertGreaterThan(result.coordinates, 0, result.name)
        }
    }

    func testTheTableCoversEveryOpTheModelsUse() {
        let names = GradientCheck.caseNames.joined(separator: "|")
        for op in ["conv3x3", "conv1x1", "conv4x4 stride 2 pad 2", "LeakyReLU", "batch norm (training)", "batch norm (eval)",
                   "instance norm", "max pool", "average pool", "bilinear upsample", "reflection pad", "crop", "rows", "concat",
                   "multiply by map", "tanh", "skip", "LSGAN", "L1", "MSE", "monotonicity", "domain-fidelity", "colour",
                   "generator", "discriminator", "VGG16", "subtract channel means", "standardised content"] {
            XCTAssertTrue(names.contains(op), "no gradient check for \(op)")
        }
    }

    /// The content term lets the output brighten by any gain and offset, and charges a changed structure or a cast.
    func testStandardisedContentChargesStructureNotBrightness() {
        var rng = SplitMix64(seed: 4)
        let shape = Shape(n: 1, c: 3, h: 8, w: 8)
        let dark = Tensor(shape: shape, scalars: (0..<shape.count).map { _ in -0.9 + 0.2 * Float(rng.next() % 1000) / 1000 })
        let brighter = Tensor(shape: shape, scalars: dark.scalars.map { 2.5 * ($0 + 1) - 0.7 })
        // Not exactly 0: σ carries an ε of 1e-4 against the dark input's small variance.
        XCTAssertLessThan(Losses.standardizedContent(brighter, target: dark, pool: 2).value, 0.05)
        var shuffled = brighter
        shuffled.scalars.reverse()
        XCTAssertGreaterThan(Losses.standardizedContent(shuffled, target: dark, pool: 2).value, 0.3)
        var cast = brighter
        for i in 0..<shape.plane { cast.scalars[i] += 0.5 }  // the red channel up
        XCTAssertGreaterThan(Losses.standardizedContent(cast, target: dark, pool: 2).value, 0.3)
    }

    func testTheBlendTargetGoesFromTheInputToThePhoto() {
        let shape = Shape(n: 3, c: 1, h: 1, w: 2)
        let input = Tensor(shape: shape, scalars: [-1, -0.5, -1, -0.5, -1, -0.5])
        let photo = Tensor(shape: shape, scalars: [1, 0.5, 1, 0.5, 1, 0.5])
        let goal = Tensor(shape: shape, scalars: [-1, -0.5, 0, 0, 1, 0.5])
        XCTAssertEqual(Losses.pairedBlend(goal, input: input, photo: photo, levels: [0, 0.5, 1]).value, 0, accuracy: 1e-7)
        XCTAssertEqual(Losses.pairedBlend(input, input: input, photo: photo, levels: [0, 0.5, 1]).value, (0 + 0.75 + 1.5) / 3, accuracy: 1e-6)
    }

    /// On every ISA level this CPU runs (the stride-1 weight gradient has an AVX-512, an AVX2 and a plain C path): odd
    /// widths leave vector tails, one sample splits its input channels over the workers, many split the samples.
    func testConvolutionBackwardMatchesNestedLoops() {
        let saved = ISA.current
        defer { ISA.current = saved }
        for isa in ISA.runnable where isa.rawValue <= saved.rawValue {
            ISA.current = isa
            for (n, inC, outC, h, w, k, s, p) in [(1, 3, 4, 5, 7, 3, 1, 1), (3, 2, 5, 9, 6, 3, 1, 1), (2, 5, 3, 4, 4, 1, 1, 0),
                                                   (2, 3, 4, 11, 8, 4, 2, 2), (1, 4, 1, 5, 5, 4, 1, 2), (3, 2, 2, 40, 33, 3, 1, 1),
                                                   (2, 8, 16, 21, 19, 3, 1, 1), (2, 6, 20, 12, 10, 3, 1, 1), (2, 16, 8, 18, 18, 4, 2, 2),
                                                   (1, 5, 11, 37, 23, 3, 1, 1), (5, 7, 9, 6, 6, 4, 1, 2), (2, 3, 7, 17, 35, 2, 1, 0),
                                                   (1, 2, 3, 9, 9, 5, 1, 2)] {
                let err = GradientCheck.convolutionBackwardAgainstReference(n: n, inChannels: inC, outChannels: outC, height: h, width: w,
                                                                            kernel: k, stride: s, padding: p, seed: UInt64(h * w + k))
                XCTAssertLessThan(err, 1e-5, "\(isa): n\(n) \(inC)->\(outC) \(h)x\(w) k\(k) s\(s) p\(p)")
            }
        }
    }
}
