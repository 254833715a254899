import XCTest
@testable import Kernels

/// A convolution reading a concatenation's parts where they lie, or upsampling its input block by block, computes
/// what it computes on the stored input: the same sums in the same order, so bitwise the same outputs.
final class ConvolutionInputTests: XCTestCase {
    static let paths: [ConvolutionAlgorithm] = [.direct, .winograd2x2, .winograd4x4]

    func assertBitwiseEqual(_ a: Tensor, _ b: Tensor, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
        let same = a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }
        XCTAssertTrue(same, "\(message): max |diff| \(a.shape == b.shape ? a.maxAbsDifference(b) : .nan)", file: file, line: line)
    }

    func layer(_ rng: inout TestRandom, inC: Int, outC: Int, kernel: Int = 3, padding: Int = 1) -> Convolution {
        Convolution(outChannels: outC, inChannels: inC, kernel: kernel, padding: padding,
                    weight: rng.array(outC * inC * kernel * kernel), bias: rng.array(outC))
    }

    func testConcatenationsOnEveryPathAndPrecision() {
        var rng = TestRandom(state: 11)
        let shapes = [(1, 1), (5, 6), (9, 23), (16, 16), (31, 33), (70, 66)]
        for (h, w) in shapes {
            for splits in [[3, 5], [1, 7, 2], [16, 16]] {
                let parts = splits.map { rng.tensor(Shape(n: 2, c: $0, h: h, w: w)) }
                let conv = layer(&rng, inC: splits.reduce(0, +), outC: 6)
                let stored = concatChannels(parts)
                for path in Self.paths {
                    for precision in [Precision.f32, .bf16] {
                        let epilogue = Epilogue(leakySlope: 0.2)
                        assertBitwiseEqual(conv(.concatenation(parts), epilogue: epilogue, algorithm: path, precision: precision),
                                           conv(stored, epilogue: epilogue, algorithm: path, precision: precision),
                                           "concat \(splits) \(h)x\(w) \(path) \(precision)")
                    }
                }
            }
        }
    }

    func testConcatenatedPointwiseLayer() {
        var rng = TestRandom(state: 12)
        let parts = [rng.tensor(Shape(n: 1, c: 3, h: 7, w: 9)), rng.tensor(Shape(n: 1, c: 1, h: 7, w: 9))]
        let conv = layer(&rng, inC: 4, outC: 5, kernel: 1, padding: 0)
        assertBitwiseEqual(conv(.concatenation(parts)), conv(concatChannels(parts)), "1x1 over a concatenation")
    }

    /// Odd and even sizes, blocks cut in rows and in column segments (the 3 x 700 input), several workers, both
    /// paddings the Winograd kernels take, batches of two, and every transform width.
    func testUpsampledInputsOnEveryPathAndLaneWidth() {
        var rng = TestRandom(state: 13)
        let cases: [(c: Int, h: Int, w: Int, padding: Int)] = [(3, 1, 1, 1), (4, 3, 5, 1), (8, 8, 8, 1), (5, 9, 150, 1),
                                                              (24, 35, 33, 1), (6, 7, 6, 0), (6, 7, 6, 2), (40, 64, 64, 1),
                                                              (40, 3, 700, 1)]
        let saved = Convolution.winogradLanes
        defer { Convolution.winogradLanes = saved }
        for lanes in [4, 8, 16] {
            Convolution.winogradLanes = lanes
            for (c, h, w, padding) in cases {
                let x = rng.tensor(Shape(n: c > 30 ? 1 : 2, c: c, h: h, w: w))
                let conv = layer(&rng, inC: c, outC: 7, padding: padding)
                let stored = upsampleBilinear2x(x)
                for path in Self.paths where 2 * h + 2 * padding >= 3 && 2 * w + 2 * padding >= 3 {
                    for precision in [Precision.f32, .bf16] {
                        let epilogue = Epilogue(leakySlope: 0.2, scale: [Float](repeating: 0.5, count: 7), shift: [Float](repeating: 0.1, count: 7))
                        assertBitwiseEqual(conv(.upsampled2x(x), epilogue: epilogue, algorithm: path, precision: precision),
                                           conv(stored, epilogue: epilogue, algorithm: path, precision: precision),
                                           "upsampled \(c)x\(h)x\(w) pad \(padding) \(path) \(precision) \(lanes) lanes")
                    }
                }
            }
        }
    }

    func testInputShapes() {
        let x = Tensor(shape: Shape(n: 2, c: 3, h: 4, w: 5))
        XCTAssertEqual(ConvolutionInput.upsampled2x(x).shape, Shape(n: 2, c: 3, h: 8, w: 10))
        XCTAssertEqual(ConvolutionInput.concatenation([x, x]).shape, Shape(n: 2, c: 6, h: 4, w: 5))
        XCTAssertEqual(ConvolutionInput.upsampled2x(x).materialized, upsampleBilinear2x(x))
    }

    /// Any rectangle of the upsample (odd and even first rows and columns, the edges) is the same bits as that part
    /// of the whole upsample.
    func testUpsampleRegionsMatchTheWholeUpsample() {
        var rng = TestRandom(state: 14)
        for (h, w) in [(1, 1), (1, 2), (3, 5), (4, 7), (9, 10)] {
            let x = rng.tensor(Shape(n: 1, c: 2, h: h, w: w))
            let whole = upsampleBilinear2x(x)
            for top in 0..<min(3, 2 * h) {
                for left in 0..<min(4, 2 * w) {
                    for (bottom, right) in [(2 * h, 2 * w), (max(top + 1, 2 * h - 1), max(left + 1, 2 * w - 2))] {
                        let r = Region(top: top, bottom: bottom, left: left, right: right)
                        assertBitwiseEqual(upsampleBilinear2x(x, region: r), whole.extracting(r), "\(h)x\(w) region \(r)")
                    }
                }
            }
        }
    }
}
