import XCTest
@testable import Kernels

/// The kernels Inception-v3 (FID) adds: rectangular convolutions (1x7 with padding (0, 3), 7x1 with (3, 0), 1x3,
/// 3x1), 3x3 stride 2 without padding, the average pool that excludes the padding, and a bilinear resize to any size.
final class InceptionKernelTests: XCTestCase {
    func rectangular(inC: Int, outC: Int, kh: Int, kw: Int, stride: Int = 1, ph: Int, pw: Int, seed: UInt64) -> Convolution {
        var rng = TestRandom(state: seed)
        return Convolution(outChannels: outC, inChannels: inC, kernelHeight: kh, kernelWidth: kw, stride: stride,
                           paddingHeight: ph, paddingWidth: pw, weight: rng.array(outC * inC * kh * kw), bias: rng.array(outC))
    }

    func testRectangularKernelsMatchReference() {
        for (kh, kw, ph, pw) in [(1, 7, 0, 3), (7, 1, 3, 0), (1, 3, 0, 1), (3, 1, 1, 0)] {
            for (h, w) in [(17, 17), (8, 8), (5, 11), (3, 2)] {
                var rng = TestRandom(state: UInt64(kh * 100 + kw * 10 + h + w))
                let conv = rectangular(inC: 6, outC: 5, kh: kh, kw: kw, ph: ph, pw: pw, seed: UInt64(h * w))
                let x = rng.tensor(Shape(n: 2, c: 6, h: h, w: w))
                let slow = conv.reference(x, epilogue: Epilogue(leakySlope: 0))
                XCTAssertEqual(conv.resolvedAlgorithm(height: h, width: w), .direct)
                forEachISA { isa in
                    let fast = conv(x, epilogue: Epilogue(leakySlope: 0))
                    XCTAssertEqual(fast.shape, Shape(n: 2, c: 5, h: h, w: w), "\(kh)x\(kw) \(isa)")
                    XCTAssertLessThan(fast.maxAbsDifference(slow), 1e-5, "\(kh)x\(kw) on \(h)x\(w) \(isa)")
                }
            }
        }
    }

    /// A 1x7 layer is the 7x7 layer whose kernel is zero outside its middle row (both padded by 3): an independent
    /// check of the rectangular reference and of the im2col rows' order.
    func testOneBySevenIsAMiddleRowOfSevenBySeven() {
        let conv = rectangular(inC: 3, outC: 4, kh: 1, kw: 7, ph: 0, pw: 3, seed: 7)
        var square = [Float](repeating: 0, count: 4 * 3 * 49)
        for o in 0..<4 { for i in 0..<3 { for k in 0..<7 { square[((o * 3 + i) * 7 + 3) * 7 + k] = conv.weight[(o * 3 + i) * 7 + k] } } }
        let seven = Convolution(outChannels: 4, inChannels: 3, kernel: 7, padding: 3, weight: square, bias: conv.bias)
        var rng = TestRandom(state: 99)
        let x = rng.tensor(Shape(n: 1, c: 3, h: 9, w: 12))
        // Padded by 3 rows, the 7x7 layer's output has the 1x7 layer's size (rows 0 padding, same H).
        XCTAssertLessThan(conv(x).maxAbsDifference(seven(x)), 1e-5)
        let transposed = rectangular(inC: 3, outC: 4, kh: 7, kw: 1, ph: 3, pw: 0, seed: 7)
        XCTAssertEqual(transposed.weight, conv.weight)
        var column = [Float](repeating: 0, count: 4 * 3 * 49)
        for o in 0..<4 { for i in 0..<3 { for k in 0..<7 { column[((o * 3 + i) * 7 + k) * 7 + 3] = conv.weight[(o * 3 + i) * 7 + k] } } }
        let sevenColumn = Convolution(outChannels: 4, inChannels: 3, kernel: 7, padding: 3, weight: column, bias: conv.bias)
        XCTAssertLessThan(transposed(x).maxAbsDifference(sevenColumn(x)), 1e-5)
    }

    func testThreeByThreeStrideTwoUnpadded() {
        var rng = TestRandom(state: 5)
        for (h, w) in [(299, 299), (35, 35), (17, 17), (8, 9)] {
            let conv = Convolution(outChannels: 4, inChannels: 3, kernel: 3, stride: 2, padding: 0,
                                   weight: rng.array(4 * 3 * 9), bias: rng.array(4))
            let x = rng.tensor(Shape(n: 1, c: 3, h: h, w: w))
            let fast = conv(x)
            XCTAssertEqual(fast.shape, Shape(n: 1, c: 4, h: (h - 3) / 2 + 1, w: (w - 3) / 2 + 1))
            XCTAssertLessThan(fast.maxAbsDifference(conv.reference(x)), 1e-5, "\(h)x\(w)")
        }
    }

    func naiveAveragePool(_ x: Tensor, kernel: Int, stride: Int, padding: Int, countIncludePad: Bool) -> Tensor {
        let s = x.shape
        let ho = (s.h + 2 * padding - kernel) / stride + 1, wo = (s.w + 2 * padding - kernel) / stride + 1
        var out = Tensor(shape: Shape(n: s.n, c: s.c, h: ho, w: wo))
        for n in 0..<s.n { for c in 0..<s.c { for oy in 0..<ho { for ox in 0..<wo {
            var sum = 0.0, inside = 0
            for ky in 0..<kernel { for kx in 0..<kernel {
                let y = oy * stride - padding + ky, xx = ox * stride - padding + kx
                if y >= 0, y < s.h, xx >= 0, xx < s.w { sum += Double(x[n, c, y, xx]); inside += 1 }
            } }
            out[n, c, oy, ox] = Float(sum / Double(countIncludePad ? kernel * kernel : inside))
        } } } }
        return out
    }

    func testAveragePoolMatchesNaiveScan() {
        var rng = TestRandom(state: 11)
        for (h, w) in [(1, 1), (2, 3), (8, 8), (17, 17), (35, 20)] {
            for (k, s, p) in [(3, 1, 1), (3, 2, 1), (3, 2, 0), (2, 2, 0)] where h + 2 * p >= k && w + 2 * p >= k {
                for include in [false, true] {
                    let x = rng.tensor(Shape(n: 2, c: 3, h: h, w: w))
                    let got = averagePool2d(x, kernel: k, stride: s, padding: p, countIncludePad: include)
                    let want = naiveAveragePool(x, kernel: k, stride: s, padding: p, countIncludePad: include)
                    XCTAssertEqual(got.shape, want.shape)
                    XCTAssertLessThan(got.maxAbsDifference(want), 1e-6, "\(h)x\(w) k\(k) s\(s) p\(p) include \(include)")
                }
            }
        }
        // The corner of a 3x3 stride-1 pool without the padding averages four samples.
        let x = Tensor(shape: Shape(c: 1, h: 2, w: 2), scalars: [1, 2, 3, 6])
        XCTAssertEqual(averagePool2d(x, kernel: 3, stride: 1, padding: 1, countIncludePad: false).scalars, [3, 3, 3, 3])
        let ninths: Float = 12 / 9
        XCTAssertEqual(averagePool2d(x, kernel: 3, stride: 1, padding: 1, countIncludePad: true).scalars, [ninths, ninths, ninths, ninths])
    }

    func testResizeBilinearDoublingIsTheTwoTimesUpsample() {
        var rng = TestRandom(state: 3)
        let x = rng.tensor(Shape(n: 2, c: 3, h: 7, w: 10))
        XCTAssertLessThan(resizeBilinear(x, height: 14, width: 20).maxAbsDifference(upsampleBilinear2x(x)), 1e-6)
        XCTAssertEqual(resizeBilinear(x, height: 7, width: 10), x)
    }

    func testResizeBilinearAsATen() {
        // 4 → 3 along x: scale 4/3, sources 0.1667, 1.5, 2.8333 (PyTorch: [1.1667, 2.5, 3.8333] for 1,2,3,4).
        let x = Tensor(shape: Shape(c: 1, h: 1, w: 4), scalars: [1, 2, 3, 4])
        let y = resizeBilinear(x, height: 1, width: 3)
        for (g, w) in zip(y.scalars, [Float(7) / 6, 2.5, Float(23) / 6]) { XCTAssertEqual(g, w, accuracy: 1e-5) }
        // 2 → 5: scale 0.4, sources clamped at 0 for the first output, the last index clamped to the edge.
        let z = resizeBilinear(Tensor(shape: Shape(c: 1, h: 1, w: 2), scalars: [0, 10]), height: 1, width: 5)
        for (g, w) in zip(z.scalars, [Float(0), 1, 5, 9, 10]) { XCTAssertEqual(g, w, accuracy: 1e-5) }
        XCTAssertEqual(resizeBilinear(x, height: 299, width: 299).shape, Shape(c: 1, h: 299, w: 299))
    }
}
