import XCTest
@testable import Kernels

final class WinogradTests: XCTestCase {
    static let variants: [ConvolutionAlgorithm] = [.winograd2x2, .winograd4x4]

    /// Runs `algorithm` and the six-loop reference on the same random layer and input; the error bound scales with
    /// the reduction length (sums of `in * 9` products of values in [-1, 1]).
    @discardableResult
    func check(_ algorithm: ConvolutionAlgorithm, n: Int = 1, inC: Int, outC: Int, h: Int, w: Int, padding: Int = 1,
               epilogue: Epilogue = .none, seed: UInt64 = 0, file: StaticString = #filePath, line: UInt = #line) -> Float {
        var rng = TestRandom(state: seed &+ UInt64(inC * 1000 + outC * 10 + h * 7 + w + padding))
        let conv = Convolution(outChannels: outC, inChannels: inC, kernel: 3, padding: padding,
                               weight: rng.array(outC * inC * 9), bias: rng.array(outC))
        let x = rng.tensor(Shape(n: n, c: inC, h: h, w: w))
        XCTAssertEqual(conv.resolvedAlgorithm(algorithm, height: h, width: w), algorithm, file: file, line: line)
        let fast = conv(x, epilogue: epilogue, algorithm: algorithm)
        let slow = conv.reference(x, epilogue: epilogue)
        XCTAssertEqual(fast.shape, slow.shape, file: file, line: line)
        guard fast.shape == slow.shape else { return .infinity }
        let err = fast.maxAbsDifference(slow)
        let bound: Float = algorithm == .winograd4x4 ? 1e-6 * Float(inC * 9) + 2e-5 : 1e-7 * Float(inC * 9) + 4e-6
        XCTAssertLessThan(err, bound, "\(algorithm) \(inC)->\(outC) \(h)x\(w) pad \(padding): \(err)", file: file, line: line)
        return err
    }

    /// Runs `body` with the Winograd transforms capped at `lanes`, then restores the cap.
    func withLanes(_ lanes: Int, _ body: () throws -> Void) rethrows {
        let saved = Convolution.winogradLanes
        Convolution.winogradLanes = lanes
        defer { Convolution.winogradLanes = saved }
        XCTAssertLessThanOrEqual(Convolution.winogradLanes, lanes)
        try body()
    }

    func runAllCases() {
        testOddShapesAndBorders()
        testChannelCountsFromOneToSeventy()
        testOtherPaddings()
        testFusedEpilogue()
        testManyBlocksAndWorkers()
    }

    /// The 4-lane transforms (what runs without AVX2, and on other architectures) on the same cases as the widest.
    func testNarrowKernels() {
        withLanes(4) { runAllCases() }
    }

    /// Every case on the narrower ISA paths (MONOPIX_ISA=avx2: 8 lanes, the AVX2 GEMM, the scalar filter transform;
    /// baseline: 4 lanes and OpenBLAS); the widest runs in the other tests.
    func testNarrowerISAPaths() {
        let top = ISA.current
        forEachISA { isa in if isa != top { runAllCases() } }
    }

    /// The 8-lane AVX2 transforms, which the AVX-512 CPUs skip by default.
    func testEightLaneKernels() {
        withLanes(8) { runAllCases() }
    }

    /// The 16-lane AVX-512 transforms do per lane what the 8-lane ones do (same expressions, same FMA contractions;
    /// the 16-lane blocks are stored 16 tiles wide where the 8-lane ones are 4), so the outputs must be bitwise equal,
    /// not just close: same random layers through both, on the odd shapes, borders, paddings, epilogues and blocks.
    func testSixteenLanesMatchEightBitwise() throws {
        try withLanes(16) {
            guard Convolution.winogradLanes == 16 else { throw XCTSkip("no AVX-512 at this ISA level") }
        }
        let epilogues = [Epilogue.none, Epilogue(leakySlope: 0.2),
                         Epilogue(leakySlope: 0.2, scale: [0.5, -2, 1.5, 3, -0.25], shift: [0.1, 0, -0.3, 2, 1])]
        let shapes = [(1, 1), (2, 17), (5, 6), (7, 9), (9, 23), (31, 33), (16, 64), (33, 130), (70, 66), (9, 301)]
        var compared = 0
        for algorithm in Self.variants {
            for (index, (h, w)) in shapes.enumerated() {
                for padding in [0, 1, 2] where h + 2 * padding >= 3 && w + 2 * padding >= 3 {
                    var rng = TestRandom(state: UInt64(index * 31 + padding))
                    let inC = [3, 8, 17][index % 3], outC = 5
                    let conv = Convolution(outChannels: outC, inChannels: inC, kernel: 3, padding: padding,
                                           weight: rng.array(outC * inC * 9), bias: rng.array(outC))
                    let x = rng.tensor(Shape(n: 1, c: inC, h: h, w: w))
                    let epilogue = epilogues[(index + padding) % epilogues.count]
                    var out: [Tensor] = []
                    for lanes in [16, 8] {
                        withLanes(lanes) { out.append(conv(x, epilogue: epilogue, algorithm: algorithm)) }
                    }
                    XCTAssertEqual(out[0].shape, out[1].shape)
                    let same = zip(out[0].scalars, out[1].scalars).allSatisfy { $0.bitPattern == $1.bitPattern }
                    XCTAssertTrue(same, "\(algorithm) \(inC)->\(outC) \(h)x\(w) pad \(padding): 16 and 8 lanes differ, "
                                  + "max |diff| \(out[0].maxAbsDifference(out[1]))")
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 40)
    }

    func testOddShapesAndBorders() {
        for a in Self.variants {
            for (h, w) in [(1, 1), (2, 17), (17, 2), (3, 3), (4, 4), (5, 6), (7, 9), (13, 5), (6, 6), (9, 23), (31, 33)] {
                check(a, inC: 3, outC: 5, h: h, w: w)
            }
        }
    }

    func testChannelCountsFromOneToSeventy() {
        for a in Self.variants {
            for (inC, outC) in [(1, 1), (1, 7), (7, 1), (2, 3), (16, 16), (33, 17), (64, 5), (70, 70), (5, 64)] {
                check(a, inC: inC, outC: outC, h: 11, w: 14)
            }
        }
    }

    func testBatchOfTwo() {
        for a in Self.variants { check(a, n: 2, inC: 6, outC: 4, h: 13, w: 10) }
    }

    func testOtherPaddings() {
        for a in Self.variants {
            check(a, inC: 4, outC: 3, h: 9, w: 10, padding: 0)
            check(a, inC: 4, outC: 3, h: 3, w: 5, padding: 0)
            check(a, inC: 4, outC: 3, h: 7, w: 6, padding: 2)
        }
    }

    func testFusedEpilogue() {
        for a in Self.variants {
            check(a, inC: 4, outC: 6, h: 9, w: 10, epilogue: Epilogue(leakySlope: 0.2))
            check(a, inC: 4, outC: 3, h: 9, w: 10,
                  epilogue: Epilogue(leakySlope: 0.2, scale: [0.5, -2, 1.5], shift: [0.1, 0, -0.3]))
            check(a, inC: 5, outC: 3, h: 6, w: 7, epilogue: Epilogue(scale: [0.5, -2, 1.5], shift: [0.1, 0, -0.3]))
        }
    }

    /// Large enough for several blocks, split over the workers, with partial blocks at the right and bottom.
    func testManyBlocksAndWorkers() {
        for a in Self.variants {
            check(a, inC: 40, outC: 24, h: 70, w: 66, epilogue: Epilogue(leakySlope: 0.2))
            check(a, inC: 8, outC: 8, h: 9, w: 301)
            check(a, inC: 32, outC: 32, h: 130, w: 129)
        }
    }

    /// Every block fits the scratch its plan sizes: a 335-pixel-wide unpadded layer (84 tiles, cut into two
    /// segments of 42, stored as 44, whose blocks were then 44 wide and stored as 48) overflowed it.
    func testNoBlockIsStoredWiderThanItsPlan() {
        for tile in [WinogradTile.f2, .f4] {
            for (inC, outC) in [(5, 32), (32, 32), (64, 64), (256, 512)] {
                for w in stride(from: 3, through: 1200, by: 1) {
                    let wo = w - 2, ho = 225
                    let plan = WinogradPlan(tile: tile, inChannels: inC, outChannels: outC, h: ho + 2, w: w, ho: ho, wo: wo,
                                            padding: 0, workers: 2)
                    for block in plan.blocks {
                        XCTAssertLessThanOrEqual(plan.columns(block), plan.segmentTiles, "\(inC)->\(outC) w \(w)")
                        XCTAssertLessThanOrEqual(block.rows.count, plan.bandRows)
                    }
                }
            }
        }
        for a in Self.variants { _ = check(a, inC: 32, outC: 32, h: 227, w: 335, padding: 0) }
    }

    func testChangingTheWeightsDropsTheTransformedFilters() {
        var rng = TestRandom(state: 3)
        var conv = Convolution(outChannels: 4, inChannels: 5, kernel: 3, padding: 1, weight: rng.array(180), bias: rng.array(4))
        let x = rng.tensor(Shape(n: 1, c: 5, h: 8, w: 8))
        for a in Self.variants {
            _ = conv(x, algorithm: a)
            conv.weight = rng.array(180)
            XCTAssertLessThan(conv(x, algorithm: a).maxAbsDifference(conv.reference(x)), 1e-4)
            let copy = conv.withPadding(0)
            XCTAssertLessThan(copy(x, algorithm: a).maxAbsDifference(copy.reference(x)), 1e-4)
        }
    }

    func testSelectionNeverPicksWinogradForOtherLayers() {
        for c in [1, 3, 16, 32, 64, 256, 512] {
            for size in [1, 7, 16, 32, 64, 256, 512] {
                for (k, s, p) in [(1, 1, 0), (4, 2, 2), (4, 1, 2), (3, 2, 1), (5, 1, 2), (2, 1, 0)] {
                    XCTAssertEqual(Convolution.algorithm(kernel: k, stride: s, padding: p, inChannels: c, outChannels: c,
                                                         height: size, width: size), .direct, "k\(k) s\(s) p\(p) c\(c) \(size)")
                }
            }
        }
        // Forcing Winograd on a layer it does not apply to runs the direct path, and stays exact.
        var rng = TestRandom(state: 9)
        let strided = Convolution(outChannels: 3, inChannels: 4, kernel: 3, stride: 2, padding: 1,
                                  weight: rng.array(108), bias: rng.array(3))
        let pointwise = Convolution(outChannels: 3, inChannels: 4, kernel: 1, padding: 0, weight: rng.array(12), bias: rng.array(3))
        let x = rng.tensor(Shape(n: 1, c: 4, h: 9, w: 11))
        for a in Self.variants {
            XCTAssertEqual(strided.resolvedAlgorithm(a, height: 9, width: 11), .direct)
            XCTAssertEqual(pointwise.resolvedAlgorithm(a, height: 9, width: 11), .direct)
            XCTAssertLessThan(strided(x, algorithm: a).maxAbsDifference(strided.reference(x)), 1e-4)
            XCTAssertLessThan(pointwise(x, algorithm: a).maxAbsDifference(pointwise.reference(x)), 1e-4)
        }
    }

    func testSelectionForTheGeneratorsLayers() {
        func pick(_ inC: Int, _ outC: Int, _ size: Int) -> ConvolutionAlgorithm {
            Convolution.algorithm(kernel: 3, stride: 1, padding: 1, inChannels: inC, outChannels: outC, height: size, width: size)
        }
        // The 4-channel input layer takes F(4x4) (a 3-channel one, and a thin 5 -> 8 one, stay direct); wide layers take F(4x4) from 16x16
        // and F(2x2) on 8x8 maps.
        XCTAssertEqual(pick(4, 32, 256), .winograd4x4)
        XCTAssertEqual(pick(3, 32, 256), .direct)
        XCTAssertEqual(pick(5, 8, 64), .direct)
        XCTAssertEqual(pick(32, 32, 256), .winograd4x4)
        XCTAssertEqual(pick(512, 512, 16), .winograd4x4)
        XCTAssertEqual(pick(512, 512, 8), .winograd2x2)
        XCTAssertEqual(pick(512, 512, 4), .direct)
        XCTAssertEqual(pick(64, 4, 64), .direct)
    }

    func testForcedAlgorithmAppliesToAutomaticCallsOnly() {
        var rng = TestRandom(state: 4)
        let conv = Convolution(outChannels: 16, inChannels: 16, kernel: 3, padding: 1, weight: rng.array(16 * 16 * 9), bias: rng.array(16))
        let saved = ConvolutionAlgorithm.forced
        defer { ConvolutionAlgorithm.forced = saved }
        ConvolutionAlgorithm.forced = .direct
        XCTAssertEqual(conv.resolvedAlgorithm(height: 64, width: 64), .direct)
        XCTAssertEqual(conv.resolvedAlgorithm(.winograd2x2, height: 64, width: 64), .winograd2x2)
        ConvolutionAlgorithm.forced = .winograd2x2
        XCTAssertEqual(conv.resolvedAlgorithm(height: 64, width: 64), .winograd2x2)
        ConvolutionAlgorithm.forced = nil
        XCTAssertEqual(conv.resolvedAlgorithm(height: 64, width: 64), .winograd4x4)
    }
}
