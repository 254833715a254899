import XCTest
@testable import Kernels

/// Deterministic pseudo-random values for kernel tests.
struct TestRandom {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
    }
    mutating func tensor(_ shape: Shape) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.count).map { _ in next() })
    }
    mutating func array(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

/// Every convolution on every ISA path (`forEachISA`) against the six-loop reference.
final class ConvolutionTests: XCTestCase {
    func check(n: Int = 1, inC: Int, outC: Int, h: Int, w: Int, kernel: Int, stride: Int = 1, padding: Int,
               epilogue: Epilogue = .none, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRandom(state: UInt64(inC * 1000 + outC * 10 + h + w + kernel))
        let conv = Convolution(outChannels: outC, inChannels: inC, kernel: kernel, stride: stride, padding: padding,
                               weight: rng.array(outC * inC * kernel * kernel), bias: rng.array(outC))
        let x = rng.tensor(Shape(n: n, c: inC, h: h, w: w))
        let slow = conv.reference(x, epilogue: epilogue)
        // F(4x4) amplifies the products' rounding: WinogradTests' bound for it. The AVX-512 GEMM's two-chain sums stay
        // under 1e-4 on 40 channels; OpenBLAS's and the AVX2 kernel's one chain reach ~1.1e-4 (the tolerance, not a bug).
        let winograd4 = conv.resolvedAlgorithm(height: h, width: w) == .winograd4x4
        let bound: Float = winograd4 ? 1e-6 * Float(inC * 9) + 2e-5 : 1e-4
        forEachISA(file: file, line: line) { isa in
            let fast = conv(x, epilogue: epilogue)
            XCTAssertEqual(fast.shape, slow.shape, file: file, line: line)
            XCTAssertLessThan(fast.maxAbsDifference(slow), bound, "conv \(inC)->\(outC) \(h)x\(w) k\(kernel) s\(stride) \(isa)",
                              file: file, line: line)
        }
    }

    func testThreeByThreeOnOddShapes() {
        check(inC: 3, outC: 5, h: 7, w: 9, kernel: 3, padding: 1)
        check(n: 2, inC: 6, outC: 4, h: 13, w: 5, kernel: 3, padding: 1)
        check(inC: 1, outC: 1, h: 1, w: 1, kernel: 3, padding: 1)
        check(inC: 2, outC: 3, h: 2, w: 17, kernel: 3, padding: 1)
    }

    /// Stride-1 layers with one or two output channels take the padded-rows path (`mpx_conv_few_outputs`).
    func testFewOutputChannels() {
        check(n: 3, inC: 64, outC: 1, h: 6, w: 6, kernel: 4, padding: 2, epilogue: Epilogue(leakySlope: 0.2))
        check(inC: 5, outC: 2, h: 11, w: 19, kernel: 3, padding: 1)
        check(inC: 3, outC: 1, h: 9, w: 4, kernel: 4, padding: 0)
    }

    func testSplitAcrossWorkersAndTiles() {
        // Large enough to take the multi-tile, multi-worker path.
        check(inC: 40, outC: 8, h: 70, w: 66, kernel: 3, padding: 1)
    }

    /// A batch runs a sample a worker (`ThreadPolicy.perSample`), each worker's kernels alone on its thread, and a
    /// direct layer on small maps as one product over every sample's columns: each sample must come out as it does
    /// when it runs by itself (bit for bit on the native GEMM paths; within rounding for a single output channel and on
    /// OpenBLAS).
    func testABatchGivesEachImageExactlyAsAlone() {
        for (inC, outC, h, k, s, p) in [(8, 16, 40, 3, 1, 1), (4, 8, 33, 4, 2, 2), (16, 8, 64, 3, 1, 1), (3, 6, 70, 1, 1, 0),
                                        (16, 1, 12, 4, 1, 2), (32, 64, 9, 4, 1, 2)] {
            var rng = TestRandom(state: UInt64(inC * 31 + h))
            let conv = Convolution(outChannels: outC, inChannels: inC, kernel: k, stride: s, padding: p,
                                   weight: rng.array(outC * inC * k * k), bias: rng.array(outC))
            let x = rng.tensor(Shape(n: 5, c: inC, h: h, w: h + 3))
            let batch = conv(x, epilogue: Epilogue(leakySlope: 0.2))
            let one = x.shape.c * x.shape.plane, oneOut = batch.shape.c * batch.shape.plane
            for n in 0..<5 {
                let alone = conv(Tensor(shape: Shape(n: 1, c: inC, h: h, w: h + 3), scalars: Array(x.scalars[(n * one)..<((n + 1) * one)])),
                                 epilogue: Epilogue(leakySlope: 0.2))
                let part = Tensor(shape: alone.shape, scalars: Array(batch.scalars[(n * oneOut)..<((n + 1) * oneOut)]))
                // OpenBLAS (the baseline level's GEMM) sums differently with one thread than with two: there the
                // batch is within rounding of the image alone; the native paths give the same bits.
                if outC == 1 || !GEMM.nativeAvailable {
                    XCTAssertLessThan(part.maxAbsDifference(alone), 1e-4, "k\(k) s\(s) \(inC)->\(outC) sample \(n)")
                } else {
                    XCTAssertEqual(part.scalars, alone.scalars, "k\(k) s\(s) \(inC)->\(outC) sample \(n)")
                }
            }
        }
    }

    func testPointwise() {
        check(inC: 7, outC: 3, h: 5, w: 11, kernel: 1, padding: 0)
        check(inC: 32, outC: 32, h: 60, w: 64, kernel: 1, padding: 0)
    }

    func testDiscriminatorStrideTwoPaddingTwo() {
        check(inC: 3, outC: 4, h: 11, w: 14, kernel: 4, stride: 2, padding: 2)
        check(inC: 4, outC: 2, h: 9, w: 9, kernel: 4, stride: 1, padding: 2)
    }

    func testFusedEpilogue() {
        check(inC: 4, outC: 6, h: 9, w: 10, kernel: 3, padding: 1, epilogue: Epilogue(leakySlope: 0.2))
        check(inC: 4, outC: 3, h: 9, w: 10, kernel: 3, padding: 1,
              epilogue: Epilogue(leakySlope: 0.2, scale: [0.5, -2, 1.5], shift: [0.1, 0, -0.3]))
    }
}
